/* b2b_view.c: a read-only view of the B2BUA for the admin endpoint: the
 * calls in progress (one view struct each, nothing allocated), the calls
 * per trunk, the media relay. Reads call.c's structures, never changes
 * them. */
#include "b2b/b2b_int.h"
#include "base/clock.h"
#include "media/relay.h"

#include <string.h>
#include <time.h>

static const char *state_name(enum call_state s)
{
	switch (s) {
	case CALL_ROUTING:
		return "routing";
	case CALL_CALLING:
		return "calling";
	case CALL_ANSWERED:
		return "answered";
	case CALL_ENDED:
		break;
	}
	return "ended";
}

static const char *trunk_name(const struct b2b *b, int use, const struct leg *l)
{
	if (use >= 0 && (size_t)use < b->n_use)
		return b->use[use].name;
	if (l && l->trunk && l->trunk->name)
		return l->trunk->name;
	return "";
}

static void leg_view(const struct leg *l, struct b2b_leg_view *v)
{
	struct mep_stats st;

	memset(v, 0, sizeof(*v));
	if (!l || !l->md)
		return;
	b2b_media_stats(l, &st);
	v->media = true;
	v->rx_packets = st.rx_packets;
	v->rx_bytes = st.rx_bytes;
	v->tx_packets = st.tx_packets;
	v->tx_bytes = st.tx_bytes;
	v->lost = st.lost;
	for (int i = 0; i < MEP_DROP_COUNT; i++)
		v->dropped += st.drops[i];
}

size_t b2b_calls_visit(const struct b2b *b, size_t max, b2b_call_visit_h *visit,
                       void *arg, bool *more)
{
	size_t n = 0;

	if (more)
		*more = false;
	if (!b)
		return 0;
	for (const struct call *c = b->calls; c; c = c->next) {
		if (c->state == CALL_ENDED)
			continue;
		if (n >= max) {
			if (more)
				*more = true;
			break;
		}
		struct b2b_call_view v;
		memset(&v, 0, sizeof(v));
		v.id = c->id;
		v.in_trunk = trunk_name(b, c->in_use, c->a);
		v.out_trunk = trunk_name(b, c->out_use, c->bl);
		v.calling = c->calling;
		v.called = c->called;
		v.state = state_name(c->state);
		v.start_ms = c->start_ms;
		v.answer_ms = c->state == CALL_ANSWERED ? c->answer_ms : 0;
		leg_view(c->a, &v.in);
		leg_view(c->bl, &v.out);
		visit(arg, &v);
		n++;
	}
	return n;
}

uint32_t b2b_trunk_calls(const struct b2b *b, const char *name)
{
	if (!b || !name)
		return 0;
	for (size_t i = 0; i < b->n_use && i < B2B_MAX_TRUNK; i++) {
		if (strcmp(b->use[i].name, name) == 0)
			return b->use[i].active;
	}
	return 0;
}

const struct media_engine *b2b_media_engine(const struct b2b *b)
{
	return b ? b->media : NULL;
}

bool b2b_trunk_outcomes(const struct b2b *b, const char *name,
                        struct b2b_trunk_outcomes *o)
{
	memset(o, 0, sizeof(*o));
	if (!b || !name)
		return false;
	for (size_t i = 0; i < b->n_use && i < B2B_MAX_TRUNK; i++) {
		const struct trunk_use *u = &b->use[i];
		if (strcmp(u->name, name))
			continue;
		o->in_answered = u->in_answered;
		o->in_failed = u->in_failed;
		o->out_answered = u->out_answered;
		o->out_failed = u->out_failed;
		return true;
	}
	return false;
}

void b2b_rate_count(struct b2b *b)
{
	uint64_t now = tb_mono_ms() / 1000u;
	size_t k = (size_t)(now % B2B_RATE_SECS);

	if (b->rate.sec[k] != now) {
		b->rate.sec[k] = now;
		b->rate.n[k] = 0;
	}
	b->rate.n[k]++;
}

double b2b_call_rate(const struct b2b *b, unsigned *window_s)
{
	uint64_t now = tb_mono_ms() / 1000u, sum = 0;

	*window_s = B2B_RATE_SECS;
	if (!b)
		return 0.0;
	/* buckets of the last B2B_RATE_SECS whole seconds and this one */
	for (size_t k = 0; k < B2B_RATE_SECS; k++) {
		if (b->rate.sec[k] + B2B_RATE_SECS > now)
			sum += b->rate.n[k];
	}
	return (double)sum / (double)B2B_RATE_SECS;
}
