/* admin.c: the admin HTTP endpoint (see admin.h). */
#include "admin/admin.h"
#include "b2b/b2b.h"
#include "base/clock.h"
#include "media/relay.h"
#include "sip/transp/transport.h"
#include "trace/trace.h"
#include "trunk/health.h"
#include "trunk/pinger.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ADMIN_MAX_HEADERS 8192 /* bytes of request line + headers */
#define ADMIN_TIMEOUT_S   10
#define ADMIN_AUTH_MAX    512 /* an Authorization value we look at */

struct admin {
	struct admin_env env;
	struct evhttp *http;
	int64_t started_wall_ms;
	uint64_t started_mono_ms;
	bool draining;
};

static int64_t now_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "2024-05-01T12:00:00.123Z" */
static void iso_time(int64_t wall_ms, char *out, size_t cap)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char base[32];
	if (!gmtime_r(&t, &tm) ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(out, cap, "-");
		return;
	}
	snprintf(out, cap, "%s.%03dZ", base, (int)(wall_ms % 1000));
}

/* A monotonic time of the pingers on the wall clock. */
static int64_t mono_to_wall(uint64_t mono_ms)
{
	uint64_t now = tb_mono_ms();
	int64_t ago = now > mono_ms ? (int64_t)(now - mono_ms) : 0;
	return now_wall_ms() - ago;
}

static const struct tb_config *cur_cfg(const struct admin *a)
{
	return *a->env.cfg;
}

/* Server health of trunk i of the running generation; NULL when none. */
static const struct server_health *trunk_health(const struct admin *a, size_t i,
                                                size_t *n)
{
	*n = 0;
	if (i >= a->env.n_pingers || !a->env.pingers[i])
		return NULL;
	return pinger_health(a->env.pingers[i], n);
}

static void server_text(const struct cfg_server *s, char *out, size_t cap)
{
	if (strchr(s->host, ':'))
		snprintf(out, cap, "[%s]:%u", s->host, (unsigned)s->port);
	else
		snprintf(out, cap, "%s:%u", s->host, (unsigned)s->port);
}

/* ---- answers */

static void send_text(struct evhttp_request *req, int code, const char *reason,
                      const char *ctype, const char *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (!b) {
		evhttp_send_reply(req, 500, "Internal Server Error", NULL);
		return;
	}
	evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void send_json(struct evhttp_request *req, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	if (!s) {
		send_text(req, 500, "Internal Server Error", "text/plain",
		          "out of memory\n", 14);
		return;
	}
	size_t n = strlen(s); /* ours, NUL-terminated by jansson */
	char *nl = realloc(s, n + 2);
	if (nl) {
		s = nl;
		s[n++] = '\n';
		s[n] = '\0';
	}
	send_text(req, 200, "OK", "application/json", s, n);
	free(s);
}

static void on_health(struct admin *a, struct evhttp_request *req)
{
	if (a->draining)
		send_text(req, 503, "Service Unavailable", "text/plain",
		          "draining\n", 9);
	else
		send_text(req, 200, "OK", "text/plain", "ok\n", 3);
}

static json_t *server_json(const struct cfg_server *s,
                           const struct server_health *h)
{
	char addr[300], since[40];
	json_t *o = json_object();
	if (!o)
		return NULL;
	server_text(s, addr, sizeof(addr));
	json_object_set_new(o, "server", json_string(addr));
	if (!h) {
		json_object_set_new(o, "status", json_string("Inactive"));
		json_object_set_new(o, "since", json_null());
		json_object_set_new(o, "reason", json_string("not checked"));
		return o;
	}
	json_object_set_new(o, "status",
	                    json_string(health_status_name(h->status)));
	if (h->ever_checked && h->since_ms) {
		iso_time(mono_to_wall(h->since_ms), since, sizeof(since));
		json_object_set_new(o, "since", json_string(since));
	} else {
		json_object_set_new(o, "since", json_null());
	}
	json_object_set_new(
	        o, "reason",
	        json_string(h->ever_checked ? h->reason : "not checked yet"));
	json_object_set_new(o, "last_code", json_integer(h->last_code));
	json_object_set_new(o, "rtt_ms", json_integer(h->last_rtt_ms));
	return o;
}

static void on_status(struct admin *a, struct evhttp_request *req)
{
	const struct tb_config *cfg = cur_cfg(a);
	char t[40];
	json_t *j = json_object();
	json_t *trunks = json_array();
	if (!j || !trunks) {
		json_decref(j);
		json_decref(trunks);
		send_json(req, NULL);
		return;
	}
	json_object_set_new(j, "version", json_string(a->env.version));
	iso_time(a->started_wall_ms, t, sizeof(t));
	json_object_set_new(j, "started", json_string(t));
	json_object_set_new(
	        j, "uptime_s",
	        json_integer((json_int_t)((tb_mono_ms() - a->started_mono_ms) /
	                                  1000)));
	json_object_set_new(j, "draining", json_boolean(a->draining));
	json_t *cf = json_object();
	json_object_set_new(cf, "file", json_string(a->env.config_path));
	iso_time(*a->env.loaded_wall_ms, t, sizeof(t));
	json_object_set_new(cf, "loaded", json_string(t));
	json_object_set_new(j, "config", cf);
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct cfg_trunk *tr = &cfg->trunks[i];
		size_t n = 0;
		const struct server_health *h = trunk_health(a, i, &n);
		json_t *o = json_object(), *sv = json_array();
		enum trunk_status st =
		        h ? health_trunk_status(h, n) : TRUNK_INACTIVE;
		json_object_set_new(o, "name", json_string(tr->name));
		json_object_set_new(o, "profile",
		                    json_string(cfg_profile_name(tr->profile)));
		json_object_set_new(o, "status",
		                    json_string(health_status_name(st)));
		json_object_set_new(
		        o, "calls",
		        json_integer(b2b_trunk_calls(a->env.b2b, tr->name)));
		for (size_t k = 0; k < tr->n_servers; k++)
			json_array_append_new(
			        sv, server_json(&tr->servers[k],
			                        h && k < n ? &h[k] : NULL));
		json_object_set_new(o, "servers", sv);
		json_array_append_new(trunks, o);
	}
	json_object_set_new(j, "trunks", trunks);
	const struct b2b_stats *bs = a->env.b2b ? b2b_stats(a->env.b2b) : NULL;
	json_t *calls = json_object();
	json_object_set_new(calls, "active",
	                    json_integer(bs ? (json_int_t)bs->active : 0));
	json_object_set_new(calls, "total",
	                    json_integer(bs ? (json_int_t)bs->calls : 0));
	json_object_set_new(calls, "answered",
	                    json_integer(bs ? (json_int_t)bs->answered : 0));
	json_object_set_new(calls, "failed",
	                    json_integer(bs ? (json_int_t)bs->failed : 0));
	json_object_set_new(j, "calls", calls);
	const struct media_engine *me = b2b_media_engine(a->env.b2b);
	json_t *md = json_object();
	json_object_set_new(md, "enabled", json_boolean(me != NULL));
	json_object_set_new(md, "endpoints",
	                    json_integer(me ? media_engine_endpoints(me) : 0));
	json_object_set_new(md, "free_port_pairs",
	                    json_integer(me ? media_engine_free_pairs(me) : 0));
	json_object_set_new(j, "media", md);
	send_json(req, j);
}

static json_t *leg_json(const struct b2b_leg_view *l)
{
	json_t *o = json_object();
	json_object_set_new(o, "media", json_boolean(l->media));
	json_object_set_new(o, "rx_packets",
	                    json_integer((json_int_t)l->rx_packets));
	json_object_set_new(o, "tx_packets",
	                    json_integer((json_int_t)l->tx_packets));
	json_object_set_new(o, "rx_bytes",
	                    json_integer((json_int_t)l->rx_bytes));
	json_object_set_new(o, "tx_bytes",
	                    json_integer((json_int_t)l->tx_bytes));
	json_object_set_new(o, "lost", json_integer((json_int_t)l->lost));
	json_object_set_new(o, "dropped", json_integer((json_int_t)l->dropped));
	return o;
}

static void call_json(void *arg, const struct b2b_call_view *v)
{
	json_t *list = arg;
	json_t *o = json_object();
	char t[40];
	json_object_set_new(o, "id", json_string(v->id));
	json_object_set_new(o, "in_trunk", json_string(v->in_trunk));
	json_object_set_new(o, "out_trunk", json_string(v->out_trunk));
	json_object_set_new(o, "calling", json_string(v->calling));
	json_object_set_new(o, "called", json_string(v->called));
	json_object_set_new(o, "state", json_string(v->state));
	iso_time(v->start_ms, t, sizeof(t));
	json_object_set_new(o, "start", json_string(t));
	if (v->answer_ms) {
		iso_time(v->answer_ms, t, sizeof(t));
		json_object_set_new(o, "answered", json_string(t));
	} else {
		json_object_set_new(o, "answered", json_null());
	}
	json_object_set_new(o, "in_media", leg_json(&v->in));
	json_object_set_new(o, "out_media", leg_json(&v->out));
	json_array_append_new(list, o);
}

static void on_calls(struct admin *a, struct evhttp_request *req)
{
	json_t *j = json_object(), *list = json_array();
	bool more = false;
	size_t n = b2b_calls_visit(a->env.b2b, ADMIN_MAX_CALLS, call_json, list,
	                           &more);
	json_object_set_new(j, "count", json_integer((json_int_t)n));
	json_object_set_new(j, "truncated", json_boolean(more));
	json_object_set_new(j, "calls", list);
	send_json(req, j);
}

/* ---- /metrics: Prometheus text exposition format 0.0.4 */

/* A label value with \, " and newline escaped. */
static void label_esc(const char *s, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; s[i] && k + 3 < cap; i++) {
		char ch = s[i];
		if (ch == '\\' || ch == '"') {
			out[k++] = '\\';
			out[k++] = ch;
		} else if (ch == '\n') {
			out[k++] = '\\';
			out[k++] = 'n';
		} else {
			out[k++] = ch;
		}
	}
	out[k] = '\0';
}

static void meta(struct evbuffer *b, const char *name, const char *type,
                 const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	                    type);
}

static const char *const drop_names[MEP_DROP_COUNT] = {
        "foreign", "srtp_auth", "srtp_replay", "malformed",
        "stun",    "unlinked",  "hold",        "send"};

static void metrics_trunks(struct admin *a, struct evbuffer *b)
{
	const struct tb_config *cfg = cur_cfg(a);
	char tn[160], sn[400], addr[300];

	meta(b, "trunkbridge_trunk_up", "gauge",
	     "1 when the trunk is Active (one of its servers answers OPTIONS)");
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		size_t n = 0;
		const struct server_health *h = trunk_health(a, i, &n);
		label_esc(cfg->trunks[i].name, tn, sizeof(tn));
		evbuffer_add_printf(
		        b, "trunkbridge_trunk_up{trunk=\"%s\"} %d\n", tn,
		        h && health_trunk_status(h, n) == TRUNK_ACTIVE);
	}
	meta(b, "trunkbridge_server_up", "gauge",
	     "1 when the trunk server is Active");
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		size_t n = 0;
		const struct server_health *h = trunk_health(a, i, &n);
		label_esc(t->name, tn, sizeof(tn));
		for (size_t k = 0; k < t->n_servers; k++) {
			server_text(&t->servers[k], addr, sizeof(addr));
			label_esc(addr, sn, sizeof(sn));
			evbuffer_add_printf(
			        b,
			        "trunkbridge_server_up{trunk=\"%s\",server=\"%"
			        "s\"}"
			        " %d\n",
			        tn, sn,
			        h && k < n && h[k].status == TRUNK_ACTIVE);
		}
	}
	meta(b, "trunkbridge_options_rtt_seconds", "gauge",
	     "round-trip time of the last answered OPTIONS ping");
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		size_t n = 0;
		const struct server_health *h = trunk_health(a, i, &n);
		label_esc(t->name, tn, sizeof(tn));
		for (size_t k = 0; k < t->n_servers && h && k < n; k++) {
			server_text(&t->servers[k], addr, sizeof(addr));
			label_esc(addr, sn, sizeof(sn));
			evbuffer_add_printf(
			        b,
			        "trunkbridge_options_rtt_seconds{trunk=\"%s\","
			        "server=\"%s\"} %u.%03u\n",
			        tn, sn, (unsigned)(h[k].last_rtt_ms / 1000),
			        (unsigned)(h[k].last_rtt_ms % 1000));
		}
	}
	meta(b, "trunkbridge_trunk_calls_active", "gauge",
	     "calls in progress in or out on the trunk");
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		label_esc(cfg->trunks[i].name, tn, sizeof(tn));
		evbuffer_add_printf(
		        b, "trunkbridge_trunk_calls_active{trunk=\"%s\"} %u\n",
		        tn,
		        (unsigned)b2b_trunk_calls(a->env.b2b,
		                                  cfg->trunks[i].name));
	}
}

static void metrics_trunk_calls(struct admin *a, struct evbuffer *b)
{
	const struct tb_config *cfg = cur_cfg(a);
	char tn[160];

	meta(b, "trunkbridge_trunk_calls_total", "counter",
	     "calls that ended, by trunk, direction (inbound: the trunk "
	     "called us; outbound: we called it) and outcome");
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		struct b2b_trunk_outcomes o;
		(void)b2b_trunk_outcomes(a->env.b2b, cfg->trunks[i].name, &o);
		label_esc(cfg->trunks[i].name, tn, sizeof(tn));
		const struct {
			const char *dir, *outcome;
			uint64_t v;
		} rows[4] = {{"inbound", "answered", o.in_answered},
		             {"inbound", "failed", o.in_failed},
		             {"outbound", "answered", o.out_answered},
		             {"outbound", "failed", o.out_failed}};
		for (size_t k = 0; k < 4; k++)
			evbuffer_add_printf(
			        b,
			        "trunkbridge_trunk_calls_total{trunk=\"%s\","
			        "direction=\"%s\",outcome=\"%s\"} %llu\n",
			        tn, rows[k].dir, rows[k].outcome,
			        (unsigned long long)rows[k].v);
	}
}

static void metrics_sip(struct admin *a, struct evbuffer *b)
{
	struct tp_stats z;
	const struct tp_stats *s = a->env.tp ? tp_layer_stats(a->env.tp) : NULL;
	if (!s) {
		memset(&z, 0, sizeof(z));
		s = &z;
	}
	meta(b, "trunkbridge_sip_messages_total", "counter",
	     "SIP messages received and sent (every transport)");
	evbuffer_add_printf(
	        b,
	        "trunkbridge_sip_messages_total{direction=\"in\"} %llu\n"
	        "trunkbridge_sip_messages_total{direction=\"out\"} %llu\n",
	        (unsigned long long)s->msgs_in,
	        (unsigned long long)s->msgs_out);
	meta(b, "trunkbridge_sip_malformed_total", "counter",
	     "SIP messages the parser refused (answered 4xx or dropped)");
	evbuffer_add_printf(b, "trunkbridge_sip_malformed_total %llu\n",
	                    (unsigned long long)s->malformed);
	meta(b, "trunkbridge_connections", "gauge",
	     "TCP and TLS connections open");
	evbuffer_add_printf(b, "trunkbridge_connections %u\n",
	                    a->env.tp ? tp_layer_conn_count(a->env.tp) : 0u);
	meta(b, "trunkbridge_connections_refused_total", "counter",
	     "connections refused by the caps (limits.max_connections, "
	     "limits.max_connections_per_source)");
	evbuffer_add_printf(
	        b,
	        "trunkbridge_connections_refused_total{reason=\"total\"} "
	        "%llu\n"
	        "trunkbridge_connections_refused_total{reason=\"per_source\"} "
	        "%llu\n",
	        (unsigned long long)s->conns_refused_total,
	        (unsigned long long)s->conns_refused_per_source);
	meta(b, "trunkbridge_tls_handshake_failures_total", "counter",
	     "TLS handshakes that failed, by direction (inbound: a peer "
	     "connected to us) and reason");
	for (int d = 0; d < 2; d++) {
		for (int k = 0; k < TLS_FAIL_COUNT; k++)
			evbuffer_add_printf(
			        b,
			        "trunkbridge_tls_handshake_failures_total{"
			        "direction=\"%s\",reason=\"%s\"} %llu\n",
			        d ? "outbound" : "inbound",
			        tls_fail_name((enum tls_fail_class)k),
			        (unsigned long long)s->tls_fail[k][d]);
	}
}

static void metrics_trace(struct admin *a, struct evbuffer *b)
{
	const struct trace *tr = a->env.trace ? *a->env.trace : NULL;
	struct trace_stats t;

	if (tr)
		t = trace_stats(tr);
	else
		memset(&t, 0, sizeof(t));
	meta(b, "trunkbridge_trace_enabled", "gauge",
	     "1 when a trace section is on (docs/trace.md)");
	evbuffer_add_printf(b, "trunkbridge_trace_enabled %d\n", tr != NULL);
	meta(b, "trunkbridge_trace_messages_total", "counter",
	     "SIP messages seen by the trace, by result (written to pcap, "
	     "filtered out by trace.calls, dropped on the pcap side)");
	evbuffer_add_printf(
	        b,
	        "trunkbridge_trace_messages_total{result=\"written\"} %llu\n"
	        "trunkbridge_trace_messages_total{result=\"filtered\"} "
	        "%llu\n"
	        "trunkbridge_trace_messages_total{result=\"dropped\"} %llu\n",
	        (unsigned long long)t.written, (unsigned long long)t.filtered,
	        (unsigned long long)t.dropped);
	meta(b, "trunkbridge_trace_hep_packets_total", "counter",
	     "HEPv3 packets to the collector, by result");
	evbuffer_add_printf(
	        b,
	        "trunkbridge_trace_hep_packets_total{result=\"sent\"} %llu\n"
	        "trunkbridge_trace_hep_packets_total{result=\"dropped\"} "
	        "%llu\n",
	        (unsigned long long)t.hep_sent,
	        (unsigned long long)t.hep_dropped);
	meta(b, "trunkbridge_trace_files_rotated_total", "counter",
	     "pcap files closed at trace.pcap.max_file_size");
	evbuffer_add_printf(b, "trunkbridge_trace_files_rotated_total %llu\n",
	                    (unsigned long long)t.rotated);
}

static void metrics_calls(struct admin *a, struct evbuffer *b)
{
	struct b2b_stats z;
	const struct b2b_stats *s = a->env.b2b ? b2b_stats(a->env.b2b) : NULL;
	if (!s) {
		memset(&z, 0, sizeof(z));
		s = &z;
	}
	meta(b, "trunkbridge_calls_started_total", "counter",
	     "calls taken (INVITEs that became calls)");
	evbuffer_add_printf(b, "trunkbridge_calls_started_total %llu\n",
	                    (unsigned long long)s->calls);
	meta(b, "trunkbridge_calls_total", "counter",
	     "calls by outcome: answered (a 2xx relayed), failed (ended "
	     "unanswered)");
	evbuffer_add_printf(
	        b,
	        "trunkbridge_calls_total{outcome=\"answered\"} "
	        "%llu\n"
	        "trunkbridge_calls_total{outcome=\"failed\"} %llu\n",
	        (unsigned long long)s->answered, (unsigned long long)s->failed);
	unsigned win = 0;
	double rate = b2b_call_rate(a->env.b2b, &win);
	meta(b, "trunkbridge_call_rate", "gauge",
	     "calls started per second, averaged over the last minute");
	evbuffer_add_printf(b, "trunkbridge_call_rate{window=\"%us\"} %.3f\n",
	                    win, rate);
	meta(b, "trunkbridge_calls_active", "gauge", "calls in progress");
	evbuffer_add_printf(b, "trunkbridge_calls_active %llu\n",
	                    (unsigned long long)s->active);
	meta(b, "trunkbridge_calls_refused_total", "counter",
	     "calls refused before routing, by reason");
	evbuffer_add_printf(
	        b,
	        "trunkbridge_calls_refused_total{reason=\"limit\"} %llu\n"
	        "trunkbridge_calls_refused_total{reason=\"no_route\"} %llu\n"
	        "trunkbridge_calls_refused_total{reason=\"loop\"} %llu\n"
	        "trunkbridge_calls_refused_total{reason=\"overload\"} %llu\n"
	        "trunkbridge_calls_refused_total{reason=\"draining\"} %llu\n",
	        (unsigned long long)s->refused_limit,
	        (unsigned long long)s->no_route, (unsigned long long)s->loops,
	        (unsigned long long)s->overload,
	        (unsigned long long)s->refused_draining);
	meta(b, "trunkbridge_refused_sources_total", "counter",
	     "requests from sources in no trunk's allow-list");
	evbuffer_add_printf(b, "trunkbridge_refused_sources_total %llu\n",
	                    (unsigned long long)s->refused_source);
	meta(b, "trunkbridge_failovers_total", "counter",
	     "INVITEs retried on the trunk's next server");
	evbuffer_add_printf(b, "trunkbridge_failovers_total %llu\n",
	                    (unsigned long long)s->failovers);
	meta(b, "trunkbridge_transfers_total", "counter",
	     "transfers (REFER, Replaces) by result");
	evbuffer_add_printf(
	        b,
	        "trunkbridge_transfers_total{result=\"done\"} %llu\n"
	        "trunkbridge_transfers_total{result=\"failed\"} %llu\n",
	        (unsigned long long)s->transfers,
	        (unsigned long long)s->transfers_failed);
	meta(b, "trunkbridge_cdr_rows_total", "counter", "CDR rows by result");
	evbuffer_add_printf(b,
	                    "trunkbridge_cdr_rows_total{result=\"written\"} "
	                    "%llu\n"
	                    "trunkbridge_cdr_rows_total{result=\"failed\"} "
	                    "%llu\n",
	                    (unsigned long long)s->cdr_written,
	                    (unsigned long long)s->cdr_failed);
}

static void metrics_media(struct admin *a, struct evbuffer *b)
{
	const struct media_engine *me = b2b_media_engine(a->env.b2b);
	struct mep_stats t;
	media_engine_totals(me, &t); /* zeros without an engine */

	meta(b, "trunkbridge_media_relayed_packets_total", "counter",
	     "RTP packets relayed (sent toward a peer)");
	evbuffer_add_printf(b, "trunkbridge_media_relayed_packets_total %llu\n",
	                    (unsigned long long)t.tx_packets);
	meta(b, "trunkbridge_media_relayed_bytes_total", "counter",
	     "RTP bytes relayed (sent toward a peer)");
	evbuffer_add_printf(b, "trunkbridge_media_relayed_bytes_total %llu\n",
	                    (unsigned long long)t.tx_bytes);
	meta(b, "trunkbridge_media_dropped_packets_total", "counter",
	     "media packets dropped, by reason");
	for (int i = 0; i < MEP_DROP_COUNT; i++)
		evbuffer_add_printf(b,
		                    "trunkbridge_media_dropped_packets_total{"
		                    "reason=\"%s\"} %llu\n",
		                    drop_names[i],
		                    (unsigned long long)t.drops[i]);
	meta(b, "trunkbridge_media_stun_answered_total", "counter",
	     "STUN binding requests answered (ICE-lite)");
	evbuffer_add_printf(b, "trunkbridge_media_stun_answered_total %llu\n",
	                    (unsigned long long)t.stun);
	meta(b, "trunkbridge_media_endpoints", "gauge",
	     "relay endpoints (port pairs) in use");
	evbuffer_add_printf(b, "trunkbridge_media_endpoints %u\n",
	                    (unsigned)(me ? media_engine_endpoints(me) : 0));
	meta(b, "trunkbridge_media_free_port_pairs", "gauge",
	     "port pairs free in the media pool");
	evbuffer_add_printf(b, "trunkbridge_media_free_port_pairs %u\n",
	                    (unsigned)(me ? media_engine_free_pairs(me) : 0));
}

static void on_metrics(struct admin *a, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	if (!b) {
		evhttp_send_reply(req, 500, "Internal Server Error", NULL);
		return;
	}
	meta(b, "trunkbridge_info", "gauge", "the running version");
	evbuffer_add_printf(b, "trunkbridge_info{version=\"%s\"} 1\n",
	                    a->env.version);
	meta(b, "trunkbridge_uptime_seconds", "gauge",
	     "seconds since trunkbridge started");
	evbuffer_add_printf(
	        b, "trunkbridge_uptime_seconds %llu\n",
	        (unsigned long long)((tb_mono_ms() - a->started_mono_ms) /
	                             1000));
	metrics_trunks(a, b);
	metrics_calls(a, b);
	metrics_trunk_calls(a, b);
	metrics_sip(a, b);
	metrics_media(a, b);
	metrics_trace(a, b);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type",
	                  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* ---- dispatch */

/* The bearer token, compared in constant time; true when none is set. */
static bool authorized(struct admin *a, struct evhttp_request *req)
{
	const char *want = cur_cfg(a)->admin.token;
	if (!want)
		return true;
	const char *got = evhttp_find_header(
	        evhttp_request_get_input_headers(req), "Authorization");
	if (!got)
		return false;
	size_t n = strnlen(got, ADMIN_AUTH_MAX + 1);
	if (n > ADMIN_AUTH_MAX || n < 7 || strncasecmp(got, "Bearer ", 7))
		return false;
	got += 7;
	n -= 7;
	while (n && *got == ' ') {
		got++;
		n--;
	}
	size_t wn = strlen(want); /* ours, from the config */
	return n == wn && CRYPTO_memcmp(got, want, wn) == 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct admin *a = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Allow", "GET");
		send_text(req, 405, "Method Not Allowed", "text/plain",
		          "GET only\n", 9);
		return;
	}
	if (!path)
		path = "/";
	if (strcmp(path, "/health") == 0) {
		on_health(a, req);
		return;
	}
	if (!authorized(a, req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "WWW-Authenticate",
		                  "Bearer realm=\"trunkbridge\"");
		send_text(req, 401, "Unauthorized", "text/plain",
		          "a bearer token is needed (admin.token)\n", 39);
		return;
	}
	if (strcmp(path, "/status") == 0)
		on_status(a, req);
	else if (strcmp(path, "/calls") == 0)
		on_calls(a, req);
	else if (strcmp(path, "/metrics") == 0)
		on_metrics(a, req);
	else
		send_text(req, 404, "Not Found", "text/plain",
		          "not found: /health /status /calls /metrics\n", 43);
}

struct admin *admin_new(const struct admin_env *env, const struct cfg_admin *ac,
                        char *err, size_t errlen)
{
	struct admin *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->env = *env;
	a->started_wall_ms = now_wall_ms();
	a->started_mono_ms = tb_mono_ms();
	a->http = evhttp_new(env->base);
	if (!a->http) {
		snprintf(err, errlen, "out of memory");
		free(a);
		return NULL;
	}
	evhttp_set_max_headers_size(a->http, ADMIN_MAX_HEADERS);
	evhttp_set_max_body_size(a->http, 0);
	evhttp_set_timeout(a->http, ADMIN_TIMEOUT_S);
	evhttp_set_allowed_methods(
	        a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(a->http, on_request, a);
	errno = 0;
	if (!evhttp_bind_socket_with_handle(a->http, ac->address.text,
	                                    ac->port)) {
		snprintf(err, errlen, "cannot listen on %s: %s", ac->listen,
		         errno ? strerror(errno) : "bind failed");
		evhttp_free(a->http);
		free(a);
		return NULL;
	}
	return a;
}

void admin_set_draining(struct admin *a, bool draining)
{
	if (a)
		a->draining = draining;
}

void admin_free(struct admin *a)
{
	if (!a)
		return;
	evhttp_free(a->http);
	free(a);
}
