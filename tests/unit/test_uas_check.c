/* test_uas_check.c: the application-layer answers of RFC 4475 3.3 for
 * requests sent to trunkbridge, on the shared torture messages. */
#include "b2b/uas_check.h"
#include "sip/msg/sip_decode.h"
#include "tests/test.h"

#include <stdlib.h>

static const char *testdata;

static void verdict_of(const char *name, struct uas_verdict *v)
{
	char path[1024];
	struct sip_hdr hdrs[256];
	struct sip_msg m;
	struct sip_parse_error err;
	FILE *f;
	long n;
	char *buf;

	memset(v, 0, sizeof(*v));
	v->status = 999;
	snprintf(path, sizeof(path), "%s/rfc4475/%s.dat", testdata, name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "cannot read %s\n", path);
		if (f)
			fclose(f);
		CHECK(!"vector readable");
		return;
	}
	buf = malloc((size_t)n);
	CHECK(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	sip_msg_init(&m, hdrs, 256);
	CHECK_EQ_INT(sip_msg_parse(&m, buf, (size_t)n, SIP_PARSE_DATAGRAM, NULL,
	                           &err),
	             SIP_PARSE_OK);
	CHECK_EQ_INT(sip_msg_validate(&m, &err), 0);
	uas_check(&m, v);
	free(buf);
}

static void test_rfc4475_answers(void)
{
	struct uas_verdict v;

	verdict_of("unkscm", &v); /* 3.3.2 */
	CHECK_EQ_INT(v.status, 416);
	verdict_of("novelsc", &v); /* 3.3.3 */
	CHECK_EQ_INT(v.status, 416);
	verdict_of("bext01", &v); /* 3.3.5: the Require tags, not Proxy- */
	CHECK_EQ_INT(v.status, 420);
	CHECK(v.hdr_name && !strcmp(v.hdr_name, "Unsupported"));
	CHECK(!strcmp(v.value,
	              "nothingSupportsThis, nothingSupportsThisEither"));
	verdict_of("invut", &v); /* 3.3.6 */
	CHECK_EQ_INT(v.status, 415);
	CHECK(!strcmp(v.value, "application/sdp"));
	verdict_of("sdp01", &v); /* 3.3.15 */
	CHECK_EQ_INT(v.status, 406);
	verdict_of("intmeth", &v); /* 3.1.1.2 */
	CHECK_EQ_INT(v.status, 501);
	CHECK(v.hdr_name && !strcmp(v.hdr_name, "Allow"));
	verdict_of("esc02", &v); /* 3.1.1.5: RE%47IST%45R is not REGISTER */
	CHECK_EQ_INT(v.status, 501);
	verdict_of("unksm2", &v); /* REGISTER: known, not ours */
	CHECK_EQ_INT(v.status, 405);
	verdict_of("zeromf", &v); /* 3.3.11: OPTIONS to us, answered */
	CHECK_EQ_INT(v.status, 0);
	verdict_of("wsinv", &v); /* 3.1.1.1: a good INVITE */
	CHECK_EQ_INT(v.status, 0);
	verdict_of("inv2543", &v);
	CHECK_EQ_INT(v.status, 0);
}

static void test_max_forwards_zero_invite(void)
{
	static const char s[] =
	        "INVITE sip:+14255550123@sbc1.contoso.com SIP/2.0\r\n"
	        "Via: SIP/2.0/TLS 52.112.10.20:5061;branch=z9hG4bKmf0\r\n"
	        "Max-Forwards: 0\r\nFrom: <sip:+1@a>;tag=1\r\n"
	        "To: <sip:+2@b>\r\nCall-ID: mf0\r\nCSeq: 1 INVITE\r\n"
	        "Require: timer, 100rel\r\nContent-Length: 0\r\n\r\n";
	struct sip_hdr hdrs[32];
	struct sip_msg m;
	struct uas_verdict v;

	sip_msg_init(&m, hdrs, 32);
	CHECK_EQ_INT(sip_msg_parse(&m, s, sizeof(s) - 1, SIP_PARSE_DATAGRAM,
	                           NULL, NULL),
	             SIP_PARSE_OK);
	uas_check(&m, &v);
	CHECK_EQ_INT(v.status, 483); /* RFC 3261 16.3 */
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_uas_check <shared/testdata>\n");
		return 2;
	}
	testdata = argv[1];
	RUN(test_rfc4475_answers);
	RUN(test_max_forwards_zero_invite);
	return test_summary();
}
