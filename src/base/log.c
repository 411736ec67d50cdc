/* log.c: logfmt lines on stderr (see log.h). */
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum tb_log_level min_level = TB_LOG_INFO;

void tb_log_set_level(enum tb_log_level l)
{
	min_level = l;
}

static enum tb_log_level level_of(const char *s)
{
	if (!s)
		return TB_LOG_INFO;
	if (strcmp(s, "debug") == 0)
		return TB_LOG_DEBUG;
	if (strcmp(s, "warn") == 0)
		return TB_LOG_WARN;
	if (strcmp(s, "error") == 0)
		return TB_LOG_ERROR;
	return TB_LOG_INFO;
}

enum tb_log_level tb_log_level_from_env(void)
{
	return level_of(getenv("TB_LOG_LEVEL"));
}

void tb_logv(const char *level, const char *event, const char *fmt, va_list ap)
{
	char line[2048];
	char ts[40];
	struct timespec now;
	struct tm tm;
	int n, m;

	if (level_of(level) < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s event=%s ", ts,
	             now.tv_nsec / 1000000, level, event);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}

void tb_log(const char *level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tb_logv(level, event, fmt, ap);
	va_end(ap);
}
