/*
 * send.c - one send run: enrol, schedule, then send over N worker threads
 * with the main thread as the only database writer (see send.h).  The
 * run ties together plan.c (what is due, row by row) and dispatch.c (the
 * queues, the workers and their commits: the crash guarantee is there);
 * here are the run's row, its caps, its loop, its lock and its summary.
 */
#include <sys/file.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "dripmail.h"
#include "log.h"
#include "plan.h"
#include "send.h"
#include "send_int.h"
#include "store.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

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
	int ret = 0, crashed = 1;

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
		    dispatch_in_flight(x) >= 2 * batch)
			ret = dispatch_wait_below(x, 2 * batch, 1.0);
		if (ret < 0 || atomic_load(&x->stop))
			break;
		if ((ret = dispatch_batch(x, crashed, &max)) < 0)
			break;
		/* Every run's rate caps are full: wait for room. */
		if (max == 0 && x->room_wait > 0) {
			if ((ret = dispatch_drain(x, x->room_wait)) < 0)
				break;
			continue;
		}
		if (max == 0 && crashed) {
			crashed = 0;
			crash_note(x);
			continue;
		}
		if (max == 0)
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

static void
ctx_init(struct ctx *x, const struct config *cfg, struct db *db,
    const struct course *course, const struct send_opts *o,
    struct send_stats *stats)
{
	memset(x, 0, sizeof(*x));
	memset(stats, 0, sizeof(*stats));
	x->cfg = cfg;
	x->db = db;
	x->course = course;
	x->o = o;
	x->st = stats;
	x->t0 = mono();
	x->reserve = -1;
	x->due_after_at = -((time_t)1 << 62);
	x->shared = store_shared(db);
	x->renewed = o->now;
	dispatch_q_init(&x->todo);
	dispatch_q_init(&x->done);
	pthread_mutex_init(&x->db_mu, NULL);
	pthread_mutex_init(&x->rec_mu, NULL);
	pthread_cond_init(&x->rec_cv, NULL);
	pthread_mutex_init(&x->early.mu, NULL);
}

/*
 * Fewer, larger commits; under a rate cap, small batches, so that
 * rows do not wait marked `sending` for the window to open.
 */
static long
batch_size(const struct config *cfg)
{
	long batch;

	if (cfg->max_per_minute || cfg->max_per_hour)
		batch = 2L * cfg->connections;
	else
		batch = (long)BATCH_PER_CONN * cfg->connections;
	if (batch < BATCH_MIN)
		batch = BATCH_MIN;
	return batch;
}

/*
 * With every worker ended: commit what is left, settle after a failed
 * write, say what the caps held back and why the run stopped early, and
 * finish the run's row.  Returns ret or the first error.
 */
static int
run_end(struct ctx *x, int ret)
{
	dispatch_drain(x, 0);
	dispatch_fold(x);
	if (ret == 0)
		ret = x->dbfail;
	dispatch_settle(x);
	if (ret == 0)
		caps_say(x);
	if (x->early.stopped) {
		dispatch_early_say(&x->early);
		x->st->stopped = x->early.first.code / 100;
	}
	x->err = ret < 0;
	dispatch_progress(x, 1);
	if (!x->o->dry_run) {
		int r = run_row(x, 1);

		if (ret == 0)
			ret = r;
	}
	return ret;
}

int
send_run(const struct config *cfg, struct db *db, const struct course *course,
    const struct send_opts *o, struct send_stats *stats)
{
	struct ctx x;
	pthread_t *threads = NULL;
	int nthreads = 0, ret;

	ctx_init(&x, cfg, db, course, o, stats);
	if (cfg->verp && config_secret(cfg, &x.key, &x.keylen) < 0)
		return ERR_FAIL;
	if (o->dry_run && (ret = db_begin(db)) < 0)
		goto out;
	/* A database server keeps its own disk: nothing to set aside. */
	if (!o->dry_run && !x.shared)
		dispatch_reserve_take(&x);
	if ((ret = run_row(&x, 0)) < 0 || (ret = plan_recover(&x)) < 0 ||
	    (ret = plan_due(&x)) < 0 ||
	    (ret = caps_start(&x)) < 0)
		goto out;
	x.early.need = x.total < STOP_AFTER ? x.total : STOP_AFTER;
	dispatch_window_init(&x, &x.minute, cfg->max_per_minute, 60);
	dispatch_window_init(&x, &x.hour, cfg->max_per_hour, 3600);
	if (!o->dry_run && x.total > 0)
		threads = dispatch_start(&x, &nthreads);
	ret = send_all(&x, batch_size(cfg));
	crash_note(&x);
	dispatch_join(&x, threads, nthreads);
	ret = run_end(&x, ret);
out:
	dispatch_reserve_free(&x);
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
