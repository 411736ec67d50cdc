/* test_cidr.c: the allow-lists' prefix set: longest prefix wins, IPv4 and
 * IPv6 edges (/0, /32, /128), overlaps, equal prefixes, v4-mapped. */
#include "tests/test.h"
#include "trunk/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int add(struct cidr_set *s, const char *cidr, int value)
{
	char ip[64];
	uint8_t a[16];
	const char *sl = strchr(cidr, '/');
	size_t n = sl ? (size_t)(sl - cidr) : strlen(cidr);
	int v6 = memchr(cidr, ':', n) != NULL;

	memcpy(ip, cidr, n);
	ip[n] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, a) != 1)
		return -2;
	return cidr_set_add(s, v6 ? 6 : 4, a,
	                    (uint8_t)(sl ? atoi(sl + 1) : (v6 ? 128 : 32)),
	                    value);
}

static int look(const struct cidr_set *s, const char *ip)
{
	uint8_t a[16];

	if (strchr(ip, ':')) {
		struct sockaddr_in6 s6;
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6.sin6_addr);
		return cidr_set_lookup_sa(s, (struct sockaddr *)&s6);
	}
	inet_pton(AF_INET, ip, a);
	return cidr_set_lookup(s, 4, a);
}

static void test_v4(void)
{
	struct cidr_set *s = cidr_set_new();

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ_INT(add(s, "52.112.0.0/14", 0), 0); /* ACS */
	CHECK_EQ_INT(add(s, "52.120.0.0/14", 0), 0); /* ACS */
	CHECK_EQ_INT(add(s, "10.0.0.0/8", 1), 0);    /* wide */
	CHECK_EQ_INT(add(s, "10.1.0.0/16", 2), 0);   /* inside it */
	CHECK_EQ_INT(add(s, "10.1.2.3/32", 3), 0);   /* one host */
	CHECK_EQ_INT(add(s, "192.0.2.77/24", 4), 0); /* host bits cleared */
	CHECK_EQ_INT(add(s, "198.51.100.0/24", 5), 0);
	CHECK_EQ_INT(add(s, "198.51.100.0/24", 6), 0); /* equal: first wins */
	CHECK_EQ_INT(add(s, "1.2.3.4/33", 7), -1);     /* bad prefix */
	CHECK_EQ_INT(cidr_set_build(s), 0);
	CHECK_EQ_INT(cidr_set_count(s), 8);
	CHECK_EQ_INT(add(s, "8.8.8.8/32", 9), -1); /* built: read-only */

	CHECK_EQ_INT(look(s, "52.112.0.0"), 0);
	CHECK_EQ_INT(look(s, "52.115.255.255"), 0); /* last of the /14 */
	CHECK_EQ_INT(look(s, "52.116.0.0"), -1);    /* just past it */
	CHECK_EQ_INT(look(s, "52.111.255.255"), -1);
	CHECK_EQ_INT(look(s, "52.123.1.1"), 0);
	CHECK_EQ_INT(look(s, "10.200.0.1"), 1);
	CHECK_EQ_INT(look(s, "10.1.9.9"), 2); /* the /16 beats the /8 */
	CHECK_EQ_INT(look(s, "10.1.2.3"), 3); /* the /32 beats both */
	CHECK_EQ_INT(look(s, "10.1.2.4"), 2);
	CHECK_EQ_INT(look(s, "192.0.2.1"), 4);
	CHECK_EQ_INT(look(s, "198.51.100.9"), 5);
	CHECK_EQ_INT(look(s, "127.0.0.1"), -1);
	CHECK_EQ_INT(look(s, "::ffff:10.1.2.3"), 3); /* v4-mapped */
	CHECK_EQ_INT(look(s, "::a01:203"), -1);      /* not mapped: v6 */
	cidr_set_free(s);
}

static void test_v6_and_zero(void)
{
	struct cidr_set *s = cidr_set_new();

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ_INT(add(s, "2603:1063::/38", 0), 0);
	CHECK_EQ_INT(add(s, "::1/128", 1), 0);
	CHECK_EQ_INT(add(s, "::/0", 2), 0);      /* every IPv6 address */
	CHECK_EQ_INT(add(s, "0.0.0.0/0", 3), 0); /* every IPv4 address */
	CHECK_EQ_INT(add(s, "2001:db8::/129", 9), -1);
	CHECK_EQ_INT(cidr_set_build(s), 0);
	CHECK_EQ_INT(look(s, "2603:1063::1"), 0);
	CHECK_EQ_INT(look(s, "2603:1063:3ff:ffff:ffff:ffff:ffff:ffff"), 0);
	CHECK_EQ_INT(look(s, "2603:1063:400::"), 2); /* past the /38 */
	CHECK_EQ_INT(look(s, "::1"), 1);
	CHECK_EQ_INT(look(s, "::2"), 2);
	CHECK_EQ_INT(look(s, "203.0.113.5"), 3); /* families apart */
	CHECK_EQ_INT(look(s, "::ffff:203.0.113.5"), 3);
	cidr_set_free(s);

	/* empty: nothing matches */
	s = cidr_set_new();
	CHECK(s && cidr_set_build(s) == 0);
	CHECK_EQ_INT(look(s, "10.0.0.1"), -1);
	CHECK_EQ_INT(look(s, "::1"), -1);
	cidr_set_free(s);
}

/* One prefix against a socket address (the in-dialog source check). */
static bool holds(const char *pfx, unsigned len, const char *ip)
{
	uint8_t a[16];
	int v6 = strchr(pfx, ':') != NULL;
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, pfx, a) != 1)
		return false;
	if (strchr(ip, ':')) {
		struct sockaddr_in6 s6;
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6.sin6_addr);
		memcpy(&ss, &s6, sizeof(s6));
	} else {
		struct sockaddr_in s4;
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4.sin_addr);
		memcpy(&ss, &s4, sizeof(s4));
	}
	return cidr_holds_sa(v6 ? 6 : 4, a, (uint8_t)len,
	                     (const struct sockaddr *)&ss);
}

static void test_holds(void)
{
	CHECK(holds("52.112.0.0", 14, "52.112.0.1"));
	CHECK(holds("52.112.0.0", 14, "52.115.255.255"));
	CHECK(!holds("52.112.0.0", 14, "52.116.0.0"));
	CHECK(!holds("52.112.0.0", 14, "52.111.255.255"));
	CHECK(holds("127.0.0.2", 32, "127.0.0.2"));
	CHECK(!holds("127.0.0.2", 32, "127.0.0.3"));
	CHECK(holds("0.0.0.0", 0, "203.0.113.9"));
	CHECK(holds("2603:1063::", 38, "2603:1063:0:3ff::1"));
	CHECK(!holds("2603:1063::", 38, "2603:1063:400::1"));
	CHECK(holds("::1", 128, "::1"));
	CHECK(!holds("::1", 128, "::2"));
	/* v4-mapped IPv6 is the IPv4 address; families never mix */
	CHECK(holds("127.0.0.0", 8, "::ffff:127.0.0.4"));
	CHECK(!holds("::", 0, "127.0.0.4"));
	CHECK(!holds("0.0.0.0", 0, "::1"));
	CHECK(!holds("10.0.0.0", 33, "10.0.0.1")); /* no such prefix */
}

int main(void)
{
	RUN(test_v4);
	RUN(test_v6_and_zero);
	RUN(test_holds);
	return test_summary();
}
