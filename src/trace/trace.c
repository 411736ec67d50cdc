/* trace.c: the tap, the calls filter, TCP sequence numbers per direction,
 * the flush timer, and the fan-out to pcap files and HEP. */
#include "trace/trace.h"

#include "base/log.h"
#include "trace/hep.h"
#include "trace/pcap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRACE_FLOWS    1024 /* TCP directions remembered (direct-mapped) */
#define TRACE_CALLID   128  /* Call-ID bytes kept (longer: hash + prefix) */
#define TRACE_HDRS     256  /* header slots for parsing a sent message */
#define TRACE_FLUSH_MS 1000

/* One direction of a TCP (or TLS) connection: its next sequence number. */
struct flow {
	uint8_t key[37]; /* family, src ip, dst ip, ports */
	bool used;
	uint32_t next;
};

struct callid {
	uint64_t h;
	uint64_t seen; /* t->clock when last seen */
	uint32_t len;
	char id[TRACE_CALLID];
};

struct trace {
	struct event_base *base;
	struct event *timer;
	struct tb_config *cfg; /* a reference: the trace section in use */
	const struct cfg_trace *c;
	struct pcap_roll *pcap;
	struct hep_sender *hep;
	bool hep_failing; /* reported once */
	struct callid *ids;
	size_t n_ids, cap_ids;
	uint64_t clock;
	uint16_t ip_id;
	struct flow flows[TRACE_FLOWS];
	struct sip_hdr hdrs[TRACE_HDRS];
	struct trace_stats st;
	struct pcap_roll_stats gone; /* of writers a reload removed */
	uint8_t hep_buf[HEP_MAX_PACKET];
};

/* ---- numbers and Call-IDs ----------------------------------------------- */

bool trace_number_match(const char *pattern, struct pl user)
{
	size_t i = 0, j = 0, n = user.l;

	if (!user.p)
		return false;
	for (size_t k = 0; k < user.l; k++) {
		if (user.p[k] == ';') {
			n = k;
			break;
		}
	}
	if (pattern[0] == '+')
		i++;
	if (n && user.p[0] == '+')
		j++;
	for (; pattern[i]; i++, j++) {
		char p = pattern[i];
		if (p == '*' && pattern[i + 1] == '\0')
			return true;
		if (j >= n)
			return false;
		char u = user.p[j];
		if (p == '.' ? (u < '0' || u > '9') : u != p)
			return false;
	}
	return j == n;
}

static uint64_t hash64(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h;
}

static struct callid *id_find(struct trace *t, struct pl id)
{
	if (!id.p || !id.l)
		return NULL;
	uint64_t h = hash64(id.p, id.l);
	size_t keep = id.l < TRACE_CALLID ? id.l : TRACE_CALLID;
	for (size_t i = 0; i < t->n_ids; i++) {
		struct callid *e = &t->ids[i];
		if (e->h == h && e->len == id.l && !memcmp(e->id, id.p, keep))
			return e;
	}
	return NULL;
}

/* Returns true when the Call-ID was not traced yet. */
static bool id_add(struct trace *t, struct pl id)
{
	struct callid *e = id_find(t, id);

	if (!id.p || !id.l || id.l > UINT32_MAX || !t->cap_ids)
		return false;
	if (e) {
		e->seen = ++t->clock;
		return false;
	}
	if (t->n_ids < t->cap_ids) {
		e = &t->ids[t->n_ids++];
	} else {
		e = &t->ids[0];
		for (size_t i = 1; i < t->n_ids; i++)
			if (t->ids[i].seen < e->seen)
				e = &t->ids[i];
	}
	e->h = hash64(id.p, id.l);
	e->len = (uint32_t)id.l;
	memcpy(e->id, id.p, id.l < TRACE_CALLID ? id.l : TRACE_CALLID);
	e->seen = ++t->clock;
	return true;
}

static bool number_hit(const struct cfg_trace *c, const struct sip_msg *m)
{
	for (size_t i = 0; i < c->n_calls; i++) {
		if (trace_number_match(c->calls[i], m->ruri.user) ||
		    trace_number_match(c->calls[i], m->to.uri.user) ||
		    trace_number_match(c->calls[i], m->from.uri.user))
			return true;
	}
	return false;
}

void trace_link(struct trace *t, const char *of, const char *made)
{
	if (!t || !t->c->n_calls || !of || !made)
		return;
	struct pl a = pl_make(of, strlen(of)), b = pl_make(made, strlen(made));
	if (id_find(t, a))
		id_add(t, b);
	else if (id_find(t, b))
		id_add(t, a);
}

/* ---- TCP sequence numbers ----------------------------------------------- */

static size_t flow_key(uint8_t key[37], const struct sockaddr *src,
                       const struct sockaddr *dst)
{
	memset(key, 0, 37);
	key[0] = (uint8_t)dst->sa_family;
	for (int side = 0; side < 2; side++) {
		const struct sockaddr *sa = side ? dst : src;
		uint8_t *ip = key + 1 + 16 * side, *port = key + 33 + 2 * side;
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)sa;
			memcpy(ip, &s4->sin_addr, 4);
			memcpy(port, &s4->sin_port, 2);
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)sa;
			memcpy(ip, &s6->sin6_addr, 16);
			memcpy(port, &s6->sin6_port, 2);
		}
	}
	return 37;
}

/* The direction's slot; a new direction starts at a number made from
 * its addresses (so the other direction's ack is known before it is
 * seen). */
static struct flow *flow_get(struct trace *t, const struct sockaddr *src,
                             const struct sockaddr *dst)
{
	uint8_t key[37];
	flow_key(key, src, dst);
	uint64_t h = hash64((const char *)key, sizeof(key));
	struct flow *f = &t->flows[h % TRACE_FLOWS];
	if (!f->used || memcmp(f->key, key, sizeof(key)) != 0) {
		memcpy(f->key, key, sizeof(key));
		f->used = true;
		f->next = (uint32_t)(h >> 32);
	}
	return f;
}

static uint32_t flow_peek(struct trace *t, const struct sockaddr *src,
                          const struct sockaddr *dst)
{
	uint8_t key[37];
	flow_key(key, src, dst);
	uint64_t h = hash64((const char *)key, sizeof(key));
	const struct flow *f = &t->flows[h % TRACE_FLOWS];
	if (f->used && memcmp(f->key, key, sizeof(key)) == 0)
		return f->next;
	return (uint32_t)(h >> 32);
}

/* ---- the tap ------------------------------------------------------------ */

static void hep_out(struct trace *t, const struct tp_tap_msg *m,
                    const struct sockaddr *src, const struct sockaddr *dst,
                    uint64_t us, struct pl call_id)
{
	struct hep_msg hm = {
	        .src = src,
	        .dst = dst,
	        .tcp = m->transport != SIP_TP_UDP,
	        .ts_sec = (uint32_t)(us / 1000000),
	        .ts_usec = (uint32_t)(us % 1000000),
	        .capture_id = t->c->hep_id,
	        .password = t->c->hep_password,
	        .correlation = call_id,
	        .payload = m->buf,
	        .len = m->len,
	};
	size_t n = hep_encode(t->hep_buf, sizeof(t->hep_buf), &hm);
	if (n && hep_send(t->hep, t->hep_buf, n) == 0) {
		t->st.hep_sent++;
		if (t->hep_failing)
			tb_log("info", "trace_hep_recovered", "collector=%s",
			       t->c->hep_text);
		t->hep_failing = false;
		return;
	}
	t->st.hep_dropped++;
	if (!t->hep_failing)
		tb_log("warn", "trace_hep_failed",
		       "collector=%s reason=\"%s\" (packets are dropped and "
		       "counted)",
		       t->c->hep_text,
		       n ? strerror(errno) : "message too large for HEP");
	t->hep_failing = true;
}

void trace_tap(void *arg, const struct tp_tap_msg *m)
{
	struct trace *t = arg;
	const struct cfg_trace *c = t->c;
	const struct sip_msg *msg = m->msg;
	struct sip_msg parsed;

	t->st.messages++;
	if (!m->local || !m->remote)
		return;
	if (!msg && (c->n_calls || t->hep)) {
		sip_msg_init(&parsed, t->hdrs, TRACE_HDRS);
		if (sip_msg_parse(&parsed, m->buf, m->len,
		                  m->transport == SIP_TP_UDP
		                          ? SIP_PARSE_DATAGRAM
		                          : SIP_PARSE_STREAM,
		                  NULL, NULL) == SIP_PARSE_OK)
			msg = &parsed;
	}
	if (c->n_calls) {
		if (!msg) {
			t->st.filtered++;
			return;
		}
		if (msg->request && msg->method_id == SIP_METHOD_INVITE &&
		    !pl_isset(msg->to.tag) && number_hit(c, msg) &&
		    id_add(t, msg->call_id)) {
			t->st.calls_matched++;
			tb_log("info", "trace_call",
			       "call_id=\"%.*s\" (an INVITE matched "
			       "trace.calls)",
			       (int)(msg->call_id.l > 200 ? 200
			                                  : msg->call_id.l),
			       msg->call_id.p);
		}
		struct callid *e = id_find(t, msg->call_id);
		if (!e) {
			t->st.filtered++;
			return;
		}
		e->seen = ++t->clock;
	}
	const struct sockaddr *src = m->sent ? m->local : m->remote;
	const struct sockaddr *dst = m->sent ? m->remote : m->local;
	if (dst->sa_family != AF_INET && dst->sa_family != AF_INET6)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t us =
	        (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (t->pcap) {
		struct pcap_pkt p = {
		        .src = src,
		        .dst = dst,
		        .tcp = m->transport != SIP_TP_UDP,
		        .ip_id = t->ip_id,
		        .ts_us = us,
		        .payload = m->buf,
		        .len = m->len,
		};
		struct flow *f = NULL;
		if (p.tcp) {
			f = flow_get(t, src, dst);
			p.seq = f->next;
			p.ack = flow_peek(t, dst, src);
		}
		if (pcap_roll_write(t->pcap, &p) == 0) {
			if (f)
				f->next += (uint32_t)m->len;
			t->ip_id = (uint16_t)(t->ip_id +
			                      (p.tcp ? m->len / PCAP_TCP_MSS + 1
			                             : 1));
		}
	}
	if (t->hep)
		hep_out(t, m, src, dst, us, msg ? msg->call_id : PL_NULL);
}

/* ---- life --------------------------------------------------------------- */

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	trace_flush(arg);
}

void trace_flush(struct trace *t)
{
	if (t)
		pcap_roll_flush(t->pcap);
}

static struct hep_sender *hep_for(const struct cfg_trace *c, char *err,
                                  size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	memset(&ss, 0, sizeof(ss));
	if (c->hep_address.family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, c->hep_address.addr, 16);
		s6->sin6_port = htons(c->hep_port);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, c->hep_address.addr, 4);
		s4->sin_port = htons(c->hep_port);
		sl = sizeof(*s4);
	}
	char why[200];
	struct hep_sender *s =
	        hep_sender_new((struct sockaddr *)&ss, sl, why, sizeof(why));
	if (!s)
		snprintf(err, errlen, "hep %s: %s", c->hep_text, why);
	return s;
}

static struct pcap_roll_conf roll_conf(const struct cfg_trace *c)
{
	struct pcap_roll_conf rc = {
	        .dir = c->pcap_dir,
	        .max_file_size = c->max_file_size,
	        .max_files = c->max_files,
	        .buffer_size = c->buffer_size,
	};
	return rc;
}

/* The Call-ID table at its configured size (entries kept up to it). */
static int size_ids(struct trace *t, const struct cfg_trace *c)
{
	size_t cap = c->n_calls ? c->max_call_ids : 0;

	if (cap == t->cap_ids)
		return 0;
	if (cap == 0) {
		free(t->ids);
		t->ids = NULL;
		t->n_ids = t->cap_ids = 0;
		return 0;
	}
	struct callid *n = realloc(t->ids, cap * sizeof(*n));
	if (!n)
		return -1;
	t->ids = n;
	t->cap_ids = cap;
	if (t->n_ids > cap)
		t->n_ids = cap;
	return 0;
}

int trace_reload(struct trace *t, struct tb_config *cfg, char *err,
                 size_t errlen)
{
	const struct cfg_trace *c = &cfg->trace;
	struct hep_sender *hep = NULL;
	struct pcap_roll *pcap = NULL;

	if (c->hep && !(hep = hep_for(c, err, errlen)))
		return -1;
	if (c->pcap_dir && !t->pcap) {
		struct pcap_roll_conf rc = roll_conf(c);
		if (!(pcap = pcap_roll_new(&rc))) {
			hep_sender_free(hep);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (size_ids(t, c) != 0) {
		hep_sender_free(hep);
		pcap_roll_free(pcap);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (c->pcap_dir && t->pcap) {
		struct pcap_roll_conf rc = roll_conf(c);
		pcap_roll_set(t->pcap, &rc);
	} else if (!c->pcap_dir) {
		if (t->pcap) {
			pcap_roll_flush(t->pcap);
			const struct pcap_roll_stats *p =
			        pcap_roll_stats(t->pcap);
			t->gone.written += p->written;
			t->gone.dropped += p->dropped;
			t->gone.rotated += p->rotated;
			t->gone.deleted += p->deleted;
		}
		pcap_roll_free(t->pcap);
		t->pcap = NULL;
	} else {
		t->pcap = pcap;
	}
	hep_sender_free(t->hep);
	t->hep = hep;
	t->hep_failing = false;
	cfg_ref(cfg);
	cfg_free(t->cfg);
	t->cfg = cfg;
	t->c = c;
	return 0;
}

struct trace *trace_new(struct event_base *base, struct tb_config *cfg,
                        char *err, size_t errlen)
{
	struct trace *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->base = base;
	t->cfg = cfg_ref(cfg);
	t->c = &cfg->trace;
	t->timer = event_new(base, -1, EV_PERSIST, on_timer, t);
	if (!t->timer) {
		snprintf(err, errlen, "out of memory");
		trace_free(t);
		return NULL;
	}
	if (trace_reload(t, cfg, err, errlen) != 0) {
		trace_free(t);
		return NULL;
	}
	struct timeval tv = {TRACE_FLUSH_MS / 1000,
	                     (TRACE_FLUSH_MS % 1000) * 1000};
	event_add(t->timer, &tv);
	return t;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	if (t->timer)
		event_free(t->timer);
	pcap_roll_free(t->pcap);
	hep_sender_free(t->hep);
	free(t->ids);
	cfg_free(t->cfg);
	free(t);
}

struct trace_stats trace_stats(const struct trace *t)
{
	struct trace_stats s;

	memset(&s, 0, sizeof(s));
	if (!t)
		return s;
	s = t->st;
	s.written = t->gone.written;
	s.dropped = t->gone.dropped;
	s.rotated = t->gone.rotated;
	s.files_deleted = t->gone.deleted;
	if (t->pcap) {
		const struct pcap_roll_stats *p = pcap_roll_stats(t->pcap);
		s.written += p->written;
		s.dropped += p->dropped;
		s.rotated += p->rotated;
		s.files_deleted += p->deleted;
	}
	return s;
}
