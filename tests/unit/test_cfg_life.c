/* test_cfg_life.c: the shutdown section (src/cfg/cfg_life.c): defaults,
 * values, the rounding warning, every error at its key path and line with
 * its fix. */
#include "cfg/cfg.h"

#include "tests/cfg_test.h"
#include "tests/test.h"

#include <string.h>

static void test_defaults(void)
{
	struct tb_config *c = load(HEAD);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(c->shutdown.drain_timeout_ms, 30000);
	CHECK_EQ_INT(c->shutdown.bye_wait_ms, 2000);
	CHECK_EQ_INT(c->shutdown.retry_after_s, 30);
	cfg_free(c);
}

static void test_values(void)
{
	struct tb_config *c =
	        load(HEAD "shutdown: { drain_timeout: 0s, bye_wait: 500ms, "
	                  "retry_after: 2m }\n");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(c->shutdown.drain_timeout_ms, 0);
	CHECK_EQ_INT(c->shutdown.bye_wait_ms, 500);
	CHECK_EQ_INT(c->shutdown.retry_after_s, 120);
	CHECK_EQ_INT(errs.n, 0);
	cfg_free(c);

	c = load(HEAD
	         "shutdown:\n  drain_timeout: 1h\n  retry_after: 1500ms\n");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(c->shutdown.drain_timeout_ms, 3600000);
	CHECK_EQ_INT(c->shutdown.retry_after_s, 2); /* rounded up */
	CHECK(has(CFG_SEV_WARNING, "shutdown.retry_after", 8,
	          "1500ms is rounded up", "whole seconds"));
	cfg_free(c);
}

static void test_errors(void)
{
	struct tb_config *c =
	        load(HEAD "shutdown: { drain_timeout: 2h, bye_wait: 5 }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "shutdown.drain_timeout", 6,
	          "out of range 0s-1h", "from 0s to 1h"));

	c = load(HEAD "shutdown: { bye_wait: 31s }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "shutdown.bye_wait", 6, "out of range",
	          "to 30s"));

	c = load(HEAD "shutdown: { retry_after: 0s }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "shutdown.retry_after", 6, "out of range",
	          "from 1s"));

	c = load(HEAD "shutdown: { drain_timeout: soon }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "shutdown.drain_timeout", 6,
	          "\"soon\" is not a duration", "ms, s, m or h"));

	c = load(HEAD "shutdown: { drain_timout: 5s }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "shutdown.drain_timout", 6, "",
	          "did you mean drain_timeout?"));

	c = load(HEAD "shutdown: [30s]\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "shutdown", 6, "expected a mapping", NULL));
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_values);
	RUN(test_errors);
	return test_summary();
}
