/*
 * send.c - one send run: enrol, schedule, then send over N worker threads
 * with the main thread as the only database writer (see send.h).
 *
 * Crash safety: a worker hands over the end of its next message's data
 * only once the outcome of its last one is committed (gate()), so a crash
 * leaves at most one sent-but-unrecorded message per connection.  Whoever
 * needs a commit makes it, for every outcome that is in (group commit): a
 * worker at its gate or about to wait for work, the main thread in its
 * dispatch transactions; the one connection is shared under db_mu.  When
 * a write fails the run stops handing out work (see settle()).
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "caps.h"
#include "config.h"
#include "db.h"
#include "dripmail.h"
#include "log.h"
#include "render.h"
#include "schedule.h"
#include "send.h"
#include "smtp.h"
#include "store.h"
#include "subscriber.h"
#include "token.h"
#include "util.h"
#include "xmalloc.h"

#define MSG_MAX		(4 << 20)	/* a rendered message, at most */
#define BATCH_MIN	8		/* deliveries marked per transaction */
#define BATCH_PER_CONN	16		/* the same without a rate cap */
#define DISPATCH_MIN	4		/* rows marked before outcomes may cut in */
#define RESERVE		(1L << 20)	/* disk set aside to record a stop */
#define STOP_AFTER	10		/* the same sender-side refusal in a
					   row that stops a run (see early) */
#define WHY_MAX		8		/* distinct reasons said, at most */

struct job {
	int64_t		 id, sub;
	char		*email, *first_name, *tz, *message, *from;
	char		 mid[256];
	const struct lesson *lesson;
	int		 day;		/* lesson day, 0 for a notification */
	int		 copy;		/* deliveries.copy */
	int		 resend;	/* not the course's own: no schedule,
					   no progress (copy <> course_copy) */
	enum store_state prev;	/* as fetched: due, retry or sending */
	enum store_status status;
	int		 attempts;	/* including this one */
	time_t		 due_at, course_at, last_sent_at, waitlist_at;
	time_t		 next_attempt_at;	/* as fetched: the keyset */
	time_t		 first_lesson_at;	/* Day 1, for notifications */
	int		 lessons_sent;
	int		 skipped;	/* never tried: the run was stopping */
	int		 counted;	/* in the stats and the log already */
	uint64_t	 seq;		/* order in the done queue */
	struct buf	 msg;
	struct smtp_result res;
	struct job	*next;
};

struct queue {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct job	*head, *tail;
	long		 len;
	long		 want;		/* wake the waiter at this length */
	int		 closed;
	uint64_t	 seq;		/* jobs pushed so far */
};

/*
 * Early stop: when the relay refuses the sender or the message (a
 * sender-side verdict) need times in a row, need = min(STOP_AFTER,
 * deliveries due), all at MAIL FROM or all at one step with the same code
 * and status, the run stops: nothing more is handed out, what is in
 * flight finishes, the rest stays due.  So the first messages of a run
 * can stop it, and so can a streak later on.  Shared by the workers.
 */
struct early {
	pthread_mutex_t	 mu;
	long		 need, n;
	struct smtp_result first;	/* of the streak */
	int		 stopped;
};

struct window {			/* sliding-window rate cap */
	double		*t;
	long		 cap, size, head, n;
	double		 span;
};

struct window_seed {		/* store_sent_times() into a window */
	struct ctx	*x;
	struct window	*w;
};

struct ctx {
	const struct config *cfg;
	struct db	*db;
	const struct course *course;
	const struct send_opts *o;
	struct send_stats *st;
	struct queue	 todo, done;
	atomic_int	 stop;
	/*
	 * While the workers run, db_mu guards the database connection and
	 * what recording an outcome touches (stats, unrecorded, why); rec_mu
	 * guards recorded, inflight, below and dbfail (set under both).
	 */
	pthread_mutex_t	 db_mu;
	atomic_int	 gated;		/* workers waiting for db_mu at a gate */
	pthread_mutex_t	 rec_mu;
	pthread_cond_t	 rec_cv;	/* inflight fell under below */
	uint64_t	 recorded;	/* outcomes up to this seq are committed */
	long		 inflight;	/* dispatched, not yet recorded */
	long		 below;		/* see wait_below() */
	int		 dbfail;	/* a write failed (its ERR_*): send no more */
	struct job	*unrecorded;	/* outcomes a failed commit left out */
	int		 reserve;	/* fd of the space set aside, or -1 */
	int		 crash_noted;
	long		 total, dispatched;
	int64_t		 crashed_after;	/* keyset for interrupted rows */
	time_t		 due_after_at;	/* keyset for due rows: (next_attempt_at, */
	int64_t		 due_after;	/* id) past the ones a cap held back */
	struct caps	 caps;		/* [send] max_per_day, warmup, domains */
	int		 capped;	/* today's cap is full */
	double		 t0, last_progress;
	unsigned char	*key;
	size_t		 keylen;
	struct window	 minute, hour;
	struct early	 early;
	char		 why[WHY_MAX][SMTP_REPLY_MAX];	/* said already */
	int		 nwhy;
	int		 err;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The run's clock: --now plus the real time elapsed since the start. */
static time_t
clock_now(struct ctx *x)
{
	return x->o->now + (time_t)(mono() - x->t0);
}

static void
job_free(struct job *j)
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

static void
jobs_free(struct job *list)
{
	struct job *j, *next;

	for (j = list; j; j = next) {
		next = j->next;
		job_free(j);
	}
}

/* Queues between the main thread and the workers. */

static void
q_init(struct queue *q)
{
	memset(q, 0, sizeof(*q));
	q->want = 1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

/* Returns j's place in the order of pushes (j may be gone already). */
static uint64_t
q_push(struct queue *q, struct job *j)
{
	uint64_t seq;

	pthread_mutex_lock(&q->mu);
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	seq = j->seq = ++q->seq;
	if (++q->len >= q->want)
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return seq;
}

/* An absolute CLOCK_REALTIME time `wait` seconds from now. */
static struct timespec
deadline(double wait)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)wait;
	ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/*
 * Wait, at most `wait` seconds (0: not at all, < 0: forever), until the
 * queue holds n jobs (one when n is 0) or is closed, and take up to n (all
 * of them when n is 0).  Pushes wake the waiter only once n are in, so a
 * thread collecting a group is not woken for each.  NULL when there is
 * none.
 */
static struct job *
q_take(struct queue *q, long n, double wait)
{
	struct job *head, **tail;
	struct timespec ts;
	long taken;

	if (wait > 0)
		ts = deadline(wait);
	pthread_mutex_lock(&q->mu);
	q->want = n > 0 ? n : 1;
	while (q->len < q->want && !q->closed && wait != 0)
		if (wait < 0)
			pthread_cond_wait(&q->cv, &q->mu);
		else if (pthread_cond_timedwait(&q->cv, &q->mu, &ts) != 0)
			break;
	q->want = 1;
	head = q->head;
	for (tail = &q->head, taken = 0; *tail && (n == 0 || taken < n);
	    tail = &(*tail)->next, taken++)
		q->len--;
	q->head = *tail;
	*tail = NULL;
	if (q->head == NULL)
		q->tail = NULL;
	pthread_mutex_unlock(&q->mu);
	return head;
}

static void
q_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static int render(struct ctx *, struct job *);
static int commit_ready(struct ctx *);

/* 1 when the outcomes up to seq are committed, -1 when a write failed. */
static int
is_recorded(struct ctx *x, uint64_t seq)
{
	int ret;

	pthread_mutex_lock(&x->rec_mu);
	ret = x->recorded >= seq ? 1 : x->dbfail ? -1 : 0;
	pthread_mutex_unlock(&x->rec_mu);
	return ret;
}

/*
 * Make sure the outcomes up to seq are committed: when they are not yet,
 * take the connection (waiting for a commit in progress, which may cover
 * them) and commit every outcome that is in, the other workers' too.  0,
 * or -1 when a write failed: then nothing more may be sent.  With
 * try, only when the connection is free at once (else 0).
 */
static int
commit_upto(struct ctx *x, uint64_t seq, int try)
{
	int ret;

	if ((ret = is_recorded(x, seq)) != 0)
		return ret > 0 ? 0 : -1;
	if (try) {
		if (pthread_mutex_trylock(&x->db_mu) != 0)
			return 0;
	} else {
		atomic_fetch_add(&x->gated, 1);
		pthread_mutex_lock(&x->db_mu);
		atomic_fetch_sub(&x->gated, 1);
	}
	if (is_recorded(x, seq) == 0)
		commit_ready(x);
	pthread_mutex_unlock(&x->db_mu);
	return is_recorded(x, seq) > 0 ? 0 : -1;
}

/*
 * n outcomes up to seq are committed (or, err < 0, left out by a write
 * that failed: then the run stops).  Wakes the main thread when fewer
 * than `below` remain in flight.
 */
static void
set_recorded(struct ctx *x, uint64_t seq, long n, int err)
{
	pthread_mutex_lock(&x->rec_mu);
	if (seq > x->recorded)
		x->recorded = seq;
	x->inflight -= n;
	if (err < 0 && !x->dbfail) {
		x->dbfail = err;
		atomic_store(&x->stop, 1);
	}
	if (x->inflight < x->below || err < 0)
		pthread_cond_signal(&x->rec_cv);
	pthread_mutex_unlock(&x->rec_mu);
}

struct gate {
	struct ctx	*x;
	uint64_t	 seq;		/* the worker's last outcome */
	int		 refused;
};

/*
 * The transport calls this just before the server would take the message
 * (smtp_set_gate()): the worker's last outcome must be committed by then.
 * A crash repeats at most one message per connection: the one answered
 * but not yet recorded, or the one past its end of data.
 */
static int
gate(void *arg)
{
	struct gate *g = arg;

	if (commit_upto(g->x, g->seq, 0) < 0)
		g->refused = 1;
	return g->refused;
}

/*
 * While the server answers DATA: commit the worker's last outcome, with
 * whatever other outcomes are in, unless a commit made meanwhile covered
 * it; then the gate finds it done.  When a commit is in progress, which
 * may cover it, the gate waits for it instead.
 */
static void
gate_early(void *arg)
{
	struct gate *g = arg;

	commit_upto(g->x, g->seq, 1);
}

/* The same refusal, for the early stop: see struct early. */
static int
same_refusal(const struct smtp_result *a, const struct smtp_result *b)
{
	if (a->step != b->step || a->code / 100 != b->code / 100)
		return 0;
	return a->step == SMTP_STEP_MAIL || (a->code == b->code &&
	    strcmp(a->status, b->status) == 0);
}

/*
 * Count one outcome towards the early stop; 1 when the run must stop.
 * Outcomes without a reply to judge (dropped, not rendered, unreachable,
 * 421) neither count nor break a streak.
 */
static int
early_note(struct early *e, const struct smtp_result *r)
{
	int stop;

	if (r->code == 0 || r->code == 421 || r->unreachable)
		return 0;
	pthread_mutex_lock(&e->mu);
	if (r->err == 0 || !r->verdict.sender)
		e->n = 0;
	else if (e->n == 0 || !same_refusal(&e->first, r)) {
		e->first = *r;
		e->n = 1;
	} else
		e->n++;
	if (e->n > 0 && e->n >= e->need)
		e->stopped = 1;
	stop = e->stopped;
	pthread_mutex_unlock(&e->mu);
	return stop;
}

/* The one line that says why the run stopped early. */
static void
early_say(const struct early *e)
{
	const struct smtp_result *r = &e->first;
	int sender = r->step == SMTP_STEP_MAIL || r->step == SMTP_STEP_RCPT;

	log_error("run: stopped: the relay %s the %s: %s",
	    r->err == ERR_TEMP ? "defers" : "refuses",
	    sender ? "sender" : "message", r->reply);
}

static void *
worker(void *arg)
{
	struct ctx *x = arg;
	struct smtp_conn *c = NULL;
	struct gate g = { x, 0, 0 };
	struct job *j;

	for (;;) {
		/* No work at hand: the last outcome is not left waiting. */
		if ((j = q_take(&x->todo, 1, 0)) == NULL) {
			commit_upto(x, g.seq, 0);
			if ((j = q_take(&x->todo, 1, -1)) == NULL)
				break;
		}
		g.refused = 0;
		if (atomic_load(&x->stop)) {
			j->skipped = 1;
			g.seq = q_push(&x->done, j);
			continue;
		}
		if (j->msg.len == 0 && render(x, j) < 0) {
			memset(&j->res, 0, sizeof(j->res));
			j->res.err = ERR_PERM;
			snprintf(j->res.reply, sizeof(j->res.reply),
			    "cannot render message '%s'", j->message);
		} else if (c == NULL && (c = smtp_open(x->cfg)) == NULL) {
			memset(&j->res, 0, sizeof(j->res));
			j->res.err = ERR_TEMP;
			j->res.unreachable = 1;
			snprintf(j->res.reply, sizeof(j->res.reply),
			    "cannot set up the transport");
		} else {
			smtp_set_gate(c, gate, gate_early, &g);
			smtp_send(c, j->from, j->email, j->msg.data,
			    j->msg.len, &j->res);
			/* 421 or a dropped connection: once more, afresh. */
			if (j->res.err == ERR_TEMP && j->res.reconnect &&
			    !g.refused)
				smtp_send(c, j->from, j->email, j->msg.data,
				    j->msg.len, &j->res);
			/* A write failed: not sent, put back. */
			j->skipped = g.refused;
		}
		if (j->res.unreachable || early_note(&x->early, &j->res))
			atomic_store(&x->stop, 1);
		g.seq = q_push(&x->done, j);
	}
	smtp_close(c);
	return NULL;
}

/* Transactions: a dry run keeps one outer transaction and rolls it back. */

static int
txn_begin(struct ctx *x)
{
	return x->o->dry_run ? 0 : db_begin(x->db);
}

static int
txn_commit(struct ctx *x)
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
		struct sched_sub s = { r[i].tz, at, 0, 0, r[i].waitlist_at };
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
		struct sched_sub s = { r[i].tz, r[i].course_at,
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
			struct sched_sub s = { r[k].tz, r[k].course_at,
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

static int
plan(struct ctx *x)
{
	int ret;

	if ((ret = txn_begin(x)) < 0)
		return ret;
	if ((ret = plan_enrol(x)) < 0 || (ret = plan_lessons(x, 1)) < 0 ||
	    (ret = plan_lessons(x, 0)) < 0 || (ret = plan_notices(x)) < 0) {
		if (!x->o->dry_run)
			db_rollback(x->db);
		return ret;
	}
	return txn_commit(x);
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
	struct sched_sub s = { j->tz, j->course_at, t, j->day, j->waitlist_at };
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
	time_t t = clock_now(x), next;
	int ret;

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

static void
show_progress(struct ctx *x, int last)
{
	double now = mono(), rate;
	long done = x->st->sent + x->st->retry + x->st->failed;

	if (!x->o->progress || (!last && now - x->last_progress < 0.2))
		return;
	x->last_progress = now;
	rate = now > x->t0 ? done / (now - x->t0) : 0;
	fprintf(stderr, "\rrun: sent %ld/%ld, %.0f/s, %.0f s left   %s",
	    x->st->sent, x->total, rate,
	    rate > 0 ? (double)(x->total - done) / rate : 0.0,
	    last ? "\n" : "");
}

/*
 * Record the outcomes in list inside the caller's transaction, unless ret
 * is already an error.  Returns ret or the first error.
 */
static int
record_list(struct ctx *x, struct job *list, int ret)
{
	for (struct job *j = list; j && ret == 0; j = j->next)
		ret = record(x, j);
	return ret;
}

/* Outcomes that a failed write left out: settle() tries them once more. */
static void
keep_unrecorded(struct ctx *x, struct job *list)
{
	struct job **tail = &x->unrecorded;

	while (*tail)
		tail = &(*tail)->next;
	*tail = list;
}

/*
 * End the transaction that holds the outcomes in list (ret: how it went so
 * far).  Committed, the jobs are freed and their workers go on; failed, the
 * run stops and the jobs wait in x->unrecorded.  Returns 0 or the error.
 */
static int
txn_end(struct ctx *x, struct job *list, int ret)
{
	struct job *j, *next;
	uint64_t seq = 0;
	long n = 0;

	if (ret == 0)
		ret = txn_commit(x);
	else if (!x->o->dry_run)
		db_rollback(x->db);
	for (j = list; j; j = j->next) {
		n++;
		if (j->seq > seq)
			seq = j->seq;
	}
	if (ret < 0) {
		keep_unrecorded(x, list);
		set_recorded(x, 0, n, ret);
		return ret;
	}
	for (j = list; j; j = next) {
		next = j->next;
		job_free(j);
	}
	set_recorded(x, seq, n, 0);
	return 0;
}

/*
 * With db_mu held: commit the outcomes that are in, in one transaction
 * (group commit).  After a failed write, only collect them.
 */
static int
commit_ready(struct ctx *x)
{
	struct job *list;
	int ret;

	if ((list = q_take(&x->done, 0, 0)) == NULL)
		return 0;
	if (x->dbfail) {
		long n = 0;

		for (struct job *j = list; j; j = j->next)
			n++;
		keep_unrecorded(x, list);
		set_recorded(x, 0, n, 0);
		return 0;
	}
	ret = txn_end(x, list, record_list(x, list, txn_begin(x)));
	show_progress(x, 0);
	return ret;
}

/*
 * Main thread: wait up to `wait` s until fewer than `below` outcomes are
 * in flight (the workers commit theirs, see gate()); when the time is up
 * first, commit the outcomes still waiting.
 */
static int
wait_below(struct ctx *x, long below, double wait)
{
	struct timespec ts = deadline(wait);
	int late, ret = 0;

	pthread_mutex_lock(&x->rec_mu);
	x->below = below;
	while (x->inflight >= below && !x->dbfail && !x->o->dry_run &&
	    pthread_cond_timedwait(&x->rec_cv, &x->rec_mu, &ts) == 0)
		;
	late = x->inflight >= below;
	x->below = 0;
	pthread_mutex_unlock(&x->rec_mu);
	if (late) {
		pthread_mutex_lock(&x->db_mu);
		ret = commit_ready(x);
		pthread_mutex_unlock(&x->db_mu);
	}
	return ret;
}

/* Main thread: wait `wait` s, then commit the outcomes still waiting. */
static int
drain(struct ctx *x, double wait)
{
	return wait_below(x, 0, wait);
}

/*
 * Set aside RESERVE bytes beside the database, so that when the disk fills
 * up mid-run the messages already sent can still be recorded (settle()).
 */
static void
reserve_take(struct ctx *x)
{
	char *path = xasprintf("%s-reserve", x->db->path);

	x->reserve = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (x->reserve >= 0 && posix_fallocate(x->reserve, 0, RESERVE) != 0) {
		close(x->reserve);
		x->reserve = -1;
	}
	if (x->reserve < 0) {
		log_info("cannot set aside %ld bytes in '%s'", RESERVE, path);
		unlink(path);
	}
	free(path);
}

static void
reserve_free(struct ctx *x)
{
	char *path;

	if (x->reserve < 0)
		return;
	path = xasprintf("%s-reserve", x->db->path);
	unlink(path);
	free(path);
	close(x->reserve);
	x->reserve = -1;
}

/* Record list in a transaction of its own; 0 or the error. */
static int
record_txn(struct ctx *x, struct job *list)
{
	int ret;

	if (list == NULL)
		return 0;
	if ((ret = record_list(x, list, txn_begin(x))) == 0)
		return txn_commit(x);
	if (!x->o->dry_run)
		db_rollback(x->db);
	return ret;
}

/*
 * After a failed write, with every worker stopped: one last try at
 * recording what the run sent (alone, a smaller transaction than the one
 * that failed may still fit), then at putting back what it did not send;
 * else say what the next run will send again.
 */
static void
settle(struct ctx *x)
{
	struct job *j, *next, *tried = NULL, *skipped = NULL;
	long sent = 0;

	for (j = x->unrecorded; j; j = next) {
		next = j->next;
		if (j->skipped) {
			j->next = skipped;
			skipped = j;
		} else {
			j->next = tried;
			tried = j;
			sent += j->res.err == 0;
		}
	}
	x->unrecorded = NULL;
	reserve_free(x);
	if (record_txn(x, tried) < 0 && sent > 0)
		log_warnx("%ld message%s sent but not recorded: the next run "
		    "sends %s again, with the same Message-ID", sent,
		    sent == 1 ? "" : "s", sent == 1 ? "it" : "them");
	record_txn(x, skipped);
	jobs_free(tried);
	jobs_free(skipped);
}

/* Rate caps: wait until one more send fits in the window. */
static int
window_wait(struct ctx *x, struct window *w)
{
	int ret;

	if (w->cap == 0)
		return 0;
	for (;;) {
		double now = mono();

		while (w->n > 0 && now - w->t[w->head] >= w->span) {
			w->head = (w->head + 1) % w->size;
			w->n--;
		}
		if (w->n < w->cap && w->n < w->size)
			break;
		if ((ret = drain(x, w->t[w->head] + w->span - now)) < 0)
			return ret;
	}
	w->t[(w->head + w->n) % w->size] = mono();
	w->n++;
	return 0;
}

/* One sent_at of an earlier run into the window, on the run's clock. */
static void
window_seed(void *arg, time_t sent_at)
{
	struct window_seed *ws = arg;
	struct window *w = ws->w;
	double at = mono() - (double)(clock_now(ws->x) - sent_at);

	if (w->n == w->size) {
		w->head = (w->head + 1) % w->size;
		w->n--;
	}
	w->t[(w->head + w->n) % w->size] = at;
	w->n++;
}

static void
window_init(struct ctx *x, struct window *w, long cap, double span)
{
	struct window_seed ws = { x, w };
	long size = cap < x->total + 1 ? cap : x->total + 1;

	memset(w, 0, sizeof(*w));
	w->cap = cap;
	w->span = span;
	if (cap == 0)
		return;
	w->size = size;
	w->t = xcalloc((size_t)size, sizeof(double));
	if (x->o->dry_run)
		return;
	/*
	 * What earlier runs sent counts too, on the run's clock (sent_at is
	 * on it: --now plus the time elapsed).
	 */
	(void)store_sent_times(x->db, clock_now(x) - (time_t)span,
	    window_seed, &ws);
}

/* Dispatch: check, render, mark `sending`, queue. */

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
static int
render(struct ctx *x, struct job *j)
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
	struct sched_sub s = { j->tz, j->course_at, j->last_sent_at,
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
static int
prepare(struct ctx *x, struct job *j, int *ret)
{
	time_t now = x->o->now;

	*ret = 0;
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
	if (j->lesson == NULL || (x->o->dry_run && render(x, j) < 0)) {
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
	*ret = store_delivery_sending(x->db, j->id, j->attempts, j->mid,
	    x->st->run_id, now);
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
static int
fetch(struct ctx *x, int crashed, long max, struct job **out)
{
	struct store_fetch q = { crashed, x->o->now, x->due_after_at,
	    crashed ? x->crashed_after : x->due_after, max };
	struct fetched f = { x, crashed, NULL, NULL };
	int n;

	f.tail = &f.head;
	n = store_delivery_fetch(x->db, &q, fetch_one, &f);
	*out = f.head;
	return n;
}

static void
dry_print(struct job *j)
{
	printf("would send to=<%s> message=%s%s\n", j->email, j->message,
	    j->prev == STORE_SENDING ? " (again, after an interrupted run)" :
	    "");
	j->res.code = 250;
	snprintf(j->res.reply, sizeof(j->res.reply), "dry run");
}

static long
in_flight(struct ctx *x)
{
	long n;

	pthread_mutex_lock(&x->rec_mu);
	n = x->inflight;
	pthread_mutex_unlock(&x->rec_mu);
	return n;
}

static void
add_inflight(struct ctx *x, long n)
{
	pthread_mutex_lock(&x->rec_mu);
	x->inflight += n;
	pthread_mutex_unlock(&x->rec_mu);
}

/* Hand the rows marked `sending` (and committed) to the workers. */
static int
queue_ready(struct ctx *x, struct job *ready)
{
	struct job *j, *next;
	int ret = 0;

	for (j = ready; j; j = next) {
		next = j->next;
		x->dispatched++;
		add_inflight(x, 1);
		if (x->o->dry_run) {
			dry_print(j);
			q_push(&x->done, j);
			continue;
		}
		if (ret < 0 || (ret = window_wait(x, &x->minute)) < 0 ||
		    (ret = window_wait(x, &x->hour)) < 0) {
			j->skipped = 1;
			q_push(&x->done, j);
			continue;
		}
		q_push(&x->todo, j);
	}
	return ret;
}

/*
 * Settle one batch: mark the rows `sending` and queue them.  The outcomes
 * that are in by the end go into the same transaction, which is cut short
 * (after DISPATCH_MIN rows) when a worker waits at its gate: no worker
 * waits long for its last outcome to be recorded.
 */
static int
dispatch(struct ctx *x, struct job *list)
{
	struct job *j, *ready, **tail, *done;
	int ret = 0;
	long k;

	while (list && ret == 0) {
		pthread_mutex_lock(&x->db_mu);
		if (x->dbfail) {
			pthread_mutex_unlock(&x->db_mu);
			break;
		}
		if ((ret = txn_begin(x)) < 0) {
			set_recorded(x, 0, 0, ret);
			pthread_mutex_unlock(&x->db_mu);
			break;
		}
		ready = NULL;
		tail = &ready;
		for (k = 0; list && ret == 0 &&
		    (k < DISPATCH_MIN || atomic_load(&x->gated) == 0); k++) {
			j = list;
			list = j->next;
			j->next = NULL;
			if (prepare(x, j, &ret)) {
				*tail = j;
				tail = &j->next;
			} else
				job_free(j);
		}
		done = q_take(&x->done, 0, 0);
		ret = txn_end(x, done, record_list(x, done, ret));
		if (done)
			show_progress(x, 0);
		pthread_mutex_unlock(&x->db_mu);
		if (ret < 0) {
			jobs_free(ready);
			break;
		}
		ret = queue_ready(x, ready);
	}
	jobs_free(list);
	return ret;
}

/* One line for the messages an interrupted run left in flight. */
static void
crash_note(struct ctx *x)
{
	long n = x->st->resent;

	if (x->crash_noted || x->o->dry_run)
		return;
	x->crash_noted = 1;
	if (n > 0)
		log_warnx("resending %ld message%s interrupted by an earlier "
		    "run, same Message-ID%s", n, n == 1 ? "" : "s",
		    n == 1 ? "" : "s");
}

static int
send_all(struct ctx *x, long batch)
{
	struct job *list = NULL;
	int ret = 0, n, crashed = 1;

	while (!atomic_load(&x->stop)) {
		long max = batch, room;

		if (x->o->limit && x->o->limit - x->dispatched < max)
			max = x->o->limit - x->dispatched;
		if ((room = caps_room(&x->caps)) >= 0 && room < max)
			max = room;
		if (room == 0)
			x->capped = 1;
		if (max <= 0)
			break;
		/* Keep the queue short: at most two batches in flight. */
		while (ret == 0 && !atomic_load(&x->stop) &&
		    in_flight(x) >= 2 * batch)
			ret = wait_below(x, 2 * batch, 1.0);
		if (ret < 0 || atomic_load(&x->stop))
			break;
		pthread_mutex_lock(&x->db_mu);
		n = fetch(x, crashed, max, &list);
		pthread_mutex_unlock(&x->db_mu);
		if (n < 0) {
			ret = n;
			jobs_free(list);
			break;
		}
		if (n == 0 && crashed) {
			crashed = 0;
			crash_note(x);
			continue;
		}
		ret = n ? dispatch(x, list) : 0;
		if (n == 0 || ret < 0)
			break;
	}
	return ret;
}

static int
run_row(struct ctx *x, int finish)
{
	struct store_run r;

	if (!finish)
		return store_run_start(x->db, time(NULL), x->o->now,
		    (long)getpid(), x->o->dry_run, &x->st->run_id);
	memset(&r, 0, sizeof(r));
	r.finished = time(NULL);
	r.sent = x->st->sent;
	r.retry = x->st->retry;
	r.failed = x->st->failed;
	r.suppressed = x->st->suppressed;
	r.outcome = x->err ? "error" : x->st->failed ? "failed" :
	    x->st->unreachable ? "unreachable" : "ok";
	return store_run_finish(x->db, x->st->run_id, &r);
}

/*
 * The caps as of the run's start (what earlier runs sent counts too), and
 * the run's total.
 */
static int
caps_start(struct ctx *x)
{
	struct caps_counts n;
	int ret;

	memset(&n, 0, sizeof(n));
	/* Without caps, no scan of the deliveries. */
	if (caps_any(x->cfg) &&
	    (ret = caps_read(x->db, x->cfg, x->o->now, &n)) < 0)
		return ret;
	caps_init(&x->caps, x->cfg, &n, x->o->now, tz_host());
	/* At most this many go: what is due, within --limit and the cap. */
	x->total = store_count_due(x->db, x->o->now);
	if (x->o->limit && x->total > x->o->limit)
		x->total = x->o->limit;
	if (caps_room(&x->caps) >= 0 && x->total > caps_room(&x->caps))
		x->total = caps_room(&x->caps);
	return 0;
}

/*
 * One line (-v) for what the caps held back; with today's cap full,
 * everything still due waits for the next local day.
 */
static void
caps_say(struct ctx *x)
{
	const struct caps *c = &x->caps;

	if (x->capped)
		x->st->held = store_count_due(x->db, x->o->now);
	if (x->st->held == 0)
		return;
	if (x->capped && c->warmup)
		log_info("today's cap of %ld is reached (warm-up day %d of %d):"
		    " %ld due wait for the next day", c->limit, c->day,
		    x->cfg->nwarmup, x->st->held);
	else if (x->capped)
		log_info("today's cap of %ld is reached ([send] max_per_day):"
		    " %ld due wait for the next day", c->limit, x->st->held);
	else
		log_info("%ld held back by [send] domain_max_per_hour: they "
		    "go in a later run", x->st->held);
}

int
send_run(const struct config *cfg, struct db *db, const struct course *course,
    const struct send_opts *o, struct send_stats *stats)
{
	struct ctx x;
	pthread_t *threads = NULL;
	int nthreads = 0, ret;
	long batch;

	memset(&x, 0, sizeof(x));
	memset(stats, 0, sizeof(*stats));
	x.cfg = cfg;
	x.db = db;
	x.course = course;
	x.o = o;
	x.st = stats;
	x.t0 = mono();
	x.reserve = -1;
	x.due_after_at = -((time_t)1 << 62);
	q_init(&x.todo);
	q_init(&x.done);
	pthread_mutex_init(&x.db_mu, NULL);
	pthread_mutex_init(&x.rec_mu, NULL);
	pthread_cond_init(&x.rec_cv, NULL);
	pthread_mutex_init(&x.early.mu, NULL);
	if (cfg->verp && config_secret(cfg, &x.key, &x.keylen) < 0)
		return ERR_FAIL;
	if (o->dry_run && (ret = db_begin(db)) < 0)
		goto out;
	if (!o->dry_run)
		reserve_take(&x);
	if ((ret = run_row(&x, 0)) < 0 || (ret = plan(&x)) < 0 ||
	    (ret = caps_start(&x)) < 0)
		goto out;
	x.early.need = x.total < STOP_AFTER ? x.total : STOP_AFTER;
	window_init(&x, &x.minute, cfg->max_per_minute, 60);
	window_init(&x, &x.hour, cfg->max_per_hour, 3600);
	if (!o->dry_run && x.total > 0) {
		nthreads = cfg->connections;
		if (nthreads > x.total)
			nthreads = (int)x.total;
		threads = xcalloc((size_t)nthreads, sizeof(*threads));
		for (int i = 0; i < nthreads; i++)
			if (pthread_create(&threads[i], NULL, worker, &x) != 0)
				fatalx("cannot start a send thread");
	}
	/*
	 * Fewer, larger commits; under a rate cap, small batches, so that
	 * rows do not wait marked `sending` for the window to open.
	 */
	if (cfg->max_per_minute || cfg->max_per_hour)
		batch = 2L * cfg->connections;
	else
		batch = (long)BATCH_PER_CONN * cfg->connections;
	if (batch < BATCH_MIN)
		batch = BATCH_MIN;
	ret = send_all(&x, batch);
	crash_note(&x);
	q_close(&x.todo);
	/* Each worker commits its last outcome before it ends. */
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	drain(&x, 0);
	if (ret == 0)
		ret = x.dbfail;
	settle(&x);
	if (ret == 0)
		caps_say(&x);
	if (x.early.stopped) {
		early_say(&x.early);
		stats->stopped = x.early.first.code / 100;
	}
	x.err = ret < 0;
	show_progress(&x, 1);
	if (!o->dry_run) {
		int r = run_row(&x, 1);

		if (ret == 0)
			ret = r;
	}
out:
	reserve_free(&x);
	if (o->dry_run)
		db_rollback(db);
	stats->seconds = mono() - x.t0;
	free(threads);
	free(x.minute.t);
	free(x.hour.t);
	free(x.key);
	return ret;
}

int
send_summary_wanted(const struct send_stats *st, int err, int quiet)
{
	if (!quiet || err < 0)
		return 1;
	return st->sent > 0 || st->retry > 0 || st->failed > 0 ||
	    st->unreachable || st->resent > 0;
}

int
send_lock(const char *db_path, long *pid)
{
	char *path = xasprintf("%s.lock", db_path), buf[32];
	ssize_t n;
	int fd, len;

	*pid = 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("cannot open lock file '%s'", path);
		free(path);
		return ERR_FAIL;
	}
	free(path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		*pid = strtol(buf, NULL, 10);
		close(fd);
		return ERR_TEMP;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		log_warn("cannot write pid to the lock file");
	return fd;
}
