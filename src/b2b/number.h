/* number.h: called/calling numbers between ACS Direct Routing and Genesys.
 *
 * Inside trunkbridge a number is E.164 with '+' ("+14255550100"): that is
 * what ACS wants in the Request-URI and From (interop.md 1.4, with
 * ;user=phone). Toward Genesys the trunk's "Omit + prefix" flags strip the
 * '+' (interop.md 2.4), and the Request-URI carries the trunk's Inbound SIP
 * Termination Identifier by FQDN, TGRP (RFC 4904) or DNIS (interop.md 2.2).
 *
 * Pure functions: nothing is allocated, input is length-counted (struct pl),
 * output goes into caller buffers of explicit capacity and is always
 * NUL-terminated (the capacity must include the NUL; the returned length
 * does not). Every function returns the length written, or
 *   NUMBER_ENOSPC (-1)  the output does not fit in cap,
 *   NUMBER_EINVAL (-2)  the input is not a number / not a valid part
 *                       (a caller answering a request maps this to 484).
 */
#ifndef TB_B2B_NUMBER_H
#define TB_B2B_NUMBER_H

#include "base/pl.h"
#include "sip/msg/sip_uri.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	NUMBER_ENOSPC = -1,
	NUMBER_EINVAL = -2,
};

/* E.164: at most 15 digits after the '+' (ITU-T E.164 6.1). */
#define NUMBER_E164_DIGITS 15
/* A buffer that holds any E.164 number with '+' and the NUL. */
#define NUMBER_E164_BUF (NUMBER_E164_DIGITS + 2)
/* Longest number routing looks at (route.h): a buffer of NUMBER_BUF holds
 * every number that can ever match a route. */
#define NUMBER_MAX 64
#define NUMBER_BUF (NUMBER_MAX + 1)

/* The number in a SIP/SIPS or tel URI, into out.
 *
 * sip/sips: the user part, unescaped once (sip_unescape: "%2B1425..." is
 * "+1425..."). When the URI has ;user=phone, or when the user part before
 * any ';' looks like a telephone number ('+'? then digits and visual
 * separators only, at least one digit), it is taken as a telephone-subscriber:
 * only the part before the first ';' is the number, and the visual
 * separators "-.()" and spaces are removed. Any other user part ("alice",
 * "anonymous") is copied whole, unescaped, and *phone is false.
 * tel: the number with visual separators removed.
 *
 * A local number with a phone-context that is a global number prefix
 * (tel:5550100;phone-context=+1-425, or the same in a user=phone user part)
 * is made global: "+1425" + "5550100" (RFC 3966 5.1.5). A domain
 * phone-context leaves the number local.
 *
 * *global (may be NULL): the result starts with '+'. *phone (may be NULL):
 * the result was read as a telephone number. Other schemes, an empty user
 * and a malformed escape are NUMBER_EINVAL. Letters are not refused here
 * (number_e164 does that). */
long number_from_uri(const struct sip_uri *u, char *out, size_t cap,
                     bool *global, bool *phone);

/* How national and international dialled forms become E.164. */
struct number_plan {
	/* Default country code, digits without '+' ("1", "49"). Unset (NULL
	 * slice): only numbers already global or with the international
	 * prefix are accepted. */
	struct pl country_code;
	/* International call prefix ("00", "011"), or unset. */
	struct pl intl_prefix;
	/* National (trunk) prefix ("0" in DE/UK, "1" in NANP), or unset: a
	 * number that starts with it is country code + the rest. */
	struct pl national_prefix;
	/* Length of a national significant number (10 in NANP), or 0 when it
	 * varies. See number_e164. */
	uint32_t nsn_len;
};

/* Normalise a dialled number (digits with an optional leading '+', no
 * separators: run number_from_uri first) to E.164 with '+'. In order:
 *  1. "+digits"                              -> as is
 *  2. starts with intl_prefix                -> '+' and the rest
 *  3. starts with national_prefix            -> '+' cc and the rest
 *  4. nsn_len set: nsn_len digits            -> '+' cc number
 *                  cc then nsn_len digits    -> '+' number
 *                  any other length          -> NUMBER_EINVAL
 *  5. nsn_len 0:   starts with cc            -> '+' number
 *                  otherwise                 -> '+' cc number
 * ("14255550100", cc "1" -> "+14255550100"; "004915123456", intl "00" ->
 * "+4915123456"). Rules 3-5 need country_code. The result must be 1-15
 * digits not starting with 0; anything that is not a digit (letters, '*',
 * '#', a second '+', separators) is NUMBER_EINVAL. plan may be NULL (only
 * rule 1). */
long number_e164(struct pl num, const struct number_plan *plan, char *out,
                 size_t cap);

/* True when n is "+" then 1-15 digits, the first not 0. */
bool number_is_e164(struct pl n);

/* Genesys "Omit + prefix": n without a leading '+' (a slice of n). */
struct pl number_omit_plus(struct pl n);

/* Request-URI toward ACS Direct Routing for the E.164 number e164:
 *   sip:+14255550100@<server_fqdn>:5061;user=phone;transport=tls
 * server_fqdn is a host name ("sip.pstnhub.microsoft.com"). e164 must pass
 * number_is_e164. */
long number_ruri_acs(struct pl e164, struct pl server_fqdn, char *out,
                     size_t cap);

/* Genesys Inbound SIP Termination Identifier method (interop.md 2.2). */
enum genesys_ident {
	GENESYS_IDENT_FQDN = 0, /* sip:N@<ident>[:port][;transport=] */
	GENESYS_IDENT_TGRP,     /* sip:N;tgrp=<ident>;trunk-context=<ctx>@<host>
	                           [:port][;transport=] (RFC 4904) */
	GENESYS_IDENT_DNIS,     /* sip:N@<host>[:port][;transport=] */
};

struct genesys_ruri {
	enum genesys_ident method;
	/* trunk_sip_termination_uri: the FQDN (method FQDN,
	 * "contoso.byoc.mypurecloud.com") or the trunk group id (TGRP). */
	struct pl ident;
	/* TGRP: trunk-context, a domain ("byoc.mypurecloud.com") or a
	 * global number prefix ("+1"). */
	struct pl trunk_context;
	/* TGRP and DNIS: the region's SIP host the INVITE goes to. */
	struct pl host;
	uint16_t port;       /* 0: no port written */
	struct pl transport; /* "tls", or unset: no transport param */
	/* trunk_outboundIdentity_calledAddress_omitPlusPrefix */
	bool omit_plus;
};

/* Request-URI toward Genesys for the E.164 number e164 (with '+'; the '+'
 * is dropped when g->omit_plus), e.g. for FQDN, port 5061, transport tls:
 *   sip:+13175550100@contoso.byoc.mypurecloud.com:5061;transport=tls
 * Host names, the tgrp id, trunk-context and transport are checked against
 * their grammar (no escaping is done: a value that would need it is
 * NUMBER_EINVAL), and the result is checked with sip_uri_parse. */
long number_ruri_genesys(struct pl e164, const struct genesys_ruri *g,
                         char *out, size_t cap);

#endif
