/* cmd_decode.c: `trunkbridge decode [FILE]`, the parser for people.
 *
 * Reads one message (a whole datagram) from a file or stdin, prints the
 * start line and each header with its decoded value, or the error and the
 * status a server would answer. Exit 0 when valid, 1 when malformed, 2 on
 * a usage or I/O error.
 */
#include "app/cmds.h"
#include "sip/msg/sip_build.h"
#include "sip/msg/sip_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT (1024 * 1024)
#define MAX_HDRS  1024

/* Message bytes may hold anything: print printable ASCII and UTF-8 as is,
 * the rest as \xNN, line breaks (folds) as \r \n. */
static void print_esc(FILE *f, struct pl s)
{
	for (size_t i = 0; i < s.l; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '\r')
			fputs("\\r", f);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\\')
			fputs("\\\\", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void kv(FILE *f, const char *k, struct pl v)
{
	if (!v.p)
		return;
	fprintf(f, " %s=", k);
	print_esc(f, v);
}

static const char *scheme_name(enum sip_uri_scheme s)
{
	switch (s) {
	case SIP_URI_SIP:
		return "sip";
	case SIP_URI_SIPS:
		return "sips";
	case SIP_URI_TEL:
		return "tel";
	case SIP_URI_OTHER:
		break;
	}
	return "other";
}

static void print_uri(FILE *f, const struct sip_uri *u)
{
	fprintf(f, "scheme=%s", scheme_name(u->scheme));
	if (u->scheme == SIP_URI_OTHER) {
		kv(f, "name", u->scheme_pl);
		kv(f, "opaque", u->opaque);
		fputs(" (not routable here: 416)", f);
		return;
	}
	kv(f, u->scheme == SIP_URI_TEL ? "number" : "user", u->user);
	kv(f, "password", u->password);
	if (u->host.p) {
		kv(f,
		   u->host_type == SIP_HOST_IPV6   ? "host(ipv6)"
		   : u->host_type == SIP_HOST_IPV4 ? "host(ipv4)"
		                                   : "host",
		   u->host);
	}
	if (u->has_port)
		fprintf(f, " port=%u", (unsigned)u->port);
	kv(f, "params", u->params);
	kv(f, "headers", u->headers);
}

static void print_addr(FILE *f, const struct sip_addr *a)
{
	if (a->star) {
		fputs("* (all bindings)", f);
		return;
	}
	if (a->display.p) {
		fputs("display=", f);
		print_esc(f, a->display);
		fputc(' ', f);
	}
	print_uri(f, &a->uri);
	kv(f, "tag", a->tag);
	/* the header params, when there is more than the tag */
	if (a->params.p && (!a->tag.p || a->params.l > a->tag.l + 4))
		kv(f, "hparams", a->params);
}

static void indent(FILE *f)
{
	fputs("      -> ", f);
}

static const char *tp_name(enum sip_transport t)
{
	switch (t) {
	case SIP_TP_UDP:
		return "UDP";
	case SIP_TP_TCP:
		return "TCP";
	case SIP_TP_TLS:
		return "TLS";
	case SIP_TP_SCTP:
		return "SCTP";
	case SIP_TP_WS:
		return "WS";
	case SIP_TP_WSS:
		return "WSS";
	case SIP_TP_OTHER:
		break;
	}
	return "other";
}

static void print_via(FILE *f, const struct sip_via *v)
{
	fprintf(f, "transport=%s", tp_name(v->transport));
	kv(f, "host", v->host);
	if (v->has_port)
		fprintf(f, " port=%u", (unsigned)v->port);
	kv(f, "branch", v->branch);
	kv(f, "received", v->received);
	if (v->rport && v->rport_val)
		fprintf(f, " rport=%u", (unsigned)v->rport_val);
	else if (v->rport)
		fputs(" rport", f);
	if (v->branch.p && v->branch.l > 7 &&
	    memcmp(v->branch.p, "z9hG4bK", 7) == 0)
		fputs(" (RFC 3261 branch)", f);
	else
		fputs(" (RFC 2543 matching: no magic cookie)", f);
}

/* One decoded line per list element of a field. */
static void print_typed(FILE *f, const struct sip_msg *m,
                        const struct sip_hdr *h, bool top_via)
{
	struct pl cur = h->value, el;
	bool first_el = true;

	switch ((enum sip_hdr_id)h->id) {
	case SIP_HDR_FROM:
		indent(f);
		print_addr(f, &m->from);
		fputc('\n', f);
		return;
	case SIP_HDR_TO:
		indent(f);
		print_addr(f, &m->to);
		fputc('\n', f);
		return;
	case SIP_HDR_CSEQ:
		indent(f);
		fprintf(f, "number=%lu method=", (unsigned long)m->cseq);
		print_esc(f, m->cseq_method);
		fputc('\n', f);
		return;
	case SIP_HDR_MAX_FORWARDS:
		indent(f);
		fprintf(f, "hops=%d\n", m->max_forwards);
		return;
	case SIP_HDR_CONTENT_LENGTH:
		indent(f);
		fprintf(f, "bytes=%lu\n", (unsigned long)m->content_length);
		return;
	default:
		break;
	}

	while (sip_list_next(&cur, &el)) {
		bool printed = true;
		if (!(sip_hdr_def((enum sip_hdr_id)h->id)->flags &
		      SIP_HF_LIST)) {
			el = h->value;
			cur = PL_NULL;
		}
		switch ((enum sip_hdr_id)h->id) {
		case SIP_HDR_VIA: {
			struct sip_via v;
			indent(f);
			if (sip_via_parse(&v, el) == 0) {
				print_via(f, &v);
				if (top_via && first_el)
					fputs(" [top]", f);
			} else {
				fputs("(malformed)", f);
			}
			break;
		}
		case SIP_HDR_CONTACT:
		case SIP_HDR_ROUTE:
		case SIP_HDR_RECORD_ROUTE:
		case SIP_HDR_PATH:
		case SIP_HDR_REPLY_TO:
		case SIP_HDR_P_ASSERTED_IDENTITY:
		case SIP_HDR_P_PREFERRED_IDENTITY: {
			struct sip_addr a;
			indent(f);
			if (sip_addr_parse(&a, el, h->id == SIP_HDR_CONTACT))
				fputs("(malformed)", f);
			else
				print_addr(f, &a);
			break;
		}
		case SIP_HDR_DIVERSION: {
			struct sip_diversion d;
			indent(f);
			if (sip_diversion_decode(&d, el)) {
				fputs("(malformed)", f);
				break;
			}
			print_addr(f, &d.addr);
			kv(f, "reason", d.reason);
			fprintf(f, " counter=%lu", (unsigned long)d.counter);
			kv(f, "privacy", d.privacy);
			break;
		}
		case SIP_HDR_HISTORY_INFO: {
			struct sip_history_info hi;
			indent(f);
			if (sip_history_info_decode(&hi, el)) {
				fputs("(malformed)", f);
				break;
			}
			fputs("index=", f);
			print_esc(f, hi.index);
			fprintf(f, " depth=%u ", (unsigned)hi.depth);
			print_uri(f, &hi.addr.uri);
			if (hi.cause)
				fprintf(f, " cause=%u", (unsigned)hi.cause);
			kv(f, "rc", hi.rc);
			kv(f, "mp", hi.mp);
			kv(f, "np", hi.np);
			if (hi.privacy)
				fputs(" privacy=history", f);
			break;
		}
		case SIP_HDR_REFER_TO:
		case SIP_HDR_REFERRED_BY: {
			struct sip_refer_to r;
			indent(f);
			if (sip_refer_to_decode(&r, el)) {
				fputs("(malformed)", f);
				break;
			}
			print_addr(f, &r.addr);
			kv(f, "replaces", r.replaces);
			break;
		}
		case SIP_HDR_REPLACES: {
			struct sip_replaces r;
			indent(f);
			if (sip_replaces_decode(&r, el)) {
				fputs("(malformed)", f);
				break;
			}
			kv(f, "call-id", r.call_id);
			kv(f, "to-tag", r.to_tag);
			kv(f, "from-tag", r.from_tag);
			if (r.early_only)
				fputs(" early-only", f);
			break;
		}
		case SIP_HDR_REASON: {
			struct sip_reason r;
			indent(f);
			if (sip_reason_decode(&r, el)) {
				fputs("(malformed)", f);
				break;
			}
			kv(f, "protocol", r.protocol);
			if (r.has_cause)
				fprintf(f, " cause=%lu",
				        (unsigned long)r.cause);
			kv(f, "text", r.text);
			break;
		}
		case SIP_HDR_SESSION_EXPIRES: {
			struct sip_session_expires se;
			indent(f);
			if (sip_session_expires_decode(&se, el)) {
				fputs("(malformed)", f);
				break;
			}
			fprintf(f, "seconds=%lu refresher=%s",
			        (unsigned long)se.delta,
			        se.refresher == SIP_REFRESHER_UAC   ? "uac"
			        : se.refresher == SIP_REFRESHER_UAS ? "uas"
			                                            : "none");
			break;
		}
		case SIP_HDR_RACK: {
			struct sip_rack r;
			indent(f);
			if (sip_rack_decode(&r, el)) {
				fputs("(malformed)", f);
				break;
			}
			fprintf(f, "rseq=%lu cseq=%lu", (unsigned long)r.rseq,
			        (unsigned long)r.cseq);
			kv(f, "method", r.method);
			break;
		}
		case SIP_HDR_RETRY_AFTER:
		case SIP_HDR_MIN_SE:
		case SIP_HDR_RSEQ:
		case SIP_HDR_EXPIRES:
		case SIP_HDR_MIN_EXPIRES: {
			uint32_t v;
			int rc = h->id == SIP_HDR_RETRY_AFTER
			                 ? sip_retry_after_decode(&v, el)
			                 : sip_uint_decode(&v, el);
			indent(f);
			if (rc)
				fputs("(malformed)", f);
			else
				fprintf(f, "value=%lu", (unsigned long)v);
			break;
		}
		default:
			printed = false;
			break;
		}
		if (printed)
			fputc('\n', f);
		first_el = false;
	}
}

static void print_msg(FILE *f, const struct sip_msg *m)
{
	if (m->request) {
		fputs("request ", f);
		print_esc(f, m->method);
		if (m->method_id == SIP_METHOD_OTHER)
			fputs(" (unknown method: a UAS answers 501)", f);
		fputs("\n  Request-URI: ", f);
		print_esc(f, m->ruri_pl);
		fputs("\n      -> ", f);
		print_uri(f, &m->ruri);
		fputc('\n', f);
	} else {
		fprintf(f, "response %u ", (unsigned)m->status);
		print_esc(f, m->reason);
		fputc('\n', f);
	}
	fprintf(f, "%u header fields:\n", (unsigned)m->nhdr);
	bool seen_via = false;
	for (uint16_t i = 0; i < m->nhdr; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		const struct sip_hdr_def *d =
		        sip_hdr_def((enum sip_hdr_id)h->id);
		fputs("  ", f);
		print_esc(f, h->name);
		if (h->id != SIP_HDR_OTHER &&
		    (h->name.l != d->name_len ||
		     memcmp(h->name.p, d->name, d->name_len) != 0))
			fprintf(f, " [%s]", d->name);
		else if (h->id == SIP_HDR_OTHER && sip_hdr_is_x(h->name))
			fputs(" [custom X- header]", f);
		else if (h->id == SIP_HDR_OTHER)
			fputs(" [extension]", f);
		fputs(": ", f);
		print_esc(f, h->value);
		fputc('\n', f);
		print_typed(f, m, h, h->id == SIP_HDR_VIA && !seen_via);
		if (h->id == SIP_HDR_VIA)
			seen_via = true;
	}
	fprintf(f, "body: %zu bytes", m->body.l);
	if (m->content_type.p) {
		fputs(" (", f);
		print_esc(f, m->content_type);
		fputc(')', f);
	}
	fputc('\n', f);
}

/* line and column (1-based) of a byte offset, for the error message */
static void line_col(const char *buf, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void print_error(FILE *f, const char *buf, size_t len,
                        const struct sip_parse_error *err, bool request)
{
	size_t line, col;
	size_t off = err->offset <= len ? err->offset : len;

	line_col(buf, off, &line, &col);
	fprintf(f, "malformed: %s (line %zu, column %zu)\n",
	        err->reason ? err->reason : "unknown error", line, col);
	if (err->status)
		fprintf(f, "a server answers: %u %s\n", (unsigned)err->status,
		        sip_reason_phrase(err->status));
	else if (!request)
		fputs("a server drops it silently (malformed response)\n", f);
	else
		fputs("a server drops it silently\n", f);
}

static int read_all(FILE *in, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_INPUT) {
				free(buf);
				return -2;
			}
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, in);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(in)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* --crlf: turn bare LF line ends (a message pasted from a log) into CRLF,
 * so Content-Length counts match again. */
static char *to_crlf(const char *buf, size_t len, size_t *outlen)
{
	char *o = malloc(len * 2 + 1);
	size_t n = 0;

	if (!o)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			o[n++] = '\r';
		o[n++] = buf[i];
	}
	*outlen = n;
	return o;
}

int cmd_decode(int argc, char **argv)
{
	const char *path = NULL;
	bool crlf = false;
	FILE *in = stdin;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--crlf") == 0)
			crlf = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr,
			        "usage: trunkbridge decode [--crlf] [FILE]\n");
			return 2;
		} else
			path = argv[i];
	}
	if (path && strcmp(path, "-") != 0) {
		in = fopen(path, "rb");
		if (!in) {
			perror(path);
			return 2;
		}
	}
	rc = read_all(in, &buf, &len);
	if (in != stdin)
		fclose(in);
	if (rc) {
		fprintf(stderr, "trunkbridge decode: %s\n",
		        rc == -2 ? "input larger than 1 MiB" : "read error");
		return 2;
	}
	if (crlf) {
		size_t nl;
		char *c = to_crlf(buf, len, &nl);
		free(buf);
		if (!c) {
			fputs("trunkbridge decode: out of memory\n", stderr);
			return 2;
		}
		buf = c;
		len = nl;
	}

	struct sip_hdr *hdrs = calloc(MAX_HDRS, sizeof(*hdrs));
	struct sip_msg m;
	struct sip_parse_error err;
	int exit_code = 0;

	if (!hdrs) {
		free(buf);
		return 2;
	}
	sip_msg_init(&m, hdrs, MAX_HDRS);
	if (sip_msg_parse(&m, buf, len, SIP_PARSE_DATAGRAM, NULL, &err) !=
	    SIP_PARSE_OK) {
		bool looks_request = !(len > 4 && memcmp(buf, "SIP/", 4) == 0);
		print_error(stdout, buf, len, &err, looks_request);
		if (!crlf && len && !memchr(buf, '\r', len))
			puts("note: the input has bare LF line ends; if it was "
			     "copied from a log, try --crlf");
		exit_code = 1;
	} else {
		print_msg(stdout, &m);
		if (m.consumed < len) {
			size_t extra = len - m.consumed;
			while (extra && (buf[len - extra] == '\r' ||
			                 buf[len - extra] == '\n'))
				extra--;
			if (extra)
				printf("note: %zu bytes after Content-Length "
				       "are ignored (RFC 3261 18.3)\n",
				       len - m.consumed);
		}
		if (sip_msg_validate(&m, &err) != 0) {
			print_error(stdout, buf, len, &err, m.request);
			exit_code = 1;
		} else {
			puts("valid");
		}
	}
	free(hdrs);
	free(buf);
	return exit_code;
}
