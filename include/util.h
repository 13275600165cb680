/*
 * util.h - small helpers shared by modules.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <time.h>

/*
 * Read a whole file (or stdin for "-") into *data (allocated, NUL-terminated,
 * free() it).  Refuses files larger than max bytes (0 = no limit).  Returns 0,
 * or ERR_FAIL with errno set (ENOENT for a missing file, EFBIG when too big);
 * logs nothing.
 */
int	 slurp(const char *path, size_t max, char **data, size_t *len);

/*
 * Write data to path atomically: a temporary file in the same folder, fsync,
 * rename.  Logs its own errors.
 */
int	 write_file_atomic(const char *path, const void *data, size_t len,
	    int mode);

/* dir/path unless path is absolute or dir is NULL/empty (allocated). */
char	*path_join(const char *dir, const char *path);
/* The folder part of path, "." when there is none (allocated). */
char	*path_dirname(const char *path);
/* mkdir -p; 0 or ERR_FAIL (logged). */
int	 mkdir_p(const char *path, int mode);

/* Trim ASCII whitespace in place at both ends; returns s. */
char	*str_trim(char *s);
/* 1 when s has a CR, LF or other C0 control or DEL byte, 0 otherwise. */
int	 str_has_ctl(const char *s);
/* 1 when the n bytes at s are valid UTF-8 (no overlongs or surrogates). */
int	 utf8_valid(const void *s, size_t n);
/* ASCII case-insensitive comparison. */
int	 str_ieq(const char *a, const char *b);

/*
 * Parse "YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM)" or with a space instead of
 * T; without an offset the time is UTC.  0 and *t, or ERR_FAIL.
 */
int	 time_parse_iso(const char *s, time_t *t);
/* Format t as "2026-11-21T12:00:00Z" into out (at least 21 bytes). */
void	 time_format_iso(time_t t, char *out, size_t outlen);
/* 1 when tz names a zone in the system's IANA database. */
int	 tz_valid(const char *tz);

/*
 * Broken-down local time of t in IANA zone tz (NULL or "" = UTC), and the
 * inverse (tm_isdst is ignored; a local time skipped by a DST change moves
 * forward, a repeated one takes the first).  Thread-safe: they read a
 * per-zone, per-year cache of UTC offsets; TZ is set only to fill it, once
 * per zone and year, under a lock.  out's tm_isdst is -1.
 */
int	 tz_localtime(const char *tz, time_t t, struct tm *out);
time_t	 tz_mktime(const char *tz, const struct tm *tm);

#endif
