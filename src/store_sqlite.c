/*
 * store_sqlite.c - the operations of store.h on SQLite: every statement
 * prepared once (db_stmt()'s cache), values bound, never pasted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "dripmail.h"
#include "schedule.h"
#include "store.h"
#include "subscriber.h"
#include "xmalloc.h"

/* Counts */

/*
 * The one value of a count(*) statement (NULL: db_stmt() failed), reset;
 * 0 with *err set to the ERR_* on failure.
 */
static long
count_one(struct db *db, sqlite3_stmt *st, const char *what, int *err)
{
	long n = 0;
	int rc;

	if (st == NULL) {
		*err = ERR_FAIL;
		return 0;
	}
	rc = db_step(db, st, what);
	if (rc == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	else
		*err = rc < 0 ? rc : ERR_FAIL;
	sqlite3_reset(st);
	return n;
}

static long
count_status(struct db *db, const char *status, int *err)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM"
	    " subscribers WHERE status = ?");

	if (st)
		sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
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
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM deliveries"
	    " WHERE message = ? AND state = ?");

	if (st) {
		sqlite3_bind_text(st, 1, message, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
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
    void (*each)(const struct sched_sub *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	st = db_stmt(db, "SELECT s.timezone, s.course_at, s.last_sent_at,"
	    " s.lessons_sent, s.waitlist_at, d.id FROM subscribers s"
	    " LEFT JOIN deliveries d ON d.subscriber_id = s.id"
	    " AND d.message = ?1 AND d.copy = s.course_copy"
	    " WHERE " SUB_MAILABLE_SQL("s.") " AND"
	    " ((d.id IS NOT NULL AND (d.state = 'sending' OR"
	    "  (d.state IN ('due', 'retry') AND d.next_attempt_at <= ?2)))"
	    " OR (d.id IS NULL AND ?3 > 0 AND s.lessons_sent = ?3 - 1 AND"
	    "  (s.next_lesson_at <= ?2 OR (?3 = 1 AND ?4 AND"
	    "  s.course_at IS NULL AND s.waitlist_at <= ?2)))"
	    " OR (d.id IS NULL AND ?3 = 0 AND ?5 AND s.waitlist_at <= ?2"
	    "  AND NOT EXISTS (SELECT 1 FROM deliveries e"
	    "  WHERE e.subscriber_id = s.id AND e.message = ?1)))");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_text(st, 1, q->message, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)q->now);
	sqlite3_bind_int(st, 3, q->day);
	sqlite3_bind_int(st, 4, q->enrol_waitlist);
	sqlite3_bind_int(st, 5, q->notice_open);
	while ((rc = db_step(db, st, "status due")) == SQLITE_ROW) {
		struct sched_sub s;

		s.tz = (const char *)sqlite3_column_text(st, 0);
		s.course_at = (time_t)sqlite3_column_int64(st, 1);
		s.last_sent_at = (time_t)sqlite3_column_int64(st, 2);
		s.lessons_sent = sqlite3_column_int(st, 3);
		s.waitlist_at = (time_t)sqlite3_column_int64(st, 4);
		each(&s, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}

long
store_count_resends_due(struct db *db, const char *message, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM deliveries d"
	    " JOIN subscribers s ON s.id = d.subscriber_id"
	    " WHERE d.message = ?1 AND d.copy <> s.course_copy"
	    " AND (s.status = 'active' OR s.status = 'completed')"
	    " AND (d.state = 'sending' OR (d.state IN ('due', 'retry')"
	    " AND d.next_attempt_at <= ?2))");
	int err = 0;

	if (st) {
		sqlite3_bind_text(st, 1, message, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	}
	return count_one(db, st, "status", &err);
}

long
store_count_lesson_later(struct db *db, int day, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM subscribers"
	    " WHERE " SUB_MAILABLE_SQL("") " AND course_at IS NOT NULL AND"
	    " (lessons_sent < ? - 1 OR (lessons_sent = ? - 1 AND"
	    " (next_lesson_at IS NULL OR next_lesson_at > ?)))");
	int err = 0;

	if (st) {
		sqlite3_bind_int(st, 1, day);
		sqlite3_bind_int(st, 2, day);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	}
	return count_one(db, st, "status", &err);
}

long
store_count_notice_members(struct db *db, const char *message)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM subscribers"
	    " WHERE waitlist_at IS NOT NULL AND " SUB_MAILABLE_SQL("")
	    " AND NOT EXISTS (SELECT 1 FROM deliveries d"
	    " WHERE d.subscriber_id = subscribers.id AND d.message = ?)");
	int err = 0;

	if (st)
		sqlite3_bind_text(st, 1, message, -1, SQLITE_STATIC);
	return count_one(db, st, "status", &err);
}

long
store_count_course_done(struct db *db, int ndays)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM subscribers"
	    " WHERE course_at IS NOT NULL AND lessons_sent >= ?");
	int err = 0;

	if (st)
		sqlite3_bind_int(st, 1, ndays);
	return count_one(db, st, "status", &err);
}

size_t
store_runs_latest(struct db *db, struct store_run *runs, size_t max)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, started_at, finished_at,"
	    " sent, retried, failed, suppressed, outcome, dry_run, pid"
	    " FROM runs ORDER BY id DESC LIMIT ?");
	size_t n = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	while (n < max && db_step(db, st, "status runs") == SQLITE_ROW) {
		struct store_run *r = &runs[n++];

		r->id = sqlite3_column_int64(st, 0);
		r->started = (time_t)sqlite3_column_int64(st, 1);
		r->finished = (time_t)sqlite3_column_int64(st, 2);
		r->unfinished = sqlite3_column_type(st, 2) == SQLITE_NULL;
		r->sent = (long)sqlite3_column_int64(st, 3);
		r->retry = (long)sqlite3_column_int64(st, 4);
		r->failed = (long)sqlite3_column_int64(st, 5);
		r->suppressed = (long)sqlite3_column_int64(st, 6);
		r->outcome = db_column_strdup(st, 7);
		r->dry_run = sqlite3_column_int(st, 8);
		r->pid = (long)sqlite3_column_int64(st, 9);
	}
	sqlite3_reset(st);
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
	sqlite3_stmt *st = db_stmt(db, "SELECT coalesce(sum(state = 'sent'),"
	    " 0), coalesce(sum(state = 'retry'), 0), coalesce(sum(state ="
	    " 'failed'), 0) FROM deliveries WHERE run_id = ?");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step(db, st, "status unfinished run");
	if (rc == SQLITE_ROW) {
		n->sent = (long)sqlite3_column_int64(st, 0);
		n->retry = (long)sqlite3_column_int64(st, 1);
		n->failed = (long)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc < 0 ? rc : ERR_FAIL;
}

int
store_count_stopped(struct db *db, struct store_stopped **rows, size_t *n)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT s.status, (SELECT d.message"
	    " FROM deliveries d WHERE d.subscriber_id = s.id AND"
	    " (d.state = 'sent' OR d.state = 'failed') ORDER BY"
	    " coalesce(d.sent_at, d.updated_at) DESC, d.id DESC LIMIT 1),"
	    " count(*) FROM subscribers s WHERE s.status = 'bounced' OR"
	    " s.status = 'complained' OR s.status = 'unsubscribed'"
	    " GROUP BY 1, 2");
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	if (st == NULL)
		return ERR_FAIL;
	while ((rc = db_step(db, st, "status stopped")) == SQLITE_ROW) {
		struct store_stopped *r;

		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*rows = xreallocarray(*rows, cap, sizeof(**rows));
		}
		r = &(*rows)[(*n)++];
		(void)snprintf(r->status, sizeof(r->status), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		r->message = db_column_strdup(st, 1);
		r->n = (long)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
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
	sqlite3_stmt *st = db_stmt(db, series_sql[which].sql);
	size_t cap = 0;
	int rc;

	*slices = NULL;
	*n = 0;
	if (st == NULL)
		return ERR_FAIL;
	if (series_sql[which].bind)
		sqlite3_bind_text(st, 1, series_sql[which].bind, -1,
		    SQLITE_STATIC);
	while ((rc = db_step(db, st, "status series")) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*slices = xreallocarray(*slices, cap,
			    sizeof(**slices));
		}
		(*slices)[*n].at = (time_t)(sqlite3_column_int64(st, 0) *
		    STORE_SLICE);
		(*slices)[(*n)++].n = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}

/* One count(*) over [since, now]; ERR_* (logged) on failure. */
static long
count_range(struct db *db, sqlite3_stmt *st, time_t since, time_t now)
{
	long n;
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	rc = db_step(db, st, "guard count");
	n = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) :
	    (rc < 0 ? rc : ERR_FAIL);
	sqlite3_reset(st);
	return n;
}

int
store_guard_window(struct db *db, time_t since, time_t now,
    struct store_guard_window *w)
{
	w->sent = count_range(db, db_stmt(db, "SELECT count(*) FROM"
	    " deliveries WHERE sent_at >= ? AND sent_at <= ?"), since, now);
	w->refused = count_range(db, db_stmt(db, "SELECT count(*) FROM events"
	    " WHERE kind = 'bounce_hard' AND at >= ? AND at <= ?"
	    " AND source = 'smtp'"), since, now);
	w->bounces = count_range(db, db_stmt(db, "SELECT count(*) FROM events"
	    " WHERE kind = 'bounce_hard' AND at >= ? AND at <= ?"),
	    since, now);
	w->complaints = count_range(db, db_stmt(db, "SELECT count(*) FROM"
	    " events WHERE kind = 'complaint' AND at >= ? AND at <= ?"),
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
latest(struct db *db, sqlite3_stmt *st, time_t now, time_t *at, char *text,
    size_t size)
{
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	rc = db_step(db, st, "guard state");
	if (rc == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(st, 1);

		*at = (time_t)sqlite3_column_int64(st, 0);
		(void)snprintf(text, size, "%s", s ? (const char *)s : "");
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : (rc < 0 ? rc : 0);
}

int
store_runs_last_pause(struct db *db, time_t now, time_t *at, char *reason,
    size_t size)
{
	return latest(db, db_stmt(db, "SELECT at, detail FROM events"
	    " WHERE kind = 'runs_paused' AND at <= ?"
	    " ORDER BY at DESC, id DESC LIMIT 1"), now, at, reason, size);
}

int
store_runs_last_resume(struct db *db, time_t now, time_t *at, char *who,
    size_t size)
{
	return latest(db, db_stmt(db, "SELECT at, source FROM events"
	    " WHERE kind = 'runs_resumed' AND at <= ?"
	    " ORDER BY at DESC, id DESC LIMIT 1"), now, at, who, size);
}

int
store_runs_last_report(struct db *db, time_t now, time_t *at)
{
	char none[1];

	return latest(db, db_stmt(db, "SELECT at, NULL FROM events"
	    " WHERE kind = 'pause_reported' AND at <= ?"
	    " ORDER BY at DESC, id DESC LIMIT 1"), now, at, none,
	    sizeof(none));
}

int
store_runs_reported(struct db *db, time_t now)
{
	return db_event(db, 0, now, "pause_reported", NULL, "run", NULL,
	    NULL);
}

int
store_runs_pause(struct db *db, time_t now, const char *reason)
{
	return db_event(db, 0, now, "runs_paused", NULL, "run", NULL,
	    reason);
}

int
store_runs_resume(struct db *db, time_t now, const char *who,
    const char *detail)
{
	return db_event(db, 0, now, "runs_resumed", NULL, who, NULL, detail);
}

int
store_count_sent_since(struct db *db, time_t midnight, time_t *first_sent,
    long *n)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT min(sent_at),"
	    " coalesce(sum(sent_at >= ?), 0) FROM deliveries"
	    " WHERE state = 'sent'");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)midnight);
	rc = db_step(db, st, "count sent today");
	if (rc == SQLITE_ROW) {
		*first_sent = (time_t)sqlite3_column_int64(st, 0);
		*n = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc < 0 ? rc : ERR_FAIL;
}

int
store_sent_recipients(struct db *db, time_t since,
    void (*each)(const char *address, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT s.email FROM deliveries d"
	    " JOIN subscribers s ON s.id = d.subscriber_id"
	    " WHERE d.state = 'sent' AND d.sent_at > ?");
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	while ((rc = db_step(db, st, "count sent per domain")) == SQLITE_ROW)
		each((const char *)sqlite3_column_text(st, 0), arg);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}
