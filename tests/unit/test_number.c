/* test_number.c: number extraction, E.164 normalisation and the
 * Request-URIs toward ACS and Genesys (interop.md 1.4, 2.2-2.4). */
#include "b2b/number.h"
#include "sip/msg/sip_uri.h"
#include "tests/test.h"

#include <stdlib.h>
#include <string.h>

/* number_from_uri over a URI literal; out holds the number. */
static long from_uri(const char *uri, char *out, size_t cap, bool *global,
                     bool *phone)
{
	struct sip_uri u;

	if (sip_uri_parse(&u, pl_make(uri, strlen(uri))) != 0)
		return -100;
	return number_from_uri(&u, out, cap, global, phone);
}

#define FROM_OK(uri, want, want_global)                                        \
	do {                                                                   \
		char b_[NUMBER_BUF];                                           \
		bool g_ = !(want_global), ph_ = false;                         \
		long len_ = from_uri(uri, b_, sizeof b_, &g_, &ph_);           \
		CHECK_EQ_INT(len_, (long)strlen(want));                        \
		if (len_ >= 0) {                                               \
			CHECK_PL(pl_make(b_, (size_t)len_), want);             \
			CHECK_EQ_INT(b_[len_], 0);                             \
		}                                                              \
		CHECK_EQ_INT(g_, (want_global));                               \
	} while (0)

static void test_from_sip(void)
{
	char b[NUMBER_BUF];
	bool g = false, ph = false;

	/* ACS: E.164 with '+' and user=phone (interop.md 1.4). */
	FROM_OK("sip:+12345550100@sip.pstnhub.microsoft.com;user=phone",
	        "+12345550100", true);
	/* Genesys with "Omit + prefix": no '+'. */
	FROM_OK("sip:13175550100@sbc1.example.com:5061;transport=tls",
	        "13175550100", false);
	FROM_OK("sips:+13175550100@contoso.byoc.mypurecloud.com",
	        "+13175550100", true);
	/* Visual separators, with user=phone and phone-like without. */
	FROM_OK("sip:+1-425-555-0100@example.com;user=phone", "+14255550100",
	        true);
	FROM_OK("sip:+1(425)555.0100@example.com", "+14255550100", true);
	FROM_OK("sip:+1%20425%20555%200100@example.com", "+14255550100", true);
	/* Escapes: unescaped once. */
	FROM_OK("sip:%2B14255550100@example.com;user=phone", "+14255550100",
	        true);
	FROM_OK("sip:%2b1425%2D555%2D0100@example.com", "+14255550100", true);
	/* Once only: %252B is "%2B", not '+', and not a phone number. */
	FROM_OK("sip:%252B1425@example.com", "%2B1425", false);
	/* user=phone user part with parameters: the number before ';'. */
	FROM_OK("sip:+14255550100;isub=12@example.com;user=phone",
	        "+14255550100", true);
	FROM_OK("sip:5550100;phone-context=+1-425@example.com;user=phone",
	        "+14255550100", true);
	FROM_OK("sip:5550100;phone-context=example.com@example.com;user=phone",
	        "5550100", false);
	/* Not a phone number: copied whole, separators kept. */
	CHECK_EQ_INT(
	        from_uri("sip:bob.smith@example.com", b, sizeof b, &g, &ph), 9);
	CHECK_PL(pl_make(b, 9), "bob.smith");
	CHECK(!g);
	CHECK(!ph);
	CHECK_EQ_INT(
	        from_uri("sip:+14255550100@example.com", b, sizeof b, &g, &ph),
	        12);
	CHECK(ph);
	/* user=phone with letters: separators go, letters stay (number_e164
	 * refuses them). */
	FROM_OK("sip:+1-425-CALL-NOW@example.com;user=phone", "+1425CALLNOW",
	        true);
	/* Malformed escape, no user. */
	CHECK_EQ_INT(from_uri("sip:%2@example.com", b, sizeof b, NULL, NULL),
	             -100); /* the parser already refuses it */
	CHECK_EQ_INT(from_uri("sip:example.com", b, sizeof b, &g, NULL),
	             NUMBER_EINVAL);
	CHECK_EQ_INT(from_uri("mailto:a@example.com", b, sizeof b, &g, NULL),
	             NUMBER_EINVAL);
	CHECK_EQ_INT(number_from_uri(NULL, b, sizeof b, NULL, NULL),
	             NUMBER_EINVAL);
}

static void test_from_tel(void)
{
	FROM_OK("tel:+1-425-555-0100", "+14255550100", true);
	FROM_OK("tel:+14255550100;ext=22", "+14255550100", true);
	/* phone-context: a global prefix makes the local number global. */
	FROM_OK("tel:555-0100;phone-context=+1-425", "+14255550100", true);
	FROM_OK("tel:863-1234;phone-context=+1-914-555", "+19145558631234",
	        true);
	/* A domain context leaves it local. */
	FROM_OK("tel:7042;phone-context=example.com", "7042", false);
	/* A global number ignores phone-context (RFC 3966 forbids it). */
	FROM_OK("tel:+4915123456", "+4915123456", true);
}

static void test_from_small(void)
{
	char b[16];

	/* "+14255550100" is 12 bytes + NUL. */
	CHECK_EQ_INT(from_uri("tel:+1-425-555-0100", b, 13, NULL, NULL), 12);
	CHECK_EQ_INT(from_uri("tel:+1-425-555-0100", b, 12, NULL, NULL),
	             NUMBER_ENOSPC);
	CHECK_EQ_INT(from_uri("tel:+1-425-555-0100", b, 0, NULL, NULL),
	             NUMBER_ENOSPC);
	CHECK_EQ_INT(from_uri("sip:alice@example.com", b, 6, NULL, NULL), 5);
	CHECK_EQ_INT(from_uri("sip:alice@example.com", b, 5, NULL, NULL),
	             NUMBER_ENOSPC);
	CHECK_EQ_INT(from_uri("sip:alice@example.com", b, 0, NULL, NULL),
	             NUMBER_ENOSPC);
	CHECK_EQ_INT(
	        from_uri("sip:5550100;phone-context=+1-425@x.com;user=phone", b,
	                 12, NULL, NULL),
	        NUMBER_ENOSPC);
}

#define E164(in, plan, want)                                                   \
	do {                                                                   \
		char b_[NUMBER_E164_BUF];                                      \
		long len_ = number_e164(PL(in), plan, b_, sizeof b_);          \
		CHECK_EQ_INT(len_, (long)sizeof(want) - 1);                    \
		if (len_ >= 0)                                                 \
			CHECK_PL(pl_make(b_, (size_t)len_), want);             \
	} while (0)

#define E164_BAD(in, plan)                                                     \
	do {                                                                   \
		char b_[NUMBER_E164_BUF];                                      \
		CHECK_EQ_INT(number_e164(PL(in), plan, b_, sizeof b_),         \
		             NUMBER_EINVAL);                                   \
	} while (0)

static void test_e164(void)
{
	const struct number_plan us = {.country_code = PL("1")};
	const struct number_plan us_full = {.country_code = PL("1"),
	                                    .intl_prefix = PL("011"),
	                                    .nsn_len = 10};
	const struct number_plan de = {.country_code = PL("49"),
	                               .intl_prefix = PL("00"),
	                               .national_prefix = PL("0")};
	const struct number_plan nanp = {.country_code = PL("1"),
	                                 .intl_prefix = PL("011"),
	                                 .national_prefix = PL("1")};

	/* Global numbers pass through (ACS examples, interop.md 1.4/1.8). */
	E164("+12345550100", NULL, "+12345550100");
	E164("+14255550100", &us, "+14255550100");
	E164("+13175550100", &de, "+13175550100");
	/* National with the default country code. */
	E164("14255550100", &us, "+14255550100");
	E164("4255550100", &us, "+14255550100");
	E164("13175550100", &us_full, "+13175550100");
	E164("3175550100", &us_full, "+13175550100");
	E164_BAD("5550100", &us_full);     /* 7 digits: not an NSN */
	E164_BAD("23175550100", &us_full); /* 11 digits, not cc first */
	E164("14255550100", &nanp, "+14255550100");
	/* International prefix. */
	E164("004915123456", &de, "+4915123456");
	E164("01144201234567", &us_full, "+44201234567");
	E164("015123456", &de, "+4915123456");
	E164("4915123456", &de, "+4915123456");
	/* No plan / no country code: only global or intl forms. */
	E164_BAD("14255550100", NULL);
	E164_BAD("14255550100", &(struct number_plan){0});
	E164("004915123456", &(struct number_plan){.intl_prefix = PL("00")},
	     "+4915123456");
	/* Refused: letters, separators, '*', '#', second '+', empty, too
	 * long, leading 0 country code. */
	E164_BAD("+1425CALLNOW", &us);
	E164_BAD("+1425555010a", &us);
	E164_BAD("1-425-555-0100", &us);
	E164_BAD("*67", &us);
	E164_BAD("#31#4255550100", &us);
	E164_BAD("++14255550100", &us);
	E164_BAD("+", &us);
	E164_BAD("", &us);
	E164_BAD("+0123456", &us);
	E164_BAD("+1234567890123456", &us); /* 16 digits */
	E164("+123456789012345", &us, "+123456789012345");
	E164_BAD("00", &de);
	CHECK_EQ_INT(number_e164(PL_NULL, &us, (char[4]){0}, 4), NUMBER_EINVAL);

	CHECK(number_is_e164(PL("+14255550100")));
	CHECK(!number_is_e164(PL("14255550100")));
	CHECK(!number_is_e164(PL("+1 425")));
}

static void test_e164_small(void)
{
	const struct number_plan us = {.country_code = PL("1")};
	char b[13];

	CHECK_EQ_INT(number_e164(PL("4255550100"), &us, b, 13), 12);
	CHECK_PL(pl_make(b, 12), "+14255550100");
	CHECK_EQ_INT(b[12], 0);
	CHECK_EQ_INT(number_e164(PL("4255550100"), &us, b, 12), NUMBER_ENOSPC);
	CHECK_EQ_INT(number_e164(PL("4255550100"), &us, b, 1), NUMBER_ENOSPC);
	CHECK_EQ_INT(number_e164(PL("4255550100"), &us, NULL, 0),
	             NUMBER_ENOSPC);
	/* Invalid wins over too small. */
	CHECK_EQ_INT(number_e164(PL("42x"), &us, b, 1), NUMBER_EINVAL);
}

static void test_omit_plus(void)
{
	CHECK_PL(number_omit_plus(PL("+13175550100")), "13175550100");
	CHECK_PL(number_omit_plus(PL("13175550100")), "13175550100");
	CHECK_PL(number_omit_plus(PL("")), "");
}

/* Parse a built Request-URI back and return it. */
static bool reparse(struct sip_uri *u, const char *b, long n)
{
	CHECK(n > 0);
	if (n <= 0)
		return false;
	CHECK_EQ_INT(b[n], 0);
	CHECK_EQ_INT(sip_uri_parse(u, pl_make(b, (size_t)n)), 0);
	return true;
}

static bool param_is(const struct sip_uri *u, const char *name,
                     const char *want)
{
	struct pl v;

	if (!sip_uri_param(u, pl_make(name, strlen(name)), &v))
		return false;
	return v.l == strlen(want) && !memcmp(v.p, want, v.l);
}

static void test_ruri_acs(void)
{
	char b[128];
	struct sip_uri u;
	struct pl v;
	long n;

	n = number_ruri_acs(PL("+14255550100"), PL("sip.pstnhub.microsoft.com"),
	                    b, sizeof b);
	CHECK_PL(pl_make(b, n > 0 ? (size_t)n : 0),
	         "sip:+14255550100@sip.pstnhub.microsoft.com:5061;user=phone;"
	         "transport=tls");
	if (reparse(&u, b, n)) {
		CHECK_EQ_INT(u.scheme, SIP_URI_SIP);
		CHECK_PL(u.user, "+14255550100");
		CHECK_PL(u.host, "sip.pstnhub.microsoft.com");
		CHECK_EQ_INT(u.host_type, SIP_HOST_NAME);
		CHECK(u.has_port);
		CHECK_EQ_INT(u.port, 5061);
		CHECK(param_is(&u, "user", "phone"));
		CHECK(param_is(&u, "transport", "tls"));
		CHECK(!pl_isset(u.headers));
		CHECK(!sip_uri_param(&u, PL("tgrp"), &v));
	}
	/* From a Genesys number without '+': normalise first. */
	{
		char e[NUMBER_E164_BUF];
		const struct number_plan us = {.country_code = PL("1")};
		long en = number_e164(PL("13175550100"), &us, e, sizeof e);

		CHECK_EQ_INT(en, 12);
		n = number_ruri_acs(pl_make(e, (size_t)en),
		                    PL("sip2.pstnhub.microsoft.com"), b,
		                    sizeof b);
		if (reparse(&u, b, n)) {
			CHECK_PL(u.user, "+13175550100");
			CHECK_PL(u.host, "sip2.pstnhub.microsoft.com");
		}
	}
	/* Refused: not E.164 with '+', bad host. */
	CHECK_EQ_INT(number_ruri_acs(PL("14255550100"),
	                             PL("sip.pstnhub.microsoft.com"), b,
	                             sizeof b),
	             NUMBER_EINVAL);
	CHECK_EQ_INT(number_ruri_acs(PL("+14255550100"), PL("bad host"), b,
	                             sizeof b),
	             NUMBER_EINVAL);
	CHECK_EQ_INT(number_ruri_acs(PL("+14255550100"), PL(""), b, sizeof b),
	             NUMBER_EINVAL);
	CHECK_EQ_INT(
	        number_ruri_acs(PL("+14255550100"), PL("a@b"), b, sizeof b),
	        NUMBER_EINVAL);
	/* Buffer exactly the size, and one short (the NUL counts). */
	n = (long)strlen("sip:+14255550100@sip.pstnhub.microsoft.com:5061;"
	                 "user=phone;transport=tls");
	CHECK_EQ_INT(number_ruri_acs(PL("+14255550100"),
	                             PL("sip.pstnhub.microsoft.com"), b,
	                             (size_t)n + 1),
	             n);
	CHECK_EQ_INT(number_ruri_acs(PL("+14255550100"),
	                             PL("sip.pstnhub.microsoft.com"), b,
	                             (size_t)n),
	             -1);
	CHECK_EQ_INT(number_ruri_acs(PL("+14255550100"),
	                             PL("sip.pstnhub.microsoft.com"), b, 10),
	             -1);
}

static void test_ruri_genesys_fqdn(void)
{
	struct genesys_ruri g = {
	        .method = GENESYS_IDENT_FQDN,
	        .ident = PL("contoso.byoc.mypurecloud.com"),
	        .port = 5061,
	        .transport = PL("tls"),
	};
	char b[128];
	struct sip_uri u;
	long n;

	n = number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b);
	CHECK_PL(pl_make(b, n > 0 ? (size_t)n : 0),
	         "sip:+13175550100@contoso.byoc.mypurecloud.com:5061;"
	         "transport=tls");
	if (reparse(&u, b, n)) {
		CHECK_PL(u.user, "+13175550100");
		CHECK_PL(u.host, "contoso.byoc.mypurecloud.com");
		CHECK_EQ_INT(u.port, 5061);
		CHECK(param_is(&u, "transport", "tls"));
		CHECK(!sip_uri_param(&u, PL("user"), NULL));
	}
	g.omit_plus = true;
	n = number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b);
	CHECK_PL(pl_make(b, n > 0 ? (size_t)n : 0),
	         "sip:13175550100@contoso.byoc.mypurecloud.com:5061;"
	         "transport=tls");
	if (reparse(&u, b, n)) {
		CHECK_PL(u.user, "13175550100");
		CHECK_PL(u.host, "contoso.byoc.mypurecloud.com");
		CHECK_EQ_INT(u.port, 5061);
		CHECK(param_is(&u, "transport", "tls"));
	}
	/* No port, no transport. */
	g.port = 0;
	g.transport = PL_NULL;
	n = number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b);
	CHECK_PL(pl_make(b, n > 0 ? (size_t)n : 0),
	         "sip:13175550100@contoso.byoc.mypurecloud.com");
	if (reparse(&u, b, n)) {
		CHECK(!u.has_port);
		CHECK(!pl_isset(u.params));
	}
	/* Missing ident, bad transport, not E.164, too small. */
	g.ident = PL_NULL;
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	g.ident = PL("contoso.byoc.mypurecloud.com");
	g.transport = PL("tls;x=1");
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	g.transport = PL("tls");
	CHECK_EQ_INT(number_ruri_genesys(PL("13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), NULL, b, sizeof b),
	             NUMBER_EINVAL);
	n = (long)strlen("sip:13175550100@contoso.byoc.mypurecloud.com;"
	                 "transport=tls");
	CHECK_EQ_INT(
	        number_ruri_genesys(PL("+13175550100"), &g, b, (size_t)n + 1),
	        n);
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, (size_t)n),
	             NUMBER_ENOSPC);
}

/* The user part of a TGRP Request-URI, split at ';' (RFC 4904 puts the
 * trunk group in the telephone-subscriber). */
static void check_tgrp_user(struct pl user, const char *num, const char *tgrp,
                            const char *ctx)
{
	char want[160];
	int w = snprintf(want, sizeof want, "%s;tgrp=%s;trunk-context=%s", num,
	                 tgrp, ctx);

	CHECK(w > 0 && user.l == (size_t)w && !memcmp(user.p, want, user.l));
	CHECK_EQ_INT(pl_find(user, '@'), -1);
}

static void test_ruri_genesys_tgrp(void)
{
	struct genesys_ruri g = {
	        .method = GENESYS_IDENT_TGRP,
	        .ident = PL("myid"),
	        .trunk_context = PL("byoc.mypurecloud.com"),
	        .host = PL("lb01.voice.use1.pure.cloud"),
	};
	char b[160];
	struct sip_uri u;
	long n;

	/* interop.md 2.2, as written. */
	n = number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b);
	CHECK_PL(pl_make(b, n > 0 ? (size_t)n : 0),
	         "sip:+13175550100;tgrp=myid;trunk-context=byoc.mypurecloud."
	         "com@lb01.voice.use1.pure.cloud");
	if (reparse(&u, b, n)) {
		check_tgrp_user(u.user, "+13175550100", "myid",
		                "byoc.mypurecloud.com");
		CHECK_PL(u.host, "lb01.voice.use1.pure.cloud");
		CHECK(!u.has_port);
		CHECK(!pl_isset(u.params));
	}
	/* Omit +, with port and transport. */
	g.omit_plus = true;
	g.port = 5061;
	g.transport = PL("tls");
	n = number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b);
	CHECK_PL(pl_make(b, n > 0 ? (size_t)n : 0),
	         "sip:13175550100;tgrp=myid;trunk-context=byoc.mypurecloud."
	         "com@lb01.voice.use1.pure.cloud:5061;transport=tls");
	if (reparse(&u, b, n)) {
		check_tgrp_user(u.user, "13175550100", "myid",
		                "byoc.mypurecloud.com");
		CHECK_PL(u.host, "lb01.voice.use1.pure.cloud");
		CHECK_EQ_INT(u.port, 5061);
		CHECK(param_is(&u, "transport", "tls"));
	}
	/* Global-number trunk-context. */
	g.trunk_context = PL("+1");
	n = number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b);
	if (reparse(&u, b, n))
		check_tgrp_user(u.user, "13175550100", "myid", "+1");
	/* Refused: tgrp id or context that would need escaping, no host. */
	g.ident = PL("my id");
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	g.ident = PL("my@id");
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	g.ident = PL("");
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	g.ident = PL("myid");
	g.trunk_context = PL("byoc;mypurecloud");
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	g.trunk_context = PL_NULL;
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	g.trunk_context = PL("byoc.mypurecloud.com");
	g.host = PL_NULL;
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	g.host = PL("lb01.voice.use1.pure.cloud");
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, 40),
	             NUMBER_ENOSPC);
}

static void test_ruri_genesys_dnis(void)
{
	struct genesys_ruri g = {
	        .method = GENESYS_IDENT_DNIS,
	        .host = PL("byoc.mypurecloud.com"),
	        .port = 5061,
	        .transport = PL("tls"),
	};
	char b[128];
	struct sip_uri u;
	long n;

	n = number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b);
	CHECK_PL(pl_make(b, n > 0 ? (size_t)n : 0),
	         "sip:+13175550100@byoc.mypurecloud.com:5061;transport=tls");
	if (reparse(&u, b, n)) {
		CHECK_PL(u.user, "+13175550100");
		CHECK_PL(u.host, "byoc.mypurecloud.com");
		CHECK_EQ_INT(u.port, 5061);
		CHECK(param_is(&u, "transport", "tls"));
	}
	g.omit_plus = true;
	n = number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b);
	CHECK_PL(pl_make(b, n > 0 ? (size_t)n : 0),
	         "sip:13175550100@byoc.mypurecloud.com:5061;transport=tls");
	if (reparse(&u, b, n)) {
		CHECK_PL(u.user, "13175550100");
		CHECK_PL(u.host, "byoc.mypurecloud.com");
	}
	/* IPv4 host. */
	g.host = PL("192.0.2.10");
	n = number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b);
	if (reparse(&u, b, n)) {
		CHECK_PL(u.host, "192.0.2.10");
		CHECK_EQ_INT(u.host_type, SIP_HOST_IPV4);
	}
	g.host = PL("");
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
	g.host = PL("byoc.mypurecloud.com");
	g.method = (enum genesys_ident)7;
	CHECK_EQ_INT(number_ruri_genesys(PL("+13175550100"), &g, b, sizeof b),
	             NUMBER_EINVAL);
}

/* The whole ACS -> Genesys and Genesys -> ACS path for one number. */
static void test_end_to_end(void)
{
	const struct number_plan us = {.country_code = PL("1")};
	const struct genesys_ruri g = {
	        .method = GENESYS_IDENT_FQDN,
	        .ident = PL("contoso.byoc.mypurecloud.com"),
	        .port = 5061,
	        .transport = PL("tls"),
	        .omit_plus = true,
	};
	char num[NUMBER_BUF], e[NUMBER_E164_BUF], ruri[128];
	bool global;
	long n;

	/* ACS -> Genesys. */
	n = from_uri("sip:%2B1-425-555-0100@sbc1.example.com:5061;user=phone",
	             num, sizeof num, &global, NULL);
	CHECK_EQ_INT(n, 12);
	CHECK(global);
	n = number_e164(pl_make(num, (size_t)(n > 0 ? n : 0)), &us, e,
	                sizeof e);
	CHECK_EQ_INT(n, 12);
	n = number_ruri_genesys(pl_make(e, (size_t)(n > 0 ? n : 0)), &g, ruri,
	                        sizeof ruri);
	CHECK_PL(pl_make(ruri, n > 0 ? (size_t)n : 0),
	         "sip:14255550100@contoso.byoc.mypurecloud.com:5061;"
	         "transport=tls");
	/* Genesys (omit +) -> ACS. */
	n = from_uri("sip:13175550100@sbc1.example.com:5061;transport=tls", num,
	             sizeof num, &global, NULL);
	CHECK(!global);
	n = number_e164(pl_make(num, (size_t)(n > 0 ? n : 0)), &us, e,
	                sizeof e);
	n = number_ruri_acs(pl_make(e, (size_t)(n > 0 ? n : 0)),
	                    PL("sip.pstnhub.microsoft.com"), ruri, sizeof ruri);
	CHECK_PL(pl_make(ruri, n > 0 ? (size_t)n : 0),
	         "sip:+13175550100@sip.pstnhub.microsoft.com:5061;user=phone;"
	         "transport=tls");
	/* Letters never get through. */
	n = from_uri("sip:+1425CALLNOW@sbc1.example.com;user=phone", num,
	             sizeof num, &global, NULL);
	CHECK(n > 0);
	CHECK_EQ_INT(number_e164(pl_make(num, (size_t)(n > 0 ? n : 0)), &us, e,
	                         sizeof e),
	             NUMBER_EINVAL);
}

int main(void)
{
	RUN(test_from_sip);
	RUN(test_from_tel);
	RUN(test_from_small);
	RUN(test_e164);
	RUN(test_e164_small);
	RUN(test_omit_plus);
	RUN(test_ruri_acs);
	RUN(test_ruri_genesys_fqdn);
	RUN(test_ruri_genesys_tgrp);
	RUN(test_ruri_genesys_dnis);
	RUN(test_end_to_end);
	return test_summary();
}
