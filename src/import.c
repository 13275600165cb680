/*
 * import.c - CSV signups into the database, one transaction per file.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "csv.h"
#include "dripmail.h"
#include "import.h"
#include "log.h"
#include "store.h"
#include "subscriber.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

#define TZ_CACHE	32
/*
 * New subscribers go in IMPORT_BATCH rows per INSERT: executing a
 * statement (opening its cursors on the table and its three indexes) costs
 * more than inserting a row.  Rows wait in a batch, with their raw fields
 * for the reject file, and are reported in file order when it is flushed.
 */
#define IMPORT_BATCH		256
#define IMPORT_PENDING		(2 * IMPORT_BATCH)
#define IMPORT_RAW_MAX		(256 * 1024)

enum pending_state {
	ROW_VALID,
	ROW_INVALID,
	ROW_SUPPRESSED,
	ROW_STATUS,		/* not active: one at a time, in flush() */
	ROW_HASH,		/* a removed address's hash alone */
};

/* A record read but not yet stored or reported. */
struct pending {
	enum pending_state	 state;
	long			 line;
	size_t			 nfields;
	size_t			 raw;		/* its fields in ctx->raw */
	time_t			 first_lesson_at;
	struct import_row	 row;
};

/*
 * Records are read and checked on a thread of their own and handed over in
 * chunks, so that parsing and checking (a fifth of the time) run on one
 * core while SQLite runs on the other.  IMPORT_CHUNKS of them cycle
 * between the two threads: memory stays constant.
 */
#define IMPORT_CHUNKS		3

struct chunk {
	struct pending		 pend[IMPORT_PENDING];
	int			 npend;
	int			 nvalid;
	struct buf		 raw;		/* NUL-separated fields */
};

/* The reading thread hands full chunks over; the writer hands them back. */
struct chunks {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct chunk		*free[IMPORT_CHUNKS];
	int			 nfree;
	struct chunk		*full[IMPORT_CHUNKS];	/* in file order */
	int			 nfull;
	int			 done;		/* the reader has finished */
	int			 abort;		/* the writer has given up */
};

struct import_ctx {
	struct db		*db;
	const struct config	*cfg;
	const struct import_opts *opts;
	struct import_stats	*stats;
	struct csv_reader	*r;
	struct sub_upsert	 up;
	int			 suppressions;	/* any to check against */
	int64_t			 max_id;	/* largest subscribers.id */
	struct store_batch	*ins_batch;	/* IMPORT_BATCH rows */
	struct store_batch	*ins_one;
	FILE			*reject;
	int			 reject_header;

	struct chunks		 q;
	struct chunk		*fill;		/* the reader's */
	struct chunk		*ch;		/* the writer's */
	int			 read_ret;	/* csv_read()'s */

	/* Day 1 per zone: the same for every row of the zone. */
	char			 first_tz[TZ_CACHE][IMPORT_TZ_MAX + 1];
	time_t			 first_at[TZ_CACHE];
	int			 nfirst;
};


/* Copy s without surrounding white space; -1 when it does not fit. */
static int
copy_trimmed(char *dst, size_t size, const char *s)
{
	size_t n;

	if (s == NULL)
		s = "";
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= size)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return (int)n;
}

static int
parse_email(const char *field, struct import_row *row)
{
	const char *why;
	char shown[80];

	if (copy_trimmed(row->email, sizeof(row->email), field) < 0) {
		snprintf(row->reason, sizeof(row->reason),
		    "invalid address: longer than %d characters", ADDR_MAX);
		return ERR_FAIL;
	}
	if (row->email[0] == '\0') {
		snprintf(row->reason, sizeof(row->reason), "no address");
		return ERR_FAIL;
	}
	if (addr_check(row->email, &why) < 0) {
		snprintf(row->reason, sizeof(row->reason),
		    "invalid address '%s': %s",
		    str_escape(row->email, shown, sizeof(shown)), why);
		return ERR_FAIL;
	}
	addr_normalise(row->email);
	return 0;
}

static void
parse_name(const char *first, const char *full, struct import_row *row)
{
	size_t n;

	if (first != NULL)
		copy_trimmed(row->first_name, sizeof(row->first_name), first);
	else if (full != NULL) {
		copy_trimmed(row->first_name, sizeof(row->first_name), full);
		n = strcspn(row->first_name, " \t\r\n");
		while (n > 0 && strchr(",;", row->first_name[n - 1]))
			n--;		/* "Emil, Jr." */
		row->first_name[n] = '\0';
	}
	subscriber_clean_name(row->first_name);
}

static void
parse_tz(const char *field, struct import_row *row)
{
	char shown[80];

	if (copy_trimmed(row->timezone, sizeof(row->timezone), field) < 0 ||
	    (row->timezone[0] != '\0' && !tz_valid(row->timezone))) {
		snprintf(row->warning[row->nwarning++],
		    sizeof(row->warning[0]), "unknown timezone '%s': using "
		    "the default", str_escape(field, shown, sizeof(shown)));
		row->timezone[0] = '\0';
	}
}

/*
 * Google Forms' Timestamp, "M/D/YYYY H:MM:SS" (D/M/YYYY when the first
 * number cannot be a month), read as UTC like the other forms: rewritten
 * as ISO 8601 into iso.  0 or ERR_FAIL.
 */
static int
slash_date(const char *s, char *iso, size_t size)
{
	int a, b, y, h, mi, sec = 0, n = 0;

	if (sscanf(s, "%2d/%2d/%4d %2d:%2d%n:%2d%n", &a, &b, &y, &h, &mi, &n,
	    &sec, &n) < 5 || s[n] != '\0' || y < 1000)
		return ERR_FAIL;
	if (a > 12 && b <= 12) {
		int t = a;

		a = b;
		b = t;
	}
	if (a < 1 || b < 1 || h < 0 || mi < 0 || sec < 0)
		return ERR_FAIL;
	snprintf(iso, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, a, b, h, mi,
	    sec);
	return 0;
}

/*
 * A signup time: ISO 8601, a date alone (midnight UTC), or Google Forms'
 * M/D/YYYY H:MM:SS.  Not before 1970, and not after now (a clock or a
 * zone gone wrong): such a time is replaced by now, with a warning.
 */
static void
parse_date(const char *field, time_t now, struct import_row *row)
{
	char s[64], iso[96], shown[80];
	const char *pre = "signup time", *why = NULL;
	int n;

	row->signed_up_at = now;
	n = copy_trimmed(s, sizeof(s), field);
	if (n == 0)
		return;
	if (n == 10 && s[4] == '-' && s[7] == '-')
		memcpy(s + 10, "T00:00", 7);	/* a date alone: midnight */
	if (n < 0 || (time_parse_iso(s, &row->signed_up_at) < 0 &&
	    (slash_date(s, iso, sizeof(iso)) < 0 ||
	    time_parse_iso(iso, &row->signed_up_at) < 0)))
		pre = "cannot read signup time", why = " (expected ISO 8601, "
		    "YYYY-MM-DD HH:MM:SS or M/D/YYYY H:MM:SS)";
	else if (row->signed_up_at < 0)
		why = " is before 1970";
	else if (row->signed_up_at > now)
		why = " is in the future";
	if (why == NULL)
		return;
	snprintf(row->warning[row->nwarning++], sizeof(row->warning[0]),
	    "%s '%s'%s: using now", pre, str_escape(field, shown,
	    sizeof(shown)), why);
	row->signed_up_at = now;
}

/* 1 when a field holds more than white space. */
static int
has_value(const char *field)
{
	for (; field != NULL && *field; field++)
		if (!isspace((unsigned char)*field))
			return 1;
	return 0;
}

/* A time from the file, or dflt when there is none it can read. */
static time_t
field_time(const char *field, time_t dflt)
{
	char s[64];
	time_t t;

	if (field == NULL || copy_trimmed(s, sizeof(s), field) <= 0 ||
	    time_parse_iso(s, &t) < 0)
		return dflt;
	return t;
}

/*
 * The row's status: the status column, else Kit's state when it holds a
 * status word (a postal state is no status), else a Mailchimp unsubscribed
 * or cleaned export's UNSUB_TIME or CLEAN_TIME.
 */
static int
parse_status(const struct csv_reader *r, const struct csv_record *rec,
    time_t now, struct import_row *row)
{
	const char *v = csv_get(r, rec, CSV_COL_STATUS), *t = NULL;
	char shown[80];
	int st;

	row->status_word[0] = '\0';
	if (v != NULL && copy_trimmed(row->status_word,
	    sizeof(row->status_word), v) < 0) {
		snprintf(row->reason, sizeof(row->reason), "status too long");
		return ERR_FAIL;
	}
	st = subscriber_status_in(row->status_word);
	if (st < 0) {
		snprintf(row->reason, sizeof(row->reason), "unknown status '%s'",
		    str_escape(row->status_word, shown, sizeof(shown)));
		return ERR_FAIL;
	}
	v = csv_get(r, rec, CSV_COL_STATE);
	if (row->status_word[0] == '\0' && v != NULL &&
	    copy_trimmed(row->status_word, sizeof(row->status_word), v) > 0) {
		st = subscriber_status_in(row->status_word);
		if (st < 0) {
			st = SUB_IN_ACTIVE;
			row->status_word[0] = '\0';
		}
	}
	if (row->status_word[0] == '\0' && has_value(t = csv_get(r, rec,
	    CSV_COL_UNSUB_TIME))) {
		st = SUB_IN_UNSUBSCRIBED;
		snprintf(row->status_word, sizeof(row->status_word),
		    "unsubscribed");
	} else if (row->status_word[0] == '\0' && has_value(t = csv_get(r,
	    rec, CSV_COL_CLEAN_TIME))) {
		st = SUB_IN_BOUNCED;
		snprintf(row->status_word, sizeof(row->status_word), "cleaned");
	} else
		t = NULL;
	row->status = st;
	row->status_at = field_time(csv_get(r, rec, CSV_COL_STATUS_AT),
	    field_time(t, now));
	return 0;
}

static void
row_reset(struct import_row *row, time_t now)
{
	row->status = SUB_IN_ACTIVE;
	row->status_word[0] = row->hash[0] = '\0';
	row->status_at = now;
	row->email[0] = row->first_name[0] = row->timezone[0] = '\0';
	row->reason[0] = '\0';
	row->nwarning = 0;
	row->signed_up_at = now;
}

int
import_row_parse(const struct csv_reader *r, const struct csv_record *rec,
    time_t now, struct import_row *row)
{
	row_reset(row, now);
	if (rec->error != NULL) {
		snprintf(row->reason, sizeof(row->reason), "%s", rec->error);
		return ERR_FAIL;
	}
	if (parse_email(csv_get(r, rec, CSV_COL_EMAIL), row) < 0)
		return ERR_FAIL;
	parse_name(csv_get(r, rec, CSV_COL_FIRST_NAME),
	    csv_get(r, rec, CSV_COL_NAME), row);
	parse_tz(csv_get(r, rec, CSV_COL_TIMEZONE), row);
	parse_date(csv_get(r, rec, CSV_COL_SIGNED_UP), now, row);
	return parse_status(r, rec, now, row);
}

/* The reject file's header: the file's own, and a reason column. */
static void
reject_header(struct import_ctx *c, const struct csv_reader *r)
{
	if (c->reject == NULL || c->reject_header || r->nheader == 0)
		return;
	c->reject_header = 1;
	for (size_t i = 0; i < r->nheader; i++) {
		csv_write_field(c->reject, r->header[i]);
		fputc(',', c->reject);
	}
	fputs("reason\r\n", c->reject);
}

/* Report a pending row as not stored: on stderr and in the reject file. */
static void
reject_row(struct import_ctx *c, const struct csv_reader *r,
    const struct pending *p, const char *reason)
{
	const char *f = c->ch->raw.data + p->raw;

	log_warnx("%s:%ld: %s", r->name, p->line, reason);
	if (c->reject == NULL)
		return;
	reject_header(c, r);
	for (size_t i = 0; i < p->nfields; i++) {
		csv_write_field(c->reject, f);
		fputc(',', c->reject);
		f += strlen(f) + 1;
	}
	for (size_t i = p->nfields; i < r->nheader; i++)
		fputc(',', c->reject);
	csv_write_field(c->reject, reason);
	fputs("\r\n", c->reject);
}

static time_t
first_lesson(struct import_ctx *c, const char *tz)
{
	time_t t;

	if (c->up.list != LIST_COURSE)
		return c->up.now;
	for (int i = 0; i < c->nfirst; i++)
		if (strcmp(c->first_tz[i], tz) == 0)
			return c->first_at[i];
	t = subscriber_first_lesson_at(c->cfg, tz[0] ? tz : NULL, 0,
	    c->up.now);
	if (c->nfirst < TZ_CACHE) {
		memcpy(c->first_tz[c->nfirst], tz, strlen(tz) + 1);
		c->first_at[c->nfirst++] = t;
	}
	return t;
}

static void
sub_in_of(const struct import_row *row, struct sub_in *in)
{
	in->email = row->email;
	in->first_name = row->first_name;
	in->timezone = row->timezone[0] ? row->timezone : NULL;
	in->signed_up_at = row->signed_up_at;
}

/*
 * Insert the valid pending rows, IMPORT_BATCH at a time (the rest one by
 * one), ON CONFLICT DO NOTHING.  Returns how many were inserted, or ERR_*.
 */
static int
insert_pending(struct import_ctx *c)
{
	struct chunk *ch = c->ch;
	struct sub_in in[IMPORT_BATCH];
	time_t first[IMPORT_BATCH];
	int i = 0, m, n, inserted = 0;

	while (i < ch->npend) {
		m = ch->nvalid - inserted >= IMPORT_BATCH ? IMPORT_BATCH : 1;
		for (n = 0; n < m; i++) {
			if (ch->pend[i].state != ROW_VALID)
				continue;
			sub_in_of(&ch->pend[i].row, &in[n]);
			first[n] = ch->pend[i].first_lesson_at;
			n++;
		}
		n = store_batch_add(m == IMPORT_BATCH ? c->ins_batch :
		    c->ins_one, in, first, &c->up, &c->max_id);
		if (n < 0)
			return n;
		inserted += n;
		while (i < ch->npend && ch->pend[i].state != ROW_VALID)
			i++;
	}
	return inserted;
}

/*
 * Count what a row did (an enum sub_result, or ERR_*); a skipped row is
 * reported with why.  0 or ERR_*.
 */
static int
tally(struct import_ctx *c, const struct csv_reader *r,
    const struct pending *p, int ret, const char *why)
{
	char reason[160];

	switch (ret) {
	case SUB_ADDED:
		c->stats->added++;
		break;
	case SUB_UPDATED:
		c->stats->updated++;
		break;
	case SUB_UNCHANGED:
		c->stats->unchanged++;
		break;
	case SUB_SKIPPED:
		c->stats->skipped++;
		snprintf(reason, sizeof(reason), "skipped: %s", why);
		reject_row(c, r, p, reason);
		break;
	case SUB_DUPLICATE:
		c->stats->skipped++;
		reject_row(c, r, p, "skipped: duplicate of an earlier row");
		break;
	default:
		return ret < 0 ? ret : ERR_FAIL;
	}
	return 0;
}

/*
 * What a valid row did when not all rows of the batch were inserted.  Rows
 * get increasing ids in order, so a row whose subscriber is newer than
 * *last (the newest claimed so far) was added by this row; one added by
 * this file but not newer is a duplicate.
 */
static int
classify(struct import_ctx *c, const struct csv_reader *r,
    const struct pending *p, int64_t *last)
{
	struct sub_in in;
	const char *why = NULL;
	int64_t id;
	int ret;

	sub_in_of(&p->row, &in);
	ret = subscriber_known(c->db, c->cfg, &in, &c->up, &id, &why);
	if (ret == SUB_DUPLICATE && id > *last) {
		*last = id;
		ret = SUB_ADDED;
	}
	return tally(c, r, p, ret, why);
}

/*
 * A row whose status is not active (see subscriber_import_status()), or
 * a removed address's hash.  *last as in classify(): raised past a
 * subscriber this row added.
 */
static int
store_status(struct import_ctx *c, const struct csv_reader *r,
    const struct pending *p, int64_t *last)
{
	struct sub_in in;
	const char *why = NULL;
	char detail[PATH_MAX + 96], reason[96];
	int64_t id = 0;
	int ret;

	snprintf(detail, sizeof(detail), "status '%s' in %s:%ld",
	    p->row.status_word, r->name, p->line);
	if (p->state == ROW_HASH) {
		ret = subscriber_suppress_hash(c->db, p->row.hash,
		    p->row.status_at);
		ret = ret < 0 ? ret : ret ? SUB_ADDED : SUB_UNCHANGED;
	} else if (p->row.status == SUB_IN_NOT_OPTED_IN) {
		ret = SUB_SKIPPED;
		why = "not opted in";
	} else {
		sub_in_of(&p->row, &in);
		ret = subscriber_import_status(c->db, c->cfg, &in, &c->up,
		    p->row.status, p->row.status_at, detail, &id, &why);
	}
	if (ret == SUB_ADDED && id > c->max_id)
		c->max_id = *last = id;
	if (ret == SUB_SKIPPED) {
		snprintf(reason, sizeof(reason), "%s (status '%s')", why,
		    p->row.status_word);
		why = reason;
	}
	return tally(c, r, p, ret, why);
}

/*
 * The checks that need the database or the timezone (which only this
 * thread sets): a suppressed address, and when Day 1 is due.
 */
static int
settle(struct import_ctx *c)
{
	struct chunk *ch = c->ch;
	int rc;

	for (int i = 0; i < ch->npend; i++) {
		struct pending *p = &ch->pend[i];

		if (p->state != ROW_VALID)
			continue;
		if (c->suppressions &&
		    (rc = subscriber_suppressed(c->db, p->row.email)) != 0) {
			if (rc < 0)
				return rc;
			p->state = ROW_SUPPRESSED;
			ch->nvalid--;
		} else
			p->first_lesson_at = first_lesson(c, p->row.timezone);
	}
	return 0;
}

/* Store the chunk's rows and report each, in file order. */
static int
flush(struct import_ctx *c, const struct csv_reader *r)
{
	struct chunk *ch = c->ch;
	int64_t last = c->max_id;
	int inserted, ret;

	if (ch->npend == 0)
		return 0;
	if ((ret = settle(c)) < 0)
		return ret;
	inserted = ch->nvalid > 0 ? insert_pending(c) : 0;
	if (inserted < 0)
		return inserted;
	for (int i = 0; i < ch->npend; i++) {
		struct pending *p = &ch->pend[i];

		for (int w = 0; w < p->row.nwarning; w++)
			log_warnx("%s:%ld: %s", r->name, p->line,
			    p->row.warning[w]);
		switch (p->state) {
		case ROW_INVALID:
			c->stats->invalid++;
			reject_row(c, r, p, p->row.reason);
			break;
		case ROW_SUPPRESSED:
			c->stats->skipped++;
			reject_row(c, r, p,
			    "skipped: removed earlier (suppressed)");
			break;
		case ROW_VALID:
			if (inserted == ch->nvalid)
				c->stats->added++;
			else if ((ret = classify(c, r, p, &last)) < 0)
				return ret;
			break;
		case ROW_STATUS:
		case ROW_HASH:
			if ((ret = store_status(c, r, p, &last)) < 0)
				return ret;
			break;
		}
	}
	return 0;
}

/*
 * Chunk hand-over: wait for one in list.  NULL when *stop is set and the
 * list is empty, or at once when *stop is set and give_up is.
 */
static struct chunk *
chunk_take(struct chunks *q, struct chunk **list, int *n, const int *stop,
    int give_up)
{
	struct chunk *ch = NULL;

	pthread_mutex_lock(&q->mu);
	while (*n == 0 && !*stop)
		pthread_cond_wait(&q->cv, &q->mu);
	if (*n > 0 && !(*stop && give_up)) {
		ch = list[0];
		memmove(list, list + 1, (size_t)--*n * sizeof(*list));
	}
	pthread_mutex_unlock(&q->mu);
	return ch;
}

static void
chunk_give(struct chunks *q, struct chunk **list, int *n, struct chunk *ch)
{
	pthread_mutex_lock(&q->mu);
	list[(*n)++] = ch;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Reader: hand the chunk being filled to the writer. */
static void
chunk_pass(struct import_ctx *c)
{
	if (c->fill == NULL)
		return;
	chunk_give(&c->q, c->q.full, &c->q.nfull, c->fill);
	c->fill = NULL;
}

/*
 * A row of a suppression list (import --suppressed): every one stops mail,
 * unsubscribed when it says nothing else; a removed address may come as
 * its hash alone (subscribers export --suppressed).
 */
static enum pending_state
suppression_row(const struct csv_reader *r, const struct csv_record *rec,
    time_t now, struct import_row *row)
{
	const char *hash = csv_get(r, rec, CSV_COL_HASH);
	char shown[80];
	int n;

	if (rec->error != NULL || has_value(csv_get(r, rec, CSV_COL_EMAIL)) ||
	    !has_value(hash)) {
		if (import_row_parse(r, rec, now, row) < 0)
			return ROW_INVALID;
		if (row->status_word[0] == '\0') {
			row->status = SUB_IN_UNSUBSCRIBED;
			snprintf(row->status_word, sizeof(row->status_word),
			    "unsubscribed");
		}
		if (row->status != SUB_IN_ACTIVE &&
		    row->status != SUB_IN_COMPLETED &&
		    row->status != SUB_IN_NOT_OPTED_IN)
			return ROW_STATUS;
		snprintf(row->reason, sizeof(row->reason), "not a suppression:"
		    " status '%s'", str_escape(row->status_word, shown,
		    sizeof(shown)));
		return ROW_INVALID;
	}
	row_reset(row, now);
	if (parse_status(r, rec, now, row) < 0)
		return ROW_INVALID;
	n = copy_trimmed(row->hash, sizeof(row->hash), hash);
	if (n != SUB_HASH_LEN || strspn(row->hash, "0123456789abcdefABCDEF") !=
	    SUB_HASH_LEN) {
		snprintf(row->reason, sizeof(row->reason), "no address, and "
		    "address_sha256 is not 64 hexadecimal digits");
		return ROW_INVALID;
	}
	for (char *h = row->hash; *h; h++)
		*h = (char)tolower((unsigned char)*h);
	if (row->status_word[0] != '\0' && row->status != SUB_IN_REMOVED) {
		snprintf(row->reason, sizeof(row->reason), "no address: only "
		    "a removed one comes as its hash alone");
		return ROW_INVALID;
	}
	return ROW_HASH;
}

static int
on_record(struct csv_reader *r, struct csv_record *rec, void *arg)
{
	struct import_ctx *c = arg;
	struct chunk *ch;
	struct pending *p;

	if (c->fill == NULL) {
		c->fill = chunk_take(&c->q, c->q.free, &c->q.nfree,
		    &c->q.abort, 1);
		if (c->fill == NULL)
			return ERR_FAIL;	/* the writer gave up */
		c->fill->npend = c->fill->nvalid = 0;
		buf_reset(&c->fill->raw);
	}
	ch = c->fill;
	p = &ch->pend[ch->npend++];
	p->line = rec->line;
	p->nfields = rec->nfields;
	p->raw = ch->raw.len;
	for (size_t i = 0; i < rec->nfields; i++)
		buf_add(&ch->raw, rec->fields[i], rec->lens[i] + 1);
	if (c->opts->suppressed)
		p->state = suppression_row(r, rec, c->up.now, &p->row);
	else if (import_row_parse(r, rec, c->up.now, &p->row) < 0)
		p->state = ROW_INVALID;
	else
		p->state = p->row.status == SUB_IN_ACTIVE ? ROW_VALID :
		    ROW_STATUS;
	if (p->state == ROW_VALID)
		ch->nvalid++;
	if (ch->nvalid == IMPORT_BATCH || ch->npend == IMPORT_PENDING ||
	    ch->raw.len > IMPORT_RAW_MAX)
		chunk_pass(c);
	return 0;
}

/* The reading thread: the whole file, then what is left, then done. */
static void *
reader(void *arg)
{
	struct import_ctx *c = arg;

	c->read_ret = csv_read(c->r, on_record, c);
	chunk_pass(c);
	pthread_mutex_lock(&c->q.mu);
	c->q.done = 1;
	pthread_cond_broadcast(&c->q.cv);
	pthread_mutex_unlock(&c->q.mu);
	return NULL;
}

/*
 * Store the chunks in file order as the reader fills them.  After an
 * error, go on taking them (not storing) until the reader stops.
 */
static int
write_chunks(struct import_ctx *c)
{
	int ret = 0;

	while ((c->ch = chunk_take(&c->q, c->q.full, &c->q.nfull,
	    &c->q.done, 0)) != NULL) {
		if (ret == 0 && (ret = flush(c, c->r)) < 0) {
			pthread_mutex_lock(&c->q.mu);
			c->q.abort = 1;
			pthread_cond_broadcast(&c->q.cv);
			pthread_mutex_unlock(&c->q.mu);
		}
		chunk_give(&c->q, c->q.free, &c->q.nfree, c->ch);
	}
	c->ch = NULL;
	return ret;
}

/* One "import" event for the file, with its counts. */
static int
log_import(struct import_ctx *c, const struct csv_reader *r)
{
	const struct import_stats *st = c->stats;
	char detail[PATH_MAX + 160];

	snprintf(detail, sizeof(detail), "%s: added %ld, updated %ld, "
	    "unchanged %ld, skipped %ld, invalid %ld (%s)", r->name,
	    st->added, st->updated, st->unchanged, st->skipped, st->invalid,
	    c->up.list == LIST_COURSE ? "course" : "waitlist");
	return store_event(c->db, 0, c->up.now, "import", NULL, "import",
	    NULL, detail);
}

static int
import_run(struct import_ctx *c, struct csv_reader *r)
{
	int64_t before, suppressed;
	pthread_t t;
	int ret;

	before = store_sub_max_id(c->db);
	suppressed = store_suppression_any(c->db);
	if (before < 0 || suppressed < 0)
		return (int)(before < 0 ? before : suppressed);
	c->up.fresh_above = c->max_id = before;
	c->suppressions = suppressed > 0;
	c->ins_batch = store_batch_new(c->db, IMPORT_BATCH);
	c->ins_one = store_batch_new(c->db, 1);
	if (c->ins_batch == NULL || c->ins_one == NULL)
		return ERR_FAIL;
	c->r = r;
	if (pthread_create(&t, NULL, reader, c) != 0)
		fatalx("cannot start the reading thread");
	/* What was read before a broken line is still reported. */
	ret = write_chunks(c);
	pthread_join(t, NULL);
	if (ret == 0)
		ret = c->read_ret;
	reject_header(c, r);
	if (ret == 0)
		ret = log_import(c, r);
	return ret;
}

/* The whole import in one transaction (store_bulk_begin()). */
static int
import_txn(struct import_ctx *c, struct csv_reader *r)
{
	struct db *db = c->db;
	int tuned, ret;

	if ((ret = store_bulk_begin(db, &tuned)) == 0) {
		ret = import_run(c, r);
		store_batch_free(c->ins_batch);
		store_batch_free(c->ins_one);
		c->ins_batch = c->ins_one = NULL;
		if (ret < 0 || c->opts->dry_run)
			store_rollback(db);
		else if ((ret = store_commit(db)) < 0)
			store_rollback(db);
	}
	store_bulk_end(db, tuned);
	return ret;
}

int
import_csv(struct db *db, const struct config *cfg, struct csv_reader *r,
    const struct import_opts *o, struct import_stats *stats)
{
	struct import_ctx *c;
	int ret;

	memset(stats, 0, sizeof(*stats));
	c = xcalloc(1, sizeof(*c));
	c->db = db;
	c->cfg = cfg;
	c->opts = o;
	c->stats = stats;
	c->up.list = o->list;
	c->up.now = time(NULL);
	c->up.source = "import";
	if (o->reject_path && (c->reject = fopen(o->reject_path, "w")) ==
	    NULL) {
		log_warn("cannot write '%s'", o->reject_path);
		free(c);
		return ERR_FAIL;
	}
	pthread_mutex_init(&c->q.mu, NULL);
	pthread_cond_init(&c->q.cv, NULL);
	for (int i = 0; i < IMPORT_CHUNKS; i++) {
		c->q.free[c->q.nfree++] = xcalloc(1, sizeof(struct chunk));
		buf_init(&c->q.free[i]->raw, BUF_NOLIMIT);
	}
	ret = import_txn(c, r);
	/* Every chunk is back: the reader has been joined. */
	for (int i = 0; i < c->q.nfree; i++) {
		buf_release(&c->q.free[i]->raw);
		free(c->q.free[i]);
	}
	pthread_mutex_destroy(&c->q.mu);
	pthread_cond_destroy(&c->q.cv);
	if (c->reject && fclose(c->reject) != 0 && ret == 0) {
		log_warn("cannot write '%s'", o->reject_path);
		ret = ERR_FAIL;
	}
	free(c);
	return ret;
}
