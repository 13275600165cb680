/*
 * steer.c - pause, resume, resend, restart and resubscribe one subscriber
 * (see steer.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dripmail.h"
#include "schedule.h"
#include "steer.h"
#include "store.h"
#include "subscriber.h"

#define REASON_RESTARTED	"not sent: the course was restarted"

int
steer_find(struct db *db, const char *email, struct steer_sub *s)
{
	struct store_sub sub;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = store_sub_get(db, email, &sub)) <= 0)
		return rc;
	s->id = sub.id;
	(void)snprintf(s->status, sizeof(s->status), "%s",
	    store_status_name(sub.status));
	s->tz = sub.timezone;
	sub.timezone = NULL;
	s->paused_at = sub.paused_at;
	s->course_at = sub.course_at;
	s->waitlist_at = sub.waitlist_at;
	s->last_sent_at = sub.last_sent_at;
	s->lessons_sent = sub.progress;
	s->course_copy = sub.course_copy;
	store_sub_release(&sub);
	return 1;
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
	int ret;

	if ((ret = store_sub_pause(db, s->id, now)) < 0)
		return ret;
	return store_event(db, s->id, now, "paused", NULL, "cli", NULL, NULL);
}

/*
 * The held deliveries of s are due at the next moment inside s's window;
 * their retry time (retry_max_age) counts from now.
 */
static int
release_held(struct db *db, const struct config *cfg,
    const struct steer_sub *s, time_t now)
{
	return store_sub_release_held(db, s->id,
	    sched_window_next(cfg, sched_zone(cfg, s->tz), now), now);
}

int
steer_resume(struct db *db, const struct config *cfg,
    const struct steer_sub *s, time_t now, time_t *next)
{
	struct sched_sub ss = { sched_zone(cfg, s->tz), s->course_at,
	    s->last_sent_at,
	    s->lessons_sent, s->waitlist_at };
	struct sched_msg m = { s->lessons_sent + 1, 0, 0 };
	int ret;

	/* From where the course stopped: one lesson, on the next day due. */
	*next = s->course_at && strcmp(s->status, "active") == 0 ?
	    sched_due(cfg, &ss, &m, now) : 0;
	if ((ret = store_sub_resume(db, s->id, *next, now)) < 0 ||
	    (ret = release_held(db, cfg, s, now)) < 0)
		return ret;
	return store_event(db, s->id, now, "resumed", NULL, "cli", NULL, NULL);
}

int
steer_resend(struct db *db, const struct config *cfg,
    const struct steer_sub *s, const char *message, time_t now, time_t *at)
{
	char detail[32];
	int copy, ret;

	if ((copy = store_next_copy(db, s->id, s->course_copy)) < 0)
		return copy;
	*at = s->paused_at ? 0 : sched_window_next(cfg, sched_zone(cfg, s->tz),
	    now);
	if ((ret = store_delivery_add(db, s->id, message, copy, *at, now)) < 0)
		return ret;
	(void)snprintf(detail, sizeof(detail), "copy %d", copy);
	return store_event(db, s->id, now, "resend", message, "cli", NULL,
	    detail);
}

int
steer_restart(struct db *db, const struct config *cfg,
    const struct steer_sub *s, time_t now, time_t *day1)
{
	char detail[48];
	int copy, ret;

	if ((copy = store_next_copy(db, s->id, s->course_copy)) < 0)
		return copy;
	/* The old round's lessons still pending would move the new one. */
	if ((ret = store_round_drop(db, s->id, s->course_copy,
	    REASON_RESTARTED, now)) < 0)
		return ret;
	*day1 = subscriber_first_lesson_at(cfg, s->tz, s->waitlist_at, now);
	if ((ret = store_sub_restart(db, s->id, copy, *day1, now)) < 0 ||
	    (ret = release_held(db, cfg, s, now)) < 0)
		return ret;
	(void)snprintf(detail, sizeof(detail), "from Day 1 (copy %d)", copy);
	return store_event(db, s->id, now, "restarted", NULL, "cli", NULL,
	    detail);
}

int
steer_resubscribe(struct db *db, const struct steer_sub *s,
    const char *email, const char *consent, time_t now)
{
	char hash[SUB_HASH_LEN + 1];
	int copy, ret;

	/*
	 * A new copy: the lesson that was suppressed, or refused when they
	 * bounced, is a delivery of the old one, and goes again as a new
	 * message.  next_lesson_at NULL: the run plans it (sched_due).
	 */
	if ((copy = store_next_copy(db, s->id, s->course_copy)) < 0)
		return copy;
	if ((ret = store_sub_resubscribe(db, s->id, copy, now)) < 0)
		return ret;
	subscriber_hash(email, hash);
	if ((ret = store_suppression_lift(db, hash)) < 0)
		return ret;
	return store_event(db, s->id, now, "resubscribed", NULL, "cli", NULL,
	    consent);
}
