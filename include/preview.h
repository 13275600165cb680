/*
 * preview.h - write rendered messages into a folder the author opens in a
 * browser: index.html, and for each message ID.html, ID.txt and ID.eml.
 */
#ifndef PREVIEW_H
#define PREVIEW_H

#include <time.h>

#include "config.h"
#include "render.h"

/*
 * Render the n lessons for r into dir (created).  date is the Date header.
 * 0, or ERR_FAIL after logging every message that failed.
 */
int	 preview_write(const struct course *, const struct config *,
	    const struct lesson *const *lessons, int n,
	    const struct recipient *r, const char *dir, time_t date);

/* When l is sent, for people: "Day 3, from 08:00 local time" (allocated). */
char	*preview_when(const struct config *, const struct lesson *);

#endif
