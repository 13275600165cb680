#!/usr/bin/env bats
# `dripmail db copy --to TARGET`: a course with its history (imports,
# runs, a bounce, an unsubscribe, an erased subscriber, signups) copied
# from SQLite to PostgreSQL (lib/pg.bash's private cluster) and back,
# every table the same row for row; the course goes on from PostgreSQL
# (next lessons, no one twice, old links, new ids past every old one); a
# non-empty target is refused untouched; a server that is not there is
# exit 75 with the reason; no password is ever shown.

load helpers
load lib/subscribers

# The course starts on SQLite whatever the suite runs on; this file
# starts its own cluster for the targets.
DRIPMAIL_TEST_DB=sqlite
setup_file() { pg_start; }
teardown_file() { pg_stop; }

TABLES="subscribers runs deliveries events signups suppressions bounce_seen sqlite_sequence"

setup() {
	setup_workdir
	ini_del settings.ini launch date
	ini_set settings.ini schedule send_hour 8
	ini_set settings.ini schedule window_hours 12
	ini_set settings.ini signup url https://example.org/signup
	pg_password_file "$WORK/pg.password"
}
teardown() { teardown_workdir; }

# day N: the run --now of the course's day N: noon UTC, N + 1 days from
# today (after the import, whatever the hour; never a fixed date).
day() {
	date -u -d "+$(($1 + 1)) day" +%Y-%m-%dT12:00:00Z
}

# pg_ini DB: pg.ini, settings.ini with [database] on PostgreSQL DB.
pg_ini() {
	cp settings.ini pg.ini
	ini_set pg.ini database url "$(pg_url "$1")"
	ini_set pg.ini database password_file "$WORK/pg.password"
}

dpg() {
	"$DRIPMAIL" -c "$WORK/pg.ini" "$@"
}

# dump FILE: every table of the SQLite database FILE, sorted, one file
# per table in dump.FILE/.
dump() {
	local t
	mkdir -p "dump.$1"
	for t in $TABLES; do
		sqlite3 -batch "$1" "SELECT * FROM $t ORDER BY 1, 2" \
		    > "dump.$1/$t" || return 1
	done
}

# no_password TEXT: the role's password appears nowhere in it.
no_password() {
	if [[ "$1" == *"$PG_PASSWORD"* ]]; then
		echo "the password was shown: $1" >&2
		return 1
	fi
}

# signup EMAIL: the web form's POST, through the CGI environment.
signup() {
	local body="email=${1/@/%40}&first_name=Sam"
	printf '%s' "$body" | env -i PATH=/usr/bin:/bin REQUEST_METHOD=POST \
	    CONTENT_TYPE=application/x-www-form-urlencoded \
	    CONTENT_LENGTH=${#body} REMOTE_ADDR=192.0.2.7 \
	    "$DRIPMAIL" -c "$WORK/settings.ini" signup --cgi > answer.txt
	grep -q '^Status: 200' answer.txt
}

# lessons: "To Subject" of every lesson in the outbox (confirmations of
# signups have no List-Unsubscribe), one line each.
lessons() {
	local f
	for f in outbox/new/*; do
		grep -qi '^List-Unsubscribe:' "$f" || continue
		printf '%s %s\n' "$(grep -m1 '^To:' "$f")" \
		    "$(grep -m1 '^Subject:' "$f")"
	done
}

# unsub_token EMAIL: the token of the unsubscribe link in the first
# lesson mailed to EMAIL.
unsub_token() {
	grep -l "^To: .*$1" outbox/new/* | head -n 1 |
	    xargs grep -A1 -i '^List-Unsubscribe:' |
	    grep -o 'unsubscribe?t=[A-Za-z0-9_-]*' | head -n 1 | cut -d= -f2
}

# course: six subscribers, two days of lessons, a hard bounce, an
# unsubscribe, the newest erased (a hash in suppressions), two signups.
course() {
	cat > people.csv <<'CSV'
email,first_name,timezone
ann@example.net,Ann,UTC
bob@example.net,Bob,UTC
cat@example.net,Cat,UTC
gone.away@example.com,Gus,UTC
dan@example.net,Dan,UTC
zed@example.net,Zed,UTC
CSV
	dm import people.csv > /dev/null
	dm run --now "$(day 0)" > /dev/null
	dm run --now "$(day 1)" > /dev/null
	maildir_put mail "$DATA/bounces/exim-user-unknown.eml"
	dm bounces mail > /dev/null
	dm unsubscribe bob@example.net > /dev/null
	dm subscribers remove zed@example.net > /dev/null
	signup sam@example.net
	signup sue@example.net
	[ "$(status_of gone.away@example.com)" = bounced ]
	[ "$(sql 'SELECT count(*) FROM suppressions')" -ge 1 ]
	[ "$(sql 'SELECT count(*) FROM signups')" -eq 2 ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -eq 10 ]
}

@test "SQLite -> PostgreSQL -> SQLite: every table row for row, sequences too" {
	course
	dump dripmail.db
	db=$(pg_createdb)
	run --separate-stderr dm -v db copy --to "$(pg_url "$db")" \
	    --password-file "$WORK/pg.password"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	no_password "$output$stderr"
	[[ "$output" == "db copy: "*" rows copied to $(pg_url "$db") (subscribers 5, "* ]]
	[ "$(pg_sql "$db" 'SELECT count(*) FROM subscribers')" -eq 5 ]
	# the same rows in PostgreSQL, in its own column order
	for q in "id, email, status, lessons_sent, next_lesson_at FROM subscribers" \
	    "id, subscriber_id, message, state, message_id, smtp_code, run_id FROM deliveries" \
	    "hash, reason, created_at FROM suppressions" \
	    "id, at, subscriber_id, kind, message, source, status, detail FROM events"; do
		diff -u <(sql "SELECT $q ORDER BY 1") \
		    <(pg_sql "$db" "SELECT $q ORDER BY 1")
	done
	# and back to SQLite, from a course whose settings point at it
	pg_ini "$db"
	run --separate-stderr dpg db copy --to back.db
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	no_password "$output$stderr"
	dump back.db
	for t in $TABLES; do
		[ -s "dump.dripmail.db/$t" ] || [ "$t" = bounce_seen ] ||
		    { echo "$t: empty"; false; }
		diff -u "dump.dripmail.db/$t" "dump.back.db/$t"
	done
}

@test "thousands of rows cross batches both ways, text keys too" {
	dm check > /dev/null
	sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
	    WHERE i < 2600) INSERT INTO subscribers (email, first_name,
	    timezone, signed_up_at, course_at, created_at, updated_at)
	    SELECT 'u' || i || '@example.net', CASE WHEN i % 4 THEN
	    'Ann ''' || i || '''' END, 'UTC', i, i, i, i FROM n;
	    INSERT INTO deliveries (subscriber_id, message, state, due_at,
	    smtp_reply, created_at, updated_at) SELECT id, 'day1', 'sent', 1,
	    '250 2.0.0 Ok: queued as ' || id, 1, 1 FROM subscribers;
	    INSERT INTO suppressions (hash, reason, created_at) SELECT
	    printf('%064x', id * 7919), 'removed', 1 FROM subscribers;
	    INSERT INTO bounce_seen (key, at) SELECT 'Key ' || id, id FROM
	    subscribers WHERE id <= 1100"
	dump dripmail.db
	db=$(pg_createdb)
	run dm db copy --to "$(pg_url "$db")" --password-file pg.password
	[ "$status" -eq 0 ]
	[[ "$output" == *"(subscribers 2600, runs 0, deliveries 2600, answers 0, events 0, signups 0, suppressions 2600, bounce_seen 1100)" ]]
	pg_ini "$db"
	run dpg db copy --to back.db
	[ "$status" -eq 0 ]
	dump back.db
	for t in $TABLES; do
		diff -u "dump.dripmail.db/$t" "dump.back.db/$t"
	done
}

@test "the course goes on from PostgreSQL: next lessons, no one twice, old links, new ids" {
	course
	token=$(unsub_token cat@example.net)
	[ -n "$token" ]
	before=$(lessons | wc -l)
	top=$(sql "SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'")
	db=$(pg_createdb)
	dm db copy --to "$(pg_url "$db")" --password-file pg.password > /dev/null
	pg_ini "$db"
	# day 3: the active ones (ann, cat, dan) get their third lesson
	run dpg run --now "$(day 2)"
	[ "$status" -eq 0 ]
	[[ "$output" == "run: sent 3,"* ]]
	[ "$(lessons | wc -l)" -eq $((before + 3)) ]
	[ -z "$(lessons | sort | uniq -d)" ]
	run dpg run --now "$(day 2)"
	[[ "$output" != *"sent "[1-9]* ]]
	# a link mailed from the SQLite course unsubscribes on PostgreSQL
	run dpg unsubscribe "$token"
	[ "$status" -eq 0 ]
	[ "$(pg_sql "$db" "SELECT status FROM subscribers WHERE email = 'cat@example.net'")" = unsubscribed ]
	# a new subscriber's id is past every id handed out, the erased too
	dpg subscribers add new@example.net > /dev/null
	id=$(pg_sql "$db" "SELECT id FROM subscribers WHERE email = 'new@example.net'")
	[ "$id" -gt "$top" ]
	[ "$top" -eq 6 ]
	# as are the new run's and deliveries' (a sequence left behind would
	# have failed the run on a duplicate key)
	[ "$(pg_sql "$db" "SELECT min(id) FROM runs WHERE sent = 3")" -gt \
	    "$(sql "SELECT max(id) FROM runs")" ]
	[ "$(pg_sql "$db" "SELECT min(id) FROM deliveries WHERE message = 'day3'")" -gt \
	    "$(sql "SELECT max(id) FROM deliveries")" ]
}

@test "a non-empty target is refused (65) and left as it was" {
	course
	db=$(pg_createdb)
	dm db copy --to "$(pg_url "$db")" --password-file pg.password > /dev/null
	pg_ini "$db"
	dpg subscribers add extra@example.net > /dev/null
	snap() { for t in subscribers deliveries events suppressions signups; do
		pg_sql "$db" "SELECT * FROM $t ORDER BY 1"; done; }
	snap > pg.before
	run --separate-stderr dm db copy --to "$(pg_url "$db")" \
	    --password-file pg.password
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"is not empty (rows in subscribers,"*"nothing copied"* ]]
	no_password "$output$stderr"
	snap > pg.after
	diff -u pg.before pg.after
	# a SQLite target too: one row anywhere is enough
	cp settings.ini other.ini
	ini_set other.ini database path "$WORK/full.db"
	"$DRIPMAIL" -c other.ini check > /dev/null
	sqlite3 full.db "INSERT INTO bounce_seen (key, at) VALUES ('k', 1)"
	run --separate-stderr dm db copy --to full.db
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"(rows in bounce_seen)"* ]]
	[ "$(sqlite3 full.db 'SELECT count(*) FROM subscribers')" -eq 0 ]
}

@test "no server, a bad URI: exit 75 with the reason; a password on the command line: 64" {
	dm check > /dev/null
	port=$(free_port)
	run --separate-stderr dm db copy --to \
	    "postgresql://$PG_USER@127.0.0.1:$port/dm" --password-file pg.password
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"cannot connect to postgresql://$PG_USER@127.0.0.1:$port/dm: "*"refused"* ]]
	run --separate-stderr dm db copy --to "postgresql://$PG_USER@127.0.0.1:x/dm"
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"cannot connect"*"port"* ]]
	# a wrong password is the server's refusal, and not shown either
	echo wrong-secret > bad.password
	chmod 600 bad.password
	db=$(pg_createdb)
	run --separate-stderr dm db copy --to "$(pg_url "$db")" \
	    --password-file bad.password
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"password authentication failed"* ]]
	[[ "$stderr" != *wrong-secret* ]]
	run --separate-stderr dm db copy --to \
	    "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$db"
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"the password does not go on the command line"* ]]
	no_password "$output$stderr"
	[ "$(pg_sql "$db" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" -eq 0 ]
	run --separate-stderr dm db copy
	[ "$status" -eq 64 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail db copy: missing --to TARGET" ]
	run --separate-stderr dm db move --to x.db
	[ "$status" -eq 64 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail db: unknown subcommand 'move'" ]
	# PGPASSWORD works as for the course's own database
	PGPASSWORD=$PG_PASSWORD run --separate-stderr dm db copy --to "$(pg_url "$db")"
	[ "$status" -eq 0 ]
	no_password "$output$stderr"
}

@test "a SQLite course is not copied while a run holds its lock" {
	dm check > /dev/null
	exec 9> dripmail.db.lock
	flock -x 9
	echo 4242 > dripmail.db.lock
	run --separate-stderr dm db copy --to other.db
	exec 9>&-
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"a run is active (pid 4242)"* ]]
	[ ! -e other.db ]
	run dm db copy --to other.db
	[ "$status" -eq 0 ]
}

@test "a table or column db copy does not know, in the source or the target: refused, nothing copied" {
	dm check > /dev/null
	add_subscriber ann@example.net > /dev/null
	db=$(pg_createdb)
	pg_sql "$db" "CREATE TABLE later (id BIGINT, note TEXT)"
	run --separate-stderr dm db copy --to "$(pg_url "$db")" \
	    --password-file pg.password
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"table 'later' is not in db_tables[] (db.c): db copy would leave it out"* ]]
	[ "$(pg_sql "$db" "SELECT count(*) FROM subscribers")" -eq 0 ]
	sql "ALTER TABLE runs ADD COLUMN later INTEGER"
	run --separate-stderr dm db copy --to other.db
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"column 'runs.later' is not in db_tables[]"* ]]
	[ "$(sqlite3 other.db 'SELECT count(*) FROM subscribers')" -eq 0 ]
}
