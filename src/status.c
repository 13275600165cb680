/*
 * status.c - counts for `dripmail status` from the subscribers, deliveries
 * and runs tables (indexed queries; nothing is changed).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "caps.h"
#include "db.h"
#include "dripmail.h"
#include "guard.h"
#include "render.h"
#include "schedule.h"
#include "status.h"
#include "subscriber.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

static const char *const statuses[] = { "active", "completed",
    "unsubscribed", "bounced", "complained" };

static json_int_t
count1(struct db *db, sqlite3_stmt *st)
{
	json_int_t n = 0;

	if (st && db_step(db, st, "status") == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return n;
}

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
subscribers(struct db *db)
{
	json_t *o = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(statuses); i++) {
		sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM"
		    " subscribers WHERE status = ?");

		if (st)
			sqlite3_bind_text(st, 1, statuses[i], -1,
			    SQLITE_STATIC);
		json_object_set_new(o, statuses[i],
		    json_integer(count1(db, st)));
	}
	return o;
}

static json_t *
lists(struct db *db)
{
	json_t *o = json_object();

	json_object_set_new(o, "course", json_integer(count1(db, db_stmt(db,
	    "SELECT count(*) FROM subscribers WHERE course_at IS NOT NULL"))));
	json_object_set_new(o, "waitlist", json_integer(count1(db, db_stmt(db,
	    "SELECT count(*) FROM subscribers WHERE waitlist_at IS NOT NULL"
	    " AND course_at IS NULL"))));
	return o;
}

/* Deliveries of message by state. */
static void
delivery_counts(struct db *db, const char *id, json_t *m)
{
	static const char *const keys[][2] = {
		{ "sent", "sent" }, { "retry", "retrying" },
		{ "failed", "failed" }, { "suppressed", "suppressed" },
	};
	sqlite3_stmt *st;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		st = db_stmt(db, "SELECT count(*) FROM deliveries"
		    " WHERE message = ? AND state = ?");
		if (st) {
			sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, keys[i][0], -1,
			    SQLITE_STATIC);
		}
		json_object_set_new(m, keys[i][1],
		    json_integer(count1(db, st)));
	}
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
	json_int_t n = 0;
	sqlite3_stmt *st;

	sched_msg_of(c, l, &m);
	st = db_stmt(db, "SELECT s.timezone, s.course_at, s.last_sent_at,"
	    " s.lessons_sent, s.waitlist_at, d.id FROM subscribers s"
	    " LEFT JOIN deliveries d ON d.subscriber_id = s.id"
	    " AND d.message = ?1 AND d.copy = s.course_copy"
	    " WHERE " SUB_MAILABLE_SQL("s.") " AND"
	    " ((d.id IS NOT NULL AND (d.state = 'sending' OR"
	    "  (d.state IN ('due', 'retry') AND d.next_attempt_at <= ?2)))"
	    " OR (d.id IS NULL AND ?3 > 0 AND s.lessons_sent = ?3 - 1 AND"
	    "  (s.next_lesson_at <= ?2 OR (?3 = 1 AND ?4 AND"
	    "  s.course_at IS NULL AND s.waitlist_at <= ?2)))"
	    " OR (d.id IS NULL AND ?3 = 0 AND ?5 AND s.waitlist_at <= ?2"
	    "  AND NOT EXISTS (SELECT 1 FROM deliveries e"
	    "  WHERE e.subscriber_id = s.id AND e.message = ?1)))");
	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, l->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int(st, 3, m.day);
	/* The run enrols the waitlist at launch first (plan_enrol()). */
	sqlite3_bind_int(st, 4, cfg->launch_at && cfg->enroll_waitlist &&
	    now >= cfg->launch_at);
	sqlite3_bind_int(st, 5, m.day == 0 && sched_notice_open(cfg, &m, now));
	while (db_step(db, st, "status due") == SQLITE_ROW) {
		struct sched_sub s;

		s.tz = (const char *)sqlite3_column_text(st, 0);
		s.course_at = (time_t)sqlite3_column_int64(st, 1);
		s.last_sent_at = (time_t)sqlite3_column_int64(st, 2);
		s.lessons_sent = sqlite3_column_int(st, 3);
		s.waitlist_at = (time_t)sqlite3_column_int64(st, 4);
		if (sched_due(cfg, &s, &m, now) == now)
			n++;
	}
	sqlite3_reset(st);
	/* Resends go when their row says, to the active and completed. */
	st = db_stmt(db, "SELECT count(*) FROM deliveries d"
	    " JOIN subscribers s ON s.id = d.subscriber_id"
	    " WHERE d.message = ?1 AND d.copy <> s.course_copy"
	    " AND (s.status = 'active' OR s.status = 'completed')"
	    " AND (d.state = 'sending' OR (d.state IN ('due', 'retry')"
	    " AND d.next_attempt_at <= ?2))");
	if (st == NULL)
		return n;
	sqlite3_bind_text(st, 1, l->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	return n + count1(db, st);
}

static json_t *
lesson(struct db *db, const struct config *cfg, const struct course *c,
    const struct lesson *l, time_t now)
{
	json_t *m = json_object();
	json_int_t sched;
	sqlite3_stmt *st;

	json_object_set_new(m, "id", json_string(l->id));
	json_object_set_new(m, "kind", json_string("lesson"));
	json_object_set_new(m, "day", json_integer(l->day));
	delivery_counts(db, l->id, m);
	json_object_set_new(m, "due_now", json_integer(due_now(db, cfg, c, l,
	    now)));
	/* Not yet a delivery row: later in the course. */
	st = db_stmt(db, "SELECT count(*) FROM subscribers WHERE "
	    SUB_MAILABLE_SQL("") " AND course_at IS NOT NULL AND"
	    " (lessons_sent < ? - 1 OR (lessons_sent = ? - 1 AND"
	    " (next_lesson_at IS NULL OR next_lesson_at > ?)))");
	if (st) {
		sqlite3_bind_int(st, 1, l->day);
		sqlite3_bind_int(st, 2, l->day);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	}
	sched = count1(db, st);
	json_object_set_new(m, "scheduled", json_integer(sched));
	return m;
}

static json_t *
notice(struct db *db, const struct config *cfg, const struct course *c,
    const struct lesson *l, time_t now)
{
	json_t *m = json_object();
	json_int_t members;
	sqlite3_stmt *st;

	json_object_set_new(m, "id", json_string(l->id));
	json_object_set_new(m, "kind", json_string("notice"));
	json_object_set_new(m, "at", iso(l->at));
	delivery_counts(db, l->id, m);
	json_object_set_new(m, "due_now", json_integer(due_now(db, cfg, c, l,
	    now)));
	st = db_stmt(db, "SELECT count(*) FROM subscribers WHERE"
	    " waitlist_at IS NOT NULL AND " SUB_MAILABLE_SQL("") " AND NOT EXISTS"
	    " (SELECT 1 FROM deliveries d WHERE d.subscriber_id ="
	    " subscribers.id AND d.message = ?)");
	if (st)
		sqlite3_bind_text(st, 1, l->id, -1, SQLITE_STATIC);
	members = count1(db, st);
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
	sqlite3_stmt *st = db_stmt(db, "SELECT coalesce(sum(state = 'sent'),"
	    " 0), coalesce(sum(state = 'retry'), 0), coalesce(sum(state ="
	    " 'failed'), 0) FROM deliveries WHERE run_id = ?");
	int alive = latest && pid > 0 && (kill((pid_t)pid, 0) == 0 ||
	    errno == EPERM);

	json_object_set_new(run, "outcome", json_string(alive ? "running" :
	    "interrupted"));
	if (st == NULL)
		return;
	sqlite3_bind_int64(st, 1, id);
	if (db_step(db, st, "status unfinished run") == SQLITE_ROW) {
		json_object_set_new(run, "sent",
		    json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(run, "retry",
		    json_integer(sqlite3_column_int64(st, 1)));
		json_object_set_new(run, "failed",
		    json_integer(sqlite3_column_int64(st, 2)));
	}
	sqlite3_reset(st);
}

static json_t *
runs(struct db *db, int nruns)
{
	json_t *a = json_array();
	sqlite3_stmt *st = db_stmt(db, "SELECT id, started_at, finished_at,"
	    " sent, retried, failed, suppressed, outcome, dry_run, pid"
	    " FROM runs ORDER BY id DESC LIMIT ?");
	struct { int64_t id; long pid; size_t k; } open[STATUS_RUNS_MAX];
	size_t nopen = 0, i;

	if (st == NULL)
		return a;
	sqlite3_bind_int(st, 1, nruns < STATUS_RUNS_MAX ? nruns :
	    STATUS_RUNS_MAX);
	while (db_step(db, st, "status runs") == SQLITE_ROW) {
		const char *outcome = (const char *)sqlite3_column_text(st, 7);

		if (sqlite3_column_type(st, 2) == SQLITE_NULL &&
		    nopen < STATUS_RUNS_MAX) {
			open[nopen].id = sqlite3_column_int64(st, 0);
			open[nopen].pid = (long)sqlite3_column_int64(st, 9);
			open[nopen++].k = json_array_size(a);
		}
		json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:I, s:I,"
		    " s:I, s:I, s:o, s:b}",
		    "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "started", iso((time_t)sqlite3_column_int64(st, 1)),
		    "finished", iso((time_t)sqlite3_column_int64(st, 2)),
		    "sent", (json_int_t)sqlite3_column_int64(st, 3),
		    "retry", (json_int_t)sqlite3_column_int64(st, 4),
		    "failed", (json_int_t)sqlite3_column_int64(st, 5),
		    "suppressed", (json_int_t)sqlite3_column_int64(st, 6),
		    "outcome", outcome ? json_string(outcome) : json_null(),
		    "dry_run", sqlite3_column_int(st, 8)));
	}
	sqlite3_reset(st);
	for (i = 0; i < nopen; i++)
		unfinished(db, json_array_get(a, open[i].k), open[i].id,
		    open[i].pid, open[i].k == 0);
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
	sqlite3_stmt *st = db_stmt(db, "SELECT s.status, (SELECT d.message"
	    " FROM deliveries d WHERE d.subscriber_id = s.id AND"
	    " (d.state = 'sent' OR d.state = 'failed') ORDER BY"
	    " coalesce(d.sent_at, d.updated_at) DESC, d.id DESC LIMIT 1),"
	    " count(*) FROM subscribers s WHERE s.status = 'bounced' OR"
	    " s.status = 'complained' OR s.status = 'unsubscribed'"
	    " GROUP BY 1, 2");
	json_t *m, *into, *v;
	size_t i;

	if (st == NULL)
		return;
	while (db_step(db, st, "status stopped") == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);

		into = other;
		json_array_foreach(msgs, i, m)
			if (id && strcmp(id, json_string_value(
			    json_object_get(m, "id"))) == 0)
				into = json_object_get(m, "stopped");
		v = json_object_get(into, status);
		if (v)
			json_integer_set(v, json_integer_value(v) +
			    sqlite3_column_int64(st, 2));
	}
	sqlite3_reset(st);
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
	sqlite3_stmt *st;
	size_t i;

	funnel_step(a, "enrolled", json_integer_value(json_object_get(
	    json_object_get(r, "lists"), "course")));
	json_array_foreach(msgs, i, m)
		if (strcmp(json_string_value(json_object_get(m, "kind")),
		    "lesson") == 0)
			funnel_step(a, json_string_value(json_object_get(m,
			    "id")), json_integer_value(json_object_get(m,
			    "sent")));
	st = db_stmt(db, "SELECT count(*) FROM subscribers WHERE"
	    " course_at IS NOT NULL AND lessons_sent >= ?");
	if (st)
		sqlite3_bind_int(st, 1, course_ndays(c));
	funnel_step(a, "completed", count1(db, st));
	return a;
}

json_t *
status_report(struct db *db, const struct config *cfg,
    const struct course *course, time_t now, int nruns)
{
	json_t *r = json_object(), *msgs = json_array(), *other, *m;
	size_t i;

	json_object_set_new(r, "version", json_integer(STATUS_VERSION));
	json_object_set_new(r, "now", iso(now));
	json_object_set_new(r, "subscribers", subscribers(db));
	json_object_set_new(r, "lists", lists(db));
	json_object_set_new(r, "caps", caps(db, cfg, now));
	/* Of the active: those `subscribers pause` holds. */
	json_object_set_new(r, "paused", json_integer(count1(db, db_stmt(db,
	    "SELECT count(*) FROM subscribers WHERE status = 'active'"
	    " AND paused_at IS NOT NULL"))));
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
 * The time series: one query per series, each row a quarter of an hour
 * (every zone's midnight falls on one) and a count, summed here into the
 * days of the course's zone.  Cumulative series add up from the start.
 */
#define SERIES_SLICE	900
struct series_def {
	const char	*key;
	const char	*sql;
	const char	*bind;		/* ?1, or NULL */
	int		 cumulative;
};

struct series {
	const struct series_def *def;
	int64_t		*day;		/* ascending */
	json_int_t	*n;
	size_t		 len;
};

#define SERIES_STOPPED	"SELECT coalesce(status_at, updated_at) / 900,"\
	" count(*) FROM subscribers WHERE status = ?1 GROUP BY 1 ORDER BY 1"

static const struct series_def series_defs[] = {
	{ "sent", "SELECT sent_at / 900, count(*) FROM deliveries WHERE"
	    " state = 'sent' AND sent_at IS NOT NULL GROUP BY 1 ORDER BY 1",
	    NULL, 0 },
	{ "bounced", SERIES_STOPPED, "bounced", 0 },
	{ "complained", SERIES_STOPPED, "complained", 0 },
	{ "unsubscribed", SERIES_STOPPED, "unsubscribed", 0 },
	{ "waitlist", "SELECT waitlist_at / 900, count(*) FROM subscribers"
	    " WHERE waitlist_at IS NOT NULL GROUP BY 1 ORDER BY 1", NULL, 1 },
	{ "enrolled", "SELECT course_at / 900, count(*) FROM subscribers"
	    " WHERE course_at IS NOT NULL GROUP BY 1 ORDER BY 1", NULL, 1 },
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
	sqlite3_stmt *st = db_stmt(db, def->sql);
	size_t cap = 0;

	s->def = def;
	s->day = NULL;
	s->n = NULL;
	s->len = 0;
	if (st == NULL)
		return;
	if (def->bind)
		sqlite3_bind_text(st, 1, def->bind, -1, SQLITE_STATIC);
	while (db_step(db, st, "status series") == SQLITE_ROW) {
		int64_t day = local_day(tz, (time_t)(sqlite3_column_int64(st,
		    0) * SERIES_SLICE));

		if (s->len > 0 && s->day[s->len - 1] == day) {
			s->n[s->len - 1] += sqlite3_column_int64(st, 1);
			continue;
		}
		if (s->len == cap) {
			cap = cap ? cap * 2 : 64;
			s->day = xreallocarray(s->day, cap, sizeof(*s->day));
			s->n = xreallocarray(s->n, cap, sizeof(*s->n));
		}
		s->day[s->len] = day;
		s->n[s->len++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
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
