/* cfg.h: trunkbridge.yaml -> a typed, validated, immutable config generation.
 *
 * cfg_load() parses the YAML (libfyaml), checks every key against the schema
 * and the two clouds' rules (ACS Direct Routing, Genesys Cloud BYOC-Cloud;
 * see docs/config.md and ../shared/docs/interop.md), fills in the profile
 * defaults, and returns one `struct tb_config` in which every value is
 * resolved: nothing downstream has to know a default or a profile rule.
 *
 * Every problem found is collected (not only the first) in a caller-owned
 * `struct cfg_errors`, each with file, line, column, the key path, what is
 * wrong and how to fix it:
 *
 *   trunkbridge.yaml:14:16: trunks.acs.transport: udp; ACS Direct Routing
 *   requires tls (set transport: tls)
 *
 * Warnings (allowed, but probably not what the guide wants) go to the same
 * list with severity CFG_SEV_WARNING; they never stop a load.
 *
 * Loading does no other I/O than reading the file: certificate, key and CA
 * paths are kept as text and not opened here (that is `trunkbridge check`
 * and the TLS layer's job). cfg_load_string() does no I/O at all.
 *
 * Ownership and immutability: a `struct tb_config` is one configuration
 * generation. Everything it points to (strings, arrays) lives in one arena
 * owned by the generation. After cfg_load returns it is read-only: no one
 * writes to it, from any thread, so readers need no lock. Whoever keeps a
 * pointer beyond the current call takes a reference with cfg_ref() and
 * drops it with cfg_free(); the refcount is atomic, and the last cfg_free()
 * frees the whole generation. Reload builds a new generation; calls and
 * connections made under the old one keep their reference to it.
 */
#ifndef TB_CFG_CFG_H
#define TB_CFG_CFG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cfg_arena;

/* ---------------------------------------------------------------- errors */

enum cfg_severity {
	CFG_SEV_ERROR = 0, /* the config does not load */
	CFG_SEV_WARNING,   /* loads, but probably not what the guide wants */
};

#define CFG_ERRORS_MAX 64
#define CFG_FILE_MAX   256
#define CFG_PATH_MAX   128
#define CFG_TEXT_MAX   320

struct cfg_error {
	enum cfg_severity severity;
	char file[CFG_FILE_MAX]; /* the name given to cfg_load(_string) */
	int line;                /* 1-based; 0 when there is no position */
	int column;              /* 1-based; 0 when there is no position */
	char path[CFG_PATH_MAX]; /* key path, "trunks.acs.transport",
	                            "listen[0].port"; "" for the file */
	char what[CFG_TEXT_MAX]; /* what is wrong, starting with the value */
	char fix[CFG_TEXT_MAX];  /* what to write instead; may be "" */
};

/* Caller-owned (about 66 KiB: keep it static or on the heap in threads
 * with small stacks). cfg_load() resets it first. When more than
 * CFG_ERRORS_MAX problems are found, errors displace stored warnings and
 * the rest are counted in `dropped`. */
struct cfg_errors {
	size_t n;          /* entries in e[], in the order found */
	size_t n_errors;   /* errors found (stored or dropped) */
	size_t n_warnings; /* warnings found (stored or dropped) */
	size_t dropped;    /* found but not stored */
	struct cfg_error e[CFG_ERRORS_MAX];
};

void cfg_errors_init(struct cfg_errors *e);

/* One line per entry, no trailing newline:
 *   file:line:col: path: what (fix)
 *   file:line:col: warning: path: what (fix)
 * (":line:col" is left out when there is no position, "path: " when the
 * path is empty, " (fix)" when there is no fix). Returns what snprintf
 * returns. */
int cfg_error_format(const struct cfg_error *e, char *buf, size_t cap);

/* Every entry, one per line, then "N errors, M warnings" when there are
 * any (and how many were dropped). */
void cfg_errors_print(const struct cfg_errors *e, FILE *f);

/* ---------------------------------------------------------------- values */

enum cfg_transport {
	CFG_TRANSPORT_UDP = 0,
	CFG_TRANSPORT_TCP,
	CFG_TRANSPORT_TLS,
};

enum cfg_profile {
	CFG_PROFILE_GENERIC = 0, /* syntax only */
	CFG_PROFILE_ACS,         /* "acs-direct-routing" */
	CFG_PROFILE_GENESYS,     /* "genesys-byoc-cloud" */
};

/* Same order as enum tls_verify in sip/transp/tls.h. */
enum cfg_verify {
	CFG_VERIFY_REQUIRED = 0, /* peer certificate required and checked */
	CFG_VERIFY_OPTIONAL,     /* checked when the peer presents one */
	CFG_VERIFY_NONE,         /* not checked */
};

/* Protocol version numbers as OpenSSL spells them (TLS1_2_VERSION...). */
#define CFG_TLS_1_2 0x0303
#define CFG_TLS_1_3 0x0304

#define CFG_MAX_PEER_NAMES 8 /* = TLS_MAX_PEER_NAMES */

/* An IPv4 or IPv6 address: family is 4 or 6; addr holds 4 or 16 bytes in
 * network order; text is the canonical form (inet_ntop). */
struct cfg_addr {
	uint8_t family;
	uint8_t addr[16];
	const char *text;
};

/* A CIDR prefix ("52.112.0.0/14", "2603:1063::/38"); a bare address
 * is a /32 or /128. Host bits are zero (checked at load). */
struct cfg_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* 0..32 or 0..128 */
	uint8_t addr[16];
};

/* A TLS profile as the config resolves it (trunk side or listener side).
 * NULL strings mean "the TLS layer's default". */
struct cfg_tls {
	enum cfg_verify verify_peer;
	/* Names the peer's certificate must match (RFC 6125, a leading
	 * "*." wildcard allowed). Empty: the server hostname we dialled. */
	const char *const *peer_names;
	size_t n_peer_names;
	const char *ca_file;     /* PEM roots; NULL: the system store */
	bool client_certificate; /* present identity's chain as a client */
	const char *ciphers;     /* OpenSSL TLS 1.2 list; NULL: default */
	const char *groups;      /* OpenSSL groups list; NULL: default */
	uint16_t min_version;    /* CFG_TLS_1_2 or CFG_TLS_1_3 */
};

struct cfg_identity {
	const char *fqdn;        /* the SBC's DNS name (Contact, Via, cert) */
	const char *certificate; /* PEM leaf + intermediates; NULL if unset */
	const char *private_key; /* PEM; NULL if unset */
};

struct cfg_listener {
	enum cfg_transport transport;
	struct cfg_addr address; /* default 0.0.0.0 */
	uint16_t port;           /* default 5060 udp/tcp, 5061 tls */
	struct cfg_tls tls;      /* resolved; meaningful for tls only */
};

/* Mirrors struct sip_limits (sip/msg/sip_msg.h) plus connection limits. */
struct cfg_limits {
	uint32_t max_message_size;
	uint32_t max_headers;
	uint32_t max_header_length;
	uint32_t max_vias;
	uint32_t max_connections;
	uint32_t max_connections_per_source;
	/* live SIP transactions (an INVITE's last 64*T1 after its 2xx,
	 * RFC 6026); over it a request gets 503 */
	uint32_t max_transactions;
	uint32_t tls_handshake_timeout_ms;
	uint32_t idle_timeout_ms;
};

/* RFC 3261 timer bases, milliseconds. */
struct cfg_timers {
	uint32_t t1_ms;
	uint32_t t2_ms;
	uint32_t t4_ms;
};

enum cfg_media_encryption {
	CFG_MEDIA_SRTP = 0,
	CFG_MEDIA_RTP,
};

/* Genesys Inbound SIP Termination Identifier method (interop 2.2); same
 * order as enum genesys_ident in b2b/number.h. */
enum cfg_identification {
	CFG_IDENT_FQDN = 0,
	CFG_IDENT_TGRP,
	CFG_IDENT_DNIS,
};

struct cfg_header {
	const char *name;
	const char *value;
};

/* Which forwarding-history headers a trunk gets (RFC 5806 Diversion,
 * RFC 7044 History-Info, mapped per RFC 7544). */
enum cfg_divert_form {
	CFG_DIVERT_DIVERSION = 0, /* "diversion" */
	CFG_DIVERT_HISTORY_INFO,  /* "history-info" */
	CFG_DIVERT_BOTH,          /* "both" */
	CFG_DIVERT_NONE,          /* "none": neither header is sent */
};

/* trunks.X.diversion: {form, always_send, source} (the guide's Edge
 * Case 2, "Always send Diversion Header" + "Original Called Address"). */
struct cfg_diversion {
	enum cfg_divert_form form; /* default diversion */
	/* A call trunkbridge transfers to this trunk (REFER) carries a
	 * Diversion built from `source` even when none arrived. Default:
	 * true on acs-direct-routing, false elsewhere. */
	bool always_send;
	/* The diverting number of such a Diversion: NULL = the call's
	 * original called number ("original-called", the default), else a
	 * fixed E.164 number ("+18005550100"). */
	const char *source;
};

/* trunks.X.allow_from_ip_ranges: a Genesys ip-ranges JSON file
 * (interop 2.5: {"entities":[{cidr, service, region, direction}]}) whose
 * matching entries join the trunk's static `allow` list. */
struct cfg_ip_ranges {
	const char *file; /* NULL: none */
	/* Entries count when their field is in the list; empty: any. */
	const char *const *services;
	size_t n_services;
	const char *const *regions;
	size_t n_regions;
	const char *const *directions;
	size_t n_directions;
};

/* The top-level media section: the relay every call's media goes
 * through (design.md "media"). Absent: SDP crosses unchanged (no
 * anchoring; `check` warns). */
struct cfg_media {
	bool enabled;                   /* a media: section is present */
	struct cfg_addr address;        /* sockets bind here; default 0.0.0.0 */
	struct cfg_addr public_address; /* c=/o=/candidates; default address
	                                   (required when that is 0.0.0.0/::) */
	uint16_t port_min, port_max;    /* "ports: 40000-49999" (even start) */
	/* "disconnect on idle RTP": a call with no media from either side
	 * for this long is ended (trunks opt out with
	 * disconnect_on_idle_rtp: false); default 60s */
	uint32_t idle_timeout_ms;
	uint32_t batch; /* packets per recvmmsg/sendmmsg; default 32 */
};

/* The top-level admin section: the HTTP endpoint of /health, /status,
 * /calls and /metrics (docs/admin.md). Absent: no endpoint. */
struct cfg_admin {
	bool enabled;            /* an admin: section is present */
	struct cfg_addr address; /* default 127.0.0.1 (only a port given) */
	uint16_t port;
	const char *listen; /* "127.0.0.1:8080", "[::1]:8080" */
	const char *token;  /* bearer token; NULL: none */
};

/* The top-level log section: a level for every module, and one per
 * module (docs/config.md). Levels are enum tb_log_level values (0 debug ..
 * 3 error); -1: not set. */
#define CFG_LOG_MODULES 10 /* TB_MOD_COUNT (base/log.h) */
struct cfg_log {
	int level;                    /* -1: TB_LOG_LEVEL, else info */
	int modules[CFG_LOG_MODULES]; /* -1: the level above */
};

/* The top-level shutdown section: how a SIGTERM drains the calls
 * (docs/operations.md). Absent: the defaults. */
struct cfg_shutdown {
	uint32_t drain_timeout_ms; /* calls may go on; then BYE; 30s */
	uint32_t bye_wait_ms;      /* answers to those BYEs awaited; 2s */
	uint32_t retry_after_s;    /* in 503s while draining; 30 */
};

/* The top-level trace section: every SIP message (or a chosen call's)
 * into rolling pcap files and/or to a HEPv3 collector (docs/trace.md).
 * Absent: no trace. */
#define CFG_MAX_TRACE_CALLS 64 /* trace.calls patterns */
struct cfg_trace {
	bool enabled; /* a trace: section is present */
	/* pcap: { dir, max_file_size, max_files, buffer_size }; dir NULL:
	 * no files */
	const char *pcap_dir;
	uint64_t max_file_size; /* bytes; default 10MB */
	uint32_t max_files;     /* default 10: the oldest beyond are deleted */
	uint32_t buffer_size;   /* bytes; default 256KB (flushed every 1 s) */
	/* hep: { address, id, password } */
	bool hep;                    /* a hep: subsection is present */
	struct cfg_addr hep_address; /* an IP literal */
	uint16_t hep_port;
	const char *hep_text;     /* "127.0.0.1:9060", "[::1]:9060" */
	uint32_t hep_id;          /* capture agent id; default 2001 */
	const char *hep_password; /* NULL: none */
	/* calls: number patterns; empty: every message is traced, else only
	 * the calls whose INVITE has a matching Request-URI, From or To user
	 * (both legs) */
	const char *const *calls;
	size_t n_calls;
	uint32_t max_call_ids; /* Call-IDs of traced calls kept; 1024 */
};

enum cfg_ice {
	CFG_ICE_OFF = 0, /* no ICE lines, STUN not answered */
	CFG_ICE_LITE,    /* ICE-lite (RFC 8445 2.5): ACS default */
};

#define CFG_MAX_SUITES 8

struct cfg_server {
	const char *host; /* DNS name, or an IP literal (no brackets) */
	uint16_t port;
	bool host_is_ip;
};

struct cfg_trunk {
	const char *name; /* the key under trunks: */
	enum cfg_profile profile;
	enum cfg_transport transport;
	/* In order: the first is tried first (ACS: sip, sip2, sip3). */
	const struct cfg_server *servers;
	size_t n_servers;
	struct cfg_tls tls; /* resolved; meaningful when transport is tls */
	uint32_t options_interval_ms;
	uint32_t options_timeout_ms;
	const uint16_t *failover_codes; /* final responses that fail over */
	size_t n_failover_codes;
	uint32_t up_after;   /* OPTIONS successes in a row: Active */
	uint32_t down_after; /* OPTIONS failures in a row: Inactive */
	/* Sources allowed to send to this trunk; empty: no filter here. */
	const struct cfg_cidr *allow;
	size_t n_allow;

	/* ---- calls (the B2BUA) ---- */
	/* "Media Encryption": srtp (ACS, Genesys default) or rtp (generic
	 * default): with a media section, an offer from this trunk without
	 * usable SRTP gets 488 and offers to it carry SDES crypto. */
	enum cfg_media_encryption media_encryption;
	/* SRTP suites offered to and accepted from this trunk, in order of
	 * preference (enum srtp_suite values; Genesys
	 * trunk_media_srtp_cipher_suites). Default AES_CM_128_HMAC_SHA1_80. */
	uint8_t srtp_suites[CFG_MAX_SUITES];
	size_t n_srtp_suites;
	/* telephone-event payload type in offers to this trunk (Genesys
	 * trunk_media_dtmf_payload, 96-127); default 101 */
	uint8_t dtmf_payload;
	enum cfg_ice ice; /* ACS default lite, others off */
	/* Genesys trunk_media_disconnectOnIdleRTP; default true */
	bool disconnect_on_idle_rtp;
	/* Genesys "Inbound SIP Termination Identifier" (interop 2.2): the
	 * FQDN (identification fqdn) or the trunk group (tgrp); NULL when
	 * unset (required for genesys-byoc-cloud). */
	const char *termination_uri;
	enum cfg_identification identification; /* default fqdn */
	const char *trunk_context; /* tgrp: RFC 4904 trunk-context; NULL */
	/* Optional "Inbound SIP Termination Header": a header carrying
	 * termination_uri on every INVITE; NULL when unset. */
	const char *termination_header;
	/* Genesys "Omit + prefix" for calling (From/PAI) and called
	 * (Request-URI/To) numbers sent to this trunk (interop 2.4). */
	bool omit_plus_calling;
	bool omit_plus_called;
	/* Header policy: the names of the other leg's headers that pass to
	 * this trunk (case-insensitive; a trailing '*' is a prefix, as in
	 * "X-MS-Custom-*"). Default: P-Asserted-Identity, Privacy,
	 * User-to-User, X-MS-Custom-*. */
	const char *const *pass_headers;
	size_t n_pass_headers;
	/* Headers added to every INVITE sent to this trunk (Genesys "Custom
	 * SIP headers"), in file order. */
	const struct cfg_header *add_headers;
	size_t n_add_headers;
	/* Concurrent calls on this trunk (in and out); 0: no limit. */
	uint32_t max_calls;
	/* New calls per window (Genesys trunk_maxCallRate "40/5s"); 0: none. */
	uint32_t max_call_rate;
	uint32_t call_rate_window_ms;
	/* RFC 4028 Min-SE we accept from this trunk, seconds (>= 90). */
	uint32_t min_se_s;
	/* An outbound INVITE not answered by then is cancelled (Genesys
	 * trunk_maxDialTimeout); default 2m. */
	uint32_t dial_timeout_ms;
	/* Send X-MS-SBC (interop 1.4); ACS default true, others false. */
	bool x_ms_sbc;
	struct cfg_diversion diversion;
	struct cfg_ip_ranges ip_ranges;
};

/* A route (like an ACS voice route): calls arriving on trunk `from` whose
 * called number matches the PCRE2 pattern `called` (and `calling`, when
 * set) go to trunk `to`. In order: the first match wins. */
struct cfg_route {
	const char *from;
	const char *to;
	const char *called;
	const char *calling; /* NULL: any */
};

struct tb_config {
	atomic_uint refcount; /* cfg_ref/cfg_free only */
	const char *source;   /* the file name it was loaded from */
	struct cfg_identity identity;
	const struct cfg_listener *listeners;
	size_t n_listeners;
	struct cfg_limits limits;
	struct cfg_timers timers;
	const struct cfg_trunk *trunks; /* in file order */
	size_t n_trunks;
	const struct cfg_route *routes; /* in file order */
	size_t n_routes;
	const char *cdr_path; /* cdr.store without "sqlite:"; NULL: none */
	struct cfg_media media;
	struct cfg_admin admin;
	struct cfg_shutdown shutdown;
	struct cfg_trace trace;
	struct cfg_log log;
	/* A request from a source in no trunk's allow list: dropped with no
	 * answer (default), or answered 403 (`refused_sources: reply-403`).
	 * Either way it is counted per source. */
	bool refuse_with_403;
	/* How often ip-ranges files are checked for a change (stat), ms;
	 * `ip_ranges_check_interval`, default 10s; SIGHUP always re-reads. */
	uint32_t ip_ranges_check_ms;
	struct cfg_arena *arena; /* private: owns everything above */
};

/* ------------------------------------------------------------------- API */

/* Read and load a file. On success returns 0 and a generation with one
 * reference in *out (errs may hold warnings). On failure *out is NULL and
 * returns EINVAL (the config has errors, all in errs), ENOMEM, or the
 * errno of opening/reading the file (also in errs). errs may be NULL. */
int cfg_load(const char *path, struct tb_config **out, struct cfg_errors *errs);

/* The same from bytes in memory; name is what errors call the file. */
int cfg_load_string(const char *name, const char *yaml, size_t len,
                    struct tb_config **out, struct cfg_errors *errs);

/* Take one more reference; returns c. */
struct tb_config *cfg_ref(struct tb_config *c);
/* Drop one reference; the last one frees the generation. NULL is fine. */
void cfg_free(struct tb_config *c);

/* The trunk with this name, or NULL. */
const struct cfg_trunk *cfg_trunk_find(const struct tb_config *c,
                                       const char *name);

/* Names as written in the YAML ("tls", "acs-direct-routing", "required"). */
const char *cfg_transport_name(enum cfg_transport t);
const char *cfg_profile_name(enum cfg_profile p);
const char *cfg_verify_name(enum cfg_verify v);

/* Limits of the loader itself. */
#define CFG_FILE_SIZE_MAX (1024 * 1024)
#define CFG_MAX_LISTENERS 16
#define CFG_MAX_TRUNKS    64
#define CFG_MAX_ROUTES    1024
#define CFG_MAX_SERVERS   16
#define CFG_MAX_ALLOW     256
#define CFG_MAX_CODES     32

#endif
