/*
 * test_schedule.c - due times across zones, DST changes and windows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "dripmail.h"
#include "schedule.h"
#include "util.h"

static struct config cfg;

static void
reset(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.send_hour = 8;
	cfg.window_hours = 12;
	cfg.timezone = (char *)"Europe/London";
	cfg.first_lesson = FIRST_IMMEDIATE;
	cfg.launch_late = 48 * 3600;
}

static time_t
T(const char *iso)
{
	time_t t;

	if (time_parse_iso(iso, &t) < 0)
		fail_msg("bad time '%s'", iso);
	return t;
}

/* Day N+1 after Day N sent at `sent`, as an ISO string in UTC. */
static void
assert_next(const char *tz, const char *sent, const char *want)
{
	struct sched_sub s = { sched_zone(&cfg, tz), T("2026-01-01T00:00Z"),
	    T(sent), 2, 0 };
	struct sched_msg m = { 3, 0, 0 };
	char out[32];

	time_format_iso(sched_due(&cfg, &s, &m, T(sent)), out, sizeof(out));
	assert_string_equal(out, want);
}

static void
test_next_day_across_dst(void **state)
{
	(void)state;
	reset();
	/* London: BST starts 2026-03-29 01:00 UTC. */
	assert_next("Europe/London", "2026-03-27T10:00Z",
	    "2026-03-28T08:00:00Z");
	assert_next("Europe/London", "2026-03-28T08:05Z",
	    "2026-03-29T07:00:00Z");
	/* ... and ends 2026-10-25. */
	assert_next("Europe/London", "2026-10-24T07:00Z",
	    "2026-10-25T08:00:00Z");
	/* New York: EDT from 2026-03-08, EST from 2026-11-01. */
	assert_next("America/New_York", "2026-03-07T13:00Z",
	    "2026-03-08T12:00:00Z");
	assert_next("America/New_York", "2026-10-31T12:00Z",
	    "2026-11-01T13:00:00Z");
	/* Late evening local is still that local day, not the UTC one. */
	assert_next("America/New_York", "2026-06-10T03:30Z",
	    "2026-06-10T12:00:00Z");
	/* Kolkata, +05:30. */
	assert_next("Asia/Kolkata", "2026-03-10T03:00Z",
	    "2026-03-11T02:30:00Z");
	/* Auckland: NZDT (+13) ends 2026-04-05 03:00 local. */
	assert_next("Pacific/Auckland", "2026-04-03T19:00Z",
	    "2026-04-04T20:00:00Z");
	/* No zone: the default. */
	assert_next(NULL, "2026-06-10T10:00Z", "2026-06-11T07:00:00Z");
}

/*
 * The one rule, as a table: subscriber, message, now -> due (UTC), or ""
 * for never.  Defaults: send_hour 8, window 12 h, Europe/London, launch
 * 2026-12-01 09:00 UTC, late_limit 12 h, launch-2d and launch notices.
 */
struct due_case {
	const char	*what;
	const char	*tz;
	const char	*course_at, *last_sent_at, *waitlist_at;
	int		 lessons_sent;
	int		 day;		/* 0: a notification */
	const char	*at, *next_at;	/* notification */
	const char	*now;
	const char	*want;
	int		 first;		/* FIRST_* */
	int		 exact;		/* notify_at = exact */
};

#define L2D	"2026-11-29T09:00Z"
#define LAUNCH	"2026-12-01T09:00Z"

static const struct due_case due_cases[] = {
	/* Day 1, first_lesson = immediate: at enrolment, in the window. */
	{ "immediate, in window", "Europe/London", "2026-06-10T09:30Z", NULL,
	    NULL, 0, 1, NULL, NULL, "2026-06-10T09:30Z", "2026-06-10T09:30Z",
	    FIRST_IMMEDIATE, 0 },
	{ "immediate, at night: next window", "America/Los_Angeles",
	    "2026-06-10T09:30Z", NULL, NULL, 0, 1, NULL, NULL,
	    "2026-06-10T09:30Z", "2026-06-10T15:00Z", FIRST_IMMEDIATE, 0 },
	{ "immediate, due but window shut", "Asia/Kolkata",
	    "2026-06-10T03:00Z", NULL, NULL, 0, 1, NULL, NULL,
	    "2026-06-10T15:00Z", "2026-06-11T02:30Z", FIRST_IMMEDIATE, 0 },
	/* first_lesson = send_hour: the next send hour, even in the window
	 * (the bug: import stored "now" here, status said due now). */
	{ "send_hour, enrolled 09:30 BST", "Europe/London",
	    "2026-06-10T08:30Z", NULL, NULL, 0, 1, NULL, NULL,
	    "2026-06-10T08:30Z", "2026-06-11T07:00Z", FIRST_SEND_HOUR, 0 },
	{ "send_hour, enrolled at 08:00 sharp", "Europe/London",
	    "2026-06-10T07:00Z", NULL, NULL, 0, 1, NULL, NULL,
	    "2026-06-10T07:00Z", "2026-06-10T07:00Z", FIRST_SEND_HOUR, 0 },
	{ "send_hour, Auckland at 06:00 NZST", "Pacific/Auckland",
	    "2026-06-09T18:00Z", NULL, NULL, 0, 1, NULL, NULL,
	    "2026-06-09T18:00Z", "2026-06-09T20:00Z", FIRST_SEND_HOUR, 0 },
	/* Day N+1: the next local day's send hour, across DST. */
	{ "LA day 2 across spring forward", "America/Los_Angeles",
	    "2026-03-01T00:00Z", "2026-03-07T16:00Z", NULL, 1, 2, NULL, NULL,
	    "2026-03-07T16:00Z", "2026-03-08T15:00Z", FIRST_IMMEDIATE, 0 },
	{ "LA day 2 across fall back", "America/Los_Angeles",
	    "2026-10-01T00:00Z", "2026-10-31T15:00Z", NULL, 1, 2, NULL, NULL,
	    "2026-10-31T15:00Z", "2026-11-01T16:00Z", FIRST_IMMEDIATE, 0 },
	{ "Auckland day 3 as NZDT ends", "Pacific/Auckland",
	    "2026-04-01T00:00Z", "2026-04-04T19:00Z", NULL, 2, 3, NULL, NULL,
	    "2026-04-04T19:00Z", "2026-04-05T20:00Z", FIRST_IMMEDIATE, 0 },
	{ "Kolkata day 2, half-hour zone", "Asia/Kolkata",
	    "2026-03-01T00:00Z", "2026-03-10T03:00Z", NULL, 1, 2, NULL, NULL,
	    "2026-03-10T03:00Z", "2026-03-11T02:30Z", FIRST_IMMEDIATE, 0 },
	{ "already sent: never", "UTC", "2026-03-01T00:00Z",
	    "2026-03-10T09:00Z", NULL, 2, 2, NULL, NULL, "2026-03-10T09:00Z",
	    "", FIRST_IMMEDIATE, 0 },
	{ "an earlier lesson first: never", "UTC", "2026-03-01T00:00Z",
	    NULL, NULL, 0, 2, NULL, NULL, "2026-03-10T09:00Z", "",
	    FIRST_IMMEDIATE, 0 },
	/* Waitlist enrolled at launch: Day 1 after the notice's moment. */
	{ "launch, London: notice 09:00, Day 1 next morning", "Europe/London",
	    LAUNCH, NULL, "2026-11-01T00:00Z", 0, 1, NULL, NULL, LAUNCH,
	    "2026-12-02T08:00Z", FIRST_IMMEDIATE, 0 },
	{ "launch, LA: notice 08:00, Day 1 the day after", "America/Los_Angeles",
	    LAUNCH, NULL, "2026-11-01T00:00Z", 0, 1, NULL, NULL, LAUNCH,
	    "2026-12-02T16:00Z", FIRST_IMMEDIATE, 0 },
	{ "launch, LA, exact notices: Day 1 the same morning",
	    "America/Los_Angeles", LAUNCH, NULL, "2026-11-01T00:00Z", 0, 1,
	    NULL, NULL, LAUNCH, "2026-12-01T16:00Z", FIRST_IMMEDIATE, 1 },
	{ "launch, not enrolled yet: predicted", "Asia/Kolkata", NULL, NULL,
	    "2026-11-01T00:00Z", 0, 1, NULL, NULL, "2026-11-20T00:00Z",
	    "2026-12-02T02:30Z", FIRST_IMMEDIATE, 0 },
	/* Notifications in the member's window. */
	{ "launch-2d, London, in window", "Europe/London", NULL, NULL,
	    "2026-11-01T00:00Z", 0, 0, L2D, LAUNCH, L2D, L2D,
	    FIRST_IMMEDIATE, 0 },
	{ "launch, LA at 01:00: waits for 08:00", "America/Los_Angeles",
	    LAUNCH, NULL, "2026-11-01T00:00Z", 0, 0, LAUNCH, NULL, LAUNCH,
	    "2026-12-01T16:00Z", FIRST_IMMEDIATE, 0 },
	{ "launch, LA, exact", "America/Los_Angeles", LAUNCH, NULL,
	    "2026-11-01T00:00Z", 0, 0, LAUNCH, NULL, LAUNCH, LAUNCH,
	    FIRST_IMMEDIATE, 1 },
	{ "launch, Auckland 22:00: next morning", "Pacific/Auckland", LAUNCH,
	    NULL, "2026-11-01T00:00Z", 0, 0, LAUNCH, NULL, LAUNCH,
	    "2026-12-01T19:00Z", FIRST_IMMEDIATE, 0 },
	{ "launch, Kolkata 14:30", "Asia/Kolkata", LAUNCH, NULL,
	    "2026-11-01T00:00Z", 0, 0, LAUNCH, NULL, LAUNCH, LAUNCH,
	    FIRST_IMMEDIATE, 0 },
	{ "before Send-At: when", "UTC", NULL, NULL, "2026-11-01T00:00Z", 0,
	    0, L2D, LAUNCH, "2026-11-20T00:00Z", L2D, FIRST_IMMEDIATE, 0 },
	/* Stale: the next notification's Send-At has passed. */
	{ "launch-2d once launch has come", "UTC", NULL, NULL,
	    "2026-11-01T00:00Z", 0, 0, L2D, LAUNCH, LAUNCH, "",
	    FIRST_IMMEDIATE, 0 },
	{ "joined at launch: no launch-2d", "UTC", NULL, NULL, LAUNCH, 0, 0,
	    L2D, LAUNCH, LAUNCH, "", FIRST_IMMEDIATE, 0 },
	{ "joined at launch: launch", "UTC", NULL, NULL, LAUNCH, 0, 0,
	    LAUNCH, NULL, LAUNCH, LAUNCH, FIRST_IMMEDIATE, 0 },
	{ "LA would get launch-2d only after launch: never",
	    "America/Los_Angeles", NULL, NULL, "2026-12-01T08:00Z", 0, 0,
	    L2D, LAUNCH, "2026-12-01T08:00Z", "", FIRST_IMMEDIATE, 0 },
	/* Newly eligible: within late_limit (12 h) of Send-At. */
	{ "joined a day after launch-2d: never", "UTC", NULL, NULL,
	    "2026-11-30T09:00Z", 0, 0, L2D, LAUNCH, "2026-11-30T09:00Z", "",
	    FIRST_IMMEDIATE, 0 },
	{ "joined 10 h after launch-2d: yes", "UTC", NULL, NULL,
	    "2026-11-29T19:00Z", 0, 0, L2D, LAUNCH, "2026-11-29T19:00Z",
	    "2026-11-29T19:00Z", FIRST_IMMEDIATE, 0 },
	{ "joined 11 h after, at 20:00 UTC: window shut till past limit",
	    "UTC", NULL, NULL, "2026-11-29T20:00Z", 0, 0, L2D, LAUNCH,
	    "2026-11-29T20:00Z", "", FIRST_IMMEDIATE, 0 },
	{ "joined 11 h late, window shut beyond the limit", "Asia/Kolkata",
	    NULL, NULL, "2026-11-29T20:00Z", 0, 0, L2D, LAUNCH,
	    "2026-11-29T20:00Z", "", FIRST_IMMEDIATE, 0 },
	{ "member since before: a cron outage of 10 h is fine", "UTC", NULL,
	    NULL, "2026-11-01T00:00Z", 0, 0, L2D, LAUNCH,
	    "2026-11-29T19:00Z", "2026-11-29T19:00Z", FIRST_IMMEDIATE, 0 },
	{ "not on the waitlist: never", "UTC", "2026-11-01T00:00Z", NULL,
	    NULL, 0, 0, LAUNCH, NULL, LAUNCH, "", FIRST_IMMEDIATE, 0 },
};

static time_t
Topt(const char *iso)
{
	return iso ? T(iso) : 0;
}

static void
test_due_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(due_cases) / sizeof(due_cases[0]);
	    i++) {
		const struct due_case *c = &due_cases[i];
		struct sched_sub s = { sched_zone(&cfg, c->tz),
		    Topt(c->course_at),
		    Topt(c->last_sent_at), c->lessons_sent,
		    Topt(c->waitlist_at) };
		struct sched_msg m = { c->day, Topt(c->at), Topt(c->next_at) };
		time_t got;
		char a[32] = "", b[32] = "";

		reset();
		cfg.launch_at = T(LAUNCH);
		cfg.enroll_waitlist = 1;
		cfg.launch_late = 12 * 3600;
		cfg.first_lesson = c->first;
		cfg.notify_at = c->exact ? NOTIFY_EXACT : NOTIFY_WINDOW;
		got = sched_due(&cfg, &s, &m, T(c->now));
		if (got)
			time_format_iso(got, a, sizeof(a));
		if (c->want[0])
			time_format_iso(T(c->want), b, sizeof(b));
		if (strcmp(a, b) != 0)
			fail_msg("%s: got '%s', want '%s'", c->what, a, b);
	}
}

static void
test_window(void **state)
{
	(void)state;
	reset();
	/* London summer: window 08:00-20:00 BST = 07:00-19:00 UTC. */
	assert_true(sched_in_window(&cfg, NULL, T("2026-06-10T07:00Z")));
	assert_true(sched_in_window(&cfg, NULL, T("2026-06-10T18:59Z")));
	assert_false(sched_in_window(&cfg, NULL, T("2026-06-10T19:00Z")));
	assert_false(sched_in_window(&cfg, NULL, T("2026-06-10T06:59Z")));
	/* Missed its window: the next day's, not 3 a.m. */
	assert_int_equal(sched_window_next(&cfg, NULL, T("2026-06-10T20:00Z")),
	    T("2026-06-11T07:00Z"));
	assert_int_equal(sched_window_next(&cfg, NULL, T("2026-06-11T02:00Z")),
	    T("2026-06-11T07:00Z"));
	assert_int_equal(sched_window_next(&cfg, NULL, T("2026-06-11T09:00Z")),
	    T("2026-06-11T09:00Z"));
	/* Kolkata: 08:00-20:00 IST = 02:30-14:30 UTC. */
	assert_true(sched_in_window(&cfg, sched_zone(&cfg, "Asia/Kolkata"),
	    T("2026-06-10T02:30Z")));
	assert_false(sched_in_window(&cfg, sched_zone(&cfg, "Asia/Kolkata"),
	    T("2026-06-10T02:29Z")));
	assert_false(sched_in_window(&cfg, sched_zone(&cfg, "Asia/Kolkata"),
	    T("2026-06-10T14:30Z")));
	/* A window across midnight: 20:00-04:00. */
	cfg.send_hour = 20;
	cfg.window_hours = 8;
	assert_true(sched_in_window(&cfg, sched_zone(&cfg, "UTC"),
	    T("2026-06-10T02:00Z")));
	assert_true(sched_in_window(&cfg, sched_zone(&cfg, "UTC"),
	    T("2026-06-10T23:00Z")));
	assert_false(sched_in_window(&cfg, sched_zone(&cfg, "UTC"),
	    T("2026-06-10T04:00Z")));
	assert_int_equal(sched_window_next(&cfg, sched_zone(&cfg, "UTC"),
	    T("2026-06-10T05:00Z")),
	    T("2026-06-10T20:00Z"));
	/* The whole day. */
	cfg.send_hour = 0;
	cfg.window_hours = 24;
	assert_true(sched_in_window(&cfg, sched_zone(&cfg, "Asia/Kolkata"),
	    T("2026-06-10T18:29Z")));
}

static void
test_skipped_send_hour(void **state)
{
	struct sched_sub s = { NULL, 1, 0, 1, 0 };
	struct sched_msg m = { 2, 0, 0 };

	(void)state;
	reset();
	s.zone = sched_zone(&cfg, "America/New_York");
	cfg.send_hour = 2;	/* 02:00 does not exist on 2026-03-08 */
	s.last_sent_at = T("2026-03-07T08:00Z");	/* 03:00 EST */
	assert_int_equal(sched_due(&cfg, &s, &m, s.last_sent_at),
	    T("2026-03-08T07:00Z"));	/* 03:00 EDT */
	assert_true(sched_in_window(&cfg, s.zone, T("2026-03-08T07:00Z")));
}

static void
test_notice_open(void **state)
{
	struct sched_msg m = { 0, T(L2D), T(LAUNCH) };

	(void)state;
	reset();
	cfg.launch_late = 12 * 3600;
	assert_false(sched_notice_open(&cfg, &m, T(L2D) - 1));
	assert_true(sched_notice_open(&cfg, &m, T(L2D)));
	assert_false(sched_notice_open(&cfg, &m, T(LAUNCH)));
	m.next_at = 0;
	assert_true(sched_notice_open(&cfg, &m, T(L2D) + 37 * 3600));
	assert_false(sched_notice_open(&cfg, &m, T(L2D) + 37 * 3600 + 1));
}

/*
 * Cron every 5 minutes for twelve days, with a day of downtime: every
 * subscriber gets each lesson once, inside the window, on distinct and
 * increasing local days.
 */
static void
simulate(const char *tz, const char *enrol, int down_from, int down_to)
{
	struct sched_sub s = { sched_zone(&cfg, tz), T(enrol), 0, 0, 0 };
	time_t start = T("2026-03-05T00:00Z"), now, due;
	int days[6], i;
	struct tm tm;

	for (now = start; now < start + 12 * 86400; now += 300) {
		int hour = (int)((now - start) / 3600);

		if (now < s.course_at || (hour >= down_from && hour < down_to))
			continue;
		struct sched_msg m = { s.lessons_sent + 1, 0, 0 };

		if (m.day > 5 || (due = sched_due(&cfg, &s, &m, now)) != now)
			continue;
		tz_localtime(tz, now, &tm);
		assert_true(tm.tm_hour >= cfg.send_hour &&
		    tm.tm_hour < cfg.send_hour + cfg.window_hours);
		days[s.lessons_sent++] = tm.tm_yday;
		s.last_sent_at = now;
	}
	assert_int_equal(s.lessons_sent, 5);
	for (i = 1; i < 5; i++)
		assert_true(days[i] > days[i - 1]);
}

static void
test_simulation(void **state)
{
	(void)state;
	reset();
	simulate("America/New_York", "2026-03-05T03:00Z", 0, 0);
	simulate("America/New_York", "2026-03-05T03:00Z", 60, 100);
	simulate("Europe/London", "2026-03-05T21:00Z", 0, 0);
	simulate("Asia/Kolkata", "2026-03-05T10:00Z", 30, 75);
	simulate("Pacific/Auckland", "2026-03-05T10:00Z", 0, 0);
	cfg.first_lesson = FIRST_SEND_HOUR;
	simulate("Asia/Kolkata", "2026-03-05T10:00Z", 0, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_day_across_dst),
		cmocka_unit_test(test_due_table),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_skipped_send_hour),
		cmocka_unit_test(test_notice_open),
		cmocka_unit_test(test_simulation),
	};

	return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
