/*
 * unsubscribe.c - unsubscribe by token or address, and reading the form
 * values the one-click CGI (cmd_unsubscribe.c) is sent.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dripmail.h"
#include "log.h"
#include "store.h"
#include "token.h"
#include "unsubscribe.h"
#include "xmalloc.h"

#define UNSUB_DETAIL	"unsubscribe link"

int
unsubscribe_token(struct db *db, const unsigned char *key, size_t keylen,
    const char *token, const char *source, time_t now)
{
	int64_t id, extra;

	if (key == NULL || token_check(key, keylen, TOKEN_UNSUBSCRIBE, token,
	    &id, &extra) != 0)
		return ERR_PERM;
	return store_suppress(db, id, now, STORE_UNSUBSCRIBED, "unsubscribed",
	    source, NULL, UNSUB_DETAIL);
}

int
unsubscribe_email(struct db *db, const char *email, const char *source,
    time_t now)
{
	int64_t id = store_sub_id(db, email);

	if (id < 0)
		return (int)id;
	if (id == 0) {
		log_warnx("unsubscribe: no subscriber '%s'", email);
		return ERR_PERM;
	}
	return store_suppress(db, id, now, STORE_UNSUBSCRIBED, "unsubscribed",
	    source, NULL, "unsubscribed by the operator");
}

static int
hexval(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode n bytes of a form field into out; 0 or ERR_FAIL. */
static int
form_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n)
				return ERR_FAIL;
			int hi = hexval((unsigned char)s[i + 1]);
			int lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return ERR_FAIL;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= outlen)
			return ERR_FAIL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int
unsubscribe_form_value(const char *form, const char *name, char *out,
    size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = form;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, "&;");

		if (len > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=')
			return form_decode(p + nlen + 1, len - nlen - 1, out,
			    outlen) == 0;
		p = p[len] ? p + len + 1 : NULL;
	}
	return 0;
}

/*
 * The boundary of a multipart/form-data Content-Type (RFC 7578, RFC 2046:
 * 1 to 70 characters, maybe quoted) into out[UNSUB_MAX_BOUNDARY + 1].  0,
 * or ERR_FAIL when ctype is another type or has no usable boundary.
 */
static int
form_boundary(const char *ctype, char *out)
{
	static const char type[] = "multipart/form-data";
	const char *p = ctype + strspn(ctype, " \t");
	size_t n;

	if (strncasecmp(p, type, sizeof(type) - 1) != 0)
		return ERR_FAIL;
	p += sizeof(type) - 1;
	while ((p = strchr(p, ';')) != NULL) {
		p++;
		p += strspn(p, " \t");
		if (strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		if (*p == '"')
			n = strcspn(++p, "\"");
		else
			n = strcspn(p, "; \t");
		if (n == 0 || n > UNSUB_MAX_BOUNDARY ||
		    (p[-1] == '"' && p[n] != '"'))
			return ERR_FAIL;
		memcpy(out, p, n);
		out[n] = '\0';
		return 0;
	}
	return ERR_FAIL;
}

/* The next line of [p, end): its length without the line break; *next. */
static size_t
line_at(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n;

	if (nl == NULL) {
		*next = end;
		return (size_t)(end - p);
	}
	*next = nl + 1;
	n = (size_t)(nl - p);
	return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

/*
 * 1 when a part header line is Content-Disposition: form-data with this
 * name (quoted or not).
 */
static int
disposition_names(const char *h, size_t n, const char *name)
{
	static const char cd[] = "content-disposition:";
	size_t nlen = strlen(name), i;

	if (n < sizeof(cd) - 1 || strncasecmp(h, cd, sizeof(cd) - 1) != 0)
		return 0;
	for (i = sizeof(cd) - 1; i < n && (h[i] == ' ' || h[i] == '\t'); i++)
		;
	if (n - i < 9 || strncasecmp(h + i, "form-data", 9) != 0)
		return 0;
	for (i += 9; i < n; i++) {
		if (h[i] != ';')
			continue;
		for (i++; i < n && (h[i] == ' ' || h[i] == '\t'); i++)
			;
		if (n - i < 5 || strncasecmp(h + i, "name=", 5) != 0)
			continue;
		i += 5;
		if (i < n && h[i] == '"')
			return n - i >= nlen + 2 && h[i + 1 + nlen] == '"' &&
			    memcmp(h + i + 1, name, nlen) == 0;
		return n - i >= nlen && memcmp(h + i, name, nlen) == 0 &&
		    (n - i == nlen || h[i + nlen] == ';' ||
		    h[i + nlen] == ' ');
	}
	return 0;
}

/*
 * The value of field name in a multipart/form-data body: the bytes between
 * a part's blank line and the line break before the next delimiter line.
 */
static int
multipart_value(const char *body, size_t len, const char *boundary,
    const char *name, char *out, size_t outlen)
{
	const char *end = body + len, *p = body, *next, *v;
	size_t blen = strlen(boundary), n;
	int named;

	/* Find each delimiter line: "--" boundary at the start of a line. */
	for (; p < end; p = next) {
		n = line_at(p, end, &next);
		if (n < blen + 2 || p[0] != '-' || p[1] != '-' ||
		    memcmp(p + 2, boundary, blen) != 0)
			continue;
		if (n >= blen + 4 && p[blen + 2] == '-' && p[blen + 3] == '-')
			return 0;		/* the close delimiter */
		/* The part's headers, up to a blank line. */
		named = 0;
		for (p = next; p < end; p = next) {
			n = line_at(p, end, &next);
			if (n == 0)
				break;
			named |= disposition_names(p, n, name);
		}
		if (!named || p >= end)
			continue;
		/* Its content: up to CRLF (or LF) "--" boundary. */
		for (v = next, p = next; p < end; p = next) {
			n = line_at(p, end, &next);
			if (n >= blen + 2 && p[0] == '-' && p[1] == '-' &&
			    memcmp(p + 2, boundary, blen) == 0)
				break;
		}
		if (p >= end)
			return 0;		/* no delimiter after it */
		n = (size_t)(p - v);
		if (n > 0 && v[n - 1] == '\n')
			n--;
		if (n > 0 && v[n - 1] == '\r')
			n--;
		if (n >= outlen)
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
				return 0;
		memcpy(out, v, n);
		out[n] = '\0';
		return 1;
	}
	return 0;
}

int
unsubscribe_body_value(const char *ctype, const char *body, size_t len,
    const char *name, char *out, size_t outlen)
{
	char boundary[UNSUB_MAX_BOUNDARY + 1], *form;
	int found;

	if (ctype != NULL && form_boundary(ctype, boundary) == 0)
		return multipart_value(body, len, boundary, name, out, outlen);
	/*
	 * application/x-www-form-urlencoded (or no type): without the line
	 * break some senders end it with.
	 */
	form = xstrndup(body, len);
	len = strlen(form);
	while (len > 0 && strchr(" \t\r\n", form[len - 1]) != NULL)
		form[--len] = '\0';
	found = unsubscribe_form_value(form, name, out, outlen);
	free(form);
	return found;
}
