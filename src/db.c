/*
 * db.c - SQLite connection, schema migrations and the statement cache.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "dripmail.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

struct db_stmt {
	const char	*key;
	sqlite3_stmt	*stmt;
	struct db_stmt	*next;
};

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
 * that has shipped: add the next.
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
};

int
db_err(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ERR_TEMP : ERR_FAIL;
}

static int
db_fail(struct db *db, int rc, const char *what)
{
	log_warnx("%s: %s: %s", db->path ? db->path : "database", what,
	    db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
	return db_err(rc);
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql)
{
	struct db_stmt *s;
	int rc;

	for (s = db->stmts; s != NULL; s = s->next)
		if (s->key == sql) {
			sqlite3_reset(s->stmt);
			sqlite3_clear_bindings(s->stmt);
			return s->stmt;
		}
	s = xcalloc(1, sizeof(*s));
	rc = sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->stmt, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("%s: cannot prepare '%.60s': %s", db->path, sql,
		    sqlite3_errmsg(db->sql));
		free(s);
		return NULL;
	}
	s->key = sql;
	s->next = db->stmts;
	db->stmts = s;
	return s->stmt;
}

int
db_step(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	db_fail(db, rc, what);
	sqlite3_reset(st);
	return db_err(rc);
}

int
db_exec(struct db *db, const char *sql)
{
	char *err = NULL;
	int rc;

	rc = sqlite3_exec(db->sql, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_warnx("%s: %.40s: %s", db->path, sql,
		    err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return db_err(rc);
	}
	return 0;
}

int
db_begin(struct db *db)
{
	return db_exec(db, "BEGIN IMMEDIATE");
}

int
db_commit(struct db *db)
{
	return db_exec(db, "COMMIT");
}

int
db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->sql))
		return 0;
	return db_exec(db, "ROLLBACK");
}

int
db_done(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	rc = db_step(db, st, what);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}

void
db_bind_time(sqlite3_stmt *st, int i, time_t t)
{
	if (t)
		sqlite3_bind_int64(st, i, (sqlite3_int64)t);
	else
		sqlite3_bind_null(st, i);
}

char *
db_column_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? xstrdup((const char *)s) : NULL;
}

int
db_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* 0 when no row refers to a missing one (PRAGMA foreign_key_check). */
static int
references_ok(struct db *db)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA foreign_key_check", -1, &st,
	    NULL) != SQLITE_OK)
		return db_fail(db, SQLITE_ERROR, "cannot check references");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_ROW)
		log_warnx("%s: migration left rows referring to missing ones",
		    db->path);
	return db_fail(db, rc == SQLITE_ROW ? SQLITE_CONSTRAINT : rc,
	    "cannot check references");
}

static int
migrate_txn(struct db *db)
{
	char pragma[64];
	int v, ret;

	if ((ret = db_begin(db)) < 0)
		return ret;
	v = db_version(db);
	if (v < 0) {
		ret = db_fail(db, SQLITE_ERROR, "cannot read schema version");
		goto fail;
	}
	if (v > DB_VERSION) {
		log_warnx("%s: database schema version %d is newer than this "
		    "dripmail knows (%d): upgrade dripmail", db->path, v,
		    DB_VERSION);
		ret = ERR_FAIL;
		goto fail;
	}
	if (v == DB_VERSION)
		return db_commit(db);
	for (; v < DB_VERSION; v++) {
		log_info("%s: migrating schema to version %d", db->path, v + 1);
		if ((ret = db_exec(db, migrations[v])) < 0)
			goto fail;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
	    DB_VERSION);
	if ((ret = references_ok(db)) < 0 ||
	    (ret = db_exec(db, pragma)) < 0 || (ret = db_commit(db)) < 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return ret;
}

/*
 * Migrations rebuild tables, so foreign keys are off while they run (the
 * pragma does nothing inside a transaction): dropping the old table must
 * not cascade.  references_ok() checks the result before the commit.
 */
static int
migrate(struct db *db)
{
	int ret, rc;

	if ((ret = db_exec(db, "PRAGMA foreign_keys = OFF")) < 0)
		return ret;
	ret = migrate_txn(db);
	if ((rc = db_exec(db, "PRAGMA foreign_keys = ON")) < 0 && ret == 0)
		ret = rc;
	return ret;
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
		rc = sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode = WAL",
		    -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			return 0;
		if (db_err(rc) != ERR_TEMP || tries * 10 >= DB_BUSY_MS)
			return db_fail(db, rc, "cannot set WAL journal mode");
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
	if (sqlite3_db_readonly(db->sql, "main") == 1) {
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
db_open_flags(struct db *db, const char *path, int flags)
{
	int rc;

	memset(db, 0, sizeof(*db));
	db->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &db->sql, flags, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, "cannot open database");
	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_busy_timeout(db->sql, DB_BUSY_MS);
	if ((flags & SQLITE_OPEN_READWRITE) && (rc = writable(db)) < 0)
		return rc;
	/*
	 * 8 KiB pages (a new database only: later this is a no-op): a
	 * million-row import runs about 6% faster than with 4 KiB ones.
	 */
	if ((flags & SQLITE_OPEN_READWRITE) &&
	    (rc = db_exec(db, "PRAGMA page_size = 8192")) < 0)
		return rc;
	if ((flags & SQLITE_OPEN_READWRITE) && (rc = set_wal(db)) < 0)
		return rc;
	if ((rc = db_exec(db, "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = NORMAL")) < 0)
		return rc;
	return 0;
}

/* Open path and bring its schema up to date. */
static int
open_migrate(struct db *db, const char *path)
{
	int ret;

	ret = db_open_flags(db, path, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
	if (ret == 0)
		ret = migrate(db);
	if (ret < 0)
		db_close(db);
	return ret;
}

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
	if ((ret = open_migrate(&tmp, name)) == 0) {
		db_close(&tmp);		/* the last connection: no -wal left */
		if (link(name, path) < 0 && errno != EEXIST) {
			log_warn("%s: cannot create the database", path);
			ret = ERR_FAIL;
		}
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

int
db_open(struct db *db, const char *path)
{
	struct stat st;
	int ret;

	memset(db, 0, sizeof(*db));
	if (strcmp(path, DB_MEMORY) == 0)
		return open_migrate(db, path);
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
	return open_migrate(db, path);
}

int
db_open_readonly(struct db *db, const char *path)
{
	int ret, v;

	ret = db_open_flags(db, path, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX);
	if (ret == 0 && (v = db_version(db)) != DB_VERSION) {
		log_warnx("%s: database schema version %d, expected %d%s",
		    path, v, DB_VERSION, v < DB_VERSION ?
		    ": run 'dripmail check' to migrate it" : "");
		ret = ERR_FAIL;
	}
	if (ret < 0)
		db_close(db);
	return ret;
}

void
db_close(struct db *db)
{
	struct db_stmt *s, *next;

	if (db == NULL)
		return;
	for (s = db->stmts; s != NULL; s = next) {
		next = s->next;
		sqlite3_finalize(s->stmt);
		free(s);
	}
	db->stmts = NULL;
	if (db->sql)
		sqlite3_close(db->sql);
	db->sql = NULL;
	free(db->path);
	db->path = NULL;
}

void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}
