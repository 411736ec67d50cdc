/* test_health.c: Active/Inactive with hysteresis, Retry-After holds, and
 * the failover order of a trunk's servers (sip, sip2, sip3). */
#include "tests/test.h"
#include "trunk/health.h"

static void test_hysteresis(void)
{
	struct server_health s;
	const struct health_conf c = {.up_after = 1, .down_after = 2};

	memset(&s, 0, sizeof(s));
	CHECK(s.status == TRUNK_INACTIVE);
	/* the first check always reports (since when) */
	CHECK(health_record(&s, &c, 1000, 0, "TLS: certificate has expired", 0,
	                    0));
	CHECK(s.status == TRUNK_INACTIVE);
	CHECK(strstr(s.reason, "expired") != NULL);
	CHECK(health_record(&s, &c, 2000, 200, NULL, 0, 12));
	CHECK(s.status == TRUNK_ACTIVE);
	CHECK_EQ_INT(s.since_ms, 2000);
	CHECK_EQ_INT(s.last_rtt_ms, 12);
	/* one failure is not enough with down_after 2 */
	CHECK(!health_record(&s, &c, 3000, 408, "408 no answer", 0, 0));
	CHECK(s.status == TRUNK_ACTIVE);
	CHECK(health_record(&s, &c, 4000, 408, "408 no answer", 0, 0));
	CHECK(s.status == TRUNK_INACTIVE);
	CHECK_EQ_INT(s.since_ms, 4000);
	CHECK(strstr(s.reason, "408") != NULL);
	/* still Inactive: the same reason again is no news, a new one is */
	CHECK(!health_record(&s, &c, 4500, 408, "408 no answer", 0, 0));
	CHECK(health_record(&s, &c, 4600, 0, "connect: Connection refused", 0,
	                    0));
	CHECK_EQ_INT(s.since_ms, 4000);
	/* a success in between resets the count */
	CHECK(health_record(&s, &c, 5000, 200, NULL, 0, 5));
	CHECK(!health_record(&s, &c, 6000, 503, "503", 0, 0));
	CHECK(!health_record(&s, &c, 7000, 200, NULL, 0, 5));
	CHECK(!health_record(&s, &c, 8000, 503, "503", 0, 0));
	CHECK(s.status == TRUNK_ACTIVE);
	/* 403 is a failure (ACS does not know our FQDN) */
	CHECK(!health_code_ok(403));
	CHECK(health_code_ok(200));
}

static void test_up_after(void)
{
	struct server_health s;
	const struct health_conf c = {.up_after = 3, .down_after = 1};

	memset(&s, 0, sizeof(s));
	health_record(&s, &c, 0, 200, NULL, 0, 1);
	health_record(&s, &c, 1, 200, NULL, 0, 1);
	CHECK(s.status == TRUNK_INACTIVE);
	CHECK(health_record(&s, &c, 2, 200, NULL, 0, 1));
	CHECK(s.status == TRUNK_ACTIVE);
	CHECK(health_record(&s, &c, 3, 0, "connect: Connection refused", 0, 0));
	CHECK(s.status == TRUNK_INACTIVE);
}

static void test_failover_order_and_retry_after(void)
{
	struct server_health s[3];
	const struct health_conf c = {.up_after = 1, .down_after = 1};

	memset(s, 0, sizeof(s));
	/* nothing known yet: try sip first */
	CHECK_EQ_INT(health_pick(s, 3, 0), 0);
	health_record(&s[0], &c, 0, 200, NULL, 0, 1);
	health_record(&s[1], &c, 0, 200, NULL, 0, 1);
	CHECK_EQ_INT(health_pick(s, 3, 0), 0);
	CHECK(health_trunk_status(s, 3) == TRUNK_ACTIVE);
	/* sip answers 503 with Retry-After: 10 -> sip2 until it expires */
	health_record(&s[0], &c, 1000, 503, "503 Service Unavailable", 10, 0);
	CHECK_EQ_INT(health_pick(s, 3, 1000), 1);
	CHECK_EQ_INT(health_pick(s, 3, 10999), 1);
	/* after the hold: sip is tried again, but it is Inactive so the
	 * Active sip2 goes first */
	CHECK_EQ_INT(health_pick(s, 3, 11000), 1);
	health_record(&s[1], &c, 12000, 0, "TLS: no shared cipher", 0, 0);
	CHECK(health_trunk_status(s, 3) == TRUNK_INACTIVE);
	/* none Active: the first not on hold, in order */
	CHECK_EQ_INT(health_pick(s, 3, 12000), 0);
	/* all on hold */
	health_record(&s[0], &c, 13000, 503, "503", 60, 0);
	health_record(&s[1], &c, 13000, 503, "503", 60, 0);
	health_record(&s[2], &c, 13000, 503, "503", 60, 0);
	CHECK_EQ_INT(health_pick(s, 3, 14000), -1);
	CHECK(strcmp(health_status_name(TRUNK_ACTIVE), "Active") == 0);
}

int main(void)
{
	RUN(test_hysteresis);
	RUN(test_up_after);
	RUN(test_failover_order_and_retry_after);
	return test_summary();
}
