/*
 * db_sqlite.c - the SQLite backend of db.h (db_int.h's ops): the file's
 * creation and checks, WAL, the migrations, the bulk and secure_delete
 * pragmas.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "dripmail.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/*
 * The subscribers' and deliveries' columns before and after status and
 * state, the same in migrations 1 and 2 (which differ in those CHECKs
 * only), and their indexes.
 */
#define SUBSCRIBERS_HEAD						\
	" id INTEGER PRIMARY KEY,"					\
	" email TEXT NOT NULL UNIQUE COLLATE NOCASE,"			\
	" first_name TEXT,"						\
	" timezone TEXT,"
#define SUBSCRIBERS_TAIL						\
	" signed_up_at INTEGER NOT NULL,"				\
	" waitlist_at INTEGER,"						\
	" course_at INTEGER,"						\
	" lessons_sent INTEGER NOT NULL DEFAULT 0,"			\
	" last_sent_at INTEGER,"					\
	" next_lesson_at INTEGER,"					\
	" status_at INTEGER,"						\
	" status_reason TEXT,"						\
	" created_at INTEGER NOT NULL,"					\
	" updated_at INTEGER NOT NULL);"
/* Migration 2's status CHECK, which migration 3 keeps. */
#define SUBSCRIBERS_STATUS_V2						\
	" status TEXT NOT NULL DEFAULT 'active' CHECK (status = 'active' OR"	\
	"  status = 'completed' OR status = 'unsubscribed' OR"		\
	"  status = 'bounced' OR status = 'complained'),"
#define SUBSCRIBERS_INDEXES						\
	"CREATE INDEX subscribers_next ON subscribers(next_lesson_at)"	\
	" WHERE next_lesson_at IS NOT NULL;"				\
	"CREATE INDEX subscribers_waitlist ON subscribers(waitlist_at)"	\
	" WHERE waitlist_at IS NOT NULL;"
#define SUBSCRIBERS_COLUMNS						\
	"id, email, first_name, timezone, status, signed_up_at,"	\
	" waitlist_at, course_at, lessons_sent, last_sent_at,"		\
	" next_lesson_at, status_at, status_reason, created_at,"	\
	" updated_at"

#define DELIVERIES_HEAD							\
	" id INTEGER PRIMARY KEY,"					\
	" subscriber_id INTEGER NOT NULL"				\
	"  REFERENCES subscribers(id) ON DELETE CASCADE,"		\
	" message TEXT NOT NULL,"
#define DELIVERIES_TAIL							\
	DELIVERIES_TIMES						\
	" UNIQUE (subscriber_id, message));"
#define DELIVERIES_TIMES						\
	" due_at INTEGER NOT NULL,"					\
	" next_attempt_at INTEGER,"					\
	" attempts INTEGER NOT NULL DEFAULT 0,"				\
	" message_id TEXT,"						\
	" smtp_code INTEGER,"						\
	" smtp_reply TEXT,"						\
	" sent_at INTEGER,"						\
	" run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,"	\
	" created_at INTEGER NOT NULL,"					\
	" updated_at INTEGER NOT NULL,"
/* Migration 2's state CHECK, which migration 4 keeps. */
#define DELIVERIES_STATE_V2						\
	" state TEXT NOT NULL CHECK (state = 'due' OR state = 'sending' OR"	\
	"  state = 'sent' OR state = 'retry' OR state = 'failed' OR"	\
	"  state = 'suppressed'),"
#define DELIVERIES_INDEXES						\
	"CREATE INDEX deliveries_pending ON deliveries(next_attempt_at)"	\
	" WHERE " DB_PENDING("") ";"					\
	"CREATE INDEX deliveries_message ON deliveries(message, state);"
#define DELIVERIES_COLUMNS						\
	"id, subscriber_id, message, state, due_at, next_attempt_at,"	\
	" attempts, message_id, smtp_code, smtp_reply, sent_at, run_id,"	\
	" created_at, updated_at"

/*
 * Migration N takes a database at user_version N-1 to N.  Never edit one
 * that has shipped: add the next (to db_pg.c too, and a new table or
 * column to db_tables[] in db.c, which `db copy` moves).
 */
static const char *const migrations[] = {
	/* 1: the whole product's schema */
	"CREATE TABLE subscribers ("
	SUBSCRIBERS_HEAD
	" status TEXT NOT NULL DEFAULT 'active' CHECK (status IN"
	"  ('active','completed','unsubscribed','bounced','complained')),"
	SUBSCRIBERS_TAIL
	SUBSCRIBERS_INDEXES
	"CREATE TABLE runs ("
	" id INTEGER PRIMARY KEY,"
	" started_at INTEGER NOT NULL,"
	" finished_at INTEGER,"
	" now_at INTEGER NOT NULL,"
	" pid INTEGER NOT NULL,"
	" dry_run INTEGER NOT NULL DEFAULT 0,"
	" sent INTEGER NOT NULL DEFAULT 0,"
	" retried INTEGER NOT NULL DEFAULT 0,"
	" failed INTEGER NOT NULL DEFAULT 0,"
	" suppressed INTEGER NOT NULL DEFAULT 0,"
	" outcome TEXT);"
	"CREATE TABLE deliveries ("
	DELIVERIES_HEAD
	" state TEXT NOT NULL CHECK (state IN"
	"  ('due','sending','sent','retry','failed','suppressed')),"
	DELIVERIES_TAIL
	"CREATE INDEX deliveries_pending ON deliveries(next_attempt_at)"
	" WHERE state IN ('due','sending','retry');"
	"CREATE INDEX deliveries_message ON deliveries(message, state);"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL,"
	" message TEXT,"
	" source TEXT,"
	" status TEXT,"
	" detail TEXT);"
	"CREATE INDEX events_subscriber ON events(subscriber_id, at);"
	"CREATE TABLE suppressions ("
	" hash TEXT PRIMARY KEY,"
	" reason TEXT NOT NULL,"
	" created_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE bounce_seen ("
	" key TEXT PRIMARY KEY,"
	" at INTEGER NOT NULL) WITHOUT ROWID;",

	/*
	 * 2: status and state tests without IN.  SQLite evaluates an IN
	 * list of more than two constants by building a temporary table,
	 * and for a CHECK it does so for every row written: a third of an
	 * import's time, and twice per state change in a send run (the
	 * CHECK and the pending index).  A CHECK cannot be altered, so both
	 * tables are rebuilt (migrate() turns foreign keys off meanwhile, so
	 * dropping the old subscribers cascades to nothing).
	 */
	"CREATE TABLE subscribers_v2 ("
	SUBSCRIBERS_HEAD
	SUBSCRIBERS_STATUS_V2
	SUBSCRIBERS_TAIL
	"INSERT INTO subscribers_v2 (" SUBSCRIBERS_COLUMNS ")"
	" SELECT " SUBSCRIBERS_COLUMNS " FROM subscribers;"
	"DROP TABLE subscribers;"
	"ALTER TABLE subscribers_v2 RENAME TO subscribers;"
	SUBSCRIBERS_INDEXES
	"CREATE TABLE deliveries_v2 ("
	DELIVERIES_HEAD
	DELIVERIES_STATE_V2
	DELIVERIES_TAIL
	"INSERT INTO deliveries_v2 (id, subscriber_id, message, state, due_at,"
	" next_attempt_at, attempts, message_id, smtp_code, smtp_reply,"
	" sent_at, run_id, created_at, updated_at)"
	" SELECT id, subscriber_id, message, state, due_at, next_attempt_at,"
	" attempts, message_id, smtp_code, smtp_reply, sent_at, run_id,"
	" created_at, updated_at FROM deliveries;"
	"DROP TABLE deliveries;"
	"ALTER TABLE deliveries_v2 RENAME TO deliveries;"
	DELIVERIES_INDEXES,

	/*
	 * 3: subscriber ids are never handed out twice.  Without
	 * AUTOINCREMENT SQLite gives a new row the largest id + 1, so the
	 * next signup after `subscribers remove` of the newest one took the
	 * erased person's id, and with it their unsubscribe links, VERP
	 * addresses and Message-IDs (all made from the id).  Ids above the
	 * largest kept may already have been handed out and erased: each
	 * erasure logged a "removed" event, so the sequence starts past as
	 * many ids as there were erasures.
	 */
	"CREATE TABLE subscribers_v3 ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" first_name TEXT,"
	" timezone TEXT,"
	SUBSCRIBERS_STATUS_V2
	SUBSCRIBERS_TAIL
	"INSERT INTO subscribers_v3 (" SUBSCRIBERS_COLUMNS ")"
	" SELECT " SUBSCRIBERS_COLUMNS " FROM subscribers;"
	"DROP TABLE subscribers;"
	"ALTER TABLE subscribers_v3 RENAME TO subscribers;"
	SUBSCRIBERS_INDEXES
	"DELETE FROM sqlite_sequence WHERE name = 'subscribers';"
	"INSERT INTO sqlite_sequence (name, seq)"
	" SELECT 'subscribers', coalesce(max(id), 0) + (SELECT count(*)"
	" FROM events WHERE kind = 'removed') FROM subscribers;",

	/*
	 * 4: signups from the web form (`signup --cgi`) waiting for the
	 * address to confirm them.
	 * A confirmation link's token names the row's id and created_at;
	 * AUTOINCREMENT so a purged row's id, and its links, never come
	 * back.  ip and email are indexed for the rate limits.
	 */
	"CREATE TABLE signups ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" email TEXT NOT NULL COLLATE NOCASE,"
	" first_name TEXT,"
	" timezone TEXT,"
	" ip TEXT,"
	" user_agent TEXT,"
	" page TEXT,"
	" created_at INTEGER NOT NULL,"
	" mailed_at INTEGER,"
	" confirmed_at INTEGER,"
	" subscriber_id INTEGER"
	"  REFERENCES subscribers(id) ON DELETE SET NULL);"
	"CREATE INDEX signups_email ON signups(email, created_at);"
	"CREATE INDEX signups_ip ON signups(ip, created_at);",

	/*
	 * 5: the automatic pause (guard.c) counts, over a window, the
	 * messages sent and the hard bounces and complaints recorded: two
	 * indexes make those counts range scans rather than scans of the
	 * two largest tables.
	 */
	"CREATE INDEX deliveries_sent ON deliveries(sent_at)"
	" WHERE sent_at IS NOT NULL;"
	"CREATE INDEX events_kind ON events(kind, at);",

	/*
	 * 6: steering one subscriber.  paused_at: lessons wait while it is
	 * set.  course_copy and deliveries.copy: a message can go to one
	 * person more than once
	 * (`subscribers resend`, `restart`), so a delivery is keyed by
	 * (subscriber, message, copy); the UNIQUE of a table cannot be
	 * altered, so deliveries is rebuilt (ids kept: VERP tokens hold
	 * them), subscribers only gains columns; the rebuild drops migration
	 * 5's index on sent_at, so it is made again.
	 */
	"ALTER TABLE subscribers ADD COLUMN paused_at INTEGER;"
	"ALTER TABLE subscribers ADD COLUMN"
	" course_copy INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE deliveries_v6 ("
	DELIVERIES_HEAD
	" copy INTEGER NOT NULL DEFAULT 0,"
	DELIVERIES_STATE_V2
	DELIVERIES_TIMES
	" UNIQUE (subscriber_id, message, copy));"
	"INSERT INTO deliveries_v6 ("  DELIVERIES_COLUMNS ")"
	" SELECT " DELIVERIES_COLUMNS " FROM deliveries;"
	"DROP TABLE deliveries;"
	"ALTER TABLE deliveries_v6 RENAME TO deliveries;"
	DELIVERIES_INDEXES
	"CREATE INDEX deliveries_sent ON deliveries(sent_at)"
	" WHERE sent_at IS NOT NULL;",

	/*
	 * 7: a message's answer from the server, committed as soon as it
	 * comes (one small row: the crash guarantee's commit between two
	 * messages of a connection), folded into its delivery and its
	 * subscriber with many others in the run's next batch, then
	 * deleted.  A row left by a killed run is recorded, not sent again
	 * (plan.c).
	 */
	ANSWERS_TABLE(" INTEGER"),
};


_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == DB_VERSION,
    "one migration per schema version");

#define CONN(db)	((sqlite3 *)(db)->conn)
#define STMT(st)	((sqlite3_stmt *)(st)->handle)

/* A SQLite result code as ERR_TEMP (busy, locked) or ERR_FAIL. */
static int
sl_err(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ERR_TEMP : ERR_FAIL;
}

static int
sl_fail(struct db *db, int rc, const char *what)
{
	log_warnx("%s: %s: %s", db->path ? db->path : "database", what,
	    db->conn ? sqlite3_errmsg(CONN(db)) : sqlite3_errstr(rc));
	return sl_err(rc);
}

static const char *
sl_errmsg(struct db *db)
{
	return db->conn ? sqlite3_errmsg(CONN(db)) : "not open";
}

static int
sl_prepare(struct db *db, struct db_stmt *st, const char *sql)
{
	sqlite3_stmt *h = NULL;
	int rc;

	rc = sqlite3_prepare_v3(CONN(db), sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &h, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("%s: cannot prepare '%.60s': %s", db->path, sql,
		    sqlite3_errmsg(CONN(db)));
		sqlite3_finalize(h);
		return sl_err(rc);
	}
	st->handle = h;
	return 0;
}

static void
sl_finalize(struct db_stmt *st)
{
	sqlite3_finalize(STMT(st));
	st->handle = NULL;
}

static void
sl_reset(struct db_stmt *st, int clear)
{
	sqlite3_reset(STMT(st));
	if (clear)
		sqlite3_clear_bindings(STMT(st));
}

static void
sl_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(STMT(st), i, (sqlite3_int64)v);
}

static void
sl_bind_text(struct db_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(STMT(st), i, s, -1, SQLITE_TRANSIENT);
}

static void
sl_bind_text_static(struct db_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(STMT(st), i, s, -1, SQLITE_STATIC);
}

static void
sl_bind_null(struct db_stmt *st, int i)
{
	sqlite3_bind_null(STMT(st), i);
}

static int
sl_step(struct db_stmt *st)
{
	int rc = sqlite3_step(STMT(st));

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		st->db->changes = sqlite3_changes64(CONN(st->db));
		return DB_DONE;
	}
	return sl_err(rc);
}

static int64_t
sl_column_int64(struct db_stmt *st, int i)
{
	return sqlite3_column_int64(STMT(st), i);
}

static int
sl_column_null(struct db_stmt *st, int i)
{
	return sqlite3_column_type(STMT(st), i) == SQLITE_NULL;
}

static const char *
sl_column_text(struct db_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(STMT(st), i);
}

static int
sl_exec(struct db *db, const char *sql)
{
	char *err = NULL;
	int rc;

	rc = sqlite3_exec(CONN(db), sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_warnx("%s: %.40s: %s", db->path, sql,
		    err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return sl_err(rc);
	}
	return 0;
}

static int
sl_begin(struct db *db)
{
	return sl_exec(db, "BEGIN IMMEDIATE");
}

static int
sl_commit(struct db *db)
{
	return sl_exec(db, "COMMIT");
}

static int
sl_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(CONN(db)))
		return 0;
	return sl_exec(db, "ROLLBACK");
}

/* The first column of a one-row pragma as an int, or -1. */
static int
pragma_int(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(CONN(db), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
sl_version(struct db *db)
{
	return pragma_int(db, "PRAGMA user_version");
}

/* 0 when no row refers to a missing one (PRAGMA foreign_key_check). */
static int
references_ok(struct db *db)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(CONN(db), "PRAGMA foreign_key_check", -1, &st,
	    NULL) != SQLITE_OK)
		return sl_fail(db, SQLITE_ERROR, "cannot check references");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_ROW)
		log_warnx("%s: migration left rows referring to missing ones",
		    db->path);
	return sl_fail(db, rc == SQLITE_ROW ? SQLITE_CONSTRAINT : rc,
	    "cannot check references");
}

/*
 * Migrations rebuild tables, so foreign keys are off while they run (the
 * pragma does nothing inside a transaction): dropping the old table must
 * not cascade.  references_ok() checks the result before the commit.
 */
static int
sl_migrate_begin(struct db *db)
{
	return sl_exec(db, "PRAGMA foreign_keys = OFF");
}

static int
sl_migrate_finish(struct db *db, int v)
{
	char pragma[64];
	int ret;

	if ((ret = references_ok(db)) < 0)
		return ret;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
	return sl_exec(db, pragma);
}

static int
sl_migrate_end(struct db *db)
{
	return sl_exec(db, "PRAGMA foreign_keys = ON");
}

/*
 * Switching to WAL takes an exclusive lock and does not go through the busy
 * handler, so a process opening a new database while another creates it can
 * see "database is locked": retry for as long as busy_timeout would wait.
 */
static int
set_wal(struct db *db)
{
	sqlite3_stmt *st;
	int rc, tries;

	for (tries = 0; ; tries++) {
		rc = sqlite3_prepare_v2(CONN(db), "PRAGMA journal_mode = WAL",
		    -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			return 0;
		if (sl_err(rc) != ERR_TEMP || tries * 10 >= DB_BUSY_MS)
			return sl_fail(db, rc, "cannot set WAL journal mode");
		sqlite3_sleep(10);
	}
}

/*
 * 0 when this process may write the database file and create its -wal and
 * -shm beside it; else ERR_FAIL, logged: every command writes.
 */
static int
writable(struct db *db)
{
	char *dir;
	int ok;

	if (strcmp(db->path, DB_MEMORY) == 0)
		return 0;
	if (sqlite3_db_readonly(CONN(db), "main") == 1) {
		log_warnx("%s: the database is read-only: dripmail writes to it "
		    "(give this user write access to the file)", db->path);
		return ERR_FAIL;
	}
	dir = path_dirname(db->path);
	ok = access(dir, W_OK | X_OK) == 0;
	if (!ok)
		log_warnx("%s: the database is read-only: its folder '%s' "
		    "cannot be written (SQLite keeps its -wal and -shm files "
		    "there)", db->path, dir);
	free(dir);
	return ok ? 0 : ERR_FAIL;
}

static int
open_flags(struct db *db, const char *path, int flags)
{
	sqlite3 *conn = NULL;
	int rc;

	db->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &conn, flags, NULL);
	db->conn = conn;
	if (rc != SQLITE_OK)
		return sl_fail(db, rc, "cannot open database");
	sqlite3_extended_result_codes(conn, 1);
	sqlite3_busy_timeout(conn, DB_BUSY_MS);
	if ((flags & SQLITE_OPEN_READWRITE) && (rc = writable(db)) < 0)
		return rc;
	/*
	 * 8 KiB pages (a new database only: later this is a no-op): a
	 * million-row import runs about 6% faster than with 4 KiB ones.
	 */
	if ((flags & SQLITE_OPEN_READWRITE) &&
	    (rc = sl_exec(db, "PRAGMA page_size = 8192")) < 0)
		return rc;
	if ((flags & SQLITE_OPEN_READWRITE) && (rc = set_wal(db)) < 0)
		return rc;
	if ((rc = sl_exec(db, "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = NORMAL")) < 0)
		return rc;
	return 0;
}

#define RW_FLAGS	(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | \
	SQLITE_OPEN_NOMUTEX)

/*
 * Make a missing database whole under a temporary name (mkstemp: 0600,
 * whatever the umask; SQLite gives the -wal, -shm and journal files the
 * database's mode) and link it into place, so that a database file of 0
 * bytes is never one being created: when another process links first,
 * theirs is used.  0 or ERR_FAIL (logged).
 */
static int
create(const char *path)
{
	struct db tmp;
	char *name = xasprintf("%s.new.XXXXXX", path), *side;
	int fd, ret;

	if ((fd = mkstemp(name)) < 0) {
		log_warn("%s: cannot create the database", path);
		free(name);
		return ERR_FAIL;
	}
	close(fd);
	memset(&tmp, 0, sizeof(tmp));
	tmp.kind = DB_SQLITE;
	tmp.ops = &db_sqlite_ops;
	if ((ret = open_flags(&tmp, name, RW_FLAGS)) == 0)
		ret = db_migrate(&tmp);
	db_close(&tmp);		/* the last connection: no -wal left */
	if (ret == 0 && link(name, path) < 0 && errno != EEXIST) {
		log_warn("%s: cannot create the database", path);
		ret = ERR_FAIL;
	}
	unlink(name);
	side = xasprintf("%s-wal", name);
	unlink(side);
	free(side);
	side = xasprintf("%s-shm", name);
	unlink(side);
	free(side);
	free(name);
	return ret;
}

static int
sl_open(struct db *db, const char *path, const char *password_file,
    int readonly)
{
	struct stat st;
	int ret;

	(void)password_file;
	if (readonly)
		return open_flags(db, path, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_NOMUTEX);
	if (strcmp(path, DB_MEMORY) == 0)
		return open_flags(db, path, RW_FLAGS);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT && (ret = create(path)) < 0)
			return ret;
	} else if (S_ISREG(st.st_mode) && st.st_size == 0) {
		log_warnx("%s: the database file is empty (0 bytes): it was "
		    "damaged (a failed copy or restore?) and holds no "
		    "subscribers or suppressions; restore it from a backup, "
		    "or remove it to start a new database", path);
		return ERR_FAIL;
	}
	return open_flags(db, path, RW_FLAGS);
}

static void
sl_close(struct db *db)
{
	if (db->conn)
		sqlite3_close(CONN(db));
	db->conn = NULL;
}

/*
 * The import's page cache (KiB, negative): enough for the email index of
 * a million or two addresses.  Larger ones were no faster (1M rows: 256
 * MiB and 64 MiB both 1.9 s) and cost RSS.
 */
#define BULK_CACHE_KIB	"-65536"

/*
 * Set the journal mode; 1 when the database is now in it.  Switching needs
 * the database to ourselves: when another process has it open, stay as we
 * are.
 */
static int
journal_mode(struct db *db, const char *sql, const char *want)
{
	sqlite3_stmt *st;
	int ok;

	if (sqlite3_prepare_v2(CONN(db), sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	ok = sqlite3_step(st) == SQLITE_ROW &&
	    str_ieq((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_finalize(st);
	return ok;
}

/*
 * A big transaction in WAL mode writes every page twice (to the WAL, then
 * the checkpoint copies it), so the import runs with a rollback journal
 * when it can: killed half-way, the hot journal rolls the file back at the
 * next open.  synchronous=FULL keeps that true across a power cut too; it
 * costs a few fsyncs at commit.  Then back to WAL for everyone else.
 */
static int
sl_bulk_begin(struct db *db, int *tuned)
{
	int ret;

	*tuned = journal_mode(db, "PRAGMA journal_mode = DELETE", "delete");
	if (*tuned && (ret = sl_exec(db, "PRAGMA synchronous = FULL")) < 0)
		return ret;
	if ((ret = sl_exec(db, "PRAGMA cache_size = " BULK_CACHE_KIB)) < 0)
		return ret;
	return sl_begin(db);
}

static void
sl_bulk_end(struct db *db, int tuned)
{
	if (!tuned)
		return;
	sl_exec(db, "PRAGMA synchronous = NORMAL");
	if (!journal_mode(db, "PRAGMA journal_mode = WAL", "wal"))
		log_warnx("%s: cannot go back to WAL mode (the next command "
		    "will)", db->path);
}

static int
sl_secure_delete(struct db *db)
{
	return sl_exec(db, "PRAGMA secure_delete = ON");
}

const struct db_ops db_sqlite_ops = {
	.open = sl_open,
	.close = sl_close,
	.version = sl_version,
	.prepare = sl_prepare,
	.finalize = sl_finalize,
	.reset = sl_reset,
	.bind_int64 = sl_bind_int64,
	.bind_text = sl_bind_text,
	.bind_null = sl_bind_null,
	.step = sl_step,
	.errmsg = sl_errmsg,
	.column_int64 = sl_column_int64,
	.column_null = sl_column_null,
	.column_text = sl_column_text,
	.exec = sl_exec,
	.begin = sl_begin,
	.commit = sl_commit,
	.rollback = sl_rollback,
	.bulk_begin = sl_bulk_begin,
	.bulk_end = sl_bulk_end,
	.secure_delete = sl_secure_delete,
	.migrations = migrations,
	.migrate_begin = sl_migrate_begin,
	.migrate_finish = sl_migrate_finish,
	.migrate_end = sl_migrate_end,
	.bind_text_static = sl_bind_text_static,
};
