/*
 * preview.h - write rendered messages into a folder the author opens in a
 * browser: index.html, and for each message ID.html, ID.txt and ID.eml.
 */
#ifndef PREVIEW_H
#define PREVIEW_H

#include <stdio.h>
#include <time.h>

#include "config.h"
#include "render.h"
#include "spam.h"

#define PREVIEW_SPAM	0x01	/* score each message with SpamAssassin */

/*
 * Render the n lessons for r into dir (created).  date is the Date header.
 * With PREVIEW_SPAM in flags the index shows each message's SpamAssassin
 * score and rules, or says once on stderr that spamassassin is missing.
 * 0, or ERR_FAIL after logging every message that failed.
 */
int	 preview_write(const struct course *, const struct config *,
	    const struct lesson *const *lessons, int n,
	    const struct recipient *r, const char *dir, time_t date,
	    int flags);

/*
 * The n lessons rendered for r as they would be sent, scored by
 * SpamAssassin (spam.h): 0 and *out (n reports, spam_reports_free()), or
 * ERR_FAIL (logged).
 */
int	 preview_spam(const struct course *, const struct config *,
	    const struct lesson *const *lessons, int n,
	    const struct recipient *r, time_t date, struct spam_report **out);
/* 1 when the score reaches [preview] spam_threshold. */
int	 preview_spam_over(const struct spam_report *, double threshold);
/* "spam: day1: 0.2 (under 3.0): RULE 0.2, ..." on one line. */
void	 preview_spam_print(FILE *, const char *id,
	    const struct spam_report *, double threshold);

/* When l is sent, for people: "Day 3, from 08:00 local time" (allocated). */
char	*preview_when(const struct config *, const struct lesson *);

#endif
