/*
 * test_tz.c - zone handles against glibc's localtime_r(), on every zone the
 * system has, and the footer's POSIX TZ rules against glibc's own reading
 * of the same string.
 *
 * Covered, for every distinct TZif file under TZ_DIR (posix/ and right/
 * left out: posix/ repeats the others, right/ counts leap seconds that
 * the handles do not apply; hard links, symlinks and files with the same
 * bytes taken once), from 1970 to 2100: every instant tz_changes() names
 * and every change glibc shows between two grid points, each at -1 s, 0 and
 * +1 s; and a grid of GRID_STEP (about a day, drifting through the hours).
 * At each: all of struct tm, tm_gmtoff, tm_isdst and tm_zone; at each
 * change also tz_from_local() back from the local time (the first instant
 * with that wall time, glibc's mktime() never earlier).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dripmail.h"
#include "tz.h"
#include "util.h"

#define GRID_STEP	(86400 + 3607)	/* a day, an hour and 7 s */
#define T1970		0
#define T2100		4102444800LL
#define MAX_CHANGES	4096
#define MAX_ZONES	2048
#define MAX_SHOWN	10

struct zones {
	char		*name[MAX_ZONES];
	size_t		 n;
	dev_t		 dev[MAX_ZONES];
	ino_t		 ino[MAX_ZONES];
	uint64_t	 hash[MAX_ZONES];
	size_t		 len[MAX_ZONES];
};

struct run {
	const char	*zone;
	const struct tz	*z;
	int		 back;		/* also check tz_from_local() */
	long		 points, changes, bad;
};

static uint64_t
fnv(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

/* rel is new (not a link to, nor a copy of, one kept): keep it. */
static void
zone_add(struct zones *zs, const char *rel, const struct stat *st,
    const char *data, size_t len)
{
	uint64_t h = fnv(data, len);

	for (size_t i = 0; i < zs->n; i++)
		if ((zs->dev[i] == st->st_dev && zs->ino[i] == st->st_ino) ||
		    (zs->hash[i] == h && zs->len[i] == len))
			return;
	assert_true(zs->n < MAX_ZONES);
	zs->dev[zs->n] = st->st_dev;
	zs->ino[zs->n] = st->st_ino;
	zs->hash[zs->n] = h;
	zs->len[zs->n] = len;
	zs->name[zs->n++] = strdup(rel);
}

static void
zone_walk(struct zones *zs, const char *rel)
{
	char path[4096], sub[1024], *data;
	struct dirent *de;
	struct stat st;
	size_t len;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s%s", TZ_DIR, *rel ? "/" : "", rel);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (!*rel &&
		    (strcmp(de->d_name, "posix") == 0 ||
		    strcmp(de->d_name, "right") == 0)))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name);
		snprintf(path, sizeof(path), "%s/%s", TZ_DIR, sub);
		if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode))
			continue;
		if (S_ISDIR(st.st_mode)) {
			zone_walk(zs, sub);
			continue;
		}
		if (!S_ISREG(st.st_mode) ||
		    slurp(path, TZ_FILE_MAX, &data, &len) < 0)
			continue;
		if (len > 4 && memcmp(data, "TZif", 4) == 0)
			zone_add(zs, sub, &st, data, len);
		free(data);
	}
	closedir(d);
}

/* One instant: the handle against localtime_r() under TZ=zone (want). */
static void
check_at(struct run *r, time_t t, struct tm *want_out)
{
	struct tm want, got;

	r->points++;
	if (localtime_r(&t, &want) == NULL)
		fail_msg("%s: localtime_r(%lld)", r->zone, (long long)t);
	if (tz_to_local(r->z, t, &got) < 0 || tz_offset(r->z, t) !=
	    want.tm_gmtoff || got.tm_year != want.tm_year ||
	    got.tm_mon != want.tm_mon || got.tm_mday != want.tm_mday ||
	    got.tm_hour != want.tm_hour || got.tm_min != want.tm_min ||
	    got.tm_sec != want.tm_sec || got.tm_wday != want.tm_wday ||
	    got.tm_yday != want.tm_yday || got.tm_isdst != want.tm_isdst ||
	    got.tm_gmtoff != want.tm_gmtoff ||
	    strcmp(got.tm_zone, want.tm_zone) != 0) {
		if (r->bad++ < MAX_SHOWN)
			print_message("%s at %lld: %+ld %d %s, glibc %+ld %d "
			    "%s\n", r->zone, (long long)t, got.tm_gmtoff,
			    got.tm_isdst, got.tm_zone, want.tm_gmtoff,
			    want.tm_isdst, want.tm_zone);
	}
	if (want_out)
		*want_out = want;
}

/*
 * Back from the local time of t: the first instant showing that wall
 * time, so t itself or (in a repeated hour) an earlier one, and never
 * later than what glibc's mktime() finds.
 */
static void
check_back(struct run *r, time_t t)
{
	struct tm tm, again;
	time_t back, m;

	if (tz_to_local(r->z, t, &tm) < 0)
		return;
	back = tz_from_local(r->z, &tm);
	tz_to_local(r->z, back, &again);
	again.tm_isdst = -1;
	m = mktime(&again);
	if (back > t || again.tm_hour != tm.tm_hour ||
	    again.tm_min != tm.tm_min || again.tm_mday != tm.tm_mday ||
	    back > m) {
		if (r->bad++ < MAX_SHOWN)
			print_message("%s: %lld back as %lld (mktime %lld)\n",
			    r->zone, (long long)t, (long long)back,
			    (long long)m);
	}
}

static void
check_change(struct run *r, time_t t)
{
	r->changes++;
	for (time_t d = -1; d <= 1; d++) {
		check_at(r, t + d, NULL);
		if (r->back)
			check_back(r, t + d);
	}
}

/* glibc's offset, DST flag or name differ between a and b. */
static int
libc_differs(const struct tm *a, const struct tm *b)
{
	return a->tm_gmtoff != b->tm_gmtoff || a->tm_isdst != b->tm_isdst ||
	    strcmp(a->tm_zone, b->tm_zone) != 0;
}

/* glibc's first second in (lo, hi] that differs from a. */
static time_t
libc_change(const struct tm *a, time_t lo, time_t hi)
{
	struct tm m;

	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;

		localtime_r(&mid, &m);
		if (libc_differs(a, &m))
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* The grid; where glibc changes between two points, the exact second. */
static void
check_grid(struct run *r)
{
	struct tm prev, cur;
	time_t t;

	check_at(r, T1970, &prev);
	for (t = T1970 + GRID_STEP; t < T2100; t += GRID_STEP) {
		check_at(r, t, &cur);
		if (libc_differs(&prev, &cur))
			check_change(r, libc_change(&prev, t - GRID_STEP, t));
		prev = cur;
	}
}

static void
check_zone(struct run *r)
{
	static time_t ch[MAX_CHANGES];
	size_t n;

	setenv("TZ", r->zone, 1);
	tzset();
	if ((r->z = tz_open(r->zone)) == NULL)
		fail_msg("%s: tz_open", r->zone);
	n = tz_changes(r->z, T1970, T2100, ch, MAX_CHANGES);
	assert_true(n <= MAX_CHANGES);
	for (size_t i = 0; i < n; i++)
		check_change(r, ch[i]);
	check_grid(r);
}

static void
test_every_zone(void **state)
{
	static struct zones zs;
	struct run total = { 0 };
	struct timespec a, b;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	zone_walk(&zs, "");
	assert_true(zs.n > 300);
	for (size_t i = 0; i < zs.n; i++) {
		struct run r = { zs.name[i], NULL, 1, 0, 0, 0 };

		check_zone(&r);
		total.points += r.points;
		total.changes += r.changes;
		total.bad += r.bad;
		free(zs.name[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message("%zu zones, %ld changes, %ld instants, %.1f s\n", zs.n,
	    total.changes, total.points, (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(total.bad, 0);
}

static void
put32(unsigned char **p, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		*(*p)++ = (unsigned char)(v >> (i * 8));
}

/* A v2 header: "TZif2", 15 unused, the six counts. */
static void
put_header(unsigned char **p, uint32_t ntime)
{
	memcpy(*p, "TZif2", 5);
	memset(*p + 5, 0, 15);
	*p += 20;
	put32(p, 0), put32(p, 0), put32(p, 0);
	put32(p, ntime), put32(p, 1), put32(p, 4);
}

/* One "UTC" type (six bytes and its name). */
static void
put_utc(unsigned char **p)
{
	memset(*p, 0, 6);
	memcpy(*p + 6, "UTC", 4);
	*p += 10;
}

/*
 * TZif bytes whose only transition is at 0 and whose footer is tz, so the
 * footer rules from 1970 on.  Returns the length.
 */
static size_t
tzif_footer_only(unsigned char *buf, const char *tz)
{
	unsigned char *p = buf;

	put_header(&p, 0);
	put_utc(&p);
	put_header(&p, 1);
	memset(p, 0, 9);	/* transition at 0, to type 0 */
	p += 9;
	put_utc(&p);
	p += sprintf((char *)p, "\n%s\n", tz);
	return (size_t)(p - buf);
}

/*
 * Footer rules, read by the handle and by glibc from TZ=rule itself: US and
 * EU rules, negative and past-24 h change times, Jn and n days, half- and
 * odd-minute offsets, signs, <...> names, southern hemisphere, all-year
 * DST, no DST.  tz_from_local() is left out here: rules at the year's
 * end, read with the UTC year as glibc reads them, make two changes a few
 * hours apart, and it looks for offsets a day either side only.
 */
static const char *const footers[] = {
	"EST5EDT,M3.2.0,M11.1.0",
	"CET-1CEST,M3.5.0,M10.5.0/3",
	"GMT0BST,M3.5.0/1,M10.5.0",
	"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
	"IST-2IDT,M3.4.4/26,M10.5.0",
	"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
	"NZST-12NZDT,M9.5.0,M4.1.0/3",
	"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
	"AAA3BBB,J60/2,J300/2",
	"AAA3BBB,59/2,299/0",
	"AAA+3:07:30BBB2:07:30,M1.1.0/0,M12.5.6/24",
	"EST5EDT,0/0,J365/25",
	"AAA-5BBB-6,M2.5.1/-23:59:59,M11.5.6/167",
	"<+13>-13",
	"<-0930>9:30",
	"XXX0",
	"AAA-14",
};

static void
test_footers(void **state)
{
	unsigned char buf[512];
	struct tz *z;
	struct run r = { 0 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(footers); i++) {
		assert_non_null(z = tz_parse(footers[i], buf,
		    tzif_footer_only(buf, footers[i])));
		r.zone = footers[i];
		r.z = z;
		setenv("TZ", footers[i], 1);
		tzset();
		check_grid(&r);
		for (time_t t = 0; t < T2100; t += 7 * 3601 + 13)
			check_at(&r, t, NULL);
		tz_free(z);
	}
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(r.bad, 0);
}

/* Every prefix of a real file, and every byte of it flipped: no crash. */
static void
test_truncated(void **state)
{
	char *data;
	size_t len;
	struct tz *z;

	(void)state;
	assert_int_equal(slurp(TZ_DIR "/Europe/London", TZ_FILE_MAX, &data,
	    &len), 0);
	assert_non_null(z = tz_parse("x", data, len));
	tz_free(z);
	for (size_t n = 0; n < len; n++)
		if ((z = tz_parse("x", data, n)) != NULL) {
			/* Only a cut within the footer leaves a zone. */
			assert_true(n > len / 2);
			(void)tz_offset(z, 1796115600);
			tz_free(z);
		}
	for (size_t n = 0; n < len; n++) {
		data[n] ^= 0xff;
		if ((z = tz_parse("x", data, len)) != NULL) {
			struct tm tm;

			(void)tz_to_local(z, 1796115600, &tm);
			(void)tz_from_local(z, &tm);
			tz_free(z);
		}
		data[n] ^= 0xff;
	}
	free(data);
}

static void
test_names(void **state)
{
	struct tm tm;

	(void)state;
	assert_ptr_equal(tz_open(NULL), tz_utc());
	assert_ptr_equal(tz_open(""), tz_utc());
	assert_non_null(tz_open("UTC"));
	assert_ptr_equal(tz_open("Europe/Paris"), tz_open("Europe/Paris"));
	assert_string_equal(tz_name(tz_open("Europe/Paris")), "Europe/Paris");
	assert_null(tz_open("Mars/Olympus"));
	assert_null(tz_open("../../etc/passwd"));
	assert_null(tz_open("/etc/localtime"));
	assert_null(tz_open("Europe/Paris\n"));
	assert_null(tz_open("zone.tab"));	/* a file, not TZif */
	assert_null(tz_open("Europe"));		/* a folder */
	assert_false(tz_valid("zone.tab"));
	assert_false(tz_valid(NULL));
	assert_true(tz_valid("UTC"));
	/* An unknown zone by name is UTC. */
	assert_int_equal(tz_localtime("Mars/Olympus", 3600, &tm), 0);
	assert_int_equal(tm.tm_hour, 1);
	assert_int_equal(tm.tm_gmtoff, 0);
}

/* Wall times that happen twice or never, and odd offsets. */
static const struct {
	const char	*zone, *wall, *want;
} walls[] = {
	/* New York 2026: 02:30 skipped on Mar 8, 01:30 twice on Nov 1. */
	{ "America/New_York", "2026-03-08T02:30Z", "2026-03-08T07:30:00Z" },
	{ "America/New_York", "2026-03-08T01:59Z", "2026-03-08T06:59:00Z" },
	{ "America/New_York", "2026-03-08T03:00Z", "2026-03-08T07:00:00Z" },
	{ "America/New_York", "2026-11-01T01:30Z", "2026-11-01T05:30:00Z" },
	{ "America/New_York", "2026-11-01T02:00Z", "2026-11-01T07:00:00Z" },
	/* London: 01:30 skipped on Mar 29, repeated on Oct 25. */
	{ "Europe/London", "2026-03-29T01:30Z", "2026-03-29T01:30:00Z" },
	{ "Europe/London", "2026-10-25T01:30Z", "2026-10-25T00:30:00Z" },
	/* Lord Howe moves by half an hour; Chatham is +12:45/+13:45. */
	{ "Australia/Lord_Howe", "2026-10-04T02:15Z", "2026-10-03T15:45:00Z" },
	{ "Australia/Lord_Howe", "2026-04-05T01:45Z", "2026-04-04T14:45:00Z" },
	{ "Pacific/Chatham", "2026-07-01T12:00Z", "2026-06-30T23:15:00Z" },
	{ "Asia/Kathmandu", "2026-07-01T00:00Z", "2026-06-30T18:15:00Z" },
	/* Apia skipped 2011-12-30 whole: noon moves a day on. */
	{ "Pacific/Apia", "2011-12-30T12:00Z", "2011-12-30T22:00:00Z" },
	{ "America/St_Johns", "2026-01-15T09:00Z", "2026-01-15T12:30:00Z" },
};

static void
test_from_local(void **state)
{
	char got[32];
	struct tm tm;
	time_t t;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(walls); i++) {
		assert_int_equal(time_parse_iso(walls[i].wall, &t), 0);
		gmtime_r(&t, &tm);
		time_format_iso(tz_from_local(tz_open(walls[i].zone), &tm),
		    got, sizeof(got));
		if (strcmp(got, walls[i].want) != 0)
			fail_msg("%s %s: %s, want %s", walls[i].zone,
			    walls[i].wall, got, walls[i].want);
	}
}

static void
test_tz(void **state)
{
	struct tm tm;
	time_t t;

	(void)state;
	assert_true(tz_valid("Europe/London"));
	assert_true(tz_valid("Asia/Kolkata"));
	assert_false(tz_valid("Mars/Olympus"));
	assert_false(tz_valid("../../etc/passwd"));
	assert_false(tz_valid(""));
	/* 2026-03-08 02:30 does not exist in New York: moves forward. */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126; tm.tm_mon = 2; tm.tm_mday = 8;
	tm.tm_hour = 2; tm.tm_min = 30;
	t = tz_mktime("America/New_York", &tm);
	assert_int_equal(tz_localtime("America/New_York", t, &tm), 0);
	assert_int_equal(tm.tm_hour, 3);
	assert_int_equal(tm.tm_min, 30);
	/* Kolkata is +05:30 all year. */
	assert_int_equal(time_parse_iso("2026-06-01T00:00Z", &t), 0);
	tz_localtime("Asia/Kolkata", t, &tm);
	assert_int_equal(tm.tm_hour, 5);
	assert_int_equal(tm.tm_min, 30);
}

/* Zones with DST both ways, half and quarter hours, and none. */
static const char *const zones[] = {
	"America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland",
	"Europe/London", "America/New_York", "Australia/Lord_Howe",
	"Pacific/Chatham", "Asia/Kathmandu", "UTC",
};

/*
 * By name (tz_localtime, tz_mktime) against the C library (TZ set here,
 * in the test): every 97 minutes over three years, each zone, both ways.
 */
static void
test_tz_by_name(void **state)
{
	time_t t, start, back;
	struct tm want, got;

	(void)state;
	assert_int_equal(time_parse_iso("2025-01-01T00:00Z", &start), 0);
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		setenv("TZ", zones[z], 1);
		tzset();
		for (t = start; t < start + 3 * 366 * 86400L; t += 97 * 60) {
			localtime_r(&t, &want);
			assert_int_equal(tz_localtime(zones[z], t, &got), 0);
			if (got.tm_hour != want.tm_hour ||
			    got.tm_min != want.tm_min ||
			    got.tm_mday != want.tm_mday ||
			    got.tm_wday != want.tm_wday)
				fail_msg("%s at %lld: %02d:%02d, want %02d:%02d",
				    zones[z], (long long)t, got.tm_hour,
				    got.tm_min, want.tm_hour, want.tm_min);
			back = tz_mktime(zones[z], &got);
			/* The repeated hour maps to its first instance. */
			if (back != t && !(back < t && t - back <= 3600))
				fail_msg("%s: %lld back as %lld", zones[z],
				    (long long)t, (long long)back);
		}
	}
}

struct tz_job {
	const char	*zone;
	int		 bad;
};

static void *
tz_worker(void *arg)
{
	struct tz_job *j = arg;
	time_t t, start;
	struct tm tm;

	(void)time_parse_iso("2026-01-01T00:00Z", &start);
	for (int k = 0; k < 4000; k++) {
		t = start + (time_t)k * 7919;
		if (tz_localtime(j->zone, t, &tm) < 0 ||
		    tz_mktime(j->zone, &tm) > t)
			j->bad++;
	}
	return NULL;
}

/* Several threads in several zones at once: no zone leaks into another. */
static void
test_tz_threads(void **state)
{
	struct tz_job jobs[4] = { { "America/Los_Angeles", 0 },
	    { "Asia/Kolkata", 0 }, { "Pacific/Auckland", 0 },
	    { "Europe/London", 0 } };
	pthread_t th[4];
	struct tm tm;
	time_t t;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, tz_worker,
		    &jobs[i]), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(jobs[i].bad, 0);
	}
	assert_int_equal(time_parse_iso("2026-06-10T12:00Z", &t), 0);
	tz_localtime("Asia/Kolkata", t, &tm);
	assert_int_equal(tm.tm_hour * 60 + tm.tm_min, 17 * 60 + 30);
}

/*
 * The host's zone is read once, from TZ as the process found it: a path
 * into the zone folder and a leading ':' name the same zone.
 */
static void
test_host(void **state)
{
	(void)state;
	setenv("TZ", ":" TZ_DIR "/Asia/Tokyo", 1);
	assert_string_equal(tz_host(), "Asia/Tokyo");
	setenv("TZ", "Europe/Paris", 1);
	assert_string_equal(tz_host(), "Asia/Tokyo");
	unsetenv("TZ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_tz),
		cmocka_unit_test(test_from_local),
		cmocka_unit_test(test_tz_by_name),
		cmocka_unit_test(test_tz_threads),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_footers),
		cmocka_unit_test(test_every_zone),
	};

	return cmocka_run_group_tests_name("tz", tests, NULL, NULL);
}
