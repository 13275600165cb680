/*
 * plan.c - what a send run does, row by row (see plan.h): enrol, make due,
 * decide for each fetched delivery whether it goes now, and record each
 * outcome.  The threads and the commits are dispatch.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "buf.h"
#include "caps.h"
#include "config.h"
#include "db.h"
#include "dripmail.h"
#include "log.h"
#include "plan.h"
#include "render.h"
#include "schedule.h"
#include "send_int.h"
#include "smtp.h"
#include "store.h"
#include "subscriber.h"
#include "token.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

void
plan_job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->email);
	free(j->first_name);
	free(j->tz);
	free(j->message);
	free(j->from);
	buf_release(&j->msg);
	free(j);
}

void
plan_jobs_free(struct job *list)
{
	struct job *j, *next;

	for (j = list; j; j = next) {
		next = j->next;
		plan_job_free(j);
	}
}

/* Transactions: a dry run keeps one outer transaction and rolls it back. */

int
plan_txn_begin(struct ctx *x)
{
	return x->o->dry_run ? 0 : db_begin(x->db);
}

int
plan_txn_commit(struct ctx *x)
{
	int ret;

	if (x->o->dry_run)
		return 0;
	if ((ret = db_commit(x->db)) < 0)
		db_rollback(x->db);
	return ret;
}

/* Planning: enrolment, schedules, deliveries that became due. */

/*
 * next_lesson_at (0 = NULL), or completed when next is 0 and done.  Only
 * completion assigns status (and so runs its CHECK).
 */
static int
set_next(struct ctx *x, int64_t id, time_t next, int completed, time_t now)
{
	int ret;

	if (!completed)
		return (ret = store_sub_schedule(x->db, id, next, now)) < 0 ?
		    ret : 0;
	if ((ret = store_sub_finish(x->db, id, now)) <= 0)
		return ret;
	return store_event(x->db, id, now, "completed", NULL, "run", NULL,
	    NULL);
}

static int
plan_enrol(struct ctx *x)
{
	const struct config *cfg = x->cfg;
	time_t now = x->o->now;
	struct store_plan_sub *r;
	size_t n;
	int ret;

	if (!cfg->launch_at || !cfg->enroll_waitlist || now < cfg->launch_at)
		return 0;
	if ((ret = store_plan_subs(x->db, STORE_PLAN_WAITLIST, now, NULL, &r,
	    &n)) < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++) {
		time_t at = r[i].waitlist_at > cfg->launch_at ?
		    r[i].waitlist_at : cfg->launch_at;
		struct sched_sub s = { sched_zone(cfg, r[i].tz), at, 0, 0,
		    r[i].waitlist_at };
		struct sched_msg day1 = { 1, 0, 0 };

		ret = store_sub_launch(x->db, r[i].id, at,
		    sched_due(cfg, &s, &day1, now), now);
		if (ret == 0)
			ret = store_event(x->db, r[i].id, now, "enrolled", NULL,
			    "launch", NULL, NULL);
	}
	if (n)
		log_info("enrolled %zu waitlist member%s at launch", n,
		    n == 1 ? "" : "s");
	store_plan_subs_free(r, n);
	return ret;
}

/* One delivery row for message l, due now, of copy (see db.h). */
static int
add_delivery(struct ctx *x, int64_t sub, const struct lesson *l, time_t due,
    int copy)
{
	return store_delivery_plan(x->db, sub, l->id, copy, due, x->o->now);
}

/*
 * Enrolled subscribers without a schedule yet (next_lesson_at NULL), and
 * those whose next_lesson_at has come: make the delivery row, or move
 * next_lesson_at on to when the lesson is really due / its window opens.
 */
static int
plan_lessons(struct ctx *x, int unscheduled)
{
	const struct config *cfg = x->cfg;
	int ndays = course_ndays(x->course), ret;
	time_t now = x->o->now;
	struct store_plan_sub *r;
	size_t n;

	if ((ret = store_plan_subs(x->db, unscheduled ?
	    STORE_PLAN_UNSCHEDULED : STORE_PLAN_NEXT, now, NULL, &r, &n)) < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct sched_sub s = { sched_zone(cfg, r[i].tz), r[i].course_at,
		    r[i].last_sent_at, r[i].lessons_sent, r[i].waitlist_at };
		struct sched_msg m = { r[i].lessons_sent + 1, 0, 0 };
		const struct lesson *l;
		time_t due;

		if (m.day > ndays) {
			ret = set_next(x, r[i].id, 0, 1, now);
			continue;
		}
		due = sched_due(cfg, &s, &m, now);
		if (due > now || unscheduled) {
			ret = set_next(x, r[i].id, due, 0, now);
			continue;
		}
		if (due == 0 || (l = course_day(x->course, m.day)) == NULL)
			continue;
		ret = add_delivery(x, r[i].id, l, due, r[i].copy);
	}
	store_plan_subs_free(r, n);
	return ret;
}

/*
 * Notifications: a row for each waitlist member without one whose moment
 * (sched_due(): local window, staleness, late_limit) is now.
 */
static int
plan_notices(struct ctx *x)
{
	time_t now = x->o->now;
	int ret = 0;

	for (int i = 0; i < course_nnotices(x->course) && ret == 0; i++) {
		const struct lesson *l = course_notice(x->course, i);
		struct sched_msg m;
		struct store_plan_sub *r;
		size_t n;

		sched_msg_of(x->course, l, &m);
		if (!sched_notice_open(x->cfg, &m, now))
			continue;
		if ((ret = store_plan_subs(x->db, STORE_PLAN_NOTICE, now, l->id,
		    &r, &n)) < 0)
			return ret;
		for (size_t k = 0; k < n && ret == 0; k++) {
			struct sched_sub s = { sched_zone(x->cfg, r[k].tz),
			    r[k].course_at,
			    r[k].last_sent_at, r[k].lessons_sent,
			    r[k].waitlist_at };

			if (sched_due(x->cfg, &s, &m, now) == now)
				ret = add_delivery(x, r[k].id, l, now,
				    r[k].copy);
		}
		store_plan_subs_free(r, n);
	}
	return ret;
}

int
plan_due(struct ctx *x)
{
	int ret;

	if ((ret = plan_txn_begin(x)) < 0)
		return ret;
	/*
	 * Runs sharing the database plan one at a time; one that had to wait
	 * leaves it to the run it waited for, which planned just now.
	 */
	if (!x->o->dry_run && (ret = store_lock(x->db, STORE_LOCK_PLAN)) > 0)
		return plan_txn_commit(x);
	if (ret < 0 || (ret = plan_enrol(x)) < 0 ||
	    (ret = plan_lessons(x, 1)) < 0 || (ret = plan_lessons(x, 0)) < 0 ||
	    (ret = plan_notices(x)) < 0) {
		if (!x->o->dry_run)
			db_rollback(x->db);
		return ret;
	}
	return plan_txn_commit(x);
}

/* Outcomes. */

static int
set_delivery(struct ctx *x, struct job *j, enum store_state state,
    time_t next, time_t sent_at)
{
	return store_delivery_outcome(x->db, j->id, state, next, j->res.code,
	    j->res.reply, sent_at, clock_now(x));
}

/*
 * A lesson is done (sent, or failed for good): move the course on.  One
 * UPDATE that leaves status alone (so its CHECK is not evaluated), and
 * set_next() only when the course is complete.
 */
static int
progress(struct ctx *x, struct job *j, time_t t)
{
	struct sched_sub s = { sched_zone(x->cfg, j->tz), j->course_at, t,
	    j->day, j->waitlist_at };
	struct sched_msg m = { j->day + 1, 0, 0 };
	time_t next = m.day > course_ndays(x->course) ? 0 :
	    sched_due(x->cfg, &s, &m, t);
	int ret;

	ret = store_sub_progress(x->db, j->sub, j->copy, j->day, t, next);
	/* Restarted while it was on its way: the new course is not moved. */
	if (ret <= 0)
		return ret;
	/* Failed for good: the course moves on, but it was not sent. */
	if (j->res.err != 0 && (ret = store_event(x->db, j->sub, t,
	    SUB_EVENT_LESSON_FAILED, j->message, "run", NULL, NULL)) < 0)
		return ret;
	return next == 0 ? set_next(x, j->sub, 0, 1, t) : 0;
}

/* Count and log an outcome, once even when it is recorded twice. */
static void
count_log(struct ctx *x, struct job *j, const char *what)
{
	if (j->counted)
		return;
	j->counted = 1;
	if (strcmp(what, "sent") == 0) {
		x->st->sent++;
		/* A dry run sent nothing: dry_print() said what it would. */
		if (!x->o->dry_run)
			log_info("sent to=<%s> message=%s smtp=%d", j->email,
			    j->message, j->res.code);
	} else if (strcmp(what, "retry") == 0) {
		x->st->retry++;
		log_info("retry to=<%s> message=%s smtp=%d reply=\"%s\"",
		    j->email, j->message, j->res.code, j->res.reply);
	} else {
		x->st->failed++;
		log_warnx("failed to=<%s> message=%s smtp=%d: %s", j->email,
		    j->message, j->res.code, j->res.reply);
	}
}

static long
backoff(const struct config *cfg, int attempts)
{
	int i = attempts - 1;

	if (cfg->nretry == 0)
		return 3600;
	if (i >= cfg->nretry)
		i = cfg->nretry - 1;
	return cfg->retry[i < 0 ? 0 : i];
}

/* A live refusal as a bounce finding, applied by the one policy. */
static int
apply_verdict(struct ctx *x, struct job *j, time_t t)
{
	struct bounce_policy p = { x->cfg->soft_limit, x->cfg->soft_window };
	struct bounce_finding f;
	enum bounce_outcome out;

	memset(&f, 0, sizeof(f));
	f.recipient = j->email;
	snprintf(f.status, sizeof(f.status), "%s", j->res.verdict.status);
	f.kind = j->res.verdict.kind;
	f.diagnostic = j->res.reply;
	f.subscriber = j->sub;
	f.delivery = j->id;
	return bounce_apply(x->db, &p, &f, "smtp", t, &out);
}

/*
 * Why the relay could not be used, on stderr (cron mails it) once per
 * distinct reason, not once per message.
 */
static void
say_why(struct ctx *x, const struct smtp_result *r)
{
	for (int i = 0; i < x->nwhy; i++)
		if (strcmp(x->why[i], r->reply) == 0)
			return;
	if (x->nwhy == WHY_MAX)
		return;
	memcpy(x->why[x->nwhy++], r->reply, sizeof(r->reply));
	log_error("run: %s", r->reply);
}

static int
record(struct ctx *x, struct job *j)
{
	time_t t = j->answered_at ? j->answered_at : clock_now(x), next;
	int ret;

	/* Folded into the delivery below, in the same transaction. */
	if (j->answered && (ret = store_answer_del(x->db, j->id)) < 0)
		return ret;
	if (j->skipped)
		return store_delivery_unclaim(x->db, j->id,
		    j->prev == STORE_RETRY ? STORE_RETRY : STORE_DUE);
	if (j->res.unreachable) {
		x->st->unreachable = 1;
		say_why(x, &j->res);
	}
	if (j->res.err == 0) {
		count_log(x, j, "sent");
		if ((ret = set_delivery(x, j, STORE_SENT, 0, t)) < 0)
			return ret;
		/* No event: the delivery row is the record (see show). */
		return j->day && !j->resend ? progress(x, j, t) : 0;
	}
	/* Back off, with a last try when retry_max_age is reached. */
	next = t + backoff(x->cfg, j->attempts);
	if (next > j->due_at + x->cfg->retry_max_age)
		next = j->due_at + x->cfg->retry_max_age;
	if (j->res.err == ERR_TEMP && t - j->due_at < x->cfg->retry_max_age) {
		count_log(x, j, "retry");
		if ((ret = set_delivery(x, j, STORE_RETRY, next, 0)) < 0)
			return ret;
		return store_event(x->db, j->sub, t, "retry", j->message, "run",
		    j->res.status[0] ? j->res.status : NULL, j->res.reply);
	}
	count_log(x, j, "failed");
	if ((ret = set_delivery(x, j, STORE_FAILED, 0, 0)) < 0)
		return ret;
	if ((ret = store_event(x->db, j->sub, t, "failed", j->message, "run",
	    j->res.status[0] ? j->res.status : NULL, j->res.reply)) < 0)
		return ret;
	/*
	 * Only a hard verdict on a reply to RCPT TO (a dead address) touches
	 * the subscriber, and only through the policy.  A failure that is no
	 * reply (a message that did not render) has a zeroed verdict, whose
	 * kind reads as hard: the step tells them apart.
	 */
	if (j->res.step == SMTP_STEP_RCPT && j->res.verdict.kind == BOUNCE_HARD)
		return apply_verdict(x, j, t);
	return j->day && !j->resend ? progress(x, j, t) : 0;
}



/*
 * Keep j's answer (the answers table) inside the caller's transaction: the
 * commit between two messages of a connection writes this one small row,
 * and the next batch folds it into the delivery (record()).
 */
int
plan_answer(struct ctx *x, struct job *j)
{
	struct store_answer a;

	memset(&a, 0, sizeof(a));
	a.err = j->res.err;
	a.step = (int)j->res.step;
	a.code = j->res.code;
	a.at = clock_now(x);
	snprintf(a.reply, sizeof(a.reply), "%s", j->res.reply);
	j->answered_at = a.at;
	return store_answer_put(x->db, j->id, &a);
}

/*
 * A row an interrupted run left `sending`: when the server's answer made
 * it into the answers table, record that answer instead of sending the
 * message again.  1 when it did (recorded, or *ret the error), else 0.
 */
static int
recover_answer(struct ctx *x, struct job *j, int *ret)
{
	struct store_answer a;
	struct sched_msg m;
	int rc;

	if ((rc = store_answer_get(x->db, j->id, &a)) <= 0) {
		*ret = rc < 0 ? rc : 0;
		return rc < 0;
	}
	memset(&j->res, 0, sizeof(j->res));
	if (a.code > 0)
		smtp_reply(&j->res, (enum smtp_step)a.step, a.code, a.reply);
	else
		snprintf(j->res.reply, sizeof(j->res.reply), "%s", a.reply);
	j->res.err = a.err;
	j->answered = 1;
	j->answered_at = a.at;
	if ((j->lesson = course_find(x->course, j->message)) != NULL) {
		sched_msg_of(x->course, j->lesson, &m);
		j->day = m.day;
	}
	log_info("answered to=<%s> message=%s before an interrupted run "
	    "ended: recorded, not sent again", j->email, j->message);
	*ret = record(x, j);
	return 1;
}

/*
 * Record the outcomes in list inside the caller's transaction, unless ret
 * is already an error.  Returns ret or the first error.
 */
int
plan_record_list(struct ctx *x, struct job *list, int ret)
{
	for (struct job *j = list; j && ret == 0; j = j->next)
		ret = record(x, j);
	return ret;
}

/* Each fetched row: check, decide, mark `sending`. */

static char *
envelope(struct ctx *x, struct job *j)
{
	const char *from = x->cfg->envelope_from, *at = strrchr(from, '@');
	char tok[TOKEN_LEN + 1];

	if (!x->cfg->verp || at == NULL || x->key == NULL)
		return xstrdup(from);
	token_make(x->key, x->keylen, TOKEN_VERP, j->sub, j->id, tok);
	return xasprintf("%.*s+%s%s", (int)(at - from), from, tok, at);
}

/* Render j's message into j->msg; ERR_FAIL (logged by render). */
int
plan_render(struct ctx *x, struct job *j)
{
	struct recipient rc = { j->sub, j->email, j->first_name, j->tz,
	    NULL, j->first_lesson_at, j->copy };

	return render_message(x->course, x->cfg, j->lesson, &rc, x->o->now,
	    0, &j->msg);
}

/*
 * Ask the schedule whether j may go now: 0 when it may (and Day 1 for a
 * notification's text is in j), 1 when it was postponed (its window is
 * not open) or dropped (a notification gone stale), or ERR_*.
 */
static int
schedule_job(struct ctx *x, struct job *j)
{
	struct sched_sub s = { sched_zone(x->cfg, j->tz), j->course_at,
	    j->last_sent_at,
	    j->lessons_sent, j->waitlist_at };
	struct sched_msg m, day1 = { 1, 0, 0 };
	time_t now = x->o->now, due;
	int ret;

	sched_msg_of(x->course, j->lesson, &m);
	j->day = m.day;
	if ((due = sched_due(x->cfg, &s, &m, now)) == now) {
		if (m.day == 0)
			j->first_lesson_at = sched_due(x->cfg, &s, &day1, now);
		return 0;
	}
	if (due == 0) {
		log_info("dropped to=<%s> message=%s: too late", j->email,
		    j->message);
		return (ret = store_delivery_drop(x->db, j->id, "not sent: too"
		    " late, the schedule has moved past it", now)) < 0 ?
		    ret : 1;
	}
	x->st->postponed++;
	return (ret = store_delivery_postpone(x->db, j->id,
	    j->prev == STORE_RETRY ? STORE_RETRY : STORE_DUE, due, now)) < 0 ?
	    ret : 1;
}

/*
 * 1 when a cap holds j back: its row stays as it is (due, oldest first)
 * for the next run with room.  The day's cap stops the run's fetching.
 */
static int
held(struct ctx *x, struct job *j)
{
	enum caps_verdict v = caps_take(&x->caps, j->email);

	if (v == CAPS_OK)
		return 0;
	if (v == CAPS_DAY)
		x->capped = 1;
	x->st->held++;
	log_debug("held to=<%s> message=%s: %s", j->email, j->message,
	    v == CAPS_DAY ? "today's cap is reached" :
	    "the domain's hourly cap is reached");
	return 1;
}

/* 1 when the job goes to a worker, 0 when it was settled here. */
int
plan_prepare(struct ctx *x, struct job *j, int *ret)
{
	time_t now = x->o->now;

	*ret = 0;
	if (j->prev == STORE_SENDING && !x->o->dry_run &&
	    recover_answer(x, j, ret))
		return 0;
	/* A resend may go to someone who completed the course. */
	if (j->status != STORE_ACTIVE && !(j->resend &&
	    j->status == STORE_COMPLETED)) {
		*ret = store_delivery_suppress(x->db, j->id, now);
		x->st->suppressed++;
		log_info("suppressed to=<%s> message=%s status=%s", j->email,
		    j->message, store_status_name(j->status));
		return 0;
	}
	j->lesson = course_find(x->course, j->message);
	/* A resend goes when its row says: the command asked the window. */
	if (j->lesson && !j->resend && (*ret = schedule_job(x, j)) != 0) {
		if (*ret > 0)
			*ret = 0;
		return 0;
	}
	if (j->lesson && held(x, j))
		return 0;
	j->attempts++;
	render_message_id(x->course, x->cfg, j->sub, j->message, j->copy,
	    j->mid, sizeof(j->mid));
	buf_init(&j->msg, MSG_MAX);
	/* The workers render (render_message() is thread-safe); a dry run
	 * renders here to show what would fail. */
	if (j->lesson == NULL || (x->o->dry_run && plan_render(x, j) < 0)) {
		memset(&j->res, 0, sizeof(j->res));
		j->res.err = ERR_PERM;
		snprintf(j->res.reply, sizeof(j->res.reply), j->lesson ?
		    "cannot render message '%s'" :
		    "message '%s' is no longer in the course", j->message);
		*ret = record(x, j);
		return 0;
	}
	j->from = envelope(x, j);
	if (j->prev == STORE_SENDING) {
		x->st->resent++;
		log_info("resending to=<%s> message=%s after an interrupted "
		    "run, same Message-ID %s", j->email, j->message, j->mid);
	}
	/* The run's clock: other runs read the lease from it. */
	*ret = store_delivery_sending(x->db, j->id, j->attempts, j->mid,
	    x->st->run_id, clock_now(x));
	return *ret == 0;
}

/*
 * Fetch up to max pending deliveries: the ones left `sending` by an
 * interrupted run (crashed = 1), or those due now.
 */
struct fetched {
	struct ctx	*x;
	int		 crashed;
	struct job	*head, **tail;
};

static char *
dup_opt(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* One fetched row as a job, and the keyset past it. */
static void
fetch_one(void *arg, const struct store_delivery *d)
{
	struct fetched *f = arg;
	struct job *j = xcalloc(1, sizeof(*j));

	j->id = d->id;
	j->sub = d->sub;
	j->message = xstrdup(d->message);
	j->prev = d->state;
	j->attempts = d->attempts;
	j->due_at = d->due_at;
	j->email = xstrdup(d->email);
	j->first_name = dup_opt(d->first_name);
	j->tz = dup_opt(d->tz);
	j->status = d->status;
	j->course_at = d->course_at;
	j->last_sent_at = d->last_sent_at;
	j->lessons_sent = d->lessons_sent;
	j->waitlist_at = d->waitlist_at;
	j->next_attempt_at = d->next_attempt_at;
	j->copy = d->copy;
	j->resend = d->copy != d->course_copy;
	*f->tail = j;
	f->tail = &j->next;
	if (f->crashed)
		f->x->crashed_after = j->id;
	else {
		f->x->due_after_at = j->next_attempt_at;
		f->x->due_after = j->id;
	}
}

/*
 * Fetch up to max pending deliveries: the ones left `sending` by an
 * interrupted run (crashed = 1), or those due now.
 */
int
plan_fetch(struct ctx *x, int crashed, long max, struct job **out)
{
	struct store_fetch q = { crashed, x->o->now, x->due_after_at,
	    crashed ? x->crashed_after : x->due_after, max,
	    x->shared ? clock_now(x) - x->cfg->lease : 0,
	    x->shared && !x->o->dry_run, 0 };
	struct fetched f = { x, crashed, NULL, NULL };
	int n;

	f.tail = &f.head;
	n = store_delivery_fetch(x->db, &q, fetch_one, &f);
	*out = f.head;
	return n;
}

/*
 * Before the run plans or counts anything: record the answers interrupted
 * runs kept (their rows still `sending`; on a shared database only those
 * past the lease), batch by batch, so that what they sent counts towards
 * the caps and the subscribers' progress.  0 or ERR_*.
 */
int
plan_recover(struct ctx *x)
{
	struct store_fetch q = { 1, x->o->now, 0, 0, RECOVER_BATCH,
	    x->shared ? clock_now(x) - x->cfg->lease : 0, x->shared, 1 };
	int64_t crashed_after = x->crashed_after;
	int n, ret = 0;

	if (x->o->dry_run)
		return 0;
	do {
		struct fetched f = { x, 1, NULL, NULL };

		f.tail = &f.head;
		if ((ret = plan_txn_begin(x)) < 0)
			break;
		n = store_delivery_fetch(x->db, &q, fetch_one, &f);
		if (n < 0)
			ret = n;
		for (struct job *j = f.head; j && ret == 0; j = j->next) {
			(void)recover_answer(x, j, &ret);
			q.after_id = j->id;
		}
		plan_jobs_free(f.head);
		if (ret == 0)
			ret = plan_txn_commit(x);
		else
			db_rollback(x->db);
	} while (ret == 0 && n == RECOVER_BATCH);
	/* The recovery's keyset is not the run's. */
	x->crashed_after = crashed_after;
	return ret;
}

/*
 * Room under a rate cap of cap per span seconds that every run has taken
 * `taken` of (oldest: the oldest of them sent, 0 none): -1 no cap, else
 * what is left, and when none is, how long to wait into *wait.
 */
static long
rate_room(long cap, long taken, time_t oldest, time_t span, time_t now,
    double *wait)
{
	double w;

	if (cap == 0)
		return -1;
	if (taken < cap)
		return cap - taken;
	/* Room comes when the oldest leaves; in flight only: soon. */
	w = oldest ? (double)(oldest + span + 1 - now) : 1.0;
	if (w < 1.0)
		w = 1.0;
	if (w > ROOM_WAIT_MAX)
		w = ROOM_WAIT_MAX;
	if (w > *wait)
		*wait = w;
	return 0;
}

int
plan_claim_room(struct ctx *x, long *max)
{
	const struct config *cfg = x->cfg;
	time_t now = clock_now(x), lease = now - cfg->lease;
	struct store_taken t;
	struct caps_counts n;
	long room;
	int ret;

	x->room_wait = 0;
	if (!x->shared || x->o->dry_run || (!caps_any(cfg) &&
	    !cfg->max_per_minute && !cfg->max_per_hour))
		return 0;
	if ((ret = store_lock(x->db, STORE_LOCK_CLAIM)) < 0 ||
	    (ret = store_count_taken(x->db, caps_midnight(now, tz_host()),
	    now - 60, now - 3600, lease, &t)) < 0)
		return ret;
	if (caps_any(cfg)) {
		if ((ret = caps_read_taken(x->db, cfg, now, lease, t.today,
		    &n)) < 0)
			return ret;
		caps_update(&x->caps, &n);
		if ((room = caps_room(&x->caps)) == 0)
			x->capped = 1;
		if (room >= 0 && room < *max)
			*max = room;
	}
	room = rate_room(cfg->max_per_minute, t.minute, t.minute_oldest, 60,
	    now, &x->room_wait);
	if (room >= 0 && room < *max)
		*max = room;
	room = rate_room(cfg->max_per_hour, t.hour, t.hour_oldest, 3600, now,
	    &x->room_wait);
	if (room >= 0 && room < *max)
		*max = room;
	if (*max > 0)
		x->room_wait = 0;
	return 0;
}
