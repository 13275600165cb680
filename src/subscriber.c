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
#include <sqlite3.h>

#include "buf.h"
#include "db.h"
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
	sqlite3_stmt *st;
	int rc;

	st = db_stmt(db, "SELECT 1 FROM suppressions WHERE hash = ?");
	if (st == NULL)
		return ERR_FAIL;
	subscriber_hash(email, hash);
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	rc = db_step(db, st, "find suppression");
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	return rc == SQLITE_ROW;
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
	struct sched_sub s = { tz, now, 0, 0, waitlist_at };
	struct sched_msg day1 = { 1, 0, 0 };

	return sched_due(cfg, &s, &day1, now);
}

int
subscriber_enrol(struct db *db, const struct config *cfg, int64_t id,
    time_t now, const char *source)
{
	sqlite3_stmt *st;
	char *tz = NULL;
	time_t waitlist_at = 0;
	int rc, changed;

	st = db_stmt(db, "SELECT timezone, waitlist_at FROM subscribers"
	    " WHERE id = ?");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step(db, st, "find subscriber");
	if (rc == SQLITE_ROW) {
		tz = db_column_strdup(st, 0);
		waitlist_at = (time_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc < 0 ? rc : 0;
	st = db_stmt(db, "UPDATE subscribers SET course_at = ?,"
	    " next_lesson_at = ?, updated_at = ?"
	    " WHERE id = ? AND course_at IS NULL AND status = 'active'");
	if (st == NULL) {
		free(tz);
		return ERR_FAIL;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2,
	    (sqlite3_int64)subscriber_first_lesson_at(cfg, tz, waitlist_at,
	    now));
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 4, id);
	free(tz);
	rc = db_step(db, st, "enrol subscriber");
	changed = sqlite3_changes(db->sql);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	if (!changed)
		return 0;
	rc = db_event(db, id, now, "enrolled", NULL, source, NULL, NULL);
	return rc < 0 ? rc : 1;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL && *s != '\0')
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* The insert, one row per VALUES group: see subscriber_insert_prepare(). */
#define SUB_INSERT	"INSERT INTO subscribers (email, first_name," \
	" timezone, signed_up_at, waitlist_at, course_at, next_lesson_at," \
	" created_at, updated_at) VALUES "
#define SUB_INSERT_ROW	"(?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define SUB_INSERT_COLS	9
#define SUB_INSERT_END	" ON CONFLICT (email) DO NOTHING"

sqlite3_stmt *
subscriber_insert_prepare(struct db *db, int n)
{
	struct buf b;
	sqlite3_stmt *st = NULL;

	buf_init(&b, BUF_NOLIMIT);
	buf_addstr(&b, SUB_INSERT);
	for (int i = 0; i < n; i++) {
		if (i > 0)
			buf_addstr(&b, ", ");
		buf_addstr(&b, SUB_INSERT_ROW);
	}
	buf_addstr(&b, SUB_INSERT_END);
	if (sqlite3_prepare_v3(db->sql, b.data, -1,
	    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: cannot prepare the subscriber insert: %s",
		    db->path, sqlite3_errmsg(db->sql));
		st = NULL;
	}
	buf_release(&b);
	return st;
}

void
subscriber_insert_bind(sqlite3_stmt *st, int row, const struct sub_in *s,
    const struct sub_upsert *u, time_t first_lesson_at)
{
	int i = row * SUB_INSERT_COLS;

	sqlite3_bind_text(st, i + 1, s->email, -1, SQLITE_STATIC);
	bind_opt(st, i + 2, s->first_name);
	bind_opt(st, i + 3, s->timezone);
	sqlite3_bind_int64(st, i + 4, (sqlite3_int64)s->signed_up_at);
	if (u->list == LIST_COURSE) {
		sqlite3_bind_null(st, i + 5);
		sqlite3_bind_int64(st, i + 6, (sqlite3_int64)u->now);
		sqlite3_bind_int64(st, i + 7, (sqlite3_int64)first_lesson_at);
	} else {
		sqlite3_bind_int64(st, i + 5, (sqlite3_int64)u->now);
		sqlite3_bind_null(st, i + 6);
		sqlite3_bind_null(st, i + 7);
	}
	sqlite3_bind_int64(st, i + 8, (sqlite3_int64)u->now);
	sqlite3_bind_int64(st, i + 9, (sqlite3_int64)u->now);
}

/* 1 and *id when s was inserted, 0 when the address is known, or ERR_*. */
static int
insert_new(struct db *db, const struct config *cfg, const struct sub_in *s,
    const struct sub_upsert *u, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	st = db_stmt(db, SUB_INSERT SUB_INSERT_ROW SUB_INSERT_END);
	if (st == NULL)
		return ERR_FAIL;
	subscriber_insert_bind(st, 0, s, u, u->list == LIST_COURSE ?
	    subscriber_first_lesson_at(cfg, s->timezone, 0, u->now) : 0);
	rc = db_step(db, st, "add subscriber");
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	if (sqlite3_changes(db->sql) == 0)
		return 0;
	*id = sqlite3_last_insert_rowid(db->sql);
	if ((rc = db_event(db, *id, u->now, "subscribed", NULL, u->source,
	    NULL, u->list == LIST_COURSE ? "course" : "waitlist")) < 0)
		return rc;
	return 1;
}

/* Fill in what a known subscriber lacks.  SUB_UPDATED/UNCHANGED or ERR_*. */
static int
merge(struct db *db, const struct config *cfg, const struct sub_in *s,
    const struct sub_upsert *u, int64_t id, int on_waitlist, int on_course)
{
	sqlite3_stmt *st;
	int rc, changed = 0;

	st = db_stmt(db, "UPDATE subscribers SET"
	    " first_name = coalesce(nullif(first_name, ''), ?1),"
	    " timezone = coalesce(timezone, ?2),"
	    " waitlist_at = CASE WHEN ?3 THEN ?4 ELSE waitlist_at END,"
	    " updated_at = ?4 WHERE id = ?5 AND"
	    " ((?1 IS NOT NULL AND coalesce(first_name, '') = '')"
	    " OR (?2 IS NOT NULL AND timezone IS NULL) OR ?3)");
	if (st == NULL)
		return ERR_FAIL;
	bind_opt(st, 1, s->first_name);
	bind_opt(st, 2, s->timezone);
	/* The course implies the waitlist is behind them. */
	sqlite3_bind_int(st, 3, u->list == LIST_WAITLIST && !on_waitlist &&
	    !on_course);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)u->now);
	sqlite3_bind_int64(st, 5, id);
	rc = db_step(db, st, "update subscriber");
	changed = sqlite3_changes(db->sql) > 0;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	if (changed && (rc = db_event(db, id, u->now, "updated", NULL,
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
	sqlite3_stmt *st;
	char status[16];
	int rc, on_waitlist, on_course;

	st = db_stmt(db, "SELECT id, status, waitlist_at IS NOT NULL,"
	    " course_at IS NOT NULL FROM subscribers WHERE email = ?");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_text(st, 1, s->email, -1, SQLITE_STATIC);
	rc = db_step(db, st, "find subscriber");
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		log_warnx("%s: subscriber vanished", s->email);
		return rc < 0 ? rc : ERR_FAIL;
	}
	*id = sqlite3_column_int64(st, 0);
	snprintf(status, sizeof(status), "%s", sqlite3_column_text(st, 1));
	on_waitlist = sqlite3_column_int(st, 2);
	on_course = sqlite3_column_int(st, 3);
	sqlite3_reset(st);
	if (*id > u->fresh_above)
		return SUB_DUPLICATE;
	if (strcmp(status, "unsubscribed") == 0 ||
	    strcmp(status, "bounced") == 0 ||
	    strcmp(status, "complained") == 0) {
		*why = strcmp(status, "unsubscribed") == 0 ? "unsubscribed" :
		    strcmp(status, "bounced") == 0 ? "bounced" : "complained";
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
	sqlite3_stmt *st;
	int rc, added;

	st = db_stmt(db, "INSERT INTO suppressions (hash, reason, created_at)"
	    " VALUES (?, 'removed', ?) ON CONFLICT (hash) DO NOTHING");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)at);
	rc = db_step(db, st, "add suppression");
	added = sqlite3_changes(db->sql) > 0;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	return added;
}

int
subscriber_remove(struct db *db, const char *email, time_t now)
{
	char hash[SUB_HASH_LEN + 1];
	sqlite3_stmt *st;
	int rc, deleted;

	subscriber_hash(email, hash);
	if ((rc = subscriber_suppress_hash(db, hash, now)) < 0)
		return rc;
	st = db_stmt(db, "DELETE FROM subscribers WHERE email = ?");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
	rc = db_step(db, st, "remove subscriber");
	deleted = sqlite3_changes(db->sql) > 0;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	/* The log keeps that it happened, not who it was. */
	rc = db_event(db, 0, now, "removed", NULL, "cli", NULL, NULL);
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

/* The status and event kind db_suppress() takes for st. */
static void
stopped_as(int st, const char **status, const char **kind)
{
	switch (st) {
	case SUB_IN_BOUNCED:
		*status = "bounced";
		*kind = "bounce_hard";
		break;
	case SUB_IN_COMPLAINED:
		*status = "complained";
		*kind = "complaint";
		break;
	default:
		*status = *kind = "unsubscribed";
	}
}

/* A new subscriber who completed the course elsewhere: nothing due. */
static int
store_completed(struct db *db, const struct config *cfg,
    const struct sub_in *s, const struct sub_upsert *u, int64_t *id)
{
	struct sub_upsert course = *u;
	sqlite3_stmt *st;
	int rc;

	course.list = LIST_COURSE;
	if ((rc = insert_new(db, cfg, s, &course, id)) <= 0)
		return rc;
	st = db_stmt(db, "UPDATE subscribers SET status = 'completed',"
	    " status_at = ?1, status_reason = 'import', next_lesson_at = NULL,"
	    " updated_at = ?1 WHERE id = ?2");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)u->now);
	sqlite3_bind_int64(st, 2, *id);
	rc = db_step(db, st, "complete subscriber");
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc < 0 ? rc : ERR_FAIL;
	rc = db_event(db, *id, u->now, "completed", NULL, u->source, NULL,
	    "imported as completed");
	return rc < 0 ? rc : 1;
}

int
subscriber_import_status(struct db *db, const struct config *cfg,
    const struct sub_in *s, const struct sub_upsert *u, int st, time_t at,
    const char *detail, int64_t *id, const char **why)
{
	char hash[SUB_HASH_LEN + 1];
	const char *status, *kind;
	int rc, added = 0;

	*id = 0;
	if ((rc = subscriber_suppressed(db, s->email)) != 0) {
		if (rc < 0 || st == SUB_IN_REMOVED)
			return rc < 0 ? rc : SUB_UNCHANGED;
		*why = "removed earlier (suppressed)";
		return SUB_SKIPPED;
	}
	if (st == SUB_IN_COMPLETED) {
		if ((rc = store_completed(db, cfg, s, u, id)) != 0)
			return rc < 0 ? rc : SUB_ADDED;
		return subscriber_known(db, cfg, s, u, id, why);
	}
	if ((*id = subscriber_find(db, s->email)) < 0)
		return (int)*id;
	if (st == SUB_IN_REMOVED) {
		subscriber_hash(s->email, hash);
		if ((rc = subscriber_suppress_hash(db, hash, at)) < 0)
			return rc;
		if (*id == 0)
			return rc ? SUB_ADDED : SUB_UNCHANGED;
	}
	if (*id == 0) {
		if ((rc = insert_new(db, cfg, s, u, id)) < 0)
			return rc;
		added = 1;
	}
	stopped_as(st, &status, &kind);
	rc = db_suppress(db, *id, at, status, kind, u->source, NULL, detail);
	if (rc < 0)
		return rc;
	return added ? SUB_ADDED : rc ? SUB_UPDATED : SUB_UNCHANGED;
}
