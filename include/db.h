/*
 * db.h - the SQLite database: connection, migrations, transactions and a
 * cache of prepared statements.
 *
 * Schema (version DB_VERSION; see the migrations in db.c for the SQL):
 *   subscribers  one row per address, its id never reused (AUTOINCREMENT:
 *                tokens and Message-IDs are made from it): email (unique,
 *                NOCASE), first_name,
 *                timezone, status (active, completed, unsubscribed,
 *                bounced, complained), signed_up_at, waitlist_at/course_at
 *                (list membership and when it began, NULL = not on it),
 *                lessons_sent, last_sent_at, next_lesson_at (indexed: when
 *                the next lesson is due, NULL = nothing due), status_at,
 *                status_reason, created_at, updated_at, paused_at (set
 *                while `subscribers pause` holds the lessons back),
 *                course_copy (the copy the course's deliveries get: 0,
 *                then a new one after `subscribers restart` and
 *                `resubscribe`).
 *   deliveries   one row per (subscriber, message, copy), unique: copy
 *                is the subscriber's course_copy for the course's own
 *                deliveries and a number no course round uses for a
 *                `subscribers resend` (so copy <> course_copy marks a
 *                resend, or a row of a copy a restart left behind);
 *                state (due, sending, sent, retry, failed, suppressed;
 *                a pending row with next_attempt_at NULL is held while
 *                its subscriber is paused), due_at,
 *                next_attempt_at, attempts, message_id, smtp_code,
 *                smtp_reply, sent_at (indexed), run_id.
 *   events       an append-only log: at, subscriber_id, kind (indexed
 *                with at), message, source, status, detail (the
 *                evidence for a change).
 *   runs         one row per `run`: started/finished, counts, outcome.
 *   suppressions sha256 hex of a removed address, so imports skip it.
 *   bounce_seen  keys of bounce messages already applied.
 *   signups      web form signups (signup.h): email, first_name, timezone,
 *                ip, user_agent, page (the form's Referer/Origin),
 *                created_at, mailed_at (the confirmation mail went, else
 *                NULL), confirmed_at, subscriber_id.  Purged after
 *                SIGNUP_EXPIRY.
 *
 * A connection is opened without SQLite's mutexes: use one from one thread
 * at a time (send runs keep the main thread as the only database user).
 * All times are Unix seconds (UTC).  Every statement is prepared; values
 * are bound, never pasted.
 */
#ifndef DB_H
#define DB_H

#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#define DB_VERSION	6
#define DB_BUSY_MS	5000
#define DB_MEMORY	":memory:"

/*
 * A delivery still to be sent (due, sending or retry), as the partial
 * index deliveries_pending states it; a query uses that index only when
 * its WHERE has this same term.  T is the table's alias with its dot, or
 * "".  Migration 2 wrote it into databases: never edit it, add a
 * migration that replaces the index and this together.
 */
#define DB_PENDING(T)	"(" T "state = 'due' OR " T "state = 'sending' OR " \
			    T "state = 'retry')"

struct db {
	sqlite3	*sql;
	char	*path;
	struct db_stmt *stmts;		/* statement cache, see db_stmt() */
};

/*
 * Open path, set WAL, busy_timeout, foreign_keys, and migrate an older
 * schema in one transaction.  A missing file is created, mode 0600 (and
 * so its -wal and -shm), complete before it appears under its name.
 * Refused with ERR_FAIL: a file of 0 bytes (a damaged copy, never a new
 * database), a database this process cannot write (read-only file or
 * folder), a newer schema than DB_VERSION.  Returns 0, ERR_TEMP (busy or
 * locked), or ERR_FAIL; logs.  DB_MEMORY opens a new database in memory,
 * migrated, gone at db_close() (unit tests).
 */
int	 db_open(struct db *, const char *path);
/* Open read-only without migrating (for status and dry runs); same codes. */
int	 db_open_readonly(struct db *, const char *path);
void	 db_close(struct db *);

/* The schema version stored in the file (PRAGMA user_version). */
int	 db_version(struct db *);

/*
 * A cached prepared statement for sql, reset and with bindings cleared,
 * ready to bind.  sql must be a string literal (its address is the cache
 * key).  NULL on error (logged).  Do not finalize it.
 */
sqlite3_stmt *db_stmt(struct db *, const char *sql);

/* Run one statement without results (prepared, nothing bound).  0/ERR_*. */
int	 db_exec(struct db *, const char *sql);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  0 or ERR_TEMP/ERR_FAIL, logged. */
int	 db_begin(struct db *);
int	 db_commit(struct db *);
int	 db_rollback(struct db *);

/*
 * Step a statement: SQLITE_ROW and SQLITE_DONE are returned as they are; any
 * other result is logged with the statement's text and mapped to ERR_TEMP
 * (busy, locked) or ERR_FAIL.  what names the operation for the log.
 */
int	 db_step(struct db *, sqlite3_stmt *, const char *what);

/* Bind s (copied) to parameter i, or NULL when s is NULL. */
void	 db_bind_text(sqlite3_stmt *, int i, const char *s);

/*
 * Step a statement that returns no rows (NULL: one db_stmt() could not
 * prepare) and reset it: 0, or ERR_* as db_step() maps it.
 */
int	 db_done(struct db *, sqlite3_stmt *, const char *what);

/* Bind time t to parameter i, or NULL when t is 0. */
void	 db_bind_time(sqlite3_stmt *, int i, time_t t);

/* Copy of column i as a string, or NULL when it is NULL (allocated). */
char	*db_column_strdup(sqlite3_stmt *, int i);

/* Map a SQLite result code to ERR_TEMP or ERR_FAIL. */
int	 db_err(int rc);

#endif
