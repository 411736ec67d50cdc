/* sip_tx.h: the RFC 3261 section 17 transaction layer, with RFC 6026's
 * Accepted state for INVITE client and server transactions.
 *
 * Pure logic: no I/O, no event loop, no globals. The owner injects two
 * callbacks (send bytes to a destination, read a millisecond clock) and
 * drives time itself:
 *
 *   at = sip_tx_next_deadline(l);   -- arm one event-loop timer for `at`
 *   ...when it fires: sip_tx_tick(l);  then re-arm from next_deadline
 *
 * Every layer call may change the next deadline (a new transaction, a
 * response), so the owner re-reads it after each call into the layer.
 *
 * Threading: a layer and all its transactions belong to one thread (one
 * worker's event loop). Nothing here locks; reference counts are plain.
 *
 * Ownership (the rule for struct sip_tx, defined in the internal section):
 *  - The layer holds one reference on every live transaction (from
 *    creation to Terminated). Terminating unlinks it from the hash table
 *    and the timer heap and drops that reference.
 *  - sip_tx_client_start() and a NEW result of sip_tx_recv_request() hand
 *    the caller (the TU) one more reference: the TU calls sip_tx_release()
 *    exactly once when it no longer needs the handle, in any state. The
 *    object is freed when the last reference goes.
 *  - Handles passed to callbacks, and the INVITE transaction returned with
 *    SIP_TX_REQ_CANCEL, are borrowed: valid during the callback, or until
 *    the TU returns to its event loop; take sip_tx_ref() to keep one.
 *  - Releasing a handle does not stop callbacks (fire-and-forget requests
 *    are fine); if the TU's context dies first, it calls
 *    sip_tx_set_handler(tx, NULL, NULL) before releasing.
 *  - Calls on a Terminated transaction are harmless: they fail with
 *    SIP_TX_ESTATE. A handle may outlive its layer (sip_tx_layer_free
 *    terminates every transaction); only sip_tx_release/state getters may
 *    then be called on it.
 *  - Callbacks must not free the layer.
 */
#ifndef TB_SIP_TX_H
#define TB_SIP_TX_H

#include "base/pl.h"
#include "sip/msg/sip_build.h"
#include "sip/msg/sip_msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Where a message goes (client side) or came from (server side, where
 * responses are sent back). Filled by the transport; the layer only copies
 * it and hands it back to env.send. */
struct sip_tx_dest {
	void *conn;    /* the transport's connection (NULL for UDP) */
	bool reliable; /* TCP/TLS/SCTP/WS: the layer never retransmits, and
	                  Timers D, I, J, K are zero (RFC 3261 17.1.1.2,
	                  17.1.2.2, 17.2.1, 17.2.2) */
	struct sockaddr_storage addr; /* peer address */
	socklen_t addrlen;            /* 0 when unknown */
};

struct sip_tx_config {
	uint32_t t1_ms; /* RTT estimate, default 500 */
	uint32_t t2_ms; /* max non-INVITE retransmit interval, default 4000 */
	uint32_t t4_ms; /* max time a message stays in the network, 5000 */
	uint32_t max_transactions; /* live ones; more are refused. 65536 */
};

#define SIP_TX_CONFIG_DEFAULT                                                  \
	((struct sip_tx_config){.t1_ms = 500,                                  \
	                        .t2_ms = 4000,                                 \
	                        .t4_ms = 5000,                                 \
	                        .max_transactions = 65536})

struct sip_tx_env {
	/* Send one message. 0, or -1 on a transport error (the layer then
	 * reports 503 / terminates per RFC 3261 17.1.4 and 17.2.4). The layer
	 * never calls send re-entrantly from inside send. */
	int (*send)(void *arg, const struct sip_tx_dest *dst, const char *buf,
	            size_t len);
	/* Monotonic milliseconds. */
	uint64_t (*now_ms)(void *arg);
	void *arg;
};

struct sip_tx_stats {
	uint64_t created;          /* transactions, client and server */
	uint64_t retransmissions;  /* messages re-sent by the layer: timers
	                              A/E/G, answers to retransmitted requests,
	                              ACKs re-sent for retransmitted finals */
	uint64_t timeouts;         /* Timers B, F, H and the CANCEL guard */
	uint64_t absorbed;         /* retransmitted requests and responses
	                              taken by a transaction (not given to the
	                              TU as new) */
	uint64_t transport_errors; /* send() returned -1 */
	uint64_t refused;          /* over max_transactions */
	uint64_t stray_responses;  /* sip_tx_recv_response NO_MATCH */
	uint32_t live;             /* transactions not yet Terminated */
};

enum sip_tx_state {
	SIP_TX_CALLING = 0, /* INVITE client */
	SIP_TX_TRYING,      /* non-INVITE client and server */
	SIP_TX_PROCEEDING,
	SIP_TX_ACCEPTED, /* RFC 6026: INVITE client and server after a 2xx */
	SIP_TX_COMPLETED,
	SIP_TX_CONFIRMED, /* INVITE server after the ACK */
	SIP_TX_TERMINATED,
};

/* Errors of the int-returning calls. */
enum {
	SIP_TX_OK = 0,
	SIP_TX_ETRANSPORT = -1, /* send failed: the transaction terminated */
	SIP_TX_ESTATE = -2,     /* not allowed in this state / kind */
	SIP_TX_EINVAL = -3,     /* bad argument or message */
	SIP_TX_ENOMEM = -4,
};

#define SIP_TX_NEVER UINT64_MAX

struct sip_tx_layer;
struct sip_tx;

/* Response handler. Client transactions: each response the TU must see
 * (1xx, the final, and RFC 6026 2xx retransmissions in Accepted), with
 * status = resp->status; status 408 and resp NULL on Timer B / Timer F /
 * the CANCEL guard (RFC 3261 9.1: no final 64*T1 after CANCEL); 503 and
 * resp NULL on a transport error. Server transactions: 408 (NULL) when
 * Timer H fires without an ACK, 503 (NULL) when a re-send by the layer
 * fails. */
typedef void sip_tx_resp_h(void *arg, struct sip_tx *tx, uint16_t status,
                           const struct sip_msg *resp);

/* cfg NULL, or any zero field, means the default. env->send and
 * env->now_ms are required. NULL on a bad argument or out of memory. */
struct sip_tx_layer *sip_tx_layer_alloc(const struct sip_tx_config *cfg,
                                        const struct sip_tx_env *env);
/* Terminates every transaction (no callbacks) and frees the layer. */
void sip_tx_layer_free(struct sip_tx_layer *l);
const struct sip_tx_stats *sip_tx_layer_stats(const struct sip_tx_layer *l);

/* Earliest timer deadline (env.now_ms time base), SIP_TX_NEVER if none. */
uint64_t sip_tx_next_deadline(const struct sip_tx_layer *l);
/* Fire every timer due at env.now_ms(). */
void sip_tx_tick(struct sip_tx_layer *l);

/* ---- client transactions (RFC 3261 17.1) ---- */

/* Start a client transaction for a request the TU built: (req, len) is
 * copied (it is what gets retransmitted) and sent at once to dst; parsed
 * is that request parsed (its top Via branch, sent-by and method key the
 * transaction; they are copied). ACK is refused (a 2xx ACK is no
 * transaction; non-2xx ACKs are the layer's). Returns a handle holding a
 * reference for the caller, or NULL (bad request, no branch, over the
 * limit, no memory). A send failure is reported as 503 through h from the
 * next sip_tx_tick (never from inside this call). */
struct sip_tx *sip_tx_client_start(struct sip_tx_layer *l,
                                   const struct sip_tx_dest *dst,
                                   const char *req, size_t len,
                                   const struct sip_msg *parsed,
                                   sip_tx_resp_h *h, void *arg);

enum sip_tx_rsp_result {
	SIP_TX_RSP_NO_MATCH = 0, /* stray or late: the TU may take a 2xx to
	                            INVITE itself (RFC 6026) */
	SIP_TX_RSP_MATCHED,      /* a client transaction took it */
};

/* Match a received response (RFC 3261 17.1.3: top Via branch and sent-by,
 * CSeq method) and run the client state machine. */
enum sip_tx_rsp_result sip_tx_recv_response(struct sip_tx_layer *l,
                                            const struct sip_msg *resp);

/* CANCEL an INVITE client transaction (RFC 3261 9.1): built from the
 * INVITE (Request-URI, Call-ID, From, To, CSeq number, top Via, Route),
 * sent as its own non-INVITE client transaction once a provisional
 * response has arrived (remembered until then). reason, if set, is the
 * value of a Reason header (RFC 3326) to add. 0, SIP_TX_ESTATE when it is
 * too late (a final response came) or not an INVITE client transaction,
 * SIP_TX_ENOMEM. Cancelling twice is a no-op returning 0. */
int sip_tx_cancel(struct sip_tx *tx);
int sip_tx_cancel_reason(struct sip_tx *tx, struct pl reason);

/* ---- server transactions (RFC 3261 17.2) ---- */

enum sip_tx_req_result {
	SIP_TX_REQ_NEW = 0,         /* *txp: a new server transaction, with a
	                               reference for the TU; for INVITE the
	                               layer already sent 100 Trying */
	SIP_TX_REQ_RETRANSMISSION,  /* absorbed; last response re-sent if any */
	SIP_TX_REQ_ACK_ABSORBED,    /* ACK of a non-2xx final (Completed ->
	                               Confirmed), or a repeat of one */
	SIP_TX_REQ_CANCEL,          /* matched a pending INVITE server tx: the
	                               layer answered 200 to the CANCEL; *txp is
	                               that INVITE tx (borrowed): the TU answers
	                               it 487 */
	SIP_TX_REQ_CANCEL_ANSWERED, /* CANCEL the layer answered alone: 200
	                               when the INVITE already had its final
	                               response, 481 when nothing matched */
	SIP_TX_REQ_NO_MATCH_ACK,    /* an ACK for a 2xx (or any unmatched ACK):
	                               for the dialog layer / TU */
	SIP_TX_REQ_OVERLOAD,        /* over max_transactions: nothing sent; the
	                               TU may answer 503 statelessly */
	SIP_TX_REQ_INVALID,         /* not a request / no memory */
};

/* Match a received request (RFC 3261 17.2.3, with the RFC 2543 fallback
 * when the top Via branch lacks the z9hG4bK cookie) and run the server
 * state machine. src is where it came from: responses go there. *txp is
 * set for NEW and CANCEL, NULL otherwise. */
enum sip_tx_req_result sip_tx_recv_request(struct sip_tx_layer *l,
                                           const struct sip_tx_dest *src,
                                           const struct sip_msg *req,
                                           struct sip_tx **txp);

/* Send a response the TU built (use sip_tx_response_head) and drive the
 * server state machine: 1xx stays Proceeding; 2xx to INVITE -> Accepted
 * (Timer L; later 2xx re-sends from the TU are allowed there); other
 * finals -> Completed (INVITE: Timer G over unreliable transports and H;
 * non-INVITE: Timer J). The bytes are copied. 0, SIP_TX_ETRANSPORT (the
 * transaction terminated), SIP_TX_ESTATE, SIP_TX_EINVAL, SIP_TX_ENOMEM. */
int sip_tx_respond(struct sip_tx *tx, uint16_t status, const char *buf,
                   size_t len);

/* ---- handles ---- */

struct sip_tx *sip_tx_ref(struct sip_tx *tx);
void sip_tx_release(struct sip_tx *tx);
/* Replace the handler (server transactions start with none). */
void sip_tx_set_handler(struct sip_tx *tx, sip_tx_resp_h *h, void *arg);
void *sip_tx_arg(const struct sip_tx *tx);
enum sip_tx_state sip_tx_state(const struct sip_tx *tx);
bool sip_tx_is_server(const struct sip_tx *tx);
enum sip_method sip_tx_method(const struct sip_tx *tx);
const struct sip_tx_dest *sip_tx_dest(const struct sip_tx *tx);
const char *sip_tx_state_name(enum sip_tx_state s);

/* ---- builders (used by the layer; public for the TU) ---- */

/* The head of a response to req (RFC 3261 8.2.6): status line, every Via
 * (the top one gets ;received= and a filled ;rport= from src per RFC 3261
 * 18.2.1 / RFC 3581 when src is given), From, To (with ;tag=to_tag added
 * when the request's To has none and to_tag is set), Call-ID, CSeq. The
 * caller adds its own fields and calls sip_build_finish. */
void sip_tx_response_head(struct sip_build *b, const struct sip_msg *req,
                          const struct sip_tx_dest *src, uint16_t status,
                          struct pl reason, struct pl to_tag);
/* A buffer size that holds the head above plus extra bytes. */
size_t sip_tx_response_bound(const struct sip_msg *req, struct pl to_tag,
                             size_t extra);

/* ACK for a non-2xx final response (RFC 3261 17.1.1.3) and CANCEL (9.1)
 * of invite, into (buf, cap). Return the length, 0 when it does not fit.
 * A buffer of sip_tx_request_bound() bytes always fits. */
size_t sip_tx_build_ack(char *buf, size_t cap, const struct sip_msg *invite,
                        const struct sip_msg *resp);
size_t sip_tx_build_cancel(char *buf, size_t cap, const struct sip_msg *invite,
                           struct pl reason);
size_t sip_tx_request_bound(const struct sip_msg *invite,
                            const struct sip_msg *resp, struct pl reason);

#endif
