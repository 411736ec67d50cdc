/* cfg_routes.c: routes (PCRE2 number patterns, like ACS voice routes) and
 * the CDR store. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "cfg/cfg_int.h"

#include <pcre2.h>
#include <string.h>

enum { RT_FROM, RT_TO, RT_CALLED, RT_CALLING, RT_COUNT };
static const char *const route_keys[RT_COUNT] = {"from", "to", "called",
                                                 "calling"};

/* Compile once here to report a bad pattern where it is written; the
 * routing table (b2b/route.c) compiles it again with the same options. */
static bool pattern_ok(struct cfg_ctx *c, const struct cfg_val *v,
                       const char *pat)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	                               PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &code,
	                               &off, NULL);

	if (re) {
		pcre2_code_free(re);
		return true;
	}
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(code, msg, sizeof(msg));
	cfg_err(c, v->pos, v->path,
	        "write a PCRE2 pattern, e.g. '^\\+1425555\\d{4}$'",
	        "%s; %s at offset %zu", pat, (const char *)msg, (size_t)off);
	return false;
}

static bool trunk_ref(struct cfg_ctx *c, const struct cfg_val *v,
                      const char **out)
{
	*out = cfg_str(c, v);
	if (!*out)
		return false;
	if (!cfg_trunk_find(c->cfg, *out)) {
		char names[256] = "";
		size_t used = 0;
		for (size_t i = 0; i < c->cfg->n_trunks && used < sizeof(names);
		     i++)
			used += (size_t)snprintf(
			        names + used, sizeof(names) - used, "%s%s",
			        i ? ", " : "", c->cfg->trunks[i].name);
		cfg_err(c, v->pos, v->path,
		        "name a trunk defined under trunks:",
		        "%s; no such trunk (there are: %s)", *out,
		        names[0] ? names : "none");
		return false;
	}
	return true;
}

void cfg_parse_routes(struct cfg_ctx *c, const struct cfg_val *v)
{
	if (cfg_is_null(v))
		return;
	size_t n;
	struct cfg_route *rs = cfg_list_alloc(
	        c, v, CFG_MAX_ROUTES, sizeof(*rs), "routes", "routes",
	        "routes: [{ from: acs, to: genesys, called: "
	        "'^\\+1425555\\d{4}$' }]",
	        &n);
	if (!rs)
		return;
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		struct cfg_val f[RT_COUNT];
		struct cfg_route *r = &rs[k];
		bool ok = true;
		if (!cfg_map(c, &item, route_keys, RT_COUNT, NULL, 0, f))
			continue;
		for (int j = RT_FROM; j <= RT_CALLED; j++) {
			if (!f[j].node) {
				cfg_err(c, item.pos, f[j].path,
				        j == RT_CALLED ? "add called: "
				                         "'<pattern>' ('.*' "
				                         "for any number)"
				                       : "add the trunk's name",
				        "missing");
				ok = false;
			}
		}
		if (!ok)
			continue;
		ok = trunk_ref(c, &f[RT_FROM], &r->from) & ok;
		ok = trunk_ref(c, &f[RT_TO], &r->to) & ok;
		r->called = cfg_str(c, &f[RT_CALLED]);
		ok = r->called && pattern_ok(c, &f[RT_CALLED], r->called) && ok;
		if (f[RT_CALLING].node) {
			r->calling = cfg_str(c, &f[RT_CALLING]);
			ok = r->calling &&
			     pattern_ok(c, &f[RT_CALLING], r->calling) && ok;
		}
		if (ok && r->from && r->to && !strcmp(r->from, r->to))
			cfg_warn(c, item.pos, item.path,
			         "route between two different trunks",
			         "from and to are both %s: calls would loop "
			         "back to where they came from",
			         r->from);
		if (ok)
			k++;
	}
	c->cfg->routes = rs;
	c->cfg->n_routes = k;
}

enum { CD_STORE, CD_COUNT };
static const char *const cdr_keys[CD_COUNT] = {"store"};

void cfg_parse_cdr(struct cfg_ctx *c, const struct cfg_val *v)
{
	struct cfg_val k[CD_COUNT];
	const char *s;

	if (cfg_is_null(v))
		return;
	if (!cfg_map(c, v, cdr_keys, CD_COUNT, NULL, 0, k))
		return;
	if (!k[CD_STORE].node) {
		cfg_err(c, v->pos, k[CD_STORE].path,
		        "add store: 'sqlite:/var/lib/trunkbridge/cdr.db'",
		        "missing");
		return;
	}
	s = cfg_str(c, &k[CD_STORE]);
	if (!s)
		return;
	if (strncmp(s, "sqlite:", 7) != 0 || !s[7]) {
		cfg_err(c, k[CD_STORE].pos, k[CD_STORE].path,
		        "write sqlite:<path of the database file>",
		        "%s; only sqlite:<path> is supported", s);
		return;
	}
	c->cfg->cdr_path = s + 7;
}
