/* test_options.c: the OPTIONS answer carries what ACS checks (interop.md
 * 1.4/1.5): our FQDN in Contact with no user part, REFER and NOTIFY in
 * Allow, every Via, From/To/Call-ID/CSeq copied, our To tag. */
#include "sip/msg/sip_decode.h"
#include "tests/test.h"
#include "trunk/options.h"

static void test_options_answer_for_acs(void)
{
	static const char req[] =
	        "OPTIONS sip:sbc1.contoso.com:5061;transport=tls SIP/2.0\r\n"
	        "Via: SIP/2.0/TLS 52.114.1.1:5061;branch=z9hG4bKms1\r\n"
	        "Via: SIP/2.0/TLS 52.114.1.2:5061;branch=z9hG4bKms0\r\n"
	        "Max-Forwards: 70\r\n"
	        "From: <sip:sip-du-a-us.pstnhub.microsoft.com:5061>;tag=f1\r\n"
	        "To: <sip:sbc1.contoso.com>\r\n"
	        "Call-ID: ping-1\r\nCSeq: 42 OPTIONS\r\n"
	        "Content-Length: 0\r\n\r\n";
	struct sip_hdr h1[32], h2[32];
	struct sip_msg in, out;
	struct sip_parse_error err;
	const struct tb_identity id = {"sbc1.contoso.com", 5061, "tls"};
	char buf[2048];
	struct sip_addr c;
	struct sip_list_iter it;

	sip_msg_init(&in, h1, 32);
	CHECK_EQ_INT(sip_msg_parse(&in, req, sizeof(req) - 1, SIP_PARSE_STREAM,
	                           NULL, &err),
	             SIP_PARSE_OK);
	size_t n = options_answer(&in, &id, NULL, PL("tb-9"), buf, sizeof(buf));
	CHECK(n > 0);
	sip_msg_init(&out, h2, 32);
	CHECK_EQ_INT(sip_msg_parse(&out, buf, n, SIP_PARSE_STREAM, NULL, &err),
	             SIP_PARSE_OK);
	CHECK_EQ_INT(out.status, 200);
	CHECK_EQ_INT(out.via_count, 2);
	CHECK_PL(out.via.branch, "z9hG4bKms1");
	CHECK_PL(out.from.tag, "f1");
	CHECK_PL(out.to.tag, "tb-9");
	CHECK_PL(out.call_id, "ping-1");
	CHECK_EQ_INT(out.cseq, 42);
	CHECK(out.cseq_method_id == SIP_METHOD_OPTIONS);
	sip_list_iter_init(&it, &out, SIP_HDR_CONTACT);
	CHECK_EQ_INT(sip_addr_iter_next(&it, &c), 1);
	CHECK_PL(c.uri.host, "sbc1.contoso.com");
	CHECK(c.uri.host_type == SIP_HOST_NAME);
	CHECK(!c.uri.user.p);
	CHECK_EQ_INT(c.uri.port, 5061);
	struct pl tp;
	CHECK(sip_uri_param(&c.uri, PL("transport"), &tp));
	CHECK_PL(tp, "tls");
	CHECK(sip_msg_has_tag(&out, SIP_HDR_ALLOW, PL("REFER")));
	CHECK(sip_msg_has_tag(&out, SIP_HDR_ALLOW, PL("NOTIFY")));
	CHECK(sip_msg_has_tag(&out, SIP_HDR_ALLOW, PL("OPTIONS")));
	CHECK_PL(sip_msg_hdr(&out, SIP_HDR_ACCEPT)->value, "application/sdp");
	CHECK_EQ_INT(out.content_length, 0);
	CHECK_EQ_INT(sip_msg_validate(&out, &err), 0);
	/* a To tag already there is kept */
	CHECK_EQ_INT(options_answer(&in, &id, NULL, PL_NULL, buf, 10), 0);
}

int main(void)
{
	RUN(test_options_answer_for_acs);
	return test_summary();
}
