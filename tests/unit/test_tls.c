/* test_tls.c: unit tests for TLS profiles and certificate identity.
 *
 * usage: test_tls <shared testdata dir>   (unused: the certificates are
 * made by tests/certs/make-certs.sh into a temporary directory)
 *
 * First the RFC 6125 name matcher on a table, then profile errors, then
 * real in-process handshakes: a client SSL and a server SSL over a
 * non-blocking socketpair, SSL_do_handshake driven on both sides for a
 * bounded number of rounds, and the reasons checked for their key words.
 */
#include "sip/transp/tls.h"
#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char certdir[PATH_MAX];

/* certdir/name. Interned: the same name gives the same buffer, which
 * stays valid for the whole run (a conf may keep pointing at it). */
static const char *cpath(const char *name)
{
	static char names[48][64], paths[48][PATH_MAX + 64];
	static unsigned used;
	unsigned i;

	for (i = 0; i < used; i++) {
		if (!strcmp(names[i], name))
			return paths[i];
	}
	if (used == 48 || strlen(name) >= sizeof(names[0]))
		abort();
	snprintf(names[used], sizeof(names[0]), "%s", name);
	snprintf(paths[used], sizeof(paths[0]), "%s/%s", certdir, name);
	return paths[used++];
}

#define CHECK_HAS(s, word)                                                     \
	do {                                                                   \
		test_checks++;                                                 \
		if (!strstr((s), (word))) {                                    \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: '%s' lacks '%s'\n", __FILE__,  \
			        __LINE__, (s), (word));                        \
		}                                                              \
	} while (0)

/* ------------------------------------------------------------------ */

static void test_name_match(void)
{
	static const struct {
		const char *cert, *pattern;
		bool match;
	} t[] = {
	        {"sip.pstnhub.microsoft.com", "sip.pstnhub.microsoft.com",
	         true},
	        {"SIP.PstnHub.Microsoft.COM", "sip.pstnhub.microsoft.com",
	         true},
	        {"sip.pstnhub.microsoft.com", "sip2.pstnhub.microsoft.com",
	         false},
	        {"sip.pstnhub.microsoft.com", "pstnhub.microsoft.com", false},
	        /* wildcard in the certificate */
	        {"*.pstnhub.microsoft.com", "sip.pstnhub.microsoft.com", true},
	        {"*.PSTNHUB.microsoft.com", "Sip3.pstnhub.microsoft.com", true},
	        {"*.example.com", "example.com", false},
	        {"*.example.com", "a.b.example.com", false},
	        {"*.example.com", ".example.com", false},
	        {"f*.example.com", "foo.example.com", false},
	        {"*foo.example.com", "barfoo.example.com", false},
	        {"a.*.example.com", "a.b.example.com", false},
	        {"*.*.example.com", "a.b.example.com", false},
	        {"*", "example", false},
	        {"*.com", "example.com", false},
	        {"*.", "a.", false},
	        /* wildcard in the pattern (config peer_names) */
	        {"sip.pstnhub.microsoft.com", "*.pstnhub.microsoft.com", true},
	        {"sip2.PSTNHUB.microsoft.com", "*.pstnhub.microsoft.com", true},
	        {"pstnhub.microsoft.com", "*.pstnhub.microsoft.com", false},
	        {"a.sip.pstnhub.microsoft.com", "*.pstnhub.microsoft.com",
	         false},
	        {"sip.example.net", "*.pstnhub.microsoft.com", false},
	        {"example.com", "*.com", false},
	        {"foo.example.com", "f*.example.com", false},
	        /* both wildcards: the same set of names */
	        {"*.pstnhub.microsoft.com", "*.pstnhub.microsoft.com", true},
	        {"*.pstnhub.microsoft.com", "*.PSTNHUB.microsoft.com.", true},
	        {"*.microsoft.com", "*.pstnhub.microsoft.com", false},
	        {"*.pstnhub.microsoft.com", "*.microsoft.com", false},
	        /* trailing dot (absolute name) on either side */
	        {"sip.pstnhub.microsoft.com.", "sip.pstnhub.microsoft.com",
	         true},
	        {"sip.pstnhub.microsoft.com", "sip.pstnhub.microsoft.com.",
	         true},
	        {"*.pstnhub.microsoft.com", "sip.pstnhub.microsoft.com.", true},
	        {"sip.pstnhub.microsoft.com..", "sip.pstnhub.microsoft.com",
	         false},
	        /* junk */
	        {"", "", false},
	        {".", ".", false},
	        {"a..b.com", "a..b.com", false},
	        {"sip.example.com ", "sip.example.com", false},
	        {"sip.example.com", "", false},
	        {"localhost", "localhost", true},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool got = tls_name_match(t[i].cert, t[i].pattern);

		test_checks++;
		if (got != t[i].match) {
			test_failures++;
			fprintf(stderr,
			        "tls_name_match(\"%s\", \"%s\") = %d, "
			        "expected %d\n",
			        t[i].cert, t[i].pattern, got, t[i].match);
		}
	}
	CHECK(!tls_name_match(NULL, "a.example.com"));
	CHECK(!tls_name_match("a.example.com", NULL));
	/* the metric labels of failure classes */
	CHECK(tls_fail_classify("TLS handshake timeout") == TLS_FAIL_TIMEOUT);
	CHECK(tls_fail_classify("something new") == TLS_FAIL_OTHER);
	CHECK(tls_fail_classify(NULL) == TLS_FAIL_OTHER);
	CHECK(!strcmp(tls_fail_name(TLS_FAIL_PROTOCOL), "protocol_version"));
	CHECK(!strcmp(tls_fail_name(TLS_FAIL_OTHER), "other"));
	CHECK(!strcmp(tls_fail_name(TLS_FAIL_COUNT), "other"));
}

/* ------------------------------------------------------------------ */

struct opts {
	const char *cert; /* name in certdir, "x" -> x.pem + x.key */
	enum tls_verify verify;
	const char *names[3];
	bool client_cert;
	const char *ciphers;
	int min_version;
};

static struct tls_profile *mk(const struct opts *o)
{
	struct tls_profile_conf conf;
	char certf[64], keyf[64], err[512];
	struct tls_profile *p;

	memset(&conf, 0, sizeof(conf));
	snprintf(certf, sizeof(certf), "%s.pem", o->cert);
	snprintf(keyf, sizeof(keyf), "%s.key", o->cert);
	conf.certificate = cpath(certf);
	conf.private_key = cpath(keyf);
	conf.ca_file = cpath("ca.pem");
	conf.verify_peer = o->verify;
	for (size_t i = 0; i < 3 && o->names[i]; i++)
		conf.peer_names[conf.n_peer_names++] = o->names[i];
	conf.client_certificate = o->client_cert;
	conf.ciphers = o->ciphers;
	conf.min_version = o->min_version;
	p = tls_profile_new(&conf, err, sizeof(err));
	if (!p)
		fprintf(stderr, "tls_profile_new(%s): %s\n", o->cert, err);
	return p;
}

enum side_state { RUNNING, DONE, FAILED };

struct side {
	SSL *ssl;
	int fd;
	enum side_state st;
	bool ok;       /* tls_peer_ok, when DONE */
	char why[512]; /* the reason (failure or tls_peer_ok) */
};

static void step(struct side *s)
{
	int r, e;

	if (s->st != RUNNING)
		return;
	r = SSL_do_handshake(s->ssl);
	if (r == 1) {
		s->st = DONE;
		return;
	}
	e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return;
	s->st = FAILED;
	/* At once: the next SSL call on this thread clears the queue. */
	tls_handshake_error(s->ssl, s->why, sizeof(s->why));
	shutdown(s->fd, SHUT_RDWR);
}

static void nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		abort();
}

/* Run the handshake between two SSLs; the SSLs stay owned by the caller. */
static void handshake(struct side *c, struct side *s)
{
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
		abort();
	nonblock(fds[0]);
	nonblock(fds[1]);
	c->fd = fds[0];
	s->fd = fds[1];
	c->st = s->st = RUNNING;
	c->ok = s->ok = false;
	c->why[0] = s->why[0] = '\0';
	SSL_set_fd(c->ssl, fds[0]);
	SSL_set_fd(s->ssl, fds[1]);
	for (int i = 0; i < 200 && (c->st == RUNNING || s->st == RUNNING);
	     i++) {
		step(c);
		step(s);
	}
	if (c->st == DONE)
		c->ok = tls_peer_ok(c->ssl, c->why, sizeof(c->why));
	if (s->st == DONE)
		s->ok = tls_peer_ok(s->ssl, s->why, sizeof(s->why));
	close(fds[0]);
	close(fds[1]);
}

struct run {
	struct side c, s;
};

static const char *state_name(const struct side *s)
{
	if (s->st == DONE)
		return s->ok ? "ok" : "rejected after the handshake";
	return s->st == FAILED ? "handshake failed" : "stuck";
}

/* Client profile co toward host, server profile so; report both sides. */
static void run_pair(struct run *r, const struct opts *co, const char *host,
                     const struct opts *so, const char *label)
{
	struct tls_profile *cp = mk(co), *sp = mk(so);

	memset(r, 0, sizeof(*r));
	CHECK(cp && sp);
	if (!cp || !sp) {
		tls_profile_unref(cp);
		tls_profile_unref(sp);
		return;
	}
	r->c.ssl = tls_client_ssl(cp, host);
	r->s.ssl = tls_server_ssl(sp);
	CHECK(r->c.ssl && r->s.ssl);
	/* The SSLs may outlive their profiles. */
	tls_profile_unref(cp);
	tls_profile_unref(sp);
	if (r->c.ssl && r->s.ssl)
		handshake(&r->c, &r->s);
	printf("  %-28s client: %s | server: %s\n", label, state_name(&r->c),
	       state_name(&r->s));
	if (r->c.why[0])
		printf("      client reason: %s\n", r->c.why);
	if (r->s.why[0])
		printf("      server reason: %s\n", r->s.why);
}

static void run_free(struct run *r)
{
	SSL_free(r->c.ssl);
	SSL_free(r->s.ssl);
	memset(r, 0, sizeof(*r));
}

/* We (sbc1) dial an ACS-like server that presents `cert`; the server
 * does not ask for a client certificate. */
static void dial(struct run *r, const char *cert, const char *host,
                 const char *peer_name)
{
	struct opts co = {"sbc1", TLS_VERIFY_REQUIRED, {peer_name}, false, NULL,
	                  0};
	struct opts so = {cert, TLS_VERIFY_NONE, {NULL}, false, NULL, 0};

	run_pair(r, &co, host, &so, cert);
}

static bool client_failed(const struct run *r)
{
	return r->c.st == FAILED || (r->c.st == DONE && !r->c.ok);
}

static void test_good_chains(void)
{
	struct run r;
	const char *sni;

	dial(&r, "acs1", "sip.pstnhub.lab.test", "*.pstnhub.lab.test");
	CHECK(r.c.st == DONE && r.c.ok);
	CHECK(r.s.st == DONE && r.s.ok);
	sni = r.s.ssl ? SSL_get_servername(r.s.ssl, TLSEXT_NAMETYPE_host_name)
	              : NULL;
	CHECK(sni && !strcmp(sni, "sip.pstnhub.lab.test"));
	run_free(&r);

	/* No peer_names: the host we dial is the name to check. */
	dial(&r, "acs2", "sip2.pstnhub.lab.test", NULL);
	CHECK(r.c.st == DONE && r.c.ok);
	run_free(&r);

	/* Trailing dot: matched, and left out of SNI. */
	dial(&r, "acs1", "sip.pstnhub.lab.test.", NULL);
	CHECK(r.c.st == DONE && r.c.ok);
	sni = r.s.ssl ? SSL_get_servername(r.s.ssl, TLSEXT_NAMETYPE_host_name)
	              : NULL;
	CHECK(sni && !strcmp(sni, "sip.pstnhub.lab.test"));
	run_free(&r);

	/* Wildcard certificate, wildcard or plain expected name. */
	dial(&r, "acswild", "sip3.pstnhub.lab.test", NULL);
	CHECK(r.c.st == DONE && r.c.ok);
	run_free(&r);
	dial(&r, "acswild", "sip3.pstnhub.lab.test", "*.pstnhub.lab.test");
	CHECK(r.c.st == DONE && r.c.ok);
	run_free(&r);

	/* No SAN at all: the CN counts. */
	dial(&r, "cnonly", "sip.pstnhub.lab.test", NULL);
	CHECK(r.c.st == DONE && r.c.ok);
	run_free(&r);

	/* Genesys-like peer with its configured name. */
	dial(&r, "genesys", "byoc.genesys.lab.test", "voice.genesys.lab.test");
	CHECK(r.c.st == DONE && r.c.ok);
	run_free(&r);
}

static void test_name_mismatch(void)
{
	struct run r;

	dial(&r, "wrongname", "sip.pstnhub.lab.test", "*.pstnhub.lab.test");
	CHECK(r.c.st == FAILED);
	CHECK_HAS(r.c.why, "certificate name mismatch: got sip.example.net, "
	                   "expected *.pstnhub.lab.test");
	CHECK(tls_fail_classify(r.c.why) == TLS_FAIL_NAME_MISMATCH);
	CHECK(r.s.st == FAILED); /* the server got our alert */
	run_free(&r);

	/* The dialled host is not in a valid certificate. */
	dial(&r, "acs1", "sip2.pstnhub.lab.test", NULL);
	CHECK(r.c.st == FAILED);
	CHECK_HAS(r.c.why, "got sip.pstnhub.lab.test, expected "
	                   "sip2.pstnhub.lab.test");
	run_free(&r);

	/* The wildcard covers one label only. */
	dial(&r, "acswild", "a.sip.pstnhub.lab.test", NULL);
	CHECK(r.c.st == FAILED);
	CHECK_HAS(r.c.why, "got *.pstnhub.lab.test");
	run_free(&r);

	/* An IP literal: no SNI; with no peer_names the IP must be in the
	 * certificate (it is not). */
	dial(&r, "acs1", "127.0.0.1", NULL);
	CHECK(r.c.st == FAILED);
	CHECK_HAS(r.c.why, "IP address mismatch");
	CHECK(tls_fail_classify(r.c.why) == TLS_FAIL_IP_MISMATCH);
	CHECK(!r.s.ssl ||
	      !SSL_get_servername(r.s.ssl, TLSEXT_NAMETYPE_host_name));
	run_free(&r);
	/* No host and no peer_names: nothing to check against, fail closed. */
	dial(&r, "acs1", NULL, NULL);
	CHECK(r.c.st == FAILED);
	CHECK_HAS(r.c.why, "none was given");
	run_free(&r);

	/* A certificate carrying the address passes. */
	dial(&r, "acs2", "127.0.0.1", NULL);
	CHECK(r.c.st == DONE && r.c.ok);
	CHECK(!r.s.ssl ||
	      !SSL_get_servername(r.s.ssl, TLSEXT_NAMETYPE_host_name));
	run_free(&r);
	dial(&r, "acs2", "[::1]", NULL);
	CHECK(r.c.st == DONE && r.c.ok);
	run_free(&r);
	/* An IP literal with peer_names: those are checked, still no SNI. */
	dial(&r, "acs1", "[::1]", "*.pstnhub.lab.test");
	CHECK(r.c.st == DONE && r.c.ok);
	CHECK(!r.s.ssl ||
	      !SSL_get_servername(r.s.ssl, TLSEXT_NAMETYPE_host_name));
	run_free(&r);
}

static void test_bad_chains(void)
{
	struct run r;

	dial(&r, "expired", "sip.pstnhub.lab.test", NULL);
	CHECK(client_failed(&r));
	CHECK_HAS(r.c.why, "expired");
	CHECK(tls_fail_classify(r.c.why) == TLS_FAIL_EXPIRED);
	run_free(&r);

	dial(&r, "notyetvalid", "sip.pstnhub.lab.test", NULL);
	CHECK(client_failed(&r));
	CHECK_HAS(r.c.why, "not yet valid");
	CHECK(tls_fail_classify(r.c.why) == TLS_FAIL_NOT_YET_VALID);
	run_free(&r);

	dial(&r, "selfsigned", "sip.pstnhub.lab.test", NULL);
	CHECK(client_failed(&r));
	CHECK_HAS(r.c.why, "self-signed");
	CHECK(tls_fail_classify(r.c.why) == TLS_FAIL_SELF_SIGNED);
	run_free(&r);

	dial(&r, "nointermediate", "sip.pstnhub.lab.test", NULL);
	CHECK(client_failed(&r));
	CHECK_HAS(r.c.why, "missing intermediate");
	CHECK_HAS(r.c.why, "unable to get local issuer certificate");
	CHECK(tls_fail_classify(r.c.why) == TLS_FAIL_UNTRUSTED_CHAIN);
	run_free(&r);

	dial(&r, "untrusted", "sip.pstnhub.lab.test", NULL);
	CHECK(client_failed(&r));
	CHECK_HAS(r.c.why, "untrusted CA");
	CHECK(tls_fail_classify(r.c.why) == TLS_FAIL_UNTRUSTED_CA);
	run_free(&r);
}

/* An ACS-like client dials our server (sbc1), which requires a client
 * certificate named *.pstnhub.lab.test. */
static void test_client_certificates(void)
{
	struct opts so = {"sbc1",
	                  TLS_VERIFY_REQUIRED,
	                  {"*.pstnhub.lab.test"},
	                  false,
	                  NULL,
	                  0};
	struct opts co = {"acs1", TLS_VERIFY_REQUIRED, {NULL}, false, NULL, 0};
	struct opts co12 = co;
	struct run r;
	X509 *seen;

	/* No client certificate (TLS 1.3: the client thinks it is done). */
	run_pair(&r, &co, "sbc1.lab.test", &so, "mtls, no client cert");
	CHECK(r.s.st == FAILED);
	CHECK_HAS(r.s.why, "did not return a certificate");
	CHECK(tls_fail_classify(r.s.why) == TLS_FAIL_NO_CLIENT_CERT);
	run_free(&r);

	/* The same on TLS 1.2: the client sees the server's alert. */
	co12.ciphers = "ECDHE-RSA-AES128-GCM-SHA256";
	{
		struct tls_profile *cp = mk(&co12), *sp = mk(&so);

		memset(&r, 0, sizeof(r));
		r.c.ssl = cp ? tls_client_ssl(cp, "sbc1.lab.test") : NULL;
		r.s.ssl = sp ? tls_server_ssl(sp) : NULL;
		CHECK(r.c.ssl && r.s.ssl);
		if (r.c.ssl && r.s.ssl) {
			SSL_set_max_proto_version(r.c.ssl, TLS1_2_VERSION);
			handshake(&r.c, &r.s);
		}
		tls_profile_unref(cp);
		tls_profile_unref(sp);
		printf("  mtls 1.2, no client cert   client: %s | server: %s\n",
		       r.c.why, r.s.why);
		CHECK(r.s.st == FAILED);
		CHECK_HAS(r.s.why, "did not return a certificate");
		CHECK(tls_fail_classify(r.s.why) == TLS_FAIL_NO_CLIENT_CERT);
		CHECK(r.c.st == FAILED);
		CHECK_HAS(r.c.why, "handshake failure");
		CHECK(tls_fail_classify(r.c.why) == TLS_FAIL_NO_SHARED_CIPHER);
		run_free(&r);
	}

	/* With our chain as client certificate: both pass, the server
	 * sees the certificate. */
	co.client_cert = true;
	run_pair(&r, &co, "sbc1.lab.test", &so, "mtls, client cert");
	CHECK(r.c.st == DONE && r.c.ok);
	CHECK(r.s.st == DONE && r.s.ok);
	seen = r.s.ssl ? SSL_get0_peer_certificate(r.s.ssl) : NULL;
	CHECK(seen != NULL);
	if (seen) {
		char cn[128] = "";

		X509_NAME_get_text_by_NID(X509_get_subject_name(seen),
		                          NID_commonName, cn, sizeof(cn));
		CHECK(!strcmp(cn, "sip.pstnhub.lab.test"));
	}
	run_free(&r);

	/* A client certificate with the wrong name: the server says which. */
	co.cert = "wrongname";
	run_pair(&r, &co, "sbc1.lab.test", &so, "mtls, wrong client name");
	CHECK(r.s.st == FAILED);
	CHECK_HAS(r.s.why, "certificate name mismatch: got sip.example.net, "
	                   "expected *.pstnhub.lab.test");
	run_free(&r);

	/* An expired client certificate. */
	co.cert = "expired";
	run_pair(&r, &co, "sbc1.lab.test", &so, "mtls, expired client");
	CHECK(r.s.st == FAILED);
	CHECK_HAS(r.s.why, "expired");
	run_free(&r);

	/* A client certificate with serverAuth-only EKU (Microsoft, 2026)
	 * is taken; the untrusted one is not. */
	co.cert = "acs3";
	run_pair(&r, &co, "sbc1.lab.test", &so, "mtls, serverAuth-only EKU");
	CHECK(r.s.st == DONE && r.s.ok);
	CHECK(r.c.st == DONE && r.c.ok);
	run_free(&r);
	co.cert = "untrusted";
	run_pair(&r, &co, "sbc1.lab.test", &so, "mtls, untrusted client");
	CHECK(r.s.st == FAILED);
	CHECK_HAS(r.s.why, "untrusted CA");
	run_free(&r);

	/* Optional: no certificate is fine. */
	so.verify = TLS_VERIFY_OPTIONAL;
	co.cert = "acs1";
	co.client_cert = false;
	run_pair(&r, &co, "sbc1.lab.test", &so, "optional, no client cert");
	CHECK(r.s.st == DONE && r.s.ok);
	CHECK(r.c.st == DONE && r.c.ok);
	run_free(&r);
}

/* A raw OpenSSL client (not our profile) against our server. */
static void raw_client(struct run *r, int max_version, const char *ciphers,
                       const char *label)
{
	struct opts so = {"sbc1", TLS_VERIFY_NONE, {NULL}, false, NULL, 0};
	struct tls_profile *sp = mk(&so);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	memset(r, 0, sizeof(*r));
	CHECK(sp && ctx);
	if (!sp || !ctx) {
		tls_profile_unref(sp);
		SSL_CTX_free(ctx);
		return;
	}
	SSL_CTX_set_min_proto_version(ctx, 0);
	SSL_CTX_set_max_proto_version(ctx, max_version);
	CHECK(SSL_CTX_set_cipher_list(ctx, ciphers) == 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	r->c.ssl = SSL_new(ctx);
	SSL_set_connect_state(r->c.ssl);
	r->s.ssl = tls_server_ssl(sp);
	handshake(&r->c, &r->s);
	printf("  %-28s server: %s\n", label, r->s.why);
	SSL_CTX_free(ctx);
	tls_profile_unref(sp);
}

/* Our client against a raw OpenSSL server that allows only TLS 1.1. */
static void test_versions_and_ciphers(void)
{
	struct run r;

	raw_client(&r, TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0", "TLS 1.1 client");
	CHECK(r.s.st == FAILED);
	CHECK_HAS(r.s.why, "unsupported protocol");
	CHECK_HAS(r.s.why, "TLS 1.1");
	CHECK(tls_fail_classify(r.s.why) == TLS_FAIL_PROTOCOL);
	CHECK(r.c.st == FAILED);
	run_free(&r);

	raw_client(&r, TLS1_2_VERSION, "AES128-SHA:@SECLEVEL=0",
	           "AES128-SHA client");
	CHECK(r.s.st == FAILED);
	CHECK_HAS(r.s.why, "no shared cipher");
	CHECK_HAS(r.s.why, "AES128-SHA");
	CHECK(tls_fail_classify(r.s.why) == TLS_FAIL_NO_SHARED_CIPHER);
	CHECK(r.c.st == FAILED);
	CHECK_HAS(r.c.why, "handshake failure");
	CHECK(tls_fail_classify(r.c.why) == TLS_FAIL_NO_SHARED_CIPHER);
	run_free(&r);

	/* Our client against a TLS 1.1-only server. */
	{
		struct opts co = {
		        "sbc1", TLS_VERIFY_REQUIRED, {NULL}, false, NULL, 0};
		struct tls_profile *cp = mk(&co);
		SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

		memset(&r, 0, sizeof(r));
		CHECK(cp && ctx);
		if (cp && ctx) {
			SSL_CTX_set_min_proto_version(ctx, TLS1_1_VERSION);
			SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
			SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
			CHECK(SSL_CTX_use_certificate_chain_file(
			              ctx, cpath("acs1.pem")) == 1);
			CHECK(SSL_CTX_use_PrivateKey_file(
			              ctx, cpath("acs1.key"),
			              SSL_FILETYPE_PEM) == 1);
			r.c.ssl = tls_client_ssl(cp, "sip.pstnhub.lab.test");
			r.s.ssl = SSL_new(ctx);
			SSL_set_accept_state(r.s.ssl);
			handshake(&r.c, &r.s);
			printf("  %-28s client: %s\n", "TLS 1.1 server",
			       r.c.why);
			CHECK(r.c.st == FAILED);
			CHECK_HAS(r.c.why, "unsupported protocol");
		}
		SSL_CTX_free(ctx);
		tls_profile_unref(cp);
		run_free(&r);
	}
}

/* The peer closes in the middle of the handshake. */
static void test_eof(void)
{
	struct opts co = {"sbc1", TLS_VERIFY_REQUIRED, {NULL}, false, NULL, 0};
	struct tls_profile *cp = mk(&co);
	SSL *ssl = cp ? tls_client_ssl(cp, "sip.pstnhub.lab.test") : NULL;
	int fds[2], r = 0, e = 0;
	char why[512] = "";

	CHECK(ssl != NULL);
	if (!ssl || socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
		tls_profile_unref(cp);
		return;
	}
	nonblock(fds[0]);
	SSL_set_fd(ssl, fds[0]);
	shutdown(fds[1], SHUT_WR); /* EOF to the client, still readable */
	for (int i = 0; i < 10; i++) {
		r = SSL_do_handshake(ssl);
		e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			break;
	}
	CHECK(r != 1);
	tls_handshake_error(ssl, why, sizeof(why));
	printf("  %-28s client: %s\n", "EOF in handshake", why);
	CHECK_HAS(why, "unexpected EOF");
	SSL_free(ssl);
	close(fds[0]);
	close(fds[1]);
	tls_profile_unref(cp);
}

/* libevent drains the error queue before our code sees the failure: the
 * reason must still be precise (recorded by the info callback). */
static void test_drained_queue(void)
{
	struct opts co = {"sbc1", TLS_VERIFY_REQUIRED, {NULL}, false, NULL, 0};
	struct opts so = {"sbc1", TLS_VERIFY_NONE, {NULL}, false, NULL, 0};
	struct tls_profile *cp = mk(&co), *sp = mk(&so);
	SSL_CTX *raw = SSL_CTX_new(TLS_client_method());
	SSL *c, *s;
	int fds[2];
	char why[512] = "";
	bool sfail = false;

	CHECK(cp && sp && raw);
	if (!cp || !sp || !raw || socketpair(AF_UNIX, SOCK_STREAM, 0, fds)) {
		tls_profile_unref(cp);
		tls_profile_unref(sp);
		SSL_CTX_free(raw);
		return;
	}
	SSL_CTX_set_max_proto_version(raw, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(raw, "AES128-SHA:@SECLEVEL=0");
	c = SSL_new(raw);
	s = tls_server_ssl(sp);
	nonblock(fds[0]);
	nonblock(fds[1]);
	SSL_set_fd(c, fds[0]);
	SSL_set_fd(s, fds[1]);
	SSL_set_connect_state(c);
	for (int i = 0; i < 50 && !sfail; i++) {
		int r;

		SSL_do_handshake(c);
		ERR_clear_error();
		r = SSL_do_handshake(s);
		if (r != 1 && SSL_get_error(s, r) == SSL_ERROR_SSL)
			sfail = true;
	}
	CHECK(sfail);
	ERR_clear_error(); /* what libevent does */
	tls_handshake_error(s, why, sizeof(why));
	printf("  %-28s server: %s\n", "drained queue", why);
	CHECK_HAS(why, "no shared cipher");
	SSL_free(c);
	SSL_free(s);
	close(fds[0]);
	close(fds[1]);
	SSL_CTX_free(raw);
	tls_profile_unref(cp);
	tls_profile_unref(sp);
}

/* ------------------------------------------------------------------ */

static void test_profile_errors(void)
{
	struct tls_profile_conf conf;
	struct tls_profile *p;
	char err[512];

	memset(&conf, 0, sizeof(conf));
	conf.certificate = cpath("sbc1.pem");
	conf.private_key = cpath("sbc1.key");
	conf.ca_file = cpath("ca.pem");
	p = tls_profile_new(&conf, err, sizeof(err));
	CHECK(p != NULL);
	if (p) {
		CHECK(tls_profile_server_ctx(p) != NULL);
		CHECK(tls_profile_client_ctx(p) != NULL);
		CHECK(SSL_CTX_get_min_proto_version(
		              tls_profile_server_ctx(p)) == TLS1_2_VERSION);
		CHECK(SSL_CTX_get_verify_mode(tls_profile_server_ctx(p)) ==
		      (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));
		CHECK(SSL_CTX_get_verify_mode(tls_profile_client_ctx(p)) ==
		      SSL_VERIFY_PEER);
		/* client_certificate false: no chain on the client side */
		CHECK(SSL_CTX_get0_certificate(tls_profile_client_ctx(p)) ==
		      NULL);
		CHECK(SSL_CTX_get0_certificate(tls_profile_server_ctx(p)) !=
		      NULL);
		CHECK_EQ_INT(tls_profile_handshake_timeout_ms(p), 5000);
		CHECK(tls_profile_ref(p) == p);
		tls_profile_unref(p);
		tls_profile_unref(p);
	}

	conf.certificate = cpath("nonexistent.pem");
	p = tls_profile_new(&conf, err, sizeof(err));
	printf("  missing file: %s\n", err);
	CHECK(p == NULL);
	CHECK_HAS(err, "certificate ");
	CHECK_HAS(err, "nonexistent.pem");
	CHECK_HAS(err, "No such file");
	tls_profile_unref(p);

	conf.certificate = cpath("sbc1.pem");
	conf.private_key = cpath("acs1.key");
	p = tls_profile_new(&conf, err, sizeof(err));
	printf("  key mismatch: %s\n", err);
	CHECK(p == NULL);
	CHECK_HAS(err, "does not match the certificate");
	CHECK_HAS(err, "acs1.key");

	conf.private_key = cpath("ca.pem"); /* no key in there */
	p = tls_profile_new(&conf, err, sizeof(err));
	printf("  not a key: %s\n", err);
	CHECK(p == NULL);
	CHECK_HAS(err, "private key ");
	CHECK_HAS(err, "ca.pem");

	conf.private_key = cpath("sbc1.key");
	conf.ca_file = cpath("nonexistent-ca.pem");
	p = tls_profile_new(&conf, err, sizeof(err));
	printf("  missing CA: %s\n", err);
	CHECK(p == NULL);
	CHECK_HAS(err, "CA file ");

	/* An encrypted key is refused, never prompted for. */
	conf.ca_file = cpath("ca.pem");
	{
		char cmd[3 * PATH_MAX];

		snprintf(cmd, sizeof(cmd),
		         "openssl pkey -in '%s' -aes128 -passout pass:secret "
		         "-out '%s' 2>/dev/null",
		         cpath("sbc1.key"), cpath("encrypted.key"));
		CHECK(system(cmd) == 0);
	}
	conf.private_key = cpath("encrypted.key");
	p = tls_profile_new(&conf, err, sizeof(err));
	printf("  encrypted key: %s\n", err);
	CHECK(p == NULL);
	CHECK_HAS(err, "encrypted.key");
	CHECK_HAS(err, "key is encrypted");
	conf.private_key = cpath("sbc1.key");

	conf.ciphers = "NOT-A-CIPHER";
	p = tls_profile_new(&conf, err, sizeof(err));
	printf("  bad ciphers: %s\n", err);
	CHECK(p == NULL);
	CHECK_HAS(err, "ciphers NOT-A-CIPHER");

	conf.ciphers = NULL;
	conf.groups = "secp384r1:nocurve";
	p = tls_profile_new(&conf, err, sizeof(err));
	printf("  bad groups: %s\n", err);
	CHECK(p == NULL);
	CHECK_HAS(err, "groups ");

	conf.groups = NULL;
	conf.peer_names[0] = "f*.example.com";
	conf.n_peer_names = 1;
	p = tls_profile_new(&conf, err, sizeof(err));
	printf("  bad peer name: %s\n", err);
	CHECK(p == NULL);
	CHECK_HAS(err, "f*.example.com");

	/* A client-certificate profile presents the chain as client. */
	conf.peer_names[0] = "*.pstnhub.microsoft.com";
	conf.client_certificate = true;
	conf.verify_peer = TLS_VERIFY_OPTIONAL;
	conf.handshake_timeout_ms = 1234;
	p = tls_profile_new(&conf, err, sizeof(err));
	CHECK(p != NULL);
	if (p) {
		CHECK(SSL_CTX_get0_certificate(tls_profile_client_ctx(p)) !=
		      NULL);
		CHECK(SSL_CTX_get_verify_mode(tls_profile_server_ctx(p)) ==
		      SSL_VERIFY_PEER);
		CHECK_EQ_INT(tls_profile_handshake_timeout_ms(p), 1234);
	}
	tls_profile_unref(p);
}

/* ------------------------------------------------------------------ */

static int make_certs(char *tmpl)
{
	char root[PATH_MAX], cmd[3 * PATH_MAX];
	const char *f = __FILE__, *cut = strstr(f, "tests/unit/test_tls.c");
	size_t n;

	if (!cut)
		return -1;
	n = (size_t)(cut - f);
	if (n >= sizeof(root))
		return -1;
	memcpy(root, f, n);
	root[n] = '\0';
	if (!n)
		strcpy(root, "./");
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(certdir, sizeof(certdir), "%s/certs", tmpl);
	snprintf(cmd, sizeof(cmd), "bash '%stests/certs/make-certs.sh' '%s'",
	         root, certdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[1024], cmd[1024 + 32];

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	RUN(test_name_match);

	snprintf(tmpl, sizeof(tmpl), "%s/tb-test-tls-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (make_certs(tmpl) != 0) {
		fprintf(stderr, "make-certs.sh into %s failed (errno %d)\n",
		        tmpl, errno);
		if (!strstr(tmpl, "XXXXXX")) {
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
			(void)!system(cmd);
		}
		return 1;
	}
	RUN(test_profile_errors);
	RUN(test_good_chains);
	RUN(test_name_mismatch);
	RUN(test_bad_chains);
	RUN(test_client_certificates);
	RUN(test_versions_and_ciphers);
	RUN(test_eof);
	RUN(test_drained_queue);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpl);
	return test_summary();
}
