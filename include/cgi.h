/*
 * cgi.h - what the web endpoints (`unsubscribe --cgi`, `signup --cgi`)
 * share as CGI/1.1 programs (RFC 3875): the request body, HTML escaping,
 * the answer page, HEAD.
 *
 * Every page is a complete HTML document with a Status and a Content-Type
 * header; the only headers written are fixed text and a status from the
 * caller (a literal), so nothing from the request reaches a header.
 */
#ifndef CGI_H
#define CGI_H

#include <stddef.h>
#include <stdio.h>

/*
 * CONTENT_LENGTH: 0 when it is missing, -1 when it is not a number,
 * LONG_MAX when it is past that.
 */
long	 cgi_content_length(void);

/*
 * The request body from in: CONTENT_LENGTH bytes, at most max, NUL-
 * terminated (allocated); its length in *len (0 when CONTENT_LENGTH is
 * missing or not a number).
 */
char	*cgi_read_body(FILE *in, size_t max, size_t *len);

/* Write s with & < > " ' escaped, for text and attribute values. */
void	 cgi_html(FILE *out, const char *s);

/*
 * The headers (status such as "200 OK", a literal) and the page up to and
 * including <h1>title</h1> (title escaped); cgi_page_tail() closes it.
 */
void	 cgi_page_head(FILE *out, const char *status, const char *title);
void	 cgi_page_tail(FILE *out);

/* A whole page of one paragraph, text being HTML as it is (a literal). */
void	 cgi_page_message(FILE *out, const char *status, const char *title,
	    const char *text);

/*
 * Answer the request in REQUEST_METHOD with answer(ctx, in, out, method);
 * a HEAD is answered as a GET with the header only (RFC 3875 4.3.2).
 * Returns what answer returns.
 */
int	 cgi_serve(void *ctx, FILE *in, FILE *out,
	    int (*answer)(void *, FILE *, FILE *, const char *));

#endif
