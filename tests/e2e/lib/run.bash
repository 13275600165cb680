# run.bash - helpers for the `run` tests.

# add_sub EMAIL TZ [COURSE_AT] [WAITLIST_AT] [STATUS]: insert a subscriber
# directly (times ISO 8601; empty = NULL).  Prints nothing.
add_sub() {
	local email=$1 tz=${2:-} course=${3:-} wait=${4:-} status=${5:-active}
	local c=NULL w=NULL z=NULL
	[ -n "$course" ] && c=$(epoch "$course")
	[ -n "$wait" ] && w=$(epoch "$wait")
	[ -n "$tz" ] && z="'$tz'"
	sql "INSERT INTO subscribers (email, first_name, timezone, status,
	    signed_up_at, course_at, waitlist_at, created_at, updated_at)
	    VALUES ('$email', 'Test', $z, '$status', 0, $c, $w, 0, 0)"
}

# many_subs N [COURSE_AT]: N enrolled subscribers u1@example.net ... in UTC.
many_subs() {
	sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
	    WHERE i < $1) INSERT INTO subscribers (email, timezone,
	    signed_up_at, course_at, created_at, updated_at)
	    SELECT 'u' || i || '@example.net', 'UTC', 0,
	    $(epoch "${2:-2026-06-10T09:00Z}"), 0, 0 FROM n"
}

# sent_list: "email|message|YYYY-MM-DDTHH" for every sent delivery.
sent_list() {
	sql "SELECT s.email, d.message, d.sent_at FROM deliveries d
	    JOIN subscribers s ON s.id = d.subscriber_id WHERE d.state = 'sent'
	    ORDER BY d.sent_at, s.email" | /usr/bin/python3 -c '
import sys, time
for line in sys.stdin:
    email, msg, at = line.rstrip("\n").split("|")
    print(email, msg, time.strftime("%Y-%m-%dT%H", time.gmtime(int(at))),
          sep="|")'
}

# use_run_db: a fresh database for this test.
use_run_db() {
	dm check > /dev/null
}

# run_fault_setup: a fresh folder for the fault-server tests: no launch
# date, 2 s timeouts, 2 connections, one enrolled subscriber a@example.net
# due on 2026-06-10 at 09:00 UTC.
run_fault_setup() {
	setup_workdir
	ini_del settings.ini launch date
	ini_set settings.ini smtp timeout 2s
	ini_set settings.ini smtp connect_timeout 2s
	ini_set settings.ini send connections 2
	use_run_db
	add_sub a@example.net UTC 2026-06-10T09:00Z
}
