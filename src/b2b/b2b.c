/* b2b.c: the B2BUA's entry points: config generations, which trunk a
 * source belongs to (allow-lists: static prefixes plus Genesys ip-ranges
 * files, with their last good lists and the timer that watches them),
 * sources refused and counted, dispatch of requests to calls, the table
 * of legs by our tag. The call flows are in call.c, the messages of a leg
 * in leg.c. */
#include "b2b/b2b_int.h"
#include "b2b/route.h"
#include "base/log.h"
#include "media/relay.h"
#include "trunk/ipranges.h"
#include "trunk/options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t b2b_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void b2b_unique(struct b2b *b, char *out, size_t cap)
{
	snprintf(out, cap, "%s%llx", b->seed, (unsigned long long)++b->seq);
}

void b2b_after(struct b2b *b)
{
	if (b->env.after && !b->closing)
		b->env.after(b->env.arg);
}

static uint32_t tag_hash(struct pl t)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < t.l; i++) {
		h ^= (unsigned char)t.p[i];
		h *= 16777619u;
	}
	return h & (B2B_BUCKETS - 1);
}

void b2b_hash_add(struct b2b *b, struct leg *l)
{
	uint32_t h = tag_hash(pl_make(l->ltag, strlen(l->ltag)));

	l->hnext = b->bucket[h];
	b->bucket[h] = l;
	l->hashed = true;
}

void b2b_hash_del(struct b2b *b, struct leg *l)
{
	if (!l->hashed)
		return;
	struct leg **pp =
	        &b->bucket[tag_hash(pl_make(l->ltag, strlen(l->ltag)))];
	while (*pp && *pp != l)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = l->hnext;
	l->hashed = false;
}

struct leg *b2b_hash_find(struct b2b *b, struct pl tag)
{
	if (!tag.p || tag.l == 0 || tag.l >= sizeof(((struct leg *)0)->ltag))
		return NULL;
	for (struct leg *l = b->bucket[tag_hash(tag)]; l; l = l->hnext) {
		if (strlen(l->ltag) == tag.l &&
		    memcmp(l->ltag, tag.p, tag.l) == 0)
			return l;
	}
	return NULL;
}

/* ------------------------------------------------------ refused sources */

/* Sources refused by the allow-lists are counted in a fixed table (no
 * allocation per packet): B2B_REFUSED_MAX sources, the oldest (first
 * counted) making room for a new one. */
#define B2B_REFUSED_MAX  4096u
#define B2B_REFUSED_HASH 8192u /* power of two */
#define B2B_REFUSED_NONE 0xffffu

struct refused_src {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t next; /* hash chain, B2B_REFUSED_NONE at its end */
	uint64_t count;
};

struct b2b_refused {
	uint16_t head[B2B_REFUSED_HASH];
	struct refused_src e[B2B_REFUSED_MAX];
	uint32_t used;   /* slots filled so far */
	uint32_t oldest; /* the slot reused next once full */
};

static struct b2b_refused *refused_new(void)
{
	struct b2b_refused *r = calloc(1, sizeof(*r));

	if (r)
		memset(r->head, 0xff, sizeof(r->head));
	return r;
}

static uint32_t refused_hash(uint8_t family, const uint8_t *a)
{
	uint32_t h = 2166136261u ^ family; /* FNV-1a */

	for (size_t i = 0; i < (family == 4 ? 4u : 16u); i++) {
		h ^= a[i];
		h *= 16777619u;
	}
	return h & (B2B_REFUSED_HASH - 1);
}

/* One more refusal of sa's address; its count so far (0 when sa is not
 * an IP address). */
static uint64_t refused_count(struct b2b_refused *r, const struct sockaddr *sa)
{
	uint8_t family, a[16];

	memset(a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		family = 4;
		memcpy(a,
		       &((const struct sockaddr_in *)(const void *)sa)
		                ->sin_addr,
		       4);
	} else if (sa->sa_family == AF_INET6) {
		const uint8_t *v6 =
		        ((const struct sockaddr_in6 *)(const void *)sa)
		                ->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
		                                   0, 0, 0, 0, 0xff, 0xff};
		family = memcmp(v6, mapped, 12) ? 6 : 4;
		memcpy(a, family == 4 ? v6 + 12 : v6, family == 4 ? 4 : 16);
	} else {
		return 0;
	}
	uint32_t h = refused_hash(family, a);
	for (uint16_t i = r->head[h]; i != B2B_REFUSED_NONE; i = r->e[i].next)
		if (r->e[i].family == family && !memcmp(r->e[i].addr, a, 16))
			return ++r->e[i].count;
	uint32_t slot;
	if (r->used < B2B_REFUSED_MAX) {
		slot = r->used++;
	} else {
		/* full: the oldest source leaves its chain */
		slot = r->oldest;
		r->oldest = (r->oldest + 1) % B2B_REFUSED_MAX;
		struct refused_src *o = &r->e[slot];
		uint16_t *pp = &r->head[refused_hash(o->family, o->addr)];
		while (*pp != B2B_REFUSED_NONE && *pp != slot)
			pp = &r->e[*pp].next;
		if (*pp == slot)
			*pp = o->next;
	}
	struct refused_src *e = &r->e[slot];
	e->family = family;
	memcpy(e->addr, a, 16);
	e->count = 1;
	e->next = r->head[h];
	r->head[h] = (uint16_t)slot;
	return 1;
}

/* ------------------------------------------------------------ ip-ranges */

/* One trunk's allow_from_ip_ranges file: its last good list survives
 * reloads and bad versions of the file. */
struct b2b_ipr {
	char trunk[64];
	char *path;                /* NULL: a free slot */
	struct cfg_cidr *cidrs;    /* the last good list, NULL before one */
	size_t n;                  /* its prefixes */
	struct ipr_stamp stamp;    /* the version of the file read last */
	char other[IPR_NAMES_MAX]; /* services left out, as last logged */
	bool used;                 /* by the current generation */
};

static void ipr_slot_free(struct b2b_ipr *s)
{
	free(s->path);
	free(s->cidrs);
	memset(s, 0, sizeof(*s));
}

/* text for reason="...": quotes and backslashes escaped, control
 * characters replaced */
static void log_escape(const char *in, char *out, size_t cap)
{
	size_t k = 0;

	for (; *in && k + 2 < cap; in++) {
		unsigned char ch = (unsigned char)*in;
		if (ch == '"' || ch == '\\')
			out[k++] = '\\';
		out[k++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	out[k] = '\0';
}

/* Read trunk t's file into slot s: a good file replaces the list, a bad
 * one keeps the last good list (and says why). */
static void ipr_read(struct ipr_result *r, struct b2b_ipr *s,
                     const struct cfg_trunk *t)
{
	char why[2 * IPR_REASON_MAX];

	if (ipr_load(t->ip_ranges.file, &t->ip_ranges, NULL, r) != 0) {
		s->stamp = r->stamp;
		log_escape(r->reason, why, sizeof(why));
		tb_log(s->cidrs ? "warn" : "error", "ip_ranges_kept",
		       "trunk=%s file=%s reason=\"%s\" kept=%zu static=%zu",
		       t->name, t->ip_ranges.file, why, s->n, t->n_allow);
		return;
	}
	s->stamp = r->stamp;
	free(s->cidrs);
	s->cidrs = r->cidrs;
	s->n = r->n;
	r->cidrs = NULL;
	if (ipr_skipped(r)) {
		log_escape(r->skip_reason, why, sizeof(why));
		tb_log("warn", "ip_ranges_loaded",
		       "trunk=%s file=%s kept=%zu skipped=%zu filtered=%zu "
		       "total=%zu first_skipped=\"%s\"",
		       t->name, t->ip_ranges.file, r->n, ipr_skipped(r),
		       r->filtered, r->total, why);
	} else {
		tb_log("info", "ip_ranges_loaded",
		       "trunk=%s file=%s kept=%zu skipped=0 filtered=%zu "
		       "total=%zu",
		       t->name, t->ip_ranges.file, r->n, r->filtered, r->total);
	}
	/* which services mean SIP signalling is not documented (interop
	 * 2.5): the ones the filter leaves out, once per change */
	if (strcmp(s->other, r->other_services)) {
		snprintf(s->other, sizeof(s->other), "%s", r->other_services);
		if (s->other[0]) {
			log_escape(s->other, why, sizeof(why));
			tb_log("info", "ip_ranges_services",
			       "trunk=%s file=%s not_in_filter=\"%s\"", t->name,
			       t->ip_ranges.file, why);
		}
	}
}

static struct b2b_ipr *ipr_slot(struct b2b *b, const struct cfg_trunk *t)
{
	struct b2b_ipr *free_slot = NULL;

	for (size_t i = 0; i < B2B_MAX_TRUNK; i++) {
		struct b2b_ipr *s = &b->ipr[i];
		if (!s->path) {
			free_slot = free_slot ? free_slot : s;
			continue;
		}
		if (!strcmp(s->trunk, t->name) &&
		    !strcmp(s->path, t->ip_ranges.file))
			return s;
	}
	if (!free_slot || strlen(t->name) >= sizeof(free_slot->trunk))
		return NULL;
	free_slot->path = b2b_strdup(t->ip_ranges.file);
	if (!free_slot->path)
		return NULL;
	snprintf(free_slot->trunk, sizeof(free_slot->trunk), "%s", t->name);
	return free_slot;
}

static struct b2b_ipr *ipr_find(struct b2b *b, const char *trunk)
{
	for (size_t i = 0; b->ipr && i < B2B_MAX_TRUNK; i++)
		if (b->ipr[i].path && b->ipr[i].used &&
		    !strcmp(b->ipr[i].trunk, trunk))
			return &b->ipr[i];
	return NULL;
}

/* The allow set of generation cfg: every trunk's static allow, then the
 * last good list of its ip-ranges file. A trunk with a file is never the
 * open one, even before its file first loads. Out of memory: the old set
 * stays. */
static void allow_build(struct b2b *b, const struct tb_config *cfg)
{
	struct cidr_set *allow = cidr_set_new();
	int open = -1;

	for (size_t i = 0; allow && i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		if (t->n_allow == 0 && !t->ip_ranges.file && open < 0)
			open = (int)i;
		for (size_t k = 0; k < t->n_allow; k++)
			cidr_set_add(allow, t->allow[k].family,
			             t->allow[k].addr, t->allow[k].prefix,
			             (int)i);
		const struct b2b_ipr *s =
		        t->ip_ranges.file ? ipr_find(b, t->name) : NULL;
		for (size_t k = 0; s && k < s->n; k++)
			cidr_set_add(allow, s->cidrs[k].family,
			             s->cidrs[k].addr, s->cidrs[k].prefix,
			             (int)i);
	}
	if (allow && cidr_set_build(allow) == 0) {
		cidr_set_free(b->allow);
		b->allow = allow;
		b->open_trunk = open;
	} else {
		cidr_set_free(allow);
		tb_log("error", "allow_lists_kept", "reason=\"out of memory\"");
	}
}

/* The check timer: a file whose stat changed is read again. */
static void ipr_tick(evutil_socket_t fd, short what, void *arg)
{
	struct b2b *b = arg;
	struct ipr_stamp now;
	struct ipr_result r;
	bool changed = false;

	(void)fd;
	(void)what;
	if (b->closing || !b->cfg)
		return;
	for (size_t i = 0; i < B2B_MAX_TRUNK; i++) {
		struct b2b_ipr *s = &b->ipr[i];
		if (!s->path || !s->used)
			continue;
		ipr_stamp_of(s->path, &now);
		if (ipr_stamp_eq(&now, &s->stamp))
			continue;
		const struct cfg_trunk *t = cfg_trunk_find(b->cfg, s->trunk);
		if (!t || !t->ip_ranges.file)
			continue;
		ipr_read(&r, s, t);
		ipr_result_free(&r);
		changed = true;
	}
	if (changed)
		allow_build(b, b->cfg);
}

static void ipr_timer_stop(struct b2b *b)
{
	if (b->ipr_timer) {
		event_free(b->ipr_timer);
		b->ipr_timer = NULL;
	}
}

/* Every file of generation cfg read again (SIGHUP, start); slots of
 * trunks that no longer have one freed; the timer set to the interval. */
static void ipr_reload(struct b2b *b, const struct tb_config *cfg)
{
	struct ipr_result r;
	bool any = false;

	for (size_t i = 0; i < B2B_MAX_TRUNK; i++)
		b->ipr[i].used = false;
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		if (!t->ip_ranges.file)
			continue;
		struct b2b_ipr *s = ipr_slot(b, t);
		if (!s) {
			tb_log("error", "ip_ranges_kept",
			       "trunk=%s file=%s reason=\"out of memory\" "
			       "kept=0 static=%zu",
			       t->name, t->ip_ranges.file, t->n_allow);
			continue;
		}
		s->used = true;
		any = true;
		ipr_read(&r, s, t);
		ipr_result_free(&r);
	}
	for (size_t i = 0; i < B2B_MAX_TRUNK; i++)
		if (b->ipr[i].path && !b->ipr[i].used)
			ipr_slot_free(&b->ipr[i]);
	if (!any || !b->env.base || b->closing) {
		ipr_timer_stop(b);
		return;
	}
	if (!b->ipr_timer)
		b->ipr_timer =
		        event_new(b->env.base, -1, EV_PERSIST, ipr_tick, b);
	struct timeval tv = {(time_t)(cfg->ip_ranges_check_ms / 1000),
	                     (suseconds_t)(cfg->ip_ranges_check_ms % 1000) *
	                             1000};
	if (!b->ipr_timer || event_add(b->ipr_timer, &tv) != 0)
		tb_log("error", "ip_ranges_timer",
		       "reason=\"cannot start the check timer: files are read "
		       "again on SIGHUP only\"");
}

/* ------------------------------------------------------------ lifecycle */

struct b2b *b2b_new(const struct b2b_env *env)
{
	struct b2b *b = calloc(1, sizeof(*b));
	unsigned char r[4];

	if (!b)
		return NULL;
	b->env = *env;
	b->open_trunk = -1;
	b->bucket = calloc(B2B_BUCKETS, sizeof(*b->bucket));
	b->ipr = calloc(B2B_MAX_TRUNK, sizeof(*b->ipr));
	b->refused = refused_new();
	if (!b->bucket || !b->ipr || !b->refused ||
	    RAND_bytes(r, sizeof(r)) != 1) {
		free(b->bucket);
		free(b->ipr);
		free(b->refused);
		free(b);
		return NULL;
	}
	snprintf(b->seed, sizeof(b->seed), "tb%02x%02x%02x%02x", r[0], r[1],
	         r[2], r[3]);
	return b;
}

/* The media relay, made with the first generation that has a media
 * section. Its sockets and pool do not change on reload (a new
 * address or pool needs a restart: said in the log); a generation
 * without the section sends its new calls' SDP through unchanged. */
static void media_start(struct b2b *b, const struct tb_config *cfg)
{
	const struct cfg_media *m = &cfg->media;
	if (!m->enabled)
		return;
	if (b->media) {
		if (b->cfg && b->cfg->media.enabled &&
		    (b->cfg->media.port_min != m->port_min ||
		     b->cfg->media.port_max != m->port_max ||
		     memcmp(b->cfg->media.address.addr, m->address.addr, 16)))
			tb_log("warn", "media_change_needs_restart",
			       "reason=\"media.address and media.ports apply "
			       "at start; the relay keeps %s %u-%u\"",
			       b->cfg->media.address.text,
			       (unsigned)b->cfg->media.port_min,
			       (unsigned)b->cfg->media.port_max);
		return;
	}
	struct media_engine_cfg ec;
	memset(&ec, 0, sizeof(ec));
	if (m->address.family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ec.bind;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, m->address.addr, 16);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ec.bind;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, m->address.addr, 4);
	}
	ec.port_min = m->port_min;
	ec.port_max = m->port_max;
	ec.batch = m->batch;
	b->media = media_engine_new(b->env.base, &ec);
	if (!b->media)
		tb_log("error", "media_start_failed",
		       "address=%s ports=%u-%u reason=\"%s\"", m->address.text,
		       (unsigned)m->port_min, (unsigned)m->port_max,
		       strerror(errno));
	else
		tb_log("info", "media_started",
		       "address=%s public_address=%s ports=%u-%u",
		       m->address.text, m->public_address.text,
		       (unsigned)m->port_min, (unsigned)m->port_max);
}

void b2b_set_config(struct b2b *b, struct tb_config *cfg,
                    struct route_table *routes, struct tls_profile **tls)
{
	media_start(b, cfg); /* compares with the generation before */
	/* ip-ranges files are read again with every generation (SIGHUP) */
	ipr_reload(b, cfg);
	allow_build(b, cfg);
	cfg_ref(cfg);
	cfg_free(b->cfg);
	b->cfg = cfg;
	route_table_free(b->routes);
	b->routes = routes;
	for (size_t i = 0; i < B2B_MAX_TRUNK; i++) {
		struct tls_profile *n =
		        i < cfg->n_trunks && tls ? tls[i] : NULL;
		if (n)
			tls_profile_ref(n);
		if (b->tls[i])
			tls_profile_unref(b->tls[i]);
		b->tls[i] = n;
	}
}

void b2b_shutdown(struct b2b *b)
{
	if (!b)
		return;
	ipr_timer_stop(b);
	b2b_call_end_all(b, false);
	b->closing = true;
}

void b2b_free(struct b2b *b)
{
	if (!b)
		return;
	b->closing = true;
	ipr_timer_stop(b);
	b2b_call_end_all(b, true);
	for (size_t i = 0; i < B2B_MAX_TRUNK; i++) {
		if (b->tls[i])
			tls_profile_unref(b->tls[i]);
		ipr_slot_free(&b->ipr[i]);
	}
	route_table_free(b->routes);
	cidr_set_free(b->allow);
	media_engine_free(b->media); /* every call (and endpoint) is gone */
	cfg_free(b->cfg);
	free(b->ipr);
	free(b->refused);
	free(b->bucket);
	free(b);
}

const struct b2b_stats *b2b_stats(const struct b2b *b)
{
	return &b->st;
}

int b2b_trunk_of(const struct b2b *b, const struct sockaddr *sa)
{
	/* the most specific prefix of any trunk's list (equal prefixes: the
	 * trunk first in the file), else the first trunk without a list */
	int t = b->allow ? cidr_set_lookup_sa(b->allow, sa) : -1;

	return t >= 0 ? t : b->open_trunk;
}

void b2b_reply(struct b2b *b, struct sip_tx *tx, const struct sip_msg *m,
               uint16_t code, const char *hname, const char *hvalue)
{
	char out[B2B_MSG_MAX];
	char tag[32];
	struct sip_build bd;

	b2b_unique(b, tag, sizeof(tag));
	sip_build_init(&bd, out, sizeof(out));
	sip_tx_response_head(&bd, m, sip_tx_dest(tx), code, PL_NULL,
	                     code > 100 ? pl_make(tag, strlen(tag)) : PL_NULL);
	if (hname)
		sip_build_hdr_name(&bd, pl_make(hname, strlen(hname)),
		                   pl_make(hvalue, strlen(hvalue)));
	sip_build_hdr(&bd, SIP_HDR_ALLOW, PL(TB_ALLOW));
	sip_build_hdr(&bd, SIP_HDR_SERVER, PL(TB_SERVER));
	size_t n = sip_build_finish(&bd, PL_NULL);
	if (n)
		sip_tx_respond(tx, code, out, n);
}

/* A request from a source in no allow-list: dropped, or answered 403
 * without a transaction (refused_sources: reply-403); counted per source,
 * logged the first time and then at every power of two. */
static void refuse(struct b2b *b, const struct tp_addr *src,
                   const struct sip_msg *m)
{
	const struct sockaddr *sa = (const struct sockaddr *)&src->addr;
	bool reply =
	        b->cfg && b->cfg->refuse_with_403 && b->env.tp && !b->closing;
	uint64_t n = refused_count(b->refused, sa);
	char from[80];

	b->st.refused_source++;
	if (reply) {
		struct sip_tx_dest d;
		struct sip_build bd;
		memset(&d, 0, sizeof(d));
		d.conn = src->conn;
		d.reliable = src->conn != NULL;
		memcpy(&d.addr, &src->addr, sizeof(d.addr));
		d.addrlen = src->addrlen;
		sip_build_init(&bd, b->msg, sizeof(b->msg));
		sip_tx_response_head(&bd, m, &d, 403, PL_NULL, PL("tbrf"));
		sip_build_hdr(&bd, SIP_HDR_SERVER, PL(TB_SERVER));
		size_t len = sip_build_finish(&bd, PL_NULL);
		if (len)
			tp_send(b->env.tp, src, b->msg, len);
	}
	if (n & (n - 1))
		return;
	tp_addr_str(sa, from, sizeof(from));
	tb_log("warn", "source_refused",
	       "src=%s count=%llu method=%.*s answer=%s reason=\"source in "
	       "no trunk's allow list\"",
	       from, (unsigned long long)n, (int)m->method.l, m->method.p,
	       reply ? "403" : "none");
}

/* May trunk t's dialogs take requests from sa? Its static allow list and
 * the last good list of its ip-ranges file; a trunk with neither takes
 * any source. A linear scan: in-dialog requests only. */
static bool source_of_trunk(struct b2b *b, const struct cfg_trunk *t,
                            const struct sockaddr *sa)
{
	const struct b2b_ipr *s =
	        t->ip_ranges.file ? ipr_find(b, t->name) : NULL;

	if (t->n_allow == 0 && !t->ip_ranges.file)
		return true;
	for (size_t k = 0; k < t->n_allow; k++) {
		if (cidr_holds_sa(t->allow[k].family, t->allow[k].addr,
		                  t->allow[k].prefix, sa))
			return true;
	}
	for (size_t k = 0; s && k < s->n; k++) {
		if (cidr_holds_sa(s->cidrs[k].family, s->cidrs[k].addr,
		                  s->cidrs[k].prefix, sa))
			return true;
	}
	return false;
}

bool b2b_request(struct b2b *b, const struct tp_addr *src, struct sip_msg *m)
{
	struct sip_tx_dest d;
	struct sip_tx *tx = NULL;
	int trunk = b2b_trunk_of(b, (const struct sockaddr *)&src->addr);

	if (trunk < 0) {
		/* the guide's NSG: not one of the clouds' addresses */
		if (m->method_id != SIP_METHOD_ACK)
			refuse(b, src, m);
		return true;
	}
	memset(&d, 0, sizeof(d));
	d.conn = src->conn;
	d.reliable = src->conn != NULL;
	memcpy(&d.addr, &src->addr, sizeof(d.addr));
	d.addrlen = src->addrlen;
	enum sip_tx_req_result r = sip_tx_recv_request(b->env.tx, &d, m, &tx);
	switch (r) {
	case SIP_TX_REQ_NEW:
		break;
	case SIP_TX_REQ_CANCEL:
		b2b_call_cancel(b, tx);
		b2b_after(b);
		return true;
	case SIP_TX_REQ_NO_MATCH_ACK: {
		/* the ACK of a 2xx we sent (to the INVITE or a relayed
		 * re-INVITE): the far leg was ACKed when its 2xx came, so
		 * nothing crosses; but when that 2xx carried our offer (the
		 * caller's INVITE had none), the ACK's SDP is the answer */
		struct leg *l = b2b_hash_find(b, m->to.tag);
		const char *why = NULL;
		if (l)
			b2b_call_acked(l);
		if (l && m->body.l && b2b_media_awaits_answer(l) &&
		    b2b_media_in(l->c, l, m, false, &why))
			tb_log("warn", "media_answer_refused",
			       "call=%s reason=\"%s\" in=ACK", l->c->id, why);
		return true;
	}
	case SIP_TX_REQ_OVERLOAD: {
		/* over limits.max_transactions: 503 without a transaction */
		char out[4096];
		struct sip_build bd;
		b->st.overload++;
		sip_build_init(&bd, out, sizeof(out));
		sip_tx_response_head(&bd, m, &d, 503, PL_NULL, PL("tbov"));
		sip_build_hdr(&bd, SIP_HDR_RETRY_AFTER, PL("5"));
		size_t n = sip_build_finish(&bd, PL_NULL);
		if (n)
			tp_send(b->env.tp, src, out, n);
		if (b->st.overload % 1000 == 1)
			tb_log("warn", "overload",
			       "method=%.*s refused=%llu reason=\"over "
			       "limits.max_transactions: answered 503\"",
			       (int)m->method.l, m->method.p,
			       (unsigned long long)b->st.overload);
		return true;
	}
	default:
		b2b_after(b);
		return true;
	}
	/* a new server transaction: ours to answer */
	if (pl_isset(m->to.tag)) {
		struct leg *l = b2b_hash_find(b, m->to.tag);
		/* the dialog: Call-ID, our tag and the peer's (RFC 3261
		 * 12.2.2) */
		if (!l ||
		    !pl_eq(m->call_id,
		           pl_make(l->call_id, strlen(l->call_id))) ||
		    (l->rtag &&
		     !pl_eq(m->from.tag, pl_make(l->rtag, strlen(l->rtag))))) {
			b2b_reply(b, tx, m, 481, NULL, NULL);
		} else if (!source_of_trunk(
		                   b, l->trunk,
		                   (const struct sockaddr *)&src->addr)) {
			/* a dialog with one cloud, a request from another's
			 * address (any of ACS's addresses may send in an ACS
			 * dialog, interop 1.8; never Genesys') */
			char from[80];
			b->st.refused_source++;
			tp_addr_str((const struct sockaddr *)&src->addr, from,
			            sizeof(from));
			tb_log("warn", "in_dialog_refused",
			       "src=%s method=%.*s trunk=%s reason=\"the "
			       "source is not in the dialog's trunk's allow "
			       "list\"",
			       from, (int)m->method.l, m->method.p,
			       l->trunk->name);
			b2b_reply(b, tx, m, 403, NULL, NULL);
		} else {
			b2b_call_in_dialog(b, l, src, m, tx);
		}
	} else if (m->method_id == SIP_METHOD_INVITE && b->draining) {
		b2b_drain_refuse(b, tx, m); /* stopping: drain.c */
	} else if (m->method_id == SIP_METHOD_INVITE) {
		b2b_call_invite(b, src, m, tx, trunk);
	} else {
		switch (m->method_id) {
		case SIP_METHOD_BYE:
		case SIP_METHOD_PRACK:
		case SIP_METHOD_UPDATE:
		case SIP_METHOD_INFO:
		case SIP_METHOD_NOTIFY:
			b2b_reply(b, tx, m, 481, NULL, NULL);
			break;
		default:
			b2b_reply(b, tx, m, 405, NULL, NULL);
			break;
		}
	}
	sip_tx_release(tx);
	b2b_after(b);
	return true;
}
