/* test_relay.c: the media relay engine (src/media/relay.c) on a real
 * libevent base, bound to 127.0.0.1 with a small pool, two endpoints
 * linked and plain UDP sockets as the two peers. Plain RTP both ways byte
 * for byte; SRTP with libsrtp2 as the peers' crypto (the relay decrypts
 * with the key peer A used and encrypts with the key peer B expects);
 * RTCP with and without rtcp-mux; payload type map; latching and foreign
 * sources; hold; unlinked endpoints; pool rotation, skipping and
 * exhaustion; STUN binding requests answered (the response checked here
 * with OpenSSL's HMAC); RFC 3550 loss and jitter; DSCP EF on what
 * leaves; a dual-stack engine relaying IPv4 to IPv6.
 *
 * The loop is driven with event_base_loop and bounded waits: no test
 * waits more than about two seconds for anything.
 */
/* libsrtp2 first: media/srtp.h then renames our srtp_protect and
 * srtp_unprotect (tb_srtp_*), and libsrtp2's are called here by their
 * unambiguous names (srtp_protect_mki, srtp_unprotect_mki). */
#include <srtp2/srtp.h>

#include "media/relay.h"
#include "media/stun.h"
#include "tests/bytes.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define POOL_PAIRS 4
#define WAIT_MS    2000 /* longest wait for a packet that should come */
#define QUIET_MS   60   /* how long "nothing arrives" is watched */

static uint16_t pool_base;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in s;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

/* A non-blocking UDP socket bound to ip:port (0: any port); -1 on error. */
static int udp_open(const char *ip, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in s = sin_of(ip, port);
	if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static struct sockaddr_in addr_of(int fd)
{
	struct sockaddr_in s;
	socklen_t l = sizeof(s);
	memset(&s, 0, sizeof(s));
	getsockname(fd, (struct sockaddr *)&s, &l);
	return s;
}

static uint16_t port_of(int fd)
{
	return ntohs(addr_of(fd).sin_port);
}

/* A pool of POOL_PAIRS pairs whose ports are free now (tests run in
 * parallel with others: probe, and move on when one is taken). */
static bool find_pool(void)
{
	uint16_t start = (uint16_t)(20000 + (getpid() % 600) * 16);
	for (int t = 0; t < 200; t++) {
		uint16_t base = (uint16_t)(start + t * 16);
		if (base > 32000)
			base = (uint16_t)(20000 + base % 12000 / 16 * 16);
		int fds[2 * POOL_PAIRS];
		int ok = 0;
		for (int i = 0; i < 2 * POOL_PAIRS; i++) {
			fds[i] = udp_open("127.0.0.1", (uint16_t)(base + i));
			if (fds[i] >= 0)
				ok++;
		}
		for (int i = 0; i < 2 * POOL_PAIRS; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		if (ok == 2 * POOL_PAIRS) {
			pool_base = base;
			return true;
		}
	}
	return false;
}

static struct media_engine *engine(struct event_base *eb, uint32_t batch)
{
	struct media_engine_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct sockaddr_in b = sin_of("127.0.0.1", 0);
	memcpy(&cfg.bind, &b, sizeof(b));
	cfg.port_min = pool_base;
	cfg.port_max = (uint16_t)(pool_base + 2 * POOL_PAIRS - 1);
	cfg.batch = batch;
	return media_engine_new(eb, &cfg);
}

/* Runs the loop for about ms milliseconds. */
static void pump(struct event_base *eb, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(eb, &tv);
	event_base_loop(eb, 0);
}

/* One datagram at fd, running the loop meanwhile; -1 after timeout_ms. */
static ssize_t wait_recv(struct event_base *eb, int fd, uint8_t *buf,
                         size_t cap, struct sockaddr_in *from, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	for (;;) {
		event_base_loop(eb, EVLOOP_NONBLOCK);
		struct sockaddr_in f;
		socklen_t fl = sizeof(f);
		ssize_t n = recvfrom(fd, buf, cap, MSG_DONTWAIT,
		                     (struct sockaddr *)&f, &fl);
		if (n >= 0) {
			if (from)
				*from = f;
			return n;
		}
		if (now_ms() >= end)
			return -1;
		struct pollfd pf = {fd, POLLIN, 0};
		poll(&pf, 1, 1);
	}
}

/* Nothing arrives at fd for QUIET_MS (the loop running). */
static bool quiet(struct event_base *eb, int fd)
{
	uint8_t b[2048];
	return wait_recv(eb, fd, b, sizeof(b), NULL, QUIET_MS) < 0;
}

static void drain(int fd)
{
	uint8_t b[2048];
	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0) {
	}
}

static void send_to(int fd, uint16_t port, const void *p, size_t n)
{
	struct sockaddr_in d = sin_of("127.0.0.1", port);
	ssize_t r = sendto(fd, p, n, 0, (struct sockaddr *)&d, sizeof(d));
	CHECK(r == (ssize_t)n);
}

static size_t rtp_make(uint8_t *b, uint8_t pt, bool marker, uint16_t seq,
                       uint32_t ts, uint32_t ssrc, size_t payload)
{
	b[0] = 0x80;
	b[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	put16(b + 2, seq);
	put32(b + 4, ts);
	put32(b + 8, ssrc);
	for (size_t i = 0; i < payload; i++)
		b[12 + i] = (uint8_t)(seq * 7 + i * 13 + (i >> 3));
	return 12 + payload;
}

/* An RTCP sender report (PT 200), 28 bytes. */
static size_t rtcp_make(uint8_t *b, uint32_t ssrc, uint32_t n)
{
	memset(b, 0, 28);
	b[0] = 0x80;
	b[1] = 200;
	put16(b + 2, 6);
	put32(b + 4, ssrc);
	put32(b + 8, 0xe1234567u);
	put32(b + 12, 0x89abcdefu);
	put32(b + 16, 160 * n);
	put32(b + 20, n);
	put32(b + 24, 172 * n);
	return 28;
}

/* Two endpoints linked, each facing a peer with an RTP and an RTCP
 * socket on 127.0.0.1. */
struct lab {
	struct event_base *eb;
	struct media_engine *e;
	struct mep *a, *b;
	int pa, pac, pb, pbc;
};

static void remote(struct mep *m, int rtp_fd, int rtcp_fd, bool mux)
{
	struct sockaddr_in s = addr_of(rtp_fd);
	mep_set_remote(m, (struct sockaddr *)&s, sizeof(s),
	               rtcp_fd >= 0 ? port_of(rtcp_fd) : 0, mux);
}

static bool lab_open(struct lab *L, bool mux_a, bool mux_b, uint32_t batch)
{
	memset(L, 0, sizeof(*L));
	L->eb = event_base_new();
	L->e = L->eb ? engine(L->eb, batch) : NULL;
	L->a = L->e ? mep_new(L->e) : NULL;
	L->b = L->e ? mep_new(L->e) : NULL;
	L->pa = udp_open("127.0.0.1", 0);
	L->pac = udp_open("127.0.0.1", 0);
	L->pb = udp_open("127.0.0.1", 0);
	L->pbc = udp_open("127.0.0.1", 0);
	CHECK(L->a && L->b && L->pa >= 0 && L->pac >= 0 && L->pb >= 0 &&
	      L->pbc >= 0);
	if (!L->a || !L->b || L->pa < 0 || L->pac < 0 || L->pb < 0 ||
	    L->pbc < 0)
		return false;
	remote(L->a, L->pa, L->pac, mux_a);
	remote(L->b, L->pb, L->pbc, mux_b);
	mep_link(L->a, L->b);
	return true;
}

static void lab_close(struct lab *L)
{
	mep_free(L->a);
	mep_free(L->b);
	if (L->e) {
		CHECK_EQ_INT(media_engine_endpoints(L->e), 0);
		CHECK_EQ_INT(media_engine_free_pairs(L->e), POOL_PAIRS);
	}
	media_engine_free(L->e);
	if (L->eb)
		event_base_free(L->eb);
	int fds[4] = {L->pa, L->pac, L->pb, L->pbc};
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Sends p from from_fd to to_port; true when exactly p arrives at
 * rcv_fd from 127.0.0.1:src_port. */
static bool through(struct lab *L, int from_fd, uint16_t to_port, int rcv_fd,
                    uint16_t src_port, const uint8_t *p, size_t n)
{
	uint8_t got[2048];
	struct sockaddr_in f;
	send_to(from_fd, to_port, p, n);
	ssize_t r = wait_recv(L->eb, rcv_fd, got, sizeof(got), &f, WAIT_MS);
	return r == (ssize_t)n && !memcmp(got, p, n) &&
	       ntohs(f.sin_port) == src_port &&
	       f.sin_addr.s_addr == htonl(INADDR_LOOPBACK);
}

static struct mep_stats stats(const struct mep *m)
{
	struct mep_stats s;
	mep_stats(m, &s);
	return s;
}

/* tests */

static void test_engine_args(void)
{
	struct event_base *eb = event_base_new();
	struct media_engine_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct sockaddr_in b = sin_of("127.0.0.1", 0);
	memcpy(&cfg.bind, &b, sizeof(b));

	cfg.port_min = 0;
	cfg.port_max = 100;
	errno = 0;
	CHECK(media_engine_new(eb, &cfg) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	cfg.port_min = 30001; /* first even 30002, no 30003 */
	cfg.port_max = 30002;
	CHECK(media_engine_new(eb, &cfg) == NULL);
	cfg.port_max = 30000;
	CHECK(media_engine_new(eb, &cfg) == NULL);
	cfg.port_max = 30003;
	struct media_engine *e = media_engine_new(eb, &cfg);
	CHECK(e != NULL);
	CHECK_EQ_INT(media_engine_free_pairs(e), 1);
	media_engine_free(e);
	cfg.port_min = 30000;
	cfg.port_max = 30009;
	cfg.batch = 1000; /* clamped */
	e = media_engine_new(eb, &cfg);
	CHECK(e != NULL);
	CHECK_EQ_INT(media_engine_free_pairs(e), 5);
	media_engine_free(e);
	cfg.bind.ss_family = AF_UNIX;
	CHECK(media_engine_new(eb, &cfg) == NULL);
	event_base_free(eb);
}

/* Pairs come in rotation (a just-freed pair is not reused at once), a
 * pair the system has in use is skipped, exhaustion is NULL with
 * EADDRINUSE, freeing gives pairs back. */
static void test_pool(void)
{
	struct event_base *eb = event_base_new();
	struct media_engine *e = engine(eb, 8);
	struct mep *m[POOL_PAIRS + 1];
	CHECK(e != NULL);
	if (!e)
		return;
	CHECK_EQ_INT(media_engine_free_pairs(e), POOL_PAIRS);

	m[0] = mep_new(e);
	CHECK(m[0] != NULL);
	CHECK_EQ_INT(mep_port(m[0]), pool_base);
	CHECK_EQ_INT(media_engine_free_pairs(e), POOL_PAIRS - 1);
	/* really bound: the ports are taken */
	CHECK(udp_open("127.0.0.1", pool_base) < 0);
	CHECK(udp_open("127.0.0.1", (uint16_t)(pool_base + 1)) < 0);
	mep_free(m[0]);
	CHECK_EQ_INT(media_engine_free_pairs(e), POOL_PAIRS);

	/* someone else holds pair 1's RTCP port */
	int blocker = udp_open("127.0.0.1", (uint16_t)(pool_base + 3));
	CHECK(blocker >= 0);
	m[0] = mep_new(e); /* pair 0 was freed last: pair 1 is next, taken */
	CHECK_EQ_INT(mep_port(m[0]), pool_base + 4);
	m[1] = mep_new(e);
	CHECK_EQ_INT(mep_port(m[1]), pool_base + 6);
	m[2] = mep_new(e); /* the cycle comes back to pair 0 */
	CHECK_EQ_INT(mep_port(m[2]), pool_base);
	errno = 0;
	m[3] = mep_new(e); /* only pair 1 is left, and it is in use */
	CHECK(m[3] == NULL);
	CHECK_EQ_INT(errno, EADDRINUSE);
	CHECK_EQ_INT(media_engine_free_pairs(e), 1);
	close(blocker);
	m[3] = mep_new(e);
	CHECK(m[3] != NULL);
	CHECK_EQ_INT(mep_port(m[3]), pool_base + 2);
	errno = 0;
	m[4] = mep_new(e);
	CHECK(m[4] == NULL);
	CHECK_EQ_INT(errno, EADDRINUSE);
	CHECK_EQ_INT(media_engine_free_pairs(e), 0);
	CHECK_EQ_INT(media_engine_endpoints(e), 4);

	mep_free(m[1]);
	CHECK_EQ_INT(media_engine_free_pairs(e), 1);
	m[4] = mep_new(e);
	CHECK(m[4] != NULL);
	CHECK_EQ_INT(mep_port(m[4]), pool_base + 6);
	for (int i = 0; i < 5; i++)
		if (i != 1)
			mep_free(m[i]);
	CHECK_EQ_INT(media_engine_free_pairs(e), POOL_PAIRS);
	CHECK_EQ_INT(media_engine_endpoints(e), 0);
	media_engine_free(e);
	event_base_free(eb);
}

static void test_plain(void)
{
	struct lab L;
	uint8_t p[200];
	if (!lab_open(&L, false, false, 8))
		goto out;
	uint16_t A = mep_port(L.a), B = mep_port(L.b);

	for (uint16_t i = 0; i < 10; i++) {
		size_t n = rtp_make(p, 0, i == 0, (uint16_t)(100 + i),
		                    1000u + 160u * i, 0x11111111, 160);
		CHECK(through(&L, L.pa, A, L.pb, B, p, n));
		n = rtp_make(p, 8, false, (uint16_t)(65530 + i),
		             0xfffff000u + 160u * i, 0x22222222, 80);
		CHECK(through(&L, L.pb, B, L.pa, A, p, n));
	}
	struct mep_stats sa = stats(L.a), sb = stats(L.b);
	CHECK_EQ_INT(sa.rx_packets, 10);
	CHECK_EQ_INT(sa.rx_bytes, 10 * 172);
	CHECK_EQ_INT(sa.tx_packets, 10);
	CHECK_EQ_INT(sa.tx_bytes, 10 * 92);
	CHECK_EQ_INT(sb.rx_packets, 10);
	CHECK_EQ_INT(sb.tx_packets, 10);
	CHECK_EQ_INT(sb.tx_bytes, 10 * 172);
	CHECK_EQ_INT(sa.lost, 0);
	CHECK_EQ_INT(sb.lost, 0); /* across the sequence wrap */
	CHECK(sa.latched && sb.latched);
	struct sockaddr_in want = addr_of(L.pa), got;
	memcpy(&got, &sa.latched_addr, sizeof(got));
	CHECK(got.sin_family == AF_INET && got.sin_port == want.sin_port &&
	      got.sin_addr.s_addr == want.sin_addr.s_addr);
	CHECK(sa.last_rx_ms > 0);
	for (int d = 0; d < MEP_DROP_COUNT; d++)
		CHECK_EQ_INT(sa.drops[d] + sb.drops[d], 0);

	/* not RTP/RTCP/STUN (RFC 7983 ranges), too short */
	static const uint8_t junk[][13] = {
	        {20, 1, 2, 3}, {64, 1, 2, 3}, {200, 1, 2, 3}, {0x80, 0}};
	send_to(L.pa, A, junk[0], 13);
	send_to(L.pa, A, junk[1], 13);
	send_to(L.pa, A, junk[2], 13);
	send_to(L.pa, A, junk[3], 5);
	send_to(L.pa, A, junk[3], 1);
	CHECK(quiet(L.eb, L.pb));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_MALFORMED], 5);

	/* a burst larger than several batches: all of it, in order */
	for (uint16_t i = 0; i < 100; i++) {
		size_t n = rtp_make(p, 0, false, (uint16_t)(110 + i),
		                    2600u + 160u * i, 0x11111111, 160);
		send_to(L.pa, A, p, n);
	}
	int got_n = 0;
	bool order = true;
	uint8_t r[2048];
	while (got_n < 100) {
		ssize_t n = wait_recv(L.eb, L.pb, r, sizeof(r), NULL, WAIT_MS);
		if (n < 0)
			break;
		order &= n == 172 && get16(r + 2) == 110 + got_n;
		got_n++;
	}
	CHECK_EQ_INT(got_n, 100);
	CHECK(order);
	CHECK_EQ_INT(stats(L.a).lost, 0);
out:
	lab_close(&L);
}

static void test_rtcp(void)
{
	struct lab L;
	uint8_t p[200];
	size_t n;

	/* no mux: RTCP port to RTCP port */
	if (lab_open(&L, false, false, 8)) {
		uint16_t A = mep_port(L.a), B = mep_port(L.b);
		n = rtcp_make(p, 0x11111111, 1);
		CHECK(through(&L, L.pac, (uint16_t)(A + 1), L.pbc,
		              (uint16_t)(B + 1), p, n));
		n = rtcp_make(p, 0x22222222, 2);
		CHECK(through(&L, L.pbc, (uint16_t)(B + 1), L.pac,
		              (uint16_t)(A + 1), p, n));
		/* an RTCP-looking packet on the RTP port without mux is
		 * RTP (payload type 72, marker) and goes as RTP */
		n = rtcp_make(p, 0x11111111, 3);
		CHECK(through(&L, L.pa, A, L.pb, B, p, n));
		struct mep_stats sa = stats(L.a), sb = stats(L.b);
		CHECK_EQ_INT(sa.rx_rtcp, 1);
		CHECK_EQ_INT(sa.tx_rtcp, 1);
		CHECK_EQ_INT(sb.rx_rtcp, 1);
		CHECK_EQ_INT(sb.tx_rtcp, 1);
		CHECK_EQ_INT(sa.rx_packets, 1);
	}
	lab_close(&L);

	/* mux both sides: RTCP on the RTP ports, RTP still flows */
	if (lab_open(&L, true, true, 8)) {
		uint16_t A = mep_port(L.a), B = mep_port(L.b);
		n = rtcp_make(p, 0x11111111, 1);
		CHECK(through(&L, L.pa, A, L.pb, B, p, n));
		n = rtp_make(p, 0, false, 1, 160, 0x11111111, 100);
		CHECK(through(&L, L.pa, A, L.pb, B, p, n));
		n = rtcp_make(p, 0x22222222, 1);
		CHECK(through(&L, L.pb, B, L.pa, A, p, n));
		struct mep_stats sa = stats(L.a);
		CHECK_EQ_INT(sa.rx_rtcp, 1);
		CHECK_EQ_INT(sa.rx_packets, 1);
		CHECK_EQ_INT(sa.tx_rtcp, 1);
		CHECK(quiet(L.eb, L.pbc));
	}
	lab_close(&L);

	/* A muxes, B does not: in on A's RTP port, out of B's RTCP port to
	 * B's RTCP address; and back */
	if (lab_open(&L, true, false, 8)) {
		uint16_t A = mep_port(L.a), B = mep_port(L.b);
		n = rtcp_make(p, 0x11111111, 1);
		CHECK(through(&L, L.pa, A, L.pbc, (uint16_t)(B + 1), p, n));
		n = rtcp_make(p, 0x22222222, 1);
		CHECK(through(&L, L.pbc, (uint16_t)(B + 1), L.pa, A, p, n));
	}
	lab_close(&L);
}

static void test_pt_map(void)
{
	struct lab L;
	uint8_t p[200], w[200];
	if (!lab_open(&L, false, false, 8))
		goto out;
	uint16_t A = mep_port(L.a), B = mep_port(L.b);

	mep_map_pt(L.b, 101, 96); /* toward B: 101 goes out as 96 */
	size_t n = rtp_make(p, 101, true, 1, 0, 0x1234, 4);
	memcpy(w, p, n);
	w[1] = 0x80 | 96;
	send_to(L.pa, A, p, n);
	uint8_t r[2048];
	ssize_t got = wait_recv(L.eb, L.pb, r, sizeof(r), NULL, WAIT_MS);
	CHECK(got == (ssize_t)n && !memcmp(r, w, n));
	/* other types untouched; nothing mapped toward A */
	n = rtp_make(p, 0, false, 2, 160, 0x1234, 160);
	CHECK(through(&L, L.pa, A, L.pb, B, p, n));
	n = rtp_make(p, 101, false, 7, 160, 0x9999, 4);
	CHECK(through(&L, L.pb, B, L.pa, A, p, n));
	/* cleared */
	mep_map_pt(L.b, 101, 101);
	n = rtp_make(p, 101, false, 3, 320, 0x1234, 4);
	CHECK(through(&L, L.pa, A, L.pb, B, p, n));
out:
	lab_close(&L);
}

/* Latching: before, only the SDP's IP; after, only the latched
 * address:port, counted; a new SDP address learns again. */
static void test_foreign(void)
{
	struct lab L;
	uint8_t p[200];
	int f2 = udp_open("127.0.0.2", 0), f1 = udp_open("127.0.0.1", 0);
	CHECK(f2 >= 0 && f1 >= 0);
	if (!lab_open(&L, false, false, 8) || f1 < 0 || f2 < 0)
		goto out;
	uint16_t A = mep_port(L.a), B = mep_port(L.b);
	size_t n = rtp_make(p, 0, false, 1, 0, 0x5555, 20);

	send_to(f2, A, p, n); /* not the SDP's IP: never taken */
	CHECK(quiet(L.eb, L.pb));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_FOREIGN], 1);
	CHECK(!stats(L.a).latched);

	n = rtp_make(p, 0, false, 2, 160, 0x1111, 20);
	CHECK(through(&L, L.pa, A, L.pb, B, p, n)); /* latches */
	CHECK(stats(L.a).latched);
	for (uint16_t i = 0; i < 5; i++) {
		/* same IP, other port: foreign now; the peer still flows */
		n = rtp_make(p, 0, false, (uint16_t)(900 + i), 0, 0x6666, 20);
		send_to(f1, A, p, n);
		n = rtp_make(p, 0, false, (uint16_t)(3 + i), 320u + 160u * i,
		             0x1111, 20);
		CHECK(through(&L, L.pa, A, L.pb, B, p, n));
	}
	CHECK(quiet(L.eb, L.pb));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_FOREIGN], 6);
	CHECK_EQ_INT(stats(L.a).rx_packets, 6);
	CHECK_EQ_INT(stats(L.a).lost, 0);

	/* RTCP latches on its own socket: from the SDP's IP, any port */
	n = rtcp_make(p, 0x1111, 1);
	CHECK(through(&L, f1, (uint16_t)(A + 1), L.pbc, (uint16_t)(B + 1), p,
	              n));
	send_to(L.pac, (uint16_t)(A + 1), p, n); /* now the other is foreign */
	CHECK(quiet(L.eb, L.pbc));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_FOREIGN], 7);

	/* a re-INVITE to a new address: the latch is cleared */
	remote(L.a, f1, -1, false);
	CHECK(!stats(L.a).latched);
	n = rtp_make(p, 0, false, 10, 2000, 0x1111, 20);
	CHECK(through(&L, f1, A, L.pb, B, p, n));
	send_to(L.pa, A, p, n);
	CHECK(quiet(L.eb, L.pb));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_FOREIGN], 8);
	/* the same address again: the latch stays */
	remote(L.a, f1, -1, false);
	CHECK(stats(L.a).latched);
out:
	lab_close(&L);
	if (f1 >= 0)
		close(f1);
	if (f2 >= 0)
		close(f2);
}

static void test_hold(void)
{
	struct lab L;
	uint8_t p[200];
	if (!lab_open(&L, false, false, 8))
		goto out;
	uint16_t A = mep_port(L.a), B = mep_port(L.b);
	size_t n;

	mep_set_recv(L.a, false);
	for (uint16_t i = 0; i < 3; i++) {
		n = rtp_make(p, 0, false, i, 160u * i, 0x1111, 20);
		send_to(L.pa, A, p, n);
	}
	CHECK(quiet(L.eb, L.pb));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_HOLD], 3);
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_FOREIGN], 0);
	CHECK_EQ_INT(stats(L.a).rx_packets, 0);
	/* RTCP goes on while on hold (RFC 3264 5.1) */
	n = rtcp_make(p, 0x1111, 1);
	CHECK(through(&L, L.pac, (uint16_t)(A + 1), L.pbc, (uint16_t)(B + 1), p,
	              n));
	/* the other way is not on hold */
	n = rtp_make(p, 0, false, 1, 0, 0x2222, 20);
	CHECK(through(&L, L.pb, B, L.pa, A, p, n));
	mep_set_recv(L.a, true);
	n = rtp_make(p, 0, false, 3, 480, 0x1111, 20);
	CHECK(through(&L, L.pa, A, L.pb, B, p, n));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_HOLD], 3);
out:
	lab_close(&L);
}

static void test_unlinked(void)
{
	struct lab L;
	uint8_t p[200];
	if (!lab_open(&L, false, false, 8))
		goto out;
	uint16_t A = mep_port(L.a), B = mep_port(L.b);
	size_t n = rtp_make(p, 0, false, 1, 0, 0x1111, 20);

	/* the partner has no peer address yet */
	mep_set_remote(L.b, NULL, 0, 0, false);
	send_to(L.pa, A, p, n);
	CHECK(quiet(L.eb, L.pb));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_UNLINKED], 1);
	CHECK_EQ_INT(stats(L.a).rx_packets, 1); /* taken from the peer */
	remote(L.b, L.pb, L.pbc, false);
	n = rtp_make(p, 0, false, 2, 160, 0x1111, 20);
	CHECK(through(&L, L.pa, A, L.pb, B, p, n));

	/* unlinked */
	mep_link(L.a, NULL);
	n = rtp_make(p, 0, false, 3, 320, 0x1111, 20);
	send_to(L.pa, A, p, n);
	send_to(L.pb, B, p, n);
	CHECK(quiet(L.eb, L.pb));
	CHECK(quiet(L.eb, L.pa));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_UNLINKED], 2);
	CHECK_EQ_INT(stats(L.b).drops[MEP_DROP_UNLINKED], 1);

	/* linked again, then the partner freed: unlinked, and the totals
	 * keep what the freed one counted */
	mep_link(L.b, L.a);
	n = rtp_make(p, 0, false, 4, 480, 0x1111, 20);
	CHECK(through(&L, L.pa, A, L.pb, B, p, n));
	mep_free(L.b);
	L.b = NULL;
	n = rtp_make(p, 0, false, 5, 640, 0x1111, 20);
	send_to(L.pa, A, p, n);
	CHECK(quiet(L.eb, L.pb));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_UNLINKED], 3);
	struct mep_stats t;
	media_engine_totals(L.e, &t);
	CHECK_EQ_INT(t.rx_packets, 5 + 1); /* a: 5, b (freed): 1 */
	CHECK_EQ_INT(t.tx_packets, 2);     /* b sent 2 to its peer */
	CHECK_EQ_INT(t.drops[MEP_DROP_UNLINKED], 4);
out:
	lab_close(&L);
}

/* A binding request as an ICE peer sends it. */
static size_t stun_req(uint8_t *out, size_t cap, const uint8_t tid[12],
                       const char *user, const char *pwd, bool use_cand)
{
	static const uint8_t tb[8] = {8, 7, 6, 5, 4, 3, 2, 1};
	static const uint8_t prio[4] = {0x6e, 0, 1, 0xff};
	struct stun_wr w;
	stun_wr_init(&w, out, cap, STUN_BINDING_REQUEST, tid);
	stun_wr_attr(&w, STUN_ATTR_USERNAME, user, strlen(user));
	stun_wr_attr(&w, STUN_ATTR_PRIORITY, prio, 4);
	stun_wr_attr(&w, STUN_ATTR_ICE_CONTROLLING, tb, 8);
	if (use_cand)
		stun_wr_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_wr_integrity(&w, (const uint8_t *)pwd, strlen(pwd));
	stun_wr_fingerprint(&w);
	return stun_wr_done(&w);
}

/* The response, checked here without stun.c: type, transaction id,
 * XOR-MAPPED-ADDRESS = from, MESSAGE-INTEGRITY by OpenSSL's HMAC with
 * pwd, FINGERPRINT by a bitwise CRC-32. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static bool response_ok(const uint8_t *r, size_t n, const uint8_t tid[12],
                        struct sockaddr_in from, const char *pwd)
{
	if (n != 64 || get16(r) != 0x0101 || get16(r + 2) != n - 20 ||
	    get32(r + 4) != 0x2112a442 || memcmp(r + 8, tid, 12))
		return false;
	/* XOR-MAPPED-ADDRESS, IPv4 */
	if (get16(r + 20) != 0x0020 || get16(r + 22) != 8 || r[25] != 1)
		return false;
	uint16_t port = get16(r + 26) ^ 0x2112;
	uint32_t ip = get32(r + 28) ^ 0x2112a442u;
	if (port != ntohs(from.sin_port) || ip != ntohl(from.sin_addr.s_addr))
		return false;
	/* MESSAGE-INTEGRITY over the first 32 bytes, length counting it */
	if (get16(r + 32) != 0x0008 || get16(r + 34) != 20)
		return false;
	uint8_t tmp[32], mac[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	memcpy(tmp, r, 32);
	put16(tmp + 2, 32 - 20 + 24);
	HMAC(EVP_sha1(), pwd, (int)strlen(pwd), tmp, 32, mac, &ml);
	if (ml != 20 || memcmp(mac, r + 36, 20))
		return false;
	return get16(r + 56) == 0x8028 && get16(r + 58) == 4 &&
	       get32(r + 60) == (crc32_bitwise(r, 56) ^ 0x5354554eu);
}

static void test_stun(void)
{
	struct lab L;
	uint8_t q[256], r[2048], p[200];
	const uint8_t tid[12] = {0xa, 0xb, 0xc, 0xd, 1, 2, 3, 4, 5, 6, 7, 8};
	const char *pwd = "Pw0123456789abcdefghijkl";
	int f2 = udp_open("127.0.0.2", 0);
	CHECK(f2 >= 0);
	if (!lab_open(&L, true, false, 8) || f2 < 0)
		goto out;
	uint16_t A = mep_port(L.a), B = mep_port(L.b);
	struct sockaddr_in from;

	/* no ICE on the endpoint: not answered, counted */
	size_t n = stun_req(q, sizeof(q), tid, "uFrA:peer", pwd, false);
	send_to(L.pa, A, q, n);
	CHECK(quiet(L.eb, L.pa));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_STUN], 1);

	CHECK_EQ_INT(mep_set_ice(L.a, "uFrA", pwd), 0);
	send_to(L.pa, A, q, n);
	ssize_t got = wait_recv(L.eb, L.pa, r, sizeof(r), &from, WAIT_MS);
	CHECK(got > 0 && ntohs(from.sin_port) == A);
	CHECK(got > 0 && response_ok(r, (size_t)got, tid, addr_of(L.pa), pwd));
	CHECK_EQ_INT(stats(L.a).stun, 1);
	CHECK(!stats(L.a).latched); /* a check alone does not latch */

	/* from an address the SDP did not name (127.0.0.2): answered, and
	 * media from that checked source latches */
	n = stun_req(q, sizeof(q), tid, "uFrA:peer", pwd, false);
	send_to(f2, A, q, n);
	got = wait_recv(L.eb, f2, r, sizeof(r), &from, WAIT_MS);
	CHECK(got > 0 && response_ok(r, (size_t)got, tid, addr_of(f2), pwd));
	size_t m = rtp_make(p, 0, false, 1, 0, 0x77, 40);
	CHECK(through(&L, f2, A, L.pb, B, p, m));
	struct mep_stats s = stats(L.a);
	CHECK(s.latched);
	struct sockaddr_in la;
	memcpy(&la, &s.latched_addr, sizeof(la));
	CHECK(la.sin_addr.s_addr == htonl(0x7f000002));

	/* a nomination (USE-CANDIDATE) from the SDP's peer moves the
	 * latch there; f2 is foreign then */
	n = stun_req(q, sizeof(q), tid, "uFrA:peer", pwd, true);
	send_to(L.pa, A, q, n);
	got = wait_recv(L.eb, L.pa, r, sizeof(r), &from, WAIT_MS);
	CHECK(got > 0 && response_ok(r, (size_t)got, tid, addr_of(L.pa), pwd));
	m = rtp_make(p, 0, false, 2, 160, 0x77, 40);
	send_to(f2, A, p, m);
	CHECK(quiet(L.eb, L.pb));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_FOREIGN], 1);
	CHECK(through(&L, L.pa, A, L.pb, B, p, m));

	/* wrong password, wrong ufrag, corrupted: not answered, counted */
	n = stun_req(q, sizeof(q), tid, "uFrA:peer", "wrong-password", false);
	send_to(L.pa, A, q, n);
	n = stun_req(q, sizeof(q), tid, "other:peer", pwd, false);
	send_to(L.pa, A, q, n);
	n = stun_req(q, sizeof(q), tid, "uFrA:peer", pwd, false);
	q[30] ^= 1;
	send_to(L.pa, A, q, n);
	CHECK(quiet(L.eb, L.pa));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_STUN], 4);
	CHECK_EQ_INT(stats(L.a).stun, 3);

	/* ICE off again */
	CHECK_EQ_INT(mep_set_ice(L.a, NULL, NULL), 0);
	n = stun_req(q, sizeof(q), tid, "uFrA:peer", pwd, false);
	send_to(L.pa, A, q, n);
	CHECK(quiet(L.eb, L.pa));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_STUN], 5);
out:
	lab_close(&L);
	if (f2 >= 0)
		close(f2);
}

/* RFC 3550 A.3 loss and A.8 jitter on a stream with a gap. */
static void test_loss_jitter(void)
{
	struct lab L;
	uint8_t p[200];
	if (!lab_open(&L, false, false, 8))
		goto out;
	uint16_t A = mep_port(L.a);
	size_t n;

	/* paced as the timestamps say (5 ms, 40 units at 8 kHz): seq
	 * 1..10, 11 and 12 missing, 13..20 */
	for (uint16_t s = 1; s <= 20; s++) {
		if (s == 11 || s == 12)
			continue;
		n = rtp_make(p, 0, false, s, 40u * s, 0xabc, 40);
		send_to(L.pa, A, p, n);
		pump(L.eb, 5);
	}
	pump(L.eb, 20);
	drain(L.pb);
	struct mep_stats s = stats(L.a);
	CHECK_EQ_INT(s.rx_packets, 18);
	CHECK_EQ_INT(s.lost, 2);
	CHECK(s.jitter_us < 8000);

	/* a burst whose timestamps say 20 ms apart: jitter grows */
	for (uint16_t k = 0; k < 20; k++) {
		n = rtp_make(p, 0, false, (uint16_t)(21 + k), 800u + 160u * k,
		             0xabc, 40);
		send_to(L.pa, A, p, n);
	}
	pump(L.eb, 30);
	drain(L.pb);
	s = stats(L.a);
	CHECK_EQ_INT(s.lost, 2);
	CHECK(s.jitter_us > 5000 && s.jitter_us < 20000);

	/* a new SSRC: its own count, the old loss kept in the total;
	 * a reordered packet is not a loss (a duplicate would count as
	 * received, A.3, and hide one) */
	static const uint16_t seqs[] = {500, 501, 503, 502, 504, 506};
	for (size_t k = 0; k < sizeof(seqs) / sizeof(seqs[0]); k++) {
		n = rtp_make(p, 0, false, seqs[k], 160u * seqs[k], 0xdef, 40);
		send_to(L.pa, A, p, n);
	}
	pump(L.eb, 30);
	drain(L.pb);
	s = stats(L.a);
	CHECK_EQ_INT(s.lost, 2 + 1); /* 505 */

	/* another clock rate: the same jitter, in microseconds */
	uint32_t j8 = stats(L.a).jitter_us;
	mep_set_clock_rate(L.a, 48000);
	uint32_t j48 = stats(L.a).jitter_us;
	CHECK(j48 + 1 >= j8 && j48 <= j8 + 1);
	CHECK_EQ_INT(stats(L.a).lost, 3);
out:
	lab_close(&L);
}

/* DSCP: what leaves the relay is marked EF (TOS 0xb8), read here with
 * IP_RECVTOS on the receiving peer. */
static int recv_tos(struct event_base *eb, int fd)
{
	int64_t end = now_ms() + WAIT_MS;
	uint8_t b[2048];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	for (;;) {
		event_base_loop(eb, EVLOOP_NONBLOCK);
		struct iovec iov = {b, sizeof(b)};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = c.buf;
		mh.msg_controllen = sizeof(c.buf);
		if (recvmsg(fd, &mh, MSG_DONTWAIT) >= 0) {
			for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
			     cm = CMSG_NXTHDR(&mh, cm))
				if (cm->cmsg_level == IPPROTO_IP &&
				    cm->cmsg_type == IP_TOS)
					return *CMSG_DATA(cm);
			return -2;
		}
		if (now_ms() >= end)
			return -1;
		struct pollfd pf = {fd, POLLIN, 0};
		poll(&pf, 1, 1);
	}
}

static void test_dscp(void)
{
	struct lab L;
	uint8_t p[200];
	if (!lab_open(&L, false, false, 8))
		goto out;
	int on = 1;
	CHECK(setsockopt(L.pb, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on)) == 0);
	size_t n = rtp_make(p, 0, false, 1, 0, 0x1111, 20);
	send_to(L.pa, mep_port(L.a), p, n);
	CHECK_EQ_INT(recv_tos(L.eb, L.pb), 0xb8);
out:
	lab_close(&L);
}

/* An engine on "::" (dual stack): an IPv4 peer and an IPv6 peer (::1)
 * relayed to each other; the IPv4 peer's latched address is reported
 * as IPv4. Skipped when the host has no IPv6 loopback. */
static void test_dual_stack(void)
{
	int p6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 s6;
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_loopback;
	if (p6 < 0 || bind(p6, (struct sockaddr *)&s6, sizeof(s6)) < 0) {
		printf("  (no IPv6 loopback: skipped)\n");
		if (p6 >= 0)
			close(p6);
		return;
	}
	fcntl(p6, F_SETFL, fcntl(p6, F_GETFL) | O_NONBLOCK);
	socklen_t sl = sizeof(s6);
	getsockname(p6, (struct sockaddr *)&s6, &sl);

	struct event_base *eb = event_base_new();
	struct media_engine_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct sockaddr_in6 any;
	memset(&any, 0, sizeof(any));
	any.sin6_family = AF_INET6;
	memcpy(&cfg.bind, &any, sizeof(any));
	cfg.port_min = pool_base;
	cfg.port_max = (uint16_t)(pool_base + 2 * POOL_PAIRS - 1);
	cfg.batch = 4;
	struct media_engine *e = media_engine_new(eb, &cfg);
	struct mep *a = e ? mep_new(e) : NULL, *b = e ? mep_new(e) : NULL;
	int p4 = udp_open("127.0.0.1", 0);
	CHECK(a && b && p4 >= 0);
	if (a && b && p4 >= 0) {
		struct sockaddr_in s4 = addr_of(p4);
		mep_set_remote(a, (struct sockaddr *)&s4, sizeof(s4), 0, true);
		mep_set_remote(b, (struct sockaddr *)&s6, sizeof(s6), 0, true);
		mep_link(a, b);
		uint8_t p[200], r[2048];
		size_t n = rtp_make(p, 0, false, 1, 0, 0x4444, 50);
		send_to(p4, mep_port(a), p, n);
		struct sockaddr_in6 f;
		socklen_t fl = sizeof(f);
		ssize_t got = -1;
		int64_t end = now_ms() + WAIT_MS;
		while (got < 0 && now_ms() < end) {
			event_base_loop(eb, EVLOOP_NONBLOCK);
			fl = sizeof(f);
			got = recvfrom(p6, r, sizeof(r), MSG_DONTWAIT,
			               (struct sockaddr *)&f, &fl);
			if (got < 0) {
				struct pollfd pf = {p6, POLLIN, 0};
				poll(&pf, 1, 1);
			}
		}
		CHECK(got == (ssize_t)n && !memcmp(r, p, n));
		CHECK(got > 0 && f.sin6_family == AF_INET6 &&
		      ntohs(f.sin6_port) == mep_port(b));
		/* and back, to the IPv4 peer */
		n = rtp_make(p, 0, false, 9, 0, 0x6666, 30);
		struct sockaddr_in6 d = s6;
		d.sin6_port = htons(mep_port(b));
		CHECK(sendto(p6, p, n, 0, (struct sockaddr *)&d, sizeof(d)) ==
		      (ssize_t)n);
		struct sockaddr_in f4;
		got = wait_recv(eb, p4, r, sizeof(r), &f4, WAIT_MS);
		CHECK(got == (ssize_t)n && !memcmp(r, p, n));
		CHECK(ntohs(f4.sin_port) == mep_port(a));
		struct mep_stats st = stats(a);
		CHECK(st.latched && st.latched_addr.ss_family == AF_INET);
		struct sockaddr_in la;
		memcpy(&la, &st.latched_addr, sizeof(la));
		CHECK(la.sin_port == s4.sin_port &&
		      la.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
		CHECK(stats(b).latched &&
		      stats(b).latched_addr.ss_family == AF_INET6);
	}
	mep_free(a);
	mep_free(b);
	media_engine_free(e);
	event_base_free(eb);
	if (p4 >= 0)
		close(p4);
	close(p6);
}

/* SRTP: peers use libsrtp2. */

static srtp_t lib_session(const uint8_t *key, bool outbound)
{
	srtp_policy_t pol;
	srtp_t s = NULL;
	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_rtp_default(&pol.rtp);
	srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = (unsigned char *)(uintptr_t)key;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		return NULL;
	return s;
}

static struct srtp_ctx *our_ctx(const uint8_t *key)
{
	return srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, key, NULL, 0);
}

/* Peer sends plain p protected with `out` to port; the other peer
 * receives on rcv, unprotects with `in`: true when p comes back exactly. */
static bool srtp_through(struct lab *L, srtp_t out, int from_fd, uint16_t port,
                         srtp_t in, int rcv_fd, const uint8_t *p, size_t n,
                         bool rtcp)
{
	uint8_t b[2048], r[2048];
	int len = (int)n;
	memcpy(b, p, n);
	srtp_err_status_t st = rtcp ? srtp_protect_rtcp(out, b, &len)
	                            : srtp_protect_mki(out, b, &len, 0, 0);
	if (st != srtp_err_status_ok)
		return false;
	send_to(from_fd, port, b, (size_t)len);
	ssize_t got = wait_recv(L->eb, rcv_fd, r, sizeof(r), NULL, WAIT_MS);
	if (got <= 0)
		return false;
	len = (int)got;
	st = rtcp ? srtp_unprotect_rtcp(in, r, &len)
	          : srtp_unprotect_mki(in, r, &len, 0);
	return st == srtp_err_status_ok && len == (int)n && !memcmp(r, p, n);
}

static void test_srtp(void)
{
	struct lab L;
	uint8_t KA[30], KB2[30], KB[30], KA2[30], p[300], b[400];
	for (int i = 0; i < 30; i++) {
		KA[i] = (uint8_t)(i * 3 + 1);
		KB2[i] = (uint8_t)(0xa0 ^ (i * 5));
		KB[i] = (uint8_t)(0x33 + i);
		KA2[i] = (uint8_t)(0xc5 ^ (i * 11));
	}
	srtp_t a_out = lib_session(KA, true), b_in = lib_session(KB2, false);
	srtp_t b_out = lib_session(KB, true), a_in = lib_session(KA2, false);
	CHECK(a_out && b_in && b_out && a_in);
	if (!lab_open(&L, true, false, 8) || !a_out || !b_in || !b_out || !a_in)
		goto out;
	uint16_t A = mep_port(L.a), B = mep_port(L.b);
	struct srtp_ctx *c[4] = {our_ctx(KA), our_ctx(KB2), our_ctx(KB),
	                         our_ctx(KA2)};
	CHECK(c[0] && c[1] && c[2] && c[3]);
	mep_set_rx_srtp(L.a, c[0]); /* what A sends, A's key */
	mep_set_tx_srtp(L.b, c[1]); /* toward B, the key B was given */
	mep_set_rx_srtp(L.b, c[2]);
	mep_set_tx_srtp(L.a, c[3]);
	if (!c[0] || !c[1] || !c[2] || !c[3])
		goto out;
	mep_map_pt(L.b, 101, 96);

	/* A -> B: 40 packets, every payload and header byte for byte
	 * (sequence and timestamp run on unbroken), one telephone-event
	 * mapped 101 -> 96 on the way */
	bool all = true;
	for (uint16_t i = 0; i < 40; i++) {
		size_t n = rtp_make(p, 0, i == 0, (uint16_t)(65500 + i),
		                    7777u + 160u * i, 0xa1a1a1a1, 160);
		all &= srtp_through(&L, a_out, L.pa, A, b_in, L.pb, p, n,
		                    false);
	}
	CHECK(all);
	size_t n = rtp_make(p, 101, true, (uint16_t)(65540), 7777u + 6400u,
	                    0xa1a1a1a1, 4);
	memcpy(b, p, n);
	b[1] = 0x80 | 96;
	{
		uint8_t s[64], r[2048];
		int len = (int)n;
		memcpy(s, p, n);
		CHECK(srtp_protect_mki(a_out, s, &len, 0, 0) ==
		      srtp_err_status_ok);
		send_to(L.pa, A, s, (size_t)len);
		ssize_t got =
		        wait_recv(L.eb, L.pb, r, sizeof(r), NULL, WAIT_MS);
		len = (int)got;
		CHECK(got > 0 && srtp_unprotect_mki(b_in, r, &len, 0) ==
		                         srtp_err_status_ok);
		CHECK(len == (int)n && !memcmp(r, b, n));

		/* the same packet again: a replay, dropped */
		send_to(L.pa, A, s, n + 10); /* + the 80-bit tag */
		CHECK(quiet(L.eb, L.pb));
		CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_SRTP_REPLAY], 1);
	}
	/* B -> A */
	all = true;
	for (uint16_t i = 0; i < 20; i++) {
		n = rtp_make(p, 8, false, (uint16_t)(10 + i), 160u * i,
		             0xb2b2b2b2, 80);
		all &= srtp_through(&L, b_out, L.pb, B, a_in, L.pa, p, n,
		                    false);
	}
	CHECK(all);

	/* SRTCP: A muxes (RTCP on A's RTP port), B does not */
	n = rtcp_make(p, 0xa1a1a1a1, 1);
	CHECK(srtp_through(&L, a_out, L.pa, A, b_in, L.pbc, p, n, true));
	n = rtcp_make(p, 0xb2b2b2b2, 1);
	CHECK(srtp_through(&L, b_out, L.pbc, (uint16_t)(B + 1), a_in, L.pa, p,
	                   n, true));

	/* tampered: the tag fails, dropped and counted; the genuine packet
	 * of the same index still passes after it */
	{
		uint8_t s[400], g[400], r[2048];
		n = rtp_make(p, 0, false, 5, 7777u + 160u * 42, 0xa1a1a1a1,
		             160);
		int len = (int)n;
		memcpy(s, p, n);
		CHECK(srtp_protect_mki(a_out, s, &len, 0, 0) ==
		      srtp_err_status_ok);
		memcpy(g, s, (size_t)len);
		s[20] ^= 0x10;
		send_to(L.pa, A, s, (size_t)len);
		CHECK(quiet(L.eb, L.pb));
		CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_SRTP_AUTH], 1);
		send_to(L.pa, A, g, (size_t)len);
		ssize_t got =
		        wait_recv(L.eb, L.pb, r, sizeof(r), NULL, WAIT_MS);
		len = (int)got;
		CHECK(got > 0 && srtp_unprotect_mki(b_in, r, &len, 0) ==
		                         srtp_err_status_ok);
		CHECK(len == (int)n && !memcmp(r, p, n));
	}
	/* plain RTP where SRTP is expected: dropped */
	n = rtp_make(p, 0, false, 6, 7777u + 160u * 43, 0xa1a1a1a1, 160);
	send_to(L.pa, A, p, n);
	CHECK(quiet(L.eb, L.pb));
	CHECK_EQ_INT(stats(L.a).drops[MEP_DROP_SRTP_AUTH] +
	                     stats(L.a).drops[MEP_DROP_MALFORMED],
	             2);
	struct mep_stats sa = stats(L.a), sb = stats(L.b);
	CHECK_EQ_INT(sa.rx_packets, 42);
	CHECK_EQ_INT(sa.lost, 0);
	CHECK_EQ_INT(sb.tx_packets, 42);
	CHECK_EQ_INT(sa.rx_rtcp, 1);
	CHECK_EQ_INT(sb.tx_rtcp, 1);
out:
	lab_close(&L);
	if (a_out)
		srtp_dealloc(a_out);
	if (b_in)
		srtp_dealloc(b_in);
	if (b_out)
		srtp_dealloc(b_out);
	if (a_in)
		srtp_dealloc(a_in);
}

int main(void)
{
	if (srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "libsrtp2 init failed\n");
		return 1;
	}
	if (!find_pool()) {
		fprintf(stderr, "no free port range on 127.0.0.1\n");
		return 1;
	}
	RUN(test_engine_args);
	RUN(test_pool);
	RUN(test_plain);
	RUN(test_rtcp);
	RUN(test_pt_map);
	RUN(test_foreign);
	RUN(test_hold);
	RUN(test_unlinked);
	RUN(test_stun);
	RUN(test_loss_jitter);
	RUN(test_dscp);
	RUN(test_dual_stack);
	RUN(test_srtp);
	srtp_shutdown();
	return test_summary();
}
