/*
 * unsubscribe.h - unsubscribe by token or address, and the form values of
 * the one-click web endpoint (`unsubscribe --cgi`, RFC 3875, RFC 8058; its
 * pages are in cmd_unsubscribe.c).
 *
 * The CGI never tells a forged, altered or unknown token from a genuine one:
 * GET shows the same confirmation page for every token and changes nothing
 * (mail scanners prefetch links); POST with List-Unsubscribe=One-Click
 * unsubscribes when the token is genuine and answers the same page either
 * way.  The address is never shown.
 */
#ifndef UNSUBSCRIBE_H
#define UNSUBSCRIBE_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct db;

#define UNSUB_MAX_BODY	4096	/* bytes of a POST body read */
#define UNSUB_MAX_VALUE	256	/* bytes of one form value */
#define UNSUB_MAX_BOUNDARY 70	/* a multipart boundary (RFC 2046) */

/*
 * Unsubscribe the subscriber a genuine token names.  1 when this changed
 * something, 0 when not (already not receiving mail, or no longer in the
 * database), ERR_PERM for a token that is not genuine (not logged: the CGI
 * answers it as it answers a genuine one), ERR_TEMP/ERR_FAIL on database
 * errors.
 */
int	 unsubscribe_token(struct db *, const unsigned char *key,
	    size_t keylen, const char *token, const char *source, time_t now);

/*
 * Unsubscribe by address (case-insensitive): 1 changed, 0 already not
 * receiving mail, ERR_PERM no such subscriber (logged), ERR_*.
 */
int	 unsubscribe_email(struct db *, const char *email, const char *source,
	    time_t now);

/*
 * The value of name in an application/x-www-form-urlencoded string (a query
 * string or a POST body), decoded, into out.  1 found, 0 not found or too
 * long or holding control characters.
 */
int	 unsubscribe_form_value(const char *form, const char *name, char *out,
	    size_t outlen);

/*
 * The value of name in a POST body of len bytes, by its Content-Type
 * (ctype, may be NULL): multipart/form-data (RFC 7578, what mailbox
 * providers send for RFC 8058 one-click), else urlencoded, where a
 * trailing line break is ignored.  Same results as unsubscribe_form_value.
 */
int	 unsubscribe_body_value(const char *ctype, const char *body,
	    size_t len, const char *name, char *out, size_t outlen);

#endif
