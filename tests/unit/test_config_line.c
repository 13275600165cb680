/*
 * test_config_line.c - what is wrong with one settings line, as a table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static void
test_table(void **state)
{
	static const struct {
		const char	*line;
		size_t		 n;		/* 0: strlen */
		const char	*want;		/* start of the reason, or NULL */
	} t[] = {
		{ "", 0, NULL },
		{ "\n", 0, NULL },
		{ "  \t\r\n", 0, NULL },
		{ "; a comment\n", 0, NULL },
		{ "# a comment\n", 0, NULL },
		{ "[course]\n", 0, NULL },
		{ "[course] ; trailing\n", 0, NULL },
		{ "name = Practical Peace: a course\n", 0, NULL },
		{ "name: value\n", 0, NULL },
		{ "\xef\xbb\xbf[course]\r\n", 0, NULL },
		{ "  continued value\n", 0, NULL },
		{ "hello world\n", 0, "syntax error: expected" },
		{ "\xef\xbb\xbfhello\n", 0, "syntax error: expected" },
		{ "[course\n", 0, "syntax error: a [section]" },
		{ "SQLite format 3\0\x10\x00", 18, "not a settings file: binary" },
		{ "name = x\0y\n", 11, "not a settings file: binary" },
		{ "name = \xff\xfe\n", 0, "not a settings file: not UTF-8" },
		{ "name = Zo\xc3\xab\n", 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = t[i].n ? t[i].n : strlen(t[i].line);
		const char *why = config_line_problem(t[i].line, n);

		if (t[i].want == NULL)
			assert_null(why);
		else {
			assert_non_null(why);
			assert_memory_equal(why, t[i].want, strlen(t[i].want));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests_name("config_line", tests, NULL, NULL);
}
