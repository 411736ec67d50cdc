/* check.h: `trunkbridge check`, the guide's rules on a loaded config.
 *
 * The config loader already refuses what is malformed or against a cloud's
 * rules; check adds what needs the files and the guide: our certificate
 * (present, parses, matches the key, not self-signed, names covering
 * identity.fqdn, RSA >= 2048 bits, serverAuth/clientAuth usage, chain
 * complete, not expired or expiring soon), the trunks' call settings in
 * the guide's words (ACS: TLS and SRTP; Genesys: SRTP, its reserved header
 * prefixes) and the allow-lists (the guide's NSG; an allow_from_ip_ranges
 * file that cannot be used is an error). Each finding is one line: the
 * key, what is wrong, the fix.
 */
#ifndef TB_CHECK_H
#define TB_CHECK_H

#include "cfg/cfg.h"

#include <stdio.h>

struct check_opts {
	const char *extra_ca;      /* PEM roots trusted besides the system's */
	unsigned expiry_warn_days; /* warn when the cert expires sooner */
};

struct check_counts {
	unsigned errors;
	unsigned warnings;
};

/* Run every rule; print findings to out; add to counts. */
void check_config(const struct tb_config *cfg, const struct check_opts *o,
                  FILE *out, struct check_counts *n);

/* The trunk rules alone (part of check_config; no file is opened):
 *   acs-direct-routing: transport tls and media_encryption srtp (error)
 *   genesys-byoc-cloud: media_encryption rtp (warning); a pass, add or
 *                       termination header named x-inin*, x-genesys*,
 *                       x-pcv* or x-gcv* (error)
 * The loader refuses the errors already (a config it loads has none);
 * these say why in the guide's words for configs built otherwise. */
void check_trunk_rules(const struct tb_config *cfg, FILE *out,
                       struct check_counts *n);

#endif
