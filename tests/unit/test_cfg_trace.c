/* test_cfg_trace.c: the trace section (src/cfg/cfg_trace.c): defaults,
 * every key, sizes with their units and limits, the HEP address forms,
 * the calls patterns, and each error at its key path and line with its
 * fix. */
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
	CHECK(!c->trace.enabled);
	cfg_free(c);

	c = load(HEAD "trace: { pcap: { dir: /var/log/tb/trace/ } }\n");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(c->trace.enabled);
	CHECK(!strcmp(c->trace.pcap_dir, "/var/log/tb/trace"));
	CHECK_EQ_INT(c->trace.max_file_size, 10 * 1024 * 1024);
	CHECK_EQ_INT(c->trace.max_files, 10);
	CHECK_EQ_INT(c->trace.buffer_size, 256 * 1024);
	CHECK(!c->trace.hep);
	CHECK_EQ_INT(c->trace.n_calls, 0);
	CHECK_EQ_INT(c->trace.max_call_ids, 1024);
	CHECK_EQ_INT(errs.n, 0);
	cfg_free(c);
}

static void test_values(void)
{
	struct tb_config *c = load(
	        HEAD "trace:\n"
	             "  pcap: { dir: /t, max_file_size: 512 KB, max_files: 3, "
	             "buffer_size: 1mb }\n"
	             "  hep: { address: \"[::1]:9060\", id: 7, password: s3 }\n"
	             "  calls: [ \"+1425555*\", \"1555....\", \"*\" ]\n"
	             "  max_call_ids: 16\n");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(c->trace.max_file_size, 512 * 1024);
	CHECK_EQ_INT(c->trace.max_files, 3);
	CHECK_EQ_INT(c->trace.buffer_size, 1024 * 1024);
	CHECK(c->trace.hep);
	CHECK_EQ_INT(c->trace.hep_address.family, 6);
	CHECK_EQ_INT(c->trace.hep_port, 9060);
	CHECK(!strcmp(c->trace.hep_text, "[::1]:9060"));
	CHECK_EQ_INT(c->trace.hep_id, 7);
	CHECK(!strcmp(c->trace.hep_password, "s3"));
	CHECK_EQ_INT(c->trace.n_calls, 3);
	if (c->trace.n_calls == 3) {
		CHECK(!strcmp(c->trace.calls[0], "+1425555*"));
		CHECK(!strcmp(c->trace.calls[1], "1555...."));
		CHECK(!strcmp(c->trace.calls[2], "*"));
	}
	CHECK_EQ_INT(c->trace.max_call_ids, 16);
	cfg_free(c);

	/* HEP alone; a bare size is bytes; GB */
	c = load(HEAD "trace:\n"
	              "  hep: { address: 127.0.0.1:9060 }\n"
	              "  pcap: { dir: /t, max_file_size: 4GB, buffer_size: "
	              "131072 }\n");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(!strcmp(c->trace.hep_text, "127.0.0.1:9060"));
	CHECK_EQ_INT(c->trace.hep_id, 2001);
	CHECK(c->trace.hep_password == NULL);
	CHECK_EQ_INT(c->trace.max_file_size, 4ull * 1024 * 1024 * 1024);
	CHECK_EQ_INT(c->trace.buffer_size, 131072);
	cfg_free(c);
}

static void test_errors(void)
{
	struct tb_config *c = load(HEAD "trace: { calls: [ \"+1*\" ] }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace", 6, "neither pcap nor hep",
	          "add pcap: { dir:"));
	cfg_free(c);

	c = load(HEAD "trace:\n"
	              "  pcap: { max_files: 0 }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace.pcap.dir", 7, "missing",
	          "add dir: /var/log/trunkbridge/trace"));
	CHECK(has(CFG_SEV_ERROR, "trace.pcap.max_files", 7,
	          "0; out of range 1-100000", NULL));
	cfg_free(c);

	c = load(HEAD "trace:\n"
	              "  pcap: { dir: /t, max_file_size: 10 parsecs }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace.pcap.max_file_size", 7,
	          "10 parsecs; not a size", "from 64KB to 4GB"));
	cfg_free(c);

	c = load(HEAD "trace:\n"
	              "  pcap: { dir: /t, max_file_size: 5GB, buffer_size: "
	              "1KB }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace.pcap.max_file_size", 7,
	          "5GB; out of range 64KB-4GB", NULL));
	CHECK(has(CFG_SEV_ERROR, "trace.pcap.buffer_size", 7,
	          "1KB; out of range 128KB-16MB", NULL));
	cfg_free(c);

	c = load(HEAD "trace:\n"
	              "  hep: { address: homer.example.com:9060 }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace.hep.address", 7,
	          "homer.example.com is not an IPv4 or IPv6 address",
	          "127.0.0.1:9060"));
	cfg_free(c);

	c = load(HEAD "trace:\n"
	              "  hep: { address: 127.0.0.1 }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace.hep.address", 7, "no port", NULL));
	cfg_free(c);

	c = load(HEAD "trace:\n"
	              "  hep: { address: \"127.0.0.1:70000\", id: -1 }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace.hep.address", 7,
	          "not a number from 1 to 65535", NULL));
	CHECK(has(CFG_SEV_ERROR, "trace.hep.id", 7, "not a whole number",
	          "2001"));
	cfg_free(c);

	c = load(HEAD "trace:\n"
	              "  hep: { id: 1 }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace.hep.address", 7, "missing", NULL));
	cfg_free(c);

	c = load(HEAD "trace:\n"
	              "  pcap: { dir: /t }\n"
	              "  calls: [ \"+1555*\", \"+1-555\", \"1*5\" ]\n"
	              "  max_call_ids: 5\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace.calls[1]", 8,
	          "+1-555; not a number pattern", "\"+1425555*\""));
	CHECK(has(CFG_SEV_ERROR, "trace.calls[2]", 8,
	          "1*5; not a number pattern", NULL));
	CHECK(has(CFG_SEV_ERROR, "trace.max_call_ids", 9,
	          "5; out of range 16-4096", NULL));
	cfg_free(c);

	c = load(HEAD "trace:\n"
	              "  pcap: { dir: /t, size: 1MB }\n");
	CHECK(c == NULL);
	CHECK(has(CFG_SEV_ERROR, "trace.pcap.size", 7, "", NULL));
	cfg_free(c);

	/* a relative folder: a warning */
	c = load(HEAD "trace:\n"
	              "  pcap: { dir: trace }\n");
	CHECK(c != NULL);
	CHECK(has(CFG_SEV_WARNING, "trace.pcap.dir", 7, "relative",
	          "absolute path"));
	cfg_free(c);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_values);
	RUN(test_errors);
	return test_summary();
}
