/*
 * test_store_counts.c - the store's read side (store.h, "Counts") against
 * a database in memory, opened and migrated by db_open(): a few rows
 * written here with SQL, then each count read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "dripmail.h"
#include "schedule.h"
#include "store.h"

#define NOW	1796083200	/* 2026-12-01T00:00:00Z */
#define HOUR	3600

static int
setup(void **state)
{
	struct db *db = calloc(1, sizeof(*db));

	assert_non_null(db);
	assert_int_equal(db_open(db, DB_MEMORY, NULL), 0);
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	db_close(*state);
	free(*state);
	return 0;
}

static void
exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) < 0)
		fail_msg("%s", sql);
}

/* Subscriber id: status, times (0: NULL), lessons done, paused. */
static void
sub(struct db *db, int id, const char *status, long wait, long course,
    int lessons, long next, int paused)
{
	char sql[512];

	(void)snprintf(sql, sizeof(sql), "INSERT INTO subscribers (id, email,"
	    " status, signed_up_at, waitlist_at, course_at, lessons_sent,"
	    " next_lesson_at, paused_at, created_at, updated_at) VALUES (%d,"
	    " 's%d@d%d.org', '%s', 0, nullif(%ld, 0), nullif(%ld, 0), %d,"
	    " nullif(%ld, 0), nullif(%d, 0), 0, 0)", id, id, id % 2, status,
	    wait, course, lessons, next, paused);
	exec(db, sql);
}

/* A delivery of msg to subscriber s in state, copy, times (0: NULL). */
static void
dlv(struct db *db, int s, const char *msg, const char *state, int copy,
    long next, long sent)
{
	char sql[512];

	(void)snprintf(sql, sizeof(sql), "INSERT INTO deliveries"
	    " (subscriber_id, message, copy, state, due_at, next_attempt_at,"
	    " sent_at, created_at, updated_at) VALUES (%d, '%s', %d, '%s', 0,"
	    " nullif(%ld, 0), nullif(%ld, 0), 0, %ld)", s, msg, copy, state,
	    next, sent, sent);
	exec(db, sql);
}

static void
test_subscribers(void **state)
{
	struct db *db = *state;
	struct store_sub_counts n;

	sub(db, 1, "active", NOW, NOW, 0, 0, 0);
	sub(db, 2, "active", NOW, 0, 0, 0, 1);
	sub(db, 3, "completed", 0, NOW, 3, 0, 0);
	sub(db, 4, "bounced", NOW, 0, 0, 0, 0);
	sub(db, 5, "complained", 0, 0, 0, 0, 0);
	sub(db, 6, "unsubscribed", 0, 0, 0, 0, 0);
	sub(db, 7, "unsubscribed", 0, 0, 0, 0, 0);
	assert_int_equal(store_count_subscribers(db, &n), 0);
	assert_int_equal(n.active, 2);
	assert_int_equal(n.completed, 1);
	assert_int_equal(n.bounced, 1);
	assert_int_equal(n.complained, 1);
	assert_int_equal(n.unsubscribed, 2);
	assert_int_equal(n.course, 2);
	assert_int_equal(n.waitlist, 2);	/* 2 and 4: not on the course */
	assert_int_equal(n.paused, 1);
}

static void
test_message(void **state)
{
	struct db *db = *state;
	struct store_msg_counts n;

	for (int i = 1; i <= 5; i++)
		sub(db, i, "active", 0, NOW, 0, 0, 0);
	dlv(db, 1, "day1", "sent", 0, 0, NOW);
	dlv(db, 2, "day1", "sent", 0, 0, NOW);
	dlv(db, 3, "day1", "retry", 0, NOW, 0);
	dlv(db, 4, "day1", "failed", 0, 0, 0);
	dlv(db, 5, "day1", "suppressed", 0, 0, 0);
	dlv(db, 1, "day2", "sent", 0, 0, NOW);
	assert_int_equal(store_count_message(db, "day1", &n), 0);
	assert_int_equal(n.sent, 2);
	assert_int_equal(n.retry, 1);
	assert_int_equal(n.failed, 1);
	assert_int_equal(n.suppressed, 1);
	assert_int_equal(store_count_message(db, "day3", &n), 0);
	assert_int_equal(n.sent + n.retry + n.failed + n.suppressed, 0);
}

static void
collect(struct sched_sub *s, const char *tz, void *arg)
{
	int *seen = arg;

	assert_null(s->zone);
	(void)tz;

	seen[s->lessons_sent]++;
	seen[9] += s->course_at == NOW;
}

static void
test_due(void **state)
{
	struct db *db = *state;
	struct store_due_query q = { "day2", NOW, 2, 0, 0 };
	int seen[10] = { 0 };

	/* 1: day 2 due by next_lesson_at; 2: a retry ready; 3: paused */
	sub(db, 1, "active", 0, NOW, 1, NOW - 60, 0);
	sub(db, 2, "active", 0, NOW, 1, 0, 0);
	dlv(db, 2, "day2", "retry", 0, NOW - 1, 0);
	sub(db, 3, "active", 0, NOW, 1, NOW - 60, 1);
	/* 4: not yet (tomorrow); 5: already sent; 6: retry not yet */
	sub(db, 4, "active", 0, NOW, 1, NOW + 86400, 0);
	sub(db, 5, "active", 0, NOW, 2, NOW + 86400, 0);
	dlv(db, 5, "day2", "sent", 0, 0, NOW - 86400);
	sub(db, 6, "active", 0, NOW, 1, 0, 0);
	dlv(db, 6, "day2", "retry", 0, NOW + 60, 0);
	assert_int_equal(store_due_candidates(db, &q, collect, seen), 0);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[9], 2);
	/* a resend (another copy) ready now, and one not yet */
	dlv(db, 5, "day2", "due", 7, NOW, 0);
	dlv(db, 4, "day2", "due", 7, NOW + 1, 0);
	assert_int_equal(store_count_resends_due(db, "day2", NOW), 1);
	/* later: 4 (tomorrow), 2 and 6 (no next_lesson_at); then 5 too */
	assert_int_equal(store_count_lesson_later(db, 2, NOW), 3);
	assert_int_equal(store_count_lesson_later(db, 3, NOW), 5);
}

static void
test_notice_and_done(void **state)
{
	struct db *db = *state;

	sub(db, 1, "active", NOW, 0, 0, 0, 0);
	sub(db, 2, "active", NOW, 0, 0, 0, 0);
	dlv(db, 2, "launch", "sent", 0, 0, NOW);
	sub(db, 3, "active", NOW, 0, 0, 0, 1);		/* paused */
	sub(db, 4, "bounced", NOW, 0, 0, 0, 0);
	sub(db, 5, "completed", 0, NOW, 3, 0, 0);
	sub(db, 6, "active", 0, NOW, 2, NOW, 0);
	assert_int_equal(store_count_notice_members(db, "launch"), 1);
	assert_int_equal(store_count_course_done(db, 3), 1);
	assert_int_equal(store_count_course_done(db, 2), 2);
}

static void
test_runs(void **state)
{
	struct db *db = *state;
	struct store_run r[4];
	size_t n;

	exec(db, "INSERT INTO runs (id, started_at, finished_at, now_at, pid,"
	    " sent, retried, failed, suppressed, outcome, dry_run) VALUES"
	    " (1, 100, 200, 100, 11, 5, 1, 2, 3, 'ok', 0),"
	    " (2, 300, 400, 300, 12, 0, 0, 0, 0, 'failed', 1),"
	    " (3, 500, NULL, 500, 13, 0, 0, 0, 0, NULL, 0)");
	sub(db, 1, "active", 0, NOW, 0, 0, 0);
	sub(db, 2, "active", 0, NOW, 0, 0, 0);
	exec(db, "INSERT INTO deliveries (subscriber_id, message, state,"
	    " due_at, run_id, created_at, updated_at) VALUES"
	    " (1, 'day1', 'sent', 0, 3, 0, 0),"
	    " (2, 'day1', 'retry', 0, 3, 0, 0),"
	    " (1, 'day2', 'sent', 0, 3, 0, 0)");
	n = store_runs_latest(db, r, 2);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].id, 3);
	assert_true(r[0].unfinished);
	assert_int_equal(r[0].finished, 0);
	assert_null(r[0].outcome);
	assert_int_equal(r[0].pid, 13);
	assert_int_equal(r[1].id, 2);
	assert_false(r[1].unfinished);
	assert_int_equal(r[1].finished, 400);
	assert_string_equal(r[1].outcome, "failed");
	assert_int_equal(r[1].dry_run, 1);
	store_runs_release(r, n);
	n = store_runs_latest(db, r, 4);
	assert_int_equal(n, 3);
	assert_int_equal(r[2].sent, 5);
	assert_int_equal(r[2].retry, 1);
	assert_int_equal(r[2].failed, 2);
	assert_int_equal(r[2].suppressed, 3);
	assert_int_equal(store_count_run(db, 3, &r[0]), 0);
	assert_int_equal(r[0].sent, 2);
	assert_int_equal(r[0].retry, 1);
	assert_int_equal(r[0].failed, 0);
	store_runs_release(r, n);
}

static void
test_stopped(void **state)
{
	struct db *db = *state;
	struct store_stopped *rows;
	size_t n, i;
	int seen = 0;

	sub(db, 1, "bounced", 0, NOW, 1, 0, 0);
	dlv(db, 1, "day1", "sent", 0, 0, NOW - 100);
	sub(db, 2, "bounced", 0, NOW, 2, 0, 0);
	dlv(db, 2, "day1", "sent", 0, 0, NOW - 200);
	dlv(db, 2, "day2", "failed", 0, 0, NOW - 100);
	sub(db, 3, "unsubscribed", NOW, 0, 0, 0, 0);	/* nothing sent */
	sub(db, 4, "active", 0, NOW, 1, 0, 0);
	dlv(db, 4, "day1", "sent", 0, 0, NOW);
	assert_int_equal(store_count_stopped(db, &rows, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].status, "unsubscribed") == 0) {
			assert_null(rows[i].message);
			seen |= 1;
		} else {
			assert_string_equal(rows[i].status, "bounced");
			assert_non_null(rows[i].message);
			assert_int_equal(rows[i].n, 1);
			seen |= strcmp(rows[i].message, "day1") == 0 ? 2 : 4;
		}
	}
	assert_int_equal(seen, 7);
	store_stopped_free(rows, n);
}

static void
test_series(void **state)
{
	struct db *db = *state;
	struct store_slice *s;
	size_t n;

	sub(db, 1, "active", NOW + 10, NOW + 20, 0, 0, 0);
	sub(db, 2, "active", NOW + 900, 0, 0, 0, 0);
	sub(db, 3, "active", NOW + 950, 0, 0, 0, 0);
	dlv(db, 1, "day1", "sent", 0, 0, NOW + 5 * 900 + 1);
	assert_int_equal(store_series(db, STORE_SERIES_WAITLIST, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].at, NOW);
	assert_int_equal(s[0].n, 1);
	assert_int_equal(s[1].at, NOW + STORE_SLICE);
	assert_int_equal(s[1].n, 2);
	free(s);
	assert_int_equal(store_series(db, STORE_SERIES_SENT, &s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].at, NOW + 5 * STORE_SLICE);
	free(s);
	assert_int_equal(store_series(db, STORE_SERIES_BOUNCED, &s, &n), 0);
	assert_int_equal(n, 0);
	free(s);
}

static void
test_guard(void **state)
{
	struct db *db = *state;
	struct store_guard_window w;
	char text[64];
	time_t at = 0;

	sub(db, 1, "active", 0, NOW, 1, 0, 0);
	sub(db, 2, "active", 0, NOW, 1, 0, 0);
	dlv(db, 1, "day1", "sent", 0, 0, NOW - HOUR);
	dlv(db, 2, "day1", "sent", 0, 0, NOW - 3 * HOUR);	/* before */
	exec(db, "INSERT INTO events (at, subscriber_id, kind, source)"
	    " VALUES (1796083000, 1, 'bounce_hard', 'smtp'),"
	    " (1796083100, 1, 'bounce_hard', 'dsn'),"
	    " (1796083150, 2, 'complaint', 'arf'),"
	    " (1796070000, 2, 'complaint', 'arf')");
	assert_int_equal(store_guard_window(db, NOW - 2 * HOUR, NOW, &w), 0);
	assert_int_equal(w.sent, 1);
	assert_int_equal(w.refused, 1);
	assert_int_equal(w.bounces, 2);
	assert_int_equal(w.complaints, 1);

	assert_int_equal(store_runs_last_pause(db, NOW, &at, text,
	    sizeof(text)), 0);
	assert_int_equal(store_runs_pause(db, NOW - 60, "too many"), 0);
	assert_int_equal(store_runs_pause(db, NOW + 60, "later"), 0);
	assert_int_equal(store_runs_last_pause(db, NOW, &at, text,
	    sizeof(text)), 1);
	assert_int_equal(at, NOW - 60);
	assert_string_equal(text, "too many");
	assert_int_equal(store_runs_last_resume(db, NOW, &at, text,
	    sizeof(text)), 0);
	assert_int_equal(store_runs_resume(db, NOW, "ann (uid 1000)",
	    "lifted"), 0);
	assert_int_equal(store_runs_last_resume(db, NOW, &at, text, 4), 1);
	assert_int_equal(at, NOW);
	assert_string_equal(text, "ann");	/* truncated to size */

	/* A quiet run's report of the pause: the latest up to now. */
	assert_int_equal(store_runs_last_report(db, NOW, &at), 0);
	assert_int_equal(store_runs_reported(db, NOW - 30), 0);
	assert_int_equal(store_runs_reported(db, NOW + 30), 0);
	assert_int_equal(store_runs_last_report(db, NOW, &at), 1);
	assert_int_equal(at, NOW - 30);
}

static void
count_rcpt(const char *address, void *arg)
{
	int *n = arg;

	n[strstr(address, "@d1.") != NULL]++;
}

static void
test_caps(void **state)
{
	struct db *db = *state;
	time_t first = 0;
	long today = -1;
	int by[2] = { 0, 0 };

	assert_int_equal(store_count_sent_since(db, NOW, &first, &today), 0);
	assert_int_equal(first, 0);
	assert_int_equal(today, 0);
	for (int i = 1; i <= 4; i++)
		sub(db, i, "active", 0, NOW, 1, 0, 0);
	dlv(db, 1, "day1", "sent", 0, 0, NOW - 86400);
	dlv(db, 2, "day1", "sent", 0, 0, NOW + 10);
	dlv(db, 3, "day1", "sent", 0, 0, NOW + 20);
	dlv(db, 4, "day1", "retry", 0, NOW, 0);
	assert_int_equal(store_count_sent_since(db, NOW, &first, &today), 0);
	assert_int_equal(first, NOW - 86400);
	assert_int_equal(today, 2);
	/* after NOW: subscribers 2 (d0) and 3 (d1); not 1, not the retry */
	assert_int_equal(store_sent_recipients(db, NOW, count_rcpt, by), 0);
	assert_int_equal(by[0], 1);
	assert_int_equal(by[1], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_subscribers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notice_and_done, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
