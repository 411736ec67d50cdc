/* parse.c: message parser throughput (see bench/README.md).
 *
 * usage: bench_parse [examples/messages dir]
 *
 * Prints one line per figure, "<name>: <number> msg/s", then a "note:"
 * line. Each figure parses the same message from the same buffer a fixed
 * number of times per repetition into one reused struct sip_msg and header
 * array (the parse allocates nothing), after a warm-up; the figure is the
 * best of the repetitions, timed in CPU time (CLOCK_PROCESS_CPUTIME_ID, so
 * time the process spends preempted by other work does not count).
 *
 *   *_eager        sip_msg_parse, stream mode, default limits
 *   *_all_headers  the same, then sip_msg_validate (every typed decoder)
 */
#include "sip/msg/sip_decode.h"
#include "sip/msg/sip_msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS    5
#define HDR_CAP 128

/* Iterations per repetition, sized for about 0.2-0.4 s per repetition
 * (1-2 s per figure) on the 2-core development machine. Fixed so that two
 * runs do the same work. */
#define ITERS_EAGER  250000L
#define ITERS_ALL    100000L
#define ITERS_WARMUP 20000L

struct msgbuf {
	const char *name;
	char *p;
	size_t l;
};

static struct sip_hdr g_hdr[HDR_CAP];
static struct sip_msg g_msg;
static volatile uint64_t g_sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t fields(const struct sip_msg *m)
{
	return (uint64_t)m->cseq + m->call_id.l + m->nhdr + m->consumed +
	       m->via.branch.l + m->from.tag.l + m->body.l;
}

static uint64_t run_eager(const struct msgbuf *b, long iters)
{
	uint64_t sum = 0;

	for (long i = 0; i < iters; i++) {
		if (sip_msg_parse(&g_msg, b->p, b->l, SIP_PARSE_STREAM, NULL,
		                  NULL) != SIP_PARSE_OK)
			return 0;
		sum += fields(&g_msg);
	}
	return sum;
}

static uint64_t run_all(const struct msgbuf *b, long iters)
{
	uint64_t sum = 0;

	for (long i = 0; i < iters; i++) {
		if (sip_msg_parse(&g_msg, b->p, b->l, SIP_PARSE_STREAM, NULL,
		                  NULL) != SIP_PARSE_OK ||
		    sip_msg_validate(&g_msg, NULL) != 0)
			return 0;
		sum += fields(&g_msg);
	}
	return sum;
}

/* Best-of-REPS rate in messages per second. */
static double measure(uint64_t (*fn)(const struct msgbuf *, long),
                      const struct msgbuf *b, long iters)
{
	double best = 0;

	g_sink += fn(b, ITERS_WARMUP);
	for (int r = 0; r < REPS; r++) {
		double t0 = now();
		uint64_t s = fn(b, iters);
		double t = now() - t0;

		if (s == 0) {
			fprintf(stderr, "bench_parse: %s stopped parsing\n",
			        b->name);
			exit(1);
		}
		g_sink += s;
		if (t > 0 && (double)iters / t > best)
			best = (double)iters / t;
	}
	return best;
}

static int load(struct msgbuf *b, const char *dir, const char *file)
{
	char path[4096];
	FILE *f;
	long len;

	b->name = file;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path))
		return -1;
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench_parse: cannot open %s\n", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		fprintf(stderr, "bench_parse: cannot size %s\n", path);
		return -1;
	}
	b->l = (size_t)len;
	b->p = malloc(b->l);
	if (!b->p || fread(b->p, 1, b->l, f) != b->l) {
		fclose(f);
		fprintf(stderr, "bench_parse: cannot read %s\n", path);
		return -1;
	}
	fclose(f);

	/* The figures only mean something if the message parses and
	 * validates: say so instead of timing an early exit. */
	struct sip_parse_error err = {0, NULL, 0};
	sip_msg_init(&g_msg, g_hdr, HDR_CAP);
	if (sip_msg_parse(&g_msg, b->p, b->l, SIP_PARSE_STREAM, NULL, &err) !=
	    SIP_PARSE_OK) {
		fprintf(stderr, "bench_parse: %s does not parse: %s at %zu\n",
		        path, err.reason ? err.reason : "?", err.offset);
		return -1;
	}
	if (sip_msg_validate(&g_msg, &err) != 0) {
		fprintf(stderr,
		        "bench_parse: %s does not validate: %s at "
		        "%zu\n",
		        path, err.reason ? err.reason : "?", err.offset);
		return -1;
	}
	return 0;
}

/* examples/messages next to this source file (__FILE__ is absolute under
 * CMake), or "examples/messages" from the current directory. */
static void default_dir(char *out, size_t cap)
{
	const char *src = __FILE__;
	const char *tail = "bench/parse.c";
	size_t n = strlen(src), t = strlen(tail);

	if (n >= t && strcmp(src + n - t, tail) == 0 && src[0] == '/')
		snprintf(out, cap, "%.*sexamples/messages", (int)(n - t), src);
	else
		snprintf(out, cap, "examples/messages");
}

int main(int argc, char **argv)
{
	char dir[4096];
	struct msgbuf invite, ok;
	long count = 0;

	/* --count N: exactly N eager parses of the INVITE and nothing else,
	 * for instruction counting (callgrind Ir / N) */
	if (argc > 2 && strcmp(argv[1], "--count") == 0) {
		count = strtol(argv[2], NULL, 10);
		if (count <= 0 || count > 100000000L)
			return 2;
		argc -= 2;
		argv += 2;
	}
	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		default_dir(dir, sizeof(dir));
	sip_msg_init(&g_msg, g_hdr, HDR_CAP);
	if (load(&invite, dir, "acs-invite.sip") != 0 ||
	    load(&ok, dir, "acs-200-ok.sip") != 0)
		return 1;
	if (count) {
		g_sink += run_eager(&invite, count);
		printf("parsed %ld\n", count);
		free(invite.p);
		free(ok.p);
		return 0;
	}

	printf("parse_acs_invite_eager: %.0f msg/s\n",
	       measure(run_eager, &invite, ITERS_EAGER));
	printf("parse_acs_invite_all_headers: %.0f msg/s\n",
	       measure(run_all, &invite, ITERS_ALL));
	printf("parse_200_ok_eager: %.0f msg/s\n",
	       measure(run_eager, &ok, ITERS_EAGER));
	printf("parse_200_ok_all_headers: %.0f msg/s\n",
	       measure(run_all, &ok, ITERS_ALL));
	printf("note: best of %d repetitions of %ld (eager) / %ld "
	       "(all_headers) parses each after %ld warm-up parses; "
	       "CPU time (CLOCK_PROCESS_CPUTIME_ID); %s (%zu bytes), "
	       "%s (%zu bytes)\n",
	       REPS, ITERS_EAGER, ITERS_ALL, ITERS_WARMUP, invite.name,
	       invite.l, ok.name, ok.l);
	free(invite.p);
	free(ok.p);
	return 0;
}
