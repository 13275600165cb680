/*
 * dispatch.c - the threads of a send run (see dispatch.h).
 *
 * Crash safety: a worker hands over the end of its next message's data
 * only once the outcome of its last one is committed (gate()), so a crash
 * leaves at most one sent-but-unrecorded message per connection.  Whoever
 * needs a commit makes it, for every outcome that is in (group commit): a
 * worker at its gate or about to wait for work, the main thread in its
 * dispatch transactions; the one connection is shared under db_mu.  When
 * a write fails the run stops handing out work (see dispatch_settle()).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "dispatch.h"
#include "dripmail.h"
#include "log.h"
#include "plan.h"
#include "send_int.h"
#include "smtp.h"
#include "store.h"
#include "xmalloc.h"

/* Queues between the main thread and the workers. */

void
dispatch_q_init(struct queue *q)
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

void
dispatch_q_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

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
void
dispatch_early_say(const struct early *e)
{
	const struct smtp_result *r = &e->first;
	int sender = r->step == SMTP_STEP_MAIL || r->step == SMTP_STEP_RCPT;

	log_error("run: stopped: the relay %s the %s: %s",
	    r->err == ERR_TEMP ? "defers" : "refuses",
	    sender ? "sender" : "message", r->reply);
}

void *
dispatch_worker(void *arg)
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
		if (j->msg.len == 0 && plan_render(x, j) < 0) {
			memset(&j->res, 0, sizeof(j->res));
			j->res.err = ERR_PERM;
			snprintf(j->res.reply, sizeof(j->res.reply),
			    "cannot render message '%s'", j->message);
		} else if (c == NULL && (c = smtp_open_with(x->o->transport ?
		    x->o->transport : smtp_backend(x->cfg), x->cfg)) == NULL) {
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

void
dispatch_progress(struct ctx *x, int last)
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

/* Outcomes that a failed write left out: dispatch_settle() tries them once more. */
static void
keep_unrecorded(struct ctx *x, struct job *list)
{
	struct job **tail = &x->unrecorded;

	while (*tail)
		tail = &(*tail)->next;
	*tail = list;
}

/*
 * End the transaction that holds the outcomes in list and folds those in
 * folded, whose answers were committed before (ret: how it went so far).
 * Committed, the jobs are freed and the workers of list go on; failed,
 * the run stops and the jobs wait in x->unrecorded.  0 or the error.
 */
static int
txn_end(struct ctx *x, struct job *list, struct job *folded, int ret)
{
	uint64_t seq = 0;
	long n = 0;

	if (ret == 0)
		ret = plan_txn_commit(x);
	else if (!x->o->dry_run)
		db_rollback(x->db);
	for (struct job *j = list; j; j = j->next) {
		n++;
		if (j->seq > seq)
			seq = j->seq;
	}
	if (ret < 0) {
		keep_unrecorded(x, folded);
		keep_unrecorded(x, list);
		set_recorded(x, 0, n, ret);
		return ret;
	}
	plan_jobs_free(folded);
	plan_jobs_free(list);
	set_recorded(x, seq, n, 0);
	return 0;
}

/*
 * Commit the answers of the outcomes in list, one small row each (the
 * skipped ones need none): their workers may go on.  The jobs wait in
 * x->answered for the next batch to fold them into their deliveries.
 */
static int
answers_commit(struct ctx *x, struct job *list)
{
	struct job *j, **tail;
	uint64_t seq = 0;
	long n = 0;
	int ret = plan_txn_begin(x);

	for (j = list; j && ret == 0; j = j->next)
		if (!j->skipped)
			ret = plan_answer(x, j);
	if (ret == 0)
		ret = plan_txn_commit(x);
	else
		db_rollback(x->db);
	for (j = list; j; j = j->next) {
		n++;
		if (j->seq > seq)
			seq = j->seq;
		j->answered = ret == 0 && !j->skipped;
	}
	if (ret < 0) {
		keep_unrecorded(x, list);
		set_recorded(x, 0, n, ret);
		return ret;
	}
	for (tail = &x->answered; *tail; tail = &(*tail)->next)
		;
	*tail = list;
	set_recorded(x, seq, n, 0);
	return 0;
}

/* Take the answered outcomes, to fold them (with db_mu held). */
static struct job *
take_answered(struct ctx *x)
{
	struct job *list = x->answered;

	x->answered = NULL;
	return list;
}

/*
 * On a shared database, with db_mu held and no transaction open: every
 * quarter of [send] lease, mark the rows this run holds sending as still
 * its own.  A failure is left for the next write to find.
 */
static void
lease_renew(struct ctx *x)
{
	time_t now;

	if (!x->shared || x->o->dry_run)
		return;
	now = clock_now(x);
	if (now - x->renewed < x->cfg->lease / 4)
		return;
	x->renewed = now;
	(void)store_delivery_touch(x->db, x->st->run_id, now);
}

/*
 * With db_mu held: commit the answers of the outcomes that are in, in one
 * transaction (group commit); the next batch folds them.  After a failed
 * write, only collect them.
 */
static int
commit_ready(struct ctx *x)
{
	struct job *list;

	lease_renew(x);
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
	/* A dry run writes nothing: its outcomes go straight to its stats. */
	if (x->o->dry_run)
		return txn_end(x, list, NULL, plan_record_list(x, list,
		    plan_txn_begin(x)));
	return answers_commit(x, list);
}

/*
 * Main thread: wait up to `wait` s until fewer than `below` outcomes are
 * in flight (the workers commit theirs, see gate()); when the time is up
 * first, commit the outcomes still waiting.
 */
int
dispatch_wait_below(struct ctx *x, long below, double wait)
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
int
dispatch_drain(struct ctx *x, double wait)
{
	return dispatch_wait_below(x, 0, wait);
}

/*
 * Set aside RESERVE bytes beside the database, so that when the disk fills
 * up mid-run the messages already sent can still be recorded (dispatch_settle()).
 */
void
dispatch_reserve_take(struct ctx *x)
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

void
dispatch_reserve_free(struct ctx *x)
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

/*
 * With every worker ended: fold the answers still waiting into their
 * deliveries.  0 or the error (then dispatch_settle() tries again).
 */
int
dispatch_fold(struct ctx *x)
{
	struct job *list;
	int ret = 0;

	pthread_mutex_lock(&x->db_mu);
	if ((list = take_answered(x)) != NULL) {
		if (x->dbfail)
			keep_unrecorded(x, list);
		else
			ret = txn_end(x, NULL, list, plan_record_list(x, list,
			    plan_txn_begin(x)));
	}
	pthread_mutex_unlock(&x->db_mu);
	return ret;
}

/* Record list in a transaction of its own; 0 or the error. */
static int
record_txn(struct ctx *x, struct job *list)
{
	int ret;

	if (list == NULL)
		return 0;
	if ((ret = plan_record_list(x, list, plan_txn_begin(x))) == 0)
		return plan_txn_commit(x);
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
void
dispatch_settle(struct ctx *x)
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
			/* An answer kept is recorded by the next run. */
			sent += j->res.err == 0 && !j->answered;
		}
	}
	x->unrecorded = NULL;
	dispatch_reserve_free(x);
	if (record_txn(x, tried) < 0 && sent > 0)
		log_warnx("%ld message%s sent but not recorded: the next run "
		    "sends %s again, with the same Message-ID", sent,
		    sent == 1 ? "" : "s", sent == 1 ? "it" : "them");
	record_txn(x, skipped);
	plan_jobs_free(tried);
	plan_jobs_free(skipped);
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
		if ((ret = dispatch_drain(x, w->t[w->head] + w->span - now)) < 0)
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

void
dispatch_window_init(struct ctx *x, struct window *w, long cap, double span)
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

static void
dry_print(struct job *j)
{
	printf("would send to=<%s> message=%s%s\n", j->email, j->message,
	    j->prev == STORE_SENDING ? " (again, after an interrupted run)" :
	    "");
	j->res.code = 250;
	snprintf(j->res.reply, sizeof(j->res.reply), "dry run");
}

long
dispatch_in_flight(struct ctx *x)
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
 * Fetch up to *max rows into *list (their count into *max): claimed, on
 * a shared database, within the room every run's caps leave.
 */
static int
fetch(struct ctx *x, int crashed, long *max, struct job **list)
{
	int ret, n;

	if ((ret = plan_claim_room(x, max)) < 0)
		return ret;
	n = *max > 0 ? plan_fetch(x, crashed, *max, list) : 0;
	*max = n < 0 ? 0 : n;
	return n < 0 ? n : 0;
}

/*
 * One transaction: with crashed >= 0, first fetch up to *max rows into
 * *list (see fetch()); then mark the rows of *list `sending` and queue
 * them.  The outcomes that are in by the end go into the same
 * transaction, which is cut short (after DISPATCH_MIN rows) when a worker
 * waits at its gate: no worker waits long for its last outcome to be
 * recorded.  On a shared database it marks them all: the claim ends with
 * the transaction.
 */
static int
dispatch_txn(struct ctx *x, struct job **list, int crashed, long *max)
{
	struct job *j, *ready = NULL, **tail = &ready, *done, *folded;
	long k, want = *max;
	int ret;

	pthread_mutex_lock(&x->db_mu);
	if (crashed >= 0)
		*max = 0;
	if (x->dbfail) {
		pthread_mutex_unlock(&x->db_mu);
		return 1;
	}
	if ((ret = plan_txn_begin(x)) < 0) {
		set_recorded(x, 0, 0, ret);
		pthread_mutex_unlock(&x->db_mu);
		return ret;
	}
	if (crashed >= 0) {
		*max = want;
		ret = fetch(x, crashed, max, list);
	}
	for (k = 0; *list && ret == 0 && (k < DISPATCH_MIN || x->shared ||
	    atomic_load(&x->gated) == 0); k++) {
		j = *list;
		*list = j->next;
		j->next = NULL;
		if (plan_prepare(x, j, &ret)) {
			*tail = j;
			tail = &j->next;
		} else
			plan_job_free(j);
	}
	folded = take_answered(x);
	done = q_take(&x->done, 0, 0);
	ret = plan_record_list(x, folded, ret);
	ret = txn_end(x, done, folded, plan_record_list(x, done, ret));
	if (done || folded)
		dispatch_progress(x, 0);
	pthread_mutex_unlock(&x->db_mu);
	if (ret < 0) {
		plan_jobs_free(ready);
		return ret;
	}
	return queue_ready(x, ready);
}

int
dispatch_batch(struct ctx *x, int crashed, long *max)
{
	struct job *list = NULL;
	int ret;

	ret = dispatch_txn(x, &list, crashed, max);
	while (list && ret == 0)
		ret = dispatch_txn(x, &list, -1, max);
	plan_jobs_free(list);
	return ret < 0 ? ret : 0;
}

/* Start the workers: [send] connections, at most one per message. */
pthread_t *
dispatch_start(struct ctx *x, int *nthreads)
{
	pthread_t *threads;

	*nthreads = x->cfg->connections;
	if (*nthreads > x->total)
		*nthreads = (int)x->total;
	threads = xcalloc((size_t)*nthreads, sizeof(*threads));
	for (int i = 0; i < *nthreads; i++)
		if (pthread_create(&threads[i], NULL, dispatch_worker, x) != 0)
			fatalx("cannot start a send thread");
	return threads;
}

/* No more work: each worker commits its last outcome before it ends. */
void
dispatch_join(struct ctx *x, pthread_t *threads, int nthreads)
{
	dispatch_q_close(&x->todo);
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
}
