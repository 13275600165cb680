/*
 * send.c - one send run: enrol, schedule, then send over N worker threads
 * with the main thread as the only database writer (see send.h).
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

#include "buf.h"
#include "config.h"
#include "db.h"
#include "dripmail.h"
#include "log.h"
#include "render.h"
#include "schedule.h"
#include "send.h"
#include "smtp.h"
#include "token.h"
#include "util.h"
#include "xmalloc.h"

#define MSG_MAX		(4 << 20)	/* a rendered message, at most */
#define BATCH_MIN	8		/* deliveries marked per transaction */
#define BATCH_PER_CONN	16		/* the same without a rate cap */
#define DRAIN_GROUP	32		/* outcomes committed together, at most */
#define DRAIN_LINGER	0.005		/* s to wait for more outcomes */

enum prev { PREV_DUE, PREV_RETRY, PREV_SENDING };

struct job {
	int64_t		 id, sub;
	char		*email, *first_name, *tz, *message, *from;
	char		 mid[256];
	const struct lesson *lesson;
	int		 day;		/* lesson day, 0 for a notification */
	enum prev	 prev;
	int		 attempts;	/* including this one */
	time_t		 due_at, course_at, last_sent_at;
	int		 lessons_sent;
	int		 skipped;	/* never tried: the run was stopping */
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
};

struct window {			/* sliding-window rate cap */
	double		*t;
	long		 cap, size, head, n;
	double		 span;
};

struct ctx {
	const struct config *cfg;
	struct db	*db;
	const struct course *course;
	const struct send_opts *o;
	struct send_stats *st;
	struct queue	 todo, done;
	atomic_int	 stop;
	long		 inflight, total, dispatched;
	int64_t		 crashed_after;	/* keyset for interrupted rows */
	double		 t0, last_progress;
	unsigned char	*key;
	size_t		 keylen;
	struct window	 minute, hour;
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

/* Queues between the main thread and the workers. */

static void
q_init(struct queue *q)
{
	memset(q, 0, sizeof(*q));
	q->want = 1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

static void
q_push(struct queue *q, struct job *j)
{
	pthread_mutex_lock(&q->mu);
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	if (++q->len >= q->want)
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
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

static void *
worker(void *arg)
{
	struct ctx *x = arg;
	struct smtp_conn *c = NULL;
	struct job *j;

	while ((j = q_take(&x->todo, 1, -1)) != NULL) {
		if (atomic_load(&x->stop)) {
			j->skipped = 1;
			q_push(&x->done, j);
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
			smtp_send(c, j->from, j->email, j->msg.data,
			    j->msg.len, &j->res);
			/* 421 or a dropped connection: once more, afresh. */
			if (j->res.err == ERR_TEMP && j->res.reconnect)
				smtp_send(c, j->from, j->email, j->msg.data,
				    j->msg.len, &j->res);
		}
		if (j->res.unreachable)
			atomic_store(&x->stop, 1);
		q_push(&x->done, j);
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

static int
done_stmt(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	rc = db_step(db, st, what);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc < 0 ? rc : ERR_FAIL;
}

static void
bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_opt_time(sqlite3_stmt *st, int i, time_t t)
{
	if (t)
		sqlite3_bind_int64(st, i, (sqlite3_int64)t);
	else
		sqlite3_bind_null(st, i);
}

/* Planning: enrolment, schedules, deliveries that became due. */

struct subrow {
	int64_t		 id;
	char		*tz;
	time_t		 course_at, last_sent_at, next_at, waitlist_at;
	int		 lessons_sent;
};

static void
rows_free(struct subrow *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].tz);
	free(r);
}

/* Read (id, tz, course_at, last_sent_at, lessons_sent, next, waitlist). */
static int
rows_read(struct ctx *x, sqlite3_stmt *st, struct subrow **out, size_t *n)
{
	struct subrow *r = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	while ((rc = db_step(x->db, st, "read subscribers")) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			r = xreallocarray(r, cap, sizeof(*r));
		}
		r[*n].id = sqlite3_column_int64(st, 0);
		r[*n].tz = db_column_strdup(st, 1);
		r[*n].course_at = (time_t)sqlite3_column_int64(st, 2);
		r[*n].last_sent_at = (time_t)sqlite3_column_int64(st, 3);
		r[*n].lessons_sent = sqlite3_column_int(st, 4);
		r[*n].next_at = (time_t)sqlite3_column_int64(st, 5);
		r[*n].waitlist_at = (time_t)sqlite3_column_int64(st, 6);
		(*n)++;
	}
	sqlite3_reset(st);
	*out = r;
	if (rc != SQLITE_DONE) {
		rows_free(r, *n);
		*out = NULL;
		return rc < 0 ? rc : ERR_FAIL;
	}
	return 0;
}

/*
 * next_lesson_at (0 = NULL), or completed when next is 0 and done.  Only
 * completion assigns status (and so runs its CHECK).
 */
static int
set_next(struct ctx *x, int64_t id, time_t next, int completed, time_t now)
{
	sqlite3_stmt *st;
	int ret;

	if (completed)
		st = db_stmt(x->db, "UPDATE subscribers SET"
		    " next_lesson_at = NULL, status = 'completed',"
		    " status_at = ?1, updated_at = ?1"
		    " WHERE id = ?2 AND status = 'active'");
	else
		st = db_stmt(x->db, "UPDATE subscribers SET"
		    " next_lesson_at = ?3, updated_at = ?1"
		    " WHERE id = ?2 AND status = 'active'");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, id);
	if (!completed)
		bind_opt_time(st, 3, next);
	ret = done_stmt(x->db, st, "schedule subscriber");
	if (ret == 0 && completed && sqlite3_changes(x->db->sql) > 0)
		ret = db_event(x->db, id, now, "completed", NULL, "run", NULL,
		    NULL);
	return ret;
}

static int
plan_enrol(struct ctx *x)
{
	const struct config *cfg = x->cfg;
	time_t now = x->o->now;
	struct subrow *r;
	size_t n;
	sqlite3_stmt *st;
	int ret;

	if (!cfg->launch_at || !cfg->enroll_waitlist || now < cfg->launch_at)
		return 0;
	st = db_stmt(x->db, "SELECT id, timezone, NULL, NULL, 0, NULL,"
	    " waitlist_at FROM subscribers WHERE waitlist_at IS NOT NULL"
	    " AND course_at IS NULL AND status = 'active'"
	    " AND waitlist_at <= ?");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if ((ret = rows_read(x, st, &r, &n)) < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++) {
		time_t at = r[i].waitlist_at > cfg->launch_at ?
		    r[i].waitlist_at : cfg->launch_at;

		st = db_stmt(x->db, "UPDATE subscribers SET course_at = ?,"
		    " next_lesson_at = ?, updated_at = ? WHERE id = ?");
		if (st == NULL) {
			ret = ERR_FAIL;
			break;
		}
		sqlite3_bind_int64(st, 1, (sqlite3_int64)at);
		sqlite3_bind_int64(st, 2,
		    (sqlite3_int64)sched_launch_day1(cfg, r[i].tz, at));
		sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 4, r[i].id);
		ret = done_stmt(x->db, st, "enrol waitlist");
		if (ret == 0)
			ret = db_event(x->db, r[i].id, now, "enrolled", NULL,
			    "launch", NULL, NULL);
	}
	if (n)
		log_info("enrolled %zu waitlist member%s at launch", n,
		    n == 1 ? "" : "s");
	rows_free(r, n);
	return ret;
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
	struct subrow *r;
	size_t n;
	sqlite3_stmt *st;

	if (unscheduled)
		st = db_stmt(x->db, "SELECT id, timezone, course_at,"
		    " last_sent_at, lessons_sent, NULL, NULL FROM subscribers"
		    " WHERE next_lesson_at IS NULL AND course_at IS NOT NULL"
		    " AND status = 'active'");
	else
		st = db_stmt(x->db, "SELECT id, timezone, course_at,"
		    " last_sent_at, lessons_sent, next_lesson_at, NULL"
		    " FROM subscribers WHERE next_lesson_at <= ?"
		    " AND status = 'active'");
	if (st == NULL)
		return ERR_FAIL;
	if (!unscheduled)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if ((ret = rows_read(x, st, &r, &n)) < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct sched_sub s = { r[i].tz, r[i].course_at,
		    r[i].last_sent_at, r[i].lessons_sent };
		time_t due = sched_lesson_due(cfg, &s, ndays);
		const struct lesson *l;

		if (due == 0) {
			ret = set_next(x, r[i].id, 0, 1, now);
			continue;
		}
		if (due > now || unscheduled) {
			ret = set_next(x, r[i].id, due, 0, now);
			continue;
		}
		if (!sched_in_window(cfg, r[i].tz, now)) {
			ret = set_next(x, r[i].id,
			    sched_window_next(cfg, r[i].tz, now), 0, now);
			continue;
		}
		if ((l = course_day(x->course, r[i].lessons_sent + 1)) == NULL)
			continue;
		st = db_stmt(x->db, "INSERT OR IGNORE INTO deliveries"
		    " (subscriber_id, message, state, due_at, next_attempt_at,"
		    " created_at, updated_at) VALUES (?, ?, 'due', ?, ?, ?, ?)");
		if (st == NULL) {
			ret = ERR_FAIL;
			break;
		}
		sqlite3_bind_int64(st, 1, r[i].id);
		sqlite3_bind_text(st, 2, l->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)due);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
		ret = done_stmt(x->db, st, "add lesson delivery");
	}
	rows_free(r, n);
	return ret;
}

/* Notifications whose time has come: one row per eligible member. */
static int
plan_notices(struct ctx *x)
{
	time_t now = x->o->now;
	int ret = 0;

	for (int i = 0; i < course_nnotices(x->course) && ret == 0; i++) {
		const struct lesson *l = course_notice(x->course, i);
		sqlite3_stmt *st;

		if (l->at == 0 || !sched_notice_open(x->cfg, l->at, now))
			continue;
		st = db_stmt(x->db, "INSERT OR IGNORE INTO deliveries"
		    " (subscriber_id, message, state, due_at, next_attempt_at,"
		    " created_at, updated_at) SELECT id, ?, 'due', ?, ?, ?, ?"
		    " FROM subscribers WHERE waitlist_at IS NOT NULL"
		    " AND waitlist_at <= ? AND status = 'active'");
		if (st == NULL)
			return ERR_FAIL;
		sqlite3_bind_text(st, 1, l->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)l->at);
		for (int k = 3; k <= 6; k++)
			sqlite3_bind_int64(st, k, (sqlite3_int64)now);
		ret = done_stmt(x->db, st, "add notification deliveries");
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
set_delivery(struct ctx *x, struct job *j, const char *state, time_t next,
    time_t sent_at)
{
	sqlite3_stmt *st = db_stmt(x->db, "UPDATE deliveries SET state = ?,"
	    " next_attempt_at = ?, smtp_code = ?, smtp_reply = ?, sent_at = ?,"
	    " updated_at = ? WHERE id = ?");

	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	bind_opt_time(st, 2, next);
	if (j->res.code)
		sqlite3_bind_int(st, 3, j->res.code);
	else
		sqlite3_bind_null(st, 3);
	bind_opt_text(st, 4, j->res.reply[0] ? j->res.reply : NULL);
	bind_opt_time(st, 5, sent_at);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)clock_now(x));
	sqlite3_bind_int64(st, 7, j->id);
	return done_stmt(x->db, st, "record delivery");
}

/*
 * A lesson is done (sent, or failed for good): move the course on.  One
 * UPDATE that leaves status alone (so its CHECK is not evaluated), and
 * set_next() only when the course is complete.
 */
static int
progress(struct ctx *x, struct job *j, time_t t)
{
	struct sched_sub s = { j->tz, j->course_at, t, j->day };
	time_t next = sched_lesson_due(x->cfg, &s, course_ndays(x->course));
	sqlite3_stmt *st;
	int ret;

	st = db_stmt(x->db, "UPDATE subscribers SET lessons_sent ="
	    " MAX(lessons_sent, ?), last_sent_at = ?, updated_at = ?,"
	    " next_lesson_at = CASE WHEN status = 'active' THEN ?"
	    " ELSE next_lesson_at END WHERE id = ?");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int(st, 1, j->day);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)t);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)t);
	bind_opt_time(st, 4, next);
	sqlite3_bind_int64(st, 5, j->sub);
	if ((ret = done_stmt(x->db, st, "record progress")) < 0)
		return ret;
	return next == 0 ? set_next(x, j->sub, 0, 1, t) : 0;
}

static void
count_log(struct ctx *x, struct job *j, const char *what)
{
	/* A dry run sent nothing: dry_print() said what it would send. */
	if (strcmp(what, "sent") == 0 && x->o->dry_run)
		return;
	if (strcmp(what, "sent") == 0)
		log_info("sent to=<%s> message=%s smtp=%d", j->email,
		    j->message, j->res.code);
	else if (strcmp(what, "retry") == 0)
		log_info("retry to=<%s> message=%s smtp=%d reply=\"%s\"",
		    j->email, j->message, j->res.code, j->res.reply);
	else
		log_warnx("failed to=<%s> message=%s smtp=%d: %s", j->email,
		    j->message, j->res.code, j->res.reply);
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

static int
record(struct ctx *x, struct job *j)
{
	time_t t = clock_now(x), next;
	sqlite3_stmt *st;
	int ret;

	if (j->skipped) {
		st = db_stmt(x->db, "UPDATE deliveries SET state = ?,"
		    " attempts = attempts - 1 WHERE id = ?");
		if (st == NULL)
			return ERR_FAIL;
		sqlite3_bind_text(st, 1, j->prev == PREV_RETRY ? "retry" :
		    "due", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, j->id);
		return done_stmt(x->db, st, "put delivery back");
	}
	if (j->res.unreachable)
		x->st->unreachable = 1;
	if (j->res.err == 0) {
		x->st->sent++;
		count_log(x, j, "sent");
		if ((ret = set_delivery(x, j, "sent", 0, t)) < 0)
			return ret;
		/* No event: the delivery row is the record (see show). */
		return j->day ? progress(x, j, t) : 0;
	}
	/* Back off, with a last try when retry_max_age is reached. */
	next = t + backoff(x->cfg, j->attempts);
	if (next > j->due_at + x->cfg->retry_max_age)
		next = j->due_at + x->cfg->retry_max_age;
	if (j->res.err == ERR_TEMP && t - j->due_at < x->cfg->retry_max_age) {
		x->st->retry++;
		count_log(x, j, "retry");
		if ((ret = set_delivery(x, j, "retry", next, 0)) < 0)
			return ret;
		return db_event(x->db, j->sub, t, "retry", j->message, "run",
		    j->res.status[0] ? j->res.status : NULL, j->res.reply);
	}
	x->st->failed++;
	count_log(x, j, "failed");
	if ((ret = set_delivery(x, j, "failed", 0, 0)) < 0)
		return ret;
	if ((ret = db_event(x->db, j->sub, t, "failed", j->message, "run",
	    j->res.status[0] ? j->res.status : NULL, j->res.reply)) < 0)
		return ret;
	if (j->res.rcpt_bad)
		return db_suppress(x->db, j->sub, t, "bounced", "bounce_hard",
		    "smtp", j->res.status[0] ? j->res.status : NULL,
		    j->res.reply) < 0 ? ERR_FAIL : 0;
	return j->day ? progress(x, j, t) : 0;
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
 * is already an error, and free them.  Returns ret or the first error.
 */
static int
record_list(struct ctx *x, struct job *list, int ret, long *n)
{
	struct job *j, *next;

	for (j = list; j; j = next) {
		next = j->next;
		if (ret == 0)
			ret = record(x, j);
		x->inflight--;
		(*n)++;
		job_free(j);
	}
	return ret;
}

/*
 * Commit the results that are in: wait up to `wait` s for the first, then
 * up to DRAIN_LINGER s more for a group (at most DRAIN_GROUP, or all in
 * flight), so that outcomes are committed in small groups rather than one
 * commit each.
 */
static int
drain(struct ctx *x, double wait)
{
	struct job *list;
	long n = 0, group;
	int ret;

	if ((list = q_take(&x->done, 1, wait)) == NULL)
		return 0;
	group = x->inflight < DRAIN_GROUP ? x->inflight : DRAIN_GROUP;
	if (group > 1)
		list->next = q_take(&x->done, group - 1, DRAIN_LINGER);
	ret = record_list(x, list, txn_begin(x), &n);
	if (ret < 0)
		db_rollback(x->db);
	else
		ret = txn_commit(x);
	show_progress(x, 0);
	return ret;
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

static void
window_init(struct ctx *x, struct window *w, long cap, double span)
{
	sqlite3_stmt *st;
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
	st = db_stmt(x->db, "SELECT sent_at FROM deliveries WHERE"
	    " state = 'sent' AND sent_at > ? ORDER BY sent_at");
	if (st == NULL)
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(clock_now(x) -
	    (time_t)span));
	while (sqlite3_step(st) == SQLITE_ROW) {
		double at = mono() - (double)(clock_now(x) -
		    sqlite3_column_int64(st, 0));

		if (w->n == w->size) {
			w->head = (w->head + 1) % w->size;
			w->n--;
		}
		w->t[(w->head + w->n) % w->size] = at;
		w->n++;
	}
	sqlite3_reset(st);
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
	    NULL };

	return render_message(x->course, x->cfg, j->lesson, &rc, x->o->now,
	    0, &j->msg);
}

/* 1 when the job goes to a worker, 0 when it was settled here. */
static int
prepare(struct ctx *x, struct job *j, const char *status, int *ret)
{
	time_t now = x->o->now;
	sqlite3_stmt *st;

	*ret = 0;
	if (strcmp(status, "active") != 0) {
		st = db_stmt(x->db, "UPDATE deliveries SET state ="
		    " 'suppressed', updated_at = ? WHERE id = ?");
		if (st == NULL) {
			*ret = ERR_FAIL;
			return 0;
		}
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 2, j->id);
		*ret = done_stmt(x->db, st, "suppress delivery");
		x->st->suppressed++;
		log_info("suppressed to=<%s> message=%s status=%s", j->email,
		    j->message, status);
		return 0;
	}
	j->lesson = course_find(x->course, j->message);
	if (j->lesson && j->lesson->kind == SEND_DAY) {
		j->day = j->lesson->day;
		if (!sched_in_window(x->cfg, j->tz, now)) {
			st = db_stmt(x->db, "UPDATE deliveries SET state = ?,"
			    " next_attempt_at = ?, updated_at = ? WHERE id = ?");
			if (st == NULL) {
				*ret = ERR_FAIL;
				return 0;
			}
			sqlite3_bind_text(st, 1, j->prev == PREV_RETRY ?
			    "retry" : "due", -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)
			    sched_window_next(x->cfg, j->tz, now));
			sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
			sqlite3_bind_int64(st, 4, j->id);
			*ret = done_stmt(x->db, st, "postpone delivery");
			x->st->postponed++;
			return 0;
		}
	}
	j->attempts++;
	render_message_id(x->course, x->cfg, j->sub, j->message, j->mid,
	    sizeof(j->mid));
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
	if (j->prev == PREV_SENDING) {
		x->st->resent++;
		log_warnx("resending to=<%s> message=%s after an interrupted "
		    "run, same Message-ID %s", j->email, j->message, j->mid);
	}
	st = db_stmt(x->db, "UPDATE deliveries SET state = 'sending',"
	    " attempts = ?, message_id = ?, run_id = ?, updated_at = ?"
	    " WHERE id = ?");
	if (st == NULL) {
		*ret = ERR_FAIL;
		return 0;
	}
	sqlite3_bind_int(st, 1, j->attempts);
	sqlite3_bind_text(st, 2, j->mid, -1, SQLITE_STATIC);
	if (x->st->run_id)
		sqlite3_bind_int64(st, 3, x->st->run_id);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 5, j->id);
	*ret = done_stmt(x->db, st, "mark delivery sending");
	return *ret == 0;
}

/*
 * Fetch up to max pending deliveries: the ones left `sending` by an
 * interrupted run (crashed = 1), or those due now.
 */
static int
fetch(struct ctx *x, int crashed, long max, struct job **out, char ***status)
{
	sqlite3_stmt *st;
	struct job *head = NULL, **tail = &head;
	long n = 0;
	int rc;

	if (crashed)
		/* The few pending rows, not every delivery by id. */
		st = db_stmt(x->db, "SELECT d.id, d.subscriber_id, d.message,"
		    " d.state, d.attempts, d.due_at, s.email, s.first_name,"
		    " s.timezone, s.status, s.course_at, s.last_sent_at,"
		    " s.lessons_sent FROM deliveries d"
		    " INDEXED BY deliveries_pending JOIN subscribers s"
		    " ON s.id = d.subscriber_id"
		    " WHERE " DB_PENDING("d.")
		    " AND d.state = 'sending' AND d.id > ?"
		    " ORDER BY d.id LIMIT ?");
	else
		st = db_stmt(x->db, "SELECT d.id, d.subscriber_id, d.message,"
		    " d.state, d.attempts, d.due_at, s.email, s.first_name,"
		    " s.timezone, s.status, s.course_at, s.last_sent_at,"
		    " s.lessons_sent FROM deliveries d JOIN subscribers s"
		    " ON s.id = d.subscriber_id"
		    " WHERE " DB_PENDING("d.")
		    " AND d.state <> 'sending' AND d.next_attempt_at <= ?"
		    " ORDER BY d.next_attempt_at, d.id LIMIT ?");
	if (st == NULL)
		return ERR_FAIL;
	if (crashed) {
		sqlite3_bind_int64(st, 1, x->crashed_after);
		sqlite3_bind_int64(st, 2, max);
	} else {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)x->o->now);
		sqlite3_bind_int64(st, 2, max);
	}
	*status = xcalloc((size_t)max + 1, sizeof(char *));
	while ((rc = db_step(x->db, st, "read deliveries")) == SQLITE_ROW) {
		struct job *j = xcalloc(1, sizeof(*j));
		const char *state = (const char *)sqlite3_column_text(st, 3);

		j->id = sqlite3_column_int64(st, 0);
		j->sub = sqlite3_column_int64(st, 1);
		j->message = db_column_strdup(st, 2);
		j->prev = strcmp(state, "retry") == 0 ? PREV_RETRY :
		    strcmp(state, "sending") == 0 ? PREV_SENDING : PREV_DUE;
		j->attempts = sqlite3_column_int(st, 4);
		j->due_at = (time_t)sqlite3_column_int64(st, 5);
		j->email = db_column_strdup(st, 6);
		j->first_name = db_column_strdup(st, 7);
		j->tz = db_column_strdup(st, 8);
		(*status)[n] = db_column_strdup(st, 9);
		j->course_at = (time_t)sqlite3_column_int64(st, 10);
		j->last_sent_at = (time_t)sqlite3_column_int64(st, 11);
		j->lessons_sent = sqlite3_column_int(st, 12);
		*tail = j;
		tail = &j->next;
		n++;
		if (crashed)
			x->crashed_after = j->id;
	}
	sqlite3_reset(st);
	*out = head;
	return rc == SQLITE_DONE ? (int)n : rc < 0 ? rc : ERR_FAIL;
}

static void
dry_print(struct job *j)
{
	printf("would send to=<%s> message=%s%s\n", j->email, j->message,
	    j->prev == PREV_SENDING ? " (again, after an interrupted run)" :
	    "");
	j->res.code = 250;
	snprintf(j->res.reply, sizeof(j->res.reply), "dry run");
}

/* Settle one batch: prepare all in one transaction, then queue them. */
static int
dispatch(struct ctx *x, struct job *list, char **status)
{
	struct job *j, *next, *ready = NULL, **tail = &ready;
	int ret = 0, go;
	long i = 0, done = 0;

	if ((ret = txn_begin(x)) < 0)
		goto out;
	/* Outcomes that are in go into the same commit. */
	ret = record_list(x, q_take(&x->done, 0, 0), 0, &done);
	for (j = list; j; j = next, i++) {
		next = j->next;
		j->next = NULL;
		go = ret == 0 ? prepare(x, j, status[i], &ret) : 0;
		if (go) {
			*tail = j;
			tail = &j->next;
		} else
			job_free(j);
	}
	list = NULL;
	if (ret < 0) {
		db_rollback(x->db);
		goto out;
	}
	if ((ret = txn_commit(x)) < 0)
		goto out;
	if (done)
		show_progress(x, 0);
	for (j = ready; j; j = next) {
		next = j->next;
		x->dispatched++;
		if (x->o->dry_run) {
			dry_print(j);
			x->inflight++;
			q_push(&x->done, j);
			continue;
		}
		if ((ret = window_wait(x, &x->minute)) < 0 ||
		    (ret = window_wait(x, &x->hour)) < 0) {
			j->skipped = 1;
			x->inflight++;
			q_push(&x->done, j);
			continue;
		}
		x->inflight++;
		q_push(&x->todo, j);
	}
	ready = NULL;
out:
	for (j = ready; j; j = next) {
		next = j->next;
		job_free(j);
	}
	for (j = list; j; j = next) {
		next = j->next;
		job_free(j);
	}
	return ret;
}

static void
free_status(char **status)
{
	for (char **s = status; s && *s; s++)
		free(*s);
	free(status);
}

static int
send_all(struct ctx *x, long batch)
{
	struct job *list = NULL;
	char **status = NULL;
	int ret = 0, n, crashed = 1;

	while (!atomic_load(&x->stop)) {
		long max = batch;

		if (x->o->limit && x->o->limit - x->dispatched < max)
			max = x->o->limit - x->dispatched;
		if (max <= 0)
			break;
		/* Keep the queue short: at most two batches in flight. */
		while (x->inflight >= 2 * batch && ret == 0)
			ret = drain(x, 1.0);
		if (ret < 0)
			break;
		n = fetch(x, crashed, max, &list, &status);
		if (n < 0) {
			ret = n;
			free_status(status);
			break;
		}
		if (n == 0 && crashed) {
			crashed = 0;
			free_status(status);
			continue;
		}
		ret = n ? dispatch(x, list, status) : 0;
		free_status(status);
		if (n == 0 || ret < 0)
			break;
	}
	return ret;
}

static int
run_row(struct ctx *x, int finish)
{
	sqlite3_stmt *st;
	int ret;

	if (!finish) {
		st = db_stmt(x->db, "INSERT INTO runs (started_at, now_at, pid,"
		    " dry_run) VALUES (?, ?, ?, ?)");
		if (st == NULL)
			return ERR_FAIL;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
		sqlite3_bind_int64(st, 2, (sqlite3_int64)x->o->now);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)getpid());
		sqlite3_bind_int(st, 4, x->o->dry_run);
		ret = done_stmt(x->db, st, "record run");
		x->st->run_id = sqlite3_last_insert_rowid(x->db->sql);
		return ret;
	}
	st = db_stmt(x->db, "UPDATE runs SET finished_at = ?, sent = ?,"
	    " retried = ?, failed = ?, suppressed = ?, outcome = ?"
	    " WHERE id = ?");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 2, x->st->sent);
	sqlite3_bind_int64(st, 3, x->st->retry);
	sqlite3_bind_int64(st, 4, x->st->failed);
	sqlite3_bind_int64(st, 5, x->st->suppressed);
	sqlite3_bind_text(st, 6, x->err ? "error" : x->st->failed ? "failed" :
	    x->st->unreachable ? "unreachable" : "ok", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, x->st->run_id);
	return done_stmt(x->db, st, "record run");
}

static long
count_due(struct ctx *x)
{
	sqlite3_stmt *st = db_stmt(x->db, "SELECT count(*) FROM deliveries"
	    " WHERE " DB_PENDING("")
	    " AND next_attempt_at <= ?");
	long n = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)x->o->now);
	if (db_step(x->db, st, "count due") == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
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
	q_init(&x.todo);
	q_init(&x.done);
	if (cfg->verp && config_secret(cfg, &x.key, &x.keylen) < 0)
		return ERR_FAIL;
	if (o->dry_run && (ret = db_begin(db)) < 0)
		goto out;
	if ((ret = run_row(&x, 0)) < 0 || (ret = plan(&x)) < 0)
		goto out;
	x.total = count_due(&x);
	if (o->limit && x.total > o->limit)
		x.total = o->limit;
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
	q_close(&x.todo);
	while (x.inflight > 0) {
		int r = drain(&x, 1.0);

		if (r < 0 && ret == 0)
			ret = r;
		if (r < 0)
			break;
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	x.err = ret < 0;
	show_progress(&x, 1);
	if (!o->dry_run) {
		int r = run_row(&x, 1);

		if (ret == 0)
			ret = r;
	}
out:
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
