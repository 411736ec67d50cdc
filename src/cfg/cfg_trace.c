/* cfg_trace.c: the trace section: SIP messages into rolling pcap files
 * and/or to a HEPv3 collector (docs/trace.md).
 *
 *   trace:
 *     pcap: { dir: /var/log/trunkbridge/trace, max_file_size: 10MB,
 *             max_files: 10, buffer_size: 256KB }
 *     hep: { address: 127.0.0.1:9060, id: 2001, password: ... }
 *     calls: [ "+1555*" ]      # only these calls (both legs); absent: all
 *     max_call_ids: 1024
 *
 * At least one of pcap and hep. Sizes are a whole number with B, KB, MB or
 * GB (1KB = 1024 bytes); a bare number is bytes. A calls pattern is a
 * number: digits, an optional leading +, '.' for any one digit and a
 * trailing '*' for any rest.
 */
#include "cfg/cfg_int.h"

#include <stdio.h>
#include <string.h>

enum { T_PCAP, T_HEP, T_CALLS, T_MAX_CALL_IDS, T_COUNT };
static const char *const trace_keys[T_COUNT] = {"pcap", "hep", "calls",
                                                "max_call_ids"};

enum { P_DIR, P_MAX_FILE_SIZE, P_MAX_FILES, P_BUFFER_SIZE, P_COUNT };
static const char *const pcap_keys[P_COUNT] = {"dir", "max_file_size",
                                               "max_files", "buffer_size"};

enum { H_ADDRESS, H_ID, H_PASSWORD, H_COUNT };
static const char *const hep_keys[H_COUNT] = {"address", "id", "password"};

#define KB                  1024ull
#define MB                  (1024ull * KB)
#define GB                  (1024ull * MB)
#define TRACE_PATTERN_MAX   32
#define TRACE_PASSWORD_MAX  128
#define TRACE_FILE_SIZE_MIN (64 * KB)
#define TRACE_FILE_SIZE_MAX (4 * GB)
#define TRACE_BUFFER_MIN    (128 * KB)
#define TRACE_BUFFER_MAX    (16 * MB)

/* "10MB", "512 KB", "1GB", "65536" (bytes). 0 ok, -1 not a size. */
static int parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *name;
		uint64_t mul;
	} units[] = {{"", 1},     {"b", 1},   {"k", KB},  {"kb", KB},
	             {"kib", KB}, {"m", MB},  {"mb", MB}, {"mib", MB},
	             {"g", GB},   {"gb", GB}, {"gib", GB}};
	uint64_t x = 0;
	size_t i = 0;

	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > 1000000000000ull)
			return -1;
	}
	if (i == 0)
		return -1;
	while (s[i] == ' ')
		i++;
	char unit[4];
	size_t n = strlen(s + i);
	if (n >= sizeof(unit))
		return -1;
	for (size_t j = 0; j <= n; j++) {
		char ch = s[i + j];
		unit[j] =
		        (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (strcmp(unit, units[u].name) == 0) {
			*out = x * units[u].mul;
			return 0;
		}
	}
	return -1;
}

static void fmt_size(uint64_t v, char *buf, size_t cap)
{
	if (v % GB == 0)
		snprintf(buf, cap, "%lluGB", (unsigned long long)(v / GB));
	else if (v % MB == 0)
		snprintf(buf, cap, "%lluMB", (unsigned long long)(v / MB));
	else if (v % KB == 0)
		snprintf(buf, cap, "%lluKB", (unsigned long long)(v / KB));
	else
		snprintf(buf, cap, "%llu", (unsigned long long)v);
}

static bool get_size(struct cfg_ctx *c, const struct cfg_val *v, uint64_t min,
                     uint64_t max, uint64_t *out)
{
	char buf[32], lo[24], hi[24], fix[160];
	uint64_t x;

	if (!cfg_text(c, v, buf, sizeof(buf)))
		return false;
	fmt_size(min, lo, sizeof(lo));
	fmt_size(max, hi, sizeof(hi));
	snprintf(fix, sizeof(fix),
	         "write a size from %s to %s: a whole number with KB, MB or "
	         "GB, e.g. 10MB",
	         lo, hi);
	if (parse_size(buf, &x) != 0) {
		cfg_err(c, v->pos, v->path, fix, "%s; not a size", buf);
		return false;
	}
	if (x < min || x > max) {
		cfg_err(c, v->pos, v->path, fix, "%s; out of range %s-%s", buf,
		        lo, hi);
		return false;
	}
	*out = x;
	return true;
}

static void parse_pcap(struct cfg_ctx *c, const struct cfg_val *v,
                       struct cfg_trace *t)
{
	struct cfg_val k[P_COUNT];
	uint64_t x;

	if (!cfg_map(c, v, pcap_keys, P_COUNT, NULL, 0, k))
		return;
	if (!k[P_DIR].node) {
		cfg_err(c, v->pos, k[P_DIR].path,
		        "add dir: /var/log/trunkbridge/trace",
		        "missing; the folder the pcap files go to");
	} else {
		char buf[CFG_FILE_MAX];
		if (cfg_text(c, &k[P_DIR], buf, sizeof(buf))) {
			size_t n = strlen(buf);
			while (n > 1 && buf[n - 1] == '/')
				buf[--n] = '\0';
			t->pcap_dir = cfg_strndup(c, buf, n);
			if (buf[0] != '/')
				cfg_warn(c, k[P_DIR].pos, k[P_DIR].path,
				         "write an absolute path, e.g. "
				         "/var/log/trunkbridge/trace",
				         "%s; a relative folder depends on the "
				         "directory trunkbridge starts in",
				         buf);
		}
	}
	if (k[P_MAX_FILE_SIZE].node &&
	    get_size(c, &k[P_MAX_FILE_SIZE], TRACE_FILE_SIZE_MIN,
	             TRACE_FILE_SIZE_MAX, &x))
		t->max_file_size = x;
	if (k[P_MAX_FILES].node)
		cfg_get_u32(c, &k[P_MAX_FILES], 1, 100000, NULL, &t->max_files);
	if (k[P_BUFFER_SIZE].node &&
	    get_size(c, &k[P_BUFFER_SIZE], TRACE_BUFFER_MIN, TRACE_BUFFER_MAX,
	             &x))
		t->buffer_size = (uint32_t)x;
}

static const char addr_fix[] =
        "write IP:PORT of the HEP collector, e.g. 127.0.0.1:9060 or "
        "[::1]:9060";

/* "127.0.0.1:9060", "[::1]:9060": an IP literal (no DNS on the send
 * path) and a port. */
static void get_hep_address(struct cfg_ctx *c, const struct cfg_val *v,
                            struct cfg_trace *t)
{
	char buf[96], host[96], canon[64], text[96];
	const char *port_s;

	if (!cfg_text(c, v, buf, sizeof(buf)))
		return;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':') {
			cfg_err(c, v->pos, v->path, addr_fix,
			        "%s; an IPv6 address needs [ADDRESS]:PORT",
			        buf);
			return;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(close - buf - 1),
		         buf + 1);
		port_s = close + 2;
	} else {
		char *colon = strrchr(buf, ':');
		if (!colon || strchr(buf, ':') != colon) {
			cfg_err(c, v->pos, v->path, addr_fix,
			        "%s; no port (or an IPv6 address without "
			        "brackets)",
			        buf);
			return;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - buf), buf);
		port_s = colon + 1;
	}
	size_t pl = strlen(port_s);
	unsigned port = 0;
	for (size_t i = 0; i < pl && i < 6; i++)
		port = port * 10 + (unsigned)(port_s[i] - '0');
	if (pl == 0 || pl > 5 || strspn(port_s, "0123456789") != pl ||
	    port < 1 || port > 65535) {
		cfg_err(c, v->pos, v->path, addr_fix,
		        "%s; the port is not a number from 1 to 65535", buf);
		return;
	}
	if (!cfg_parse_ip(host, &t->hep_address, canon, sizeof(canon))) {
		cfg_err(c, v->pos, v->path, addr_fix,
		        "%s; %s is not an IPv4 or IPv6 address (the "
		        "collector is not looked up in DNS)",
		        buf, host);
		return;
	}
	t->hep_port = (uint16_t)port;
	if (t->hep_address.family == 6)
		snprintf(text, sizeof(text), "[%s]:%u", canon, port);
	else
		snprintf(text, sizeof(text), "%s:%u", canon, port);
	t->hep_address.text = cfg_strndup(c, canon, strlen(canon));
	t->hep_text = cfg_strndup(c, text, strlen(text));
}

static void parse_hep(struct cfg_ctx *c, const struct cfg_val *v,
                      struct cfg_trace *t)
{
	struct cfg_val k[H_COUNT];

	if (!cfg_map(c, v, hep_keys, H_COUNT, NULL, 0, k))
		return;
	t->hep = true;
	if (!k[H_ADDRESS].node)
		cfg_err(c, v->pos, k[H_ADDRESS].path,
		        "add address: 127.0.0.1:9060 (the HEP collector)",
		        "missing; where the HEP packets go");
	else
		get_hep_address(c, &k[H_ADDRESS], t);
	if (k[H_ID].node)
		cfg_get_u32(c, &k[H_ID], 0, UINT32_MAX,
		            "use the capture agent id, a whole number, e.g. "
		            "2001",
		            &t->hep_id);
	if (k[H_PASSWORD].node) {
		char buf[TRACE_PASSWORD_MAX + 1];
		if (cfg_text(c, &k[H_PASSWORD], buf, sizeof(buf)))
			t->hep_password = cfg_strndup(c, buf, strlen(buf));
	}
}

/* +?[0-9.]+\*? or +?\* (any number). */
static bool pattern_ok(const char *p)
{
	size_t i = 0, digits = 0;

	if (p[i] == '+')
		i++;
	for (; p[i] && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.'); i++)
		digits++;
	if (p[i] == '*') {
		i++;
		digits++;
	}
	return digits > 0 && p[i] == '\0';
}

static void parse_calls(struct cfg_ctx *c, const struct cfg_val *v,
                        struct cfg_trace *t)
{
	size_t n;
	const char **out = cfg_list_alloc(
	        c, v, CFG_MAX_TRACE_CALLS, sizeof(*out), "number patterns",
	        "patterns", "calls: [\"+1555*\"]", &n);
	if (!out)
		return;
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		char buf[TRACE_PATTERN_MAX + 1];
		if (!cfg_text(c, &item, buf, sizeof(buf)))
			continue;
		if (!pattern_ok(buf)) {
			cfg_err(c, item.pos, item.path,
			        "write a number: digits with an optional "
			        "leading +, . for any one digit, a trailing * "
			        "for any rest, e.g. \"+1425555*\"",
			        "%s; not a number pattern", buf);
			continue;
		}
		out[k] = cfg_strndup(c, buf, strlen(buf));
		if (out[k])
			k++;
	}
	t->calls = out;
	t->n_calls = k;
}

void cfg_parse_trace(struct cfg_ctx *c, const struct cfg_val *v)
{
	struct cfg_trace *t = &c->cfg->trace;
	memset(t, 0, sizeof(*t));
	t->max_file_size = 10 * MB;
	t->max_files = 10;
	t->buffer_size = (uint32_t)(256 * KB);
	t->hep_id = 2001;
	t->max_call_ids = 1024;
	if (!v->node)
		return;
	struct cfg_val k[T_COUNT];
	if (!cfg_map(c, v, trace_keys, T_COUNT, NULL, 0, k))
		return;
	t->enabled = true;
	if (!k[T_PCAP].node && !k[T_HEP].node)
		cfg_err(c, v->pos, v->path,
		        "add pcap: { dir: /var/log/trunkbridge/trace } and/or "
		        "hep: { address: 127.0.0.1:9060 }",
		        "neither pcap nor hep; the trace goes nowhere");
	if (k[T_PCAP].node)
		parse_pcap(c, &k[T_PCAP], t);
	if (k[T_HEP].node)
		parse_hep(c, &k[T_HEP], t);
	if (k[T_CALLS].node)
		parse_calls(c, &k[T_CALLS], t);
	if (k[T_MAX_CALL_IDS].node)
		cfg_get_u32(c, &k[T_MAX_CALL_IDS], 16, 4096, NULL,
		            &t->max_call_ids);
}
