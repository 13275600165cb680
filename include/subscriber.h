/*
 * subscriber.h - adding, updating, enrolling and finding subscribers; the
 * rules every command shares (import, subscribers, run).
 *
 * A subscriber's timezone is NULL when it follows [schedule] timezone.
 * Statuses unsubscribed, bounced and complained are final for imports and
 * adds: such an address is never re-activated, and neither is one whose
 * hash is in the suppressions table (removed with `subscribers remove`).
 */
#ifndef SUBSCRIBER_H
#define SUBSCRIBER_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "db.h"

#define SUB_HASH_LEN	64		/* hex sha256 */

enum sub_list {
	LIST_WAITLIST,
	LIST_COURSE,
};

/* What subscriber_upsert() did. */
enum sub_result {
	SUB_ADDED,
	SUB_UPDATED,		/* name, timezone or a list filled in */
	SUB_UNCHANGED,
	SUB_SKIPPED,		/* unsubscribed, bounced, complained, removed */
	SUB_DUPLICATE,		/* a row added after fresh_above (this file) */
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

/*
 * Add s, or merge it into the subscriber with the same address (case-
 * insensitively): name and timezone are filled where empty, the list is
 * joined; nothing else changes.  Returns an enum sub_result and sets *id
 * (0 when skipped by a suppression) and, for SUB_SKIPPED, *why to a static
 * reason; or ERR_* (logged).  Call inside a transaction.
 */
int	 subscriber_upsert(struct db *, const struct config *,
	    const struct sub_in *s, const struct sub_upsert *u, int64_t *id,
	    const char **why);

/*
 * The second half of subscriber_upsert(), for an address found stored
 * (an insert of it did nothing): SUB_DUPLICATE when its row was added
 * after u->fresh_above, SUB_SKIPPED (with *why) when it is stopped, else
 * merged: SUB_UPDATED or SUB_UNCHANGED.  Sets *id.  ERR_* when not found.
 */
int	 subscriber_known(struct db *, const struct config *,
	    const struct sub_in *s, const struct sub_upsert *u, int64_t *id,
	    const char **why);

/*
 * Bulk adds (import): a statement inserting n new subscribers at once,
 * ON CONFLICT (email) DO NOTHING, to finalize after use (NULL on error,
 * logged); subscriber_insert_bind() binds its row'th row (from 0) with
 * the values subscriber_upsert() would store, first_lesson_at being
 * subscriber_first_lesson_at() for s (ignored for the waitlist).  Strings
 * are bound SQLITE_STATIC: keep s alive until the step.  No event is
 * logged; rows get increasing ids in VALUES order.
 */
sqlite3_stmt *subscriber_insert_prepare(struct db *, int n);
void	 subscriber_insert_bind(sqlite3_stmt *, int row,
	    const struct sub_in *s, const struct sub_upsert *u,
	    time_t first_lesson_at);

/*
 * When a subscriber enrolled at now in zone tz (NULL = default), on the
 * waitlist since waitlist_at (0 never), gets Day 1: sched_due() for Day 1,
 * window applied, so what is stored is when a run will send it.
 */
time_t	 subscriber_first_lesson_at(const struct config *, const char *tz,
	    time_t waitlist_at, time_t now);

/*
 * Put an active subscriber on the course: course_at = now, next lesson per
 * subscriber_first_lesson_at(), an "enrolled" event.  1 when enrolled, 0
 * when already on the course or not active, or ERR_*.
 */
int	 subscriber_enrol(struct db *, const struct config *, int64_t id,
	    time_t now, const char *source);

/* The subscriber id for email (case-insensitive): >0, 0 if none, ERR_*. */
int64_t	 subscriber_find(struct db *, const char *email);

/* Hex sha256 of the lower-cased address, as kept in suppressions. */
void	 subscriber_hash(const char *email, char out[SUB_HASH_LEN + 1]);
/* 1 when the address's hash is in suppressions, 0 if not, or ERR_*. */
int	 subscriber_suppressed(struct db *, const char *email);

/*
 * Delete a subscriber's personal data (its row; deliveries and events
 * follow) and keep the address's hash in suppressions.  1 when a row was
 * deleted, 0 when there was none (the hash is kept anyway), or ERR_*.
 */
int	 subscriber_remove(struct db *, const char *email, time_t now);

/* Remove control characters in place (names are stored as given). */
char	*subscriber_clean_name(char *s);

/* "waitlist" / "course" -> enum sub_list; -1 when neither. */
int	 subscriber_list(const char *name);
/* The list new subscribers join by default: waitlist before launch. */
int	 subscriber_default_list(const struct config *, time_t now);

#endif
