/* test_cfg_calls.c: the trunk keys for calls (src/cfg/cfg_calls.c): the
 * defaults of each profile, every value read, every error and warning with
 * its file:line:column, key path and fix, and the clouds' rules (interop
 * 1.4, 1.7, 2.2, 2.3, 2.4). Leaks are caught by make test-asan. */
#include "cfg/cfg.h"

#include "tests/test.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static struct cfg_errors errs; /* ~66 KiB: not on the stack */

static int load(const char *yaml, struct tb_config **out)
{
	return cfg_load_string("trunkbridge.yaml", yaml, strlen(yaml), out,
	                       &errs);
}

static void dump(void)
{
	cfg_errors_print(&errs, stderr);
}

static const struct cfg_error *find(const char *path)
{
	for (size_t i = 0; i < errs.n; i++)
		if (!strcmp(errs.e[i].path, path))
			return &errs.e[i];
	return NULL;
}

/* The entry at path, formatted, is exactly want. */
static void check_line(const char *path, const char *want, int line_no)
{
	const struct cfg_error *e = find(path);
	char buf[1200];
	test_checks++;
	if (!e) {
		test_failures++;
		fprintf(stderr, "%s:%d: nothing at %s; have:\n", __FILE__,
		        line_no, path);
		dump();
		return;
	}
	cfg_error_format(e, buf, sizeof(buf));
	if (strcmp(buf, want)) {
		test_failures++;
		fprintf(stderr, "%s:%d:\n  got:  %s\n  want: %s\n", __FILE__,
		        line_no, buf, want);
	}
}
#define CHECK_LINE(path, want) check_line(path, want, __LINE__)

/* Loads with rc, n_errors errors and n_warnings warnings; returns the
 * config when it loaded. */
static struct tb_config *expect(const char *yaml, int rc, size_t n_err,
                                size_t n_warn, int line_no)
{
	struct tb_config *c = NULL;
	int got = load(yaml, &c);
	test_checks++;
	if (got != rc || errs.n_errors != n_err || errs.n_warnings != n_warn) {
		test_failures++;
		fprintf(stderr,
		        "%s:%d: rc %d, %zu errors, %zu warnings; expected rc "
		        "%d, %zu, %zu:\n",
		        __FILE__, line_no, got, errs.n_errors, errs.n_warnings,
		        rc, n_err, n_warn);
		dump();
	}
	return c;
}
#define EXPECT(yaml, rc, e, w) expect(yaml, rc, e, w, __LINE__)
#define LOADS(yaml)            EXPECT(yaml, 0, 0, 0)

/* Lines 1-3; a trunk's name is on line 4, its first key on line 5. */
#define HEAD                                                                   \
	"identity: { fqdn: sbc1.contoso.com, certificate: a.pem, "             \
	"private_key: a.key }\n"                                               \
	"listen: [{ transport: tls }]\n"                                       \
	"trunks:\n"
/* Lines 4-6: keys that follow start on line 7. */
#define GENESYS                                                                \
	"  genesys:\n"                                                         \
	"    profile: genesys-byoc-cloud\n"                                    \
	"    servers: [byoc.mypurecloud.com]\n"
/* Lines 4-5: keys that follow start on line 6. */
#define ACS                                                                    \
	"  acs:\n"                                                             \
	"    profile: acs-direct-routing\n"
/* Lines 4-6: keys that follow start on line 7. */
#define LAB                                                                    \
	"  lab:\n"                                                             \
	"    profile: generic\n"                                               \
	"    servers: [pbx.lab.example]\n"

#define TERM "    termination_uri: contoso.byoc.mypurecloud.com\n"

/* ------------------------------------------------------------- defaults */

static void check_default_pass(const struct cfg_trunk *t)
{
	CHECK_EQ_INT(t->n_pass_headers, 4);
	if (t->n_pass_headers != 4)
		return;
	CHECK(!strcmp(t->pass_headers[0], "P-Asserted-Identity"));
	CHECK(!strcmp(t->pass_headers[1], "Privacy"));
	CHECK(!strcmp(t->pass_headers[2], "User-to-User"));
	CHECK(!strcmp(t->pass_headers[3], "X-MS-Custom-*"));
}

static void check_common_defaults(const struct cfg_trunk *t)
{
	CHECK(t->termination_uri == NULL);
	CHECK_EQ_INT(t->identification, CFG_IDENT_FQDN);
	CHECK(t->trunk_context == NULL);
	CHECK(t->termination_header == NULL);
	CHECK(!t->omit_plus_calling);
	CHECK(!t->omit_plus_called);
	check_default_pass(t);
	CHECK_EQ_INT(t->n_add_headers, 0);
	CHECK_EQ_INT(t->max_calls, 0);
	CHECK_EQ_INT(t->max_call_rate, 0);
	CHECK_EQ_INT(t->call_rate_window_ms, 0);
	CHECK_EQ_INT(t->min_se_s, 90);
	CHECK_EQ_INT(t->dial_timeout_ms, 120000);
}

static void test_defaults(void)
{
	struct tb_config *c = LOADS(HEAD ACS GENESYS TERM LAB);
	if (!c)
		return;
	const struct cfg_trunk *a = cfg_trunk_find(c, "acs");
	const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
	const struct cfg_trunk *l = cfg_trunk_find(c, "lab");
	CHECK(a && g && l);
	if (a) {
		check_common_defaults(a);
		CHECK_EQ_INT(a->media_encryption, CFG_MEDIA_SRTP);
		CHECK(a->x_ms_sbc);
	}
	if (g) {
		CHECK_EQ_INT(g->media_encryption, CFG_MEDIA_SRTP);
		CHECK(!g->x_ms_sbc);
		CHECK(g->termination_uri &&
		      !strcmp(g->termination_uri,
		              "contoso.byoc.mypurecloud.com"));
		CHECK_EQ_INT(g->identification, CFG_IDENT_FQDN);
		CHECK(g->trunk_context == NULL);
		CHECK(g->termination_header == NULL);
		CHECK(!g->omit_plus_calling && !g->omit_plus_called);
		check_default_pass(g);
		CHECK_EQ_INT(g->n_add_headers, 0);
		CHECK_EQ_INT(g->max_calls, 0);
		CHECK_EQ_INT(g->max_call_rate, 0);
		CHECK_EQ_INT(g->min_se_s, 90);
		CHECK_EQ_INT(g->dial_timeout_ms, 120000);
	}
	if (l) {
		check_common_defaults(l);
		CHECK_EQ_INT(l->media_encryption, CFG_MEDIA_RTP);
		CHECK(!l->x_ms_sbc);
	}
	cfg_free(c);
}

/* Every key written, on a Genesys trunk and a generic one. */
static void test_all_keys(void)
{
	struct tb_config *c =
	        LOADS(HEAD GENESYS
	              "    media_encryption: srtp\n"
	              "    termination_uri: trunk-7\n"
	              "    identification: tgrp\n"
	              "    trunk_context: byoc.mypurecloud.com\n"
	              "    termination_header: X-Contoso-Trunk\n"
	              "    omit_plus: { calling: true, called: true }\n"
	              "    headers:\n"
	              "      pass: [P-Asserted-Identity, x-contoso-*]\n"
	              "      add:\n"
	              "        X-Contoso-Site: paris\n"
	              "        X-Contoso-Queue: \"sales, 2nd floor\"\n"
	              "        User-to-User: 00FA080019001;encoding=hex\n"
	              "    max_calls: 300\n"
	              "    max_call_rate: 40/5s\n"
	              "    min_se: 30m\n"
	              "    dial_timeout: 1m\n"
	              "    x_ms_sbc: true\n" LAB "    media_encryption: SRTP\n"
	              "    termination_uri: pbx.lab.example\n"
	              "    identification: dnis\n"
	              "    omit_plus: { called: true }\n"
	              "    headers: { pass: [] }\n"
	              "    max_calls: 1000000\n"
	              "    max_call_rate: 1000000/1h\n"
	              "    min_se: 2h\n"
	              "    dial_timeout: 10m\n"
	              "    x_ms_sbc: false\n");
	if (!c)
		return;
	const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
	if (g) {
		CHECK_EQ_INT(g->media_encryption, CFG_MEDIA_SRTP);
		CHECK(!strcmp(g->termination_uri, "trunk-7"));
		CHECK_EQ_INT(g->identification, CFG_IDENT_TGRP);
		CHECK(!strcmp(g->trunk_context, "byoc.mypurecloud.com"));
		CHECK(!strcmp(g->termination_header, "X-Contoso-Trunk"));
		CHECK(g->omit_plus_calling && g->omit_plus_called);
		CHECK_EQ_INT(g->n_pass_headers, 2);
		if (g->n_pass_headers == 2) {
			CHECK(!strcmp(g->pass_headers[0],
			              "P-Asserted-Identity"));
			CHECK(!strcmp(g->pass_headers[1], "x-contoso-*"));
		}
		CHECK_EQ_INT(g->n_add_headers, 3); /* in file order */
		if (g->n_add_headers == 3) {
			CHECK(!strcmp(g->add_headers[0].name,
			              "X-Contoso-Site"));
			CHECK(!strcmp(g->add_headers[0].value, "paris"));
			CHECK(!strcmp(g->add_headers[1].name,
			              "X-Contoso-Queue"));
			CHECK(!strcmp(g->add_headers[1].value,
			              "sales, 2nd floor"));
			CHECK(!strcmp(g->add_headers[2].name, "User-to-User"));
			CHECK(!strcmp(g->add_headers[2].value,
			              "00FA080019001;encoding=hex"));
		}
		CHECK_EQ_INT(g->max_calls, 300);
		CHECK_EQ_INT(g->max_call_rate, 40);
		CHECK_EQ_INT(g->call_rate_window_ms, 5000);
		CHECK_EQ_INT(g->min_se_s, 1800);
		CHECK_EQ_INT(g->dial_timeout_ms, 60000);
		CHECK(g->x_ms_sbc);
	}
	const struct cfg_trunk *l = cfg_trunk_find(c, "lab");
	if (l) {
		CHECK_EQ_INT(l->media_encryption, CFG_MEDIA_SRTP);
		CHECK(!strcmp(l->termination_uri, "pbx.lab.example"));
		CHECK_EQ_INT(l->identification, CFG_IDENT_DNIS);
		CHECK(!l->omit_plus_calling && l->omit_plus_called);
		CHECK_EQ_INT(l->n_pass_headers,
		             0); /* [] replaces the default */
		CHECK_EQ_INT(l->max_calls, 1000000);
		CHECK_EQ_INT(l->max_call_rate, 1000000);
		CHECK_EQ_INT(l->call_rate_window_ms, 3600000);
		CHECK_EQ_INT(l->min_se_s, 7200);
		CHECK_EQ_INT(l->dial_timeout_ms, 600000);
		CHECK(!l->x_ms_sbc);
	}
	cfg_free(c);

	/* An ACS trunk may turn X-MS-SBC off and set its limits. */
	c = LOADS(HEAD ACS
	          "    x_ms_sbc: false\n"
	          "    max_calls: 0\n"
	          "    max_call_rate: 0\n"
	          "    media_encryption: srtp\n"
	          "    omit_plus: { calling: false, called: false }\n");
	if (c) {
		const struct cfg_trunk *a = &c->trunks[0];
		CHECK(!a->x_ms_sbc);
		CHECK_EQ_INT(a->max_calls, 0);
		CHECK_EQ_INT(a->max_call_rate, 0);
		CHECK_EQ_INT(a->call_rate_window_ms, 0);
		CHECK_EQ_INT(a->media_encryption, CFG_MEDIA_SRTP);
	}
	cfg_free(c);
}

/* ----------------------------------------------------- media_encryption */

static void test_media_encryption(void)
{
	struct tb_config *c =
	        EXPECT(HEAD ACS "    media_encryption: rtp\n", EINVAL, 1, 0);
	CHECK(c == NULL);
	CHECK_LINE("trunks.acs.media_encryption",
	           "trunkbridge.yaml:6:23: trunks.acs.media_encryption: rtp; "
	           "ACS Direct Routing requires SRTP (set media_encryption: "
	           "srtp)");

	c = EXPECT(HEAD GENESYS TERM "    media_encryption: rtp\n", 0, 0, 1);
	CHECK_LINE("trunks.genesys.media_encryption",
	           "trunkbridge.yaml:8:23: warning: "
	           "trunks.genesys.media_encryption: rtp; Genesys allows it "
	           "but the guide requires SRTP (set media_encryption: srtp, "
	           "and SRTP on the Genesys trunk)");
	CHECK(c && c->trunks[0].media_encryption == CFG_MEDIA_RTP);
	cfg_free(c);

	c = LOADS(HEAD LAB "    media_encryption: rtp\n");
	CHECK(c && c->trunks[0].media_encryption == CFG_MEDIA_RTP);
	cfg_free(c);

	c = EXPECT(HEAD LAB "    media_encryption: zrtp\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.media_encryption",
	           "trunkbridge.yaml:7:23: trunks.lab.media_encryption: zrtp; "
	           "not one of srtp, rtp (did you mean srtp?)");
}

/* ------------------------------------------------------ termination_uri */

static void test_termination(void)
{
	/* Genesys without it: the error, at the trunk. */
	struct tb_config *c = EXPECT(HEAD GENESYS, EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.termination_uri",
	           "trunkbridge.yaml:4:3: trunks.genesys.termination_uri: "
	           "missing; Genesys Cloud finds the trunk of each call by it "
	           "(interop 2.2) (set termination_uri to the trunk's Inbound "
	           "SIP Termination Identifier, e.g. "
	           "contoso.byoc.mypurecloud.com)");

	/* tgrp: termination_uri and trunk_context both required */
	c = EXPECT(HEAD GENESYS "    identification: tgrp\n", EINVAL, 2, 0);
	CHECK_LINE("trunks.genesys.termination_uri",
	           "trunkbridge.yaml:4:3: trunks.genesys.termination_uri: "
	           "missing; Genesys Cloud finds the trunk of each call by it "
	           "(interop 2.2) (set termination_uri to the trunk's Inbound "
	           "SIP Termination Identifier (its trunk group))");
	CHECK_LINE("trunks.genesys.trunk_context",
	           "trunkbridge.yaml:4:3: trunks.genesys.trunk_context: "
	           "missing; identification tgrp needs the RFC 4904 "
	           "trunk-context (add trunk_context: <a domain or +number>, "
	           "e.g. byoc.mypurecloud.com)");
	c = LOADS(HEAD GENESYS "    identification: tgrp\n"
	                       "    termination_uri: \"grp/7&a+b$\"\n"
	                       "    trunk_context: \"+1-425\"\n");
	CHECK(c && !strcmp(c->trunks[0].termination_uri, "grp/7&a+b$") &&
	      !strcmp(c->trunks[0].trunk_context, "+1-425"));
	cfg_free(c);

	/* dnis: not required */
	c = LOADS(HEAD GENESYS "    identification: dnis\n");
	CHECK(c && c->trunks[0].termination_uri == NULL &&
	      c->trunks[0].identification == CFG_IDENT_DNIS);
	cfg_free(c);

	/* trunk_context without tgrp: ignored, a warning; dropped */
	c = EXPECT(HEAD GENESYS TERM
	           "    trunk_context: byoc.mypurecloud.com\n",
	           0, 0, 1);
	CHECK_LINE(
	        "trunks.genesys.trunk_context",
	        "trunkbridge.yaml:8:5: warning: trunks.genesys.trunk_context:"
	        " ignored: identification is fqdn (remove trunk_context or "
	        "set identification: tgrp)");
	CHECK(c && c->trunks[0].trunk_context == NULL);
	cfg_free(c);

	/* bad values */
	c = EXPECT(HEAD GENESYS
	           "    termination_uri: sip:contoso.byoc.mypurecloud.com\n",
	           EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.termination_uri",
	           "trunkbridge.yaml:7:22: trunks.genesys.termination_uri: "
	           "sip:contoso.byoc.mypurecloud.com; the Inbound SIP "
	           "Termination Identifier is a name, not a SIP URI (write "
	           "the identifier alone, e.g. contoso.byoc.mypurecloud.com)");
	c = EXPECT(HEAD GENESYS "    termination_uri: contoso_byoc\n", EINVAL,
	           1, 0);
	CHECK_LINE("trunks.genesys.termination_uri",
	           "trunkbridge.yaml:7:22: trunks.genesys.termination_uri: "
	           "contoso_byoc; not a DNS name (identification is fqdn) "
	           "(write the trunk's Inbound SIP Termination Identifier, "
	           "e.g. contoso.byoc.mypurecloud.com)");
	c = EXPECT(HEAD GENESYS "    identification: tgrp\n"
	                        "    termination_uri: \"a b\"\n"
	                        "    trunk_context: \"+1x\"\n",
	           EINVAL, 2, 0);
	CHECK_LINE("trunks.genesys.termination_uri",
	           "trunkbridge.yaml:8:22: trunks.genesys.termination_uri: "
	           "a b; not an RFC 4904 trunk group (use letters, digits "
	           "and -_.!~*'()/&+$ only)");
	CHECK_LINE("trunks.genesys.trunk_context",
	           "trunkbridge.yaml:9:20: trunks.genesys.trunk_context: +1x; "
	           "not an RFC 4904 trunk-context (write a domain or a "
	           "+number, e.g. byoc.mypurecloud.com)");
	c = EXPECT(HEAD GENESYS TERM "    identification: trunk\n", EINVAL, 1,
	           0);
	CHECK_LINE("trunks.genesys.identification",
	           "trunkbridge.yaml:8:21: trunks.genesys.identification: "
	           "trunk; not one of fqdn, tgrp, dnis (write one of: fqdn, "
	           "tgrp, dnis)");

	/* termination_header: a header name; it needs termination_uri */
	c = LOADS(HEAD GENESYS TERM "    termination_header: X-Trunk\n");
	CHECK(c && !strcmp(c->trunks[0].termination_header, "X-Trunk"));
	cfg_free(c);
	c = EXPECT(HEAD GENESYS "    identification: dnis\n"
	                        "    termination_header: X-Trunk\n",
	           EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.termination_header",
	           "trunkbridge.yaml:8:25: trunks.genesys.termination_header: "
	           "the header carries termination_uri, which is not set "
	           "(set termination_uri, or remove termination_header)");
	c = EXPECT(HEAD GENESYS TERM "    termination_header: Contact\n",
	           EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.termination_header",
	           "trunkbridge.yaml:8:25: trunks.genesys.termination_header: "
	           "Contact; a core header: the SBC writes its own on each "
	           "leg (remove it)");
	c = EXPECT(HEAD GENESYS TERM "    termination_header: X-Inin-Trunk\n",
	           EINVAL, 1, 0);
	CHECK(find("trunks.genesys.termination_header") &&
	      strstr(find("trunks.genesys.termination_header")->what,
	             "reserves the x-inin"));

	/* On ACS: read, warned about, dropped. */
	c = EXPECT(HEAD ACS TERM "    identification: tgrp\n"
	                         "    trunk_context: byoc.mypurecloud.com\n"
	                         "    termination_header: X-Trunk\n",
	           0, 0, 4);
	CHECK_LINE("trunks.acs.termination_uri",
	           "trunkbridge.yaml:6:5: warning: trunks.acs.termination_uri:"
	           " ignored on ACS: it is Genesys' Inbound SIP Termination "
	           "Identifier (remove it)");
	CHECK(find("trunks.acs.identification") &&
	      find("trunks.acs.trunk_context") &&
	      find("trunks.acs.termination_header"));
	if (c) {
		const struct cfg_trunk *a = &c->trunks[0];
		CHECK(a->termination_uri == NULL && a->trunk_context == NULL &&
		      a->termination_header == NULL &&
		      a->identification == CFG_IDENT_FQDN);
	}
	cfg_free(c);

	/* On a generic trunk: allowed, kept. */
	c = LOADS(HEAD LAB "    termination_uri: pbx.lab.example\n");
	CHECK(c && !strcmp(c->trunks[0].termination_uri, "pbx.lab.example"));
	cfg_free(c);
}

/* ------------------------------------------------------------ omit_plus */

static void test_omit_plus(void)
{
	struct tb_config *c =
	        LOADS(HEAD GENESYS TERM "    omit_plus: { calling: true }\n");
	CHECK(c && c->trunks[0].omit_plus_calling &&
	      !c->trunks[0].omit_plus_called);
	cfg_free(c);

	c = EXPECT(HEAD GENESYS TERM
	           "    omit_plus: { callng: true, called: yes }\n",
	           EINVAL, 2, 0);
	CHECK_LINE("trunks.genesys.omit_plus.callng",
	           "trunkbridge.yaml:8:18: trunks.genesys.omit_plus.callng: "
	           "unknown key (did you mean calling?)");
	CHECK_LINE("trunks.genesys.omit_plus.called",
	           "trunkbridge.yaml:8:40: trunks.genesys.omit_plus.called: "
	           "yes; not a boolean (write true or false)");
	c = EXPECT(HEAD GENESYS TERM "    omit_plus: true\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.omit_plus",
	           "trunkbridge.yaml:8:16: trunks.genesys.omit_plus: found a "
	           "value; expected a mapping (key: value lines) (calling, "
	           "called)");

	/* ACS wants the + (interop 1.4). */
	c = EXPECT(HEAD ACS "    omit_plus: { called: true }\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.acs.omit_plus.called",
	           "trunkbridge.yaml:6:26: trunks.acs.omit_plus.called: true; "
	           "ACS Direct Routing requires E.164 numbers with + in the "
	           "Request-URI and From (interop 1.4) (set false: numbers "
	           "toward ACS keep the +)");
}

/* --------------------------------------------------------------- headers */

static void test_headers(void)
{
	/* headers: with no pass keeps the default pass list */
	struct tb_config *c = LOADS(HEAD GENESYS TERM
	                            "    headers: { add: { X-A: \"1\" } }\n");
	if (c) {
		check_default_pass(&c->trunks[0]);
		CHECK_EQ_INT(c->trunks[0].n_add_headers, 1);
	}
	cfg_free(c);
	/* an explicit list replaces it; a duplicate is a warning */
	c = EXPECT(HEAD LAB "    headers:\n"
	                    "      pass: [Privacy, X-MS-Custom-*, privacy]\n",
	           0, 0, 1);
	if (c) {
		CHECK_EQ_INT(c->trunks[0].n_pass_headers, 2);
		CHECK(!strcmp(c->trunks[0].pass_headers[1], "X-MS-Custom-*"));
	}
	CHECK_LINE("trunks.lab.headers.pass[2]",
	           "trunkbridge.yaml:8:38: warning: trunks.lab.headers.pass[2]:"
	           " privacy is listed twice (remove the duplicate)");
	cfg_free(c);

	/* Genesys' reserved prefixes, in pass and add, any case */
	c = EXPECT(HEAD GENESYS TERM "    headers:\n"
	                             "      pass: [x-inin-cid, X-Genesys-*]\n"
	                             "      add:\n"
	                             "        X-PCV-Foo: a\n"
	                             "        x-gcv: b\n"
	                             "        X-Inside: c\n",
	           EINVAL, 4, 0);
	CHECK_LINE("trunks.genesys.headers.pass[0]",
	           "trunkbridge.yaml:9:14: trunks.genesys.headers.pass[0]: "
	           "x-inin-cid; Genesys Cloud reserves the x-inin/x-genesys/"
	           "x-pcv/x-gcv prefixes (interop 2.3) (choose a name without"
	           " these prefixes, e.g. X-Contoso-...)");
	CHECK_LINE("trunks.genesys.headers.pass[1]",
	           "trunkbridge.yaml:9:26: trunks.genesys.headers.pass[1]: "
	           "X-Genesys-*; Genesys Cloud reserves the x-inin/x-genesys/"
	           "x-pcv/x-gcv prefixes (interop 2.3) (choose a name without"
	           " these prefixes, e.g. X-Contoso-...)");
	CHECK_LINE(
	        "trunks.genesys.headers.add.X-PCV-Foo",
	        "trunkbridge.yaml:11:9: trunks.genesys.headers.add.X-PCV-Foo:"
	        " X-PCV-Foo; Genesys Cloud reserves the x-inin/x-genesys/"
	        "x-pcv/x-gcv prefixes (interop 2.3) (choose a name without"
	        " these prefixes, e.g. X-Contoso-...)");
	CHECK(find("trunks.genesys.headers.add.x-gcv") != NULL);
	CHECK(find("trunks.genesys.headers.add.X-Inside") == NULL);
	/* the same names are fine on another profile */
	c = LOADS(HEAD LAB "    headers: { add: { X-Inin-Foo: a } }\n");
	cfg_free(c);
	/* a wildcard wider than a reserved prefix: a warning on Genesys */
	c = EXPECT(HEAD GENESYS TERM "    headers: { pass: [\"X-*\"] }\n", 0, 0,
	           1);
	CHECK_LINE("trunks.genesys.headers.pass[0]",
	           "trunkbridge.yaml:8:23: warning: "
	           "trunks.genesys.headers.pass[0]: X-*; also passes the "
	           "x-inin/x-genesys/x-pcv/x-gcv headers Genesys Cloud "
	           "reserves (interop 2.3) (use a narrower prefix, e.g. "
	           "X-MS-Custom-*)");
	cfg_free(c);

	/* core headers, bad names and values, on any profile */
	c = EXPECT(HEAD LAB "    headers:\n"
	                    "      pass: [Via, \"*\", \"X Foo\", \"X-*-y\"]\n"
	                    "      add:\n"
	                    "        call-id: x\n"
	                    "        Replaces: x\n"
	                    "        m: x\n"
	                    "        \"X-Star*\": x\n"
	                    "        X-Two: \"a\\r\\nInjected: 1\"\n"
	                    "        X-Ctl: \"a\\u0007b\"\n"
	                    "        X-Empty: \"\"\n"
	                    "        x-ok: fine\n"
	                    "        X-OK: twice\n",
	           EINVAL, 12, 0);
	CHECK_LINE("trunks.lab.headers.pass[0]",
	           "trunkbridge.yaml:8:14: trunks.lab.headers.pass[0]: Via; a "
	           "core header: the SBC writes its own on each leg (remove "
	           "it)");
	CHECK_LINE("trunks.lab.headers.pass[1]",
	           "trunkbridge.yaml:8:19: trunks.lab.headers.pass[1]: *; "
	           "would pass every header of the other leg (list the names,"
	           " or a prefix such as X-MS-Custom-*)");
	CHECK_LINE("trunks.lab.headers.pass[2]",
	           "trunkbridge.yaml:8:24: trunks.lab.headers.pass[2]: X Foo; "
	           "not a SIP header name (write a header name (letters, "
	           "digits, -), or a prefix ending in *, e.g. X-MS-Custom-*)");
	CHECK(find("trunks.lab.headers.pass[3]") != NULL);
	CHECK_LINE("trunks.lab.headers.add.call-id",
	           "trunkbridge.yaml:10:9: trunks.lab.headers.add.call-id: "
	           "call-id; a core header: the SBC writes its own on each "
	           "leg (remove it)");
	CHECK(find("trunks.lab.headers.add.Replaces") != NULL);
	CHECK(find("trunks.lab.headers.add.m") != NULL);
	CHECK_LINE("trunks.lab.headers.add.X-Star*",
	           "trunkbridge.yaml:13:9: trunks.lab.headers.add.X-Star*: "
	           "X-Star*; not a SIP header name (write a header name: "
	           "letters, digits and -, e.g. X-Contoso-Queue)");
	CHECK_LINE("trunks.lab.headers.add.X-Two",
	           "trunkbridge.yaml:14:16: trunks.lab.headers.add.X-Two: "
	           "value holds a line break (write the value on one line, "
	           "without control characters)");
	CHECK_LINE("trunks.lab.headers.add.X-Ctl",
	           "trunkbridge.yaml:15:16: trunks.lab.headers.add.X-Ctl: "
	           "value holds a control character (write the value on one "
	           "line, without control characters)");
	CHECK(find("trunks.lab.headers.add.X-Empty") != NULL);
	CHECK_LINE("trunks.lab.headers.add.X-OK",
	           "trunkbridge.yaml:18:9: trunks.lab.headers.add.X-OK: X-OK "
	           "is listed twice (write each header once (names are "
	           "case-insensitive))");

	/* values: 256 characters at most */
	char y[1024], v[300];
	memset(v, 'a', 257);
	v[257] = '\0';
	snprintf(y, sizeof(y),
	         HEAD LAB "    headers: { add: { X-Long: %s } }\n", v);
	c = EXPECT(y, EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.headers.add.X-Long",
	           "trunkbridge.yaml:7:31: trunks.lab.headers.add.X-Long: value"
	           " of 257 characters is too long (at most 256)");
	v[256] = '\0';
	snprintf(y, sizeof(y),
	         HEAD LAB "    headers: { add: { X-Long: %s } }\n", v);
	c = LOADS(y);
	CHECK(c && strlen(c->trunks[0].add_headers[0].value) == 256);
	cfg_free(c);

	/* not a list, not a mapping */
	c = EXPECT(HEAD LAB "    headers: { pass: Privacy, add: [X-A] }\n",
	           EINVAL, 2, 0);
	CHECK_LINE("trunks.lab.headers.pass",
	           "trunkbridge.yaml:7:22: trunks.lab.headers.pass: found a "
	           "value; expected a list of header names (write a list: "
	           "pass: [P-Asserted-Identity, Privacy, X-MS-Custom-*])");
	CHECK(find("trunks.lab.headers.add") != NULL);
	c = EXPECT(HEAD LAB "    headers: { passs: [] }\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.headers.passs",
	           "trunkbridge.yaml:7:16: trunks.lab.headers.passs: unknown "
	           "key (did you mean pass?)");
}

/* ACS: X-MS-Custom-* at most 5, names <= 64; other X-MS-* reserved. */
static void test_headers_acs(void)
{
	struct tb_config *c = LOADS(HEAD ACS "    headers:\n"
	                                     "      add:\n"
	                                     "        X-MS-Custom-A: 1\n"
	                                     "        X-MS-Custom-B: 2\n"
	                                     "        User-to-User: 00ff\n"
	                                     "        X-MS-Custom-C: 3\n"
	                                     "        X-MS-Custom-D: 4\n"
	                                     "        X-MS-Custom-E: 5\n"
	                                     "        X-Contoso: 6\n");
	CHECK(c && c->trunks[0].n_add_headers == 7);
	cfg_free(c);

	char name[80];
	memset(name, 'N', sizeof(name));
	memcpy(name, "X-MS-Custom-", 12);
	name[65] = '\0'; /* 65 characters */
	char y[2048];
	snprintf(y, sizeof(y),
	         HEAD ACS "    headers:\n"
	                  "      pass: [X-MS-SBC, \"X-MS-*\"]\n"
	                  "      add:\n"
	                  "        X-MS-Custom-A: 1\n"
	                  "        X-MS-Custom-B: 2\n"
	                  "        X-MS-Custom-C: 3\n"
	                  "        X-MS-Custom-D: 4\n"
	                  "        X-MS-Custom-E: 5\n"
	                  "        X-MS-Custom-F: 6\n"
	                  "        %s: 7\n"
	                  "        x-ms-sbc: trunkbridge\n"
	                  "        X-MS-Foo: 9\n",
	         name);
	c = EXPECT(y, EINVAL, 6, 0);
	CHECK_LINE("trunks.acs.headers.pass[0]",
	           "trunkbridge.yaml:7:14: trunks.acs.headers.pass[0]: "
	           "X-MS-SBC; Microsoft reserves the X-MS-* names other than "
	           "X-MS-Custom-* (interop 1.4) (remove it; x_ms_sbc: true "
	           "sends it)");
	CHECK_LINE("trunks.acs.headers.pass[1]",
	           "trunkbridge.yaml:7:24: trunks.acs.headers.pass[1]: X-MS-*;"
	           " Microsoft reserves the X-MS-* names other than "
	           "X-MS-Custom-* (interop 1.4) (name it X-MS-Custom-<name>)");
	CHECK_LINE(
	        "trunks.acs.headers.add.X-MS-Custom-F",
	        "trunkbridge.yaml:14:9: trunks.acs.headers.add.X-MS-Custom-F:"
	        " X-MS-Custom-F; ACS takes at most 5 X-MS-Custom- headers "
	        "(interop 1.4) (remove one)");
	char path[200], want[600];
	snprintf(path, sizeof(path), "trunks.acs.headers.add.%s", name);
	snprintf(want, sizeof(want),
	         "trunkbridge.yaml:15:9: %s: %s; 65 characters: ACS takes "
	         "custom header names of at most 64, X-MS-Custom- included "
	         "(interop 1.4) (shorten the name to 64 characters or fewer)",
	         path, name);
	CHECK_LINE(path, want);
	CHECK(find("trunks.acs.headers.add.x-ms-sbc") != NULL);
	CHECK(find("trunks.acs.headers.add.X-MS-Foo") != NULL);
}

/* ------------------------------------------------------------- the limits */

static void test_call_rate(void)
{
	struct {
		const char *text;
		uint32_t count, window_ms;
	} ok[] = {{"40/5s", 40, 5000},   {"0", 0, 0},
	          {"1/1s", 1, 1000},     {"40/5", 40, 5000},
	          {"10/1m", 10, 60000},  {"1000000/1h", 1000000, 3600000},
	          {"3/1000ms", 3, 1000}, {"\"40/5s\"", 40, 5000}};
	char y[512];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(y, sizeof(y), HEAD LAB "    max_call_rate: %s\n",
		         ok[i].text);
		struct tb_config *c = LOADS(y);
		CHECK(c && c->trunks[0].max_call_rate == ok[i].count &&
		      c->trunks[0].call_rate_window_ms == ok[i].window_ms);
		cfg_free(c);
	}
	struct {
		const char *text, *want;
	} bad[] = {
	        {"x/5s", "x/5s; not a call rate (write count/window, e.g. "
	                 "40/5s (at most 40 new calls in 5 seconds), or 0 "
	                 "for no limit)"},
	        {"40", "40; not a call rate (write count/window, e.g. 40/5s "
	               "(at most 40 new calls in 5 seconds), or 0 for no "
	               "limit)"},
	        {"/5s", "/5s; not a call rate"},
	        {"40 /5s", "40 /5s; not a call rate"},
	        {"40/0s", "40/0s; window out of range 1s-1h (use a window "
	                  "from 1s to 1h, e.g. 40/5s)"},
	        {"40/500ms", "40/500ms; window out of range 1s-1h"},
	        {"40/2h", "40/2h; window out of range 1s-1h (use a window "
	                  "from 1s to 1h, e.g. 40/5s)"},
	        {"0/5s", "0/5s; count out of range 1-1000000 (write "
	                 "count/window"},
	        {"1000001/1s", "1000001/1s; count out of range 1-1000000"},
	        {"99999999999/1s", "99999999999/1s; not a call rate"},
	        {"40/5 seconds", "40/5 seconds; the window \"5 seconds\" is "
	                         "not a duration (write 40/5s)"},
	        {"40/soon", "40/soon; the window \"soon\" is not a duration "
	                    "(write count/window, e.g. 40/5s"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(y, sizeof(y), HEAD LAB "    max_call_rate: %s\n",
		         bad[i].text);
		struct tb_config *c = EXPECT(y, EINVAL, 1, 0);
		CHECK(c == NULL);
		const struct cfg_error *e = find("trunks.lab.max_call_rate");
		char buf[1200] = "";
		if (e)
			cfg_error_format(e, buf, sizeof(buf));
		test_checks++;
		if (!e || e->line != 7 || e->column != 20 ||
		    !strstr(buf, bad[i].want)) {
			test_failures++;
			fprintf(stderr, "%s:%d: %s: got '%s'\n", __FILE__,
			        __LINE__, bad[i].text, buf);
		}
	}
	/* the whole line once */
	EXPECT(HEAD LAB "    max_call_rate: 40/0s\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.max_call_rate",
	           "trunkbridge.yaml:7:20: trunks.lab.max_call_rate: 40/0s; "
	           "window out of range 1s-1h (use a window from 1s to 1h, "
	           "e.g. 40/5s)");
}

static void test_min_se_dial_timeout_max_calls(void)
{
	struct tb_config *c;
	c = LOADS(HEAD LAB "    min_se: 90\n");
	CHECK(c && c->trunks[0].min_se_s == 90);
	cfg_free(c);
	c = LOADS(HEAD LAB "    min_se: 1800s\n");
	CHECK(c && c->trunks[0].min_se_s == 1800);
	cfg_free(c);

	EXPECT(HEAD LAB "    min_se: 60s\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.min_se",
	           "trunkbridge.yaml:7:13: trunks.lab.min_se: 60s; RFC 4028: "
	           "Min-SE is never below 90 seconds (set min_se: 90s or "
	           "more)");
	EXPECT(HEAD LAB "    min_se: 89999ms\n", EINVAL, 1, 0);
	CHECK(find("trunks.lab.min_se") &&
	      strstr(find("trunks.lab.min_se")->what, "never below 90"));
	EXPECT(HEAD LAB "    min_se: 3h\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.min_se",
	           "trunkbridge.yaml:7:13: trunks.lab.min_se: 3h; out of range "
	           "90s-2h (use a duration from 90s to 2h)");
	EXPECT(HEAD LAB "    min_se: 90500ms\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.min_se",
	           "trunkbridge.yaml:7:13: trunks.lab.min_se: 90500ms; Min-SE "
	           "is a whole number of seconds (write whole seconds, e.g. "
	           "90s)");
	EXPECT(HEAD LAB "    min_se: 1.5m\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.min_se",
	           "trunkbridge.yaml:7:13: trunks.lab.min_se: \"1.5m\" is not "
	           "a duration (write 90s; a duration is a whole number with "
	           "ms, s, m or h, a bare number is seconds)");

	c = LOADS(HEAD LAB "    dial_timeout: 1s\n");
	CHECK(c && c->trunks[0].dial_timeout_ms == 1000);
	cfg_free(c);
	EXPECT(HEAD LAB "    dial_timeout: 11m\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.dial_timeout",
	           "trunkbridge.yaml:7:19: trunks.lab.dial_timeout: 11m; out "
	           "of range 1s-10m (use a duration from 1s to 10m)");
	EXPECT(HEAD LAB "    dial_timeout: 500ms\n", EINVAL, 1, 0);
	CHECK(find("trunks.lab.dial_timeout") != NULL);

	EXPECT(HEAD LAB "    max_calls: 1000001\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.max_calls",
	           "trunkbridge.yaml:7:16: trunks.lab.max_calls: 1000001; out "
	           "of range 0-1000000 (use a whole number from 0 (no limit) "
	           "to 1000000)");
	EXPECT(HEAD LAB "    max_calls: many\n", EINVAL, 1, 0);
	CHECK(find("trunks.lab.max_calls") &&
	      strstr(find("trunks.lab.max_calls")->what, "not a whole number"));

	EXPECT(HEAD LAB "    x_ms_sbc: yes\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.lab.x_ms_sbc",
	           "trunkbridge.yaml:7:15: trunks.lab.x_ms_sbc: yes; not a "
	           "boolean (write true or false)");
}

/* diversion: the defaults of each profile, every value, each error and
 * warning at its line:column (the guide's Edge Case 2). */
static void test_diversion(void)
{
	struct tb_config *c = LOADS(HEAD ACS GENESYS TERM LAB);
	if (c) {
		const struct cfg_trunk *a = cfg_trunk_find(c, "acs");
		const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
		const struct cfg_trunk *l = cfg_trunk_find(c, "lab");
		CHECK(a && a->diversion.form == CFG_DIVERT_DIVERSION &&
		      a->diversion.always_send && !a->diversion.source);
		CHECK(g && g->diversion.form == CFG_DIVERT_DIVERSION &&
		      !g->diversion.always_send && !g->diversion.source);
		CHECK(l && l->diversion.form == CFG_DIVERT_DIVERSION &&
		      !l->diversion.always_send && !l->diversion.source);
		cfg_free(c);
	}
	c = LOADS(HEAD GENESYS TERM
	          "    diversion: { form: history-info, always_send: true, "
	          "source: '+18005550100' }\n" LAB
	          "    diversion: { form: NONE, source: original-called }\n"
	          "  lab2: { profile: generic, servers: [pbx2.lab.example], "
	          "diversion: { form: both, source: original_called_address, "
	          "always_send: false } }\n"
	          "  lab3: { profile: generic, servers: [pbx3.lab.example], "
	          "diversion: { source: '+999999999999999' } }\n"
	          "  lab4: { profile: generic, servers: [pbx4.lab.example], "
	          "diversion: }\n");
	if (c) {
		const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
		const struct cfg_trunk *l = cfg_trunk_find(c, "lab");
		const struct cfg_trunk *l2 = cfg_trunk_find(c, "lab2");
		const struct cfg_trunk *l3 = cfg_trunk_find(c, "lab3");
		const struct cfg_trunk *l4 = cfg_trunk_find(c, "lab4");
		CHECK(g && g->diversion.form == CFG_DIVERT_HISTORY_INFO &&
		      g->diversion.always_send && g->diversion.source &&
		      !strcmp(g->diversion.source, "+18005550100"));
		CHECK(l && l->diversion.form == CFG_DIVERT_NONE &&
		      !l->diversion.always_send && !l->diversion.source);
		CHECK(l2 && l2->diversion.form == CFG_DIVERT_BOTH &&
		      !l2->diversion.always_send && !l2->diversion.source);
		CHECK(l3 && l3->diversion.source &&
		      !strcmp(l3->diversion.source, "+999999999999999"));
		CHECK(l4 && l4->diversion.form == CFG_DIVERT_DIVERSION);
		cfg_free(c);
	}
	/* ACS: its defaults are what the guide asks; switching them off
	 * warns */
	c = LOADS(HEAD ACS "    diversion: { form: both, source: "
	                   "'+14255550100' }\n");
	CHECK(c && c->trunks[0].diversion.always_send &&
	      c->trunks[0].diversion.form == CFG_DIVERT_BOTH);
	cfg_free(c);
	c = EXPECT(HEAD ACS "    diversion: { form: history-info }\n", 0, 0, 1);
	CHECK_LINE("trunks.acs.diversion.form",
	           "trunkbridge.yaml:6:24: warning: trunks.acs.diversion.form: "
	           "history-info; Azure verifies a forwarded call by its "
	           "Diversion header and rejects the call without one (the "
	           "guide's Edge Case 2) (set form: diversion (or both))");
	cfg_free(c);
	c = EXPECT(HEAD ACS "    diversion:\n      always_send: false\n", 0, 0,
	           1);
	CHECK_LINE("trunks.acs.diversion.always_send",
	           "trunkbridge.yaml:7:20: warning: "
	           "trunks.acs.diversion.always_send: false; transfers to "
	           "external numbers through Azure fail without a Diversion "
	           "header (the guide's Edge Case 2: \"Always send Diversion "
	           "Header\") (set always_send: true)");
	cfg_free(c);
	c = EXPECT(HEAD ACS "    diversion: { form: none, always_send: false "
	                    "}\n",
	           0, 0, 1);
	CHECK(find("trunks.acs.diversion.form") != NULL);
	cfg_free(c);

	/* errors, each at its value */
	EXPECT(HEAD GENESYS TERM
	       "    diversion: { form: divert, always_send: yes, source: "
	       "'+1800555010a' }\n",
	       EINVAL, 3, 0);
	CHECK_LINE("trunks.genesys.diversion.form",
	           "trunkbridge.yaml:8:24: trunks.genesys.diversion.form: "
	           "divert; not one of diversion, history-info, both, none "
	           "(write one of: diversion, history-info, both, none)");
	CHECK_LINE("trunks.genesys.diversion.always_send",
	           "trunkbridge.yaml:8:45: "
	           "trunks.genesys.diversion.always_send: yes; not a boolean "
	           "(write true or false)");
	CHECK_LINE("trunks.genesys.diversion.source",
	           "trunkbridge.yaml:8:58: trunks.genesys.diversion.source: "
	           "+1800555010a; not an E.164 number (+ and 1-15 digits) "
	           "(write original-called (the number the caller dialled), "
	           "or a number in E.164 form, e.g. +18005550100)");
	EXPECT(HEAD GENESYS TERM "    diversion: { source: 18005550100 }\n",
	       EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.diversion.source",
	           "trunkbridge.yaml:8:26: trunks.genesys.diversion.source: "
	           "18005550100; not an E.164 number (+ and 1-15 digits) "
	           "(write original-called (the number the caller dialled), "
	           "or a number in E.164 form, e.g. +18005550100)");
	EXPECT(HEAD GENESYS TERM "    diversion: { source: '+1234567890123456' "
	                         "}\n",
	       EINVAL, 1, 0);
	CHECK(find("trunks.genesys.diversion.source") != NULL);
	EXPECT(HEAD GENESYS TERM "    diversion: { source: called }\n", EINVAL,
	       1, 0);
	CHECK_LINE("trunks.genesys.diversion.source",
	           "trunkbridge.yaml:8:26: trunks.genesys.diversion.source: "
	           "called; not original-called or an E.164 number (write "
	           "original-called (the number the caller dialled), or a "
	           "number in E.164 form, e.g. +18005550100)");
	EXPECT(HEAD GENESYS TERM "    diversion: { source: '+' }\n", EINVAL, 1,
	       0);
	EXPECT(HEAD GENESYS TERM "    diversion: none\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.diversion",
	           "trunkbridge.yaml:8:16: trunks.genesys.diversion: found a "
	           "value; expected a mapping (key: value lines) (form, "
	           "always_send, source)");
	EXPECT(HEAD GENESYS TERM "    diversion: { from: original-called }\n",
	       EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.diversion.from",
	           "trunkbridge.yaml:8:18: trunks.genesys.diversion.from: "
	           "unknown key (did you mean form?)");
}

/* allow_from_ip_ranges: absent by default on every profile, every key,
 * each error and warning at its line:column. The file is not opened. */
static void test_ip_ranges(void)
{
	struct tb_config *c = LOADS(HEAD ACS GENESYS TERM LAB);
	for (size_t i = 0; c && i < c->n_trunks; i++) {
		const struct cfg_ip_ranges *r = &c->trunks[i].ip_ranges;
		CHECK(r->file == NULL);
		CHECK(r->n_services + r->n_regions + r->n_directions == 0);
	}
	cfg_free(c);

	c = LOADS(HEAD GENESYS TERM
	          "    allow_from_ip_ranges:\n"
	          "      file: /var/lib/trunkbridge/genesys-ipranges.json\n"
	          "      services: [sip-signaling, SIP]\n"
	          "      regions: [us-east-1, us-west-2]\n"
	          "      directions: [outbound, inbound]\n" ACS
	          "    allow_from_ip_ranges: { file: ipr.json, services: [], "
	          "regions: }\n" LAB
	          "    allow_from_ip_ranges: { file: 'ip ranges.json' }\n");
	if (c) {
		const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
		const struct cfg_trunk *a = cfg_trunk_find(c, "acs");
		const struct cfg_trunk *l = cfg_trunk_find(c, "lab");
		const struct cfg_ip_ranges *r = g ? &g->ip_ranges : NULL;
		CHECK(r && r->file &&
		      !strcmp(r->file,
		              "/var/lib/trunkbridge/genesys-ipranges.json"));
		CHECK(r && r->n_services == 2 &&
		      !strcmp(r->services[0], "sip-signaling") &&
		      !strcmp(r->services[1], "SIP"));
		CHECK(r && r->n_regions == 2 &&
		      !strcmp(r->regions[1], "us-west-2"));
		CHECK(r && r->n_directions == 2 &&
		      !strcmp(r->directions[0], "outbound"));
		CHECK(g && g->n_allow == 0); /* no static list */
		/* on ACS too, beside its default allow; a relative path
		 * is kept as written (like cdr.store, certificate) */
		CHECK(a && a->ip_ranges.file &&
		      !strcmp(a->ip_ranges.file, "ipr.json") &&
		      a->ip_ranges.n_services == 0 &&
		      a->ip_ranges.n_regions == 0 && a->n_allow == 2);
		CHECK(l && l->ip_ranges.file &&
		      !strcmp(l->ip_ranges.file, "ip ranges.json"));
		cfg_free(c);
	}

	/* errors and warnings */
	EXPECT(HEAD GENESYS TERM "    allow_from_ip_ranges:\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.allow_from_ip_ranges.file",
	           "trunkbridge.yaml:8:5: "
	           "trunks.genesys.allow_from_ip_ranges.file: missing; the "
	           "Genesys ip-ranges JSON file to read (add file: <the saved "
	           "answer of GET /api/v2/ipranges>, e.g. file: "
	           "/etc/trunkbridge/genesys-ipranges.json)");
	EXPECT(HEAD GENESYS TERM "    allow_from_ip_ranges: ipr.json\n", EINVAL,
	       1, 0);
	CHECK_LINE(
	        "trunks.genesys.allow_from_ip_ranges",
	        "trunkbridge.yaml:8:27: trunks.genesys.allow_from_ip_ranges: "
	        "found a value; expected a mapping (key: value lines) "
	        "(file, services, regions, directions)");
	EXPECT(HEAD GENESYS TERM
	       "    allow_from_ip_ranges: { services: [a, A, ''], regions: x, "
	       "directions: [inbound, sideways], fle: y }\n",
	       EINVAL, 4, 3);
	CHECK_LINE("trunks.genesys.allow_from_ip_ranges.file",
	           "trunkbridge.yaml:8:5: "
	           "trunks.genesys.allow_from_ip_ranges.file: missing; the "
	           "Genesys ip-ranges JSON file to read (add file: <the saved "
	           "answer of GET /api/v2/ipranges>, e.g. file: "
	           "/etc/trunkbridge/genesys-ipranges.json)");
	CHECK_LINE("trunks.genesys.allow_from_ip_ranges.services[1]",
	           "trunkbridge.yaml:8:43: warning: "
	           "trunks.genesys.allow_from_ip_ranges.services[1]: A is "
	           "listed twice (remove the duplicate)");
	CHECK_LINE("trunks.genesys.allow_from_ip_ranges.services[2]",
	           "trunkbridge.yaml:8:46: "
	           "trunks.genesys.allow_from_ip_ranges.services[2]: empty "
	           "value (write a value or remove the key)");
	CHECK_LINE("trunks.genesys.allow_from_ip_ranges.regions",
	           "trunkbridge.yaml:8:60: "
	           "trunks.genesys.allow_from_ip_ranges.regions: found a value;"
	           " expected a list of names (write a list: regions: "
	           "[us-east-1])");
	CHECK_LINE("trunks.genesys.allow_from_ip_ranges.directions",
	           "trunkbridge.yaml:8:76: warning: "
	           "trunks.genesys.allow_from_ip_ranges.directions: inbound "
	           "only; these are the ranges Genesys receives on, and "
	           "requests Genesys sends come from its outbound ranges "
	           "(interop 2.5, F9) (add outbound: directions: [outbound])");
	CHECK_LINE("trunks.genesys.allow_from_ip_ranges.directions[1]",
	           "trunkbridge.yaml:8:85: warning: "
	           "trunks.genesys.allow_from_ip_ranges.directions[1]: "
	           "sideways; Genesys' ip-ranges directions are inbound and "
	           "outbound (interop 2.5): no entry would match it (write "
	           "inbound and/or outbound)");
	CHECK_LINE("trunks.genesys.allow_from_ip_ranges.fle",
	           "trunkbridge.yaml:8:96: "
	           "trunks.genesys.allow_from_ip_ranges.fle: unknown key (did "
	           "you mean file?)");
	/* limits: 32 names, 63 characters each */
	char yaml[4096];
	size_t k = (size_t)snprintf(yaml, sizeof(yaml), "%s",
	                            HEAD GENESYS TERM
	                            "    allow_from_ip_ranges: { file: x, "
	                            "regions: [");
	for (int i = 0; i < 33; i++)
		k += (size_t)snprintf(yaml + k, sizeof(yaml) - k, "%sr%d",
		                      i ? ", " : "", i);
	snprintf(yaml + k, sizeof(yaml) - k, "], services: [%064d] }\n", 7);
	EXPECT(yaml, EINVAL, 2, 0);
	CHECK_LINE("trunks.genesys.allow_from_ip_ranges.regions",
	           "trunkbridge.yaml:8:48: "
	           "trunks.genesys.allow_from_ip_ranges.regions: 33 names; at "
	           "most 32");
	CHECK(find("trunks.genesys.allow_from_ip_ranges.services[0]") &&
	      strstr(find("trunks.genesys.allow_from_ip_ranges.services[0]")
	                     ->what,
	             "value of 64 characters is too long (at most 63)"));
	EXPECT(HEAD GENESYS TERM "    allow_from_ip_ranges: { file: '' }\n",
	       EINVAL, 1, 0);
	CHECK(find("trunks.genesys.allow_from_ip_ranges.file") != NULL);
}

/* A near miss of a key. */
static void test_unknown(void)
{
	EXPECT(HEAD GENESYS TERM "    max_call: 10\n", EINVAL, 1, 0);
	CHECK_LINE("trunks.genesys.max_call",
	           "trunkbridge.yaml:8:5: trunks.genesys.max_call: unknown key "
	           "(did you mean max_calls?)");
}

/* The shipped example: the new keys as written there. */
static void test_example(void)
{
	char path[1024];
	const char *f = __FILE__;
	const char *cut = strstr(f, "tests/unit/test_cfg_calls.c");
	snprintf(path, sizeof(path), "%.*sexamples/trunkbridge.yaml",
	         (int)(cut ? cut - f : 0), f);
	struct tb_config *c = NULL;
	CHECK_EQ_INT(cfg_load(path, &c, &errs), 0);
	CHECK_EQ_INT(errs.n, 0);
	if (errs.n)
		dump();
	const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
	CHECK(g && g->termination_uri &&
	      !strcmp(g->termination_uri, "contoso.byoc.mypurecloud.com") &&
	      g->identification == CFG_IDENT_FQDN &&
	      g->media_encryption == CFG_MEDIA_SRTP);
	const struct cfg_trunk *a = cfg_trunk_find(c, "acs");
	CHECK(a && a->media_encryption == CFG_MEDIA_SRTP && a->x_ms_sbc);
	cfg_free(c);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	RUN(test_defaults);
	RUN(test_all_keys);
	RUN(test_media_encryption);
	RUN(test_termination);
	RUN(test_omit_plus);
	RUN(test_headers);
	RUN(test_headers_acs);
	RUN(test_call_rate);
	RUN(test_min_se_dial_timeout_max_calls);
	RUN(test_diversion);
	RUN(test_ip_ranges);
	RUN(test_unknown);
	RUN(test_example);
	return test_summary();
}
