/* decode.c: the typed decoders of sip_decode.h and sip_msg_validate.
 *
 * Every decoder reads one slice through a bounded cursor (lex.h): nothing
 * is allocated, no NUL-terminated string function touches message bytes,
 * every number is parsed against an explicit maximum, and every slice a
 * decoder returns points into its input. The only copies are the small
 * stack buffers used to look inside URI-embedded headers (%-escaped Reason,
 * Privacy and Replaces values); nothing derived from them is returned
 * except plain numbers and flags.
 */
#include "sip/msg/sip_decode.h"

#include <string.h>

/* Unescaped URI-embedded header values larger than this are kept as raw
 * slices but not looked into (History-Info cause stays 0, an embedded
 * Replaces is not checked). */
#define EMBED_MAX 512

/* --- small lexical helpers ------------------------------------------------ */

/* Skip LWS; true when nothing is left. */
static bool lex_done(struct lex *x)
{
	lex_skip_lws(x);
	return lex_eof(x);
}

/* 1*DIGIT with a value of at most max. */
static bool lex_uint(struct lex *x, uint32_t max, uint32_t *out)
{
	const char *d = x->p;

	while (x->p < x->e && cc_is(*x->p, CC_DIGIT))
		x->p++;
	return pl_u32(pl_span(d, x->p), max, out);
}

/* The whole of v is one token. */
static bool is_token(struct pl v)
{
	struct lex x;
	struct pl t;

	if (!v.p)
		return false;
	x = lex_of(v);
	return lex_token(&x, &t) && lex_eof(&x);
}

/* The whole of v is one quoted-string: *out is its contents (quoted-pairs
 * left as written). */
static bool unquote(struct pl v, struct pl *out)
{
	struct lex x;
	struct pl q;

	if (!v.p)
		return false;
	x = lex_of(v);
	if (!lex_quoted(&x, &q) || !lex_eof(&x))
		return false;
	*out = pl_make(q.p + 1, q.l - 2);
	return true;
}

/* A param value that must be token / quoted-string, set at most once.
 * Quoted values are stored without their quotes. */
static bool set_text(struct pl *dst, struct pl v)
{
	if (dst->p)
		return false;
	if (is_token(v)) {
		*dst = v;
		return true;
	}
	return unquote(v, dst);
}

/* A token-valued param, set at most once. */
static bool set_token(struct pl *dst, struct pl v)
{
	if (dst->p || !is_token(v))
		return false;
	*dst = v;
	return true;
}

/* sip_list_next, plus one rule it cannot express: a comma at the very end
 * ("a, b,") announces a last, empty element. Cursor states: NULL slice =
 * done; {p, 0} with p set = one empty element pending; else the rest. */
static bool list_next(struct pl *cur, struct pl *elem)
{
	const char *q;
	bool comma = false;

	if (!cur->p)
		return false;
	if (cur->l == 0) {
		*elem = *cur;
		*cur = PL_NULL;
		return true;
	}
	if (!sip_list_next(cur, elem)) {
		*cur = PL_NULL;
		return false;
	}
	if (pl_trim(*cur).l == 0) {
		/* between the element and the rest: LWS and maybe a comma */
		for (q = elem->p + elem->l; q < cur->p; q++)
			comma |= *q == ',';
		*cur = comma ? pl_make(cur->p, 0) : PL_NULL;
	}
	return true;
}

/* The value of a field as a list cursor (an empty value is one empty
 * element). */
static struct pl list_begin(struct pl value)
{
	if (!value.p)
		return PL_NULL;
	return pl_trim(value);
}

/* Next hname "=" hvalue of a URI headers component (sip_uri_parse has
 * checked its syntax, so every item has an '='). */
static bool uri_hdr_next(struct pl *cur, struct pl *name, struct pl *value)
{
	const char *p = cur->p, *e, *amp, *eq;

	if (!p || cur->l == 0)
		return false;
	e = p + cur->l;
	amp = memchr(p, '&', cur->l);
	if (!amp)
		amp = e;
	eq = memchr(p, '=', (size_t)(amp - p));
	if (!eq)
		eq = amp;
	*name = pl_span(p, eq);
	*value = eq < amp ? pl_span(eq + 1, amp) : pl_make(amp, 0);
	*cur = amp < e ? pl_span(amp + 1, e) : PL_NULL;
	return true;
}

/* --- iterators ------------------------------------------------------------ */

void sip_list_iter_init(struct sip_list_iter *it, const struct sip_msg *m,
                        enum sip_hdr_id id)
{
	it->m = m;
	it->h = sip_msg_hdr(m, id);
	it->cur = it->h ? list_begin(it->h->value) : PL_NULL;
}

int sip_list_iter_next(struct sip_list_iter *it, struct pl *elem)
{
	while (it->h) {
		if (list_next(&it->cur, elem))
			return 1;
		it->h = sip_msg_hdr_next(it->m, it->h);
		it->cur = it->h ? list_begin(it->h->value) : PL_NULL;
	}
	return 0;
}

/* Contact "*" must be the only value of all Contact fields together. */
static bool contact_single(const struct sip_msg *m)
{
	struct sip_list_iter it;
	struct pl el;
	int n = 0;

	sip_list_iter_init(&it, m, SIP_HDR_CONTACT);
	while (n < 2 && sip_list_iter_next(&it, &el))
		n++;
	return n == 1;
}

/* Route, Record-Route and Path take name-addr only (RFC 3261 25.1,
 * RFC 3327). */
static bool needs_angle(enum sip_hdr_id id)
{
	return id == SIP_HDR_ROUTE || id == SIP_HDR_RECORD_ROUTE ||
	       id == SIP_HDR_PATH;
}

int sip_addr_iter_next(struct sip_list_iter *it, struct sip_addr *a)
{
	struct pl el;
	enum sip_hdr_id id;

	if (!sip_list_iter_next(it, &el))
		return 0;
	id = (enum sip_hdr_id)it->h->id;
	if (el.l == 0 || sip_addr_parse(a, el, id == SIP_HDR_CONTACT))
		return -1;
	if (a->star && !contact_single(it->m))
		return -1;
	if (needs_angle(id) && !a->angle)
		return -1;
	return 1;
}

/* --- Diversion (RFC 5806) ------------------------------------------------- */

/* counter / limit = 1*2DIGIT */
static bool set_2digit(uint32_t *dst, bool *has, struct pl v)
{
	if (*has || !v.p || v.l > 2 || !pl_u32(v, 99, dst))
		return false;
	*has = true;
	return true;
}

int sip_diversion_decode(struct sip_diversion *d, struct pl elem)
{
	struct sip_param prm;
	struct pl cur;
	bool ok;

	memset(d, 0, sizeof(*d));
	d->counter = 1;
	if (!elem.p || sip_addr_parse(&d->addr, elem, false) || !d->addr.angle)
		return -1;
	cur = d->addr.params;
	while (sip_param_next(&cur, &prm)) {
		if (pl_casecmp_lit(prm.name, "reason"))
			ok = set_text(&d->reason, prm.value);
		else if (pl_casecmp_lit(prm.name, "privacy"))
			ok = set_text(&d->privacy, prm.value);
		else if (pl_casecmp_lit(prm.name, "screen"))
			ok = set_text(&d->screen, prm.value);
		else if (pl_casecmp_lit(prm.name, "counter"))
			ok = set_2digit(&d->counter, &d->has_counter,
			                prm.value);
		else if (pl_casecmp_lit(prm.name, "limit"))
			ok = set_2digit(&d->limit, &d->has_limit, prm.value);
		else
			ok = true; /* diversion-extension */
		if (!ok)
			return -1;
	}
	return 0;
}

/* --- Reason (RFC 3326) ---------------------------------------------------- */

int sip_reason_decode(struct sip_reason *r, struct pl elem)
{
	struct sip_param prm;
	struct lex x;
	struct pl cur;

	memset(r, 0, sizeof(*r));
	if (!elem.p)
		return -1;
	x = lex_of(elem);
	lex_skip_lws(&x);
	if (!lex_token(&x, &r->protocol) || !lex_params(&x, &r->params) ||
	    !lex_done(&x))
		return -1;
	cur = r->params;
	while (sip_param_next(&cur, &prm)) {
		if (pl_casecmp_lit(prm.name, "cause")) {
			if (r->has_cause || !prm.value.p ||
			    !pl_u32(prm.value, 65535, &r->cause))
				return -1;
			r->has_cause = true;
		} else if (pl_casecmp_lit(prm.name, "text")) {
			if (r->text.p || !unquote(prm.value, &r->text))
				return -1;
		}
	}
	return 0;
}

/* --- History-Info (RFC 7044) ---------------------------------------------- */

/* index-val = number *( "." number ): each number 1..65535, at most
 * SIP_HI_MAX_DEPTH of them. */
bool sip_hi_index_parse(struct pl v, uint16_t *level, uint8_t *depth)
{
	size_t i = 0, n = 0;

	if (!v.p || v.l == 0)
		return false;
	for (;;) {
		size_t s = i;
		uint32_t u;

		while (i < v.l && cc_is(v.p[i], CC_DIGIT))
			i++;
		if (n == SIP_HI_MAX_DEPTH ||
		    !pl_u32(pl_make(v.p + s, i - s), 65535, &u) || u == 0)
			return false;
		level[n++] = (uint16_t)u;
		if (i == v.l)
			break;
		if (v.p[i] != '.')
			return false;
		i++;
	}
	*depth = (uint8_t)n;
	return true;
}

/* An embedded Reason value (escaped, may be a list): each reason-value
 * must decode; the cause of the first SIP one goes to hi->cause. Only
 * numbers leave buf. */
static int embedded_reason(struct sip_history_info *hi, struct pl v)
{
	char buf[EMBED_MAX];
	long n = sip_unescape(v, buf, sizeof(buf));
	struct sip_reason r;
	struct pl cur, el;

	if (n < 0)
		return 0; /* too long to look into: kept raw, cause 0 */
	cur = pl_make(buf, (size_t)n);
	while (list_next(&cur, &el)) {
		if (sip_reason_decode(&r, el))
			return -1;
		if (!hi->cause && r.has_cause &&
		    pl_casecmp_lit(r.protocol, "SIP"))
			hi->cause = (uint16_t)r.cause;
	}
	return 0;
}

/* An embedded Privacy value holds priv-value "history". */
static bool embedded_privacy_history(struct pl v)
{
	char buf[64];
	long n = sip_unescape(v, buf, sizeof(buf));
	struct lex x;
	struct pl t;

	if (n < 0)
		return false;
	x = lex_of(pl_make(buf, (size_t)n));
	do {
		lex_skip_lws(&x);
		if (!lex_token(&x, &t))
			return false;
		if (pl_casecmp_lit(t, "history"))
			return true;
	} while (lex_sep(&x, ';'));
	return false;
}

int sip_history_info_decode(struct sip_history_info *hi, struct pl elem)
{
	uint16_t lv[SIP_HI_MAX_DEPTH];
	struct sip_param prm;
	struct pl cur, name, val, *dst;
	uint8_t dp;

	memset(hi, 0, sizeof(*hi));
	if (!elem.p || sip_addr_parse(&hi->addr, elem, false) ||
	    !hi->addr.angle)
		return -1;
	cur = hi->addr.params;
	while (sip_param_next(&cur, &prm)) {
		if (pl_casecmp_lit(prm.name, "index")) {
			if (hi->index.p ||
			    !sip_hi_index_parse(prm.value, hi->level,
			                        &hi->depth))
				return -1;
			hi->index = prm.value;
			continue;
		}
		if (pl_casecmp_lit(prm.name, "rc"))
			dst = &hi->rc;
		else if (pl_casecmp_lit(prm.name, "mp"))
			dst = &hi->mp;
		else if (pl_casecmp_lit(prm.name, "np"))
			dst = &hi->np;
		else
			continue; /* hi-extension */
		if (dst->p || !sip_hi_index_parse(prm.value, lv, &dp))
			return -1;
		*dst = prm.value;
	}
	if (!hi->index.p)
		return -1;
	cur = hi->addr.uri.headers;
	while (uri_hdr_next(&cur, &name, &val)) {
		if (pl_casecmp_lit(name, "Reason")) {
			if (!hi->reason.p)
				hi->reason = val;
			if (embedded_reason(hi, val))
				return -1;
		} else if (pl_casecmp_lit(name, "Privacy")) {
			hi->privacy |= embedded_privacy_history(val);
		}
	}
	return 0;
}

/* --- Replaces (RFC 3891), Refer-To (RFC 3515), Referred-By (RFC 3892) ----- */

int sip_replaces_decode(struct sip_replaces *r, struct pl value)
{
	struct sip_param prm;
	struct pl params, cur;
	const char *s, *at = NULL;
	struct lex x;
	bool ok;

	memset(r, 0, sizeof(*r));
	if (!value.p)
		return -1;
	x = lex_of(value);
	lex_skip_lws(&x);
	/* callid = word [ "@" word ] */
	for (s = x.p; x.p < x.e; x.p++) {
		if (*x.p == '@') {
			if (at)
				return -1;
			at = x.p;
		} else if (!cc_is(*x.p, CC_WORD)) {
			break;
		}
	}
	if (x.p == s || at == s || (at && at + 1 == x.p))
		return -1;
	r->call_id = pl_span(s, x.p);
	if (!lex_params(&x, &params) || !lex_done(&x))
		return -1;
	cur = params;
	while (sip_param_next(&cur, &prm)) {
		if (pl_casecmp_lit(prm.name, "to-tag")) {
			ok = set_token(&r->to_tag, prm.value);
		} else if (pl_casecmp_lit(prm.name, "from-tag")) {
			ok = set_token(&r->from_tag, prm.value);
		} else if (pl_casecmp_lit(prm.name, "early-only")) {
			ok = !r->early_only && !prm.value.p;
			r->early_only = true;
		} else {
			ok = true;
		}
		if (!ok)
			return -1;
	}
	/* RFC 3891 3: exactly one to-tag and one from-tag */
	return r->to_tag.p && r->from_tag.p ? 0 : -1;
}

/* An embedded Replaces must decode too (when it fits the buffer). */
static int embedded_replaces(struct pl v)
{
	char buf[EMBED_MAX];
	long n = sip_unescape(v, buf, sizeof(buf));
	struct sip_replaces rp;

	if (n < 0)
		return 0;
	return sip_replaces_decode(&rp, pl_make(buf, (size_t)n));
}

int sip_refer_to_decode(struct sip_refer_to *r, struct pl value)
{
	struct pl cur, name, val;

	memset(r, 0, sizeof(*r));
	if (!value.p || sip_addr_parse(&r->addr, value, false))
		return -1;
	cur = r->addr.uri.headers;
	while (uri_hdr_next(&cur, &name, &val)) {
		if (!pl_casecmp_lit(name, "Replaces"))
			continue;
		/* two Replaces would name two dialogs */
		if (r->replaces.p || embedded_replaces(val))
			return -1;
		r->replaces = val;
	}
	return 0;
}

/* --- numbers: Session-Expires, RAck, Retry-After, delta-seconds ----------- */

int sip_session_expires_decode(struct sip_session_expires *se, struct pl v)
{
	struct sip_param prm;
	struct pl params, cur;
	struct lex x;

	memset(se, 0, sizeof(*se));
	if (!v.p)
		return -1;
	x = lex_of(v);
	lex_skip_lws(&x);
	if (!lex_uint(&x, UINT32_MAX, &se->delta) || !lex_params(&x, &params) ||
	    !lex_done(&x))
		return -1;
	cur = params;
	while (sip_param_next(&cur, &prm)) {
		if (!pl_casecmp_lit(prm.name, "refresher"))
			continue;
		if (se->refresher != SIP_REFRESHER_NONE || !prm.value.p)
			return -1;
		if (pl_casecmp_lit(prm.value, "uac"))
			se->refresher = SIP_REFRESHER_UAC;
		else if (pl_casecmp_lit(prm.value, "uas"))
			se->refresher = SIP_REFRESHER_UAS;
		else
			return -1;
	}
	return 0;
}

int sip_rack_decode(struct sip_rack *r, struct pl v)
{
	struct lex x;

	memset(r, 0, sizeof(*r));
	if (!v.p)
		return -1;
	x = lex_of(v);
	lex_skip_lws(&x);
	if (!lex_uint(&x, UINT32_MAX, &r->rseq) || !lex_skip_lws(&x) ||
	    !lex_uint(&x, UINT32_MAX, &r->cseq) || !lex_skip_lws(&x) ||
	    !lex_token(&x, &r->method) || !lex_done(&x))
		return -1;
	return 0;
}

/* comment = LPAREN *( ctext / quoted-pair / comment ) RPAREN, nesting
 * counted rather than recursed. x is at '('. */
static bool lex_comment(struct lex *x)
{
	const char *p = x->p;
	size_t depth = 0;

	while (p < x->e) {
		char c = *p;

		if (c == '(') {
			depth++;
			p++;
		} else if (c == ')') {
			p++;
			if (--depth == 0) {
				x->p = p;
				return true;
			}
		} else if (c == '\\') {
			if (p + 1 >= x->e || p[1] == '\r' || p[1] == '\n' ||
			    (unsigned char)p[1] > 0x7f)
				return false;
			p += 2;
		} else if (c == '\r' || c == '\n') {
			struct lex f = {p, x->e};
			if (!lex_skip_lws(&f))
				return false;
			p = f.p;
		} else if (cc_is(c, CC_CTL) && c != '\t') {
			return false;
		} else {
			p++; /* ctext, UTF8-NONASCII, SP, HT */
		}
	}
	return false;
}

int sip_retry_after_decode(uint32_t *seconds, struct pl v)
{
	struct sip_param prm;
	struct pl params, cur;
	struct lex x, y;
	uint32_t s, dur;
	bool has_dur = false;

	if (!v.p)
		return -1;
	x = lex_of(v);
	lex_skip_lws(&x);
	if (!lex_uint(&x, UINT32_MAX, &s))
		return -1;
	y = x;
	lex_skip_lws(&y);
	if (y.p < y.e && *y.p == '(') {
		if (!lex_comment(&y))
			return -1;
		x = y;
	}
	if (!lex_params(&x, &params) || !lex_done(&x))
		return -1;
	cur = params;
	while (sip_param_next(&cur, &prm)) {
		if (!pl_casecmp_lit(prm.name, "duration"))
			continue;
		if (has_dur || !prm.value.p ||
		    !pl_u32(prm.value, UINT32_MAX, &dur))
			return -1;
		has_dur = true;
	}
	*seconds = s;
	return 0;
}

/* delta-seconds, then *( SEMI generic-param ) when params is set (Min-SE,
 * RFC 4028). */
static int uint_params(uint32_t *out, struct pl v, bool params)
{
	struct pl raw;
	struct lex x;
	uint32_t n;

	if (!v.p)
		return -1;
	x = lex_of(v);
	lex_skip_lws(&x);
	if (!lex_uint(&x, UINT32_MAX, &n) ||
	    (params && !lex_params(&x, &raw)) || !lex_done(&x))
		return -1;
	*out = n;
	return 0;
}

int sip_uint_decode(uint32_t *out, struct pl v)
{
	return uint_params(out, v, false);
}

/* --- token lists, Date, Event --------------------------------------------- */

int sip_token_list_validate(struct pl value)
{
	struct pl cur = list_begin(value), el;

	if (cur.l == 0)
		return 0; /* Supported: and Allow: may be empty */
	while (list_next(&cur, &el)) {
		if (!is_token(el))
			return -1;
	}
	return 0;
}

bool sip_msg_has_tag(const struct sip_msg *m, enum sip_hdr_id id, struct pl tag)
{
	struct sip_list_iter it;
	struct pl el;

	if (!tag.p || tag.l == 0)
		return false;
	sip_list_iter_init(&it, m, id);
	while (sip_list_iter_next(&it, &el)) {
		if (pl_casecmp_eq(el, tag))
			return true;
	}
	return false;
}

/* Two digits, or -1. */
static int digits2(const char *p)
{
	if (!cc_is(p[0], CC_DIGIT) || !cc_is(p[1], CC_DIGIT))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT", case-sensitive
 * (RFC 3261 20.17), e.g. "Sat, 13 Nov 2010 23:29:00 GMT". */
static int date_validate(struct pl v)
{
	static const char wkday[] = "MonTueWedThuFriSatSun";
	static const char month[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30,
	                                  31, 31, 30, 31, 30, 31};
	const char *p = v.p;
	int i, mon = -1, day, year, hh, mm, ss;
	bool wk = false;

	if (!p || v.l != 29)
		return -1;
	for (i = 0; i < 7; i++)
		wk |= memcmp(p, wkday + 3 * i, 3) == 0;
	for (i = 0; i < 12; i++) {
		if (memcmp(p + 8, month + 3 * i, 3) == 0)
			mon = i;
	}
	if (!wk || mon < 0 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' ||
	    p[11] != ' ' || p[16] != ' ' || p[19] != ':' || p[22] != ':' ||
	    p[25] != ' ' || memcmp(p + 26, "GMT", 3) != 0)
		return -1;
	day = digits2(p + 5);
	hh = digits2(p + 17);
	mm = digits2(p + 20);
	ss = digits2(p + 23);
	if (digits2(p + 12) < 0 || digits2(p + 14) < 0)
		return -1;
	year = digits2(p + 12) * 100 + digits2(p + 14);
	if (day < 1 || day > mdays[mon] || hh < 0 || hh > 23 || mm < 0 ||
	    mm > 59 || ss < 0 || ss > 59)
		return -1;
	if (mon == 1 && day == 29 &&
	    (year % 4 != 0 || (year % 100 == 0 && year % 400 != 0)))
		return -1;
	return 0;
}

/* Event = event-type *( SEMI event-param ) (RFC 6665): event-type is
 * token-nodot *( "." token-nodot ); an id param is a token. */
static int event_validate(struct pl v)
{
	struct pl t, params, id;
	struct lex x;

	if (!v.p)
		return -1;
	x = lex_of(v);
	lex_skip_lws(&x);
	if (!lex_token(&x, &t) || t.p[0] == '.' || t.p[t.l - 1] == '.')
		return -1;
	for (size_t i = 1; i < t.l; i++) {
		if (t.p[i] == '.' && t.p[i - 1] == '.')
			return -1;
	}
	if (!lex_params(&x, &params) || !lex_done(&x))
		return -1;
	if (params.p && sip_param_find(params, PL("id"), &id) && !is_token(id))
		return -1;
	return 0;
}

/* --- sip_msg_validate ----------------------------------------------------- */

enum dec_kind {
	K_NONE = 0,
	K_CONTACT,
	K_ROUTE, /* name-addr only */
	K_ADDR,
	K_DIVERSION,
	K_HISTORY_INFO,
	K_REFER, /* Refer-To, Referred-By */
	K_REPLACES,
	K_REASON,
	K_SESSION_EXPIRES,
	K_MIN_SE,
	K_UINT,
	K_RACK,
	K_RETRY_AFTER,
	K_TOKENS,  /* may be empty */
	K_TOKENS1, /* at least one */
	K_DATE,
	K_EVENT,
};

struct dec_rule {
	uint8_t kind;
	const char *bad; /* "malformed X" */
	const char *dup; /* "duplicate X", for single-valued headers */
};

#define RULE(id, k, name) [id] = {k, "malformed " name, "duplicate " name}

static const struct dec_rule rules[SIP_HDR__COUNT] = {
        RULE(SIP_HDR_CONTACT, K_CONTACT, "Contact"),
        RULE(SIP_HDR_ROUTE, K_ROUTE, "Route"),
        RULE(SIP_HDR_RECORD_ROUTE, K_ROUTE, "Record-Route"),
        RULE(SIP_HDR_PATH, K_ROUTE, "Path"),
        RULE(SIP_HDR_REPLY_TO, K_ADDR, "Reply-To"),
        RULE(SIP_HDR_P_ASSERTED_IDENTITY, K_ADDR, "P-Asserted-Identity"),
        RULE(SIP_HDR_P_PREFERRED_IDENTITY, K_ADDR, "P-Preferred-Identity"),
        RULE(SIP_HDR_DIVERSION, K_DIVERSION, "Diversion"),
        RULE(SIP_HDR_HISTORY_INFO, K_HISTORY_INFO, "History-Info"),
        RULE(SIP_HDR_REFER_TO, K_REFER, "Refer-To"),
        RULE(SIP_HDR_REFERRED_BY, K_REFER, "Referred-By"),
        RULE(SIP_HDR_REPLACES, K_REPLACES, "Replaces"),
        RULE(SIP_HDR_REASON, K_REASON, "Reason"),
        RULE(SIP_HDR_SESSION_EXPIRES, K_SESSION_EXPIRES, "Session-Expires"),
        RULE(SIP_HDR_MIN_SE, K_MIN_SE, "Min-SE"),
        RULE(SIP_HDR_RSEQ, K_UINT, "RSeq"),
        RULE(SIP_HDR_RACK, K_RACK, "RAck"),
        RULE(SIP_HDR_EXPIRES, K_UINT, "Expires"),
        RULE(SIP_HDR_MIN_EXPIRES, K_UINT, "Min-Expires"),
        RULE(SIP_HDR_RETRY_AFTER, K_RETRY_AFTER, "Retry-After"),
        RULE(SIP_HDR_ALLOW, K_TOKENS, "Allow"),
        RULE(SIP_HDR_SUPPORTED, K_TOKENS, "Supported"),
        RULE(SIP_HDR_REQUIRE, K_TOKENS1, "Require"),
        RULE(SIP_HDR_PROXY_REQUIRE, K_TOKENS1, "Proxy-Require"),
        RULE(SIP_HDR_UNSUPPORTED, K_TOKENS1, "Unsupported"),
        RULE(SIP_HDR_DATE, K_DATE, "Date"),
        RULE(SIP_HDR_EVENT, K_EVENT, "Event"),
};

/* One element (or the whole value of a single-valued field). */
static int decode_one(const struct sip_msg *m, enum sip_hdr_id id,
                      enum dec_kind k, struct pl el)
{
	union {
		struct sip_addr addr;
		struct sip_diversion div;
		struct sip_history_info hi;
		struct sip_refer_to ref;
		struct sip_replaces rep;
		struct sip_reason rsn;
		struct sip_session_expires se;
		struct sip_rack rack;
		uint32_t n;
	} u;

	if (el.l == 0 && k != K_TOKENS)
		return -1;
	switch (k) {
	case K_CONTACT:
	case K_ROUTE:
	case K_ADDR:
		if (sip_addr_parse(&u.addr, el, id == SIP_HDR_CONTACT))
			return -1;
		if (u.addr.star && !contact_single(m))
			return -1;
		return k == K_ROUTE && !u.addr.angle ? -1 : 0;
	case K_DIVERSION:
		return sip_diversion_decode(&u.div, el);
	case K_HISTORY_INFO:
		return sip_history_info_decode(&u.hi, el);
	case K_REFER:
		return sip_refer_to_decode(&u.ref, el);
	case K_REPLACES:
		return sip_replaces_decode(&u.rep, el);
	case K_REASON:
		return sip_reason_decode(&u.rsn, el);
	case K_SESSION_EXPIRES:
		return sip_session_expires_decode(&u.se, el);
	case K_MIN_SE:
		return uint_params(&u.n, el, true);
	case K_UINT:
		return sip_uint_decode(&u.n, el);
	case K_RACK:
		return sip_rack_decode(&u.rack, el);
	case K_RETRY_AFTER:
		return sip_retry_after_decode(&u.n, el);
	case K_TOKENS:
	case K_TOKENS1:
		return sip_token_list_validate(el);
	case K_DATE:
		return date_validate(el);
	case K_EVENT:
		return event_validate(el);
	case K_NONE:
		break;
	}
	return 0;
}

/* err->offset follows parse.c: it counts from the start of the buffer
 * given to sip_msg_parse, which begins (consumed - raw.l) bytes (the
 * skipped leading CRLFs) before m->raw.p. */
static int invalid(const struct sip_msg *m, struct sip_parse_error *err,
                   const char *reason, const char *at)
{
	if (err) {
		size_t lead =
		        m->consumed >= m->raw.l ? m->consumed - m->raw.l : 0;
		err->status = m->request ? 400 : 0;
		err->reason = reason;
		err->offset = lead;
		if (at && m->raw.p && at >= m->raw.p)
			err->offset += (size_t)(at - m->raw.p);
	}
	return -1;
}

int sip_msg_validate(const struct sip_msg *m, struct sip_parse_error *err)
{
	for (uint16_t i = 0; i < m->nhdr; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		enum sip_hdr_id id = (enum sip_hdr_id)h->id;
		const struct sip_hdr_def *def;
		const struct dec_rule *r;
		enum dec_kind k;
		struct pl cur, el;

		if ((unsigned)id >= SIP_HDR__COUNT)
			continue;
		r = &rules[id];
		k = (enum dec_kind)r->kind;
		if (k == K_NONE)
			continue;
		def = sip_hdr_def(id);
		if ((def->flags & SIP_HF_SINGLE) && m->first[id] != i)
			return invalid(m, err, r->dup, h->value.p);
		if (k == K_TOKENS1 && pl_trim(h->value).l == 0)
			return invalid(m, err, r->bad, h->value.p);
		if (k == K_TOKENS || k == K_TOKENS1 ||
		    !(def->flags & SIP_HF_LIST)) {
			if (decode_one(m, id, k, h->value))
				return invalid(m, err, r->bad, h->value.p);
			continue;
		}
		cur = list_begin(h->value);
		while (list_next(&cur, &el)) {
			if (decode_one(m, id, k, el))
				return invalid(m, err, r->bad, el.p);
		}
	}
	return 0;
}
