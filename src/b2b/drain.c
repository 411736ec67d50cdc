/* drain.c: the B2BUA's side of a stop (SIGTERM; the order of things is
 * src/app/lifecycle.c's, the rules docs/operations.md's).
 *
 * While draining, a new INVITE gets 503 with Retry-After (the clouds
 * retry on another SBC) and calls in progress go on. At the end of the
 * drain every call left ends: BYE on both legs of an answered call with
 * a Reason, CANCEL and 503 for one still ringing; each writes its CDR row
 * at once. The BYEs trunkbridge sends are counted until answered (or
 * timed out), so the stop can wait for them a bounded time. */
#include "b2b/b2b_int.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void b2b_set_draining(struct b2b *b, uint32_t retry_after_s)
{
	b->draining = true;
	b->drain_retry_s = retry_after_s ? retry_after_s : 1;
}

void b2b_bye_done(void *arg, struct sip_tx *tx, uint16_t status,
                  const struct sip_msg *resp)
{
	struct b2b *b = arg;

	(void)tx;
	(void)resp;
	if (status >= 200 && b->byes_out)
		b->byes_out--;
}

bool b2b_idle(const struct b2b *b)
{
	return !b->calls && b->byes_out == 0;
}

void b2b_drain_refuse(struct b2b *b, struct sip_tx *tx, const struct sip_msg *m)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", (unsigned)b->drain_retry_s);
	b2b_reply(b, tx, m, 503, "Retry-After", v);
	b->st.refused_draining++;
	tb_log("info", "call_refused",
	       "in_call_id=%.*s status=503 retry_after=%s reason=\"draining: "
	       "trunkbridge is stopping\"",
	       (int)(m->call_id.l > 200 ? 200 : m->call_id.l), m->call_id.p, v);
}

/* End call c now (it is not ended). */
static void stop_call(struct call *c, const char *reason, const char *ra)
{
	if (c->state == CALL_ANSWERED) {
		b2b_send_bye(c, c->a, NULL, reason);
		b2b_send_bye(c, c->bl, NULL, reason);
		c->a->gone = c->bl->gone = true;
		snprintf(c->reason, sizeof(c->reason), "%s", reason);
		b2b_finish(c, 200, CDR_HANGUP_TRUNKBRIDGE, NULL);
		return;
	}
	/* routing or ringing: the called side is cancelled, the caller
	 * told to try again elsewhere */
	c->cancelled = true;
	if (c->binv_tx && c->binv_open)
		sip_tx_cancel(c->binv_tx);
	if (c->ainv) {
		b2b_invite_answer(c, c->a, c->ainv_tx, c->ainv, c->ainv_len,
		                  503, PL_NULL, NULL, false, "Retry-After", ra);
		free(c->ainv);
		c->ainv = NULL;
		c->ainv_len = 0;
	}
	b2b_finish(c, 503, CDR_HANGUP_TRUNKBRIDGE, reason);
}

size_t b2b_bye_all(struct b2b *b, const char *reason)
{
	struct call *c, *next;
	size_t n = 0;
	char ra[16];

	snprintf(ra, sizeof(ra), "%u",
	         (unsigned)(b->drain_retry_s ? b->drain_retry_s : 30));
	for (c = b->calls; c; c = next) {
		next = c->next;
		if (c->state == CALL_ENDED)
			continue;
		n++;
		c->pending++; /* c stays while it is ended */
		stop_call(c, reason, ra);
		b2b_call_unpend(c);
	}
	b2b_after(b);
	return n;
}
