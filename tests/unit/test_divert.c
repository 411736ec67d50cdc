/* test_divert.c: forwarding history, History-Info <-> Diversion
 * (RFC 7044, RFC 5806, mapped per RFC 7544; interop.md 1.8, F19). */
#include "b2b/divert.h"
#include "tests/test.h"

#include <stdio.h>
#include <string.h>

static struct sip_hdr hdrs[64];
static struct sip_msg msg;
static char mbuf[20000];
static char out[8192];

/* An INVITE carrying the header lines in extra (each ending CRLF);
 * msg refers to mbuf until the next call. */
static int parse(const char *extra)
{
	int n = snprintf(
	        mbuf, sizeof(mbuf),
	        "INVITE sip:+14255550199@sbc1.contoso.com SIP/2.0\r\n"
	        "Via: SIP/2.0/TLS 52.112.10.20:5061;branch=z9hG4bKd1\r\n"
	        "Max-Forwards: 70\r\n"
	        "From: <sip:+14255550123@sip.pstnhub.microsoft.com>"
	        ";tag=1\r\n"
	        "To: <sip:+14255550199@sbc1.contoso.com>\r\n"
	        "Call-ID: d1\r\nCSeq: 1 INVITE\r\n"
	        "%sContent-Length: 0\r\n\r\n",
	        extra);

	if (n < 0 || (size_t)n >= sizeof(mbuf))
		return -1;
	sip_msg_init(&msg, hdrs, 64);
	return sip_msg_parse(&msg, mbuf, (size_t)n, SIP_PARSE_DATAGRAM, NULL,
	                     NULL) == SIP_PARSE_OK
	               ? 0
	               : -1;
}

static int hi_of(const char *extra, struct divert_chain *ch)
{
	if (parse(extra)) {
		fprintf(stderr, "parse failed: %s", extra);
		return -100;
	}
	return divert_from_history_info(&msg, ch);
}

static int div_of(const char *extra, struct divert_chain *ch)
{
	if (parse(extra)) {
		fprintf(stderr, "parse failed: %s", extra);
		return -100;
	}
	return divert_from_diversion(&msg, ch);
}

#define NOHOST PL_NULL
#define HOST   PL("sbc1.contoso.com")

/* The Diversion / History-Info value written from ch. */
#define CHECK_DIV(ch, host, want)                                              \
	do {                                                                   \
		size_t w_ = divert_write_diversion((ch), (host), out,          \
		                                   sizeof(out));               \
		CHECK_PL(pl_make(out, w_), want);                              \
		CHECK_EQ_INT(out[w_], 0);                                      \
	} while (0)

#define CHECK_HI(ch, host, want)                                               \
	do {                                                                   \
		size_t w_ = divert_write_history_info((ch), (host), out,       \
		                                      sizeof(out));            \
		CHECK_PL(pl_make(out, w_), want);                              \
		CHECK_EQ_INT(out[w_], 0);                                      \
	} while (0)

#define ACS_HI                                                                 \
	"History-Info: <sip:+14255550100@sip.pstnhub.microsoft.com:5061;"      \
	"user=phone?Reason=SIP%3Bcause%3D302>;index=1,<sip:+14255550199@"      \
	"sip.pstnhub.microsoft.com:5061;user=phone>;index=1.1\r\n"

/* interop.md 1.8: ACS's History-Info for a forward, +14255550100
 * diverted (302, unconditional) to +14255550199. */
static void test_acs_history_info(void)
{
	struct divert_chain ch;

	CHECK_EQ_INT(hi_of(ACS_HI, &ch), 1);
	CHECK_EQ_INT(ch.n, 1);
	CHECK_PL(ch.hop[0].uri,
	         "sip:+14255550100@sip.pstnhub.microsoft.com:5061;user=phone");
	CHECK_PL(ch.hop[0].user, "+14255550100");
	CHECK_EQ_INT(ch.hop[0].cause, 302);
	CHECK(!ch.hop[0].privacy);
	CHECK(strcmp(ch.hop[0].index, "1") == 0);
	CHECK_PL(ch.target,
	         "sip:+14255550199@sip.pstnhub.microsoft.com:5061;user=phone");
	CHECK(strcmp(ch.target_index, "1.1") == 0);

	/* F19: the Diversion a carrier wants, our host in place of
	 * Microsoft's (topology hiding), or the URI as received. */
	CHECK_DIV(&ch, HOST,
	          "<sip:+14255550100@sbc1.contoso.com;user=phone>"
	          ";reason=unconditional;counter=1");
	CHECK_DIV(&ch, NOHOST,
	          "<sip:+14255550100@sip.pstnhub.microsoft.com:5061;"
	          "user=phone>;reason=unconditional;counter=1");
	/* Back to History-Info: the original indices, the Reason in the
	 * diverting entry, RFC 4458 cause + mp on the target. */
	CHECK_HI(&ch, NOHOST,
	         "<sip:+14255550100@sip.pstnhub.microsoft.com:5061;user=phone"
	         "?Reason=SIP%3Bcause%3D302>;index=1,"
	         "<sip:+14255550199@sip.pstnhub.microsoft.com:5061;user=phone;"
	         "cause=302>;index=1.1;mp=1");
	CHECK_HI(&ch, HOST,
	         "<sip:+14255550100@sbc1.contoso.com;user=phone"
	         "?Reason=SIP%3Bcause%3D302>;index=1,"
	         "<sip:+14255550199@sbc1.contoso.com;user=phone;"
	         "cause=302>;index=1.1;mp=1");

	/* The Reason with a text, and Q.850 before SIP (first SIP one). */
	CHECK_EQ_INT(hi_of("History-Info: <sip:+14255550100@sip.pstnhub."
	                   "microsoft.com:5061;user=phone?Reason=Q.850%3B"
	                   "cause%3D17%2CSIP%3Bcause%3D486%3Btext%3D%22Busy"
	                   "%20Here%22>;index=1,<sip:+14255550199@sip.pstnhub"
	                   ".microsoft.com:5061;user=phone>;index=1.1\r\n",
	                   &ch),
	             1);
	CHECK_EQ_INT(ch.hop[0].cause, 486);
	CHECK_DIV(&ch, HOST,
	          "<sip:+14255550100@sbc1.contoso.com;user=phone>"
	          ";reason=user-busy;counter=1");
}

/* RFC 7544 section 7's Diversion example (with real addresses: the
 * RFC's "diverting_user1_address" is a placeholder) into History-Info,
 * and back. */
static void test_rfc7544_diversion_to_history_info(void)
{
	struct divert_chain ch, back;
	char hi[2048];
	size_t n;

	CHECK_EQ_INT(div_of("Diversion: <sip:user3@example.com>;reason="
	                    "unconditional;counter=1;privacy=off,\r\n"
	                    " <sip:user2@example.com>;reason=user-busy;"
	                    "counter=1;privacy=full,\r\n"
	                    " <sip:user1@example.com>;reason=no-answer;"
	                    "counter=1;privacy=off\r\n",
	                    &ch),
	             3);
	CHECK_PL(ch.hop[0].uri, "sip:user1@example.com");
	CHECK_PL(ch.hop[0].user, "user1");
	CHECK_EQ_INT(ch.hop[0].cause, 408);
	CHECK(!ch.hop[0].privacy);
	CHECK(ch.hop[0].index[0] == '\0');
	CHECK_PL(ch.hop[1].uri, "sip:user2@example.com");
	CHECK_EQ_INT(ch.hop[1].cause, 486);
	CHECK(ch.hop[1].privacy);
	CHECK_PL(ch.hop[2].uri, "sip:user3@example.com");
	CHECK_EQ_INT(ch.hop[2].cause, 302);
	CHECK(!pl_isset(ch.target));

	/* The Request-URI is the last diverting target. */
	ch.target = PL("sip:target@example.com");
	CHECK_HI(&ch, NOHOST,
	         "<sip:user1@example.com?Reason=SIP%3Bcause%3D408>;index=1,"
	         "<sip:user2@example.com;cause=408?Reason=SIP%3Bcause%3D486"
	         "&Privacy=history>;index=1.1;mp=1,"
	         "<sip:user3@example.com;cause=486?Reason=SIP%3Bcause%3D302>"
	         ";index=1.1.1;mp=1.1,"
	         "<sip:target@example.com;cause=302>;index=1.1.1.1;mp=1.1.1");
	/* Without a target the last cause is only in the Reason. */
	ch.target = PL_NULL;
	CHECK_HI(&ch, NOHOST,
	         "<sip:user1@example.com?Reason=SIP%3Bcause%3D408>;index=1,"
	         "<sip:user2@example.com;cause=408?Reason=SIP%3Bcause%3D486"
	         "&Privacy=history>;index=1.1;mp=1,"
	         "<sip:user3@example.com;cause=486?Reason=SIP%3Bcause%3D302>"
	         ";index=1.1.1;mp=1.1");

	/* What we wrote reads back to the same chain, and to the same
	 * Diversion (privacy=off is written by leaving it out). */
	ch.target = PL("sip:target@example.com");
	n = divert_write_history_info(&ch, NOHOST, hi, sizeof(hi));
	CHECK(n > 0);
	char line[2100];
	snprintf(line, sizeof(line), "History-Info: %.*s\r\n", (int)n, hi);
	/* (ch pointed into the message hi_of has just replaced) */
	CHECK_EQ_INT(hi_of(line, &back), 3);
	CHECK_PL(back.hop[0].uri, "sip:user1@example.com");
	CHECK_PL(back.hop[1].uri, "sip:user2@example.com;cause=408");
	CHECK_PL(back.hop[2].uri, "sip:user3@example.com;cause=486");
	CHECK_PL(back.hop[0].user, "user1");
	CHECK_PL(back.hop[1].user, "user2");
	CHECK_PL(back.hop[2].user, "user3");
	CHECK_EQ_INT(back.hop[0].cause, 408);
	CHECK_EQ_INT(back.hop[1].cause, 486);
	CHECK_EQ_INT(back.hop[2].cause, 302);
	CHECK(!back.hop[0].privacy);
	CHECK(back.hop[1].privacy);
	CHECK(!back.hop[2].privacy);
	CHECK(strcmp(back.hop[2].index, "1.1.1") == 0);
	CHECK_PL(back.target, "sip:target@example.com;cause=302");
	CHECK_DIV(&back, NOHOST,
	          "<sip:user3@example.com>;reason=unconditional;counter=1,"
	          "<sip:user2@example.com>;reason=user-busy;counter=1;"
	          "privacy=full,"
	          "<sip:user1@example.com>;reason=no-answer;counter=1");
}

/* RFC 7544 section 7's History-Info side: the diversions marked by the
 * RFC 4458 cause param and mp, no Reason. */
static void test_rfc7544_history_info_to_diversion(void)
{
	struct divert_chain ch;

	CHECK_EQ_INT(hi_of("History-Info: <sip:user1@example.com?Privacy="
	                   "none>;index=1,\r\n"
	                   " <sip:user2@example.com;cause=408?Privacy=history>"
	                   ";index=1.1;mp=1,\r\n"
	                   " <sip:user3@example.com;cause=486?Privacy=none>;"
	                   "index=1.1.1;mp=1.1,\r\n"
	                   " <sip:target@example.com;cause=302>;index=1.1.1.1;"
	                   "mp=1.1.1\r\n",
	                   &ch),
	             3);
	CHECK_EQ_INT(ch.hop[0].cause, 408);
	CHECK_EQ_INT(ch.hop[1].cause, 486);
	CHECK_EQ_INT(ch.hop[2].cause, 302);
	CHECK(!ch.hop[0].privacy);
	CHECK(ch.hop[1].privacy);
	CHECK(!ch.hop[2].privacy);
	/* The hop's URI keeps its params; the cause one is left out when
	 * written (it says why the previous hop diverted). */
	CHECK_PL(ch.hop[1].uri, "sip:user2@example.com;cause=408");
	CHECK_DIV(&ch, NOHOST,
	          "<sip:user3@example.com>;reason=unconditional;counter=1,"
	          "<sip:user2@example.com>;reason=user-busy;counter=1;"
	          "privacy=full,"
	          "<sip:user1@example.com>;reason=no-answer;counter=1");
	CHECK_HI(&ch, NOHOST,
	         "<sip:user1@example.com?Reason=SIP%3Bcause%3D408>;index=1,"
	         "<sip:user2@example.com;cause=408?Reason=SIP%3Bcause%3D486"
	         "&Privacy=history>;index=1.1;mp=1,"
	         "<sip:user3@example.com;cause=486?Reason=SIP%3Bcause%3D302>"
	         ";index=1.1.1;mp=1.1,"
	         "<sip:target@example.com;cause=302>;index=1.1.1.1;mp=1.1.1");

	/* The cause param wins over the escaped Reason (it is the
	 * diversion's reason; the Reason is the response). */
	CHECK_EQ_INT(hi_of("History-Info: <sip:a@example.com?Reason=SIP%3B"
	                   "cause%3D480>;index=1,<sip:b@example.com;cause=486>"
	                   ";index=1.1;mp=1\r\n",
	                   &ch),
	             1);
	CHECK_EQ_INT(ch.hop[0].cause, 486);
}

/* Diversion: newest first across fields and within a comma list;
 * commas inside <...> and quoted strings do not separate. */
static void test_diversion_order(void)
{
	struct divert_chain ch;

	CHECK_EQ_INT(div_of("Diversion: \"Desk, Main\" <sip:+13@example.com>"
	                    ";reason=user-busy, <sip:+12@example.com>;"
	                    "reason=no-answer;counter=1\r\n"
	                    "Subject: between\r\n"
	                    "Diversion: <sip:+1,1@example.com;user=phone>;"
	                    "reason=\"unconditional\"\r\n",
	                    &ch),
	             3);
	CHECK_PL(ch.hop[0].uri, "sip:+1,1@example.com;user=phone");
	CHECK_PL(ch.hop[0].user, "+1,1");
	CHECK_EQ_INT(ch.hop[0].cause, 302);
	CHECK_PL(ch.hop[1].user, "+12");
	CHECK_EQ_INT(ch.hop[1].cause, 408);
	CHECK_PL(ch.hop[2].user, "+13");
	CHECK_EQ_INT(ch.hop[2].cause, 486);
	CHECK_DIV(&ch, NOHOST,
	          "<sip:+13@example.com>;reason=user-busy;counter=1,"
	          "<sip:+12@example.com>;reason=no-answer;counter=1,"
	          "<sip:+1,1@example.com;user=phone>;reason=unconditional;"
	          "counter=1");

	/* The counter is recorded, not expanded, and written back. A
	 * reason we have no cause for passes through a Diversion as it
	 * was, and maps to 404 for History-Info. No reason: cause 0. */
	CHECK_EQ_INT(div_of("Diversion: <sip:+15@example.com>;reason=time-of-"
	                    "day;counter=3;limit=5;screen=no;x-ext=1\r\n"
	                    "Diversion: <sip:+14@example.com>\r\n",
	                    &ch),
	             2);
	CHECK_EQ_INT(ch.hop[1].counter, 3);
	CHECK_EQ_INT(ch.hop[1].cause, 404);
	CHECK_EQ_INT(ch.hop[0].cause, 0);
	CHECK_EQ_INT(ch.hop[0].counter, 1);
	CHECK_DIV(&ch, HOST,
	          "<sip:+15@sbc1.contoso.com;user=phone>;reason=time-of-day;"
	          "counter=3,<sip:+14@sbc1.contoso.com;user=phone>;"
	          "reason=unknown;counter=1");
	CHECK_HI(&ch, NOHOST,
	         "<sip:+14@example.com>;index=1,"
	         "<sip:+15@example.com?Reason=SIP%3Bcause%3D404>;index=1.1;"
	         "mp=1");

	/* tel: URIs: rebuilt as sip with a host, kept without; a tel URI
	 * takes no ?headers in History-Info. */
	CHECK_EQ_INT(div_of("Diversion: <tel:+14255550100>;reason=deflection"
	                    "\r\n",
	                    &ch),
	             1);
	CHECK_PL(ch.hop[0].user, "+14255550100");
	CHECK_EQ_INT(ch.hop[0].cause, 480);
	CHECK_DIV(&ch, HOST,
	          "<sip:+14255550100@sbc1.contoso.com;user=phone>;"
	          "reason=deflection;counter=1");
	CHECK_DIV(&ch, NOHOST,
	          "<tel:+14255550100>;reason=deflection;counter=1");
	CHECK_HI(&ch, NOHOST, "<tel:+14255550100>;index=1");

	/* No header at all: 0 hops, nothing written. */
	CHECK_EQ_INT(div_of("", &ch), 0);
	CHECK_EQ_INT(ch.n, 0);
	CHECK_EQ_INT(divert_write_diversion(&ch, HOST, out, sizeof(out)), 0);
	CHECK_EQ_INT(divert_write_history_info(&ch, HOST, out, sizeof(out)), 0);
	CHECK_EQ_INT(hi_of("", &ch), 0);
}

static void test_privacy(void)
{
	struct divert_chain ch;

	/* Diversion full, name and uri read as private; off does not. */
	CHECK_EQ_INT(div_of("Diversion: <sip:+14@example.com>;reason=user-"
	                    "busy;privacy=uri,<sip:+13@example.com>;reason="
	                    "user-busy;privacy=name,<sip:+12@example.com>;"
	                    "reason=user-busy;privacy=FULL,<sip:+11@example."
	                    "com>;reason=user-busy;privacy=off\r\n",
	                    &ch),
	             4);
	CHECK(!ch.hop[0].privacy);
	CHECK(ch.hop[1].privacy);
	CHECK(ch.hop[2].privacy);
	CHECK(ch.hop[3].privacy);
	CHECK_HI(&ch, HOST,
	         "<sip:+11@sbc1.contoso.com;user=phone?Reason=SIP%3Bcause%3D486"
	         ">;index=1,"
	         "<sip:+12@sbc1.contoso.com;user=phone;cause=486?Reason=SIP%3B"
	         "cause%3D486&Privacy=history>;index=1.1;mp=1,"
	         "<sip:+13@sbc1.contoso.com;user=phone;cause=486?Reason=SIP%3B"
	         "cause%3D486&Privacy=history>;index=1.1.1;mp=1.1,"
	         "<sip:+14@sbc1.contoso.com;user=phone;cause=486?Reason=SIP%3B"
	         "cause%3D486&Privacy=history>;index=1.1.1.1;mp=1.1.1");

	/* History-Info: Privacy=history escaped in one entry. */
	CHECK_EQ_INT(hi_of("History-Info: <sip:+11@example.com?Privacy=history"
	                   "&Reason=SIP%3Bcause%3D302>;index=1,<sip:+12@"
	                   "example.com>;index=1.1\r\n",
	                   &ch),
	             1);
	CHECK(ch.hop[0].privacy);
	CHECK_DIV(&ch, NOHOST,
	          "<sip:+11@example.com>;reason=unconditional;counter=1;"
	          "privacy=full");
	/* Private without a cause: ?Privacy alone. */
	ch.hop[0].cause = 0;
	CHECK_HI(&ch, NOHOST,
	         "<sip:+11@example.com?Privacy=history>;index=1,"
	         "<sip:+12@example.com>;index=1.1;mp=1");

	/* A Privacy: history header covers every entry. */
	CHECK_EQ_INT(hi_of("Privacy: id; History\r\n" ACS_HI, &ch), 1);
	CHECK(ch.hop[0].privacy);
	CHECK_EQ_INT(hi_of("Privacy: id\r\n" ACS_HI, &ch), 1);
	CHECK(!ch.hop[0].privacy);
}

/* Every row of the RFC 7544 tables, by function and through headers. */
static void test_mapping(void)
{
	static const struct {
		uint16_t cause;
		const char *reason;
	} hi_to_div[] = {
	        {302, "unconditional"}, {486, "user-busy"},
	        {408, "no-answer"},     {480, "deflection"},
	        {487, "deflection"},    {503, "unavailable"},
	        {404, "unknown"},       {0, "unknown"},
	        {500, "unknown"},       {603, "unknown"},
	};
	static const struct {
		const char *reason;
		uint16_t cause;
	} div_to_hi[] = {
	        {"unknown", 404},     {"unconditional", 302},
	        {"user-busy", 486},   {"no-answer", 408},
	        {"deflection", 480},  {"unavailable", 503},
	        {"time-of-day", 404}, {"do-not-disturb", 404},
	        {"follow-me", 404},   {"out-of-service", 404},
	        {"away", 404},        {"User-Busy", 486},
	        {"x-vendor", 404},
	};
	struct divert_chain ch;
	char line[512], want[512];

	for (size_t i = 0; i < sizeof(hi_to_div) / sizeof(hi_to_div[0]); i++) {
		CHECK(strcmp(divert_cause_reason(hi_to_div[i].cause),
		             hi_to_div[i].reason) == 0);
		if (!hi_to_div[i].cause)
			continue;
		snprintf(line, sizeof(line),
		         "History-Info: <sip:+1@example.com?Reason=SIP%%3B"
		         "cause%%3D%u>;index=1,<sip:+2@example.com>;"
		         "index=1.1\r\n",
		         (unsigned)hi_to_div[i].cause);
		CHECK_EQ_INT(hi_of(line, &ch), 1);
		CHECK_EQ_INT(ch.hop[0].cause, hi_to_div[i].cause);
		snprintf(want, sizeof(want),
		         "<sip:+1@example.com>;reason=%s;counter=1",
		         hi_to_div[i].reason);
		size_t n =
		        divert_write_diversion(&ch, NOHOST, out, sizeof(out));
		CHECK(n == strlen(want) && strcmp(out, want) == 0);
	}
	for (size_t i = 0; i < sizeof(div_to_hi) / sizeof(div_to_hi[0]); i++) {
		struct pl r = pl_make(div_to_hi[i].reason,
		                      strlen(div_to_hi[i].reason));
		CHECK_EQ_INT(divert_reason_cause(r), div_to_hi[i].cause);
		snprintf(line, sizeof(line),
		         "Diversion: <sip:+1@example.com>;reason=%s\r\n",
		         div_to_hi[i].reason);
		CHECK_EQ_INT(div_of(line, &ch), 1);
		CHECK_EQ_INT(ch.hop[0].cause, div_to_hi[i].cause);
		snprintf(want, sizeof(want),
		         "<sip:+1@example.com?Reason=SIP%%3Bcause%%3D%u>;"
		         "index=1",
		         (unsigned)div_to_hi[i].cause);
		size_t n = divert_write_history_info(&ch, NOHOST, out,
		                                     sizeof(out));
		CHECK(n == strlen(want) && strcmp(out, want) == 0);
	}
	/* A cause outside 100..699 in a Reason or cause param: unknown. */
	CHECK_EQ_INT(hi_of("History-Info: <sip:+1@example.com?Reason=SIP%3B"
	                   "cause%3D60000>;index=1,<sip:+2@example.com;"
	                   "cause=99>;index=1.1\r\n",
	                   &ch),
	             1);
	CHECK_EQ_INT(ch.hop[0].cause, 0);
}

/* Which History-Info entries are diversions. */
static void test_history_info_paths(void)
{
	struct divert_chain ch;

	/* A registered contact (rc) is not a diversion; its 302 to carol
	 * (mp) is. */
	CHECK_EQ_INT(hi_of("History-Info: <sip:bob@example.com>;index=1,"
	                   "<sip:bob@192.0.2.7:5060>;index=1.1;rc=1,"
	                   "<sip:carol@example.com;cause=302>;index=1.1.1;"
	                   "mp=1.1\r\n",
	                   &ch),
	             1);
	CHECK_PL(ch.hop[0].uri, "sip:bob@192.0.2.7:5060");
	CHECK(strcmp(ch.hop[0].index, "1.1") == 0);
	CHECK_EQ_INT(ch.hop[0].cause, 302);

	/* A fork that failed (1.1, 486) is not on the path to the target
	 * (1.2, retargeted from 1 by mp). */
	CHECK_EQ_INT(hi_of("History-Info: <sip:+1@example.com>;index=1,"
	                   "<sip:bob@example.com?Reason=SIP%3Bcause%3D486>;"
	                   "index=1.1\r\nHistory-Info: <sip:vm@example.com;"
	                   "cause=486>;index=1.2;mp=1\r\n",
	                   &ch),
	             1);
	CHECK_PL(ch.hop[0].user, "+1");
	CHECK_EQ_INT(ch.hop[0].cause, 486);
	CHECK(strcmp(ch.hop[0].index, "1") == 0);
	CHECK_PL(ch.target, "sip:vm@example.com;cause=486");
	CHECK_HI(&ch, NOHOST,
	         "<sip:+1@example.com?Reason=SIP%3Bcause%3D486>;index=1,"
	         "<sip:vm@example.com;cause=486>;index=1.2;mp=1");

	/* One entry: the target, no hop. A gap (parent not there): the
	 * walk ends at it. */
	CHECK_EQ_INT(
	        hi_of("History-Info: <sip:+1@example.com>;index=1\r\n", &ch),
	        0);
	CHECK_PL(ch.target, "sip:+1@example.com");
	CHECK_EQ_INT(divert_write_history_info(&ch, NOHOST, out, sizeof(out)),
	             0);
	CHECK_EQ_INT(hi_of("History-Info: <sip:+1@example.com>;index=1,"
	                   "<sip:+2@example.com>;index=1.1.1,<sip:+3@example."
	                   "com>;index=1.1.1.1\r\n",
	                   &ch),
	             1);
	CHECK_PL(ch.hop[0].user, "+2");

	/* An mp pointing forward or at itself is no parent (the walk only
	 * looks back): it ends, no loop. */
	CHECK_EQ_INT(hi_of("History-Info: <sip:+1@example.com>;index=1;"
	                   "mp=1.1,<sip:+2@example.com>;index=1.1;mp=1.1\r\n",
	                   &ch),
	             0);

	/* Sixteen hops fit (1.1, 1.2 mp=1.1, 1.3 mp=1.2, ...); an index of
	 * 23 characters fits. */
	char line[4096];
	size_t l = (size_t)snprintf(line, sizeof(line), "History-Info: ");
	for (int i = 0; i <= DIVERT_MAX; i++) {
		l += (size_t)snprintf(line + l, sizeof(line) - l,
		                      "%s<sip:+%d@example.com>;index=1.%d",
		                      i ? "," : "", i, i + 1);
		if (i)
			l += (size_t)snprintf(line + l, sizeof(line) - l,
			                      ";mp=1.%d", i);
	}
	snprintf(line + l, sizeof(line) - l, "\r\n");
	CHECK_EQ_INT(hi_of(line, &ch), DIVERT_MAX);
	CHECK(strcmp(ch.hop[0].index, "1.1") == 0);
	CHECK(strcmp(ch.hop[DIVERT_MAX - 1].index, "1.16") == 0);
	CHECK_EQ_INT(ch.hop[DIVERT_MAX - 1].cause, 0);
	CHECK_PL(ch.target, "sip:+16@example.com");
	CHECK_EQ_INT(hi_of("History-Info: <sip:+1@example.com>;index=1.1.1.1"
	                   ".1.1.1.1.1.1.1.1,<sip:+2@example.com>;index=1.1."
	                   "1.1.1.1.1.1.1.1.1.2\r\n",
	                   &ch),
	             0); /* siblings, the parent 1.1.1.1.1.1.1.1.1.1.1 absent */
	CHECK_EQ_INT(hi_of("History-Info: <sip:+1@example.com>;index=1.1.1.1"
	                   ".1.1.1.1.1.1.1.1,<sip:+2@example.com>;index=1.1."
	                   "1.1.1.1.1.1.1.1.1.2;mp=1.1.1.1.1.1.1.1.1.1.1."
	                   "1\r\n",
	                   &ch),
	             1);
	CHECK(strcmp(ch.hop[0].index, "1.1.1.1.1.1.1.1.1.1.1.1") == 0);
	CHECK(strcmp(ch.target_index, "1.1.1.1.1.1.1.1.1.1.1.2") == 0);
}

static void test_malformed(void)
{
	struct divert_chain ch;
	static const char *const bad_hi[] = {
	        /* unclosed < */
	        "History-Info: <sip:+1@example.com;index=1,<sip:+2@example"
	        ".com>;index=1.1\r\n",
	        /* no index, bad indices */
	        "History-Info: <sip:+1@example.com>\r\n",
	        "History-Info: <sip:+1@example.com>;index=1..2\r\n",
	        "History-Info: <sip:+1@example.com>;index=a\r\n",
	        "History-Info: <sip:+1@example.com>;index=0\r\n",
	        "History-Info: <sip:+1@example.com>;index=1.65536\r\n",
	        "History-Info: <sip:+1@example.com>;index=1;index=1\r\n",
	        "History-Info: <sip:+1@example.com>;index=1;mp=x\r\n",
	        "History-Info: <sip:+1@example.com>;index=1.\r\n",
	        /* duplicate index */
	        "History-Info: <sip:+1@example.com>;index=1,<sip:+2@example"
	        ".com>;index=1\r\n",
	        /* an index longer than we keep (24 chars) */
	        "History-Info: <sip:+1@example.com>;index=1.1.1.1.1.1.1.1."
	        "1.1.1.11\r\n",
	        /* empty element, no < > */
	        "History-Info: <sip:+1@example.com>;index=1,,<sip:+2@"
	        "example.com>;index=1.1\r\n",
	        "History-Info: sip:+1@example.com;index=1\r\n",
	        /* a broken escaped Reason */
	        "History-Info: <sip:+1@example.com?Reason=SIP%3Bcause%3D>;"
	        "index=1\r\n",
	};
	static const char *const bad_div[] = {
	        "Diversion: <sip:+1@example.com;reason=user-busy\r\n",
	        "Diversion: <sip:+1@example.com>;reason=user-busy;"
	        "counter=100\r\n",
	        "Diversion: <sip:+1@example.com>;reason=user-busy;"
	        "counter=99999999999999999999\r\n",
	        "Diversion: <sip:+1@example.com>;counter=\r\n",
	        "Diversion: <sip:+1@example.com>;reason=a;reason=b\r\n",
	        "Diversion: sip:+1@example.com;reason=user-busy\r\n",
	        "Diversion: <sip:+1@example.com>;reason=user-busy,\r\n",
	        "Diversion: <>;reason=user-busy\r\n",
	        "Diversion: <sip:+1@exa mple.com>;reason=user-busy\r\n",
	        /* a bad one after a good field: the whole is refused */
	        "Diversion: <sip:+2@example.com>;reason=user-busy\r\n"
	        "Diversion: <sip:+1@example.com>;limit=123\r\n",
	};
	char line[12000];
	size_t l;

	for (size_t i = 0; i < sizeof(bad_hi) / sizeof(bad_hi[0]); i++) {
		ch.n = 99;
		int r = hi_of(bad_hi[i], &ch);
		if (r != -1)
			fprintf(stderr, "accepted: %s", bad_hi[i]);
		CHECK_EQ_INT(r, -1);
		CHECK_EQ_INT(ch.n, 0);
	}
	for (size_t i = 0; i < sizeof(bad_div) / sizeof(bad_div[0]); i++) {
		ch.n = 99;
		int r = div_of(bad_div[i], &ch);
		if (r != -1)
			fprintf(stderr, "accepted: %s", bad_div[i]);
		CHECK_EQ_INT(r, -1);
		CHECK_EQ_INT(ch.n, 0);
	}

	/* Too many entries: DIVERT_MAX + 1 Diversions, over several
	 * fields. */
	l = 0;
	for (int i = 0; i <= DIVERT_MAX; i++)
		l += (size_t)snprintf(line + l, sizeof(line) - l,
		                      "Diversion: <sip:+%d@example.com>;"
		                      "reason=user-busy\r\n",
		                      i);
	CHECK_EQ_INT(div_of(line, &ch), -1);
	CHECK_EQ_INT(ch.n, 0);
	/* ... DIVERT_MAX is fine. */
	l = (size_t)snprintf(line, sizeof(line), "Diversion: ");
	for (int i = 0; i < DIVERT_MAX; i++)
		l += (size_t)snprintf(
		        line + l, sizeof(line) - l,
		        "%s<sip:+%d@example.com>;reason=no-answer",
		        i ? "," : "", i);
	snprintf(line + l, sizeof(line) - l, "\r\n");
	CHECK_EQ_INT(div_of(line, &ch), DIVERT_MAX);
	CHECK_PL(ch.hop[0].user, "+15");
	CHECK_PL(ch.hop[DIVERT_MAX - 1].user, "+0");

	/* History-Info: DIVERT_MAX + 1 hops (a 1, 1.1, 1.1.1 chain) is too
	 * many; so is more than DIVERT_HI_MAX entries of any shape. */
	l = (size_t)snprintf(line, sizeof(line), "History-Info: ");
	for (int i = 0; i <= DIVERT_MAX + 1; i++) {
		l += (size_t)snprintf(line + l, sizeof(line) - l,
		                      "%s<sip:+%d@example.com>;index=1.%d",
		                      i ? "," : "", i, i + 1);
		if (i)
			l += (size_t)snprintf(line + l, sizeof(line) - l,
			                      ";mp=1.%d", i);
	}
	snprintf(line + l, sizeof(line) - l, "\r\n");
	CHECK_EQ_INT(hi_of(line, &ch), -1); /* 18 entries: 17 hops */
	CHECK_EQ_INT(ch.n, 0);
	l = (size_t)snprintf(line, sizeof(line), "History-Info: ");
	for (int i = 0; i <= DIVERT_HI_MAX; i++)
		l += (size_t)snprintf(line + l, sizeof(line) - l,
		                      "%s<sip:+%d@example.com>;index=%d",
		                      i ? "," : "", i, i + 1);
	snprintf(line + l, sizeof(line) - l, "\r\n");
	CHECK_EQ_INT(hi_of(line, &ch), -1);
	/* DIVERT_HI_MAX siblings (no hop among them) are fine. */
	l = (size_t)snprintf(line, sizeof(line), "History-Info: ");
	for (int i = 0; i < DIVERT_HI_MAX; i++)
		l += (size_t)snprintf(line + l, sizeof(line) - l,
		                      "%s<sip:+%d@example.com>;index=%d",
		                      i ? "," : "", i, i + 1);
	snprintf(line + l, sizeof(line) - l, "\r\n");
	CHECK_EQ_INT(hi_of(line, &ch), 0);

	/* A field over DIVERT_FIELD_MAX (under the parser's own limit). */
	l = (size_t)snprintf(line, sizeof(line),
	                     "Diversion: <sip:+1@example.com;x=");
	while (l < DIVERT_FIELD_MAX + 40)
		line[l++] = 'a';
	l += (size_t)snprintf(line + l, sizeof(line) - l,
	                      ">;reason=user-busy\r\n");
	CHECK_EQ_INT(div_of(line, &ch), -1);
	memcpy(line, "History-Info: <sip:+1@example.com;x=", 36);
	l = 36;
	while (l < DIVERT_FIELD_MAX + 40)
		line[l++] = 'a';
	snprintf(line + l, sizeof(line) - l, ">;index=1\r\n");
	CHECK_EQ_INT(hi_of(line, &ch), -1);
}

/* A value that does not fit is not written (0), at every length. */
static void test_truncation(void)
{
	struct divert_chain ch;
	char small[512];
	size_t full;

	CHECK_EQ_INT(hi_of(ACS_HI, &ch), 1);
	full = divert_write_diversion(&ch, HOST, small, sizeof(small));
	CHECK_EQ_INT(full, strlen("<sip:+14255550100@sbc1.contoso.com;"
	                          "user=phone>;reason=unconditional;"
	                          "counter=1"));
	for (size_t cap = 0; cap < full; cap++) {
		memset(small, 'x', sizeof(small));
		CHECK_EQ_INT(divert_write_diversion(&ch, HOST, small, cap), 0);
		if (cap)
			CHECK_EQ_INT(small[0], 0);
		CHECK_EQ_INT(small[cap], 'x'); /* nothing past cap */
	}
	/* Exactly the length: written, no room for the NUL. */
	memset(small, 'x', sizeof(small));
	CHECK_EQ_INT(divert_write_diversion(&ch, HOST, small, full), full);
	CHECK_EQ_INT(small[full], 'x');
	CHECK_EQ_INT(divert_write_diversion(&ch, HOST, small, full + 1), full);
	CHECK_EQ_INT(small[full], 0);

	full = divert_write_history_info(&ch, NOHOST, small, sizeof(small));
	CHECK(full > 100);
	for (size_t cap = 0; cap < full; cap++) {
		memset(small, 'x', sizeof(small));
		CHECK_EQ_INT(divert_write_history_info(&ch, NOHOST, small, cap),
		             0);
		CHECK_EQ_INT(small[cap], 'x');
	}
	CHECK_EQ_INT(divert_write_history_info(&ch, NOHOST, small, full), full);
	CHECK_EQ_INT(divert_write_diversion(&ch, HOST, NULL, 100), 0);

	/* A host that is not a host. */
	CHECK_EQ_INT(
	        divert_write_diversion(&ch, PL("a>b"), small, sizeof(small)),
	        0);
	CHECK_EQ_INT(
	        divert_write_history_info(&ch, PL("a b"), small, sizeof(small)),
	        0);
}

/* A transfer: the original called number as a new hop (302). */
static void test_add(void)
{
	struct divert_chain ch;

	/* The called number of a call that came with no history. */
	divert_init(&ch);
	CHECK_EQ_INT(divert_add(&ch, PL("sip:+14255550199@sbc1.contoso.com"),
	                        PL("+14255550199"), 302),
	             0);
	CHECK_DIV(&ch, HOST,
	          "<sip:+14255550199@sbc1.contoso.com;user=phone>;"
	          "reason=unconditional;counter=1");
	ch.target = PL("sip:+18005550100@example.com;user=phone");
	CHECK_HI(&ch, NOHOST,
	         "<sip:+14255550199@sbc1.contoso.com?Reason=SIP%3Bcause%3D302>"
	         ";index=1,<sip:+18005550100@example.com;user=phone;cause=302>"
	         ";index=1.1;mp=1");

	/* After ACS's forward: the new hop goes one level below the last
	 * original one, and the target below it. */
	CHECK_EQ_INT(hi_of(ACS_HI, &ch), 1);
	CHECK_EQ_INT(divert_add(&ch, ch.target, PL_NULL, 302), 0);
	CHECK_EQ_INT(ch.n, 2);
	CHECK_PL(ch.hop[1].user, "+14255550199");
	ch.target = PL("sip:+18005550100@example.com");
	CHECK_DIV(&ch, HOST,
	          "<sip:+14255550199@sbc1.contoso.com;user=phone>;"
	          "reason=unconditional;counter=1,"
	          "<sip:+14255550100@sbc1.contoso.com;user=phone>;"
	          "reason=unconditional;counter=1");
	CHECK_HI(&ch, HOST,
	         "<sip:+14255550100@sbc1.contoso.com;user=phone?Reason=SIP%3B"
	         "cause%3D302>;index=1,"
	         "<sip:+14255550199@sbc1.contoso.com;user=phone;cause=302"
	         "?Reason=SIP%3Bcause%3D302>;index=1.1;mp=1,"
	         "<sip:+18005550100@sbc1.contoso.com;user=phone;cause=302>;"
	         "index=1.1.1;mp=1.1");

	/* ?headers are dropped; bad input refused; full is full. */
	divert_init(&ch);
	CHECK_EQ_INT(
	        divert_add(&ch, PL("sip:a@example.com?Subject=x"), PL_NULL, 0),
	        0);
	CHECK_PL(ch.hop[0].uri, "sip:a@example.com");
	CHECK_PL(ch.hop[0].user, "a");
	CHECK_EQ_INT(divert_add(&ch, PL("not a uri"), PL_NULL, 302), -1);
	CHECK_EQ_INT(divert_add(&ch, PL_NULL, PL("+1"), 302), -1);
	CHECK_EQ_INT(divert_add(&ch, PL("sip:a@example.com"), PL("+1>"), 302),
	             -1);
	CHECK_EQ_INT(divert_add(&ch, PL("sip:a@example.com"), PL("+1"), 99),
	             -1);
	CHECK_EQ_INT(divert_add(&ch, PL("sip:a@example.com"), PL("+1"), 700),
	             -1);
	CHECK_EQ_INT(ch.n, 1);
	while (ch.n < DIVERT_MAX)
		CHECK_EQ_INT(
		        divert_add(&ch, PL("sip:+1@example.com"), PL_NULL, 486),
		        0);
	CHECK_EQ_INT(divert_add(&ch, PL("sip:+1@example.com"), PL_NULL, 486),
	             -1);
	CHECK_EQ_INT(ch.n, DIVERT_MAX);
	/* A full chain of derived indices still writes (1 + 16 levels). */
	ch.target = PL("sip:+2@example.com");
	size_t n = divert_write_history_info(&ch, NOHOST, out, sizeof(out));
	CHECK(n > 0);
	CHECK(strstr(out, ";index=1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1;mp=") !=
	      NULL);
	CHECK(divert_write_diversion(&ch, NOHOST, out, sizeof(out)) > 0);
}

int main(void)
{
	RUN(test_acs_history_info);
	RUN(test_rfc7544_diversion_to_history_info);
	RUN(test_rfc7544_history_info_to_diversion);
	RUN(test_diversion_order);
	RUN(test_privacy);
	RUN(test_mapping);
	RUN(test_history_info_paths);
	RUN(test_malformed);
	RUN(test_truncation);
	RUN(test_add);
	return test_summary();
}
