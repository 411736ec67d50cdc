/* sdnotify.c: sd_notify(3) without libsystemd (see sdnotify.h). */
#include "app/sdnotify.h"
#include "base/clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int tb_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;

	if (!path || !path[0])
		return 0;
	size_t n = strlen(path), len = strlen(state);
	if ((path[0] != '/' && path[0] != '@') || n < 2 ||
	    n >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: no NUL at the end */
	socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	                           (path[0] == '/' ? 1 : 0));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t w;
	do {
		w = sendto(fd, state, len, MSG_NOSIGNAL,
		           (const struct sockaddr *)&sa, sl);
	} while (w < 0 && errno == EINTR);
	close(fd);
	return w == (ssize_t)len ? 1 : -1;
}

int tb_sd_notifyf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	return tb_sd_notify(buf);
}

/* A decimal number of at most 20 digits, nothing else; false otherwise. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (!s)
		return false;
	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 20)
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (i == 0)
		return false;
	*out = v;
	return true;
}

uint64_t tb_sd_watchdog_usec(void)
{
	uint64_t usec, pid;
	const char *p = getenv("WATCHDOG_PID");

	if (!parse_u64(getenv("WATCHDOG_USEC"), UINT64_MAX, &usec) ||
	    usec < 1000 || usec > 86400ull * 1000000ull)
		return 0;
	if (p && p[0] &&
	    (!parse_u64(p, UINT32_MAX, &pid) || pid != (uint64_t)getpid()))
		return 0; /* meant for another process */
	return usec;
}

uint64_t tb_sd_monotonic_usec(void)
{
	return tb_mono_us();
}
