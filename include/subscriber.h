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

struct db;

#define SUB_HASH_LEN	64		/* hex sha256 */
#define SUB_NAME_MAX	4096		/* bytes of a first name (as CSV) */

/*
 * subscribers.lessons_sent is how far the course has gone: a lesson that
 * failed for good moves it on too (the next one follows), with an event
 * of this kind.  What people see as lessons_sent (show, export) is the
 * lessons delivered since the course (re)started (the store counts it).
 */
#define SUB_EVENT_LESSON_FAILED	"lesson_failed"

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

/*
 * Clean a name in place: runs of white space and line breaks become one
 * space (a name folded over two lines of a CSV cell is two words), other
 * control characters and bidirectional controls (U+202E...) are removed,
 * and the ends trimmed.  Returns s.
 */
char	*subscriber_clean_name(char *s);

/*
 * What a status column of an imported file says (dripmail's own export,
 * Mailchimp, Kit's "state", listmonk, a suppression list).
 */
enum sub_status_in {
	SUB_IN_ACTIVE,		/* "", active, subscribed, enabled, confirmed */
	SUB_IN_COMPLETED,	/* completed (dripmail) */
	SUB_IN_UNSUBSCRIBED,	/* unsubscribed, cancelled (Kit), blocklisted
				   and disabled (listmonk) */
	SUB_IN_BOUNCED,		/* bounced, cleaned (Mailchimp) */
	SUB_IN_COMPLAINED,	/* complained, spam */
	SUB_IN_REMOVED,		/* removed: erased, only its hash kept */
	SUB_IN_NOT_OPTED_IN,	/* pending, unconfirmed, inactive (Kit),
				   transactional, archived: not imported */
};

/*
 * The enum sub_status_in for a status value (case, spaces and punctuation
 * ignored: "Non-Subscribed"), or -1 when it is none of these.
 */
int	 subscriber_status_in(const char *value);

/*
 * An imported row whose status is not active (st, an enum sub_status_in):
 * an address removed earlier (its hash in suppressions) is skipped unless
 * st is SUB_IN_REMOVED; REMOVED adds the hash to suppressions and
 * unsubscribes a subscriber with that address; UNSUBSCRIBED, BOUNCED and
 * COMPLAINED store a new address with that status, or stop an existing
 * one that still gets mail (db_suppress(), at `at`, with detail and an
 * event of the matching kind); a stopped subscriber stays as it is;
 * COMPLETED stores a new address as having completed the course and
 * merges into an existing one as an active row would (subscriber_known).
 * Returns SUB_ADDED (stored or suppression added), SUB_UPDATED (stopped
 * now), SUB_UNCHANGED, SUB_SKIPPED (*why), or ERR_*.  Sets *id (0 when
 * no subscriber).  Call inside a transaction.
 */
int	 subscriber_import_status(struct db *, const struct config *,
	    const struct sub_in *s, const struct sub_upsert *u, int st,
	    time_t at, const char *detail, int64_t *id, const char **why);

/*
 * Keep hash (hex sha256 of a lower-cased address, as subscriber_hash()
 * makes) in suppressions, so that address is never imported or added.
 * 1 when added, 0 when it was there, or ERR_*.
 */
int	 subscriber_suppress_hash(struct db *, const char *hash, time_t at);

/*
 * 0 when s can be a subscriber's name (before subscriber_clean_name()):
 * UTF-8, at most SUB_NAME_MAX bytes.  Else ERR_FAIL and a static *why.
 * Any such name can be sent: message.c encodes and folds it in To:.
 */
int	 subscriber_name_check(const char *s, const char **why);

/* "waitlist" / "course" -> enum sub_list; -1 when neither. */
int	 subscriber_list(const char *name);
/* The list new subscribers join by default: waitlist before launch. */
int	 subscriber_default_list(const struct config *, time_t now);

#endif
