/* xfer.c: transfers and forwarding history.
 *
 * REFER (RFC 3515) on either leg of an answered call: trunkbridge is the
 * transferee. It answers 202, places the new call itself (toward ACS the
 * Request-URI is the Refer-To URI verbatim and Referred-By is copied
 * verbatim, interop 1.8; from Genesys the Refer-To number is routed like a
 * call from that trunk), reports its progress in NOTIFYs (message/sipfrag),
 * and once the new party answers puts it in the referrer's place: the kept
 * party gets a re-INVITE with the new party's SDP, the referrer's dialog is
 * left to end (its BYE, or ours after 32 s).
 *
 * INVITE with Replaces (RFC 3891) from ACS: the new dialog takes the place
 * of the one it names; the kept party gets a re-INVITE with its offer, the
 * answer goes back in the 200, the replaced dialog gets BYE.
 *
 * Either way the call's CDR row ends ("transferred"/"replaced") and a new
 * row starts, the two linked by transferred_to / transferred_from.
 *
 * Diversion / History-Info (RFC 5806, RFC 7044, mapped per RFC 7544):
 * b2b_put_history writes what a trunk asked for from what arrived.
 */
#include "b2b/b2b_int.h"
#include "b2b/divert.h"
#include "b2b/route.h"
#include "base/log.h"
#include "trunk/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XFER_RETIRE_S 32 /* 64*T1: the referrer's dialog is ours to end */

/* ---- forwarding history ---- */

void b2b_put_history(struct call *c, struct sip_build *bd,
                     const struct sip_msg *m, const struct cfg_trunk *t,
                     const char *xfer_user, char **keep)
{
	struct divert_chain ch;
	char uri[160], v[2048];
	const char *fqdn = c->cfg->identity.fqdn;
	struct pl host = pl_make(fqdn, strlen(fqdn));

	if (t->diversion.form == CFG_DIVERT_NONE)
		return;
	divert_init(&ch);
	if (m && divert_from_history_info(m, &ch) <= 0) {
		divert_init(&ch);
		if (divert_from_diversion(m, &ch) < 0)
			divert_init(&ch);
	}
	if (xfer_user && xfer_user[0]) {
		int n = snprintf(uri, sizeof(uri), "sip:%s@%s;user=phone",
		                 xfer_user, fqdn);
		if (n > 0 && (size_t)n < sizeof(uri))
			divert_add(&ch, pl_make(uri, (size_t)n),
			           pl_make(xfer_user, strlen(xfer_user)), 302);
	}
	if (ch.n == 0)
		return;
	if (t->diversion.form == CFG_DIVERT_DIVERSION ||
	    t->diversion.form == CFG_DIVERT_BOTH) {
		size_t n = divert_write_diversion(&ch, host, v, sizeof(v));
		if (n) {
			sip_build_hdr(bd, SIP_HDR_DIVERSION, pl_make(v, n));
			if (keep) {
				free(*keep);
				*keep = b2b_strdup_pl(pl_make(v, n));
			}
		}
	}
	if (t->diversion.form == CFG_DIVERT_HISTORY_INFO ||
	    t->diversion.form == CFG_DIVERT_BOTH) {
		size_t n = divert_write_history_info(&ch, host, v, sizeof(v));
		if (n)
			sip_build_hdr(bd, SIP_HDR_HISTORY_INFO, pl_make(v, n));
	}
}

/* ---- the transfer's state ---- */

static void xf_release(struct xfer *xf)
{
	struct sip_tx **txs[2] = {&xf->inv_tx, &xf->kre_tx};

	for (int i = 0; i < 2; i++) {
		if (*txs[i]) {
			sip_tx_set_handler(*txs[i], NULL, NULL);
			sip_tx_release(*txs[i]);
			*txs[i] = NULL;
		}
	}
	free(xf->inv);
	free(xf->referred_by);
	free(xf->diversion);
	free(xf);
}

void b2b_xfer_free(struct call *c)
{
	if (!c->xf)
		return;
	xf_release(c->xf);
	c->xf = NULL;
}

/* The new leg will not be: out of the hash (its tag answers no more). */
static void drop_new_leg(struct call *c, struct leg *n)
{
	b2b_hash_del(c->b, n);
	b2b_media_free(n); /* its ports go back to the pool */
	n->gone = true;
}

/* The number on leg l's side of the call (E.164 when known). */
static const char *number_of_side(const struct call *c, const struct leg *l)
{
	return l == c->a ? c->calling : c->called;
}

static void notify_send(struct call *c, struct leg *r, uint16_t status,
                        struct pl reason, bool final);

/* The answer to a NOTIFY: the next one, if one waits, goes now. */
static void on_notify_done(void *arg, struct sip_tx *tx, uint16_t status,
                           const struct sip_msg *resp)
{
	struct leg *r = arg;
	struct call *c = r->c;

	(void)tx;
	(void)resp;
	if (status < 200)
		return;
	r->notify_busy = false;
	if (r->notify_nq) {
		char reason[sizeof(r->notify_q[0].reason)];
		uint16_t st = r->notify_q[0].status;
		bool fin = r->notify_q[0].final;
		memcpy(reason, r->notify_q[0].reason, sizeof(reason));
		r->notify_nq--;
		memmove(&r->notify_q[0], &r->notify_q[1],
		        r->notify_nq * sizeof(r->notify_q[0]));
		notify_send(c, r, st, pl_make(reason, strlen(reason)), fin);
	}
	b2b_after(c->b);
	b2b_call_unpend(c);
}

/* One NOTIFY of the refer subscription to the referrer (RFC 3515 2.4.4).
 * One at a time per subscription: the next waits for the answer to the
 * one before (back to back over TLS, a UA got the 180's NOTIFY before it
 * had answered the 100's; over UDP they could cross). Each status goes,
 * in order; should more wait than the queue holds, the newest
 * provisional one replaces the one before it. The final one always goes,
 * last. */
static void notify(struct call *c, uint16_t status, struct pl reason,
                   bool final)
{
	struct xfer *xf = c->xf;

	if (xf->kind != XFER_REFER || xf->r_gone || xf->r->gone ||
	    c->b->closing)
		return;
	notify_send(c, xf->r, status, reason, final);
}

static void notify_send(struct call *c, struct leg *r, uint16_t status,
                        struct pl reason, bool final)
{
	char body[160], extra[160];
	char *out = c->b->msg;

	if (r->gone || c->b->closing)
		return;
	if (r->notify_busy) {
		size_t cap = sizeof(r->notify_q) / sizeof(r->notify_q[0]);
		size_t k = r->notify_nq;
		if (k && r->notify_q[k - 1].final)
			return; /* nothing after the final one */
		if (k == cap)
			k--; /* the newest provisional one is replaced */
		else
			r->notify_nq++;
		r->notify_q[k].status = status;
		r->notify_q[k].final = final;
		snprintf(r->notify_q[k].reason, sizeof(r->notify_q[k].reason),
		         "%.*s", (int)(reason.l < 47 ? reason.l : 47),
		         reason.p ? reason.p : "");
		return;
	}
	if (!reason.l) {
		const char *p = sip_reason_phrase(status);
		reason = pl_make(p, strlen(p));
	}
	int bl = snprintf(body, sizeof(body), "SIP/2.0 %u %.*s\r\n",
	                  (unsigned)status, (int)reason.l, reason.p);
	int el = snprintf(extra, sizeof(extra),
	                  "Event: refer\r\nSubscription-State: %s\r\n",
	                  final ? "terminated;reason=noresource"
	                        : "active;expires=60");
	if (bl <= 0 || (size_t)bl >= sizeof(body) || el <= 0 ||
	    (size_t)el >= sizeof(extra))
		return;
	size_t n = b2b_build_request(
	        c->b, r, PL("NOTIFY"), ++r->lcseq, NULL,
	        pl_make(extra, (size_t)el), PL("message/sipfrag;version=2.0"),
	        pl_make(body, (size_t)bl), out, B2B_MSG_MAX);
	if (!n)
		return;
	c->pending++; /* on_notify_done */
	r->notify_busy = true;
	if (b2b_leg_send(r, out, n, false, on_notify_done, r, NULL) != 0) {
		r->notify_busy = false;
		c->pending--;
	}
}

static void on_retire(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;

	(void)fd;
	(void)what;
	for (struct leg *l = c->legs; l; l = l->lnext) {
		if (l->retired && !l->gone) {
			tb_log("info", "transfer_bye_replaced",
			       "call=%s reason=\"the replaced dialog was not "
			       "ended by its side within %d s\"",
			       c->id, XFER_RETIRE_S);
			b2b_send_bye(c, l, NULL, NULL);
			l->gone = true;
		}
	}
	b2b_after(c->b);
}

/* n takes r's place: the first CDR row ends, the second starts. */
static void swap_in(struct call *c)
{
	struct xfer *xf = c->xf;
	struct b2b *b = c->b;
	struct leg *r = xf->r, *k = xf->k, *n = xf->n;
	char new_id[sizeof(c->id)];
	int64_t now = (int64_t)b2b_wall_ms();

	/* row 1: the call as it was */
	b2b_call_id(new_id, sizeof(new_id));
	c->end_ms = now;
	c->final_status = 200;
	c->hangup_by = r == c->a ? CDR_HANGUP_CALLER : CDR_HANGUP_CALLEE;
	snprintf(c->reason, sizeof(c->reason), "%s", xf->why);
	free(c->xfer_to);
	c->xfer_to = b2b_strdup(new_id);
	c->cdr_done = false;
	b2b_write_cdr(c);
	tb_log("info", "transfer_done",
	       "call=%s new_call=%s kind=%s kept_trunk=%s new_trunk=%s "
	       "reason=\"%s\"",
	       c->id, new_id, xf->kind == XFER_REFER ? "refer" : "replaces",
	       k->trunk->name, n->trunk->name, xf->why);

	/* the trunks' call counts follow the legs */
	int ru = b2b_use_of(b, r->trunk->name);
	int nu = b2b_use_of(b, n->trunk->name);
	if (ru >= 0 && b->use[ru].active)
		b->use[ru].active--;
	if (nu >= 0)
		b->use[nu].active++;

	/* the first INVITE's transaction only ACKed 2xx retransmissions of
	 * the old callee leg; with the roles changing it goes */
	if (c->binv_tx) {
		sip_tx_set_handler(c->binv_tx, NULL, NULL);
		sip_tx_release(c->binv_tx);
		c->binv_tx = NULL;
	}
	/* row 2: the kept party with the new one */
	const char *kn = number_of_side(c, k);
	const char *rn = number_of_side(c, r);
	char knum[NUMBER_BUF], rnum[NUMBER_BUF];
	snprintf(knum, sizeof(knum), "%s", kn);
	snprintf(rnum, sizeof(rnum), "%s", rn);
	if (xf->kind == XFER_REFER) {
		c->a = k; /* the kept party is the caller of the new call */
		c->bl = n;
		snprintf(c->in_calling, sizeof(c->in_calling), "%s", knum);
		snprintf(c->in_called, sizeof(c->in_called), "%s", rnum);
		snprintf(c->out_calling, sizeof(c->out_calling), "%s", knum);
		snprintf(c->out_called, sizeof(c->out_called), "%s",
		         xf->number);
		snprintf(c->calling, sizeof(c->calling), "%s", knum);
		snprintf(c->called, sizeof(c->called), "%s", xf->number);
		c->attempts = xf->attempts;
		snprintf(c->answered_by, sizeof(c->answered_by), "%s",
		         xf->answered_by);
	} else {
		c->a = n;
		c->bl = k;
		snprintf(c->in_calling, sizeof(c->in_calling), "%s",
		         xf->in_calling);
		snprintf(c->in_called, sizeof(c->in_called), "%s",
		         xf->in_called);
		c->attempts = 1;
	}
	c->in_use = b2b_use_of(b, c->a->trunk->name);
	c->out_use = b2b_use_of(b, c->bl->trunk->name);
	r->retired = true;
	b2b_media_free(r); /* the kept party's media now goes to n */
	free(c->xfer_from);
	c->xfer_from = b2b_strdup(c->id); /* row 1's id */
	free(c->xfer_to);
	c->xfer_to = NULL;
	memcpy(c->id, new_id, sizeof(c->id));
	free(c->diversion);
	c->diversion = xf->diversion;
	xf->diversion = NULL;
	c->start_ms = xf->start_ms;
	c->answer_ms = now;
	c->end_ms = 0;
	c->final_status = 0;
	c->reason[0] = '\0';
	c->hangup_by = CDR_HANGUP_NONE;
	c->cdr_done = false;
	xf->swapped = true;
	b->st.transfers++;
	if (!r->gone) {
		if (!c->retire_timer)
			c->retire_timer =
			        evtimer_new(b->env.base, on_retire, c);
		if (c->retire_timer) {
			struct timeval tv = {XFER_RETIRE_S, 0};
			evtimer_add(c->retire_timer, &tv);
		}
	}
}

static void failed(struct call *c, uint16_t status, struct pl reason)
{
	struct xfer *xf = c->xf;
	bool r_gone = xf->r_gone;

	c->b->st.transfers_failed++;
	tb_log("info", "transfer_failed",
	       "call=%s kind=%s status=%u referrer_gone=%s", c->id,
	       xf->kind == XFER_REFER ? "refer" : "replaces", (unsigned)status,
	       r_gone ? "yes" : "no");
	notify(c, status, reason, true);
	drop_new_leg(c, xf->n);
	b2b_xfer_free(c);
	if (r_gone && c->state == CALL_ANSWERED) {
		/* nobody is left on the referrer's side */
		struct leg *k = c->a->gone ? c->bl : c->a;
		b2b_send_bye(c, k, NULL, NULL);
		k->gone = true;
		b2b_finish(c, 200, CDR_HANGUP_TRUNKBRIDGE,
		           "transfer failed after the referrer left");
	}
}

/* ---- the re-INVITE to the kept party ---- */

static void replaces_answer(struct call *c, uint16_t status,
                            const struct sip_msg *resp);

static void on_kre(void *arg, struct sip_tx *tx, uint16_t status,
                   const struct sip_msg *resp)
{
	struct call *c = arg;
	struct xfer *xf = c->xf;

	if (!xf || (tx && tx != xf->kre_tx) || status < 200)
		return;
	c->pending++;
	struct leg *k = xf->k;
	if (status < 300 && resp) {
		const char *why = NULL;
		b2b_leg_target(k, resp, false, false);
		b2b_leg_save_sdp(k, resp);
		if (b2b_media_in(c, k, resp, false, &why))
			tb_log("warn", "media_answer_refused",
			       "call=%s reason=\"%s\"", c->id, why);
		b2b_send_ack(c, k, xf->kre_cseq);
		b2b_session_timer(c, resp);
	}
	if (xf->kind == XFER_REPLACES && !xf->swapped) {
		replaces_answer(c, status, resp);
	} else {
		if (status >= 300)
			tb_log("warn", "transfer_reinvite_failed",
			       "call=%s status=%u reason=\"the kept party "
			       "refused the new party's media\"",
			       c->id, (unsigned)status);
		b2b_xfer_free(c);
	}
	b2b_after(c->b);
	b2b_call_unpend(c);
}

/* A re-INVITE on the kept leg with body (an SDP of the new party). */
static int send_kre(struct call *c, const char *body, size_t len)
{
	struct xfer *xf = c->xf;
	struct leg *k = xf->k;
	char *out = c->b->msg;

	/* what k saw last is the replaced party's description: continue
	 * its origin (RFC 3264 8: same o= but for a higher version) */
	b2b_leg_continue_origin(k, xf->r->sdp, xf->r->sdp_len);
	k->mpeer = xf->n;
	xf->kre_cseq = ++k->lcseq;
	size_t n = b2b_build_request(c->b, k, PL("INVITE"), xf->kre_cseq, NULL,
	                             PL_NULL, PL("application/sdp"),
	                             pl_make(body, len), out, B2B_MSG_MAX);
	if (!n)
		return -1;
	return b2b_leg_send(k, out, n, false, on_kre, c, &xf->kre_tx);
}

/* ---- REFER: the new call ---- */

static void attempt(struct call *c);

static void on_xinv(void *arg, struct sip_tx *tx, uint16_t status,
                    const struct sip_msg *resp)
{
	struct call *c = arg;
	struct xfer *xf = c->xf;

	if (!xf || xf->kind != XFER_REFER || (tx && tx != xf->inv_tx))
		return;
	struct leg *n = xf->n;
	const struct cfg_trunk *t = n->trunk;
	c->pending++;
	if (xf->aborted || c->state != CALL_ANSWERED) {
		/* the call ended while the new party was being called */
		if (status >= 200 && status < 300 && resp) {
			b2b_leg_dialog(n, resp);
			b2b_send_ack(c, n, xf->inv_cseq);
			b2b_send_bye(c, n, NULL, NULL);
		}
		if (status >= 200) {
			drop_new_leg(c, n);
			b2b_xfer_free(c);
		}
		goto out;
	}
	if (status < 200) {
		if (status == 100 || !resp)
			goto out;
		b2b_leg_dialog(n, resp);
		if (sip_msg_has_tag(resp, SIP_HDR_REQUIRE, PL("100rel")))
			b2b_prack(c, n, xf->inv_cseq, resp);
		notify(c, status, resp->reason, false);
		goto out;
	}
	if (status < 300) {
		if (!resp || xf->swapped)
			goto out;
		xf->inv_open = false;
		b2b_leg_dialog(n, resp);
		b2b_leg_save_sdp(n, resp);
		const char *why = NULL;
		if (b2b_media_in(c, n, resp, false, &why))
			tb_log("warn", "media_answer_refused",
			       "call=%s reason=\"%s\"", c->id, why);
		b2b_send_ack(c, n, xf->inv_cseq);
		snprintf(xf->answered_by, sizeof(xf->answered_by), "%s:%u",
		         t->servers[xf->server].host,
		         (unsigned)t->servers[xf->server].port);
		notify(c, 200, resp->reason, true);
		swap_in(c);
		/* the kept party gets the new party's media; its answer
		 * (on_kre, maybe before send_kre returns) frees xf */
		if (!n->sdp || send_kre(c, n->sdp, n->sdp_len) != 0) {
			tb_log("warn", "transfer_reinvite_failed",
			       "call=%s reason=\"could not send the kept "
			       "party the new party's SDP\"",
			       c->id);
			b2b_xfer_free(c);
		}
		goto out;
	}
	xf->inv_open = false;
	if (!resp || b2b_failover_code(t, status)) {
		xf->last_status = status;
		if (xf->attempt < xf->n_order) {
			attempt(c);
			goto out;
		}
	}
	failed(c, status, resp ? resp->reason : PL_NULL);
out:
	b2b_after(c->b);
	b2b_call_unpend(c);
}

static void send_invite(struct call *c)
{
	struct xfer *xf = c->xf;
	struct leg *n = xf->n, *k = xf->k;
	const struct cfg_trunk *t = n->trunk;
	struct sip_build bd;
	char *out = c->b->msg;

	if (!k->sdp) {
		failed(c, 488, PL("No SDP of the kept party to offer"));
		return;
	}
	sip_build_init(&bd, out, B2B_MSG_MAX);
	xf->inv_cseq = ++n->lcseq;
	b2b_invite_head(c, &bd, n, xf->inv_cseq, 70);
	if (xf->referred_by)
		sip_build_hdr(
		        &bd, SIP_HDR_REFERRED_BY,
		        pl_make(xf->referred_by, strlen(xf->referred_by)));
	/* the Original Called Address (the guide's Edge Case 2) */
	const char *src = t->diversion.source ? t->diversion.source
	                                      : number_of_side(c, xf->r);
	/* (not on a REFER from ACS: that INVITE goes back to Microsoft as
	 * the REFER said, interop 1.8) */
	b2b_put_history(c, &bd, NULL, t,
	                t->diversion.always_send && !xf->verbatim ? src : NULL,
	                &xf->diversion);
	sip_build_hdr(&bd, SIP_HDR_CONTENT_TYPE, PL("application/sdp"));
	struct pl body = b2b_sdp_for(n, pl_make(k->sdp, k->sdp_len), false);
	size_t len = body.l ? sip_build_finish(&bd, body) : 0;
	if (!len) {
		failed(c, 500, PL("could not build the INVITE"));
		return;
	}
	if (xf->inv_tx) {
		sip_tx_set_handler(xf->inv_tx, NULL, NULL);
		sip_tx_release(xf->inv_tx);
		xf->inv_tx = NULL;
	}
	xf->attempts++;
	xf->inv_open = true;
	c->pending++;
	if (b2b_leg_send(n, out, len, false, on_xinv, c, &xf->inv_tx) != 0) {
		xf->inv_open = false;
		xf->last_status = 503;
		if (c->xf == xf)
			attempt(c);
	}
	c->pending--;
}

static void reached(struct call *c, bool ok)
{
	struct xfer *xf = c->xf;

	if (xf && xf->connecting > 0)
		xf->connecting--;
	if (xf && !xf->aborted && !xf->swapped && c->state == CALL_ANSWERED &&
	    !c->b->closing) {
		if (ok) {
			send_invite(c);
		} else {
			xf->last_status = 503;
			attempt(c);
		}
		b2b_after(c->b);
	} else if (xf && xf->aborted && xf->connecting == 0 && !xf->inv_open) {
		drop_new_leg(c, xf->n);
		b2b_xfer_free(c);
	}
	b2b_call_unpend(c);
}

static void on_connect(void *arg, struct tp_conn *conn, bool ok,
                       const char *reason)
{
	struct call *c = arg;

	(void)reason;
	if (ok && conn && c->xf) {
		struct leg *n = c->xf->n;
		if (n->conn)
			tp_conn_unref(n->conn);
		n->conn = tp_conn_ref(conn);
	}
	reached(c, ok && conn && c->xf);
}

static void on_resolve(void *arg, const struct sockaddr *sa, socklen_t salen,
                       const char *reason)
{
	struct call *c = arg;
	bool ok = sa && c->xf && salen <= sizeof(c->xf->n->udp);

	(void)reason;
	if (ok) {
		memcpy(&c->xf->n->udp, sa, salen);
		c->xf->n->udp_len = salen;
	}
	reached(c, ok);
}

/* The next server of the new leg's trunk; none left: the transfer
 * failed. */
static void attempt(struct call *c)
{
	struct xfer *xf = c->xf;
	struct leg *n = xf->n;
	const struct cfg_trunk *t = n->trunk;
	struct b2b *b = c->b;
	char err[256];

	while (xf->attempt < xf->n_order) {
		size_t s = xf->order[xf->attempt++];
		const struct cfg_server *sv = &t->servers[s];
		xf->server = s;
		if (!xf->verbatim && b2b_leg_addresses(n, s, xf->number) != 0)
			continue;
		if (n->conn) {
			tp_conn_unref(n->conn);
			n->conn = NULL;
		}
		n->udp_len = 0;
		xf->connecting++;
		c->pending++;
		if (n->tp == SIP_TP_UDP) {
			(void)tp_resolve(b->env.tp, sv->host, sv->port,
			                 on_resolve, c);
			return;
		}
		err[0] = '\0';
		struct tp_conn *conn =
		        tp_connect(b->env.tp, n->tp, sv->host, sv->port,
		                   n->tp == SIP_TP_TLS ? n->tls : NULL,
		                   on_connect, c, err, sizeof(err));
		if (!conn && err[0]) {
			xf->connecting--;
			c->pending--;
			xf->last_status = 503;
			continue;
		}
		return;
	}
	failed(c, xf->last_status ? xf->last_status : 503, PL_NULL);
}

/* The TLS profile of trunk t in the current generation (by name: the
 * call may belong to an older one). */
static struct tls_profile *tls_of(struct b2b *b, const struct cfg_trunk *t)
{
	for (size_t i = 0; i < b->cfg->n_trunks && i < B2B_MAX_TRUNK; i++) {
		if (strcmp(b->cfg->trunks[i].name, t->name) == 0)
			return b->tls[i];
	}
	return NULL;
}

static struct xfer *xfer_new(struct call *c, enum xfer_kind kind, struct leg *r)
{
	struct xfer *xf = calloc(1, sizeof(*xf));

	if (!xf)
		return NULL;
	xf->n = b2b_leg_new(c);
	if (!xf->n) {
		free(xf);
		return NULL;
	}
	xf->kind = kind;
	xf->r = r;
	xf->k = r == c->a ? c->bl : c->a;
	xf->n->mpeer = xf->k; /* the new party is offered the kept one */
	xf->start_ms = (int64_t)b2b_wall_ms();
	return xf;
}

void b2b_xfer_refer(struct call *c, struct leg *l, struct sip_msg *m,
                    struct sip_tx *tx)
{
	struct b2b *b = c->b;
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_REFER_TO);
	struct sip_refer_to rt;
	char raw[NUMBER_BUF], num[NUMBER_BUF], buf[1024];
	const struct cfg_trunk *t;
	bool verbatim;

	if (c->xf) {
		b2b_reply(b, tx, m, 491, NULL, NULL);
		return;
	}
	if (!h || sip_msg_hdr_next(m, h) ||
	    sip_refer_to_decode(&rt, h->value) != 0 || !rt.addr.uri_pl.l) {
		b2b_reply(b, tx, m, 400, NULL, NULL);
		return;
	}
	struct pl uri = rt.addr.uri_pl;
	ptrdiff_t q = pl_find(uri, '?');
	if (q >= 0)
		uri.l = (size_t)q; /* embedded headers (Replaces) not taken */
	b2b_numbers_of(&rt.addr.uri, raw, sizeof(raw), num, sizeof(num));
	if (l->trunk->profile == CFG_PROFILE_ACS) {
		/* back to Microsoft's proxy, Refer-To verbatim (interop 1.8,
		 * F17): the trunk the REFER came from */
		t = l->trunk;
		verbatim = true;
		if (!num[0])
			snprintf(num, sizeof(num), "%s", raw);
	} else {
		const struct leg *k = l == c->a ? c->bl : c->a;
		const char *kn = number_of_side(c, k);
		const struct route *ro =
		        !num[0] || !b->routes
		                ? NULL
		                : route_match(b->routes,
		                              pl_make(l->trunk->name,
		                                      strlen(l->trunk->name)),
		                              pl_make(num, strlen(num)),
		                              pl_make(kn, strlen(kn)));
		t = ro ? cfg_trunk_find(c->cfg, ro->to) : NULL;
		verbatim = false;
		if (!t) {
			tb_log("info", "transfer_refused",
			       "call=%s from_trunk=%s target=\"%.*s\" "
			       "reason=\"no route for the Refer-To number\"",
			       c->id, l->trunk->name, (int)uri.l, uri.p);
			b2b_reply(b, tx, m, 404, NULL, NULL);
			return;
		}
	}
	struct xfer *xf = xfer_new(c, XFER_REFER, l);
	if (!xf) {
		b2b_reply(b, tx, m, 500, NULL, NULL);
		return;
	}
	struct leg *n = xf->n;
	xf->verbatim = verbatim;
	snprintf(xf->number, sizeof(xf->number), "%s", num);
	snprintf(xf->why, sizeof(xf->why), "transferred: REFER from %s to %.*s",
	         l->trunk->name, (int)(uri.l > 100 ? 100 : uri.l), uri.p);
	if (verbatim) {
		const struct sip_hdr *rb = sip_msg_hdr(m, SIP_HDR_REFERRED_BY);
		if (rb)
			xf->referred_by = b2b_strdup_pl(rb->value);
	}
	n->trunk = t;
	n->trunk_idx = (size_t)(t - c->cfg->trunks);
	n->tp = t->transport == CFG_TRANSPORT_TLS   ? SIP_TP_TLS
	        : t->transport == CFG_TRANSPORT_TCP ? SIP_TP_TCP
	                                            : SIP_TP_UDP;
	struct tls_profile *tp = tls_of(b, t);
	if (tp)
		n->tls = tls_profile_ref(tp);
	b2b_unique(b, n->ltag, sizeof(n->ltag));
	snprintf(buf, sizeof(buf), "%s@%s", n->ltag, c->cfg->identity.fqdn);
	n->call_id = b2b_strdup(buf);
	/* From: the party being transferred (the kept side) */
	const char *kn = number_of_side(c, xf->k);
	if (t->profile != CFG_PROFILE_ACS && t->omit_plus_calling &&
	    kn[0] == '+')
		kn++;
	if (t->profile == CFG_PROFILE_ACS && kn[0] == '+')
		snprintf(buf, sizeof(buf), "<sip:%s@%s;user=phone>", kn,
		         c->cfg->identity.fqdn);
	else
		snprintf(buf, sizeof(buf), "<sip:%s@%s>", kn,
		         c->cfg->identity.fqdn);
	n->local_uri = b2b_strdup(buf);
	if (verbatim) {
		n->target = b2b_strdup_pl(uri);
		snprintf(buf, sizeof(buf), "<%.*s>", (int)uri.l, uri.p);
		n->remote_uri = b2b_strdup(buf);
	}
	xf->n_order = b2b_server_order(b, t, xf->order);
	if (!n->call_id || !n->local_uri ||
	    (verbatim && (!n->target || !n->remote_uri)) ||
	    uri.l + 3 > sizeof(buf)) {
		b2b_reply(b, tx, m, 500, NULL, NULL);
		xf_release(xf);
		return;
	}
	b2b_hash_add(b, n);
	if (b->env.leg_made)
		b->env.leg_made(b->env.arg, xf->k->call_id, n->call_id);
	c->xf = xf;
	b2b_reply(b, tx, m, 202, NULL, NULL);
	tb_log("info", "transfer_start",
	       "call=%s kind=refer from_trunk=%s to_trunk=%s target=\"%.*s\"",
	       c->id, l->trunk->name, t->name, (int)uri.l, uri.p);
	notify(c, 100, PL_NULL, false);
	if (xf->n_order == 0) {
		failed(c, 503, PL_NULL);
		return;
	}
	attempt(c);
}

void b2b_xfer_referrer_gone(struct call *c)
{
	if (c->xf)
		c->xf->r_gone = true;
}

/* ---- INVITE with Replaces ---- */

static void on_xsrv(void *arg, struct sip_tx *tx, uint16_t status,
                    const struct sip_msg *resp)
{
	(void)arg;
	(void)tx;
	(void)status;
	(void)resp;
}

/* Our answer to the INVITE with Replaces: the kept party's answer. */
static void respond_n(struct call *c, uint16_t status,
                      const struct sip_msg *resp)
{
	struct xfer *xf = c->xf;

	b2b_invite_answer(c, xf->n, xf->inv_tx, xf->inv, xf->inv_len, status,
	                  resp ? resp->reason : PL_NULL, resp, false, NULL,
	                  NULL);
}

static void replaces_answer(struct call *c, uint16_t status,
                            const struct sip_msg *resp)
{
	struct xfer *xf = c->xf;

	if (status >= 300 || !resp) {
		respond_n(c, status, resp);
		failed(c, status, resp ? resp->reason : PL_NULL);
		return;
	}
	respond_n(c, status, resp);
	/* RFC 3891 3: the replaced dialog ends with BYE */
	b2b_send_bye(c, xf->r, NULL, NULL);
	xf->r->gone = true;
	swap_in(c);
	b2b_xfer_free(c);
}

/* The leg a Replaces header names: (call-id, one tag ours, the other
 * the peer's), in either order. */
static struct leg *replaced_leg(struct b2b *b, const struct sip_replaces *rp)
{
	struct pl tags[2][2] = {{rp->to_tag, rp->from_tag},
	                        {rp->from_tag, rp->to_tag}};

	for (int i = 0; i < 2; i++) {
		struct leg *l = b2b_hash_find(b, tags[i][0]);
		if (l && l->rtag &&
		    pl_eq(rp->call_id,
		          pl_make(l->call_id, strlen(l->call_id))) &&
		    pl_eq(tags[i][1], pl_make(l->rtag, strlen(l->rtag))))
			return l;
	}
	return NULL;
}

void b2b_xfer_replaces(struct b2b *b, const struct tp_addr *src,
                       struct sip_msg *m, struct sip_tx *tx, int trunk)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_REPLACES);
	struct sip_replaces rp;
	char raw[NUMBER_BUF];

	if (!h || sip_msg_hdr_next(m, h) ||
	    sip_replaces_decode(&rp, h->value) != 0) {
		b2b_reply(b, tx, m, 400, NULL, NULL);
		return;
	}
	struct leg *r = replaced_leg(b, &rp);
	struct call *c = r ? r->c : NULL;
	if (!c || r->retired || r->gone || c->state != CALL_ANSWERED ||
	    (r != c->a && r != c->bl)) {
		tb_log("info", "transfer_refused",
		       "kind=replaces call_id=\"%.*s\" reason=\"no confirmed "
		       "dialog of ours\"",
		       (int)(rp.call_id.l > 80 ? 80 : rp.call_id.l),
		       rp.call_id.p);
		b2b_reply(b, tx, m, 481, NULL, NULL);
		return;
	}
	if (c->xf) {
		b2b_reply(b, tx, m, 491, NULL, NULL);
		return;
	}
	if (!m->body.l) {
		b2b_reply(b, tx, m, 488, NULL, NULL); /* no delayed offer */
		return;
	}
	struct xfer *xf = xfer_new(c, XFER_REPLACES, r);
	if (!xf) {
		b2b_reply(b, tx, m, 500, NULL, NULL);
		return;
	}
	struct leg *n = xf->n;
	const char *tname = b->cfg->trunks[trunk].name;
	const struct cfg_trunk *t = cfg_trunk_find(c->cfg, tname);
	n->trunk = t ? t : r->trunk;
	n->trunk_idx = (size_t)(n->trunk - c->cfg->trunks);
	int n_ok = b2b_leg_uas(b, n, src, m, trunk);
	xf->inv = malloc(m->raw.l);
	if (xf->inv) {
		memcpy(xf->inv, m->raw.p, m->raw.l);
		xf->inv_len = m->raw.l;
	}
	if (n_ok != 0 || !n->rtag || !n->sdp || !xf->inv) {
		b2b_reply(b, tx, m, 500, NULL, NULL);
		xf_release(xf);
		return;
	}
	const char *why = NULL;
	int mr = b2b_media_in(c, n, m, true, &why);
	if (mr) {
		char w[200];
		snprintf(w, sizeof(w), "399 %s \"%s\"", c->cfg->identity.fqdn,
		         why);
		b2b_reply(b, tx, m, mr == -1 ? 488 : 503, "Warning", w);
		xf_release(xf);
		return;
	}
	b2b_numbers_of(&m->from.uri, raw, sizeof(raw), xf->in_calling,
	               sizeof(xf->in_calling));
	if (!xf->in_calling[0])
		snprintf(xf->in_calling, sizeof(xf->in_calling), "%s", raw);
	b2b_numbers_of(&m->ruri, raw, sizeof(raw), xf->in_called,
	               sizeof(xf->in_called));
	if (!xf->in_called[0])
		snprintf(xf->in_called, sizeof(xf->in_called), "%s", raw);
	snprintf(xf->why, sizeof(xf->why),
	         "replaced: INVITE with Replaces from %s", n->trunk->name);
	xf->inv_tx = sip_tx_ref(tx);
	sip_tx_set_handler(tx, on_xsrv, c);
	b2b_hash_add(b, n);
	if (b->env.leg_made)
		b->env.leg_made(b->env.arg, r->call_id, n->call_id);
	c->xf = xf;
	c->pending++;
	tb_log("info", "transfer_start",
	       "call=%s kind=replaces from_trunk=%s new_call_id=%s", c->id,
	       n->trunk->name, n->call_id);
	if (send_kre(c, n->sdp, n->sdp_len) != 0) {
		respond_n(c, 500, NULL);
		failed(c, 500, PL_NULL);
	}
	b2b_call_unpend(c);
}

/* ---- the end of a call during a transfer ---- */

void b2b_xfer_abort(struct call *c)
{
	struct xfer *xf = c->xf;

	if (!xf || xf->aborted)
		return;
	if (xf->swapped) {
		b2b_xfer_free(c); /* only the re-INVITE was left */
		return;
	}
	notify(c, 487, PL_NULL, true);
	if (xf->kind == XFER_REPLACES) {
		respond_n(c, 487, NULL);
		drop_new_leg(c, xf->n);
		b2b_xfer_free(c);
		return;
	}
	xf->aborted = true;
	if (xf->inv_open && xf->inv_tx) {
		sip_tx_cancel(xf->inv_tx); /* its final answer frees xf */
		return;
	}
	if (xf->connecting == 0) {
		drop_new_leg(c, xf->n);
		b2b_xfer_free(c);
	}
}

void b2b_xfer_retired(struct call *c, struct leg *l, struct sip_msg *m,
                      struct sip_tx *tx)
{
	if (m->method_id == SIP_METHOD_BYE) {
		l->gone = true;
		b2b_reply(c->b, tx, m, l->retired ? 200 : 481, NULL, NULL);
		return;
	}
	b2b_reply(c->b, tx, m, 481, NULL, NULL);
}
