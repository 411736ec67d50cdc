/* cmd_status.c: `trunkbridge status [-c FILE | --url URL] [--token T]`.
 *
 * Asks a running trunkbridge's admin endpoint (GET /status, HTTP/1.0 over
 * one TCP connection, bounded in time and size) and prints its trunks and
 * servers, then the calls in progress. The endpoint comes from --url, or
 * from the config file's admin section (-c; its token too). Exit 0 when
 * every trunk is Active, 1 when one is not, 2 when the endpoint cannot be
 * reached or its answer cannot be read.
 */
#include "app/cmds.h"
#include "base/clock.h"
#include "cfg/cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STATUS_MAX_ANSWER (4u << 20) /* bytes of an answer we read */
#define STATUS_TIMEOUT_MS 5000

static const char usage_text[] =
        "usage: trunkbridge status [-c FILE | --url http://127.0.0.1:8080] "
        "[--token T]\n";

/* "http://HOST:PORT[/...]" ("[v6]" for IPv6; port 80 when none). */
static int parse_url(const char *url, char *host, size_t hcap, char *port,
                     size_t pcap)
{
	if (strncmp(url, "http://", 7) != 0)
		return -1;
	const char *h = url + 7, *end = h + strcspn(h, "/");
	const char *colon = NULL;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		if (!close)
			return -1;
		if ((size_t)(close - h - 1) >= hcap)
			return -1;
		memcpy(host, h + 1, (size_t)(close - h - 1));
		host[close - h - 1] = '\0';
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		for (const char *p = h; p < end; p++)
			if (*p == ':')
				colon = p;
		const char *he = colon ? colon : end;
		if (he == h || (size_t)(he - h) >= hcap)
			return -1;
		memcpy(host, h, (size_t)(he - h));
		host[he - h] = '\0';
	}
	if (colon) {
		size_t n = (size_t)(end - colon - 1);
		if (n == 0 || n >= pcap)
			return -1;
		memcpy(port, colon + 1, n);
		port[n] = '\0';
	} else {
		snprintf(port, pcap, "80");
	}
	return 0;
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int64_t left = deadline - (int64_t)tb_mono_ms();
	if (left <= 0)
		return -1;
	int rc = poll(&p, 1, (int)left);
	return rc == 1 ? 0 : -1;
}

/* GET path from host:port; the whole answer (up to the cap) in *out. */
static int http_get(const char *host, const char *port, const char *path,
                    const char *token, char **out, size_t *outlen, char *err,
                    size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	int64_t deadline = (int64_t)tb_mono_ms() + STATUS_TIMEOUT_MS;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int so = 0;
		socklen_t sl = sizeof(so);
		if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) || so) {
			snprintf(err, errlen, "cannot connect to %s:%s: %s",
			         host, port, so ? strerror(so) : "timed out");
			goto fail;
		}
	}
	char req[1024];
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.0\r\nHost: %s\r\n%s%s%s"
	                 "Accept: application/json\r\n\r\n",
	                 path, host, token ? "Authorization: Bearer " : "",
	                 token ? token : "", token ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req)) {
		snprintf(err, errlen, "token too long");
		goto fail;
	}
	for (size_t off = 0; off < (size_t)n;) {
		ssize_t w = send(fd, req + off, (size_t)n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN &&
		    wait_fd(fd, POLLOUT, deadline) == 0)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			goto fail;
		}
		off += (size_t)w;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (;;) {
		if (len + 1 == cap) {
			if (cap >= STATUS_MAX_ANSWER) {
				snprintf(err, errlen,
				         "answer larger than %u "
				         "bytes",
				         STATUS_MAX_ANSWER);
				free(buf);
				goto fail;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				free(buf);
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r > 0) {
			len += (size_t)r;
			continue;
		}
		if (r == 0)
			break;
		if (errno == EAGAIN && wait_fd(fd, POLLIN, deadline) == 0)
			continue;
		snprintf(err, errlen, "no complete answer from %s:%s (%s)",
		         host, port,
		         errno == EAGAIN ? "timed out" : strerror(errno));
		free(buf);
		goto fail;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	close(fd);
	freeaddrinfo(ai);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/* The status code and the body of an HTTP answer (len bytes). */
static int split_answer(const char *a, size_t len, int *code, const char **body,
                        size_t *blen)
{
	if (len < 12 || strncmp(a, "HTTP/1.", 7) != 0 || a[8] != ' ')
		return -1;
	*code = 0;
	for (int i = 9; i < 12; i++) {
		if (a[i] < '0' || a[i] > '9')
			return -1;
		*code = *code * 10 + (a[i] - '0');
	}
	for (size_t i = 0; i + 3 < len; i++) {
		if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' &&
		    a[i + 3] == '\n') {
			*body = a + i + 4;
			*blen = len - i - 4;
			return 0;
		}
	}
	return -1;
}

static const char *jstr(json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : dflt;
}

/* The table; returns 0 when every trunk is Active, else 1. */
static int print_status(json_t *j)
{
	json_t *trunks = json_object_get(j, "trunks");
	int rc = 0;
	size_t i, k;
	json_t *t, *s;

	printf("trunkbridge %s, up %llds, config %s (loaded %s)\n\n",
	       jstr(j, "version", "?"),
	       (long long)json_integer_value(json_object_get(j, "uptime_s")),
	       jstr(json_object_get(j, "config"), "file", "?"),
	       jstr(json_object_get(j, "config"), "loaded", "?"));
	printf("%-12s %-9s %-28s %-9s %-25s %s\n", "TRUNK", "STATUS", "SERVER",
	       "SERVER", "SINCE", "REASON");
	json_array_foreach(trunks, i, t)
	{
		const char *st = jstr(t, "status", "?");
		if (strcmp(st, "Active") != 0)
			rc = 1;
		json_t *servers = json_object_get(t, "servers");
		if (json_array_size(servers) == 0)
			printf("%-12s %-9s\n", jstr(t, "name", "?"), st);
		json_array_foreach(servers, k, s)
		{
			printf("%-12s %-9s %-28s %-9s %-25s %s\n",
			       k ? "" : jstr(t, "name", "?"), k ? "" : st,
			       jstr(s, "server", "?"), jstr(s, "status", "?"),
			       jstr(s, "since", "-"), jstr(s, "reason", ""));
		}
	}
	if (json_array_size(trunks) == 0)
		rc = 1;
	json_t *calls = json_object_get(j, "calls");
	printf("\ncalls in progress: %lld",
	       (long long)json_integer_value(json_object_get(calls, "active")));
	json_array_foreach(trunks, i, t)
	{
		printf("%s%s %lld", i ? ", " : " (", jstr(t, "name", "?"),
		       (long long)json_integer_value(
		               json_object_get(t, "calls")));
	}
	printf("%s\n", json_array_size(trunks) ? ")" : "");
	printf("calls since start: %lld (answered %lld, failed %lld)\n",
	       (long long)json_integer_value(json_object_get(calls, "total")),
	       (long long)json_integer_value(
	               json_object_get(calls, "answered")),
	       (long long)json_integer_value(json_object_get(calls, "failed")));
	json_t *md = json_object_get(j, "media");
	if (json_is_true(json_object_get(md, "enabled")))
		printf("media: %lld endpoints in use, %lld port pairs free\n",
		       (long long)json_integer_value(
		               json_object_get(md, "endpoints")),
		       (long long)json_integer_value(
		               json_object_get(md, "free_port_pairs")));
	return rc;
}

int cmd_status(int argc, char **argv)
{
	const char *path = NULL, *url = NULL, *token = NULL;
	char host[256], port[16], err[512], from_cfg[300];
	struct tb_config *cfg = NULL;
	int rc = 2;

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
		    i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--url") && i + 1 < argc)
			url = argv[++i];
		else if (!strcmp(argv[i], "--token") && i + 1 < argc)
			token = argv[++i];
		else {
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (!path && !url)
		url = "http://127.0.0.1:8080";
	if (!url) {
		struct cfg_errors *errs = malloc(sizeof(*errs));
		if (!errs)
			return 2;
		cfg_errors_init(errs);
		if (cfg_load(path, &cfg, errs) != 0) {
			cfg_errors_print(errs, stderr);
			free(errs);
			return 2;
		}
		free(errs);
		if (!cfg->admin.enabled) {
			fprintf(stderr,
			        "trunkbridge status: %s has no admin section "
			        "(add admin: { listen: 127.0.0.1:8080 })\n",
			        path);
			cfg_free(cfg);
			return 2;
		}
		/* a wildcard listen is reached on loopback */
		const char *h = cfg->admin.address.text;
		if (!strcmp(h, "0.0.0.0"))
			h = "127.0.0.1";
		else if (!strcmp(h, "::"))
			h = "::1";
		snprintf(from_cfg, sizeof(from_cfg),
		         strchr(h, ':') ? "http://[%s]:%u" : "http://%s:%u", h,
		         (unsigned)cfg->admin.port);
		url = from_cfg;
		if (!token)
			token = cfg->admin.token;
	}
	if (parse_url(url, host, sizeof(host), port, sizeof(port)) != 0) {
		fprintf(stderr,
		        "trunkbridge status: %s: not http://HOST:PORT\n", url);
		goto out;
	}
	char *ans = NULL;
	size_t len = 0;
	if (http_get(host, port, "/status", token, &ans, &len, err,
	             sizeof(err)) != 0) {
		fprintf(stderr, "trunkbridge status: %s: %s\n", url, err);
		goto out;
	}
	int code = 0;
	const char *body = NULL;
	size_t blen = 0;
	if (split_answer(ans, len, &code, &body, &blen) != 0) {
		fprintf(stderr, "trunkbridge status: %s: not an HTTP answer\n",
		        url);
		free(ans);
		goto out;
	}
	if (code != 200) {
		fprintf(stderr, "trunkbridge status: %s/status answered %d%s\n",
		        url, code,
		        code == 401 ? " (give the admin token: --token T, or "
		                      "-c FILE)"
		                    : "");
		free(ans);
		goto out;
	}
	json_error_t je;
	json_t *j = json_loadb(body, blen, 0, &je);
	free(ans);
	if (!json_is_object(j)) {
		fprintf(stderr, "trunkbridge status: %s/status: bad JSON: %s\n",
		        url, je.text);
		json_decref(j);
		goto out;
	}
	rc = print_status(j);
	json_decref(j);
out:
	cfg_free(cfg);
	return rc;
}
