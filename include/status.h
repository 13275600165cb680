/*
 * status.h - what was sent, what is due, what failed: the numbers behind
 * `dripmail status` and `dripmail report`, as jansson objects.  Every
 * figure is counted here, once: the report draws what status prints.
 *
 *	{ "version": 1, "now": "...Z",
 *	  "subscribers": { "active": N, "completed": N, ... },
 *	  "lists": { "course": N, "waitlist": N },
 *	  "caps": { "sent_today": N, "cap_today": N | null,
 *	            "warmup_day": N | null, "warmup_days": N,
 *	            "domains": [ { "domain": "gmail.com",
 *	                           "sent_last_hour": N, "cap": N }, ... ] },
 *	  "paused": N,
 *	  "messages": [ { "id": "day1", "kind": "lesson", "day": 1,
 *	                  "sent": N, "retrying": N, "failed": N,
 *	                  "suppressed": N, "due_now": N, "scheduled": N,
 *	                  "stopped": { "bounced": N, "complained": N,
 *	                               "unsubscribed": N } },
 *	                { "id": "launch", "kind": "notice", "at": "...Z",
 *	                  ... } ],
 *	  "stopped_other": { "bounced": N, "complained": N,
 *	                     "unsubscribed": N },
 *	  "funnel": [ { "step": "enrolled", "count": N },
 *	              { "step": "day1", "count": N }, ...,
 *	              { "step": "completed", "count": N } ],
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
 * warmup applies.  "paused" counts the active subscribers that
 * `subscribers pause` holds; "guard" is the automatic pause of all runs
 * (guard.h) and the counts it judges.
 * The schema is dripmail(1)'s, version STATUS_VERSION: keys may be added
 * (new objects at the top level), none is removed or changes type without
 * a new version.  A run that has not finished has outcome "running" (the
 * latest run, its process alive) or "interrupted", and the counts its
 * deliveries show.  A stopped subscriber counts against the last message
 * sent to them or failed for them, else in stopped_other.
 */
#ifndef STATUS_H
#define STATUS_H

#include <time.h>

#include <jansson.h>

#include "render.h"

struct db;

#define STATUS_VERSION		1
#define STATUS_RUNS		5	/* runs that `status` shows */
#define STATUS_RUNS_MAX		30	/* the most any caller gets */
#define STATUS_SERIES_DAYS	366	/* the most days in a series */

/*
 * The report as of now with the last nruns runs (allocated, json_decref()
 * it).  A query that fails is logged and counts nothing.
 */
json_t	*status_report(struct db *, const struct config *,
	    const struct course *, time_t now, int nruns);

/*
 * Per day of [schedule] timezone, from the first day anything happened (at
 * most STATUS_SERIES_DAYS back) to the later of now and the last event:
 *
 *	{ "timezone": "Europe/London",
 *	  "days": [ "2026-06-10", ... ],
 *	  "series": { "sent": [N, ...], "bounced": [...], "complained": [...],
 *	              "unsubscribed": [...],
 *	              "waitlist": [...], "enrolled": [...] },
 *	  "launch": "...Z" | null, "launch_day": "2026-06-12" | null }
 *
 * sent counts the deliveries sent that day, the stopped series the
 * subscribers whose status became that one; waitlist and enrolled are
 * running totals of who ever joined the waitlist or the course.
 * Allocated.
 */
json_t	*status_series(struct db *, const struct config *, time_t now);

#endif
