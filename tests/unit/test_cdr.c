/* test_cdr.c: the SQLite CDR store. Rows are written through the API
 * and read back with the plain sqlite3 API, field by field. */
#include "cdr/cdr.h"
#include "tests/test.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[256];

static void path_in_tmp(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A column as text, "<NULL>" for SQL NULL. */
static const char *col_text(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return "<NULL>";
	return (const char *)sqlite3_column_text(s, i);
}

/* The expected text of a string field: NULL and "" are stored as NULL. */
static const char *want_text(const char *v)
{
	return v && *v ? v : "<NULL>";
}

#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		test_checks++;                                                 \
		if (strcmp(g_, w_)) {                                          \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: %s is '%s', expected '%s'\n",  \
			        __FILE__, __LINE__, #got, g_, w_);             \
		}                                                              \
	} while (0)

/* Read the row of call_id back and compare every field with r. */
static void check_row(sqlite3 *db, const struct cdr_record *r)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(
	        db,
	        "SELECT call_id, in_trunk, out_trunk, in_call_id, out_call_id,"
	        " in_calling, in_called, out_calling, out_called, start_ms,"
	        " answer_ms, end_ms, duration_ms, final_status, reason,"
	        " hangup_by, failover_attempts, answered_by, transferred_from,"
	        " transferred_to, diversion"
	        " FROM cdr WHERE call_id = ?1",
	        -1, &s, NULL);
	CHECK_EQ_INT(rc, SQLITE_OK);
	sqlite3_bind_text(s, 1, r->call_id, -1, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(s), SQLITE_ROW);
	CHECK_STR(col_text(s, 0), r->call_id);
	CHECK_STR(col_text(s, 1), want_text(r->in_trunk));
	CHECK_STR(col_text(s, 2), want_text(r->out_trunk));
	CHECK_STR(col_text(s, 3), want_text(r->in_call_id));
	CHECK_STR(col_text(s, 4), want_text(r->out_call_id));
	CHECK_STR(col_text(s, 5), want_text(r->in_calling));
	CHECK_STR(col_text(s, 6), want_text(r->in_called));
	CHECK_STR(col_text(s, 7), want_text(r->out_calling));
	CHECK_STR(col_text(s, 8), want_text(r->out_called));
	const int64_t times[3] = {r->start_ms, r->answer_ms, r->end_ms};
	for (int i = 0; i < 3; i++) {
		if (times[i] == 0)
			CHECK_EQ_INT(sqlite3_column_type(s, 9 + i),
			             SQLITE_NULL);
		else
			CHECK_EQ_INT(sqlite3_column_int64(s, 9 + i), times[i]);
	}
	CHECK_EQ_INT(sqlite3_column_int64(s, 12), r->duration_ms);
	CHECK_EQ_INT(sqlite3_column_int(s, 13), r->final_status);
	CHECK_STR(col_text(s, 14), want_text(r->reason));
	CHECK_STR(col_text(s, 15), cdr_hangup_name(r->hangup_by));
	CHECK_EQ_INT(sqlite3_column_int(s, 16), r->failover_attempts);
	CHECK_STR(col_text(s, 17), want_text(r->answered_by));
	CHECK_STR(col_text(s, 18), want_text(r->transferred_from));
	CHECK_STR(col_text(s, 19), want_text(r->transferred_to));
	CHECK_STR(col_text(s, 20), want_text(r->diversion));
	CHECK_EQ_INT(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

static long long count_rows(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	            SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static const struct cdr_record answered = {
        .call_id = "6f1c2a4e-8d3b-4c1a-9e7f-0b2d4c6e8a10",
        .in_trunk = "acs",
        .out_trunk = "genesys",
        .in_call_id = "a84b4c76e66710@pstnhub.microsoft.com",
        .out_call_id = "tb-3f9a1c@sbc1.contoso.com",
        .in_calling = "+14255550100",
        .in_called = "+14255551234",
        .out_calling = "14255550100",
        .out_called = "+14255551234",
        .start_ms = 1714555812345,
        .answer_ms = 1714555815000,
        .end_ms = 1714555875500,
        .duration_ms = 60500,
        .final_status = 200,
        .reason = "Q.850;cause=16;text=\"Normal call clearing\"",
        .hangup_by = CDR_HANGUP_CALLEE,
        .failover_attempts = 1,
        .answered_by = "byoc.mypurecloud.com:5061",
};

static void test_fields_round_trip(void)
{
	char path[300], err[512], reason[512];
	struct cdr_store *st = NULL;
	sqlite3 *db = NULL;

	path_in_tmp(path, sizeof(path), "fields.db");
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), 0);
	if (!st) {
		fprintf(stderr, "open: %s\n", err);
		return;
	}
	CHECK_STR(cdr_store_last_error(st), "");

	/* A failed call: empty strings, NULLs, no answer, a long reason
	 * with quotes (both kinds), a semicolon and UTF-8. */
	size_t n = 0;
	n += (size_t)snprintf(reason + n, sizeof(reason) - n,
	                      "SIP;cause=487;text=\"Request 'Terminated'\"");
	while (n < 400) {
		static const char utf8[] = " Anruf beendet \xc3\xa4\xc3\xb6"
		                           "\xc3\xbc \xe2\x82\xac \xe6\x97"
		                           "\xa5\xe6\x9c\xac;";
		size_t l = sizeof(utf8) - 1;
		if (n + l > 400)
			break;
		memcpy(reason + n, utf8, l);
		n += l;
	}
	while (n < 400)
		reason[n++] = '\'';
	reason[n] = '\0';
	CHECK_EQ_INT(strlen(reason), 400);

	struct cdr_record failed = {
	        .call_id = "0000-failed",
	        .in_trunk = "genesys",
	        .out_trunk = "",
	        .in_call_id = "x@y",
	        .out_call_id = NULL,
	        .in_calling = "",
	        .in_called = "+44 20 7946 0000",
	        .out_calling = NULL,
	        .out_called = NULL,
	        .start_ms = 1714555812345,
	        .answer_ms = 0,
	        .end_ms = 1714555812999,
	        .duration_ms = cdr_duration_ms(0, 1714555812999),
	        .final_status = 487,
	        .reason = reason,
	        .hangup_by = CDR_HANGUP_CALLER,
	        .failover_attempts = 0,
	        .answered_by = "",
	};
	struct cdr_record minimal = {.call_id = "minimal"};
	struct cdr_record ours = answered;
	ours.call_id = "ours";
	ours.hangup_by = CDR_HANGUP_TRUNKBRIDGE;
	ours.failover_attempts = 2;

	CHECK_EQ_INT(cdr_store_write(st, &answered), 0);
	CHECK_EQ_INT(cdr_store_write(st, &failed), 0);
	CHECK_EQ_INT(cdr_store_write(st, &minimal), 0);
	CHECK_EQ_INT(cdr_store_write(st, &ours), 0);
	/* A transfer: the first call continued in a second one, which went
	 * out with a Diversion; "" is NULL like everywhere else. */
	struct cdr_record xfer1 = answered, xfer2 = answered;
	xfer1.call_id = "xfer-1";
	xfer1.transferred_to = "xfer-2";
	xfer1.transferred_from = "";
	xfer2.call_id = "xfer-2";
	xfer2.transferred_from = "xfer-1";
	xfer2.diversion = "<sip:+14255551234@sbc1.contoso.com;user=phone>;"
	                  "reason=unconditional;counter=1";
	CHECK_EQ_INT(cdr_store_write(st, &xfer1), 0);
	CHECK_EQ_INT(cdr_store_write(st, &xfer2), 0);

	/* Read back from another connection while the store is open. */
	CHECK_EQ_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	check_row(db, &answered);
	check_row(db, &failed);
	check_row(db, &minimal);
	check_row(db, &ours);
	check_row(db, &xfer1);
	check_row(db, &xfer2);

	/* The view: ISO-8601 times, NULL when not reached, seconds. */
	sqlite3_stmt *s = NULL;
	CHECK_EQ_INT(sqlite3_prepare_v2(db,
	                                "SELECT start, answer, \"end\", "
	                                "duration_s FROM cdr_view "
	                                "WHERE call_id = ?1",
	                                -1, &s, NULL),
	             SQLITE_OK);
	sqlite3_bind_text(s, 1, answered.call_id, -1, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(s), SQLITE_ROW);
	CHECK_STR(col_text(s, 0), "2024-05-01T09:30:12.345Z");
	CHECK_STR(col_text(s, 1), "2024-05-01T09:30:15.000Z");
	CHECK_STR(col_text(s, 2), "2024-05-01T09:31:15.500Z");
	CHECK(sqlite3_column_double(s, 3) == 60.5);
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, "minimal", -1, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(s), SQLITE_ROW);
	CHECK_STR(col_text(s, 0), "<NULL>");
	CHECK_STR(col_text(s, 1), "<NULL>");
	CHECK(sqlite3_column_double(s, 3) == 0.0);
	sqlite3_finalize(s);
	/* The new columns in the view: NULL when unset. */
	CHECK_EQ_INT(sqlite3_prepare_v2(db,
	                                "SELECT transferred_from, "
	                                "transferred_to, diversion FROM "
	                                "cdr_view WHERE call_id = ?1",
	                                -1, &s, NULL),
	             SQLITE_OK);
	sqlite3_bind_text(s, 1, "xfer-2", -1, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(s), SQLITE_ROW);
	CHECK_STR(col_text(s, 0), "xfer-1");
	CHECK_STR(col_text(s, 1), "<NULL>");
	CHECK_STR(col_text(s, 2), xfer2.diversion);
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, "minimal", -1, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(s), SQLITE_ROW);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(sqlite3_column_type(s, i), SQLITE_NULL);
	sqlite3_finalize(s);

	/* WAL, and the schema version. */
	CHECK_EQ_INT(count_rows(path, "PRAGMA user_version"),
	             CDR_SCHEMA_VERSION);
	sqlite3_stmt *j = NULL;
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &j, NULL);
	CHECK_EQ_INT(sqlite3_step(j), SQLITE_ROW);
	CHECK_STR(col_text(j, 0), "wal");
	sqlite3_finalize(j);
	/* Indexes on start time, both Call-IDs and transferred_from. */
	CHECK_EQ_INT(count_rows(path,
	                        "SELECT count(*) FROM sqlite_master WHERE "
	                        "type='index' AND name IN ('cdr_start_ms',"
	                        "'cdr_in_call_id','cdr_out_call_id',"
	                        "'cdr_transferred_from')"),
	             4);
	sqlite3_close(db);

	/* A duplicate call_id and a record without one: clean errors. */
	CHECK_EQ_INT(cdr_store_write(st, &answered), -1);
	CHECK(strstr(cdr_store_last_error(st), "UNIQUE") != NULL);
	CHECK(strstr(cdr_store_last_error(st), answered.call_id) != NULL);
	struct cdr_record noid = answered;
	noid.call_id = "";
	CHECK_EQ_INT(cdr_store_write(st, &noid), -1);
	CHECK(strstr(cdr_store_last_error(st), "call_id") != NULL);
	/* ... and the store still works after them. */
	struct cdr_record after = answered;
	after.call_id = "after-errors";
	CHECK_EQ_INT(cdr_store_write(st, &after), 0);
	CHECK_STR(cdr_store_last_error(st), "");
	cdr_store_close(st);
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM cdr"), 7);
}

static void test_reopen_keeps_rows(void)
{
	char path[300], err[512];
	struct cdr_store *st = NULL;

	path_in_tmp(path, sizeof(path), "reopen.db");
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), 0);
	CHECK_EQ_INT(cdr_store_write(st, &answered), 0);
	cdr_store_close(st);

	st = NULL;
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), 0);
	CHECK(st != NULL);
	if (!st)
		return;
	struct cdr_record second = answered;
	second.call_id = "second";
	CHECK_EQ_INT(cdr_store_write(st, &second), 0);
	/* Open twice at once (a second process would): both fine. */
	struct cdr_store *st2 = NULL;
	CHECK_EQ_INT(cdr_store_open(path, &st2, err, sizeof(err)), 0);
	second.call_id = "third";
	CHECK_EQ_INT(cdr_store_write(st2, &second), 0);
	cdr_store_close(st2);
	cdr_store_close(st);

	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM cdr"), 3);
	CHECK_EQ_INT(count_rows(path, "PRAGMA user_version"),
	             CDR_SCHEMA_VERSION);
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM sqlite_master "
	                              "WHERE name IN ('cdr','cdr_view')"),
	             2);
}

/* The version 1 schema as trunkbridge 0.1 created it (git history of
 * src/cdr/cdr_store.c), to test the migration. */
static const char schema_v1[] =
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
        " answered_by TEXT);"
        "CREATE INDEX cdr_start_ms ON cdr(start_ms);"
        "CREATE INDEX cdr_in_call_id ON cdr(in_call_id);"
        "CREATE INDEX cdr_out_call_id ON cdr(out_call_id);"
        "CREATE VIEW cdr_view AS SELECT"
        " id, call_id, in_trunk, out_trunk, in_call_id, out_call_id,"
        " in_calling, in_called, out_calling, out_called,"
        " strftime('%Y-%m-%dT%H:%M:%fZ', start_ms / 1000.0, 'unixepoch')"
        "  AS start,"
        " strftime('%Y-%m-%dT%H:%M:%fZ', answer_ms / 1000.0, 'unixepoch')"
        "  AS answer,"
        " strftime('%Y-%m-%dT%H:%M:%fZ', end_ms / 1000.0, 'unixepoch')"
        "  AS \"end\","
        " duration_ms / 1000.0 AS duration_s,"
        " final_status, reason, hangup_by, failover_attempts, answered_by"
        " FROM cdr;"
        "PRAGMA user_version=1;"
        "PRAGMA application_id=1413628740;" /* "TBCD" */
        "INSERT INTO cdr (call_id, in_trunk, out_trunk, start_ms,"
        " answer_ms, end_ms, duration_ms, final_status, hangup_by)"
        " VALUES ('v1-a', 'acs', 'genesys', 1714555812345, 1714555815000,"
        "  1714555875500, 60500, 200, 'callee'),"
        " ('v1-b', 'genesys', NULL, 1714555900000, NULL, 1714555901000, 0,"
        "  486, 'none');";

/* A file made with the version 1 schema (by hand here) in WAL mode. */
static void make_v1(const char *path, const char *extra_sql)
{
	sqlite3 *db = NULL;

	CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ_INT(
	        sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL),
	        SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, schema_v1, NULL, NULL, NULL), SQLITE_OK);
	if (extra_sql)
		CHECK_EQ_INT(sqlite3_exec(db, extra_sql, NULL, NULL, NULL),
		             SQLITE_OK);
	sqlite3_close(db);
}

static void test_migrate_v1(void)
{
	char path[300], err[512];
	struct cdr_store *st = NULL;
	sqlite3 *old = NULL;
	sqlite3_stmt *ins = NULL;

	path_in_tmp(path, sizeof(path), "v1.db");
	make_v1(path, NULL);
	CHECK_EQ_INT(count_rows(path, "PRAGMA user_version"), 1);

	/* A trunkbridge 0.1 still has the file open, its INSERT prepared
	 * (the v1 column list). */
	CHECK_EQ_INT(sqlite3_open(path, &old), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_prepare_v2(old,
	                                "INSERT INTO cdr (call_id, in_trunk,"
	                                " hangup_by) VALUES (?1, 'acs', "
	                                "'caller')",
	                                -1, &ins, NULL),
	             SQLITE_OK);

	/* Open: migrated in place. */
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), 0);
	if (!st) {
		fprintf(stderr, "open: %s\n", err);
		sqlite3_finalize(ins);
		sqlite3_close(old);
		return;
	}
	CHECK_EQ_INT(count_rows(path, "PRAGMA user_version"),
	             CDR_SCHEMA_VERSION);
	CHECK_EQ_INT(count_rows(path, "PRAGMA user_version"), 3);
	/* The old rows are there, the new columns NULL for them. */
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM cdr"), 2);
	CHECK_EQ_INT(count_rows(path,
	                        "SELECT count(*) FROM cdr_view WHERE "
	                        "transferred_from IS NULL AND transferred_to"
	                        " IS NULL AND diversion IS NULL AND media IS "
	                        "NULL AND start IS NOT NULL"),
	             2);
	CHECK_EQ_INT(count_rows(path, "SELECT final_status FROM cdr WHERE "
	                              "call_id = 'v1-b'"),
	             486);
	CHECK_EQ_INT(count_rows(path, "SELECT duration_s * 10 FROM cdr_view "
	                              "WHERE call_id = 'v1-a'"),
	             605);
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM sqlite_master "
	                              "WHERE name = 'cdr_transferred_from'"),
	             1);

	/* v2 rows go in: a transfer of v1-a's caller, continued by v2-b. */
	struct cdr_record a = answered, b = answered;
	a.call_id = "v2-a";
	a.transferred_to = "v2-b";
	b.call_id = "v2-b";
	b.transferred_from = "v2-a";
	b.diversion = "<sip:+14255551234@sbc1.contoso.com;user=phone>;"
	              "reason=unconditional;counter=1";
	b.media = "{\"in\":{\"rx_packets\":1500,\"lost\":3},"
	          "\"out\":{\"rx_packets\":1498,\"lost\":0}}";
	CHECK_EQ_INT(cdr_store_write(st, &a), 0);
	CHECK_EQ_INT(cdr_store_write(st, &b), 0);
	sqlite3 *db = NULL;
	CHECK_EQ_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	check_row(db, &a);
	check_row(db, &b);
	sqlite3_close(db);
	/* docs/cdr.md: the calls a transfer continued. */
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM cdr_view AS c JOIN "
	                              "cdr_view AS t ON t.transferred_from = "
	                              "c.call_id WHERE c.call_id = 'v2-a' AND "
	                              "c.transferred_to = t.call_id AND "
	                              "t.diversion LIKE '%unconditional%'"),
	             1);
	/* docs/cdr.md: media statistics with json_extract. */
	CHECK_EQ_INT(count_rows(path, "SELECT json_extract(media, "
	                              "'$.in.lost') FROM cdr_view WHERE "
	                              "call_id = 'v2-b'"),
	             3);

	/* The old writer's statement still works (re-prepared by SQLite
	 * on the schema change); its row has NULL in the new columns. */
	sqlite3_busy_timeout(old, 1000);
	sqlite3_bind_text(ins, 1, "v1-late", -1, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(ins), SQLITE_DONE);
	sqlite3_finalize(ins);
	sqlite3_close(old);
	cdr_store_close(st);
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM cdr WHERE "
	                              "call_id = 'v1-late' AND diversion IS "
	                              "NULL"),
	             1);

	/* Opening again: nothing more to do. */
	st = NULL;
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), 0);
	cdr_store_close(st);
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM cdr"), 5);
	CHECK_EQ_INT(count_rows(path, "PRAGMA user_version"), 3);

	/* A migration that fails is undone entirely: a version 1 file
	 * where someone added a "diversion" column by hand keeps its
	 * version and gets none of the other columns. */
	path_in_tmp(path, sizeof(path), "v1bad.db");
	make_v1(path, "ALTER TABLE cdr ADD COLUMN diversion TEXT;");
	st = NULL;
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), -1);
	CHECK(st == NULL);
	CHECK(strstr(err, "migrating the schema from version 1 to 2") != NULL);
	CHECK(strstr(err, "duplicate column") != NULL);
	CHECK_EQ_INT(count_rows(path, "PRAGMA user_version"), 1);
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM pragma_table_info"
	                              "('cdr') WHERE name = "
	                              "'transferred_from'"),
	             0);
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM cdr"), 2);

	/* A version this build does not know how to migrate from. */
	path_in_tmp(path, sizeof(path), "v0.db");
	make_v1(path, "PRAGMA user_version=-3;");
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), -1);
	CHECK(strstr(err, "no migration") != NULL);
}

static void test_open_errors(void)
{
	char path[300], err[512];
	struct cdr_store *st = NULL;
	FILE *f;

	/* Not a database. */
	path_in_tmp(path, sizeof(path), "garbage.db");
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		for (int i = 0; i < 200; i++)
			fputs("this is not an SQLite file\n", f);
		fclose(f);
	}
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), -1);
	CHECK(st == NULL);
	CHECK(strstr(err, "file is not a database") != NULL);
	CHECK(strstr(err, path) != NULL);

	/* A missing folder is not created. */
	path_in_tmp(path, sizeof(path), "no/such/folder/cdr.db");
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), -1);
	CHECK(st == NULL);
	CHECK(strstr(err, "unable to open database file") != NULL);
	CHECK(strstr(err, "it is not created") != NULL);
	char dir[300];
	path_in_tmp(dir, sizeof(dir), "no");
	struct stat sb;
	CHECK(stat(dir, &sb) != 0);

	/* Another application's SQLite file is left alone. */
	sqlite3 *db = NULL;
	path_in_tmp(path, sizeof(path), "other.db");
	sqlite3_open(path, &db);
	CHECK_EQ_INT(sqlite3_exec(db,
	                          "CREATE TABLE t(x); PRAGMA user_version=1;",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a trunkbridge CDR database") != NULL);

	/* A schema from the future. */
	path_in_tmp(path, sizeof(path), "future.db");
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), 0);
	cdr_store_close(st);
	st = NULL;
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), -1);
	CHECK(strstr(err, "schema version 99 is newer") != NULL);

	/* No path. */
	CHECK_EQ_INT(cdr_store_open("", &st, err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
}

/* Another connection holds the write lock: the write fails (after the
 * busy timeout and one retry) with SQLite's message, then works again
 * once the lock is gone. */
static void test_locked(void)
{
	char path[300], err[512];
	struct cdr_store *st = NULL;
	sqlite3 *db = NULL;

	path_in_tmp(path, sizeof(path), "locked.db");
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), 0);
	if (!st)
		return;
	cdr_store_set_busy_timeout(st, 20);
	sqlite3_open(path, &db);
	CHECK_EQ_INT(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	             SQLITE_OK);
	CHECK_EQ_INT(cdr_store_write(st, &answered), -1);
	CHECK(strstr(cdr_store_last_error(st), "locked") != NULL);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK_EQ_INT(cdr_store_write(st, &answered), 0);
	CHECK_STR(cdr_store_last_error(st), "");
	cdr_store_close(st);
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM cdr"), 1);
}

static void test_ten_thousand(void)
{
	char path[300], err[512], id[64], num[32];
	struct cdr_store *st = NULL;
	const int n = 10000;
	int failed = 0;

	path_in_tmp(path, sizeof(path), "many.db");
	CHECK_EQ_INT(cdr_store_open(path, &st, err, sizeof(err)), 0);
	if (!st)
		return;
	struct cdr_record r = answered;
	r.call_id = id;
	r.in_calling = num;
	int64_t t0 = now_ms();
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "call-%06d", i);
		snprintf(num, sizeof(num), "+1425555%04d", i % 10000);
		r.start_ms = 1714555812345 + i * 1000LL;
		failed += cdr_store_write(st, &r) != 0;
	}
	int64_t dt = now_ms() - t0;
	cdr_store_close(st);
	CHECK_EQ_INT(failed, 0);
	CHECK_EQ_INT(count_rows(path, "SELECT count(*) FROM cdr"), n);
	CHECK_EQ_INT(count_rows(path, "SELECT count(DISTINCT call_id) "
	                              "FROM cdr"),
	             n);
	printf("     %d rows in %lld ms: %.0f rows/s (commit per row)\n", n,
	       (long long)dt, dt > 0 ? n * 1000.0 / (double)dt : 0.0);
}

static void rm_rf_tmp(void)
{
	/* Only our own files: the db files and their -wal/-shm. */
	static const char *const names[] = {
	        "fields.db", "reopen.db", "garbage.db", "other.db", "future.db",
	        "locked.db", "many.db",   "v1.db",      "v1bad.db", "v0.db",
	};
	char p[320];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		static const char *const suffix[] = {"", "-wal", "-shm",
		                                     "-journal"};
		for (size_t j = 0; j < 4; j++) {
			snprintf(p, sizeof(p), "%s/%s%s", tmpdir, names[i],
			         suffix[j]);
			unlink(p);
		}
	}
	rmdir(tmpdir);
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_cdr.XXXXXX",
	         base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_fields_round_trip);
	RUN(test_reopen_keeps_rows);
	RUN(test_migrate_v1);
	RUN(test_open_errors);
	RUN(test_locked);
	RUN(test_ten_thousand);
	rm_rf_tmp();
	return test_summary();
}
