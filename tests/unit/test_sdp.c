/* test_sdp.c: SDP parse and write (src/media/sdp.c).
 *
 * Real offers as ACS (Teams-style SBC offers: two a=crypto with |2^31 and
 * MKI, ICE credentials and candidates, a=rtcp, rtcp-mux, SILK/G722/...)
 * and Genesys (PCMU/PCMA/telephone-event 101, one a=crypto) send them,
 * holds, IPv6, rejected streams; parse -> write -> parse; telephone-event
 * renumbering; payload type filtering; the malformed cases with their
 * reasons; the caps; every prefix of every valid body; every write cap.
 */
#include "media/sdp.h"
#include "tests/test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRLF "\r\n"

static const char acs_offer[] =
        "v=0" CRLF "o=- 3865421234 3865421234 IN IP4 52.112.10.20" CRLF
        "s=SmartBox" CRLF "c=IN IP4 52.112.10.20" CRLF "b=CT:10000000" CRLF
        "t=0 0" CRLF "m=audio 49876 RTP/SAVP 104 9 103 111 18 0 8 97 101 13 "
        "118" CRLF "c=IN IP4 52.112.10.20" CRLF "a=rtcp:49877" CRLF
        "a=ice-ufrag:Ab3d" CRLF "a=ice-pwd:kGdTq4w0k9r6JKh4dLwH8n1P" CRLF
        "a=rtcp-mux" CRLF
        "a=candidate:1 1 UDP 2130706431 52.112.10.20 49876 typ host" CRLF
        "a=candidate:1 2 UDP 2130705918 52.112.10.20 49877 typ host" CRLF
        "a=candidate:2 1 tcp-act 2121006078 52.112.10.20 50000 typ srflx "
        "raddr 10.0.0.1 rport 50000" CRLF "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
        "inline:Rf0b0ujNpu8Bq0z2ODJhXvT0pO3Q5Nd8uV0W9cTx|2^31" CRLF
        "a=crypto:2 AES_CM_128_HMAC_SHA1_80 "
        "inline:pA1lYv8Ts3dmzDFgc8jMy2Q6eMdK1rXkUx3bNv0e|2^31|1:1" CRLF
        "a=label:main-audio" CRLF "a=rtpmap:104 SILK/16000" CRLF
        "a=rtpmap:9 G722/8000" CRLF "a=rtpmap:103 SILK/8000" CRLF
        "a=rtpmap:111 SIREN/16000" CRLF "a=fmtp:111 bitrate=16000" CRLF
        "a=rtpmap:18 G729/8000" CRLF "a=fmtp:18 annexb=no" CRLF
        "a=rtpmap:0 PCMU/8000" CRLF "a=rtpmap:8 PCMA/8000" CRLF
        "a=rtpmap:97 RED/8000" CRLF "a=rtpmap:101 telephone-event/8000" CRLF
        "a=fmtp:101 0-16" CRLF "a=rtpmap:13 CN/8000" CRLF
        "a=rtpmap:118 CN/16000" CRLF "a=ptime:20" CRLF "a=maxptime:200" CRLF
        "a=sendrecv" CRLF;

static const char genesys_offer[] =
        "v=0" CRLF "o=- 1700000001 1700000001 IN IP4 198.51.100.40" CRLF
        "s=Genesys" CRLF "c=IN IP4 198.51.100.40" CRLF "t=0 0" CRLF
        "m=audio 16384 RTP/SAVP 0 8 101" CRLF "a=rtpmap:0 PCMU/8000" CRLF
        "a=rtpmap:8 PCMA/8000" CRLF "a=rtpmap:101 telephone-event/8000" CRLF
        "a=fmtp:101 0-15" CRLF "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
        "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj" CRLF "a=ptime:20" CRLF
        "a=sendrecv" CRLF;

/* the same, LF only and without the final line end */
static const char genesys_lf[] =
        "v=0\no=- 1700000001 1700000001 IN IP4 198.51.100.40\ns=Genesys\n"
        "c=IN IP4 198.51.100.40\nt=0 0\nm=audio 16384 RTP/SAVP 0 8 101\n"
        "a=rtpmap:0 PCMU/8000\na=rtpmap:8 PCMA/8000\n"
        "a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n"
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
        "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\na=ptime:20\n"
        "a=sendrecv";

/* Genesys puts the call on hold: sendonly, then inactive at session level
 * with the RFC 2543 0.0.0.0 */
static const char hold_sendonly[] =
        "v=0" CRLF "o=- 1700000001 1700000002 IN IP4 198.51.100.40" CRLF
        "s=Genesys" CRLF "c=IN IP4 198.51.100.40" CRLF "t=0 0" CRLF
        "m=audio 16384 RTP/SAVP 0 101" CRLF "a=rtpmap:0 PCMU/8000" CRLF
        "a=rtpmap:101 telephone-event/8000" CRLF "a=fmtp:101 0-15" CRLF
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
        "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj" CRLF
        "a=sendonly" CRLF;

static const char hold_inactive[] =
        "v=0" CRLF "o=- 1700000001 1700000003 IN IP4 198.51.100.40" CRLF
        "s=Genesys" CRLF "c=IN IP4 0.0.0.0" CRLF "t=0 0" CRLF "a=inactive" CRLF
        "m=audio 16384 RTP/SAVP 0 101" CRLF "a=rtpmap:0 PCMU/8000" CRLF
        "a=rtpmap:101 telephone-event/8000" CRLF
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
        "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj" CRLF
        "m=video 0 RTP/SAVP 96" CRLF "a=recvonly" CRLF;

static const char ipv6_offer[] =
        "v=0" CRLF "o=jdoe 2890844526 2890842807 IN IP6 2001:db8::10" CRLF
        "s= " CRLF "i=an IPv6 call" CRLF "c=IN IP6 2001:db8::10" CRLF
        "t=2873397496 2873404696" CRLF "r=604800 3600 0 90000" CRLF
        "a=ice-ufrag:SESS" CRLF "a=ice-pwd:sessionpasswordsessionpass" CRLF
        "m=audio 49170 RTP/AVP 0 96" CRLF "c=IN IP6 FF15::101/3" CRLF
        "b=AS:64" CRLF "a=rtpmap:96 opus/48000/2" CRLF
        "a=fmtp:96 minptime=10;useinbandfec=1" CRLF "a=ice-ufrag:MEDI" CRLF
        "m=image 0 udptl t38" CRLF "a=T38FaxVersion:0" CRLF;

/* an answer declining the video stream; a=rtcp with an address; no t= */
static const char answer_port0[] =
        "v=0" CRLF "o=- 7 8 IN IP4 192.0.2.7" CRLF "s=-" CRLF
        "c=IN IP4 224.2.1.1/127/3" CRLF "m=audio 5004/2 RTP/AVP 8" CRLF
        "a=rtcp:5010 IN IP4 192.0.2.7" CRLF "m=video 0 RTP/AVP 31 34" CRLF
        "c=IN IP4 192.0.2.7" CRLF "a=inactive" CRLF;

static const char *const valid_bodies[] = {
        acs_offer,     genesys_offer, genesys_lf,   hold_sendonly,
        hold_inactive, ipv6_offer,    answer_port0,
};
#define N_VALID (sizeof(valid_bodies) / sizeof(valid_bodies[0]))

static struct sdp g_s, g_r;
static char g_out[16384];

static int parse_str(const char *b, struct sdp *s, const char **why)
{
	*why = NULL;
	return sdp_parse(pl_make(b, strlen(b)), s, why);
}

/* --- slices inside the body ----------------------------------------------- */

static bool in_buf(struct pl a, const char *b, size_t len)
{
	if (!a.p)
		return true;
	return a.p >= b && a.p <= b + len && a.l <= (size_t)(b + len - a.p);
}

static bool all_in(const struct sdp *s, const char *b, size_t len)
{
	bool ok = in_buf(s->o_user, b, len) && in_buf(s->o_id, b, len) &&
	          in_buf(s->o_ver, b, len) && in_buf(s->o_addr, b, len) &&
	          in_buf(s->s_name, b, len) && in_buf(s->conn.addr, b, len);

	for (size_t i = 0; i < s->n_other; i++)
		ok = ok && in_buf(s->other[i], b, len);
	for (size_t i = 0; i < s->n_attrs; i++)
		ok = ok && in_buf(s->attrs[i].name, b, len) &&
		     in_buf(s->attrs[i].value, b, len);
	for (size_t i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];
		ok = ok && in_buf(m->type, b, len) &&
		     in_buf(m->proto, b, len) && in_buf(m->conn.addr, b, len) &&
		     in_buf(m->ice_ufrag, b, len) && in_buf(m->ice_pwd, b, len);
		for (size_t j = 0; j < m->n_fmts; j++)
			ok = ok && in_buf(m->fmts[j], b, len);
		for (size_t j = 0; j < m->n_attrs; j++)
			ok = ok && in_buf(m->attrs[j].name, b, len) &&
			     in_buf(m->attrs[j].value, b, len);
		for (size_t j = 0; j < m->n_other; j++)
			ok = ok && in_buf(m->other[j], b, len);
		for (size_t j = 0; j < m->n_crypto; j++) {
			const struct sdp_crypto *c = &m->crypto[j];
			ok = ok && in_buf(c->suite, b, len) &&
			     in_buf(c->key_b64, b, len) &&
			     in_buf(c->lifetime, b, len) &&
			     in_buf(c->session_params, b, len);
		}
	}
	return ok;
}

/* --- parsing real bodies -------------------------------------------------- */

static void test_acs_offer(void)
{
	const char *why;
	struct pl enc;
	uint32_t rate;

	CHECK_EQ_INT(parse_str(acs_offer, &g_s, &why), 0);
	CHECK(why == NULL);
	CHECK_PL(g_s.o_user, "-");
	CHECK_PL(g_s.o_id, "3865421234");
	CHECK_PL(g_s.o_ver, "3865421234");
	CHECK_PL(g_s.o_addr, "52.112.10.20");
	CHECK_PL(g_s.s_name, "SmartBox");
	CHECK(g_s.conn.set && !g_s.conn.ip6);
	CHECK_PL(g_s.conn.addr, "52.112.10.20");
	CHECK_EQ_INT(g_s.n_other, 2);
	CHECK_PL(g_s.other[0], "b=CT:10000000");
	CHECK_PL(g_s.other[1], "t=0 0");
	CHECK_EQ_INT(g_s.n_attrs, 0);
	CHECK(!g_s.ice_lite);
	CHECK_EQ_INT(g_s.dir, SDP_DIR_NONE);
	CHECK_EQ_INT(g_s.n_media, 1);

	const struct sdp_media *m = &g_s.media[0];
	CHECK_PL(m->type, "audio");
	CHECK_EQ_INT(m->port, 49876);
	CHECK_EQ_INT(m->nports, 1);
	CHECK_PL(m->proto, "RTP/SAVP");
	CHECK(m->rtp);
	CHECK_EQ_INT(m->n_fmts, 11);
	CHECK_PL(m->fmts[0], "104");
	CHECK_EQ_INT(m->pt[0], 104);
	CHECK_EQ_INT(m->pt[8], 101);
	CHECK_EQ_INT(m->pt[10], 118);
	CHECK(m->conn.set);
	CHECK_PL(m->conn.addr, "52.112.10.20");
	CHECK_EQ_INT(m->n_attrs, 27);
	CHECK_PL(m->attrs[0].name, "rtcp");
	CHECK_PL(m->attrs[0].value, "49877");
	CHECK_PL(m->attrs[3].name, "rtcp-mux");
	CHECK(m->attrs[3].value.p == NULL);
	CHECK_EQ_INT(m->dir, SDP_DIR_SENDRECV);
	CHECK(m->rtcp_mux);
	CHECK_EQ_INT(m->rtcp_port, 49877);
	CHECK_PL(m->ice_ufrag, "Ab3d");
	CHECK_PL(m->ice_pwd, "kGdTq4w0k9r6JKh4dLwH8n1P");
	CHECK_EQ_INT(m->n_candidates, 3);
	CHECK_EQ_INT(m->te_pt, 101);
	CHECK_EQ_INT(m->te_rate, 8000);

	CHECK_EQ_INT(m->n_crypto, 2);
	CHECK_EQ_INT(m->crypto[0].tag, 1);
	CHECK_PL(m->crypto[0].suite, "AES_CM_128_HMAC_SHA1_80");
	CHECK_PL(m->crypto[0].key_b64,
	         "Rf0b0ujNpu8Bq0z2ODJhXvT0pO3Q5Nd8uV0W9cTx");
	CHECK_PL(m->crypto[0].lifetime, "2^31");
	CHECK_EQ_INT(m->crypto[0].mki_len, 0);
	CHECK_EQ_INT(m->crypto[0].n_keys, 1);
	CHECK(m->crypto[0].session_params.l == 0);
	CHECK_EQ_INT(m->crypto[1].tag, 2);
	CHECK_PL(m->crypto[1].lifetime, "2^31");
	CHECK_EQ_INT(m->crypto[1].mki, 1);
	CHECK_EQ_INT(m->crypto[1].mki_len, 1);

	CHECK(sdp_rtpmap(m, 104, &enc, &rate));
	CHECK_PL(enc, "SILK");
	CHECK_EQ_INT(rate, 16000);
	CHECK(sdp_rtpmap(m, 0, &enc, &rate));
	CHECK_PL(enc, "PCMU");
	CHECK_EQ_INT(rate, 8000);
	CHECK(!sdp_rtpmap(m, 96, &enc, &rate));

	struct sdp_conn c = sdp_media_conn(&g_s, 0);
	CHECK(c.set);
	CHECK_PL(c.addr, "52.112.10.20");
	CHECK(!sdp_media_conn(&g_s, 1).set);
}

static void test_genesys_offer(void)
{
	const char *why;

	CHECK_EQ_INT(parse_str(genesys_offer, &g_s, &why), 0);
	CHECK_EQ_INT(g_s.n_media, 1);
	const struct sdp_media *m = &g_s.media[0];
	CHECK_EQ_INT(m->port, 16384);
	CHECK_EQ_INT(m->n_fmts, 3);
	CHECK(!m->conn.set);
	CHECK_PL(sdp_media_conn(&g_s, 0).addr, "198.51.100.40");
	CHECK_EQ_INT(m->te_pt, 101);
	CHECK_EQ_INT(m->te_rate, 8000);
	CHECK_EQ_INT(m->n_crypto, 1);
	CHECK_PL(m->crypto[0].key_b64,
	         "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj");
	CHECK(m->crypto[0].lifetime.l == 0);
	CHECK(!m->rtcp_mux);
	CHECK_EQ_INT(m->rtcp_port, 0);
	CHECK(m->ice_ufrag.p == NULL);
	CHECK_EQ_INT(m->n_candidates, 0);
	CHECK_EQ_INT(m->dir, SDP_DIR_SENDRECV);

	/* LF line ends, no final one: the same */
	CHECK_EQ_INT(parse_str(genesys_lf, &g_r, &why), 0);
	CHECK_EQ_INT(g_r.n_media, 1);
	CHECK_EQ_INT(g_r.media[0].n_attrs, m->n_attrs);
	CHECK_PL(g_r.media[0].attrs[6].name, "sendrecv");
	CHECK_EQ_INT(g_r.media[0].te_pt, 101);
	CHECK_PL(g_r.media[0].crypto[0].key_b64,
	         "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj");

	/* trailing empty lines and trailing blanks are fine */
	CHECK_EQ_INT(parse_str("v=0\r\no=- 1 1 IN IP4 192.0.2.1 \r\ns=-\r\n"
	                       "m=audio 1 RTP/AVP 0  \r\na=sendonly\t\r\n\r\n"
	                       "\n",
	                       &g_r, &why),
	             0);
	CHECK_PL(g_r.o_addr, "192.0.2.1");
	CHECK_EQ_INT(g_r.media[0].n_fmts, 1);
	CHECK_EQ_INT(g_r.media[0].dir, SDP_DIR_SENDONLY);
	CHECK_EQ_INT(g_r.media[0].te_pt, -1);
}

static void test_hold(void)
{
	const char *why;

	CHECK_EQ_INT(parse_str(hold_sendonly, &g_s, &why), 0);
	CHECK_EQ_INT(g_s.media[0].dir, SDP_DIR_SENDONLY);
	CHECK_PL(g_s.o_ver, "1700000002");

	CHECK_EQ_INT(parse_str(hold_inactive, &g_s, &why), 0);
	CHECK_EQ_INT(g_s.dir, SDP_DIR_INACTIVE);
	CHECK_PL(g_s.conn.addr, "0.0.0.0");
	CHECK_EQ_INT(g_s.n_media, 2);
	CHECK_EQ_INT(g_s.media[0].dir, SDP_DIR_INACTIVE); /* the session's */
	CHECK_EQ_INT(g_s.media[1].dir, SDP_DIR_RECVONLY); /* media wins */
	CHECK_EQ_INT(g_s.media[1].port, 0);
	CHECK_PL(sdp_media_conn(&g_s, 1).addr, "0.0.0.0");
	CHECK_EQ_INT(g_s.n_attrs, 1);
	CHECK_PL(g_s.attrs[0].name, "inactive");
}

static void test_ipv6(void)
{
	const char *why;

	CHECK_EQ_INT(parse_str(ipv6_offer, &g_s, &why), 0);
	CHECK_PL(g_s.o_user, "jdoe");
	CHECK_PL(g_s.o_addr, "2001:db8::10");
	CHECK_PL(g_s.s_name, " ");
	CHECK(g_s.conn.set && g_s.conn.ip6);
	CHECK_PL(g_s.conn.addr, "2001:db8::10");
	CHECK_EQ_INT(g_s.n_other, 3);
	CHECK_PL(g_s.other[0], "i=an IPv6 call");
	CHECK_PL(g_s.other[2], "r=604800 3600 0 90000");
	CHECK_EQ_INT(g_s.n_media, 2);
	const struct sdp_media *m = &g_s.media[0];
	CHECK(m->conn.ip6);
	CHECK_PL(m->conn.addr, "FF15::101");
	CHECK_EQ_INT(m->n_other, 1);
	CHECK_PL(m->other[0], "b=AS:64");
	CHECK_PL(m->ice_ufrag, "MEDI"); /* media level wins */
	CHECK_PL(m->ice_pwd, "sessionpasswordsessionpass");
	CHECK_EQ_INT(m->te_pt, -1);
	struct pl enc;
	uint32_t rate;
	CHECK(sdp_rtpmap(m, 96, &enc, &rate));
	CHECK_PL(enc, "opus");
	CHECK_EQ_INT(rate, 48000);

	const struct sdp_media *t = &g_s.media[1];
	CHECK_PL(t->type, "image");
	CHECK_PL(t->proto, "udptl");
	CHECK(!t->rtp);
	CHECK_EQ_INT(t->port, 0);
	CHECK_EQ_INT(t->n_fmts, 1);
	CHECK_PL(t->fmts[0], "t38");
	CHECK_PL(t->ice_ufrag, "SESS"); /* the session's */
	CHECK_PL(sdp_media_conn(&g_s, 1).addr, "2001:db8::10");
}

static void test_answer_port0(void)
{
	const char *why;

	CHECK_EQ_INT(parse_str(answer_port0, &g_s, &why), 0);
	CHECK_EQ_INT(g_s.n_other, 0);         /* no t= */
	CHECK_PL(g_s.conn.addr, "224.2.1.1"); /* /127/3 stripped */
	CHECK_EQ_INT(g_s.media[0].port, 5004);
	CHECK_EQ_INT(g_s.media[0].nports, 2);
	CHECK_EQ_INT(g_s.media[0].rtcp_port, 5010);
	CHECK_EQ_INT(g_s.media[0].dir, SDP_DIR_NONE);
	CHECK_EQ_INT(g_s.media[1].port, 0);
	CHECK_EQ_INT(g_s.media[1].n_fmts, 2);
	CHECK_EQ_INT(g_s.media[1].dir, SDP_DIR_INACTIVE);
	CHECK_PL(sdp_media_conn(&g_s, 1).addr, "192.0.2.7");
}

static void test_crypto_forms(void)
{
	const char *why;
	static const char b[] =
	        "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF
	        "m=audio 1 RTP/SAVP 0" CRLF
	        "a=crypto:7 AES_256_CM_HMAC_SHA1_80 "
	        "inline:"
	        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLg"
	        "==|1048576|4294967295:4;"
	        "inline:"
	        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLg"
	        "==|2^20|7:4 "
	        "KDR=1 UNENCRYPTED_SRTCP" CRLF
	        "a=crypto:999999999 AES_CM_128_HMAC_SHA1_32 "
	        "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|255:1" CRLF
	        "a=crypto:8 AES_CM_128_HMAC_SHA1_80 inline:QUJDRA" CRLF;

	CHECK_EQ_INT(parse_str(b, &g_s, &why), 0);
	const struct sdp_media *m = &g_s.media[0];
	CHECK_EQ_INT(m->n_crypto, 3);
	CHECK_EQ_INT(m->crypto[0].tag, 7);
	CHECK_PL(m->crypto[0].suite, "AES_256_CM_HMAC_SHA1_80");
	CHECK_PL(m->crypto[0].lifetime, "1048576");
	CHECK_EQ_INT(m->crypto[0].mki, 4294967295u);
	CHECK_EQ_INT(m->crypto[0].mki_len, 4);
	CHECK_EQ_INT(m->crypto[0].n_keys, 2);
	CHECK_PL(m->crypto[0].session_params, "KDR=1 UNENCRYPTED_SRTCP");
	CHECK_EQ_INT(m->crypto[1].tag, 999999999);
	CHECK(m->crypto[1].lifetime.l == 0);
	CHECK_EQ_INT(m->crypto[1].mki, 255);
	CHECK_EQ_INT(m->crypto[1].mki_len, 1);

	uint8_t key[64];
	CHECK_EQ_INT(sdp_crypto_key(&m->crypto[0], key, sizeof(key)), 46);
	CHECK(key[0] == 1 && key[45] == 46);
	CHECK_EQ_INT(sdp_crypto_key(&m->crypto[0], key, 45), 0);
	CHECK_EQ_INT(sdp_crypto_key(&m->crypto[1], key, sizeof(key)), 30);
	CHECK_EQ_INT(sdp_crypto_key(&m->crypto[1], key, 30), 30);
	CHECK_EQ_INT(key[0], 0x77); /* "d0Rm" = 77 44 66 */
	CHECK_EQ_INT(key[1], 0x44);
	CHECK_EQ_INT(key[2], 0x66);
	CHECK_EQ_INT(sdp_crypto_key(&m->crypto[2], key, sizeof(key)), 4);
	CHECK(memcmp(key, "ABCD", 4) == 0); /* unpadded base64 */
}

static void test_crypto_key(void)
{
	static const struct {
		const char *b64;
		const char *bytes; /* NULL: invalid */
		size_t n;
	} v[] = {
	        {"QQ==", "A", 1},        {"QUI=", "AB", 2}, {"QUJD", "ABC", 3},
	        {"QUJDRA==", "ABCD", 4}, {"QQ", "A", 1},    {"QUI", "AB", 2},
	        {"AAAA", "\0\0\0", 3},   {"Q", NULL, 0},    {"QQ=", NULL, 0},
	        {"Q===", NULL, 0},       {"====", NULL, 0}, {"QU=I", NULL, 0},
	        {"QU I", NULL, 0},       {"QU-_", NULL, 0}, {"", NULL, 0},
	};
	uint8_t out[8];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sdp_crypto c;
		memset(&c, 0, sizeof(c));
		c.key_b64 = pl_make(v[i].b64, strlen(v[i].b64));
		size_t n = sdp_crypto_key(&c, out, sizeof(out));
		CHECK_EQ_INT(n, v[i].n);
		if (v[i].bytes && n == v[i].n)
			CHECK(memcmp(out, v[i].bytes, n) == 0);
		if (v[i].n) /* one byte short: 0 */
			CHECK_EQ_INT(sdp_crypto_key(&c, out, v[i].n - 1), 0);
	}
	/* 128 characters: 96 bytes; 132: refused */
	char b[133];
	memset(b, 'A', sizeof(b));
	struct sdp_crypto c;
	memset(&c, 0, sizeof(c));
	uint8_t big[128];
	c.key_b64 = pl_make(b, 128);
	CHECK_EQ_INT(sdp_crypto_key(&c, big, sizeof(big)), 96);
	c.key_b64 = pl_make(b, 132);
	CHECK_EQ_INT(sdp_crypto_key(&c, big, sizeof(big)), 0);
	CHECK_EQ_INT(sdp_crypto_key(NULL, big, sizeof(big)), 0);
}

/* --- malformed ------------------------------------------------------------ */

#define H   "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF
#define HC  H "c=IN IP4 192.0.2.1" CRLF "t=0 0" CRLF
#define M   HC "m=audio 5000 RTP/SAVP 0 101" CRLF
#define KEY "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj"
#define CR  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY
#define BAD(body, why)                                                         \
	{                                                                      \
		body, sizeof(body) - 1, why                                    \
	}

static const struct {
	const char *body;
	size_t len;
	const char *why;
} malformed[] = {
        BAD("", "empty body"),
        BAD("\r\n\r\n", "empty body"),
        BAD("v=1" CRLF, "v= version is not 0"),
        BAD("o=- 1 1 IN IP4 192.0.2.1" CRLF, "the first line is not v="),
        BAD(" v=0" CRLF, "a line that is not <letter>="),
        BAD("\r\nv=0" CRLF, "empty line before the end of the body"),
        BAD("v=0" CRLF, "no o= line"),
        BAD("v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF, "no s= line"),
        BAD(HC, "no m= line"),
        BAD("v=0" CRLF "s=-" CRLF, "the second line is not o="),
        BAD("v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "t=0 0" CRLF,
            "the third line is not s="),
        BAD("v=0" CRLF "o=- 1 1 IN IP4" CRLF, "o= does not have 6 fields"),
        BAD("v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1 x" CRLF,
            "o= does not have 6 fields"),
        BAD("v=0" CRLF "o=- x1 1 IN IP4 192.0.2.1" CRLF,
            "o= session id is not 1-32 digits"),
        BAD("v=0" CRLF "o=- 1 123456789012345678901234567890123 IN IP4 "
            "192.0.2.1" CRLF,
            "o= session version is not 1-32 digits"),
        BAD("v=0" CRLF "o=- 1 1 ATM IP4 192.0.2.1" CRLF,
            "o= network type is not IN"),
        BAD("v=0" CRLF "o=- 1 1 IN IPX 192.0.2.1" CRLF,
            "o= address type is not IP4 or IP6"),
        BAD("v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1!" CRLF,
            "o= address is not an IP address or host name"),
        BAD("v=0" CRLF "o=\x01 1 1 IN IP4 192.0.2.1" CRLF,
            "o= username holds control characters"),
        BAD(H "s=again" CRLF, "a second v=, o= or s= line"),
        BAD(H "x=1" CRLF,
            "unknown line type (not one of v o s i u e p c b t r z k a m)"),
        BAD(H "A=sendrecv" CRLF,
            "unknown line type (not one of v o s i u e p c b t r z k a m)"),
        BAD(H "a sendrecv" CRLF, "a line that is not <letter>="),
        BAD(H "=" CRLF, "a line that is not <letter>="),
        BAD(H "a=send\0recv" CRLF, "NUL byte in a line"),
        BAD(H "\0" CRLF, "NUL byte in a line"),
        BAD(H "a=sendrecv\rx" CRLF, "CR inside a line"),
        BAD(H "c=IN IP4" CRLF, "c= is not IN <IP4|IP6> <address>"),
        BAD(H "c=IN IP4 192.0.2.1 x" CRLF, "c= is not IN <IP4|IP6> <address>"),
        BAD(H "c=ATM NSAP 47.0005" CRLF, "c= network type is not IN"),
        BAD(H "c=IN IPX 192.0.2.1" CRLF, "c= address type is not IP4 or IP6"),
        BAD(H "c=IN IP4 192.0.2.1;x" CRLF,
            "c= address is not an IP address or host name"),
        BAD(H "c=IN IP4 /127" CRLF,
            "c= address is not an IP address or host name"),
        BAD(H "c=IN IP4 224.2.1.1/256" CRLF,
            "c= address suffix is not /<ttl 0-255>[/<count 1-65535>] (IP4) "
            "or /<count 1-65535> (IP6)"),
        BAD(H "c=IN IP6 FF15::101/3/2" CRLF,
            "c= address suffix is not /<ttl 0-255>[/<count 1-65535>] (IP4) "
            "or /<count 1-65535> (IP6)"),
        BAD(H "c=IN IP4 224.2.1.1/127/0" CRLF,
            "c= address suffix is not /<ttl 0-255>[/<count 1-65535>] (IP4) "
            "or /<count 1-65535> (IP6)"),
        BAD(HC "c=IN IP4 192.0.2.2" CRLF, "two c= lines at session level"),
        BAD(M "c=IN IP4 192.0.2.2" CRLF "c=IN IP4 192.0.2.2" CRLF,
            "two c= lines in a media section"),
        BAD(H "t=0" CRLF, "t= is not <start> <stop> (numbers)"),
        BAD(H "t=0 x" CRLF, "t= is not <start> <stop> (numbers)"),
        BAD(H "b=AS" CRLF, "b= is not <type>:<number 0-4294967295>"),
        BAD(H "b=AS:4294967296" CRLF, "b= is not <type>:<number 0-4294967295>"),
        BAD(M "b=AS:-1" CRLF, "b= is not <type>:<number 0-4294967295>"),
        BAD(M "t=0 0" CRLF,
            "a session-level line (u= e= p= t= r= z=) inside a media section"),
        BAD(M "e=a@example.com" CRLF,
            "a session-level line (u= e= p= t= r= z=) inside a media section"),
        BAD(HC "m=audio 5000 RTP/AVP" CRLF,
            "m= is not <media> <port> <proto> <format>..."),
        BAD(HC "m=audio" CRLF, "m= is not <media> <port> <proto> <format>..."),
        BAD(HC "m=audio 65536 RTP/AVP 0" CRLF,
            "m= port is not a number 0-65535"),
        BAD(HC "m=audio -1 RTP/AVP 0" CRLF, "m= port is not a number 0-65535"),
        BAD(HC "m=audio 5000/0 RTP/AVP 0" CRLF,
            "m= port count is not a number 1-65535"),
        BAD(HC "m=audio 5000/ RTP/AVP 0" CRLF,
            "m= port count is not a number 1-65535"),
        BAD(HC "m=aud(io 5000 RTP/AVP 0" CRLF, "m= media type is not a token"),
        BAD(HC "m=audio 5000 RTP//AVP 0" CRLF,
            "m= proto is not <token>[/<token>...]"),
        BAD(HC "m=audio 5000 RTP/AVP/ 0" CRLF,
            "m= proto is not <token>[/<token>...]"),
        BAD(HC "m=audio 5000 RTP/AVP 128" CRLF,
            "m= format is not a payload type 0-127"),
        BAD(HC "m=audio 5000 UDP/TLS/RTP/SAVPF 0 abc" CRLF,
            "m= format is not a payload type 0-127"),
        BAD(HC "m=image 5000 udptl t(38" CRLF, "m= format is not a token"),
        BAD(M "a=" CRLF, "attribute name is not a token"),
        BAD(M "a=:x" CRLF, "attribute name is not a token"),
        BAD(M "a=rtp map:0 PCMU/8000" CRLF, "attribute name is not a token"),
        BAD(M "a=rtpmap:128 PCMU/8000" CRLF,
            "rtpmap payload type is not a number 0-127"),
        BAD(M "a=rtpmap" CRLF, "rtpmap payload type is not a number 0-127"),
        BAD(M "a=rtpmap:0" CRLF,
            "rtpmap is not <payload type> <encoding>/<rate>[/<channels>]"),
        BAD(M "a=rtpmap:0 PCMU" CRLF,
            "rtpmap is not <payload type> <encoding>/<rate>[/<channels>]"),
        BAD(M "a=rtpmap:0 PCMU/8000 x" CRLF,
            "rtpmap is not <payload type> <encoding>/<rate>[/<channels>]"),
        BAD(M "a=rtpmap:0 /8000" CRLF, "rtpmap encoding name is not a token"),
        BAD(M "a=rtpmap:0 PCMU/0" CRLF,
            "rtpmap clock rate is not a number 1-4294967295"),
        BAD(M "a=rtpmap:0 PCMU/4294967296" CRLF,
            "rtpmap clock rate is not a number 1-4294967295"),
        BAD(M "a=rtpmap:0 PCMU/8000/0" CRLF,
            "rtpmap channels is not a number 1-255"),
        BAD(M "a=rtpmap:0 PCMU/8000/256" CRLF,
            "rtpmap channels is not a number 1-255"),
        BAD(M "a=rtpmap:0 PCMU/8000" CRLF "a=rtpmap:0 PCMA/8000" CRLF,
            "two rtpmap lines for one payload type"),
        BAD(M "a=fmtp:x 0-15" CRLF, "fmtp format is not a payload type 0-127"),
        BAD(M "a=fmtp:" CRLF, "fmtp format is not a payload type 0-127"),
        BAD(M "a=crypto:0 AES_CM_128_HMAC_SHA1_80 inline:" KEY CRLF,
            "crypto tag is not a number 1-999999999"),
        BAD(M "a=crypto:1000000000 AES_CM_128_HMAC_SHA1_80 inline:" KEY CRLF,
            "crypto tag is not a number 1-999999999"),
        BAD(M "a=crypto:0000000001 AES_CM_128_HMAC_SHA1_80 inline:" KEY CRLF,
            "crypto tag is not a number 1-999999999"),
        BAD(M "a=crypto:1" CRLF,
            "crypto is not <tag> <suite> <key params> [<session params>]"),
        BAD(M "a=crypto:1 AES-CM inline:" KEY CRLF,
            "crypto suite is not letters, digits and _"),
        BAD(M "a=crypto:1 AES_CM_128_HMAC_SHA1_80" CRLF,
            "crypto has no key params"),
        BAD(M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " KEY CRLF,
            "crypto key param is not inline:<key>[|<lifetime>][|<mki>:"
            "<length>]"),
        BAD(M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:sip:x" CRLF,
            "crypto key method is not inline"),
        BAD(M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY "!" CRLF,
            "crypto key is not base64"),
        BAD(M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" CRLF,
            "crypto key is not base64"),
        BAD(M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QQ=" CRLF,
            "crypto key is not base64"),
        BAD(M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY KEY KEY KEY
              "A" CRLF,
            "crypto key longer than 128 base64 characters"),
        BAD(M CR "|2^49" CRLF,
            "crypto lifetime is not 2^<1-48> or a number 1-2^48"),
        BAD(M CR "|281474976710657" CRLF,
            "crypto lifetime is not 2^<1-48> or a number 1-2^48"),
        BAD(M CR "|0" CRLF,
            "crypto lifetime is not 2^<1-48> or a number 1-2^48"),
        BAD(M CR "|2^31|2^31" CRLF,
            "crypto key param is not inline:<key>[|<lifetime>][|<mki>:"
            "<length>]"),
        BAD(M CR "|1:1|2^31" CRLF,
            "crypto key param is not inline:<key>[|<lifetime>][|<mki>:"
            "<length>]"),
        BAD(M CR "|2^31|1:1|x" CRLF,
            "crypto key param is not inline:<key>[|<lifetime>][|<mki>:"
            "<length>]"),
        BAD(M CR "|1:129" CRLF,
            "crypto MKI is not <value 0-4294967295>:<length 1-128>"),
        BAD(M CR "|1:0" CRLF,
            "crypto MKI is not <value 0-4294967295>:<length 1-128>"),
        BAD(M CR "|4294967296:4" CRLF,
            "crypto MKI is not <value 0-4294967295>:<length 1-128>"),
        BAD(M CR "|256:1" CRLF, "crypto MKI value does not fit in its length"),
        BAD(M CR ";" KEY CRLF, /* no "inline:" after the ';' */
            "crypto key param is not inline:<key>[|<lifetime>][|<mki>:"
            "<length>]"),
        BAD(M CR ";" CRLF,
            "crypto key param is not inline:<key>[|<lifetime>][|<mki>:"
            "<length>]"),
        BAD(M CR " KDR=\x80" CRLF,
            "crypto session params are not visible characters"),
        BAD(M "a=crypto:1 X inline:QUJD;inline:QUJD;inline:QUJD;inline:QUJD;"
              "inline:QUJD;inline:QUJD;inline:QUJD;inline:QUJD;inline:QUJD;"
              "inline:QUJD;inline:QUJD;inline:QUJD;inline:QUJD;inline:QUJD;"
              "inline:QUJD;inline:QUJD;inline:QUJD" CRLF,
            "crypto has more than 16 key params"),
        BAD(M CR CRLF CR CRLF, "two a=crypto lines with the same tag"),
        BAD(M "a=rtcp:65536" CRLF, "rtcp port is not a number 0-65535"),
        BAD(M "a=rtcp" CRLF, "rtcp port is not a number 0-65535"),
        BAD(M "a=rtcp:5001 IN IP4" CRLF,
            "rtcp is not <port> [IN <IP4|IP6> <address>]"),
        BAD(M "a=rtcp:5001 IN IP9 192.0.2.1" CRLF,
            "rtcp is not <port> [IN <IP4|IP6> <address>]"),
        BAD(M "a=rtcp:5001" CRLF "a=rtcp:5001" CRLF,
            "two a=rtcp lines in a media section"),
        BAD(M "a=sendonly" CRLF "a=recvonly" CRLF,
            "conflicting direction attributes"),
        BAD(HC "a=inactive" CRLF "a=sendrecv" CRLF "m=audio 1 RTP/AVP 0" CRLF,
            "conflicting direction attributes"),
        BAD(M "a=ice-ufrag:a:b" CRLF, "ice-ufrag is not 1-256 ice characters"),
        BAD(M "a=ice-ufrag" CRLF, "ice-ufrag is not 1-256 ice characters"),
        BAD(M "a=ice-pwd:" CRLF, "ice-pwd is not 1-256 ice characters"),
        BAD(HC "a=ice-ufrag:abcd" CRLF "a=ice-ufrag:abcd" CRLF,
            "two a=ice-ufrag lines at one level"),
        BAD(M "a=ice-pwd:abcd" CRLF "a=ice-pwd:abcd" CRLF,
            "two a=ice-pwd lines at one level"),
        BAD(M "a=candidate:1 1 UDP 2130706431 192.0.2.1 5000 host" CRLF,
            "candidate is not <foundation> <component 1-256> <transport> "
            "<priority 0-4294967295> <address> <port 0-65535> typ <type>"),
        BAD(M "a=candidate:1 0 UDP 2130706431 192.0.2.1 5000 typ host" CRLF,
            "candidate is not <foundation> <component 1-256> <transport> "
            "<priority 0-4294967295> <address> <port 0-65535> typ <type>"),
        BAD(M "a=candidate:1 1 UDP 2130706431 192.0.2.1 70000 typ host" CRLF,
            "candidate is not <foundation> <component 1-256> <transport> "
            "<priority 0-4294967295> <address> <port 0-65535> typ <type>"),
        BAD(M "a=sendrecv" CRLF CRLF "a=ptime:20" CRLF,
            "empty line before the end of the body"),
};

static void test_malformed(void)
{
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		const char *why = NULL;
		/* an exactly-sized copy: ASan sees a read past the end */
		char *b = malloc(malformed[i].len ? malformed[i].len : 1);
		memcpy(b, malformed[i].body, malformed[i].len);
		int rc = sdp_parse(pl_make(b, malformed[i].len), &g_s, &why);
		CHECK_EQ_INT(rc, -1);
		if (rc != -1 || !why || strcmp(why, malformed[i].why) != 0) {
			test_failures++;
			fprintf(stderr,
			        "malformed[%zu]: why '%s', expected '%s'\n", i,
			        why ? why : "(null)", malformed[i].why);
		}
		free(b);
	}
	/* a NULL body, and a NULL why */
	CHECK_EQ_INT(sdp_parse(PL_NULL, &g_s, NULL), -1);
	CHECK_EQ_INT(sdp_parse(pl_make("v=0", 3), &g_s, NULL), -1);
}

/* bodies that stay valid although not as the RFC would write them */
static void test_lenient(void)
{
	static const char *const ok[] = {
	        /* no t=, session lines out of RFC order */
	        H "a=tool:x" CRLF "b=AS:64" CRLF "c=IN IP4 192.0.2.1" CRLF
	          "m=audio 1 RTP/AVP 0" CRLF,
	        /* the same direction twice, flags with a value, unknown ones */
	        M "a=sendrecv" CRLF "a=sendrecv" CRLF "a=rtcp-mux:x" CRLF
	          "a=x-unknown" CRLF "a=rtpmap:96 opus/48000/2" CRLF,
	        /* a NUL-free body with bytes above 127 in text */
	        "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF
	        "s=\xc3\xa9t\xc3\xa9" CRLF "i=\xff" CRLF
	        "m=audio 1 RTP/AVP 0" CRLF,
	        /* empty s= (some stacks), and non-RTP fmts */
	        "v=0" CRLF "o=- 1 1 IN IP4 h.example.com" CRLF "s=" CRLF
	        "m=message 9 TCP/MSRP *" CRLF
	        "a=accept-types:message/cpim" CRLF,
	        /* rtpmap/fmtp in a non-RTP section are not payload types */
	        H "m=application 9 UDP/DTLS/SCTP webrtc-datachannel" CRLF
	          "a=fmtp:webrtc-datachannel max-message-size=262144" CRLF,
	        /* tag with leading zeros, 9 digits */
	        M "a=crypto:000000001 AES_CM_128_HMAC_SHA1_80 inline:" KEY CRLF,
	        /* lifetime 2^48, number 2^48, MKI 128 bytes */
	        M CR "|2^48|0:128" CRLF
	             "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY
	             "|281474976710656" CRLF,
	        /* a=rtcp:0 is "no port" */
	        M "a=rtcp:0" CRLF,
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *why = NULL;
		int rc = parse_str(ok[i], &g_s, &why);
		CHECK_EQ_INT(rc, 0);
		if (rc)
			fprintf(stderr, "lenient[%zu]: %s\n", i, why);
	}
	CHECK_EQ_INT(parse_str(ok[3], &g_s, &(const char *){NULL}), 0);
	CHECK(g_s.s_name.p != NULL && g_s.s_name.l == 0);
	CHECK_PL(g_s.media[0].fmts[0], "*");
	CHECK(!g_s.media[0].rtp);
}

/* --- caps ----------------------------------------------------------------- */

static char g_body[65536];
static size_t g_len;

static void b_reset(void)
{
	g_len = 0;
	g_body[0] = '\0';
}

static void b_add(const char *s)
{
	size_t n = strlen(s);
	if (g_len + n < sizeof(g_body)) {
		memcpy(g_body + g_len, s, n);
		g_len += n;
		g_body[g_len] = '\0';
	}
}

/* fmt: a literal, so that the compiler checks it */
#define b_addf(fmt, v)                                                         \
	do {                                                                   \
		char line_[256];                                               \
		snprintf(line_, sizeof(line_), fmt, v);                        \
		b_add(line_);                                                  \
	} while (0)

static const char *parse_body(void)
{
	const char *why = NULL;
	if (sdp_parse(pl_make(g_body, g_len), &g_s, &why) == 0)
		return NULL;
	return why ? why : "(null)";
}

static void check_cap(const char *why, const char *expect, int line)
{
	test_checks++;
	if ((expect == NULL) != (why == NULL) ||
	    (expect && strcmp(why, expect) != 0)) {
		test_failures++;
		fprintf(stderr, "%s:%d: why '%s', expected '%s'\n", __FILE__,
		        line, why ? why : "(ok)", expect ? expect : "(ok)");
	}
}
#define CHECK_CAP(expect) check_cap(parse_body(), expect, __LINE__)

static void test_caps(void)
{
	/* media sections */
	for (unsigned extra = 0; extra < 2; extra++) {
		b_reset();
		b_add(HC);
		for (unsigned i = 0; i < SDP_MAX_MEDIA + extra; i++)
			b_addf("m=audio %u RTP/AVP 0" CRLF, 5000 + 2 * i);
		CHECK_CAP(extra ? "more than 8 media sections" : NULL);
		if (!extra)
			CHECK_EQ_INT(g_s.n_media, SDP_MAX_MEDIA);
	}
	/* formats */
	for (unsigned extra = 0; extra < 2; extra++) {
		b_reset();
		b_add(HC "m=audio 5000 RTP/AVP");
		for (unsigned i = 0; i < SDP_MAX_FMTS + extra; i++)
			b_addf(" %u", 96 + i);
		b_add(CRLF);
		CHECK_CAP(extra ? "more than 32 formats on an m= line" : NULL);
		if (!extra)
			CHECK_EQ_INT(g_s.media[0].n_fmts, SDP_MAX_FMTS);
	}
	/* media attributes */
	for (unsigned extra = 0; extra < 2; extra++) {
		b_reset();
		b_add(M);
		for (unsigned i = 0; i < SDP_MAX_ATTRS + extra; i++)
			b_addf("a=x-%u" CRLF, i);
		CHECK_CAP(extra ? "more than 64 attributes in a media section"
		                : NULL);
	}
	/* session attributes */
	for (unsigned extra = 0; extra < 2; extra++) {
		b_reset();
		b_add(HC);
		for (unsigned i = 0; i < SDP_MAX_ATTRS + extra; i++)
			b_addf("a=x-%u" CRLF, i);
		b_add("m=audio 1 RTP/AVP 0" CRLF);
		CHECK_CAP(extra ? "more than 64 session-level attributes"
		                : NULL);
	}
	/* crypto lines */
	for (unsigned extra = 0; extra < 2; extra++) {
		b_reset();
		b_add(M);
		for (unsigned i = 0; i < SDP_MAX_CRYPTO + extra; i++)
			b_addf("a=crypto:%u AES_CM_128_HMAC_SHA1_80 inline:" KEY
			               CRLF,
			       i + 1);
		CHECK_CAP(
		        extra ? "more than 8 a=crypto lines in a media section"
		              : NULL);
		if (!extra)
			CHECK_EQ_INT(g_s.media[0].n_crypto, SDP_MAX_CRYPTO);
	}
	/* session other lines */
	for (unsigned extra = 0; extra < 2; extra++) {
		b_reset();
		b_add(H);
		for (unsigned i = 0; i < SDP_MAX_LINES + extra; i++)
			b_addf("b=AS:%u" CRLF, i);
		b_add("m=audio 1 RTP/AVP 0" CRLF);
		CHECK_CAP(
		        extra ? "more than 32 session-level lines (i= u= e= p= "
		                "b= t= r= z= k=)"
		              : NULL);
	}
	/* media other lines */
	for (unsigned extra = 0; extra < 2; extra++) {
		b_reset();
		b_add(M);
		for (unsigned i = 0; i < SDP_MAX_LINES + extra; i++)
			b_addf("i=%u" CRLF, i);
		CHECK_CAP(extra ? "more than 32 i=, b=, k= lines in a media "
		                  "section"
		                : NULL);
	}
	/* ice-ufrag: 256 ice characters, not 257 */
	for (unsigned extra = 0; extra < 2; extra++) {
		b_reset();
		b_add(M "a=ice-ufrag:");
		for (unsigned i = 0; i < 256 + extra; i++)
			b_add("u");
		b_add(CRLF);
		CHECK_CAP(extra ? "ice-ufrag is not 1-256 ice characters"
		                : NULL);
	}
	/* key params: 16, not 17 */
	for (unsigned extra = 0; extra < 2; extra++) {
		b_reset();
		b_add(M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY);
		for (unsigned i = 1; i < 16 + extra; i++)
			b_add(";inline:" KEY "|2^31|1:1");
		b_add(CRLF);
		CHECK_CAP(extra ? "crypto has more than 16 key params" : NULL);
		if (!extra)
			CHECK_EQ_INT(g_s.media[0].crypto[0].n_keys, 16);
	}
}

/* --- writing -------------------------------------------------------------- */

static const char *const our_crypto[] = {
        "1 AES_CM_128_HMAC_SHA1_80 "
        "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31",
};

static void out_init(struct sdp_out *o)
{
	memset(o, 0, sizeof(*o));
	o->o_user = "trunkbridge";
	o->o_id = 42;
	o->o_ver = 1;
	o->addr = "203.0.113.10";
	for (size_t i = 0; i < SDP_MAX_MEDIA; i++) {
		o->media[i].port = (uint16_t)(40000 + 2 * i);
		o->media[i].te_from = -1;
		o->media[i].te_to = -1;
		o->media[i].crypto = our_crypto;
		o->media[i].n_crypto = 1;
	}
}

static size_t write_str(const struct sdp *s, const struct sdp_out *o)
{
	size_t n = sdp_write(s, o, g_out, sizeof(g_out));
	CHECK(n > 0 && n < sizeof(g_out));
	if (n < sizeof(g_out))
		g_out[n] = '\0';
	return n;
}

#define CHECK_OUT(expect)                                                      \
	do {                                                                   \
		test_checks++;                                                 \
		if (strcmp(g_out, expect) != 0) {                              \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: wrote\n%s\nexpected\n%s\n",    \
			        __FILE__, __LINE__, g_out, expect);            \
		}                                                              \
	} while (0)

static void test_write_genesys(void)
{
	const char *why;
	struct sdp_out o;

	CHECK_EQ_INT(parse_str(genesys_offer, &g_s, &why), 0);
	out_init(&o);
	write_str(&g_s, &o);
	CHECK_OUT("v=0" CRLF "o=trunkbridge 42 1 IN IP4 203.0.113.10" CRLF
	          "s=Genesys" CRLF "c=IN IP4 203.0.113.10" CRLF "t=0 0" CRLF
	          "m=audio 40000 RTP/SAVP 0 8 101" CRLF
	          "c=IN IP4 203.0.113.10" CRLF "a=rtpmap:0 PCMU/8000" CRLF
	          "a=rtpmap:8 PCMA/8000" CRLF
	          "a=rtpmap:101 telephone-event/8000" CRLF
	          "a=fmtp:101 0-15" CRLF "a=ptime:20" CRLF "a=sendrecv" CRLF
	          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	          "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31" CRLF);
}

/* Genesys' offer toward ACS: our ICE-lite, rtcp-mux, a=rtcp, te 101 -> 96,
 * only PCMU and te */
static void test_write_toward_acs(void)
{
	const char *why;
	struct sdp_out o;
	static const uint8_t pts[] = {0, 101};
	static const char *const cands[] = {
	        "1 1 UDP 2130706431 203.0.113.10 40000 typ host",
	        "1 2 UDP 2130706430 203.0.113.10 40001 typ host",
	};

	CHECK_EQ_INT(parse_str(genesys_offer, &g_s, &why), 0);
	out_init(&o);
	o.ice_lite = true;
	o.media[0].pts = pts;
	o.media[0].n_pts = 2;
	o.media[0].te_from = 101;
	o.media[0].te_to = 96;
	o.media[0].rtcp_mux = true;
	o.media[0].rtcp_port = 40001;
	o.media[0].dir = SDP_DIR_SENDONLY;
	o.media[0].ice_ufrag = "tbUf";
	o.media[0].ice_pwd = "tbpasswordtbpasswordtb";
	o.media[0].candidates = cands;
	o.media[0].n_candidates = 2;
	write_str(&g_s, &o);
	CHECK_OUT("v=0" CRLF "o=trunkbridge 42 1 IN IP4 203.0.113.10" CRLF
	          "s=Genesys" CRLF "c=IN IP4 203.0.113.10" CRLF "t=0 0" CRLF
	          "a=ice-lite" CRLF "m=audio 40000 RTP/SAVP 0 96" CRLF
	          "c=IN IP4 203.0.113.10" CRLF "a=rtpmap:0 PCMU/8000" CRLF
	          "a=rtpmap:96 telephone-event/8000" CRLF "a=fmtp:96 0-15" CRLF
	          "a=ptime:20" CRLF "a=sendonly" CRLF "a=rtcp:40001" CRLF
	          "a=rtcp-mux" CRLF "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	          "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31" CRLF
	          "a=ice-ufrag:tbUf" CRLF
	          "a=ice-pwd:tbpasswordtbpasswordtb" CRLF
	          "a=candidate:1 1 UDP 2130706431 203.0.113.10 40000 typ "
	          "host" CRLF "a=candidate:1 2 UDP 2130706430 203.0.113.10 "
	          "40001 typ host" CRLF);
	CHECK_EQ_INT(parse_str(g_out, &g_r, &why), 0);
	CHECK(g_r.ice_lite);
	CHECK_EQ_INT(g_r.media[0].te_pt, 96);
	CHECK_EQ_INT(g_r.media[0].te_rate, 8000);
	CHECK_EQ_INT(g_r.media[0].n_candidates, 2);
	CHECK_EQ_INT(g_r.media[0].dir, SDP_DIR_SENDONLY);
}

/* ACS offer -> Genesys: parse, write, parse again */
static void test_round_trip(void)
{
	const char *why;
	struct sdp_out o;
	struct pl e1, e2;
	uint32_t r1, r2;

	CHECK_EQ_INT(parse_str(acs_offer, &g_s, &why), 0);
	out_init(&o);
	o.o_user = NULL; /* the input's */
	o.media[0].proto = "RTP/SAVP";
	size_t n = write_str(&g_s, &o);
	CHECK_EQ_INT(parse_str(g_out, &g_r, &why), 0);
	CHECK(all_in(&g_r, g_out, n));

	CHECK_PL(g_r.o_user, "-");
	CHECK_PL(g_r.o_id, "42");
	CHECK_PL(g_r.o_addr, "203.0.113.10");
	CHECK_PL(g_r.s_name, "SmartBox");
	CHECK_PL(g_r.conn.addr, "203.0.113.10");
	CHECK_EQ_INT(g_r.n_other, 2);
	CHECK_PL(g_r.other[0], "b=CT:10000000");
	CHECK_PL(g_r.other[1], "t=0 0");
	const struct sdp_media *a = &g_s.media[0], *b = &g_r.media[0];
	CHECK_EQ_INT(b->port, 40000);
	CHECK_PL(b->conn.addr, "203.0.113.10");
	CHECK_EQ_INT(b->n_fmts, a->n_fmts);
	for (size_t i = 0; i < a->n_fmts && i < b->n_fmts; i++) {
		CHECK_EQ_INT(b->pt[i], a->pt[i]);
		bool h1 = sdp_rtpmap(a, a->pt[i], &e1, &r1);
		bool h2 = sdp_rtpmap(b, b->pt[i], &e2, &r2);
		CHECK(h1 == h2);
		if (h1 && h2) {
			CHECK(pl_eq(e1, e2));
			CHECK_EQ_INT(r1, r2);
		}
	}
	/* fmtp, ptime, label crossed as they came, in order */
	const char *keep[] = {"a=label:main-audio",  "a=fmtp:111 bitrate=16000",
	                      "a=fmtp:18 annexb=no", "a=fmtp:101 0-16",
	                      "a=ptime:20",          "a=maxptime:200",
	                      "a=sendrecv"};
	const char *prev = g_out;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const char *at = strstr(prev, keep[i]);
		CHECK(at != NULL);
		if (at)
			prev = at;
	}
	/* replaced: crypto, ICE, rtcp, rtcp-mux, candidates */
	CHECK_EQ_INT(b->n_crypto, 1);
	CHECK_PL(b->crypto[0].key_b64,
	         "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz");
	CHECK(b->ice_ufrag.p == NULL && b->ice_pwd.p == NULL);
	CHECK_EQ_INT(b->n_candidates, 0);
	CHECK(!b->rtcp_mux);
	CHECK_EQ_INT(b->rtcp_port, 0);
	CHECK(strstr(g_out, "52.112.10.20") == NULL);
	CHECK(strstr(g_out, "Rf0b0ujN") == NULL);
	CHECK_EQ_INT(b->te_pt, 101);
	CHECK_EQ_INT(b->dir, SDP_DIR_SENDRECV);
	CHECK_EQ_INT(b->n_attrs, a->n_attrs - 9 + 1);

	/* and again: the second write of the first output is the same */
	char first[sizeof(g_out)];
	memcpy(first, g_out, n + 1);
	struct sdp again;
	CHECK_EQ_INT(parse_str(first, &again, &why), 0);
	size_t n2 = write_str(&again, &o);
	CHECK_EQ_INT(n2, n);
	CHECK(strcmp(first, g_out) == 0);
}

static void test_te_renumber(void)
{
	const char *why;
	struct sdp_out o;

	/* every pt kept (n_pts 0), te 101 -> 100 */
	CHECK_EQ_INT(parse_str(acs_offer, &g_s, &why), 0);
	out_init(&o);
	o.media[0].te_from = 101;
	o.media[0].te_to = 100;
	write_str(&g_s, &o);
	CHECK(strstr(g_out, "m=audio 40000 RTP/SAVP 104 9 103 111 18 0 8 97 "
	                    "100 13 118\r\n") != NULL);
	CHECK(strstr(g_out, "a=rtpmap:100 telephone-event/8000\r\n") != NULL);
	CHECK(strstr(g_out, "a=fmtp:100 0-16\r\n") != NULL);
	CHECK(strstr(g_out, ":101") == NULL);
	CHECK_EQ_INT(parse_str(g_out, &g_r, &why), 0);
	CHECK_EQ_INT(g_r.media[0].te_pt, 100);

	/* te_to taken by another codec (RED 97): that one cannot stay */
	o.media[0].te_to = 97;
	write_str(&g_s, &o);
	CHECK(strstr(g_out, "m=audio 40000 RTP/SAVP 104 9 103 111 18 0 8 97 "
	                    "13 118\r\n") != NULL);
	CHECK(strstr(g_out, "RED") == NULL);
	CHECK(strstr(g_out, "a=rtpmap:97 telephone-event/8000\r\n") != NULL);
	CHECK_EQ_INT(parse_str(g_out, &g_r, &why), 0);
	CHECK_EQ_INT(g_r.media[0].te_pt, 97);

	/* with pts: te named by its old or its new number */
	static const uint8_t by_new[] = {0, 97}, by_old[] = {0, 101};
	o.media[0].pts = by_new;
	o.media[0].n_pts = 2;
	write_str(&g_s, &o);
	CHECK(strstr(g_out, "m=audio 40000 RTP/SAVP 0 97\r\n") != NULL);
	CHECK(strstr(g_out, "a=rtpmap:97 telephone-event/8000\r\n") != NULL);
	CHECK(strstr(g_out, "a=fmtp:97 0-16\r\n") != NULL);
	char first[sizeof(g_out)];
	strcpy(first, g_out);
	o.media[0].pts = by_old;
	write_str(&g_s, &o);
	CHECK(strcmp(first, g_out) == 0);

	/* te_from not offered, or out of range: no renumbering */
	o.media[0].pts = NULL;
	o.media[0].n_pts = 0;
	o.media[0].te_from = 102;
	write_str(&g_s, &o);
	CHECK(strstr(g_out, "a=rtpmap:101 telephone-event/8000\r\n") != NULL);
	CHECK(strstr(g_out, "a=rtpmap:97 RED/8000\r\n") != NULL);
	o.media[0].te_from = 101;
	o.media[0].te_to = 128;
	write_str(&g_s, &o);
	CHECK(strstr(g_out, "a=rtpmap:101 telephone-event/8000\r\n") != NULL);
}

static void test_pts_filter(void)
{
	const char *why;
	struct sdp_out o;
	static const uint8_t pts[] = {8, 0, 8, 55, 200, 101, 0};
	static const uint8_t none[] = {55, 96};

	CHECK_EQ_INT(parse_str(acs_offer, &g_s, &why), 0);
	out_init(&o);
	o.media[0].pts = pts;
	o.media[0].n_pts = sizeof(pts);
	write_str(&g_s, &o);
	CHECK(strstr(g_out, "m=audio 40000 RTP/SAVP 8 0 101\r\n") != NULL);
	CHECK(strstr(g_out, "SILK") == NULL);
	CHECK(strstr(g_out, "annexb") == NULL);
	CHECK(strstr(g_out, "bitrate") == NULL);
	CHECK(strstr(g_out, "a=rtpmap:0 PCMU/8000\r\n") != NULL);
	CHECK(strstr(g_out, "a=rtpmap:8 PCMA/8000\r\n") != NULL);
	CHECK(strstr(g_out, "a=fmtp:101 0-16\r\n") != NULL);
	CHECK(strstr(g_out, "a=ptime:20\r\n") != NULL);
	CHECK_EQ_INT(parse_str(g_out, &g_r, &why), 0);
	CHECK_EQ_INT(g_r.media[0].n_fmts, 3);

	/* none of them offered: the section goes out rejected */
	o.media[0].pts = none;
	o.media[0].n_pts = sizeof(none);
	write_str(&g_s, &o);
	CHECK(strstr(g_out, "m=audio 0 RTP/SAVP 104 9 103 111 18 0 8 97 101 "
	                    "13 118\r\n") != NULL);
	CHECK(strstr(g_out, "a=") == NULL);
}

static void test_write_reject_and_hold(void)
{
	const char *why;
	struct sdp_out o;

	CHECK_EQ_INT(parse_str(hold_inactive, &g_s, &why), 0);
	out_init(&o);
	o.media[1].reject = true;
	o.media[1].proto = "RTP/AVP"; /* ignored for a rejected section */
	write_str(&g_s, &o);
	CHECK_OUT("v=0" CRLF "o=trunkbridge 42 1 IN IP4 203.0.113.10" CRLF
	          "s=Genesys" CRLF "c=IN IP4 203.0.113.10" CRLF "t=0 0" CRLF
	          "a=inactive" CRLF "m=audio 40000 RTP/SAVP 0 101" CRLF
	          "c=IN IP4 203.0.113.10" CRLF "a=rtpmap:0 PCMU/8000" CRLF
	          "a=rtpmap:101 telephone-event/8000" CRLF
	          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	          "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31" CRLF
	          "m=video 0 RTP/SAVP 96" CRLF);
	CHECK_EQ_INT(parse_str(g_out, &g_r, &why), 0);
	CHECK_EQ_INT(g_r.media[0].dir, SDP_DIR_INACTIVE);

	/* ours instead: sendrecv at media level wins over the session's */
	o.media[0].dir = SDP_DIR_SENDRECV;
	write_str(&g_s, &o);
	CHECK_EQ_INT(parse_str(g_out, &g_r, &why), 0);
	CHECK_EQ_INT(g_r.dir, SDP_DIR_INACTIVE);
	CHECK_EQ_INT(g_r.media[0].dir, SDP_DIR_SENDRECV);

	/* IPv6, no t= in the input, i= before c=, r= after t= */
	CHECK_EQ_INT(parse_str(ipv6_offer, &g_s, &why), 0);
	out_init(&o);
	o.addr = "2001:db8::53";
	o.ip6 = true;
	o.media[1].reject = true;
	write_str(&g_s, &o);
	CHECK_OUT("v=0" CRLF "o=trunkbridge 42 1 IN IP6 2001:db8::53" CRLF
	          "s= " CRLF "i=an IPv6 call" CRLF "c=IN IP6 2001:db8::53" CRLF
	          "t=2873397496 2873404696" CRLF "r=604800 3600 0 90000" CRLF
	          "m=audio 40000 RTP/AVP 0 96" CRLF "c=IN IP6 2001:db8::53" CRLF
	          "b=AS:64" CRLF "a=rtpmap:96 opus/48000/2" CRLF
	          "a=fmtp:96 minptime=10;useinbandfec=1" CRLF
	          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	          "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31" CRLF
	          "m=image 0 udptl t38" CRLF);

	CHECK_EQ_INT(parse_str(answer_port0, &g_s, &why), 0);
	out_init(&o);
	o.media[0].n_crypto = 0;
	o.media[1].reject = true;
	write_str(&g_s, &o);
	CHECK_OUT("v=0" CRLF "o=trunkbridge 42 1 IN IP4 203.0.113.10" CRLF
	          "s=-" CRLF "c=IN IP4 203.0.113.10" CRLF "t=0 0" CRLF
	          "m=audio 40000 RTP/AVP 8" CRLF "c=IN IP4 203.0.113.10" CRLF
	          "m=video 0 RTP/AVP 31 34" CRLF);

	/* no address of ours: the input's o= address and c= lines */
	o.addr = NULL;
	o.o_user = NULL;
	write_str(&g_s, &o);
	CHECK_OUT("v=0" CRLF "o=- 42 1 IN IP4 192.0.2.7" CRLF "s=-" CRLF
	          "c=IN IP4 224.2.1.1" CRLF "t=0 0" CRLF
	          "m=audio 40000 RTP/AVP 8" CRLF
	          "m=video 0 RTP/AVP 31 34" CRLF);
}

/* Session attributes replaced, unknown ones kept, in order; the ones
 * that describe the other leg's endpoint (msid-semantic, tool, and in the
 * media section ssrc with its CNAME "user@host", ssrc-group, msid)
 * dropped: topology hiding. */
static void test_write_session_attrs(void)
{
	const char *why;
	struct sdp_out o;
	static const char b[] =
	        H "a=group:BUNDLE 0" CRLF "a=ice-lite" CRLF
	          "a=ice-options:trickle" CRLF "a=msid-semantic: WMS" CRLF
	          "a=fingerprint:sha-256 AB:CD" CRLF "a=setup:actpass" CRLF
	          "a=tool:x" CRLF "m=audio 9 UDP/TLS/RTP/SAVPF 111" CRLF
	          "c=IN IP4 0.0.0.0" CRLF "a=mid:0" CRLF "a=setup:actpass" CRLF
	          "a=ice-options:trickle" CRLF "a=end-of-candidates" CRLF
	          "a=fingerprint:sha-256 AB:CD" CRLF
	          "a=rtpmap:111 opus/48000/2" CRLF
	          "a=ssrc:1234 cname:sip:+14255550101@peer.example.net" CRLF
	          "a=ssrc-group:FID 1234 5678" CRLF "a=msid:s t" CRLF
	          "a=rtcp-fb:111 transport-cc" CRLF;

	CHECK_EQ_INT(parse_str(b, &g_s, &why), 0);
	CHECK(g_s.ice_lite);
	out_init(&o);
	o.media[0].n_crypto = 0;
	write_str(&g_s, &o);
	CHECK_OUT("v=0" CRLF "o=trunkbridge 42 1 IN IP4 203.0.113.10" CRLF
	          "s=-" CRLF "c=IN IP4 203.0.113.10" CRLF "t=0 0" CRLF
	          "m=audio 40000 UDP/TLS/RTP/SAVPF 111" CRLF
	          "c=IN IP4 203.0.113.10" CRLF "a=mid:0" CRLF
	          "a=rtpmap:111 opus/48000/2" CRLF
	          "a=rtcp-fb:111 transport-cc" CRLF);
}

/* Every cap from 0 to the full length: 0 below it, the same bytes at it. */
static void test_write_caps(void)
{
	const char *why;
	struct sdp_out o;
	static const char *const cands[] = {
	        "1 1 UDP 2130706431 203.0.113.10 40000 typ host"};

	for (size_t k = 0; k < N_VALID; k++) {
		CHECK_EQ_INT(parse_str(valid_bodies[k], &g_s, &why), 0);
		out_init(&o);
		o.ice_lite = true;
		o.media[0].rtcp_mux = true;
		o.media[0].rtcp_port = 40001;
		o.media[0].ice_ufrag = "abcd";
		o.media[0].ice_pwd = "0123456789012345678901";
		o.media[0].candidates = cands;
		o.media[0].n_candidates = 1;
		o.media[0].dir = SDP_DIR_RECVONLY;
		o.media[0].te_from = 101;
		o.media[0].te_to = 96;
		size_t full = write_str(&g_s, &o);
		char *ref = malloc(full);
		memcpy(ref, g_out, full);
		int bad = 0;
		for (size_t cap = 0; cap <= full; cap++) {
			char *buf = malloc(cap ? cap : 1);
			size_t n = sdp_write(&g_s, &o, buf, cap);
			if (cap < full && n != 0)
				bad++;
			if (cap == full &&
			    (n != full || memcmp(buf, ref, full)))
				bad++;
			free(buf);
		}
		CHECK_EQ_INT(bad, 0);
		CHECK_EQ_INT(sdp_write(&g_s, &o, NULL, 100), 0);
		CHECK_EQ_INT(parse_str(g_out, &g_r, &why), 0);
		free(ref);
	}
}

/* Bad arguments and a struct over its caps: 0, nothing written. */
static void test_write_args(void)
{
	const char *why;
	struct sdp_out o;
	char buf[4096];

	CHECK_EQ_INT(parse_str(genesys_offer, &g_s, &why), 0);
	out_init(&o);
	CHECK_EQ_INT(sdp_write(NULL, &o, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(sdp_write(&g_s, NULL, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(sdp_write(&g_s, &o, NULL, sizeof(buf)), 0);
	CHECK(sdp_write(&g_s, &o, buf, sizeof(buf)) > 0);
	g_s.media[0].n_attrs = SDP_MAX_ATTRS + 1;
	CHECK_EQ_INT(sdp_write(&g_s, &o, buf, sizeof(buf)), 0);
	g_s.media[0].n_attrs = 0;
	g_s.n_media = SDP_MAX_MEDIA + 1;
	CHECK_EQ_INT(sdp_write(&g_s, &o, buf, sizeof(buf)), 0);
	CHECK(!sdp_media_conn(&g_s, SDP_MAX_MEDIA).set);
	CHECK(!sdp_media_conn(NULL, 0).set);
	CHECK(!sdp_rtpmap(NULL, 0, NULL, NULL));
}

/* --- every prefix --------------------------------------------------------- */

static void test_truncation(void)
{
	struct sdp_out o;
	long parsed = 0, refused = 0;

	out_init(&o);
	for (size_t k = 0; k < N_VALID; k++) {
		size_t len = strlen(valid_bodies[k]);
		for (size_t cut = 0; cut <= len; cut++) {
			char *b = malloc(cut ? cut : 1);
			const char *why = NULL;
			memcpy(b, valid_bodies[k], cut);
			if (sdp_parse(pl_make(b, cut), &g_s, &why) == 0) {
				parsed++;
				CHECK(all_in(&g_s, b, cut));
				size_t n = sdp_write(&g_s, &o, g_out,
				                     sizeof(g_out));
				CHECK(n > 0);
				why = NULL;
				if (sdp_parse(pl_make(g_out, n), &g_r, &why)) {
					test_failures++;
					fprintf(stderr,
					        "body %zu cut %zu: output "
					        "refused: "
					        "%s\n",
					        k, cut, why);
				}
			} else {
				refused++;
				CHECK(why != NULL && why[0] != '\0');
			}
			free(b);
		}
	}
	CHECK(parsed > 0 && refused > 0);
}

/* A NUL byte anywhere in a valid body refuses it; so does any other
 * single byte replaced by CR. */
static void test_nul_everywhere(void)
{
	size_t len = strlen(genesys_offer);
	char *b = malloc(len);
	int bad = 0;

	for (size_t i = 0; i < len; i++) {
		const char *why = NULL;
		memcpy(b, genesys_offer, len);
		b[i] = '\0';
		if (sdp_parse(pl_make(b, len), &g_s, &why) == 0)
			bad++;
		else if (!why)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	free(b);
}

int main(void)
{
	RUN(test_acs_offer);
	RUN(test_genesys_offer);
	RUN(test_hold);
	RUN(test_ipv6);
	RUN(test_answer_port0);
	RUN(test_crypto_forms);
	RUN(test_crypto_key);
	RUN(test_malformed);
	RUN(test_lenient);
	RUN(test_caps);
	RUN(test_write_genesys);
	RUN(test_write_toward_acs);
	RUN(test_round_trip);
	RUN(test_te_renumber);
	RUN(test_pts_filter);
	RUN(test_write_reject_and_hold);
	RUN(test_write_session_attrs);
	RUN(test_write_caps);
	RUN(test_write_args);
	RUN(test_truncation);
	RUN(test_nul_everywhere);
	return test_summary();
}
