/* health.h: a trunk's servers, Active or Inactive, from OPTIONS pings.
 *
 * Pure state: the pinger records each ping's outcome, this decides the
 * status with hysteresis (up_after successes / down_after failures in a
 * row), remembers since when and why, honours Retry-After, and picks the
 * server a new request goes to (in order: sip, sip2, sip3).
 */
#ifndef TB_TRUNK_HEALTH_H
#define TB_TRUNK_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum trunk_status { TRUNK_INACTIVE = 0, TRUNK_ACTIVE };

struct health_conf {
	uint32_t up_after;   /* successes in a row to turn Active (>= 1) */
	uint32_t down_after; /* failures in a row to turn Inactive (>= 1) */
};

struct server_health {
	enum trunk_status status;
	uint64_t since_ms; /* when status last changed */
	char reason[320];  /* why Inactive (or "" / the last answer) */
	uint32_t ok_streak, fail_streak;
	uint64_t hold_until_ms; /* Retry-After: not tried before this */
	uint16_t last_code;     /* last final status (0: none/transport) */
	uint32_t last_rtt_ms;
	bool ever_checked;
};

/* The outcome of one ping: code is the final status (0 when there was
 * no answer: transport or TLS failure, the reason says which); reason is
 * our words for a failure. retry_after_s from a 503's Retry-After.
 * Returns true when the status changed, on the first check, and when an
 * Inactive server fails for another reason than before. */
bool health_record(struct server_health *s, const struct health_conf *c,
                   uint64_t now_ms, uint16_t code, const char *reason,
                   uint32_t retry_after_s, uint32_t rtt_ms);

/* Is a final response to OPTIONS a success? 2xx only: ACS answers 200,
 * and a 403 means it does not know our FQDN (interop.md F2/F7). */
static inline bool health_code_ok(uint16_t code)
{
	return code >= 200 && code < 300;
}

/* The first server to try, in order: an Active one not on hold, else the
 * first not on hold (try it anyway), else -1. */
int health_pick(const struct server_health *s, size_t n, uint64_t now_ms);

/* A trunk is Active when one of its servers is. */
enum trunk_status health_trunk_status(const struct server_health *s, size_t n);

const char *health_status_name(enum trunk_status st);

#endif
