#!/usr/bin/env bats
# Several `dripmail run` workers on one PostgreSQL course at once: they
# share the due work (claims with FOR UPDATE SKIP LOCKED), each lesson goes
# once, a worker killed mid-run loses nothing (another run takes its rows
# after [send] lease), and the caps hold across workers.  PostgreSQL only:
# SQLite's run lock lets one run at a time (2200, 2030 test that).

DRIPMAIL_TEST_DB=pg
load helpers
load lib/faultsmtp

NOW=2026-06-10T09:00:00Z
export TZ=UTC
E=$(date -u -d "$NOW" +%s)
CONNS=2

setup() {
	setup_workdir
	ini_del settings.ini launch date
	ini_set settings.ini send connections "$CONNS"
	ini_set settings.ini smtp timeout 5s
	ini_set settings.ini smtp connect_timeout 5s
	ini_set settings.ini send lease 30s
	dm check > /dev/null
	fault_start --mode ok
}
teardown() { fault_stop; teardown_workdir; }

# subs N [DOMAIN]: N subscribers on the course since NOW, Day 1 due.
subs() {
	sql "INSERT INTO subscribers (email, timezone, signed_up_at,
	    course_at, created_at, updated_at) SELECT 'u' || i || '@' ||
	    '${2:-example.net}', 'UTC', 0, $E, 0, 0
	    FROM generate_series(1, $1) i"
}

# nreceived: how many messages the server took (no fork: a glob).
nreceived() {
	local f=("$WORK"/received/*.eml)
	[ -e "${f[0]}" ] && echo "${#f[@]}" || echo 0
}

# ids: the Message-IDs the server took, one a line, sorted.
ids() {
	find "$WORK/received" -name '*.eml' -print0 | xargs -0 -r grep -h \
	    '^Message-ID:' | tr -d '\r' | sed 's/^Message-ID: //' | sort
}

# workers N [ARGS...]: start N runs at once (not through dm(): $! must be
# dripmail itself); their pids in PIDS, their output in run.I.
workers() {
	local i n=$1
	shift
	PIDS=()
	for ((i = 1; i <= n; i++)); do
		"$DRIPMAIL" -c "$WORK/settings.ini" run --now "$NOW" "$@" \
		    > "run.$i" 2>&1 &
		PIDS+=($!)
	done
}

# wait_workers: each run ended with 0.
wait_workers() {
	local i st=0
	for i in "${!PIDS[@]}"; do
		wait "${PIDS[$i]}" || { st=$?; echo "run $((i + 1)) exited $st" >&2; cat "run.$((i + 1))" >&2; }
	done
	return "$st"
}

# stop_workers: kill what is still running (a run waiting for its caps).
stop_workers() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
}

# exactly_once N: the server took N messages, each Message-ID once, and
# the database says the same.
exactly_once() {
	[ "$(nreceived)" -eq "$1" ]
	[ "$(ids | uniq | wc -l)" -eq "$1" ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -eq "$1" ]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE lessons_sent = 1")" -eq "$1" ]
}

# shared_by N: at least N of the runs sent something, and their counts
# add up to what was sent.
shared_by() {
	[ "$(sql "SELECT count(*) FROM runs WHERE sent > 0")" -ge "$1" ]
	[ "$(sql "SELECT sum(sent) FROM runs")" -eq \
	    "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" ]
}

@test "4 workers on 2000 subscribers: each lesson once, the work shared" {
	subs 2000
	workers 4
	wait_workers
	exactly_once 2000
	shared_by 2
	grep -h '^run: sent' run.* >&3
	[ "$(sql "SELECT count(*) FROM runs WHERE finished_at IS NULL")" -eq 0 ]
}

@test "8 workers on 2500 subscribers, then 8 more overlapping: nothing twice" {
	subs 2500
	workers 8
	# a second wave while the first is at work
	first=("${PIDS[@]}")
	while [ "$(nreceived)" -lt 500 ]; do sleep 0.01; done
	workers 8
	PIDS+=("${first[@]}")
	wait_workers
	exactly_once 2500
	shared_by 4
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state <> 'sent'")" -eq 0 ]
}

# takeover N U REP: the N deliveries a dead run left sending (U of them
# without an answer, REP of these the server has) are left alone within
# the lease, and taken over by the next run past it, which records the
# answers and sends the U again: then each of TOTAL went, REP twice.
takeover() {
	local n=$1 u=$2 rep=$3 total=$4
	# within the lease the rows are still the dead run's: left alone
	# (what is still due goes)
	run dm run --now "$NOW"
	[ "$status" -eq 0 ]
	[[ "$output" != *resending* ]]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sending'")" -eq "$n" ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -eq \
	    "$((total - n))" ]
	# past it, the next run takes them over, same Message-IDs
	run dm run --now "$(date -u -d "@$((E + 60))" +%Y-%m-%dT%H:%M:%SZ)"
	[ "$status" -eq 0 ]
	[ "$u" -eq 0 ] ||
	    grep -q "resending $u messages\? interrupted by an earlier run" <<< "$output"
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -eq "$total" ]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE lessons_sent = 1")" -eq "$total" ]
	[ "$(ids | uniq | wc -l)" -eq "$total" ]
	# every extra copy is one the dead run had sent and not recorded
	[ "$(( $(nreceived) - total ))" -eq "$rep" ]
}

# left_sending MAX: the deliveries left sending, their number into N; of
# them, those without the server's answer (sent again by the run that
# takes them over; the others it records) into inflight and U, and into
# REP how many of these the server has (at most MAX: one per connection
# of the dead runs).
left_sending() {
	fault_idle
	N=$(sql "SELECT count(*) FROM deliveries WHERE state = 'sending'")
	sql "SELECT message_id FROM deliveries WHERE state = 'sending'
	    AND NOT EXISTS (SELECT 1 FROM answers
	    WHERE delivery_id = deliveries.id)" | sort > inflight
	U=$(wc -l < inflight)
	ids > got
	REP=$(comm -12 inflight got | wc -l)
	echo "# left $N sending, $U without an answer, $REP of them sent" >&3
	[ "$N" -gt 0 ]
	[ "$REP" -le "$1" ]
}

@test "SIGKILL of one worker: the others go on, a run after the lease sends the rest" {
	subs 2000
	workers 4
	while [ "$(nreceived)" -lt 300 ]; do sleep 0.005; done
	# the worker that holds the most deliveries sending
	victim=$(sql "SELECT r.pid FROM deliveries d JOIN runs r
	    ON r.id = d.run_id WHERE d.state = 'sending'
	    GROUP BY r.pid ORDER BY count(*) DESC LIMIT 1")
	kill -KILL "$victim"
	st=0
	wait "$victim" || st=$?
	[ "$st" -eq 137 ]
	for i in "${!PIDS[@]}"; do
		[ "${PIDS[$i]}" != "$victim" ] || unset "PIDS[$i]"
	done
	[ "${#PIDS[@]}" -eq 3 ]
	wait_workers
	left_sending "$CONNS"
	takeover "$N" "$U" "$REP" 2000
}

@test "a worker slower than its lease renews it: a later run leaves its deliveries alone" {
	# 4 messages a second over 2 connections: the first batches wait
	# longer than the lease for their turn
	ini_set settings.ini send lease 10s
	fault_stop
	fault_start --mode slow --delay 0.5
	subs 80
	t0=${EPOCHREALTIME/./}
	workers 1
	first=("${PIDS[@]}")
	while [ $(( ${EPOCHREALTIME/./} - t0 )) -lt 12000000 ]; do
		sleep 0.1
	done
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sending'
	    AND updated_at < $((E + 2))")" -eq 0 ]
	[ "$(nreceived)" -lt 64 ]
	# a run 12 s later on the same clock: nothing of the first is crashed
	"$DRIPMAIL" -c "$WORK/settings.ini" run --now \
	    "$(date -u -d "@$((E + 12))" +%Y-%m-%dT%H:%M:%SZ)" > run.2 2>&1 &
	PIDS=("${first[@]}" $!)
	wait_workers
	! grep -q resending run.*
	exactly_once 80
}

@test "the database server gone mid-run: each worker stops with 75, nothing lost" {
	# what the server acknowledged survives its crash (pg.bash turns
	# synchronous_commit off for speed; the guarantee needs it on)
	pg_sql postgres "ALTER DATABASE \"$PG_DB\" SET synchronous_commit = on"
	subs 2000
	workers 2
	while [ "$(nreceived)" -lt 200 ]; do sleep 0.005; done
	pg_halt
	for i in 1 2; do
		st=0
		wait "${PIDS[$((i - 1))]}" || st=$?
		[ "$st" -eq 75 ] || { echo "run $i exited $st" >&2; cat "run.$i" >&2; return 1; }
	done
	pg_resume
	left_sending $((2 * CONNS))
	takeover "$N" "$U" "$REP" 2000
}

@test "max_per_day is one cap for all workers" {
	ini_set settings.ini send max_per_day 25
	subs 200
	workers 4
	wait_workers
	exactly_once 25
	[ "$(grep -h -c 'held' run.* | paste -sd+ | bc)" -ge 1 ]
	run dm status --now "$NOW"
	[[ "$output" == *$'\ntoday: 25 of 25 sent\n'* ]]
}

@test "domain_max_per_hour is one cap for all workers" {
	ini_set settings.ini send domain_max_per_hour "gmail.com=7"
	subs 40 gmail.com
	sql "INSERT INTO subscribers (email, timezone, signed_up_at,
	    course_at, created_at, updated_at) SELECT 'o' || i ||
	    '@example.net', 'UTC', 0, $E, 0, 0 FROM generate_series(1, 30) i"
	workers 4
	wait_workers
	[ "$(sql "SELECT count(*) FROM deliveries d JOIN subscribers s
	    ON s.id = d.subscriber_id WHERE d.state = 'sent'
	    AND s.email LIKE '%@gmail.com'")" -eq 7 ]
	[ "$(sql "SELECT count(*) FROM deliveries d JOIN subscribers s
	    ON s.id = d.subscriber_id WHERE d.state = 'sent'
	    AND s.email LIKE '%@example.net'")" -eq 30 ]
	[ "$(nreceived)" -eq 37 ]
}

# seed_sent N AGO: N deliveries sent AGO seconds before NOW (on the runs'
# clock), to people not on the course: the window is that full.
seed_sent() {
	sql "WITH s AS (INSERT INTO subscribers (email, signed_up_at,
	    created_at, updated_at) SELECT 'seed' || i || '@example.org', 0,
	    0, 0 FROM generate_series(1, $1) i RETURNING id)
	    INSERT INTO deliveries (subscriber_id, message, state, due_at,
	    attempts, sent_at, created_at, updated_at) SELECT id, 'day1',
	    'sent', $((E - $2)), 1, $((E - $2)), 0, 0 FROM s"
}

# rate_cap KEY SPAN: KEY = 10 with the window full until 5 s into the
# run: 4 workers send nothing for 5 s, then 10 in all, then wait.
rate_cap() {
	ini_set settings.ini send "$1" 10
	seed_sent 10 $(($2 - 5))
	subs 60
	t0=${EPOCHREALTIME/./}
	workers 4
	while [ "$(nreceived)" -lt 10 ]; do
		[ $(( ${EPOCHREALTIME/./} - t0 )) -lt 30000000 ] || break
		sleep 0.05
	done
	# the window is shut again: 10, not 10 per worker
	sleep 2
	n=$(nreceived)
	stop_workers
	echo "# $1: $n received" >&3
	[ "$n" -eq 10 ]
	# none before the seeded ones left the window (file times, in s)
	first=$(stat -c %Y "$WORK"/received/*.eml | sort -n | head -n 1)
	[ "$first" -ge $(( t0 / 1000000 + 4 )) ]
}

@test "max_per_minute is one cap for all workers" {
	rate_cap max_per_minute 60
}

@test "max_per_hour is one cap for all workers" {
	rate_cap max_per_hour 3600
}
