/* tls_conf.h: a TLS profile from the config: the one `run` connects and
 * listens with and `check --probe` tries, so the two cannot disagree. */
#ifndef TB_TRUNK_TLS_CONF_H
#define TB_TRUNK_TLS_CONF_H

#include "cfg/cfg.h"
#include "sip/transp/tls.h"

#include <stdbool.h>
#include <stddef.h>

/* Our certificate chain and key (identity), presented to a server when
 * client_cert; t's trust store, peer names, ciphers, groups and minimum
 * version; the handshake timeout of limits. NULL with the reason in err. */
struct tls_profile *tls_profile_for(const struct tb_config *cfg,
                                    const struct cfg_tls *t, bool client_cert,
                                    char *err, size_t errlen);

#endif
