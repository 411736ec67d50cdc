/* pl.c: slice helpers. */
#include "base/pl.h"

#include <string.h>

bool pl_eq(struct pl a, struct pl b)
{
	if (a.l != b.l)
		return false;
	return a.l == 0 || memcmp(a.p, b.p, a.l) == 0;
}

bool pl_casecmp_eq(struct pl a, struct pl b)
{
	if (a.l != b.l)
		return false;
	for (size_t i = 0; i < a.l; i++) {
		if (ascii_lower(a.p[i]) != ascii_lower(b.p[i]))
			return false;
	}
	return true;
}

bool pl_casecmp_lit(struct pl a, const char *lit)
{
	return pl_casecmp_eq(a, pl_make(lit, strlen(lit)));
}

static bool is_trim(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct pl pl_trim(struct pl a)
{
	while (a.l && is_trim(a.p[0])) {
		a.p++;
		a.l--;
	}
	while (a.l && is_trim(a.p[a.l - 1]))
		a.l--;
	return a;
}

bool pl_u64(struct pl a, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (a.l == 0)
		return false;
	for (size_t i = 0; i < a.l; i++) {
		unsigned d = (unsigned)(unsigned char)a.p[i] - '0';
		if (d > 9 || d > max)
			return false;
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool pl_u32(struct pl a, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (!pl_u64(a, max, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

ptrdiff_t pl_find(struct pl a, char c)
{
	const char *q = a.l ? memchr(a.p, c, a.l) : NULL;
	return q ? q - a.p : -1;
}
