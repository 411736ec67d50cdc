/* test_check.c: `trunkbridge check`'s trunk rules (src/check): ACS needs
 * TLS and SRTP, Genesys warns without SRTP and refuses its reserved header
 * prefixes, a trunk without an allow-list is a warning, an
 * allow_from_ip_ranges file that cannot be used an error, each in the
 * guide's words. The loader already refuses the errors, so those cases
 * run on copies of a loaded config with one field changed. */
#include "cfg/cfg.h"
#include "check/check.h"

#include "tests/test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cfg_errors errs;

static struct tb_config *load(const char *yaml)
{
	struct tb_config *c = NULL;
	if (cfg_load_string("tb.yaml", yaml, strlen(yaml), &c, &errs) != 0)
		cfg_errors_print(&errs, stderr);
	return c;
}

/* What the trunk rules print for cfg, and their counts. */
static char *run_rules(const struct tb_config *cfg, struct check_counts *n)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	n->errors = n->warnings = 0;
	if (!f)
		return NULL;
	check_trunk_rules(cfg, f, n);
	fclose(f);
	return text;
}

static void check_has(const char *text, const char *line, int line_no)
{
	test_checks++;
	if (!text || !strstr(text, line)) {
		test_failures++;
		fprintf(stderr, "%s:%d: output lacks\n  %s\ngot:\n%s\n",
		        __FILE__, line_no, line, text ? text : "(null)");
	}
}
#define CHECK_HAS(text, line) check_has(text, line, __LINE__)

static const char good[] =
        "identity: { fqdn: sbc1.contoso.com, certificate: a.pem, "
        "private_key: a.key }\n"
        "listen: [{ transport: tls }]\n"
        "trunks:\n"
        "  acs: { profile: acs-direct-routing }\n"
        "  genesys:\n"
        "    profile: genesys-byoc-cloud\n"
        "    servers: [byoc.mypurecloud.com]\n"
        "    termination_uri: contoso.byoc.mypurecloud.com\n"
        "    termination_header: X-Contoso-Trunk\n"
        "    headers: { pass: [Privacy], add: { X-Contoso-Site: paris } }\n"
        "    allow: [192.0.2.0/24]\n";

/* A loaded config that follows the guide: nothing to say. */
static void test_good(void)
{
	struct tb_config *c = load(good);
	CHECK(c != NULL);
	if (!c)
		return;
	struct check_counts n;
	char *text = run_rules(c, &n);
	CHECK_EQ_INT(n.errors, 0);
	CHECK_EQ_INT(n.warnings, 0);
	CHECK(text && text[0] == '\0');
	free(text);
	cfg_free(c);
}

/* The same config with its trunks copied and changed. */
struct edited {
	struct tb_config cfg;
	struct cfg_trunk trunks[2];
};

static void edit(struct edited *e, const struct tb_config *c)
{
	memcpy(&e->cfg, c, sizeof(e->cfg));
	memcpy(e->trunks, c->trunks, 2 * sizeof(e->trunks[0]));
	e->cfg.trunks = e->trunks;
}

static void test_acs_tls_srtp(void)
{
	struct tb_config *c = load(good);
	if (!c)
		return;
	struct edited e;
	edit(&e, c);
	e.trunks[0].transport = CFG_TRANSPORT_TCP;
	e.trunks[0].media_encryption = CFG_MEDIA_RTP;
	struct check_counts n;
	char *text = run_rules(&e.cfg, &n);
	CHECK_EQ_INT(n.errors, 2);
	CHECK_EQ_INT(n.warnings, 0);
	CHECK_HAS(text, "tb.yaml: trunks.acs.transport: tcp: the guide's ACS "
	                "trunk is \"Transport: TLS (Required for Azure)\"; "
	                "Microsoft's SIP proxy speaks TLS on 5061 only (interop"
	                " 1.1) (set transport: tls)\n");
	CHECK_HAS(text, "tb.yaml: trunks.acs.media_encryption: rtp: the "
	                "guide's ACS trunk is \"Media Encryption: SRTP "
	                "(Required for Azure)\"; Microsoft answers 488 "
	                "(SrtpEncryptionRequired) to an offer without SRTP "
	                "(interop 1.7, F12) (set media_encryption: srtp)\n");
	free(text);
	cfg_free(c);
}

static void test_genesys(void)
{
	struct tb_config *c = load(good);
	if (!c)
		return;
	struct edited e;
	edit(&e, c);
	struct cfg_trunk *g = &e.trunks[1];
	static const char *const pass[] = {"Privacy", "x-Genesys-*"};
	static const struct cfg_header add[] = {{"X-Contoso", "a"},
	                                        {"X-ININ-Foo", "b"}};
	g->media_encryption = CFG_MEDIA_RTP;
	g->pass_headers = pass;
	g->n_pass_headers = 2;
	g->add_headers = add;
	g->n_add_headers = 2;
	g->termination_header = "x-pcv-trunk";
	struct check_counts n;
	char *text = run_rules(&e.cfg, &n);
	CHECK_EQ_INT(n.errors, 3);
	CHECK_EQ_INT(n.warnings, 1);
	CHECK_HAS(text, "tb.yaml: warning: trunks.genesys.media_encryption: "
	                "rtp: the guide's Genesys trunk uses \"Media "
	                "Encryption: SRTP\"; when the two ends differ Genesys "
	                "answers 488 (interop 2.4, F13) (set media_encryption:"
	                " srtp, and SRTP on the Genesys trunk)\n");
	CHECK_HAS(text, "tb.yaml: trunks.genesys.headers.add.X-ININ-Foo: "
	                "X-ININ-Foo: Genesys Cloud reserves the x-inin, "
	                "x-genesys, x-pcv and x-gcv prefixes (x-inin here); a "
	                "custom header named so silently breaks calls on the "
	                "trunk (interop 2.3, F26) (rename it; Genesys' own "
	                "headers never come from a carrier)\n");
	CHECK_HAS(text, "tb.yaml: trunks.genesys.headers.pass: x-Genesys-*: "
	                "Genesys Cloud reserves");
	CHECK_HAS(text, "tb.yaml: trunks.genesys.termination_header: "
	                "x-pcv-trunk: Genesys Cloud reserves");
	free(text);

	/* The same names on an ACS trunk are not Genesys' business. */
	e.trunks[0].add_headers = add;
	e.trunks[0].n_add_headers = 2;
	e.trunks[1] = c->trunks[1];
	text = run_rules(&e.cfg, &n);
	CHECK_EQ_INT(n.errors + n.warnings, 0);
	free(text);
	cfg_free(c);
}

/* check_config: a trunk without allow-list, on any profile (no TLS and no
 * certificate here, so no file is opened). */
static void test_allow_lists(void)
{
	struct tb_config *c = load(
	        "identity: { fqdn: sbc1.contoso.com }\n"
	        "listen: [{ transport: udp }]\n"
	        "trunks:\n"
	        "  lab: { profile: generic, transport: udp, servers: [pbx] "
	        "}\n"
	        "  gc: { profile: genesys-byoc-cloud, transport: udp, "
	        "servers: [byoc.mypurecloud.com], termination_uri: a.b.c "
	        "}\n"
	        "  ok: { profile: generic, transport: udp, servers: [pbx2],"
	        " allow: [10.0.0.0/8] }\n");
	CHECK(c != NULL);
	if (!c)
		return;
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	struct check_counts n = {0, 0};
	struct check_opts o = {NULL, 30};
	check_config(c, &o, f, &n);
	fclose(f);
	CHECK_EQ_INT(n.errors, 0);
	CHECK_EQ_INT(n.warnings, 3); /* the two trunks, and no media: */
	CHECK_HAS(text, "tb.yaml: warning: media: not set: SDP and media "
	                "pass between the clouds unchanged");
	CHECK_HAS(text, "tb.yaml: warning: trunks.lab.allow: empty: no "
	                "allow-list (the guide's NSG rule); calls from any "
	                "source would be taken as this trunk (list the peer's "
	                "addresses, e.g. allow: [192.0.2.0/24])\n");
	CHECK_HAS(text, "tb.yaml: warning: trunks.gc.allow: empty: no "
	                "allow-list (the guide's NSG rule); calls from any "
	                "source would be taken as this trunk (list Genesys' "
	                "published signalling ranges (/api/v2/ipranges))\n");
	CHECK(text && !strstr(text, "trunks.ok."));
	free(text);
	cfg_free(c);
}

/* allow_from_ip_ranges: it satisfies the NSG rule; check reads the file
 * as run does: one that cannot be used is an error, skipped entries a
 * warning, a good one says nothing. */
static void test_ip_ranges(void)
{
	char dir[] = "/tmp/tb-check-ipr.XXXXXX";
	char good_path[128], bad_path[128], yaml[2048];

	if (!mkdtemp(dir))
		return;
	snprintf(good_path, sizeof(good_path), "%s/good.json", dir);
	snprintf(bad_path, sizeof(bad_path), "%s/bad.json", dir);
	FILE *f = fopen(good_path, "w");
	if (f) {
		fputs("{\"entities\":[{\"cidr\":\"192.0.2.0/24\"}]}", f);
		fclose(f);
	}
	f = fopen(bad_path, "w");
	if (f) {
		fputs("[{\"cidr\":\"192.0.2.1/24\"},{\"cidr\":\"198.51.100.0/"
		      "24\"}]",
		      f);
		fclose(f);
	}
	snprintf(yaml, sizeof(yaml),
	         "identity: { fqdn: sbc1.contoso.com }\n"
	         "listen: [{ transport: udp }]\n"
	         "trunks:\n"
	         "  gc: { profile: genesys-byoc-cloud, transport: udp, "
	         "servers: [byoc.mypurecloud.com], termination_uri: a.b.c, "
	         "allow_from_ip_ranges: { file: %s } }\n"
	         "  gc2: { profile: genesys-byoc-cloud, transport: udp, "
	         "servers: [byoc2.mypurecloud.com], termination_uri: a.b.d, "
	         "allow_from_ip_ranges: { file: %s } }\n"
	         "  gc3: { profile: genesys-byoc-cloud, transport: udp, "
	         "servers: [byoc3.mypurecloud.com], termination_uri: a.b.e, "
	         "allow: [10.0.0.0/8], allow_from_ip_ranges: { file: "
	         "%s/missing.json } }\n",
	         good_path, bad_path, dir);
	struct tb_config *c = load(yaml);
	CHECK(c != NULL);
	if (c) {
		char *text = NULL;
		size_t size = 0;
		FILE *o = open_memstream(&text, &size);
		struct check_counts n = {0, 0};
		struct check_opts opts = {NULL, 30};
		if (o) {
			check_config(c, &opts, o, &n);
			fclose(o);
		}
		CHECK_EQ_INT(n.errors, 1);
		CHECK_EQ_INT(n.warnings, 2); /* and media: not set */
		CHECK(text && !strstr(text, "trunks.gc.")); /* good: quiet */
		CHECK(text && !strstr(text, ".allow: empty"));
		char want[512];
		snprintf(
		        want, sizeof(want),
		        "tb.yaml: warning: "
		        "trunks.gc2.allow_from_ip_ranges.file: "
		        "%s: 1 of 2 entries skipped (first: entities[0]: "
		        "192.0.2.1/24: bits set after the prefix (did you mean "
		        "192.0.2.0/24?)) (correct or remove those entries)\n",
		        bad_path);
		CHECK_HAS(text, want);
		snprintf(
		        want, sizeof(want),
		        "tb.yaml: trunks.gc3.allow_from_ip_ranges.file: "
		        "%s/missing.json: cannot open: No such file or "
		        "directory; run would take this trunk's requests from "
		        "its static allow list only (1 prefixes; the guide's "
		        "Edge Case 1, F9) (save GET /api/v2/ipranges there, or "
		        "fix the filters)\n",
		        dir);
		CHECK_HAS(text, want);
		free(text);
		cfg_free(c);
	}
	unlink(good_path);
	unlink(bad_path);
	rmdir(dir);
}

/* check_config: the media pool against the trunks' call limits. */
static void test_media_pool(void)
{
	struct tb_config *c = load(
	        "identity: { fqdn: sbc1.contoso.com }\n"
	        "listen: [{ transport: udp }]\n"
	        "trunks:\n"
	        "  a: { profile: generic, transport: udp, servers: [pbx], "
	        "allow: [10.0.0.0/8], max_calls: 100 }\n"
	        "  b: { profile: generic, transport: udp, servers: [pbx2], "
	        "allow: [10.1.0.0/16], max_calls: 100 }\n"
	        "media: { address: 127.0.0.1, ports: 40000-40199 }\n");
	CHECK(c != NULL);
	if (!c)
		return;
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	struct check_counts n = {0, 0};
	struct check_opts o = {NULL, 30};
	check_config(c, &o, f, &n);
	fclose(f);
	CHECK_EQ_INT(n.errors, 0);
	CHECK_EQ_INT(n.warnings, 1);
	CHECK_HAS(text, "tb.yaml: warning: media.ports: 40000-40199 holds 100 "
	                "port pairs: 50 calls at most, below the trunks' "
	                "max_calls (100)");
	free(text);
	cfg_free(c);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	RUN(test_good);
	RUN(test_acs_tls_srtp);
	RUN(test_genesys);
	RUN(test_allow_lists);
	RUN(test_ip_ranges);
	RUN(test_media_pool);
	return test_summary();
}
