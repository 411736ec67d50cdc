/* transport.c: UDP/TCP/TLS listeners and connections on libevent. */
#include "sip/transp/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LISTENERS 16
#define MAX_WAITERS   8
#define SRC_BUCKETS   1024
#define UDP_BATCH     64
#define PARSE_HDRS    256

struct waiter {
	tp_connect_h *h;
	void *arg;
};

/* Connections from one source address, for the per-source cap. */
struct src_count {
	struct src_count *next;
	uint8_t ip[16];
	uint8_t family;
	uint32_t n;
};

struct tp_conn {
	struct tp_layer *tl;
	struct tp_conn *prev, *next;
	struct bufferevent *bev;
	SSL *ssl; /* owned by bev once attached */
	struct tls_profile *tls;
	enum sip_transport transport;
	struct tp_addr addr;
	struct sockaddr_storage local; /* our end, once ready (the tap) */
	struct src_count *src;
	int refs;
	bool open;
	bool outbound;
	bool ready; /* connected and, for TLS, handshake done and peer ok */
	bool closing;
	struct evdns_getaddrinfo_request *dns_req;
	struct evutil_addrinfo *ai, *ai_next; /* resolved, not yet tried */
	char host[256];
	uint16_t port;
	struct waiter waiters[MAX_WAITERS];
	unsigned nwaiters;
	char reason[320];
};

struct listener {
	struct tp_layer *tl;
	enum sip_transport transport;
	struct evconnlistener *lev; /* TCP/TLS */
	struct event *ev;           /* UDP */
	int fd;
	int family;
	struct tls_profile *tls;
	int port;
	struct sockaddr_storage local; /* bound address (the tap) */
};

struct tp_layer {
	struct event_base *base;
	struct evdns_base *dns;
	struct tp_limits lim;
	tp_recv_h *recv;
	tp_bad_h *bad;
	void *arg;
	tp_closed_h *closed;
	void *closed_arg;
	tp_tap_h *tap; /* NULL: no trace */
	void *tap_arg;
	struct listener ls[MAX_LISTENERS];
	unsigned nls;
	struct tp_conn *conns;
	uint32_t nconns;
	struct src_count *src[SRC_BUCKETS];
	struct tp_stats st;
	struct sip_hdr hdrs[PARSE_HDRS];
	char udp_buf[65536];
};

/* --- helpers ------------------------------------------------------------ */

void tp_addr_str(const struct sockaddr *sa, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, outlen, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outlen, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		snprintf(out, outlen, "?");
	}
}

/* The tap: one message in or out (only called when a tap is set). */
static void tap(struct tp_layer *tl, bool sent, enum sip_transport tp,
                const struct sockaddr_storage *local,
                const struct sockaddr_storage *remote, const char *buf,
                size_t len, const struct sip_msg *m)
{
	struct tp_tap_msg t = {
	        .sent = sent,
	        .transport = tp,
	        .local = (const struct sockaddr *)local,
	        .remote = (const struct sockaddr *)remote,
	        .buf = buf,
	        .len = len,
	        .msg = m,
	};
	tl->tap(tl->tap_arg, &t);
}

/* The bound address of a UDP listener's socket. */
static const struct sockaddr_storage *udp_local(const struct tp_layer *tl,
                                                int fd)
{
	static const struct sockaddr_storage none;

	for (unsigned i = 0; i < tl->nls; i++)
		if (tl->ls[i].fd == fd)
			return &tl->ls[i].local;
	return &none;
}

static size_t ip_bytes(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(out,
		       &((const struct sockaddr_in *)(const void *)sa)
		                ->sin_addr,
		       4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out,
		       &((const struct sockaddr_in6 *)(const void *)sa)
		                ->sin6_addr,
		       16);
		return 16;
	}
	return 0;
}

static struct src_count *src_get(struct tp_layer *tl, const struct sockaddr *sa,
                                 bool create)
{
	uint8_t ip[16] = {0};
	size_t n = ip_bytes(sa, ip);
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ ip[i]) * 16777619u;
	struct src_count **pp = &tl->src[h % SRC_BUCKETS];
	for (struct src_count *s = *pp; s; s = s->next) {
		if (s->family == sa->sa_family && memcmp(s->ip, ip, 16) == 0)
			return s;
	}
	if (!create)
		return NULL;
	struct src_count *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	memcpy(s->ip, ip, 16);
	s->family = (uint8_t)sa->sa_family;
	s->next = *pp;
	*pp = s;
	return s;
}

static void src_release(struct tp_layer *tl, struct src_count *s,
                        const struct sockaddr *sa)
{
	if (!s || --s->n > 0)
		return;
	uint8_t ip[16] = {0};
	size_t n = ip_bytes(sa, ip);
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ ip[i]) * 16777619u;
	for (struct src_count **pp = &tl->src[h % SRC_BUCKETS]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			free(s);
			return;
		}
	}
}

/* --- connections -------------------------------------------------------- */

static void conn_free(struct tp_conn *c)
{
	if (c->ai)
		evutil_freeaddrinfo(c->ai);
	if (c->tls)
		tls_profile_unref(c->tls);
	free(c);
}

struct tp_conn *tp_conn_ref(struct tp_conn *c)
{
	c->refs++;
	return c;
}

void tp_conn_unref(struct tp_conn *c)
{
	if (c && --c->refs == 0)
		conn_free(c);
}

bool tp_conn_is_open(const struct tp_conn *c)
{
	return c->open && c->ready;
}

const char *tp_conn_close_reason(const struct tp_conn *c)
{
	return c->reason;
}

const struct tp_addr *tp_conn_addr(const struct tp_conn *c)
{
	return &c->addr;
}

bool tp_conn_outbound(const struct tp_conn *c)
{
	return c->outbound;
}

static void notify_waiters(struct tp_conn *c, bool ok)
{
	struct waiter w[MAX_WAITERS];
	unsigned n = c->nwaiters;

	memcpy(w, c->waiters, sizeof(w));
	c->nwaiters = 0;
	tp_conn_ref(c);
	for (unsigned i = 0; i < n; i++)
		w[i].h(w[i].arg, c, ok, ok ? NULL : c->reason);
	tp_conn_unref(c);
}

/* Unlink and release everything but the struct (kept while referenced). */
static void conn_close_now(struct tp_conn *c, const char *why)
{
	struct tp_layer *tl = c->tl;

	if (!c->open)
		return;
	if (why && !c->reason[0])
		snprintf(c->reason, sizeof(c->reason), "%s", why);
	c->open = false;
	c->ready = false;
	if (c->dns_req) {
		evdns_getaddrinfo_cancel(c->dns_req);
		c->dns_req = NULL;
	}
	if (c->bev) {
		bufferevent_free(c->bev); /* frees the SSL and the fd */
		c->bev = NULL;
		c->ssl = NULL;
	} else if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->src)
		src_release(tl, c->src, (const struct sockaddr *)&c->addr.addr);
	c->src = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else if (tl->conns == c)
		tl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	tl->nconns--;
	if (c->nwaiters)
		notify_waiters(c, false);
	if (tl->closed)
		tl->closed(tl->closed_arg, c);
	tp_conn_unref(c); /* the layer's reference */
}

void tp_conn_close(struct tp_conn *c, bool graceful)
{
	if (graceful && c->bev && c->open &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
		c->closing = true; /* closed by the write callback */
		return;
	}
	conn_close_now(c, "closed locally");
}

static struct tp_conn *conn_new(struct tp_layer *tl, enum sip_transport tp,
                                struct tls_profile *tls)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->tl = tl;
	c->transport = tp;
	c->tls = tls ? tls_profile_ref(tls) : NULL;
	c->refs = 1; /* the layer's */
	c->open = true;
	c->addr.transport = tp;
	c->addr.conn = c;
	c->addr.udp_fd = -1;
	c->next = tl->conns;
	if (tl->conns)
		tl->conns->prev = c;
	tl->conns = c;
	tl->nconns++;
	return c;
}

static void set_timeouts(struct tp_conn *c, uint32_t ms)
{
	struct timeval tv = {ms / 1000, (long)(ms % 1000) * 1000};
	bufferevent_set_timeouts(c->bev, &tv, &tv);
}

/* RFC 5626 3.5.1: a CRLFCRLF ping gets a CRLF pong; a lone CRLF (a pong,
 * or a stray line end between messages) is dropped. Returns bytes eaten,
 * 0 when the buffer starts with a message, -1 to wait for more. */
static int keepalive(struct tp_conn *c, const unsigned char *p, size_t len)
{
	if (len == 0 || p[0] != '\r')
		return 0;
	if (len >= 4 && memcmp(p, "\r\n\r\n", 4) == 0) {
		bufferevent_write(c->bev, "\r\n", 2);
		c->tl->st.keepalives++;
		return 4;
	}
	if (len >= 3 && p[1] == '\n' && p[2] != '\r')
		return 2;
	if (len < 4)
		return -1;
	return 0;
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct tp_conn *c = arg;
	struct tp_layer *tl = c->tl;
	struct evbuffer *in = bufferevent_get_input(bev);

	tp_conn_ref(c);
	while (c->open && c->ready) {
		size_t len = evbuffer_get_length(in);
		if (len == 0)
			break;
		size_t want = len;
		if (want > (size_t)tl->lim.sip.max_msg_size + 4)
			want = (size_t)tl->lim.sip.max_msg_size + 4;
		const unsigned char *p = evbuffer_pullup(in, (ev_ssize_t)want);
		if (!p)
			break;
		int k = keepalive(c, p, want);
		if (k < 0)
			break;
		if (k > 0) {
			evbuffer_drain(in, (size_t)k);
			continue;
		}
		struct sip_msg m;
		struct sip_parse_error err;
		sip_msg_init(&m, tl->hdrs, PARSE_HDRS);
		enum sip_parse_result r =
		        sip_msg_parse(&m, (const char *)p, want,
		                      SIP_PARSE_STREAM, &tl->lim.sip, &err);
		if (r == SIP_PARSE_INCOMPLETE)
			break;
		if (r == SIP_PARSE_MALFORMED) {
			/* framing is lost on a stream: answer if we can, then
			 * close */
			tl->st.malformed++;
			if (tl->bad)
				tl->bad(tl->arg, &c->addr, &err,
				        (const char *)p, want);
			snprintf(c->reason, sizeof(c->reason),
			         "malformed message: %s",
			         err.reason ? err.reason : "?");
			tp_conn_close(c, true);
			break;
		}
		tl->st.msgs_in++;
		size_t used = m.consumed;
		if (tl->tap)
			tap(tl, false, c->transport, &c->local, &c->addr.addr,
			    m.raw.p, m.raw.l, &m);
		tl->recv(tl->arg, &c->addr, &m);
		if (c->open)
			evbuffer_drain(in, used);
	}
	tp_conn_unref(c);
}

static void conn_write(struct bufferevent *bev, void *arg)
{
	struct tp_conn *c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close_now(c, "closed locally");
}

static void conn_ready(struct tp_conn *c)
{
	socklen_t sl = sizeof(c->local);

	if (getsockname(bufferevent_getfd(c->bev), (struct sockaddr *)&c->local,
	                &sl) != 0)
		memset(&c->local, 0, sizeof(c->local));
	c->ready = true;
	set_timeouts(c, c->tl->lim.idle_timeout_ms);
	if (c->nwaiters)
		notify_waiters(c, true);
	if (c->open && evbuffer_get_length(bufferevent_get_input(c->bev)))
		conn_read(c->bev, c);
}

static bool connect_next(struct tp_conn *c);

/* SIP messages are small and each one is a whole unit: send at once
 * (Nagle would hold a 200 OK back until the previous segment is ACKed). */
static void no_delay(evutil_socket_t fd)
{
	int one = 1;

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void count_tls_fail(struct tp_conn *c, const char *why)
{
	c->tl->st.tls_fail[tls_fail_classify(why)][c->outbound ? 1 : 0]++;
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct tp_conn *c = arg;
	struct tp_layer *tl = c->tl;
	char why[256];

	if (what & BEV_EVENT_CONNECTED) {
		no_delay(bufferevent_getfd(bev));
		if (c->outbound) {
			socklen_t sl = sizeof(c->addr.addr);
			getpeername(bufferevent_getfd(bev),
			            (struct sockaddr *)&c->addr.addr, &sl);
			c->addr.addrlen = sl;
		}
		if (c->ssl && !tls_peer_ok(c->ssl, why, sizeof(why))) {
			tl->st.tls_handshake_failures++;
			count_tls_fail(c, why);
			snprintf(c->reason, sizeof(c->reason), "TLS: %.250s",
			         why);
			conn_close_now(c, NULL);
			return;
		}
		conn_ready(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if (!c->ready) {
			tl->st.handshake_timeouts++;
			if (c->ssl && !c->outbound) /* outbound: TCP or TLS */
				count_tls_fail(c, "timeout");
			snprintf(c->reason, sizeof(c->reason), "%s",
			         c->outbound ? "timeout connecting"
			                     : "TLS handshake timeout");
		} else {
			tl->st.idle_closed++;
			snprintf(c->reason, sizeof(c->reason), "idle timeout");
		}
		conn_close_now(c, NULL);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		int e = EVUTIL_SOCKET_ERROR();
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		if (c->outbound && !c->ready && (what & BEV_EVENT_ERROR) &&
		    getpeername(bufferevent_getfd(bev),
		                (struct sockaddr *)&peer, &pl) != 0) {
			/* the TCP connect itself failed: say so, not TLS;
			 * and try the name's next address, if any */
			char to[80];
			tp_addr_str((const struct sockaddr *)&c->addr.addr, to,
			            sizeof(to));
			snprintf(c->reason, sizeof(c->reason),
			         "connect to %s: %s", to,
			         e ? evutil_socket_error_to_string(e)
			           : "failed");
			if (c->ai_next && connect_next(c))
				return;
		} else if (c->ssl && !c->ready) {
			tl->st.tls_handshake_failures++;
			tls_handshake_error(c->ssl, why, sizeof(why));
			if (!why[0] || strstr(why, "unexpected eof")) {
				if ((what & BEV_EVENT_ERROR) && e)
					snprintf(why, sizeof(why), "%s",
					         evutil_socket_error_to_string(
					                 e));
				else if (!why[0])
					snprintf(why, sizeof(why),
					         "connection closed during the "
					         "handshake");
			}
			snprintf(c->reason, sizeof(c->reason), "TLS: %.250s",
			         why);
			count_tls_fail(c, why);
		} else if (what & BEV_EVENT_EOF) {
			snprintf(c->reason, sizeof(c->reason),
			         "closed by the peer");
		} else {
			snprintf(c->reason, sizeof(c->reason), "%s",
			         e ? evutil_socket_error_to_string(e)
			           : "connection error");
		}
		conn_close_now(c, NULL);
	}
}

static void conn_setup_bev(struct tp_conn *c)
{
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* --- listeners ---------------------------------------------------------- */

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
	struct listener *l = arg;
	struct tp_layer *tl = l->tl;
	struct src_count *src;
	struct tp_conn *c;

	(void)lev;
	if (tl->nconns >= tl->lim.max_connections) {
		tl->st.conns_refused_total++;
		evutil_closesocket(fd);
		return;
	}
	src = src_get(tl, sa, true);
	if (!src || src->n >= tl->lim.max_connections_per_source) {
		tl->st.conns_refused_per_source++;
		evutil_closesocket(fd);
		return;
	}
	c = conn_new(tl, l->transport, l->tls);
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	src->n++;
	c->src = src;
	memcpy(&c->addr.addr, sa, (size_t)salen);
	c->addr.addrlen = (socklen_t)salen;
	tl->st.conns_accepted++;
	evutil_make_socket_nonblocking(fd);
	no_delay(fd);
	if (l->transport == SIP_TP_TLS) {
		c->ssl = tls_server_ssl(l->tls);
		if (!c->ssl) {
			evutil_closesocket(fd);
			conn_close_now(c, "out of memory (SSL)");
			return;
		}
		c->bev = bufferevent_openssl_socket_new(
		        tl->base, fd, c->ssl, BUFFEREVENT_SSL_ACCEPTING,
		        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	} else {
		c->bev = bufferevent_socket_new(
		        tl->base, fd,
		        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	}
	if (!c->bev) {
		if (c->ssl)
			SSL_free(c->ssl);
		c->ssl = NULL;
		evutil_closesocket(fd);
		conn_close_now(c, "out of memory (bufferevent)");
		return;
	}
	conn_setup_bev(c);
	if (l->transport == SIP_TP_TLS) {
		/* until the handshake is done, the handshake timeout holds */
		set_timeouts(c, tl->lim.handshake_timeout_ms);
	} else {
		conn_ready(c);
	}
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	struct tp_layer *tl = l->tl;

	(void)what;
	for (int i = 0; i < UDP_BATCH; i++) {
		struct tp_addr src = {.transport = SIP_TP_UDP, .udp_fd = fd};
		src.addrlen = sizeof(src.addr);
		ssize_t n =
		        recvfrom(fd, tl->udp_buf, sizeof(tl->udp_buf), 0,
		                 (struct sockaddr *)&src.addr, &src.addrlen);
		if (n < 0)
			break;
		/* a keep-alive (CRLFCRLF) or an empty datagram: ignored */
		if (n <= 4 && memcmp(tl->udp_buf, "\r\n\r\n", (size_t)n) == 0) {
			tl->st.keepalives++;
			continue;
		}
		struct sip_msg m;
		struct sip_parse_error err;
		size_t len = (size_t)n;
		sip_msg_init(&m, tl->hdrs, PARSE_HDRS);
		if (len > tl->lim.sip.max_msg_size)
			len = tl->lim.sip.max_msg_size + 1;
		if (sip_msg_parse(&m, tl->udp_buf, len, SIP_PARSE_DATAGRAM,
		                  &tl->lim.sip, &err) != SIP_PARSE_OK) {
			tl->st.malformed++;
			if (tl->bad)
				tl->bad(tl->arg, &src, &err, tl->udp_buf, len);
			continue;
		}
		tl->st.msgs_in++;
		if (tl->tap)
			tap(tl, false, SIP_TP_UDP, &l->local, &src.addr,
			    m.raw.p, m.raw.l, &m);
		tl->recv(tl->arg, &src, &m);
	}
}

int tp_listen(struct tp_layer *tl, enum sip_transport tp,
              const struct sockaddr *addr, socklen_t addrlen,
              struct tls_profile *tls, char *err, size_t errlen)
{
	struct listener *l;
	char where[80];

	tp_addr_str(addr, where, sizeof(where));
	if (tl->nls >= MAX_LISTENERS) {
		snprintf(err, errlen, "%s: too many listeners", where);
		return -1;
	}
	if (tp == SIP_TP_TLS && !tls) {
		snprintf(err, errlen, "%s: tls listener without a profile",
		         where);
		return -1;
	}
	l = &tl->ls[tl->nls];
	memset(l, 0, sizeof(*l));
	l->tl = tl;
	l->transport = tp;
	l->family = addr->sa_family;
	l->fd = -1;
	if (tp == SIP_TP_UDP) {
		int fd = socket(addr->sa_family, SOCK_DGRAM, 0);
		int one = 1;
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", where, strerror(errno));
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (addr->sa_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			           sizeof(one));
		if (bind(fd, addr, addrlen) < 0) {
			snprintf(err, errlen, "udp %s: %s", where,
			         strerror(errno));
			close(fd);
			return -1;
		}
		evutil_make_socket_nonblocking(fd);
		l->fd = fd;
		l->ev = event_new(tl->base, fd, EV_READ | EV_PERSIST, on_udp,
		                  l);
		if (!l->ev || event_add(l->ev, NULL) < 0) {
			snprintf(err, errlen, "udp %s: event setup failed",
			         where);
			if (l->ev)
				event_free(l->ev);
			close(fd);
			return -1;
		}
	} else {
		l->lev = evconnlistener_new_bind(
		        tl->base, on_accept, l,
		        LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE |
		                (addr->sa_family == AF_INET6
		                         ? LEV_OPT_BIND_IPV6ONLY
		                         : 0),
		        1024, addr, (int)addrlen);
		if (!l->lev) {
			snprintf(err, errlen, "%s %s: %s",
			         tp == SIP_TP_TLS ? "tls" : "tcp", where,
			         strerror(errno));
			return -1;
		}
		l->fd = evconnlistener_get_fd(l->lev);
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(l->fd, (struct sockaddr *)&ss, &sl) == 0)
		memcpy(&l->local, &ss, sizeof(ss));
	if (l->local.ss_family)
		l->port = ss.ss_family == AF_INET
		                  ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
		                  : ntohs(((struct sockaddr_in6 *)&ss)
		                                  ->sin6_port);
	l->tls = tls ? tls_profile_ref(tls) : NULL;
	tl->nls++;
	return 0;
}

int tp_listener_set_tls(struct tp_layer *tl, unsigned idx,
                        struct tls_profile *tls)
{
	struct listener *l;

	if (idx >= tl->nls || !tls || tl->ls[idx].transport != SIP_TP_TLS)
		return -1;
	l = &tl->ls[idx];
	tls_profile_ref(tls);
	if (l->tls)
		tls_profile_unref(l->tls);
	l->tls = tls;
	return 0;
}

void tp_close_tls(struct tp_layer *tl, bool inbound, bool outbound)
{
	struct tp_conn *c = tl->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->transport != SIP_TP_TLS ||
		    (c->outbound ? !outbound : !inbound))
			continue;
		snprintf(c->reason, sizeof(c->reason), "certificates reloaded");
		tp_conn_close(c, true);
	}
}

int tp_listener_port(const struct tp_layer *tl, unsigned idx)
{
	return idx < tl->nls ? tl->ls[idx].port : -1;
}

/* --- outbound ----------------------------------------------------------- */

/* Connect to the next resolved address (a name may resolve to several,
 * IPv6 and IPv4: a refused one moves on to the next). Returns false when
 * none is left; the reason is then set. */
static bool connect_next(struct tp_conn *c)
{
	struct tp_layer *tl = c->tl;

	while (c->ai_next) {
		struct evutil_addrinfo *ai = c->ai_next;
		c->ai_next = ai->ai_next;
		if (ai->ai_addrlen > sizeof(c->addr.addr))
			continue;
		if (c->bev) {
			bufferevent_free(c->bev); /* and its SSL */
			c->bev = NULL;
			c->ssl = NULL;
		}
		memcpy(&c->addr.addr, ai->ai_addr, ai->ai_addrlen);
		c->addr.addrlen = (socklen_t)ai->ai_addrlen;
		if (c->transport == SIP_TP_TLS) {
			c->ssl = tls_client_ssl(c->tls, c->host);
			if (!c->ssl) {
				snprintf(c->reason, sizeof(c->reason),
				         "TLS: cannot create the SSL object");
				return false;
			}
			c->bev = bufferevent_openssl_socket_new(
			        tl->base, -1, c->ssl,
			        BUFFEREVENT_SSL_CONNECTING,
			        BEV_OPT_CLOSE_ON_FREE |
			                BEV_OPT_DEFER_CALLBACKS);
			if (!c->bev)
				SSL_free(c->ssl);
		} else {
			c->bev = bufferevent_socket_new(
			        tl->base, -1,
			        BEV_OPT_CLOSE_ON_FREE |
			                BEV_OPT_DEFER_CALLBACKS);
		}
		if (!c->bev) {
			c->ssl = NULL;
			snprintf(c->reason, sizeof(c->reason),
			         "out of memory (bufferevent)");
			return false;
		}
		conn_setup_bev(c);
		set_timeouts(
		        c, tl->lim.connect_timeout_ms +
		                   (c->ssl ? tl->lim.handshake_timeout_ms : 0));
		if (bufferevent_socket_connect(c->bev,
		                               (struct sockaddr *)&c->addr.addr,
		                               (int)c->addr.addrlen) == 0)
			return true;
		snprintf(c->reason, sizeof(c->reason), "connect: %s",
		         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
	if (!c->reason[0])
		snprintf(c->reason, sizeof(c->reason),
		         "no address to connect to");
	return false;
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct tp_conn *c = arg;

	c->dns_req = NULL;
	if (result != 0 || !res) {
		snprintf(c->reason, sizeof(c->reason), "DNS: %.200s: %s",
		         c->host, evutil_gai_strerror(result));
		if (res)
			evutil_freeaddrinfo(res);
		conn_close_now(c, NULL);
		return;
	}
	c->ai = res;
	c->ai_next = res;
	if (!connect_next(c))
		conn_close_now(c, NULL);
}

struct tp_conn *tp_connect(struct tp_layer *tl, enum sip_transport tp,
                           const char *host, uint16_t port,
                           struct tls_profile *tls, tp_connect_h *h, void *arg,
                           char *err, size_t errlen)
{
	struct tp_conn *c;

	if (tp != SIP_TP_TCP && tp != SIP_TP_TLS) {
		snprintf(err, errlen, "not a connection transport");
		return NULL;
	}
	if (tp == SIP_TP_TLS && !tls) {
		snprintf(err, errlen, "tls without a profile");
		return NULL;
	}
	if (strlen(host) >= sizeof(c->host)) {
		snprintf(err, errlen, "host name too long");
		return NULL;
	}
	for (c = tl->conns; c; c = c->next) {
		if (!c->outbound || !c->open || c->closing ||
		    c->transport != tp || c->tls != tls || c->port != port ||
		    strcmp(c->host, host) != 0)
			continue;
		if (c->ready) {
			h(arg, c, true, NULL);
			return c;
		}
		if (c->nwaiters < MAX_WAITERS) {
			c->waiters[c->nwaiters++] = (struct waiter){h, arg};
			return c;
		}
	}
	if (tl->nconns >= tl->lim.max_connections) {
		snprintf(err, errlen, "connection limit reached");
		return NULL;
	}
	c = conn_new(tl, tp, tls);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->outbound = true;
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	c->waiters[c->nwaiters++] = (struct waiter){h, arg};

	struct evutil_addrinfo hints;
	char portstr[8];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	/* resolved again at each connection attempt; the callback may run
	 * before this returns (a literal address) */
	tp_conn_ref(c);
	struct evdns_getaddrinfo_request *req = evdns_getaddrinfo(
	        tl->dns, host, portstr, &hints, on_resolved, c);
	if (c->open && !c->bev)
		c->dns_req = req;
	bool alive = c->refs > 1;
	tp_conn_unref(c);
	return alive ? c : NULL;
}

struct tp_resolve {
	struct evdns_getaddrinfo_request *req;
	tp_resolve_h *h;
	void *arg;
	char host[256];
	bool cancelled;
	bool in_call; /* evdns_getaddrinfo has not returned yet */
	bool done;
};

static void on_resolved_udp(int result, struct evutil_addrinfo *res, void *arg)
{
	struct tp_resolve *r = arg;
	char why[320];

	r->req = NULL;
	r->done = true;
	if (!r->cancelled) {
		if (result == 0 && res)
			r->h(r->arg, res->ai_addr, (socklen_t)res->ai_addrlen,
			     NULL);
		else {
			snprintf(why, sizeof(why), "DNS: %.200s: %s", r->host,
			         evutil_gai_strerror(result));
			r->h(r->arg, NULL, 0, why);
		}
	}
	if (res)
		evutil_freeaddrinfo(res);
	if (!r->in_call)
		free(r);
}

struct tp_resolve *tp_resolve(struct tp_layer *tl, const char *host,
                              uint16_t port, tp_resolve_h *h, void *arg)
{
	struct tp_resolve *r = calloc(1, sizeof(*r));
	struct evutil_addrinfo hints;
	char portstr[8];

	if (!r) {
		h(arg, NULL, 0, "out of memory");
		return NULL;
	}
	r->h = h;
	r->arg = arg;
	snprintf(r->host, sizeof(r->host), "%s", host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	r->in_call = true;
	r->req = evdns_getaddrinfo(tl->dns, host, portstr, &hints,
	                           on_resolved_udp, r);
	r->in_call = false;
	if (r->done) {
		free(r);
		return NULL;
	}
	return r;
}

void tp_resolve_cancel(struct tp_resolve *r)
{
	if (!r)
		return;
	r->cancelled = true;
	if (r->req)
		evdns_getaddrinfo_cancel(r->req); /* calls back: frees r */
}

int tp_send(struct tp_layer *tl, const struct tp_addr *dst, const char *buf,
            size_t len)
{
	if (dst->conn) {
		struct tp_conn *c = dst->conn;
		if (!c->open || !c->ready || c->closing)
			return -1;
		if (bufferevent_write(c->bev, buf, len) < 0)
			return -1;
		tl->st.msgs_out++;
		if (tl->tap)
			tap(tl, true, c->transport, &c->local, &c->addr.addr,
			    buf, len, NULL);
		return 0;
	}
	int fd = dst->udp_fd;
	if (fd < 0) {
		for (unsigned i = 0; i < tl->nls; i++) {
			if (tl->ls[i].transport == SIP_TP_UDP &&
			    tl->ls[i].family == dst->addr.ss_family) {
				fd = tl->ls[i].fd;
				break;
			}
		}
	}
	if (fd < 0)
		return -1;
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)&dst->addr,
	           dst->addrlen) < 0)
		return -1;
	tl->st.msgs_out++;
	if (tl->tap)
		tap(tl, true, SIP_TP_UDP, udp_local(tl, fd), &dst->addr, buf,
		    len, NULL);
	return 0;
}

/* --- layer -------------------------------------------------------------- */

struct tp_layer *tp_layer_new(struct event_base *base,
                              const struct tp_limits *lim, tp_recv_h *recv,
                              tp_bad_h *bad, void *arg)
{
	struct tp_layer *tl = calloc(1, sizeof(*tl));

	if (!tl)
		return NULL;
	tl->base = base;
	tl->lim = lim ? *lim : TP_LIMITS_DEFAULT;
	if (tl->lim.sip.max_headers > PARSE_HDRS)
		tl->lim.sip.max_headers = PARSE_HDRS;
	if (tl->lim.sip.max_msg_size > sizeof(tl->udp_buf) - 1)
		tl->lim.sip.max_msg_size = sizeof(tl->udp_buf) - 1;
	tl->recv = recv;
	tl->bad = bad;
	tl->arg = arg;
	tl->dns =
	        evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	                                     EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!tl->dns)
		tl->dns = evdns_base_new(base, 0);
	if (!tl->dns) {
		free(tl);
		return NULL;
	}
	return tl;
}

void tp_layer_free(struct tp_layer *tl)
{
	if (!tl)
		return;
	while (tl->conns)
		conn_close_now(tl->conns, "shutting down");
	for (unsigned i = 0; i < tl->nls; i++) {
		struct listener *l = &tl->ls[i];
		if (l->lev)
			evconnlistener_free(l->lev);
		if (l->ev) {
			event_free(l->ev);
			close(l->fd);
		}
		if (l->tls)
			tls_profile_unref(l->tls);
	}
	for (unsigned i = 0; i < SRC_BUCKETS; i++) {
		while (tl->src[i]) {
			struct src_count *s = tl->src[i];
			tl->src[i] = s->next;
			free(s);
		}
	}
	evdns_base_free(tl->dns, 0);
	free(tl);
}

void tp_layer_set_closed(struct tp_layer *tl, tp_closed_h *h, void *arg)
{
	tl->closed = h;
	tl->closed_arg = arg;
}

void tp_layer_set_tap(struct tp_layer *tl, tp_tap_h *h, void *arg)
{
	tl->tap = h;
	tl->tap_arg = arg;
}

const struct tp_stats *tp_layer_stats(const struct tp_layer *tl)
{
	return &tl->st;
}

uint32_t tp_layer_conn_count(const struct tp_layer *tl)
{
	return tl->nconns;
}
