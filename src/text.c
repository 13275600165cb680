/*
 * text.c - control characters in text, and UTF-8: the checks every module
 * uses on outside input, and the escaping log lines go through.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

int
str_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

/* 1 when the n >= 2 bytes at u start with a C1 control (U+0080..9F). */
static int
c1(const unsigned char *u)
{
	return u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f;
}

size_t
text_ctl_at(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f || (i + 1 < n && c1((const unsigned char *)s + i)))
			return i;
	}
	return n;
}

size_t
utf8_bidi_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == 0xd8 && u[1] == 0x9c)
		return 2;				/* U+061C */
	if (u[0] != 0xe2 || (u[1] != 0x80 && u[1] != 0x81))
		return 0;
	if (u[1] == 0x80 && (u[2] == 0x8e || u[2] == 0x8f ||
	    (u[2] >= 0xaa && u[2] <= 0xae)))
		return 3;				/* U+200E/F, 202A-E */
	if (u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9)
		return 3;				/* U+2066-9 */
	return 0;
}

/* The code point of the 2- or 3-byte UTF-8 sequence at s. */
static unsigned int
utf8_cp(const unsigned char *s, size_t n)
{
	if (n == 2)
		return (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
	return (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
}

size_t
utf8_ctl_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (*u == '\0')
		return 0;
	if (*u < 0x20 || *u == 0x7f)
		return 1;
	return c1(u) ? 2 : utf8_bidi_len(s);
}

char *
str_escape(const char *s, char *out, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, n;
	char e[8];

	while (*u && o + 1 < size) {
		n = utf8_ctl_len((const char *)u);
		if (n > 1)
			snprintf(e, sizeof(e), "\\u%04x", utf8_cp(u, n));
		else if (*u == '\r' || *u == '\n' || *u == '\t')
			snprintf(e, sizeof(e), "\\%c", *u == '\r' ? 'r' :
			    *u == '\n' ? 'n' : 't');
		else if (*u < 0x20 || *u == 0x7f)
			snprintf(e, sizeof(e), "\\x%02x", *u);
		else {
			out[o++] = (char)*u++;
			continue;
		}
		if (o + strlen(e) + 1 > size)
			break;
		memcpy(out + o, e, strlen(e));
		o += strlen(e);
		u += n;
	}
	out[o] = '\0';
	return out;
}

int
utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p, *end = s + n;
	unsigned int cp;
	int more;

	while (s < end) {
		unsigned char c;
		uint64_t w;

		/* Eight ASCII bytes at a time. */
		while (end - s >= 8) {
			memcpy(&w, s, 8);
			if (w & 0x8080808080808080ULL)
				break;
			s += 8;
		}
		if (s == end)
			break;
		if ((c = *s++) < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (end - s < more)
			return 0;
		for (int i = 0; i < more; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		s += more;
		if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (more == 3 && (cp < 0x10000 ||
		    cp > 0x10ffff)))
			return 0;
	}
	return 1;
}
