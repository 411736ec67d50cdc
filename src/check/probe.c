/* probe.c: `trunkbridge check --probe`: DNS, TCP, TLS and OPTIONS to each
 * trunk server, every failure mapped to its cause and fix (the guide's
 * "Validation, Edge Cases & Troubleshooting"; interop.md F1-F3, F9, F14).
 *
 * The engine reuses what `run` runs: the transport (tp_resolve, tp_connect
 * with the trunk's TLS profile, built from the config as cmd_run.c's
 * tls_profile_for builds it), the transaction layer and the pinger (its
 * OPTIONS, its outcome). Each server gets a TLS profile of its own: the
 * profile's client context carries an OpenSSL message callback (observes
 * only) that notes the version and the chain the peer sent, also when the
 * handshake fails, which tells a missing intermediate from an untrusted
 * root. The pinger of a server reuses the connection the TLS step opened
 * (same profile, host and port), so OPTIONS goes where the handshake was.
 */
#include "check/probe.h"
#include "base/clock.h"

#include "sip/transp/tls.h"
#include "sip/transp/transport.h"
#include "sip/transp/tx_event.h"
#include "sip/tx/sip_tx.h"
#include "trunk/pinger.h"
#include "trunk/tls_conf.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* The cause table                                                     */

#define ACS_ROOTS                                                              \
	"the Microsoft roots: DigiCert Global Root G2 (and for Microsoft's "   \
	"2026 certificates DigiCert Global Root CA, Global Root G3, "          \
	"Microsoft RSA Root CA 2017 and Microsoft ECC Root CA 2017)"
#define ACS_NSG                                                                \
	"allow TCP 5061 from the SBC's public IP to sip, sip2 and "            \
	"sip3.pstnhub.microsoft.com (52.112.0.0/14, 52.120.0.0/14) and the "   \
	"answers back, in the NSG and every firewall on the way"
#define GC_NSG                                                                 \
	"allow TCP {port} from the SBC's public IP to Genesys Cloud's "        \
	"signaling ranges (the ip-ranges.json file, /api/v2/ipranges) and "    \
	"the answers back, in the NSG and every firewall on the way"

static const struct probe_cause_text causes[PROBE_CAUSE_COUNT] = {
        [PROBE_OK] = {PROBE_STEP_OPTIONS, "ok", "ok", "", NULL, NULL},
        [PROBE_DNS_UNKNOWN] =
                {PROBE_STEP_DNS, "name does not resolve",
                 "{host} does not resolve ({reason})",
                 "write the server's DNS name in trunks.{trunk}.servers as "
                 "its owner publishes it, and check this host's resolver "
                 "(/etc/resolv.conf)",
                 "ACS's servers are sip.pstnhub.microsoft.com, "
                 "sip2.pstnhub.microsoft.com and sip3.pstnhub.microsoft.com, "
                 "port 5061, by name (never their addresses); check this "
                 "host's resolver (/etc/resolv.conf)",
                 "use the Genesys Cloud signaling FQDN of your region (e.g. "
                 "byoc.us-east-1.pure.cloud) in trunks.{trunk}.servers; "
                 "check this host's resolver (/etc/resolv.conf)"},
        [PROBE_DNS_TIMEOUT] =
                {PROBE_STEP_DNS, "resolver timeout",
                 "no answer from the resolver for {host} within {timeout} "
                 "({reason})",
                 "check this host's resolver (/etc/resolv.conf) and that DNS "
                 "(port 53) leaves this host",
                 NULL, NULL},
        [PROBE_TCP_REFUSED] =
                {PROBE_STEP_TCP, "connection refused",
                 "nothing listens on {addr} (connection refused)",
                 "check the port in trunks.{trunk}.servers (TLS: 5061) and "
                 "that the peer runs; a firewall or NSG that rejects TCP "
                 "{port} looks the same: allow TCP {port} from our public IP",
                 "ACS listens on TCP 5061 of sip, sip2 and "
                 "sip3.pstnhub.microsoft.com: write port 5061; a firewall or "
                 "NSG that rejects looks the same: " ACS_NSG,
                 "Genesys takes TLS on 5061: write port 5061; a firewall or "
                 "NSG that rejects looks the same: " GC_NSG},
        [PROBE_TCP_TIMEOUT] =
                {PROBE_STEP_TCP, "connect timeout",
                 "no answer to the TCP connect to {addr} within {timeout}: a "
                 "firewall or NSG drops TCP {port} (the guide's Edge Case 1: "
                 "Firewall / NSG Blockage)",
                 "allow TCP {port} from our public IP to the peer and its "
                 "answers back, in the NSG and every firewall on the way",
                 ACS_NSG, GC_NSG},
        [PROBE_TCP_OTHER] = {PROBE_STEP_TCP, "cannot connect",
                             "cannot connect to {addr}: {reason}",
                             "check this host's route to the peer and every "
                             "firewall/NSG on the way (TCP {port})",
                             NULL, NULL},
        [PROBE_TLS_PROFILE] =
                {PROBE_STEP_TLS, "our TLS profile",
                 "our TLS profile for this trunk cannot be built: {reason}",
                 "fix identity.certificate / identity.private_key or "
                 "trunks.{trunk}.tls (the findings above say how)",
                 NULL, NULL},
        [PROBE_TLS_NAME] =
                {PROBE_STEP_TLS, "name mismatch",
                 "name mismatch: the certificate the peer sent names {got}; "
                 "the trunk expects {expected} (tls.peer_names)",
                 "dial the server by a name its certificate carries, or set "
                 "trunks.{trunk}.tls.peer_names to it (the guide: the TLS "
                 "Subject Name must match the FQDN exactly)",
                 "ACS presents *.pstnhub.microsoft.com: dial sip, sip2 and "
                 "sip3.pstnhub.microsoft.com by name, or set "
                 "trunks.{trunk}.tls.peer_names: [ \"*.pstnhub.microsoft.com\" "
                 "] (the guide: the TLS Subject Name must match the FQDN "
                 "exactly)",
                 "Genesys was seen presenting voice.mypurecloud.com for BYOC "
                 "hostnames: check its SANs, then set "
                 "trunks.{trunk}.tls.peer_names to one of them (interop "
                 "F14)"},
        [PROBE_TLS_IP_NAME] =
                {PROBE_STEP_TLS, "address not in certificate",
                 "the server is dialled by its address {host} and the "
                 "peer's certificate does not carry it ({reason})",
                 "dial the server by its DNS name, or set "
                 "trunks.{trunk}.tls.peer_names to a name its certificate "
                 "carries",
                 NULL, NULL},
        [PROBE_TLS_EXPIRED] = {PROBE_STEP_TLS, "expired",
                               "the peer's certificate has expired",
                               "the peer has to renew its certificate (check "
                               "this host's clock too: date)",
                               NULL, NULL},
        [PROBE_TLS_NOT_YET_VALID] = {PROBE_STEP_TLS, "not yet valid",
                                     "the peer's certificate is not valid yet",
                                     "check both clocks (this host's: date, "
                                     "NTP)",
                                     NULL, NULL},
        [PROBE_TLS_SELF_SIGNED] =
                {PROBE_STEP_TLS, "self-signed",
                 "the peer's certificate is self-signed: no CA we trust "
                 "issued it",
                 "the guide: \"Do not use standard self-signed "
                 "certificates\": the peer needs a certificate from a public "
                 "CA (a lab peer: put its certificate in "
                 "trunks.{trunk}.tls.ca_file)",
                 NULL, NULL},
        [PROBE_TLS_NO_INTERMEDIATE] =
                {PROBE_STEP_TLS, "missing intermediate",
                 "missing intermediate: the peer sent its certificate alone; "
                 "its issuer {issuer} is neither sent nor a root we trust",
                 "the peer must send its full chain (leaf, then the "
                 "intermediates) in the handshake",
                 NULL, NULL},
        [PROBE_TLS_UNTRUSTED_CA] =
                {PROBE_STEP_TLS, "untrusted CA",
                 "untrusted CA: the peer's chain ends at {issuer}, a root "
                 "that trunks.{trunk}.tls.ca_file (or the system store) does "
                 "not trust",
                 "trunks.{trunk}.tls.ca_file, or the system store "
                 "(ca-certificates) when ca_file is unset, has to trust the "
                 "peer's root",
                 "trunks.{trunk}.tls.ca_file, or the system store "
                 "(ca-certificates) when ca_file is unset, has to "
                 "trust " ACS_ROOTS,
                 "trunks.{trunk}.tls.ca_file, or the system store "
                 "(ca-certificates) when ca_file is unset, has to trust "
                 "Genesys Cloud's root (DigiCert)"},
        [PROBE_TLS_CHAIN] =
                {PROBE_STEP_TLS, "missing intermediate or untrusted CA",
                 "missing intermediate or untrusted CA: the chain the peer "
                 "sent does not reach a root we trust",
                 "the peer must send leaf + intermediates, and "
                 "trunks.{trunk}.tls.ca_file (or the system store) has to "
                 "trust its root",
                 "the peer must send leaf + intermediates, and "
                 "trunks.{trunk}.tls.ca_file (or the system store) has to "
                 "trust " ACS_ROOTS,
                 NULL},
        [PROBE_TLS_PURPOSE] =
                {PROBE_STEP_TLS, "certificate usage",
                 "the peer's certificate is not for TLS servers ({reason})",
                 "the peer needs a certificate with Server Authentication in "
                 "its Extended Key Usage",
                 NULL, NULL},
        [PROBE_TLS_CIPHER] =
                {PROBE_STEP_TLS, "no shared cipher",
                 "no cipher, group or signature algorithm in common with the "
                 "peer ({reason})",
                 "keep trunks.{trunk}.tls.ciphers and groups at their "
                 "defaults (ECDHE-RSA with AES-GCM, P-384 first)",
                 "ACS takes ECDHE-RSA-AES256-GCM-SHA384, "
                 "ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-AES256-SHA384 and "
                 "ECDHE-RSA-AES128-SHA256: keep trunks.{trunk}.tls.ciphers "
                 "at its default",
                 "Genesys takes ECDHE on P-384 only: keep secp384r1 in "
                 "trunks.{trunk}.tls.groups (interop F14)"},
        [PROBE_TLS_PROTOCOL] =
                {PROBE_STEP_TLS, "no shared TLS version",
                 "no TLS version in common with the peer ({reason})",
                 "TLS 1.2 or later on both sides "
                 "(trunks.{trunk}.tls.min_version: 1.2)",
                 "ACS takes TLS 1.2 or later (1.0 and 1.1 are off since "
                 "2022): trunks.{trunk}.tls.min_version: 1.2",
                 NULL},
        [PROBE_TLS_OUR_CERT] =
                {PROBE_STEP_TLS, "the peer refused our certificate",
                 "the peer refused our certificate ({reason})",
                 "identity.certificate must hold the full chain (leaf, then "
                 "intermediates) from a CA the peer trusts, naming "
                 "identity.fqdn; `trunkbridge check` without --probe lists "
                 "what is wrong with it",
                 "ACS needs a certificate from a public CA in the Microsoft "
                 "Trusted Root Program, the full chain, Server and Client "
                 "Authentication usage, presented as client certificate "
                 "(trunks.{trunk}.tls.client_certificate: true); the guide: "
                 "\"Do not use standard self-signed certificates\"",
                 "Genesys has to trust our certificate (the guide: \"your "
                 "Azure environment must trust the Genesys Cloud "
                 "certificate\", and the other way round): a public CA, the "
                 "full chain in identity.certificate"},
        [PROBE_TLS_NOT_TLS] =
                {PROBE_STEP_TLS, "not TLS",
                 "the peer does not speak TLS on {addr} (plain SIP there?)",
                 "write the peer's TLS port (5061) in trunks.{trunk}.servers, "
                 "or transport: tcp if it has no TLS",
                 "ACS speaks TLS on 5061 only: port 5061",
                 "Genesys: 5061 is TLS, 5060 is UDP/TCP: port 5061 (interop "
                 "F14)"},
        [PROBE_TLS_CLOSED] =
                {PROBE_STEP_TLS, "closed during the handshake",
                 "the peer closed the connection during the TLS handshake "
                 "({reason})",
                 "the peer refused something without saying: usually our "
                 "certificate (chain, CA, names) or a client certificate it "
                 "wants (trunks.{trunk}.tls.client_certificate)",
                 "ACS resets the connection when our chain lacks an "
                 "intermediate or no client certificate is presented: the "
                 "full chain in identity.certificate, "
                 "trunks.{trunk}.tls.client_certificate: true (interop F1, "
                 "F4)",
                 NULL},
        [PROBE_TLS_TIMEOUT] =
                {PROBE_STEP_TLS, "handshake timeout",
                 "the TLS handshake with {addr} did not finish within "
                 "{timeout} ({reason})",
                 "a firewall or NSG passes the connect but drops what "
                 "follows, or the peer is not a TLS server: allow TCP {port} "
                 "both ways",
                 ACS_NSG, GC_NSG},
        [PROBE_TLS_OTHER] =
                {PROBE_STEP_TLS, "handshake failed",
                 "the TLS handshake failed: {reason}",
                 "TLS 1.2 or later, ECDHE-RSA AES-GCM, a CA both sides "
                 "trust, our certificate presented as client certificate "
                 "and SNI (interop F1)",
                 NULL, NULL},
        [PROBE_OPT_TIMEOUT] =
                {PROBE_STEP_OPTIONS, "no answer (408)",
                 "the peer {took}never answered OPTIONS within {timeout} (a "
                 "SIP 408 Timeout; the guide's Edge Case 1)",
                 "the peer must know our FQDN {fqdn} (Contact) as one of its "
                 "SBCs/trunks, and every firewall/NSG must pass signaling "
                 "({proto} {port}) both ways, its answers included",
                 "ACS answers OPTIONS from a paired SBC only: identity.fqdn "
                 "({fqdn}) must be the SBC FQDN of the Direct Routing "
                 "config, its domain validated; the NSG must pass TCP 5061 "
                 "both ways from 52.112.0.0/14 and 52.120.0.0/14 (the "
                 "guide's Edge Case 1; interop F2, F3)",
                 "the Genesys BYOC trunk must list this SBC ({fqdn}) in its "
                 "SIP Servers; whitelist Genesys Cloud's Core Services and "
                 "Media Services ranges (ip-ranges.json) in the NSG, both "
                 "ways (the guide's Edge Case 1; interop F9)"},
        [PROBE_OPT_403] =
                {PROBE_STEP_OPTIONS, "403 Forbidden",
                 "the peer answered {reason} to OPTIONS",
                 "our Contact carries identity.fqdn ({fqdn}): it must be the "
                 "FQDN the peer has configured for this SBC, and the name in "
                 "our certificate",
                 "ACS: identity.fqdn ({fqdn}) must be the SBC FQDN paired "
                 "with the ACS resource in Direct Routing, its domain "
                 "validated, and the name in our certificate; never an IP "
                 "(interop F2, F7: 510532)",
                 NULL},
        [PROBE_OPT_404] =
                {PROBE_STEP_OPTIONS, "404 Not Found",
                 "the peer answered {reason}: it does not know the "
                 "Request-URI sip:{host}:{port}",
                 "write the peer's own name in trunks.{trunk}.servers (the "
                 "Request-URI of OPTIONS is that host)",
                 NULL, NULL},
        [PROBE_OPT_503] =
                {PROBE_STEP_OPTIONS, "503 Service Unavailable",
                 "the peer answered {reason}: it is overloaded or in "
                 "maintenance",
                 "usually passing: try again later; calls fail over to the "
                 "trunk's next server meanwhile",
                 "ACS answers 503 with Retry-After when a data centre is "
                 "busy: calls fail over to sip2, then sip3; try again later",
                 NULL},
        [PROBE_OPT_5XX] = {PROBE_STEP_OPTIONS, "server error",
                           "the peer answered {reason}",
                           "an error on the peer's side: check it; calls "
                           "fail over to the trunk's next server meanwhile",
                           NULL, NULL},
        [PROBE_OPT_OTHER] = {PROBE_STEP_OPTIONS, "refused",
                             "the peer answered {reason} to OPTIONS",
                             "OPTIONS must get 200: check the peer's trunk "
                             "settings for this SBC ({fqdn})",
                             NULL, NULL},
        [PROBE_OPT_CLOSED] =
                {PROBE_STEP_OPTIONS, "connection lost",
                 "the connection went before the answer to OPTIONS "
                 "({reason})",
                 "the peer closed the connection after our OPTIONS: it "
                 "refused our FQDN or certificate, or a firewall cut the "
                 "connection",
                 "ACS closes the connection when it refuses the SBC: "
                 "identity.fqdn ({fqdn}) paired in Direct Routing, the full "
                 "chain in identity.certificate (interop F2, F4)",
                 NULL},
        [PROBE_DIVERSION_OFF] =
                {PROBE_STEP_CONFIG, "Diversion off",
                 "transfers from trunk {from} are routed to this trunk and "
                 "it sends no Diversion header on them ({form}): the "
                 "guide's Edge Case 2, transfers fail",
                 "set trunks.{trunk}.diversion: { form: diversion, "
                 "always_send: true, source: original-called } (\"Always "
                 "send Diversion Header\", mapped from the Original Called "
                 "Address)",
                 NULL, NULL},
};

const struct probe_cause_text *probe_cause_text(enum probe_cause c)
{
	return (unsigned)c < PROBE_CAUSE_COUNT ? &causes[c] : NULL;
}

const char *probe_step_name(enum probe_step s)
{
	switch (s) {
	case PROBE_STEP_DNS:
		return "dns";
	case PROBE_STEP_TCP:
		return "tcp";
	case PROBE_STEP_TLS:
		return "tls";
	case PROBE_STEP_OPTIONS:
		return "options";
	case PROBE_STEP_CONFIG:
		return "config";
	}
	return "?";
}

static bool has(const char *s, const char *what)
{
	return s && strstr(s, what) != NULL;
}

/* Classify our own layers' words (tls.c, transport.c, pinger.c): text we
 * wrote, NUL-terminated, never bytes from the network. */
enum probe_cause probe_classify(enum probe_step step, const char *reason,
                                unsigned code,
                                const struct probe_tls_seen *seen)
{
	const char *r = reason ? reason : "";

	switch (step) {
	case PROBE_STEP_DNS:
		if (has(r, "timed out") || has(r, "timeout") ||
		    has(r, "temporary failure"))
			return PROBE_DNS_TIMEOUT;
		return PROBE_DNS_UNKNOWN;
	case PROBE_STEP_TCP:
		if (has(r, "refused"))
			return PROBE_TCP_REFUSED;
		if (has(r, "timeout") || has(r, "timed out"))
			return PROBE_TCP_TIMEOUT;
		return PROBE_TCP_OTHER;
	case PROBE_STEP_TLS:
		if (has(r, "TLS profile:"))
			return PROBE_TLS_PROFILE;
		/* the classes the metrics count (tls.c), refined */
		switch (tls_fail_classify(r)) {
		case TLS_FAIL_NAME_MISMATCH:
			return PROBE_TLS_NAME;
		case TLS_FAIL_IP_MISMATCH:
			return PROBE_TLS_IP_NAME;
		case TLS_FAIL_EXPIRED:
			return PROBE_TLS_EXPIRED;
		case TLS_FAIL_NOT_YET_VALID:
			return PROBE_TLS_NOT_YET_VALID;
		case TLS_FAIL_SELF_SIGNED:
			return PROBE_TLS_SELF_SIGNED;
		case TLS_FAIL_UNTRUSTED_CA:
			return PROBE_TLS_UNTRUSTED_CA;
		case TLS_FAIL_UNTRUSTED_CHAIN:
			/* the chain it sent tells: its leaf alone (not a root)
			 * lacks the intermediate; a longer one ends at a CA
			 * we do not trust */
			if (!seen || !seen->have_chain)
				return PROBE_TLS_CHAIN;
			if (seen->chain_len == 1 && !seen->top_self_signed)
				return PROBE_TLS_NO_INTERMEDIATE;
			return PROBE_TLS_UNTRUSTED_CA;
		case TLS_FAIL_PURPOSE:
			return PROBE_TLS_PURPOSE;
		case TLS_FAIL_NO_SHARED_CIPHER:
			return PROBE_TLS_CIPHER;
		case TLS_FAIL_PROTOCOL:
			return PROBE_TLS_PROTOCOL;
		case TLS_FAIL_PEER_REFUSED_US:
			return PROBE_TLS_OUR_CERT;
		case TLS_FAIL_NOT_TLS:
			return PROBE_TLS_NOT_TLS;
		case TLS_FAIL_TIMEOUT:
			return PROBE_TLS_TIMEOUT;
		case TLS_FAIL_CLOSED:
			return PROBE_TLS_CLOSED;
		case TLS_FAIL_NO_CLIENT_CERT:
		case TLS_FAIL_PEER_ALERT:
		case TLS_FAIL_OTHER:
		case TLS_FAIL_COUNT:
			break;
		}
		return PROBE_TLS_OTHER;
	case PROBE_STEP_OPTIONS:
		if (code >= 200 && code < 300)
			return PROBE_OK;
		if (code == 408 ||
		    (code == 0 && (has(r, "no answer") || has(r, "timeout"))))
			return PROBE_OPT_TIMEOUT;
		if (code == 403)
			return PROBE_OPT_403;
		if (code == 404)
			return PROBE_OPT_404;
		if (code == 503)
			return PROBE_OPT_503;
		if (code >= 500 && code < 600)
			return PROBE_OPT_5XX;
		if (code == 0)
			return PROBE_OPT_CLOSED;
		return PROBE_OPT_OTHER;
	case PROBE_STEP_CONFIG:
		return PROBE_DIVERSION_OFF;
	}
	return PROBE_TLS_OTHER;
}

static void copy_span(char *out, size_t len, const char *p, size_t n)
{
	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

bool probe_mismatch_names(const char *reason, char *got, size_t gotlen,
                          char *expected, size_t explen)
{
	const char *m = reason ? strstr(reason, "name mismatch: got ") : NULL;
	const char *g, *e, *end;

	if (!m)
		return false;
	g = m + strlen("name mismatch: got ");
	e = strstr(g, ", expected ");
	if (!e)
		return false;
	copy_span(got, gotlen, g, (size_t)(e - g));
	e += strlen(", expected ");
	end = strstr(e, " (openssl");
	copy_span(expected, explen, e, end ? (size_t)(end - e) : strlen(e));
	return true;
}

/* ---- filling a template ---- */

struct out_buf {
	char *p;
	size_t cap, len;
};

static void ob_put(struct out_buf *o, const char *s, size_t n)
{
	if (o->len + 1 >= o->cap)
		return;
	if (n > o->cap - 1 - o->len)
		n = o->cap - 1 - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void ob_str(struct out_buf *o, const char *s)
{
	s = s ? s : "?";
	ob_put(o, s, strlen(s));
}

static void fmt_timeout(char *buf, size_t len, uint32_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%u s", (unsigned)(ms / 1000));
	else
		snprintf(buf, len, "%u ms", (unsigned)ms);
}

static void var(struct out_buf *o, const char *name, size_t n,
                const struct probe_vars *v)
{
	char num[32];
#define IS(lit) (n == sizeof(lit) - 1 && !memcmp(name, lit, n))
	if (IS("trunk"))
		ob_str(o, v->trunk);
	else if (IS("host"))
		ob_str(o, v->host);
	else if (IS("addr"))
		ob_str(o, v->addr);
	else if (IS("reason"))
		ob_str(o, v->reason);
	else if (IS("got"))
		ob_str(o, v->got);
	else if (IS("expected"))
		ob_str(o, v->expected);
	else if (IS("issuer"))
		ob_str(o, v->issuer);
	else if (IS("fqdn"))
		ob_str(o, v->fqdn);
	else if (IS("from"))
		ob_str(o, v->from);
	else if (IS("form"))
		ob_str(o, v->form);
	else if (IS("proto"))
		ob_str(o, v->udp ? "UDP" : "TCP");
	else if (IS("took"))
		ob_str(o, v->udp ? "" : "took the connection but ");
	else if (IS("port")) {
		snprintf(num, sizeof(num), "%u", v->port);
		ob_str(o, num);
	} else if (IS("code")) {
		snprintf(num, sizeof(num), "%u", v->code);
		ob_str(o, num);
	} else if (IS("timeout")) {
		fmt_timeout(num, sizeof(num), v->timeout_ms);
		ob_str(o, num);
	} else {
		ob_put(o, name - 1, n + 2); /* not ours: as written */
	}
#undef IS
}

static void fill(struct out_buf *o, const char *t, const struct probe_vars *v)
{
	while (*t) {
		const char *b = strchr(t, '{');
		const char *e = b ? strchr(b, '}') : NULL;
		if (!b || !e) {
			ob_str(o, t);
			return;
		}
		ob_put(o, t, (size_t)(b - t));
		var(o, b + 1, (size_t)(e - b - 1), v);
		t = e + 1;
	}
}

size_t probe_explain(char *out, size_t cap, enum probe_cause c,
                     const struct probe_vars *v)
{
	const struct probe_cause_text *ct = probe_cause_text(c);
	struct out_buf o = {out, cap, 0};
	const char *fix;

	if (!cap)
		return 0;
	out[0] = '\0';
	if (!ct)
		return 0;
	fix = ct->fix;
	if (v->profile == CFG_PROFILE_ACS && ct->fix_acs)
		fix = ct->fix_acs;
	else if (v->profile == CFG_PROFILE_GENESYS && ct->fix_genesys)
		fix = ct->fix_genesys;
	fill(&o, ct->what, v);
	if (fix && fix[0]) {
		ob_str(&o, " - fix: ");
		fill(&o, fix, v);
	}
	return o.len;
}

/* ------------------------------------------------------------------ */
/* The engine                                                          */

struct probe;

struct psrv {
	struct probe *pr;
	const struct cfg_trunk *t;
	size_t idx;
	struct cfg_trunk one; /* t with this server alone: the pinger's */
	struct tls_profile *tls;
	enum probe_step step;
	bool started, done, failed;
	struct event *ev_next;     /* the next step, from the loop */
	struct event *ev_deadline; /* this step's bound */
	struct tp_resolve *res;
	struct tp_conn *conn; /* referenced: TCP, then TLS */
	struct pinger *pinger;
	uint64_t t0_us;
	struct probe_tls_seen seen;
	char line[1024];  /* the steps so far */
	char cause[3072]; /* the failed step's explanation */
	char ip[INET6_ADDRSTRLEN + 8];
};

struct probe {
	const struct tb_config *cfg;
	struct probe_opts o;
	struct event_base *base;
	struct tp_layer *tp;
	struct sip_tx_layer *tx;
	struct event *tx_timer;
	struct event *ev_all; /* the whole probe's bound */
	struct psrv *s;
	size_t n;
	size_t pending;
	uint16_t our_port;
};

__attribute__((format(printf, 2, 3))) static void add(struct psrv *s,
                                                      const char *fmt, ...)
{
	size_t used = strnlen(s->line, sizeof(s->line));
	va_list ap;

	if (used + 1 >= sizeof(s->line))
		return;
	va_start(ap, fmt);
	vsnprintf(s->line + used, sizeof(s->line) - used, fmt, ap);
	va_end(ap);
}

static void tx_rearm(struct probe *pr)
{
	tx_event_rearm(pr->tx, pr->tx_timer);
}

static void on_tx_timer(evutil_socket_t fd, short what, void *arg)
{
	struct probe *pr = arg;

	(void)fd;
	(void)what;
	sip_tx_tick(pr->tx);
	tx_rearm(pr);
}

static int tx_send(void *arg, const struct sip_tx_dest *dst, const char *buf,
                   size_t len)
{
	struct probe *pr = arg;

	return tx_event_send(pr->tp, dst, buf, len);
}

static void on_msg(void *arg, const struct tp_addr *src, struct sip_msg *m)
{
	struct probe *pr = arg;

	(void)src;
	if (m->request)
		return; /* the probe answers nothing */
	sip_tx_recv_response(pr->tx, m);
	tx_rearm(pr);
}

static void set_deadline(struct psrv *s, uint32_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000};

	event_add(s->ev_deadline, &tv);
}

static void drop_conn(struct psrv *s, bool close)
{
	if (!s->conn)
		return;
	if (close && tp_conn_is_open(s->conn))
		tp_conn_close(s->conn, false);
	tp_conn_unref(s->conn);
	s->conn = NULL;
}

static void server_done(struct psrv *s)
{
	struct probe *pr = s->pr;

	if (s->done)
		return;
	s->done = true;
	event_del(s->ev_deadline);
	if (s->res) {
		tp_resolve_cancel(s->res);
		s->res = NULL;
	}
	/* the pinger goes from the loop (we may be inside its callback) */
	event_active(s->ev_next, 0, 0);
	if (pr->pending && --pr->pending == 0)
		event_base_loopexit(pr->base, NULL);
}

/* A step failed: its cause and fix, from the table. */
static void fail(struct psrv *s, const char *reason, unsigned code)
{
	const struct probe *pr = s->pr;
	const struct cfg_server *sv = &s->t->servers[s->idx];
	enum probe_cause c = probe_classify(s->step, reason, code, &s->seen);
	char addr[300], got[256], exp[256], explained[2600];
	struct probe_vars v;

	if (s->done)
		return;
	if (s->ip[0] && strcmp(s->ip, sv->host))
		snprintf(addr, sizeof(addr), "%s:%u (%s)", sv->host,
		         (unsigned)sv->port, s->ip);
	else
		snprintf(addr, sizeof(addr), "%s:%u", sv->host,
		         (unsigned)sv->port);
	got[0] = exp[0] = '\0';
	if (c == PROBE_TLS_NAME &&
	    !probe_mismatch_names(reason, got, sizeof(got), exp, sizeof(exp)))
		snprintf(got, sizeof(got), "%s",
		         s->seen.leaf_names[0] ? s->seen.leaf_names : "?");
	memset(&v, 0, sizeof(v));
	v.trunk = s->t->name;
	v.host = sv->host;
	v.addr = addr;
	v.reason = reason && reason[0] ? reason : "no reason given";
	/* "TLS: " and "DNS: <host>: " are the transport's prefixes: the
	 * step and the text say it already */
	if (!strncmp(v.reason, "TLS: ", 5))
		v.reason += 5;
	if (!strncmp(v.reason, "DNS: ", 5) &&
	    !strncmp(v.reason + 5, sv->host, strlen(sv->host)) &&
	    !strncmp(v.reason + 5 + strlen(sv->host), ": ", 2))
		v.reason += 7 + strlen(sv->host);
	v.got = got;
	v.expected = exp;
	v.issuer = s->seen.anchor[0] ? s->seen.anchor : "?";
	v.fqdn = pr->cfg->identity.fqdn;
	v.port = sv->port;
	v.code = code;
	v.timeout_ms = pr->o.timeout_ms;
	v.profile = s->t->profile;
	v.udp = s->t->transport == CFG_TRANSPORT_UDP;
	probe_explain(explained, sizeof(explained), c, &v);
	add(s, "  %s failed", probe_step_name(s->step));
	snprintf(s->cause, sizeof(s->cause), "probe: %s %s:%u: %s failed: %s",
	         s->t->name, sv->host, (unsigned)sv->port,
	         probe_step_name(s->step), explained);
	s->failed = true;
	server_done(s);
}

static void next_step(struct psrv *s, enum probe_step st)
{
	event_del(s->ev_deadline);
	s->step = st;
	s->started = false;
	event_active(s->ev_next, 0, 0);
}

static double ms_since(uint64_t t0)
{
	return (double)(tb_mono_us() - t0) / 1000.0;
}

/* ---- TLS: what the peer sent (an OpenSSL message callback: observes) */

static void cert_cn(X509_NAME *n, char *buf, size_t len)
{
	buf[0] = '\0';
	if (X509_NAME_get_text_by_NID(n, NID_commonName, buf, (int)len) <= 0)
		X509_NAME_oneline(n, buf, (int)len);
}

static void leaf_names(X509 *leaf, char *buf, size_t len)
{
	GENERAL_NAMES *san =
	        X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	size_t used = 0;
	int shown = 0;

	buf[0] = '\0';
	for (int i = 0; san && i < sk_GENERAL_NAME_num(san); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		if (g->type != GEN_DNS)
			continue;
		const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
		int dl = ASN1_STRING_length(g->d.dNSName);
		if (dl <= 0 || dl > 253 || memchr(d, 0, (size_t)dl))
			continue;
		if (shown == 3) {
			used += (size_t)snprintf(buf + used, len - used,
			                         ", ...");
			break;
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%.*s",
		                         shown ? ", " : "", dl,
		                         (const char *)d);
		shown++;
		if (used >= len) {
			used = len - 1;
			break;
		}
	}
	GENERAL_NAMES_free(san);
	if (!shown) {
		char cn[256];
		cert_cn(X509_get_subject_name(leaf), cn, sizeof(cn));
		snprintf(buf, len, "%s", cn[0] ? cn : "no name");
	}
}

static void tls_seen(struct probe_tls_seen *seen, const SSL *ssl)
{
	STACK_OF(X509) * ch;
	X509 *top;

	snprintf(seen->version, sizeof(seen->version), "%s",
	         SSL_get_version(ssl));
	if (seen->have_chain)
		return;
	ch = SSL_get_peer_cert_chain(ssl);
	if (!ch || sk_X509_num(ch) <= 0)
		return;
	seen->have_chain = true;
	seen->chain_len = sk_X509_num(ch);
	leaf_names(sk_X509_value(ch, 0), seen->leaf_names,
	           sizeof(seen->leaf_names));
	top = sk_X509_value(ch, seen->chain_len - 1);
	seen->top_self_signed = X509_self_signed(top, 0) == 1;
	cert_cn(seen->top_self_signed ? X509_get_subject_name(top)
	                              : X509_get_issuer_name(top),
	        seen->anchor, sizeof(seen->anchor));
}

static void on_tls_msg(int write_p, int version, int content_type,
                       const void *buf, size_t len, SSL *ssl, void *arg)
{
	struct psrv *s = arg;

	(void)write_p;
	(void)version;
	(void)content_type;
	(void)buf;
	(void)len;
	if (s && ssl)
		tls_seen(&s->seen, ssl);
}

/* The trunk's client profile: the one `run` connects with
 * (trunk/tls_conf.c), our certificate presented when
 * tls.client_certificate says so. */
static struct tls_profile *trunk_profile(const struct tb_config *cfg,
                                         const struct cfg_tls *t, char *err,
                                         size_t errlen)
{
	return tls_profile_for(cfg, t, t->client_certificate, err, errlen);
}

/* ---- the steps ---- */

static bool is_invalid_tld(const char *host)
{
	size_t n = strlen(host);

	if (n && host[n - 1] == '.')
		n--;
	return n >= 8 && !strncasecmp(host + n - 8, ".invalid", 8);
}

static void on_resolved(void *arg, const struct sockaddr *sa, socklen_t salen,
                        const char *reason)
{
	struct psrv *s = arg;

	(void)salen;
	s->res = NULL;
	if (s->done || s->step != PROBE_STEP_DNS)
		return;
	if (!sa) {
		fail(s, reason, 0);
		return;
	}
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		          &((const struct sockaddr_in6 *)(const void *)sa)
		                   ->sin6_addr,
		          s->ip, sizeof(s->ip));
	else
		inet_ntop(AF_INET,
		          &((const struct sockaddr_in *)(const void *)sa)
		                   ->sin_addr,
		          s->ip, sizeof(s->ip));
	add(s, "  dns ok (%s)", s->ip);
	event_del(s->ev_deadline);
	next_step(s, s->t->transport == CFG_TRANSPORT_UDP ? PROBE_STEP_OPTIONS
	                                                  : PROBE_STEP_TCP);
}

static void start_dns(struct psrv *s)
{
	const struct cfg_server *sv = &s->t->servers[s->idx];
	char why[320];

	/* RFC 6761 6.4: .invalid never resolves; no query is sent */
	if (is_invalid_tld(sv->host)) {
		snprintf(why, sizeof(why),
		         "DNS: %s: a .invalid name never resolves (RFC 6761)",
		         sv->host);
		fail(s, why, 0);
		return;
	}
	set_deadline(s, s->pr->o.timeout_ms);
	s->res = tp_resolve(s->pr->tp, sv->host, sv->port, on_resolved, s);
}

static void on_tcp(void *arg, struct tp_conn *conn, bool ok, const char *reason)
{
	struct psrv *s = arg;

	if (s->done || s->step != PROBE_STEP_TCP)
		return;
	if (!ok) {
		fail(s, reason, 0);
		return;
	}
	add(s, "  tcp ok %.1fms", ms_since(s->t0_us));
	s->conn = tp_conn_ref(conn);
	next_step(s, s->t->transport == CFG_TRANSPORT_TLS ? PROBE_STEP_TLS
	                                                  : PROBE_STEP_OPTIONS);
}

static void start_tcp(struct psrv *s)
{
	const struct cfg_server *sv = &s->t->servers[s->idx];
	char err[256];

	err[0] = '\0';
	s->t0_us = tb_mono_us();
	/* bounded by the transport's connect timeout (the probe's); ours a
	 * little later, so that the transport's reason comes first */
	set_deadline(s, s->pr->o.timeout_ms + 200);
	if (!tp_connect(s->pr->tp, SIP_TP_TCP, sv->host, sv->port, NULL, on_tcp,
	                s, err, sizeof(err)) &&
	    err[0] && !s->done && !s->conn)
		fail(s, err, 0);
}

static void on_tls(void *arg, struct tp_conn *conn, bool ok, const char *reason)
{
	struct psrv *s = arg;

	if (s->done || s->step != PROBE_STEP_TLS)
		return;
	if (!ok) {
		fail(s, reason, 0);
		return;
	}
	add(s, "  tls ok (%s, peer %s, %s)",
	    s->seen.version[0] ? s->seen.version : "?",
	    s->seen.leaf_names[0] ? s->seen.leaf_names : "without certificate",
	    s->t->tls.verify_peer == CFG_VERIFY_NONE
	            ? "chain not checked: verify_peer none"
	            : "chain ok");
	s->conn = tp_conn_ref(conn);
	next_step(s, PROBE_STEP_OPTIONS);
}

static void start_tls(struct psrv *s)
{
	const struct cfg_server *sv = &s->t->servers[s->idx];
	char err[512];

	drop_conn(s, true); /* the TCP step's: its own connection */
	if (!s->tls) {
		s->tls =
		        trunk_profile(s->pr->cfg, &s->t->tls, err, sizeof(err));
		if (!s->tls) {
			char why[600];
			snprintf(why, sizeof(why), "TLS profile: %s", err);
			fail(s, why, 0);
			return;
		}
		SSL_CTX *ctx = tls_profile_client_ctx(s->tls);
		SSL_CTX_set_msg_callback(ctx, on_tls_msg);
		SSL_CTX_set_msg_callback_arg(ctx, s);
	}
	err[0] = '\0';
	s->t0_us = tb_mono_us();
	/* the transport allows connect + handshake: the handshake alone is
	 * bounded here */
	set_deadline(s, s->pr->o.timeout_ms + 200);
	if (!tp_connect(s->pr->tp, SIP_TP_TLS, sv->host, sv->port, s->tls,
	                on_tls, s, err, sizeof(err)) &&
	    err[0] && !s->done && !s->conn)
		fail(s, err, 0);
}

static const char *phrase(unsigned code)
{
	switch (code) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	default:
		return "";
	}
}

static void on_ping(void *arg, const struct cfg_trunk *t, size_t server,
                    const struct server_health *h, enum trunk_status st,
                    int next)
{
	struct psrv *s = arg;

	(void)t;
	(void)server;
	(void)st;
	(void)next;
	if (s->done || s->step != PROBE_STEP_OPTIONS)
		return;
	if (health_code_ok(h->last_code)) {
		add(s, "  options %u %s %.1fms", (unsigned)h->last_code,
		    phrase(h->last_code), ms_since(s->t0_us));
		server_done(s);
		return;
	}
	fail(s, h->reason, h->last_code);
}

static void ping_after(void *arg)
{
	struct psrv *s = arg;

	tx_rearm(s->pr);
}

static void start_options(struct psrv *s)
{
	struct probe *pr = s->pr;
	struct pinger_env env = {
	        .base = pr->base,
	        .tp = pr->tp,
	        .tx = pr->tx,
	        .fqdn = pr->cfg->identity.fqdn,
	        .port = pr->our_port,
	        .after = ping_after,
	        .changed = on_ping,
	        .arg = s,
	};

	/* this server alone; one ping: the next round is far away */
	s->one = *s->t;
	s->one.servers = &s->t->servers[s->idx];
	s->one.n_servers = 1;
	s->one.options_interval_ms = 3600000u;
	s->t0_us = tb_mono_us();
	set_deadline(s, pr->o.timeout_ms);
	s->pinger = pinger_new(&env, &s->one, s->tls);
	if (!s->pinger)
		fail(s, "cannot start the OPTIONS ping (out of memory)", 0);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct psrv *s = arg;
	char why[200], t[32];

	(void)fd;
	(void)what;
	if (s->done)
		return;
	fmt_timeout(t, sizeof(t), s->pr->o.timeout_ms);
	switch (s->step) {
	case PROBE_STEP_DNS:
		snprintf(why, sizeof(why),
		         "DNS: no answer (timed out after %s)", t);
		break;
	case PROBE_STEP_OPTIONS:
		snprintf(why, sizeof(why), "no answer to OPTIONS within %s", t);
		break;
	default:
		snprintf(why, sizeof(why), "timeout after %s", t);
		break;
	}
	fail(s, why, 0);
}

static void on_next(evutil_socket_t fd, short what, void *arg)
{
	struct psrv *s = arg;

	(void)fd;
	(void)what;
	if (s->done) {
		pinger_free(s->pinger);
		s->pinger = NULL;
		drop_conn(s, false);
		return;
	}
	if (s->started)
		return;
	s->started = true;
	switch (s->step) {
	case PROBE_STEP_DNS:
		start_dns(s);
		break;
	case PROBE_STEP_TCP:
		start_tcp(s);
		break;
	case PROBE_STEP_TLS:
		start_tls(s);
		break;
	case PROBE_STEP_OPTIONS:
		start_options(s);
		break;
	case PROBE_STEP_CONFIG:
		break;
	}
}

static void on_conn_closed(void *arg, struct tp_conn *conn)
{
	struct probe *pr = arg;

	for (size_t i = 0; i < pr->n; i++) {
		if (pr->s[i].pinger)
			pinger_conn_closed(pr->s[i].pinger, conn);
	}
}

static void on_all(evutil_socket_t fd, short what, void *arg)
{
	struct probe *pr = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < pr->n; i++)
		if (!pr->s[i].done)
			fail(&pr->s[i], "timeout (the probe's overall bound)",
			     0);
	event_base_loopexit(pr->base, NULL);
}

/* Our port in Contact/Via, as `run` picks it: the first listener's, or
 * the TLS listener's. */
static uint16_t our_port(const struct tb_config *cfg)
{
	uint16_t port = 5061;

	for (size_t i = 0; i < cfg->n_listeners; i++) {
		if (i == 0 || cfg->listeners[i].transport == CFG_TRANSPORT_TLS)
			port = cfg->listeners[i].port;
	}
	return port;
}

/* UDP trunks: a socket to send from (an ephemeral port per family). */
static void udp_sockets(struct probe *pr, FILE *out)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	char err[256];
	bool udp = false;

	for (size_t i = 0; i < pr->n; i++)
		udp |= pr->s[i].t->transport == CFG_TRANSPORT_UDP;
	if (!udp)
		return;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_any;
	if (tp_listen(pr->tp, SIP_TP_UDP, (struct sockaddr *)&s4, sizeof(s4),
	              NULL, err, sizeof(err)) != 0)
		fprintf(out, "probe: udp socket (IPv4): %s\n", err);
	(void)tp_listen(pr->tp, SIP_TP_UDP, (struct sockaddr *)&s6, sizeof(s6),
	                NULL, err, sizeof(err));
}

/* The guide's Edge Case 2: a trunk that calls transferred from another
 * trunk are routed to (xfer.c: a REFER from a non-ACS trunk is routed
 * like a call from it) must send a Diversion on them. */
static unsigned check_diversion(const struct tb_config *cfg,
                                const struct probe_opts *o, FILE *out)
{
	static const char *const forms[] = {"form diversion",
	                                    "form history-info", "form both",
	                                    "form none"};
	unsigned warned = 0;

	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		const struct cfg_diversion *d = &t->diversion;
		bool no_header = d->form == CFG_DIVERT_NONE ||
		                 d->form == CFG_DIVERT_HISTORY_INFO;
		char form[80], explained[1200];

		if (o->trunk && strcmp(o->trunk, t->name))
			continue;
		if (!(d->form == CFG_DIVERT_NONE ||
		      (t->profile == CFG_PROFILE_ACS &&
		       (no_header || !d->always_send))))
			continue;
		for (size_t r = 0; r < cfg->n_routes; r++) {
			const struct cfg_route *ro = &cfg->routes[r];
			const struct cfg_trunk *f =
			        cfg_trunk_find(cfg, ro->from);
			if (strcmp(ro->to, t->name) || !f ||
			    f->profile == CFG_PROFILE_ACS)
				continue;
			snprintf(form, sizeof(form), "%s%s", forms[d->form & 3],
			         !no_header && !d->always_send
			                 ? ", always_send false"
			                 : "");
			struct probe_vars v = {.trunk = t->name,
			                       .from = f->name,
			                       .form = form,
			                       .fqdn = cfg->identity.fqdn,
			                       .profile = t->profile};
			probe_explain(explained, sizeof(explained),
			              PROBE_DIVERSION_OFF, &v);
			fprintf(out, "probe: %s diversion: warning: %s\n",
			        t->name, explained);
			warned++;
			break;
		}
	}
	return warned;
}

int probe_run(const struct tb_config *cfg, const struct probe_opts *o,
              FILE *out, struct probe_counts *n)
{
	struct probe pr;
	int rc = -1;

	memset(&pr, 0, sizeof(pr));
	pr.cfg = cfg;
	pr.o = *o;
	if (!pr.o.timeout_ms)
		pr.o.timeout_ms = PROBE_TIMEOUT_DEFAULT_MS;
	pr.our_port = our_port(cfg);
	n->warnings += check_diversion(cfg, o, out);

	for (size_t i = 0; i < cfg->n_trunks; i++)
		if (!o->trunk || !strcmp(o->trunk, cfg->trunks[i].name))
			pr.n += cfg->trunks[i].n_servers;
	if (!pr.n) {
		fprintf(out, "probe: no trunk server to probe\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	pr.s = calloc(pr.n, sizeof(*pr.s));
	pr.base = event_base_new();
	struct tp_limits lim = TP_LIMITS_DEFAULT;
	lim.sip.max_msg_size = cfg->limits.max_message_size;
	lim.sip.max_headers = cfg->limits.max_headers;
	lim.sip.max_header_len = cfg->limits.max_header_length;
	lim.sip.max_vias = cfg->limits.max_vias;
	lim.connect_timeout_ms = pr.o.timeout_ms;
	lim.handshake_timeout_ms = pr.o.timeout_ms;
	pr.tp = pr.base && pr.s ? tp_layer_new(pr.base, &lim, on_msg, NULL, &pr)
	                        : NULL;
	struct sip_tx_config txc = SIP_TX_CONFIG_DEFAULT;
	txc.t1_ms = cfg->timers.t1_ms;
	txc.t2_ms = cfg->timers.t2_ms;
	txc.t4_ms = cfg->timers.t4_ms;
	struct sip_tx_env txe = {
	        .send = tx_send, .now_ms = tx_event_now_ms, .arg = &pr};
	pr.tx = pr.tp ? sip_tx_layer_alloc(&txc, &txe) : NULL;
	pr.tx_timer =
	        pr.base ? event_new(pr.base, -1, 0, on_tx_timer, &pr) : NULL;
	pr.ev_all = pr.base ? event_new(pr.base, -1, 0, on_all, &pr) : NULL;
	if (!pr.tx || !pr.tx_timer || !pr.ev_all) {
		fprintf(out, "probe: cannot start the event loop\n");
		goto out;
	}
	tp_layer_set_closed(pr.tp, on_conn_closed, &pr);

	size_t k = 0;
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		if (o->trunk && strcmp(o->trunk, t->name))
			continue;
		for (size_t j = 0; j < t->n_servers; j++, k++) {
			struct psrv *s = &pr.s[k];
			s->pr = &pr;
			s->t = t;
			s->idx = j;
			s->ev_next = event_new(pr.base, -1, 0, on_next, s);
			s->ev_deadline =
			        event_new(pr.base, -1, 0, on_deadline, s);
			if (!s->ev_next || !s->ev_deadline) {
				fprintf(out, "probe: out of memory\n");
				goto out;
			}
			snprintf(s->line, sizeof(s->line), "probe: %s %s:%u",
			         t->name, t->servers[j].host,
			         (unsigned)t->servers[j].port);
		}
	}
	udp_sockets(&pr, out);
	pr.pending = pr.n;
	for (size_t i = 0; i < pr.n; i++)
		next_step(&pr.s[i], PROBE_STEP_DNS);
	{
		/* four steps each bounded, and a second of slack */
		uint64_t all = 4ull * pr.o.timeout_ms + 1000;
		struct timeval tv = {(time_t)(all / 1000),
		                     (long)(all % 1000) * 1000};
		event_add(pr.ev_all, &tv);
	}
	event_base_dispatch(pr.base);

	rc = 0;
	for (size_t i = 0; i < pr.n; i++) {
		struct psrv *s = &pr.s[i];
		fprintf(out, "%s\n", s->line);
		if (s->failed)
			fprintf(out, "%s\n", s->cause);
		n->servers++;
		if (s->failed) {
			n->failed++;
			rc = 1;
		} else {
			n->passed++;
		}
	}
	fprintf(out, "probe: %u server%s: %u passed, %u failed\n", n->servers,
	        n->servers == 1 ? "" : "s", n->passed, n->failed);
out:
	/* as run stops: pingers, transactions, the transport (it may still
	 * call back: the servers stay until it is gone), then the rest */
	for (size_t i = 0; pr.s && i < pr.n; i++) {
		struct psrv *s = &pr.s[i];
		s->done = true;
		pinger_free(s->pinger);
		s->pinger = NULL;
		if (s->res)
			tp_resolve_cancel(s->res);
		s->res = NULL;
		drop_conn(s, false);
	}
	sip_tx_layer_free(pr.tx);
	if (pr.tx_timer)
		event_free(pr.tx_timer);
	tp_layer_free(pr.tp);
	for (size_t i = 0; pr.s && i < pr.n; i++) {
		struct psrv *s = &pr.s[i];
		if (s->ev_next)
			event_free(s->ev_next);
		if (s->ev_deadline)
			event_free(s->ev_deadline);
		if (s->tls)
			tls_profile_unref(s->tls);
	}
	if (pr.ev_all)
		event_free(pr.ev_all);
	if (pr.base)
		event_base_free(pr.base);
	free(pr.s);
	return rc;
}
