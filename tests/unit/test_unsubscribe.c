/*
 * test_unsubscribe.c - the one-click POST body: urlencoded and
 * multipart/form-data (RFC 8058, RFC 7578).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dripmail.h"
#include "unsubscribe.h"

#define MP	"multipart/form-data; boundary="
#define CD	"Content-Disposition: form-data; name="

static const struct {
	const char	*ctype;
	const char	*body;
	const char	*want;		/* NULL: not found */
} cases[] = {
	/* urlencoded, as RFC 8058 allows, and with a line break after it */
	{ NULL, "List-Unsubscribe=One-Click", "One-Click" },
	{ "application/x-www-form-urlencoded",
	    "List-Unsubscribe=One-Click\r\n", "One-Click" },
	{ NULL, "t=abc&List-Unsubscribe=One%2DClick\n", "One-Click" },
	{ NULL, "List-Unsubscribe=One-Click\r\nx", NULL },
	/* multipart, as curl -F and mailbox providers send it */
	{ MP "----x1", "------x1\r\n" CD "\"List-Unsubscribe\"\r\n\r\n"
	    "One-Click\r\n------x1--\r\n", "One-Click" },
	{ "Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b\"",
	    "preamble\r\n--a b\r\n" CD "\"x\"\r\n\r\nList-Unsubscribe\r\n"
	    "--a b\r\n" CD "List-Unsubscribe\r\n\r\nOne-Click\r\n--a b--",
	    "One-Click" },
	/* LF line breaks only */
	{ MP "q", "--q\n" CD "\"List-Unsubscribe\"\n\nOne-Click\n--q--\n",
	    "One-Click" },
	/* a name that only starts the same, a value in a field of another name */
	{ MP "q", "--q\r\n" CD "\"List-Unsubscribe2\"\r\n\r\nOne-Click\r\n"
	    "--q--\r\n", NULL },
	{ MP "q", "--q\r\n" CD "\"x\"\r\n\r\nList-Unsubscribe=One-Click\r\n"
	    "--q--\r\n", NULL },
	/* no delimiter after the content, another boundary, none at all */
	{ MP "q", "--q\r\n" CD "\"List-Unsubscribe\"\r\n\r\nOne-Click",
	    NULL },
	{ MP "r", "--q\r\n" CD "\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n"
	    "--q--\r\n", NULL },
	{ "multipart/form-data", "--q\r\n" CD "\"List-Unsubscribe\"\r\n\r\n"
	    "One-Click\r\n--q--\r\n", NULL },
	{ MP "\"\"", "--\r\n" CD "\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n"
	    "----\r\n", NULL },
	/* control characters and values too long are refused */
	{ MP "q", "--q\r\n" CD "\"List-Unsubscribe\"\r\n\r\nOne\x01-Click\r\n"
	    "--q--\r\n", NULL },
	{ MP "q", "--q\r\n" CD "\"List-Unsubscribe\"\r\n\r\n"
	    "One-Click-One-Click-One-Click-One-Click\r\n--q--\r\n", NULL },
	/* after the close delimiter nothing counts */
	{ MP "q", "--q--\r\n--q\r\n" CD "\"List-Unsubscribe\"\r\n\r\n"
	    "One-Click\r\n--q--\r\n", NULL },
};

static void
test_body_value(void **state)
{
	char out[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int found = unsubscribe_body_value(cases[i].ctype,
		    cases[i].body, strlen(cases[i].body), "List-Unsubscribe",
		    out, sizeof(out));

		if (found != (cases[i].want != NULL))
			fail_msg("case %zu: found=%d", i, found);
		if (found)
			assert_string_equal(out, cases[i].want);
	}
}

/* The length given counts, not a NUL inside the body. */
static void
test_body_binary(void **state)
{
	static const char body[] = "--q\r\n" CD "\"a\"\r\n\r\n\0\0\r\n--q\r\n"
	    CD "\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--q--\r\n";
	char out[32];

	(void)state;
	assert_int_equal(unsubscribe_body_value(MP "q", body,
	    sizeof(body) - 1, "List-Unsubscribe", out, sizeof(out)), 1);
	assert_string_equal(out, "One-Click");
	assert_int_equal(unsubscribe_body_value(MP "q", body, 20,
	    "List-Unsubscribe", out, sizeof(out)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_value),
		cmocka_unit_test(test_body_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
