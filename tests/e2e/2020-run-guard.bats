#!/usr/bin/env bats
# The automatic pause: too many hard bounces or complaints among the recent
# sends stop the next run (exit 69, one line) until `dripmail resume`.

load helpers
load lib/run
load lib/faultsmtp
load lib/subscribers

setup() { run_fault_setup; }
teardown() { fault_stop; teardown_workdir; }

B=$BATS_TEST_DIRNAME/data/bounces

sent() { sql "SELECT count(*) FROM deliveries WHERE state = 'sent'"; }
paused() { sql "SELECT count(*) FROM events WHERE kind = 'runs_paused'"; }

# day1_refused N REFUSED: N subscribers due on 2026-06-10 (a@example.net
# and u1...), of whom the relay refuses the first REFUSED at RCPT TO as
# unknown: the day 1 run exits 69, and prints its summary.
day1_refused() {
	many_subs $(($1 - 1))
	fault_start --mode rcpt550 --times "$2"
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[[ "$output" == *"run: sent $(($1 - $2)), retry 0, failed $2,"* ]]
}

@test "hard bounces over max_bounce_rate: the next run sends nothing, exits 69, says why once" {
	# 200 due: the relay refuses 11 at RCPT TO as unknown (5.5% > 5%)
	day1_refused 200 11
	[ "$(received)" -eq 189 ]
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'bounce_hard' AND source = 'smtp'")" -eq 11 ]

	# Day 2 is due for 189 the next morning: nothing goes out.
	run --separate-stderr dm run --now 2026-06-11T09:00:00Z
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == *"error: run: paused since 2026-06-11T09:00:00Z: hard bounces 5.5% (11 of 200 sends since 2026-06-04T09:00:00Z) over [guard] max_bounce_rate 5%, complaints 0.00% (0); nothing sent until 'dripmail resume'" ]]
	[ "$(received)" -eq 189 ]
	[ "$(sent)" -eq 189 ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE message = 'day2'")" -eq 0 ]
	[ "$(paused)" -eq 1 ]

	# status shows the pause, since when and why
	run dm status --now 2026-06-11T10:00:00Z
	[ "$status" -eq 0 ]
	[[ "$output" == *"PAUSED since 2026-06-11T09:00:00Z: hard bounces 5.5% (11 of 200 sends"* ]]
	[ "$(dm status --json --now 2026-06-11T10:00:00Z | /usr/bin/python3 -c '
import json, sys
g = json.load(sys.stdin)["guard"]
print(g["paused"], g["since"], g["sends"], g["hard_bounces"])')" = "True 2026-06-11T09:00:00Z 200 11" ]

	# The pause holds once the bounces have left the window, and is
	# recorded once.
	run --separate-stderr dm run --now 2026-06-20T09:00:00Z
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"paused since 2026-06-11T09:00:00Z: hard bounces 5.5%"* ]]
	[ "$(received)" -eq 189 ]
	[ "$(paused)" -eq 1 ]
}

@test "resume lifts the pause, records who and when, and the old bounces do not pause again" {
	day1_refused 200 11
	run dm run --now 2026-06-11T09:00:00Z
	[ "$status" -eq 69 ]

	run env SUDO_USER=alice "$DRIPMAIL" -c "$WORK/settings.ini" resume --now 2026-06-11T09:30:00Z
	[ "$status" -eq 0 ]
	[[ "$output" == "resumed: the pause since 2026-06-11T09:00:00Z is lifted by alice via sudo (uid "*"(it was: hard bounces 5.5%"* ]]
	[ "$(sql "SELECT CAST(at = $(epoch 2026-06-11T09:30Z) AS INTEGER), CAST(source LIKE 'alice via sudo (uid %)' AS INTEGER), CAST(subscriber_id IS NULL AS INTEGER) FROM events WHERE kind = 'runs_resumed'")" = "1|1|1" ]
	run dm status --now 2026-06-11T09:45:00Z
	[[ "$output" == *"guard: not paused; since 2026-06-11T09:30:00Z: 0 sends, 0 hard bounces, 0 complaints"* ]]
	[[ "$output" == *"last resumed 2026-06-11T09:30:00Z by alice via sudo"* ]]

	# The 11 bounces are still within 7 days, but before the resume.
	run dm run --now 2026-06-11T10:00:00Z
	[ "$status" -eq 0 ]
	[[ "$output" == *"run: sent 189,"* ]]
	[ "$(received)" -eq 378 ]

	# Nothing to lift: said, nothing recorded.
	run dm resume --now 2026-06-11T11:00:00Z
	[ "$status" -eq 0 ]
	[ "$output" = "not paused: nothing to resume" ]
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'runs_resumed'")" -eq 1 ]
}

@test "fewer sends than min_sample: no pause whatever the rate" {
	ini_set settings.ini guard min_sample 60
	day1_refused 50 10
	# 10 of 50 (20%), but 50 < 60
	run dm run --now 2026-06-11T09:00:00Z
	[ "$status" -eq 0 ]
	[[ "$output" == *"run: sent 40,"* ]]
	[ "$(received)" -eq 80 ]
	[ "$(paused)" -eq 0 ]
}

@test "a dry run over the limit says so and records nothing" {
	ini_set settings.ini guard min_sample 20
	day1_refused 20 2
	run --separate-stderr dm run --dry-run --now 2026-06-11T09:00:00Z
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"hard bounces 10.0% (2 of 20 sends"* ]]
	[ -z "$output" ]
	[ "$(paused)" -eq 0 ]
}

@test "complaints (ARF reports through dripmail bounces) over max_complaint_rate pause the next run" {
	# bounces records at the real time: so does this test, at any hour
	ini_set settings.ini schedule window_hours 24
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	many_subs 199 "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"
	fault_start --mode ok
	run dm run --now "$now"
	[ "$status" -eq 0 ]
	[ "$(received)" -eq 200 ]
	# one complaint of 200 sends: 0.5% > 0.3%, from someone who had
	# unsubscribed meanwhile (it counts all the same)
	dm subscribers unsubscribe u7@example.net > /dev/null
	sed 's/Angry\.Reader@isp\.example/u7@example.net/' "$B/arf-complaint.eml" > arf.eml
	maildir_put mail arf.eml
	run dm bounces mail
	[ "$status" -eq 0 ]
	[ "$(status_of u7@example.net)" = unsubscribed ]
	[ "$(sql "SELECT count(*) FROM events e JOIN subscribers s ON s.id = e.subscriber_id WHERE s.email = 'u7@example.net' AND e.kind = 'complaint'")" -eq 1 ]
	# someone new is due now, and is not sent to
	add_sub new@example.net UTC "$now"
	run --separate-stderr dm run
	[ "$status" -eq 69 ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == *"hard bounces 0.0% (0 of 200 sends since "*"), complaints 0.50% (1) over [guard] max_complaint_rate 0.3%; nothing sent until 'dripmail resume'" ]]
	[ "$(received)" -eq 200 ]
	[ "$(sql "SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'new@example.net'")" -eq 0 ]
	run dm status
	[[ "$output" == *"PAUSED since "*"complaints 0.50% (1) over [guard] max_complaint_rate 0.3%"* ]]
}

@test "[guard] settings out of range are named" {
	ini_set settings.ini guard max_bounce_rate 120%
	ini_set settings.ini guard max_complaint_rate lots
	ini_set settings.ini guard min_sample 0
	ini_set settings.ini guard window 1m
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[guard] max_bounce_rate: expected a percentage from 0% to 100%"* ]]
	[[ "$output" == *"[guard] max_complaint_rate: expected a percentage"* ]]
	[[ "$output" == *"[guard] min_sample: expected 1 to"* ]]
	[[ "$output" == *"[guard] window: expected a duration"* ]]
	ini_set settings.ini guard max_bounce_rate 2.5%
	ini_set settings.ini guard max_complaint_rate 0.1
	ini_set settings.ini guard min_sample 500
	ini_set settings.ini guard window 30d
	run dm check
	[ "$status" -eq 0 ]
}

@test "under cron (-q) a paused run says so when it pauses, then once a day; always exits 69" {
	day1_refused 200 11
	# TIME:WHAT for runs under -q (the first records the pause; a run
	# every 5 minutes must not mail the operator every time), without -q
	# (someone at a terminal) and a quiet dry run: those always say it
	for step in q2026-06-11T09:00:00Z:said q2026-06-11T09:05:00Z:silent \
	    v2026-06-11T09:10:00Z:said d2026-06-11T09:15:00Z:said \
	    q2026-06-12T08:55:00Z:silent q2026-06-12T09:00:00Z:said \
	    q2026-06-12T09:05:00Z:silent q2026-06-13T08:59:00Z:silent \
	    q2026-06-13T09:00:00Z:said; do
		at=${step:1:20}
		case $step in
		q*) run --separate-stderr "$DRIPMAIL" -q -c "$WORK/settings.ini" run --now "$at" ;;
		v*) run --separate-stderr dm run --now "$at" ;;
		d*) run --separate-stderr "$DRIPMAIL" -q -c "$WORK/settings.ini" run --dry-run --now "$at" ;;
		esac
		[ "$status" -eq 69 ] && [ -z "$output" ] || { echo "$step: $status"; false; }
		if [ "${step##*:}" = said ]; then
			[[ "$stderr" == *"run: paused since 2026-06-11T09:00:00Z: hard bounces 5.5%"* ]] || { echo "$step: '$stderr'"; false; }
		else
			[ -z "$stderr" ] || { echo "$step: '$stderr'"; false; }
		fi
	done
	[ "$(received)" -eq 189 ]
	[ "$(paused)" -eq 1 ]

	# a new pause after a resume is said at once
	dm resume --now 2026-06-13T10:00:00Z > /dev/null
	sql "UPDATE events SET at = $(epoch 2026-06-13T10:30Z) WHERE kind = 'bounce_hard'"
	sql "UPDATE deliveries SET sent_at = $(epoch 2026-06-13T10:30Z) WHERE sent_at IS NOT NULL"
	run --separate-stderr "$DRIPMAIL" -q -c "$WORK/settings.ini" run --now 2026-06-13T11:00:00Z
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"run: paused since 2026-06-13T11:00:00Z"* ]]
}
