#!/usr/bin/env bats
# The PostgreSQL backend (src/db_pg.c) against a private cluster
# (lib/pg.bash): connecting, migrating, two hosts starting at once, the
# password file, the server down, and no password in any output.

load helpers
load lib/faultsmtp

# Whatever the suite runs on: each test gets its own database in the
# file's cluster, settings.ini pointing at it ([database] url without
# password, password_file holding it), sql is psql.
DRIPMAIL_TEST_DB=pg
setup_file() { pg_start; }
teardown_file() { pg_stop; }
setup() { setup_workdir; }
teardown() { fault_stop; teardown_workdir; }

# no_password OUTPUT: the role's password appears nowhere in it.
no_password() {
	if [[ "$1" == *"$PG_PASSWORD"* ]]; then
		echo "the password was shown: $1" >&2
		return 1
	fi
}

# The schema version of this build (include/db.h DB_VERSION).
DB_LATEST=$(sed -n 's/^#define DB_VERSION[[:space:]]*//p' "$REPO/include/db.h")

@test "check connects to a new database and migrates it: the latest version, every table" {
	run dm -v check
	[ "$status" -eq 0 ]
	[[ "$output" == *"migrating schema to version $DB_LATEST"* ]]
	[ "$(sql 'SELECT version FROM dripmail_schema')" = "$DB_LATEST" ]
	[ "$(sql "SELECT string_agg(tablename, ' ' ORDER BY tablename)
	    FROM pg_tables WHERE schemaname = 'public'")" = \
	    "answers bounce_seen deliveries dripmail_schema events runs signups subscribers suppressions" ]
	# a second check finds it up to date
	run dm -v check
	[ "$status" -eq 0 ]
	[[ "$output" != *"migrating"* ]]
}

@test "the same columns and indexes as the SQLite schema" {
	run dm check
	[ "$status" -eq 0 ]
	cp settings.ini sqlite.ini
	ini_del sqlite.ini database url
	ini_del sqlite.ini database password_file
	ini_set sqlite.ini database path "$WORK/lite.db"
	run "$DRIPMAIL" -c "$WORK/sqlite.ini" check
	[ "$status" -eq 0 ]
	sqlite3 "$WORK/lite.db" "SELECT m.name || '.' || p.name FROM
	    sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'
	    AND m.name NOT LIKE 'sqlite_%' ORDER BY 1" > lite.columns
	sql "SELECT c FROM (SELECT table_name || '.' || column_name AS c FROM
	    information_schema.columns WHERE table_schema = 'public' AND
	    table_name <> 'dripmail_schema') x ORDER BY c COLLATE \"C\"" > pg.columns
	[ "$(wc -l < pg.columns)" -gt 50 ]
	diff -u lite.columns pg.columns
	sqlite3 "$WORK/lite.db" "SELECT name FROM sqlite_master WHERE
	    type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY 1" > lite.indexes
	sql "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'
	    AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'
	    ORDER BY indexname COLLATE \"C\"" > pg.indexes
	diff -u lite.indexes pg.indexes
	# the pending index has DB_PENDING's WHERE, as on SQLite
	[[ "$(sql "SELECT indexdef FROM pg_indexes WHERE
	    indexname = 'deliveries_pending'")" == *"'due'"*"'sending'"*"'retry'"* ]]
}

@test "import, run and run again on PostgreSQL: each lesson sent once" {
	ini_del settings.ini launch date	# no launch: lesson 1 at once
	printf 'email,first_name\nann@example.org,Ann\nbob@example.org,Bob\nANN@example.org,Dup\n' > in.csv
	run dm import in.csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"added 2, updated 0, unchanged 0, skipped 1"* ]]
	run dm run
	[ "$status" -eq 0 ]
	[[ "$output" == *"run: sent 2, retry 0, failed 0"* ]]
	[ "$(find outbox/new -type f | wc -l)" -eq 2 ]
	run dm run
	[ "$status" -eq 0 ]
	[[ "$output" == *"run: sent 0,"* ]]
	[ "$(find outbox/new -type f | wc -l)" -eq 2 ]
	[ "$(sql "SELECT string_agg(s.first_name || ':' || d.state, ' '
	    ORDER BY s.email) FROM deliveries d JOIN subscribers s
	    ON s.id = d.subscriber_id")" = "Ann:sent Bob:sent" ]
}

@test "email is unique whatever its case; ids are never handed out again" {
	run dm check
	[ "$status" -eq 0 ]
	sql "INSERT INTO subscribers (email, signed_up_at, created_at,
	    updated_at) VALUES ('Ann@Example.org', 1, 1, 1)"
	run sql "INSERT INTO subscribers (email, signed_up_at, created_at,
	    updated_at) VALUES ('ann@example.ORG', 1, 1, 1)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"subscribers_email_key"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE email = 'ANN@example.org'")" = 1 ]
	first=$(sql "SELECT id FROM subscribers")
	sql "DELETE FROM subscribers"
	next=$(sql "INSERT INTO subscribers (email, signed_up_at, created_at,
	    updated_at) VALUES ('bob@example.org', 1, 1, 1) RETURNING id")
	[ "$next" -gt "$first" ]
}

@test "two checks starting at once both succeed and migrate once" {
	dm -v check > one.out 2>&1 &
	a=$!
	dm -v check > two.out 2>&1 &
	b=$!
	wait "$a"
	wait "$b"
	cat one.out two.out
	[ "$(cat one.out two.out | grep -c 'migrating schema to version 1')" -eq 1 ]
	[ "$(cat one.out two.out | grep -c "migrating schema to version $DB_LATEST")" -eq 1 ]
	# one row, the latest version
	[ "$(sql "SELECT count(*) || ' ' || max(version) FROM dripmail_schema")" = "1 $DB_LATEST" ]
}

# The migrations' advisory lock (src/db_pg.c PG_MIGRATE_LOCK).
LOCK=$(sed -n 's/^#define PG_MIGRATE_LOCK[[:space:]]*"\([0-9]*\)"/\1/p' \
    "$REPO/src/db_pg.c")

# advisory GRANTED: how many advisory locks on this test's database are
# held (true) or waited for (false).
advisory() {
	sql "SELECT count(*) FROM pg_locks l JOIN pg_database d ON
	    d.oid = l.database WHERE l.locktype = 'advisory' AND
	    d.datname = current_database() AND l.granted = $1"
}

# await_advisory N GRANTED: wait (up to 10 s) until advisory GRANTED is N.
await_advisory() {
	local tries=200
	until [ "$(advisory "$2")" = "$1" ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || { echo "advisory $2: not $1" >&2; return 1; }
		sleep 0.05
	done
}

@test "a host waits while another holds the migration lock, then migrates" {
	[ -n "$LOCK" ]
	# another host: a psql session holding the lock until told
	mkfifo hold
	pg_sql "$PG_DB" < hold > held.out 2>&1 3>&- &
	holder=$!
	exec 4> hold
	echo "SELECT pg_advisory_lock($LOCK);" >&4
	await_advisory 1 true
	dm -v check > check.out 2>&1 3>&- &
	checker=$!
	await_advisory 1 false
	# waiting, it has made nothing
	[ "$(sql "SELECT to_regclass('subscribers') IS NULL")" = t ]
	echo "SELECT pg_advisory_unlock($LOCK);" >&4
	exec 4>&-
	wait "$checker"
	wait "$holder"
	grep -q "migrating schema to version $DB_LATEST" check.out
	[ "$(sql 'SELECT version FROM dripmail_schema')" = "$DB_LATEST" ]
}

@test "a newer schema than this dripmail knows is refused" {
	run dm check
	[ "$status" -eq 0 ]
	sql "UPDATE dripmail_schema SET version = 99"
	run dm check
	[ "$status" -ne 0 ]
	[[ "$output" == *"schema version 99 is newer than this dripmail knows"* ]]
	[ "$(sql 'SELECT version FROM dripmail_schema')" = 99 ]
}

@test "a database in another encoding than UTF-8 is refused" {
	pg_sql postgres "CREATE DATABASE ${PG_DB}_latin1 ENCODING 'LATIN1'
	    LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0 OWNER $PG_USER"
	ini_set settings.ini database url "$(pg_url "${PG_DB}_latin1")"
	run dm check
	[ "$status" -eq 74 ]
	[[ "$output" == *"${PG_DB}_latin1: the database's encoding is LATIN1: dripmail stores UTF-8"* ]]
	[ "$(pg_sql "${PG_DB}_latin1" "SELECT to_regclass('dripmail_schema') IS NULL")" = t ]
}

@test "a password file others may read is refused, naming it" {
	chmod 644 pg.password
	run dm check
	[ "$status" -eq 74 ]
	[[ "$output" == *"password_file: '$WORK/pg.password' is open to group or others (mode 0644): chmod 600"* ]]
	no_password "$output"
	# nothing was created: the database was never reached
	[ "$(sql "SELECT to_regclass('dripmail_schema') IS NULL")" = t ]
}

@test "the server down: exit 75, the reason on stderr" {
	pg_halt
	run --separate-stderr dm check
	pg_resume
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"cannot connect to postgresql://dripmail@127.0.0.1:$PG_PORT/$PG_DB: "*"Connection refused"* ]]
	no_password "$stderr"
	# back up, the next run goes through
	run dm check
	[ "$status" -eq 0 ]
}

@test "the connection lost mid-run: exit 75, the reason on stderr" {
	run dm check
	[ "$status" -eq 0 ]
	for a in ann bob carl; do
		dm subscribers add "$a@example.org"
	done
	fault_start --mode slow --delay 2
	dm run > run.out 2> run.err &
	pid=$!
	# the run is sending (connected to the SMTP server): cut it off
	port=$(printf ':%04X' "$FAULT_PORT")
	until awk -v p="$port" '$2 ~ p "$" && $4 == "01"' /proc/net/tcp |
	    grep -q .; do
		kill -0 "$pid" || break
		sleep 0.01
	done
	[ "$(sql "SELECT count(pg_terminate_backend(pid)) FROM
	    pg_stat_activity WHERE datname = current_database() AND
	    pid <> pg_backend_pid()")" = 1 ]
	rc=0
	wait "$pid" || rc=$?
	cat run.out run.err
	[ "$rc" -eq 75 ]
	grep -q "$PG_DB: .*terminating connection due to administrator command" run.err
	no_password "$(cat run.out run.err)"
}

@test "a wrong password: exit 75 and what the server said, never the password" {
	printf 'not-the-password\n' > pg.password
	run --separate-stderr dm check
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"cannot connect to postgresql://dripmail@127.0.0.1:$PG_PORT/$PG_DB: "*"password authentication failed for user \"dripmail\""* ]]
	[[ "$stderr$output" != *"not-the-password"* ]]
}

@test "without password_file, libpq's PGPASSWORD" {
	ini_del settings.ini database password_file
	PGPASSWORD=$PG_PASSWORD run dm check
	[ "$status" -eq 0 ]
	[ "$(sql 'SELECT version FROM dripmail_schema')" = "$DB_LATEST" ]
}

@test "no password in any output, even one written in the URL" {
	run dm -vv check
	[ "$status" -eq 0 ]
	no_password "$output"
	run dm -vv subscribers add ann@example.org
	[ "$status" -eq 0 ]
	no_password "$output"
	run dm -vv status
	no_password "$output"
	# in the URL itself, and a database that does not exist
	ini_del settings.ini database password_file
	ini_set settings.ini database url \
	    "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/nosuch?password=$PG_PASSWORD&sslmode=disable"
	run dm -vv check
	[ "$status" -eq 75 ]
	[[ "$output" == *"cannot connect to postgresql://dripmail@127.0.0.1:$PG_PORT/nosuch?sslmode=disable: "*"database \"nosuch\" does not exist"* ]]
	no_password "$output"
}
