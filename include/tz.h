/*
 * tz.h - IANA time zones as handles, read from the system's TZif files
 * (RFC 8536, /usr/share/zoneinfo): no TZ environment, no tzset().
 *
 * A zone is resolved once per process into an immutable handle; after that
 * every conversion is arithmetic on the handle, so any thread may use it.
 * The results agree with glibc's localtime_r() under TZ=zone (see
 * tests/unit/test_tz.c): before the first transition the first standard
 * time type, from the last transition on the footer's POSIX TZ string
 * (evaluated, as glibc does, with the rules of the UTC year).  Leap-second
 * records (right/ zones) are read past and not applied.
 */
#ifndef TZ_H
#define TZ_H

#include <stddef.h>
#include <time.h>

#define TZ_DIR		"/usr/share/zoneinfo"
#define TZ_NAME_MAX	64		/* longest zone name accepted */
#define TZ_FILE_MAX	(1024 * 1024)	/* largest TZif file read */

struct tz;

/*
 * The zone called name, read from TZ_DIR/name the first time and kept for
 * the life of the process (never free it).  NULL or "" is UTC.  NULL when
 * name is not a zone: unsafe characters, no such file, or not valid TZif.
 * Thread-safe.
 */
const struct tz	*tz_open(const char *name);
/* UTC, built in. */
const struct tz	*tz_utc(void);
/* 1 when name is a zone tz_open() can read (not ""), else 0. */
int		 tz_valid(const char *name);

/*
 * A handle from TZif bytes, not cached: NULL when they are not valid
 * TZif.  Allocated: tz_free() it.  name is copied (NULL: "").
 */
struct tz	*tz_parse(const char *name, const void *data, size_t len);
void		 tz_free(struct tz *);
/* The name the handle was opened with ("" for UTC).  Borrowed. */
const char	*tz_name(const struct tz *);

/* Seconds east of UTC at t. */
long		 tz_offset(const struct tz *, time_t t);

/*
 * The local time of t as localtime_r() gives it: fields, tm_isdst,
 * tm_gmtoff, tm_zone (borrowed from the handle).  0, or ERR_FAIL when t is
 * out of struct tm's range.
 */
int		 tz_to_local(const struct tz *, time_t t, struct tm *out);

/*
 * The wall-clock time in tm (fields may be out of range, as for timegm();
 * tm_isdst is ignored) as UTC.  A time repeated when the clocks go back
 * takes the earlier instant; one skipped when they go forward moves on by
 * the size of the jump (02:30 in a skipped hour is 03:30).
 */
time_t		 tz_from_local(const struct tz *, const struct tm *);

/*
 * The instants in [from, to) at which the offset may change (each file
 * transition and each change the footer's rules name), ascending, at most
 * max of them into out; returns how many there are in all.  For tests and
 * tools that walk a zone's changes.
 */
size_t		 tz_changes(const struct tz *, time_t from, time_t to,
		    time_t *out, size_t max);

/*
 * By name, for one-off conversions: tz_open(), with an unknown zone read
 * as UTC (as glibc reads an unknown TZ).
 */
int		 tz_localtime(const char *name, time_t t, struct tm *out);
time_t		 tz_mktime(const char *name, const struct tm *tm);

/*
 * The sending host's own zone, by name, for tz_open() and the by-name
 * calls: TZ as the process found it at the first call (main() makes that
 * call before it sets TZ to UTC), else the zone /etc/localtime links to,
 * else /etc/timezone's; "" (UTC) when none of them names a zone.  Static.
 */
const char	*tz_host(void);

#endif
