#!/usr/bin/env bats
# `dripmail run` killed with SIGKILL in the middle of a send loses nothing
# and repeats at most one message per connection, with its Message-ID.

load helpers
load lib/run
load lib/faultsmtp

NOW=2026-06-10T09:00:00Z
CONNS=4
SUBS=3000

setup() {
	setup_workdir
	ini_del settings.ini launch date
	ini_set settings.ini send connections "$CONNS"
	use_run_db
}
teardown() { fault_stop; teardown_workdir; }

# nreceived: how many messages the fault server took (no fork: a glob).
nreceived() {
	local f=("$WORK"/received/*.eml)
	[ -e "${f[0]}" ] && echo "${#f[@]}" || echo 0
}

# ids_of FROM TO: the Message-IDs of received messages FROM..TO, sorted.
ids_of() {
	local i
	for ((i = $1; i <= $2; i++)); do
		printf '%s/received/%06d.eml\n' "$WORK" "$i"
	done | xargs -r grep -h '^Message-ID:' | tr -d '\r' |
	    sed 's/^Message-ID: //' | sort
}

# lock_holder: hold the database's write lock (as another dripmail command
# would) while stdin is open; "locked" on stdout once it has it.
# PostgreSQL: every table the run writes, locked against writes.
lock_holder() {
	if db_pg; then
		{ printf '%s\n' 'BEGIN;' 'LOCK TABLE deliveries, subscribers,
		    events, runs IN EXCLUSIVE MODE;' '\echo locked'
		  cat; echo 'ROLLBACK;'; } | db_psql
	else
		/usr/bin/python3 -I -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
c.execute("ROLLBACK")' "$WORK/dripmail.db"
	fi
}

# lock_db: hold the write lock until unlock_db.
lock_db() {
	mkfifo "$WORK/lock.fifo"
	lock_holder < "$WORK/lock.fifo" > "$WORK/lock.out" &
	LOCK_PID=$!
	exec {LOCK_FD}> "$WORK/lock.fifo"
	while [ ! -s "$WORK/lock.out" ]; do
		kill -0 "$LOCK_PID" || return 1
		sleep 0.01
	done
}
unlock_db() {
	exec {LOCK_FD}>&-
	wait "$LOCK_PID"
	rm -f "$WORK/lock.fifo" "$WORK/lock.out"
}

# lease_over: PostgreSQL: the deliveries a killed run left `sending` are
# another run's only once [send] lease has passed: as if it had.
lease_over() {
	db_pg || return 0
	sql "UPDATE deliveries SET updated_at = 0 WHERE state = 'sending'"
}

# run_and_kill N LOG [lock]: start a run, SIGKILL it once the server has
# taken N more messages; fails unless the run was still going when killed.
# With lock, hold the write lock from then on, and kill once the server
# has taken more messages than there are connections, or after a second:
# the workers must not run ahead of what is recorded.
run_and_kill() {
	local want=$(( $(nreceived) + $1 )) pid st state end
	# not through dm(): $! must be dripmail itself, not a subshell
	"$DRIPMAIL" -c "$WORK/settings.ini" run --now "$NOW" > /dev/null \
	    2> "$2" &
	pid=$!
	while [ "$(nreceived)" -lt "$want" ]; do
		state=Z
		read -r _ _ state _ < "/proc/$pid/stat" 2> /dev/null
		[ "$state" != Z ] || { echo "the run ended before $1 messages" >&2; return 1; }
		sleep 0.002
	done
	if [ "${3:-}" = lock ]; then
		lock_db
		want=$(( $(nreceived) + CONNS + 1 ))
		end=$(( ${EPOCHREALTIME/./} + 1000000 ))
		while [ "$(nreceived)" -lt "$want" ] &&
		    [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
			sleep 0.01
		done
	fi
	kill -KILL "$pid" || cat "$2" >&2
	st=0
	wait "$pid" || st=$?
	[ "${3:-}" != lock ] || unlock_db
	db_idle
	lease_over
	[ "$st" -eq 137 ] || { echo "run exited $st, not killed" >&2; return 1; }
	# a message whose end of data went out before the kill still counts
	fault_idle
}

@test "SIGKILL mid-send 20 times: at most one repeat per connection, nothing lost" {
	many_subs "$SUBS"
	fault_start --mode ok
	total=0
	for k in $(seq 20); do
		first=$(( $(nreceived) + 1 ))
		# every fourth time while another process holds the write lock
		run_and_kill $(( RANDOM % 30 + 1 )) "run.$k.err" \
		    "$( ((k % 4)) || echo lock)"
		# what the killed run left `sending` without the server's
		# answer: the next run sends them again (the answered ones
		# it records)
		sql "SELECT message_id FROM deliveries WHERE state = 'sending'
		    AND NOT EXISTS (SELECT 1 FROM answers
		    WHERE delivery_id = deliveries.id)" | sort > "inflight.$k"
		last=$(nreceived)
		# sent by run k (accepted by the server) but not recorded
		ids_of "$first" "$last" > "got.$k"
		rep=$(comm -12 "inflight.$k" "got.$k" | wc -l)
		echo "# kill $k: $((last - first + 1)) received, $(wc -l < "inflight.$k") left sending, $rep to repeat" >&3
		[ "$rep" -le "$CONNS" ]
		total=$((total + rep))
		# a run after a crash says so in one line, not one per message
		[ "$(grep -c 'resending .* interrupted by an earlier run' "run.$k.err")" -le 1 ]
		! grep -q 'resending to=' "run.$k.err"
	done
	n=$(wc -l < inflight.20)
	run dm run --now "$NOW"
	[ "$status" -eq 0 ]
	[ "$n" -eq 0 ] || [ "$(grep -c "resending $n messages\? interrupted by an earlier run, same Message-ID" <<< "$output")" -eq 1 ]
	[ "$(db_check)" = ok ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -eq "$SUBS" ]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE lessons_sent = 1")" -eq "$SUBS" ]
	ids_of 1 "$(nreceived)" > ids
	[ "$(uniq ids | wc -l)" -eq "$SUBS" ]
	# every extra copy is one that a killed run sent and had not recorded
	extra=$(( $(wc -l < ids) - SUBS ))
	echo "# $extra repeats in all over 20 kills, $CONNS connections" >&3
	[ "$extra" -eq "$total" ]
}

@test "status shows what an interrupted run had sent" {
	many_subs 300
	fault_start --mode ok
	# past two batches: answers are folded into deliveries batch by batch
	run_and_kill 200 run.err
	sent=$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")
	[ "$sent" -gt 0 ]
	run dm status --now "$NOW"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "sent $sent, .*(interrupted)$"
	run dm status --json --now "$NOW"
	[ "$(/usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["runs"][0]; print(r["outcome"], r["sent"])' <<< "$output")" = "interrupted $sent" ]
}

@test "after a crash: one warning line, each message at -v" {
	many_subs 3
	fault_start --mode ok
	dm run --now "$NOW" > /dev/null
	# as a killed run leaves them: sent is recorded with the
	# subscriber's progress in one transaction, so neither is
	# (and, for PostgreSQL's runs, claimed longer ago than [send] lease)
	crashed="UPDATE deliveries SET state = 'sending', sent_at = NULL,
	    next_attempt_at = due_at, updated_at = 0;
	    UPDATE subscribers SET lessons_sent = 0, last_sent_at = NULL"
	sql "$crashed"
	run dm run --now "$NOW"
	[ "$status" -eq 0 ]
	[ "$(grep -c resending <<< "$output")" -eq 1 ]
	grep -q "resending 3 messages interrupted by an earlier run, same Message-IDs" <<< "$output"
	sql "$crashed"
	run dm -v run --now "$NOW"
	[ "$(grep -c 'resending to=<u[123]@example.net> message=day1 after an interrupted run, same Message-ID <' <<< "$output")" -eq 3 ]
	[ "$(grep -h '^Message-ID:' received/*.eml | sort | uniq -c | awk '{print $1}' | sort -u)" = 3 ]
}

@test "answers kept before a kill are recorded by the next run, not sent again" {
	many_subs 4
	fault_start --mode ok
	dm run --now "$NOW" > /dev/null
	rm -f received/*.eml
	# as a killed run leaves them: all four sending, the server's answer
	# to three of them kept (two taken, one deferred), none folded yet
	sql "UPDATE deliveries SET state = 'sending', sent_at = NULL,
	    smtp_code = NULL, smtp_reply = NULL, next_attempt_at = due_at,
	    updated_at = 0;
	    UPDATE subscribers SET lessons_sent = 0, last_sent_at = NULL"
	ids=($(sql "SELECT id FROM deliveries ORDER BY id"))
	sql "INSERT INTO answers (delivery_id, err, step, code, reply, at)
	    VALUES (${ids[0]}, 0, 5, 250, '250 2.0.0 Ok: queued as A1', 1781082000),
	    (${ids[1]}, 0, 5, 250, '250 2.0.0 Ok: queued as A2', 1781082001),
	    (${ids[2]}, -2, 5, 451, '451 4.3.0 try again later', 1781082002)"
	run dm -v run --now "$NOW"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'before an interrupted run ended: recorded, not sent again' <<< "$output")" -eq 3 ]
	# only the one without an answer went to the server again
	[ "$(ls received | wc -l)" -eq 1 ]
	[ "$(sql "SELECT count(*) FROM answers")" -eq 0 ]
	[ "$(sql "SELECT state || ' ' || coalesce(smtp_code, 0) FROM deliveries
	    ORDER BY id" | tr '\n' ,)" = "sent 250,sent 250,retry 451,sent 250," ]
	[ "$(sql "SELECT smtp_reply FROM deliveries WHERE id = ${ids[1]}")" = \
	    "250 2.0.0 Ok: queued as A2" ]
	[ "$(sql "SELECT sent_at FROM deliveries WHERE id = ${ids[0]}")" -eq 1781082000 ]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE lessons_sent = 1")" -eq 3 ]
	[ "$(db_check)" = ok ]
}
