/* cfg_admin.c: the admin section: the HTTP endpoint of /health, /status,
 * /calls and /metrics (docs/admin.md).
 *
 *   admin: { listen: "127.0.0.1:8080", token: <bearer token> }
 *
 * listen is HOST:PORT ([v6]:PORT) or a port alone (then 127.0.0.1). No
 * section: no endpoint. A listen address other than loopback without a
 * token is a warning: /status and /calls show numbers and trunks.
 */
#include "cfg/cfg_int.h"

#include <stdio.h>
#include <string.h>

enum { A_LISTEN, A_TOKEN, A_COUNT };
static const char *const admin_keys[A_COUNT] = {"listen", "token"};

#define ADMIN_TOKEN_MIN 16
#define ADMIN_TOKEN_MAX 256

static const char listen_fix[] =
        "write HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080, or a port "
        "alone (8080: loopback)";

static bool is_loopback(const struct cfg_addr *a)
{
	static const uint8_t v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0,
	                                 0, 0, 0, 0, 0, 0, 0, 1};
	if (a->family == 4)
		return a->addr[0] == 127;
	return memcmp(a->addr, v6lo, 16) == 0;
}

static bool is_unspecified(const struct cfg_addr *a)
{
	size_t n = a->family == 4 ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		if (a->addr[i])
			return false;
	return true;
}

/* "8080", "127.0.0.1:8080", "[::1]:8080", "localhost:8080". */
static bool get_listen(struct cfg_ctx *c, const struct cfg_val *v,
                       struct cfg_admin *a)
{
	char buf[96], canon[64], host[96];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return false;
	const char *port_s;
	size_t n = strlen(buf);
	if (strspn(buf, "0123456789") == n) {
		snprintf(host, sizeof(host), "127.0.0.1");
		port_s = buf;
	} else if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':') {
			cfg_err(c, v->pos, v->path, listen_fix,
			        "%s; an IPv6 address needs [ADDRESS]:PORT",
			        buf);
			return false;
		}
		*close = '\0';
		snprintf(host, sizeof(host), "%s", buf + 1);
		*close = ']';
		port_s = close + 2;
	} else {
		char *colon = strrchr(buf, ':');
		if (!colon || strchr(buf, ':') != colon) {
			cfg_err(c, v->pos, v->path, listen_fix,
			        "%s; no port (or an IPv6 address without "
			        "brackets)",
			        buf);
			return false;
		}
		*colon = '\0';
		snprintf(host, sizeof(host), "%s", buf);
		*colon = ':';
		port_s = colon + 1;
	}
	unsigned port = 0;
	size_t pl = strlen(port_s);
	if (pl == 0 || pl > 5 || strspn(port_s, "0123456789") != pl ||
	    sscanf(port_s, "%u", &port) != 1 || port < 1 || port > 65535) {
		cfg_err(c, v->pos, v->path, listen_fix,
		        "%s; the port is not a number from 1 to 65535", buf);
		return false;
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (!cfg_parse_ip(host, &a->address, canon, sizeof(canon))) {
		cfg_err(c, v->pos, v->path, listen_fix,
		        "%s; %s is not an IPv4 or IPv6 address", buf, host);
		return false;
	}
	a->port = (uint16_t)port;
	char text[96];
	if (a->address.family == 6)
		snprintf(text, sizeof(text), "[%s]:%u", canon, port);
	else
		snprintf(text, sizeof(text), "%s:%u", canon, port);
	a->address.text = cfg_strndup(c, canon, strlen(canon));
	a->listen = cfg_strndup(c, text, strlen(text));
	return a->address.text && a->listen;
}

/* RFC 6750 b68token characters: ALPHA DIGIT - . _ ~ + / then '='s. */
static bool token_ok(const char *t)
{
	size_t i = 0;
	for (; t[i]; i++) {
		char ch = t[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~+/", ch))
			continue;
		break;
	}
	while (t[i] == '=')
		i++;
	return i > 0 && t[i] == '\0';
}

static void get_token(struct cfg_ctx *c, const struct cfg_val *v,
                      struct cfg_admin *a)
{
	char buf[ADMIN_TOKEN_MAX + 1];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return;
	if (!token_ok(buf)) {
		cfg_err(c, v->pos, v->path,
		        "use letters, digits and - . _ ~ + / only, e.g. the "
		        "output of `openssl rand -hex 24`",
		        "a character a bearer token cannot hold (RFC 6750)");
		return;
	}
	if (strlen(buf) < ADMIN_TOKEN_MIN)
		cfg_warn(c, v->pos, v->path,
		         "use at least 16 characters, e.g. the output of "
		         "`openssl rand -hex 24`",
		         "%zu characters; short enough to guess", strlen(buf));
	a->token = cfg_strndup(c, buf, strlen(buf));
}

/* The admin port must not be a TCP/TLS SIP listener's on the same
 * address (or on all addresses). */
static void check_conflict(struct cfg_ctx *c, const struct cfg_val *v,
                           const struct cfg_admin *a)
{
	const struct tb_config *cf = c->cfg;
	for (size_t i = 0; i < cf->n_listeners; i++) {
		const struct cfg_listener *l = &cf->listeners[i];
		if (l->transport == CFG_TRANSPORT_UDP || l->port != a->port)
			continue;
		bool same = l->address.family == a->address.family &&
		            memcmp(l->address.addr, a->address.addr, 16) == 0;
		if (!same && !is_unspecified(&l->address) &&
		    !is_unspecified(&a->address))
			continue;
		cfg_err(c, v->pos, v->path, "pick another port, e.g. 8080",
		        "%s; port %u is already taken by the %s listener",
		        a->listen, (unsigned)a->port,
		        cfg_transport_name(l->transport));
		return;
	}
}

void cfg_parse_admin(struct cfg_ctx *c, const struct cfg_val *v)
{
	struct cfg_admin *a = &c->cfg->admin;
	memset(a, 0, sizeof(*a));
	if (!v->node)
		return;
	struct cfg_val k[A_COUNT];
	if (!cfg_map(c, v, admin_keys, A_COUNT, NULL, 0, k))
		return;
	a->enabled = true;
	if (!k[A_LISTEN].node) {
		cfg_err(c, v->pos, k[A_LISTEN].path,
		        "add listen: 127.0.0.1:8080",
		        "missing; the address and port of the admin endpoint");
		return;
	}
	if (k[A_TOKEN].node)
		get_token(c, &k[A_TOKEN], a);
	if (!get_listen(c, &k[A_LISTEN], a))
		return;
	check_conflict(c, &k[A_LISTEN], a);
	if (!is_loopback(&a->address) && !a->token && !k[A_TOKEN].node)
		cfg_warn(c, k[A_LISTEN].pos, k[A_LISTEN].path,
		         "add token: <a long random string> (clients send "
		         "Authorization: Bearer <token>), or listen on "
		         "127.0.0.1",
		         "%s is not loopback and there is no token; anyone "
		         "who reaches it sees your calls",
		         a->listen);
}
