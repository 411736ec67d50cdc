/* cfg_life.c: the shutdown section: how a stop (SIGTERM/SIGINT) drains
 * the calls in progress (docs/operations.md).
 *
 *   shutdown: { drain_timeout: 30s, bye_wait: 2s, retry_after: 30s }
 *
 * drain_timeout: how long calls in progress may go on after the first
 * SIGTERM before trunkbridge ends them with BYE (0s: at once); bye_wait:
 * how long it then waits for the answers to those BYEs; retry_after: the
 * Retry-After of the 503 new INVITEs and OPTIONS get while draining. No
 * section: the defaults.
 */
#include "cfg/cfg_int.h"

#include <string.h>

enum { S_DRAIN_TIMEOUT, S_BYE_WAIT, S_RETRY_AFTER, S_COUNT };
static const char *const shutdown_keys[S_COUNT] = {"drain_timeout", "bye_wait",
                                                   "retry_after"};

#define SHUTDOWN_DRAIN_MAX_MS 3600000u /* 1h */
#define SHUTDOWN_BYE_WAIT_MAX 30000u   /* 30s */
#define SHUTDOWN_RETRY_MAX_MS 3600000u /* 1h */

void cfg_parse_shutdown(struct cfg_ctx *c, const struct cfg_val *v)
{
	struct cfg_shutdown *s = &c->cfg->shutdown;
	s->drain_timeout_ms = 30000;
	s->bye_wait_ms = 2000;
	s->retry_after_s = 30;
	if (!v->node)
		return;
	struct cfg_val k[S_COUNT];
	if (!cfg_map(c, v, shutdown_keys, S_COUNT, NULL, 0, k))
		return;
	if (k[S_DRAIN_TIMEOUT].node)
		cfg_get_duration(c, &k[S_DRAIN_TIMEOUT], 0,
		                 SHUTDOWN_DRAIN_MAX_MS, &s->drain_timeout_ms);
	if (k[S_BYE_WAIT].node)
		cfg_get_duration(c, &k[S_BYE_WAIT], 0, SHUTDOWN_BYE_WAIT_MAX,
		                 &s->bye_wait_ms);
	if (k[S_RETRY_AFTER].node) {
		uint32_t ms = 0;
		if (cfg_get_duration(c, &k[S_RETRY_AFTER], 1000,
		                     SHUTDOWN_RETRY_MAX_MS, &ms)) {
			if (ms % 1000)
				cfg_warn(c, k[S_RETRY_AFTER].pos,
				         k[S_RETRY_AFTER].path,
				         "write whole seconds, e.g. 30s",
				         "Retry-After carries whole seconds; "
				         "%lums is rounded up",
				         (unsigned long)ms);
			s->retry_after_s = (ms + 999) / 1000;
		}
	}
}
