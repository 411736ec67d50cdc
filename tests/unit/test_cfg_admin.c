/* test_cfg_admin.c: the admin section (src/cfg/cfg_admin.c): defaults,
 * every listen form, the token, every error at its key path and line with
 * its fix, the warning about a non-loopback endpoint without a token. */
#include "cfg/cfg.h"

#include "tests/test.h"

#include <errno.h>
#include <string.h>

static struct cfg_errors errs; /* large: not on the stack */

/* 5 lines: an admin section starts on line 6 */
#define HEAD                                                                   \
	"identity: { fqdn: sbc1.contoso.com, certificate: a.pem, "             \
	"private_key: a.key }\n"                                               \
	"listen: [{ transport: tls, port: 5061 }]\n"                           \
	"trunks:\n"                                                            \
	"  acs:\n"                                                             \
	"    profile: acs-direct-routing\n"

static struct tb_config *load(const char *yaml, int *rc)
{
	struct tb_config *c = NULL;
	int r = cfg_load_string("trunkbridge.yaml", yaml, strlen(yaml), &c,
	                        &errs);
	if (rc)
		*rc = r;
	return c;
}

/* An entry at path (and line, when > 0) whose text holds want and whose
 * fix holds fix (when set). */
static bool has(enum cfg_severity sev, const char *path, int line,
                const char *want, const char *fix)
{
	char buf[1200];
	for (size_t i = 0; i < errs.n; i++) {
		const struct cfg_error *e = &errs.e[i];
		if (e->severity != sev || strcmp(e->path, path) ||
		    (line > 0 && e->line != line))
			continue;
		cfg_error_format(e, buf, sizeof(buf));
		if (strstr(buf, want) && (!fix || strstr(e->fix, fix)))
			return true;
	}
	cfg_errors_print(&errs, stderr);
	return false;
}

static void test_defaults(void)
{
	struct tb_config *c = load(HEAD, NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(!c->admin.enabled); /* no section: no endpoint */
	CHECK(c->admin.token == NULL);
	cfg_free(c);

	/* a port alone: loopback */
	c = load(HEAD "admin: { listen: 8080 }\n", NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(c->admin.enabled);
	CHECK(!strcmp(c->admin.address.text, "127.0.0.1"));
	CHECK_EQ_INT(c->admin.address.family, 4);
	CHECK_EQ_INT(c->admin.port, 8080);
	CHECK(!strcmp(c->admin.listen, "127.0.0.1:8080"));
	CHECK(c->admin.token == NULL);
	CHECK_EQ_INT(errs.n, 0); /* loopback without a token: fine */
	cfg_free(c);
}

static void test_values(void)
{
	struct tb_config *c =
	        load(HEAD "admin:\n"
	                  "  listen: \"[::1]:9090\"\n"
	                  "  token: s3cr3t-t0ken-0123456789abcdef\n",
	             NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(c->admin.address.family, 6);
	CHECK(!strcmp(c->admin.address.text, "::1"));
	CHECK_EQ_INT(c->admin.port, 9090);
	CHECK(!strcmp(c->admin.listen, "[::1]:9090"));
	CHECK(c->admin.token &&
	      !strcmp(c->admin.token, "s3cr3t-t0ken-0123456789abcdef"));
	CHECK_EQ_INT(errs.n, 0);
	cfg_free(c);

	c = load(HEAD "admin: { listen: \"localhost:8081\" }\n", NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(!strcmp(c->admin.listen, "127.0.0.1:8081"));
	cfg_free(c);

	/* a non-loopback address with a token: no warning */
	c = load(HEAD "admin: { listen: \"0.0.0.0:8080\", token: "
	              "AbCdEfGhIjKlMnOpQrStUv== }\n",
	         NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(!strcmp(c->admin.address.text, "0.0.0.0"));
	CHECK_EQ_INT(errs.n, 0);
	cfg_free(c);
}

static void test_warning(void)
{
	struct tb_config *c =
	        load(HEAD "admin: { listen: \"10.0.0.5:8080\" }\n", NULL);
	CHECK(c != NULL); /* a warning, not an error */
	if (!c)
		return;
	CHECK_EQ_INT(errs.n_errors, 0);
	CHECK_EQ_INT(errs.n_warnings, 1);
	CHECK(has(CFG_SEV_WARNING, "admin.listen", 6,
	          "anyone who reaches it sees your calls", "add token:"));
	cfg_free(c);

	/* a short token: a warning too */
	c = load(HEAD "admin: { listen: 8080, token: abc }\n", NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(has(CFG_SEV_WARNING, "admin.token", 6, "short enough to guess",
	          "at least 16"));
	cfg_free(c);
}

static void test_errors(void)
{
	int rc = 0;
	struct tb_config *c;

	c = load(HEAD "admin: { listen: \"127.0.0.1\" }\n", &rc);
	CHECK(c == NULL);
	CHECK_EQ_INT(rc, EINVAL);
	CHECK(has(CFG_SEV_ERROR, "admin.listen", 6, "no port",
	          "127.0.0.1:8080"));

	c = load(HEAD "admin: { listen: \"127.0.0.1:99999\" }\n", &rc);
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "admin.listen", 6,
	          "not a number from 1 to 65535", "HOST:PORT"));

	c = load(HEAD "admin: { listen: \"example.com:8080\" }\n", &rc);
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "admin.listen", 6,
	          "not an IPv4 or IPv6 address", NULL));

	c = load(HEAD "admin: { listen: \"::1:8080\" }\n", &rc);
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "admin.listen", 6, "without brackets",
	          "[::1]:8080"));

	c = load(HEAD "admin: { token: AbCdEfGhIjKlMnOpQrStUv }\n", &rc);
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "admin.listen", 6, "missing",
	          "add listen: 127.0.0.1:8080"));

	c = load(HEAD "admin: { listen: 8080, token: \"two words\" }\n", &rc);
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "admin.token", 6,
	          "a character a bearer token cannot hold", "letters, digits"));

	c = load(HEAD "admin: { listen: 8080, tokn: x }\n", &rc);
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "admin.tokn", 6, "", "did you mean token?"));

	c = load(HEAD "admin: [8080]\n", &rc);
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "admin", 6, "expected a mapping", NULL));

	/* the SIP TLS listener's port on the same address */
	c = load(HEAD "admin: { listen: 5061 }\n", &rc);
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "admin.listen", 6,
	          "already taken by the tls listener", "another port"));
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_values);
	RUN(test_warning);
	RUN(test_errors);
	return test_summary();
}
