/*
 * csv.c - streaming CSV reader: libcsv parses, this file feeds it line by
 * line (to know where each record starts), maps the header and checks
 * fields.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "dripmail.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* libcsv's parser states (libcsv.c): before a row, inside a field. */
#define LIBCSV_ROW_NOT_BEGUN	0
#define LIBCSV_FIELD_BEGUN	2
/*
 * A field this long is not kept: the parser's buffer is emptied and the
 * record rejected when it ends (so memory stays bounded whatever a runaway
 * quote swallows).
 */
#define CSV_ENTRY_MAX		(1024 * 1024)
/*
 * More control bytes than this in the first chunk (in every 100) make
 * the file binary (a spreadsheet, an archive): one error, not one a row.
 */
#define CSV_BINARY_PERCENT	1

static const struct {
	const char	*name;		/* lower case, letters and digits only */
	enum csv_col	 col;
} aliases[] = {
	{ "email",		CSV_COL_EMAIL },
	{ "emailaddress",	CSV_COL_EMAIL },
	{ "mail",		CSV_COL_EMAIL },
	{ "firstname",		CSV_COL_FIRST_NAME },
	{ "fname",		CSV_COL_FIRST_NAME },
	{ "givenname",		CSV_COL_FIRST_NAME },
	{ "name",		CSV_COL_NAME },
	{ "fullname",		CSV_COL_NAME },
	{ "timezone",		CSV_COL_TIMEZONE },
	{ "tz",			CSV_COL_TIMEZONE },
	{ "signedupat",		CSV_COL_SIGNED_UP },
	{ "signedup",		CSV_COL_SIGNED_UP },
	{ "signupdate",		CSV_COL_SIGNED_UP },
	{ "createdat",		CSV_COL_SIGNED_UP },
	{ "subscribedat",	CSV_COL_SIGNED_UP },
	{ "optintime",		CSV_COL_SIGNED_UP },
	{ "confirmtime",	CSV_COL_SIGNED_UP },
	/* dripmail, Mailchimp, listmonk: status; Kit: state */
	{ "status",		CSV_COL_STATUS },
	{ "state",		CSV_COL_STATE },
	{ "statusat",		CSV_COL_STATUS_AT },
	{ "unsubtime",		CSV_COL_UNSUB_TIME },
	{ "cleantime",		CSV_COL_CLEAN_TIME },
	{ "addresssha256",	CSV_COL_HASH },
	{ "timestamp",		CSV_COL_SIGNED_UP },	/* Google Forms */
};

int
csv_column(const char *name)
{
	char key[32];

	if (str_key(name, key, sizeof(key)) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (strcmp(key, aliases[i].name) == 0)
			return (int)aliases[i].col;
	return -1;
}

static void
reader_reset(struct csv_reader *r, FILE *fp, const char *name, int delim)
{
	memset(r, 0, sizeof(*r));
	r->fp = fp;
	r->name = name;
	r->delim = delim;
	r->line = 1;
	for (int i = 0; i < CSV_NCOLS; i++)
		r->col[i] = -1;
}

int
csv_open(struct csv_reader *r, const char *path, int delim)
{
	FILE *fp;

	if (strcmp(path, "-") == 0) {
		reader_reset(r, stdin, "-", delim);
		return 0;
	}
	fp = fopen(path, "r");
	if (fp == NULL)
		return ERR_FAIL;
	reader_reset(r, fp, path, delim);
	r->own_fp = 1;
	return 0;
}

void
csv_init_fp(struct csv_reader *r, FILE *fp, const char *name, int delim)
{
	reader_reset(r, fp, name, delim);
}

void
csv_close(struct csv_reader *r)
{
	if (r == NULL)
		return;
	if (r->own_fp && r->fp)
		fclose(r->fp);
	r->fp = NULL;
	for (size_t i = 0; i < r->cap; i++)
		free(r->rec.fields[i]);
	free(r->rec.fields);
	free(r->rec.lens);
	for (size_t i = 0; i < r->nheader; i++)
		free(r->header[i]);
	free(r->header);
	free(r->unknown);
	r->rec.fields = r->header = NULL;
	r->rec.lens = NULL;
	r->unknown = NULL;
	r->cap = r->nheader = 0;
}

const char *
csv_get(const struct csv_reader *r, const struct csv_record *rec,
    enum csv_col c)
{
	int i = r->col[c];

	if (i < 0 || (size_t)i >= rec->nfields)
		return NULL;
	return rec->fields[i];
}

/* libcsv: a field ended. */
static void
on_field(void *s, size_t len, void *arg)
{
	struct csv_reader *r = arg;
	struct csv_record *rec = &r->rec;

	if (rec->nfields >= CSV_FIELDS_MAX) {
		rec->error = "more than 256 fields";
		return;
	}
	if (rec->nfields == r->cap) {
		/* Each field buffer holds the longest field: no reallocs. */
		rec->fields = xreallocarray(rec->fields, r->cap + 1,
		    sizeof(*rec->fields));
		rec->lens = xreallocarray(rec->lens, r->cap + 1,
		    sizeof(*rec->lens));
		rec->fields[r->cap++] = xmalloc(CSV_FIELD_MAX + 1);
	}
	if (len > CSV_FIELD_MAX || r->overlong) {
		if (rec->error == NULL)
			rec->error = "field longer than 4096 bytes";
		len = 0;
		r->overlong = 0;
	} else if (memchr(s, '\0', len) != NULL && rec->error == NULL)
		rec->error = "NUL byte in a field";
	else if (!utf8_valid(s, len) && rec->error == NULL)
		rec->error = "not valid UTF-8";
	if (len > 0)
		memcpy(rec->fields[rec->nfields], s, len);
	rec->fields[rec->nfields][len] = '\0';
	rec->lens[rec->nfields++] = len;
}

static int
record_empty(const struct csv_record *rec)
{
	for (size_t i = 0; i < rec->nfields; i++)
		for (const char *p = rec->fields[i]; *p; p++)
			if (!isspace((unsigned char)*p))
				return 0;
	return 1;
}

static void
add_unknown(struct csv_reader *r, const char *name)
{
	char *old = r->unknown;

	if (*name == '\0')
		return;
	r->unknown = old ? xasprintf("%s, %s", old, name) : xstrdup(name);
	free(old);
}

static int
take_header(struct csv_reader *r)
{
	struct csv_record *rec = &r->rec;

	if (rec->error) {
		log_warnx("%s:%ld: header: %s", r->name, rec->line,
		    rec->error);
		return ERR_FAIL;
	}
	r->header = xcalloc(rec->nfields, sizeof(*r->header));
	r->nheader = rec->nfields;
	for (size_t i = 0; i < rec->nfields; i++) {
		char *h = str_trim(xstrdup(rec->fields[i]));
		int c = csv_column(h);

		r->header[i] = h;
		if (c < 0 || r->col[c] >= 0)
			add_unknown(r, h);
		else
			r->col[c] = (int)i;
	}
	if (r->col[CSV_COL_EMAIL] < 0) {
		log_warnx("%s:%ld: no email column in the header (expected "
		    "'email', 'Email Address' or 'E-mail')", r->name,
		    rec->line);
		return ERR_FAIL;
	}
	if (r->col[CSV_COL_FIRST_NAME] >= 0 && r->col[CSV_COL_NAME] >= 0) {
		add_unknown(r, r->header[r->col[CSV_COL_NAME]]);
		r->col[CSV_COL_NAME] = -1;
	}
	return 0;
}

/* libcsv: a record ended. */
static void
on_record(int c, void *arg)
{
	struct csv_reader *r = arg;
	int ret;

	(void)c;
	if (r->stop)
		return;
	if (!r->header_done) {
		r->header_done = 1;
		ret = take_header(r);
	} else if (record_empty(&r->rec) && r->rec.error == NULL)
		ret = 0;	/* blank rows spreadsheets leave at the end */
	else
		ret = r->cb(r, &r->rec, r->arg);
	if (ret != 0) {
		r->stop = 1;
		r->ret = ret;
	}
	r->rec.nfields = 0;
	r->rec.error = NULL;
}

static int
space_only(unsigned char c)
{
	return c == ' ';
}

/* The delimiter used most on the first line, outside quotes; ',' if none. */
static int
detect_delim(const char *s, size_t n)
{
	size_t comma = 0, semi = 0, tab = 0;
	int quoted = 0;

	for (size_t i = 0; i < n && (quoted || s[i] != '\n'); i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == ',')
			comma++;
		else if (!quoted && s[i] == ';')
			semi++;
		else if (!quoted && s[i] == '\t')
			tab++;
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

/* Feed one piece that holds at most one newline, at its end. */
static int
feed(struct csv_reader *r, const char *s, size_t n)
{
	if (r->p.pstate == LIBCSV_ROW_NOT_BEGUN)
		r->rec.line = r->line;
	if (csv_parse(&r->p, s, n, on_field, on_record, r) != n) {
		log_warnx("%s:%ld: %s", r->name, r->rec.line,
		    csv_strerror(csv_error(&r->p)));
		return ERR_FAIL;
	}
	if (r->p.entry_pos > CSV_ENTRY_MAX) {
		r->p.entry_pos = 0;	/* libcsv's field so far: dropped */
		r->overlong = 1;
	}
	if (n > 0 && s[n - 1] == '\n')
		r->line++;
	return 0;
}

static int
feed_chunk(struct csv_reader *r, const char *s, size_t n)
{
	const char *nl;
	size_t len;

	while (n > 0 && !r->stop) {
		nl = memchr(s, '\n', n);
		len = nl ? (size_t)(nl - s) + 1 : n;
		if (feed(r, s, len) < 0)
			return ERR_FAIL;
		s += len;
		n -= len;
	}
	return 0;
}

/* 1 when the first n bytes of a file look binary (logged). */
static int
binary(const struct csv_reader *r, const char *s, size_t n)
{
	size_t ctl = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		ctl += (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f;
	}
	if (ctl <= 2 || ctl * 100 <= n * CSV_BINARY_PERCENT)
		return 0;
	log_warnx("%s: not a CSV text file (%zu control bytes in the first "
	    "%zu): export the sheet as CSV, UTF-8", r->name, ctl, n);
	return 1;
}

static int
read_all(struct csv_reader *r, char *chunk)
{
	size_t n;
	char *s;
	int first = 1;

	while (!r->stop && (n = fread(chunk, 1, CSV_CHUNK, r->fp)) > 0) {
		s = chunk;
		if (first) {
			first = 0;
			if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
				s += 3;
				n -= 3;
			}
			if (binary(r, s, n))
				return ERR_FAIL;
			if (r->delim == 0)
				r->delim = detect_delim(s, n);
			csv_set_delim(&r->p, (unsigned char)r->delim);
		}
		if (feed_chunk(r, s, n) < 0)
			return ERR_FAIL;
	}
	if (ferror(r->fp)) {
		log_warn("cannot read '%s'", r->name);
		return ERR_FAIL;
	}
	if (r->stop)
		return r->ret;
	if ((r->p.pstate == LIBCSV_FIELD_BEGUN && r->p.quoted) ||
	    csv_fini(&r->p, on_field, on_record, r) != 0) {
		log_warnx("%s:%ld: quoted field not closed at end of file",
		    r->name, r->rec.line);
		return ERR_FAIL;
	}
	if (r->stop)
		return r->ret;
	if (!r->header_done) {
		log_warnx("%s: empty file: no header line", r->name);
		return ERR_FAIL;
	}
	return 0;
}

int
csv_read(struct csv_reader *r,
    int (*cb)(struct csv_reader *, struct csv_record *, void *), void *arg)
{
	char *chunk;
	int ret;

	if (csv_init(&r->p, CSV_APPEND_NULL) != 0)
		fatalx("csv_init failed");
	csv_set_space_func(&r->p, space_only);
	csv_set_realloc_func(&r->p, xrealloc);
	r->cb = cb;
	r->arg = arg;
	chunk = xmalloc(CSV_CHUNK);
	ret = read_all(r, chunk);
	free(chunk);
	csv_free(&r->p);
	return ret;
}

static int
needs_quotes(const char *s)
{
	return s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ') ||
	    strpbrk(s, ",;\t\"\r\n") != NULL;
}

int
csv_write_field(FILE *fp, const char *s)
{
	if (s == NULL)
		s = "";
	if (!needs_quotes(s))
		return fputs(s, fp) < 0 ? ERR_FAIL : 0;
	return csv_fwrite(fp, s, strlen(s)) == 0 ? 0 : ERR_FAIL;
}

int
csv_write_cell(FILE *fp, const char *s)
{
	char *p;
	int ret;

	if (s == NULL || strchr("=+-@\t\r", s[0]) == NULL || s[0] == '\0')
		return csv_write_field(fp, s);
	p = xasprintf("'%s", s);
	ret = csv_write_field(fp, p);
	free(p);
	return ret;
}
