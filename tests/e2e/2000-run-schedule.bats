#!/usr/bin/env bats
# `dripmail run --now`: which lesson each subscriber gets, and when.

load helpers
load lib/run

setup() {
	setup_workdir
	ini_set settings.ini schedule send_hour 8
	ini_set settings.ini schedule window_hours 12
	ini_del settings.ini launch date
	use_run_db
}
teardown() { teardown_workdir; }

@test "eight days, four zones, a DST change and a cron outage" {
	t0=2026-03-26T12:00Z
	add_sub ny@example.net America/New_York $t0
	add_sub ldn@example.net Europe/London $t0
	add_sub kol@example.net Asia/Kolkata $t0
	add_sub akl@example.net Pacific/Auckland $t0
	add_sub gone@example.net Europe/London $t0 "" unsubscribed
	start=$(date -u -d 2026-03-26T12:00Z +%s)
	for h in $(seq 0 191); do
		t=$((start + h * 3600))
		# cron is down 2026-03-28 00:00 to 15:00 UTC
		[ "$h" -ge 36 ] && [ "$h" -lt 51 ] && continue
		now=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)
		dm run --now "$now" > /dev/null 2> err || { cat err; false; }
	done
	sent_list > got
	cat > want <<'W'
kol@example.net day1 2026-03-26T12
ldn@example.net day1 2026-03-26T12
ny@example.net day1 2026-03-26T12
akl@example.net day1 2026-03-26T19
kol@example.net day2 2026-03-27T03
ldn@example.net day2 2026-03-27T08
ny@example.net day2 2026-03-27T12
akl@example.net day2 2026-03-27T19
ldn@example.net day3 2026-03-28T15
ny@example.net day3 2026-03-28T15
akl@example.net day3 2026-03-28T19
kol@example.net day3 2026-03-29T03
ldn@example.net day4 2026-03-29T07
ny@example.net day4 2026-03-29T12
akl@example.net day4 2026-03-29T19
kol@example.net day4 2026-03-30T03
ldn@example.net day5 2026-03-30T07
ny@example.net day5 2026-03-30T12
akl@example.net day5 2026-03-30T19
kol@example.net day5 2026-03-31T03
W
	sed -i 's/|/ /g' got
	diff -u want got
	[ "$(ls outbox/new | wc -l)" -eq 20 ]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE status = 'completed'")" -eq 4 ]
	[ "$(sql "SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'gone@example.net'")" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM runs")" -eq 177 ]
	# `show` lists each sent lesson (from the deliveries), in order, and
	# the completion after the last one.
	run dm subscribers show kol@example.net
	[ "$status" -eq 0 ]
	echo "$output" | sed -n 's/^  \([^ ]*\) \(sent\|completed\).*message=\(day[0-9]\).*/\1 \2 \3/p; s/^  \([^ ]*\) completed.*/\1 completed/p' > got
	cat > want <<'W'
2026-03-26T12:00:00Z sent day1
2026-03-27T03:00:00Z sent day2
2026-03-29T03:00:00Z sent day3
2026-03-30T03:00:00Z sent day4
2026-03-31T03:00:00Z sent day5
2026-03-31T03:00:00Z completed
W
	diff -u want got
}

@test "a lesson is never early and waits for the window" {
	add_sub kol@example.net Asia/Kolkata 2026-06-10T16:00Z
	# 21:30 in Kolkata: outside the window, nothing yet
	run dm run --now 2026-06-10T16:00:00Z
	[ "$status" -eq 0 ]
	[[ "$output" == *"run: sent 0,"* ]]
	run dm run --now 2026-06-11T02:29:00Z
	[[ "$output" == *"run: sent 0,"* ]]
	run dm run --now 2026-06-11T02:30:00Z
	[[ "$output" == *"run: sent 1,"* ]]
	# Day 2 not on the same local day, however often cron runs
	run dm run --now 2026-06-11T14:00:00Z
	[[ "$output" == *"run: sent 0,"* ]]
	run dm run --now 2026-06-12T02:30:00+00:00
	[[ "$output" == *"run: sent 1,"* ]]
	[ "$(sql 'SELECT lessons_sent FROM subscribers')" -eq 2 ]
}

@test "first_lesson = send_hour holds Day 1 until the local send hour" {
	ini_set settings.ini schedule first_lesson send_hour
	add_sub a@example.net Europe/London 2026-06-10T09:30Z
	run dm run --now 2026-06-10T09:35:00Z
	[[ "$output" == *"run: sent 0,"* ]]
	run dm run --now 2026-06-11T07:00:00Z
	[[ "$output" == *"run: sent 1,"* ]]
}

@test "launch: notifications in the local window, none late, waitlist enrolled" {
	ini_set settings.ini launch date "2026-12-01 09:00"
	ini_set settings.ini launch timezone Europe/London
	ini_set settings.ini launch late_limit 24h
	ini_set settings.ini launch enroll_waitlist yes
	add_sub w1@example.net Asia/Kolkata "" 2026-11-01T00:00Z
	add_sub w2@example.net America/New_York "" 2026-11-01T00:00Z
	# launch-2d is due 2026-11-29 09:00 UTC: 14:30 in Kolkata, but 04:00
	# in New York, which waits for 08:00 (13:00 UTC)
	run dm run --now 2026-11-29T08:59:00Z
	[[ "$output" == *"run: sent 0,"* ]]
	run dm run --now 2026-11-29T09:00:00Z
	[[ "$output" == *"run: sent 1,"* ]]
	run dm run --now 2026-11-29T12:59:00Z
	[[ "$output" == *"run: sent 0,"* ]]
	run dm run --now 2026-11-29T13:00:00Z
	[[ "$output" == *"run: sent 1,"* ]]
	# joins the waitlist after launch-2d's late limit: only "launch"
	add_sub w3@example.net Europe/London "" 2026-12-01T08:00Z
	run dm run --now 2026-12-01T09:00:00Z
	[[ "$output" == *"run: sent 2,"* ]]
	[ "$(sql "SELECT message FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'w3@example.net' ORDER BY d.id" | paste -sd ,)" = launch ]
	# enrolled at launch, but Day 1 waits for the next local send hour
	[ "$(sql "SELECT count(*) FROM subscribers WHERE course_at IS NOT NULL")" -eq 3 ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE message = 'day1'")" -eq 0 ]
	# 08:00 in New York: the launch mail, and Day 1 only the next day
	run dm run --now 2026-12-01T13:00:00Z
	[[ "$output" == *"run: sent 1,"* ]]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE message = 'day1'")" -eq 0 ]
	run dm run --now 2026-12-02T02:30:00Z	# 08:00 in Kolkata
	[[ "$output" == *"run: sent 1,"* ]]
	[ "$(sql "SELECT s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE message = 'day1'")" = w1@example.net ]
	# more than 24 h late: nobody newly eligible gets "launch"
	add_sub w4@example.net UTC "" 2026-12-03T10:00Z
	ini_set settings.ini launch enroll_waitlist no
	run dm run --now 2026-12-03T10:00:00Z
	[ "$(sql "SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'w4@example.net'")" -eq 0 ]
}

@test "suppressed subscribers get nothing, even what was already due" {
	add_sub a@example.net UTC 2026-06-10T09:00Z
	add_sub b@example.net UTC 2026-06-10T09:00Z
	run dm run --now 2026-06-10T09:00:00Z --limit 1
	[[ "$output" == *"run: sent 1,"* ]]
	sql "UPDATE subscribers SET status = 'unsubscribed' WHERE email = 'b@example.net'"
	run dm run --now 2026-06-10T09:05:00Z
	[[ "$output" == *"run: sent 0, retry 0, failed 0, suppressed 1"* ]]
	[ "$(sql "SELECT state FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'b@example.net'")" = suppressed ]
}

@test "--dry-run prints what would go and changes nothing" {
	add_sub a@example.net UTC 2026-06-10T09:00Z
	before=$(db_dump | md5sum)
	run dm run --now 2026-06-10T09:00:00Z --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"would send to=<a@example.net> message=day1"* ]]
	[[ "$output" == *"run: would send 1,"* ]]
	[ "$(db_dump | md5sum)" = "$before" ]
	[ ! -d outbox/new ] || [ "$(ls outbox/new | wc -l)" -eq 0 ]
}

@test "-v logs one line per delivery; the summary line always" {
	add_sub a@example.net UTC 2026-06-10T09:00Z
	run dm -v run --now 2026-06-10T09:00:00Z
	[[ "$output" == *"sent to=<a@example.net> message=day1 smtp=250"* ]]
	[[ "$output" == *"run: sent 1, retry 0, failed 0, suppressed 0 in "*" s"* ]]
}

@test "on a terminal a live progress line; none in a pipe or a file" {
	for i in 1 2 3; do add_sub "p$i@example.net" UTC 2026-06-10T09:00Z; done
	# script(1) gives the run a terminal for stdout and stderr.
	script -qec "'$DRIPMAIL' -c '$WORK/settings.ini' run --now 2026-06-10T09:00:00Z" /dev/null > tty.out
	grep -q $'\rrun: sent 3/3, [0-9]*/s, 0 s left' tty.out
	grep -q 'run: sent 3, retry 0, failed 0, suppressed 0 in ' tty.out
	[ "$(ls outbox/new | wc -l)" -eq 3 ]
	add_sub p4@example.net UTC 2026-06-10T09:00Z
	dm run --now 2026-06-10T09:00:00Z > file.out 2>&1
	[ -z "$(grep 's left' file.out)" ]
	grep -q 'run: sent 1, retry 0' file.out
}

@test "a course that does not load: exit 65, nothing sent" {
	add_sub a@example.net UTC 2026-06-10T09:00Z
	cp -R "$REPO/lessons" badlessons
	printf 'Subject: x\nDay: banana\n\nHi\n' > badlessons/day1.md
	ini_set settings.ini course lessons "$WORK/badlessons"
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 65 ]
	[[ "$output" == *"day1.md"* ]]
	[ "$(sql 'SELECT count(*) FROM deliveries')" -eq 0 ]
}

@test "a lesson that check flags is never sent: the run names it, exit 65" {
	add_sub a@example.net UTC 2026-06-10T09:00Z
	cp -R "$REPO/lessons" badlessons
	sed -i 's/{{course_name}}/{{frist_name}}/' badlessons/day1.md
	line=$(grep -n frist_name badlessons/day1.md | head -1 | cut -d: -f1)
	ini_set settings.ini course lessons "$WORK/badlessons"
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 65 ]
	[[ "$output" == *"badlessons/day1.md:$line: unknown variable 'frist_name'"* ]]
	[[ "$output" == *"nothing sent"* ]]
	[ "$(sql 'SELECT count(*) FROM deliveries')" -eq 0 ]
	[ ! -d outbox/new ] || [ "$(ls outbox/new | wc -l)" -eq 0 ]
	# check says the same, with the same one test
	run dm check
	[ "$status" -eq 65 ]
	[[ "$output" == *"badlessons/day1.md:$line: unknown variable 'frist_name'"* ]]
}

@test "bad --now and --limit are usage errors" {
	run dm run --now yesterday
	[ "$status" -eq 64 ]
	run dm run --limit 0
	[ "$status" -eq 64 ]
	run dm run extra
	[ "$status" -eq 64 ]
}

@test "a second run while one holds the lock exits 0 at once" {
	sqlite_only "the run lock is a flock beside the database file"
	use_run_db
	flock dripmail.db.lock sh -c 'echo 4242 > dripmail.db.lock; sleep 5' &
	holder=$!
	for i in $(seq 50); do [ -s dripmail.db.lock ] && break; sleep 0.05; done
	run dm run
	[ "$status" -eq 0 ]
	[[ "$output" == *"another run is active (pid 4242)"* ]]
	# Under cron (-q) an overlap is routine: no output, no mail.
	run dm -q run
	kill $holder
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
