/* parse.c: framing, start line, header fields and the eager set.
 *
 * One pass finds the lines (memchr for '\n', bounded by the size limit),
 * the header names are mapped to ids by hash, and only the fields that
 * transactions and dialogs need are decoded. Nothing is allocated.
 */
#include "sip/msg/lex.h"
#include "sip/msg/sip_msg.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static enum sip_parse_result fail(struct sip_parse_error *err, uint16_t st,
                                  const char *reason, const char *buf,
                                  const char *at)
{
	if (err) {
		err->status = st;
		err->reason = reason;
		err->offset = at ? (size_t)(at - buf) : 0;
	}
	return SIP_PARSE_MALFORMED;
}

enum sip_method sip_method_lookup(struct pl m)
{
	static const struct {
		const char *name;
		uint8_t len;
		enum sip_method id;
	} tab[] = {
	        {"INVITE", 6, SIP_METHOD_INVITE},
	        {"ACK", 3, SIP_METHOD_ACK},
	        {"BYE", 3, SIP_METHOD_BYE},
	        {"CANCEL", 6, SIP_METHOD_CANCEL},
	        {"OPTIONS", 7, SIP_METHOD_OPTIONS},
	        {"REGISTER", 8, SIP_METHOD_REGISTER},
	        {"PRACK", 5, SIP_METHOD_PRACK},
	        {"UPDATE", 6, SIP_METHOD_UPDATE},
	        {"INFO", 4, SIP_METHOD_INFO},
	        {"REFER", 5, SIP_METHOD_REFER},
	        {"NOTIFY", 6, SIP_METHOD_NOTIFY},
	        {"SUBSCRIBE", 9, SIP_METHOD_SUBSCRIBE},
	        {"MESSAGE", 7, SIP_METHOD_MESSAGE},
	        {"PUBLISH", 7, SIP_METHOD_PUBLISH},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (m.l == tab[i].len && memcmp(m.p, tab[i].name, m.l) == 0)
			return tab[i].id;
	}
	return SIP_METHOD_OTHER;
}

const char *sip_method_name(enum sip_method m)
{
	static const char *const names[] = {
	        [SIP_METHOD_OTHER] = "",
	        [SIP_METHOD_INVITE] = "INVITE",
	        [SIP_METHOD_ACK] = "ACK",
	        [SIP_METHOD_BYE] = "BYE",
	        [SIP_METHOD_CANCEL] = "CANCEL",
	        [SIP_METHOD_OPTIONS] = "OPTIONS",
	        [SIP_METHOD_REGISTER] = "REGISTER",
	        [SIP_METHOD_PRACK] = "PRACK",
	        [SIP_METHOD_UPDATE] = "UPDATE",
	        [SIP_METHOD_INFO] = "INFO",
	        [SIP_METHOD_REFER] = "REFER",
	        [SIP_METHOD_NOTIFY] = "NOTIFY",
	        [SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
	        [SIP_METHOD_MESSAGE] = "MESSAGE",
	        [SIP_METHOD_PUBLISH] = "PUBLISH",
	};
	if ((unsigned)m >= sizeof(names) / sizeof(names[0]))
		return "";
	return names[m];
}

void sip_msg_init(struct sip_msg *m, struct sip_hdr *hdr, uint16_t hdr_cap)
{
	memset(m, 0, sizeof(*m));
	m->hdr = hdr;
	m->hdr_cap = hdr_cap;
}

/* "SIP/" 1*DIGIT "." 1*DIGIT. Returns 1 for 2.0, 0 for another version,
 * -1 when it is not a SIP-Version at all. */
static int check_version(struct pl v)
{
	size_t i = 4, d1, d2;

	if (v.l < 7 || !pl_casecmp_eq(pl_make(v.p, 4), PL("SIP/")))
		return -1;
	for (d1 = i; i < v.l && cc_is(v.p[i], CC_DIGIT); i++)
		;
	if (i == d1 || i >= v.l || v.p[i] != '.')
		return -1;
	for (d2 = ++i; i < v.l && cc_is(v.p[i], CC_DIGIT); i++)
		;
	if (i == d2 || i != v.l)
		return -1;
	return (v.l == 7 && v.p[4] == '2' && v.p[6] == '0') ? 1 : 0;
}

static enum sip_parse_result parse_request_line(struct sip_msg *m,
                                                struct pl line, const char *buf,
                                                struct sip_parse_error *err)
{
	struct lex x = lex_of(line);
	const char *sp;

	m->request = true;
	if (!lex_token(&x, &m->method) || lex_eof(&x) || *x.p != ' ')
		return fail(err, 400, "malformed request line (method)", buf,
		            x.p);
	x.p++;
	sp = memchr(x.p, ' ', (size_t)(x.e - x.p));
	if (!sp || sp == x.p)
		return fail(err, 400, "malformed request line (Request-URI)",
		            buf, x.p);
	m->ruri_pl = pl_span(x.p, sp);
	m->version = pl_span(sp + 1, x.e);
	switch (check_version(m->version)) {
	case 1:
		break;
	case 0:
		return fail(err, 505, "SIP version not supported", buf,
		            m->version.p);
	default:
		return fail(err, 400, "malformed request line (SIP-Version)",
		            buf, m->version.p);
	}
	if (sip_uri_parse(&m->ruri, m->ruri_pl) != 0)
		return fail(err, 400, "malformed Request-URI", buf,
		            m->ruri_pl.p);
	/* RFC 3261 19.1.1: no headers component in a Request-URI */
	if (m->ruri.headers.p)
		return fail(err, 400, "Request-URI with headers", buf,
		            m->ruri.headers.p);
	m->method_id = sip_method_lookup(m->method);
	return SIP_PARSE_OK;
}

static enum sip_parse_result parse_status_line(struct sip_msg *m,
                                               struct pl line, const char *buf,
                                               struct sip_parse_error *err)
{
	const char *sp = memchr(line.p, ' ', line.l);
	const char *e = line.p + line.l;
	uint32_t code;

	m->request = false;
	if (!sp)
		return fail(err, 0, "malformed status line", buf, line.p);
	m->version = pl_span(line.p, sp);
	if (check_version(m->version) != 1)
		return fail(err, 0, "response with unsupported SIP version",
		            buf, line.p);
	if (e - (sp + 1) < 3 || !pl_u32(pl_make(sp + 1, 3), 699, &code) ||
	    code < 100)
		return fail(err, 0, "malformed status code", buf, sp + 1);
	m->status = (uint16_t)code;
	const char *r = sp + 4;
	if (r < e) {
		if (*r != ' ')
			return fail(err, 0, "malformed status code", buf, r);
		r++;
	}
	m->reason = pl_span(r, e);
	for (const char *q = r; q < e; q++) {
		if (cc_is(*q, CC_CTL) && *q != '\t')
			return fail(err, 0, "control byte in reason phrase",
			            buf, q);
	}
	return SIP_PARSE_OK;
}

/* A value without the LWS after ':' and before the line end. */
static inline struct pl trim_value(struct pl v)
{
	const char *p = v.p, *e = v.p + v.l;

	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	                 e[-1] == '\n'))
		e--;
	return pl_span(p, e);
}

/* Call-ID = word [ "@" word ] */
static bool valid_callid(struct pl v)
{
	const char *p = v.p, *e = v.p + v.l;

	while (p < e && cc_is(*p, CC_WORD))
		p++;
	if (p == v.p)
		return false;
	if (p < e && *p == '@') {
		const char *w = ++p;
		while (p < e && cc_is(*p, CC_WORD))
			p++;
		if (p == w)
			return false;
	}
	return p == e;
}

static bool parse_cseq(struct sip_msg *m, struct pl v)
{
	struct lex x = lex_of(v);
	const char *d = x.p;
	uint32_t n;

	while (x.p < x.e && cc_is(*x.p, CC_DIGIT))
		x.p++;
	if (!pl_u32(pl_span(d, x.p), UINT32_MAX, &n))
		return false;
	if (!lex_skip_lws(&x) || !lex_token(&x, &m->cseq_method))
		return false;
	lex_skip_lws(&x);
	if (!lex_eof(&x))
		return false;
	m->cseq = n;
	m->cseq_method_id = sip_method_lookup(m->cseq_method);
	return true;
}

/* media-type = m-type SLASH m-subtype *(SEMI m-parameter) */
static bool valid_content_type(struct pl v)
{
	struct lex x = lex_of(v);
	struct pl t, params;

	if (!lex_token(&x, &t) || !lex_sep(&x, '/') || !lex_token(&x, &t))
		return false;
	if (!lex_params(&x, &params))
		return false;
	lex_skip_lws(&x);
	return lex_eof(&x);
}

static const struct sip_hdr *single(const struct sip_msg *m, enum sip_hdr_id id,
                                    bool *dup)
{
	uint16_t i = m->first[id];

	if (i == SIP_HDR_END)
		return NULL;
	if (m->hdr[i].next != SIP_HDR_END)
		*dup = true;
	return &m->hdr[i];
}

static enum sip_parse_result decode_eager(struct sip_msg *m,
                                          const struct sip_limits *lim,
                                          const char *buf,
                                          struct sip_parse_error *err)
{
	uint16_t st = m->request ? 400 : 0;
	const struct sip_hdr *h;
	bool dup = false;

	/* Via: the top value decoded, all values counted */
	for (h = sip_msg_hdr(m, SIP_HDR_VIA); h; h = sip_msg_hdr_next(m, h)) {
		struct pl cur = h->value, el;
		if (h->value.l == 0)
			return fail(err, st, "empty Via", buf, h->name.p);
		if (!memchr(cur.p, ',', cur.l)) {
			/* the usual case: one value per field */
			if (++m->via_count > lim->max_vias)
				return fail(err, st ? 513 : 0,
				            "too many Via values", buf, cur.p);
			if (m->via_count == 1 && sip_via_parse(&m->via, cur))
				return fail(err, st, "malformed Via", buf,
				            cur.p);
			continue;
		}
		while (sip_list_next(&cur, &el)) {
			if (el.l == 0)
				return fail(err, st, "empty Via value", buf,
				            h->value.p);
			if (++m->via_count > lim->max_vias)
				return fail(err, st ? 513 : 0,
				            "too many Via values", buf, el.p);
			if (m->via_count == 1 && sip_via_parse(&m->via, el))
				return fail(err, st, "malformed Via", buf,
				            el.p);
		}
	}
	if (!m->via_count)
		return fail(err, st, "missing Via", buf, NULL);

	h = single(m, SIP_HDR_FROM, &dup);
	if (!h || dup)
		return fail(err, st, h ? "duplicate From" : "missing From", buf,
		            h ? h->name.p : NULL);
	if (sip_addr_parse(&m->from, h->value, false))
		return fail(err, st, "malformed From", buf, h->value.p);

	h = single(m, SIP_HDR_TO, &dup);
	if (!h || dup)
		return fail(err, st, h ? "duplicate To" : "missing To", buf,
		            h ? h->name.p : NULL);
	if (sip_addr_parse(&m->to, h->value, false))
		return fail(err, st, "malformed To", buf, h->value.p);

	h = single(m, SIP_HDR_CALL_ID, &dup);
	if (!h || dup)
		return fail(err, st,
		            h ? "duplicate Call-ID" : "missing Call-ID", buf,
		            h ? h->name.p : NULL);
	if (!valid_callid(h->value))
		return fail(err, st, "malformed Call-ID", buf, h->value.p);
	m->call_id = h->value;

	h = single(m, SIP_HDR_CSEQ, &dup);
	if (!h || dup)
		return fail(err, st, h ? "duplicate CSeq" : "missing CSeq", buf,
		            h ? h->name.p : NULL);
	if (!parse_cseq(m, h->value))
		return fail(err, st, "malformed CSeq", buf, h->value.p);
	if (m->request && !pl_eq(m->cseq_method, m->method))
		return fail(err, st, "CSeq method does not match the request",
		            buf, h->value.p);

	m->max_forwards = -1;
	h = single(m, SIP_HDR_MAX_FORWARDS, &dup);
	if (dup)
		return fail(err, st, "duplicate Max-Forwards", buf, h->name.p);
	if (h) {
		uint32_t mf;
		if (!pl_u32(h->value, 255, &mf))
			return fail(err, st, "malformed Max-Forwards", buf,
			            h->value.p);
		m->max_forwards = (int16_t)mf;
	}

	h = single(m, SIP_HDR_CONTENT_TYPE, &dup);
	if (dup)
		return fail(err, st, "duplicate Content-Type", buf, h->name.p);
	if (h) {
		if (!valid_content_type(h->value))
			return fail(err, st, "malformed Content-Type", buf,
			            h->value.p);
		m->content_type = h->value;
	}
	return SIP_PARSE_OK;
}

/* Number of CR bytes in [p, e): 16 at a time with SSE2 (x86-64 baseline),
 * else 8 at a time (exact zero-byte test on x ^ CRCRCRCR...). */
static size_t count_cr(const char *p, const char *e)
{
	size_t n = 0;

#if defined(__SSE2__)
	const __m128i cr16 = _mm_set1_epi8('\r');
	while (e - p >= 16) {
		/* per-byte counters, summed before they can wrap */
		__m128i acc = _mm_setzero_si128();
		for (int k = 0; k < 255 && e - p >= 16; k++, p += 16) {
			__m128i v = _mm_loadu_si128(
			        (const __m128i *)(const void *)p);
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, cr16));
		}
		__m128i sad = _mm_sad_epu8(acc, _mm_setzero_si128());
		n += (size_t)_mm_cvtsi128_si32(sad) +
		     (size_t)_mm_extract_epi16(sad, 4);
	}
#else
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, cr = 0x0d0d0d0d0d0d0d0dull;
	for (; e - p >= 8; p += 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		x ^= cr;
		uint64_t t = ((x & lo7) + lo7) | x;
		/* one bit per CR byte, at bit 7 of its byte: add them up */
		n += (size_t)((((~t & ~lo7) >> 7) * 0x0101010101010101ull) >>
		              56);
	}
#endif
	for (; p < e; p++)
		n += *p == '\r';
	return n;
}

static const char *find_bare_cr(const char *p, const char *e)
{
	for (; p < e; p++) {
		if (*p == '\r' && (p + 1 >= e || p[1] != '\n'))
			return p;
	}
	return e;
}

static enum sip_parse_result need_more(const char *start, const char *e,
                                       enum sip_parse_mode mode,
                                       const struct sip_limits *lim,
                                       const char *buf,
                                       struct sip_parse_error *err)
{
	if ((size_t)(e - start) >= lim->max_msg_size)
		return fail(err, 513, "message too large", buf, start);
	if (mode == SIP_PARSE_DATAGRAM)
		return fail(err, 400, "message ends inside the headers", buf,
		            e);
	return SIP_PARSE_INCOMPLETE;
}

enum sip_parse_result sip_msg_parse(struct sip_msg *m, const char *buf,
                                    size_t len, enum sip_parse_mode mode,
                                    const struct sip_limits *limp,
                                    struct sip_parse_error *err)
{
	const struct sip_limits lim = limp ? *limp : SIP_LIMITS_DEFAULT;
	const char *p = buf, *e = buf + len, *start, *cap_end, *nl;
	uint32_t max_hdrs = lim.max_headers;
	enum sip_parse_result r;
	struct sip_hdr *hdr = m->hdr;
	uint16_t hdr_cap = m->hdr_cap;
	size_t crlf_lines = 0;

	memset(m, 0, sizeof(*m));
	m->hdr = hdr;
	m->hdr_cap = hdr_cap;
	if (max_hdrs > hdr_cap)
		max_hdrs = hdr_cap;
	if (err) {
		err->status = 0;
		err->reason = NULL;
		err->offset = 0;
	}

	/* RFC 3261 7.5: CRLFs before the start line are ignored */
	while (p < e && (*p == '\r' || *p == '\n'))
		p++;
	start = p;
	if (p == e) {
		if (mode == SIP_PARSE_STREAM)
			return SIP_PARSE_INCOMPLETE;
		return fail(err, 0, "empty message", buf, p);
	}
	cap_end = (size_t)(e - start) > lim.max_msg_size
	                  ? start + lim.max_msg_size
	                  : e;

	/* start line */
	nl = memchr(p, '\n', (size_t)(cap_end - p));
	if (!nl)
		return need_more(start, e, mode, &lim, buf, err);
	{
		const char *ce = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
		struct pl line = pl_span(p, ce);
		crlf_lines += ce != nl;
		m->start_line = pl_span(p, nl + 1);
		if (line.l > 4 && pl_casecmp_eq(pl_make(p, 4), PL("SIP/")))
			r = parse_status_line(m, line, buf, err);
		else
			r = parse_request_line(m, line, buf, err);
		if (r != SIP_PARSE_OK)
			return r;
	}
	p = nl + 1;

	/* header fields, folds joined to the field they continue */
	for (;;) {
		nl = memchr(p, '\n', (size_t)(cap_end - p));
		if (!nl)
			return need_more(start, e, mode, &lim, buf, err);
		const char *ce = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
		crlf_lines += ce != nl;
		if (ce == p) {
			m->eoh = pl_span(p, nl + 1);
			p = nl + 1;
			break;
		}
		if (*p == ' ' || *p == '\t') {
			if (m->nhdr == 0)
				return fail(err, m->request ? 400 : 0,
				            "folded line before any header",
				            buf, p);
			struct sip_hdr *h = &m->hdr[m->nhdr - 1];
			h->line = pl_span(h->line.p, nl + 1);
			h->value = pl_span(h->value.p, ce);
			if (h->line.l > lim.max_header_len)
				return fail(err, m->request ? 513 : 0,
				            "header field too long", buf,
				            h->line.p);
			p = nl + 1;
			continue;
		}
		if (m->nhdr >= max_hdrs)
			return fail(err, m->request ? 513 : 0,
			            "too many header fields", buf, p);
		/* '\n' is no token char, so this stops inside the line */
		const char *q = p;
		while (cc_is(*q, CC_TOKEN))
			q++;
		struct pl name = pl_span(p, q);
		while (q < ce && (*q == ' ' || *q == '\t'))
			q++;
		if (name.l == 0 || q >= ce || *q != ':')
			return fail(err, m->request ? 400 : 0,
			            "malformed header name", buf, p);
		struct sip_hdr *h = &m->hdr[m->nhdr++];
		h->name = name;
		h->value = pl_span(q + 1, ce);
		h->line = pl_span(p, nl + 1);
		h->id = (uint16_t)sip_hdr_lookup(name);
		if (h->line.l > lim.max_header_len)
			return fail(err, m->request ? 513 : 0,
			            "header field too long", buf, p);
		p = nl + 1;
	}

	/* A CR is only allowed as part of a line end: a bare one would end a
	 * line for a less careful parser downstream (header injection). */
	if (count_cr(start, p) != crlf_lines)
		return fail(err, m->request ? 400 : 0, "bare CR in the headers",
		            buf, find_bare_cr(start, p));

	/* index by id: first[] and next links, in message order */
	for (unsigned i = 0; i < SIP_HDR__COUNT; i++)
		m->first[i] = SIP_HDR_END;
	for (unsigned i = m->nhdr; i-- > 0;) {
		struct sip_hdr *h = &m->hdr[i];
		h->value = trim_value(h->value);
		h->next = m->first[h->id];
		m->first[h->id] = (uint16_t)i;
	}

	/* body framing by Content-Length */
	{
		uint16_t st = m->request ? 400 : 0;
		bool dup = false;
		const struct sip_hdr *h =
		        single(m, SIP_HDR_CONTENT_LENGTH, &dup);
		size_t hdr_bytes = (size_t)(p - start);
		size_t avail = (size_t)(e - p);
		size_t blen;

		if (dup)
			return fail(err, st, "duplicate Content-Length", buf,
			            h->name.p);
		if (h) {
			uint32_t cl;
			if (!pl_u32(h->value, UINT32_MAX, &cl))
				return fail(err, st, "malformed Content-Length",
				            buf, h->value.p);
			m->has_content_length = true;
			m->content_length = cl;
			if (cl > lim.max_msg_size - hdr_bytes)
				return fail(
				        err, m->request ? 413 : 0,
				        "body larger than the message limit",
				        buf, h->value.p);
			if (cl > avail) {
				if (mode == SIP_PARSE_STREAM)
					return SIP_PARSE_INCOMPLETE;
				return fail(
				        err, st,
				        "Content-Length beyond the datagram",
				        buf, h->value.p);
			}
			blen = cl;
		} else if (mode == SIP_PARSE_DATAGRAM) {
			blen = avail;
			if (blen > lim.max_msg_size - hdr_bytes)
				return fail(
				        err, m->request ? 413 : 0,
				        "body larger than the message limit",
				        buf, p);
		} else {
			blen = 0;
		}
		m->body = pl_make(p, blen);
		m->raw = pl_span(start, p + blen);
		m->consumed = (size_t)(p + blen - buf);
	}

	return decode_eager(m, &lim, buf, err);
}

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR__COUNT || m->first[id] == SIP_HDR_END)
		return NULL;
	return &m->hdr[m->first[id]];
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m,
                                       const struct sip_hdr *h)
{
	return h->next == SIP_HDR_END ? NULL : &m->hdr[h->next];
}

const struct sip_hdr *sip_msg_hdr_name(const struct sip_msg *m, struct pl name)
{
	for (uint16_t i = 0; i < m->nhdr; i++) {
		if (pl_casecmp_eq(m->hdr[i].name, name))
			return &m->hdr[i];
	}
	return NULL;
}

size_t sip_msg_serialize(const struct sip_msg *m, char *out, size_t cap)
{
	size_t n = 0;
	struct pl parts_head[1] = {m->start_line};

#define PUT(s)                                                                 \
	do {                                                                   \
		if ((s).l > cap - n)                                           \
			return 0;                                              \
		if ((s).l)                                                     \
			memcpy(out + n, (s).p, (s).l);                         \
		n += (s).l;                                                    \
	} while (0)

	PUT(parts_head[0]);
	for (uint16_t i = 0; i < m->nhdr; i++)
		PUT(m->hdr[i].line);
	PUT(m->eoh);
	PUT(m->body);
#undef PUT
	return n;
}
