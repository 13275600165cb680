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
	struct sched_sub s = { tz, T("2026-01-01T00:00Z"), T(sent), 2 };
	char out[32];

	time_format_iso(sched_lesson_due(&cfg, &s, 5), out, sizeof(out));
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

static void
test_first_lesson(void **state)
{
	struct sched_sub s = { "Europe/London", 0, 0, 0 };

	(void)state;
	reset();
	s.course_at = T("2026-06-10T06:30Z");	/* 07:30 BST */
	assert_int_equal(sched_lesson_due(&cfg, &s, 5), s.course_at);
	cfg.first_lesson = FIRST_SEND_HOUR;
	assert_int_equal(sched_lesson_due(&cfg, &s, 5),
	    T("2026-06-10T07:00Z"));
	s.course_at = T("2026-06-10T07:00Z");	/* exactly 08:00 */
	assert_int_equal(sched_lesson_due(&cfg, &s, 5),
	    T("2026-06-10T07:00Z"));
	s.course_at = T("2026-06-10T08:00Z");	/* 09:00: tomorrow */
	assert_int_equal(sched_lesson_due(&cfg, &s, 5),
	    T("2026-06-11T07:00Z"));
	/* All five done: completed. */
	s.lessons_sent = 5;
	assert_int_equal(sched_lesson_due(&cfg, &s, 5), 0);
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
	assert_true(sched_in_window(&cfg, "Asia/Kolkata",
	    T("2026-06-10T02:30Z")));
	assert_false(sched_in_window(&cfg, "Asia/Kolkata",
	    T("2026-06-10T02:29Z")));
	assert_false(sched_in_window(&cfg, "Asia/Kolkata",
	    T("2026-06-10T14:30Z")));
	/* A window across midnight: 20:00-04:00. */
	cfg.send_hour = 20;
	cfg.window_hours = 8;
	assert_true(sched_in_window(&cfg, "UTC", T("2026-06-10T02:00Z")));
	assert_true(sched_in_window(&cfg, "UTC", T("2026-06-10T23:00Z")));
	assert_false(sched_in_window(&cfg, "UTC", T("2026-06-10T04:00Z")));
	assert_int_equal(sched_window_next(&cfg, "UTC", T("2026-06-10T05:00Z")),
	    T("2026-06-10T20:00Z"));
	/* The whole day. */
	cfg.send_hour = 0;
	cfg.window_hours = 24;
	assert_true(sched_in_window(&cfg, "Asia/Kolkata",
	    T("2026-06-10T18:29Z")));
}

static void
test_skipped_send_hour(void **state)
{
	struct sched_sub s = { "America/New_York", 0, 0, 1 };

	(void)state;
	reset();
	cfg.send_hour = 2;	/* 02:00 does not exist on 2026-03-08 */
	s.last_sent_at = T("2026-03-07T08:00Z");	/* 03:00 EST */
	assert_int_equal(sched_lesson_due(&cfg, &s, 5),
	    T("2026-03-08T07:00Z"));	/* 03:00 EDT */
	assert_true(sched_in_window(&cfg, s.tz, T("2026-03-08T07:00Z")));
}

static void
test_launch(void **state)
{
	(void)state;
	reset();
	/* Launch 09:00 London: Day 1 at the next send hour, not at once. */
	assert_int_equal(sched_launch_day1(&cfg, NULL, T("2026-12-01T09:00Z")),
	    T("2026-12-02T08:00Z"));
	assert_int_equal(sched_launch_day1(&cfg, "Asia/Kolkata",
	    T("2026-12-01T09:00Z")), T("2026-12-02T02:30Z"));
	assert_int_equal(sched_launch_day1(&cfg, "America/New_York",
	    T("2026-12-01T09:00Z")), T("2026-12-01T13:00Z"));
	/* Notifications: from their time until late_limit after it. */
	assert_false(sched_notice_open(&cfg, T("2026-12-01T09:00Z"),
	    T("2026-12-01T08:59Z")));
	assert_true(sched_notice_open(&cfg, T("2026-12-01T09:00Z"),
	    T("2026-12-01T09:00Z")));
	assert_true(sched_notice_open(&cfg, T("2026-12-01T09:00Z"),
	    T("2026-12-03T09:00Z")));
	assert_false(sched_notice_open(&cfg, T("2026-12-01T09:00Z"),
	    T("2026-12-03T09:01Z")));
}

/*
 * Cron every 5 minutes for twelve days, with a day of downtime: every
 * subscriber gets each lesson once, inside the window, on distinct and
 * increasing local days.
 */
static void
simulate(const char *tz, const char *enrol, int down_from, int down_to)
{
	struct sched_sub s = { tz, T(enrol), 0, 0 };
	time_t start = T("2026-03-05T00:00Z"), now, due;
	int days[6], i;
	struct tm tm;

	for (now = start; now < start + 12 * 86400; now += 300) {
		int hour = (int)((now - start) / 3600);

		if (now < s.course_at || (hour >= down_from && hour < down_to))
			continue;
		due = sched_lesson_due(&cfg, &s, 5);
		if (due == 0 || due > now || !sched_in_window(&cfg, tz, now))
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
		cmocka_unit_test(test_first_lesson),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_skipped_send_hour),
		cmocka_unit_test(test_launch),
		cmocka_unit_test(test_simulation),
	};

	return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
