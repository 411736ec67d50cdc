/* test_ipranges.c: Genesys ip-ranges files (src/trunk/ipranges.c) and
 * their place in the B2BUA's allow set (src/b2b/b2b.c): a good file and
 * its filters, IPv6, entries skipped and why, garbage, empty, truncated at
 * every length, wrong types, over the limits; then a trunk whose list
 * comes from a file: a source inside passes, one outside is refused, a
 * garbage file keeps the last good list, a changed file is read again on
 * reload and by the check timer, and refused sources are counted per
 * source in a bounded table. Leaks are caught by make test-asan. */
#include "b2b/b2b_int.h"
#include "trunk/ipranges.h"

#include "tests/test.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct ipr_result res;

static int load_text(const char *json, const struct cfg_ip_ranges *f,
                     const struct ipr_limits *lim)
{
	ipr_result_free(&res);
	return ipr_load_buffer("ip-ranges.json", json, strlen(json), f, lim,
	                       &res);
}

static void check_reason(const char *want, int line_no)
{
	test_checks++;
	if (strcmp(res.reason, want)) {
		test_failures++;
		fprintf(stderr, "%s:%d:\n  got:  %s\n  want: %s\n", __FILE__,
		        line_no, res.reason, want);
	}
}
#define CHECK_REASON(want) check_reason(want, __LINE__)

static bool has_cidr(const char *text)
{
	char ip[64];
	unsigned prefix;
	struct cfg_cidr c;
	const char *slash = strchr(text, '/');

	memset(&c, 0, sizeof(c));
	snprintf(ip, sizeof(ip), "%.*s", (int)(slash - text), text);
	prefix = (unsigned)atoi(slash + 1);
	c.family = strchr(ip, ':') ? 6 : 4;
	inet_pton(c.family == 4 ? AF_INET : AF_INET6, ip, c.addr);
	for (size_t i = 0; i < res.n; i++)
		if (res.cidrs[i].family == c.family &&
		    res.cidrs[i].prefix == prefix &&
		    !memcmp(res.cidrs[i].addr, c.addr, 16))
			return true;
	return false;
}

static const char good[] =
        "{\"entities\":[\n"
        " {\"cidr\":\"203.0.113.0/24\",\"service\":\"sip-signaling\","
        "\"region\":\"us-east-1\",\"direction\":\"outbound\"},\n"
        " {\"cidr\":\"198.51.100.16/28\",\"service\":\"sip-signaling\","
        "\"region\":\"eu-west-1\",\"direction\":\"inbound\"},\n"
        " {\"cidr\":\"192.0.2.0/25\",\"service\":\"api\","
        "\"region\":\"us-east-1\",\"direction\":\"outbound\"},\n"
        " {\"cidr\":\"2001:db8:10::/48\",\"service\":\"SIP-Signaling\","
        "\"region\":\"us-east-1\",\"direction\":\"outbound\"},\n"
        " {\"cidr\":\"2001:db8::7\",\"service\":\"sip-signaling\","
        "\"region\":\"us-east-1\",\"direction\":\"outbound\"},\n"
        " {\"cidr\":\"10.9.9.9\",\"service\":\"media\","
        "\"region\":\"us-east-1\",\"direction\":\"outbound\"}\n"
        "]}\n";

static const char *const sip_svc[] = {"sip-signaling"};
static const char *const us_east[] = {"us-east-1"};
static const char *const outbound[] = {"outbound"};

/* No filter takes every entity; the counts add up. */
static void test_good(void)
{
	CHECK_EQ_INT(load_text(good, NULL, NULL), 0);
	CHECK_EQ_INT(res.total, 6);
	CHECK_EQ_INT(res.n, 6);
	CHECK_EQ_INT(res.filtered, 0);
	CHECK_EQ_INT(ipr_skipped(&res), 0);
	CHECK(res.reason[0] == '\0');
	CHECK(res.other_services[0] == '\0'); /* no filter: none left out */
	CHECK(has_cidr("203.0.113.0/24"));
	CHECK(has_cidr("2001:db8:10::/48"));
	CHECK(has_cidr("2001:db8::7/128")); /* a bare address */
	CHECK(has_cidr("10.9.9.9/32"));
	CHECK(!res.stamp.ok); /* from memory: no file */

	/* a bare list of entities is taken too */
	CHECK_EQ_INT(load_text("[{\"cidr\":\"0.0.0.0/0\"},{\"cidr\":\"::/0\"}]",
	                       NULL, NULL),
	             0);
	CHECK_EQ_INT(res.n, 2);
	CHECK(has_cidr("0.0.0.0/0"));
	CHECK(has_cidr("::/0"));
	/* other keys and fields are ignored */
	CHECK_EQ_INT(load_text("{\"pageSize\":25,\"entities\":[{\"cidr\":"
	                       "\"192.0.2.1/32\",\"x\":[1,{}]}]}",
	                       NULL, NULL),
	             0);
	CHECK_EQ_INT(res.n, 1);
}

/* services, regions, directions: each list narrows, any ASCII case. */
static void test_filters(void)
{
	struct cfg_ip_ranges f;

	memset(&f, 0, sizeof(f));
	f.services = sip_svc;
	f.n_services = 1;
	CHECK_EQ_INT(load_text(good, &f, NULL), 0);
	CHECK_EQ_INT(res.n, 4); /* SIP-Signaling matches too */
	CHECK_EQ_INT(res.filtered, 2);
	CHECK(has_cidr("198.51.100.16/28"));
	CHECK(!has_cidr("192.0.2.0/25"));
	CHECK(!strcmp(res.other_services, "api, media"));

	f.regions = us_east;
	f.n_regions = 1;
	f.directions = outbound;
	f.n_directions = 1;
	CHECK_EQ_INT(load_text(good, &f, NULL), 0);
	CHECK_EQ_INT(res.n, 3);
	CHECK(has_cidr("203.0.113.0/24"));
	CHECK(has_cidr("2001:db8:10::/48"));
	CHECK(has_cidr("2001:db8::7/128"));
	CHECK(!has_cidr("198.51.100.16/28"));

	/* an entity without the field does not match a list */
	CHECK_EQ_INT(load_text("[{\"cidr\":\"192.0.2.0/24\"},{\"cidr\":"
	                       "\"192.0.2.128/25\",\"service\":7},"
	                       "{\"cidr\":\"192.0.3.0/24\",\"service\":"
	                       "\"sip-signaling\",\"region\":\"us-east-1\","
	                       "\"direction\":\"OUTBOUND\"}]",
	                       &f, NULL),
	             0);
	CHECK_EQ_INT(res.n, 1);
	CHECK_EQ_INT(res.filtered, 2);
	CHECK(has_cidr("192.0.3.0/24"));
	CHECK(!strcmp(res.other_services, "(none)"));
}

/* Entities that cannot be used are skipped, counted, the first described;
 * the rest is kept. */
static void test_skipped(void)
{
	CHECK_EQ_INT(load_text("{\"entities\":[\"x\",{\"service\":\"a\"},"
	                       "{\"cidr\":5},{\"cidr\":\"203.0.113.1/24\"},"
	                       "{\"cidr\":\"2001:db8::1/32\"},"
	                       "{\"cidr\":\"10.0.0.0/33\"},{\"cidr\":"
	                       "\"::/129\"},{\"cidr\":\"10.0.0.0/\"},"
	                       "{\"cidr\":\"10.0.0/8\"},{\"cidr\":\"host."
	                       "example\"},{\"cidr\":\"10.0.0.0/8x\"},"
	                       "{\"cidr\":\"fe80::1%eth0/64\"},"
	                       "{\"cidr\":\"10.1.0.0/16\"}]}",
	                       NULL, NULL),
	             0);
	CHECK_EQ_INT(res.total, 13);
	CHECK_EQ_INT(res.n, 1);
	CHECK(has_cidr("10.1.0.0/16"));
	CHECK_EQ_INT(res.bad_entry, 3);
	CHECK_EQ_INT(res.host_bits, 2);
	CHECK_EQ_INT(res.bad_cidr, 7);
	CHECK_EQ_INT(ipr_skipped(&res), 12);
	CHECK(!strcmp(res.skip_reason, "entities[0]: not an object"));

	CHECK_EQ_INT(load_text("[{\"cidr\":\"203.0.113.1/24\"},{\"cidr\":"
	                       "\"203.0.114.0/24\"}]",
	                       NULL, NULL),
	             0);
	CHECK(!strcmp(res.skip_reason,
	              "entities[0]: 203.0.113.1/24: bits set after the "
	              "prefix (did you mean 203.0.113.0/24?)"));
	CHECK_EQ_INT(load_text("[{\"cidr\":\"2001:db8::1/32\"},{\"cidr\":"
	                       "\"203.0.114.0/24\"}]",
	                       NULL, NULL),
	             0);
	CHECK(!strcmp(res.skip_reason,
	              "entities[0]: 2001:db8::1/32: bits set after the "
	              "prefix (did you mean 2001:db8::/32?)"));
	CHECK_EQ_INT(load_text("[{\"cidr\":\"10.0.0.0/33\"},{\"cidr\":"
	                       "\"203.0.114.0/24\"}]",
	                       NULL, NULL),
	             0);
	CHECK(!strcmp(res.skip_reason,
	              "entities[0]: 10.0.0.0/33: prefix length out of range "
	              "(0-32 for IPv4, 0-128 for IPv6)"));
	/* /32 and /128 with every bit in use are fine */
	CHECK_EQ_INT(load_text("[{\"cidr\":\"255.255.255.255/32\"},{\"cidr\":"
	                       "\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/"
	                       "128\"}]",
	                       NULL, NULL),
	             0);
	CHECK_EQ_INT(res.n, 2);
	CHECK_EQ_INT(ipr_skipped(&res), 0);
}

/* Files that cannot be used: one line that says why, nothing kept. */
static void test_errors(void)
{
	CHECK_EQ_INT(load_text("garbage", NULL, NULL), -1);
	CHECK_REASON("ip-ranges.json: line 1: '[' or '{' expected near "
	             "'garbage'");
	CHECK(res.cidrs == NULL && res.n == 0);
	CHECK_EQ_INT(load_text("{\"entities\":[\n{\"cidr\":\"192.0.2.0/24\"},\n"
	                       "{\"cidr\" \"x\"}]}",
	                       NULL, NULL),
	             -1);
	CHECK_REASON("ip-ranges.json: line 3: ':' expected near '\"x\"'");
	CHECK_EQ_INT(load_text("", NULL, NULL), -1);
	CHECK_REASON("ip-ranges.json: empty file; expected the JSON of GET "
	             "/api/v2/ipranges");
	CHECK_EQ_INT(load_text(" \r\n\t\n", NULL, NULL), -1);
	CHECK(strstr(res.reason, "empty file") != NULL);
	CHECK_EQ_INT(load_text("{\"entities\":[]}", NULL, NULL), -1);
	CHECK_REASON("ip-ranges.json: no entities (empty list)");
	CHECK_EQ_INT(load_text("[]", NULL, NULL), -1);
	CHECK_REASON("ip-ranges.json: no entities (empty list)");
	CHECK_EQ_INT(load_text("{\"items\":[]}", NULL, NULL), -1);
	CHECK_REASON("ip-ranges.json: no \"entities\" list (GET "
	             "/api/v2/ipranges answers {\"entities\":[...]})");
	CHECK_EQ_INT(load_text("{\"entities\":\"203.0.113.0/24\"}", NULL, NULL),
	             -1);
	CHECK_REASON("ip-ranges.json: \"entities\" is not a list");
	CHECK_EQ_INT(load_text("{\"entities\":{\"cidr\":\"1.2.3.0/24\"}}", NULL,
	                       NULL),
	             -1);
	CHECK_REASON("ip-ranges.json: \"entities\" is not a list");
	CHECK_EQ_INT(load_text("\"203.0.113.0/24\"", NULL, NULL), -1);
	CHECK(strstr(res.reason, "'[' or '{' expected") != NULL);
	CHECK_EQ_INT(load_text("{\"entities\":[1,2,\"x\",null]}", NULL, NULL),
	             -1);
	CHECK_REASON("ip-ranges.json: no entity kept: none of the 4 entries is "
	             "an object with a cidr string");
	CHECK_EQ_INT(load_text("[{\"cidr\":\"10.0.0.1/8\"}]", NULL, NULL), -1);
	CHECK_REASON("ip-ranges.json: no entity kept: the entries that match "
	             "the filters have no usable cidr (first: entities[0]: "
	             "10.0.0.1/8: bits set after the prefix (did you mean "
	             "10.0.0.0/8?))");
	/* a NUL inside a string: jansson refuses the file */
	static const char nul[] = "[{\"cidr\":\"10.0.0.0\\u0000/8\"}]";
	CHECK_EQ_INT(load_text(nul, NULL, NULL), -1);
	CHECK(strstr(res.reason, "ip-ranges.json: line 1: \\u0000") ==
	      res.reason);
}

/* Nothing kept because of a filter: the filter and what the file has. */
static void test_none_kept(void)
{
	static const char *const x[] = {"x", "y"};
	static const char *const eu[] = {"eu-central-1"};
	static const char *const api[] = {"api"};
	struct cfg_ip_ranges f;

	memset(&f, 0, sizeof(f));
	f.services = x;
	f.n_services = 2;
	CHECK_EQ_INT(load_text(good, &f, NULL), -1);
	CHECK_REASON("ip-ranges.json: no entity kept: services filter [\"x\", "
	             "\"y\"] matched none of 6 entries (services seen: "
	             "sip-signaling, api, SIP-Signaling, media)");
	CHECK(!strcmp(res.other_services,
	              "sip-signaling, api, SIP-Signaling, media"));
	memset(&f, 0, sizeof(f));
	f.regions = eu;
	f.n_regions = 1;
	CHECK_EQ_INT(load_text(good, &f, NULL), -1);
	CHECK_REASON("ip-ranges.json: no entity kept: regions filter "
	             "[\"eu-central-1\"] matched none of 6 entries (regions "
	             "seen: us-east-1, eu-west-1)");
	/* each list matches something, together nothing */
	f.regions = NULL;
	f.n_regions = 0;
	f.services = api;
	f.n_services = 1;
	f.directions = (const char *const[]){"inbound"};
	f.n_directions = 1;
	CHECK_EQ_INT(load_text(good, &f, NULL), -1);
	CHECK_REASON("ip-ranges.json: no entity kept: no entry matches the "
	             "services, regions and directions filters together (6 "
	             "entries)");
}

/* Every prefix of a good file but the whole is refused, and nothing
 * reads out of bounds (the ASan build). */
static void test_truncated(void)
{
	size_t len = strlen(good);
	size_t ok = 0;
	for (size_t n = 0; n < len; n++) {
		char *copy = malloc(n ? n : 1);
		if (!copy)
			return;
		memcpy(copy, good, n);
		ipr_result_free(&res);
		if (ipr_load_buffer("t.json", copy, n, NULL, NULL, &res) == 0)
			ok++;
		else if (!res.reason[0])
			CHECK(!"no reason");
		free(copy);
	}
	/* only the text without its final newline parses */
	CHECK_EQ_INT(ok, 1);
	CHECK_EQ_INT(load_text("{\"entities\":[{\"cidr\":\"192.0.2.0/24\"",
	                       NULL, NULL),
	             -1);
	CHECK(strstr(res.reason, "ip-ranges.json: line 1: ") == res.reason);
}

/* Over the limits: an error, not a partial list. */
static void test_limits(void)
{
	struct ipr_limits lim = {0, 5};

	CHECK_EQ_INT(load_text(good, NULL, &lim), -1);
	CHECK_REASON("ip-ranges.json: 6 entities; at most 5");
	lim.max_entries = 6;
	CHECK_EQ_INT(load_text(good, NULL, &lim), 0);
	lim.max_bytes = 100;
	CHECK_EQ_INT(load_text(good, NULL, &lim), -1);
	char want[80];
	snprintf(want, sizeof(want), "ip-ranges.json: %zu bytes; at most 100",
	         strlen(good));
	CHECK_REASON(want);
	/* the defaults */
	CHECK_EQ_INT(IPR_MAX_BYTES, 4 * 1024 * 1024);
	CHECK_EQ_INT(IPR_MAX_ENTRIES, 100000);
	/* 100,001 entities are one too many */
	size_t n = IPR_MAX_ENTRIES + 1, cap = n * 4 + 16, k = 0;
	char *big = malloc(cap);
	if (!big)
		return;
	big[k++] = '[';
	for (size_t i = 0; i < n; i++) {
		memcpy(big + k, i ? ",{}" : "{}", i ? 3 : 2);
		k += i ? 3 : 2;
	}
	big[k++] = ']';
	ipr_result_free(&res);
	CHECK_EQ_INT(ipr_load_buffer("big.json", big, k, NULL, NULL, &res), -1);
	CHECK_REASON("big.json: 100001 entities; at most 100000");
	free(big);
}

/* ------------------------------------------------------------- files */

static char dir[64];

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
	/* a new file renamed over the old one, as a download script does;
	 * the inode changes even within the same clock tick */
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	CHECK_EQ_INT(rename(tmp, path), 0);
}

static void test_file(void)
{
	char p[160];
	struct ipr_stamp s1, s2;

	path_of(p, sizeof(p), "missing.json");
	ipr_result_free(&res);
	CHECK_EQ_INT(ipr_load(p, NULL, NULL, &res), -1);
	char want[400];
	snprintf(want, sizeof(want),
	         "%s: cannot open: No such file or directory", p);
	CHECK_REASON(want);
	CHECK(!res.stamp.ok);
	ipr_stamp_of(p, &s1);
	CHECK(!s1.ok);
	CHECK(ipr_stamp_eq(&s1, &res.stamp));
	ipr_result_free(&res);
	CHECK_EQ_INT(ipr_load(dir, NULL, NULL, &res), -1);
	CHECK(strstr(res.reason, "not a regular file") != NULL);

	path_of(p, sizeof(p), "ipr.json");
	write_file(p, good);
	ipr_result_free(&res);
	CHECK_EQ_INT(ipr_load(p, NULL, NULL, &res), 0);
	CHECK_EQ_INT(res.n, 6);
	CHECK(res.stamp.ok);
	ipr_stamp_of(p, &s1);
	CHECK(ipr_stamp_eq(&s1, &res.stamp));
	write_file(p, "garbage\n");
	ipr_stamp_of(p, &s2);
	CHECK(!ipr_stamp_eq(&s1, &s2));
	ipr_result_free(&res);
	CHECK_EQ_INT(ipr_load(p, NULL, NULL, &res), -1);
	snprintf(want, sizeof(want),
	         "%s: line 1: '[' or '{' expected near 'garbage'", p);
	CHECK_REASON(want);
	CHECK(ipr_stamp_eq(&s2, &res.stamp)); /* a bad version has a stamp */
	struct ipr_limits lim = {16, 0};
	write_file(p, good);
	ipr_result_free(&res);
	CHECK_EQ_INT(ipr_load(p, NULL, &lim, &res), -1);
	snprintf(want, sizeof(want), "%s: %zu bytes; at most 16", p,
	         strlen(good));
	CHECK_REASON(want);
	unlink(p);
}

/* ------------------------------------------------- the B2BUA's allow set */

/* stderr into a file until logged_end, which returns the text (malloc). */
static void logged_start(int *saved)
{
	char p[160];
	path_of(p, sizeof(p), "log.txt");
	fflush(stderr);
	*saved = dup(2);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
}

static char *logged_end(int saved)
{
	char p[160];
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	path_of(p, sizeof(p), "log.txt");
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	/* 4,100 refusals are about 600 KB of log */
	char *buf = calloc(1, 1 << 20);
	if (buf)
		(void)!fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

static bool log_has(const char *text, const char *want, int line_no)
{
	test_checks++;
	if (text && strstr(text, want))
		return true;
	test_failures++;
	fprintf(stderr, "%s:%d: log lacks\n  %s\ngot:\n%s\n", __FILE__, line_no,
	        want, text ? text : "(null)");
	return false;
}
#define CHECK_LOG(text, want) log_has(text, want, __LINE__)

static struct tb_config *config(const char *file, const char *extra)
{
	char yaml[2048];
	struct cfg_errors *e = malloc(sizeof(*e));
	struct tb_config *c = NULL;

	if (!e)
		return NULL;
	snprintf(yaml, sizeof(yaml),
	         "identity: { fqdn: sbc1.lab.test }\n"
	         "listen: [ { transport: tcp, port: 5060 } ]\n"
	         "%s"
	         "trunks:\n"
	         "  acs:\n"
	         "    profile: generic\n"
	         "    transport: tcp\n"
	         "    servers: [ 127.0.0.2 ]\n"
	         "    allow: [ 127.0.0.2/32 ]\n"
	         "  genesys:\n"
	         "    profile: generic\n"
	         "    transport: tcp\n"
	         "    servers: [ 127.0.0.4 ]\n"
	         "    allow: [ 10.4.0.0/16 ]\n"
	         "    allow_from_ip_ranges:\n"
	         "      file: %s\n"
	         "      services: [ sip-signaling ]\n",
	         extra, file);
	if (cfg_load_string("t.yaml", yaml, strlen(yaml), &c, e) != 0)
		cfg_errors_print(e, stderr);
	free(e);
	return c;
}

static int trunk_of(struct b2b *b, const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return b2b_trunk_of(b, (struct sockaddr *)&ss);
}

static const char ranges_4[] =
        "{\"entities\":["
        "{\"cidr\":\"127.0.0.4/32\",\"service\":\"sip-signaling\"},"
        "{\"cidr\":\"2001:db8:4::/48\",\"service\":\"sip-signaling\"},"
        "{\"cidr\":\"127.0.0.5/32\",\"service\":\"media\"}]}";
static const char ranges_6[] =
        "[{\"cidr\":\"127.0.0.6/32\",\"service\":\"sip-signaling\"}]";

static void test_b2b_allow(void)
{
	char p[160];
	struct b2b_env env;
	int saved;

	path_of(p, sizeof(p), "genesys-ipranges.json");
	write_file(p, ranges_4);
	struct tb_config *c = config(p, "");
	CHECK(c != NULL);
	memset(&env, 0, sizeof(env));
	struct b2b *b = c ? b2b_new(&env) : NULL;
	if (!b) {
		cfg_free(c);
		return;
	}
	logged_start(&saved);
	b2b_set_config(b, c, NULL, NULL);
	char *log = logged_end(saved);
	CHECK_LOG(log, "event=ip_ranges_loaded trunk=genesys file=");
	CHECK_LOG(log, "genesys-ipranges.json kept=2 skipped=0 filtered=1 "
	               "total=3\n");
	CHECK_LOG(log, "event=ip_ranges_services trunk=genesys file=");
	CHECK_LOG(log, " not_in_filter=\"media\"\n");
	free(log);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.2"), 0);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.4"), 1);
	CHECK_EQ_INT(trunk_of(b, "2001:db8:4::9"), 1);
	CHECK_EQ_INT(trunk_of(b, "::ffff:127.0.0.4"), 1);
	CHECK_EQ_INT(trunk_of(b, "10.4.1.1"), 1);   /* its static allow */
	CHECK_EQ_INT(trunk_of(b, "127.0.0.5"), -1); /* filtered out */
	CHECK_EQ_INT(trunk_of(b, "127.0.0.6"), -1);

	/* the file changes; a reload (SIGHUP) reads it again */
	write_file(p, ranges_6);
	logged_start(&saved);
	b2b_set_config(b, c, NULL, NULL);
	log = logged_end(saved);
	CHECK_LOG(log, "kept=1 skipped=0 filtered=0 total=1\n");
	CHECK(log && !strstr(log, "ip_ranges_services")); /* logged once */
	free(log);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.4"), -1);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.6"), 1);
	CHECK_EQ_INT(trunk_of(b, "10.4.1.1"), 1);

	/* garbage keeps the last good list, and says why */
	write_file(p, "<html>503 Service Unavailable</html>");
	logged_start(&saved);
	b2b_set_config(b, c, NULL, NULL);
	log = logged_end(saved);
	CHECK_LOG(log, "level=warn module=b2b event=ip_ranges_kept "
	               "trunk=genesys file=");
	CHECK_LOG(log, "genesys-ipranges.json reason=\"/");
	CHECK_LOG(log, "/genesys-ipranges.json: line 1: '[' or '{' expected "
	               "near '<'\" kept=1 static=1\n");
	free(log);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.6"), 1);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.4"), -1);
	/* so does a file whose entries the filter all leaves out (quotes
	 * escaped in the log) */
	write_file(p, "[{\"cidr\":\"127.0.0.7/32\",\"service\":\"x\"}]");
	logged_start(&saved);
	b2b_set_config(b, c, NULL, NULL);
	log = logged_end(saved);
	CHECK_LOG(log, "/genesys-ipranges.json: no entity kept: "
	               "services filter [\\\"sip-signaling\\\"] matched none "
	               "of 1 entries (services seen: x)\" kept=1");
	free(log);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.6"), 1);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.7"), -1);
	b2b_free(b);
	cfg_free(c);

	/* a first load that fails: the static allow only, and the trunk is
	 * not open to every source */
	unlink(p);
	c = config(p, "");
	b = c ? b2b_new(&env) : NULL;
	if (b) {
		logged_start(&saved);
		b2b_set_config(b, c, NULL, NULL);
		log = logged_end(saved);
		CHECK_LOG(log, "level=error module=b2b event=ip_ranges_kept "
		               "trunk=genesys");
		CHECK_LOG(log,
		          "/genesys-ipranges.json: cannot open: No such file "
		          "or directory\" kept=0 static=1\n");
		free(log);
		CHECK_EQ_INT(trunk_of(b, "10.4.0.1"), 1);
		CHECK_EQ_INT(trunk_of(b, "127.0.0.4"), -1);
		CHECK_EQ_INT(trunk_of(b, "192.0.2.1"), -1);
		/* the file arrives: the next reload takes it */
		write_file(p, ranges_4);
		logged_start(&saved);
		b2b_set_config(b, c, NULL, NULL);
		free(logged_end(saved));
		CHECK_EQ_INT(trunk_of(b, "127.0.0.4"), 1);
		b2b_free(b);
	}
	cfg_free(c);
	unlink(p);
}

static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* The check timer reads a changed file without a reload. */
static void test_b2b_timer(void)
{
	char p[160];
	struct b2b_env env;
	int saved;

	path_of(p, sizeof(p), "timer.json");
	write_file(p, ranges_4);
	struct tb_config *c = config(p, "ip_ranges_check_interval: 1s\n");
	CHECK(c && c->ip_ranges_check_ms == 1000);
	memset(&env, 0, sizeof(env));
	env.base = event_base_new();
	struct b2b *b = c && env.base ? b2b_new(&env) : NULL;
	if (!b) {
		cfg_free(c);
		if (env.base)
			event_base_free(env.base);
		return;
	}
	logged_start(&saved);
	b2b_set_config(b, c, NULL, NULL);
	CHECK(b->ipr_timer != NULL);
	write_file(p, ranges_6);
	struct timeval tv = {1, 500000};
	struct event *stop = evtimer_new(env.base, stop_loop, env.base);
	evtimer_add(stop, &tv);
	event_base_dispatch(env.base);
	event_free(stop);
	char *log = logged_end(saved);
	CHECK_LOG(log, "kept=1 skipped=0 filtered=0 total=1\n");
	free(log);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.4"), -1);
	CHECK_EQ_INT(trunk_of(b, "127.0.0.6"), 1);
	b2b_shutdown(b);
	CHECK(b->ipr_timer == NULL);
	b2b_free(b);
	cfg_free(c);
	event_base_free(env.base);
	unlink(p);
}

static const char invite[] =
        "INVITE sip:+14255550100@sbc1.lab.test SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 192.0.2.9:5060;branch=z9hG4bKabc\r\n"
        "From: <sip:+12065550123@x.test>;tag=1\r\n"
        "To: <sip:+14255550100@sbc1.lab.test>\r\n"
        "Call-ID: refused@192.0.2.9\r\n"
        "CSeq: 1 INVITE\r\n"
        "Max-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n";

static void refuse_from(struct b2b *b, struct sip_msg *m, uint32_t v4)
{
	struct tp_addr src;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&src.addr;

	memset(&src, 0, sizeof(src));
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(v4);
	s4->sin_port = htons(5060);
	src.addrlen = sizeof(*s4);
	CHECK(b2b_request(b, &src, m));
}

static size_t count_lines(const char *text, const char *what)
{
	size_t n = 0;
	for (const char *p = text; p && (p = strstr(p, what)); p++)
		n++;
	return n;
}

/* Refused sources: counted per address, logged at 1, 2, 4, 8...; the
 * table holds 4096 sources and the oldest leaves first. */
static void test_refused(void)
{
	struct b2b_env env;
	struct sip_hdr h[32];
	struct sip_msg m;
	int saved;
	struct tb_config *c = config("/nonexistent/ipr.json", "");

	memset(&env, 0, sizeof(env));
	struct b2b *b = c ? b2b_new(&env) : NULL;
	if (!b) {
		cfg_free(c);
		return;
	}
	CHECK_EQ_INT(b2b_reparse(invite, sizeof(invite) - 1, &m, h, 32), 0);
	logged_start(&saved);
	b2b_set_config(b, c, NULL, NULL);
	for (int i = 0; i < 9; i++)
		refuse_from(b, &m, 0xc0000209); /* 192.0.2.9 */
	refuse_from(b, &m, 0xc000020a);
	char *log = logged_end(saved);
	CHECK_EQ_INT(b2b_stats(b)->refused_source, 10);
	CHECK_EQ_INT(count_lines(log, "event=source_refused src=192.0.2.9:"),
	             4);
	CHECK_LOG(log, "event=source_refused src=192.0.2.9:5060 count=1 "
	               "method=INVITE answer=none reason=\"source in no "
	               "trunk's allow list\"\n");
	CHECK_LOG(log, "src=192.0.2.9:5060 count=2 ");
	CHECK_LOG(log, "src=192.0.2.9:5060 count=4 ");
	CHECK_LOG(log, "src=192.0.2.9:5060 count=8 ");
	CHECK(log && !strstr(log, "count=9 "));
	CHECK_LOG(log, "src=192.0.2.10:5060 count=1 ");
	free(log);

	/* 4094 other sources fill the table; one more pushes the oldest
	 * (192.0.2.9) out, and it is counted from 1 again */
	logged_start(&saved);
	for (uint32_t i = 0; i < 4094; i++)
		refuse_from(b, &m, 0x0a000000 + i);
	refuse_from(b, &m, 0xc000020a); /* still there: count 2 */
	refuse_from(b, &m, 0x0a100000); /* pushes out 192.0.2.9 */
	refuse_from(b, &m, 0xc0000209);
	log = logged_end(saved);
	CHECK_LOG(log, "src=192.0.2.10:5060 count=2 ");
	CHECK_LOG(log, "src=192.0.2.9:5060 count=1 ");
	CHECK_EQ_INT(count_lines(log, "event=source_refused"), 4094 + 3);
	free(log);

	/* ACK is never counted nor answered */
	static const char ack[] =
	        "ACK sip:x@sbc1.lab.test SIP/2.0\r\n"
	        "Via: SIP/2.0/TCP 192.0.2.9;branch=z9hG4bKa\r\n"
	        "From: <sip:a@x.test>;tag=1\r\n"
	        "To: <sip:x@sbc1.lab.test>;tag=2\r\n"
	        "Call-ID: a@x\r\nCSeq: 1 ACK\r\n"
	        "Max-Forwards: 70\r\n"
	        "Content-Length: 0\r\n\r\n";
	uint64_t before = b2b_stats(b)->refused_source;
	CHECK_EQ_INT(b2b_reparse(ack, sizeof(ack) - 1, &m, h, 32), 0);
	refuse_from(b, &m, 0xc0000209);
	CHECK_EQ_INT(b2b_stats(b)->refused_source, before);
	b2b_free(b);
	cfg_free(c);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/tb-ipr.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_good);
	RUN(test_filters);
	RUN(test_skipped);
	RUN(test_errors);
	RUN(test_none_kept);
	RUN(test_truncated);
	RUN(test_limits);
	RUN(test_file);
	RUN(test_b2b_allow);
	RUN(test_b2b_timer);
	RUN(test_refused);
	ipr_result_free(&res);
	char p[160];
	path_of(p, sizeof(p), "log.txt");
	unlink(p);
	rmdir(dir);
	return test_summary();
}
