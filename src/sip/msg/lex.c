/* lex.c: character classes and the LWS/token/quoted-string/param scanners. */
#include "sip/msg/lex.h"

#define T  (CC_TOKEN | CC_WORD | CC_PVAL)
#define W  CC_WORD
#define D  (CC_DIGIT | CC_HEX | T)
#define AH (CC_ALPHA | CC_HEX | T)
#define A  (CC_ALPHA | T)
#define C  CC_CTL

const uint8_t sip_cc[256] = {
        /* 0x00-0x1f: controls; HT is also whitespace */
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C | CC_WSP,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        C,
        /* SP ! " # $ % & ' ( ) * + , - . / */
        [' '] = CC_WSP,
        ['!'] = T,
        ['"'] = W,
        ['%'] = T,
        ['\''] = T,
        ['('] = W,
        [')'] = W,
        ['*'] = T,
        ['+'] = T,
        ['-'] = T,
        ['.'] = T,
        ['/'] = W,
        ['0'] = D,
        ['1'] = D,
        ['2'] = D,
        ['3'] = D,
        ['4'] = D,
        ['5'] = D,
        ['6'] = D,
        ['7'] = D,
        ['8'] = D,
        ['9'] = D,
        [':'] = W | CC_PVAL,
        ['<'] = W,
        ['>'] = W,
        ['?'] = W,
        ['A'] = AH,
        ['B'] = AH,
        ['C'] = AH,
        ['D'] = AH,
        ['E'] = AH,
        ['F'] = AH,
        ['G'] = A,
        ['H'] = A,
        ['I'] = A,
        ['J'] = A,
        ['K'] = A,
        ['L'] = A,
        ['M'] = A,
        ['N'] = A,
        ['O'] = A,
        ['P'] = A,
        ['Q'] = A,
        ['R'] = A,
        ['S'] = A,
        ['T'] = A,
        ['U'] = A,
        ['V'] = A,
        ['W'] = A,
        ['X'] = A,
        ['Y'] = A,
        ['Z'] = A,
        ['['] = W | CC_PVAL,
        ['\\'] = W,
        [']'] = W | CC_PVAL,
        ['_'] = T,
        ['`'] = T,
        ['a'] = AH,
        ['b'] = AH,
        ['c'] = AH,
        ['d'] = AH,
        ['e'] = AH,
        ['f'] = AH,
        ['g'] = A,
        ['h'] = A,
        ['i'] = A,
        ['j'] = A,
        ['k'] = A,
        ['l'] = A,
        ['m'] = A,
        ['n'] = A,
        ['o'] = A,
        ['p'] = A,
        ['q'] = A,
        ['r'] = A,
        ['s'] = A,
        ['t'] = A,
        ['u'] = A,
        ['v'] = A,
        ['w'] = A,
        ['x'] = A,
        ['y'] = A,
        ['z'] = A,
        ['{'] = W,
        ['}'] = W,
        ['~'] = T,
        [0x7f] = C,
};

#undef T
#undef W
#undef D
#undef AH
#undef A
#undef C

bool lex_skip_lws_slow(struct lex *x)
{
	const char *start = x->p;
	const char *p = x->p;

	for (;;) {
		while (p < x->e && (*p == ' ' || *p == '\t'))
			p++;
		/* a fold: CRLF or LF, then at least one SP/HT */
		if (p + 2 < x->e && p[0] == '\r' && p[1] == '\n' &&
		    (p[2] == ' ' || p[2] == '\t')) {
			p += 3;
			continue;
		}
		if (p + 1 < x->e && p[0] == '\n' &&
		    (p[1] == ' ' || p[1] == '\t')) {
			p += 2;
			continue;
		}
		break;
	}
	x->p = p;
	return p != start;
}

bool lex_sep(struct lex *x, char c)
{
	struct lex y = *x;

	lex_skip_lws(&y);
	if (y.p >= y.e || *y.p != c)
		return false;
	y.p++;
	lex_skip_lws(&y);
	*x = y;
	return true;
}

bool lex_token(struct lex *x, struct pl *out)
{
	const char *p = x->p;

	while (p < x->e && cc_is(*p, CC_TOKEN))
		p++;
	if (p == x->p)
		return false;
	*out = pl_span(x->p, p);
	x->p = p;
	return true;
}

bool lex_quoted(struct lex *x, struct pl *out)
{
	const char *p = x->p;

	if (p >= x->e || *p != '"')
		return false;
	p++;
	while (p < x->e) {
		char c = *p;
		if (c == '"') {
			*out = pl_span(x->p, p + 1);
			x->p = p + 1;
			return true;
		}
		if (c == '\\') {
			if (p + 1 >= x->e || p[1] == '\r' || p[1] == '\n' ||
			    (unsigned char)p[1] > 0x7f)
				return false;
			p += 2;
			continue;
		}
		if (c == '\r' || c == '\n') {
			struct lex f = {p, x->e};
			if (!lex_skip_lws(&f))
				return false;
			p = f.p;
			continue;
		}
		/* qdtext: any byte but CTLs other than HT (UTF-8 allowed) */
		if (cc_is(c, CC_CTL) && c != '\t')
			return false;
		p++;
	}
	return false;
}

static bool lex_param_value(struct lex *x)
{
	struct pl v;

	if (x->p < x->e && *x->p == '"')
		return lex_quoted(x, &v);
	const char *p = x->p;
	while (p < x->e && cc_is(*p, CC_PVAL))
		p++;
	if (p == x->p)
		return false;
	x->p = p;
	return true;
}

bool lex_params_each(struct lex *x, struct pl *raw, lex_param_h *h, void *arg)
{
	struct lex y = *x;
	const char *start = NULL, *end = NULL;

	while (lex_sep(&y, ';')) {
		struct pl name, value = PL_NULL;
		if (!start)
			start = y.p;
		if (!lex_token(&y, &name))
			return false;
		end = y.p;
		if (lex_sep(&y, '=')) {
			const char *vs = y.p;
			if (!lex_param_value(&y))
				return false;
			end = y.p;
			value = pl_span(vs, end);
		}
		if (h && !h(arg, name, value))
			return false;
		/* back to right after the name/value, leaving trailing LWS */
		y.p = end;
	}
	*raw = start ? pl_span(start, end) : PL_NULL;
	x->p = end ? end : x->p;
	return true;
}

bool lex_params(struct lex *x, struct pl *raw)
{
	return lex_params_each(x, raw, NULL, NULL);
}

bool sip_param_next(struct pl *cursor, struct sip_param *out)
{
	struct lex x;

	if (!cursor->p || cursor->l == 0)
		return false;
	x = lex_of(*cursor);
	lex_skip_lws(&x);
	if (!lex_token(&x, &out->name))
		return false;
	out->value = PL_NULL;
	if (lex_sep(&x, '=')) {
		const char *vs = x.p;
		if (!lex_param_value(&x))
			return false;
		out->value = pl_span(vs, x.p);
	}
	if (!lex_sep(&x, ';')) {
		lex_skip_lws(&x);
		x.p = x.e;
	}
	*cursor = lex_rest(&x);
	if (cursor->l == 0)
		*cursor = pl_make(x.e, 0);
	return true;
}

bool sip_param_find(struct pl params, struct pl name, struct pl *value)
{
	struct sip_param prm;

	while (sip_param_next(&params, &prm)) {
		if (pl_casecmp_eq(prm.name, name)) {
			if (value)
				*value = prm.value;
			return true;
		}
	}
	return false;
}

bool sip_list_next(struct pl *cursor, struct pl *elem)
{
	const char *p = cursor->p, *e = cursor->p + cursor->l;
	const char *start;
	int angle = 0;

	if (!cursor->p)
		return false;
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p >= e) {
		*cursor = PL_NULL;
		return false;
	}
	start = p;
	while (p < e) {
		char c = *p;
		if (c == '"') {
			struct lex q = {p, e};
			struct pl s;
			if (!lex_quoted(&q, &s)) {
				p = e; /* unbalanced: the rest is one element */
				break;
			}
			p = q.p;
			continue;
		}
		if (c == '<')
			angle = 1;
		else if (c == '>')
			angle = 0;
		else if (c == ',' && !angle)
			break;
		p++;
	}
	*elem = pl_trim(pl_span(start, p));
	if (p < e)
		*cursor = pl_span(p + 1, e);
	else
		*cursor = pl_make(e, 0);
	return true;
}
