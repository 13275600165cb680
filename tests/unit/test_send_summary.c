/*
 * test_send_summary.c - when `run` prints its summary line, as a table:
 * always without -q; with -q only when something was sent or went wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "send.h"

static void
test_table(void **state)
{
	static const struct {
		long	 sent, retry, failed, suppressed, resent, postponed;
		int	 unreachable, err, quiet, want;
	} t[] = {
		/* idle */
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 },
		/* nothing sent, nothing wrong */
		{ 0, 0, 0, 3, 0, 0, 0, 0, 1, 0 },
		{ 0, 0, 0, 0, 0, 2, 0, 0, 1, 0 },
		/* something sent */
		{ 1, 0, 0, 0, 0, 0, 0, 0, 1, 1 },
		{ 4, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		/* something went wrong */
		{ 0, 1, 0, 0, 0, 0, 0, 0, 1, 1 },
		{ 0, 0, 1, 0, 0, 0, 0, 0, 1, 1 },
		{ 0, 0, 0, 0, 1, 0, 0, 0, 1, 1 },
		{ 0, 0, 0, 0, 0, 0, 1, 0, 1, 1 },
		{ 0, 0, 0, 0, 0, 0, 0, -1, 1, 1 },
		{ 0, 0, 0, 0, 0, 0, 0, -2, 1, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct send_stats st;

		memset(&st, 0, sizeof(st));
		st.sent = t[i].sent;
		st.retry = t[i].retry;
		st.failed = t[i].failed;
		st.suppressed = t[i].suppressed;
		st.resent = t[i].resent;
		st.postponed = t[i].postponed;
		st.unreachable = t[i].unreachable;
		assert_int_equal(send_summary_wanted(&st, t[i].err,
		    t[i].quiet), t[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests_name("send_summary", tests, NULL, NULL);
}
