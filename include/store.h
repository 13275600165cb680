/*
 * store.h - the operations dripmail needs on its data, in its own terms:
 * plain structs and enums in, plain structs and enums out.  Only
 * store_*.c know the storage (store_sql.c: SQL on the db.h
 * connection); no SQL, no database type and no statement handle here.
 *
 * Every operation returns 0 (or the count or flag it says), or ERR_TEMP
 * (busy: retry later) or ERR_FAIL, logged once by the store.  Strings a
 * callback receives are borrowed until it returns; strings in a struct
 * the store fills are allocated, freed by its _release.  A time of 0
 * means none (NULL in the store).  Operations that change several rows
 * run inside the caller's transaction (db_begin()) when there is one.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct db;
struct sched_sub;
struct sub_in;			/* defined below */
struct sub_upsert;

/* Subscribers, events, suppressions, signups */

/* A subscriber's status; store_status_name() gives the stored word. */
enum store_status {
	STORE_ACTIVE,
	STORE_COMPLETED,
	STORE_UNSUBSCRIBED,	/* the three stopped ones: no more mail */
	STORE_BOUNCED,
	STORE_COMPLAINED,
};
#define STORE_STATUS_N	(STORE_COMPLAINED + 1)

/* "active", ...; store_status_parse(): the enum, or -1 for none. */
const char *store_status_name(enum store_status);
int	 store_status_parse(const char *word);

/* A subscriber as list, show and export see it. */
struct store_sub {
	int64_t		 id;
	char		*email;		/* allocated */
	char		*first_name;	/* allocated, NULL none */
	char		*timezone;	/* allocated, NULL: the default */
	enum store_status status;
	time_t		 status_at;
	char		*status_reason;	/* allocated, NULL none */
	time_t		 paused_at;	/* held by pause since, 0 not (only
					   an active one's lessons wait) */
	time_t		 signed_up_at;
	time_t		 waitlist_at;	/* on the waitlist since, 0 not */
	time_t		 course_at;	/* on the course since, 0 not */
	int		 lessons_sent;	/* delivered since the course began */
	int		 progress;	/* lessons done, failed ones too: where
					   the schedule goes on */
	int		 course_copy;	/* the copy the course's deliveries get */
	time_t		 last_sent_at;
	time_t		 next_lesson_at;
};
void	 store_sub_release(struct store_sub *);

/* Which subscribers store_sub_each() gives; zeroed: everyone. */
struct store_sub_filter {
	int		 status;	/* enum store_status, or -1 any */
	int		 paused;	/* only active ones held by pause */
	int		 stopped;	/* only unsubscribed, bounced, complained */
	int		 list;		/* enum sub_list, or -1 any */
};
#define STORE_SUB_ANY	{ -1, 0, 0, -1 }

/*
 * Call fn for each subscriber f selects, in id order (the struct is
 * borrowed until fn returns); a negative return of fn stops and is
 * returned.  0 or ERR_*.
 */
int	 store_sub_each(struct db *, const struct store_sub_filter *f,
	    int (*fn)(void *arg, const struct store_sub *), void *arg);

/* The subscriber with this address (case-insensitive): 1, 0 none, ERR_*. */
int	 store_sub_get(struct db *, const char *email, struct store_sub *);

/* The id of the subscriber with this address (case-insensitive): >0, 0, ERR_*. */
int64_t	 store_sub_id(struct db *, const char *email);
/* 1 when a subscriber has this id, 0 when none, or ERR_*. */
int	 store_sub_exists(struct db *, int64_t id);

/*
 * What adding and enrolling need of a stored subscriber, without the
 * history: id, timezone, status, waitlist_at and course_at of s (the
 * rest zero), by address when email is not NULL, else by id.  1, 0 when
 * none, or ERR_*.
 */
int	 store_sub_peek(struct db *, const char *email, int64_t id,
	    struct store_sub *s);

/*
 * Store s as a new subscriber (subscriber.h: on u->list since u->now, its
 * Day 1 at first_lesson_at on the course), unless its address is known:
 * 1 and *id, 0 when known, or ERR_*.  No event.
 */
int	 store_sub_insert(struct db *, const struct sub_in *s,
	    const struct sub_upsert *u, time_t first_lesson_at, int64_t *id);

/*
 * Bulk adds (import): n subscribers in one statement, as
 * store_sub_insert() each; rows with a known address are left out.
 * store_batch_add() returns how many were added (the last one's id in
 * *last_id when any), or ERR_*.  s is borrowed until it returns.
 */
struct store_batch;
struct store_batch *store_batch_new(struct db *, int n);	/* NULL: logged */
void	 store_batch_free(struct store_batch *);
int	 store_batch_add(struct store_batch *, const struct sub_in *s,
	    const time_t *first_lesson_at, const struct sub_upsert *u,
	    int64_t *last_id);

/*
 * Fill in what subscriber id lacks: first_name when empty, timezone when
 * unset (NULL or "" arguments: nothing), and with join_waitlist the
 * waitlist since now.  1 when it changed, 0 when not, or ERR_*.
 */
int	 store_sub_merge(struct db *, int64_t id, const char *first_name,
	    const char *timezone, int join_waitlist, time_t now);

/*
 * An active subscriber not on the course yet joins it at now, Day 1 due
 * at first_lesson_at.  1 when it did, 0 when not, or ERR_*.
 */
int	 store_sub_enrol(struct db *, int64_t id, time_t first_lesson_at,
	    time_t now);

/* Subscriber id completed the course elsewhere ("import"): nothing due. */
int	 store_sub_complete(struct db *, int64_t id, time_t now);

/* Delete the subscriber with this address: 1, 0 when none, or ERR_*. */
int	 store_sub_delete(struct db *, const char *email);

/* The largest subscriber id so far (0 none), or ERR_*. */
int64_t	 store_sub_max_id(struct db *);

/*
 * Steering one subscriber (steer.h); each changes the subscriber's row
 * or deliveries only, logs no event, and returns 0 or ERR_*.
 * store_sub_pause(): paused since now, no lesson planned, its pending
 * deliveries held (no next attempt).  store_sub_release_held(): the held
 * ones are due at due (their age counts from now).  store_sub_resume():
 * not paused, next lesson at next (0: the run plans it).
 */
int	 store_sub_pause(struct db *, int64_t id, time_t now);
int	 store_sub_release_held(struct db *, int64_t id, time_t due,
	    time_t now);
int	 store_sub_resume(struct db *, int64_t id, time_t next, time_t now);

/*
 * The next copy number for a subscriber's deliveries: above every copy
 * it has and above course_copy.  >0 or ERR_*.
 */
int	 store_next_copy(struct db *, int64_t id, int course_copy);

/*
 * Queue message for subscriber as a new delivery of copy, created now,
 * its next attempt at at (0: held while paused).  0 or ERR_*.
 */
int	 store_delivery_add(struct db *, int64_t subscriber,
	    const char *message, int copy, time_t at, time_t now);

/*
 * Restart: the pending deliveries of copy fail with reason; then the
 * subscriber is active (status_at and reason "restarted" when it was
 * not), on the course since now with nothing done, not paused, its
 * deliveries in copy, Day 1 due at day1.  0 or ERR_*.
 */
int	 store_round_drop(struct db *, int64_t subscriber, int copy,
	    const char *reason, time_t now);
int	 store_sub_restart(struct db *, int64_t id, int copy, time_t day1,
	    time_t now);

/*
 * An unsubscribed or bounced subscriber active again ("resubscribed"),
 * not paused, its next lesson for the run to plan, deliveries in copy.
 * 0 or ERR_*.
 */
int	 store_sub_resubscribe(struct db *, int64_t id, int copy, time_t now);

/*
 * The suppressions: hex sha256 hashes of removed addresses
 * (subscriber_hash()).  _has: 1 when hash is kept, 0 not; _add: keep it
 * (created at), 1 added, 0 kept already; _any: 1 when any is kept, 0
 * none; each also ERR_*.
 */
int	 store_suppression_has(struct db *, const char *hash);
int	 store_suppression_add(struct db *, const char *hash, time_t at);
int	 store_suppression_any(struct db *);

/* Take hash (subscriber_hash()) off the suppressions.  0 or ERR_*. */
int	 store_suppression_lift(struct db *, const char *hash);

/* One line of a subscriber's history, borrowed until the callback returns. */
struct store_event {
	time_t		 at;
	const char	*kind;
	const char	*message;	/* "" when none, as the rest */
	const char	*source;
	const char	*status;
	const char	*detail;
};

/*
 * A subscriber's history in time order: the events (but the "sent" ones
 * older databases logged) and, as "sent" events with source "run", the
 * deliveries sent, placed before the events of the same second.  fn as
 * for store_sub_each().  0 or ERR_*.
 */
int	 store_event_each(struct db *, int64_t subscriber,
	    int (*fn)(void *arg, const struct store_event *), void *arg);

/* How many events of kind subscriber has had since since, or ERR_*. */
int	 store_event_count(struct db *, int64_t subscriber, const char *kind,
	    time_t since);

/*
 * Bounce messages already applied, by the key mailbox.h gives each:
 * store_bounce_seen() 1 when key is kept, 0 when not, or ERR_*;
 * store_bounce_remember() keeps it (again: no change), 0 or ERR_*.
 */
int	 store_bounce_seen(struct db *, const char *key);
int	 store_bounce_remember(struct db *, const char *key, time_t now);

/*
 * The hashes of removed addresses (subscriber_hash()), with when each
 * was added, oldest first; fn as for store_sub_each().  0 or ERR_*.
 */
int	 store_suppression_each(struct db *,
	    int (*fn)(void *arg, const char *hash, time_t at), void *arg);

/*
 * Append to the events log; any string may be NULL, subscriber 0 for the
 * whole course.  0 or ERR_*.  kind is one of: subscribed, updated,
 * enrolled, import (subscriber 0: one per imported file, detail "FILE:
 * added N, ..."), sent, retry, failed, lesson_failed, bounce_hard,
 * bounce_soft, complaint, unsubscribed, removed, completed, consent (a web
 * signup confirmed; detail: JSON evidence, see signup.h), from steer.h
 * paused, resumed, resend, restarted, resubscribed, and (subscriber 0:
 * the whole course's runs) runs_paused, runs_resumed and pause_reported
 * (guard.h).
 */
int	 store_event(struct db *, int64_t subscriber, time_t at,
	    const char *kind, const char *message, const char *source,
	    const char *status, const char *detail);

/*
 * Stop all mail to an active or completed subscriber: its status becomes
 * status (one of the three stopped ones), nothing more is due, pending
 * deliveries become suppressed, and an event of kind records the
 * evidence (source, RFC 3463 smtp_status, detail).  1 when it changed
 * something, 0 when the subscriber was stopped already or does not
 * exist, or ERR_*.
 */
int	 store_suppress(struct db *, int64_t subscriber, time_t at,
	    enum store_status status, const char *kind, const char *source,
	    const char *smtp_status, const char *detail);

/* A web form signup waiting for its confirmation (signup.h). */
struct store_signup {
	int64_t		 id;
	char		*email;		/* the strings: allocated by
					   store_signup_get(), borrowed by
					   store_signup_add(); NULL none */
	char		*first_name, *timezone, *ip, *user_agent, *page;
	time_t		 created_at;
	time_t		 confirmed_at;	/* 0 while pending */
};
void	 store_signup_release(struct store_signup *);

/* Keep s (created_at set) and set s->id.  0 or ERR_*. */
int	 store_signup_add(struct db *, struct store_signup *s);
/* The signup id made at created_at into s: 1, 0 none (purged), ERR_*. */
int	 store_signup_get(struct db *, int64_t id, time_t created_at,
	    struct store_signup *s);
/* Signups of this address, or from this IP, made after since; or ERR_*. */
int	 store_signup_count_email(struct db *, const char *email,
	    time_t since);
int	 store_signup_count_ip(struct db *, const char *ip, time_t since);
/* Forget the signups made at or before before.  0 or ERR_*. */
int	 store_signup_purge(struct db *, time_t before);
/* Its confirmation mail went at at.  0 or ERR_*. */
int	 store_signup_mailed(struct db *, int64_t id, time_t at);
/* Confirmed at at, as subscriber.  0 or ERR_*. */
int	 store_signup_confirmed(struct db *, int64_t id, time_t at,
	    int64_t subscriber);

/*
 * One big write transaction (import): store_bulk_begin() tunes the
 * connection for it (a rollback journal, when no other process has the
 * database open, with full syncs; a larger cache) and begins it;
 * *tuned says what store_bulk_end() must undo, after the caller's commit
 * or rollback, and also when begin failed.  0 or ERR_*.
 */
int	 store_bulk_begin(struct db *, int *tuned);
void	 store_bulk_end(struct db *, int tuned);

/*
 * Erase deleted rows' bytes rather than leave them free in the file, for
 * the rest of the connection (before subscriber_remove()).  0 or ERR_*.
 */
int	 store_secure_delete(struct db *);

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
 * Call each(s, tz, arg) per candidate: s with its zone NULL, and tz its
 * zone's name as stored (NULL: none), both borrowed for the call.  0, or
 * ERR_* (logged).
 */
int	 store_due_candidates(struct db *, const struct store_due_query *,
	    void (*each)(struct sched_sub *, const char *tz, void *),
	    void *arg);

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

/*
 * Several runs at once.  store_shared(): 1 when other runs may work on
 * this database at the same time (PostgreSQL: no run lock, the runs
 * claim rows, see struct store_fetch), 0 when the run lock keeps them
 * apart (SQLite).  store_lock(): on a shared database, take the lock
 * named which, held until the caller's transaction ends (PostgreSQL's
 * pg_advisory_xact_lock()): 0 when it was free, 1 when another run held
 * it and the caller waited for its transaction to end; elsewhere 0.
 * Or ERR_*.
 */
enum store_lock {
	STORE_LOCK_PLAN,	/* making deliveries due, moving schedules */
	STORE_LOCK_CLAIM,	/* counting the caps and claiming under them */
};
int	 store_shared(struct db *);
int	 store_lock(struct db *, enum store_lock which);

/* Layering */

/*
 * The store for the rest of the program: open the data at target (a
 * SQLite path, DB_MEMORY in memory, or a PostgreSQL URI with its
 * password_file, NULL for none) as db_open() does (its rules and codes)
 * into *out, allocated, and close and free it (NULL is fine).
 */
int	 store_open(const char *target, const char *password_file,
	    struct db **out);
void	 store_close(struct db *);

/* The schema version of the data (shown by `check`). */
int	 store_version(struct db *);
/* The data as messages name it: the SQLite path, or the URI without its
   password.  Borrowed until store_close(). */
const char *store_name(struct db *);

/*
 * One transaction around several operations: begin (immediate: the write
 * lock now), commit, roll back.  0, or ERR_TEMP/ERR_FAIL (logged).
 */
int	 store_begin(struct db *);
int	 store_commit(struct db *);
int	 store_rollback(struct db *);

/* Subscribers as the store takes them in (subscriber.h: the rules) */

/*
 * subscribers.lessons_sent is how far the course has gone: a lesson that
 * failed for good moves it on too (the next one follows), with an event
 * of this kind.  What people see as lessons_sent (show, export) is this
 * count (store_sql.c SUB_LESSONS_SENT_SQL): the lessons delivered since the
 * course (re)started.
 */
#define SUB_EVENT_LESSON_FAILED	"lesson_failed"

enum sub_list {
	LIST_WAITLIST,
	LIST_COURSE,
};

/* A validated signup (see subscriber_clean_name, addr_check, tz_valid). */
struct sub_in {
	const char	*email;		/* checked and normalised */
	const char	*first_name;	/* NULL or "" = none */
	const char	*timezone;	/* valid IANA zone, or NULL = default */
	time_t		 signed_up_at;
};

#define SUB_NO_SUPPRESS_CHECK	0x2	/* suppressions known to be empty */

struct sub_upsert {
	int		 list;		/* enum sub_list */
	time_t		 now;
	int		 flags;		/* SUB_* */
	int64_t		 fresh_above;	/* rows with a larger id are new in
					   this batch: SUB_DUPLICATE */
	const char	*source;	/* event source: "import", "cli" */
};

/* Deliveries and runs */

/* A delivery's state; store_state_name() gives the stored word. */
enum store_state {
	STORE_DUE,
	STORE_SENDING,		/* handed to the relay, outcome unrecorded */
	STORE_RETRY,
	STORE_SENT,
	STORE_FAILED,
	STORE_SUPPRESSED,
};
#define STORE_STATE_N	(STORE_SUPPRESSED + 1)

/* "due", ...; store_state_parse(): the enum, or -1 for none. */
const char *store_state_name(enum store_state);
int	 store_state_parse(const char *word);

/* A mailable subscriber as the run plans it. */
struct store_plan_sub {
	int64_t		 id;
	char		*tz;		/* allocated, NULL: the default */
	time_t		 course_at, last_sent_at, waitlist_at;
	time_t		 next_at;	/* next_lesson_at (0 for a waitlist) */
	int		 lessons_sent;
	int		 copy;		/* course_copy */
};

/* Which mailable subscribers store_plan_subs() reads. */
enum store_plan {
	STORE_PLAN_WAITLIST,	/* waitlisted by now, not on the course */
	STORE_PLAN_UNSCHEDULED,	/* on the course, no next lesson yet */
	STORE_PLAN_NEXT,	/* next lesson come by now */
	STORE_PLAN_NOTICE,	/* waitlisted by now, no delivery of message */
};

/*
 * Read the subscribers `which` selects at now (message: the notification
 * for STORE_PLAN_NOTICE, else NULL) into *rows (*n of them), all read
 * before any is changed; free with store_plan_subs_free().  0 or ERR_*.
 */
int	 store_plan_subs(struct db *, enum store_plan which, time_t now,
	    const char *message, struct store_plan_sub **rows, size_t *n);
void	 store_plan_subs_free(struct store_plan_sub *, size_t n);

/*
 * An active subscriber's next lesson is at next (0: none planned);
 * store_sub_finish(): it completed the course at now (the only change of
 * status here).  1 when a row changed, 0 not, or ERR_*.
 */
int	 store_sub_schedule(struct db *, int64_t id, time_t next, time_t now);
int	 store_sub_finish(struct db *, int64_t id, time_t now);

/* A waitlist member on the course since at, Day 1 due at due.  ERR_*. */
int	 store_sub_launch(struct db *, int64_t id, time_t at, time_t due,
	    time_t now);

/*
 * Lesson day of copy done at t: lessons_sent at least day, last sent at
 * t, next lesson at next (0 none) while mailable.  1 when the subscriber
 * is still on copy (a restart moves it on), 0 not, or ERR_*.
 */
int	 store_sub_progress(struct db *, int64_t id, int copy, int day,
	    time_t t, time_t next);

/*
 * A delivery of message due at due, its first attempt now, unless the
 * subscriber has one of message in copy already.  0 or ERR_*.
 */
int	 store_delivery_plan(struct db *, int64_t subscriber,
	    const char *message, int copy, time_t due, time_t now);

/* A pending delivery joined with its subscriber, as a run fetches it. */
struct store_delivery {
	int64_t		 id, sub;
	const char	*message;
	enum store_state state;
	int		 attempts;
	time_t		 due_at, next_attempt_at;
	const char	*email, *first_name, *tz;	/* NULL: none */
	enum store_status status;
	time_t		 course_at, last_sent_at, waitlist_at;
	int		 lessons_sent;
	int		 copy, course_copy;
};

/*
 * Which pending deliveries store_delivery_fetch() reads, at most max:
 * crashed, those left sending by an interrupted run with id above
 * after_id (with lease_since, only those marked before it: the others
 * belong to a run still at work); else those not sending whose next
 * attempt is at or before now, past (after_at, after_id) in
 * (next_attempt_at, id) order.  With claim, on a shared database
 * (store_shared()), the rows read are locked until the caller's
 * transaction ends and rows another run has locked are skipped (SELECT
 * ... FOR UPDATE SKIP LOCKED): two runs never read the same row.
 */
struct store_fetch {
	int		 crashed;
	time_t		 now, after_at;
	int64_t		 after_id;
	long		 max;
	time_t		 lease_since;	/* 0: every sending row is crashed */
	int		 claim;
	int		 answered;	/* crashed: only those with an answer */
};

/*
 * Call fn for each delivery q selects, in keyset order (borrowed until
 * fn returns).  The number of rows, or ERR_*.
 */
int	 store_delivery_fetch(struct db *, const struct store_fetch *q,
	    void (*fn)(void *arg, const struct store_delivery *), void *arg);

/* Deliveries pending with their next attempt at or before now; 0 failed. */
long	 store_count_due(struct db *, time_t now);

/*
 * Handed to the relay: sending, with attempts, Message-ID mid, run run_id
 * (0 none).  0 or ERR_*.
 */
int	 store_delivery_sending(struct db *, int64_t id, int attempts,
	    const char *mid, int64_t run_id, time_t now);

/*
 * An outcome: state, next attempt at next, the relay's code (0 none) and
 * reply (NULL or "" none), sent at sent_at (0 not).  0 or ERR_*.
 */
int	 store_delivery_outcome(struct db *, int64_t id, enum store_state,
	    time_t next, int code, const char *reply, time_t sent_at,
	    time_t now);

/*
 * The server's answer to one delivery (the answers table), committed as
 * soon as it comes and folded into the delivery by the run's next batch:
 * err 0, ERR_TEMP or ERR_PERM; step an enum smtp_step; code 0 when
 * there was no reply, reply the line or why there was none.
 */
struct store_answer {
	int		 err, step, code;
	time_t		 at;
	char		 reply[256];
};

/* Keep (or replace) delivery id's answer.  0 or ERR_*. */
int	 store_answer_put(struct db *, int64_t id, const struct store_answer *);
/* Delivery id's answer into *a: 1, 0 when it has none, or ERR_*. */
int	 store_answer_get(struct db *, int64_t id, struct store_answer *a);
/* The answer is in its delivery now.  0 or ERR_*. */
int	 store_answer_del(struct db *, int64_t id);

/* Never tried after all: back to state, the attempt not counted. */
int	 store_delivery_unclaim(struct db *, int64_t id, enum store_state);

/* Not sent now: in state, next attempt at due.  0 or ERR_*. */
int	 store_delivery_postpone(struct db *, int64_t id, enum store_state,
	    time_t due, time_t now);

/* Failed for good without an attempt, for reason.  0 or ERR_*. */
int	 store_delivery_drop(struct db *, int64_t id, const char *reason,
	    time_t now);

/* The subscriber is stopped: suppressed.  0 or ERR_*. */
int	 store_delivery_suppress(struct db *, int64_t id, time_t now);

/*
 * A run marks the rows it holds sending again at now, so that they stay
 * its own (lease_since in struct store_fetch).  0 or ERR_*.
 */
int	 store_delivery_touch(struct db *, int64_t run_id, time_t now);

/*
 * What every run has taken of the caps so far, as a run sharing the
 * database reads it under STORE_LOCK_CLAIM: deliveries sent at or after
 * midnight (today), after minute and after hour, each plus every
 * delivery being sent (sending, marked after lease_since); and the
 * oldest sent_at after minute and after hour (0 none), when room opens.
 */
struct store_taken {
	long		 today, minute, hour;
	time_t		 minute_oldest, hour_oldest;
};
int	 store_count_taken(struct db *, time_t midnight, time_t minute,
	    time_t hour, time_t lease_since, struct store_taken *);

/*
 * Call each(address, arg) for the recipient of every delivery being sent
 * (sending, marked after lease_since).  0, or ERR_* (logged).
 */
int	 store_sending_recipients(struct db *, time_t lease_since,
	    void (*each)(const char *address, void *), void *arg);

/*
 * Call fn with the sent_at of every delivery sent after since, oldest
 * first.  0 or ERR_*.
 */
int	 store_sent_times(struct db *, time_t since,
	    void (*fn)(void *arg, time_t sent_at), void *arg);

/*
 * A run starts (started at started, on the clock now, by pid): its id
 * in *id; and finishes with r's counts, outcome and finished.  ERR_*.
 */
int	 store_run_start(struct db *, time_t started, time_t now, long pid,
	    int dry_run, int64_t *id);
int	 store_run_finish(struct db *, int64_t id, const struct store_run *r);

#endif
