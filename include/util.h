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
/*
 * Offset of the first control character in n bytes of UTF-8 text that a
 * text file has no business holding: C0 but tab, LF and CR; DEL; C1
 * (U+0080..U+009F).  n when there is none.
 */
size_t	 text_ctl_at(const char *s, size_t n);
/*
 * Bytes of the bidirectional control starting at s (U+061C, U+200E/F,
 * U+202A..U+202E, U+2066..U+2069: they reorder what a reader sees), or 0.
 */
size_t	 utf8_bidi_len(const char *s);
/*
 * Bytes of the control character starting at s: 1 for C0 and DEL, 2 for
 * C1 (U+0080..U+009F), 2 or 3 for a bidirectional control; 0 for any
 * other character and at the end.
 */
size_t	 utf8_ctl_len(const char *s);
/*
 * Copy s into out (size bytes, truncated, always NUL-terminated) with
 * control characters written as \r, \n, \t or \xNN and C1 and bidi
 * controls as \uNNNN, so that outside input cannot forge a log line or
 * reorder it on a terminal.  Returns out.
 */
char	*str_escape(const char *s, char *out, size_t size);
/* 1 when the n bytes at s are valid UTF-8 (no overlongs or surrogates). */
int	 utf8_valid(const void *s, size_t n);
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
