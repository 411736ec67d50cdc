/* test_probe.c: the probe's cause table (check/probe.c): each reason the
 * transport and tls.c write, and each OPTIONS outcome, mapped to its cause
 * and to the text with the guide's fix. */
#include "check/probe.h"
#include "tests/test.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static enum probe_cause tls(const char *reason)
{
	return probe_classify(PROBE_STEP_TLS, reason, 0, NULL);
}

/* The reasons as tls.c (verify_text, alert_hint, describe) and
 * transport.c (conn_event: "TLS: " + the reason) write them. */
static void test_tls_reasons(void)
{
	CHECK_EQ_INT(tls("TLS: certificate name mismatch: got sip.example.net, "
	                 "expected sip.pstnhub.lab.test (openssl: hostname "
	                 "mismatch)"),
	             PROBE_TLS_NAME);
	CHECK_EQ_INT(tls("TLS: certificate IP address mismatch: the peer's "
	                 "certificate lacks the address we connected to "
	                 "(openssl: IP address mismatch)"),
	             PROBE_TLS_IP_NAME);
	CHECK_EQ_INT(tls("TLS: peer certificate has expired (openssl: "
	                 "certificate has expired)"),
	             PROBE_TLS_EXPIRED);
	CHECK_EQ_INT(tls("TLS: the peer's certificate has expired (alert "
	                 "certificate expired)"),
	             PROBE_TLS_EXPIRED);
	CHECK_EQ_INT(tls("TLS: peer certificate is not yet valid (check both "
	                 "clocks) (openssl: certificate is not yet valid)"),
	             PROBE_TLS_NOT_YET_VALID);
	CHECK_EQ_INT(tls("TLS: self-signed peer certificate: not issued by a "
	                 "CA we trust (openssl: self-signed certificate)"),
	             PROBE_TLS_SELF_SIGNED);
	CHECK_EQ_INT(tls("TLS: untrusted CA: the peer's chain ends in a "
	                 "self-signed root that is not in our ca_file "
	                 "(openssl: self-signed certificate in certificate "
	                 "chain)"),
	             PROBE_TLS_UNTRUSTED_CA);
	CHECK_EQ_INT(tls("TLS: peer certificate not valid for this use "
	                 "(Extended Key Usage lacks serverAuth/clientAuth) "
	                 "(openssl: unsuitable certificate purpose)"),
	             PROBE_TLS_PURPOSE);
	CHECK_EQ_INT(tls("TLS: no shared cipher (openssl: no shared cipher)"),
	             PROBE_TLS_CIPHER);
	CHECK_EQ_INT(
	        tls("TLS: handshake failure alert from the peer (no common "
	            "cipher, group or version, or its policy refused us) "
	            "(openssl: sslv3 alert handshake failure)"),
	        PROBE_TLS_CIPHER);
	CHECK_EQ_INT(tls("TLS: no shared group (elliptic curve; Genesys takes "
	                 "only secp384r1) (openssl: no suitable key share)"),
	             PROBE_TLS_CIPHER);
	CHECK_EQ_INT(tls("TLS: unsupported protocol: the peer chose a TLS "
	                 "version below our minimum (openssl: unsupported "
	                 "protocol)"),
	             PROBE_TLS_PROTOCOL);
	CHECK_EQ_INT(tls("TLS: unsupported protocol: the peer refused our TLS "
	                 "version (alert protocol version)"),
	             PROBE_TLS_PROTOCOL);
	CHECK_EQ_INT(tls("TLS: the peer rejected our certificate (certificate "
	                 "unknown; Microsoft sends this when we present no "
	                 "client certificate) (openssl: sslv3 alert "
	                 "certificate unknown)"),
	             PROBE_TLS_OUR_CERT);
	CHECK_EQ_INT(
	        tls("TLS: the peer does not trust our certificate's CA (or "
	            "we did not send the intermediates) (openssl: tlsv1 "
	            "alert unknown ca)"),
	        PROBE_TLS_OUR_CERT);
	CHECK_EQ_INT(tls("TLS: the peer requires a client certificate (set "
	                 "client_certificate) (openssl: tlsv13 alert "
	                 "certificate required)"),
	             PROBE_TLS_OUR_CERT);
	CHECK_EQ_INT(
	        tls("TLS: the peer does not speak TLS here (plain SIP on a "
	            "TLS port?) (openssl: wrong version number)"),
	        PROBE_TLS_NOT_TLS);
	CHECK_EQ_INT(tls("TLS: connection closed during the handshake"),
	             PROBE_TLS_CLOSED);
	CHECK_EQ_INT(tls("TLS: Connection reset by peer"), PROBE_TLS_CLOSED);
	CHECK_EQ_INT(tls("timeout connecting"), PROBE_TLS_TIMEOUT);
	CHECK_EQ_INT(tls("timeout after 5 s"), PROBE_TLS_TIMEOUT);
	CHECK_EQ_INT(tls("TLS profile: certificate /x.pem: no PEM data in the "
	                 "file (openssl: no start line)"),
	             PROBE_TLS_PROFILE);
	CHECK_EQ_INT(tls("TLS: TLS handshake failed (openssl: something new)"),
	             PROBE_TLS_OTHER);
	CHECK_EQ_INT(tls(NULL), PROBE_TLS_OTHER);
}

/* "untrusted CA or missing intermediate": the chain the peer sent tells
 * which. */
static void test_chain_disambiguation(void)
{
	const char *r = "TLS: untrusted CA or missing intermediate: the peer "
	                "must send leaf + intermediates, and its root must be "
	                "in our ca_file (openssl: unable to get local issuer "
	                "certificate)";
	struct probe_tls_seen seen;

	CHECK_EQ_INT(probe_classify(PROBE_STEP_TLS, r, 0, NULL),
	             PROBE_TLS_CHAIN);
	memset(&seen, 0, sizeof(seen));
	CHECK_EQ_INT(probe_classify(PROBE_STEP_TLS, r, 0, &seen),
	             PROBE_TLS_CHAIN);
	seen.have_chain = true;
	seen.chain_len = 1; /* the leaf alone, not a root */
	CHECK_EQ_INT(probe_classify(PROBE_STEP_TLS, r, 0, &seen),
	             PROBE_TLS_NO_INTERMEDIATE);
	seen.chain_len = 2; /* leaf + an intermediate of an unknown root */
	CHECK_EQ_INT(probe_classify(PROBE_STEP_TLS, r, 0, &seen),
	             PROBE_TLS_UNTRUSTED_CA);
	seen.chain_len = 1;
	seen.top_self_signed = true;
	CHECK_EQ_INT(probe_classify(PROBE_STEP_TLS, r, 0, &seen),
	             PROBE_TLS_UNTRUSTED_CA);
}

static void test_dns_tcp_reasons(void)
{
	CHECK_EQ_INT(probe_classify(PROBE_STEP_DNS,
	                            "DNS: sip.example.invalid: nodename nor "
	                            "servname provided, or not known",
	                            0, NULL),
	             PROBE_DNS_UNKNOWN);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_DNS,
	                            "DNS: no answer (timed out after 5 s)", 0,
	                            NULL),
	             PROBE_DNS_TIMEOUT);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_DNS,
	                            "DNS: x.test: temporary failure in name "
	                            "resolution",
	                            0, NULL),
	             PROBE_DNS_TIMEOUT);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_TCP,
	                            "connect to 127.0.0.1:5061: Connection "
	                            "refused",
	                            0, NULL),
	             PROBE_TCP_REFUSED);
	CHECK_EQ_INT(
	        probe_classify(PROBE_STEP_TCP, "timeout connecting", 0, NULL),
	        PROBE_TCP_TIMEOUT);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_TCP,
	                            "connect to 192.0.2.1:5061: Connection "
	                            "timed out",
	                            0, NULL),
	             PROBE_TCP_TIMEOUT);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_TCP,
	                            "connect to 192.0.2.1:5061: No route to "
	                            "host",
	                            0, NULL),
	             PROBE_TCP_OTHER);
}

static void test_options_outcomes(void)
{
	CHECK_EQ_INT(probe_classify(PROBE_STEP_OPTIONS, "", 200, NULL),
	             PROBE_OK);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_OPTIONS,
	                            "408 no answer to OPTIONS (Timer F): the "
	                            "server, or a firewall/NSG on the way, "
	                            "drops our requests",
	                            408, NULL),
	             PROBE_OPT_TIMEOUT);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_OPTIONS,
	                            "no answer to OPTIONS within 5 s", 0, NULL),
	             PROBE_OPT_TIMEOUT);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_OPTIONS,
	                            "403 Forbidden (the peer does not accept "
	                            "our FQDN in Contact/certificate)",
	                            403, NULL),
	             PROBE_OPT_403);
	CHECK_EQ_INT(
	        probe_classify(PROBE_STEP_OPTIONS, "404 Not Found", 404, NULL),
	        PROBE_OPT_404);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_OPTIONS,
	                            "503 Service Unavailable", 503, NULL),
	             PROBE_OPT_503);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_OPTIONS,
	                            "500 Server Internal Error", 500, NULL),
	             PROBE_OPT_5XX);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_OPTIONS, "504 Server Time-out",
	                            504, NULL),
	             PROBE_OPT_5XX);
	CHECK_EQ_INT(
	        probe_classify(PROBE_STEP_OPTIONS, "486 Busy Here", 486, NULL),
	        PROBE_OPT_OTHER);
	CHECK_EQ_INT(probe_classify(PROBE_STEP_OPTIONS,
	                            "connection lost before the answer to "
	                            "OPTIONS: closed by the peer",
	                            0, NULL),
	             PROBE_OPT_CLOSED);
}

static void test_mismatch_names(void)
{
	char got[64], exp[64];

	CHECK(probe_mismatch_names("certificate name mismatch: got a.test, "
	                           "b.test, expected *.pstnhub.lab.test or "
	                           "sip.x.test (openssl: hostname mismatch)",
	                           got, sizeof(got), exp, sizeof(exp)));
	CHECK(!strcmp(got, "a.test, b.test"));
	CHECK(!strcmp(exp, "*.pstnhub.lab.test or sip.x.test"));
	CHECK(probe_mismatch_names("certificate name mismatch: got no DNS "
	                           "name, expected x.test",
	                           got, sizeof(got), exp, sizeof(exp)));
	CHECK(!strcmp(got, "no DNS name"));
	CHECK(!strcmp(exp, "x.test"));
	/* truncated, never overrun */
	CHECK(probe_mismatch_names("name mismatch: got "
	                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, "
	                           "expected b",
	                           got, 8, exp, sizeof(exp)));
	CHECK(!strcmp(got, "aaaaaaa"));
	CHECK(!probe_mismatch_names("peer certificate has expired", got,
	                            sizeof(got), exp, sizeof(exp)));
	CHECK(!probe_mismatch_names(NULL, got, sizeof(got), exp, sizeof(exp)));
}

static struct probe_vars vars(enum cfg_profile p)
{
	struct probe_vars v;

	memset(&v, 0, sizeof(v));
	v.trunk = "acs";
	v.host = "sip.pstnhub.microsoft.com";
	v.addr = "sip.pstnhub.microsoft.com:5061 (52.112.1.1)";
	v.reason = "the reason";
	v.got = "sip.example.net";
	v.expected = "*.pstnhub.microsoft.com";
	v.issuer = "DigiCert Global G2 TLS RSA SHA256 2020 CA1";
	v.fqdn = "sbc1.contoso.com";
	v.from = "genesys";
	v.form = "form none";
	v.port = 5061;
	v.code = 403;
	v.timeout_ms = 5000;
	v.profile = p;
	return v;
}

/* A "{name}" left in a text: a variable probe_explain does not know
 * stays as written ("{ form: ... }" in a fix is YAML, not one). */
static bool unfilled(const char *s)
{
	for (const char *b = strchr(s, '{'); b; b = strchr(b + 1, '{')) {
		const char *e = b + 1;
		while (*e >= 'a' && *e <= 'z')
			e++;
		if (e > b + 1 && *e == '}')
			return true;
	}
	return false;
}

/* Every row: a step, a name, text and a fix; every template filled. */
static void test_table_complete(void)
{
	char buf[4096];
	enum cfg_profile profiles[] = {CFG_PROFILE_GENERIC, CFG_PROFILE_ACS,
	                               CFG_PROFILE_GENESYS};

	for (int c = 1; c < PROBE_CAUSE_COUNT; c++) {
		const struct probe_cause_text *t = probe_cause_text(c);
		CHECK(t != NULL);
		if (!t)
			continue;
		CHECK(t->name && t->name[0]);
		CHECK(t->what && t->what[0]);
		CHECK(t->fix && t->fix[0]);
		for (size_t p = 0; p < 3; p++) {
			struct probe_vars v = vars(profiles[p]);
			size_t n = probe_explain(buf, sizeof(buf), c, &v);
			CHECK(n > 0 && n < sizeof(buf) - 1);
			CHECK(!unfilled(buf));
			CHECK(strstr(buf, " - fix: ") != NULL);
			CHECK(strstr(buf, "?") == NULL ||
			      strstr(buf, "plain SIP there?") != NULL);
		}
	}
	CHECK(probe_cause_text(PROBE_CAUSE_COUNT) == NULL);
	CHECK(!strcmp(probe_step_name(PROBE_STEP_TLS), "tls"));
	CHECK(!strcmp(probe_step_name(PROBE_STEP_OPTIONS), "options"));
}

static void test_explain_texts(void)
{
	char buf[4096];
	struct probe_vars v = vars(CFG_PROFILE_ACS);

	probe_explain(buf, sizeof(buf), PROBE_TLS_NAME, &v);
	CHECK(!strncmp(buf,
	               "name mismatch: the certificate the peer sent names "
	               "sip.example.net; the trunk expects "
	               "*.pstnhub.microsoft.com (tls.peer_names) - fix: ACS "
	               "presents *.pstnhub.microsoft.com",
	               strlen("name mismatch: the certificate the peer sent "
	                      "names sip.example.net; the trunk expects "
	                      "*.pstnhub.microsoft.com (tls.peer_names) - fix: "
	                      "ACS presents *.pstnhub.microsoft.com")));
	/* untrusted CA: ACS's fix names the Microsoft roots */
	probe_explain(buf, sizeof(buf), PROBE_TLS_UNTRUSTED_CA, &v);
	CHECK(strstr(buf, "the Microsoft roots: DigiCert Global Root G2") !=
	      NULL);
	CHECK(strstr(buf, "untrusted CA: the peer's chain ends at DigiCert "
	                  "Global G2 TLS RSA SHA256 2020 CA1") != NULL);
	/* the firewall/NSG: 5061 and Microsoft's ranges (Edge Case 1) */
	probe_explain(buf, sizeof(buf), PROBE_TCP_TIMEOUT, &v);
	CHECK(strstr(buf,
	             "within 5 s: a firewall or NSG drops TCP 5061 (the "
	             "guide's Edge Case 1: Firewall / NSG Blockage)") != NULL);
	CHECK(strstr(buf, "allow TCP 5061 from the SBC's public IP to sip, "
	                  "sip2 and sip3.pstnhub.microsoft.com") != NULL);
	/* OPTIONS unanswered: like a 408 */
	probe_explain(buf, sizeof(buf), PROBE_OPT_TIMEOUT, &v);
	CHECK(strstr(buf, "never answered OPTIONS within 5 s (a SIP 408 "
	                  "Timeout; the guide's Edge Case 1)") != NULL);
	CHECK(strstr(buf, "identity.fqdn (sbc1.contoso.com)") != NULL);
	/* over UDP there is no connection to take */
	v = vars(CFG_PROFILE_GENERIC);
	v.udp = true;
	v.port = 5060;
	probe_explain(buf, sizeof(buf), PROBE_OPT_TIMEOUT, &v);
	CHECK(!strncmp(buf, "the peer never answered OPTIONS within 5 s", 42));
	CHECK(strstr(buf, "(UDP 5060) both ways") != NULL);
	v.udp = false;
	probe_explain(buf, sizeof(buf), PROBE_OPT_TIMEOUT, &v);
	CHECK(!strncmp(buf,
	               "the peer took the connection but never answered "
	               "OPTIONS within 5 s",
	               66));
	CHECK(strstr(buf, "(TCP 5060) both ways") != NULL);
	/* Genesys: its own fix; generic: the general one */
	v = vars(CFG_PROFILE_GENESYS);
	v.port = 5061;
	probe_explain(buf, sizeof(buf), PROBE_TCP_TIMEOUT, &v);
	CHECK(strstr(buf, "ip-ranges.json") != NULL);
	v = vars(CFG_PROFILE_GENERIC);
	v.timeout_ms = 1500;
	probe_explain(buf, sizeof(buf), PROBE_TCP_TIMEOUT, &v);
	CHECK(strstr(buf, "within 1500 ms") != NULL);
	CHECK(strstr(buf, "fix: allow TCP 5061 from our public IP") != NULL);
	/* Diversion off: the guide's Edge Case 2 fix */
	probe_explain(buf, sizeof(buf), PROBE_DIVERSION_OFF, &v);
	CHECK(!strcmp(buf,
	              "transfers from trunk genesys are routed to this trunk "
	              "and it sends no Diversion header on them (form none): "
	              "the guide's Edge Case 2, transfers fail - fix: set "
	              "trunks.acs.diversion: { form: diversion, always_send: "
	              "true, source: original-called } (\"Always send "
	              "Diversion Header\", mapped from the Original Called "
	              "Address)"));
	/* a NULL variable prints "?"; a small buffer is cut, terminated */
	v.reason = NULL;
	probe_explain(buf, sizeof(buf), PROBE_TLS_OTHER, &v);
	CHECK(!strncmp(buf, "the TLS handshake failed: ? - fix: ", 35));
	CHECK_EQ_INT(probe_explain(buf, 10, PROBE_TLS_OTHER, &v), 9);
	CHECK_EQ_INT(strlen(buf), 9);
	CHECK_EQ_INT(probe_explain(buf, 0, PROBE_TLS_OTHER, &v), 0);
}

int main(void)
{
	RUN(test_tls_reasons);
	RUN(test_chain_disambiguation);
	RUN(test_dns_tcp_reasons);
	RUN(test_options_outcomes);
	RUN(test_mismatch_names);
	RUN(test_table_complete);
	RUN(test_explain_texts);
	return test_summary();
}
