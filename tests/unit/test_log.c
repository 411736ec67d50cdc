/* test_log.c: logfmt lines and the level per module (src/base/log.c), and
 * the config's log section that sets them (src/cfg/cfg_log.c). */
#include "base/log.h"
#include "cfg/cfg.h"

#include "tests/cfg_test.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_cfg(void)
{
	struct tb_config *c = load(HEAD);
	CHECK(c != NULL);
	if (c) {
		CHECK_EQ_INT(c->log.level, -1); /* not set */
		for (int i = 0; i < CFG_LOG_MODULES; i++)
			CHECK_EQ_INT(c->log.modules[i], -1);
		cfg_free(c);
	}
	c = load(HEAD "log:\n"
	              "  level: warn\n"
	              "  modules: { sip: debug, media: error, trace: info }\n");
	CHECK(c != NULL);
	if (c) {
		CHECK_EQ_INT(c->log.level, TB_LOG_WARN);
		CHECK_EQ_INT(c->log.modules[TB_MOD_SIP], TB_LOG_DEBUG);
		CHECK_EQ_INT(c->log.modules[TB_MOD_MEDIA], TB_LOG_ERROR);
		CHECK_EQ_INT(c->log.modules[TB_MOD_TRACE], TB_LOG_INFO);
		CHECK_EQ_INT(c->log.modules[TB_MOD_B2B], -1);
		cfg_free(c);
	}
	/* errors at their line, with the key path */
	c = load(HEAD "log:\n"
	              "  level: verbose\n"
	              "  modules: { sipp: debug }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "log.level", 7, "verbose", NULL));
	CHECK(has(CFG_SEV_ERROR, "log.modules.sipp", 8, "sip", NULL));
	cfg_free(c);
	c = load(HEAD "log:\n"
	              "  modules: { b2b: loud }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "log.modules.b2b", 7, "loud", NULL));
	cfg_free(c);
}

/* Everything tb_log writes while fn runs, into out. */
static void capture(void (*fn)(void), char *out, size_t cap)
{
	char path[] = "/tmp/tb-test-log-XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(2);
	size_t n = 0;

	out[0] = '\0';
	CHECK(fd >= 0 && saved >= 0);
	if (fd < 0 || saved < 0)
		return;
	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(path, "r");
	if (f) {
		n = fread(out, 1, cap - 1, f);
		fclose(f);
	}
	out[n] = '\0';
	close(fd);
	unlink(path);
}

static void emit(void)
{
	tb_log_m(TB_MOD_SIP, "debug", "sip_debug", "n=%d", 1);
	tb_log_m(TB_MOD_B2B, "debug", "b2b_debug", "n=%d", 2);
	tb_log_m(TB_MOD_B2B, "info", "b2b_info", "call=%s reason=\"%s\"", "c1",
	         "a b");
	tb_log_m(TB_MOD_MEDIA, "warn", "media_warn", "n=%d", 3);
	tb_log_m(TB_MOD_MEDIA, "error", "media_error", "n=%d", 4);
}

static void test_levels(void)
{
	static char out[4096];
	int per[TB_MOD_COUNT];

	for (int i = 0; i < TB_MOD_COUNT; i++)
		per[i] = -1;
	per[TB_MOD_SIP] = TB_LOG_DEBUG;
	per[TB_MOD_MEDIA] = TB_LOG_ERROR;
	tb_log_set_levels(TB_LOG_INFO, per);
	capture(emit, out, sizeof(out));
	CHECK(strstr(out, "level=debug module=sip event=sip_debug n=1\n"));
	CHECK(!strstr(out, "b2b_debug"));
	CHECK(strstr(out, "level=info module=b2b event=b2b_info call=c1 "
	                  "reason=\"a b\"\n"));
	CHECK(!strstr(out, "media_warn"));
	CHECK(strstr(out, "level=error module=media event=media_error n=4\n"));
	/* every line starts with ts=YYYY-MM-DDTHH:MM:SS.mmmZ */
	int lines = 0;
	for (char *p = out; *p; lines++) {
		CHECK(!strncmp(p, "ts=", 3));
		CHECK(strlen(p) > 28 && p[7] == '-' && p[13] == 'T' &&
		      p[26] == 'Z' && p[27] == ' ');
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	CHECK_EQ_INT(lines, 3);
	/* back to info everywhere */
	tb_log_set_level(TB_LOG_INFO);
	capture(emit, out, sizeof(out));
	CHECK(!strstr(out, "sip_debug"));
	CHECK(strstr(out, "media_warn"));
	CHECK(tb_log_module_of("trace") == TB_MOD_TRACE);
	CHECK(tb_log_module_of("nope") == -1);
	CHECK(tb_log_level_of("warn") == TB_LOG_WARN);
	CHECK(tb_log_level_of("WARN") == -1);
}

int main(void)
{
	RUN(test_cfg);
	RUN(test_levels);
	return test_summary();
}
