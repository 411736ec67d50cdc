/* fuzz_media.c: libFuzzer target for what the media relay reads from the
 * network: STUN messages (src/media/stun.c) and SRTP/SRTCP packets
 * (src/media/srtp.c). The first input byte picks the path, the rest is the
 * packet, copied into an exactly-sized heap buffer (and for SRTP into a
 * buffer with room, as the relay has):
 *   0: stun_is_msg, stun_parse, stun_check_request with a fixed ufrag/pwd,
 *      and a binding success built for a parsed request (must fit);
 *   1: srtp_unprotect, AES_CM_128_HMAC_SHA1_80; 2: the same, AES-GCM;
 *   3: srtcp_unprotect, AES_CM_128_HMAC_SHA1_80; 4: the same, AES-GCM;
 *   5: round trip: srtp_protect then srtp_unprotect under the same key
 *      must give the packet back, byte for byte (RTP-shaped inputs only:
 *      what protect refuses as malformed is skipped).
 * A failing unprotect must leave the length unchanged; a succeeding one
 * may only shrink it. abort() on a violation.
 */
#include "media/srtp.h"
#include "media/stun.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key_cm[30] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                   11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                   21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
static const uint8_t key_gcm[28] = {31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
                                    41, 42, 43, 44, 45, 46, 47, 48, 49, 50,
                                    51, 52, 53, 54, 55, 56, 57, 58};

static struct srtp_ctx *ctx_rx_cm, *ctx_rx_gcm, *ctx_tx_rt, *ctx_rx_rt;

static void setup(void)
{
	if (ctx_rx_cm)
		return;
	ctx_rx_cm = srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, key_cm, NULL, 0);
	ctx_rx_gcm = srtp_ctx_new(SRTP_AEAD_AES128_GCM, key_gcm, NULL, 0);
	ctx_tx_rt = srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, key_cm, NULL, 0);
	ctx_rx_rt = srtp_ctx_new(SRTP_AES_CM_128_HMAC_SHA1_80, key_cm, NULL, 0);
	if (!ctx_rx_cm || !ctx_rx_gcm || !ctx_tx_rt || !ctx_rx_rt)
		abort();
}

static void fuzz_stun(const uint8_t *p, size_t n)
{
	struct stun_msg m;
	(void)stun_is_msg(p, n);
	if (stun_parse(p, n, &m) == STUN_OK) {
		(void)stun_fingerprint_ok(p, n, &m);
		(void)stun_integrity_ok(p, n, &m, (const uint8_t *)"pw", 2);
	}
	if (stun_check_request(p, n, "evtj", "VOkJxbRl1RmTxUk/WvJxBt", &m) ==
	    STUN_OK) {
		uint8_t out[STUN_MAX_RESPONSE];
		struct sockaddr_in sin;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(4000);
		sin.sin_addr.s_addr = htonl(0x7f000001);
		if (!stun_binding_success(
		            out, sizeof(out), m.tid,
		            (const struct sockaddr *)&sin,
		            (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBt", 22))
			abort();
	}
}

static void fuzz_unprotect(const uint8_t *p, size_t n, int which)
{
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return;
	memcpy(buf, p, n);
	size_t len = n;
	struct srtp_ctx *ctx =
	        which == 1 || which == 3 ? ctx_rx_cm : ctx_rx_gcm;
	enum srtp_result r = which <= 2 ? srtp_unprotect(ctx, buf, &len)
	                                : srtcp_unprotect(ctx, buf, &len);
	if (r != SRTP_OK && len != n)
		abort();
	if (r == SRTP_OK && len > n)
		abort();
	free(buf);
}

static void fuzz_round_trip(const uint8_t *p, size_t n)
{
	size_t cap = n + SRTP_MAX_TRAILER;
	uint8_t *buf = malloc(cap), *orig = malloc(n ? n : 1);
	if (!buf || !orig) {
		free(buf);
		free(orig);
		return;
	}
	memcpy(buf, p, n);
	memcpy(orig, p, n);
	size_t len = n;
	if (srtp_protect(ctx_tx_rt, buf, &len, cap) == SRTP_OK) {
		if (len < n || len > cap)
			abort();
		if (srtp_unprotect(ctx_rx_rt, buf, &len) != SRTP_OK ||
		    len != n || memcmp(buf, orig, n))
			abort();
	}
	free(buf);
	free(orig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	setup();
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return 0;
	memcpy(copy, p, n);
	switch (data[0] % 6) {
	case 0:
		fuzz_stun(copy, n);
		break;
	case 5:
		fuzz_round_trip(copy, n);
		break;
	default:
		fuzz_unprotect(copy, n, data[0] % 6);
		break;
	}
	free(copy);
	return 0;
}
