/* cidr.c: longest-prefix lookup over sorted prefixes (see cidr.h). */
#include "trunk/cidr.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct cidr_entry {
	uint8_t addr[16]; /* host bits cleared */
	uint8_t prefix;
	uint32_t order; /* insertion order: equal prefixes keep the first */
	int value;
};

struct cidr_fam {
	struct cidr_entry *e;
	size_t n, cap;
	uint8_t lens[129]; /* distinct prefix lengths, longest first */
	size_t nlens;
	size_t start[129]; /* first entry of each length in lens order */
	size_t end[129];
};

struct cidr_set {
	struct cidr_fam f[2]; /* [0] IPv4, [1] IPv6 */
	uint32_t order;
	bool built;
};

struct cidr_set *cidr_set_new(void)
{
	return calloc(1, sizeof(struct cidr_set));
}

void cidr_set_free(struct cidr_set *s)
{
	if (!s)
		return;
	free(s->f[0].e);
	free(s->f[1].e);
	free(s);
}

static void mask(uint8_t *a, size_t bytes, unsigned prefix)
{
	for (size_t i = 0; i < bytes; i++) {
		unsigned bit = (unsigned)i * 8;
		if (prefix >= bit + 8)
			continue;
		a[i] = prefix <= bit
		               ? 0
		               : (uint8_t)(a[i] &
		                           (0xff << (8 - (prefix - bit))));
	}
}

int cidr_set_add(struct cidr_set *s, uint8_t family, const uint8_t *addr,
                 uint8_t prefix, int value)
{
	if (!s || s->built || !addr || value < 0 ||
	    (family != 4 && family != 6) || prefix > (family == 4 ? 32 : 128))
		return -1;
	struct cidr_fam *f = &s->f[family == 6];
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct cidr_entry *e = realloc(f->e, cap * sizeof(*e));
		if (!e)
			return -1;
		f->e = e;
		f->cap = cap;
	}
	struct cidr_entry *e = &f->e[f->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->addr, addr, family == 4 ? 4 : 16);
	mask(e->addr, family == 4 ? 4 : 16, prefix);
	e->prefix = prefix;
	e->order = s->order++;
	e->value = value;
	return 0;
}

/* longest prefix first, then address, then insertion order */
static int cmp(const void *pa, const void *pb)
{
	const struct cidr_entry *a = pa, *b = pb;

	if (a->prefix != b->prefix)
		return a->prefix > b->prefix ? -1 : 1;
	int c = memcmp(a->addr, b->addr, 16);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

int cidr_set_build(struct cidr_set *s)
{
	if (!s)
		return -1;
	for (int k = 0; k < 2; k++) {
		struct cidr_fam *f = &s->f[k];
		if (f->n)
			qsort(f->e, f->n, sizeof(*f->e), cmp);
		f->nlens = 0;
		for (size_t i = 0; i < f->n; i++) {
			if (f->nlens == 0 ||
			    f->lens[f->nlens - 1] != f->e[i].prefix) {
				f->lens[f->nlens] = f->e[i].prefix;
				f->start[f->nlens] = i;
				f->nlens++;
			}
			f->end[f->nlens - 1] = i + 1;
		}
	}
	s->built = true;
	return 0;
}

int cidr_set_lookup(const struct cidr_set *s, uint8_t family,
                    const uint8_t *addr)
{
	uint8_t a[16];

	if (!s || !addr || (family != 4 && family != 6))
		return -1;
	const struct cidr_fam *f = &s->f[family == 6];
	size_t bytes = family == 4 ? 4 : 16;
	for (size_t l = 0; l < f->nlens; l++) {
		memset(a, 0, sizeof(a));
		memcpy(a, addr, bytes);
		mask(a, bytes, f->lens[l]);
		/* the first entry with this address (lowest order) */
		size_t lo = f->start[l], hi = f->end[l];
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (memcmp(f->e[mid].addr, a, 16) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < f->end[l] && memcmp(f->e[lo].addr, a, 16) == 0)
			return f->e[lo].value;
	}
	return -1;
}

int cidr_set_lookup_sa(const struct cidr_set *s, const struct sockaddr *sa)
{
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in s4; /* copied: sa may be less aligned */
		memcpy(&s4, sa, sizeof(s4));
		return cidr_set_lookup(s, 4, (const uint8_t *)&s4.sin_addr);
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 s6;
		memcpy(&s6, sa, sizeof(s6));
		if (IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr))
			return cidr_set_lookup(s, 4, &s6.sin6_addr.s6_addr[12]);
		return cidr_set_lookup(s, 6, s6.sin6_addr.s6_addr);
	}
	return -1;
}

size_t cidr_set_count(const struct cidr_set *s)
{
	return s ? s->f[0].n + s->f[1].n : 0;
}

bool cidr_holds_sa(uint8_t family, const uint8_t *addr, uint8_t prefix,
                   const struct sockaddr *sa)
{
	uint8_t a[16];
	uint8_t fam;

	if (!sa || !addr)
		return false;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in s4; /* copied: sa may be less aligned */
		memcpy(&s4, sa, sizeof(s4));
		memcpy(a, &s4.sin_addr, 4);
		fam = 4;
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 s6;
		memcpy(&s6, sa, sizeof(s6));
		if (IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr)) {
			memcpy(a, &s6.sin6_addr.s6_addr[12], 4);
			fam = 4;
		} else {
			memcpy(a, s6.sin6_addr.s6_addr, 16);
			fam = 6;
		}
	} else {
		return false;
	}
	if (fam != family || prefix > (fam == 4 ? 32 : 128))
		return false;
	size_t whole = prefix / 8;
	if (memcmp(a, addr, whole) != 0)
		return false;
	unsigned rest = prefix % 8;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (a[whole] & mask) == (addr[whole] & mask);
}
