/* route.h: number routes between trunks (design.md "routes:").
 *
 * An ordered list, first match wins, like ACS voice routes:
 *   - { from: acs, to: genesys, called: '^\+1425555\d{4}$' }
 *   - { from: genesys, to: acs, called: '^\+\d+$' }
 * A route matches a call arriving on trunk `from` when its `called`
 * pattern matches the called number and, if it has one, its `calling`
 * pattern matches the calling number. Patterns are PCRE2 (8-bit, no UTF,
 * no UCP), compiled once when the table is made, and searched as written:
 * write '^' and '$' to anchor (unanchored, '\+1425' matches anywhere).
 *
 * Matching allocates nothing: the table owns one pcre2 match data block,
 * sized for the pattern with the most capture groups, reused by every
 * route_match. So a route table is used from ONE thread at a time (each
 * worker thread builds its own from the config generation, or the caller
 * serialises); route_table_new/free have no other shared state.
 *
 * Bounded cost: every match runs under a match limit and a depth (and
 * heap) limit, so a hostile pattern such as '^(\d+)+$' or a long number
 * cannot hang a worker: hitting a limit counts as "no match" for that
 * route (and is counted, route_table_limit_hits). Numbers longer than
 * ROUTE_NUMBER_MAX bytes never match.
 */
#ifndef TB_B2B_ROUTE_H
#define TB_B2B_ROUTE_H

#include "base/pl.h"

#include <stddef.h>
#include <stdint.h>

#define ROUTE_NUMBER_MAX  64   /* longer called/calling numbers never match */
#define ROUTE_PATTERN_MAX 1024 /* longest pattern accepted */
/* pcre2_set_match_limit: calls of the internal match() per route_match
 * pattern (PCRE2's default is 10,000,000). */
#define ROUTE_MATCH_LIMIT 100000
/* pcre2_set_depth_limit: backtracking depth (a 64-byte subject needs far
 * less). */
#define ROUTE_DEPTH_LIMIT 1000
/* pcre2_set_heap_limit, KiB, for the backtracking frames. */
#define ROUTE_HEAP_LIMIT_KIB 1024

/* A route as configured: NUL-terminated strings from the caller, copied by
 * route_table_new (they need not outlive the call). */
struct route_def {
	const char *from;    /* trunk name the call arrives on */
	const char *to;      /* trunk name the call goes out on */
	const char *called;  /* PCRE2 pattern for the called number */
	const char *calling; /* PCRE2 pattern for the calling number, or NULL */
};

/* A route in a table: the table's copies. */
struct route {
	size_t index; /* position in the defs given to route_table_new */
	const char *from;
	const char *to;
	const char *called;
	const char *calling; /* NULL: any calling number */
};

struct route_table;

/* Compile n routes (n may be 0). On error returns NULL and writes a
 * message into err (errlen bytes, NUL-terminated, may be NULL/0), e.g.
 *   "routes[1].called: missing closing parenthesis at offset 7"
 *   "routes[0].from: missing"
 * Also NULL on out of memory ("out of memory"). */
struct route_table *route_table_new(const struct route_def *defs, size_t n,
                                    char *err, size_t errlen);
void route_table_free(struct route_table *t);

size_t route_table_count(const struct route_table *t);
const struct route *route_table_get(const struct route_table *t, size_t i);

/* The first route, in order, whose from equals from_trunk (byte for byte)
 * and whose patterns match called (and calling, when the route has a
 * calling pattern; an absent calling number is matched as ""). NULL when
 * none does. Allocates nothing; not thread-safe (see above). */
const struct route *route_match(struct route_table *t, struct pl from_trunk,
                                struct pl called, struct pl calling);

/* How many pattern matches stopped at the match/depth/heap limit (or
 * failed with another PCRE2 error) since the table was made. */
uint64_t route_table_limit_hits(const struct route_table *t);

#endif
