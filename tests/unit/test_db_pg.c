/*
 * test_db_pg.c - what the PostgreSQL backend computes without a server:
 * the ?N to $N rewrite, the URI shown in messages, the SQLSTATE classes.
 * (The backend against a real server: tests/e2e/0130-database-pg.bats.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "db_pg.h"
#include "dripmail.h"

/* sql rewritten, expecting out and n parameters. */
static void
rewrites(const char *sql, const char *out, int n)
{
	const char *why = NULL;
	char *got;
	int np = -1;

	got = db_pg_sql(sql, &np, &why);
	if (got == NULL)
		fail_msg("'%s' refused: %s", sql, why);
	assert_string_equal(got, out);
	assert_int_equal(np, n);
	free(got);
}

/* sql refused, for a reason that starts with why. */
static void
refuses(const char *sql, const char *why)
{
	const char *got = NULL;
	int np = -1;

	assert_null(db_pg_sql(sql, &np, &got));
	assert_non_null(got);
	assert_memory_equal(got, why, strlen(why));
	assert_int_equal(np, 0);
}

static void
test_rewrite(void **state)
{
	(void)state;
	rewrites("SELECT 1", "SELECT 1", 0);
	rewrites("SELECT id FROM subscribers WHERE email = ?1",
	    "SELECT id FROM subscribers WHERE email = $1", 1);
	rewrites("UPDATE t SET a = ?2, b = ?10 WHERE id = ?1",
	    "UPDATE t SET a = $2, b = $10 WHERE id = $1", 10);
	rewrites("SELECT ?3,?3", "SELECT $3,$3", 3);
	rewrites("SELECT CAST(?1 AS BIGINT)", "SELECT CAST($1 AS BIGINT)", 1);
	/* the same text in the store's DB_PENDING and elsewhere */
	rewrites("SELECT 1 FROM deliveries WHERE " DB_PENDING("d.")
	    " AND d.id = ?1", "SELECT 1 FROM deliveries WHERE "
	    DB_PENDING("d.") " AND d.id = $1", 1);
}

/* A ? inside literals, quoted names and comments is text, not a
   parameter. */
static void
test_rewrite_quoted(void **state)
{
	(void)state;
	rewrites("SELECT '?1' || ?1", "SELECT '?1' || $1", 1);
	rewrites("SELECT 'it''s ?2', ?1", "SELECT 'it''s ?2', $1", 1);
	rewrites("SELECT '', ?1, ''''", "SELECT '', $1, ''''", 1);
	rewrites("SELECT \"odd?1\" FROM t WHERE a = ?1",
	    "SELECT \"odd?1\" FROM t WHERE a = $1", 1);
	rewrites("SELECT \"a\"\"?2\" FROM t", "SELECT \"a\"\"?2\" FROM t", 0);
	rewrites("SELECT E'\\'?2', ?1", "SELECT E'\\'?2', $1", 1);
	/* a backslash ends nothing in a standard string */
	rewrites("SELECT '\\', ?1", "SELECT '\\', $1", 1);
	rewrites("SELECT ?1 -- ?2 a comment\n, ?3",
	    "SELECT $1 -- ?2 a comment\n, $3", 3);
	rewrites("SELECT /* ?2 /* nested ?4 */ ?5 */ ?1",
	    "SELECT /* ?2 /* nested ?4 */ ?5 */ $1", 1);
	rewrites("SELECT $$ ?2 $$, $x$ ?3 $$ $x$, ?1",
	    "SELECT $$ ?2 $$, $x$ ?3 $$ $x$, $1", 1);
	/* a division and a minus are not comments */
	rewrites("SELECT ?1 / ?2 - ?3", "SELECT $1 / $2 - $3", 3);
	/* an identifier ending in E is no E'' string */
	rewrites("SELECT name'x' FROM t WHERE a = ?1",
	    "SELECT name'x' FROM t WHERE a = $1", 1);
}

static void
test_rewrite_refused(void **state)
{
	(void)state;
	refuses("SELECT * FROM t WHERE a = ?", "a bare ?");
	refuses("SELECT ?1, ? FROM t", "a bare ?");
	refuses("SELECT ?0", "a parameter number out of range");
	refuses("SELECT ?65536", "a parameter number out of range");
	refuses("SELECT ?99999999999999999999", "a parameter number out");
	refuses("SELECT 'open ?1", "a string, quoted name or comment");
	refuses("SELECT \"open", "a string, quoted name or comment");
	refuses("SELECT 1 /* open /* */", "a string, quoted name or comment");
	refuses("SELECT $t$ open", "a string, quoted name or comment");
	rewrites("SELECT ?65535", "SELECT $65535", 65535);
}

static void
redacts(const char *uri, const char *out)
{
	char *got = db_pg_redact(uri);

	assert_string_equal(got, out);
	free(got);
}

static void
test_redact(void **state)
{
	(void)state;
	redacts("postgresql://dm@db.example.org:5432/course",
	    "postgresql://dm@db.example.org:5432/course");
	redacts("postgresql://dm:s3cret@db.example.org/course",
	    "postgresql://dm@db.example.org/course");
	redacts("postgres://dm:p@ss:w@127.0.0.1:5433/c?sslmode=require",
	    "postgres://dm@127.0.0.1:5433/c?sslmode=require");
	redacts("postgresql://dm@h/c?password=s3cret",
	    "postgresql://dm@h/c");
	redacts("postgresql://dm@h/c?sslmode=verify-full&password=x&"
	    "connect_timeout=5", "postgresql://dm@h/c?sslmode=verify-full&"
	    "connect_timeout=5");
	redacts("postgresql://dm@h/c?password=x&sslmode=require",
	    "postgresql://dm@h/c?sslmode=require");
	redacts("postgresql://dm@h/c?passwordless=1",
	    "postgresql://dm@h/c?passwordless=1");
	redacts("postgresql://h1:5432,h2:5433/c",
	    "postgresql://h1:5432,h2:5433/c");
	redacts("postgresql:///c", "postgresql:///c");
	redacts("postgresql://u:pw@", "postgresql://u@");
}

static void
test_sqlstate(void **state)
{
	static const char *const temp[] = {
		"08000", "08001", "08006", "08P01", "40001", "40P01",
		"55P03", "53300", "57P01", "57P02", "57P03",
	};
	static const char *const fail[] = {
		"23505", "23503", "42P01", "42703", "25P02", "22P02",
		"53100", "0A000", "57014",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(temp) / sizeof(temp[0]); i++)
		assert_int_equal(db_pg_sqlstate_err(temp[i]), ERR_TEMP);
	for (size_t i = 0; i < sizeof(fail) / sizeof(fail[0]); i++)
		assert_int_equal(db_pg_sqlstate_err(fail[i]), ERR_FAIL);
	assert_int_equal(db_pg_sqlstate_err(NULL), ERR_FAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_rewrite_quoted),
		cmocka_unit_test(test_rewrite_refused),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_sqlstate),
	};

	return cmocka_run_group_tests_name("db_pg", tests, NULL, NULL);
}
