/* tls.h: TLS profiles (OpenSSL 3) and certificate identity checks.
 *
 * A profile is what one trunk (or a listener) needs to speak TLS: our chain
 * and key (presented as server, and as client when the profile says so),
 * the trust store, the versions/ciphers/groups, and the names the peer's
 * certificate must carry. TLS is a layer under SIP framing: the transport
 * wraps a socket with a profile's SSL_CTX through libevent's
 * bufferevent_openssl, and SIP code never sees the encryption.
 *
 * Ownership: a profile is refcounted (tls_profile_ref/unref). Reload builds
 * a new profile; connections keep the one they were made with until closed.
 */
#ifndef TB_SIP_TLS_H
#define TB_SIP_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

enum tls_verify {
	TLS_VERIFY_REQUIRED =
	        0,           /* peer cert required, chain and name checked */
	TLS_VERIFY_OPTIONAL, /* checked when presented */
	TLS_VERIFY_NONE,
};

#define TLS_MAX_PEER_NAMES 8

/* Plain settings, filled by the config layer. Strings are NUL-terminated
 * and owned by the caller; the profile copies what it keeps. */
struct tls_profile_conf {
	const char *certificate; /* PEM: leaf then intermediates */
	const char *private_key; /* PEM */
	const char *ca_file;     /* PEM bundle of trusted roots; NULL: the
	                            system store (ca-certificates) */
	enum tls_verify verify_peer;
	/* Names the peer's certificate must match (SAN dNSName, then CN when
	 * there is no dNSName), RFC 6125: exact, case-insensitive, or a
	 * one-label wildcard "*.example.com" in the pattern or the cert.
	 * Empty: the server's hostname we connected to (client side). */
	const char *peer_names[TLS_MAX_PEER_NAMES];
	size_t n_peer_names;
	bool client_certificate;  /* present our chain when we are the client */
	const char *ciphers;      /* TLS 1.2 list; NULL: the default below */
	const char *ciphersuites; /* TLS 1.3; NULL: OpenSSL's default */
	const char *groups;       /* NULL: the default below */
	int min_version;          /* TLS1_2_VERSION by default (0) */
	unsigned handshake_timeout_ms; /* 0: 5000 */
};

/* Defaults both clouds accept: ECDHE-RSA AES-GCM (and the CBC-SHA2 pair
 * Microsoft lists), P-384 offered first (Genesys takes only that curve). */
#define TLS_DEFAULT_CIPHERS                                                    \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"             \
	"ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:"                     \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"
#define TLS_DEFAULT_GROUPS "secp384r1:prime256v1:x25519"

struct tls_profile;

/* Build a profile. On failure returns NULL and writes a one-line reason
 * (file, what OpenSSL said) into err. */
struct tls_profile *tls_profile_new(const struct tls_profile_conf *conf,
                                    char *err, size_t errlen);
struct tls_profile *tls_profile_ref(struct tls_profile *p);
void tls_profile_unref(struct tls_profile *p);

/* The contexts for accepting and for connecting. */
SSL_CTX *tls_profile_server_ctx(struct tls_profile *p);
SSL_CTX *tls_profile_client_ctx(struct tls_profile *p);
unsigned tls_profile_handshake_timeout_ms(const struct tls_profile *p);

/* A client SSL for connecting to host (a name: SNI and, when the profile
 * has no peer_names, the name to verify). NULL on failure. */
SSL *tls_client_ssl(struct tls_profile *p, const char *host);
/* A server SSL for an accepted connection. */
SSL *tls_server_ssl(struct tls_profile *p);

/* After the handshake (or its failure): did the peer pass? On false, why
 * in our words with OpenSSL's reason, e.g. "certificate name mismatch:
 * got sip.example.net, expected *.pstnhub.microsoft.com", "certificate
 * has expired", "unable to get local issuer certificate (missing
 * intermediate or untrusted CA)", "self-signed certificate", "no shared
 * cipher", "unsupported protocol (peer offered TLS 1.1)". */
bool tls_peer_ok(SSL *ssl, char *why, size_t whylen);

/* Describe the failure of a handshake that did not complete (reads the
 * OpenSSL error queue and the verify result; clears the queue). */
void tls_handshake_error(SSL *ssl, char *why, size_t whylen);

/* What a failure reason (from tls_peer_ok / tls_handshake_error, or the
 * transport's timeout and close words) is: one class per cause the guide
 * tells apart. The metrics label them (tls_fail_name: "name_mismatch",
 * "expired", ...); `check --probe` maps them to causes and fixes. */
enum tls_fail_class {
	TLS_FAIL_NAME_MISMATCH = 0,
	TLS_FAIL_IP_MISMATCH, /* an address not in the certificate */
	TLS_FAIL_EXPIRED,
	TLS_FAIL_NOT_YET_VALID,
	TLS_FAIL_SELF_SIGNED,      /* a self-signed leaf */
	TLS_FAIL_UNTRUSTED_CA,     /* the chain ends at a root we lack */
	TLS_FAIL_UNTRUSTED_CHAIN,  /* untrusted CA or missing intermediate:
	                              OpenSSL cannot tell which */
	TLS_FAIL_PURPOSE,          /* Extended Key Usage */
	TLS_FAIL_PEER_REFUSED_US,  /* the peer's alert about our certificate */
	TLS_FAIL_NO_CLIENT_CERT,   /* a client sent us no certificate */
	TLS_FAIL_NO_SHARED_CIPHER, /* cipher, group or signature algorithm */
	TLS_FAIL_PROTOCOL,         /* TLS version */
	TLS_FAIL_NOT_TLS,          /* plain text on a TLS port */
	TLS_FAIL_PEER_ALERT,       /* another fatal alert from the peer */
	TLS_FAIL_CLOSED,           /* EOF or reset during the handshake */
	TLS_FAIL_TIMEOUT,          /* no handshake in time */
	TLS_FAIL_OTHER,
	TLS_FAIL_COUNT
};
enum tls_fail_class tls_fail_classify(const char *why);
const char *tls_fail_name(enum tls_fail_class c);

/* RFC 6125 name match of one certificate name against one pattern
 * (either side may hold a one-label leftmost wildcard). Exposed for tests. */
bool tls_name_match(const char *cert_name, const char *pattern);

#endif
