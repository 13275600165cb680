/*
 * signup.h - double opt-in signups from a web form: `signup --cgi`.
 *
 * A POST of the form (email, first_name, timezone, and the honeypot field
 * SIGNUP_HONEYPOT that people leave empty) records a pending signup in the
 * signups table and mails a confirmation link to the address: [signup] url
 * with a TOKEN_SIGNUP token naming the signup (token.h; no other purpose's
 * token is accepted).  A GET of the link shows a page with one button and
 * changes nothing (mail scanners fetch links); its POST confirms: the
 * person is added as `subscribers add` adds (the waitlist before the
 * launch, the course after) and a "consent" event keeps the evidence.
 *
 * The form's answer never tells whether the address is known: a filled-in
 * honeypot, an address that is suppressed, already a subscriber, or over
 * its limit get the page a new address gets, and no mail.  Signups older
 * than SIGNUP_EXPIRY are purged by the next request (a form's or a
 * link's); their links do nothing.
 */
#ifndef SIGNUP_H
#define SIGNUP_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "config.h"

struct db;

#define SIGNUP_EXPIRY	(7 * 86400L)	/* a pending signup's life */
#define SIGNUP_MAX_BODY	8192		/* bytes of a POST body read */
#define SIGNUP_MAX_META	512		/* bytes of user agent, page kept */
#define SIGNUP_HONEYPOT	"website"	/* the field only robots fill in */
#define SIGNUP_EVENT	"consent"	/* the event of a confirmation */

/* A form as posted, and where it came from. */
struct signup_req {
	const char	*email;		/* as typed */
	const char	*first_name;	/* may be NULL */
	const char	*timezone;	/* may be NULL; ignored when not a zone */
	const char	*honeypot;	/* may be NULL */
	const char	*ip;		/* REMOTE_ADDR, may be NULL */
	const char	*user_agent;	/* may be NULL */
	const char	*page;		/* Referer, else Origin; may be NULL */
	time_t		 now;
};

enum signup_outcome {
	SIGNUP_MAILED,		/* stored, the confirmation mail went */
	SIGNUP_QUIET,		/* answered as MAILED, no mail (see above) */
	SIGNUP_BAD_ADDRESS,	/* not an address mail can go to */
	SIGNUP_IP_LIMIT,	/* [signup] ip_limit reached this hour */
};

/*
 * Take a signup: an enum signup_outcome, or ERR_TEMP (database busy, or
 * the mail could not go now: logged) or ERR_FAIL (logged).
 */
int	 signup_request(struct db *, const struct config *,
	    const unsigned char *key, size_t keylen,
	    const struct signup_req *);

/*
 * Confirm the signup a link's token names, from ip with user_agent (both
 * may be NULL, kept in the evidence): 1 confirmed now, 0 confirmed before
 * (nothing changes), ERR_PERM for a token that is not genuine, expired or
 * whose signup was purged, or the address was suppressed meanwhile
 * (nothing changes; not logged), or ERR_TEMP/ERR_FAIL.
 */
int	 signup_confirm(struct db *, const struct config *,
	    const unsigned char *key, size_t keylen, const char *token,
	    const char *ip, const char *user_agent, time_t now);

/*
 * Whether the request's Origin, else its Referer, is [signup]
 * allowed_origin (or under it): 1 yes or no origin is set, 0 no (also
 * when the request has neither header).
 */
int	 signup_origin_ok(const char *allowed, const char *origin,
	    const char *referer);

#endif
