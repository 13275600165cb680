/*
 * test_verdict.c - the one rule for what a refusal means, as a table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "verdict.h"

static void
test_table(void **state)
{
	static const struct {
		enum smtp_step	 step;
		int		 code;
		const char	*status, *text;
		enum bounce_kind kind;
		int		 sender, temporary;
	} t[] = {
		{ SMTP_STEP_EOD, 250, "2.0.0", "Ok: queued", BOUNCE_OTHER,
		    0, 0 },
		{ SMTP_STEP_RCPT, 550, "5.1.1", "<a@b.org>: user unknown",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_RCPT, 550, NULL, "5.1.1 <a@b.org>: unknown",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_RCPT, 550, NULL, "No such user here",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_MAIL, 550, "5.1.8", "<course@example.org>: Sender"
		    " address rejected: Domain not found", BOUNCE_SOFT, 1, 0 },
		{ SMTP_STEP_RCPT, 550, "5.1.8", "Sender address rejected",
		    BOUNCE_SOFT, 1, 0 },
		{ SMTP_STEP_EOD, 550, NULL, "Message rejected as spam",
		    BOUNCE_SOFT, 1, 0 },
		{ SMTP_STEP_EOD, 550, "5.1.1", "user unknown", BOUNCE_SOFT,
		    1, 0 },
		{ SMTP_STEP_DATA, 554, NULL, "no valid recipients",
		    BOUNCE_SOFT, 1, 0 },
		{ SMTP_STEP_RCPT, 450, "4.2.0", "greylisted", BOUNCE_SOFT,
		    0, 1 },
		{ SMTP_STEP_RCPT, 452, "4.1.1", "try later", BOUNCE_SOFT,
		    0, 1 },
		{ SMTP_STEP_RCPT, 554, "5.7.1", "relay access denied",
		    BOUNCE_SOFT, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, "5.1.1", "", BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, "2.0.0", "delivered", BOUNCE_OTHER,
		    0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct verdict v;

		verdict_reply(t[i].step, t[i].code, t[i].status, t[i].text,
		    &v);
		assert_int_equal(v.kind, t[i].kind);
		assert_int_equal(v.sender, t[i].sender);
		assert_int_equal(v.temporary, t[i].temporary);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
}
