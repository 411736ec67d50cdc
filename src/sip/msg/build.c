/* build.c: the message builder. */
#include "sip/msg/sip_build.h"

#include <stdio.h>
#include <string.h>

void sip_build_init(struct sip_build *b, char *buf, size_t cap)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->failed = false;
}

void sip_build_put(struct sip_build *b, const char *p, size_t l)
{
	if (b->failed)
		return;
	if (l > b->cap - b->len) {
		b->failed = true;
		return;
	}
	if (l)
		memcpy(b->buf + b->len, p, l);
	b->len += l;
}

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

/* A CR or LF is only allowed as part of a fold (CRLF followed by SP/HT). */
static bool safe_value(struct pl v)
{
	for (size_t i = 0; i < v.l; i++) {
		if (v.p[i] == '\r') {
			if (i + 2 >= v.l || v.p[i + 1] != '\n' ||
			    (v.p[i + 2] != ' ' && v.p[i + 2] != '\t'))
				return false;
			i++;
		} else if (v.p[i] == '\n') {
			return false;
		}
	}
	return true;
}

void sip_build_request_line(struct sip_build *b, struct pl method,
                            struct pl ruri)
{
	if (!safe_value(method) || !safe_value(ruri) ||
	    pl_find(ruri, ' ') >= 0 || pl_find(method, ' ') >= 0) {
		b->failed = true;
		return;
	}
	put_pl(b, method);
	put(b, " ", 1);
	put_pl(b, ruri);
	put_str(b, " SIP/2.0\r\n");
}

void sip_build_status_line(struct sip_build *b, uint16_t code, struct pl reason)
{
	char num[8];

	if (code < 100 || code > 699 || !safe_value(reason)) {
		b->failed = true;
		return;
	}
	snprintf(num, sizeof(num), "%03u ", (unsigned)code);
	put_str(b, "SIP/2.0 ");
	put_str(b, num);
	if (reason.l)
		put_pl(b, reason);
	else
		put_str(b, sip_reason_phrase(code));
	put(b, "\r\n", 2);
}

void sip_build_hdr_name(struct sip_build *b, struct pl name, struct pl value)
{
	if (name.l == 0 || !safe_value(value)) {
		b->failed = true;
		return;
	}
	for (size_t i = 0; i < name.l; i++) {
		char c = name.p[i];
		if (c == ':' || c == ' ' || c == '\t' || c == '\r' ||
		    c == '\n') {
			b->failed = true;
			return;
		}
	}
	put_pl(b, name);
	put(b, ": ", 2);
	put_pl(b, value);
	put(b, "\r\n", 2);
}

void sip_build_hdr(struct sip_build *b, enum sip_hdr_id id, struct pl value)
{
	const struct sip_hdr_def *d = sip_hdr_def(id);

	if (d->name_len == 0) {
		b->failed = true;
		return;
	}
	sip_build_hdr_name(b, pl_make(d->name, d->name_len), value);
}

void sip_build_hdrf(struct sip_build *b, enum sip_hdr_id id, const char *fmt,
                    ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = true;
		return;
	}
	sip_build_hdr(b, id, pl_make(tmp, (size_t)n));
}

void sip_build_copy(struct sip_build *b, const struct sip_hdr *h)
{
	struct pl line = h->line;

	/* the received line end may be a bare LF: always send CRLF */
	while (line.l &&
	       (line.p[line.l - 1] == '\n' || line.p[line.l - 1] == '\r'))
		line.l--;
	put_pl(b, line);
	put(b, "\r\n", 2);
}

size_t sip_build_finish(struct sip_build *b, struct pl body)
{
	char cl[40];

	snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", body.l);
	put_str(b, cl);
	put_pl(b, body);
	return b->failed ? 0 : b->len;
}

const char *sip_reason_phrase(uint16_t code)
{
	static const struct {
		uint16_t code;
		const char *text;
	} tab[] = {
	        {100, "Trying"},
	        {180, "Ringing"},
	        {181, "Call Is Being Forwarded"},
	        {182, "Queued"},
	        {183, "Session Progress"},
	        {199, "Early Dialog Terminated"},
	        {200, "OK"},
	        {202, "Accepted"},
	        {204, "No Notification"},
	        {300, "Multiple Choices"},
	        {301, "Moved Permanently"},
	        {302, "Moved Temporarily"},
	        {305, "Use Proxy"},
	        {380, "Alternative Service"},
	        {400, "Bad Request"},
	        {401, "Unauthorized"},
	        {402, "Payment Required"},
	        {403, "Forbidden"},
	        {404, "Not Found"},
	        {405, "Method Not Allowed"},
	        {406, "Not Acceptable"},
	        {407, "Proxy Authentication Required"},
	        {408, "Request Timeout"},
	        {410, "Gone"},
	        {413, "Request Entity Too Large"},
	        {414, "Request-URI Too Long"},
	        {415, "Unsupported Media Type"},
	        {416, "Unsupported URI Scheme"},
	        {420, "Bad Extension"},
	        {421, "Extension Required"},
	        {422, "Session Interval Too Small"},
	        {423, "Interval Too Brief"},
	        {480, "Temporarily Unavailable"},
	        {481, "Call/Transaction Does Not Exist"},
	        {482, "Loop Detected"},
	        {483, "Too Many Hops"},
	        {484, "Address Incomplete"},
	        {485, "Ambiguous"},
	        {486, "Busy Here"},
	        {487, "Request Terminated"},
	        {488, "Not Acceptable Here"},
	        {489, "Bad Event"},
	        {491, "Request Pending"},
	        {493, "Undecipherable"},
	        {500, "Server Internal Error"},
	        {501, "Not Implemented"},
	        {502, "Bad Gateway"},
	        {503, "Service Unavailable"},
	        {504, "Server Time-out"},
	        {505, "Version Not Supported"},
	        {513, "Message Too Large"},
	        {580, "Precondition Failure"},
	        {600, "Busy Everywhere"},
	        {603, "Decline"},
	        {604, "Does Not Exist Anywhere"},
	        {606, "Not Acceptable"},
	        {607, "Unwanted"},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (tab[i].code == code)
			return tab[i].text;
	}
	return "";
}
