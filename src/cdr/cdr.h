/* cdr.h: call detail records, one row per call, in SQLite.
 *
 * The table and the view, with queries, are described in docs/cdr.md.
 *
 * Ownership and threading: a struct cdr_store is one SQLite connection
 * with its prepared statements; it is used by one thread at a time (the
 * worker that owns it) and is not shared. Other processes (the sqlite3
 * CLI, a second trunkbridge) may read the file at any time (WAL).
 */
#ifndef TB_CDR_CDR_H
#define TB_CDR_CDR_H

#include <stddef.h>
#include <stdint.h>

/* The schema version this code writes (PRAGMA user_version). Version 1
 * and 2 files are migrated on open (docs/cdr.md); newer ones are
 * refused. */
#define CDR_SCHEMA_VERSION 3

enum cdr_hangup {
	CDR_HANGUP_NONE = 0,    /* nobody: the call failed before answer */
	CDR_HANGUP_CALLER,      /* the inbound leg sent BYE / CANCEL */
	CDR_HANGUP_CALLEE,      /* the outbound leg sent BYE */
	CDR_HANGUP_TRUNKBRIDGE, /* we ended it: timeout, shutdown, error */
};

/* One call. Strings are borrowed (the caller keeps them alive during
 * cdr_store_write); NULL and "" both mean "no value" and are stored as
 * SQL NULL. Times are ms since the epoch, 0 when not reached (stored as
 * NULL). Only call_id is required. */
struct cdr_record {
	const char *call_id;     /* ours, uuid-like; unique in the table */
	const char *in_trunk;    /* config name of the inbound trunk */
	const char *out_trunk;   /* config name of the outbound trunk */
	const char *in_call_id;  /* Call-ID of the inbound leg */
	const char *out_call_id; /* Call-ID of the last outbound leg */
	const char *in_calling;  /* calling number as received */
	const char *in_called;   /* called number as received */
	const char *out_calling; /* calling number as sent */
	const char *out_called;  /* called number as sent */
	int64_t start_ms;        /* INVITE received */
	int64_t answer_ms;       /* 2xx to the INVITE; 0: not answered */
	int64_t end_ms;          /* call over (BYE, CANCEL, final failure) */
	int64_t duration_ms;     /* answer to end; 0 when not answered */
	int final_status;        /* final SIP status, e.g. 200, 486, 503 */
	const char *reason;      /* Reason text: "Q.850;cause=16", ... */
	enum cdr_hangup hangup_by;
	int failover_attempts;   /* outbound attempts after the first */
	const char *answered_by; /* server that answered, host[:port] */
	/* Since schema version 2. */
	const char *transferred_from; /* our call_id of the call this row
	                                 continues after a transfer */
	const char *transferred_to;   /* our call_id of the call that
	                                 continued this one */
	const char *diversion;        /* the Diversion header value sent on the
	                                 outbound leg, if any */
	/* Since schema version 3: media statistics per leg, JSON
	 * (docs/cdr.md); NULL when the call had no anchored media. */
	const char *media;
};

/* answer to end, for duration_ms: 0 unless both are set and in order. */
static inline int64_t cdr_duration_ms(int64_t answer_ms, int64_t end_ms)
{
	return answer_ms > 0 && end_ms >= answer_ms ? end_ms - answer_ms : 0;
}

/* "caller", "callee", "trunkbridge", "none" (the text in the table). */
const char *cdr_hangup_name(enum cdr_hangup h);

struct cdr_store;

/* Open (or create) the CDR file at path: WAL mode, schema created or
 * checked (a version 1 file is migrated to version 2 in place, in one
 * transaction), statements prepared. A missing file is created; a missing
 * folder is an error. Returns 0 and *out, or -1 with the reason in err
 * (path and SQLite's message), e.g. "file is not a database", "unable to
 * open database file", or a schema newer than this build. */
int cdr_store_open(const char *path, struct cdr_store **out, char *err,
                   size_t errlen);

/* How long a write waits for a lock held by another connection (default
 * 1000 ms) before it fails with "database is locked". */
void cdr_store_set_busy_timeout(struct cdr_store *st, int ms);

/* Write one row, committed before it returns (durable against a crash
 * of this process; see cdr_store.c). A transient failure (locked, busy,
 * I/O) is retried once. Returns 0, or -1 with cdr_store_last_error()
 * saying why (the caller logs it; the row is lost). */
int cdr_store_write(struct cdr_store *st, const struct cdr_record *r);

/* The last error of this store ("" when none): SQLite's message, with
 * context. Valid until the next call on the store. */
const char *cdr_store_last_error(const struct cdr_store *st);

/* Finalize statements and close the connection (WAL checkpointed by
 * SQLite on last close). NULL is ignored. */
void cdr_store_close(struct cdr_store *st);

#endif
