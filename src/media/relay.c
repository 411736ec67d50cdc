/* relay.c: the media relay engine (see relay.h).
 *
 * Ownership: an engine owns its endpoints' sockets, events and the batch
 * buffers; an endpoint owns its SRTP contexts and ICE strings; linked
 * endpoints point at each other (mep_free unlinks). Everything belongs
 * to the engine's event loop thread; nothing here locks.
 *
 * The packet path, per readable socket: recvmmsg up to `batch` datagrams
 * into the engine's buffers (at most ROUNDS batches per callback, so one
 * busy socket cannot starve the others: the event is level-triggered and
 * comes back); each datagram goes through fixed stages (demux by first
 * byte, RFC 7983 -> source check / latch -> direction -> SRTP unprotect
 * -> rx statistics -> partner check -> payload type map -> SRTP protect),
 * transformed in place, and what is to leave is sent with sendmmsg, one
 * call per destination socket, in arrival order.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */

#include "media/relay.h"
#include "base/clock.h"
#include "media/stun.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PKT_MAX   1500                         /* longest datagram taken */
#define PKT_CAP   (PKT_MAX + SRTP_MAX_TRAILER) /* room to protect it */
#define MAX_BATCH 64
#define DEF_BATCH 32
#define ROUNDS    4         /* batches per callback at most */
#define SOCK_BUF  (1 << 20) /* SO_RCVBUF / SO_SNDBUF asked for */
#define TOS_EF    0xb8      /* DSCP 46 (EF) << 2 */
#define ICE_MAX   256       /* longest ufrag / pwd taken */

/* RFC 3550 A.1 */
#define SEQ_MOD      (1u << 16)
#define MAX_DROPOUT  3000
#define MAX_MISORDER 100

enum { RTP = 0, RTCP = 1 }; /* socket / address index */

enum out_kind { OUT_NONE = 0, OUT_RTP, OUT_RTCP, OUT_STUN };

/* An IPv4 or IPv6 address; len 0: unset. */
union sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};
struct addr {
	union sa u;
	socklen_t len;
};

struct msock {
	int fd;
	struct event *ev;
	struct mep *m;
	uint8_t idx; /* RTP or RTCP */
};

/* Receive statistics of the peer's current RTP source. */
struct rx_seq {
	bool init;
	bool have_transit;
	uint16_t max_seq;
	uint32_t ssrc;
	uint32_t cycles; /* sequence wraps, times SEQ_MOD */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t transit;
	uint64_t received;
	uint64_t lost_before; /* from earlier sources / restarts */
	uint64_t jitter;      /* RFC 3550 A.8 estimate x 16, RTP units */
};

struct mep {
	struct media_engine *e;
	struct mep *prev, *next; /* the engine's live list */
	struct mep *partner;
	uint32_t pair;
	uint16_t port;
	bool recv; /* the peer may send */
	bool mux;  /* the peer does rtcp-mux */
	bool has_map;
	uint32_t hz;
	struct msock s[2];
	struct addr sdp[2];     /* the peer's RTP and RTCP address (SDP) */
	struct addr latch[2];   /* where the peer sends from, once seen */
	struct addr checked[2]; /* a verified STUN check's source */
	struct srtp_ctx *rx, *tx;
	char *ufrag, *pwd;
	struct rx_seq seq;
	struct mep_stats st;
	uint8_t pt[128]; /* payload type map toward the peer */
};

/* One datagram's way out, decided by process(). */
struct out {
	struct msock *s; /* NULL: nothing to send */
	union sa *to;
	socklen_t tolen;
	uint16_t len;
	uint8_t kind;
};

struct media_engine {
	struct event_base *eb;
	int af;
	uint16_t first; /* first even port of the pool */
	uint32_t batch;
	union sa bind;
	socklen_t bind_len;
	bool dual; /* AF_INET6 on ::: IPv4 peers reached v4-mapped */

	/* free port pairs: a FIFO ring of pair indexes; taking from the
	 * head and giving back at the tail cycles through the range */
	uint32_t npairs, head, nfree;
	uint32_t *ring;

	struct mep *live;
	uint32_t n_live;
	struct mep_stats gone; /* totals of freed endpoints */

	/* the batch: receive headers, sources, outputs, send headers */
	struct mmsghdr rx[MAX_BATCH];
	struct iovec riov[MAX_BATCH];
	union sa from[MAX_BATCH];
	struct out out[MAX_BATCH];
	struct mmsghdr tx[MAX_BATCH];
	struct iovec tiov[MAX_BATCH];
	uint8_t txi[MAX_BATCH];
	uint8_t buf[MAX_BATCH][PKT_CAP];
};

/* time */

/* now in RTP clock units of rate hz (mod 2^32, as RTP timestamps) */
static uint32_t rtp_clock(int64_t us, uint32_t hz)
{
	uint64_t s = (uint64_t)us / 1000000, f = (uint64_t)us % 1000000;
	return (uint32_t)(s * hz + f * hz / 1000000);
}

/* addresses */

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0xff, 0xff};

static uint16_t sa_port(const union sa *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port
	                                         : a->in.sin_port);
}

static void sa_set_port(union sa *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
	else
		a->in.sin_port = htons(port);
}

static bool same_ip(const union sa *a, const union sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16);
}

static bool same_addr(const union sa *a, const union sa *b)
{
	if (a->sa.sa_family == AF_INET && b->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return same_ip(a, b) && a->in6.sin6_port == b->in6.sin6_port;
}

/* An address as the engine's sockets see it: IPv4 v4-mapped on an IPv6
 * engine, v4-mapped unmapped on an IPv4 one. false: not IPv4 or IPv6. */
static bool norm_addr(const struct media_engine *e, const struct sockaddr *sa,
                      socklen_t len, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 =
		        (const struct sockaddr_in *)(const void *)sa;
		if (e->af == AF_INET6) {
			out->u.in6.sin6_family = AF_INET6;
			out->u.in6.sin6_port = s4->sin_port;
			memcpy(out->u.in6.sin6_addr.s6_addr, v4mapped_prefix,
			       12);
			memcpy(out->u.in6.sin6_addr.s6_addr + 12, &s4->sin_addr,
			       4);
			out->len = sizeof(struct sockaddr_in6);
		} else {
			out->u.in.sin_family = AF_INET;
			out->u.in.sin_port = s4->sin_port;
			out->u.in.sin_addr = s4->sin_addr;
			out->len = sizeof(struct sockaddr_in);
		}
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 =
		        (const struct sockaddr_in6 *)(const void *)sa;
		const uint8_t *a = s6->sin6_addr.s6_addr;
		if (e->af == AF_INET && !memcmp(a, v4mapped_prefix, 12)) {
			out->u.in.sin_family = AF_INET;
			out->u.in.sin_port = s6->sin6_port;
			memcpy(&out->u.in.sin_addr, a + 12, 4);
			out->len = sizeof(struct sockaddr_in);
		} else {
			out->u.in6.sin6_family = AF_INET6;
			out->u.in6.sin6_port = s6->sin6_port;
			out->u.in6.sin6_addr = s6->sin6_addr;
			out->u.in6.sin6_scope_id = s6->sin6_scope_id;
			out->len = sizeof(struct sockaddr_in6);
		}
		return true;
	}
	return false;
}

/* For people: a v4-mapped address as the IPv4 address it is. */
static void addr_export(const struct addr *a, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (!a->len)
		return;
	if (a->u.sa.sa_family == AF_INET6 &&
	    !memcmp(a->u.in6.sin6_addr.s6_addr, v4mapped_prefix, 12)) {
		struct sockaddr_in s4;
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_port = a->u.in6.sin6_port;
		memcpy(&s4.sin_addr, a->u.in6.sin6_addr.s6_addr + 12, 4);
		memcpy(out, &s4, sizeof(s4));
		return;
	}
	memcpy(out, &a->u, a->len);
}

/* RTP receive statistics (RFC 3550 A.1, A.3, A.8) */

static uint64_t seq_lost(const struct rx_seq *q)
{
	if (!q->init)
		return q->lost_before;
	uint64_t ext = (uint64_t)q->cycles + q->max_seq;
	uint64_t expected = ext - q->base_seq + 1;
	return q->lost_before +
	       (expected > q->received ? expected - q->received : 0);
}

/* A new source (or a restarted one): what the old one lost is kept. */
static void seq_start(struct rx_seq *q, uint32_t ssrc, uint16_t seq,
                      bool new_source)
{
	q->lost_before = seq_lost(q);
	q->init = true;
	q->ssrc = ssrc;
	q->max_seq = seq;
	q->cycles = 0;
	q->base_seq = seq;
	q->bad_seq = SEQ_MOD + 1;
	q->received = 0;
	q->have_transit = false;
	if (new_source)
		q->jitter = 0;
}

/* A.1 without probation (the peer is known and latched); false: the
 * packet is not counted (a large jump, until confirmed). */
static bool seq_update(struct rx_seq *q, uint32_t ssrc, uint16_t seq)
{
	if (!q->init || ssrc != q->ssrc) {
		seq_start(q, ssrc, seq, true);
	} else {
		uint16_t udelta = (uint16_t)(seq - q->max_seq);
		if (udelta < MAX_DROPOUT) {
			if (seq < q->max_seq)
				q->cycles += SEQ_MOD;
			q->max_seq = seq;
		} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
			if (seq != q->bad_seq) {
				q->bad_seq = (seq + 1) & (SEQ_MOD - 1);
				return false;
			}
			/* two in a row: the sender restarted */
			seq_start(q, ssrc, seq, false);
		}
		/* else a duplicate or a reordered packet */
	}
	q->received++;
	return true;
}

/* A.8: arrival and ts in RTP units. */
static void jitter_update(struct rx_seq *q, uint32_t arrival, uint32_t ts)
{
	uint32_t transit = arrival - ts;
	if (q->have_transit) {
		uint32_t d = transit - q->transit;
		if (d & 0x80000000u)
			d = 0u - d;
		/* J += (|D| - J) / 16, J kept times 16; never negative:
		 * (J + 8) >> 4 <= J for every J */
		q->jitter = q->jitter + d - ((q->jitter + 8) >> 4);
	}
	q->transit = transit;
	q->have_transit = true;
}

static uint32_t jitter_us(const struct rx_seq *q, uint32_t hz)
{
	uint64_t us = q->jitter * 1000000 / 16 / (hz ? hz : 8000);
	return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void stats_add(struct mep_stats *t, const struct mep_stats *s)
{
	t->rx_packets += s->rx_packets;
	t->rx_bytes += s->rx_bytes;
	t->rx_rtcp += s->rx_rtcp;
	t->tx_packets += s->tx_packets;
	t->tx_bytes += s->tx_bytes;
	t->tx_rtcp += s->tx_rtcp;
	t->stun += s->stun;
	t->lost += s->lost;
	for (int i = 0; i < MEP_DROP_COUNT; i++)
		t->drops[i] += s->drops[i];
	if (s->jitter_us > t->jitter_us)
		t->jitter_us = s->jitter_us;
	if (s->last_rx_ms > t->last_rx_ms)
		t->last_rx_ms = s->last_rx_ms;
}

/* the port pool */

static uint32_t ring_pop(struct media_engine *e)
{
	uint32_t p = e->ring[e->head];
	e->head = e->head + 1 == e->npairs ? 0 : e->head + 1;
	e->nfree--;
	return p;
}

static void ring_push(struct media_engine *e, uint32_t pair)
{
	uint32_t at = e->head + e->nfree;
	if (at >= e->npairs)
		at -= e->npairs;
	e->ring[at] = pair;
	e->nfree++;
}

struct media_engine *media_engine_new(struct event_base *eb,
                                      const struct media_engine_cfg *cfg)
{
	if (!eb || !cfg || cfg->port_min == 0 ||
	    cfg->port_max < cfg->port_min) {
		errno = EINVAL;
		return NULL;
	}
	int af = cfg->bind.ss_family;
	if (af != AF_INET && af != AF_INET6) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	uint32_t first = cfg->port_min + (cfg->port_min & 1u);
	if (first + 1 > cfg->port_max) {
		errno = EINVAL;
		return NULL;
	}
	struct media_engine *e = calloc(1, sizeof(*e));
	if (!e) {
		errno = ENOMEM;
		return NULL;
	}
	e->eb = eb;
	e->af = af;
	e->first = (uint16_t)first;
	e->npairs = (cfg->port_max - first + 1) / 2;
	e->batch = cfg->batch ? cfg->batch : DEF_BATCH;
	if (e->batch > MAX_BATCH)
		e->batch = MAX_BATCH;
	e->ring = malloc(e->npairs * sizeof(*e->ring));
	if (!e->ring) {
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < e->npairs; i++)
		e->ring[i] = i;
	e->nfree = e->npairs;

	if (af == AF_INET) {
		memcpy(&e->bind.in, &cfg->bind, sizeof(e->bind.in));
		e->bind_len = sizeof(e->bind.in);
	} else {
		memcpy(&e->bind.in6, &cfg->bind, sizeof(e->bind.in6));
		e->bind_len = sizeof(e->bind.in6);
		e->dual = IN6_IS_ADDR_UNSPECIFIED(&e->bind.in6.sin6_addr);
	}

	for (uint32_t i = 0; i < MAX_BATCH; i++) {
		e->riov[i].iov_base = e->buf[i];
		e->riov[i].iov_len = PKT_MAX;
		e->rx[i].msg_hdr.msg_name = &e->from[i];
		e->rx[i].msg_hdr.msg_iov = &e->riov[i];
		e->rx[i].msg_hdr.msg_iovlen = 1;
		e->tx[i].msg_hdr.msg_iov = &e->tiov[i];
		e->tx[i].msg_hdr.msg_iovlen = 1;
	}
	return e;
}

void media_engine_free(struct media_engine *e)
{
	if (!e)
		return;
	while (e->live) /* the caller should have; do not leak sockets */
		mep_free(e->live);
	free(e->ring);
	free(e);
}

uint32_t media_engine_free_pairs(const struct media_engine *e)
{
	return e ? e->nfree : 0;
}

uint32_t media_engine_endpoints(const struct media_engine *e)
{
	return e ? e->n_live : 0;
}

void media_engine_totals(const struct media_engine *e, struct mep_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!e)
		return;
	stats_add(out, &e->gone);
	for (const struct mep *m = e->live; m; m = m->next) {
		struct mep_stats s;
		mep_stats(m, &s);
		stats_add(out, &s);
	}
}

/* sockets */

static void sock_tune(const struct media_engine *e, int fd)
{
	int v = SOCK_BUF;
	/* best effort: FORCE needs CAP_NET_ADMIN, the plain one is capped
	 * at net.core.[rw]mem_max */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	v = TOS_EF;
	if (e->af == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v));
		if (e->dual) /* v4-mapped traffic */
			(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v));
	} else {
		(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v));
	}
}

/* A bound, non-blocking UDP socket on port; -errno on failure. */
static int sock_open(const struct media_engine *e, uint16_t port)
{
	int fd = socket(e->af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (e->dual) {
		int off = 0;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		                 sizeof(off));
	}
	union sa a = e->bind;
	sa_set_port(&a, port);
	if (bind(fd, &a.sa, e->bind_len) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	sock_tune(e, fd);
	return fd;
}

static void on_read(evutil_socket_t fd, short what, void *arg);

/* Both sockets of a pair, with their events; 0 or an errno. */
static int pair_open(struct mep *m, uint16_t port)
{
	struct media_engine *e = m->e;
	for (int i = 0; i < 2; i++) {
		int fd = sock_open(e, (uint16_t)(port + i));
		if (fd < 0) {
			if (i)
				close(m->s[0].fd);
			m->s[0].fd = -1;
			return -fd;
		}
		m->s[i].fd = fd;
	}
	for (int i = 0; i < 2; i++) {
		m->s[i].m = m;
		m->s[i].idx = (uint8_t)i;
		m->s[i].ev = event_new(e->eb, m->s[i].fd, EV_READ | EV_PERSIST,
		                       on_read, &m->s[i]);
		if (!m->s[i].ev || event_add(m->s[i].ev, NULL) < 0) {
			for (int j = 0; j < 2; j++) {
				if (m->s[j].ev)
					event_free(m->s[j].ev);
				m->s[j].ev = NULL;
				close(m->s[j].fd);
				m->s[j].fd = -1;
			}
			return ENOMEM;
		}
	}
	return 0;
}

struct mep *mep_new(struct media_engine *e)
{
	if (!e) {
		errno = EINVAL;
		return NULL;
	}
	struct mep *m = calloc(1, sizeof(*m));
	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	m->e = e;
	m->recv = true;
	m->hz = 8000;
	m->s[0].fd = m->s[1].fd = -1;

	int err = EADDRINUSE;
	for (uint32_t tries = e->nfree; tries; tries--) {
		uint32_t pair = ring_pop(e);
		uint16_t port = (uint16_t)(e->first + 2 * pair);
		int r = pair_open(m, port);
		if (!r) {
			m->pair = pair;
			m->port = port;
			m->next = e->live;
			if (e->live)
				e->live->prev = m;
			e->live = m;
			e->n_live++;
			return m;
		}
		/* in use by someone else (or refused): back at the end of
		 * the ring, tried again after every other pair */
		ring_push(e, pair);
		if (r != EADDRINUSE && r != EACCES) {
			err = r;
			break;
		}
	}
	free(m);
	errno = err;
	return NULL;
}

void mep_free(struct mep *m)
{
	if (!m)
		return;
	struct media_engine *e = m->e;
	mep_link(m, NULL);
	for (int i = 0; i < 2; i++) {
		if (m->s[i].ev)
			event_free(m->s[i].ev);
		if (m->s[i].fd >= 0)
			close(m->s[i].fd);
	}
	ring_push(e, m->pair);

	struct mep_stats s;
	mep_stats(m, &s);
	s.jitter_us = 0; /* a gone stream has no jitter now */
	stats_add(&e->gone, &s);

	if (m->prev)
		m->prev->next = m->next;
	else
		e->live = m->next;
	if (m->next)
		m->next->prev = m->prev;
	e->n_live--;

	srtp_ctx_free(m->rx);
	srtp_ctx_free(m->tx);
	free(m->ufrag);
	if (m->pwd) {
		OPENSSL_cleanse(m->pwd, strlen(m->pwd));
		free(m->pwd);
	}
	free(m);
}

uint16_t mep_port(const struct mep *m)
{
	return m ? m->port : 0;
}

/* configuration */

void mep_set_remote(struct mep *m, const struct sockaddr *rtp, socklen_t len,
                    uint16_t rtcp_port, bool rtcp_mux)
{
	if (!m)
		return;
	struct addr a;
	m->mux = rtcp_mux;
	if (!norm_addr(m->e, rtp, len, &a)) {
		/* no address: nothing is taken until one is set */
		memset(m->sdp, 0, sizeof(m->sdp));
		memset(m->latch, 0, sizeof(m->latch));
		memset(m->checked, 0, sizeof(m->checked));
		return;
	}
	struct addr c = a;
	sa_set_port(&c.u,
	            rtcp_port ? rtcp_port : (uint16_t)(sa_port(&a.u) + 1));
	bool new_rtp = !m->sdp[RTP].len || !same_addr(&m->sdp[RTP].u, &a.u);
	bool new_rtcp = !m->sdp[RTCP].len || !same_addr(&m->sdp[RTCP].u, &c.u);
	m->sdp[RTP] = a;
	m->sdp[RTCP] = c;
	if (new_rtp) { /* a new peer: learn it again */
		memset(m->latch, 0, sizeof(m->latch));
		memset(m->checked, 0, sizeof(m->checked));
	} else if (new_rtcp) {
		memset(&m->latch[RTCP], 0, sizeof(m->latch[RTCP]));
		memset(&m->checked[RTCP], 0, sizeof(m->checked[RTCP]));
	}
}

void mep_set_rx_srtp(struct mep *m, struct srtp_ctx *ctx)
{
	if (!m) {
		srtp_ctx_free(ctx);
		return;
	}
	if (m->rx != ctx)
		srtp_ctx_free(m->rx);
	m->rx = ctx;
}

void mep_set_tx_srtp(struct mep *m, struct srtp_ctx *ctx)
{
	if (!m) {
		srtp_ctx_free(ctx);
		return;
	}
	if (m->tx != ctx)
		srtp_ctx_free(m->tx);
	m->tx = ctx;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

int mep_set_ice(struct mep *m, const char *local_ufrag, const char *local_pwd)
{
	if (!m) {
		errno = EINVAL;
		return -1;
	}
	char *u = NULL, *p = NULL;
	if (local_ufrag) {
		if (!*local_ufrag || !local_pwd || !*local_pwd ||
		    strlen(local_ufrag) > ICE_MAX ||
		    strlen(local_pwd) > ICE_MAX) {
			errno = EINVAL;
			return -1;
		}
		u = dup_str(local_ufrag);
		p = dup_str(local_pwd);
		if (!u || !p) {
			free(u);
			free(p);
			errno = ENOMEM;
			return -1;
		}
	}
	free(m->ufrag);
	if (m->pwd) {
		OPENSSL_cleanse(m->pwd, strlen(m->pwd));
		free(m->pwd);
	}
	m->ufrag = u;
	m->pwd = p;
	return 0;
}

void mep_link(struct mep *a, struct mep *b)
{
	if (!a || a == b)
		return;
	if (a->partner && a->partner != b)
		a->partner->partner = NULL;
	a->partner = NULL;
	if (!b)
		return;
	if (b->partner && b->partner != a)
		b->partner->partner = NULL;
	a->partner = b;
	b->partner = a;
}

void mep_map_pt(struct mep *m, uint8_t from, uint8_t to)
{
	if (!m)
		return;
	from &= 0x7f;
	to &= 0x7f;
	if (!m->has_map)
		for (unsigned i = 0; i < 128; i++)
			m->pt[i] = (uint8_t)i;
	m->pt[from] = to;
	m->has_map = false;
	for (unsigned i = 0; i < 128; i++)
		if (m->pt[i] != i)
			m->has_map = true;
}

void mep_set_recv(struct mep *m, bool allowed)
{
	if (m)
		m->recv = allowed;
}

void mep_set_clock_rate(struct mep *m, uint32_t hz)
{
	if (!m)
		return;
	if (!hz)
		hz = 8000;
	if (hz != m->hz) {
		/* the estimate so far, in the new clock's units */
		m->seq.jitter = m->seq.jitter * hz / m->hz;
		m->hz = hz;
		m->seq.have_transit = false;
	}
}

void mep_stats(const struct mep *m, struct mep_stats *out)
{
	if (!m) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = m->st;
	out->lost = seq_lost(&m->seq);
	out->jitter_us = jitter_us(&m->seq, m->hz);
	out->latched = m->latch[RTP].len != 0;
	addr_export(&m->latch[RTP], &out->latched_addr);
}

/* the packet path */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static enum mep_drop srtp_drop(enum srtp_result r)
{
	switch (r) {
	case SRTP_ERR_AUTH:
		return MEP_DROP_SRTP_AUTH;
	case SRTP_ERR_REPLAY:
		return MEP_DROP_SRTP_REPLAY;
	default:
		return MEP_DROP_MALFORMED;
	}
}

/* A STUN binding request: answered from the socket it came in on. A
 * verified check's source may latch (the next media from it does); one
 * with USE-CANDIDATE (the controlling agent's nomination) latches now. */
static void stun_in(struct mep *m, struct msock *s, uint8_t *p, size_t len,
                    union sa *src, socklen_t srclen, struct out *o)
{
	struct stun_msg sm;
	uint8_t resp[STUN_MAX_RESPONSE];
	size_t n = 0;

	if (m->ufrag &&
	    stun_check_request(p, len, m->ufrag, m->pwd, &sm) == STUN_OK)
		n = stun_binding_success(resp, sizeof(resp), sm.tid, &src->sa,
		                         (const uint8_t *)m->pwd,
		                         strlen(m->pwd));
	if (!n) {
		m->st.drops[MEP_DROP_STUN]++;
		return;
	}
	struct addr *l = &m->latch[s->idx], *c = &m->checked[s->idx];
	if (sm.use_candidate) {
		memcpy(&l->u, src, sizeof(*src));
		l->len = srclen;
	} else if (!l->len) {
		memcpy(&c->u, src, sizeof(*src));
		c->len = srclen;
	}
	memcpy(p, resp, n);
	m->st.stun++;
	o->s = s;
	o->to = src;
	o->tolen = srclen;
	o->len = (uint16_t)n;
	o->kind = OUT_STUN;
}

static void process(struct media_engine *e, struct mep *m, struct msock *s,
                    unsigned i, uint32_t now_rtp, int64_t now_ms)
{
	struct mmsghdr *h = &e->rx[i];
	uint8_t *p = e->buf[i];
	size_t len = h->msg_len;
	size_t wire = len;
	union sa *src = &e->from[i];
	socklen_t srclen = h->msg_hdr.msg_namelen;
	struct out *o = &e->out[i];
	enum mep_drop why;

	o->s = NULL;
	if (len < 2 || (h->msg_hdr.msg_flags & MSG_TRUNC) ||
	    srclen > sizeof(*src))
		goto malformed;
	uint8_t b0 = p[0];
	if (b0 <= 3) { /* RFC 7983: STUN */
		stun_in(m, s, p, len, src, srclen, o);
		return;
	}
	if (b0 < 128 || b0 > 191)
		goto malformed;
	/* RTCP: everything on the RTCP socket; on the RTP socket with mux,
	 * packet types 192-223 (RFC 5761 4) */
	bool rtcp = s->idx == RTCP || (m->mux && p[1] >= 192 && p[1] <= 223);
	if (len < (rtcp ? 8u : 12u))
		goto malformed;

	/* the source: the latched address, or (before latching) the IP
	 * the SDP named, any port, or a verified STUN check's source */
	struct addr *l = &m->latch[s->idx];
	bool latch_now = false;
	if (l->len) {
		if (!same_addr(&l->u, src)) {
			why = MEP_DROP_FOREIGN;
			goto drop;
		}
	} else if ((m->sdp[RTP].len && same_ip(&m->sdp[RTP].u, src)) ||
	           (m->checked[s->idx].len &&
	            same_addr(&m->checked[s->idx].u, src))) {
		latch_now = true;
	} else {
		/* before the peer's SDP arrived (a peer may send as it sends
		 * its answer), nobody is foreign yet: early, not foreign */
		why = m->sdp[RTP].len ? MEP_DROP_FOREIGN : MEP_DROP_UNLINKED;
		goto drop;
	}
	/* on hold RTP is dropped; RTCP still flows (RFC 3264 5.1) */
	if (!m->recv && !rtcp) {
		why = MEP_DROP_HOLD;
		goto drop;
	}
	if (m->rx) {
		enum srtp_result r = rtcp ? srtcp_unprotect(m->rx, p, &len)
		                          : srtp_unprotect(m->rx, p, &len);
		if (r != SRTP_OK) {
			why = srtp_drop(r);
			goto drop;
		}
	}
	/* accepted: it is the peer */
	if (latch_now) {
		memcpy(&l->u, src, sizeof(*src));
		l->len = srclen;
	}
	m->st.last_rx_ms = now_ms;
	if (rtcp) {
		m->st.rx_rtcp++;
	} else {
		m->st.rx_packets++;
		m->st.rx_bytes += wire;
		if (seq_update(&m->seq, rd32(p + 8), rd16(p + 2)))
			jitter_update(&m->seq, now_rtp, rd32(p + 4));
	}

	/* out of the partner, toward its peer */
	struct mep *y = m->partner;
	if (!y || !y->sdp[RTP].len) {
		why = MEP_DROP_UNLINKED;
		goto drop;
	}
	int oi = rtcp && !y->mux ? RTCP : RTP;
	struct addr *to = y->latch[oi].len ? &y->latch[oi] : &y->sdp[oi];
	if (!rtcp && y->has_map)
		p[1] = (uint8_t)((p[1] & 0x80) | y->pt[p[1] & 0x7f]);
	if (y->tx) {
		enum srtp_result r =
		        rtcp ? srtcp_protect(y->tx, p, &len, PKT_CAP)
		             : srtp_protect(y->tx, p, &len, PKT_CAP);
		if (r != SRTP_OK) {
			y->st.drops[MEP_DROP_SEND]++;
			return;
		}
	}
	o->s = &y->s[oi];
	o->to = &to->u;
	o->tolen = to->len;
	o->len = (uint16_t)len;
	o->kind = rtcp ? OUT_RTCP : OUT_RTP;
	return;

malformed:
	why = MEP_DROP_MALFORMED;
drop:
	m->st.drops[why]++;
}

static void sent(struct mep *m, const struct out *o)
{
	if (o->kind == OUT_RTP) {
		m->st.tx_packets++;
		m->st.tx_bytes += o->len;
	} else if (o->kind == OUT_RTCP) {
		m->st.tx_rtcp++;
	}
}

/* Sends outputs [0, n) that leave through s, in order. */
static void send_to(struct media_engine *e, struct msock *s, unsigned n)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		struct out *o = &e->out[i];
		if (o->s != s)
			continue;
		struct msghdr *mh = &e->tx[k].msg_hdr;
		mh->msg_name = o->to;
		mh->msg_namelen = o->tolen;
		e->tiov[k].iov_base = e->buf[i];
		e->tiov[k].iov_len = o->len;
		e->txi[k] = (uint8_t)i;
		k++;
	}
	unsigned done = 0;
	while (done < k) {
		int r = sendmmsg(s->fd, e->tx + done, k - done, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* a full socket buffer: the rest waits no better;
			 * another error: that one datagram is lost */
			unsigned lost = errno == EAGAIN || errno == EWOULDBLOCK
			                        ? k - done
			                        : 1;
			s->m->st.drops[MEP_DROP_SEND] += lost;
			done += lost;
			continue;
		}
		for (unsigned j = done; j < done + (unsigned)r; j++)
			sent(s->m, &e->out[e->txi[j]]);
		done += (unsigned)r;
	}
	for (unsigned i = 0; i < n; i++)
		if (e->out[i].s == s)
			e->out[i].s = NULL;
}

static void flush(struct media_engine *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (e->out[i].s)
			send_to(e, e->out[i].s, n);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct msock *s = arg;
	struct mep *m = s->m;
	struct media_engine *e = m->e;
	(void)what;

	for (int round = 0; round < ROUNDS; round++) {
		for (unsigned i = 0; i < e->batch; i++) {
			e->rx[i].msg_hdr.msg_namelen = sizeof(e->from[i]);
			e->rx[i].msg_hdr.msg_flags = 0;
			e->riov[i].iov_len = PKT_MAX;
		}
		int n = recvmmsg(fd, e->rx, e->batch, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break; /* EAGAIN: drained; an error: next time */
		int64_t us = (int64_t)tb_mono_us();
		uint32_t now_rtp = rtp_clock(us, m->hz);
		for (unsigned i = 0; i < (unsigned)n; i++)
			process(e, m, s, i, now_rtp, us / 1000);
		flush(e, (unsigned)n);
		if ((unsigned)n < e->batch)
			break;
	}
}
