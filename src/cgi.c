/*
 * cgi.c - the parts of a CGI/1.1 answer the web endpoints share.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "log.h"
#include "xmalloc.h"

long
cgi_content_length(void)
{
	const char *cl = getenv("CONTENT_LENGTH");
	char *end;
	long n;

	if (cl == NULL || *cl == '\0')
		return 0;
	n = strtol(cl, &end, 10);	/* past LONG_MAX: LONG_MAX */
	return *end != '\0' || n < 0 || !isdigit((unsigned char)*cl) ? -1 : n;
}

char *
cgi_read_body(FILE *in, size_t max, size_t *len)
{
	char *body = xcalloc(1, max + 1);
	long n = cgi_content_length();

	if (n < 0)
		n = 0;
	if ((unsigned long)n > max)
		n = (long)max;
	*len = n > 0 ? fread(body, 1, (size_t)n, in) : 0;
	body[*len] = '\0';
	return body;
}

void
cgi_html(FILE *out, const char *s)
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

void
cgi_page_head(FILE *out, const char *status, const char *title)
{
	fprintf(out, "Status: %s\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n\r\n", status);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n"
	    "<meta name=\"robots\" content=\"noindex\">\n<title>", out);
	cgi_html(out, title);
	fputs("</title>\n</head>\n<body>\n<main>\n<h1>", out);
	cgi_html(out, title);
	fputs("</h1>\n", out);
}

void
cgi_page_tail(FILE *out)
{
	fputs("</main>\n</body>\n</html>\n", out);
}

void
cgi_page_message(FILE *out, const char *status, const char *title,
    const char *text)
{
	cgi_page_head(out, status, title);
	fprintf(out, "<p>%s</p>\n", text);
	cgi_page_tail(out);
}

int
cgi_serve(void *ctx, FILE *in, FILE *out,
    int (*answer)(void *, FILE *, FILE *, const char *))
{
	const char *method = getenv("REQUEST_METHOD");
	char *page = NULL, *end;
	size_t len = 0;
	FILE *m;
	int rc;

	if (method == NULL || strcmp(method, "HEAD") != 0)
		return answer(ctx, in, out, method);
	/* HEAD: the header GET would send, and no body (RFC 3875 4.3.2). */
	if ((m = open_memstream(&page, &len)) == NULL)
		fatal("open_memstream");
	rc = answer(ctx, in, m, "GET");
	if (fclose(m) != 0)
		fatal("open_memstream");
	end = strstr(page, "\r\n\r\n");
	fwrite(page, 1, end ? (size_t)(end - page) + 4 : len, out);
	free(page);
	return rc;
}
