/* pinger.c: OPTIONS health checks per trunk server. */
#include "trunk/pinger.h"
#include "base/clock.h"

#include "base/log.h"
#include "sip/msg/sip_decode.h"
#include "trunk/options.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ping {
	struct pinger *p;
	size_t idx;
	bool in_flight;
	struct tp_conn *conn; /* referenced while in flight */
	struct sip_tx *tx;
	struct tp_resolve *res; /* UDP: resolving */
	uint64_t sent_ms;
};

struct pinger {
	struct pinger_env env;
	const struct cfg_trunk *t;
	struct tls_profile *tls;
	struct event *timer;
	struct health_conf hc;
	struct server_health *health;
	struct ping *pings;
	uint32_t cseq;
	enum trunk_status status;
};

static void rand_hex(char *out, size_t nbytes)
{
	unsigned char r[16];
	static const char hex[] = "0123456789abcdef";

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	if (RAND_bytes(r, (int)nbytes) != 1)
		memset(r, 0x5a, nbytes);
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

static void ping_done(struct ping *pg, uint16_t code, const char *reason,
                      uint32_t retry_after)
{
	struct pinger *p = pg->p;
	uint64_t now = tb_mono_ms();
	uint32_t rtt = (uint32_t)(now - pg->sent_ms);
	struct server_health *h = &p->health[pg->idx];

	pg->in_flight = false;
	if (pg->res) {
		tp_resolve_cancel(pg->res);
		pg->res = NULL;
	}
	if (pg->tx) {
		sip_tx_set_handler(pg->tx, NULL, NULL);
		sip_tx_release(pg->tx);
		pg->tx = NULL;
	}
	if (pg->conn) {
		tp_conn_unref(pg->conn);
		pg->conn = NULL;
	}
	tb_log("debug", "options_ping",
	       "trunk=%s server=%s:%u status=%u rtt_ms=%u reason=\"%s\"",
	       p->t->name, p->t->servers[pg->idx].host,
	       (unsigned)p->t->servers[pg->idx].port, (unsigned)code,
	       (unsigned)rtt, reason ? reason : "");
	if (health_record(h, &p->hc, now, code, reason, retry_after, rtt)) {
		p->status = health_trunk_status(p->health, p->t->n_servers);
		if (p->env.changed)
			p->env.changed(
			        p->env.arg, p->t, pg->idx, h, p->status,
			        health_pick(p->health, p->t->n_servers, now));
	}
}

static void on_response(void *arg, struct sip_tx *tx, uint16_t status,
                        const struct sip_msg *resp)
{
	struct ping *pg = arg;
	char why[320];
	uint32_t retry = 0;

	(void)tx;
	if (status < 200)
		return;
	if (!resp) {
		if (status == 408)
			snprintf(why, sizeof(why),
			         "408 no answer to OPTIONS (Timer F): the "
			         "server, or a firewall/NSG on the way, drops "
			         "our requests");
		else
			snprintf(why, sizeof(why),
			         "%u transport error sending OPTIONS",
			         (unsigned)status);
		ping_done(pg, status == 408 ? 408 : 0, why, 0);
		return;
	}
	if (!health_code_ok(status)) {
		const struct sip_hdr *ra =
		        sip_msg_hdr(resp, SIP_HDR_RETRY_AFTER);
		if (ra && sip_retry_after_decode(&retry, ra->value) != 0)
			retry = 0;
		snprintf(why, sizeof(why), "%u %.*s%s", (unsigned)status,
		         (int)(resp->reason.l > 200 ? 200 : resp->reason.l),
		         resp->reason.p,
		         status == 403 ? " (the peer does not accept our "
		                         "FQDN in Contact/certificate)"
		                       : "");
	} else {
		why[0] = '\0';
	}
	ping_done(pg, status, why, retry);
}

static size_t build_options(struct pinger *p, struct ping *pg, char *out,
                            size_t cap)
{
	const struct cfg_server *sv = &p->t->servers[pg->idx];
	const char *tpn = cfg_transport_name(p->t->transport);
	char branch[40], tag[24], cid[40], ruri[320], v[400], f[400], to[400],
	        ct[400];
	struct sip_build b;

	rand_hex(branch, 12);
	rand_hex(tag, 8);
	rand_hex(cid, 16);
	snprintf(ruri, sizeof(ruri), "sip:%s:%u;transport=%s", sv->host,
	         (unsigned)sv->port, tpn);
	snprintf(v, sizeof(v), "SIP/2.0/%s %s:%u;branch=z9hG4bK-tb%s;rport",
	         p->t->transport == CFG_TRANSPORT_TLS   ? "TLS"
	         : p->t->transport == CFG_TRANSPORT_TCP ? "TCP"
	                                                : "UDP",
	         p->env.fqdn, (unsigned)p->env.port, branch);
	snprintf(f, sizeof(f), "<sip:%s:%u>;tag=%s", p->env.fqdn,
	         (unsigned)p->env.port, tag);
	snprintf(to, sizeof(to), "<sip:%s:%u>", sv->host, (unsigned)sv->port);
	snprintf(ct, sizeof(ct), "<sip:%s:%u;transport=%s>", p->env.fqdn,
	         (unsigned)p->env.port, tpn);
	sip_build_init(&b, out, cap);
	sip_build_request_line(&b, PL("OPTIONS"), pl_make(ruri, strlen(ruri)));
	sip_build_hdr(&b, SIP_HDR_VIA, pl_make(v, strlen(v)));
	sip_build_hdr(&b, SIP_HDR_MAX_FORWARDS, PL("70"));
	sip_build_hdr(&b, SIP_HDR_FROM, pl_make(f, strlen(f)));
	sip_build_hdr(&b, SIP_HDR_TO, pl_make(to, strlen(to)));
	sip_build_hdrf(&b, SIP_HDR_CALL_ID, "%s@%s", cid, p->env.fqdn);
	sip_build_hdrf(&b, SIP_HDR_CSEQ, "%u OPTIONS", (unsigned)++p->cseq);
	sip_build_hdr(&b, SIP_HDR_CONTACT, pl_make(ct, strlen(ct)));
	sip_build_hdr(&b, SIP_HDR_ALLOW, PL(TB_ALLOW));
	sip_build_hdr(&b, SIP_HDR_SUPPORTED, PL(TB_SUPPORTED));
	sip_build_hdr(&b, SIP_HDR_USER_AGENT, PL(TB_SERVER));
	if (p->t->profile == CFG_PROFILE_ACS)
		sip_build_hdr(&b, SIP_HDR_X_MS_SBC, PL(TB_X_MS_SBC));
	return sip_build_finish(&b, PL_NULL);
}

/* Build the OPTIONS and start its client transaction toward d. */
static void start_ping(struct ping *pg, const struct sip_tx_dest *d)
{
	struct pinger *p = pg->p;
	char buf[2048];
	struct sip_hdr hdrs[32];
	struct sip_msg m;
	size_t n;

	n = build_options(p, pg, buf, sizeof(buf));
	sip_msg_init(&m, hdrs, 32);
	if (!n || sip_msg_parse(&m, buf, n, SIP_PARSE_STREAM, NULL, NULL) !=
	                  SIP_PARSE_OK) {
		ping_done(pg, 0, "internal error building OPTIONS", 0);
		return;
	}
	pg->sent_ms = tb_mono_ms();
	pg->tx = sip_tx_client_start(p->env.tx, d, buf, n, &m, on_response, pg);
	if (!pg->tx) {
		ping_done(pg, 0, "cannot start the OPTIONS transaction", 0);
		return;
	}
	if (p->env.after)
		p->env.after(p->env.arg);
}

static void on_connected(void *arg, struct tp_conn *conn, bool ok,
                         const char *reason)
{
	struct ping *pg = arg;
	struct sip_tx_dest d;

	if (!ok) {
		char why[400];
		snprintf(why, sizeof(why), "%s",
		         reason ? reason : "connection failed");
		ping_done(pg, 0, why, 0);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.conn = conn;
	d.reliable = true;
	pg->conn = tp_conn_ref(conn);
	start_ping(pg, &d);
}

/* UDP: the server's address is resolved; the transaction layer
 * retransmits (Timer E) and gives up after Timer F. */
static void on_udp_resolved(void *arg, const struct sockaddr *sa,
                            socklen_t salen, const char *reason)
{
	struct ping *pg = arg;
	struct sip_tx_dest d;

	pg->res = NULL;
	if (!sa) {
		ping_done(pg, 0, reason, 0);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.reliable = false;
	memcpy(&d.addr, sa, salen);
	d.addrlen = salen;
	start_ping(pg, &d);
}

static void ping_server(struct pinger *p, size_t i)
{
	struct ping *pg = &p->pings[i];
	const struct cfg_server *sv = &p->t->servers[i];
	char err[256];

	err[0] = '\0';
	if (pg->in_flight)
		return; /* still waiting for the previous one */
	pg->in_flight = true;
	pg->sent_ms = tb_mono_ms();
	if (p->t->transport == CFG_TRANSPORT_UDP) {
		pg->res = tp_resolve(p->env.tp, sv->host, sv->port,
		                     on_udp_resolved, pg);
		return;
	}
	if (!tp_connect(p->env.tp,
	                p->t->transport == CFG_TRANSPORT_TLS ? SIP_TP_TLS
	                                                     : SIP_TP_TCP,
	                sv->host, sv->port, p->tls, on_connected, pg, err,
	                sizeof(err)) &&
	    pg->in_flight && !pg->tx && err[0]) {
		/* could not even start: h was not called */
		ping_done(pg, 0, err, 0);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pinger *p = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < p->t->n_servers; i++)
		ping_server(p, i);
	if (p->env.after)
		p->env.after(p->env.arg);
}

struct pinger *pinger_new(const struct pinger_env *env,
                          const struct cfg_trunk *t, struct tls_profile *tls)
{
	struct pinger *p = calloc(1, sizeof(*p));
	struct timeval tv;

	if (!p)
		return NULL;
	p->env = *env;
	p->t = t;
	p->tls = tls ? tls_profile_ref(tls) : NULL;
	p->hc.up_after = t->up_after;
	p->hc.down_after = t->down_after;
	p->health = calloc(t->n_servers ? t->n_servers : 1, sizeof(*p->health));
	p->pings = calloc(t->n_servers ? t->n_servers : 1, sizeof(*p->pings));
	p->timer = event_new(env->base, -1, EV_PERSIST, on_timer, p);
	if (!p->health || !p->pings || !p->timer) {
		pinger_free(p);
		return NULL;
	}
	for (size_t i = 0; i < t->n_servers; i++) {
		p->pings[i].p = p;
		p->pings[i].idx = i;
	}
	tv.tv_sec = t->options_interval_ms / 1000;
	tv.tv_usec = (t->options_interval_ms % 1000) * 1000;
	event_add(p->timer, &tv);
	/* the first round at once; not flagged EV_TIMEOUT, so libevent counts
	 * the next round from now */
	event_active(p->timer, 0, 0);
	return p;
}

void pinger_free(struct pinger *p)
{
	if (!p)
		return;
	if (p->timer)
		event_free(p->timer);
	if (p->pings) {
		for (size_t i = 0; i < p->t->n_servers; i++) {
			if (p->pings[i].tx) {
				sip_tx_set_handler(p->pings[i].tx, NULL, NULL);
				sip_tx_release(p->pings[i].tx);
			}
			if (p->pings[i].conn)
				tp_conn_unref(p->pings[i].conn);
			if (p->pings[i].res)
				tp_resolve_cancel(p->pings[i].res);
		}
	}
	if (p->tls)
		tls_profile_unref(p->tls);
	free(p->pings);
	free(p->health);
	free(p);
}

void pinger_conn_closed(struct pinger *p, struct tp_conn *conn)
{
	for (size_t i = 0; i < p->t->n_servers; i++) {
		struct ping *pg = &p->pings[i];
		char why[400];
		if (!pg->in_flight || pg->conn != conn)
			continue;
		snprintf(why, sizeof(why),
		         "connection lost before the answer "
		         "to OPTIONS: %s",
		         tp_conn_close_reason(conn));
		ping_done(pg, 0, why, 0);
	}
}

const struct server_health *pinger_health(const struct pinger *p, size_t *n)
{
	*n = p->t->n_servers;
	return p->health;
}
