/* options.h: OPTIONS, the trunks' health check (interop.md 1.4, 1.5, 2.1).
 *
 * The responder's answer: 200 OK with Allow (REFER and NOTIFY listed, or
 * Microsoft hides transfers), Accept, Supported, and a Contact with our
 * FQDN and no user part (an IP there makes ACS answer 403). Pure functions
 * over bytes; the caller sends.
 */
#ifndef TB_TRUNK_OPTIONS_H
#define TB_TRUNK_OPTIONS_H

#include "sip/msg/sip_build.h"
#include "sip/tx/sip_tx.h"

#define TB_ALLOW                                                               \
	"INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, PRACK, UPDATE, REFER, "      \
	"SUBSCRIBE, NOTIFY"
#define TB_SUPPORTED "replaces, timer, 100rel"
#define TB_SERVER    "trunkbridge/0.1.0"
/* X-MS-SBC: Vendor/Model/Version (interop 1.4) */
#define TB_X_MS_SBC "trunkbridge/SBC/0.1.0"

struct tb_identity {
	const char *fqdn;      /* our FQDN: cert name, every Contact */
	uint16_t port;         /* our SIP port in Contact (5061 for TLS) */
	const char *transport; /* "tls", "tcp", "udp" */
};

/* Answer an OPTIONS request to trunkbridge itself into out. Returns the
 * length, 0 when out is too small. src: where it came from (the top Via
 * gets received/rport from it, RFC 3261 18.2.1), may be NULL. to_tag: our
 * tag for the To header. */
size_t options_answer(const struct sip_msg *req, const struct tb_identity *id,
                      const struct sip_tx_dest *src, struct pl to_tag,
                      char *out, size_t cap);

#endif
