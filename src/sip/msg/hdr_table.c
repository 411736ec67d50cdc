/* hdr_table.c: the header registry and name -> id lookup.
 * The hash slots in hdr_hash.inc are generated from the HDR() rows below by
 * scripts/gen_hdr_hash.py. */
#include "sip/msg/sip_hdr.h"

#include <stdbool.h>
#include <string.h>

#define S SIP_HF_SINGLE
#define L SIP_HF_LIST
#define E SIP_HF_EAGER
#define HDR(id, name, compact, flags)                                          \
	[id] = {name, sizeof(name) - 1, compact, flags}

static const struct sip_hdr_def defs[SIP_HDR__COUNT] = {
        [SIP_HDR_OTHER] = {"", 0, 0, 0},
        HDR(SIP_HDR_ACCEPT, "Accept", 0, L),
        HDR(SIP_HDR_ACCEPT_CONTACT, "Accept-Contact", 'a', L),
        HDR(SIP_HDR_ACCEPT_ENCODING, "Accept-Encoding", 0, L),
        HDR(SIP_HDR_ACCEPT_LANGUAGE, "Accept-Language", 0, L),
        HDR(SIP_HDR_ALERT_INFO, "Alert-Info", 0, L),
        HDR(SIP_HDR_ALLOW, "Allow", 0, L),
        HDR(SIP_HDR_ALLOW_EVENTS, "Allow-Events", 'u', L),
        HDR(SIP_HDR_AUTHENTICATION_INFO, "Authentication-Info", 0, 0),
        HDR(SIP_HDR_AUTHORIZATION, "Authorization", 0, 0),
        HDR(SIP_HDR_CALL_ID, "Call-ID", 'i', S | E),
        HDR(SIP_HDR_CALL_INFO, "Call-Info", 0, L),
        HDR(SIP_HDR_CONTACT, "Contact", 'm', L),
        HDR(SIP_HDR_CONTENT_DISPOSITION, "Content-Disposition", 0, S),
        HDR(SIP_HDR_CONTENT_ENCODING, "Content-Encoding", 'e', L),
        HDR(SIP_HDR_CONTENT_LANGUAGE, "Content-Language", 0, L),
        HDR(SIP_HDR_CONTENT_LENGTH, "Content-Length", 'l', S | E),
        HDR(SIP_HDR_CONTENT_TYPE, "Content-Type", 'c', S | E),
        HDR(SIP_HDR_CSEQ, "CSeq", 0, S | E),
        HDR(SIP_HDR_DATE, "Date", 0, S),
        HDR(SIP_HDR_DIVERSION, "Diversion", 0, L),
        HDR(SIP_HDR_ERROR_INFO, "Error-Info", 0, L),
        HDR(SIP_HDR_EVENT, "Event", 'o', S),
        HDR(SIP_HDR_EXPIRES, "Expires", 0, S),
        HDR(SIP_HDR_FROM, "From", 'f', S | E),
        HDR(SIP_HDR_HISTORY_INFO, "History-Info", 0, L),
        HDR(SIP_HDR_IDENTITY, "Identity", 'y', 0),
        HDR(SIP_HDR_IN_REPLY_TO, "In-Reply-To", 0, L),
        HDR(SIP_HDR_MAX_FORWARDS, "Max-Forwards", 0, S | E),
        HDR(SIP_HDR_MIME_VERSION, "MIME-Version", 0, S),
        HDR(SIP_HDR_MIN_EXPIRES, "Min-Expires", 0, S),
        HDR(SIP_HDR_MIN_SE, "Min-SE", 0, S),
        HDR(SIP_HDR_ORGANIZATION, "Organization", 0, S),
        HDR(SIP_HDR_P_ASSERTED_IDENTITY, "P-Asserted-Identity", 0, L),
        HDR(SIP_HDR_P_CHARGING_VECTOR, "P-Charging-Vector", 0, S),
        HDR(SIP_HDR_P_PREFERRED_IDENTITY, "P-Preferred-Identity", 0, L),
        HDR(SIP_HDR_PATH, "Path", 0, L),
        HDR(SIP_HDR_PRIORITY, "Priority", 0, S),
        HDR(SIP_HDR_PRIVACY, "Privacy", 0, 0),
        HDR(SIP_HDR_PROXY_AUTHENTICATE, "Proxy-Authenticate", 0, 0),
        HDR(SIP_HDR_PROXY_AUTHORIZATION, "Proxy-Authorization", 0, 0),
        HDR(SIP_HDR_PROXY_REQUIRE, "Proxy-Require", 0, L),
        HDR(SIP_HDR_RACK, "RAck", 0, S),
        HDR(SIP_HDR_REASON, "Reason", 0, L),
        HDR(SIP_HDR_RECORD_ROUTE, "Record-Route", 0, L),
        HDR(SIP_HDR_REFER_SUB, "Refer-Sub", 0, S),
        HDR(SIP_HDR_REFER_TO, "Refer-To", 'r', S),
        HDR(SIP_HDR_REFERRED_BY, "Referred-By", 'b', S),
        HDR(SIP_HDR_REJECT_CONTACT, "Reject-Contact", 'j', L),
        HDR(SIP_HDR_REPLACES, "Replaces", 0, S),
        HDR(SIP_HDR_REPLY_TO, "Reply-To", 0, S),
        HDR(SIP_HDR_REQUEST_DISPOSITION, "Request-Disposition", 'd', L),
        HDR(SIP_HDR_REQUIRE, "Require", 0, L),
        HDR(SIP_HDR_RETRY_AFTER, "Retry-After", 0, S),
        HDR(SIP_HDR_ROUTE, "Route", 0, L),
        HDR(SIP_HDR_RSEQ, "RSeq", 0, S),
        HDR(SIP_HDR_SERVER, "Server", 0, S),
        HDR(SIP_HDR_SESSION_EXPIRES, "Session-Expires", 'x', S),
        HDR(SIP_HDR_SUBJECT, "Subject", 's', S),
        HDR(SIP_HDR_SUBSCRIPTION_STATE, "Subscription-State", 0, S),
        HDR(SIP_HDR_SUPPORTED, "Supported", 'k', L),
        HDR(SIP_HDR_TIMESTAMP, "Timestamp", 0, S),
        HDR(SIP_HDR_TO, "To", 't', S | E),
        HDR(SIP_HDR_UNSUPPORTED, "Unsupported", 0, L),
        HDR(SIP_HDR_USER_AGENT, "User-Agent", 0, S),
        HDR(SIP_HDR_USER_TO_USER, "User-to-User", 0, L),
        HDR(SIP_HDR_VIA, "Via", 'v', L | E),
        HDR(SIP_HDR_WARNING, "Warning", 0, L),
        HDR(SIP_HDR_WWW_AUTHENTICATE, "WWW-Authenticate", 0, 0),
        HDR(SIP_HDR_X_MS_SBC, "X-MS-SBC", 0, S),
};

#include "sip/msg/hdr_hash.inc"

/* Compact forms, by letter. */
static const uint8_t compact_by_letter[26] = {
        ['a' - 'a'] = SIP_HDR_ACCEPT_CONTACT,
        ['b' - 'a'] = SIP_HDR_REFERRED_BY,
        ['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
        ['d' - 'a'] = SIP_HDR_REQUEST_DISPOSITION,
        ['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
        ['f' - 'a'] = SIP_HDR_FROM,
        ['i' - 'a'] = SIP_HDR_CALL_ID,
        ['j' - 'a'] = SIP_HDR_REJECT_CONTACT,
        ['k' - 'a'] = SIP_HDR_SUPPORTED,
        ['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
        ['m' - 'a'] = SIP_HDR_CONTACT,
        ['o' - 'a'] = SIP_HDR_EVENT,
        ['r' - 'a'] = SIP_HDR_REFER_TO,
        ['s' - 'a'] = SIP_HDR_SUBJECT,
        ['t' - 'a'] = SIP_HDR_TO,
        ['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
        ['v' - 'a'] = SIP_HDR_VIA,
        ['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
        ['y' - 'a'] = SIP_HDR_IDENTITY,
};

const struct sip_hdr_def *sip_hdr_def(enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR__COUNT)
		id = SIP_HDR_OTHER;
	return &defs[id];
}

static uint64_t load8(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v | 0x2020202020202020ull;
}

static uint32_t load4(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v | 0x20202020u;
}

/* Case-insensitive equality of two token strings of length n >= 2, with
 * word loads (the last load overlaps the previous one). */
static bool caseeq(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		size_t i = 0;
		for (; i + 8 <= n; i += 8) {
			if (load8(a + i) != load8(b + i))
				return false;
		}
		return i == n || load8(a + n - 8) == load8(b + n - 8);
	}
	if (n >= 4)
		return load4(a) == load4(b) &&
		       load4(a + n - 4) == load4(b + n - 4);
	for (size_t i = 0; i < n; i++) {
		if ((a[i] | 0x20) != (b[i] | 0x20))
			return false;
	}
	return true;
}

enum sip_hdr_id sip_hdr_lookup(struct pl name)
{
	const struct sip_hdr_def *d;
	unsigned h;
	uint8_t id;

	if (name.l == 0)
		return SIP_HDR_OTHER;
	if (name.l == 1) {
		unsigned c = (unsigned char)ascii_lower(name.p[0]);
		return (c >= 'a' && c <= 'z') ? compact_by_letter[c - 'a']
		                              : SIP_HDR_OTHER;
	}
	if (name.l > 255)
		return SIP_HDR_OTHER;
	/* For token characters, OR 0x20 folds case and nothing else that
	 * matters (no two token chars differ only in bit 5 but letters). */
	h = ((unsigned)name.l * HDR_HASH_A +
	     (unsigned char)(name.p[0] | 0x20) * HDR_HASH_B +
	     (unsigned char)(name.p[name.l - 1] | 0x20) * HDR_HASH_C +
	     (unsigned char)(name.p[name.l / 2] | 0x20)) &
	    (HDR_HASH_SIZE - 1);
	id = hdr_hash_slot[h];
	if (id == SIP_HDR_OTHER)
		return SIP_HDR_OTHER;
	d = &defs[id];
	if (d->name_len != name.l || !caseeq(name.p, d->name, name.l))
		return SIP_HDR_OTHER;
	return (enum sip_hdr_id)id;
}
