/* health.c: Active/Inactive with hysteresis. */
#include "trunk/health.h"

#include <stdio.h>
#include <string.h>

bool health_record(struct server_health *s, const struct health_conf *c,
                   uint64_t now_ms, uint16_t code, const char *reason,
                   uint32_t retry_after_s, uint32_t rtt_ms)
{
	uint32_t up = c->up_after ? c->up_after : 1;
	uint32_t down = c->down_after ? c->down_after : 1;
	enum trunk_status before = s->status;
	bool first = !s->ever_checked;

	s->ever_checked = true;
	s->last_code = code;
	if (health_code_ok(code)) {
		s->ok_streak++;
		s->fail_streak = 0;
		s->last_rtt_ms = rtt_ms;
		s->hold_until_ms = 0;
		if (s->status == TRUNK_INACTIVE && s->ok_streak >= up) {
			s->status = TRUNK_ACTIVE;
			snprintf(s->reason, sizeof(s->reason), "%u answered",
			         (unsigned)code);
		}
	} else {
		char prev[sizeof(s->reason)];
		memcpy(prev, s->reason, sizeof(prev));
		s->fail_streak++;
		s->ok_streak = 0;
		if (retry_after_s)
			s->hold_until_ms =
			        now_ms + (uint64_t)retry_after_s * 1000;
		/* the reason of the latest failure, also while still Active */
		snprintf(s->reason, sizeof(s->reason), "%s",
		         reason && reason[0] ? reason : "no answer");
		if (s->status == TRUNK_ACTIVE && s->fail_streak >= down)
			s->status = TRUNK_INACTIVE;
		/* still Inactive, but for another reason: worth saying */
		else if (s->status == TRUNK_INACTIVE && !first &&
		         strcmp(prev, s->reason) != 0)
			return true;
	}
	if (s->status != before || first) {
		s->since_ms = now_ms;
		return true;
	}
	return false;
}

int health_pick(const struct server_health *s, size_t n, uint64_t now_ms)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].status == TRUNK_ACTIVE && s[i].hold_until_ms <= now_ms)
			return (int)i;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i].hold_until_ms <= now_ms)
			return (int)i;
	}
	return -1;
}

enum trunk_status health_trunk_status(const struct server_health *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].status == TRUNK_ACTIVE)
			return TRUNK_ACTIVE;
	}
	return TRUNK_INACTIVE;
}

const char *health_status_name(enum trunk_status st)
{
	return st == TRUNK_ACTIVE ? "Active" : "Inactive";
}
