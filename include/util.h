/*
 * util.h - small helpers shared by modules.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <time.h>

#include "text.h"		/* control characters, UTF-8 */

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
/* ASCII case-insensitive comparison. */
int	 str_ieq(const char *a, const char *b);
/*
 * s as a lookup key: its ASCII letters and digits, lower-cased ("E-mail
 * Address" -> "emailaddress").  0, or ERR_FAIL when it does not fit size.
 */
int	 str_key(const char *s, char *out, size_t size);
/*
 * A URL fit to show: a password in it (scheme://user:PASSWORD@host)
 * replaced by "***".  Allocated.  Every message showing a URL from the
 * settings goes through this.
 */
char	*url_redact(const char *url);

/*
 * Parse "YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM)" or with a space instead of
 * T; without an offset the time is UTC.  0 and *t, or ERR_FAIL.
 */
int	 time_parse_iso(const char *s, time_t *t);
/* Format t as "2026-11-21T12:00:00Z" into out (at least 21 bytes). */
void	 time_format_iso(time_t t, char *out, size_t outlen);

#endif
