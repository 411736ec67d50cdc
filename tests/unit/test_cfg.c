/* test_cfg.c: the config loader: resolved defaults for both clouds, every
 * error with its file:line:column, key path and fix, several errors at
 * once, and the shipped example. Leaks are caught by make test-asan. */
#include "cfg/cfg.h"

#include "tests/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
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

/* The entry for a key path (the first one), or NULL. */
static const struct cfg_error *find(const char *path)
{
	for (size_t i = 0; i < errs.n; i++)
		if (!strcmp(errs.e[i].path, path))
			return &errs.e[i];
	return NULL;
}

static bool formatted_is(const struct cfg_error *e, const char *want)
{
	char buf[1200];
	if (!e)
		return false;
	cfg_error_format(e, buf, sizeof(buf));
	if (strcmp(buf, want)) {
		fprintf(stderr, "  got:  %s\n  want: %s\n", buf, want);
		return false;
	}
	return true;
}

/* An error at path, at line:col, whose text holds what and fix. */
static void check_err(const char *path, int line, int col, const char *what,
                      const char *fix, int line_no)
{
	const struct cfg_error *e = find(path);
	test_checks++;
	if (!e) {
		test_failures++;
		fprintf(stderr, "%s:%d: no error for %s; have:\n", __FILE__,
		        line_no, path);
		dump();
		return;
	}
	bool ok = e->severity == CFG_SEV_ERROR && e->line == line &&
	          e->column == col && strstr(e->what, what) &&
	          (!fix || strstr(e->fix, fix)) &&
	          !strcmp(e->file, "trunkbridge.yaml");
	if (!ok) {
		test_failures++;
		fprintf(stderr,
		        "%s:%d: %s: expected %d:%d '%s' fix '%s', got "
		        "sev %d %d:%d '%s' fix '%s'\n",
		        __FILE__, line_no, path, line, col, what,
		        fix ? fix : "", (int)e->severity, e->line, e->column,
		        e->what, e->fix);
	}
}
#define CHECK_ERR(path, line, col, what, fix)                                  \
	check_err(path, line, col, what, fix, __LINE__)

/* ------------------------------------------------------------ valid input */

static const char minimal[] =
        "identity:\n"
        "  fqdn: sbc1.contoso.com\n"
        "  certificate: /etc/tb/sbc1.pem\n"
        "  private_key: /etc/tb/sbc1.key\n"
        "listen:\n"
        "  - transport: tls\n"
        "  - { transport: udp, address: \"::\", port: 5070 }\n"
        "trunks:\n"
        "  acs:\n"
        "    profile: acs-direct-routing\n"
        "  genesys:\n"
        "    profile: genesys-byoc-cloud\n"
        "    servers: [byoc.mypurecloud.com]\n"
        "    tls: { peer_names: [voice.mypurecloud.com], ca_file: gc.pem }\n"
        "    termination_uri: contoso.byoc.mypurecloud.com\n";

static void test_defaults_both_profiles(void)
{
	struct tb_config *c = NULL;
	int rc = load(minimal, &c);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(errs.n_errors, 0);
	/* No ca_file is no warning: the system's roots are trusted. */
	CHECK_EQ_INT(errs.n_warnings, 0);
	if (rc)
		dump();
	if (!c)
		return;
	CHECK(!strcmp(c->source, "trunkbridge.yaml"));
	CHECK(!strcmp(c->identity.fqdn, "sbc1.contoso.com"));
	CHECK(!strcmp(c->identity.certificate, "/etc/tb/sbc1.pem"));
	CHECK(!strcmp(c->identity.private_key, "/etc/tb/sbc1.key"));

	CHECK_EQ_INT(c->n_listeners, 2);
	const struct cfg_listener *l = &c->listeners[0];
	CHECK_EQ_INT(l->transport, CFG_TRANSPORT_TLS);
	CHECK_EQ_INT(l->port, 5061);
	CHECK_EQ_INT(l->address.family, 4);
	CHECK(!strcmp(l->address.text, "0.0.0.0"));
	CHECK_EQ_INT(l->tls.verify_peer, CFG_VERIFY_OPTIONAL);
	CHECK_EQ_INT(l->tls.min_version, CFG_TLS_1_2);
	l = &c->listeners[1];
	CHECK_EQ_INT(l->transport, CFG_TRANSPORT_UDP);
	CHECK_EQ_INT(l->port, 5070);
	CHECK_EQ_INT(l->address.family, 6);
	CHECK(!strcmp(l->address.text, "::"));

	CHECK_EQ_INT(c->limits.max_message_size, 65535);
	CHECK_EQ_INT(c->limits.max_headers, 128);
	CHECK_EQ_INT(c->limits.max_header_length, 8192);
	CHECK_EQ_INT(c->limits.max_vias, 70);
	CHECK_EQ_INT(c->limits.max_connections, 4096);
	CHECK_EQ_INT(c->limits.max_connections_per_source, 64);
	CHECK_EQ_INT(c->limits.tls_handshake_timeout_ms, 5000);
	CHECK_EQ_INT(c->limits.idle_timeout_ms, 300000);
	CHECK_EQ_INT(c->timers.t1_ms, 500);
	CHECK_EQ_INT(c->timers.t2_ms, 4000);
	CHECK_EQ_INT(c->timers.t4_ms, 5000);

	CHECK_EQ_INT(c->n_trunks, 2);
	const struct cfg_trunk *a = cfg_trunk_find(c, "acs");
	CHECK(a == &c->trunks[0]);
	CHECK(a && !strcmp(a->name, "acs"));
	if (a) {
		CHECK_EQ_INT(a->profile, CFG_PROFILE_ACS);
		CHECK_EQ_INT(a->transport, CFG_TRANSPORT_TLS);
		CHECK_EQ_INT(a->n_servers, 3);
		if (a->n_servers == 3) {
			CHECK(!strcmp(a->servers[0].host,
			              "sip.pstnhub.microsoft.com"));
			CHECK(!strcmp(a->servers[1].host,
			              "sip2.pstnhub.microsoft.com"));
			CHECK(!strcmp(a->servers[2].host,
			              "sip3.pstnhub.microsoft.com"));
			for (size_t i = 0; i < 3; i++) {
				CHECK_EQ_INT(a->servers[i].port, 5061);
				CHECK(!a->servers[i].host_is_ip);
			}
		}
		CHECK_EQ_INT(a->tls.verify_peer, CFG_VERIFY_REQUIRED);
		CHECK_EQ_INT(a->tls.n_peer_names, 1);
		CHECK(a->tls.n_peer_names == 1 &&
		      !strcmp(a->tls.peer_names[0], "*.pstnhub.microsoft.com"));
		CHECK(a->tls.client_certificate);
		CHECK_EQ_INT(a->tls.min_version, CFG_TLS_1_2);
		CHECK(a->tls.ca_file == NULL);
		CHECK(a->tls.groups == NULL);
		CHECK_EQ_INT(a->options_interval_ms, 60000);
		CHECK_EQ_INT(a->options_timeout_ms, 5000);
		CHECK_EQ_INT(a->n_failover_codes, 3);
		if (a->n_failover_codes == 3) {
			CHECK_EQ_INT(a->failover_codes[0], 408);
			CHECK_EQ_INT(a->failover_codes[1], 503);
			CHECK_EQ_INT(a->failover_codes[2], 504);
		}
		CHECK_EQ_INT(a->up_after, 1);
		CHECK_EQ_INT(a->down_after, 2);
		CHECK_EQ_INT(a->n_allow, 2);
		if (a->n_allow == 2) {
			CHECK_EQ_INT(a->allow[0].family, 4);
			CHECK_EQ_INT(a->allow[0].prefix, 14);
			CHECK_EQ_INT(a->allow[0].addr[0], 52);
			CHECK_EQ_INT(a->allow[0].addr[1], 112);
			CHECK_EQ_INT(a->allow[1].addr[1], 120);
		}
	}
	const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
	CHECK(g == &c->trunks[1]);
	if (g) {
		CHECK_EQ_INT(g->profile, CFG_PROFILE_GENESYS);
		CHECK_EQ_INT(g->transport, CFG_TRANSPORT_TLS);
		CHECK_EQ_INT(g->n_servers, 1);
		CHECK(!strcmp(g->servers[0].host, "byoc.mypurecloud.com"));
		CHECK_EQ_INT(g->servers[0].port, 5061);
		CHECK_EQ_INT(g->tls.verify_peer, CFG_VERIFY_REQUIRED);
		CHECK(!g->tls.client_certificate);
		CHECK(g->tls.groups && !strncmp(g->tls.groups, "secp384r1", 9));
		CHECK_EQ_INT(g->tls.min_version, CFG_TLS_1_2);
		CHECK_EQ_INT(g->tls.n_peer_names, 1);
		CHECK(!strcmp(g->tls.peer_names[0], "voice.mypurecloud.com"));
		CHECK(!strcmp(g->tls.ca_file, "gc.pem"));
		CHECK_EQ_INT(g->options_interval_ms, 60000);
		CHECK_EQ_INT(g->options_timeout_ms, 5000);
		CHECK_EQ_INT(g->n_failover_codes, 3);
		CHECK_EQ_INT(g->up_after, 1);
		CHECK_EQ_INT(g->down_after, 2);
		CHECK_EQ_INT(g->n_allow, 0);
	}
	CHECK(cfg_trunk_find(c, "nope") == NULL);
	cfg_free(c);
}

/* Every key written out, none left to a default. */
static const char full[] =
        "identity:\n"
        "  fqdn: SBC1.Contoso.com\n"
        "  certificate: sbc1.pem\n"
        "  private_key: sbc1.key\n"
        "listen:\n"
        "  - transport: tls\n"
        "    address: 192.0.2.10\n"
        "    port: 5062\n"
        "    tls:\n"
        "      verify_peer: none\n"
        "      ca_file: roots.pem\n"
        "      min_version: \"1.3\"\n"
        "      ciphers: ECDHE-RSA-AES256-GCM-SHA384\n"
        "      groups: secp384r1\n"
        "      peer_names: [\"*.pstnhub.microsoft.com\"]\n"
        "  - { transport: tcp, address: \"[2001:db8::1]\", port: 5060 }\n"
        "limits:\n"
        "  max_message_size: 32768\n"
        "  max_headers: 64\n"
        "  max_header_length: 4096\n"
        "  max_vias: 20\n"
        "  max_connections: 1000\n"
        "  max_connections_per_source: 10\n"
        "  tls_handshake_timeout: 2500ms\n"
        "  idle_timeout: 2m\n"
        "timers:\n"
        "  t1: 250ms\n"
        "  t2: 8\n"
        "  t4: 1m\n"
        "trunks:\n"
        "  lab:\n"
        "    profile: generic\n"
        "    servers:\n"
        "      - 10.0.0.5\n"
        "      - \"10.0.0.6:5080\"\n"
        "      - \"[2001:db8::5]:5090\"\n"
        "      - { host: pbx.lab.example, port: 5070 }\n"
        "      - \"2001:db8::7\"\n"
        "    transport: tcp\n"
        "    options_interval: 1h\n"
        "    options_timeout: 30s\n"
        "    failover_codes: [480, 503]\n"
        "    up_after: 3\n"
        "    down_after: 5\n"
        "    allow: [10.0.0.0/8, 2001:db8::/32, 192.0.2.1]\n"
        "  acs:\n"
        "    profile: acs-direct-routing\n"
        "    options_interval: 30s\n"
        "    tls:\n"
        "      ca_file: ms.pem\n"
        "      groups: \"secp384r1:prime256v1\"\n"
        "      peer_names: [sip.pstnhub.microsoft.com, "
        "sip2.pstnhub.microsoft.com]\n";

static void test_full(void)
{
	struct tb_config *c = NULL;
	int rc = load(full, &c);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(errs.n, 0);
	if (errs.n)
		dump();
	if (!c)
		return;
	CHECK(!strcmp(c->identity.fqdn, "SBC1.Contoso.com"));
	CHECK_EQ_INT(c->n_listeners, 2);
	const struct cfg_listener *l = &c->listeners[0];
	CHECK(!strcmp(l->address.text, "192.0.2.10"));
	CHECK_EQ_INT(l->address.addr[0], 192);
	CHECK_EQ_INT(l->address.addr[3], 10);
	CHECK_EQ_INT(l->port, 5062);
	CHECK_EQ_INT(l->tls.verify_peer, CFG_VERIFY_NONE);
	CHECK(!strcmp(l->tls.ca_file, "roots.pem"));
	CHECK_EQ_INT(l->tls.min_version, CFG_TLS_1_3);
	CHECK(!strcmp(l->tls.ciphers, "ECDHE-RSA-AES256-GCM-SHA384"));
	CHECK(!strcmp(l->tls.groups, "secp384r1"));
	CHECK_EQ_INT(l->tls.n_peer_names, 1);
	CHECK(!l->tls.client_certificate);
	l = &c->listeners[1];
	CHECK_EQ_INT(l->transport, CFG_TRANSPORT_TCP);
	CHECK(!strcmp(l->address.text, "2001:db8::1"));
	CHECK_EQ_INT(c->limits.max_message_size, 32768);
	CHECK_EQ_INT(c->limits.max_headers, 64);
	CHECK_EQ_INT(c->limits.max_header_length, 4096);
	CHECK_EQ_INT(c->limits.max_vias, 20);
	CHECK_EQ_INT(c->limits.max_connections, 1000);
	CHECK_EQ_INT(c->limits.max_connections_per_source, 10);
	CHECK_EQ_INT(c->limits.tls_handshake_timeout_ms, 2500);
	CHECK_EQ_INT(c->limits.idle_timeout_ms, 120000);
	CHECK_EQ_INT(c->timers.t1_ms, 250);
	CHECK_EQ_INT(c->timers.t2_ms, 8000);
	CHECK_EQ_INT(c->timers.t4_ms, 60000);

	const struct cfg_trunk *t = cfg_trunk_find(c, "lab");
	CHECK(t != NULL);
	if (t) {
		CHECK_EQ_INT(t->profile, CFG_PROFILE_GENERIC);
		CHECK_EQ_INT(t->transport, CFG_TRANSPORT_TCP);
		CHECK_EQ_INT(t->n_servers, 5);
		if (t->n_servers == 5) {
			CHECK(!strcmp(t->servers[0].host, "10.0.0.5"));
			CHECK_EQ_INT(t->servers[0].port, 5060);
			CHECK(t->servers[0].host_is_ip);
			CHECK_EQ_INT(t->servers[1].port, 5080);
			CHECK(!strcmp(t->servers[2].host, "2001:db8::5"));
			CHECK_EQ_INT(t->servers[2].port, 5090);
			CHECK(!strcmp(t->servers[3].host, "pbx.lab.example"));
			CHECK(!t->servers[3].host_is_ip);
			CHECK_EQ_INT(t->servers[3].port, 5070);
			CHECK(!strcmp(t->servers[4].host, "2001:db8::7"));
			CHECK_EQ_INT(t->servers[4].port, 5060);
		}
		CHECK_EQ_INT(t->options_interval_ms, 3600000);
		CHECK_EQ_INT(t->options_timeout_ms, 30000);
		CHECK_EQ_INT(t->n_failover_codes, 2);
		CHECK_EQ_INT(t->failover_codes[0], 480);
		CHECK_EQ_INT(t->up_after, 3);
		CHECK_EQ_INT(t->down_after, 5);
		CHECK_EQ_INT(t->n_allow, 3);
		if (t->n_allow == 3) {
			CHECK_EQ_INT(t->allow[0].prefix, 8);
			CHECK_EQ_INT(t->allow[1].family, 6);
			CHECK_EQ_INT(t->allow[1].prefix, 32);
			CHECK_EQ_INT(t->allow[2].prefix, 32);
		}
		/* generic: no profile extras */
		CHECK_EQ_INT(t->tls.n_peer_names, 0);
		CHECK(!t->tls.client_certificate);
	}
	t = cfg_trunk_find(c, "acs");
	CHECK(t != NULL);
	if (t) {
		CHECK_EQ_INT(t->options_interval_ms, 30000);
		CHECK(!strcmp(t->tls.ca_file, "ms.pem"));
		CHECK(!strcmp(t->tls.groups, "secp384r1:prime256v1"));
		CHECK_EQ_INT(t->tls.n_peer_names, 2);
		CHECK(t->tls.client_certificate); /* profile default kept */
		CHECK_EQ_INT(t->n_servers, 3);
	}
	/* The generation is refcounted: two users, two frees. */
	struct tb_config *c2 = cfg_ref(c);
	CHECK(c2 == c);
	cfg_free(c);
	CHECK(!strcmp(c2->identity.fqdn, "SBC1.Contoso.com"));
	cfg_free(c2);
	cfg_free(NULL);
}

/* ----------------------------------------------------------- error cases */

/* The head shared by the error cases: lines 1-11. */
#define HEAD                                                                   \
	"# trunkbridge.yaml\n"                                                 \
	"identity:\n"                                                          \
	"  fqdn: sbc1.contoso.com\n"                                           \
	"  certificate: /etc/tb/sbc1.pem\n"                                    \
	"  private_key: /etc/tb/sbc1.key\n"                                    \
	"listen:\n"                                                            \
	"  - transport: tls\n"                                                 \
	"    port: 5061\n"                                                     \
	"limits:\n"                                                            \
	"  max_connections: 100\n"                                             \
	"trunks:\n"

static void test_acs_udp(void)
{
	struct tb_config dummy;
	struct tb_config *c = &dummy; /* cfg_load must reset it */
	int rc = load(HEAD "  acs:\n"
	                   "    profile: acs-direct-routing\n"
	                   "    transport: udp\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK(c == NULL);
	CHECK_EQ_INT(errs.n_errors, 1);
	CHECK(formatted_is(find("trunks.acs.transport"),
	                   "trunkbridge.yaml:14:16: trunks.acs.transport: "
	                   "udp; ACS Direct Routing requires tls (set "
	                   "transport: tls)"));
}

static void test_unknown_key(void)
{
	struct tb_config *c = NULL;
	int rc = load(HEAD "  acs:\n"
	                   "    profile: acs-direct-routing\n"
	                   "    transprot: tls\n"
	                   "    optoins_interval: 30s\n"
	                   "    colour: blue\n"
	                   "timer:\n"
	                   "  t1: 500ms\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK(c == NULL);
	CHECK_EQ_INT(errs.n_errors, 4);
	CHECK(formatted_is(find("trunks.acs.transprot"),
	                   "trunkbridge.yaml:14:5: trunks.acs.transprot: "
	                   "unknown key (did you mean transport?)"));
	CHECK_ERR("trunks.acs.optoins_interval", 15, 5, "unknown key",
	          "did you mean options_interval?");
	CHECK_ERR("trunks.acs.colour", 16, 5, "unknown key",
	          "known keys here: profile, servers, transport");
	CHECK_ERR("timer", 17, 1, "unknown key", "did you mean timers?");
}

static void test_port_range(void)
{
	struct tb_config *c = NULL;
	int rc = load("identity: { fqdn: sbc1.contoso.com, certificate: a, "
	              "private_key: b }\n"
	              "listen:\n"
	              "  - transport: tls\n"
	              "    port: 70000\n"
	              "  - { transport: udp, port: 0 }\n"
	              "  - { transport: tcp, port: http }\n"
	              "trunks: { acs: { profile: acs-direct-routing } }\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 3);
	CHECK(formatted_is(find("listen[0].port"),
	                   "trunkbridge.yaml:4:11: listen[0].port: 70000; out"
	                   " of range 1-65535 (use a port from 1 to 65535; "
	                   "5061 for TLS)"));
	CHECK_ERR("listen[1].port", 5, 29, "0; out of range 1-65535", NULL);
	CHECK_ERR("listen[2].port", 6, 29, "http; not a whole number",
	          "use a port from 1 to 65535");
}

static void test_bad_duration(void)
{
	struct tb_config *c = NULL;
	int rc = load(HEAD "  acs:\n"
	                   "    profile: acs-direct-routing\n"
	                   "    options_interval: 5 minutes\n"
	                   "    options_timeout: 1.5s\n"
	                   "timers:\n"
	                   "  t1: soon\n"
	                   "  t2: 2h\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 4);
	CHECK(formatted_is(
	        find("trunks.acs.options_interval"),
	        "trunkbridge.yaml:14:23: trunks.acs.options_interval: \"5 "
	        "minutes\" is not a duration (write 5m; a duration is a whole"
	        " number with ms, s, m or h, a bare number is seconds)"));
	CHECK_ERR("trunks.acs.options_timeout", 15, 22,
	          "\"1.5s\" is not a duration", "write 1500ms");
	CHECK_ERR("timers.t1", 17, 7, "\"soon\" is not a duration",
	          "e.g. 500ms, 5s, 1m");
	CHECK_ERR("timers.t2", 18, 7, "2h; out of range 500ms-1m",
	          "use a duration from 500ms to 1m");
}

static void test_identity(void)
{
	struct tb_config *c = NULL;
	/* identity without fqdn */
	int rc = load("identity:\n"
	              "  certificate: a.pem\n"
	              "  private_key: a.key\n"
	              "listen: [{ transport: tls }]\n"
	              "trunks: { acs: { profile: acs-direct-routing } }\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 1);
	CHECK(formatted_is(find("identity.fqdn"),
	                   "trunkbridge.yaml:1:1: identity.fqdn: missing; the"
	                   " SBC's FQDN goes in Contact and Via and must match"
	                   " its certificate (add fqdn: <the SBC's DNS name, "
	                   "as in its certificate>, e.g. sbc1.contoso.com)"));

	/* no identity at all, tls in use: fqdn, certificate, key */
	rc = load("listen: [{ transport: tls }]\n"
	          "trunks: { acs: { profile: acs-direct-routing } }\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 3);
	CHECK_ERR("identity.fqdn", 1, 1, "missing", "add identity:");
	CHECK_ERR("identity.certificate", 1, 1,
	          "missing; required because listen[0] uses tls",
	          "set certificate:");
	CHECK_ERR("identity.private_key", 1, 1, "missing; required because",
	          "set private_key:");

	/* fqdn is an IP */
	rc = load("identity:\n"
	          "  fqdn: 192.0.2.10\n"
	          "  certificate: a.pem\n"
	          "  private_key: a.key\n"
	          "listen: [{ transport: tls }]\n"
	          "trunks: { acs: { profile: acs-direct-routing } }\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 1);
	CHECK(formatted_is(find("identity.fqdn"),
	                   "trunkbridge.yaml:2:9: identity.fqdn: 192.0.2.10 is"
	                   " an IP address; Microsoft rejects an IP in Contact"
	                   " (403) (set fqdn to the DNS name in the SBC "
	                   "certificate, e.g. sbc1.contoso.com)"));
	rc = load("identity: { fqdn: \"2001:db8::1\" }\n"
	          "listen: [{ transport: udp }]\n"
	          "trunks: { lab: { profile: generic, transport: udp, "
	          "servers: [pbx] } }\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_ERR("identity.fqdn", 1, 19, "is an IP address", NULL);
	CHECK_EQ_INT(errs.n_errors, 1);

	/* other bad names */
	const char *bad[] = {"sbc1", "*.contoso.com", "sbc_1.contoso.com",
	                     "-sbc.contoso.com", "sbc1.contoso.com."};
	const char *why[] = {"not fully qualified", "a wildcard",
	                     "not a valid DNS name", "not a valid DNS name",
	                     "not a valid DNS name"};
	for (size_t i = 0; i < 5; i++) {
		char y[256];
		snprintf(y, sizeof(y),
		         "identity: { fqdn: \"%s\" }\n"
		         "listen: [{ transport: udp }]\n"
		         "trunks: { lab: { profile: generic, transport: udp, "
		         "servers: [pbx] } }\n",
		         bad[i]);
		CHECK_EQ_INT(load(y, &c), EINVAL);
		CHECK_ERR("identity.fqdn", 1, 19, why[i], NULL);
	}

	/* ACS does not take an onmicrosoft.com SBC name */
	rc = load("identity: { fqdn: sbc.contoso.onmicrosoft.com, "
	          "certificate: a, private_key: b }\n"
	          "listen: [{ transport: tls }]\n"
	          "trunks: { acs: { profile: acs-direct-routing } }\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_ERR("identity.fqdn", 1, 1, "onmicrosoft.com", NULL);
}

static void test_trunk_without_profile(void)
{
	struct tb_config *c = NULL;
	int rc = load(HEAD "  acs:\n"
	                   "    profile: acs-direct-routing\n"
	                   "  genesys:\n"
	                   "    servers: [byoc.mypurecloud.com]\n"
	                   "  other:\n"
	                   "    profile: genesys\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 2);
	CHECK(formatted_is(find("trunks.genesys.profile"),
	                   "trunkbridge.yaml:14:3: trunks.genesys.profile: "
	                   "missing; every trunk names its cloud's profile "
	                   "(add profile: acs-direct-routing, "
	                   "genesys-byoc-cloud or generic)"));
	CHECK_ERR("trunks.other.profile", 17, 14,
	          "genesys; not one of generic, acs-direct-routing, "
	          "genesys-byoc-cloud",
	          "did you mean genesys-byoc-cloud?");
}

static void test_bad_cidr(void)
{
	struct tb_config *c = NULL;
	int rc = load(HEAD "  acs:\n"
	                   "    profile: acs-direct-routing\n"
	                   "    allow: [52.112.0.0/14, 10.0.0.0/33, "
	                   "52.120.1.0/14, bogus, 2603:1063::/129]\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 4);
	CHECK(formatted_is(find("trunks.acs.allow[1]"),
	                   "trunkbridge.yaml:14:28: trunks.acs.allow[1]: "
	                   "10.0.0.0/33; prefix length out of range (the "
	                   "prefix length is 0-32 for IPv4, 0-128 for IPv6)"));
	CHECK_ERR("trunks.acs.allow[2]", 14, 41,
	          "52.120.1.0/14; address has bits set after the prefix",
	          "did you mean 52.120.0.0/14?");
	CHECK_ERR("trunks.acs.allow[3]", 14, 56, "bogus; not a CIDR prefix",
	          "e.g. 52.112.0.0/14");
	CHECK_ERR("trunks.acs.allow[4]", 14, 63, "prefix length out of range",
	          NULL);
}

static void test_servers(void)
{
	struct tb_config *c = NULL;
	int rc = load(HEAD "  acs:\n"
	                   "    profile: acs-direct-routing\n"
	                   "    servers: []\n"
	                   "  genesys:\n"
	                   "    profile: genesys-byoc-cloud\n"
	                   "  lab:\n"
	                   "    profile: generic\n"
	                   "    servers:\n"
	                   "      - \"sip:pbx.example.com\"\n"
	                   "      - pbx.example.com:99999\n"
	                   "      - { host: \"pbx:5060\" }\n"
	                   "      - bad_host!\n"
	                   "      - { port: 5060 }\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 8);
	CHECK(formatted_is(find("trunks.acs.servers"),
	                   "trunkbridge.yaml:14:5: trunks.acs.servers: empty;"
	                   " a trunk needs at least one server (list at least "
	                   "one server: servers: [host] or [host:port])"));
	CHECK_ERR("trunks.genesys.servers", 15, 3,
	          "missing; a genesys-byoc-cloud trunk needs at least one",
	          NULL);
	CHECK_ERR("trunks.genesys.termination_uri", 15, 3, "missing",
	          "Inbound SIP Termination Identifier");
	CHECK_ERR("trunks.lab.servers[0]", 20, 9,
	          "a server is a host, not a"
	          " SIP URI",
	          "sip.pstnhub.microsoft.com or host:port");
	CHECK_ERR("trunks.lab.servers[1]", 21, 9, "bad port", NULL);
	CHECK_ERR("trunks.lab.servers[2].host", 22, 17,
	          "pbx:5060; host: holds the name only", "put the port in");
	CHECK_ERR("trunks.lab.servers[3]", 23, 9,
	          "bad_host!; not a host name or IP address", NULL);
	CHECK_ERR("trunks.lab.servers[4].host", 24, 11, "missing", "add host:");

	/* ACS: the retired name is an error, an IP a warning */
	rc = load(HEAD "  acs:\n"
	               "    profile: acs-direct-routing\n"
	               "    servers: [sip-all.pstnhub.microsoft.com]\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_ERR("trunks.acs.servers", 14, 15, "retired", "sip2");
	rc = load(HEAD "  acs:\n"
	               "    profile: acs-direct-routing\n"
	               "    servers: [52.114.14.70, "
	               "\"sip.pstnhub.microsoft.com:5060\"]\n",
	          &c);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(errs.n_warnings, 2);
	CHECK(errs.n == 2 && errs.e[0].severity == CFG_SEV_WARNING &&
	      strstr(errs.e[0].what, "never to resolved IPs"));
	CHECK(errs.n == 2 && strstr(errs.e[1].what, "listens on 5061"));
	cfg_free(c);
}

static void test_yaml_syntax(void)
{
	struct tb_config *c = NULL;
	int rc = load("identity:\n"
	              "  fqdn: sbc1.contoso.com\n"
	              "listen:\n"
	              "  - transport: tls\n"
	              "\tport: 5061\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK(c == NULL);
	CHECK_EQ_INT(errs.n_errors, 1);
	CHECK(errs.n == 1 && errs.e[0].line == 5 && errs.e[0].column == 2 &&
	      errs.e[0].path[0] == '\0' &&
	      strstr(errs.e[0].what, "YAML syntax error: ") &&
	      strstr(errs.e[0].what, "tab") &&
	      strstr(errs.e[0].fix, "indent with spaces"));

	/* An unclosed [ is reported where it was opened, not at the end. */
	rc = load(HEAD "  acs:\n"
	               "    profile: acs-direct-routing\n"
	               "    allow: [52.112.0.0/14, 52.120.0.0/14\n"
	               "    options_interval: 60s # a [comment\n"
	               "    up_after: '['\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 1);
	CHECK(errs.n == 1 && errs.e[0].line == 14 && errs.e[0].column == 12 &&
	      strstr(errs.e[0].what, "this [ is never closed") &&
	      strstr(errs.e[0].fix, "close it on this line"));

	/* Duplicate keys are an error (libfyaml's). */
	rc = load("identity: { fqdn: a.b.c }\nidentity: { fqdn: a.b.c }\n", &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK(errs.n == 1 && errs.e[0].line == 2 &&
	      strstr(errs.e[0].what, "duplicate key"));

	/* A second document. */
	rc = load(HEAD "  acs: { profile: acs-direct-routing }\n"
	               "---\n"
	               "more: 1\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 1);
	CHECK(errs.n == 1 && errs.e[0].line == 14 &&
	      strstr(errs.e[0].what, "second YAML document"));

	/* Not a mapping at the top. */
	rc = load("- a\n- b\n", &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK(errs.n == 1 && strstr(errs.e[0].what, "found a list; expected"
	                                            " a mapping"));
	/* Empty input: every required section is missing. */
	rc = load("", &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 3);
	CHECK(find("identity.fqdn") && find("listen") && find("trunks"));
}

/* Several errors in one file: all found, in file order, printed. */
static void test_many_errors(void)
{
	struct tb_config *c = NULL;
	int rc = load("identity:\n"
	              "  fqdn: 10.1.1.1\n"
	              "listen:\n"
	              "  - transport: tls\n"
	              "    port: 70000\n"
	              "trunks:\n"
	              "  acs:\n"
	              "    profile: acs-direct-routing\n"
	              "    transport: udp\n"
	              "    options_interval: 5 minutes\n"
	              "    tls: { verfy_peer: none, min_version: \"1.1\" }\n"
	              "  genesys:\n"
	              "    profile: genesys-byoc-cloud\n"
	              "    servers: [byoc.mypurecloud.com]\n"
	              "    transport: udp\n"
	              "    termination_uri: contoso.byoc.mypurecloud.com\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK(c == NULL);
	CHECK_EQ_INT(errs.n_errors, 6);
	CHECK_EQ_INT(errs.n_warnings, 2);
	CHECK_ERR("identity.fqdn", 2, 9, "is an IP address", NULL);
	CHECK_ERR("listen[0].port", 5, 11, "out of range", NULL);
	CHECK_ERR("trunks.acs.transport", 9, 16, "requires tls", NULL);
	CHECK_ERR("trunks.acs.options_interval", 10, 23, "not a duration",
	          "write 5m");
	CHECK_ERR("trunks.acs.tls.verfy_peer", 11, 12, "unknown key",
	          "did you mean verify_peer?");
	CHECK_ERR("trunks.acs.tls.min_version", 11, 43,
	          "TLS 1.0 and 1.1 are off", "set min_version: \"1.2\"");
	const struct cfg_error *w = find("trunks.genesys.transport");
	CHECK(w && w->severity == CFG_SEV_WARNING && w->line == 15 &&
	      strstr(w->what, "the guide requires TLS"));
	w = find("trunks.acs.tls");
	CHECK(w && w->severity == CFG_SEV_WARNING && w->line == 11 &&
	      strstr(w->what, "ignored: transport is udp"));
	for (size_t i = 0; i + 1 < errs.n; i++) /* sorted in file order */
		CHECK(errs.e[i].line <= errs.e[i + 1].line);

	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	CHECK(f != NULL);
	if (!f)
		return;
	cfg_errors_print(&errs, f);
	fclose(f);
	CHECK(strstr(text, "trunkbridge.yaml:9:16: trunks.acs.transport: udp;"
	                   " ACS Direct Routing requires tls (set transport:"
	                   " tls)\n") != NULL);
	CHECK(strstr(text, "trunkbridge.yaml:15:16: warning: "
	                   "trunks.genesys.transport: udp; Genesys allows it"
	                   " but the guide requires TLS") != NULL);
	CHECK(strstr(text, "\n6 errors, 2 warnings\n") != NULL);
	free(text);
}

/* More than CFG_ERRORS_MAX: counted, errors displace warnings. */
static void test_overflow(void)
{
	size_t cap = 8192, off = 0;
	char *y = malloc(cap);
	CHECK(y != NULL);
	if (!y)
		return;
	off += (size_t)snprintf(y + off, cap - off, HEAD);
	for (int t = 0; t < 3; t++) { /* 3 x 29 duplicate-code warnings */
		off += (size_t)snprintf(y + off, cap - off,
		                        "  t%d:\n"
		                        "    profile: generic\n"
		                        "    servers: [pbx]\n"
		                        "    tls: { ca_file: ca.pem }\n"
		                        "    failover_codes: [408",
		                        t);
		for (int i = 0; i < 29; i++)
			off += (size_t)snprintf(y + off, cap - off, ", 408");
		off += (size_t)snprintf(y + off, cap - off, "]\n");
	}
	off += (size_t)snprintf(y + off, cap - off,
	                        "  t3:\n"
	                        "    profile: generic\n"
	                        "    servers: [pbx]\n"
	                        "    tls: { ca_file: a }\n"
	                        "    allow: [x");
	for (int i = 0; i < 9; i++) /* 10 errors */
		off += (size_t)snprintf(y + off, cap - off, ", x");
	snprintf(y + off, cap - off, "]\n");
	struct tb_config *c = NULL;
	int rc = load(y, &c);
	free(y);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n, CFG_ERRORS_MAX);
	CHECK_EQ_INT(errs.n_errors, 10);
	CHECK_EQ_INT(errs.n_warnings, 87);
	CHECK_EQ_INT(errs.dropped, 97 - CFG_ERRORS_MAX);
	size_t n_err = 0;
	for (size_t i = 0; i < errs.n; i++)
		n_err += errs.e[i].severity == CFG_SEV_ERROR;
	CHECK_EQ_INT(n_err, 10);
	CHECK(errs.e[CFG_ERRORS_MAX - 1].severity == CFG_SEV_ERROR);
	CHECK(errs.e[0].severity == CFG_SEV_WARNING);

	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	CHECK(f != NULL);
	if (!f)
		return;
	cfg_errors_print(&errs, f);
	fclose(f);
	CHECK(strstr(text, "\n10 errors, 87 warnings (33 not shown)\n"));
	free(text);
}

/* Profile rules that are warnings, and the ones that are errors. */
static void test_profile_rules(void)
{
	struct tb_config *c = NULL;
	int rc = load(HEAD "  acs:\n"
	                   "    profile: acs-direct-routing\n"
	                   "    options_interval: 5m\n"
	                   "    tls: { verify_peer: optional, "
	                   "client_certificate: false, ca_file: a }\n"
	                   "  genesys:\n"
	                   "    profile: genesys-byoc-cloud\n"
	                   "    servers: [byoc.mypurecloud.com]\n"
	                   "    tls: { groups: \"x25519:secp384r1\", "
	                   "client_certificate: true, ca_file: b }\n"
	                   "    termination_uri: c.byoc.mypurecloud.com\n",
	              &c);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(errs.n_errors, 0);
	CHECK_EQ_INT(errs.n_warnings, 5);
	const struct cfg_error *w = find("trunks.acs.options_interval");
	CHECK(w && w->line == 14 && w->column == 23 &&
	      strstr(w->what, "one OPTIONS a minute"));
	CHECK(find("trunks.acs.tls.verify_peer") != NULL);
	w = find("trunks.acs.tls.client_certificate");
	CHECK(w && strstr(w->what, "asks for the SBC certificate"));
	w = find("trunks.genesys.tls.groups");
	CHECK(w && w->severity == CFG_SEV_WARNING &&
	      strstr(w->fix, "secp384r1 first"));
	w = find("trunks.genesys.tls.client_certificate");
	CHECK(w && strstr(w->what, "does not support mutual TLS"));
	if (c) {
		CHECK_EQ_INT(cfg_trunk_find(c, "acs")->options_interval_ms,
		             300000);
		CHECK(!cfg_trunk_find(c, "acs")->tls.client_certificate);
	}
	cfg_free(c);

	/* Genesys: TLS 1.3 only and no P-384 are errors. */
	rc = load(HEAD "  genesys:\n"
	               "    profile: genesys-byoc-cloud\n"
	               "    servers: [byoc.mypurecloud.com]\n"
	               "    tls: { min_version: \"1.3\", groups: x25519 }\n"
	               "    termination_uri: c.byoc.mypurecloud.com\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 2);
	CHECK_ERR("trunks.genesys.tls.min_version", 15, 25, "TLS 1.2 only",
	          NULL);
	CHECK_ERR("trunks.genesys.tls.groups", 15, 40, "only secp384r1", NULL);

	/* ACS needs a TLS listener; the listener must not demand a client
	 * certificate when Genesys uses it. */
	rc = load("identity: { fqdn: sbc1.contoso.com, certificate: a, "
	          "private_key: b }\n"
	          "listen: [{ transport: udp }]\n"
	          "trunks: { acs: { profile: acs-direct-routing } }\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_ERR("listen", 2, 1, "no tls listener", "add { transport: tls");
	rc = load("identity: { fqdn: sbc1.contoso.com, certificate: a, "
	          "private_key: b }\n"
	          "listen: [{ transport: tls, tls: { verify_peer: required, "
	          "client_certificate: true } }]\n"
	          "trunks: { g: { profile: genesys-byoc-cloud, servers: [h.x], "
	          "termination_uri: g.x } }\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_ERR("listen[0].tls.client_certificate", 2, 58, "unknown key",
	          NULL);
	rc = load("identity: { fqdn: sbc1.contoso.com, certificate: a, "
	          "private_key: b }\n"
	          "listen: [{ transport: tls, tls: { verify_peer: required } "
	          "}]\n"
	          "trunks: { g: { profile: genesys-byoc-cloud, servers: [h.x], "
	          "termination_uri: g.x } }\n",
	          &c);
	CHECK_EQ_INT(rc, 0);
	w = find("listen[0].tls");
	CHECK(w && w->severity == CFG_SEV_WARNING &&
	      strstr(w->what, "no client certificate"));
	cfg_free(c);
}

static void test_values(void)
{
	struct tb_config *c = NULL;
	int rc = load(HEAD "  lab:\n"
	                   "    profile: generic\n"
	                   "    servers: [pbx]\n"
	                   "    transport: tsl\n"
	                   "    up_after: -1\n"
	                   "    down_after: [1]\n"
	                   "    failover_codes: [200, 503]\n"
	                   "    options_timeout: 100ms\n"
	                   "    tls: { verify_peer: yes, client_certificate: "
	                   "yes, peer_names: [\"bad name\"] }\n"
	                   "  \"bad name\": { profile: generic }\n",
	              &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_ERR("trunks.lab.transport", 15, 16,
	          "tsl; not one of udp, tcp,"
	          " tls",
	          "did you mean tls?");
	CHECK_ERR("trunks.lab.up_after", 16, 15, "-1; not a whole number",
	          "from 1 to 100");
	CHECK_ERR("trunks.lab.down_after", 17, 18,
	          "found a list; expected a "
	          "single value",
	          NULL);
	CHECK_ERR("trunks.lab.failover_codes[0]", 18, 22,
	          "200; out of range "
	          "400-699",
	          NULL);
	CHECK_ERR("trunks.lab.tls.verify_peer", 20, 25,
	          "yes; not one of "
	          "required, optional, none",
	          NULL);
	CHECK_ERR("trunks.lab.tls.client_certificate", 20, 50,
	          "yes; not a boolean", "write true or false");
	CHECK_ERR("trunks.lab.tls.peer_names[0]", 20, 68,
	          "bad name; not a DNS name", NULL);
	CHECK_ERR("trunks.bad name", 21, 3, "bad trunk name", NULL);

	/* limits cross-checks, listener conflicts, planned keys */
	rc = load("identity: { fqdn: sbc1.contoso.com, certificate: a, "
	          "private_key: b }\n"
	          "listen:\n"
	          "  - { transport: tls }\n"
	          "  - { transport: tcp, port: 5061, address: 10.0.0.1 }\n"
	          "  - { transport: udp, port: 5061 }\n"
	          "  - { transport: tcp, address: example.com }\n"
	          "limits: { max_message_size: 2048, max_header_length: 4096,"
	          " max_connections: 10, max_connections_per_source: 20 }\n"
	          "admin: { listen: 127.0.0.1 }\n"
	          "trunks:\n"
	          "  acs: { profile: acs-direct-routing, diversion: "
	          "none }\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_ERR("listen[1]", 4, 7, "already taken by the tls listener", NULL);
	CHECK(find("listen[2]") == NULL); /* UDP and TCP may share a port */
	CHECK_ERR("listen[3].address", 6, 32, "not an IPv4 or IPv6 address",
	          NULL);
	CHECK_ERR("limits.max_header_length", 7, 54,
	          "larger than "
	          "max_message_size",
	          NULL);
	CHECK_ERR("limits.max_connections_per_source", 7, 109,
	          "larger than max_connections", NULL);
	CHECK_ERR("admin.listen", 8, 18, "no port", "127.0.0.1:8080");
	/* diversion is a mapping (test_cfg_calls.c has its keys) */
	CHECK_ERR("trunks.acs.diversion", 10, 50,
	          "found a value; expected a mapping",
	          "form, always_send, source");
}

/* ------------------------------------------------------------- the files */

static void repo_path(char *buf, size_t cap, const char *rel)
{
	/* __FILE__ is <repo>/tests/unit/test_cfg.c */
	const char *f = __FILE__;
	const char *cut = strstr(f, "tests/unit/test_cfg.c");
	size_t n = cut ? (size_t)(cut - f) : 0;
	snprintf(buf, cap, "%.*s%s", (int)n, f, rel);
}

static void test_example_file(void)
{
	char path[1024];
	repo_path(path, sizeof(path), "examples/trunkbridge.yaml");
	struct tb_config *c = NULL;
	int rc = cfg_load(path, &c, &errs);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(errs.n_errors, 0);
	CHECK_EQ_INT(errs.n_warnings, 0);
	if (errs.n)
		dump();
	if (!c)
		return;
	CHECK(!strcmp(c->source, path));
	CHECK(!strcmp(c->identity.fqdn, "sbc1.contoso.com"));
	CHECK_EQ_INT(c->n_listeners, 1);
	CHECK_EQ_INT(c->n_trunks, 2);
	const struct cfg_trunk *a = cfg_trunk_find(c, "acs");
	const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
	CHECK(a && a->n_servers == 3 && a->servers[2].port == 5061);
	CHECK(a && a->tls.client_certificate && a->n_allow == 2);
	CHECK(g && g->n_servers == 1 && g->servers[0].port == 5061);
	CHECK(g && g->tls.groups && !strncmp(g->tls.groups, "secp384r1", 9));
	CHECK(c->media.enabled && c->media.port_min == 40000 &&
	      !strcmp(c->media.public_address.text, "203.0.113.10"));
	cfg_free(c);

	/* A file that is not there: the errno and one entry. */
	repo_path(path, sizeof(path), "examples/no-such-file.yaml");
	rc = cfg_load(path, &c, &errs);
	CHECK_EQ_INT(rc, ENOENT);
	CHECK(c == NULL);
	CHECK(errs.n == 1 && errs.e[0].line == 0 &&
	      strstr(errs.e[0].what, "cannot open"));
	/* errs may be NULL */
	CHECK_EQ_INT(cfg_load(path, &c, NULL), ENOENT);
}

/* ------------------------------------------------------------ text checks */

static void test_names(void)
{
	CHECK(!strcmp(cfg_transport_name(CFG_TRANSPORT_TLS), "tls"));
	CHECK(!strcmp(cfg_profile_name(CFG_PROFILE_ACS), "acs-direct-routing"));
	CHECK(!strcmp(cfg_profile_name(CFG_PROFILE_GENESYS),
	              "genesys-byoc-cloud"));
	CHECK(!strcmp(cfg_verify_name(CFG_VERIFY_NONE), "none"));
	struct cfg_error e;
	memset(&e, 0, sizeof(e));
	strcpy(e.file, "x.yaml");
	strcpy(e.what, "oops");
	char buf[256];
	cfg_error_format(&e, buf, sizeof(buf));
	CHECK(!strcmp(buf, "x.yaml: oops"));
	e.severity = CFG_SEV_WARNING;
	e.line = 3;
	e.column = 7;
	strcpy(e.path, "a.b");
	strcpy(e.fix, "do it");
	cfg_error_format(&e, buf, sizeof(buf));
	CHECK(!strcmp(buf, "x.yaml:3:7: warning: a.b: oops (do it)"));
}

/* routes (design.md: PCRE2 number patterns, like ACS voice routes) and the
 * CDR store */
static void test_routes_and_cdr(void)
{
	struct tb_config *c = NULL;
	int rc = load(HEAD "  acs: { profile: acs-direct-routing }\n"
	                   "  genesys: { profile: genesys-byoc-cloud, "
	                   "servers: [byoc.mypurecloud.com], "
	                   "termination_uri: c.byoc.mypurecloud.com }\n"
	                   "routes:\n"
	                   "  - { from: acs, to: genesys, called: "
	                   "'^\\+1425555\\d{4}$' }\n"
	                   "  - { from: genesys, to: acs, called: '^\\+\\d+$', "
	                   "calling: '^\\+1' }\n"
	                   "cdr: { store: 'sqlite:/var/lib/tb/cdr.db' }\n",
	              &c);
	CHECK_EQ_INT(rc, 0);
	if (rc)
		dump();
	if (c) {
		CHECK_EQ_INT(c->n_routes, 2);
		CHECK(!strcmp(c->routes[0].from, "acs"));
		CHECK(!strcmp(c->routes[0].to, "genesys"));
		CHECK(!strcmp(c->routes[0].called, "^\\+1425555\\d{4}$"));
		CHECK(c->routes[0].calling == NULL);
		CHECK(!strcmp(c->routes[1].calling, "^\\+1"));
		CHECK(!strcmp(c->cdr_path, "/var/lib/tb/cdr.db"));
		cfg_free(c);
	}

	/* an unknown trunk, a bad pattern (with its offset), a missing
	 * called, a store that is not sqlite: all reported together */
	rc = load(HEAD "  acs: { profile: acs-direct-routing }\n"
	               "routes:\n"
	               "  - { from: acs, to: genesis, called: '.*' }\n"
	               "  - { from: acs, to: acs, called: '^(\\d+' }\n"
	               "  - { from: acs, to: acs }\n"
	               "cdr: { store: 'postgres://x' }\n",
	          &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK(c == NULL);
	CHECK_ERR("routes[0].to", 14, 22,
	          "genesis; no such trunk (there are: acs)", "trunks:");
	CHECK_ERR("routes[1].called", 15, 35,
	          "missing closing parenthesis at offset 5", "PCRE2");
	CHECK_ERR("routes[2].called", 16, 7, "missing", "called:");
	CHECK_ERR("cdr.store", 17, 15, "only sqlite:<path> is supported",
	          "sqlite:");
}

/* refused_sources and ip_ranges_check_interval (the allow-lists, top
 * level): defaults, every value, each error at its line:column. */
static void test_allow_globals(void)
{
	struct tb_config *c = NULL;
	int rc = load(minimal, &c);
	CHECK_EQ_INT(rc, 0);
	if (c) {
		CHECK(!c->refuse_with_403);
		CHECK_EQ_INT(c->ip_ranges_check_ms, 10000);
		cfg_free(c);
	}
	static const char *const ok[] = {"refused_sources: drop\n",
	                                 "refused_sources: reply-403\n",
	                                 "refused_sources: REPLY-403\n",
	                                 "ip_ranges_check_interval: 1s\n",
	                                 "ip_ranges_check_interval: 1h\n",
	                                 "ip_ranges_check_interval: 90\n"};
	static const bool want403[] = {false, true, true, false, false, false};
	static const uint32_t want_ms[] = {10000, 10000,   10000,
	                                   1000,  3600000, 90000};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char yaml[1024];
		snprintf(yaml, sizeof(yaml), "%s%s", minimal, ok[i]);
		rc = load(yaml, &c);
		CHECK_EQ_INT(rc, 0);
		if (rc) {
			dump();
			continue;
		}
		CHECK_EQ_INT(c->refuse_with_403, want403[i]);
		CHECK_EQ_INT(c->ip_ranges_check_ms, want_ms[i]);
		cfg_free(c);
	}
	/* errors: on lines 16-17, after minimal's 15 */
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
	         "%srefused_sources: reply403\n"
	         "ip_ranges_check_interval: 500ms\n",
	         minimal);
	rc = load(yaml, &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_EQ_INT(errs.n_errors, 2);
	CHECK(formatted_is(find("refused_sources"),
	                   "trunkbridge.yaml:16:18: refused_sources: "
	                   "reply403; not one of drop, reply-403 (did you "
	                   "mean reply-403?)"));
	CHECK(formatted_is(find("ip_ranges_check_interval"),
	                   "trunkbridge.yaml:17:27: ip_ranges_check_interval: "
	                   "500ms; out of range 1s-1h (use a duration from 1s "
	                   "to 1h)"));
	snprintf(yaml, sizeof(yaml),
	         "%srefused_sources: [drop]\n"
	         "ip_ranges_check_interval: 2h\n",
	         minimal);
	rc = load(yaml, &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_ERR("refused_sources", 16, 19, "found a list", NULL);
	CHECK_ERR("ip_ranges_check_interval", 17, 27, "2h; out of range 1s-1h",
	          "use a duration from 1s to 1h");
	snprintf(yaml, sizeof(yaml), "%sip_ranges_check_interval: 10 seconds\n",
	         minimal);
	rc = load(yaml, &c);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK_ERR("ip_ranges_check_interval", 16, 27,
	          "\"10 seconds\" is not a duration", "10s");
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	RUN(test_defaults_both_profiles);
	RUN(test_full);
	RUN(test_acs_udp);
	RUN(test_unknown_key);
	RUN(test_port_range);
	RUN(test_bad_duration);
	RUN(test_identity);
	RUN(test_trunk_without_profile);
	RUN(test_bad_cidr);
	RUN(test_servers);
	RUN(test_yaml_syntax);
	RUN(test_many_errors);
	RUN(test_overflow);
	RUN(test_profile_rules);
	RUN(test_values);
	RUN(test_example_file);
	RUN(test_names);
	RUN(test_routes_and_cdr);
	RUN(test_allow_globals);
	return test_summary();
}
