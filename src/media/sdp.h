/* sdp.h: SDP (RFC 8866) parsed over slices, and written back for a leg.
 *
 * sdp_parse fills a struct sdp with slices into the body it is given (the
 * body is not copied: keep it alive and unchanged while the struct is
 * used). Nothing is allocated; every count has a fixed cap and a body over
 * a cap is refused with a reason, never truncated silently. Bodies hold
 * arbitrary bytes: nothing here calls strlen/strchr on them.
 *
 * sdp_write builds the SDP trunkbridge sends to one leg from a parsed one
 * plus what the media relay puts in its place (our address and ports, our
 * crypto, ICE-lite lines, the direction, the payload types kept). What is
 * not replaced crosses as it came (codecs, fmtp, ptime, b=, unknown
 * attributes), in the same order.
 */
#ifndef TB_MEDIA_SDP_H
#define TB_MEDIA_SDP_H

#include "base/pl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_MEDIA  8
#define SDP_MAX_FMTS   32
#define SDP_MAX_ATTRS  64 /* per media section, and at session level */
#define SDP_MAX_CRYPTO 8  /* a=crypto lines per media section */
#define SDP_MAX_LINES  32 /* other session-level lines (b=, t=, r=, ...) */

enum sdp_dir {
	SDP_DIR_NONE = 0, /* not stated (sendrecv by default) */
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

struct sdp_conn {
	bool set;
	bool ip6;       /* IP6, else IP4 */
	struct pl addr; /* as written (no TTL/count suffix) */
};

/* a=crypto:<tag> <suite> inline:<key||salt base64>[|<lifetime>][|<mki>:
 * <len>] [session params] (RFC 4568 9.1). Only the first key param is
 * read; a line with several is kept as parsed with n_keys > 1. */
struct sdp_crypto {
	uint32_t tag;
	struct pl suite;
	struct pl key_b64;  /* base64 of key||salt */
	struct pl lifetime; /* "2^31" or a number; empty when absent */
	uint32_t mki;       /* MKI value */
	uint8_t mki_len;    /* MKI length in bytes, 0: none */
	uint8_t n_keys;
	struct pl session_params; /* the rest of the line, may be empty */
};

struct sdp_attr {
	struct pl name;  /* "rtpmap" */
	struct pl value; /* after ':'; p NULL for a flag ("rtcp-mux") */
};

struct sdp_media {
	struct pl type; /* "audio" */
	uint16_t port;
	uint16_t nports; /* "m=audio 5000/2": 2; else 1 */
	struct pl proto; /* "RTP/SAVP", "RTP/AVP", "UDP/TLS/RTP/SAVPF" */
	bool rtp;        /* proto is RTP/...: fmts are payload types */
	struct pl fmts[SDP_MAX_FMTS];
	uint8_t pt[SDP_MAX_FMTS]; /* fmts as numbers when rtp (0-127) */
	size_t n_fmts;
	struct sdp_conn conn;                 /* the section's c=, else unset */
	struct sdp_attr attrs[SDP_MAX_ATTRS]; /* in order, every a= line */
	size_t n_attrs;
	struct pl other[SDP_MAX_LINES]; /* i=, b=, k= lines, whole, in order */
	size_t n_other;
	enum sdp_dir dir;   /* the section's, else the session's */
	bool rtcp_mux;      /* a=rtcp-mux */
	uint16_t rtcp_port; /* a=rtcp:<port>, 0: none */
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];
	size_t n_crypto;
	struct pl ice_ufrag, ice_pwd; /* the section's, else the session's */
	size_t n_candidates;
	int te_pt;        /* telephone-event payload type, -1: none */
	uint32_t te_rate; /* its clock rate */
};

struct sdp {
	/* o=<user> <sess-id> <sess-version> IN <IP4|IP6> <addr> */
	struct pl o_user, o_id, o_ver, o_addr;
	struct pl s_name;               /* s= */
	struct sdp_conn conn;           /* session-level c= */
	struct pl other[SDP_MAX_LINES]; /* session i= u= e= p= b= t= r= z= k=,
	                                   whole lines without CRLF, in order */
	size_t n_other;
	struct sdp_attr attrs[SDP_MAX_ATTRS]; /* session a= lines, in order */
	size_t n_attrs;
	enum sdp_dir dir; /* session-level direction */
	bool ice_lite;
	struct sdp_media media[SDP_MAX_MEDIA];
	size_t n_media;
};

/* Parse body into *out. 0, or -1 with a reason in *why (static text):
 * missing v=/o=/s=/m= structure, a line that is not <letter>=, a port or
 * payload type out of range, over a cap. Lines may end in CRLF or LF. */
int sdp_parse(struct pl body, struct sdp *out, const char **why);

/* The connection address that applies to media section i (its c=, else
 * the session's); unset when neither. */
struct sdp_conn sdp_media_conn(const struct sdp *s, size_t i);

/* The rtpmap of payload type pt in m: encoding name and clock rate; false
 * when there is none. */
bool sdp_rtpmap(const struct sdp_media *m, uint8_t pt, struct pl *enc,
                uint32_t *rate);

/* Decode a crypto line's key||salt (base64) into out; its length, or 0
 * when the base64 is invalid or longer than cap. */
size_t sdp_crypto_key(const struct sdp_crypto *c, uint8_t *out, size_t cap);

/* What sdp_write puts in place of the input's media section. */
struct sdp_media_out {
	bool reject;       /* port 0, fmts as they came, no other change */
	uint16_t port;     /* our RTP port */
	const char *proto; /* "RTP/SAVP", "RTP/AVP"; NULL: the input's */
	/* payload types to list, in this order (their rtpmap/fmtp lines are
	 * kept, the others' dropped); n_pts 0: every fmt of the input */
	const uint8_t *pts;
	size_t n_pts;
	/* telephone-event's payload type renumbered: te_from -> te_to in the
	 * m= line, rtpmap and fmtp (both -1: none) */
	int te_from, te_to;
	enum sdp_dir dir;   /* SDP_DIR_NONE: the input's direction line */
	bool rtcp_mux;      /* write a=rtcp-mux */
	uint16_t rtcp_port; /* write a=rtcp:<port> when non-zero */
	/* crypto lines to write (each the value after "a=crypto:"), replacing
	 * the input's */
	const char *const *crypto;
	size_t n_crypto;
	/* ICE: our ufrag/pwd and candidate values (after "a=candidate:");
	 * NULL/0: none */
	const char *ice_ufrag, *ice_pwd;
	const char *const *candidates;
	size_t n_candidates;
};

struct sdp_out {
	const char *o_user; /* NULL: the input's */
	uint64_t o_id, o_ver;
	const char *addr; /* our address (IP literal) for o= and c= */
	bool ip6;
	bool ice_lite; /* write a=ice-lite at session level */
	struct sdp_media_out media[SDP_MAX_MEDIA]; /* one per input section */
};

/* Write the SDP for a leg: v=, o= (ours), s= and the session's other
 * lines as they came, c= ours, session attributes as they came except the
 * ones replaced (ice-*, fingerprint, setup, group), then each media
 * section: m= with port/proto/fmts, c= ours, its other lines, attributes
 * as they came except crypto, candidate, ice-*, end-of-candidates, rtcp,
 * rtcp-mux, direction, fingerprint, setup, and rtpmap/fmtp of payload
 * types not kept, followed by what o sets. At both levels the attributes
 * that describe the other side's endpoint are dropped: ssrc (its CNAME is
 * "user@host" of the other leg), ssrc-group, msid, msid-semantic, tool. Lines
 * end in CRLF. Returns the length written, or 0 when cap is too small (out then
 * holds nothing usable). */
size_t sdp_write(const struct sdp *in, const struct sdp_out *o, char *out,
                 size_t cap);

#endif
