/*
 * test_spam.c - reading spamassassin's mbox output back, message by
 * message, whatever order it chose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dripmail.h"
#include "spam.h"

static const char out2[] =
    "From dripmail-1@localhost Thu Jan  1 00:00:00 1970\n"
    "X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\n"
    "X-Spam-Score: 6.6\n"
    "X-Spam-Report: \n"
    "\t*  2.2 HTML_IMAGE_ONLY_32 BODY: HTML: images with 2800-3200 bytes"
    " of\n"
    "\t*      words\n"
    "\t*  0.5 SUBJ_ALL_CAPS Subject is all capitals\n"
    "\t*  2.7 GUARANTEED_100_PERCENT BODY: One hundred percent"
    " guaranteed\n"
    "\t* -0.0 NO_RELAYS Informational: message was not relayed via SMTP\n"
    "Subject: FREE\n"
    "X-Spam-Score: 99.0\n"
    "\n"
    "body\n"
    "From the body, not a separator\n"
    "\n"
    "From dripmail-0@localhost Thu Jan  1 00:00:00 1970\n"
    "X-Spam-Report: \n"
    "\t*  0.0 HTML_MESSAGE BODY: HTML included in message\n"
    "X-Spam-Score: -0.0\n"
    "Subject: Day 1\n"
    "\n"
    "text\n";

static void
test_parse(void **state)
{
	struct spam_report *r = calloc(2, sizeof(*r));

	(void)state;
	assert_int_equal(spam_parse(out2, sizeof(out2) - 1, r, 2), 0);
	assert_true(r[0].score > -0.05 && r[0].score < 0.05);
	assert_int_equal(r[0].n, 1);
	assert_string_equal(r[0].rules[0].name, "HTML_MESSAGE");
	/* The first X-Spam-Score is spamassassin's, not the message's. */
	assert_true(r[1].score > 6.55 && r[1].score < 6.65);
	assert_int_equal(r[1].n, 4);
	/* Highest first; a wrapped description is joined. */
	assert_string_equal(r[1].rules[0].name, "GUARANTEED_100_PERCENT");
	assert_string_equal(r[1].rules[1].name, "HTML_IMAGE_ONLY_32");
	assert_string_equal(r[1].rules[1].desc,
	    "BODY: HTML: images with 2800-3200 bytes of words");
	assert_string_equal(r[1].rules[3].name, "NO_RELAYS");
	spam_reports_free(r, 2);
}

static void
test_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"",
		/* one message missing */
		"From dripmail-0@localhost x\nX-Spam-Score: 1.0\n"
		"X-Spam-Report: \n\t* 1.0 A_RULE text\n\n",
		/* the same message twice */
		"From dripmail-0@localhost x\nX-Spam-Score: 1.0\n"
		"X-Spam-Report: \n\t* 1.0 A_RULE text\n\n"
		"From dripmail-0@localhost x\nX-Spam-Score: 1.0\n"
		"X-Spam-Report: \n\t* 1.0 A_RULE text\n\n",
		/* an index out of range, or none */
		"From dripmail-7@localhost x\nX-Spam-Score: 1.0\n"
		"X-Spam-Report: \n\t* 1.0 A_RULE text\n\n",
		"From someone@localhost x\nX-Spam-Score: 1.0\n"
		"X-Spam-Report: \n\t* 1.0 A_RULE text\n\n",
		/* not scored */
		"From dripmail-0@localhost x\nSubject: x\n\n"
		"From dripmail-1@localhost x\nSubject: y\n\n",
		"From dripmail-0@localhost x\nX-Spam-Score: lots\n"
		"X-Spam-Report: \n\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spam_report *r = calloc(2, sizeof(*r));

		assert_int_equal(spam_parse(bad[i], strlen(bad[i]), r, 2),
		    ERR_FAIL);
		spam_reports_free(r, 2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refuses),
	};

	return cmocka_run_group_tests_name("spam", tests, NULL, NULL);
}
