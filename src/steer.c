/*
 * steer.c - pause, resume, resend, restart and resubscribe one subscriber
 * (see steer.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "dripmail.h"
#include "schedule.h"
#include "steer.h"
#include "subscriber.h"

#define REASON_RESTARTED	"not sent: the course was restarted"

int
steer_find(struct db *db, const char *email, struct steer_sub *s)
{
	sqlite3_stmt *st;
	int rc;

	memset(s, 0, sizeof(*s));
	st = db_stmt(db, "SELECT id, status, timezone, paused_at, course_at,"
	    " waitlist_at, last_sent_at, lessons_sent, course_copy"
	    " FROM subscribers WHERE email = ?");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
	rc = db_step(db, st, "find subscriber");
	if (rc == SQLITE_ROW) {
		s->id = sqlite3_column_int64(st, 0);
		(void)snprintf(s->status, sizeof(s->status), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		s->tz = db_column_strdup(st, 2);
		s->paused_at = (time_t)sqlite3_column_int64(st, 3);
		s->course_at = (time_t)sqlite3_column_int64(st, 4);
		s->waitlist_at = (time_t)sqlite3_column_int64(st, 5);
		s->last_sent_at = (time_t)sqlite3_column_int64(st, 6);
		s->lessons_sent = sqlite3_column_int(st, 7);
		s->course_copy = sqlite3_column_int(st, 8);
	}
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	return rc == SQLITE_ROW;
}

void
steer_sub_release(struct steer_sub *s)
{
	if (s == NULL)
		return;
	free(s->tz);
	s->tz = NULL;
}

const char *
steer_refusal(enum steer_op op, const struct steer_sub *s)
{
	int active = strcmp(s->status, "active") == 0;
	int completed = strcmp(s->status, "completed") == 0;

	if (op == STEER_RESUBSCRIBE) {
		if (strcmp(s->status, "complained") == 0)
			return "they complained (marked a message as spam): "
			    "a complaint cannot be undone with resubscribe";
		return NULL;
	}
	if (op == STEER_RESUME)
		return NULL;
	if (!active && !completed)
		return op == STEER_PAUSE ? "they get no mail (not active)" :
		    "they get no mail (not active): resubscribe them first";
	if (op == STEER_PAUSE && completed)
		return "they completed the course: nothing to pause";
	if (op == STEER_RESTART && s->course_at == 0)
		return "they are not on the course yet";
	return NULL;
}

int
steer_no_change(enum steer_op op, const struct steer_sub *s)
{
	switch (op) {
	case STEER_PAUSE:
		return s->paused_at != 0;
	case STEER_RESUME:
		return s->paused_at == 0;
	case STEER_RESUBSCRIBE:
		return strcmp(s->status, "active") == 0 ||
		    strcmp(s->status, "completed") == 0;
	default:
		return 0;
	}
}

int
steer_pause(struct db *db, const struct steer_sub *s, time_t now)
{
	sqlite3_stmt *st;
	int ret;

	st = db_stmt(db, "UPDATE subscribers SET paused_at = ?1,"
	    " next_lesson_at = NULL, updated_at = ?1 WHERE id = ?2");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, s->id);
	if ((ret = db_done(db, st, "pause subscriber")) < 0)
		return ret;
	/* Held: no run fetches a row whose next attempt is NULL. */
	st = db_stmt(db, "UPDATE deliveries SET next_attempt_at = NULL,"
	    " updated_at = ?1 WHERE subscriber_id = ?2"
	    " AND (state = 'due' OR state = 'retry')");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, s->id);
	if ((ret = db_done(db, st, "hold deliveries")) < 0)
		return ret;
	return db_event(db, s->id, now, "paused", NULL, "cli", NULL, NULL);
}

/*
 * The held deliveries of s are due at the next moment inside s's window;
 * their retry time (retry_max_age) counts from now.
 */
static int
release_held(struct db *db, const struct config *cfg,
    const struct steer_sub *s, time_t now)
{
	sqlite3_stmt *st;

	st = db_stmt(db, "UPDATE deliveries SET next_attempt_at = ?1,"
	    " due_at = ?2, updated_at = ?2 WHERE subscriber_id = ?3"
	    " AND (state = 'due' OR state = 'retry')"
	    " AND next_attempt_at IS NULL");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1,
	    (sqlite3_int64)sched_window_next(cfg, s->tz, now));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 3, s->id);
	return db_done(db, st, "release deliveries");
}

int
steer_resume(struct db *db, const struct config *cfg,
    const struct steer_sub *s, time_t now, time_t *next)
{
	struct sched_sub ss = { s->tz, s->course_at, s->last_sent_at,
	    s->lessons_sent, s->waitlist_at };
	struct sched_msg m = { s->lessons_sent + 1, 0, 0 };
	sqlite3_stmt *st;
	int ret;

	/* From where the course stopped: one lesson, on the next day due. */
	*next = s->course_at && strcmp(s->status, "active") == 0 ?
	    sched_due(cfg, &ss, &m, now) : 0;
	st = db_stmt(db, "UPDATE subscribers SET paused_at = NULL,"
	    " next_lesson_at = ?1, updated_at = ?2 WHERE id = ?3");
	if (st == NULL)
		return ERR_FAIL;
	db_bind_time(st, 1, *next);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 3, s->id);
	if ((ret = db_done(db, st, "resume subscriber")) < 0 ||
	    (ret = release_held(db, cfg, s, now)) < 0)
		return ret;
	return db_event(db, s->id, now, "resumed", NULL, "cli", NULL, NULL);
}

/* A copy number no delivery of s and no course round of s has used. */
static int
next_copy(struct db *db, const struct steer_sub *s, int *copy)
{
	sqlite3_stmt *st;
	int rc;

	st = db_stmt(db, "SELECT max(?1, coalesce(max(copy), 0)) + 1"
	    " FROM deliveries WHERE subscriber_id = ?2");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int(st, 1, s->course_copy);
	sqlite3_bind_int64(st, 2, s->id);
	rc = db_step(db, st, "next copy");
	if (rc == SQLITE_ROW)
		*copy = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc < 0 ? rc : ERR_FAIL;
}

int
steer_resend(struct db *db, const struct config *cfg,
    const struct steer_sub *s, const char *message, time_t now, time_t *at)
{
	sqlite3_stmt *st;
	char detail[32];
	int copy, ret;

	if ((ret = next_copy(db, s, &copy)) < 0)
		return ret;
	*at = s->paused_at ? 0 : sched_window_next(cfg, s->tz, now);
	st = db_stmt(db, "INSERT INTO deliveries (subscriber_id, message,"
	    " copy, state, due_at, next_attempt_at, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, 'due', ?4, ?5, ?4, ?4)");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, s->id);
	sqlite3_bind_text(st, 2, message, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, copy);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
	db_bind_time(st, 5, *at);
	if ((ret = db_done(db, st, "add resend")) < 0)
		return ret;
	(void)snprintf(detail, sizeof(detail), "copy %d", copy);
	return db_event(db, s->id, now, "resend", message, "cli", NULL,
	    detail);
}

int
steer_restart(struct db *db, const struct config *cfg,
    const struct steer_sub *s, time_t now, time_t *day1)
{
	sqlite3_stmt *st;
	char detail[48];
	int copy, ret;

	if ((ret = next_copy(db, s, &copy)) < 0)
		return ret;
	/* The old round's lessons still pending would move the new one. */
	st = db_stmt(db, "UPDATE deliveries SET state = 'failed',"
	    " next_attempt_at = NULL, smtp_reply = ?1, updated_at = ?2"
	    " WHERE subscriber_id = ?3 AND copy = ?4"
	    " AND (state = 'due' OR state = 'retry')");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_text(st, 1, REASON_RESTARTED, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 3, s->id);
	sqlite3_bind_int(st, 4, s->course_copy);
	if ((ret = db_done(db, st, "drop old round")) < 0)
		return ret;
	*day1 = subscriber_first_lesson_at(cfg, s->tz, s->waitlist_at, now);
	st = db_stmt(db, "UPDATE subscribers SET status = 'active',"
	    " status_at = CASE WHEN status = 'active' THEN status_at ELSE ?1"
	    " END, status_reason = CASE WHEN status = 'active' THEN"
	    " status_reason ELSE 'restarted' END, course_at = ?1,"
	    " lessons_sent = 0, course_copy = ?2, paused_at = NULL,"
	    " next_lesson_at = ?3, updated_at = ?1 WHERE id = ?4");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int(st, 2, copy);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)*day1);
	sqlite3_bind_int64(st, 4, s->id);
	if ((ret = db_done(db, st, "restart subscriber")) < 0 ||
	    (ret = release_held(db, cfg, s, now)) < 0)
		return ret;
	(void)snprintf(detail, sizeof(detail), "from Day 1 (copy %d)", copy);
	return db_event(db, s->id, now, "restarted", NULL, "cli", NULL,
	    detail);
}

int
steer_resubscribe(struct db *db, const struct steer_sub *s,
    const char *email, const char *consent, time_t now)
{
	char hash[SUB_HASH_LEN + 1];
	sqlite3_stmt *st;
	int copy, ret;

	/*
	 * A new copy: the lesson that was suppressed, or refused when they
	 * bounced, is a delivery of the old one, and goes again as a new
	 * message.  next_lesson_at NULL: the run plans it (sched_due).
	 */
	if ((ret = next_copy(db, s, &copy)) < 0)
		return ret;
	st = db_stmt(db, "UPDATE subscribers SET status = 'active',"
	    " status_at = ?1, status_reason = 'resubscribed',"
	    " paused_at = NULL, next_lesson_at = NULL, course_copy = ?3,"
	    " updated_at = ?1 WHERE id = ?2 AND (status = 'unsubscribed'"
	    " OR status = 'bounced')");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, s->id);
	sqlite3_bind_int(st, 3, copy);
	if ((ret = db_done(db, st, "resubscribe")) < 0)
		return ret;
	subscriber_hash(email, hash);
	st = db_stmt(db, "DELETE FROM suppressions WHERE hash = ?");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	if ((ret = db_done(db, st, "lift suppression")) < 0)
		return ret;
	return db_event(db, s->id, now, "resubscribed", NULL, "cli", NULL,
	    consent);
}
