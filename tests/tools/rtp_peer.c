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
 * ICE connectivity check (RFC 8445 7.2), before any media is sent:
 *   --stun-remote UFRAG:PWD  the remote's (the relay's) a=ice-ufrag and
 *                      a=ice-pwd. As the controlling agent, check the pair
 *                      --local -> --remote first: a STUN binding request
 *                      (RFC 5389) from the media socket with USERNAME
 *                      "UFRAG:<local ufrag>", PRIORITY (peer-reflexive,
 *                      component 1), ICE-CONTROLLING (random
 *                      tie-breaker), USE-CANDIDATE, MESSAGE-INTEGRITY
 *                      (HMAC-SHA1 keyed with PWD) and FINGERPRINT; sent
 *                      again after 100, 200, 400... ms, 7 at most, the
 *                      last one given 1.6 s (all within --timeout). It
 *                      passes on a binding success response from --remote
 *                      with the request's transaction id, whose
 *                      MESSAGE-INTEGRITY verifies with PWD, whose
 *                      FINGERPRINT verifies and whose XOR-MAPPED-ADDRESS
 *                      is --local. Media then starts (at --delay at the
 *                      earliest), whatever the outcome. With it, every
 *                      datagram on the media socket whose first byte is
 *                      0-3 is STUN (RFC 7983 demultiplexing), kept out of
 *                      the media checks and counts (rx_total); one that is
 *                      not a response to a request of ours is bad
 *                      (stun_stray); later copies of the response (to
 *                      retransmissions) are ignored
 *   --stun-local UFRAG this side's ice-ufrag (default rtpp)
 *   --stun-bad         also send, before the check, one request like it
 *                      but with MESSAGE-INTEGRITY under a wrong key (PWD
 *                      with its last character changed): no success
 *                      response may come to it (the relay drops it); the
 *                      check waits 300 ms for one, and one arriving later
 *                      fails too
 * UFRAG and PWD are 1-256 ice-chars (letters, digits, '+', '/').
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
 *   ssrc=0x... ssrc_changes=0 stun=off result=ok
 * (one line), with first_bad=WHAT@INDEX when a packet was bad and why=...
 * when it failed. With --stun-remote, stun=ok or stun=fail(REASON) and
 * stun_sent=N (requests sent: the check's retransmissions and the
 * --stun-bad one included); with --stun-bad also stun_bad=ignored (no
 * response), rejected (an error response), answered (a success response:
 * fails) or unchecked (time ran out first: fails). REASON is one of
 * timeout, signal, source (the response came from elsewhere than
 * --remote), error_CODE (an error response), malformed, no_fingerprint,
 * fingerprint, no_integrity, integrity, no_mapped, mapped=IP:PORT (not
 * --local). Exit 0 only on result=ok: the STUN check passed when asked,
 * at least --expect valid audio packets, no bad packet, the
 * telephone-events and RTCP asked for, gaps within --max-gaps; 1 when the
 * checks failed or time ran out, 2 on a usage error, 3 on a setup error
 * (bind, libsrtp2). Loopback addresses only (127.0.0.0/8, ::1).
 */
#define _GNU_SOURCE
#include "tests/bytes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <srtp2/srtp.h>
#include <stdbool.h>
#include <stddef.h>
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

/* ICE connectivity check: STUN (RFC 5389) as RFC 8445 uses it */
#define STUN_HDR         20
#define STUN_COOKIE      0x2112a442u
#define STUN_TID         12
#define STUN_FP_XOR      0x5354554eu
#define STUN_REQUEST     0x0001
#define STUN_SUCCESS     0x0101
#define STUN_ERROR       0x0111
#define STUN_A_USERNAME  0x0006
#define STUN_A_INTEGRITY 0x0008
#define STUN_A_ERROR     0x0009
#define STUN_A_XMAPPED   0x0020
#define STUN_A_PRIORITY  0x0024
#define STUN_A_USE_CAND  0x0025
#define STUN_A_FINGERPR  0x8028
#define STUN_A_CONTROLNG 0x802a
#define STUN_RTO_MS      100 /* RFC 5389 7.2.1: RTO, Rc, Rm */
#define STUN_RC          7
#define STUN_RM          16
#define STUN_BAD_WAIT_MS 300
/* RFC 8445 7.1.1: a peer-reflexive candidate's priority (5.1.2.1: type
 * preference 110, local preference 65535, component 1) */
#define STUN_PRIORITY ((110u << 24) | (65535u << 8) | (256u - 1))
#define ICE_MAX       256 /* ufrag and pwd, RFC 8839 5.4 */
#define STUN_REQ_CAP  (STUN_HDR + 4 + 2 * ICE_MAX + 4 + 8 + 12 + 4 + 24 + 8)

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
	bool stun, stun_bad;
	char stun_rufrag[ICE_MAX + 1], stun_rpwd[ICE_MAX + 1];
	char stun_lufrag[ICE_MAX + 1];
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
	        "[--timeout S] [--report FILE] [--stun-remote UFRAG:PWD "
	        "[--stun-local UFRAG] [--stun-bad]]\n");
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

/* n (1-ICE_MAX) ice-chars (RFC 8839 5.4: ALPHA / DIGIT / "+" / "/") from
 * s into out, NUL-terminated */
static void ice_opt(const char *name, const char *s, size_t n, char *out)
{
	char b[160];
	snprintf(b, sizeof(b),
	         "%s: a ufrag or pwd is 1-%d letters, digits, '+' or '/'", name,
	         ICE_MAX);
	if (n == 0 || n > ICE_MAX)
		usage(b);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			usage(b);
	}
	memcpy(out, s, n);
	out[n] = 0;
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

/* The port written byte-wise: stored through a sockaddr_in pointer into
 * a copy of a sockaddr_storage, gcc 12 -O2 (strict aliasing) dropped the
 * IPv4 store in check_rtp, so RTCP was checked against --remote's RTP
 * port. */
static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	uint16_t p = htons(port);
	size_t off = ss->ss_family == AF_INET
	                     ? offsetof(struct sockaddr_in, sin_port)
	                     : offsetof(struct sockaddr_in6, sin6_port);
	memcpy((uint8_t *)ss + off, &p, sizeof(p));
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

/* ---- ICE connectivity check ------------------------------------------ */

enum { ICE_OFF, ICE_PENDING, ICE_OK, ICE_FAIL };

static struct {
	int state;
	char why[80]; /* ICE_FAIL: the reason */
	uint8_t req[STUN_REQ_CAP];
	size_t req_len;
	uint8_t bad_req[STUN_REQ_CAP];
	size_t bad_req_len;
	uint8_t tid[STUN_TID], bad_tid[STUN_TID];
	uint8_t tiebreaker[8]; /* one per agent, not per check */
	int tries;             /* the check's requests sent */
	int64_t rto_ns;        /* the wait after the last one */
	int64_t next_ns;
	long sent;         /* every request sent */
	int64_t bad_until; /* the end of the --stun-bad wait */
	bool bad_waited, bad_answered, bad_rejected;
} st;

/* CRC-32 (ISO-HDLC: reflected polynomial 0xedb88320, initial value and
 * final XOR ~0), a bit at a time */
static uint32_t crc32_iso(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static bool hmac_sha1(const char *key, const uint8_t *p, size_t n,
                      uint8_t mac[20])
{
	unsigned int ml = 0;
	return HMAC(EVP_sha1(), key, (int)strlen(key), p, n, mac, &ml) &&
	       ml == 20;
}

/* An attribute at off, its value padded with zero bytes to 4; the
 * header's length follows. The new end. */
static size_t stun_put(uint8_t *m, size_t off, uint16_t type, const void *v,
                       size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	put16(m + off, type);
	put16(m + off + 2, (uint16_t)len);
	if (len)
		memcpy(m + off + 4, v, len);
	memset(m + off + 4 + len, 0, padded - len);
	off += 4 + padded;
	put16(m + 2, (uint16_t)(off - STUN_HDR));
	return off;
}

/* The check's binding request (RFC 8445 7.2.2) with transaction id tid,
 * MESSAGE-INTEGRITY keyed with key, into m (STUN_REQ_CAP). Its length, 0
 * on an HMAC failure. */
static size_t stun_request(uint8_t *m, const uint8_t tid[STUN_TID],
                           const char *key)
{
	char user[2 * ICE_MAX + 2];
	uint8_t v[8], mac[20];
	size_t rl = strlen(o.stun_rufrag), ll = strlen(o.stun_lufrag);

	/* USERNAME "remote:local" (7.2.2) */
	memcpy(user, o.stun_rufrag, rl);
	user[rl] = ':';
	memcpy(user + rl + 1, o.stun_lufrag, ll);
	put16(m, STUN_REQUEST);
	put16(m + 2, 0);
	put32(m + 4, STUN_COOKIE);
	memcpy(m + 8, tid, STUN_TID);
	size_t off = stun_put(m, STUN_HDR, STUN_A_USERNAME, user, rl + 1 + ll);
	put32(v, STUN_PRIORITY);
	off = stun_put(m, off, STUN_A_PRIORITY, v, 4);
	off = stun_put(m, off, STUN_A_CONTROLNG, st.tiebreaker, 8);
	off = stun_put(m, off, STUN_A_USE_CAND, NULL, 0);
	/* RFC 5389 15.4: the HMAC covers the message before the attribute,
	 * its length field counting the attribute */
	put16(m + 2, (uint16_t)(off + 4 + 20 - STUN_HDR));
	if (!hmac_sha1(key, m, off, mac))
		return 0;
	off = stun_put(m, off, STUN_A_INTEGRITY, mac, 20);
	/* 15.5: likewise the CRC of FINGERPRINT */
	put16(m + 2, (uint16_t)(off + 4 + 4 - STUN_HDR));
	put32(v, crc32_iso(m, off) ^ STUN_FP_XOR);
	return stun_put(m, off, STUN_A_FINGERPR, v, 4);
}

/* Offsets of the attributes of a response (0: absent; the first of each
 * before MESSAGE-INTEGRITY, later ones ignored as RFC 5389 15.4 says);
 * false when malformed (an attribute past the end, MESSAGE-INTEGRITY or
 * FINGERPRINT of the wrong size, FINGERPRINT not last). */
struct stun_attrs {
	size_t mi, fp, xa, ec;
};

static bool stun_attrs(const uint8_t *p, size_t n, struct stun_attrs *a)
{
	size_t off = STUN_HDR;
	memset(a, 0, sizeof(*a));
	while (off < n) {
		if (n - off < 4 || a->fp)
			return false;
		uint16_t t = get16(p + off);
		size_t al = get16(p + off + 2);
		size_t padded = (al + 3) & ~(size_t)3;
		if (padded > n - off - 4)
			return false;
		if (t == STUN_A_FINGERPR) {
			if (al != 4)
				return false;
			a->fp = off;
		} else if (!a->mi) {
			if (t == STUN_A_INTEGRITY) {
				if (al != 20)
					return false;
				a->mi = off;
			} else if (t == STUN_A_XMAPPED && !a->xa) {
				a->xa = off;
			} else if (t == STUN_A_ERROR && !a->ec) {
				a->ec = off;
			}
		}
		off += 4 + padded;
	}
	return true;
}

/* A binding success response to the check: true when it passes, else
 * why not in why */
static bool stun_verify(const uint8_t *p, size_t n, char *why, size_t cap)
{
	struct stun_attrs a;
	uint8_t buf[RECV_BUF], mac[20];

	snprintf(why, cap, "malformed");
	if (!stun_attrs(p, n, &a))
		return false;
	if (!a.fp) {
		snprintf(why, cap, "no_fingerprint");
		return false;
	}
	if ((crc32_iso(p, a.fp) ^ STUN_FP_XOR) != get32(p + a.fp + 4)) {
		snprintf(why, cap, "fingerprint");
		return false;
	}
	if (!a.mi) {
		snprintf(why, cap, "no_integrity");
		return false;
	}
	memcpy(buf, p, a.mi);
	put16(buf + 2, (uint16_t)(a.mi + 4 + 20 - STUN_HDR));
	if (!hmac_sha1(o.stun_rpwd, buf, a.mi, mac) ||
	    CRYPTO_memcmp(mac, p + a.mi + 4, 20) != 0) {
		snprintf(why, cap, "integrity");
		return false;
	}
	if (!a.xa) {
		snprintf(why, cap, "no_mapped");
		return false;
	}
	/* XOR-MAPPED-ADDRESS (RFC 5389 15.2): the port XOR the cookie's top
	 * 16 bits, the address XOR the cookie (and the transaction id) */
	const uint8_t *v = p + a.xa + 4;
	size_t al = get16(p + a.xa + 2);
	uint16_t port = (uint16_t)(get16(v + 2) ^ (STUN_COOKIE >> 16));
	char ip[INET6_ADDRSTRLEN];
	bool same;
	if (al == 8 && v[1] == 1) {
		struct in_addr ia;
		ia.s_addr = htonl(get32(v + 4) ^ STUN_COOKIE);
		const struct sockaddr_in *l =
		        (const struct sockaddr_in *)&o.local;
		same = o.local.ss_family == AF_INET &&
		       l->sin_addr.s_addr == ia.s_addr &&
		       l->sin_port == htons(port);
		inet_ntop(AF_INET, &ia, ip, sizeof(ip));
		snprintf(why, cap, "mapped=%s:%u", ip, port);
	} else if (al == 20 && v[1] == 2) {
		struct in6_addr ia;
		uint8_t x[16];
		put32(x, STUN_COOKIE);
		memcpy(x + 4, p + 8, STUN_TID);
		for (size_t i = 0; i < 16; i++)
			ia.s6_addr[i] = v[4 + i] ^ x[i];
		const struct sockaddr_in6 *l =
		        (const struct sockaddr_in6 *)&o.local;
		same = o.local.ss_family == AF_INET6 &&
		       memcmp(&l->sin6_addr, &ia, 16) == 0 &&
		       l->sin6_port == htons(port);
		inet_ntop(AF_INET6, &ia, ip, sizeof(ip));
		snprintf(why, cap, "mapped=[%s]:%u", ip, port);
	} else {
		return false; /* malformed */
	}
	return same;
}

static void stun_fail(const char *why)
{
	st.state = ICE_FAIL;
	snprintf(st.why, sizeof(st.why), "%s", why);
}

/* A datagram on the media socket whose first byte is 0-3 (RFC 7983): a
 * response to one of our requests, or a stray one (bad). */
static void stun_in(const uint8_t *p, size_t n,
                    const struct sockaddr_storage *src)
{
	if (n < STUN_HDR || get32(p + 4) != STUN_COOKIE || get16(p + 2) % 4 ||
	    get16(p + 2) + (size_t)STUN_HDR != n ||
	    (get16(p) != STUN_SUCCESS && get16(p) != STUN_ERROR)) {
		bad("stun_stray", -1);
		return;
	}
	bool success = get16(p) == STUN_SUCCESS;
	if (o.stun_bad && memcmp(p + 8, st.bad_tid, STUN_TID) == 0) {
		if (success)
			st.bad_answered = true;
		else
			st.bad_rejected = true;
		return;
	}
	if (memcmp(p + 8, st.tid, STUN_TID) != 0) {
		bad("stun_stray", -1);
		return;
	}
	if (st.state != ICE_PENDING)
		return; /* a response to a retransmission */
	if (!sa_equal(src, &o.remote)) {
		stun_fail("source"); /* not symmetric (RFC 8445 7.2.5.2.1) */
	} else if (!success) {
		struct stun_attrs a;
		char b[32];
		snprintf(b, sizeof(b), "error");
		if (stun_attrs(p, n, &a) && a.ec && get16(p + a.ec + 2) >= 4)
			snprintf(b, sizeof(b), "error_%u",
			         (p[a.ec + 6] & 7u) * 100 + p[a.ec + 7]);
		stun_fail(b);
	} else if (stun_verify(p, n, st.why, sizeof(st.why))) {
		st.state = ICE_OK;
		st.why[0] = 0;
	} else {
		st.state = ICE_FAIL;
	}
}

/* The requests, built before the sockets are used: false when no random
 * bytes could be had (or HMAC failed). */
static bool stun_setup(void)
{
	char wrong[ICE_MAX + 1];
	size_t pl = strlen(o.stun_rpwd);

	if (RAND_bytes(st.tid, STUN_TID) != 1 ||
	    RAND_bytes(st.bad_tid, STUN_TID) != 1 ||
	    RAND_bytes(st.tiebreaker, sizeof(st.tiebreaker)) != 1)
		return false;
	st.req_len = stun_request(st.req, st.tid, o.stun_rpwd);
	if (!st.req_len)
		return false;
	if (o.stun_bad) {
		memcpy(wrong, o.stun_rpwd, pl + 1);
		wrong[pl - 1] = wrong[pl - 1] == 'A' ? 'B' : 'A';
		st.bad_req_len = stun_request(st.bad_req, st.bad_tid, wrong);
		if (!st.bad_req_len)
			return false;
	}
	return true;
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
		if (o.stun && !rtcp_port && r > 0 && buf[0] <= 3) {
			stun_in(buf, (size_t)r, &src);
			continue;
		}
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

/* Receives for up to wait ns (until something came) */
static void receive_for(int64_t wait)
{
	struct pollfd pf[2] = {{tx.fd, POLLIN, 0}, {tx.rtcp_fd, POLLIN, 0}};
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

static void stun_send(const uint8_t *m, size_t len)
{
	send_to(tx.fd, m, (int)len, &o.remote, o.remote_len);
	st.sent++;
}

/* The check (and the --stun-bad request), before media: until it passed
 * or failed and the --stun-bad wait is over, by deadline at the latest.
 * Media received meanwhile is checked as usual. */
static void stun_check(int64_t deadline)
{
	int64_t now = now_ns();

	st.state = ICE_PENDING;
	if (o.stun_bad) {
		stun_send(st.bad_req, st.bad_req_len);
		st.bad_until = now + STUN_BAD_WAIT_MS * 1000000LL;
	}
	stun_send(st.req, st.req_len);
	st.tries = 1;
	st.rto_ns = STUN_RTO_MS * 1000000LL;
	st.next_ns = now + st.rto_ns;
	for (;;) {
		now = now_ns();
		if (got_signal) {
			if (st.state == ICE_PENDING)
				stun_fail("signal");
			break;
		}
		/* RFC 5389 7.2.1: again after RTO, 2 RTO, 4 RTO...; Rc
		 * requests, the last one given Rm x RTO */
		if (st.state == ICE_PENDING && now >= st.next_ns) {
			if (st.tries >= STUN_RC) {
				stun_fail("timeout");
			} else {
				stun_send(st.req, st.req_len);
				st.tries++;
				st.rto_ns *= 2;
				st.next_ns =
				        now + (st.tries == STUN_RC
				                       ? STUN_RM * STUN_RTO_MS *
				                                 1000000LL
				                       : st.rto_ns);
			}
		}
		if (o.stun_bad && now >= st.bad_until)
			st.bad_waited = true;
		if (now >= deadline) {
			if (st.state == ICE_PENDING)
				stun_fail("timeout");
			break;
		}
		bool bad_wait = o.stun_bad && !st.bad_waited &&
		                !st.bad_answered && !st.bad_rejected;
		if (st.state != ICE_PENDING && !bad_wait)
			break;
		int64_t wake = deadline;
		if (st.state == ICE_PENDING && st.next_ns < wake)
			wake = st.next_ns;
		if (bad_wait && st.bad_until < wake)
			wake = st.bad_until;
		receive_for(wake > now ? wake - now : 0);
	}
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
	bool have_local = false, have_remote = false, have_lufrag = false;

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
		} else if (OPT("--stun-remote")) {
			const char *c = strchr(v, ':');
			if (!c)
				usage("--stun-remote wants UFRAG:PWD");
			ice_opt(a, v, (size_t)(c - v), o.stun_rufrag);
			ice_opt(a, c + 1, strlen(c + 1), o.stun_rpwd);
			o.stun = true;
		} else if (OPT("--stun-local")) {
			ice_opt(a, v, strlen(v), o.stun_lufrag);
			have_lufrag = true;
		} else if (FLAG("--stun-bad")) {
			o.stun_bad = true;
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
	if ((have_lufrag || o.stun_bad) && !o.stun)
		usage("--stun-local and --stun-bad want --stun-remote");
	if (!have_lufrag)
		strcpy(o.stun_lufrag, "rtpp");
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
	char line[768];
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
	if (o.stun && !stun_setup()) {
		fprintf(stderr, "rtp_peer: STUN requests not built\n");
		return 3;
	}

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
	int64_t t_send0 = t_begin + o.delay_ms * 1000000LL;
	const int64_t pause_ns = o.pause_ms * 1000000LL;
	long slot = 0;
	bool last_rtcp = !o.rtcp;
	int64_t linger_from = 0;
	bool timed_out = false;

	if (o.stun) {
		stun_check(deadline);
		int64_t t = now_ns();
		if (t > t_send0)
			t_send0 = t;
	}
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
		receive_for(wait);
	}
	/* late arrivals already queued */
	drain(tx.fd, false);
	if (tx.rtcp_fd >= 0)
		drain(tx.rtcp_fd, true);

	long gaps = 0;
	if (rx.highest >= 0)
		gaps = (long)(rx.highest + 1 - rx.unique);

	/* the STUN check and the --stun-bad one */
	char stun[160];
	const char *stun_bad = !st.bad_waited ? "unchecked" : "ignored";
	if (st.bad_answered)
		stun_bad = "answered";
	else if (st.bad_rejected)
		stun_bad = "rejected";
	if (!o.stun)
		snprintf(stun, sizeof(stun), "off");
	else if (st.state == ICE_OK)
		snprintf(stun, sizeof(stun), "ok stun_sent=%ld", st.sent);
	else
		snprintf(stun, sizeof(stun), "fail(%s) stun_sent=%ld", st.why,
		         st.sent);
	if (o.stun_bad) {
		size_t sl = strlen(stun);
		snprintf(stun + sl, sizeof(stun) - sl, " stun_bad=%s",
		         stun_bad);
	}

	if (got_signal)
		why = "signal";
	else if (o.stun && st.state != ICE_OK)
		why = "stun";
	else if (o.stun_bad &&
	         (st.bad_answered || (!st.bad_waited && !st.bad_rejected)))
		why = "stun_bad";
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
	                 "ssrc=0x%08x ssrc_changes=%ld stun=%s result=%s",
	                 o.tag, tx.sent, rx.valid, rx.bad, gaps, rx.reorder,
	                 rx.dup, rx.foreign, rx.srtp_err, rx.wrong_src, rx.te,
	                 tx.te_sent, tx.foreign_sent, tx.rtcp_sent, rx.rtcp,
	                 rx.total, rx.ssrc, rx.ssrc_changes, stun,
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
