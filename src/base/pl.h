/* pl.h: length-counted slices over bytes that are not NUL-terminated.
 *
 * A `struct pl` never owns its bytes: it points into a buffer that someone
 * else keeps alive (for SIP, the receive buffer a parsed message refers to).
 * Message bytes may hold NUL, so nothing here calls strlen/strchr on them.
 */
#ifndef TB_BASE_PL_H
#define TB_BASE_PL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl {
	const char *p; /* first byte, or NULL when absent */
	size_t l;      /* length in bytes */
};

/* A slice of a string literal. */
#define PL(s)   ((struct pl){(s), sizeof(s) - 1})
#define PL_NULL ((struct pl){NULL, 0})

static inline struct pl pl_make(const char *p, size_t l)
{
	return (struct pl){p, l};
}

static inline bool pl_isset(struct pl a)
{
	return a.p != NULL;
}

/* Exact byte comparison. */
bool pl_eq(struct pl a, struct pl b);
/* ASCII case-insensitive comparison (SIP tokens, header names, schemes). */
bool pl_casecmp_eq(struct pl a, struct pl b);
/* Same, against a NUL-terminated literal from our own code. */
bool pl_casecmp_lit(struct pl a, const char *lit);

/* Remove leading/trailing SP, HT, CR and LF. */
struct pl pl_trim(struct pl a);

/* Parse 1*DIGIT into *out. Fails (returns false) on an empty slice, any
 * non-digit, or a value above max. Leading zeros are accepted. */
bool pl_u32(struct pl a, uint32_t max, uint32_t *out);
bool pl_u64(struct pl a, uint64_t max, uint64_t *out);

/* First index of byte c in a, or -1. */
ptrdiff_t pl_find(struct pl a, char c);

/* Bytes of a from offset off (clamped). */
static inline struct pl pl_from(struct pl a, size_t off)
{
	if (off > a.l)
		off = a.l;
	return (struct pl){a.p ? a.p + off : NULL, a.l - off};
}

/* Slice [start, end) of a buffer given two pointers. */
static inline struct pl pl_span(const char *start, const char *end)
{
	return (struct pl){start, (size_t)(end - start)};
}

static inline char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

#endif
