/*
 * status.h - what was sent, what is due, what failed: the numbers behind
 * `dripmail status`, as a jansson object.
 *
 *	{ "now": "...Z",
 *	  "subscribers": { "active": N, "completed": N, ... },
 *	  "lists": { "course": N, "waitlist": N },
 *	  "caps": { "sent_today": N, "cap_today": N | null,
 *	            "warmup_day": N | null, "warmup_days": N,
 *	            "domains": [ { "domain": "gmail.com",
 *	                           "sent_last_hour": N, "cap": N }, ... ] },
 *	  "messages": [ { "id": "day1", "sent": N, "due_now": N,
 *	                  "scheduled": N, "retrying": N, "failed": N,
 *	                  "suppressed": N }, ... ],
 *	  "runs": [ { "id": N, "started": "...Z", "finished": "...Z" | null,
 *	              "sent": N, "retry": N, "failed": N, "suppressed": N,
 *	              "outcome": "ok" | ..., "dry_run": false }, ... ],
 *	  "guard": { "paused": false, "since": "...Z" | null,
 *	             "reason": "..." | null, "resumed": "...Z" | null,
 *	             "resumed_by": "..." | null, "window_start": "...Z",
 *	             "sends": N, "hard_bounces": N, "complaints": N } }
 *
 * "caps" counts messages sent since the host's local midnight (caps.h);
 * cap_today is null when nothing caps today, warmup_day while [send]
 * warmup applies.  A run that has not finished has outcome "running" (the latest run, its
 * process alive) or "interrupted", and the counts its deliveries show.
 * "guard" is the automatic pause (guard.h) and the counts it judges.
 */
#ifndef STATUS_H
#define STATUS_H

#include <time.h>

#include <jansson.h>

#include "db.h"
#include "render.h"

#define STATUS_RUNS	5

/* The report as of now (allocated, json_decref() it), or NULL (logged). */
json_t	*status_report(struct db *, const struct config *,
	    const struct course *, time_t now);

#endif
