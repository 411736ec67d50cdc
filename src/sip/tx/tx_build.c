/* tx_build.c: the messages the transaction layer composes itself: the head
 * of a response (100 Trying, the answer to CANCEL, and the TU's own
 * responses), the ACK of a non-2xx final response, and CANCEL. All from
 * the parsed request with the message builder; nothing allocated. */
#include "sip/msg/lex.h"
#include "sip/tx/tx_int.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static void put(struct sip_build *b, const char *p, size_t l)
{
	sip_build_put(b, p, l);
}

static void put_pl(struct sip_build *b, struct pl s)
{
	sip_build_put(b, s.p, s.l);
}

static void put_str(struct sip_build *b, const char *s)
{
	sip_build_put(b, s, strlen(s));
}

/* Bytes from the start line to the empty line, as received. */
static size_t head_len(const struct sip_msg *m)
{
	if (!m->eoh.p || !m->raw.p || m->eoh.p < m->raw.p)
		return m->raw.l;
	return (size_t)(m->eoh.p - m->raw.p);
}

/* ---- the top Via of a response: RFC 3261 18.2.1, RFC 3581 ---- */

struct src_addr {
	unsigned char ip[16];
	size_t iplen;
	uint16_t port;
	char text[INET6_ADDRSTRLEN];
};

static bool src_addr_of(const struct sip_tx_dest *src, struct src_addr *a)
{
	if (!src || !src->addrlen)
		return false;
	if (src->addr.ss_family == AF_INET &&
	    src->addrlen >= (socklen_t)sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;
		memcpy(&sin, &src->addr, sizeof(sin));
		memcpy(a->ip, &sin.sin_addr, 4);
		a->iplen = 4;
		a->port = ntohs(sin.sin_port);
		return inet_ntop(AF_INET, &sin.sin_addr, a->text,
		                 sizeof(a->text)) != NULL;
	}
	if (src->addr.ss_family == AF_INET6 &&
	    src->addrlen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, &src->addr, sizeof(sin6));
		memcpy(a->ip, &sin6.sin6_addr, 16);
		a->iplen = 16;
		a->port = ntohs(sin6.sin6_port);
		return inet_ntop(AF_INET6, &sin6.sin6_addr, a->text,
		                 sizeof(a->text)) != NULL;
	}
	return false;
}

/* Is the Via host literally the source address? */
static bool host_is_src(const struct sip_via *v, const struct src_addr *a)
{
	char tmp[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	int af;

	if (v->host_type == SIP_HOST_IPV4 && a->iplen == 4)
		af = AF_INET;
	else if (v->host_type == SIP_HOST_IPV6 && a->iplen == 16)
		af = AF_INET6;
	else
		return false;
	if (v->host.l >= sizeof(tmp))
		return false;
	memcpy(tmp, v->host.p, v->host.l);
	tmp[v->host.l] = '\0';
	return inet_pton(af, tmp, bin) == 1 &&
	       memcmp(bin, a->ip, a->iplen) == 0;
}

static void put_vias(struct sip_build *b, const struct sip_msg *req,
                     const struct sip_tx_dest *src)
{
	const struct sip_hdr *h0 = sip_msg_hdr(req, SIP_HDR_VIA), *h;
	const struct sip_via *v = &req->via;
	struct src_addr a;
	bool received, fill_rport = false;
	const char *ins = NULL;
	char num[16];

	if (!h0)
		return;
	if (!src_addr_of(src, &a)) {
		for (h = h0; h; h = sip_msg_hdr_next(req, h))
			sip_build_copy(b, h);
		return;
	}
	received = !v->received.p && (v->rport || !host_is_src(v, &a));
	if (v->rport && v->rport_val == 0) {
		struct pl cur = v->params;
		struct sip_param prm;
		while (sip_param_next(&cur, &prm)) {
			if (pl_casecmp_lit(prm.name, "rport") && !prm.value.p) {
				ins = prm.name.p + prm.name.l;
				fill_rport = true;
				break;
			}
		}
	}
	if (!received && !fill_rport) {
		for (h = h0; h; h = sip_msg_hdr_next(req, h))
			sip_build_copy(b, h);
		return;
	}

	put_str(b, "Via: ");
	if (fill_rport) {
		put_pl(b, pl_span(v->value.p, ins));
		snprintf(num, sizeof(num), "=%u", (unsigned)a.port);
		put_str(b, num);
		put_pl(b, pl_span(ins, v->value.p + v->value.l));
	} else {
		put_pl(b, v->value);
	}
	if (received) {
		put_str(b, ";received=");
		put_str(b, a.text);
	}
	put(b, "\r\n", 2);

	/* the rest of the first field, when it held a list */
	struct pl rest =
	        pl_span(v->value.p + v->value.l, h0->value.p + h0->value.l);
	rest = pl_trim(rest);
	if (rest.l && rest.p[0] == ',')
		rest = pl_trim(pl_from(rest, 1));
	if (rest.l) {
		put_str(b, "Via: ");
		put_pl(b, rest);
		put(b, "\r\n", 2);
	}
	for (h = sip_msg_hdr_next(req, h0); h; h = sip_msg_hdr_next(req, h))
		sip_build_copy(b, h);
}

static bool is_token(struct pl s)
{
	if (!s.l)
		return false;
	for (size_t i = 0; i < s.l; i++) {
		if (!cc_is(s.p[i], CC_TOKEN))
			return false;
	}
	return true;
}

static void copy_hdr(struct sip_build *b, const struct sip_msg *m,
                     enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);

	if (h)
		sip_build_copy(b, h);
	else
		b->failed = true;
}

void sip_tx_response_head(struct sip_build *b, const struct sip_msg *req,
                          const struct sip_tx_dest *src, uint16_t status,
                          struct pl reason, struct pl to_tag)
{
	const struct sip_hdr *to;

	if (!req || !req->request) {
		b->failed = true;
		return;
	}
	sip_build_status_line(b, status, reason);
	put_vias(b, req, src);
	copy_hdr(b, req, SIP_HDR_FROM);
	to = sip_msg_hdr(req, SIP_HDR_TO);
	if (to && !req->to.tag.p && to_tag.l) {
		if (!is_token(to_tag)) {
			b->failed = true;
			return;
		}
		put_str(b, "To: ");
		put_pl(b, to->value);
		put_str(b, ";tag=");
		put_pl(b, to_tag);
		put(b, "\r\n", 2);
	} else {
		copy_hdr(b, req, SIP_HDR_TO);
	}
	copy_hdr(b, req, SIP_HDR_CALL_ID);
	copy_hdr(b, req, SIP_HDR_CSEQ);
}

size_t sip_tx_response_bound(const struct sip_msg *req, struct pl to_tag,
                             size_t extra)
{
	/* a subset of the request's fields, each line end possibly grown
	 * from LF to CRLF, plus the status line, ";received=<IPv6>",
	 * ";rport=65535", ";tag=", a split Via list, Content-Length */
	return head_len(req) + req->nhdr + to_tag.l + 256 + extra;
}

/* ---- ACK (17.1.1.3) and CANCEL (9.1) ---- */

static size_t build_in_dialog(char *buf, size_t cap, const struct sip_msg *inv,
                              const char *method, const struct sip_hdr *to,
                              struct pl reason)
{
	struct sip_build b;
	const struct sip_hdr *h;

	if (!inv || !inv->request || inv->method_id != SIP_METHOD_INVITE || !to)
		return 0;
	sip_build_init(&b, buf, cap);
	sip_build_request_line(&b, pl_make(method, strlen(method)),
	                       inv->ruri_pl);
	/* only the top Via, the same value (branch included) */
	sip_build_hdr(&b, SIP_HDR_VIA, inv->via.value);
	sip_build_hdr(&b, SIP_HDR_MAX_FORWARDS, PL("70"));
	for (h = sip_msg_hdr(inv, SIP_HDR_ROUTE); h;
	     h = sip_msg_hdr_next(inv, h))
		sip_build_copy(&b, h);
	copy_hdr(&b, inv, SIP_HDR_FROM);
	sip_build_copy(&b, to);
	copy_hdr(&b, inv, SIP_HDR_CALL_ID);
	sip_build_hdrf(&b, SIP_HDR_CSEQ, "%" PRIu32 " %s", inv->cseq, method);
	if (reason.l)
		sip_build_hdr(&b, SIP_HDR_REASON, reason);
	return sip_build_finish(&b, PL_NULL);
}

size_t sip_tx_build_ack(char *buf, size_t cap, const struct sip_msg *invite,
                        const struct sip_msg *resp)
{
	if (!resp || resp->request)
		return 0;
	return build_in_dialog(buf, cap, invite, "ACK",
	                       sip_msg_hdr(resp, SIP_HDR_TO), PL_NULL);
}

size_t sip_tx_build_cancel(char *buf, size_t cap, const struct sip_msg *invite,
                           struct pl reason)
{
	if (!invite)
		return 0;
	return build_in_dialog(buf, cap, invite, "CANCEL",
	                       sip_msg_hdr(invite, SIP_HDR_TO), reason);
}

size_t sip_tx_request_bound(const struct sip_msg *invite,
                            const struct sip_msg *resp, struct pl reason)
{
	size_t n = head_len(invite) + invite->nhdr + reason.l + 256;
	const struct sip_hdr *to = resp ? sip_msg_hdr(resp, SIP_HDR_TO) : NULL;

	if (to)
		n += to->line.l + 2;
	return n;
}
