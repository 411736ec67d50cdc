/* test_truncate.c: every message cut at every length.
 *
 * usage: test_truncate <shared testdata dir> <examples/messages dir>
 *                      <tests/fuzz/seeds dir>
 *
 * Files: the *.dat of rfc4475/, rfc4475/variants/, rfc5118/ and
 * rfc5118/variants/ (from the shared folder, read in place), the examples'
 * *.sip and every fuzz seed. For each file and each prefix length
 * k = 0..n the first k bytes are copied into an exactly-sized heap buffer
 * (so ASan reports a read one byte past the end) and parsed as a datagram
 * and as the front of a stream.
 *
 * Stream framing must be prefix-consistent. The whole file is parsed in
 * stream mode first:
 *   - OK with m.consumed = c: every prefix shorter than c is INCOMPLETE
 *     (this includes the empty prefix and prefixes that end inside leading
 *     CRLFs: nothing but CRLFs so far is "wait for more", not an error),
 *     and every prefix of c bytes or more is OK with the same c and the
 *     same message length. Then the next message of the stream starts at c
 *     (RFC 4475 dblreq carries a second request) and is checked the same
 *     way, over the rest of the file.
 *   - INCOMPLETE (e.g. a Content-Length beyond the file, a header block
 *     without its empty line): every prefix is INCOMPLETE too.
 *   - MALFORMED: the prefixes must only not crash.
 * Datagram parses of prefixes have no expected result (no crash).
 * Every OK parse is re-serialized (must give back m.raw), validated with
 * sip_msg_validate, and its list headers walked with the iterators and
 * decoders.
 *
 * Missing shared test data is a failure, never a silent pass.
 */
#include "sip/msg/sip_decode.h"
#include "sip/msg/sip_msg.h"
#include "tests/test.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HDR_CAP         128
#define MAX_REPORTS     5 /* failure lines printed per file */
#define MAX_STREAM_MSGS 16

static struct sip_hdr g_hdr[HDR_CAP];
static volatile uint32_t g_sink;
static int g_reports;
static int g_files;
static long g_parses;

static const char *res_name(enum sip_parse_result r)
{
	switch (r) {
	case SIP_PARSE_OK:
		return "OK";
	case SIP_PARSE_INCOMPLETE:
		return "INCOMPLETE";
	case SIP_PARSE_MALFORMED:
		return "MALFORMED";
	}
	return "?";
}

#define FAILF(...)                                                             \
	do {                                                                   \
		test_failures++;                                               \
		if (g_reports++ < MAX_REPORTS)                                 \
			fprintf(stderr, __VA_ARGS__);                          \
	} while (0)

/* --- what a caller does with an OK message -------------------------------- */

static bool in_buf(struct pl a, const char *base, size_t len)
{
	if (!a.p)
		return true;
	return a.p >= base && a.p <= base + len &&
	       a.l <= (size_t)(base + len - a.p);
}

static void check_addr(const char *file, const struct sip_addr *a,
                       const char *base, size_t len)
{
	test_checks++;
	if (!in_buf(a->display, base, len) || !in_buf(a->uri_pl, base, len) ||
	    !in_buf(a->params, base, len) || !in_buf(a->tag, base, len))
		FAILF("%s: address slice outside the message\n", file);
	if (a->star || !a->uri.raw.p)
		return;
	if (a->uri.scheme != SIP_URI_OTHER) {
		test_checks++;
		if (!sip_uri_eq(&a->uri, &a->uri))
			FAILF("%s: sip_uri_eq(u, u) false for '%.*s'\n", file,
			      (int)a->uri.raw.l, a->uri.raw.p);
	}
	g_sink += (uint32_t)a->tag.l;
}

static void walk_addrs(const char *file, const struct sip_msg *m,
                       enum sip_hdr_id id, const char *buf, size_t len)
{
	struct sip_list_iter it;
	struct sip_addr a;
	size_t guard = m->raw.l + m->nhdr + 2;

	sip_list_iter_init(&it, m, id);
	while (sip_addr_iter_next(&it, &a) == 1) {
		if (guard-- == 0) {
			FAILF("%s: address iterator makes no progress (id "
			      "%d)\n",
			      file, (int)id);
			return;
		}
		check_addr(file, &a, buf, len);
	}
}

static void walk_list(const char *file, const struct sip_msg *m,
                      enum sip_hdr_id id, const char *buf, size_t len)
{
	struct sip_list_iter it;
	struct pl el;
	size_t guard = m->raw.l + m->nhdr + 2;

	sip_list_iter_init(&it, m, id);
	while (sip_list_iter_next(&it, &el) == 1) {
		if (guard-- == 0) {
			FAILF("%s: list iterator makes no progress (id %d)\n",
			      file, (int)id);
			return;
		}
		test_checks++;
		if (!in_buf(el, buf, len))
			FAILF("%s: list element outside the message\n", file);
		switch (id) {
		case SIP_HDR_VIA: {
			struct sip_via v;
			if (sip_via_parse(&v, el) == 0)
				g_sink += v.port + (uint32_t)v.branch.l;
			break;
		}
		case SIP_HDR_DIVERSION: {
			struct sip_diversion d;
			if (sip_diversion_decode(&d, el) == 0)
				check_addr(file, &d.addr, buf, len);
			break;
		}
		case SIP_HDR_HISTORY_INFO: {
			struct sip_history_info hi;
			if (sip_history_info_decode(&hi, el) == 0) {
				check_addr(file, &hi.addr, buf, len);
				test_checks++;
				if (hi.depth > SIP_HI_MAX_DEPTH)
					FAILF("%s: History-Info depth %u\n",
					      file, (unsigned)hi.depth);
			}
			break;
		}
		case SIP_HDR_REASON: {
			struct sip_reason r;
			if (sip_reason_decode(&r, el) == 0)
				g_sink += r.cause;
			break;
		}
		default:
			break;
		}
	}
}

static void decode_singles(const struct sip_msg *m)
{
	const struct sip_hdr *h;
	uint32_t u;

	if ((h = sip_msg_hdr(m, SIP_HDR_REFER_TO))) {
		struct sip_refer_to rt;
		if (sip_refer_to_decode(&rt, h->value) == 0)
			g_sink += (uint32_t)rt.replaces.l;
	}
	if ((h = sip_msg_hdr(m, SIP_HDR_REPLACES))) {
		struct sip_replaces rp;
		if (sip_replaces_decode(&rp, h->value) == 0)
			g_sink += (uint32_t)rp.call_id.l;
	}
	if ((h = sip_msg_hdr(m, SIP_HDR_SESSION_EXPIRES))) {
		struct sip_session_expires se;
		if (sip_session_expires_decode(&se, h->value) == 0)
			g_sink += se.delta;
	}
	if ((h = sip_msg_hdr(m, SIP_HDR_RACK))) {
		struct sip_rack ra;
		if (sip_rack_decode(&ra, h->value) == 0)
			g_sink += ra.cseq;
	}
	if ((h = sip_msg_hdr(m, SIP_HDR_RETRY_AFTER)) &&
	    sip_retry_after_decode(&u, h->value) == 0)
		g_sink += u;
	if ((h = sip_msg_hdr(m, SIP_HDR_MIN_SE)) &&
	    sip_uint_decode(&u, h->value) == 0)
		g_sink += u;
	if ((h = sip_msg_hdr(m, SIP_HDR_EXPIRES)) &&
	    sip_uint_decode(&u, h->value) == 0)
		g_sink += u;
	for (h = sip_msg_hdr(m, SIP_HDR_SUPPORTED); h;
	     h = sip_msg_hdr_next(m, h))
		g_sink += (uint32_t)sip_token_list_validate(h->value);
	for (h = sip_msg_hdr(m, SIP_HDR_ALLOW); h; h = sip_msg_hdr_next(m, h))
		g_sink += (uint32_t)sip_token_list_validate(h->value);
	g_sink += sip_msg_has_tag(m, SIP_HDR_SUPPORTED, PL("timer"));
}

static void exercise(const char *file, const struct sip_msg *m, const char *buf,
                     size_t len)
{
	struct sip_parse_error err;

	test_checks++;
	if (m->consumed > len || !m->raw.p || m->raw.p < buf ||
	    m->raw.p + m->raw.l != buf + m->consumed) {
		FAILF("%s: m.raw/m.consumed outside the input\n", file);
		return;
	}

	char *out = malloc(m->raw.l ? m->raw.l : 1);
	if (!out) {
		perror("malloc");
		exit(2);
	}
	size_t n = sip_msg_serialize(m, out, m->raw.l);
	test_checks++;
	if (n != m->raw.l || (n && memcmp(out, m->raw.p, n) != 0))
		FAILF("%s: sip_msg_serialize gave %zu bytes, not the %zu "
		      "received\n",
		      file, n, m->raw.l);
	free(out);

	err.status = 0;
	err.reason = NULL;
	err.offset = 0;
	if (sip_msg_validate(m, &err) != 0) {
		test_checks++;
		if (err.offset > len)
			FAILF("%s: validate error offset %zu past %zu\n", file,
			      err.offset, len);
	}
	if (m->request && m->ruri.scheme != SIP_URI_OTHER) {
		test_checks++;
		if (!sip_uri_eq(&m->ruri, &m->ruri))
			FAILF("%s: sip_uri_eq(ruri, ruri) false\n", file);
	}
	check_addr(file, &m->from, buf, len);
	check_addr(file, &m->to, buf, len);
	walk_addrs(file, m, SIP_HDR_CONTACT, buf, len);
	walk_addrs(file, m, SIP_HDR_ROUTE, buf, len);
	walk_addrs(file, m, SIP_HDR_RECORD_ROUTE, buf, len);
	walk_addrs(file, m, SIP_HDR_P_ASSERTED_IDENTITY, buf, len);
	walk_list(file, m, SIP_HDR_VIA, buf, len);
	walk_list(file, m, SIP_HDR_DIVERSION, buf, len);
	walk_list(file, m, SIP_HDR_HISTORY_INFO, buf, len);
	walk_list(file, m, SIP_HDR_REASON, buf, len);
	decode_singles(m);
}

/* Parse (data, k) from its own exactly-sized heap buffer. */
static enum sip_parse_result parse_copy(const char *file, const char *data,
                                        size_t k, enum sip_parse_mode mode,
                                        struct sip_msg *m)
{
	struct sip_parse_error err;
	enum sip_parse_result r;
	char *b = malloc(k);

	if (!b && k) {
		perror("malloc");
		exit(2);
	}
	if (k)
		memcpy(b, data, k);
	sip_msg_init(m, g_hdr, HDR_CAP);
	r = sip_msg_parse(m, b ? b : "", k, mode, NULL, &err);
	g_parses++;
	if (r == SIP_PARSE_OK)
		exercise(file, m, b ? b : "", k);
	test_checks++;
	if (mode == SIP_PARSE_DATAGRAM && r == SIP_PARSE_INCOMPLETE)
		FAILF("%s: %zu-byte datagram parsed as INCOMPLETE\n", file, k);
	/* the slices point into b: keep only what the caller compares */
	m->raw.p = NULL;
	m->hdr = NULL;
	free(b);
	return r;
}

/* One message of a stream starting at data (the rest of the file). */
static size_t check_stream_msg(const char *file, const char *data, size_t n,
                               size_t pos, char *summary, size_t sumcap)
{
	struct sip_msg full, m;
	enum sip_parse_result r, rk;
	size_t c;

	r = parse_copy(file, data, n, SIP_PARSE_STREAM, &full);
	c = r == SIP_PARSE_OK ? full.consumed : 0;
	if (r == SIP_PARSE_OK)
		snprintf(summary, sumcap, " stream@%zu:OK(%zu)", pos, c);
	else
		snprintf(summary, sumcap, " stream@%zu:%s", pos, res_name(r));

	for (size_t k = 0; k <= n; k++) {
		(void)parse_copy(file, data, k, SIP_PARSE_DATAGRAM, &m);
		rk = parse_copy(file, data, k, SIP_PARSE_STREAM, &m);
		test_checks++;
		switch (r) {
		case SIP_PARSE_OK:
			if (k < c && rk != SIP_PARSE_INCOMPLETE)
				FAILF("%s: stream message at %zu, %zu of its "
				      "%zu bytes: %s, expected INCOMPLETE\n",
				      file, pos, k, c, res_name(rk));
			else if (k >= c &&
			         (rk != SIP_PARSE_OK || m.consumed != c ||
			          m.raw.l != full.raw.l))
				FAILF("%s: stream message at %zu, %zu bytes "
				      "(message is %zu): %s consumed %zu, "
				      "expected OK consumed %zu\n",
				      file, pos, k, c, res_name(rk),
				      rk == SIP_PARSE_OK ? m.consumed : 0, c);
			break;
		case SIP_PARSE_INCOMPLETE:
			if (rk != SIP_PARSE_INCOMPLETE)
				FAILF("%s: stream at %zu is INCOMPLETE in full "
				      "but its %zu-byte prefix is %s\n",
				      file, pos, k, res_name(rk));
			break;
		case SIP_PARSE_MALFORMED:
			break; /* no crash is all we ask */
		}
	}
	return c;
}

static void check_file(const char *file, const char *data, size_t n)
{
	char line[512] = "";
	size_t used = 0, pos = 0;
	int before = test_failures;
	struct sip_msg m;
	enum sip_parse_result rd;

	g_reports = 0;
	g_files++;
	rd = parse_copy(file, data, n, SIP_PARSE_DATAGRAM, &m);
	used += (size_t)snprintf(line, sizeof(line), "datagram:%s",
	                         res_name(rd));

	for (int i = 0; i < MAX_STREAM_MSGS && pos < n; i++) {
		char sum[64];
		size_t c = check_stream_msg(file, data + pos, n - pos, pos, sum,
		                            sizeof(sum));
		if (used < sizeof(line))
			used += (size_t)snprintf(
			        line + used, sizeof(line) - used, "%s", sum);
		if (c == 0)
			break;
		pos += c;
	}
	printf("%s %s (%zu bytes) %s\n",
	       test_failures == before ? "ok  " : "FAIL", file, n, line);
}

/* --- files ---------------------------------------------------------------- */

static char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*n = len;
	return buf;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Check every regular file in dir whose name ends with suffix ("" for
 * all). Returns the number of files, or -1 if dir cannot be read. */
static int check_dir(const char *dir, const char *suffix)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, by_name);
	int count = 0;

	if (n < 0) {
		fprintf(stderr, "test_truncate: cannot read %s: %s\n", dir,
		        strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		const char *name = ents[i]->d_name;

		if (name[0] != '.' && has_suffix(name, suffix) &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) <
		            sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			size_t len;
			char *data = read_file(path, &len);
			if (!data) {
				fprintf(stderr,
				        "test_truncate: cannot read "
				        "%s: %s\n",
				        path, strerror(errno));
				test_failures++;
			} else {
				check_file(path, data, len);
				free(data);
				count++;
			}
		}
		free(ents[i]);
	}
	free(ents);
	return count;
}

int main(int argc, char **argv)
{
	char dir[4096];
	static const char *const shared[] = {
	        "rfc4475",
	        "rfc4475/variants",
	        "rfc5118",
	        "rfc5118/variants",
	};
	int n;

	if (argc < 4) {
		fprintf(stderr,
		        "usage: %s <shared testdata dir> "
		        "<examples/messages dir> <fuzz seeds dir>\n",
		        argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", argv[1], shared[i]);
		n = check_dir(dir, ".dat");
		test_checks++;
		if (n <= 0) {
			fprintf(stderr,
			        "test_truncate: no *.dat files in %s: "
			        "the shared test data (../shared/testdata "
			        "beside the checkout) is missing; failing\n",
			        dir);
			test_failures++;
		}
	}
	n = check_dir(argv[2], ".sip");
	test_checks++;
	if (n <= 0) {
		fprintf(stderr, "test_truncate: no *.sip files in %s\n",
		        argv[2]);
		test_failures++;
	}
	n = check_dir(argv[3], "");
	test_checks++;
	if (n <= 0) {
		fprintf(stderr, "test_truncate: no seed files in %s\n",
		        argv[3]);
		test_failures++;
	}
	printf("%d files, %ld parses\n", g_files, g_parses);
	(void)g_sink;
	return test_summary();
}
