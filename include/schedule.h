/*
 * schedule.h - when each lesson and notification is due.  Pure functions of
 * the settings, the subscriber's progress and a time: no database, no clock.
 *
 * sched_due() is the one rule; import, `subscribers add`, run (planning,
 * sending, recording), `run --dry-run` and status all ask it.
 *
 * Lessons:
 * - Day 1 is due at enrolment ([schedule] first_lesson = immediate) or at
 *   the first local send_hour:00 at or after it (send_hour).  Someone who
 *   came from the waitlist gets Day 1 at the first local send_hour:00
 *   after the launch notification reached them (never in its minute).
 * - Day N+1 is due at send_hour:00 local on the local calendar day after
 *   the day Day N was actually sent (progress counts a lesson that failed
 *   for good too, so the course goes on).
 * - A lesson goes out only inside the local window [send_hour,
 *   send_hour + window_hours); one due outside it waits for the next
 *   window, so no subscriber gets two lessons on one local day.
 *
 * Notifications (Send-At), to members of the waitlist:
 * - Each goes out at the first moment at or after its Send-At (or after
 *   the member joined, when later) that is inside the member's window;
 *   [launch] notify_at = exact sends at that moment whatever the hour.
 * - Never once the next notification's Send-At has passed.
 * - Someone who joined after the Send-At gets it only within [launch]
 *   late_limit of the Send-At; the others within late_limit of their own
 *   moment (a cron outage).
 *
 * Times are Unix seconds.  A subscriber's zone is a tz.h handle
 * (sched_zone(): read from the zone's file the first time in the
 * process), NULL meaning [schedule] timezone.  Pure and thread-safe: the
 * local-time arithmetic is on the handle, and nothing switches TZ.
 */
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include <time.h>

#include "config.h"
#include "tz.h"

struct course;
struct lesson;

struct sched_sub {
	const struct tz	*zone;		/* sched_zone(); NULL: [schedule]
					   timezone */
	time_t		 course_at;	/* enrolment, 0 not (yet) enrolled */
	time_t		 last_sent_at;	/* when the last lesson went, 0 none */
	int		 lessons_sent;	/* progress: lessons done */
	time_t		 waitlist_at;	/* joined the waitlist, 0 never */
};

struct sched_msg {
	int		 day;		/* lesson day 1..n, 0 a notification */
	time_t		 at;		/* notification: its Send-At, 0 unset */
	time_t		 next_at;	/* the next notification's, 0 none */
};

/*
 * The first moment at or after now at which msg may go to s: now means
 * "send it now"; 0 means never (the lesson is done or an earlier one comes
 * first, the notification is stale, too late or not for s).  A member of
 * the waitlist not enrolled yet is taken as enrolled at the launch when
 * [launch] enroll_waitlist is on (so Day 1 can be named in advance).
 */
time_t	 sched_due(const struct config *, const struct sched_sub *,
	    const struct sched_msg *, time_t now);

/*
 * 1 while notification msg may still be due to someone (sched_due() can
 * return now for some member), 0 before its Send-At and once it cannot.
 */
int	 sched_notice_open(const struct config *, const struct sched_msg *,
	    time_t now);

/* The sched_msg of a lesson or notification of the course. */
void	 sched_msg_of(const struct course *, const struct lesson *,
	    struct sched_msg *);

/*
 * A subscriber's zone as the handle the functions here take: the zone
 * called name, [schedule] timezone when name is NULL or "", UTC when name
 * is not a zone.  Read once per process (tz_open()).
 */
const struct tz	*sched_zone(const struct config *, const char *name);

/* 1 when t falls inside zone's local sending window, else 0 (zone NULL:
 * [schedule] timezone, as for the three below). */
int	 sched_in_window(const struct config *, const struct tz *zone,
	    time_t t);

/* t when it is inside the window, else the start of the next window. */
time_t	 sched_window_next(const struct config *, const struct tz *zone,
	    time_t t);

/* The first local send_hour:00 strictly after t. */
time_t	 sched_send_hour_after(const struct config *, const struct tz *zone,
	    time_t t);

#endif
