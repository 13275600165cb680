/*
 * steer.h - steer one subscriber: pause and resume their lessons, send one
 * lesson again, restart the course, resubscribe someone who stopped.
 *
 * Nothing here sends: each operation changes the subscriber and their
 * deliveries so that the next `run` does the rest, as for every other
 * mail.  The schedule stays sched_due()'s, and who the run plans mail for
 * is SUB_MAILABLE_SQL (store_sql.c): a paused subscriber is left out of
 * planning, and their pending deliveries are held (next_attempt_at NULL)
 * until resumed.  Each operation logs one event (source "cli"): paused,
 * resumed, resend (message = the lesson), restarted, resubscribed
 * (detail = the consent given).  Call each inside a transaction.
 */
#ifndef STEER_H
#define STEER_H

#include <stdint.h>
#include <time.h>

#include "config.h"

struct db;

/* What the operations need to know of a subscriber. */
struct steer_sub {
	int64_t		 id;
	char		 status[16];
	char		*tz;		/* NULL: [schedule] timezone */
	time_t		 paused_at;	/* 0 not paused */
	time_t		 course_at, waitlist_at, last_sent_at;
	int		 lessons_sent;
	int		 course_copy;
};

enum steer_op {
	STEER_PAUSE,
	STEER_RESUME,
	STEER_RESEND,
	STEER_RESTART,
	STEER_RESUBSCRIBE,
};

/* Read the subscriber with this address: 1, 0 when none, or ERR_*. */
int	 steer_find(struct db *, const char *email, struct steer_sub *);
void	 steer_sub_release(struct steer_sub *);

/*
 * Why op cannot be done for s, as a static phrase ("they complained:
 * ..."), or NULL when it can.  The one rule for who may be steered how:
 * pause, restart and resend need an active subscriber (resend and restart
 * a completed one too; restart one on the course), resubscribe one who
 * unsubscribed or bounced, never one who complained.
 */
const char *steer_refusal(enum steer_op op, const struct steer_sub *s);

/*
 * 1 when op would change nothing for s (already paused, not paused,
 * already active), else 0.  Checked after steer_refusal().
 */
int	 steer_no_change(enum steer_op op, const struct steer_sub *s);

/*
 * Pause: no lesson is planned, pending deliveries are held.  Resume: the
 * held ones are due at the next moment inside the subscriber's window,
 * and the next lesson is planned by sched_due() from where the course
 * stopped (*next: when, 0 when the run will plan it).  0 or ERR_*.
 */
int	 steer_pause(struct db *, const struct steer_sub *, time_t now);
int	 steer_resume(struct db *, const struct config *,
	    const struct steer_sub *, time_t now, time_t *next);

/*
 * Queue message (a lesson or notification of the course) for s once
 * more, as a new delivery with its own copy number (and so its own
 * Message-ID), due at the next moment inside s's window (*at), or held
 * while s is paused (*at = 0).  The course's progress does not move.
 * 0 or ERR_*.
 */
int	 steer_resend(struct db *, const struct config *,
	    const struct steer_sub *, const char *message, time_t now,
	    time_t *at);

/*
 * The course from Day 1: a new copy for its deliveries, no lesson done,
 * enrolled now, active and not paused; the old round's pending lessons
 * are dropped (failed, "the course was restarted").  The deliveries sent
 * and the events stay.  *day1: when Day 1 is due.  0 or ERR_*.
 */
int	 steer_restart(struct db *, const struct config *,
	    const struct steer_sub *, time_t now, time_t *day1);

/*
 * Active again, after an unsubscribe or a bounce, on the evidence of
 * consent (kept as the event's detail): not paused, the address off the
 * suppression list, the course goes on where it stopped, with a new copy
 * (the lesson they missed goes as a new message).  0 or ERR_*.
 */
int	 steer_resubscribe(struct db *, const struct steer_sub *,
	    const char *email, const char *consent, time_t now);

#endif
