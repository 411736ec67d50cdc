/* pinger.h: OPTIONS pings to each server of a trunk (interop.md 1.5, 2.1).
 *
 * Every options_interval, each server gets an OPTIONS over the trunk's
 * transport and TLS profile (a connection reused when one is open); the
 * outcome (the answer, a Timer F timeout, a refused connection, the TLS
 * failure in OpenSSL's words, a name mismatch) goes to health_record, and
 * a change of status is reported to the owner.
 *
 * Ownership: a pinger belongs to the element (one event loop). It holds a
 * reference on the connection of a ping in flight, and on its TLS profile.
 */
#ifndef TB_TRUNK_PINGER_H
#define TB_TRUNK_PINGER_H

#include "cfg/cfg.h"
#include "sip/transp/transport.h"
#include "sip/tx/sip_tx.h"
#include "trunk/health.h"

struct pinger;

/* next: the server a new request would go to now (health_pick), -1 when
 * every server is on Retry-After hold. */
typedef void pinger_changed_h(void *arg, const struct cfg_trunk *t,
                              size_t server, const struct server_health *h,
                              enum trunk_status trunk_status, int next);

struct pinger_env {
	struct event_base *base;
	struct tp_layer *tp;
	struct sip_tx_layer *tx;
	const char *fqdn;         /* ours: Via, From, Contact */
	uint16_t port;            /* ours, in Contact */
	void (*after)(void *arg); /* called after the pinger started work
	                             (the owner re-arms the tx timer) */
	pinger_changed_h *changed;
	void *arg;
};

/* tls: the trunk's client profile (required for tls trunks; a reference
 * is taken). Starts pinging at once. NULL on failure. */
struct pinger *pinger_new(const struct pinger_env *env,
                          const struct cfg_trunk *t, struct tls_profile *tls);
void pinger_free(struct pinger *p);

/* A connection closed: a ping waiting on it fails now with the reason
 * (no 32 s Timer F wait for a peer that reset the connection). */
void pinger_conn_closed(struct pinger *p, struct tp_conn *conn);

const struct server_health *pinger_health(const struct pinger *p, size_t *n);

#endif
