/* addr.c: name-addr / addr-spec with header params (RFC 3261 20.10, 25.1):
 * From, To, Contact, Route, Record-Route, Reply-To, P-Asserted-Identity... */
#include "sip/msg/lex.h"
#include "sip/msg/sip_msg.h"

#include <string.h>

/* display-name = *(token LWS) / quoted-string, then SWS "<". On success x
 * is right after '<'. */
static bool parse_display(struct lex *x, struct pl *display)
{
	struct lex y = *x;
	const char *start = y.p, *end = NULL;
	struct pl t;

	if (y.p < y.e && *y.p == '"') {
		if (!lex_quoted(&y, &t))
			return false;
		end = y.p;
	} else {
		while (lex_token(&y, &t)) {
			end = y.p;
			if (!lex_skip_lws(&y))
				break;
		}
	}
	lex_skip_lws(&y);
	if (y.p >= y.e || *y.p != '<')
		return false;
	*display = end ? pl_span(start, end) : PL_NULL;
	y.p++;
	*x = y;
	return true;
}

static bool take_tag(void *arg, struct pl name, struct pl value)
{
	struct sip_addr *a = arg;

	if (name.l != 3 || (name.p[0] | 0x20) != 't' ||
	    (name.p[1] | 0x20) != 'a' || (name.p[2] | 0x20) != 'g')
		return true;
	if (!value.p || value.l == 0 || a->tag.p)
		return false; /* empty or second tag */
	a->tag = value;
	return true;
}

int sip_addr_parse(struct sip_addr *a, struct pl value, bool allow_star)
{
	struct lex x = lex_of(value);

	memset(a, 0, sizeof(*a));
	lex_skip_lws(&x);
	if (allow_star && x.p < x.e && *x.p == '*') {
		struct lex y = {x.p + 1, x.e};
		lex_skip_lws(&y);
		if (lex_eof(&y)) {
			a->star = true;
			return 0;
		}
	}

	struct lex y = x;
	if (parse_display(&y, &a->display)) {
		const char *gt = memchr(y.p, '>', (size_t)(y.e - y.p));
		if (!gt)
			return -1;
		a->uri_pl = pl_span(y.p, gt);
		a->angle = true;
		x.p = gt + 1;
	} else {
		/* addr-spec: the URI ends at ';', LWS or the end. A '?'
		 * (URI headers) or '<'/'>'/'"' needs the name-addr form. */
		const char *p = x.p;
		while (p < x.e && *p != ';' && *p != ' ' && *p != '\t' &&
		       *p != '\r' && *p != '\n') {
			if (*p == '?' || *p == '<' || *p == '>' || *p == '"')
				return -1;
			p++;
		}
		a->uri_pl = pl_span(x.p, p);
		x.p = p;
	}
	if (sip_uri_parse(&a->uri, a->uri_pl) != 0)
		return -1;
	if (!lex_params_each(&x, &a->params, take_tag, a))
		return -1;
	lex_skip_lws(&x);
	if (!lex_eof(&x))
		return -1;
	return 0;
}
