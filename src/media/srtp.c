/* srtp.c: the SRTP/SRTCP transform (RFC 3711, RFC 6188, RFC 7714) on
 * OpenSSL's AES-CTR, AES-GCM and SHA-1. See srtp.h.
 *
 * Per packet nothing is allocated and no key schedule is run: the
 * EVP_CIPHER_CTX of each direction (SRTP, SRTCP) is keyed once when the
 * context is made, and a packet only sets its IV. HMAC-SHA1 is done on
 * two SHA-1 states precomputed from the auth key (after the ipad and the
 * opad block), copied per packet: OpenSSL 3.0's EVP_MAC_init(NULL key)
 * duplicates its digest contexts (two allocations per packet, and half the
 * speed), so the SHA1_* functions are used, which OpenSSL 3 marks
 * deprecated but keeps.
 *
 * Choices where the RFCs leave room, all as libsrtp2 (what most peers
 * run) does, checked byte for byte in test_srtp_libsrtp:
 *  - GCM's 12-byte master salt enters the AES-CM PRF padded with two zero
 *    octets at the end (cisco/libsrtp#179);
 *  - the first SRTCP index sent is 1;
 *  - a receiver's SEQ that looks older than the stream's first ROC 0
 *    packet by a wrap is taken as ROC 0, ahead (rtp_index).
 * One where libsrtp2 before 2.7 is wrong: AES-192 keys are derived with
 * AES-192, as RFC 6188 says (its 7.4 vector is in the self-test); those
 * libsrtp2 versions use the AES-256 PRF there (cisco/libsrtp#763), so
 * AES_192_CM suites do not interoperate with them.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Init, SHA1_Update, SHA1_Final */

#include "media/srtp.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define HMAC_LEN     20 /* HMAC-SHA1 output, and the auth key length */
#define CM_SALT_LEN  14
#define GCM_SALT_LEN 12
#define GCM_TAG_LEN  16
#define E_BIT        0x80000000u
#define MAX_SRTCP_IX 0x7fffffffu
#define WIN_WORDS    (SRTP_REPLAY_WINDOW / 64)

_Static_assert(SRTP_REPLAY_WINDOW % 64 == 0 && SRTP_REPLAY_WINDOW >= 64,
               "the replay window is whole 64-bit words");

static const struct srtp_suite_info suites[SRTP_SUITE_COUNT] = {
        [SRTP_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10,
                                          10, false},
        [SRTP_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4,
                                          10, false},
        [SRTP_AES_192_CM_HMAC_SHA1_80] = {"AES_192_CM_HMAC_SHA1_80", 24, 14, 10,
                                          10, false},
        [SRTP_AES_192_CM_HMAC_SHA1_32] = {"AES_192_CM_HMAC_SHA1_32", 24, 14, 4,
                                          10, false},
        [SRTP_AES_256_CM_HMAC_SHA1_80] = {"AES_256_CM_HMAC_SHA1_80", 32, 14, 10,
                                          10, false},
        [SRTP_AES_256_CM_HMAC_SHA1_32] = {"AES_256_CM_HMAC_SHA1_32", 32, 14, 4,
                                          10, false},
        [SRTP_AEAD_AES128_GCM] = {"AEAD_AES_128_GCM", 16, 12, 16, 16, true},
        [SRTP_AEAD_AES256_GCM] = {"AEAD_AES_256_GCM", 32, 12, 16, 16, true},
};

/* Genesys spells the RFC 6188 suites with CM first. */
static const char *const genesys_names[SRTP_SUITE_COUNT] = {
        [SRTP_AES_192_CM_HMAC_SHA1_80] = "AES_CM_192_HMAC_SHA1_80",
        [SRTP_AES_192_CM_HMAC_SHA1_32] = "AES_CM_192_HMAC_SHA1_32",
        [SRTP_AES_256_CM_HMAC_SHA1_80] = "AES_CM_256_HMAC_SHA1_80",
        [SRTP_AES_256_CM_HMAC_SHA1_32] = "AES_CM_256_HMAC_SHA1_32",
};

/* One direction's session keys (SRTP or SRTCP). */
struct srtp_keys {
	EVP_CIPHER_CTX *c;         /* AES-CTR or AES-GCM, session key set */
	uint8_t salt[CM_SALT_LEN]; /* session salt (12 bytes used for GCM) */
	SHA_CTX ih, oh;            /* HMAC-SHA1: states after ipad / opad */
};

/* Per-SSRC state. A context is one direction: protect uses roc/s_l/win
 * to refuse reusing an index and rtcp_ix as the last SRTCP index sent;
 * unprotect uses them as the highest index received and its window. */
struct srtp_stream {
	uint32_t ssrc;
	bool used;
	bool rtp_seen, rtcp_seen;
	uint64_t lru;
	uint32_t roc; /* with s_l: the highest packet index */
	uint16_t s_l;
	uint64_t win[WIN_WORDS]; /* bit i: index (highest - i) seen */
	uint32_t rtcp_ix;
	uint64_t rtcp_win[WIN_WORDS];
};

struct srtp_ctx {
	enum srtp_suite suite;
	const struct srtp_suite_info *si;
	struct srtp_keys rtp, rtcp;
	uint8_t mki[SRTP_MAX_MKI];
	size_t mki_len;
	uint64_t tick;
	struct srtp_stream st[SRTP_MAX_STREAMS];
};

/* ---- bytes ---- */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void xor32(uint8_t *p, uint32_t v)
{
	p[0] ^= (uint8_t)(v >> 24);
	p[1] ^= (uint8_t)(v >> 16);
	p[2] ^= (uint8_t)(v >> 8);
	p[3] ^= (uint8_t)v;
}

/* ---- suites ---- */

const struct srtp_suite_info *srtp_suite_info(enum srtp_suite s)
{
	if ((unsigned)s >= SRTP_SUITE_COUNT)
		return NULL;
	return &suites[s];
}

static bool name_is(struct pl name, const char *lit)
{
	size_t n = strlen(lit);
	return name.p && name.l == n && memcmp(name.p, lit, n) == 0;
}

bool srtp_suite_by_name(struct pl name, enum srtp_suite *out)
{
	for (unsigned i = 0; i < SRTP_SUITE_COUNT; i++) {
		if (name_is(name, suites[i].name) ||
		    (genesys_names[i] && name_is(name, genesys_names[i]))) {
			if (out)
				*out = (enum srtp_suite)i;
			return true;
		}
	}
	return false;
}

enum srtp_suite srtp_ctx_suite(const struct srtp_ctx *ctx)
{
	return ctx->suite;
}

const char *srtp_result_str(enum srtp_result r)
{
	switch (r) {
	case SRTP_OK:
		return "ok";
	case SRTP_ERR_MALFORMED:
		return "malformed packet";
	case SRTP_ERR_AUTH:
		return "authentication failed";
	case SRTP_ERR_REPLAY:
		return "replayed or too old";
	case SRTP_ERR_SPACE:
		return "no room for the SRTP trailer";
	case SRTP_ERR_INTERNAL:
		return "crypto library failure";
	}
	return "unknown result";
}

/* ---- primitives ---- */

static const EVP_CIPHER *ctr_cipher(size_t key_len)
{
	switch (key_len) {
	case 16:
		return EVP_aes_128_ctr();
	case 24:
		return EVP_aes_192_ctr();
	case 32:
		return EVP_aes_256_ctr();
	}
	return NULL;
}

static const EVP_CIPHER *gcm_cipher(size_t key_len)
{
	switch (key_len) {
	case 16:
		return EVP_aes_128_gcm();
	case 32:
		return EVP_aes_256_gcm();
	}
	return NULL;
}

/* XOR n bytes at p with AES-CM keystream from the 16-byte counter iv. */
static bool aes_cm(EVP_CIPHER_CTX *c, const uint8_t *iv, uint8_t *p, size_t n)
{
	int outl;
	if (n == 0)
		return true;
	if (n > INT_MAX || EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1)
		return false;
	return EVP_EncryptUpdate(c, p, &outl, p, (int)n) == 1;
}

static bool gcm_aad(EVP_CIPHER_CTX *c, const uint8_t *a, size_t n)
{
	int outl;
	if (n == 0)
		return true;
	if (n > INT_MAX)
		return false;
	return EVP_CipherUpdate(c, NULL, &outl, a, (int)n) == 1;
}

/* AES-GCM seal in place: AAD a1||a2, n bytes at p encrypted, the tag to
 * tag (which may follow p directly). */
static bool gcm_seal(EVP_CIPHER_CTX *c, const uint8_t *iv, const uint8_t *a1,
                     size_t n1, const uint8_t *a2, size_t n2, uint8_t *p,
                     size_t n, uint8_t *tag)
{
	int outl;
	if (n > INT_MAX || EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
	    !gcm_aad(c, a1, n1) || !gcm_aad(c, a2, n2))
		return false;
	if (n && EVP_EncryptUpdate(c, p, &outl, p, (int)n) != 1)
		return false;
	if (EVP_EncryptFinal_ex(c, p + n, &outl) != 1)
		return false;
	return EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) ==
	       1;
}

/* AES-GCM open in place: 1 when the tag matches (p decrypted), 0 when it
 * does not (p as it came: the keystream is put back), -1 on an OpenSSL
 * failure. */
static int gcm_open(EVP_CIPHER_CTX *c, const uint8_t *iv, const uint8_t *a1,
                    size_t n1, const uint8_t *a2, size_t n2, uint8_t *p,
                    size_t n, const uint8_t *tag)
{
	uint8_t t[GCM_TAG_LEN];
	uint8_t fin[16];
	int outl;
	memcpy(t, tag, sizeof(t));
	if (n > INT_MAX || EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
	    !gcm_aad(c, a1, n1) || !gcm_aad(c, a2, n2))
		return -1;
	if (n && EVP_DecryptUpdate(c, p, &outl, p, (int)n) != 1)
		return -1;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, t) != 1)
		return -1;
	if (EVP_DecryptFinal_ex(c, fin, &outl) == 1)
		return 1;
	/* a wrong tag: re-encrypt, which restores the ciphertext */
	if (n && (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
	          EVP_EncryptUpdate(c, p, &outl, p, (int)n) != 1))
		return -1;
	return 0;
}

/* HMAC-SHA1 of a||b under k's auth key. */
static void hmac_sha1(const struct srtp_keys *k, const uint8_t *a, size_t na,
                      const uint8_t *b, size_t nb, uint8_t *out)
{
	SHA_CTX s = k->ih;
	SHA1_Update(&s, a, na);
	if (nb)
		SHA1_Update(&s, b, nb);
	SHA1_Final(out, &s);
	s = k->oh;
	SHA1_Update(&s, out, HMAC_LEN);
	SHA1_Final(out, &s);
}

static void hmac_key(struct srtp_keys *k, const uint8_t *key)
{
	uint8_t pad[64];
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < HMAC_LEN; i++)
		pad[i] ^= key[i];
	SHA1_Init(&k->ih);
	SHA1_Update(&k->ih, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < HMAC_LEN; i++)
		pad[i] ^= key[i];
	SHA1_Init(&k->oh);
	SHA1_Update(&k->oh, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
}

/* ---- key derivation (RFC 3711 4.3) ---- */

static bool prf(EVP_CIPHER_CTX *c, const uint8_t *salt, size_t salt_len,
                uint8_t label, uint8_t *out, size_t n)
{
	uint8_t iv[16] = {0};
	memcpy(iv, salt, salt_len); /* a 12-byte salt: padded with zeros */
	iv[7] ^= label;             /* key_id = label || (index DIV kdr = 0) */
	memset(out, 0, n);
	return aes_cm(c, iv, out, n);
}

static EVP_CIPHER_CTX *cm_ctx(const uint8_t *key, size_t key_len)
{
	const EVP_CIPHER *ci = ctr_cipher(key_len);
	EVP_CIPHER_CTX *c = ci ? EVP_CIPHER_CTX_new() : NULL;
	if (c && EVP_EncryptInit_ex(c, ci, NULL, key, NULL) != 1) {
		EVP_CIPHER_CTX_free(c);
		c = NULL;
	}
	return c;
}

int srtp_kdf(const uint8_t *master_key, size_t key_len,
             const uint8_t *master_salt, size_t salt_len, uint8_t label,
             uint8_t *out, size_t out_len)
{
	if (!master_key || !master_salt || (!out && out_len) ||
	    (salt_len != CM_SALT_LEN && salt_len != GCM_SALT_LEN))
		return -1;
	EVP_CIPHER_CTX *c = cm_ctx(master_key, key_len);
	if (!c)
		return -1;
	bool ok = prf(c, master_salt, salt_len, label, out, out_len);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* Key k with a session key, salt and (CM) auth key. */
static bool keys_set(struct srtp_keys *k, const struct srtp_suite_info *si,
                     const uint8_t *key, const uint8_t *salt,
                     const uint8_t *auth)
{
	const EVP_CIPHER *ci =
	        si->aead ? gcm_cipher(si->key_len) : ctr_cipher(si->key_len);
	k->c = ci ? EVP_CIPHER_CTX_new() : NULL;
	if (!k->c || EVP_EncryptInit_ex(k->c, ci, NULL, key, NULL) != 1)
		return false;
	memcpy(k->salt, salt, si->salt_len);
	if (!si->aead)
		hmac_key(k, auth);
	return true;
}

static struct srtp_ctx *ctx_alloc(enum srtp_suite s)
{
	if ((unsigned)s >= SRTP_SUITE_COUNT)
		return NULL;
	struct srtp_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->suite = s;
	ctx->si = &suites[s];
	return ctx;
}

struct srtp_ctx *srtp_ctx_new(enum srtp_suite s, const uint8_t *key_salt,
                              const uint8_t *mki, size_t mki_len)
{
	if (!key_salt || mki_len > SRTP_MAX_MKI || (mki_len && !mki))
		return NULL;
	struct srtp_ctx *ctx = ctx_alloc(s);
	if (!ctx)
		return NULL;
	const struct srtp_suite_info *si = ctx->si;
	const uint8_t *msalt = key_salt + si->key_len;
	uint8_t k[32], salt[CM_SALT_LEN], auth[HMAC_LEN];
	EVP_CIPHER_CTX *kdf = cm_ctx(key_salt, si->key_len);
	bool ok = kdf != NULL;
	/* labels 0-2 for SRTP, 3-5 for SRTCP */
	for (uint8_t base = 0; ok && base <= 3; base += 3) {
		struct srtp_keys *dst = base ? &ctx->rtcp : &ctx->rtp;
		ok = prf(kdf, msalt, si->salt_len, base, k, si->key_len) &&
		     prf(kdf, msalt, si->salt_len, (uint8_t)(base + 2), salt,
		         si->salt_len) &&
		     (si->aead || prf(kdf, msalt, si->salt_len,
		                      (uint8_t)(base + 1), auth, HMAC_LEN)) &&
		     keys_set(dst, si, k, salt, auth);
	}
	EVP_CIPHER_CTX_free(kdf);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(salt, sizeof(salt));
	OPENSSL_cleanse(auth, sizeof(auth));
	if (!ok) {
		srtp_ctx_free(ctx);
		return NULL;
	}
	if (mki_len)
		memcpy(ctx->mki, mki, mki_len);
	ctx->mki_len = mki_len;
	return ctx;
}

struct srtp_ctx *srtp_ctx_new_session(enum srtp_suite s, const uint8_t *rtp,
                                      const uint8_t *rtcp)
{
	struct srtp_ctx *ctx = ctx_alloc(s);
	if (!ctx)
		return NULL;
	const struct srtp_suite_info *si = ctx->si;
	size_t ks = si->key_len, kss = ks + si->salt_len;
	if (!rtcp)
		rtcp = rtp;
	if (!rtp || !keys_set(&ctx->rtp, si, rtp, rtp + ks, rtp + kss) ||
	    !keys_set(&ctx->rtcp, si, rtcp, rtcp + ks, rtcp + kss)) {
		srtp_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

void srtp_ctx_free(struct srtp_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_CIPHER_CTX_free(ctx->rtp.c);
	EVP_CIPHER_CTX_free(ctx->rtcp.c);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

/* ---- streams, index and replay window ---- */

static struct srtp_stream *stream_find(struct srtp_ctx *ctx, uint32_t ssrc)
{
	for (size_t i = 0; i < SRTP_MAX_STREAMS; i++)
		if (ctx->st[i].used && ctx->st[i].ssrc == ssrc)
			return &ctx->st[i];
	return NULL;
}

/* A slot for a new SSRC: a free one, else the least recently used. */
static struct srtp_stream *stream_slot(struct srtp_ctx *ctx, uint32_t ssrc)
{
	struct srtp_stream *best = &ctx->st[0];
	for (size_t i = 0; i < SRTP_MAX_STREAMS; i++) {
		struct srtp_stream *s = &ctx->st[i];
		if (!s->used) {
			best = s;
			break;
		}
		if (s->lru < best->lru)
			best = s;
	}
	memset(best, 0, sizeof(*best));
	best->used = true;
	best->ssrc = ssrc;
	return best;
}

static inline bool win_bit(const uint64_t *w, uint64_t back)
{
	return (w[back / 64] >> (back % 64)) & 1;
}

/* The window follows a new highest index d ahead of the old one. */
static void win_advance(uint64_t *w, uint64_t d)
{
	if (d >= SRTP_REPLAY_WINDOW) {
		memset(w, 0, WIN_WORDS * sizeof(*w));
	} else {
		size_t words = (size_t)(d / 64);
		unsigned bits = (unsigned)(d % 64);
		for (size_t i = WIN_WORDS; i-- > 0;) {
			uint64_t v = 0;
			if (i >= words) {
				v = w[i - words] << bits;
				if (bits && i > words)
					v |= w[i - words - 1] >> (64 - bits);
			}
			w[i] = v;
		}
	}
	w[0] |= 1;
}

/* delta: the index minus the highest so far (first: no highest yet). */
static enum srtp_result win_check(const uint64_t *w, bool first, int64_t delta)
{
	if (first || delta > 0)
		return SRTP_OK;
	if (-delta >= SRTP_REPLAY_WINDOW || win_bit(w, (uint64_t)-delta))
		return SRTP_ERR_REPLAY;
	return SRTP_OK;
}

static void win_commit(uint64_t *w, bool first, int64_t delta)
{
	if (first) {
		memset(w, 0, WIN_WORDS * sizeof(*w));
		w[0] = 1;
	} else if (delta > 0) {
		win_advance(w, (uint64_t)delta);
	} else {
		uint64_t back = (uint64_t)-delta;
		w[back / 64] |= (uint64_t)1 << (back % 64);
	}
}

/* The packet index of seq (RFC 3711 3.3.1, Appendix A), and its distance
 * from the highest so far (st NULL: a new SSRC). false: past ROC 2^32-1,
 * or (sender) before ROC 0.
 *
 * Before ROC 0: the highest index is below 32768 and seq looks like one
 * from the end of the previous ROC, which there is none of (the RFC's
 * "ROC - 1 mod 2^32" would be 2^32 - 1). libsrtp2 (most peers) takes seq
 * then as ROC 0, far ahead, and its next packets as ROC 1: the receiver
 * does as it does, or it would lose the stream; the sender refuses the
 * packet, which keeps receivers of either kind in step. */
static bool rtp_index(const struct srtp_stream *st, uint16_t seq, bool sender,
                      uint64_t *index, int64_t *delta)
{
	if (!st || !st->rtp_seen) {
		*index = seq; /* a new stream starts at ROC 0 */
		*delta = 0;
		return true;
	}
	int64_t roc = st->roc, v;
	int32_t sl = st->s_l;
	if (sl < 32768)
		v = (int32_t)seq - sl > 32768 ? roc - 1 : roc;
	else
		v = sl - 32768 > (int32_t)seq ? roc + 1 : roc;
	if (v < 0) {
		if (sender)
			return false;
		v = 0;
	}
	if (v > (int64_t)UINT32_MAX)
		return false;
	int64_t ix = v * 65536 + seq;
	*index = (uint64_t)ix;
	*delta = ix - (roc * 65536 + sl);
	return true;
}

static bool rtp_first(const struct srtp_stream *st)
{
	return !st || !st->rtp_seen;
}

static void rtp_commit(struct srtp_stream *st, uint64_t index, int64_t delta)
{
	win_commit(st->win, !st->rtp_seen, delta);
	if (!st->rtp_seen || delta > 0) {
		st->roc = (uint32_t)(index >> 16);
		st->s_l = (uint16_t)index;
	}
	st->rtp_seen = true;
}

static void rtcp_commit(struct srtp_stream *st, uint32_t ix)
{
	int64_t delta = (int64_t)ix - st->rtcp_ix;
	win_commit(st->rtcp_win, !st->rtcp_seen, delta);
	if (!st->rtcp_seen || delta > 0)
		st->rtcp_ix = ix;
	st->rtcp_seen = true;
}

/* ---- packets ---- */

/* The RTP header's length (fixed part, CSRCs, extension) within the first
 * len bytes; 0 when it does not fit. */
static size_t rtp_hdr_len(const uint8_t *p, size_t len)
{
	if (len < 12)
		return 0;
	size_t h = 12 + 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (h + 4 > len)
			return 0;
		h += 4 + 4 * (size_t)rd16(p + h + 2);
	}
	return h <= len ? h : 0;
}

/* The IVs. CM (RFC 3711 4.1.1): (salt * 2^16) XOR (SSRC * 2^64) XOR
 * (index * 2^16). GCM (RFC 7714 8.1, 9.1): salt XOR (00 00 || SSRC ||
 * ROC || SEQ), and for SRTCP salt XOR (00 00 || SSRC || 00 00 || 0 ||
 * SRTCP index). */
static void cm_iv(uint8_t *iv, const uint8_t *salt, uint32_t ssrc,
                  uint64_t index)
{
	memcpy(iv, salt, CM_SALT_LEN);
	iv[14] = iv[15] = 0;
	xor32(iv + 4, ssrc);
	iv[8] ^= (uint8_t)(index >> 40);
	iv[9] ^= (uint8_t)(index >> 32);
	xor32(iv + 10, (uint32_t)index);
}

static void gcm_iv(uint8_t *iv, const uint8_t *salt, uint32_t ssrc, uint32_t hi,
                   uint32_t lo)
{
	/* SRTP: hi = ROC (octets 6-9), lo = SEQ (10-11); SRTCP: hi = 0,
	 * lo = the index (8-11) */
	memcpy(iv, salt, GCM_SALT_LEN);
	xor32(iv + 2, ssrc);
	xor32(iv + 6, hi);
	xor32(iv + 8, lo);
}

static void touch(struct srtp_ctx *ctx, struct srtp_stream *st)
{
	st->lru = ++ctx->tick;
}

enum srtp_result srtp_protect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len,
                              size_t cap)
{
	if (!ctx || !pkt || !len)
		return SRTP_ERR_MALFORMED;
	const struct srtp_suite_info *si = ctx->si;
	size_t n = *len;
	size_t hlen = rtp_hdr_len(pkt, n);
	if (!hlen)
		return SRTP_ERR_MALFORMED;
	size_t add = ctx->mki_len + si->tag_len;
	if (n > cap || cap - n < add)
		return SRTP_ERR_SPACE;

	uint32_t ssrc = rd32(pkt + 8);
	uint16_t seq = rd16(pkt + 2);
	struct srtp_stream *st = stream_find(ctx, ssrc);
	uint64_t index;
	int64_t delta;
	/* a sender reusing an index would reuse keystream */
	if (!rtp_index(st, seq, true, &index, &delta) ||
	    win_check(st ? st->win : NULL, rtp_first(st), delta) != SRTP_OK)
		return SRTP_ERR_REPLAY;
	uint32_t roc = (uint32_t)(index >> 16);

	if (si->aead) {
		uint8_t iv[GCM_SALT_LEN];
		gcm_iv(iv, ctx->rtp.salt, ssrc, roc, seq);
		if (!gcm_seal(ctx->rtp.c, iv, pkt, hlen, NULL, 0, pkt + hlen,
		              n - hlen, pkt + n))
			return SRTP_ERR_INTERNAL;
		memcpy(pkt + n + GCM_TAG_LEN, ctx->mki, ctx->mki_len);
	} else {
		uint8_t iv[16], tag[HMAC_LEN], r[4];
		cm_iv(iv, ctx->rtp.salt, ssrc, index);
		if (!aes_cm(ctx->rtp.c, iv, pkt + hlen, n - hlen))
			return SRTP_ERR_INTERNAL;
		wr32(r, roc);
		hmac_sha1(&ctx->rtp, pkt, n, r, 4, tag);
		memcpy(pkt + n, ctx->mki, ctx->mki_len);
		memcpy(pkt + n + ctx->mki_len, tag, si->tag_len);
	}
	*len = n + add;
	if (!st)
		st = stream_slot(ctx, ssrc);
	rtp_commit(st, index, delta);
	touch(ctx, st);
	return SRTP_OK;
}

enum srtp_result srtp_unprotect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len)
{
	if (!ctx || !pkt || !len)
		return SRTP_ERR_MALFORMED;
	const struct srtp_suite_info *si = ctx->si;
	size_t n = *len;
	size_t trail = ctx->mki_len + si->tag_len;
	if (n < 12 + trail)
		return SRTP_ERR_MALFORMED;
	size_t plen = n - trail; /* header + payload */
	size_t hlen = rtp_hdr_len(pkt, plen);
	if (!hlen)
		return SRTP_ERR_MALFORMED;

	uint32_t ssrc = rd32(pkt + 8);
	uint16_t seq = rd16(pkt + 2);
	struct srtp_stream *st = stream_find(ctx, ssrc);
	uint64_t index;
	int64_t delta;
	if (!rtp_index(st, seq, false, &index, &delta) ||
	    win_check(st ? st->win : NULL, rtp_first(st), delta) != SRTP_OK)
		return SRTP_ERR_REPLAY;
	uint32_t roc = (uint32_t)(index >> 16);

	if (si->aead) {
		/* header | ciphertext | tag | MKI */
		const uint8_t *mki = pkt + plen + GCM_TAG_LEN;
		if (CRYPTO_memcmp(mki, ctx->mki, ctx->mki_len) != 0)
			return SRTP_ERR_AUTH;
		uint8_t iv[GCM_SALT_LEN];
		gcm_iv(iv, ctx->rtp.salt, ssrc, roc, seq);
		int r = gcm_open(ctx->rtp.c, iv, pkt, hlen, NULL, 0, pkt + hlen,
		                 plen - hlen, pkt + plen);
		if (r < 0)
			return SRTP_ERR_INTERNAL;
		if (r == 0)
			return SRTP_ERR_AUTH;
	} else {
		/* header | ciphertext | MKI | tag */
		const uint8_t *mki = pkt + plen;
		uint8_t iv[16], tag[HMAC_LEN], r[4];
		wr32(r, roc);
		hmac_sha1(&ctx->rtp, pkt, plen, r, 4, tag);
		/* both compared, so the time taken says nothing of which */
		int bad = CRYPTO_memcmp(mki, ctx->mki, ctx->mki_len) |
		          CRYPTO_memcmp(tag, mki + ctx->mki_len, si->tag_len);
		if (bad)
			return SRTP_ERR_AUTH;
		cm_iv(iv, ctx->rtp.salt, ssrc, index);
		if (!aes_cm(ctx->rtp.c, iv, pkt + hlen, plen - hlen))
			return SRTP_ERR_INTERNAL;
	}
	*len = plen;
	if (!st)
		st = stream_slot(ctx, ssrc);
	rtp_commit(st, index, delta);
	touch(ctx, st);
	return SRTP_OK;
}

enum srtp_result srtcp_protect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len,
                               size_t cap)
{
	if (!ctx || !pkt || !len)
		return SRTP_ERR_MALFORMED;
	const struct srtp_suite_info *si = ctx->si;
	size_t n = *len;
	if (n < 8)
		return SRTP_ERR_MALFORMED;
	size_t add = 4 + ctx->mki_len + si->rtcp_tag;
	if (n > cap || cap - n < add)
		return SRTP_ERR_SPACE;

	uint32_t ssrc = rd32(pkt + 4);
	struct srtp_stream *st = stream_find(ctx, ssrc);
	uint32_t ix = 1; /* the first index is 1, as libsrtp2 sends */
	if (st && st->rtcp_seen) {
		if (st->rtcp_ix >= MAX_SRTCP_IX)
			return SRTP_ERR_INTERNAL; /* the key is used up */
		ix = st->rtcp_ix + 1;
	}
	uint8_t e_ix[4];
	wr32(e_ix, E_BIT | ix);

	if (si->aead) {
		/* header | ciphertext | tag | E||index | MKI */
		uint8_t iv[GCM_SALT_LEN];
		gcm_iv(iv, ctx->rtcp.salt, ssrc, 0, ix);
		if (!gcm_seal(ctx->rtcp.c, iv, pkt, 8, e_ix, 4, pkt + 8, n - 8,
		              pkt + n))
			return SRTP_ERR_INTERNAL;
		memcpy(pkt + n + GCM_TAG_LEN, e_ix, 4);
		memcpy(pkt + n + GCM_TAG_LEN + 4, ctx->mki, ctx->mki_len);
	} else {
		/* header | ciphertext | E||index | MKI | tag */
		uint8_t iv[16], tag[HMAC_LEN];
		cm_iv(iv, ctx->rtcp.salt, ssrc, ix);
		if (!aes_cm(ctx->rtcp.c, iv, pkt + 8, n - 8))
			return SRTP_ERR_INTERNAL;
		memcpy(pkt + n, e_ix, 4);
		hmac_sha1(&ctx->rtcp, pkt, n + 4, NULL, 0, tag);
		memcpy(pkt + n + 4, ctx->mki, ctx->mki_len);
		memcpy(pkt + n + 4 + ctx->mki_len, tag, si->rtcp_tag);
	}
	*len = n + add;
	if (!st)
		st = stream_slot(ctx, ssrc);
	st->rtcp_ix = ix;
	st->rtcp_seen = true;
	touch(ctx, st);
	return SRTP_OK;
}

enum srtp_result srtcp_unprotect(struct srtp_ctx *ctx, uint8_t *pkt,
                                 size_t *len)
{
	if (!ctx || !pkt || !len)
		return SRTP_ERR_MALFORMED;
	const struct srtp_suite_info *si = ctx->si;
	size_t n = *len;
	size_t trail = 4 + ctx->mki_len + si->rtcp_tag;
	if (n < 8 + trail)
		return SRTP_ERR_MALFORMED;

	size_t plen = n - trail; /* the RTCP packet, without the trailer */
	const uint8_t *e_ix, *mki, *tag;
	if (si->aead) {
		tag = pkt + plen;
		e_ix = tag + GCM_TAG_LEN;
		mki = e_ix + 4;
	} else {
		e_ix = pkt + plen;
		mki = e_ix + 4;
		tag = mki + ctx->mki_len;
	}
	uint32_t w = rd32(e_ix);
	bool enc = (w & E_BIT) != 0;
	uint32_t ix = w & MAX_SRTCP_IX;
	uint32_t ssrc = rd32(pkt + 4);
	struct srtp_stream *st = stream_find(ctx, ssrc);
	bool first = !st || !st->rtcp_seen;
	int64_t delta = first ? 0 : (int64_t)ix - st->rtcp_ix;
	if (win_check(first ? NULL : st->rtcp_win, first, delta) != SRTP_OK)
		return SRTP_ERR_REPLAY;

	if (si->aead) {
		if (CRYPTO_memcmp(mki, ctx->mki, ctx->mki_len) != 0)
			return SRTP_ERR_AUTH;
		uint8_t iv[GCM_SALT_LEN], e4[4];
		memcpy(e4, e_ix, 4);
		gcm_iv(iv, ctx->rtcp.salt, ssrc, 0, ix);
		/* E=0 (RFC 7714 9.2): all of it is AAD, nothing encrypted */
		size_t aad = enc ? 8 : plen;
		int r = gcm_open(ctx->rtcp.c, iv, pkt, aad, e4, 4, pkt + aad,
		                 plen - aad, tag);
		if (r < 0)
			return SRTP_ERR_INTERNAL;
		if (r == 0)
			return SRTP_ERR_AUTH;
	} else {
		uint8_t iv[16], mac[HMAC_LEN];
		hmac_sha1(&ctx->rtcp, pkt, plen + 4, NULL, 0, mac);
		int bad = CRYPTO_memcmp(mki, ctx->mki, ctx->mki_len) |
		          CRYPTO_memcmp(mac, tag, si->rtcp_tag);
		if (bad)
			return SRTP_ERR_AUTH;
		cm_iv(iv, ctx->rtcp.salt, ssrc, ix);
		if (enc && !aes_cm(ctx->rtcp.c, iv, pkt + 8, plen - 8))
			return SRTP_ERR_INTERNAL;
	}
	*len = plen;
	if (!st)
		st = stream_slot(ctx, ssrc);
	rtcp_commit(st, ix);
	touch(ctx, st);
	return SRTP_OK;
}

/* ---- known answers ---- */

static bool hexeq(const uint8_t *p, const char *hex, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++)
		if (hex[2 * i] != digits[p[i] >> 4] ||
		    hex[2 * i + 1] != digits[p[i] & 15])
			return false;
	return hex[2 * n] == '\0';
}

static void unhex(uint8_t *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int j = 0; j < 2; j++) {
			char c = hex[2 * i + (size_t)j];
			v = v * 16 +
			    (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
		}
		out[i] = (uint8_t)v;
	}
}

/* Key derivation: RFC 3711 B.3 (AES-128), RFC 6188 7.4 (AES-192) and 7.2
 * (AES-256). */
static const struct {
	const char *what, *key, *salt, *enc, *ssalt, *auth;
} kat_kdfs[] = {
        {"RFC 3711 B.3 key derivation", "e1f97a0d3e018be0d64fa32c06de4139",
         "0ec675ad498afeebb6960b3aabe6", "c61e7a93744f39ee10734afe3ff7a087",
         "30cbbc08863d8c85d49db34a9ae1",
         "cebe321f6ff7716b6fd4ab49af256a156d38baa4"},
        {"RFC 6188 7.4 key derivation (AES-192)",
         "73edc66c4fa15776fb57f9505c17136550ffda71f3e8e5f1",
         "c8522f3acd4ce86d5add78edbb11",
         "31874736a8f1143870c26e4857d8a5b2c4a354407faadabb",
         "2372b82d639b6d8503a47adc0a6c",
         "355b10973cd95b9eacf4061c7e1a7151e7cfbfcb"},
        {"RFC 6188 7.2 key derivation (AES-256)",
         "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6",
         "3b04803de51ee7c96423ab5b78d2",
         "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4",
         "fa31791685ca444a9e07c6c64e93",
         "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05"},
};

static const char *kat_kdf(void)
{
	for (size_t i = 0; i < sizeof(kat_kdfs) / sizeof(*kat_kdfs); i++) {
		uint8_t mk[32], ms[14], out[32];
		size_t kl = strlen(kat_kdfs[i].key) / 2;
		unhex(mk, kat_kdfs[i].key, kl);
		unhex(ms, kat_kdfs[i].salt, 14);
		if (srtp_kdf(mk, kl, ms, 14, 0, out, kl) ||
		    !hexeq(out, kat_kdfs[i].enc, kl) ||
		    srtp_kdf(mk, kl, ms, 14, 2, out, 14) ||
		    !hexeq(out, kat_kdfs[i].ssalt, 14) ||
		    srtp_kdf(mk, kl, ms, 14, 1, out, 20) ||
		    !hexeq(out, kat_kdfs[i].auth, 20))
			return kat_kdfs[i].what;
	}
	return NULL;
}

/* RFC 3711 B.2, through the packet path: SSRC 0, ROC 0, SEQ 0, a payload
 * of zeros comes out as the keystream. */
static const char *kat_keystream(void)
{
	uint8_t keys[16 + 14 + 20] = {0}; /* the auth key does not matter */
	uint8_t p[12 + 48 + SRTP_MAX_TRAILER] = {0x80};
	size_t len = 12 + 48;
	unhex(keys, "2b7e151628aed2a6abf7158809cf4f3c", 16);
	unhex(keys + 16, "f0f1f2f3f4f5f6f7f8f9fafbfcfd", 14);
	struct srtp_ctx *c =
	        srtp_ctx_new_session(SRTP_AES_CM_128_HMAC_SHA1_80, keys, NULL);
	if (!c)
		return "RFC 3711 B.2: no context";
	enum srtp_result r = srtp_protect(c, p, &len, sizeof(p));
	srtp_ctx_free(c);
	if (r != SRTP_OK || !hexeq(p + 12,
	                           "e03ead0935c95e80e166b16dd92b4eb4"
	                           "d23513162b02d0f72a43a2fe4a5f97ab"
	                           "41e95b3bb0a2e8dd477901e4fca894c0",
	                           48))
		return "RFC 3711 B.2 AES-CM keystream";
	return NULL;
}

/* libsrtp2's reference packets (test/srtp_driver.c srtp_validate,
 * srtp_validate_aes_256, srtp_validate_gcm): SSRC cafebabe, SEQ 1234, a
 * payload of 16 (ab): the whole SRTP packet, derivation and tag too. */
static const struct {
	enum srtp_suite s;
	const char *key;
	const char *srtp;
} kat_packets[] = {
        {SRTP_AES_CM_128_HMAC_SHA1_80,
         "e1f97a0d3e018be0d64fa32c06de41390ec675ad498afeebb6960b3aabe6",
         "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc"
         "99ea179b8dbb"},
        {SRTP_AES_256_CM_HMAC_SHA1_80,
         "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6"
         "3b04803de51ee7c96423ab5b78d2",
         "800f1234decafbadcafebabef1d9de17ff251ff1aa007774b0b4b40da08d9d9a"
         "5b3a55d8873b"},
        {SRTP_AEAD_AES128_GCM,
         "000102030405060708090a0b0c0d0e0fa0a1a2a3a4a5a6a7a8a9aaab",
         "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826"
         "f796b201df3131a127e8a392"},
};

static const char *kat_packet(size_t i)
{
	const struct srtp_suite_info *si = &suites[kat_packets[i].s];
	uint8_t ks[SRTP_MAX_KEY_SALT], p[28 + SRTP_MAX_TRAILER];
	size_t klen = (size_t)si->key_len + si->salt_len, len = 28;
	unhex(ks, kat_packets[i].key, klen);
	unhex(p, "800f1234decafbadcafebabe", 12);
	memset(p + 12, 0xab, 16);
	struct srtp_ctx *c = srtp_ctx_new(kat_packets[i].s, ks, NULL, 0);
	if (!c)
		return "reference packet: no context";
	enum srtp_result r = srtp_protect(c, p, &len, sizeof(p));
	srtp_ctx_free(c);
	if (r != SRTP_OK || !hexeq(p, kat_packets[i].srtp, len))
		return si->aead ? "libsrtp2 reference packet (AES-GCM)"
		                : "libsrtp2 reference packet (AES-CM)";
	return NULL;
}

/* RFC 7714 16.1.1 / 16.2.1 (session keys given). */
static const char *kat_gcm(bool k256)
{
	uint8_t keys[32 + 12], p[50 + SRTP_MAX_TRAILER];
	size_t len = 50, kl = k256 ? 32 : 16;
	unhex(keys,
	      "000102030405060708090a0b0c0d0e0f"
	      "101112131415161718191a1b1c1d1e1f",
	      kl);
	unhex(keys + kl, "517569642070726f2071756f", 12);
	unhex(p, "8040f17b8041f8d35501a0b2", 12);
	memcpy(p + 12, "Gallia est omnis divisa in partes tres", 38);
	struct srtp_ctx *c = srtp_ctx_new_session(
	        k256 ? SRTP_AEAD_AES256_GCM : SRTP_AEAD_AES128_GCM, keys, NULL);
	if (!c)
		return "RFC 7714: no context";
	enum srtp_result r = srtp_protect(c, p, &len, sizeof(p));
	srtp_ctx_free(c);
	const char *want =
	        k256 ? "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e"
	               "33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3"
	               "db36dfffd6b0f9bb7878d7a76c13"
	             : "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e"
	               "4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d"
	               "7f27beb16a9152cf765ee4390cce";
	if (r != SRTP_OK || !hexeq(p, want, len))
		return k256 ? "RFC 7714 16.2.1 AEAD_AES_256_GCM"
		            : "RFC 7714 16.1.1 AEAD_AES_128_GCM";
	return NULL;
}

/* One protect/unprotect round (SRTP and SRTCP) for suite s, with a tamper
 * and a replay refused. */
static const char *kat_round(enum srtp_suite s)
{
	const struct srtp_suite_info *si = &suites[s];
	uint8_t ks[SRTP_MAX_KEY_SALT], p[60 + SRTP_MAX_TRAILER], q[60];
	for (size_t i = 0; i < sizeof(ks); i++)
		ks[i] = (uint8_t)(i * 7 + s);
	for (size_t i = 0; i < sizeof(q); i++)
		q[i] = (uint8_t)(i * 13 + 1);
	static const uint8_t mki[2] = {0, 1};
	struct srtp_ctx *tx = srtp_ctx_new(s, ks, mki, sizeof(mki));
	struct srtp_ctx *rx = srtp_ctx_new(s, ks, mki, sizeof(mki));
	const char *why = NULL;
	if (!tx || !rx) {
		why = "round trip: no context";
		goto out;
	}
	for (int rtcp = 0; rtcp <= 1 && !why; rtcp++) {
		q[0] = 0x80;
		q[1] = rtcp ? 200 : 0;
		size_t len = sizeof(q);
		memcpy(p, q, sizeof(q));
		enum srtp_result r =
		        rtcp ? srtcp_protect(tx, p, &len, sizeof(p))
		             : srtp_protect(tx, p, &len, sizeof(p));
		size_t want = sizeof(q) + sizeof(mki) +
		              (rtcp ? 4 + (size_t)si->rtcp_tag : si->tag_len);
		if (r != SRTP_OK || len != want ||
		    memcmp(p + 12, q + 12, 16) == 0) {
			why = "round trip: protect";
			break;
		}
		p[20] ^= 1;
		size_t l2 = len;
		r = rtcp ? srtcp_unprotect(rx, p, &l2)
		         : srtp_unprotect(rx, p, &l2);
		p[20] ^= 1;
		if (r != SRTP_ERR_AUTH) {
			why = "round trip: a tampered packet passed";
			break;
		}
		l2 = len;
		r = rtcp ? srtcp_unprotect(rx, p, &l2)
		         : srtp_unprotect(rx, p, &l2);
		if (r != SRTP_OK || l2 != sizeof(q) ||
		    memcmp(p, q, sizeof(q)) != 0) {
			why = "round trip: unprotect";
			break;
		}
		memcpy(p, q, sizeof(q));
		l2 = sizeof(q);
		/* the same packet again: protect again, a replay to rx */
		if (!rtcp) {
			if (srtp_protect(tx, p, &l2, sizeof(p)) !=
			    SRTP_ERR_REPLAY)
				why = "round trip: protect reused an index";
		}
	}
out:
	srtp_ctx_free(tx);
	srtp_ctx_free(rx);
	return why;
}

int srtp_selftest(const char **why)
{
	const char *w = kat_kdf();
	if (!w)
		w = kat_keystream();
	for (size_t i = 0; !w && i < sizeof(kat_packets) / sizeof(*kat_packets);
	     i++)
		w = kat_packet(i);
	if (!w)
		w = kat_gcm(false);
	if (!w)
		w = kat_gcm(true);
	for (unsigned s = 0; !w && s < SRTP_SUITE_COUNT; s++)
		w = kat_round((enum srtp_suite)s);
	if (why)
		*why = w;
	return w ? -1 : 0;
}
