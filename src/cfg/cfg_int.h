/* cfg_int.h: private interface of the cfg module (not for other modules).
 *
 * The loader walks the libfyaml document with a `struct cfg_ctx` (one per
 * load, on the loader's stack: no globals). Each key it looks at becomes a
 * `struct cfg_val`: the node, where it is in the file, and its key path.
 * Values are copied into the generation's arena, so the YAML document is
 * destroyed before cfg_load returns.
 */
#ifndef TB_CFG_INT_H
#define TB_CFG_INT_H

#include "cfg/cfg.h"

#include <libfyaml.h>

#if defined(__GNUC__) || defined(__clang__)
#define CFG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CFG_PRINTF(f, a)
#endif

/* 1-based; 0/0 when unknown. */
struct cfg_pos {
	int line;
	int col;
};

static inline struct cfg_pos cfg_pos_at(int line, int col)
{
	struct cfg_pos p = {line, col};
	return p;
}

struct cfg_ctx {
	const char *name;        /* file name for messages */
	struct cfg_errors *errs; /* never NULL inside the loader */
	struct cfg_arena *arena;
	struct tb_config *cfg;
	bool oom;
};

/* A value under a key. node is NULL when the key is absent; then key and
 * pos are the position of the parent's key (where to add it). */
struct cfg_val {
	struct fy_node *node;
	struct cfg_pos key; /* the key's position */
	struct cfg_pos pos; /* the value's position (key's when unknown) */
	char path[CFG_PATH_MAX];
};

/* ---- arena (cfg_util.c) */
struct cfg_arena *cfg_arena_new(void);
void cfg_arena_free(struct cfg_arena *a);
/* Zeroed memory from the load's arena; NULL (and ctx->oom) on failure. */
void *cfg_alloc(struct cfg_ctx *c, size_t size);
/* The start of every list key: an arena array for the n items of v (at
 * least one slot of size bytes), or NULL when v is not a list ("found
 * map; expected a list of WHAT", fix "write a list: EXAMPLE") or holds
 * more than max ("N UNIT; at most MAX"), both reported; NULL too when out
 * of memory. */
void *cfg_list_alloc(struct cfg_ctx *c, const struct cfg_val *v, size_t max,
                     size_t size, const char *what, const char *unit,
                     const char *example, size_t *n);
char *cfg_strndup(struct cfg_ctx *c, const char *s, size_t len);

/* ---- reporting (cfg_util.c) */
void cfg_report(struct cfg_ctx *c, enum cfg_severity sev, struct cfg_pos pos,
                const char *path, const char *fix, const char *fmt, ...)
        CFG_PRINTF(6, 7);
#define cfg_err(c, pos, path, fix, ...)                                        \
	cfg_report((c), CFG_SEV_ERROR, (pos), (path), (fix), __VA_ARGS__)
#define cfg_warn(c, pos, path, fix, ...)                                       \
	cfg_report((c), CFG_SEV_WARNING, (pos), (path), (fix), __VA_ARGS__)

/* ---- walking the document (cfg_util.c) */
struct cfg_pos cfg_node_pos(struct fy_node *n, struct cfg_pos fallback);
/* Absent, or a plain null scalar ("", "~", "null"). */
bool cfg_is_null(const struct cfg_val *v);
bool cfg_is_map(const struct cfg_val *v);
bool cfg_is_seq(const struct cfg_val *v);

/* Look up the keys of the mapping v: out[i] for keys[i] (node NULL when
 * absent). Unknown keys are errors with a "did you mean" when one is close;
 * keys listed in planned (may be NULL) get "not supported yet". Returns
 * false (after reporting) when v is not a mapping. */
bool cfg_map(struct cfg_ctx *c, const struct cfg_val *v,
             const char *const *keys, size_t n_keys, const char *const *planned,
             size_t n_planned, struct cfg_val *out);

/* Sequence items: *iter starts NULL; fills item with path "<v>[idx]". */
bool cfg_seq_next(const struct cfg_val *v, void **iter, size_t idx,
                  struct cfg_val *item);
size_t cfg_seq_len(const struct cfg_val *v);

/* Describe a node for "found ..." messages: "a mapping", "a list". */
const char *cfg_node_kind(struct fy_node *n);

/* Scalar text into buf (NUL-terminated, trimmed). Reports and returns
 * false when v is not a scalar, is null, empty, too long or has NUL. */
bool cfg_text(struct cfg_ctx *c, const struct cfg_val *v, char *buf,
              size_t cap);
/* The same, copied into the arena. NULL after reporting. */
const char *cfg_str(struct cfg_ctx *c, const struct cfg_val *v);

bool cfg_get_u32(struct cfg_ctx *c, const struct cfg_val *v, uint32_t min,
                 uint32_t max, const char *fix, uint32_t *out);
bool cfg_get_bool(struct cfg_ctx *c, const struct cfg_val *v, bool *out);
bool cfg_get_duration(struct cfg_ctx *c, const struct cfg_val *v,
                      uint32_t min_ms, uint32_t max_ms, uint32_t *out);
/* Index in names[], or -1 after reporting (with a suggestion). */
int cfg_get_enum(struct cfg_ctx *c, const struct cfg_val *v,
                 const char *const *names, size_t n);

/* ---- pure text checks (cfg_text.c) */
bool cfg_parse_ip(const char *s, struct cfg_addr *out, char *canon,
                  size_t canon_cap);
/* Returns 0 ok, 1 syntax, 2 prefix out of range, 3 host bits set (then
 * net holds the network address text). */
int cfg_parse_cidr(const char *s, struct cfg_cidr *out, char *net,
                   size_t net_cap);
/* DNS name: LDH labels of 1-63, total <= 253, no trailing dot.
 * wildcard: a leading "*." label is allowed. */
bool cfg_dns_name_ok(const char *s, bool wildcard);
/* "500ms", "5s", "1m", "1h", or digits = seconds. 0 ok; -1 bad (and, when
 * the text is close to a duration, a suggestion in hint, e.g. "5m"). */
int cfg_parse_duration(const char *s, uint32_t *ms, char *hint,
                       size_t hint_cap);
/* "90s", "1m", "500ms" for messages. */
void cfg_fmt_duration(uint32_t ms, char *buf, size_t cap);
/* The candidate closest to word (edit distance, case-insensitive, or a
 * prefix of one), or NULL when none is close. */
const char *cfg_suggest(const char *word, const char *const *cands, size_t n);
/* "a, b, c" into buf. */
void cfg_join(const char *const *names, size_t n, char *buf, size_t cap);

/* ---- sections (cfg_trunk.c) */
void cfg_parse_tls(struct cfg_ctx *c, const struct cfg_val *v, bool listener,
                   struct cfg_tls *tls);
void cfg_parse_trunks(struct cfg_ctx *c, const struct cfg_val *v);

/* ---- the trunk keys for calls (cfg_calls.c) */
enum {
	CK_MEDIA_ENCRYPTION,
	CK_TERMINATION_URI,
	CK_IDENTIFICATION,
	CK_TRUNK_CONTEXT,
	CK_TERMINATION_HEADER,
	CK_OMIT_PLUS,
	CK_HEADERS,
	CK_MAX_CALLS,
	CK_MAX_CALL_RATE,
	CK_MIN_SE,
	CK_DIAL_TIMEOUT,
	CK_X_MS_SBC,
	CK_DIVERSION,
	CK_SRTP_SUITES,
	CK_DTMF_PAYLOAD,
	CK_ICE,
	CK_DISCONNECT_ON_IDLE_RTP,
	CK_COUNT
};
/* Their names, in CK_ order; cfg_trunk.c appends them to a trunk's keys. */
extern const char *const cfg_call_keys[CK_COUNT];

#define CFG_MAX_PASS_HEADERS 64  /* headers.pass names */
#define CFG_MAX_ADD_HEADERS  32  /* headers.add entries */
#define CFG_HDR_NAME_MAX     128 /* a header name, with its NUL */
#define CFG_HDR_VALUE_MAX    256 /* a headers.add value */
#define CFG_MAX_CALLS        1000000
#define CFG_MAX_CALL_RATE    1000000
#define CFG_MAX_IPR_FILTER   32 /* allow_from_ip_ranges.services etc. */
#define CFG_IPR_NAME_MAX     64 /* one of their names, with its NUL */

/* The profile's defaults for those keys (after t->profile is set). */
void cfg_call_defaults(struct cfg_trunk *t);
/* Read them (k[] in CK_ order, from cfg_map) and run their cloud rules;
 * tv is the trunk (missing keys are reported at its key). */
void cfg_parse_calls(struct cfg_ctx *c, const struct cfg_val *tv,
                     const struct cfg_val *k, struct cfg_trunk *t);

/* ---- routes and cdr (cfg_routes.c); after the trunks */
void cfg_parse_routes(struct cfg_ctx *c, const struct cfg_val *v);
void cfg_parse_cdr(struct cfg_ctx *c, const struct cfg_val *v);
/* cfg_media.c: the media section, and the trunks' media keys */
void cfg_parse_media(struct cfg_ctx *c, const struct cfg_val *v);
void cfg_media_trunk_defaults(struct cfg_trunk *t);
void cfg_parse_media_trunk(struct cfg_ctx *c, const struct cfg_val *k,
                           struct cfg_trunk *t);
/* cfg_admin.c: the admin section (the HTTP endpoint) */
void cfg_parse_admin(struct cfg_ctx *c, const struct cfg_val *v);
/* cfg_trace.c: the trace section (pcap files, HEPv3) */
void cfg_parse_trace(struct cfg_ctx *c, const struct cfg_val *v);
/* cfg_log.c: the log section (levels per module) */
void cfg_parse_log(struct cfg_ctx *c, const struct cfg_val *v);
/* cfg_life.c: the shutdown section (drain on SIGTERM) */
void cfg_parse_shutdown(struct cfg_ctx *c, const struct cfg_val *v);

#endif
