/* check.c: certificate, trunk and allow-list rules (interop.md 1.1, 1.3,
 * 1.7, 2.3; F1-F3, F9, F12, F13, F26). */
#include "check/check.h"

#include "sip/transp/tls.h"
#include "trunk/ipranges.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

static void finding(FILE *out, struct check_counts *n, bool error,
                    const char *file, const char *key, const char *fix,
                    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void finding(FILE *out, struct check_counts *n, bool error,
                    const char *file, const char *key, const char *fix,
                    const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s: %s%s: ", file, error ? "" : "warning: ", key);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	if (fix && fix[0])
		fprintf(out, " (%s)", fix);
	fputc('\n', out);
	if (error)
		n->errors++;
	else
		n->warnings++;
}

static void subject(X509 *x, char *buf, size_t len)
{
	X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len);
}

/* dNSName SANs, else the CN: does one cover fqdn? Lists them in names. */
static bool names_cover(X509 *leaf, const char *fqdn, char *names, size_t len)
{
	GENERAL_NAMES *san =
	        X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	bool ok = false, any = false;
	size_t used = 0;

	names[0] = '\0';
	for (int i = 0; san && i < sk_GENERAL_NAME_num(san); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		if (g->type != GEN_DNS)
			continue;
		const char *s =
		        (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		int sl = ASN1_STRING_length(g->d.dNSName);
		char one[256];
		if (sl <= 0 || sl >= (int)sizeof(one) ||
		    memchr(s, '\0', (size_t)sl))
			continue;
		memcpy(one, s, (size_t)sl);
		one[sl] = '\0';
		any = true;
		ok = ok || tls_name_match(one, fqdn);
		used += (size_t)snprintf(names + used, len - used, "%s%s",
		                         used ? ", " : "", one);
		if (used >= len)
			used = len - 1;
	}
	GENERAL_NAMES_free(san);
	if (!any) {
		char cn[256];
		if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf),
		                              NID_commonName, cn,
		                              sizeof(cn)) > 0) {
			snprintf(names, len, "CN %s", cn);
			ok = tls_name_match(cn, fqdn);
		}
	}
	return ok;
}

static void check_certificate(const struct tb_config *cfg,
                              const struct check_opts *o, FILE *out,
                              struct check_counts *n)
{
	const char *file = cfg->source;
	const char *path = cfg->identity.certificate;
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	char buf[512], names[512];
	FILE *f;

	if (!chain)
		return;
	f = fopen(path, "rb");
	if (!f) {
		finding(out, n, true, file, "identity.certificate",
		        "give the PEM file with our certificate, then its "
		        "intermediates",
		        "%s: cannot be read", path);
		goto out;
	}
	for (X509 *x; (x = PEM_read_X509(f, NULL, NULL, NULL));)
		sk_X509_push(chain, x);
	fclose(f);
	ERR_clear_error();
	if (sk_X509_num(chain) == 0) {
		finding(out, n, true, file, "identity.certificate",
		        "the file must hold PEM certificates (BEGIN "
		        "CERTIFICATE)",
		        "%s: no certificate in it", path);
		goto out;
	}
	X509 *leaf = sk_X509_value(chain, 0);

	/* the key */
	if (cfg->identity.private_key) {
		f = fopen(cfg->identity.private_key, "rb");
		if (f) {
			key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
			fclose(f);
		}
		ERR_clear_error();
		if (!key)
			finding(out, n, true, file, "identity.private_key",
			        "give the unencrypted PEM key of the "
			        "certificate",
			        "%s: cannot be read as a private key",
			        cfg->identity.private_key);
		else if (X509_check_private_key(leaf, key) != 1)
			finding(out, n, true, file, "identity.private_key",
			        "use the key the certificate was issued for",
			        "does not match the certificate %s", path);
		ERR_clear_error();
	}

	/* self-signed */
	subject(leaf, buf, sizeof(buf));
	if (X509_self_signed(leaf, 1) == 1) {
		finding(out, n, true, file, "identity.certificate",
		        "use a certificate from a public CA in the Microsoft "
		        "Trusted Root Program",
		        "%s is self-signed; ACS rejects it", buf);
	}

	/* names */
	if (!names_cover(leaf, cfg->identity.fqdn, names, sizeof(names)))
		finding(out, n, true, file, "identity.certificate",
		        "the certificate must name identity.fqdn in its SAN "
		        "(or CN), exactly or by a one-label wildcard",
		        "names %s, not %s; the peers check the FQDN in our "
		        "Contact against it (403)",
		        names[0] ? names : "nothing", cfg->identity.fqdn);

	/* the key type and size: Microsoft's suites are ECDHE-RSA */
	EVP_PKEY *pub = X509_get0_pubkey(leaf);
	if (pub && EVP_PKEY_base_id(pub) != EVP_PKEY_RSA)
		finding(out, n, true, file, "identity.certificate",
		        "ACS's cipher suites are ECDHE-RSA: use an RSA "
		        "certificate",
		        "has a %s key", OBJ_nid2sn(EVP_PKEY_base_id(pub)));
	else if (pub && EVP_PKEY_get_bits(pub) < 2048)
		finding(out, n, true, file, "identity.certificate",
		        "use an RSA key of 2048 bits or more",
		        "RSA key of %d bits", EVP_PKEY_get_bits(pub));

	/* extended key usage */
	uint32_t xku = X509_get_extended_key_usage(leaf);
	if (!(xku & XKU_SSL_SERVER))
		finding(out, n, true, file, "identity.certificate",
		        "ask the CA for Server Authentication in the EKU",
		        "has no Server Authentication usage");
	else if (!(xku & XKU_SSL_CLIENT))
		finding(out, n, false, file, "identity.certificate",
		        "Teams/ACS asked for Client Authentication too since "
		        "2024 (interop.md 1.3)",
		        "has no Client Authentication usage; mutual TLS toward "
		        "Microsoft presents it as a client certificate");

	/* validity */
	time_t now = time(NULL);
	time_t soon = now + (time_t)o->expiry_warn_days * 86400;
	if (X509_cmp_time(X509_get0_notAfter(leaf), &now) < 0)
		finding(out, n, true, file, "identity.certificate",
		        "renew it, then reload (SIGHUP)", "has expired");
	else if (X509_cmp_time(X509_get0_notAfter(leaf), &soon) < 0)
		finding(out, n, false, file, "identity.certificate",
		        "renew it, then reload (SIGHUP)",
		        "expires within %u days", o->expiry_warn_days);
	if (X509_cmp_time(X509_get0_notBefore(leaf), &now) > 0)
		finding(out, n, true, file, "identity.certificate",
		        "check the clock, or wait", "is not valid yet");

	/* the chain: the file must carry the intermediates up to a root we
	 * (and the peers) trust; a missing intermediate makes Microsoft reset
	 * the connection (interop.md 1.3) */
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (!store || !ctx)
		goto out;
	X509_STORE_set_default_paths(store);
	if (o->extra_ca && X509_STORE_load_file(store, o->extra_ca) != 1)
		finding(out, n, true, file, "--ca", "give a PEM file of roots",
		        "%s cannot be read", o->extra_ca);
	ERR_clear_error();
	STACK_OF(X509) *rest = sk_X509_dup(chain);
	if (rest)
		(void)sk_X509_shift(rest);
	if (X509_STORE_CTX_init(ctx, store, leaf, rest) == 1) {
		X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(ctx),
		                              X509_PURPOSE_SSL_SERVER);
		if (X509_verify_cert(ctx) != 1) {
			int e = X509_STORE_CTX_get_error(ctx);
			if (e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
			    e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
				X509 *last = sk_X509_value(
				        chain, sk_X509_num(chain) - 1);
				char iss[512];
				X509_NAME_oneline(X509_get_issuer_name(last),
				                  iss, sizeof(iss));
				finding(out, n, true, file,
				        "identity.certificate",
				        "append the intermediate "
				        "certificate(s) "
				        "to the file, leaf first",
				        "chain incomplete: the file ends with "
				        "%d certificate(s) and the issuer %s "
				        "is "
				        "neither in it nor a trusted root",
				        sk_X509_num(chain), iss);
			} else if (
			        e != X509_V_ERR_CERT_HAS_EXPIRED &&
			        e != X509_V_ERR_CERT_NOT_YET_VALID &&
			        e != X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) {
				finding(out, n, true, file,
				        "identity.certificate",
				        "use a chain to a public root",
				        "does not verify: %s",
				        X509_verify_cert_error_string(e));
			}
		}
	}
	sk_X509_free(rest);
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	EVP_PKEY_free(key);
	sk_X509_pop_free(chain, X509_free);
}

/* The guide's NSG: each trunk takes requests only from its cloud's
 * ranges (interop 1.1, 2.5; F3, F9). */
static void check_allow_lists(const struct tb_config *cfg, FILE *out,
                              struct check_counts *n)
{
	char key[128];

	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		if (t->n_allow || t->ip_ranges.file)
			continue;
		snprintf(key, sizeof(key), "trunks.%s.allow", t->name);
		finding(out, n, false, cfg->source, key,
		        t->profile == CFG_PROFILE_GENESYS
		                ? "list Genesys' published signalling ranges "
		                  "(/api/v2/ipranges)"
		        : t->profile == CFG_PROFILE_ACS
		                ? "allow 52.112.0.0/14 and 52.120.0.0/14"
		                : "list the peer's addresses, e.g. allow: "
		                  "[192.0.2.0/24]",
		        "empty: no allow-list (the guide's NSG rule); calls "
		        "from any source would be taken as this trunk");
	}
}

/* allow_from_ip_ranges: the file is read as `run` reads it; one that
 * cannot be used leaves the trunk with its static allow only (interop
 * 2.5, F9; the guide's Edge Case 1). */
static void check_ip_ranges(const struct tb_config *cfg, FILE *out,
                            struct check_counts *n)
{
	char key[160];
	struct ipr_result r;

	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		if (!t->ip_ranges.file)
			continue;
		snprintf(key, sizeof(key),
		         "trunks.%s.allow_from_ip_ranges.file", t->name);
		if (ipr_load(t->ip_ranges.file, &t->ip_ranges, NULL, &r) != 0) {
			finding(out, n, true, cfg->source, key,
			        "save GET /api/v2/ipranges there, or fix the "
			        "filters",
			        "%s; run would take this trunk's requests from "
			        "its static allow list only (%zu prefixes; the "
			        "guide's Edge Case 1, F9)",
			        r.reason, t->n_allow);
			continue;
		}
		if (ipr_skipped(&r))
			finding(out, n, false, cfg->source, key,
			        "correct or remove those entries",
			        "%s: %zu of %zu entries skipped (first: %s)",
			        t->ip_ranges.file, ipr_skipped(&r), r.total,
			        r.skip_reason);
		ipr_result_free(&r);
	}
}

/* Genesys Cloud's own header prefixes (interop 2.3, F26). */
static const char *genesys_reserved(const char *name)
{
	static const char *const pfx[] = {"x-inin", "x-genesys", "x-pcv",
	                                  "x-gcv"};
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		size_t k = 0;
		while (pfx[i][k] && name[k] &&
		       (name[k] | 0x20) == (pfx[i][k] | 0x20))
			k++;
		if (!pfx[i][k])
			return pfx[i];
	}
	return NULL;
}

static void reserved_header(const struct tb_config *cfg, FILE *out,
                            struct check_counts *n, const char *key,
                            const char *name)
{
	const char *p = genesys_reserved(name);
	if (p)
		finding(out, n, true, cfg->source, key,
		        "rename it; Genesys' own headers never come from a "
		        "carrier",
		        "%s: Genesys Cloud reserves the x-inin, x-genesys, "
		        "x-pcv and x-gcv prefixes (%s here); a custom header "
		        "named so silently breaks calls on the trunk (interop "
		        "2.3, F26)",
		        name, p);
}

void check_trunk_rules(const struct tb_config *cfg, FILE *out,
                       struct check_counts *n)
{
	char key[200];

	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		const char *nm = t->name;
		if (t->profile == CFG_PROFILE_ACS) {
			snprintf(key, sizeof(key), "trunks.%s.transport", nm);
			if (t->transport != CFG_TRANSPORT_TLS)
				finding(out, n, true, cfg->source, key,
				        "set transport: tls",
				        "%s: the guide's ACS trunk is "
				        "\"Transport: TLS (Required for "
				        "Azure)\"; Microsoft's SIP proxy "
				        "speaks "
				        "TLS on 5061 only (interop 1.1)",
				        cfg_transport_name(t->transport));
			snprintf(key, sizeof(key), "trunks.%s.media_encryption",
			         nm);
			if (t->media_encryption != CFG_MEDIA_SRTP)
				finding(out, n, true, cfg->source, key,
				        "set media_encryption: srtp",
				        "rtp: the guide's ACS trunk is \"Media "
				        "Encryption: SRTP (Required for "
				        "Azure)\"; Microsoft answers 488 "
				        "(SrtpEncryptionRequired) to an offer "
				        "without SRTP (interop 1.7, F12)");
		}
		if (t->profile != CFG_PROFILE_GENESYS)
			continue;
		snprintf(key, sizeof(key), "trunks.%s.media_encryption", nm);
		if (t->media_encryption != CFG_MEDIA_SRTP)
			finding(out, n, false, cfg->source, key,
			        "set media_encryption: srtp, and SRTP on the "
			        "Genesys trunk",
			        "rtp: the guide's Genesys trunk uses \"Media "
			        "Encryption: SRTP\"; when the two ends differ "
			        "Genesys answers 488 (interop 2.4, F13)");
		for (size_t j = 0; j < t->n_pass_headers; j++) {
			snprintf(key, sizeof(key), "trunks.%s.headers.pass",
			         nm);
			reserved_header(cfg, out, n, key, t->pass_headers[j]);
		}
		for (size_t j = 0; j < t->n_add_headers; j++) {
			snprintf(key, sizeof(key),
			         "trunks.%s.headers.add.%.64s", nm,
			         t->add_headers[j].name);
			reserved_header(cfg, out, n, key,
			                t->add_headers[j].name);
		}
		if (t->termination_header) {
			snprintf(key, sizeof(key),
			         "trunks.%s.termination_header", nm);
			reserved_header(cfg, out, n, key,
			                t->termination_header);
		}
	}
}

/* Media: without a media section nothing anchors media; with one, the
 * pool must hold the calls the trunks allow (two port pairs a call). */
static void check_media(const struct tb_config *cfg, FILE *out,
                        struct check_counts *n)
{
	const struct cfg_media *m = &cfg->media;
	bool srtp = false;
	uint64_t calls = 0;
	bool unlimited = false;

	for (size_t i = 0; i < cfg->n_trunks; i++) {
		srtp |= cfg->trunks[i].media_encryption == CFG_MEDIA_SRTP;
		calls += cfg->trunks[i].max_calls;
		unlimited |= cfg->trunks[i].max_calls == 0;
	}
	if (!m->enabled) {
		if (srtp)
			finding(out, n, false, cfg->source, "media",
			        "add media: { public_address: <the SBC's "
			        "public IP>, ports: 40000-49999 }",
			        "not set: SDP and media pass between the "
			        "clouds unchanged; the guide has SRTP "
			        "terminated at the SBC, with its own keys "
			        "and address on each leg");
		return;
	}
	uint32_t pairs = (uint32_t)(m->port_max - m->port_min + 1) / 2;
	/* each call: two endpoints; the trunks' limits count each call on
	 * both its trunks */
	if (!unlimited && calls > 0 && pairs < calls)
		finding(out, n, false, cfg->source, "media.ports",
		        "widen the range to at least 4 ports per call",
		        "%u-%u holds %u port pairs: %u calls at most, below "
		        "the trunks' max_calls (%llu)",
		        (unsigned)m->port_min, (unsigned)m->port_max,
		        (unsigned)pairs, (unsigned)(pairs / 2),
		        (unsigned long long)(calls / 2));
}

void check_config(const struct tb_config *cfg, const struct check_opts *o,
                  FILE *out, struct check_counts *n)
{
	bool tls = false;

	for (size_t i = 0; i < cfg->n_listeners; i++)
		tls = tls || cfg->listeners[i].transport == CFG_TRANSPORT_TLS;
	for (size_t i = 0; i < cfg->n_trunks; i++)
		tls = tls || cfg->trunks[i].transport == CFG_TRANSPORT_TLS;
	if (tls && !cfg->identity.certificate)
		finding(out, n, true, cfg->source, "identity.certificate",
		        "give the PEM chain of identity.fqdn",
		        "missing; TLS listeners and trunks present it");
	else if (cfg->identity.certificate)
		check_certificate(cfg, o, out, n);
	check_trunk_rules(cfg, out, n);
	check_allow_lists(cfg, out, n);
	check_ip_ranges(cfg, out, n);
	check_media(cfg, out, n);
}
