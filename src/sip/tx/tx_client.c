/* tx_client.c: client transactions (RFC 3261 17.1, RFC 6026 7.2).
 *
 * INVITE (figure 5 as amended by RFC 6026):
 *   Calling    --1xx--> Proceeding    (Timer A stops; so does B)
 *   Calling/Proceeding --2xx--> Accepted  (Timer M = 64*T1; every 2xx,
 *                                          first and retransmitted, goes
 *                                          to the TU, which ACKs it)
 *   Calling/Proceeding --300-699--> Completed (ACK sent by us; Timer D:
 *                                          32 s unreliable, 0 reliable)
 *   Calling --Timer B (64*T1)--> Terminated, 408 to the TU
 * non-INVITE (figure 6):
 *   Trying --1xx--> Proceeding; Trying/Proceeding --final--> Completed
 *   (Timer K: T4 unreliable, 0 reliable); Timer E retransmits
 *   (min(2^n*T1, T2) in Trying, T2 in Proceeding); Timer F (64*T1) -> 408.
 */
#include "sip/tx/tx_int.h"

#include <string.h>

#define TIMER_D_MS 32000u

static uint64_t t64(const struct sip_tx_layer *l)
{
	return 64ull * l->cfg.t1_ms;
}

/* First send and the timers of Calling / Trying. A send failure is
 * reported from the next tick (Timer "ERR" armed at now), never from
 * inside the TU's call. */
static void launch(struct sip_tx *tx)
{
	struct sip_tx_layer *l = tx->layer;

	tx->state = tx->kind == TX_ICT ? SIP_TX_CALLING : SIP_TX_TRYING;
	if (tx_send(tx, tx->req, tx->req_len)) {
		tx_timer_start(tx, TX_SLOT_STATE, TX_TIMER_ERR, 0);
		return;
	}
	if (!tx->dst.reliable) {
		tx->rt_ms = l->cfg.t1_ms;
		tx_timer_start(tx, TX_SLOT_RETRANS,
		               tx->kind == TX_ICT ? TX_TIMER_A : TX_TIMER_E,
		               tx->rt_ms);
	}
	tx_timer_start(tx, TX_SLOT_STATE,
	               tx->kind == TX_ICT ? TX_TIMER_B : TX_TIMER_F, t64(l));
}

struct sip_tx *sip_tx_client_start(struct sip_tx_layer *l,
                                   const struct sip_tx_dest *dst,
                                   const char *req, size_t len,
                                   const struct sip_msg *parsed,
                                   sip_tx_resp_h *h, void *arg)
{
	struct tx_key key;
	struct sip_tx *tx;

	if (!l || !dst || !req || !len || !parsed || !parsed->request ||
	    parsed->method_id == SIP_METHOD_ACK || !parsed->via.branch.p)
		return NULL;
	if (l->stats.live >= l->cfg.max_transactions) {
		l->stats.refused++;
		return NULL;
	}
	memset(&key, 0, sizeof(key));
	key.branch = parsed->via.branch;
	key.host = parsed->via.host;
	key.port = parsed->via.port;
	key.has_port = parsed->via.has_port;
	key.rfc3261 = tx_has_cookie(key.branch);
	key.method = parsed->method;
	key.method_id = parsed->method_id;
	key.cseq = parsed->cseq;
	tx = tx_alloc(l,
	              parsed->method_id == SIP_METHOD_INVITE ? TX_ICT : TX_NICT,
	              dst, req, len, &key, tx_hash(key.branch));
	if (!tx)
		return NULL;
	tx->h = h;
	tx->arg = arg;
	sip_tx_ref(tx); /* the TU's */
	launch(tx);
	return tx;
}

/* The CANCEL waiting in aux goes out as its own non-INVITE client
 * transaction: same branch and sent-by, method CANCEL. Owned by the layer
 * alone; its responses concern no one. RFC 3261 9.1: if the INVITE gets
 * no final response within 64*T1 of the CANCEL, it is given up. */
static void cancel_send(struct sip_tx *tx)
{
	struct sip_tx_layer *l = tx->layer;
	struct tx_key key = tx->key;
	struct sip_tx *c;

	tx->cancel_pending = false;
	tx->cancel_sent = true;
	key.method = PL("CANCEL");
	key.method_id = SIP_METHOD_CANCEL;
	c = tx_alloc(l, TX_NICT, &tx->dst, tx->aux, tx->aux_len, &key,
	             tx->hash);
	tx->aux_len = 0;
	if (c)
		launch(c);
	tx_timer_start(tx, TX_SLOT_STATE, TX_TIMER_CANCEL, t64(l));
}

int sip_tx_cancel_reason(struct sip_tx *tx, struct pl reason)
{
	struct sip_hdr hdr[TX_HDR_SCRATCH];
	struct sip_msg inv;
	size_t cap, n;

	if (!tx || tx->kind != TX_ICT || !tx->layer)
		return SIP_TX_ESTATE;
	if (tx->cancel_pending || tx->cancel_sent)
		return SIP_TX_OK;
	if (tx->state != SIP_TX_CALLING && tx->state != SIP_TX_PROCEEDING)
		return SIP_TX_ESTATE;
	if (tx_parse_own(tx->req, tx->req_len, &inv, hdr))
		return SIP_TX_EINVAL;
	cap = sip_tx_request_bound(&inv, NULL, reason);
	if (tx_aux_reserve(tx, cap))
		return SIP_TX_ENOMEM;
	n = sip_tx_build_cancel(tx->aux, tx->aux_cap, &inv, reason);
	if (!n)
		return SIP_TX_EINVAL;
	tx->aux_len = n;
	tx->cancel_pending = true;
	if (tx->state == SIP_TX_PROCEEDING)
		cancel_send(tx);
	return SIP_TX_OK;
}

int sip_tx_cancel(struct sip_tx *tx)
{
	return sip_tx_cancel_reason(tx, PL_NULL);
}

/* Completed: build and send the ACK for a 300-699 (17.1.1.3). Kept in aux
 * for the retransmitted finals. */
static void ack_send(struct sip_tx *tx, const struct sip_msg *resp)
{
	struct sip_hdr hdr[TX_HDR_SCRATCH];
	struct sip_msg inv;
	size_t n;

	tx->aux_len = 0;
	if (tx_parse_own(tx->req, tx->req_len, &inv, hdr) ||
	    tx_aux_reserve(tx, sip_tx_request_bound(&inv, resp, PL_NULL)))
		return;
	n = sip_tx_build_ack(tx->aux, tx->aux_cap, &inv, resp);
	if (!n)
		return;
	tx->aux_len = n;
	tx_send(tx, tx->aux, tx->aux_len);
}

static void ict_response(struct sip_tx *tx, const struct sip_msg *resp)
{
	struct sip_tx_layer *l = tx->layer;
	uint16_t sc = resp->status;

	switch (tx->state) {
	case SIP_TX_CALLING:
	case SIP_TX_PROCEEDING:
		if (sc < 200) {
			if (tx->state == SIP_TX_CALLING) {
				tx->state = SIP_TX_PROCEEDING;
				tx_timer_stop(tx, TX_SLOT_RETRANS);
				tx_timer_stop(tx, TX_SLOT_STATE);
			}
			if (tx->cancel_pending)
				cancel_send(tx);
			tx_deliver(tx, sc, resp);
			return;
		}
		tx_timer_stop(tx, TX_SLOT_RETRANS);
		tx_timer_stop(tx, TX_SLOT_STATE);
		tx->cancel_pending = false;
		if (sc < 300) {
			tx->state = SIP_TX_ACCEPTED;
			tx_timer_start(tx, TX_SLOT_STATE, TX_TIMER_M, t64(l));
			tx_deliver(tx, sc, resp);
			return;
		}
		tx->state = SIP_TX_COMPLETED;
		ack_send(tx, resp);
		if (!tx->dst.reliable)
			tx_timer_start(tx, TX_SLOT_STATE, TX_TIMER_D,
			               TIMER_D_MS);
		tx_deliver(tx, sc, resp);
		if (tx->dst.reliable)
			tx_terminate(tx);
		return;
	case SIP_TX_ACCEPTED:
		/* RFC 6026 7.2: every 2xx goes to the TU (it ACKs them) */
		if (sc >= 200 && sc < 300)
			tx_deliver(tx, sc, resp);
		else
			l->stats.absorbed++;
		return;
	case SIP_TX_COMPLETED:
		l->stats.absorbed++;
		if (sc >= 300 && tx->aux_len &&
		    tx_send(tx, tx->aux, tx->aux_len) == 0)
			l->stats.retransmissions++;
		return;
	default:
		return;
	}
}

static void nict_response(struct sip_tx *tx, const struct sip_msg *resp)
{
	struct sip_tx_layer *l = tx->layer;
	uint16_t sc = resp->status;

	switch (tx->state) {
	case SIP_TX_TRYING:
	case SIP_TX_PROCEEDING:
		if (sc < 200) {
			tx->state = SIP_TX_PROCEEDING;
			tx_deliver(tx, sc, resp);
			return;
		}
		tx->state = SIP_TX_COMPLETED;
		tx_timer_stop(tx, TX_SLOT_RETRANS);
		tx_timer_stop(tx, TX_SLOT_STATE);
		if (!tx->dst.reliable)
			tx_timer_start(tx, TX_SLOT_STATE, TX_TIMER_K,
			               l->cfg.t4_ms);
		tx_deliver(tx, sc, resp);
		if (tx->dst.reliable)
			tx_terminate(tx);
		return;
	case SIP_TX_COMPLETED:
		l->stats.absorbed++;
		return;
	default:
		return;
	}
}

enum sip_tx_rsp_result sip_tx_recv_response(struct sip_tx_layer *l,
                                            const struct sip_msg *resp)
{
	struct sip_tx *tx;
	struct pl br;

	if (!l || !resp)
		return SIP_TX_RSP_NO_MATCH;
	br = resp->via.branch;
	if (resp->request || !br.p || resp->status < 100 ||
	    resp->status > 699) {
		l->stats.stray_responses++;
		return SIP_TX_RSP_NO_MATCH;
	}
	/* 17.1.3: top Via branch (and sent-by), CSeq method */
	for (tx = tx_bucket(l, tx_hash(br)); tx; tx = tx->hnext) {
		if ((tx->kind == TX_ICT || tx->kind == TX_NICT) &&
		    pl_eq(tx->key.branch, br) &&
		    tx_method_eq(&tx->key, resp->cseq_method_id,
		                 resp->cseq_method) &&
		    tx_sent_by_eq(&tx->key, &resp->via))
			break;
	}
	if (!tx) {
		l->stats.stray_responses++;
		return SIP_TX_RSP_NO_MATCH;
	}
	sip_tx_ref(tx);
	if (tx->kind == TX_ICT)
		ict_response(tx, resp);
	else
		nict_response(tx, resp);
	sip_tx_release(tx);
	return SIP_TX_RSP_MATCHED;
}

void tx_client_timer(struct sip_tx *tx, enum tx_timer_id id)
{
	struct sip_tx_layer *l = tx->layer;

	switch (id) {
	case TX_TIMER_A:
		if (tx->state != SIP_TX_CALLING)
			return;
		if (tx_send(tx, tx->req, tx->req_len)) {
			tx_fail(tx, 503);
			return;
		}
		l->stats.retransmissions++;
		tx->rt_ms *= 2; /* 17.1.1.2: doubles, no T2 cap for INVITE */
		tx_timer_start(tx, TX_SLOT_RETRANS, TX_TIMER_A, tx->rt_ms);
		return;
	case TX_TIMER_E:
		if (tx->state != SIP_TX_TRYING &&
		    tx->state != SIP_TX_PROCEEDING)
			return;
		if (tx_send(tx, tx->req, tx->req_len)) {
			tx_fail(tx, 503);
			return;
		}
		l->stats.retransmissions++;
		if (tx->state == SIP_TX_PROCEEDING)
			tx->rt_ms = l->cfg.t2_ms;
		else if (2 * tx->rt_ms < l->cfg.t2_ms)
			tx->rt_ms *= 2;
		else
			tx->rt_ms = l->cfg.t2_ms;
		tx_timer_start(tx, TX_SLOT_RETRANS, TX_TIMER_E, tx->rt_ms);
		return;
	case TX_TIMER_B:
	case TX_TIMER_F:
	case TX_TIMER_CANCEL:
		l->stats.timeouts++;
		tx_fail(tx, 408);
		return;
	case TX_TIMER_ERR:
		tx_fail(tx, 503);
		return;
	default: /* D, K, M */
		tx_terminate(tx);
		return;
	}
}
