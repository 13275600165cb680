/*
 * send_int.h - private to send.c, plan.c and dispatch.c: a run's jobs, its
 * queues and the context the three share (see send.h for the run).
 */
#ifndef SEND_INT_H
#define SEND_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "caps.h"
#include "config.h"
#include "db.h"
#include "render.h"
#include "send.h"
#include "smtp.h"
#include "store.h"

#define MSG_MAX		(4 << 20)	/* a rendered message, at most */
#define BATCH_MIN	8		/* deliveries marked per transaction */
#define BATCH_PER_CONN	16		/* the same without a rate cap */
#define DISPATCH_MIN	4		/* rows marked before outcomes may cut in */
#define RECOVER_BATCH	512		/* kept answers recorded per transaction */
#define RESERVE		(1L << 20)	/* disk set aside to record a stop */
#define STOP_AFTER	10		/* the same sender-side refusal in a
					   row that stops a run (see early) */
#define WHY_MAX		8		/* distinct reasons said, at most */
#define ROOM_WAIT_MAX	5.0		/* s between looks at full rate caps */

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
	int		 answered;	/* its answer is in the answers table */
	time_t		 answered_at;	/* when the server gave it */
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
	long		 below;		/* see dispatch_wait_below() */
	int		 dbfail;	/* a write failed (its ERR_*): send no more */
	struct job	*unrecorded;	/* outcomes a failed commit left out */
	struct job	*answered;	/* answers committed, not yet folded
					   into their deliveries (db_mu) */
	int		 reserve;	/* fd of the space set aside, or -1 */
	int		 crash_noted;
	long		 total, dispatched;
	int64_t		 crashed_after;	/* keyset for interrupted rows */
	time_t		 due_after_at;	/* keyset for due rows: (next_attempt_at, */
	int64_t		 due_after;	/* id) past the ones a cap held back */
	struct caps	 caps;		/* [send] max_per_day, warmup, domains */
	int		 capped;	/* today's cap is full */
	int		 shared;	/* other runs share the work (see send.h) */
	double		 room_wait;	/* every run's rate caps are full: how
					   long to wait before claiming again */
	time_t		 renewed;	/* the lease was last renewed, run clock */
	double		 t0, last_progress;
	unsigned char	*key;
	size_t		 keylen;
	struct window	 minute, hour;
	struct early	 early;
	char		 why[WHY_MAX][SMTP_REPLY_MAX];	/* said already */
	int		 nwhy;
	int		 err;
};

static inline double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The run's clock: --now plus the real time elapsed since the start. */
static inline time_t
clock_now(struct ctx *x)
{
	return x->o->now + (time_t)(mono() - x->t0);
}

#endif
