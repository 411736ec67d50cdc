/* log.h: one line per event in logfmt on stderr:
 *
 *   ts=2026-11-26T16:33:41.123Z level=info module=b2b event=call_end
 *   call=... key=value
 *
 * Values with spaces are quoted by the caller's format ("reason=\"%s\"").
 * Every source file belongs to a module (its folder under src/: CMake
 * defines TB_LOG_MOD per file); each module has its own level (the
 * config's log: section, docs/config.md), so `sip: debug` shows every
 * OPTIONS answered without the B2BUA's debug lines.
 * Thread-safe as far as stdio is (one fwrite per line).
 */
#ifndef TB_BASE_LOG_H
#define TB_BASE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum tb_log_level {
	TB_LOG_DEBUG = 0,
	TB_LOG_INFO,
	TB_LOG_WARN,
	TB_LOG_ERROR,
};

/* The modules: one per folder of src/ (base and app log as "app"). */
enum tb_log_module {
	TB_MOD_APP = 0,
	TB_MOD_SIP,
	TB_MOD_B2B,
	TB_MOD_MEDIA,
	TB_MOD_TRUNK,
	TB_MOD_CDR,
	TB_MOD_CFG,
	TB_MOD_ADMIN,
	TB_MOD_CHECK,
	TB_MOD_TRACE,
	TB_MOD_COUNT
};

#ifndef TB_LOG_MOD
#define TB_LOG_MOD TB_MOD_APP
#endif

/* "app", "sip", ...; NULL out of range. */
const char *tb_log_module_name(enum tb_log_module m);
/* The module of a name, -1 when there is none. */
int tb_log_module_of(const char *name);
/* "debug".."error" -> level; -1 for anything else. */
int tb_log_level_of(const char *name);
const char *tb_log_level_name(enum tb_log_level l);

/* Lines below the level are not written. global: every module without
 * its own; per_module[m] (may be NULL): -1, or the module's level. The
 * default is info everywhere; the TB_LOG_LEVEL environment variable
 * ("debug".."error") sets the global level when the config has none. */
void tb_log_set_levels(enum tb_log_level global, const int *per_module);
void tb_log_set_level(enum tb_log_level l);
enum tb_log_level tb_log_level_from_env(void);
bool tb_log_on(enum tb_log_module m, enum tb_log_level l);

void tb_log_m(enum tb_log_module m, const char *level, const char *event,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void tb_logv_m(enum tb_log_module m, const char *level, const char *event,
               const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));

/* tb_log("info", "call_end", "call=%s", id): the file's module. */
#define tb_log(level, event, ...)                                              \
	tb_log_m(TB_LOG_MOD, level, event, __VA_ARGS__)

#endif
