/* test.h: the tiny harness every unit test uses.
 *
 * A test binary calls RUN(fn) for each test function; CHECK* macros record
 * failures with file:line and go on. main returns test_summary(), non-zero on
 * any failure. Leaks are caught by the ASan/LSan build (make test-asan).
 */
#ifndef TB_TEST_H
#define TB_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                            \
	do {                                                                   \
		test_checks++;                                                 \
		if (!(cond)) {                                                 \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			        __LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                     \
	do {                                                                   \
		long long va_ = (long long)(a), vb_ = (long long)(b);          \
		test_checks++;                                                 \
		if (va_ != vb_) {                                              \
			test_failures++;                                       \
			fprintf(stderr,                                        \
			        "%s:%d: %s == %lld, expected %s == %lld\n",    \
			        __FILE__, __LINE__, #a, va_, #b, vb_);         \
		}                                                              \
	} while (0)

/* Compare a slice with a string literal, byte for byte. */
#define CHECK_PL(pl_, lit)                                                     \
	do {                                                                   \
		struct pl a_ = (pl_);                                          \
		size_t n_ = sizeof(lit) - 1;                                   \
		test_checks++;                                                 \
		if (a_.l != n_ || (n_ && (!a_.p || memcmp(a_.p, lit, n_)))) {  \
			test_failures++;                                       \
			fprintf(stderr,                                        \
			        "%s:%d: %s is '%.*s', expected '%s'\n",        \
			        __FILE__, __LINE__, #pl_, (int)a_.l,           \
			        a_.p ? a_.p : "", lit);                        \
		}                                                              \
	} while (0)

#define RUN(fn)                                                                \
	do {                                                                   \
		int before_ = test_failures;                                   \
		fn();                                                          \
		printf("%s %s\n", test_failures == before_ ? "ok  " : "FAIL",  \
		       #fn);                                                   \
	} while (0)

static inline int test_summary(void)
{
	printf("%d checks, %d failed\n", test_checks, test_failures);
	return test_failures ? 1 : 0;
}

#endif
