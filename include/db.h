/*
 * db.h - the SQL database under the store (store.h): one small driver
 * interface, two backends.  db_sqlite.c speaks to SQLite (a file path, or
 * DB_MEMORY), db_pg.c to PostgreSQL through libpq (a postgresql:// or
 * postgres:// connection URI).  db.c holds what both share: the choice of
 * backend, the statement cache, the migration loop.  Only the store
 * (store_sql.c), the send run (send_int.h) and db*.c include this file.
 *
 * Schema (version DB_VERSION; the migrations in db_sqlite.c and db_pg.c,
 * numbered the same, give the same tables and columns):
 *   subscribers  one row per address, its id never reused (tokens and
 *                Message-IDs are made from it): email (unique, case-
 *                insensitive), first_name, timezone, status (active,
 *                completed, unsubscribed, bounced, complained),
 *                signed_up_at, waitlist_at/course_at (list membership and
 *                when it began, NULL = not on it), lessons_sent,
 *                last_sent_at, next_lesson_at (indexed: when the next
 *                lesson is due, NULL = nothing due), status_at,
 *                status_reason, created_at, updated_at, paused_at,
 *                course_copy.
 *   deliveries   one row per (subscriber, message, copy), unique: state
 *                (due, sending, sent, retry, failed, suppressed), due_at,
 *                next_attempt_at, attempts, message_id, smtp_code,
 *                smtp_reply, sent_at (indexed), run_id.
 *   events, runs, suppressions, bounce_seen, signups: see the migrations.
 * db_tables[] (db.c) lists every table and column once more, for `db
 * copy` (db_copy.c): a migration that adds a table or a column adds it
 * there too; db_copy_check() and test_db_copy fail until it does.
 *
 * Portable SQL (every statement the store prepares runs on both):
 *   - parameters are numbered, ?1 ?2 ... (never a bare ?); db_pg.c
 *     rewrites them to $1 $2 ... outside string literals;
 *   - a parameter whose type the statement does not fix (alone in a
 *     select list, only in "?1 IS NULL") is written CAST(?1 AS BIGINT)
 *     or CAST(?1 AS TEXT);
 *   - new ids come back with RETURNING id, never last_insert_rowid();
 *   - "INSERT ... ON CONFLICT (...) DO NOTHING", never INSERT OR IGNORE;
 *   - no scalar max(a, b)/min(a, b) (CASE instead), no boolean
 *     arithmetic (sum(x = y)): count(*) FILTER (WHERE ...) or CASE;
 *   - times are Unix seconds in BIGINT/INTEGER columns, never SQL dates;
 *   - where the dialects must differ, the statement is chosen by
 *     db->kind, next to each other, and both are tested.
 *
 * A connection is used from one thread at a time (send runs keep the main
 * thread as the only database user).  Every statement is prepared; values
 * are bound, never pasted.
 */
#ifndef DB_H
#define DB_H

#include <stdint.h>
#include <time.h>

#define DB_VERSION	7
#define DB_BUSY_MS	5000
#define DB_MEMORY	":memory:"

/* db_step() results besides ERR_TEMP/ERR_FAIL (negative, dripmail.h). */
#define DB_ROW		1
#define DB_DONE		2

/*
 * A delivery still to be sent (due, sending or retry), as the partial
 * index deliveries_pending states it; a query uses that index only when
 * its WHERE has this same term.  T is the table's alias with its dot, or
 * "".  Migration 2 wrote it into databases: never edit it, add a
 * migration that replaces the index and this together.
 */
#define DB_PENDING(T)	"(" T "state = 'due' OR " T "state = 'sending' OR " \
			    T "state = 'retry')"

enum db_kind {
	DB_SQLITE,
	DB_PG,
};

/*
 * One table of the schema as `db copy` moves it: its columns (a comma-
 * separated list, as an INSERT names them), the key it reads it in order
 * of, in batches, and whether that key is an id a sequence hands out
 * (SQLite's sqlite_sequence for AUTOINCREMENT, PostgreSQL's identity).
 */
struct db_table {
	const char	*name;
	const char	*key;
	int		 identity;
	const char	*columns;
};

/* Every table of the schema at DB_VERSION, each after the tables its
   rows refer to (so inserting them in this order keeps the references). */
extern const struct db_table db_tables[];
extern const int db_ntables;

struct db_ops;			/* a backend's functions (db_int.h) */
struct db_stmt;			/* a prepared statement, cached */

struct db {
	enum db_kind		 kind;
	const struct db_ops	*ops;
	void			*conn;		/* sqlite3 *, PGconn * */
	char			*path;		/* for messages: the file, or
						   the URI without password */
	struct db_stmt		*stmts;		/* statement cache */
	int64_t			 changes;	/* rows the last statement
						   stepped to DB_DONE changed */
};

/* 1 when target names a PostgreSQL database (postgresql:// postgres://). */
int	 db_is_pg(const char *target);

/*
 * Open target (a SQLite path, DB_MEMORY, or a PostgreSQL URI) and bring
 * its schema up to date in one transaction (PostgreSQL: under an advisory
 * lock, so two hosts starting at once do not both migrate).  SQLite: a
 * missing file is created, mode 0600 (and so its -wal and -shm),
 * complete before it appears under its name; refused with ERR_FAIL: a
 * file of 0 bytes, a database this process cannot write, a newer schema
 * than DB_VERSION.  PostgreSQL: the password comes from the URI's
 * environment (PGPASSWORD, ~/.pgpass) or from password_file (NULL: none;
 * refused unless mode 0600 or stricter); the server down, unreachable or
 * refusing is ERR_TEMP with the reason logged.  Returns 0, ERR_TEMP
 * (busy, locked, server unreachable) or ERR_FAIL; logs.
 */
int	 db_open(struct db *, const char *target, const char *password_file);
/* Open without migrating (status, dry runs); same codes. */
int	 db_open_readonly(struct db *, const char *target,
	    const char *password_file);
void	 db_close(struct db *);

/* The schema version stored in the database, or -1. */
int	 db_version(struct db *);

/*
 * A cached prepared statement for sql, reset and with bindings cleared,
 * ready to bind.  sql must be a string literal (its address is the cache
 * key).  NULL on error (logged).  Do not free it.
 */
struct db_stmt *db_stmt(struct db *, const char *sql);

/* Run SQL without parameters or results (may hold several statements). */
int	 db_exec(struct db *, const char *sql);

/*
 * Begin (SQLite: BEGIN IMMEDIATE, the write lock now), commit, roll back
 * (nothing when no transaction is open).  0 or ERR_TEMP/ERR_FAIL, logged.
 */
int	 db_begin(struct db *);
int	 db_commit(struct db *);
int	 db_rollback(struct db *);

/* Bind parameter i (1-based).  Text is copied.  NULL text binds NULL. */
void	 db_bind_int64(struct db_stmt *, int i, int64_t v);
void	 db_bind_text(struct db_stmt *, int i, const char *s);
void	 db_bind_null(struct db_stmt *, int i);
/* Bind time t, or NULL when t is 0. */
void	 db_bind_time(struct db_stmt *, int i, time_t t);

/*
 * Step: DB_ROW (a row to read), DB_DONE (no more; db->changes set), or
 * ERR_TEMP/ERR_FAIL, logged with what and the statement, the statement
 * reset.  A lost PostgreSQL connection is ERR_TEMP.
 */
int	 db_step(struct db *, struct db_stmt *, const char *what);

/* Step a statement that returns no rows (NULL: db_stmt() failed), reset
   it: 0 or ERR_*. */
int	 db_done(struct db *, struct db_stmt *, const char *what);

/* Make the statement ready to run again (bindings kept). */
void	 db_reset(struct db_stmt *);

/* Column i (0-based) of the current row: 0 / NULL when the value is NULL. */
int64_t	 db_column_int64(struct db_stmt *, int i);
int	 db_column_null(struct db_stmt *, int i);
/* Borrowed until the next step or reset. */
const char *db_column_text(struct db_stmt *, int i);
/* An allocated copy, or NULL when NULL. */
char	*db_column_strdup(struct db_stmt *, int i);

/*
 * SQLite tuning, a plain transaction on PostgreSQL.  db_bulk_begin: trade
 * the WAL for a rollback journal and a bigger cache while a large import
 * runs, then BEGIN (PostgreSQL: BEGIN only, *tuned = 0); *tuned says what
 * db_bulk_end must undo (after the commit or rollback).  0 or ERR_*.
 * db_secure_delete: overwrite deleted content (SQLite's secure_delete;
 * PostgreSQL: 0, nothing to do).
 */
int	 db_bulk_begin(struct db *, int *tuned);
void	 db_bulk_end(struct db *, int tuned);
int	 db_secure_delete(struct db *);

/*
 * Added by the SQLite split: a statement whose SQL is built at run time
 * (the import's many-row insert), so it cannot be db_stmt()'s cache key.
 * Not cached: sql may be freed once db_prepare() returns.  NULL on error
 * (logged).  db_stmt_free() finalizes it (NULL is fine).
 */
struct db_stmt *db_prepare(struct db *, const char *sql);
void	 db_stmt_free(struct db_stmt *);

/*
 * Added by the SQLite split: db_bind_text() without the copy where the
 * backend can skip it (SQLite), for the hot paths (import, send: a copy
 * per row costs the import a fifth of its time).  s is borrowed: it must
 * stay as it is until the statement is stepped to DB_DONE or reset.
 * NULL binds NULL.
 */
void	 db_bind_text_static(struct db_stmt *, int i, const char *s);

#endif
