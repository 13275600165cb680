/*
 * schedule.h - when each lesson and notification is due.  Pure functions of
 * the settings, the subscriber's progress and a time: no database, no clock.
 *
 * Rules:
 * - Day 1 is due at enrolment ([schedule] first_lesson = immediate) or at
 *   the first local send_hour:00 at or after it (send_hour).
 * - Day N+1 is due at send_hour:00 local on the local calendar day after
 *   the day Day N was actually sent (progress counts a lesson that failed
 *   for good too, so the course goes on).
 * - A lesson goes out only inside the local window [send_hour,
 *   send_hour + window_hours); one due outside it waits for the next
 *   window, so no subscriber gets two lessons on one local day.
 * - Waitlist members enrolled at launch get Day 1 at the first local send
 *   hour after the launch, never in the launch notification's minute.
 * - A notification due at `at` goes to newly eligible members only while
 *   now - at <= [launch] late_limit.
 *
 * Times are Unix seconds; tz NULL or "" means [schedule] timezone.  Uses
 * tz_localtime/tz_mktime, so these are not thread-safe.
 */
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include <time.h>

#include "config.h"

struct sched_sub {
	const char	*tz;		/* IANA zone, NULL = default */
	time_t		 course_at;	/* enrolment */
	time_t		 last_sent_at;	/* when the last lesson went, 0 none */
	int		 lessons_sent;	/* progress: lessons done */
};

/*
 * When lesson lessons_sent + 1 is due (before the window is applied), or
 * 0 when all ndays lessons are done (the subscriber is completed).
 */
time_t	 sched_lesson_due(const struct config *, const struct sched_sub *,
	    int ndays);

/* 1 when t falls inside tz's local sending window, else 0. */
int	 sched_in_window(const struct config *, const char *tz, time_t t);

/* t when it is inside the window, else the start of the next window. */
time_t	 sched_window_next(const struct config *, const char *tz, time_t t);

/* The first local send_hour:00 strictly after t. */
time_t	 sched_send_hour_after(const struct config *, const char *tz,
	    time_t t);

/* Day 1 for a waitlist member enrolled at launch_at. */
time_t	 sched_launch_day1(const struct config *, const char *tz,
	    time_t launch_at);

/* 1 when a notification due at `at` may go to newly eligible members. */
int	 sched_notice_open(const struct config *, time_t at, time_t now);

#endif
