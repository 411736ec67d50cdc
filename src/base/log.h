/* log.h: one line per event in logfmt on stderr:
 *
 *   ts=2026-11-26T16:33:41.123Z level=info event=call_end call=... key=value
 *
 * Values with spaces are quoted by the caller's format ("reason=\"%s\"").
 * Thread-safe as far as stdio is (one fprintf-sized write per line).
 */
#ifndef TB_BASE_LOG_H
#define TB_BASE_LOG_H

#include <stdarg.h>

enum tb_log_level {
	TB_LOG_DEBUG = 0,
	TB_LOG_INFO,
	TB_LOG_WARN,
	TB_LOG_ERROR,
};

/* Lines below this level are not written (default TB_LOG_INFO; the
 * TB_LOG_LEVEL environment variable, "debug".."error", sets it at start). */
void tb_log_set_level(enum tb_log_level l);
enum tb_log_level tb_log_level_from_env(void);

void tb_log(const char *level, const char *event, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void tb_logv(const char *level, const char *event, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

#endif
