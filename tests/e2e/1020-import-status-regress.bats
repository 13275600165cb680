#!/usr/bin/env bats
# 2026-12-02 regress: `subscribers export` then `import` into a fresh
# database made unsubscribed, bounced and complained people active again
# (import ignored the status column).  Import now honours a status column
# (dripmail's, Mailchimp's unsubscribed and cleaned exports, Kit's state,
# listmonk's status), and the suppression list moves with
# `subscribers export --suppressed` and `import --suppressed`.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

status_of() {
	sql "SELECT status FROM subscribers WHERE email = '$1'"
}

# statuses: "email status" of every subscriber, by address.
statuses() {
	sql "SELECT email || ' ' || status FROM subscribers ORDER BY email"
}

# A second course folder beside this one, with a fresh database.
other() {
	"$DRIPMAIL" -c "$WORK/other/settings.ini" "$@"
}
other_sql() {
	WORK=$WORK/other sql "$@"
}
make_other() {
	mkdir other
	cp settings.ini secret.key other/
	db_fresh "$WORK/other"
}

@test "export, export --suppressed, import into a fresh database: every status kept" {
	for e in act com uns bou cpl gone; do
		dm subscribers add $e@example.org --list course > /dev/null
	done
	dm subscribers unsubscribe uns@example.org > /dev/null
	sql "UPDATE subscribers SET status = 'completed', next_lesson_at = NULL
	    WHERE email = 'com@example.org'"
	sql "UPDATE subscribers SET status = 'bounced', status_at = 1790000000
	    WHERE email = 'bou@example.org'"
	sql "UPDATE subscribers SET status = 'complained', status_at = 1790000000
	    WHERE email = 'cpl@example.org'"
	dm subscribers remove gone@example.org > /dev/null
	dm subscribers export > all.csv
	run dm subscribers export --suppressed
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > suppressed.csv
	[ "${lines[0]}" = $'email,status,status_at,address_sha256\r' ]
	[[ "$output" == *"bou@example.org,bounced,2026-09-21T14:13:20Z,"* ]]
	gone=$(printf gone@example.org | sha256sum | cut -d' ' -f1)
	[[ "$output" == *",removed,"*",$gone"* ]]
	[[ "$output" != *act@example.org* ]]
	[[ "$output" != *gone@example.org* ]]

	make_other
	run --separate-stderr other import --suppressed suppressed.csv
	[ "$status" -eq 0 ]
	[ "$output" = "added 4, updated 0, unchanged 0, skipped 0, invalid 0" ]
	run --separate-stderr other import all.csv
	[ "$status" -eq 0 ]
	[ "$output" = "added 2, updated 0, unchanged 3, skipped 0, invalid 0" ]
	[ "$(other_sql "SELECT email || ' ' || status FROM subscribers ORDER BY email")" = \
	    "$(statuses)" ]
	# when they stopped, and the event that says why
	[ "$(other_sql "SELECT status_at FROM subscribers WHERE email = 'bou@example.org'")" = 1790000000 ]
	run other subscribers show bou@example.org
	[[ "$output" == *"bounce_hard source=import detail=status 'bounced' in suppressed.csv:3"* ]]
	# nothing is due for anyone but the active one
	[ "$(other_sql "SELECT email FROM subscribers WHERE next_lesson_at IS NOT NULL ORDER BY id" | paste -sd ,)" = act@example.org ]
	# the removed address stays out
	run other subscribers add gone@example.org
	[ "$status" -eq 65 ]
	[[ "$output" == *"removed earlier"* ]]
	# and a second round changes nothing
	run --separate-stderr other import --suppressed suppressed.csv
	[ "$output" = "added 0, updated 0, unchanged 4, skipped 0, invalid 0" ]
}

@test "a plain export imported into a fresh database keeps every status" {
	for e in act uns bou; do
		dm subscribers add $e@example.org --list course > /dev/null
	done
	dm subscribers unsubscribe uns@example.org > /dev/null
	sql "UPDATE subscribers SET status = 'bounced' WHERE email = 'bou@example.org'"
	dm subscribers export > all.csv
	make_other
	run other import all.csv
	[ "$status" -eq 0 ]
	[ "$(other_sql "SELECT email || ' ' || status FROM subscribers ORDER BY email")" = \
	    "$(statuses)" ]
	run other run --dry-run --now 2030-01-01T10:00:00Z
	[[ "$output" == *"would send to=<act@example.org>"* ]]
	[[ "$output" != *"uns@example.org"* ]]
	[[ "$output" != *"bou@example.org"* ]]
}

@test "an import never makes a suppressed person active; one saying stopped stops" {
	dm subscribers add stay@example.org --list course > /dev/null
	dm subscribers add live@example.org --list course > /dev/null
	dm subscribers unsubscribe stay@example.org > /dev/null
	printf 'email,status\nstay@example.org,active\nlive@example.org,unsubscribed\n' > in.csv
	run --separate-stderr dm import in.csv
	[ "$status" -eq 0 ]
	[ "$output" = "added 0, updated 1, unchanged 0, skipped 1, invalid 0" ]
	[ "$(status_of stay@example.org)" = unsubscribed ]
	[ "$(status_of live@example.org)" = unsubscribed ]
	[ "$(sql "SELECT CAST(next_lesson_at IS NULL AS INTEGER) FROM subscribers WHERE email = 'live@example.org'")" = 1 ]
	run dm subscribers show live@example.org
	[[ "$output" == *"unsubscribed source=import detail=status 'unsubscribed' in in.csv:3"* ]]
	# an unknown status is a bad row, not an active one
	printf 'email,status\nnew@example.org,gone away\n' > bad.csv
	run dm import bad.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"bad.csv:2: unknown status 'gone away'"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE email = 'new@example.org'")" = 0 ]
}

@test "Mailchimp's unsubscribed and cleaned exports" {
	run --separate-stderr dm import "$DATA/import-mailchimp-unsubscribed.csv"
	[ "$status" -eq 0 ]
	[ "$output" = "added 2, updated 0, unchanged 0, skipped 0, invalid 0" ]
	[ "$(status_of hal@example.com)" = unsubscribed ]
	[ "$(status_of ida@example.net)" = unsubscribed ]
	[ "$(sql "SELECT status_at FROM subscribers WHERE email = 'hal@example.com'")" = \
	    "$(date -u -d '2026-02-20 17:45:12' +%s)" ]
	run dm import "$DATA/import-mailchimp-cleaned.csv"
	[ "$status" -eq 0 ]
	[ "$(status_of jon@example.org)" = bounced ]
	run dm subscribers show jon@example.org
	[[ "$output" == *"bounce_hard source=import detail=status 'cleaned' in "*"import-mailchimp-cleaned.csv:2"* ]]
	# the subscribed export after them changes nobody
	run dm import "$DATA/import-mailchimp.csv"
	[ "$(sql "SELECT count(*) FROM subscribers WHERE status = 'active'")" -eq 2 ]
	[ "$(status_of hal@example.com)" = unsubscribed ]
}

@test "Kit's state and listmonk's status; a postal State is no status" {
	run --separate-stderr dm import "$DATA/import-kit.csv"
	[ "$status" -eq 0 ]
	[ "$output" = "added 4, updated 0, unchanged 0, skipped 1, invalid 0" ]
	[ "$(statuses)" = "kai@example.com active
lia@example.com unsubscribed
max@example.com bounced
noa@example.com complained" ]
	run dm import "$DATA/import-listmonk.csv"
	[ "$status" -eq 0 ]
	[ "$(status_of pia@example.org)" = active ]
	[ "$(status_of quinn@example.org)" = unsubscribed ]
	run dm import "$DATA/import-state-column.csv"
	[ "$status" -eq 0 ]
	[ "$(status_of rosa@example.com)" = active ]
	[ "$(status_of sam@example.com)" = active ]
}

@test "a not opted-in row (pending, Kit's inactive) is skipped, with the reason" {
	run dm import --reject-file rejects.csv "$DATA/import-kit.csv"
	[ "$status" -eq 0 ]
	[[ "$output" == *"import-kit.csv:6: skipped: not opted in (status 'inactive')"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE email = 'oli@example.com'")" = 0 ]
	grep -q "oli@example.com.*not opted in" rejects.csv
}

@test "import --suppressed: a plain list of addresses, hashes; active rows refused" {
	dm subscribers add known@example.org --list course > /dev/null
	hash=$(printf gone@example.org | sha256sum | cut -d' ' -f1)
	printf 'email,address_sha256\nknown@example.org,\nnew@example.org,\n,%s\n' \
	    "$(tr a-f A-F <<< "$hash")" > list.csv
	run --separate-stderr dm import --suppressed list.csv
	[ "$status" -eq 0 ]
	[ "$output" = "added 2, updated 1, unchanged 0, skipped 0, invalid 0" ]
	[ "$(status_of known@example.org)" = unsubscribed ]
	[ "$(status_of new@example.org)" = unsubscribed ]
	[ "$(sql "SELECT reason FROM suppressions WHERE hash = '$hash'")" = removed ]
	run dm subscribers add Gone@Example.org
	[ "$status" -eq 65 ]
	printf 'email,status\nok@example.org,active\n,unsubscribed\n' > bad.csv
	run dm import --suppressed bad.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"bad.csv:2: not a suppression: status 'active'"* ]]
	[[ "$output" == *"bad.csv:3: no address"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE email = 'ok@example.org'")" = 0 ]
	run dm subscribers export --suppressed --format json
	[ "$status" -eq 64 ]
}
