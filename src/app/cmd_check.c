/* cmd_check.c: `trunkbridge check -c FILE [--ca ROOTS] [--probe [--trunk
 * NAME] [--timeout T]]`.
 *
 * The config's own validation (every error as file:line:column: key: what
 * (fix)), then the guide's rules that need the files: our certificate and
 * the allow-lists. With --probe, then each trunk server for real (DNS,
 * TCP, TLS, OPTIONS; check/probe.h), each failure with its cause and fix.
 * Exit 0 when there is no error and every probed server passed (warnings
 * are printed), 1 otherwise, 2 on a usage error.
 */
#include "app/cmds.h"
#include "cfg/cfg.h"
#include "check/check.h"
#include "check/probe.h"

#include <stdio.h>
#include <string.h>

#define USAGE                                                                  \
	"usage: trunkbridge check -c FILE [--ca ROOTS.pem] [--probe [--trunk " \
	"NAME] [--timeout 5s]]\n"

/* "5", "5s", "500ms": 100 ms to 60 s. 0 when it is not that. */
static uint32_t parse_timeout(const char *s)
{
	uint64_t v = 0;
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9' && i < 9)
		v = v * 10 + (uint64_t)(s[i++] - '0');
	if (i == 0)
		return 0;
	if (!strcmp(s + i, "ms"))
		;
	else if (!strcmp(s + i, "s") || !s[i])
		v *= 1000;
	else
		return 0;
	if (v < PROBE_TIMEOUT_MIN_MS || v > PROBE_TIMEOUT_MAX_MS)
		return 0;
	return (uint32_t)v;
}

int cmd_check(int argc, char **argv)
{
	const char *path = NULL;
	struct check_opts o = {.extra_ca = NULL, .expiry_warn_days = 30};
	struct probe_opts po = {.trunk = NULL,
	                        .timeout_ms = PROBE_TIMEOUT_DEFAULT_MS};
	struct probe_counts pn = {0, 0, 0, 0};
	struct check_counts n = {0, 0};
	struct cfg_errors errs;
	struct tb_config *cfg = NULL;
	bool probe = false, probe_opt = false;

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
		    i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--ca") && i + 1 < argc)
			o.extra_ca = argv[++i];
		else if (!strcmp(argv[i], "--probe"))
			probe = true;
		else if (!strcmp(argv[i], "--trunk") && i + 1 < argc) {
			po.trunk = argv[++i];
			probe_opt = true;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			po.timeout_ms = parse_timeout(argv[++i]);
			probe_opt = true;
			if (!po.timeout_ms) {
				fprintf(stderr,
				        "trunkbridge check: --timeout %s: give "
				        "100ms to 60s (e.g. 5s, 500ms)\n",
				        argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, USAGE);
			return 2;
		}
	}
	if (!path || (probe_opt && !probe)) {
		if (path)
			fprintf(stderr, "trunkbridge check: --trunk and "
			                "--timeout go with --probe\n");
		fprintf(stderr, USAGE);
		return 2;
	}
	cfg_errors_init(&errs);
	int rc = cfg_load(path, &cfg, &errs);
	cfg_errors_print(&errs, stdout);
	n.errors += (unsigned)errs.n_errors;
	n.warnings += (unsigned)errs.n_warnings;
	if (rc == 0 && probe && po.trunk && !cfg_trunk_find(cfg, po.trunk)) {
		fprintf(stderr,
		        "trunkbridge check: --trunk %s: no such trunk in "
		        "%s; it has:",
		        po.trunk, path);
		for (size_t i = 0; i < cfg->n_trunks; i++)
			fprintf(stderr, " %s", cfg->trunks[i].name);
		fputc('\n', stderr);
		cfg_free(cfg);
		return 2;
	}
	if (rc == 0) {
		check_config(cfg, &o, stdout, &n);
		if (probe) {
			fflush(stdout);
			if (probe_run(cfg, &po, stdout, &pn) != 0 &&
			    pn.failed == 0)
				n.errors++; /* could not run at all */
			n.errors += pn.failed;
			n.warnings += pn.warnings;
		}
		cfg_free(cfg);
	}
	printf("check: %s: %u error%s, %u warning%s\n", path, n.errors,
	       n.errors == 1 ? "" : "s", n.warnings,
	       n.warnings == 1 ? "" : "s");
	return n.errors ? 1 : 0;
}
