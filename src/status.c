/*
 * status.c - `dripmail status` as JSON from the store's counts (store.h;
 * nothing is changed).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "caps.h"
#include "dripmail.h"
#include "guard.h"
#include "render.h"
#include "schedule.h"
#include "status.h"
#include "store.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

static json_t *
iso(time_t t)
{
	char s[32];

	if (t == 0)
		return json_null();
	time_format_iso(t, s, sizeof(s));
	return json_string(s);
}

static json_t *
subscribers(const struct store_sub_counts *n)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}",
	    "active", (json_int_t)n->active,
	    "completed", (json_int_t)n->completed,
	    "unsubscribed", (json_int_t)n->unsubscribed,
	    "bounced", (json_int_t)n->bounced,
	    "complained", (json_int_t)n->complained);
}

static json_t *
lists(const struct store_sub_counts *n)
{
	return json_pack("{s:I, s:I}", "course", (json_int_t)n->course,
	    "waitlist", (json_int_t)n->waitlist);
}

/* Deliveries of message by state. */
static void
delivery_counts(struct db *db, const char *id, json_t *m)
{
	struct store_msg_counts n;

	(void)store_count_message(db, id, &n);
	json_object_set_new(m, "sent", json_integer(n.sent));
	json_object_set_new(m, "retrying", json_integer(n.retry));
	json_object_set_new(m, "failed", json_integer(n.failed));
	json_object_set_new(m, "suppressed", json_integer(n.suppressed));
}

struct due_count {
	const struct config *cfg;
	const struct sched_msg *m;
	time_t		 now;
	json_int_t	 n;
};

static void
count_due(struct sched_sub *s, const char *tz, void *arg)
{
	struct due_count *dc = arg;

	s->zone = sched_zone(dc->cfg, tz);
	if (sched_due(dc->cfg, s, dc->m, dc->now) == dc->now)
		dc->n++;
}

/*
 * What `run --dry-run` at now would send of message l: every candidate (a
 * pending delivery, or an active subscriber the run would plan one for)
 * put to sched_due(), as the run does.
 */
static json_int_t
due_now(struct db *db, const struct config *cfg, const struct course *c,
    const struct lesson *l, time_t now)
{
	struct sched_msg m;
	struct store_due_query q;
	struct due_count dc = { cfg, &m, now, 0 };

	sched_msg_of(c, l, &m);
	q.message = l->id;
	q.now = now;
	q.day = m.day;
	/* The run enrols the waitlist at launch first (plan_enrol()). */
	q.enrol_waitlist = cfg->launch_at && cfg->enroll_waitlist &&
	    now >= cfg->launch_at;
	q.notice_open = m.day == 0 && sched_notice_open(cfg, &m, now);
	(void)store_due_candidates(db, &q, count_due, &dc);
	/* Resends go when their row says, to the active and completed. */
	return dc.n + store_count_resends_due(db, l->id, now);
}

static json_t *
lesson(struct db *db, const struct config *cfg, const struct course *c,
    const struct lesson *l, time_t now)
{
	json_t *m = json_object();

	json_object_set_new(m, "id", json_string(l->id));
	json_object_set_new(m, "kind", json_string("lesson"));
	json_object_set_new(m, "day", json_integer(l->day));
	delivery_counts(db, l->id, m);
	json_object_set_new(m, "due_now", json_integer(due_now(db, cfg, c, l,
	    now)));
	/* Not yet a delivery row: later in the course. */
	json_object_set_new(m, "scheduled", json_integer(
	    store_count_lesson_later(db, l->day, now)));
	return m;
}

static json_t *
notice(struct db *db, const struct config *cfg, const struct course *c,
    const struct lesson *l, time_t now)
{
	json_t *m = json_object();
	json_int_t members;

	json_object_set_new(m, "id", json_string(l->id));
	json_object_set_new(m, "kind", json_string("notice"));
	json_object_set_new(m, "at", iso(l->at));
	delivery_counts(db, l->id, m);
	json_object_set_new(m, "due_now", json_integer(due_now(db, cfg, c, l,
	    now)));
	members = store_count_notice_members(db, l->id);
	json_object_set_new(m, "scheduled", json_integer(l->at &&
	    l->at > now ? members : 0));
	return m;
}

/*
 * A run that did not finish: what it recorded, from its deliveries (a scan,
 * but only for a run that was killed), and whether it still runs (only the
 * latest run can, while its process lives).
 */
static void
unfinished(struct db *db, json_t *run, int64_t id, long pid, int latest)
{
	struct store_run n;
	int alive = latest && pid > 0 && (kill((pid_t)pid, 0) == 0 ||
	    errno == EPERM);

	json_object_set_new(run, "outcome", json_string(alive ? "running" :
	    "interrupted"));
	if (store_count_run(db, id, &n) < 0)
		return;
	json_object_set_new(run, "sent", json_integer(n.sent));
	json_object_set_new(run, "retry", json_integer(n.retry));
	json_object_set_new(run, "failed", json_integer(n.failed));
}

static json_t *
runs(struct db *db, int nruns)
{
	json_t *a = json_array();
	struct store_run r[STATUS_RUNS_MAX];
	size_t n, i;

	n = store_runs_latest(db, r, nruns < 0 ? 0 : nruns < STATUS_RUNS_MAX ?
	    (size_t)nruns : STATUS_RUNS_MAX);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:I, s:I,"
		    " s:I, s:I, s:o, s:b}",
		    "id", (json_int_t)r[i].id,
		    "started", iso(r[i].started),
		    "finished", iso(r[i].finished),
		    "sent", (json_int_t)r[i].sent,
		    "retry", (json_int_t)r[i].retry,
		    "failed", (json_int_t)r[i].failed,
		    "suppressed", (json_int_t)r[i].suppressed,
		    "outcome", r[i].outcome ? json_string(r[i].outcome) :
		    json_null(),
		    "dry_run", r[i].dry_run));
	for (i = 0; i < n; i++)
		if (r[i].unfinished)
			unfinished(db, json_array_get(a, i), r[i].id, r[i].pid,
			    i == 0);
	store_runs_release(r, n);
	return a;
}

/* Today's use of the caps, as the next run would count it. */
static json_t *
caps(struct db *db, const struct config *cfg, time_t now)
{
	json_t *o = json_object(), *doms = json_array();
	struct caps_counts n;
	struct caps c;

	if (caps_read(db, cfg, now, &n) < 0)
		memset(&n, 0, sizeof(n));
	caps_init(&c, cfg, &n, now, tz_host());
	json_object_set_new(o, "sent_today", json_integer(c.today));
	json_object_set_new(o, "cap_today", c.limit ? json_integer(c.limit) :
	    json_null());
	json_object_set_new(o, "warmup_day", c.warmup ? json_integer(c.day) :
	    json_null());
	json_object_set_new(o, "warmup_days", json_integer(cfg->nwarmup));
	for (int i = 0; i < cfg->ndomain_caps; i++)
		json_array_append_new(doms, json_pack("{s:s, s:I, s:I}",
		    "domain", cfg->domain_caps[i].domain,
		    "sent_last_hour", (json_int_t)c.hour[i],
		    "cap", (json_int_t)cfg->domain_caps[i].max));
	json_object_set_new(o, "domains", doms);
	return o;
}

/* The automatic pause: whether runs are paused, why, and the window now. */
static json_t *
guard(struct db *db, const struct config *cfg, time_t now)
{
	struct guard_state g;

	if (guard_read(db, cfg, now, &g) < 0)
		return json_null();
	return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}",
	    "paused", g.paused,
	    "since", g.paused ? iso(g.paused_at) : json_null(),
	    "reason", g.paused ? json_string(g.reason) : json_null(),
	    "resumed", iso(g.resumed_at),
	    "resumed_by", g.resumed_at ? json_string(g.resumed_by) :
	    json_null(),
	    "window_start", iso(g.counts.since),
	    "sends", (json_int_t)g.counts.sends,
	    "hard_bounces", (json_int_t)g.counts.bounces,
	    "complaints", (json_int_t)g.counts.complaints);
}

/* The statuses that stop mail for good, each a key of "stopped". */
static const char *const stops[] = { "bounced", "complained",
    "unsubscribed" };

static json_t *
stop_counts(void)
{
	json_t *o = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(stops); i++)
		json_object_set_new(o, stops[i], json_integer(0));
	return o;
}

/*
 * Each stopped subscriber counted against the last message sent to them or
 * failed for them (the one they answered, or that bounced), in its
 * "stopped"; in other when there is none, or it left the course.
 */
static void
stopped(struct db *db, json_t *msgs, json_t *other)
{
	struct store_stopped *rows;
	json_t *m, *into, *v;
	size_t n, i, k;

	(void)store_count_stopped(db, &rows, &n);
	for (k = 0; k < n; k++) {
		into = other;
		json_array_foreach(msgs, i, m)
			if (rows[k].message && strcmp(rows[k].message,
			    json_string_value(json_object_get(m, "id"))) == 0)
				into = json_object_get(m, "stopped");
		v = json_object_get(into, rows[k].status);
		if (v)
			json_integer_set(v, json_integer_value(v) + rows[k].n);
	}
	store_stopped_free(rows, n);
}

static void
funnel_step(json_t *a, const char *step, json_int_t n)
{
	json_array_append_new(a, json_pack("{s:s, s:I}", "step", step,
	    "count", n));
}

/*
 * Enrolled (the course list), each lesson's sent count, and who received
 * every lesson, from the report r so far.
 */
static json_t *
funnel(struct db *db, const struct course *c, json_t *r)
{
	json_t *a = json_array(), *m, *msgs = json_object_get(r, "messages");
	size_t i;

	funnel_step(a, "enrolled", json_integer_value(json_object_get(
	    json_object_get(r, "lists"), "course")));
	json_array_foreach(msgs, i, m)
		if (strcmp(json_string_value(json_object_get(m, "kind")),
		    "lesson") == 0)
			funnel_step(a, json_string_value(json_object_get(m,
			    "id")), json_integer_value(json_object_get(m,
			    "sent")));
	funnel_step(a, "completed", store_count_course_done(db,
	    course_ndays(c)));
	return a;
}

json_t *
status_report(struct db *db, const struct config *cfg,
    const struct course *course, time_t now, int nruns)
{
	json_t *r = json_object(), *msgs = json_array(), *other, *m;
	struct store_sub_counts subs;
	size_t i;

	(void)store_count_subscribers(db, &subs);
	json_object_set_new(r, "version", json_integer(STATUS_VERSION));
	json_object_set_new(r, "now", iso(now));
	json_object_set_new(r, "subscribers", subscribers(&subs));
	json_object_set_new(r, "lists", lists(&subs));
	json_object_set_new(r, "caps", caps(db, cfg, now));
	/* Of the active: those `subscribers pause` holds. */
	json_object_set_new(r, "paused", json_integer(subs.paused));
	for (int d = 1; d <= course_ndays(course); d++)
		json_array_append_new(msgs, lesson(db, cfg, course,
		    course_day(course, d), now));
	for (int k = 0; k < course_nnotices(course); k++)
		json_array_append_new(msgs, notice(db, cfg, course,
		    course_notice(course, k), now));
	json_array_foreach(msgs, i, m)
		json_object_set_new(m, "stopped", stop_counts());
	other = stop_counts();
	stopped(db, msgs, other);
	json_object_set_new(r, "messages", msgs);
	json_object_set_new(r, "stopped_other", other);
	json_object_set_new(r, "funnel", funnel(db, course, r));
	json_object_set_new(r, "runs", runs(db, nruns));
	json_object_set_new(r, "guard", guard(db, cfg, now));
	return r;
}

/*
 * The time series: the store's counts per slice of STORE_SLICE seconds
 * (every zone's midnight falls on one), summed here into the days of the
 * course's zone.  Cumulative series add up from the start.
 */
struct series_def {
	const char	*key;
	enum store_series which;
	int		 cumulative;
};

struct series {
	const struct series_def *def;
	int64_t		*day;		/* ascending */
	json_int_t	*n;
	size_t		 len;
};

static const struct series_def series_defs[] = {
	{ "sent", STORE_SERIES_SENT, 0 },
	{ "bounced", STORE_SERIES_BOUNCED, 0 },
	{ "complained", STORE_SERIES_COMPLAINED, 0 },
	{ "unsubscribed", STORE_SERIES_UNSUBSCRIBED, 0 },
	{ "waitlist", STORE_SERIES_WAITLIST, 1 },
	{ "enrolled", STORE_SERIES_ENROLLED, 1 },
};

/* The day of t in zone tz, as days since 1970-01-01 (of that calendar). */
static int64_t
local_day(const char *tz, time_t t)
{
	struct tm tm;

	if (tz_localtime(tz, t, &tm) < 0)
		return (int64_t)(t / 86400);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (int64_t)(tz_mktime(NULL, &tm) / 86400);
}

static void
series_read(struct db *db, const struct series_def *def, const char *tz,
    struct series *s)
{
	struct store_slice *sl;
	size_t nsl, cap = 0;

	s->def = def;
	s->day = NULL;
	s->n = NULL;
	s->len = 0;
	(void)store_series(db, def->which, &sl, &nsl);
	for (size_t k = 0; k < nsl; k++) {
		int64_t day = local_day(tz, sl[k].at);

		if (s->len > 0 && s->day[s->len - 1] == day) {
			s->n[s->len - 1] += sl[k].n;
			continue;
		}
		if (s->len == cap) {
			cap = cap ? cap * 2 : 64;
			s->day = xreallocarray(s->day, cap, sizeof(*s->day));
			s->n = xreallocarray(s->n, cap, sizeof(*s->n));
		}
		s->day[s->len] = day;
		s->n[s->len++] = sl[k].n;
	}
	free(sl);
}

/* s's counts for days first..last, as a JSON array. */
static json_t *
series_days(const struct series *s, int64_t first, int64_t last)
{
	json_t *a = json_array();
	json_int_t sum = 0;
	size_t k = 0;

	for (; k < s->len && s->day[k] < first; k++)
		if (s->def->cumulative)
			sum += s->n[k];
	for (int64_t d = first; d <= last; d++) {
		json_int_t v = 0;

		if (k < s->len && s->day[k] == d)
			v = s->n[k++];
		sum += v;
		json_array_append_new(a, json_integer(s->def->cumulative ? sum :
		    v));
	}
	return a;
}

/* Day d (days since 1970-01-01) as "2026-12-01". */
static json_t *
day_string(int64_t d)
{
	char s[32];

	time_format_iso((time_t)(d * 86400), s, sizeof(s));
	s[10] = '\0';
	return json_string(s);
}

json_t *
status_series(struct db *db, const struct config *cfg, time_t now)
{
	json_t *r = json_object(), *days = json_array(), *o = json_object();
	struct series sr[ARRAY_SIZE(series_defs)];
	const char *tz = cfg->timezone;
	int64_t first = local_day(tz, now), last = first;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(series_defs); i++) {
		series_read(db, &series_defs[i], tz, &sr[i]);
		if (sr[i].len && sr[i].day[0] < first)
			first = sr[i].day[0];
		if (sr[i].len && sr[i].day[sr[i].len - 1] > last)
			last = sr[i].day[sr[i].len - 1];
	}
	if (last - first >= STATUS_SERIES_DAYS)
		first = last - STATUS_SERIES_DAYS + 1;
	for (int64_t d = first; d <= last; d++)
		json_array_append_new(days, day_string(d));
	for (i = 0; i < ARRAY_SIZE(series_defs); i++) {
		json_object_set_new(o, series_defs[i].key,
		    series_days(&sr[i], first, last));
		free(sr[i].day);
		free(sr[i].n);
	}
	json_object_set_new(r, "timezone", json_string(tz && *tz ? tz :
	    "UTC"));
	json_object_set_new(r, "days", days);
	json_object_set_new(r, "series", o);
	json_object_set_new(r, "launch", iso(cfg->launch_at));
	json_object_set_new(r, "launch_day", cfg->launch_at ?
	    day_string(local_day(tz, cfg->launch_at)) : json_null());
	return r;
}
