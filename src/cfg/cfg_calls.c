/* cfg_calls.c: the trunk keys for calls (the B2BUA): media encryption,
 * the Genesys Inbound SIP Termination Identifier, "Omit + prefix", the
 * header policy, call limits, session timer and dial timeout, X-MS-SBC,
 * the Diversion policy.
 *
 * Cloud rules (sources in ../shared/docs/interop.md, summarized in
 * docs/config.md):
 *   acs-direct-routing  SRTP only (1.7), E.164 with '+' (1.4), custom
 *                       headers X-MS-Custom-* (at most 5, names <= 64,
 *                       values <= 256), other X-MS-* reserved (1.4)
 *   genesys-byoc-cloud  Inbound SIP Termination Identifier required (2.2),
 *                       x-inin/x-genesys/x-pcv/x-gcv reserved (2.3), SRTP
 *                       in the guide (2.1, F13)
 * Defaults are applied with the trunk's other profile defaults; the keys
 * are read after the trunk's own keys; the rules run on the result.
 */
#include "cfg/cfg_int.h"

#include <string.h>

const char *const cfg_call_keys[CK_COUNT] = {"media_encryption",
                                             "termination_uri",
                                             "identification",
                                             "trunk_context",
                                             "termination_header",
                                             "omit_plus",
                                             "headers",
                                             "max_calls",
                                             "max_call_rate",
                                             "min_se",
                                             "dial_timeout",
                                             "x_ms_sbc",
                                             "diversion",
                                             "srtp_suites",
                                             "dtmf_payload",
                                             "ice",
                                             "disconnect_on_idle_rtp"};

static const char *const media_names[] = {"srtp", "rtp"};
static const char *const ident_names[] = {"fqdn", "tgrp", "dnis"};
/* Same order as enum cfg_divert_form. */
static const char *const divert_form_names[] = {"diversion", "history-info",
                                                "both", "none"};

/* The other leg's headers that pass by default (interop 1.4: PAI and
 * Privacy for caller ID, User-to-User and ACS custom context). */
static const char *const default_pass[] = {"P-Asserted-Identity", "Privacy",
                                           "User-to-User", "X-MS-Custom-*"};

/* Headers the B2BUA writes itself on each leg: never added or passed.
 * Compact forms too (RFC 3261 7.3.3). */
static const char *const core_headers[] = {"Via",
                                           "From",
                                           "To",
                                           "Call-ID",
                                           "CSeq",
                                           "Contact",
                                           "Route",
                                           "Record-Route",
                                           "Content-Length",
                                           "Content-Type",
                                           "Max-Forwards",
                                           "Replaces",
                                           "v",
                                           "f",
                                           "t",
                                           "i",
                                           "m",
                                           "l",
                                           "c"};

/* interop 2.3 (GC-HDR, F26). */
static const char *const genesys_reserved[] = {"x-inin", "x-genesys", "x-pcv",
                                               "x-gcv"};

#define ACS_CUSTOM_PREFIX "X-MS-Custom-"
#define ACS_CUSTOM_MAX    5
#define ACS_NAME_MAX      64

/* --------------------------------------------------------------- helpers */

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

/* s starts with prefix, ASCII case-insensitive. */
static bool starts_with(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (!*s || lower(*s) != lower(*prefix))
			return false;
	return true;
}

static bool is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

/* RFC 3261 token characters, without '*' (a wildcard in pass only). */
static bool token_char(char ch)
{
	return is_alnum(ch) || (ch && strchr("-.!%_+`'~", ch));
}

static const char *reserved_genesys(const char *name)
{
	for (size_t i = 0; i < sizeof(genesys_reserved) / sizeof(char *); i++)
		if (starts_with(name, genesys_reserved[i]))
			return genesys_reserved[i];
	return NULL;
}

static bool is_core(const char *name)
{
	for (size_t i = 0; i < sizeof(core_headers) / sizeof(char *); i++)
		if (caseeq(name, core_headers[i]))
			return true;
	return false;
}

/* X-MS-* other than X-MS-Custom-*: Microsoft's own (interop 1.4). */
static bool reserved_acs(const char *name)
{
	return starts_with(name, "X-MS-") &&
	       !starts_with(name, ACS_CUSTOM_PREFIX);
}

/* ----------------------------------------------------------- header names */

/* A header name as written under headers: (pass allows a trailing '*').
 * Reports and returns false when it is not one, or is against a rule of
 * the trunk's cloud. */
static bool header_name_ok(struct cfg_ctx *c, const struct cfg_trunk *t,
                           const char *name, struct cfg_pos pos,
                           const char *path, bool pass)
{
	size_t n = strlen(name);
	bool wild = pass && n && name[n - 1] == '*';
	size_t base = wild ? n - 1 : n;
	if (wild && base == 0) {
		cfg_err(c, pos, path,
		        "list the names, or a prefix such as X-MS-Custom-*",
		        "*; would pass every header of the other leg");
		return false;
	}
	for (size_t i = 0; i < base; i++) {
		if (!token_char(name[i])) {
			cfg_err(c, pos, path,
			        pass ? "write a header name (letters, digits, "
			               "-), or a prefix ending in *, e.g. "
			               "X-MS-Custom-*"
			             : "write a header name: letters, digits "
			               "and -, e.g. X-Contoso-Queue",
			        "%s; not a SIP header name", name);
			return false;
		}
	}
	if (!wild && is_core(name)) {
		cfg_err(c, pos, path, "remove it",
		        "%s; a core header: the SBC writes its own on each "
		        "leg",
		        name);
		return false;
	}
	const char *r = reserved_genesys(name);
	if (t->profile == CFG_PROFILE_GENESYS && r) {
		cfg_err(c, pos, path,
		        "choose a name without these prefixes, e.g. "
		        "X-Contoso-...",
		        "%s; Genesys Cloud reserves the x-inin/x-genesys/x-pcv/"
		        "x-gcv prefixes (interop 2.3)",
		        name);
		return false;
	}
	if (t->profile == CFG_PROFILE_ACS && reserved_acs(name)) {
		cfg_err(c, pos, path,
		        caseeq(name, "X-MS-SBC")
		                ? "remove it; x_ms_sbc: true sends it"
		                : "name it X-MS-Custom-<name>",
		        "%s; Microsoft reserves the X-MS-* names other than "
		        "X-MS-Custom-* (interop 1.4)",
		        name);
		return false;
	}
	if (wild) {
		/* A prefix wider than a reserved one also passes those. */
		char p[CFG_HDR_NAME_MAX];
		memcpy(p, name, base);
		p[base] = '\0';
		bool g = false;
		for (size_t i = 0;
		     i < sizeof(genesys_reserved) / sizeof(char *); i++)
			g = g || starts_with(genesys_reserved[i], p);
		if (t->profile == CFG_PROFILE_GENESYS && g)
			cfg_warn(c, pos, path,
			         "use a narrower prefix, e.g. X-MS-Custom-*",
			         "%s; also passes the x-inin/x-genesys/x-pcv/"
			         "x-gcv headers Genesys Cloud reserves "
			         "(interop 2.3)",
			         name);
		if (t->profile == CFG_PROFILE_ACS && starts_with("X-MS-", p))
			cfg_warn(c, pos, path,
			         "use a narrower prefix, e.g. X-MS-Custom-*",
			         "%s; also passes X-MS-* headers Microsoft "
			         "reserves (interop 1.4)",
			         name);
	}
	return true;
}

/* headers.pass: a list of names; an explicit list replaces the default. */
static void parse_pass(struct cfg_ctx *c, const struct cfg_val *v,
                       struct cfg_trunk *t)
{
	if (cfg_is_null(v)) {
		t->pass_headers = NULL;
		t->n_pass_headers = 0;
		return;
	}
	size_t n;
	const char **names = cfg_list_alloc(
	        c, v, CFG_MAX_PASS_HEADERS, sizeof(*names), "header names",
	        "names", "pass: [P-Asserted-Identity, Privacy, X-MS-Custom-*]",
	        &n);
	if (!names)
		return;
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		char buf[CFG_HDR_NAME_MAX];
		if (!cfg_text(c, &item, buf, sizeof(buf)) ||
		    !header_name_ok(c, t, buf, item.pos, item.path, true))
			continue;
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = caseeq(names[j], buf);
		if (dup) {
			cfg_warn(c, item.pos, item.path, "remove the duplicate",
			         "%s is listed twice", buf);
			continue;
		}
		names[k] = cfg_strndup(c, buf, strlen(buf));
		if (!names[k])
			return;
		k++;
	}
	t->pass_headers = names;
	t->n_pass_headers = k;
}

/* dst = parent + "." + name, truncated to CFG_PATH_MAX - 1 bytes. */
static void path_join(char *dst, const char *parent, const char *name)
{
	size_t pl = strnlen(parent, CFG_PATH_MAX - 1);
	memcpy(dst, parent, pl);
	size_t nl = strlen(name);
	if (pl < CFG_PATH_MAX - 1)
		dst[pl++] = '.';
	if (nl > CFG_PATH_MAX - 1 - pl)
		nl = CFG_PATH_MAX - 1 - pl;
	memcpy(dst + pl, name, nl);
	dst[pl + nl] = '\0';
}

/* headers.add: Name: value, in file order. */
static void parse_add(struct cfg_ctx *c, const struct cfg_val *v,
                      struct cfg_trunk *t)
{
	if (cfg_is_null(v))
		return;
	if (!cfg_is_map(v)) {
		cfg_err(c, v->pos, v->path,
		        "write one Name: value per line, e.g. add: { "
		        "X-Contoso-Site: paris }",
		        "found %s; expected a mapping of header names to "
		        "values",
		        cfg_node_kind(v->node));
		return;
	}
	size_t n = (size_t)fy_node_mapping_item_count(v->node);
	if (n > CFG_MAX_ADD_HEADERS) {
		cfg_err(c, v->pos, v->path, NULL, "%zu headers; at most %d", n,
		        CFG_MAX_ADD_HEADERS);
		return;
	}
	struct cfg_header *h = cfg_alloc(c, (n ? n : 1) * sizeof(*h));
	if (!h)
		return;
	size_t k = 0, custom = 0;
	void *it = NULL;
	struct fy_node_pair *pr;
	while ((pr = fy_node_mapping_iterate(v->node, &it))) {
		struct fy_node *key = fy_node_pair_key(pr);
		struct cfg_val kv, vv;
		kv.node = key;
		kv.key = cfg_node_pos(key, v->pos);
		kv.pos = kv.key;
		snprintf(kv.path, sizeof(kv.path), "%s", v->path);
		char name[CFG_HDR_NAME_MAX];
		if (!cfg_text(c, &kv, name, sizeof(name)))
			continue;
		vv.node = fy_node_pair_value(pr);
		vv.key = kv.key;
		vv.pos = cfg_node_pos(vv.node, kv.key);
		path_join(vv.path, v->path, name);
		if (!header_name_ok(c, t, name, kv.key, vv.path, false))
			continue;
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = caseeq(h[j].name, name);
		if (dup) {
			cfg_err(c, kv.key, vv.path,
			        "write each header once (names are "
			        "case-insensitive)",
			        "%s is listed twice", name);
			continue;
		}
		bool acs_custom = t->profile == CFG_PROFILE_ACS &&
		                  starts_with(name, ACS_CUSTOM_PREFIX);
		if (acs_custom && strlen(name) > ACS_NAME_MAX) {
			cfg_err(c, kv.key, vv.path,
			        "shorten the name to 64 characters or fewer",
			        "%s; %zu characters: ACS takes custom header "
			        "names of at most %d, X-MS-Custom- included "
			        "(interop 1.4)",
			        name, strlen(name), ACS_NAME_MAX);
			continue;
		}
		if (acs_custom && ++custom > ACS_CUSTOM_MAX) {
			cfg_err(c, kv.key, vv.path, "remove one",
			        "%s; ACS takes at most %d X-MS-Custom- headers "
			        "(interop 1.4)",
			        name, ACS_CUSTOM_MAX);
			continue;
		}
		char val[CFG_HDR_VALUE_MAX + 1];
		if (!cfg_text(c, &vv, val, sizeof(val)))
			continue;
		bool ctl = false;
		for (const char *p = val; *p; p++)
			ctl = ctl || ((unsigned char)*p < 0x20 && *p != '\t') ||
			      *p == 0x7f;
		if (ctl) {
			cfg_err(c, vv.pos, vv.path,
			        "write the value on one line, without control "
			        "characters",
			        "%s",
			        strpbrk(val, "\r\n")
			                ? "value holds a line break"
			                : "value holds a control character");
			continue;
		}
		h[k].name = cfg_strndup(c, name, strlen(name));
		h[k].value = cfg_strndup(c, val, strlen(val));
		if (!h[k].name || !h[k].value)
			return;
		k++;
	}
	t->add_headers = h;
	t->n_add_headers = k;
}

static const char *const header_keys[] = {"pass", "add"};

static void parse_headers(struct cfg_ctx *c, const struct cfg_val *v,
                          struct cfg_trunk *t)
{
	struct cfg_val k[2];
	if (!cfg_map(c, v, header_keys, 2, NULL, 0, k))
		return;
	if (k[0].node)
		parse_pass(c, &k[0], t);
	if (k[1].node)
		parse_add(c, &k[1], t);
}

/* ------------------------------------------------------------ call limits */

#define RATE_FIX                                                               \
	"write count/window, e.g. 40/5s (at most 40 new calls in 5 "           \
	"seconds), or 0 for no limit"

/* max_call_rate: "40/5s" (Genesys trunk_maxCallRate), or 0. */
static void parse_rate(struct cfg_ctx *c, const struct cfg_val *v,
                       struct cfg_trunk *t)
{
	char buf[64];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return;
	if (!strcmp(buf, "0")) {
		t->max_call_rate = 0;
		t->call_rate_window_ms = 0;
		return;
	}
	const char *slash = strchr(buf, '/');
	uint64_t count = 0;
	size_t i = 0;
	for (; buf[i] >= '0' && buf[i] <= '9' && i < 10; i++)
		count = count * 10 + (uint64_t)(buf[i] - '0');
	if (!slash || i == 0 || buf + i != slash) {
		cfg_err(c, v->pos, v->path, RATE_FIX, "%s; not a call rate",
		        buf);
		return;
	}
	if (count < 1 || count > CFG_MAX_CALL_RATE) {
		cfg_err(c, v->pos, v->path, RATE_FIX,
		        "%s; count out of range 1-%d", buf, CFG_MAX_CALL_RATE);
		return;
	}
	uint32_t ms;
	char hint[32];
	if (cfg_parse_duration(slash + 1, &ms, hint, sizeof(hint)) != 0) {
		char fix[CFG_TEXT_MAX];
		if (hint[0])
			snprintf(fix, sizeof(fix), "write %.*s/%s",
			         (int)(slash - buf), buf, hint);
		else
			snprintf(fix, sizeof(fix), "%s", RATE_FIX);
		cfg_err(c, v->pos, v->path, fix,
		        "%s; the window \"%s\" is not a duration", buf,
		        slash + 1);
		return;
	}
	if (ms < 1000 || ms > 3600000) {
		cfg_err(c, v->pos, v->path,
		        "use a window from 1s to 1h, e.g. 40/5s",
		        "%s; window out of range 1s-1h", buf);
		return;
	}
	t->max_call_rate = (uint32_t)count;
	t->call_rate_window_ms = ms;
}

/* min_se: RFC 4028 sets 90 seconds as the floor. */
static void parse_min_se(struct cfg_ctx *c, const struct cfg_val *v,
                         struct cfg_trunk *t)
{
	uint32_t ms;
	char d[64];
	if (!cfg_get_duration(c, v, 0, UINT32_MAX, &ms) ||
	    !cfg_text(c, v, d, sizeof(d)))
		return;
	if (ms < 90000)
		cfg_err(c, v->pos, v->path, "set min_se: 90s or more",
		        "%s; RFC 4028: Min-SE is never below 90 seconds", d);
	else if (ms > 7200000)
		cfg_err(c, v->pos, v->path, "use a duration from 90s to 2h",
		        "%s; out of range 90s-2h", d);
	else if (ms % 1000)
		cfg_err(c, v->pos, v->path, "write whole seconds, e.g. 90s",
		        "%s; Min-SE is a whole number of seconds", d);
	else
		t->min_se_s = ms / 1000;
}

/* -------------------------------------------------- termination identifier */

/* RFC 4904 trunk-group characters (as b2b/number.c builds them). */
static bool tgrp_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && !strchr("-_.!~*'()/&+$", *s))
			return false;
	return true;
}

/* RFC 4904 trunk-context: a domain, or '+' digits with visual
 * separators. */
static bool trunk_context_ok(const char *s)
{
	if (s[0] != '+')
		return cfg_dns_name_ok(s, false);
	bool digit = false;
	for (s++; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (!strchr("-.()", *s))
			return false;
	}
	return digit;
}

static const char *termination(struct cfg_ctx *c, const struct cfg_val *v,
                               enum cfg_identification id)
{
	char buf[256];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return NULL;
	if (!strncmp(buf, "sip:", 4) || !strncmp(buf, "sips:", 5)) {
		cfg_err(c, v->pos, v->path,
		        "write the identifier alone, e.g. "
		        "contoso.byoc.mypurecloud.com",
		        "%s; the Inbound SIP Termination Identifier is a name, "
		        "not a SIP URI",
		        buf);
		return NULL;
	}
	if (id == CFG_IDENT_FQDN && !cfg_dns_name_ok(buf, false)) {
		cfg_err(c, v->pos, v->path,
		        "write the trunk's Inbound SIP Termination Identifier, "
		        "e.g. contoso.byoc.mypurecloud.com",
		        "%s; not a DNS name (identification is fqdn)", buf);
		return NULL;
	}
	if (id != CFG_IDENT_FQDN && !tgrp_ok(buf)) {
		cfg_err(c, v->pos, v->path,
		        "use letters, digits and -_.!~*'()/&+$ only",
		        id == CFG_IDENT_TGRP
		                ? "%s; not an RFC 4904 trunk group"
		                : "%s; not a trunk group or DNS name",
		        buf);
		return NULL;
	}
	return cfg_strndup(c, buf, strlen(buf));
}

/* ------------------------------------------------------------- diversion */

enum { DV_FORM, DV_ALWAYS_SEND, DV_SOURCE, DV_COUNT };
static const char *const diversion_keys[DV_COUNT] = {"form", "always_send",
                                                     "source"};

#define E164_DIGITS_MAX 15 /* ITU-T E.164: at most 15 digits */

/* "+" then 1-15 digits. */
static bool e164_ok(const char *s)
{
	size_t n = 0;
	if (*s++ != '+')
		return false;
	for (; *s; s++, n++)
		if (*s < '0' || *s > '9')
			return false;
	return n >= 1 && n <= E164_DIGITS_MAX;
}

/* diversion: { form, always_send, source } (the guide's Edge Case 2:
 * "Always send Diversion Header", "Original Called Address"; interop
 * 1.8: ACS documents no Diversion, so RFC 7544 maps History-Info). */
static void parse_diversion(struct cfg_ctx *c, const struct cfg_val *v,
                            struct cfg_trunk *t)
{
	struct cfg_val k[DV_COUNT];
	struct cfg_diversion *d = &t->diversion;
	if (!cfg_map(c, v, diversion_keys, DV_COUNT, NULL, 0, k))
		return;
	int e;
	if (k[DV_FORM].node &&
	    (e = cfg_get_enum(c, &k[DV_FORM], divert_form_names, 4)) >= 0)
		d->form = (enum cfg_divert_form)e;
	if (k[DV_ALWAYS_SEND].node)
		cfg_get_bool(c, &k[DV_ALWAYS_SEND], &d->always_send);
	if (k[DV_SOURCE].node) {
		char buf[64];
		const struct cfg_val *ks = &k[DV_SOURCE];
		if (cfg_text(c, ks, buf, sizeof(buf))) {
			/* design.md spells it original_called_address */
			if (!strcmp(buf, "original-called") ||
			    !strcmp(buf, "original_called_address"))
				d->source = NULL;
			else if (e164_ok(buf))
				d->source = cfg_strndup(c, buf, strlen(buf));
			else
				cfg_err(c, ks->pos, ks->path,
				        "write original-called (the number the "
				        "caller dialled), or a number in E.164 "
				        "form, e.g. +18005550100",
				        buf[0] == '+' || (buf[0] >= '0' &&
				                          buf[0] <= '9')
				                ? "%s; not an E.164 number (+ "
				                  "and 1-15 digits)"
				                : "%s; not original-called or "
				                  "an "
				                  "E.164 number",
				        buf);
		}
	}
	if (t->profile != CFG_PROFILE_ACS)
		return;
	/* ACS checks the Diversion of a forwarded or transferred call
	 * (the guide's Edge Case 2) */
	const struct cfg_val *kf = &k[DV_FORM];
	if (d->form == CFG_DIVERT_NONE || d->form == CFG_DIVERT_HISTORY_INFO)
		cfg_warn(c, kf->pos, kf->path, "set form: diversion (or both)",
		         "%s; Azure verifies a forwarded call by its Diversion "
		         "header and rejects the call without one (the "
		         "guide's Edge Case 2)",
		         divert_form_names[d->form]);
	const struct cfg_val *ka = &k[DV_ALWAYS_SEND];
	if (!d->always_send && d->form != CFG_DIVERT_NONE &&
	    d->form != CFG_DIVERT_HISTORY_INFO)
		cfg_warn(c, ka->pos, ka->path, "set always_send: true",
		         "false; transfers to external numbers through Azure "
		         "fail without a Diversion header (the guide's Edge "
		         "Case 2: \"Always send Diversion Header\")");
}

/* -------------------------------------------------------------- the keys */

void cfg_call_defaults(struct cfg_trunk *t)
{
	bool cloud = t->profile == CFG_PROFILE_ACS ||
	             t->profile == CFG_PROFILE_GENESYS;
	t->media_encryption = cloud ? CFG_MEDIA_SRTP : CFG_MEDIA_RTP;
	t->termination_uri = NULL;
	t->identification = CFG_IDENT_FQDN;
	t->trunk_context = NULL;
	t->termination_header = NULL;
	t->omit_plus_calling = false;
	t->omit_plus_called = false;
	t->pass_headers = default_pass;
	t->n_pass_headers = sizeof(default_pass) / sizeof(default_pass[0]);
	t->add_headers = NULL;
	t->n_add_headers = 0;
	t->max_calls = 0;
	t->max_call_rate = 0;
	t->call_rate_window_ms = 0;
	t->min_se_s = 90;
	t->dial_timeout_ms = 120000;
	t->x_ms_sbc = t->profile == CFG_PROFILE_ACS;
	t->diversion.form = CFG_DIVERT_DIVERSION;
	t->diversion.always_send = t->profile == CFG_PROFILE_ACS;
	t->diversion.source = NULL; /* original-called */
	cfg_media_trunk_defaults(t);
}

static const char *const omit_keys[] = {"calling", "called"};

static void media_rules(struct cfg_ctx *c, const struct cfg_trunk *t,
                        const struct cfg_val *k)
{
	const struct cfg_val *m = &k[CK_MEDIA_ENCRYPTION];
	if (t->media_encryption != CFG_MEDIA_RTP)
		return;
	if (t->profile == CFG_PROFILE_ACS)
		cfg_err(c, m->pos, m->path, "set media_encryption: srtp",
		        "rtp; ACS Direct Routing requires SRTP");
	else if (t->profile == CFG_PROFILE_GENESYS)
		cfg_warn(c, m->pos, m->path,
		         "set media_encryption: srtp, and SRTP on the Genesys "
		         "trunk",
		         "rtp; Genesys allows it but the guide requires SRTP");
}

/* The Inbound SIP Termination Identifier keys: read, then the rules. */
static void parse_termination(struct cfg_ctx *c, const struct cfg_val *tv,
                              const struct cfg_val *k, struct cfg_trunk *t)
{
	const struct cfg_val *ku = &k[CK_TERMINATION_URI];
	const struct cfg_val *ki = &k[CK_IDENTIFICATION];
	const struct cfg_val *kc = &k[CK_TRUNK_CONTEXT];
	const struct cfg_val *kh = &k[CK_TERMINATION_HEADER];
	int e;
	bool ok = true;
	if (ki->node) {
		if ((e = cfg_get_enum(c, ki, ident_names, 3)) >= 0)
			t->identification = (enum cfg_identification)e;
		else
			ok = false; /* the other keys depend on it */
	}
	if (ku->node && ok)
		t->termination_uri = termination(c, ku, t->identification);
	if (kc->node) {
		char buf[256];
		if (cfg_text(c, kc, buf, sizeof(buf))) {
			if (!trunk_context_ok(buf))
				cfg_err(c, kc->pos, kc->path,
				        "write a domain or a +number, e.g. "
				        "byoc.mypurecloud.com",
				        "%s; not an RFC 4904 trunk-context",
				        buf);
			else
				t->trunk_context =
				        cfg_strndup(c, buf, strlen(buf));
		}
	}
	if (kh->node) {
		char buf[CFG_HDR_NAME_MAX];
		if (cfg_text(c, kh, buf, sizeof(buf)) &&
		    header_name_ok(c, t, buf, kh->pos, kh->path, false))
			t->termination_header =
			        cfg_strndup(c, buf, strlen(buf));
	}
	if (t->profile == CFG_PROFILE_ACS) {
		/* Genesys' keys: read for their syntax, then dropped. */
		const struct cfg_val *all[] = {ku, ki, kc, kh};
		for (size_t i = 0; i < 4; i++)
			if (all[i]->node)
				cfg_warn(c, all[i]->key, all[i]->path,
				         "remove it",
				         "ignored on ACS: it is Genesys' "
				         "Inbound SIP Termination Identifier");
		t->termination_uri = NULL;
		t->identification = CFG_IDENT_FQDN;
		t->trunk_context = NULL;
		t->termination_header = NULL;
		return;
	}
	if (!ok)
		return;
	if (kc->node && t->identification != CFG_IDENT_TGRP) {
		cfg_warn(c, kc->key, kc->path,
		         "remove trunk_context or set identification: tgrp",
		         "ignored: identification is %s",
		         ident_names[t->identification]);
		t->trunk_context = NULL;
	}
	if (t->identification == CFG_IDENT_TGRP && !kc->node)
		cfg_err(c, tv->key, kc->path,
		        "add trunk_context: <a domain or +number>, e.g. "
		        "byoc.mypurecloud.com",
		        "missing; identification tgrp needs the RFC 4904 "
		        "trunk-context");
	if (t->profile == CFG_PROFILE_GENESYS && !ku->node &&
	    t->identification != CFG_IDENT_DNIS)
		cfg_err(c, tv->key, ku->path,
		        t->identification == CFG_IDENT_FQDN
		                ? "set termination_uri to the trunk's Inbound "
		                  "SIP Termination Identifier, e.g. "
		                  "contoso.byoc.mypurecloud.com"
		                : "set termination_uri to the trunk's Inbound "
		                  "SIP Termination Identifier (its trunk "
		                  "group)",
		        "missing; Genesys Cloud finds the trunk of each call "
		        "by it (interop 2.2)");
	if (kh->node && !ku->node)
		cfg_err(c, kh->pos, kh->path,
		        "set termination_uri, or remove termination_header",
		        "the header carries termination_uri, which is not "
		        "set");
}

void cfg_parse_calls(struct cfg_ctx *c, const struct cfg_val *tv,
                     const struct cfg_val *k, struct cfg_trunk *t)
{
	int e;
	if (k[CK_MEDIA_ENCRYPTION].node &&
	    (e = cfg_get_enum(c, &k[CK_MEDIA_ENCRYPTION], media_names, 2)) >=
	            0) {
		t->media_encryption = (enum cfg_media_encryption)e;
		media_rules(c, t, k);
	}
	parse_termination(c, tv, k, t);

	const struct cfg_val *ko = &k[CK_OMIT_PLUS];
	if (ko->node) {
		struct cfg_val o[2];
		if (cfg_map(c, ko, omit_keys, 2, NULL, 0, o)) {
			bool *dst[2] = {&t->omit_plus_calling,
			                &t->omit_plus_called};
			for (size_t i = 0; i < 2; i++) {
				if (!o[i].node ||
				    !cfg_get_bool(c, &o[i], dst[i]))
					continue;
				if (*dst[i] && t->profile == CFG_PROFILE_ACS)
					cfg_err(c, o[i].pos, o[i].path,
					        "set false: numbers toward ACS "
					        "keep the +",
					        "true; ACS Direct Routing "
					        "requires "
					        "E.164 numbers with + in the "
					        "Request-URI and From "
					        "(interop 1.4)");
			}
		}
	}
	if (k[CK_HEADERS].node)
		parse_headers(c, &k[CK_HEADERS], t);
	if (k[CK_MAX_CALLS].node)
		cfg_get_u32(c, &k[CK_MAX_CALLS], 0, CFG_MAX_CALLS,
		            "use a whole number from 0 (no limit) to 1000000",
		            &t->max_calls);
	if (k[CK_MAX_CALL_RATE].node)
		parse_rate(c, &k[CK_MAX_CALL_RATE], t);
	if (k[CK_MIN_SE].node)
		parse_min_se(c, &k[CK_MIN_SE], t);
	if (k[CK_DIAL_TIMEOUT].node)
		cfg_get_duration(c, &k[CK_DIAL_TIMEOUT], 1000, 600000,
		                 &t->dial_timeout_ms);
	if (k[CK_X_MS_SBC].node)
		cfg_get_bool(c, &k[CK_X_MS_SBC], &t->x_ms_sbc);
	if (k[CK_DIVERSION].node)
		parse_diversion(c, &k[CK_DIVERSION], t);
	cfg_parse_media_trunk(c, k, t);
}
