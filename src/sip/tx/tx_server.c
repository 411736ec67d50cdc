/* tx_server.c: server transactions (RFC 3261 17.2, RFC 6026 7.1).
 *
 * INVITE (figure 7 as amended by RFC 6026):
 *   created in Proceeding, "100 Trying" sent at once (17.2.1)
 *   Proceeding --TU 1xx--> Proceeding; --TU 2xx--> Accepted (Timer L =
 *   64*T1: retransmitted INVITEs absorbed, ACKs and the TU's own 2xx
 *   re-sends pass); --TU 300-699--> Completed (Timer G from T1 doubling
 *   to T2 over unreliable transports, Timer H = 64*T1: 408 to the TU)
 *   Completed --ACK--> Confirmed (Timer I: T4 unreliable, 0 reliable)
 * non-INVITE (figure 8):
 *   Trying --TU 1xx--> Proceeding --TU final--> Completed (Timer J: 64*T1
 *   unreliable, 0 reliable). Retransmitted requests get the last
 *   response again (none in Trying).
 * CANCEL (9.2) is a non-INVITE server transaction the layer answers
 * itself: 200 when it matches a transaction, 481 otherwise.
 */
#include "sip/tx/tx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t t64(const struct sip_tx_layer *l)
{
	return 64ull * l->cfg.t1_ms;
}

enum want {
	WANT_SAME,   /* same method (retransmission) */
	WANT_INVITE, /* ACK -> its INVITE */
	WANT_TARGET, /* CANCEL -> any transaction but a CANCEL (9.2) */
};

static bool method_ok(const struct sip_tx *tx, const struct sip_msg *req,
                      enum want w)
{
	switch (w) {
	case WANT_INVITE:
		return tx->key.method_id == SIP_METHOD_INVITE;
	case WANT_TARGET:
		return tx->key.method_id != SIP_METHOD_CANCEL;
	default:
		return tx_method_eq(&tx->key, req->method_id, req->method);
	}
}

/* The To tag of the last response the transaction sent (a slice of its
 * aux buffer), NULL slice if none. */
static struct pl last_to_tag(const struct sip_tx *tx, struct sip_msg *m,
                             struct sip_hdr *hdr)
{
	if (!tx->aux_len || tx_parse_own(tx->aux, tx->aux_len, m, hdr))
		return PL_NULL;
	return m->to.tag;
}

static bool ruri_eq(const struct tx_key *k, const struct sip_msg *req)
{
	struct sip_uri u;

	if (pl_eq(k->ruri, req->ruri_pl))
		return true;
	return sip_uri_parse(&u, k->ruri) == 0 && sip_uri_eq(&u, &req->ruri);
}

/* RFC 3261 17.2.3, requests without the magic cookie: Request-URI, To tag,
 * From tag, Call-ID, CSeq, top Via; an ACK's To tag is compared with the
 * To tag of the response the transaction sent. */
static bool match_2543(const struct sip_tx *tx, const struct sip_msg *req,
                       enum want w)
{
	const struct tx_key *k = &tx->key;

	if (!pl_eq(k->call_id, req->call_id) || k->cseq != req->cseq ||
	    !pl_eq(k->from_tag, req->from.tag) ||
	    !pl_eq(k->via, req->via.value) || !ruri_eq(k, req) ||
	    !method_ok(tx, req, w))
		return false;
	if (w == WANT_INVITE && !k->to_tag.p) {
		struct sip_hdr hdr[TX_HDR_SCRATCH];
		struct sip_msg m;
		struct pl tag = last_to_tag(tx, &m, hdr);
		return pl_eq(tag, req->to.tag);
	}
	return pl_eq(k->to_tag, req->to.tag);
}

static struct sip_tx *server_find(const struct sip_tx_layer *l,
                                  const struct sip_msg *req, enum want w)
{
	struct pl br = req->via.branch;
	struct sip_tx *tx;

	if (tx_has_cookie(br)) {
		for (tx = tx_bucket(l, tx_hash(br)); tx; tx = tx->hnext) {
			if ((tx->kind == TX_IST || tx->kind == TX_NIST) &&
			    tx->key.rfc3261 && pl_eq(tx->key.branch, br) &&
			    tx_sent_by_eq(&tx->key, &req->via) &&
			    method_ok(tx, req, w))
				return tx;
		}
		return NULL;
	}
	for (tx = tx_bucket(l, tx_hash(req->call_id)); tx; tx = tx->hnext) {
		if ((tx->kind == TX_IST || tx->kind == TX_NIST) &&
		    !tx->key.rfc3261 && match_2543(tx, req, w))
			return tx;
	}
	return NULL;
}

static struct sip_tx *server_create(struct sip_tx_layer *l,
                                    const struct sip_tx_dest *src,
                                    const struct sip_msg *req)
{
	struct tx_key key;
	bool cookie = tx_has_cookie(req->via.branch);

	memset(&key, 0, sizeof(key));
	key.branch = req->via.branch;
	key.host = req->via.host;
	key.port = req->via.port;
	key.has_port = req->via.has_port;
	key.rfc3261 = cookie;
	key.method = req->method;
	key.method_id = req->method_id;
	key.cseq = req->cseq;
	if (!cookie) {
		key.ruri = req->ruri_pl;
		key.from_tag = req->from.tag;
		key.to_tag = req->to.tag;
		key.call_id = req->call_id;
		key.via = req->via.value;
	}
	return tx_alloc(
	        l, req->method_id == SIP_METHOD_INVITE ? TX_IST : TX_NIST, src,
	        NULL, 0, &key, tx_hash(cookie ? key.branch : key.call_id));
}

/* Build a response of ours (100, or the answer to a CANCEL) into the
 * transaction's aux buffer and send it. */
static int own_response(struct sip_tx *tx, const struct sip_msg *req,
                        const struct sip_tx_dest *src, uint16_t status,
                        struct pl to_tag)
{
	struct sip_build b;
	const struct sip_hdr *ts = sip_msg_hdr(req, SIP_HDR_TIMESTAMP);
	size_t n;

	if (tx_aux_reserve(tx, sip_tx_response_bound(req, to_tag, 0)))
		return -1;
	sip_build_init(&b, tx->aux, tx->aux_cap);
	sip_tx_response_head(&b, req, src, status, PL_NULL, to_tag);
	if (status == 100 && ts) /* 8.2.6.1 */
		sip_build_copy(&b, ts);
	n = sip_build_finish(&b, PL_NULL);
	if (!n)
		return -1;
	tx->aux_len = n;
	tx->last_status = status;
	return tx_send(tx, tx->aux, n);
}

/* A retransmitted request: re-send the last response, if the state
 * calls for it. */
static void absorb(struct sip_tx *tx)
{
	struct sip_tx_layer *l = tx->layer;
	bool resend;

	/* INVITE: Proceeding (the last 1xx) and Completed (the final); not
	 * Accepted (the TU re-sends its 2xx) nor Confirmed. Non-INVITE:
	 * Proceeding and Completed; nothing was sent in Trying. */
	l->stats.absorbed++;
	resend =
	        tx->state == SIP_TX_PROCEEDING || tx->state == SIP_TX_COMPLETED;
	if (!resend || !tx->aux_len)
		return;
	if (tx_send(tx, tx->aux, tx->aux_len)) {
		tx_fail(tx, 503);
		return;
	}
	l->stats.retransmissions++;
}

static enum sip_tx_req_result recv_ack(struct sip_tx_layer *l,
                                       const struct sip_msg *req)
{
	struct sip_tx *tx = server_find(l, req, WANT_INVITE);

	if (!tx)
		return SIP_TX_REQ_NO_MATCH_ACK;
	switch (tx->state) {
	case SIP_TX_COMPLETED:
		tx->state = SIP_TX_CONFIRMED;
		tx_timer_stop(tx, TX_SLOT_RETRANS);
		tx_timer_stop(tx, TX_SLOT_STATE);
		l->stats.absorbed++;
		if (tx->dst.reliable)
			tx_terminate(tx);
		else
			tx_timer_start(tx, TX_SLOT_STATE, TX_TIMER_I,
			               l->cfg.t4_ms);
		return SIP_TX_REQ_ACK_ABSORBED;
	case SIP_TX_ACCEPTED:
		/* RFC 6026 7.1: the ACK of a 2xx goes to the TU */
		return SIP_TX_REQ_NO_MATCH_ACK;
	default: /* Confirmed: a repeated ACK; Proceeding: a stray one */
		l->stats.absorbed++;
		return SIP_TX_REQ_ACK_ABSORBED;
	}
}

/* A tag for our answer to a CANCEL when no response carried one yet:
 * derived from the transaction key, so retransmissions agree. */
static struct pl made_tag(char *buf, size_t cap, const struct sip_msg *req)
{
	uint32_t h = tx_hash(req->call_id) ^ (tx_hash(req->via.branch) * 31u) ^
	             req->cseq;
	int n = snprintf(buf, cap, "tb%08x", (unsigned)h);

	return pl_make(buf, n > 0 ? (size_t)n : 0);
}

static enum sip_tx_req_result recv_cancel(struct sip_tx_layer *l,
                                          const struct sip_tx_dest *src,
                                          const struct sip_msg *req,
                                          struct sip_tx **txp)
{
	struct sip_hdr hdr[TX_HDR_SCRATCH];
	struct sip_msg m;
	struct sip_tx *target, *c;
	struct pl tag = PL_NULL;
	char tagbuf[16];
	uint16_t status;

	target = server_find(l, req, WANT_TARGET);
	if (l->stats.live >= l->cfg.max_transactions) {
		l->stats.refused++;
		return SIP_TX_REQ_OVERLOAD;
	}
	c = server_create(l, src, req);
	if (!c)
		return SIP_TX_REQ_INVALID;
	status = target ? 200 : 481;
	if (!req->to.tag.p) {
		/* 9.2: the same To tag as the response to the original */
		if (target)
			tag = last_to_tag(target, &m, hdr);
		if (!tag.p)
			tag = made_tag(tagbuf, sizeof(tagbuf), req);
	}
	c->state = SIP_TX_COMPLETED;
	if (own_response(c, req, src, status, tag)) {
		tx_terminate(c);
	} else if (c->dst.reliable) {
		tx_terminate(c);
	} else {
		tx_timer_start(c, TX_SLOT_STATE, TX_TIMER_J, t64(l));
	}
	if (target && target->kind == TX_IST &&
	    target->state == SIP_TX_PROCEEDING) {
		*txp = target;
		return SIP_TX_REQ_CANCEL;
	}
	return SIP_TX_REQ_CANCEL_ANSWERED;
}

enum sip_tx_req_result sip_tx_recv_request(struct sip_tx_layer *l,
                                           const struct sip_tx_dest *src,
                                           const struct sip_msg *req,
                                           struct sip_tx **txp)
{
	struct sip_tx *tx, *dummy;

	if (!txp)
		txp = &dummy;
	*txp = NULL;
	if (!l || !src || !req || !req->request)
		return SIP_TX_REQ_INVALID;
	if (req->method_id == SIP_METHOD_ACK)
		return recv_ack(l, req);

	tx = server_find(l, req, WANT_SAME);
	if (tx) {
		sip_tx_ref(tx);
		absorb(tx);
		sip_tx_release(tx);
		return SIP_TX_REQ_RETRANSMISSION;
	}
	if (req->method_id == SIP_METHOD_CANCEL)
		return recv_cancel(l, src, req, txp);

	if (l->stats.live >= l->cfg.max_transactions) {
		l->stats.refused++;
		return SIP_TX_REQ_OVERLOAD;
	}
	tx = server_create(l, src, req);
	if (!tx)
		return SIP_TX_REQ_INVALID;
	sip_tx_ref(tx); /* the TU's */
	if (tx->kind == TX_IST) {
		tx->state = SIP_TX_PROCEEDING;
		/* 17.2.1: 100 Trying at once. A failed send is counted and
		 * otherwise ignored: the TU's own response will fail too. */
		own_response(tx, req, src, 100, PL_NULL);
	} else {
		tx->state = SIP_TX_TRYING;
	}
	*txp = tx;
	return SIP_TX_REQ_NEW;
}

static int send_or_fail(struct sip_tx *tx)
{
	if (tx_send(tx, tx->aux, tx->aux_len)) {
		sip_tx_ref(tx);
		tx_terminate(tx);
		sip_tx_release(tx);
		return SIP_TX_ETRANSPORT;
	}
	return SIP_TX_OK;
}

int sip_tx_respond(struct sip_tx *tx, uint16_t status, const char *buf,
                   size_t len)
{
	struct sip_tx_layer *l;
	int rc;

	if (!tx || !buf || !len || status < 100 || status > 699)
		return SIP_TX_EINVAL;
	l = tx->layer;
	if (!l || (tx->kind != TX_IST && tx->kind != TX_NIST))
		return SIP_TX_ESTATE;

	if (tx->kind == TX_IST) {
		if (tx->state == SIP_TX_ACCEPTED && status >= 200 &&
		    status < 300) {
			/* RFC 6026 7.1: the TU's 2xx retransmissions */
			if (tx_aux_set(tx, buf, len))
				return SIP_TX_ENOMEM;
			return send_or_fail(tx);
		}
		if (tx->state != SIP_TX_PROCEEDING)
			return SIP_TX_ESTATE;
		if (tx_aux_set(tx, buf, len))
			return SIP_TX_ENOMEM;
		tx->last_status = status;
		if (status >= 200 && status < 300) {
			tx->state = SIP_TX_ACCEPTED;
			tx_timer_start(tx, TX_SLOT_STATE, TX_TIMER_L, t64(l));
		} else if (status >= 300) {
			tx->state = SIP_TX_COMPLETED;
			if (!tx->dst.reliable) {
				tx->rt_ms = l->cfg.t1_ms;
				tx_timer_start(tx, TX_SLOT_RETRANS, TX_TIMER_G,
				               tx->rt_ms);
			}
			tx_timer_start(tx, TX_SLOT_STATE, TX_TIMER_H, t64(l));
		}
		rc = send_or_fail(tx);
		if (rc == SIP_TX_OK && tx->state == SIP_TX_ACCEPTED &&
		    tx->dst.reliable) {
			/* a 2xx is never re-sent over a reliable transport
			 * (RFC 3261 17.2.1): the copy need not wait out
			 * Timer L; a repeated INVITE is still absorbed */
			free(tx->aux);
			tx->aux = NULL;
			tx->aux_len = tx->aux_cap = 0;
		}
		return rc;
	}

	if (tx->state != SIP_TX_TRYING && tx->state != SIP_TX_PROCEEDING)
		return SIP_TX_ESTATE;
	if (tx_aux_set(tx, buf, len))
		return SIP_TX_ENOMEM;
	tx->last_status = status;
	if (status < 200) {
		tx->state = SIP_TX_PROCEEDING;
		return send_or_fail(tx);
	}
	tx->state = SIP_TX_COMPLETED;
	if (!tx->dst.reliable)
		tx_timer_start(tx, TX_SLOT_STATE, TX_TIMER_J, t64(l));
	rc = send_or_fail(tx);
	if (rc == SIP_TX_OK && tx->dst.reliable) {
		sip_tx_ref(tx);
		tx_terminate(tx);
		sip_tx_release(tx);
	}
	return rc;
}

void tx_server_timer(struct sip_tx *tx, enum tx_timer_id id)
{
	struct sip_tx_layer *l = tx->layer;

	switch (id) {
	case TX_TIMER_G:
		if (tx->state != SIP_TX_COMPLETED)
			return;
		if (tx_send(tx, tx->aux, tx->aux_len)) {
			tx_fail(tx, 503);
			return;
		}
		l->stats.retransmissions++;
		tx->rt_ms = 2 * tx->rt_ms < l->cfg.t2_ms ? 2 * tx->rt_ms
		                                         : l->cfg.t2_ms;
		tx_timer_start(tx, TX_SLOT_RETRANS, TX_TIMER_G, tx->rt_ms);
		return;
	case TX_TIMER_H:
		/* 17.2.1: the ACK never came: a transaction failure */
		l->stats.timeouts++;
		tx_fail(tx, 408);
		return;
	default: /* I, J, L */
		tx_terminate(tx);
		return;
	}
}
