#!/usr/bin/env bats
# `dripmail subscribers pause|resume|resend|restart|resubscribe`: steer one
# subscriber, then `run --now` against the fault SMTP server sends (or not).
# a@example.net is in UTC (window 08:00-20:00 UTC), enrolled 2026-06-10
# 09:00Z; Day 1 goes at once.

load helpers
load lib/run
load lib/faultsmtp
load lib/subscribers

setup() { run_fault_setup; }
teardown() { fault_stop; teardown_workdir; }

# runs T...: `dm run --now T` for each time, failing on a bad exit.
runs() {
	for t in "$@"; do
		dm run --now "$t" > /dev/null 2> err || { cat err; return 1; }
	done
}

# every_hours FROM TO STEP: the ISO times from FROM to TO, STEP hours apart.
every_hours() {
	local t=$(date -u -d "$1" +%s) end=$(date -u -d "$2" +%s)
	while [ "$t" -le "$end" ]; do
		date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ
		t=$((t + $3 * 3600))
	done
}

sent() { sent_list | sed 's/|/ /g'; }

# due_now T: status's "due now" of day1 ... day5 as of T.
due_now() {
	dm status --json --now "$1" | /usr/bin/python3 -c 'import json, sys
print(*[m["due_now"] for m in json.load(sys.stdin)["messages"]][:5])'
}

# msgids: the Message-IDs the server got, sorted, one a line.
msgids() { grep -h '^Message-ID:' received/*.eml | sort; }

@test "pause: nothing for days; resume: the next lesson, then one a day" {
	fault_start --mode ok
	runs 2026-06-10T09:00:00Z
	run dm subscribers pause a@example.net --now 2026-06-10T10:00:00Z
	[ "$status" -eq 0 ]
	[ "$output" = "paused a@example.net" ]
	run dm subscribers pause a@example.net --now 2026-06-10T10:05:00Z
	[ "$status" -eq 0 ]
	[ "$output" = "already paused: a@example.net (active)" ]
	# show, list and status say so
	run dm subscribers show a@example.net
	[[ "$output" == *"status: active"*"paused: since 2026-06-10T10:00:00Z"* ]]
	[[ "$output" == *"2026-06-10T10:00:00Z paused source=cli"* ]]
	run dm subscribers list --status paused
	[ "$output" = "$(printf 'a@example.net\tpaused\tcourse\t1\tTest')" ]
	run dm status --now 2026-06-12T09:00:00Z
	[[ "$output" == *"paused: 1"* ]]
	[[ "$output" == *"day2                    0        0          0"* ]]
	dm status --json | grep -q '^  "paused": 1,$'
	# three days of hourly runs: nothing
	runs $(every_hours 2026-06-10T11:00Z 2026-06-13T11:00Z 1)
	[ "$(received)" -eq 1 ]
	[ "$(sql 'SELECT lessons_sent, CAST(next_lesson_at IS NULL AS INTEGER) FROM subscribers')" = "1|1" ]
	run dm subscribers resume a@example.net --now 2026-06-13T11:30:00Z
	[ "$status" -eq 0 ]
	[ "$output" = "resumed a@example.net: next lesson due 2026-06-13T11:30:00Z" ]
	run dm subscribers resume a@example.net --now 2026-06-13T11:31:00Z
	[ "$output" = "not paused: a@example.net (active)" ]
	# Day 2 at the next run, then one a day: never the missed ones at once
	runs $(every_hours 2026-06-13T12:00Z 2026-06-17T12:00Z 1)
	sent > got
	cat > want <<'W'
a@example.net day1 2026-06-10T09
a@example.net day2 2026-06-13T12
a@example.net day3 2026-06-14T08
a@example.net day4 2026-06-15T08
a@example.net day5 2026-06-16T08
W
	diff -u want got
	[ "$(received)" -eq 5 ]
	[ "$(sql 'SELECT status FROM subscribers')" = completed ]
}

@test "pause holds a lesson waiting for a retry; resume sends it in the window" {
	fault_start --mode rcpt451
	runs 2026-06-10T09:00:00Z
	[ "$(sql 'SELECT state FROM deliveries')" = retry ]
	fault_stop
	fault_start --mode ok
	dm subscribers pause a@example.net --now 2026-06-10T09:05:00Z
	[ "$(sql 'SELECT CAST(next_attempt_at IS NULL AS INTEGER) FROM deliveries')" -eq 1 ]
	runs $(every_hours 2026-06-10T10:00Z 2026-06-11T20:00Z 2)
	[ "$(received)" -eq 0 ]
	# resumed after the window closed: the next window, not now
	run dm subscribers resume a@example.net --now 2026-06-11T21:00:00Z
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT next_attempt_at FROM deliveries")" = "$(epoch 2026-06-12T08:00Z)" ]
	runs 2026-06-11T21:00:00Z 2026-06-12T07:00:00Z
	[ "$(received)" -eq 0 ]
	runs 2026-06-12T08:00:00Z
	[ "$(received)" -eq 1 ]
	[ "$(sent)" = "a@example.net day1 2026-06-12T08" ]
}

@test "resend: that lesson again with a new Message-ID; the course goes on" {
	fault_start --mode ok
	runs 2026-06-10T09:00:00Z 2026-06-11T08:00:00Z
	[ "$(received)" -eq 2 ]
	run dm subscribers resend a@example.net day1 --now 2026-06-11T10:00:00Z
	[ "$status" -eq 0 ]
	[ "$output" = "resend day1 to a@example.net: due 2026-06-11T10:00:00Z" ]
	# status counts it due now, as the dry run would send it
	[ "$(due_now 2026-06-11T10:00:00Z)" = "1 0 0 0 0" ]
	run dm run --dry-run --now 2026-06-11T10:00:00Z
	[[ "$output" == *"would send to=<a@example.net> message=day1"* ]]
	runs 2026-06-11T10:00:00Z
	[ "$(due_now 2026-06-11T10:00:00Z)" = "0 0 0 0 0" ]
	[ "$(received)" -eq 3 ]
	[ "$(msgids | uniq | wc -l)" -eq 3 ]
	# the same lesson: two messages with its subject, different IDs
	subj=$(grep -h '^Subject:' "$(grep -l 'day1@' received/*.eml | head -1)")
	[ "$(grep -lx -- "$subj" received/*.eml | wc -l)" -eq 2 ]
	grep -q '^Message-ID: <[0-9a-f]*\.1\.day1\.c1@example\.org>' received/*.eml
	[ "$(sql "SELECT count(*) FROM deliveries WHERE message = 'day1' AND state = 'sent'")" -eq 2 ]
	# progress did not move: Day 3 tomorrow, not Day 2 again
	[ "$(sql 'SELECT lessons_sent FROM subscribers')" -eq 2 ]
	run dm subscribers show a@example.net
	[[ "$output" == *"2026-06-11T10:00:00Z resend message=day1 source=cli detail=copy 1"* ]]
	[ "$(printf '%s\n' "$output" | grep -c ' sent message=day1')" -eq 2 ]
	runs 2026-06-11T12:00:00Z 2026-06-12T08:00:00Z
	[ "$(sent | tail -1)" = "a@example.net day3 2026-06-12T08" ]
}

@test "resend to someone who completed, outside the window, and while paused" {
	fault_start --mode ok
	sql "UPDATE subscribers SET status = 'completed', lessons_sent = 5"
	# 22:00 UTC: due when the window opens
	run dm subscribers resend a@example.net day5 --now 2026-06-20T22:00:00Z
	[ "$output" = "resend day5 to a@example.net: due 2026-06-21T08:00:00Z" ]
	runs 2026-06-20T22:00:00Z
	[ "$(received)" -eq 0 ]
	runs 2026-06-21T08:00:00Z
	[ "$(sent)" = "a@example.net day5 2026-06-21T08" ]
	[ "$(sql 'SELECT status FROM subscribers')" = completed ]
	# a paused subscriber's resend waits for resume
	sql "UPDATE subscribers SET status = 'active', lessons_sent = 1, last_sent_at = $(epoch 2026-06-21T08:00Z)"
	dm subscribers pause a@example.net --now 2026-06-21T09:00:00Z
	run dm subscribers resend a@example.net day1 --now 2026-06-21T09:00:00Z
	[ "$output" = "resend day1 to a@example.net: held while paused" ]
	runs 2026-06-21T10:00:00Z
	[ "$(received)" -eq 1 ]
	dm subscribers resume a@example.net --now 2026-06-21T11:00:00Z
	runs 2026-06-21T11:00:00Z
	[ "$(received)" -eq 2 ]
	[ "$(sent | tail -1)" = "a@example.net day1 2026-06-21T11" ]
}

@test "resend and the others: unknown subscriber or lesson, missing operand" {
	run --separate-stderr dm subscribers resend nobody@example.net day1
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"no subscriber 'nobody@example.net'"* ]]
	run --separate-stderr dm subscribers resend a@example.net day9
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"no lesson or notification 'day9' in '$REPO/lessons'"* ]]
	run --separate-stderr dm subscribers resend a@example.net
	[ "$status" -eq 64 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail subscribers resend: missing LESSON" ]
	for c in pause resume restart; do
		run --separate-stderr dm subscribers $c nobody@example.net
		[ "$status" -eq 65 ]
		[[ "$stderr" == *"no subscriber 'nobody@example.net'"* ]]
	done
	run --separate-stderr dm subscribers pause a@example.net --now yesterday
	[ "$status" -eq 64 ]
	run --separate-stderr dm subscribers pause a@example.net --consent x
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"option '--consent' does not go with this subcommand"* ]]
	# a completed subscriber has nothing to pause
	sql "UPDATE subscribers SET status = 'completed'"
	run --separate-stderr dm subscribers pause a@example.net
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"'a@example.net' not paused: they completed the course: nothing to pause"* ]]
	# each has --help, on stdout, exit 0, without settings
	for c in pause resume resend restart resubscribe; do
		run --separate-stderr "$DRIPMAIL" -c /nonexistent subscribers $c --help
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[[ "$output" == "usage: dripmail subscribers "*"$c"* ]]
	done
	# nothing changed
	[ "$(sql 'SELECT count(*) FROM deliveries')" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM events WHERE source = 'cli'")" -eq 0 ]
}

@test "restart: Day 1 next with a new Message-ID; the history stays" {
	fault_start --mode ok
	runs 2026-06-10T09:00:00Z 2026-06-11T08:00:00Z 2026-06-12T08:00:00Z \
	    2026-06-13T08:00:00Z 2026-06-14T08:00:00Z
	[ "$(sql 'SELECT status FROM subscribers')" = completed ]
	run dm subscribers restart a@example.net --now 2026-06-15T10:00:00Z
	[ "$status" -eq 0 ]
	[ "$output" = "restarted a@example.net: Day 1 due 2026-06-15T10:00:00Z" ]
	[ "$(sql 'SELECT status, lessons_sent FROM subscribers')" = "active|0" ]
	runs 2026-06-15T10:00:00Z 2026-06-15T15:00:00Z 2026-06-16T08:00:00Z
	[ "$(sent | tail -2)" = "$(printf 'a@example.net day1 2026-06-15T10\na@example.net day2 2026-06-16T08')" ]
	[ "$(received)" -eq 7 ]
	[ "$(msgids | uniq | wc -l)" -eq 7 ]
	run dm subscribers show a@example.net
	[[ "$output" == *"lessons_sent: 2"* ]]
	[[ "$output" == *"2026-06-15T10:00:00Z restarted source=cli detail=from Day 1 (copy 1)"* ]]
	[ "$(printf '%s\n' "$output" | grep -c ' sent message=')" -eq 7 ]
	[ "$(printf '%s\n' "$output" | grep -c ' completed')" -eq 1 ]
	# a stopped subscriber is not restarted
	sql "UPDATE subscribers SET status = 'unsubscribed'"
	run --separate-stderr dm subscribers restart a@example.net
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"'a@example.net' not restarted: they get no mail (not active): resubscribe them first"* ]]
}

@test "restart drops the old round's lesson waiting for a retry" {
	fault_start --mode rcpt451
	runs 2026-06-10T09:00:00Z
	dm subscribers restart a@example.net --now 2026-06-10T09:30:00Z
	[ "$(sql "SELECT state, smtp_reply FROM deliveries")" = "failed|not sent: the course was restarted" ]
	fault_stop
	fault_start --mode ok
	runs 2026-06-10T09:30:00Z 2026-06-10T10:00:00Z
	[ "$(received)" -eq 1 ]
	[ "$(sql 'SELECT lessons_sent FROM subscribers')" -eq 1 ]
	grep -q '^Message-ID: <[0-9a-f]*\.1\.day1\.c1@example\.org>' received/*.eml
}

@test "resubscribe: needs --consent; a bounced address gets the course again" {
	fault_start --mode rcpt550
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[ "$(status_of a@example.net)" = bounced ]
	dm subscribers export --suppressed | grep -q '^a@example.net,bounced,'
	run --separate-stderr dm subscribers resubscribe a@example.net
	[ "$status" -eq 64 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail subscribers resubscribe: missing --consent: say why they may be mailed again" ]
	run --separate-stderr dm subscribers resubscribe a@example.net --consent "  "
	[ "$status" -eq 64 ]
	run --separate-stderr dm subscribers resubscribe a@example.net --consent "$(printf 'a\nb')"
	[ "$status" -eq 65 ]
	[ "$(status_of a@example.net)" = bounced ]
	run dm subscribers resubscribe a@example.net --now 2026-06-12T09:00:00Z \
	    --consent "wrote on 2026-06-12: mailbox fixed, please send again"
	[ "$status" -eq 0 ]
	[ "$output" = "resubscribed a@example.net" ]
	[ "$(status_of a@example.net)" = active ]
	! dm subscribers export --suppressed | grep -q '^a@example.net'
	run dm subscribers show a@example.net
	[[ "$output" == *"status: active since 2026-06-12T09:00:00Z (resubscribed)"* ]]
	[[ "$output" == *"resubscribed source=cli detail=wrote on 2026-06-12: mailbox fixed, please send again"* ]]
	run dm subscribers resubscribe a@example.net --consent again
	[ "$output" = "not stopped, nothing to do: a@example.net (active)" ]
	fault_stop
	fault_start --mode ok
	runs 2026-06-12T09:00:00Z 2026-06-13T08:00:00Z
	[ "$(sent)" = "$(printf 'a@example.net day1 2026-06-12T09\na@example.net day2 2026-06-13T08')" ]
}

@test "resubscribe: an unsubscribed one again, a complaint never" {
	fault_start --mode ok
	runs 2026-06-10T09:00:00Z
	dm subscribers unsubscribe a@example.net
	# an address removed and imported back as a suppression: hash kept too
	printf 'email,status\na@example.net,removed\n' > gone.csv
	dm import gone.csv > /dev/null
	[ "$(sql 'SELECT count(*) FROM suppressions')" -eq 1 ]
	run dm subscribers resubscribe a@example.net --consent "signed up again on the form" --now 2026-06-11T08:00:00Z
	[ "$status" -eq 0 ]
	[ "$(sql 'SELECT count(*) FROM suppressions')" -eq 0 ]
	runs 2026-06-11T08:00:00Z
	[ "$(sent | tail -1)" = "a@example.net day2 2026-06-11T08" ]
	add_sub c@example.net UTC 2026-06-10T09:00Z "" complained
	run --separate-stderr dm subscribers resubscribe c@example.net --consent "asked"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"'c@example.net' not resubscribed: they complained (marked a message as spam): a complaint cannot be undone with resubscribe"* ]]
	[ "$(status_of c@example.net)" = complained ]
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'resubscribed'")" -eq 1 ]
}

@test "restart: a lesson an interrupted run left on its way does not move the new course" {
	fault_start --mode ok
	runs 2026-06-10T09:00:00Z
	# day2 was handed to the server when the run died
	sql "INSERT INTO deliveries (subscriber_id, message, state, due_at,
	    next_attempt_at, attempts, created_at, updated_at)
	    VALUES (1, 'day2', 'sending', 0, 0, 1, 0, 0)"
	dm subscribers restart a@example.net --now 2026-06-11T08:30:00Z
	runs 2026-06-11T08:30:00Z
	# day2 once more, as the crash recovery does, and the new Day 1
	[ "$(sent | sort)" = "$(printf 'a@example.net day1 2026-06-10T09\na@example.net day1 2026-06-11T08\na@example.net day2 2026-06-11T08')" ]
	[ "$(sql 'SELECT lessons_sent FROM subscribers')" -eq 1 ]
	runs 2026-06-12T08:00:00Z
	[ "$(sent | tail -1)" = "a@example.net day2 2026-06-12T08" ]
	[ "$(sql 'SELECT lessons_sent FROM subscribers')" -eq 2 ]
}
