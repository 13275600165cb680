/*
 * subscriber.c - add, merge, enrol, find and remove subscribers.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/base16.h>
#include <nettle/sha2.h>

#include "dripmail.h"
#include "log.h"
#include "schedule.h"
#include "store.h"
#include "subscriber.h"
#include "util.h"

int
subscriber_list(const char *name)
{
	if (strcmp(name, "waitlist") == 0)
		return LIST_WAITLIST;
	if (strcmp(name, "course") == 0)
		return LIST_COURSE;
	return -1;
}

int
subscriber_default_list(const struct config *cfg, time_t now)
{
	return cfg->launch_at > now ? LIST_WAITLIST : LIST_COURSE;
}

char *
subscriber_clean_name(char *s)
{
	char *w = s;
	const char *r = s;
	size_t n;

	while (*r) {
		unsigned char c = (unsigned char)*r;

		if (strchr(" \t\r\n\v\f", c) != NULL) {
			r += strspn(r, " \t\r\n\v\f");
			if (w > s && *r)
				*w++ = ' ';	/* a line break between words */
		} else if ((n = utf8_ctl_len(r)) > 0)
			r += n;		/* control, C1 or bidi control */
		else
			*w++ = *r++;
	}
	*w = '\0';
	return s;
}

int
subscriber_name_check(const char *s, const char **why)
{
	if (!utf8_valid(s, strlen(s))) {
		*why = "not valid UTF-8";
		return ERR_FAIL;
	}
	if (strlen(s) > SUB_NAME_MAX) {
		*why = "longer than 4096 bytes";
		return ERR_FAIL;
	}
	return 0;
}

void
subscriber_hash(const char *email, char out[SUB_HASH_LEN + 1])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&ctx);
	for (const char *p = email; *p; p++) {
		uint8_t c = (uint8_t)tolower((unsigned char)*p);

		sha256_update(&ctx, 1, &c);
	}
	sha256_digest(&ctx, sizeof(d), d);
	base16_encode_update(out, sizeof(d), d);
	out[SUB_HASH_LEN] = '\0';
}

int
subscriber_suppressed(struct db *db, const char *email)
{
	char hash[SUB_HASH_LEN + 1];

	subscriber_hash(email, hash);
	return store_suppression_has(db, hash);
}

int64_t
subscriber_find(struct db *db, const char *email)
{
	return store_sub_id(db, email);
}

time_t
subscriber_first_lesson_at(const struct config *cfg, const char *tz,
    time_t waitlist_at, time_t now)
{
	struct sched_sub s = { sched_zone(cfg, tz), now, 0, 0, waitlist_at };
	struct sched_msg day1 = { 1, 0, 0 };

	return sched_due(cfg, &s, &day1, now);
}

int
subscriber_enrol(struct db *db, const struct config *cfg, int64_t id,
    time_t now, const char *source)
{
	struct store_sub sub;
	int rc;

	if ((rc = store_sub_peek(db, NULL, id, &sub)) <= 0)
		return rc;
	rc = store_sub_enrol(db, id, subscriber_first_lesson_at(cfg,
	    sub.timezone, sub.waitlist_at, now), now);
	store_sub_release(&sub);
	if (rc <= 0)
		return rc;
	rc = store_event(db, id, now, "enrolled", NULL, source, NULL, NULL);
	return rc < 0 ? rc : 1;
}

/* 1 and *id when s was inserted, 0 when the address is known, or ERR_*. */
static int
insert_new(struct db *db, const struct config *cfg, const struct sub_in *s,
    const struct sub_upsert *u, int64_t *id)
{
	int rc;

	rc = store_sub_insert(db, s, u, u->list == LIST_COURSE ?
	    subscriber_first_lesson_at(cfg, s->timezone, 0, u->now) : 0, id);
	if (rc <= 0)
		return rc;
	if ((rc = store_event(db, *id, u->now, "subscribed", NULL, u->source,
	    NULL, u->list == LIST_COURSE ? "course" : "waitlist")) < 0)
		return rc;
	return 1;
}

/* Fill in what a known subscriber lacks.  SUB_UPDATED/UNCHANGED or ERR_*. */
static int
merge(struct db *db, const struct config *cfg, const struct sub_in *s,
    const struct sub_upsert *u, int64_t id, int on_waitlist, int on_course)
{
	int rc, changed;

	/* The course implies the waitlist is behind them. */
	changed = store_sub_merge(db, id, s->first_name, s->timezone,
	    u->list == LIST_WAITLIST && !on_waitlist && !on_course, u->now);
	if (changed < 0)
		return changed;
	if (changed && (rc = store_event(db, id, u->now, "updated", NULL,
	    u->source, NULL, NULL)) < 0)
		return rc;
	if (u->list == LIST_COURSE && !on_course) {
		rc = subscriber_enrol(db, cfg, id, u->now, u->source);
		if (rc < 0)
			return rc;
		changed |= rc;
	}
	return changed ? SUB_UPDATED : SUB_UNCHANGED;
}

int
subscriber_known(struct db *db, const struct config *cfg,
    const struct sub_in *s, const struct sub_upsert *u, int64_t *id,
    const char **why)
{
	struct store_sub sub;
	int rc, on_waitlist, on_course;

	rc = store_sub_peek(db, s->email, 0, &sub);
	if (rc <= 0) {
		if (rc == 0)
			log_warnx("%s: subscriber vanished", s->email);
		return rc < 0 ? rc : ERR_FAIL;
	}
	*id = sub.id;
	on_waitlist = sub.waitlist_at != 0;
	on_course = sub.course_at != 0;
	rc = sub.status;
	store_sub_release(&sub);
	if (*id > u->fresh_above)
		return SUB_DUPLICATE;
	if (rc >= STORE_UNSUBSCRIBED) {
		*why = store_status_name(rc);
		return SUB_SKIPPED;
	}
	return merge(db, cfg, s, u, *id, on_waitlist, on_course);
}

int
subscriber_upsert(struct db *db, const struct config *cfg,
    const struct sub_in *s, const struct sub_upsert *u, int64_t *id,
    const char **why)
{
	int rc;

	*id = 0;
	if (!(u->flags & SUB_NO_SUPPRESS_CHECK)) {
		rc = subscriber_suppressed(db, s->email);
		if (rc < 0)
			return rc;
		if (rc) {
			*why = "removed earlier (suppressed)";
			return SUB_SKIPPED;
		}
	}
	rc = insert_new(db, cfg, s, u, id);
	if (rc != 0)
		return rc < 0 ? rc : SUB_ADDED;
	return subscriber_known(db, cfg, s, u, id, why);
}

int
subscriber_suppress_hash(struct db *db, const char *hash, time_t at)
{
	return store_suppression_add(db, hash, at);
}

int
subscriber_remove(struct db *db, const char *email, time_t now)
{
	char hash[SUB_HASH_LEN + 1];
	int rc, deleted;

	subscriber_hash(email, hash);
	if ((rc = store_suppression_add(db, hash, now)) < 0)
		return rc;
	if ((deleted = store_sub_delete(db, email)) < 0)
		return deleted;
	/* The log keeps that it happened, not who it was. */
	rc = store_event(db, 0, now, "removed", NULL, "cli", NULL, NULL);
	return rc < 0 ? rc : deleted;
}

static const struct {
	const char	*word;		/* lower case, letters and digits */
	int		 st;		/* enum sub_status_in */
} status_words[] = {
	{ "",			SUB_IN_ACTIVE },
	{ "active",		SUB_IN_ACTIVE },
	{ "subscribed",		SUB_IN_ACTIVE },
	{ "enabled",		SUB_IN_ACTIVE },
	{ "confirmed",		SUB_IN_ACTIVE },
	{ "completed",		SUB_IN_COMPLETED },
	{ "unsubscribed",	SUB_IN_UNSUBSCRIBED },
	{ "cancelled",		SUB_IN_UNSUBSCRIBED },
	{ "canceled",		SUB_IN_UNSUBSCRIBED },
	{ "blocklisted",	SUB_IN_UNSUBSCRIBED },
	{ "blacklisted",	SUB_IN_UNSUBSCRIBED },
	{ "disabled",		SUB_IN_UNSUBSCRIBED },
	{ "optedout",		SUB_IN_UNSUBSCRIBED },
	{ "bounced",		SUB_IN_BOUNCED },
	{ "cleaned",		SUB_IN_BOUNCED },
	{ "complained",		SUB_IN_COMPLAINED },
	{ "spam",		SUB_IN_COMPLAINED },
	{ "removed",		SUB_IN_REMOVED },
	{ "pending",		SUB_IN_NOT_OPTED_IN },
	{ "unconfirmed",	SUB_IN_NOT_OPTED_IN },
	{ "inactive",		SUB_IN_NOT_OPTED_IN },
	{ "transactional",	SUB_IN_NOT_OPTED_IN },
	{ "nonsubscribed",	SUB_IN_NOT_OPTED_IN },
	{ "archived",		SUB_IN_NOT_OPTED_IN },
};

int
subscriber_status_in(const char *value)
{
	char key[32];

	if (str_key(value, key, sizeof(key)) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(status_words); i++)
		if (strcmp(key, status_words[i].word) == 0)
			return status_words[i].st;
	return -1;
}

/* The status and event kind store_suppress() takes for st. */
static enum store_status
stopped_as(int st, const char **kind)
{
	switch (st) {
	case SUB_IN_BOUNCED:
		*kind = "bounce_hard";
		return STORE_BOUNCED;
	case SUB_IN_COMPLAINED:
		*kind = "complaint";
		return STORE_COMPLAINED;
	default:
		*kind = "unsubscribed";
		return STORE_UNSUBSCRIBED;
	}
}

/* A new subscriber who completed the course elsewhere: nothing due. */
static int
add_completed(struct db *db, const struct config *cfg,
    const struct sub_in *s, const struct sub_upsert *u, int64_t *id)
{
	struct sub_upsert course = *u;
	int rc;

	course.list = LIST_COURSE;
	if ((rc = insert_new(db, cfg, s, &course, id)) <= 0)
		return rc;
	if ((rc = store_sub_complete(db, *id, u->now)) < 0)
		return rc;
	rc = store_event(db, *id, u->now, "completed", NULL, u->source, NULL,
	    "imported as completed");
	return rc < 0 ? rc : 1;
}

int
subscriber_import_status(struct db *db, const struct config *cfg,
    const struct sub_in *s, const struct sub_upsert *u, int st, time_t at,
    const char *detail, int64_t *id, const char **why)
{
	char hash[SUB_HASH_LEN + 1];
	enum store_status status;
	const char *kind;
	int rc, added = 0;

	*id = 0;
	if ((rc = subscriber_suppressed(db, s->email)) != 0) {
		if (rc < 0 || st == SUB_IN_REMOVED)
			return rc < 0 ? rc : SUB_UNCHANGED;
		*why = "removed earlier (suppressed)";
		return SUB_SKIPPED;
	}
	if (st == SUB_IN_COMPLETED) {
		if ((rc = add_completed(db, cfg, s, u, id)) != 0)
			return rc < 0 ? rc : SUB_ADDED;
		return subscriber_known(db, cfg, s, u, id, why);
	}
	if ((*id = subscriber_find(db, s->email)) < 0)
		return (int)*id;
	if (st == SUB_IN_REMOVED) {
		subscriber_hash(s->email, hash);
		if ((rc = store_suppression_add(db, hash, at)) < 0)
			return rc;
		if (*id == 0)
			return rc ? SUB_ADDED : SUB_UNCHANGED;
	}
	if (*id == 0) {
		if ((rc = insert_new(db, cfg, s, u, id)) < 0)
			return rc;
		added = 1;
	}
	status = stopped_as(st, &kind);
	rc = store_suppress(db, *id, at, status, kind, u->source, NULL, detail);
	if (rc < 0)
		return rc;
	return added ? SUB_ADDED : rc ? SUB_UPDATED : SUB_UNCHANGED;
}
