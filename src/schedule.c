/*
 * schedule.c - due times for lessons and notifications, in the subscriber's
 * local time.  Every function takes the subscriber's zone as a tz.h
 * handle (sched_zone() resolves a name once): no state here and no TZ, so
 * safe from any thread.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "render.h"
#include "schedule.h"
#include "tz.h"

const struct tz *
sched_zone(const struct config *cfg, const char *name)
{
	const struct tz *z = tz_open(name && *name ? name : cfg->timezone);

	return z ? z : tz_utc();
}

/* The handle a caller passed, or [schedule] timezone's for NULL. */
static const struct tz *
zone(const struct config *cfg, const struct tz *z)
{
	return z ? z : sched_zone(cfg, NULL);
}

/*
 * Local hour:00 on the local calendar day `days` after t's local day.
 * hour may be 0..47: 24 and above fall on the following day.
 */
static time_t
local_at(const struct tz *tz, time_t t, int days, int hour)
{
	struct tm tm, day;
	time_t noon;

	if (tz_to_local(tz, t, &tm) < 0)
		return t;
	days += hour / 24;
	hour %= 24;
	/* Calendar arithmetic on a UTC noon, where every day has 24 h. */
	memset(&day, 0, sizeof(day));
	day.tm_year = tm.tm_year;
	day.tm_mon = tm.tm_mon;
	day.tm_mday = tm.tm_mday;
	day.tm_hour = 12;
	noon = timegm(&day) + (time_t)days * 86400;
	gmtime_r(&noon, &day);
	day.tm_hour = hour;
	day.tm_min = 0;
	day.tm_sec = 0;
	return tz_from_local(tz, &day);
}

static int
in_window(const struct config *cfg, const struct tz *tz, time_t t)
{
	int end = cfg->send_hour + cfg->window_hours;

	/* The window that began today, or yesterday's running past midnight. */
	for (int k = -1; k <= 0; k++) {
		time_t s = local_at(tz, t, k, cfg->send_hour);
		time_t e = local_at(tz, t, k, end);

		if (s <= t && t < e)
			return 1;
	}
	return 0;
}

static time_t
send_hour_after(const struct config *cfg, const struct tz *tz, time_t t)
{
	for (int k = 0; k <= 2; k++) {
		time_t s = local_at(tz, t, k, cfg->send_hour);

		if (s > t)
			return s;
	}
	return t + 86400;	/* not reached */
}

static time_t
window_next(const struct config *cfg, const struct tz *tz, time_t t)
{
	if (in_window(cfg, tz, t))
		return t;
	return send_hour_after(cfg, tz, t);
}

int
sched_in_window(const struct config *cfg, const struct tz *tz, time_t t)
{
	return in_window(cfg, zone(cfg, tz), t);
}

time_t
sched_send_hour_after(const struct config *cfg, const struct tz *tz,
    time_t t)
{
	return send_hour_after(cfg, zone(cfg, tz), t);
}

time_t
sched_window_next(const struct config *cfg, const struct tz *tz, time_t t)
{
	return window_next(cfg, zone(cfg, tz), t);
}

/* The first local send_hour:00 at or after t. */
static time_t
send_hour_from(const struct config *cfg, const struct tz *tz, time_t t)
{
	return send_hour_after(cfg, tz, t - 1);
}

/* When a notification due at `at` reaches s (window or exact). */
static time_t
notice_moment(const struct config *cfg, const struct tz *tz, time_t at)
{
	return cfg->notify_at == NOTIFY_EXACT ? at :
	    window_next(cfg, tz, at);
}

/* Enrolment, or the predicted one of a waitlist member; 0 none. */
static time_t
enrolled_at(const struct config *cfg, const struct sched_sub *s)
{
	if (s->course_at)
		return s->course_at;
	if (s->waitlist_at && cfg->launch_at && cfg->enroll_waitlist)
		return s->waitlist_at > cfg->launch_at ? s->waitlist_at :
		    cfg->launch_at;
	return 0;
}

/* When lesson `day` is due before the window is applied; 0 never. */
static time_t
lesson_at(const struct config *cfg, const struct tz *tz,
    const struct sched_sub *s, int day)
{
	time_t course_at;

	if (day <= s->lessons_sent || day > s->lessons_sent + 1)
		return 0;
	if (day > 1)
		return local_at(tz, s->last_sent_at, 1, cfg->send_hour);
	if ((course_at = enrolled_at(cfg, s)) == 0)
		return 0;
	if (s->waitlist_at)
		return send_hour_after(cfg, tz,
		    notice_moment(cfg, tz, course_at));
	if (cfg->first_lesson == FIRST_IMMEDIATE)
		return course_at;
	return send_hour_from(cfg, tz, course_at);
}

/* When notification msg reaches s; 0 never. */
static time_t
notice_at(const struct config *cfg, const struct tz *tz,
    const struct sched_sub *s, const struct sched_msg *msg, time_t now)
{
	time_t from, m, limit, t;

	if (msg->at == 0 || s->waitlist_at == 0)
		return 0;
	from = s->waitlist_at > msg->at ? s->waitlist_at : msg->at;
	m = notice_moment(cfg, tz, from);
	/* Newly eligible: within late_limit of the Send-At itself. */
	limit = (s->waitlist_at > msg->at ? msg->at : m) + cfg->launch_late;
	t = notice_moment(cfg, tz, m > now ? m : now);
	if (t > limit || (msg->next_at && t >= msg->next_at))
		return 0;
	return t;
}

time_t
sched_due(const struct config *cfg, const struct sched_sub *s,
    const struct sched_msg *msg, time_t now)
{
	const struct tz *tz = zone(cfg, s->zone);
	time_t t;

	if (msg->day == 0)
		return notice_at(cfg, tz, s, msg, now);
	if ((t = lesson_at(cfg, tz, s, msg->day)) == 0)
		return 0;
	return window_next(cfg, tz, t > now ? t : now);
}

int
sched_notice_open(const struct config *cfg, const struct sched_msg *msg,
    time_t now)
{
	/* A window opens within a day (25 h across a DST change). */
	return msg->at && msg->at <= now && (msg->next_at == 0 ||
	    now < msg->next_at) && now <= msg->at + 25 * 3600 +
	    cfg->launch_late;
}

void
sched_msg_of(const struct course *c, const struct lesson *l,
    struct sched_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
	if (l->kind == SEND_DAY) {
		msg->day = l->day;
		return;
	}
	msg->at = l->at;
	/* Notices are in send order; the next one later than this. */
	for (int i = 0; i < course_nnotices(c); i++) {
		const struct lesson *n = course_notice(c, i);

		if (n->at > l->at && (msg->next_at == 0 || n->at < msg->next_at))
			msg->next_at = n->at;
	}
}
