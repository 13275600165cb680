/*
 * bounce_policy.c - what a classified bounce does to a subscriber.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "db.h"
#include "dripmail.h"
#include "log.h"
#include "xmalloc.h"

/* The subscriber a finding names: 1 and *id, 0 when none, or ERR_*. */
static int
find_subscriber(struct db *db, const struct bounce_finding *f, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	if (f->subscriber > 0) {
		st = db_stmt(db, "SELECT id FROM subscribers WHERE id = ?");
		if (st == NULL)
			return ERR_FAIL;
		sqlite3_bind_int64(st, 1, f->subscriber);
	} else if (f->recipient[0] != '\0') {
		st = db_stmt(db, "SELECT id FROM subscribers WHERE email = ?");
		if (st == NULL)
			return ERR_FAIL;
		sqlite3_bind_text(st, 1, f->recipient, -1, SQLITE_STATIC);
	} else
		return 0;
	rc = db_step(db, st, "find subscriber");
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	/* the report's Original-Recipient, when the final one is unknown */
	if (rc != SQLITE_ROW && f->subscriber <= 0 && f->alias != NULL) {
		sqlite3_bind_text(st, 1, f->alias, -1, SQLITE_STATIC);
		rc = db_step(db, st, "find subscriber by alias");
		if (rc == SQLITE_ROW)
			*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc < 0)
			return rc;
	}
	return rc == SQLITE_ROW;
}

/* Soft bounces recorded for id since since; or ERR_*. */
static int
soft_count(struct db *db, int64_t id, time_t since)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM events"
	    " WHERE subscriber_id = ? AND kind = 'bounce_soft' AND at >= ?");
	int rc, n = 0;

	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	rc = db_step(db, st, "count soft bounces");
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? n : (rc < 0 ? rc : ERR_FAIL);
}

static int
suppressed_now(int rc, enum bounce_outcome *out)
{
	if (rc < 0)
		return rc;
	*out = rc > 0 ? BOUNCE_SUPPRESSED : BOUNCE_IGNORED;
	return 0;
}

static int
apply_soft(struct db *db, const struct bounce_policy *p,
    const struct bounce_finding *f, int64_t id, const char *source,
    time_t now, enum bounce_outcome *out)
{
	char *detail;
	int n, rc;

	n = soft_count(db, id, now - p->soft_window);
	if (n < 0)
		return n;
	if (n + 1 < p->soft_limit) {
		rc = db_event(db, id, now, "bounce_soft", NULL, source,
		    f->status, f->diagnostic);
		if (rc < 0)
			return rc;
		*out = BOUNCE_COUNTED;
		return 0;
	}
	detail = xasprintf("soft bounce %d of %d within %ld days: %s", n + 1,
	    p->soft_limit, p->soft_window / 86400, f->diagnostic);
	rc = db_suppress(db, id, now, "bounced", "bounce_soft", source,
	    f->status, detail);
	free(detail);
	return suppressed_now(rc, out);
}

/*
 * A hard bounce or a complaint for a subscriber suppressed already (a
 * complaint after an unsubscribe is common) changes nothing, but is still
 * recorded: the automatic pause (guard.h) counts what the mailbox
 * providers count, every bounced message and every complaint.
 */
static int
suppress_or_count(struct db *db, int64_t id, time_t now, const char *status,
    const char *kind, const char *source, const struct bounce_finding *f,
    enum bounce_outcome *out)
{
	const char *smtp = f->kind == BOUNCE_HARD ? f->status : NULL;
	int rc;

	rc = db_suppress(db, id, now, status, kind, source, smtp,
	    f->diagnostic);
	if (rc == 0)
		rc = db_event(db, id, now, kind, NULL, source, smtp,
		    f->diagnostic);
	return suppressed_now(rc, out);
}

int
bounce_apply(struct db *db, const struct bounce_policy *p,
    const struct bounce_finding *f, const char *source, time_t now,
    enum bounce_outcome *out)
{
	int64_t id = 0;
	int rc;

	*out = BOUNCE_IGNORED;
	if (f->kind == BOUNCE_AUTOREPLY || f->kind == BOUNCE_OTHER)
		return 0;
	if ((rc = find_subscriber(db, f, &id)) <= 0) {
		if (rc == 0)
			*out = BOUNCE_UNKNOWN;
		return rc;
	}
	switch (f->kind) {
	case BOUNCE_HARD:
		return suppress_or_count(db, id, now, "bounced", "bounce_hard",
		    source, f, out);
	case BOUNCE_COMPLAINT:
		return suppress_or_count(db, id, now, "complained",
		    "complaint", source, f, out);
	case BOUNCE_UNSUBSCRIBE:
		rc = db_suppress(db, id, now, "unsubscribed", "unsubscribed",
		    source, NULL, "unsubscribe request by mail");
		return suppressed_now(rc, out);
	default:
		break;
	}
	return apply_soft(db, p, f, id, source, now, out);
}
