/* sdp.c: SDP (RFC 8866) parsed over slices, and written back for a leg.
 *
 * sdp_parse reads the body line by line (CRLF or LF; the last line may
 * miss its line end; empty lines are allowed only at the end). The
 * structure is RFC 8866's as peers write it: v=0, o= and s= are the
 * first three lines; then session-level lines (i u e p c b t r z k a, in
 * any order: peers do not all keep the RFC's order, and t= may be
 * missing); then m= sections (i c b k a). A NUL byte, a CR inside a line,
 * a line that is not <letter>=, a type letter SDP does not define or a
 * session-only letter inside a media section refuse the body (RFC 8866
 * 5: a description with an unknown type letter is to be ignored whole).
 * SP/HT at the end of a line are not part of it (except on s=, where "s= "
 * is the RFC's empty name). Fields are separated by one or more SP/HT.
 *
 * What is checked, with its limits (a failure names the rule in *why):
 *   o=        6 fields; session id and version 1-32 digits; IN IP4|IP6
 *   c=        IN IP4|IP6 <address>[/<ttl 0-255>[/<count 1-65535>]] (IP6:
 *             [/<count 1-65535>]); the suffix is not part of addr
 *   t=        two numbers; b= <type>:<number 0-4294967295>
 *   m=        <token> <port 0-65535>[/<count 1-65535>] <proto> <fmt>...;
 *             RTP protos ("RTP/..." or ".../RTP/...") take payload types
 *             0-127, others tokens; at most SDP_MAX_FMTS
 *   a=        <token>[:<value>]; per section at most SDP_MAX_ATTRS
 *   rtpmap    <pt 0-127> <token>/<rate 1-4294967295>[/<channels 1-255>],
 *             one per payload type (RTP sections only)
 *   fmtp      <pt 0-127> ... (RTP sections only)
 *   crypto    RFC 4568 9.1: tag 1-999999999 (1-9 digits, unique in the
 *             section), suite of letters/digits/_, 1-16 key params
 *             "inline:<base64, 1-128 chars>[|<lifetime>][|<mki>:<len>]"
 *             (lifetime 2^1-2^48 or 1-2^48; MKI value fits in len bytes,
 *             len 1-128), session params of visible characters
 *   rtcp      <port 0-65535> [IN IP4|IP6 <address>], once
 *   direction sendrecv/sendonly/recvonly/inactive: conflicting ones at
 *             the same level are refused
 *   ice-ufrag/ice-pwd  1-256 ice-chars (ALPHA DIGIT + /), once per level
 *   candidate <foundation> <component 1-256> <transport> <priority>
 *             <address> <port 0-65535> typ <type> [...]
 * Counts over a cap are refused, never truncated.
 */
#include "media/sdp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define SDP_STR_(x) #x
#define SDP_STR(x)  SDP_STR_(x)

#define CRYPTO_MAX_B64  128 /* base64 characters of one key||salt */
#define CRYPTO_MAX_KEYS 16  /* key params on one a=crypto line */
#define ICE_MAX_CHARS   256 /* ice-ufrag / ice-pwd (RFC 8839 5.4) */
#define ICE_MAX_FOUND   32  /* candidate foundation (RFC 8839 5.1) */
#define O_MAX_DIGITS    32  /* o= session id and version */

/* --- characters ----------------------------------------------------------- */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 8866 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 /
 * %x41-5A / %x5E-7E */
static bool is_token_char(char ch)
{
	unsigned char c = (unsigned char)ch;

	return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a ||
	       c == 0x2b || c == 0x2d || c == 0x2e ||
	       (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
	       (c >= 0x5e && c <= 0x7e);
}

static bool is_token(struct pl a)
{
	if (!a.l)
		return false;
	for (size_t i = 0; i < a.l; i++) {
		if (!is_token_char(a.p[i]))
			return false;
	}
	return true;
}

/* token *("/" token) */
static bool is_proto(struct pl a)
{
	size_t seg = 0;

	for (size_t i = 0; i < a.l; i++) {
		if (a.p[i] == '/') {
			if (!seg)
				return false;
			seg = 0;
		} else if (is_token_char(a.p[i])) {
			seg++;
		} else {
			return false;
		}
	}
	return seg > 0;
}

/* An address as c=, o=, a=rtcp and candidates carry it: an IP literal or
 * a host name. */
static bool is_addr(struct pl a)
{
	if (!a.l)
		return false;
	for (size_t i = 0; i < a.l; i++) {
		char c = a.p[i];
		if (!is_alpha(c) && !is_digit(c) && c != '.' && c != ':' &&
		    c != '-' && c != '_')
			return false;
	}
	return true;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" */
static bool is_ice(struct pl a, size_t max)
{
	if (!a.l || a.l > max)
		return false;
	for (size_t i = 0; i < a.l; i++) {
		char c = a.p[i];
		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '/')
			return false;
	}
	return true;
}

/* non-ws-string = 1*(VCHAR / %x80-FF) */
static bool is_nonws(struct pl a)
{
	if (!a.l)
		return false;
	for (size_t i = 0; i < a.l; i++) {
		unsigned char c = (unsigned char)a.p[i];
		if (c < 0x21 || c == 0x7f)
			return false;
	}
	return true;
}

static bool is_digits(struct pl a, size_t max)
{
	if (!a.l || a.l > max)
		return false;
	for (size_t i = 0; i < a.l; i++) {
		if (!is_digit(a.p[i]))
			return false;
	}
	return true;
}

static bool is_b64_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '+' || c == '/';
}

/* RFC 4648 base64: padded to a multiple of 4 with at most two '=', or
 * unpadded (a length that is not 1 mod 4). */
static bool b64_ok(struct pl a)
{
	size_t pad = 0, data;

	if (!a.l || a.l > CRYPTO_MAX_B64)
		return false;
	while (pad < a.l && a.p[a.l - 1 - pad] == '=')
		pad++;
	if (pad > 2)
		return false;
	data = a.l - pad;
	for (size_t i = 0; i < data; i++) {
		if (!is_b64_char(a.p[i]))
			return false;
	}
	if (pad)
		return a.l % 4 == 0;
	return data % 4 != 1;
}

/* The next field of *r (skipping SP/HT before it); *r moves past it. An
 * empty slice at the end. */
static struct pl field(struct pl *r)
{
	size_t i = 0, j;
	struct pl f;

	if (!r->p)
		return PL_NULL;
	while (i < r->l && is_wsp(r->p[i]))
		i++;
	j = i;
	while (j < r->l && !is_wsp(r->p[j]))
		j++;
	f = pl_make(r->p + i, j - i);
	*r = pl_from(*r, j);
	return f;
}

static struct pl skip_wsp(struct pl r)
{
	size_t i = 0;

	while (i < r.l && is_wsp(r.p[i]))
		i++;
	return pl_from(r, i);
}

static bool bit_get(const uint8_t *set, unsigned i)
{
	return (set[i >> 3] >> (i & 7)) & 1;
}

static void bit_set(uint8_t *set, unsigned i)
{
	set[i >> 3] = (uint8_t)(set[i >> 3] | (1u << (i & 7)));
}

static bool starts_ci(struct pl a, const char *lit)
{
	size_t n = strlen(lit);

	return a.l >= n && pl_casecmp_eq(pl_make(a.p, n), pl_make(lit, n));
}

static enum sdp_dir dir_of(struct pl name)
{
	if (pl_casecmp_lit(name, "sendrecv"))
		return SDP_DIR_SENDRECV;
	if (pl_casecmp_lit(name, "sendonly"))
		return SDP_DIR_SENDONLY;
	if (pl_casecmp_lit(name, "recvonly"))
		return SDP_DIR_RECVONLY;
	if (pl_casecmp_lit(name, "inactive"))
		return SDP_DIR_INACTIVE;
	return SDP_DIR_NONE;
}

/* --- lines ---------------------------------------------------------------- */

struct pctx {
	struct sdp *s;
	struct sdp_media *m;  /* the section being read, NULL: session */
	struct pl ufrag, pwd; /* session-level ICE credentials */
	bool rtcp_seen;
	uint8_t rtpmap_seen[16]; /* payload types with an rtpmap */
};

static const char *parse_conn(struct pl v, struct sdp_conn *c)
{
	struct pl r = v, nt = field(&r), at = field(&r), addr = field(&r);
	struct pl suf = PL_NULL;
	ptrdiff_t k;
	uint32_t n;
	bool ip6;

	if (!addr.l || field(&r).l)
		return "c= is not IN <IP4|IP6> <address>";
	if (!pl_casecmp_lit(nt, "IN"))
		return "c= network type is not IN";
	if (pl_casecmp_lit(at, "IP4"))
		ip6 = false;
	else if (pl_casecmp_lit(at, "IP6"))
		ip6 = true;
	else
		return "c= address type is not IP4 or IP6";
	k = pl_find(addr, '/');
	if (k >= 0) {
		suf = pl_from(addr, (size_t)k + 1);
		addr.l = (size_t)k;
	}
	if (!is_addr(addr))
		return "c= address is not an IP address or host name";
	if (k >= 0) {
		/* IP4: /<ttl>[/<count>]; IP6: /<count> */
		ptrdiff_t k2 = pl_find(suf, '/');
		struct pl a = suf, b = PL_NULL;
		bool ok;
		if (k2 >= 0) {
			b = pl_from(suf, (size_t)k2 + 1);
			a.l = (size_t)k2;
		}
		if (ip6)
			ok = k2 < 0 && pl_u32(a, 65535, &n) && n >= 1;
		else
			ok = pl_u32(a, 255, &n) &&
			     (k2 < 0 || (pl_u32(b, 65535, &n) && n >= 1));
		if (!ok)
			return "c= address suffix is not /<ttl 0-255>[/<count "
			       "1-65535>] (IP4) or /<count 1-65535> (IP6)";
	}
	c->set = true;
	c->ip6 = ip6;
	c->addr = addr;
	return NULL;
}

static const char *parse_origin(struct pl v, struct sdp *s)
{
	struct pl r = v;
	struct pl user = field(&r), id = field(&r), ver = field(&r);
	struct pl nt = field(&r), at = field(&r), addr = field(&r);

	if (!addr.l || field(&r).l)
		return "o= does not have 6 fields";
	if (!is_nonws(user))
		return "o= username holds control characters";
	if (!is_digits(id, O_MAX_DIGITS))
		return "o= session id is not 1-" SDP_STR(
		        O_MAX_DIGITS) " digits";
	if (!is_digits(ver, O_MAX_DIGITS))
		return "o= session version is not 1-" SDP_STR(
		        O_MAX_DIGITS) " digits";
	if (!pl_casecmp_lit(nt, "IN"))
		return "o= network type is not IN";
	if (!pl_casecmp_lit(at, "IP4") && !pl_casecmp_lit(at, "IP6"))
		return "o= address type is not IP4 or IP6";
	if (!is_addr(addr))
		return "o= address is not an IP address or host name";
	s->o_user = user;
	s->o_id = id;
	s->o_ver = ver;
	s->o_addr = addr;
	return NULL;
}

/* b=<bwtype>:<bandwidth>, t=<start> <stop> */
static const char *check_other(char t, struct pl v)
{
	if (t == 'b') {
		ptrdiff_t k = pl_find(v, ':');
		uint32_t n;
		if (k < 0 || !is_token(pl_make(v.p, (size_t)k)) ||
		    !pl_u32(pl_from(v, (size_t)k + 1), UINT32_MAX, &n))
			return "b= is not <type>:<number 0-4294967295>";
	} else if (t == 't') {
		struct pl r = v, a = field(&r), b = field(&r);
		uint64_t n;
		if (!pl_u64(a, UINT64_MAX, &n) || !pl_u64(b, UINT64_MAX, &n) ||
		    field(&r).l)
			return "t= is not <start> <stop> (numbers)";
	}
	return NULL;
}

static const char *add_other(struct pctx *c, struct pl line, char t,
                             struct pl v)
{
	const char *why = check_other(t, v);

	if (why)
		return why;
	if (c->m) {
		if (c->m->n_other == SDP_MAX_LINES)
			return "more than " SDP_STR(
			        SDP_MAX_LINES) " i=, b=, k= lines in a media "
			                       "section";
		c->m->other[c->m->n_other++] = line;
	} else {
		if (c->s->n_other == SDP_MAX_LINES)
			return "more than " SDP_STR(
			        SDP_MAX_LINES) " session-level lines (i= u= e= "
			                       "p= b= t= r= z= k=)";
		c->s->other[c->s->n_other++] = line;
	}
	return NULL;
}

static const char *parse_mline(struct pl v, struct sdp_media *m)
{
	struct pl r = v, type = field(&r), port = field(&r), proto = field(&r);
	struct pl f;
	ptrdiff_t k;
	uint32_t n;

	if (!proto.l)
		return "m= is not <media> <port> <proto> <format>...";
	if (!is_token(type))
		return "m= media type is not a token";
	k = pl_find(port, '/');
	m->nports = 1;
	if (k >= 0) {
		if (!pl_u32(pl_from(port, (size_t)k + 1), 65535, &n) || !n)
			return "m= port count is not a number 1-65535";
		m->nports = (uint16_t)n;
		port.l = (size_t)k;
	}
	if (!pl_u32(port, 65535, &n))
		return "m= port is not a number 0-65535";
	m->port = (uint16_t)n;
	if (!is_proto(proto))
		return "m= proto is not <token>[/<token>...]";
	m->type = type;
	m->proto = proto;
	m->rtp = starts_ci(proto, "RTP/");
	for (size_t i = 0; !m->rtp && i + 5 <= proto.l; i++) {
		if (pl_casecmp_lit(pl_make(proto.p + i, 5), "/RTP/"))
			m->rtp = true;
	}
	while ((f = field(&r)).l) {
		if (m->n_fmts == SDP_MAX_FMTS)
			return "more than " SDP_STR(
			        SDP_MAX_FMTS) " formats on an m= line";
		if (!is_token(f))
			return "m= format is not a token";
		if (m->rtp) {
			if (!pl_u32(f, 127, &n))
				return "m= format is not a payload type 0-127";
			m->pt[m->n_fmts] = (uint8_t)n;
		}
		m->fmts[m->n_fmts++] = f;
	}
	if (!m->n_fmts)
		return "m= is not <media> <port> <proto> <format>...";
	return NULL;
}

/* <pt> <encoding>/<rate>[/<channels>] */
static const char *rtpmap_read(struct pl v, uint32_t *pt, struct pl *enc,
                               uint32_t *rate)
{
	static const char form[] =
	        "rtpmap is not <payload type> <encoding>/<rate>[/<channels>]";
	struct pl r = v, ptf = field(&r), desc = field(&r), e, rest, ratepl;
	ptrdiff_t k;
	uint32_t n;

	if (!pl_u32(ptf, 127, pt))
		return "rtpmap payload type is not a number 0-127";
	if (!desc.l || field(&r).l)
		return form;
	k = pl_find(desc, '/');
	if (k < 0)
		return form;
	e = pl_make(desc.p, (size_t)k);
	if (!is_token(e))
		return "rtpmap encoding name is not a token";
	rest = pl_from(desc, (size_t)k + 1);
	ratepl = rest;
	k = pl_find(rest, '/');
	if (k >= 0)
		ratepl.l = (size_t)k;
	if (!pl_u32(ratepl, UINT32_MAX, rate) || !*rate)
		return "rtpmap clock rate is not a number 1-4294967295";
	if (k >= 0 && (!pl_u32(pl_from(rest, (size_t)k + 1), 255, &n) || n < 1))
		return "rtpmap channels is not a number 1-255";
	*enc = e;
	return NULL;
}

/* lifetime = ["2^"] 1*DIGIT: 2^1-2^48 or 1-2^48 */
static bool lifetime_ok(struct pl a)
{
	uint64_t n;

	if (a.l > 2 && a.p[0] == '2' && a.p[1] == '^')
		return pl_u64(pl_from(a, 2), 48, &n) && n >= 1;
	return pl_u64(a, (uint64_t)1 << 48, &n) && n >= 1;
}

/* inline:<key>[|<lifetime>][|<mki>:<len>]; c NULL: only checked */
static const char *crypto_keyparam(struct pl kp, struct sdp_crypto *c)
{
	static const char form[] =
	        "crypto key param is not inline:<key>[|<lifetime>][|<mki>:"
	        "<length>]";
	ptrdiff_t k = pl_find(kp, ':');
	struct pl info, parts[3], key, life = PL_NULL;
	size_t n = 0;
	uint32_t mki = 0, mki_len = 0;

	if (k < 0)
		return form;
	if (!pl_casecmp_lit(pl_make(kp.p, (size_t)k), "inline"))
		return "crypto key method is not inline";
	info = pl_from(kp, (size_t)k + 1);
	for (;;) {
		ptrdiff_t b = pl_find(info, '|');
		if (n == 3)
			return form;
		if (b < 0) {
			parts[n++] = info;
			break;
		}
		parts[n++] = pl_make(info.p, (size_t)b);
		info = pl_from(info, (size_t)b + 1);
	}
	key = parts[0];
	if (key.l > CRYPTO_MAX_B64)
		return "crypto key longer than " SDP_STR(
		        CRYPTO_MAX_B64) " base64 characters";
	if (!b64_ok(key))
		return "crypto key is not base64";
	for (size_t i = 1; i < n; i++) {
		ptrdiff_t colon = pl_find(parts[i], ':');
		if (colon < 0) {
			if (i != 1)
				return form;
			if (!lifetime_ok(parts[i]))
				return "crypto lifetime is not 2^<1-48> or a "
				       "number 1-2^48";
			life = parts[i];
			continue;
		}
		if (i != n - 1)
			return form;
		if (!pl_u32(pl_make(parts[i].p, (size_t)colon), UINT32_MAX,
		            &mki) ||
		    !is_digits(pl_from(parts[i], (size_t)colon + 1), 3) ||
		    !pl_u32(pl_from(parts[i], (size_t)colon + 1), 128,
		            &mki_len) ||
		    !mki_len)
			return "crypto MKI is not <value 0-4294967295>:<length "
			       "1-128>";
		if (mki_len < 4 && (mki >> (8 * mki_len)) != 0)
			return "crypto MKI value does not fit in its length";
	}
	if (c) {
		c->key_b64 = key;
		c->lifetime = life;
		c->mki = mki;
		c->mki_len = (uint8_t)mki_len;
	}
	return NULL;
}

static const char *parse_crypto(struct pl v, struct sdp_crypto *c)
{
	struct pl r = v, tag = field(&r), suite = field(&r), keys = field(&r);
	struct pl rest;
	uint32_t t;
	size_t nk = 0;

	if (!is_digits(tag, 9) || !pl_u32(tag, 999999999, &t) || !t)
		return "crypto tag is not a number 1-999999999";
	if (!suite.l)
		return "crypto is not <tag> <suite> <key params> [<session "
		       "params>]";
	for (size_t i = 0; i < suite.l; i++) {
		char ch = suite.p[i];
		if (!is_alpha(ch) && !is_digit(ch) && ch != '_')
			return "crypto suite is not letters, digits and _";
	}
	if (!keys.l)
		return "crypto has no key params";
	for (;;) {
		ptrdiff_t k = pl_find(keys, ';');
		struct pl kp = keys;
		const char *why;
		if (k >= 0)
			kp.l = (size_t)k;
		if (++nk > CRYPTO_MAX_KEYS)
			return "crypto has more than " SDP_STR(
			        CRYPTO_MAX_KEYS) " key params";
		why = crypto_keyparam(kp, nk == 1 ? c : NULL);
		if (why)
			return why;
		if (k < 0)
			break;
		keys = pl_from(keys, (size_t)k + 1);
	}
	rest = skip_wsp(r);
	for (size_t i = 0; i < rest.l; i++) {
		unsigned char ch = (unsigned char)rest.p[i];
		if (!is_wsp(rest.p[i]) && (ch < 0x21 || ch > 0x7e))
			return "crypto session params are not visible "
			       "characters";
	}
	c->tag = t;
	c->suite = suite;
	c->n_keys = (uint8_t)nk;
	c->session_params = rest.l ? rest : PL_NULL;
	return NULL;
}

static const char *parse_candidate(struct pl v)
{
	struct pl r = v, f[8];
	uint32_t n;

	for (size_t i = 0; i < 8; i++)
		f[i] = field(&r);
	if (!is_ice(f[0], ICE_MAX_FOUND) || !pl_u32(f[1], 256, &n) || !n ||
	    !is_token(f[2]) || !pl_u32(f[3], UINT32_MAX, &n) ||
	    !is_addr(f[4]) || !pl_u32(f[5], 65535, &n) ||
	    !pl_casecmp_lit(f[6], "typ") || !is_token(f[7]))
		return "candidate is not <foundation> <component 1-256> "
		       "<transport> <priority 0-4294967295> <address> <port "
		       "0-65535> typ <type>";
	return NULL;
}

static const char *parse_rtcp(struct pl v, uint16_t *port)
{
	struct pl r = v, p = field(&r), nt = field(&r), at, addr;
	uint32_t n;

	if (!pl_u32(p, 65535, &n))
		return "rtcp port is not a number 0-65535";
	if (nt.l) {
		at = field(&r);
		addr = field(&r);
		if (!pl_casecmp_lit(nt, "IN") ||
		    (!pl_casecmp_lit(at, "IP4") &&
		     !pl_casecmp_lit(at, "IP6")) ||
		    !is_addr(addr) || field(&r).l)
			return "rtcp is not <port> [IN <IP4|IP6> <address>]";
	}
	*port = (uint16_t)n;
	return NULL;
}

static const char *media_attr(struct pctx *c, const struct sdp_attr *a)
{
	struct sdp_media *m = c->m;
	const char *why;
	uint32_t pt, rate;
	struct pl enc;

	if (pl_casecmp_lit(a->name, "rtpmap") && m->rtp) {
		why = rtpmap_read(a->value, &pt, &enc, &rate);
		if (why)
			return why;
		if (bit_get(c->rtpmap_seen, pt))
			return "two rtpmap lines for one payload type";
		bit_set(c->rtpmap_seen, pt);
	} else if (pl_casecmp_lit(a->name, "fmtp") && m->rtp) {
		struct pl r = a->value;
		if (!pl_u32(field(&r), 127, &pt))
			return "fmtp format is not a payload type 0-127";
	} else if (pl_casecmp_lit(a->name, "crypto")) {
		struct sdp_crypto *cr;
		if (m->n_crypto == SDP_MAX_CRYPTO)
			return "more than " SDP_STR(
			        SDP_MAX_CRYPTO) " a=crypto lines in a media "
			                        "section";
		cr = &m->crypto[m->n_crypto];
		why = parse_crypto(a->value, cr);
		if (why)
			return why;
		for (size_t i = 0; i < m->n_crypto; i++) {
			if (m->crypto[i].tag == cr->tag)
				return "two a=crypto lines with the same tag";
		}
		m->n_crypto++;
	} else if (pl_casecmp_lit(a->name, "rtcp-mux")) {
		m->rtcp_mux = true;
	} else if (pl_casecmp_lit(a->name, "rtcp")) {
		if (c->rtcp_seen)
			return "two a=rtcp lines in a media section";
		c->rtcp_seen = true;
		return parse_rtcp(a->value, &m->rtcp_port);
	} else if (pl_casecmp_lit(a->name, "candidate")) {
		why = parse_candidate(a->value);
		if (why)
			return why;
		m->n_candidates++;
	}
	return NULL;
}

static const char *parse_attr(struct pctx *c, struct pl v)
{
	struct sdp *s = c->s;
	struct sdp_media *m = c->m;
	struct sdp_attr a;
	ptrdiff_t k = pl_find(v, ':');
	enum sdp_dir d;
	bool ufrag;

	if (k >= 0) {
		a.name = pl_make(v.p, (size_t)k);
		a.value = pl_from(v, (size_t)k + 1);
	} else {
		a.name = v;
		a.value = PL_NULL;
	}
	if (!is_token(a.name))
		return "attribute name is not a token";
	if (m) {
		if (m->n_attrs == SDP_MAX_ATTRS)
			return "more than " SDP_STR(
			        SDP_MAX_ATTRS) " attributes in a media section";
		m->attrs[m->n_attrs++] = a;
	} else {
		if (s->n_attrs == SDP_MAX_ATTRS)
			return "more than " SDP_STR(
			        SDP_MAX_ATTRS) " session-level attributes";
		s->attrs[s->n_attrs++] = a;
	}

	d = dir_of(a.name);
	if (d != SDP_DIR_NONE) {
		enum sdp_dir *cur = m ? &m->dir : &s->dir;
		if (*cur != SDP_DIR_NONE && *cur != d)
			return "conflicting direction attributes";
		*cur = d;
		return NULL;
	}
	ufrag = pl_casecmp_lit(a.name, "ice-ufrag");
	if (ufrag || pl_casecmp_lit(a.name, "ice-pwd")) {
		struct pl *dst = ufrag ? (m ? &m->ice_ufrag : &c->ufrag)
		                       : (m ? &m->ice_pwd : &c->pwd);
		if (!is_ice(a.value, ICE_MAX_CHARS))
			return ufrag ? "ice-ufrag is not 1-" SDP_STR(
			                       ICE_MAX_CHARS) " ice characters"
			             : "ice-pwd is not 1-" SDP_STR(
			                       ICE_MAX_CHARS) " ice characters";
		if (dst->p)
			return ufrag ? "two a=ice-ufrag lines at one level"
			             : "two a=ice-pwd lines at one level";
		*dst = a.value;
		return NULL;
	}
	if (!m) {
		if (pl_casecmp_lit(a.name, "ice-lite"))
			s->ice_lite = true;
		return NULL;
	}
	return media_attr(c, &a);
}

static const char *start_media(struct pctx *c, struct pl v)
{
	struct sdp *s = c->s;

	if (s->n_media == SDP_MAX_MEDIA)
		return "more than " SDP_STR(SDP_MAX_MEDIA) " media sections";
	c->m = &s->media[s->n_media++];
	c->m->te_pt = -1;
	c->rtcp_seen = false;
	memset(c->rtpmap_seen, 0, sizeof(c->rtpmap_seen));
	return parse_mline(v, c->m);
}

static const char *parse_line(struct pctx *c, struct pl line, size_t idx)
{
	struct sdp *s = c->s;
	struct pl v;
	char t;

	if (memchr(line.p, '\0', line.l))
		return "NUL byte in a line";
	if (memchr(line.p, '\r', line.l))
		return "CR inside a line";
	if (line.l < 2 || line.p[1] != '=' || !is_alpha(line.p[0]))
		return "a line that is not <letter>=";
	t = line.p[0];
	if (t != 's') {
		while (line.l > 2 && is_wsp(line.p[line.l - 1]))
			line.l--;
	}
	v = pl_from(line, 2);

	if (idx == 0) {
		if (t != 'v')
			return "the first line is not v=";
		if (!pl_eq(v, PL("0")))
			return "v= version is not 0";
		return NULL;
	}
	if (idx == 1) {
		if (t != 'o')
			return "the second line is not o=";
		return parse_origin(v, s);
	}
	if (idx == 2) {
		if (t != 's')
			return "the third line is not s=";
		s->s_name = v;
		return NULL;
	}
	switch (t) {
	case 'v':
	case 'o':
	case 's':
		return "a second v=, o= or s= line";
	case 'm':
		return start_media(c, v);
	case 'c':
		if (c->m ? c->m->conn.set : s->conn.set)
			return c->m ? "two c= lines in a media section"
			            : "two c= lines at session level";
		return parse_conn(v, c->m ? &c->m->conn : &s->conn);
	case 'a':
		return parse_attr(c, v);
	case 'i':
	case 'b':
	case 'k':
		return add_other(c, line, t, v);
	case 'u':
	case 'e':
	case 'p':
	case 't':
	case 'r':
	case 'z':
		if (c->m)
			return "a session-level line (u= e= p= t= r= z=) "
			       "inside a media section";
		return add_other(c, line, t, v);
	default:
		return "unknown line type (not one of v o s i u e p c b t r z "
		       "k a m)";
	}
}

static const char *finish(struct pctx *c, size_t nlines)
{
	struct sdp *s = c->s;

	if (nlines == 0)
		return "empty body";
	if (nlines < 2)
		return "no o= line";
	if (nlines < 3)
		return "no s= line";
	if (!s->n_media)
		return "no m= line";
	for (size_t i = 0; i < s->n_media; i++) {
		struct sdp_media *m = &s->media[i];
		if (m->dir == SDP_DIR_NONE)
			m->dir = s->dir;
		if (!m->ice_ufrag.p)
			m->ice_ufrag = c->ufrag;
		if (!m->ice_pwd.p)
			m->ice_pwd = c->pwd;
		m->te_pt = -1;
		m->te_rate = 0;
		for (size_t j = 0; m->rtp && j < m->n_fmts; j++) {
			struct pl enc;
			uint32_t rate;
			if (sdp_rtpmap(m, m->pt[j], &enc, &rate) &&
			    pl_casecmp_lit(enc, "telephone-event")) {
				m->te_pt = m->pt[j];
				m->te_rate = rate;
				break;
			}
		}
	}
	return NULL;
}

int sdp_parse(struct pl body, struct sdp *out, const char **why)
{
	struct pctx c;
	const char *w = NULL;
	const char *p, *end;
	size_t nlines = 0;
	bool blank = false;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.s = out;
	if (!body.p || !body.l) {
		w = "empty body";
		goto fail;
	}
	p = body.p;
	end = body.p + body.l;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct pl line = pl_span(p, nl ? nl : end);
		p = nl ? nl + 1 : end;
		if (line.l && line.p[line.l - 1] == '\r')
			line.l--;
		if (!line.l) {
			blank = true;
			continue;
		}
		if (blank) {
			w = "empty line before the end of the body";
			goto fail;
		}
		w = parse_line(&c, line, nlines++);
		if (w)
			goto fail;
	}
	w = finish(&c, nlines);
	if (!w)
		return 0;
fail:
	if (why)
		*why = w;
	return -1;
}

/* --- queries -------------------------------------------------------------- */

struct sdp_conn sdp_media_conn(const struct sdp *s, size_t i)
{
	struct sdp_conn none = {false, false, PL_NULL};

	if (!s || i >= s->n_media || i >= SDP_MAX_MEDIA)
		return none;
	if (s->media[i].conn.set)
		return s->media[i].conn;
	return s->conn.set ? s->conn : none;
}

bool sdp_rtpmap(const struct sdp_media *m, uint8_t pt, struct pl *enc,
                uint32_t *rate)
{
	if (!m)
		return false;
	for (size_t i = 0; i < m->n_attrs && i < SDP_MAX_ATTRS; i++) {
		const struct sdp_attr *a = &m->attrs[i];
		struct pl e;
		uint32_t p, r;
		if (!pl_casecmp_lit(a->name, "rtpmap") || !a->value.p)
			continue;
		if (rtpmap_read(a->value, &p, &e, &r) || p != pt)
			continue;
		if (enc)
			*enc = e;
		if (rate)
			*rate = r;
		return true;
	}
	return false;
}

size_t sdp_crypto_key(const struct sdp_crypto *c, uint8_t *out, size_t cap)
{
	char in[CRYPTO_MAX_B64 + 4];
	unsigned char dec[CRYPTO_MAX_B64 / 4 * 3 + 3];
	size_t n, pad = 0;
	int r;

	if (!c || !b64_ok(c->key_b64))
		return 0;
	n = c->key_b64.l;
	memcpy(in, c->key_b64.p, n);
	while (n % 4) /* unpadded base64: pad it for EVP_DecodeBlock */
		in[n++] = '=';
	while (pad < n && in[n - 1 - pad] == '=')
		pad++;
	/* EVP_DecodeBlock counts 3 bytes per 4 characters, the padding's
	 * zeros included: the key is that minus one byte per '=' */
	r = EVP_DecodeBlock(dec, (const unsigned char *)in, (int)n);
	if (r < 0 || (size_t)r < pad) {
		OPENSSL_cleanse(dec, sizeof(dec));
		return 0;
	}
	n = (size_t)r - pad;
	if (!n || n > cap || !out) {
		OPENSSL_cleanse(dec, sizeof(dec));
		return 0;
	}
	memcpy(out, dec, n);
	OPENSSL_cleanse(dec, sizeof(dec));
	OPENSSL_cleanse(in, sizeof(in));
	return n;
}

/* --- writing -------------------------------------------------------------- */

struct wbuf {
	char *p;
	size_t cap, len;
	bool over;
};

static void w_bytes(struct wbuf *w, const char *s, size_t n)
{
	if (w->over || !n)
		return;
	if (n > w->cap - w->len) {
		w->over = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void w_str(struct wbuf *w, const char *s)
{
	w_bytes(w, s, strlen(s));
}

static void w_pl(struct wbuf *w, struct pl a)
{
	if (a.p)
		w_bytes(w, a.p, a.l);
}

static void w_u64(struct wbuf *w, uint64_t v)
{
	char b[20];
	size_t i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	w_bytes(w, b + i, sizeof(b) - i);
}

static void w_crlf(struct wbuf *w)
{
	w_bytes(w, "\r\n", 2);
}

static void w_line(struct wbuf *w, struct pl line)
{
	w_pl(w, line);
	w_crlf(w);
}

static void w_attr(struct wbuf *w, const struct sdp_attr *a)
{
	w_str(w, "a=");
	w_pl(w, a->name);
	if (a->value.p) {
		w_bytes(w, ":", 1);
		w_pl(w, a->value);
	}
	w_crlf(w);
}

static void w_conn(struct wbuf *w, bool ip6, const char *addr, struct pl a)
{
	w_str(w, ip6 ? "c=IN IP6 " : "c=IN IP4 ");
	if (addr)
		w_str(w, addr);
	else
		w_pl(w, a);
	w_crlf(w);
}

/* The input's other lines whose type letter is in `types`, in order. */
static void w_others(struct wbuf *w, const struct pl *other, size_t n,
                     const char *types)
{
	for (size_t i = 0; i < n; i++) {
		for (const char *t = types; other[i].l && *t; t++) {
			if (other[i].p[0] == *t) {
				w_line(w, other[i]);
				break;
			}
		}
	}
}

/* Attributes that describe the other leg's endpoint rather than the
 * session: its SSRCs' CNAME (RFC 5576 a=ssrc carries "user@host" of the
 * other side: topology), its media stream ids, its software. Dropped. */
static bool topology_attr(struct pl name)
{
	return pl_casecmp_lit(name, "ssrc") ||
	       pl_casecmp_lit(name, "ssrc-group") ||
	       pl_casecmp_lit(name, "msid") ||
	       pl_casecmp_lit(name, "msid-semantic") ||
	       pl_casecmp_lit(name, "tool");
}

static bool session_attr_replaced(struct pl name)
{
	return starts_ci(name, "ice-") || pl_casecmp_lit(name, "fingerprint") ||
	       pl_casecmp_lit(name, "setup") || pl_casecmp_lit(name, "group") ||
	       topology_attr(name);
}

static bool media_attr_replaced(struct pl name)
{
	static const char *const names[] = {
	        "crypto", "candidate", "end-of-candidates",
	        "rtcp",   "rtcp-mux",  "fingerprint",
	        "setup",
	};
	if (topology_attr(name))
		return true;

	if (starts_ci(name, "ice-") || dir_of(name) != SDP_DIR_NONE)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (pl_casecmp_lit(name, names[i]))
			return true;
	}
	return false;
}

static const char *dir_name(enum sdp_dir d)
{
	switch (d) {
	case SDP_DIR_SENDRECV:
		return "sendrecv";
	case SDP_DIR_SENDONLY:
		return "sendonly";
	case SDP_DIR_RECVONLY:
		return "recvonly";
	case SDP_DIR_INACTIVE:
		return "inactive";
	case SDP_DIR_NONE:
		break;
	}
	return NULL;
}

static void w_rejected(struct wbuf *w, const struct sdp_media *m)
{
	w_str(w, "m=");
	w_pl(w, m->type);
	w_str(w, " 0 ");
	w_pl(w, m->proto);
	for (size_t i = 0; i < m->n_fmts; i++) {
		w_bytes(w, " ", 1);
		w_pl(w, m->fmts[i]);
	}
	w_crlf(w);
}

/* The payload types written for an RTP section, in order, as output
 * numbers; kept: the input payload types they come from. With te_from ->
 * te_to renumbering, the input's own te_to (another format) cannot stay
 * and a te_to in o->pts names the telephone-event. */
static size_t kept_pts(const struct sdp_media *m,
                       const struct sdp_media_out *mo, bool renum,
                       uint8_t *list, uint8_t *kept)
{
	uint8_t in[16] = {0};
	const uint8_t *src = mo->n_pts ? mo->pts : m->pt;
	size_t n_src = mo->n_pts ? mo->n_pts : m->n_fmts, n = 0;

	for (size_t i = 0; i < m->n_fmts; i++)
		bit_set(in, m->pt[i]);
	for (size_t i = 0; src && i < n_src && n < SDP_MAX_FMTS; i++) {
		uint8_t p = src[i];
		if (p > 127)
			continue;
		if (renum && p == mo->te_to) {
			if (!mo->n_pts)
				continue;
			p = (uint8_t)mo->te_from;
		}
		if (!bit_get(in, p) || bit_get(kept, p))
			continue;
		bit_set(kept, p);
		list[n++] =
		        (renum && p == mo->te_from) ? (uint8_t)mo->te_to : p;
	}
	return n;
}

static void w_media(struct wbuf *w, const struct sdp *in, size_t idx,
                    const struct sdp_out *o)
{
	const struct sdp_media *m = &in->media[idx];
	const struct sdp_media_out *mo = &o->media[idx];
	uint8_t list[SDP_MAX_FMTS], kept[16] = {0};
	size_t n = 0;
	bool renum = false;
	const char *dir;

	if (mo->reject) {
		w_rejected(w, m);
		return;
	}
	if (m->rtp) {
		if (mo->te_from >= 0 && mo->te_from <= 127 && mo->te_to >= 0 &&
		    mo->te_to <= 127 && mo->te_from != mo->te_to) {
			for (size_t i = 0; i < m->n_fmts; i++) {
				if (m->pt[i] == mo->te_from)
					renum = true;
			}
		}
		n = kept_pts(m, mo, renum, list, kept);
		if (!n) { /* none of the payload types asked for */
			w_rejected(w, m);
			return;
		}
	}

	w_str(w, "m=");
	w_pl(w, m->type);
	w_bytes(w, " ", 1);
	w_u64(w, mo->port);
	w_bytes(w, " ", 1);
	if (mo->proto)
		w_str(w, mo->proto);
	else
		w_pl(w, m->proto);
	for (size_t i = 0; i < (m->rtp ? n : m->n_fmts); i++) {
		w_bytes(w, " ", 1);
		if (m->rtp)
			w_u64(w, list[i]);
		else
			w_pl(w, m->fmts[i]);
	}
	w_crlf(w);
	w_others(w, m->other, m->n_other, "i");
	if (o->addr)
		w_conn(w, o->ip6, o->addr, PL_NULL);
	else if (m->conn.set)
		w_conn(w, m->conn.ip6, NULL, m->conn.addr);
	w_others(w, m->other, m->n_other, "bk");

	dir = dir_name(mo->dir);
	for (size_t i = 0; i < m->n_attrs; i++) {
		const struct sdp_attr *a = &m->attrs[i];
		bool map = pl_casecmp_lit(a->name, "rtpmap"),
		     fmtp = pl_casecmp_lit(a->name, "fmtp");
		if (!dir && dir_of(a->name) != SDP_DIR_NONE)
			dir = dir_name(dir_of(a->name)); /* the input's own */
		if (media_attr_replaced(a->name))
			continue;
		if (m->rtp && (map || fmtp) && a->value.p) {
			struct pl r = a->value, ptf = field(&r);
			uint32_t pt;
			if (!pl_u32(ptf, 127, &pt) || !bit_get(kept, pt))
				continue; /* not a payload type kept */
			if (renum && pt == (uint32_t)mo->te_from) {
				w_str(w, map ? "a=rtpmap:" : "a=fmtp:");
				w_u64(w, (uint64_t)mo->te_to);
				w_pl(w, r);
				w_crlf(w);
				continue;
			}
		}
		w_attr(w, a);
	}
	if (dir) {
		w_str(w, "a=");
		w_str(w, dir);
		w_crlf(w);
	}
	if (mo->rtcp_port) {
		w_str(w, "a=rtcp:");
		w_u64(w, mo->rtcp_port);
		w_crlf(w);
	}
	if (mo->rtcp_mux)
		w_str(w, "a=rtcp-mux\r\n");
	for (size_t i = 0; mo->crypto && i < mo->n_crypto; i++) {
		if (!mo->crypto[i])
			continue;
		w_str(w, "a=crypto:");
		w_str(w, mo->crypto[i]);
		w_crlf(w);
	}
	if (mo->ice_ufrag) {
		w_str(w, "a=ice-ufrag:");
		w_str(w, mo->ice_ufrag);
		w_crlf(w);
	}
	if (mo->ice_pwd) {
		w_str(w, "a=ice-pwd:");
		w_str(w, mo->ice_pwd);
		w_crlf(w);
	}
	for (size_t i = 0; mo->candidates && i < mo->n_candidates; i++) {
		if (!mo->candidates[i])
			continue;
		w_str(w, "a=candidate:");
		w_str(w, mo->candidates[i]);
		w_crlf(w);
	}
}

/* Counts within their caps (a struct sdp_parse filled always is). */
static bool sane(const struct sdp *in)
{
	if (in->n_media > SDP_MAX_MEDIA || in->n_other > SDP_MAX_LINES ||
	    in->n_attrs > SDP_MAX_ATTRS)
		return false;
	for (size_t i = 0; i < in->n_media; i++) {
		const struct sdp_media *m = &in->media[i];
		if (m->n_fmts > SDP_MAX_FMTS || m->n_attrs > SDP_MAX_ATTRS ||
		    m->n_other > SDP_MAX_LINES || m->n_crypto > SDP_MAX_CRYPTO)
			return false;
		for (size_t j = 0; m->rtp && j < m->n_fmts; j++) {
			if (m->pt[j] > 127)
				return false;
		}
	}
	return true;
}

size_t sdp_write(const struct sdp *in, const struct sdp_out *o, char *out,
                 size_t cap)
{
	struct wbuf w = {out, cap, 0, false};
	bool has_t = false;

	if (!in || !o || !out || !cap || !sane(in))
		return 0;

	w_str(&w, "v=0\r\no=");
	if (o->o_user)
		w_str(&w, o->o_user);
	else
		w_pl(&w, in->o_user);
	w_bytes(&w, " ", 1);
	w_u64(&w, o->o_id);
	w_bytes(&w, " ", 1);
	w_u64(&w, o->o_ver);
	if (o->addr) {
		w_str(&w, o->ip6 ? " IN IP6 " : " IN IP4 ");
		w_str(&w, o->addr);
	} else {
		w_str(&w,
		      pl_find(in->o_addr, ':') >= 0 ? " IN IP6 " : " IN IP4 ");
		w_pl(&w, in->o_addr);
	}
	w_crlf(&w);
	w_str(&w, "s=");
	if (in->s_name.l)
		w_pl(&w, in->s_name);
	else
		w_bytes(&w, " ", 1); /* RFC 8866 5.3: "s= " when unnamed */
	w_crlf(&w);

	/* RFC 8866 order: i u e p, c, b, t r, z k */
	w_others(&w, in->other, in->n_other, "iuep");
	if (o->addr)
		w_conn(&w, o->ip6, o->addr, PL_NULL);
	else if (in->conn.set)
		w_conn(&w, in->conn.ip6, NULL, in->conn.addr);
	w_others(&w, in->other, in->n_other, "b");
	for (size_t i = 0; i < in->n_other; i++) {
		if (in->other[i].l && in->other[i].p[0] == 't')
			has_t = true;
	}
	if (!has_t)
		w_str(&w, "t=0 0\r\n");
	w_others(&w, in->other, in->n_other, "tr");
	w_others(&w, in->other, in->n_other, "zk");

	for (size_t i = 0; i < in->n_attrs; i++) {
		if (!session_attr_replaced(in->attrs[i].name))
			w_attr(&w, &in->attrs[i]);
	}
	if (o->ice_lite)
		w_str(&w, "a=ice-lite\r\n");

	for (size_t i = 0; i < in->n_media; i++)
		w_media(&w, in, i, o);

	if (w.over)
		return 0;
	if (w.len < cap)
		out[w.len] = '\0';
	return w.len;
}
