#!/usr/bin/env bats
# `dripmail run` under [send] max_per_day, warmup and domain_max_per_hour,
# against the fault-injecting SMTP server: what does not fit waits for the
# next run with room, oldest due first, one lesson a local day at most.

load helpers
load lib/run
load lib/faultsmtp

setup() {
	setup_workdir
	ini_del settings.ini launch date
	ini_set settings.ini schedule send_hour 8
	ini_set settings.ini schedule window_hours 12
	ini_set settings.ini schedule timezone UTC
	ini_set settings.ini send connections 2
	use_run_db
	fault_start --mode ok
}
teardown() { fault_stop; teardown_workdir; }

# at TIME: one run as of TIME, its summary line in $output.
at() {
	run dm run --now "$1"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

# sent_on DAY: messages sent on that UTC date.
sent_on() {
	local day=$(epoch "$1")
	sql "SELECT count(*) FROM deliveries WHERE state = 'sent'
	    AND sent_at >= $day AND sent_at < $day + 86400"
}

@test "max_per_day cuts a run; the rest goes the next host day, oldest due first" {
	# The sending host is in Auckland (UTC+12 in June): its day turns at
	# 12:00 UTC.  The subscribers are in UTC, window 08:00 to 20:00.
	export TZ=Pacific/Auckland
	ini_set settings.ini send max_per_day 2
	add_sub a1@example.net UTC 2026-06-10T08:30Z
	add_sub a2@example.net UTC 2026-06-10T08:30Z
	add_sub a3@example.net UTC 2026-06-10T08:30Z
	add_sub b1@example.net UTC 2026-06-10T10:00Z
	add_sub b2@example.net UTC 2026-06-10T10:00Z
	add_sub z1@example.net UTC 2026-06-10T11:00Z

	run dm run --dry-run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(grep -c '^would send' <<< "$output")" -eq 2 ]
	[[ "$output" == *"held 1"* ]]

	at 2026-06-10T09:00:00Z
	[[ "$output" == "run: sent 2, retry 0, failed 0, suppressed 0, held 1 in "* ]]
	run dm status --now 2026-06-10T09:30:00Z
	[[ "$output" == *$'\ntoday: 2 of 2 sent\n'* ]]
	at 2026-06-10T10:05:00Z
	[[ "$output" == "run: sent 0,"*"held 3 in "* ]]
	at 2026-06-10T11:05:00Z
	[[ "$output" == "run: sent 0,"*"held 4 in "* ]]
	at 2026-06-10T11:59:00Z
	[[ "$output" == "run: sent 0,"* ]]
	# 00:00 in Auckland: a new day for the host, the oldest two go
	at 2026-06-10T12:00:00Z
	[[ "$output" == "run: sent 2,"*"held 2 in "* ]]
	run dm status --now 2026-06-10T12:30:00Z
	[[ "$output" == *$'\ntoday: 2 of 2 sent\n'* ]]
	# the first day's subscribers' Day 2 comes due behind the backlog
	at 2026-06-11T08:00:00Z
	[[ "$output" == "run: sent 0,"* ]]
	at 2026-06-11T12:00:00Z
	[[ "$output" == "run: sent 2,"* ]]
	at 2026-06-12T12:00:00Z
	sent_list | sed 's/|/ /g' > got
	cat > want <<'W'
a1@example.net day1 2026-06-10T09
a2@example.net day1 2026-06-10T09
a3@example.net day1 2026-06-10T12
b1@example.net day1 2026-06-10T12
b2@example.net day1 2026-06-11T12
z1@example.net day1 2026-06-11T12
a1@example.net day2 2026-06-12T12
a2@example.net day2 2026-06-12T12
W
	diff -u want got
	[ "$(received)" -eq 8 ]
}

@test "warm-up: day 1's cap, then day 3's, counted from the first send" {
	export TZ=UTC
	ini_set settings.ini send warmup "2, 3, 5"
	ini_set settings.ini send max_per_day 7
	many_subs 30 2026-06-10T08:00Z
	run dm status --now 2026-06-10T08:30:00Z
	[[ "$output" == *$'\ntoday: 0 of 2 sent (warm-up day 1 of 3)\n'* ]]
	at 2026-06-10T09:00:00Z
	at 2026-06-10T15:00:00Z
	[ "$(sent_on 2026-06-10)" -eq 2 ]
	run dm status --now 2026-06-10T16:00:00Z
	[[ "$output" == *$'\ntoday: 2 of 2 sent (warm-up day 1 of 3)\n'* ]]
	# no run on the 11th: the 12th is still day 3 of the warm-up
	at 2026-06-12T09:00:00Z
	at 2026-06-12T15:00:00Z
	[ "$(sent_on 2026-06-12)" -eq 5 ]
	run dm status --now 2026-06-12T16:00:00Z
	[[ "$output" == *$'\ntoday: 5 of 5 sent (warm-up day 3 of 3)\n'* ]]
	# after the list, max_per_day
	at 2026-06-13T09:00:00Z
	[ "$(sent_on 2026-06-13)" -eq 7 ]
	run dm status --now 2026-06-13T16:00:00Z
	[[ "$output" == *$'\ntoday: 7 of 7 sent\n'* ]]
	[ "$(received)" -eq 14 ]
}

@test "domain_max_per_hour holds one domain back, the others go" {
	export TZ=UTC
	ini_set settings.ini send domain_max_per_hour "gmail.com=2, outlook.com=1"
	for u in g1@gmail.com g2@gmail.com g3@GMAIL.com g4@gmail.com \
	    o1@outlook.com o2@outlook.com e1@example.net e2@example.net; do
		add_sub "$u" UTC 2026-06-10T08:00Z
	done
	at 2026-06-10T09:00:00Z
	[[ "$output" == "run: sent 5,"*"held 3 in "* ]]
	[ "$(sql "SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.state = 'sent' AND s.email LIKE '%@gmail.com'")" -eq 2 ]
	run dm status --now 2026-06-10T09:30:00Z
	[[ "$output" == *$'\nlast hour: gmail.com 2 of 2, outlook.com 1 of 1\n'* ]]
	[[ "$output" == *$'\ntoday: 5 sent (no daily cap)\n'* ]]
	# within the hour: nothing more for them
	at 2026-06-10T09:45:00Z
	[[ "$output" == "run: sent 0,"*"held 3 in "* ]]
	# an hour on: two more to gmail.com, one to outlook.com
	at 2026-06-10T10:01:00Z
	[[ "$output" == "run: sent 3, retry 0, failed 0, suppressed 0 in "* ]]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -eq 8 ]
	[ "$(received)" -eq 8 ]
}

@test "after a backlog, still one lesson a local day, in order" {
	export TZ=UTC
	ini_set settings.ini send max_per_day 4
	for z in UTC America/New_York Asia/Kolkata Pacific/Auckland; do
		add_sub "$(echo "$z" | tr '/A-Z' '-a-z')@example.net" "$z" 2026-06-10T00:00Z
	done
	many_subs 2 2026-06-10T00:00Z
	start=$(date -u -d 2026-06-10T00:00Z +%s)
	# every two hours for twelve days, with cron down for two of them
	held=0
	for h in $(seq 0 2 286); do
		[ "$h" -ge 48 ] && [ "$h" -lt 96 ] && continue
		at "$(date -u -d "@$((start + h * 3600))" +%Y-%m-%dT%H:%M:%SZ)"
		[[ "$output" != *", held "* ]] || held=$((held + 1))
	done
	# the cap did hold lessons back, on many runs
	[ "$held" -gt 20 ]
	# never more than 4 on one host day
	[ "$(sql "SELECT max(n) FROM (SELECT count(*) n FROM deliveries
	    WHERE state = 'sent' GROUP BY sent_at / 86400) AS days")" -eq 4 ]
	# every lesson of all six went, each on its own local day, in order
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -eq 30 ]
	sql "SELECT s.email, coalesce(s.timezone, 'UTC'), d.message, d.sent_at
	    FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
	    WHERE d.state = 'sent' ORDER BY s.email, d.sent_at" |
	while IFS='|' read -r email tz msg at; do
		echo "$email $msg $(TZ=$tz date -d "@$at" +%F)"
	done > got
	# the days in sending order are day1..day5, and no date repeats
	awk '{ if ($1 != who) { who = $1; n = 0; last = "" }
	    n++; if ($2 != "day" n) { print "out of order: " $0; bad = 1 }
	    if ($3 == last) { print "two on one day: " $0; bad = 1 }
	    last = $3 } END { exit bad }' got
}

@test "bad warmup and domain_max_per_hour items are named" {
	ini_set settings.ini send warmup "50, 1OO, 250"
	ini_set settings.ini send domain_max_per_hour "gmail.com=300, outlook.com"
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[send] warmup: '1OO' is not a daily cap"* ]]
	[[ "$output" == *"[send] domain_max_per_hour: 'outlook.com': no '='"* ]]
	ini_set settings.ini send warmup "50, 100"
	ini_set settings.ini send domain_max_per_hour "gmail.com=300, gmail.com=5"
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" != *"warmup"* ]]
	[[ "$output" == *"'gmail.com=5': domain given twice"* ]]
	# A domain no address could have would never hold anything back.
	for d in gmail..com .gmail.com gmail.com. -gmail.com localhost; do
		ini_set settings.ini send domain_max_per_hour "$d=5"
		run dm check
		[ "$status" -eq 78 ]
		[[ "$output" == *"'$d=5': not a domain name"* ]]
	done
}
