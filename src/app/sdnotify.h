/* sdnotify.h: the systemd notification protocol (sd_notify(3)), written
 * directly: one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a
 * path, or an abstract name written with a leading '@'). No libsystemd.
 * Without $NOTIFY_SOCKET every call does nothing. */
#ifndef TB_APP_SDNOTIFY_H
#define TB_APP_SDNOTIFY_H

#include <stdint.h>

/* Send state (newline-separated assignments: "READY=1\nSTATUS=..."): 1
 * sent, 0 no $NOTIFY_SOCKET, -1 it could not be sent. */
int tb_sd_notify(const char *state);

/* printf-style tb_sd_notify (at most 512 bytes). */
int tb_sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog interval systemd asks for ($WATCHDOG_USEC, when
 * $WATCHDOG_PID is unset or is this process), in microseconds; 0: no
 * watchdog. A value out of 1 ms - 24 h is ignored (0). */
uint64_t tb_sd_watchdog_usec(void);

/* CLOCK_MONOTONIC in microseconds (RELOADING=1's MONOTONIC_USEC). */
uint64_t tb_sd_monotonic_usec(void);

#endif
