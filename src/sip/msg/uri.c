/* uri.c: SIP/SIPS/tel/absolute URI parser and RFC 3261 19.1.4 comparison.
 *
 * Everything works over length-counted bytes that may hold NUL: no strlen,
 * no strto*, no allocation, no mutable globals. Character classes come from
 * one 256-entry table built at compile time from the RFC 3261 / RFC 3966
 * ABNF definitions below.
 *
 * Choices beyond the letter of the grammar (kept deliberately small):
 *  - hostname labels may contain '_' (SRV-style names such as
 *    "_sip._udp.example.com" exist in the wild); the toplabel must still
 *    start with ALPHA, so "1.2.3.256" is neither IPv4 nor a hostname.
 *  - IPv6 references follow RFC 5954 / RFC 3986 (real IPv6 addresses):
 *    "[2001:db8:::1]" is rejected even though RFC 3261's ABNF admits it.
 *  - uri-parameters are checked with the generic other-param rule
 *    (pname ["=" pvalue], both 1*paramchar); the specific forms such as
 *    transport= or ttl= are a subset of it and are not checked further.
 *  - other schemes: the opaque part is 1*(RFC 3986 unreserved / reserved /
 *    pct-encoded), which includes '#', '[' and ']'.
 */
#include "sip/msg/sip_uri.h"

#include <string.h>

/* --- character classes --------------------------------------------------- */

enum {
	C_DIGIT = 1u << 0,
	C_ALPHA = 1u << 1,
	C_HEX = 1u << 2,
	C_USER = 1u << 3,    /* unreserved / user-unreserved */
	C_PASS = 1u << 4,    /* unreserved / "&=+$," */
	C_PARAM = 1u << 5,   /* paramchar minus escaped */
	C_HDR = 1u << 6,     /* hnv-unreserved / unreserved */
	C_URIC = 1u << 7,    /* RFC 3986 unreserved / reserved, minus ';' */
	C_SEMI = 1u << 8,    /* ';' */
	C_HOST = 1u << 9,    /* alphanum / "-" / "." / "_" */
	C_SCHEME = 1u << 10, /* ALPHA / DIGIT / "+" / "-" / "." */
	C_VIS = 1u << 11,    /* RFC 3966 visual-separator "-.()" */
	C_TPNAME = 1u << 12, /* RFC 3966 pname: alphanum / "-" */
	C_TLOCAL = 1u << 13, /* RFC 3966 HEXDIG / "*" / "#" */
};

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_ALNUM(c) (IS_DIGIT(c) || IS_ALPHA(c))
#define IS_HEX(c)                                                              \
	(IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') ||                          \
	 ((c) >= 'A' && (c) <= 'F'))
#define IS_MARK(c)                                                             \
	((c) == '-' || (c) == '_' || (c) == '.' || (c) == '!' || (c) == '~' || \
	 (c) == '*' || (c) == '\'' || (c) == '(' || (c) == ')')
#define IS_UNRES(c) (IS_ALNUM(c) || IS_MARK(c))
#define IS_AMP_ETC(c)                                                          \
	((c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || (c) == ',')
#define IS_USERU(c) (IS_AMP_ETC(c) || (c) == ';' || (c) == '?' || (c) == '/')
#define IS_PARAMU(c)                                                           \
	((c) == '[' || (c) == ']' || (c) == '/' || (c) == ':' || (c) == '&' || \
	 (c) == '+' || (c) == '$')
#define IS_HNVU(c)                                                             \
	((c) == '[' || (c) == ']' || (c) == '/' || (c) == '?' || (c) == ':' || \
	 (c) == '+' || (c) == '$')
/* RFC 3986 gen-delims and sub-delims, without ';' (C_SEMI). */
#define IS_RESERVED(c)                                                         \
	((c) == ':' || (c) == '/' || (c) == '?' || (c) == '#' || (c) == '[' || \
	 (c) == ']' || (c) == '@' || IS_AMP_ETC(c) || (c) == '!' ||            \
	 (c) == '\'' || (c) == '(' || (c) == ')' || (c) == '*')
#define IS_VIS(c) ((c) == '-' || (c) == '.' || (c) == '(' || (c) == ')')

#define CC(c)                                                                  \
	(uint16_t)((IS_DIGIT(c) ? C_DIGIT : 0) | (IS_ALPHA(c) ? C_ALPHA : 0) | \
	           (IS_HEX(c) ? C_HEX : 0) |                                   \
	           (IS_UNRES(c) || IS_USERU(c) ? C_USER : 0) |                 \
	           (IS_UNRES(c) || IS_AMP_ETC(c) ? C_PASS : 0) |               \
	           (IS_UNRES(c) || IS_PARAMU(c) ? C_PARAM : 0) |               \
	           (IS_UNRES(c) || IS_HNVU(c) ? C_HDR : 0) |                   \
	           (IS_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '_' ||   \
	                            (c) == '~' || IS_RESERVED(c)               \
	                    ? C_URIC                                           \
	                    : 0) |                                             \
	           ((c) == ';' ? C_SEMI : 0) |                                 \
	           (IS_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '_'      \
	                    ? C_HOST                                           \
	                    : 0) |                                             \
	           (IS_ALNUM(c) || (c) == '+' || (c) == '-' || (c) == '.'      \
	                    ? C_SCHEME                                         \
	                    : 0) |                                             \
	           (IS_VIS(c) ? C_VIS : 0) |                                   \
	           (IS_ALNUM(c) || (c) == '-' ? C_TPNAME : 0) |                \
	           (IS_HEX(c) || (c) == '*' || (c) == '#' ? C_TLOCAL : 0))

#define R4(n)  CC(n), CC((n) + 1), CC((n) + 2), CC((n) + 3)
#define R16(n) R4(n), R4((n) + 4), R4((n) + 8), R4((n) + 12)
#define R64(n) R16(n), R16((n) + 16), R16((n) + 32), R16((n) + 48)

/* Bytes >= 0x80 belong to no class. */
static const uint16_t ctab[256] = {R64(0), R64(64)};

static inline unsigned cls(char c)
{
	return ctab[(unsigned char)c];
}

static inline unsigned hexval(char c)
{
	unsigned u = (unsigned char)c;

	return u <= '9' ? u - '0' : (u | 0x20) - 'a' + 10;
}

static inline bool is_escape(const char *p, const char *e)
{
	return e - p >= 3 && *p == '%' && (cls(p[1]) & C_HEX) &&
	       (cls(p[2]) & C_HEX);
}

/* Skip bytes of class mask; no escapes. */
static const char *scan(const char *p, const char *e, unsigned mask)
{
	while (p < e && (cls(*p) & mask))
		p++;
	return p;
}

/* Skip bytes of class mask and well-formed %HH escapes. */
static const char *scan_esc(const char *p, const char *e, unsigned mask)
{
	for (;;) {
		while (p < e && (cls(*p) & mask))
			p++;
		if (!is_escape(p, e))
			return p;
		p += 3;
	}
}

static bool lit_ieq(const char *p, size_t l, const char *lit, size_t ll)
{
	if (l != ll)
		return false;
	for (size_t i = 0; i < l; i++) {
		if (ascii_lower(p[i]) != lit[i])
			return false;
	}
	return true;
}

/* --- hosts ---------------------------------------------------------------- */

/* IPv4address: exactly four dot-separated 1*3DIGIT, each 0..255. */
static bool parse_ipv4(const char *p, const char *e, uint8_t out[4])
{
	for (int i = 0; i < 4; i++) {
		const char *s = p;
		unsigned v = 0;

		if (i > 0) {
			if (p == e || *p != '.')
				return false;
			s = ++p;
		}
		while (p < e && p - s < 3 && (cls(*p) & C_DIGIT))
			v = v * 10 + (unsigned)(*p++ - '0');
		if (p == s || v > 255)
			return false;
		out[i] = (uint8_t)v;
	}
	return p == e;
}

/* RFC 4291 / RFC 3986 IPv6address (as adopted by RFC 5954) into 16 bytes. */
static bool parse_ipv6(const char *p, const char *e, uint8_t out[16])
{
	uint16_t g[8];
	int n = 0, dc = -1;

	if (p == e)
		return false;
	if (*p == ':') {
		if (e - p < 2 || p[1] != ':')
			return false;
		dc = 0;
		p += 2;
	}
	while (p < e) {
		const char *s = p;
		unsigned v = 0;

		while (p < e && p - s < 5 && (cls(*p) & C_HEX))
			v = (v << 4) | hexval(*p++);
		if (p < e && *p == '.') {
			uint8_t v4[4];

			/* ls32 as IPv4address: must end the address. */
			if (n > 6 || !parse_ipv4(s, e, v4))
				return false;
			g[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
			g[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
			break;
		}
		if (p == s || p - s > 4 || n == 8)
			return false;
		g[n++] = (uint16_t)v;
		if (p == e)
			break;
		if (*p++ != ':' || p == e)
			return false;
		if (*p == ':') {
			if (dc >= 0)
				return false;
			dc = n;
			p++;
		}
	}
	if (dc < 0 ? n != 8 : n > 7)
		return false;
	memset(out, 0, 16);
	for (int i = 0; i < n; i++) {
		int at = (dc < 0 || i < dc) ? i : 8 - (n - i);

		out[2 * at] = (uint8_t)(g[i] >> 8);
		out[2 * at + 1] = (uint8_t)g[i];
	}
	return true;
}

/* Scan a host that is not an IPv6 reference, in one pass: either an
 * IPv4address or hostname = *( domainlabel "." ) toplabel [ "." ], with '_'
 * allowed in labels (see the file comment). Returns the end of the host;
 * *type is SIP_HOST_NONE when the bytes up to there are no valid host. */
static const char *scan_host(const char *p, const char *e,
                             enum sip_host_type *type)
{
	const char *q = p, *ls = p, *top = NULL;
	unsigned all = C_DIGIT; /* stays set while only digits and dots */

	*type = SIP_HOST_NONE;
	for (; q < e; q++) {
		unsigned c = cls(*q);

		if (!(c & C_HOST))
			break;
		if (*q == '.') {
			if (q == ls || *ls == '-' || q[-1] == '-')
				return q;
			top = ls;
			ls = q + 1;
		} else {
			all &= c;
		}
	}
	if (ls < q) {
		if (*ls == '-' || q[-1] == '-')
			return q;
		top = ls;
	}
	if (!top)
		return q;
	if (all) {
		uint8_t a4[4];

		if (parse_ipv4(p, q, a4))
			*type = SIP_HOST_IPV4;
	} else if (cls(*top) & C_ALPHA) {
		*type = SIP_HOST_NAME;
	}
	return q;
}

/* hostport = host [ ":" port ], host a hostname, IPv4 or [IPv6]. Returns
 * the end, or NULL when there is no valid hostport at p. */
static const char *scan_hostport(const char *p, const char *e, struct pl *host,
                                 enum sip_host_type *type, uint16_t *port,
                                 bool *has_port)
{
	const char *q;

	if (p < e && *p == '[') {
		uint8_t a6[16];

		q = memchr(p + 1, ']', (size_t)(e - p - 1));
		if (!q || !parse_ipv6(p + 1, q, a6))
			return NULL;
		*host = pl_span(p + 1, q);
		*type = SIP_HOST_IPV6;
		p = q + 1;
	} else {
		enum sip_host_type ht;

		q = scan_host(p, e, &ht);
		if (ht == SIP_HOST_NONE)
			return NULL;
		*host = pl_span(p, q);
		*type = ht;
		p = q;
	}

	/* [":" port] */
	if (p < e && *p == ':') {
		uint32_t v = 0;

		q = ++p;
		while (p < e && (cls(*p) & C_DIGIT)) {
			v = v * 10 + (uint32_t)(*p++ - '0');
			if (v > 65535)
				return NULL;
		}
		if (p == q)
			return NULL;
		*port = (uint16_t)v;
		*has_port = true;
	}
	return p;
}

int sip_hostport_parse(struct pl s, struct pl *host, enum sip_host_type *type,
                       uint16_t *port, bool *has_port)
{
	const char *e = s.p + s.l;

	*port = 0;
	*has_port = false;
	if (!s.p)
		return -1;
	return scan_hostport(s.p, e, host, type, port, has_port) == e ? 0 : -1;
}

/* --- sip: / sips: --------------------------------------------------------- */

static int parse_sip(struct sip_uri *u, const char *p, const char *e)
{
	const char *q = scan_esc(p, e, C_USER), *r;

	/* userinfo = user [":" password] "@". '@' is allowed nowhere else in
	 * a SIP URI, and ':' in neither user nor password, so the first '@'
	 * ends it; without one there is no userinfo. */
	if (q < e && *q == ':')
		r = scan_esc(q + 1, e, C_PASS);
	else
		r = q;
	if (r < e && *r == '@') {
		if (q == p)
			return -1;
		u->user = pl_span(p, q);
		if (r != q)
			u->password = pl_span(q + 1, r);
		p = r + 1;
	}

	p = scan_hostport(p, e, &u->host, &u->host_type, &u->port,
	                  &u->has_port);
	if (!p)
		return -1;

	/* *( ";" pname [ "=" pvalue ] ) */
	if (p < e && *p == ';') {
		const char *ps = ++p;

		for (;;) {
			q = scan_esc(p, e, C_PARAM);
			if (q == p)
				return -1;
			p = q;
			if (p < e && *p == '=') {
				q = scan_esc(++p, e, C_PARAM);
				if (q == p)
					return -1;
				p = q;
			}
			if (p == e || *p != ';')
				break;
			p++;
		}
		u->params = pl_span(ps, p);
	}

	/* [ "?" hname "=" hvalue *( "&" hname "=" hvalue ) ] */
	if (p < e && *p == '?') {
		const char *hs = ++p;

		for (;;) {
			q = scan_esc(p, e, C_HDR);
			if (q == p || q == e || *q != '=')
				return -1;
			p = scan_esc(q + 1, e, C_HDR);
			if (p == e || *p != '&')
				break;
			p++;
		}
		u->headers = pl_span(hs, p);
	}
	return p == e ? 0 : -1;
}

/* --- tel: (RFC 3966) ------------------------------------------------------ */

/* global-number-digits = "+" *phonedigit DIGIT *phonedigit */
static bool valid_global_digits(const char *p, const char *e)
{
	bool digit = false;

	if (p == e || *p != '+')
		return false;
	for (p++; p < e; p++) {
		unsigned c = cls(*p);

		if (!(c & (C_DIGIT | C_VIS)))
			return false;
		digit |= (c & C_DIGIT) != 0;
	}
	return digit;
}

/* local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex */
static bool valid_local_digits(const char *p, const char *e)
{
	bool one = false;

	for (; p < e; p++) {
		unsigned c = cls(*p);

		if (!(c & (C_TLOCAL | C_VIS)))
			return false;
		one |= (c & C_TLOCAL) != 0;
	}
	return one;
}

static int parse_tel(struct sip_uri *u, const char *p, const char *e)
{
	const char *q = memchr(p, ';', (size_t)(e - p));
	bool global = p < e && *p == '+';
	bool context = false;
	enum sip_host_type ht;

	if (!q)
		q = e;
	if (global ? !valid_global_digits(p, q) : !valid_local_digits(p, q))
		return -1;
	u->user = pl_span(p, q);
	p = q;

	if (p < e) {
		const char *ps = ++p;

		for (;;) {
			const char *n = p, *v;
			size_t nl;

			q = scan(p, e, C_TPNAME);
			nl = (size_t)(q - n);
			if (nl == 0)
				return -1;
			p = q;
			if (p < e && *p == '=') {
				v = ++p;
				if (lit_ieq(n, nl, "phone-context", 13)) {
					q = memchr(v, ';', (size_t)(e - v));
					if (!q)
						q = e;
					if (!valid_global_digits(v, q) &&
					    (scan_host(v, q, &ht) != q ||
					     ht != SIP_HOST_NAME))
						return -1;
					context = true;
				} else if (lit_ieq(n, nl, "ext", 3)) {
					q = scan(v, e, C_DIGIT | C_VIS);
				} else if (lit_ieq(n, nl, "isub", 4)) {
					q = scan_esc(v, e, C_URIC);
				} else {
					q = scan_esc(v, e, C_PARAM);
				}
				if (q == v)
					return -1;
				p = q;
			} else if (lit_ieq(n, nl, "phone-context", 13) ||
			           lit_ieq(n, nl, "ext", 3) ||
			           lit_ieq(n, nl, "isub", 4)) {
				return -1;
			}
			if (p == e || *p != ';')
				break;
			p++;
		}
		if (p != e)
			return -1;
		u->params = pl_span(ps, p);
	}
	if (!global && !context)
		return -1;
	return 0;
}

/* --- entry point ---------------------------------------------------------- */

static int parse_uri(struct sip_uri *u, struct pl s)
{
	const char *p = s.p, *e = s.p + s.l, *q;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (!(cls(*p) & C_ALPHA))
		return -1;
	q = scan(p + 1, e, C_SCHEME);
	if (q == e || *q != ':')
		return -1;
	u->scheme_pl = pl_span(p, q);
	p = q + 1;

	if (lit_ieq(s.p, u->scheme_pl.l, "sip", 3)) {
		u->scheme = SIP_URI_SIP;
		return parse_sip(u, p, e);
	}
	if (lit_ieq(s.p, u->scheme_pl.l, "sips", 4)) {
		u->scheme = SIP_URI_SIPS;
		return parse_sip(u, p, e);
	}
	if (lit_ieq(s.p, u->scheme_pl.l, "tel", 3)) {
		u->scheme = SIP_URI_TEL;
		return parse_tel(u, p, e);
	}
	u->scheme = SIP_URI_OTHER;
	if (p == e || scan_esc(p, e, C_URIC | C_SEMI) != e)
		return -1;
	u->opaque = pl_span(p, e);
	return 0;
}

/* Field by field: compilers turn a memset of this size into "rep stos",
 * whose start-up cost is a large share of a whole parse. */
static void uri_clear(struct sip_uri *u)
{
	u->scheme = SIP_URI_SIP;
	u->scheme_pl = PL_NULL;
	u->user = PL_NULL;
	u->password = PL_NULL;
	u->host = PL_NULL;
	u->host_type = SIP_HOST_NONE;
	u->port = 0;
	u->has_port = false;
	u->params = PL_NULL;
	u->headers = PL_NULL;
	u->opaque = PL_NULL;
	u->raw = PL_NULL;
}

int sip_uri_parse(struct sip_uri *u, struct pl s)
{
	uri_clear(u);
	if (!s.p || s.l == 0 || parse_uri(u, s) != 0) {
		uri_clear(u);
		return -1;
	}
	u->raw = s;
	return 0;
}

/* --- unescaping and comparison helpers ------------------------------------ */

long sip_unescape(struct pl in, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < in.l; i++) {
		char c = in.p[i];

		if (c == '%') {
			if (in.l - i < 3 || !(cls(in.p[i + 1]) & C_HEX) ||
			    !(cls(in.p[i + 2]) & C_HEX))
				return -1;
			c = (char)(hexval(in.p[i + 1]) << 4 |
			           hexval(in.p[i + 2]));
			i += 2;
		}
		if (n >= cap)
			return -1;
		out[n++] = c;
	}
	return (long)n;
}

static const char *pl_end(struct pl a)
{
	return a.l ? a.p + a.l : a.p;
}

/* Next byte of a (possibly escaped) slice, decoded once. */
static inline unsigned next_byte(const char **pp, const char *e, bool esc)
{
	const char *p = *pp;

	if (esc && *p == '%' && is_escape(p, e)) {
		*pp = p + 3;
		return hexval(p[1]) << 4 | hexval(p[2]);
	}
	*pp = p + 1;
	return (unsigned char)*p;
}

static inline unsigned lower_u(unsigned c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Compare two slices after unescaping each once (when its flag says so). */
static bool esc_eq(struct pl a, bool a_esc, struct pl b, bool b_esc, bool ci)
{
	const char *pa = a.p, *ea = pl_end(a), *pb = b.p, *eb = pl_end(b);

	/* Identical bytes decode identically (when both are decoded or
	 * neither is): the common case. */
	if (a_esc == b_esc && a.l == b.l &&
	    (ci ? pl_casecmp_eq(a, b) : pl_eq(a, b)))
		return true;
	while (pa < ea && pb < eb) {
		unsigned ca = next_byte(&pa, ea, a_esc);
		unsigned cb = next_byte(&pb, eb, b_esc);

		if (ci) {
			ca = lower_u(ca);
			cb = lower_u(cb);
		}
		if (ca != cb)
			return false;
	}
	return pa == ea && pb == eb;
}

/* Iterate over "name[=value]" items separated by sep. */
struct kv_iter {
	const char *p, *e;
	char sep;
};

static bool kv_next(struct kv_iter *it, struct pl *name, struct pl *value)
{
	const char *s = it->p, *end, *eq;

	if (!s || s >= it->e)
		return false;
	end = memchr(s, it->sep, (size_t)(it->e - s));
	if (!end)
		end = it->e;
	eq = memchr(s, '=', (size_t)(end - s));
	if (eq) {
		*name = pl_span(s, eq);
		*value = pl_span(eq + 1, end);
	} else {
		*name = pl_span(s, end);
		*value = PL_NULL;
	}
	it->p = end < it->e ? end + 1 : it->e;
	return true;
}

static struct kv_iter kv_begin(struct pl list, char sep)
{
	return (struct kv_iter){list.p, pl_end(list), sep};
}

/* Find param whose (unescaped) name equals name, case-insensitively. */
static bool find_param(struct pl params, struct pl name, bool name_esc,
                       struct pl *value)
{
	struct kv_iter it = kv_begin(params, ';');
	struct pl n, v;

	while (kv_next(&it, &n, &v)) {
		if (esc_eq(n, true, name, name_esc, true)) {
			*value = v;
			return true;
		}
	}
	return false;
}

bool sip_uri_param(const struct sip_uri *u, struct pl name, struct pl *value)
{
	struct pl v;

	if (!u || !find_param(u->params, name, false, &v))
		return false;
	if (value)
		*value = v;
	return true;
}

/* Values of two params, compared case-insensitively after unescaping;
 * a valueless param only matches a valueless one. */
static bool pvalue_eq(struct pl a, struct pl b)
{
	if (pl_isset(a) != pl_isset(b))
		return false;
	return esc_eq(a, true, b, true, true);
}

static bool sip_special_param(struct pl name)
{
	static const struct pl names[] = {
	        PL("user"),  PL("ttl"),       PL("method"),
	        PL("maddr"), PL("transport"),
	};
	char c = name.l ? ascii_lower(name.p[0]) : 0;

	/* All of them start with 'm', 't' or 'u' (or an escape of one). */
	if (c != 'm' && c != 't' && c != 'u' && c != '%')
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (esc_eq(name, true, names[i], false, true))
			return true;
	}
	return false;
}

/* Number of items in a ';' or '&' list, counting at most max + 1. */
static size_t kv_count(struct pl list, char sep, size_t max)
{
	const char *p = list.p, *e = pl_end(list);
	size_t n = 0;

	if (!p)
		return 0;
	while (n <= max) {
		const char *q = memchr(p, sep, (size_t)(e - p));

		n++;
		if (!q)
			break;
		p = q + 1;
	}
	return n;
}

/* Parameter and header matching is O(n * m) without allocation; two
 * lists that differ and have more than this many items never compare
 * equal, so a hostile URI cannot make a comparison expensive. */
#define EQ_MAX_ITEMS 128

static bool too_many(struct pl a, struct pl b, char sep)
{
	return kv_count(a, sep, EQ_MAX_ITEMS) > EQ_MAX_ITEMS ||
	       kv_count(b, sep, EQ_MAX_ITEMS) > EQ_MAX_ITEMS;
}

/* RFC 3261 19.1.4 parameter rules. With a name repeated, only its first
 * occurrence counts (on both sides), which keeps the relation symmetric
 * and reflexive. */
static bool sip_params_eq(struct pl pa, struct pl pb)
{
	struct kv_iter it;
	struct pl n, v, x, y;

	if (pl_eq(pa, pb))
		return true;
	if (too_many(pa, pb, ';'))
		return false;
	it = kv_begin(pa, ';');
	while (kv_next(&it, &n, &v)) {
		if (find_param(pb, n, true, &y)) {
			(void)find_param(pa, n, true, &x);
			if (!pvalue_eq(x, y))
				return false;
		} else if (sip_special_param(n)) {
			return false;
		}
	}
	it = kv_begin(pb, ';');
	while (kv_next(&it, &n, &v)) {
		if (sip_special_param(n) && !find_param(pa, n, true, &x))
			return false;
	}
	return true;
}

/* Every header of a appears in b: name case-insensitive, value exact. */
static bool headers_subset(struct pl a, struct pl b)
{
	struct kv_iter ia = kv_begin(a, '&');
	struct pl n, v, m, w;

	while (kv_next(&ia, &n, &v)) {
		struct kv_iter ib = kv_begin(b, '&');
		bool found = false;

		while (!found && kv_next(&ib, &m, &w)) {
			found = esc_eq(n, true, m, true, true) &&
			        esc_eq(v, true, w, true, false);
		}
		if (!found)
			return false;
	}
	return true;
}

static bool headers_eq(struct pl a, struct pl b)
{
	if (pl_eq(a, b))
		return true;
	if (too_many(a, b, '&'))
		return false;
	return headers_subset(a, b) && headers_subset(b, a);
}

static bool opt_esc_eq(struct pl a, struct pl b)
{
	if (pl_isset(a) != pl_isset(b))
		return false;
	return esc_eq(a, true, b, true, false);
}

static bool host_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	const char *pa = a->host.p, *pb = b->host.p;

	if (a->host_type != b->host_type)
		return false;
	/* IPv4 is compared as text: "010.0.0.1" may mean octal to some
	 * resolvers, so it is not taken to equal "10.0.0.1". */
	if (a->host_type == SIP_HOST_IPV4)
		return pl_eq(a->host, b->host);
	if (a->host_type == SIP_HOST_IPV6) {
		uint8_t x[16], y[16];

		return parse_ipv6(pa, pl_end(a->host), x) &&
		       parse_ipv6(pb, pl_end(b->host), y) &&
		       memcmp(x, y, sizeof(x)) == 0;
	}
	return pl_casecmp_eq(a->host, b->host);
}

static bool sip_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	return opt_esc_eq(a->user, b->user) &&
	       opt_esc_eq(a->password, b->password) && host_eq(a, b) &&
	       a->has_port == b->has_port && a->port == b->port &&
	       sip_params_eq(a->params, b->params) &&
	       headers_eq(a->headers, b->headers);
}

/* tel: digits compared without visual separators, case-insensitively. */
static bool digits_eq(struct pl a, struct pl b)
{
	const char *pa = a.p, *ea = pl_end(a), *pb = b.p, *eb = pl_end(b);

	for (;;) {
		while (pa < ea && (cls(*pa) & C_VIS))
			pa++;
		while (pb < eb && (cls(*pb) & C_VIS))
			pb++;
		if (pa == ea || pb == eb)
			return pa == ea && pb == eb;
		if (ascii_lower(*pa++) != ascii_lower(*pb++))
			return false;
	}
}

static bool tel_pvalue_eq(struct pl name, struct pl a, struct pl b)
{
	if (pl_isset(a) != pl_isset(b))
		return false;
	if (pl_casecmp_eq(name, PL("ext")) ||
	    (pl_casecmp_eq(name, PL("phone-context")) && a.l && a.p[0] == '+'))
		return digits_eq(a, b);
	return esc_eq(a, true, b, true, true);
}

/* RFC 3966 section 4: same kind of number, same digits, same parameter
 * names (in any order) with equal values. */
static bool tel_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	struct kv_iter it;
	struct pl n, v, x, y;
	bool ga = a->user.l && a->user.p[0] == '+';
	bool gb = b->user.l && b->user.p[0] == '+';

	if (ga != gb || !digits_eq(a->user, b->user))
		return false;
	if (pl_eq(a->params, b->params))
		return true;
	if (too_many(a->params, b->params, ';'))
		return false;
	it = kv_begin(a->params, ';');
	while (kv_next(&it, &n, &v)) {
		if (!find_param(b->params, n, false, &y))
			return false;
		(void)find_param(a->params, n, false, &x);
		if (!tel_pvalue_eq(n, x, y))
			return false;
	}
	it = kv_begin(b->params, ';');
	while (kv_next(&it, &n, &v)) {
		if (!find_param(a->params, n, false, &x))
			return false;
	}
	return true;
}

bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (!a || !b || !a->raw.p || !b->raw.p || a->scheme != b->scheme)
		return false;
	switch (a->scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		return sip_eq(a, b);
	case SIP_URI_TEL:
		return tel_eq(a, b);
	case SIP_URI_OTHER:
		return pl_casecmp_eq(a->scheme_pl, b->scheme_pl) &&
		       pl_eq(a->opaque, b->opaque);
	}
	return false;
}
