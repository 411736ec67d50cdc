/* b2b_int.h: the B2BUA's private structures (b2b.c, call.c, leg.c). */
#ifndef TB_B2B_B2B_INT_H
#define TB_B2B_B2B_INT_H

#include "b2b/b2b.h"
#include "b2b/number.h"
#include "sip/msg/sip_build.h"
#include "sip/msg/sip_decode.h"
#include "trunk/cidr.h"

#include <event2/event.h>

#define B2B_BUCKETS   65536u
#define B2B_MSG_MAX   16384 /* one message we build */
#define B2B_HDRS      256   /* header slots when re-parsing a saved copy */
#define B2B_MAX_TRUNK 64

struct call;
struct leg;

/* Per-trunk counters that outlive config generations (found by name). */
struct trunk_use {
	char name[64];
	uint32_t active;    /* calls in or out on this trunk */
	uint64_t win_start; /* max_call_rate window start, ms */
	uint32_t win_count; /* calls started in that window */
};

struct b2b {
	struct b2b_env env;
	struct tb_config *cfg; /* generation for new calls */
	struct route_table *routes;
	struct cidr_set *allow; /* every trunk's allow list -> its index */
	int open_trunk;         /* first trunk without a list, or -1 */
	struct tls_profile *tls[B2B_MAX_TRUNK];
	struct leg **bucket; /* by our tag */
	struct call *calls;  /* every live call (list) */
	struct trunk_use use[B2B_MAX_TRUNK];
	size_t n_use;
	struct b2b_stats st;
	char seed[12]; /* random hex, prefix of our tags and branches */
	uint64_t seq;
	bool closing; /* b2b_shutdown ran: no more sending */
	/* every message a call builds is built here, then copied by the
	 * transaction layer or written to the connection: one loop, one
	 * message at a time, nothing allocated per message */
	char msg[B2B_MSG_MAX];
};

/* One side of a call: one dialog. */
struct leg {
	struct call *c;
	struct leg *hnext; /* bucket chain */
	struct leg *lnext; /* every leg of the call (c->legs) */
	bool is_a;         /* the leg that called in (we are its UAS) */
	bool hashed;
	char ltag[32]; /* our tag */
	char *call_id;
	char *rtag;       /* the peer's tag, NULL until known */
	char *local_uri;  /* "<uri>" of our side (A: its To; B: our From) */
	char *remote_uri; /* "<uri>" of the peer (A: its From; B: To) */
	char *target;     /* the peer's Contact URI */
	char *routes;     /* Route header value (route set), NULL: none */
	char *contact;    /* our Contact header value on this leg */
	uint32_t lcseq;   /* last CSeq we sent */
	uint32_t rseq;    /* A: last RSeq we sent (100rel) */
	const struct cfg_trunk *trunk;
	size_t trunk_idx;
	enum sip_transport tp;
	struct tls_profile *tls;
	struct tp_conn *conn;        /* reference, NULL when none */
	struct sockaddr_storage udp; /* UDP: the peer */
	socklen_t udp_len;
};

enum call_state {
	CALL_ROUTING = 0, /* A INVITE taken, B not sent yet */
	CALL_CALLING,     /* B INVITE out, no final yet */
	CALL_ANSWERED,    /* 2xx relayed to A */
	CALL_ENDED,       /* over: CDR written; waiting for stragglers */
};

/* A request relayed from one leg to the other, waiting for the answer. */
struct relay {
	struct relay *next;
	struct call *c;
	struct leg *from, *to;
	struct sip_tx *stx; /* the originator's server transaction */
	struct sip_tx *ctx; /* ours on the far leg */
	char *req;          /* copy of the originator's request */
	size_t req_len;
	enum sip_method method;
	uint32_t cseq; /* of the request on the far leg */
};

struct call {
	struct b2b *b;
	struct call *prev, *next;
	struct tb_config *cfg; /* the generation the call started under */
	enum call_state state;
	char id[40];
	struct leg *legs;    /* every leg the call made or took (owned) */
	struct leg *a;       /* the calling side (after a transfer: the kept or
	                        new leg in its place) */
	struct leg *bl;      /* the called side */
	int in_use, out_use; /* indexes in b->use, -1 none */
	/* leg A's INVITE: a copy for building answers, its transaction */
	char *ainv;
	size_t ainv_len;
	struct sip_tx *ainv_tx;
	bool a_100rel; /* A supports (or requires) 100rel */
	bool a_require_100rel;
	/* leg B's INVITE */
	struct sip_tx *binv_tx;
	uint32_t binv_cseq;
	uint8_t order[CFG_MAX_SERVERS];
	uint8_t n_order, attempt; /* next server: order[attempt] */
	size_t server;            /* the server of the current attempt */
	int attempts;             /* INVITEs sent (failover_attempts + 1) */
	uint16_t last_status;     /* of the last failed attempt */
	int pending;              /* connects and sends in flight */
	struct relay *relays;
	struct event *dial_timer, *se_timer;
	uint32_t se_s; /* session interval, 0: none */
	bool cancelled;
	bool binv_open; /* leg B's INVITE waits for its final answer */
	/* E.164 numbers of the call (calling may be "anonymous") */
	char called[NUMBER_BUF], calling[NUMBER_BUF];
	/* CDR */
	char in_calling[NUMBER_BUF], in_called[NUMBER_BUF];
	char out_calling[NUMBER_BUF], out_called[NUMBER_BUF];
	char answered_by[72];
	char reason[128];
	int64_t start_ms, answer_ms, end_ms;
	int final_status;
	enum cdr_hangup hangup_by;
	bool cdr_done;
};

/* b2b.c */
uint64_t b2b_wall_ms(void);
void b2b_unique(struct b2b *b, char *out, size_t cap); /* tag/branch */
void b2b_hash_add(struct b2b *b, struct leg *l);
void b2b_hash_del(struct b2b *b, struct leg *l);
struct leg *b2b_hash_find(struct b2b *b, struct pl tag);
void b2b_after(struct b2b *b);
/* An answer inside server transaction tx to request m, with one extra
 * header when hname is set. */
void b2b_reply(struct b2b *b, struct sip_tx *tx, const struct sip_msg *m,
               uint16_t code, const char *hname, const char *hvalue);

/* leg.c: messages of a leg */
char *b2b_strdup_pl(struct pl p);
char *b2b_strdup(const char *s);
/* Parse a saved copy into m with hdrs storage; 0 or -1. */
int b2b_reparse(const char *buf, size_t len, struct sip_msg *m,
                struct sip_hdr *hdrs, uint16_t cap);
/* Is name in the trunk's pass list (a trailing '*' is a prefix)? */
bool b2b_pass(const struct cfg_trunk *t, struct pl name);
/* Copy from m the headers a message to trunk `to` carries across:
 * the policy's, plus the session-timer and event headers. */
void b2b_copy_headers(struct sip_build *bd, const struct sip_msg *m,
                      const struct cfg_trunk *to, bool response);
/* An in-dialog request on leg l (CSeq cseq; method as text); orig, when
 * set, is the request relayed (its headers and body cross); extra is
 * more header lines (CRLF-terminated, ours). Returns the length or 0. */
size_t b2b_build_request(struct b2b *b, struct leg *l, struct pl method,
                         uint32_t cseq, const struct sip_msg *orig,
                         struct pl extra, struct pl ctype, struct pl body,
                         char *out, size_t cap);
/* ACK for a 2xx on leg l with CSeq number cseq. */
size_t b2b_build_ack(struct b2b *b, struct leg *l, uint32_t cseq, char *out,
                     size_t cap);
/* Send a built request on leg l: over its connection when open, else
 * after connecting to its next hop. ACK goes without a transaction. When
 * slot is set it receives the client transaction (a reference); h/arg
 * get its responses (h NULL: fire and forget). 0 or -1. */
int b2b_leg_send(struct leg *l, const char *buf, size_t len, bool ack,
                 sip_tx_resp_h *h, void *arg, struct sip_tx **slot);
/* Update leg l's target and route set from a message (a 2xx/18x for B:
 * Record-Route reversed; a request for A: in order). */
void b2b_leg_target(struct leg *l, const struct sip_msg *m, bool rr,
                    bool reverse);
void b2b_leg_clear(struct leg *l);
/* A new zeroed leg of c, linked into c->legs; NULL when out of memory. */
struct leg *b2b_leg_new(struct call *c);
/* Our Contact on leg l (made when written: the same for every call but
 * toward ACS, where it carries the calling number). */
void b2b_put_contact(struct sip_build *bd, const struct leg *l);

/* call.c */
void b2b_call_invite(struct b2b *b, const struct tp_addr *src,
                     struct sip_msg *m, struct sip_tx *tx, int trunk);
void b2b_call_in_dialog(struct b2b *b, struct leg *l, const struct tp_addr *src,
                        struct sip_msg *m, struct sip_tx *tx);
void b2b_call_cancel(struct b2b *b, struct sip_tx *inv_tx);
/* shutdown: end every call; force: free them whatever is pending */
void b2b_call_end_all(struct b2b *b, bool force);
/* One pending operation of c finished: free c when it is over and
 * nothing points at it any more. */
void b2b_call_unpend(struct call *c);

#endif
