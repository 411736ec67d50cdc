/* uas_check.h: the answers a UAS gives before acting on a request
 * (RFC 3261 8.2.1-8.2.3, 16.3; RFC 4475 3.3): what trunkbridge answers a
 * well-formed request it cannot take.
 *
 * Pure: a parsed, validated request in, a status and the header that goes
 * with it out (Unsupported for 420, Accept for 415/406, Allow for 405/501).
 */
#ifndef TB_B2B_UAS_CHECK_H
#define TB_B2B_UAS_CHECK_H

#include "sip/msg/sip_msg.h"

/* Option tags trunkbridge supports (RFC 3261 Require/Supported). */
#define UAS_SUPPORTED "replaces, timer, 100rel"

struct uas_verdict {
	uint16_t status; /* 0: go on */
	/* the extra header for the answer (e.g. "Unsupported"), NULL if none,
	 * and its value written into `value` */
	const char *hdr_name;
	char value[256];
	const char *why; /* a short reason for logs */
};

/* The checks in RFC order: Request-URI scheme (416), method (501),
 * (405 for a known one we do not take), Max-Forwards 0 on a request we
 * would forward (483), Require with tags we
 * do not support (420 + Unsupported), a body we cannot read (415 + Accept),
 * an Accept that leaves out application/sdp on an offer (406). OPTIONS to
 * trunkbridge itself is answered even with Max-Forwards 0 (RFC 3261
 * 11.1). ACK and CANCEL are never refused here. */
void uas_check(const struct sip_msg *req, struct uas_verdict *v);

#endif
