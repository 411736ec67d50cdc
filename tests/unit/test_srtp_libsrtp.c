/* test_srtp_libsrtp.c: our SRTP/SRTCP transform (src/media/srtp.c)
 * checked byte for byte against libsrtp2, an independent implementation
 * (Debian's 2.5.0 is built on NSS, not OpenSSL: not even the AES is
 * shared).
 *
 * Every suite trunkbridge has; Debian's libsrtp2 2.5.0 takes all eight
 * (AES_CM_128/192/256 with HMAC_SHA1_80/_32, AEAD_AES_128_GCM and
 * AEAD_AES_256_GCM; one it refused would be named and skipped), each with
 * no MKI and with a 4-byte MKI:
 *  - random RTP packets (payload 0-1200 bytes, 0-15 CSRCs, some with a
 *    header extension, padding bit, random marker/PT), with forward jumps
 *    and some repeated sequence numbers, over three SSRCs switched mid-
 *    stream and back: ours protect == libsrtp2 protect byte for byte (and
 *    both refuse a repeated index), libsrtp2 unprotects ours, ours
 *    unprotects libsrtp2's; SRTCP packets among them the same way;
 *  - back across SEQ 0 early in ROC 0 (libsrtp2's sender jumps to ROC 1,
 *    our receiver follows; our sender refuses such a packet);
 *  - the sequence number from 65500 past 0 twice (ROC 2, checked with
 *    srtp_get_stream_roc), with a packet held back across each wrap;
 *  - out-of-order delivery within the window, then replays, then tampered
 *    packets: both accept and refuse the same ones, SRTP and SRTCP;
 *  - SRTCP with E=0 (libsrtp2's authentication-only RTCP policy) taken.
 *
 * Two faults of libsrtp2 2.5.0 are found out at run time and worked
 * around, not copied: its AES-192 key derivation uses the AES-256 PRF
 * (cisco/libsrtp#763; ours follows RFC 6188, checked in test_srtp), so
 * AES-192 is compared on the session keys it derives (and not with MKI);
 * and it cannot find the MKI of an SRTCP packet under a 32-bit SRTP tag
 * (not even in its own packets), so there only its protect is compared.
 *
 * The random generator is seeded from a fixed value (TB_SRTP_SEED in the
 * environment overrides it), printed at the start. */
#include <srtp2/srtp.h> /* first: see media/srtp.h on srtp_protect */

#include "media/srtp.h"
#include "tests/bytes.h"
#include "tests/test.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define BUF 2048

static uint64_t rng;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* ---- libsrtp2 sessions ---- */

static const struct {
	enum srtp_suite s;
	void (*rtp)(srtp_crypto_policy_t *);
	void (*rtcp)(srtp_crypto_policy_t *);
} lib_suites[SRTP_SUITE_COUNT] = {
        {SRTP_AES_CM_128_HMAC_SHA1_80, srtp_crypto_policy_set_rtp_default,
         srtp_crypto_policy_set_rtcp_default},
        {SRTP_AES_CM_128_HMAC_SHA1_32,
         srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
         srtp_crypto_policy_set_rtcp_default},
        {SRTP_AES_192_CM_HMAC_SHA1_80,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80},
        {SRTP_AES_192_CM_HMAC_SHA1_32,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32,
         srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80},
        {SRTP_AES_256_CM_HMAC_SHA1_80,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
        {SRTP_AES_256_CM_HMAC_SHA1_32,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
         srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
        {SRTP_AEAD_AES128_GCM, srtp_crypto_policy_set_aes_gcm_128_16_auth,
         srtp_crypto_policy_set_aes_gcm_128_16_auth},
        {SRTP_AEAD_AES256_GCM, srtp_crypto_policy_set_aes_gcm_256_16_auth,
         srtp_crypto_policy_set_aes_gcm_256_16_auth},
};

/* One side of a call under one key: ours and libsrtp2's, a sender and a
 * receiver each. */
struct pair {
	enum srtp_suite s;
	size_t mki_len;
	struct srtp_ctx *otx, *orx; /* ours */
	srtp_t ltx, lrx;            /* libsrtp2's */
	bool lib_rtcp_mki_broken;   /* see lib_rtcp_mki_ok */
};

/* libsrtp2 before 2.7 (cisco/libsrtp#763, fixed by #765 in 2025) derives
 * the AES-192 session keys with the AES-256 PRF keyed with the 38 bytes of
 * master key || salt padded to 46: key' = key || salt[0..8), salt' =
 * salt[8..14) || 8 zero octets. RFC 6188 (and we) use AES-192 keyed with
 * the master key (test_srtp checks the RFC 6188 7.4 vector). Which one this
 * libsrtp2 does is found out once (lib192_probe); when it is the old one,
 * our AES-192 transform is cross-checked on the session keys libsrtp2
 * derives (srtp_ctx_new_session), so all but the PRF's key is compared. */
enum lib192 { LIB192_UNKNOWN, LIB192_RFC, LIB192_AES256_PRF };
static enum lib192 lib192;

static bool is192(enum srtp_suite s)
{
	return s == SRTP_AES_192_CM_HMAC_SHA1_80 ||
	       s == SRTP_AES_192_CM_HMAC_SHA1_32;
}

/* Session keys key||salt||auth for SRTP (labels 0-2) and SRTCP (3-5) as
 * libsrtp2 2.5 derives them for AES-192. */
static bool lib192_session_keys(const uint8_t *master, uint8_t *rtp,
                                uint8_t *rtcp)
{
	uint8_t k[32], salt[14] = {0};
	memcpy(k, master, 24);
	memcpy(k + 24, master + 24, 8);
	memcpy(salt, master + 32, 6);
	for (int d = 0; d < 2; d++) {
		uint8_t *o = d ? rtcp : rtp, base = (uint8_t)(3 * d);
		if (srtp_kdf(k, 32, salt, 14, base, o, 24) ||
		    srtp_kdf(k, 32, salt, 14, (uint8_t)(base + 2), o + 24,
		             14) ||
		    srtp_kdf(k, 32, salt, 14, (uint8_t)(base + 1), o + 38, 20))
			return false;
	}
	return true;
}

static struct srtp_ctx *our_ctx(enum srtp_suite s, const uint8_t *key,
                                const uint8_t *mki, size_t mki_len)
{
	if (is192(s) && lib192 == LIB192_AES256_PRF && !mki_len) {
		uint8_t rtp[58], rtcp[58];
		if (!lib192_session_keys(key, rtp, rtcp))
			return NULL;
		return srtp_ctx_new_session(s, rtp, rtcp);
	}
	return srtp_ctx_new(s, key, mki, mki_len);
}

static srtp_t lib_new(enum srtp_suite s, uint8_t *key, uint8_t *mki,
                      size_t mki_len, bool inbound, bool rtcp_auth_only,
                      srtp_err_status_t *err)
{
	srtp_policy_t pol;
	srtp_master_key_t mk;
	srtp_master_key_t *mkp[1] = {&mk};
	memset(&pol, 0, sizeof(pol));
	lib_suites[s].rtp(&pol.rtp);
	lib_suites[s].rtcp(&pol.rtcp);
	if (rtcp_auth_only)
		pol.rtcp.sec_serv = sec_serv_auth;
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.window_size = 128;
	pol.allow_repeat_tx = 0;
	if (mki_len) {
		mk.key = key;
		mk.mki_id = mki;
		mk.mki_size = (unsigned)mki_len;
		pol.keys = mkp;
		pol.num_master_keys = 1;
	} else {
		pol.key = key;
	}
	srtp_t session = NULL;
	*err = srtp_create(&session, &pol);
	return *err == srtp_err_status_ok ? session : NULL;
}

static bool pair_new(struct pair *p, enum srtp_suite s, size_t mki_len,
                     bool rtcp_auth_only)
{
	uint8_t key[SRTP_MAX_KEY_SALT], mki[SRTP_MAX_MKI];
	rnd_bytes(key, sizeof(key));
	rnd_bytes(mki, sizeof(mki));
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->mki_len = mki_len;
	srtp_err_status_t e1, e2;
	p->ltx = lib_new(s, key, mki, mki_len, false, rtcp_auth_only, &e1);
	p->lrx = lib_new(s, key, mki, mki_len, true, rtcp_auth_only, &e2);
	if (is192(s) && lib192 == LIB192_AES256_PRF && mki_len) {
		/* a session-key context has no MKI: not cross-checked */
		if (p->ltx)
			srtp_dealloc(p->ltx);
		if (p->lrx)
			srtp_dealloc(p->lrx);
		p->ltx = p->lrx = NULL;
		return false;
	}
	p->otx = our_ctx(s, key, mki_len ? mki : NULL, mki_len);
	p->orx = our_ctx(s, key, mki_len ? mki : NULL, mki_len);
	if (!p->ltx || !p->lrx)
		printf("libsrtp2 refuses %s (srtp_create: %d/%d): not "
		       "cross-checked\n",
		       srtp_suite_info(s)->name, (int)e1, (int)e2);
	CHECK(p->otx && p->orx);
	/* libsrtp2 2.5 looks for the MKI of an SRTCP packet before the SRTP
	 * tag length (srtp_get_session_keys uses rtp_auth's): with a 32-bit
	 * SRTP tag it cannot find it ahead of SRTCP's 80-bit one, in its own
	 * packets too. Ours (RFC 3711 3.4: MKI before the SRTCP tag) are then
	 * checked by protect byte for byte only. */
	p->lib_rtcp_mki_broken = mki_len && !srtp_suite_info(s)->aead &&
	                         srtp_suite_info(s)->tag_len == 4;
	return p->ltx && p->lrx && p->otx && p->orx;
}

static void pair_free(struct pair *p)
{
	if (p->ltx)
		srtp_dealloc(p->ltx);
	if (p->lrx)
		srtp_dealloc(p->lrx);
	srtp_ctx_free(p->otx);
	srtp_ctx_free(p->orx);
}

/* libsrtp2 calls, by their non-clashing names */
static srtp_err_status_t lib_protect(const struct pair *p, bool rtcp,
                                     uint8_t *b, size_t *len)
{
	int n = (int)*len;
	unsigned use = p->mki_len ? 1 : 0;
	srtp_err_status_t e =
	        rtcp ? srtp_protect_rtcp_mki(p->ltx, b, &n, use, 0)
	             : srtp_protect_mki(p->ltx, b, &n, use, 0);
	*len = (size_t)n;
	return e;
}

static srtp_err_status_t lib_unprotect(const struct pair *p, bool rtcp,
                                       uint8_t *b, size_t *len)
{
	int n = (int)*len;
	unsigned use = p->mki_len ? 1 : 0;
	srtp_err_status_t e = rtcp ? srtp_unprotect_rtcp_mki(p->lrx, b, &n, use)
	                           : srtp_unprotect_mki(p->lrx, b, &n, use);
	*len = (size_t)n;
	return e;
}

static enum srtp_result our_protect(const struct pair *p, bool rtcp, uint8_t *b,
                                    size_t *len)
{
	return rtcp ? srtcp_protect(p->otx, b, len, BUF)
	            : srtp_protect(p->otx, b, len, BUF);
}

static enum srtp_result our_unprotect(const struct pair *p, bool rtcp,
                                      uint8_t *b, size_t *len)
{
	return rtcp ? srtcp_unprotect(p->orx, b, len)
	            : srtp_unprotect(p->orx, b, len);
}

/* ---- packets ---- */

static size_t rand_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc,
                       size_t max_payload)
{
	unsigned cc = rnd() % 4 == 0 ? rnd() % 16 : rnd() % 3;
	int ext = rnd() % 4 == 0 ? (int)(rnd() % 12) : -1;
	size_t pay = rnd() % (max_payload + 1);
	bool pad = pay > 0 && rnd() % 8 == 0;
	p[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | (ext >= 0 ? 0x10 : 0) | cc);
	p[1] = (uint8_t)(rnd() & 0xff); /* marker and PT */
	put16(p + 2, seq);
	put32(p + 4, rnd());
	put32(p + 8, ssrc);
	size_t n = 12;
	rnd_bytes(p + n, 4 * cc);
	n += 4 * cc;
	if (ext >= 0) {
		put16(p + n, (uint16_t)rnd());
		put16(p + n + 2, (uint16_t)ext);
		rnd_bytes(p + n + 4, 4 * (size_t)ext);
		n += 4 + 4 * (size_t)ext;
	}
	rnd_bytes(p + n, pay);
	n += pay;
	if (pad)
		p[n - 1] = (uint8_t)(1 + rnd() % pay);
	return n;
}

static size_t rand_rtcp(uint8_t *p, uint32_t ssrc)
{
	size_t words = 1 + rnd() % 60;
	p[0] = (uint8_t)(0x80 | (rnd() % 32));
	p[1] = (uint8_t)(200 + rnd() % 5);
	put16(p + 2, (uint16_t)words);
	put32(p + 4, ssrc);
	rnd_bytes(p + 8, 4 * words);
	return 8 + 4 * words;
}

static int reported;

static void mismatch(const char *what, const struct pair *pr, size_t n,
                     const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	test_failures++;
	if (reported++ > 10000000)
		return;
	size_t i = 0;
	while (i < an && i < bn && a[i] == b[i])
		i++;
	fprintf(stderr,
	        "%s %s mki=%zu: %s (plain %zu bytes; lengths %zu/%zu, first "
	        "difference at %zu)\n",
	        srtp_suite_info(pr->s)->name,
	        pr->s == SRTP_SUITE_COUNT ? "" : "", pr->mki_len, what, n, an,
	        bn, i);
}

static long n_packets;

/* One packet through all four: both protect (and agree, byte for byte, or
 * both refuse), each unprotects the other's. Returns whether protected. */
static bool cross(const struct pair *pr, bool rtcp, const uint8_t *plain,
                  size_t n)
{
	uint8_t a[BUF], b[BUF];
	size_t an = n, bn = n;
	memcpy(a, plain, n);
	memcpy(b, plain, n);
	enum srtp_result ro = our_protect(pr, rtcp, a, &an);
	srtp_err_status_t rl = lib_protect(pr, rtcp, b, &bn);
	test_checks++;
	if ((ro == SRTP_OK) != (rl == srtp_err_status_ok)) {
		mismatch(ro == SRTP_OK ? "libsrtp2 refused to protect"
		                       : "we refused to protect",
		         pr, n, a, an, b, bn);
		return false;
	}
	if (ro != SRTP_OK)
		return false;
	n_packets++;
	test_checks++;
	if (an != bn || memcmp(a, b, an) != 0) {
		mismatch(rtcp ? "SRTCP differs" : "SRTP differs", pr, n, a, an,
		         b, bn);
		return true;
	}
	/* libsrtp2 unprotects ours; ours unprotects libsrtp2's */
	size_t al = an, bl = bn;
	ro = our_unprotect(pr, rtcp, b, &bl);
	test_checks++;
	if (!(rtcp && pr->lib_rtcp_mki_broken)) {
		rl = lib_unprotect(pr, rtcp, a, &al);
		test_checks++;
		if (rl != srtp_err_status_ok || al != n ||
		    memcmp(a, plain, n) != 0)
			mismatch("libsrtp2 did not unprotect ours", pr, n, a,
			         al, plain, n);
	}
	if (ro != SRTP_OK || bl != n || memcmp(b, plain, n) != 0)
		mismatch("we did not unprotect libsrtp2's", pr, n, b, bl, plain,
		         n);
	return true;
}

/* ---- the tests ---- */

/* Random packets over three SSRCs, switched mid-stream and back. */
static void random_stream(enum srtp_suite s, size_t mki_len, int count)
{
	struct pair pr;
	if (!pair_new(&pr, s, mki_len, false))
		goto out;
	uint32_t ssrc[3];
	uint16_t seq[3];
	uint64_t ext[3]; /* the highest index sent: ROC << 16 | SEQ */
	bool started[3] = {false, false, false};
	for (int k = 0; k < 3; k++) {
		ssrc[k] = rnd();
		seq[k] = (uint16_t)rnd();
		ext[k] = seq[k];
	}
	uint8_t plain[BUF];
	int cur = 0;
	for (int i = 0; i < count; i++) {
		if (i % (count / 8 + 1) == 0 && i)
			cur = (int)(rnd() % 3); /* SSRC change */
		uint32_t r = rnd() % 100;
		if (!started[cur]) /* a stream's first packet: the next SEQ */
			r = 50;
		/* not back across 0 in ROC 0: see test_early_wrap */
		if (r >= 3 && r < 5 && ext[cur] < 65536 + 200)
			r = 50;
		started[cur] = true;
		uint16_t q = seq[cur];
		if (r < 3)
			q = (uint16_t)(q + rnd() % 3000); /* a jump ahead */
		else if (r < 5)
			q = (uint16_t)(q - rnd() % 200); /* repeated or old */
		else
			q++;
		size_t n = rand_rtp(plain, q, ssrc[cur], 1200);
		cross(&pr, false, plain, n);
		if (r >= 3 && r < 5)
			continue; /* keep the highest */
		ext[cur] += (uint16_t)(q - seq[cur]);
		seq[cur] = q;
		if (rnd() % 10 == 0) {
			n = rand_rtcp(plain, ssrc[cur]);
			cross(&pr, true, plain, n);
		}
	}
	/* every SSRC's ROC as libsrtp2's sender and receiver have it (ours
	 * agree: they made and took the same bytes) */
	for (int k = 0; k < 3; k++) {
		uint32_t roc = 99;
		if (!started[k])
			continue;
		CHECK_EQ_INT(srtp_get_stream_roc(pr.ltx, ssrc[k], &roc),
		             srtp_err_status_ok);
		CHECK_EQ_INT(roc, ext[k] >> 16);
		CHECK_EQ_INT(srtp_get_stream_roc(pr.lrx, ssrc[k], &roc),
		             srtp_err_status_ok);
		CHECK_EQ_INT(roc, ext[k] >> 16);
	}
out:
	pair_free(&pr);
}

/* From SEQ 65500 past 0 twice (to ROC 2); a packet of each wrap held back
 * and sent after the wrap (the previous ROC). */
static void rollover(enum srtp_suite s, size_t mki_len)
{
	struct pair pr;
	if (!pair_new(&pr, s, mki_len, false))
		goto out;
	uint32_t ssrc = rnd();
	uint8_t plain[BUF], held[2][BUF], ha[BUF], hb[BUF];
	size_t hn[2] = {0, 0};
	int nheld = 0;
	/* one by one near each wrap, in steps of up to 20000 between */
	for (uint64_t ext = 65500; ext < 2 * 65536 + 60;) {
		uint16_t q = (uint16_t)ext;
		uint64_t step = 1;
		if (q >= 100 && q < 65400) {
			uint64_t room = 65400u - q;
			step = 1 + rnd() % 20000;
			if (step > room)
				step = room;
		}
		ext += step;
		size_t n = rand_rtp(plain, q, ssrc, 40);
		if (q == 65530 && nheld < 2) {
			/* protect now (both), deliver after the wrap */
			size_t an = n, bn = n;
			memcpy(ha, plain, n);
			memcpy(hb, plain, n);
			CHECK_EQ_INT(our_protect(&pr, false, ha, &an), SRTP_OK);
			CHECK_EQ_INT(lib_protect(&pr, false, hb, &bn),
			             srtp_err_status_ok);
			CHECK(an == bn && memcmp(ha, hb, an) == 0);
			memcpy(held[nheld], ha, an);
			memcpy(held[nheld] + BUF / 2, plain, n);
			hn[nheld] = n;
			nheld++;
			continue;
		}
		cross(&pr, false, plain, n);
		if (q == 20 && nheld > 0 && hn[nheld - 1]) {
			/* the held packet: 26 behind, previous ROC */
			int h = nheld - 1;
			uint8_t a[BUF], b[BUF];
			size_t pn = hn[h],
			       wn = pn + (size_t)srtp_suite_info(s)->tag_len +
			            mki_len;
			memcpy(a, held[h], wn);
			memcpy(b, held[h], wn);
			size_t al = wn, bl = wn;
			CHECK_EQ_INT(lib_unprotect(&pr, false, a, &al),
			             srtp_err_status_ok);
			CHECK_EQ_INT(our_unprotect(&pr, false, b, &bl),
			             SRTP_OK);
			CHECK(al == pn &&
			      memcmp(a, held[h] + BUF / 2, pn) == 0);
			CHECK(bl == pn &&
			      memcmp(b, held[h] + BUF / 2, pn) == 0);
			/* and only once */
			memcpy(a, held[h], wn);
			al = wn;
			CHECK(lib_unprotect(&pr, false, a, &al) !=
			      srtp_err_status_ok);
			memcpy(b, held[h], wn);
			bl = wn;
			CHECK_EQ_INT(our_unprotect(&pr, false, b, &bl),
			             SRTP_ERR_REPLAY);
			hn[h] = 0;
		}
	}
	CHECK_EQ_INT(nheld, 2);
	uint32_t roc = 0;
	CHECK_EQ_INT(srtp_get_stream_roc(pr.lrx, ssrc, &roc),
	             srtp_err_status_ok);
	CHECK_EQ_INT(roc, 2);
	CHECK_EQ_INT(srtp_get_stream_roc(pr.ltx, ssrc, &roc),
	             srtp_err_status_ok);
	CHECK_EQ_INT(roc, 2);
out:
	pair_free(&pr);
}

/* Out of order within the window, replays and tampering: both receivers
 * accept and refuse the same packets. */
static void reorder_replay_tamper(enum srtp_suite s, size_t mki_len)
{
	struct pair pr;
	if (!pair_new(&pr, s, mki_len, false))
		goto out;
	enum { N = 100 };
	static uint8_t wire[2][N][BUF]; /* [rtcp] */
	static size_t wl[2][N];
	uint32_t ssrc = rnd();
	uint16_t seq0 = (uint16_t)(rnd() % 60000); /* no wrap: see rollover */
	uint8_t plain[BUF];
	for (int rtcp = 0; rtcp <= 1; rtcp++)
		for (int i = 0; i < N; i++) {
			size_t n = rtcp ? rand_rtcp(plain, ssrc)
			                : rand_rtp(plain, (uint16_t)(seq0 + i),
			                           ssrc, 300);
			uint8_t b[BUF];
			size_t bn = n;
			memcpy(wire[rtcp][i], plain, n);
			memcpy(b, plain, n);
			wl[rtcp][i] = n;
			CHECK_EQ_INT(our_protect(&pr, rtcp, wire[rtcp][i],
			                         &wl[rtcp][i]),
			             SRTP_OK);
			CHECK_EQ_INT(lib_protect(&pr, rtcp, b, &bn),
			             srtp_err_status_ok);
			CHECK(bn == wl[rtcp][i] &&
			      memcmp(b, wire[rtcp][i], bn) == 0);
		}
	/* a shuffled order: each accepted once by both, then all refused */
	int order[2 * N];
	for (int i = 0; i < 2 * N; i++)
		order[i] = i % N;
	for (int i = N - 1; i > 0; i--) {
		int j = (int)(rnd() % (unsigned)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int rtcp = 0; rtcp <= 1; rtcp++) {
		int agree = 0, total = 0;
		bool lib = !(rtcp && pr.lib_rtcp_mki_broken);
		for (int k = 0; k < 2 * N; k++) {
			int i = order[k];
			uint8_t a[BUF], b[BUF];
			size_t al = wl[rtcp][i], bl = wl[rtcp][i];
			memcpy(a, wire[rtcp][i], al);
			memcpy(b, wire[rtcp][i], bl);
			srtp_err_status_t rl =
			        lib ? lib_unprotect(&pr, rtcp, a, &al)
			            : (k < N ? srtp_err_status_ok
			                     : srtp_err_status_replay_fail);
			enum srtp_result ro = our_unprotect(&pr, rtcp, b, &bl);
			bool want_ok = k < N;
			total++;
			if ((rl == srtp_err_status_ok) == want_ok &&
			    (ro == SRTP_OK) == want_ok &&
			    (want_ok || ro == SRTP_ERR_REPLAY))
				agree++;
			else if (reported++ < 10)
				fprintf(stderr,
				        "%s rtcp=%d #%d: libsrtp2 %d, ours "
				        "%s\n",
				        srtp_suite_info(s)->name, rtcp, i,
				        (int)rl, srtp_result_str(ro));
		}
		CHECK_EQ_INT(agree, total);
	}
	/* tampered (a fresh packet each, one bit after the header): both
	 * refuse, and then both take the untampered packet */
	for (int rtcp = 0; rtcp <= 1; rtcp++) {
		for (int t = 0; t < 40; t++) {
			size_t n =
			        rtcp ? rand_rtcp(plain, ssrc)
			             : rand_rtp(plain, (uint16_t)(seq0 + N + t),
			                        ssrc, 200);
			uint8_t a[BUF], b[BUF];
			size_t an = n, bn = n;
			memcpy(a, plain, n);
			memcpy(b, plain, n);
			CHECK_EQ_INT(our_protect(&pr, rtcp, a, &an), SRTP_OK);
			CHECK_EQ_INT(lib_protect(&pr, rtcp, b, &bn),
			             srtp_err_status_ok);
			CHECK(an == bn && memcmp(a, b, an) == 0);
			uint8_t orig[BUF];
			memcpy(orig, a, an);
			size_t h = 8; /* RTP: past the header */
			if (!rtcp) {
				h = 12 + 4 * (size_t)(plain[0] & 15);
				if (plain[0] & 0x10)
					h += 4 +
					     4 * (size_t)(plain[h + 2] << 8 |
					                  plain[h + 3]);
			}
			size_t at = h + rnd() % (an - h);
			/* not the SRTCP index (a changed index may be an old
			 * one: a replay before it is a forgery) */
			if (rtcp && !srtp_suite_info(s)->aead && at >= n &&
			    at < n + 4)
				at += 4;
			if (rtcp && srtp_suite_info(s)->aead &&
			    at >= an - 4 - mki_len && at < an - mki_len)
				at -= 4;
			uint8_t bit = (uint8_t)(1u << (rnd() % 8));
			a[at] ^= bit;
			b[at] ^= bit;
			size_t al = an, bl = an;
			bool lib = !(rtcp && pr.lib_rtcp_mki_broken);
			srtp_err_status_t rl =
			        lib ? lib_unprotect(&pr, rtcp, a, &al)
			            : srtp_err_status_auth_fail;
			enum srtp_result ro = our_unprotect(&pr, rtcp, b, &bl);
			CHECK(rl == srtp_err_status_auth_fail ||
			      rl == srtp_err_status_bad_mki);
			CHECK_EQ_INT(ro, SRTP_ERR_AUTH);
			/* ours left the packet as it came (GCM too) */
			b[at] ^= bit;
			CHECK(bl == an && memcmp(b, orig, an) == 0);
			/* neither moved: the untampered packet passes both */
			memcpy(a, orig, an);
			al = an;
			if (lib) {
				CHECK_EQ_INT(lib_unprotect(&pr, rtcp, a, &al),
				             srtp_err_status_ok);
				CHECK(al == n && memcmp(a, plain, n) == 0);
			}
			bl = an;
			CHECK_EQ_INT(our_unprotect(&pr, rtcp, b, &bl), SRTP_OK);
			CHECK(bl == n && memcmp(b, plain, n) == 0);
		}
	}
out:
	pair_free(&pr);
}

/* SRTCP with E=0, from libsrtp2's authentication-only RTCP policy. */
static void srtcp_auth_only(enum srtp_suite s)
{
	struct pair pr;
	if (!pair_new(&pr, s, 0, true))
		goto out;
	uint32_t ssrc = rnd();
	for (int i = 0; i < 50; i++) {
		uint8_t plain[BUF], b[BUF];
		size_t n = rand_rtcp(plain, ssrc), bn = n;
		memcpy(b, plain, n);
		CHECK_EQ_INT(lib_protect(&pr, true, b, &bn),
		             srtp_err_status_ok);
		const struct srtp_suite_info *si = srtp_suite_info(s);
		size_t ix = si->aead ? bn - 4 : bn - si->rtcp_tag - 4;
		CHECK_EQ_INT(get32(b + ix), (uint32_t)(i + 1)); /* E=0 */
		CHECK(memcmp(b, plain, n) == 0);                /* clear */
		size_t bl = bn;
		if (i % 5 == 4)
			b[8] ^= 4;
		CHECK_EQ_INT(our_unprotect(&pr, true, b, &bl),
		             i % 5 == 4 ? SRTP_ERR_AUTH : SRTP_OK);
		if (i % 5 != 4)
			CHECK(bl == n && memcmp(b, plain, n) == 0);
	}
out:
	pair_free(&pr);
}

/* Which AES-192 key derivation this libsrtp2 does: one packet under
 * libsrtp2, against ours with the RFC 6188 derivation and with the old
 * libsrtp2 one. */
static void test_lib192_probe(void)
{
	uint8_t key[SRTP_MAX_KEY_SALT], plain[BUF], a[BUF], b[BUF], c[BUF];
	rnd_bytes(key, sizeof(key));
	srtp_err_status_t e;
	srtp_t l = lib_new(SRTP_AES_192_CM_HMAC_SHA1_80, key, NULL, 0, false,
	                   false, &e);
	if (!l) {
		printf("  libsrtp2 has no AES-192 (%d)\n", (int)e);
		return;
	}
	struct srtp_ctx *rfc =
	        srtp_ctx_new(SRTP_AES_192_CM_HMAC_SHA1_80, key, NULL, 0);
	lib192 = LIB192_AES256_PRF;
	struct srtp_ctx *old =
	        our_ctx(SRTP_AES_192_CM_HMAC_SHA1_80, key, NULL, 0);
	lib192 = LIB192_UNKNOWN;
	CHECK(rfc && old);
	size_t n = rand_rtp(plain, 1, 2, 20), an = n, bn = n, cn = n;
	memcpy(a, plain, n);
	memcpy(b, plain, n);
	memcpy(c, plain, n);
	int ln = (int)n;
	CHECK_EQ_INT(srtp_protect_mki(l, a, &ln, 0, 0), srtp_err_status_ok);
	an = (size_t)ln;
	if (rfc && old) {
		CHECK_EQ_INT(srtp_protect(rfc, b, &bn, BUF), SRTP_OK);
		CHECK_EQ_INT(srtp_protect(old, c, &cn, BUF), SRTP_OK);
		if (an == bn && memcmp(a, b, an) == 0)
			lib192 = LIB192_RFC;
		else if (an == cn && memcmp(a, c, an) == 0)
			lib192 = LIB192_AES256_PRF;
	}
	printf("  AES-192 key derivation of this libsrtp2: %s\n",
	       lib192 == LIB192_RFC ? "RFC 6188 (as ours)"
	       : lib192 == LIB192_AES256_PRF
	               ? "the AES-256 PRF (libsrtp#763): AES-192 cross-checked "
	                 "on its session keys, not with MKI"
	               : "neither RFC 6188 nor the known libsrtp2 one");
	CHECK(lib192 != LIB192_UNKNOWN);
	srtp_ctx_free(rfc);
	srtp_ctx_free(old);
	srtp_dealloc(l);
}

/* libsrtp2's own SRTCP with MKI under a 32-bit SRTP tag: does it take it?
 * (It looks for the MKI before the SRTP tag length.) Printed, not
 * required; ours is checked byte for byte against its protect. */
static void test_lib_rtcp_mki(void)
{
	struct pair pr;
	if (!pair_new(&pr, SRTP_AES_CM_128_HMAC_SHA1_32, 4, false))
		goto out;
	uint8_t plain[BUF], a[BUF];
	size_t n = rand_rtcp(plain, 77), an = n;
	memcpy(a, plain, n);
	CHECK_EQ_INT(lib_protect(&pr, true, a, &an), srtp_err_status_ok);
	size_t al = an;
	srtp_err_status_t e = lib_unprotect(&pr, true, a, &al);
	printf("  libsrtp2 unprotecting its own SRTCP, "
	       "AES_CM_128_HMAC_SHA1_32 with MKI: %d (%s)\n",
	       (int)e,
	       e == srtp_err_status_ok ? "fixed" : "the MKI is not found");
	if (e == srtp_err_status_ok)
		pr.lib_rtcp_mki_broken = false;
out:
	pair_free(&pr);
}

/* Back across SEQ 0 while still in ROC 0 (highest index below 32768):
 * libsrtp2's sender takes it as ROC 0 far ahead, and what follows as ROC
 * 1; our receiver follows it there. Our sender refuses such a packet
 * instead (REPLAY), and libsrtp2's receiver stays in step with it. */
static void early_wrap(enum srtp_suite s)
{
	struct pair pr;
	if (!pair_new(&pr, s, 0, false))
		goto out;
	static const uint16_t seqs[] = {10, 20, 65530, 30, 65531, 40};
	uint32_t ssrc = rnd();
	uint8_t plain[BUF], a[BUF], b[BUF];
	/* libsrtp2 sends, both receive */
	for (size_t i = 0; i < sizeof(seqs) / sizeof(*seqs); i++) {
		size_t n = rand_rtp(plain, seqs[i], ssrc, 100), bn = n;
		memcpy(b, plain, n);
		CHECK_EQ_INT(lib_protect(&pr, false, b, &bn),
		             srtp_err_status_ok);
		size_t al = bn, bl = bn;
		memcpy(a, b, bn);
		CHECK_EQ_INT(lib_unprotect(&pr, false, a, &al),
		             srtp_err_status_ok);
		CHECK_EQ_INT(our_unprotect(&pr, false, b, &bl), SRTP_OK);
		CHECK(bl == n && memcmp(b, plain, n) == 0);
	}
	uint32_t roc = 0;
	CHECK_EQ_INT(srtp_get_stream_roc(pr.lrx, ssrc, &roc),
	             srtp_err_status_ok);
	CHECK_EQ_INT(roc, 1);
	/* we send (another SSRC): 65530 refused, libsrtp2 takes the rest */
	ssrc++;
	for (size_t i = 0; i < sizeof(seqs) / sizeof(*seqs); i++) {
		size_t n = rand_rtp(plain, seqs[i], ssrc, 100), an = n;
		memcpy(a, plain, n);
		bool back = seqs[i] > 60000;
		CHECK_EQ_INT(our_protect(&pr, false, a, &an),
		             back ? SRTP_ERR_REPLAY : SRTP_OK);
		if (back)
			continue;
		size_t al = an;
		CHECK_EQ_INT(lib_unprotect(&pr, false, a, &al),
		             srtp_err_status_ok);
		CHECK(al == n && memcmp(a, plain, n) == 0);
	}
	CHECK_EQ_INT(srtp_get_stream_roc(pr.lrx, ssrc, &roc),
	             srtp_err_status_ok);
	CHECK_EQ_INT(roc, 0);
out:
	pair_free(&pr);
}

static void test_early_wrap(void)
{
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++)
		early_wrap(s);
}

static void test_random(void)
{
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++) {
		long before = n_packets;
		random_stream(s, 0, 3000);
		random_stream(s, 4, 1000);
		printf("  %s: %ld packets cross-checked\n",
		       srtp_suite_info(s)->name, n_packets - before);
	}
}

static void test_rollover(void)
{
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++)
		rollover(s, s == SRTP_AES_CM_128_HMAC_SHA1_80 ? 4 : 0);
}

static void test_reorder_replay_tamper(void)
{
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++) {
		reorder_replay_tamper(s, 0);
		reorder_replay_tamper(s, 4);
	}
}

static void test_srtcp_auth_only(void)
{
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++)
		srtcp_auth_only(s);
}

int main(void)
{
	rng = 0x7472756e6b627269ull; /* "trunkbri" */
	const char *env = getenv("TB_SRTP_SEED");
	if (env && *env)
		rng = strtoull(env, NULL, 0);
	if (!rng)
		rng = 1;
	printf("seed 0x%016" PRIx64 " (TB_SRTP_SEED overrides)\n", rng);
	if (srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "srtp_init failed\n");
		return 1;
	}
	printf("%s\n", srtp_get_version_string());
	RUN(test_lib192_probe);
	RUN(test_lib_rtcp_mki);
	RUN(test_random);
	RUN(test_early_wrap);
	RUN(test_rollover);
	RUN(test_reorder_replay_tamper);
	RUN(test_srtcp_auth_only);
	srtp_shutdown();
	return test_summary();
}
