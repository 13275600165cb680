/*
 * bounce_policy.c - what a classified bounce does to a subscriber.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "dripmail.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

/* The subscriber a finding names: 1 and *id, 0 when none, or ERR_*. */
static int
find_subscriber(struct db *db, const struct bounce_finding *f, int64_t *id)
{
	int64_t rc;

	if (f->subscriber > 0) {
		rc = store_sub_exists(db, f->subscriber);
		if (rc > 0)
			*id = f->subscriber;
		return (int)rc;
	}
	if (f->recipient[0] == '\0')
		return 0;
	rc = store_sub_id(db, f->recipient);
	/* the report's Original-Recipient, when the final one is unknown */
	if (rc == 0 && f->alias != NULL)
		rc = store_sub_id(db, f->alias);
	if (rc > 0)
		*id = rc;
	return rc < 0 ? (int)rc : rc > 0;
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

	n = store_event_count(db, id, "bounce_soft", now - p->soft_window);
	if (n < 0)
		return n;
	if (n + 1 < p->soft_limit) {
		rc = store_event(db, id, now, "bounce_soft", NULL, source,
		    f->status, f->diagnostic);
		if (rc < 0)
			return rc;
		*out = BOUNCE_COUNTED;
		return 0;
	}
	detail = xasprintf("soft bounce %d of %d within %ld days: %s", n + 1,
	    p->soft_limit, p->soft_window / 86400, f->diagnostic);
	rc = store_suppress(db, id, now, STORE_BOUNCED, "bounce_soft", source,
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
suppress_or_count(struct db *db, int64_t id, time_t now,
    enum store_status status, const char *kind, const char *source, const struct bounce_finding *f,
    enum bounce_outcome *out)
{
	const char *smtp = f->kind == BOUNCE_HARD ? f->status : NULL;
	int rc;

	rc = store_suppress(db, id, now, status, kind, source, smtp,
	    f->diagnostic);
	if (rc == 0)
		rc = store_event(db, id, now, kind, NULL, source, smtp,
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
		return suppress_or_count(db, id, now, STORE_BOUNCED, "bounce_hard",
		    source, f, out);
	case BOUNCE_COMPLAINT:
		return suppress_or_count(db, id, now, STORE_COMPLAINED,
		    "complaint", source, f, out);
	case BOUNCE_UNSUBSCRIBE:
		rc = store_suppress(db, id, now, STORE_UNSUBSCRIBED, "unsubscribed",
		    source, NULL, "unsubscribe request by mail");
		return suppressed_now(rc, out);
	default:
		break;
	}
	return apply_soft(db, p, f, id, source, now, out);
}

int
bounce_seen(struct db *db, const char *key)
{
	return store_bounce_seen(db, key);
}

int
bounce_apply_message(struct db *db, const struct bounce_policy *p,
    const struct bounce_result *r, const char *source, const char *key,
    time_t now, struct bounce_tally *t)
{
	enum bounce_outcome out;
	int rc;

	if ((rc = store_begin(db)) < 0)
		return rc;
	for (size_t i = 0; i < r->n && rc >= 0; i++) {
		rc = bounce_apply(db, p, &r->findings[i], source, now, &out);
		if (rc < 0)
			break;
		if (out == BOUNCE_SUPPRESSED)
			t->suppressed++;
		else if (out == BOUNCE_COUNTED)
			t->counted++;
		else if (out == BOUNCE_UNKNOWN) {
			t->unknown++;
			log_info("bounces: %s: no subscriber <%s>", source,
			    r->findings[i].recipient);
		}
	}
	if (rc >= 0)
		rc = store_bounce_remember(db, key, now);
	if (rc >= 0)
		return store_commit(db);
	store_rollback(db);
	return rc;
}
