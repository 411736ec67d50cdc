/* log.c: logfmt lines on stderr, a level per module (see log.h). */
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const mod_names[TB_MOD_COUNT] = {
        [TB_MOD_APP] = "app",     [TB_MOD_SIP] = "sip",
        [TB_MOD_B2B] = "b2b",     [TB_MOD_MEDIA] = "media",
        [TB_MOD_TRUNK] = "trunk", [TB_MOD_CDR] = "cdr",
        [TB_MOD_CFG] = "cfg",     [TB_MOD_ADMIN] = "admin",
        [TB_MOD_CHECK] = "check", [TB_MOD_TRACE] = "trace",
};
static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* the level of each module (one loop writes it at start and reload) */
static enum tb_log_level min_level[TB_MOD_COUNT] = {
        TB_LOG_INFO, TB_LOG_INFO, TB_LOG_INFO, TB_LOG_INFO, TB_LOG_INFO,
        TB_LOG_INFO, TB_LOG_INFO, TB_LOG_INFO, TB_LOG_INFO, TB_LOG_INFO};

const char *tb_log_module_name(enum tb_log_module m)
{
	return (unsigned)m < TB_MOD_COUNT ? mod_names[m] : NULL;
}

int tb_log_module_of(const char *name)
{
	for (int i = 0; name && i < TB_MOD_COUNT; i++) {
		if (strcmp(mod_names[i], name) == 0)
			return i;
	}
	return -1;
}

int tb_log_level_of(const char *name)
{
	for (int i = 0; name && i < 4; i++) {
		if (strcmp(level_names[i], name) == 0)
			return i;
	}
	return -1;
}

const char *tb_log_level_name(enum tb_log_level l)
{
	return (unsigned)l < 4 ? level_names[l] : "info";
}

void tb_log_set_levels(enum tb_log_level global, const int *per_module)
{
	for (int i = 0; i < TB_MOD_COUNT; i++)
		min_level[i] = per_module && per_module[i] >= 0
		                       ? (enum tb_log_level)per_module[i]
		                       : global;
}

void tb_log_set_level(enum tb_log_level l)
{
	tb_log_set_levels(l, NULL);
}

enum tb_log_level tb_log_level_from_env(void)
{
	int l = tb_log_level_of(getenv("TB_LOG_LEVEL"));
	return l < 0 ? TB_LOG_INFO : (enum tb_log_level)l;
}

bool tb_log_on(enum tb_log_module m, enum tb_log_level l)
{
	return (unsigned)m < TB_MOD_COUNT && l >= min_level[m];
}

void tb_logv_m(enum tb_log_module m, const char *level, const char *event,
               const char *fmt, va_list ap)
{
	char line[2048];
	char ts[40];
	struct timespec now;
	struct tm tm;
	int n, k, lv = tb_log_level_of(level);

	if (lv < 0)
		lv = TB_LOG_INFO;
	if (!tb_log_on(m, (enum tb_log_level)lv))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line),
	             "ts=%s.%03ldZ level=%s module=%s event=%s ", ts,
	             now.tv_nsec / 1000000, level, mod_names[m], event);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	k = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (k < 0)
		return;
	n += k;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}

void tb_log_m(enum tb_log_module m, const char *level, const char *event,
              const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tb_logv_m(m, level, event, fmt, ap);
	va_end(ap);
}
