/*
 * store.h - the operations the program needs on its data, in the
 * program's own terms: plain structs in and out, no SQL and no SQLite
 * type (store_sqlite.c holds the statements).  The handle is the open
 * database of db.h (db_open()); the functions are used from one thread
 * at a time, as the handle is.
 *
 * Errors: 0 (or a count) on success, ERR_TEMP (busy, locked) or ERR_FAIL,
 * logged once with the operation's name.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct db;
struct sched_sub;

/* Counts */

/*
 * The read side behind `status`, `report`, the automatic pause and the
 * sending caps.  A count that cannot be read is logged and left 0; the
 * others are still counted.
 */

/* Subscribers by status and list. */
struct store_sub_counts {
	long		 active, completed, unsubscribed;
	long		 bounced, complained;
	long		 course;	/* on the course list */
	long		 waitlist;	/* on the waitlist only */
	long		 paused;	/* active, held by a pause */
};

/* Fills n; 0, or the last ERR_* of a count that failed. */
int	 store_count_subscribers(struct db *, struct store_sub_counts *n);

/* The course's deliveries of one message, by state. */
struct store_msg_counts {
	long		 sent, retry, failed, suppressed;
};

int	 store_count_message(struct db *, const char *message,
	    struct store_msg_counts *n);

/*
 * The candidates a run at now would put to sched_due() for a message:
 * each pending delivery of the course's copy that is ready (sending, or
 * due/retry with its attempt time come), and each mailable subscriber
 * the run would plan one for.  day is the lesson's day (0: a
 * notification); enrol_waitlist: the run enrols the waitlist first (a
 * first lesson is a candidate for its members from their waitlist_at);
 * notice_open: sched_notice_open() of the notification.
 */
struct store_due_query {
	const char	*message;
	time_t		 now;
	int		 day;
	int		 enrol_waitlist;
	int		 notice_open;
};

/*
 * Call each(s, arg) per candidate (s and its tz borrowed for the call).
 * 0, or ERR_* (logged).
 */
int	 store_due_candidates(struct db *, const struct store_due_query *,
	    void (*each)(const struct sched_sub *, void *), void *arg);

/*
 * Resends of message ready at now (sending, or due/retry with the attempt
 * time come) to active and completed subscribers; 0 when unreadable.
 */
long	 store_count_resends_due(struct db *, const char *message,
	    time_t now);

/*
 * Mailable subscribers on the course who are not yet due lesson `day` at
 * now: fewer lessons done than day - 1, or day - 1 with the next one
 * later (or unset).
 */
long	 store_count_lesson_later(struct db *, int day, time_t now);

/* Mailable subscribers on the waitlist with no delivery of message. */
long	 store_count_notice_members(struct db *, const char *message);

/* On the course list with at least ndays lessons done. */
long	 store_count_course_done(struct db *, int ndays);

/* One row of the runs table. */
struct store_run {
	int64_t		 id;
	time_t		 started;
	time_t		 finished;	/* 0 while unfinished */
	int		 unfinished;	/* finished_at is unset */
	long		 sent, retry, failed, suppressed;
	char		*outcome;	/* NULL unset (allocated) */
	int		 dry_run;
	long		 pid;
};

/*
 * The last (at most max) runs, newest first, into runs.  The number of
 * rows filled (those read before a failure, which is logged); free their
 * outcomes with store_runs_release().
 */
size_t	 store_runs_latest(struct db *, struct store_run *runs,
	    size_t max);
void	 store_runs_release(struct store_run *runs, size_t n);

/*
 * What run id recorded in its deliveries (sent, retry, failed), for a run
 * that did not finish.  0, or ERR_* (logged; n unchanged).
 */
int	 store_count_run(struct db *, int64_t id, struct store_run *n);

/*
 * Stopped subscribers (bounced, complained, unsubscribed) grouped by
 * status and the last message sent to them or failed for them.
 */
struct store_stopped {
	char		 status[16];
	char		*message;	/* NULL: none (allocated) */
	long		 n;
};

/*
 * The groups into *rows (allocated, store_stopped_free() them) and their
 * number into *n; 0, or ERR_* (logged) with what was read so far.
 */
int	 store_count_stopped(struct db *, struct store_stopped **rows,
	    size_t *n);
void	 store_stopped_free(struct store_stopped *, size_t n);

/* The time series of `report`. */
enum store_series {
	STORE_SERIES_SENT,		/* deliveries sent, at sent_at */
	STORE_SERIES_BOUNCED,		/* subscribers now bounced, at */
	STORE_SERIES_COMPLAINED,	/* ... status_at (else updated_at) */
	STORE_SERIES_UNSUBSCRIBED,
	STORE_SERIES_WAITLIST,		/* who joined the waitlist */
	STORE_SERIES_ENROLLED,		/* who joined the course, when */
};

/*
 * Counts per slice of STORE_SLICE seconds (every zone's midnight falls on
 * a slice's start), ascending, only slices with something in them.
 */
#define STORE_SLICE	900
struct store_slice {
	time_t		 at;		/* the slice's start */
	long		 n;
};

/*
 * Into *slices (allocated, free() it) and *n; 0, or ERR_* (logged) with
 * what was read so far.
 */
int	 store_series(struct db *, enum store_series,
	    struct store_slice **slices, size_t *n);

/*
 * The automatic pause's window [since, now]: deliveries sent, messages a
 * relay refused at RCPT TO as a dead address (events bounce_hard from
 * source smtp), hard bounces from any source, complaints.
 */
struct store_guard_window {
	long		 sent, refused, bounces, complaints;
};

/* 0, or ERR_TEMP when any count was busy, else ERR_FAIL (logged). */
int	 store_guard_window(struct db *, time_t since, time_t now,
	    struct store_guard_window *);

/*
 * The latest pause of all runs (runs_paused) at or before now: its time
 * into *at and its reason into text (truncated to size).  The latest
 * resume (runs_resumed) likewise, with who lifted it.  1 found, 0 none,
 * or ERR_*.
 */
int	 store_runs_last_pause(struct db *, time_t now, time_t *at,
	    char *reason, size_t size);
int	 store_runs_last_resume(struct db *, time_t now, time_t *at,
	    char *who, size_t size);

/*
 * The last time a quiet run reported the pause (pause_reported; 1 found, 0
 * none, or ERR_*), and record that one did at now.
 */
int	 store_runs_last_report(struct db *, time_t now, time_t *at);
int	 store_runs_reported(struct db *, time_t now);

/* Record a pause of all runs at now (source "run"), or a resume by who. */
int	 store_runs_pause(struct db *, time_t now, const char *reason);
int	 store_runs_resume(struct db *, time_t now, const char *who,
	    const char *detail);

/*
 * Deliveries sent: the time of the first ever (0: none) and how many at
 * or after midnight.  0, or ERR_* (logged).
 */
int	 store_count_sent_since(struct db *, time_t midnight,
	    time_t *first_sent, long *n);

/*
 * Call each(address, arg) for the recipient of every delivery sent after
 * since (address borrowed for the call).  0, or ERR_* (logged).
 */
int	 store_sent_recipients(struct db *, time_t since,
	    void (*each)(const char *address, void *), void *arg);

#endif
