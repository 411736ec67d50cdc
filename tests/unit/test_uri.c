/* test_uri.c: unit tests for the SIP/SIPS/tel/absolute URI parser. */
#include "sip/msg/sip_uri.h"
#include "tests/test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Parse a copy of s held in a buffer of exactly s.l bytes, so that ASan
 * reports any read past the end. On success the URI is re-pointed at the
 * caller's bytes (the copy is freed). */
static int parse_exact(struct sip_uri *u, struct pl s)
{
	char *buf = malloc(s.l ? s.l : 1);
	struct sip_uri tmp;
	int rc;

	if (!buf)
		abort();
	if (s.l)
		memcpy(buf, s.p, s.l);
	rc = sip_uri_parse(&tmp, pl_make(buf, s.l));
	free(buf);
	/* Parse again over the caller's bytes to get slices that live on. */
	if (sip_uri_parse(u, s) != rc)
		return -2;
	return rc;
}

#define PARSE_OK(u, lit) CHECK_EQ_INT(parse_exact(&(u), PL(lit)), 0)
#define PARSE_BAD(lit)   CHECK_EQ_INT(parse_exact(&bad_, PL(lit)), -1)

/* 1 if both parse and compare equal, 0 if both parse and differ, -1 if a
 * parse fails. Also checks that the relation is symmetric and reflexive. */
static int uri_eq(struct pl a, struct pl b)
{
	struct sip_uri ua, ub;
	bool ab, ba;

	if (parse_exact(&ua, a) != 0 || parse_exact(&ub, b) != 0)
		return -1;
	ab = sip_uri_eq(&ua, &ub);
	ba = sip_uri_eq(&ub, &ua);
	CHECK(ab == ba);
	CHECK(sip_uri_eq(&ua, &ua));
	CHECK(sip_uri_eq(&ub, &ub));
	return ab ? 1 : 0;
}

#define EQ(a, b)  CHECK_EQ_INT(uri_eq(PL(a), PL(b)), 1)
#define NEQ(a, b) CHECK_EQ_INT(uri_eq(PL(a), PL(b)), 0)

static bool absent(struct pl a)
{
	return a.p == NULL && a.l == 0;
}

static void test_typical(void)
{
	struct sip_uri u;

	PARSE_OK(u, "sip:+14255550100@sbc1.contoso.com:5061;transport=tls;"
	            "user=phone");
	CHECK_EQ_INT(u.scheme, SIP_URI_SIP);
	CHECK_PL(u.scheme_pl, "sip");
	CHECK_PL(u.user, "+14255550100");
	CHECK(absent(u.password));
	CHECK_PL(u.host, "sbc1.contoso.com");
	CHECK_EQ_INT(u.host_type, SIP_HOST_NAME);
	CHECK(u.has_port);
	CHECK_EQ_INT(u.port, 5061);
	CHECK_PL(u.params, "transport=tls;user=phone");
	CHECK(absent(u.headers));
	CHECK(absent(u.opaque));
	CHECK_PL(u.raw, "sip:+14255550100@sbc1.contoso.com:5061;"
	                "transport=tls;user=phone");
}

/* RFC 3261 19.1.3 examples. */
static void test_rfc3261_examples(void)
{
	struct sip_uri u;
	struct pl v;

	PARSE_OK(u, "sip:alice@atlanta.com");
	CHECK_PL(u.user, "alice");
	CHECK_PL(u.host, "atlanta.com");
	CHECK(!u.has_port);
	CHECK_EQ_INT(u.port, 0);
	CHECK(absent(u.params));

	PARSE_OK(u, "sip:alice:secretword@atlanta.com;transport=tcp");
	CHECK_PL(u.user, "alice");
	CHECK_PL(u.password, "secretword");
	CHECK_PL(u.host, "atlanta.com");
	CHECK_PL(u.params, "transport=tcp");

	PARSE_OK(u, "sips:alice@atlanta.com?subject=project%20x&"
	            "priority=urgent");
	CHECK_EQ_INT(u.scheme, SIP_URI_SIPS);
	CHECK_PL(u.scheme_pl, "sips");
	CHECK_PL(u.host, "atlanta.com");
	CHECK(absent(u.params));
	CHECK_PL(u.headers, "subject=project%20x&priority=urgent");

	PARSE_OK(u, "sip:+1-212-555-1212:1234@gateway.com;user=phone");
	CHECK_PL(u.user, "+1-212-555-1212");
	CHECK_PL(u.password, "1234");
	CHECK_PL(u.host, "gateway.com");
	CHECK(sip_uri_param(&u, PL("user"), &v));
	CHECK_PL(v, "phone");

	PARSE_OK(u, "sips:1212@gateway.com");
	CHECK_EQ_INT(u.scheme, SIP_URI_SIPS);
	CHECK_PL(u.user, "1212");

	PARSE_OK(u, "sip:alice@192.0.2.4");
	CHECK_PL(u.host, "192.0.2.4");
	CHECK_EQ_INT(u.host_type, SIP_HOST_IPV4);

	PARSE_OK(u, "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com");
	CHECK(absent(u.user));
	CHECK_PL(u.host, "atlanta.com");
	CHECK_PL(u.params, "method=REGISTER");
	CHECK_PL(u.headers, "to=alice%40atlanta.com");

	PARSE_OK(u, "sip:alice;day=tuesday@atlanta.com");
	CHECK_PL(u.user, "alice;day=tuesday");
	CHECK_PL(u.host, "atlanta.com");
	CHECK(absent(u.params));
}

/* RFC 3261 19.1.4: the URIs listed as equivalent. */
static void test_rfc3261_equivalent(void)
{
	EQ("sip:%61lice@atlanta.com;transport=TCP",
	   "sip:alice@AtLanTa.CoM;Transport=tcp");
	EQ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5");
	EQ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on");
	EQ("sip:carol@chicago.com;newparam=5",
	   "sip:carol@chicago.com;security=on");
	EQ("sip:biloxi.com;transport=tcp;method=REGISTER"
	   "?to=sip:bob%40biloxi.com",
	   "sip:biloxi.com;method=REGISTER;transport=tcp"
	   "?to=sip:bob%40biloxi.com");
	EQ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	   "sip:alice@atlanta.com?priority=urgent&subject=project%20x");

	/* The text's non-transitivity example. */
	EQ("sip:carol@chicago.com", "sip:carol@chicago.com;security=off");
	NEQ("sip:carol@chicago.com;security=on",
	    "sip:carol@chicago.com;security=off");
}

/* RFC 3261 19.1.4: the URIs listed as not equivalent. */
static void test_rfc3261_not_equivalent(void)
{
	/* different usernames */
	NEQ("SIP:ALICE@AtLanTa.CoM;Transport=udp",
	    "sip:alice@AtLanTa.CoM;Transport=UDP");
	/* can resolve to different ports */
	NEQ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060");
	/* can resolve to different transports */
	NEQ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp");
	/* can resolve to different port and transports */
	NEQ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp");
	/* different header component */
	NEQ("sip:carol@chicago.com",
	    "sip:carol@chicago.com?Subject=next%20meeting");
	/* even though that's what phone21.boxesbybob.com resolves to */
	NEQ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4");
}

/* The remaining 19.1.4 rules, one at a time. */
static void test_eq_rules(void)
{
	struct sip_uri a, b;

	/* scheme: sip and sips never match; scheme case-insensitive */
	NEQ("sip:alice@atlanta.com", "sips:alice@atlanta.com");
	EQ("SIP:alice@atlanta.com", "sip:alice@atlanta.com");
	EQ("SiPs:alice@atlanta.com", "sips:alice@atlanta.com");

	/* userinfo: case-sensitive, unescaped once, presence matters */
	NEQ("sip:Alice@atlanta.com", "sip:alice@atlanta.com");
	NEQ("sip:alice@atlanta.com", "sip:atlanta.com");
	EQ("sip:%41lice@atlanta.com", "sip:Alice@atlanta.com");
	EQ("sip:%4a@h.com", "sip:%4A@h.com");
	EQ("sip:value%41@example.com", "sip:valueA@example.com");
	NEQ("sip:value%2541@example.com", "sip:valueA@example.com");
	NEQ("sip:value%2541@example.com", "sip:value%41@example.com");
	EQ("sip:value%2541@example.com", "sip:value%25%34%31@example.com");
	EQ("sip:a:secret@h.com", "sip:a:%73ecret@h.com");
	NEQ("sip:a:secret@h.com", "sip:a:Secret@h.com");
	NEQ("sip:a:secret@h.com", "sip:a@h.com");
	NEQ("sip:a:@h.com", "sip:a@h.com");
	EQ("sip:a:@h.com", "sip:a:@h.com");

	/* host: case-insensitive; names and addresses never match */
	EQ("sip:a@EXAMPLE.com", "sip:a@example.COM");
	NEQ("sip:a@example.com", "sip:a@example.com.");
	NEQ("sip:a@example.com", "sip:a@example.org");
	EQ("sip:a@192.0.2.4", "sip:a@192.0.2.4");
	NEQ("sip:a@192.0.2.4", "sip:a@192.0.2.5");

	/* port */
	EQ("sip:a@h.com:5060", "sip:a@h.com:5060");
	EQ("sip:a@h.com:5060", "sip:a@h.com:05060");
	NEQ("sip:a@h.com:5060", "sip:a@h.com:5061");
	NEQ("sip:a@h.com:0", "sip:a@h.com");

	/* user, ttl, method, maddr, transport: must match if in either */
	NEQ("sip:a@h.com;user=phone", "sip:a@h.com");
	NEQ("sip:a@h.com;ttl=1", "sip:a@h.com");
	NEQ("sip:a@h.com;method=INVITE", "sip:a@h.com");
	NEQ("sip:a@h.com;maddr=239.255.255.1", "sip:a@h.com");
	NEQ("sip:a@h.com", "sip:a@h.com;TRANSPORT=tcp");
	NEQ("sip:a@h.com", "sip:a@h.com;%74ransport=tcp");
	EQ("sip:a@h.com;user=phone", "sip:a@h.com;USER=PHONE");
	EQ("sip:a@h.com;ttl=1;lr", "sip:a@h.com;ttl=1");
	NEQ("sip:a@h.com;ttl=1", "sip:a@h.com;ttl=2");
	EQ("sip:a@h.com;maddr=Example.COM", "sip:a@h.com;maddr=example.com");
	EQ("sip:a@h.com;method=%49NVITE", "sip:a@h.com;method=invite");

	/* other params: compared only when present in both */
	EQ("sip:a@h.com;lr", "sip:a@h.com");
	EQ("sip:a@h.com;lr", "sip:a@h.com;lr");
	EQ("sip:a@h.com;LR", "sip:a@h.com;lr");
	NEQ("sip:a@h.com;lr", "sip:a@h.com;lr=on");
	EQ("sip:a@h.com;x=%41", "sip:a@h.com;x=a");
	NEQ("sip:a@h.com;x=%2541", "sip:a@h.com;x=a");
	EQ("sip:a@h.com;a=1;b=2", "sip:a@h.com;b=2;a=1");
	EQ("sip:a@h.com;a=1;c=3", "sip:a@h.com;b=2;a=1");
	/* duplicate names: the first occurrence counts */
	EQ("sip:a@h.com;x=1;x=2", "sip:a@h.com;x=1");
	NEQ("sip:a@h.com;x=2;x=1", "sip:a@h.com;x=1");

	/* headers: never ignored, unordered, names case-insensitive, values
	 * exact after unescaping */
	EQ("sip:a@h.com?Subject=x", "sip:a@h.com?subject=x");
	NEQ("sip:a@h.com?subject=X", "sip:a@h.com?subject=x");
	EQ("sip:a@h.com?subject=%58", "sip:a@h.com?subject=X");
	NEQ("sip:a@h.com?a=1&b=2", "sip:a@h.com?a=1");
	NEQ("sip:a@h.com?a=1", "sip:a@h.com?a=1&b=2");
	EQ("sip:a@h.com?a=&b=2", "sip:a@h.com?b=2&a=");
	NEQ("sip:a@h.com?a=", "sip:a@h.com?a=1");

	/* unparsed or failed structures never compare equal */
	CHECK_EQ_INT(sip_uri_parse(&a, PL("sip:a@h.com")), 0);
	CHECK_EQ_INT(sip_uri_parse(&b, PL("sip:a@")), -1);
	CHECK(!sip_uri_eq(&a, &b));
	CHECK(!sip_uri_eq(&b, &b));
	CHECK(!sip_uri_eq(&a, NULL));
	CHECK(!sip_uri_eq(NULL, &a));
}

/* More params than the comparison bound: identical lists still match. */
static void test_eq_many_params(void)
{
	static char x[8192], y[8192];
	struct sip_uri a, b;
	size_t nx = 0, ny = 0;

	nx = ny = (size_t)snprintf(x, sizeof(x), "sip:a@h.com");
	memcpy(y, x, nx);
	for (int i = 0; i < 300; i++) {
		nx += (size_t)snprintf(x + nx, sizeof(x) - nx, ";p%d=%d", i, i);
		ny += (size_t)snprintf(y + ny, sizeof(y) - ny, ";p%d=%d",
		                       299 - i, 299 - i);
	}
	CHECK_EQ_INT(sip_uri_parse(&a, pl_make(x, nx)), 0);
	CHECK_EQ_INT(sip_uri_parse(&b, pl_make(y, ny)), 0);
	CHECK(sip_uri_eq(&a, &a));
	CHECK(sip_uri_eq(&b, &b));
	/* Reordered and above the bound: reported as different, cheaply. */
	CHECK(!sip_uri_eq(&a, &b));
}

#define LONG_NOVALUE                                                           \
	"verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglong"     \
	"longlonglonglonglonglonglonglonglonglongParameterNameWithNoValue"

/* RFC 4475 torture-test URIs. */
static void test_rfc4475(void)
{
	struct sip_uri u, bad_;
	struct pl v;
	char buf[64];
	long n;

	/* 3.1.1.2 intmeth: Request-URI and the To URI */
	PARSE_OK(u, "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:"
	            "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
	CHECK_PL(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	CHECK_PL(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	CHECK_PL(u.host, "example.com");
	CHECK(absent(u.params));
	CHECK(absent(u.headers));
	PARSE_OK(u, "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
	            "@example.com");
	CHECK_PL(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	CHECK(absent(u.password));

	/* 3.1.1.3 esc01 */
	PARSE_OK(u, "sip:sips%3Auser%40example.com@example.net");
	CHECK_EQ_INT(u.scheme, SIP_URI_SIP);
	CHECK_PL(u.user, "sips%3Auser%40example.com");
	CHECK_PL(u.host, "example.net");
	n = sip_unescape(u.user, buf, sizeof(buf));
	CHECK_PL(pl_make(buf, n < 0 ? 0 : (size_t)n), "sips:user@example.com");
	EQ("sip:%75se%72@example.com", "sip:user@example.com");
	PARSE_OK(u, "sip:I%20have%20spaces@example.net");
	n = sip_unescape(u.user, buf, sizeof(buf));
	CHECK_PL(pl_make(buf, n < 0 ? 0 : (size_t)n), "I have spaces");
	PARSE_OK(u, "sip:cal%6Cer@host5.example.net;%6C%72;"
	            "n%61me=v%61lue%25%34%31");
	CHECK_PL(u.user, "cal%6Cer");
	CHECK_PL(u.params, "%6C%72;n%61me=v%61lue%25%34%31");
	CHECK(sip_uri_param(&u, PL("lr"), &v));
	CHECK(absent(v));
	CHECK(sip_uri_param(&u, PL("name"), &v));
	CHECK_PL(v, "v%61lue%25%34%31");
	n = sip_unescape(v, buf, sizeof(buf));
	CHECK_PL(pl_make(buf, n < 0 ? 0 : (size_t)n), "value%41");
	EQ("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
	   "sip:caller@host5.example.net;lr;name=value%2541");
	NEQ("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
	    "sip:caller@host5.example.net;lr;name=valueA");

	/* 3.1.1.4 escnull */
	PARSE_OK(u, "sip:null-%00-null@example.com");
	n = sip_unescape(u.user, buf, sizeof(buf));
	CHECK_EQ_INT(n, 11);
	CHECK(n == 11 && memcmp(buf, "null-\0-null", 11) == 0);
	PARSE_OK(u, "sip:%00@host5.example.com");
	PARSE_OK(u, "sip:%00%00@host5.example.com");
	NEQ("sip:%00@host5.example.com", "sip:%00%00@host5.example.com");
	NEQ("sip:%00@host5.example.com", "sip:%01@host5.example.com");
	EQ("sip:null-%00-null@example.com", "sip:null-%00-null@EXAMPLE.com");

	/* 3.1.1.5 esc02, 3.1.1.11 mpart01, etc.: plain URIs */
	PARSE_OK(u, "sip:registrar.example.com");
	CHECK(absent(u.user));
	PARSE_OK(u, "sip:resource@example.com");
	PARSE_OK(u, "sip:j_user@example.com");
	PARSE_OK(u, "sip:user@host28.example.com");
	PARSE_OK(u, "sip:user@255.255.255.255");
	CHECK_EQ_INT(u.host_type, SIP_HOST_IPV4);

	/* 3.1.1.6 lwsdisp/3.1.1.7 longreq */
	PARSE_OK(u, "sip:user@example.com:6000;unknownparam1=verylonglonglong"
	            "longlonglonglonglonglonglonglonglonglonglonglonglonglong"
	            "longlonglonglonglongvalue;longparamnamenamenamenamename"
	            "namenamenamenamenamenamenamenamenamenamenamenamenamename"
	            "namenamenamenamenamename=shortvalue;" LONG_NOVALUE);
	CHECK_EQ_INT(u.port, 6000);
	CHECK(sip_uri_param(&u, PL(LONG_NOVALUE), &v));
	CHECK(absent(v));
	CHECK(sip_uri_param(&u, PL("unknownparam1"), &v));
	PARSE_OK(u, "sip:amazinglylongcallernameamazinglylongcallername"
	            "amazinglylongcallernameamazinglylongcallername"
	            "amazinglylongcallername@example.net");

	/* 3.1.1.9 semiuri */
	PARSE_OK(u, "sip:user;par=u%40example.net@example.com");
	CHECK_PL(u.user, "user;par=u%40example.net");
	CHECK_PL(u.host, "example.com");
	CHECK(absent(u.params));
	CHECK(!sip_uri_param(&u, PL("par"), &v));

	/* 3.1.1.12 cparam01/02 and 3.1.1.13 inv2543 */
	PARSE_OK(u, "sip:+19725552222@gw1.example.net;unknownparam");
	CHECK(sip_uri_param(&u, PL("unknownparam"), &v));
	PARSE_OK(u, "sip:UserB@example.com;maddr=ss1.example.com");
	PARSE_OK(u, "sip:+16505552222@ss1.example.net;user=phone");
	PARSE_OK(u, "sip:+13035551111@ift.client.example.net;user=phone");

	/* 3.1.2.13 escruri and 3.1.2.? regescrt: the URIs are well-formed,
	 * the Route header in them is a policy matter for the caller */
	PARSE_OK(u, "sip:user@example.com?Route=%3Csip:example.com%3E");
	CHECK_PL(u.headers, "Route=%3Csip:example.com%3E");
	PARSE_OK(u, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");

	/* 3.1.2.9 ltgtruri, 3.1.2.10 lwsruri, 3.1.2.16 badaspec */
	PARSE_BAD("<sip:user@example.com>");
	PARSE_BAD("sip:user@example.com; lr");
	PARSE_BAD(" sip:t.watson@example.org ");
	PARSE_BAD("sip:t.watson@example.org ");

	/* 3.3.2 unkscm, 3.3.3 novelsc, 3.3.4 unksm2 */
	PARSE_OK(u, "nobodyKnowsThisScheme:totallyopaquecontent");
	CHECK_EQ_INT(u.scheme, SIP_URI_OTHER);
	CHECK_PL(u.scheme_pl, "nobodyKnowsThisScheme");
	CHECK_PL(u.opaque, "totallyopaquecontent");
	CHECK_EQ_INT(u.host_type, SIP_HOST_NONE);
	PARSE_OK(u, "soap.beep://192.0.2.103:3002");
	CHECK_PL(u.scheme_pl, "soap.beep");
	CHECK_PL(u.opaque, "//192.0.2.103:3002");
	CHECK(absent(u.host));
	CHECK(!u.has_port);
	PARSE_OK(u, "isbn:2983792873");
	PARSE_OK(u, "http://www.example.com");
	PARSE_OK(u, "name:John_Smith");
	CHECK_PL(u.opaque, "John_Smith");
}

/* RFC 5118 IPv6 cases and the RFC 5954 grammar. */
static void test_ipv6(void)
{
	static const struct {
		const char *s;
		bool ok;
	} refs[] = {
	        {"::", true},
	        {"::1", true},
	        {"1::", true},
	        {"1:2:3:4:5:6:7:8", true},
	        {"1:2:3:4:5:6:7::", true},
	        {"::2:3:4:5:6:7:8", true},
	        {"1::8", true},
	        {"ffff:FFFF:0:00:000:0000:abcd:ABCD", true},
	        {"1:2:3:4:5:6:1.2.3.4", true},
	        {"::1.2.3.4", true},
	        {"::ffff:192.0.2.2", true},
	        {"2001:db8::192.0.2.1", true},
	        {"2001:db8::10:5070", true},
	        {"1:2:3:4:5:6:7:8:9", false},
	        {"1:2:3:4:5:6:7", false},
	        {"1:2:3:4:5:6:7:8::", false},
	        {"::1:2:3:4:5:6:7:8", false},
	        {"1::2::3", false},
	        {":1::", false},
	        {":", false},
	        {":::", false},
	        {"1::2:", false},
	        {"1:", false},
	        {"12345::", false},
	        {"g::", false},
	        {"1:2:3:4:5:6:7:1.2.3.4", false},
	        {"::1.2.3.256", false},
	        {"::1.2.3", false},
	        {"::1.2.3.4.5", false},
	        {"::1.2.3.4:1", false},
	        {"::01234.1.1.1", false},
	        {"1.2.3.4", false},
	        {"2001:db8:::192.0.2.1", false},
	        {"", false},
	        {"::1%eth0", false},
	};
	struct sip_uri u, bad_;
	char buf[64];

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		int n = snprintf(buf, sizeof(buf), "sip:[%s]", refs[i].s);
		int rc = parse_exact(&u, pl_make(buf, (size_t)n));

		CHECK_EQ_INT(rc, refs[i].ok ? 0 : -1);
		if (rc != (refs[i].ok ? 0 : -1))
			fprintf(stderr, "  ... for [%s]\n", refs[i].s);
		if (rc == 0) {
			CHECK_EQ_INT(u.host_type, SIP_HOST_IPV6);
			CHECK(u.host.l == strlen(refs[i].s) &&
			      memcmp(u.host.p, refs[i].s, u.host.l) == 0);
		}
	}

	/* 4.1 ipv6-good */
	PARSE_OK(u, "sip:[2001:db8::10]");
	CHECK_PL(u.host, "2001:db8::10");
	CHECK(!u.has_port);
	/* 4.2 ipv6-bad: no brackets */
	PARSE_BAD("sip:user@2001:db8::10");
	PARSE_BAD("sip:2001:db8::10");
	/* 4.3 port-ambiguous: all of it is the address */
	PARSE_OK(u, "sip:user@[2001:db8::10:5070]");
	CHECK_PL(u.host, "2001:db8::10:5070");
	CHECK(!u.has_port);
	/* 4.4 port-unambiguous */
	PARSE_OK(u, "sip:user@[2001:db8::10]:5070");
	CHECK_PL(u.user, "user");
	CHECK_PL(u.host, "2001:db8::10");
	CHECK(u.has_port);
	CHECK_EQ_INT(u.port, 5070);
	/* 4.9 IPv4-mapped */
	PARSE_OK(u, "sip:[::ffff:192.0.2.2]");
	/* 4.10: the RFC 3261 ABNF bug form is rejected (RFC 5954) */
	PARSE_BAD("sip:user@[2001:db8:::192.0.2.1]");
	PARSE_OK(u, "sip:user@[2001:db8::192.0.2.1]");
	CHECK_PL(u.host, "2001:db8::192.0.2.1");

	PARSE_BAD("sip:[::1");
	PARSE_BAD("sip:[::1]x");
	PARSE_BAD("sip:[::1]]");
	PARSE_BAD("sip:[[::1]");
	PARSE_BAD("sip:[]");
	PARSE_BAD("sip:[::1]:");
	PARSE_BAD("sip:[::1]:65536");
	PARSE_BAD("sip:[::1]5060");
	PARSE_OK(u, "sip:[::1]:5060;transport=tcp?h=v");
	CHECK_EQ_INT(u.port, 5060);
	CHECK_PL(u.params, "transport=tcp");
	CHECK_PL(u.headers, "h=v");

	/* equality is semantic for IPv6 */
	EQ("sip:[2001:db8::10]", "sip:[2001:DB8:0:0:0:0:0:10]");
	EQ("sip:[2001:db8::10]", "sip:[2001:0db8:0000::0010]");
	EQ("sip:[::ffff:192.0.2.1]", "sip:[::FFFF:c000:0201]");
	EQ("sip:[::]", "sip:[0:0:0:0:0:0:0:0]");
	NEQ("sip:[2001:db8::10]", "sip:[2001:db8::11]");
	NEQ("sip:[2001:db8::10]", "sip:[2001:db8::10]:5060");
	NEQ("sip:[::ffff:192.0.2.1]", "sip:192.0.2.1");
	NEQ("sip:[1::]", "sip:[::1]");
}

static void test_tel(void)
{
	struct sip_uri u, bad_;
	struct pl v;

	PARSE_OK(u, "tel:+1-201-555-0123");
	CHECK_EQ_INT(u.scheme, SIP_URI_TEL);
	CHECK_PL(u.scheme_pl, "tel");
	CHECK_PL(u.user, "+1-201-555-0123");
	CHECK_EQ_INT(u.host_type, SIP_HOST_NONE);
	CHECK(absent(u.host));
	CHECK(absent(u.password));
	CHECK(absent(u.params));
	CHECK(absent(u.headers));
	CHECK(!u.has_port);

	PARSE_OK(u, "tel:7042;phone-context=example.com");
	CHECK_PL(u.user, "7042");
	CHECK_PL(u.params, "phone-context=example.com");
	CHECK(sip_uri_param(&u, PL("Phone-Context"), &v));
	CHECK_PL(v, "example.com");

	PARSE_OK(u, "tel:863-1234;phone-context=+1-914-555");
	CHECK_PL(u.user, "863-1234");
	CHECK(sip_uri_param(&u, PL("phone-context"), &v));
	CHECK_PL(v, "+1-914-555");

	PARSE_OK(u, "TEL:+1-201-555-0123;ext=1234");
	CHECK_EQ_INT(u.scheme, SIP_URI_TEL);
	CHECK(sip_uri_param(&u, PL("ext"), &v));
	CHECK_PL(v, "1234");
	PARSE_OK(u, "tel:+1(201)555.0123;isub=abc%20/x:y");
	CHECK(sip_uri_param(&u, PL("isub"), &v));
	CHECK_PL(v, "abc%20/x:y");
	PARSE_OK(u, "tel:+12015550123;foo=bar;baz");
	CHECK(sip_uri_param(&u, PL("baz"), &v));
	CHECK(absent(v));
	PARSE_OK(u, "tel:*67#;phone-context=example.com.");
	PARSE_OK(u, "tel:AbC-1;phone-context=ex_1.example.com");
	PARSE_OK(u, "tel:7042;ext=22;phone-context=+1");

	PARSE_BAD("tel:");
	PARSE_BAD("tel:7042");
	PARSE_BAD("tel:7042;ext=1");
	PARSE_BAD("tel:+");
	PARSE_BAD("tel:+-().");
	PARSE_BAD("tel:-");
	PARSE_BAD("tel:+1 201");
	PARSE_BAD("tel:+1a");
	PARSE_BAD("tel:12g4;phone-context=x.com");
	PARSE_BAD("tel:+1;ext=");
	PARSE_BAD("tel:+1;ext");
	PARSE_BAD("tel:+1;ext=12a");
	PARSE_BAD("tel:+1;isub=");
	PARSE_BAD("tel:7042;phone-context=");
	PARSE_BAD("tel:7042;phone-context");
	PARSE_BAD("tel:7042;phone-context=-bad.com");
	PARSE_BAD("tel:7042;phone-context=1.2");
	PARSE_BAD("tel:7042;phone-context=+");
	PARSE_BAD("tel:7042;phone-context=ex%41mple.com");
	PARSE_BAD("tel:+1;;a");
	PARSE_BAD("tel:+1;");
	PARSE_BAD("tel:+1;=x");
	PARSE_BAD("tel:+1;a_b=1");
	PARSE_BAD("tel:+1;a=");
	PARSE_BAD("tel:+1;a=b c");
	PARSE_BAD("tel:+1?x=y");
	PARSE_BAD("tel:+1@example.com");
	PARSE_BAD("tel:+1;a=%4");

	/* RFC 3966 section 4 comparison */
	EQ("tel:+1-201-555-0123", "tel:+12015550123");
	EQ("tel:+1(201)555.0123", "tel:+12015550123");
	EQ("tel:7042;phone-context=example.com",
	   "tel:7042;PHONE-CONTEXT=EXAMPLE.COM");
	EQ("tel:863-1234;phone-context=+1-914-555",
	   "tel:8631234;phone-context=+1914555");
	EQ("tel:+1;a=1;b=2", "tel:+1;b=2;a=1");
	EQ("tel:abc;phone-context=x.com", "tel:ABC;phone-context=x.com");
	EQ("tel:+1;ext=1-2", "tel:+1;ext=12");
	EQ("tel:+1;x=%41", "tel:+1;x=a");
	NEQ("tel:+1;a=1", "tel:+1");
	NEQ("tel:+1;a=1", "tel:+1;a=2");
	NEQ("tel:+1;a", "tel:+1;a=1");
	NEQ("tel:+1;a=1", "tel:+1;b=1");
	NEQ("tel:+12015550123", "tel:+12015550124");
	NEQ("tel:+1201555012", "tel:+12015550123");
	NEQ("tel:7042;phone-context=example.com",
	    "tel:7042;phone-context=example.net");
	NEQ("tel:7042;phone-context=+1", "tel:+7042;phone-context=+1");
	NEQ("tel:+12015550123", "sip:+12015550123@example.com;user=phone");
}

static void test_other_schemes(void)
{
	struct sip_uri u, bad_;

	PARSE_OK(u, "mailto:a@b.c");
	CHECK_EQ_INT(u.scheme, SIP_URI_OTHER);
	CHECK_PL(u.scheme_pl, "mailto");
	CHECK_PL(u.opaque, "a@b.c");
	CHECK(absent(u.user));
	CHECK(absent(u.params));
	PARSE_OK(u, "urn:service:sos");
	PARSE_OK(u, "http://[2001:db8::1]:80/a;b?c=d&e#frag");
	PARSE_OK(u, "h323:user%20x@example.com;x=y");
	PARSE_OK(u, "x+y-z.w:!$&'()*+,;=:@/?~_.-");
	PARSE_OK(u, "siptel:x");
	CHECK_EQ_INT(u.scheme, SIP_URI_OTHER);
	PARSE_OK(u, "sip2:x");
	CHECK_EQ_INT(u.scheme, SIP_URI_OTHER);

	PARSE_BAD("1abc:x");
	PARSE_BAD(":x");
	PARSE_BAD("abc");
	PARSE_BAD("abc:");
	PARSE_BAD("ab c:x");
	PARSE_BAD("a_b:x");
	PARSE_BAD("http://a b");
	PARSE_BAD("http://a<b");
	PARSE_BAD("http://a>b");
	PARSE_BAD("http://a\"b");
	PARSE_BAD("x:a\x7f");
	PARSE_BAD("x:\xc3\xa9");
	PARSE_BAD("x:a%zz");
	PARSE_BAD("x:a%4");
	PARSE_BAD("x:a\tb");
	PARSE_BAD("x:a\0b");
	PARSE_BAD("x:a{b}");
	PARSE_BAD("x:a|b");
	PARSE_BAD("x:a\\b");
	PARSE_BAD("x:a^b");
	PARSE_BAD("x:a`b");

	EQ("HTTP://www.example.com", "http://www.example.com");
	NEQ("http://www.example.com", "http://WWW.example.com");
	NEQ("http://www.example.com", "https://www.example.com");
	NEQ("isbn:2983792873", "isbn:2983792874");
}

/* sip: / sips: strings that must be rejected. */
static void test_rejects(void)
{
	static const struct pl bad[] = {
	        PL(""),
	        PL("sip"),
	        PL("sip:"),
	        PL("sips:"),
	        PL("sip:@host"),
	        PL("sip:user@"),
	        PL("sip::pass@host"),
	        PL("sip:host:99999"),
	        PL("sip:host:65536"),
	        PL("sip:host:4294967296"),
	        PL("sip:host:18446744073709551617"),
	        PL("sip:host:"),
	        PL("sip:host:abc"),
	        PL("sip:host:-1"),
	        PL("sip:host:+1"),
	        PL("sip:host:5060:5060"),
	        PL("sip:host:0x10"),
	        PL("sip:a%4@h"),
	        PL("sip:a%GG@h"),
	        PL("sip:a%@h"),
	        PL("sip:a:%4@h"),
	        PL("sip:h;p=%4"),
	        PL("sip:h;p%=4"),
	        PL("sip:h?a=%"),
	        PL("<sip:a@b>"),
	        PL("sip:a@b>"),
	        PL("sip: a@b"),
	        PL("sip:a@b "),
	        PL("sip :a@b"),
	        PL("sip:a b@c"),
	        PL("sip:a@b\r\n"),
	        PL("sip:a\t@b"),
	        PL("sip:a@b\x01"),
	        PL("sip:a\x7f@b"),
	        PL("sip:a\0b@host"),
	        PL("sip:a@host\0"),
	        PL("sip:a@ho\0st"),
	        PL("\0sip:a@host"),
	        PL("sip:\xc3\xa9@host"),
	        PL("sip:a@h\xc3\xa9.com"),
	        PL("sip:1.2.3.256"),
	        PL("sip:256.1.1.1"),
	        PL("sip:1.2.3"),
	        PL("sip:1.2.3.4.5"),
	        PL("sip:1234.1.1.1"),
	        PL("sip:1.2.3.4."),
	        PL("sip:example.123"),
	        PL("sip:-a.com"),
	        PL("sip:a-.com"),
	        PL("sip:a.-b.com"),
	        PL("sip:a..com"),
	        PL("sip:.com"),
	        PL("sip:."),
	        PL("sip:a.com.."),
	        PL("sip:host;"),
	        PL("sip:host;;lr"),
	        PL("sip:host;lr;"),
	        PL("sip:host;=x"),
	        PL("sip:host;a="),
	        PL("sip:host;a=b=c"),
	        PL("sip:host;a=\"b\""),
	        PL("sip:host;a b"),
	        PL("sip:host?"),
	        PL("sip:host?a"),
	        PL("sip:host?=b"),
	        PL("sip:host?a=b&"),
	        PL("sip:host?a=b&&c=d"),
	        PL("sip:host?a=b?c=d=e"),
	        PL("sip:host;lr?x=\"y\""),
	        PL("sip:us@er@host"),
	        PL("sip:a:b:c@host"),
	        PL("sip:a:p@ss@host"),
	        PL("sip:a:p;x@host"),
	        PL("sip:a#b@host"),
	        PL("sip:a[1]@host"),
	        PL("sip:user@host@"),
	        PL("sip:user@ho st"),
	        PL("sip:user@ho%41st"),
	        PL("sip:user@host/path"),
	        PL("sip:user@host#frag"),
	        PL("sips:[2001:db8:::192.0.2.1]"),
	        PL("sip://host"),
	};
	struct sip_uri u;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse_exact(&u, bad[i]);

		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  ... accepted '%.*s'\n",
			        (int)bad[i].l, bad[i].p);
		/* a failed parse leaves nothing behind */
		CHECK(absent(u.raw) && absent(u.host) && !u.has_port);
	}
	/* A NULL slice. */
	CHECK_EQ_INT(sip_uri_parse(&u, PL_NULL), -1);
	CHECK_EQ_INT(sip_uri_parse(&u, pl_make("sip:a@b", 0)), -1);
}

static void test_accepts(void)
{
	struct sip_uri u;
	struct pl v;

	PARSE_OK(u, "SIP:alice@Example.COM");
	CHECK_EQ_INT(u.scheme, SIP_URI_SIP);
	CHECK_PL(u.scheme_pl, "SIP");
	CHECK_PL(u.host, "Example.COM");
	PARSE_OK(u, "Sips:a@b.c");
	CHECK_EQ_INT(u.scheme, SIP_URI_SIPS);

	PARSE_OK(u, "sip:example.com;lr");
	CHECK(absent(u.user));
	CHECK_PL(u.host, "example.com");
	CHECK(sip_uri_param(&u, PL("lr"), &v));
	CHECK(absent(v));

	PARSE_OK(u, "sip:example.com.");
	CHECK_PL(u.host, "example.com.");
	PARSE_OK(u, "sip:_sip._udp.example.com");
	PARSE_OK(u, "sip:a_b.c_d");
	PARSE_OK(u, "sip:123.example.com");
	PARSE_OK(u, "sip:a@1.2.3.4.example.com");
	CHECK_EQ_INT(u.host_type, SIP_HOST_NAME);
	PARSE_OK(u, "sip:x");
	PARSE_OK(u, "sip:x-1.y-2");
	PARSE_OK(u, "sip:0.0.0.0");
	CHECK_EQ_INT(u.host_type, SIP_HOST_IPV4);
	PARSE_OK(u, "sip:001.02.3.040");
	CHECK_EQ_INT(u.host_type, SIP_HOST_IPV4);
	PARSE_OK(u, "sip:localhost:5060");
	CHECK_EQ_INT(u.port, 5060);

	PARSE_OK(u, "sip:a@b:0");
	CHECK(u.has_port);
	CHECK_EQ_INT(u.port, 0);
	PARSE_OK(u, "sip:a@b:65535");
	CHECK_EQ_INT(u.port, 65535);
	PARSE_OK(u, "sip:a@b:0000000005060");
	CHECK_EQ_INT(u.port, 5060);

	PARSE_OK(u, "sip:user:@host");
	CHECK_PL(u.user, "user");
	CHECK(u.password.p != NULL && u.password.l == 0);

	PARSE_OK(u, "sip:host?a=");
	CHECK_PL(u.headers, "a=");
	PARSE_OK(u, "sip:host;a=b?c=d&e=f");
	CHECK_PL(u.params, "a=b");
	CHECK_PL(u.headers, "c=d&e=f");
	PARSE_OK(u, "sip:host?to=sip:bob%40b.com&x=[/?:+$]");
	PARSE_OK(u, "sip:%41@b");
	CHECK_PL(u.user, "%41");
	PARSE_OK(u, "sip:host;maddr=[2001:db8::1];x=/:&+$");
	PARSE_OK(u, "sip:a-_.!~*'()&=+$,;?/b:-_.!~*'()&=+$,@host");
	CHECK_PL(u.user, "a-_.!~*'()&=+$,;?/b");
	CHECK_PL(u.password, "-_.!~*'()&=+$,");
	/* '?' and ';' before the '@' belong to the user part */
	PARSE_OK(u, "sip:host?x=a@b.com");
	CHECK_PL(u.user, "host?x=a");
	CHECK_PL(u.host, "b.com");
	CHECK(absent(u.headers));
}

static void test_long(void)
{
	static const char user_chars[] = "abcXYZ019-_.!~*'()&=+$,;?/";
	static char buf[8192];
	struct sip_uri u;
	size_t n = 0;

	memcpy(buf, "sip:", 4);
	n = 4;
	for (int i = 0; i < 2000; i++)
		buf[n++] = user_chars[i % (sizeof(user_chars) - 1)];
	memcpy(buf + n, "@example.com", 12);
	n += 12;
	CHECK_EQ_INT(parse_exact(&u, pl_make(buf, n)), 0);
	CHECK_EQ_INT(u.user.l, 2000);
	CHECK_PL(u.host, "example.com");

	/* A long hostname of many labels and a long escaped user. */
	n = 0;
	memcpy(buf, "sip:", 4);
	n = 4;
	for (int i = 0; i < 1000; i++) {
		memcpy(buf + n, "%41", 3);
		n += 3;
	}
	buf[n++] = '@';
	for (int i = 0; i < 500; i++) {
		memcpy(buf + n, "a1-b.", 5);
		n += 5;
	}
	memcpy(buf + n, "com:5061", 8);
	n += 8;
	CHECK_EQ_INT(parse_exact(&u, pl_make(buf, n)), 0);
	CHECK_EQ_INT(u.user.l, 3000);
	CHECK_EQ_INT(u.host.l, 2503);
	CHECK_EQ_INT(u.port, 5061);
}

static void test_param_lookup(void)
{
	struct sip_uri u;
	struct pl v;

	PARSE_OK(u, "sip:a@b;transport=TCP;lr;Maddr=10.0.0.1;"
	            "%6D%65thod=INVITE;x=1;x=2?lr2=1");
	CHECK(sip_uri_param(&u, PL("transport"), &v));
	CHECK_PL(v, "TCP");
	CHECK(sip_uri_param(&u, PL("TRANSPORT"), &v));
	CHECK_PL(v, "TCP");
	v = PL("junk");
	CHECK(sip_uri_param(&u, PL("lr"), &v));
	CHECK(absent(v));
	CHECK(sip_uri_param(&u, PL("maddr"), &v));
	CHECK_PL(v, "10.0.0.1");
	CHECK(sip_uri_param(&u, PL("method"), &v));
	CHECK_PL(v, "INVITE");
	CHECK(sip_uri_param(&u, PL("x"), &v));
	CHECK_PL(v, "1");
	v = PL("untouched");
	CHECK(!sip_uri_param(&u, PL("nope"), &v));
	CHECK_PL(v, "untouched");
	CHECK(!sip_uri_param(&u, PL("l"), &v));
	CHECK(!sip_uri_param(&u, PL("lrx"), &v));
	CHECK(!sip_uri_param(&u, PL("lr2"), &v));
	CHECK(!sip_uri_param(&u, PL(""), &v));
	CHECK(!sip_uri_param(&u, PL("transport=TCP"), &v));

	/* the name asked for is literal, the URI's is unescaped once */
	PARSE_OK(u, "sip:a@b;%41=1;%2542=2");
	CHECK(sip_uri_param(&u, PL("a"), &v));
	CHECK_PL(v, "1");
	CHECK(!sip_uri_param(&u, PL("%41"), &v));
	CHECK(sip_uri_param(&u, PL("%42"), &v));
	CHECK_PL(v, "2");
	CHECK(!sip_uri_param(&u, PL("b"), &v));

	PARSE_OK(u, "sip:a@b?x=1");
	CHECK(!sip_uri_param(&u, PL("x"), &v));
	PARSE_OK(u, "sip:a;x=1@b");
	CHECK(!sip_uri_param(&u, PL("x"), &v));
	PARSE_OK(u, "x:a;b=c");
	CHECK(!sip_uri_param(&u, PL("b"), &v));
}

static long unesc(struct pl in, char *out, size_t cap)
{
	/* exact-size copy of the input so over-reads are caught */
	char *buf = malloc(in.l ? in.l : 1);
	long n;

	if (!buf)
		abort();
	if (in.l)
		memcpy(buf, in.p, in.l);
	n = sip_unescape(pl_make(buf, in.l), out, cap);
	free(buf);
	return n;
}

static void test_unescape(void)
{
	char out[16];
	long n;

	CHECK_EQ_INT(unesc(PL("abc"), out, sizeof(out)), 3);
	CHECK(memcmp(out, "abc", 3) == 0);
	CHECK_EQ_INT(unesc(PL("%41%62"), out, sizeof(out)), 2);
	CHECK(memcmp(out, "Ab", 2) == 0);
	CHECK_EQ_INT(unesc(PL("%4a%4A%ff%FF"), out, sizeof(out)), 4);
	CHECK(memcmp(out, "JJ\xff\xff", 4) == 0);
	CHECK_EQ_INT(unesc(PL("%00"), out, sizeof(out)), 1);
	CHECK_EQ_INT(out[0], 0);
	CHECK_EQ_INT(unesc(PL("a%00b"), out, sizeof(out)), 3);
	CHECK(memcmp(out, "a\0b", 3) == 0);
	CHECK_EQ_INT(unesc(PL("a\0b"), out, sizeof(out)), 3);
	CHECK(memcmp(out, "a\0b", 3) == 0);
	/* once, never recursively */
	n = unesc(PL("%2541"), out, sizeof(out));
	CHECK_EQ_INT(n, 3);
	CHECK(memcmp(out, "%41", 3) == 0);
	/* malformed */
	CHECK_EQ_INT(unesc(PL("%"), out, sizeof(out)), -1);
	CHECK_EQ_INT(unesc(PL("%4"), out, sizeof(out)), -1);
	CHECK_EQ_INT(unesc(PL("ab%4"), out, sizeof(out)), -1);
	CHECK_EQ_INT(unesc(PL("%G1"), out, sizeof(out)), -1);
	CHECK_EQ_INT(unesc(PL("%1G"), out, sizeof(out)), -1);
	CHECK_EQ_INT(unesc(PL("%%41"), out, sizeof(out)), -1);
	CHECK_EQ_INT(unesc(PL("% 1"), out, sizeof(out)), -1);
	/* capacity */
	CHECK_EQ_INT(unesc(PL("abc"), out, 2), -1);
	CHECK_EQ_INT(unesc(PL("abc"), out, 3), 3);
	CHECK_EQ_INT(unesc(PL("%41%42"), out, 2), 2);
	CHECK_EQ_INT(unesc(PL("%41%42"), out, 1), -1);
	CHECK_EQ_INT(unesc(PL("%41"), out, 0), -1);
	CHECK_EQ_INT(unesc(PL(""), out, 0), 0);
	CHECK_EQ_INT(sip_unescape(PL_NULL, NULL, 0), 0);
	CHECK_EQ_INT(sip_unescape(PL(""), NULL, 0), 0);
}

/* Every slice of a parsed URI lies inside raw. */
static bool slices_inside(const struct sip_uri *u)
{
	const struct pl *s[] = {&u->scheme_pl, &u->user,   &u->password,
	                        &u->host,      &u->params, &u->headers,
	                        &u->opaque};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (!s[i]->p) {
			if (s[i]->l)
				return false;
			continue;
		}
		if (s[i]->p < u->raw.p ||
		    (size_t)(s[i]->p - u->raw.p) + s[i]->l > u->raw.l)
			return false;
	}
	return true;
}

/* Exercise a parsed URI over an exactly-sized buffer. */
static void poke(struct pl s, int *rc_out)
{
	char *buf = malloc(s.l ? s.l : 1);
	struct sip_uri u;
	struct pl v;
	int rc;

	if (!buf)
		abort();
	if (s.l)
		memcpy(buf, s.p, s.l);
	rc = sip_uri_parse(&u, pl_make(buf, s.l));
	if (rc == 0) {
		char tmp[256];

		CHECK(slices_inside(&u));
		CHECK(sip_uri_eq(&u, &u));
		(void)sip_uri_param(&u, PL("transport"), &v);
		(void)sip_uri_param(&u, PL("lr"), &v);
		(void)sip_unescape(u.user, tmp, sizeof(tmp));
		(void)sip_unescape(u.params, tmp, sizeof(tmp));
		(void)sip_unescape(u.headers, tmp, sizeof(tmp));
	} else {
		CHECK_EQ_INT(rc, -1);
	}
	free(buf);
	*rc_out = rc;
}

/* Every prefix of some valid URIs, each in an exactly-sized buffer. */
static void test_prefixes(void)
{
	static const struct pl uris[] = {
	        PL("sip:+14255550100@sbc1.contoso.com:5061;transport=tls;"
	           "user=phone"),
	        PL("sips:alice:pw%20x@[2001:db8::192.0.2.1]:5061;lr;maddr=x"
	           "?subject=project%20x&priority=urgent"),
	        PL("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:"
	           "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com"),
	        PL("sip:cal%6Cer@host5.example.net;%6C%72;"
	           "n%61me=v%61lue%25%34%31"),
	        PL("sip:user@192.0.2.4:5060"),
	        PL("sip:[::ffff:192.0.2.2]"),
	        PL("tel:863-1234;phone-context=+1-914-555;ext=12;isub=%41"),
	        PL("tel:7042;phone-context=example.com"),
	        PL("soap.beep://192.0.2.103:3002"),
	};
	int rc;

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		for (size_t l = 0; l <= uris[i].l; l++)
			poke(pl_make(uris[i].p, l), &rc);
		CHECK_EQ_INT(rc, 0); /* the full string */
	}
	/* A few prefixes that are themselves valid or invalid. */
	poke(PL("sip:user@192.0.2.4:"), &rc);
	CHECK_EQ_INT(rc, -1);
	poke(PL("sip:user@192.0.2"), &rc);
	CHECK_EQ_INT(rc, -1);
	poke(PL("sip:user@192.0.2."), &rc);
	CHECK_EQ_INT(rc, -1);
	poke(PL("sip:user@192.0.2.4"), &rc);
	CHECK_EQ_INT(rc, 0);
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

/* Random mutations of valid URIs: no crash, no over-read, and every
 * accepted result is self-consistent. */
static void test_mutations(void)
{
	static const char *const seeds[] = {
	        ("sip:+14255550100@sbc1.contoso.com:5061;transport=tls;"
	         "user=phone"),
	        "sips:a:b@[2001:db8::1]:5061;lr?x=y&z=%41",
	        "sip:example.com;lr",
	        "tel:863-1234;phone-context=+1-914-555;ext=12",
	        "http://www.example.com/a?b#c",
	};
	static const char alpha[] = "sip:@[]:;=?&%0123456789abcdefABCDEF.-_+"
	                            "tel/#<> \"\t\x80";
	uint32_t seed = 12345;
	char buf[128];
	int rc, ok = 0;

	for (int iter = 0; iter < 40000; iter++) {
		const char *s = seeds[lcg(&seed) % 5];
		size_t n = strlen(s);
		int muts = 1 + (int)(lcg(&seed) % 3);

		memcpy(buf, s, n);
		for (int m = 0; m < muts; m++) {
			size_t at = n ? lcg(&seed) % n : 0;
			char c = alpha[lcg(&seed) % (sizeof(alpha) - 1)];

			switch (lcg(&seed) % 4) {
			case 0: /* replace */
				if (n)
					buf[at] = c;
				break;
			case 1: /* insert */
				if (n < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			case 2: /* delete */
				if (n) {
					memmove(buf + at, buf + at + 1,
					        n - at - 1);
					n--;
				}
				break;
			default: /* truncate */
				n = at;
				break;
			}
		}
		poke(pl_make(buf, n), &rc);
		ok += rc == 0;
	}
	/* Not a correctness claim, just that the mutations are not all
	 * trivially rejected. */
	CHECK(ok > 1000);
}

int main(void)
{
	RUN(test_typical);
	RUN(test_rfc3261_examples);
	RUN(test_rfc3261_equivalent);
	RUN(test_rfc3261_not_equivalent);
	RUN(test_eq_rules);
	RUN(test_eq_many_params);
	RUN(test_rfc4475);
	RUN(test_ipv6);
	RUN(test_tel);
	RUN(test_other_schemes);
	RUN(test_rejects);
	RUN(test_accepts);
	RUN(test_long);
	RUN(test_param_lookup);
	RUN(test_unescape);
	RUN(test_prefixes);
	RUN(test_mutations);
	return test_summary();
}
