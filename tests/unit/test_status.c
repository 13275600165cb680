/*
 * test_status.c - the time series behind `dripmail report`: days of the
 * course's zone, gaps filled with zero, running totals, the cap on days.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "db.h"
#include "dripmail.h"
#include "status.h"

#define DAY	86400
#define D0	1796083200	/* 2026-12-01T00:00:00Z */

struct fixture {
	char		 path[32];
	struct db	 db;
	struct config	 cfg;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/test_status.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	unlink(f->path);	/* a file of 0 bytes is refused: let it create */
	assert_int_equal(db_open(&f->db, f->path, NULL), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char wal[48];

	db_close(&f->db);
	unlink(f->path);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", f->path);
	unlink(wal);
	free(f);
	return 0;
}

static void
exec(struct fixture *f, const char *sql)
{
	if (db_exec(&f->db, sql) < 0)
		fail_msg("%s", sql);
}

/* Subscriber id with status, waitlist and course times (0: NULL). */
static void
add_sub(struct fixture *f, int id, const char *status, long wait,
    long course, long status_at)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO subscribers (id, email,"
	    " status, signed_up_at, waitlist_at, course_at, status_at,"
	    " created_at, updated_at) VALUES (%d, 's%d@x.org', '%s', 0,"
	    " nullif(%ld, 0), nullif(%ld, 0), nullif(%ld, 0), 0, 0)", id, id,
	    status, wait, course, status_at);
	exec(f, sql);
}

static void
add_sent(struct fixture *f, int sub, const char *msg, long at)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO deliveries (subscriber_id,"
	    " message, state, due_at, sent_at, created_at, updated_at)"
	    " VALUES (%d, '%s', 'sent', %ld, %ld, 0, 0)", sub, msg, at, at);
	exec(f, sql);
}

static json_int_t
at(json_t *ser, const char *key, size_t i)
{
	return json_integer_value(json_array_get(json_object_get(
	    json_object_get(ser, "series"), key), i));
}

static void
test_days(void **state)
{
	struct fixture *f = *state;
	json_t *s, *days;

	f->cfg.launch_at = D0 + 2 * DAY + 9 * 3600;
	add_sub(f, 1, "completed", D0 + 100, D0 + 2 * DAY + 9 * 3600, 0);
	add_sub(f, 2, "bounced", D0 + DAY + 5, D0 + 2 * DAY + 9 * 3600,
	    D0 + 4 * DAY + 60);
	add_sub(f, 3, "unsubscribed", D0 + DAY + 7, 0, D0 + 4 * DAY + 70);
	add_sent(f, 1, "day1", D0 + 3 * DAY + 9 * 3600);
	add_sent(f, 2, "day1", D0 + 3 * DAY + 10 * 3600);
	add_sent(f, 1, "day2", D0 + 4 * DAY + 9 * 3600);
	/* now is the 6th: days 1st..6th, gaps filled */
	s = status_series(&f->db, &f->cfg, D0 + 5 * DAY + 3600);
	days = json_object_get(s, "days");
	assert_int_equal(json_array_size(days), 6);
	assert_string_equal(json_string_value(json_array_get(days, 0)),
	    "2026-12-01");
	assert_string_equal(json_string_value(json_array_get(days, 5)),
	    "2026-12-06");
	assert_string_equal(json_string_value(json_object_get(s, "launch")),
	    "2026-12-03T09:00:00Z");
	assert_int_equal(at(s, "sent", 2), 0);
	assert_int_equal(at(s, "sent", 3), 2);
	assert_int_equal(at(s, "sent", 4), 1);
	assert_int_equal(at(s, "bounced", 4), 1);
	assert_int_equal(at(s, "unsubscribed", 4), 1);
	assert_int_equal(at(s, "complained", 4), 0);
	/* running totals: 1 on the 1st, 3 from the 2nd; the course at 2 */
	assert_int_equal(at(s, "waitlist", 0), 1);
	assert_int_equal(at(s, "waitlist", 1), 3);
	assert_int_equal(at(s, "waitlist", 5), 3);
	assert_int_equal(at(s, "enrolled", 1), 0);
	assert_int_equal(at(s, "enrolled", 2), 2);
	json_decref(s);
}

static void
test_cap(void **state)
{
	struct fixture *f = *state;
	long now = D0 + 400L * DAY;
	json_t *s;

	/* two years back: the series keeps the last STATUS_SERIES_DAYS */
	add_sub(f, 1, "active", D0, 0, 0);
	add_sub(f, 2, "active", D0 + 300L * DAY, 0, 0);
	add_sent(f, 1, "day1", D0);
	s = status_series(&f->db, &f->cfg, now);
	assert_int_equal(json_array_size(json_object_get(s, "days")),
	    STATUS_SERIES_DAYS);
	/* the first waitlist member is before the window: still counted */
	assert_int_equal(at(s, "waitlist", 0), 1);
	assert_int_equal(at(s, "waitlist", STATUS_SERIES_DAYS - 1), 2);
	assert_true(json_is_null(json_object_get(s, "launch")));
	json_decref(s);
}

static void
test_zone(void **state)
{
	struct fixture *f = *state;
	json_t *s, *days;

	/* Kolkata is UTC+5:30: its midnight is 18:30 UTC the day before */
	f->cfg.timezone = (char *)"Asia/Kolkata";
	f->cfg.launch_at = D0 - 5 * 3600 - 1800;	/* 00:00 on the 1st */
	add_sub(f, 1, "active", D0 - 5 * 3600 - 1801, 0, 0);
	add_sent(f, 1, "day1", D0 - 5 * 3600 - 1800);
	add_sent(f, 1, "day2", D0 + 18 * 3600 + 1799);
	add_sent(f, 1, "day3", D0 + 18 * 3600 + 1800);
	s = status_series(&f->db, &f->cfg, D0 + 18 * 3600 + 1800);
	days = json_object_get(s, "days");
	assert_string_equal(json_string_value(json_object_get(s,
	    "timezone")), "Asia/Kolkata");
	assert_int_equal(json_array_size(days), 3);
	assert_string_equal(json_string_value(json_array_get(days, 0)),
	    "2026-11-30");
	assert_string_equal(json_string_value(json_object_get(s,
	    "launch_day")), "2026-12-01");
	assert_int_equal(at(s, "waitlist", 0), 1);
	assert_int_equal(at(s, "sent", 0), 0);
	assert_int_equal(at(s, "sent", 1), 2);	/* 00:00 and 23:59:59 */
	assert_int_equal(at(s, "sent", 2), 1);
	json_decref(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
