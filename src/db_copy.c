/*
 * db_copy.c - `dripmail db copy` (db_copy.h): every table of db_tables[]
 * from one database to another, through db.h only; where the dialects
 * differ (the catalog, the snapshot, the sequences) the statement is
 * chosen by db->kind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_copy.h"
#include "db_pg.h"
#include "dripmail.h"
#include "log.h"
#include "xmalloc.h"

/* The longest SQL built here: an INSERT of DB_COPY_ROWS rows. */
#define SQL_MAX		65536

/*
 * Every (table, column) of the schema, but the backend's own tables
 * (PostgreSQL: from the catalog, which shows tables of other roles too,
 * where information_schema hides them).
 */
static const char sl_columns[] =
    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p"
    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1";
static const char pg_columns[] =
    "SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a"
    " ON a.attrelid = c.oid WHERE c.relnamespace ="
    " CAST(current_schema() AS regnamespace) AND c.relkind IN ('r', 'p')"
    " AND a.attnum > 0 AND NOT a.attisdropped"
    " AND c.relname <> 'dripmail_schema' ORDER BY 1";

/* Where the sequence of table ?1's key ?2 stands (no row, NULL: 0). */
static const char sl_seq_get[] =
    "SELECT seq FROM sqlite_sequence WHERE name = ?1";
static const char pg_seq_get[] =
    "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence(?1, ?2)"
    " AS regclass))";
/*
 * Move it to ?3, when that is further (SQLite: the AUTOINCREMENT tables;
 * the others give a new row the largest id + 1, whatever was before).
 */
static const char sl_seq_raise[] =
    "UPDATE sqlite_sequence SET seq = ?3 WHERE name = ?1 AND seq < ?3";
static const char sl_seq_add[] =
    "INSERT INTO sqlite_sequence (name, seq) SELECT ?1, ?3 WHERE"
    " NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?1)"
    " AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND"
    " name = ?1 AND sql LIKE '%AUTOINCREMENT%')";
static const char pg_seq_set[] =
    "SELECT setval(CAST(pg_get_serial_sequence(?1, ?2) AS regclass),"
    " CAST(?3 AS BIGINT))";

/* One batch of rows in memory: n rows of ncols values (NULL: NULL). */
struct batch {
	int		 ncols;
	int		 n;
	char		**v;
};

int
db_copy_has_password(const char *target)
{
	char *r;
	int has;

	if (!db_is_pg(target))
		return 0;
	r = db_pg_redact(target);
	has = strcmp(r, target) != 0;
	free(r);
	return has;
}

/* The number of columns in a db_table's list. */
static int
ncolumns(const char *list)
{
	int n = 1;

	for (; *list != '\0'; list++)
		n += *list == ',';
	return n;
}

/* Column col's place in list (0-based), or -1. */
static int
column_index(const char *list, const char *col)
{
	size_t len = strlen(col), w;
	int i = 0;

	for (;;) {
		list += strspn(list, " ");
		w = strcspn(list, ",");
		if (w == len && strncmp(list, col, len) == 0)
			return i;
		if (list[w] == '\0')
			return -1;
		list += w + 1;
		i++;
	}
}

static const struct db_table *
find_table(const char *name)
{
	for (int i = 0; i < db_ntables; i++)
		if (strcmp(db_tables[i].name, name) == 0)
			return &db_tables[i];
	return NULL;
}

int
db_copy_check(struct db *db)
{
	struct db_stmt *st;
	const struct db_table *t;
	const char *tn, *cn;
	char last[128] = "";
	int seen[64] = { 0 }, rc, ret = 0;

	if (db_ntables > (int)(sizeof(seen) / sizeof(seen[0])))
		fatalx("db_copy_check: too many tables");
	st = db_prepare(db, db->kind == DB_PG ? pg_columns : sl_columns);
	if (st == NULL)
		return ERR_FAIL;
	while ((rc = db_step(db, st, "cannot list the columns")) == DB_ROW) {
		tn = db_column_text(st, 0);
		cn = db_column_text(st, 1);
		if (tn == NULL || cn == NULL)
			continue;
		if ((t = find_table(tn)) == NULL) {
			if (strcmp(tn, last) == 0)
				continue;	/* named once */
			(void)snprintf(last, sizeof(last), "%s", tn);
			log_warnx("%s: table '%s' is not in db_tables[] (db.c):"
			    " db copy would leave it out", db->path, tn);
			ret = ERR_FAIL;
		} else if (column_index(t->columns, cn) < 0) {
			log_warnx("%s: column '%s.%s' is not in db_tables[] "
			    "(db.c): db copy would leave it out", db->path,
			    tn, cn);
			ret = ERR_FAIL;
		} else
			seen[t - db_tables]++;
	}
	db_stmt_free(st);
	if (rc < 0)
		return rc;
	for (int i = 0; i < db_ntables; i++)
		if (seen[i] != ncolumns(db_tables[i].columns)) {
			log_warnx("%s: table '%s' lacks columns db_tables[] "
			    "(db.c) names", db->path, db_tables[i].name);
			ret = ERR_FAIL;
		}
	return ret;
}

/* ERR_PERM, logged, when a table of db has a row; else 0 or ERR_*. */
static int
check_empty(struct db *db)
{
	struct db_stmt *st;
	char sql[128], full[256];
	size_t len = 0;
	int rc;

	full[0] = '\0';
	for (int i = 0; i < db_ntables; i++) {
		snprintf(sql, sizeof(sql), "SELECT 1 FROM %s LIMIT 1",
		    db_tables[i].name);
		if ((st = db_prepare(db, sql)) == NULL)
			return ERR_FAIL;
		rc = db_step(db, st, "cannot read the target");
		db_stmt_free(st);
		if (rc < 0)
			return rc;
		if (rc == DB_ROW && len < sizeof(full))
			len += (size_t)snprintf(full + len, sizeof(full) - len,
			    "%s%s", len ? ", " : "", db_tables[i].name);
	}
	if (len == 0)
		return 0;
	log_warnx("db copy: '%s' is not empty (rows in %s): nothing copied; "
	    "copy into a new, empty database", db->path, full);
	return ERR_PERM;
}

/*
 * The statements for table t: the first batch, the next (key > ?1), an
 * INSERT of DB_COPY_ROWS rows and one of a single row.
 */
static char *
select_sql(const struct db_table *t, int next)
{
	return xasprintf("SELECT %s FROM %s%s%s%s ORDER BY %s LIMIT %d",
	    t->columns, t->name, next ? " WHERE " : "", next ? t->key : "",
	    next ? " > ?1" : "", t->key, DB_COPY_BATCH);
}

static char *
insert_sql(const struct db_table *t, int rows)
{
	struct buf b;
	int n = ncolumns(t->columns), p = 1;

	buf_init(&b, SQL_MAX);
	if (buf_printf(&b, "INSERT INTO %s (%s) VALUES ", t->name,
	    t->columns) < 0)
		fatalx("insert_sql: too long");
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < n; c++)
			if (buf_printf(&b, "%s?%d%s", c ? "" : r ? ", (" : "(",
			    p++, c + 1 < n ? ", " : ")") < 0)
				fatalx("insert_sql: too long");
	return buf_detach(&b, NULL);
}

static void
batch_clear(struct batch *b)
{
	for (int i = 0; i < b->n * b->ncols; i++) {
		free(b->v[i]);
		b->v[i] = NULL;
	}
	b->n = 0;
}

/* Read st's rows (at most DB_COPY_BATCH) into b.  0 or ERR_*. */
static int
read_batch(struct db *src, struct db_stmt *st, struct batch *b)
{
	int rc;

	batch_clear(b);
	while ((rc = db_step(src, st, "cannot read")) == DB_ROW) {
		if (b->n == DB_COPY_BATCH)
			fatalx("read_batch: more rows than the LIMIT");
		for (int c = 0; c < b->ncols; c++)
			b->v[b->n * b->ncols + c] = db_column_strdup(st, c);
		b->n++;
	}
	db_reset(st);
	return rc < 0 ? rc : 0;
}

/* Insert rows [from, from + rows) of b with st.  0 or ERR_*. */
static int
insert_rows(struct db *dst, struct db_stmt *st, const struct batch *b,
    int from, int rows)
{
	int k = 0;

	for (int r = from; r < from + rows; r++)
		for (int c = 0; c < b->ncols; c++)
			db_bind_text(st, ++k, b->v[r * b->ncols + c]);
	return db_done(dst, st, "cannot copy");
}

static int
write_batch(struct db *dst, struct db_stmt *many, struct db_stmt *one,
    const struct batch *b)
{
	int r = 0, ret = 0;

	for (; ret == 0 && r + DB_COPY_ROWS <= b->n; r += DB_COPY_ROWS)
		ret = insert_rows(dst, many, b, r, DB_COPY_ROWS);
	for (; ret == 0 && r < b->n; r++)
		ret = insert_rows(dst, one, b, r, 1);
	return ret;
}

/*
 * Where table t's sequence stands in src (0: nothing handed out, or no
 * sequence), into *seq.  0 or ERR_*.
 */
static int
seq_get(struct db *src, const struct db_table *t, int64_t *seq)
{
	struct db_stmt *st;
	int rc;

	*seq = 0;
	st = db_stmt(src, src->kind == DB_PG ? pg_seq_get : sl_seq_get);
	if (st == NULL)
		return ERR_FAIL;
	db_bind_text(st, 1, t->name);
	db_bind_text(st, 2, t->key);
	if ((rc = db_step(src, st, "cannot read a sequence")) == DB_ROW)
		*seq = db_column_int64(st, 0);
	db_reset(st);
	return rc < 0 ? rc : 0;
}

/* Move table t's sequence in dst to v (nothing when v is 0). */
static int
seq_set(struct db *dst, const struct db_table *t, int64_t v)
{
	const char *const *sql;
	static const char *const pg[] = { pg_seq_set, NULL };
	static const char *const sl[] = { sl_seq_raise, sl_seq_add, NULL };
	struct db_stmt *st;
	int rc;

	if (v <= 0)
		return 0;
	for (sql = dst->kind == DB_PG ? pg : sl; *sql != NULL; sql++) {
		if ((st = db_stmt(dst, *sql)) == NULL)
			return ERR_FAIL;
		db_bind_text(st, 1, t->name);
		db_bind_text(st, 2, t->key);
		db_bind_int64(st, 3, v);
		rc = db_step(dst, st, "cannot set a sequence");
		db_reset(st);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Copy table t, then set its sequence.  *rows: how many.  0 or ERR_*. */
static int
copy_table(struct db *src, struct db *dst, const struct db_table *t,
    int64_t *rows)
{
	struct db_stmt *first = NULL, *next = NULL, *many = NULL, *one = NULL;
	struct db_stmt *sel;
	struct batch b;
	char *sql[4];
	int64_t seq, top = 0;
	int key = column_index(t->columns, t->key), ret = ERR_FAIL;

	*rows = 0;
	if (key < 0)
		fatalx("db_tables: %s: key '%s' is not a column", t->name,
		    t->key);
	b.ncols = ncolumns(t->columns);
	b.n = 0;
	b.v = xcalloc((size_t)DB_COPY_BATCH * (size_t)b.ncols, sizeof(*b.v));
	sql[0] = select_sql(t, 0);
	sql[1] = select_sql(t, 1);
	sql[2] = insert_sql(t, DB_COPY_ROWS);
	sql[3] = insert_sql(t, 1);
	if ((first = db_prepare(src, sql[0])) == NULL ||
	    (next = db_prepare(src, sql[1])) == NULL ||
	    (many = db_prepare(dst, sql[2])) == NULL ||
	    (one = db_prepare(dst, sql[3])) == NULL)
		goto out;
	for (sel = first;; sel = next) {
		if ((ret = read_batch(src, sel, &b)) < 0 ||
		    (ret = write_batch(dst, many, one, &b)) < 0)
			goto out;
		*rows += b.n;
		if (t->identity && b.n > 0)
			top = strtoll(b.v[(b.n - 1) * b.ncols + key], NULL,
			    10);
		if (b.n < DB_COPY_BATCH)
			break;
		/* the next batch: after the last key read */
		db_bind_text(next, 1, b.v[(b.n - 1) * b.ncols + key]);
	}
	ret = 0;
	if (t->identity && (ret = seq_get(src, t, &seq)) == 0)
		ret = seq_set(dst, t, seq > top ? seq : top);
	log_info("db copy: %s: %lld rows", t->name, (long long)*rows);
out:
	db_stmt_free(first);
	db_stmt_free(next);
	db_stmt_free(many);
	db_stmt_free(one);
	for (int i = 0; i < 4; i++)
		free(sql[i]);
	batch_clear(&b);
	free(b.v);
	return ret;
}

/*
 * The source's snapshot: every table read as of one moment, whatever
 * commits meanwhile (SQLite: a read transaction, which WAL keeps apart).
 */
static int
snapshot_begin(struct db *src)
{
	return db_exec(src, src->kind == DB_PG ?
	    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" : "BEGIN");
}

static void
add_detail(struct db_copy_stats *stats, const char *table, int64_t rows)
{
	size_t len = strlen(stats->detail);

	(void)snprintf(stats->detail + len, sizeof(stats->detail) - len,
	    "%s%s %lld", len ? ", " : "", table, (long long)rows);
}

int
db_copy(struct db *src, struct db *dst, struct db_copy_stats *stats)
{
	int64_t rows;
	int ret;

	memset(stats, 0, sizeof(*stats));
	if ((ret = db_copy_check(src)) < 0 || (ret = db_copy_check(dst)) < 0)
		return ret;
	if ((ret = snapshot_begin(src)) < 0)
		return ret;
	if ((ret = db_begin(dst)) < 0)
		goto out;
	if ((ret = check_empty(dst)) < 0)
		goto out;
	for (int i = 0; i < db_ntables; i++) {
		if ((ret = copy_table(src, dst, &db_tables[i], &rows)) < 0)
			goto out;
		stats->rows += rows;
		add_detail(stats, db_tables[i].name, rows);
	}
	ret = db_commit(dst);
out:
	if (ret < 0) {
		db_rollback(dst);
		memset(stats, 0, sizeof(*stats));
	}
	db_rollback(src);
	return ret;
}

int
db_copy_between(const char *from, const char *from_password_file,
    const char *to, const char *to_password_file,
    struct db_copy_stats *stats)
{
	struct db src, dst;
	int ret;

	memset(stats, 0, sizeof(*stats));
	if ((ret = db_open_readonly(&src, from, from_password_file)) < 0)
		return ret;
	if ((ret = db_open(&dst, to, to_password_file)) < 0) {
		db_close(&src);
		return ret;
	}
	ret = db_copy(&src, &dst, stats);
	db_close(&dst);
	db_close(&src);
	return ret;
}
