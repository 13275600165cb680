/*
 * text.h - control characters in text and UTF-8 validity: pure functions
 * on bytes, no allocation, no logging (log.c escapes its lines with
 * str_escape(), so this sits below log.c and everything else).
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>

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

#endif
