/*
 * db_int.h - private to db.c and its backends (db_sqlite.c, db_pg.c): the
 * functions a backend gives db.c, which does the rest of db.h (the choice
 * of backend, the statement cache, NULL and time binding, logging a failed
 * step, the migration loop, the read-only version check).
 *
 * Errors: every op that returns int returns 0 (or what it says), ERR_TEMP
 * (busy, locked, a lost or unreachable server: a later run may succeed) or
 * ERR_FAIL.  Ops that log say so; step does not (db.c logs with errmsg).
 */
#ifndef DB_INT_H
#define DB_INT_H

#include <stdint.h>

#include "db.h"

/* A prepared statement: db.c owns the struct, the backend its handle. */
struct db_stmt {
	const char	*key;		/* db_stmt()'s SQL literal; NULL when
					   made by db_prepare() */
	struct db	*db;
	void		*handle;	/* the backend's: sqlite3_stmt *, ... */
	struct db_stmt	*next;		/* the cache, db->stmts */
};

struct db_ops {
	/*
	 * Open target into db, which db.c has zeroed and given kind and
	 * ops: set db->conn and db->path (allocated; for a URI, without its
	 * password).  readonly: open without writing anything; else the
	 * backend may create the database (SQLite: the file, migrated,
	 * through db_migrate()) and db.c then calls db_migrate().  On
	 * failure db.c calls db_close(), so close must take a db half open.
	 * Logs.  password_file: see db.h (SQLite ignores it).
	 */
	int	 (*open)(struct db *, const char *target,
		    const char *password_file, int readonly);
	/* Close db->conn (NULL: nothing to do); db.c finalized the
	   statements before and frees db->path after. */
	void	 (*close)(struct db *);
	/* The schema version the database stores, 0 for a new one, -1 on
	   error. */
	int	 (*version)(struct db *);

	/*
	 * Prepare sql (numbered parameters, see db.h) into st->handle; st->db
	 * is set.  sql may be freed once this returns.  Logs.
	 */
	int	 (*prepare)(struct db *, struct db_stmt *, const char *sql);
	/* Free st->handle (NULL: nothing to do). */
	void	 (*finalize)(struct db_stmt *);
	/* Make st ready to run again; clear: and bind every parameter to
	   NULL.  Never fails. */
	void	 (*reset)(struct db_stmt *, int clear);
	/* Bind parameter i (1-based); text is never NULL (db.c binds NULL)
	   and must be copied or used before the bind returns. */
	void	 (*bind_int64)(struct db_stmt *, int i, int64_t);
	void	 (*bind_text)(struct db_stmt *, int i, const char *);
	void	 (*bind_null)(struct db_stmt *, int i);
	/*
	 * Run st (the first call after a reset) or move to its next row:
	 * DB_ROW, DB_DONE with st->db->changes set to the rows an INSERT,
	 * UPDATE or DELETE changed (RETURNING rows are counted by the
	 * caller), or ERR_TEMP/ERR_FAIL, not logged: db.c logs errmsg()
	 * and resets st.
	 */
	int	 (*step)(struct db_stmt *);
	/* The last error's text (never NULL), for the log. */
	const char *(*errmsg)(struct db *);
	/* Column i (0-based) of the current row: 0, 1 when NULL, NULL when
	   NULL (text borrowed until the next step or reset). */
	int64_t	 (*column_int64)(struct db_stmt *, int i);
	int	 (*column_null)(struct db_stmt *, int i);
	const char *(*column_text)(struct db_stmt *, int i);

	/* Run sql (no parameters, no rows; maybe several statements).
	   Logs. */
	int	 (*exec)(struct db *, const char *sql);
	/* db.h's db_begin (take the write lock now), db_commit, db_rollback
	   (0 when no transaction is open).  Log. */
	int	 (*begin)(struct db *);
	int	 (*commit)(struct db *);
	int	 (*rollback)(struct db *);
	/* db.h's db_bulk_begin (ends with begin), db_bulk_end and
	   db_secure_delete.  Log. */
	int	 (*bulk_begin)(struct db *, int *tuned);
	void	 (*bulk_end)(struct db *, int tuned);
	int	 (*secure_delete)(struct db *);

	/*
	 * Migrations: migrations[N - 1] takes the schema from version N - 1
	 * to N (DB_VERSION of them; run by exec, several statements each).
	 * db_migrate() calls migrate_begin (before the transaction: SQLite
	 * turns foreign keys off, PostgreSQL takes its advisory lock), then
	 * begin, version, the migrations due, migrate_finish (in the
	 * transaction: check the result, store version v), commit, and
	 * migrate_end (always, when migrate_begin succeeded: undo
	 * migrate_begin).  Each logs.
	 */
	const char *const *migrations;
	int	 (*migrate_begin)(struct db *);
	int	 (*migrate_finish)(struct db *, int v);
	int	 (*migrate_end)(struct db *);

	/*
	 * Added after the rest: db_bind_text_static(), bind s without a
	 * copy (s stays valid until the statement is stepped to DB_DONE or
	 * reset).  NULL: db.c calls bind_text, which copies.
	 */
	void	 (*bind_text_static)(struct db_stmt *, int i, const char *);
};

/*
 * Migration 7, the same in both dialects but for the integer type: the
 * server's answer to one message, until the run folds it into the
 * delivery (plan.c).
 */
#define ANSWERS_TABLE(INT)						\
	"CREATE TABLE answers ("					\
	" delivery_id" INT " PRIMARY KEY"				\
	"  REFERENCES deliveries(id) ON DELETE CASCADE,"		\
	" err" INT " NOT NULL,"						\
	" step" INT " NOT NULL,"					\
	" code" INT " NOT NULL,"					\
	" reply TEXT NOT NULL,"						\
	" at" INT " NOT NULL);"

/* Bring db's schema up to DB_VERSION (see struct db_ops).  0 or ERR_*. */
int	 db_migrate(struct db *);

extern const struct db_ops db_sqlite_ops;
#ifdef HAVE_PG
extern const struct db_ops db_pg_ops;
#endif

#endif
