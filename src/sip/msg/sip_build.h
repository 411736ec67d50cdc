/* sip_build.h: compose a message for a B2BUA leg into caller storage.
 *
 * A leg's message is built from typed parts plus the header fields the
 * trunk's policy passes through, never by editing the received bytes.
 * Content-Length is always written by sip_build_finish from the body given,
 * so it cannot disagree with the body. Values holding CR or LF outside a
 * fold are refused (header injection), as is running out of room: both
 * make sip_build_finish return 0. Nothing is allocated.
 */
#ifndef TB_SIP_BUILD_H
#define TB_SIP_BUILD_H

#include "sip/msg/sip_msg.h"

#include <stdarg.h>

struct sip_build {
	char *buf;
	size_t cap;
	size_t len;
	bool failed; /* overflow or a refused value: finish returns 0 */
};

void sip_build_init(struct sip_build *b, char *buf, size_t cap);

/* "METHOD Request-URI SIP/2.0" CRLF */
void sip_build_request_line(struct sip_build *b, struct pl method,
                            struct pl ruri);
/* "SIP/2.0 code reason" CRLF; an empty reason uses the RFC 3261 phrase. */
void sip_build_status_line(struct sip_build *b, uint16_t code,
                           struct pl reason);

/* "Name: value" CRLF with the canonical name of id. */
void sip_build_hdr(struct sip_build *b, enum sip_hdr_id id, struct pl value);
/* Same with a name of our own (X- headers). */
void sip_build_hdr_name(struct sip_build *b, struct pl name, struct pl value);
/* printf-style value (our own numbers and tags; never message bytes). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void sip_build_hdrf(struct sip_build *b, enum sip_hdr_id id, const char *fmt,
                    ...);
/* A received field passed through as it was written (name, folds). */
void sip_build_copy(struct sip_build *b, const struct sip_hdr *h);

/* Bytes as they are, for lines the caller composes and has checked
 * (the transaction layer's ACK and CANCEL). */
void sip_build_put(struct sip_build *b, const char *p, size_t l);

/* Content-Length, the empty line and the body. Returns the message length,
 * or 0 when building failed. */
size_t sip_build_finish(struct sip_build *b, struct pl body);

/* RFC 3261 21 reason phrase for a status code ("" when unknown). */
const char *sip_reason_phrase(uint16_t code);

#endif
