/* sip_decode.h: typed decoders, run on demand over a parsed message's
 * raw header values (slices; nothing copied, nothing allocated).
 *
 * Each decoder takes one list element (split a field with sip_list_next or
 * use the iterators) and returns 0, or -1 when the element is malformed.
 */
#ifndef TB_SIP_DECODE_H
#define TB_SIP_DECODE_H

#include "sip/msg/lex.h"
#include "sip/msg/sip_msg.h"

/* Iterate every element of every field with one id, in message order
 * (Contact, Route, Record-Route, Diversion, History-Info, PAI...). */
struct sip_list_iter {
	const struct sip_msg *m;
	const struct sip_hdr *h; /* current field, NULL at the end */
	struct pl cur;           /* the rest of its value */
};
void sip_list_iter_init(struct sip_list_iter *it, const struct sip_msg *m,
                        enum sip_hdr_id id);
/* 1 with *elem set, 0 at the end. An empty element (",,") is returned
 * as an empty slice. */
int sip_list_iter_next(struct sip_list_iter *it, struct pl *elem);

/* Next name-addr/addr-spec of a list header. 1, 0 at the end, -1 when
 * malformed. Contact may be "*" (a->star) when it is the only value. */
int sip_addr_iter_next(struct sip_list_iter *it, struct sip_addr *a);

/* Diversion (RFC 5806): name-addr *( SEMI diversion-params ) */
struct sip_diversion {
	struct sip_addr addr;
	struct pl reason;  /* unconditional, user-busy, no-answer, ... */
	struct pl privacy; /* full, session, off */
	struct pl screen;  /* yes, no */
	uint32_t counter;  /* 1 when absent (RFC 5806) */
	bool has_counter;
	uint32_t limit;
	bool has_limit;
};
int sip_diversion_decode(struct sip_diversion *d, struct pl elem);

/* History-Info (RFC 7044): hi-targeted-to-uri *( SEMI hi-param ).
 * The URI may carry an escaped Reason (and Privacy) header in its headers
 * component: "?Reason=SIP%3Bcause%3D302". */
#define SIP_HI_MAX_DEPTH 16
struct sip_history_info {
	struct sip_addr addr;
	struct pl index; /* "1.1.2" as written (required) */
	uint16_t level[SIP_HI_MAX_DEPTH];
	uint8_t depth; /* number of levels in index */
	struct pl rc;  /* ;rc= parent index, NULL if absent */
	struct pl mp;  /* ;mp= */
	struct pl np;  /* ;np= */
	struct pl
	        reason; /* escaped Reason value from the URI headers, or NULL */
	uint16_t cause; /* cause= of that Reason when it is SIP, else 0 */
	bool privacy;   /* ?Privacy=history in the URI headers */
};
int sip_history_info_decode(struct sip_history_info *hi, struct pl elem);
/* A History-Info index-val ("1.1.2"): each number 1..65535, at most
 * SIP_HI_MAX_DEPTH levels, into level[] and *depth. */
bool sip_hi_index_parse(struct pl v, uint16_t *level, uint8_t *depth);

/* Refer-To (RFC 3515) / Referred-By (RFC 3892): one address whose URI may
 * carry embedded headers (Refer-To: <sip:b@x?Replaces=...>). */
struct sip_refer_to {
	struct sip_addr addr;
	struct pl replaces; /* escaped value of an embedded Replaces, or NULL */
};
int sip_refer_to_decode(struct sip_refer_to *r, struct pl value);

/* Replaces (RFC 3891): callid *( SEMI replaces-param ) */
struct sip_replaces {
	struct pl call_id;
	struct pl to_tag;
	struct pl from_tag;
	bool early_only;
};
int sip_replaces_decode(struct sip_replaces *r, struct pl value);

/* Reason (RFC 3326): protocol *( SEMI reason-params ) */
struct sip_reason {
	struct pl protocol; /* SIP, Q.850, ... */
	uint32_t cause;
	bool has_cause;
	struct pl text; /* quoted-string contents without the quotes, raw */
	struct pl params;
};
int sip_reason_decode(struct sip_reason *r, struct pl elem);

/* Session-Expires (RFC 4028): delta-seconds *( SEMI se-params ) */
enum sip_refresher {
	SIP_REFRESHER_NONE = 0,
	SIP_REFRESHER_UAC,
	SIP_REFRESHER_UAS
};
struct sip_session_expires {
	uint32_t delta;
	enum sip_refresher refresher;
};
int sip_session_expires_decode(struct sip_session_expires *se, struct pl v);

/* RAck (RFC 3262): response-num LWS CSeq-num LWS Method */
struct sip_rack {
	uint32_t rseq;
	uint32_t cseq;
	struct pl method;
};
int sip_rack_decode(struct sip_rack *r, struct pl v);

/* Retry-After: delta-seconds [ comment ] *( SEMI retry-param ) */
int sip_retry_after_decode(uint32_t *seconds, struct pl v);

/* delta-seconds / Min-SE / RSeq / Expires / Min-Expires (0..2^32-1). */
int sip_uint_decode(uint32_t *out, struct pl v);

/* Option-tag lists (Supported, Require, Proxy-Require, Unsupported) and
 * Allow: every element a token. */
int sip_token_list_validate(struct pl value);
/* Is tag in any field of id (case-insensitive token compare)? */
bool sip_msg_has_tag(const struct sip_msg *m, enum sip_hdr_id id,
                     struct pl tag);

/* Decode every header field that has a typed decoder, as a UAS does before
 * acting on a request. The first malformed one sets err (400 for a
 * request, 0 for a response) and returns -1. */
int sip_msg_validate(const struct sip_msg *m, struct sip_parse_error *err);

#endif
