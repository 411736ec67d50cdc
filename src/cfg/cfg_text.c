/* cfg_text.c: pure checks over config text: addresses, prefixes, DNS
 * names, durations, and the "did you mean" suggestion. No I/O. */
#include "cfg/cfg_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------- addresses */

bool cfg_parse_ip(const char *s, struct cfg_addr *out, char *canon,
                  size_t canon_cap)
{
	struct cfg_addr a;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.addr) == 1) {
		a.family = 4;
		if (canon &&
		    !inet_ntop(AF_INET, a.addr, canon, (socklen_t)canon_cap))
			return false;
	} else if (inet_pton(AF_INET6, s, a.addr) == 1) {
		a.family = 6;
		if (canon &&
		    !inet_ntop(AF_INET6, a.addr, canon, (socklen_t)canon_cap))
			return false;
	} else {
		return false;
	}
	if (out)
		*out = a;
	return true;
}

int cfg_parse_cidr(const char *s, struct cfg_cidr *out, char *net,
                   size_t net_cap)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t iplen = slash ? (size_t)(slash - s) : strlen(s);
	if (iplen == 0 || iplen >= sizeof(ip))
		return 1;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	struct cfg_addr a;
	if (!cfg_parse_ip(ip, &a, NULL, 0))
		return 1;
	unsigned max = a.family == 4 ? 32 : 128;
	unsigned prefix = max;
	if (slash) {
		const char *p = slash + 1;
		size_t n = strlen(p);
		if (n == 0 || n > 3)
			return n == 0 ? 1 : 2;
		prefix = 0;
		for (size_t i = 0; i < n; i++) {
			if (!is_digit(p[i]))
				return 1;
			prefix = prefix * 10 + (unsigned)(p[i] - '0');
		}
		if (prefix > max)
			return 2;
	}
	struct cfg_cidr c;
	memset(&c, 0, sizeof(c));
	c.family = a.family;
	c.prefix = (uint8_t)prefix;
	memcpy(c.addr, a.addr, sizeof(c.addr));
	bool host_bits = false;
	unsigned bytes = max / 8;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned first = i * 8;
		uint8_t mask;
		if (first + 8 <= prefix)
			mask = 0xff;
		else if (first >= prefix)
			mask = 0;
		else
			mask = (uint8_t)(0xff << (8 - (prefix - first)));
		if (c.addr[i] & (uint8_t)~mask)
			host_bits = true;
		c.addr[i] &= mask;
	}
	if (out)
		*out = c;
	if (host_bits) {
		if (net && net_cap) {
			char t[INET6_ADDRSTRLEN];
			if (!inet_ntop(a.family == 4 ? AF_INET : AF_INET6,
			               c.addr, t, sizeof(t)))
				t[0] = '\0';
			snprintf(net, net_cap, "%s/%u", t, prefix);
		}
		return 3;
	}
	return 0;
}

/* ------------------------------------------------------------- DNS names */

bool cfg_dns_name_ok(const char *s, bool wildcard)
{
	size_t total = strlen(s);
	if (total == 0 || total > 253)
		return false;
	if (wildcard && s[0] == '*' && s[1] == '.') {
		s += 2;
		total -= 2;
		if (total == 0)
			return false;
	}
	const char *label = s;
	const char *last = s;
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t len = (size_t)(p - label);
			if (len == 0 || len > 63)
				return false;
			if (label[0] == '-' || p[-1] == '-')
				return false;
			last = label;
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') ||
		          (ch >= 'A' && ch <= 'Z') || is_digit(ch) || ch == '-';
		if (!ok)
			return false;
	}
	/* The top-level label is never all digits (RFC 3696 2): that keeps
	 * "10.0.0.300" from passing as a name. */
	for (const char *p = last; *p; p++)
		if (!is_digit(*p))
			return true;
	return false;
}

/* ------------------------------------------------------------- durations */

struct unit {
	const char *name;
	uint32_t ms;
	const char *canon;
};

static const struct unit units[] = {
        {"ms", 1, "ms"},           {"msec", 1, "ms"},
        {"msecs", 1, "ms"},        {"millisecond", 1, "ms"},
        {"milliseconds", 1, "ms"}, {"s", 1000, "s"},
        {"sec", 1000, "s"},        {"secs", 1000, "s"},
        {"second", 1000, "s"},     {"seconds", 1000, "s"},
        {"m", 60000, "m"},         {"min", 60000, "m"},
        {"mins", 60000, "m"},      {"minute", 60000, "m"},
        {"minutes", 60000, "m"},   {"h", 3600000, "h"},
        {"hr", 3600000, "h"},      {"hrs", 3600000, "h"},
        {"hour", 3600000, "h"},    {"hours", 3600000, "h"},
};

static const struct unit *find_unit(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		const char *n = units[i].name;
		if (strlen(n) != len)
			continue;
		size_t j = 0;
		while (j < len && lower(s[j]) == n[j])
			j++;
		if (j == len)
			return &units[i];
	}
	return NULL;
}

void cfg_fmt_duration(uint32_t ms, char *buf, size_t cap)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, cap, "%luh", (unsigned long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, cap, "%lum", (unsigned long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, cap, "%lus", (unsigned long)(ms / 1000));
	else
		snprintf(buf, cap, "%lums", (unsigned long)ms);
}

int cfg_parse_duration(const char *s, uint32_t *ms, char *hint, size_t hint_cap)
{
	if (hint && hint_cap)
		hint[0] = '\0';
	/* number: digits, optionally a fraction (only for the hint) */
	uint64_t whole = 0, frac = 0, frac_div = 1;
	size_t i = 0, nd = 0;
	for (; is_digit(s[i]); i++, nd++) {
		if (whole > UINT32_MAX)
			return -1;
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (nd == 0)
		return -1;
	bool fraction = false;
	if (s[i] == '.') {
		fraction = true;
		i++;
		for (; is_digit(s[i]); i++) {
			if (frac_div < 1000000) {
				frac = frac * 10 + (uint64_t)(s[i] - '0');
				frac_div *= 10;
			}
		}
	}
	size_t gap = 0;
	while (s[i + gap] == ' ' || s[i + gap] == '\t')
		gap++;
	const char *u = s + i + gap;
	size_t ulen = strlen(u);
	const struct unit *unit;
	if (ulen == 0)
		unit = &units[5]; /* bare number: seconds */
	else
		unit = find_unit(u, ulen);
	if (!unit)
		return -1;
	uint64_t total = whole * unit->ms + frac * unit->ms / frac_div;
	bool exact =
	        !fraction && gap == 0 && (ulen == 0 || !strcmp(u, unit->canon));
	if (exact) {
		if (total > UINT32_MAX)
			return -1;
		*ms = (uint32_t)total;
		return 0;
	}
	/* Close to a duration: say how to write it. */
	if (hint && hint_cap && total <= UINT32_MAX &&
	    (frac * unit->ms) % frac_div == 0) {
		if (!fraction)
			snprintf(hint, hint_cap, "%lu%s", (unsigned long)whole,
			         unit->canon);
		else
			cfg_fmt_duration((uint32_t)total, hint, hint_cap);
	}
	return -1;
}

/* ------------------------------------------------------------ suggestion */

/* Optimal string alignment distance, ASCII case-insensitive. */
static size_t osa_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return SIZE_MAX;
	size_t d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost =
			        lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 &&
			    lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

static bool prefix_of(const char *p, const char *s)
{
	for (; *p; p++, s++)
		if (lower(*p) != lower(*s))
			return false;
	return true;
}

const char *cfg_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t wl = strlen(word);
	size_t limit = wl <= 4 ? 1 : (wl <= 8 ? 2 : 3);
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t d = osa_distance(word, cands[i]);
		if (d <= limit && d < best_d) {
			best = cands[i];
			best_d = d;
		}
	}
	if (best)
		return best;
	/* "acs" for "acs-direct-routing", "options_interval_s" for
	 * "options_interval": one is the start of the other. */
	if (wl >= 3) {
		for (size_t i = 0; i < n; i++) {
			if (prefix_of(word, cands[i]) ||
			    (strlen(cands[i]) >= 3 &&
			     prefix_of(cands[i], word)))
				return cands[i];
		}
	}
	return NULL;
}

void cfg_join(const char *const *names, size_t n, char *buf, size_t cap)
{
	size_t off = 0;
	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < n && off < cap; i++) {
		int w = snprintf(buf + off, cap - off, "%s%s", i ? ", " : "",
		                 names[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}
