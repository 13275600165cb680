/*
 * test_csv.c - the CSV reader, row checks and the subscriber upsert.
 */
#include <setjmp.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "csv.h"
#include "db.h"
#include "dripmail.h"
#include "import.h"
#include "store.h"
#include "subscriber.h"

#define MAXREC	8
#define NOW	1796115600	/* 2026-12-01T09:00:00Z */

/* Records seen by collect(): "line:field|field|..." or "line:!error". */
struct seen {
	int	 n;
	char	 rec[MAXREC][256];
};

static int
collect(struct csv_reader *r, struct csv_record *rec, void *arg)
{
	struct seen *s = arg;
	char *p = s->rec[s->n];
	size_t left = sizeof(s->rec[0]);
	int k;

	(void)r;
	if (s->n >= MAXREC)
		return ERR_FAIL;
	s->n++;
	k = snprintf(p, left, "%ld:", rec->line);
	if (rec->error) {
		snprintf(p + k, left - (size_t)k, "!%s", rec->error);
		return 0;
	}
	for (size_t i = 0; i < rec->nfields; i++)
		k += snprintf(p + k, left - (size_t)k, "%s%s", i ? "|" : "",
		    rec->fields[i]);
	return 0;
}

/* Parse text as a file; returns csv_read's result, records in *s. */
static int
parse(const char *text, size_t len, int delim, struct seen *s,
    struct csv_reader *r)
{
	FILE *fp = fmemopen((void *)(uintptr_t)text, len, "r");
	int ret;

	assert_non_null(fp);
	memset(s, 0, sizeof(*s));
	csv_init_fp(r, fp, "t.csv", delim);
	ret = csv_read(r, collect, s);
	fclose(fp);
	return ret;
}

static void
test_columns(void **state)
{
	(void)state;
	assert_int_equal(csv_column("email"), CSV_COL_EMAIL);
	assert_int_equal(csv_column("Email Address"), CSV_COL_EMAIL);
	assert_int_equal(csv_column("E-mail"), CSV_COL_EMAIL);
	assert_int_equal(csv_column(" EMAIL_ADDRESS "), CSV_COL_EMAIL);
	assert_int_equal(csv_column("First Name"), CSV_COL_FIRST_NAME);
	assert_int_equal(csv_column("first_name"), CSV_COL_FIRST_NAME);
	assert_int_equal(csv_column("name"), CSV_COL_NAME);
	assert_int_equal(csv_column("time_zone"), CSV_COL_TIMEZONE);
	assert_int_equal(csv_column("TIMEZONE"), CSV_COL_TIMEZONE);
	assert_int_equal(csv_column("OPTIN_TIME"), CSV_COL_SIGNED_UP);
	assert_int_equal(csv_column("Subscribed At"), CSV_COL_SIGNED_UP);
	assert_int_equal(csv_column("created_at"), CSV_COL_SIGNED_UP);
	assert_int_equal(csv_column("Last Name"), -1);
	assert_int_equal(csv_column(""), -1);
}

static void
test_bom_crlf_quotes(void **state)
{
	static const char text[] = "\xef\xbb\xbf" "Email,Name,Notes\r\n"
	    "a@x.org,\"Ann, the first\",\"says \"\"hi\"\"\"\r\n"
	    "b@x.org,Bob,\"two\r\nlines\"\r\n"
	    "\r\n"
	    "c@x.org,Cy,last";
	struct csv_reader r;
	struct seen s;

	(void)state;
	assert_int_equal(parse(text, sizeof(text) - 1, 0, &s, &r), 0);
	assert_int_equal(r.delim, ',');
	assert_int_equal(r.col[CSV_COL_EMAIL], 0);
	assert_int_equal(r.col[CSV_COL_NAME], 1);
	assert_string_equal(r.unknown, "Notes");
	assert_int_equal(s.n, 3);
	assert_string_equal(s.rec[0], "2:a@x.org|Ann, the first|says \"hi\"");
	assert_string_equal(s.rec[1], "3:b@x.org|Bob|two\r\nlines");
	assert_string_equal(s.rec[2], "6:c@x.org|Cy|last");
	csv_close(&r);
}

static void
test_delimiters(void **state)
{
	static const char semi[] = "E-mail;First Name\nd@x.org;Dee\n";
	static const char tab[] = "email\tname\ne@x.org\tEve Adams\n";
	struct csv_reader r;
	struct seen s;

	(void)state;
	assert_int_equal(parse(semi, sizeof(semi) - 1, 0, &s, &r), 0);
	assert_int_equal(r.delim, ';');
	assert_string_equal(s.rec[0], "2:d@x.org|Dee");
	csv_close(&r);
	assert_int_equal(parse(tab, sizeof(tab) - 1, 0, &s, &r), 0);
	assert_int_equal(r.delim, '\t');
	assert_string_equal(s.rec[0], "2:e@x.org|Eve Adams");
	csv_close(&r);
	/* Given: the semicolon file read with commas has no email column. */
	assert_int_equal(parse(semi, sizeof(semi) - 1, ',', &s, &r),
	    ERR_FAIL);
	csv_close(&r);
}

static void
test_bad_records(void **state)
{
	char big[CSV_FIELD_MAX + 64];
	static const char latin1[] = "email\nok@x.org\nJos\xe9@x.org\n";
	static const char open_quote[] = "email\n\"never@closed.org\n";
	static const char noemail[] = "name,phone\nAnn,123\n";
	struct csv_reader r;
	struct seen s;
	int n;

	(void)state;
	assert_int_equal(parse(latin1, sizeof(latin1) - 1, 0, &s, &r), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[1], "3:!not valid UTF-8");
	csv_close(&r);
	assert_int_equal(parse(open_quote, sizeof(open_quote) - 1, 0, &s,
	    &r), ERR_FAIL);
	csv_close(&r);
	assert_int_equal(parse(noemail, sizeof(noemail) - 1, 0, &s, &r),
	    ERR_FAIL);
	csv_close(&r);
	assert_int_equal(parse("", 0, 0, &s, &r), ERR_FAIL);
	csv_close(&r);

	n = snprintf(big, sizeof(big), "email\n");
	memset(big + n, 'a', CSV_FIELD_MAX + 1);
	memcpy(big + n + CSV_FIELD_MAX + 1, "\nz@x.org\n", 9);
	assert_int_equal(parse(big, (size_t)n + CSV_FIELD_MAX + 10, 0, &s,
	    &r), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[0], "2:!field longer than 4096 bytes");
	assert_string_equal(s.rec[1], "3:z@x.org");
	csv_close(&r);
}

/*
 * 2026-12-02 regress: a NUL cut a field short; a field past 1 MiB failed
 * the whole file; a binary file gave an error a row.
 */
static void
test_bad_fields(void **state)
{
	static const char nul[] = "email,name\na@x.org,A\nb@x.org\0evil,B\n"
	    "\"c@x.org\",\"C\0\"\nd@x.org,D\n";
	static const char zip[] = "PK\x03\x04\x14\0\0\0\x08\0email\x01\x02"
	    "\x03\n\x04\x05\x06\x07a@x.org\n";
	size_t big = 1100 * 1024, n;
	char *text;
	struct csv_reader r;
	struct seen s;

	(void)state;
	assert_int_equal(parse(nul, sizeof(nul) - 1, 0, &s, &r), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.rec[0], "2:a@x.org|A");
	assert_string_equal(s.rec[1], "3:!NUL byte in a field");
	assert_string_equal(s.rec[2], "4:!NUL byte in a field");
	assert_string_equal(s.rec[3], "5:d@x.org|D");
	csv_close(&r);

	text = malloc(big + 64);
	assert_non_null(text);
	n = (size_t)snprintf(text, 64, "email,name\na@x.org,\"");
	memset(text + n, 'x', big);
	n += big;
	n += (size_t)snprintf(text + n, 64, "\nmore\"\nz@x.org,Z\n");
	assert_int_equal(parse(text, n, 0, &s, &r), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[0], "2:!field longer than 4096 bytes");
	assert_string_equal(s.rec[1], "4:z@x.org|Z");
	csv_close(&r);
	free(text);

	assert_int_equal(parse(zip, sizeof(zip) - 1, 0, &s, &r), ERR_FAIL);
	assert_int_equal(s.n, 0);
	csv_close(&r);
}

/* Records handed to import_row_parse. */
struct rows {
	int			 n;
	int			 ok[MAXREC];
	struct import_row	 row[MAXREC];
};

static int
check_rows(struct csv_reader *r, struct csv_record *rec, void *arg)
{
	struct rows *rs = arg;

	rs->ok[rs->n] = import_row_parse(r, rec, NOW, &rs->row[rs->n]);
	rs->n++;
	return 0;
}

/* Read text as a file, each record through import_row_parse. */
static void
read_rows(const char *text, size_t len, struct rows *rs)
{
	struct csv_reader r;
	FILE *fp = fmemopen((void *)(uintptr_t)text, len, "r");

	memset(rs, 0, sizeof(*rs));
	csv_init_fp(&r, fp, "t.csv", 0);
	assert_int_equal(csv_read(&r, check_rows, rs), 0);
	fclose(fp);
	csv_close(&r);
}

static void
test_row_checks(void **state)
{
	static const char text[] =
	    "Email Address,Name,Time Zone,Subscribed At\n"
	    "  Ann@Example.ORG ,Ann Marie Lee,Europe/London,2026-01-02 03:04:05\n"
	    "bob@x.org,\"Bo\x01" "b\",Mars/Base,2026-01-02\n"
	    "carol@x.org,,,not a date\n"
	    "bad@,X,,\n"
	    ",Nobody,,\n"
	    "two@@x.org,,,\n";
	static struct rows rs;

	(void)state;
	read_rows(text, sizeof(text) - 1, &rs);
	assert_int_equal(rs.n, 6);
	assert_int_equal(rs.ok[0], 0);
	assert_string_equal(rs.row[0].email, "Ann@example.org");
	assert_string_equal(rs.row[0].first_name, "Ann");
	assert_string_equal(rs.row[0].timezone, "Europe/London");
	assert_int_equal(rs.row[0].signed_up_at, 1767323045);
	assert_int_equal(rs.ok[1], 0);
	assert_string_equal(rs.row[1].first_name, "Bob");
	assert_string_equal(rs.row[1].timezone, "");	/* the default */
	assert_int_equal(rs.row[1].signed_up_at, 1767312000);
	assert_int_equal(rs.ok[2], 0);
	assert_int_equal(rs.row[2].signed_up_at, NOW);
	assert_int_equal(rs.ok[3], ERR_FAIL);
	assert_string_equal(rs.row[3].reason,
	    "invalid address 'bad@': empty domain");
	assert_int_equal(rs.ok[4], ERR_FAIL);
	assert_string_equal(rs.row[4].reason, "no address");
	assert_int_equal(rs.ok[5], ERR_FAIL);
	assert_string_equal(rs.row[5].reason,
	    "invalid address 'two@@x.org': more than one '@'");
}

/* Every status word a mailer's export uses, and what it means here. */
static void
test_status_words(void **state)
{
	static const struct {
		const char	*word;
		int		 want;
	} t[] = {
		{ "", SUB_IN_ACTIVE }, { "active", SUB_IN_ACTIVE },
		{ "Subscribed", SUB_IN_ACTIVE }, { "enabled", SUB_IN_ACTIVE },
		{ "completed", SUB_IN_COMPLETED },
		{ "unsubscribed", SUB_IN_UNSUBSCRIBED },
		{ "cancelled", SUB_IN_UNSUBSCRIBED },
		{ "blocklisted", SUB_IN_UNSUBSCRIBED },
		{ "disabled", SUB_IN_UNSUBSCRIBED },
		{ "Opted Out", SUB_IN_UNSUBSCRIBED },
		{ "bounced", SUB_IN_BOUNCED }, { "CLEANED", SUB_IN_BOUNCED },
		{ "complained", SUB_IN_COMPLAINED },
		{ "removed", SUB_IN_REMOVED },
		{ "pending", SUB_IN_NOT_OPTED_IN },
		{ "Non-Subscribed", SUB_IN_NOT_OPTED_IN },
		{ "inactive", SUB_IN_NOT_OPTED_IN },
		{ "CA", -1 }, { "unsubscribe", -1 }, { "activ", -1 },
		{ "a-very-long-status-word-that-is-no-status", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (subscriber_status_in(t[i].word) != t[i].want)
			fail_msg("'%s': %d, want %d", t[i].word,
			    subscriber_status_in(t[i].word), t[i].want);
}

static void
parse_rows(const char *text, struct rows *rs)
{
	read_rows(text, strlen(text), rs);
}

/* The status of a row: status column, Kit's state, Mailchimp's times. */
static void
test_row_status(void **state)
{
	static struct rows rs;

	(void)state;
	parse_rows("email,status,status_at\n"
	    "a@x.org,Unsubscribed,2026-01-02T03:04:05Z\n"
	    "b@x.org,,\n"
	    "c@x.org,gone,\n", &rs);
	assert_int_equal(rs.n, 3);
	assert_int_equal(rs.ok[0], 0);
	assert_int_equal(rs.row[0].status, SUB_IN_UNSUBSCRIBED);
	assert_string_equal(rs.row[0].status_word, "Unsubscribed");
	assert_int_equal(rs.row[0].status_at, 1767323045);
	assert_int_equal(rs.row[1].status, SUB_IN_ACTIVE);
	assert_int_equal(rs.row[1].status_at, NOW);
	assert_int_equal(rs.ok[2], ERR_FAIL);
	assert_string_equal(rs.row[2].reason, "unknown status 'gone'");

	/* Mailchimp's unsubscribed and cleaned exports have no status */
	parse_rows("Email Address,UNSUB_TIME,CLEAN_TIME\n"
	    "a@x.org,2026-01-02 03:04:05,\n"
	    "b@x.org,,2026-01-02 03:04:05\n"
	    "c@x.org, ,\n", &rs);
	assert_int_equal(rs.row[0].status, SUB_IN_UNSUBSCRIBED);
	assert_int_equal(rs.row[0].status_at, 1767323045);
	assert_int_equal(rs.row[1].status, SUB_IN_BOUNCED);
	assert_string_equal(rs.row[1].status_word, "cleaned");
	assert_int_equal(rs.row[2].status, SUB_IN_ACTIVE);

	/* Kit's state; a postal state is no status and is ignored */
	parse_rows("email_address,state\n"
	    "a@x.org,cancelled\n"
	    "b@x.org,CA\n", &rs);
	assert_int_equal(rs.ok[0], 0);
	assert_int_equal(rs.row[0].status, SUB_IN_UNSUBSCRIBED);
	assert_int_equal(rs.ok[1], 0);
	assert_int_equal(rs.row[1].status, SUB_IN_ACTIVE);
	assert_string_equal(rs.row[1].status_word, "");
}

/*
 * 2026-12-02 regress: Google Forms' Timestamp was ignored; a signup in
 * the future or before 1970 was taken as it was.
 */
static void
test_signup_times(void **state)
{
	static const char text[] =
	    "Timestamp,Email Address\n"
	    "11/21/2026 9:05:33,a@x.org\n"
	    "21/11/2026 09:05,b@x.org\n"
	    "2099-01-01,c@x.org\n"
	    "0999-01-01T00:00:00Z,d@x.org\n"
	    "13/13/2026 9:05,e@x.org\n"
	    "2026-11-30T23:59:59+01:00,f@x.org\n";
	static struct rows rs;

	(void)state;
	read_rows(text, sizeof(text) - 1, &rs);
	assert_int_equal(rs.n, 6);
	assert_int_equal(rs.row[0].signed_up_at, 1795251933);
	assert_int_equal(rs.row[0].nwarning, 0);
	assert_int_equal(rs.row[1].signed_up_at, 1795251900);
	assert_int_equal(rs.row[2].signed_up_at, NOW);
	assert_string_equal(rs.row[2].warning[0], "signup time '2099-01-01' "
	    "is in the future: using now");
	assert_int_equal(rs.row[3].signed_up_at, NOW);
	assert_string_equal(rs.row[3].warning[0], "signup time "
	    "'0999-01-01T00:00:00Z' is before 1970: using now");
	assert_int_equal(rs.row[4].signed_up_at, NOW);
	assert_int_equal(rs.row[4].nwarning, 1);
	assert_int_equal(rs.row[5].signed_up_at, 1796079599);
	for (int i = 0; i < rs.n; i++)
		assert_int_equal(rs.ok[i], 0);
}

static void
test_write(void **state)
{
	char *out = NULL;
	size_t len;
	FILE *fp = open_memstream(&out, &len);

	(void)state;
	csv_write_field(fp, "plain");
	fputc('|', fp);
	csv_write_field(fp, "a,b \"c\"");
	fputc('|', fp);
	csv_write_cell(fp, "=HYPERLINK(\"x\")");
	fputc('|', fp);
	csv_write_cell(fp, "-1");
	fputc('|', fp);
	csv_write_cell(fp, "@SUM");
	fputc('|', fp);
	csv_write_cell(fp, "+1");
	fputc('|', fp);
	csv_write_cell(fp, "");
	fclose(fp);
	assert_string_equal(out, "plain|\"a,b \"\"c\"\"\"|"
	    "\"'=HYPERLINK(\"\"x\"\")\"|'-1|'@SUM|'+1|");
	free(out);
}

static void
test_hash_and_names(void **state)
{
	/* 2026-12-02 regress: "Eve\nMulti" was stored "EveMulti". */
	static const struct {
		const char	*in, *out;
	} names[] = {
		{ "A\tn\x7fn\r\ne", "A nn e" },
		{ "Eve\nMulti", "Eve Multi" },
		{ "Eve\r\n  Multi\r\n", "Eve Multi" },
		{ " \tZo\xc3\xab\x01 ", "Zo\xc3\xab" },
		{ "Eve\xe2\x80\xae" "evil\xe2\x80\xac", "Eveevil" },
		{ "a\xe2\x81\xa6" "b\xe2\x80\x8f" "c\xd8\x9c" "d\xc2\x85", "abcd" },
		{ "\xe2\x80\x94 dash \xc2\xa0", "\xe2\x80\x94 dash \xc2\xa0" },
	};
	char h[SUB_HASH_LEN + 1], name[64];
	const char *why;

	(void)state;
	subscriber_hash("Ann@Example.org", h);
	assert_string_equal(h, "438c4c7afe600cdf1e455c369bec76dc"
	    "970fc8ca463447c7b387a347f3c79331");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(name, sizeof(name), "%s", names[i].in);
		assert_string_equal(subscriber_clean_name(name), names[i].out);
	}
	assert_int_equal(subscriber_name_check("Zo\xc3\xab", &why), 0);
	assert_int_equal(subscriber_name_check("Bad\xff\xfe", &why), ERR_FAIL);
	assert_string_equal(why, "not valid UTF-8");
	assert_int_equal(subscriber_list("course"), LIST_COURSE);
	assert_int_equal(subscriber_list("waitlist"), LIST_WAITLIST);
	assert_int_equal(subscriber_list("Course"), -1);
}

/* Remove a test database and what SQLite keeps beside it. */
static void
unlink_db(const char *path)
{
	char side[PATH_MAX];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static void
test_upsert(void **state)
{
	char path[] = "/tmp/test_csv.XXXXXX";
	struct config cfg;
	struct db db;
	struct sub_in in = { "ann@x.org", "Ann", NULL, 100 };
	struct sub_upsert u = { LIST_WAITLIST, 200, 0, INT64_MAX, "test" };
	const char *why = NULL;
	int64_t id, id2;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);		/* a file of 0 bytes is refused: let it create */
	memset(&cfg, 0, sizeof(cfg));
	cfg.first_lesson = FIRST_IMMEDIATE;
	assert_int_equal(db_open(&db, path, NULL), 0);
	assert_int_equal(subscriber_upsert(&db, &cfg, &in, &u, &id, &why),
	    SUB_ADDED);
	/* Same address in other case: timezone filled, course joined. */
	in.email = "ANN@x.org";
	in.first_name = "Other";
	in.timezone = "Asia/Kolkata";
	u.list = LIST_COURSE;
	assert_int_equal(subscriber_upsert(&db, &cfg, &in, &u, &id2, &why),
	    SUB_UPDATED);
	assert_int_equal(id, id2);
	assert_int_equal(subscriber_upsert(&db, &cfg, &in, &u, &id2, &why),
	    SUB_UNCHANGED);
	/* A row added after fresh_above is a duplicate. */
	u.fresh_above = 0;
	assert_int_equal(subscriber_upsert(&db, &cfg, &in, &u, &id2, &why),
	    SUB_DUPLICATE);
	u.fresh_above = INT64_MAX;
	assert_int_equal(store_suppress(&db, id, 300, STORE_UNSUBSCRIBED,
	    "unsubscribed", "test", NULL, NULL), 1);
	assert_int_equal(subscriber_upsert(&db, &cfg, &in, &u, &id2, &why),
	    SUB_SKIPPED);
	assert_string_equal(why, "unsubscribed");
	/* Removed: gone, and its hash keeps it out. */
	assert_int_equal(subscriber_remove(&db, "Ann@X.org", 400), 1);
	assert_int_equal(subscriber_find(&db, "ann@x.org"), 0);
	assert_int_equal(subscriber_suppressed(&db, "ann@X.ORG"), 1);
	assert_int_equal(subscriber_upsert(&db, &cfg, &in, &u, &id2, &why),
	    SUB_SKIPPED);
	assert_string_equal(why, "removed earlier (suppressed)");
	db_close(&db);
	unlink_db(path);
}

static const char *
status_of(struct db *db, const char *email)
{
	static char out[32];
	struct db_stmt *st = db_stmt(db, "SELECT status ||"
	    " coalesce('/' || next_lesson_at, '') FROM subscribers"
	    " WHERE email = ?1");

	db_bind_text(st, 1, email);
	snprintf(out, sizeof(out), "%s", db_step(db, st, "status") == DB_ROW ?
	    db_column_text(st, 0) : "-");
	db_reset(st);
	return out;
}

/* An imported row that is not active, against what the database holds. */
static void
test_import_status(void **state)
{
	static const struct {
		const char	*email;
		const char	*before;	/* add, unsub, remove or "" */
		int		 st;
		int		 want;
		const char	*after;
	} t[] = {
		{ "a@x.org", "", SUB_IN_UNSUBSCRIBED, SUB_ADDED, "unsubscribed" },
		{ "b@x.org", "add", SUB_IN_BOUNCED, SUB_UPDATED, "bounced" },
		{ "c@x.org", "unsub", SUB_IN_COMPLAINED, SUB_UNCHANGED,
		    "unsubscribed" },
		{ "d@x.org", "unsub", SUB_IN_COMPLETED, SUB_SKIPPED,
		    "unsubscribed" },
		{ "e@x.org", "", SUB_IN_COMPLETED, SUB_ADDED, "completed" },
		{ "f@x.org", "add", SUB_IN_COMPLETED, SUB_UNCHANGED,
		    "active/100" },
		{ "g@x.org", "remove", SUB_IN_UNSUBSCRIBED, SUB_SKIPPED, "-" },
		{ "h@x.org", "", SUB_IN_REMOVED, SUB_ADDED, "-" },
		{ "i@x.org", "add", SUB_IN_REMOVED, SUB_UPDATED,
		    "unsubscribed" },
		{ "j@x.org", "remove", SUB_IN_REMOVED, SUB_UNCHANGED, "-" },
	};
	char path[] = "/tmp/test_csv_status.XXXXXX";
	struct config cfg;
	struct db db;
	struct sub_upsert u = { LIST_COURSE, 100, 0, INT64_MAX, "test" };
	const char *why;
	int64_t id;
	int fd = mkstemp(path), ret;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	memset(&cfg, 0, sizeof(cfg));
	cfg.first_lesson = FIRST_IMMEDIATE;
	cfg.window_hours = 24;
	assert_int_equal(db_open(&db, path, NULL), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sub_in in = { t[i].email, NULL, NULL, 50 };

		if (*t[i].before)
			assert_int_equal(subscriber_upsert(&db, &cfg, &in, &u,
			    &id, &why), SUB_ADDED);
		if (strcmp(t[i].before, "unsub") == 0)
			assert_int_equal(store_suppress(&db, id, 60,
			    STORE_UNSUBSCRIBED, "unsubscribed", "t", NULL,
			    NULL), 1);
		if (strcmp(t[i].before, "remove") == 0)
			assert_int_equal(subscriber_remove(&db, t[i].email,
			    60), 1);
		ret = subscriber_import_status(&db, &cfg, &in, &u, t[i].st,
		    70, "test", &id, &why);
		if (ret != t[i].want || strcmp(status_of(&db, t[i].email),
		    t[i].after) != 0)
			fail_msg("%s: %d %s, want %d %s", t[i].email, ret,
			    status_of(&db, t[i].email), t[i].want,
			    t[i].after);
		if (t[i].st == SUB_IN_REMOVED)
			assert_int_equal(subscriber_suppressed(&db,
			    t[i].email), 1);
	}
	db_close(&db);
	unlink_db(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_bom_crlf_quotes),
		cmocka_unit_test(test_delimiters),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_row_checks),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_row_status),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_signup_times),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_hash_and_names),
		cmocka_unit_test(test_upsert),
		cmocka_unit_test(test_import_status),
	};

	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
