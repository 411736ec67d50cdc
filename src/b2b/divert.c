/* divert.c: forwarding history, History-Info <-> Diversion (divert.h).
 *
 * Reading goes through the typed decoders of sip_decode.h (one list
 * element at a time, every number bounded there); this file adds the
 * chain logic: which History-Info entries are diversions, their causes,
 * the order of Diversion entries, and the limits. Writing is a bounded
 * append into the caller's buffer: nothing is allocated, and a value
 * that does not fit is not written at all (0).
 */
#include "b2b/divert.h"

#include "sip/msg/sip_decode.h"

#include <string.h>

/* --- the RFC 7544 tables -------------------------------------------------- */

/* Section 6: History-Info cause -> Diversion reason (RFC 4458 causes). */
static const struct {
	uint16_t cause;
	const char *reason;
} cause_reason[] = {
        {302, "unconditional"}, {486, "user-busy"},  {408, "no-answer"},
        {480, "deflection"},    {487, "deflection"}, {503, "unavailable"},
        {404, "unknown"},
};

/* Section 5: Diversion reason -> History-Info cause. */
static const struct {
	const char *reason;
	uint16_t cause;
} reason_cause[] = {
        {"unknown", 404},        {"unconditional", 302},  {"user-busy", 486},
        {"no-answer", 408},      {"deflection", 480},     {"unavailable", 503},
        {"time-of-day", 404},    {"do-not-disturb", 404}, {"follow-me", 404},
        {"out-of-service", 404}, {"away", 404},
};

const char *divert_cause_reason(uint16_t cause)
{
	for (size_t i = 0; i < sizeof(cause_reason) / sizeof(cause_reason[0]);
	     i++) {
		if (cause_reason[i].cause == cause)
			return cause_reason[i].reason;
	}
	return "unknown";
}

uint16_t divert_reason_cause(struct pl reason)
{
	for (size_t i = 0; i < sizeof(reason_cause) / sizeof(reason_cause[0]);
	     i++) {
		if (pl_casecmp_lit(reason, reason_cause[i].reason))
			return reason_cause[i].cause;
	}
	return 404;
}

/* --- small helpers -------------------------------------------------------- */

void divert_init(struct divert_chain *ch)
{
	memset(ch, 0, sizeof(*ch));
}

/* A SIP status usable as a retargeting cause, else 0. */
static uint16_t valid_cause(uint32_t c)
{
	return c >= 100 && c <= 699 ? (uint16_t)c : 0;
}

/* The URI without its ?headers. */
static struct pl uri_bare(const struct sip_uri *u, struct pl raw)
{
	if (u->headers.p && u->headers.p > raw.p &&
	    u->headers.p <= raw.p + raw.l)
		return pl_make(raw.p, (size_t)(u->headers.p - 1 - raw.p));
	return raw;
}

/* The user part of sip/sips, the number of tel, else empty. */
static struct pl uri_user(const struct sip_uri *u)
{
	if (u->scheme == SIP_URI_OTHER || !u->user.p)
		return PL_NULL;
	return u->user;
}

/* RFC 3261 user characters (unreserved, escaped, user-unreserved) and
 * ';' for user params: what may go between "sip:" and '@'. */
static bool user_ok(struct pl u)
{
	static const char extra[] = "-_.!~*'()%&=+$,;?/";

	for (size_t i = 0; i < u.l; i++) {
		char c = u.p[i];
		if (!cc_is(c, CC_ALPHA | CC_DIGIT) &&
		    !memchr(extra, c, sizeof(extra) - 1))
			return false;
	}
	return true;
}

/* hostport characters: name, IPv4, [IPv6], ":port". */
static bool host_ok(struct pl h)
{
	static const char extra[] = ".-:[]";

	if (h.l == 0)
		return false;
	for (size_t i = 0; i < h.l; i++) {
		char c = h.p[i];
		if (!cc_is(c, CC_ALPHA | CC_DIGIT) &&
		    !memchr(extra, c, sizeof(extra) - 1))
			return false;
	}
	return true;
}

static bool is_token(struct pl v)
{
	if (!v.p || v.l == 0)
		return false;
	for (size_t i = 0; i < v.l; i++) {
		if (!cc_is(v.p[i], CC_TOKEN))
			return false;
	}
	return true;
}

static bool idx_eq(const uint16_t *a, uint8_t da, const uint16_t *b, uint8_t db)
{
	return da == db && memcmp(a, b, da * sizeof(a[0])) == 0;
}

/* Copy an index (digits and dots, checked) into a hop's buffer. */
static bool idx_copy(char *dst, struct pl v)
{
	if (v.l >= DIVERT_INDEX_LEN)
		return false;
	memcpy(dst, v.p, v.l);
	dst[v.l] = '\0';
	return true;
}

/* Every field of id within DIVERT_FIELD_MAX. */
static bool fields_fit(const struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_hdr *h;

	for (h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h)) {
		if (h->value.l > DIVERT_FIELD_MAX)
			return false;
	}
	return true;
}

/* A Privacy header with priv-value "history" (RFC 7044 10.1.2: the whole
 * History-Info is private). */
static bool privacy_history(const struct sip_msg *m)
{
	const struct sip_hdr *h;

	for (h = sip_msg_hdr(m, SIP_HDR_PRIVACY); h;
	     h = sip_msg_hdr_next(m, h)) {
		struct pl v = h->value;
		size_t s = 0;

		if (!v.p)
			continue;
		for (size_t i = 0; i <= v.l; i++) {
			if (i < v.l && v.p[i] != ';' && v.p[i] != ',')
				continue;
			if (pl_casecmp_lit(pl_trim(pl_make(v.p + s, i - s)),
			                   "history"))
				return true;
			s = i + 1;
		}
	}
	return false;
}

/* --- History-Info --------------------------------------------------------- */

/* One History-Info entry, what the chain needs of it. */
struct hi_ent {
	struct pl uri, user, index;
	uint16_t lv[SIP_HI_MAX_DEPTH];
	uint16_t plv[SIP_HI_MAX_DEPTH]; /* parent's index */
	uint8_t depth, pdepth;          /* pdepth 0: no parent */
	bool rc;               /* parent given by rc: not a diversion */
	bool privacy;          /* ?Privacy=history in its URI */
	uint16_t reason_cause; /* SIP cause of its escaped Reason, 0 */
	uint16_t cause_param;  /* RFC 4458 cause URI param, 0 */
};

static int hi_entry(struct hi_ent *e, struct pl el)
{
	struct sip_history_info hi;
	struct pl v;
	uint32_t c;

	memset(e, 0, sizeof(*e));
	if (el.l == 0 || sip_history_info_decode(&hi, el) ||
	    hi.index.l >= DIVERT_INDEX_LEN)
		return -1;
	e->uri = uri_bare(&hi.addr.uri, hi.addr.uri_pl);
	e->user = uri_user(&hi.addr.uri);
	e->index = hi.index;
	memcpy(e->lv, hi.level, sizeof(e->lv));
	e->depth = hi.depth;
	e->privacy = hi.privacy;
	e->reason_cause = valid_cause(hi.cause);
	if (sip_uri_param(&hi.addr.uri, PL("cause"), &v) && v.p &&
	    pl_u32(v, 699, &c))
		e->cause_param = valid_cause(c);
	if (hi.mp.p) {
		if (!sip_hi_index_parse(hi.mp, e->plv, &e->pdepth))
			return -1;
	} else if (hi.rc.p) {
		if (!sip_hi_index_parse(hi.rc, e->plv, &e->pdepth))
			return -1;
		e->rc = true;
	} else if (e->depth > 1) {
		memcpy(e->plv, e->lv, sizeof(e->plv));
		e->pdepth = (uint8_t)(e->depth - 1);
	}
	return 0;
}

/* The parent of ent[cur]: an earlier entry (entries are chronological,
 * and looking only backwards makes every walk end). */
static bool hi_parent(const struct hi_ent *ent, size_t cur, size_t *out)
{
	const struct hi_ent *c = &ent[cur];

	if (c->pdepth == 0)
		return false;
	for (size_t i = 0; i < cur; i++) {
		if (idx_eq(ent[i].lv, ent[i].depth, c->plv, c->pdepth)) {
			*out = i;
			return true;
		}
	}
	return false;
}

int divert_from_history_info(const struct sip_msg *m, struct divert_chain *ch)
{
	struct hi_ent ent[DIVERT_HI_MAX];
	size_t pos[DIVERT_MAX];
	uint16_t cause[DIVERT_MAX];
	struct sip_list_iter it;
	struct pl el;
	size_t n = 0, k = 0, cur, p;
	bool priv;

	divert_init(ch);
	if (!fields_fit(m, SIP_HDR_HISTORY_INFO))
		return -1;
	sip_list_iter_init(&it, m, SIP_HDR_HISTORY_INFO);
	while (sip_list_iter_next(&it, &el)) {
		if (n == DIVERT_HI_MAX || hi_entry(&ent[n], el))
			return -1;
		for (size_t j = 0; j < n; j++) {
			if (idx_eq(ent[j].lv, ent[j].depth, ent[n].lv,
			           ent[n].depth))
				return -1; /* duplicate index */
		}
		n++;
	}
	if (n == 0)
		return 0;

	/* From the target back to the first entry: each step that is not
	 * an rc one is a diversion by the parent. */
	for (cur = n - 1; hi_parent(ent, cur, &p); cur = p) {
		if (ent[cur].rc)
			continue;
		if (k == DIVERT_MAX)
			return -1;
		pos[k] = p;
		cause[k] = ent[cur].cause_param ? ent[cur].cause_param
		                                : ent[p].reason_cause;
		k++;
	}

	priv = privacy_history(m);
	for (size_t i = 0; i < k; i++) {
		const struct hi_ent *e = &ent[pos[k - 1 - i]];
		struct divert_hop *h = &ch->hop[i];

		h->uri = e->uri;
		h->user = e->user;
		h->cause = cause[k - 1 - i];
		h->privacy = e->privacy || priv;
		h->counter = 1;
		(void)idx_copy(h->index, e->index); /* length checked */
	}
	ch->n = k;
	ch->target = ent[n - 1].uri;
	(void)idx_copy(ch->target_index, ent[n - 1].index);
	return (int)k;
}

/* --- Diversion ------------------------------------------------------------ */

static bool diversion_private(struct pl v)
{
	return pl_casecmp_lit(v, "full") || pl_casecmp_lit(v, "name") ||
	       pl_casecmp_lit(v, "uri");
}

int divert_from_diversion(const struct sip_msg *m, struct divert_chain *ch)
{
	struct sip_diversion d;
	struct sip_list_iter it;
	struct pl el;
	size_t n = 0;

	divert_init(ch);
	if (!fields_fit(m, SIP_HDR_DIVERSION))
		return -1;
	sip_list_iter_init(&it, m, SIP_HDR_DIVERSION);
	while (sip_list_iter_next(&it, &el)) {
		struct divert_hop *h;

		if (n == DIVERT_MAX || el.l == 0 ||
		    sip_diversion_decode(&d, el))
			goto bad;
		h = &ch->hop[n++];
		h->uri = uri_bare(&d.addr.uri, d.addr.uri_pl);
		h->user = uri_user(&d.addr.uri);
		h->reason = d.reason;
		h->cause = d.reason.p ? divert_reason_cause(d.reason) : 0;
		h->privacy = d.privacy.p && diversion_private(d.privacy);
		h->counter = d.counter ? (uint8_t)d.counter : 1; /* <= 99 */
	}
	/* newest first on the wire: reverse to oldest first */
	for (size_t i = 0; i < n / 2; i++) {
		struct divert_hop t = ch->hop[i];
		ch->hop[i] = ch->hop[n - 1 - i];
		ch->hop[n - 1 - i] = t;
	}
	ch->n = n;
	return (int)n;

bad:
	divert_init(ch);
	return -1;
}

int divert_add(struct divert_chain *ch, struct pl uri, struct pl user,
               uint16_t cause)
{
	struct divert_hop *h;
	struct sip_uri u;

	if (!ch || ch->n >= DIVERT_MAX || !uri.p || uri.l == 0 ||
	    sip_uri_parse(&u, uri))
		return -1;
	if (cause && !valid_cause(cause))
		return -1;
	if (!user.p)
		user = uri_user(&u);
	if (!user_ok(user))
		return -1;
	h = &ch->hop[ch->n++];
	memset(h, 0, sizeof(*h));
	h->uri = uri_bare(&u, uri);
	h->user = user;
	h->cause = cause;
	h->counter = 1;
	return 0;
}

/* --- writing -------------------------------------------------------------- */

/* A bounded append buffer: once something does not fit, nothing more is
 * written and the result is 0. */
struct wb {
	char *p;
	size_t cap, len;
	bool bad;
};

static void put(struct wb *w, const char *s, size_t l)
{
	if (w->bad || l > w->cap - w->len) {
		w->bad = true;
		return;
	}
	if (l)
		memcpy(w->p + w->len, s, l);
	w->len += l;
}

static void put_pl(struct wb *w, struct pl s)
{
	if (s.l)
		put(w, s.p, s.l);
}

/* Our own literals only (never message bytes). */
static void put_lit(struct wb *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_u32(struct wb *w, uint32_t v)
{
	char b[10];
	size_t n = 0;

	do {
		b[sizeof(b) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(b));
	put(w, b + sizeof(b) - n, n);
}

static size_t wb_end(struct wb *w)
{
	if (w->bad) {
		if (w->cap)
			w->p[0] = '\0';
		return 0;
	}
	if (w->len < w->cap)
		w->p[w->len] = '\0';
	return w->len;
}

/* URI params less any `cause` (ours is added by the writer). */
static void put_params(struct wb *w, struct pl params)
{
	size_t s = 0;

	for (size_t i = 0; i <= params.l; i++) {
		struct pl seg, name;
		ptrdiff_t eq;

		if (i < params.l && params.p[i] != ';')
			continue;
		seg = pl_make(params.p + s, i - s);
		s = i + 1;
		eq = pl_find(seg, '=');
		name = eq < 0 ? seg : pl_make(seg.p, (size_t)eq);
		if (seg.l == 0 || pl_casecmp_lit(name, "cause"))
			continue;
		put_lit(w, ";");
		put_pl(w, seg);
	}
}

/* A hop's or the target's URI: sip:USER@HOST;user=phone when host is set
 * and there is a user, else the URI as it was, less a `cause` param.
 * Then ;cause=N when cause. *sip: whether the URI can take ?headers. */
static void put_uri(struct wb *w, struct pl uri, struct pl user, struct pl host,
                    uint16_t cause, bool *sip)
{
	struct sip_uri u;

	if (!user_ok(user)) {
		w->bad = true;
		return;
	}
	if (host.l && user.l) {
		put_lit(w, "sip:");
		put_pl(w, user);
		put_lit(w, "@");
		put_pl(w, host);
		put_lit(w, ";user=phone");
		*sip = true;
	} else {
		struct pl bare;

		if (!uri.p || sip_uri_parse(&u, uri)) {
			w->bad = true; /* never write bytes we have not read */
			return;
		}
		*sip = u.scheme == SIP_URI_SIP || u.scheme == SIP_URI_SIPS;
		bare = uri_bare(&u, uri);
		if (u.params.p && u.params.p > bare.p &&
		    u.params.p <= bare.p + bare.l) {
			put_pl(w, pl_span(bare.p, u.params.p - 1));
			put_params(w, u.params);
		} else {
			put_pl(w, bare);
		}
	}
	if (cause) {
		put_lit(w, ";cause=");
		put_u32(w, cause);
	}
}

size_t divert_write_diversion(const struct divert_chain *ch, struct pl host,
                              char *out, size_t cap)
{
	struct wb w = {out, out ? cap : 0, 0, false};

	if (!ch || ch->n == 0 || ch->n > DIVERT_MAX ||
	    (host.l && !host_ok(host))) {
		w.bad = true;
		return wb_end(&w);
	}
	for (size_t i = ch->n; i-- > 0;) {
		const struct divert_hop *h = &ch->hop[i];
		bool sip;

		if (i != ch->n - 1)
			put_lit(&w, ",");
		put_lit(&w, "<");
		put_uri(&w, h->uri, h->user, host, 0, &sip);
		put_lit(&w, ">;reason=");
		if (is_token(h->reason))
			put_pl(&w, h->reason);
		else
			put_lit(&w, divert_cause_reason(h->cause));
		put_lit(&w, ";counter=");
		put_u32(&w, h->counter ? h->counter : 1);
		if (h->privacy)
			put_lit(&w, ";privacy=full");
	}
	return wb_end(&w);
}

/* The escaped headers of a retargeted-from entry (RFC 7044 9.4). */
static void put_hi_headers(struct wb *w, bool sip, uint16_t cause, bool privacy)
{
	if (!sip)
		return;
	if (cause) {
		put_lit(w, "?Reason=SIP%3Bcause%3D");
		put_u32(w, cause);
	}
	if (privacy)
		put_lit(w, cause ? "&Privacy=history" : "?Privacy=history");
}

/* dst = parent ".1" (or "1" at the top); false when it does not fit. */
static bool idx_child(char *dst, size_t cap, const char *parent)
{
	size_t l = strlen(parent); /* our own buffer */

	if (l == 0) {
		memcpy(dst, "1", 2);
		return true;
	}
	if (l + 3 > cap)
		return false;
	memcpy(dst, parent, l);
	memcpy(dst + l, ".1", 3);
	return true;
}

/* An index we write: 1*DIGIT *( "." 1*DIGIT ), l bytes. */
static bool idx_ok(const char *idx, size_t l)
{
	uint16_t lv[SIP_HI_MAX_DEPTH];
	uint8_t d;

	return sip_hi_index_parse(pl_make(idx, l), lv, &d);
}

/* Does idx sit below parent ("1.1.2" below "1.1")? */
static bool idx_below(const char *idx, const char *parent)
{
	size_t l = strlen(parent);

	return l && strncmp(idx, parent, l) == 0 && idx[l] == '.' &&
	       idx[l + 1] != '\0';
}

#define IDX_BUF (DIVERT_INDEX_LEN + 2 * (DIVERT_MAX + 2))

size_t divert_write_history_info(const struct divert_chain *ch, struct pl host,
                                 char *out, size_t cap)
{
	struct wb w = {out, out ? cap : 0, 0, false};
	char prev[IDX_BUF] = "", cur[IDX_BUF];
	uint16_t prev_cause = 0;

	if (!ch || ch->n == 0 || ch->n > DIVERT_MAX ||
	    (host.l && !host_ok(host))) {
		w.bad = true;
		return wb_end(&w);
	}
	for (size_t i = 0; i < ch->n; i++) {
		const struct divert_hop *h = &ch->hop[i];
		size_t il = strnlen(h->index, DIVERT_INDEX_LEN);
		bool sip;

		if (il ? !idx_ok(h->index, il)
		       : !idx_child(cur, sizeof(cur), prev)) {
			w.bad = true;
			break;
		}
		if (il)
			memcpy(cur, h->index, il + 1);
		if (i)
			put_lit(&w, ",");
		put_lit(&w, "<");
		put_uri(&w, h->uri, h->user, host, prev_cause, &sip);
		if (w.bad)
			break;
		put_hi_headers(&w, sip, h->cause, h->privacy);
		put_lit(&w, ">;index=");
		put_lit(&w, cur);
		if (i) {
			put_lit(&w, ";mp=");
			put_lit(&w, prev);
		}
		memcpy(prev, cur, strlen(cur) + 1);
		prev_cause = h->cause;
	}
	if (ch->target.p && ch->target.l && !w.bad) {
		struct sip_uri tu;
		bool sip;
		size_t tl = strnlen(ch->target_index, DIVERT_INDEX_LEN);

		if (sip_uri_parse(&tu, ch->target)) {
			w.bad = true;
			return wb_end(&w);
		}
		if (tl && tl < DIVERT_INDEX_LEN &&
		    idx_ok(ch->target_index, tl) &&
		    idx_below(ch->target_index, prev)) {
			memcpy(cur, ch->target_index, tl + 1);
		} else if (!idx_child(cur, sizeof(cur), prev)) {
			w.bad = true;
			return wb_end(&w);
		}
		put_lit(&w, ",<");
		put_uri(&w, ch->target, uri_user(&tu), host, prev_cause, &sip);
		put_lit(&w, ">;index=");
		put_lit(&w, cur);
		put_lit(&w, ";mp=");
		put_lit(&w, prev);
	}
	return wb_end(&w);
}
