/* tx_int.h: what the transaction layer's .c files share; not an API. */
#ifndef TB_SIP_TX_INT_H
#define TB_SIP_TX_INT_H

#include "sip/tx/sip_tx.h"

/* ------------------------------------------------------------------------
 * Internal: shared by the .c files of src/sip/tx only.
 */

enum tx_kind { TX_ICT, TX_NICT, TX_IST, TX_NIST };

enum tx_timer_id {
	TX_TIMER_A,
	TX_TIMER_B,
	TX_TIMER_D,
	TX_TIMER_E,
	TX_TIMER_F,
	TX_TIMER_G,
	TX_TIMER_H,
	TX_TIMER_I,
	TX_TIMER_J,
	TX_TIMER_K,
	TX_TIMER_L,
	TX_TIMER_M,
	TX_TIMER_CANCEL, /* RFC 3261 9.1: 64*T1 after a CANCEL was sent */
	TX_TIMER_ERR,    /* report a start-time transport error (now) */
};

/* Two timer slots per transaction: no state needs more. */
enum {
	TX_SLOT_RETRANS = 0, /* A, E, G */
	TX_SLOT_STATE = 1,   /* B, D, F, H, I, J, K, L, M, CANCEL, ERR */
};

struct tx_timer {
	uint64_t at;
	uint64_t seq; /* ties: armed first fires first */
	uint32_t pos; /* 1-based heap index, 0 when not armed */
	uint8_t id;   /* enum tx_timer_id */
	struct sip_tx *tx;
};

/* What matches a transaction. Slices point into the transaction's own
 * memory (copied at creation). */
struct tx_key {
	struct pl branch; /* NULL slice for an RFC 2543 request without one */
	struct pl host;   /* top Via sent-by */
	uint16_t port;
	bool has_port;
	bool rfc3261;     /* branch starts with the z9hG4bK cookie */
	struct pl method; /* request method token */
	enum sip_method method_id;
	/* RFC 2543 fallback (server, no cookie) */
	struct pl ruri, from_tag, to_tag, call_id, via;
	uint32_t cseq;
};

/* A transaction. Ownership: see the top of this file (layer reference
 * while live, plus TU references; freed at zero). While live it is in
 * layer->bucket[hash & mask] and its armed timers are in layer->heap. */
struct sip_tx {
	uint32_t refs;
	enum tx_kind kind;
	enum sip_tx_state state;
	struct sip_tx_layer *layer; /* NULL once Terminated */
	struct sip_tx *hnext, **hpprev;
	uint32_t hash;
	struct tx_timer tm[2];
	uint32_t rt_ms; /* current retransmit interval (A, E, G) */
	struct sip_tx_dest dst;
	sip_tx_resp_h *h;
	void *arg;
	struct tx_key key;
	/* client: the request as sent, retransmitted by A/E (in mem[]) */
	char *req;
	size_t req_len;
	/* ICT: the ACK (Completed) or the CANCEL waiting for a 1xx;
	 * server: the last response sent. Grown, never shrunk. */
	char *aux;
	size_t aux_len, aux_cap;
	uint16_t last_status;
	bool cancel_pending; /* ICT: CANCEL built in aux, waiting for 1xx */
	bool cancel_sent;
	char mem[]; /* request copy, then the key strings */
};

struct sip_tx_layer {
	struct sip_tx_config cfg;
	struct sip_tx_env env;
	struct sip_tx **bucket;
	uint32_t mask;
	struct tx_timer **heap;
	uint32_t heap_len, heap_cap;
	uint64_t seq;
	struct sip_tx_stats stats;
};

/* tx_core.c */
uint64_t tx_now(const struct sip_tx_layer *l);
uint32_t tx_hash(struct pl s);
struct sip_tx *tx_alloc(struct sip_tx_layer *l, enum tx_kind kind,
                        const struct sip_tx_dest *dst, const char *req,
                        size_t req_len, const struct tx_key *key,
                        uint32_t hash);
struct sip_tx *tx_bucket(const struct sip_tx_layer *l, uint32_t hash);
void tx_terminate(struct sip_tx *tx);
void tx_fail(struct sip_tx *tx, uint16_t status);
int tx_timer_start(struct sip_tx *tx, int slot, enum tx_timer_id id,
                   uint64_t ms);
void tx_timer_stop(struct sip_tx *tx, int slot);
int tx_send(struct sip_tx *tx, const char *buf, size_t len);
int tx_aux_reserve(struct sip_tx *tx, size_t cap);
int tx_aux_set(struct sip_tx *tx, const char *buf, size_t len);
void tx_deliver(struct sip_tx *tx, uint16_t status, const struct sip_msg *resp);
bool tx_sent_by_eq(const struct tx_key *k, const struct sip_via *v);
bool tx_method_eq(const struct tx_key *k, enum sip_method id, struct pl name);
bool tx_has_cookie(struct pl branch);
int tx_parse_own(const char *buf, size_t len, struct sip_msg *m,
                 struct sip_hdr *hdr);
/* tx_client.c / tx_server.c: timer expiry */
void tx_client_timer(struct sip_tx *tx, enum tx_timer_id id);
void tx_server_timer(struct sip_tx *tx, enum tx_timer_id id);

#define TX_COOKIE      "z9hG4bK"
#define TX_HDR_SCRATCH 128 /* header slots to re-parse our own copies */

#endif
