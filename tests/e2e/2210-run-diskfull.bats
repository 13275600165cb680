#!/usr/bin/env bats
# The disk fills up in the middle of a run: it stops handing out work at
# once, records what it sent, exits 74, and the next run repeats nothing.
# On PostgreSQL the disk is the server's: there the server stops instead.

load helpers
load lib/run
load lib/faultsmtp

CONNS=4

setup() {
	setup_workdir
	ini_del settings.ini launch date
	ini_set settings.ini send connections "$CONNS"
	if ! db_pg; then
		# a small file system of its own for the database (tests
		# run as root)
		mkdir small
		mount -t tmpfs -o size=16m tmpfs small
		ini_set settings.ini database path "$WORK/small/dripmail.db"
	fi
	dm check > /dev/null
}
teardown() {
	fault_stop
	umount "$WORK/small" 2> /dev/null
	teardown_workdir
}

# fill_but KIB: fill the small file system but KIB KiB.
fill_but() {
	dd if=/dev/zero of=small/fill bs=64k 2> /dev/null || true
	truncate -s "-${1}K" small/fill
}

@test "disk full mid-run: stop at once, record what was sent, exit 74, no repeats" {
	sqlite_only "the database file on a small file system of its own"
	sqlite3 -cmd '.timeout 10000' small/dripmail.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL
	    SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO subscribers (email,
	    timezone, signed_up_at, course_at, created_at, updated_at)
	    SELECT 'u' || i || '@example.net', 'UTC', 0,
	    unixepoch('2026-06-10T09:00Z'), 0, 0 FROM n"
	fault_start --mode ok
	# room to plan the run and start it, not to finish it
	fill_but 3000
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 74 ]
	[[ "$output" == *"disk is full"* ]]
	got=$(received)
	echo "# the failing run sent $got of 2000" >&3
	[ "$got" -gt 0 ] && [ "$got" -lt 2000 ]
	# everything it sent is recorded, nothing is left `sending`
	[ "$(sqlite3 -cmd '.timeout 10000' small/dripmail.db "SELECT count(*) FROM deliveries
	    WHERE state = 'sent'")" -eq "$got" ]
	[ "$(sqlite3 -cmd '.timeout 10000' small/dripmail.db "SELECT count(*) FROM deliveries
	    WHERE state = 'sending'")" -eq 0 ]
	rm small/fill
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(received)" -eq 2000 ]
	[ -z "$(grep -h '^Message-ID:' received/*.eml | sort | uniq -d)" ]
	[ ! -e small/dripmail.db-reserve ]
}

@test "the database server stops mid-run: exit 75; back, at most one repeat per connection" {
	pg_only "a database server to stop"
	# a commit is a commit, even when the server is killed (the test
	# cluster's synchronous_commit=off would lose the last ones)
	sql "ALTER DATABASE $(db_name) SET synchronous_commit = on"
	many_subs 2000
	fault_start --mode ok
	"$DRIPMAIL" -c "$WORK/settings.ini" run --now 2026-06-10T09:00:00Z \
	    > out 2> err &
	pid=$!
	while [ "$(received)" -lt 100 ]; do
		kill -0 "$pid" 2> /dev/null || { cat err; false; }
		sleep 0.01
	done
	pg_halt
	st=0
	wait "$pid" || st=$?
	cat err
	[ "$st" -eq 75 ]
	fault_idle
	got=$(received)
	echo "# the failing run sent $got of 2000" >&3
	[ "$got" -lt 2000 ]
	pg_resume
	# what it left `sending` is another run's once [send] lease is over
	sql "UPDATE deliveries SET updated_at = 0 WHERE state = 'sending'"
	# what it could record says sent; the rest goes again
	[ "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" -le "$got" ]
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	grep -h '^Message-ID:' received/*.eml | sort > ids
	[ "$(uniq ids | wc -l)" -eq 2000 ]
	[ "$(uniq -d ids | wc -l)" -le "$CONNS" ]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE lessons_sent = 1")" -eq 2000 ]
}
