#!/usr/bin/env bats
# Settings and database: `dripmail check`.

load helpers

setup() { setup_workdir; }
# The schema version of this build (include/db.h DB_VERSION).
DB_LATEST=$(sed -n 's/^#define DB_VERSION[[:space:]]*//p' "$REPO/include/db.h")

teardown() { teardown_workdir; }

@test "the shipped settings pass check and create the database" {
	run dm check
	[ "$status" -eq 0 ]
	[[ "$output" == *"settings: "*"ok"* ]]
	[ -f "$WORK/dripmail.db" ]
	[ "$(sql 'PRAGMA user_version')" -ge 1 ]
	[ "$(sql 'PRAGMA journal_mode')" = wal ]
}

@test "bad value: file:line, section, key and what was expected; exit 78" {
	ini_set settings.ini smtp tls maybe
	line=$(grep -n '^tls = maybe' settings.ini | cut -d: -f1)
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"settings.ini:$line: [smtp] tls: expected required, opportunistic or off"* ]]
}

@test "unknown key and unknown section are errors with their line" {
	printf '[smtp]\nbogus = 1\n[nosuch]\nx = 2\n' >> settings.ini
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[smtp] bogus: unknown key"* ]]
	[[ "$output" == *"[nosuch]: unknown section"* ]]
}

@test "every problem is reported, not just the first" {
	ini_set settings.ini schedule send_hour 25
	ini_set settings.ini schedule timezone Mars/Olympus
	ini_set settings.ini send retry soon
	ini_del settings.ini course name
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[schedule] send_hour: expected 0 to 23"* ]]
	[[ "$output" == *"[schedule] timezone: not a timezone"* ]]
	[[ "$output" == *"[send] retry: expected"* ]]
	[[ "$output" == *"[course] name: missing required key"* ]]
}

@test "a missing settings file exits 78 naming it" {
	run "$DRIPMAIL" -c "$WORK/nope.ini" check
	[ "$status" -eq 78 ]
	[[ "$output" == *"nope.ini: cannot read settings"* ]]
}

@test "a key given twice is an error" {
	printf '[database]\npath = other.db\n' >> settings.ini
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[database] path: given twice"* ]]
}

@test "bad addresses in from and mailto are refused" {
	ini_set settings.ini course from 'Course <not an address>'
	ini_set settings.ini unsubscribe mailto 'x@@y'
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[course] from:"* ]]
	[[ "$output" == *"[unsubscribe] mailto:"* ]]
}

@test "paths are relative to the settings file's folder" {
	mkdir sub
	cp settings.ini secret.key sub/
	cd /
	run "$DRIPMAIL" -c "$WORK/sub/settings.ini" check
	[ "$status" -eq 0 ]
	[ -f "$WORK/sub/dripmail.db" ]
}

@test "a secret file readable by others gets a warning" {
	chmod 644 secret.key
	run dm check
	[[ "$output" == *"secret.key' holds a secret but is readable"* ]]
}

@test "the SMTP password can come from the environment" {
	ini_set settings.ini smtp password_file "$WORK/missing-password"
	DRIPMAIL_SMTP_PASSWORD=s3cret run dm check
	[ "$status" -eq 0 ]
	[[ "$output" != *"missing-password"* ]]
}

@test "a database newer than the binary is refused" {
	dm check
	sql 'PRAGMA user_version = 999'
	run dm check
	[ "$status" -ne 0 ]
	[[ "$output" == *"schema version 999 is newer"* ]]
	[ "$(sql 'PRAGMA user_version')" = 999 ]
}

@test "an older database is migrated in one transaction" {
	sql 'PRAGMA user_version = 0'
	run dm check
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'deliveries'")" = 1 ]
	[ "$(sql 'PRAGMA integrity_check')" = ok ]
}

@test "a version 1 database keeps every row through migrations 2 to 6" {
	sqlite3 dripmail.db < "$DATA/schema-v1.sql"
	dump() {
		sql "SELECT group_concat(id || state || message_id || smtp_reply, ',') FROM deliveries;
		    SELECT group_concat(id || email || status || lessons_sent || next_lesson_at, ',') FROM subscribers;
		    SELECT count(*) FROM events"
	}
	before=$(dump)
	run dm check
	[ "$status" -eq 0 ]
	[ "$(sql 'PRAGMA user_version')" = "$DB_LATEST" ]
	# Rebuilding subscribers cascaded to nothing.
	[ "$(dump)" = "$before" ]
	[ "$(sql 'SELECT count(*) FROM deliveries')" = 6 ]
	[ "$(sql 'SELECT count(*) FROM events')" -gt 0 ]
	[ "$(sql 'PRAGMA integrity_check')" = ok ]
	[ "$(sql 'PRAGMA foreign_key_check')" = "" ]
	# No IN list left in the schema, and the CHECKs still hold.
	[ "$(sql "SELECT count(*) FROM sqlite_master WHERE sql LIKE '% IN %'")" = 0 ]
	run sql "UPDATE deliveries SET state = 'lost' WHERE id = 1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"CHECK constraint failed"* ]]
	run sql "UPDATE subscribers SET status = 'gone' WHERE id = 1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"CHECK constraint failed"* ]]
	# The pending index is the one a send run's query uses.
	[[ "$(sql "EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE (state = 'due' OR state = 'sending' OR state = 'retry') AND next_attempt_at <= 0")" == *"USING INDEX deliveries_pending"* ]]
	run dm subscribers show a@example.org
	[ "$status" -eq 0 ]
	[[ "$output" == *" sent message=day2 source=run"* ]]
	# Foreign keys are on again for dripmail's own connections.
	run dm subscribers remove a@example.org
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE subscriber_id = 1")" = 0 ]
}

@test "a version 2 database keeps every row through migrations 3 to 6" {
	sqlite3 dripmail.db < "$DATA/schema-v2.sql"
	dump() {
		sql "SELECT group_concat(id || state || message_id || smtp_reply || run_id, ',') FROM deliveries;
		    SELECT group_concat(id || email || first_name || timezone || status || signed_up_at || waitlist_at || course_at || lessons_sent || last_sent_at || coalesce(next_lesson_at, '-') || coalesce(status_at, '-') || coalesce(status_reason, '-') || created_at || updated_at, ',') FROM subscribers;
		    SELECT group_concat(id || at || coalesce(subscriber_id, '-') || kind, ',') FROM events;
		    SELECT group_concat(hash || reason || created_at) FROM suppressions;
		    SELECT group_concat(id || sent || outcome) FROM runs"
	}
	before=$(dump)
	run dm check
	[ "$status" -eq 0 ]
	[ "$(sql 'PRAGMA user_version')" = "$DB_LATEST" ]
	[ "$(dump)" = "$before" ]
	[ "$(sql 'SELECT count(*) FROM subscribers')" = 4 ]
	[ "$(sql 'SELECT count(*) FROM deliveries')" = 6 ]
	# Migration 6: every delivery the first copy, nobody paused.
	[ "$(sql 'SELECT count(*) FROM deliveries WHERE copy = 0')" = 6 ]
	[ "$(sql 'SELECT count(*) FROM subscribers WHERE paused_at IS NULL AND course_copy = 0')" = 4 ]
	[ "$(sql 'PRAGMA integrity_check')" = ok ]
	[ "$(sql 'PRAGMA foreign_key_check')" = "" ]
	run sql "UPDATE subscribers SET status = 'gone' WHERE id = 1"
	[[ "$output" == *"CHECK constraint failed"* ]]
	# d@example.org (id 5) was erased before the migration: its id is
	# not handed out again, nor any below the largest.
	run dm subscribers add f@example.org
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT id FROM subscribers WHERE email = 'f@example.org'")" -gt 5 ]
	# A live subscriber's link from before the migration still works.
	run dm unsubscribe "$(/usr/bin/python3 "$BATS_TEST_DIRNAME/lib/token.py" "$WORK/secret.key" u 2)"
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT status FROM subscribers WHERE id = 2")" = unsubscribed ]
	# Foreign keys still hold after the rebuild.
	dm subscribers remove a@example.org
	[ "$(sql "SELECT count(*) FROM deliveries WHERE subscriber_id = 1")" = 0 ]
}

@test "migrations 5 and 6: the automatic pause's counts are index range scans" {
	# A version 2 database goes through migration 5 (the indexes) and
	# 6, whose rebuild of deliveries must make its index again.
	sqlite3 dripmail.db < "$DATA/schema-v2.sql"
	sql "INSERT INTO events (at, kind) VALUES (1, 'runs_paused')"
	run dm check
	[ "$status" -eq 0 ]
	[ "$(sql 'PRAGMA user_version')" = "$DB_LATEST" ]
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'runs_paused'")" = 1 ]
	[[ "$(sql "EXPLAIN QUERY PLAN SELECT count(*) FROM deliveries WHERE sent_at >= 1 AND sent_at <= 2")" == *"USING COVERING INDEX deliveries_sent"* ]]
	[[ "$(sql "EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE kind = 'complaint' AND at >= 1 AND at <= 2")" == *"USING COVERING INDEX events_kind"* ]]
}

@test "a failed migration leaves the database as it was" {
	# A table in the way makes migration 1 fail half-way.
	sql 'CREATE TABLE events (x); INSERT INTO events VALUES (42)'
	run dm check
	[ "$status" -ne 0 ]
	[ "$(sql 'PRAGMA user_version')" = 0 ]
	[ "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'subscribers'")" = 0 ]
	[ "$(sql 'SELECT x FROM events')" = 42 ]
}

@test "two processes opening a new database at once both succeed" {
	for i in 1 2 3 4; do dm check > "out$i" 2>&1 & done
	wait
	for i in 1 2 3 4; do grep -q "database: .*ok" "out$i" || { cat "out$i"; false; }; done
	[ "$(sql 'PRAGMA integrity_check')" = ok ]
	[ "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'subscribers'")" = 1 ]
}

@test "a missing unsubscribe secret is a settings error (78)" {
	rm secret.key
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[unsubscribe] secret_file: cannot read"* ]]
	[ "$(grep -c 'secret_file: cannot read' <<< "$output")" -eq 1 ]
}
