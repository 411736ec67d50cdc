/* ipranges.c: a Genesys ip-ranges JSON file -> allow-list prefixes (see
 * ipranges.h). JSON is parsed with jansson. */
#include "trunk/ipranges.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IPR_SEEN_MAX 16 /* distinct names remembered per field */
#define IPR_NAME_MAX 64 /* one name, with its NUL */
#define IPR_CIDR_MAX 64 /* one cidr string, with its NUL */

/* Distinct values seen in one field, for messages. */
struct seen {
	char v[IPR_SEEN_MAX][IPR_NAME_MAX];
	size_t n;
	bool more; /* more distinct values than fit */
};

static void setf(char *dst, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void setf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
}

static char lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

static bool caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return false;
	return *a == *b;
}

/* The entity's string field, or NULL when absent, not a string, or
 * holding a NUL. */
static const char *field(json_t *e, const char *key)
{
	json_t *v = json_object_get(e, key);
	if (!json_is_string(v))
		return NULL;
	const char *s = json_string_value(v);
	return strlen(s) == json_string_length(v) ? s : NULL;
}

/* An empty list takes any value; otherwise the value must be in it. */
static bool in_filter(const char *const *list, size_t n, const char *v)
{
	if (n == 0)
		return true;
	for (size_t i = 0; v && i < n; i++)
		if (caseeq(list[i], v))
			return true;
	return false;
}

/* A printable copy, cut to fit. */
static void copy_name(char *dst, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s[i] && i + 1 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		dst[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	dst[i] = '\0';
}

static void seen_add(struct seen *s, const char *v)
{
	char name[IPR_NAME_MAX];

	if (!v)
		return;
	copy_name(name, sizeof(name), v);
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return;
	if (s->n == IPR_SEEN_MAX) {
		s->more = true;
		return;
	}
	memcpy(s->v[s->n++], name, sizeof(name));
}

/* "a, b, c" (", ..." when more were seen); "none" when empty. */
static void seen_join(const struct seen *s, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	if (s->n == 0) {
		setf(out, cap, "none");
		return;
	}
	for (size_t i = 0; i < s->n && used < cap; i++) {
		int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "",
		                 s->v[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (s->more && used < cap)
		snprintf(out + used, cap - used, ", ...");
}

/* ["a", "b"] */
static void filter_join(const char *const *list, size_t n, char *out,
                        size_t cap)
{
	size_t used = 0;
	int w = snprintf(out, cap, "[");
	used = w > 0 ? (size_t)w : 0;
	for (size_t i = 0; i < n && used < cap; i++) {
		char name[IPR_NAME_MAX];
		copy_name(name, sizeof(name), list[i]);
		w = snprintf(out + used, cap - used, "%s\"%s\"", i ? ", " : "",
		             name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used < cap)
		snprintf(out + used, cap - used, "]");
}

/* A prefix: 0 ok, 1 not one, 2 length out of range, 3 bits set after
 * the prefix (out holds the network; net its text). */
static int parse_cidr(const char *s, struct cfg_cidr *out, char *net,
                      size_t net_cap)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t iplen = slash ? (size_t)(slash - s) : strlen(s);

	if (iplen == 0 || iplen >= sizeof(ip))
		return 1;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, ip, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, ip, out->addr) == 1)
		out->family = 6;
	else
		return 1;
	unsigned max = out->family == 4 ? 32 : 128, prefix = max;
	if (slash) {
		const char *p = slash + 1;
		size_t n = strlen(p);
		if (n == 0)
			return 1;
		if (n > 3)
			return 2;
		prefix = 0;
		for (size_t i = 0; i < n; i++) {
			if (p[i] < '0' || p[i] > '9')
				return 1;
			prefix = prefix * 10 + (unsigned)(p[i] - '0');
		}
		if (prefix > max)
			return 2;
	}
	out->prefix = (uint8_t)prefix;
	bool host = false;
	for (unsigned i = 0; i < max / 8; i++) {
		unsigned first = i * 8;
		uint8_t m = first + 8 <= prefix ? 0xff
		            : first >= prefix
		                    ? 0
		                    : (uint8_t)(0xff << (8 - (prefix - first)));
		host = host || (out->addr[i] & (uint8_t)~m);
		out->addr[i] &= m;
	}
	if (!host)
		return 0;
	char t[INET6_ADDRSTRLEN];
	if (!inet_ntop(out->family == 4 ? AF_INET : AF_INET6, out->addr, t,
	               sizeof(t)))
		t[0] = '\0';
	setf(net, net_cap, "%s/%u", t, prefix);
	return 3;
}

static void skip(struct ipr_result *r, size_t *counter, size_t idx,
                 const char *what)
{
	(*counter)++;
	if (!r->skip_reason[0])
		setf(r->skip_reason, sizeof(r->skip_reason),
		     "entities[%zu]: %s", idx, what);
}

/* One entity: filtered, skipped or kept into r->cidrs. */
static void entity(struct ipr_result *r, const struct cfg_ip_ranges *f,
                   json_t *e, size_t idx, struct seen seen[3],
                   struct seen *other, size_t match[3])
{
	if (!json_is_object(e)) {
		skip(r, &r->bad_entry, idx, "not an object");
		return;
	}
	const char *svc = field(e, "service"), *reg = field(e, "region"),
	           *dir = field(e, "direction");
	seen_add(&seen[0], svc);
	seen_add(&seen[1], reg);
	seen_add(&seen[2], dir);
	bool ms = in_filter(f->services, f->n_services, svc);
	bool mr = in_filter(f->regions, f->n_regions, reg);
	bool md = in_filter(f->directions, f->n_directions, dir);
	match[0] += ms;
	match[1] += mr;
	match[2] += md;
	if (!ms)
		seen_add(other, svc ? svc : "(none)");
	if (!ms || !mr || !md) {
		r->filtered++;
		return;
	}
	json_t *cv = json_object_get(e, "cidr");
	const char *cs = field(e, "cidr");
	if (!cs) {
		skip(r, &r->bad_entry, idx,
		     cv ? "cidr is not a string" : "no cidr");
		return;
	}
	char what[IPR_REASON_MAX - 32], name[IPR_CIDR_MAX], net[80];
	copy_name(name, sizeof(name), cs);
	if (strlen(cs) >= IPR_CIDR_MAX) {
		setf(what, sizeof(what), "%.40s...: not a CIDR prefix", name);
		skip(r, &r->bad_cidr, idx, what);
		return;
	}
	struct cfg_cidr c;
	switch (parse_cidr(cs, &c, net, sizeof(net))) {
	case 0:
		r->cidrs[r->n++] = c;
		return;
	case 1:
		setf(what, sizeof(what), "%s: not a CIDR prefix", name);
		skip(r, &r->bad_cidr, idx, what);
		return;
	case 2:
		setf(what, sizeof(what),
		     "%s: prefix length out of range (0-32 for IPv4, 0-128 "
		     "for IPv6)",
		     name);
		skip(r, &r->bad_cidr, idx, what);
		return;
	default:
		setf(what, sizeof(what),
		     "%s: bits set after the prefix (did you mean %s?)", name,
		     net);
		skip(r, &r->host_bits, idx, what);
		return;
	}
}

/* Why nothing was kept, in one line. */
static void none_kept(struct ipr_result *r, const char *name,
                      const struct cfg_ip_ranges *f, const struct seen seen[3],
                      const size_t match[3])
{
	static const char *const fname[3] = {"services", "regions",
	                                     "directions"};
	const char *const *lists[3] = {f->services, f->regions, f->directions};
	size_t ns[3] = {f->n_services, f->n_regions, f->n_directions};
	char fl[160], sl[IPR_NAMES_MAX];

	if (r->bad_entry == r->total) {
		setf(r->reason, sizeof(r->reason),
		     "%s: no entity kept: none of the %zu entries is an object "
		     "with a cidr string",
		     name, r->total);
		return;
	}
	for (size_t i = 0; i < 3; i++) {
		if (ns[i] == 0 || match[i] != 0)
			continue;
		filter_join(lists[i], ns[i], fl, sizeof(fl));
		seen_join(&seen[i], sl, sizeof(sl));
		setf(r->reason, sizeof(r->reason),
		     "%s: no entity kept: %s filter %s matched none of %zu "
		     "entries (%s seen: %s)",
		     name, fname[i], fl, r->total, fname[i], sl);
		return;
	}
	if (r->filtered + r->bad_entry == r->total) {
		setf(r->reason, sizeof(r->reason),
		     "%s: no entity kept: no entry matches the services, "
		     "regions and directions filters together (%zu entries)",
		     name, r->total);
		return;
	}
	setf(r->reason, sizeof(r->reason),
	     "%s: no entity kept: the entries that match the filters have no "
	     "usable cidr (first: %s)",
	     name, r->skip_reason);
}

static void result_init(struct ipr_result *r)
{
	memset(r, 0, sizeof(*r));
}

/* Parse buf into r (initialized by the caller; its stamp is kept). */
static int parse(const char *name, const char *buf, size_t len,
                 const struct cfg_ip_ranges *filter,
                 const struct ipr_limits *lim, struct ipr_result *r)
{
	static const struct cfg_ip_ranges any;
	size_t max_bytes =
	        lim && lim->max_bytes ? lim->max_bytes : IPR_MAX_BYTES;
	size_t max_entries =
	        lim && lim->max_entries ? lim->max_entries : IPR_MAX_ENTRIES;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = -1;

	if (!filter)
		filter = &any;
	name = name ? name : "ip-ranges";
	if (len > max_bytes) {
		setf(r->reason, sizeof(r->reason), "%s: %zu bytes; at most %zu",
		     name, len, max_bytes);
		return -1;
	}
	size_t k = 0;
	while (k < len && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\r' ||
	                   buf[k] == '\n'))
		k++;
	if (k == len) {
		setf(r->reason, sizeof(r->reason),
		     "%s: empty file; expected the JSON of GET "
		     "/api/v2/ipranges",
		     name);
		return -1;
	}
	root = json_loadb(buf, len, 0, &jerr);
	if (!root) {
		setf(r->reason, sizeof(r->reason), "%s: line %d: %s", name,
		     jerr.line, jerr.text);
		return -1;
	}
	json_t *list = root;
	if (json_is_object(root)) {
		list = json_object_get(root, "entities");
		if (!list) {
			setf(r->reason, sizeof(r->reason),
			     "%s: no \"entities\" list (GET /api/v2/ipranges "
			     "answers {\"entities\":[...]})",
			     name);
			goto out;
		}
	}
	if (!json_is_array(list)) {
		setf(r->reason, sizeof(r->reason),
		     "%s: \"entities\" is not a list", name);
		goto out;
	}
	r->total = json_array_size(list);
	if (r->total == 0) {
		setf(r->reason, sizeof(r->reason),
		     "%s: no entities (empty list)", name);
		goto out;
	}
	if (r->total > max_entries) {
		setf(r->reason, sizeof(r->reason),
		     "%s: %zu entities; at most %zu", name, r->total,
		     max_entries);
		goto out;
	}
	r->cidrs = malloc(r->total * sizeof(*r->cidrs));
	struct seen *seen = calloc(4, sizeof(*seen)); /* 3 fields + other */
	if (!r->cidrs || !seen) {
		free(seen);
		setf(r->reason, sizeof(r->reason), "%s: out of memory", name);
		goto out;
	}
	size_t match[3] = {0, 0, 0};
	for (size_t i = 0; i < r->total; i++)
		entity(r, filter, json_array_get(list, i), i, seen, &seen[3],
		       match);
	if (filter->n_services && seen[3].n)
		seen_join(&seen[3], r->other_services,
		          sizeof(r->other_services));
	if (r->n == 0)
		none_kept(r, name, filter, seen, match);
	else
		rc = 0;
	free(seen);
out:
	json_decref(root);
	if (rc != 0) {
		free(r->cidrs);
		r->cidrs = NULL;
		r->n = 0;
	}
	return rc;
}

int ipr_load_buffer(const char *name, const char *buf, size_t len,
                    const struct cfg_ip_ranges *filter,
                    const struct ipr_limits *lim, struct ipr_result *r)
{
	result_init(r);
	return parse(name, buf ? buf : "", buf ? len : 0, filter, lim, r);
}

static const char *err_text(int e, char *buf, size_t cap)
{
	if (strerror_r(e, buf, cap) != 0)
		snprintf(buf, cap, "error %d", e);
	return buf;
}

static void stamp_from(const struct stat *st, struct ipr_stamp *s)
{
	s->ok = true;
	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
	s->size = (uint64_t)st->st_size;
	s->mtime_s = (int64_t)st->st_mtim.tv_sec;
	s->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
}

void ipr_stamp_of(const char *path, struct ipr_stamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (path && stat(path, &st) == 0)
		stamp_from(&st, s);
}

bool ipr_stamp_eq(const struct ipr_stamp *a, const struct ipr_stamp *b)
{
	if (!a->ok || !b->ok)
		return a->ok == b->ok;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns;
}

int ipr_load(const char *path, const struct cfg_ip_ranges *filter,
             const struct ipr_limits *lim, struct ipr_result *r)
{
	size_t max_bytes =
	        lim && lim->max_bytes ? lim->max_bytes : IPR_MAX_BYTES;
	const char *name = path ? path : "ip-ranges";
	struct stat st;
	char *buf = NULL, msg[128];
	size_t len = 0;
	int fd, rc = -1;

	result_init(r);
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0) {
		setf(r->reason, sizeof(r->reason), "%s: cannot open: %s", name,
		     err_text(path ? errno : EINVAL, msg, sizeof(msg)));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		setf(r->reason, sizeof(r->reason), "%s: not a regular file",
		     name);
		goto out;
	}
	stamp_from(&st, &r->stamp);
	if ((uint64_t)st.st_size > max_bytes) {
		setf(r->reason, sizeof(r->reason),
		     "%s: %llu bytes; at most %zu", name,
		     (unsigned long long)st.st_size, max_bytes);
		goto out;
	}
	/* the size stat gave, plus room to see that the file grew */
	size_t cap = (size_t)st.st_size + 4096;
	if (cap > max_bytes + 1)
		cap = max_bytes + 1;
	buf = malloc(cap);
	if (!buf)
		goto oom;
	for (;;) {
		if (len == cap) {
			if (cap > max_bytes) {
				setf(r->reason, sizeof(r->reason),
				     "%s: more than %zu bytes", name,
				     max_bytes);
				goto out;
			}
			size_t ncap = cap * 2 > max_bytes + 1 ? max_bytes + 1
			                                      : cap * 2;
			char *nb = realloc(buf, ncap);
			if (!nb)
				goto oom;
			buf = nb;
			cap = ncap;
		}
		ssize_t got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			setf(r->reason, sizeof(r->reason), "%s: read error: %s",
			     name, err_text(errno, msg, sizeof(msg)));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	rc = parse(path, buf, len, filter, lim, r);
	goto out;
oom:
	setf(r->reason, sizeof(r->reason), "%s: out of memory", name);
out:
	free(buf);
	close(fd);
	return rc;
}

void ipr_result_free(struct ipr_result *r)
{
	if (!r)
		return;
	free(r->cidrs);
	r->cidrs = NULL;
	r->n = 0;
}
