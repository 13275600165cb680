/*
 * db_pg.c - the PostgreSQL backend of db.h, through libpq: connection,
 * statements with their ?N parameters rewritten to $N, error classes, and
 * the migrations, numbered as db_sqlite.c's, in PostgreSQL's DDL.
 *
 * The helpers declared in db_pg.h need no server and build without libpq;
 * the backend itself only with HAVE_PG (the Makefile sets it when
 * pkg-config finds libpq).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_PG
#include <libpq-fe.h>
#endif

#include "db.h"
#include "db_pg.h"
#include "dripmail.h"
#include "log.h"
#include "xmalloc.h"

/* Letters, digits, '_' and '$': what continues an identifier. */
static int
ident_char(int c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/*
 * p at a quote q: the character after the closing one, or NULL when
 * there is none.  A doubled quote is one quote; backslash escapes a
 * character in E'...' strings (esc).
 */
static const char *
skip_quoted(const char *p, int q, int esc)
{
	for (p++; *p != '\0'; p++) {
		if (esc && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == q && p[1] == q)
			p++;
		else if (*p == q)
			return p + 1;
	}
	return NULL;
}

/* p at a slash-star: the character after the comment (they nest), or
   NULL. */
static const char *
skip_comment(const char *p)
{
	int depth = 0;

	while (*p != '\0') {
		if (p[0] == '/' && p[1] == '*') {
			depth++;
			p += 2;
		} else if (p[0] == '*' && p[1] == '/') {
			p += 2;
			if (--depth == 0)
				return p;
		} else
			p++;
	}
	return NULL;
}

/*
 * p at a '$' that may open a dollar-quoted string ($$...$$ or
 * $tag$...$tag$): the character after it, p itself when it is no such
 * quote ($1 is a parameter), or NULL when it does not end.
 */
static const char *
skip_dollar(const char *start, const char *p)
{
	const char *t = p + 1, *end;
	char tag[64];
	size_t n;

	if (p > start && ident_char(p[-1]))
		return p;
	if (isdigit((unsigned char)*t))
		return p;
	while (*t != '$' && (isalpha((unsigned char)*t) || *t == '_' ||
	    (t > p + 1 && isdigit((unsigned char)*t))))
		t++;
	if (*t != '$')
		return p;
	n = (size_t)(t - p + 1);
	if (n >= sizeof(tag))
		return NULL;
	memcpy(tag, p, n);
	tag[n] = '\0';
	if ((end = strstr(t + 1, tag)) == NULL)
		return NULL;
	return end + n;
}

char *
db_pg_sql(const char *sql, int *nparams, const char **why)
{
	char *out = xstrdup(sql);
	const char *p = sql, *next;
	long n;

	*nparams = 0;
	while (*p != '\0') {
		next = p + 1;
		if (*p == '\'')
			next = skip_quoted(p, '\'', p > sql &&
			    (p[-1] == 'E' || p[-1] == 'e') &&
			    (p - 1 == sql || !ident_char(p[-2])));
		else if (*p == '"')
			next = skip_quoted(p, '"', 0);
		else if (p[0] == '-' && p[1] == '-')
			next = p + strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*')
			next = skip_comment(p);
		else if (*p == '$') {
			if ((next = skip_dollar(sql, p)) == p)
				next = p + 1;
		} else if (*p == '?') {
			for (n = 0; isdigit((unsigned char)*next) &&
			    n <= DB_PG_PARAMS_MAX; next++)
				n = n * 10 + (*next - '0');
			if (next == p + 1) {
				*why = "a bare ? (parameters are numbered: ?1)";
				goto fail;
			}
			if (n < 1 || n > DB_PG_PARAMS_MAX) {
				*why = "a parameter number out of range";
				goto fail;
			}
			out[p - sql] = '$';
			if (n > *nparams)
				*nparams = (int)n;
		}
		if (next == NULL) {
			*why = "a string, quoted name or comment that does "
			    "not end";
			goto fail;
		}
		p = next;
	}
	return out;
fail:
	free(out);
	*nparams = 0;
	return NULL;
}

char *
db_pg_redact(const char *uri)
{
	const char *auth = strstr(uri, "://"), *end, *at, *colon, *p;
	char *out, *o;
	size_t n;
	char sep = '?';

	if (auth == NULL)
		return xstrdup(uri);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	colon = at > auth ? memchr(auth, ':', (size_t)(at - 1 - auth)) : NULL;
	o = out = xmalloc(strlen(uri) + 1);
	n = (size_t)((colon ? colon : end) - uri);
	memcpy(o, uri, n);
	o += n;
	if (colon) {
		n = (size_t)(end - (at - 1));
		memcpy(o, at - 1, n);
		o += n;
	}
	n = strcspn(end, "?#");
	memcpy(o, end, n);
	o += n;
	p = end + n;
	if (*p == '?') {
		for (p++; *p != '\0' && *p != '#'; p += *p == '&') {
			n = strcspn(p, "&#");
			if (!(strncmp(p, "password", 8) == 0 &&
			    (p[8] == '=' || n == 8))) {
				*o++ = sep;
				memcpy(o, p, n);
				o += n;
				sep = '&';
			}
			p += n;
		}
	}
	n = strlen(p);
	memcpy(o, p, n + 1);
	return out;
}

int
db_pg_sqlstate_err(const char *state)
{
	static const char *const temp[] = {
		"40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03",
	};

	if (state == NULL)
		return ERR_FAIL;
	if (strncmp(state, "08", 2) == 0)
		return ERR_TEMP;
	for (size_t i = 0; i < sizeof(temp) / sizeof(temp[0]); i++)
		if (strcmp(state, temp[i]) == 0)
			return ERR_TEMP;
	return ERR_FAIL;
}

#ifdef HAVE_PG

#include "db_int.h"

/* A password file's first line: at most this long. */
#define PG_PASSWORD_MAX		1024
/* Seconds to wait for a connection, unless the URI's connect_timeout
   says otherwise. */
#define PG_CONNECT_TIMEOUT	"10"
/*
 * The advisory lock the migrations run under, the same on every host:
 * the ASCII of "dripmail" as a 64-bit number.
 */
#define PG_MIGRATE_LOCK		"7237963482730162540"
/* How long a host waits for another one's migration. */
#define PG_MIGRATE_WAIT		"'120s'"
/* DB_BUSY_MS as text, for SET lock_timeout */
#define PG_STR_(x)		#x
#define PG_STR(x)		PG_STR_(x)

/* db->conn: the connection and what goes with it. */
struct pg {
	PGconn		*conn;
	char		*err;		/* the last error (errmsg) */
	unsigned long	 seq;		/* the last statement's number */
};

/* A statement's handle. */
struct pg_stmt {
	char		 name[24];	/* "s" and pg->seq */
	int		 nparams;
	char		**values;	/* text, NULL for NULL */
	PGresult	*res;		/* NULL until the first step */
	int		 row;		/* the current row */
	int		 nrows;
};

/* libpq's multi-line message on one line, without the final newline. */
static char *
oneline(const char *msg)
{
	char *s = xstrdup(msg), *p, *o;

	for (p = o = s; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			while (p[1] == '\n' || p[1] == '\t' || p[1] == ' ' ||
			    p[1] == '\r')
				p++;
			if (p[1] != '\0' && o > s && o[-1] != ' ')
				*o++ = ' ';
		} else
			*o++ = *p;
	}
	*o = '\0';
	return s;
}

/*
 * Note res's error (or the connection's, when res has none) as the last
 * one, and say what it means: ERR_TEMP for a lost connection or a
 * SQLSTATE db_pg_sqlstate_err() calls temporary, else ERR_FAIL.
 */
static int
pg_error(struct pg *pg, const PGresult *res)
{
	const char *state = NULL, *msg = NULL;
	char *m;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	m = oneline(msg ? msg : PQerrorMessage(pg->conn));
	free(pg->err);
	if (state)
		pg->err = xasprintf("%s (SQLSTATE %s)", m, state);
	else
		pg->err = xstrdup(*m ? m : "unknown error");
	free(m);
	if (PQstatus(pg->conn) == CONNECTION_BAD)
		return ERR_TEMP;
	return db_pg_sqlstate_err(state);
}

static const char *
pg_errmsg(struct db *db)
{
	struct pg *pg = db->conn;

	return pg && pg->err ? pg->err : "no error";
}

/* Run sql; what names it in the log.  0 or ERR_*, logged. */
static int
pg_run(struct db *db, const char *sql, const char *what)
{
	struct pg *pg = db->conn;
	PGresult *res = PQexec(pg->conn, sql);
	int ret = 0;

	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		break;
	default:
		ret = pg_error(pg, res);
		log_warnx("%s: %s: %s", db->path, what, pg->err);
	}
	PQclear(res);
	return ret;
}

static int
pg_exec(struct db *db, const char *sql)
{
	char what[64];

	snprintf(what, sizeof(what), "'%.40s'", sql);
	return pg_run(db, sql, what);
}

/* The first column of the first row of sql, as a number, into *v (0
   when there is no row).  0 or ERR_*, logged unless what is NULL. */
static int
pg_value(struct db *db, const char *sql, const char *what, int64_t *v)
{
	struct pg *pg = db->conn;
	PGresult *res = PQexec(pg->conn, sql);
	const char *s;
	int ret = 0;

	*v = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ret = pg_error(pg, res);
		if (what)
			log_warnx("%s: %s: %s", db->path, what, pg->err);
	} else if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		s = PQgetvalue(res, 0, 0);
		*v = *s == 't' ? 1 : strtoll(s, NULL, 10);
	}
	PQclear(res);
	return ret;
}

/*
 * The first line of the password file at path into *out (allocated),
 * refused unless the file is only its owner's.  0 or ERR_FAIL, logged.
 */
static int
read_password(const char *path, char **out)
{
	char buf[PG_PASSWORD_MAX + 2];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, ret = ERR_FAIL;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		log_warn("[database] password_file: cannot read '%s'", path);
		return ERR_FAIL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_warnx("[database] password_file: '%s' is not a file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		log_warnx("[database] password_file: '%s' is open to group or "
		    "others (mode %04o): chmod 600 '%s'", path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while (len < sizeof(buf) - 1 &&
	    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("[database] password_file: cannot read '%s'",
			    path);
			goto out;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	len = strcspn(buf, "\r\n");
	if (len > PG_PASSWORD_MAX)
		log_warnx("[database] password_file: '%s': the password is "
		    "longer than %d bytes", path, PG_PASSWORD_MAX);
	else if (len == 0)
		log_warnx("[database] password_file: '%s' is empty: the "
		    "password is its first line", path);
	else {
		*out = xstrndup(buf, len);
		ret = 0;
	}
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ret;
}

static void
pg_free_password(char *password)
{
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
}

/* Server notices ("already exists, skipping") are not for cron's mail. */
static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("postgresql: %.*s", (int)strcspn(msg, "\n"), msg);
}

/*
 * Names, replies and bounces hold any character: a database in another
 * encoding would refuse some of them one write at a time.  SQL_ASCII
 * stores bytes as given, which is what SQLite does.
 */
static int
pg_utf8(struct db *db)
{
	struct pg *pg = db->conn;
	const char *enc = PQparameterStatus(pg->conn, "server_encoding");

	if (enc == NULL || strcmp(enc, "UTF8") == 0 ||
	    strcmp(enc, "SQL_ASCII") == 0)
		return 0;
	log_warnx("%s: the database's encoding is %s: dripmail stores UTF-8 "
	    "(make it with createdb -E UTF8 -T template0)", db->path, enc);
	return ERR_FAIL;
}

/*
 * Connect: the URI as libpq reads it, with dripmail's defaults before it
 * (a connect timeout, the application name) and after it what dripmail
 * needs (the password from the file, UTF-8).  The URI in messages
 * (db->path) has no password.
 */
static int
pg_open(struct db *db, const char *target, const char *password_file,
    int readonly)
{
	const char *keys[6], *vals[6];
	struct pg *pg;
	char *password = NULL, *m;
	int n = 0, ret;

	db->path = db_pg_redact(target);
	if (password_file && (ret = read_password(password_file,
	    &password)) < 0)
		return ret;
	keys[n] = "connect_timeout", vals[n++] = PG_CONNECT_TIMEOUT;
	keys[n] = "fallback_application_name", vals[n++] = "dripmail";
	keys[n] = "dbname", vals[n++] = target;
	if (password)
		keys[n] = "password", vals[n++] = password;
	keys[n] = "client_encoding", vals[n++] = "UTF8";
	keys[n] = NULL, vals[n] = NULL;
	pg = xcalloc(1, sizeof(*pg));
	db->conn = pg;
	pg->conn = PQconnectdbParams(keys, vals, 1);
	pg_free_password(password);
	if (pg->conn == NULL)
		fatalx("out of memory");
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		m = oneline(PQerrorMessage(pg->conn));
		log_warnx("cannot connect to %s: %s", db->path, m);
		free(m);
		return ERR_TEMP;
	}
	PQsetNoticeProcessor(pg->conn, pg_notice, NULL);
	if ((ret = pg_utf8(db)) < 0)
		return ret;
	/* as SQLite's busy timeout: a lock held longer is ERR_TEMP (55P03) */
	if ((ret = pg_run(db, "SET lock_timeout = " PG_STR(DB_BUSY_MS),
	    "cannot set lock_timeout")) < 0)
		return ret;
	if (readonly && (ret = pg_run(db, "SET default_transaction_read_only"
	    " = on", "cannot open read-only")) < 0)
		return ret;
	return 0;
}

static void
pg_close(struct db *db)
{
	struct pg *pg = db->conn;

	if (pg == NULL)
		return;
	PQfinish(pg->conn);
	free(pg->err);
	free(pg);
	db->conn = NULL;
}

/*
 * The schema version in dripmail_schema: 0 when the table is missing, -1
 * on error (not logged: db.c logs errmsg).
 */
static int
pg_version(struct db *db)
{
	int64_t v;

	if (pg_value(db, "SELECT to_regclass('dripmail_schema') IS NOT NULL",
	    NULL, &v) < 0)
		return -1;
	if (v == 0)
		return 0;
	if (pg_value(db, "SELECT version FROM dripmail_schema", NULL, &v) < 0)
		return -1;
	return v < 0 || v > 1000000 ? -1 : (int)v;
}

static int
pg_prepare(struct db *db, struct db_stmt *st, const char *sql)
{
	struct pg *pg = db->conn;
	struct pg_stmt *s;
	PGresult *res;
	const char *why;
	char *text;
	int n;

	if ((text = db_pg_sql(sql, &n, &why)) == NULL) {
		log_warnx("%s: cannot prepare '%.60s': %s", db->path, sql, why);
		return ERR_FAIL;
	}
	s = xcalloc(1, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "s%lu", ++pg->seq);
	res = PQprepare(pg->conn, s->name, text, 0, NULL);
	free(text);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		n = pg_error(pg, res);
		log_warnx("%s: cannot prepare '%.60s': %s", db->path, sql,
		    pg->err);
		PQclear(res);
		free(s);
		return n;
	}
	PQclear(res);
	s->nparams = n;
	s->values = xcalloc(n ? (size_t)n : 1, sizeof(*s->values));
	s->row = -1;
	st->handle = s;
	return 0;
}

static void
pg_reset(struct db_stmt *st, int clear)
{
	struct pg_stmt *s = st->handle;

	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
	for (int i = 0; clear && i < s->nparams; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
	}
}

/*
 * Free the handle.  A statement of db_prepare() (no cache key) goes
 * from the server too; the cached ones live until the connection ends.
 */
static void
pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *s = st->handle;
	struct pg *pg = st->db ? st->db->conn : NULL;
	char sql[40];

	if (s == NULL)
		return;
	pg_reset(st, 1);
	if (st->key == NULL && pg && PQstatus(pg->conn) == CONNECTION_OK &&
	    PQtransactionStatus(pg->conn) != PQTRANS_INERROR) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(pg->conn, sql));
	}
	free(s->values);
	free(s);
	st->handle = NULL;
}

/* Set parameter i (1-based) to v (allocated, or NULL); out of range:
   nothing, as SQLite. */
static void
pg_bind(struct db_stmt *st, int i, char *v)
{
	struct pg_stmt *s = st->handle;

	if (i < 1 || i > s->nparams) {
		free(v);
		return;
	}
	free(s->values[i - 1]);
	s->values[i - 1] = v;
}

static void
pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	pg_bind(st, i, xasprintf("%" PRId64, v));
}

static void
pg_bind_text(struct db_stmt *st, int i, const char *v)
{
	pg_bind(st, i, xstrdup(v));
}

static void
pg_bind_null(struct db_stmt *st, int i)
{
	pg_bind(st, i, NULL);
}

/* Rows an INSERT, UPDATE or DELETE changed: 0 for a SELECT. */
static int64_t
pg_changes(PGresult *res)
{
	const char *n = PQcmdTuples(res);

	if (strncmp(PQcmdStatus(res), "SELECT", 6) == 0 || *n == '\0')
		return 0;
	return strtoll(n, NULL, 10);
}

/*
 * The first step after a reset runs the statement and keeps all its rows
 * (so other statements may run while this one's are read, as on SQLite);
 * the next ones walk them.
 */
static int
pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = st->handle;
	struct pg *pg = st->db->conn;

	if (s->res == NULL) {
		s->res = PQexecPrepared(pg->conn, s->name, s->nparams,
		    (const char *const *)s->values, NULL, NULL, 0);
		switch (PQresultStatus(s->res)) {
		case PGRES_TUPLES_OK:
			s->nrows = PQntuples(s->res);
			break;
		case PGRES_COMMAND_OK:
			s->nrows = 0;
			break;
		default:
			return pg_error(pg, s->res);
		}
		s->row = -1;
	}
	if (s->row + 1 < s->nrows) {
		s->row++;
		return DB_ROW;
	}
	s->row = s->nrows;
	st->db->changes = pg_changes(s->res);
	return DB_DONE;
}

static const char *
pg_column_text(struct db_stmt *st, int i)
{
	struct pg_stmt *s = st->handle;

	if (s->res == NULL || s->row < 0 || s->row >= s->nrows || i < 0 ||
	    i >= PQnfields(s->res) || PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

/* A number as text; a boolean ('t', 'f') as 1 or 0; NULL as 0. */
static int64_t
pg_column_int64(struct db_stmt *st, int i)
{
	const char *v = pg_column_text(st, i);

	if (v == NULL || *v == 'f')
		return 0;
	if (*v == 't')
		return 1;
	return strtoll(v, NULL, 10);
}

static int
pg_column_null(struct db_stmt *st, int i)
{
	return pg_column_text(st, i) == NULL;
}

static int
pg_begin(struct db *db)
{
	return pg_run(db, "BEGIN", "cannot begin a transaction");
}

/* A COMMIT of a transaction a failed statement aborted rolls it back:
   that is an error here. */
static int
pg_commit(struct db *db)
{
	struct pg *pg = db->conn;
	PGresult *res = PQexec(pg->conn, "COMMIT");
	int ret = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		ret = pg_error(pg, res);
		log_warnx("%s: cannot commit: %s", db->path, pg->err);
	} else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		log_warnx("%s: cannot commit: a statement had failed, the "
		    "transaction was rolled back", db->path);
		ret = ERR_FAIL;
	}
	PQclear(res);
	return ret;
}

/* Nothing when no transaction is open (a lost connection has none). */
static int
pg_rollback(struct db *db)
{
	struct pg *pg = db->conn;

	switch (PQtransactionStatus(pg->conn)) {
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		return pg_run(db, "ROLLBACK", "cannot roll back");
	default:
		return 0;
	}
}

static int
pg_bulk_begin(struct db *db, int *tuned)
{
	*tuned = 0;
	return pg_begin(db);
}

static void
pg_bulk_end(struct db *db, int tuned)
{
	(void)db;
	(void)tuned;
}

/* Deleted rows are not kept where a reader of the files would find them
   longer than VACUUM takes: nothing to turn on. */
static int
pg_secure_delete(struct db *db)
{
	(void)db;
	return 0;
}

/*
 * Two hosts starting at once: the second waits here (up to
 * PG_MIGRATE_WAIT, then ERR_TEMP: the next run tries again) and then
 * reads the version the first one left.  A session lock, as db_migrate()
 * takes it before its transaction; migrate_end releases it (and so does
 * the end of the session, should this process die).
 */
static int
pg_migrate_begin(struct db *db)
{
	return pg_run(db, "SET lock_timeout = " PG_MIGRATE_WAIT ";"
	    "SELECT pg_advisory_lock(" PG_MIGRATE_LOCK ");"
	    "SET lock_timeout = " PG_STR(DB_BUSY_MS),
	    "cannot take the migration lock");
}

static int
pg_migrate_finish(struct db *db, int v)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS"
	    " dripmail_schema (version INTEGER NOT NULL);"
	    "DELETE FROM dripmail_schema;"
	    "INSERT INTO dripmail_schema (version) VALUES (%d)", v);
	return pg_run(db, sql, "cannot store the schema version");
}

static int
pg_migrate_end(struct db *db)
{
	struct pg *pg = db->conn;

	if (PQstatus(pg->conn) != CONNECTION_OK)
		return 0;	/* the server let go of the lock */
	return pg_run(db, "SELECT pg_advisory_unlock(" PG_MIGRATE_LOCK ")",
	    "cannot release the migration lock");
}

/*
 * The migrations, numbered as db_sqlite.c's and giving the same tables,
 * columns, uniques and indexes:
 *   - ids are BIGINT GENERATED BY DEFAULT AS IDENTITY: a sequence, never
 *     handing out an id twice (SQLite's AUTOINCREMENT, migration 3);
 *   - SQLite's INTEGER is BIGINT, times included (Unix seconds);
 *   - email is CITEXT (the citext extension, trusted since PostgreSQL 13:
 *     a database owner may create it): unique and compared case-
 *     insensitively as SQLite's COLLATE NOCASE, so the store's
 *     "email = ?1" and "ON CONFLICT (email)" mean the same on both;
 *   - constraints have names, so a later migration can replace them;
 *   - what SQLite rebuilds a table for (2, 3, 6), ALTER TABLE does here.
 * Never edit one that has shipped: add the next, to both files (and a new
 * table or column to db_tables[] in db.c, which `db copy` moves).
 */
#define PG_INT		" BIGINT"
#define PG_ID							\
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
#define PG_SUBSCRIBERS_INDEXES						\
	"CREATE INDEX subscribers_next ON subscribers(next_lesson_at)"	\
	" WHERE next_lesson_at IS NOT NULL;"				\
	"CREATE INDEX subscribers_waitlist ON subscribers(waitlist_at)"	\
	" WHERE waitlist_at IS NOT NULL;"

static const char *const pg_migrations[DB_VERSION] = {
	/* 1: the whole product's schema */
	"CREATE EXTENSION IF NOT EXISTS citext;"
	"CREATE TABLE subscribers ("
	PG_ID
	" email CITEXT NOT NULL CONSTRAINT subscribers_email_key UNIQUE,"
	" first_name TEXT,"
	" timezone TEXT,"
	" status TEXT NOT NULL DEFAULT 'active'"
	"  CONSTRAINT subscribers_status_check CHECK (status IN"
	"  ('active','completed','unsubscribed','bounced','complained')),"
	" signed_up_at" PG_INT " NOT NULL,"
	" waitlist_at" PG_INT ","
	" course_at" PG_INT ","
	" lessons_sent" PG_INT " NOT NULL DEFAULT 0,"
	" last_sent_at" PG_INT ","
	" next_lesson_at" PG_INT ","
	" status_at" PG_INT ","
	" status_reason TEXT,"
	" created_at" PG_INT " NOT NULL,"
	" updated_at" PG_INT " NOT NULL);"
	PG_SUBSCRIBERS_INDEXES
	"CREATE TABLE runs ("
	PG_ID
	" started_at" PG_INT " NOT NULL,"
	" finished_at" PG_INT ","
	" now_at" PG_INT " NOT NULL,"
	" pid" PG_INT " NOT NULL,"
	" dry_run" PG_INT " NOT NULL DEFAULT 0,"
	" sent" PG_INT " NOT NULL DEFAULT 0,"
	" retried" PG_INT " NOT NULL DEFAULT 0,"
	" failed" PG_INT " NOT NULL DEFAULT 0,"
	" suppressed" PG_INT " NOT NULL DEFAULT 0,"
	" outcome TEXT);"
	"CREATE TABLE deliveries ("
	PG_ID
	" subscriber_id" PG_INT " NOT NULL"
	"  REFERENCES subscribers(id) ON DELETE CASCADE,"
	" message TEXT NOT NULL,"
	" state TEXT NOT NULL CONSTRAINT deliveries_state_check CHECK (state IN"
	"  ('due','sending','sent','retry','failed','suppressed')),"
	" due_at" PG_INT " NOT NULL,"
	" next_attempt_at" PG_INT ","
	" attempts" PG_INT " NOT NULL DEFAULT 0,"
	" message_id TEXT,"
	" smtp_code" PG_INT ","
	" smtp_reply TEXT,"
	" sent_at" PG_INT ","
	" run_id" PG_INT " REFERENCES runs(id) ON DELETE SET NULL,"
	" created_at" PG_INT " NOT NULL,"
	" updated_at" PG_INT " NOT NULL,"
	" CONSTRAINT deliveries_subscriber_id_message_key"
	"  UNIQUE (subscriber_id, message));"
	"CREATE INDEX deliveries_pending ON deliveries(next_attempt_at)"
	" WHERE state IN ('due','sending','retry');"
	"CREATE INDEX deliveries_message ON deliveries(message, state);"
	"CREATE TABLE events ("
	PG_ID
	" at" PG_INT " NOT NULL,"
	" subscriber_id" PG_INT
	"  REFERENCES subscribers(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL,"
	" message TEXT,"
	" source TEXT,"
	" status TEXT,"
	" detail TEXT);"
	"CREATE INDEX events_subscriber ON events(subscriber_id, at);"
	"CREATE TABLE suppressions ("
	" hash TEXT PRIMARY KEY,"
	" reason TEXT NOT NULL,"
	" created_at" PG_INT " NOT NULL);"
	"CREATE TABLE bounce_seen ("
	" key TEXT PRIMARY KEY,"
	" at" PG_INT " NOT NULL);",

	/*
	 * 2: the status and state CHECKs and the pending index without IN,
	 * as SQLite's: the index's WHERE is DB_PENDING(""), so a query with
	 * that term uses it on both.
	 */
	"ALTER TABLE subscribers DROP CONSTRAINT subscribers_status_check,"
	" ADD CONSTRAINT subscribers_status_check CHECK (status = 'active'"
	"  OR status = 'completed' OR status = 'unsubscribed' OR"
	"  status = 'bounced' OR status = 'complained');"
	"ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check,"
	" ADD CONSTRAINT deliveries_state_check CHECK (state = 'due' OR"
	"  state = 'sending' OR state = 'sent' OR state = 'retry' OR"
	"  state = 'failed' OR state = 'suppressed');"
	"DROP INDEX deliveries_pending;"
	"CREATE INDEX deliveries_pending ON deliveries(next_attempt_at)"
	" WHERE " DB_PENDING("") ";",

	/*
	 * 3: ids never handed out twice: an identity column's sequence never
	 * goes back, so there is nothing to do (SQLite's sqlite_sequence).
	 */
	"",

	/* 4: signups from the web form, waiting for their confirmation */
	"CREATE TABLE signups ("
	PG_ID
	" email CITEXT NOT NULL,"
	" first_name TEXT,"
	" timezone TEXT,"
	" ip TEXT,"
	" user_agent TEXT,"
	" page TEXT,"
	" created_at" PG_INT " NOT NULL,"
	" mailed_at" PG_INT ","
	" confirmed_at" PG_INT ","
	" subscriber_id" PG_INT
	"  REFERENCES subscribers(id) ON DELETE SET NULL);"
	"CREATE INDEX signups_email ON signups(email, created_at);"
	"CREATE INDEX signups_ip ON signups(ip, created_at);",

	/* 5: the automatic pause's counts over a window */
	"CREATE INDEX deliveries_sent ON deliveries(sent_at)"
	" WHERE sent_at IS NOT NULL;"
	"CREATE INDEX events_kind ON events(kind, at);",

	/*
	 * 6: steering one subscriber: paused_at, course_copy, and deliveries
	 * keyed by (subscriber, message, copy).  PostgreSQL alters the
	 * UNIQUE in place: ids, rows and indexes stay (copy is the table's
	 * last column here; the store never relies on column order).
	 */
	"ALTER TABLE subscribers ADD COLUMN paused_at" PG_INT ","
	" ADD COLUMN course_copy" PG_INT " NOT NULL DEFAULT 0;"
	"ALTER TABLE deliveries ADD COLUMN copy" PG_INT " NOT NULL DEFAULT 0,"
	" DROP CONSTRAINT deliveries_subscriber_id_message_key,"
	" ADD CONSTRAINT deliveries_subscriber_id_message_copy_key"
	"  UNIQUE (subscriber_id, message, copy);",

	/* 7: a message's answer, until folded into its delivery (plan.c) */
	ANSWERS_TABLE(PG_INT),
};

/* ---- the backend's table: db_int.h ---- */
const struct db_ops db_pg_ops = {
	.open = pg_open,
	.close = pg_close,
	.version = pg_version,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.errmsg = pg_errmsg,
	.column_int64 = pg_column_int64,
	.column_null = pg_column_null,
	.column_text = pg_column_text,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.bulk_begin = pg_bulk_begin,
	.bulk_end = pg_bulk_end,
	.secure_delete = pg_secure_delete,
	.migrations = pg_migrations,
	.migrate_begin = pg_migrate_begin,
	.migrate_finish = pg_migrate_finish,
	.migrate_end = pg_migrate_end,
};

#endif /* HAVE_PG */
