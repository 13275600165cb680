/*
 * test_guard.c - the automatic pause's rule as a table: counts and [guard]
 * limits in, verdict out; and the one line that says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "guard.h"

static void
limits(struct config *c, int min_sample, double bounce, double complaint)
{
	memset(c, 0, sizeof(*c));
	c->guard_window = 7 * 86400;
	c->guard_min_sample = min_sample;
	c->guard_max_bounce = bounce;
	c->guard_max_complaint = complaint;
}

static void
test_decide(void **state)
{
	static const struct {
		long	 sends, bounces, complaints;
		int	 min_sample;
		double	 max_bounce, max_complaint;
		enum guard_verdict want;
	} t[] = {
		/* nothing sent, or fewer than min_sample: no verdict */
		{ 0, 0, 0, 200, 5, 0.3, GUARD_FEW },
		{ 199, 199, 199, 200, 5, 0.3, GUARD_FEW },
		{ 9, 9, 0, 10, 5, 0.3, GUARD_FEW },
		/* at min_sample the rates count */
		{ 200, 0, 0, 200, 5, 0.3, GUARD_OK },
		{ 200, 10, 0, 200, 5, 0.3, GUARD_OK },	/* 5.0%: at */
		{ 200, 11, 0, 200, 5, 0.3, GUARD_BOUNCES },	/* 5.5% */
		{ 1000, 3, 0, 200, 5, 0.3, GUARD_OK },
		{ 1000, 0, 3, 200, 5, 0.3, GUARD_OK },	/* 0.3%: at */
		{ 1000, 0, 4, 200, 5, 0.3, GUARD_COMPLAINTS },	/* 0.4% */
		{ 200, 1, 1, 200, 5, 0.3, GUARD_COMPLAINTS },	/* 0.5% */
		/* both over: bounces are named first */
		{ 200, 20, 20, 200, 5, 0.3, GUARD_BOUNCES },
		/* a limit of 0%: any one pauses; 100%: never */
		{ 500, 1, 0, 200, 0, 0.3, GUARD_BOUNCES },
		{ 500, 0, 0, 200, 0, 0, GUARD_OK },
		{ 500, 500, 500, 200, 100, 100, GUARD_OK },
		/* more bounces than sends (late DSNs for older mail) */
		{ 300, 400, 0, 200, 5, 0.3, GUARD_BOUNCES },
	};
	struct guard_counts n;
	struct config c;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		limits(&c, t[i].min_sample, t[i].max_bounce,
		    t[i].max_complaint);
		memset(&n, 0, sizeof(n));
		n.sends = t[i].sends;
		n.bounces = t[i].bounces;
		n.complaints = t[i].complaints;
		if (guard_decide(&n, &c) != t[i].want)
			fail_msg("row %zu: verdict %d, want %d", i,
			    guard_decide(&n, &c), t[i].want);
	}
}

static void
test_reason(void **state)
{
	struct guard_counts n = { 1780488000, 200, 12, 1 };
	struct config c;
	char out[GUARD_REASON_MAX];

	(void)state;
	limits(&c, 200, 5, 0.3);
	guard_reason(&n, &c, GUARD_BOUNCES, out, sizeof(out));
	assert_string_equal(out, "hard bounces 6.0% (12 of 200 sends since "
	    "2026-06-03T12:00:00Z) over [guard] max_bounce_rate 5%, "
	    "complaints 0.50% (1)");
	n.bounces = 0;
	guard_reason(&n, &c, GUARD_COMPLAINTS, out, sizeof(out));
	assert_string_equal(out, "hard bounces 0.0% (0 of 200 sends since "
	    "2026-06-03T12:00:00Z), complaints 0.50% (1) over [guard] "
	    "max_complaint_rate 0.3%");
	/* nothing sent: rates of 0, no division by zero */
	n.sends = 0;
	guard_reason(&n, &c, GUARD_FEW, out, sizeof(out));
	assert_non_null(strstr(out, "hard bounces 0.0% (0 of 0 sends"));
	/* a short buffer truncates, terminated */
	guard_reason(&n, &c, GUARD_FEW, out, 8);
	assert_string_equal(out, "hard bo");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_reason),
	};

	return cmocka_run_group_tests_name("guard", tests, NULL, NULL);
}
