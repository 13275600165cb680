/*
 * test_send.c - a whole send run against an in-memory database and a
 * transport of the test's own behind smtp.h's interface (smtp_open_with()),
 * which answers each recipient as a table says: what the run records, and
 * what a reply does to a subscriber.
 */
#include <sys/stat.h>

#include <pthread.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "dripmail.h"
#include "render.h"
#include "send.h"
#include "smtp.h"
#include "store.h"
#include "subscriber.h"
#include "util.h"
#include "xmalloc.h"

#define NOW	1780995600	/* 2026-06-09T09:00:00Z */
#define NSUBS	5

/* The transport: each message to an address starting "r" is refused at
 * RCPT TO as dead, to "t" deferred, else taken; what it took is counted. */
static pthread_mutex_t fake_mu = PTHREAD_MUTEX_INITIALIZER;
static int fake_taken[NSUBS], fake_opened;

static struct smtp_conn *
fake_open(const struct config *cfg)
{
	struct smtp_conn *c;

	pthread_mutex_lock(&fake_mu);
	fake_opened++;
	pthread_mutex_unlock(&fake_mu);
	c = smtp_conn_new(cfg);
	*smtp_conn_data(c) = xstrdup("fake state");
	return c;
}

static int
fake_send(struct smtp_conn *c, const char *from, const char *rcpt,
    const char *msg, size_t len, struct smtp_result *r)
{
	int i = atoi(rcpt + 1);

	memset(r, 0, sizeof(*r));
	assert_string_equal(*smtp_conn_data(c), "fake state");
	assert_non_null(from);
	assert_non_null(strstr(msg, "Message-ID: <"));
	assert_true(len > 0 && i >= 0 && i < NSUBS);
	if (rcpt[0] == 'r') {
		smtp_reply(r, SMTP_STEP_RCPT, 550, "550 5.1.1 <x>: user unknown");
		return r->err;
	}
	if (rcpt[0] == 't') {
		smtp_reply(r, SMTP_STEP_RCPT, 451, "451 4.3.0 try later");
		return r->err;
	}
	if (smtp_handover(c) != 0) {
		r->err = ERR_TEMP;
		return r->err;
	}
	pthread_mutex_lock(&fake_mu);
	fake_taken[i]++;
	pthread_mutex_unlock(&fake_mu);
	smtp_reply(r, SMTP_STEP_EOD, 250, "250 2.0.0 queued");
	return r->err;
}

static int
fake_check(const struct config *cfg, struct smtp_result *r)
{
	(void)cfg;
	memset(r, 0, sizeof(*r));
	return 0;
}

static void
fake_close(struct smtp_conn *c)
{
	free(*smtp_conn_data(c));
}

static const struct smtp_backend fake = {
	"fake", fake_open, fake_send, fake_check, fake_close,
};

struct fixture {
	char		 dir[64];
	struct config	 cfg;
	struct course	*course;
	struct db	*db;
};

static void
put(const char *dir, const char *name, const char *text)
{
	char *p = path_join(dir, name);

	assert_int_equal(write_file_atomic(p, text, strlen(text), 0600), 0);
	free(p);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char cwd[512], *ini, *lessons;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/test_send.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	lessons = path_join(f->dir, "lessons");
	assert_int_equal(mkdir(lessons, 0700), 0);
	put(lessons, "day1.md", "Subject: Day 1\nDay: 1\n\nHello.\n");
	put(lessons, "day2.md", "Subject: Day 2\nDay: 2\n\nAgain.\n");
	put(f->dir, "secret.key", "0123456789abcdef0123456789abcdef");
	ini = xasprintf("[course]\nname = Test\nid = t\n"
	    "from = Course <course@example.org>\n"
	    "postal_address = 1 Example Street\n"
	    "base_url = https://example.org/t\n"
	    "lessons = lessons\ntemplates = %s/templates\n"
	    "[schedule]\nsend_hour = 8\nwindow_hours = 12\n"
	    "[send]\nconnections = 2\n"
	    "[unsubscribe]\nsecret_file = secret.key\n"
	    "url = https://example.org/unsubscribe\n", cwd);
	put(f->dir, "settings.ini", ini);
	free(ini);
	free(lessons);
	ini = path_join(f->dir, "settings.ini");
	assert_int_equal(config_load(&f->cfg, ini), 0);
	free(ini);
	assert_int_equal(course_load(&f->cfg, &f->course), 0);
	assert_int_equal(store_open(":memory:", NULL, &f->db), 0);
	memset(fake_taken, 0, sizeof(fake_taken));
	fake_opened = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	store_close(f->db);
	course_free(f->course);
	config_free(&f->cfg);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

/* Enrol the addresses, signed up an hour before NOW. */
static void
enrol(struct fixture *f, const char *const *emails, int n)
{
	struct sub_upsert u = { LIST_COURSE, NOW - 3600, 0, INT64_MAX, "cli" };
	const char *why;
	int64_t id;

	assert_int_equal(store_begin(f->db), 0);
	for (int i = 0; i < n; i++) {
		struct sub_in s = { emails[i], NULL, NULL, NOW - 3600 };

		assert_int_equal(subscriber_upsert(f->db, &f->cfg, &s, &u,
		    &id, &why), SUB_ADDED);
	}
	assert_int_equal(store_commit(f->db), 0);
}

static void
run(struct fixture *f, time_t now, struct send_stats *st)
{
	struct send_opts o = { now, 0, 0, 0, &fake };

	memset(st, 0, sizeof(*st));
	assert_int_equal(send_run(&f->cfg, f->db, f->course, &o, st), 0);
}

/* Every message goes once; the next day's run sends Day 2, once. */
static void
test_all_taken(void **state)
{
	static const char *const e[] = { "a0@example.org", "a1@example.org",
	    "a2@example.org" };
	struct fixture *f = *state;
	struct store_msg_counts n;
	struct send_stats st;

	enrol(f, e, 3);
	run(f, NOW, &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.failed + st.retry, 0);
	assert_true(fake_opened >= 1 && fake_opened <= 2);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fake_taken[i], 1);
	assert_int_equal(store_count_message(f->db, "day1", &n), 0);
	assert_int_equal(n.sent, 3);
	/* The same moment again: nothing is due. */
	run(f, NOW + 60, &st);
	assert_int_equal(st.sent, 0);
	run(f, NOW + 86400, &st);
	assert_int_equal(st.sent, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fake_taken[i], 2);
	assert_int_equal(store_count_message(f->db, "day2", &n), 0);
	assert_int_equal(n.sent, 3);
}

/* A dead address at RCPT TO bounces that subscriber only; a 4xx waits. */
static void
test_refused_and_deferred(void **state)
{
	static const char *const e[] = { "a0@example.org", "r1@example.org",
	    "t2@example.org" };
	struct fixture *f = *state;
	struct store_sub_counts c;
	struct store_msg_counts n;
	struct send_stats st;

	enrol(f, e, 3);
	run(f, NOW, &st);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.retry, 1);
	assert_int_equal(fake_taken[0], 1);
	assert_int_equal(store_count_subscribers(f->db, &c), 0);
	assert_int_equal(c.bounced, 1);
	assert_int_equal(c.active, 2);
	assert_int_equal(store_count_message(f->db, "day1", &n), 0);
	assert_int_equal(n.sent, 1);
	assert_int_equal(n.retry, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_all_taken, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_and_deferred,
		    setup, teardown),
	};

	return cmocka_run_group_tests_name("send", tests, NULL, NULL);
}
