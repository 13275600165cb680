#!/usr/bin/env bats
# `dripmail run` killed with SIGKILL at random moments loses nothing.

load helpers
load lib/run
load lib/faultsmtp

setup() {
	setup_workdir
	ini_del settings.ini launch date
	ini_set settings.ini send connections 4
	use_run_db
}
teardown() { fault_stop; teardown_workdir; }

@test "SIGKILL at 20 random moments of a 2000-message send" {
	many_subs 2000
	fault_start --mode ok
	: > inflight
	kills=0
	while [ "$kills" -lt 20 ]; do
		# the binary itself, not dm: killing the subshell that runs
		# a shell function leaves its child running
		"$DRIPMAIL" -c "$WORK/settings.ini" run \
		    --now 2026-06-10T09:00:00Z > /dev/null 2>> runs.log &
		pid=$!
		sleep "0.$(( RANDOM % 25 + 5 ))"
		kill -KILL "$pid" 2> /dev/null || true
		wait "$pid" 2> /dev/null || true
		kills=$((kills + 1))
		sql "SELECT message_id FROM deliveries WHERE state = 'sending'" >> inflight
	done
	before=$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")
	echo "# $before sent before the final run, $(sort -u inflight | wc -l) in flight at a kill" >&3
	[ "$before" -gt 0 ]
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(sql 'PRAGMA integrity_check')" = ok ]
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -eq 2000 ]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE lessons_sent = 1")" -eq 2000 ]
	grep -h '^Message-ID:' received/*.eml | tr -d '\r' | \
	    sed 's/^Message-ID: //' | sort > ids
	[ "$(sort -u ids | wc -l)" -eq 2000 ]
	# what arrived twice was in flight when killed, with its Message-ID
	uniq -d ids > dups
	sort -u inflight > inflight.sorted
	[ -z "$(comm -23 dups inflight.sorted)" ]
	echo "# $(wc -l < dups) in-flight messages arrived twice" >&3
	# and every resent one was logged as such
	if [ -s dups ]; then grep -q "resending" runs.log; fi
}
