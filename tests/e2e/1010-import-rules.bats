#!/usr/bin/env bats
# `dripmail import`: what is refused, merged, skipped, and how much.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "messy rows: each reported by line, rejects written as CSV" {
	dm subscribers add stopped@example.org --list course
	dm subscribers unsubscribe stopped@example.org
	run --separate-stderr dm import --list course --reject-file rej.csv \
	    "$DATA/import-messy.csv"
	[ "$status" -eq 65 ]
	[ "$output" = "added 3, updated 0, unchanged 0, skipped 2, invalid 4" ]
	[[ "$stderr" == *"import-messy.csv:3: skipped: duplicate of an earlier row"* ]]
	[[ "$stderr" == *"import-messy.csv:4: invalid address 'ivan@example': domain has no dot"* ]]
	[[ "$stderr" == *"import-messy.csv:5: invalid address 'not an address': no '@'"* ]]
	[[ "$stderr" == *"import-messy.csv:6: unknown timezone 'Mars/Olympus_Mons': using the default"* ]]
	[[ "$stderr" == *"import-messy.csv:7: skipped: unsubscribed"* ]]
	[[ "$stderr" == *"import-messy.csv:8: invalid address 'two@@example.org': more than one '@'"* ]]
	[[ "$stderr" == *"import-messy.csv:9: no address"* ]]
	cat > want.csv <<-'CSV'
	email,first_name,timezone,reason
	hana@example.com,Hannah,Asia/Tokyo,skipped: duplicate of an earlier row
	ivan@example,Ivan,Europe/Moscow,invalid address 'ivan@example': domain has no dot
	not an address,Nobody,,invalid address 'not an address': no '@'
	stopped@example.org,Stopped,Europe/London,skipped: unsubscribed
	two@@example.org,Two,,invalid address 'two@@example.org': more than one '@'
	,Empty,,no address
	CSV
	tr -d '\r' < rej.csv | diff -u want.csv -
	# Trimmed, domain lower-cased, local part kept; one row per person.
	[ "$(sql "SELECT email, first_name FROM subscribers
	    WHERE lower(email) = 'hana@example.com'")" = "Hana@example.com|Hana" ]
	[ "$(sql "SELECT CAST(timezone IS NULL AS INTEGER) FROM subscribers
	    WHERE email = 'jo@example.org'")" = 1 ]
	# The unsubscribe stands.
	[ "$(sql "SELECT status FROM subscribers
	    WHERE email = 'stopped@example.org'")" = unsubscribed ]
}

@test "a known address: empty fields filled, list joined, history kept" {
	dm subscribers add HANA@example.com --list waitlist
	sql "UPDATE subscribers SET lessons_sent = 2"
	run --separate-stderr dm import --list course "$DATA/import-messy.csv"
	[ "$status" -eq 65 ]
	# The second hana row merges into the same person: nothing new.
	[ "$output" = "added 3, updated 1, unchanged 1, skipped 0, invalid 4" ]
	[ "$(sql "SELECT email, first_name, timezone, lessons_sent,
	    CAST(waitlist_at IS NOT NULL AS INTEGER),
	    CAST(course_at IS NOT NULL AS INTEGER),
	    CAST(next_lesson_at IS NOT NULL AS INTEGER) FROM subscribers
	    WHERE lower(email) = 'hana@example.com'")" = \
	    "HANA@example.com|Hana|Asia/Tokyo|2|1|1|1" ]
	run --separate-stderr dm import --list course "$DATA/import-messy.csv"
	[ "$output" = "added 0, updated 0, unchanged 5, skipped 0, invalid 4" ]
}

@test "default list: waitlist before launch, course after" {
	printf 'email\npat@example.org\n' > one.csv
	ini_set settings.ini launch date "2099-01-01 09:00"
	dm import one.csv
	[ "$(sql "SELECT CAST(waitlist_at IS NOT NULL AS INTEGER),
	    CAST(course_at IS NULL AS INTEGER),
	    CAST(next_lesson_at IS NULL AS INTEGER) FROM subscribers")" = "1|1|1" ]
	ini_del settings.ini launch date
	printf 'email\nquinn@example.org\n' > two.csv
	dm import two.csv
	[ "$(sql "SELECT CAST(course_at IS NOT NULL AS INTEGER),
	    CAST(next_lesson_at IS NOT NULL AS INTEGER)
	    FROM subscribers WHERE email = 'quinn@example.org'")" = "1|1" ]
	# One event per imported file, none per subscriber.
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'subscribed'")" -eq 0 ]
	[ "$(sql "SELECT detail FROM events
	    WHERE kind = 'import' AND source = 'import' ORDER BY id" |
	    paste -sd /)" = \
	    "one.csv: added 1, updated 0, unchanged 0, skipped 0, invalid 0 (waitlist)/two.csv: added 1, updated 0, unchanged 0, skipped 0, invalid 0 (course)" ]
}

@test "100 000 generated rows: all added, one event for the file" {
	/usr/bin/python3 -c '
import sys
w = sys.stdout.write
w("Email Address,First Name,TIMEZONE\r\n")
for i in range(100000):
    w("Person%d@Example%d.org,P%d,%s\r\n" % (i, i % 50, i,
      ("Europe/London", "Asia/Kolkata", "")[i % 3]))
w("person7@EXAMPLE7.org,Dup,\r\n")' > big.csv
	run --separate-stderr dm import --list course big.csv
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"big.csv:100002: skipped: duplicate of an earlier row"* ]]
	[ "$output" = "added 100000, updated 0, unchanged 0, skipped 1, invalid 0" ]
	[ "$(sql "SELECT count(*), count(DISTINCT lower(email)) FROM subscribers")" = "100000|100000" ]
	[ "$(sql "SELECT count(*), max(CAST(subscriber_id IS NULL AS INTEGER)),
	    max(detail) FROM events")" = "1|1|big.csv: added 100000, updated 0, unchanged 0, skipped 1, invalid 0 (course)" ]
	# the bulk import's journal is undone (SQLite)
	db_pg || [ "$(sql "PRAGMA journal_mode")" = wal ]
}

@test "a database error half-way stops the reading too; nothing is stored" {
	printf 'email\nfirst@example.org\n' > small.csv
	dm import --list course small.csv
	# A trigger makes the insert fail at one row, as a full disk would.
	db_fail_trigger boom subscribers "NEW.email = 'e30000@example0.org'" \
	    'disk on fire'
	/usr/bin/python3 -c '
import sys
w = sys.stdout.write
w("email\n")
for i in range(200000):
    w("e%d@example%d.org\n" % (i, i % 50))' > big.csv
	run --separate-stderr timeout 60 "$DRIPMAIL" -c "$WORK/settings.ini" import --list course big.csv
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]	# failed, and did not hang
	[[ "$stderr" == *"disk on fire"* ]]
	[ -z "$output" ]
	[ "$(sql "SELECT email FROM subscribers ORDER BY id" | paste -sd ,)" = first@example.org ]
	[ "$(db_check)" = ok ]
	db_pg || [ "$(sql "PRAGMA journal_mode")" = wal ]
}

# subscribers_events: every address, and how many events.
subscribers_events() {
	sql "SELECT email FROM subscribers ORDER BY id;
	    SELECT count(*) FROM events"
}

# The byte offset the import has read in file $2 (via /proc).
read_offset() {
	local pid=$1 file=$2 fd
	for fd in /proc/"$pid"/fd/*; do
		if [ "$(readlink "$fd")" = "$file" ]; then
			sed -n 's/^pos:[[:space:]]*//p' /proc/"$pid"/fdinfo/"${fd##*/}"
			return 0
		fi
	done
	echo 0
}

@test "kill -9 half-way through: the database is as before and valid" {
	printf 'email\nfirst@example.org\nsecond@example.org\n' > small.csv
	dm import --list course small.csv
	before=$(subscribers_events)
	/usr/bin/python3 -c '
import sys
w = sys.stdout.write
w("email,first_name\n")
for i in range(600000):
    w("k%d@example%d.org,K%d\n" % (i, i % 50, i))' > big.csv
	size=$(stat -c %s big.csv)
	"$DRIPMAIL" -c "$WORK/settings.ini" import --list course "$WORK/big.csv" \
	    > out 2> err &
	pid=$!
	pos=0
	while kill -0 "$pid" 2>/dev/null && [ "$pos" -lt $((size / 2)) ]; do
		pos=$(read_offset "$pid" "$WORK/big.csv")
		pos=${pos:-0}
		sleep 0.01
	done
	kill -9 "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 137 ]		# killed, not finished
	db_idle
	[ "$pos" -ge $((size / 2)) ]
	[ ! -s out ]
	[ "$(db_check)" = ok ]
	[ "$(subscribers_events)" = "$before" ]
	# And the next import works.
	run dm import --list course small.csv
	[ "$output" = "added 0, updated 0, unchanged 2, skipped 0, invalid 0" ]
}

@test "rows of full batches: every outcome reported in file order" {
	dm subscribers add old1@example.org --list course
	dm subscribers add gone@example.org --list course
	dm subscribers unsubscribe gone@example.org
	# 1200 rows (several 256-row batches): new addresses, duplicates in
	# the same batch and across batches, known and unsubscribed ones,
	# invalid addresses and unknown zones, spread through the file.
	/usr/bin/python3 - <<-'PY'
	rows, want, seen = [], [], set()
	for i in range(1200):
	    line, tz, why = i + 2, "", None
	    if i % 97 == 5:
	        e = "bad%d@example" % i
	        why = "invalid address '%s': domain has no dot" % e
	    elif i % 89 == 7:
	        e = "OLD1@example.org"
	    elif i % 101 == 9:
	        e, why = "gone@example.org", "skipped: unsubscribed"
	    elif i % 53 == 11 and i > 300:
	        e = "P%d@Example.org" % (i - 300)
	    elif i % 31 == 13:
	        e = "p%d@example.org" % (i - 1)
	    else:
	        e = "p%d@example.org" % i
	        tz = "Mars/Base" if i % 71 == 3 else "Europe/Paris"
	    if e.lower().startswith("p"):
	        if e.lower() in seen:
	            why = "skipped: duplicate of an earlier row"
	        seen.add(e.lower())
	    rows.append("%s,%s" % (e, tz))
	    if tz == "Mars/Base":
	        want.append("rows.csv:%d: unknown timezone 'Mars/Base': "
	                    "using the default" % line)
	    if why:
	        want.append("rows.csv:%d: %s" % (line, why))
	open("rows.csv", "w").write("email,timezone\n" + "\n".join(rows) + "\n")
	open("want.txt", "w").write("\n".join(want) + "\n")
	print(len(seen), file=open("added.txt", "w"))
	PY
	run --separate-stderr dm import --list course --reject-file rej.csv rows.csv
	[ "$status" -eq 65 ]
	echo "$stderr" | sed 's/^.*dripmail: warning: //' | diff -u want.txt -
	# The reject file: the same rows, in the same order.
	grep -v unknown want.txt | sed 's/^rows.csv:[0-9]*: //' > want-rej.txt
	tail -n +2 rej.csv | tr -d '\r' | sed 's/^[^,]*,[^,]*,//' |
	    diff -u want-rej.txt -
	added=$(cat added.txt)
	[ "$(sql "SELECT count(*) FROM subscribers WHERE lower(email) LIKE 'p%'")" -eq "$added" ]
	[ "$output" = "added $added, updated 0, unchanged $(grep -c '^OLD1' rows.csv), skipped $(grep -c skipped want.txt), invalid $(grep -c invalid want.txt)" ]
	[ "$(sql "SELECT status FROM subscribers WHERE email = 'gone@example.org'")" = unsubscribed ]
	[ "$(sql "SELECT CAST(timezone IS NULL AS INTEGER) FROM subscribers WHERE email = 'p3@example.org'")" = 1 ]
}
