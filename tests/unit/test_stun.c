/* test_stun.c: STUN for the ICE-lite relay (src/media/stun.c). RFC 5769
 * test vectors (2.1 the short-term request, 2.2 and 2.3 the IPv4 and IPv6
 * responses): the request is taken, the responses verify, and our writer
 * reproduces both responses byte for byte; our binding success checked
 * with OpenSSL's HMAC directly; every single-bit corruption and every
 * truncation of the request refused (exact-size heap copies, so the
 * ASan build catches any read past the end); writer overflow at every
 * capacity. */
#include "media/stun.h"
#include "tests/sockaddr.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

static const char *const PWD = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 2.1: sample request (short-term credentials). */
static const uint8_t req[] = {
        0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
        0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
        /* SOFTWARE "STUN test client" */
        0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
        0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
        /* PRIORITY */
        0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
        /* ICE-CONTROLLED */
        0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
        /* USERNAME "evtj:h6vY", padded with spaces */
        0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
        0x59, 0x20, 0x20, 0x20,
        /* MESSAGE-INTEGRITY */
        0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56,
        0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
        /* FINGERPRINT */
        0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};
#define REQ_MI 76  /* offset of MESSAGE-INTEGRITY */
#define REQ_FP 100 /* offset of FINGERPRINT */

/* RFC 5769 2.2: sample IPv4 response (192.0.2.1 port 32853). */
static const uint8_t resp4[] = {
        0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
        0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
        /* SOFTWARE "test vector" (its padding byte is a space) */
        0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
        0x74, 0x6f, 0x72, 0x20,
        /* XOR-MAPPED-ADDRESS */
        0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
        /* MESSAGE-INTEGRITY */
        0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
        0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
        /* FINGERPRINT */
        0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

/* RFC 5769 2.3: sample IPv6 response
 * (2001:db8:1234:5678:11:2233:4455:6677 port 32853). */
static const uint8_t resp6[] = {
        0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
        0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
        /* SOFTWARE */
        0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
        0x74, 0x6f, 0x72, 0x20,
        /* XOR-MAPPED-ADDRESS */
        0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
        0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
        /* MESSAGE-INTEGRITY */
        0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
        0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
        /* FINGERPRINT */
        0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

/* The check on an exact-size heap copy (ASan sees any overread). */
static enum stun_err check_copy(const uint8_t *p, size_t n, const char *ufrag,
                                const char *pwd)
{
	struct stun_msg m;
	uint8_t *c = malloc(n ? n : 1);
	if (!c)
		return STUN_ERR_MALFORMED;
	if (n)
		memcpy(c, p, n);
	enum stun_err r = stun_check_request(c, n, ufrag, pwd, &m);
	/* the pieces alone must not read past the end either */
	(void)stun_is_msg(c, n);
	if (stun_parse(c, n, &m) == STUN_OK) {
		(void)stun_integrity_ok(c, n, &m, (const uint8_t *)pwd,
		                        strlen(pwd));
		(void)stun_fingerprint_ok(c, n, &m);
	}
	free(c);
	return r;
}

static void test_crc32(void)
{
	CHECK_EQ_INT(stun_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
	CHECK_EQ_INT(stun_crc32(NULL, 0), 0);
}

static void test_rfc5769_request(void)
{
	struct stun_msg m;

	CHECK(stun_is_msg(req, sizeof(req)));
	CHECK_EQ_INT(stun_parse(req, sizeof(req), &m), STUN_OK);
	CHECK_EQ_INT(m.type, STUN_BINDING_REQUEST);
	CHECK_EQ_INT(m.len, 0x58);
	CHECK(m.tid == req + 8);
	CHECK(m.username != NULL);
	CHECK_EQ_INT(m.username_len, 9);
	CHECK(m.username && !memcmp(m.username, "evtj:h6vY", 9));
	CHECK(m.has_priority);
	CHECK_EQ_INT(m.priority, 0x6e0001ffu);
	CHECK(m.ice_controlled);
	CHECK(!m.ice_controlling);
	CHECK(!m.use_candidate);
	CHECK(m.tiebreaker == 0x932ff9b151263b36ull);
	CHECK_EQ_INT(m.integrity_off, REQ_MI);
	CHECK_EQ_INT(m.fingerprint_off, REQ_FP);
	CHECK_EQ_INT(m.unknown, 0);
	CHECK(stun_integrity_ok(req, sizeof(req), &m, (const uint8_t *)PWD,
	                        strlen(PWD)));
	CHECK(!stun_integrity_ok(req, sizeof(req), &m,
	                         (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBu",
	                         strlen(PWD)));
	CHECK(stun_fingerprint_ok(req, sizeof(req), &m));

	/* as the ICE-lite check sees it: our ufrag is "evtj" */
	CHECK_EQ_INT(stun_check_request(req, sizeof(req), "evtj", PWD, &m),
	             STUN_OK);
	CHECK_EQ_INT(stun_check_request(req, sizeof(req), "h6vY", PWD, &m),
	             STUN_ERR_USERNAME);
	CHECK_EQ_INT(stun_check_request(req, sizeof(req), "evt", PWD, &m),
	             STUN_ERR_USERNAME);
	CHECK_EQ_INT(stun_check_request(req, sizeof(req), "evtj:h6vY", PWD, &m),
	             STUN_ERR_USERNAME);
	CHECK_EQ_INT(stun_check_request(req, sizeof(req), "", PWD, &m),
	             STUN_ERR_USERNAME);
	CHECK_EQ_INT(stun_check_request(req, sizeof(req), NULL, PWD, &m),
	             STUN_ERR_USERNAME);
	CHECK_EQ_INT(stun_check_request(req, sizeof(req), "evtj", "wrong", &m),
	             STUN_ERR_INTEGRITY);
	CHECK_EQ_INT(stun_check_request(req, sizeof(req), "evtj", NULL, &m),
	             STUN_ERR_INTEGRITY);

	/* without FINGERPRINT (optional here): still taken */
	uint8_t nofp[REQ_FP];
	memcpy(nofp, req, REQ_FP);
	nofp[3] = (uint8_t)(REQ_FP - 20);
	CHECK_EQ_INT(stun_check_request(nofp, sizeof(nofp), "evtj", PWD, &m),
	             STUN_OK);
	CHECK_EQ_INT(m.fingerprint_off, 0);
}

static void test_rfc5769_responses(void)
{
	struct stun_msg m;

	CHECK_EQ_INT(stun_parse(resp4, sizeof(resp4), &m), STUN_OK);
	CHECK_EQ_INT(m.type, STUN_BINDING_SUCCESS);
	CHECK(stun_integrity_ok(resp4, sizeof(resp4), &m, (const uint8_t *)PWD,
	                        strlen(PWD)));
	CHECK(stun_fingerprint_ok(resp4, sizeof(resp4), &m));
	CHECK_EQ_INT(stun_check_request(resp4, sizeof(resp4), "evtj", PWD, &m),
	             STUN_ERR_NOT_REQUEST);

	CHECK_EQ_INT(stun_parse(resp6, sizeof(resp6), &m), STUN_OK);
	CHECK(stun_integrity_ok(resp6, sizeof(resp6), &m, (const uint8_t *)PWD,
	                        strlen(PWD)));
	CHECK(stun_fingerprint_ok(resp6, sizeof(resp6), &m));
}

/* Our writer, given the vector's SOFTWARE attribute, reproduces the
 * vector byte for byte (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY,
 * FINGERPRINT). */
static void write_like_vector(const struct sockaddr *mapped,
                              const uint8_t *want, size_t want_len)
{
	uint8_t out[128];
	struct stun_wr w;

	stun_wr_init(&w, out, sizeof(out), STUN_BINDING_SUCCESS, req + 8);
	stun_wr_attr(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
	CHECK_EQ_INT(w.len, 36);
	out[35] = 0x20; /* RFC 5769 pads this one with a space */
	stun_wr_xor_addr(&w, mapped);
	stun_wr_integrity(&w, (const uint8_t *)PWD, strlen(PWD));
	stun_wr_fingerprint(&w);
	CHECK_EQ_INT(stun_wr_done(&w), want_len);
	CHECK(stun_wr_done(&w) == want_len && !memcmp(out, want, want_len));
	for (size_t i = 0; i < want_len && i < w.len; i++)
		if (out[i] != want[i]) {
			fprintf(stderr, "  byte %zu: %02x, expected %02x\n", i,
			        out[i], want[i]);
			break;
		}
}

static void test_write_vectors(void)
{
	struct sockaddr_in s4 = sa4("192.0.2.1", 32853);
	struct sockaddr_in6 s6 =
	        sa6("2001:db8:1234:5678:11:2233:4455:6677", 32853);
	struct sockaddr_in6 mapped = sa6("::ffff:192.0.2.1", 32853);

	write_like_vector((struct sockaddr *)&s4, resp4, sizeof(resp4));
	write_like_vector((struct sockaddr *)&s6, resp6, sizeof(resp6));
	/* a v4-mapped source is answered as the IPv4 address it is */
	write_like_vector((struct sockaddr *)&mapped, resp4, sizeof(resp4));
}

/* HMAC-SHA1 of a message's MESSAGE-INTEGRITY computed here, with
 * OpenSSL directly (not through stun.c). */
static bool independent_mi(const uint8_t *p, size_t mi_off, const char *pwd)
{
	uint8_t tmp[256], mac[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	if (mi_off > sizeof(tmp))
		return false;
	memcpy(tmp, p, mi_off);
	size_t l = mi_off - 20 + 24;
	tmp[2] = (uint8_t)(l >> 8);
	tmp[3] = (uint8_t)l;
	HMAC(EVP_sha1(), pwd, (int)strlen(pwd), tmp, mi_off, mac, &ml);
	return ml == 20 && !memcmp(mac, p + mi_off + 4, 20);
}

static void test_binding_success(void)
{
	uint8_t out[STUN_MAX_RESPONSE];
	struct stun_msg m;
	struct sockaddr_in s4 = sa4("192.0.2.1", 32853);
	struct sockaddr_in6 s6 =
	        sa6("2001:db8:1234:5678:11:2233:4455:6677", 32853);

	size_t n = stun_binding_success(out, sizeof(out), req + 8,
	                                (struct sockaddr *)&s4,
	                                (const uint8_t *)PWD, strlen(PWD));
	CHECK_EQ_INT(n, 64);
	CHECK_EQ_INT(stun_parse(out, n, &m), STUN_OK);
	CHECK_EQ_INT(m.type, STUN_BINDING_SUCCESS);
	CHECK(!memcmp(out + 8, req + 8, 12));
	/* XOR-MAPPED-ADDRESS exactly the vector's */
	CHECK(!memcmp(out + 20, resp4 + 36, 12));
	CHECK_EQ_INT(m.integrity_off, 32);
	CHECK(independent_mi(out, 32, PWD));
	CHECK_EQ_INT(m.fingerprint_off, 56);
	uint32_t fp = (uint32_t)out[60] << 24 | (uint32_t)out[61] << 16 |
	              (uint32_t)out[62] << 8 | out[63];
	CHECK_EQ_INT(fp, stun_crc32(out, 56) ^ 0x5354554eu);

	n = stun_binding_success(out, sizeof(out), req + 8,
	                         (struct sockaddr *)&s6, (const uint8_t *)PWD,
	                         strlen(PWD));
	CHECK_EQ_INT(n, STUN_MAX_RESPONSE);
	CHECK(!memcmp(out + 20, resp6 + 36, 24));
	CHECK(independent_mi(out, 44, PWD));
	CHECK_EQ_INT(stun_parse(out, n, &m), STUN_OK);
	CHECK(stun_fingerprint_ok(out, n, &m));

	/* every capacity short of the message: 0, nothing written past */
	for (size_t cap = 0; cap < STUN_MAX_RESPONSE; cap++) {
		uint8_t *b = malloc(cap ? cap : 1);
		CHECK_EQ_INT(stun_binding_success(
		                     b, cap, req + 8, (struct sockaddr *)&s6,
		                     (const uint8_t *)PWD, strlen(PWD)),
		             0);
		free(b);
	}
	struct sockaddr un;
	memset(&un, 0, sizeof(un));
	un.sa_family = AF_UNIX;
	CHECK_EQ_INT(stun_binding_success(out, sizeof(out), req + 8, &un,
	                                  (const uint8_t *)PWD, strlen(PWD)),
	             0);
}

/* Every single-bit flip of the request is refused, except in the
 * FINGERPRINT attribute's type (it then becomes an attribute after
 * MESSAGE-INTEGRITY, which RFC 5389 15.4 says to ignore). */
static void test_corrupt(void)
{
	uint8_t c[sizeof(req)];
	int taken = 0;
	for (size_t i = 0; i < sizeof(req); i++)
		for (int b = 0; b < 8; b++) {
			memcpy(c, req, sizeof(req));
			c[i] ^= (uint8_t)(1u << b);
			enum stun_err r = check_copy(c, sizeof(c), "evtj", PWD);
			if (i == REQ_FP || i == REQ_FP + 1) {
				taken += r == STUN_OK;
				continue;
			}
			if (r == STUN_OK)
				fprintf(stderr,
				        "  flip byte %zu bit %d taken\n", i, b);
			CHECK(r != STUN_OK);
		}
	CHECK(taken <= 16);

	/* MESSAGE-INTEGRITY wrong, FINGERPRINT made right again */
	struct stun_msg m;
	memcpy(c, req, sizeof(req));
	c[REQ_MI + 4 + 7] ^= 0x40;
	uint32_t fp = stun_crc32(c, REQ_FP) ^ 0x5354554eu;
	c[REQ_FP + 4] = (uint8_t)(fp >> 24);
	c[REQ_FP + 5] = (uint8_t)(fp >> 16);
	c[REQ_FP + 6] = (uint8_t)(fp >> 8);
	c[REQ_FP + 7] = (uint8_t)fp;
	CHECK_EQ_INT(stun_check_request(c, sizeof(c), "evtj", PWD, &m),
	             STUN_ERR_INTEGRITY);
	/* FINGERPRINT wrong alone */
	memcpy(c, req, sizeof(req));
	c[sizeof(c) - 1] ^= 1;
	CHECK_EQ_INT(stun_check_request(c, sizeof(c), "evtj", PWD, &m),
	             STUN_ERR_FINGERPRINT);
	/* an attribute after FINGERPRINT */
	uint8_t big[sizeof(req) + 8];
	memcpy(big, req, sizeof(req));
	memcpy(big + sizeof(req),
	       "\x80\x22\x00\x04"
	       "abcd",
	       8);
	big[3] = (uint8_t)(sizeof(big) - 20);
	CHECK_EQ_INT(stun_parse(big, sizeof(big), &m), STUN_ERR_MALFORMED);
	/* first byte outside 0-3 (RFC 7983), bad cookie, odd length */
	memcpy(c, req, sizeof(req));
	c[0] = 0x40;
	CHECK(!stun_is_msg(c, sizeof(c)));
	memcpy(c, req, sizeof(req));
	c[5] = 0x13;
	CHECK(!stun_is_msg(c, sizeof(c)));
	CHECK(!stun_is_msg(req, sizeof(req) - 2));
}

/* Every truncation, with the length field as it was and with it made to
 * match: refused (the one cut right before FINGERPRINT, length fixed, is
 * a whole request without FINGERPRINT and is taken). */
static void test_truncate(void)
{
	uint8_t c[sizeof(req)];
	for (size_t n = 0; n < sizeof(req); n++) {
		CHECK(check_copy(req, n, "evtj", PWD) != STUN_OK);
		if (n < 20)
			continue;
		memcpy(c, req, n);
		c[2] = (uint8_t)((n - 20) >> 8);
		c[3] = (uint8_t)(n - 20);
		enum stun_err r = check_copy(c, n, "evtj", PWD);
		if (n == REQ_FP)
			CHECK_EQ_INT(r, STUN_OK);
		else
			CHECK(r != STUN_OK);
	}
	for (size_t n = 0; n < sizeof(resp6); n++)
		CHECK(check_copy(resp6, n, "evtj", PWD) != STUN_OK);
}

/* Requests as ICE peers send them, written with our writer: USE-CANDIDATE
 * and ICE-CONTROLLING are taken; an unknown comprehension-required
 * attribute is refused, an unknown optional one is not. */
static size_t build_req(uint8_t *out, size_t cap, uint16_t extra, bool use_cand)
{
	static const uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	static const uint8_t tb[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	static const uint8_t prio[4] = {0x6e, 0, 1, 0xff};
	struct stun_wr w;
	stun_wr_init(&w, out, cap, STUN_BINDING_REQUEST, tid);
	stun_wr_attr(&w, STUN_ATTR_USERNAME, "L1a2:rEmOtE", 11);
	stun_wr_attr(&w, STUN_ATTR_PRIORITY, prio, 4);
	stun_wr_attr(&w, STUN_ATTR_ICE_CONTROLLING, tb, 8);
	if (use_cand)
		stun_wr_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	if (extra)
		stun_wr_attr(&w, extra, "xyz", 3);
	stun_wr_integrity(&w, (const uint8_t *)"localpassword0123456789x", 24);
	stun_wr_fingerprint(&w);
	return stun_wr_done(&w);
}

static void test_ice_requests(void)
{
	uint8_t b[256];
	struct stun_msg m;
	const char *pw = "localpassword0123456789x";

	size_t n = build_req(b, sizeof(b), 0, true);
	CHECK(n > 0);
	CHECK_EQ_INT(stun_check_request(b, n, "L1a2", pw, &m), STUN_OK);
	CHECK(m.use_candidate);
	CHECK(m.ice_controlling);
	CHECK(m.tiebreaker == 0x0001020304050607ull);
	n = build_req(b, sizeof(b), 0, false);
	CHECK_EQ_INT(stun_check_request(b, n, "L1a2", pw, &m), STUN_OK);
	CHECK(!m.use_candidate);
	n = build_req(b, sizeof(b), 0x8777, false);
	CHECK_EQ_INT(stun_check_request(b, n, "L1a2", pw, &m), STUN_OK);
	n = build_req(b, sizeof(b), 0x0777, false);
	CHECK_EQ_INT(stun_check_request(b, n, "L1a2", pw, &m),
	             STUN_ERR_UNKNOWN_ATTR);
	CHECK_EQ_INT(m.unknown, 0x0777);
	/* case matters in ufrags */
	n = build_req(b, sizeof(b), 0, false);
	CHECK_EQ_INT(stun_check_request(b, n, "l1a2", pw, &m),
	             STUN_ERR_USERNAME);
	/* a binding indication is not a request */
	b[1] = 0x11;
	CHECK_EQ_INT(stun_check_request(b, n, "L1a2", pw, &m),
	             STUN_ERR_NOT_REQUEST);
	/* writer overflow: every capacity short of the message */
	n = build_req(b, sizeof(b), 0, true);
	for (size_t cap = 0; cap < n; cap++) {
		uint8_t *t = malloc(cap ? cap : 1);
		CHECK_EQ_INT(build_req(t, cap, 0, true), 0);
		free(t);
	}
}

int main(void)
{
	RUN(test_crc32);
	RUN(test_rfc5769_request);
	RUN(test_rfc5769_responses);
	RUN(test_write_vectors);
	RUN(test_binding_success);
	RUN(test_corrupt);
	RUN(test_truncate);
	RUN(test_ice_requests);
	return test_summary();
}
