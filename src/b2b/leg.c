/* leg.c: the messages of one leg (one dialog) of a call: in-dialog
 * requests and ACKs built from the leg's state, the headers that cross
 * from the other leg (the trunk's policy), and sending over the leg's
 * connection or to its next hop. */
#include "b2b/b2b_int.h"
#include "base/log.h"
#include "trunk/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *b2b_strdup_pl(struct pl p)
{
	char *s = malloc(p.l + 1);

	if (!s)
		return NULL;
	if (p.l)
		memcpy(s, p.p, p.l);
	s[p.l] = '\0';
	return s;
}

char *b2b_strdup(const char *s)
{
	return s ? b2b_strdup_pl(pl_make(s, strlen(s))) : NULL;
}

int b2b_reparse(const char *buf, size_t len, struct sip_msg *m,
                struct sip_hdr *hdrs, uint16_t cap)
{
	struct sip_limits lim = SIP_LIMITS_DEFAULT;

	lim.max_msg_size = (uint32_t)len + 1;
	lim.max_headers = cap;
	sip_msg_init(m, hdrs, cap);
	return sip_msg_parse(m, buf, len, SIP_PARSE_DATAGRAM, &lim, NULL) ==
	                       SIP_PARSE_OK
	               ? 0
	               : -1;
}

bool b2b_pass(const struct cfg_trunk *t, struct pl name)
{
	for (size_t i = 0; i < t->n_pass_headers; i++) {
		const char *p = t->pass_headers[i];
		size_t n = strlen(p);
		if (n && p[n - 1] == '*') {
			if (name.l >= n - 1 &&
			    pl_casecmp_eq(pl_make(name.p, n - 1),
			                  pl_make(p, n - 1)))
				return true;
		} else if (pl_casecmp_eq(name, pl_make(p, n))) {
			return true;
		}
	}
	return false;
}

static bool other_named(const struct sip_hdr *h, const char *lit)
{
	return h->id == SIP_HDR_OTHER && pl_casecmp_lit(h->name, lit);
}

void b2b_copy_headers(struct sip_build *bd, const struct sip_msg *m,
                      const struct cfg_trunk *to, bool response)
{
	bool timer_done = false;

	if (!m)
		return;
	for (uint16_t i = 0; i < m->nhdr; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		switch (h->id) {
		case SIP_HDR_SESSION_EXPIRES:
		case SIP_HDR_MIN_SE:
		case SIP_HDR_REASON:
		case SIP_HDR_EVENT:
		case SIP_HDR_SUBSCRIPTION_STATE:
		case SIP_HDR_CONTENT_DISPOSITION:
			sip_build_copy(bd, h);
			continue;
		case SIP_HDR_RETRY_AFTER:
		case SIP_HDR_UNSUPPORTED:
			if (response)
				sip_build_copy(bd, h);
			continue;
		case SIP_HDR_REQUIRE:
			/* 100rel is per leg (we PRACK ourselves); timer is
			 * end to end */
			if (!timer_done &&
			    sip_msg_has_tag(m, SIP_HDR_REQUIRE, PL("timer"))) {
				sip_build_hdr(bd, SIP_HDR_REQUIRE, PL("timer"));
				timer_done = true;
			}
			continue;
		case SIP_HDR_REPLACES:
			/* never originated toward ACS (interop 1.4) */
			if (to->profile == CFG_PROFILE_ACS)
				continue;
			break;
		case SIP_HDR_OTHER:
			if (other_named(h, "Info-Package") ||
			    other_named(h, "Recv-Info")) {
				sip_build_copy(bd, h);
				continue;
			}
			break;
		default:
			break;
		}
		/* never pass what makes a leg a leg, whatever the policy */
		switch (h->id) {
		case SIP_HDR_VIA:
		case SIP_HDR_FROM:
		case SIP_HDR_TO:
		case SIP_HDR_CALL_ID:
		case SIP_HDR_CSEQ:
		case SIP_HDR_CONTACT:
		case SIP_HDR_ROUTE:
		case SIP_HDR_RECORD_ROUTE:
		case SIP_HDR_CONTENT_LENGTH:
		case SIP_HDR_CONTENT_TYPE:
		case SIP_HDR_MAX_FORWARDS:
		case SIP_HDR_RSEQ:
		case SIP_HDR_RACK:
		case SIP_HDR_X_MS_SBC:
			continue;
		default:
			break;
		}
		if (b2b_pass(to, h->name))
			sip_build_copy(bd, h);
	}
}

void b2b_put_contact(struct sip_build *bd, const struct leg *l)
{
	const struct call *c = l->c;
	const struct b2b *b = c->b;

	/* toward ACS the calling number too (interop 1.4: the FQDN is what
	 * counts; the user part is what Microsoft shows); else no user */
	if (!l->is_a && l->trunk->profile == CFG_PROFILE_ACS &&
	    c->calling[0] == '+')
		sip_build_hdrf(bd, SIP_HDR_CONTACT,
		               "<sip:%s@%s:%u;transport=%s>", c->calling,
		               c->cfg->identity.fqdn, (unsigned)b->env.port,
		               b->env.transport);
	else
		sip_build_hdrf(bd, SIP_HDR_CONTACT, "<sip:%s:%u;transport=%s>",
		               c->cfg->identity.fqdn, (unsigned)b->env.port,
		               b->env.transport);
}

static bool is_sdp(struct pl ct);

static const char *tp_upper(enum sip_transport t)
{
	switch (t) {
	case SIP_TP_TLS:
		return "TLS";
	case SIP_TP_TCP:
		return "TCP";
	default:
		return "UDP";
	}
}

static void put_head(struct b2b *b, struct sip_build *bd, struct leg *l,
                     struct pl method, struct pl ruri, uint32_t cseq)
{
	char br[48];
	const struct tb_config *cfg = l->c->cfg;

	b2b_unique(b, br, sizeof(br));
	sip_build_request_line(bd, method, ruri);
	sip_build_hdrf(bd, SIP_HDR_VIA, "SIP/2.0/%s %s:%u;branch=z9hG4bK-%s",
	               tp_upper(l->tp), cfg->identity.fqdn,
	               (unsigned)b->env.port, br);
	sip_build_hdr(bd, SIP_HDR_MAX_FORWARDS, PL("70"));
	if (l->routes)
		sip_build_hdr(bd, SIP_HDR_ROUTE,
		              pl_make(l->routes, strlen(l->routes)));
	sip_build_hdrf(bd, SIP_HDR_FROM, "%s;tag=%s", l->local_uri, l->ltag);
	if (l->rtag)
		sip_build_hdrf(bd, SIP_HDR_TO, "%s;tag=%s", l->remote_uri,
		               l->rtag);
	else
		sip_build_hdr(bd, SIP_HDR_TO,
		              pl_make(l->remote_uri, strlen(l->remote_uri)));
	sip_build_hdr(bd, SIP_HDR_CALL_ID,
	              pl_make(l->call_id, strlen(l->call_id)));
	sip_build_hdrf(bd, SIP_HDR_CSEQ, "%u %.*s", (unsigned)cseq,
	               (int)method.l, method.p);
}

size_t b2b_build_request(struct b2b *b, struct leg *l, struct pl method,
                         uint32_t cseq, const struct sip_msg *orig,
                         struct pl extra, struct pl ctype, struct pl body,
                         char *out, size_t cap)
{
	struct sip_build bd;
	enum sip_method mid = sip_method_lookup(method);

	sip_build_init(&bd, out, cap);
	put_head(b, &bd, l, method, pl_make(l->target, strlen(l->target)),
	         cseq);
	if (mid == SIP_METHOD_INVITE || mid == SIP_METHOD_UPDATE ||
	    mid == SIP_METHOD_NOTIFY || mid == SIP_METHOD_SUBSCRIBE) {
		b2b_put_contact(&bd, l);
	}
	if (mid == SIP_METHOD_INVITE || mid == SIP_METHOD_UPDATE) {
		sip_build_hdr(&bd, SIP_HDR_ALLOW, PL(TB_ALLOW));
		sip_build_hdr(&bd, SIP_HDR_SUPPORTED, PL("100rel, timer"));
	}
	if (l->trunk->x_ms_sbc)
		sip_build_hdr(&bd, SIP_HDR_X_MS_SBC, PL(TB_X_MS_SBC));
	if (extra.l)
		sip_build_put(&bd, extra.p, extra.l);
	b2b_copy_headers(&bd, orig, l->trunk, false);
	if (orig && !pl_isset(body)) {
		body = orig->body;
		ctype = orig->content_type;
	}
	if (body.l && is_sdp(ctype))
		body = b2b_sdp_for(l, body,
		                   pl_casecmp_lit(method, "ACK") ||
		                           pl_casecmp_lit(method, "PRACK"));
	if (body.l && pl_isset(ctype))
		sip_build_hdr(&bd, SIP_HDR_CONTENT_TYPE, ctype);
	return sip_build_finish(&bd, body.l ? body : PL_NULL);
}

size_t b2b_build_ack(struct b2b *b, struct leg *l, uint32_t cseq, char *out,
                     size_t cap)
{
	struct sip_build bd;

	sip_build_init(&bd, out, cap);
	put_head(b, &bd, l, PL("ACK"), pl_make(l->target, strlen(l->target)),
	         cseq);
	return sip_build_finish(&bd, PL_NULL);
}

/* ---- sending ---- */

struct psend {
	struct leg *l;
	bool ack;
	sip_tx_resp_h *h;
	void *arg;
	struct sip_tx **slot;
	size_t len;
	char buf[];
};

static int send_now(struct leg *l, const char *buf, size_t len, bool ack,
                    sip_tx_resp_h *h, void *arg, struct sip_tx **slot)
{
	struct b2b *b = l->c->b;
	struct sip_tx_dest d;
	struct tp_addr a;

	memset(&d, 0, sizeof(d));
	memset(&a, 0, sizeof(a));
	a.udp_fd = -1;
	if (l->conn) {
		const struct tp_addr *ca = tp_conn_addr(l->conn);
		d.conn = l->conn;
		d.reliable = true;
		memcpy(&d.addr, &ca->addr, sizeof(d.addr));
		d.addrlen = ca->addrlen;
		a.conn = l->conn;
		a.transport = ca->transport;
	} else {
		memcpy(&d.addr, &l->udp, sizeof(d.addr));
		d.addrlen = l->udp_len;
		memcpy(&a.addr, &l->udp, sizeof(a.addr));
		a.addrlen = l->udp_len;
		a.transport = SIP_TP_UDP;
	}
	if (ack)
		return tp_send(b->env.tp, &a, buf, len);
	struct sip_hdr hdrs[B2B_HDRS];
	struct sip_msg m;
	if (b2b_reparse(buf, len, &m, hdrs, B2B_HDRS) != 0)
		return -1;
	struct sip_tx *tx =
	        sip_tx_client_start(b->env.tx, &d, buf, len, &m, h, arg);
	if (!tx)
		return -1;
	if (slot)
		*slot = tx;
	else
		sip_tx_release(tx);
	return 0;
}

static void ps_done(struct psend *ps, bool ok)
{
	struct leg *l = ps->l;
	struct call *c = l->c;

	if (c->b->closing) {
		/* the layers are going away: nothing is sent */
	} else if (!ok || send_now(l, ps->buf, ps->len, ps->ack, ps->h, ps->arg,
	                           ps->slot) != 0) {
		if (ps->h)
			ps->h(ps->arg, NULL, 503, NULL);
	}
	free(ps);
	b2b_after(c->b);
	b2b_call_unpend(c);
}

static void on_ps_connect(void *arg, struct tp_conn *conn, bool ok,
                          const char *reason)
{
	struct psend *ps = arg;
	struct leg *l = ps->l;

	if (ok && conn) {
		if (l->conn)
			tp_conn_unref(l->conn);
		l->conn = tp_conn_ref(conn);
	} else {
		tb_log("warn", "leg_connect_failed", "call=%s reason=\"%s\"",
		       l->c->id, reason ? reason : "");
	}
	ps_done(ps, ok && conn);
}

static void on_ps_resolve(void *arg, const struct sockaddr *sa, socklen_t salen,
                          const char *reason)
{
	struct psend *ps = arg;
	struct leg *l = ps->l;

	(void)reason;
	if (sa && salen <= sizeof(l->udp)) {
		memcpy(&l->udp, sa, salen);
		l->udp_len = salen;
	}
	ps_done(ps, sa != NULL);
}

/* The URI a request on leg l goes to first: the top route, else the
 * remote target. */
static int next_hop(const struct leg *l, struct sip_uri *u)
{
	struct pl s = pl_make(l->target, strlen(l->target));

	if (l->routes) {
		const char *lt = strchr(l->routes, '<');
		const char *gt = lt ? strchr(lt, '>') : NULL;
		if (lt && gt)
			s = pl_span(lt + 1, gt);
	}
	return sip_uri_parse(u, s);
}

int b2b_leg_send(struct leg *l, const char *buf, size_t len, bool ack,
                 sip_tx_resp_h *h, void *arg, struct sip_tx **slot)
{
	struct b2b *b = l->c->b;
	struct sip_uri u;
	char host[256], err[256];

	if (l->conn && !tp_conn_is_open(l->conn)) {
		tp_conn_unref(l->conn);
		l->conn = NULL;
	}
	if (l->conn || (l->tp == SIP_TP_UDP && l->udp_len))
		return send_now(l, buf, len, ack, h, arg, slot);
	if (next_hop(l, &u) != 0 || u.host.l == 0 || u.host.l >= sizeof(host))
		return -1;
	memcpy(host, u.host.p, u.host.l);
	host[u.host.l] = '\0';
	uint16_t port = u.port ? u.port : (l->tp == SIP_TP_TLS ? 5061 : 5060);
	struct psend *ps = malloc(sizeof(*ps) + len);
	if (!ps)
		return -1;
	ps->l = l;
	ps->ack = ack;
	ps->h = h;
	ps->arg = arg;
	ps->slot = slot;
	ps->len = len;
	memcpy(ps->buf, buf, len);
	struct call *c = l->c;
	c->pending += 2; /* one for the attempt, one guard while here */
	if (l->tp == SIP_TP_UDP) {
		tp_resolve(b->env.tp, host, port, on_ps_resolve, ps);
		c->pending--;
		return 0;
	}
	err[0] = '\0';
	struct tp_conn *conn = tp_connect(b->env.tp, l->tp, host, port,
	                                  l->tp == SIP_TP_TLS ? l->tls : NULL,
	                                  on_ps_connect, ps, err, sizeof(err));
	if (!conn && err[0]) {
		/* could not start: the callback was not called */
		tb_log("warn", "leg_connect_failed", "call=%s reason=\"%s\"",
		       c->id, err);
		free(ps);
		c->pending -= 2;
		return -1;
	}
	c->pending--;
	return 0;
}

void b2b_leg_target(struct leg *l, const struct sip_msg *m, bool rr,
                    bool reverse)
{
	struct sip_list_iter it;
	struct sip_addr a;

	sip_list_iter_init(&it, m, SIP_HDR_CONTACT);
	if (sip_addr_iter_next(&it, &a) == 1 && !a.star && a.uri_pl.l) {
		char *t = b2b_strdup_pl(a.uri_pl);
		if (t) {
			free(l->target);
			l->target = t;
		}
	}
	if (!rr)
		return;
	struct pl v[16];
	size_t n = 0, total = 0;
	sip_list_iter_init(&it, m, SIP_HDR_RECORD_ROUTE);
	while (n < 16 && sip_addr_iter_next(&it, &a) == 1) {
		v[n] = a.uri_pl;
		total += a.uri_pl.l + 4;
		n++;
	}
	free(l->routes);
	l->routes = NULL;
	if (n == 0)
		return;
	char *s = malloc(total + 1);
	if (!s)
		return;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		struct pl u = v[reverse ? n - 1 - i : i];
		if (i) {
			s[o++] = ',';
			s[o++] = ' ';
		}
		s[o++] = '<';
		memcpy(s + o, u.p, u.l);
		o += u.l;
		s[o++] = '>';
	}
	s[o] = '\0';
	l->routes = s;
}

void b2b_leg_clear(struct leg *l)
{
	b2b_media_free(l);
	free(l->sdp);
	free(l->o_pre);
	free(l->o_post);
	l->sdp = l->o_pre = l->o_post = NULL;
	l->sdp_len = 0;
	free(l->call_id);
	free(l->rtag);
	free(l->local_uri);
	free(l->remote_uri);
	free(l->target);
	free(l->routes);
	l->call_id = l->rtag = l->local_uri = l->remote_uri = NULL;
	l->target = l->routes = NULL;
	if (l->conn)
		tp_conn_unref(l->conn);
	l->conn = NULL;
	if (l->tls)
		tls_profile_unref(l->tls);
	l->tls = NULL;
}

struct leg *b2b_leg_new(struct call *c)
{
	struct leg *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->c = c;
	l->lnext = c->legs;
	c->legs = l;
	return l;
}

/* ---- SDP kept per leg, and its origin line ---- */

static bool is_sdp(struct pl ct)
{
	ct = pl_trim(ct);
	return ct.l >= 15 &&
	       pl_casecmp_lit(pl_make(ct.p, 15), "application/sdp");
}

void b2b_leg_save_sdp(struct leg *l, const struct sip_msg *m)
{
	if (!m || !m->body.l || !is_sdp(m->content_type))
		return;
	char *p = malloc(m->body.l);
	if (!p)
		return;
	memcpy(p, m->body.p, m->body.l);
	free(l->sdp);
	l->sdp = p;
	l->sdp_len = m->body.l;
}

/* The o= line of an SDP body: [*start, *end) holds "o=...", end before
 * its CRLF/LF. False when there is none. */
static bool origin_line(struct pl body, size_t *start, size_t *end)
{
	for (size_t i = 0; i + 1 < body.l; i++) {
		if ((i == 0 || body.p[i - 1] == '\n') && body.p[i] == 'o' &&
		    body.p[i + 1] == '=') {
			size_t e = i;
			while (e < body.l && body.p[e] != '\r' &&
			       body.p[e] != '\n')
				e++;
			*start = i;
			*end = e;
			return true;
		}
	}
	return false;
}

/* "o=<user> <sess-id> <version> <rest>": the four parts (SP separated;
 * rest is nettype addrtype address). */
static bool origin_split(struct pl line, struct pl *pre, uint64_t *ver,
                         struct pl *post)
{
	size_t sp[3], n = 0;

	if (line.l < 3)
		return false;
	for (size_t i = 2; i < line.l && n < 3; i++) {
		if (line.p[i] == ' ')
			sp[n++] = i;
	}
	if (n < 3)
		return false;
	*pre = pl_make(line.p + 2, sp[1] - 2);
	*post = pl_make(line.p + sp[2] + 1, line.l - sp[2] - 1);
	return pl_u64(pl_make(line.p + sp[1] + 1, sp[2] - sp[1] - 1),
	              UINT64_MAX / 2, ver) &&
	       pre->l > 0 && post->l > 0;
}

void b2b_leg_continue_origin(struct leg *l, const char *sdp, size_t len)
{
	size_t s, e;
	struct pl pre, post;
	uint64_t ver;

	if (l->o_pre || !sdp || !origin_line(pl_make(sdp, len), &s, &e) ||
	    !origin_split(pl_make(sdp + s, e - s), &pre, &ver, &post))
		return;
	l->o_pre = b2b_strdup_pl(pre);
	l->o_post = b2b_strdup_pl(post);
	l->o_ver = ver;
	if (!l->o_pre || !l->o_post) {
		free(l->o_pre);
		free(l->o_post);
		l->o_pre = l->o_post = NULL;
	}
}

struct pl b2b_sdp_for(struct leg *l, struct pl body, bool answer)
{
	size_t s, e;
	char *out = l->c->b->sdp;

	if (body.l && b2b_media_on(l->c))
		return b2b_media_out(l->c, l, body, answer);
	if (!l->o_pre || !body.l || !origin_line(body, &s, &e))
		return body;
	if (s >= B2B_MSG_MAX)
		return body;
	memcpy(out, body.p, s); /* bytes, not a string: may hold NUL */
	int n = snprintf(out + s, B2B_MSG_MAX - s, "o=%s %llu %s", l->o_pre,
	                 (unsigned long long)(l->o_ver + 1), l->o_post);
	if (n < 0 || s + (size_t)n + (body.l - e) > B2B_MSG_MAX)
		return body;
	memcpy(out + s + (size_t)n, body.p + e, body.l - e);
	l->o_ver++;
	return pl_make(out, s + (size_t)n + body.l - e);
}

/* ---- shared by calls and transfers ---- */

int b2b_leg_uas(struct b2b *b, struct leg *l, const struct tp_addr *src,
                const struct sip_msg *m, int trunk)
{
	char buf[512];

	l->is_a = true;
	l->tp = src->conn ? tp_conn_addr(src->conn)->transport : SIP_TP_UDP;
	if (src->conn) {
		l->conn = tp_conn_ref(src->conn);
	} else {
		memcpy(&l->udp, &src->addr, sizeof(l->udp));
		l->udp_len = src->addrlen;
	}
	if (trunk >= 0 && b->tls[trunk])
		l->tls = tls_profile_ref(b->tls[trunk]);
	b2b_unique(b, l->ltag, sizeof(l->ltag));
	l->call_id = b2b_strdup_pl(m->call_id);
	l->rtag = b2b_strdup_pl(m->from.tag);
	snprintf(buf, sizeof(buf), "<%.*s>", (int)m->to.uri_pl.l,
	         m->to.uri_pl.p);
	l->local_uri = b2b_strdup(buf);
	snprintf(buf, sizeof(buf), "<%.*s>", (int)m->from.uri_pl.l,
	         m->from.uri_pl.p);
	l->remote_uri = b2b_strdup(buf);
	l->target = b2b_strdup_pl(m->ruri_pl);
	b2b_leg_target(l, m, true, false);
	b2b_leg_save_sdp(l, m);
	return l->call_id && l->local_uri && l->remote_uri && l->target ? 0
	                                                                : -1;
}

void b2b_invite_head(struct call *c, struct sip_build *bd, struct leg *l,
                     uint32_t cseq, int max_forwards)
{
	const struct cfg_trunk *t = l->trunk;
	char br[48];

	b2b_unique(c->b, br, sizeof(br));
	sip_build_request_line(bd, PL("INVITE"),
	                       pl_make(l->target, strlen(l->target)));
	sip_build_hdrf(bd, SIP_HDR_VIA, "SIP/2.0/%s %s:%u;branch=z9hG4bK-%s",
	               tp_upper(l->tp), c->cfg->identity.fqdn,
	               (unsigned)c->b->env.port, br);
	sip_build_hdrf(bd, SIP_HDR_MAX_FORWARDS, "%d", max_forwards);
	sip_build_hdrf(bd, SIP_HDR_FROM, "%s;tag=%s", l->local_uri, l->ltag);
	sip_build_hdr(bd, SIP_HDR_TO,
	              pl_make(l->remote_uri, strlen(l->remote_uri)));
	sip_build_hdr(bd, SIP_HDR_CALL_ID,
	              pl_make(l->call_id, strlen(l->call_id)));
	sip_build_hdrf(bd, SIP_HDR_CSEQ, "%u INVITE", (unsigned)cseq);
	b2b_put_contact(bd, l);
	sip_build_hdr(bd, SIP_HDR_ALLOW, PL(TB_ALLOW));
	sip_build_hdr(bd, SIP_HDR_SUPPORTED, PL("100rel, timer"));
	if (t->x_ms_sbc)
		sip_build_hdr(bd, SIP_HDR_X_MS_SBC, PL(TB_X_MS_SBC));
	if (t->termination_header && t->termination_uri)
		sip_build_hdr_name(bd,
		                   pl_make(t->termination_header,
		                           strlen(t->termination_header)),
		                   pl_make(t->termination_uri,
		                           strlen(t->termination_uri)));
	for (size_t i = 0; i < t->n_add_headers; i++)
		sip_build_hdr_name(bd,
		                   pl_make(t->add_headers[i].name,
		                           strlen(t->add_headers[i].name)),
		                   pl_make(t->add_headers[i].value,
		                           strlen(t->add_headers[i].value)));
}

void b2b_invite_answer(struct call *c, struct leg *l, struct sip_tx *tx,
                       const char *inv, size_t inv_len, uint16_t status,
                       struct pl reason, const struct sip_msg *resp,
                       bool reliable, const char *xname, const char *xvalue)
{
	struct sip_hdr hdrs[B2B_HDRS];
	struct sip_msg m;
	struct sip_build bd;
	char *out = c->b->msg;

	if (!tx || !inv || b2b_reparse(inv, inv_len, &m, hdrs, B2B_HDRS) != 0)
		return;
	sip_build_init(&bd, out, B2B_MSG_MAX);
	sip_tx_response_head(&bd, &m, sip_tx_dest(tx), status, reason,
	                     status > 100 ? pl_make(l->ltag, strlen(l->ltag))
	                                  : PL_NULL);
	if (status > 100 && status < 300) {
		b2b_put_contact(&bd, l);
		sip_build_hdr(&bd, SIP_HDR_ALLOW, PL(TB_ALLOW));
		sip_build_hdr(&bd, SIP_HDR_SUPPORTED, PL("100rel, timer"));
	}
	if (reliable) {
		sip_build_hdr(&bd, SIP_HDR_REQUIRE, PL("100rel"));
		sip_build_hdrf(&bd, SIP_HDR_RSEQ, "%u", (unsigned)++l->rseq);
	}
	if (l->trunk->x_ms_sbc)
		sip_build_hdr(&bd, SIP_HDR_X_MS_SBC, PL(TB_X_MS_SBC));
	if (xname)
		sip_build_hdr_name(&bd, pl_make(xname, strlen(xname)),
		                   pl_make(xvalue, strlen(xvalue)));
	b2b_copy_headers(&bd, resp, l->trunk, true);
	struct pl body = resp ? resp->body : PL_NULL;
	if (body.l && pl_isset(resp->content_type)) {
		sip_build_hdr(&bd, SIP_HDR_CONTENT_TYPE, resp->content_type);
		if (is_sdp(resp->content_type))
			body = b2b_sdp_for(l, body, true);
	}
	size_t n = sip_build_finish(&bd, body.l ? body : PL_NULL);
	if (n)
		sip_tx_respond(tx, status, out, n);
	else
		tb_log("error", "build_failed", "call=%s status=%u", c->id,
		       (unsigned)status);
}
