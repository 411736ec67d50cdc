/* lex.h: the lexical pieces of RFC 3261 section 25 over slices.
 *
 * A `struct lex` is a cursor [p, e) into message bytes. Every scanner checks
 * the end pointer; none reads past it. LWS includes folded line breaks
 * (CRLF or a bare LF followed by SP/HT), which stay inside header values.
 */
#ifndef TB_SIP_LEX_H
#define TB_SIP_LEX_H

#include "base/pl.h"

#include <stdbool.h>
#include <stdint.h>

enum {
	CC_TOKEN = 1 << 0, /* token: alphanum -.!%*_+`'~ */
	CC_WORD = 1 << 1,  /* word: token plus ()<>:\"/[]?{} */
	CC_DIGIT = 1 << 2,
	CC_ALPHA = 1 << 3,
	CC_HEX = 1 << 4,
	CC_WSP = 1 << 5,  /* SP HT */
	CC_PVAL = 1 << 6, /* generic-param value when unquoted: token [ ] : */
	CC_CTL = 1 << 7,  /* 0x00-0x1f, 0x7f */
};

extern const uint8_t sip_cc[256];

static inline bool cc_is(char c, uint8_t cls)
{
	return (sip_cc[(unsigned char)c] & cls) != 0;
}

struct lex {
	const char *p;
	const char *e;
};

static inline struct lex lex_of(struct pl s)
{
	return (struct lex){s.p, s.p + s.l};
}

static inline bool lex_eof(const struct lex *x)
{
	return x->p >= x->e;
}

static inline struct pl lex_rest(const struct lex *x)
{
	return pl_span(x->p, x->e);
}

/* Skip LWS (SP, HT, and line folds). Returns true if anything was skipped. */
bool lex_skip_lws_slow(struct lex *x);
static inline bool lex_skip_lws(struct lex *x)
{
	if (x->p >= x->e ||
	    (*x->p != ' ' && *x->p != '\t' && *x->p != '\r' && *x->p != '\n'))
		return false;
	return lex_skip_lws_slow(x);
}

/* SWS c SWS: skip LWS, expect c, skip LWS. On failure nothing moves. */
bool lex_sep(struct lex *x, char c);

/* 1*token chars. */
bool lex_token(struct lex *x, struct pl *out);

/* quoted-string, the slice includes both quotes. Quoted-pairs may escape any
 * byte 0x00-0x09, 0x0b-0x0c, 0x0e-0x7f (RFC 3261); an unterminated string or
 * a bare CR/LF that is not a fold fails. */
bool lex_quoted(struct lex *x, struct pl *out);

/* Generic params: *( SEMI name [ EQUAL value ] ), value a token, a quoted
 * string or a host (IPv6 in brackets, or bare). On success *raw is the span
 * after the first ';' (NULL slice when there are none). Stops before
 * anything that is not ';' (e.g. ',' or the end). Fails on an empty name or
 * a missing value after '='. */
bool lex_params(struct lex *x, struct pl *raw);

/* The same, calling h for each param as it is read (value NULL when the
 * param has no '='); h returning false makes the whole list malformed. */
typedef bool lex_param_h(void *arg, struct pl name, struct pl value);
bool lex_params_each(struct lex *x, struct pl *raw, lex_param_h *h, void *arg);

/* One parameter. */
struct sip_param {
	struct pl name;
	struct pl value; /* NULL slice when the param has no '=' */
};

/* Iterate params validated by lex_params: *cursor starts as that raw slice.
 * Returns false at the end. */
bool sip_param_next(struct pl *cursor, struct sip_param *out);

/* Find a param by name (case-insensitive). value as in sip_param. */
bool sip_param_find(struct pl params, struct pl name, struct pl *value);

/* Split a comma-separated header value: returns the next element, trimmed,
 * honouring quoted strings and <...> (a comma inside either does not split).
 * *cursor starts as the whole value. Returns false at the end. An empty
 * element (",,") is returned as an empty slice: callers decide. */
bool sip_list_next(struct pl *cursor, struct pl *elem);

#endif
