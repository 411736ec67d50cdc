/* cfg.c: cfg_load: YAML text -> one validated config generation.
 *
 * Sections here: identity, listen, limits, timers, and the checks that span
 * sections; trunks and TLS profiles are in cfg_trunk.c. The loader keeps
 * going after an error so that one run reports everything it can.
 */
#include "cfg/cfg_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- errors */

void cfg_errors_init(struct cfg_errors *e)
{
	e->n = 0;
	e->n_errors = 0;
	e->n_warnings = 0;
	e->dropped = 0;
}

int cfg_error_format(const struct cfg_error *e, char *buf, size_t cap)
{
	char where[CFG_FILE_MAX + 32];
	if (e->line > 0)
		snprintf(where, sizeof(where), "%s:%d:%d", e->file, e->line,
		         e->column > 0 ? e->column : 1);
	else
		snprintf(where, sizeof(where), "%s", e->file);
	return snprintf(buf, cap, "%s: %s%s%s%s%s%s%s", where,
	                e->severity == CFG_SEV_WARNING ? "warning: " : "",
	                e->path, e->path[0] ? ": " : "", e->what,
	                e->fix[0] ? " (" : "", e->fix, e->fix[0] ? ")" : "");
}

void cfg_errors_print(const struct cfg_errors *e, FILE *f)
{
	char line[CFG_FILE_MAX + CFG_PATH_MAX + 2 * CFG_TEXT_MAX + 64];
	for (size_t i = 0; i < e->n; i++) {
		cfg_error_format(&e->e[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	if (e->n_errors || e->n_warnings) {
		fprintf(f, "%zu error%s, %zu warning%s", e->n_errors,
		        e->n_errors == 1 ? "" : "s", e->n_warnings,
		        e->n_warnings == 1 ? "" : "s");
		if (e->dropped)
			fprintf(f, " (%zu not shown)", e->dropped);
		fputc('\n', f);
	}
}

/* ------------------------------------------------------------ generation */

struct tb_config *cfg_ref(struct tb_config *c)
{
	if (c)
		atomic_fetch_add_explicit(&c->refcount, 1,
		                          memory_order_relaxed);
	return c;
}

void cfg_free(struct tb_config *c)
{
	if (!c)
		return;
	if (atomic_fetch_sub_explicit(&c->refcount, 1, memory_order_acq_rel) !=
	    1)
		return;
	/* The struct itself lives in the arena. */
	cfg_arena_free(c->arena);
}

const struct cfg_trunk *cfg_trunk_find(const struct tb_config *c,
                                       const char *name)
{
	for (size_t i = 0; c && name && i < c->n_trunks; i++)
		if (!strcmp(c->trunks[i].name, name))
			return &c->trunks[i];
	return NULL;
}

/* -------------------------------------------------------------- identity */

enum { ID_FQDN, ID_CERTIFICATE, ID_PRIVATE_KEY, ID_COUNT };
static const char *const identity_keys[ID_COUNT] = {"fqdn", "certificate",
                                                    "private_key"};

static void parse_identity(struct cfg_ctx *c, const struct cfg_val *v)
{
	struct cfg_val k[ID_COUNT];
	struct cfg_identity *id = &c->cfg->identity;
	if (!cfg_map(c, v, identity_keys, ID_COUNT, NULL, 0, k))
		return;
	if (!k[ID_FQDN].node) {
		cfg_err(c, k[ID_FQDN].pos, k[ID_FQDN].path,
		        "add fqdn: <the SBC's DNS name, as in its certificate>"
		        ", e.g. sbc1.contoso.com",
		        "missing; the SBC's FQDN goes in Contact and Via and "
		        "must match its certificate");
	} else {
		char buf[300];
		const struct cfg_val *f = &k[ID_FQDN];
		if (cfg_text(c, f, buf, sizeof(buf))) {
			char *ip = buf;
			size_t n = strlen(buf);
			if (buf[0] == '[' && n > 2 && buf[n - 1] == ']') {
				buf[n - 1] = '\0';
				ip = buf + 1;
			}
			if (cfg_parse_ip(ip, NULL, NULL, 0))
				cfg_err(c, f->pos, f->path,
				        "set fqdn to the DNS name in the SBC "
				        "certificate, e.g. sbc1.contoso.com",
				        "%s is an IP address; Microsoft "
				        "rejects "
				        "an IP in Contact (403)",
				        buf);
			else if (buf[0] == '*')
				cfg_err(c, f->pos, f->path,
				        "set fqdn to this SBC's own name; the "
				        "certificate may be a wildcard",
				        "%s; a wildcard is not a host name",
				        buf);
			else if (!cfg_dns_name_ok(buf, false))
				cfg_err(c, f->pos, f->path,
				        "letters, digits and - in "
				        "dot-separated "
				        "labels, e.g. sbc1.contoso.com",
				        "%s; not a valid DNS name", buf);
			else if (!strchr(buf, '.'))
				cfg_err(c, f->pos, f->path,
				        "write the full name, e.g. "
				        "sbc1.contoso.com",
				        "%s; not fully qualified", buf);
			else
				id->fqdn = cfg_strndup(c, buf, n);
		}
	}
	if (k[ID_CERTIFICATE].node)
		id->certificate = cfg_str(c, &k[ID_CERTIFICATE]);
	if (k[ID_PRIVATE_KEY].node)
		id->private_key = cfg_str(c, &k[ID_PRIVATE_KEY]);
}

/* ---------------------------------------------------------------- listen */

enum { L_TRANSPORT, L_ADDRESS, L_PORT, L_TLS, L_COUNT };
static const char *const listen_keys[L_COUNT] = {"transport", "address", "port",
                                                 "tls"};
static const char *const transports[] = {"udp", "tcp", "tls"};

static bool addr_any(const struct cfg_addr *a)
{
	size_t n = a->family == 4 ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		if (a->addr[i])
			return false;
	return true;
}

static bool parse_listener(struct cfg_ctx *c, const struct cfg_val *v,
                           struct cfg_listener *l)
{
	struct cfg_val k[L_COUNT];
	size_t before = c->errs->n_errors;
	if (!cfg_map(c, v, listen_keys, L_COUNT, NULL, 0, k))
		return false;
	int e;
	if (!k[L_TRANSPORT].node) {
		cfg_err(c, v->pos, k[L_TRANSPORT].path,
		        "add transport: tls, tcp or udp", "missing");
	} else if ((e = cfg_get_enum(c, &k[L_TRANSPORT], transports, 3)) >= 0) {
		l->transport = (enum cfg_transport)e;
	}
	char buf[80];
	char canon[64] = "0.0.0.0";
	l->address.family = 4;
	if (k[L_ADDRESS].node && cfg_text(c, &k[L_ADDRESS], buf, sizeof(buf))) {
		char *ip = buf;
		size_t n = strlen(buf);
		if (buf[0] == '[' && n > 2 && buf[n - 1] == ']') {
			buf[n - 1] = '\0';
			ip = buf + 1;
		}
		if (!cfg_parse_ip(ip, &l->address, canon, sizeof(canon)))
			cfg_err(c, k[L_ADDRESS].pos, k[L_ADDRESS].path,
			        "write an IP address of this host, 0.0.0.0 or "
			        "::"
			        " for all",
			        "%s; not an IPv4 or IPv6 address", buf);
	}
	l->address.text = cfg_strndup(c, canon, strlen(canon));
	uint32_t port = l->transport == CFG_TRANSPORT_TLS ? 5061 : 5060;
	if (k[L_PORT].node)
		cfg_get_u32(c, &k[L_PORT], 1, 65535,
		            "use a port from 1 to 65535; 5061 for TLS", &port);
	l->port = (uint16_t)port;
	/* Server side: check a client certificate when one is shown, never
	 * demand one (Genesys has no mutual TLS). */
	l->tls.verify_peer = CFG_VERIFY_OPTIONAL;
	l->tls.min_version = CFG_TLS_1_2;
	if (k[L_TLS].node) {
		cfg_parse_tls(c, &k[L_TLS], true, &l->tls);
		if (l->transport != CFG_TRANSPORT_TLS)
			cfg_warn(c, k[L_TLS].key, k[L_TLS].path,
			         "remove tls: or set transport: tls",
			         "ignored: transport is %s",
			         cfg_transport_name(l->transport));
	}
	return c->errs->n_errors == before;
}

static void parse_listen(struct cfg_ctx *c, const struct cfg_val *v)
{
	if (cfg_is_null(v) || (cfg_is_seq(v) && cfg_seq_len(v) == 0)) {
		cfg_err(c, v->pos, v->path,
		        "add listen: [{ transport: tls, port: 5061 }]",
		        "missing; the SBC needs at least one listener");
		return;
	}
	size_t n;
	struct cfg_listener *ls = cfg_list_alloc(
	        c, v, CFG_MAX_LISTENERS, sizeof(*ls), "listeners", "listeners",
	        "listen: [{ transport: tls, port: 5061 }]", &n);
	if (!ls)
		return;
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		if (!parse_listener(c, &item, &ls[k]))
			continue;
		const struct cfg_listener *l = &ls[k];
		bool l_udp = l->transport == CFG_TRANSPORT_UDP;
		for (size_t j = 0; j < k; j++) {
			const struct cfg_listener *o = &ls[j];
			bool o_udp = o->transport == CFG_TRANSPORT_UDP;
			if (l_udp != o_udp || l->port != o->port ||
			    l->address.family != o->address.family)
				continue;
			if (!addr_any(&l->address) && !addr_any(&o->address) &&
			    memcmp(l->address.addr, o->address.addr, 16))
				continue;
			cfg_err(c, item.pos, item.path,
			        "give each listener its own port",
			        "%s %s:%u; the %s port is already taken by the "
			        "%s listener on %s",
			        cfg_transport_name(l->transport),
			        l->address.text, (unsigned)l->port,
			        l_udp ? "UDP" : "TCP",
			        cfg_transport_name(o->transport),
			        o->address.text);
			break;
		}
		k++;
	}
	c->cfg->listeners = ls;
	c->cfg->n_listeners = k;
}

/* ---------------------------------------------------------------- limits */

enum {
	LM_MAX_MESSAGE_SIZE,
	LM_MAX_HEADERS,
	LM_MAX_HEADER_LENGTH,
	LM_MAX_VIAS,
	LM_MAX_CONNECTIONS,
	LM_MAX_CONNECTIONS_PER_SOURCE,
	LM_MAX_TRANSACTIONS,
	LM_TLS_HANDSHAKE_TIMEOUT,
	LM_IDLE_TIMEOUT,
	LM_COUNT
};
static const char *const limit_keys[LM_COUNT] = {
        "max_message_size",  "max_headers",
        "max_header_length", "max_vias",
        "max_connections",   "max_connections_per_source",
        "max_transactions",  "tls_handshake_timeout",
        "idle_timeout"};

static void parse_limits(struct cfg_ctx *c, const struct cfg_val *v)
{
	struct cfg_limits *L = &c->cfg->limits;
	L->max_message_size = 65535;
	L->max_headers = 128;
	L->max_header_length = 8192;
	L->max_vias = 70;
	L->max_connections = 4096;
	L->max_connections_per_source = 64;
	L->max_transactions = 524288;
	L->tls_handshake_timeout_ms = 5000;
	L->idle_timeout_ms = 300000;
	struct cfg_val k[LM_COUNT];
	if (!cfg_map(c, v, limit_keys, LM_COUNT, NULL, 0, k))
		return;
	static const struct {
		uint32_t min, max;
	} range[] = {
	        [LM_MAX_MESSAGE_SIZE] = {1024, 1048576},
	        [LM_MAX_HEADERS] = {16, 1024},
	        [LM_MAX_HEADER_LENGTH] = {256, 65535},
	        [LM_MAX_VIAS] = {1, 255},
	        [LM_MAX_CONNECTIONS] = {1, 1048576},
	        [LM_MAX_CONNECTIONS_PER_SOURCE] = {1, 65535},
	        [LM_MAX_TRANSACTIONS] = {1024, 4194304},
	};
	uint32_t *dst[] = {
	        [LM_MAX_MESSAGE_SIZE] = &L->max_message_size,
	        [LM_MAX_HEADERS] = &L->max_headers,
	        [LM_MAX_HEADER_LENGTH] = &L->max_header_length,
	        [LM_MAX_VIAS] = &L->max_vias,
	        [LM_MAX_CONNECTIONS] = &L->max_connections,
	        [LM_MAX_CONNECTIONS_PER_SOURCE] =
	                &L->max_connections_per_source,
	        [LM_MAX_TRANSACTIONS] = &L->max_transactions,
	};
	for (size_t i = 0; i <= LM_MAX_TRANSACTIONS; i++)
		if (k[i].node)
			cfg_get_u32(c, &k[i], range[i].min, range[i].max, NULL,
			            dst[i]);
	if (k[LM_TLS_HANDSHAKE_TIMEOUT].node)
		cfg_get_duration(c, &k[LM_TLS_HANDSHAKE_TIMEOUT], 100, 60000,
		                 &L->tls_handshake_timeout_ms);
	if (k[LM_IDLE_TIMEOUT].node)
		cfg_get_duration(c, &k[LM_IDLE_TIMEOUT], 1000, 86400000,
		                 &L->idle_timeout_ms);
	if (L->max_header_length > L->max_message_size) {
		const struct cfg_val *at = k[LM_MAX_HEADER_LENGTH].node
		                                   ? &k[LM_MAX_HEADER_LENGTH]
		                                   : &k[LM_MAX_MESSAGE_SIZE];
		cfg_err(c, at->pos, at->path,
		        "make max_header_length at most max_message_size",
		        "max_header_length %lu is larger than max_message_size"
		        " %lu",
		        (unsigned long)L->max_header_length,
		        (unsigned long)L->max_message_size);
	}
	if (L->max_connections_per_source > L->max_connections) {
		const struct cfg_val *at =
		        k[LM_MAX_CONNECTIONS_PER_SOURCE].node
		                ? &k[LM_MAX_CONNECTIONS_PER_SOURCE]
		                : &k[LM_MAX_CONNECTIONS];
		cfg_err(c, at->pos, at->path,
		        "make max_connections_per_source at most "
		        "max_connections",
		        "max_connections_per_source %lu is larger than "
		        "max_connections %lu",
		        (unsigned long)L->max_connections_per_source,
		        (unsigned long)L->max_connections);
	}
}

/* ---------------------------------------------------------------- timers */

enum { T_T1, T_T2, T_T4, T_COUNT };
static const char *const timer_keys[T_COUNT] = {"t1", "t2", "t4"};

static void parse_timers(struct cfg_ctx *c, const struct cfg_val *v)
{
	struct cfg_timers *T = &c->cfg->timers;
	T->t1_ms = 500;
	T->t2_ms = 4000;
	T->t4_ms = 5000;
	struct cfg_val k[T_COUNT];
	if (!cfg_map(c, v, timer_keys, T_COUNT, NULL, 0, k))
		return;
	if (k[T_T1].node)
		cfg_get_duration(c, &k[T_T1], 50, 10000, &T->t1_ms);
	if (k[T_T2].node)
		cfg_get_duration(c, &k[T_T2], 500, 60000, &T->t2_ms);
	if (k[T_T4].node)
		cfg_get_duration(c, &k[T_T4], 500, 60000, &T->t4_ms);
	if (T->t2_ms < T->t1_ms) {
		const struct cfg_val *at = k[T_T2].node ? &k[T_T2] : &k[T_T1];
		cfg_err(c, at->pos, at->path, "make t2 at least t1",
		        "t2 %lums is shorter than t1 %lums",
		        (unsigned long)T->t2_ms, (unsigned long)T->t1_ms);
	}
}

/* ---------------------------------------------------- cross-section rules */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	if (n < m)
		return false;
	for (size_t i = 0; i < m; i++) {
		char a = s[n - m + i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != suffix[i])
			return false;
	}
	return true;
}

static void cross_checks(struct cfg_ctx *c, const struct cfg_val *id,
                         const struct cfg_val *listen)
{
	const struct tb_config *cf = c->cfg;
	char why[CFG_PATH_MAX];
	why[0] = '\0';
	bool acs = false, tls_listener = false;
	for (size_t i = 0; i < cf->n_listeners; i++) {
		if (cf->listeners[i].transport == CFG_TRANSPORT_TLS) {
			tls_listener = true;
			if (!why[0])
				snprintf(why, sizeof(why), "listen[%zu]", i);
		}
	}
	for (size_t i = 0; i < cf->n_trunks; i++) {
		const struct cfg_trunk *t = &cf->trunks[i];
		acs = acs || t->profile == CFG_PROFILE_ACS;
		if (t->transport == CFG_TRANSPORT_TLS && !why[0])
			snprintf(why, sizeof(why), "trunks.%.100s", t->name);
	}
	struct cfg_pos idpos = id->node ? id->key : id->pos;
	char path[CFG_PATH_MAX];
	if (why[0] && !cf->identity.certificate) {
		cfg_err(c, idpos, "identity.certificate",
		        "set certificate: <PEM file: leaf then intermediates>",
		        "missing; required because %s uses tls", why);
	}
	if (why[0] && !cf->identity.private_key) {
		cfg_err(c, idpos, "identity.private_key",
		        "set private_key: <PEM key file>",
		        "missing; required because %s uses tls", why);
	}
	const char *fq = cf->identity.fqdn;
	if (acs && fq &&
	    (has_suffix(fq, ".onmicrosoft.com") ||
	     has_suffix(fq, ".azure.com"))) {
		cfg_err(c, idpos, "identity.fqdn",
		        "use a name in your own verified domain, e.g. "
		        "sbc1.contoso.com",
		        "%s; ACS does not accept an SBC FQDN under "
		        "onmicrosoft.com or azure.com",
		        fq);
	}
	for (size_t i = 0; i < cf->n_trunks; i++) {
		const struct cfg_trunk *t = &cf->trunks[i];
		bool found = false;
		for (size_t j = 0; j < cf->n_listeners; j++)
			found = found ||
			        cf->listeners[j].transport == t->transport;
		if (found || cf->n_listeners == 0)
			continue;
		if (t->profile == CFG_PROFILE_ACS && !tls_listener)
			cfg_err(c, listen->key, listen->path,
			        "add { transport: tls, port: 5061 } to listen",
			        "no tls listener; Microsoft's SIP proxy opens "
			        "its own TLS connection to the SBC for OPTIONS "
			        "and calls (trunks.%.60s)",
			        t->name);
		else if (t->profile != CFG_PROFILE_ACS)
			cfg_warn(c, listen->key, listen->path,
			         "add a listener with transport: tls",
			         "no %s listener; trunks.%.60s sends with %s "
			         "and "
			         "its peer answers the same way",
			         cfg_transport_name(t->transport), t->name,
			         cfg_transport_name(t->transport));
	}
	/* A Genesys tls trunk connects to our listener as a client: it
	 * has no client certificate and offers only P-384. */
	for (size_t i = 0; i < cf->n_trunks; i++) {
		const struct cfg_trunk *t = &cf->trunks[i];
		if (t->profile != CFG_PROFILE_GENESYS ||
		    t->transport != CFG_TRANSPORT_TLS)
			continue;
		for (size_t j = 0; j < cf->n_listeners; j++) {
			const struct cfg_listener *l = &cf->listeners[j];
			if (l->transport != CFG_TRANSPORT_TLS)
				continue;
			snprintf(path, sizeof(path), "listen[%zu].tls", j);
			if (l->tls.verify_peer == CFG_VERIFY_REQUIRED)
				cfg_warn(c, listen->pos, path,
				         "set verify_peer: optional",
				         "verify_peer required; Genesys Cloud "
				         "has no client certificate, so its "
				         "calls (trunks.%.60s) would fail",
				         t->name);
			const char *g = l->tls.groups;
			if (g && !strstr(g, "secp384r1") && !strstr(g, "P-384"))
				cfg_warn(c, listen->pos, path,
				         "add secp384r1 to groups",
				         "groups %s; Genesys Cloud "
				         "(trunks.%.60s)"
				         " offers only secp384r1",
				         g, t->name);
		}
		break;
	}
}

/* ------------------------------------------------------------------ load */

enum {
	R_IDENTITY,
	R_LISTEN,
	R_LIMITS,
	R_TIMERS,
	R_TRUNKS,
	R_ROUTES,
	R_CDR,
	R_REFUSED_SOURCES,
	R_IP_RANGES_CHECK_INTERVAL,
	R_MEDIA,
	R_ADMIN,
	R_SHUTDOWN,
	R_TRACE,
	R_LOG,
	R_COUNT
};
static const char *const root_keys[R_COUNT] = {"identity",
                                               "listen",
                                               "limits",
                                               "timers",
                                               "trunks",
                                               "routes",
                                               "cdr",
                                               "refused_sources",
                                               "ip_ranges_check_interval",
                                               "media",
                                               "admin",
                                               "shutdown",
                                               "trace",
                                               "log"};

static void diag_quiet(struct fy_diag *diag, void *user, const char *buf,
                       size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

/* Where the last [ or { still open at the end of the text was opened
 * (quotes and comments skipped); libfyaml reports an unclosed flow
 * collection at the end of the file, which is rarely where the fix goes. */
static struct cfg_pos unclosed_flow(const char *s, size_t len, char *opener)
{
	struct cfg_pos stack[64], none = cfg_pos_at(0, 0);
	char open[64];
	size_t depth = 0;
	int line = 1, col = 0;
	char quote = 0;
	bool comment = false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		col++;
		if (ch == '\n') {
			line++;
			col = 0;
			comment = false;
			continue;
		}
		if (comment)
			continue;
		if (quote) {
			if (ch == quote)
				quote = 0;
			else if (ch == '\\' && quote == '"' && i + 1 < len &&
			         s[i + 1] != '\n') {
				i++;
				col++;
			}
			continue;
		}
		if (ch == '#' &&
		    (col == 1 || s[i - 1] == ' ' || s[i - 1] == '\t'))
			comment = true;
		else if (ch == '"' || ch == '\'')
			quote = ch;
		else if (ch == '[' || ch == '{') {
			if (depth < sizeof(stack) / sizeof(stack[0])) {
				stack[depth] = cfg_pos_at(line, col);
				open[depth] = ch;
			}
			depth++;
		} else if ((ch == ']' || ch == '}') && depth)
			depth--;
	}
	if (depth == 0 || depth > sizeof(stack) / sizeof(stack[0]))
		return none;
	*opener = open[depth - 1];
	return stack[depth - 1];
}

/* libfyaml's own messages for syntax errors, with its positions. */
static size_t report_syntax(struct cfg_ctx *c, struct fy_diag *diag,
                            const char *yaml, size_t len)
{
	size_t n = 0;
	void *it = NULL;
	struct fy_diag_error *de;
	while ((de = fy_diag_errors_iterate(diag, &it))) {
		if (de->type < FYET_ERROR)
			continue;
		struct cfg_pos p = cfg_pos_at(de->line > 0 ? de->line : 0,
		                              de->column > 0 ? de->column : 0);
		const char *msg = de->msg ? de->msg : "?";
		char op = 0;
		struct cfg_pos o = strstr(msg, "flow")
		                           ? unclosed_flow(yaml, len, &op)
		                           : cfg_pos_at(0, 0);
		if (o.line && o.line <= p.line) {
			cfg_err(c, o, "",
			        "close it on this line, or quote a value that "
			        "holds [ or {",
			        "YAML syntax error: this %c is never closed; "
			        "the parser stopped at line %d: %s",
			        op, p.line, msg);
			n++;
			continue;
		}
		cfg_err(c, p, "",
		        "check indentation, colons, quotes and brackets here "
		        "and on the line above; indent with spaces, not tabs",
		        "YAML syntax error: %s", msg);
		n++;
	}
	return n;
}

/* refused_sources: drop | reply-403; ip_ranges_check_interval. */
static const char *const refused_names[] = {"drop", "reply-403"};

static void parse_allow_globals(struct cfg_ctx *c, const struct cfg_val *k)
{
	struct tb_config *cf = c->cfg;
	cf->refuse_with_403 = false;
	cf->ip_ranges_check_ms = 10000;
	int e;
	if (k[R_REFUSED_SOURCES].node &&
	    (e = cfg_get_enum(c, &k[R_REFUSED_SOURCES], refused_names, 2)) >= 0)
		cf->refuse_with_403 = e == 1;
	if (k[R_IP_RANGES_CHECK_INTERVAL].node)
		cfg_get_duration(c, &k[R_IP_RANGES_CHECK_INTERVAL], 1000,
		                 3600000, &cf->ip_ranges_check_ms);
}

static void load_root(struct cfg_ctx *c, struct fy_node *root)
{
	struct cfg_val rv;
	memset(&rv, 0, sizeof(rv));
	rv.node = root;
	rv.key = cfg_node_pos(root, cfg_pos_at(1, 1));
	rv.pos = rv.key;
	struct cfg_val k[R_COUNT];
	if (!cfg_map(c, &rv, root_keys, R_COUNT, NULL, 0, k))
		return;
	if (!k[R_IDENTITY].node)
		cfg_err(c, rv.pos, "identity.fqdn",
		        "add identity: { fqdn: sbc1.contoso.com, certificate: "
		        "..., private_key: ... }",
		        "missing; the SBC's FQDN goes in Contact and Via and "
		        "must match its certificate");
	else
		parse_identity(c, &k[R_IDENTITY]);
	parse_listen(c, &k[R_LISTEN]);
	parse_limits(c, &k[R_LIMITS]);
	parse_timers(c, &k[R_TIMERS]);
	cfg_parse_trunks(c, &k[R_TRUNKS]);
	cfg_parse_routes(c, &k[R_ROUTES]);
	cfg_parse_cdr(c, &k[R_CDR]);
	parse_allow_globals(c, k);
	cfg_parse_media(c, &k[R_MEDIA]);
	cfg_parse_admin(c, &k[R_ADMIN]);
	cfg_parse_shutdown(c, &k[R_SHUTDOWN]);
	cfg_parse_trace(c, &k[R_TRACE]);
	cfg_parse_log(c, &k[R_LOG]);
	cross_checks(c, &k[R_IDENTITY], &k[R_LISTEN]);
}

static int parse_yaml(struct cfg_ctx *c, const char *yaml, size_t len)
{
	struct fy_diag_cfg dc;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_quiet;
	dc.colorize = false;
	struct fy_diag *diag = fy_diag_create(&dc);
	if (!diag)
		return ENOMEM;
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg pc;
	memset(&pc, 0, sizeof(pc));
	pc.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT;
	pc.diag = diag;
	struct fy_parser *fyp = fy_parser_create(&pc);
	if (!fyp) {
		fy_diag_destroy(diag);
		return ENOMEM;
	}
	int rc = 0;
	struct fy_document *doc = NULL;
	if (fy_parser_set_string(fyp, yaml, len) != 0) {
		rc = ENOMEM;
		goto out;
	}
	doc = fy_parse_load_document(fyp);
	if (fy_diag_got_error(diag)) {
		if (!report_syntax(c, diag, yaml, len))
			cfg_err(c, cfg_pos_at(0, 0), "", NULL,
			        "YAML syntax error");
		goto out;
	}
	struct fy_document *more = doc ? fy_parse_load_document(fyp) : NULL;
	if (more) {
		struct fy_node *r = fy_document_root(more);
		cfg_err(c, cfg_node_pos(r, cfg_pos_at(0, 0)), "",
		        "keep one document: remove the --- line and what "
		        "follows, or merge it",
		        "a second YAML document; the config is one document");
		fy_parse_document_destroy(fyp, more);
	} else if (fy_diag_got_error(diag)) {
		report_syntax(c, diag, yaml, len);
	}
	load_root(c, doc ? fy_document_root(doc) : NULL);
out:
	if (doc)
		fy_parse_document_destroy(fyp, doc);
	fy_parser_destroy(fyp);
	fy_diag_destroy(diag);
	return rc;
}

/* Stable sort by position: file-level entries (no line) first, then top
 * to bottom, so the list reads like the file. */
static void sort_errors(struct cfg_errors *E)
{
	for (size_t i = 1; i < E->n; i++) {
		struct cfg_error tmp = E->e[i];
		size_t j = i;
		while (j > 0 && (E->e[j - 1].line > tmp.line ||
		                 (E->e[j - 1].line == tmp.line &&
		                  E->e[j - 1].column > tmp.column))) {
			E->e[j] = E->e[j - 1];
			j--;
		}
		E->e[j] = tmp;
	}
}

int cfg_load_string(const char *name, const char *yaml, size_t len,
                    struct tb_config **out, struct cfg_errors *errs)
{
	struct cfg_errors *own = NULL;
	*out = NULL;
	if (!errs) {
		own = malloc(sizeof(*own));
		if (!own)
			return ENOMEM;
		errs = own;
	}
	cfg_errors_init(errs);
	struct cfg_ctx c;
	memset(&c, 0, sizeof(c));
	c.name = name ? name : "<config>";
	c.errs = errs;
	c.arena = cfg_arena_new();
	int rc = ENOMEM;
	if (!c.arena)
		goto out;
	c.cfg = cfg_alloc(&c, sizeof(*c.cfg));
	if (!c.cfg)
		goto out;
	c.cfg->arena = c.arena;
	atomic_init(&c.cfg->refcount, 1);
	c.cfg->source = cfg_strndup(&c, c.name, strlen(c.name));
	if (yaml == NULL && len) {
		rc = EINVAL;
		goto out;
	}
	rc = parse_yaml(&c, yaml ? yaml : "", len);
	if (rc == 0 && c.oom)
		rc = ENOMEM;
	if (rc == 0 && errs->n_errors)
		rc = EINVAL;
	if (rc == 0) {
		*out = c.cfg;
		c.arena = NULL;
	}
out:
	if (rc == ENOMEM)
		cfg_err(&c, cfg_pos_at(0, 0), "", NULL,
		        "out of memory while loading");
	cfg_arena_free(c.arena);
	sort_errors(errs);
	free(own);
	return rc;
}

int cfg_load(const char *path, struct tb_config **out, struct cfg_errors *errs)
{
	*out = NULL;
	struct cfg_errors *own = NULL;
	if (!errs) {
		own = malloc(sizeof(*own));
		if (!own)
			return ENOMEM;
		errs = own;
	}
	cfg_errors_init(errs);
	struct cfg_ctx c;
	memset(&c, 0, sizeof(c));
	c.name = path;
	c.errs = errs;
	int rc = 0;
	char *buf = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		rc = errno ? errno : EIO;
		char msg[128];
		if (strerror_r(rc, msg, sizeof(msg)) != 0)
			snprintf(msg, sizeof(msg), "error %d", rc);
		cfg_err(&c, cfg_pos_at(0, 0), "",
		        "check the path given with -c", "cannot open: %s", msg);
		goto out;
	}
	size_t cap = 16384, len = 0;
	buf = malloc(cap);
	if (!buf) {
		rc = ENOMEM;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= CFG_FILE_SIZE_MAX) {
				rc = EFBIG;
				cfg_err(&c, cfg_pos_at(0, 0), "", NULL,
				        "larger than %d bytes; not a config",
				        CFG_FILE_SIZE_MAX);
				goto out;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				rc = ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				rc = EIO;
				cfg_err(&c, cfg_pos_at(0, 0), "", NULL,
				        "read error");
				goto out;
			}
			break;
		}
	}
	fclose(f);
	f = NULL;
	rc = cfg_load_string(path, buf, len, out, errs);
out:
	if (f)
		fclose(f);
	free(buf);
	free(own);
	return rc;
}
