/*
 * guard.h - the automatic pause: when too many of the messages sent lately
 * hard-bounced or drew complaints, `run` sends nothing until a person
 * looks and runs `dripmail resume`.
 *
 * The sends of a window are the deliveries sent in it (deliveries.sent_at)
 * and the messages a relay refused at RCPT TO as a dead address (events
 * bounce_hard from source "smtp", which were never sent); the bounces are
 * the events bounce_hard, from any source (RCPT TO, DSNs, text bounces);
 * the complaints the events complaint (ARF reports).  Each is one indexed
 * range count (migration 4).  The window starts [guard] window before now,
 * or at the last resume if that is later, so a lifted pause is not taken
 * again for the same old bounces.
 *
 * A pause is an event of kind paused (subscriber NULL, detail: why) and
 * lasts until an event resumed (source: who) follows it, whatever the
 * rates do meanwhile.
 */
#ifndef GUARD_H
#define GUARD_H

#include <time.h>

#include "config.h"

struct db;

#define GUARD_REASON_MAX	320
#define GUARD_WHO_MAX		96
#define GUARD_REPORT_EVERY	(24 * 60 * 60)	/* see guard_report() */

struct guard_counts {
	time_t		 since;		/* the window's start */
	long		 sends, bounces, complaints;
};

enum guard_verdict {
	GUARD_OK,		/* within the limits */
	GUARD_FEW,		/* fewer sends than [guard] min_sample */
	GUARD_BOUNCES,		/* hard bounces over max_bounce_rate */
	GUARD_COMPLAINTS,	/* complaints over max_complaint_rate */
};

struct guard_state {
	int		 paused;	/* a recorded pause, not lifted */
	time_t		 paused_at;
	char		 reason[GUARD_REASON_MAX];	/* of the pause */
	time_t		 resumed_at;	/* the last resume, or 0 */
	char		 resumed_by[GUARD_WHO_MAX];
	struct guard_counts counts;	/* the window as of now */
	enum guard_verdict verdict;	/* of counts */
	int		 recorded;	/* guard_check() recorded it just now */
};

/*
 * The rule, alone: what counts mean under cfg's [guard] limits.  A rate
 * passes its limit when it is above it; both are judged only over at
 * least min_sample sends, and bounces are named before complaints.
 */
enum guard_verdict guard_decide(const struct guard_counts *,
	    const struct config *);

/*
 * Why, in one line (into out, truncated to size): both rates with their
 * counts, the window's start, and the limit passed, e.g. "hard bounces
 * 6.0% (12 of 200 sends since 2026-06-03T09:00:00Z) over [guard]
 * max_bounce_rate 5%, complaints 0.0% (0)".
 */
void	 guard_reason(const struct guard_counts *, const struct config *,
	    enum guard_verdict, char *out, size_t size);

/*
 * Read the pause and count the window as of now; changes nothing.
 * 0, or ERR_* (logged).
 */
int	 guard_read(struct db *, const struct config *, time_t now,
	    struct guard_state *);

/*
 * For a run: guard_read(), then, when there is no pause but the verdict
 * is GUARD_BOUNCES or GUARD_COMPLAINTS, record one as of now (unless
 * dry_run) and fill paused, paused_at and reason as if read back.
 * s->paused says whether the run must send nothing.  0 or ERR_*.
 */
int	 guard_check(struct db *, const struct config *, time_t now,
	    int dry_run, struct guard_state *);

/*
 * Whether a paused run says so.  Always, except under -q (quiet, cron,
 * which mails what a job prints): then the run that recorded the pause
 * says it, and later runs once GUARD_REPORT_EVERY has passed since it was
 * last said (an event pause_reported, recorded here unless dry_run), so
 * the operator gets one mail a day, not one every run.  1 or 0; a failed
 * write is logged and the pause said.
 */
int	 guard_report(struct db *, const struct guard_state *, time_t now,
	    int quiet, int dry_run);

/*
 * Lift the pause: record an event resumed at now by who (a user name).
 * 1 when a pause was lifted, 0 when there was none (nothing recorded),
 * or ERR_*.  s is filled as guard_read() fills it, before the change.
 */
int	 guard_resume(struct db *, const struct config *, time_t now,
	    const char *who, struct guard_state *);

#endif
