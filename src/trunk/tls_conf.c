/* tls_conf.c: a TLS profile from the config (see tls_conf.h). */
#include "trunk/tls_conf.h"

#include <string.h>

struct tls_profile *tls_profile_for(const struct tb_config *cfg,
                                    const struct cfg_tls *t, bool client_cert,
                                    char *err, size_t errlen)
{
	struct tls_profile_conf pc;

	memset(&pc, 0, sizeof(pc));
	pc.certificate = cfg->identity.certificate;
	pc.private_key = cfg->identity.private_key;
	pc.client_certificate = client_cert;
	pc.ca_file = t->ca_file;
	pc.verify_peer = (enum tls_verify)t->verify_peer;
	for (size_t i = 0; i < t->n_peer_names && i < TLS_MAX_PEER_NAMES; i++)
		pc.peer_names[pc.n_peer_names++] = t->peer_names[i];
	pc.ciphers = t->ciphers;
	pc.groups = t->groups;
	pc.min_version = t->min_version;
	pc.handshake_timeout_ms = cfg->limits.tls_handshake_timeout_ms;
	return tls_profile_new(&pc, err, errlen);
}
