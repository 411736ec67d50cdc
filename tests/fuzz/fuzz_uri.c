/* fuzz_uri.c: libFuzzer target for the URI parser and comparison.
 *
 * The input (the whole of it) is one URI, copied into an exactly-sized heap
 * buffer. On a successful parse (abort() on a violation):
 *   - every slice of the parsed URI lies inside the input;
 *   - sip_uri_eq(u, u) is true;
 *   - a copy with the scheme and host in the other letter case, and the
 *     hex digits of escapes in user/password in the other case, parses too
 *     and compares equal both ways (RFC 3261 19.1.4: scheme and host are
 *     case-insensitive, user/password are compared after unescaping);
 *   - sip_uri_param finds the parameters the URI carries;
 *   - sip_unescape of user/password succeeds into a buffer of the escaped
 *     length (the parser accepted only well-formed escapes), and into a
 *     small stack buffer it either fits or reports -1.
 */
#include "sip/msg/sip_uri.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile uint32_t g_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_in(struct pl a, const char *base, size_t len)
{
	if (!a.p)
		return;
	if (a.p < base || a.p > base + len || a.l > (size_t)(base + len - a.p))
		abort();
}

static char toggle(char c)
{
	if (c >= 'a' && c <= 'z')
		return (char)(c - ('a' - 'A'));
	if (c >= 'A' && c <= 'Z')
		return (char)(c + ('a' - 'A'));
	return c;
}

static void toggle_pl(char *copy, const char *base, struct pl a)
{
	if (!a.p)
		return;
	for (size_t i = 0; i < a.l; i++) {
		size_t off = (size_t)(a.p - base) + i;
		copy[off] = toggle(copy[off]);
	}
}

/* Toggle the case of the two hex digits after each '%' of a. */
static void toggle_escapes(char *copy, const char *base, struct pl a)
{
	if (!a.p)
		return;
	for (size_t i = 0; i < a.l; i++) {
		if (a.p[i] == '%' && i + 2 < a.l) {
			size_t off = (size_t)(a.p - base) + i;
			copy[off + 1] = toggle(copy[off + 1]);
			copy[off + 2] = toggle(copy[off + 2]);
			i += 2;
		}
	}
}

static void check_unescape(struct pl a, bool must_succeed)
{
	char small[32];
	long n;

	if (!a.p)
		return;
	n = sip_unescape(a, small, sizeof(small));
	if (n > (long)sizeof(small) || n < -1)
		abort();
	if (a.l == 0)
		return;
	char *out = malloc(a.l);
	if (!out)
		abort();
	n = sip_unescape(a, out, a.l);
	if (n < -1 || n > (long)a.l || (must_succeed && n < 0))
		abort();
	if (n > 0)
		g_sink += (unsigned char)out[n - 1];
	free(out);
}

/* Look up the first few parameter names the URI carries. */
static void check_params(const struct sip_uri *u)
{
	static const struct pl names[] = {
	        PL("transport"),     PL("user"), PL("lr"),
	        PL("maddr"),         PL("ttl"),  PL("method"),
	        PL("phone-context"), PL("ext"),
	};
	struct pl v;
	const char *p, *e;
	int count = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (sip_uri_param(u, names[i], &v)) {
			if (v.p)
				g_sink += (uint32_t)v.l;
		}
	}
	if (!u->params.p)
		return;
	/* each plain (unescaped, no '=') name we can see must be found */
	p = u->params.p;
	e = u->params.p + u->params.l;
	while (p < e && count++ < 8) {
		const char *s = p;
		while (p < e && *p != ';' && *p != '=')
			p++;
		struct pl name = pl_span(s, p);
		if (name.l && !memchr(name.p, '%', name.l) &&
		    !sip_uri_param(u, name, &v))
			abort();
		while (p < e && *p != ';')
			p++;
		if (p < e)
			p++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_uri u, w;
	char *buf, *copy;

	if (size > 1u << 16)
		return 0;
	buf = malloc(size);
	if (!buf && size)
		abort();
	if (size)
		memcpy(buf, data, size);
	const char *b = buf ? buf : "";

	if (sip_uri_parse(&u, pl_make(b, size)) != 0) {
		free(buf);
		return 0;
	}
	check_in(u.scheme_pl, b, size);
	check_in(u.user, b, size);
	check_in(u.password, b, size);
	check_in(u.host, b, size);
	check_in(u.params, b, size);
	check_in(u.headers, b, size);
	check_in(u.opaque, b, size);
	if (u.raw.p != b || u.raw.l != size)
		abort();
	if (u.scheme > SIP_URI_OTHER)
		abort();

	if (!sip_uri_eq(&u, &u))
		abort();
	check_params(&u);
	bool sip = u.scheme == SIP_URI_SIP || u.scheme == SIP_URI_SIPS;
	check_unescape(u.user, sip);
	check_unescape(u.password, sip);

	/* the same URI with case changed where case does not matter */
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, b, size);
	toggle_pl(copy, b, u.scheme_pl);
	if (sip) {
		toggle_pl(copy, b, u.host);
		toggle_escapes(copy, b, u.user);
		toggle_escapes(copy, b, u.password);
	}
	if (sip_uri_parse(&w, pl_make(copy, size)) != 0)
		abort();
	if (w.scheme != u.scheme)
		abort();
	if (!sip_uri_eq(&u, &w) || !sip_uri_eq(&w, &u))
		abort();
	free(copy);

	free(buf);
	return 0;
}
