/* fuzz_hdr.c: libFuzzer target for the typed header decoders.
 *
 * Input: one selector byte, then the header value (copied into an
 * exactly-sized heap buffer). The selector is data[0] % 16, so the
 * printable letters '@' 'A' ... 'O' pick decoders 0..15 (seed files in
 * tests/fuzz/seeds/hdr-* start with that letter):
 *
 *   '@' 0  sip_addr_parse (no star)      'H' 8  sip_session_expires_decode
 *   'A' 1  sip_addr_parse (star allowed) 'I' 9  sip_rack_decode
 *   'B' 2  sip_via_parse                 'J' 10 sip_retry_after_decode
 *   'C' 3  sip_diversion_decode          'K' 11 sip_token_list_validate
 *   'D' 4  sip_history_info_decode       'L' 12 sip_uint_decode
 *   'E' 5  sip_refer_to_decode           'M' 13 sip_list_next + addr each
 *   'F' 6  sip_replaces_decode           'N' 14 lex_params + sip_param_next
 *   'G' 7  sip_reason_decode             'O' 15 sip_list_next + via each
 *
 * Properties (abort() on a violation): slices a decoder returns lie inside
 * the value; list splitting and parameter iteration make progress.
 */
#include "sip/msg/sip_decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile uint32_t g_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_in(struct pl a, const char *base, size_t len)
{
	if (!a.p)
		return;
	if (a.p < base || a.p > base + len || a.l > (size_t)(base + len - a.p))
		abort();
}

static void check_addr(const struct sip_addr *a, const char *b, size_t l)
{
	check_in(a->display, b, l);
	check_in(a->uri_pl, b, l);
	check_in(a->params, b, l);
	check_in(a->tag, b, l);
	if (!a->star && a->uri.raw.p) {
		check_in(a->uri.raw, b, l);
		if (a->uri.scheme != SIP_URI_OTHER &&
		    !sip_uri_eq(&a->uri, &a->uri))
			abort();
	}
	g_sink += (uint32_t)a->tag.l + a->angle;
}

static void check_via(const struct sip_via *v, const char *b, size_t l)
{
	check_in(v->proto, b, l);
	check_in(v->transport_pl, b, l);
	check_in(v->host, b, l);
	check_in(v->params, b, l);
	check_in(v->branch, b, l);
	check_in(v->value, b, l);
	g_sink += v->port + v->rport_val;
}

static void do_list(struct pl val, const char *b, size_t l, int kind)
{
	struct pl cur = val, el;
	size_t guard = l + 2;

	while (sip_list_next(&cur, &el)) {
		if (guard-- == 0)
			abort();
		check_in(el, b, l);
		check_in(cur, b, l);
		if (kind == 0) {
			struct sip_addr a;
			if (sip_addr_parse(&a, el, true) == 0)
				check_addr(&a, b, l);
		} else {
			struct sip_via v;
			if (sip_via_parse(&v, el) == 0)
				check_via(&v, b, l);
		}
	}
}

static void do_params(struct pl val, const char *b, size_t l)
{
	struct lex x = lex_of(val);
	struct pl raw, cur;
	struct sip_param prm;
	size_t guard = l + 2;

	/* the value is read as the params part after some header value:
	 * "[;] name [= value] *( ; name [= value] )" */
	if (!lex_params(&x, &raw))
		return;
	check_in(raw, b, l);
	cur = raw;
	while (sip_param_next(&cur, &prm)) {
		if (guard-- == 0)
			abort();
		check_in(prm.name, b, l);
		check_in(prm.value, b, l);
		check_in(cur, b, l);
		g_sink += (uint32_t)prm.name.l;
	}
	if (raw.p) {
		struct pl v;
		if (sip_param_find(raw, PL("tag"), &v))
			check_in(v, b, l);
		if (sip_param_find(raw, PL("branch"), &v))
			check_in(v, b, l);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	size_t len;
	unsigned sel;

	if (size < 1 || size > (1u << 16) + 1)
		return 0;
	sel = data[0] % 16u;
	len = size - 1;
	buf = malloc(len);
	if (!buf && len)
		abort();
	if (len)
		memcpy(buf, data + 1, len);
	const char *b = buf ? buf : "";
	struct pl val = pl_make(b, len);
	uint32_t u;

	switch (sel) {
	case 0:
	case 1: {
		struct sip_addr a;
		if (sip_addr_parse(&a, val, sel == 1) == 0) {
			if (a.star && sel != 1)
				abort();
			check_addr(&a, b, len);
		}
		break;
	}
	case 2: {
		struct sip_via v;
		if (sip_via_parse(&v, val) == 0)
			check_via(&v, b, len);
		break;
	}
	case 3: {
		struct sip_diversion d;
		if (sip_diversion_decode(&d, val) == 0) {
			check_addr(&d.addr, b, len);
			check_in(d.reason, b, len);
			check_in(d.privacy, b, len);
			check_in(d.screen, b, len);
			g_sink += d.counter + d.limit;
		}
		break;
	}
	case 4: {
		struct sip_history_info hi;
		if (sip_history_info_decode(&hi, val) == 0) {
			check_addr(&hi.addr, b, len);
			check_in(hi.index, b, len);
			check_in(hi.rc, b, len);
			check_in(hi.mp, b, len);
			check_in(hi.np, b, len);
			check_in(hi.reason, b, len);
			if (hi.depth > SIP_HI_MAX_DEPTH || hi.depth == 0)
				abort();
			for (unsigned i = 0; i < hi.depth; i++)
				g_sink += hi.level[i];
		}
		break;
	}
	case 5: {
		struct sip_refer_to rt;
		if (sip_refer_to_decode(&rt, val) == 0) {
			check_addr(&rt.addr, b, len);
			check_in(rt.replaces, b, len);
		}
		break;
	}
	case 6: {
		struct sip_replaces rp;
		if (sip_replaces_decode(&rp, val) == 0) {
			check_in(rp.call_id, b, len);
			check_in(rp.to_tag, b, len);
			check_in(rp.from_tag, b, len);
			g_sink += rp.early_only;
		}
		break;
	}
	case 7: {
		struct sip_reason r;
		if (sip_reason_decode(&r, val) == 0) {
			check_in(r.protocol, b, len);
			check_in(r.text, b, len);
			check_in(r.params, b, len);
			g_sink += r.cause;
		}
		break;
	}
	case 8: {
		struct sip_session_expires se;
		if (sip_session_expires_decode(&se, val) == 0)
			g_sink += se.delta + (uint32_t)se.refresher;
		break;
	}
	case 9: {
		struct sip_rack ra;
		if (sip_rack_decode(&ra, val) == 0) {
			check_in(ra.method, b, len);
			g_sink += ra.rseq + ra.cseq;
		}
		break;
	}
	case 10:
		if (sip_retry_after_decode(&u, val) == 0)
			g_sink += u;
		break;
	case 11:
		g_sink += (uint32_t)sip_token_list_validate(val);
		break;
	case 12:
		if (sip_uint_decode(&u, val) == 0)
			g_sink += u;
		break;
	case 13:
		do_list(val, b, len, 0);
		break;
	case 14:
		do_params(val, b, len);
		break;
	default:
		do_list(val, b, len, 1);
		break;
	}

	free(buf);
	return 0;
}
