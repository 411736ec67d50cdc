/* tls.c: TLS profiles (OpenSSL 3) and certificate identity checks.
 *
 * Identity is checked by us, not by X509_check_host: a verify callback runs
 * the RFC 6125 match (tls_name_match) of the peer leaf's dNSName SANs (the
 * CN only when there is none) against the expected names, at depth 0 once
 * the chain itself has verified. A mismatch fails verification with
 * X509_V_ERR_HOSTNAME_MISMATCH, so the handshake aborts with an alert like
 * any other certificate error, and the names we got are kept for the
 * reason text.
 *
 * Per-connection state (the expected names, the mismatch text, the first
 * fatal error and alerts seen) lives in a struct tls_conn hung on the SSL
 * as ex_data, freed by OpenSSL with the SSL. The ex_data index is allocated
 * per profile (no process-wide mutable state) and stored in the SSL_CTXs'
 * app_data slot: an SSL carries everything its callbacks need, so it may
 * outlive its profile. The index is not released when the profile goes
 * (OpenSSL never reuses indexes, and releasing it would turn the free
 * callback of still-open connections into a no-op): one small table entry
 * per profile ever built, i.e. per config reload.
 *
 * The info callback records the first fatal error code and the alerts as
 * they happen, because the transport (libevent's bufferevent_openssl)
 * drains the OpenSSL error queue before its event callback runs:
 * tls_handshake_error then still has something precise to say.
 */
#include "sip/transp/tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_DEFAULT_HANDSHAKE_MS 5000u
#define TLS_NAME_MAX             255 /* a DNS name, with room for the NUL */

/* Refcount: a plain int. Profiles are made, referenced and released only on
 * the event-loop thread (trunkbridge runs one single-threaded loop); the
 * SSL_CTXs inside are refcounted by OpenSSL itself, which is thread-safe. */
struct tls_profile {
	int refs;
	SSL_CTX *server_ctx;
	SSL_CTX *client_ctx;
	int ex_idx; /* SSL ex_data index of struct tls_conn */
	enum tls_verify verify;
	char *peer_names[TLS_MAX_PEER_NAMES];
	size_t n_peer_names;
	unsigned handshake_timeout_ms;
};

/* Per connection (SSL ex_data). */
struct tls_conn {
	bool server;
	bool ip_host; /* client to an IP literal: OpenSSL checks it */
	enum tls_verify verify;
	char *names[TLS_MAX_PEER_NAMES]; /* expected peer names (copies) */
	size_t n_names;
	char got[256];     /* the peer's names when they did not match */
	unsigned long err; /* first fatal OpenSSL error seen, 0: none */
	int alert_rcvd;    /* fatal alert description, -1: none */
	int alert_sent;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

__attribute__((format(printf, 3, 4))) static void put(char *buf, size_t len,
                                                      const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Append to a NUL-terminated buffer, truncating. */
__attribute__((format(printf, 3, 4))) static void add(char *buf, size_t len,
                                                      const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (!buf || !len)
		return;
	used = strnlen(buf, len);
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (lower(a[i]) != lower(b[i]))
			return false;
	}
	return true;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* OpenSSL's words for an error code. */
static const char *ossl_reason(unsigned long e, char *buf, size_t len)
{
	const char *r;

	if (!e)
		return "no error recorded";
	if (ERR_GET_LIB(e) == ERR_LIB_SYS)
		return strerror(ERR_GET_REASON(e));
	if (ERR_GET_LIB(e) == ERR_LIB_OSSL_DECODER &&
	    ERR_GET_REASON(e) == ERR_R_UNSUPPORTED)
		return "no usable PEM key in the file (openssl: unsupported)";
	if (ERR_GET_REASON(e) == ERR_R_INTERRUPTED_OR_CANCELLED)
		return "the key is encrypted; give an unencrypted key "
		       "(openssl: interrupted or cancelled)";
	if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		return "no PEM data in the file (openssl: no start line)";
	r = ERR_reason_error_string(e);
	if (r)
		return r;
	ERR_error_string_n(e, buf, len);
	return buf;
}

/* "<what> <path>: <OpenSSL's reason for the first queued error>", then
 * clear the queue. */
static void config_error(char *err, size_t errlen, const char *what,
                         const char *path)
{
	char buf[256];
	unsigned long e = ERR_peek_error();

	put(err, errlen, "%s%s%s: %s", what, path ? " " : "", path ? path : "",
	    ossl_reason(e, buf, sizeof(buf)));
	ERR_clear_error();
}

static const char *version_name(int v)
{
	switch (v) {
	case SSL3_VERSION:
		return "SSL 3.0";
	case TLS1_VERSION:
		return "TLS 1.0";
	case TLS1_1_VERSION:
		return "TLS 1.1";
	case TLS1_2_VERSION:
		return "TLS 1.2";
	case TLS1_3_VERSION:
		return "TLS 1.3";
	default:
		return "an unknown version";
	}
}

/* ------------------------------------------------------------------ */
/* RFC 6125 names                                                      */

/* Length without one trailing dot (the root label). */
static size_t name_len(const char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '.')
		n--;
	return n;
}

static bool is_wildcard(const char *s, size_t n)
{
	return n > 2 && s[0] == '*' && s[1] == '.';
}

/* A usable DNS name: non-empty labels of at most 63 printable characters,
 * '*' only as the whole leftmost label and then followed by at least two
 * labels (no "*.com"). */
static bool name_valid(const char *s, size_t n)
{
	size_t labels = 0, start = 0;
	bool wild = is_wildcard(s, n);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			unsigned char c = (unsigned char)s[i];

			if (c <= 0x20 || c >= 0x7f)
				return false;
			if (c == '*' && !(wild && i == 0))
				return false;
			continue;
		}
		if (i == start || i - start > 63)
			return false;
		labels++;
		start = i + 1;
	}
	return !wild || labels >= 3;
}

bool tls_name_match(const char *cert_name, const char *pattern)
{
	size_t cn, pn, hn, wn, rest;
	const char *h, *w, *dot;
	bool cw, pw;

	if (!cert_name || !pattern)
		return false;
	cn = name_len(cert_name);
	pn = name_len(pattern);
	if (!name_valid(cert_name, cn) || !name_valid(pattern, pn))
		return false;
	cw = is_wildcard(cert_name, cn);
	pw = is_wildcard(pattern, pn);
	if (cw == pw) /* both plain, or both the same wildcard */
		return cn == pn && ieq(cert_name, pattern, cn);
	/* One side is a host, the other "*.<suffix>": the host's first label
	 * (non-empty) stands for the '*', the rest equals the suffix. */
	h = cw ? pattern : cert_name;
	hn = cw ? pn : cn;
	w = cw ? cert_name : pattern;
	wn = cw ? cn : pn;
	dot = memchr(h, '.', hn);
	if (!dot || dot == h)
		return false;
	rest = hn - (size_t)(dot + 1 - h);
	return rest == wn - 2 && ieq(dot + 1, w + 2, rest);
}

/* Calls fn for each identity name of cert: the dNSName SANs, or when there
 * is none the subject CNs. Names holding NUL or longer than a DNS name are
 * skipped. Stops when fn returns true; returns whether it did. */
static bool cert_names(X509 *cert, bool (*fn)(const char *name, void *arg),
                       void *arg)
{
	GENERAL_NAMES *gens;
	bool had_dns = false, stop = false;
	char name[TLS_NAME_MAX + 1];

	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && !stop; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_DNS)
			continue;
		had_dns = true;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		if (len <= 0 || len > TLS_NAME_MAX || memchr(d, 0, (size_t)len))
			continue;
		memcpy(name, d, (size_t)len);
		name[len] = '\0';
		stop = fn(name, arg);
	}
	GENERAL_NAMES_free(gens);
	if (had_dns || stop)
		return stop;

	{
		const X509_NAME *subj = X509_get_subject_name(cert);
		int pos = -1;

		while (!stop && (pos = X509_NAME_get_index_by_NID(
		                         subj, NID_commonName, pos)) >= 0) {
			const X509_NAME_ENTRY *ne =
			        X509_NAME_get_entry(subj, pos);
			unsigned char *u = NULL;
			int len = ASN1_STRING_to_UTF8(
			        &u, X509_NAME_ENTRY_get_data(ne));

			if (len > 0 && len <= TLS_NAME_MAX &&
			    !memchr(u, 0, (size_t)len)) {
				memcpy(name, u, (size_t)len);
				name[len] = '\0';
				stop = fn(name, arg);
			}
			OPENSSL_free(u);
		}
	}
	return stop;
}

struct match_arg {
	char *const *names;
	size_t n;
};

static bool match_one(const char *name, void *arg)
{
	const struct match_arg *m = arg;

	for (size_t i = 0; i < m->n; i++) {
		if (tls_name_match(name, m->names[i]))
			return true;
	}
	return false;
}

struct list_arg {
	char *buf;
	size_t len;
	int n;
};

static bool list_one(const char *name, void *arg)
{
	struct list_arg *l = arg;

	if (l->n == 4) {
		add(l->buf, l->len, ", ...");
		return true;
	}
	add(l->buf, l->len, "%s%s", l->n ? ", " : "", name);
	l->n++;
	return false;
}

/* Does cert carry a name this connection expects? On false, got holds the
 * names it does carry. */
static bool conn_names_ok(const struct tls_conn *c, X509 *cert, char *got,
                          size_t gotlen)
{
	struct match_arg m = {c->names, c->n_names};
	struct list_arg l = {got, gotlen, 0};

	if (got && gotlen)
		got[0] = '\0';
	if (c->n_names == 0) {
		/* A server with no peer_names takes any trusted client; a
		 * client to an IP literal has OpenSSL check the IP SANs; a
		 * client with nothing to check against fails closed. */
		if (c->server || c->ip_host)
			return true;
	} else if (cert_names(cert, match_one, &m)) {
		return true;
	}
	cert_names(cert, list_one, &l);
	if (l.n == 0)
		put(got, gotlen, "no DNS name");
	return false;
}

static void mismatch_text(const struct tls_conn *c, const char *got, char *why,
                          size_t whylen)
{
	put(why, whylen, "certificate name mismatch: got %s, expected ", got);
	if (c->n_names == 0)
		add(why, whylen, "a host name (none was given to connect to)");
	for (size_t i = 0; i < c->n_names; i++)
		add(why, whylen, "%s%s", i ? " or " : "", c->names[i]);
}

/* ------------------------------------------------------------------ */
/* Per-connection state                                                */

static void conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c);
}

static void conn_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                         long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	conn_free(ptr);
}

static int ctx_ex_idx(const SSL_CTX *ctx)
{
	void *v = ctx ? SSL_CTX_get_ex_data(ctx, 0) : NULL;

	return v ? (int)(intptr_t)v - 1 : -1;
}

static struct tls_conn *conn_of(const SSL *ssl)
{
	int idx;

	if (!ssl)
		return NULL;
	idx = ctx_ex_idx(SSL_get_SSL_CTX(ssl));
	return idx < 0 ? NULL : SSL_get_ex_data(ssl, idx);
}

static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
	        xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_conn *c = conn_of(ssl);
	X509 *cert = X509_STORE_CTX_get_current_cert(xs);
	int depth = X509_STORE_CTX_get_error_depth(xs);

	if (!c)
		return ok;
	if (c->verify == TLS_VERIFY_NONE)
		return 1;
	if (!ok) {
		/* Microsoft moves its SIP certificates to serverAuth-only EKU
		 * (2026) while still presenting them as client certificates:
		 * as a server, take a client chain whose EKU says serverAuth.
		 * Anything else fails verification as OpenSSL found. */
		if (!c->server || !cert ||
		    X509_STORE_CTX_get_error(xs) !=
		            X509_V_ERR_INVALID_PURPOSE ||
		    X509_check_purpose(cert, X509_PURPOSE_SSL_SERVER,
		                       depth > 0) != 1)
			return 0;
		X509_STORE_CTX_set_error(xs, X509_V_OK);
	}
	if (depth != 0 || !cert)
		return 1;
	if (!conn_names_ok(c, cert, c->got, sizeof(c->got))) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_HOSTNAME_MISMATCH);
		return 0;
	}
	return 1;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct tls_conn *c = conn_of(ssl);

	if (!c)
		return;
	if ((where & SSL_CB_ALERT) && (ret >> 8) == SSL3_AL_FATAL) {
		if ((where & SSL_CB_READ) && c->alert_rcvd < 0)
			c->alert_rcvd = ret & 0xff;
		if ((where & SSL_CB_WRITE) && c->alert_sent < 0)
			c->alert_sent = ret & 0xff;
	}
	/* A fatal error is queued before the alert goes out and before the
	 * handshake call returns. */
	if (!c->err && (((where & SSL_CB_ALERT) && (where & SSL_CB_WRITE) &&
	                 (ret >> 8) == SSL3_AL_FATAL) ||
	                ((where & SSL_CB_EXIT) && ret <= 0)))
		c->err = ERR_peek_last_error();
}

static SSL *conn_ssl(struct tls_profile *p, SSL_CTX *ctx, bool server,
                     const char *host)
{
	struct tls_conn *c;
	SSL *ssl;

	if (!p)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->server = server;
	c->verify = p->verify;
	c->alert_rcvd = c->alert_sent = -1;
	for (size_t i = 0; i < p->n_peer_names; i++) {
		c->names[i] = dup_str(p->peer_names[i]);
		if (!c->names[i])
			goto fail;
		c->n_names++;
	}
	if (!server && p->n_peer_names == 0 && host && *host) {
		c->names[0] = dup_str(host);
		if (!c->names[0])
			goto fail;
		c->n_names = 1;
	}
	ssl = SSL_new(ctx);
	if (!ssl)
		goto fail;
	if (!SSL_set_ex_data(ssl, p->ex_idx, c)) {
		SSL_free(ssl);
		goto fail;
	}
	return ssl;
fail:
	conn_free(c);
	ERR_clear_error();
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Profiles                                                            */

static bool key_mismatch(unsigned long e)
{
	return ERR_GET_LIB(e) == ERR_LIB_X509 &&
	       ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH;
}

/* Encrypted keys are refused, never prompted for on a terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static bool load_identity(SSL_CTX *ctx, const struct tls_profile_conf *conf,
                          char *err, size_t errlen)
{
	SSL_CTX_set_default_passwd_cb(ctx, no_password);
	if (SSL_CTX_use_certificate_chain_file(ctx, conf->certificate) != 1) {
		config_error(err, errlen, "certificate", conf->certificate);
		return false;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, conf->private_key,
	                                SSL_FILETYPE_PEM) != 1) {
		if (key_mismatch(ERR_peek_last_error())) {
			put(err, errlen,
			    "private key %s does not match the certificate %s",
			    conf->private_key, conf->certificate);
			ERR_clear_error();
		} else {
			config_error(err, errlen, "private key",
			             conf->private_key);
		}
		return false;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		put(err, errlen,
		    "private key %s does not match the certificate %s",
		    conf->private_key, conf->certificate);
		ERR_clear_error();
		return false;
	}
	return true;
}

static SSL_CTX *make_ctx(struct tls_profile *p,
                         const struct tls_profile_conf *conf, bool server,
                         char *err, size_t errlen)
{
	static const unsigned char sid_ctx[] = "trunkbridge";
	const char *ciphers =
	        conf->ciphers ? conf->ciphers : TLS_DEFAULT_CIPHERS;
	const char *groups = conf->groups ? conf->groups : TLS_DEFAULT_GROUPS;
	int min = conf->min_version ? conf->min_version : TLS1_2_VERSION;
	int mode = SSL_VERIFY_NONE;
	char *gcopy;
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx) {
		config_error(err, errlen, "TLS context", NULL);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, min) != 1) {
		put(err, errlen, "min_version 0x%04x: not a TLS version", min);
		goto fail;
	}
	SSL_CTX_set_options(
	        ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	                     (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
		config_error(err, errlen, "ciphers", ciphers);
		goto fail;
	}
	if (conf->ciphersuites &&
	    SSL_CTX_set_ciphersuites(ctx, conf->ciphersuites) != 1) {
		config_error(err, errlen, "ciphersuites", conf->ciphersuites);
		goto fail;
	}
	/* The macro casts away const: hand it a copy. */
	gcopy = dup_str(groups);
	if (!gcopy || SSL_CTX_set1_groups_list(ctx, gcopy) != 1) {
		free(gcopy);
		put(err, errlen, "groups %s: unknown or unsupported group name",
		    groups);
		goto fail;
	}
	free(gcopy);
	if ((server || conf->client_certificate) &&
	    !load_identity(ctx, conf, err, errlen))
		goto fail;
	if (conf->ca_file &&
	    SSL_CTX_load_verify_locations(ctx, conf->ca_file, NULL) != 1) {
		config_error(err, errlen, "CA file", conf->ca_file);
		goto fail;
	}
	/* no ca_file: the system's roots (Debian's ca-certificates holds the
	 * public CAs both clouds use, e.g. DigiCert Global Root G2) */
	if (!conf->ca_file && SSL_CTX_set_default_verify_paths(ctx) != 1) {
		put(err, errlen, "cannot load the system trust store");
		goto fail;
	}
	switch (conf->verify_peer) {
	case TLS_VERIFY_REQUIRED:
		mode = SSL_VERIFY_PEER |
		       (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
		break;
	case TLS_VERIFY_OPTIONAL:
		mode = SSL_VERIFY_PEER;
		break;
	case TLS_VERIFY_NONE:
		mode = SSL_VERIFY_NONE;
		break;
	}
	SSL_CTX_set_verify(ctx, mode, verify_cb);
	SSL_CTX_set_info_callback(ctx, info_cb);
	/* Needed for resumption on a server that verifies clients. */
	if (server && SSL_CTX_set_session_id_context(
	                      ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
		config_error(err, errlen, "session id context", NULL);
		goto fail;
	}
	/* Slot 0 (app_data) of our own contexts: the tls_conn index, + 1. */
	SSL_CTX_set_ex_data(ctx, 0, (void *)(intptr_t)(p->ex_idx + 1));
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static void profile_free(struct tls_profile *p)
{
	SSL_CTX_free(p->server_ctx);
	SSL_CTX_free(p->client_ctx);
	for (size_t i = 0; i < p->n_peer_names; i++)
		free(p->peer_names[i]);
	free(p);
}

struct tls_profile *tls_profile_new(const struct tls_profile_conf *conf,
                                    char *err, size_t errlen)
{
	struct tls_profile *p;

	put(err, errlen, "%s", "");
	if (!conf || !conf->certificate || !*conf->certificate) {
		put(err, errlen, "certificate: not set");
		return NULL;
	}
	if (!conf->private_key || !*conf->private_key) {
		put(err, errlen, "private key: not set");
		return NULL;
	}
	if (conf->verify_peer != TLS_VERIFY_REQUIRED &&
	    conf->verify_peer != TLS_VERIFY_OPTIONAL &&
	    conf->verify_peer != TLS_VERIFY_NONE) {
		put(err, errlen, "verify_peer: unknown value %d",
		    (int)conf->verify_peer);
		return NULL;
	}
	if (conf->n_peer_names > TLS_MAX_PEER_NAMES) {
		put(err, errlen, "peer_names: %zu names, at most %d",
		    conf->n_peer_names, TLS_MAX_PEER_NAMES);
		return NULL;
	}
	for (size_t i = 0; i < conf->n_peer_names; i++) {
		const char *n = conf->peer_names[i];

		if (!n || !name_valid(n, name_len(n))) {
			put(err, errlen,
			    "peer_names: '%s' is not a host name or a "
			    "one-label wildcard like *.example.com",
			    n ? n : "(null)");
			return NULL;
		}
	}

	p = calloc(1, sizeof(*p));
	if (!p) {
		put(err, errlen, "out of memory");
		return NULL;
	}
	p->refs = 1;
	p->verify = conf->verify_peer;
	p->handshake_timeout_ms = conf->handshake_timeout_ms
	                                  ? conf->handshake_timeout_ms
	                                  : TLS_DEFAULT_HANDSHAKE_MS;
	for (size_t i = 0; i < conf->n_peer_names; i++) {
		p->peer_names[i] = dup_str(conf->peer_names[i]);
		if (!p->peer_names[i]) {
			put(err, errlen, "out of memory");
			goto fail;
		}
		p->n_peer_names++;
	}
	p->ex_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_ex_free);
	if (p->ex_idx < 0) {
		config_error(err, errlen, "SSL ex_data index", NULL);
		goto fail;
	}
	p->server_ctx = make_ctx(p, conf, true, err, errlen);
	if (!p->server_ctx)
		goto fail;
	p->client_ctx = make_ctx(p, conf, false, err, errlen);
	if (!p->client_ctx)
		goto fail;
	return p;
fail:
	profile_free(p);
	return NULL;
}

struct tls_profile *tls_profile_ref(struct tls_profile *p)
{
	if (p)
		p->refs++;
	return p;
}

void tls_profile_unref(struct tls_profile *p)
{
	if (p && --p->refs == 0)
		profile_free(p);
}

SSL_CTX *tls_profile_server_ctx(struct tls_profile *p)
{
	return p ? p->server_ctx : NULL;
}

SSL_CTX *tls_profile_client_ctx(struct tls_profile *p)
{
	return p ? p->client_ctx : NULL;
}

unsigned tls_profile_handshake_timeout_ms(const struct tls_profile *p)
{
	return p ? p->handshake_timeout_ms : TLS_DEFAULT_HANDSHAKE_MS;
}

/* host as an IP address literal ("192.0.2.1", "2001:db8::1", "[::1]")? */
static bool is_ip_literal(const char *host, char *ip, size_t iplen)
{
	unsigned char addr[sizeof(struct in6_addr)];
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (n == 0 || n >= iplen)
		return false;
	memcpy(ip, host, n);
	ip[n] = '\0';
	return inet_pton(AF_INET, ip, addr) == 1 ||
	       inet_pton(AF_INET6, ip, addr) == 1;
}

SSL *tls_client_ssl(struct tls_profile *p, const char *host)
{
	char ip[INET6_ADDRSTRLEN + 1], sni[TLS_NAME_MAX + 1];
	bool is_ip = host && *host && is_ip_literal(host, ip, sizeof(ip));
	struct tls_conn *c;
	SSL *ssl;

	if (!p)
		return NULL;
	/* An address is no name to match: not expected, not sent as SNI. */
	ssl = conn_ssl(p, p->client_ctx, false, is_ip ? NULL : host);
	if (!ssl)
		return NULL;
	c = conn_of(ssl);
	if (is_ip) {
		/* No SNI for an address (RFC 6066 3); with no peer_names the
		 * address itself is what the certificate must carry (an IP
		 * SAN, checked by OpenSSL). */
		c->ip_host = true;
		if (p->n_peer_names == 0 && p->verify != TLS_VERIFY_NONE &&
		    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip) != 1)
			goto fail;
	} else if (host && *host) {
		size_t n = name_len(host);

		if (n == 0 || n > TLS_NAME_MAX)
			goto fail;
		memcpy(sni, host, n); /* SNI has no trailing dot */
		sni[n] = '\0';
		if (SSL_set_tlsext_host_name(ssl, sni) != 1)
			goto fail;
	}
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	SSL_free(ssl);
	ERR_clear_error();
	return NULL;
}

SSL *tls_server_ssl(struct tls_profile *p)
{
	SSL *ssl = p ? conn_ssl(p, p->server_ctx, true, NULL) : NULL;

	if (ssl)
		SSL_set_accept_state(ssl);
	return ssl;
}

/* ------------------------------------------------------------------ */
/* Reasons                                                             */

/* Our words for a certificate verification result. */
static void verify_text(const struct tls_conn *c, SSL *ssl, long vr, char *why,
                        size_t whylen)
{
	const char *os = X509_verify_cert_error_string(vr);
	const char *ours;

	switch (vr) {
	case X509_V_ERR_HOSTNAME_MISMATCH: {
		char got[256] = "";
		X509 *peer = SSL_get0_peer_certificate(ssl);

		if (c && c->got[0])
			snprintf(got, sizeof(got), "%s", c->got);
		else if (c && peer)
			(void)conn_names_ok(c, peer, got, sizeof(got));
		if (!c) {
			put(why, whylen, "certificate name mismatch (%s)", os);
			return;
		}
		mismatch_text(c, got[0] ? got : "names we could not read", why,
		              whylen);
		add(why, whylen, " (openssl: %s)", os);
		return;
	}
	case X509_V_ERR_CERT_HAS_EXPIRED:
		ours = "peer certificate has expired";
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		ours = "peer certificate is not yet valid (check both clocks)";
		break;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		ours = "self-signed peer certificate: not issued by a CA we "
		       "trust";
		break;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		ours = "untrusted CA: the peer's chain ends in a self-signed "
		       "root that is not in our ca_file";
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		ours = "untrusted CA or missing intermediate: the peer must "
		       "send leaf + intermediates, and its root must be in "
		       "our ca_file";
		break;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		ours = "bad signature in the peer's chain";
		break;
	case X509_V_ERR_INVALID_PURPOSE:
		ours = "peer certificate not valid for this use (Extended Key "
		       "Usage lacks serverAuth/clientAuth)";
		break;
	case X509_V_ERR_INVALID_CA:
		ours = "an intermediate in the peer's chain is not a CA";
		break;
	case X509_V_ERR_CERT_REVOKED:
		ours = "peer certificate revoked";
		break;
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		ours = "certificate IP address mismatch: the peer's "
		       "certificate lacks the address we connected to";
		break;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
		ours = "peer certificate too weak (key size or signature hash)";
		break;
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
		ours = "peer chain too long";
		break;
	default:
		ours = "peer certificate rejected";
		break;
	}
	put(why, whylen, "%s (openssl: %s)", ours, os);
}

static const char *alert_hint(int desc, bool received)
{
	switch (desc) {
	case SSL_AD_HANDSHAKE_FAILURE:
		return received ? "handshake failure alert from the peer (no "
		                  "common cipher, group or version, or its "
		                  "policy refused us)"
		                : "we sent a handshake failure alert";
	case SSL_AD_BAD_CERTIFICATE:
		return received ? "the peer rejected our certificate (bad "
		                  "certificate)"
		                : "we rejected the peer's certificate";
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
		return received
		               ? "the peer does not accept our certificate "
		                 "type"
		               : "we do not accept the peer's certificate type";
	case SSL_AD_CERTIFICATE_REVOKED:
		return received ? "the peer says our certificate is revoked"
		                : "we found the peer's certificate revoked";
	case SSL_AD_CERTIFICATE_EXPIRED:
		return received ? "the peer says our certificate has expired"
		                : "the peer's certificate has expired";
	case SSL_AD_CERTIFICATE_UNKNOWN:
		return received ? "the peer rejected our certificate "
		                  "(certificate unknown; Microsoft sends this "
		                  "when we present no client certificate)"
		                : "we rejected the peer's certificate";
	case SSL_AD_UNKNOWN_CA:
		return received ? "the peer does not trust our certificate's "
		                  "CA (or we did not send the intermediates)"
		                : "the peer's certificate is not from a CA we "
		                  "trust";
	case SSL_AD_PROTOCOL_VERSION:
		return received ? "unsupported protocol: the peer refused our "
		                  "TLS version"
		                : "unsupported protocol: we refused the peer's "
		                  "TLS version";
	case SSL_AD_INSUFFICIENT_SECURITY:
		return received ? "the peer finds our ciphers too weak"
		                : "the peer's ciphers are too weak for us";
	case SSL_AD_UNRECOGNIZED_NAME:
		return received ? "the peer does not serve the SNI name we "
		                  "sent"
		                : "we do not serve the SNI name the peer sent";
	case SSL_AD_CERTIFICATE_REQUIRED:
		return received ? "the peer requires a client certificate "
		                  "(set client_certificate)"
		                : "peer did not return a certificate (client "
		                  "certificate required)";
	case SSL_AD_DECRYPT_ERROR:
		return received ? "the peer could not verify our handshake "
		                  "signature (wrong key for the certificate?)"
		                : "decrypt error in the peer's handshake";
	case SSL_AD_INTERNAL_ERROR:
		return received ? "internal error alert from the peer"
		                : "we hit an internal error";
	default:
		return NULL;
	}
}

static void cipher_list(SSL *ssl, char *buf, size_t len)
{
	STACK_OF(SSL_CIPHER) *sk = SSL_get_client_ciphers(ssl);
	int shown = 0;

	buf[0] = '\0';
	for (int i = 0; sk && i < sk_SSL_CIPHER_num(sk); i++) {
		const char *n = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));

		if (!n || !strcmp(n, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"))
			continue;
		if (shown == 6) {
			add(buf, len, ":...");
			break;
		}
		add(buf, len, "%s%s", shown ? ":" : "", n);
		shown++;
	}
}

/* Our words for error code e (and the verify result, the alerts). */
static void describe(SSL *ssl, const struct tls_conn *c, unsigned long e,
                     char *why, size_t whylen)
{
	char buf[256], list[128], extra[200];
	const char *os = ossl_reason(e, buf, sizeof(buf));
	long vr = SSL_get_verify_result(ssl);
	int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);
	const char *ours = NULL;

	extra[0] = '\0';
	if ((!e || (lib == ERR_LIB_SSL &&
	            reason == SSL_R_CERTIFICATE_VERIFY_FAILED)) &&
	    vr != X509_V_OK) {
		verify_text(c, ssl, vr, why, whylen);
		return;
	}
	if (!e) {
		if (c && c->alert_rcvd >= 0) {
			const char *h = alert_hint(c->alert_rcvd, true);

			put(why, whylen, "%s (alert %s)",
			    h ? h : "fatal alert from the peer",
			    SSL_alert_desc_string_long(c->alert_rcvd));
		} else if (c && c->alert_sent >= 0) {
			const char *h = alert_hint(c->alert_sent, false);

			put(why, whylen, "%s (alert %s)",
			    h ? h : "we sent a fatal alert",
			    SSL_alert_desc_string_long(c->alert_sent));
		} else {
			put(why, whylen,
			    "TLS handshake did not complete (connection "
			    "closed, reset or timed out; no TLS error "
			    "recorded)");
		}
		return;
	}
	if (lib == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET &&
	    reason < SSL_AD_REASON_OFFSET + 256) {
		ours = alert_hint(reason - SSL_AD_REASON_OFFSET, true);
		if (!ours)
			ours = "fatal alert from the peer";
	} else if (lib == ERR_LIB_SSL) {
		switch (reason) {
		case SSL_R_NO_SHARED_CIPHER:
			ours = "no shared cipher";
			if (c && c->server) {
				cipher_list(ssl, list, sizeof(list));
				if (list[0])
					snprintf(extra, sizeof(extra),
					         "; peer offered %s", list);
			}
			break;
		case SSL_R_UNSUPPORTED_PROTOCOL:
		case SSL_R_VERSION_TOO_LOW:
		case SSL_R_NO_PROTOCOLS_AVAILABLE:
			if (c && c->server) {
				snprintf(extra, sizeof(extra),
				         "; peer offered %s at most",
				         version_name(SSL_client_version(ssl)));
				ours = "unsupported protocol: TLS version too "
				       "low";
			} else {
				ours = "unsupported protocol: the peer chose a "
				       "TLS version below our minimum";
			}
			break;
		case SSL_R_WRONG_VERSION_NUMBER:
		case SSL_R_HTTP_REQUEST:
		case SSL_R_HTTPS_PROXY_REQUEST:
			ours = "the peer does not speak TLS here (plain SIP "
			       "on a TLS port?)";
			break;
		case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
			ours = "peer did not return a certificate (client "
			       "certificate required)";
			break;
		case SSL_R_UNEXPECTED_EOF_WHILE_READING:
			ours = "unexpected EOF: the peer closed the "
			       "connection during the handshake (it may have "
			       "refused our certificate, SNI or ciphers "
			       "silently)";
			break;
		case SSL_R_NO_SHARED_GROUPS:
		case SSL_R_NO_SUITABLE_KEY_SHARE:
			ours = "no shared group (elliptic curve; Genesys takes "
			       "only secp384r1)";
			break;
		case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
		case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
			ours = "no shared signature algorithm";
			break;
		case SSL_R_CA_KEY_TOO_SMALL:
		case SSL_R_CA_MD_TOO_WEAK:
		case SSL_R_EE_KEY_TOO_SMALL:
		case SSL_R_DH_KEY_TOO_SMALL:
			ours = "key or signature too weak for our security "
			       "level";
			break;
		case SSL_R_CERTIFICATE_VERIFY_FAILED:
			ours = "peer certificate rejected";
			break;
		default:
			ours = "TLS handshake failed";
			break;
		}
	} else if (lib == ERR_LIB_SYS) {
		ours = "connection error";
	} else {
		ours = "TLS handshake failed";
	}
	put(why, whylen, "%s%s (openssl: %s)", ours, extra, os);
}

void tls_handshake_error(SSL *ssl, char *why, size_t whylen)
{
	unsigned long e, first = 0, first_ssl = 0;
	const struct tls_conn *c = conn_of(ssl);

	while ((e = ERR_get_error()) != 0) {
		if (!first)
			first = e;
		if (!first_ssl && ERR_GET_LIB(e) == ERR_LIB_SSL)
			first_ssl = e;
	}
	e = first_ssl ? first_ssl : first;
	if (!e && c)
		e = c->err;
	if (!ssl) {
		put(why, whylen, "no TLS connection");
		return;
	}
	describe(ssl, c, e, why, whylen);
	ERR_clear_error();
}

bool tls_peer_ok(SSL *ssl, char *why, size_t whylen)
{
	const struct tls_conn *c = conn_of(ssl);
	X509 *peer;
	long vr;
	char got[256];

	put(why, whylen, "%s", "");
	if (!ssl || !c) {
		put(why, whylen,
		    "not a connection made by tls_client_ssl or "
		    "tls_server_ssl");
		return false;
	}
	if (!SSL_is_init_finished(ssl)) {
		tls_handshake_error(ssl, why, whylen);
		return false;
	}
	if (c->verify == TLS_VERIFY_NONE)
		return true;
	peer = SSL_get0_peer_certificate(ssl);
	if (!peer) {
		if (c->server && c->verify == TLS_VERIFY_OPTIONAL)
			return true;
		put(why, whylen, "peer did not return a certificate%s",
		    c->server ? " (client certificate required)" : "");
		return false;
	}
	vr = SSL_get_verify_result(ssl);
	if (vr != X509_V_OK) {
		verify_text(c, ssl, vr, why, whylen);
		return false;
	}
	if (!conn_names_ok(c, peer, got, sizeof(got))) {
		mismatch_text(c, got, why, whylen);
		return false;
	}
	return true;
}

/* Our own reason texts (tls_peer_ok, tls_handshake_error, the transport's
 * timeout words), in the order of the most specific first. */
static const struct {
	const char *has;
	enum tls_fail_class c;
} fail_words[] = {
        {"name mismatch", TLS_FAIL_NAME_MISMATCH},
        {"IP address mismatch", TLS_FAIL_IP_MISMATCH},
        {"the peer says our certificate", TLS_FAIL_PEER_REFUSED_US},
        {"rejected our certificate", TLS_FAIL_PEER_REFUSED_US},
        {"does not trust our certificate", TLS_FAIL_PEER_REFUSED_US},
        {"does not accept our certificate", TLS_FAIL_PEER_REFUSED_US},
        {"requires a client certificate", TLS_FAIL_PEER_REFUSED_US},
        {"could not verify our handshake", TLS_FAIL_PEER_REFUSED_US},
        {"did not return a certificate", TLS_FAIL_NO_CLIENT_CERT},
        {"has expired", TLS_FAIL_EXPIRED},
        {"not yet valid", TLS_FAIL_NOT_YET_VALID},
        {"self-signed peer certificate", TLS_FAIL_SELF_SIGNED},
        {"untrusted CA or missing intermediate", TLS_FAIL_UNTRUSTED_CHAIN},
        {"untrusted CA", TLS_FAIL_UNTRUSTED_CA},
        {"not from a CA we trust", TLS_FAIL_UNTRUSTED_CA},
        {"not a CA", TLS_FAIL_UNTRUSTED_CHAIN},
        {"Extended Key Usage", TLS_FAIL_PURPOSE},
        {"no shared cipher", TLS_FAIL_NO_SHARED_CIPHER},
        {"no shared group", TLS_FAIL_NO_SHARED_CIPHER},
        {"no shared signature", TLS_FAIL_NO_SHARED_CIPHER},
        {"handshake failure alert", TLS_FAIL_NO_SHARED_CIPHER},
        {"ciphers too weak", TLS_FAIL_NO_SHARED_CIPHER},
        {"ciphers are too weak", TLS_FAIL_NO_SHARED_CIPHER},
        {"unsupported protocol", TLS_FAIL_PROTOCOL},
        {"does not speak TLS", TLS_FAIL_NOT_TLS},
        {"alert from the peer", TLS_FAIL_PEER_ALERT},
        {"timeout", TLS_FAIL_TIMEOUT},
        {"timed out", TLS_FAIL_TIMEOUT},
        {"unexpected EOF", TLS_FAIL_CLOSED},
        {"closed", TLS_FAIL_CLOSED},
        {"reset by peer", TLS_FAIL_CLOSED},
        {"Broken pipe", TLS_FAIL_CLOSED},
};

enum tls_fail_class tls_fail_classify(const char *why)
{
	if (!why)
		return TLS_FAIL_OTHER;
	for (size_t i = 0; i < sizeof(fail_words) / sizeof(fail_words[0]);
	     i++) {
		if (strstr(why, fail_words[i].has))
			return fail_words[i].c;
	}
	return TLS_FAIL_OTHER;
}

const char *tls_fail_name(enum tls_fail_class c)
{
	static const char *const names[TLS_FAIL_COUNT] = {
	        [TLS_FAIL_NAME_MISMATCH] = "name_mismatch",
	        [TLS_FAIL_IP_MISMATCH] = "ip_mismatch",
	        [TLS_FAIL_EXPIRED] = "expired",
	        [TLS_FAIL_NOT_YET_VALID] = "not_yet_valid",
	        [TLS_FAIL_SELF_SIGNED] = "self_signed",
	        [TLS_FAIL_UNTRUSTED_CA] = "untrusted_ca",
	        [TLS_FAIL_UNTRUSTED_CHAIN] = "untrusted_chain",
	        [TLS_FAIL_PURPOSE] = "purpose",
	        [TLS_FAIL_PEER_REFUSED_US] = "peer_refused",
	        [TLS_FAIL_NO_CLIENT_CERT] = "no_client_certificate",
	        [TLS_FAIL_NO_SHARED_CIPHER] = "no_shared_cipher",
	        [TLS_FAIL_PROTOCOL] = "protocol_version",
	        [TLS_FAIL_NOT_TLS] = "not_tls",
	        [TLS_FAIL_PEER_ALERT] = "peer_alert",
	        [TLS_FAIL_CLOSED] = "closed",
	        [TLS_FAIL_TIMEOUT] = "timeout",
	        [TLS_FAIL_OTHER] = "other",
	};

	return (unsigned)c < TLS_FAIL_COUNT ? names[c] : "other";
}
