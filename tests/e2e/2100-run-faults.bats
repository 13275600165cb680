#!/usr/bin/env bats
# `dripmail run` against a fault-injecting SMTP server (aiosmtpd).

load helpers
load lib/run
load lib/faultsmtp

setup() { run_fault_setup; }
teardown() { fault_stop; teardown_workdir; }

state() { sql "SELECT state FROM deliveries"; }

@test "250: sent, the server's reply kept, one recipient per message" {
	fault_start --mode ok
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(state)" = sent ]
	[ "$(received)" -eq 1 ]
	[[ "$(sql 'SELECT smtp_reply FROM deliveries')" == "250 2.0.0 Ok: queued as"* ]]
	grep -q '^X-Envelope-To: a@example.net' received/*.eml
	grep -q '^X-Envelope-From: course@example.org' received/*.eml
	# a second run sends nothing
	run dm run --now 2026-06-10T09:05:00Z
	[[ "$output" == *"run: sent 0,"* ]]
	[ "$(received)" -eq 1 ]
}

@test "421 at greeting: retry later, exit 75 (server unreachable)" {
	fault_start --mode greet421
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 75 ]
	[[ "$output" == *"run: sent 0, retry 1, failed 0"* ]]
	[ "$(state)" = retry ]
	[[ "$(sql 'SELECT smtp_reply FROM deliveries')" == *"421 4.3.2"* ]]
	# back-off: the first step, 15 minutes
	[ "$(sql "SELECT CAST(next_attempt_at - $(epoch 2026-06-10T09:00Z) BETWEEN 900 AND 902 AS INTEGER) FROM deliveries")" -eq 1 ]
}

@test "421 once: retried on a fresh connection in the same run" {
	fault_start --mode greet421 --times 1
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(state)" = sent ]
	[ "$(received)" -eq 1 ]
}

@test "451 and 452 at RCPT: retry with back-off, then sent" {
	for mode in rcpt451 rcpt452; do
		fault_stop
		sql "DELETE FROM deliveries; UPDATE subscribers SET lessons_sent = 0, next_lesson_at = NULL, last_sent_at = NULL"
		fault_start --mode $mode --times 1
		run dm run --now 2026-06-10T09:00:00Z
		[ "$status" -eq 0 ]
		[ "$(state)" = retry ]
		[[ "$(sql 'SELECT smtp_code FROM deliveries')" == 45[12] ]]
		# not before its next attempt time
		run dm run --now 2026-06-10T09:10:00Z
		[ "$(state)" = retry ]
		run dm run --now 2026-06-10T09:16:00Z
		[ "$(state)" = sent ]
	done
}

@test "4xx until retry_max_age: failed for good, exit 69" {
	ini_set settings.ini send retry_max_age 1h
	fault_start --mode rcpt451
	run dm run --now 2026-06-10T09:00:00Z
	[ "$(state)" = retry ]
	run dm run --now 2026-06-10T09:20:00Z
	[ "$(state)" = retry ]
	run dm run --now 2026-06-10T10:30:00Z
	[ "$status" -eq 69 ]
	[ "$(state)" = failed ]
	[ "$(sql 'SELECT attempts FROM deliveries')" -eq 3 ]
}

@test "550 5.1.1: failed, the subscriber hard-bounced, exit 69" {
	fault_start --mode rcpt550
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[[ "$output" == *"run: sent 0, retry 0, failed 1"* ]]
	[ "$(state)" = failed ]
	[ "$(sql 'SELECT status FROM subscribers')" = bounced ]
	[ "$(sql "SELECT status FROM events WHERE kind = 'bounce_hard'")" = 5.1.1 ]
	run dm run --now 2026-06-11T09:00:00Z
	[[ "$output" == *"run: sent 0, retry 0, failed 0"* ]]
}

@test "554 after DATA: failed, subscriber still active, course goes on" {
	fault_start --mode data554 --times 1
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[ "$(state)" = failed ]
	[[ "$(sql 'SELECT smtp_reply FROM deliveries')" == "554 5.7.1"* ]]
	[ "$(sql 'SELECT status FROM subscribers')" = active ]
	run dm run --now 2026-06-11T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT state FROM deliveries WHERE message = 'day2'")" = sent ]
}

@test "connection dropped mid-DATA: retried on a fresh connection" {
	fault_start --mode drop --times 1
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(state)" = sent ]
	[ "$(sql 'SELECT attempts FROM deliveries')" -eq 1 ]
}

@test "connection dropped every time: retry later" {
	fault_start --mode drop
	run dm run --now 2026-06-10T09:00:00Z
	[ "$(state)" = retry ]
}

@test "a server that stalls past the timeout: retry later" {
	fault_start --mode stall
	SECONDS=0
	run dm run --now 2026-06-10T09:00:00Z
	[ "$(state)" = retry ]
	[ "$SECONDS" -lt 10 ]
}

@test "nothing listening: exit 75, delivery untouched for the next run" {
	port=$(free_port)
	ini_set settings.ini smtp url "smtp://127.0.0.1:$port"
	ini_set settings.ini smtp tls off
	add_sub b@example.net UTC 2026-06-10T09:00Z
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 75 ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sending'")" -eq 0 ]
}

@test "tls = required refuses a server without STARTTLS" {
	fault_start --mode ok
	ini_set settings.ini smtp tls required
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 75 ]
	[ "$(received)" -eq 0 ]
}

@test "STARTTLS verified against ca_file, with AUTH" {
	fault_start_tls
	DRIPMAIL_SMTP_PASSWORD=s3cret run dm -v run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(received)" -eq 1 ]
	[[ "$output" != *"s3cret"* ]]
	# without the CA the certificate is refused
	ini_del settings.ini smtp ca_file
	add_sub b@example.net UTC 2026-06-10T09:00Z
	DRIPMAIL_SMTP_PASSWORD=s3cret run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 75 ]
	[ "$(received)" -eq 1 ]
	# a wrong password: no session, nothing sent
	ini_set settings.ini smtp ca_file "$WORK/cert.pem"
	DRIPMAIL_SMTP_PASSWORD=wrong run dm run --now 2026-06-10T09:20:00Z
	[ "$status" -eq 75 ]
	[[ "$(sql "SELECT smtp_reply FROM deliveries WHERE state = 'retry'")" == *"535"* ]]
	[ "$(received)" -eq 1 ]
}

@test "two runs started together against a slow server send once" {
	many_subs 30
	fault_start --mode slow --delay 0.1
	dm run --now 2026-06-10T09:00:00Z > out1 2>&1 &
	p1=$!
	dm run --now 2026-06-10T09:00:00Z > out2 2>&1 &
	p2=$!
	wait $p1 $p2
	cat out1 out2
	# SQLite: one of them stops at the flock; PostgreSQL's runs do not
	# exclude each other, they share the work (issue 14)
	db_pg || grep -q "another run is active" out1 out2
	[ "$(received)" -eq 31 ]
	[ "$(grep -h '^Message-ID:' received/*.eml | sort | uniq -d | wc -l)" -eq 0 ]
}

@test "max_per_minute caps the sending rate" {
	many_subs 5
	ini_set settings.ini send max_per_minute 3
	fault_start --mode ok
	run timeout 3 "$DRIPMAIL" -c settings.ini run --now 2026-06-10T09:00:00Z
	# 6 due, 3 may go in the first minute: the run is still waiting
	[ "$status" -eq 124 ]
	[ "$(received)" -eq 3 ]
}

@test "max_per_hour caps the rate, counting what earlier runs sent" {
	many_subs 5
	ini_set settings.ini send max_per_hour 2
	fault_start --mode ok
	run timeout 3 "$DRIPMAIL" -c settings.ini run --now 2026-06-10T09:00:00Z
	# 5 due, 2 may go in the first hour: the run is still waiting
	[ "$status" -eq 124 ]
	[ "$(received)" -eq 2 ]
	# Half an hour later the two sent still fill the hour: nothing goes.
	run timeout 3 "$DRIPMAIL" -c settings.ini run --now 2026-06-10T09:30:00Z
	[ "$status" -eq 124 ]
	[ "$(received)" -eq 2 ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -eq 2 ]
	# An hour after them, two more.
	run timeout 3 "$DRIPMAIL" -c settings.ini run --now 2026-06-10T10:00:05Z
	[ "$status" -eq 124 ]
	[ "$(received)" -eq 4 ]
}

@test "check --smtp logs in and reports; a refusal is exit 75" {
	fault_start_tls
	DRIPMAIL_SMTP_PASSWORD=s3cret run dm check --smtp
	[ "$status" -eq 0 ]
	[[ "$output" == *"smtp: smtp://localhost:$FAULT_PORT: ok (250"* ]]
	DRIPMAIL_SMTP_PASSWORD=wrong run dm check --smtp
	[ "$status" -eq 75 ]
	[[ "$output" == *"smtp: "*"535"* ]]
	[ "$(received)" -eq 0 ]
}

# 2026-12-02 regress: a password written in [smtp] url was printed.
@test "check --smtp never prints a password written in [smtp] url" {
	fault_start_tls
	ini_del settings.ini smtp username
	ini_set settings.ini smtp url "smtp://course:s3cret@localhost:$FAULT_PORT"
	run dm check --smtp
	[ "$status" -eq 0 ]
	[[ "$output" == *"smtp: smtp://course:***@localhost:$FAULT_PORT: ok (250"* ]]
	[[ "$output" != *s3cret* ]]
	ini_set settings.ini smtp url "smtp://course:wr0ng@localhost:$FAULT_PORT"
	run dm -vv check --smtp
	[ "$status" -eq 75 ]
	[[ "$output" == *"smtp: smtp://course:***@localhost:$FAULT_PORT: "*"535"* ]]
	[[ "$output" != *wr0ng* ]]
}

@test "check --smtp with the Maildir outbox" {
	run dm check --smtp
	[ "$status" -eq 0 ]
	[[ "$output" == *"smtp: maildir:outbox: ok"* ]]
	[ -d outbox/new ]
}

@test "status: subscribers, per-message counts, runs; --json" {
	fault_start --mode rcpt550 --times 1
	add_sub b@example.net UTC 2026-06-10T09:00Z
	add_sub w@example.net UTC "" 2026-06-01T00:00Z
	ini_set settings.ini send connections 1
	run dm run --now 2026-06-10T09:00:00Z
	run dm status --now 2026-06-11T09:00:00Z
	[ "$status" -eq 0 ]
	[[ "$output" == *"subscribers: active 2, completed 0, unsubscribed 0, bounced 1"* ]]
	[[ "$output" == *"lists: course 2, waitlist 1"* ]]
	echo "$output" | grep -Eq '^day1 +1 +0 +0 +0 +1$'
	echo "$output" | grep -Eq '^day2 +0 +1 +0 +0 +0$'
	[[ "$output" == *"sent 1, retry 0, failed 1, suppressed 0 (failed)"* ]]
	run dm status --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["messages"][0]["failed"], r["runs"][0]["sent"])')" = "1 1" ]
}

@test "verp: MAIL FROM carries a token naming subscriber and delivery" {
	fault_start --mode ok
	ini_set settings.ini smtp verp yes
	ini_set settings.ini smtp envelope_from bounces@example.org
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	grep -Eq '^X-Envelope-From: bounces\+[A-Za-z0-9_-]{20,}@example.org' received/*.eml
	grep -q '^Message-ID: <' received/*.eml
}
