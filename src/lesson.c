/*
 * lesson.c - one lesson file: the header block and the Markdown body.
 *
 *	Subject: Day 1: where the tension lives
 *	Preheader: ten minutes, lying down
 *	Day: 1				(or Send-At: launch-2d)
 *
 *	Hello {{first_name}}, ...
 *
 * Every problem is logged as "file:line: reason", all of them, not only
 * the first, so that `dripmail check` shows the author the whole list.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dripmail.h"
#include "lesson.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

struct parse {
	struct lesson_file *lf;
	const char	*path;
	time_t		 launch_at;
	int		 errors;
	int		 day_seen, sendat_seen;
};

static void	bad(struct parse *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
bad(struct parse *p, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", p->path, line, msg);
	p->errors++;
}

char *
lesson_id_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n <= 3 || strcmp(base + n - 3, ".md") != 0)
		return NULL;
	return xstrndup(base, n - 3);
}

int
lesson_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64)
		return 0;
	for (const char *s = id; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

int
lesson_parse_launch_offset(const char *s, long *offset)
{
	char *end;
	long n, unit;

	if (strncmp(s, "launch", 6) != 0)
		return ERR_FAIL;
	s += 6;
	if (*s == '\0') {
		*offset = 0;
		return 0;
	}
	if ((*s != '-' && *s != '+') || !isdigit((unsigned char)s[1]))
		return ERR_FAIL;
	errno = 0;
	n = strtol(s + 1, &end, 10);
	if (errno != 0 || n > 10000 || end[0] == '\0' || end[1] != '\0')
		return ERR_FAIL;
	switch (*end) {
	case 'd':
		unit = 86400;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'm':
		unit = 60;
		break;
	default:
		return ERR_FAIL;
	}
	*offset = (*s == '-' ? -n : n) * unit;
	return 0;
}

static void
set_day(struct parse *p, int line, const char *v)
{
	char *end;
	long n;

	p->day_seen = line;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0 ||
	    n < 1 || n > LESSON_MAX_DAY) {
		bad(p, line, "Day: expected a number from 1 to %d, not '%s'",
		    LESSON_MAX_DAY, v);
		return;
	}
	p->lf->l.kind = SEND_DAY;
	p->lf->l.day = (int)n;
	p->lf->when_line = line;
}

static void
set_send_at(struct parse *p, int line, const char *v)
{
	struct lesson *l = &p->lf->l;
	size_t n = strlen(v);

	p->sendat_seen = line;
	if (lesson_parse_launch_offset(v, &l->offset) == 0) {
		p->lf->when_line = line;
		l->kind = SEND_LAUNCH_REL;
		l->at = p->launch_at ? p->launch_at + l->offset : 0;
		return;
	}
	/* An absolute time must say its zone: Z or +HH:MM. */
	if (n > 6 && (v[n - 1] == 'Z' || v[n - 3] == ':') &&
	    (v[n - 1] == 'Z' || v[n - 6] == '+' || v[n - 6] == '-') &&
	    time_parse_iso(v, &l->at) == 0) {
		p->lf->when_line = line;
		l->kind = SEND_ABSOLUTE;
		return;
	}
	bad(p, line, "Send-At: expected launch, launch-2d, launch+3h, "
	    "launch-30m or a time like 2026-12-01T09:00+01:00, not '%s'", v);
}

/* One "Key: value" line (NUL-terminated, no newline). */
static void
header_line(struct parse *p, int line, char *s)
{
	struct lesson_file *lf = p->lf;
	char *colon, *key, *v;

	colon = strchr(s, ':');
	if (colon == NULL || colon == s) {
		bad(p, line, "bad header line (expected 'Key: value', then "
		    "a blank line before the text)");
		return;
	}
	*colon = '\0';
	key = str_trim(s);
	v = str_trim(colon + 1);
	if (str_has_ctl(v)) {
		bad(p, line, "%s: control character (CR, LF, tab...) in "
		    "the value", key);
		return;
	}
	if (str_ieq(key, "Subject")) {
		if (lf->subject_line)
			bad(p, line, "Subject: given twice");
		else if (*v == '\0')
			bad(p, line, "Subject: empty");
		else {
			lf->l.subject = xstrdup(v);
			lf->subject_line = line;
		}
	} else if (str_ieq(key, "Preheader")) {
		if (lf->preheader_line)
			bad(p, line, "Preheader: given twice");
		else {
			lf->l.preheader = xstrdup(v);
			lf->preheader_line = line;
		}
	} else if (str_ieq(key, "Day")) {
		if (p->day_seen)
			bad(p, line, "Day: given twice");
		else
			set_day(p, line, v);
	} else if (str_ieq(key, "Send-At")) {
		if (p->sendat_seen)
			bad(p, line, "Send-At: given twice");
		else
			set_send_at(p, line, v);
	} else
		bad(p, line, "unknown header '%s' (expected Subject, "
		    "Preheader, Day or Send-At)", key);
}

/* Check the header's lines until the blank one; return the body offset. */
static size_t
parse_header(struct parse *p, const char *text, size_t len, int *lineno)
{
	size_t off = 0;

	*lineno = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		char *s;

		(*lineno)++;
		if (n > 0 && text[off + n - 1] == '\r')
			n--;			/* CRLF files are fine */
		s = xstrndup(text + off, n);
		off += nl ? (size_t)(nl - (text + off)) + 1 : n;
		if (*str_trim(s) == '\0') {
			free(s);
			return off;
		}
		header_line(p, *lineno, s);
		free(s);
	}
	(*lineno)++;
	bad(p, *lineno, "no blank line after the header, and no text");
	return len;
}

/*
 * Report the first line that is not UTF-8 or holds a control character
 * (a NUL, an escape sequence, ...): 0 when none.
 */
static int
check_text(struct parse *p, const char *text, size_t len)
{
	size_t off = 0, at;
	int line = 1;

	if (utf8_valid(text, len) && text_ctl_at(text, len) == len)
		return 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		if (!utf8_valid(text + off, n)) {
			bad(p, line, "not UTF-8 text");
			break;
		}
		if ((at = text_ctl_at(text + off, n)) < n) {
			bad(p, line, "control character 0x%02x in the text, "
			    "column %zu", (unsigned char)text[off + at] == 0xc2 ?
			    (unsigned char)text[off + at + 1] :
			    (unsigned char)text[off + at], at + 1);
			break;
		}
		off += n + 1;
		line++;
	}
	return ERR_FAIL;
}

int
lesson_parse(struct lesson_file *lf, const char *path, const char *text,
    size_t len, time_t launch_at)
{
	struct parse p;
	size_t body;
	int line;

	memset(lf, 0, sizeof(*lf));
	memset(&p, 0, sizeof(p));
	p.lf = lf;
	p.path = path;
	p.launch_at = launch_at;
	lf->l.path = xstrdup(path);
	lf->l.id = lesson_id_from_path(path);
	if (lf->l.id == NULL || !lesson_id_valid(lf->l.id))
		bad(&p, 1, "file name: use letters, digits, '-' and '_' "
		    "before .md (it becomes the message's id)");
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;			/* a byte order mark */
		len -= 3;
	}
	if (check_text(&p, text, len) < 0) {
		lf->errors = p.errors;
		return ERR_FAIL;
	}
	body = parse_header(&p, text, len, &line);
	if (lf->subject_line == 0)
		bad(&p, 1, "missing Subject: header");
	if (p.day_seen && p.sendat_seen)
		bad(&p, p.sendat_seen, "both Day: and Send-At: (a lesson has "
		    "a Day, a notification a Send-At)");
	else if (!p.day_seen && !p.sendat_seen)
		bad(&p, 1, "missing Day: (a lesson) or Send-At: "
		    "(a notification)");
	if (lf->l.preheader == NULL)
		lf->l.preheader = xstrdup("");
	lf->body = xstrndup(text + body, len - body);
	lf->bodylen = len - body;
	lf->body_line = line + 1;
	lf->errors = p.errors;
	return p.errors ? ERR_FAIL : 0;
}

void
lesson_file_release(struct lesson_file *lf)
{
	if (lf == NULL)
		return;
	free(lf->l.id);
	free(lf->l.path);
	free(lf->l.subject);
	free(lf->l.preheader);
	free(lf->body);
	memset(lf, 0, sizeof(*lf));
}
