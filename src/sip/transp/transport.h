/* transport.h: SIP over UDP, TCP and TLS on libevent 2.1.
 *
 * Listeners (IPv4 and IPv6) and connections, stream framing by the
 * parser's incomplete/malformed answers, CRLF keep-alive (RFC 5626 3.5.1),
 * idle and TLS-handshake timeouts, caps on connections in total and per
 * source address, and outbound connections reused per (peer, transport,
 * TLS profile). TLS sits under the framing (bufferevent_openssl): the layer
 * above gets parsed messages and never sees whether bytes were encrypted.
 *
 * Ownership and threading: one layer per event loop (one thread). A
 * connection belongs to the layer; the layer frees it when it closes. Users
 * that keep a connection pointer across loop iterations take a reference
 * (tp_conn_ref/unref) and check tp_conn_is_open before use.
 */
#ifndef TB_SIP_TRANSPORT_H
#define TB_SIP_TRANSPORT_H

#include "sip/msg/sip_msg.h"
#include "sip/transp/tls.h"

#include <event2/event.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct tp_layer;
struct tp_conn;

struct tp_limits {
	struct sip_limits sip;
	uint32_t max_connections;
	uint32_t max_connections_per_source;
	uint32_t idle_timeout_ms;
	uint32_t handshake_timeout_ms;
	uint32_t connect_timeout_ms;
};

#define TP_LIMITS_DEFAULT                                                      \
	((struct tp_limits){.sip = SIP_LIMITS_DEFAULT,                         \
	                    .max_connections = 4096,                           \
	                    .max_connections_per_source = 64,                  \
	                    .idle_timeout_ms = 300000,                         \
	                    .handshake_timeout_ms = 5000,                      \
	                    .connect_timeout_ms = 5000})

/* Where a message came from / goes to. For UDP, conn is NULL and addr is
 * the peer; for TCP/TLS, conn is the connection (addr its peer). */
struct tp_addr {
	enum sip_transport transport;
	struct tp_conn *conn;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int udp_fd; /* UDP: the listener socket it arrived on / leaves from */
};

/* A parsed message. buf/msg are valid only during the call. */
typedef void tp_recv_h(void *arg, const struct tp_addr *src,
                       struct sip_msg *msg);
/* A request the parser refused with a status: the layer above may answer
 * it statelessly (it has at least a start line). Optional. */
typedef void tp_bad_h(void *arg, const struct tp_addr *src,
                      const struct sip_parse_error *err, const char *buf,
                      size_t len);

struct tp_stats {
	uint64_t msgs_in, msgs_out, malformed, keepalives;
	uint64_t conns_accepted, conns_refused_total, conns_refused_per_source;
	uint64_t tls_handshake_failures, idle_closed, handshake_timeouts;
	/* TLS handshake failures by class (tls_fail_classify), [0] inbound
	 * (accepted), [1] outbound (we connected); timeouts included */
	uint64_t tls_fail[TLS_FAIL_COUNT][2];
};

/* A connection closed (reason from tp_conn_close_reason). Optional: set
 * with tp_layer_set_closed. Called before the layer drops its reference. */
typedef void tp_closed_h(void *arg, struct tp_conn *conn);
void tp_layer_set_closed(struct tp_layer *tl, tp_closed_h *h, void *arg);

/* A tap (src/trace): every SIP message the layer receives, after framing
 * and, for TLS, decryption, and every message it sends, with its
 * transport and both ends. Keep-alives and bytes that did not parse are
 * not tapped. Everything is valid only during the call. No tap (the
 * default, or h NULL): nothing is done. */
struct tp_tap_msg {
	bool sent;
	enum sip_transport transport;
	/* our end: a connection's local address, or the address the UDP
	 * socket is bound to (0.0.0.0/:: for a wildcard listener) */
	const struct sockaddr *local;
	const struct sockaddr *remote; /* the peer */
	const char *buf;               /* the message as received or sent */
	size_t len;
	/* received: the parsed message; sent: NULL */
	const struct sip_msg *msg;
};
typedef void tp_tap_h(void *arg, const struct tp_tap_msg *m);
void tp_layer_set_tap(struct tp_layer *tl, tp_tap_h *h, void *arg);

struct tp_layer *tp_layer_new(struct event_base *base,
                              const struct tp_limits *lim, tp_recv_h *recv,
                              tp_bad_h *bad, void *arg);
void tp_layer_free(struct tp_layer *tl);
const struct tp_stats *tp_layer_stats(const struct tp_layer *tl);
uint32_t tp_layer_conn_count(const struct tp_layer *tl);

/* Listen on addr. tls is required for SIP_TP_TLS (the layer takes a
 * reference). Returns 0, or -1 with the reason in err. */
int tp_listen(struct tp_layer *tl, enum sip_transport tp,
              const struct sockaddr *addr, socklen_t addrlen,
              struct tls_profile *tls, char *err, size_t errlen);
/* Reload: a TLS listener takes a new profile for new connections (a
 * reference is taken, the old one dropped). 0 or -1. */
int tp_listener_set_tls(struct tp_layer *tl, unsigned idx,
                        struct tls_profile *tls);
/* Close gracefully every TLS connection, inbound and/or outbound (after a
 * certificate change: peers reconnect and see the new one). */
void tp_close_tls(struct tp_layer *tl, bool inbound, bool outbound);

/* The port a listener got (for port 0 in tests), by index of creation. */
int tp_listener_port(const struct tp_layer *tl, unsigned idx);

/* Outcome of an outbound connection attempt. ok false: reason says why
 * (DNS, refused, timeout, the TLS failure in OpenSSL's words). */
typedef void tp_connect_h(void *arg, struct tp_conn *conn, bool ok,
                          const char *reason);

/* Get a connection to host:port over tp (TCP or TLS), reusing an open one
 * made with the same profile; otherwise resolve (evdns, again at each
 * attempt), connect and handshake. h is called exactly once, possibly
 * before this returns (a reused connection, or a literal address that
 * failed at once). Returns the connection while it is alive, NULL when the
 * attempt could not start (h not called; reason in err) or already ended
 * (h called). */
struct tp_conn *tp_connect(struct tp_layer *tl, enum sip_transport tp,
                           const char *host, uint16_t port,
                           struct tls_profile *tls, tp_connect_h *h, void *arg,
                           char *err, size_t errlen);

/* Resolve host:port for UDP (evdns, again at each call). h gets the first
 * address, or NULL and the reason. h may run before this returns. Returns
 * a handle to cancel (h is then not called), NULL when h already ran. */
struct tp_resolve;
typedef void tp_resolve_h(void *arg, const struct sockaddr *sa, socklen_t salen,
                          const char *reason);
struct tp_resolve *tp_resolve(struct tp_layer *tl, const char *host,
                              uint16_t port, tp_resolve_h *h, void *arg);
void tp_resolve_cancel(struct tp_resolve *r);

/* Send bytes to a destination: a connection, or UDP to addr. 0 or -1. */
int tp_send(struct tp_layer *tl, const struct tp_addr *dst, const char *buf,
            size_t len);

struct tp_conn *tp_conn_ref(struct tp_conn *c);
void tp_conn_unref(struct tp_conn *c);
bool tp_conn_is_open(const struct tp_conn *c);
/* Close now (pending output is flushed first when graceful). */
void tp_conn_close(struct tp_conn *c, bool graceful);
const char *tp_conn_close_reason(const struct tp_conn *c);
const struct tp_addr *tp_conn_addr(const struct tp_conn *c);
bool tp_conn_outbound(const struct tp_conn *c);

/* "1.2.3.4:5061" / "[::1]:5061" */
void tp_addr_str(const struct sockaddr *sa, char *out, size_t outlen);

#endif
