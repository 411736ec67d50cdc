/* b2b.h: the back-to-back user agent between two trunks.
 *
 * A call is two legs: leg A, the INVITE that arrived (trunkbridge is its
 * UAS), and leg B, the INVITE trunkbridge sends on the route's trunk (its
 * UAC). Each leg is its own dialog with its own Call-ID, tags, CSeq and
 * route set; a leg's messages are built fresh from that state plus the
 * headers the destination trunk's policy passes (topology hiding by
 * construction: nothing else of one leg reaches the other).
 *
 * What it does (docs/calls.md has the flows): 100 Trying at once (the
 * transaction layer), the UAS checks, loop (482), per-trunk limits (503
 * with Retry-After), session timer floor (422 + Min-SE), routing by called
 * number (404 when no route), the Request-URI and identity each cloud
 * wants (ACS: +E.164, user=phone, our FQDN in Contact, X-MS-SBC; Genesys:
 * the Inbound SIP Termination Identifier, omit-plus), failover over the
 * trunk's servers on its failover codes / timeouts / transport failures
 * (never after a 6xx), provisional responses (100rel per leg), 2xx/ACK,
 * CANCEL, BYE from either side, re-INVITE/UPDATE/INFO/NOTIFY relayed,
 * session expiry, and one CDR row per call.
 *
 * Ownership and threading: a struct b2b belongs to one event loop (one
 * thread) with its transport and transaction layers; nothing locks. Each
 * call holds a reference on the config generation it started under (a
 * reload never changes a call in progress) and on the TLS profiles and
 * connections of its legs. Calls are freed when both legs are done and no
 * transaction or connection attempt still points at them.
 */
#ifndef TB_B2B_B2B_H
#define TB_B2B_B2B_H

#include "cdr/cdr.h"
#include "cfg/cfg.h"
#include "sip/transp/transport.h"
#include "sip/tx/sip_tx.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

struct b2b;
struct route_table;

/* Whether server i of trunk t may take a call now, and whether it is
 * Active (an Active server is tried before an unknown/Inactive one).
 * Returns false when the server is on Retry-After hold. */
typedef bool b2b_server_h(void *arg, const struct cfg_trunk *t, size_t i,
                          bool *active);

struct b2b_env {
	struct event_base *base;
	struct tp_layer *tp;
	struct sip_tx_layer *tx;
	struct cdr_store *cdr;    /* may be NULL: no CDRs */
	uint16_t port;            /* ours, in Contact and Via */
	const char *transport;    /* "tls"/"tcp"/"udp" of that port */
	void (*after)(void *arg); /* re-arm the tx timer after work */
	b2b_server_h *server_ok;  /* NULL: every server usable */
	/* A call made a leg with Call-ID `made` beside its leg with Call-ID
	 * `of` (leg B, a transfer's new leg): the trace follows both. NULL:
	 * nobody is told. */
	void (*leg_made)(void *arg, const char *of, const char *made);
	void *arg;
};

struct b2b_stats {
	uint64_t calls, answered, failed, active;
	uint64_t refused_source, refused_limit, no_route, loops;
	uint64_t failovers, cdr_written, cdr_failed, overload;
	uint64_t transfers, transfers_failed; /* REFER and Replaces */
	uint64_t refused_draining; /* new INVITEs 503 while stopping */
};

struct b2b *b2b_new(const struct b2b_env *env);
/* Stopping: every call ends now (CDR rows written, hangup_by
 * trunkbridge; no BYE is sent: the loop is going away) and lets go of its
 * transactions. Call before freeing the transaction and transport layers;
 * b2b_free after them. */
void b2b_shutdown(struct b2b *b);
/* Frees what is left (calls whose connection attempts the transport
 * layer reported as it closed). */
void b2b_free(struct b2b *b);

/* A config generation for new calls: a reference is taken on cfg; routes
 * is owned by b2b from now on; tls[i] is trunk i's client profile (NULL
 * for non-TLS trunks; references taken). */
void b2b_set_config(struct b2b *b, struct tb_config *cfg,
                    struct route_table *routes, struct tls_profile **tls);

/* The trunk a source address belongs to by the allow-lists: the most
 * specific prefix of any trunk's list (equal prefixes: the trunk first in
 * the file); else the first trunk without a list; -1 when there is none.
 * No allocation (a binary search per prefix length). */
int b2b_trunk_of(const struct b2b *b, const struct sockaddr *sa);

/* A request that passed parsing and validation (the caller answers
 * OPTIONS to us and bad requests itself). src is where it came from.
 * Returns true when the b2b took it (answered, relayed or absorbed). */
bool b2b_request(struct b2b *b, const struct tp_addr *src, struct sip_msg *m);

const struct b2b_stats *b2b_stats(const struct b2b *b);

/* ---- draining (a stop: SIGTERM; drain.c, docs/operations.md) */
/* From now on new INVITEs get 503 with Retry-After retry_after_s; calls
 * in progress go on. */
void b2b_set_draining(struct b2b *b, uint32_t retry_after_s);
/* Every call not ended yet ends now: an answered one with BYE on both
 * legs carrying `reason` (a Reason header value), one not answered yet
 * with CANCEL toward the called side and 503 to the caller; each gets
 * its CDR row (hangup_by trunkbridge). Returns how many calls it ended. */
size_t b2b_bye_all(struct b2b *b, const char *reason);
/* Nothing left to wait for: no call (not even an ended one waiting for a
 * transaction) and every BYE trunkbridge sent answered or timed out. */
bool b2b_idle(const struct b2b *b);

/* ---- a read-only view of the live calls (b2b_view.c; the admin
 * endpoint). Nothing is changed; nothing is allocated. */
struct media_engine;

/* One leg's media as the admin sees it (its relay endpoint's counters). */
struct b2b_leg_view {
	bool media;                    /* the leg has a relay endpoint */
	uint64_t rx_packets, rx_bytes; /* RTP accepted from the leg's peer */
	uint64_t tx_packets, tx_bytes; /* RTP sent to it */
	uint64_t lost, dropped;
};

/* One call in progress; the strings live as long as the call (use them
 * inside the visitor only). */
struct b2b_call_view {
	const char *id;
	const char *in_trunk, *out_trunk; /* "" when not known yet */
	const char *calling, *called;     /* E.164 as routed */
	const char *state;                /* routing, calling, answered */
	int64_t start_ms, answer_ms;      /* wall clock ms; 0: not answered */
	struct b2b_leg_view in, out;      /* leg A (caller) and leg B */
};

typedef void b2b_call_visit_h(void *arg, const struct b2b_call_view *v);

/* Calls visit(arg, view) for each call in progress (not ended), in list
 * order, at most max of them; returns how many were visited. *more (may
 * be NULL) is set when calls were left out by max. */
size_t b2b_calls_visit(const struct b2b *b, size_t max, b2b_call_visit_h *visit,
                       void *arg, bool *more);
/* Calls in progress in or out on the trunk with this name. */
uint32_t b2b_trunk_calls(const struct b2b *b, const char *name);
/* The media relay (NULL: no media section yet). */
const struct media_engine *b2b_media_engine(const struct b2b *b);

/* Calls that ended on a trunk, by direction and outcome (counted since
 * start, across reloads: by trunk name). */
struct b2b_trunk_outcomes {
	uint64_t in_answered, in_failed;   /* the trunk called us */
	uint64_t out_answered, out_failed; /* we called the trunk */
};
/* false (and zeros) when the trunk has had no call. */
bool b2b_trunk_outcomes(const struct b2b *b, const char *name,
                        struct b2b_trunk_outcomes *o);
/* Calls started per second, averaged over the last *window_s seconds
 * (set to the window: 60). */
double b2b_call_rate(const struct b2b *b, unsigned *window_s);

#endif
