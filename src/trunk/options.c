/* options.c: the OPTIONS responder's answer. */
#include "trunk/options.h"

#include <stdio.h>
#include <string.h>

size_t options_answer(const struct sip_msg *req, const struct tb_identity *id,
                      const struct sip_tx_dest *src, struct pl to_tag,
                      char *out, size_t cap)
{
	struct sip_build b;
	char contact[320];
	int n;

	n = snprintf(contact, sizeof(contact), "<sip:%s:%u;transport=%s>",
	             id->fqdn, (unsigned)id->port, id->transport);
	if (n < 0 || (size_t)n >= sizeof(contact))
		return 0;
	sip_build_init(&b, out, cap);
	sip_tx_response_head(&b, req, src, 200, PL_NULL, to_tag);
	sip_build_hdr(&b, SIP_HDR_CONTACT, pl_make(contact, (size_t)n));
	sip_build_hdr(&b, SIP_HDR_ALLOW, PL(TB_ALLOW));
	sip_build_hdr(&b, SIP_HDR_ACCEPT, PL("application/sdp"));
	sip_build_hdr(&b, SIP_HDR_SUPPORTED, PL(TB_SUPPORTED));
	sip_build_hdr(&b, SIP_HDR_SERVER, PL(TB_SERVER));
	return sip_build_finish(&b, PL_NULL);
}
