/* fuzz_sdp.c: libFuzzer target for the SDP parser and writer.
 *
 * The input (the whole of it) is one SDP body, copied into an
 * exactly-sized heap buffer. A failed parse must give a reason. On a
 * successful parse (abort() on a violation):
 *   - the input holds no NUL byte;
 *   - every slice of the parsed SDP lies inside the input, every count
 *     within its cap, payload types 0-127, te_pt -1 or a listed format;
 *   - sdp_crypto_key on every crypto line decodes into 96 bytes (the
 *     parser accepted only base64 of at most 128 characters) and into a
 *     4-byte buffer either fits or returns 0; sdp_rtpmap on every format
 *     and sdp_media_conn on every section answer within the input;
 *   - sdp_write with a fixed sdp_out (see make_out: our address,
 *     ICE-lite, crypto, candidates, directions, rtcp, payload type lists
 *     (a fixed one, the input's backwards), telephone-event renumbered,
 *     on some sections to a number another format has, section 3
 *     rejected) into an exactly-sized buffer gives n > 0; at caps n - 1,
 *     n / 2 and 0 it gives 0 (and writes nothing past the cap);
 *   - the output parses again: same sections, our ports (or rejected),
 *     crypto, candidates, rtcp, ICE and directions as sdp_out said, the
 *     formats listed (each once; all of them when no list was given),
 *     each one's rtpmap the input's. The one failure allowed is a cap the
 *     added lines push the input over (a section at SDP_MAX_ATTRS - 9
 *     attributes or more, the session at SDP_MAX_ATTRS, 32 session lines
 *     and no t=).
 */
#include "media/sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile uint32_t g_sink;
static struct sdp g_s, g_r;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lines make_out adds to a section: dir, rtcp, rtcp-mux, 2 crypto, ufrag,
 * pwd, 2 candidates */
#define ADDED_PER_MEDIA 9

static const char *const k_crypto[] = {
        "1 AES_CM_128_HMAC_SHA1_80 "
        "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31",
        "2 AES_CM_128_HMAC_SHA1_32 "
        "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^31|1:1",
};
static const char *const k_cands[] = {
        "1 1 UDP 2130706431 203.0.113.5 30000 typ host",
        "1 2 UDP 2130706430 203.0.113.5 30001 typ host",
};
static const uint8_t k_pts[] = {0, 8, 101, 96, 0};
static uint8_t g_pts[SDP_MAX_MEDIA][SDP_MAX_FMTS + 1];

static void check_in(struct pl a, const char *base, size_t len)
{
	if (!a.p)
		return;
	if (a.p < base || a.p > base + len || a.l > (size_t)(base + len - a.p))
		abort();
}

static void check_parsed(const struct sdp *s, const char *b, size_t len)
{
	check_in(s->o_user, b, len);
	check_in(s->o_id, b, len);
	check_in(s->o_ver, b, len);
	check_in(s->o_addr, b, len);
	check_in(s->s_name, b, len);
	check_in(s->conn.addr, b, len);
	if (!s->o_user.l || !s->o_id.l || !s->o_addr.l || !s->s_name.p)
		abort();
	if (s->n_other > SDP_MAX_LINES || s->n_attrs > SDP_MAX_ATTRS ||
	    s->n_media < 1 || s->n_media > SDP_MAX_MEDIA ||
	    s->dir > SDP_DIR_INACTIVE)
		abort();
	for (size_t i = 0; i < s->n_other; i++)
		check_in(s->other[i], b, len);
	for (size_t i = 0; i < s->n_attrs; i++) {
		check_in(s->attrs[i].name, b, len);
		check_in(s->attrs[i].value, b, len);
	}
	for (size_t i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];
		struct sdp_conn c = sdp_media_conn(s, i);
		bool te_listed = m->te_pt < 0;

		check_in(c.addr, b, len);
		if (c.set && !c.addr.l)
			abort();
		check_in(m->type, b, len);
		check_in(m->proto, b, len);
		check_in(m->conn.addr, b, len);
		check_in(m->ice_ufrag, b, len);
		check_in(m->ice_pwd, b, len);
		if (m->n_fmts < 1 || m->n_fmts > SDP_MAX_FMTS ||
		    m->n_attrs > SDP_MAX_ATTRS || m->n_other > SDP_MAX_LINES ||
		    m->n_crypto > SDP_MAX_CRYPTO ||
		    m->n_candidates > m->n_attrs || m->nports < 1 ||
		    m->dir > SDP_DIR_INACTIVE || m->te_pt > 127 ||
		    m->te_pt < -1)
			abort();
		for (size_t j = 0; j < m->n_fmts; j++) {
			struct pl enc;
			uint32_t rate;
			check_in(m->fmts[j], b, len);
			if (!m->rtp)
				continue;
			if (m->pt[j] > 127)
				abort();
			if (m->pt[j] == m->te_pt)
				te_listed = true;
			if (sdp_rtpmap(m, m->pt[j], &enc, &rate)) {
				check_in(enc, b, len);
				if (!enc.l || !rate)
					abort();
			}
		}
		if (!te_listed || (m->te_pt >= 0 && !m->te_rate))
			abort();
		for (size_t j = 0; j < m->n_attrs; j++) {
			check_in(m->attrs[j].name, b, len);
			check_in(m->attrs[j].value, b, len);
		}
		for (size_t j = 0; j < m->n_other; j++)
			check_in(m->other[j], b, len);
		for (size_t j = 0; j < m->n_crypto; j++) {
			const struct sdp_crypto *cr = &m->crypto[j];
			uint8_t key[96], small[4];
			size_t n;
			check_in(cr->suite, b, len);
			check_in(cr->key_b64, b, len);
			check_in(cr->lifetime, b, len);
			check_in(cr->session_params, b, len);
			if (cr->tag < 1 || cr->tag > 999999999 ||
			    cr->n_keys < 1 || cr->mki_len > 128)
				abort();
			n = sdp_crypto_key(cr, key, sizeof(key));
			if (n < 1 || n > sizeof(key))
				abort();
			g_sink += key[n - 1];
			n = sdp_crypto_key(cr, small, sizeof(small));
			if (n > sizeof(small))
				abort();
		}
	}
}

static void make_out(const struct sdp *s, struct sdp_out *o, bool ip6)
{
	memset(o, 0, sizeof(*o));
	o->o_user = "tb";
	o->o_id = 1234567890123u;
	o->o_ver = 7;
	o->addr = ip6 ? "2001:db8::5" : "203.0.113.5";
	o->ip6 = ip6;
	o->ice_lite = true;
	for (size_t i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];
		struct sdp_media_out *mo = &o->media[i];
		mo->reject = i == 3;
		mo->port = (uint16_t)(30000 + 2 * i);
		mo->proto = m->rtp && (i & 1) ? "RTP/SAVP" : NULL;
		mo->te_from = m->te_pt;
		mo->te_to = -1;
		if (m->te_pt >= 0) {
			/* sections 0, 3, 4, 7: te_to taken by another format */
			mo->te_to = (i & 1) ? 96 : 101;
			for (size_t j = 0;
			     (i % 4 == 0 || i % 4 == 3) && j < m->n_fmts; j++) {
				if (m->pt[j] != m->te_pt) {
					mo->te_to = m->pt[j];
					break;
				}
			}
		}
		if (i % 3 == 1) {
			mo->pts = k_pts;
			mo->n_pts = sizeof(k_pts);
		} else if (i % 3 == 2 && m->rtp) {
			/* the input's formats backwards, then te_to */
			size_t n = 0;
			for (size_t j = m->n_fmts; j-- > 0;)
				g_pts[i][n++] = m->pt[j];
			if (mo->te_to >= 0)
				g_pts[i][n++] = (uint8_t)mo->te_to;
			mo->pts = g_pts[i];
			mo->n_pts = n;
		}
		mo->dir = (enum sdp_dir)(i % 5);
		mo->rtcp_mux = i & 1;
		mo->rtcp_port = (i & 1) ? 0 : (uint16_t)(mo->port + 1);
		mo->crypto = k_crypto;
		mo->n_crypto = 2;
		if (!(i & 1)) {
			mo->ice_ufrag = "tbUf";
			mo->ice_pwd = "tbpasswordtbpasswordtb";
			mo->candidates = k_cands;
			mo->n_candidates = 2;
		}
	}
}

/* The writer may push a section (or the session) over a parser cap. */
static bool near_cap(const struct sdp *s)
{
	bool has_t = false;

	if (s->n_attrs + 1 > SDP_MAX_ATTRS)
		return true;
	for (size_t i = 0; i < s->n_other; i++)
		has_t = has_t || s->other[i].p[0] == 't';
	if (!has_t && s->n_other == SDP_MAX_LINES)
		return true;
	for (size_t i = 0; i < s->n_media; i++) {
		if (s->media[i].n_attrs + ADDED_PER_MEDIA > SDP_MAX_ATTRS)
			return true;
	}
	return false;
}

static bool pl_is(struct pl a, const char *lit)
{
	size_t n = strlen(lit);
	return a.p && a.l == n && memcmp(a.p, lit, n) == 0;
}

static void check_output(const struct sdp *s, const struct sdp_out *o,
                         const struct sdp *r)
{
	if (r->n_media != s->n_media || !r->ice_lite ||
	    !pl_is(r->o_addr, o->addr) || !pl_is(r->conn.addr, o->addr) ||
	    !pl_is(r->o_user, "tb") || !pl_is(r->o_id, "1234567890123"))
		abort();
	for (size_t i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i], *w = &r->media[i];
		const struct sdp_media_out *mo = &o->media[i];
		bool renum =
		        m->rtp && mo->te_from >= 0 && mo->te_from != mo->te_to;

		if (!pl_eq(w->type, m->type))
			abort();
		if (mo->reject || (w->port == 0 && mo->port != 0)) {
			/* rejected, or none of the payload types asked for */
			if (w->port != 0 || w->n_attrs || w->n_other ||
			    w->n_fmts != m->n_fmts ||
			    !pl_eq(w->proto, m->proto))
				abort();
			if (!mo->reject && (!m->rtp || !mo->n_pts))
				abort();
			continue;
		}
		if (w->port != mo->port || w->n_crypto != mo->n_crypto ||
		    w->n_candidates != mo->n_candidates ||
		    w->rtcp_mux != mo->rtcp_mux ||
		    w->rtcp_port != mo->rtcp_port ||
		    !pl_is(w->conn.addr, o->addr))
			abort();
		if (mo->dir != SDP_DIR_NONE && w->dir != mo->dir)
			abort();
		if (mo->ice_ufrag ? !pl_is(w->ice_ufrag, mo->ice_ufrag)
		                  : w->ice_ufrag.p != NULL)
			abort();
		if (w->rtp != m->rtp && !mo->proto)
			abort();
		if (!m->rtp) {
			if (w->n_fmts != m->n_fmts)
				abort();
			continue;
		}
		if (!mo->n_pts) { /* every distinct format, te_to's aside */
			size_t distinct = 0;
			bool te_to_in = false;
			for (size_t j = 0; j < m->n_fmts; j++) {
				bool dup = false;
				for (size_t k = 0; k < j; k++)
					dup = dup || m->pt[k] == m->pt[j];
				distinct += !dup;
				te_to_in = te_to_in || m->pt[j] == mo->te_to;
			}
			if (w->n_fmts != distinct - (renum && te_to_in))
				abort();
		}
		for (size_t j = 0; j < w->n_fmts; j++) {
			uint8_t p = w->pt[j];
			uint8_t q = renum && p == mo->te_to
			                    ? (uint8_t)mo->te_from
			                    : p;
			struct pl e1, e2;
			uint32_t r1 = 0, r2 = 0;
			bool h1 = sdp_rtpmap(m, q, &e1, &r1);
			bool h2 = sdp_rtpmap(w, p, &e2, &r2);
			bool in = false;
			for (size_t k = 0; k < m->n_fmts; k++)
				in = in || m->pt[k] == q;
			if (!in || h1 != h2 ||
			    (h1 && (!pl_eq(e1, e2) || r1 != r2)))
				abort();
			for (size_t k = 0; k < j; k++) {
				if (w->pt[k] == p) /* listed twice */
					abort();
			}
			if (renum && p == mo->te_to && w->te_pt < 0)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	struct sdp_out o;
	char *buf, *out, *exact;
	size_t cap, n;

	if (size > 1u << 16)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	if (size)
		memcpy(buf, data, size);

	if (sdp_parse(pl_make(buf, size), &g_s, &why) != 0) {
		if (!why || !why[0])
			abort();
		free(buf);
		return 0;
	}
	if (memchr(buf, '\0', size)) /* SDP holds no NUL (RFC 8866 9) */
		abort();
	check_parsed(&g_s, buf, size);

	make_out(&g_s, &o, size & 1);
	cap = size + 16384;
	out = malloc(cap);
	if (!out)
		abort();
	n = sdp_write(&g_s, &o, out, cap);
	if (n == 0 || n >= cap)
		abort();

	/* exactly n bytes: the same; fewer: 0 */
	exact = malloc(n);
	if (!exact)
		abort();
	if (sdp_write(&g_s, &o, exact, n) != n || memcmp(exact, out, n))
		abort();
	free(exact);
	exact = malloc(n);
	if (!exact)
		abort();
	if (sdp_write(&g_s, &o, exact, n - 1) != 0 ||
	    sdp_write(&g_s, &o, exact, n / 2) != 0 ||
	    sdp_write(&g_s, &o, exact, 0) != 0)
		abort();
	free(exact);

	/* the output parses again (out is exactly n bytes long for ASan) */
	exact = malloc(n);
	if (!exact)
		abort();
	memcpy(exact, out, n);
	why = NULL;
	if (sdp_parse(pl_make(exact, n), &g_r, &why) != 0) {
		if (!why || strncmp(why, "more than ", 10) != 0 ||
		    !near_cap(&g_s))
			abort();
	} else {
		check_parsed(&g_r, exact, n);
		check_output(&g_s, &o, &g_r);
	}
	free(exact);
	free(out);
	free(buf);
	return 0;
}
