/* test_vectors.c: RFC 4475 and RFC 5118 torture messages against their
 * EXPECT.tsv (read from the shared testdata folder, never copied in).
 *
 * Valid messages must parse (datagram mode, as they would arrive over UDP),
 * pass sip_msg_validate, and serialize back to the same bytes. Invalid ones
 * must be refused with a status the EXPECT row allows (0 = dropped). For
 * the valid ones whose answer is an application-layer status (416, 420,
 * 483, 501, 415, 406), the test checks the parser exposes what that answer
 * needs.
 */
#include "sip/msg/sip_decode.h"
#include "tests/test.h"

#include <stdlib.h>

static const char *testdata;

struct file {
	char *buf;
	size_t len;
};

static bool read_file(const char *path, struct file *f)
{
	FILE *in = fopen(path, "rb");
	long n;

	f->buf = NULL;
	f->len = 0;
	if (!in)
		return false;
	if (fseek(in, 0, SEEK_END) != 0 || (n = ftell(in)) < 0 ||
	    fseek(in, 0, SEEK_SET) != 0) {
		fclose(in);
		return false;
	}
	/* exactly sized: an over-read is caught by ASan */
	f->buf = malloc(n ? (size_t)n : 1);
	if (!f->buf || fread(f->buf, 1, (size_t)n, in) != (size_t)n) {
		fclose(in);
		free(f->buf);
		f->buf = NULL;
		return false;
	}
	fclose(in);
	f->len = (size_t)n;
	return true;
}

/* Our answer where EXPECT leaves a choice (each says why). */
static int policy_status(const char *name)
{
	/* Date is validated by sip_msg_validate: a non-GMT zone is 400 */
	if (strcmp(name, "baddate") == 0)
		return 400;
	/* CSeq method != request method is caught by the parser first */
	if (strcmp(name, "mismatch02") == 0)
		return 400;
	return -1;
}

/* Statuses a row allows: every 3-digit 4xx/5xx in its action text, or 0
 * when the action is to drop. */
static bool status_allowed(const char *action, int st)
{
	if (strncmp(action, "drop", 4) == 0)
		return st == 0;
	for (const char *p = action; *p; p++) {
		if (p[0] >= '4' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
		    p[2] >= '0' && p[2] <= '9' &&
		    (p == action || p[-1] < '0' || p[-1] > '9') &&
		    (p[3] < '0' || p[3] > '9')) {
			if (st == (p[0] - '0') * 100 + (p[1] - '0') * 10 +
			                  (p[2] - '0'))
				return true;
		}
	}
	return false;
}

static int checked_valid, checked_invalid;

/* What the B2BUA layer will need from the valid-but-refused messages. */
static void check_exposure(const char *name, const struct sip_msg *m,
                           const struct file *f)
{
	if (!strcmp(name, "unkscm") || !strcmp(name, "novelsc")) {
		CHECK(m->ruri.scheme == SIP_URI_OTHER); /* -> 416 */
	} else if (!strcmp(name, "intmeth") || !strcmp(name, "esc02")) {
		CHECK(m->method_id == SIP_METHOD_OTHER); /* -> 501 */
	} else if (!strcmp(name, "zeromf")) {
		CHECK_EQ_INT(m->max_forwards, 0); /* -> 483 */
	} else if (!strcmp(name, "bext01")) {
		CHECK(sip_msg_has_tag(m, SIP_HDR_REQUIRE,
		                      PL("nothingSupportsThis"))); /* -> 420 */
		CHECK(sip_msg_has_tag(m, SIP_HDR_PROXY_REQUIRE,
		                      PL("noProxiesSupportThis")));
		CHECK(m->via.transport == SIP_TP_TLS);
	} else if (!strcmp(name, "invut")) {
		CHECK_PL(m->content_type,
		         "application/unknownformat"); /* 415 */
	} else if (!strcmp(name, "sdp01")) {
		CHECK(sip_msg_hdr(m, SIP_HDR_ACCEPT) != NULL); /* -> 406 */
	} else if (!strcmp(name, "dblreq")) {
		CHECK(m->consumed < f->len); /* trailing INVITE ignored */
		CHECK_EQ_INT(m->body.l, 0);
		CHECK(m->method_id == SIP_METHOD_REGISTER);
	} else if (!strcmp(name, "inv2543")) {
		CHECK(!m->via.branch.p); /* RFC 2543 transaction matching */
		CHECK(!m->from.tag.p);
		CHECK_EQ_INT(m->max_forwards, -1);
		CHECK(!m->has_content_length);
		CHECK(m->body.l > 0); /* body = rest of the datagram */
	} else if (!strcmp(name, "bcast")) {
		CHECK(m->via_count >= 2);
	} else if (!strcmp(name, "mpart01")) {
		CHECK(m->body.l == m->content_length);
		CHECK(memchr(m->body.p, '\0', m->body.l) != NULL);
	} else if (!strcmp(name, "esc01")) {
		CHECK(m->ruri.user.p != NULL);
	} else if (!strcmp(name, "semiuri")) {
		CHECK_PL(m->ruri.user, "user;par=u%40example.net");
	} else if (!strcmp(name, "wsinv")) {
		CHECK_EQ_INT(m->max_forwards, 68);
		CHECK_EQ_INT(m->cseq, 9);
		CHECK_EQ_INT(m->via_count, 3);
		CHECK_PL(m->to.tag, "1918181833n");
		CHECK_PL(m->from.tag, "98asjd8");
		CHECK(m->via.transport == SIP_TP_UDP);
	} else if (!strcmp(name, "port-ambiguous")) {
		CHECK(!m->ruri.has_port);
		CHECK_PL(m->ruri.host, "2001:db8::10:5070");
	} else if (!strcmp(name, "port-unambiguous")) {
		CHECK(m->ruri.has_port && m->ruri.port == 5070);
		CHECK_PL(m->ruri.host, "2001:db8::10");
	} else if (!strcmp(name, "via-received-param-with-delim") ||
	           !strcmp(name, "via-received-param-no-delim")) {
		CHECK(m->via.received.p && m->via.received.p[0] != '[');
	}
}

static void run_one(const char *dir, const char *name, const char *validity,
                    const char *action)
{
	char path[1024];
	struct file f;
	struct sip_hdr hdrs[256];
	struct sip_msg m;
	struct sip_parse_error err;
	enum sip_parse_result r;
	bool valid = strcmp(validity, "valid") == 0;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	if (!read_file(path, &f)) {
		fprintf(stderr, "cannot read %s\n", path);
		CHECK(!"vector file readable");
		return;
	}
	sip_msg_init(&m, hdrs, 256);
	r = sip_msg_parse(&m, f.buf, f.len, SIP_PARSE_DATAGRAM, NULL, &err);
	int st = -1;
	if (r == SIP_PARSE_OK) {
		if (sip_msg_validate(&m, &err) == 0)
			st = -1;
		else
			st = err.status;
	} else {
		st = err.status;
	}

	if (valid) {
		checked_valid++;
		if (st != -1) {
			fprintf(stderr, "%s: valid but refused: %d %s\n", name,
			        st, err.reason ? err.reason : "");
			CHECK(!"valid vector accepted");
		} else {
			char out[8192];
			size_t n = sip_msg_serialize(&m, out, sizeof(out));
			CHECK(n == m.raw.l && memcmp(out, m.raw.p, n) == 0);
			check_exposure(name, &m, &f);
		}
	} else {
		int want = policy_status(name);
		checked_invalid++;
		if (st == -1) {
			fprintf(stderr, "%s: invalid but accepted\n", name);
			CHECK(!"invalid vector refused");
		} else if (want >= 0 ? st != want
		                     : !status_allowed(action, st)) {
			fprintf(stderr,
			        "%s: refused with %d (%s); EXPECT: %s\n", name,
			        st, err.reason ? err.reason : "", action);
			CHECK(!"refused with an allowed status");
		} else {
			printf("  %-32s refused %d: %s\n", name, st,
			       err.reason);
		}
	}
	free(f.buf);
}

static void run_suite(const char *suite)
{
	char path[1024];
	char line[4096];
	FILE *in;
	int rows = 0;

	snprintf(path, sizeof(path), "%s/%s/EXPECT.tsv", testdata, suite);
	in = fopen(path, "r");
	if (!in) {
		fprintf(stderr,
		        "missing %s: the shared testdata folder must "
		        "be beside the checkout\n",
		        path);
		CHECK(!"EXPECT.tsv present");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", testdata, suite);
	while (fgets(line, sizeof(line), in)) {
		char *name = strtok(line, "\t\n");
		char *validity = strtok(NULL, "\t\n");
		(void)strtok(NULL, "\t\n"); /* section */
		char *action = strtok(NULL, "\t\n");
		if (!name || !validity || !action || strcmp(name, "name") == 0)
			continue;
		rows++;
		run_one(path, name, validity, action);
	}
	fclose(in);
	CHECK(rows > 0);
	printf("%s: %d vectors\n", suite, rows);
}

static void test_rfc4475(void)
{
	char dir[1024];

	run_suite("rfc4475");
	/* the second extraction of baddn, terminated by an empty line */
	snprintf(dir, sizeof(dir), "%s/rfc4475/variants", testdata);
	run_one(dir, "baddn.terminated", "invalid", "400 Bad Request");
}

static void test_rfc5118(void)
{
	char dir[1024];

	run_suite("rfc5118");
	snprintf(dir, sizeof(dir), "%s/rfc5118/variants", testdata);
	run_one(dir, "ipv6-in-sdp.cl-fixed", "valid", "accept");
	run_one(dir, "mult-ip-in-sdp.cl-fixed", "valid", "accept");
	run_one(dir, "ipv4-mapped-ipv6.cl-fixed", "valid", "accept");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_vectors <shared/testdata>\n");
		return 2;
	}
	testdata = argv[1];
	RUN(test_rfc4475);
	RUN(test_rfc5118);
	printf("%d valid and %d invalid vectors checked\n", checked_valid,
	       checked_invalid);
	CHECK(checked_valid + checked_invalid >= 49 + 1 + 12 + 3);
	return test_summary();
}
