/* sip_uri.h: URI parser and comparison (RFC 3261 19.1, RFC 3966 tel, RFC 5118).
 *
 * Pure functions over bytes: a parsed URI is a set of slices into the input,
 * nothing is copied or unescaped in place.
 */
#ifndef TB_SIP_URI_H
#define TB_SIP_URI_H

#include "base/pl.h"

#include <stdbool.h>
#include <stdint.h>

enum sip_uri_scheme {
	SIP_URI_SIP = 0,
	SIP_URI_SIPS,
	SIP_URI_TEL,
	SIP_URI_OTHER, /* any other absoluteURI: parsed as scheme + opaque */
};

enum sip_host_type {
	SIP_HOST_NONE = 0, /* tel: and other schemes */
	SIP_HOST_NAME,
	SIP_HOST_IPV4,
	SIP_HOST_IPV6,
};

struct sip_uri {
	enum sip_uri_scheme scheme;
	struct pl scheme_pl; /* as written, e.g. "SIP", "tel", "soap.beep" */
	/* sip/sips: userinfo user part, still escaped; tel: the number
	 * (global "+..." or local), visual separators kept. */
	struct pl user;
	struct pl password; /* sip/sips only, still escaped; NULL if absent */
	/* sip/sips: hostname, IPv4, or IPv6 *without* the brackets. */
	struct pl host;
	enum sip_host_type host_type;
	uint16_t port; /* 0 when absent */
	bool has_port;
	struct pl params;  /* after the first ';', without it; NULL if none */
	struct pl headers; /* after '?', without it; NULL if none */
	struct pl opaque;  /* SIP_URI_OTHER: everything after "scheme:" */
	struct pl raw;     /* the whole URI */
};

/* Parse an absolute URI from s (no surrounding LWS, no '<' '>').
 * sip:/sips: strictly per RFC 3261 25.1 with RFC 5954's IPv6 fix (so
 * [2001:db8:::1] is rejected), tel: per RFC 3966, anything else as
 * scheme ":" 1*uric-no-slash-or-uric (must be non-empty, no SP/CTL/'<'/'>').
 * Returns 0, or -1 when s is not a valid URI. */
int sip_uri_parse(struct sip_uri *u, struct pl s);

/* hostport = host [ ":" port ] (Via sent-by, received): the whole of s must
 * be one. host as in struct sip_uri (IPv6 without brackets). 0 or -1. */
int sip_hostport_parse(struct pl s, struct pl *host, enum sip_host_type *type,
                       uint16_t *port, bool *has_port);

/* URI equivalence per RFC 3261 19.1.4 for sip/sips (unescape once, never
 * recursively; user/password case-sensitive; host and scheme case-insensitive;
 * user, ttl, method, maddr, transport params must match when present in either;
 * other params compared only when present in both; headers must match as a
 * set). tel: per RFC 3966 5 (visual separators ignored, params compared).
 * Other schemes: case-insensitive scheme, then byte-equal. */
bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b);

/* Look up a URI parameter by name (case-insensitive) in u->params.
 * On a hit: returns true, *value is its value (NULL slice when the param
 * has no '='). */
bool sip_uri_param(const struct sip_uri *u, struct pl name, struct pl *value);

/* Unescape %HH sequences once into out (capacity cap). Returns the length
 * written, or -1 on a malformed escape or when out is too small. Output may
 * contain NUL bytes. */
long sip_unescape(struct pl in, char *out, size_t cap);

#endif
