/* srtp.h: the SRTP/SRTCP transform (RFC 3711; AES-192/256-CM per RFC 6188;
 * AEAD AES-GCM per RFC 7714) on OpenSSL 3 EVP primitives. No cipher is
 * written here: AES-CTR, AES-GCM and HMAC-SHA1 are OpenSSL's; this file
 * does the key derivation, the IVs, the packet index (ROC), the replay
 * window and the tags.
 *
 * A context is one direction (protect or unprotect) under one master key.
 * Session keys are derived once, when the context is made (no key
 * derivation rate), and the EVP contexts are set up then too: per packet
 * nothing is allocated and no key schedule is recomputed. A context keeps
 * per-SSRC state (ROC, highest sequence, replay window, SRTCP index) for
 * up to SRTP_MAX_STREAMS SSRCs; a new SSRC beyond that takes the slot used
 * least recently.
 *
 * Threading: a context belongs to one thread.
 */
#ifndef TB_MEDIA_SRTP_H
#define TB_MEDIA_SRTP_H

#include "base/pl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum srtp_suite {
	SRTP_AES_CM_128_HMAC_SHA1_80 =
	        0, /* RFC 4568; ACS and Genesys default */
	SRTP_AES_CM_128_HMAC_SHA1_32,
	SRTP_AES_192_CM_HMAC_SHA1_80, /* RFC 6188 */
	SRTP_AES_192_CM_HMAC_SHA1_32,
	SRTP_AES_256_CM_HMAC_SHA1_80,
	SRTP_AES_256_CM_HMAC_SHA1_32,
	SRTP_AEAD_AES128_GCM, /* RFC 7714, 16-byte tag (not
	                       * SRTP_AEAD_AES_128_GCM: OpenSSL's ssl.h defines
	                       * that name) */
	SRTP_AEAD_AES256_GCM,
	SRTP_SUITE_COUNT
};

struct srtp_suite_info {
	const char *name; /* SDES name, "AES_CM_128_HMAC_SHA1_80" */
	uint8_t key_len;  /* master key bytes: 16, 24 or 32 */
	uint8_t salt_len; /* master salt bytes: 14 (CM) or 12 (GCM) */
	uint8_t tag_len;  /* SRTP auth tag bytes: 10, 4 or 16 (GCM) */
	uint8_t rtcp_tag; /* SRTCP tag bytes: 10 for every CM suite, 16 GCM */
	bool aead;
};

/* Longest master key + salt (AES-256: 32 + 14). */
#define SRTP_MAX_KEY_SALT 46
#define SRTP_MAX_MKI      16
#define SRTP_MAX_STREAMS  4
/* Most bytes protect adds to a packet: SRTCP index 4, MKI, tag 16. */
#define SRTP_MAX_TRAILER (4 + SRTP_MAX_MKI + 16)
/* Replay window, packets (RFC 3711 3.3.2 asks for at least 64). */
#define SRTP_REPLAY_WINDOW 128

/* Info for a suite; NULL when s is out of range. */
const struct srtp_suite_info *srtp_suite_info(enum srtp_suite s);
/* Suite by SDES name (case-sensitive, as RFC 4568 spells them); also
 * accepts Genesys' spellings "AES_CM_192_HMAC_SHA1_80" etc. false when
 * unknown. */
bool srtp_suite_by_name(struct pl name, enum srtp_suite *out);

enum srtp_result {
	SRTP_OK = 0,
	SRTP_ERR_MALFORMED, /* not an RTP/RTCP packet of a sane length */
	SRTP_ERR_AUTH,      /* tag or MKI mismatch: tampered, or wrong key */
	SRTP_ERR_REPLAY,    /* seen already, or older than the window */
	SRTP_ERR_SPACE,     /* protect: no room for the trailer */
	SRTP_ERR_INTERNAL,  /* OpenSSL failed */
};

struct srtp_ctx;

/* libsrtp2 exports srtp_protect and srtp_unprotect as well: a program that
 * links libsrtp2 beside tbcore (the cross-check tests, rtp_peer, the
 * benchmark) would have its calls to libsrtp2's functions bound to ours.
 * So ours are linked as tb_srtp_protect / tb_srtp_unprotect; a file that
 * includes this header calls them by the names below all the same. A file
 * that includes both headers calls libsrtp2's as srtp_protect_mki /
 * srtp_unprotect_mki (and must include <srtp2/srtp.h> first). */
#define srtp_protect   tb_srtp_protect
#define srtp_unprotect tb_srtp_unprotect

/* A context for suite s with master key||salt (srtp_suite_info(s)
 * ->key_len + salt_len bytes) and an optional MKI (mki_len 0: none; the
 * MKI is appended by protect and checked by unprotect). NULL on bad
 * arguments or out of memory. */
struct srtp_ctx *srtp_ctx_new(enum srtp_suite s, const uint8_t *key_salt,
                              const uint8_t *mki, size_t mki_len);
void srtp_ctx_free(struct srtp_ctx *ctx);
enum srtp_suite srtp_ctx_suite(const struct srtp_ctx *ctx);

/* RTP -> SRTP in place: *len grows by the tag (and MKI); cap is the
 * buffer size. */
enum srtp_result srtp_protect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len,
                              size_t cap);
/* SRTP -> RTP in place: checks tag, replay window; *len shrinks. A packet
 * that fails leaves the stream state unchanged. */
enum srtp_result srtp_unprotect(struct srtp_ctx *ctx, uint8_t *pkt,
                                size_t *len);
/* The same for RTCP (RFC 3711 3.4: E flag + 31-bit SRTCP index, always
 * encrypted and authenticated). */
enum srtp_result srtcp_protect(struct srtp_ctx *ctx, uint8_t *pkt, size_t *len,
                               size_t cap);
enum srtp_result srtcp_unprotect(struct srtp_ctx *ctx, uint8_t *pkt,
                                 size_t *len);

/* Known-answer self-test (RFC 3711 B.2/B.3 key derivation and AES-CM,
 * one protect/unprotect round per suite): 0 when OpenSSL gives the right
 * answers, else -1 with a reason in why (may be NULL). Run at start. */
int srtp_selftest(const char **why);

/* Words for a result ("authentication failed", ...). */
const char *srtp_result_str(enum srtp_result r);

/* The RFC 3711 4.3.3 AES-CM PRF (key derivation rate 0): out_len bytes of
 * AES-CM keystream under master_key (16, 24 or 32 bytes) from the IV
 * (master_salt XOR label at octet 7) * 2^16; a 12-byte (RFC 7714) salt is
 * taken as padded with two zero octets. Labels: 0/1/2 SRTP cipher key,
 * auth key, salt; 3/4/5 the same for SRTCP. 0, or -1 on bad arguments or
 * an OpenSSL failure. */
int srtp_kdf(const uint8_t *master_key, size_t key_len,
             const uint8_t *master_salt, size_t salt_len, uint8_t label,
             uint8_t *out, size_t out_len);

/* A context keyed with session keys directly, no key derivation, no MKI:
 * for known-answer tests whose vectors give session keys (RFC 3711 B.2,
 * RFC 7714 16-17) and for checking against a peer whose key derivation
 * differs. rtp: the SRTP cipher key (key_len bytes), salt (salt_len: 14
 * CM, 12 GCM) and, CM only, the 20-byte auth key, one after the other;
 * rtcp: the same for SRTCP, or NULL for the SRTP ones. */
struct srtp_ctx *srtp_ctx_new_session(enum srtp_suite s, const uint8_t *rtp,
                                      const uint8_t *rtcp);

#endif
