# Shared setup for the end-to-end tests (the role mblaze's t/lib.sh plays).

bats_require_minimum_version 1.5.0
# Each test runs in its own scratch folder with its own settings.ini.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
DRIPMAIL=${DRIPMAIL:-$REPO/build/dripmail}
DATA=$REPO/tests/e2e/data

# DRIPMAIL_TEST_DB=pg runs the tests on PostgreSQL (unset or "sqlite":
# SQLite): lib/pg.bash starts one private cluster per test file (the
# setup_file and teardown_file below; a file with its own calls pg_start
# and pg_stop there), setup_workdir makes a new database for each test
# and points settings.ini at it ([database] url, password_file), and sql
# runs psql on it.  `make test-pg` runs the suites that touch the data
# so; a test that cannot apply to one backend skips on the other
# (sqlite_only, pg_only), saying why.
DRIPMAIL_TEST_DB=${DRIPMAIL_TEST_DB:-sqlite}
# shellcheck source=lib/pg.bash
. "$BATS_TEST_DIRNAME/lib/pg.bash"
if [ "$DRIPMAIL_TEST_DB" = pg ]; then
	setup_file() { pg_start; }
	teardown_file() { pg_stop; }
fi

# A fresh folder with settings.ini (the shipped one, pointing at the
# repository's lessons and templates, a Maildir outbox, its own database
# and secret), and cd into it.
setup_workdir() {
	WORK=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dripmail.XXXXXX")
	cd "$WORK" || return 1
	cp "$REPO/settings.ini" settings.ini
	ini_set settings.ini course lessons "$REPO/lessons"
	ini_set settings.ini course templates "$REPO/templates"
	head -c 32 /dev/urandom > secret.key
	chmod 600 secret.key
	db_fresh "$WORK"
}

teardown_workdir() {
	[ -n "${WORK:-}" ] && [ -d "$WORK" ] && rm -rf "$WORK"
	return 0
}

# dm ARGS...: the binary with this test's settings.
dm() {
	"$DRIPMAIL" -c "$WORK/settings.ini" "$@"
}

# ini_set FILE SECTION KEY VALUE: set (or add) one key, keeping the rest.
ini_set() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
path, section, key, value = sys.argv[1:5]
lines = open(path, encoding="utf-8").read().split("\n")
out, cur, done, last = [], None, False, {}
for i, line in enumerate(lines):
    s = line.strip()
    if s.startswith("[") and s.endswith("]"):
        cur = s[1:-1]
    elif cur == section and "=" in s and not s.startswith((";", "#")):
        if s.split("=", 1)[0].strip() == key:
            line = "%s = %s" % (key, value)
            done = True
    out.append(line)
    if cur == section:
        last[section] = len(out)
if not done:
    if section in last:
        out.insert(last[section], "%s = %s" % (key, value))
    else:
        out += ["[%s]" % section, "%s = %s" % (key, value)]
open(path, "w", encoding="utf-8").write("\n".join(out))
PY
}

# ini_del FILE SECTION KEY: remove a key.
ini_del() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
path, section, key = sys.argv[1:4]
out, cur = [], None
for line in open(path, encoding="utf-8").read().split("\n"):
    s = line.strip()
    if s.startswith("[") and s.endswith("]"):
        cur = s[1:-1]
    elif cur == section and "=" in s and s.split("=", 1)[0].strip() == key:
        continue
    out.append(line)
open(path, "w", encoding="utf-8").write("\n".join(out))
PY
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT [SECONDS]: readiness check, true once something listens.
wait_port() {
	local port=$1 tries=$(( ${2:-10} * 20 ))
	while [ "$tries" -gt 0 ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
		tries=$((tries - 1))
	done
	echo "nothing listening on 127.0.0.1:$port" >&2
	return 1
}

# sql QUERY: run a query (or several, separated by ;) on this test's
# database, waiting up to 10 s for a lock (dripmail, or the WAL recovery
# after a killed run, may hold one).  Output as sqlite3's list mode:
# columns joined by |, NULL empty.  WORK=DIR sql QUERY queries the course
# folder DIR.  Queries that must run on both backends: no SQLite
# functions (times: $(epoch ISO)), booleans cast (PostgreSQL prints t/f:
# CAST(x IS NULL AS INTEGER)), lists joined by paste, not group_concat,
# and ORDER BY wherever order matters.
sql() {
	if db_pg; then
		printf '%s;\n' "$*" | db_psql
	else
		sqlite3 -batch -cmd '.timeout 10000' "$WORK/dripmail.db" "$@"
	fi
}

# db_pg: true when the tests run on PostgreSQL (DRIPMAIL_TEST_DB=pg).
db_pg() {
	[ "$DRIPMAIL_TEST_DB" = pg ]
}

# sqlite_only WHY, pg_only WHY: skip a test that cannot apply to the
# other backend, saying why.
sqlite_only() {
	! db_pg || skip "sqlite only: $1"
}
pg_only() {
	db_pg || skip "pg only: $1"
}

# db_fresh DIR: a database of its own for the course folder DIR, a copy
# of this test's (settings.ini, secret.key).  SQLite: nothing to do, its
# dripmail.db is made on first use.  PostgreSQL: a new database, and
# DIR/settings.ini pointed at it; for $WORK, its name in PG_DB.
db_fresh() {
	local dir=$1 db
	db_pg || return 0
	db=$(pg_createdb) || return 1
	[ "$dir" != "$WORK" ] || PG_DB=$db
	pg_password_file "$dir/pg.password"
	ini_set "$dir/settings.ini" database url "$(pg_url "$db")"
	ini_set "$dir/settings.ini" database password_file "$dir/pg.password"
}

# db_name: the PostgreSQL database of this test, the one the [database]
# url of $WORK/settings.ini names.
db_name() {
	local url
	url=$(awk -F ' *= *' '/^\[/ { s = $0 }
	    s == "[database]" && $1 == "url" { print $2 }' "$WORK/settings.ini")
	echo "${url##*/}"
}

# db_psql: psql on this test's PostgreSQL database as the superuser, the
# statements on stdin, the output as sql's.
db_psql() {
	PGOPTIONS='-c lock_timeout=10s' pg_sql "$(db_name)"
}

# db_idle: wait until no other session uses this test's database (after
# a SIGKILL, the server finishes the dead client's statement first).
db_idle() {
	local tries=200
	db_pg || return 0
	while [ "$(sql "SELECT count(*) FROM pg_stat_activity
	    WHERE datname = current_database()
	    AND pid <> pg_backend_pid()")" != 0 ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || { echo "db_idle: still busy" >&2; return 1; }
		sleep 0.05
	done
}

# db_made: true once dripmail has made this test's database (its tables).
db_made() {
	if db_pg; then
		[ "$(sql "SELECT count(*) FROM pg_tables
		    WHERE tablename = 'subscribers'")" = 1 ]
	else
		[ -f "$WORK/dripmail.db" ]
	fi
}

# db_dump: the whole database as text, to compare before and after.
# PostgreSQL: without pg_dump's \restrict lines (a new random key each
# time) and the sequences' positions (not transactional: an insert rolled
# back, as a dry run's, still moves them; ids have gaps, none is reused).
db_dump() {
	if db_pg; then
		"$PG_BIN/pg_dump" -h "$PG_DIR/sock" -p "$PG_PORT" -U postgres \
		    -d "$(db_name)" |
		    sed -E '/^\\(un)?restrict /d; /^SELECT pg_catalog\.setval/d'
	else
		sql .dump
	fi
}

# db_check: "ok" when the database is sound (SQLite's integrity_check;
# PostgreSQL: amcheck finds every index consistent with its table).
db_check() {
	if db_pg; then
		sql "CREATE EXTENSION IF NOT EXISTS amcheck;
		    SELECT count(bt_index_check(c.oid, true)) FROM pg_index i
		    JOIN pg_class c ON c.oid = i.indexrelid
		    JOIN pg_namespace n ON n.oid = c.relnamespace
		    WHERE n.nspname = 'public'" > /dev/null && echo ok
	else
		sql "PRAGMA integrity_check"
	fi
}

# db_fail_trigger NAME TABLE CONDITION MESSAGE: make an insert into TABLE
# fail with MESSAGE when CONDITION (on NEW) holds, as a full disk would.
db_fail_trigger() {
	if db_pg; then
		sql "CREATE FUNCTION $1() RETURNS trigger LANGUAGE plpgsql
		    AS 'BEGIN RAISE EXCEPTION ''$4''; END';
		    CREATE TRIGGER $1 BEFORE INSERT ON $2 FOR EACH ROW
		    WHEN ($3) EXECUTE FUNCTION $1()"
	else
		sql "CREATE TRIGGER $1 BEFORE INSERT ON $2 WHEN $3
		    BEGIN SELECT RAISE(ABORT, '$4'); END"
	fi
}

# db_drop_trigger NAME TABLE
db_drop_trigger() {
	if db_pg; then
		sql "DROP TRIGGER $1 ON $2; DROP FUNCTION $1()"
	else
		sql "DROP TRIGGER $1"
	fi
}

# epoch TIME: TIME (ISO 8601, as date -d reads it) in Unix seconds, UTC.
epoch() {
	date -u -d "$1" +%s
}
