/* lifecycle.c: systemd notifications and the drain on SIGTERM (see
 * lifecycle.h for the order of things). */
#include "app/lifecycle.h"
#include "base/clock.h"

#include "admin/admin.h"
#include "app/sdnotify.h"
#include "b2b/b2b.h"
#include "base/log.h"
#include "cfg/cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIFE_POLL_MS 50 /* how often a drain looks at the calls */
/* From the end of the drain to the end of the loop: what was written
 * last (a final answer, the 200 to a BYE) leaves, its ACK arrives. */
#define LIFE_LINGER_MS 100

enum life_phase {
	LIFE_RUN = 0,
	LIFE_DRAIN, /* calls go on until drain_timeout */
	LIFE_BYE,   /* BYE sent: waiting for the answers, bye_wait at most */
	LIFE_DONE,  /* the loop is stopping */
};

struct lifecycle {
	struct lifecycle_env env;
	enum life_phase phase;
	struct event *watchdog; /* WATCHDOG=1 every half interval */
	struct event *drain;    /* drain_timeout */
	struct event *poll;     /* LIFE_POLL_MS while draining */
	uint64_t wait_until;    /* monotonic ms: stop waiting for BYEs */
	uint64_t last_active;   /* calls in STATUS= last time */
	uint32_t drain_ms, bye_wait_ms, retry_s;
};

static struct timeval tv_ms(uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000),
	                     (suseconds_t)(ms % 1000) * 1000};
	return tv;
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	tb_sd_notify("WATCHDOG=1\n");
}

struct lifecycle *lifecycle_new(const struct lifecycle_env *env)
{
	struct lifecycle *lc = calloc(1, sizeof(*lc));
	uint64_t wd = tb_sd_watchdog_usec();

	if (!lc)
		return NULL;
	lc->env = *env;
	if (wd) {
		lc->watchdog =
		        event_new(env->base, -1, EV_PERSIST, on_watchdog, lc);
		struct timeval tv = {(time_t)(wd / 2 / 1000000),
		                     (suseconds_t)(wd / 2 % 1000000)};
		if (!lc->watchdog || event_add(lc->watchdog, &tv) != 0) {
			tb_log("error", "watchdog_failed",
			       "reason=\"cannot start the watchdog timer\"");
		} else {
			tb_log("info", "watchdog", "interval_ms=%llu",
			       (unsigned long long)(wd / 1000));
			tb_sd_notify("WATCHDOG=1\n");
		}
	}
	return lc;
}

void lifecycle_free(struct lifecycle *lc)
{
	if (!lc)
		return;
	if (lc->watchdog)
		event_free(lc->watchdog);
	if (lc->drain)
		event_free(lc->drain);
	if (lc->poll)
		event_free(lc->poll);
	free(lc);
}

void lifecycle_ready(struct lifecycle *lc, const char *status)
{
	(void)lc;
	tb_sd_notifyf("READY=1\nSTATUS=%s\n", status);
}

void lifecycle_reloading(struct lifecycle *lc)
{
	(void)lc;
	tb_sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu\n",
	              (unsigned long long)tb_sd_monotonic_usec());
}

void lifecycle_reloaded(struct lifecycle *lc, const char *status)
{
	if (lc && lc->phase != LIFE_RUN)
		tb_sd_notifyf("READY=1\nSTATUS=%s (draining)\n", status);
	else
		tb_sd_notifyf("READY=1\nSTATUS=%s\n", status);
}

bool lifecycle_draining(const struct lifecycle *lc, uint32_t *retry_after_s)
{
	if (!lc || lc->phase == LIFE_RUN)
		return false;
	if (retry_after_s)
		*retry_after_s = lc->retry_s;
	return true;
}

static uint64_t active_calls(const struct lifecycle *lc)
{
	return b2b_stats(lc->env.b2b)->active;
}

static void finish(struct lifecycle *lc, const char *why, bool now)
{
	struct timeval linger = tv_ms(LIFE_LINGER_MS);

	if (lc->phase == LIFE_DONE && !now)
		return;
	lc->phase = LIFE_DONE;
	if (lc->poll)
		event_del(lc->poll);
	if (lc->drain)
		event_del(lc->drain);
	tb_log("info", "drained", "calls=%llu reason=\"%s\"",
	       (unsigned long long)active_calls(lc), why);
	tb_sd_notify("STATUS=stopped\n");
	event_base_loopexit(lc->env.base, now ? NULL : &linger);
}

/* Is there anything left to wait for? */
static void check(struct lifecycle *lc)
{
	uint64_t active = active_calls(lc), now = tb_mono_ms();

	if (lc->phase != LIFE_DRAIN && lc->phase != LIFE_BYE)
		return;
	if (active != lc->last_active) {
		lc->last_active = active;
		tb_sd_notifyf("STATUS=draining: %llu calls in progress\n",
		              (unsigned long long)active);
	}
	if (active > 0 && lc->phase == LIFE_DRAIN)
		return;
	if (b2b_idle(lc->env.b2b)) {
		finish(lc,
		       lc->phase == LIFE_BYE ? "every call ended by trunkbridge"
		                             : "every call ended",
		       false);
		return;
	}
	/* calls over; BYEs (or a CANCEL) still unanswered: bye_wait */
	if (!lc->wait_until)
		lc->wait_until = now + lc->bye_wait_ms;
	if (now >= lc->wait_until)
		finish(lc, "bye_wait passed with BYEs unanswered", false);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	check(arg);
}

/* The end of the drain: every call left ends now. */
static void bye_now(struct lifecycle *lc, const char *why)
{
	uint64_t left = active_calls(lc);

	lc->phase = LIFE_BYE;
	if (lc->drain)
		event_del(lc->drain);
	size_t n = b2b_bye_all(lc->env.b2b, LIFE_BYE_REASON);
	tb_log(n ? "warn" : "info", "drain_bye",
	       "calls=%zu active=%llu bye_wait_ms=%u reason=\"%s\"", n,
	       (unsigned long long)left, (unsigned)lc->bye_wait_ms, why);
	lc->wait_until = tb_mono_ms() + lc->bye_wait_ms;
	check(lc);
}

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct lifecycle *lc = arg;

	(void)fd;
	(void)what;
	if (lc->phase == LIFE_DRAIN)
		bye_now(lc, "drain_timeout passed");
}

void lifecycle_stop(struct lifecycle *lc, int sig)
{
	const struct cfg_shutdown *sh = &(*lc->env.cfg)->shutdown;

	if (lc->phase == LIFE_DRAIN) {
		tb_log("warn", "drain_forced", "signal=%d calls=%llu", sig,
		       (unsigned long long)active_calls(lc));
		bye_now(lc, "second stop signal");
		return;
	}
	if (lc->phase != LIFE_RUN) {
		tb_log("warn", "drain_abandoned", "signal=%d calls=%llu", sig,
		       (unsigned long long)active_calls(lc));
		finish(lc, "third stop signal", true);
		return;
	}
	lc->phase = LIFE_DRAIN;
	lc->drain_ms = sh->drain_timeout_ms;
	lc->bye_wait_ms = sh->bye_wait_ms;
	lc->retry_s = sh->retry_after_s;
	lc->last_active = active_calls(lc);
	tb_log("info", "draining",
	       "signal=%d calls=%llu drain_timeout_ms=%u bye_wait_ms=%u "
	       "retry_after_s=%u",
	       sig, (unsigned long long)lc->last_active, (unsigned)lc->drain_ms,
	       (unsigned)lc->bye_wait_ms, (unsigned)lc->retry_s);
	tb_sd_notifyf("STOPPING=1\nSTATUS=draining: %llu calls in progress\n",
	              (unsigned long long)lc->last_active);
	admin_set_draining(lc->env.admin ? *lc->env.admin : NULL, true);
	b2b_set_draining(lc->env.b2b, lc->retry_s);
	lc->poll = event_new(lc->env.base, -1, EV_PERSIST, on_poll, lc);
	struct timeval pt = tv_ms(LIFE_POLL_MS);
	if (!lc->poll || event_add(lc->poll, &pt) != 0) {
		/* b2b_shutdown ends the calls */
		finish(lc, "out of memory", true);
		return;
	}
	if (lc->drain_ms == 0 && lc->last_active) {
		bye_now(lc, "drain_timeout is 0");
		return;
	}
	lc->drain = evtimer_new(lc->env.base, on_drain_timeout, lc);
	struct timeval dt = tv_ms(lc->drain_ms);
	if (!lc->drain || evtimer_add(lc->drain, &dt) != 0) {
		bye_now(lc, "out of memory");
		return;
	}
	check(lc);
}
