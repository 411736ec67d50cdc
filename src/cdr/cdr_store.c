/* cdr_store.c: the SQLite CDR writer.
 *
 * Durability, and why synchronous=NORMAL is enough for "a kill -9 loses
 * no row of a call that had ended":
 *
 * Each row is one autocommit INSERT: when sqlite3_step() returns
 * SQLITE_DONE the transaction is committed. In WAL mode a commit appends
 * the row's pages plus a commit frame (with checksums) to the -wal file
 * by write(2). With synchronous=NORMAL SQLite does not fsync at commit
 * (only at checkpoints), so the frames may still sit in the kernel's page
 * cache when cdr_store_write() returns. That is fine for a process crash
 * or kill -9: the page cache belongs to the kernel, not to the process,
 * and the written pages reach the disk whether or not the writer is
 * alive. The next open (ours or the sqlite3 CLI's) finds the -wal file,
 * replays every frame up to the last valid commit frame, and the row is
 * there. A frame half-written when the process died has no valid commit
 * frame after it, so it is ignored: rows are all there or not at all.
 *
 * What NORMAL does not cover is a power loss or kernel crash: the rows
 * committed since the last checkpoint fsync could be lost (never
 * corrupted). Covering that means synchronous=FULL, an fsync per call
 * (~1-10 ms on real disks): not asked for, so not paid for.
 * tests/integration/cdr_crash kills a writer under load with SIGKILL and
 * checks that every row it reported written is in the file.
 */
#include "cdr/cdr.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* PRAGMA application_id: "TBCD", marks the file as ours. */
#define CDR_APP_ID 0x54424344

struct cdr_store {
	sqlite3 *db;
	sqlite3_stmt *insert;
	char path[256];
	char err[512];
};

/* The view, the same in a new file and after a migration. */
#define CDR_VIEW_SQL                                                           \
	"CREATE VIEW cdr_view AS SELECT"                                       \
	" id, call_id, in_trunk, out_trunk, in_call_id, out_call_id,"          \
	" in_calling, in_called, out_calling, out_called,"                     \
	" strftime('%Y-%m-%dT%H:%M:%fZ', start_ms / 1000.0, 'unixepoch')"      \
	"  AS start,"                                                          \
	" strftime('%Y-%m-%dT%H:%M:%fZ', answer_ms / 1000.0, 'unixepoch')"     \
	"  AS answer,"                                                         \
	" strftime('%Y-%m-%dT%H:%M:%fZ', end_ms / 1000.0, 'unixepoch')"        \
	"  AS \"end\","                                                        \
	" duration_ms / 1000.0 AS duration_s,"                                 \
	" final_status, reason, hangup_by, failover_attempts, answered_by,"    \
	" transferred_from, transferred_to, diversion, media"                  \
	" FROM cdr;"

/* Version 3, as a new file gets it. The columns added since version 1
 * come last, in the order the migration adds them, so a migrated file
 * and a new one have the same table. */
static const char schema_v3[] =
        "CREATE TABLE cdr ("
        " id INTEGER PRIMARY KEY,"
        " call_id TEXT NOT NULL UNIQUE,"
        " in_trunk TEXT, out_trunk TEXT,"
        " in_call_id TEXT, out_call_id TEXT,"
        " in_calling TEXT, in_called TEXT,"
        " out_calling TEXT, out_called TEXT,"
        " start_ms INTEGER, answer_ms INTEGER, end_ms INTEGER,"
        " duration_ms INTEGER NOT NULL DEFAULT 0,"
        " final_status INTEGER,"
        " reason TEXT,"
        " hangup_by TEXT NOT NULL DEFAULT 'none'"
        "  CHECK (hangup_by IN ('caller','callee','trunkbridge','none')),"
        " failover_attempts INTEGER NOT NULL DEFAULT 0,"
        " answered_by TEXT,"
        " transferred_from TEXT, transferred_to TEXT, diversion TEXT,"
        " media TEXT);"
        "CREATE INDEX cdr_start_ms ON cdr(start_ms);"
        "CREATE INDEX cdr_in_call_id ON cdr(in_call_id);"
        "CREATE INDEX cdr_out_call_id ON cdr(out_call_id);"
        "CREATE INDEX cdr_transferred_from ON "
        "cdr(transferred_from);" CDR_VIEW_SQL;

/* Version 1 -> 2, in the caller's transaction: three nullable columns
 * (existing rows get NULL), their index. */
static const char migrate_v1_v2[] =
        "ALTER TABLE cdr ADD COLUMN transferred_from TEXT;"
        "ALTER TABLE cdr ADD COLUMN transferred_to TEXT;"
        "ALTER TABLE cdr ADD COLUMN diversion TEXT;"
        "CREATE INDEX cdr_transferred_from ON cdr(transferred_from);"
        "PRAGMA user_version=2;";
/* Version 2 -> 3: the media statistics (JSON), then the view. */
static const char migrate_v2_v3[] =
        "ALTER TABLE cdr ADD COLUMN media TEXT;"
        "DROP VIEW IF EXISTS cdr_view;" CDR_VIEW_SQL "PRAGMA user_version=3;";

static const char insert_sql[] =
        "INSERT INTO cdr (call_id, in_trunk, out_trunk, in_call_id,"
        " out_call_id, in_calling, in_called, out_calling, out_called,"
        " start_ms, answer_ms, end_ms, duration_ms, final_status, reason,"
        " hangup_by, failover_attempts, answered_by, transferred_from,"
        " transferred_to, diversion, media)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
        " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)";

const char *cdr_hangup_name(enum cdr_hangup h)
{
	switch (h) {
	case CDR_HANGUP_CALLER:
		return "caller";
	case CDR_HANGUP_CALLEE:
		return "callee";
	case CDR_HANGUP_TRUNKBRIDGE:
		return "trunkbridge";
	case CDR_HANGUP_NONE:
		break;
	}
	return "none";
}

static void set_err(struct cdr_store *st, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void set_err(struct cdr_store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

/* Run SQL without results; on failure set st->err and return -1. */
static int exec_sql(struct cdr_store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	set_err(st, "cdr: %s: %s: %s", st->path, what,
	        msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

/* One integer from a one-row query (a PRAGMA). */
static int query_int(struct cdr_store *st, const char *sql, long long *v)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*v = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK)
		set_err(st, "cdr: %s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : -1;
}

static int set_wal(struct cdr_store *st)
{
	sqlite3_stmt *s = NULL;
	int ok = 0;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s,
	                            NULL);

	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(s, 0);
		ok = m && !strcmp(m, "wal");
		if (!ok)
			set_err(st,
			        "cdr: %s: cannot use WAL mode (journal is %s)",
			        st->path, m ? m : "?");
	} else {
		set_err(st, "cdr: %s: %s", st->path, sqlite3_errmsg(st->db));
	}
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

/* Bring an older schema up to CDR_SCHEMA_VERSION in one IMMEDIATE
 * transaction: all of it or nothing. Two openers racing serialize on the
 * lock; the second finds the version already current. A trunkbridge of
 * the older version still writing to the file keeps working: its INSERT
 * names its columns, the new ones stay NULL. */
static int migrate(struct cdr_store *st)
{
	long long ver = 0;

	if (exec_sql(st, "BEGIN IMMEDIATE", "migrating the schema"))
		return -1;
	if (query_int(st, "PRAGMA user_version", &ver))
		goto rollback;
	if (ver == 1) {
		if (exec_sql(st, migrate_v1_v2,
		             "migrating the schema from version 1 to 2"))
			goto rollback;
		ver = 2;
	}
	if (ver == 2) {
		if (exec_sql(st, migrate_v2_v3,
		             "migrating the schema from version 2 to 3"))
			goto rollback;
	} else if (ver != CDR_SCHEMA_VERSION) {
		set_err(st,
		        "cdr: %s: schema version %lld: no migration to "
		        "version %d",
		        st->path, ver, CDR_SCHEMA_VERSION);
		goto rollback;
	}
	if (exec_sql(st, "COMMIT", "migrating the schema"))
		goto rollback;
	return 0;

rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Create the schema in a new file, migrate an older one, or check the
 * one there. */
static int ensure_schema(struct cdr_store *st)
{
	long long ver = 0, app = 0;
	char sql[96];

	if (query_int(st, "PRAGMA user_version", &ver) ||
	    query_int(st, "PRAGMA application_id", &app))
		return -1;
	if (ver == 0) {
		/* IMMEDIATE: two openers racing on a new file serialize here,
		 * and the second sees the first one's version. */
		if (exec_sql(st, "BEGIN IMMEDIATE", "creating the schema"))
			return -1;
		if (query_int(st, "PRAGMA user_version", &ver))
			goto rollback;
		if (ver == 0) {
			snprintf(sql, sizeof(sql),
			         "PRAGMA user_version=%d; PRAGMA "
			         "application_id=%d",
			         CDR_SCHEMA_VERSION, CDR_APP_ID);
			if (exec_sql(st, schema_v3, "creating the schema") ||
			    exec_sql(st, sql, "creating the schema"))
				goto rollback;
			app = CDR_APP_ID;
		} else if (query_int(st, "PRAGMA application_id", &app)) {
			goto rollback;
		}
		if (exec_sql(st, "COMMIT", "creating the schema"))
			goto rollback;
		if (ver == 0)
			return 0;
	}
	if (app != CDR_APP_ID) {
		set_err(st,
		        "cdr: %s: not a trunkbridge CDR database "
		        "(application_id %lld, user_version %lld)",
		        st->path, app, ver);
		return -1;
	}
	if (ver > CDR_SCHEMA_VERSION) {
		set_err(st,
		        "cdr: %s: schema version %lld is newer than this "
		        "trunkbridge's (%d): upgrade trunkbridge or use "
		        "another file",
		        st->path, ver, CDR_SCHEMA_VERSION);
		return -1;
	}
	if (ver < CDR_SCHEMA_VERSION)
		return migrate(st);
	return 0;

rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The folder of path, when it does not exist: a clearer message than
 * SQLite's "unable to open database file". */
static void explain_open_failure(struct cdr_store *st, const char *path)
{
	char dir[256];
	struct stat sb;
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!slash || n == 0 || n >= sizeof(dir))
		return;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (stat(dir, &sb) != 0) {
		size_t l = strlen(st->err);
		snprintf(st->err + l, sizeof(st->err) - l,
		         " (folder %s: %s; it is not created)", dir,
		         strerror(errno));
	} else if (!S_ISDIR(sb.st_mode)) {
		size_t l = strlen(st->err);
		snprintf(st->err + l, sizeof(st->err) - l,
		         " (%s is not a folder)", dir);
	}
}

int cdr_store_open(const char *path, struct cdr_store **out, char *err,
                   size_t errlen)
{
	struct cdr_store *st;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path) {
		if (err && errlen)
			snprintf(err, errlen, "cdr: no database path");
		return -1;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		if (err && errlen)
			snprintf(err, errlen, "cdr: out of memory");
		return -1;
	}
	snprintf(st->path, sizeof(st->path), "%s", path);

	rc = sqlite3_open_v2(path, &st->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                             SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		set_err(st, "cdr: %s: %s", path,
		        st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		explain_open_failure(st, path);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 1000);
	/* WAL first: on a file that is not a database this is the first
	 * read, and it fails with "file is not a database". */
	if (set_wal(st) ||
	    exec_sql(st, "PRAGMA synchronous=NORMAL", "synchronous=NORMAL") ||
	    ensure_schema(st))
		goto fail;
	rc = sqlite3_prepare_v3(st->db, insert_sql, -1,
	                        SQLITE_PREPARE_PERSISTENT, &st->insert, NULL);
	if (rc != SQLITE_OK) {
		set_err(st, "cdr: %s: preparing the insert: %s", path,
		        sqlite3_errmsg(st->db));
		goto fail;
	}
	*out = st;
	return 0;

fail:
	if (err && errlen)
		snprintf(err, errlen, "%s", st->err);
	cdr_store_close(st);
	return -1;
}

void cdr_store_set_busy_timeout(struct cdr_store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms < 0 ? 0 : ms);
}

const char *cdr_store_last_error(const struct cdr_store *st)
{
	return st ? st->err : "cdr: no store";
}

/* NULL and "" are both stored as SQL NULL (one way to say "none"). */
static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (!v || !*v)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* Times: 0 (not reached) is stored as NULL. */
static int bind_time(sqlite3_stmt *s, int i, int64_t ms)
{
	if (ms <= 0)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_int64(s, i, ms);
}

static int bind_record(sqlite3_stmt *s, const struct cdr_record *r)
{
	int rc = SQLITE_OK;

	rc |= bind_text(s, 1, r->call_id);
	rc |= bind_text(s, 2, r->in_trunk);
	rc |= bind_text(s, 3, r->out_trunk);
	rc |= bind_text(s, 4, r->in_call_id);
	rc |= bind_text(s, 5, r->out_call_id);
	rc |= bind_text(s, 6, r->in_calling);
	rc |= bind_text(s, 7, r->in_called);
	rc |= bind_text(s, 8, r->out_calling);
	rc |= bind_text(s, 9, r->out_called);
	rc |= bind_time(s, 10, r->start_ms);
	rc |= bind_time(s, 11, r->answer_ms);
	rc |= bind_time(s, 12, r->end_ms);
	rc |= sqlite3_bind_int64(s, 13,
	                         r->duration_ms > 0 ? r->duration_ms : 0);
	rc |= sqlite3_bind_int(s, 14, r->final_status);
	rc |= bind_text(s, 15, r->reason);
	rc |= sqlite3_bind_text(s, 16, cdr_hangup_name(r->hangup_by), -1,
	                        SQLITE_STATIC);
	rc |= sqlite3_bind_int(s, 17, r->failover_attempts);
	rc |= bind_text(s, 18, r->answered_by);
	rc |= bind_text(s, 19, r->transferred_from);
	rc |= bind_text(s, 20, r->transferred_to);
	rc |= bind_text(s, 21, r->diversion);
	rc |= bind_text(s, 22, r->media);
	return rc;
}

/* Worth a second try: another connection held a lock longer than the
 * busy timeout, or an I/O hiccup. Constraint errors and a full disk are
 * not going to change in the next microsecond. */
static int transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_PROTOCOL:
		return 1;
	default:
		return 0;
	}
}

int cdr_store_write(struct cdr_store *st, const struct cdr_record *r)
{
	int rc = SQLITE_OK;

	st->err[0] = '\0';
	if (!r || !r->call_id || !*r->call_id) {
		set_err(st, "cdr: %s: record without call_id", st->path);
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (bind_record(st->insert, r) != SQLITE_OK) {
			rc = sqlite3_errcode(st->db);
			set_err(st, "cdr: %s: binding call %s: %s", st->path,
			        r->call_id, sqlite3_errmsg(st->db));
		} else {
			rc = sqlite3_step(st->insert);
			if (rc != SQLITE_DONE)
				set_err(st, "cdr: %s: writing call %s: %s",
				        st->path, r->call_id,
				        sqlite3_errmsg(st->db));
		}
		sqlite3_reset(st->insert);
		sqlite3_clear_bindings(st->insert);
		if (rc == SQLITE_DONE) {
			st->err[0] = '\0';
			return 0;
		}
		/* A failed autocommit statement is rolled back by SQLite;
		 * make sure no transaction is left open either way. */
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		if (!transient(rc))
			break;
	}
	return -1;
}

void cdr_store_close(struct cdr_store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->insert);
	if (st->db)
		sqlite3_close_v2(st->db);
	free(st);
}
