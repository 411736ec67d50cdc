/* call.c: a call's life: the INVITE in, the checks, the route, the
 * INVITE out with failover over the trunk's servers, provisional and
 * final responses, CANCEL, BYE, in-dialog requests relayed, timers, and
 * the CDR row at the end. See b2b.h for the rules and docs/calls.md for
 * the flows. */
#include "b2b/b2b_int.h"
#include "b2b/route.h"
#include "base/log.h"
#include "trunk/options.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void start_attempt(struct call *c);
static void relay_free(struct call *c, struct relay *r);

/* ---- lifetime ---- */

/* Let go of every transaction the call holds (their handlers first). */
static void drop_transactions(struct call *c)
{
	while (c->relays)
		relay_free(c, c->relays);
	b2b_xfer_free(c);
	struct sip_tx **txs[2] = {&c->binv_tx, &c->ainv_tx};
	for (int i = 0; i < 2; i++) {
		if (*txs[i]) {
			sip_tx_set_handler(*txs[i], NULL, NULL);
			sip_tx_release(*txs[i]);
			*txs[i] = NULL;
		}
	}
}

static void call_free(struct call *c)
{
	struct b2b *b = c->b;

	if (c->prev)
		c->prev->next = c->next;
	else if (b->calls == c)
		b->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	for (struct leg *l = c->legs; l; l = l->lnext)
		b2b_hash_del(b, l);
	drop_transactions(c);
	if (c->dial_timer)
		event_free(c->dial_timer);
	if (c->se_timer)
		event_free(c->se_timer);
	if (c->media_timer)
		event_free(c->media_timer);
	if (c->ack_timer)
		event_free(c->ack_timer);
	if (c->retire_timer)
		event_free(c->retire_timer);
	free(c->xfer_from);
	free(c->xfer_to);
	free(c->diversion);
	while (c->legs) {
		struct leg *l = c->legs;
		c->legs = l->lnext;
		b2b_leg_clear(l);
		free(l);
	}
	free(c->ainv);
	cfg_free(c->cfg);
	free(c);
}

void b2b_check_free(struct call *c)
{
	if (c->state == CALL_ENDED && c->pending == 0 && !c->binv_open &&
	    !c->relays && !c->xf)
		call_free(c);
}

void b2b_call_unpend(struct call *c)
{
	c->pending--;
	b2b_check_free(c);
}

void b2b_call_end_all(struct b2b *b, bool force)
{
	struct call *c = b->calls, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->state != CALL_ENDED)
			b2b_finish(c, c->state == CALL_ANSWERED ? 200 : 503,
			           CDR_HANGUP_TRUNKBRIDGE,
			           "trunkbridge stopped");
		c->binv_open = false;
		drop_transactions(c); /* before the layer goes */
		if (force || c->pending == 0)
			call_free(c);
	}
}

/* ---- counters per trunk ---- */

int b2b_use_of(struct b2b *b, const char *name)
{
	for (size_t i = 0; i < b->n_use; i++) {
		if (strcmp(b->use[i].name, name) == 0)
			return (int)i;
	}
	if (b->n_use >= B2B_MAX_TRUNK)
		return -1;
	snprintf(b->use[b->n_use].name, sizeof(b->use[0].name), "%s", name);
	return (int)b->n_use++;
}

/* 0 when trunk t may take one more call now, else the seconds to put in
 * Retry-After. */
static uint32_t over_limit(struct b2b *b, const struct cfg_trunk *t, int u,
                           uint64_t now, const char **why)
{
	struct trunk_use *tu = &b->use[u];

	if (t->max_calls && tu->active >= t->max_calls) {
		*why = "max_calls reached";
		return 5;
	}
	if (t->max_call_rate) {
		if (now - tu->win_start >= t->call_rate_window_ms) {
			tu->win_start = now;
			tu->win_count = 0;
		}
		if (tu->win_count >= t->max_call_rate) {
			*why = "max_call_rate reached";
			uint64_t left =
			        tu->win_start + t->call_rate_window_ms - now;
			return (uint32_t)((left + 999) / 1000);
		}
	}
	return 0;
}

/* ---- leg A: answers to the INVITE ---- */

/* An answer to leg A's INVITE: status, reason (empty: the RFC phrase),
 * the headers and body of resp (the far leg's answer) that cross. */
static void a_respond(struct call *c, uint16_t status, struct pl reason,
                      const struct sip_msg *resp, bool reliable,
                      const char *xname, const char *xvalue)
{
	b2b_invite_answer(c, c->a, c->ainv_tx, c->ainv, c->ainv_len, status,
	                  reason, resp, reliable, xname, xvalue);
}

/* The final answer to A ends the INVITE; A's copy is no longer needed. */
static void a_final(struct call *c, uint16_t status, struct pl reason,
                    const struct sip_msg *resp, const char *xname,
                    const char *xvalue)
{
	a_respond(c, status, reason, resp, false, xname, xvalue);
	free(c->ainv);
	c->ainv = NULL;
	c->ainv_len = 0;
}

/* ---- the caller's ACK ---- */

/* RFC 3261 13.3.1.4: a 2xx not ACKed within 64*T1 ends the session. The
 * transaction layer hands the ACK of a 2xx to us (RFC 6026 7.1): it
 * arrives in b2b.c, which calls b2b_call_acked. Over every transport:
 * over TLS a caller whose ACK cannot reach us (a Contact it cannot
 * route, interop F8) would otherwise hold the call up forever. */
static void on_no_ack(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	const char *why = "SIP;cause=408;text=\"no ACK for the 2xx\"";

	(void)fd;
	(void)what;
	if (c->state != CALL_ANSWERED || c->a_acked)
		return;
	tb_log("warn", "call_no_ack", "call=%s in_trunk=%s waited_ms=%u", c->id,
	       c->a->trunk->name, (unsigned)(64 * c->cfg->timers.t1_ms));
	b2b_send_bye(c, c->a, NULL, why);
	b2b_send_bye(c, c->bl, NULL, why);
	c->a->gone = c->bl->gone = true;
	snprintf(c->reason, sizeof(c->reason),
	         "no ACK from the caller for the 2xx within %ums (RFC 3261 "
	         "13.3.1.4)",
	         (unsigned)(64 * c->cfg->timers.t1_ms));
	b2b_finish(c, 200, CDR_HANGUP_TRUNKBRIDGE, NULL);
	b2b_after(c->b);
	b2b_check_free(c);
}

static void ack_guard(struct call *c)
{
	uint32_t ms = 64 * c->cfg->timers.t1_ms;
	struct timeval tv = {(time_t)(ms / 1000),
	                     (suseconds_t)((ms % 1000) * 1000)};

	if (c->a_acked)
		return;
	if (!c->ack_timer)
		c->ack_timer = evtimer_new(c->b->env.base, on_no_ack, c);
	if (c->ack_timer)
		evtimer_add(c->ack_timer, &tv);
}

void b2b_call_acked(struct leg *l)
{
	struct call *c = l->c;

	if (l != c->a || c->a_acked)
		return;
	c->a_acked = true;
	if (c->ack_timer)
		event_del(c->ack_timer);
}

/* ---- the end ---- */

void b2b_write_cdr(struct call *c)
{
	struct cdr_record r;
	struct b2b *b = c->b;

	if (c->cdr_done || !b->env.cdr)
		return;
	c->cdr_done = true;
	memset(&r, 0, sizeof(r));
	r.call_id = c->id;
	r.in_trunk = c->a->trunk ? c->a->trunk->name : NULL;
	r.out_trunk = c->bl->trunk ? c->bl->trunk->name : NULL;
	r.in_call_id = c->a->call_id;
	r.out_call_id = c->bl->call_id;
	r.in_calling = c->in_calling;
	r.in_called = c->in_called;
	r.out_calling = c->out_calling;
	r.out_called = c->out_called;
	r.start_ms = c->start_ms;
	r.answer_ms = c->answer_ms;
	r.end_ms = c->end_ms;
	r.duration_ms = cdr_duration_ms(c->answer_ms, c->end_ms);
	r.final_status = c->final_status;
	r.reason = c->reason;
	r.hangup_by = c->hangup_by;
	r.failover_attempts = c->attempts > 0 ? c->attempts - 1 : 0;
	r.answered_by = c->answered_by;
	r.transferred_from = c->xfer_from;
	r.transferred_to = c->xfer_to;
	r.diversion = c->diversion;
	char media[1024];
	r.media = b2b_media_cdr(c, media, sizeof(media));
	if (cdr_store_write(b->env.cdr, &r) == 0) {
		b->st.cdr_written++;
	} else {
		b->st.cdr_failed++;
		tb_log("error", "cdr_write_failed", "call=%s reason=\"%s\"",
		       c->id, cdr_store_last_error(b->env.cdr));
	}
}

/* The call's outcome on its trunks (before it is marked ended). */
static void count_outcome(struct call *c)
{
	struct b2b *b = c->b;
	bool ok = c->state == CALL_ANSWERED;
	int iu = c->in_use >= 0 ? c->in_use
	                        : (c->a && c->a->trunk
	                                   ? b2b_use_of(b, c->a->trunk->name)
	                                   : -1);

	if (iu >= 0) {
		if (ok)
			b->use[iu].in_answered++;
		else
			b->use[iu].in_failed++;
	}
	if (c->out_use >= 0) {
		if (ok)
			b->use[c->out_use].out_answered++;
		else
			b->use[c->out_use].out_failed++;
	}
}

void b2b_finish(struct call *c, int status, enum cdr_hangup by,
                const char *reason)
{
	struct b2b *b = c->b;

	if (c->state == CALL_ENDED)
		return;
	if (c->state != CALL_ANSWERED)
		b->st.failed++;
	count_outcome(c);
	c->state = CALL_ENDED;
	c->end_ms = (int64_t)b2b_wall_ms();
	c->final_status = status;
	c->hangup_by = by;
	if (reason && reason[0] && !c->reason[0])
		snprintf(c->reason, sizeof(c->reason), "%s", reason);
	if (c->dial_timer)
		event_del(c->dial_timer);
	if (c->se_timer)
		event_del(c->se_timer);
	if (c->ack_timer)
		event_del(c->ack_timer);
	if (c->retire_timer)
		event_del(c->retire_timer);
	b2b_xfer_abort(c);
	for (struct leg *l = c->legs; l; l = l->lnext) {
		if (l->retired && !l->gone) {
			b2b_send_bye(c, l, NULL, NULL);
			l->gone = true;
		}
	}
	if (c->in_use >= 0 && b->use[c->in_use].active)
		b->use[c->in_use].active--;
	if (c->out_use >= 0 && b->use[c->out_use].active)
		b->use[c->out_use].active--;
	if (b->st.active)
		b->st.active--;
	b2b_write_cdr(c);
	b2b_media_end(c);
	tb_log("info", "call_end",
	       "call=%s in_trunk=%s out_trunk=%s status=%d hangup_by=%s "
	       "duration_ms=%lld failover_attempts=%d reason=\"%s\"",
	       c->id, c->a->trunk ? c->a->trunk->name : "-",
	       c->bl->trunk ? c->bl->trunk->name : "-", status,
	       cdr_hangup_name(by),
	       (long long)cdr_duration_ms(c->answer_ms, c->end_ms),
	       c->attempts > 0 ? c->attempts - 1 : 0, c->reason);
}

/* Fail the call toward A before an answer. */
static void fail(struct call *c, uint16_t status, struct pl reason,
                 const struct sip_msg *resp, const char *why, const char *xname,
                 const char *xvalue)
{
	a_final(c, status, reason, resp, xname, xvalue);
	if (resp) {
		const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_REASON);
		if (h && h->value.l < sizeof(c->reason))
			snprintf(c->reason, sizeof(c->reason), "%.*s",
			         (int)h->value.l, h->value.p);
	}
	b2b_finish(c, status, CDR_HANGUP_NONE, why);
}

/* BYE on a leg whose dialog is confirmed (fire and forget). */
void b2b_send_bye(struct call *c, struct leg *l, const struct sip_msg *orig,
                  const char *reason)
{
	char *out;
	struct pl extra = PL_NULL;
	char xr[160];

	if (!l->rtag || !l->target || l->gone || c->b->closing)
		return;
	out = c->b->msg;
	if (reason) {
		int n = snprintf(xr, sizeof(xr), "Reason: %s\r\n", reason);
		if (n > 0 && (size_t)n < sizeof(xr))
			extra = pl_make(xr, (size_t)n);
	}
	size_t n = b2b_build_request(c->b, l, PL("BYE"), ++l->lcseq, orig,
	                             extra, PL_NULL, PL_NULL, out, B2B_MSG_MAX);
	/* its answer is counted: a drain waits for it (drain.c) */
	if (n && b2b_leg_send(l, out, n, false, b2b_bye_done, c->b, NULL) == 0)
		c->b->byes_out++;
}

/* ---- timers ---- */

static void on_dial_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;

	(void)fd;
	(void)what;
	if (c->state != CALL_CALLING && c->state != CALL_ROUTING)
		return;
	tb_log("info", "call_dial_timeout", "call=%s timeout_ms=%u", c->id,
	       (unsigned)c->bl->trunk->dial_timeout_ms);
	c->cancelled = true;
	if (c->binv_tx && c->binv_open)
		sip_tx_cancel(c->binv_tx);
	a_final(c, 408, PL_NULL, NULL, NULL, NULL);
	b2b_finish(c, 408, CDR_HANGUP_TRUNKBRIDGE, "dial timeout");
	b2b_after(c->b);
	b2b_check_free(c);
}

static void on_session_expired(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	const char *why = "SIP;cause=408;text=\"session timer expired\"";

	(void)fd;
	(void)what;
	if (c->state != CALL_ANSWERED)
		return;
	tb_log("info", "call_session_expired", "call=%s interval_s=%u", c->id,
	       (unsigned)c->se_s);
	b2b_send_bye(c, c->a, NULL, why);
	b2b_send_bye(c, c->bl, NULL, why);
	snprintf(c->reason, sizeof(c->reason), "%s", why);
	b2b_finish(c, 200, CDR_HANGUP_TRUNKBRIDGE, NULL);
	b2b_after(c->b);
	b2b_check_free(c);
}

/* RFC 4028: the session interval of a 2xx; the call ends when it passes
 * without a refresh (any 2xx to a re-INVITE or UPDATE). */
void b2b_session_timer(struct call *c, const struct sip_msg *resp)
{
	const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_SESSION_EXPIRES);
	struct sip_session_expires se;

	if (h && sip_session_expires_decode(&se, h->value) == 0 &&
	    se.delta >= 1)
		c->se_s = se.delta;
	if (!c->se_s)
		return;
	if (!c->se_timer)
		c->se_timer =
		        evtimer_new(c->b->env.base, on_session_expired, c);
	if (c->se_timer) {
		struct timeval tv = {(time_t)c->se_s, 0};
		evtimer_add(c->se_timer, &tv);
	}
}

/* ---- numbers ---- */

/* The number in u as received (unescaped) into raw, and as E.164 into
 * e164 ("" when it is not a number). An all-digit number of 8 or more
 * digits is taken as E.164 without its '+' (Genesys "Omit + prefix"). */
void b2b_numbers_of(const struct sip_uri *u, char *raw, size_t rawcap,
                    char *e164, size_t ecap)
{
	bool global = false, phone = false;
	long n = number_from_uri(u, raw, rawcap, &global, &phone);

	e164[0] = '\0';
	if (n < 0) {
		raw[0] = '\0';
		return;
	}
	if (!phone)
		return;
	if (number_e164(pl_make(raw, (size_t)n), NULL, e164, ecap) > 0)
		return;
	if (n >= 8 && n <= NUMBER_E164_DIGITS && raw[0] >= '1' &&
	    raw[0] <= '9') {
		for (long i = 0; i < n; i++) {
			if (raw[i] < '0' || raw[i] > '9')
				return;
		}
		snprintf(e164, ecap, "+%s", raw);
	}
}

/* ---- leg B: the INVITE out ---- */

uint8_t b2b_server_order(struct b2b *b, const struct cfg_trunk *t,
                         uint8_t *order)
{
	uint8_t n = 0;

	/* Active ones first, in order, then the others not on hold (try
	 * them anyway) */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->n_servers && i < CFG_MAX_SERVERS;
		     i++) {
			bool active = true;
			bool ok = b->env.server_ok
			                  ? b->env.server_ok(b->env.arg, t, i,
			                                     &active)
			                  : true;
			if (ok && active == (pass == 0))
				order[n++] = (uint8_t)i;
		}
	}
	return n;
}

/* Request-URI, To and target of leg l toward server s of its trunk. */
int b2b_leg_addresses(struct leg *l, size_t s, const char *called)
{
	const struct cfg_trunk *t = l->trunk;
	const struct cfg_server *sv = &t->servers[s];
	const char *tpn = t->transport == CFG_TRANSPORT_TLS   ? "tls"
	                  : t->transport == CFG_TRANSPORT_TCP ? "tcp"
	                                                      : "udp";
	char ruri[512], to[512];
	bool v6 = strchr(sv->host, ':') != NULL;
	const char *lb = v6 ? "[" : "", *rb = v6 ? "]" : "";

	if (t->profile == CFG_PROFILE_ACS) {
		snprintf(ruri, sizeof(ruri),
		         "sip:%s@%s%s%s:%u;user=phone;transport=%s", called, lb,
		         sv->host, rb, (unsigned)sv->port, tpn);
		snprintf(to, sizeof(to), "<sip:%s@%s%s%s;user=phone>", called,
		         lb, sv->host, rb);
	} else if (t->profile == CFG_PROFILE_GENESYS && t->termination_uri) {
		struct genesys_ruri g;
		memset(&g, 0, sizeof(g));
		g.method = (enum genesys_ident)t->identification;
		g.ident =
		        pl_make(t->termination_uri, strlen(t->termination_uri));
		if (t->trunk_context)
			g.trunk_context = pl_make(t->trunk_context,
			                          strlen(t->trunk_context));
		g.host = pl_make(sv->host, strlen(sv->host));
		g.port = sv->port;
		g.transport = pl_make(tpn, strlen(tpn));
		g.omit_plus = t->omit_plus_called;
		if (number_ruri_genesys(pl_make(called, strlen(called)), &g,
		                        ruri, sizeof(ruri)) < 0)
			return -1;
		const char *host = t->identification == CFG_IDENT_FQDN
		                           ? t->termination_uri
		                           : sv->host;
		snprintf(to, sizeof(to), "<sip:%s@%s%s%s>",
		         t->omit_plus_called && called[0] == '+' ? called + 1
		                                                 : called,
		         lb, host, rb);
	} else {
		const char *n = t->omit_plus_called && called[0] == '+'
		                        ? called + 1
		                        : called;
		snprintf(ruri, sizeof(ruri), "sip:%s@%s%s%s:%u;transport=%s", n,
		         lb, sv->host, rb, (unsigned)sv->port, tpn);
		snprintf(to, sizeof(to), "<sip:%s@%s%s%s>", n, lb, sv->host,
		         rb);
	}
	free(l->target);
	free(l->remote_uri);
	l->target = b2b_strdup(ruri);
	l->remote_uri = b2b_strdup(to);
	return l->target && l->remote_uri ? 0 : -1;
}

/* Request-URI and To of leg B toward server s of its trunk. */
static int b_addresses(struct call *c, size_t s, const char *called)
{
	const struct cfg_trunk *t = c->bl->trunk;

	snprintf(c->out_called, sizeof(c->out_called), "%s",
	         t->profile != CFG_PROFILE_ACS && t->omit_plus_called &&
	                         called[0] == '+'
	                 ? called + 1
	                 : called);
	return b2b_leg_addresses(c->bl, s, called);
}

static size_t build_b_invite(struct call *c, const struct sip_msg *ainv,
                             char *out, size_t cap)
{
	struct leg *l = c->bl;
	const struct cfg_trunk *t = l->trunk;
	struct sip_build bd;
	int mf = ainv->max_forwards < 0    ? 70
	         : ainv->max_forwards > 70 ? 69
	                                   : ainv->max_forwards - 1;

	sip_build_init(&bd, out, cap);
	c->binv_cseq = ++l->lcseq;
	b2b_invite_head(c, &bd, l, c->binv_cseq, mf);
	b2b_copy_headers(&bd, ainv, t, false);
	b2b_put_history(c, &bd, ainv, t, NULL, &c->diversion);
	struct pl body = ainv->body;
	if (body.l && pl_isset(ainv->content_type)) {
		sip_build_hdr(&bd, SIP_HDR_CONTENT_TYPE, ainv->content_type);
		body = b2b_sdp_for(l, body, false);
	} else if (!body.l && b2b_media_on(c)) {
		/* a delayed offer: the called side gets ours; the caller
		 * gets one in the 2xx and answers in its ACK */
		body = b2b_media_default_offer(c, l);
		if (body.l)
			sip_build_hdr(&bd, SIP_HDR_CONTENT_TYPE,
			              PL("application/sdp"));
	}
	return sip_build_finish(&bd, body.l ? body : PL_NULL);
}

static void on_binv(void *arg, struct sip_tx *tx, uint16_t status,
                    const struct sip_msg *resp);

static void send_b_invite(struct call *c)
{
	struct sip_hdr hdrs[B2B_HDRS];
	struct sip_msg m;
	char *out = c->b->msg;
	size_t n = 0;

	if (c->ainv &&
	    b2b_reparse(c->ainv, c->ainv_len, &m, hdrs, B2B_HDRS) == 0)
		n = build_b_invite(c, &m, out, B2B_MSG_MAX);
	if (!n) {
		fail(c, 500, PL_NULL, NULL, "could not build the INVITE", NULL,
		     NULL);
		return;
	}
	if (c->binv_tx) {
		sip_tx_set_handler(c->binv_tx, NULL, NULL);
		sip_tx_release(c->binv_tx);
		c->binv_tx = NULL;
	}
	c->attempts++;
	c->binv_open = true;
	c->pending++; /* guard: the send may report at once */
	if (b2b_leg_send(c->bl, out, n, false, on_binv, c, &c->binv_tx) != 0) {
		c->binv_open = false;
		c->last_status = 503;
		start_attempt(c);
	}
	c->pending--;
}

/* Leg B's next hop is reachable (ok) or not: send the INVITE, or go on to
 * the next server. The end of one pending connect or resolve. */
static void b_reached(struct call *c, bool ok, const char *reason)
{
	const struct cfg_trunk *t = c->bl->trunk;

	if (c->state == CALL_CALLING && !c->cancelled && !c->b->closing) {
		if (ok) {
			send_b_invite(c);
		} else {
			tb_log("warn", "call_failover",
			       "call=%s trunk=%s server=%s:%u reason=\"%s\"",
			       c->id, t->name, t->servers[c->server].host,
			       (unsigned)t->servers[c->server].port,
			       reason ? reason : "connection failed");
			c->last_status = 503;
			start_attempt(c);
		}
		b2b_after(c->b);
	}
	b2b_call_unpend(c);
}

static void on_b_connect(void *arg, struct tp_conn *conn, bool ok,
                         const char *reason)
{
	struct call *c = arg;

	if (ok && conn) {
		if (c->bl->conn)
			tp_conn_unref(c->bl->conn);
		c->bl->conn = tp_conn_ref(conn);
	}
	b_reached(c, ok && conn, reason);
}

static void on_b_resolve(void *arg, const struct sockaddr *sa, socklen_t salen,
                         const char *reason)
{
	struct call *c = arg;
	bool ok = sa && salen <= sizeof(c->bl->udp);

	if (ok) {
		memcpy(&c->bl->udp, sa, salen);
		c->bl->udp_len = salen;
	}
	b_reached(c, ok, reason ? reason : "no address");
}

/* The next server of the trunk, in order; when none is left, the last
 * failure goes to A. */
static void start_attempt(struct call *c)
{
	struct leg *l = c->bl;
	const struct cfg_trunk *t = l->trunk;
	struct b2b *b = c->b;
	char err[256];

	while (c->attempt < c->n_order) {
		size_t s = c->order[c->attempt++];
		const struct cfg_server *sv = &t->servers[s];
		if (c->attempts > 0) {
			b->st.failovers++;
			tb_log("info", "call_failover",
			       "call=%s trunk=%s next=%s:%u after=%u", c->id,
			       t->name, sv->host, (unsigned)sv->port,
			       (unsigned)c->last_status);
		}
		c->server = s;
		if (b_addresses(c, s, c->called) != 0)
			continue;
		if (l->conn) {
			tp_conn_unref(l->conn);
			l->conn = NULL;
		}
		l->udp_len = 0;
		c->state = CALL_CALLING;
		c->pending++;
		if (l->tp == SIP_TP_UDP) {
			struct tp_resolve *r = tp_resolve(
			        b->env.tp, sv->host, sv->port, on_b_resolve, c);
			(void)r;
			return;
		}
		err[0] = '\0';
		struct tp_conn *conn =
		        tp_connect(b->env.tp, l->tp, sv->host, sv->port,
		                   l->tp == SIP_TP_TLS ? l->tls : NULL,
		                   on_b_connect, c, err, sizeof(err));
		if (!conn && err[0]) {
			c->pending--;
			c->last_status = 503;
			continue;
		}
		return;
	}
	/* every server tried */
	uint16_t st = c->last_status ? c->last_status : 503;
	char why[128];
	snprintf(why, sizeof(why), "no server of trunk %s took the call",
	         t->name);
	fail(c, st, PL_NULL, NULL, why, st == 503 ? "Retry-After" : NULL, "30");
}

/* ---- leg B's answers ---- */

/* PRACK a reliable provisional response of leg B (RFC 3262 7.2). */
void b2b_prack(struct call *c, struct leg *l, uint32_t inv_cseq,
               const struct sip_msg *resp)
{
	const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_RSEQ);
	uint32_t rseq;
	char xr[96], *out;

	if (!h || sip_uint_decode(&rseq, h->value) != 0)
		return;
	int xn = snprintf(xr, sizeof(xr), "RAck: %u %u INVITE\r\n",
	                  (unsigned)rseq, (unsigned)inv_cseq);
	if (xn <= 0)
		return;
	out = c->b->msg;
	size_t n = b2b_build_request(c->b, l, PL("PRACK"), ++l->lcseq, NULL,
	                             pl_make(xr, (size_t)xn), PL_NULL, PL_NULL,
	                             out, B2B_MSG_MAX);
	if (n)
		b2b_leg_send(l, out, n, false, NULL, NULL, NULL);
}

/* Leg B's dialog state from a response that creates or confirms it. */
void b2b_leg_dialog(struct leg *l, const struct sip_msg *resp)
{

	if (pl_isset(resp->to.tag) &&
	    (!l->rtag ||
	     !pl_eq(resp->to.tag, pl_make(l->rtag, strlen(l->rtag))))) {
		char *t = b2b_strdup_pl(resp->to.tag);
		if (t) {
			free(l->rtag);
			l->rtag = t;
		}
	}
	b2b_leg_target(l, resp, true, true);
}

/* A 2xx from another fork, or after the call was given up: ACK it and
 * end that dialog (RFC 3261 13.2.2.4). */
static void ack_and_bye(struct call *c, const struct sip_msg *resp)
{
	struct leg *l = c->bl;
	char *save_tag = l->rtag, *save_target = l->target,
	     *save_routes = l->routes;
	char *out = c->b->msg;

	l->rtag = b2b_strdup_pl(resp->to.tag);
	l->target = b2b_strdup(save_target);
	l->routes = NULL;
	b2b_leg_target(l, resp, true, true);
	if (l->rtag && l->target) {
		size_t n =
		        b2b_build_ack(c->b, l, c->binv_cseq, out, B2B_MSG_MAX);
		if (n)
			b2b_leg_send(l, out, n, true, NULL, NULL, NULL);
		n = b2b_build_request(c->b, l, PL("BYE"), ++l->lcseq, NULL,
		                      PL_NULL, PL_NULL, PL_NULL, out,
		                      B2B_MSG_MAX);
		if (n)
			b2b_leg_send(l, out, n, false, NULL, NULL, NULL);
	}
	free(l->rtag);
	free(l->target);
	free(l->routes);
	l->rtag = save_tag;
	l->target = save_target;
	l->routes = save_routes;
}

void b2b_send_ack(struct call *c, struct leg *l, uint32_t cseq)
{
	char *out = c->b->msg;

	size_t n = b2b_build_ack(c->b, l, cseq, out, B2B_MSG_MAX);
	if (n)
		b2b_leg_send(l, out, n, true, NULL, NULL, NULL);
}

bool b2b_failover_code(const struct cfg_trunk *t, uint16_t st)
{
	if (st >= 600)
		return false; /* a 6xx is final everywhere (interop 1.6) */
	for (size_t i = 0; i < t->n_failover_codes; i++) {
		if (t->failover_codes[i] == st)
			return true;
	}
	return false;
}

/* B's answer (18x or 2xx with SDP) sets up its media. An unusable one
 * (SRTP required but none) is logged: the call goes on, as the peer
 * chose; the idle-media timeout ends it if nothing flows. */
static void b_answer_media(struct call *c, const struct sip_msg *resp)
{
	const char *why = NULL;
	if (b2b_media_in(c, c->bl, resp, false, &why))
		tb_log("warn", "media_answer_refused",
		       "call=%s trunk=%s reason=\"%s\"", c->id,
		       c->bl->trunk->name, why);
}

static void on_binv(void *arg, struct sip_tx *tx, uint16_t status,
                    const struct sip_msg *resp)
{
	struct call *c = arg;
	struct b2b *b = c->b;
	const struct cfg_trunk *t = c->bl->trunk;

	if (tx && tx != c->binv_tx)
		return; /* an earlier attempt's transaction */
	c->pending++;
	if (status < 200) {
		if (status == 100 || !resp || c->state != CALL_CALLING ||
		    c->cancelled)
			goto out;
		bool reliable =
		        sip_msg_has_tag(resp, SIP_HDR_REQUIRE, PL("100rel"));
		b2b_leg_dialog(c->bl, resp);
		b2b_leg_save_sdp(c->bl, resp);
		b_answer_media(c, resp);
		if (reliable)
			b2b_prack(c, c->bl, c->binv_cseq, resp);
		a_respond(c, status, resp->reason, resp,
		          c->a_require_100rel || (reliable && c->a_100rel),
		          NULL, NULL);
		goto out;
	}
	if (status < 300) {
		if (!resp)
			goto out;
		if (c->state == CALL_ANSWERED &&
		    pl_eq(resp->to.tag,
		          pl_make(c->bl->rtag ? c->bl->rtag : "",
		                  c->bl->rtag ? strlen(c->bl->rtag) : 0))) {
			b2b_send_ack(c, c->bl,
			             c->binv_cseq); /* a retransmission */
			goto out;
		}
		if (c->state != CALL_CALLING || c->cancelled) {
			ack_and_bye(c, resp);
			c->binv_open = false;
			goto out;
		}
		c->binv_open = false;
		b2b_leg_dialog(c->bl, resp);
		b2b_leg_save_sdp(c->bl, resp);
		b_answer_media(c, resp);
		b2b_send_ack(c, c->bl, c->binv_cseq);
		c->state = CALL_ANSWERED;
		b2b_media_answered(c);
		c->answer_ms = (int64_t)b2b_wall_ms();
		snprintf(c->answered_by, sizeof(c->answered_by), "%s:%u",
		         t->servers[c->server].host,
		         (unsigned)t->servers[c->server].port);
		if (c->dial_timer) {
			event_free(c->dial_timer); /* not needed any more */
			c->dial_timer = NULL;
		}
		b->st.answered++;
		a_final(c, status, resp->reason, resp, NULL, NULL);
		ack_guard(c);
		b2b_session_timer(c, resp);
		tb_log("info", "call_answered",
		       "call=%s in_trunk=%s out_trunk=%s answered_by=%s", c->id,
		       c->a->trunk->name, t->name, c->answered_by);
		goto out;
	}
	/* a failure: 3xx-6xx, or 408/503 from the layer (resp NULL) */
	c->binv_open = false;
	if (c->state != CALL_CALLING || c->cancelled)
		goto out;
	if (!resp || b2b_failover_code(t, status)) {
		c->last_status = status;
		uint32_t ra;
		const struct sip_hdr *h =
		        resp ? sip_msg_hdr(resp, SIP_HDR_RETRY_AFTER) : NULL;
		tb_log("info", "call_attempt_failed",
		       "call=%s trunk=%s server=%s:%u status=%u retry_after=%s",
		       c->id, t->name, t->servers[c->server].host,
		       (unsigned)t->servers[c->server].port, (unsigned)status,
		       h && sip_retry_after_decode(&ra, h->value) == 0 ? "yes"
		                                                       : "no");
		if (c->attempt < c->n_order) {
			start_attempt(c);
			goto out;
		}
		if (!resp) {
			fail(c, status, PL_NULL, NULL,
			     status == 408 ? "no answer from the trunk"
			                   : "transport failure",
			     NULL, NULL);
			goto out;
		}
	}
	fail(c, status, resp->reason, resp, NULL, NULL, NULL);
out:
	b2b_after(b);
	b2b_call_unpend(c);
}

/* ---- leg A: the INVITE in ---- */

static void on_ainv(void *arg, struct sip_tx *tx, uint16_t status,
                    const struct sip_msg *resp)
{
	struct call *c = arg;

	(void)tx;
	(void)resp;
	if (status == 408 && c->state == CALL_ANSWERED)
		tb_log("warn", "call_no_ack", "call=%s", c->id);
}

void b2b_call_id(char *out, size_t cap)
{
	unsigned char rnd[16];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	snprintf(out, cap,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x"
	         "%02x%02x",
	         rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7],
	         rnd[8], rnd[9], rnd[10], rnd[11], rnd[12], rnd[13], rnd[14],
	         rnd[15]);
}

static bool loop_detected(const struct b2b *b, const struct sip_msg *m)
{
	const char *fqdn = b->cfg->identity.fqdn;
	size_t sl = strlen(b->seed);

	if (!pl_casecmp_eq(m->via.host, pl_make(fqdn, strlen(fqdn))))
		return false;
	return m->via.branch.l > 8 + sl &&
	       memcmp(m->via.branch.p + 8, b->seed, sl) == 0;
}

void b2b_call_invite(struct b2b *b, const struct tp_addr *src,
                     struct sip_msg *m, struct sip_tx *tx, int trunk)
{
	const struct tb_config *cfg = b->cfg;
	const struct cfg_trunk *in = &cfg->trunks[trunk];
	struct call *c;
	char raw[NUMBER_BUF];

	if (sip_msg_hdr(m, SIP_HDR_REPLACES)) {
		/* an attended transfer: a new leg for a call we have */
		b2b_xfer_replaces(b, src, m, tx, trunk);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		b2b_reply(b, tx, m, 500, NULL, NULL);
		return;
	}
	c->b = b;
	c->a = b2b_leg_new(c);
	c->bl = b2b_leg_new(c);
	if (!c->a || !c->bl) {
		while (c->legs) {
			struct leg *l = c->legs;
			c->legs = l->lnext;
			free(l);
		}
		free(c);
		b2b_reply(b, tx, m, 500, NULL, NULL);
		return;
	}
	c->cfg = cfg_ref(b->cfg);
	c->in_use = c->out_use = -1;
	c->start_ms = (int64_t)b2b_wall_ms();
	b2b_call_id(c->id, sizeof(c->id));
	c->next = b->calls;
	if (b->calls)
		b->calls->prev = c;
	b->calls = c;
	b->st.calls++;
	b->st.active++;
	b2b_rate_count(b);

	/* leg A */
	struct leg *a = c->a;
	char buf[512];
	a->trunk = in;
	a->trunk_idx = (size_t)trunk;
	int a_ok = b2b_leg_uas(b, a, src, m, trunk);
	c->ainv = malloc(m->raw.l);
	if (c->ainv) {
		memcpy(c->ainv, m->raw.p, m->raw.l);
		c->ainv_len = m->raw.l;
	}
	c->ainv_tx = sip_tx_ref(tx);
	sip_tx_set_handler(tx, on_ainv, c);
	b2b_hash_add(b, a);
	c->a_require_100rel = sip_msg_has_tag(m, SIP_HDR_REQUIRE, PL("100rel"));
	c->a_100rel = c->a_require_100rel ||
	              sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("100rel"));
	c->state = CALL_ROUTING;
	if (a_ok != 0 || !c->ainv) {
		fail(c, 500, PL_NULL, NULL, "out of memory", NULL, NULL);
		goto done;
	}

	/* numbers, as received and as E.164 */
	b2b_numbers_of(&m->ruri, c->in_called, sizeof(c->in_called), c->called,
	               sizeof(c->called));
	b2b_numbers_of(&m->from.uri, c->in_calling, sizeof(c->in_calling),
	               c->calling, sizeof(c->calling));
	if (!c->calling[0]) {
		struct sip_list_iter it;
		struct sip_addr pai;
		sip_list_iter_init(&it, m, SIP_HDR_P_ASSERTED_IDENTITY);
		if (sip_addr_iter_next(&it, &pai) == 1)
			b2b_numbers_of(&pai.uri, raw, sizeof(raw), c->calling,
			               sizeof(c->calling));
		if (!c->calling[0])
			snprintf(c->calling, sizeof(c->calling), "anonymous");
	}
	tb_log("info", "call_start",
	       "call=%s in_trunk=%s calling=%s called=%s in_call_id=%s", c->id,
	       in->name, c->in_calling, c->in_called, a->call_id);

	if (loop_detected(b, m)) {
		b->st.loops++;
		fail(c, 482, PL_NULL, NULL, "loop: the INVITE came from us",
		     NULL, NULL);
		goto done;
	}
	const struct sip_hdr *seh = sip_msg_hdr(m, SIP_HDR_SESSION_EXPIRES);
	struct sip_session_expires se;
	if (seh && sip_session_expires_decode(&se, seh->value) == 0 &&
	    se.delta < in->min_se_s) {
		char v[16];
		snprintf(v, sizeof(v), "%u", (unsigned)in->min_se_s);
		fail(c, 422, PL_NULL, NULL, "Session-Expires below Min-SE",
		     "Min-SE", v);
		goto done;
	}
	if (!c->called[0]) {
		fail(c, 484, PL_NULL, NULL, "called number is not E.164", NULL,
		     NULL);
		goto done;
	}
	const struct route *rt =
	        !b->routes
	                ? NULL
	                : route_match(b->routes,
	                              pl_make(in->name, strlen(in->name)),
	                              pl_make(c->called, strlen(c->called)),
	                              pl_make(c->calling, strlen(c->calling)));
	const struct cfg_trunk *out = rt ? cfg_trunk_find(cfg, rt->to) : NULL;
	if (!out) {
		b->st.no_route++;
		fail(c, 404, PL_NULL, NULL, "no route for the called number",
		     NULL, NULL);
		goto done;
	}
	c->bl->trunk = out; /* routed: the CDR names it even if refused */
	/* media: the caller's offer is one this trunk takes (SRTP when
	 * required: 488 otherwise, as Microsoft answers, interop 1.7) */
	a->mpeer = c->bl;
	c->bl->mpeer = a;
	const char *mwhy = NULL;
	int mr = b2b_media_in(c, a, m, true, &mwhy);
	if (mr == 0 && b2b_media_prepare(c, c->bl) != 0) {
		mr = -2;
		mwhy = "no media port free";
	}
	if (mr) {
		char w[200];
		snprintf(w, sizeof(w), "399 %s \"%s\"", cfg->identity.fqdn,
		         mwhy);
		fail(c, mr == -1 ? 488 : 503, PL_NULL, NULL, mwhy, "Warning",
		     w);
		goto done;
	}
	/* limits, on both trunks */
	uint64_t now = b2b_wall_ms();
	const char *why = NULL;
	int iu = b2b_use_of(b, in->name), ou = b2b_use_of(b, out->name);
	uint32_t ra = 0;
	if (iu >= 0)
		ra = over_limit(b, in, iu, now, &why);
	if (!ra && ou >= 0)
		ra = over_limit(b, out, ou, now, &why);
	if (ra) {
		char v[16];
		snprintf(v, sizeof(v), "%u", (unsigned)ra);
		b->st.refused_limit++;
		tb_log("warn", "call_limited", "call=%s reason=\"%s\"", c->id,
		       why);
		fail(c, 503, PL_NULL, NULL, why, "Retry-After", v);
		goto done;
	}
	c->in_use = iu;
	c->out_use = ou;
	if (iu >= 0) {
		b->use[iu].active++;
		b->use[iu].win_count++;
	}
	if (ou >= 0 && ou != iu) {
		b->use[ou].active++;
		b->use[ou].win_count++;
	}

	/* leg B */
	struct leg *l = c->bl;
	size_t oi = (size_t)(out - cfg->trunks);
	l->c = c;
	l->trunk = out;
	l->trunk_idx = oi;
	l->tp = out->transport == CFG_TRANSPORT_TLS   ? SIP_TP_TLS
	        : out->transport == CFG_TRANSPORT_TCP ? SIP_TP_TCP
	                                              : SIP_TP_UDP;
	if (b->tls[oi])
		l->tls = tls_profile_ref(b->tls[oi]);
	b2b_unique(b, l->ltag, sizeof(l->ltag));
	snprintf(buf, sizeof(buf), "%s@%s", l->ltag, cfg->identity.fqdn);
	l->call_id = b2b_strdup(buf);
	const char *calling = c->calling;
	if (out->profile != CFG_PROFILE_ACS && out->omit_plus_calling &&
	    calling[0] == '+')
		calling++;
	snprintf(c->out_calling, sizeof(c->out_calling), "%s", calling);
	if (out->profile == CFG_PROFILE_ACS && c->calling[0] == '+')
		snprintf(buf, sizeof(buf), "<sip:%s@%s;user=phone>", calling,
		         cfg->identity.fqdn);
	else
		snprintf(buf, sizeof(buf), "<sip:%s@%s>", calling,
		         cfg->identity.fqdn);
	l->local_uri = b2b_strdup(buf);
	b2b_hash_add(b, l);
	if (!l->call_id || !l->local_uri) {
		fail(c, 500, PL_NULL, NULL, "out of memory", NULL, NULL);
		goto done;
	}
	c->n_order = b2b_server_order(b, out, c->order);
	if (c->n_order == 0) {
		fail(c, 503, PL_NULL, NULL,
		     "every server of the trunk is on Retry-After hold",
		     "Retry-After", "30");
		goto done;
	}
	tb_log("info", "call_routed",
	       "call=%s out_trunk=%s route=%zu out_calling=%s out_call_id=%s",
	       c->id, out->name, rt->index, c->out_calling, l->call_id);
	if (b->env.leg_made)
		b->env.leg_made(b->env.arg, c->a->call_id, l->call_id);
	if (out->dial_timeout_ms) {
		c->dial_timer = evtimer_new(b->env.base, on_dial_timeout, c);
		if (c->dial_timer) {
			struct timeval tv = {
			        (time_t)(out->dial_timeout_ms / 1000),
			        (long)(out->dial_timeout_ms % 1000) * 1000};
			evtimer_add(c->dial_timer, &tv);
		}
	}
	c->pending++;
	start_attempt(c);
	c->pending--;
done:
	b2b_check_free(c);
}

/* ---- CANCEL from A ---- */

void b2b_call_cancel(struct b2b *b, struct sip_tx *inv_tx)
{
	struct call *c = sip_tx_arg(inv_tx);

	(void)b;
	if (!c || c->ainv_tx != inv_tx || c->state == CALL_ANSWERED ||
	    c->state == CALL_ENDED)
		return;
	c->cancelled = true;
	if (c->binv_tx && c->binv_open)
		sip_tx_cancel(c->binv_tx);
	a_final(c, 487, PL_NULL, NULL, NULL, NULL);
	b2b_finish(c, 487, CDR_HANGUP_CALLER, "cancelled by the caller");
	b2b_check_free(c);
}

/* ---- in-dialog requests ---- */

static void relay_free(struct call *c, struct relay *r)
{
	struct relay **pp = &c->relays;

	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp)
		*pp = r->next;
	if (r->ctx) {
		sip_tx_set_handler(r->ctx, NULL, NULL);
		sip_tx_release(r->ctx);
	}
	if (r->stx)
		sip_tx_release(r->stx);
	free(r->req);
	free(r);
}

static void on_relay(void *arg, struct sip_tx *tx, uint16_t status,
                     const struct sip_msg *resp)
{
	struct relay *r = arg;
	struct call *c = r->c;
	struct sip_hdr hdrs[B2B_HDRS];
	struct sip_msg m;
	struct sip_build bd;

	(void)tx;
	if (status < 200)
		return;
	c->pending++;
	char *out = c->b->msg;
	if (b2b_reparse(r->req, r->req_len, &m, hdrs, B2B_HDRS) == 0) {
		bool ok2xx = status < 300;
		bool sess = r->method == SIP_METHOD_INVITE ||
		            r->method == SIP_METHOD_UPDATE;
		if (ok2xx && resp) {
			b2b_leg_target(r->to, resp, false, false);
			b2b_leg_save_sdp(r->to, resp);
			const char *why = NULL;
			if (sess && b2b_media_in(c, r->to, resp, false, &why))
				tb_log("warn", "media_answer_refused",
				       "call=%s reason=\"%s\"", c->id, why);
			if (r->method == SIP_METHOD_INVITE)
				b2b_send_ack(c, r->to, r->cseq);
			if (sess && c->state == CALL_ANSWERED)
				b2b_session_timer(c, resp);
		}
		sip_build_init(&bd, out, B2B_MSG_MAX);
		sip_tx_response_head(&bd, &m, sip_tx_dest(r->stx), status,
		                     resp ? resp->reason : PL_NULL, PL_NULL);
		if (ok2xx && sess) {
			b2b_put_contact(&bd, r->from);
			sip_build_hdr(&bd, SIP_HDR_ALLOW, PL(TB_ALLOW));
			sip_build_hdr(&bd, SIP_HDR_SUPPORTED,
			              PL("100rel, timer"));
		}
		if (r->from->trunk->x_ms_sbc)
			sip_build_hdr(&bd, SIP_HDR_X_MS_SBC, PL(TB_X_MS_SBC));
		b2b_copy_headers(&bd, resp, r->from->trunk, true);
		struct pl body = resp ? resp->body : PL_NULL;
		if (body.l && pl_isset(resp->content_type)) {
			sip_build_hdr(&bd, SIP_HDR_CONTENT_TYPE,
			              resp->content_type);
			if (sess)
				body = b2b_sdp_for(r->from, body, true);
		}
		size_t n = sip_build_finish(&bd, body.l ? body : PL_NULL);
		if (n)
			sip_tx_respond(r->stx, status, out, n);
	}
	relay_free(c, r);
	b2b_after(c->b);
	b2b_call_unpend(c);
}

static void relay(struct call *c, struct leg *from, struct sip_msg *m,
                  struct sip_tx *tx)
{
	struct leg *to = from == c->a ? c->bl : c->a;
	struct relay *r = calloc(1, sizeof(*r));
	char *out = c->b->msg;

	if (!r || !to->rtag || !to->target) {
		free(r);
		b2b_reply(c->b, tx, m,
		          m->method_id == SIP_METHOD_INVITE ? 491 : 481, NULL,
		          NULL);
		return;
	}
	r->c = c;
	r->from = from;
	r->to = to;
	r->method = m->method_id;
	r->req = malloc(m->raw.l);
	if (!r->req) {
		free(r);
		b2b_reply(c->b, tx, m, 500, NULL, NULL);
		return;
	}
	memcpy(r->req, m->raw.p, m->raw.l);
	r->req_len = m->raw.l;
	if (r->method == SIP_METHOD_INVITE || r->method == SIP_METHOD_UPDATE) {
		const char *why = NULL;
		int mr = b2b_media_in(c, from, m, true, &why);
		if (mr) {
			char w[200];
			snprintf(w, sizeof(w), "399 %s \"%s\"",
			         c->cfg->identity.fqdn, why);
			tb_log("warn", "media_offer_refused",
			       "call=%s method=%.*s reason=\"%s\"", c->id,
			       (int)m->method.l, m->method.p, why);
			b2b_reply(c->b, tx, m, mr == -1 ? 488 : 503, "Warning",
			          w);
			free(r->req);
			free(r);
			return;
		}
		b2b_leg_save_sdp(from, m);
	}
	r->stx = sip_tx_ref(tx);
	r->cseq = ++to->lcseq;
	r->next = c->relays;
	c->relays = r;
	size_t n = b2b_build_request(c->b, to, m->method, r->cseq, m, PL_NULL,
	                             PL_NULL, PL_NULL, out, B2B_MSG_MAX);
	c->pending++;
	if (!n || b2b_leg_send(to, out, n, false, on_relay, r, &r->ctx) != 0) {
		b2b_reply(c->b, tx, m, n ? 503 : 500, NULL, NULL);
		relay_free(c, r);
	}
	c->pending--;
}

void b2b_call_in_dialog(struct b2b *b, struct leg *l, const struct tp_addr *src,
                        struct sip_msg *m, struct sip_tx *tx)
{
	struct call *c = l->c;
	struct leg *other = l == c->a ? c->bl : c->a;

	(void)src;
	c->pending++;
	if (l->retired || (l != c->a && l != c->bl)) {
		/* a leg a transfer replaced, or a new one not in place yet */
		b2b_xfer_retired(c, l, m, tx);
		goto out;
	}
	if (c->state == CALL_ENDED) {
		b2b_reply(b, tx, m, m->method_id == SIP_METHOD_BYE ? 200 : 481,
		          NULL, NULL);
		goto out;
	}
	switch (m->method_id) {
	case SIP_METHOD_BYE: {
		if (c->state == CALL_ANSWERED && c->xf && c->xf->r == l) {
			/* the referrer may leave once its REFER is accepted:
			 * the transfer goes on (RFC 5589 blind transfer) */
			l->gone = true;
			b2b_reply(b, tx, m, 200, NULL, NULL);
			b2b_xfer_referrer_gone(c);
			break;
		}
		/* the CDR row is committed before the 200 goes out: a call
		 * its caller saw end has its row, even if we die now */
		const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_REASON);
		if (h && h->value.l < sizeof(c->reason))
			snprintf(c->reason, sizeof(c->reason), "%.*s",
			         (int)h->value.l, h->value.p);
		l->gone = true;
		if (c->state == CALL_ANSWERED) {
			b2b_send_bye(c, other, m, NULL);
			other->gone = true;
			b2b_finish(c, 200,
			           l == c->a ? CDR_HANGUP_CALLER
			                     : CDR_HANGUP_CALLEE,
			           NULL);
		} else if (l == c->bl) {
			/* callee gave up an early dialog */
			c->cancelled = true;
			if (c->binv_tx && c->binv_open)
				sip_tx_cancel(c->binv_tx);
			fail(c, 480, PL_NULL, NULL, "callee ended early", NULL,
			     NULL);
		}
		b2b_reply(b, tx, m, 200, NULL, NULL);
		break;
	}
	case SIP_METHOD_REFER:
		if (c->state != CALL_ANSWERED) {
			b2b_reply(b, tx, m, 403, NULL, NULL);
			break;
		}
		b2b_xfer_refer(c, l, m, tx);
		break;
	case SIP_METHOD_PRACK:
		b2b_reply(b, tx, m, l->is_a ? 200 : 481, NULL, NULL);
		break;
	case SIP_METHOD_OPTIONS:
		b2b_reply(b, tx, m, 200, NULL, NULL);
		break;
	default:
		if (m->method_id == SIP_METHOD_INVITE ||
		    m->method_id == SIP_METHOD_UPDATE)
			b2b_leg_target(l, m, false, false);
		relay(c, l, m, tx);
		break;
	}
out:
	b2b_call_unpend(c);
}
