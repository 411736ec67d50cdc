/* protos_send: play the PROTOS c07-sip robustness suite against a SIP
 * server on loopback, over UDP or TCP, and check the server still answers
 * the valid baseline (case 0) after every STEP cases and at the end.
 *
 * usage: protos_send CASES_DIR HOST PORT udp|tcp STEP
 * Each case file is "<len> <INVITE>" then "<len> <teardown>" with
 * placeholders (<To> <From> ...); they are filled here and Content-Length
 * computed after filling. Only the INVITE part is sent. Prints one summary
 * line; exits 1 when a baseline went unanswered.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXMSG 200000

static char in[MAXMSG], out[MAXMSG * 2];

struct ph {
	const char *name;
	const char *value;
};

/* Fill the placeholders of tmpl (len bytes) into out; returns the length. */
static size_t fill(const char *tmpl, size_t len, int n, int lport)
{
	char branch[16], callid[32], cseq[16], port[8];
	struct ph ph[] = {
	        {"<To>", "sbc1.lab.test"},       {"<From>", "protos@127.0.0.1"},
	        {"<From-Address>", "127.0.0.1"}, {"<From-IP>", "127.0.0.1"},
	        {"<Local-Port>", port},          {"<Branch-ID>", branch},
	        {"<Call-ID>", callid},           {"<CSeq>", cseq},
	        {"<Teardown-Method>", "CANCEL"},
	};
	size_t o = 0, cl_at = (size_t)-1;

	snprintf(branch, sizeof(branch), "%d", n);
	snprintf(callid, sizeof(callid), "protos-%d", n);
	snprintf(cseq, sizeof(cseq), "%d", n + 1);
	snprintf(port, sizeof(port), "%d", lport);
	for (size_t i = 0; i < len && o < sizeof(out) - 64;) {
		bool done = false;
		if (tmpl[i] == '<') {
			if (len - i >= 16 &&
			    memcmp(tmpl + i, "<Content-Length>", 16) == 0) {
				cl_at = o;
				memcpy(out + o, "          ", 10); /* patched */
				o += 10;
				i += 16;
				continue;
			}
			for (size_t k = 0; k < sizeof(ph) / sizeof(ph[0]);
			     k++) {
				size_t pl = strlen(ph[k].name);
				if (len - i >= pl &&
				    memcmp(tmpl + i, ph[k].name, pl) == 0) {
					size_t vl = strlen(ph[k].value);
					memcpy(out + o, ph[k].value, vl);
					o += vl;
					i += pl;
					done = true;
					break;
				}
			}
		}
		if (!done)
			out[o++] = tmpl[i++];
	}
	if (cl_at != (size_t)-1) {
		const char *eoh = NULL;
		for (size_t i = 0; i + 3 < o; i++) {
			if (memcmp(out + i, "\r\n\r\n", 4) == 0) {
				eoh = out + i + 4;
				break;
			}
		}
		size_t body = eoh ? (size_t)(out + o - eoh) : 0;
		char num[16];
		int nl = snprintf(num, sizeof(num), "%zu", body);
		/* right-pad the number into the 10 reserved bytes with spaces
		 * after it: trailing LWS is allowed before CRLF */
		memcpy(out + cl_at, num, (size_t)nl);
	}
	return o;
}

static int connect_to(const struct sockaddr_in *dst, int type)
{
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send and wait (up to ms) for any bytes back. 1 answered, 0 not. */
static int send_wait(int fd, const char *buf, size_t len, int ms)
{
	struct pollfd pf = {fd, POLLIN, 0};
	char r[4096];

	if (send(fd, buf, len, MSG_NOSIGNAL) < 0)
		return 0;
	if (ms == 0)
		return 1;
	if (poll(&pf, 1, ms) <= 0)
		return 0;
	return recv(fd, r, sizeof(r), 0) > 0;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int step, type, sent = 0, skipped = 0, base_ok = 0, base_fail = 0;
	static char base_tpl[MAXMSG]; /* case 0 before filling */
	size_t baseline_len = 0;
	int base_seq = 0;

	if (argc != 6)
		return 2;
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1 ||
	    (ntohl(dst.sin_addr.s_addr) >> 24) != 127)
		return 2; /* loopback only */
	dst.sin_port = htons((uint16_t)strtol(argv[3], NULL, 10));
	type = strcmp(argv[4], "tcp") == 0 ? SOCK_STREAM : SOCK_DGRAM;
	step = (int)strtol(argv[5], NULL, 10);
	/* baselines of a UDP and a TCP run never share a branch */
	base_seq = type == SOCK_STREAM ? 500000 : 0;
	if (step < 1)
		step = 1;

	DIR *d = opendir(argv[1]);
	struct dirent *de;
	if (!d)
		return 2;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			names = realloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmpstr);

	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		size_t got = fread(in, 1, sizeof(in), f);
		fclose(f);
		char *sp = memchr(in, ' ', got < 16 ? got : 16);
		if (!sp) {
			skipped++;
			continue;
		}
		size_t len = strtoul(in, NULL, 10);
		size_t off = (size_t)(sp + 1 - in);
		if (len > got - off)
			len = got - off;
		if (i == 0) {
			memcpy(base_tpl, in + off, len);
			baseline_len = len;
		}
		size_t ol = fill(in + off, len, (int)i, 5060);
		if (type == SOCK_DGRAM && ol > 65507) {
			skipped++;
			continue;
		}
		int fd = connect_to(&dst, type);
		if (fd < 0) {
			skipped++;
			continue;
		}
		send_wait(fd, out, ol, type == SOCK_STREAM ? 50 : 0);
		close(fd);
		sent++;
		if (baseline_len && ((int)i % step == 0 || i + 1 == n)) {
			int ok = 0;
			for (int t = 0; t < 3 && !ok; t++) {
				/* a new request each time (its own branch and
				 * Call-ID): a server answers a retransmission
				 * where the first copy came from, not here */
				size_t bl = fill(base_tpl, baseline_len,
				                 1000000 + base_seq++, 5060);
				fd = connect_to(&dst, type);
				if (fd < 0)
					continue;
				ok = send_wait(fd, out, bl, 2000);
				close(fd);
			}
			if (ok)
				base_ok++;
			else {
				base_fail++;
				fprintf(stderr,
				        "baseline unanswered after case %s\n",
				        names[i]);
			}
		}
	}
	printf("%s: %d cases sent, %zu files, %d skipped, baseline answered "
	       "%d/%d\n",
	       argv[4], sent, n, skipped, base_ok, base_ok + base_fail);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return base_fail || base_ok == 0 ? 1 : 0;
}
