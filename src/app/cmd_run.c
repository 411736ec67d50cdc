/* cmd_run.c: `trunkbridge run -c FILE`, the running SBC.
 *
 * Loads and validates the config (a bad file never starts), builds the
 * TLS profiles, opens every listener, pings every trunk server (OPTIONS),
 * answers OPTIONS to trunkbridge itself (200 with our FQDN in Contact),
 * drops requests from sources outside every trunk's allow-list, and hands
 * calls to the B2BUA (b2b/). SIGHUP reloads; SIGINT/SIGTERM stop it.
 */
#include "admin/admin.h"
#include "app/cmds.h"
#include "app/lifecycle.h"
#include "b2b/b2b.h"
#include "b2b/route.h"
#include "b2b/uas_check.h"
#include "base/log.h"
#include "cdr/cdr.h"
#include "cfg/cfg.h"
#include "media/srtp.h"
#include "sip/msg/sip_decode.h"
#include "sip/transp/transport.h"
#include "sip/transp/tx_event.h"
#include "sip/tx/sip_tx.h"
#include "trace/trace.h"
#include "trunk/options.h"
#include "trunk/pinger.h"
#include "trunk/tls_conf.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TRUNKS 64

struct run {
	struct tb_config *cfg;
	struct event_base *base;
	struct tp_layer *tp;
	struct sip_tx_layer *tx;
	struct event *tx_timer;
	struct pinger *pingers[MAX_TRUNKS];
	const char *path;
	unsigned char id_digest[32]; /* identity certificate + key files */
	struct b2b *b2b;
	struct cdr_store *cdr; /* opened at start (cdr.store) */
	struct tb_identity id;
	char transport_name[8];
	uint64_t tag_seq;
	/* the admin endpoint (admin/; NULL: no admin section) */
	struct admin *admin;
	int64_t loaded_ms; /* wall clock: when r->cfg was loaded */
	/* the SIP trace (trace/; NULL: no trace section): the transport
	 * layer's tap */
	struct trace *trace;
	/* systemd notifications, the watchdog, the drain (lifecycle.c) */
	struct lifecycle *life;
};

static void rearm(void *arg);

/* The transaction layer's send: over the connection it names. */
static int tx_send(void *arg, const struct sip_tx_dest *dst, const char *buf,
                   size_t len)
{
	struct run *r = arg;

	return tx_event_send(r->tp, dst, buf, len);
}

/* One event-loop timer follows the transaction layer's next deadline. */
static void rearm(void *arg)
{
	struct run *r = arg;

	tx_event_rearm(r->tx, r->tx_timer);
}

static void on_tx_timer(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	sip_tx_tick(r->tx);
	rearm(r);
}

static void on_conn_closed(void *arg, struct tp_conn *conn)
{
	struct run *r = arg;
	const char *why = tp_conn_close_reason(conn);

	if (!tp_conn_outbound(conn) && strncmp(why, "TLS:", 4) == 0) {
		char from[80];
		tp_addr_str((const struct sockaddr *)&tp_conn_addr(conn)->addr,
		            from, sizeof(from));
		tb_log("warn", "tls_handshake_failed", "src=%s reason=\"%s\"",
		       from, why + 5);
	}
	for (size_t i = 0; i < MAX_TRUNKS; i++) {
		if (r->pingers[i])
			pinger_conn_closed(r->pingers[i], conn);
	}
}

static void on_trunk_changed(void *arg, const struct cfg_trunk *t,
                             size_t server, const struct server_health *h,
                             enum trunk_status st, int next)
{
	char nx[300];

	(void)arg;
	if (next >= 0)
		snprintf(nx, sizeof(nx), "%s:%u", t->servers[next].host,
		         (unsigned)t->servers[next].port);
	else
		snprintf(nx, sizeof(nx), "none");
	tb_log(h->status == TRUNK_ACTIVE ? "info" : "warn", "trunk_state",
	       "trunk=%s server=%s:%u server_status=%s trunk_status=%s "
	       "next=%s code=%u rtt_ms=%u reason=\"%s\"",
	       t->name, t->servers[server].host,
	       (unsigned)t->servers[server].port, health_status_name(h->status),
	       health_status_name(st), nx, (unsigned)h->last_code,
	       (unsigned)h->last_rtt_ms, h->reason);
}

static int start_pingers(struct run *r)
{
	char err[512];

	for (size_t i = 0; i < r->cfg->n_trunks && i < MAX_TRUNKS; i++) {
		const struct cfg_trunk *t = &r->cfg->trunks[i];
		struct tls_profile *tls = NULL;
		if (t->transport == CFG_TRANSPORT_TLS) {
			tls = tls_profile_for(r->cfg, &t->tls,
			                      t->tls.client_certificate, err,
			                      sizeof(err));
			if (!tls) {
				tb_log("error", "tls_profile_failed",
				       "trunk=%s reason=\"%s\"", t->name, err);
				return -1;
			}
		}
		struct pinger_env env = {
		        .base = r->base,
		        .tp = r->tp,
		        .tx = r->tx,
		        .fqdn = r->cfg->identity.fqdn,
		        .port = r->id.port,
		        .after = rearm,
		        .changed = on_trunk_changed,
		        .arg = r,
		};
		r->pingers[i] = pinger_new(&env, t, tls);
		if (tls)
			tls_profile_unref(tls);
		if (!r->pingers[i]) {
			tb_log("error", "pinger_failed", "trunk=%s", t->name);
			return -1;
		}
	}
	return 0;
}

static void reply(struct run *r, const struct tp_addr *src,
                  const struct sip_msg *m, uint16_t code, const char *xname,
                  const char *xvalue)
{
	char out[4096];
	char tag[32];
	struct sip_build b;
	struct sip_tx_dest d;
	size_t n;

	/* the source, for received/rport on the top Via (RFC 3261 18.2.1) */
	memset(&d, 0, sizeof(d));
	d.conn = src->conn;
	d.reliable = src->conn != NULL;
	memcpy(&d.addr, &src->addr, sizeof(d.addr));
	d.addrlen = src->addrlen;
	snprintf(tag, sizeof(tag), "tb%llx", (unsigned long long)++r->tag_seq);
	if (code == 200 && m->method_id == SIP_METHOD_OPTIONS) {
		n = options_answer(m, &r->id, &d, pl_make(tag, strlen(tag)),
		                   out, sizeof(out));
	} else {
		sip_build_init(&b, out, sizeof(out));
		sip_tx_response_head(&b, m, &d, code, PL_NULL,
		                     pl_make(tag, strlen(tag)));
		if (xname && strcmp(xname, "Allow") != 0)
			sip_build_hdr_name(&b, pl_make(xname, strlen(xname)),
			                   pl_make(xvalue, strlen(xvalue)));
		sip_build_hdr(&b, SIP_HDR_ALLOW, PL(TB_ALLOW));
		sip_build_hdr(&b, SIP_HDR_SERVER, PL(TB_SERVER));
		n = sip_build_finish(&b, PL_NULL);
	}
	if (n && tp_send(r->tp, src, out, n) != 0)
		tb_log("warn", "send_failed", "status=%u", (unsigned)code);
}

static void on_msg(void *arg, const struct tp_addr *src, struct sip_msg *m)
{
	struct run *r = arg;
	char from[80];

	if (!m->request) {
		/* responses belong to client transactions (calls, pings) */
		sip_tx_recv_response(r->tx, m);
		rearm(r);
		return;
	}
	/* the allow-lists (the guide's NSG), then ACKs to the transactions */
	if (m->method_id == SIP_METHOD_ACK ||
	    b2b_trunk_of(r->b2b, (const struct sockaddr *)&src->addr) < 0) {
		b2b_request(r->b2b, src, m);
		return;
	}
	tp_addr_str((const struct sockaddr *)&src->addr, from, sizeof(from));
	/* every typed header decoded, as a UAS does before acting */
	struct sip_parse_error err;
	if (sip_msg_validate(m, &err) != 0) {
		reply(r, src, m, 400, NULL, NULL);
		tb_log("info", "request_refused",
		       "src=%s method=%.*s status=400 reason=\"%s\"", from,
		       (int)m->method.l, m->method.p,
		       err.reason ? err.reason : "");
		return;
	}
	/* RFC 3261 8.2: 416, 501/405, 483, 420, 415, 406 */
	struct uas_verdict v;
	uas_check(m, &v);
	if (v.status) {
		reply(r, src, m, v.status, v.hdr_name, v.value);
		tb_log("info", "request_refused",
		       "src=%s method=%.*s status=%u reason=\"%s\"", from,
		       (int)m->method.l, m->method.p, (unsigned)v.status,
		       v.why);
		return;
	}
	uint32_t ra;
	if (m->method_id == SIP_METHOD_OPTIONS && !pl_isset(m->to.tag) &&
	    lifecycle_draining(r->life, &ra)) {
		/* stopping: the clouds take us out of rotation */
		char rv[16];
		snprintf(rv, sizeof(rv), "%u", (unsigned)ra);
		reply(r, src, m, 503, "Retry-After", rv);
		tb_log("debug", "options_answered", "src=%s status=503", from);
		return;
	}
	if (m->method_id == SIP_METHOD_OPTIONS && !pl_isset(m->to.tag)) {
		reply(r, src, m, 200, NULL, NULL);
		tb_log("debug", "options_answered", "src=%s", from);
		return;
	}
	b2b_request(r->b2b, src, m);
}

static void on_bad(void *arg, const struct tp_addr *src,
                   const struct sip_parse_error *err, const char *buf,
                   size_t len)
{
	char from[80];

	(void)arg;
	(void)buf;
	(void)len;
	tp_addr_str((const struct sockaddr *)&src->addr, from, sizeof(from));
	tb_log("info", "malformed_dropped", "src=%s status=%u reason=\"%s\"",
	       from, (unsigned)err->status, err->reason ? err->reason : "");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;

	(void)what;
	tb_log("info", "stopping", "signal=%d", (int)sig);
	if (r->life) {
		lifecycle_stop(r->life, (int)sig); /* the drain */
		return;
	}
	admin_set_draining(r->admin, true);
	event_base_loopexit(r->base, NULL);
}

static int open_listeners(struct run *r)
{
	const struct tb_config *cfg = r->cfg;
	char err[512];

	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct cfg_listener *l = &cfg->listeners[i];
		struct sockaddr_storage ss;
		socklen_t sl;
		struct tls_profile *tls = NULL;
		enum sip_transport tp =
		        l->transport == CFG_TRANSPORT_TLS   ? SIP_TP_TLS
		        : l->transport == CFG_TRANSPORT_TCP ? SIP_TP_TCP
		                                            : SIP_TP_UDP;

		memset(&ss, 0, sizeof(ss));
		if (l->address.family == 6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, l->address.addr, 16);
			s6->sin6_port = htons(l->port);
			sl = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, l->address.addr, 4);
			s4->sin_port = htons(l->port);
			sl = sizeof(*s4);
		}
		if (tp == SIP_TP_TLS) {
			tls = tls_profile_for(cfg, &l->tls, false, err,
			                      sizeof(err));
			if (!tls) {
				tb_log("error", "tls_profile_failed",
				       "listener=%s:%u reason=\"%s\"",
				       l->address.text, (unsigned)l->port, err);
				return -1;
			}
		}
		int rc = tp_listen(r->tp, tp, (struct sockaddr *)&ss, sl, tls,
		                   err, sizeof(err));
		if (tls)
			tls_profile_unref(tls);
		if (rc != 0) {
			tb_log("error", "listen_failed", "reason=\"%s\"", err);
			return -1;
		}
		tb_log("info", "listening", "transport=%s address=%s port=%u",
		       cfg_transport_name(l->transport), l->address.text,
		       (unsigned)l->port);
		if (i == 0 || tp == SIP_TP_TLS) {
			r->id.port = l->port;
			snprintf(r->transport_name, sizeof(r->transport_name),
			         "%s", cfg_transport_name(l->transport));
		}
	}
	return 0;
}

/* The routing table of a config generation (the B2BUA matches calls
 * against it). NULL with err set when a pattern does not compile. */
static struct route_table *build_routes(const struct tb_config *cfg, char *err,
                                        size_t errlen)
{
	struct route_def defs[CFG_MAX_ROUTES];

	for (size_t i = 0; i < cfg->n_routes && i < CFG_MAX_ROUTES; i++) {
		defs[i].from = cfg->routes[i].from;
		defs[i].to = cfg->routes[i].to;
		defs[i].called = cfg->routes[i].called;
		defs[i].calling = cfg->routes[i].calling;
	}
	return route_table_new(defs, cfg->n_routes, err, errlen);
}

/* The B2BUA's generation: routes (taken over) and each TLS trunk's
 * client profile. 0, or -1 (routes freed). */
static int b2b_config(struct run *r, struct route_table *routes)
{
	struct tls_profile *tls[MAX_TRUNKS] = {0};
	char err[512];
	int rc = 0;

	for (size_t i = 0; i < r->cfg->n_trunks && i < MAX_TRUNKS; i++) {
		const struct cfg_trunk *t = &r->cfg->trunks[i];
		if (t->transport != CFG_TRANSPORT_TLS)
			continue;
		tls[i] = tls_profile_for(r->cfg, &t->tls,
		                         t->tls.client_certificate, err,
		                         sizeof(err));
		if (!tls[i]) {
			tb_log("error", "tls_profile_failed",
			       "trunk=%s reason=\"%s\"", t->name, err);
			rc = -1;
		}
	}
	if (rc == 0)
		b2b_set_config(r->b2b, r->cfg, routes, tls);
	else
		route_table_free(routes);
	for (size_t i = 0; i < MAX_TRUNKS; i++) {
		if (tls[i])
			tls_profile_unref(tls[i]);
	}
	return rc;
}

/* The trace section of a generation: the tracer started, changed or
 * stopped. 0, or -1 (logged) when it cannot start or change. */
static int trace_apply(struct run *r, struct tb_config *cfg)
{
	const struct cfg_trace *t = &cfg->trace;
	char err[256];

	if (!t->enabled) {
		if (r->trace) {
			tp_layer_set_tap(r->tp, NULL, NULL);
			trace_free(r->trace);
			r->trace = NULL;
			tb_log("info", "trace_stopped",
			       "reason=\"no trace section\"");
		}
		return 0;
	}
	if (r->trace && trace_reload(r->trace, cfg, err, sizeof(err)) != 0) {
		tb_log("error", "trace_reload_failed",
		       "reason=\"%s\" (the running trace stays)", err);
		return -1;
	}
	if (!r->trace) {
		r->trace = trace_new(r->base, cfg, err, sizeof(err));
		if (!r->trace) {
			tb_log("error", "trace_failed", "reason=\"%s\"", err);
			return -1;
		}
		tp_layer_set_tap(r->tp, trace_tap, r->trace);
	}
	tb_log("info", "trace", "pcap_dir=%s hep=%s calls=%zu",
	       t->pcap_dir ? t->pcap_dir : "none",
	       t->hep ? t->hep_text : "none", t->n_calls);
	return 0;
}

/* The B2BUA made a leg: the trace follows every leg of a traced call. */
static void on_leg_made(void *arg, const char *of, const char *made)
{
	struct run *r = arg;

	trace_link(r->trace, of, made);
}

/* The B2BUA asks whether a trunk server may take a call (its OPTIONS
 * health, by trunk name: a call may belong to an older generation). */
static bool server_ok(void *arg, const struct cfg_trunk *t, size_t i,
                      bool *active)
{
	struct run *r = arg;

	*active = true;
	for (size_t k = 0; k < r->cfg->n_trunks && k < MAX_TRUNKS; k++) {
		size_t n = 0;
		if (!r->pingers[k] || strcmp(r->cfg->trunks[k].name, t->name))
			continue;
		const struct server_health *h =
		        pinger_health(r->pingers[k], &n);
		if (i >= n)
			return true;
		*active = h[i].status == TRUNK_ACTIVE;
		return h[i].hold_until_ms <= tx_event_now_ms(NULL);
	}
	return true;
}

/* SHA-256 over the identity's certificate and key files: did they change? */
static void identity_digest(const struct tb_config *cfg, unsigned char out[32])
{
	const char *files[2] = {cfg->identity.certificate,
	                        cfg->identity.private_key};
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 0;

	memset(out, 0, 32);
	if (!md)
		return;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (int i = 0; i < 2; i++) {
		FILE *f = files[i] ? fopen(files[i], "rb") : NULL;
		char buf[4096];
		size_t n;
		if (!f)
			continue;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			EVP_DigestUpdate(md, buf, n);
		fclose(f);
	}
	EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
}

static bool same_listeners(const struct tb_config *a, const struct tb_config *b)
{
	if (a->n_listeners != b->n_listeners)
		return false;
	for (size_t i = 0; i < a->n_listeners; i++) {
		const struct cfg_listener *x = &a->listeners[i],
		                          *y = &b->listeners[i];
		if (x->transport != y->transport || x->port != y->port ||
		    x->address.family != y->address.family ||
		    memcmp(x->address.addr, y->address.addr, 16) != 0)
			return false;
	}
	return true;
}

/* ---- the admin endpoint (admin/admin.h): started after the B2BUA,
 * stopped first; it reads r's state through pointers */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int admin_start(struct run *r)
{
	char err[256];

	if (!r->cfg->admin.enabled)
		return 0;
	struct admin_env ae = {
	        .base = r->base,
	        .version = TB_VERSION,
	        .config_path = r->path,
	        .cfg = &r->cfg,
	        .pingers = r->pingers,
	        .n_pingers = MAX_TRUNKS,
	        .b2b = r->b2b,
	        .tp = r->tp,
	        .trace = &r->trace,
	        .loaded_wall_ms = &r->loaded_ms,
	};
	r->admin = admin_new(&ae, &r->cfg->admin, err, sizeof(err));
	if (!r->admin) {
		tb_log("error", "admin_failed", "listen=%s reason=\"%s\"",
		       r->cfg->admin.listen, err);
		return -1;
	}
	tb_log("info", "admin_listening", "listen=%s token=%s",
	       r->cfg->admin.listen, r->cfg->admin.token ? "yes" : "no");
	return 0;
}

/* Before a reload's swap: does the admin endpoint stop or move? Then it
 * stops now (admin_reload_after starts it on the new listen). The same
 * listen keeps it, and its token follows the new generation at once; an
 * endpoint whose section is gone stops (left running, it would serve
 * /calls without the token it had). */
static bool admin_reload_before(struct run *r, const struct tb_config *ncfg)
{
	const struct cfg_admin *o = &r->cfg->admin, *n = &ncfg->admin;

	if (o->enabled == n->enabled &&
	    (!o->enabled || strcmp(o->listen, n->listen) == 0))
		return false;
	if (r->admin) {
		admin_free(r->admin);
		r->admin = NULL;
		tb_log("info", "admin_stopped", "listen=%s reason=\"%s\"",
		       o->listen,
		       n->enabled ? "admin.listen changed"
		                  : "no admin section any more");
	}
	return true;
}

static void admin_reload_after(struct run *r, bool moved)
{
	uint32_t ra;

	if (!moved || !r->cfg->admin.enabled)
		return;
	if (admin_start(r) != 0) {
		tb_log("error", "reload_partial",
		       "config=%s reason=\"the admin endpoint could not "
		       "start on %s\"",
		       r->path, r->cfg->admin.listen);
		return;
	}
	if (lifecycle_draining(r->life, &ra))
		admin_set_draining(r->admin, true);
}

/* The log levels of a generation: log.level, else TB_LOG_LEVEL, else
 * info; log.modules over that. */
static void apply_log_levels(const struct tb_config *cfg)
{
	enum tb_log_level g = cfg->log.level >= 0
	                              ? (enum tb_log_level)cfg->log.level
	                              : tb_log_level_from_env();
	tb_log_set_levels(g, cfg->log.modules);
}

/* SIGHUP: a new config generation, new certificates and trust stores,
 * without a restart. A bad file is refused and the old one stays; TLS
 * connections made with the old certificate are closed gracefully. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;
	struct cfg_errors errs;
	struct tb_config *ncfg = NULL;
	struct tls_profile *lp[64] = {0};
	unsigned char dig[32];
	char err[512];
	size_t i;

	(void)sig;
	(void)what;
	cfg_errors_init(&errs);
	if (cfg_load(r->path, &ncfg, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		tb_log("error", "reload_refused",
		       "config=%s errors=%zu (the running config stays)",
		       r->path, errs.n_errors);
		return;
	}
	if (!same_listeners(r->cfg, ncfg)) {
		tb_log("error", "reload_refused",
		       "config=%s reason=\"listen changed: that needs a "
		       "restart\"",
		       r->path);
		cfg_free(ncfg);
		return;
	}
	for (i = 0; i < ncfg->n_listeners && i < 64; i++) {
		if (ncfg->listeners[i].transport != CFG_TRANSPORT_TLS)
			continue;
		lp[i] = tls_profile_for(ncfg, &ncfg->listeners[i].tls, false,
		                        err, sizeof(err));
		if (!lp[i]) {
			tb_log("error", "reload_refused",
			       "config=%s reason=\"%s\" (the running config "
			       "stays)",
			       r->path, err);
			goto drop;
		}
	}
	struct route_table *nroutes = build_routes(ncfg, err, sizeof(err));
	if (!nroutes) {
		tb_log("error", "reload_refused",
		       "config=%s reason=\"%s\" (the running config stays)",
		       r->path, err);
		goto drop;
	}
	if ((ncfg->cdr_path == NULL) != (r->cfg->cdr_path == NULL) ||
	    (ncfg->cdr_path && strcmp(ncfg->cdr_path, r->cfg->cdr_path)))
		tb_log("warn", "reload_partial",
		       "config=%s reason=\"cdr.store changed: the running "
		       "store stays until a restart\"",
		       r->path);
	/* everything built: swap */
	for (i = 0; i < ncfg->n_listeners && i < 64; i++) {
		if (lp[i])
			tp_listener_set_tls(r->tp, (unsigned)i, lp[i]);
	}
	for (i = 0; i < MAX_TRUNKS; i++) {
		pinger_free(r->pingers[i]);
		r->pingers[i] = NULL;
	}
	bool admin_moved = admin_reload_before(r, ncfg);
	cfg_free(r->cfg);
	r->cfg = ncfg;
	ncfg = NULL;
	r->loaded_ms = wall_ms();
	admin_reload_after(r, admin_moved);
	apply_log_levels(r->cfg);
	trace_apply(r, r->cfg);
	if (b2b_config(r, nroutes) != 0)
		tb_log("error", "reload_b2b_failed", "config=%s", r->path);
	r->id.fqdn = r->cfg->identity.fqdn;
	identity_digest(r->cfg, dig);
	bool id_changed = memcmp(dig, r->id_digest, 32) != 0;
	memcpy(r->id_digest, dig, 32);
	/* our certificate changed: TLS connections close gracefully and
	 * peers see the new one when they reconnect. Otherwise they stay:
	 * the calls in progress on them go on (new trust settings of a
	 * trunk apply to its new connections). */
	tp_close_tls(r->tp, id_changed, id_changed);
	if (start_pingers(r) != 0)
		tb_log("error", "reload_pingers_failed", "config=%s", r->path);
	tb_log("info", "reloaded", "config=%s certificate_changed=%s", r->path,
	       id_changed ? "yes" : "no");
drop:
	for (i = 0; i < 64; i++) {
		if (lp[i])
			tls_profile_unref(lp[i]);
	}
	cfg_free(ncfg);
}

/* SIGHUP as systemd sees it: RELOADING=1, the reload, READY=1. */
static void on_hup_notify(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;
	int64_t before = r->loaded_ms;

	lifecycle_reloading(r->life);
	on_hup(sig, what, arg);
	lifecycle_reloaded(r->life, r->loaded_ms != before
	                                    ? "running: config reloaded"
	                                    : "running: reload refused, the "
	                                      "config stays");
}

int cmd_run(int argc, char **argv)
{
	const char *path = NULL;
	struct cfg_errors errs;
	struct run r;
	struct event *sigint = NULL, *sigterm = NULL, *sighup = NULL;
	struct route_table *routes = NULL;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 ||
		     strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc)
			path = argv[++i];
		else {
			fprintf(stderr, "usage: trunkbridge run -c FILE\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "usage: trunkbridge run -c FILE\n");
		return 2;
	}
	memset(&r, 0, sizeof(r));
	r.path = path;
	r.loaded_ms = wall_ms();
	cfg_errors_init(&errs);
	if (cfg_load(path, &r.cfg, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		fprintf(stderr,
		        "trunkbridge: %s not started: the config has "
		        "errors\n",
		        path);
		return 1;
	}
	if (errs.n)
		cfg_errors_print(&errs, stderr);
	apply_log_levels(r.cfg);
	/* SRTP known answers (RFC 3711 B.2/B.3, each suite round trip):
	 * a relay whose OpenSSL gives wrong answers must not carry calls */
	const char *kat = NULL;
	if (r.cfg->media.enabled && srtp_selftest(&kat) != 0) {
		fprintf(stderr,
		        "trunkbridge: %s not started: the SRTP self-test "
		        "failed: %s\n",
		        path, kat ? kat : "?");
		cfg_free(r.cfg);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	r.base = event_base_new();
	struct tp_limits lim = TP_LIMITS_DEFAULT;
	lim.sip.max_msg_size = r.cfg->limits.max_message_size;
	lim.sip.max_headers = r.cfg->limits.max_headers;
	lim.sip.max_header_len = r.cfg->limits.max_header_length;
	lim.sip.max_vias = r.cfg->limits.max_vias;
	lim.max_connections = r.cfg->limits.max_connections;
	lim.max_connections_per_source =
	        r.cfg->limits.max_connections_per_source;
	lim.handshake_timeout_ms = r.cfg->limits.tls_handshake_timeout_ms;
	lim.idle_timeout_ms = r.cfg->limits.idle_timeout_ms;
	r.tp = r.base ? tp_layer_new(r.base, &lim, on_msg, on_bad, &r) : NULL;
	if (!r.tp) {
		fprintf(stderr, "trunkbridge: cannot start the event loop\n");
		goto out;
	}
	r.id.fqdn = r.cfg->identity.fqdn;
	r.id.transport = r.transport_name;
	identity_digest(r.cfg, r.id_digest);
	struct sip_tx_config txc = SIP_TX_CONFIG_DEFAULT;
	txc.t1_ms = r.cfg->timers.t1_ms;
	txc.t2_ms = r.cfg->timers.t2_ms;
	txc.t4_ms = r.cfg->timers.t4_ms;
	txc.max_transactions = r.cfg->limits.max_transactions;
	struct sip_tx_env txe = {
	        .send = tx_send, .now_ms = tx_event_now_ms, .arg = &r};
	r.tx = sip_tx_layer_alloc(&txc, &txe);
	r.tx_timer = event_new(r.base, -1, 0, on_tx_timer, &r);
	if (!r.tx || !r.tx_timer) {
		fprintf(stderr, "trunkbridge: out of memory\n");
		goto out;
	}
	tp_layer_set_closed(r.tp, on_conn_closed, &r);
	if (trace_apply(&r, r.cfg) != 0)
		goto out;
	{
		char err[512];
		routes = build_routes(r.cfg, err, sizeof(err));
		if (!routes) {
			tb_log("error", "routes_failed", "reason=\"%s\"", err);
			goto out;
		}
		if (r.cfg->cdr_path && cdr_store_open(r.cfg->cdr_path, &r.cdr,
		                                      err, sizeof(err)) != 0) {
			tb_log("error", "cdr_store_failed",
			       "store=%s reason=\"%s\"", r.cfg->cdr_path, err);
			goto out;
		}
		tb_log("info", "ready", "routes=%zu cdr=%s",
		       route_table_count(routes),
		       r.cfg->cdr_path ? r.cfg->cdr_path : "none");
	}
	if (open_listeners(&r) != 0 || start_pingers(&r) != 0)
		goto out;
	{
		struct b2b_env be = {
		        .base = r.base,
		        .tp = r.tp,
		        .tx = r.tx,
		        .cdr = r.cdr,
		        .port = r.id.port,
		        .transport = r.transport_name,
		        .after = rearm,
		        .server_ok = server_ok,
		        .leg_made = on_leg_made,
		        .arg = &r,
		};
		r.b2b = b2b_new(&be);
		if (!r.b2b || b2b_config(&r, routes) != 0) {
			routes = NULL;
			tb_log("error", "b2b_failed",
			       "reason=\"out of memory\"");
			goto out;
		}
		routes = NULL;
	}
	if (admin_start(&r) != 0)
		goto out;
	{
		struct lifecycle_env le = {
		        .base = r.base,
		        .b2b = r.b2b,
		        .admin = &r.admin,
		        .cfg = &r.cfg,
		};
		r.life = lifecycle_new(&le);
		if (!r.life) {
			fprintf(stderr, "trunkbridge: out of memory\n");
			goto out;
		}
	}
	sigint = evsignal_new(r.base, SIGINT, on_signal, &r);
	sigterm = evsignal_new(r.base, SIGTERM, on_signal, &r);
	sighup = evsignal_new(r.base, SIGHUP, on_hup_notify, &r);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_add(sighup, NULL);
	tb_log("info", "started", "fqdn=%s config=%s", r.cfg->identity.fqdn,
	       path);
	lifecycle_ready(r.life, "running");
	event_base_dispatch(r.base);
	rc = 0;
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (sighup)
		event_free(sighup);
	lifecycle_free(r.life);
	r.life = NULL;
	admin_free(r.admin); /* no more requests into what follows */
	r.admin = NULL;
	/* calls end first (CDR rows), then the layers under them */
	b2b_shutdown(r.b2b);
	for (size_t i = 0; i < MAX_TRUNKS; i++) {
		pinger_free(r.pingers[i]);
		r.pingers[i] = NULL; /* tp_layer_free reports closes */
	}
	/* transactions first: they may hold connections' addresses */
	sip_tx_layer_free(r.tx);
	if (r.tx_timer)
		event_free(r.tx_timer);
	tp_layer_free(r.tp);
	trace_free(r.trace); /* after the last message: flushed */
	r.trace = NULL;
	b2b_free(r.b2b);
	route_table_free(routes);
	if (r.cdr)
		cdr_store_close(r.cdr);
	if (r.base)
		event_base_free(r.base);
	cfg_free(r.cfg);
	return rc;
}
