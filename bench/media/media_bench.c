/* media_bench: SRTP relay throughput and the most calls with media held
 * without loss, for trunkbridge's relay engine (src/media/relay.h, hosted
 * here in a child process) or for rtpengine (set up over its ng control
 * protocol). bench/media/run.sh runs it once per system; see
 * bench/README.md (bench/media) for the method and how to read the
 * figures.
 *
 * usage: media_bench --system trunkbridge [--port-min P --port-max Q]
 *        media_bench --system rtpengine --ng IP:PORT --pid PID
 *   common: [--relay-cpu N] [--load-cpu N] [--quick] [--calls N,N,...]
 *           [--calls-cap N] [--step-s S]
 *
 * Each call is two "phones" on loopback, each a UDP socket of this process
 * (leg A on 127.0.0.2, leg B on 127.0.0.3), and two relay endpoints (on
 * 127.0.0.1), one facing each phone. A phone sends SRTP (12-byte header,
 * 160-byte payload, then the tag) encrypted with its own key to the
 * endpoint facing it, from the socket it receives on (symmetric RTP); the
 * relay decrypts, re-encrypts with the key of the other side and sends it
 * to the other phone. Leg A uses AES_CM_128_HMAC_SHA1_80, leg B
 * AES_CM_128_HMAC_SHA1_32 (the same AES-128 and HMAC-SHA1 work per packet,
 * a 4-byte tag): when both sides of a call offer the same suite, rtpengine
 * copies the offerer's key into its offer to the other side and relays
 * the SRTP through without decrypting it (its "SRTP<>SRTP passthrough");
 * two suites make it decrypt and re-encrypt. trunkbridge gets the same.
 *
 *   trunkbridge: a child process (pinned to --relay-cpu) runs one libevent
 *   loop with a media_engine: per call two endpoints (mep_new), remote =
 *   the phone, rx SRTP = the phone's key, tx SRTP = a key this program
 *   made for that phone to decrypt with, linked together.
 *   rtpengine: per call an "offer" (leg A's SDP, RTP/SAVP, a=crypto with A's
 *   key) and an "answer" (leg B's SDP, with B's key); rtpengine's SDPs give
 *   its ports and its own keys (checked to differ from ours: it decrypts
 *   and re-encrypts, it does not pass SRTP through).
 *
 * The calls are stepped (100, 200, 500, 1000, ... calls, 50 packets/s each
 * way, a fresh set per step) until a step loses a packet. The packets of
 * a step are encrypted ahead with trunkbridge's transform (all CPUs), per
 * leg with a real stream's sequence; the load loop (this process, pinned
 * to --load-cpu) sends them at the step's rate, spread evenly over the
 * legs, and reads every phone socket, counting per leg and decrypting
 * every 8th packet of every 4th call with libsrtp2 (the payload must be
 * the other phone's pattern). Relay CPU: utime + stime of the relay
 * process (/proc/PID/stat, all threads) before and after the step.
 *
 * Output: `step:` lines, `note:` lines, then the figures:
 *   <system>_srtp_relay: N pkt/s          relayed packets per relay CPU-second
 *   <system>_media_calls_no_loss: N       most calls (50 pkt/s each way) with
 *                                         no packet lost
 *
 * libsrtp2 and trunkbridge's transform both export srtp_protect and
 * srtp_unprotect: media/srtp.h maps ours to tb_srtp_*, and libsrtp2's are
 * called here only as srtp_protect_mki / srtp_unprotect_mki (use_mki 0),
 * with <srtp2/srtp.h> included first.
 */
#define _GNU_SOURCE
#include <srtp2/srtp.h> /* before media/srtp.h (see there) */

#include "media/relay.h"
#include "media/srtp.h"
#include "tests/bytes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

#define KEY_LEN     30 /* AES_CM_128: 16-byte key + 14-byte salt */
#define PAYLOAD_LEN 160
#define PKT_SLOT    192
#define TS_STEP     160
#define SAMPLE_CALL 4 /* every SAMPLE_CALL-th call is checked with libsrtp2 */
#define SAMPLE      8 /* every SAMPLE-th packet it receives is decrypted */
#define BATCH       64
#define CALL_PPS    50 /* per direction: 20 ms ptime */
#define MAX_CALLS   20000

/* ---- small helpers ------------------------------------------------------ */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "media_bench: %s\n", what);
	exit(1);
}

/* the payload of packet idx of a stream with tag (as tests/tools/rtp_peer) */
static void payload(uint8_t *p, uint8_t tag, uint32_t idx)
{
	p[0] = tag;
	put32(p + 1, idx);
	for (unsigned i = 5; i < PAYLOAD_LEN; i++)
		p[i] = (uint8_t)(tag ^ (uint8_t)(idx * 31u + i));
}

static void b64_encode(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* base64 with or without padding; the number of bytes, or -1 */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	char in[128];
	uint8_t tmp[96];
	size_t pad = 0;
	if (n == 0 || n + 3 > sizeof(in))
		return -1;
	memcpy(in, s, n);
	while (n % 4)
		in[n++] = '=';
	for (size_t i = n; i > 0 && in[i - 1] == '='; i--)
		pad++;
	if (pad > 2 || (n / 4) * 3 > sizeof(tmp))
		return -1;
	int r = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
	if (r < 0 || (size_t)r < pad || (size_t)r - pad > cap)
		return -1;
	memcpy(out, tmp, (size_t)r - pad);
	return r - (int)pad;
}

static bool num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s)
		return false;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* CPU seconds (utime + stime, all threads) of process pid; -1 if gone */
static double cpu_s(pid_t pid)
{
	char path[64], b[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(b, 1, sizeof(b) - 1, f);
	fclose(f);
	b[n] = 0;
	char *p = strrchr(b, ')');
	if (!p)
		return -1;
	unsigned long long ut = 0, st = 0;
	/* after ")": state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2,
	           "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	           &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* box-wide drop counters: UDP receive-buffer overflows (any socket,
 * /proc/net/snmp RcvbufErrors) and the loopback backlog's drops
 * (/proc/net/softnet_stat, second column, all CPUs) */
static void kernel_drops(uint64_t *rcvbuf, uint64_t *backlog)
{
	char line[512];
	*rcvbuf = *backlog = 0;
	FILE *f = fopen("/proc/net/snmp", "r");
	if (f) {
		bool head = true;
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "Udp: ", 5) != 0)
				continue;
			if (head) {
				head = false;
				continue;
			}
			unsigned long long v[5] = {0};
			if (sscanf(line + 5, "%llu %llu %llu %llu %llu", &v[0],
			           &v[1], &v[2], &v[3], &v[4]) == 5)
				*rcvbuf = v[4];
			break;
		}
		fclose(f);
	}
	f = fopen("/proc/net/softnet_stat", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned int a, b;
			if (sscanf(line, "%x %x", &a, &b) == 2)
				*backlog += b;
		}
		fclose(f);
	}
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void pin(int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set); /* best effort */
}

/* ---- options --------------------------------------------------------------
 */

static struct {
	bool tb; /* trunkbridge, else rtpengine */
	const char *name;
	struct sockaddr_in ng;
	pid_t re_pid;
	int relay_cpu, load_cpu;
	long port_min, port_max;
	bool quick;
	long steps[16]; /* --calls: the ladder (0: the default) */
	int nsteps;
	long calls_cap;
	long step_s;
} o;

/* ---- the phones -----------------------------------------------------------
 */

struct leg {
	int fd;
	struct sockaddr_in self;  /* the phone's address */
	struct sockaddr_in relay; /* the relay endpoint facing it */
	uint8_t tx_key[KEY_LEN];  /* the phone encrypts with it (its SDP) */
	uint8_t rx_key[KEY_LEN];  /* the relay encrypts toward the phone */
	struct srtp_ctx *gen; /* trunkbridge's transform: makes the packets */
	srtp_t rx;            /* libsrtp2: checks a sample (NULL: none) */
	uint8_t tag, peer_tag;
	bool tag32;       /* AES_CM_128_HMAC_SHA1_32 (leg B), else _80 */
	uint16_t pkt_len; /* 12 + 160 + the tag */
	uint32_t ssrc, ts0;
	uint16_t seq0;
	uint32_t next_idx; /* stream index of the next packet made */
	/* this step */
	uint8_t *pkts; /* npk packets of pkt_len, PKT_SLOT apart */
	uint32_t npk, sent;
	uint64_t rx_n, rx_ok, rx_bad, send_err;
	uint32_t drops0;
};

struct set {
	struct leg *legs; /* 2 per call: A (even), B (odd) */
	uint32_t ncalls, nlegs;
	uint8_t *pkbuf;
	unsigned long run; /* rtpengine call-id generation */
	/* trunkbridge child */
	pid_t child;
	int to_child, from_child;
};

static volatile sig_atomic_t got_signal;
static pid_t live_child; /* for the signal handler */

static void on_signal(int sig)
{
	got_signal = sig;
	if (live_child > 0)
		kill(live_child, SIGKILL);
}

static int udp_bind(const struct sockaddr_in *a, struct sockaddr_in *bound)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int v = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		close(fd);
		return -1;
	}
	socklen_t l = sizeof(*bound);
	getsockname(fd, (struct sockaddr *)bound, &l);
	return fd;
}

static uint32_t sock_drops(int fd)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t l = sizeof(mi);
	memset(mi, 0, sizeof(mi));
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &l) < 0 ||
	    l <= SK_MEMINFO_DROPS * sizeof(uint32_t))
		return 0;
	return mi[SK_MEMINFO_DROPS];
}

static srtp_t srtp_session(const uint8_t *key, bool tag32)
{
	srtp_policy_t pol;
	srtp_t s;
	memset(&pol, 0, sizeof(pol));
	if (tag32)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
	else
		srtp_crypto_policy_set_rtp_default(&pol.rtp);
	srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	pol.ssrc.type = ssrc_any_inbound;
	pol.key = (unsigned char *)(uintptr_t)key;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		die("srtp_create failed");
	return s;
}

/* n calls' phones: sockets, keys, tx sessions (rx once the keys are known) */
static int set_open(struct set *s, uint32_t ncalls)
{
	memset(s, 0, sizeof(*s));
	s->child = -1;
	s->to_child = s->from_child = -1;
	s->ncalls = ncalls;
	s->nlegs = 2 * ncalls;
	s->legs = calloc(s->nlegs, sizeof(*s->legs));
	if (!s->legs)
		return -1;
	for (uint32_t i = 0; i < s->nlegs; i++) {
		struct leg *l = &s->legs[i];
		struct sockaddr_in a;
		uint8_t r[10];
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(i % 2 ? 0x7f000003 : 0x7f000002);
		l->fd = udp_bind(&a, &l->self);
		if (l->fd < 0) {
			fprintf(stderr, "media_bench: bind phone %u: %s\n", i,
			        strerror(errno));
			for (uint32_t j = 0; j < i; j++)
				close(s->legs[j].fd);
			free(s->legs);
			s->legs = NULL;
			return -1;
		}
		if (RAND_bytes(l->tx_key, KEY_LEN) != 1 ||
		    RAND_bytes(l->rx_key, KEY_LEN) != 1 ||
		    RAND_bytes(r, sizeof(r)) != 1)
			die("RAND_bytes failed");
		l->tag = i % 2 ? 'B' : 'A';
		l->tag32 = i % 2;
		l->pkt_len = 12 + PAYLOAD_LEN + (l->tag32 ? 4 : 10);
		l->peer_tag = i % 2 ? 'A' : 'B';
		l->ssrc = get32(r);
		l->seq0 = (uint16_t)(r[4] << 8 | r[5]);
		l->ts0 = get32(r + 6);
		l->gen = srtp_ctx_new(l->tag32 ? SRTP_AES_CM_128_HMAC_SHA1_32
		                               : SRTP_AES_CM_128_HMAC_SHA1_80,
		                      l->tx_key, NULL, 0);
		if (!l->gen)
			die("srtp_ctx_new failed");
	}
	return 0;
}

static void set_close(struct set *s)
{
	if (!s->legs)
		return;
	for (uint32_t i = 0; i < s->nlegs; i++) {
		struct leg *l = &s->legs[i];
		close(l->fd);
		srtp_ctx_free(l->gen);
		if (l->rx)
			srtp_dealloc(l->rx);
	}
	free(s->legs);
	free(s->pkbuf);
	s->legs = NULL;
	s->pkbuf = NULL;
}

/* ---- packets, made ahead --------------------------------------------------
 */

struct prep_job {
	struct set *s;
	unsigned part, parts;
	int err;
};

static void *prep_thread(void *arg)
{
	struct prep_job *j = arg;
	for (uint32_t i = j->part; i < j->s->nlegs; i += j->parts) {
		struct leg *l = &j->s->legs[i];
		for (uint32_t k = 0; k < l->npk; k++) {
			uint8_t *p = l->pkts + (size_t)k * PKT_SLOT;
			uint32_t idx = l->next_idx + k;
			p[0] = 0x80;
			p[1] = idx == 0 ? 0x80 : 0x00; /* PT 0, marker first */
			put16(p + 2, (uint16_t)(l->seq0 + idx));
			put32(p + 4, l->ts0 + TS_STEP * idx);
			put32(p + 8, l->ssrc);
			payload(p + 12, l->tag, idx);
			size_t len = 12 + PAYLOAD_LEN;
			if (srtp_protect(l->gen, p, &len, PKT_SLOT) !=
			            SRTP_OK ||
			    len != l->pkt_len)
				j->err = 1;
		}
		l->next_idx += l->npk;
	}
	return NULL;
}

/* per_leg packets for every leg, encrypted on every CPU */
static int prepare(struct set *s, uint32_t per_leg)
{
	free(s->pkbuf);
	s->pkbuf = malloc((size_t)s->nlegs * per_leg * PKT_SLOT);
	if (!s->pkbuf)
		return -1;
	for (uint32_t i = 0; i < s->nlegs; i++) {
		struct leg *l = &s->legs[i];
		l->pkts = s->pkbuf + (size_t)i * per_leg * PKT_SLOT;
		l->npk = per_leg;
		l->sent = 0;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned parts = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (unsigned)ncpu;
	pthread_t th[4];
	struct prep_job jobs[4];
	for (unsigned t = 0; t < parts; t++) {
		jobs[t] = (struct prep_job){s, t, parts, 0};
		if (pthread_create(&th[t], NULL, prep_thread, &jobs[t]) != 0)
			die("pthread_create failed");
	}
	int err = 0;
	for (unsigned t = 0; t < parts; t++) {
		pthread_join(th[t], NULL);
		err |= jobs[t].err;
	}
	return err ? -1 : 0;
}

/* ---- trunkbridge: the relay engine in a child process ---------------------
 */

struct tb_child {
	struct media_engine *e;
	struct mep **meps;
	uint32_t n;
	int ctl_in, ctl_out;
	struct event_base *eb;
};

static void tb_ctl(evutil_socket_t fd, short what, void *arg)
{
	struct tb_child *c = arg;
	char cmd;
	(void)what;
	ssize_t r = read(fd, &cmd, 1);
	if (r <= 0 || cmd == 'Q') {
		event_base_loopbreak(c->eb);
		return;
	}
	if (cmd == 'S') {
		struct mep_stats st;
		media_engine_totals(c->e, &st);
		if (write(c->ctl_out, &st, sizeof(st)) != (ssize_t)sizeof(st))
			event_base_loopbreak(c->eb);
	}
}

static struct srtp_ctx *tb_ctx(const uint8_t *key, bool tag32)
{
	return srtp_ctx_new(tag32 ? SRTP_AES_CM_128_HMAC_SHA1_32
	                          : SRTP_AES_CM_128_HMAC_SHA1_80,
	                    key, NULL, 0);
}

__attribute__((noreturn)) static void tb_child_main(struct set *s, int in,
                                                    int out)
{
	struct tb_child c;
	int32_t status = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pin(o.relay_cpu);
	for (uint32_t i = 0; i < s->nlegs; i++)
		close(s->legs[i].fd);
	memset(&c, 0, sizeof(c));
	c.ctl_in = in;
	c.ctl_out = out;
	c.n = s->nlegs;
	c.eb = event_base_new();
	struct media_engine_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct sockaddr_in *b = (struct sockaddr_in *)&cfg.bind;
	b->sin_family = AF_INET;
	b->sin_addr.s_addr = htonl(0x7f000001);
	cfg.port_min = (uint16_t)o.port_min;
	cfg.port_max = (uint16_t)o.port_max;
	cfg.batch = 32;
	const char *why = NULL;
	c.meps = calloc(c.n, sizeof(*c.meps));
	if (!c.eb || !c.meps)
		why = "out of memory";
	else if (!(c.e = media_engine_new(c.eb, &cfg)))
		why = "media_engine_new failed";
	for (uint32_t i = 0; !why && i < c.n; i++) {
		struct leg *l = &s->legs[i];
		struct mep *m = mep_new(c.e);
		if (!m) {
			status = errno ? errno : ENOMEM;
			why = "mep_new failed";
			break;
		}
		c.meps[i] = m;
		mep_set_remote(m, (const struct sockaddr *)&l->self,
		               sizeof(l->self),
		               (uint16_t)(ntohs(l->self.sin_port) + 1), false);
		struct srtp_ctx *rx = tb_ctx(l->tx_key, l->tag32),
		                *tx = tb_ctx(l->rx_key, l->tag32);
		if (!rx || !tx) {
			why = "srtp_ctx_new failed";
			break;
		}
		mep_set_rx_srtp(m, rx);
		mep_set_tx_srtp(m, tx);
		if (i % 2)
			mep_link(c.meps[i - 1], m);
	}
	if (why) {
		if (!status)
			status = -1;
		fprintf(stderr, "media_bench: trunkbridge relay: %s\n", why);
	}
	if (write(out, &status, sizeof(status)) != sizeof(status))
		_exit(1);
	if (status)
		_exit(1);
	for (uint32_t i = 0; i < c.n; i++) {
		uint16_t port = mep_port(c.meps[i]);
		if (write(out, &port, sizeof(port)) != sizeof(port))
			_exit(1);
	}
	struct event *ev =
	        event_new(c.eb, in, EV_READ | EV_PERSIST, tb_ctl, &c);
	event_add(ev, NULL);
	event_base_dispatch(c.eb);
	event_free(ev);
	for (uint32_t i = 0; i < c.n; i++)
		mep_free(c.meps[i]);
	media_engine_free(c.e);
	event_base_free(c.eb);
	free(c.meps);
	_exit(0);
}

static int read_full(int fd, void *buf, size_t n, int timeout_ms)
{
	uint8_t *p = buf;
	size_t got = 0;
	int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;
	while (got < n) {
		int64_t left = (end - now_ns()) / 1000000;
		if (left <= 0)
			return -1;
		struct pollfd pf = {fd, POLLIN, 0};
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		ssize_t r = read(fd, p + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void tb_stop(struct set *s)
{
	if (s->child <= 0)
		return;
	char q = 'Q';
	if (write(s->to_child, &q, 1) != 1) { /* gone already */
	}
	int st;
	for (int i = 0; i < 50; i++) {
		if (waitpid(s->child, &st, WNOHANG) == s->child)
			goto reaped;
		usleep(100000);
	}
	kill(s->child, SIGKILL);
	waitpid(s->child, &st, 0);
reaped:
	close(s->to_child);
	close(s->from_child);
	s->child = -1;
	live_child = 0;
}

static int tb_start(struct set *s)
{
	int a[2], b[2];
	if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		tb_child_main(s, a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	s->child = live_child = pid;
	s->to_child = a[1];
	s->from_child = b[0];
	int32_t status;
	int tmo = 20000 + (int)s->nlegs; /* endpoints bind 2 sockets each */
	if (read_full(s->from_child, &status, sizeof(status), tmo) < 0 ||
	    status != 0) {
		tb_stop(s);
		return -1;
	}
	for (uint32_t i = 0; i < s->nlegs; i++) {
		uint16_t port;
		if (read_full(s->from_child, &port, sizeof(port), tmo) < 0) {
			tb_stop(s);
			return -1;
		}
		struct leg *l = &s->legs[i];
		memset(&l->relay, 0, sizeof(l->relay));
		l->relay.sin_family = AF_INET;
		l->relay.sin_addr.s_addr = htonl(0x7f000001);
		l->relay.sin_port = htons(port);
	}
	return 0;
}

static bool tb_stats(struct set *s, struct mep_stats *st)
{
	char c = 'S';
	if (s->child <= 0 || write(s->to_child, &c, 1) != 1)
		return false;
	return read_full(s->from_child, st, sizeof(*st), 5000) == 0;
}

/* ---- rtpengine: the ng control protocol ------------------------------------
 */

struct buf {
	char *p;
	size_t n, cap;
};

static void b_add(struct buf *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 1024) + n;
		char *p = realloc(b->p, cap);
		if (!p)
			die("out of memory");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}
static void b_str(struct buf *b, const char *s)
{
	char h[24];
	size_t n = strlen(s);
	int k = snprintf(h, sizeof(h), "%zu:", n);
	b_add(b, h, (size_t)k);
	b_add(b, s, n);
}
static void b_kv(struct buf *b, const char *k, const char *v)
{
	b_str(b, k);
	b_str(b, v);
}

/* bencode: skips one value at *p (< end); false when malformed */
static bool be_skip(const char **p, const char *end, int depth)
{
	if (*p >= end || depth > 16)
		return false;
	char c = **p;
	if (c == 'i') {
		const char *e = memchr(*p, 'e', (size_t)(end - *p));
		if (!e)
			return false;
		*p = e + 1;
		return true;
	}
	if (c == 'l' || c == 'd') {
		(*p)++;
		while (*p < end && **p != 'e')
			if (!be_skip(p, end, depth + 1))
				return false;
		if (*p >= end)
			return false;
		(*p)++;
		return true;
	}
	if (c >= '0' && c <= '9') {
		size_t n = 0;
		while (*p < end && **p >= '0' && **p <= '9') {
			n = n * 10 + (size_t)(**p - '0');
			if (n > 1 << 20)
				return false;
			(*p)++;
		}
		if (*p >= end || **p != ':' || (size_t)(end - *p - 1) < n)
			return false;
		*p += 1 + n;
		return true;
	}
	return false;
}

/* the string value of key in the top-level dict d..end; NULL if none */
static const char *be_get(const char *d, const char *end, const char *key,
                          size_t *len)
{
	const char *p = d;
	if (p >= end || *p != 'd')
		return NULL;
	p++;
	while (p < end && *p != 'e') {
		const char *k = p;
		if (!be_skip(&p, end, 0))
			return NULL;
		const char *colon = memchr(k, ':', (size_t)(p - k));
		if (!colon)
			return NULL;
		const char *ks = colon + 1;
		size_t kl = (size_t)(p - ks);
		const char *v = p;
		if (!be_skip(&p, end, 0))
			return NULL;
		if (kl == strlen(key) && memcmp(ks, key, kl) == 0 &&
		    *v >= '0' && *v <= '9') {
			const char *c = memchr(v, ':', (size_t)(p - v));
			if (!c)
				return NULL;
			*len = (size_t)(p - c - 1);
			return c + 1;
		}
	}
	return NULL;
}

struct ng_req {
	struct buf msg; /* cookie + space + bencoded dict */
	char *sdp;      /* of the answer */
	char err[160];
	bool done;
	int tries;
	int64_t sent_at;
};

/* runs reqs over the ng socket, at most `window` outstanding; 0 when
 * every one was answered with result ok */
static int ng_run(int fd, struct ng_req *r, uint32_t n)
{
	const uint32_t window = 64;
	uint32_t next = 0, done = 0, out = 0;
	static char rb[65536];
	int64_t deadline = now_ns() + (30 + n / 200) * 1000000000LL;

	while (done < n) {
		int64_t now = now_ns();
		if (now > deadline || got_signal)
			return -1;
		while (next < n && out < window) {
			r[next].sent_at = now;
			r[next].tries = 1;
			if (send(fd, r[next].msg.p, r[next].msg.n, 0) < 0)
				return -1;
			next++;
			out++;
		}
		/* retransmit what is late (rtpengine answers a repeated
		 * cookie from its cache) */
		for (uint32_t i = 0; i < next; i++) {
			if (r[i].done || now - r[i].sent_at < 2000000000LL)
				continue;
			if (r[i].tries >= 5) {
				snprintf(r[i].err, sizeof(r[i].err),
				         "no answer from rtpengine");
				return -1;
			}
			r[i].tries++;
			r[i].sent_at = now;
			(void)send(fd, r[i].msg.p, r[i].msg.n, 0);
		}
		struct pollfd pf = {fd, POLLIN, 0};
		if (poll(&pf, 1, 100) <= 0)
			continue;
		for (;;) {
			ssize_t k = recv(fd, rb, sizeof(rb) - 1, MSG_DONTWAIT);
			if (k <= 0)
				break;
			rb[k] = 0;
			char *sp = memchr(rb, ' ', (size_t)k);
			if (!sp)
				continue;
			/* cookie: <prefix>_<index> */
			char *us = memrchr(rb, '_', (size_t)(sp - rb));
			if (!us)
				continue;
			unsigned long idx = strtoul(us + 1, NULL, 10);
			if (idx >= next || r[idx].done ||
			    memcmp(rb, r[idx].msg.p, (size_t)(sp - rb + 1)) !=
			            0)
				continue;
			const char *d = sp + 1, *end = rb + k;
			size_t l = 0;
			const char *res = be_get(d, end, "result", &l);
			if (!res || l != 2 || memcmp(res, "ok", 2) != 0) {
				size_t el = 0;
				const char *er =
				        be_get(d, end, "error-reason", &el);
				snprintf(r[idx].err, sizeof(r[idx].err),
				         "rtpengine: %.*s", er ? (int)el : 12,
				         er ? er : "result not ok");
				return -1;
			}
			const char *sdp = be_get(d, end, "sdp", &l);
			if (sdp) {
				r[idx].sdp = strndup(sdp, l);
				if (!r[idx].sdp)
					die("out of memory");
			}
			r[idx].done = true;
			done++;
			out--;
		}
	}
	return 0;
}

static void ng_free(struct ng_req *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		free(r[i].msg.p);
		free(r[i].sdp);
	}
	free(r);
}

static int ng_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int v = 4 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
	if (connect(fd, (const struct sockaddr *)&o.ng, sizeof(o.ng)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* until rtpengine answers an ng ping (at most secs seconds) */
static bool ng_ping(int secs)
{
	int fd = ng_socket();
	if (fd < 0)
		return false;
	char msg[64], rb[256];
	int n = snprintf(msg, sizeof(msg), "mb%d_ping d7:command4:pinge",
	                 (int)getpid());
	bool ok = false;
	for (int i = 0; i < secs * 5 && !ok && !got_signal; i++) {
		(void)send(fd, msg, (size_t)n, 0);
		struct pollfd pf = {fd, POLLIN, 0};
		if (poll(&pf, 1, 200) <= 0)
			continue;
		ssize_t k = recv(fd, rb, sizeof(rb) - 1, MSG_DONTWAIT);
		if (k > 0) {
			rb[k] = 0;
			ok = strstr(rb, "4:pong") != NULL;
		}
		if (!ok)
			usleep(200000);
	}
	close(fd);
	return ok;
}

static void ng_begin(struct buf *b, unsigned long run, uint32_t i,
                     const char *cmd)
{
	char h[64];
	int k = snprintf(h, sizeof(h), "mb%d-%lu-%s_%u d", (int)getpid(), run,
	                 cmd, i);
	b_add(b, h, (size_t)k);
}

static void call_id(char *out, size_t n, unsigned long run, uint32_t i)
{
	snprintf(out, n, "mb-%d-%lu-%u", (int)getpid(), run, i);
}

static const char *suite_name(bool tag32)
{
	return tag32 ? "AES_CM_128_HMAC_SHA1_32" : "AES_CM_128_HMAC_SHA1_80";
}

static void leg_sdp(char *out, size_t n, const struct leg *l, uint32_t i)
{
	char key[64];
	char ip[INET_ADDRSTRLEN];
	b64_encode(l->tx_key, KEY_LEN, key);
	inet_ntop(AF_INET, &l->self.sin_addr, ip, sizeof(ip));
	snprintf(out, n,
	         "v=0\r\no=- %u 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
	         "t=0 0\r\nm=audio %u RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	         "a=ptime:20\r\na=sendrecv\r\n"
	         "a=crypto:1 %s inline:%s\r\n",
	         i + 1, ip, ip, ntohs(l->self.sin_port), suite_name(l->tag32),
	         key);
}

/* from an SDP of rtpengine: the c= address, the m=audio port, the tag
 * and key of the a=crypto line of suite want; false if missing */
static bool parse_sdp(const char *sdp, const char *want, struct sockaddr_in *to,
                      int *tag, uint8_t *key, char *why, size_t wn)
{
	const char *c = strstr(sdp, "c=IN IP4 ");
	const char *m = strstr(sdp, "m=audio ");
	if (!c || !m) {
		snprintf(why, wn, "no c= or m=audio line in rtpengine's SDP");
		return false;
	}
	char ip[64];
	if (sscanf(c + 9, "%63[0-9.]", ip) != 1)
		return false;
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &to->sin_addr) != 1)
		return false;
	to->sin_port = htons((uint16_t)atoi(m + 8));
	for (const char *p = sdp; (p = strstr(p, "a=crypto:")); p++) {
		char suite[64], b64[128];
		int t;
		if (sscanf(p + 9, "%d %63s inline:%127[A-Za-z0-9+/=]", &t,
		           suite, b64) != 3)
			continue;
		if (strcmp(suite, want) != 0)
			continue;
		if (b64_decode(b64, strlen(b64), key, KEY_LEN) != KEY_LEN)
			continue;
		*tag = t;
		return true;
	}
	snprintf(why, wn, "no %s a=crypto in rtpengine's SDP", want);
	return false;
}

static int re_delete(struct set *s);

/* offer (leg A) and answer (leg B) per call; fills relay ports and keys */
static int re_start(struct set *s, char *why, size_t wn)
{
	static unsigned long runs;
	int fd = ng_socket();
	if (fd < 0) {
		snprintf(why, wn, "ng socket: %s", strerror(errno));
		return -1;
	}
	s->run = ++runs;
	uint32_t n = s->ncalls;
	struct ng_req *r = calloc(n, sizeof(*r));
	char sdp[1024], cid[96], ft[32];
	if (!r)
		die("out of memory");
	for (uint32_t i = 0; i < n; i++) {
		call_id(cid, sizeof(cid), s->run, i);
		snprintf(ft, sizeof(ft), "a%u", i);
		leg_sdp(sdp, sizeof(sdp), &s->legs[2 * i], i);
		struct buf *b = &r[i].msg;
		ng_begin(b, s->run, i, "offer");
		b_kv(b, "DTLS", "off");
		b_kv(b, "ICE", "remove");
		b_kv(b, "call-id", cid);
		b_kv(b, "command", "offer");
		b_kv(b, "from-tag", ft);
		b_kv(b, "sdp", sdp);
		b_kv(b, "transport-protocol", "RTP/SAVP");
		b_add(b, "e", 1);
	}
	int rc = ng_run(fd, r, n);
	if (rc < 0) {
		for (uint32_t i = 0; i < n; i++)
			if (r[i].err[0]) {
				snprintf(why, wn, "offer: %s", r[i].err);
				break;
			}
		if (!why[0])
			snprintf(why, wn, "offer: no answer from rtpengine");
		ng_free(r, n);
		close(fd);
		return -1;
	}
	/* rtpengine's offer goes to leg B: its port and key toward B */
	int *tags = calloc(n, sizeof(int));
	if (!tags)
		die("out of memory");
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		struct leg *b = &s->legs[2 * i + 1], *a = &s->legs[2 * i];
		if (!r[i].sdp ||
		    !parse_sdp(r[i].sdp, suite_name(b->tag32), &b->relay,
		               &tags[i], b->rx_key, why, wn))
			rc = -1;
		else if (memcmp(b->rx_key, a->tx_key, KEY_LEN) == 0) {
			snprintf(why, wn,
			         "rtpengine passed leg A's key "
			         "through (no re-encryption)");
			rc = -1;
		}
	}
	ng_free(r, n);
	if (rc < 0) {
		if (!why[0])
			snprintf(why, wn,
			         "offer: no SDP in rtpengine's answer");
		free(tags);
		close(fd);
		re_delete(s);
		return -1;
	}
	r = calloc(n, sizeof(*r));
	if (!r)
		die("out of memory");
	for (uint32_t i = 0; i < n; i++) {
		call_id(cid, sizeof(cid), s->run, i);
		snprintf(ft, sizeof(ft), "a%u", i);
		char tt[32];
		snprintf(tt, sizeof(tt), "b%u", i);
		struct leg *b = &s->legs[2 * i + 1];
		leg_sdp(sdp, sizeof(sdp), b, i);
		/* answer with the tag of the line we took */
		char *cl = strstr(sdp, "a=crypto:1 ");
		if (cl && tags[i] != 1) {
			char rest[200];
			snprintf(rest, sizeof(rest), "%s", cl + 11);
			snprintf(cl, sizeof(sdp) - (size_t)(cl - sdp),
			         "a=crypto:%d %s", tags[i], rest);
		}
		struct buf *bb = &r[i].msg;
		ng_begin(bb, s->run, i, "answer");
		b_kv(bb, "DTLS", "off");
		b_kv(bb, "ICE", "remove");
		b_kv(bb, "call-id", cid);
		b_kv(bb, "command", "answer");
		b_kv(bb, "from-tag", ft);
		b_kv(bb, "sdp", sdp);
		b_kv(bb, "to-tag", tt);
		b_kv(bb, "transport-protocol", "RTP/SAVP");
		b_add(bb, "e", 1);
	}
	free(tags);
	rc = ng_run(fd, r, n);
	if (rc < 0) {
		for (uint32_t i = 0; i < n; i++)
			if (r[i].err[0]) {
				snprintf(why, wn, "answer: %s", r[i].err);
				break;
			}
		if (!why[0])
			snprintf(why, wn, "answer: no answer from rtpengine");
	}
	int tag;
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		struct leg *a = &s->legs[2 * i], *b = &s->legs[2 * i + 1];
		if (!r[i].sdp ||
		    !parse_sdp(r[i].sdp, suite_name(a->tag32), &a->relay, &tag,
		               a->rx_key, why, wn))
			rc = -1;
		else if (memcmp(a->rx_key, b->tx_key, KEY_LEN) == 0) {
			snprintf(why, wn,
			         "rtpengine passed leg B's key "
			         "through (no re-encryption)");
			rc = -1;
		}
	}
	ng_free(r, n);
	close(fd);
	if (rc < 0)
		re_delete(s);
	return rc;
}

static int re_delete(struct set *s)
{
	int fd = ng_socket();
	if (fd < 0)
		return -1;
	uint32_t n = s->ncalls;
	struct ng_req *r = calloc(n, sizeof(*r));
	char cid[96];
	if (!r)
		die("out of memory");
	for (uint32_t i = 0; i < n; i++) {
		call_id(cid, sizeof(cid), s->run, i);
		struct buf *b = &r[i].msg;
		ng_begin(b, s->run, i, "delete");
		b_kv(b, "call-id", cid);
		b_kv(b, "command", "delete");
		b_add(b, "e", 1);
	}
	/* a call rtpengine never made answers an error: not counted */
	int rc = ng_run(fd, r, n);
	ng_free(r, n);
	close(fd);
	return rc;
}

/* ---- one relay, one set of calls -------------------------------------------
 */

static void relay_down(struct set *s);

static int relay_up(struct set *s, char *why, size_t wn)
{
	why[0] = 0;
	int rc;
	if (o.tb) {
		rc = tb_start(s);
		if (rc < 0)
			snprintf(why, wn,
			         "the trunkbridge relay did not start "
			         "(%u endpoints)",
			         s->nlegs);
	} else {
		rc = re_start(s, why, wn);
	}
	if (rc < 0)
		return -1;
	/* a connected socket sends without a route lookup per packet and
	 * takes only what comes from the relay endpoint (symmetric RTP) */
	for (uint32_t i = 0; i < s->nlegs; i++) {
		struct leg *l = &s->legs[i];
		if (connect(l->fd, (const struct sockaddr *)&l->relay,
		            sizeof(l->relay)) < 0) {
			snprintf(why, wn, "connect a phone: %s",
			         strerror(errno));
			relay_down(s);
			return -1;
		}
	}
	for (uint32_t i = 0; i < s->nlegs; i += 2 * SAMPLE_CALL) {
		s->legs[i].rx = srtp_session(s->legs[i].rx_key, false);
		s->legs[i + 1].rx = srtp_session(s->legs[i + 1].rx_key, true);
	}
	return 0;
}

static void relay_down(struct set *s)
{
	if (o.tb)
		tb_stop(s);
	else if (s->run)
		re_delete(s);
}

static pid_t relay_pid(const struct set *s)
{
	return o.tb ? s->child : o.re_pid;
}

/* ---- the load loop ----------------------------------------------------------
 */

struct result {
	uint64_t sent, recv, sink_drops, send_err;
	uint64_t samples_ok, samples_bad;
	double secs;      /* first send to last send */
	double wall;      /* the CPU readings apart */
	double relay_cpu; /* seconds */
	double load_cpu;
	double late_ms; /* how late the last packet left */
	bool relay_gone;
	uint64_t primed; /* first packets passed on before the step */
	uint64_t k_rcvbuf, k_backlog; /* kernel_drops() during the step */
	struct mep_stats tb0, tb1;
	bool tb_ok;
};

static uint64_t rx_total; /* every packet receive() took */

/* reads what l's socket holds (at most 8 batches unless all) */
static void receive(struct leg *l, bool all)
{
	static struct mmsghdr mh[BATCH];
	static struct iovec iov[BATCH];
	static uint8_t buf[BATCH][512];
	if (!mh[0].msg_hdr.msg_iov) {
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			mh[i].msg_hdr.msg_iov = &iov[i];
			mh[i].msg_hdr.msg_iovlen = 1;
		}
	}
	for (int round = 0; all || round < 8; round++) {
		int n = recvmmsg(l->fd, mh, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		rx_total += (uint64_t)n;
		for (int i = 0; i < n; i++) {
			if (l->rx_n++ % SAMPLE || !l->rx)
				continue;
			int len = (int)mh[i].msg_len;
			uint8_t want[PAYLOAD_LEN];
			if (srtp_unprotect_mki(l->rx, buf[i], &len, 0) !=
			            srtp_err_status_ok ||
			    len != 12 + PAYLOAD_LEN) {
				l->rx_bad++;
				continue;
			}
			payload(want, l->peer_tag, get32(buf[i] + 13));
			if (memcmp(buf[i] + 12, want, PAYLOAD_LEN) == 0)
				l->rx_ok++;
			else
				l->rx_bad++;
		}
		if (n < BATCH)
			return;
	}
}

/* sends packet k of leg l */
static void send_one(struct leg *l, uint32_t k)
{
	const uint8_t *p = l->pkts + (size_t)k * PKT_SLOT;
	if (send(l->fd, p, l->pkt_len, 0) != l->pkt_len)
		l->send_err++;
	l->sent++;
}

/* Each leg's first packet, then until the relay has passed them all on
 * (at most 2 s + 2 ms per leg): a relay may do per-stream work on a
 * stream's first packet (rtpengine does, about a millisecond each), which
 * N calls starting in the same instant would turn into a stall no real
 * call ramp has. Returns the primers received. */
static uint64_t prime(struct set *s, int ep)
{
	const uint32_t L = s->nlegs;
	struct epoll_event evs[256];
	uint64_t got = 0;
	for (uint32_t i = 0; i < L; i++)
		send_one(&s->legs[i], 0);
	int64_t end = now_ns() + 2000000000LL + (int64_t)L * 2000000;
	while (!got_signal && now_ns() < end) {
		int n = epoll_wait(ep, evs, 256, 10);
		for (int i = 0; i < n; i++)
			receive(&s->legs[evs[i].data.u32], false);
		got = 0;
		for (uint32_t i = 0; i < L; i++)
			got += s->legs[i].rx_n;
		if (got >= L)
			break;
	}
	usleep(100000); /* and let the relay settle */
	for (uint32_t i = 0; i < L; i++)
		receive(&s->legs[i], true);
	got = 0;
	for (uint32_t i = 0; i < L; i++) {
		struct leg *l = &s->legs[i];
		got += l->rx_n;
		l->rx_n = l->rx_ok = l->rx_bad = 0;
		l->send_err = 0;
		l->drops0 = sock_drops(l->fd);
	}
	return got;
}

/* After prime(): sends packets 1.. of every leg at rate pkt/s in total,
 * spread evenly over the legs, receiving all the while, then drains: at
 * least drain_ms, until nothing came for 200 ms (at most 5 s), then reads
 * what is still queued. */
static void run_load(struct set *s, double rate, int drain_ms,
                     struct result *res)
{
	memset(res, 0, sizeof(*res));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1 failed");
	for (uint32_t i = 0; i < s->nlegs; i++) {
		struct leg *l = &s->legs[i];
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev) < 0)
			die("epoll_ctl failed");
		l->rx_n = l->rx_ok = l->rx_bad = l->send_err = 0;
	}
	res->primed = prime(s, ep);
	const uint32_t L = s->nlegs, P = s->legs[0].npk - 1;
	const uint64_t G = (uint64_t)L * P;
	const double interval = 1e9 / rate; /* ns between packets, all legs */
	pid_t rp = relay_pid(s);

	if (o.tb)
		res->tb_ok = tb_stats(s, &res->tb0);
	uint64_t kr0, kb0, kr1, kb1;
	kernel_drops(&kr0, &kb0);
	double rc0 = cpu_s(rp), lc0 = self_cpu_s();
	const int64_t w0 = now_ns();
	const int64_t t0 = w0 + 10000000;
	uint64_t g = 0;
	int64_t t_last = t0, t_end = 0, t_rx = 0;
	uint64_t seen = rx_total;
	struct epoll_event evs[256];

	while (!got_signal) {
		int64_t now = now_ns();
		if (g < G && now >= t0) {
			uint64_t due =
			        (uint64_t)((double)(now - t0) / interval) + 1;
			if (due > G)
				due = G;
			for (; g < due; g++)
				send_one(&s->legs[g % L],
				         1 + (uint32_t)(g / L));
			if (g == G) {
				t_last = now_ns();
				res->late_ms =
				        (double)(t_last - t0 -
				                 (int64_t)((double)(G - 1) *
				                           interval)) /
				        1e6;
				t_end = t_last + (int64_t)drain_ms * 1000000;
			}
		}
		int timeout = 0;
		if (g < G) {
			int64_t next = t0 + (int64_t)((double)g * interval);
			timeout =
			        next > now ? (int)((next - now) / 1000000) : 0;
		} else {
			if (rx_total != seen) {
				seen = rx_total;
				t_rx = now;
			}
			if ((now >= t_end && now - t_rx >= 200000000) ||
			    now >= t_last + 5000000000LL)
				break;
			timeout = 10;
		}
		if (timeout > 5)
			timeout = 5;
		int n = epoll_wait(ep, evs, 256, timeout);
		for (int i = 0; i < n; i++)
			receive(&s->legs[evs[i].data.u32], false);
	}
	/* what is still queued arrived in time: count it */
	for (uint32_t i = 0; i < s->nlegs; i++)
		receive(&s->legs[i], true);
	double rc1 = cpu_s(rp), lc1 = self_cpu_s();
	res->wall = (double)(now_ns() - w0) / 1e9;
	kernel_drops(&kr1, &kb1);
	res->k_rcvbuf = kr1 - kr0;
	res->k_backlog = kb1 - kb0;
	if (o.tb)
		res->tb_ok = res->tb_ok && tb_stats(s, &res->tb1);
	close(ep);
	res->relay_gone = rc0 < 0 || rc1 < 0;
	res->relay_cpu = rc1 - rc0;
	res->load_cpu = lc1 - lc0;
	res->secs = (double)(t_last - t0) / 1e9;
	for (uint32_t i = 0; i < L; i++) {
		struct leg *l = &s->legs[i];
		res->sent += (l->sent - 1) - l->send_err;
		res->send_err += l->send_err;
		res->recv += l->rx_n;
		res->samples_ok += l->rx_ok;
		res->samples_bad += l->rx_bad;
		res->sink_drops += sock_drops(l->fd) - l->drops0;
	}
}

static void tb_note(const struct result *r, char *out, size_t n)
{
	out[0] = 0;
	if (!o.tb || !r->tb_ok)
		return;
	static const char *names[MEP_DROP_COUNT] = {
	        "foreign", "srtp_auth", "srtp_replay", "malformed",
	        "stun",    "unlinked",  "hold",        "send"};
	size_t k =
	        (size_t)snprintf(out, n, "; relay rx %" PRIu64 " tx %" PRIu64,
	                         r->tb1.rx_packets - r->tb0.rx_packets,
	                         r->tb1.tx_packets - r->tb0.tx_packets);
	for (int i = 0; i < MEP_DROP_COUNT && k < n; i++) {
		uint64_t d = r->tb1.drops[i] - r->tb0.drops[i];
		if (d)
			k += (size_t)snprintf(out + k, n - k,
			                      ", dropped %s %" PRIu64, names[i],
			                      d);
	}
}

static double fig_tp = -1;
static char fig_tp_note[320];
static long fig_calls = -1;
static char fig_calls_note[400];

/* ---- the ladder: calls with media, 50 pkt/s each way ------------------------
 */

static void ladder(void)
{
	static const long full[] = {100,  200,  500,  1000, 1500, 2000,
	                            3000, 4000, 6000, 8000, 10000};
	static const long quick[] = {200, 500, 1000, 2000};
	const long *steps = o.nsteps ? o.steps : o.quick ? quick : full;
	int nsteps = o.nsteps  ? o.nsteps
	             : o.quick ? 4
	                       : (int)(sizeof(full) / sizeof(full[0]));
	double step_s = o.step_s > 0 ? (double)o.step_s : o.quick ? 2.0 : 5.0;
	long pass = 0, fail = 0;
	char why[256], failwhy[320] = "", by_calls[512] = "";
	size_t bl = 0;
	bool load_limited = false;
	double tp_behind = -1;
	char tp_behind_note[sizeof(fig_tp_note)] = "";

	for (int i = 0; i < nsteps && !got_signal; i++) {
		long n = steps[i];
		if (n > o.calls_cap)
			break;
		struct set s;
		if (set_open(&s, (uint32_t)n) < 0) {
			snprintf(failwhy, sizeof(failwhy),
			         "%ld calls: could not bind the phones", n);
			break;
		}
		int64_t t = now_ns();
		if (relay_up(&s, why, sizeof(why)) < 0) {
			printf("step: %s %ld calls: setup failed: %s\n", o.name,
			       n, why);
			snprintf(failwhy, sizeof(failwhy), "%ld calls: %s", n,
			         why);
			set_close(&s);
			fail = n;
			break;
		}
		double setup_s = (double)(now_ns() - t) / 1e9;
		t = now_ns();
		/* the first packet of each leg primes the relay (see prime())
		 */
		if (prepare(&s, (uint32_t)(CALL_PPS * step_s) + 1) < 0)
			die("SRTP protect failed");
		double prep_s = (double)(now_ns() - t) / 1e9;
		struct result r;
		double rate = (double)s.nlegs * CALL_PPS;
		run_load(&s, rate, 500, &r);
		relay_down(&s);
		set_close(&s);

		uint64_t relayed = r.recv + r.sink_drops;
		uint64_t lost = r.sent > relayed ? r.sent - relayed : 0;
		double achieved = r.secs > 0 ? (double)r.sent / r.secs : 0;
		double per_cpu =
		        r.relay_cpu > 0 ? (double)relayed / r.relay_cpu : 0;
		double core = r.wall > 0 ? 100 * r.relay_cpu / r.wall : 0;
		bool behind = r.late_ms > 100 + 0.05 * step_s * 1000;
		bool ok = lost == 0 && r.sink_drops == 0 &&
		          r.samples_bad == 0 && r.send_err == 0 &&
		          !r.relay_gone;
		char extra[512];
		tb_note(&r, extra, sizeof(extra));
		printf("step: %s %ld calls (%.0f pkt/s, %.0f s): %s%s; sent "
		       "%" PRIu64
		       " (%.0f/s, the last %.0f ms late), received %" PRIu64
		       ", lost %" PRIu64 " (the kernel counted %" PRIu64
		       " UDP receive-buffer drops, %" PRIu64
		       " loopback backlog drops), phones' socket drops %" PRIu64
		       ", send errors %" PRIu64
		       "; relay CPU %.0f %% of a core, "
		       "%.2f us/pkt = %.0f pkt/s per CPU-second; load process "
		       "%.0f "
		       "%% of a core; samples %" PRIu64 " ok %" PRIu64
		       " bad; setup %.1f s, packets made in %.1f s, %" PRIu64
		       " of %u first packets passed on before%s\n",
		       o.name, n, rate, step_s, ok ? "no loss" : "LOSS",
		       behind ? " (the load process fell behind)" : "", r.sent,
		       achieved, r.late_ms, r.recv, lost, r.k_rcvbuf,
		       r.k_backlog, r.sink_drops, r.send_err, core,
		       relayed ? 1e6 * r.relay_cpu / (double)relayed : 0,
		       per_cpu, r.wall > 0 ? 100 * r.load_cpu / r.wall : 0,
		       r.samples_ok, r.samples_bad, setup_s, prep_s, r.primed,
		       2 * (unsigned)n, extra);
		fflush(stdout);
		if (bl < sizeof(by_calls))
			bl += (size_t)snprintf(
			        by_calls + bl, sizeof(by_calls) - bl,
			        "%s%ld: %.0f%s", bl ? ", " : "", n, per_cpu,
			        behind ? " (bursts)" : "");
		if (r.samples_bad > 0) {
			fig_tp = -1;
			snprintf(fig_tp_note, sizeof(fig_tp_note),
			         "%" PRIu64 " of %" PRIu64 " samples did not "
			         "decrypt to the pattern at %ld calls",
			         r.samples_bad, r.samples_bad + r.samples_ok,
			         n);
			snprintf(failwhy, sizeof(failwhy), "%s", fig_tp_note);
			fail = n;
			break;
		}
		/* packets per relay CPU-second: the best step the load process
		 * kept up with (past saturation the relay is busy all the time
		 * and relays what it can: still its rate per core). A step it
		 * fell behind in sent in bursts, which a relay handles for less
		 * per packet: only used when no other step is there. */
		if (per_cpu > (behind ? tp_behind : fig_tp)) {
			double *f = behind ? &tp_behind : &fig_tp;
			char *nt = behind ? tp_behind_note : fig_tp_note;
			*f = per_cpu;
			snprintf(nt, sizeof(fig_tp_note),
			         "at %ld calls (%.0f pkt/s offered): relayed "
			         "%.0f/s, lost %" PRIu64
			         ", relay CPU %.0f %% of a core%s",
			         n, rate,
			         r.secs > 0 ? (double)relayed / r.secs : 0,
			         lost, core,
			         behind ? " (the load process fell behind: "
			                  "sent in bursts)"
			                : "");
		}
		if (ok && !behind) {
			pass = n;
			continue;
		}
		fail = n;
		/* a late load process sends in bursts, which can overflow a
		 * relay's socket buffers (the kernel counts those); packets
		 * lost without any such drop were lost in the relay itself */
		bool relay_lost = lost > 0 && r.k_rcvbuf == 0 &&
		                  r.k_backlog == 0 && r.sink_drops == 0;
		if (behind && !relay_lost) {
			load_limited = true;
			snprintf(failwhy, sizeof(failwhy),
			         "at %ld calls the load process fell behind "
			         "(the "
			         "last packet %.0f ms late%s): the box's "
			         "limit, not "
			         "the relay's",
			         n, r.late_ms,
			         ok ? "" : ", and packets were lost");
		} else if (r.sink_drops > 0) {
			load_limited = true;
			snprintf(failwhy, sizeof(failwhy),
			         "at %ld calls the phones' sockets dropped "
			         "%" PRIu64
			         " (the load process could not keep up)",
			         n, r.sink_drops);
		} else {
			snprintf(failwhy, sizeof(failwhy),
			         "%ld calls lost %" PRIu64 " of %" PRIu64
			         " packets (relay CPU %.0f %% of a core)",
			         n, lost, r.sent, core);
		}
		break;
	}
	if (fig_tp <= 0 && tp_behind > 0) {
		fig_tp = tp_behind;
		memcpy(fig_tp_note, tp_behind_note, sizeof(fig_tp_note));
	}
	if (by_calls[0])
		printf("note: %s relayed packets per CPU-second by calls: %s\n",
		       o.name, by_calls);
	fig_calls = pass;
	if (fail == 0 && pass > 0)
		snprintf(
		        fig_calls_note, sizeof(fig_calls_note),
		        "a lower bound: no step lost a packet (the ladder ends "
		        "at %ld)",
		        pass);
	else if (load_limited)
		snprintf(fig_calls_note, sizeof(fig_calls_note),
		         "a lower bound: %s", failwhy);
	else
		snprintf(fig_calls_note, sizeof(fig_calls_note),
		         "the next step failed: %s", failwhy);
	if (fig_tp <= 0 && !fig_tp_note[0])
		snprintf(fig_tp_note, sizeof(fig_tp_note), "%s",
		         failwhy[0] ? failwhy : "no step ran"); /* both 320 */
}

/* ---- main
 * -------------------------------------------------------------------- */

__attribute__((noreturn)) static void usage(const char *why)
{
	fprintf(stderr,
	        "media_bench: %s\nusage: media_bench --system "
	        "trunkbridge|rtpengine "
	        "[--ng IP:PORT --pid PID] [--port-min P --port-max Q] "
	        "[--relay-cpu N] [--load-cpu N] [--quick] [--calls N,N,...] "
	        "[--calls-cap N] [--step-s S]\n",
	        why);
	exit(2);
}

static long numopt(const char *name, const char *v, long long min,
                   long long max)
{
	long long x;
	if (!num(v, min, max, &x)) {
		char b[128];
		snprintf(b, sizeof(b), "%s wants a number in %lld-%lld", name,
		         min, max);
		usage(b);
	}
	return (long)x;
}

static void parse(int argc, char **argv)
{
	o.relay_cpu = 0;
	o.load_cpu = 1;
	o.port_min = 20000;
	o.port_max = 59999;
	o.calls_cap = 10000;
	const char *system = NULL;
	bool have_ng = false, have_pid = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = strcmp(a, "--quick") != 0;
		if (takes && !v)
			usage("an option wants a value");
		if (!strcmp(a, "--system"))
			system = v;
		else if (!strcmp(a, "--ng")) {
			char ip[64];
			const char *c = strrchr(v, ':');
			if (!c || (size_t)(c - v) >= sizeof(ip))
				usage("--ng wants IP:PORT");
			memcpy(ip, v, (size_t)(c - v));
			ip[c - v] = 0;
			o.ng.sin_family = AF_INET;
			if (inet_pton(AF_INET, ip, &o.ng.sin_addr) != 1 ||
			    (ntohl(o.ng.sin_addr.s_addr) >> 24) != 127)
				usage("--ng wants a loopback IP:PORT");
			o.ng.sin_port =
			        htons((uint16_t)numopt(a, c + 1, 1, 65535));
			have_ng = true;
		} else if (!strcmp(a, "--pid")) {
			o.re_pid = (pid_t)numopt(a, v, 1, 1 << 30);
			have_pid = true;
		} else if (!strcmp(a, "--relay-cpu"))
			o.relay_cpu = (int)numopt(a, v, -1, 1023);
		else if (!strcmp(a, "--load-cpu"))
			o.load_cpu = (int)numopt(a, v, -1, 1023);
		else if (!strcmp(a, "--port-min"))
			o.port_min = numopt(a, v, 1024, 65534);
		else if (!strcmp(a, "--port-max"))
			o.port_max = numopt(a, v, 1025, 65535);
		else if (!strcmp(a, "--calls-cap"))
			o.calls_cap = numopt(a, v, 1, MAX_CALLS);
		else if (!strcmp(a, "--step-s"))
			o.step_s = numopt(a, v, 1, 60);
		else if (!strcmp(a, "--calls")) {
			char b[256], *save = NULL;
			snprintf(b, sizeof(b), "%s", v);
			o.nsteps = 0;
			for (char *t = strtok_r(b, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				if (o.nsteps == 16)
					usage("--calls: at most 16 steps");
				o.steps[o.nsteps++] =
				        numopt(a, t, 1, MAX_CALLS);
			}
			if (!o.nsteps)
				usage("--calls wants N,N,...");
		} else if (!strcmp(a, "--quick")) {
			o.quick = true;
			continue;
		} else
			usage("unknown option");
		i++;
	}
	if (!system)
		usage("--system is required");
	if (!strcmp(system, "trunkbridge")) {
		o.tb = true;
		o.name = "trunkbridge";
	} else if (!strcmp(system, "rtpengine")) {
		o.name = "rtpengine";
		if (!have_ng || !have_pid)
			usage("rtpengine wants --ng and --pid");
	} else {
		usage("--system is trunkbridge or rtpengine");
	}
	if (o.port_max <= o.port_min + 4)
		usage("--port-max must be above --port-min");
}

int main(int argc, char **argv)
{
	parse(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* 2 sockets per call here, 4 in the relay child */
	struct rlimit rl;
	rlim_t want = (rlim_t)o.calls_cap * 4 + 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		struct rlimit nr = {want,
		                    rl.rlim_max > want ? rl.rlim_max : want};
		if (setrlimit(RLIMIT_NOFILE, &nr) < 0) {
			nr.rlim_cur = rl.rlim_max;
			nr.rlim_max = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &nr);
		}
		getrlimit(RLIMIT_NOFILE, &rl);
		long cap = (long)((rl.rlim_cur - 1024) / 4);
		if (cap < o.calls_cap) {
			printf("note: %s: calls capped at %ld by the open file "
			       "limit (%lu)\n",
			       o.name, cap, (unsigned long)rl.rlim_cur);
			o.calls_cap = cap;
		}
	}
	long pool = (o.port_max - o.port_min + 1) / 4;
	if (o.tb && pool < o.calls_cap)
		o.calls_cap = pool;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (srtp_init() != srtp_err_status_ok)
		die("srtp_init failed");
	/* the phones' packets are made with trunkbridge's transform (for
	 * both relays; rtpengine decrypting them checks it too) */
	const char *why = NULL;
	if (srtp_selftest(&why) != 0) {
		fprintf(stderr, "media_bench: trunkbridge SRTP self-test: %s\n",
		        why ? why : "failed");
		return 1;
	}
	pin(o.load_cpu);
	if (!o.tb && !ng_ping(15)) {
		printf("%s_srtp_relay: failed (no answer to an ng ping on "
		       "port %u)\n%s_media_calls_no_loss: failed (the same)\n",
		       o.name, ntohs(o.ng.sin_port), o.name);
		return 1;
	}

	ladder();

	if (fig_tp > 0) {
		printf("note: %s_srtp_relay %s\n", o.name, fig_tp_note);
		printf("%s_srtp_relay: %.0f pkt/s\n", o.name, fig_tp);
	} else {
		printf("%s_srtp_relay: failed (%s)\n", o.name,
		       fig_tp_note[0] ? fig_tp_note : "no step ran");
	}
	if (fig_calls > 0) {
		if (fig_calls_note[0])
			printf("note: %s_media_calls_no_loss: %s\n", o.name,
			       fig_calls_note);
		printf("%s_media_calls_no_loss: %ld\n", o.name, fig_calls);
	} else {
		printf("%s_media_calls_no_loss: failed (%s)\n", o.name,
		       fig_calls_note[0] ? fig_calls_note : "no step ran");
	}
	srtp_shutdown();
	return got_signal ? 130 : 0;
}
