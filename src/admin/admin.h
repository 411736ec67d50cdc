/* admin.h: the admin HTTP endpoint (libevent evhttp) on the running
 * element's loop: GET /health, /status, /calls (JSON) and /metrics
 * (Prometheus text format 0.0.4); docs/admin.md has the fields.
 *
 * Read-only: every answer is built from the running element's state at
 * the time of the request (the config generation, the pingers' health,
 * the B2BUA's counters and calls, the media relay); nothing is cached.
 * When the config has admin.token, every path but /health needs
 * "Authorization: Bearer <token>" (401 with WWW-Authenticate otherwise).
 * Bounded: GET only (others 501 from evhttp), 8 KiB of headers, no body,
 * 10 s per connection, /calls lists at most ADMIN_MAX_CALLS calls.
 *
 * Threading: belongs to one event loop, like everything it reads.
 */
#ifndef TB_ADMIN_ADMIN_H
#define TB_ADMIN_ADMIN_H

#include "cfg/cfg.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADMIN_MAX_CALLS 1000

struct admin;
struct b2b;
struct pinger;
struct tp_layer;
struct trace;

/* What the endpoint reads, through pointers into the running element
 * (a reload replaces the generation and the pingers in place). */
struct admin_env {
	struct event_base *base;
	const char *version;
	const char *config_path;
	struct tb_config *const *cfg;  /* the running generation */
	struct pinger *const *pingers; /* pingers[i]: trunk i of *cfg */
	size_t n_pingers;              /* slots of pingers */
	const struct b2b *b2b;         /* may be NULL */
	const struct tp_layer *tp;     /* may be NULL: SIP transport counters */
	struct trace *const *trace;    /* may be NULL; *trace NULL: no trace */
	const int64_t *loaded_wall_ms; /* when *cfg was loaded (epoch ms) */
};

/* Listens on ac's address and port. NULL with err set (bind failure,
 * out of memory). */
struct admin *admin_new(const struct admin_env *env, const struct cfg_admin *ac,
                        char *err, size_t errlen);
/* Stopping: /health answers 503 from now on. */
void admin_set_draining(struct admin *a, bool draining);
void admin_free(struct admin *a);

#endif
