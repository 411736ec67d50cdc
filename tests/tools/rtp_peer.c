/* rtp_peer: one side of a call's media, for the integration tests. Its
 * crypto is libsrtp2's (an independent implementation, not trunkbridge's
 * transform), so a call relayed through trunkbridge is checked against a
 * real SRTP peer.
 *
 * It sends a stream of RTP packets (plain, or SRTP with --tx-crypto) from
 * its local address to the remote one, and at the same time receives on
 * the same socket (symmetric RTP, RFC 4961) and checks every packet it
 * gets (unprotected with --rx-crypto). Two of them, pointed at each
 * other's relay endpoints, are the two phones of a call.
 *
 * libsrtp2 is called only through its *_mki entry points (use_mki 0 when
 * the key has none): tbcore, which this tool is linked with, has an
 * srtp_protect and srtp_unprotect of its own (media/srtp.h links them as
 * tb_srtp_*; these names keep clear of the question either way).
 *
 * usage: rtp_peer --local IP:PORT --remote IP:PORT [options]
 *
 * Sending:
 *   --tag C            this side's tag: a character (default A); the payload
 *                      is a function of (tag, packet index)
 *   --ssrc N           SSRC (default random)
 *   --pt N             audio payload type, 0-127 (default 0, PCMU)
 *   --count N          audio packets to send, 0-1000000 (default 200)
 *   --ptime MS         packet interval, 1-1000 ms (default 20); timestamp
 *                      +160 per packet whatever the interval
 *   --delay MS         wait before the first packet, 0-60000 (default 0;
 *                      the sockets are bound at once, so two peers started
 *                      together lose nothing)
 *   --tx-crypto "SUITE inline:KEY[|LIFETIME][|MKI:LEN]"  protect with
 *                      libsrtp2 (an a=crypto value: a leading tag number is
 *                      allowed); without it plain RTP
 *   --te PT:N          also send one RFC 4733 event (digit 1) as N packets
 *                      with payload type PT (marker on the first, E bit on
 *                      the last, duration +160 each, one timestamp), in
 *                      the stream's sequence, in place of audio from
 *                      packet --te-at (default count/2) on
 *   --te-at M
 *   --pause-at M       stop after M stream packets, for --pause-ms T (hold
 *   --pause-ms T       and resume; sequence and timestamp go on unchanged)
 *   --foreign K        K extra packets from another local port (a foreign
 *   --foreign-at M     source the relay must drop), one beside each stream
 *   --from-port P      packet from index M (default count/2) on, from local
 *                      port P (default: one the kernel picks), same IP.
 *                      Valid SRTP under the tx key, SSRC = ssrc ^
 *                      0x5a5a5a5a, payload "FRGN..." so a receiver counts
 *                      any that leak through
 *   --rtcp             also send an RTCP SR + SDES every 50 packets (and
 *                      after the last) from local port + 1 to remote port +
 *                      1 (SRTCP when crypto is on), and receive RTCP there
 *   --rtcp-mux         RTCP on the RTP ports instead (RFC 5761)
 *
 * Receiving and checking:
 *   --rx-crypto "SUITE inline:KEY..."  unprotect with libsrtp2
 *   --peer-tag C       the other side's tag (default B for tag A, else A)
 *   --expect N         valid audio packets needed to pass, 0-1000000
 *                      (default --count)
 *   --expect-pt N      payload type audio must arrive with (default --pt)
 *   --expect-te PT:N   N valid telephone-event packets with payload type PT
 *                      (and the E bit seen) needed to pass
 *   --expect-rtcp N    valid RTCP packets needed to pass (default 0)
 *   --peer-ssrc N      the SSRC audio must carry (default: the first seen,
 *                      then constant)
 *   --expect-ssrc-any  the SSRC may change (a new one restarts the sequence
 *                      and timestamp checks; counted as ssrc_changes)
 *   --any-source       accept packets from any address (default: only from
 *                      --remote, i.e. the relay must be symmetric)
 *   --max-gaps N       fail when more than N packets are missing (default:
 *                      reported only; --expect decides)
 *   --linger MS        once everything is sent and expected, keep receiving
 *                      this long for late or leaked packets (default 300)
 *   --timeout S        give up after S seconds, 1-3600 (default 10)
 *   --report FILE      write the summary line there too
 *
 * Every audio payload is 160 bytes: [0] tag, [1..4] packet index (big
 * endian), [i >= 5] tag ^ (index * 31 + i). A received audio packet is
 * valid when its payload is exactly that for the peer's tag, its sequence
 * number is the first one's + (index - first index), its timestamp the
 * first one's + 160 x (index - first index), its SSRC the stream's, its
 * payload type --expect-pt, its source --remote, and its index not seen
 * before. Anything else received is bad: a payload that is not the
 * pattern, an SRTP unprotect failure, a foreign packet that leaked, a
 * telephone-event with the wrong payload type or contents, a duplicate.
 *
 * Summary (stdout and --report):
 *   rtp_peer tag=A sent=200 recv=200 bad=0 gaps=0 reorder=0 dup=0
 *   foreign=0 srtp_err=0 te=5 te_sent=5 rtcp_sent=0 rtcp_recv=0
 *   ssrc=0x... ssrc_changes=0 result=ok
 * (one line), with first_bad=WHAT@INDEX when a packet was bad and why=...
 * when it failed. Exit 0 only on result=ok: at least --expect valid audio
 * packets, no bad packet, the telephone-events and RTCP asked for, gaps
 * within --max-gaps; 1 when the checks failed or time ran out, 2 on a
 * usage error, 3 on a setup error (bind, libsrtp2). Loopback addresses
 * only (127.0.0.0/8, ::1).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <srtp2/srtp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD_LEN 160
#define TS_STEP     160
#define MAX_COUNT   1000000
#define RTCP_EVERY  50
#define PKT_CAP     (12 + PAYLOAD_LEN + SRTP_MAX_TRAILER_LEN + 64)
#define FOREIGN_XOR 0x5a5a5a5au
#define TE_EVENT    1 /* digit 1 */
#define TE_VOLUME   10
#define RECV_BUF    2048

/* ---- options --------------------------------------------------------- */

struct crypto {
	bool on;
	const char *text;
	srtp_policy_t pol;
	uint8_t key[64];
	uint8_t mki[16];
	unsigned mki_len;
	srtp_master_key_t mk;
	srtp_master_key_t *mkp[1];
	srtp_t session;
	srtp_policy_t pol_nomki;
	srtp_t rtcp_session; /* rx with MKI: SRTCP without it (see below) */
	size_t rtcp_tag;
	bool aead;
};

static struct {
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	uint8_t tag, peer_tag;
	bool peer_tag_set;
	uint32_t ssrc;
	bool ssrc_set;
	uint8_t pt, expect_pt;
	bool expect_pt_set;
	long count, ptime_ms, delay_ms;
	long expect;
	bool expect_set;
	struct crypto tx, rx;
	int te_pt; /* -1: none */
	long te_n, te_at;
	bool te_at_set;
	int expect_te_pt; /* -1: none */
	long expect_te_n;
	long pause_at, pause_ms; /* pause_at -1: none */
	long foreign_n, foreign_at;
	bool foreign_at_set;
	long from_port;
	bool rtcp, rtcp_mux;
	long expect_rtcp;
	uint32_t peer_ssrc;
	bool peer_ssrc_set;
	bool ssrc_any, any_source;
	long max_gaps; /* -1: no limit */
	long linger_ms, timeout_s;
	const char *report;
} o;

__attribute__((noreturn)) static void usage(const char *why)
{
	fprintf(stderr, "rtp_peer: %s\n", why);
	fprintf(stderr,
	        "usage: rtp_peer --local IP:PORT --remote IP:PORT [--tag C] "
	        "[--peer-tag C] [--ssrc N] [--pt N] [--count N] [--ptime MS] "
	        "[--delay MS] [--tx-crypto \"SUITE inline:KEY\"] [--rx-crypto "
	        "\"SUITE inline:KEY\"] [--te PT:N] [--te-at M] [--expect-te "
	        "PT:N] [--expect N] [--expect-pt N] [--peer-ssrc N] "
	        "[--expect-ssrc-any] [--any-source] [--pause-at M --pause-ms "
	        "T] [--foreign K] [--foreign-at M] [--from-port P] [--rtcp] "
	        "[--rtcp-mux] [--expect-rtcp N] [--max-gaps N] [--linger MS] "
	        "[--timeout S] [--report FILE]\n");
	exit(2);
}

/* A whole decimal (or 0x hex) number within [min, max]. */
static bool num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s)
		return false;
	long long v = strtoll(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static long numopt(const char *name, const char *s, long long min,
                   long long max)
{
	long long v;
	if (!num(s, min, max, &v)) {
		char b[160];
		snprintf(b, sizeof(b), "%s wants a number in %lld-%lld", name,
		         min, max);
		usage(b);
	}
	return (long)v;
}

/* "PT:N" with PT in 0-127 and N in nmin-nmax */
static void pt_n(const char *name, const char *s, int *pt, long *n, long nmin,
                 long nmax)
{
	char b[64];
	const char *c = s ? strchr(s, ':') : NULL;
	if (!c || (size_t)(c - s) >= sizeof(b))
		usage("--te and --expect-te want PT:N");
	memcpy(b, s, (size_t)(c - s));
	b[c - s] = 0;
	*pt = (int)numopt(name, b, 0, 127);
	*n = numopt(name, c + 1, nmin, nmax);
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
	return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
}

/* "IP:PORT" or "[IPv6]:PORT", port 1-65535 (0 allowed when zero_ok) */
static void addr_opt(const char *name, const char *s,
                     struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64], b[160];
	const char *p;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	snprintf(b, sizeof(b), "%s wants a loopback IP:PORT", name);
	if (!s)
		usage(b);
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || e[1] != ':')
			usage(b);
		hl = (size_t)(e - s - 1);
		if (hl >= sizeof(host))
			usage(b);
		memcpy(host, s + 1, hl);
		p = e + 2;
	} else {
		const char *c = strrchr(s, ':');
		if (!c)
			usage(b);
		hl = (size_t)(c - s);
		if (hl >= sizeof(host))
			usage(b);
		memcpy(host, s, hl);
		p = c + 1;
	}
	host[hl] = 0;
	uint16_t port = (uint16_t)numopt(name, p, 1, 65535);
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &a->sin_addr) == 1) {
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
	} else {
		usage(b);
	}
	if (!is_loopback(ss))
		usage(b);
}

static uint16_t sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static bool sa_equal(const struct sockaddr_storage *a,
                     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* ---- SDES keys ------------------------------------------------------- */

/* Base64 (RFC 4648) with or without its padding, through OpenSSL's
 * EVP_DecodeBlock: it wants whole 4-character groups and returns 3 bytes
 * per group, padding included, so the '=' are counted off. -1 on bad
 * input or when the result would not fit. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	char in[128];
	size_t pad = 0;

	if (n == 0 || n + 3 > sizeof(in))
		return -1;
	memcpy(in, s, n);
	while (n % 4)
		in[n++] = '=';
	for (size_t i = n; i > 0 && in[i - 1] == '='; i--)
		pad++;
	if (pad > 2)
		return -1;
	uint8_t tmp[96];
	if ((n / 4) * 3 > sizeof(tmp))
		return -1;
	int r = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
	if (r < 0 || (size_t)r < pad)
		return -1;
	r -= (int)pad;
	if ((size_t)r > cap)
		return -1;
	memcpy(out, tmp, (size_t)r);
	return r;
}

struct suite {
	const char *name;
	size_t key_salt, rtcp_tag;
	void (*rtp)(srtp_crypto_policy_t *);
	void (*rtcp)(srtp_crypto_policy_t *);
};

static void cm128_80(srtp_crypto_policy_t *p)
{
	srtp_crypto_policy_set_rtp_default(p);
}

static const struct suite suites[] = {
        /* RFC 4568 6.2: the _32 suites keep an 80-bit SRTCP tag */
        {"AES_CM_128_HMAC_SHA1_80", 30, 10, cm128_80, cm128_80},
        {"AES_CM_128_HMAC_SHA1_32", 30, 10,
         srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, cm128_80},
        {"AES_192_CM_HMAC_SHA1_80", 38, 10,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80},
        {"AES_192_CM_HMAC_SHA1_32", 38, 10,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80},
        {"AES_256_CM_HMAC_SHA1_80", 46, 10,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
        {"AES_256_CM_HMAC_SHA1_32", 46, 10,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
        /* RFC 7714: 16-byte tags on both */
        {"AEAD_AES_128_GCM", 28, 16, srtp_crypto_policy_set_aes_gcm_128_16_auth,
         srtp_crypto_policy_set_aes_gcm_128_16_auth},
        {"AEAD_AES_256_GCM", 44, 16, srtp_crypto_policy_set_aes_gcm_256_16_auth,
         srtp_crypto_policy_set_aes_gcm_256_16_auth},
        /* Genesys' spellings */
        {"AES_CM_192_HMAC_SHA1_80", 38, 10,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80},
        {"AES_CM_256_HMAC_SHA1_80", 46, 10,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
};

/* "[TAG ]SUITE inline:BASE64[|LIFETIME][|MKI:LEN]" into c->pol. */
static void crypto_opt(const char *name, const char *s, struct crypto *c,
                       bool outbound)
{
	char b[200], w[64];
	const char *p = s;
	size_t n;

	snprintf(b, sizeof(b),
	         "%s wants \"SUITE inline:KEY[|LIFETIME][|MKI:LEN]\"", name);
	if (!s)
		usage(b);
	c->text = s;
	while (*p == ' ')
		p++;
	if (*p >= '0' && *p <= '9') { /* a=crypto tag */
		while (*p >= '0' && *p <= '9')
			p++;
		while (*p == ' ')
			p++;
	}
	n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(w))
		usage(b);
	memcpy(w, p, n);
	w[n] = 0;
	p += n;
	while (*p == ' ')
		p++;
	const struct suite *su = NULL;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (strcmp(suites[i].name, w) == 0)
			su = &suites[i];
	if (!su) {
		snprintf(b, sizeof(b), "%s: unknown suite %s", name, w);
		usage(b);
	}
	if (strncmp(p, "inline:", 7) != 0)
		usage(b);
	p += 7;
	n = strcspn(p, "| ");
	int kl = b64_decode(p, n, c->key, sizeof(c->key));
	if (kl < 0 || (size_t)kl != su->key_salt) {
		snprintf(b, sizeof(b),
		         "%s: the key must be base64 of %zu bytes (%s)", name,
		         su->key_salt, su->name);
		usage(b);
	}
	p += n;
	/* |LIFETIME (2^N or decimal: ignored) and |MKI:LEN, in that order */
	while (*p == '|') {
		p++;
		n = strcspn(p, "| ");
		const char *colon = memchr(p, ':', n);
		if (colon) {
			char v[24], l[8];
			size_t vl = (size_t)(colon - p), ll = n - vl - 1;
			long long mv, ml;
			if (vl == 0 || vl >= sizeof(v) || ll == 0 ||
			    ll >= sizeof(l))
				usage(b);
			memcpy(v, p, vl);
			v[vl] = 0;
			memcpy(l, colon + 1, ll);
			l[ll] = 0;
			if (!num(l, 1, 16, &ml) ||
			    !num(v, 0,
			         ml >= 8 ? INT64_MAX : (1LL << (8 * ml)) - 1,
			         &mv))
				usage(b);
			c->mki_len = (unsigned)ml;
			for (unsigned i = 0; i < c->mki_len; i++) {
				unsigned sh = 8 * (c->mki_len - 1 - i);
				c->mki[i] = sh < 64 ? (uint8_t)(mv >> sh) : 0;
			}
		} else if (n > 0 && !(p[0] >= '0' && p[0] <= '9')) {
			usage(b);
		}
		p += n;
	}
	memset(&c->pol, 0, sizeof(c->pol));
	su->rtp(&c->pol.rtp);
	su->rtcp(&c->pol.rtcp);
	c->pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	if (c->mki_len) {
		c->mk.key = c->key;
		c->mk.mki_id = c->mki;
		c->mk.mki_size = c->mki_len;
		c->mkp[0] = &c->mk;
		c->pol.keys = c->mkp;
		c->pol.num_master_keys = 1;
	} else {
		c->pol.key = c->key;
	}
	c->pol.window_size = 128;
	c->pol.next = NULL;
	c->pol_nomki = c->pol;
	c->pol_nomki.key = c->key;
	c->pol_nomki.keys = NULL;
	c->pol_nomki.num_master_keys = 0;
	c->rtcp_tag = su->rtcp_tag;
	c->aead = su->rtcp_tag == 16;
	c->on = true;
}

/* ---- packets --------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void rtp_header(uint8_t *p, bool marker, uint8_t pt, uint16_t seq,
                       uint32_t ts, uint32_t ssrc)
{
	p[0] = 0x80;
	p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	put16(p + 2, seq);
	put32(p + 4, ts);
	put32(p + 8, ssrc);
}

static void audio_payload(uint8_t *p, uint8_t tag, uint32_t idx)
{
	p[0] = tag;
	put32(p + 1, idx);
	for (unsigned i = 5; i < PAYLOAD_LEN; i++)
		p[i] = (uint8_t)(tag ^ (uint8_t)(idx * 31u + i));
}

static const uint8_t foreign_magic[4] = {'F', 'R', 'G', 'N'};

/* ---- state ------------------------------------------------------------ */

static volatile sig_atomic_t got_signal;

static struct {
	int fd, rtcp_fd, foreign_fd;
	uint16_t seq0;
	uint32_t ts0;
	uint16_t fseq;
	long sent, te_sent, foreign_sent, rtcp_sent;
	uint32_t octets;
	long send_err;
} tx;

static struct {
	long total; /* every datagram received */
	long valid; /* valid audio */
	long bad, dup, reorder, foreign, srtp_err, wrong_src;
	long te, te_end;
	long rtcp, rtcp_bad;
	long ssrc_changes;
	bool have_base, have_ssrc;
	uint32_t ssrc;
	uint16_t base_seq; /* seq of index 0 */
	uint32_t base_ts;  /* timestamp of index 0 */
	int64_t highest;   /* highest index seen, -1 none */
	uint8_t *seen;     /* bitmap of indexes */
	size_t seen_bits;
	long unique;
	char first_bad[64];
} rx;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void bad(const char *what, int64_t idx)
{
	rx.bad++;
	if (!rx.first_bad[0])
		snprintf(rx.first_bad, sizeof(rx.first_bad), "%s@%" PRId64,
		         what, idx);
}

/* Records index idx as received: false (and bad) when it was seen before. */
static bool mark_seen(int64_t idx)
{
	if (idx < 0 || (size_t)idx >= rx.seen_bits) {
		bad("index_range", idx);
		return false;
	}
	uint8_t bit = (uint8_t)(1u << (idx & 7));
	if (rx.seen[idx >> 3] & bit) {
		rx.dup++;
		bad("dup", idx);
		return false;
	}
	rx.seen[idx >> 3] |= bit;
	rx.unique++;
	if (idx < rx.highest)
		rx.reorder++;
	else
		rx.highest = idx;
	return true;
}

static void reset_stream(uint32_t ssrc)
{
	rx.have_base = false;
	rx.ssrc = ssrc;
	rx.highest = -1;
	memset(rx.seen, 0, (rx.seen_bits + 7) / 8);
	rx.unique = 0;
}

/* Index of a packet that carries none in its payload, from its sequence
 * number, near the highest index seen. */
static int64_t idx_of_seq(uint16_t seq)
{
	int64_t ref = rx.highest < 0 ? 0 : rx.highest;
	uint16_t d = (uint16_t)(seq - rx.base_seq);
	int64_t idx = ref + (int16_t)(uint16_t)(d - (uint16_t)ref);
	return idx;
}

static void check_rtcp(uint8_t *p, size_t n)
{
	int len = (int)n;
	if (o.rx.on) {
		srtp_t ses = o.rx.session;
		bool mki = o.rx.mki_len > 0;
		if (mki && !o.rx.aead) {
			/* libsrtp 2.5.0 looks for the MKI of SRTCP at the RTP
			 * tag's length from the end (cisco/libsrtp#733), so
			 * the _32 suites fail: check the MKI here (index ||
			 * MKI || tag), take it out (it is not authenticated,
			 * RFC 3711 3.4) and unprotect with a session of the
			 * same key without MKI. */
			size_t ml = o.rx.mki_len, tl = o.rx.rtcp_tag;
			if (n < 8 + 4 + ml + tl ||
			    memcmp(p + n - tl - ml, o.rx.mki, ml) != 0) {
				rx.srtp_err++;
				rx.rtcp_bad++;
				bad("srtcp_mki", -1);
				return;
			}
			memmove(p + n - tl - ml, p + n - tl, tl);
			len -= (int)ml;
			ses = o.rx.rtcp_session;
			mki = false;
		}
		srtp_err_status_t e =
		        srtp_unprotect_rtcp_mki(ses, p, &len, mki);
		if (e != srtp_err_status_ok) {
			rx.srtp_err++;
			rx.rtcp_bad++;
			bad(e == srtp_err_status_auth_fail ? "srtcp_auth"
			                                   : "srtcp",
			    -1);
			return;
		}
	}
	if (len < 8 || (p[0] & 0xc0) != 0x80 || p[1] < 200 || p[1] > 204) {
		rx.rtcp_bad++;
		bad("rtcp", -1);
		return;
	}
	/* the first report comes from the stream's SSRC once it is known */
	uint32_t ssrc = get32(p + 4);
	if (rx.have_ssrc && ssrc != rx.ssrc && !o.ssrc_any) {
		rx.rtcp_bad++;
		bad("rtcp_ssrc", -1);
		return;
	}
	rx.rtcp++;
}

static void check_rtp(uint8_t *p, size_t n, const struct sockaddr_storage *src,
                      bool on_rtcp_port)
{
	rx.total++;
	if (!o.any_source) {
		struct sockaddr_storage want = o.remote;
		if (on_rtcp_port && !o.rtcp_mux)
			sa_set_port(&want, (uint16_t)(sa_port(&o.remote) + 1));
		if (!sa_equal(src, &want)) {
			rx.wrong_src++;
			bad("source", -1);
			return;
		}
	}
	if (n >= 2 && p[1] >= 192 && p[1] <= 223) { /* RFC 5761 demux */
		if (on_rtcp_port || o.rtcp_mux)
			check_rtcp(p, n);
		else
			bad("rtcp_on_rtp_port", -1);
		return;
	}
	if (on_rtcp_port) {
		bad("rtp_on_rtcp_port", -1);
		return;
	}
	int len = (int)n;
	if (o.rx.on) {
		srtp_err_status_t e = srtp_unprotect_mki(o.rx.session, p, &len,
		                                         o.rx.mki_len > 0);
		if (e != srtp_err_status_ok) {
			rx.srtp_err++;
			bad(e == srtp_err_status_auth_fail     ? "srtp_auth"
			    : e == srtp_err_status_replay_fail ? "srtp_replay"
			    : e == srtp_err_status_replay_old  ? "srtp_old"
			                                       : "srtp",
			    -1);
			return;
		}
	}
	if (len < 12 || (p[0] & 0xc0) != 0x80) {
		bad("malformed", -1);
		return;
	}
	size_t h = 12 + 4u * (p[0] & 0x0f);
	if ((size_t)len < h) {
		bad("malformed", -1);
		return;
	}
	if (p[0] & 0x10) { /* header extension */
		if ((size_t)len < h + 4) {
			bad("malformed", -1);
			return;
		}
		h += 4 + 4u * get16(p + h + 2);
	}
	size_t plen = (size_t)len;
	if (p[0] & 0x20) { /* padding */
		uint8_t pad = p[len - 1];
		if (pad == 0 || pad > plen - h) {
			bad("malformed", -1);
			return;
		}
		plen -= pad;
	}
	if (plen < h) {
		bad("malformed", -1);
		return;
	}
	plen -= h;
	const uint8_t *pl = p + h;
	uint8_t pt = p[1] & 0x7f;
	uint16_t seq = get16(p + 2);
	uint32_t ts = get32(p + 4), ssrc = get32(p + 8);

	if (plen >= 4 && memcmp(pl, foreign_magic, 4) == 0) {
		rx.foreign++;
		bad("foreign", -1);
		return;
	}
	/* the stream's SSRC */
	if (o.peer_ssrc_set && ssrc != o.peer_ssrc && !o.ssrc_any) {
		bad("ssrc", -1);
		return;
	}
	if (!rx.have_ssrc) {
		rx.ssrc = ssrc;
		rx.have_ssrc = true;
	} else if (ssrc != rx.ssrc) {
		if (!o.ssrc_any) {
			bad("ssrc_changed", -1);
			return;
		}
		rx.ssrc_changes++;
		reset_stream(ssrc);
	}

	if (plen == PAYLOAD_LEN) {
		uint32_t idx = get32(pl + 1);
		uint8_t want[PAYLOAD_LEN];
		if (pl[0] != o.peer_tag) {
			bad("tag", -1);
			return;
		}
		audio_payload(want, o.peer_tag, idx);
		if (memcmp(pl, want, PAYLOAD_LEN) != 0) {
			bad("payload", idx);
			return;
		}
		if (pt != o.expect_pt) {
			bad("pt", idx);
			return;
		}
		if (!rx.have_base) {
			rx.base_seq = (uint16_t)(seq - (uint16_t)idx);
			rx.base_ts = ts - TS_STEP * idx;
			rx.have_base = true;
		}
		if (seq != (uint16_t)(rx.base_seq + idx)) {
			bad("seq", idx);
			return;
		}
		if (ts != rx.base_ts + TS_STEP * idx) {
			bad("timestamp", idx);
			return;
		}
		if (mark_seen(idx))
			rx.valid++;
		return;
	}
	if (plen == 4) { /* RFC 4733 telephone-event */
		uint16_t dur = get16(pl + 2);
		if (o.expect_te_pt < 0 || pt != o.expect_te_pt) {
			bad("te_pt", -1);
			return;
		}
		if (pl[0] != TE_EVENT || (pl[1] & 0x3f) != TE_VOLUME ||
		    dur == 0 || dur % TS_STEP) {
			bad("te_payload", -1);
			return;
		}
		if (rx.have_base) {
			int64_t idx = idx_of_seq(seq);
			int64_t k =
			        dur / TS_STEP - 1; /* packet k of the event */
			if (ts !=
			    rx.base_ts + (uint32_t)(TS_STEP * (idx - k))) {
				bad("te_timestamp", idx);
				return;
			}
			if (!mark_seen(idx))
				return;
		}
		rx.te++;
		if (pl[1] & 0x80)
			rx.te_end++;
		return;
	}
	bad("payload_len", -1);
}

/* ---- sending ---------------------------------------------------------- */

static int protect(struct crypto *c, uint8_t *p, int *len, bool rtcp)
{
	if (!c->on)
		return 0;
	srtp_err_status_t e;
	if (rtcp)
		e = srtp_protect_rtcp_mki(c->session, p, len, c->mki_len > 0,
		                          0);
	else
		e = srtp_protect_mki(c->session, p, len, c->mki_len > 0, 0);
	return e == srtp_err_status_ok ? 0 : -1;
}

static void send_to(int fd, const uint8_t *p, int len,
                    const struct sockaddr_storage *to, socklen_t tl)
{
	if (sendto(fd, p, (size_t)len, 0, (const struct sockaddr *)to, tl) !=
	    len)
		tx.send_err++;
}

/* stream packet number slot (audio or telephone-event) */
static void send_slot(long slot)
{
	uint8_t p[PKT_CAP];
	int len;
	uint32_t idx = (uint32_t)slot;
	bool te = o.te_pt >= 0 && slot >= o.te_at && slot < o.te_at + o.te_n;

	if (te) {
		long k = slot - o.te_at;
		rtp_header(p, k == 0, (uint8_t)o.te_pt,
		           (uint16_t)(tx.seq0 + idx),
		           tx.ts0 + TS_STEP * (uint32_t)o.te_at, o.ssrc);
		p[12] = TE_EVENT;
		p[13] = (uint8_t)((k == o.te_n - 1 ? 0x80 : 0) | TE_VOLUME);
		put16(p + 14, (uint16_t)(TS_STEP * (k + 1)));
		len = 16;
		tx.te_sent++;
	} else {
		rtp_header(p, slot == 0, o.pt, (uint16_t)(tx.seq0 + idx),
		           tx.ts0 + TS_STEP * idx, o.ssrc);
		audio_payload(p + 12, o.tag, idx);
		len = 12 + PAYLOAD_LEN;
		tx.sent++;
	}
	tx.octets += (uint32_t)(len - 12);
	if (protect(&o.tx, p, &len, false) < 0) {
		tx.send_err++;
		return;
	}
	send_to(tx.fd, p, len, &o.remote, o.remote_len);
}

static void send_foreign(void)
{
	uint8_t p[PKT_CAP];
	int len = 12 + PAYLOAD_LEN;
	rtp_header(p, false, o.pt, tx.fseq++,
	           tx.ts0 + TS_STEP * (uint32_t)tx.foreign_sent,
	           o.ssrc ^ FOREIGN_XOR);
	memcpy(p + 12, foreign_magic, 4);
	p[16] = o.tag;
	memset(p + 17, 0xee, PAYLOAD_LEN - 5);
	if (protect(&o.tx, p, &len, false) < 0) {
		tx.send_err++;
		return;
	}
	send_to(tx.foreign_fd, p, len, &o.remote, o.remote_len);
	tx.foreign_sent++;
}

static void send_rtcp(void)
{
	uint8_t p[PKT_CAP];
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	uint64_t ntp_s = (uint64_t)rt.tv_sec + 2208988800u;
	uint64_t frac = ((uint64_t)rt.tv_nsec << 32) / 1000000000u;

	/* SR, no report blocks */
	p[0] = 0x80;
	p[1] = 200;
	put16(p + 2, 6);
	put32(p + 4, o.ssrc);
	put32(p + 8, (uint32_t)ntp_s);
	put32(p + 12, (uint32_t)frac);
	put32(p + 16, tx.ts0 + TS_STEP * (uint32_t)(tx.sent + tx.te_sent));
	put32(p + 20, (uint32_t)(tx.sent + tx.te_sent));
	put32(p + 24, tx.octets);
	/* SDES: one chunk, CNAME "rtp_peer-T", END, padded to 32 bits */
	uint8_t *s = p + 28;
	char cname[16];
	int cl = snprintf(cname, sizeof(cname), "rtp_peer-%c", o.tag);
	size_t chunk = 4 + 2 + (size_t)cl + 1;
	chunk = (chunk + 3) & ~(size_t)3;
	s[0] = 0x81;
	s[1] = 202;
	put16(s + 2, (uint16_t)(chunk / 4));
	put32(s + 4, o.ssrc);
	s[8] = 1;
	s[9] = (uint8_t)cl;
	memcpy(s + 10, cname, (size_t)cl);
	memset(s + 10 + cl, 0, chunk + 4 - 10 - (size_t)cl);
	int len = 28 + 4 + (int)chunk;
	if (protect(&o.tx, p, &len, true) < 0) {
		tx.send_err++;
		return;
	}
	struct sockaddr_storage to = o.remote;
	int fd = tx.fd;
	if (!o.rtcp_mux) {
		sa_set_port(&to, (uint16_t)(sa_port(&o.remote) + 1));
		fd = tx.rtcp_fd;
	}
	send_to(fd, p, len, &to, o.remote_len);
	tx.rtcp_sent++;
}

/* ---- main ------------------------------------------------------------- */

static int udp_bind(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family,
	                SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int sz = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void on_signal(int sig)
{
	got_signal = sig;
}

static void drain(int fd, bool rtcp_port)
{
	uint8_t buf[RECV_BUF];
	for (int i = 0; i < 10000; i++) {
		struct sockaddr_storage src;
		socklen_t sl = sizeof(src);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0,
		                     (struct sockaddr *)&src, &sl);
		if (r < 0)
			return;
		check_rtp(buf, (size_t)r, &src, rtcp_port);
	}
}

static bool receive_done(void)
{
	if (rx.valid < o.expect)
		return false;
	if (o.expect_te_pt >= 0 && (rx.te < o.expect_te_n || rx.te_end == 0))
		return false;
	if (rx.rtcp < o.expect_rtcp)
		return false;
	return true;
}

/* the value after option argv[*i] */
static const char *value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		char b[120];
		snprintf(b, sizeof(b), "%s wants a value", argv[*i]);
		usage(b);
	}
	return argv[++*i];
}

static void parse_args(int argc, char **argv)
{
	bool have_local = false, have_remote = false;

	o.tag = 'A';
	o.count = 200;
	o.ptime_ms = 20;
	o.te_pt = -1;
	o.expect_te_pt = -1;
	o.pause_at = -1;
	o.max_gaps = -1;
	o.linger_ms = 300;
	o.timeout_s = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = NULL;
#define OPT(name)  (strcmp(a, name) == 0 && (v = value(argc, argv, &i)))
#define FLAG(name) (strcmp(a, name) == 0)
		if (OPT("--local")) {
			addr_opt(a, v, &o.local, &o.local_len);
			have_local = true;
		} else if (OPT("--remote")) {
			addr_opt(a, v, &o.remote, &o.remote_len);
			have_remote = true;
		} else if (OPT("--tag")) {
			if (strlen(v) != 1)
				usage("--tag wants one character");
			o.tag = (uint8_t)v[0];
		} else if (OPT("--peer-tag")) {
			if (strlen(v) != 1)
				usage("--peer-tag wants one character");
			o.peer_tag = (uint8_t)v[0];
			o.peer_tag_set = true;
		} else if (OPT("--ssrc")) {
			o.ssrc = (uint32_t)numopt(a, v, 0, UINT32_MAX);
			o.ssrc_set = true;
		} else if (OPT("--pt")) {
			o.pt = (uint8_t)numopt(a, v, 0, 127);
		} else if (OPT("--expect-pt")) {
			o.expect_pt = (uint8_t)numopt(a, v, 0, 127);
			o.expect_pt_set = true;
		} else if (OPT("--count")) {
			o.count = numopt(a, v, 0, MAX_COUNT);
		} else if (OPT("--ptime")) {
			o.ptime_ms = numopt(a, v, 1, 1000);
		} else if (OPT("--delay")) {
			o.delay_ms = numopt(a, v, 0, 60000);
		} else if (OPT("--expect")) {
			o.expect = numopt(a, v, 0, MAX_COUNT);
			o.expect_set = true;
		} else if (OPT("--tx-crypto")) {
			crypto_opt(a, v, &o.tx, true);
		} else if (OPT("--rx-crypto")) {
			crypto_opt(a, v, &o.rx, false);
		} else if (OPT("--te")) {
			pt_n(a, v, &o.te_pt, &o.te_n, 1, 1000);
		} else if (OPT("--te-at")) {
			o.te_at = numopt(a, v, 0, MAX_COUNT);
			o.te_at_set = true;
		} else if (OPT("--expect-te")) {
			pt_n(a, v, &o.expect_te_pt, &o.expect_te_n, 1, 1000);
		} else if (OPT("--expect-rtcp")) {
			o.expect_rtcp = numopt(a, v, 0, MAX_COUNT);
		} else if (OPT("--pause-at")) {
			o.pause_at = numopt(a, v, 0, MAX_COUNT);
		} else if (OPT("--pause-ms")) {
			o.pause_ms = numopt(a, v, 0, 600000);
		} else if (OPT("--foreign")) {
			o.foreign_n = numopt(a, v, 0, 10000);
		} else if (OPT("--foreign-at")) {
			o.foreign_at = numopt(a, v, 0, MAX_COUNT);
			o.foreign_at_set = true;
		} else if (OPT("--from-port")) {
			o.from_port = numopt(a, v, 1, 65535);
		} else if (OPT("--peer-ssrc")) {
			o.peer_ssrc = (uint32_t)numopt(a, v, 0, UINT32_MAX);
			o.peer_ssrc_set = true;
		} else if (OPT("--max-gaps")) {
			o.max_gaps = numopt(a, v, 0, MAX_COUNT);
		} else if (OPT("--linger")) {
			o.linger_ms = numopt(a, v, 0, 60000);
		} else if (OPT("--timeout")) {
			o.timeout_s = numopt(a, v, 1, 3600);
		} else if (OPT("--report")) {
			o.report = v;
		} else if (FLAG("--rtcp")) {
			o.rtcp = true;
		} else if (FLAG("--rtcp-mux")) {
			o.rtcp = o.rtcp_mux = true;
		} else if (FLAG("--expect-ssrc-any")) {
			o.ssrc_any = true;
		} else if (FLAG("--any-source")) {
			o.any_source = true;
		} else if (FLAG("-h") || FLAG("--help")) {
			usage("help");
		} else {
			char b[120];
			snprintf(b, sizeof(b), "unknown option %s", a);
			usage(b);
		}
#undef OPT
#undef FLAG
	}
	if (!have_local || !have_remote)
		usage("--local and --remote are required");
	if (o.local.ss_family != o.remote.ss_family)
		usage("--local and --remote must be of one address family");
	if (!o.peer_tag_set)
		o.peer_tag = o.tag == 'A' ? 'B' : 'A';
	if (!o.expect_set)
		o.expect = o.count;
	if (!o.expect_pt_set)
		o.expect_pt = o.pt;
	if (!o.te_at_set)
		o.te_at = o.count / 2;
	if (o.te_pt >= 0 && o.te_at > o.count)
		usage("--te-at is past the end of the stream");
	if (o.te_pt >= 0 && o.te_pt == o.pt)
		usage("--te wants a payload type other than --pt");
	if (!o.foreign_at_set)
		o.foreign_at = o.count / 2;
	if (o.pause_at >= 0 && o.pause_ms == 0)
		usage("--pause-at wants --pause-ms");
	if (o.rtcp && !o.rtcp_mux &&
	    (sa_port(&o.local) == 65535 || sa_port(&o.remote) == 65535))
		usage("--rtcp needs port + 1 on both sides");
}

int main(int argc, char **argv)
{
	char line[512];
	const char *why = NULL;

	parse_args(argc, argv);

	if (srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "rtp_peer: srtp_init failed\n");
		return 3;
	}
	if (o.tx.on &&
	    srtp_create(&o.tx.session, &o.tx.pol) != srtp_err_status_ok) {
		fprintf(stderr, "rtp_peer: srtp_create (tx) failed\n");
		return 3;
	}
	if (o.rx.on &&
	    (srtp_create(&o.rx.session, &o.rx.pol) != srtp_err_status_ok ||
	     (o.rx.mki_len && !o.rx.aead &&
	      srtp_create(&o.rx.rtcp_session, &o.rx.pol_nomki) !=
	              srtp_err_status_ok))) {
		fprintf(stderr, "rtp_peer: srtp_create (rx) failed\n");
		return 3;
	}
	uint8_t rnd[10];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return 3;
	if (!o.ssrc_set)
		o.ssrc = get32(rnd);
	tx.seq0 = get16(rnd + 4);
	tx.ts0 = get32(rnd + 6);
	tx.fseq = (uint16_t)(tx.seq0 + 30000);

	rx.seen_bits = (size_t)MAX_COUNT + 2000;
	rx.seen = calloc(1, (rx.seen_bits + 7) / 8);
	if (!rx.seen)
		return 3;
	rx.highest = -1;

	tx.rtcp_fd = tx.foreign_fd = -1;
	tx.fd = udp_bind(&o.local, o.local_len);
	if (tx.fd < 0) {
		fprintf(stderr, "rtp_peer: bind %s port %u: %s\n",
		        o.local.ss_family == AF_INET ? "IPv4" : "IPv6",
		        sa_port(&o.local), strerror(errno));
		return 3;
	}
	if (o.rtcp && !o.rtcp_mux) {
		struct sockaddr_storage l = o.local;
		sa_set_port(&l, (uint16_t)(sa_port(&o.local) + 1));
		tx.rtcp_fd = udp_bind(&l, o.local_len);
		if (tx.rtcp_fd < 0) {
			fprintf(stderr, "rtp_peer: bind RTCP port %u: %s\n",
			        sa_port(&l), strerror(errno));
			return 3;
		}
	}
	if (o.foreign_n > 0) {
		struct sockaddr_storage l = o.local;
		sa_set_port(&l, (uint16_t)o.from_port);
		tx.foreign_fd = udp_bind(&l, o.local_len);
		if (tx.foreign_fd < 0) {
			fprintf(stderr, "rtp_peer: bind foreign port %ld: %s\n",
			        o.from_port, strerror(errno));
			return 3;
		}
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	const long total = o.count + (o.te_pt >= 0 ? o.te_n : 0);
	const int64_t ptime = o.ptime_ms * 1000000LL;
	const int64_t t_begin = now_ns();
	const int64_t deadline = t_begin + o.timeout_s * 1000000000LL;
	const int64_t t_send0 = t_begin + o.delay_ms * 1000000LL;
	const int64_t pause_ns = o.pause_ms * 1000000LL;
	long slot = 0;
	bool last_rtcp = !o.rtcp;
	int64_t linger_from = 0;
	bool timed_out = false;

	for (;;) {
		int64_t now = now_ns();
		if (got_signal)
			break;
		if (now >= deadline) {
			timed_out = true;
			break;
		}
		/* send what is due */
		int64_t due = 0;
		while (slot < total) {
			due = t_send0 + slot * ptime +
			      (o.pause_at >= 0 && slot >= o.pause_at ? pause_ns
			                                             : 0);
			if (now < due)
				break;
			send_slot(slot);
			if (o.foreign_n > 0 && slot >= o.foreign_at &&
			    tx.foreign_sent < o.foreign_n)
				send_foreign();
			if (o.rtcp && slot % RTCP_EVERY == 0)
				send_rtcp();
			slot++;
		}
		if (slot == total) {
			while (tx.foreign_sent < o.foreign_n)
				send_foreign();
			if (!last_rtcp) {
				send_rtcp();
				last_rtcp = true;
			}
		}
		int64_t wait = deadline - now;
		if (slot < total && due - now < wait)
			wait = due - now;
		if (slot == total && receive_done()) {
			if (!linger_from)
				linger_from = now;
			int64_t left =
			        linger_from + o.linger_ms * 1000000LL - now;
			if (left <= 0)
				break;
			if (left < wait)
				wait = left;
		}
		if (wait < 0)
			wait = 0;
		struct pollfd pf[2] = {{tx.fd, POLLIN, 0},
		                       {tx.rtcp_fd, POLLIN, 0}};
		struct timespec ts = {(time_t)(wait / 1000000000),
		                      (long)(wait % 1000000000)};
		int nf = tx.rtcp_fd >= 0 ? 2 : 1;
		if (ppoll(pf, (nfds_t)nf, &ts, NULL) > 0) {
			if (pf[0].revents)
				drain(tx.fd, false);
			if (nf == 2 && pf[1].revents)
				drain(tx.rtcp_fd, true);
		}
	}
	/* late arrivals already queued */
	drain(tx.fd, false);
	if (tx.rtcp_fd >= 0)
		drain(tx.rtcp_fd, true);

	long gaps = 0;
	if (rx.highest >= 0)
		gaps = (long)(rx.highest + 1 - rx.unique);

	if (got_signal)
		why = "signal";
	else if (rx.bad > 0)
		why = "bad_packets";
	else if (rx.valid < o.expect)
		why = timed_out ? "timeout_short_of_expect" : "short_of_expect";
	else if (o.expect_te_pt >= 0 &&
	         (rx.te < o.expect_te_n || rx.te_end == 0))
		why = "telephone_events_missing";
	else if (rx.rtcp < o.expect_rtcp)
		why = "rtcp_missing";
	else if (o.max_gaps >= 0 && gaps > o.max_gaps)
		why = "gaps";
	else if (tx.send_err > 0)
		why = "send_errors";
	else if (slot < total)
		why = "not_all_sent";

	int n = snprintf(line, sizeof(line),
	                 "rtp_peer tag=%c sent=%ld recv=%ld bad=%ld gaps=%ld "
	                 "reorder=%ld dup=%ld foreign=%ld srtp_err=%ld "
	                 "wrong_src=%ld te=%ld te_sent=%ld foreign_sent=%ld "
	                 "rtcp_sent=%ld rtcp_recv=%ld rx_total=%ld "
	                 "ssrc=0x%08x ssrc_changes=%ld result=%s",
	                 o.tag, tx.sent, rx.valid, rx.bad, gaps, rx.reorder,
	                 rx.dup, rx.foreign, rx.srtp_err, rx.wrong_src, rx.te,
	                 tx.te_sent, tx.foreign_sent, tx.rtcp_sent, rx.rtcp,
	                 rx.total, rx.ssrc, rx.ssrc_changes,
	                 why ? "fail" : "ok");
	if (rx.first_bad[0] && n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n,
		              " first_bad=%s", rx.first_bad);
	if (why && n > 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, " why=%s", why);
	printf("%s\n", line);
	fflush(stdout);
	if (o.report) {
		FILE *f = fopen(o.report, "w");
		if (f) {
			fprintf(f, "%s\n", line);
			fclose(f);
		}
	}
	if (o.tx.on)
		srtp_dealloc(o.tx.session);
	if (o.rx.on)
		srtp_dealloc(o.rx.session);
	if (o.rx.on && o.rx.mki_len && !o.rx.aead)
		srtp_dealloc(o.rx.rtcp_session);
	srtp_shutdown();
	free(rx.seen);
	close(tx.fd);
	if (tx.rtcp_fd >= 0)
		close(tx.rtcp_fd);
	if (tx.foreign_fd >= 0)
		close(tx.foreign_fd);
	return why ? 1 : 0;
}
