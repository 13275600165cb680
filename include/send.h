/*
 * send.h - the send run behind `dripmail run`: plan what is due, render,
 * send over [send] connections worker threads, record every outcome.
 *
 * The main thread enrols, schedules, marks each delivery `sending`
 * (committed before the SMTP transaction) and queues it; each worker owns
 * one transport connection (smtp.h), renders, sends and hands the outcome
 * back through a queue.  Each outcome is committed together with the
 * subscriber's progress and every other outcome that is in (group commit),
 * by whoever needs it first: the worker itself while the server answers
 * its next DATA (smtp_set_gate()), another worker's commit, or the main
 * thread's next transaction.  The end of a worker's next message goes out
 * only once its last outcome is committed, so a run killed at any moment
 * repeats at most one message per connection.  The first failed write
 * stops the run: nothing more is sent, what was in flight is recorded,
 * send_run() fails.
 *
 * The sending caps (caps.h) are applied at one place, as each due
 * delivery is prepared, after the schedule has said it may go now: one
 * that does not fit is left due as it is (stats held), the run moves past
 * it to the next oldest, and stops fetching once today's cap is full.
 *
 * Several runs at once, on one host or many (a shared database,
 * store_shared(): PostgreSQL) take no run lock; they share the due work
 * and every guarantee above holds across them:
 *   - planning takes STORE_LOCK_PLAN for its transaction, so runs plan
 *     one after another, and a delivery is unique per (subscriber,
 *     message, copy), so none is made twice;
 *   - each batch is fetched inside the transaction that marks it
 *     `sending`, its rows locked and those another run holds skipped
 *     (FOR UPDATE SKIP LOCKED): two runs never mark the same row;
 *   - a `sending` row is its run's for [send] lease after the run last
 *     said so: a run renews its rows every quarter lease as it commits.
 *     Past that the run is taken for dead, and another run's first pass
 *     takes the row as it takes a crashed run's (same Message-ID, at
 *     most one repeat per connection of the dead run).  On SQLite every
 *     `sending` row at the start is a crashed one, as the lock says;
 *   - with a cap set, each claim takes STORE_LOCK_CLAIM and counts what
 *     every run has sent (by sent_at) and is sending (unexpired rows)
 *     today, in the last minute and hour and per capped domain, and
 *     claims only within the room left; when the rate caps leave none,
 *     the run waits and looks again.
 */
#ifndef SEND_H
#define SEND_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "render.h"

struct db;
struct smtp_backend;

struct send_opts {
	time_t		 now;		/* every decision as of this instant */
	int		 dry_run;	/* print, change nothing */
	long		 limit;		/* at most this many deliveries, 0 all */
	int		 progress;	/* live progress line on stderr */
	/* The transport; NULL: the one [smtp] url names (smtp_backend()). */
	const struct smtp_backend *transport;
};

struct send_stats {
	int64_t		 run_id;
	long		 sent, retry, failed, suppressed, resent, postponed;
	long		 held;		/* due, but a cap holds them back */
	int		 unreachable;	/* the server could not be reached */
	int		 stopped;	/* stopped early: the class (4, 5) of
					   the relay's refusal, else 0 */
	double		 seconds;
};

/*
 * Take the run lock: an exclusive flock(2) on PATH.lock next to the
 * database, holding our pid.  Returns the open descriptor (keep it until
 * exit), ERR_TEMP when another run holds it (*pid is its pid, or 0), or
 * ERR_FAIL (logged) when the file cannot be opened.
 */
int	 send_lock(const char *db_path, long *pid);

/*
 * Do one run.  Returns 0 (see stats for what happened) or ERR_* when the
 * database failed (logged).
 */
int	 send_run(const struct config *, struct db *, const struct course *,
	    const struct send_opts *, struct send_stats *);

/*
 * Whether a run prints its summary line: always, unless quiet (-q, the
 * cron line), when it is printed only if something was sent or something
 * went wrong (err < 0 from send_run(), a retry, a failure, an unreachable
 * server, a re-send after a crash), so that an idle cron job mails nobody.
 */
int	 send_summary_wanted(const struct send_stats *, int err, int quiet);

#endif
