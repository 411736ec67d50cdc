/* number.c: number extraction, E.164 normalisation and Request-URIs for the
 * ACS and Genesys legs. See number.h. */
#include "b2b/number.h"

#include <string.h>

/* --- output buffer ------------------------------------------------------- */

struct out {
	char *p;
	size_t cap;
	size_t len;
	bool over;
};

static void out_init(struct out *o, char *p, size_t cap)
{
	o->p = p;
	o->cap = cap;
	o->len = 0;
	o->over = false;
}

static void out_c(struct out *o, char c)
{
	/* Keep one byte for the NUL. */
	if (o->over || o->len + 1 >= o->cap) {
		o->over = true;
		return;
	}
	o->p[o->len++] = c;
}

static void out_pl(struct out *o, struct pl s)
{
	for (size_t i = 0; i < s.l; i++)
		out_c(o, s.p[i]);
}

static void out_lit(struct out *o, const char *s)
{
	while (*s)
		out_c(o, *s++);
}

static void out_u16(struct out *o, uint16_t v)
{
	char d[5];
	size_t n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		out_c(o, d[--n]);
}

static long out_end(struct out *o)
{
	if (o->over || o->cap == 0)
		return NUMBER_ENOSPC;
	o->p[o->len] = '\0';
	return (long)o->len;
}

/* --- character helpers --------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 3966 visual-separator "-" / "." / "(" / ")", plus the space that
 * people (and some gateways) write. */
static bool is_sep(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')' || c == ' ';
}

static bool has_prefix(struct pl s, struct pl prefix)
{
	return prefix.l && s.l >= prefix.l && !memcmp(s.p, prefix.p, prefix.l);
}

/* Decode the byte at s.p[*i], unescaping one %HH once (sip_unescape), and
 * advance *i. False on a malformed escape. */
static bool dec(struct pl s, size_t *i, char *c)
{
	if (s.p[*i] == '%') {
		size_t n = s.l - *i < 3 ? s.l - *i : 3;

		if (sip_unescape(pl_make(s.p + *i, n), c, 1) != 1)
			return false;
		*i += 3;
		return true;
	}
	*c = s.p[(*i)++];
	return true;
}

/* -1: malformed escape; 1: looks like a telephone number ('+'? then
 * digits and visual separators, at least one digit); 0: anything else. */
static int phone_like(struct pl s)
{
	bool digit = false;
	size_t i = 0;
	char c;

	while (i < s.l) {
		bool first = i == 0;

		if (!dec(s, &i, &c))
			return -1;
		if (is_digit(c))
			digit = true;
		else if (!(is_sep(c) || (first && c == '+')))
			return 0;
	}
	return digit ? 1 : 0;
}

static bool escapes_ok(struct pl s)
{
	size_t i = 0;
	char c;

	while (i < s.l)
		if (!dec(s, &i, &c))
			return false;
	return true;
}

/* Append s to o, unescaped once, without visual separators. */
static bool put_number(struct out *o, struct pl s)
{
	size_t i = 0;
	char c;

	while (i < s.l) {
		if (!dec(s, &i, &c))
			return false;
		if (!is_sep(c))
			out_c(o, c);
	}
	return true;
}

/* The value of ;name=value in a ';'-separated parameter list (no leading
 * ';'), compared case-insensitively on the name. */
static bool find_param(struct pl params, const char *name, struct pl *val)
{
	size_t nl = strlen(name);
	size_t i = 0;

	while (i <= params.l && params.p) {
		ptrdiff_t semi = pl_find(pl_from(params, i), ';');
		size_t end = semi < 0 ? params.l : i + (size_t)semi;
		struct pl p = pl_span(params.p + i, params.p + end);
		ptrdiff_t eq = pl_find(p, '=');

		if (eq >= 0 && (size_t)eq == nl &&
		    pl_casecmp_lit(pl_make(p.p, nl), name)) {
			*val = pl_from(p, nl + 1);
			return true;
		}
		if (semi < 0)
			break;
		i = end + 1;
	}
	return false;
}

/* Number part num (with parameters params) of a telephone-subscriber. */
static long tel_number(struct pl num, struct pl params, struct out *o,
                       bool *global)
{
	struct pl ctx;
	size_t i = 0;
	char c0 = 0;

	if (num.l && !dec(num, &i, &c0))
		return NUMBER_EINVAL;
	*global = c0 == '+';
	if (!*global && find_param(params, "phone-context", &ctx) && ctx.l &&
	    ctx.p[0] == '+') {
		/* Global number prefix: "+1-425" then the local digits. */
		if (phone_like(ctx) != 1 || !put_number(o, ctx))
			return NUMBER_EINVAL;
		*global = true;
	}
	if (!put_number(o, num))
		return NUMBER_EINVAL;
	return out_end(o);
}

long number_from_uri(const struct sip_uri *u, char *out, size_t cap,
                     bool *global, bool *phone)
{
	struct out o;
	bool g = false, ph = true;
	long n;

	out_init(&o, out, cap);
	if (!u || !u->user.p || u->user.l == 0)
		return NUMBER_EINVAL;

	if (u->scheme == SIP_URI_TEL) {
		n = tel_number(u->user, u->params, &o, &g);
	} else if (u->scheme == SIP_URI_SIP || u->scheme == SIP_URI_SIPS) {
		struct pl user = u->user, num = user, params = PL_NULL;
		ptrdiff_t semi = pl_find(user, ';');
		struct pl v;
		bool user_phone = sip_uri_param(u, PL("user"), &v) &&
		                  pl_casecmp_lit(v, "phone");
		int like;

		if (semi >= 0) {
			num = pl_make(user.p, (size_t)semi);
			params = pl_from(user, (size_t)semi + 1);
		}
		like = phone_like(num);
		if (like < 0)
			return NUMBER_EINVAL;
		if (user_phone || like) {
			if (num.l == 0)
				return NUMBER_EINVAL;
			n = tel_number(num, params, &o, &g);
		} else {
			/* Not a telephone number: the user part, unescaped. */
			ph = false;
			if (cap == 0)
				return NUMBER_ENOSPC;
			n = sip_unescape(user, out, cap - 1);
			if (n < 0)
				return escapes_ok(user) ? NUMBER_ENOSPC
				                        : NUMBER_EINVAL;
			out[n] = '\0';
			g = n > 0 && out[0] == '+';
		}
	} else {
		return NUMBER_EINVAL;
	}
	if (n < 0)
		return n;
	if (global)
		*global = g;
	if (phone)
		*phone = ph;
	return n;
}

/* --- E.164 --------------------------------------------------------------- */

static bool all_digits(struct pl s)
{
	for (size_t i = 0; i < s.l; i++)
		if (!is_digit(s.p[i]))
			return false;
	return true;
}

bool number_is_e164(struct pl n)
{
	return n.p && n.l >= 2 && n.l <= NUMBER_E164_DIGITS + 1 &&
	       n.p[0] == '+' && n.p[1] != '0' && all_digits(pl_from(n, 1));
}

long number_e164(struct pl num, const struct number_plan *plan, char *out,
                 size_t cap)
{
	struct pl cc = plan ? plan->country_code : PL_NULL;
	struct pl rest;
	struct out o;

	out_init(&o, out, cap);
	if (!num.p || num.l == 0)
		return NUMBER_EINVAL;
	if (num.p[0] == '+') {
		rest = pl_from(num, 1);
		if (!all_digits(rest))
			return NUMBER_EINVAL;
		cc = PL_NULL;
	} else {
		if (!all_digits(num))
			return NUMBER_EINVAL;
		if (plan && has_prefix(num, plan->intl_prefix)) {
			rest = pl_from(num, plan->intl_prefix.l);
			cc = PL_NULL;
		} else if (!cc.l || !all_digits(cc)) {
			return NUMBER_EINVAL; /* national, no country code */
		} else if (has_prefix(num, plan->national_prefix)) {
			rest = pl_from(num, plan->national_prefix.l);
		} else if (plan->nsn_len) {
			if (num.l == plan->nsn_len) {
				rest = num;
			} else if (num.l == cc.l + plan->nsn_len &&
			           has_prefix(num, cc)) {
				rest = num;
				cc = PL_NULL;
			} else {
				return NUMBER_EINVAL;
			}
		} else {
			rest = num;
			if (has_prefix(num, cc))
				cc = PL_NULL;
		}
	}
	if (cc.l + rest.l == 0 || cc.l + rest.l > NUMBER_E164_DIGITS)
		return NUMBER_EINVAL;
	if ((cc.l ? cc.p[0] : rest.p[0]) == '0')
		return NUMBER_EINVAL;
	out_c(&o, '+');
	out_pl(&o, cc);
	out_pl(&o, rest);
	return out_end(&o);
}

struct pl number_omit_plus(struct pl n)
{
	if (n.l && n.p[0] == '+')
		return pl_from(n, 1);
	return n;
}

/* --- Request-URIs -------------------------------------------------------- */

/* hostname or IPv4 (the final sip_uri_parse checks the label rules). */
static bool host_ok(struct pl h)
{
	if (!h.p || h.l == 0 || h.l > 253)
		return false;
	for (size_t i = 0; i < h.l; i++)
		if (!is_alnum(h.p[i]) && h.p[i] != '-' && h.p[i] != '.')
			return false;
	return true;
}

/* RFC 4904 trunk-group = 1*(unreserved / escaped / trunk-group-unreserved),
 * trunk-group-unreserved = "/" / "&" / "+" / "$"; escapes refused. */
static bool tgrp_ok(struct pl s)
{
	if (!s.p || s.l == 0)
		return false;
	for (size_t i = 0; i < s.l; i++)
		if (!is_alnum(s.p[i]) &&
		    (!s.p[i] || !strchr("-_.!~*'()/&+$", s.p[i])))
			return false;
	return true;
}

/* RFC 4904 trunk-context: global-number-digits / domainname. */
static bool trunk_context_ok(struct pl s)
{
	if (!s.p || s.l == 0)
		return false;
	if (s.p[0] == '+')
		return phone_like(s) == 1 && pl_find(s, ' ') < 0 &&
		       pl_find(s, '%') < 0;
	return host_ok(s);
}

static bool token_ok(struct pl s)
{
	if (!s.p || s.l == 0)
		return false;
	for (size_t i = 0; i < s.l; i++)
		if (!is_alnum(s.p[i]) && s.p[i] != '-')
			return false;
	return true;
}

/* The result of a builder, re-parsed as a sip: URI. */
static long checked(struct out *o)
{
	long n = out_end(o);
	struct sip_uri u;

	if (n < 0)
		return n;
	if (sip_uri_parse(&u, pl_make(o->p, (size_t)n)) != 0)
		return NUMBER_EINVAL;
	return n;
}

long number_ruri_acs(struct pl e164, struct pl server_fqdn, char *out,
                     size_t cap)
{
	struct out o;

	if (!number_is_e164(e164) || !host_ok(server_fqdn))
		return NUMBER_EINVAL;
	out_init(&o, out, cap);
	out_lit(&o, "sip:");
	out_pl(&o, e164);
	out_c(&o, '@');
	out_pl(&o, server_fqdn);
	out_lit(&o, ":5061;user=phone;transport=tls");
	return checked(&o);
}

long number_ruri_genesys(struct pl e164, const struct genesys_ruri *g,
                         char *out, size_t cap)
{
	struct pl host;
	struct out o;

	if (!g || !number_is_e164(e164))
		return NUMBER_EINVAL;
	if (pl_isset(g->transport) && !token_ok(g->transport))
		return NUMBER_EINVAL;
	switch (g->method) {
	case GENESYS_IDENT_FQDN:
		host = g->ident;
		break;
	case GENESYS_IDENT_TGRP:
		if (!tgrp_ok(g->ident) || !trunk_context_ok(g->trunk_context))
			return NUMBER_EINVAL;
		host = g->host;
		break;
	case GENESYS_IDENT_DNIS:
		host = g->host;
		break;
	default:
		return NUMBER_EINVAL;
	}
	if (!host_ok(host))
		return NUMBER_EINVAL;

	out_init(&o, out, cap);
	out_lit(&o, "sip:");
	out_pl(&o, g->omit_plus ? number_omit_plus(e164) : e164);
	if (g->method == GENESYS_IDENT_TGRP) {
		out_lit(&o, ";tgrp=");
		out_pl(&o, g->ident);
		out_lit(&o, ";trunk-context=");
		out_pl(&o, g->trunk_context);
	}
	out_c(&o, '@');
	out_pl(&o, host);
	if (g->port) {
		out_c(&o, ':');
		out_u16(&o, g->port);
	}
	if (pl_isset(g->transport)) {
		out_lit(&o, ";transport=");
		out_pl(&o, g->transport);
	}
	return checked(&o);
}
