/* test_route.c: ordered PCRE2 number routes (design.md "routes:"). */
#include "b2b/route.h"
#include "tests/test.h"

#include <string.h>
#include <time.h>

static const struct route *match(struct route_table *t, const char *from,
                                 const char *called, const char *calling)
{
	return route_match(
	        t, pl_make(from, strlen(from)), pl_make(called, strlen(called)),
	        calling ? pl_make(calling, strlen(calling)) : PL_NULL);
}

static int match_idx(struct route_table *t, const char *from,
                     const char *called, const char *calling)
{
	const struct route *r = match(t, from, called, calling);

	return r ? (int)r->index : -1;
}

/* The routes of design.md. */
static void test_design_routes(void)
{
	const struct route_def defs[] = {
	        {"acs", "genesys", "^\\+1425555\\d{4}$", NULL},
	        {"genesys", "acs", "^\\+\\d+$", NULL},
	};
	char err[128];
	struct route_table *t = route_table_new(defs, 2, err, sizeof err);
	const struct route *r;

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK_EQ_INT(err[0], 0);
	CHECK_EQ_INT(route_table_count(t), 2);
	r = match(t, "acs", "+14255550100", "+12345550100");
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ_INT(r->index, 0);
		CHECK(!strcmp(r->from, "acs"));
		CHECK(!strcmp(r->to, "genesys"));
		CHECK(!strcmp(r->called, "^\\+1425555\\d{4}$"));
		CHECK(r->calling == NULL);
	}
	CHECK(route_table_get(t, 1) != NULL);
	CHECK(route_table_get(t, 2) == NULL);
	CHECK_EQ_INT(match_idx(t, "genesys", "+13175550100", NULL), 1);
	/* Anchored as written: one digit too many or too few. */
	CHECK_EQ_INT(match_idx(t, "acs", "+142555501000", NULL), -1);
	CHECK_EQ_INT(match_idx(t, "acs", "+1425555010", NULL), -1);
	/* Without '+' (a Genesys omit-plus number) the patterns miss. */
	CHECK_EQ_INT(match_idx(t, "acs", "14255550100", NULL), -1);
	CHECK_EQ_INT(match_idx(t, "genesys", "13175550100", NULL), -1);
	/* From-trunk filter: exact, case-sensitive, whole name. */
	CHECK_EQ_INT(match_idx(t, "genesys", "+14255550100", NULL), 1);
	CHECK_EQ_INT(match_idx(t, "ACS", "+14255550100", NULL), -1);
	CHECK_EQ_INT(match_idx(t, "ac", "+14255550100", NULL), -1);
	CHECK_EQ_INT(match_idx(t, "acs2", "+14255550100", NULL), -1);
	CHECK_EQ_INT(match_idx(t, "other", "+14255550100", NULL), -1);
	CHECK(route_match(t, PL_NULL, PL("+14255550100"), PL_NULL) == NULL);
	CHECK(route_match(NULL, PL("acs"), PL("+14255550100"), PL_NULL) ==
	      NULL);
	CHECK_EQ_INT(route_table_limit_hits(t), 0);
	route_table_free(t);
}

static void test_order(void)
{
	const struct route_def defs[] = {
	        {"acs", "genesys-vip", "^\\+1425555000\\d$", NULL},
	        {"acs", "genesys", "^\\+1425", NULL},
	        {"acs", "genesys-all", ".", NULL},
	        {"acs", "never", "^\\+1425", NULL},
	};
	struct route_table *t = route_table_new(defs, 4, NULL, 0);

	CHECK(t != NULL);
	if (!t)
		return;
	/* First match in order wins, even when a later one also matches. */
	CHECK_EQ_INT(match_idx(t, "acs", "+14255550001", NULL), 0);
	CHECK_EQ_INT(match_idx(t, "acs", "+14255550100", NULL), 1);
	CHECK_EQ_INT(match_idx(t, "acs", "+4915123456", NULL), 2);
	CHECK(!strcmp(match(t, "acs", "+4915123456", NULL)->to, "genesys-all"));
	/* Unanchored as written: '.' matches any non-empty number. */
	CHECK_EQ_INT(match_idx(t, "acs", "", NULL), -1);
	route_table_free(t);
}

static void test_calling_filter(void)
{
	const struct route_def defs[] = {
	        {"acs", "genesys-uk", "^\\+1425555\\d{4}$", "^\\+44"},
	        {"acs", "genesys-anon", "^\\+1425555\\d{4}$", "^$"},
	        {"acs", "genesys", "^\\+1425555\\d{4}$", NULL},
	};
	struct route_table *t = route_table_new(defs, 3, NULL, 0);
	char longnum[80];

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK_EQ_INT(match_idx(t, "acs", "+14255550100", "+442071234567"), 0);
	CHECK_EQ_INT(match_idx(t, "acs", "+14255550100", "+12345550100"), 2);
	/* Absent calling number is matched as "". */
	CHECK_EQ_INT(match_idx(t, "acs", "+14255550100", NULL), 1);
	CHECK_EQ_INT(match_idx(t, "acs", "+14255550100", ""), 1);
	/* Calling number over 64 bytes: routes with a calling pattern miss,
	 * others still match. */
	longnum[0] = '+';
	memset(longnum + 1, '4', 64);
	longnum[65] = '\0';
	CHECK_EQ_INT(match_idx(t, "acs", "+14255550100", longnum), 2);
	longnum[64] = '\0'; /* exactly 64 */
	CHECK_EQ_INT(match_idx(t, "acs", "+14255550100", longnum), 0);
	route_table_free(t);
}

static void test_no_match(void)
{
	const struct route_def defs[] = {
	        {"acs", "genesys", "^\\+1425555\\d{4}$", NULL},
	};
	struct route_table *t = route_table_new(defs, 1, NULL, 0);
	struct route_table *empty = route_table_new(NULL, 0, NULL, 0);

	CHECK(t != NULL);
	CHECK(empty != NULL);
	CHECK_EQ_INT(match_idx(t, "acs", "+13175550100", NULL), -1);
	CHECK_EQ_INT(match_idx(t, "acs", "", NULL), -1);
	CHECK(route_match(t, PL("acs"), PL_NULL, PL_NULL) == NULL);
	CHECK_EQ_INT(match_idx(empty, "acs", "+14255550100", NULL), -1);
	CHECK_EQ_INT(route_table_count(empty), 0);
	route_table_free(t);
	route_table_free(empty);
	route_table_free(NULL);
}

static void test_long_number(void)
{
	const struct route_def defs[] = {
	        {"acs", "genesys", "^\\+\\d+$", NULL},
	        {"acs", "any", ".*", NULL},
	};
	struct route_table *t = route_table_new(defs, 2, NULL, 0);
	char num[70];

	CHECK(t != NULL);
	if (!t)
		return;
	num[0] = '+';
	memset(num + 1, '1', 63);
	num[64] = '\0'; /* 64 bytes: still matched */
	CHECK_EQ_INT(match_idx(t, "acs", num, NULL), 0);
	num[64] = '1';
	num[65] = '\0'; /* 65 bytes: never matches, not even "" */
	CHECK_EQ_INT(match_idx(t, "acs", num, NULL), -1);
	route_table_free(t);
}

/* Numbers are bytes: NUL inside, no UTF. */
static void test_bytes(void)
{
	const struct route_def defs[] = {
	        {"acs", "genesys", "^\\+1425$", NULL},
	        {"acs", "dot", "^.$", NULL},
	};
	struct route_table *t = route_table_new(defs, 2, NULL, 0);

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(route_match(t, PL("acs"), pl_make("+1425\0x", 7), PL_NULL) ==
	      NULL);
	/* "\xc3\xa9" is two bytes, so "^.$" does not match it. */
	CHECK(route_match(t, PL("acs"), PL("\xc3\xa9"), PL_NULL) == NULL);
	CHECK(route_match(t, PL("acs"), PL("\xff"), PL_NULL) != NULL);
	route_table_free(t);
}

static void test_bad_pattern(void)
{
	const struct route_def defs[] = {
	        {"acs", "genesys", "^\\+1425555\\d{4}$", NULL},
	        {"acs", "genesys", "^(\\+1425", NULL},
	};
	const struct route_def bad_calling[] = {
	        {"acs", "genesys", "^\\+1", "[0-9"},
	};
	const struct route_def missing[] = {
	        {"acs", NULL, "^\\+1", NULL},
	};
	const struct route_def empty_from[] = {
	        {"", "acs", "^\\+1", NULL},
	};
	const struct route_def utf[] = {
	        {"acs", "genesys", "(*UTF)^\\+1", NULL},
	};
	char err[128];
	char tiny[8];
	char longpat[ROUTE_PATTERN_MAX + 2];
	struct route_def toolong[1] = {{"acs", "genesys", longpat, NULL}};

	CHECK(route_table_new(defs, 2, err, sizeof err) == NULL);
	CHECK(!strcmp(
	        err,
	        "routes[1].called: missing closing parenthesis at offset 8"));
	if (strcmp(err, "routes[1].called: missing closing parenthesis at "
	                "offset 8"))
		fprintf(stderr, "err: %s\n", err);

	CHECK(route_table_new(bad_calling, 1, err, sizeof err) == NULL);
	CHECK(!strcmp(err, "routes[0].calling: missing terminating ] for "
	                   "character class at offset 4"));
	if (strncmp(err, "routes[0].calling: ", 19))
		fprintf(stderr, "err: %s\n", err);

	CHECK(route_table_new(missing, 1, err, sizeof err) == NULL);
	CHECK(!strcmp(err, "routes[0].to: missing"));
	CHECK(route_table_new(empty_from, 1, err, sizeof err) == NULL);
	CHECK(!strcmp(err, "routes[0].from: empty"));
	CHECK(route_table_new(NULL, 3, err, sizeof err) == NULL);
	CHECK(!strcmp(err, "routes: missing"));
	CHECK(route_table_new((const struct route_def[]){{"a", "b", "", NULL}},
	                      1, err, sizeof err) == NULL);
	CHECK(!strcmp(err, "routes[0].called: empty"));

	/* (*UTF) in the pattern is refused: numbers are bytes. */
	CHECK(route_table_new(utf, 1, err, sizeof err) == NULL);
	CHECK(!strncmp(err, "routes[0].called: ", 18));

	memset(longpat, 'a', sizeof longpat - 1);
	longpat[sizeof longpat - 1] = '\0';
	CHECK(route_table_new(toolong, 1, err, sizeof err) == NULL);
	CHECK(!strncmp(err, "routes[0].called: ", 18));

	/* A short error buffer is truncated, still NUL-terminated; none at
	 * all is fine. */
	CHECK(route_table_new(defs, 2, tiny, sizeof tiny) == NULL);
	CHECK(!strcmp(tiny, "routes["));
	CHECK(route_table_new(defs, 2, NULL, 0) == NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* '^(\d+)+$' against 60 digits and a non-digit is exponential without a
 * limit: the match limit stops it, it counts as no match, and the next
 * route is still tried. */
static void test_catastrophic(void)
{
	const struct route_def defs[] = {
	        {"acs", "evil", "^(\\d+)+$", NULL},
	        {"acs", "fallback", "x$", NULL},
	};
	struct route_table *t = route_table_new(defs, 2, NULL, 0);
	char num[62];
	double t0, dt;

	CHECK(t != NULL);
	if (!t)
		return;
	memset(num, '1', 60);
	num[60] = 'x';
	num[61] = '\0';
	t0 = now_s();
	CHECK_EQ_INT(match_idx(t, "acs", num, NULL), 1);
	CHECK_EQ_INT(match_idx(t, "acs", num, NULL), 1);
	dt = now_s() - t0;
	CHECK(dt < 2.0);
	CHECK(route_table_limit_hits(t) >= 1);
	/* The table still works for ordinary numbers afterwards. */
	CHECK_EQ_INT(match_idx(t, "acs", "14255550100", NULL), 0);
	printf("     catastrophic: 2 matches in %.3f s, %llu limit hits\n", dt,
	       (unsigned long long)route_table_limit_hits(t));
	route_table_free(t);
}

/* Capture groups beyond the first pattern's: one match data serves all. */
static void test_captures(void)
{
	const struct route_def defs[] = {
	        {"acs", "a", "^\\+1$", NULL},
	        {"acs", "b", "^\\+(1)(4)(2)(5)(\\d+)$", "^(\\+)(\\d)"},
	};
	struct route_table *t = route_table_new(defs, 2, NULL, 0);

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK_EQ_INT(match_idx(t, "acs", "+14255550100", "+1234"), 1);
	CHECK_EQ_INT(match_idx(t, "acs", "+1", NULL), 0);
	CHECK_EQ_INT(route_table_limit_hits(t), 0);
	route_table_free(t);
}

/* The table copies what it is given. */
static void test_copies(void)
{
	char from[] = "acs", to[] = "genesys", called[] = "^\\+1425";
	struct route_def d = {from, to, called, NULL};
	struct route_table *t = route_table_new(&d, 1, NULL, 0);
	const struct route *r;

	CHECK(t != NULL);
	if (!t)
		return;
	memset(from, 'x', 3);
	memset(to, 'x', 7);
	memset(called, 'x', 7);
	r = match(t, "acs", "+14255550100", NULL);
	CHECK(r != NULL);
	CHECK(r && !strcmp(r->to, "genesys"));
	CHECK(r && !strcmp(r->called, "^\\+1425"));
	route_table_free(t);
}

int main(void)
{
	RUN(test_design_routes);
	RUN(test_order);
	RUN(test_calling_filter);
	RUN(test_no_match);
	RUN(test_long_number);
	RUN(test_bytes);
	RUN(test_bad_pattern);
	RUN(test_catastrophic);
	RUN(test_captures);
	RUN(test_copies);
	return test_summary();
}
