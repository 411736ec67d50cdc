/* route.c: ordered PCRE2 number routes. See route.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "b2b/route.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct route_re {
	pcre2_code *called;
	pcre2_code *calling; /* NULL: any */
};

/* Owned by one thread at a time (route.h): route_match writes md and
 * limit_hits. */
struct route_table {
	size_t n;
	struct route *routes;
	struct route_re *re;
	char *pool;                /* the copied strings */
	pcre2_match_data *md;      /* shared by every match */
	pcre2_match_context *mctx; /* the limits */
	uint64_t limit_hits;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void route_table_free(struct route_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->re && i < t->n; i++) {
		pcre2_code_free(t->re[i].called);
		pcre2_code_free(t->re[i].calling);
	}
	pcre2_match_data_free(t->md);
	pcre2_match_context_free(t->mctx);
	free(t->re);
	free(t->routes);
	free(t->pool);
	free(t);
}

static char *pool_copy(char **pp, const char *s)
{
	char *d = *pp;
	size_t l = strlen(s) + 1;

	memcpy(d, s, l);
	*pp += l;
	return d;
}

static int compile(pcre2_code **out, const char *pat, size_t idx,
                   const char *field, pcre2_compile_context *cctx, char *err,
                   size_t errlen)
{
	int ec;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];

	/* No PCRE2_UTF and never (*UTF)/(*UCP) from the pattern: numbers are
	 * bytes. Not PCRE2_ANCHORED: anchored as written. */
	*out = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	                     PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &ec, &off,
	                     cctx);
	if (*out)
		return 0;
	if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
		snprintf((char *)msg, sizeof msg, "error %d", ec);
	set_err(err, errlen, "routes[%zu].%s: %s at offset %zu", idx, field,
	        (const char *)msg, (size_t)off);
	return -1;
}

static int check_def(const struct route_def *d, size_t i, char *err,
                     size_t errlen)
{
	const char *names[] = {"from", "to", "called"};
	const char *vals[] = {d->from, d->to, d->called};

	for (size_t k = 0; k < 3; k++) {
		if (!vals[k]) {
			set_err(err, errlen, "routes[%zu].%s: missing", i,
			        names[k]);
			return -1;
		}
		if (!vals[k][0]) {
			set_err(err, errlen, "routes[%zu].%s: empty", i,
			        names[k]);
			return -1;
		}
	}
	return 0;
}

static uint32_t capture_count(const pcre2_code *c)
{
	uint32_t n = 0;

	if (c)
		pcre2_pattern_info(c, PCRE2_INFO_CAPTURECOUNT, &n);
	return n;
}

struct route_table *route_table_new(const struct route_def *defs, size_t n,
                                    char *err, size_t errlen)
{
	struct route_table *t = NULL;
	pcre2_compile_context *cctx = NULL;
	const pcre2_code *widest = NULL;
	uint32_t widest_n = 0;
	size_t pool_len = 0;
	char *pp;

	set_err(err, errlen, "%s", "");
	if (n && !defs) {
		set_err(err, errlen, "routes: missing");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (check_def(&defs[i], i, err, errlen))
			return NULL;
		pool_len += strlen(defs[i].from) + strlen(defs[i].to) +
		            strlen(defs[i].called) + 3;
		if (defs[i].calling)
			pool_len += strlen(defs[i].calling) + 1;
	}

	t = calloc(1, sizeof *t);
	if (!t)
		goto oom;
	t->n = n;
	t->routes = calloc(n ? n : 1, sizeof *t->routes);
	t->re = calloc(n ? n : 1, sizeof *t->re);
	t->pool = malloc(pool_len ? pool_len : 1);
	cctx = pcre2_compile_context_create(NULL);
	t->mctx = pcre2_match_context_create(NULL);
	if (!t->routes || !t->re || !t->pool || !cctx || !t->mctx)
		goto oom;
	pcre2_set_max_pattern_length(cctx, ROUTE_PATTERN_MAX);
	pcre2_set_match_limit(t->mctx, ROUTE_MATCH_LIMIT);
	pcre2_set_depth_limit(t->mctx, ROUTE_DEPTH_LIMIT);
	pcre2_set_heap_limit(t->mctx, ROUTE_HEAP_LIMIT_KIB);

	pp = t->pool;
	for (size_t i = 0; i < n; i++) {
		const struct route_def *d = &defs[i];
		struct route *r = &t->routes[i];

		r->index = i;
		r->from = pool_copy(&pp, d->from);
		r->to = pool_copy(&pp, d->to);
		r->called = pool_copy(&pp, d->called);
		r->calling = d->calling ? pool_copy(&pp, d->calling) : NULL;
		if (compile(&t->re[i].called, r->called, i, "called", cctx, err,
		            errlen))
			goto fail;
		if (r->calling && compile(&t->re[i].calling, r->calling, i,
		                          "calling", cctx, err, errlen))
			goto fail;
		for (int k = 0; k < 2; k++) {
			const pcre2_code *c =
			        k ? t->re[i].calling : t->re[i].called;

			if (c && (!widest || capture_count(c) > widest_n)) {
				widest = c;
				widest_n = capture_count(c);
			}
		}
	}
	/* One match data for the table, big enough for every pattern's
	 * captures, so a match never reports "ovector too small" and
	 * route_match allocates nothing. */
	t->md = widest ? pcre2_match_data_create_from_pattern(widest, NULL)
	               : pcre2_match_data_create(1, NULL);
	if (!t->md)
		goto oom;
	pcre2_compile_context_free(cctx);
	return t;

oom:
	set_err(err, errlen, "out of memory");
fail:
	pcre2_compile_context_free(cctx);
	route_table_free(t);
	return NULL;
}

size_t route_table_count(const struct route_table *t)
{
	return t ? t->n : 0;
}

const struct route *route_table_get(const struct route_table *t, size_t i)
{
	return t && i < t->n ? &t->routes[i] : NULL;
}

uint64_t route_table_limit_hits(const struct route_table *t)
{
	return t ? t->limit_hits : 0;
}

/* True on a match; a limit or other error is no match, counted. */
static bool re_match(struct route_table *t, const pcre2_code *c, struct pl s)
{
	int rc;

	rc = pcre2_match(c, (PCRE2_SPTR)(s.p ? s.p : ""), s.l, 0, 0, t->md,
	                 t->mctx);
	if (rc >= 0)
		return true;
	if (rc != PCRE2_ERROR_NOMATCH)
		t->limit_hits++;
	return false;
}

const struct route *route_match(struct route_table *t, struct pl from_trunk,
                                struct pl called, struct pl calling)
{
	if (!t || !from_trunk.p || called.l > ROUTE_NUMBER_MAX)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct route *r = &t->routes[i];

		if (strlen(r->from) != from_trunk.l ||
		    memcmp(r->from, from_trunk.p, from_trunk.l))
			continue;
		if (!re_match(t, t->re[i].called, called))
			continue;
		if (t->re[i].calling &&
		    (calling.l > ROUTE_NUMBER_MAX ||
		     !re_match(t, t->re[i].calling, calling)))
			continue;
		return r;
	}
	return NULL;
}
