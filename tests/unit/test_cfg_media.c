/* test_cfg_media.c: the media section and the trunks' media keys
 * (src/cfg/cfg_media.c): defaults, every value read, every error and
 * warning at its key path with its fix (interop 1.7, 2.4, F11-F13). */
#include "cfg/cfg.h"
#include "media/srtp.h"

#include "tests/test.h"

#include <string.h>

static struct cfg_errors errs; /* large: not on the stack */

#define HEAD                                                                   \
	"identity: { fqdn: sbc1.contoso.com, certificate: a.pem, "             \
	"private_key: a.key }\n"                                               \
	"listen: [{ transport: tls }]\n"                                       \
	"trunks:\n"                                                            \
	"  acs:\n"                                                             \
	"    profile: acs-direct-routing\n"                                    \
	"  genesys:\n"                                                         \
	"    profile: genesys-byoc-cloud\n"                                    \
	"    servers: [byoc.mypurecloud.com]\n"                                \
	"    termination_uri: contoso.byoc.mypurecloud.com\n"

static struct tb_config *load(const char *yaml)
{
	struct tb_config *c = NULL;
	cfg_load_string("trunkbridge.yaml", yaml, strlen(yaml), &c, &errs);
	return c;
}

/* An entry at path whose formatted text holds want. */
static bool has(const char *path, const char *want)
{
	char buf[1200];
	for (size_t i = 0; i < errs.n; i++) {
		if (strcmp(errs.e[i].path, path))
			continue;
		cfg_error_format(&errs.e[i], buf, sizeof(buf));
		if (strstr(buf, want))
			return true;
	}
	cfg_errors_print(&errs, stderr);
	return false;
}

static void test_defaults(void)
{
	struct tb_config *c = load(HEAD);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(!c->media.enabled); /* no section: SDP crosses unchanged */
	const struct cfg_trunk *a = cfg_trunk_find(c, "acs");
	const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
	CHECK_EQ_INT(a->n_srtp_suites, 1);
	CHECK_EQ_INT(a->srtp_suites[0], SRTP_AES_CM_128_HMAC_SHA1_80);
	CHECK_EQ_INT(a->ice, CFG_ICE_LITE);
	CHECK_EQ_INT(g->ice, CFG_ICE_OFF);
	CHECK_EQ_INT(g->dtmf_payload, 101);
	CHECK(g->disconnect_on_idle_rtp);
	cfg_free(c);

	c = load(HEAD "media: { public_address: 203.0.113.10 }\n");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(c->media.enabled);
	CHECK(!strcmp(c->media.address.text, "0.0.0.0"));
	CHECK(!strcmp(c->media.public_address.text, "203.0.113.10"));
	CHECK_EQ_INT(c->media.port_min, 40000);
	CHECK_EQ_INT(c->media.port_max, 49999);
	CHECK_EQ_INT(c->media.idle_timeout_ms, 60000);
	CHECK_EQ_INT(c->media.batch, 32);
	cfg_free(c);
}

static void test_values(void)
{
	struct tb_config *c =
	        load(HEAD "    srtp_suites: [AES_CM_256_HMAC_SHA1_32, "
	                  "AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM]\n"
	                  "    dtmf_payload: 96\n"
	                  "    ice: lite\n"
	                  "    disconnect_on_idle_rtp: false\n"
	                  "media: { address: 127.0.0.1, ports: 20000-20099, "
	                  "idle_timeout: 10s, batch: 8 }\n");
	CHECK(c != NULL);
	if (!c)
		return;
	const struct cfg_trunk *g = cfg_trunk_find(c, "genesys");
	CHECK_EQ_INT(g->n_srtp_suites, 3);
	CHECK_EQ_INT(g->srtp_suites[0], SRTP_AES_256_CM_HMAC_SHA1_32);
	CHECK_EQ_INT(g->srtp_suites[1], SRTP_AES_CM_128_HMAC_SHA1_80);
	CHECK_EQ_INT(g->srtp_suites[2], SRTP_AEAD_AES128_GCM);
	CHECK_EQ_INT(g->dtmf_payload, 96);
	CHECK_EQ_INT(g->ice, CFG_ICE_LITE);
	CHECK(!g->disconnect_on_idle_rtp);
	/* public_address defaults to a specific bind address */
	CHECK(!strcmp(c->media.public_address.text, "127.0.0.1"));
	CHECK_EQ_INT(c->media.port_min, 20000);
	CHECK_EQ_INT(c->media.port_max, 20099);
	CHECK_EQ_INT(c->media.idle_timeout_ms, 10000);
	CHECK_EQ_INT(c->media.batch, 8);
	/* the Genesys trunk's first suite is not its default: warned */
	CHECK(has("trunks.genesys.srtp_suites", "interop F13"));
	cfg_free(c);
}

static void test_errors(void)
{
	CHECK(load(HEAD "media: { ports: 40000-49999 }\n") == NULL);
	CHECK(has("media.public_address", "add public_address"));
	CHECK(load(HEAD "media: { public_address: 0.0.0.0 }\n") == NULL);
	CHECK(has("media.public_address", "unspecified address"));
	CHECK(load(HEAD "media: { public_address: sbc1.contoso.com }\n") ==
	      NULL);
	CHECK(has("media.public_address", "not an IPv4 or IPv6 address"));
	CHECK(load(HEAD
	           "media: { address: 127.0.0.1, ports: 40001-40100 }\n") ==
	      NULL);
	CHECK(has("media.ports", "odd port"));
	CHECK(load(HEAD "media: { address: 127.0.0.1, ports: 100-200 }\n") ==
	      NULL);
	CHECK(has("media.ports", "from 1024 to 65535"));
	CHECK(load(HEAD "media: { address: 127.0.0.1, idle_timeout: 1s }\n") ==
	      NULL);
	CHECK(load(HEAD "media: { address: 127.0.0.1, batch: 65 }\n") == NULL);
	CHECK(has("media.batch", "1 to 64"));
	CHECK(load(HEAD "media: { address: 127.0.0.1, portz: 1 }\n") == NULL);
	CHECK(load(HEAD "    srtp_suites: [AES_CM_128_HMAC_SHA1_81]\n") ==
	      NULL);
	CHECK(has("trunks.genesys.srtp_suites[0]",
	          "did you mean AES_CM_128_HMAC_SHA1_80?"));
	CHECK(load(HEAD "    srtp_suites: []\n") == NULL);
	CHECK(has("trunks.genesys.srtp_suites", "empty"));
	CHECK(load(HEAD "    dtmf_payload: 95\n") == NULL);
	CHECK(has("trunks.genesys.dtmf_payload", "96 to 127"));
	CHECK(load(HEAD "    ice: full\n") == NULL);
	struct tb_config *c = load(HEAD "    srtp_suites: "
	                                "[AES_CM_128_HMAC_SHA1_80, "
	                                "AES_CM_128_HMAC_SHA1_80]\n");
	CHECK(c != NULL);
	CHECK(has("trunks.genesys.srtp_suites[1]", "listed twice"));
	cfg_free(c);
}

static void test_acs_rules(void)
{
	const char *acs_keys =
	        "identity: { fqdn: sbc1.contoso.com, certificate: a.pem, "
	        "private_key: a.key }\n"
	        "listen: [{ transport: tls }]\n"
	        "trunks:\n"
	        "  acs:\n"
	        "    profile: acs-direct-routing\n"
	        "    ice: off\n"
	        "    srtp_suites: [AES_CM_128_HMAC_SHA1_32]\n";
	struct tb_config *c = load(acs_keys);
	CHECK(c != NULL);
	CHECK(has("trunks.acs.ice", "IceConnectivityChecksFailed"));
	CHECK(has("trunks.acs.srtp_suites[0]", "interop 1.7"));
	CHECK_EQ_INT(errs.n_warnings, 2);
	cfg_free(c);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_values);
	RUN(test_errors);
	RUN(test_acs_rules);
	return test_summary();
}
