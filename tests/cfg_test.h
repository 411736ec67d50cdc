/* cfg_test.h: what the config section tests share: a 5-line config
 * head (a section appended to it starts on line 6), loading a text, and
 * looking for an error or warning at its key path and line. Included by
 * one test program each (static definitions). */
#ifndef TB_TESTS_CFG_TEST_H
#define TB_TESTS_CFG_TEST_H

#include "cfg/cfg.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static struct cfg_errors errs; /* large: not on the stack */

#define HEAD                                                                   \
	"identity: { fqdn: sbc1.contoso.com, certificate: a.pem, "             \
	"private_key: a.key }\n"                                               \
	"listen: [{ transport: tls, port: 5061 }]\n"                           \
	"trunks:\n"                                                            \
	"  acs:\n"                                                             \
	"    profile: acs-direct-routing\n"

static inline struct tb_config *load(const char *yaml)
{
	struct tb_config *c = NULL;
	cfg_load_string("trunkbridge.yaml", yaml, strlen(yaml), &c, &errs);
	return c;
}

/* An entry of severity sev at path (and line, when > 0) whose text holds
 * want and whose fix holds fix (when set); prints every entry when there
 * is none. */
static inline bool has(enum cfg_severity sev, const char *path, int line,
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

#endif
