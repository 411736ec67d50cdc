/* cfg_trunk.c: trunks:, their tls: blocks, and the cloud profiles.
 *
 * A profile is a cloud's rules written as defaults and checks (sources in
 * ../shared/docs/interop.md, summarized in docs/config.md):
 *   acs-direct-routing  (interop 1.1, 1.2, 1.5)
 *   genesys-byoc-cloud  (interop 2.1)
 *   generic             (syntax only)
 * Defaults are applied first, then the keys written in the file, then the
 * profile's checks run on the resolved values. The keys for calls
 * (media_encryption, termination_uri, headers, max_calls, ...) are read
 * and checked in cfg_calls.c.
 */
#include "cfg/cfg_int.h"

#include <string.h>
#include <strings.h>

static const char *const transport_names[] = {"udp", "tcp", "tls"};
static const char *const profile_names[] = {"generic", "acs-direct-routing",
                                            "genesys-byoc-cloud"};
static const char *const verify_names[] = {"required", "optional", "none"};

const char *cfg_transport_name(enum cfg_transport t)
{
	return (unsigned)t < 3 ? transport_names[t] : "?";
}

const char *cfg_profile_name(enum cfg_profile p)
{
	return (unsigned)p < 3 ? profile_names[p] : "?";
}

const char *cfg_verify_name(enum cfg_verify v)
{
	return (unsigned)v < 3 ? verify_names[v] : "?";
}

/* ------------------------------------------------------------------- tls */

enum {
	TK_VERIFY_PEER,
	TK_PEER_NAMES,
	TK_CA_FILE,
	TK_CIPHERS,
	TK_GROUPS,
	TK_MIN_VERSION,
	TK_CLIENT_CERTIFICATE, /* trunks only: last */
	TK_COUNT
};
static const char *const tls_keys[TK_COUNT] = {
        "verify_peer", "peer_names",  "ca_file",           "ciphers",
        "groups",      "min_version", "client_certificate"};

/* OpenSSL list syntax: names, ':' ',' ' ' separators, '+' '!' '-' '@'
 * '=' modifiers. */
static bool openssl_list_ok(const char *s)
{
	for (; *s; s++) {
		char ch = *s;
		bool ok = (ch >= 'a' && ch <= 'z') ||
		          (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || strchr(":,+!-@=_. ", ch);
		if (!ok)
			return false;
	}
	return true;
}

static const char *str_list(struct cfg_ctx *c, const struct cfg_val *v)
{
	const char *s = cfg_str(c, v);
	if (s && !openssl_list_ok(s)) {
		cfg_err(c, v->pos, v->path,
		        "names separated by ':', e.g. secp384r1:prime256v1",
		        "%s; not an OpenSSL list", s);
		return NULL;
	}
	return s;
}

static void parse_peer_names(struct cfg_ctx *c, const struct cfg_val *v,
                             struct cfg_tls *tls)
{
	if (cfg_is_null(v))
		return;
	size_t n;
	const char **names = cfg_list_alloc(
	        c, v, CFG_MAX_PEER_NAMES, sizeof(*names), "names", "names",
	        "peer_names: [\"*.pstnhub.microsoft.com\"]", &n);
	if (!names)
		return;
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		const char *s = cfg_str(c, &item);
		if (!s)
			continue;
		if (!cfg_dns_name_ok(s, true)) {
			cfg_err(c, item.pos, item.path,
			        "write a DNS name, or *.domain for any one "
			        "label",
			        "%s; not a DNS name", s);
			continue;
		}
		names[k++] = s;
	}
	tls->peer_names = names;
	tls->n_peer_names = k;
}

/* k[] receives each key's value (node NULL when absent, then pos is the
 * tls: key's position), for the profile rules to point at. */
static void parse_tls(struct cfg_ctx *c, const struct cfg_val *v, bool listener,
                      struct cfg_tls *tls, struct cfg_val *k)
{
	size_t nk = listener ? TK_COUNT - 1 : TK_COUNT;
	if (!cfg_map(c, v, tls_keys, nk, NULL, 0, k))
		return;
	int e;
	if (k[TK_VERIFY_PEER].node &&
	    (e = cfg_get_enum(c, &k[TK_VERIFY_PEER], verify_names, 3)) >= 0)
		tls->verify_peer = (enum cfg_verify)e;
	if (k[TK_PEER_NAMES].node)
		parse_peer_names(c, &k[TK_PEER_NAMES], tls);
	if (k[TK_CA_FILE].node)
		tls->ca_file = cfg_str(c, &k[TK_CA_FILE]);
	if (k[TK_CIPHERS].node)
		tls->ciphers = str_list(c, &k[TK_CIPHERS]);
	if (k[TK_GROUPS].node)
		tls->groups = str_list(c, &k[TK_GROUPS]);
	if (k[TK_MIN_VERSION].node) {
		char buf[32];
		const struct cfg_val *mv = &k[TK_MIN_VERSION];
		if (cfg_text(c, mv, buf, sizeof(buf))) {
			const char *b = buf;
			if (!strncmp(b, "TLSv", 4) || !strncmp(b, "tlsv", 4))
				b += 4;
			if (!strcmp(b, "1.2"))
				tls->min_version = CFG_TLS_1_2;
			else if (!strcmp(b, "1.3"))
				tls->min_version = CFG_TLS_1_3;
			else if (!strcmp(b, "1.0") || !strcmp(b, "1.1") ||
			         !strcmp(b, "1"))
				cfg_err(c, mv->pos, mv->path,
				        "set min_version: \"1.2\"",
				        "%s; TLS 1.0 and 1.1 are off at "
				        "Microsoft"
				        " since 2022 and Genesys takes 1.2 "
				        "only",
				        buf);
			else
				cfg_err(c, mv->pos, mv->path,
				        "write \"1.2\" or \"1.3\"",
				        "%s; not a TLS version", buf);
		}
	}
	if (!listener && k[TK_CLIENT_CERTIFICATE].node)
		cfg_get_bool(c, &k[TK_CLIENT_CERTIFICATE],
		             &tls->client_certificate);
}

void cfg_parse_tls(struct cfg_ctx *c, const struct cfg_val *v, bool listener,
                   struct cfg_tls *tls)
{
	struct cfg_val k[TK_COUNT];
	parse_tls(c, v, listener, tls, k);
}

/* Does an OpenSSL groups list offer P-384, and first? */
static int groups_p384(const char *groups)
{
	int idx = 0;
	const char *p = groups;
	while (*p) {
		size_t n = strcspn(p, ":, ");
		if (n) {
			if ((n == 9 && !strncmp(p, "secp384r1", 9)) ||
			    (n == 5 && (!strncmp(p, "P-384", 5) ||
			                !strncmp(p, "p-384", 5))))
				return idx == 0 ? 1 : 2;
			idx++;
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

/* ---------------------------------------------------------------- servers */

static void parse_host_port(struct cfg_ctx *c, const struct cfg_val *v,
                            const char *text, const struct cfg_val *portv,
                            uint16_t default_port, struct cfg_server *out,
                            bool *ok)
{
	char host[256];
	uint32_t port = default_port;
	const char *h = text;
	size_t hl = strlen(text);
	const char *ptext = NULL;
	*ok = false;
	if (!strncmp(text, "sip:", 4) || !strncmp(text, "sips:", 5)) {
		cfg_err(c, v->pos, v->path,
		        "write the host name alone, e.g. "
		        "sip.pstnhub.microsoft.com or host:port",
		        "%s; a server is a host, not a SIP URI", text);
		return;
	}
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end) {
			cfg_err(c, v->pos, v->path, "write [2001:db8::1]:5061",
			        "%s; missing ]", text);
			return;
		}
		h = text + 1;
		hl = (size_t)(end - h);
		if (end[1] == ':')
			ptext = end + 2;
		else if (end[1]) {
			cfg_err(c, v->pos, v->path, "write [2001:db8::1]:5061",
			        "%s; unexpected text after ]", text);
			return;
		}
	} else {
		const char *colon = strchr(text, ':');
		/* One colon: host:port. More: a bare IPv6 address. */
		if (colon && !strchr(colon + 1, ':')) {
			hl = (size_t)(colon - text);
			ptext = colon + 1;
		}
	}
	if (hl == 0 || hl >= sizeof(host)) {
		cfg_err(c, v->pos, v->path, "write host or host:port",
		        "%s; no host", text);
		return;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (ptext) {
		uint32_t x = 0;
		size_t i = 0;
		for (; ptext[i] >= '0' && ptext[i] <= '9' && i < 6; i++)
			x = x * 10 + (uint32_t)(ptext[i] - '0');
		if (i == 0 || ptext[i] || x < 1 || x > 65535) {
			cfg_err(c, v->pos, v->path,
			        "use a port from 1 to 65535; 5061 for TLS",
			        "%s; bad port", text);
			return;
		}
		port = x;
	}
	if (portv && portv->node &&
	    !cfg_get_u32(c, portv, 1, 65535,
	                 "use a port from 1 to 65535; 5061 for TLS", &port))
		return;
	char canon[64];
	struct cfg_addr a;
	if (cfg_parse_ip(host, &a, canon, sizeof(canon))) {
		out->host = cfg_strndup(c, canon, strlen(canon));
		out->host_is_ip = true;
	} else if (cfg_dns_name_ok(host, false)) {
		out->host = cfg_strndup(c, host, hl);
	} else {
		cfg_err(c, v->pos, v->path,
		        "write a DNS name or an IP address, with :port if not"
		        " the default",
		        "%s; not a host name or IP address", host);
		return;
	}
	out->port = (uint16_t)port;
	*ok = out->host != NULL;
}

static const char *const server_keys[] = {"host", "port"};

static void parse_servers(struct cfg_ctx *c, const struct cfg_val *v,
                          uint16_t default_port, struct cfg_trunk *t)
{
	size_t n;
	struct cfg_server *sv = cfg_list_alloc(
	        c, v, CFG_MAX_SERVERS, sizeof(*sv), "servers", "servers",
	        "servers: [sip.example.com, \"10.0.0.5:5061\"]", &n);
	if (!sv)
		return;
	if (n == 0) {
		cfg_err(c, v->pos, v->path,
		        "list at least one server: servers: [host] or "
		        "[host:port]",
		        "empty; a trunk needs at least one server");
		return;
	}
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		bool ok = false;
		if (cfg_is_map(&item)) {
			struct cfg_val f[2];
			char host[256];
			if (!cfg_map(c, &item, server_keys, 2, NULL, 0, f))
				continue;
			if (!f[0].node) {
				cfg_err(c, item.pos, f[0].path,
				        "add host: <name or address>",
				        "missing");
				continue;
			}
			if (!cfg_text(c, &f[0], host, sizeof(host)))
				continue;
			if (strchr(host, ':') && !strchr(host, '[') &&
			    !cfg_parse_ip(host, NULL, NULL, 0)) {
				cfg_err(c, f[0].pos, f[0].path,
				        "put the port in port:",
				        "%s; host: holds the name only", host);
				continue;
			}
			parse_host_port(c, &f[0], host, &f[1], default_port,
			                &sv[k], &ok);
		} else {
			char text[300];
			if (!cfg_text(c, &item, text, sizeof(text)))
				continue;
			parse_host_port(c, &item, text, NULL, default_port,
			                &sv[k], &ok);
		}
		if (!ok)
			continue;
		for (size_t j = 0; j < k; j++) {
			if (sv[j].port == sv[k].port &&
			    !strcmp(sv[j].host, sv[k].host)) {
				cfg_warn(c, item.pos, item.path,
				         "remove the duplicate",
				         "%s:%u is listed twice", sv[k].host,
				         (unsigned)sv[k].port);
				break;
			}
		}
		k++;
	}
	t->servers = sv;
	t->n_servers = k;
}

/* ------------------------------------------------------------ allow, codes */

static void parse_allow(struct cfg_ctx *c, const struct cfg_val *v,
                        struct cfg_trunk *t)
{
	if (cfg_is_null(v)) {
		t->allow = NULL;
		t->n_allow = 0;
		return;
	}
	size_t n;
	struct cfg_cidr *a = cfg_list_alloc(
	        c, v, CFG_MAX_ALLOW, sizeof(*a), "CIDR prefixes", "prefixes",
	        "allow: [52.112.0.0/14, 52.120.0.0/14]", &n);
	if (!a)
		return;
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		char text[80], net[80];
		if (!cfg_text(c, &item, text, sizeof(text)))
			continue;
		int r = cfg_parse_cidr(text, &a[k], net, sizeof(net));
		if (r == 1) {
			cfg_err(c, item.pos, item.path,
			        "write address/prefix-length, e.g. "
			        "52.112.0.0/14"
			        " or 2603:1063::/38",
			        "%s; not a CIDR prefix", text);
		} else if (r == 2) {
			cfg_err(c, item.pos, item.path,
			        "the prefix length is 0-32 for IPv4, 0-128 for"
			        " IPv6",
			        "%s; prefix length out of range", text);
		} else if (r == 3) {
			char fix[CFG_TEXT_MAX];
			snprintf(fix, sizeof(fix), "did you mean %s?", net);
			cfg_err(c, item.pos, item.path, fix,
			        "%s; address has bits set after the prefix",
			        text);
		} else {
			k++;
		}
	}
	t->allow = a;
	t->n_allow = k;
}

/* A name of allow_from_ip_ranges.directions: Genesys' own (interop 2.5:
 * inbound to Genesys, outbound from it). */
static void direction_ok(struct cfg_ctx *c, const struct cfg_val *item,
                         const char *name)
{
	if (strcasecmp(name, "inbound") && strcasecmp(name, "outbound"))
		cfg_warn(c, item->pos, item->path,
		         "write inbound and/or outbound",
		         "%s; Genesys' ip-ranges directions are inbound and "
		         "outbound (interop 2.5): no entry would match it",
		         name);
}

/* allow_from_ip_ranges: a list of names (services, regions, directions);
 * absent, empty or [] takes any value. check, when set, looks at each. */
static void parse_names(struct cfg_ctx *c, const struct cfg_val *v,
                        const char *example, const char *const **out,
                        size_t *n_out,
                        void (*check)(struct cfg_ctx *, const struct cfg_val *,
                                      const char *))
{
	*out = NULL;
	*n_out = 0;
	if (cfg_is_null(v))
		return;
	size_t n;
	const char **names =
	        cfg_list_alloc(c, v, CFG_MAX_IPR_FILTER, sizeof(*names),
	                       "names", "names", example, &n);
	if (!names)
		return;
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		char buf[CFG_IPR_NAME_MAX];
		if (!cfg_text(c, &item, buf, sizeof(buf)))
			continue;
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = !strcasecmp(names[j], buf);
		if (dup) {
			cfg_warn(c, item.pos, item.path, "remove the duplicate",
			         "%s is listed twice", buf);
			continue;
		}
		if (check)
			check(c, &item, buf);
		names[k] = cfg_strndup(c, buf, strlen(buf));
		if (!names[k])
			return;
		k++;
	}
	*out = names;
	*n_out = k;
}

enum { IR_FILE, IR_SERVICES, IR_REGIONS, IR_DIRECTIONS, IR_COUNT };
static const char *const ipr_keys[IR_COUNT] = {"file", "services", "regions",
                                               "directions"};

/* allow_from_ip_ranges: { file, services, regions, directions }: a Genesys
 * ip-ranges JSON file (interop 2.5) whose entries join `allow`. The file
 * is only named here: run reads it (and again on SIGHUP and when it
 * changes), check reads it and reports what is wrong with it. */
static void parse_ip_ranges(struct cfg_ctx *c, const struct cfg_val *v,
                            struct cfg_trunk *t)
{
	struct cfg_val k[IR_COUNT];
	struct cfg_ip_ranges *r = &t->ip_ranges;
	if (!cfg_map(c, v, ipr_keys, IR_COUNT, NULL, 0, k))
		return;
	const char *file = NULL;
	if (!k[IR_FILE].node)
		cfg_err(c, v->key, k[IR_FILE].path,
		        "add file: <the saved answer of GET /api/v2/ipranges>, "
		        "e.g. file: /etc/trunkbridge/genesys-ipranges.json",
		        "missing; the Genesys ip-ranges JSON file to read");
	else
		file = cfg_str(c, &k[IR_FILE]);
	parse_names(c, &k[IR_SERVICES], "services: [<service name>]",
	            &r->services, &r->n_services, NULL);
	parse_names(c, &k[IR_REGIONS], "regions: [us-east-1]", &r->regions,
	            &r->n_regions, NULL);
	parse_names(c, &k[IR_DIRECTIONS], "directions: [outbound]",
	            &r->directions, &r->n_directions, direction_ok);
	bool in = false, out = false;
	for (size_t i = 0; i < r->n_directions; i++) {
		in = in || !strcasecmp(r->directions[i], "inbound");
		out = out || !strcasecmp(r->directions[i], "outbound");
	}
	if (in && !out)
		cfg_warn(c, k[IR_DIRECTIONS].pos, k[IR_DIRECTIONS].path,
		         "add outbound: directions: [outbound]",
		         "inbound only; these are the ranges Genesys receives "
		         "on, and requests Genesys sends come from its "
		         "outbound ranges (interop 2.5, F9)");
	r->file = file;
}

static void parse_codes(struct cfg_ctx *c, const struct cfg_val *v,
                        struct cfg_trunk *t)
{
	if (cfg_is_null(v)) {
		t->failover_codes = NULL;
		t->n_failover_codes = 0;
		return;
	}
	size_t n;
	uint16_t *codes = cfg_list_alloc(c, v, CFG_MAX_CODES, sizeof(*codes),
	                                 "SIP response codes", "codes",
	                                 "failover_codes: [408, 503, 504]", &n);
	if (!codes)
		return;
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		uint32_t x;
		if (!cfg_get_u32(c, &item, 400, 699,
		                 "a failure response code from 400 to 699, "
		                 "e.g. 408, 503, 504",
		                 &x))
			continue;
		bool dup = false;
		for (size_t j = 0; j < k; j++)
			dup = dup || codes[j] == x;
		if (dup) {
			cfg_warn(c, item.pos, item.path, "remove the duplicate",
			         "%lu is listed twice", (unsigned long)x);
			continue;
		}
		codes[k++] = (uint16_t)x;
	}
	t->failover_codes = codes;
	t->n_failover_codes = k;
}

/* ------------------------------------------------------------- profiles */

static const uint16_t default_codes[] = {408, 503, 504};
static const char *const acs_peer_names[] = {"*.pstnhub.microsoft.com"};
static const char *const acs_servers[] = {"sip.pstnhub.microsoft.com",
                                          "sip2.pstnhub.microsoft.com",
                                          "sip3.pstnhub.microsoft.com"};
static const struct cfg_server acs_server_list[] = {
        {"sip.pstnhub.microsoft.com", 5061, false},
        {"sip2.pstnhub.microsoft.com", 5061, false},
        {"sip3.pstnhub.microsoft.com", 5061, false},
};
/* interop 1.1: Microsoft's signaling (and media) ranges. */
static const struct cfg_cidr acs_allow[] = {
        {4, 14, {52, 112, 0, 0}},
        {4, 14, {52, 120, 0, 0}},
};
#define GENESYS_GROUPS "secp384r1:prime256v1:x25519"

/* Defaults before the file's keys are applied. Pointers to static const
 * data are fine: the generation only reads them. */
static void profile_defaults(struct cfg_trunk *t)
{
	t->transport = CFG_TRANSPORT_TLS;
	t->tls.verify_peer = CFG_VERIFY_REQUIRED;
	t->tls.min_version = CFG_TLS_1_2;
	t->options_interval_ms = 60000;
	t->options_timeout_ms = 5000;
	t->failover_codes = default_codes;
	t->n_failover_codes = 3;
	t->up_after = 1;
	t->down_after = 2;
	switch (t->profile) {
	case CFG_PROFILE_ACS:
		t->tls.peer_names = acs_peer_names;
		t->tls.n_peer_names = 1;
		t->tls.client_certificate = true;
		t->servers = acs_server_list;
		t->n_servers = 3;
		t->allow = acs_allow;
		t->n_allow = 2;
		break;
	case CFG_PROFILE_GENESYS:
		t->tls.groups = GENESYS_GROUPS;
		break;
	case CFG_PROFILE_GENERIC:
		break;
	}
}

static bool is_acs_name(const char *host)
{
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(host, acs_servers[i]))
			return true;
	return false;
}

static void acs_rules(struct cfg_ctx *c, struct cfg_trunk *t,
                      const struct cfg_val *k_transport,
                      const struct cfg_val *k_servers, const struct cfg_val *tk,
                      const struct cfg_val *k_interval)
{
	if (t->transport != CFG_TRANSPORT_TLS)
		cfg_err(c, k_transport->pos, k_transport->path,
		        "set transport: tls",
		        "%s; ACS Direct Routing requires tls",
		        cfg_transport_name(t->transport));
	const struct cfg_val *k = &tk[TK_VERIFY_PEER];
	if (t->tls.verify_peer != CFG_VERIFY_REQUIRED)
		cfg_warn(c, k->pos, k->path, "set verify_peer: required",
		         "%s; anyone could pose as Microsoft's SIP proxy",
		         cfg_verify_name(t->tls.verify_peer));
	k = &tk[TK_CLIENT_CERTIFICATE];
	if (!t->tls.client_certificate)
		cfg_warn(c, k->pos, k->path, "set client_certificate: true",
		         "false; Microsoft's SIP proxy asks for the SBC "
		         "certificate and ends the handshake without it");
	for (size_t i = 0; i < t->n_servers; i++) {
		const struct cfg_server *s = &t->servers[i];
		if (!strcmp(s->host, "sip-all.pstnhub.microsoft.com"))
			cfg_err(c, k_servers->pos, k_servers->path,
			        "use sip, sip2 and sip3.pstnhub.microsoft.com",
			        "sip-all.pstnhub.microsoft.com was retired on 1"
			        " June 2022");
		else if (s->host_is_ip)
			cfg_warn(c, k_servers->pos, k_servers->path,
			         "list the FQDNs sip, sip2, sip3"
			         ".pstnhub.microsoft.com",
			         "%s; send OPTIONS and calls to Microsoft's "
			         "FQDNs,"
			         " never to resolved IPs (they move)",
			         s->host);
		else if (s->port != 5061 && is_acs_name(s->host))
			cfg_warn(c, k_servers->pos, k_servers->path,
			         "use port 5061",
			         "%s:%u; Microsoft's SIP proxy listens on 5061",
			         s->host, (unsigned)s->port);
	}
	if (t->options_interval_ms > 60000)
		cfg_warn(c, k_interval->pos, k_interval->path,
		         "set options_interval: 60s or less",
		         "%lus; Microsoft expects about one OPTIONS a minute "
		         "and demotes a trunk silent for 5 minutes",
		         (unsigned long)(t->options_interval_ms / 1000));
}

static void genesys_rules(struct cfg_ctx *c, struct cfg_trunk *t,
                          const struct cfg_val *k_transport,
                          const struct cfg_val *tk)
{
	if (t->transport != CFG_TRANSPORT_TLS) {
		cfg_warn(c, k_transport->pos, k_transport->path,
		         "set transport: tls, and TLS on the Genesys trunk",
		         "%s; Genesys allows it but the guide requires TLS",
		         cfg_transport_name(t->transport));
		return;
	}
	const struct cfg_val *k = &tk[TK_MIN_VERSION];
	if (t->tls.min_version == CFG_TLS_1_3)
		cfg_err(c, k->pos, k->path, "set min_version: \"1.2\"",
		        "1.3; Genesys Cloud speaks TLS 1.2 only");
	k = &tk[TK_GROUPS];
	int g = t->tls.groups ? groups_p384(t->tls.groups) : 1;
	if (g == 0)
		cfg_err(c, k->pos, k->path, "put secp384r1 first in groups",
		        "%s; Genesys Cloud takes only secp384r1 (P-384) for "
		        "ECDHE",
		        t->tls.groups);
	else if (g == 2)
		cfg_warn(c, k->pos, k->path, "put secp384r1 first in groups",
		         "%s; Genesys Cloud takes only secp384r1 (P-384): "
		         "offer it first",
		         t->tls.groups);
	k = &tk[TK_VERIFY_PEER];
	if (t->tls.verify_peer != CFG_VERIFY_REQUIRED)
		cfg_warn(c, k->pos, k->path, "set verify_peer: required",
		         "%s; anyone could pose as Genesys Cloud",
		         cfg_verify_name(t->tls.verify_peer));
	k = &tk[TK_CLIENT_CERTIFICATE];
	if (t->tls.client_certificate)
		cfg_warn(c, k->pos, k->path, "set client_certificate: false",
		         "true; Genesys Cloud does not support mutual TLS and "
		         "never asks for it");
}

/* ----------------------------------------------------------------- trunk */

enum {
	K_PROFILE,
	K_SERVERS,
	K_TRANSPORT,
	K_TLS,
	K_OPTIONS_INTERVAL,
	K_OPTIONS_TIMEOUT,
	K_FAILOVER_CODES,
	K_UP_AFTER,
	K_DOWN_AFTER,
	K_ALLOW,
	K_ALLOW_FROM_IP_RANGES,
	K_CALLS, /* then cfg_call_keys, in CK_ order */
	K_COUNT = K_CALLS + CK_COUNT
};
static const char *const trunk_keys[K_CALLS] = {"profile",
                                                "servers",
                                                "transport",
                                                "tls",
                                                "options_interval",
                                                "options_timeout",
                                                "failover_codes",
                                                "up_after",
                                                "down_after",
                                                "allow",
                                                "allow_from_ip_ranges"};

static bool trunk_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return false;
	for (; *s; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.'))
			return false;
	}
	return true;
}

static void parse_trunk(struct cfg_ctx *c, const struct cfg_val *v,
                        struct cfg_trunk *t)
{
	struct cfg_val k[K_COUNT];
	const char *keys[K_COUNT];
	memcpy(keys, trunk_keys, sizeof(trunk_keys));
	memcpy(keys + K_CALLS, cfg_call_keys, sizeof(cfg_call_keys));
	if (!cfg_map(c, v, keys, K_COUNT, NULL, 0, k))
		return;
	if (!k[K_PROFILE].node) {
		cfg_err(c, v->key, k[K_PROFILE].path,
		        "add profile: acs-direct-routing, genesys-byoc-cloud"
		        " or generic",
		        "missing; every trunk names its cloud's profile");
		return;
	}
	int e = cfg_get_enum(c, &k[K_PROFILE], profile_names, 3);
	if (e < 0)
		return;
	t->profile = (enum cfg_profile)e;
	profile_defaults(t);
	cfg_call_defaults(t);

	if (k[K_TRANSPORT].node &&
	    (e = cfg_get_enum(c, &k[K_TRANSPORT], transport_names, 3)) >= 0)
		t->transport = (enum cfg_transport)e;
	/* Where each tls key is, or where tls: would go. */
	struct cfg_val tk[TK_COUNT];
	for (size_t i = 0; i < TK_COUNT; i++) {
		tk[i].node = NULL;
		tk[i].key = tk[i].pos = k[K_TLS].node ? k[K_TLS].key : v->key;
		snprintf(tk[i].path, sizeof(tk[i].path), "%.64s.%s",
		         k[K_TLS].path, tls_keys[i]);
	}
	if (k[K_TLS].node) {
		parse_tls(c, &k[K_TLS], false, &t->tls, tk);
		if (t->transport != CFG_TRANSPORT_TLS)
			cfg_warn(c, k[K_TLS].key, k[K_TLS].path,
			         "remove tls: or set transport: tls",
			         "ignored: transport is %s",
			         cfg_transport_name(t->transport));
	}
	uint16_t dport = t->transport == CFG_TRANSPORT_TLS ? 5061 : 5060;
	if (k[K_SERVERS].node) {
		parse_servers(c, &k[K_SERVERS], dport, t);
	} else if (t->profile != CFG_PROFILE_ACS) {
		cfg_err(c, v->key, k[K_SERVERS].path,
		        "add servers: [host] or [host:port]",
		        "missing; a %s trunk needs at least one server",
		        cfg_profile_name(t->profile));
	}
	if (k[K_OPTIONS_INTERVAL].node)
		cfg_get_duration(c, &k[K_OPTIONS_INTERVAL], 5000, 3600000,
		                 &t->options_interval_ms);
	if (k[K_OPTIONS_TIMEOUT].node &&
	    cfg_get_duration(c, &k[K_OPTIONS_TIMEOUT], 100, 60000,
	                     &t->options_timeout_ms) &&
	    t->options_timeout_ms >= t->options_interval_ms)
		cfg_err(c, k[K_OPTIONS_TIMEOUT].pos, k[K_OPTIONS_TIMEOUT].path,
		        "make options_timeout shorter than options_interval",
		        "%lums; not shorter than options_interval (%lums)",
		        (unsigned long)t->options_timeout_ms,
		        (unsigned long)t->options_interval_ms);
	if (k[K_FAILOVER_CODES].node)
		parse_codes(c, &k[K_FAILOVER_CODES], t);
	if (k[K_UP_AFTER].node)
		cfg_get_u32(c, &k[K_UP_AFTER], 1, 100, NULL, &t->up_after);
	if (k[K_DOWN_AFTER].node)
		cfg_get_u32(c, &k[K_DOWN_AFTER], 1, 100, NULL, &t->down_after);
	if (k[K_ALLOW].node)
		parse_allow(c, &k[K_ALLOW], t);
	if (k[K_ALLOW_FROM_IP_RANGES].node)
		parse_ip_ranges(c, &k[K_ALLOW_FROM_IP_RANGES], t);

	/* Rules point at the key written, or at the trunk when it is a
	 * default that a profile rule rejects. */
	struct cfg_val at_trunk = *v;
	at_trunk.pos = v->key;
	const struct cfg_val *kt =
	        k[K_TRANSPORT].node ? &k[K_TRANSPORT] : &at_trunk;
	const struct cfg_val *ks =
	        k[K_SERVERS].node ? &k[K_SERVERS] : &at_trunk;
	const struct cfg_val *ki =
	        k[K_OPTIONS_INTERVAL].node ? &k[K_OPTIONS_INTERVAL] : &at_trunk;
	if (t->profile == CFG_PROFILE_ACS)
		acs_rules(c, t, kt, ks, tk, ki);
	else if (t->profile == CFG_PROFILE_GENESYS)
		genesys_rules(c, t, kt, tk);
	cfg_parse_calls(c, v, &k[K_CALLS], t);
}

void cfg_parse_trunks(struct cfg_ctx *c, const struct cfg_val *v)
{
	if (cfg_is_null(v) ||
	    (cfg_is_map(v) && fy_node_mapping_item_count(v->node) == 0)) {
		cfg_err(c, v->pos, v->path,
		        "add trunks: with one entry per cloud, e.g. acs: "
		        "{ profile: acs-direct-routing }",
		        "missing; at least one trunk is needed");
		return;
	}
	if (!cfg_is_map(v)) {
		cfg_err(c, v->pos, v->path,
		        "write one entry per trunk: trunks: { acs: {...}, "
		        "genesys: {...} }",
		        "found %s; expected a mapping of trunk names",
		        cfg_node_kind(v->node));
		return;
	}
	size_t n = (size_t)fy_node_mapping_item_count(v->node);
	if (n > CFG_MAX_TRUNKS) {
		cfg_err(c, v->pos, v->path, NULL, "%zu trunks; at most %d", n,
		        CFG_MAX_TRUNKS);
		return;
	}
	struct cfg_trunk *trunks = cfg_alloc(c, n * sizeof(*trunks));
	if (!trunks)
		return;
	size_t k = 0;
	void *it = NULL;
	struct fy_node_pair *pr;
	while ((pr = fy_node_mapping_iterate(v->node, &it))) {
		struct cfg_val tv;
		struct fy_node *key = fy_node_pair_key(pr);
		tv.node = fy_node_pair_value(pr);
		tv.key = cfg_node_pos(key, v->pos);
		tv.pos = cfg_node_pos(tv.node, tv.key);
		size_t len = 0;
		const char *name = NULL;
		if (key && fy_node_get_type(key) == FYNT_SCALAR)
			name = fy_node_get_scalar(key, &len);
		char nb[80];
		if (!name || len == 0 || len >= sizeof(nb)) {
			cfg_err(c, tv.key, v->path,
			        "name trunks with letters, digits, - and _",
			        "bad trunk name");
			continue;
		}
		memcpy(nb, name, len);
		nb[len] = '\0';
		snprintf(tv.path, sizeof(tv.path), "trunks.%.64s", nb);
		if (!trunk_name_ok(nb)) {
			cfg_err(c, tv.key, tv.path,
			        "name trunks with letters, digits, -, _ and .",
			        "bad trunk name");
			continue;
		}
		if (!tv.node || cfg_is_null(&tv)) {
			cfg_err(c, tv.key, tv.path,
			        "add at least profile: under the trunk name",
			        "empty trunk");
			continue;
		}
		struct cfg_trunk *t = &trunks[k];
		memset(t, 0, sizeof(*t));
		t->name = cfg_strndup(c, nb, len);
		size_t before = c->errs->n_errors;
		parse_trunk(c, &tv, t);
		if (c->errs->n_errors == before)
			k++;
	}
	c->cfg->trunks = trunks;
	c->cfg->n_trunks = k;
}
