/* fuzz_msg.c: libFuzzer target for the message parser (sip_msg_parse) and
 * everything run on a parsed message (serialize, validate, iterators,
 * decoders, URI comparison).
 *
 * The input is copied into an exactly-sized heap buffer so AddressSanitizer
 * reports a read of even one byte past the end. Each input is parsed:
 *   - as a datagram and as the front of a stream,
 *   - with the default limits and with small ones (few headers, 512 bytes),
 *   - with a header array smaller than the header limit.
 * Properties checked (abort() on a violation, so libFuzzer keeps the input):
 *   - an OK message re-serializes to exactly m.raw, and m.raw / m.consumed
 *     describe bytes inside the input;
 *   - sip_uri_eq(u, u) is true for sip/sips/tel URIs;
 *   - list iterators make progress (bounded by the bytes they walk);
 *   - stream framing is prefix-consistent: for one k derived from the
 *     input, the first k bytes give INCOMPLETE while k < m.consumed and the
 *     same OK message from there on; a stream that is INCOMPLETE stays so
 *     for every prefix, and a prefix of a MALFORMED stream is never OK;
 *   - a stream message framed by Content-Length parses the same as a
 *     datagram;
 *   - forwarding history (b2b/divert.c): History-Info and Diversion read
 *     without leaving the input; what is written of a chain fits its
 *     buffer and is NUL-terminated.
 */
#include "b2b/divert.h"
#include "sip/msg/sip_decode.h"
#include "sip/msg/sip_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HDR_CAP 128

static struct sip_hdr g_hdr[HDR_CAP];
static struct sip_hdr g_hdr2[HDR_CAP];
static volatile uint32_t g_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink_pl(struct pl a)
{
	g_sink += (uint32_t)a.l;
	if (a.p && a.l)
		g_sink += (unsigned char)a.p[a.l - 1];
}

/* A non-NULL slice returned by a decoder must lie inside [base, base+len]. */
static void check_in(struct pl a, const char *base, size_t len)
{
	if (!a.p)
		return;
	if (a.p < base || a.p > base + len || a.l > (size_t)(base + len - a.p))
		abort();
}

static void check_uri_self(const struct sip_uri *u)
{
	if (!u->raw.p)
		return;
	if (u->scheme == SIP_URI_SIP || u->scheme == SIP_URI_SIPS ||
	    u->scheme == SIP_URI_TEL) {
		if (!sip_uri_eq(u, u))
			abort();
	}
	struct pl v;
	if (sip_uri_param(u, PL("transport"), &v))
		sink_pl(v);
	if (sip_uri_param(u, PL("user"), &v))
		sink_pl(v);
	if (sip_uri_param(u, PL("lr"), &v))
		sink_pl(v);
}

static void check_addr(const struct sip_addr *a, const char *base, size_t len)
{
	check_in(a->display, base, len);
	check_in(a->uri_pl, base, len);
	check_in(a->params, base, len);
	check_in(a->tag, base, len);
	if (!a->star)
		check_uri_self(&a->uri);
	sink_pl(a->tag);
}

static void check_via(const struct sip_via *v, const char *base, size_t len)
{
	check_in(v->proto, base, len);
	check_in(v->transport_pl, base, len);
	check_in(v->host, base, len);
	check_in(v->params, base, len);
	check_in(v->branch, base, len);
	check_in(v->value, base, len);
	sink_pl(v->branch);
	g_sink += v->port + (uint32_t)v->transport;
}

/* Walk every element of every field with id through the address iterator. */
static void walk_addrs(const struct sip_msg *m, enum sip_hdr_id id,
                       const char *buf, size_t len)
{
	struct sip_list_iter it;
	struct sip_addr a;
	size_t guard = m->raw.l + m->nhdr + 2;
	int r;

	sip_list_iter_init(&it, m, id);
	while ((r = sip_addr_iter_next(&it, &a)) == 1) {
		if (guard-- == 0)
			abort(); /* the iterator does not make progress */
		check_addr(&a, buf, len);
	}
	if (r != 0 && r != -1)
		abort();
}

/* Walk the raw elements of a list header and hand each to a callback. */
static void walk_elems(const struct sip_msg *m, enum sip_hdr_id id,
                       const char *buf, size_t len,
                       void (*fn)(struct pl elem, const char *b, size_t l))
{
	struct sip_list_iter it;
	struct pl el;
	size_t guard = m->raw.l + m->nhdr + 2;

	sip_list_iter_init(&it, m, id);
	while (sip_list_iter_next(&it, &el) == 1) {
		if (guard-- == 0)
			abort();
		check_in(el, buf, len);
		fn(el, buf, len);
	}
}

static void do_via(struct pl el, const char *b, size_t l)
{
	struct sip_via v;

	if (sip_via_parse(&v, el) == 0)
		check_via(&v, b, l);
}

static void do_diversion(struct pl el, const char *b, size_t l)
{
	struct sip_diversion d;

	if (sip_diversion_decode(&d, el) == 0) {
		check_addr(&d.addr, b, l);
		g_sink += d.counter;
	}
}

static void do_history(struct pl el, const char *b, size_t l)
{
	struct sip_history_info hi;

	if (sip_history_info_decode(&hi, el) == 0) {
		check_addr(&hi.addr, b, l);
		if (hi.depth > SIP_HI_MAX_DEPTH)
			abort();
		g_sink += hi.depth + hi.cause;
	}
}

static void do_reason(struct pl el, const char *b, size_t l)
{
	struct sip_reason r;

	(void)b;
	(void)l;
	if (sip_reason_decode(&r, el) == 0)
		g_sink += r.cause;
}

static void do_single(const struct sip_msg *m, const char *buf, size_t len)
{
	const struct sip_hdr *h;
	uint32_t u;

	h = sip_msg_hdr(m, SIP_HDR_REFER_TO);
	if (h) {
		struct sip_refer_to rt;
		if (sip_refer_to_decode(&rt, h->value) == 0)
			check_addr(&rt.addr, buf, len);
	}
	h = sip_msg_hdr(m, SIP_HDR_REPLACES);
	if (h) {
		struct sip_replaces rp;
		if (sip_replaces_decode(&rp, h->value) == 0)
			sink_pl(rp.call_id);
	}
	h = sip_msg_hdr(m, SIP_HDR_SESSION_EXPIRES);
	if (h) {
		struct sip_session_expires se;
		if (sip_session_expires_decode(&se, h->value) == 0)
			g_sink += se.delta;
	}
	h = sip_msg_hdr(m, SIP_HDR_RACK);
	if (h) {
		struct sip_rack ra;
		if (sip_rack_decode(&ra, h->value) == 0)
			g_sink += ra.rseq;
	}
	h = sip_msg_hdr(m, SIP_HDR_RETRY_AFTER);
	if (h && sip_retry_after_decode(&u, h->value) == 0)
		g_sink += u;
	h = sip_msg_hdr(m, SIP_HDR_MIN_SE);
	if (h && sip_uint_decode(&u, h->value) == 0)
		g_sink += u;
	h = sip_msg_hdr(m, SIP_HDR_EXPIRES);
	if (h && sip_uint_decode(&u, h->value) == 0)
		g_sink += u;
	for (h = sip_msg_hdr(m, SIP_HDR_SUPPORTED); h;
	     h = sip_msg_hdr_next(m, h))
		g_sink += (uint32_t)sip_token_list_validate(h->value);
	for (h = sip_msg_hdr(m, SIP_HDR_REQUIRE); h; h = sip_msg_hdr_next(m, h))
		g_sink += (uint32_t)sip_token_list_validate(h->value);
	g_sink += sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("timer"));
	g_sink += sip_msg_has_tag(m, SIP_HDR_REQUIRE, PL("100rel"));
}

/* Everything a caller may do with a parsed message. */
/* Forwarding history: read both headers, write both forms. */
static void do_divert(const struct sip_msg *m, const char *buf, size_t len)
{
	static struct divert_chain ch;
	static char out[2048];
	int (*rd[2])(const struct sip_msg *, struct divert_chain *) = {
	        divert_from_history_info, divert_from_diversion};

	for (int i = 0; i < 2; i++) {
		divert_init(&ch);
		int n = rd[i](m, &ch);
		if (n < 0) {
			if (ch.n != 0)
				abort();
			continue;
		}
		if ((size_t)n != ch.n || ch.n > DIVERT_MAX)
			abort();
		for (size_t h = 0; h < ch.n; h++) {
			check_in(ch.hop[h].uri, buf, len);
			check_in(ch.hop[h].user, buf, len);
		}
		size_t w = divert_write_diversion(&ch, PL("sbc1.example.com"),
		                                  out, sizeof(out));
		if (w >= sizeof(out) || (w && out[w] != '\0'))
			abort();
		w = divert_write_history_info(&ch, PL_NULL, out, sizeof(out));
		if (w >= sizeof(out) || (w && out[w] != '\0'))
			abort();
		g_sink += (uint32_t)w;
	}
}

static void exercise(const struct sip_msg *m, const char *buf, size_t len)
{
	struct sip_parse_error err;

	/* the message lies inside the input */
	if (m->consumed > len || !m->raw.p || m->raw.p < buf ||
	    m->raw.p + m->raw.l != buf + m->consumed)
		abort();

	/* serialize gives back the bytes, into an exactly-sized buffer */
	{
		char *out = malloc(m->raw.l ? m->raw.l : 1);
		if (!out)
			abort();
		size_t n = sip_msg_serialize(m, out, m->raw.l);
		if (n != m->raw.l || (n && memcmp(out, m->raw.p, n) != 0))
			abort();
		if (m->raw.l && sip_msg_serialize(m, out, m->raw.l - 1) != 0)
			abort();
		free(out);
	}

	err.status = 0;
	err.reason = NULL;
	err.offset = 0;
	if (sip_msg_validate(m, &err) != 0) {
		if (err.offset > len)
			abort();
		g_sink += err.status;
	}

	if (m->request) {
		check_uri_self(&m->ruri);
		if (!m->ruri.raw.p)
			abort(); /* an OK request has a parsed Request-URI */
	}
	check_addr(&m->from, buf, len);
	check_addr(&m->to, buf, len);
	check_via(&m->via, buf, len);

	do_divert(m, buf, len);
	walk_addrs(m, SIP_HDR_CONTACT, buf, len);
	walk_addrs(m, SIP_HDR_ROUTE, buf, len);
	walk_addrs(m, SIP_HDR_RECORD_ROUTE, buf, len);
	walk_addrs(m, SIP_HDR_P_ASSERTED_IDENTITY, buf, len);
	walk_elems(m, SIP_HDR_VIA, buf, len, do_via);
	walk_elems(m, SIP_HDR_DIVERSION, buf, len, do_diversion);
	walk_elems(m, SIP_HDR_HISTORY_INFO, buf, len, do_history);
	walk_elems(m, SIP_HDR_REASON, buf, len, do_reason);
	do_single(m, buf, len);

	/* the header index covers every field exactly once */
	{
		unsigned n = 0;
		for (unsigned id = 0; id < SIP_HDR__COUNT; id++) {
			const struct sip_hdr *h;
			for (h = sip_msg_hdr(m, (enum sip_hdr_id)id); h;
			     h = sip_msg_hdr_next(m, h)) {
				if (h->id != id || ++n > m->nhdr)
					abort();
			}
		}
		if (n != m->nhdr)
			abort();
	}
}

static enum sip_parse_result parse_one(struct sip_msg *m, struct sip_hdr *hdr,
                                       uint16_t cap, const char *buf,
                                       size_t len, enum sip_parse_mode mode,
                                       const struct sip_limits *lim)
{
	struct sip_parse_error err;
	enum sip_parse_result r;

	sip_msg_init(m, hdr, cap);
	r = sip_msg_parse(m, buf, len, mode, lim, &err);
	if (r == SIP_PARSE_OK) {
		if (m->nhdr > cap)
			abort();
		exercise(m, buf, len);
	} else if (r == SIP_PARSE_MALFORMED) {
		if (err.offset > len)
			abort();
	} else if (r != SIP_PARSE_INCOMPLETE || mode != SIP_PARSE_STREAM) {
		abort(); /* a datagram is never "incomplete" */
	}
	return r;
}

/* Parse the first k bytes (own exactly-sized buffer) of a stream whose whole
 * parse gave r / full, and check the framing agrees. */
static void check_prefix(const uint8_t *data, size_t k, enum sip_parse_result r,
                         const struct sip_msg *full,
                         const struct sip_limits *lim)
{
	struct sip_msg m;
	char *b = malloc(k);
	enum sip_parse_result rk;

	if (!b && k)
		abort();
	if (k)
		memcpy(b, data, k);
	rk = parse_one(&m, g_hdr2, HDR_CAP, b ? b : "", k, SIP_PARSE_STREAM,
	               lim);
	switch (r) {
	case SIP_PARSE_OK:
		if (k < full->consumed) {
			if (rk != SIP_PARSE_INCOMPLETE)
				abort();
		} else if (rk != SIP_PARSE_OK || m.consumed != full->consumed ||
		           m.raw.l != full->raw.l || m.nhdr != full->nhdr) {
			abort();
		}
		break;
	case SIP_PARSE_INCOMPLETE:
		if (rk != SIP_PARSE_INCOMPLETE)
			abort();
		break;
	case SIP_PARSE_MALFORMED:
		if (rk == SIP_PARSE_OK)
			abort();
		break;
	}
	free(b);
}

static uint32_t mix(const uint8_t *d, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n && i < 64; i++)
		h = (h ^ d[i]) * 16777619u;
	return h ^ (uint32_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sip_limits small = {.max_msg_size = 512,
	                                        .max_headers = 8,
	                                        .max_header_len = 256,
	                                        .max_vias = 4};
	const struct sip_limits def = SIP_LIMITS_DEFAULT;
	struct sip_msg m, d;
	enum sip_parse_result r, rd;
	char *buf;

	if (size > 1u << 20)
		return 0;
	buf = malloc(size);
	if (!buf && size)
		abort();
	if (size)
		memcpy(buf, data, size);
	/* malloc(0) may give NULL: then parse a zero-length literal */
	const char *b = buf ? buf : "";

	/* datagram, default and small limits, small header array */
	rd = parse_one(&d, g_hdr2, HDR_CAP, b, size, SIP_PARSE_DATAGRAM, NULL);
	(void)parse_one(&m, g_hdr, HDR_CAP, b, size, SIP_PARSE_DATAGRAM,
	                &small);
	(void)parse_one(&m, g_hdr, 8, b, size, SIP_PARSE_DATAGRAM, NULL);

	/* stream, small limits */
	r = parse_one(&m, g_hdr, HDR_CAP, b, size, SIP_PARSE_STREAM, &small);
	if (r == SIP_PARSE_OK && m.consumed > size)
		abort();

	/* stream, default limits, and a prefix of it */
	r = parse_one(&m, g_hdr, HDR_CAP, b, size, SIP_PARSE_STREAM, &def);
	if (r == SIP_PARSE_OK) {
		if (m.consumed > size || m.consumed == 0)
			abort();
		/* framed by Content-Length: a datagram gives the same */
		if (m.has_content_length &&
		    (rd != SIP_PARSE_OK || d.consumed != m.consumed))
			abort();
	}
	{
		size_t k = size ? mix(data, size) % (size + 1) : 0;
		/* half the time aim at the interesting end: just before or at
		 * the framed end of the message */
		if (r == SIP_PARSE_OK && (mix(data, size) & 0x100))
			k = m.consumed - ((mix(data, size) >> 9) & 1);
		check_prefix(data, k, r, &m, &def);
	}

	free(buf);
	return 0;
}
