/* media.c: the B2BUA's side of media anchoring. Every SDP that crosses a
 * call is rewritten for the leg it goes to (our address, the leg's own
 * relay port, our SDES keys for that leg, ICE-lite lines toward trunks
 * that want them), and every SDP that arrives sets up that leg's relay
 * endpoint (the peer's address, the key it sends with, its direction).
 *
 * Offer/answer (RFC 3264) per leg: a request body (INVITE, UPDATE) is an
 * offer, a response body an answer. A leg's endpoint is linked to its
 * partner's (l->mpeer) when an answer arrives on it: media flows from
 * then on (early media on a 183 too). Only the first audio stream is
 * anchored; other streams are refused (port 0) on both legs.
 *
 * Keys (RFC 4568): trunkbridge makes its own master key per leg and suite
 * (OpenSSL RAND) and keeps it for the leg's life, so a re-INVITE does not
 * restart the peer's SRTP context; a peer's new key replaces the context
 * that decrypts it.
 *
 * Nothing of one leg's SDP that names an address, a port or a key reaches
 * the other: c=, o=, m= ports, a=rtcp, a=crypto, ICE lines are ours.
 */
#include "b2b/b2b_int.h"
#include "base/clock.h"
#include "base/log.h"
#include "media/relay.h"
#include "media/sdp.h"
#include "media/srtp.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ORIGIN_USER "trunkbridge"

struct leg_media {
	struct mep *ep;
	/* what this leg uses (set by its offer, or by its answer to ours) */
	bool srtp;
	uint8_t suite;       /* enum srtp_suite of our key toward the leg */
	uint32_t answer_tag; /* the tag of its offer's crypto we took */
	uint8_t rx_key[SRTP_MAX_KEY_SALT]; /* the key it sends with */
	size_t rx_len;
	uint8_t rx_suite;
	/* our master keys toward this leg, per suite, made when first used */
	uint8_t key[SRTP_SUITE_COUNT][SRTP_MAX_KEY_SALT];
	uint16_t have_key;  /* bit per suite */
	uint16_t tx_suites; /* suites whose context is set on the endpoint */
	bool peer_ice;      /* its last offer had ICE lines */
	bool peer_mux;      /* its last offer had a=rtcp-mux */
	bool hold;          /* it stated a direction other than sendrecv */
	/* offer/answer on this leg: its last exchange started with its
	 * offer (our SDP to it is an answer); we sent an offer it has not
	 * answered yet */
	bool they_offered, we_offered;
	int te_pt; /* its telephone-event payload type, -1 none */
	char ufrag[9], pwd[25];
	uint64_t o_id, o_ver;
	char *last; /* the last SDP sent to it (o= version rule) */
	size_t last_len;
};

static const struct srtp_suite_info *suite(uint8_t s)
{
	return srtp_suite_info((enum srtp_suite)s);
}

bool b2b_media_on(const struct call *c)
{
	return c->cfg && c->cfg->media.enabled && c->b->media;
}

static void random_chars(char *out, size_t n)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	                          "QRSTUVWXYZ0123456789+/";
	unsigned char r[32];
	if (n > sizeof(r) || RAND_bytes(r, (int)n) != 1)
		memset(r, 0, sizeof(r)); /* still unique enough per leg */
	for (size_t i = 0; i < n; i++)
		out[i] = set[r[i] % 64];
	out[n] = '\0';
}

static struct leg_media *md_of(struct leg *l)
{
	if (l->md)
		return l->md;
	struct leg_media *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	uint8_t r[8];
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 1, sizeof(r));
	for (size_t i = 0; i < 6; i++) /* fits in 48 bits: plain digits */
		d->o_id = (d->o_id << 8) | r[i];
	d->o_ver = 1;
	d->te_pt = -1;
	random_chars(d->ufrag, 8);
	random_chars(d->pwd, 24);
	l->md = d;
	return d;
}

/* The leg's endpoint, made on first use; NULL when out of ports. */
static struct mep *ep_of(struct call *c, struct leg *l)
{
	struct leg_media *d = md_of(l);
	if (!d)
		return NULL;
	if (!d->ep) {
		d->ep = mep_new(c->b->media);
		if (!d->ep) {
			tb_log("error", "media_ports_exhausted",
			       "call=%s free_pairs=%u", c->id,
			       (unsigned)media_engine_free_pairs(c->b->media));
			return NULL;
		}
		if (l->trunk && l->trunk->ice == CFG_ICE_LITE)
			mep_set_ice(d->ep, d->ufrag, d->pwd);
	}
	return d->ep;
}

int b2b_media_prepare(struct call *c, struct leg *l)
{
	if (!b2b_media_on(c))
		return 0;
	return ep_of(c, l) ? 0 : -1;
}

void b2b_media_free(struct leg *l)
{
	struct leg_media *d = l->md;
	if (!d)
		return;
	if (d->ep)
		mep_free(d->ep);
	free(d->last);
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
	l->md = NULL;
}

/* Our key toward leg d for suite s (made once). */
static const uint8_t *our_key(struct leg_media *d, uint8_t s)
{
	const struct srtp_suite_info *si = suite(s);
	if (!(d->have_key & (1u << s))) {
		if (RAND_bytes(d->key[s], si->key_len + si->salt_len) != 1)
			return NULL;
		d->have_key |= (uint16_t)(1u << s);
	}
	return d->key[s];
}

/* Set the endpoint's tx context to our key of suite s (once per suite:
 * a second set would restart the stream's ROC and index). */
static void set_tx(struct leg_media *d, uint8_t s)
{
	const uint8_t *k = our_key(d, s);
	if (!k || !d->ep)
		return;
	if (d->srtp && d->suite == s && (d->tx_suites & (1u << s)))
		return;
	struct srtp_ctx *ctx = srtp_ctx_new((enum srtp_suite)s, k, NULL, 0);
	mep_set_tx_srtp(d->ep, ctx);
	d->tx_suites = (uint16_t)(1u << s);
	d->suite = s;
	d->srtp = true;
}

static void set_plain(struct leg_media *d)
{
	if (d->ep) {
		mep_set_tx_srtp(d->ep, NULL);
		mep_set_rx_srtp(d->ep, NULL);
	}
	d->srtp = false;
	d->tx_suites = 0;
	d->rx_len = 0;
}

/* The peer's key for what it sends; a context only when it changed. */
static int set_rx(struct leg_media *d, uint8_t s, const struct sdp_crypto *cr)
{
	uint8_t key[64];
	const struct srtp_suite_info *si = suite(s);
	size_t n = sdp_crypto_key(cr, key, sizeof(key));
	if (n != (size_t)si->key_len + si->salt_len)
		return -1;
	if (d->rx_len == n && d->rx_suite == s && !memcmp(d->rx_key, key, n))
		return 0;
	uint8_t mki[4];
	for (size_t i = 0; i < cr->mki_len && i < 4; i++)
		mki[i] = (uint8_t)(cr->mki >> (8 * (cr->mki_len - 1 - i)));
	struct srtp_ctx *ctx =
	        srtp_ctx_new((enum srtp_suite)s, key, cr->mki_len ? mki : NULL,
	                     cr->mki_len > 4 ? 4 : cr->mki_len);
	if (!ctx) {
		OPENSSL_cleanse(key, sizeof(key));
		return -1;
	}
	mep_set_rx_srtp(d->ep, ctx);
	memcpy(d->rx_key, key, n);
	OPENSSL_cleanse(key, sizeof(key));
	d->rx_len = n;
	d->rx_suite = s;
	return 0;
}

static bool trunk_has_suite(const struct cfg_trunk *t, uint8_t s)
{
	for (size_t i = 0; i < t->n_srtp_suites; i++)
		if (t->srtp_suites[i] == s)
			return true;
	return false;
}

/* The first audio stream with a port (the one we anchor), or -1. */
static int audio_index(const struct sdp *s)
{
	for (size_t i = 0; i < s->n_media; i++)
		if (pl_casecmp_lit(s->media[i].type, "audio") &&
		    s->media[i].rtp)
			return (int)i;
	return -1;
}

static bool conn_sockaddr(struct sdp_conn cn, uint16_t port,
                          struct sockaddr_storage *ss, socklen_t *len,
                          bool *zero)
{
	char ip[64];
	*zero = false;
	if (!cn.set || cn.addr.l == 0 || cn.addr.l >= sizeof(ip))
		return false;
	memcpy(ip, cn.addr.p, cn.addr.l);
	ip[cn.addr.l] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!cn.ip6) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1)
			return false;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		*zero = sin->sin_addr.s_addr == 0;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			return false;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		static const uint8_t any[16];
		*zero = !memcmp(&s6->sin6_addr, any, 16);
	}
	return true;
}

static bool is_savp(struct pl proto)
{
	return proto.l >= 4 && !memcmp(proto.p + proto.l - 4, "SAVP", 4);
}

/* The stream's direction as the peer means it (c=0.0.0.0: inactive). */
static enum sdp_dir peer_dir(const struct sdp_media *m, bool zero)
{
	if (zero)
		return SDP_DIR_INACTIVE;
	return m->dir == SDP_DIR_NONE ? SDP_DIR_SENDRECV : m->dir;
}

int b2b_media_in(struct call *c, struct leg *l, const struct sip_msg *m,
                 bool offer, const char **why)
{
	static struct sdp sdp; /* one loop, one message at a time */
	const char *perr = NULL;

	*why = NULL;
	if (!b2b_media_on(c) || !m || !m->body.l)
		return 0;
	if (sdp_parse(m->body, &sdp, &perr) != 0) {
		*why = perr ? perr : "unreadable SDP";
		return -1;
	}
	struct leg_media *d = md_of(l);
	struct mep *ep = ep_of(c, l);
	if (!d || !ep) {
		*why = "no media port free";
		return -2;
	}
	int ai = audio_index(&sdp);
	if (ai < 0) {
		*why = "no audio stream (RTP) in the SDP";
		return -1;
	}
	const struct sdp_media *am = &sdp.media[ai];
	const struct cfg_trunk *t = l->trunk;
	bool must = t->media_encryption == CFG_MEDIA_SRTP;

	/* crypto */
	if (offer) {
		const struct sdp_crypto *pick = NULL;
		uint8_t ps = 0;
		for (size_t i = 0;
		     is_savp(am->proto) && i < am->n_crypto && !pick; i++) {
			enum srtp_suite s;
			if (!srtp_suite_by_name(am->crypto[i].suite, &s) ||
			    !trunk_has_suite(t, (uint8_t)s) ||
			    am->crypto[i].n_keys != 1)
				continue;
			pick = &am->crypto[i];
			ps = (uint8_t)s;
		}
		if (!pick && (must || is_savp(am->proto))) {
			*why = am->n_crypto == 0
			               ? "SRTP required: the offer has no "
			                 "a=crypto (SDES)"
			               : "SRTP required: no a=crypto with a "
			                 "suite "
			                 "this trunk takes (srtp_suites)";
			if (!must && !am->n_crypto)
				*why = "RTP/SAVP without a=crypto";
			return -1;
		}
		if (pick) {
			if (set_rx(d, ps, pick) != 0) {
				*why = "a=crypto key of the wrong length";
				return -1;
			}
			d->answer_tag = pick->tag;
			set_tx(d, ps);
		} else {
			set_plain(d);
		}
		d->peer_ice = pl_isset(am->ice_ufrag);
		d->they_offered = true;
		d->peer_mux = am->rtcp_mux;
	} else if (d->have_key && is_savp(am->proto) && am->port) {
		/* its answer to our offer: the tag says which of our lines */
		const struct sdp_crypto *cr = NULL;
		for (size_t i = 0; i < am->n_crypto && !cr; i++)
			if (am->crypto[i].tag >= 1 &&
			    am->crypto[i].tag <= t->n_srtp_suites)
				cr = &am->crypto[i];
		enum srtp_suite s;
		if (!cr || !srtp_suite_by_name(cr->suite, &s) ||
		    (uint8_t)s != t->srtp_suites[cr->tag - 1]) {
			*why = "the answer's a=crypto matches none we offered";
			return -1;
		}
		if (set_rx(d, (uint8_t)s, cr) != 0) {
			*why = "a=crypto key of the wrong length";
			return -1;
		}
		set_tx(d, (uint8_t)s);
	} else if (!offer && am->port) {
		if (must) {
			*why = "SRTP required: the answer has no a=crypto";
			return -1;
		}
		set_plain(d);
	}

	/* where it wants media, and in which direction */
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	bool zero = false;
	bool addr_ok =
	        am->port && conn_sockaddr(sdp_media_conn(&sdp, (size_t)ai),
	                                  am->port, &ss, &sl, &zero);
	if (addr_ok && !zero)
		mep_set_remote(ep, (struct sockaddr *)&ss, sl,
		               am->rtcp_port ? am->rtcp_port
		                             : (uint16_t)(am->port + 1),
		               am->rtcp_mux);
	enum sdp_dir dir = peer_dir(am, zero || !am->port);
	d->hold = dir != SDP_DIR_SENDRECV;
	mep_set_recv(ep, dir == SDP_DIR_SENDRECV || dir == SDP_DIR_SENDONLY);
	d->te_pt = am->te_pt;
	uint32_t rate = 8000;
	struct pl enc;
	if (am->n_fmts && sdp_rtpmap(am, am->pt[0], &enc, &rate) && !rate)
		rate = 8000;
	mep_set_clock_rate(ep, rate);

	if (!offer)
		d->we_offered = false;
	/* an answer: media flows between this leg and its partner now */
	if (!offer && l->mpeer) {
		struct leg_media *pd = md_of(l->mpeer);
		struct mep *pep = pd ? ep_of(c, l->mpeer) : NULL;
		if (pep) {
			mep_link(ep, pep);
			l->mpeer->mpeer = l;
		}
	}
	return 0;
}

/* Payload types of m, each once (F12: unique payload types). */
static size_t unique_pts(const struct sdp_media *m, uint8_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_fmts; i++) {
		bool dup = false;
		for (size_t j = 0; j < n; j++)
			dup |= out[j] == m->pt[i];
		if (!dup)
			out[n++] = m->pt[i];
	}
	return n;
}

/* An SDP with every stream refused (no port to give). */
static struct pl refuse_all(struct call *c, const struct sdp *in)
{
	static struct sdp_out o;
	memset(&o, 0, sizeof(o));
	o.o_user = ORIGIN_USER;
	o.o_id = 1;
	o.o_ver = 1;
	o.addr = c->cfg->media.public_address.text;
	o.ip6 = c->cfg->media.public_address.family == 6;
	for (size_t i = 0; i < in->n_media; i++)
		o.media[i].reject = true;
	size_t n = sdp_write(in, &o, c->b->sdp, B2B_MSG_MAX);
	return pl_make(c->b->sdp, n);
}

struct pl b2b_media_out(struct call *c, struct leg *to, struct pl body,
                        bool answer)
{
	static struct sdp in;
	static struct sdp_out o;
	const char *why = NULL;

	if (sdp_parse(body, &in, &why) != 0) {
		tb_log("warn", "sdp_unreadable", "call=%s reason=\"%s\"", c->id,
		       why ? why : "?");
		return PL_NULL;
	}
	struct leg *from = to->mpeer;
	struct leg_media *d = md_of(to);
	struct mep *ep = ep_of(c, to);
	if (!d || !ep)
		return refuse_all(c, &in);
	struct leg_media *fd = from ? md_of(from) : NULL;
	struct mep *fep = fd ? fd->ep : NULL;
	const struct cfg_trunk *t = to->trunk;
	const struct cfg_media *cm = &c->cfg->media;
	/* a response's SDP to a leg that made no offer (an INVITE without
	 * SDP: RFC 3264 delayed offer) is our offer; its ACK answers */
	if (answer && !d->they_offered)
		answer = false;
	if (!answer) {
		/* the exchange on this leg is ours now (a 183 and its 200
		 * both answer the leg's last offer: they_offered stays) */
		d->we_offered = true;
		d->they_offered = false;
	}

	memset(&o, 0, sizeof(o));
	o.o_user = ORIGIN_USER;
	o.o_id = d->o_id;
	o.o_ver = d->o_ver;
	o.addr = cm->public_address.text;
	o.ip6 = cm->public_address.family == 6;
	int ai = audio_index(&in);
	bool ice = t->ice == CFG_ICE_LITE && (!answer || d->peer_ice);
	o.ice_lite = ice;

	static char crypto[SRTP_SUITE_COUNT][128];
	static const char *cptr[SRTP_SUITE_COUNT];
	static char cand[2][128];
	static const char *candp[2];
	static uint8_t pts[SDP_MAX_FMTS];
	uint16_t port = mep_port(ep);
	size_t nc = 0;
	for (size_t i = 0; i < in.n_media; i++) {
		struct sdp_media_out *mo = &o.media[i];
		const struct sdp_media *im = &in.media[i];
		if ((int)i != ai || !im->port) {
			mo->reject = true;
			continue;
		}
		mo->port = port;
		mo->te_from = mo->te_to = -1;
		mo->n_pts = unique_pts(im, pts);
		mo->pts = pts;
		/* crypto: an offer lists the trunk's suites (tags 1..n); an
		 * answer takes the offer's tag and suite */
		if (!answer) {
			bool srtp = t->media_encryption == CFG_MEDIA_SRTP;
			mo->proto = srtp ? "RTP/SAVP" : "RTP/AVP";
			for (size_t k = 0; srtp && k < t->n_srtp_suites; k++) {
				uint8_t s = t->srtp_suites[k];
				const uint8_t *key = our_key(d, s);
				const struct srtp_suite_info *si = suite(s);
				char b64[80];
				if (!key)
					continue;
				EVP_EncodeBlock((unsigned char *)b64, key,
				                si->key_len + si->salt_len);
				snprintf(crypto[nc], sizeof(crypto[nc]),
				         "%zu %s inline:%s", k + 1, si->name,
				         b64);
				cptr[nc] = crypto[nc];
				nc++;
			}
			mo->rtcp_mux = true;
			mo->rtcp_port = (uint16_t)(port + 1);
		} else {
			mo->proto = d->srtp ? "RTP/SAVP" : "RTP/AVP";
			if (d->srtp) {
				const struct srtp_suite_info *si =
				        suite(d->suite);
				const uint8_t *key = our_key(d, d->suite);
				char b64[80];
				if (key) {
					EVP_EncodeBlock(
					        (unsigned char *)b64, key,
					        si->key_len + si->salt_len);
					snprintf(crypto[0], sizeof(crypto[0]),
					         "%u %s inline:%s",
					         (unsigned)d->answer_tag,
					         si->name, b64);
					cptr[0] = crypto[0];
					nc = 1;
				}
			}
			mo->rtcp_mux = d->peer_mux;
			mo->rtcp_port = d->peer_mux ? 0 : (uint16_t)(port + 1);
		}
		mo->crypto = cptr;
		mo->n_crypto = nc;
		/* telephone-event: the number this leg uses */
		int want = answer ? d->te_pt : t->dtmf_payload;
		if (im->te_pt >= 0 && want >= 0 && want != im->te_pt) {
			bool taken = false;
			for (size_t k = 0; k < mo->n_pts; k++)
				taken |= pts[k] == want;
			if (!taken) {
				mo->te_from = im->te_pt;
				mo->te_to = want;
				mep_map_pt(ep, (uint8_t)im->te_pt,
				           (uint8_t)want);
				if (fep)
					mep_map_pt(fep, (uint8_t)want,
					           (uint8_t)im->te_pt);
			}
		}
		/* direction: as the other side said; its c=0.0.0.0 (RFC 2543
		 * hold) is a=inactive here, never c=0.0.0.0 (F12) */
		struct sockaddr_storage ss;
		socklen_t sl;
		bool zero = false;
		conn_sockaddr(sdp_media_conn(&in, i), im->port, &ss, &sl,
		              &zero);
		mo->dir = zero ? SDP_DIR_INACTIVE : im->dir;
		if (ice) {
			mo->ice_ufrag = d->ufrag;
			mo->ice_pwd = d->pwd;
			snprintf(cand[0], sizeof(cand[0]),
			         "1 1 UDP 2130706431 %s %u typ host",
			         cm->public_address.text, (unsigned)port);
			snprintf(cand[1], sizeof(cand[1]),
			         "1 2 UDP 2130706430 %s %u typ host",
			         cm->public_address.text, (unsigned)(port + 1));
			candp[0] = cand[0];
			candp[1] = cand[1];
			mo->candidates = candp;
			mo->n_candidates = mo->rtcp_port ? 2 : 1;
		}
	}
	char *out = c->b->sdp;
	size_t n = sdp_write(&in, &o, out, B2B_MSG_MAX);
	if (n && d->last && (d->last_len != n || memcmp(d->last, out, n))) {
		/* changed since the last one this leg saw: version + 1
		 * (RFC 3264 8); the same one again keeps it (183 then 200) */
		o.o_ver = ++d->o_ver;
		n = sdp_write(&in, &o, out, B2B_MSG_MAX);
	}
	if (!n) {
		tb_log("warn", "sdp_too_long", "call=%s", c->id);
		return PL_NULL;
	}
	if (!d->last || d->last_len != n || memcmp(d->last, out, n)) {
		char *cp = realloc(d->last, n);
		if (cp) {
			memcpy(cp, out, n);
			d->last = cp;
			d->last_len = n;
		}
	}
	return pl_make(out, n);
}

bool b2b_media_hold(const struct leg *l)
{
	return l->md && l->md->hold;
}

void b2b_media_stats(const struct leg *l, struct mep_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (l && l->md && l->md->ep)
		mep_stats(l->md->ep, st);
}

/* ---- statistics for the CDR ---- */

static int json_leg(char *out, size_t cap, const char *name,
                    const struct leg *l)
{
	struct mep_stats st;
	b2b_media_stats(l, &st);
	uint64_t dropped = 0;
	for (int i = 0; i < MEP_DROP_COUNT; i++)
		dropped += st.drops[i];
	return snprintf(
	        out, cap,
	        "\"%s\":{\"rx_packets\":%llu,\"rx_bytes\":%llu,"
	        "\"tx_packets\":%llu,\"tx_bytes\":%llu,\"rx_rtcp\":%llu,"
	        "\"lost\":%llu,\"jitter_ms\":%.1f,\"stun\":%llu,"
	        "\"dropped\":%llu,\"dropped_foreign\":%llu,"
	        "\"dropped_srtp\":%llu}",
	        name, (unsigned long long)st.rx_packets,
	        (unsigned long long)st.rx_bytes,
	        (unsigned long long)st.tx_packets,
	        (unsigned long long)st.tx_bytes, (unsigned long long)st.rx_rtcp,
	        (unsigned long long)st.lost, st.jitter_us / 1000.0,
	        (unsigned long long)st.stun, (unsigned long long)dropped,
	        (unsigned long long)st.drops[MEP_DROP_FOREIGN],
	        (unsigned long long)(st.drops[MEP_DROP_SRTP_AUTH] +
	                             st.drops[MEP_DROP_SRTP_REPLAY]));
}

const char *b2b_media_cdr(struct call *c, char *out, size_t cap)
{
	if ((!c->a->md || !c->a->md->ep) && (!c->bl->md || !c->bl->md->ep))
		return NULL;
	if (!c->answer_ms) {
		/* a call that failed: statistics only if early media flowed */
		struct mep_stats a, b;
		b2b_media_stats(c->a, &a);
		b2b_media_stats(c->bl, &b);
		if (!a.rx_packets && !b.rx_packets)
			return NULL;
	}
	/* "in": what the caller's side sent us and got from us; "out": the
	 * called side's */
	int n = snprintf(out, cap, "{");
	if (n > 0 && (size_t)n < cap)
		n += json_leg(out + n, cap - (size_t)n, "in", c->a);
	if (n > 0 && (size_t)n < cap)
		n += snprintf(out + n, cap - (size_t)n, ",");
	if (n > 0 && (size_t)n < cap)
		n += json_leg(out + n, cap - (size_t)n, "out", c->bl);
	if (n > 0 && (size_t)n < cap)
		n += snprintf(out + n, cap - (size_t)n, "}");
	return n > 0 && (size_t)n < cap ? out : NULL;
}

/* ---- disconnect on idle RTP ---- */

static void on_idle_tick(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	uint32_t idle = c->cfg->media.idle_timeout_ms;
	int64_t now = (int64_t)tb_mono_ms();

	(void)fd;
	(void)what;
	if (c->state != CALL_ANSWERED)
		return;
	/* on hold (either side not sendrecv) the clock does not run */
	if (b2b_media_hold(c->a) || b2b_media_hold(c->bl))
		c->media_seen_ms = now;
	const struct leg *ls[2] = {c->a, c->bl};
	for (int i = 0; i < 2; i++) {
		struct mep_stats st;
		b2b_media_stats(ls[i], &st);
		if (st.last_rx_ms > c->media_seen_ms)
			c->media_seen_ms = st.last_rx_ms;
	}
	if (now - c->media_seen_ms < (int64_t)idle) {
		struct timeval tv = {0, 0};
		uint32_t tick = idle / 4;
		tv.tv_sec = tick / 1000;
		tv.tv_usec = (tick % 1000) * 1000;
		evtimer_add(c->media_timer, &tv);
		return;
	}
	char why[128];
	snprintf(why, sizeof(why),
	         "SIP;cause=408;text=\"media timeout: no RTP for %us\"",
	         (unsigned)(idle / 1000));
	tb_log("info", "call_media_idle", "call=%s idle_ms=%lld", c->id,
	       (long long)(now - c->media_seen_ms));
	b2b_send_bye(c, c->a, NULL, why);
	b2b_send_bye(c, c->bl, NULL, why);
	c->a->gone = c->bl->gone = true;
	snprintf(c->reason, sizeof(c->reason),
	         "media timeout: no RTP from either side for %us",
	         (unsigned)(idle / 1000));
	b2b_finish(c, 200, CDR_HANGUP_TRUNKBRIDGE, NULL);
	b2b_after(c->b);
	b2b_check_free(c);
}

void b2b_media_answered(struct call *c)
{
	if (!b2b_media_on(c) || !(c->a->trunk->disconnect_on_idle_rtp ||
	                          c->bl->trunk->disconnect_on_idle_rtp))
		return;
	c->media_seen_ms = (int64_t)tb_mono_ms();
	if (!c->media_timer)
		c->media_timer = evtimer_new(c->b->env.base, on_idle_tick, c);
	if (!c->media_timer)
		return;
	uint32_t tick = c->cfg->media.idle_timeout_ms / 4;
	struct timeval tv = {(time_t)(tick / 1000),
	                     (suseconds_t)((tick % 1000) * 1000)};
	evtimer_add(c->media_timer, &tv);
}

void b2b_media_end(struct call *c)
{
	if (c->media_timer)
		event_del(c->media_timer);
	for (struct leg *l = c->legs; l; l = l->lnext)
		b2b_media_free(l);
}

/* ---- delayed offer (an INVITE without SDP) ---- */

/* What trunkbridge offers when the caller offered nothing: the codecs
 * both clouds take (G.711, interop 1.7, 2.4) and telephone-event. */
static const char default_offer[] =
        "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
        "t=0 0\r\nm=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-16\r\na=sendrecv\r\n";

struct pl b2b_media_default_offer(struct call *c, struct leg *to)
{
	/* the caller's endpoint, so that its media has a partner as soon
	 * as the called side answers */
	if (to->mpeer && !ep_of(c, to->mpeer))
		return PL_NULL;
	return b2b_media_out(c, to, PL(default_offer), false);
}

bool b2b_media_awaits_answer(const struct leg *l)
{
	return l->md && l->md->we_offered;
}
