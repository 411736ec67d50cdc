/* sip_msg.h: the zero-copy SIP message.
 *
 * sip_msg_parse() reads one request or response from (buf, len) and fills a
 * struct sip_msg whose every field is a slice into buf: nothing is copied,
 * nothing is written to buf. Ownership: the caller keeps buf alive (and
 * unchanged) as long as the message is used; the transport layer does this
 * with a refcounted receive buffer. The header array is caller storage too
 * (see sip_msg_init), so a worker parses into one reused struct and the
 * parse itself allocates nothing.
 *
 * Decoded eagerly (what transactions and dialogs need): start line with the
 * Request-URI, top Via, From/To with tags, Call-ID, CSeq, Max-Forwards,
 * Content-Length, Content-Type. Everything else stays a raw slice until a
 * typed decoder (sip_decode.h) is asked for it.
 */
#ifndef TB_SIP_MSG_H
#define TB_SIP_MSG_H

#include "base/pl.h"
#include "sip/msg/sip_hdr.h"
#include "sip/msg/sip_uri.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_UPDATE,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_PUBLISH,
};

/* Method id of a token (methods are case-sensitive: "invite" is OTHER). */
enum sip_method sip_method_lookup(struct pl m);
const char *sip_method_name(enum sip_method m);

enum sip_transport {
	SIP_TP_OTHER = 0,
	SIP_TP_UDP,
	SIP_TP_TCP,
	SIP_TP_TLS,
	SIP_TP_SCTP,
	SIP_TP_WS,
	SIP_TP_WSS,
};

/* Limits, all enforced while parsing. A message over one is refused with
 * a status (513 for sizes and counts, 413 for the body), never truncated. */
struct sip_limits {
	uint32_t max_msg_size;   /* whole message, start line to end of body */
	uint32_t max_headers;    /* header fields (lines, folds joined) */
	uint32_t max_header_len; /* one header field including folds */
	uint32_t max_vias;       /* Via values in all Via fields together;
	                            70 = one per hop of Max-Forwards 70 */
};

#define SIP_LIMITS_DEFAULT                                                     \
	((struct sip_limits){.max_msg_size = 65535,                            \
	                     .max_headers = 128,                               \
	                     .max_header_len = 8192,                           \
	                     .max_vias = 70})

enum sip_parse_mode {
	/* buf is one whole datagram: no more bytes will come. Missing bytes
	 * are an error; bytes after Content-Length are ignored (RFC 3261
	 * 18.3); without Content-Length the body is the rest. */
	SIP_PARSE_DATAGRAM = 0,
	/* buf is the front of a byte stream: a message cut short is
	 * "incomplete"; a missing Content-Length means no body. */
	SIP_PARSE_STREAM,
};

enum sip_parse_result {
	SIP_PARSE_MALFORMED = -1,
	SIP_PARSE_OK = 0,
	SIP_PARSE_INCOMPLETE = 1,
};

struct sip_parse_error {
	/* What a server answers a malformed request (400, 505, 513, 413).
	 * 0 when the message must be dropped without an answer (a malformed
	 * response, or a request too broken to answer). */
	uint16_t status;
	const char *reason; /* static text, e.g. "duplicate Call-ID" */
	size_t offset;      /* byte offset in buf where it was found */
};

struct sip_hdr {
	struct pl name;  /* as written */
	struct pl value; /* LWS-trimmed; may hold folds (CRLF SP) inside */
	struct pl line;  /* the whole field with its line end(s): for copying */
	uint16_t id;     /* enum sip_hdr_id */
	uint16_t next;   /* index of the next field with the same id, or
	                    SIP_HDR_END */
};

#define SIP_HDR_END 0xffffu

/* name-addr / addr-spec with header params (From, To, Contact, Route...). */
struct sip_addr {
	struct pl display; /* as written (quotes kept), NULL if none */
	struct pl uri_pl;  /* the URI, without '<' '>' */
	struct sip_uri uri;
	struct pl params; /* header params after the first ';', NULL if none */
	struct pl tag;    /* value of ;tag=, NULL if absent */
	bool angle;       /* name-addr form (<...>) */
	bool star;        /* Contact: * */
};

struct sip_via {
	struct pl proto; /* "SIP/2.0" as written (LWS allowed around '/') */
	struct pl transport_pl;
	enum sip_transport transport;
	struct pl host; /* IPv6 without brackets */
	enum sip_host_type host_type;
	uint16_t port;
	bool has_port;
	struct pl params;   /* after the first ';', NULL if none */
	struct pl branch;   /* NULL if absent */
	struct pl received; /* NULL if absent; brackets stripped */
	bool rport;         /* ;rport present */
	uint16_t rport_val; /* its value, 0 when empty */
	struct pl value;    /* this Via value as written */
};

struct sip_msg {
	struct pl raw;   /* start line to end of body (what was consumed,
	                    minus leading CRLFs) */
	size_t consumed; /* bytes of buf this message used, incl. leading
	                    CRLFs; the next stream message starts here */
	bool request;

	struct pl start_line; /* with its line end */
	struct pl method;     /* request */
	enum sip_method method_id;
	struct pl ruri_pl;
	struct sip_uri ruri;
	struct pl version; /* "SIP/2.0" as written */
	uint16_t status;   /* response */
	struct pl reason;

	struct sip_hdr *hdr; /* caller storage, hdr_cap entries */
	uint16_t hdr_cap;
	uint16_t nhdr;
	uint16_t first[SIP_HDR__COUNT]; /* first field per id, SIP_HDR_END */
	struct pl eoh;                  /* the empty line ending the headers */
	struct pl body;

	/* eager */
	struct sip_via via; /* top Via value */
	uint16_t via_count;
	struct sip_addr from, to;
	struct pl call_id;
	uint32_t cseq;
	struct pl cseq_method;
	enum sip_method cseq_method_id;
	int16_t max_forwards; /* -1 when absent */
	bool has_content_length;
	uint32_t content_length;
	struct pl content_type; /* media type with params, NULL if absent */
};

/* Attach header storage. hdr_cap bounds max_headers. */
void sip_msg_init(struct sip_msg *m, struct sip_hdr *hdr, uint16_t hdr_cap);

/* Parse one message. lim may be NULL for SIP_LIMITS_DEFAULT. err may be
 * NULL. On SIP_PARSE_OK every eager field is valid. */
enum sip_parse_result sip_msg_parse(struct sip_msg *m, const char *buf,
                                    size_t len, enum sip_parse_mode mode,
                                    const struct sip_limits *lim,
                                    struct sip_parse_error *err);

/* First/next field with an id, NULL when none. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id);
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m,
                                       const struct sip_hdr *h);
/* First field with a given name (for SIP_HDR_OTHER names like X-...). */
const struct sip_hdr *sip_msg_hdr_name(const struct sip_msg *m, struct pl name);

/* Re-serialize from the parsed parts (start line, each field's line, the
 * empty line, the body) into out. Gives back the received bytes exactly.
 * Returns the length, or 0 if cap is too small. */
size_t sip_msg_serialize(const struct sip_msg *m, char *out, size_t cap);

/* Typed eager decoders, usable on their own. Return 0 or -1. */
int sip_addr_parse(struct sip_addr *a, struct pl value, bool allow_star);
int sip_via_parse(struct sip_via *v, struct pl value);

#endif
