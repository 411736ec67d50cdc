/* ipranges.h: a Genesys Cloud ip-ranges file -> the prefixes a trunk's
 * allow-list takes from it (the guide's Edge Case 1: "use ip-ranges.json
 * as the source of truth"; interop 2.5, F9).
 *
 * The file is the answer of GET /api/v2/ipranges, saved as JSON:
 *
 *   {"entities":[{"cidr":"203.0.113.0/24","service":"...",
 *                 "region":"us-east-1","direction":"inbound"}, ...]}
 *
 * (a bare top-level array of entities is taken too). It is parsed with
 * jansson. An entity counts when its service, region and direction are in
 * the trunk's lists (struct cfg_ip_ranges; an empty list takes any value,
 * compared without regard to ASCII case); its cidr is an IPv4 or IPv6
 * prefix, a bare address being a /32 or /128. An entity whose cidr is not
 * a prefix, or has bits set after the prefix, is skipped and counted, and
 * the first such is described. Which service strings mean "SIP signalling"
 * is not documented (interop 2.5 [unverified]), so the services seen that
 * the filter left out are reported for the operator to read.
 *
 * Errors (the list cannot be used; the caller keeps its last good one):
 * the file cannot be read, is larger than limits.max_bytes, is not JSON
 * (jansson's line and text: "ip-ranges.json: line 3: '[' or '{' expected
 * near 'x'"), has no entities list, more than limits.max_entries entities,
 * none at all, or none kept ("no entity kept: services filter [\"x\"]
 * matched none of 12 entries (services seen: a, b)"). Each is one line in
 * ipr_result.reason, starting with the path as given.
 *
 * Ownership: ipr_load fills a caller-owned struct ipr_result; its cidrs
 * array is malloc'd and belongs to the caller (ipr_result_free, or take
 * it and set the pointer to NULL). No globals; no I/O but reading the
 * file.
 */
#ifndef TB_TRUNK_IPRANGES_H
#define TB_TRUNK_IPRANGES_H

#include "cfg/cfg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults of struct ipr_limits. */
#define IPR_MAX_BYTES   (4u * 1024u * 1024u) /* 4 MiB */
#define IPR_MAX_ENTRIES 100000u

struct ipr_limits {
	size_t max_bytes;   /* the file's size; 0: IPR_MAX_BYTES */
	size_t max_entries; /* entities in it; 0: IPR_MAX_ENTRIES */
};

/* What identifies one version of the file (stat): a change in any of
 * these makes it worth reading again. */
struct ipr_stamp {
	bool ok; /* false: the file could not be stat'ed */
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns;
};

#define IPR_REASON_MAX 384
#define IPR_NAMES_MAX  256

struct ipr_result {
	struct cfg_cidr *cidrs; /* kept prefixes, in file order (malloc) */
	size_t n;               /* = kept */
	size_t total;           /* entities in the file */
	size_t filtered;        /* left out by services/regions/directions */
	size_t bad_entry;       /* not an object, or cidr not a string */
	size_t bad_cidr;        /* not a prefix, or length out of range */
	size_t host_bits;       /* bits set after the prefix */
	/* The first skipped entity, e.g. "entities[3]: 10.0.0.1/24: bits
	 * set after the prefix (did you mean 10.0.0.0/24?)"; "" when none. */
	char skip_reason[IPR_REASON_MAX];
	/* Distinct services the services filter left out, ", "-joined
	 * (at most 16 names, each cut at 63 bytes); "" when none or when the
	 * filter takes any service. */
	char other_services[IPR_NAMES_MAX];
	struct ipr_stamp stamp;      /* of the file that was read */
	char reason[IPR_REASON_MAX]; /* why it failed; "" on success */
};

/* Skipped entities, for logs. */
static inline size_t ipr_skipped(const struct ipr_result *r)
{
	return r->bad_entry + r->bad_cidr + r->host_bits;
}

/* Read and filter the file at path. lim may be NULL (the defaults).
 * Returns 0 (r->cidrs holds r->n >= 1 prefixes), or -1 with r->reason
 * set (r->cidrs NULL). r is overwritten either way. */
int ipr_load(const char *path, const struct cfg_ip_ranges *filter,
             const struct ipr_limits *lim, struct ipr_result *r);

/* The same from bytes in memory; name is what the reason calls the file
 * (no stamp). */
int ipr_load_buffer(const char *name, const char *buf, size_t len,
                    const struct cfg_ip_ranges *filter,
                    const struct ipr_limits *lim, struct ipr_result *r);

void ipr_result_free(struct ipr_result *r);

/* stat(path) into s (s->ok false when it fails). */
void ipr_stamp_of(const char *path, struct ipr_stamp *s);
/* Same version of the file? (two failed stats are the same) */
bool ipr_stamp_eq(const struct ipr_stamp *a, const struct ipr_stamp *b);

#endif
