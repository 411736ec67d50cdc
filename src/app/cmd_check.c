/* cmd_check.c: `trunkbridge check -c FILE [--ca ROOTS]`.
 *
 * The config's own validation (every error as file:line:column: key: what
 * (fix)), then the guide's rules that need the files: our certificate and
 * the allow-lists. Exit 0 when there is no error (warnings are printed),
 * 1 when there is one, 2 on a usage error.
 */
#include "app/cmds.h"
#include "cfg/cfg.h"
#include "check/check.h"

#include <stdio.h>
#include <string.h>

int cmd_check(int argc, char **argv)
{
	const char *path = NULL;
	struct check_opts o = {.extra_ca = NULL, .expiry_warn_days = 30};
	struct check_counts n = {0, 0};
	struct cfg_errors errs;
	struct tb_config *cfg = NULL;

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
		    i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--ca") && i + 1 < argc)
			o.extra_ca = argv[++i];
		else {
			fprintf(stderr, "usage: trunkbridge check -c FILE "
			                "[--ca ROOTS.pem]\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr,
		        "usage: trunkbridge check -c FILE [--ca ROOTS.pem]\n");
		return 2;
	}
	cfg_errors_init(&errs);
	int rc = cfg_load(path, &cfg, &errs);
	cfg_errors_print(&errs, stdout);
	n.errors += (unsigned)errs.n_errors;
	n.warnings += (unsigned)errs.n_warnings;
	if (rc == 0) {
		check_config(cfg, &o, stdout, &n);
		cfg_free(cfg);
	}
	printf("check: %s: %u error%s, %u warning%s\n", path, n.errors,
	       n.errors == 1 ? "" : "s", n.warnings,
	       n.warnings == 1 ? "" : "s");
	return n.errors ? 1 : 0;
}
