#!/usr/bin/env bats
# Launch: a waitlist driven through launch hour by hour (`run --now`), in
# several zones, with late joiners; and status's "due now" against what
# `run --dry-run` would send at the same moment.

load helpers
load lib/run

setup() {
	setup_workdir
	ini_set settings.ini schedule send_hour 8
	ini_set settings.ini schedule window_hours 12
	ini_set settings.ini schedule first_lesson immediate
	ini_set settings.ini launch date "2026-12-01 09:00"
	ini_set settings.ini launch timezone Europe/London
	ini_set settings.ini launch enroll_waitlist yes
	ini_del settings.ini launch late_limit		# the default, 12h
	ini_del settings.ini launch notify_at		# the default, window
	use_run_db
}
teardown() { teardown_workdir; }

# due_status NOW / due_dry NOW: "message count" lines, sorted, for what
# status calls due now and what a dry run would send at NOW.
due_status() {
	dm status --json --now "$1" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["messages"]:
    if m["due_now"]:
        print(m["id"], m["due_now"])' | sort
}
due_dry() {
	dm run --dry-run --now "$1" |
	    sed -n 's/^would send to=<[^>]*> message=\([^ ]*\).*/\1/p' |
	    sort | uniq -c | awk '{ print $2, $1 }'
}

# same_due NOW: status and the dry run agree; prints what is due.
same_due() {
	due_status "$1" > st.due
	due_dry "$1" > dry.due
	diff -u dry.due st.due >&2
	cat st.due
}

# launch_text EMAIL: the text part of the launch mail EMAIL got, decoded,
# on one line.
launch_text() {
	python3 - "$1" outbox/new/* <<'PY'
import email, email.policy, sys
for path in sys.argv[2:]:
    m = email.message_from_binary_file(open(path, "rb"),
        policy=email.policy.default)
    if sys.argv[1] in m["To"] and "is live" in m["Subject"]:
        print(" ".join(m.get_body(("plain",)).get_content().split()))
PY
}

# in_window: every sent message went out between 08:00 and 20:00 in the
# subscriber's own zone; prints the offenders.
in_window() {
	sql "SELECT s.email, d.message, s.timezone, d.sent_at FROM deliveries d
	    JOIN subscribers s ON s.id = d.subscriber_id
	    WHERE d.state = 'sent'" | python3 -c '
import sys, datetime, zoneinfo
for line in sys.stdin:
    email, msg, tz, at = line.strip().split("|")
    t = datetime.datetime.fromtimestamp(int(at), zoneinfo.ZoneInfo(tz))
    if not 8 <= t.hour < 20:
        print(email, msg, t.isoformat())'
}

@test "a waitlist through launch, hour by hour, in five zones with late joiners" {
	w=2026-11-01T00:00Z
	add_sub la@example.net America/Los_Angeles "" $w
	add_sub ldn@example.net Europe/London "" $w
	add_sub kol@example.net Asia/Kolkata "" $w
	add_sub akl@example.net Pacific/Auckland "" $w
	# Late joiners, added when the clock reaches them:
	#  late2d   6 h after launch-2d (London 15:00): gets it, late_limit 12 h
	#  dayafter a day after launch-2d: never "Two days to go"
	#  atlaunch at launch: only "the course is live"
	#  nightowl 3 h after launch, 04:00 in LA: launch at 08:00 LA
	#  toolate  6 h after launch, 20:30 in Kolkata: the window opens
	#           17.5 h after launch, past late_limit: no launch mail
	declare -A joins=(
		[2026-11-29T15]="late2d@example.net Europe/London"
		[2026-11-30T09]="dayafter@example.net America/New_York"
		[2026-12-01T09]="atlaunch@example.net Asia/Kolkata"
		[2026-12-01T12]="nightowl@example.net America/Los_Angeles"
		[2026-12-01T15]="toolate@example.net Asia/Kolkata"
	)
	# status's "due now" is what the dry run would send, at these hours.
	declare -A check=(
		[2026-11-29T09]="launch-2d 2" [2026-11-29T15]="launch-2d 1"
		[2026-11-29T16]="launch-2d 1" [2026-11-30T12]=""
		[2026-12-01T09]="launch 4" [2026-12-01T13]="launch 1"
		[2026-12-01T16]="launch 2" [2026-12-02T03]="day1 2"
		[2026-12-02T08]="day1 2" [2026-12-02T16]="day1 2"
	)
	start=$(date -u -d 2026-11-29T08:00Z +%s)
	for h in $(seq 0 91); do
		t=$((start + h * 3600))
		hour=$(date -u -d "@$t" +%Y-%m-%dT%H)
		now=${hour}:00:00Z
		if [ -n "${joins[$hour]:-}" ]; then
			add_sub ${joins[$hour]} "" "$now"
		fi
		if [ -n "${check[$hour]+x}" ]; then
			got=$(same_due "$now")
			[ "$got" = "${check[$hour]}" ] ||
			    { echo "$hour: due '$got', want '${check[$hour]}'"; false; }
		fi
		dm run --now "$now" > /dev/null 2> err || { cat err; false; }
	done
	sent_list | sed 's/|/ /g' > got
	cat > want <<'W'
kol@example.net launch-2d 2026-11-29T09
ldn@example.net launch-2d 2026-11-29T09
late2d@example.net launch-2d 2026-11-29T15
la@example.net launch-2d 2026-11-29T16
akl@example.net launch-2d 2026-11-29T19
atlaunch@example.net launch 2026-12-01T09
kol@example.net launch 2026-12-01T09
late2d@example.net launch 2026-12-01T09
ldn@example.net launch 2026-12-01T09
dayafter@example.net launch 2026-12-01T13
la@example.net launch 2026-12-01T16
nightowl@example.net launch 2026-12-01T16
akl@example.net launch 2026-12-01T19
atlaunch@example.net day1 2026-12-02T03
kol@example.net day1 2026-12-02T03
late2d@example.net day1 2026-12-02T08
ldn@example.net day1 2026-12-02T08
dayafter@example.net day1 2026-12-02T13
la@example.net day1 2026-12-02T16
nightowl@example.net day1 2026-12-02T16
akl@example.net day1 2026-12-02T19
atlaunch@example.net day2 2026-12-03T03
kol@example.net day2 2026-12-03T03
toolate@example.net day1 2026-12-03T03
W
	diff -u want got
	# Everything in the subscriber's local window, nothing twice.
	[ -z "$(in_window)" ] || { in_window; false; }
	[ "$(ls outbox/new | wc -l)" -eq 24 ]
	# The launch mail names Day 1's time, in the reader's own zone.
	for who in la kol nightowl dayafter atlaunch akl; do
		when="Wednesday 2 December at 08:00"
		[ $who = akl ] && when="Thursday 3 December at 08:00"
		launch_text $who@example.net > text
		grep -q "first lesson arrives on $when, your time" text ||
		    { echo "$who:"; cat text; false; }
	done
	[ -z "$(launch_text toolate@example.net)" ]
}

@test "notify_at = exact sends at Send-At whatever the local hour" {
	ini_set settings.ini launch notify_at exact
	add_sub la@example.net America/Los_Angeles "" 2026-11-01T00:00Z
	run dm run --now 2026-12-01T09:00:00Z	# 01:00 in Los Angeles
	[[ "$output" == *"run: sent 1,"* ]]
	[ "$(sql "SELECT message FROM deliveries WHERE state = 'sent'")" = launch ]
	# Day 1 still waits for the local send hour: 08:00 the same morning.
	run dm run --now 2026-12-01T15:59:00Z
	[[ "$output" == *"run: sent 0,"* ]]
	run dm run --now 2026-12-01T16:00:00Z
	[[ "$output" == *"run: sent 1,"* ]]
}

@test "a notification left to retry is not sent once the next one is due" {
	add_sub ldn@example.net Europe/London "" 2026-11-01T00:00Z
	dm run --now 2026-11-29T09:00:00Z > /dev/null
	sql "UPDATE deliveries SET state = 'retry', sent_at = NULL,
	    next_attempt_at = $(epoch 2026-12-01T09:00Z)"
	run dm -v run --now 2026-12-01T09:00:00Z
	[ "$status" -eq 0 ]
	[[ "$output" == *"dropped to=<ldn@example.net> message=launch-2d: too late"* ]]
	[ "$(sql "SELECT state FROM deliveries WHERE message = 'launch-2d'")" = failed ]
	[ "$(sql "SELECT state FROM deliveries WHERE message = 'launch'")" = sent ]
}

@test "first_lesson = send_hour: import stores when run will send Day 1" {
	# Inside the window at import (its send hour was an hour ago), yet
	# Day 1 waits for the next send hour, about 23 h away.
	zone=UTC
	[ "$(date -u +%-H)" -eq 0 ] && zone=Etc/GMT-3	# 03:00 there
	h=$(( $(TZ=$zone date +%-H) - 1 ))
	ini_set settings.ini schedule send_hour $h
	ini_set settings.ini schedule window_hours 12
	ini_set settings.ini schedule timezone $zone
	ini_set settings.ini schedule first_lesson send_hour
	ini_del settings.ini launch date
	printf 'email\na@example.net\n' > in.csv
	dm import in.csv > /dev/null
	dm subscribers add b@example.net > /dev/null
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	[ "$(same_due "$now")" = "" ]
	run dm run --now "$now"
	[[ "$output" == *"run: sent 0,"* ]]
	# Both stored the same Day 1: the next local send hour.
	next=$(sql "SELECT DISTINCT next_lesson_at FROM subscribers")
	[ "$(TZ=$zone date -d "@$next" +%H:%M:%S)" = "$(printf '%02d:00:00' $h)" ]
	[ "$next" -gt "$(date +%s)" ]
	at=$(date -u -d "@$next" +%Y-%m-%dT%H:%M:%SZ)
	[ "$(same_due "$at")" = "day1 2" ]
	run dm run --now "$at"
	[[ "$output" == *"run: sent 2,"* ]]
}
