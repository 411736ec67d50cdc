/* test_b2b.c: the B2BUA's pure parts: which trunk a source belongs to
 * (allow-lists), and which headers cross from one leg to the other (the
 * trunk's policy, topology hiding, never Replaces toward ACS). The call
 * flows themselves are tested with SIPp in tests/integration/calls_*. */
#include "b2b/b2b_int.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const char yaml[] =
        "identity: { fqdn: sbc1.lab.test, certificate: sbc1.pem,"
        " private_key: sbc1.key }\n"
        "listen: [ { transport: tcp, port: 5060 },"
        " { transport: tls, port: 5061 } ]\n"
        "trunks:\n"
        "  acs:\n"
        "    profile: acs-direct-routing\n"
        "    media_encryption: srtp\n"
        "    allow: [ 127.0.0.2/32, 10.1.0.0/16, \"2001:db8::/32\" ]\n"
        "  genesys:\n"
        "    profile: genesys-byoc-cloud\n"
        "    servers: [ byoc.lab.test ]\n"
        "    termination_uri: tb.byoc.lab.test\n"
        "    allow: [ 127.0.0.4/32 ]\n"
        "    headers: { pass: [ P-Asserted-Identity, \"X-Site-*\" ] }\n"
        "  open:\n"
        "    profile: generic\n"
        "    transport: tcp\n"
        "    servers: [ 127.0.0.5 ]\n";

static struct tb_config *load(const char *y)
{
	struct cfg_errors e;
	struct tb_config *c = NULL;

	cfg_errors_init(&e);
	if (cfg_load_string("t.yaml", y, strlen(y), &c, &e) != 0)
		cfg_errors_print(&e, stderr);
	return c;
}

static int trunk_of4(struct b2b *b, const char *ip)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &s.sin_addr);
	return b2b_trunk_of(b, (struct sockaddr *)&s);
}

static int trunk_of6(struct b2b *b, const char *ip)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &s.sin6_addr);
	return b2b_trunk_of(b, (struct sockaddr *)&s);
}

static void test_trunk_of(void)
{
	struct b2b_env env;
	struct tb_config *c = load(yaml);
	struct b2b *b;

	memset(&env, 0, sizeof(env));
	CHECK(c != NULL);
	if (!c)
		return;
	b = b2b_new(&env);
	CHECK(b != NULL);
	if (!b) {
		cfg_free(c);
		return;
	}
	b2b_set_config(b, c, NULL, NULL);
	CHECK_EQ_INT(trunk_of4(b, "127.0.0.2"), 0);
	CHECK_EQ_INT(trunk_of4(b, "10.1.255.255"), 0);
	CHECK_EQ_INT(trunk_of4(b, "10.2.0.0"), 2); /* the open trunk */
	CHECK_EQ_INT(trunk_of4(b, "127.0.0.4"), 1);
	CHECK_EQ_INT(trunk_of6(b, "2001:db8:ffff::1"), 0);
	CHECK_EQ_INT(trunk_of6(b, "::ffff:127.0.0.4"), 1); /* v4-mapped */
	b2b_free(b);

	/* without an open trunk, an unknown source belongs to none */
	static const char closed[] =
	        "identity: { fqdn: sbc1.lab.test }\n"
	        "listen: [ { transport: tcp, port: 5060 } ]\n"
	        "trunks:\n"
	        "  a: { profile: generic, transport: tcp, servers: [ "
	        "x.lab.test ],"
	        " allow: [ 127.0.0.0/31 ] }\n";
	struct tb_config *c2 = load(closed);
	CHECK(c2 != NULL);
	b = c2 ? b2b_new(&env) : NULL;
	if (b) {
		b2b_set_config(b, c2, NULL, NULL);
		CHECK_EQ_INT(trunk_of4(b, "127.0.0.1"), 0);
		CHECK_EQ_INT(trunk_of4(b, "127.0.0.2"), -1);
		CHECK_EQ_INT(trunk_of6(b, "::1"), -1);
		b2b_free(b);
	}
	cfg_free(c2);
	cfg_free(c);
}

static const char invite[] =
        "INVITE sip:+14255550100@sbc1.lab.test SIP/2.0\r\n"
        "Via: SIP/2.0/TLS 10.9.9.9:5061;branch=z9hG4bKabc\r\n"
        "Record-Route: <sip:edge.internal;lr>\r\n"
        "From: <sip:+12065550123@pstn.lab.test>;tag=1\r\n"
        "To: <sip:+14255550100@sbc1.lab.test>\r\n"
        "Call-ID: secret-call-id@10.9.9.9\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:10.9.9.9:5061;transport=tls>\r\n"
        "Max-Forwards: 70\r\n"
        "P-Asserted-Identity: <sip:+12065550123@pstn.lab.test>\r\n"
        "Privacy: id\r\n"
        "X-MS-Custom-Ticket: 42\r\n"
        "X-Site-Name: lab\r\n"
        "X-Topology: secret\r\n"
        "Replaces: abc@x;to-tag=1;from-tag=2\r\n"
        "Require: 100rel, timer\r\n"
        "Session-Expires: 1800;refresher=uac\r\n"
        "Min-SE: 90\r\n"
        "Content-Length: 0\r\n\r\n";

static void copy_to(const struct cfg_trunk *t, char *out, size_t cap)
{
	struct sip_hdr h[64];
	struct sip_msg m;
	struct sip_build bd;

	out[0] = '\0';
	CHECK_EQ_INT(b2b_reparse(invite, sizeof(invite) - 1, &m, h, 64), 0);
	sip_build_init(&bd, out, cap);
	b2b_copy_headers(&bd, &m, t, false);
	CHECK(!bd.failed);
	out[bd.len < cap ? bd.len : cap - 1] = '\0';
}

static void test_policy(void)
{
	struct tb_config *c = load(yaml);
	char out[4096];

	CHECK(c != NULL);
	if (!c)
		return;
	/* ACS: the default policy */
	copy_to(cfg_trunk_find(c, "acs"), out, sizeof(out));
	CHECK(strstr(out, "P-Asserted-Identity: <sip:+12065550123@") != NULL);
	CHECK(strstr(out, "Privacy: id\r\n") != NULL);
	CHECK(strstr(out, "X-MS-Custom-Ticket: 42\r\n") != NULL);
	CHECK(strstr(out, "Session-Expires: 1800;refresher=uac\r\n") != NULL);
	CHECK(strstr(out, "Min-SE: 90\r\n") != NULL);
	CHECK(strstr(out, "Require: timer\r\n") != NULL); /* 100rel is ours */
	CHECK(strstr(out, "100rel") == NULL);
	CHECK(strstr(out, "X-Site-Name") == NULL);
	CHECK(strstr(out, "X-Topology") == NULL);
	CHECK(strstr(out, "Replaces") == NULL); /* never toward ACS */
	/* topology: nothing of the other leg's addresses */
	CHECK(strstr(out, "10.9.9.9") == NULL);
	CHECK(strstr(out, "edge.internal") == NULL);
	CHECK(strstr(out, "secret-call-id") == NULL);

	/* Genesys: an explicit list with a prefix */
	copy_to(cfg_trunk_find(c, "genesys"), out, sizeof(out));
	CHECK(strstr(out, "P-Asserted-Identity:") != NULL);
	CHECK(strstr(out, "X-Site-Name: lab\r\n") != NULL);
	CHECK(strstr(out, "Privacy") == NULL);
	CHECK(strstr(out, "X-MS-Custom") == NULL);
	CHECK(strstr(out, "10.9.9.9") == NULL);

	CHECK(b2b_pass(cfg_trunk_find(c, "acs"), PL("x-ms-custom-a")));
	CHECK(!b2b_pass(cfg_trunk_find(c, "acs"), PL("X-MS-Custom")));
	CHECK(b2b_pass(cfg_trunk_find(c, "genesys"), PL("X-SITE-")));
	cfg_free(c);
}

/* After a transfer, the SDP sent to the kept party continues the origin it
 * saw (RFC 3264 8: same username, session id and address, a higher
 * version), whatever the new party wrote; bytes around it unchanged. */
static void test_origin(void)
{
	struct b2b *b = calloc(1, sizeof(*b));
	struct call *c = calloc(1, sizeof(*c));
	static const char seen[] =
	        "v=0\r\no=acsuser 1001 7 IN IP4 127.0.0.7\r\n"
	        "s=-\r\nc=IN IP4 127.0.0.7\r\n";
	static const char nw[] =
	        "v=0\r\no=- 55 1 IN IP4 10.9.9.9\r\ns=-\r\n"
	        "c=IN IP4 10.9.9.9\r\nm=audio 4000 RTP/SAVP 0\r\n";
	static const char with_nul[] = "v=0\r\na=x:\0\r\no=- 1 1 IN IP4 h\r\n";

	CHECK(b && c);
	if (!b || !c) {
		free(b);
		free(c);
		return;
	}
	c->b = b;
	struct leg *k = b2b_leg_new(c);
	CHECK(k != NULL);
	if (!k)
		goto out;
	/* no origin to continue yet: unchanged, same bytes */
	struct pl o = b2b_sdp_for(k, pl_make(nw, sizeof(nw) - 1), false);
	CHECK(o.p == nw && o.l == sizeof(nw) - 1);
	/* an unusable o= line (version not a number) is not taken */
	b2b_leg_continue_origin(k, "o=a b x IN IP4 h\r\n", 18);
	CHECK(k->o_pre == NULL);
	b2b_leg_continue_origin(k, seen, sizeof(seen) - 1);
	CHECK(k->o_pre && strcmp(k->o_pre, "acsuser 1001") == 0);
	CHECK(k->o_post && strcmp(k->o_post, "IN IP4 127.0.0.7") == 0);
	o = b2b_sdp_for(k, pl_make(nw, sizeof(nw) - 1), false);
	CHECK_PL(o, "v=0\r\no=acsuser 1001 8 IN IP4 127.0.0.7\r\ns=-\r\n"
	            "c=IN IP4 10.9.9.9\r\nm=audio 4000 RTP/SAVP 0\r\n");
	o = b2b_sdp_for(k, pl_make(nw, sizeof(nw) - 1), false);
	CHECK_PL(o, "v=0\r\no=acsuser 1001 9 IN IP4 127.0.0.7\r\ns=-\r\n"
	            "c=IN IP4 10.9.9.9\r\nm=audio 4000 RTP/SAVP 0\r\n");
	/* continuing again keeps the first origin */
	b2b_leg_continue_origin(k, nw, sizeof(nw) - 1);
	CHECK(strcmp(k->o_pre, "acsuser 1001") == 0);
	/* a NUL before the o= line is kept (bytes, not a string) */
	o = b2b_sdp_for(k, pl_make(with_nul, sizeof(with_nul) - 1), false);
	CHECK_EQ_INT(o.l, sizeof("v=0\r\na=x:\0\r\no=acsuser 1001 10 IN IP4 "
	                         "127.0.0.7\r\n") -
	                          1);
	CHECK(o.l > 9 && o.p[9] == '\0');
	/* a body without o= passes as is */
	o = b2b_sdp_for(k, PL("v=0\r\ns=-\r\n"), false);
	CHECK_PL(o, "v=0\r\ns=-\r\n");
out:
	while (c->legs) {
		struct leg *l = c->legs;
		c->legs = l->lnext;
		b2b_leg_clear(l);
		free(l);
	}
	free(c);
	free(b);
}

int main(void)
{
	RUN(test_trunk_of);
	RUN(test_policy);
	RUN(test_origin);
	return test_summary();
}
