/*
 * test_db_copy.c - `db copy` (db_copy.h) between two SQLite databases in
 * memory: db_tables[] names every table and column of the schema (a
 * migration that adds one fails here until db_tables[] has it), rows
 * crossing batch boundaries arrive whole with their ids, sequences move
 * past erased ids, and a target with a row is refused untouched.
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
#include "db_copy.h"
#include "dripmail.h"

/* More rows than a batch, and not a multiple of the rows per INSERT. */
#define MANY	(2 * DB_COPY_BATCH + DB_COPY_ROWS + 5)

struct pair {
	struct db	src, dst;
};

static int
setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(db_open(&p->src, DB_MEMORY, NULL), 0);
	assert_int_equal(db_open(&p->dst, DB_MEMORY, NULL), 0);
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	db_close(&p->src);
	db_close(&p->dst);
	free(p);
	return 0;
}

static void exec(struct db *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
exec(struct db *db, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (db_exec(db, sql) < 0)
		fail_msg("%s", sql);
}

static int64_t
value(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t v;

	assert_non_null(st);
	assert_int_equal(db_step(db, st, "test"), DB_ROW);
	v = db_column_int64(st, 0);
	db_stmt_free(st);
	return v;
}

/* Every table row for row, column for column, the same in a and b. */
static void
assert_same(struct db *a, struct db *b)
{
	char sql[512];

	for (int i = 0; i < db_ntables; i++) {
		const struct db_table *t = &db_tables[i];
		struct db_stmt *x, *y;
		int rx, ry, n = 0;

		snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY %s",
		    t->columns, t->name, t->key);
		x = db_prepare(a, sql);
		y = db_prepare(b, sql);
		assert_non_null(x);
		assert_non_null(y);
		for (;;) {
			rx = db_step(a, x, "a");
			ry = db_step(b, y, "b");
			assert_int_equal(rx, ry);
			if (rx != DB_ROW)
				break;
			for (int c = 0; strchr(t->columns, ',') && c < 64; c++) {
				const char *u = db_column_text(x, c);
				const char *v = db_column_text(y, c);

				if (u == NULL && v == NULL && c > 0 &&
				    db_column_null(x, c) && c >= 20)
					break;
				if (u == NULL || v == NULL)
					assert_ptr_equal(u, v);
				else
					assert_string_equal(u, v);
			}
			n++;
		}
		db_stmt_free(x);
		db_stmt_free(y);
	}
}

static void
test_list_is_the_schema(void **state)
{
	struct pair *p = *state;

	assert_int_equal(db_copy_check(&p->src), 0);
	/* each table's key is one of its columns */
	for (int i = 0; i < db_ntables; i++)
		assert_non_null(strstr(db_tables[i].columns, db_tables[i].key));
}

static void
test_new_table_or_column_fails(void **state)
{
	struct pair *p = *state;

	exec(&p->src, "CREATE TABLE later (id INTEGER PRIMARY KEY, x TEXT)");
	assert_int_equal(db_copy_check(&p->src), ERR_FAIL);
	exec(&p->dst, "ALTER TABLE runs ADD COLUMN later INTEGER");
	assert_int_equal(db_copy_check(&p->dst), ERR_FAIL);
}

/* A course in src: MANY subscribers (the newest few erased), deliveries,
   events, runs, signups, suppressions and bounce_seen keys. */
static void
fill(struct db *db)
{
	exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	    " FROM n WHERE i < %d) INSERT INTO subscribers"
	    " (email, first_name, timezone, status, signed_up_at, course_at,"
	    " lessons_sent, created_at, updated_at) SELECT 'u' || i ||"
	    " '@example.net', CASE WHEN i %% 3 = 0 THEN NULL ELSE 'N''' || i"
	    " END, 'UTC', 'active', i, i, i %% 5, i, i FROM n", MANY);
	exec(db, "INSERT INTO runs (started_at, now_at, pid, sent) VALUES"
	    " (1, 1, 42, 3), (2, 2, 43, 0)");
	exec(db, "INSERT INTO deliveries (subscriber_id, message, state,"
	    " due_at, message_id, smtp_code, smtp_reply, sent_at, run_id,"
	    " created_at, updated_at) SELECT id, 'day1', 'sent', 1,"
	    " '<' || id || '@example.org>', 250, 'ok, \"queued\"', 2, 1, 1, 1"
	    " FROM subscribers");
	exec(db, "INSERT INTO events (at, subscriber_id, kind, detail)"
	    " SELECT 5, id, 'bounce_hard', 'line1' || char(10) || 'line2'"
	    " FROM subscribers WHERE id %% 7 = 0");
	exec(db, "INSERT INTO signups (email, ip, created_at) VALUES"
	    " ('s@example.net', '192.0.2.1', 9)");
	exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	    " FROM n WHERE i < %d) INSERT INTO suppressions"
	    " (hash, reason, created_at) SELECT printf('%%064x', i * 7919),"
	    " 'removed', i FROM n", MANY);
	exec(db, "INSERT INTO bounce_seen (key, at) VALUES ('', 1), ('k', 2)");
	/* the three newest erased: their ids are never handed out again */
	exec(db, "DELETE FROM subscribers WHERE id > %d", MANY - 3);
}

static void
test_copy_whole(void **state)
{
	struct pair *p = *state;
	struct db_copy_stats st;

	fill(&p->src);
	assert_int_equal(db_copy(&p->src, &p->dst, &st), 0);
	assert_true(st.rows > 3 * MANY);
	assert_non_null(strstr(st.detail, "bounce_seen 2"));
	assert_same(&p->src, &p->dst);
	assert_int_equal(value(&p->dst, "SELECT seq FROM sqlite_sequence"
	    " WHERE name = 'subscribers'"), MANY);
	exec(&p->dst, "INSERT INTO subscribers (email, signed_up_at,"
	    " created_at, updated_at) VALUES ('new@example.net', 1, 1, 1)");
	assert_int_equal(value(&p->dst, "SELECT max(id) FROM subscribers"),
	    MANY + 1);
	/* the target now has rows: a second copy is refused */
	assert_int_equal(db_copy(&p->src, &p->dst, &st), ERR_PERM);
}

static void
test_refuse_non_empty(void **state)
{
	struct pair *p = *state;
	struct db_copy_stats st;

	fill(&p->src);
	exec(&p->dst, "INSERT INTO bounce_seen (key, at) VALUES ('x', 1)");
	assert_int_equal(db_copy(&p->src, &p->dst, &st), ERR_PERM);
	assert_int_equal(st.rows, 0);
	assert_int_equal(value(&p->dst, "SELECT count(*) FROM subscribers"),
	    0);
	assert_int_equal(value(&p->dst, "SELECT count(*) FROM bounce_seen"),
	    1);
}

static void
test_password_in_target(void **state)
{
	(void)state;
	assert_true(db_copy_has_password("postgresql://u:pw@h/db"));
	assert_true(db_copy_has_password("postgres://u@h/db?password=pw"));
	assert_false(db_copy_has_password("postgresql://u@h:5432/db"));
	assert_false(db_copy_has_password("course:pw@x.db"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_is_the_schema,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_table_or_column_fails,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_whole, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuse_non_empty, setup,
		    teardown),
		cmocka_unit_test(test_password_in_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
