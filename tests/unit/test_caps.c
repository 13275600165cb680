/*
 * test_caps.c - the sending caps: today's cap from max_per_day and the
 * warm-up list, the host's local day, and which messages may go now.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "caps.h"
#include "config.h"
#include "dripmail.h"
#include "util.h"

static struct config cfg;

static void
reset(void)
{
	memset(&cfg, 0, sizeof(cfg));
}

static void
set_warmup(const long *w, int n)
{
	for (int i = 0; i < n; i++)
		cfg.warmup[i] = w[i];
	cfg.nwarmup = n;
}

static time_t
T(const char *iso)
{
	time_t t;

	if (time_parse_iso(iso, &t) < 0)
		fail_msg("bad time '%s'", iso);
	return t;
}

static void
test_limit_table(void **state)
{
	static const long w[] = { 50, 100, 250, 500, 1000, 2500 };
	static const struct {
		int	 warmup;	/* use w[] */
		long	 max_per_day;
		int	 day;
		long	 want;
	} t[] = {
		{ 0, 0, 1, 0 },		/* nothing set: no cap */
		{ 0, 800, 1, 800 },
		{ 0, 800, 40, 800 },
		{ 1, 0, 1, 50 },	/* the warm-up list */
		{ 1, 0, 3, 250 },
		{ 1, 0, 6, 2500 },
		{ 1, 0, 7, 0 },		/* after it: unlimited */
		{ 1, 800, 7, 800 },	/* after it: max_per_day */
		{ 1, 800, 5, 800 },	/* both: the lower */
		{ 1, 800, 4, 500 },
		{ 1, 800, 0, 800 },	/* no day 0 */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		reset();
		if (t[i].warmup)
			set_warmup(w, ARRAY_SIZE(w));
		cfg.max_per_day = t[i].max_per_day;
		if (caps_limit(&cfg, t[i].day) != t[i].want)
			fail_msg("row %zu: day %d: %ld, want %ld", i, t[i].day,
			    caps_limit(&cfg, t[i].day), t[i].want);
	}
}

static void
test_day_table(void **state)
{
	static const struct {
		const char	*first, *now, *tz;
		int		 want;
	} t[] = {
		{ NULL, "2026-06-10T09:00Z", "UTC", 1 },	/* never sent */
		{ "2026-06-10T09:00Z", "2026-06-10T23:59Z", "UTC", 1 },
		{ "2026-06-10T09:00Z", "2026-06-11T00:00Z", "UTC", 2 },
		{ "2026-06-10T23:59Z", "2026-06-12T00:00Z", "UTC", 3 },
		/* Auckland (UTC+12 in June): the day turns at 12:00 UTC */
		{ "2026-06-10T09:00Z", "2026-06-10T11:59Z", "Pacific/Auckland",
		    1 },
		{ "2026-06-10T09:00Z", "2026-06-10T12:00Z", "Pacific/Auckland",
		    2 },
		/* New York across the spring DST change: calendar days */
		{ "2026-03-07T05:00Z", "2026-03-09T04:30Z", "America/New_York",
		    3 },
		{ "2026-03-07T05:00Z", "2026-03-09T03:30Z", "America/New_York",
		    2 },
		/* a clock set back: still day 1, never 0 */
		{ "2026-06-10T09:00Z", "2026-06-01T09:00Z", "UTC", 1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int got = caps_day(t[i].first ? T(t[i].first) : 0,
		    T(t[i].now), t[i].tz);

		if (got != t[i].want)
			fail_msg("row %zu: %s -> %s in %s: day %d, want %d", i,
			    t[i].first ? t[i].first : "never", t[i].now,
			    t[i].tz, got, t[i].want);
	}
}

static void
test_midnight(void **state)
{
	char out[32];

	(void)state;
	time_format_iso(caps_midnight(T("2026-06-10T11:59Z"),
	    "Pacific/Auckland"), out, sizeof(out));
	assert_string_equal(out, "2026-06-09T12:00:00Z");
	time_format_iso(caps_midnight(T("2026-06-10T12:00Z"),
	    "Pacific/Auckland"), out, sizeof(out));
	assert_string_equal(out, "2026-06-10T12:00:00Z");
	/* Sao Paulo had DST starting at midnight (2018-11-04): 01:00. */
	time_format_iso(caps_midnight(T("2018-11-04T12:00Z"),
	    "America/Sao_Paulo"), out, sizeof(out));
	assert_string_equal(out, "2018-11-04T03:00:00Z");
}

/* Put rcpts to c one by one; the verdicts as a string: o, d (day), h. */
static void
assert_takes(struct caps *c, const char *const *rcpts, const char *want)
{
	char got[64];
	size_t i;

	for (i = 0; rcpts[i] && i < sizeof(got) - 1; i++) {
		enum caps_verdict v = caps_take(c, rcpts[i]);

		got[i] = v == CAPS_OK ? 'o' : v == CAPS_DAY ? 'd' : 'h';
	}
	got[i] = '\0';
	assert_string_equal(got, want);
}

static void
test_take(void **state)
{
	static const long w[] = { 3, 6 };
	static const char *const rcpts[] = { "a@gmail.com", "b@Gmail.COM",
	    "c@example.net", "d@gmail.com", "e@outlook.com", "f@outlook.com",
	    "g@example.net", "h@mail.gmail.com", "i@example.net", NULL };
	struct caps_counts n;
	struct caps c;
	time_t now = T("2026-06-11T10:00Z");

	(void)state;
	reset();
	cfg.domain_caps[0].domain = (char *)"gmail.com";
	cfg.domain_caps[0].max = 2;
	cfg.domain_caps[1].domain = (char *)"outlook.com";
	cfg.domain_caps[1].max = 1;
	cfg.ndomain_caps = 2;

	/* No daily cap: only the domains hold back; a subdomain is apart. */
	memset(&n, 0, sizeof(n));
	caps_init(&c, &cfg, &n, now, "UTC");
	assert_int_equal(caps_room(&c), -1);
	assert_takes(&c, rcpts, "ooohohooo");
	assert_int_equal(c.today, 7);

	/* The hour's earlier sends count: gmail.com has room for one. */
	n.hour[0] = 1;
	caps_init(&c, &cfg, &n, now, "UTC");
	assert_takes(&c, rcpts, "ohohohooo");

	/* Warm-up day 2 (cap 6) with 2 sent today: four more, then none. */
	set_warmup(w, 2);
	memset(&n, 0, sizeof(n));
	n.first_sent = T("2026-06-10T09:00Z");
	n.today = 2;
	caps_init(&c, &cfg, &n, now, "UTC");
	assert_int_equal(c.day, 2);
	assert_int_equal(c.warmup, 1);
	assert_int_equal(c.limit, 6);
	assert_int_equal(caps_room(&c), 4);
	/* A full domain is not counted against the day. */
	assert_takes(&c, rcpts, "ooohodddd");
	assert_int_equal(caps_room(&c), 0);

	/* Already over (the settings were lowered): nothing goes. */
	n.today = 9;
	caps_init(&c, &cfg, &n, now, "UTC");
	assert_int_equal(caps_room(&c), 0);
	assert_takes(&c, rcpts + 2, "ddddddd");

	/* Past the list, no max_per_day: unlimited again. */
	n.first_sent = T("2026-06-01T09:00Z");
	caps_init(&c, &cfg, &n, now, "UTC");
	assert_int_equal(c.warmup, 0);
	assert_int_equal(caps_room(&c), -1);
}

static void
test_domain(void **state)
{
	(void)state;
	reset();
	assert_int_equal(caps_any(&cfg), 0);
	cfg.domain_caps[0].domain = (char *)"gmail.com";
	cfg.domain_caps[0].max = 2;
	cfg.ndomain_caps = 1;
	assert_int_equal(caps_any(&cfg), 1);
	assert_int_equal(caps_domain(&cfg, "x@GMAIL.com"), 0);
	assert_int_equal(caps_domain(&cfg, "\"a@b\"@gmail.com"), 0);
	assert_int_equal(caps_domain(&cfg, "x@gmail.com.evil.org"), -1);
	assert_int_equal(caps_domain(&cfg, "gmail.com"), -1);
	assert_int_equal(caps_domain(&cfg, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_table),
		cmocka_unit_test(test_day_table),
		cmocka_unit_test(test_midnight),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_domain),
	};

	return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
