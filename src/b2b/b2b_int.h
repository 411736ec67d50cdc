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
struct leg_media;
struct media_engine;
struct mep_stats;

/* Per-trunk counters that outlive config generations (found by name). */
struct trunk_use {
	char name[64];
	uint32_t active;    /* calls in or out on this trunk */
	uint64_t win_start; /* max_call_rate window start, ms */
	uint32_t win_count; /* calls started in that window */
	/* calls that ended, by direction (in: the trunk called us; out: we
	 * called it) and outcome: the /metrics trunk_calls_total */
	uint64_t in_answered, in_failed, out_answered, out_failed;
};

/* Calls started per second over the last B2B_RATE_SECS seconds (a ring
 * of one-second buckets; b2b_call_rate in b2b_view.c). */
#define B2B_RATE_SECS 60
struct call_rate {
	uint64_t sec[B2B_RATE_SECS]; /* the monotonic second of the bucket */
	uint32_t n[B2B_RATE_SECS];
};

struct b2b {
	struct b2b_env env;
	struct tb_config *cfg; /* generation for new calls */
	struct route_table *routes;
	struct cidr_set *allow; /* every trunk's allow list -> its index */
	int open_trunk;         /* first trunk without a list, or -1 */
	/* allow_from_ip_ranges: per trunk and file, the last good list
	 * (kept across generations; b2b.c), and the timer that looks for a
	 * changed file every cfg->ip_ranges_check_ms */
	struct b2b_ipr *ipr; /* B2B_MAX_TRUNK slots */
	struct event *ipr_timer;
	/* sources refused by the allow-lists, counted (a bounded table;
	 * b2b.c) */
	struct b2b_refused *refused;
	/* the media relay (media.c), made with the first generation that
	 * has a media section; NULL: SDP crosses unchanged */
	struct media_engine *media;
	struct tls_profile *tls[B2B_MAX_TRUNK];
	struct leg **bucket; /* by our tag */
	struct call *calls;  /* every live call (list) */
	struct trunk_use use[B2B_MAX_TRUNK];
	size_t n_use;
	struct b2b_stats st;
	struct call_rate rate;
	char seed[12]; /* random hex, prefix of our tags and branches */
	uint64_t seq;
	bool closing; /* b2b_shutdown ran: no more sending */
	/* draining (SIGTERM, drain.c): new INVITEs get 503 with
	 * Retry-After drain_retry_s; byes_out: BYEs sent, not answered yet */
	bool draining;
	uint32_t drain_retry_s;
	uint32_t byes_out;
	/* every message a call builds is built here, then copied by the
	 * transaction layer or written to the connection: one loop, one
	 * message at a time, nothing allocated per message */
	char msg[B2B_MSG_MAX];
	char sdp[B2B_MSG_MAX]; /* an SDP body rewritten for a leg */
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
	/* the last SDP the peer sent on this leg (a transfer offers it to
	 * the new party), NULL: none yet */
	char *sdp;
	size_t sdp_len;
	/* Once a transfer put another party behind this leg, every SDP sent
	 * to it gets the o= line this leg saw first: "o=<o_pre> <o_ver>
	 * <o_post>", o_ver one higher each time (RFC 3264 8). */
	char *o_pre, *o_post;
	uint64_t o_ver;
	/* media (media.c): this leg's relay endpoint and keys, NULL until
	 * SDP crosses; mpeer is the leg whose SDP this one is sent (the
	 * other side of the call; a transfer's new party) */
	struct leg_media *md;
	struct leg *mpeer;
	bool retired; /* replaced by a transfer: only its end is awaited */
	bool gone;    /* its dialog is over (BYE sent or received) */
	/* NOTIFYs of a refer subscription on this leg (xfer.c): one in
	 * flight, the next ones wait in order (LEG_NOTIFY_Q of them) */
	bool notify_busy;
	uint8_t notify_nq;
	struct {
		uint16_t status;
		bool final;
		char reason[48];
	} notify_q[4];
};

enum xfer_kind {
	XFER_REFER = 0, /* REFER on leg r: a new call (leg n) takes r's place */
	XFER_REPLACES,  /* INVITE with Replaces: leg n takes r's place */
};

/* A transfer in progress on a call (one at a time). */
struct xfer {
	enum xfer_kind kind;
	struct leg *r;         /* the referrer / replaced leg */
	struct leg *k;         /* the kept leg */
	struct leg *n;         /* the new leg */
	struct sip_tx *inv_tx; /* REFER: our INVITE on n; REPLACES: n's */
	char *inv;             /* REPLACES: n's INVITE (to answer it) */
	size_t inv_len;
	uint32_t inv_cseq;
	struct sip_tx *kre_tx; /* the re-INVITE on k */
	uint32_t kre_cseq;
	uint8_t order[CFG_MAX_SERVERS];
	uint8_t n_order, attempt;
	size_t server;
	int attempts;
	uint16_t last_status;
	int connecting; /* connects/resolves in flight */
	bool inv_open;  /* our INVITE on n waits for its final answer */
	bool swapped;   /* n has taken r's place */
	bool r_gone;    /* the referrer hung up before the end */
	bool verbatim;  /* n's Request-URI is the Refer-To URI (ACS) */
	bool aborted;   /* the call ended: waiting for the CANCEL's end */
	int64_t start_ms;
	char *referred_by;       /* copied verbatim (ACS), NULL: none */
	char *diversion;         /* Diversion sent on n (CDR), NULL: none */
	char number[NUMBER_BUF]; /* the target number, "" when none */
	/* REPLACES: the new dialog's numbers (CDR of the second row) */
	char in_calling[NUMBER_BUF], in_called[NUMBER_BUF];
	char answered_by[72];
	char why[128]; /* CDR reason of the first row (= call.reason) */
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
	struct xfer *xf;            /* a transfer in progress, or NULL */
	struct event *retire_timer; /* BYE to replaced legs left open */
	char *xfer_from, *xfer_to;  /* CDR: call ids around a transfer */
	char *diversion;            /* CDR: Diversion sent, NULL: none */
	struct event *dial_timer, *se_timer;
	struct event *media_timer; /* disconnect on idle RTP (media.c) */
	struct event *ack_timer;   /* the caller's ACK of our 2xx, 64*T1 */
	bool a_acked;
	int64_t media_seen_ms; /* monotonic: last media, or answer */
	uint32_t se_s;         /* session interval, 0: none */
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
/* Leg l as the UAS of INVITE m from src (trunk: its index in the current
 * generation, for the TLS profile): tags, URIs, target, route set, SDP.
 * 0, or -1 when out of memory. */
int b2b_leg_uas(struct b2b *b, struct leg *l, const struct tp_addr *src,
                const struct sip_msg *m, int trunk);
/* The head of an INVITE on leg l (Request-URI its target): Via, From, To,
 * Call-ID, CSeq, Contact, Allow, Supported, X-MS-SBC and the trunk's
 * termination header and added headers. */
void b2b_invite_head(struct call *c, struct sip_build *bd, struct leg *l,
                     uint32_t cseq, int max_forwards);
/* Answer the INVITE inv (a saved copy; tx its server transaction) on leg
 * l: status, reason, resp's headers and body that cross, 100rel when
 * reliable, one extra header when xname is set. */
void b2b_invite_answer(struct call *c, struct leg *l, struct sip_tx *tx,
                       const char *inv, size_t inv_len, uint16_t status,
                       struct pl reason, const struct sip_msg *resp,
                       bool reliable, const char *xname, const char *xvalue);
/* Keep m's body as the last SDP of leg l when it is one. */
void b2b_leg_save_sdp(struct leg *l, const struct sip_msg *m);
/* From now on, SDP sent to leg l continues the origin of sdp (the
 * description l saw last); no-op when already continuing. */
void b2b_leg_continue_origin(struct leg *l, const char *sdp, size_t len);
/* body as it goes to leg l (an offer, or an answer): with media on,
 * rewritten by media.c; else the o= line rewritten when l continues an
 * origin (into b->sdp), or body itself. */
struct pl b2b_sdp_for(struct leg *l, struct pl body, bool answer);

/* media.c: anchoring (see the file's head) */
bool b2b_media_on(const struct call *c);
/* Leg l's endpoint, made now: 0, or -1 when no port pair is free. */
int b2b_media_prepare(struct call *c, struct leg *l);
/* SDP m's body arrived on leg l (offer: a request's; else an answer):
 * 0; -1 when it is unacceptable (an offer gets 488 with why); -2 when no
 * port is free (503). No body, or media off: 0. */
int b2b_media_in(struct call *c, struct leg *l, const struct sip_msg *m,
                 bool offer, const char **why);
/* body (an SDP of l->mpeer) rewritten for leg l, into b->sdp; PL_NULL
 * when it cannot be read or written. */
struct pl b2b_media_out(struct call *c, struct leg *l, struct pl body,
                        bool answer);
bool b2b_media_hold(const struct leg *l);
/* Our own offer to leg `to` when its partner offered nothing (delayed
 * offer): G.711 and telephone-event, into b->sdp; PL_NULL on failure. */
struct pl b2b_media_default_offer(struct call *c, struct leg *to);
/* Leg l has our offer and owes its answer (in its ACK, after a 2xx that
 * carried our offer). */
bool b2b_media_awaits_answer(const struct leg *l);
void b2b_media_stats(const struct leg *l, struct mep_stats *st);
void b2b_media_free(struct leg *l);
/* The call is answered: the idle-media clock starts (when a trunk of
 * the call wants disconnect_on_idle_rtp). */
void b2b_media_answered(struct call *c);
/* The call ended: every leg's endpoint goes back to the pool (after the
 * CDR took the statistics), the clock stops. */
void b2b_media_end(struct call *c);
/* The CDR's media JSON into out; NULL when the call had no media. */
const char *b2b_media_cdr(struct call *c, char *out, size_t cap);

/* xfer.c: transfers (REFER, Replaces) and forwarding history */
/* REFER on leg l of an answered call. */
void b2b_xfer_refer(struct call *c, struct leg *l, struct sip_msg *m,
                    struct sip_tx *tx);
/* An INVITE with Replaces (no To tag) from trunk `trunk`. */
void b2b_xfer_replaces(struct b2b *b, const struct tp_addr *src,
                       struct sip_msg *m, struct sip_tx *tx, int trunk);
/* The call ends: stop the transfer in progress. */
void b2b_xfer_abort(struct call *c);
/* Release the transfer's transactions (the call is being freed). */
void b2b_xfer_free(struct call *c);
/* A request on a retired leg (BYE answered, the rest 481). */
void b2b_xfer_retired(struct call *c, struct leg *l, struct sip_msg *m,
                      struct sip_tx *tx);
/* The referrer leg sent BYE while its transfer goes on. */
void b2b_xfer_referrer_gone(struct call *c);
/* Diversion / History-Info of the INVITE toward trunk t, from the
 * forwarding history in m (History-Info, else Diversion) plus, when
 * xfer_user is set, one diversion by that number (a transfer); the
 * Diversion value sent is kept in *keep (for the CDR). */
void b2b_put_history(struct call *c, struct sip_build *bd,
                     const struct sip_msg *m, const struct cfg_trunk *t,
                     const char *xfer_user, char **keep);
/* Our Contact on leg l (made when written: the same for every call but
 * toward ACS, where it carries the calling number). */
void b2b_put_contact(struct sip_build *bd, const struct leg *l);

/* call.c */
void b2b_call_id(char *out, size_t cap); /* a new uuid-like call id */
void b2b_finish(struct call *c, int status, enum cdr_hangup by,
                const char *reason);
void b2b_check_free(struct call *c);
int b2b_use_of(struct b2b *b, const char *name);
/* One call started now (the call rate's ring; b2b_view.c). */
void b2b_rate_count(struct b2b *b);
void b2b_write_cdr(struct call *c);
/* drain.c: the answer to a BYE b2b_send_bye sent (counts byes_out) */
void b2b_bye_done(void *arg, struct sip_tx *tx, uint16_t status,
                  const struct sip_msg *resp);
/* A new INVITE while draining: 503 with Retry-After. */
void b2b_drain_refuse(struct b2b *b, struct sip_tx *tx,
                      const struct sip_msg *m);
/* BYE on a confirmed dialog (answer counted in byes_out, nothing else
 * waits for it); orig: the BYE relayed. */
void b2b_send_bye(struct call *c, struct leg *l, const struct sip_msg *orig,
                  const char *reason);
void b2b_send_ack(struct call *c, struct leg *l, uint32_t cseq);
/* PRACK a reliable provisional response on leg l (RFC 3262 7.2). */
void b2b_prack(struct call *c, struct leg *l, uint32_t inv_cseq,
               const struct sip_msg *resp);
/* Leg l's dialog state (remote tag, target, route set) from an 18x/2xx. */
void b2b_leg_dialog(struct leg *l, const struct sip_msg *resp);
void b2b_session_timer(struct call *c, const struct sip_msg *resp);
bool b2b_failover_code(const struct cfg_trunk *t, uint16_t st);
/* The number in u as received into raw and as E.164 into e164. */
void b2b_numbers_of(const struct sip_uri *u, char *raw, size_t rawcap,
                    char *e164, size_t ecap);
/* Request-URI, To and target of leg l toward server s of its trunk. */
int b2b_leg_addresses(struct leg *l, size_t s, const char *called);
/* The order to try trunk t's servers in (Active first); their count. */
uint8_t b2b_server_order(struct b2b *b, const struct cfg_trunk *t,
                         uint8_t *order);
void b2b_call_invite(struct b2b *b, const struct tp_addr *src,
                     struct sip_msg *m, struct sip_tx *tx, int trunk);
void b2b_call_in_dialog(struct b2b *b, struct leg *l, const struct tp_addr *src,
                        struct sip_msg *m, struct sip_tx *tx);
void b2b_call_cancel(struct b2b *b, struct sip_tx *inv_tx);
/* An ACK of a 2xx arrived on leg l (the caller's: the 2xx guard stops). */
void b2b_call_acked(struct leg *l);
/* shutdown: end every call; force: free them whatever is pending */
void b2b_call_end_all(struct b2b *b, bool force);
/* One pending operation of c finished: free c when it is over and
 * nothing points at it any more. */
void b2b_call_unpend(struct call *c);

#endif
