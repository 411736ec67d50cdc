/* test_srtp.c: the SRTP/SRTCP transform (src/media/srtp.c) without
 * libsrtp2 (test_srtp_libsrtp.c cross-checks against it).
 *
 * Known answers: RFC 3711 B.2 (AES-CM keystream, through the packet path
 * and the PRF, first and last blocks) and B.3 (key derivation, the whole
 * auth key); RFC 7714 16.1.1/16.2.1 and 17.1/17.2 (AEAD_AES_128_GCM and
 * AEAD_AES_256_GCM, SRTP and SRTCP, both ways); libsrtp2's reference
 * packets from its test/srtp_driver.c (AES-CM-128 SRTP and SRTCP,
 * AES-CM-256, AES-GCM-128 SRTP and SRTCP, which also pins the 12-byte
 * salt KDF). A second reference written here on OpenSSL's EVP/HMAC
 * one-shots checks ROC rollover, E=0 SRTCP (CM and GCM) and MKI layout.
 *
 * Then, per suite: every single-bit corruption of a protected packet
 * refused (the packet left as it came and the stream state unchanged);
 * replay, too old, out of order within the window once; every
 * truncation and malformed CSRC count / extension length refused as
 * MALFORMED on exact-size heap copies (so ASan sees any over-read);
 * protect at every too-small cap -> SPACE; more SSRCs than
 * SRTP_MAX_STREAMS (LRU); and no allocation by OpenSSL per packet
 * (CRYPTO_set_mem_functions counts them). */
#include "media/srtp.h"
#include "tests/bytes.h"
#include "tests/test.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

/* ---- OpenSSL allocation counter ---- */

static long ossl_allocs;
static bool mem_hooked;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	ossl_allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	ossl_allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* ---- helpers ---- */

static size_t unhex(uint8_t *out, const char *hex)
{
	size_t n = 0;
	int half = -1;
	for (const char *c = hex; *c; c++) {
		int v;
		if (*c >= '0' && *c <= '9')
			v = *c - '0';
		else if (*c >= 'a' && *c <= 'f')
			v = *c - 'a' + 10;
		else if (*c >= 'A' && *c <= 'F')
			v = *c - 'A' + 10;
		else
			continue;
		if (half < 0) {
			half = v;
		} else {
			out[n++] = (uint8_t)(half << 4 | v);
			half = -1;
		}
	}
	return n;
}

#define CHECK_HEX(p, n, hex)                                                   \
	do {                                                                   \
		uint8_t w_[2048];                                              \
		size_t wn_ = unhex(w_, hex);                                   \
		test_checks++;                                                 \
		if (wn_ != (size_t)(n) || memcmp(p, w_, wn_) != 0) {           \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: %s differs from %s\n",         \
			        __FILE__, __LINE__, #p, #hex);                 \
		}                                                              \
	} while (0)

/* An RTP packet: cc CSRCs, an extension of ext_words words when ext >= 0,
 * plen payload bytes; returns its length. */
static size_t mk_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, unsigned cc,
                     int ext_words, size_t plen)
{
	size_t n = 0;
	p[0] = (uint8_t)(0x80 | (ext_words >= 0 ? 0x10 : 0) | cc);
	p[1] = 0;
	put16(p + 2, seq);
	put32(p + 4, 0x11223344u + seq);
	put32(p + 8, ssrc);
	n = 12;
	for (unsigned i = 0; i < cc; i++, n += 4)
		put32(p + n, 0xc0000000u + i);
	if (ext_words >= 0) {
		put16(p + n, 0xbede);
		put16(p + n + 2, (uint16_t)ext_words);
		n += 4;
		for (int i = 0; i < ext_words; i++, n += 4)
			put32(p + n, 0xe0e0e000u + (uint32_t)i);
	}
	for (size_t i = 0; i < plen; i++)
		p[n++] = (uint8_t)(i * 31 + seq);
	return n;
}

static size_t mk_rtcp(uint8_t *p, uint32_t ssrc, size_t words)
{
	p[0] = 0x80;
	p[1] = 200;
	put16(p + 2, (uint16_t)(words + 1));
	put32(p + 4, ssrc);
	for (size_t i = 0; i < 4 * words; i++)
		p[8 + i] = (uint8_t)(i * 7 + 3);
	return 8 + 4 * words;
}

static void key_for(enum srtp_suite s, uint8_t *ks, uint8_t seed)
{
	for (size_t i = 0; i < SRTP_MAX_KEY_SALT; i++)
		ks[i] = (uint8_t)(i * 37 + seed + (unsigned)s);
}

static enum srtp_result prot(struct srtp_ctx *c, bool rtcp, uint8_t *p,
                             size_t *len, size_t cap)
{
	return rtcp ? srtcp_protect(c, p, len, cap)
	            : srtp_protect(c, p, len, cap);
}

static enum srtp_result unprot(struct srtp_ctx *c, bool rtcp, uint8_t *p,
                               size_t *len)
{
	return rtcp ? srtcp_unprotect(c, p, len) : srtp_unprotect(c, p, len);
}

/* A context on session keys (the same for SRTP and SRTCP). */
static struct srtp_ctx *session_ctx(enum srtp_suite s, const uint8_t *key,
                                    const uint8_t *salt, const uint8_t *auth)
{
	const struct srtp_suite_info *si = srtp_suite_info(s);
	uint8_t k[32 + 14 + 20];
	memcpy(k, key, si->key_len);
	memcpy(k + si->key_len, salt, si->salt_len);
	if (auth)
		memcpy(k + si->key_len + si->salt_len, auth, 20);
	return srtp_ctx_new_session(s, k, NULL);
}

/* ---- names ---- */

static void test_names(void)
{
	static const struct {
		const char *name;
		enum srtp_suite s;
	} ok[] = {
	        {"AES_CM_128_HMAC_SHA1_80", SRTP_AES_CM_128_HMAC_SHA1_80},
	        {"AES_CM_128_HMAC_SHA1_32", SRTP_AES_CM_128_HMAC_SHA1_32},
	        {"AES_192_CM_HMAC_SHA1_80", SRTP_AES_192_CM_HMAC_SHA1_80},
	        {"AES_192_CM_HMAC_SHA1_32", SRTP_AES_192_CM_HMAC_SHA1_32},
	        {"AES_256_CM_HMAC_SHA1_80", SRTP_AES_256_CM_HMAC_SHA1_80},
	        {"AES_256_CM_HMAC_SHA1_32", SRTP_AES_256_CM_HMAC_SHA1_32},
	        {"AES_CM_192_HMAC_SHA1_80", SRTP_AES_192_CM_HMAC_SHA1_80},
	        {"AES_CM_192_HMAC_SHA1_32", SRTP_AES_192_CM_HMAC_SHA1_32},
	        {"AES_CM_256_HMAC_SHA1_80", SRTP_AES_256_CM_HMAC_SHA1_80},
	        {"AES_CM_256_HMAC_SHA1_32", SRTP_AES_256_CM_HMAC_SHA1_32},
	        {"AEAD_AES_128_GCM", SRTP_AEAD_AES128_GCM},
	        {"AEAD_AES_256_GCM", SRTP_AEAD_AES256_GCM},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		enum srtp_suite s = SRTP_SUITE_COUNT;
		CHECK(srtp_suite_by_name(
		        pl_make(ok[i].name, strlen(ok[i].name)), &s));
		CHECK_EQ_INT(s, ok[i].s);
	}
	static const char *const bad[] = {
	        "aes_cm_128_hmac_sha1_80",  "AES_CM_128_HMAC_SHA1_8",
	        "AES_CM_128_HMAC_SHA1_800", "F8_128_HMAC_SHA1_80",
	        "AEAD_AES_192_GCM",         "",
	        "AES_CM_128_NULL_AUTH"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		enum srtp_suite s = SRTP_SUITE_COUNT;
		CHECK(!srtp_suite_by_name(pl_make(bad[i], strlen(bad[i])), &s));
		CHECK_EQ_INT(s, SRTP_SUITE_COUNT);
	}
	CHECK(!srtp_suite_by_name(PL_NULL, NULL));

	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++) {
		const struct srtp_suite_info *si = srtp_suite_info(s);
		CHECK(si != NULL);
		if (!si)
			continue;
		enum srtp_suite back;
		CHECK(srtp_suite_by_name(pl_make(si->name, strlen(si->name)),
		                         &back));
		CHECK_EQ_INT(back, s);
		CHECK(si->key_len + si->salt_len <= SRTP_MAX_KEY_SALT);
		CHECK_EQ_INT(si->rtcp_tag, si->aead ? 16 : 10);
		CHECK_EQ_INT(si->salt_len, si->aead ? 12 : 14);
	}
	CHECK_EQ_INT(srtp_suite_info(SRTP_AES_CM_128_HMAC_SHA1_32)->tag_len, 4);
	CHECK_EQ_INT(srtp_suite_info(SRTP_AES_192_CM_HMAC_SHA1_80)->key_len,
	             24);
	CHECK(srtp_suite_info(SRTP_SUITE_COUNT) == NULL);
	CHECK(srtp_suite_info((enum srtp_suite) - 1) == NULL);
	for (int r = SRTP_OK; r <= SRTP_ERR_INTERNAL; r++)
		CHECK(srtp_result_str((enum srtp_result)r)[0] != '\0');
}

static void test_selftest(void)
{
	const char *why = "unset";
	CHECK_EQ_INT(srtp_selftest(&why), 0);
	CHECK(why == NULL);
	if (why)
		fprintf(stderr, "selftest: %s\n", why);
	CHECK_EQ_INT(srtp_selftest(NULL), 0);
}

static void test_bad_args(void)
{
	uint8_t ks[SRTP_MAX_KEY_SALT] = {0}, mki[SRTP_MAX_MKI + 1] = {0};
	CHECK(srtp_ctx_new(SRTP_SUITE_COUNT, ks, NULL, 0) == NULL);
	CHECK(srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, NULL, NULL, 0) ==
	      NULL);
	CHECK(srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, ks, NULL, 4) == NULL);
	CHECK(srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, ks, mki,
	                   SRTP_MAX_MKI + 1) == NULL);
	struct srtp_ctx *c = srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, ks, mki,
	                                  SRTP_MAX_MKI);
	CHECK(c != NULL);
	if (c)
		CHECK_EQ_INT(srtp_ctx_suite(c), SRTP_AES_CM_128_HMAC_SHA1_80);
	srtp_ctx_free(c);
	srtp_ctx_free(NULL);
	CHECK(srtp_ctx_new_session(SRTP_AES_CM_128_HMAC_SHA1_80, NULL, ks) ==
	      NULL);
	CHECK(srtp_ctx_new_session(SRTP_SUITE_COUNT, ks, NULL) == NULL);
	uint8_t out[4];
	CHECK_EQ_INT(srtp_kdf(ks, 20, ks, 14, 0, out, 4), -1);
	CHECK_EQ_INT(srtp_kdf(ks, 16, ks, 13, 0, out, 4), -1);
}

/* ---- RFC 3711 ---- */

/* B.3: all three session keys, the auth key in full (94 octets of PRF
 * output, six AES blocks). */
static void test_rfc3711_b3(void)
{
	uint8_t mk[16], ms[14], out[94];
	unhex(mk, "E1F97A0D3E018BE0D64FA32C06DE4139");
	unhex(ms, "0EC675AD498AFEEBB6960B3AABE6");
	CHECK_EQ_INT(srtp_kdf(mk, 16, ms, 14, 0, out, 16), 0);
	CHECK_HEX(out, 16, "C61E7A93744F39EE10734AFE3FF7A087");
	CHECK_EQ_INT(srtp_kdf(mk, 16, ms, 14, 2, out, 14), 0);
	CHECK_HEX(out, 14, "30CBBC08863D8C85D49DB34A9AE1");
	CHECK_EQ_INT(srtp_kdf(mk, 16, ms, 14, 1, out, 94), 0);
	CHECK_HEX(out, 94,
	          "CEBE321F6FF7716B6FD4AB49AF256A15"
	          "6D38BAA48F0A0ACF3C34E2359E6CDBCE"
	          "E049646C43D9327AD175578EF7227098"
	          "6371C10C9A369AC2F94A8C5FBCDDDC25"
	          "6D6E919A48B610EF17C2041E47403576"
	          "6B68642C59BBFC2F34DB60DBDFB2");
}

/* RFC 6188 7.2 (AES-256) and 7.4 (AES-192): the SRTP session keys. */
static void test_rfc6188_kdf(void)
{
	uint8_t mk[32], ms[14], out[32];
	unhex(mk, "73edc66c4fa15776fb57f9505c17136550ffda71f3e8e5f1");
	unhex(ms, "c8522f3acd4ce86d5add78edbb11");
	CHECK_EQ_INT(srtp_kdf(mk, 24, ms, 14, 0, out, 24), 0);
	CHECK_HEX(out, 24, "31874736a8f1143870c26e4857d8a5b2c4a354407faadabb");
	CHECK_EQ_INT(srtp_kdf(mk, 24, ms, 14, 2, out, 14), 0);
	CHECK_HEX(out, 14, "2372b82d639b6d8503a47adc0a6c");
	CHECK_EQ_INT(srtp_kdf(mk, 24, ms, 14, 1, out, 20), 0);
	CHECK_HEX(out, 20, "355b10973cd95b9eacf4061c7e1a7151e7cfbfcb");
	unhex(mk, "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332"
	          "b9f1b6");
	unhex(ms, "3b04803de51ee7c96423ab5b78d2");
	CHECK_EQ_INT(srtp_kdf(mk, 32, ms, 14, 0, out, 32), 0);
	CHECK_HEX(out, 32,
	          "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960"
	          "653caf06554cd8c4");
	CHECK_EQ_INT(srtp_kdf(mk, 32, ms, 14, 2, out, 14), 0);
	CHECK_HEX(out, 14, "fa31791685ca444a9e07c6c64e93");
	CHECK_EQ_INT(srtp_kdf(mk, 32, ms, 14, 1, out, 20), 0);
	CHECK_HEX(out, 20, "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05");
}

/* B.2: the 1044512-octet keystream segment, first and last three blocks,
 * through the PRF (salt F0..FD, label 0 leaves it as is) and through the
 * packet path (SSRC 0, SEQ 0, ROC 0, a payload of zeros). */
static void test_rfc3711_b2(void)
{
	uint8_t key[16], salt[14], auth[20] = {0};
	unhex(key, "2B7E151628AED2A6ABF7158809CF4F3C");
	unhex(salt, "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
	const size_t seg = 1044512;
	uint8_t *ks = calloc(1, seg);
	uint8_t *pkt = calloc(1, 12 + seg + SRTP_MAX_TRAILER);
	if (!ks || !pkt) {
		CHECK(!"out of memory");
		free(ks);
		free(pkt);
		return;
	}
	static const char *const first = "E03EAD0935C95E80E166B16DD92B4EB4"
	                                 "D23513162B02D0F72A43A2FE4A5F97AB"
	                                 "41E95B3BB0A2E8DD477901E4FCA894C0";
	static const char *const last = "EC8CDF7398607CB0F2D21675EA9EA1E4"
	                                "362B7C3C6773516318A077D7FC5073AE"
	                                "6A2CC3787889374FBEB4C81B17BA6C44";
	CHECK_EQ_INT(srtp_kdf(key, 16, salt, 14, 0, ks, seg), 0);
	CHECK_HEX(ks, 48, first);
	CHECK_HEX(ks + 0xfeff * 16, 48, last);

	struct srtp_ctx *c =
	        session_ctx(SRTP_AES_CM_128_HMAC_SHA1_80, key, salt, auth);
	CHECK(c != NULL);
	if (c) {
		size_t len = 12 + seg;
		pkt[0] = 0x80;
		CHECK_EQ_INT(
		        srtp_protect(c, pkt, &len, 12 + seg + SRTP_MAX_TRAILER),
		        SRTP_OK);
		CHECK_EQ_INT(len, 12 + seg + 10);
		CHECK(memcmp(pkt + 12, ks, seg) == 0);
		CHECK_HEX(pkt + 12, 48, first);
		CHECK_HEX(pkt + 12 + 0xfeff * 16, 48, last);
	}
	srtp_ctx_free(c);
	free(ks);
	free(pkt);
}

/* ---- libsrtp2's reference packets (test/srtp_driver.c) ---- */

static void ref_packet(enum srtp_suite s, const char *key, const char *srtp,
                       const char *srtcp)
{
	uint8_t ks[SRTP_MAX_KEY_SALT], p[64], want[64];
	unhex(ks, key);
	struct srtp_ctx *tx = srtp_ctx_new(s, ks, NULL, 0);
	struct srtp_ctx *rx = srtp_ctx_new(s, ks, NULL, 0);
	CHECK(tx && rx);
	if (!tx || !rx)
		goto out;
	/* SRTP: SSRC cafebabe, SEQ 1234, 16 octets of ab */
	size_t len = unhex(p, "800f1234decafbadcafebabe");
	memset(p + 12, 0xab, 16);
	len += 16;
	CHECK_EQ_INT(srtp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
	size_t wn = unhex(want, srtp);
	CHECK_EQ_INT(len, wn);
	CHECK(memcmp(p, want, wn) == 0);
	len = wn;
	CHECK_EQ_INT(srtp_unprotect(rx, want, &len), SRTP_OK);
	CHECK_EQ_INT(len, 28);
	CHECK(want[27] == 0xab && want[12] == 0xab);
	if (!srtcp)
		goto out;
	/* SRTCP: a sender report header, 16 octets of ab, index 1 */
	len = unhex(p, "81c8000bcafebabe");
	memset(p + 8, 0xab, 16);
	len += 16;
	CHECK_EQ_INT(srtcp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
	wn = unhex(want, srtcp);
	CHECK_EQ_INT(len, wn);
	CHECK(memcmp(p, want, wn) == 0);
	len = wn;
	CHECK_EQ_INT(srtcp_unprotect(rx, want, &len), SRTP_OK);
	CHECK_EQ_INT(len, 24);
	CHECK(want[8] == 0xab && want[23] == 0xab);
out:
	srtp_ctx_free(tx);
	srtp_ctx_free(rx);
}

static void test_libsrtp_reference(void)
{
	ref_packet(SRTP_AES_CM_128_HMAC_SHA1_80,
	           "e1f97a0d3e018be0d64fa32c06de4139"
	           "0ec675ad498afeebb6960b3aabe6",
	           "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402"
	           "b78d6acc99ea179b8dbb",
	           "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001"
	           "993e08cd54d6c1230798");
	ref_packet(SRTP_AES_256_CM_HMAC_SHA1_80,
	           "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e3"
	           "32b9f1b63b04803de51ee7c96423ab5b78d2",
	           "800f1234decafbadcafebabef1d9de17ff251ff1aa007774b0b4b40d"
	           "a08d9d9a5b3a55d8873b",
	           NULL);
	ref_packet(SRTP_AEAD_AES128_GCM,
	           "000102030405060708090a0b0c0d0e0fa0a1a2a3a4a5a6a7a8a9aaab",
	           "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06e"
	           "d2976826f796b201df3131a127e8a392",
	           "81c8000bcafebabec98b8b5df0392a55852b6c21ac8e7025c52c6fbe"
	           "a2b3b446ea31123ba88ce61e80000001");
}

/* ---- RFC 7714 16-17 (session keys) ---- */

static const char *const rfc7714_rtp = "8040f17b8041f8d35501a0b247616c6c"
                                       "696120657374206f6d6e697320646976"
                                       "69736120696e20706172746573207472"
                                       "6573";
static const char *const rfc7714_rtcp = "81c8000d4d6172734e5450314e545032"
                                        "525450200000042a0000e9304c756e61"
                                        "deadbeefdeadbeefdeadbeefdeadbeef"
                                        "deadbeef";

static void rfc7714(enum srtp_suite s, const char *srtp, const char *srtcp)
{
	uint8_t key[32], salt[12], p[128], want[128];
	unhex(key, "000102030405060708090a0b0c0d0e0f"
	           "101112131415161718191a1b1c1d1e1f");
	unhex(salt, "517569642070726f2071756f");
	struct srtp_ctx *tx = session_ctx(s, key, salt, NULL);
	struct srtp_ctx *rx = session_ctx(s, key, salt, NULL);
	CHECK(tx && rx);
	if (!tx || !rx)
		goto out;

	/* SRTP, 16.x.1 encryption and 16.x.2 decryption */
	size_t len = unhex(p, rfc7714_rtp), wn = unhex(want, srtp);
	CHECK_EQ_INT(srtp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
	CHECK_EQ_INT(len, wn);
	CHECK(memcmp(p, want, wn) == 0);
	want[20] ^= 1; /* tampered: refused and left as it came */
	memcpy(p, want, wn);
	len = wn;
	CHECK_EQ_INT(srtp_unprotect(rx, want, &len), SRTP_ERR_AUTH);
	CHECK_EQ_INT(len, wn);
	CHECK(memcmp(p, want, wn) == 0);
	want[20] ^= 1;
	CHECK_EQ_INT(srtp_unprotect(rx, want, &len), SRTP_OK);
	CHECK_EQ_INT(len, 50);
	unhex(p, rfc7714_rtp);
	CHECK(memcmp(p, want, 50) == 0);

	/* SRTCP, 17.x: SRTCP index 000005d4 (our first index is 1) */
	for (uint32_t i = 1; i < 0x5d4; i++) {
		len = unhex(p, rfc7714_rtcp);
		CHECK_EQ_INT(srtcp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
	}
	len = unhex(p, rfc7714_rtcp);
	wn = unhex(want, srtcp);
	CHECK_EQ_INT(srtcp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
	CHECK_EQ_INT(len, wn);
	CHECK(memcmp(p, want, wn) == 0);
	want[30] ^= 8;
	len = wn;
	CHECK_EQ_INT(srtcp_unprotect(rx, want, &len), SRTP_ERR_AUTH);
	want[30] ^= 8;
	want[wn - 1] ^= 1; /* another index: another IV */
	CHECK_EQ_INT(srtcp_unprotect(rx, want, &len), SRTP_ERR_AUTH);
	want[wn - 1] ^= 1;
	CHECK_EQ_INT(srtcp_unprotect(rx, want, &len), SRTP_OK);
	CHECK_EQ_INT(len, 52);
	unhex(p, rfc7714_rtcp);
	CHECK(memcmp(p, want, 52) == 0);
out:
	srtp_ctx_free(tx);
	srtp_ctx_free(rx);
}

static void test_rfc7714(void)
{
	rfc7714(SRTP_AEAD_AES128_GCM,
	        "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bca"
	        "be633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb1"
	        "6a9152cf765ee4390cce",
	        "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f7"
	        "6c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa458"
	        "96cf4d2fc5abf87245d9eade800005d4");
	rfc7714(SRTP_AEAD_AES256_GCM,
	        "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aa"
	        "b18012389a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfff"
	        "d6b0f9bb7878d7a76c13",
	        "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5d"
	        "bffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c"
	        "4446839f57ff6f6cb26ac3be800005d4");
}

/* ---- a second reference, on OpenSSL one-shots ---- */

/* RFC 3711 SRTP with session keys: AES-CTR + HMAC-SHA1(hdr..payload||ROC) */
static size_t ref_cm_rtp(const uint8_t *key, const uint8_t *salt,
                         const uint8_t *auth, const uint8_t *mki,
                         size_t mki_len, size_t tag_len, uint32_t roc,
                         uint8_t *p, size_t len, size_t hlen)
{
	uint8_t iv[16] = {0};
	memcpy(iv, salt, 14);
	uint64_t index = (uint64_t)roc << 16 | (uint16_t)(p[2] << 8 | p[3]);
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= p[8 + i];
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0;
	EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv);
	EVP_EncryptUpdate(c, p + hlen, &outl, p + hlen, (int)(len - hlen));
	EVP_CIPHER_CTX_free(c);
	uint8_t buf[2048], mac[20];
	unsigned ml = 0;
	memcpy(buf, p, len);
	put32(buf + len, roc);
	HMAC(EVP_sha1(), auth, 20, buf, len + 4, mac, &ml);
	if (mki_len)
		memcpy(p + len, mki, mki_len);
	memcpy(p + len + mki_len, mac, tag_len);
	return len + mki_len + tag_len;
}

/* RFC 7714 SRTP with session keys: IV = salt ^ (0 0 SSRC ROC SEQ). */
static size_t ref_gcm_rtp(const uint8_t *key, const uint8_t *salt, uint32_t roc,
                          uint8_t *p, size_t len, size_t hlen)
{
	uint8_t iv[12];
	memcpy(iv, salt, 12);
	for (int i = 0; i < 4; i++) {
		iv[2 + i] ^= p[8 + i];
		iv[6 + i] ^= (uint8_t)(roc >> (24 - 8 * i));
	}
	iv[10] ^= p[2];
	iv[11] ^= p[3];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0;
	EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv);
	EVP_EncryptUpdate(c, NULL, &outl, p, (int)hlen);
	EVP_EncryptUpdate(c, p + hlen, &outl, p + hlen, (int)(len - hlen));
	EVP_EncryptFinal_ex(c, p + len, &outl);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, p + len);
	EVP_CIPHER_CTX_free(c);
	return len + 16;
}

/* The same for AES-GCM: SEQ 65533 .. 3 crosses into ROC 1. */
static void rollover_gcm(void)
{
	uint8_t key[16], salt[12], p[128], q[128];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0x3c * i + 1);
	memcpy(salt, key + 2, 12);
	struct srtp_ctx *tx =
	        session_ctx(SRTP_AEAD_AES128_GCM, key, salt, NULL);
	struct srtp_ctx *rx =
	        session_ctx(SRTP_AEAD_AES128_GCM, key, salt, NULL);
	CHECK(tx && rx);
	for (uint32_t k = 0; tx && rx && k < 7; k++) {
		uint16_t seq = (uint16_t)(65533 + k);
		size_t n = mk_rtp(p, seq, 0xfeedf00d, 1, 0, 30), len = n;
		memcpy(q, p, n);
		CHECK_EQ_INT(srtp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
		uint8_t r[128];
		memcpy(r, q, n);
		size_t rl = ref_gcm_rtp(key, salt, seq < 100 ? 1 : 0, r, n, 20);
		CHECK_EQ_INT(rl, len);
		CHECK(memcmp(r, p, len) == 0);
		CHECK_EQ_INT(srtp_unprotect(rx, p, &len), SRTP_OK);
		CHECK(len == n && memcmp(p, q, n) == 0);
	}
	srtp_ctx_free(tx);
	srtp_ctx_free(rx);
}

/* Sequence wrap: 65535 -> 0 increments the ROC, on both sides; a late
 * packet from before the wrap still decrypts under the old ROC. */
static void test_rollover(void)
{
	uint8_t key[16], salt[14], auth[20], p[256], q[256];
	for (int i = 0; i < 20; i++)
		auth[i] = (uint8_t)(0xa0 + i);
	memcpy(key, auth, 16);
	memcpy(salt, auth + 3, 14);
	struct srtp_ctx *tx =
	        session_ctx(SRTP_AES_CM_128_HMAC_SHA1_80, key, salt, auth);
	struct srtp_ctx *rx =
	        session_ctx(SRTP_AES_CM_128_HMAC_SHA1_80, key, salt, auth);
	CHECK(tx && rx);
	if (!tx || !rx)
		goto out;
	uint8_t late[256];
	size_t late_len = 0;
	uint32_t roc = 0;
	/* two wraps: 65530 .. 65535, 0 .. , 65535, 0 .. 5 */
	for (uint32_t k = 0; k < 65536 + 12; k++) {
		uint16_t seq = (uint16_t)(65530 + k);
		if (seq == 0 && k)
			roc++;
		size_t n = mk_rtp(p, seq, 0x01020304, 0, -1, 20), len = n;
		memcpy(q, p, n);
		CHECK_EQ_INT(srtp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
		if (seq == 65534 && roc == 1) { /* held back, sent later */
			memcpy(late, p, len);
			late_len = len;
			continue;
		}
		/* byte for byte what the reference makes with this ROC */
		if (k < 16 || k > 65530 || seq < 4) {
			uint8_t r[256];
			memcpy(r, q, n);
			size_t rl = ref_cm_rtp(key, salt, auth, NULL, 0, 10,
			                       roc, r, n, 12);
			CHECK_EQ_INT(rl, len);
			CHECK(memcmp(r, p, len) == 0);
		}
		CHECK_EQ_INT(srtp_unprotect(rx, p, &len), SRTP_OK);
		CHECK_EQ_INT(len, n);
		CHECK(memcmp(p, q, n) == 0);
	}
	CHECK_EQ_INT(roc, 2);
	/* the packet of ROC 1 SEQ 65534, after SEQ 0..5 of ROC 2 */
	CHECK(late_len > 0);
	size_t len = late_len;
	CHECK_EQ_INT(srtp_unprotect(rx, late, &len), SRTP_OK);
	CHECK_EQ_INT(get32(late + 8), 0x01020304);
out:
	srtp_ctx_free(tx);
	srtp_ctx_free(rx);
	rollover_gcm();
}

/* SRTCP with E=0 (authenticated, not encrypted), made by hand: CM (RFC
 * 3711 3.4) and GCM (RFC 7714 9.2, all of the packet is AAD). */
static void test_srtcp_unencrypted(void)
{
	uint8_t key[16], salt[14], auth[20], p[128], q[128];
	for (int i = 0; i < 20; i++)
		auth[i] = (uint8_t)(0x51 * i + 7);
	memcpy(key, auth + 2, 16);
	memcpy(salt, auth + 1, 14);

	/* CM: header | plain | 0||index | tag(HMAC over all before it) */
	struct srtp_ctx *rx =
	        session_ctx(SRTP_AES_CM_128_HMAC_SHA1_80, key, salt, auth);
	CHECK(rx != NULL);
	size_t n = mk_rtcp(q, 0xabcdef01, 6);
	memcpy(p, q, n);
	put32(p + n, 77);
	uint8_t mac[20];
	unsigned ml = 0;
	HMAC(EVP_sha1(), auth, 20, p, n + 4, mac, &ml);
	memcpy(p + n + 4, mac, 10);
	size_t len = n + 14;
	if (rx) {
		p[9] ^= 1;
		CHECK_EQ_INT(srtcp_unprotect(rx, p, &len), SRTP_ERR_AUTH);
		p[9] ^= 1;
		CHECK_EQ_INT(srtcp_unprotect(rx, p, &len), SRTP_OK);
		CHECK_EQ_INT(len, n);
		CHECK(memcmp(p, q, n) == 0);
		len = n + 14;
		memcpy(p, q, n);
		CHECK_EQ_INT(srtcp_unprotect(rx, p, &len), SRTP_ERR_REPLAY);
	}
	srtp_ctx_free(rx);

	/* GCM: header | plain | tag | 0||index, AAD = header..plain||0||index
	 */
	rx = session_ctx(SRTP_AEAD_AES128_GCM, key, salt, NULL);
	CHECK(rx != NULL);
	uint8_t iv[12], tag[16];
	memcpy(iv, salt, 12);
	for (int i = 0; i < 4; i++)
		iv[2 + i] ^= q[4 + i];
	iv[11] ^= 77;
	memcpy(p, q, n);
	put32(p + n + 16, 77);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0;
	EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv);
	EVP_EncryptUpdate(c, NULL, &outl, p, (int)n);
	EVP_EncryptUpdate(c, NULL, &outl, p + n + 16, 4);
	EVP_EncryptFinal_ex(c, tag, &outl);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(c);
	memcpy(p + n, tag, 16);
	len = n + 20;
	if (rx) {
		p[n + 19] ^= 2; /* another index */
		CHECK_EQ_INT(srtcp_unprotect(rx, p, &len), SRTP_ERR_AUTH);
		p[n + 19] ^= 2;
		CHECK_EQ_INT(srtcp_unprotect(rx, p, &len), SRTP_OK);
		CHECK_EQ_INT(len, n);
		CHECK(memcmp(p, q, n) == 0);
	}
	srtp_ctx_free(rx);
}

/* MKI: appended after the payload (CM: before the tag, GCM: after it),
 * checked by unprotect; a wrong MKI is an authentication failure. */
static void test_mki(void)
{
	static const uint8_t mki[4] = {0xde, 0xad, 0xbe, 0xef};
	static const uint8_t other[4] = {0xde, 0xad, 0xbe, 0xee};
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++) {
		const struct srtp_suite_info *si = srtp_suite_info(s);
		uint8_t ks[SRTP_MAX_KEY_SALT], p[256], q[256];
		key_for(s, ks, 5);
		struct srtp_ctx *tx = srtp_ctx_new(s, ks, mki, 4);
		struct srtp_ctx *rx = srtp_ctx_new(s, ks, mki, 4);
		struct srtp_ctx *rx2 = srtp_ctx_new(s, ks, other, 4);
		struct srtp_ctx *rx0 = srtp_ctx_new(s, ks, NULL, 0);
		CHECK(tx && rx && rx2 && rx0);
		if (!tx || !rx || !rx2 || !rx0)
			goto next;
		for (int rtcp = 0; rtcp <= 1; rtcp++) {
			size_t n = rtcp ? mk_rtcp(q, 7, 10)
			                : mk_rtp(q, 100, 7, 2, 1, 40);
			size_t len = n;
			memcpy(p, q, n);
			CHECK_EQ_INT(prot(tx, rtcp, p, &len, sizeof(p)),
			             SRTP_OK);
			size_t tag = rtcp ? si->rtcp_tag : si->tag_len;
			CHECK_EQ_INT(len, n + 4 + tag + (rtcp ? 4u : 0u));
			size_t at = si->aead ? len - 4 : len - tag - 4;
			CHECK(memcmp(p + at, mki, 4) == 0);
			uint8_t c[256];
			size_t l2 = len;
			memcpy(c, p, len);
			CHECK_EQ_INT(unprot(rx2, rtcp, c, &l2), SRTP_ERR_AUTH);
			l2 = len;
			CHECK_EQ_INT(unprot(rx0, rtcp, c, &l2), SRTP_ERR_AUTH);
			l2 = len;
			CHECK_EQ_INT(unprot(rx, rtcp, c, &l2), SRTP_OK);
			CHECK_EQ_INT(l2, n);
			CHECK(memcmp(c, q, n) == 0);
		}
	next:
		srtp_ctx_free(tx);
		srtp_ctx_free(rx);
		srtp_ctx_free(rx2);
		srtp_ctx_free(rx0);
	}
	/* the CM layout byte for byte, with the reference */
	uint8_t key[16], salt[14], auth[20], p[128], r[128];
	for (int i = 0; i < 20; i++)
		auth[i] = (uint8_t)(i * 3);
	memcpy(key, auth, 16);
	memcpy(salt, auth + 6, 14);
	struct srtp_ctx *tx =
	        session_ctx(SRTP_AES_CM_128_HMAC_SHA1_80, key, salt, auth);
	CHECK(tx != NULL);
	if (tx) {
		size_t n = mk_rtp(p, 9, 0x55, 1, 2, 33), len = n;
		memcpy(r, p, n);
		CHECK_EQ_INT(srtp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
		size_t rl =
		        ref_cm_rtp(key, salt, auth, NULL, 0, 10, 0, r, n, 28);
		CHECK_EQ_INT(rl, len);
		CHECK(memcmp(p, r, len) == 0);
	}
	srtp_ctx_free(tx);
}

/* ---- per-suite behaviour ---- */

/* Every single-bit corruption of a protected packet is refused, leaves the
 * packet as it came, and changes nothing: the packet then passes. */
static void tamper(enum srtp_suite s, bool rtcp, int ext)
{
	uint8_t ks[SRTP_MAX_KEY_SALT], p[256], q[256], c[256];
	key_for(s, ks, 9);
	struct srtp_ctx *tx = srtp_ctx_new(s, ks, NULL, 0);
	struct srtp_ctx *rx = srtp_ctx_new(s, ks, NULL, 0);
	CHECK(tx && rx);
	if (!tx || !rx)
		goto out;
	size_t n =
	        rtcp ? mk_rtcp(q, 0x99, 7) : mk_rtp(q, 4242, 0x99, 1, ext, 30);
	size_t len = n;
	memcpy(p, q, n);
	CHECK_EQ_INT(prot(tx, rtcp, p, &len, sizeof(p)), SRTP_OK);
	size_t hlen = rtcp ? 8 : 16 + (ext >= 0 ? 4 + 4 * (size_t)ext : 0);
	CHECK(memcmp(p, q, hlen) == 0); /* header in the clear */
	CHECK(memcmp(p + hlen, q + hlen, n - hlen) != 0);
	int bad = 0;
	for (size_t i = 0; i < len; i++) {
		for (int b = 0; b < 8; b++) {
			memcpy(c, p, len);
			c[i] ^= (uint8_t)(1 << b);
			uint8_t keep[256];
			memcpy(keep, c, len);
			size_t l2 = len;
			enum srtp_result r = unprot(rx, rtcp, c, &l2);
			/* CC, X and the extension's length change where the
			 * header ends: MALFORMED when that is past the end */
			bool may_malform =
			        !rtcp && (i == 0 || i == 18 || i == 19);
			if (r != SRTP_ERR_AUTH &&
			    !(may_malform && r == SRTP_ERR_MALFORMED)) {
				if (bad++ < 5)
					fprintf(stderr,
					        "%s rtcp=%d byte %zu bit %d: "
					        "%s\n",
					        srtp_suite_info(s)->name, rtcp,
					        i, b, srtp_result_str(r));
			}
			if (l2 != len || memcmp(c, keep, len) != 0)
				bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	size_t l2 = len;
	memcpy(c, p, len);
	CHECK_EQ_INT(unprot(rx, rtcp, c, &l2), SRTP_OK);
	CHECK_EQ_INT(l2, n);
	CHECK(memcmp(c, q, n) == 0);
out:
	srtp_ctx_free(tx);
	srtp_ctx_free(rx);
}

static void test_tamper(void)
{
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++) {
		tamper(s, false, -1);
		tamper(s, false, 1);
		tamper(s, true, -1);
	}
}

/* Replay: the same packet twice; older than the window; out of order
 * within the window accepted once; a failed packet moves nothing. */
static void replay(enum srtp_suite s, bool rtcp)
{
	uint8_t ks[SRTP_MAX_KEY_SALT];
	key_for(s, ks, 1);
	struct srtp_ctx *tx = srtp_ctx_new(s, ks, NULL, 0);
	struct srtp_ctx *rx = srtp_ctx_new(s, ks, NULL, 0);
	enum { N = 400 };
	static uint8_t pk[N][128];
	static size_t pl[N];
	CHECK(tx && rx);
	if (!tx || !rx)
		goto out;
	for (int i = 0; i < N; i++) {
		/* RTP seq 1000+i; RTCP index i+1 */
		pl[i] = rtcp ? mk_rtcp(pk[i], 0x1234, 5)
		             : mk_rtp(pk[i], (uint16_t)(1000 + i), 0x1234, 0,
		                      -1, 40);
		CHECK_EQ_INT(prot(tx, rtcp, pk[i], &pl[i], 128), SRTP_OK);
	}
	uint8_t c[128];
	size_t l;
#define TRY(i, want)                                                           \
	do {                                                                   \
		memcpy(c, pk[i], pl[i]);                                       \
		l = pl[i];                                                     \
		CHECK_EQ_INT(unprot(rx, rtcp, c, &l), want);                   \
	} while (0)
	TRY(200, SRTP_OK);
	TRY(200, SRTP_ERR_REPLAY);
	/* out of order within the window: each once */
	TRY(199, SRTP_OK);
	TRY(150, SRTP_OK);
	TRY(73, SRTP_OK);         /* 127 behind: the window's far edge */
	TRY(72, SRTP_ERR_REPLAY); /* 128 behind: too old */
	TRY(10, SRTP_ERR_REPLAY);
	TRY(150, SRTP_ERR_REPLAY);
	TRY(199, SRTP_ERR_REPLAY);
	TRY(73, SRTP_ERR_REPLAY);
	/* ahead by more than the window: all of it forgotten but itself */
	TRY(390, SRTP_OK);
	TRY(201, SRTP_ERR_REPLAY);
	TRY(263, SRTP_OK);
	TRY(262, SRTP_ERR_REPLAY);
	TRY(389, SRTP_OK);
	TRY(391, SRTP_OK);
	/* a failing packet far ahead does not move the window */
	memcpy(c, pk[N - 1], pl[N - 1]);
	c[pl[N - 1] - 1] ^= 0x40;
	l = pl[N - 1];
	CHECK_EQ_INT(unprot(rx, rtcp, c, &l), SRTP_ERR_AUTH);
	TRY(300, SRTP_OK); /* 91 behind 391: still inside */
	TRY(N - 1, SRTP_OK);
	TRY(N - 1, SRTP_ERR_REPLAY);
#undef TRY
out:
	srtp_ctx_free(tx);
	srtp_ctx_free(rx);
}

static void test_replay(void)
{
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++) {
		replay(s, false);
		replay(s, true);
	}
	/* the sender does not reuse an index either */
	uint8_t ks[SRTP_MAX_KEY_SALT] = {1}, p[128];
	struct srtp_ctx *tx =
	        srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, ks, NULL, 0);
	CHECK(tx != NULL);
	if (tx) {
		size_t len = mk_rtp(p, 7, 1, 0, -1, 10);
		CHECK_EQ_INT(srtp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
		len = mk_rtp(p, 7, 1, 0, -1, 10);
		CHECK_EQ_INT(srtp_protect(tx, p, &len, sizeof(p)),
		             SRTP_ERR_REPLAY);
		len = mk_rtp(p, 6, 1, 0, -1, 10);
		CHECK_EQ_INT(srtp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
		/* SRTCP index per SSRC: 1, 2, 3 for one, 1 for another */
		for (uint32_t i = 1; i <= 3; i++) {
			len = mk_rtcp(p, 0xaaaa, 2);
			CHECK_EQ_INT(srtcp_protect(tx, p, &len, sizeof(p)),
			             SRTP_OK);
			CHECK_EQ_INT(get32(p + len - 14), 0x80000000u | i);
		}
		len = mk_rtcp(p, 0xbbbb, 2);
		CHECK_EQ_INT(srtcp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
		CHECK_EQ_INT(get32(p + len - 14), 0x80000001u);
	}
	srtp_ctx_free(tx);
}

/* Runs f on an exact-size heap copy of p (ASan sees any over-read). */
static enum srtp_result exact(struct srtp_ctx *c, bool rtcp, bool protect,
                              const uint8_t *p, size_t n, size_t cap)
{
	uint8_t *h = malloc(cap ? cap : 1);
	if (!h)
		return SRTP_ERR_INTERNAL;
	if (n)
		memcpy(h, p, n);
	size_t len = n;
	enum srtp_result r = protect ? prot(c, rtcp, h, &len, cap)
	                             : unprot(c, rtcp, h, &len);
	free(h);
	return r;
}

static void malformed(enum srtp_suite s)
{
	const struct srtp_suite_info *si = srtp_suite_info(s);
	uint8_t ks[SRTP_MAX_KEY_SALT], p[2048];
	key_for(s, ks, 3);
	struct srtp_ctx *c = srtp_ctx_new(s, ks, NULL, 0);
	CHECK(c != NULL);
	if (!c)
		return;
	size_t tag = si->tag_len, rtag = si->rtcp_tag;
	uint16_t seq = 0; /* a new one for each protect expected to pass */
	memset(p, 0, sizeof(p));
	p[0] = 0x80;
	/* 0..11 bytes: no RTP header; 0..7: no RTCP header */
	for (size_t n = 0; n < 12; n++) {
		CHECK_EQ_INT(exact(c, false, true, p, n, n + 64),
		             SRTP_ERR_MALFORMED);
		CHECK_EQ_INT(exact(c, false, false, p, n, n),
		             SRTP_ERR_MALFORMED);
	}
	for (size_t n = 0; n < 8; n++)
		CHECK_EQ_INT(exact(c, true, true, p, n, n + 64),
		             SRTP_ERR_MALFORMED);
	/* unprotect: shorter than header + trailer */
	for (size_t n = 0; n < 12 + tag; n++)
		CHECK_EQ_INT(exact(c, false, false, p, n, n),
		             SRTP_ERR_MALFORMED);
	for (size_t n = 0; n < 8 + 4 + rtag; n++)
		CHECK_EQ_INT(exact(c, true, false, p, n, n),
		             SRTP_ERR_MALFORMED);
	/* 12 bytes exactly: an empty payload protects */
	put16(p + 2, ++seq);
	CHECK_EQ_INT(exact(c, false, true, p, 12, 12 + tag), SRTP_OK);
	/* CSRC count beyond the length */
	for (unsigned cc = 1; cc <= 15; cc++) {
		p[0] = (uint8_t)(0x80 | cc);
		for (size_t n = 12; n < 12 + 4 * cc; n++) {
			CHECK_EQ_INT(exact(c, false, true, p, n, n + 64),
			             SRTP_ERR_MALFORMED);
			CHECK_EQ_INT(
			        exact(c, false, false, p, n + tag, n + tag),
			        SRTP_ERR_MALFORMED);
		}
		put16(p + 2, ++seq);
		CHECK_EQ_INT(exact(c, false, true, p, 12 + 4 * cc,
		                   12 + 4 * cc + tag),
		             SRTP_OK);
	}
	/* extension header or its length beyond the packet */
	p[0] = 0x92; /* X, two CSRCs */
	memset(p + 20, 0, 4);
	for (size_t n = 20; n < 24; n++) {
		CHECK_EQ_INT(exact(c, false, true, p, n, n + 64),
		             SRTP_ERR_MALFORMED);
		CHECK_EQ_INT(exact(c, false, false, p, n + tag, n + tag),
		             SRTP_ERR_MALFORMED);
	}
	for (unsigned words = 1; words < 300; words += 37) {
		put16(p + 22, (uint16_t)words);
		size_t full = 24 + 4 * (size_t)words;
		for (size_t n = 24; n < full; n += 3) {
			CHECK_EQ_INT(exact(c, false, true, p, n, n + 64),
			             SRTP_ERR_MALFORMED);
			CHECK_EQ_INT(
			        exact(c, false, false, p, n + tag, n + tag),
			        SRTP_ERR_MALFORMED);
		}
		put16(p + 2, ++seq);
		CHECK_EQ_INT(exact(c, false, true, p, full, full + tag),
		             SRTP_OK);
	}
	put16(p + 22, 0xffff);
	CHECK_EQ_INT(exact(c, false, true, p, 500, 512), SRTP_ERR_MALFORMED);
	CHECK_EQ_INT(exact(c, false, false, p, 500, 500), SRTP_ERR_MALFORMED);
	srtp_ctx_free(c);
}

/* Truncations of a good packet: never OK, never past the end. */
static void truncations(enum srtp_suite s)
{
	uint8_t ks[SRTP_MAX_KEY_SALT], p[256];
	key_for(s, ks, 4);
	struct srtp_ctx *tx = srtp_ctx_new(s, ks, NULL, 0);
	struct srtp_ctx *rx = srtp_ctx_new(s, ks, NULL, 0);
	CHECK(tx && rx);
	if (!tx || !rx)
		goto out;
	for (int rtcp = 0; rtcp <= 1; rtcp++) {
		size_t len =
		        rtcp ? mk_rtcp(p, 3, 9) : mk_rtp(p, 3, 3, 2, 2, 50);
		CHECK_EQ_INT(prot(tx, rtcp, p, &len, sizeof(p)), SRTP_OK);
		int bad = 0;
		for (size_t n = 0; n < len; n++) {
			enum srtp_result r = exact(rx, rtcp, false, p, n, n);
			if (r != SRTP_ERR_AUTH && r != SRTP_ERR_MALFORMED)
				bad++;
		}
		CHECK_EQ_INT(bad, 0);
		CHECK_EQ_INT(exact(rx, rtcp, false, p, len, len), SRTP_OK);
	}
out:
	srtp_ctx_free(tx);
	srtp_ctx_free(rx);
}

/* Protect with too little room: SPACE, and nothing written or changed. */
static void space(enum srtp_suite s)
{
	const struct srtp_suite_info *si = srtp_suite_info(s);
	uint8_t ks[SRTP_MAX_KEY_SALT], q[128];
	static const uint8_t mki[3] = {1, 2, 3};
	key_for(s, ks, 6);
	struct srtp_ctx *tx = srtp_ctx_new(s, ks, mki, 3);
	CHECK(tx != NULL);
	if (!tx)
		return;
	for (int rtcp = 0; rtcp <= 1; rtcp++) {
		size_t n = rtcp ? mk_rtcp(q, 5, 4) : mk_rtp(q, 5, 5, 0, -1, 20);
		size_t need = n + 3 + (rtcp ? 4u + si->rtcp_tag : si->tag_len);
		for (size_t cap = 0; cap < need; cap++) {
			uint8_t *h = malloc(cap > n ? cap : n);
			if (!h)
				continue;
			memcpy(h, q, n);
			size_t len = n;
			CHECK_EQ_INT(prot(tx, rtcp, h, &len, cap),
			             SRTP_ERR_SPACE);
			CHECK_EQ_INT(len, n);
			CHECK(memcmp(h, q, n) == 0);
			free(h);
		}
		/* at the exact size it fits; the refusals used no SRTCP
		 * index: the first packet that passes has index 1 */
		uint8_t p[128];
		size_t len = n;
		memcpy(p, q, n);
		CHECK_EQ_INT(prot(tx, rtcp, p, &len, need), SRTP_OK);
		CHECK_EQ_INT(len, need);
		if (rtcp) {
			size_t at = si->aead ? len - 3 - 4
			                     : len - si->rtcp_tag - 3 - 4;
			CHECK_EQ_INT(get32(p + at), 0x80000001u);
		}
	}
	srtp_ctx_free(tx);
}

static void test_malformed(void)
{
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++) {
		malformed(s);
		truncations(s);
		space(s);
	}
}

/* Header extension, CSRCs and padding: the header stays clear, the
 * payload (with its padding) is encrypted; all of it round-trips. */
static void test_layout(void)
{
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++) {
		uint8_t ks[SRTP_MAX_KEY_SALT], p[512], q[512];
		key_for(s, ks, 2);
		struct srtp_ctx *tx = srtp_ctx_new(s, ks, NULL, 0);
		struct srtp_ctx *rx = srtp_ctx_new(s, ks, NULL, 0);
		CHECK(tx && rx);
		if (!tx || !rx)
			goto next;
		for (unsigned cc = 0; cc <= 15; cc += 5) {
			for (int ext = -1; ext <= 3; ext += 2) {
				size_t n =
				        mk_rtp(q, (uint16_t)(cc * 8 + 4 + ext),
				               0x77, cc, ext, 24);
				q[0] |= 0x20; /* padding: last octet is 4 */
				q[n - 1] = 4;
				size_t h = 12 + 4 * cc +
				           (ext >= 0 ? 4 + 4 * (size_t)ext : 0);
				size_t len = n;
				memcpy(p, q, n);
				CHECK_EQ_INT(
				        srtp_protect(tx, p, &len, sizeof(p)),
				        SRTP_OK);
				CHECK(memcmp(p, q, h) == 0);
				CHECK(memcmp(p + n - 4, q + n - 4, 4) != 0);
				CHECK_EQ_INT(srtp_unprotect(rx, p, &len),
				             SRTP_OK);
				CHECK_EQ_INT(len, n);
				CHECK(memcmp(p, q, n) == 0);
			}
		}
	next:
		srtp_ctx_free(tx);
		srtp_ctx_free(rx);
	}
}

/* More SSRCs than SRTP_MAX_STREAMS: each works; a new one takes the slot
 * used least recently (its replay state is then gone); a failing packet
 * of a new SSRC takes no slot. */
static void test_streams(void)
{
	uint8_t ks[SRTP_MAX_KEY_SALT];
	key_for(SRTP_AES_CM_128_HMAC_SHA1_80, ks, 8);
	struct srtp_ctx *tx =
	        srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, ks, NULL, 0);
	struct srtp_ctx *rx =
	        srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, ks, NULL, 0);
	enum { M = SRTP_MAX_STREAMS + 3 };
	uint8_t pk[M][3][96];
	size_t pl[M][3];
	CHECK(tx && rx);
	if (!tx || !rx)
		goto out;
	for (int k = 0; k < M; k++)
		for (int j = 0; j < 3; j++) {
			pl[k][j] = mk_rtp(pk[k][j], (uint16_t)(100 * k + j),
			                  0x5000u + (uint32_t)k, 0, -1, 20);
			CHECK_EQ_INT(srtp_protect(tx, pk[k][j], &pl[k][j], 96),
			             SRTP_OK);
		}
	uint8_t c[96];
	size_t l;
#define TRY(k, j, want)                                                        \
	do {                                                                   \
		memcpy(c, pk[k][j], pl[k][j]);                                 \
		l = pl[k][j];                                                  \
		CHECK_EQ_INT(srtp_unprotect(rx, c, &l), want);                 \
	} while (0)
	for (int k = 0; k < SRTP_MAX_STREAMS; k++)
		TRY(k, 0, SRTP_OK);
	for (int k = 0; k < SRTP_MAX_STREAMS; k++)
		TRY(k, 0, SRTP_ERR_REPLAY);
	/* a tampered packet of a new SSRC evicts nobody */
	memcpy(c, pk[SRTP_MAX_STREAMS][0], pl[SRTP_MAX_STREAMS][0]);
	c[20] ^= 1;
	l = pl[SRTP_MAX_STREAMS][0];
	CHECK_EQ_INT(srtp_unprotect(rx, c, &l), SRTP_ERR_AUTH);
	for (int k = 0; k < SRTP_MAX_STREAMS; k++)
		TRY(k, 0, SRTP_ERR_REPLAY);
	/* stream 0 used again: stream 1 is now the least recent */
	TRY(0, 1, SRTP_OK);
	TRY(SRTP_MAX_STREAMS, 0, SRTP_OK);
	TRY(1, 0, SRTP_OK); /* forgotten: taken as new (evicting 2) */
	TRY(0, 0, SRTP_ERR_REPLAY);
	TRY(0, 1, SRTP_ERR_REPLAY);
	TRY(SRTP_MAX_STREAMS, 0, SRTP_ERR_REPLAY);
	TRY(2, 0, SRTP_OK); /* forgotten too */
	for (int k = SRTP_MAX_STREAMS + 1; k < M; k++) {
		TRY(k, 0, SRTP_OK);
		TRY(k, 2, SRTP_OK);
		TRY(k, 1, SRTP_OK);
		TRY(k, 1, SRTP_ERR_REPLAY);
	}
#undef TRY
	/* the sender too: each SSRC's own ROC and SRTCP index */
	for (int k = 0; k < M; k++) {
		uint8_t p[96];
		size_t len = mk_rtcp(p, 0x5000u + (uint32_t)k, 3);
		CHECK_EQ_INT(srtcp_protect(tx, p, &len, sizeof(p)), SRTP_OK);
		len -= 14;
		CHECK_EQ_INT(get32(p + len), 0x80000001u);
	}
out:
	srtp_ctx_free(tx);
	srtp_ctx_free(rx);
}

/* Per packet nothing is allocated (by OpenSSL: our own code has no
 * allocation on the path at all). */
static void test_no_alloc(void)
{
	if (!mem_hooked) {
		printf("(CRYPTO_set_mem_functions refused: not counted)\n");
		return;
	}
	for (unsigned s = 0; s < SRTP_SUITE_COUNT; s++) {
		uint8_t ks[SRTP_MAX_KEY_SALT], p[256];
		key_for(s, ks, 11);
		long setup = ossl_allocs;
		struct srtp_ctx *tx = srtp_ctx_new(s, ks, NULL, 0);
		struct srtp_ctx *rx = srtp_ctx_new(s, ks, NULL, 0);
		CHECK(ossl_allocs > setup); /* the counter does count */
		CHECK(tx && rx);
		if (!tx || !rx)
			goto next;
		long before = ossl_allocs;
		for (int i = 0; i < 200; i++) {
			size_t len = mk_rtp(p, (uint16_t)i, 9, 0, -1, 160);
			CHECK_EQ_INT(srtp_protect(tx, p, &len, sizeof(p)),
			             SRTP_OK);
			p[30] ^= (uint8_t)(i & 1); /* every other one fails */
			CHECK_EQ_INT(srtp_unprotect(rx, p, &len),
			             (i & 1) ? SRTP_ERR_AUTH : SRTP_OK);
			len = mk_rtcp(p, 9, 20);
			CHECK_EQ_INT(srtcp_protect(tx, p, &len, sizeof(p)),
			             SRTP_OK);
			CHECK_EQ_INT(srtcp_unprotect(rx, p, &len), SRTP_OK);
		}
		CHECK_EQ_INT(ossl_allocs - before, 0);
	next:
		srtp_ctx_free(tx);
		srtp_ctx_free(rx);
	}
}

int main(void)
{
	/* before anything of OpenSSL's allocates */
	mem_hooked = CRYPTO_set_mem_functions(count_malloc, count_realloc,
	                                      count_free) == 1;
	RUN(test_names);
	RUN(test_bad_args);
	RUN(test_selftest);
	RUN(test_rfc3711_b3);
	RUN(test_rfc3711_b2);
	RUN(test_rfc6188_kdf);
	RUN(test_libsrtp_reference);
	RUN(test_rfc7714);
	RUN(test_rollover);
	RUN(test_srtcp_unencrypted);
	RUN(test_mki);
	RUN(test_tamper);
	RUN(test_replay);
	RUN(test_malformed);
	RUN(test_layout);
	RUN(test_streams);
	RUN(test_no_alloc);
	return test_summary();
}
