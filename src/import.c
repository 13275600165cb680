/*
 * import.c - CSV signups into the database, one transaction per file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "addr.h"
#include "csv.h"
#include "db.h"
#include "dripmail.h"
#include "import.h"
#include "log.h"
#include "subscriber.h"
#include "util.h"
#include "xmalloc.h"

#define TZ_CACHE	32
/* A page cache large enough for a million-row import (KiB, negative). */
#define IMPORT_CACHE_KIB	"-262144"

struct import_ctx {
	struct db		*db;
	const struct config	*cfg;
	const struct import_opts *opts;
	struct import_stats	*stats;
	struct sub_upsert	 up;
	FILE			*reject;
	int			 reject_header;
	struct import_row	 row;
};

/* Zones already found valid: tz_valid() stats a file every time. */
static char tz_cache[TZ_CACHE][IMPORT_TZ_MAX + 1];
static int tz_ncache;

static int
tz_known(const char *tz)
{
	for (int i = 0; i < tz_ncache; i++)
		if (strcmp(tz_cache[i], tz) == 0)
			return 1;
	if (!tz_valid(tz))
		return 0;
	if (tz_ncache < TZ_CACHE)
		snprintf(tz_cache[tz_ncache++], IMPORT_TZ_MAX + 1, "%s", tz);
	return 1;
}

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

/* s made printable for a message: control characters become '?'. */
static const char *
printable(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
	return out;
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
		    printable(row->email, shown, sizeof(shown)), why);
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
parse_tz(const struct csv_reader *r, const struct csv_record *rec,
    const char *field, struct import_row *row)
{
	char shown[80];

	if (copy_trimmed(row->timezone, sizeof(row->timezone), field) < 0 ||
	    (row->timezone[0] != '\0' && !tz_known(row->timezone))) {
		log_warnx("%s:%ld: unknown timezone '%s': using the default",
		    r->name, rec->line, printable(field, shown,
		    sizeof(shown)));
		row->timezone[0] = '\0';
	}
}

static void
parse_date(const struct csv_reader *r, const struct csv_record *rec,
    const char *field, time_t now, struct import_row *row)
{
	char s[64], shown[80];
	int n;

	row->signed_up_at = now;
	n = copy_trimmed(s, sizeof(s), field);
	if (n == 0)
		return;
	if (n == 10 && s[4] == '-' && s[7] == '-')
		memcpy(s + 10, "T00:00", 7);	/* a date alone: midnight */
	if (n < 0 || time_parse_iso(s, &row->signed_up_at) < 0) {
		log_warnx("%s:%ld: cannot read signup time '%s' (expected "
		    "ISO 8601 or YYYY-MM-DD HH:MM:SS): using now", r->name,
		    rec->line, printable(field, shown, sizeof(shown)));
		row->signed_up_at = now;
	}
}

int
import_row_parse(const struct csv_reader *r, const struct csv_record *rec,
    time_t now, struct import_row *row)
{
	row->email[0] = row->first_name[0] = row->timezone[0] = '\0';
	row->reason[0] = '\0';
	row->signed_up_at = now;
	if (rec->error != NULL) {
		snprintf(row->reason, sizeof(row->reason), "%s", rec->error);
		return ERR_FAIL;
	}
	if (parse_email(csv_get(r, rec, CSV_COL_EMAIL), row) < 0)
		return ERR_FAIL;
	parse_name(csv_get(r, rec, CSV_COL_FIRST_NAME),
	    csv_get(r, rec, CSV_COL_NAME), row);
	parse_tz(r, rec, csv_get(r, rec, CSV_COL_TIMEZONE), row);
	parse_date(r, rec, csv_get(r, rec, CSV_COL_SIGNED_UP), now, row);
	return 0;
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

static void
reject_row(struct import_ctx *c, const struct csv_reader *r,
    const struct csv_record *rec, const char *reason)
{
	log_warnx("%s:%ld: %s", r->name, rec->line, reason);
	if (c->reject == NULL)
		return;
	reject_header(c, r);
	for (size_t i = 0; i < rec->nfields; i++) {
		csv_write_field(c->reject, rec->fields[i]);
		fputc(',', c->reject);
	}
	for (size_t i = rec->nfields; i < r->nheader; i++)
		fputc(',', c->reject);
	csv_write_field(c->reject, reason);
	fputs("\r\n", c->reject);
}

static int
on_record(struct csv_reader *r, struct csv_record *rec, void *arg)
{
	struct import_ctx *c = arg;
	struct import_row *row = &c->row;
	struct sub_in in;
	const char *why = NULL;
	char reason[128];
	int64_t id;
	int ret;

	if (import_row_parse(r, rec, c->up.now, row) < 0) {
		c->stats->invalid++;
		reject_row(c, r, rec, row->reason);
		return 0;
	}
	in.email = row->email;
	in.first_name = row->first_name;
	in.timezone = row->timezone[0] ? row->timezone : NULL;
	in.signed_up_at = row->signed_up_at;
	ret = subscriber_upsert(c->db, c->cfg, &in, &c->up, &id, &why);
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
		reject_row(c, r, rec, reason);
		break;
	case SUB_DUPLICATE:
		c->stats->skipped++;
		reject_row(c, r, rec, "skipped: duplicate of an earlier row");
		break;
	default:
		return ret < 0 ? ret : ERR_FAIL;
	}
	return 0;
}

/* One integer from a query without parameters. */
static int64_t
query_int(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int64_t v;
	int rc;

	if (st == NULL)
		return ERR_FAIL;
	rc = db_step(db, st, "query");
	v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc < 0 ? rc : v;
}

/* One "subscribed" event for every row added, in one statement. */
static int
log_added(struct db *db, int64_t after, time_t now, int list)
{
	sqlite3_stmt *st;
	int rc;

	st = db_stmt(db, "INSERT INTO events (at, subscriber_id, kind,"
	    " source, detail) SELECT ?, id, 'subscribed', 'import', ?"
	    " FROM subscribers WHERE id > ?");
	if (st == NULL)
		return ERR_FAIL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_text(st, 2, list == LIST_COURSE ? "course" : "waitlist",
	    -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, after);
	rc = db_step(db, st, "log added subscribers");
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : ERR_FAIL);
}

static int
import_run(struct import_ctx *c, struct csv_reader *r)
{
	int64_t before, suppressed;
	int ret;

	before = query_int(c->db, "SELECT coalesce(max(id), 0)"
	    " FROM subscribers");
	suppressed = query_int(c->db, "SELECT EXISTS (SELECT 1"
	    " FROM suppressions)");
	if (before < 0 || suppressed < 0)
		return (int)(before < 0 ? before : suppressed);
	c->up.fresh_above = before;
	c->up.flags = SUB_NO_EVENT | (suppressed ? 0 : SUB_NO_SUPPRESS_CHECK);
	ret = csv_read(r, on_record, c);
	reject_header(c, r);
	if (ret == 0 && c->stats->added > 0)
		ret = log_added(c->db, before, c->up.now, c->opts->list);
	return ret;
}

/*
 * Set the journal mode; 1 when the database is now in it.  Switching needs
 * the database to ourselves: when another process has it open, stay as we
 * are.
 */
static int
journal_mode(struct db *db, const char *sql, const char *want)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int ok;

	if (st == NULL)
		return 0;
	ok = sqlite3_step(st) == SQLITE_ROW &&
	    str_ieq((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_reset(st);
	return ok;
}

/*
 * A big transaction in WAL mode writes every page twice (to the WAL, then
 * the checkpoint copies it), so the import runs with a rollback journal
 * when it can: killed half-way, the hot journal rolls the file back at the
 * next open.  synchronous=FULL keeps that true across a power cut too; it
 * costs a few fsyncs at commit.  Then back to WAL for everyone else.
 */
static int
import_txn(struct import_ctx *c, struct csv_reader *r)
{
	struct db *db = c->db;
	int rollback_journal, ret;

	rollback_journal = journal_mode(db, "PRAGMA journal_mode = DELETE",
	    "delete");
	if (rollback_journal &&
	    (ret = db_exec(db, "PRAGMA synchronous = FULL")) < 0)
		goto out;
	if ((ret = db_exec(db, "PRAGMA cache_size = " IMPORT_CACHE_KIB)) < 0 ||
	    (ret = db_begin(db)) < 0)
		goto out;
	ret = import_run(c, r);
	if (ret < 0 || c->opts->dry_run)
		db_rollback(db);
	else if ((ret = db_commit(db)) < 0)
		db_rollback(db);
out:
	if (rollback_journal) {
		db_exec(db, "PRAGMA synchronous = NORMAL");
		if (!journal_mode(db, "PRAGMA journal_mode = WAL", "wal"))
			log_warnx("%s: cannot go back to WAL mode (the next "
			    "command will)", db->path);
	}
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
	ret = import_txn(c, r);
	if (c->reject && fclose(c->reject) != 0 && ret == 0) {
		log_warn("cannot write '%s'", o->reject_path);
		ret = ERR_FAIL;
	}
	free(c);
	return ret;
}
