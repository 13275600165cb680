/*
 * guard.c - the automatic pause: count the window, judge it, record and
 * lift a pause (see guard.h).
 */
#include <stdio.h>
#include <string.h>

#include "dripmail.h"
#include "guard.h"
#include "store.h"
#include "util.h"

static double
rate(long n, long of)
{
	return of > 0 ? 100.0 * (double)n / (double)of : 0.0;
}

enum guard_verdict
guard_decide(const struct guard_counts *n, const struct config *cfg)
{
	if (n->sends < cfg->guard_min_sample)
		return GUARD_FEW;
	if (rate(n->bounces, n->sends) > cfg->guard_max_bounce)
		return GUARD_BOUNCES;
	if (rate(n->complaints, n->sends) > cfg->guard_max_complaint)
		return GUARD_COMPLAINTS;
	return GUARD_OK;
}

void
guard_reason(const struct guard_counts *n, const struct config *cfg,
    enum guard_verdict v, char *out, size_t size)
{
	char since[32], over[64] = "";

	time_format_iso(n->since, since, sizeof(since));
	if (v == GUARD_BOUNCES || v == GUARD_COMPLAINTS)
		(void)snprintf(over, sizeof(over), " over [guard] %s %g%%",
		    v == GUARD_BOUNCES ? "max_bounce_rate" :
		    "max_complaint_rate", v == GUARD_BOUNCES ?
		    cfg->guard_max_bounce : cfg->guard_max_complaint);
	(void)snprintf(out, size, "hard bounces %.1f%% (%ld of %ld sends since "
	    "%s)%s, complaints %.2f%% (%ld)%s", rate(n->bounces, n->sends),
	    n->bounces, n->sends, since, v == GUARD_BOUNCES ? over : "",
	    rate(n->complaints, n->sends), n->complaints,
	    v == GUARD_COMPLAINTS ? over : "");
}

static int
count_window(struct db *db, time_t now, struct guard_counts *n)
{
	struct store_guard_window w;
	int rc;

	if ((rc = store_guard_window(db, n->since, now, &w)) < 0)
		return rc;
	n->sends = w.sent + w.refused;
	n->bounces = w.bounces;
	n->complaints = w.complaints;
	return 0;
}

int
guard_read(struct db *db, const struct config *cfg, time_t now,
    struct guard_state *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = store_runs_last_resume(db, now, &s->resumed_at, s->resumed_by,
	    sizeof(s->resumed_by));
	if (rc < 0)
		return rc;
	rc = store_runs_last_pause(db, now, &s->paused_at, s->reason,
	    sizeof(s->reason));
	if (rc < 0)
		return rc;
	/* A resume at the same second as the pause lifts it. */
	s->paused = rc == 1 && !(s->resumed_at >= s->paused_at);
	s->counts.since = now - cfg->guard_window;
	if (s->resumed_at > s->counts.since)
		s->counts.since = s->resumed_at;
	if ((rc = count_window(db, now, &s->counts)) < 0)
		return rc;
	s->verdict = guard_decide(&s->counts, cfg);
	return 0;
}

int
guard_check(struct db *db, const struct config *cfg, time_t now, int dry_run,
    struct guard_state *s)
{
	int rc;

	if ((rc = guard_read(db, cfg, now, s)) < 0 || s->paused)
		return rc;
	if (s->verdict != GUARD_BOUNCES && s->verdict != GUARD_COMPLAINTS)
		return 0;
	guard_reason(&s->counts, cfg, s->verdict, s->reason,
	    sizeof(s->reason));
	if (!dry_run && (rc = store_runs_pause(db, now, s->reason)) < 0)
		return rc;
	s->paused = 1;
	s->paused_at = now;
	s->recorded = !dry_run;
	return 0;
}

int
guard_report(struct db *db, const struct guard_state *s, time_t now,
    int quiet, int dry_run)
{
	time_t last = s->paused_at, said = 0;
	int rc;

	if (!quiet || dry_run || s->recorded)
		return 1;
	rc = store_runs_last_report(db, now, &said);
	if (rc == 1 && said > last)
		last = said;
	if (rc >= 0 && now - last < GUARD_REPORT_EVERY)
		return 0;
	(void)store_runs_reported(db, now);
	return 1;
}

int
guard_resume(struct db *db, const struct config *cfg, time_t now,
    const char *who, struct guard_state *s)
{
	char detail[64], at[32];
	int rc;

	if ((rc = guard_read(db, cfg, now, s)) < 0)
		return rc;
	if (!s->paused)
		return 0;
	time_format_iso(s->paused_at, at, sizeof(at));
	(void)snprintf(detail, sizeof(detail), "lifted the pause of %s", at);
	rc = store_runs_resume(db, now, who, detail);
	return rc < 0 ? rc : 1;
}
