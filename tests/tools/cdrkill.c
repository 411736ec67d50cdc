/* cdrkill: write CDR rows as fast as possible until killed, printing the
 * id of each row once cdr_store_write() has returned (committed). A test
 * tool for tests/integration/cdr_crash: the script kills it with SIGKILL
 * and checks that every id printed is in the database.
 *
 * usage: cdrkill DB PREFIX [MAX_SECONDS]
 * prints "ok PREFIX-NNNNNNNN" per row (fixed width, so a line cut short
 * can never look like another complete one); exits 0 after MAX_SECONDS
 * (default 30: a bound in case nobody kills it), 1 on any error.
 */
#include "cdr/cdr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct cdr_store *st = NULL;
	char err[512], id[64], in_cid[96], out_cid[96];
	long max_s = argc > 3 ? strtol(argv[3], NULL, 10) : 30;

	if (argc < 3) {
		fprintf(stderr, "usage: cdrkill DB PREFIX [MAX_SECONDS]\n");
		return 1;
	}
	if (max_s <= 0 || max_s > 3600)
		max_s = 30;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cdr_store_open(argv[1], &st, err, sizeof(err))) {
		fprintf(stderr, "cdrkill: %s\n", err);
		return 1;
	}
	int64_t t0 = now_ms(), deadline = t0 + max_s * 1000;
	struct cdr_record r = {
	        .call_id = id,
	        .in_trunk = "acs",
	        .out_trunk = "genesys",
	        .in_call_id = in_cid,
	        .out_call_id = out_cid,
	        .in_calling = "+14255550100",
	        .in_called = "+14255551234",
	        .out_calling = "+14255550100",
	        .out_called = "+14255551234",
	        .final_status = 200,
	        .reason = "Q.850;cause=16",
	        .hangup_by = CDR_HANGUP_CALLER,
	        .answered_by = "byoc.mypurecloud.com:5061",
	};
	for (long i = 0; i < 100000000L; i++) {
		int64_t t = now_ms();
		if (t >= deadline)
			break;
		snprintf(id, sizeof(id), "%s-%08ld", argv[2], i);
		snprintf(in_cid, sizeof(in_cid), "%s-in@pstnhub.test", id);
		snprintf(out_cid, sizeof(out_cid), "%s-out@sbc1.test", id);
		r.start_ms = t - 60000;
		r.answer_ms = t - 55000;
		r.end_ms = t;
		r.duration_ms = cdr_duration_ms(r.answer_ms, r.end_ms);
		r.failover_attempts = (int)(i % 3);
		if (cdr_store_write(st, &r)) { /* retried once inside */
			fprintf(stderr, "cdrkill: %s\n",
			        cdr_store_last_error(st));
			cdr_store_close(st);
			return 1;
		}
		printf("ok %s\n", id);
		fflush(stdout);
	}
	cdr_store_close(st);
	return 0;
}
