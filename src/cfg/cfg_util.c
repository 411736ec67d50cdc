/* cfg_util.c: the loader's arena, error list and typed readers over
 * libfyaml nodes. */
#include "cfg/cfg_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ arena */

struct cfg_chunk {
	struct cfg_chunk *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

struct cfg_arena {
	struct cfg_chunk *head;
};

#define CFG_CHUNK_SIZE 8192

struct cfg_arena *cfg_arena_new(void)
{
	return calloc(1, sizeof(struct cfg_arena));
}

void cfg_arena_free(struct cfg_arena *a)
{
	if (!a)
		return;
	struct cfg_chunk *k = a->head;
	while (k) {
		struct cfg_chunk *next = k->next;
		free(k);
		k = next;
	}
	free(a);
}

static void *arena_alloc(struct cfg_arena *a, size_t size)
{
	const size_t align = sizeof(max_align_t);
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX / 2)
		return NULL;
	size = (size + align - 1) / align * align;
	struct cfg_chunk *k = a->head;
	if (!k || k->cap - k->used < size) {
		size_t cap = size > CFG_CHUNK_SIZE ? size : CFG_CHUNK_SIZE;
		k = malloc(sizeof(*k) + cap);
		if (!k)
			return NULL;
		k->used = 0;
		k->cap = cap;
		/* A big one-off block goes behind the current chunk so the
		 * current chunk's free space stays in use. */
		if (a->head && cap > CFG_CHUNK_SIZE) {
			k->next = a->head->next;
			a->head->next = k;
		} else {
			k->next = a->head;
			a->head = k;
		}
	}
	void *p = (char *)k->data + k->used;
	k->used += size;
	memset(p, 0, size);
	return p;
}

void *cfg_alloc(struct cfg_ctx *c, size_t size)
{
	if (c->oom)
		return NULL;
	void *p = arena_alloc(c->arena, size);
	if (!p)
		c->oom = true;
	return p;
}

char *cfg_strndup(struct cfg_ctx *c, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = cfg_alloc(c, len + 1);
	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* ------------------------------------------------------------- reporting */

static void copy_trunc(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static struct cfg_error *error_slot(struct cfg_errors *E, enum cfg_severity sev)
{
	if (sev == CFG_SEV_ERROR)
		E->n_errors++;
	else
		E->n_warnings++;
	if (E->n < CFG_ERRORS_MAX)
		return &E->e[E->n++];
	E->dropped++;
	if (sev != CFG_SEV_ERROR)
		return NULL;
	/* Full: an error displaces the last stored warning. */
	for (size_t i = E->n; i-- > 0;) {
		if (E->e[i].severity == CFG_SEV_WARNING) {
			memmove(&E->e[i], &E->e[i + 1],
			        (E->n - i - 1) * sizeof(E->e[0]));
			return &E->e[E->n - 1];
		}
	}
	return NULL;
}

void cfg_report(struct cfg_ctx *c, enum cfg_severity sev, struct cfg_pos pos,
                const char *path, const char *fix, const char *fmt, ...)
{
	struct cfg_error *e = error_slot(c->errs, sev);
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	e->severity = sev;
	copy_trunc(e->file, sizeof(e->file), c->name);
	e->line = pos.line;
	e->column = pos.col;
	copy_trunc(e->path, sizeof(e->path), path);
	copy_trunc(e->fix, sizeof(e->fix), fix);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------- document walking */

struct cfg_pos cfg_node_pos(struct fy_node *n, struct cfg_pos fallback)
{
	void *it = NULL;
	switch (n ? fy_node_get_type(n) : FYNT_SCALAR) {
	case FYNT_SCALAR: {
		struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
		const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
		if (!m)
			return fallback;
		struct cfg_pos p = {m->line + 1, m->column + 1};
		/* The token starts after the opening quote: point at it. */
		enum fy_node_style st = fy_node_get_style(n);
		if ((st == FYNS_SINGLE_QUOTED || st == FYNS_DOUBLE_QUOTED) &&
		    p.col > 1)
			p.col--;
		return p;
	}
	case FYNT_MAPPING: {
		struct fy_node_pair *pr = fy_node_mapping_iterate(n, &it);
		return pr ? cfg_node_pos(fy_node_pair_key(pr), fallback)
		          : fallback;
	}
	case FYNT_SEQUENCE: {
		struct fy_node *first = fy_node_sequence_iterate(n, &it);
		return first ? cfg_node_pos(first, fallback) : fallback;
	}
	}
	return fallback;
}

bool cfg_is_null(const struct cfg_val *v)
{
	if (!v->node)
		return true;
	if (fy_node_get_type(v->node) != FYNT_SCALAR ||
	    fy_node_get_style(v->node) != FYNS_PLAIN)
		return false;
	size_t len = 0;
	const char *s = fy_node_get_scalar(v->node, &len);
	if (!s || len == 0)
		return true;
	return (len == 1 && s[0] == '~') ||
	       (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) ||
	                     !memcmp(s, "NULL", 4)));
}

bool cfg_is_map(const struct cfg_val *v)
{
	return v->node && fy_node_get_type(v->node) == FYNT_MAPPING;
}

bool cfg_is_seq(const struct cfg_val *v)
{
	return v->node && fy_node_get_type(v->node) == FYNT_SEQUENCE;
}

const char *cfg_node_kind(struct fy_node *n)
{
	if (!n)
		return "nothing";
	switch (fy_node_get_type(n)) {
	case FYNT_MAPPING:
		return "a mapping";
	case FYNT_SEQUENCE:
		return "a list";
	case FYNT_SCALAR:
		break;
	}
	struct cfg_val v = {.node = n};
	return cfg_is_null(&v) ? "an empty value" : "a value";
}

/* parent + "." + key, truncated to CFG_PATH_MAX - 1 bytes. */
static void child_path(char *dst, const char *parent, const char *key,
                       size_t keylen)
{
	size_t off = 0;
	size_t pl = strlen(parent);
	if (pl > CFG_PATH_MAX - 1)
		pl = CFG_PATH_MAX - 1;
	memcpy(dst, parent, pl);
	off = pl;
	if (pl && off < CFG_PATH_MAX - 1)
		dst[off++] = '.';
	if (keylen > CFG_PATH_MAX - 1 - off)
		keylen = CFG_PATH_MAX - 1 - off;
	memcpy(dst + off, key, keylen);
	dst[off + keylen] = '\0';
}

static bool in_list(const char *s, size_t len, const char *const *list,
                    size_t n, size_t *idx)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(list[i]) == len && !memcmp(list[i], s, len)) {
			if (idx)
				*idx = i;
			return true;
		}
	}
	return false;
}

bool cfg_map(struct cfg_ctx *c, const struct cfg_val *v,
             const char *const *keys, size_t n_keys, const char *const *planned,
             size_t n_planned, struct cfg_val *out)
{
	for (size_t i = 0; i < n_keys; i++) {
		out[i].node = NULL;
		out[i].key = v->key;
		out[i].pos = v->key;
		child_path(out[i].path, v->path, keys[i], strlen(keys[i]));
	}
	if (cfg_is_null(v))
		return true; /* "limits:" with nothing under it: all defaults */
	if (!cfg_is_map(v)) {
		char ex[CFG_TEXT_MAX / 2];
		cfg_join(keys, n_keys, ex, sizeof(ex));
		cfg_err(c, v->pos, v->path, ex[0] ? ex : NULL,
		        "found %s; expected a mapping (key: value lines)",
		        cfg_node_kind(v->node));
		return false;
	}
	void *it = NULL;
	struct fy_node_pair *pr;
	while ((pr = fy_node_mapping_iterate(v->node, &it))) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct cfg_pos kp = cfg_node_pos(k, v->pos);
		size_t len = 0;
		const char *name = NULL;
		if (k && fy_node_get_type(k) == FYNT_SCALAR)
			name = fy_node_get_scalar(k, &len);
		if (!name || len == 0) {
			cfg_err(c, kp, v->path, "write the key as a plain name",
			        "found %s as a key; keys are names",
			        cfg_node_kind(k));
			continue;
		}
		/* "x-..." at the top: free for YAML anchors, ignored. */
		if (!v->path[0] && len >= 2 && name[0] == 'x' && name[1] == '-')
			continue;
		size_t idx;
		if (in_list(name, len, keys, n_keys, &idx)) {
			out[idx].node = fy_node_pair_value(pr);
			out[idx].key = kp;
			out[idx].pos = cfg_node_pos(out[idx].node, kp);
			continue;
		}
		char path[CFG_PATH_MAX];
		child_path(path, v->path, name, len);
		if (in_list(name, len, planned, n_planned, NULL)) {
			cfg_err(c, kp, path, "remove it for now",
			        "not supported by this version yet");
			continue;
		}
		char word[64];
		size_t wl = len < sizeof(word) - 1 ? len : sizeof(word) - 1;
		memcpy(word, name, wl);
		word[wl] = '\0';
		const char *best = cfg_suggest(word, keys, n_keys);
		char fix[CFG_TEXT_MAX];
		if (best) {
			snprintf(fix, sizeof(fix), "did you mean %s?", best);
		} else {
			char ex[CFG_TEXT_MAX - 24];
			cfg_join(keys, n_keys, ex, sizeof(ex));
			snprintf(fix, sizeof(fix), "known keys here: %s", ex);
		}
		cfg_err(c, kp, path, fix, "unknown key");
	}
	return true;
}

bool cfg_seq_next(const struct cfg_val *v, void **iter, size_t idx,
                  struct cfg_val *item)
{
	if (!cfg_is_seq(v))
		return false;
	struct fy_node *n = fy_node_sequence_iterate(v->node, iter);
	if (!n)
		return false;
	item->node = n;
	item->key = cfg_node_pos(n, v->pos);
	item->pos = item->key;
	snprintf(item->path, sizeof(item->path), "%.*s[%zu]", CFG_PATH_MAX - 24,
	         v->path, idx);
	return true;
}

size_t cfg_seq_len(const struct cfg_val *v)
{
	return cfg_is_seq(v) ? (size_t)fy_node_sequence_item_count(v->node) : 0;
}

void *cfg_list_alloc(struct cfg_ctx *c, const struct cfg_val *v, size_t max,
                     size_t size, const char *what, const char *unit,
                     const char *example, size_t *n)
{
	char fix[CFG_TEXT_MAX];

	*n = 0;
	if (!cfg_is_seq(v)) {
		snprintf(fix, sizeof(fix), "write a list: %s", example);
		cfg_err(c, v->pos, v->path, fix,
		        "found %s; expected a list of %s",
		        cfg_node_kind(v->node), what);
		return NULL;
	}
	size_t len = cfg_seq_len(v);
	if (len > max) {
		cfg_err(c, v->pos, v->path, NULL, "%zu %s; at most %zu", len,
		        unit, max);
		return NULL;
	}
	*n = len;
	return cfg_alloc(c, (len ? len : 1) * size);
}

/* ---------------------------------------------------------------- scalars */

bool cfg_text(struct cfg_ctx *c, const struct cfg_val *v, char *buf, size_t cap)
{
	if (!v->node) {
		cfg_err(c, v->pos, v->path, NULL, "missing");
		return false;
	}
	if (fy_node_get_type(v->node) != FYNT_SCALAR) {
		cfg_err(c, v->pos, v->path, "write a single value here",
		        "found %s; expected a single value",
		        cfg_node_kind(v->node));
		return false;
	}
	if (cfg_is_null(v)) {
		cfg_err(c, v->pos, v->path, "write a value or remove the key",
		        "empty value");
		return false;
	}
	size_t len = 0;
	const char *s = fy_node_get_scalar(v->node, &len);
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	               s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	if (len == 0) {
		cfg_err(c, v->pos, v->path, "write a value or remove the key",
		        "empty value");
		return false;
	}
	if (len >= cap) {
		cfg_err(c, v->pos, v->path, NULL,
		        "value of %zu characters is too long (at most %zu)",
		        len, cap - 1);
		return false;
	}
	if (memchr(s, '\0', len)) {
		cfg_err(c, v->pos, v->path, NULL, "value holds a NUL byte");
		return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

const char *cfg_str(struct cfg_ctx *c, const struct cfg_val *v)
{
	char buf[1024];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return NULL;
	return cfg_strndup(c, buf, strlen(buf));
}

bool cfg_get_u32(struct cfg_ctx *c, const struct cfg_val *v, uint32_t min,
                 uint32_t max, const char *fix, uint32_t *out)
{
	char buf[64];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return false;
	uint64_t x = 0;
	size_t i = 0;
	for (; buf[i] >= '0' && buf[i] <= '9'; i++) {
		x = x * 10 + (uint64_t)(buf[i] - '0');
		if (x > UINT32_MAX)
			break;
	}
	char dfix[96];
	snprintf(dfix, sizeof(dfix), "use a whole number from %lu to %lu",
	         (unsigned long)min, (unsigned long)max);
	if (i == 0 || (buf[i] && x <= UINT32_MAX)) {
		cfg_err(c, v->pos, v->path, fix ? fix : dfix,
		        "%s; not a whole number", buf);
		return false;
	}
	if (x < min || x > max) {
		cfg_err(c, v->pos, v->path, fix ? fix : dfix,
		        "%s; out of range %lu-%lu", buf, (unsigned long)min,
		        (unsigned long)max);
		return false;
	}
	*out = (uint32_t)x;
	return true;
}

bool cfg_get_bool(struct cfg_ctx *c, const struct cfg_val *v, bool *out)
{
	char buf[16];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return false;
	if (!strcmp(buf, "true") || !strcmp(buf, "True") ||
	    !strcmp(buf, "TRUE")) {
		*out = true;
		return true;
	}
	if (!strcmp(buf, "false") || !strcmp(buf, "False") ||
	    !strcmp(buf, "FALSE")) {
		*out = false;
		return true;
	}
	cfg_err(c, v->pos, v->path, "write true or false", "%s; not a boolean",
	        buf);
	return false;
}

bool cfg_get_duration(struct cfg_ctx *c, const struct cfg_val *v,
                      uint32_t min_ms, uint32_t max_ms, uint32_t *out)
{
	char buf[64];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return false;
	uint32_t ms;
	char hint[32];
	char fix[CFG_TEXT_MAX];
	if (cfg_parse_duration(buf, &ms, hint, sizeof(hint)) != 0) {
		if (hint[0])
			snprintf(fix, sizeof(fix),
			         "write %s; a duration is a whole number with"
			         " ms, s, m or h, a bare number is seconds",
			         hint);
		else
			snprintf(fix, sizeof(fix),
			         "write a whole number with ms, s, m or h, e.g."
			         " 500ms, 5s, 1m; a bare number is seconds");
		cfg_err(c, v->pos, v->path, fix, "\"%s\" is not a duration",
		        buf);
		return false;
	}
	if (ms < min_ms || ms > max_ms) {
		char lo[16], hi[16];
		cfg_fmt_duration(min_ms, lo, sizeof(lo));
		cfg_fmt_duration(max_ms, hi, sizeof(hi));
		snprintf(fix, sizeof(fix), "use a duration from %s to %s", lo,
		         hi);
		cfg_err(c, v->pos, v->path, fix, "%s; out of range %s-%s", buf,
		        lo, hi);
		return false;
	}
	*out = ms;
	return true;
}

static bool ascii_caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return *a == *b;
}

int cfg_get_enum(struct cfg_ctx *c, const struct cfg_val *v,
                 const char *const *names, size_t n)
{
	char buf[64];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ascii_caseeq(buf, names[i]))
			return (int)i;
	char all[CFG_TEXT_MAX / 2];
	cfg_join(names, n, all, sizeof(all));
	const char *best = cfg_suggest(buf, names, n);
	char fix[CFG_TEXT_MAX];
	if (best)
		snprintf(fix, sizeof(fix), "did you mean %s?", best);
	else
		snprintf(fix, sizeof(fix), "write one of: %s", all);
	cfg_err(c, v->pos, v->path, fix, "%s; not one of %s", buf, all);
	return -1;
}
