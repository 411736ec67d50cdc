/* cfg_log.c: the log section: the level of every module, and of each
 * module on its own (logfmt on stderr; base/log.h).
 *
 *   log:
 *     level: info                  # debug | info | warn | error
 *     modules: { sip: debug, media: warn }
 *
 * Modules are the folders of src/: app, sip, b2b, media, trunk, cdr,
 * cfg, admin, check, trace. No section: TB_LOG_LEVEL from the
 * environment, else info. A reload (SIGHUP) applies new levels at once.
 */
#include "base/log.h"
#include "cfg/cfg_int.h"

#include <string.h>

_Static_assert(CFG_LOG_MODULES == TB_MOD_COUNT,
               "cfg_log.modules has one slot per log module");

enum { L_LEVEL, L_MODULES, L_COUNT };
static const char *const log_keys[L_COUNT] = {"level", "modules"};
static const char *const levels[] = {"debug", "info", "warn", "error"};

void cfg_parse_log(struct cfg_ctx *c, const struct cfg_val *v)
{
	struct cfg_log *l = &c->cfg->log;
	const char *names[TB_MOD_COUNT];

	l->level = -1;
	for (int i = 0; i < CFG_LOG_MODULES; i++)
		l->modules[i] = -1;
	if (!v->node)
		return;
	struct cfg_val k[L_COUNT];
	if (!cfg_map(c, v, log_keys, L_COUNT, NULL, 0, k))
		return;
	if (k[L_LEVEL].node)
		l->level = cfg_get_enum(c, &k[L_LEVEL], levels, 4);
	if (!k[L_MODULES].node)
		return;
	for (int i = 0; i < TB_MOD_COUNT; i++)
		names[i] = tb_log_module_name((enum tb_log_module)i);
	struct cfg_val m[TB_MOD_COUNT];
	if (!cfg_map(c, &k[L_MODULES], names, TB_MOD_COUNT, NULL, 0, m))
		return;
	for (int i = 0; i < TB_MOD_COUNT; i++) {
		if (m[i].node)
			l->modules[i] = cfg_get_enum(c, &m[i], levels, 4);
	}
}
