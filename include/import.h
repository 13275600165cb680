/*
 * import.h - CSV signups into the subscribers table: row checks, upsert,
 * reject file, counts.  One transaction per file.
 */
#ifndef IMPORT_H
#define IMPORT_H

#include <time.h>

#include "addr.h"
#include "config.h"
#include "csv.h"

struct db;

#define IMPORT_TZ_MAX	64

struct import_opts {
	int		 list;		/* enum sub_list */
	int		 dry_run;	/* do everything but commit */
	const char	*reject_path;	/* CSV of rejected rows, or NULL */
	int		 suppressed;	/* a suppression list (import
					   --suppressed): every row stops */
};

struct import_stats {
	long	added;
	long	updated;
	long	unchanged;
	long	skipped;		/* suppressed, unsubscribed, duplicate */
	long	invalid;
};

/* One checked row; strings point into the struct. */
struct import_row {
	char	 email[ADDR_MAX + 1];
	char	 first_name[CSV_FIELD_MAX + 1];
	char	 timezone[IMPORT_TZ_MAX + 1];	/* "" = the default */
	time_t	 signed_up_at;
	int	 status;		/* enum sub_status_in */
	char	 status_word[32];	/* as the file says it, or "" */
	time_t	 status_at;		/* when it began, or now */
	char	 hash[65];		/* address_sha256, lower case, or "" */
	char	 reason[512];		/* why the row is invalid */
	int	 nwarning;		/* warnings about a usable row: */
	char	 warning[2][256];	/* timezone, signup time */
};

/*
 * Check and normalise one record: the address trimmed, checked and its
 * domain lower-cased; the first name (or the first word of the name)
 * without control characters; the timezone valid or "" (with a warning);
 * the signup time parsed or now (with a warning); the status (see
 * subscriber_status_in(): a status column, Kit's state, a Mailchimp
 * UNSUB_TIME or CLEAN_TIME) known or the row invalid.  Warnings are left in
 * row->warning for the caller to log with the line.  Returns 0, or
 * ERR_FAIL with row->reason set.
 */
int	 import_row_parse(const struct csv_reader *, const struct csv_record *,
	    time_t now, struct import_row *row);

/*
 * Import every record of r (opened, not yet read).  Bad rows are logged as
 * "FILE:LINE: reason", counted and written to the reject file; they never
 * stop the import.  Returns 0 (see stats), ERR_FAIL when the file cannot be
 * read at all (nothing is stored then), or ERR_TEMP.
 */
int	 import_csv(struct db *, const struct config *, struct csv_reader *r,
	    const struct import_opts *, struct import_stats *);

#endif
