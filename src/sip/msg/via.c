/* via.c: one Via value (RFC 3261 20.42, 25.1; RFC 3581 rport; RFC 5118
 * received with or without brackets). */
#include "sip/msg/lex.h"
#include "sip/msg/sip_msg.h"

#include <arpa/inet.h>
#include <string.h>

static enum sip_transport transport_of(struct pl t)
{
	static const struct {
		const char *name;
		enum sip_transport tp;
	} tab[] = {
	        {"UDP", SIP_TP_UDP},   {"TCP", SIP_TP_TCP}, {"TLS", SIP_TP_TLS},
	        {"SCTP", SIP_TP_SCTP}, {"WS", SIP_TP_WS},   {"WSS", SIP_TP_WSS},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (pl_casecmp_lit(t, tab[i].name))
			return tab[i].tp;
	}
	return SIP_TP_OTHER;
}

/* received = IPv4address / IPv6address (with or without brackets). */
static bool valid_ip(struct pl s)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char out[16];

	if (s.l >= 2 && s.p[0] == '[' && s.p[s.l - 1] == ']') {
		s.p++;
		s.l -= 2;
	}
	if (s.l == 0 || s.l >= sizeof(tmp))
		return false;
	memcpy(tmp, s.p, s.l);
	tmp[s.l] = '\0';
	return inet_pton(AF_INET, tmp, out) == 1 ||
	       inet_pton(AF_INET6, tmp, out) == 1;
}

/* The params transactions need, taken as lex_params reads them. */
static bool via_param(void *arg, struct pl name, struct pl value)
{
	struct sip_via *v = arg;
	uint32_t n;

	switch (name.l) {
	case 6:
		if (!pl_casecmp_eq(name, PL("branch")))
			return true;
		/* the magic cookie alone is no branch (RFC 4475 3.2.1) */
		if (!value.p || value.l == 0 || v->branch.p ||
		    pl_eq(value, PL("z9hG4bK")))
			return false;
		v->branch = value;
		return true;
	case 8:
		if (!pl_casecmp_eq(name, PL("received")))
			return true;
		if (!value.p || !valid_ip(value))
			return false;
		v->received = value;
		if (value.p[0] == '[') {
			v->received.p++;
			v->received.l -= 2;
		}
		return true;
	case 5:
		if (!pl_casecmp_eq(name, PL("rport")))
			return true;
		v->rport = true;
		if (value.p && !pl_u32(value, 65535, &n))
			return false;
		v->rport_val = value.p ? (uint16_t)n : 0;
		return true;
	case 3:
		if (!pl_casecmp_eq(name, PL("ttl")))
			return true;
		return value.p && pl_u32(value, 255, &n);
	default:
		return true;
	}
}

int sip_via_parse(struct sip_via *v, struct pl value)
{
	struct lex x = lex_of(value);
	struct pl name, ver, tp;

	memset(v, 0, sizeof(*v));
	v->value = value;
	lex_skip_lws(&x);
	const char *ps = x.p;
	if (!lex_token(&x, &name) || !lex_sep(&x, '/') ||
	    !lex_token(&x, &ver) || !lex_sep(&x, '/') || !lex_token(&x, &tp))
		return -1;
	v->proto = pl_span(ps, ver.p + ver.l);
	v->transport_pl = tp;
	v->transport = transport_of(tp);
	if (!lex_skip_lws(&x))
		return -1;

	/* sent-by runs to ';' or the end; LWS is allowed around ':' */
	const char *hs = x.p;
	const char *p = x.p;
	if (p < x.e && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(x.e - p));
		if (!rb)
			return -1;
		p = rb + 1;
	}
	while (p < x.e && *p != ';' && *p != ' ' && *p != '\t' && *p != '\r' &&
	       *p != '\n' && *p != ':')
		p++;
	const char *he = p;
	x.p = p;
	if (lex_sep(&x, ':')) {
		const char *q = x.p;
		while (q < x.e && cc_is(*q, CC_DIGIT))
			q++;
		if (q == x.p)
			return -1;
		/* join host and port for the URI grammar (no LWS inside) */
		if (x.p != he + 1)
			return -1;
		he = q;
		x.p = q;
	}
	if (sip_hostport_parse(pl_span(hs, he), &v->host, &v->host_type,
	                       &v->port, &v->has_port) != 0)
		return -1;

	if (!lex_params_each(&x, &v->params, via_param, v))
		return -1;
	lex_skip_lws(&x);
	if (!lex_eof(&x))
		return -1;
	return 0;
}
