/*
 * db_copy.h - `dripmail db copy`: move a course's whole database, every
 * table of db_tables[] (db.h) with its ids, from one database to another
 * (SQLite to PostgreSQL, back, or SQLite to SQLite), through db.h only.
 *
 * The source is read in one read transaction (a consistent snapshot), in
 * batches of DB_COPY_BATCH rows in the order of each table's key, so a
 * course of millions of rows never sits in memory.  The target is written
 * in one transaction: all of it, or nothing.  Ids are kept (tokens, VERP
 * addresses and Message-IDs are made from them) and each sequence is set
 * past both the largest id and where the source's own sequence stood, so
 * an id the source handed out, even of a row since erased, never comes
 * back.
 */
#ifndef DB_COPY_H
#define DB_COPY_H

#include <stdint.h>

struct db;

/* Rows read from the source at once, and rows per INSERT. */
#define DB_COPY_BATCH	1024
#define DB_COPY_ROWS	128

struct db_copy_stats {
	int64_t		 rows;		/* copied, all tables */
	char		 detail[256];	/* "subscribers 3, runs 2, ..." */
};

/* 1 when target is a PostgreSQL URI with a password in it. */
int	 db_copy_has_password(const char *target);

/*
 * Compare db's tables and columns with db_tables[]: 0, or ERR_FAIL after
 * naming each table or column the one has and the other lacks (a
 * migration that did not update db_tables[]).  Logs.
 */
int	 db_copy_check(struct db *);

/*
 * Copy every row of src into dst (both open, at DB_VERSION), as above.
 * Returns 0, ERR_PERM when a table of dst has a row (nothing written,
 * logged), ERR_TEMP (busy, a server gone) or ERR_FAIL; logs.
 */
int	 db_copy(struct db *src, struct db *dst, struct db_copy_stats *);

/*
 * Open from read-only (at DB_VERSION, or refused), open to (created when
 * missing and migrated: db_open()), db_copy(), close both.  The password
 * files as db_open() takes them (NULL: none).  Codes as db_copy().
 */
int	 db_copy_between(const char *from, const char *from_password_file,
	    const char *to, const char *to_password_file,
	    struct db_copy_stats *);

#endif
