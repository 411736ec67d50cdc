/* lifecycle.h: the running element's life after start: systemd
 * notifications (READY, RELOADING, STOPPING, STATUS, the watchdog) and
 * the drain on SIGTERM/SIGINT (docs/operations.md):
 *
 *   first signal: event=draining; STOPPING=1; /health 503; new INVITEs
 *     and OPTIONS to us 503 with Retry-After; calls in progress go on;
 *     the last one ending stops the loop at once.
 *   shutdown.drain_timeout later, or at a second signal: every call left
 *     ends with BYE on both legs (Reason: SIP;cause=503;...) and its CDR
 *     row; the loop stops once those BYEs are answered, at most
 *     shutdown.bye_wait later.
 *   a third signal: the loop stops at once.
 *
 * One event loop, no locking. */
#ifndef TB_APP_LIFECYCLE_H
#define TB_APP_LIFECYCLE_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

struct admin;
struct b2b;
struct tb_config;
struct lifecycle;

/* The Reason of the BYEs at the end of a drain. */
#define LIFE_BYE_REASON "SIP;cause=503;text=\"trunkbridge shutting down\""

struct lifecycle_env {
	struct event_base *base;
	struct b2b *b2b;
	/* the running element's endpoint (*admin NULL: none; a reload may
	 * replace it) */
	struct admin *const *admin;
	struct tb_config **cfg; /* the running generation (its shutdown:) */
};

/* Starts the watchdog timer when systemd asks for one. NULL: no memory. */
struct lifecycle *lifecycle_new(const struct lifecycle_env *env);
void lifecycle_free(struct lifecycle *lc);

/* READY=1 with STATUS=status. */
void lifecycle_ready(struct lifecycle *lc, const char *status);
/* SIGHUP: RELOADING=1 (with MONOTONIC_USEC) before the reload, READY=1
 * with STATUS=status after it (taken or refused: the service runs). */
void lifecycle_reloading(struct lifecycle *lc);
void lifecycle_reloaded(struct lifecycle *lc, const char *status);
/* SIGTERM or SIGINT (see the head of this file). */
void lifecycle_stop(struct lifecycle *lc, int sig);
/* Draining: OPTIONS to us get 503 with Retry-After *retry_after_s. */
bool lifecycle_draining(const struct lifecycle *lc, uint32_t *retry_after_s);

#endif
