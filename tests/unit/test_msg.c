/* test_msg.c: the message parser (framing, limits, eager set) and the
 * builder, including round trips both ways. */
#include "sip/msg/sip_build.h"
#include "sip/msg/sip_decode.h"
#include "tests/test.h"

#include <stdlib.h>

#define NHDR 64

static struct sip_hdr hdrs[NHDR];

/* Parse from an exactly sized heap copy, so ASan sees any over-read. */
static enum sip_parse_result parse_n(struct sip_msg *m, const char *s, size_t n,
                                     enum sip_parse_mode mode,
                                     const struct sip_limits *lim,
                                     struct sip_parse_error *err, char **copy)
{
	*copy = malloc(n ? n : 1);
	memcpy(*copy, s, n);
	sip_msg_init(m, hdrs, NHDR);
	return sip_msg_parse(m, *copy, n, mode, lim, err);
}

#define INVITE                                                                 \
	"INVITE sip:+14255550123@sbc1.contoso.com:5061;user=phone SIP/2.0\r\n" \
	"Via: SIP/2.0/TLS 52.112.10.20:5061;branch=z9hG4bKabc;rport\r\n"       \
	"v: SIP/2.0/TLS 10.0.0.1;branch=z9hG4bKdef, SIP/2.0/UDP h\r\n"         \
	"Max-Forwards: 69\r\n"                                                 \
	"f: \"Alice\" <sip:+12065550199@sip.pstnhub.microsoft.com>;tag=a1\r\n" \
	"t: <sip:+14255550123@sbc1.contoso.com>\r\n"                           \
	"i: call-1@acs\r\n"                                                    \
	"CSeq: 1 INVITE\r\n"                                                   \
	"m: <sip:api.pstnhub.microsoft.com:443>\r\n"                           \
	"X-MS-Custom-Queue: billing\r\n"                                       \
	"c: application/sdp\r\n"                                               \
	"l: 5\r\n"                                                             \
	"\r\n"                                                                 \
	"v=0\r\n"

static void test_eager_fields(void)
{
	struct sip_msg m;
	struct sip_parse_error err;
	char *buf;

	CHECK_EQ_INT(parse_n(&m, INVITE, sizeof(INVITE) - 1, SIP_PARSE_DATAGRAM,
	                     NULL, &err, &buf),
	             SIP_PARSE_OK);
	CHECK(m.request);
	CHECK(m.method_id == SIP_METHOD_INVITE);
	CHECK_PL(m.ruri.user, "+14255550123");
	CHECK_PL(m.ruri.host, "sbc1.contoso.com");
	CHECK_EQ_INT(m.ruri.port, 5061);
	CHECK_PL(m.via.branch, "z9hG4bKabc");
	CHECK(m.via.rport);
	CHECK(m.via.transport == SIP_TP_TLS);
	CHECK_PL(m.via.host, "52.112.10.20");
	CHECK_EQ_INT(m.via.port, 5061);
	CHECK_EQ_INT(m.via_count, 3);
	CHECK_EQ_INT(m.max_forwards, 69);
	CHECK_PL(m.from.display, "\"Alice\"");
	CHECK_PL(m.from.tag, "a1");
	CHECK(!m.to.tag.p);
	CHECK_PL(m.call_id, "call-1@acs");
	CHECK_EQ_INT(m.cseq, 1);
	CHECK(m.cseq_method_id == SIP_METHOD_INVITE);
	CHECK_PL(m.content_type, "application/sdp");
	CHECK_EQ_INT(m.content_length, 5);
	CHECK_PL(m.body, "v=0\r\n");
	/* compact and long forms map to the same id */
	CHECK(sip_msg_hdr(&m, SIP_HDR_CONTACT) != NULL);
	CHECK_PL(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->name, "i");
	const struct sip_hdr *v = sip_msg_hdr(&m, SIP_HDR_VIA);
	CHECK(v && sip_msg_hdr_next(&m, v) &&
	      !sip_msg_hdr_next(&m, sip_msg_hdr_next(&m, v)));
	const struct sip_hdr *x = sip_msg_hdr_name(&m, PL("x-ms-custom-queue"));
	CHECK(x && x->id == SIP_HDR_OTHER && sip_hdr_is_x(x->name));
	CHECK_PL(x->value, "billing");
	free(buf);
}

static void test_header_lookup(void)
{
	/* every row's full name in any case, and its compact form */
	for (int id = 1; id < SIP_HDR__COUNT; id++) {
		const struct sip_hdr_def *d = sip_hdr_def((enum sip_hdr_id)id);
		char up[64];
		for (size_t i = 0; i < d->name_len; i++)
			up[i] = (char)((d->name[i] >= 'a' && d->name[i] <= 'z')
			                       ? d->name[i] - 32
			                       : d->name[i]);
		CHECK_EQ_INT(sip_hdr_lookup(pl_make(d->name, d->name_len)), id);
		CHECK_EQ_INT(sip_hdr_lookup(pl_make(up, d->name_len)), id);
		if (d->compact) {
			char c = d->compact;
			CHECK_EQ_INT(sip_hdr_lookup(pl_make(&c, 1)), id);
		}
	}
	CHECK_EQ_INT(sip_hdr_lookup(PL("C%6Fntact")), SIP_HDR_OTHER);
	CHECK_EQ_INT(sip_hdr_lookup(PL("Contacts")), SIP_HDR_OTHER);
	CHECK_EQ_INT(sip_hdr_lookup(PL("z")), SIP_HDR_OTHER);
	CHECK_EQ_INT(sip_hdr_lookup(PL("X-Genesys-Foo")), SIP_HDR_OTHER);
}

/* Stream framing: every strict prefix is INCOMPLETE, the whole message is
 * OK, and a second message right behind it starts at m.consumed. */
static void test_stream_framing(void)
{
	static const char two[] = "\r\n" INVITE "OPTIONS sip:a@b SIP/2.0\r\n"
	                          "Via: SIP/2.0/TCP h;branch=z9hG4bKx\r\n"
	                          "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
	                          "Call-ID: c\r\nCSeq: 2 OPTIONS\r\n"
	                          "Content-Length: 0\r\n\r\n";
	size_t first = 2 + sizeof(INVITE) - 1;
	struct sip_msg m;
	struct sip_parse_error err;
	char *buf;

	for (size_t n = 0; n < first; n++) {
		enum sip_parse_result r =
		        parse_n(&m, two, n, SIP_PARSE_STREAM, NULL, &err, &buf);
		if (r != SIP_PARSE_INCOMPLETE) {
			fprintf(stderr, "prefix %zu: %d\n", n, r);
			CHECK(!"prefix incomplete");
		}
		free(buf);
	}
	CHECK_EQ_INT(parse_n(&m, two, sizeof(two) - 1, SIP_PARSE_STREAM, NULL,
	                     &err, &buf),
	             SIP_PARSE_OK);
	CHECK_EQ_INT(m.consumed, first);
	CHECK(m.method_id == SIP_METHOD_INVITE);
	struct sip_msg m2;
	sip_msg_init(&m2, hdrs, NHDR);
	CHECK_EQ_INT(sip_msg_parse(&m2, buf + m.consumed,
	                           sizeof(two) - 1 - m.consumed,
	                           SIP_PARSE_STREAM, NULL, &err),
	             SIP_PARSE_OK);
	CHECK(m2.method_id == SIP_METHOD_OPTIONS);
	CHECK_EQ_INT(m2.consumed, sizeof(two) - 1 - m.consumed);
	free(buf);
}

static void expect_bad(const char *s, size_t n, enum sip_parse_mode mode,
                       const struct sip_limits *lim, int status,
                       const char *why)
{
	struct sip_msg m;
	struct sip_parse_error err;
	char *buf;
	enum sip_parse_result r = parse_n(&m, s, n, mode, lim, &err, &buf);

	if (r != SIP_PARSE_MALFORMED || err.status != status) {
		fprintf(stderr, "%s: result %d status %d (%s), want %d\n", why,
		        r, err.status, err.reason ? err.reason : "-", status);
		CHECK(!"expected malformed");
	} else {
		CHECK(err.reason != NULL);
	}
	free(buf);
}

#define REQ_HEAD                                                               \
	"OPTIONS sip:sbc1.contoso.com SIP/2.0\r\n"                             \
	"Via: SIP/2.0/TLS h;branch=z9hG4bK1\r\n"                               \
	"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\n"             \
	"CSeq: 7 OPTIONS\r\n"

static void test_limits(void)
{
	struct sip_limits lim = SIP_LIMITS_DEFAULT;
	static const char ok[] = REQ_HEAD "Content-Length: 0\r\n\r\n";
	static const char body[] = REQ_HEAD "Content-Length: 600\r\n\r\n";
	char big[600];

	lim.max_headers = 5;
	expect_bad(ok, sizeof(ok) - 1, SIP_PARSE_DATAGRAM, &lim, 513,
	           "header count");
	lim = SIP_LIMITS_DEFAULT;
	lim.max_header_len = 20;
	expect_bad(ok, sizeof(ok) - 1, SIP_PARSE_STREAM, &lim, 513,
	           "header length");
	lim = SIP_LIMITS_DEFAULT;
	lim.max_msg_size = 100;
	expect_bad(ok, sizeof(ok) - 1, SIP_PARSE_STREAM, &lim, 513,
	           "message size, stream");
	lim.max_msg_size = 300;
	expect_bad(body, sizeof(body) - 1, SIP_PARSE_STREAM, &lim, 413,
	           "body over the limit is refused before it arrives");
	/* an unterminated header block over the size limit is not waited for */
	memset(big, 'a', sizeof(big));
	memcpy(big, REQ_HEAD "X-Pad: ", sizeof(REQ_HEAD "X-Pad: ") - 1);
	expect_bad(big, sizeof(big), SIP_PARSE_STREAM, &lim, 513,
	           "endless header block");
	lim = SIP_LIMITS_DEFAULT;
	lim.max_vias = 1;
	static const char vias[] = REQ_HEAD "Via: SIP/2.0/TLS a, SIP/2.0/TLS b"
	                                    "\r\nContent-Length: 0\r\n\r\n";
	expect_bad(vias, sizeof(vias) - 1, SIP_PARSE_DATAGRAM, &lim, 513,
	           "via count");
}

static void test_malformed(void)
{
#define BAD(s, st, why)                                                        \
	expect_bad(s, sizeof(s) - 1, SIP_PARSE_DATAGRAM, NULL, st, why)
	BAD(REQ_HEAD "Content-Length: 0\r\nContent-Length: 0\r\n\r\n", 400,
	    "duplicate Content-Length");
	BAD(REQ_HEAD "Content-Length: 1x\r\n\r\nab", 400, "bad CL");
	BAD(REQ_HEAD "Content-Length: 99999999999\r\n\r\n", 400, "CL range");
	BAD(REQ_HEAD "Max-Forwards: 256\r\n\r\n", 400, "Max-Forwards > 255");
	BAD(REQ_HEAD "Bad Name: x\r\n\r\n", 400, "space in header name");
	BAD(REQ_HEAD "NoColon\r\n\r\n", 400, "no colon");
	BAD(REQ_HEAD "X-A: a\rb\r\n\r\n", 400, "bare CR");
	BAD(" Folded: x\r\n" REQ_HEAD "\r\n", 400, "fold before headers");
	BAD("OPTIONS sip:a@b SIP/3.0\r\n\r\n", 505, "version");
	BAD("OPTIONS sip:a@b HTTP/1.1\r\n\r\n", 400, "not SIP");
	BAD("OPTIONS  sip:a@b SIP/2.0\r\n\r\n", 400, "two spaces");
	BAD("SIP/2.0 99 Low\r\n\r\n", 0, "status < 100");
	BAD("SIP/2.0 700 High\r\n\r\n", 0, "status > 699");
	BAD("SIP/2.0 2000 OK\r\n\r\n", 0, "4-digit status");
	BAD("OPTIONS sip:a@b SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n",
	    400, "missing From/To/Call-ID/CSeq");
	BAD("OPTIONS sip:a@b SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
	    "To: <sip:a@b>\r\nCall-ID: a b\r\nCSeq: 1 OPTIONS\r\n\r\n",
	    400, "space inside Call-ID");
#undef BAD
}

/* without Content-Length: a datagram's body is the rest, a stream's none */
static void test_no_cl_datagram(void)
{
	static const char s[] = REQ_HEAD "\r\nbody";
	struct sip_msg m;
	struct sip_parse_error err;
	char *buf;

	CHECK_EQ_INT(parse_n(&m, s, sizeof(s) - 1, SIP_PARSE_DATAGRAM, NULL,
	                     &err, &buf),
	             SIP_PARSE_OK);
	CHECK_PL(m.body, "body");
	free(buf);
	CHECK_EQ_INT(parse_n(&m, s, sizeof(s) - 1, SIP_PARSE_STREAM, NULL, &err,
	                     &buf),
	             SIP_PARSE_OK);
	CHECK_EQ_INT(m.body.l, 0);
	free(buf);
}

static void test_folding_and_lf(void)
{
	static const char s[] = "OPTIONS sip:a@b SIP/2.0\n"
	                        "Via: SIP/2.0/UDP h\n ;branch=z9hG4bK1\n"
	                        "From: <sip:a@b>\n\t;tag=1\n"
	                        "To: <sip:a@b>\nCall-ID: c\n"
	                        "CSeq: 1\n  OPTIONS\nSubject:\n"
	                        "Content-Length: 0\n\n";
	struct sip_msg m;
	struct sip_parse_error err;
	char *buf;
	char out[512];

	CHECK_EQ_INT(parse_n(&m, s, sizeof(s) - 1, SIP_PARSE_DATAGRAM, NULL,
	                     &err, &buf),
	             SIP_PARSE_OK);
	CHECK_PL(m.via.branch, "z9hG4bK1");
	CHECK_PL(m.from.tag, "1");
	CHECK_PL(sip_msg_hdr(&m, SIP_HDR_SUBJECT)->value, "");
	size_t n = sip_msg_serialize(&m, out, sizeof(out));
	CHECK(n == sizeof(s) - 1 && memcmp(out, s, n) == 0);
	CHECK_EQ_INT(sip_msg_serialize(&m, out, 10), 0);
	free(buf);
}

/* Build a leg's INVITE from parts plus passed-through fields of a received
 * one; it parses back to the same parts, with a correct Content-Length. */
static void test_build_roundtrip(void)
{
	struct sip_msg in, out;
	struct sip_parse_error err;
	struct sip_hdr hdrs2[NHDR];
	char *buf;
	char wire[2048];
	struct sip_build b;
	static const struct pl body =
	        PL("v=0\r\no=- 1 1 IN IP4 203.0.113.10\r\n");

	CHECK_EQ_INT(parse_n(&in, INVITE, sizeof(INVITE) - 1,
	                     SIP_PARSE_DATAGRAM, NULL, &err, &buf),
	             SIP_PARSE_OK);
	sip_build_init(&b, wire, sizeof(wire));
	sip_build_request_line(&b, PL("INVITE"),
	                       PL("sip:+14255550123@contoso.byoc.mypurecloud."
	                          "com:5061;transport=tls"));
	sip_build_hdr(
	        &b, SIP_HDR_VIA,
	        PL("SIP/2.0/TLS sbc1.contoso.com:5061;branch=z9hG4bKtb1"));
	sip_build_hdrf(&b, SIP_HDR_MAX_FORWARDS, "%d", in.max_forwards - 1);
	sip_build_hdr(
	        &b, SIP_HDR_FROM,
	        PL("\"Alice\" <sip:+12065550199@sbc1.contoso.com>;tag=tb1"));
	sip_build_hdr(&b, SIP_HDR_TO,
	              PL("<sip:+14255550123@contoso.byoc.mypurecloud.com>"));
	sip_build_hdr(&b, SIP_HDR_CALL_ID, PL("tb-1@sbc1.contoso.com"));
	sip_build_hdrf(&b, SIP_HDR_CSEQ, "%u INVITE", (unsigned)in.cseq);
	sip_build_hdr(&b, SIP_HDR_CONTACT,
	              PL("<sip:sbc1.contoso.com:5061;transport=tls>"));
	sip_build_copy(&b, sip_msg_hdr_name(&in, PL("X-MS-Custom-Queue")));
	sip_build_hdr(&b, SIP_HDR_CONTENT_TYPE, PL("application/sdp"));
	size_t n = sip_build_finish(&b, body);
	CHECK(n > 0);

	sip_msg_init(&out, hdrs2, NHDR);
	CHECK_EQ_INT(sip_msg_parse(&out, wire, n, SIP_PARSE_STREAM, NULL, &err),
	             SIP_PARSE_OK);
	CHECK_EQ_INT(out.consumed, n);
	CHECK_PL(out.ruri.host, "contoso.byoc.mypurecloud.com");
	CHECK_EQ_INT(out.max_forwards, 68);
	CHECK_PL(out.from.tag, "tb1");
	CHECK_PL(out.call_id, "tb-1@sbc1.contoso.com");
	CHECK_EQ_INT(out.cseq, 1);
	CHECK_PL(out.via.host, "sbc1.contoso.com");
	CHECK_EQ_INT(out.content_length, body.l);
	CHECK(pl_eq(out.body, body));
	CHECK_PL(sip_msg_hdr_name(&out, PL("X-MS-Custom-Queue"))->value,
	         "billing");
	CHECK_EQ_INT(sip_msg_validate(&out, &err), 0);
	free(buf);
}

static void test_build_refuses(void)
{
	struct sip_build b;
	char wire[64];

	sip_build_init(&b, wire, sizeof(wire));
	sip_build_status_line(&b, 200, PL_NULL);
	sip_build_hdr(&b, SIP_HDR_SUBJECT, PL("x\r\nVia: injected"));
	CHECK_EQ_INT(sip_build_finish(&b, PL_NULL), 0);

	sip_build_init(&b, wire, sizeof(wire));
	sip_build_status_line(&b, 200, PL_NULL);
	sip_build_hdr_name(&b, PL("X-Evil: a\r\nX"), PL("b"));
	CHECK_EQ_INT(sip_build_finish(&b, PL_NULL), 0);

	sip_build_init(&b, wire, sizeof(wire));
	sip_build_status_line(&b, 200, PL_NULL);
	sip_build_hdr(&b, SIP_HDR_SUBJECT,
	              PL("this will not fit in sixty-four "
	                 "bytes of buffer at all"));
	CHECK_EQ_INT(sip_build_finish(&b, PL_NULL), 0);

	sip_build_init(&b, wire, sizeof(wire));
	sip_build_status_line(&b, 486, PL_NULL);
	size_t n = sip_build_finish(&b, PL_NULL);
	CHECK(n > 0);
	CHECK(n == sizeof("SIP/2.0 486 Busy Here\r\nContent-Length: "
	                  "0\r\n\r\n") -
	                      1 &&
	      memcmp(wire, "SIP/2.0 486 Busy Here\r\n", 23) == 0);
}

static void test_response(void)
{
	static const char s[] =
	        "SIP/2.0 180 Ringing\r\n"
	        "Via: SIP/2.0/TLS sbc1.contoso.com:5061;"
	        "branch=z9hG4bKtb1;received=[2001:db8::1]\r\n"
	        "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
	        "Call-ID: x\r\nCSeq: 7 INVITE\r\n"
	        "Content-Length: 0\r\n\r\n";
	struct sip_msg m;
	struct sip_parse_error err;
	char *buf;

	CHECK_EQ_INT(parse_n(&m, s, sizeof(s) - 1, SIP_PARSE_STREAM, NULL, &err,
	                     &buf),
	             SIP_PARSE_OK);
	CHECK(!m.request);
	CHECK_EQ_INT(m.status, 180);
	CHECK_PL(m.reason, "Ringing");
	CHECK_PL(m.via.received, "2001:db8::1");
	CHECK(m.cseq_method_id == SIP_METHOD_INVITE);
	CHECK_PL(m.to.tag, "2");
	free(buf);
}

int main(void)
{
	RUN(test_eager_fields);
	RUN(test_header_lookup);
	RUN(test_stream_framing);
	RUN(test_limits);
	RUN(test_malformed);
	RUN(test_no_cl_datagram);
	RUN(test_folding_and_lf);
	RUN(test_build_roundtrip);
	RUN(test_build_refuses);
	RUN(test_response);
	return test_summary();
}
