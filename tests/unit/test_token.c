/*
 * test_token.c - HMAC tokens: round trip, forgery, purpose, tampering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dripmail.h"
#include "token.h"

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
static const unsigned char other[] = "fedcba9876543210fedcba9876543210";

static void
test_roundtrip(void **state)
{
	char t[TOKEN_LEN + 1];
	int64_t sub, extra;

	(void)state;
	token_make(key, 32, TOKEN_UNSUBSCRIBE, 42, 0, t);
	assert_int_equal(strlen(t), 44);
	assert_int_equal(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789-_"), 44);
	assert_int_equal(token_check(key, 32, TOKEN_UNSUBSCRIBE, t, &sub,
	    &extra), 0);
	assert_int_equal(sub, 42);
	assert_int_equal(extra, 0);
	token_make(key, 32, TOKEN_VERP, 7, 123456789012LL, t);
	assert_int_equal(token_check(key, 32, TOKEN_VERP, t, &sub, &extra), 0);
	assert_int_equal(sub, 7);
	assert_int_equal(extra, 123456789012LL);
}

static void
test_deterministic(void **state)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];

	(void)state;
	token_make(key, 32, TOKEN_UNSUBSCRIBE, 5, 0, a);
	token_make(key, 32, TOKEN_UNSUBSCRIBE, 5, 0, b);
	assert_string_equal(a, b);
	token_make(key, 32, TOKEN_UNSUBSCRIBE, 6, 0, b);
	assert_string_not_equal(a, b);
}

static void
test_refused(void **state)
{
	char t[TOKEN_LEN + 1], bad[TOKEN_LEN + 1];
	int64_t sub = -1, extra = -1;

	(void)state;
	token_make(key, 32, TOKEN_UNSUBSCRIBE, 42, 0, t);
	/* Wrong key, wrong purpose. */
	assert_int_equal(token_check(other, 32, TOKEN_UNSUBSCRIBE, t, &sub,
	    &extra), ERR_FAIL);
	assert_int_equal(token_check(key, 32, TOKEN_VERP, t, &sub, &extra),
	    ERR_FAIL);
	/* Every single-character change is refused. */
	for (size_t i = 0; i < strlen(t); i++) {
		memcpy(bad, t, sizeof(bad));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(token_check(key, 32, TOKEN_UNSUBSCRIBE, bad,
		    &sub, &extra), ERR_FAIL);
	}
	/* Truncated, padded, garbage, empty, NULL. */
	memcpy(bad, t, sizeof(bad));
	bad[43] = '\0';
	assert_int_equal(token_check(key, 32, TOKEN_UNSUBSCRIBE, bad, &sub,
	    &extra), ERR_FAIL);
	assert_int_equal(token_check(key, 32, TOKEN_UNSUBSCRIBE,
	    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", &sub, &extra),
	    ERR_FAIL);
	assert_int_equal(token_check(key, 32, TOKEN_UNSUBSCRIBE, "", &sub,
	    &extra), ERR_FAIL);
	assert_int_equal(token_check(key, 32, TOKEN_UNSUBSCRIBE, NULL, &sub,
	    &extra), ERR_FAIL);
	/* Nothing was written on failure. */
	assert_int_equal(sub, -1);
	assert_int_equal(extra, -1);
}

/* A token of one purpose is refused for every other (same id, extra). */
static void
test_purposes(void **state)
{
	static const enum token_purpose all[] = { TOKEN_UNSUBSCRIBE,
	    TOKEN_VERP, TOKEN_SIGNUP };
	char t[TOKEN_LEN + 1];
	int64_t sub, extra;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		token_make(key, 32, all[i], 42, 1796200360, t);
		for (size_t j = 0; j < 3; j++)
			assert_int_equal(token_check(key, 32, all[j], t, &sub,
			    &extra), i == j ? 0 : ERR_FAIL);
		assert_int_equal(extra, 1796200360);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_purposes),
	};

	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
