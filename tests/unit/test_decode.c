/* test_decode.c: the typed decoders (sip_decode.h) and sip_msg_validate,
 * on ACS / Genesys style values, LWS-heavy variants and hostile input.
 *
 * Every input is copied into an exactly sized heap buffer first, so ASan
 * reports any read past the end of a slice. argv[1], when given, is the
 * shared testdata folder (RFC 4475 / RFC 5118 messages).
 */
#include "sip/msg/sip_decode.h"
#include "tests/test.h"

#include <stdlib.h>

#define NHDR 64

static const char *testdata;

/* --- exactly sized heap copies -------------------------------------------- */

#define MAXALLOC 256
static char *allocs[MAXALLOC];
static int nallocs;

static struct pl heap(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	if (!p || nallocs == MAXALLOC)
		abort();
	if (n)
		memcpy(p, s, n);
	allocs[nallocs++] = p;
	return pl_make(p, n);
}

#define H(lit) heap(lit, sizeof(lit) - 1)

static void heap_free(void)
{
	while (nallocs > 0)
		free(allocs[--nallocs]);
}

/* --- messages ------------------------------------------------------------- */

struct tmsg {
	struct sip_msg m;
	struct sip_hdr h[NHDR];
	struct sip_parse_error err;
	enum sip_parse_result r;
	struct pl buf;
};

static struct sip_msg *tparse(struct tmsg *t, const char *s, size_t n)
{
	t->buf = heap(s, n);
	sip_msg_init(&t->m, t->h, NHDR);
	t->r = sip_msg_parse(&t->m, t->buf.p, t->buf.l, SIP_PARSE_DATAGRAM,
	                     NULL, &t->err);
	return &t->m;
}

#define PARSE(t, lit) tparse(t, lit, sizeof(lit) - 1)

/* Parse (must succeed), then validate. */
static int vmsg(const char *s, size_t n, struct sip_parse_error *err)
{
	struct tmsg t;

	tparse(&t, s, n);
	CHECK_EQ_INT(t.r, SIP_PARSE_OK);
	if (t.r != SIP_PARSE_OK)
		return -2;
	return sip_msg_validate(&t.m, err);
}

#define VALIDATE(lit, err) vmsg(lit, sizeof(lit) - 1, err)

/* Offset of needle in a literal (test data only). */
static size_t find(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++) {
		if (memcmp(hay + i, needle, k) == 0)
			return i;
	}
	return (size_t)-1;
}

#define REQ(method)                                                            \
	method " sip:+14255550123@sbc1.contoso.com:5061 SIP/2.0\r\n"           \
	       "Via: SIP/2.0/TLS 52.112.10.20:5061;branch=z9hG4bKdec1\r\n"     \
	       "Max-Forwards: 70\r\n"                                          \
	       "From: <sip:+12065550199@sip.pstnhub.microsoft.com>;tag=f1\r\n" \
	       "To: <sip:+14255550123@sbc1.contoso.com>\r\n"                   \
	       "Call-ID: dec-1@acs\r\n"                                        \
	       "CSeq: 1 " method "\r\n"
#define END       "Content-Length: 0\r\n\r\n"
#define INV(hdrs) REQ("INVITE") hdrs END
#define RESP(hdrs)                                                             \
	"SIP/2.0 200 OK\r\n"                                                   \
	"Via: SIP/2.0/TLS 52.112.10.20:5061;branch=z9hG4bKdec1\r\n"            \
	"From: <sip:+12065550199@sip.pstnhub.microsoft.com>;tag=f1\r\n"        \
	"To: <sip:+14255550123@sbc1.contoso.com>;tag=t1\r\n"                   \
	"Call-ID: dec-1@acs\r\n"                                               \
	"CSeq: 1 INVITE\r\n" hdrs END

/* --- History-Info --------------------------------------------------------- */

#define ACS_HI                                                                 \
	"<sip:+14255550100@sip.pstnhub.microsoft.com:5061;user=phone"          \
	"?Reason=SIP%3Bcause%3D302%3Btext%3D%22Moved%22>;index=1,"             \
	"<sip:+14255550199@sip.pstnhub.microsoft.com:5061;user=phone>"         \
	";index=1.1"

static void test_history_info_acs(void)
{
	struct tmsg t;
	struct sip_msg *m = PARSE(&t, INV("History-Info: " ACS_HI "\r\n"));
	struct sip_list_iter it;
	struct sip_history_info hi;
	struct pl el;

	CHECK_EQ_INT(t.r, SIP_PARSE_OK);
	sip_list_iter_init(&it, m, SIP_HDR_HISTORY_INFO);
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1);
	CHECK_EQ_INT(sip_history_info_decode(&hi, el), 0);
	CHECK_PL(hi.addr.uri.user, "+14255550100");
	CHECK_PL(hi.addr.uri.host, "sip.pstnhub.microsoft.com");
	CHECK_PL(hi.index, "1");
	CHECK_EQ_INT(hi.depth, 1);
	CHECK_EQ_INT(hi.level[0], 1);
	CHECK_PL(hi.reason, "SIP%3Bcause%3D302%3Btext%3D%22Moved%22");
	CHECK_EQ_INT(hi.cause, 302);
	CHECK(!hi.privacy);
	CHECK(!hi.rc.p && !hi.mp.p && !hi.np.p);

	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1);
	CHECK_EQ_INT(sip_history_info_decode(&hi, el), 0);
	CHECK_PL(hi.addr.uri.user, "+14255550199");
	CHECK_PL(hi.index, "1.1");
	CHECK_EQ_INT(hi.depth, 2);
	CHECK_EQ_INT(hi.level[0], 1);
	CHECK_EQ_INT(hi.level[1], 1);
	CHECK(!hi.reason.p);
	CHECK_EQ_INT(hi.cause, 0);
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 0);
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 0);
	CHECK_EQ_INT(sip_msg_validate(m, NULL), 0);
}

static void test_history_info_params(void)
{
	struct sip_history_info hi;

	CHECK_EQ_INT(
	        sip_history_info_decode(
	                &hi,
	                H("<sip:bob@example.com?Privacy=history&Reason="
	                  "Q.850%3Bcause%3D16%2CSIP%3Bcause%3D480>;index=1.2.3;"
	                  "rc=1.2 ; foo=bar")),
	        0);
	CHECK(hi.privacy);
	CHECK_EQ_INT(hi.depth, 3);
	CHECK_EQ_INT(hi.level[2], 3);
	CHECK_PL(hi.rc, "1.2");
	CHECK_PL(hi.reason, "Q.850%3Bcause%3D16%2CSIP%3Bcause%3D480");
	CHECK_EQ_INT(hi.cause, 480); /* the SIP one, not the Q.850 one */
	/* header names are case-insensitive; Privacy=none is not history */
	CHECK_EQ_INT(
	        sip_history_info_decode(
	                &hi, H("<sip:b@x?privacy=none&REASON=SIP%3Bcause%3D486>"
	                       ";mp=1;index=65535.2")),
	        0);
	CHECK(!hi.privacy);
	CHECK_EQ_INT(hi.cause, 486);
	CHECK_EQ_INT(hi.level[0], 65535);
	CHECK_PL(hi.mp, "1");
	CHECK_EQ_INT(
	        sip_history_info_decode(
	                &hi, H("\"Bob\" <tel:+14255550100>;np=1;index=1.1")),
	        0);
	CHECK_PL(hi.np, "1");
	/* 16 levels is the maximum */
	CHECK_EQ_INT(sip_history_info_decode(
	                     &hi, H("<sip:b@x>;index="
	                            "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16")),
	             0);
	CHECK_EQ_INT(hi.depth, 16);
	CHECK_EQ_INT(hi.level[15], 16);
	/* LWS around ';' and '=' */
	CHECK_EQ_INT(
	        sip_history_info_decode(&hi, H("<sip:b@x> ;\r\n index = 1.1")),
	        0);
	CHECK_PL(hi.index, "1.1");
}

static void test_history_info_hostile(void)
{
	static const char *const bad[] = {
	        "<sip:b@x>",       /* no index */
	        "sip:b@x;index=1", /* not a name-addr */
	        "<sip:b@x>;index=1..2",
	        "<sip:b@x>;index=.1",
	        "<sip:b@x>;index=1.",
	        "<sip:b@x>;index=0",
	        "<sip:b@x>;index=1.0",
	        "<sip:b@x>;index=65536",
	        "<sip:b@x>;index=99999999999999999999",
	        "<sip:b@x>;index=1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17",
	        "<sip:b@x>;index=\"1\"",
	        "<sip:b@x>;index",
	        "<sip:b@x>;index=",
	        "<sip:b@x>;index=1;index=1",
	        "<sip:b@x>;index=1;rc=1..1",
	        "<sip:b@x>;index=1;rc",
	        "<sip:b@x>;index=1;mp=1;mp=1",
	        "<sip:b@x>;;index=1",
	        "<sip:b@x>;index=1;",
	        "<sip:b@x;index=1",
	        "<sip:b@x?Reason=SIP%3Bcause%3D99999999999>;index=1",
	        "<sip:b@x?Reason=SIP%3Btext%3D%22unterminated>;index=1",
	        "<sip:b@x?Reason=SIP%3Bcause%3D302%00>;index=1",
	        "<sip:b@x?Reason=>;index=1",
	        "<sip:b@x?Reason=SIP%3B%3B>;index=1",
	        "<sip:b@x?Reason=SIP%3Bcause%3D302%2C>;index=1",
	        "<sip:b@x?Reason=SIP%3Bcause%3D3%ZZ>;index=1",
	        "",
	};
	struct sip_history_info hi;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sip_history_info_decode(&hi,
		                                 heap(bad[i], strlen(bad[i])));
		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	CHECK_EQ_INT(sip_history_info_decode(&hi, PL_NULL), -1);
}

/* --- Diversion ------------------------------------------------------------ */

static void test_diversion(void)
{
	struct sip_diversion d;
	struct tmsg t;
	struct sip_list_iter it;
	struct pl el;
	struct sip_msg *m;

	CHECK_EQ_INT(
	        sip_diversion_decode(
	                &d, H("<sip:+14255550100@host>;reason=unconditional;"
	                      "counter=1;privacy=off")),
	        0);
	CHECK_PL(d.addr.uri.user, "+14255550100");
	CHECK_PL(d.reason, "unconditional");
	CHECK_PL(d.privacy, "off");
	CHECK(!d.screen.p);
	CHECK_EQ_INT(d.counter, 1);
	CHECK(d.has_counter);
	CHECK(!d.has_limit);

	/* quoted reason (stored without quotes), no counter: 1 */
	CHECK_EQ_INT(
	        sip_diversion_decode(
	                &d, H("\"Smith, John\" <sip:a@example.com> ; reason = "
	                      "\"user-busy\" ; "
	                      "screen=yes;limit=99;x-ext;x-v=\"q\"")),
	        0);
	CHECK_PL(d.reason, "user-busy");
	CHECK_PL(d.screen, "yes");
	CHECK_EQ_INT(d.counter, 1);
	CHECK(!d.has_counter);
	CHECK(d.has_limit);
	CHECK_EQ_INT(d.limit, 99);
	CHECK_PL(d.addr.display, "\"Smith, John\"");

	CHECK_EQ_INT(
	        sip_diversion_decode(&d, H("<tel:+14255550100>;counter=07")),
	        0);
	CHECK_EQ_INT(d.counter, 7);

	/* a list across the field, the display name's comma kept inside */
	m = PARSE(&t, INV("Diversion: \"Smith, John\" <sip:a@example.com>;"
	                  "reason=no-answer;counter=2, <sip:b@example.com>"
	                  ";reason=user-busy\r\n"));
	sip_list_iter_init(&it, m, SIP_HDR_DIVERSION);
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1);
	CHECK_EQ_INT(sip_diversion_decode(&d, el), 0);
	CHECK_PL(d.reason, "no-answer");
	CHECK_EQ_INT(d.counter, 2);
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1);
	CHECK_EQ_INT(sip_diversion_decode(&d, el), 0);
	CHECK_PL(d.reason, "user-busy");
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 0);
	CHECK_EQ_INT(sip_msg_validate(m, NULL), 0);

	static const char *const bad[] = {
	        "sip:a@example.com;reason=unconditional", /* name-addr only */
	        "<sip:a@example.com>;counter=100",
	        "<sip:a@example.com>;counter=001",
	        "<sip:a@example.com>;counter=4294967296",
	        "<sip:a@example.com>;counter=99999999999999999999999",
	        "<sip:a@example.com>;counter=-1",
	        "<sip:a@example.com>;counter",
	        "<sip:a@example.com>;counter=1;counter=2",
	        "<sip:a@example.com>;limit=1a",
	        "<sip:a@example.com>;reason",
	        "<sip:a@example.com>;reason=\"unterminated",
	        "<sip:a@example.com>;reason=a;reason=b",
	        "<sip:a@example.com>;reason=[::1]",
	        "<sip:a@example.com>;;reason=a",
	        "<sip:a@example.com>;reason=a;;",
	        "<sip:a@example.com>;privacy=\"a\"b",
	        "\"unterminated <sip:a@example.com>;reason=a",
	        "<sip:a@example.com>;reason=a junk",
	        "<sip:a@example.com",
	        "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sip_diversion_decode(&d, heap(bad[i], strlen(bad[i])));
		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
}

/* --- Refer-To / Referred-By / Replaces ------------------------------------ */

#define G36 "6f2a9c1e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"
#define LONG_REFER_URI                                                         \
	"sip:sip.pstnhub.microsoft.com:5061;transport=tls;x-m=8:acs:" G36      \
	"_" G36 "_" G36 ";x-c=" G36 G36 G36 "/d/8/" G36 ";x-i=" G36 G36
#define LONG_REFER "<" LONG_REFER_URI ">"

static void test_refer_to(void)
{
	struct sip_refer_to r;
	struct sip_replaces rp;
	struct pl v;
	struct tmsg t;
	struct sip_msg *m;
	char buf[256];
	long n;

	v = H("<sip:bob@example.com?Replaces=12345%40192.168.118.3%3B"
	      "to-tag%3D12345%3Bfrom-tag%3D5FFE-3994>");
	CHECK_EQ_INT(sip_refer_to_decode(&r, v), 0);
	CHECK(r.addr.angle);
	CHECK_PL(r.addr.uri.user, "bob");
	CHECK_PL(r.replaces, "12345%40192.168.118.3%3Bto-tag%3D12345%3B"
	                     "from-tag%3D5FFE-3994");
	/* the caller unescapes and decodes it */
	n = sip_unescape(r.replaces, buf, sizeof(buf));
	CHECK(n > 0);
	if (n > 0) {
		CHECK_EQ_INT(sip_replaces_decode(&rp, pl_make(buf, (size_t)n)),
		             0);
		CHECK_PL(rp.call_id, "12345@192.168.118.3");
		CHECK_PL(rp.to_tag, "12345");
		CHECK_PL(rp.from_tag, "5FFE-3994");
		CHECK(!rp.early_only);
	}

	/* header names case-insensitive, other headers ignored */
	CHECK_EQ_INT(
	        sip_refer_to_decode(
	                &r, H("\"Bob\" <sip:bob@example.com?Require=replaces&"
	                      "replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2>;x=y")),
	        0);
	CHECK_PL(r.replaces, "a%3Bto-tag%3D1%3Bfrom-tag%3D2");
	CHECK_PL(r.addr.params, "x=y");

	/* addr-spec form, no Replaces */
	CHECK_EQ_INT(sip_refer_to_decode(&r, H("sip:carol@example.com")), 0);
	CHECK(!r.addr.angle);
	CHECK(!r.replaces.p);

	/* ACS sends long Refer-To URIs: byte-identical slices */
	CHECK(sizeof(LONG_REFER) - 1 >= 400);
	v = H(LONG_REFER);
	CHECK_EQ_INT(sip_refer_to_decode(&r, v), 0);
	CHECK_EQ_INT(r.addr.uri_pl.l, sizeof(LONG_REFER) - 3);
	CHECK(r.addr.uri_pl.p == v.p + 1);
	CHECK(memcmp(r.addr.uri_pl.p, LONG_REFER_URI,
	             sizeof(LONG_REFER_URI) - 1) == 0);
	CHECK_PL(r.addr.uri.host, "sip.pstnhub.microsoft.com");
	m = PARSE(&t, REQ("REFER") "Refer-To: " LONG_REFER "\r\n"
	                           "Referred-By: "
	                           "<sip:+12065550199@sip.pstnhub.microsoft.com"
	                           ">\r\n" END);
	CHECK_EQ_INT(t.r, SIP_PARSE_OK);
	CHECK_EQ_INT(sip_refer_to_decode(
	                     &r, sip_msg_hdr(m, SIP_HDR_REFER_TO)->value),
	             0);
	CHECK_PL(r.addr.uri_pl, LONG_REFER_URI);
	CHECK_EQ_INT(sip_msg_validate(m, NULL), 0);

	static const char *const bad[] = {
	        /* '?' needs the name-addr form (RFC 3261 20.10) */
	        "sip:bob@example.com?Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2",
	        /* the embedded Replaces has no from-tag */
	        "<sip:bob@example.com?Replaces=a%3Bto-tag%3D1>",
	        /* two embedded Replaces */
	        ("<sip:b@x?Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2&"
	         "Replaces=c%3Bto-tag%3D1%3Bfrom-tag%3D2>"),
	        "<sip:b@x?Replaces>",
	        "<sip:b@x>;;",
	        "<sip:b@x",
	        "<>",
	        "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sip_refer_to_decode(&r, heap(bad[i], strlen(bad[i])));
		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
}

static void test_replaces(void)
{
	struct sip_replaces r;

	CHECK_EQ_INT(sip_replaces_decode(
	                     &r, H("98732@sip.example.com;from-tag=r33th4x0r;"
	                           "to-tag=ff87ff;early-only")),
	             0);
	CHECK_PL(r.call_id, "98732@sip.example.com");
	CHECK_PL(r.from_tag, "r33th4x0r");
	CHECK_PL(r.to_tag, "ff87ff");
	CHECK(r.early_only);
	CHECK_EQ_INT(
	        sip_replaces_decode(
	                &r,
	                H("  abc  ;\r\n to-tag = 1 ; FROM-TAG=2 ; x=\"y\"  ")),
	        0);
	CHECK_PL(r.call_id, "abc");
	CHECK_PL(r.to_tag, "1");
	CHECK_PL(r.from_tag, "2");
	CHECK(!r.early_only);

	static const char *const bad[] = {
	        "abc;to-tag=1",
	        "abc;from-tag=2",
	        "abc",
	        ";to-tag=1;from-tag=2",
	        "a@b@c;to-tag=1;from-tag=2",
	        "@b;to-tag=1;from-tag=2",
	        "a@;to-tag=1;from-tag=2",
	        "abc;to-tag=1;to-tag=3;from-tag=2",
	        "abc;to-tag=\"1\";from-tag=2",
	        "abc;to-tag=;from-tag=2",
	        "abc;to-tag;from-tag=2",
	        "abc;to-tag=1;from-tag=2;early-only=yes",
	        "abc;to-tag=1;from-tag=2;early-only;early-only",
	        "abc;to-tag=1;;from-tag=2",
	        "abc def;to-tag=1;from-tag=2",
	        "abc;to-tag=1;from-tag=2,x",
	        "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sip_replaces_decode(&r, heap(bad[i], strlen(bad[i])));
		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	CHECK_EQ_INT(
	        VALIDATE(INV("Replaces: a@b;to-tag=1;from-tag=2\r\n"), NULL),
	        0);
}

/* --- Reason --------------------------------------------------------------- */

static void test_reason(void)
{
	struct sip_reason r;
	struct sip_parse_error err;

	CHECK_EQ_INT(
	        sip_reason_decode(
	                &r, H("SIP;cause=487;text=\"Request Terminated\"")),
	        0);
	CHECK_PL(r.protocol, "SIP");
	CHECK(r.has_cause);
	CHECK_EQ_INT(r.cause, 487);
	CHECK_PL(r.text, "Request Terminated");
	CHECK_PL(r.params, "cause=487;text=\"Request Terminated\"");

	CHECK_EQ_INT(sip_reason_decode(&r, H("Q.850;cause=16")), 0);
	CHECK_PL(r.protocol, "Q.850");
	CHECK_EQ_INT(r.cause, 16);
	CHECK(!r.text.p);

	CHECK_EQ_INT(
	        sip_reason_decode(
	                &r,
	                H("SIP ;\r\n cause = 200 ; text = \"a \\\" b\"; x")),
	        0);
	CHECK_EQ_INT(r.cause, 200);
	CHECK_PL(r.text, "a \\\" b");
	CHECK_EQ_INT(sip_reason_decode(&r, H("preemption")), 0);
	CHECK(!r.has_cause);
	CHECK_EQ_INT(sip_reason_decode(&r, H("SIP;cause=65535")), 0);
	CHECK_EQ_INT(sip_reason_decode(&r, H("SIP;text=\"\"")), 0);
	CHECK(r.text.p && r.text.l == 0);

	static const char *const bad[] = {
	        "SIP;cause=99999999999",
	        "SIP;cause=65536",
	        "SIP;cause=4294967296",
	        "SIP;cause=",
	        "SIP;cause",
	        "SIP;cause=-1",
	        "SIP;cause=1;cause=2",
	        "SIP;text=\"unterminated",
	        "SIP;text=notquoted",
	        "SIP;text=\"a\";text=\"b\"",
	        "SIP;;cause=1",
	        "SIP;cause=1;",
	        "SIP cause=1",
	        "\"SIP\";cause=1",
	        ";cause=1",
	        "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sip_reason_decode(&r, heap(bad[i], strlen(bad[i])));
		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	/* NUL inside the quoted text */
	CHECK_EQ_INT(sip_reason_decode(&r, H("SIP;cause=1;text=\"a\0b\"")), -1);

	/* a Reason list in a BYE */
	CHECK_EQ_INT(VALIDATE(REQ("BYE") "Reason: Q.850;cause=16;text="
	                                 "\"Normal, clearing\", "
	                                 "SIP;cause=200\r\n" END,
	                      NULL),
	             0);
	CHECK_EQ_INT(
	        VALIDATE(REQ("BYE") "Reason: Q.850;cause=16,\r\n" END, &err),
	        -1);
	CHECK_EQ_INT(err.status, 400);
	CHECK(err.reason && strcmp(err.reason, "malformed Reason") == 0);
}

/* --- Session-Expires, Min-SE, RSeq, RAck, Retry-After, delta-seconds ------ */

static void test_session_expires(void)
{
	struct sip_session_expires se;

	CHECK_EQ_INT(sip_session_expires_decode(&se, H("1800;refresher=uac")),
	             0);
	CHECK_EQ_INT(se.delta, 1800);
	CHECK(se.refresher == SIP_REFRESHER_UAC);
	CHECK_EQ_INT(sip_session_expires_decode(
	                     &se, H("  90 ;\r\n\trefresher\t=\r\n UAS ; x=1 ")),
	             0);
	CHECK_EQ_INT(se.delta, 90);
	CHECK(se.refresher == SIP_REFRESHER_UAS);
	CHECK_EQ_INT(sip_session_expires_decode(&se, H("4294967295")), 0);
	CHECK_EQ_INT(se.delta, 4294967295u);
	CHECK(se.refresher == SIP_REFRESHER_NONE);

	static const char *const bad[] = {
	        "4294967296",
	        "1800;refresher=both",
	        "1800;refresher",
	        "1800;refresher=uac;refresher=uas",
	        "1800 uac",
	        "uac",
	        "",
	        "-1",
	        "1800;;",
	        "1800;refresher=\"uac\"",
	        "18 00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sip_session_expires_decode(
		        &se, heap(bad[i], strlen(bad[i])));
		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}

	/* in messages, with the compact form and folds */
	CHECK_EQ_INT(VALIDATE(INV("x:\r\n 1800\r\n ;refresher=uac\r\n"
	                          "Min-SE: 90;foo=bar\r\n"),
	                      NULL),
	             0);
	CHECK_EQ_INT(VALIDATE(INV("Min-SE: 90 seconds\r\n"), NULL), -1);
}

static void test_rack(void)
{
	struct sip_rack r;

	CHECK_EQ_INT(sip_rack_decode(&r, H("776656 1 INVITE")), 0);
	CHECK_EQ_INT(r.rseq, 776656);
	CHECK_EQ_INT(r.cseq, 1);
	CHECK_PL(r.method, "INVITE");
	CHECK_EQ_INT(
	        sip_rack_decode(&r, H(" 4294967295 \r\n\t4294967295\t\tFOO ")),
	        0);
	CHECK_EQ_INT(r.rseq, 4294967295u);
	CHECK_PL(r.method, "FOO");

	static const char *const bad[] = {
	        "776656 1",     "776656 INVITE",       "1 1INVITE",
	        "1INVITE 1",    "4294967296 1 INVITE", "1 4294967296 INVITE",
	        "1 1 INVITE x", "1 1 IN,VITE",         "",
	        "a 1 INVITE",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sip_rack_decode(&r, heap(bad[i], strlen(bad[i])));
		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	CHECK_EQ_INT(VALIDATE(REQ("PRACK") "RAck: 1 1 INVITE\r\n" END, NULL),
	             0);
	CHECK_EQ_INT(VALIDATE(REQ("PRACK") "RAck: 1 INVITE\r\n" END, NULL), -1);
	CHECK_EQ_INT(VALIDATE(RESP("RSeq: 4294967295\r\n"), NULL), 0);
	CHECK_EQ_INT(VALIDATE(RESP("RSeq: 4294967296\r\n"), NULL), -1);
}

static void test_retry_after(void)
{
	uint32_t s = 0;

	CHECK_EQ_INT(sip_retry_after_decode(
	                     &s, H("120 (I'm in a meeting);duration=60")),
	             0);
	CHECK_EQ_INT(s, 120);
	CHECK_EQ_INT(sip_retry_after_decode(&s, H("18000;duration=3600")), 0);
	CHECK_EQ_INT(s, 18000);
	CHECK_EQ_INT(sip_retry_after_decode(
	                     &s, H("5(nested (comment) \\) ok)\r\n ; x")),
	             0);
	CHECK_EQ_INT(s, 5);
	CHECK_EQ_INT(sip_retry_after_decode(&s, H("0")), 0);
	CHECK_EQ_INT(s, 0);

	static const char *const bad[] = {
	        "120 (unterminated",
	        "120 (a (b)",
	        "120 (a) (b)",
	        "120 a",
	        "120;duration=x",
	        "120;duration",
	        "120;duration=1;duration=2",
	        "120;;",
	        "(x) 120",
	        "949302838503028349304023988",
	        "",
	        "120 (a\\",
	        "120 (a\r\nb)",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sip_retry_after_decode(&s,
		                                heap(bad[i], strlen(bad[i])));
		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	CHECK_EQ_INT(sip_retry_after_decode(&s, H("1 (a\0b)")), -1);
	CHECK_EQ_INT(VALIDATE(RESP("Retry-After: 120 (I'm in a meeting)"
	                           ";duration=60\r\n"),
	                      NULL),
	             0);
}

static void test_uint(void)
{
	uint32_t n = 7;
	struct sip_parse_error err;

	CHECK_EQ_INT(sip_uint_decode(&n, H("0")), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(sip_uint_decode(&n, H(" 3600 ")), 0);
	CHECK_EQ_INT(n, 3600);
	CHECK_EQ_INT(sip_uint_decode(&n, H("0004294967295")), 0);
	CHECK_EQ_INT(n, 4294967295u);
	CHECK_EQ_INT(sip_uint_decode(&n, H("4294967296")), -1);
	CHECK_EQ_INT(sip_uint_decode(&n, H("100000000000000000000000000000"
	                                   "000000000000000000000000")),
	             -1);
	CHECK_EQ_INT(sip_uint_decode(&n, H("")), -1);
	CHECK_EQ_INT(sip_uint_decode(&n, H("-1")), -1);
	CHECK_EQ_INT(sip_uint_decode(&n, H("1 2")), -1);
	CHECK_EQ_INT(sip_uint_decode(&n, H("60;x")), -1);
	CHECK_EQ_INT(sip_uint_decode(&n, H("6\0")), -1);
	CHECK_EQ_INT(sip_uint_decode(&n, PL_NULL), -1);

	CHECK_EQ_INT(
	        VALIDATE(REQ("REGISTER") "Contact: *\r\nExpires: 0\r\n" END,
	                 NULL),
	        0);
	CHECK_EQ_INT(VALIDATE(REQ("REGISTER") "Expires: 1000000000000000000"
	                                      "0000\r\n" END,
	                      &err),
	             -1);
	CHECK(err.reason && strcmp(err.reason, "malformed Expires") == 0);
	CHECK_EQ_INT(VALIDATE(RESP("Min-Expires: 60\r\n"), NULL), 0);
	CHECK_EQ_INT(VALIDATE(RESP("Min-Expires: sixty\r\n"), &err), -1);
	CHECK_EQ_INT(err.status, 0); /* a response: drop, no answer */
	CHECK(err.reason && strcmp(err.reason, "malformed Min-Expires") == 0);
}

/* --- token lists ---------------------------------------------------------- */

static void test_tokens(void)
{
	struct tmsg t;
	struct sip_msg *m;

	CHECK_EQ_INT(sip_token_list_validate(H("timer, 100rel")), 0);
	CHECK_EQ_INT(sip_token_list_validate(H("timer")), 0);
	CHECK_EQ_INT(sip_token_list_validate(H("")), 0);
	CHECK_EQ_INT(sip_token_list_validate(H("a ,\r\n b,c")), 0);
	CHECK_EQ_INT(sip_token_list_validate(H("a,,b")), -1);
	CHECK_EQ_INT(sip_token_list_validate(H("a,")), -1);
	CHECK_EQ_INT(sip_token_list_validate(H(",a")), -1);
	CHECK_EQ_INT(sip_token_list_validate(H("a b")), -1);
	CHECK_EQ_INT(sip_token_list_validate(H("a;b")), -1);
	CHECK_EQ_INT(sip_token_list_validate(H("\"a\"")), -1);
	CHECK_EQ_INT(sip_token_list_validate(H("ti\0mer")), -1);

	m = PARSE(&t, INV("Supported: timer, 100rel\r\n"
	                  "k: Replaces\r\nRequire:  timer \r\n"));
	CHECK_EQ_INT(t.r, SIP_PARSE_OK);
	CHECK(sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("timer")));
	CHECK(sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("TIMER")));
	CHECK(sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("100REL")));
	CHECK(sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("replaces")));
	CHECK(!sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("path")));
	CHECK(!sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("time")));
	CHECK(!sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("")));
	CHECK(sip_msg_has_tag(m, SIP_HDR_REQUIRE, PL("timer")));
	CHECK(!sip_msg_has_tag(m, SIP_HDR_PROXY_REQUIRE, PL("timer")));
	CHECK(!sip_msg_has_tag(m, SIP_HDR_UNSUPPORTED, PL("timer")));
	CHECK_EQ_INT(sip_msg_validate(m, NULL), 0);

	CHECK_EQ_INT(VALIDATE(INV("Supported:\r\nAllow:\r\n"), NULL), 0);
	CHECK_EQ_INT(VALIDATE(INV("Require:\r\n"), NULL), -1);
	CHECK_EQ_INT(VALIDATE(INV("Proxy-Require: a,,b\r\n"), NULL), -1);
	CHECK_EQ_INT(VALIDATE(INV("Allow: INVITE ACK\r\n"), NULL), -1);
	CHECK_EQ_INT(VALIDATE(INV("Unsupported: foo\r\n"), NULL), 0);
}

/* --- Contact, Route and the iterators ------------------------------------- */

static void test_contact(void)
{
	struct sip_parse_error err;
	struct sip_list_iter it;
	struct sip_addr a;
	struct tmsg t;
	struct sip_msg *m;

	/* three values across two fields */
	m = PARSE(&t, REQ("REGISTER") "Contact: <sip:a@192.0.2.1>;expires=60, "
	                              "\"B, b\" "
	                              "<sip:b@192.0.2.2>\r\n"
	                              "Max-Forwards-Dummy: x\r\n"
	                              "m: sip:c@192.0.2.3;q=0.5\r\n" END);
	CHECK_EQ_INT(t.r, SIP_PARSE_OK);
	sip_list_iter_init(&it, m, SIP_HDR_CONTACT);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 1);
	CHECK_PL(a.uri.user, "a");
	CHECK_PL(a.params, "expires=60");
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 1);
	CHECK_PL(a.uri.user, "b");
	CHECK_PL(a.display, "\"B, b\"");
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 1);
	CHECK_PL(a.uri.user, "c");
	CHECK(!a.angle);
	CHECK_PL(a.params, "q=0.5");
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 0);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 0);
	CHECK_EQ_INT(sip_msg_validate(m, NULL), 0);

	/* '*' alone */
	m = PARSE(&t, REQ("REGISTER") "Contact:  * \r\nExpires: 0\r\n" END);
	sip_list_iter_init(&it, m, SIP_HDR_CONTACT);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 1);
	CHECK(a.star);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 0);
	CHECK_EQ_INT(sip_msg_validate(m, NULL), 0);

	/* '*' mixed with another value, in one field or two */
	m = PARSE(&t, REQ("REGISTER") "Contact: *, <sip:a@b>\r\n" END);
	sip_list_iter_init(&it, m, SIP_HDR_CONTACT);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), -1);
	CHECK_EQ_INT(sip_msg_validate(m, &err), -1);
	CHECK_EQ_INT(err.status, 400);
	CHECK(err.reason && strcmp(err.reason, "malformed Contact") == 0);
	CHECK_EQ_INT(VALIDATE(REQ("REGISTER") "Contact: <sip:a@b>\r\n"
	                                      "Contact: *\r\n" END,
	                      NULL),
	             -1);
	/* '*' is no URI anywhere else */
	CHECK_EQ_INT(VALIDATE(INV("P-Asserted-Identity: *\r\n"), NULL), -1);

	/* empty elements and fields */
	m = PARSE(&t, INV("Contact: <sip:a@b>,,<sip:c@d>\r\n"));
	sip_list_iter_init(&it, m, SIP_HDR_CONTACT);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 1);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), -1);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 1);
	CHECK_PL(a.uri.user, "c");
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 0);
	CHECK_EQ_INT(sip_msg_validate(m, NULL), -1);
	CHECK_EQ_INT(VALIDATE(INV("Contact: <sip:a@b>,\r\n"), NULL), -1);
	CHECK_EQ_INT(VALIDATE(INV("Contact:\r\n"), NULL), -1);
	CHECK_EQ_INT(VALIDATE(INV("Contact: <sip:a@b>;;\r\n"), NULL), -1);
	CHECK_EQ_INT(
	        VALIDATE(INV("Contact: \"unterminated <sip:a@b>\r\n"), NULL),
	        -1);
	/* RFC 4475 regbadct: addr-spec with '?' */
	CHECK_EQ_INT(VALIDATE(REQ("REGISTER") "Contact: sip:user@example.com"
	                                      "?Route=%3Csip:sip.example.com%"
	                                      "3E\r\n" END,
	                      NULL),
	             -1);
	CHECK_EQ_INT(VALIDATE(REQ("REGISTER") "Contact: <sip:user@example.com"
	                                      "?Route=%3Csip:sip.example.com%"
	                                      "3E>\r\n" END,
	                      NULL),
	             0);
}

static void test_list_iter(void)
{
	struct sip_list_iter it;
	struct tmsg t;
	struct sip_msg *m;
	struct pl el;

	m = PARSE(&t, INV("Reason: a,,b ,\r\nX-Other: q\r\nReason:\r\n"
	                  "Reason: \"x,y\";p=<1,2>, c\r\n"));
	CHECK_EQ_INT(t.r, SIP_PARSE_OK);
	sip_list_iter_init(&it, m, SIP_HDR_REASON);
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1);
	CHECK_PL(el, "a");
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1);
	CHECK_PL(el, "");
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1);
	CHECK_PL(el, "b");
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1); /* after the last ',' */
	CHECK_PL(el, "");
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1); /* the empty field */
	CHECK_PL(el, "");
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1);
	CHECK_PL(el, "\"x,y\";p=<1,2>");
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 1);
	CHECK_PL(el, "c");
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 0);

	/* an id with no field */
	sip_list_iter_init(&it, m, SIP_HDR_PATH);
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 0);
	/* out of range ids are no fields either */
	sip_list_iter_init(&it, m, SIP_HDR__COUNT);
	CHECK_EQ_INT(sip_list_iter_next(&it, &el), 0);
}

static void test_route(void)
{
	struct sip_parse_error err;
	struct sip_list_iter it;
	struct sip_addr a;
	struct tmsg t;
	struct sip_msg *m;

	m = PARSE(&t, INV("Route: <sip:p1.example.com;lr>,<sip:p2.example.com;"
	                  "lr>\r\nRecord-Route: <sip:[2001:db8::1]:5061;lr>\r\n"
	                  "Path: <sip:edge.example.com;lr>\r\n"));
	CHECK_EQ_INT(t.r, SIP_PARSE_OK);
	sip_list_iter_init(&it, m, SIP_HDR_ROUTE);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 1);
	CHECK_PL(a.uri.host, "p1.example.com");
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 1);
	CHECK_PL(a.uri.host, "p2.example.com");
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), 0);
	CHECK_EQ_INT(sip_msg_validate(m, NULL), 0);

	/* Route without <> */
	m = PARSE(&t, INV("Route: sip:p1.example.com;lr\r\n"));
	sip_list_iter_init(&it, m, SIP_HDR_ROUTE);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &a), -1);
	CHECK_EQ_INT(sip_msg_validate(m, &err), -1);
	CHECK_EQ_INT(err.status, 400);
	CHECK(err.reason && strcmp(err.reason, "malformed Route") == 0);
	CHECK_EQ_INT(
	        VALIDATE(INV("Record-Route: sip:p1.example.com\r\n"), NULL),
	        -1);
	CHECK_EQ_INT(
	        VALIDATE(INV("Path: <sip:p1.example.com>, sip:x\r\n"), NULL),
	        -1);
	CHECK_EQ_INT(
	        VALIDATE(INV("Route: <sip:p1.example.com;lr>, *\r\n"), NULL),
	        -1);
	/* addresses: PAI list, Reply-To single */
	CHECK_EQ_INT(VALIDATE(INV("P-Asserted-Identity: \"A\" <sip:a@b>, "
	                          "<tel:+14255550100>\r\n"
	                          "P-Preferred-Identity: sip:a@b\r\n"
	                          "Reply-To: Bob <sip:bob@example.com>\r\n"),
	                      NULL),
	             0);
	CHECK_EQ_INT(VALIDATE(INV("P-Asserted-Identity: <sip:a@b\r\n"), &err),
	             -1);
	CHECK(err.reason &&
	      strcmp(err.reason, "malformed P-Asserted-Identity") == 0);
}

/* --- Date, Event ---------------------------------------------------------- */

static void test_date_event(void)
{
	struct sip_parse_error err;

	CHECK_EQ_INT(
	        VALIDATE(INV("Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"), NULL),
	        0);
	CHECK_EQ_INT(
	        VALIDATE(INV("Date: Thu, 29 Feb 2024 00:00:00 GMT\r\n"), NULL),
	        0);
	CHECK_EQ_INT(
	        VALIDATE(INV("Date: Fri, 01 Jan 2010 16:00:00 EST\r\n"), &err),
	        -1);
	CHECK_EQ_INT(err.status, 400);
	CHECK(err.reason && strcmp(err.reason, "malformed Date") == 0);
	static const char *const bad[] = {
	        "Date: sat, 13 Nov 2010 23:29:00 GMT",
	        "Date: Sat, 13 nov 2010 23:29:00 GMT",
	        "Date: Sat, 13 Nov 2010 23:29:00 gmt",
	        "Date: Sat, 13 Nov 2010 23:29:00 UTC",
	        "Date: Sat 13 Nov 2010 23:29:00 GMT",
	        "Date: Sat, 3 Nov 2010 23:29:00 GMT",
	        "Date: Sat,  13 Nov 2010 23:29:00 GMT",
	        "Date: Sat, 13 Nov 2010 24:00:00 GMT",
	        "Date: Sat, 13 Nov 2010 23:60:00 GMT",
	        "Date: Sat, 13 Nov 2010 23:29:60 GMT",
	        "Date: Sat, 00 Nov 2010 23:29:00 GMT",
	        "Date: Sat, 31 Nov 2010 23:29:00 GMT",
	        "Date: Sun, 29 Feb 2100 23:29:00 GMT",
	        "Date: Sat, 13 Nov 10 23:29:00 GMT",
	        "Date: Sat, 13 Nov 2010 23:29 GMT",
	        "Date: Saturday, 13-Nov-10 23:29:00 GMT",
	        "Date: Sat, 13 Nov 2010 23:29:00 GMT x",
	        "Date: Sat, 13 Nov 2O10 23:29:00 GMT",
	        "Date: Sat, 13 Nov 2010 2a:29:00 GMT",
	        "Date:",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char msg[512];
		int n = snprintf(msg, sizeof(msg), "%s%s\r\n%s", REQ("INVITE"),
		                 bad[i], END);
		int rc = vmsg(msg, (size_t)n, NULL);
		CHECK_EQ_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}

	CHECK_EQ_INT(VALIDATE(REQ("SUBSCRIBE") "Event: presence\r\n" END, NULL),
	             0);
	CHECK_EQ_INT(
	        VALIDATE(REQ("NOTIFY") "o: refer;id=93809824\r\n" END, NULL),
	        0);
	CHECK_EQ_INT(VALIDATE(REQ("SUBSCRIBE") "Event: presence.winfo ; "
	                                       "x=\"y\"\r\n" END,
	                      NULL),
	             0);
	CHECK_EQ_INT(VALIDATE(REQ("SUBSCRIBE") "Event: presence..winfo\r\n" END,
	                      NULL),
	             -1);
	CHECK_EQ_INT(
	        VALIDATE(REQ("SUBSCRIBE") "Event: .presence\r\n" END, NULL),
	        -1);
	CHECK_EQ_INT(
	        VALIDATE(REQ("SUBSCRIBE") "Event: presence.\r\n" END, NULL),
	        -1);
	CHECK_EQ_INT(
	        VALIDATE(REQ("NOTIFY") "Event: refer;id=\"1\"\r\n" END, NULL),
	        -1);
	CHECK_EQ_INT(VALIDATE(REQ("NOTIFY") "Event: refer;id\r\n" END, NULL),
	             -1);
	CHECK_EQ_INT(VALIDATE(REQ("NOTIFY") "Event: a b\r\n" END, NULL), -1);
	CHECK_EQ_INT(VALIDATE(REQ("NOTIFY") "Event:\r\n" END, NULL), -1);
}

/* --- sip_msg_validate: errors, offsets, duplicates ------------------------ */

#define BAD_CONTACT "\r\n\r\n" INV("Contact: <sip:a@b>;;\r\n")

static void test_validate_errors(void)
{
	struct sip_parse_error err;
	struct tmsg t;
	struct sip_msg *m;

	/* offsets count from the buffer given to sip_msg_parse, leading
	 * CRLFs included (as parse.c does) */
	m = PARSE(&t, BAD_CONTACT);
	CHECK_EQ_INT(t.r, SIP_PARSE_OK);
	CHECK_EQ_INT(sip_msg_validate(m, &err), -1);
	CHECK_EQ_INT(err.status, 400);
	CHECK(err.reason && strcmp(err.reason, "malformed Contact") == 0);
	CHECK_EQ_INT(err.offset,
	             find(BAD_CONTACT, sizeof(BAD_CONTACT) - 1, "<sip:a@b>;;"));
	CHECK_EQ_INT(sip_msg_validate(m, NULL), -1);

	/* the first malformed field in message order wins; the offset is
	 * the element's */
	CHECK_EQ_INT(VALIDATE(INV("Supported: timer\r\n"
	                          "Contact: <sip:a@b>, <sip:x\r\n"
	                          "Date: bad\r\n"),
	                      &err),
	             -1);
	CHECK(err.reason && strcmp(err.reason, "malformed Contact") == 0);

	/* a response: status 0 (drop) */
	CHECK_EQ_INT(VALIDATE(RESP("Contact: <sip:a@b>;;\r\n"), &err), -1);
	CHECK_EQ_INT(err.status, 0);
	CHECK(err.reason && strcmp(err.reason, "malformed Contact") == 0);

	/* single-valued typed headers may not repeat */
	CHECK_EQ_INT(VALIDATE(INV("Session-Expires: 1800\r\n"
	                          "x: 1800\r\n"),
	                      &err),
	             -1);
	CHECK(err.reason &&
	      strcmp(err.reason, "duplicate Session-Expires") == 0);
	CHECK_EQ_INT(VALIDATE(REQ("REFER") "Refer-To: <sip:a@b>\r\n"
	                                   "r: <sip:c@d>\r\n" END,
	                      &err),
	             -1);
	CHECK(err.reason && strcmp(err.reason, "duplicate Refer-To") == 0);
	CHECK_EQ_INT(VALIDATE(INV("Replaces: a;to-tag=1;from-tag=2\r\n"
	                          "Replaces: a;to-tag=1;from-tag=2\r\n"),
	                      &err),
	             -1);
	CHECK(err.reason && strcmp(err.reason, "duplicate Replaces") == 0);

	/* each typed header names itself */
	static const struct {
		const char *hdr;
		const char *reason;
	} cases[] = {
	        {"Diversion: <sip:a@b>;counter=100", "malformed Diversion"},
	        {"History-Info: <sip:a@b>;index=1..2",
	         "malformed History-Info"},
	        {"Refer-To: <sip:a@b", "malformed Refer-To"},
	        {"b: <sip:a@b>;;", "malformed Referred-By"},
	        {"Replaces: abc;to-tag=1", "malformed Replaces"},
	        {"Reason: SIP;cause=99999999999", "malformed Reason"},
	        {"Session-Expires: 1800;refresher=me",
	         "malformed Session-Expires"},
	        {"Min-SE: -90", "malformed Min-SE"},
	        {"RSeq: 1.5", "malformed RSeq"},
	        {"RAck: 1 2", "malformed RAck"},
	        {"Expires: 4294967296", "malformed Expires"},
	        {"Retry-After: 120 (x", "malformed Retry-After"},
	        {"Allow: INVITE;x", "malformed Allow"},
	        {"Supported: a b", "malformed Supported"},
	        {"Require: ,", "malformed Require"},
	        {"Proxy-Require: \"x\"", "malformed Proxy-Require"},
	        {"Unsupported: a/b", "malformed Unsupported"},
	        {"Date: Sat, 13 Nov 2010 23:29:00 EST", "malformed Date"},
	        {"Event: a..b", "malformed Event"},
	        {"Path: sip:a@b", "malformed Path"},
	        {"Record-Route: <sip:a@b>,", "malformed Record-Route"},
	        {"Reply-To: <sip:a@b>, <sip:c@d>", "malformed Reply-To"},
	        {"P-Preferred-Identity: <>", "malformed P-Preferred-Identity"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[512];
		const char *h = cases[i].hdr;
		int n = snprintf(msg, sizeof(msg), "%s%s\r\n%s", REQ("INVITE"),
		                 h, END);
		memset(&err, 0, sizeof(err));
		int rc = vmsg(msg, (size_t)n, &err);
		CHECK_EQ_INT(rc, -1);
		CHECK_EQ_INT(err.status, 400);
		CHECK(err.reason && strcmp(err.reason, cases[i].reason) == 0);
		if (rc != -1 || !err.reason ||
		    strcmp(err.reason, cases[i].reason) != 0)
			fprintf(stderr, "  case: %s -> %s\n", h,
			        err.reason ? err.reason : "(none)");
	}

	/* unknown and extension headers are not looked at */
	CHECK_EQ_INT(VALIDATE(INV("X-Weird: ;;,,;;,;\r\n"
	                          "UnknownHeader: <sip:\r\n"
	                          "Subject:\r\n"),
	                      NULL),
	             0);
}

/* --- files: the shipped examples and the shared test suites --------------- */

/* fopen/fread into a buffer of exactly the file size (NULL if absent). */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long sz;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(sz ? (size_t)sz : 1);
		if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)sz;
	}
	fclose(f);
	return buf;
}

/* Parse a file (datagram) and validate it. Returns 1 when absent, 2 when
 * the parser refuses it, else sip_msg_validate's result. */
static int validate_file(const char *path, struct sip_parse_error *err)
{
	struct sip_hdr hdr[NHDR];
	struct sip_msg m;
	size_t len = 0;
	char *buf = read_file(path, &len);
	int rc;

	if (!buf)
		return 1;
	sip_msg_init(&m, hdr, NHDR);
	if (sip_msg_parse(&m, buf, len, SIP_PARSE_DATAGRAM, NULL, err) !=
	    SIP_PARSE_OK)
		rc = 2;
	else
		rc = sip_msg_validate(&m, err);
	free(buf);
	return rc;
}

/* The repository root, from this file's path (absolute under cmake). */
static void repo_path(char *out, size_t cap, const char *rel)
{
	const char *f = __FILE__;
	size_t n = strlen(f), k = strlen("tests/unit/test_decode.c");

	if (n >= k && strcmp(f + n - k, "tests/unit/test_decode.c") == 0)
		n -= k;
	else
		n = 0;
	snprintf(out, cap, "%.*s%s", (int)n, f, rel);
}

static void test_examples(void)
{
	static const char *const ok[] = {
	        "examples/messages/acs-invite.sip",
	        "examples/messages/acs-200-ok.sip",
	        "examples/messages/genesys-invite.sip",
	};
	struct sip_parse_error err;
	char path[4096];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		repo_path(path, sizeof(path), ok[i]);
		int rc = validate_file(path, &err);
		if (rc == 1) {
			printf("     (skipped: %s not found)\n", path);
			continue;
		}
		CHECK_EQ_INT(rc, 0);
		if (rc != 0)
			fprintf(stderr, "  %s: %s\n", ok[i],
			        err.reason ? err.reason : "");
	}
	/* the realistic ACS INVITE with a bad Contact spliced in */
	CHECK_EQ_INT(
	        VALIDATE(
	                "INVITE sip:+14255550123@sbc1.contoso.com:5061;"
	                "user=phone;transport=tls SIP/2.0\r\n"
	                "Via: SIP/2.0/TLS "
	                "52.112.10.20:5061;branch=z9hG4bKac8f;rport\r\n"
	                "Max-Forwards: 69\r\n"
	                "Record-Route: "
	                "<sip:sip-du-a-us.pstnhub.microsoft.com:5061;"
	                "transport=tls;lr>\r\n"
	                "From: \"Alice Smith\" "
	                "<sip:+12065550199@sip.pstnhub.microsoft.com"
	                ":5061;user=phone>;tag=8f3d7c2a1b9e4f60\r\n"
	                "To: "
	                "<sip:+14255550123@sbc1.contoso.com:5061;user=phone>"
	                "\r\n"
	                "Call-ID: 4c1a7e9f2b3d4e5f60718293a4b5c6d7\r\n"
	                "CSeq: 1 INVITE\r\n"
	                "Contact: "
	                "<sip:api-du-a-usea.pstnhub.microsoft.com:443;x-i=6f2a>"
	                ";;\r\n"
	                "Supported: timer, 100rel\r\n"
	                "Session-Expires: 1800;refresher=uac\r\n"
	                "Content-Length: 0\r\n\r\n",
	                &err),
	        -1);
	CHECK_EQ_INT(err.status, 400);
	CHECK(err.reason && strcmp(err.reason, "malformed Contact") == 0);
}

static void test_rfc4475(void)
{
	/* valid per RFC 4475 (and RFC 5118): whatever the parser accepts
	 * must validate */
	static const char *const valid[] = {
	        "rfc4475/wsinv",
	        "rfc4475/intmeth",
	        "rfc4475/esc01",
	        "rfc4475/escnull",
	        "rfc4475/esc02",
	        "rfc4475/lwsdisp",
	        "rfc4475/longreq",
	        "rfc4475/dblreq",
	        "rfc4475/semiuri",
	        "rfc4475/transports",
	        "rfc4475/mpart01",
	        "rfc4475/unreason",
	        "rfc4475/noreason",
	        "rfc4475/unkscm",
	        "rfc4475/novelsc",
	        "rfc4475/unksm2",
	        "rfc4475/bext01",
	        "rfc4475/invut",
	        "rfc4475/regaut01",
	        "rfc4475/bcast",
	        "rfc4475/zeromf",
	        "rfc4475/cparam01",
	        "rfc4475/cparam02",
	        "rfc4475/regescrt",
	        "rfc4475/sdp01",
	        "rfc4475/inv2543",
	        "rfc5118/ipv6-good",
	        "rfc5118/port-ambiguous",
	        "rfc5118/port-unambiguous",
	        "rfc5118/via-received-param-with-delim",
	        "rfc5118/via-received-param-no-delim",
	        "rfc5118/ipv6-in-sdp",
	        "rfc5118/mult-ip-in-header",
	        "rfc5118/mult-ip-in-sdp",
	        "rfc5118/ipv4-mapped-ipv6",
	        "rfc5118/ipv6-correct-abnf-2-colons",
	};
	/* invalid ones this layer must catch when the parser does not */
	static const struct {
		const char *name;
		const char *reason;
	} invalid[] = {
	        {"rfc4475/regbadct", "malformed Contact"},
	        {"rfc4475/baddate", "malformed Date"},
	        {"rfc4475/badinv01", NULL},
	};
	struct sip_parse_error err;
	char path[4096];
	int found = 0;

	if (!testdata) {
		printf("     (skipped: no testdata folder given)\n");
		return;
	}
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.dat", testdata, valid[i]);
		int rc = validate_file(path, &err);
		found += rc != 1;
		if (rc == 1 || rc == 2)
			continue;
		CHECK_EQ_INT(rc, 0);
		if (rc != 0)
			fprintf(stderr, "  %s: %s\n", valid[i],
			        err.reason ? err.reason : "");
	}
	CHECK(found > 0);
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.dat", testdata,
		         invalid[i].name);
		memset(&err, 0, sizeof(err));
		int rc = validate_file(path, &err);
		if (rc == 1)
			continue;
		/* refused by the parser (2) or by validation (-1) */
		CHECK(rc == 2 || rc == -1);
		CHECK_EQ_INT(err.status, 400);
		if (rc == -1 && invalid[i].reason)
			CHECK(err.reason &&
			      strcmp(err.reason, invalid[i].reason) == 0);
	}
	/* regbadct parses (the Contact is only checked on demand) and is
	 * rejected here with 400 */
	snprintf(path, sizeof(path), "%s/rfc4475/regbadct.dat", testdata);
	{
		int rc = validate_file(path, &err);
		if (rc != 1) {
			CHECK_EQ_INT(rc, -1);
			CHECK_EQ_INT(err.status, 400);
		}
	}
}

/* Slices inside a larger buffer: nothing past their end is looked at. */
static void test_slice_bounds(void)
{
	struct pl b = H("123;x Sat, 13 Nov 2010 23:29:00 GMTX");
	struct sip_reason r;
	uint32_t n = 0;

	CHECK_EQ_INT(sip_uint_decode(&n, pl_make(b.p, 3)), 0);
	CHECK_EQ_INT(n, 123);
	CHECK_EQ_INT(sip_uint_decode(&n, pl_make(b.p, 2)), 0);
	CHECK_EQ_INT(n, 12);
	CHECK_EQ_INT(sip_uint_decode(&n, pl_make(b.p, 5)), -1);
	b = H("SIP;cause=4870");
	CHECK_EQ_INT(sip_reason_decode(&r, pl_make(b.p, b.l - 1)), 0);
	CHECK_EQ_INT(r.cause, 487);
	b = H("SIP;text=\"abc\"");
	CHECK_EQ_INT(sip_reason_decode(&r, pl_make(b.p, b.l - 1)), -1);
}

/* lex.h documents the NULL slice as the "no params" value of lex_params
 * and the start of sip_param_next; it must be usable as such (under
 * clang's UBSan, lex.c computes NULL + 0 here before checking). */
static void test_lex_null_params(void)
{
	struct sip_param prm;
	struct pl cur = PL_NULL, v;

	CHECK(!sip_param_next(&cur, &prm));
	CHECK(!sip_param_find(PL_NULL, PL("tag"), &v));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		testdata = argv[1];
#define T(fn)                                                                  \
	do {                                                                   \
		RUN(fn);                                                       \
		heap_free();                                                   \
	} while (0)
	T(test_history_info_acs);
	T(test_history_info_params);
	T(test_history_info_hostile);
	T(test_diversion);
	T(test_refer_to);
	T(test_replaces);
	T(test_reason);
	T(test_session_expires);
	T(test_rack);
	T(test_retry_after);
	T(test_uint);
	T(test_tokens);
	T(test_contact);
	T(test_list_iter);
	T(test_route);
	T(test_date_event);
	T(test_validate_errors);
	T(test_slice_bounds);
	T(test_lex_null_params);
	T(test_examples);
	T(test_rfc4475);
#undef T
	return test_summary();
}
