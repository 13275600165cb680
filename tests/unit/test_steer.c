/*
 * test_steer.c - who may be steered how: steer_refusal() and
 * steer_no_change() over every status and operation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "steer.h"

/* R refused, C no change, D done. */
static const struct {
	const char	*status;
	int		 paused;
	int		 on_course;
	const char	*want;	/* pause resume resend restart resubscribe */
} cases[] = {
	{ "active",	  0, 1, "DCDDC" },
	{ "active",	  1, 1, "CDDDC" },
	{ "active",	  0, 0, "DCDRC" },	/* waitlist: no course yet */
	{ "completed",	  0, 1, "RCDDC" },
	{ "unsubscribed", 0, 1, "RCRRD" },
	{ "unsubscribed", 1, 1, "RDRRD" },	/* paused, then unsubscribed */
	{ "bounced",	  0, 1, "RCRRD" },
	{ "complained",	  0, 1, "RCRRR" },
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct steer_sub s;

		memset(&s, 0, sizeof(s));
		(void)snprintf(s.status, sizeof(s.status), "%s",
		    cases[i].status);
		s.paused_at = cases[i].paused ? 1000 : 0;
		s.course_at = cases[i].on_course ? 500 : 0;
		for (int op = STEER_PAUSE; op <= STEER_RESUBSCRIBE; op++) {
			char got = steer_refusal(op, &s) ? 'R' :
			    steer_no_change(op, &s) ? 'C' : 'D';

			if (got != cases[i].want[op])
				fail_msg("%s paused=%d course=%d op %d: got %c,"
				    " want %c", cases[i].status,
				    cases[i].paused, cases[i].on_course, op,
				    got, cases[i].want[op]);
		}
	}
}

static void
test_complaint_says_why(void **state)
{
	struct steer_sub s = { .status = "complained" };
	const char *why = steer_refusal(STEER_RESUBSCRIBE, &s);

	(void)state;
	assert_non_null(why);
	assert_non_null(strstr(why, "complaint cannot be undone"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_complaint_says_why),
	};

	return cmocka_run_group_tests_name("steer", tests, NULL, NULL);
}
