/* uas_check.c: a UAS's answers to requests it cannot take. */
#include "b2b/uas_check.h"

#include "sip/msg/sip_decode.h"

#include <stdio.h>
#include <string.h>

static bool tag_supported(struct pl tag)
{
	static const char *const ours[] = {"replaces", "timer", "100rel"};

	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		if (pl_casecmp_lit(tag, ours[i]))
			return true;
	}
	return false;
}

/* Unknown tags of every Require field, comma-separated, into out. */
static size_t unsupported_tags(const struct sip_msg *m, char *out, size_t cap)
{
	struct sip_list_iter it;
	struct pl tag;
	size_t n = 0;

	out[0] = '\0';
	sip_list_iter_init(&it, m, SIP_HDR_REQUIRE);
	while (sip_list_iter_next(&it, &tag) == 1) {
		if (tag.l == 0 || tag_supported(tag))
			continue;
		int w = snprintf(out + n, cap - n, "%s%.*s", n ? ", " : "",
		                 (int)tag.l, tag.p);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	return n;
}

/* media-type without params, case-insensitive compare */
static bool is_sdp(struct pl ct)
{
	ptrdiff_t semi = pl_find(ct, ';');
	if (semi >= 0)
		ct.l = (size_t)semi;
	return pl_casecmp_eq(pl_trim(ct), PL("application/sdp"));
}

/* Does some Accept field allow application/sdp (or a wildcard)? */
static bool accepts_sdp(const struct sip_msg *m)
{
	struct sip_list_iter it;
	struct pl el;

	sip_list_iter_init(&it, m, SIP_HDR_ACCEPT);
	while (sip_list_iter_next(&it, &el) == 1) {
		ptrdiff_t semi = pl_find(el, ';');
		if (semi >= 0)
			el.l = (size_t)semi;
		el = pl_trim(el);
		if (pl_casecmp_eq(el, PL("application/sdp")) ||
		    pl_casecmp_eq(el, PL("application/*")) ||
		    pl_casecmp_eq(el, PL("*/*")))
			return true;
	}
	return false;
}

static bool method_known(enum sip_method m)
{
	switch (m) {
	case SIP_METHOD_INVITE:
	case SIP_METHOD_ACK:
	case SIP_METHOD_BYE:
	case SIP_METHOD_CANCEL:
	case SIP_METHOD_OPTIONS:
	case SIP_METHOD_PRACK:
	case SIP_METHOD_UPDATE:
	case SIP_METHOD_INFO:
	case SIP_METHOD_REFER:
	case SIP_METHOD_NOTIFY:
		return true;
	default:
		return false;
	}
}

void uas_check(const struct sip_msg *req, struct uas_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (req->method_id == SIP_METHOD_ACK ||
	    req->method_id == SIP_METHOD_CANCEL)
		return;
	/* RFC 3261 8.2.2.1 */
	if (req->ruri.scheme == SIP_URI_OTHER) {
		v->status = 416;
		v->why = "Request-URI scheme not sip, sips or tel";
		return;
	}
	/* 8.2.1: a method we do not know is 501; one we know but do not
	 * take (REGISTER, SUBSCRIBE, MESSAGE, PUBLISH: no SBC's) is 405 */
	if (!method_known(req->method_id)) {
		bool unknown = req->method_id == SIP_METHOD_OTHER;
		v->status = unknown ? 501 : 405;
		v->why = unknown ? "method not implemented"
		                 : "method not allowed here";
		v->hdr_name = "Allow";
		snprintf(v->value, sizeof(v->value), "%s",
		         "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, PRACK, "
		         "UPDATE, REFER, NOTIFY");
		return;
	}
	/* 16.3 step 2 for what we relay; OPTIONS is for us (11.1) */
	if (req->max_forwards == 0 && req->method_id != SIP_METHOD_OPTIONS) {
		v->status = 483;
		v->why = "Max-Forwards is 0";
		return;
	}
	/* 8.2.2.3 */
	if (unsupported_tags(req, v->value, sizeof(v->value))) {
		v->status = 420;
		v->hdr_name = "Unsupported";
		v->why = "Require lists an extension we do not support";
		return;
	}
	/* 8.2.3: a body we must understand */
	if (req->body.l && req->content_type.p && !is_sdp(req->content_type) &&
	    (req->method_id == SIP_METHOD_INVITE ||
	     req->method_id == SIP_METHOD_UPDATE ||
	     req->method_id == SIP_METHOD_PRACK)) {
		v->status = 415;
		v->hdr_name = "Accept";
		snprintf(v->value, sizeof(v->value), "application/sdp");
		v->why = "body is not SDP";
		return;
	}
	/* an offer whose answer the sender would not accept (RFC 4475 3.3.15)
	 */
	if (req->method_id == SIP_METHOD_INVITE &&
	    sip_msg_hdr(req, SIP_HDR_ACCEPT) && !accepts_sdp(req)) {
		v->status = 406;
		v->why = "Accept leaves out application/sdp";
		return;
	}
}
