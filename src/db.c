/*
 * db.c - what both backends of db.h share: the choice of backend, the
 * statement cache, binding NULLs and times, logging a failed step, the
 * migration loop.  The rest goes through the backend's db_ops (db_int.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_int.h"
#include "dripmail.h"
#include "log.h"
#include "xmalloc.h"

/*
 * The schema's tables and columns, for `db copy` (see db.h): update with
 * each migration that adds a table or a column (db_copy_check() refuses
 * to copy a database whose schema has one this list lacks).
 */
const struct db_table db_tables[] = {
	{ "subscribers", "id", 1, "id, email, first_name, timezone, status,"
	    " signed_up_at, waitlist_at, course_at, lessons_sent,"
	    " last_sent_at, next_lesson_at, status_at, status_reason,"
	    " created_at, updated_at, paused_at, course_copy" },
	{ "runs", "id", 1, "id, started_at, finished_at, now_at, pid, dry_run,"
	    " sent, retried, failed, suppressed, outcome" },
	{ "deliveries", "id", 1, "id, subscriber_id, message, copy, state,"
	    " due_at, next_attempt_at, attempts, message_id, smtp_code,"
	    " smtp_reply, sent_at, run_id, created_at, updated_at" },
	{ "answers", "delivery_id", 0, "delivery_id, err, step, code, reply,"
	    " at" },
	{ "events", "id", 1, "id, at, subscriber_id, kind, message, source,"
	    " status, detail" },
	{ "signups", "id", 1, "id, email, first_name, timezone, ip, user_agent,"
	    " page, created_at, mailed_at, confirmed_at, subscriber_id" },
	{ "suppressions", "hash", 0, "hash, reason, created_at" },
	{ "bounce_seen", "key", 0, "key, at" },
};
const int db_ntables = (int)ARRAY_SIZE(db_tables);

int
db_is_pg(const char *target)
{
	return target != NULL && (strncmp(target, "postgresql://", 13) == 0 ||
	    strncmp(target, "postgres://", 11) == 0);
}

static int
migrate_txn(struct db *db)
{
	int v, ret;

	if ((ret = db_begin(db)) < 0)
		return ret;
	v = db_version(db);
	if (v < 0) {
		log_warnx("%s: cannot read schema version: %s", db->path,
		    db->ops->errmsg(db));
		ret = ERR_FAIL;
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
		if ((ret = db_exec(db, db->ops->migrations[v])) < 0)
			goto fail;
	}
	if ((ret = db->ops->migrate_finish(db, DB_VERSION)) < 0 ||
	    (ret = db_commit(db)) < 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return ret;
}

int
db_migrate(struct db *db)
{
	int ret, rc;

	if ((ret = db->ops->migrate_begin(db)) < 0)
		return ret;
	ret = migrate_txn(db);
	if ((rc = db->ops->migrate_end(db)) < 0 && ret == 0)
		ret = rc;
	return ret;
}

/* Open target with its backend; readonly: and check its version. */
static int
open_target(struct db *db, const char *target, const char *password_file,
    int readonly)
{
	int ret, v;

	memset(db, 0, sizeof(*db));
	if (target == NULL || *target == '\0') {
		log_warnx("no database is set: [database] path or url");
		return ERR_FAIL;
	}
	if (db_is_pg(target)) {
#ifdef HAVE_PG
		db->kind = DB_PG;
		db->ops = &db_pg_ops;
#else
		log_warnx("dripmail was built without PostgreSQL");
		return ERR_FAIL;
#endif
	} else {
		db->kind = DB_SQLITE;
		db->ops = &db_sqlite_ops;
	}
	ret = db->ops->open(db, target, password_file, readonly);
	if (ret == 0 && !readonly)
		ret = db_migrate(db);
	if (ret == 0 && readonly && (v = db_version(db)) != DB_VERSION) {
		log_warnx("%s: database schema version %d, expected %d%s",
		    db->path, v, DB_VERSION, v < DB_VERSION ?
		    ": run 'dripmail check' to migrate it" : "");
		ret = ERR_FAIL;
	}
	if (ret < 0)
		db_close(db);
	return ret;
}

int
db_open(struct db *db, const char *target, const char *password_file)
{
	return open_target(db, target, password_file, 0);
}

int
db_open_readonly(struct db *db, const char *target,
    const char *password_file)
{
	return open_target(db, target, password_file, 1);
}

void
db_close(struct db *db)
{
	struct db_stmt *s, *next;

	if (db == NULL || db->ops == NULL)
		return;
	for (s = db->stmts; s != NULL; s = next) {
		next = s->next;
		db->ops->finalize(s);
		free(s);
	}
	db->stmts = NULL;
	db->ops->close(db);
	free(db->path);
	db->path = NULL;
}

int
db_version(struct db *db)
{
	return db->ops->version(db);
}

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	struct db_stmt *s = xcalloc(1, sizeof(*s));

	s->db = db;
	if (db->ops->prepare(db, s, sql) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void
db_stmt_free(struct db_stmt *s)
{
	if (s == NULL)
		return;
	s->db->ops->finalize(s);
	free(s);
}

struct db_stmt *
db_stmt(struct db *db, const char *sql)
{
	struct db_stmt *s;

	for (s = db->stmts; s != NULL; s = s->next)
		if (s->key == sql) {
			db->ops->reset(s, 1);
			return s;
		}
	if ((s = db_prepare(db, sql)) == NULL)
		return NULL;
	s->key = sql;
	s->next = db->stmts;
	db->stmts = s;
	return s;
}

int
db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

int
db_begin(struct db *db)
{
	return db->ops->begin(db);
}

int
db_commit(struct db *db)
{
	return db->ops->commit(db);
}

int
db_rollback(struct db *db)
{
	return db->ops->rollback(db);
}

void
db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	st->db->ops->bind_int64(st, i, v);
}

void
db_bind_text(struct db_stmt *st, int i, const char *s)
{
	if (s != NULL)
		st->db->ops->bind_text(st, i, s);
	else
		st->db->ops->bind_null(st, i);
}

void
db_bind_text_static(struct db_stmt *st, int i, const char *s)
{
	const struct db_ops *ops = st->db->ops;

	if (s == NULL)
		ops->bind_null(st, i);
	else if (ops->bind_text_static != NULL)
		ops->bind_text_static(st, i, s);
	else
		ops->bind_text(st, i, s);
}

void
db_bind_null(struct db_stmt *st, int i)
{
	st->db->ops->bind_null(st, i);
}

void
db_bind_time(struct db_stmt *st, int i, time_t t)
{
	if (t)
		st->db->ops->bind_int64(st, i, (int64_t)t);
	else
		st->db->ops->bind_null(st, i);
}

int
db_step(struct db *db, struct db_stmt *st, const char *what)
{
	int rc = db->ops->step(st);

	if (rc == DB_ROW || rc == DB_DONE)
		return rc;
	log_warnx("%s: %s: %s", db->path ? db->path : "database", what,
	    db->ops->errmsg(db));
	db->ops->reset(st, 0);
	return rc < 0 ? rc : ERR_FAIL;
}

int
db_done(struct db *db, struct db_stmt *st, const char *what)
{
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	rc = db_step(db, st, what);
	db->ops->reset(st, 0);
	return rc == DB_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}

void
db_reset(struct db_stmt *st)
{
	st->db->ops->reset(st, 0);
}

int64_t
db_column_int64(struct db_stmt *st, int i)
{
	return st->db->ops->column_int64(st, i);
}

int
db_column_null(struct db_stmt *st, int i)
{
	return st->db->ops->column_null(st, i);
}

const char *
db_column_text(struct db_stmt *st, int i)
{
	return st->db->ops->column_text(st, i);
}

char *
db_column_strdup(struct db_stmt *st, int i)
{
	const char *s = st->db->ops->column_text(st, i);

	return s ? xstrdup(s) : NULL;
}

int
db_bulk_begin(struct db *db, int *tuned)
{
	*tuned = 0;
	return db->ops->bulk_begin(db, tuned);
}

void
db_bulk_end(struct db *db, int tuned)
{
	db->ops->bulk_end(db, tuned);
}

int
db_secure_delete(struct db *db)
{
	return db->ops->secure_delete(db);
}
