/*
 * store_sql.c - the store (store.h) in SQL: every store operation's
 * statement, prepared once through the db.h statement cache, written once
 * for both backends (db.h's portable SQL).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "dripmail.h"
#include "log.h"
#include "schedule.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

/*
 * What people see as lessons_sent (show, export): the lessons delivered
 * since the course (re)started, lessons_sent less those that failed for
 * good (subscriber.h).
 */
#define SUB_LESSONS_SENT_SQL	"(lessons_sent - (SELECT count(*)"	\
	" FROM events e WHERE e.subscriber_id = subscribers.id"		\
	" AND e.kind = '" SUB_EVENT_LESSON_FAILED "'"			\
	" AND e.at >= subscribers.course_at))"

/*
 * Who the run plans mail for (enrolment, lessons, notifications): an
 * active subscriber that `subscribers pause` does not hold.  T is the
 * table's alias with its dot, or "".
 */
#define SUB_MAILABLE_SQL(T)	"(" T "status = 'active' AND "	\
	T "paused_at IS NULL)"

/* Subscribers, events, suppressions, signups */

static const char *const status_names[STORE_STATUS_N] = {
	[STORE_ACTIVE] = "active", [STORE_COMPLETED] = "completed",
	[STORE_UNSUBSCRIBED] = "unsubscribed", [STORE_BOUNCED] = "bounced",
	[STORE_COMPLAINED] = "complained",
};

const char *
store_status_name(enum store_status s)
{
	return (unsigned)s < STORE_STATUS_N ? status_names[s] : "";
}

/* The index of word in names[n], or -1 for none. */
static int
word_parse(const char *const *names, int n, const char *word)
{
	for (int i = 0; word != NULL && i < n; i++)
		if (strcmp(word, names[i]) == 0)
			return i;
	return -1;
}

int
store_status_parse(const char *word)
{
	return word_parse(status_names, STORE_STATUS_N, word);
}

static time_t
col_time(struct db_stmt *st, int i)
{
	return (time_t)db_column_int64(st, i);
}

/* Column i as text, "" when NULL: borrowed until the next step. */
static const char *
col_text(struct db_stmt *st, int i)
{
	const char *s = db_column_text(st, i);

	return s ? s : "";
}

void
store_sub_release(struct store_sub *s)
{
	if (s == NULL)
		return;
	free(s->email);
	free(s->first_name);
	free(s->timezone);
	free(s->status_reason);
	memset(s, 0, sizeof(*s));
}

/* The columns sub_read() reads, in its order. */
#define SUB_COLUMNS \
	"SELECT id, email, first_name, timezone, status, status_at," \
	" status_reason, paused_at, signed_up_at, waitlist_at, course_at," \
	" " SUB_LESSONS_SENT_SQL ", last_sent_at, next_lesson_at," \
	" lessons_sent, course_copy FROM subscribers"

static void
sub_read(struct db_stmt *st, struct store_sub *s)
{
	int status = store_status_parse(col_text(st, 4));

	s->id = db_column_int64(st, 0);
	s->email = db_column_strdup(st, 1);
	s->first_name = db_column_strdup(st, 2);
	s->timezone = db_column_strdup(st, 3);
	s->status = status < 0 ? STORE_ACTIVE : (enum store_status)status;
	s->status_at = col_time(st, 5);
	s->status_reason = db_column_strdup(st, 6);
	s->paused_at = col_time(st, 7);
	s->signed_up_at = col_time(st, 8);
	s->waitlist_at = col_time(st, 9);
	s->course_at = col_time(st, 10);
	s->lessons_sent = (int)db_column_int64(st, 11);
	s->last_sent_at = col_time(st, 12);
	s->next_lesson_at = col_time(st, 13);
	s->progress = (int)db_column_int64(st, 14);
	s->course_copy = (int)db_column_int64(st, 15);
}

int
store_sub_each(struct db *db, const struct store_sub_filter *f,
    int (*fn)(void *, const struct store_sub *), void *arg)
{
	struct store_sub s;
	struct db_stmt *st;
	int rc;

	st = db_stmt(db, SUB_COLUMNS
	    " WHERE (CAST(?1 AS TEXT) IS NULL OR status = ?1)"
	    " AND (?2 = 0 OR (status = 'active' AND paused_at IS NOT NULL))"
	    " AND (?3 = 0 OR status IN ('unsubscribed', 'bounced',"
	    " 'complained'))"
	    " AND (CAST(?4 AS BIGINT) IS NULL"
	    " OR (?4 = 0 AND waitlist_at IS NOT NULL)"
	    " OR (?4 = 1 AND course_at IS NOT NULL)) ORDER BY id");
	if (st == NULL)
		return ERR_FAIL;
	if (f->status >= 0)
		db_bind_text(st, 1, store_status_name(f->status));
	db_bind_int64(st, 2, f->paused);
	db_bind_int64(st, 3, f->stopped);
	if (f->list >= 0)
		db_bind_int64(st, 4, f->list == LIST_COURSE);
	while ((rc = db_step(db, st, "list subscribers")) == DB_ROW) {
		memset(&s, 0, sizeof(s));
		sub_read(st, &s);
		rc = fn(arg, &s);
		store_sub_release(&s);
		if (rc < 0)
			break;
	}
	db_reset(st);
	return rc < 0 ? rc : 0;
}

int
store_sub_get(struct db *db, const char *email, struct store_sub *s)
{
	struct db_stmt *st;
	int rc;

	memset(s, 0, sizeof(*s));
	st = db_stmt(db, SUB_COLUMNS " WHERE email = ?1");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, email);
	rc = db_step(db, st, "show subscriber");
	if (rc == DB_ROW)
		sub_read(st, s);
	db_reset(st);
	return rc < 0 ? rc : rc == DB_ROW;
}

int64_t
store_sub_id(struct db *db, const char *email)
{
	struct db_stmt *st;
	int64_t id = 0;
	int rc;

	st = db_stmt(db, "SELECT id FROM subscribers WHERE email = ?1");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, email);
	rc = db_step(db, st, "find subscriber");
	if (rc == DB_ROW)
		id = db_column_int64(st, 0);
	db_reset(st);
	return rc < 0 ? rc : id;
}

int
store_sub_exists(struct db *db, int64_t id)
{
	struct db_stmt *st;
	int rc;

	st = db_stmt(db, "SELECT id FROM subscribers WHERE id = ?1");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, id);
	rc = db_step(db, st, "find subscriber");
	db_reset(st);
	return rc < 0 ? rc : rc == DB_ROW;
}

int
store_sub_peek(struct db *db, const char *email, int64_t id,
    struct store_sub *s)
{
	struct db_stmt *st;
	int rc, status;

	memset(s, 0, sizeof(*s));
	if (email != NULL) {
		st = db_stmt(db, "SELECT id, timezone, status, waitlist_at,"
		    " course_at FROM subscribers WHERE email = ?1");
		/* borrowed: email outlives the step (import's hot path) */
		if (st != NULL)
			db_bind_text_static(st, 1, email);
	} else {
		st = db_stmt(db, "SELECT id, timezone, status, waitlist_at,"
		    " course_at FROM subscribers WHERE id = ?1");
		if (st != NULL)
			db_bind_int64(st, 1, id);
	}
	if (st == NULL)
		return ERR_FAIL;
	rc = db_step(db, st, "find subscriber");
	if (rc == DB_ROW) {
		s->id = db_column_int64(st, 0);
		s->timezone = db_column_strdup(st, 1);
		status = store_status_parse(col_text(st, 2));
		s->status = status < 0 ? STORE_ACTIVE :
		    (enum store_status)status;
		s->waitlist_at = col_time(st, 3);
		s->course_at = col_time(st, 4);
	}
	db_reset(st);
	return rc < 0 ? rc : rc == DB_ROW;
}

/* The insert, one row per VALUES group: see store_batch_new(). */
#define SUB_INSERT	"INSERT INTO subscribers (email, first_name," \
	" timezone, signed_up_at, waitlist_at, course_at, next_lesson_at," \
	" created_at, updated_at) VALUES "
#define SUB_INSERT_COLS	9
#define SUB_INSERT_END	" ON CONFLICT (email) DO NOTHING"
/*
 * The ids added: PostgreSQL returns them; on SQLite RETURNING costs the
 * import a fifth of its time (every row goes through a temporary table),
 * so the subscriber insert asks last_insert_rowid() instead (sub_added()).
 */
#define SUB_INSERT_RET	" RETURNING id"

/* Bind s, or NULL when it is NULL or empty. */
static void
bind_opt(struct db_stmt *st, int i, const char *s)
{
	if (s != NULL && *s != '\0')
		db_bind_text_static(st, i, s);
	else
		db_bind_null(st, i);
}

/* Bind s as the row'th VALUES group; strings borrowed (the import's). */
static void
insert_bind(struct db_stmt *st, int row, const struct sub_in *s,
    const struct sub_upsert *u, time_t first_lesson_at)
{
	int i = row * SUB_INSERT_COLS;

	db_bind_text_static(st, i + 1, s->email);
	bind_opt(st, i + 2, s->first_name);
	bind_opt(st, i + 3, s->timezone);
	db_bind_int64(st, i + 4, s->signed_up_at);
	if (u->list == LIST_COURSE) {
		db_bind_null(st, i + 5);
		db_bind_int64(st, i + 6, u->now);
		db_bind_int64(st, i + 7, first_lesson_at);
	} else {
		db_bind_int64(st, i + 5, u->now);
		db_bind_null(st, i + 6);
		db_bind_null(st, i + 7);
	}
	db_bind_int64(st, i + 8, u->now);
	db_bind_int64(st, i + 9, u->now);
}

/* One integer from a query without parameters, or ERR_*. */
static int64_t
query_int(struct db *db, const char *sql)
{
	struct db_stmt *st = db_stmt(db, sql);
	int64_t v;
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	rc = db_step(db, st, "query");
	v = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? rc : v;
}

/*
 * Step an insert ... RETURNING id and reset it: rows added (and the
 * largest id, the last one's, in *last_id), or ERR_*.
 */
static int
insert_step(struct db *db, struct db_stmt *st, const char *what,
    int64_t *last_id)
{
	int64_t id;
	int rc, n = 0;

	while ((rc = db_step(db, st, what)) == DB_ROW) {
		id = db_column_int64(st, 0);
		if (n++ == 0 || id > *last_id)
			*last_id = id;
	}
	db_reset(st);
	if (rc != DB_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	return n;
}

/*
 * Step a subscriber insert, SUB_INSERT_RET on PostgreSQL only, and reset
 * it: rows added (and the last one's id in *last_id), or ERR_*.
 */
static int
sub_added(struct db *db, struct db_stmt *st, const char *what,
    int64_t *last_id)
{
	int64_t id;
	int n;

	if (db->kind != DB_SQLITE)
		return insert_step(db, st, what, last_id);
	if ((n = db_done(db, st, what)) < 0)
		return n;
	if ((n = (int)db->changes) == 0)
		return 0;
	if ((id = query_int(db, "SELECT last_insert_rowid()")) < 0)
		return (int)id;
	*last_id = id;
	return n;
}

int
store_sub_insert(struct db *db, const struct sub_in *s,
    const struct sub_upsert *u, time_t first_lesson_at, int64_t *id)
{
	struct db_stmt *st;

	st = db->kind == DB_SQLITE ?
	    db_stmt(db, SUB_INSERT "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    SUB_INSERT_END) :
	    db_stmt(db, SUB_INSERT "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    SUB_INSERT_END SUB_INSERT_RET);
	if (st == NULL)
		return ERR_FAIL;
	insert_bind(st, 0, s, u, first_lesson_at);
	return sub_added(db, st, "add subscriber", id);
}

struct store_batch {
	struct db	*db;
	struct db_stmt	*st;
	int		 n;
};

struct store_batch *
store_batch_new(struct db *db, int n)
{
	struct store_batch *b;
	struct buf sql;

	buf_init(&sql, BUF_NOLIMIT);
	buf_addstr(&sql, SUB_INSERT);
	for (int i = 0; i < n; i++) {
		buf_addstr(&sql, i > 0 ? ", (" : "(");
		for (int c = 1; c <= SUB_INSERT_COLS; c++)
			buf_printf(&sql, c > 1 ? ", ?%d" : "?%d",
			    i * SUB_INSERT_COLS + c);
		buf_addch(&sql, ')');
	}
	buf_addstr(&sql, SUB_INSERT_END);
	if (db->kind != DB_SQLITE)
		buf_addstr(&sql, SUB_INSERT_RET);
	b = xcalloc(1, sizeof(*b));
	b->db = db;
	b->n = n;
	if ((b->st = db_prepare(db, sql.data)) == NULL) {
		free(b);
		b = NULL;
	}
	buf_release(&sql);
	return b;
}

void
store_batch_free(struct store_batch *b)
{
	if (b == NULL)
		return;
	db_stmt_free(b->st);
	free(b);
}

int
store_batch_add(struct store_batch *b, const struct sub_in *s,
    const time_t *first_lesson_at, const struct sub_upsert *u,
    int64_t *last_id)
{
	for (int i = 0; i < b->n; i++)
		insert_bind(b->st, i, &s[i], u, first_lesson_at[i]);
	return sub_added(b->db, b->st, "add subscribers", last_id);
}

/* Step an UPDATE or DELETE and reset it: 1 when it changed a row, 0, ERR_*. */
static int
change_step(struct db *db, struct db_stmt *st, const char *what)
{
	int rc, changed;

	if (st == NULL)
		return ERR_FAIL;
	rc = db_step(db, st, what);
	changed = rc == DB_DONE && db->changes > 0;
	db_reset(st);
	if (rc != DB_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	return changed;
}

int
store_sub_merge(struct db *db, int64_t id, const char *first_name,
    const char *timezone, int join_waitlist, time_t now)
{
	struct db_stmt *st;

	st = db_stmt(db, "UPDATE subscribers SET"
	    " first_name = coalesce(nullif(first_name, ''), ?1),"
	    " timezone = coalesce(timezone, ?2),"
	    " waitlist_at = CASE WHEN ?3 <> 0 THEN ?4 ELSE waitlist_at END,"
	    " updated_at = ?4 WHERE id = ?5 AND"
	    " ((CAST(?1 AS TEXT) IS NOT NULL AND coalesce(first_name, '') = '')"
	    " OR (CAST(?2 AS TEXT) IS NOT NULL AND timezone IS NULL)"
	    " OR ?3 <> 0)");
	if (st == NULL)
		return ERR_FAIL;
	bind_opt(st, 1, first_name);
	bind_opt(st, 2, timezone);
	db_bind_int64(st, 3, join_waitlist);
	db_bind_int64(st, 4, now);
	db_bind_int64(st, 5, id);
	return change_step(db, st, "update subscriber");
}

int
store_sub_enrol(struct db *db, int64_t id, time_t first_lesson_at,
    time_t now)
{
	struct db_stmt *st;

	st = db_stmt(db, "UPDATE subscribers SET course_at = ?1,"
	    " next_lesson_at = ?2, updated_at = ?3"
	    " WHERE id = ?4 AND course_at IS NULL AND status = 'active'");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, first_lesson_at);
	db_bind_int64(st, 3, now);
	db_bind_int64(st, 4, id);
	return change_step(db, st, "enrol subscriber");
}

int
store_sub_complete(struct db *db, int64_t id, time_t now)
{
	struct db_stmt *st;

	st = db_stmt(db, "UPDATE subscribers SET status = 'completed',"
	    " status_at = ?1, status_reason = 'import', next_lesson_at = NULL,"
	    " updated_at = ?1 WHERE id = ?2");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	return db_done(db, st, "complete subscriber");
}

int
store_sub_delete(struct db *db, const char *email)
{
	struct db_stmt *st;

	st = db_stmt(db, "DELETE FROM subscribers WHERE email = ?1");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, email);
	return change_step(db, st, "remove subscriber");
}

int64_t
store_sub_max_id(struct db *db)
{
	return query_int(db, "SELECT coalesce(max(id), 0) FROM subscribers");
}

int
store_suppression_any(struct db *db)
{
	return (int)query_int(db, "SELECT CASE WHEN EXISTS (SELECT 1"
	    " FROM suppressions) THEN 1 ELSE 0 END");
}

int
store_suppression_has(struct db *db, const char *hash)
{
	struct db_stmt *st;
	int rc;

	st = db_stmt(db, "SELECT 1 FROM suppressions WHERE hash = ?1");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, hash);
	rc = db_step(db, st, "find suppression");
	db_reset(st);
	return rc < 0 ? rc : rc == DB_ROW;
}

int
store_suppression_add(struct db *db, const char *hash, time_t at)
{
	struct db_stmt *st;

	st = db_stmt(db, "INSERT INTO suppressions (hash, reason, created_at)"
	    " VALUES (?1, 'removed', ?2) ON CONFLICT (hash) DO NOTHING");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, hash);
	db_bind_int64(st, 2, at);
	return change_step(db, st, "add suppression");
}

int
store_bulk_begin(struct db *db, int *tuned)
{
	return db_bulk_begin(db, tuned);
}

void
store_bulk_end(struct db *db, int tuned)
{
	db_bulk_end(db, tuned);
}

int
store_sub_pause(struct db *db, int64_t id, time_t now)
{
	struct db_stmt *st;
	int ret;

	st = db_stmt(db, "UPDATE subscribers SET paused_at = ?1,"
	    " next_lesson_at = NULL, updated_at = ?1 WHERE id = ?2");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	if ((ret = db_done(db, st, "pause subscriber")) < 0)
		return ret;
	/* Held: no run fetches a row whose next attempt is NULL. */
	st = db_stmt(db, "UPDATE deliveries SET next_attempt_at = NULL,"
	    " updated_at = ?1 WHERE subscriber_id = ?2"
	    " AND (state = 'due' OR state = 'retry')");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	return db_done(db, st, "hold deliveries");
}

int
store_sub_release_held(struct db *db, int64_t id, time_t due, time_t now)
{
	struct db_stmt *st;

	st = db_stmt(db, "UPDATE deliveries SET next_attempt_at = ?1,"
	    " due_at = ?2, updated_at = ?2 WHERE subscriber_id = ?3"
	    " AND (state = 'due' OR state = 'retry')"
	    " AND next_attempt_at IS NULL");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, due);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, id);
	return db_done(db, st, "release deliveries");
}

int
store_sub_resume(struct db *db, int64_t id, time_t next, time_t now)
{
	struct db_stmt *st;

	st = db_stmt(db, "UPDATE subscribers SET paused_at = NULL,"
	    " next_lesson_at = ?1, updated_at = ?2 WHERE id = ?3");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_time(st, 1, next);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, id);
	return db_done(db, st, "resume subscriber");
}

int
store_next_copy(struct db *db, int64_t id, int course_copy)
{
	struct db_stmt *st;
	int rc, copy = 0;

	st = db_stmt(db, "SELECT coalesce(max(copy), 0) FROM deliveries"
	    " WHERE subscriber_id = ?1");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, id);
	rc = db_step(db, st, "next copy");
	if (rc == DB_ROW)
		copy = (int)db_column_int64(st, 0);
	db_reset(st);
	if (copy < course_copy)
		copy = course_copy;
	return rc == DB_ROW ? copy + 1 : rc < 0 ? rc : ERR_FAIL;
}

int
store_delivery_add(struct db *db, int64_t subscriber, const char *message,
    int copy, time_t at, time_t now)
{
	struct db_stmt *st;

	st = db_stmt(db, "INSERT INTO deliveries (subscriber_id, message,"
	    " copy, state, due_at, next_attempt_at, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, 'due', ?4, ?5, ?4, ?4)");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, subscriber);
	db_bind_text(st, 2, message);
	db_bind_int64(st, 3, copy);
	db_bind_int64(st, 4, now);
	db_bind_time(st, 5, at);
	return db_done(db, st, "add resend");
}

int
store_round_drop(struct db *db, int64_t subscriber, int copy,
    const char *reason, time_t now)
{
	struct db_stmt *st;

	st = db_stmt(db, "UPDATE deliveries SET state = 'failed',"
	    " next_attempt_at = NULL, smtp_reply = ?1, updated_at = ?2"
	    " WHERE subscriber_id = ?3 AND copy = ?4"
	    " AND (state = 'due' OR state = 'retry')");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, reason);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, subscriber);
	db_bind_int64(st, 4, copy);
	return db_done(db, st, "drop old round");
}

int
store_sub_restart(struct db *db, int64_t id, int copy, time_t day1,
    time_t now)
{
	struct db_stmt *st;

	st = db_stmt(db, "UPDATE subscribers SET status = 'active',"
	    " status_at = CASE WHEN status = 'active' THEN status_at ELSE ?1"
	    " END, status_reason = CASE WHEN status = 'active' THEN"
	    " status_reason ELSE 'restarted' END, course_at = ?1,"
	    " lessons_sent = 0, course_copy = ?2, paused_at = NULL,"
	    " next_lesson_at = ?3, updated_at = ?1 WHERE id = ?4");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, copy);
	db_bind_int64(st, 3, day1);
	db_bind_int64(st, 4, id);
	return db_done(db, st, "restart subscriber");
}

int
store_sub_resubscribe(struct db *db, int64_t id, int copy, time_t now)
{
	struct db_stmt *st;

	st = db_stmt(db, "UPDATE subscribers SET status = 'active',"
	    " status_at = ?1, status_reason = 'resubscribed',"
	    " paused_at = NULL, next_lesson_at = NULL, course_copy = ?3,"
	    " updated_at = ?1 WHERE id = ?2 AND (status = 'unsubscribed'"
	    " OR status = 'bounced')");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	db_bind_int64(st, 3, copy);
	return db_done(db, st, "resubscribe");
}

int
store_suppression_lift(struct db *db, const char *hash)
{
	struct db_stmt *st = db_stmt(db, "DELETE FROM suppressions"
	    " WHERE hash = ?1");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, hash);
	return db_done(db, st, "lift suppression");
}

int
store_event_each(struct db *db, int64_t subscriber,
    int (*fn)(void *, const struct store_event *), void *arg)
{
	struct store_event e;
	struct db_stmt *st;
	int rc;

	st = db_stmt(db, "SELECT at, kind, message, source, status,"
	    " detail, 1, id FROM events WHERE subscriber_id = ?1"
	    " AND kind <> 'sent' UNION ALL SELECT sent_at, 'sent', message,"
	    " 'run', NULL, NULL, 0, id FROM deliveries"
	    " WHERE subscriber_id = ?1 AND state = 'sent'"
	    " ORDER BY 1, 7, 8");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, subscriber);
	while ((rc = db_step(db, st, "list events")) == DB_ROW) {
		e.at = col_time(st, 0);
		e.kind = col_text(st, 1);
		e.message = col_text(st, 2);
		e.source = col_text(st, 3);
		e.status = col_text(st, 4);
		e.detail = col_text(st, 5);
		if ((rc = fn(arg, &e)) < 0)
			break;
	}
	db_reset(st);
	return rc < 0 ? rc : 0;
}

int
store_event_count(struct db *db, int64_t subscriber, const char *kind,
    time_t since)
{
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM events"
	    " WHERE subscriber_id = ?1 AND kind = ?2 AND at >= ?3");
	int rc, n = 0;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, subscriber);
	db_bind_text(st, 2, kind);
	db_bind_int64(st, 3, since);
	rc = db_step(db, st, "count events");
	if (rc == DB_ROW)
		n = (int)db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? n : (rc < 0 ? rc : ERR_FAIL);
}

int
store_bounce_seen(struct db *db, const char *key)
{
	struct db_stmt *st = db_stmt(db, "SELECT 1 FROM bounce_seen"
	    " WHERE key = ?1");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, key);
	rc = db_step(db, st, "check bounce_seen");
	db_reset(st);
	return rc < 0 ? rc : rc == DB_ROW;
}

int
store_bounce_remember(struct db *db, const char *key, time_t now)
{
	struct db_stmt *st = db_stmt(db, "INSERT INTO bounce_seen"
	    " (key, at) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, key);
	db_bind_int64(st, 2, now);
	return db_done(db, st, "remember bounce");
}

int
store_suppression_each(struct db *db,
    int (*fn)(void *, const char *, time_t), void *arg)
{
	struct db_stmt *st;
	int rc;

	st = db_stmt(db, "SELECT hash, created_at FROM suppressions"
	    " ORDER BY created_at, hash");
	if (st == NULL)
		return ERR_FAIL;
	while ((rc = db_step(db, st, "export")) == DB_ROW)
		if ((rc = fn(arg, col_text(st, 0), col_time(st, 1))) < 0)
			break;
	db_reset(st);
	return rc < 0 ? rc : 0;
}

int
store_event(struct db *db, int64_t subscriber, time_t at, const char *kind,
    const char *message, const char *source, const char *status,
    const char *detail)
{
	struct db_stmt *st = db_stmt(db, "INSERT INTO events (at,"
	    " subscriber_id, kind, message, source, status, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, at);
	if (subscriber > 0)
		db_bind_int64(st, 2, subscriber);
	else
		db_bind_null(st, 2);
	db_bind_text(st, 3, kind);
	db_bind_text(st, 4, message);
	db_bind_text(st, 5, source);
	db_bind_text(st, 6, status);
	db_bind_text(st, 7, detail);
	rc = db_step(db, st, "add event");
	db_reset(st);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : ERR_FAIL);
}

int
store_suppress(struct db *db, int64_t subscriber, time_t at,
    enum store_status status, const char *kind, const char *source,
    const char *smtp_status, const char *detail)
{
	struct db_stmt *st;
	int rc, changed;

	st = db_stmt(db, "UPDATE subscribers SET status = ?1, status_at = ?2,"
	    " status_reason = ?3, next_lesson_at = NULL, updated_at = ?4"
	    " WHERE id = ?5 AND status IN ('active', 'completed')");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, store_status_name(status));
	db_bind_int64(st, 2, at);
	db_bind_text(st, 3, detail ? detail : kind);
	db_bind_int64(st, 4, at);
	db_bind_int64(st, 5, subscriber);
	rc = db_step(db, st, "suppress subscriber");
	changed = rc == DB_DONE && db->changes > 0;
	db_reset(st);
	if (rc != DB_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	if (!changed)
		return 0;
	st = db_stmt(db, "UPDATE deliveries SET state = 'suppressed',"
	    " updated_at = ?1 WHERE subscriber_id = ?2"
	    " AND state IN ('due', 'retry')");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, at);
	db_bind_int64(st, 2, subscriber);
	rc = db_step(db, st, "suppress deliveries");
	db_reset(st);
	if (rc != DB_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	rc = store_event(db, subscriber, at, kind, NULL, source, smtp_status,
	    detail);
	return rc < 0 ? rc : 1;
}

int
store_secure_delete(struct db *db)
{
	return db_secure_delete(db);
}

void
store_signup_release(struct store_signup *s)
{
	if (s == NULL)
		return;
	free(s->email);
	free(s->first_name);
	free(s->timezone);
	free(s->ip);
	free(s->user_agent);
	free(s->page);
	memset(s, 0, sizeof(*s));
}

int
store_signup_add(struct db *db, struct store_signup *s)
{
	struct db_stmt *st = db_stmt(db, "INSERT INTO signups (email,"
	    " first_name, timezone, ip, user_agent, page, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, s->email);
	db_bind_text(st, 2, s->first_name);
	db_bind_text(st, 3, s->timezone);
	db_bind_text(st, 4, s->ip);
	db_bind_text(st, 5, s->user_agent);
	db_bind_text(st, 6, s->page);
	db_bind_int64(st, 7, s->created_at);
	rc = insert_step(db, st, "add signup", &s->id);
	return rc == 1 ? 0 : rc < 0 ? rc : ERR_FAIL;
}

int
store_signup_get(struct db *db, int64_t id, time_t created_at,
    struct store_signup *s)
{
	struct db_stmt *st = db_stmt(db, "SELECT email, first_name, timezone,"
	    " ip, user_agent, page, confirmed_at FROM signups"
	    " WHERE id = ?1 AND created_at = ?2");
	int rc;

	memset(s, 0, sizeof(*s));
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, created_at);
	rc = db_step(db, st, "find signup");
	if (rc == DB_ROW) {
		s->id = id;
		s->created_at = created_at;
		s->email = db_column_strdup(st, 0);
		s->first_name = db_column_strdup(st, 1);
		s->timezone = db_column_strdup(st, 2);
		s->ip = db_column_strdup(st, 3);
		s->user_agent = db_column_strdup(st, 4);
		s->page = db_column_strdup(st, 5);
		s->confirmed_at = col_time(st, 6);
	}
	db_reset(st);
	return rc < 0 ? rc : rc == DB_ROW;
}

/* Rows of sql (one ? value, one ? time) since: >= 0, or ERR_*. */
static int
count_since(struct db *db, struct db_stmt *st, const char *value, time_t since)
{
	int rc, n;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, value);
	db_bind_int64(st, 2, since);
	rc = db_step(db, st, "count signups");
	n = rc == DB_ROW ? (int)db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc == DB_ROW ? n : (rc < 0 ? rc : ERR_FAIL);
}

int
store_signup_count_email(struct db *db, const char *email, time_t since)
{
	return count_since(db, db_stmt(db, "SELECT count(*) FROM signups"
	    " WHERE email = ?1 AND created_at > ?2"), email, since);
}

int
store_signup_count_ip(struct db *db, const char *ip, time_t since)
{
	return count_since(db, db_stmt(db, "SELECT count(*) FROM signups"
	    " WHERE ip = ?1 AND created_at > ?2"), ip, since);
}

/* Run st (NULL: db_stmt() failed) with ?1 = v: 0 or ERR_*. */
static int
done_int64(struct db *db, struct db_stmt *st, int64_t v, const char *what)
{
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, v);
	return db_done(db, st, what);
}

int
store_signup_purge(struct db *db, time_t before)
{
	return done_int64(db, db_stmt(db, "DELETE FROM signups"
	    " WHERE created_at <= ?1"), before,
	    "purge signups");
}

/*
 * Step st, an UPDATE of signup id (?2) with a time (?1) and, when sub is
 * not 0, sub (?3): every parameter bound is used (PostgreSQL).
 */
static int
signup_mark(struct db *db, struct db_stmt *st, int64_t id, time_t t,
    int64_t sub)
{
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, t);
	db_bind_int64(st, 2, id);
	if (sub != 0)
		db_bind_int64(st, 3, sub);
	return db_done(db, st, "update signup");
}

int
store_signup_mailed(struct db *db, int64_t id, time_t at)
{
	return signup_mark(db, db_stmt(db, "UPDATE signups SET mailed_at = ?1"
	    " WHERE id = ?2"), id, at, 0);
}

int
store_signup_confirmed(struct db *db, int64_t id, time_t at,
    int64_t subscriber)
{
	return signup_mark(db, db_stmt(db, "UPDATE signups SET"
	    " confirmed_at = ?1, subscriber_id = ?3 WHERE id = ?2"), id, at,
	    subscriber);
}

/* Counts */

/*
 * The one value of a count(*) statement (NULL: db_stmt() failed), reset;
 * 0 with *err set to the ERR_* on failure.
 */
static long
count_one(struct db *db, struct db_stmt *st, const char *what, int *err)
{
	long n = 0;
	int rc;

	if (st == NULL) {
		*err = ERR_FAIL;
		return 0;
	}
	rc = db_step(db, st, what);
	if (rc == DB_ROW)
		n = (long)db_column_int64(st, 0);
	else
		*err = rc < 0 ? rc : ERR_FAIL;
	db_reset(st);
	return n;
}

static long
count_status(struct db *db, const char *status, int *err)
{
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM"
	    " subscribers WHERE status = ?1");

	if (st)
		db_bind_text_static(st, 1, status);
	return count_one(db, st, "status", err);
}

int
store_count_subscribers(struct db *db, struct store_sub_counts *n)
{
	int err = 0;

	n->active = count_status(db, "active", &err);
	n->completed = count_status(db, "completed", &err);
	n->unsubscribed = count_status(db, "unsubscribed", &err);
	n->bounced = count_status(db, "bounced", &err);
	n->complained = count_status(db, "complained", &err);
	n->course = count_one(db, db_stmt(db, "SELECT count(*) FROM"
	    " subscribers WHERE course_at IS NOT NULL"), "status", &err);
	n->waitlist = count_one(db, db_stmt(db, "SELECT count(*) FROM"
	    " subscribers WHERE waitlist_at IS NOT NULL"
	    " AND course_at IS NULL"), "status", &err);
	n->paused = count_one(db, db_stmt(db, "SELECT count(*) FROM"
	    " subscribers WHERE status = 'active'"
	    " AND paused_at IS NOT NULL"), "status", &err);
	return err;
}

static long
count_state(struct db *db, const char *message, const char *state, int *err)
{
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM deliveries"
	    " WHERE message = ?1 AND state = ?2");

	if (st) {
		db_bind_text_static(st, 1, message);
		db_bind_text_static(st, 2, state);
	}
	return count_one(db, st, "status", err);
}

int
store_count_message(struct db *db, const char *message,
    struct store_msg_counts *n)
{
	int err = 0;

	n->sent = count_state(db, message, "sent", &err);
	n->retry = count_state(db, message, "retry", &err);
	n->failed = count_state(db, message, "failed", &err);
	n->suppressed = count_state(db, message, "suppressed", &err);
	return err;
}

int
store_due_candidates(struct db *db, const struct store_due_query *q,
    void (*each)(struct sched_sub *, const char *, void *), void *arg)
{
	struct db_stmt *st;
	int rc;

	st = db_stmt(db, "SELECT s.timezone, s.course_at, s.last_sent_at,"
	    " s.lessons_sent, s.waitlist_at, d.id FROM subscribers s"
	    " LEFT JOIN deliveries d ON d.subscriber_id = s.id"
	    " AND d.message = ?1 AND d.copy = s.course_copy"
	    " WHERE " SUB_MAILABLE_SQL("s.") " AND"
	    " ((d.id IS NOT NULL AND (d.state = 'sending' OR"
	    "  (d.state IN ('due', 'retry') AND d.next_attempt_at <= ?2)))"
	    " OR (d.id IS NULL AND ?3 > 0 AND s.lessons_sent = ?3 - 1 AND"
	    "  (s.next_lesson_at <= ?2 OR (?3 = 1 AND ?4 <> 0 AND"
	    "  s.course_at IS NULL AND s.waitlist_at <= ?2)))"
	    " OR (d.id IS NULL AND ?3 = 0 AND ?5 <> 0 AND s.waitlist_at <= ?2"
	    "  AND NOT EXISTS (SELECT 1 FROM deliveries e"
	    "  WHERE e.subscriber_id = s.id AND e.message = ?1)))");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_text_static(st, 1, q->message);
	db_bind_int64(st, 2, q->now);
	db_bind_int64(st, 3, q->day);
	db_bind_int64(st, 4, q->enrol_waitlist);
	db_bind_int64(st, 5, q->notice_open);
	while ((rc = db_step(db, st, "status due")) == DB_ROW) {
		struct sched_sub s;

		s.zone = NULL;
		s.course_at = (time_t)db_column_int64(st, 1);
		s.last_sent_at = (time_t)db_column_int64(st, 2);
		s.lessons_sent = (int)db_column_int64(st, 3);
		s.waitlist_at = (time_t)db_column_int64(st, 4);
		each(&s, db_column_text(st, 0), arg);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}

long
store_count_resends_due(struct db *db, const char *message, time_t now)
{
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM deliveries d"
	    " JOIN subscribers s ON s.id = d.subscriber_id"
	    " WHERE d.message = ?1 AND d.copy <> s.course_copy"
	    " AND (s.status = 'active' OR s.status = 'completed')"
	    " AND (d.state = 'sending' OR (d.state IN ('due', 'retry')"
	    " AND d.next_attempt_at <= ?2))");
	int err = 0;

	if (st) {
		db_bind_text_static(st, 1, message);
		db_bind_int64(st, 2, now);
	}
	return count_one(db, st, "status", &err);
}

long
store_count_lesson_later(struct db *db, int day, time_t now)
{
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM subscribers"
	    " WHERE " SUB_MAILABLE_SQL("") " AND course_at IS NOT NULL AND"
	    " (lessons_sent < ?1 - 1 OR (lessons_sent = ?2 - 1 AND"
	    " (next_lesson_at IS NULL OR next_lesson_at > ?3)))");
	int err = 0;

	if (st) {
		db_bind_int64(st, 1, day);
		db_bind_int64(st, 2, day);
		db_bind_int64(st, 3, now);
	}
	return count_one(db, st, "status", &err);
}

long
store_count_notice_members(struct db *db, const char *message)
{
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM subscribers"
	    " WHERE waitlist_at IS NOT NULL AND " SUB_MAILABLE_SQL("")
	    " AND NOT EXISTS (SELECT 1 FROM deliveries d"
	    " WHERE d.subscriber_id = subscribers.id AND d.message = ?1)");
	int err = 0;

	if (st)
		db_bind_text_static(st, 1, message);
	return count_one(db, st, "status", &err);
}

long
store_count_course_done(struct db *db, int ndays)
{
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM subscribers"
	    " WHERE course_at IS NOT NULL AND lessons_sent >= ?1");
	int err = 0;

	if (st)
		db_bind_int64(st, 1, ndays);
	return count_one(db, st, "status", &err);
}

size_t
store_runs_latest(struct db *db, struct store_run *runs, size_t max)
{
	struct db_stmt *st = db_stmt(db, "SELECT id, started_at, finished_at,"
	    " sent, retried, failed, suppressed, outcome, dry_run, pid"
	    " FROM runs ORDER BY id DESC LIMIT ?1");
	size_t n = 0;

	if (st == NULL)
		return 0;
	db_bind_int64(st, 1, max);
	while (n < max && db_step(db, st, "status runs") == DB_ROW) {
		struct store_run *r = &runs[n++];

		r->id = db_column_int64(st, 0);
		r->started = (time_t)db_column_int64(st, 1);
		r->finished = (time_t)db_column_int64(st, 2);
		r->unfinished = db_column_null(st, 2);
		r->sent = (long)db_column_int64(st, 3);
		r->retry = (long)db_column_int64(st, 4);
		r->failed = (long)db_column_int64(st, 5);
		r->suppressed = (long)db_column_int64(st, 6);
		r->outcome = db_column_strdup(st, 7);
		r->dry_run = (int)db_column_int64(st, 8);
		r->pid = (long)db_column_int64(st, 9);
	}
	db_reset(st);
	return n;
}

void
store_runs_release(struct store_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(runs[i].outcome);
}

int
store_count_run(struct db *db, int64_t id, struct store_run *n)
{
	struct db_stmt *st = db_stmt(db, "SELECT"
	    " count(*) FILTER (WHERE state = 'sent'),"
	    " count(*) FILTER (WHERE state = 'retry'),"
	    " count(*) FILTER (WHERE state = 'failed')"
	    " FROM deliveries WHERE run_id = ?1");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, id);
	rc = db_step(db, st, "status unfinished run");
	if (rc == DB_ROW) {
		n->sent = (long)db_column_int64(st, 0);
		n->retry = (long)db_column_int64(st, 1);
		n->failed = (long)db_column_int64(st, 2);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc < 0 ? rc : ERR_FAIL;
}

int
store_count_stopped(struct db *db, struct store_stopped **rows, size_t *n)
{
	/* grouped outside: PostgreSQL groups no correlated subquery */
	struct db_stmt *st = db_stmt(db, "SELECT status, message, count(*)"
	    " FROM (SELECT s.status AS status, (SELECT d.message"
	    " FROM deliveries d WHERE d.subscriber_id = s.id AND"
	    " (d.state = 'sent' OR d.state = 'failed') ORDER BY"
	    " coalesce(d.sent_at, d.updated_at) DESC, d.id DESC LIMIT 1)"
	    " AS message FROM subscribers s WHERE s.status = 'bounced' OR"
	    " s.status = 'complained' OR s.status = 'unsubscribed') t"
	    " GROUP BY status, message");
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	if (st == NULL)
		return ERR_FAIL;
	while ((rc = db_step(db, st, "status stopped")) == DB_ROW) {
		struct store_stopped *r;

		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*rows = xreallocarray(*rows, cap, sizeof(**rows));
		}
		r = &(*rows)[(*n)++];
		(void)snprintf(r->status, sizeof(r->status), "%s",
		    db_column_text(st, 0));
		r->message = db_column_strdup(st, 1);
		r->n = (long)db_column_int64(st, 2);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}

void
store_stopped_free(struct store_stopped *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].message);
	free(rows);
}

#define SERIES_STOPPED	"SELECT coalesce(status_at, updated_at) / 900,"\
	" count(*) FROM subscribers WHERE status = ?1 GROUP BY 1 ORDER BY 1"

/* By enum store_series; the 900 is STORE_SLICE. */
static const struct {
	const char	*sql;
	const char	*bind;		/* ?1, or NULL */
} series_sql[] = {
	[STORE_SERIES_SENT] = { "SELECT sent_at / 900, count(*)"
	    " FROM deliveries WHERE state = 'sent' AND sent_at IS NOT NULL"
	    " GROUP BY 1 ORDER BY 1", NULL },
	[STORE_SERIES_BOUNCED] = { SERIES_STOPPED, "bounced" },
	[STORE_SERIES_COMPLAINED] = { SERIES_STOPPED, "complained" },
	[STORE_SERIES_UNSUBSCRIBED] = { SERIES_STOPPED, "unsubscribed" },
	[STORE_SERIES_WAITLIST] = { "SELECT waitlist_at / 900, count(*)"
	    " FROM subscribers WHERE waitlist_at IS NOT NULL"
	    " GROUP BY 1 ORDER BY 1", NULL },
	[STORE_SERIES_ENROLLED] = { "SELECT course_at / 900, count(*)"
	    " FROM subscribers WHERE course_at IS NOT NULL"
	    " GROUP BY 1 ORDER BY 1", NULL },
};

int
store_series(struct db *db, enum store_series which,
    struct store_slice **slices, size_t *n)
{
	struct db_stmt *st = db_stmt(db, series_sql[which].sql);
	size_t cap = 0;
	int rc;

	*slices = NULL;
	*n = 0;
	if (st == NULL)
		return ERR_FAIL;
	if (series_sql[which].bind)
		db_bind_text_static(st, 1, series_sql[which].bind);
	while ((rc = db_step(db, st, "status series")) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*slices = xreallocarray(*slices, cap,
			    sizeof(**slices));
		}
		(*slices)[*n].at = (time_t)(db_column_int64(st, 0) *
		    STORE_SLICE);
		(*slices)[(*n)++].n = (long)db_column_int64(st, 1);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}

/* One count(*) over [since, now]; ERR_* (logged) on failure. */
static long
count_range(struct db *db, struct db_stmt *st, time_t since, time_t now)
{
	long n;
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, now);
	rc = db_step(db, st, "guard count");
	n = rc == DB_ROW ? (long)db_column_int64(st, 0) :
	    (rc < 0 ? rc : ERR_FAIL);
	db_reset(st);
	return n;
}

int
store_guard_window(struct db *db, time_t since, time_t now,
    struct store_guard_window *w)
{
	w->sent = count_range(db, db_stmt(db, "SELECT count(*) FROM"
	    " deliveries WHERE sent_at >= ?1 AND sent_at <= ?2"), since, now);
	w->refused = count_range(db, db_stmt(db, "SELECT count(*) FROM events"
	    " WHERE kind = 'bounce_hard' AND at >= ?1 AND at <= ?2"
	    " AND source = 'smtp'"), since, now);
	w->bounces = count_range(db, db_stmt(db, "SELECT count(*) FROM events"
	    " WHERE kind = 'bounce_hard' AND at >= ?1 AND at <= ?2"),
	    since, now);
	w->complaints = count_range(db, db_stmt(db, "SELECT count(*) FROM"
	    " events WHERE kind = 'complaint' AND at >= ?1 AND at <= ?2"),
	    since, now);
	if (w->sent < 0 || w->refused < 0 || w->bounces < 0 ||
	    w->complaints < 0)
		return w->sent == ERR_TEMP || w->refused == ERR_TEMP ||
		    w->bounces == ERR_TEMP || w->complaints == ERR_TEMP ?
		    ERR_TEMP : ERR_FAIL;
	return 0;
}

/* The latest event of sql's kind at or before now: 1, 0, ERR_*. */
static int
latest(struct db *db, struct db_stmt *st, time_t now, time_t *at, char *text,
    size_t size)
{
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	rc = db_step(db, st, "guard state");
	if (rc == DB_ROW) {
		*at = (time_t)db_column_int64(st, 0);
		(void)snprintf(text, size, "%s", col_text(st, 1));
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : (rc < 0 ? rc : 0);
}

int
store_runs_last_pause(struct db *db, time_t now, time_t *at, char *reason,
    size_t size)
{
	return latest(db, db_stmt(db, "SELECT at, detail FROM events"
	    " WHERE kind = 'runs_paused' AND at <= ?1"
	    " ORDER BY at DESC, id DESC LIMIT 1"), now, at, reason, size);
}

int
store_runs_last_resume(struct db *db, time_t now, time_t *at, char *who,
    size_t size)
{
	return latest(db, db_stmt(db, "SELECT at, source FROM events"
	    " WHERE kind = 'runs_resumed' AND at <= ?1"
	    " ORDER BY at DESC, id DESC LIMIT 1"), now, at, who, size);
}

int
store_runs_last_report(struct db *db, time_t now, time_t *at)
{
	char none[1];

	return latest(db, db_stmt(db, "SELECT at, NULL FROM events"
	    " WHERE kind = 'pause_reported' AND at <= ?1"
	    " ORDER BY at DESC, id DESC LIMIT 1"), now, at, none,
	    sizeof(none));
}

int
store_runs_reported(struct db *db, time_t now)
{
	return store_event(db, 0, now, "pause_reported", NULL, "run", NULL,
	    NULL);
}

int
store_runs_pause(struct db *db, time_t now, const char *reason)
{
	return store_event(db, 0, now, "runs_paused", NULL, "run", NULL,
	    reason);
}

int
store_runs_resume(struct db *db, time_t now, const char *who,
    const char *detail)
{
	return store_event(db, 0, now, "runs_resumed", NULL, who, NULL, detail);
}

int
store_count_sent_since(struct db *db, time_t midnight, time_t *first_sent,
    long *n)
{
	struct db_stmt *st = db_stmt(db, "SELECT min(sent_at),"
	    " count(*) FILTER (WHERE sent_at >= ?1) FROM deliveries"
	    " WHERE state = 'sent'");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, midnight);
	rc = db_step(db, st, "count sent today");
	if (rc == DB_ROW) {
		*first_sent = (time_t)db_column_int64(st, 0);
		*n = (long)db_column_int64(st, 1);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc < 0 ? rc : ERR_FAIL;
}

/* Call each with the first column of every row st selects after since. */
static int
recipients(struct db *db, struct db_stmt *st, time_t since,
    void (*each)(const char *address, void *), void *arg)
{
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, since);
	while ((rc = db_step(db, st, "count per domain")) == DB_ROW)
		each(db_column_text(st, 0), arg);
	db_reset(st);
	return rc == DB_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}

int
store_sent_recipients(struct db *db, time_t since,
    void (*each)(const char *address, void *), void *arg)
{
	return recipients(db, db_stmt(db, "SELECT s.email FROM deliveries d"
	    " JOIN subscribers s ON s.id = d.subscriber_id"
	    " WHERE d.state = 'sent' AND d.sent_at > ?1"), since, each, arg);
}

/*
 * Several runs at once.  SQLite's run lock keeps them apart; PostgreSQL's
 * runs share the database and take turns under advisory locks, their
 * keys the ASCII of "dripmail" (the migrations' lock, db_pg.c) plus one
 * and two: tried first, then waited for, longer than for a row
 * (lock_timeout, DB_BUSY_MS): another run's planning may take a while.
 */
#define LOCK_PLAN	"7237963482730162541"
#define LOCK_CLAIM	"7237963482730162542"
static const char *const lock_try_sql[] = {
	[STORE_LOCK_PLAN] = "SELECT CAST(pg_try_advisory_xact_lock("
	    LOCK_PLAN ") AS INTEGER)",
	[STORE_LOCK_CLAIM] = "SELECT CAST(pg_try_advisory_xact_lock("
	    LOCK_CLAIM ") AS INTEGER)",
};
static const char *const lock_sql[] = {
	[STORE_LOCK_PLAN] = "SET LOCAL lock_timeout = '300s';"
	    " SELECT pg_advisory_xact_lock(" LOCK_PLAN ")",
	[STORE_LOCK_CLAIM] = "SET LOCAL lock_timeout = '300s';"
	    " SELECT pg_advisory_xact_lock(" LOCK_CLAIM ")",
};

int
store_shared(struct db *db)
{
	return db->kind == DB_PG;
}

int
store_lock(struct db *db, enum store_lock which)
{
	struct db_stmt *st;
	int rc, got;

	if (db->kind != DB_PG)
		return 0;
	if ((st = db_stmt(db, lock_try_sql[which])) == NULL)
		return ERR_FAIL;
	rc = db_step(db, st, "take a lock");
	got = rc == DB_ROW && db_column_int64(st, 0) != 0;
	db_reset(st);
	if (rc != DB_ROW)
		return rc < 0 ? rc : ERR_FAIL;
	if (got)
		return 0;
	return (rc = db_exec(db, lock_sql[which])) < 0 ? rc : 1;
}

/* Layering */

int
store_open(const char *target, const char *password_file, struct db **out)
{
	struct db *db = xcalloc(1, sizeof(*db));
	int ret;

	*out = NULL;
	if ((ret = db_open(db, target, password_file)) < 0) {
		free(db);
		return ret;
	}
	*out = db;
	return 0;
}

void
store_close(struct db *db)
{
	db_close(db);
	free(db);
}

int
store_version(struct db *db)
{
	return db_version(db);
}

const char *
store_name(struct db *db)
{
	return db->path;
}

int
store_begin(struct db *db)
{
	return db_begin(db);
}

int
store_commit(struct db *db)
{
	return db_commit(db);
}

int
store_rollback(struct db *db)
{
	return db_rollback(db);
}

/* Deliveries and runs */

static const char *const state_names[STORE_STATE_N] = {
	[STORE_DUE] = "due", [STORE_SENDING] = "sending",
	[STORE_RETRY] = "retry", [STORE_SENT] = "sent",
	[STORE_FAILED] = "failed", [STORE_SUPPRESSED] = "suppressed",
};

const char *
store_state_name(enum store_state s)
{
	return (unsigned)s < STORE_STATE_N ? state_names[s] : "";
}

int
store_state_parse(const char *word)
{
	return word_parse(state_names, STORE_STATE_N, word);
}

/*
 * The planning reads: (id, tz, course_at, last_sent_at, lessons_sent,
 * next, waitlist, course_copy), by enum store_plan.
 */
static const char *const plan_sql[] = {
	[STORE_PLAN_WAITLIST] = "SELECT id, timezone, NULL, NULL, 0, NULL,"
	    " waitlist_at, 0 FROM subscribers WHERE waitlist_at IS NOT NULL"
	    " AND course_at IS NULL AND " SUB_MAILABLE_SQL("")
	    " AND waitlist_at <= ?1",
	[STORE_PLAN_UNSCHEDULED] = "SELECT id, timezone, course_at,"
	    " last_sent_at, lessons_sent, NULL, waitlist_at,"
	    " course_copy FROM subscribers WHERE next_lesson_at IS NULL"
	    " AND course_at IS NOT NULL AND " SUB_MAILABLE_SQL(""),
	[STORE_PLAN_NEXT] = "SELECT id, timezone, course_at,"
	    " last_sent_at, lessons_sent, next_lesson_at, waitlist_at,"
	    " course_copy FROM subscribers WHERE next_lesson_at <= ?1"
	    " AND " SUB_MAILABLE_SQL(""),
	[STORE_PLAN_NOTICE] = "SELECT id, timezone, course_at,"
	    " last_sent_at, lessons_sent, NULL, waitlist_at,"
	    " course_copy FROM subscribers s"
	    " WHERE waitlist_at IS NOT NULL"
	    " AND waitlist_at <= ?1 AND " SUB_MAILABLE_SQL("s.")
	    " AND NOT EXISTS (SELECT 1 FROM deliveries d"
	    " WHERE d.subscriber_id = s.id AND d.message = ?2)",
};

void
store_plan_subs_free(struct store_plan_sub *r, size_t n)
{
	for (size_t i = 0; r != NULL && i < n; i++)
		free(r[i].tz);
	free(r);
}

int
store_plan_subs(struct db *db, enum store_plan which, time_t now,
    const char *message, struct store_plan_sub **out, size_t *n)
{
	struct store_plan_sub *r = NULL;
	size_t cap = 0;
	struct db_stmt *st = db_stmt(db, plan_sql[which]);
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return ERR_FAIL;
	if (which != STORE_PLAN_UNSCHEDULED)
		db_bind_int64(st, 1, now);
	if (which == STORE_PLAN_NOTICE)
		db_bind_text_static(st, 2, message);
	while ((rc = db_step(db, st, "read subscribers")) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			r = xreallocarray(r, cap, sizeof(*r));
		}
		r[*n].id = db_column_int64(st, 0);
		r[*n].tz = db_column_strdup(st, 1);
		r[*n].course_at = col_time(st, 2);
		r[*n].last_sent_at = col_time(st, 3);
		r[*n].lessons_sent = (int)db_column_int64(st, 4);
		r[*n].next_at = col_time(st, 5);
		r[*n].waitlist_at = col_time(st, 6);
		r[*n].copy = (int)db_column_int64(st, 7);
		(*n)++;
	}
	db_reset(st);
	if (rc != DB_DONE) {
		store_plan_subs_free(r, *n);
		*n = 0;
		return rc < 0 ? rc : ERR_FAIL;
	}
	*out = r;
	return 0;
}

int
store_sub_schedule(struct db *db, int64_t id, time_t next, time_t now)
{
	struct db_stmt *st = db_stmt(db, "UPDATE subscribers SET"
	    " next_lesson_at = ?3, updated_at = ?1"
	    " WHERE id = ?2 AND status = 'active'");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	db_bind_time(st, 3, next);
	return change_step(db, st, "schedule subscriber");
}

int
store_sub_finish(struct db *db, int64_t id, time_t now)
{
	struct db_stmt *st = db_stmt(db, "UPDATE subscribers SET"
	    " next_lesson_at = NULL, status = 'completed',"
	    " status_at = ?1, updated_at = ?1"
	    " WHERE id = ?2 AND status = 'active'");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	return change_step(db, st, "schedule subscriber");
}

int
store_sub_launch(struct db *db, int64_t id, time_t at, time_t due,
    time_t now)
{
	struct db_stmt *st = db_stmt(db, "UPDATE subscribers SET"
	    " course_at = ?1, next_lesson_at = ?2, updated_at = ?3"
	    " WHERE id = ?4");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, at);
	db_bind_int64(st, 2, due);
	db_bind_int64(st, 3, now);
	db_bind_int64(st, 4, id);
	return db_done(db, st, "enrol waitlist");
}

int
store_sub_progress(struct db *db, int64_t id, int copy, int day, time_t t,
    time_t next)
{
	struct db_stmt *st = db_stmt(db, "UPDATE subscribers SET lessons_sent ="
	    " CASE WHEN lessons_sent > ?1 THEN lessons_sent ELSE ?1 END,"
	    " last_sent_at = ?2, updated_at = ?3,"
	    " next_lesson_at = CASE WHEN " SUB_MAILABLE_SQL("") " THEN ?4"
	    " ELSE next_lesson_at END WHERE id = ?5 AND course_copy = ?6");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, day);
	db_bind_int64(st, 2, t);
	db_bind_int64(st, 3, t);
	db_bind_time(st, 4, next);
	db_bind_int64(st, 5, id);
	db_bind_int64(st, 6, copy);
	return change_step(db, st, "record progress");
}

int
store_delivery_plan(struct db *db, int64_t sub, const char *message,
    int copy, time_t due, time_t now)
{
	struct db_stmt *st = db_stmt(db, "INSERT INTO deliveries"
	    " (subscriber_id, message, copy, state, due_at, next_attempt_at,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, 'due', ?4, ?5, ?5,"
	    " ?5) ON CONFLICT (subscriber_id, message, copy) DO NOTHING");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, sub);
	db_bind_text_static(st, 2, message);
	db_bind_int64(st, 3, copy);
	db_bind_int64(st, 4, due);
	db_bind_int64(st, 5, now);
	return db_done(db, st, "add delivery");
}

#define FETCH_COLUMNS							\
	"SELECT d.id, d.subscriber_id, d.message,"			\
	" d.state, d.attempts, d.due_at, s.email, s.first_name,"	\
	" s.timezone, s.status, s.course_at, s.last_sent_at,"		\
	" s.lessons_sent, s.waitlist_at, d.next_attempt_at,"		\
	" d.copy, s.course_copy"

/*
 * The crashed rows: the few pending ones, not every delivery by id (SQLite
 * is told the index; PostgreSQL has no INDEXED BY, and its planner picks
 * the partial index by itself), those marked before ?3 (the lease).
 */
#define FETCH_CRASHED(INDEXED, MORE)					\
	FETCH_COLUMNS " FROM deliveries d" INDEXED			\
	" JOIN subscribers s ON s.id = d.subscriber_id"			\
	" WHERE " DB_PENDING("d.")					\
	" AND d.state = 'sending' AND d.id > ?1 AND d.updated_at <= ?3"	\
	MORE " ORDER BY d.id LIMIT ?2"
/* Those whose answer the interrupted run kept (see plan_recover()). */
#define FETCH_ANSWERED							\
	" AND EXISTS (SELECT 1 FROM answers a WHERE a.delivery_id = d.id)"
#define FETCH_DUE							\
	FETCH_COLUMNS " FROM deliveries d JOIN subscribers s"		\
	" ON s.id = d.subscriber_id"					\
	" WHERE " DB_PENDING("d.")					\
	" AND d.state <> 'sending' AND d.next_attempt_at <= ?1"		\
	" AND (d.next_attempt_at, d.id) > (?2, ?3)"			\
	" ORDER BY d.next_attempt_at, d.id LIMIT ?4"
/* PostgreSQL: the rows read are the caller's till its transaction ends. */
#define FETCH_CLAIM	" FOR UPDATE OF d SKIP LOCKED"

static struct db_stmt *
fetch_stmt(struct db *db, const struct store_fetch *q)
{
	int claim = db->kind == DB_PG && q->claim;
	struct db_stmt *st;

	if (q->crashed) {
		if (q->answered)
			st = db_stmt(db, db->kind == DB_SQLITE ?
			    FETCH_CRASHED(" INDEXED BY deliveries_pending",
			    FETCH_ANSWERED) : claim ?
			    FETCH_CRASHED("", FETCH_ANSWERED) FETCH_CLAIM :
			    FETCH_CRASHED("", FETCH_ANSWERED));
		else
			st = db_stmt(db, db->kind == DB_SQLITE ?
			    FETCH_CRASHED(" INDEXED BY deliveries_pending",
			    "") : claim ? FETCH_CRASHED("", "") FETCH_CLAIM :
			    FETCH_CRASHED("", ""));
		if (st == NULL)
			return NULL;
		db_bind_int64(st, 1, q->after_id);
		db_bind_int64(st, 2, q->max);
		db_bind_int64(st, 3, q->lease_since ? q->lease_since :
		    INT64_MAX);
		return st;
	}
	st = db_stmt(db, claim ? FETCH_DUE FETCH_CLAIM : FETCH_DUE);
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, q->now);
	db_bind_int64(st, 2, q->after_at);
	db_bind_int64(st, 3, q->after_id);
	db_bind_int64(st, 4, q->max);
	return st;
}

int
store_delivery_fetch(struct db *db, const struct store_fetch *q,
    void (*fn)(void *arg, const struct store_delivery *), void *arg)
{
	struct db_stmt *st = fetch_stmt(db, q);
	int rc, n = 0;

	if (st == NULL)
		return ERR_FAIL;
	while ((rc = db_step(db, st, "read deliveries")) == DB_ROW) {
		struct store_delivery d;

		d.id = db_column_int64(st, 0);
		d.sub = db_column_int64(st, 1);
		d.message = col_text(st, 2);
		d.state = store_state_parse(col_text(st, 3));
		d.attempts = (int)db_column_int64(st, 4);
		d.due_at = col_time(st, 5);
		d.email = col_text(st, 6);
		d.first_name = db_column_text(st, 7);
		d.tz = db_column_text(st, 8);
		d.status = store_status_parse(col_text(st, 9));
		d.course_at = col_time(st, 10);
		d.last_sent_at = col_time(st, 11);
		d.lessons_sent = (int)db_column_int64(st, 12);
		d.waitlist_at = col_time(st, 13);
		d.next_attempt_at = col_time(st, 14);
		d.copy = (int)db_column_int64(st, 15);
		d.course_copy = (int)db_column_int64(st, 16);
		fn(arg, &d);
		n++;
	}
	db_reset(st);
	return rc == DB_DONE ? n : rc < 0 ? rc : ERR_FAIL;
}

long
store_count_due(struct db *db, time_t now)
{
	struct db_stmt *st = db_stmt(db, "SELECT count(*) FROM deliveries"
	    " WHERE " DB_PENDING("") " AND next_attempt_at <= ?1");
	long n = 0;

	if (st == NULL)
		return 0;
	db_bind_int64(st, 1, now);
	if (db_step(db, st, "count due") == DB_ROW)
		n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

int
store_delivery_sending(struct db *db, int64_t id, int attempts,
    const char *mid, int64_t run_id, time_t now)
{
	struct db_stmt *st = db_stmt(db, "UPDATE deliveries SET"
	    " state = 'sending', attempts = ?1, message_id = ?2, run_id = ?3,"
	    " updated_at = ?4 WHERE id = ?5");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, attempts);
	db_bind_text_static(st, 2, mid);
	if (run_id)
		db_bind_int64(st, 3, run_id);
	else
		db_bind_null(st, 3);
	db_bind_int64(st, 4, now);
	db_bind_int64(st, 5, id);
	return db_done(db, st, "mark delivery sending");
}

int
store_delivery_outcome(struct db *db, int64_t id, enum store_state state,
    time_t next, int code, const char *reply, time_t sent_at, time_t now)
{
	struct db_stmt *st = db_stmt(db, "UPDATE deliveries SET state = ?1,"
	    " next_attempt_at = ?2, smtp_code = ?3, smtp_reply = ?4,"
	    " sent_at = ?5, updated_at = ?6 WHERE id = ?7");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_text_static(st, 1, store_state_name(state));
	db_bind_time(st, 2, next);
	if (code)
		db_bind_int64(st, 3, code);
	else
		db_bind_null(st, 3);
	db_bind_text(st, 4, reply && reply[0] ? reply : NULL);
	db_bind_time(st, 5, sent_at);
	db_bind_int64(st, 6, now);
	db_bind_int64(st, 7, id);
	return db_done(db, st, "record delivery");
}

int
store_answer_put(struct db *db, int64_t id, const struct store_answer *a)
{
	struct db_stmt *st = db_stmt(db, "INSERT INTO answers (delivery_id,"
	    " err, step, code, reply, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (delivery_id) DO UPDATE SET err = excluded.err,"
	    " step = excluded.step, code = excluded.code,"
	    " reply = excluded.reply, at = excluded.at");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, a->err);
	db_bind_int64(st, 3, a->step);
	db_bind_int64(st, 4, a->code);
	db_bind_text(st, 5, a->reply);
	db_bind_int64(st, 6, a->at);
	return db_done(db, st, "keep the server's answer");
}

int
store_answer_get(struct db *db, int64_t id, struct store_answer *a)
{
	struct db_stmt *st = db_stmt(db, "SELECT err, step, code, reply, at"
	    " FROM answers WHERE delivery_id = ?1");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, id);
	if ((rc = db_step(db, st, "read the server's answer")) == DB_ROW) {
		const char *r = db_column_text(st, 3);

		a->err = (int)db_column_int64(st, 0);
		a->step = (int)db_column_int64(st, 1);
		a->code = (int)db_column_int64(st, 2);
		snprintf(a->reply, sizeof(a->reply), "%s", r ? r : "");
		a->at = (time_t)db_column_int64(st, 4);
	}
	db_reset(st);
	return rc < 0 ? rc : rc == DB_ROW;
}

int
store_answer_del(struct db *db, int64_t id)
{
	return done_int64(db, db_stmt(db, "DELETE FROM answers"
	    " WHERE delivery_id = ?1"), id,
	    "fold the server's answer");
}

int
store_delivery_unclaim(struct db *db, int64_t id, enum store_state state)
{
	struct db_stmt *st = db_stmt(db, "UPDATE deliveries SET state = ?1,"
	    " attempts = attempts - 1 WHERE id = ?2");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_text_static(st, 1, store_state_name(state));
	db_bind_int64(st, 2, id);
	return db_done(db, st, "put delivery back");
}

int
store_delivery_postpone(struct db *db, int64_t id, enum store_state state,
    time_t due, time_t now)
{
	struct db_stmt *st = db_stmt(db, "UPDATE deliveries SET state = ?1,"
	    " next_attempt_at = ?2, updated_at = ?3 WHERE id = ?4");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_text_static(st, 1, store_state_name(state));
	db_bind_int64(st, 2, due);
	db_bind_int64(st, 3, now);
	db_bind_int64(st, 4, id);
	return db_done(db, st, "postpone delivery");
}

int
store_delivery_drop(struct db *db, int64_t id, const char *reason,
    time_t now)
{
	struct db_stmt *st = db_stmt(db, "UPDATE deliveries SET"
	    " state = 'failed', next_attempt_at = NULL, smtp_reply = ?1,"
	    " updated_at = ?2 WHERE id = ?3");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, reason);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, id);
	return db_done(db, st, "drop delivery");
}

int
store_delivery_suppress(struct db *db, int64_t id, time_t now)
{
	struct db_stmt *st = db_stmt(db, "UPDATE deliveries SET state ="
	    " 'suppressed', updated_at = ?1 WHERE id = ?2");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	return db_done(db, st, "suppress delivery");
}

int
store_delivery_touch(struct db *db, int64_t run_id, time_t now)
{
	struct db_stmt *st = db_stmt(db, "UPDATE deliveries SET"
	    " updated_at = ?1 WHERE " DB_PENDING("") " AND state = 'sending'"
	    " AND run_id = ?2");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, run_id);
	return db_done(db, st, "renew the lease");
}

/* Each count through its own index: sent_at, or the pending rows. */
#define TAKEN_SENT(P)	"(SELECT count(*) FROM deliveries WHERE state ="	\
	" 'sent' AND sent_at " P ")"
#define TAKEN_OLDEST(P)	"(SELECT min(sent_at) FROM deliveries WHERE state ="	\
	" 'sent' AND sent_at " P ")"

int
store_count_taken(struct db *db, time_t midnight, time_t minute, time_t hour,
    time_t lease_since, struct store_taken *t)
{
	struct db_stmt *st = db_stmt(db, "SELECT " TAKEN_SENT(">= ?1") ","
	    " " TAKEN_SENT("> ?2") ", " TAKEN_SENT("> ?3") ","
	    " (SELECT count(*) FROM deliveries WHERE " DB_PENDING("")
	    " AND state = 'sending' AND updated_at > ?4),"
	    " " TAKEN_OLDEST("> ?2") ", " TAKEN_OLDEST("> ?3"));
	long sending;
	int rc;

	memset(t, 0, sizeof(*t));
	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, midnight);
	db_bind_int64(st, 2, minute);
	db_bind_int64(st, 3, hour);
	db_bind_int64(st, 4, lease_since);
	rc = db_step(db, st, "count the caps");
	if (rc == DB_ROW) {
		sending = (long)db_column_int64(st, 3);
		t->today = (long)db_column_int64(st, 0) + sending;
		t->minute = (long)db_column_int64(st, 1) + sending;
		t->hour = (long)db_column_int64(st, 2) + sending;
		t->minute_oldest = col_time(st, 4);
		t->hour_oldest = col_time(st, 5);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc < 0 ? rc : ERR_FAIL;
}

int
store_sending_recipients(struct db *db, time_t lease_since,
    void (*each)(const char *address, void *), void *arg)
{
	return recipients(db, db_stmt(db, "SELECT s.email FROM deliveries d"
	    " JOIN subscribers s ON s.id = d.subscriber_id"
	    " WHERE " DB_PENDING("d.") " AND d.state = 'sending'"
	    " AND d.updated_at > ?1"), lease_since, each, arg);
}

int
store_sent_times(struct db *db, time_t since,
    void (*fn)(void *arg, time_t sent_at), void *arg)
{
	struct db_stmt *st = db_stmt(db, "SELECT sent_at FROM deliveries WHERE"
	    " state = 'sent' AND sent_at > ?1 ORDER BY sent_at");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, since);
	while ((rc = db_step(db, st, "read send times")) == DB_ROW)
		fn(arg, col_time(st, 0));
	db_reset(st);
	return rc == DB_DONE ? 0 : ERR_FAIL;
}

int
store_run_start(struct db *db, time_t started, time_t now, long pid,
    int dry_run, int64_t *id)
{
	struct db_stmt *st = db_stmt(db, "INSERT INTO runs (started_at, now_at,"
	    " pid, dry_run) VALUES (?1, ?2, ?3, ?4) RETURNING id");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, started);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, pid);
	db_bind_int64(st, 4, dry_run);
	*id = 0;
	rc = insert_step(db, st, "record run", id);
	return rc == 1 ? 0 : rc < 0 ? rc : ERR_FAIL;
}

int
store_run_finish(struct db *db, int64_t id, const struct store_run *r)
{
	struct db_stmt *st = db_stmt(db, "UPDATE runs SET finished_at = ?1,"
	    " sent = ?2, retried = ?3, failed = ?4, suppressed = ?5,"
	    " outcome = ?6 WHERE id = ?7");

	if (st == NULL)
		return ERR_FAIL;
	db_bind_int64(st, 1, r->finished);
	db_bind_int64(st, 2, r->sent);
	db_bind_int64(st, 3, r->retry);
	db_bind_int64(st, 4, r->failed);
	db_bind_int64(st, 5, r->suppressed);
	db_bind_text(st, 6, r->outcome);
	db_bind_int64(st, 7, id);
	return db_done(db, st, "record run");
}
