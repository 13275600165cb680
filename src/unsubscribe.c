/*
 * unsubscribe.c - unsubscribe by token or address; the one-click CGI.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "db.h"
#include "dripmail.h"
#include "log.h"
#include "subscriber.h"
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
	return db_suppress(db, id, now, "unsubscribed", "unsubscribed",
	    source, NULL, UNSUB_DETAIL);
}

int
unsubscribe_email(struct db *db, const char *email, const char *source,
    time_t now)
{
	int64_t id = subscriber_find(db, email);

	if (id < 0)
		return (int)id;
	if (id == 0) {
		log_warnx("unsubscribe: no subscriber '%s'", email);
		return ERR_PERM;
	}
	return db_suppress(db, id, now, "unsubscribed", "unsubscribed", source,
	    NULL, "unsubscribed by the operator");
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

/* ---- CGI ---- */

static void
put_html(FILE *out, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
}

static void
page_head(FILE *out, const char *status, const char *course)
{
	fprintf(out, "Status: %s\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n\r\n", status);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n"
	    "<meta name=\"robots\" content=\"noindex\">\n<title>", out);
	put_html(out, course);
	fputs("</title>\n</head>\n<body>\n<main>\n<h1>", out);
	put_html(out, course);
	fputs("</h1>\n", out);
}

static void
page_tail(FILE *out)
{
	fputs("</main>\n</body>\n</html>\n", out);
}

/* The confirmation page: one button that POSTs the token, one-click. */
static void
page_confirm(FILE *out, const char *course, const char *token)
{
	page_head(out, "200 OK", course);
	fputs("<p>Unsubscribe from these emails?</p>\n"
	    "<form method=\"post\">\n"
	    "<input type=\"hidden\" name=\"t\" value=\"", out);
	put_html(out, token);
	fputs("\">\n<input type=\"hidden\" name=\"List-Unsubscribe\" "
	    "value=\"One-Click\">\n"
	    "<button type=\"submit\">Unsubscribe</button>\n</form>\n", out);
	page_tail(out);
}

static void
page_message(FILE *out, const char *status, const char *course,
    const char *text)
{
	page_head(out, status, course);
	fprintf(out, "<p>%s</p>\n", text);
	page_tail(out);
}

/* The POST body (at most UNSUB_MAX_BODY bytes), NUL-terminated. */
static char *
read_body(FILE *in)
{
	const char *cl = getenv("CONTENT_LENGTH");
	char *body = xcalloc(1, UNSUB_MAX_BODY + 1), *end;
	long n = 0;

	if (cl != NULL && *cl != '\0') {
		n = strtol(cl, &end, 10);
		if (*end != '\0' || n < 0)
			n = 0;
	}
	if (n > UNSUB_MAX_BODY)
		n = UNSUB_MAX_BODY;
	if (n > 0)
		body[fread(body, 1, (size_t)n, in)] = '\0';
	return body;
}

static int
cgi_post(struct app *app, FILE *in, FILE *out, const char *course,
    const char *query)
{
	char token[UNSUB_MAX_VALUE], click[32], *body = read_body(in);
	unsigned char *key = NULL;
	size_t keylen = 0;
	int rc = 0;

	if (!unsubscribe_form_value(query, "t", token, sizeof(token)) &&
	    !unsubscribe_form_value(body, "t", token, sizeof(token)))
		token[0] = '\0';
	if (!unsubscribe_form_value(body, "List-Unsubscribe", click,
	    sizeof(click)) || strcmp(click, "One-Click") != 0) {
		/* not the one-click form: ask again, change nothing */
		free(body);
		page_confirm(out, course, token);
		return EXIT_OK;
	}
	free(body);
	if (app_setup(app, NEED_DB) != 0 ||
	    config_secret(&app->cfg, &key, &keylen) < 0)
		rc = ERR_TEMP;
	else
		rc = unsubscribe_token(&app->db, key, keylen, token,
		    "one-click", time(NULL));
	free(key);
	/* A token that is not genuine gets the page a genuine one gets. */
	if (rc < 0 && rc != ERR_PERM) {
		page_message(out, "503 Service Unavailable", course,
		    "Something went wrong on our side. Please try again "
		    "in a few minutes.");
		return EXIT_OK;
	}
	page_message(out, "200 OK", course, "You are unsubscribed. "
	    "You will not receive any more emails from this course.");
	return EXIT_OK;
}

static int
cgi_answer(struct app *app, FILE *in, FILE *out, const char *method)
{
	const char *query = getenv("QUERY_STRING");
	const char *course = app->cfg.course_name ? app->cfg.course_name :
	    "Unsubscribe";
	char token[UNSUB_MAX_VALUE];

	if (query == NULL)
		query = "";
	if (method != NULL && strcmp(method, "POST") == 0)
		return cgi_post(app, in, out, course, query);
	if (method == NULL || strcmp(method, "GET") != 0) {
		page_message(out, "405 Method Not Allowed", course,
		    "Method not allowed.");
		return EXIT_OK;
	}
	if (!unsubscribe_form_value(query, "t", token, sizeof(token))) {
		page_message(out, "400 Bad Request", course,
		    "This unsubscribe link is incomplete. Please use the "
		    "whole link from the email.");
		return EXIT_OK;
	}
	page_confirm(out, course, token);
	return EXIT_OK;
}

int
unsubscribe_cgi(struct app *app, FILE *in, FILE *out)
{
	const char *method = getenv("REQUEST_METHOD");
	char *page = NULL, *end;
	size_t len = 0;
	FILE *m;
	int rc;

	if (method == NULL || strcmp(method, "HEAD") != 0)
		return cgi_answer(app, in, out, method);
	/* HEAD: the header GET would send, and no body (RFC 3875 4.3.2). */
	if ((m = open_memstream(&page, &len)) == NULL)
		fatal("open_memstream");
	rc = cgi_answer(app, in, m, "GET");
	if (fclose(m) != 0)
		fatal("open_memstream");
	end = strstr(page, "\r\n\r\n");
	fwrite(page, 1, end ? (size_t)(end - page) + 4 : len, out);
	free(page);
	return rc;
}
