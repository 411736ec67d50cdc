/* relay.h: the media relay. Every call's media goes through trunkbridge's
 * own address: each leg of a call gets an endpoint (a port pair from the
 * pool, facing that leg's peer), and two linked endpoints forward to each
 * other: what endpoint X receives from its peer (decrypted with the key
 * that peer announced) leaves endpoint Y toward Y's peer (encrypted with
 * the key trunkbridge announced to Y's peer).
 *
 * Per endpoint: RTP on the even port, RTCP on port + 1 (or on the RTP
 * port with rtcp-mux, RFC 5761; demuxed by payload type). STUN binding
 * requests (RFC 5389, first byte 0-3) are answered as an ICE-lite agent
 * (RFC 8445 2.5) when ICE is set on the endpoint: short-term credentials
 * (USERNAME "ours:theirs", MESSAGE-INTEGRITY with our ice-pwd),
 * XOR-MAPPED-ADDRESS, FINGERPRINT. Symmetric RTP (RFC 4961): the endpoint
 * sends from the port it receives on, to the address it latched: the
 * first packet from the address the peer's SDP named (any port from that
 * IP, or the source of a valid STUN check) latches; after that, packets
 * from any other address or port are dropped and counted, and the call
 * goes on.
 *
 * The hot path (a packet in, a packet out) allocates nothing: each socket
 * is read with recvmmsg in batches into the engine's buffers, transformed
 * in place (SRTP unprotect, payload type map, SRTP protect) and sent with
 * sendmmsg in batches.
 *
 * Threading: an engine belongs to one event loop (one thread).
 */
#ifndef TB_MEDIA_RELAY_H
#define TB_MEDIA_RELAY_H

#include "media/srtp.h"

#include <event2/event.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct media_engine;
struct mep; /* one endpoint */

struct media_engine_cfg {
	struct sockaddr_storage bind; /* the address media sockets bind to
	                                 (port ignored); AF_INET or AF_INET6 */
	uint16_t port_min, port_max; /* the pool, inclusive; pairs start even */
	uint32_t batch;              /* packets per recvmmsg/sendmmsg, 1-64 */
};

/* An engine on event base eb. NULL with errno set (bad range, ENOMEM). */
struct media_engine *media_engine_new(struct event_base *eb,
                                      const struct media_engine_cfg *cfg);
/* Frees the engine; every endpoint must have been freed before. */
void media_engine_free(struct media_engine *e);
/* Ports pairs free in the pool. */
uint32_t media_engine_free_pairs(const struct media_engine *e);
/* Endpoints live now (metrics). */
uint32_t media_engine_endpoints(const struct media_engine *e);

/* A new endpoint: binds the next free even port and port + 1 of the pool
 * (skipping ports the system has in use). NULL when the pool is
 * exhausted (errno EADDRINUSE) or out of memory. */
struct mep *mep_new(struct media_engine *e);
void mep_free(struct mep *m);           /* unlinks it from its partner too */
uint16_t mep_port(const struct mep *m); /* RTP port; RTCP is port + 1 */

/* The peer's RTP address (from its SDP) and RTCP port (its a=rtcp, else
 * RTP port + 1); rtcp_mux: RTCP goes to the RTP address. A new address
 * (a re-INVITE) clears the latch. */
void mep_set_remote(struct mep *m, const struct sockaddr *rtp, socklen_t len,
                    uint16_t rtcp_port, bool rtcp_mux);

/* SRTP: rx decrypts what the peer sends (the key in the peer's SDP), tx
 * encrypts what goes to the peer (the key trunkbridge put in the SDP it
 * sent). The endpoint takes ownership of the contexts; NULL: plain RTP
 * that way. Replacing a context frees the old one. */
void mep_set_rx_srtp(struct mep *m, struct srtp_ctx *ctx);
void mep_set_tx_srtp(struct mep *m, struct srtp_ctx *ctx);

/* ICE-lite toward this endpoint's peer: answer STUN binding requests whose
 * USERNAME is "<local_ufrag>:<anything>" and whose MESSAGE-INTEGRITY
 * verifies with local_pwd. NULL local_ufrag: STUN is not answered (and
 * STUN packets are dropped and counted). Copies the strings. */
int mep_set_ice(struct mep *m, const char *local_ufrag, const char *local_pwd);

/* Link two endpoints both ways (NULL b: unlink a). Packets received on an
 * unlinked endpoint are counted and dropped. */
void mep_link(struct mep *a, struct mep *b);

/* Payload type rewriting on packets leaving m toward its peer: RTP
 * packets with payload type `from` go out as `to` (telephone-event mapped
 * per leg). Several maps may be set; to == from clears one. */
void mep_map_pt(struct mep *m, uint8_t from, uint8_t to);

/* Direction m's peer may send in: false (hold, a=inactive / sendonly
 * toward it) drops what it sends, counted as on-hold, not foreign. */
void mep_set_recv(struct mep *m, bool allowed);

enum mep_drop {
	MEP_DROP_FOREIGN = 0, /* from an address other than the latched one */
	MEP_DROP_SRTP_AUTH,   /* unprotect: tag failed */
	MEP_DROP_SRTP_REPLAY, /* unprotect: replayed / too old */
	MEP_DROP_MALFORMED,   /* not RTP/RTCP/STUN, too short, too long */
	MEP_DROP_STUN,        /* STUN not answered (no ICE, bad integrity) */
	MEP_DROP_UNLINKED,    /* no partner endpoint, or partner has no peer;
	                         or it came before the peer's SDP */
	MEP_DROP_HOLD,        /* the direction is not allowed now */
	MEP_DROP_SEND,        /* sendmmsg failed */
	MEP_DROP_COUNT
};

/* What one endpoint saw from its peer (rx) and sent to it (tx). */
struct mep_stats {
	uint64_t rx_packets, rx_bytes; /* RTP accepted from the peer */
	uint64_t rx_rtcp;              /* RTCP packets accepted */
	uint64_t tx_packets, tx_bytes; /* RTP sent to the peer */
	uint64_t tx_rtcp;
	uint64_t stun;      /* binding requests answered */
	uint64_t lost;      /* RTP packets missing by sequence (RFC 3550
	                       A.3: expected - received, >= 0) */
	uint32_t jitter_us; /* RFC 3550 A.8 interarrival jitter, in
	                       microseconds (clock rate from
	                       mep_set_clock_rate, default 8000) */
	uint64_t drops[MEP_DROP_COUNT];
	int64_t last_rx_ms; /* monotonic ms of the last packet accepted from
	                       the peer, 0: none yet */
	bool latched;
	struct sockaddr_storage latched_addr;
};
void mep_stats(const struct mep *m, struct mep_stats *out);
/* RTP clock rate of the peer's stream (jitter); 8000 by default. */
void mep_set_clock_rate(struct mep *m, uint32_t hz);

/* Totals over every endpoint the engine has had (metrics). */
void media_engine_totals(const struct media_engine *e, struct mep_stats *out);

#endif
