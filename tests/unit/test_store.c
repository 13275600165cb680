/*
 * test_store.c - every store operation (store.h) against a database in
 * memory, opened and migrated as db_open() opens a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "db.h"
#include "dripmail.h"
#include "store.h"
#include "subscriber.h"

#define NOW	1767225600	/* 2026-01-01 00:00 UTC */

struct fix {
	struct db	 db;
	struct config	 cfg;
	int64_t		 ann, bob;
};

/* Add email to the waitlist at now, as `subscribers add` does. */
static int64_t
add(struct fix *f, const char *email, const char *name, time_t now)
{
	struct sub_upsert u = { .list = LIST_WAITLIST, .now = now,
		.fresh_above = INT64_MAX, .source = "test" };
	struct sub_in in = { .email = email, .first_name = name,
		.signed_up_at = now };
	const char *why = NULL;
	int64_t id = 0;

	assert_int_equal(subscriber_upsert(&f->db, &f->cfg, &in, &u, &id,
	    &why), SUB_ADDED);
	return id;
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(db_open(&f->db, DB_MEMORY, NULL), 0);
	f->ann = add(f, "ann@example.org", "Ann", NOW);
	f->bob = add(f, "bob@example.org", NULL, NOW + 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	db_close(&f->db);
	free(f);
	return 0;
}

static int
count_sub(void *arg, const struct store_sub *s)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

static int
each_count(struct fix *f, const struct store_sub_filter *flt)
{
	int n = 0;

	assert_int_equal(store_sub_each(&f->db, flt, count_sub, &n), 0);
	return n;
}

static void
test_status_words(void **state)
{
	(void)state;
	for (int i = 0; i < STORE_STATUS_N; i++)
		assert_int_equal(store_status_parse(store_status_name(i)), i);
	assert_string_equal(store_status_name(STORE_COMPLAINED), "complained");
	assert_int_equal(store_status_parse("paused"), -1);
	assert_int_equal(store_status_parse("Active"), -1);
	assert_int_equal(store_status_parse(NULL), -1);
}

static void
test_lookup(void **state)
{
	struct fix *f = *state;
	struct store_sub s;

	assert_true(f->ann > 0 && f->bob > f->ann);
	assert_int_equal(store_sub_id(&f->db, "ANN@example.org"), f->ann);
	assert_int_equal(store_sub_id(&f->db, "nobody@example.org"), 0);
	assert_int_equal(store_sub_exists(&f->db, f->bob), 1);
	assert_int_equal(store_sub_exists(&f->db, f->bob + 100), 0);
	assert_int_equal(store_sub_get(&f->db, "nobody@example.org", &s), 0);
	assert_int_equal(store_sub_get(&f->db, "Ann@Example.org", &s), 1);
	assert_int_equal(s.id, f->ann);
	assert_string_equal(s.email, "ann@example.org");
	assert_string_equal(s.first_name, "Ann");
	assert_null(s.timezone);
	assert_int_equal(s.status, STORE_ACTIVE);
	assert_int_equal(s.signed_up_at, NOW);
	assert_int_equal(s.waitlist_at, NOW);
	assert_int_equal(s.course_at, 0);
	assert_int_equal(s.paused_at, 0);
	assert_int_equal(s.lessons_sent, 0);
	assert_int_equal(s.course_copy, 0);
	store_sub_release(&s);
	store_sub_release(NULL);
}

static void
test_each_filters(void **state)
{
	struct fix *f = *state;
	struct store_sub_filter any = STORE_SUB_ANY, flt = STORE_SUB_ANY;

	assert_int_equal(each_count(f, &any), 2);
	flt.list = LIST_WAITLIST;
	assert_int_equal(each_count(f, &flt), 2);
	flt.list = LIST_COURSE;
	assert_int_equal(each_count(f, &flt), 0);
	flt = any;
	flt.status = STORE_BOUNCED;
	assert_int_equal(each_count(f, &flt), 0);
	flt = any;
	flt.stopped = 1;
	assert_int_equal(each_count(f, &flt), 0);
	flt = any;
	flt.paused = 1;
	assert_int_equal(each_count(f, &flt), 0);
}

static int
stop_at_first(void *arg, const struct store_sub *s)
{
	*(int64_t *)arg = s->id;
	return ERR_PERM;
}

static void
test_each_stops(void **state)
{
	struct fix *f = *state;
	struct store_sub_filter any = STORE_SUB_ANY;
	int64_t id = 0;

	assert_int_equal(store_sub_each(&f->db, &any, stop_at_first, &id),
	    ERR_PERM);
	assert_int_equal(id, f->ann);
}

/* The kinds of a subscriber's history, space-separated. */
static int
kinds(void *arg, const struct store_event *e)
{
	char *out = arg;
	size_t n = strlen(out);

	(void)snprintf(out + n, 256 - n, "%s%s", n ? " " : "", e->kind);
	return 0;
}

static void
test_suppress_and_events(void **state)
{
	struct fix *f = *state;
	struct store_sub_filter flt = STORE_SUB_ANY;
	struct store_sub s;
	char seen[256] = "";

	assert_int_equal(store_suppress(&f->db, f->bob, NOW + 10,
	    STORE_BOUNCED, "bounce_hard", "test", "5.1.1", "no such user"), 1);
	assert_int_equal(store_suppress(&f->db, f->bob, NOW + 11,
	    STORE_COMPLAINED, "complaint", "test", NULL, NULL), 0);
	assert_int_equal(store_sub_get(&f->db, "bob@example.org", &s), 1);
	assert_int_equal(s.status, STORE_BOUNCED);
	assert_int_equal(s.status_at, NOW + 10);
	assert_string_equal(s.status_reason, "no such user");
	store_sub_release(&s);
	flt.stopped = 1;
	assert_int_equal(each_count(f, &flt), 1);
	flt.stopped = 0;
	flt.status = STORE_BOUNCED;
	assert_int_equal(each_count(f, &flt), 1);
	assert_int_equal(store_event(&f->db, f->bob, NOW + 12, "bounce_soft",
	    NULL, "test", "4.2.2", "full"), 0);
	assert_int_equal(store_event_each(&f->db, f->bob, kinds, seen), 0);
	assert_string_equal(seen, "subscribed bounce_hard bounce_soft");
	assert_int_equal(store_event_count(&f->db, f->bob, "bounce_soft",
	    NOW + 12), 1);
	assert_int_equal(store_event_count(&f->db, f->bob, "bounce_soft",
	    NOW + 13), 0);
	assert_int_equal(store_event_count(&f->db, f->ann, "bounce_hard", 0),
	    0);
}

static void
test_bounce_seen(void **state)
{
	struct fix *f = *state;

	assert_int_equal(store_bounce_seen(&f->db, "msg-1"), 0);
	assert_int_equal(store_bounce_remember(&f->db, "msg-1", NOW), 0);
	assert_int_equal(store_bounce_remember(&f->db, "msg-1", NOW + 1), 0);
	assert_int_equal(store_bounce_seen(&f->db, "msg-1"), 1);
	assert_int_equal(store_bounce_seen(&f->db, "msg-2"), 0);
}

static int
hashes(void *arg, const char *hash, time_t at)
{
	assert_int_equal(strlen(hash), SUB_HASH_LEN);
	assert_int_equal(at, NOW);
	(*(int *)arg)++;
	return 0;
}

static void
test_suppressions(void **state)
{
	struct fix *f = *state;
	char hash[SUB_HASH_LEN + 1];
	int n = 0;

	subscriber_hash("gone@example.org", hash);
	assert_int_equal(subscriber_suppress_hash(&f->db, hash, NOW), 1);
	assert_int_equal(store_suppression_each(&f->db, hashes, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_suppression_lift(&f->db, hash), 0);
	n = 0;
	assert_int_equal(store_suppression_each(&f->db, hashes, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_secure_delete(&f->db), 0);
}

static void
test_steer_rows(void **state)
{
	struct fix *f = *state;
	struct store_sub_filter flt = STORE_SUB_ANY;
	struct store_sub s;
	int copy;

	assert_int_equal(store_sub_pause(&f->db, f->ann, NOW + 5), 0);
	flt.paused = 1;
	assert_int_equal(each_count(f, &flt), 1);
	copy = store_next_copy(&f->db, f->ann, 0);
	assert_int_equal(copy, 1);
	/* held while paused: no next attempt */
	assert_int_equal(store_delivery_add(&f->db, f->ann, "day-1", copy, 0,
	    NOW + 6), 0);
	assert_int_equal(store_next_copy(&f->db, f->ann, 0), 2);
	assert_int_equal(store_next_copy(&f->db, f->ann, 7), 8);
	assert_int_equal(store_sub_release_held(&f->db, f->ann, NOW + 100,
	    NOW + 7), 0);
	assert_int_equal(store_sub_resume(&f->db, f->ann, NOW + 86400,
	    NOW + 8), 0);
	assert_int_equal(each_count(f, &flt), 0);
	assert_int_equal(store_sub_get(&f->db, "ann@example.org", &s), 1);
	assert_int_equal(s.paused_at, 0);
	assert_int_equal(s.next_lesson_at, NOW + 86400);
	store_sub_release(&s);

	assert_int_equal(store_round_drop(&f->db, f->ann, 1, "restarted",
	    NOW + 9), 0);
	assert_int_equal(store_sub_restart(&f->db, f->ann, 3, NOW + 500,
	    NOW + 9), 0);
	assert_int_equal(store_sub_get(&f->db, "ann@example.org", &s), 1);
	assert_int_equal(s.course_at, NOW + 9);
	assert_int_equal(s.course_copy, 3);
	assert_int_equal(s.progress, 0);
	assert_int_equal(s.next_lesson_at, NOW + 500);
	store_sub_release(&s);

	/* resubscribe only lifts a stopped subscriber */
	assert_int_equal(store_suppress(&f->db, f->ann, NOW + 20,
	    STORE_UNSUBSCRIBED, "unsubscribed", "test", NULL, NULL), 1);
	assert_int_equal(store_sub_resubscribe(&f->db, f->ann, 4, NOW + 30),
	    0);
	assert_int_equal(store_sub_get(&f->db, "ann@example.org", &s), 1);
	assert_int_equal(s.status, STORE_ACTIVE);
	assert_int_equal(s.status_at, NOW + 30);
	assert_string_equal(s.status_reason, "resubscribed");
	assert_int_equal(s.course_copy, 4);
	store_sub_release(&s);
}

static void
test_signups(void **state)
{
	struct fix *f = *state;
	struct store_signup s = { 0, "new@example.org", "Nia", NULL,
		"192.0.2.1", "agent", NULL, NOW, 0 };
	struct store_signup got;

	assert_int_equal(store_signup_add(&f->db, &s), 0);
	assert_true(s.id > 0);
	assert_int_equal(store_signup_count_email(&f->db, "new@example.org",
	    NOW - 1), 1);
	assert_int_equal(store_signup_count_email(&f->db, "new@example.org",
	    NOW), 0);
	assert_int_equal(store_signup_count_ip(&f->db, "192.0.2.1", NOW - 1),
	    1);
	assert_int_equal(store_signup_count_ip(&f->db, "192.0.2.2", 0), 0);
	assert_int_equal(store_signup_get(&f->db, s.id, NOW + 1, &got), 0);
	assert_int_equal(store_signup_mailed(&f->db, s.id, NOW + 1), 0);
	assert_int_equal(store_signup_get(&f->db, s.id, NOW, &got), 1);
	assert_string_equal(got.email, "new@example.org");
	assert_string_equal(got.first_name, "Nia");
	assert_null(got.timezone);
	assert_string_equal(got.ip, "192.0.2.1");
	assert_null(got.page);
	assert_int_equal(got.confirmed_at, 0);
	store_signup_release(&got);
	assert_int_equal(store_signup_confirmed(&f->db, s.id, NOW + 2,
	    f->ann), 0);
	assert_int_equal(store_signup_get(&f->db, s.id, NOW, &got), 1);
	assert_int_equal(got.confirmed_at, NOW + 2);
	store_signup_release(&got);
	assert_int_equal(store_signup_purge(&f->db, NOW - 1), 0);
	assert_int_equal(store_signup_get(&f->db, s.id, NOW, &got), 1);
	store_signup_release(&got);
	assert_int_equal(store_signup_purge(&f->db, NOW), 0);
	assert_int_equal(store_signup_get(&f->db, s.id, NOW, &got), 0);
}

/* The backend is chosen by the target; PostgreSQL only when built in. */
static void
test_db_targets(void **state)
{
	struct db db;

	(void)state;
	assert_true(db_is_pg("postgresql://u@db.example.org/drip"));
	assert_true(db_is_pg("postgres://db.example.org"));
	assert_false(db_is_pg("dripmail.db"));
	assert_false(db_is_pg("/srv/postgres://x.db"));
	assert_false(db_is_pg(DB_MEMORY));
	assert_int_equal(db_open(&db, DB_MEMORY, NULL), 0);
	assert_int_equal(db.kind, DB_SQLITE);
	assert_int_equal(db_version(&db), DB_VERSION);
	db_close(&db);
#ifndef HAVE_PG
	assert_int_equal(db_open(&db, "postgresql://u@127.0.0.1:1/drip",
	    NULL), ERR_FAIL);
	db_close(&db);
#endif
}

static void
test_add_rows(void **state)
{
	struct fix *f = *state;
	struct sub_upsert wl = { .list = LIST_WAITLIST, .now = NOW + 50 };
	struct sub_upsert course = { .list = LIST_COURSE, .now = NOW + 60 };
	struct sub_in in[3] = {
		{ "c1@example.org", "Cy", "Europe/Paris", NOW },
		{ "ann@example.org", NULL, NULL, NOW },	/* known: left out */
		{ "c2@example.org", "", NULL, NOW },
	};
	time_t first[3] = { NOW + 1000, NOW + 2000, NOW + 3000 };
	struct store_batch *b;
	struct store_sub s;
	int64_t id = 0, last = 0;

	assert_int_equal(store_sub_max_id(&f->db), f->bob);
	assert_int_equal(store_sub_insert(&f->db, &in[1], &wl, 0, &id), 0);
	assert_int_equal(id, 0);
	b = store_batch_new(&f->db, 3);
	assert_non_null(b);
	assert_int_equal(store_batch_add(b, in, first, &course, &last), 2);
	assert_int_equal(store_batch_add(b, in, first, &course, &last), 0);
	store_batch_free(b);
	store_batch_free(NULL);
	assert_int_equal(store_sub_max_id(&f->db), last);
	assert_int_equal(store_sub_id(&f->db, "c2@example.org"), last);
	assert_int_equal(store_sub_get(&f->db, "c1@example.org", &s), 1);
	assert_string_equal(s.timezone, "Europe/Paris");
	assert_int_equal(s.course_at, NOW + 60);
	assert_int_equal(s.waitlist_at, 0);
	assert_int_equal(s.next_lesson_at, NOW + 1000);
	store_sub_release(&s);
	assert_int_equal(store_sub_peek(&f->db, NULL, last, &s), 1);
	assert_null(s.first_name);	/* "" is stored as none */
	assert_null(s.email);		/* peek reads only what adding needs */
	assert_int_equal(s.course_at, NOW + 60);
	store_sub_release(&s);
	assert_int_equal(store_sub_peek(&f->db, "none@example.org", 0, &s), 0);
}

static void
test_merge_enrol_complete(void **state)
{
	struct fix *f = *state;
	struct store_sub s;

	/* bob has no name: filled in; ann has one: kept */
	assert_int_equal(store_sub_merge(&f->db, f->bob, "Bob", "Asia/Tokyo",
	    0, NOW + 5), 1);
	assert_int_equal(store_sub_merge(&f->db, f->bob, "Robert", NULL, 0,
	    NOW + 6), 0);
	assert_int_equal(store_sub_merge(&f->db, f->ann, "Anne", NULL, 0,
	    NOW + 6), 0);
	assert_int_equal(store_sub_get(&f->db, "bob@example.org", &s), 1);
	assert_string_equal(s.first_name, "Bob");
	assert_string_equal(s.timezone, "Asia/Tokyo");
	store_sub_release(&s);

	assert_int_equal(store_sub_enrol(&f->db, f->ann, NOW + 900, NOW + 7),
	    1);
	assert_int_equal(store_sub_enrol(&f->db, f->ann, NOW + 901, NOW + 8),
	    0);
	assert_int_equal(store_sub_peek(&f->db, "ann@example.org", 0, &s), 1);
	assert_int_equal(s.course_at, NOW + 7);
	store_sub_release(&s);

	assert_int_equal(store_sub_complete(&f->db, f->bob, NOW + 9), 0);
	assert_int_equal(store_sub_get(&f->db, "bob@example.org", &s), 1);
	assert_int_equal(s.status, STORE_COMPLETED);
	assert_string_equal(s.status_reason, "import");
	assert_int_equal(s.next_lesson_at, 0);
	store_sub_release(&s);

	assert_int_equal(store_sub_delete(&f->db, "BOB@example.org"), 1);
	assert_int_equal(store_sub_delete(&f->db, "bob@example.org"), 0);
	assert_int_equal(store_sub_id(&f->db, "bob@example.org"), 0);
}

static void
test_suppression_hashes(void **state)
{
	struct fix *f = *state;
	char hash[SUB_HASH_LEN + 1];

	subscriber_hash("Gone@Example.org", hash);
	assert_int_equal(store_suppression_any(&f->db), 0);
	assert_int_equal(store_suppression_has(&f->db, hash), 0);
	assert_int_equal(store_suppression_add(&f->db, hash, NOW), 1);
	assert_int_equal(store_suppression_add(&f->db, hash, NOW + 1), 0);
	assert_int_equal(store_suppression_has(&f->db, hash), 1);
	assert_int_equal(store_suppression_any(&f->db), 1);
	assert_int_equal(subscriber_suppressed(&f->db, "gone@example.org"), 1);
}

static void
test_bulk(void **state)
{
	struct fix *f = *state;
	int tuned = -1;

	/* in memory there is no rollback journal to switch to */
	assert_int_equal(store_bulk_begin(&f->db, &tuned), 0);
	assert_int_equal(tuned, 0);
	(void)add(f, "bulk@example.org", NULL, NOW);
	assert_int_equal(db_rollback(&f->db), 0);
	store_bulk_end(&f->db, tuned);
	assert_int_equal(store_sub_id(&f->db, "bulk@example.org"), 0);
}

/* Deliveries and runs */

static void
test_state_words(void **state)
{
	(void)state;
	for (int i = 0; i < STORE_STATE_N; i++)
		assert_int_equal(store_state_parse(store_state_name(i)), i);
	assert_string_equal(store_state_name(STORE_SENDING), "sending");
	assert_int_equal(store_state_parse("queued"), -1);
	assert_int_equal(store_state_parse(NULL), -1);
}

/* The ids store_plan_subs() reads, summed (0 none), and their number. */
static size_t
plan_ids(struct fix *f, enum store_plan which, time_t now, const char *msg,
    int64_t *sum, time_t *next)
{
	struct store_plan_sub *r;
	size_t n;

	assert_int_equal(store_plan_subs(&f->db, which, now, msg, &r, &n), 0);
	*sum = 0;
	for (size_t i = 0; i < n; i++) {
		*sum += r[i].id;
		*next = r[i].next_at;
	}
	store_plan_subs_free(r, n);
	return n;
}

static void
test_plan_rows(void **state)
{
	struct fix *f = *state;
	int64_t sum;
	time_t next = 0;

	/* bob joined the waitlist a second after ann */
	assert_int_equal(plan_ids(f, STORE_PLAN_WAITLIST, NOW, NULL, &sum,
	    &next), 1);
	assert_int_equal(sum, f->ann);
	assert_int_equal(plan_ids(f, STORE_PLAN_WAITLIST, NOW + 1, NULL, &sum,
	    &next), 2);
	assert_int_equal(store_sub_launch(&f->db, f->ann, NOW + 10, NOW + 100,
	    NOW + 10), 0);
	assert_int_equal(plan_ids(f, STORE_PLAN_WAITLIST, NOW + 20, NULL, &sum,
	    &next), 1);
	assert_int_equal(sum, f->bob);

	assert_int_equal(plan_ids(f, STORE_PLAN_UNSCHEDULED, NOW + 20, NULL,
	    &sum, &next), 0);
	assert_int_equal(store_sub_schedule(&f->db, f->ann, 0, NOW + 20), 1);
	assert_int_equal(plan_ids(f, STORE_PLAN_UNSCHEDULED, NOW + 20, NULL,
	    &sum, &next), 1);
	assert_int_equal(store_sub_schedule(&f->db, f->ann, NOW + 50, NOW + 21),
	    1);
	assert_int_equal(plan_ids(f, STORE_PLAN_NEXT, NOW + 49, NULL, &sum,
	    &next), 0);
	assert_int_equal(plan_ids(f, STORE_PLAN_NEXT, NOW + 50, NULL, &sum,
	    &next), 1);
	assert_int_equal(next, NOW + 50);

	/* a notification: each waitlist member without a delivery of it */
	assert_int_equal(plan_ids(f, STORE_PLAN_NOTICE, NOW + 20, "news",
	    &sum, &next), 2);
	assert_int_equal(store_delivery_plan(&f->db, f->bob, "news", 0,
	    NOW + 20, NOW + 20), 0);
	assert_int_equal(plan_ids(f, STORE_PLAN_NOTICE, NOW + 20, "news",
	    &sum, &next), 1);
	assert_int_equal(sum, f->ann);
}

struct got {
	int			 n;
	struct store_delivery	 d;
	char			 email[64];
};

static void
got_one(void *arg, const struct store_delivery *d)
{
	struct got *g = arg;

	g->n++;
	g->d = *d;
	snprintf(g->email, sizeof(g->email), "%s", d->email);
}

/* Fetch at now, crashed or due, from the start of the keyset. */
static struct got
fetch_at(struct fix *f, int crashed, time_t now)
{
	struct store_fetch q = { crashed, now, 0, 0, 10, 0, 0, 0 };
	struct got g;
	int n;

	memset(&g, 0, sizeof(g));
	n = store_delivery_fetch(&f->db, &q, got_one, &g);
	assert_int_equal(n, g.n);
	return g;
}

static void
sent_at(void *arg, time_t t)
{
	*(time_t *)arg = t;
}

static void
test_delivery_flow(void **state)
{
	struct fix *f = *state;
	struct got g;
	time_t t = 0;
	int64_t id;

	assert_int_equal(store_delivery_plan(&f->db, f->ann, "day-1", 0,
	    NOW + 90, NOW + 100), 0);
	/* one per subscriber, message and copy */
	assert_int_equal(store_delivery_plan(&f->db, f->ann, "day-1", 0,
	    NOW + 95, NOW + 105), 0);
	assert_int_equal(store_count_due(&f->db, NOW + 99), 0);
	assert_int_equal(store_count_due(&f->db, NOW + 100), 1);
	g = fetch_at(f, 0, NOW + 100);
	assert_int_equal(g.n, 1);
	id = g.d.id;
	assert_int_equal(g.d.state, STORE_DUE);
	assert_int_equal(g.d.status, STORE_ACTIVE);
	assert_int_equal(g.d.due_at, NOW + 90);
	assert_int_equal(g.d.next_attempt_at, NOW + 100);
	assert_string_equal(g.email, "ann@example.org");

	/* sending: only a crashed run's fetch sees it */
	assert_int_equal(store_delivery_sending(&f->db, id, 1, "<m@x>", 0,
	    NOW + 101), 0);
	assert_int_equal(fetch_at(f, 0, NOW + 200).n, 0);
	g = fetch_at(f, 1, NOW + 200);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.d.state, STORE_SENDING);
	assert_int_equal(g.d.attempts, 1);

	assert_int_equal(store_delivery_outcome(&f->db, id, STORE_RETRY,
	    NOW + 200, 451, "later", 0, NOW + 102), 0);
	assert_int_equal(fetch_at(f, 0, NOW + 199).n, 0);
	assert_int_equal(fetch_at(f, 0, NOW + 200).d.state, STORE_RETRY);
	assert_int_equal(store_delivery_postpone(&f->db, id, STORE_RETRY,
	    NOW + 300, NOW + 103), 0);
	assert_int_equal(store_count_due(&f->db, NOW + 299), 0);
	assert_int_equal(store_delivery_unclaim(&f->db, id, STORE_DUE), 0);
	g = fetch_at(f, 0, NOW + 300);
	assert_int_equal(g.d.state, STORE_DUE);
	assert_int_equal(g.d.attempts, 0);

	assert_int_equal(store_delivery_outcome(&f->db, id, STORE_SENT, 0, 250,
	    NULL, NOW + 400, NOW + 400), 0);
	assert_int_equal(store_count_due(&f->db, NOW + 9999), 0);
	assert_int_equal(store_sent_times(&f->db, NOW + 399, sent_at, &t), 0);
	assert_int_equal(t, NOW + 400);
	t = 0;
	assert_int_equal(store_sent_times(&f->db, NOW + 400, sent_at, &t), 0);
	assert_int_equal(t, 0);

	/* dropped and suppressed ones are no longer pending */
	assert_int_equal(store_delivery_plan(&f->db, f->bob, "day-1", 0,
	    NOW, NOW), 0);
	assert_int_equal(store_delivery_plan(&f->db, f->bob, "day-2", 0,
	    NOW, NOW), 0);
	assert_int_equal(store_count_due(&f->db, NOW), 2);
	g = fetch_at(f, 0, NOW);
	assert_int_equal(store_delivery_drop(&f->db, g.d.id, "too late",
	    NOW), 0);
	g = fetch_at(f, 0, NOW);
	assert_int_equal(g.n, 1);
	assert_int_equal(store_delivery_suppress(&f->db, g.d.id, NOW), 0);
	assert_int_equal(store_count_due(&f->db, NOW), 0);
}

static void
test_fetch_keyset(void **state)
{
	struct fix *f = *state;
	struct store_fetch q = { 0, NOW + 10, 0, 0, 1, 0, 0, 0 };
	struct got g;

	assert_int_equal(store_delivery_plan(&f->db, f->ann, "day-1", 0,
	    NOW, NOW + 2), 0);
	assert_int_equal(store_delivery_plan(&f->db, f->bob, "day-1", 0,
	    NOW, NOW + 1), 0);
	/* oldest attempt first, then past it */
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 1);
	assert_string_equal(g.email, "bob@example.org");
	q.after_at = g.d.next_attempt_at;
	q.after_id = g.d.id;
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 1);
	assert_string_equal(g.email, "ann@example.org");
	q.after_at = g.d.next_attempt_at;
	q.after_id = g.d.id;
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 0);
}

static void
count_one(const char *address, void *arg)
{
	(void)address;
	(*(int *)arg)++;
}

/*
 * The server's answer kept for a delivery still sending (the crash
 * guarantee's small commit): read back whole, fetched as crashed only with
 * answered set while it is there, gone once folded.
 */
static void
test_answers(void **state)
{
	struct fix *f = *state;
	struct store_fetch q = { 1, NOW + 100, 0, 0, 10, 0, 0, 1 };
	struct store_answer a = { ERR_TEMP, 5, 451, NOW + 7,
	    "451 4.3.0 try again later" }, b;
	struct got g;
	int64_t id;

	assert_int_equal(store_delivery_plan(&f->db, f->ann, "day-1", 0,
	    NOW, NOW), 0);
	g = fetch_at(f, 0, NOW);
	id = g.d.id;
	assert_int_equal(store_delivery_sending(&f->db, id, 1, "<m@x>", 0,
	    NOW), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 0);
	assert_int_equal(store_answer_get(&f->db, id, &b), 0);
	assert_int_equal(store_answer_put(&f->db, id, &a), 0);
	/* a second answer for the same delivery replaces the first */
	a.code = 452;
	assert_int_equal(store_answer_put(&f->db, id, &a), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(store_answer_get(&f->db, id, &b), 1);
	assert_int_equal(b.err, ERR_TEMP);
	assert_int_equal(b.step, 5);
	assert_int_equal(b.code, 452);
	assert_int_equal(b.at, NOW + 7);
	assert_string_equal(b.reply, "451 4.3.0 try again later");
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 1);
	assert_string_equal(g.email, "ann@example.org");
	assert_int_equal(store_answer_del(&f->db, id), 0);
	assert_int_equal(store_answer_get(&f->db, id, &b), 0);
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 0);
	/* without answered, the crashed row is fetched to be sent again */
	q.answered = 0;
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 1);
}

/* The lease of runs sharing a database, and what the caps count. */
static void
test_lease_taken(void **state)
{
	struct fix *f = *state;
	struct store_fetch q = { 1, NOW + 100, 0, 0, 10, NOW + 49, 0, 0 };
	struct store_taken t;
	struct got g;
	int64_t run = 0;
	int n = 0;

	assert_int_equal(store_run_start(&f->db, NOW, NOW, 42, 0, &run), 0);
	assert_int_equal(store_delivery_plan(&f->db, f->ann, "day-1", 0,
	    NOW, NOW), 0);
	assert_int_equal(store_delivery_plan(&f->db, f->bob, "day-1", 0,
	    NOW, NOW), 0);
	g = fetch_at(f, 0, NOW);
	assert_int_equal(store_delivery_sending(&f->db, g.d.id, 1, "<m@x>",
	    run, NOW + 50), 0);
	/* marked after the lease began: the run's own, not crashed */
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 0);
	q.lease_since = NOW + 50;
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 1);
	/* renewed: its own again */
	assert_int_equal(store_delivery_touch(&f->db, run, NOW + 60), 0);
	assert_int_equal(store_delivery_fetch(&f->db, &q, got_one, &g), 0);

	/* the other one sent 30 s ago: both count, while the lease runs */
	g = fetch_at(f, 0, NOW);
	assert_int_equal(store_delivery_outcome(&f->db, g.d.id, STORE_SENT, 0,
	    250, NULL, NOW + 30, NOW + 30), 0);
	assert_int_equal(store_count_taken(&f->db, NOW, NOW + 10, NOW - 3540,
	    NOW + 59, &t), 0);
	assert_int_equal(t.today, 2);
	assert_int_equal(t.minute, 2);
	assert_int_equal(t.hour, 2);
	assert_int_equal(t.minute_oldest, NOW + 30);
	assert_int_equal(store_count_taken(&f->db, NOW + 31, NOW + 30,
	    NOW - 3540, NOW + 60, &t), 0);
	assert_int_equal(t.today, 0);
	assert_int_equal(t.minute, 0);
	assert_int_equal(t.hour, 1);
	assert_int_equal(t.minute_oldest, 0);
	assert_int_equal(t.hour_oldest, NOW + 30);
	assert_int_equal(store_sending_recipients(&f->db, NOW + 59, count_one,
	    &n), 0);
	assert_int_equal(n, 1);
	/* SQLite: one run at a time, no locks to take */
	assert_int_equal(store_shared(&f->db), 0);
	assert_int_equal(store_lock(&f->db, STORE_LOCK_PLAN), 0);
}

static void
test_progress_finish(void **state)
{
	struct fix *f = *state;
	struct store_sub s;

	assert_int_equal(store_sub_enrol(&f->db, f->ann, NOW + 9, NOW + 7), 1);
	assert_int_equal(store_sub_progress(&f->db, f->ann, 0, 1, NOW + 10,
	    NOW + 86400), 1);
	/* a delivery of another copy does not move the course */
	assert_int_equal(store_sub_progress(&f->db, f->ann, 5, 2, NOW + 11,
	    0), 0);
	assert_int_equal(store_sub_get(&f->db, "ann@example.org", &s), 1);
	assert_int_equal(s.progress, 1);
	assert_int_equal(s.last_sent_at, NOW + 10);
	assert_int_equal(s.next_lesson_at, NOW + 86400);
	store_sub_release(&s);

	assert_int_equal(store_sub_finish(&f->db, f->ann, NOW + 20), 1);
	assert_int_equal(store_sub_finish(&f->db, f->ann, NOW + 21), 0);
	assert_int_equal(store_sub_schedule(&f->db, f->ann, NOW + 99,
	    NOW + 22), 0);
	assert_int_equal(store_sub_get(&f->db, "ann@example.org", &s), 1);
	assert_int_equal(s.status, STORE_COMPLETED);
	assert_int_equal(s.status_at, NOW + 20);
	assert_int_equal(s.next_lesson_at, 0);
	store_sub_release(&s);
}

static void
test_run_rows(void **state)
{
	struct fix *f = *state;
	struct store_run r, got[2];
	int64_t id = 0;

	assert_int_equal(store_run_start(&f->db, NOW, NOW + 5, 42, 0, &id), 0);
	assert_true(id > 0);
	memset(&r, 0, sizeof(r));
	r.finished = NOW + 60;
	r.sent = 3;
	r.retry = 2;
	r.failed = 1;
	r.outcome = "failed";
	assert_int_equal(store_run_finish(&f->db, id, &r), 0);
	assert_int_equal(store_runs_latest(&f->db, got, 2), 1);
	assert_int_equal(got[0].id, id);
	assert_int_equal(got[0].started, NOW);
	assert_int_equal(got[0].finished, NOW + 60);
	assert_int_equal(got[0].sent, 3);
	assert_int_equal(got[0].retry, 2);
	assert_int_equal(got[0].failed, 1);
	assert_int_equal(got[0].pid, 42);
	assert_string_equal(got[0].outcome, "failed");
	store_runs_release(got, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_words),
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_filters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_each_stops, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_suppress_and_events, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bounce_seen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_suppressions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_steer_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_signups, setup, teardown),
		cmocka_unit_test(test_db_targets),
		cmocka_unit_test_setup_teardown(test_add_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_enrol_complete,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppression_hashes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bulk, setup, teardown),
		cmocka_unit_test(test_state_words),
		cmocka_unit_test_setup_teardown(test_plan_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delivery_flow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fetch_keyset, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_taken, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_progress_finish, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_run_rows, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
