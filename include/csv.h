/*
 * csv.h - streaming CSV reader on top of libcsv: header mapping, records
 * with the physical line each starts on, UTF-8 and size checks.
 *
 *	struct csv_reader r;
 *	if (csv_open(&r, "signups.csv", 0) < 0) ...	(errno ENOENT: 66)
 *	ret = csv_read(&r, on_record, arg);		header, then records
 *	csv_close(&r);
 *
 * The file is fed to libcsv in CSV_CHUNK pieces, so memory stays constant
 * whatever its size.  RFC 4180 quoting (commas, quotes and newlines inside
 * quoted fields), CRLF or LF, a UTF-8 byte-order mark, and a comma,
 * semicolon or tab delimiter (detected from the header line unless given).
 */
#ifndef DRIPMAIL_CSV_H
#define DRIPMAIL_CSV_H

#include <stddef.h>
#include <stdio.h>

/*
 * libcsv's header is also called csv.h: -Iinclude finds this file first,
 * so continue the search past it.
 */
#include_next <csv.h>

#define CSV_CHUNK	65536		/* bytes read and parsed at a time */
#define CSV_FIELD_MAX	4096		/* longest field accepted */
#define CSV_FIELDS_MAX	256		/* most columns accepted */

/* The columns dripmail knows; csv_column() maps header names to them. */
enum csv_col {
	CSV_COL_EMAIL,
	CSV_COL_FIRST_NAME,
	CSV_COL_NAME,		/* full name: the first word is taken */
	CSV_COL_TIMEZONE,
	CSV_COL_SIGNED_UP,
	CSV_COL_STATUS,		/* see subscriber_status_in() */
	CSV_COL_STATE,		/* Kit's status, or a postal state */
	CSV_COL_STATUS_AT,	/* when the status began */
	CSV_COL_UNSUB_TIME,	/* Mailchimp's unsubscribed export */
	CSV_COL_CLEAN_TIME,	/* Mailchimp's cleaned export */
	CSV_COL_HASH,		/* sha256 of the address (removed people) */
	CSV_NCOLS
};

/* One record, borrowed until the callback returns. */
struct csv_record {
	long		 line;		/* physical line it starts on */
	size_t		 nfields;
	char		**fields;	/* NUL-terminated, untrimmed */
	size_t		*lens;
	const char	*error;		/* static reason when the record is
					   unusable (not UTF-8, too long), or
					   NULL */
};

struct csv_reader {
	const char	*name;		/* file name for messages ("-" = stdin) */
	FILE		*fp;
	int		 own_fp;
	int		 delim;		/* 0 until detected or given */
	int		 col[CSV_NCOLS];	/* field index or -1 */
	char		**header;	/* header fields (allocated) */
	size_t		 nheader;
	char		*unknown;	/* unknown header names, ", " joined */

	/* parser state */
	struct csv_parser p;
	struct csv_record rec;
	size_t		 cap;
	long		 line;		/* physical line being fed */
	int		 header_done;
	int		 stop;		/* callback asked to stop */
	int		 overlong;	/* the open field passed the cap */
	int		 (*cb)(struct csv_reader *, struct csv_record *,
			    void *);
	void		*arg;
	int		 ret;
};

/*
 * Open path ("-" = stdin) for reading; delim is ',' ';' '\t' or 0 to
 * detect.  Returns 0, or ERR_FAIL with errno set and nothing logged.
 */
int	 csv_open(struct csv_reader *, const char *path, int delim);
/* Read from an already open stream (not closed by csv_close). */
void	 csv_init_fp(struct csv_reader *, FILE *fp, const char *name,
	    int delim);
void	 csv_close(struct csv_reader *);

/*
 * Read the header, map its columns (refusing a file without an email
 * column), then call cb for each record.  cb returns 0 to go on or ERR_*
 * to stop; that value is returned.  A record with a field that is too
 * long, holds a NUL or is not UTF-8 comes with rec->error set.  A file
 * that cannot be parsed at all (binary, no header, header not UTF-8,
 * unterminated quote) is logged naming the file and line, and returns
 * ERR_FAIL.
 */
int	 csv_read(struct csv_reader *,
	    int (*cb)(struct csv_reader *, struct csv_record *, void *),
	    void *arg);

/*
 * Field of record for column c, or NULL when the file has no such column
 * or the record is short.
 */
const char *csv_get(const struct csv_reader *, const struct csv_record *,
	    enum csv_col c);

/*
 * Map a header name to a column, case- and punctuation-insensitively:
 * "E-mail", "Email Address" -> CSV_COL_EMAIL.  -1 when unknown.
 */
int	 csv_column(const char *name);

/* Write one field to fp, quoted when it needs to be (RFC 4180). */
int	 csv_write_field(FILE *fp, const char *s);
/*
 * The same, for spreadsheets: a cell starting with = + - @ (or a tab or
 * CR) is prefixed with ' so it is not taken for a formula.
 */
int	 csv_write_cell(FILE *fp, const char *s);

#endif
