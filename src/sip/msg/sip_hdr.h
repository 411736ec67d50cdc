/* sip_hdr.h: the header registry (one row per known header).
 *
 * Header names are matched once, at parse time, by a hash of the lowercased
 * name into a small open-addressed table plus one case-insensitive compare;
 * after that every lookup is by id (an index), never by string.
 *
 * To add a header: add its id below (before SIP_HDR__COUNT) and one row to
 * the table in hdr_table.c (name, compact form, flags). Nothing else.
 */
#ifndef TB_SIP_HDR_H
#define TB_SIP_HDR_H

#include "base/pl.h"

#include <stdint.h>

enum sip_hdr_id {
	SIP_HDR_OTHER = 0, /* not in the table (X- headers, extensions) */
	SIP_HDR_ACCEPT,
	SIP_HDR_ACCEPT_CONTACT,
	SIP_HDR_ACCEPT_ENCODING,
	SIP_HDR_ACCEPT_LANGUAGE,
	SIP_HDR_ALERT_INFO,
	SIP_HDR_ALLOW,
	SIP_HDR_ALLOW_EVENTS,
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_CALL_ID,
	SIP_HDR_CALL_INFO,
	SIP_HDR_CONTACT,
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_CONTENT_ENCODING,
	SIP_HDR_CONTENT_LANGUAGE,
	SIP_HDR_CONTENT_LENGTH,
	SIP_HDR_CONTENT_TYPE,
	SIP_HDR_CSEQ,
	SIP_HDR_DATE,
	SIP_HDR_DIVERSION,
	SIP_HDR_ERROR_INFO,
	SIP_HDR_EVENT,
	SIP_HDR_EXPIRES,
	SIP_HDR_FROM,
	SIP_HDR_HISTORY_INFO,
	SIP_HDR_IDENTITY,
	SIP_HDR_IN_REPLY_TO,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_MIME_VERSION,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_MIN_SE,
	SIP_HDR_ORGANIZATION,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_P_CHARGING_VECTOR,
	SIP_HDR_P_PREFERRED_IDENTITY,
	SIP_HDR_PATH,
	SIP_HDR_PRIORITY,
	SIP_HDR_PRIVACY,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_RACK,
	SIP_HDR_REASON,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_REFER_SUB,
	SIP_HDR_REFER_TO,
	SIP_HDR_REFERRED_BY,
	SIP_HDR_REJECT_CONTACT,
	SIP_HDR_REPLACES,
	SIP_HDR_REPLY_TO,
	SIP_HDR_REQUEST_DISPOSITION,
	SIP_HDR_REQUIRE,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR_ROUTE,
	SIP_HDR_RSEQ,
	SIP_HDR_SERVER,
	SIP_HDR_SESSION_EXPIRES,
	SIP_HDR_SUBJECT,
	SIP_HDR_SUBSCRIPTION_STATE,
	SIP_HDR_SUPPORTED,
	SIP_HDR_TIMESTAMP,
	SIP_HDR_TO,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_USER_AGENT,
	SIP_HDR_USER_TO_USER,
	SIP_HDR_VIA,
	SIP_HDR_WARNING,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_X_MS_SBC,
	SIP_HDR__COUNT
};

/* Row flags. */
enum {
	SIP_HF_SINGLE =
	        1 << 0,        /* at most one instance (duplicates are a 400) */
	SIP_HF_LIST = 1 << 1,  /* comma-separated list: may be split */
	SIP_HF_EAGER = 1 << 2, /* decoded by sip_msg_parse itself */
};

struct sip_hdr_def {
	const char *name; /* canonical spelling, used by the builder */
	uint8_t name_len;
	char compact; /* RFC 3261 7.3.3 compact form, 0 if none */
	uint8_t flags;
};

/* The row for an id (SIP_HDR_OTHER has an empty name). */
const struct sip_hdr_def *sip_hdr_def(enum sip_hdr_id id);

/* Id of a header name as written (full or compact, any case). The name
 * must consist of token characters, as the parser guarantees. */
enum sip_hdr_id sip_hdr_lookup(struct pl name);

/* True for names starting "X-" (any case): custom headers the per-trunk
 * policy decides about. */
static inline int sip_hdr_is_x(struct pl name)
{
	return name.l > 2 && (name.p[0] == 'x' || name.p[0] == 'X') &&
	       name.p[1] == '-';
}

#endif
