/*
 * db_pg.h - what db_pg.c (the PostgreSQL backend of db.h) computes without
 * a server, declared for db_pg.c and its unit test (test_db_pg.c) only.
 * None of it needs libpq: these build with or without HAVE_PG.
 */
#ifndef DB_PG_H
#define DB_PG_H

/* The most parameters one statement may have (PostgreSQL's own limit). */
#define DB_PG_PARAMS_MAX	65535

/*
 * sql with its parameters ?1 ?2 ... rewritten to $1 $2 ..., left alone
 * inside string literals ('...', E'...'), quoted identifiers ("...") and
 * comments (-- and nested slash-star), so a ? there stays what it is.
 * *nparams: the largest N.  NULL, and *why set to a static reason, for a
 * bare ?, a ?0 or an N above DB_PG_PARAMS_MAX, or text that ends inside
 * a literal, identifier or comment.  Allocated.
 */
char	*db_pg_sql(const char *sql, int *nparams, const char **why);

/*
 * A connection URI fit for messages: the password removed from the user
 * information (postgresql://user:secret@host -> postgresql://user@host)
 * and any password=... parameter dropped.  Allocated.
 */
char	*db_pg_redact(const char *uri);

/*
 * What a SQLSTATE means to the caller: ERR_TEMP for what a later try may
 * not meet (class 08 connection exceptions; 40001 serialization failure,
 * 40P01 deadlock; 55P03 lock not available, as a lock_timeout gives;
 * 53300 too many connections; 57P01-57P03 the server shutting down or
 * starting), else ERR_FAIL.  NULL (no SQLSTATE) is ERR_FAIL.
 */
int	 db_pg_sqlstate_err(const char *sqlstate);

#endif
