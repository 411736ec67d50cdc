/* probe.h: `trunkbridge check --probe`, each trunk server tried for real.
 *
 * For each server of each trunk, in steps: DNS (the server's name), TCP
 * connect, TLS handshake (our certificate offered as `run` offers it; the
 * peer's chain and names checked by the same profile and verify code
 * `run` uses: sip/transp/tls.c through the transport), then an OPTIONS
 * round trip built and sent by the pinger (trunk/pinger.c) over the
 * transaction layer. Every step is bounded (probe_opts.timeout_ms); the
 * servers are probed at once on a libevent loop of the probe's own.
 *
 * A failed step is mapped to its cause and fix in the guide's words by one
 * table (probe_cause_text): a reason string of the transport/TLS layer or
 * an OPTIONS status goes through probe_classify, then probe_explain writes
 * the text with the server's details. Both are pure and unit-tested.
 *
 * Output, one line per server, then one per failed step:
 *   probe: acs 127.0.0.2:5061  dns ok (127.0.0.2)  tcp ok 0.4ms  tls ok
 *     (TLSv1.3, peer sip.pstnhub.lab.test, chain ok)  options 200 OK 3.1ms
 *   probe: acs 127.0.0.2:5061: tls failed: <cause> - fix: <fix>
 * and the config findings the guide names (Diversion off on a trunk that
 * transfers are routed to: its Edge Case 2) as warnings.
 */
#ifndef TB_CHECK_PROBE_H
#define TB_CHECK_PROBE_H

#include "cfg/cfg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROBE_TIMEOUT_DEFAULT_MS 5000u
#define PROBE_TIMEOUT_MIN_MS     100u
#define PROBE_TIMEOUT_MAX_MS     60000u

struct probe_opts {
	const char *trunk;   /* only this trunk; NULL: every trunk */
	uint32_t timeout_ms; /* each step (DNS, TCP, TLS, OPTIONS); 0: 5 s */
};

struct probe_counts {
	unsigned servers, passed, failed;
	unsigned warnings; /* config findings (Diversion) */
};

/* Probe the servers of cfg's trunks (o->trunk: that one only; the caller
 * checked it exists). Prints to out. Returns 0 when every server passed
 * every step, 1 when one failed, -1 when the probe could not run (no
 * event loop; the reason printed). */
int probe_run(const struct tb_config *cfg, const struct probe_opts *o,
              FILE *out, struct probe_counts *n);

/* ---- the cause table (pure; tests/unit/test_probe.c) ---- */

enum probe_step {
	PROBE_STEP_DNS = 0,
	PROBE_STEP_TCP,
	PROBE_STEP_TLS,
	PROBE_STEP_OPTIONS,
	PROBE_STEP_CONFIG,
};

enum probe_cause {
	PROBE_OK = 0,
	PROBE_DNS_UNKNOWN, /* the name does not resolve */
	PROBE_DNS_TIMEOUT, /* the resolver did not answer */
	PROBE_TCP_REFUSED, /* nothing listens */
	PROBE_TCP_TIMEOUT, /* a firewall/NSG drops the SYN */
	PROBE_TCP_OTHER,   /* unreachable, ... */
	PROBE_TLS_PROFILE, /* our own profile cannot be built */
	PROBE_TLS_NAME,    /* name mismatch */
	PROBE_TLS_IP_NAME, /* dialled by address, the cert lacks it */
	PROBE_TLS_EXPIRED, /* the peer's certificate */
	PROBE_TLS_NOT_YET_VALID,
	PROBE_TLS_SELF_SIGNED,
	PROBE_TLS_NO_INTERMEDIATE, /* the peer sent its leaf alone */
	PROBE_TLS_UNTRUSTED_CA, /* its chain ends at a root we do not trust */
	PROBE_TLS_CHAIN,    /* one of the two above, no chain seen to tell */
	PROBE_TLS_PURPOSE,  /* EKU without serverAuth */
	PROBE_TLS_CIPHER,   /* no shared cipher, group, signature algorithm */
	PROBE_TLS_PROTOCOL, /* no shared TLS version */
	PROBE_TLS_OUR_CERT, /* the peer refused our certificate */
	PROBE_TLS_NOT_TLS,  /* plain SIP on the port */
	PROBE_TLS_CLOSED,   /* closed/reset during the handshake */
	PROBE_TLS_TIMEOUT,  /* handshake not done in time */
	PROBE_TLS_OTHER,
	PROBE_OPT_TIMEOUT, /* no answer (our deadline, Timer F, a 408) */
	PROBE_OPT_403,
	PROBE_OPT_404,
	PROBE_OPT_503,
	PROBE_OPT_5XX,
	PROBE_OPT_OTHER,     /* another non-2xx final answer */
	PROBE_OPT_CLOSED,    /* the connection went before the answer */
	PROBE_DIVERSION_OFF, /* config: the guide's Edge Case 2 */
	PROBE_CAUSE_COUNT
};

/* One row: the step it belongs to, a short name, what is wrong and the
 * fix (fix_acs / fix_genesys for those profiles; NULL: fix). Templates:
 * {trunk} {host} {port} {addr} {reason} {got} {expected} {issuer} {code}
 * {timeout} {fqdn} {from} {form} {proto} {took} are filled from struct
 * probe_vars. */
struct probe_cause_text {
	enum probe_step step;
	const char *name;
	const char *what;
	const char *fix;
	const char *fix_acs;
	const char *fix_genesys;
};

const struct probe_cause_text *probe_cause_text(enum probe_cause c);
const char *probe_step_name(enum probe_step s);

/* What the TLS step saw of the peer's certificates (also on a failed
 * handshake: the chain the peer sent). */
struct probe_tls_seen {
	bool have_chain;
	int chain_len;        /* certificates the peer sent, leaf first */
	bool top_self_signed; /* the last one it sent is a root */
	char anchor[160];     /* that root's CN, else the last one's issuer */
	char leaf_names[200]; /* the leaf's DNS names (SAN, else CN) */
	char version[16];     /* "TLSv1.3" */
};

/* The cause of a failed step from the layer's reason (the transport's and
 * tls.c's words, e.g. "TLS: certificate name mismatch: got ...") and, for
 * OPTIONS, the final status (0: none). seen may be NULL. */
enum probe_cause probe_classify(enum probe_step step, const char *reason,
                                unsigned code,
                                const struct probe_tls_seen *seen);

/* tls.c's "certificate name mismatch: got A, B, expected X or Y (openssl:
 * ...)" into got / expected. false when reason is not that. */
bool probe_mismatch_names(const char *reason, char *got, size_t gotlen,
                          char *expected, size_t explen);

struct probe_vars {
	const char *trunk, *host, *addr, *reason, *got, *expected, *issuer;
	const char *fqdn, *from, *form;
	unsigned port, code;
	uint32_t timeout_ms;
	enum cfg_profile profile;
	bool udp; /* the trunk's transport is UDP: {proto}, {took} */
};

/* "<what> - fix: <fix>" with the templates filled (NULL vars print as
 * "?"). Returns the length written (truncated to cap - 1). */
size_t probe_explain(char *out, size_t cap, enum probe_cause c,
                     const struct probe_vars *v);

#endif
