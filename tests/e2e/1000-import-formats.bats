#!/usr/bin/env bats
# `dripmail import`: the CSV shapes form tools and mailers export.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "BOM, CRLF, quoted commas, quotes and newlines" {
	run --separate-stderr dm import --list course "$DATA/import-bom-crlf.csv"
	[ "$status" -eq 0 ]
	[ "$output" = "added 3, updated 0, unchanged 0, skipped 0, invalid 0" ]
	[[ "$stderr" == *"import-bom-crlf.csv: ignored columns: Notes"* ]]
	[ "$(sql "SELECT first_name, timezone FROM subscribers
	    WHERE email = 'ben@example.org'")" = "Ben|America/New_York" ]
	[ "$(sql "SELECT first_name FROM subscribers
	    WHERE email = 'chloe@example.fr'")" = "Chloé" ]
	[ "$(sql "SELECT signed_up_at FROM subscribers
	    WHERE email = 'ana@example.org'")" = 1772356500 ]
}

@test "semicolons are detected; the first word of Name is the first name" {
	run dm import --list course "$DATA/import-semicolon.csv"
	[ "$status" -eq 0 ]
	[ "$output" = "added 2, updated 0, unchanged 0, skipped 0, invalid 0" ]
	[ "$(sql "SELECT first_name FROM subscribers ORDER BY id" |
	    paste -sd ' ')" = "Dora Emil" ]
}

@test "Mailchimp export: Email Address, OPTIN_TIME, TIMEZONE" {
	run --separate-stderr dm import --list course "$DATA/import-mailchimp.csv"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"ignored columns: Last Name, MEMBER_RATING"* ]]
	[ "$(sql "SELECT email, first_name, timezone, signed_up_at
	    FROM subscribers ORDER BY id" | head -1)" = \
	    "fay@example.com|Fay|Africa/Lagos|1770710462" ]
	[ "$(sql "SELECT count(*) FROM subscribers")" -eq 2 ]
}

@test "tab-separated from stdin, and --delimiter overrides detection" {
	printf 'email\tfirst_name\nlee@example.org\tLee\n' | dm import --list course -
	[ "$(sql "SELECT first_name FROM subscribers")" = Lee ]
	run dm import --list course --delimiter , "$DATA/import-semicolon.csv"
	[ "$status" -eq 65 ]
	[[ "$output" == *"no email column"* ]]
	run dm import --delimiter x "$DATA/import-semicolon.csv"
	[ "$status" -eq 64 ]
}

@test "missing file exits 66; no email column exits 65; nothing stored" {
	run dm import "$WORK/nope.csv"
	[ "$status" -eq 66 ]
	[[ "$output" == *"cannot open '$WORK/nope.csv'"* ]]
	printf 'name,phone\nAnn,123\n' > noemail.csv
	run dm import noemail.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"noemail.csv:1: no email column"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers")" -eq 0 ]
}

@test "a row that is not UTF-8 is refused naming its line" {
	printf 'email,name\nok@example.org,Ok\nlatin@example.org,Jos\351\n' > l1.csv
	run --separate-stderr dm import --list course l1.csv
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"l1.csv:3: not valid UTF-8"* ]]
	[ "$output" = "added 1, updated 0, unchanged 0, skipped 0, invalid 1" ]
}

@test "an unclosed quote refuses the whole file" {
	printf 'email\na@example.org\n"b@example.org\nc@example.org\n' > q.csv
	run dm import --list course q.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"q.csv:3: quoted field not closed"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers")" -eq 0 ]
}

@test "--json prints the counts as an object; --dry-run stores nothing" {
	run dm import --json --dry-run --list course "$DATA/import-semicolon.csv"
	[ "$status" -eq 0 ]
	[ "$output" = '{"added":2,"updated":0,"unchanged":0,"skipped":0,"invalid":0,"dry_run":true}' ]
	[ "$(sql "SELECT count(*) FROM subscribers")" -eq 0 ]
}

@test "usage: no file, two files, bad --list" {
	run dm import
	[ "$status" -eq 64 ]
	run dm import a.csv b.csv
	[ "$status" -eq 64 ]
	run dm import --list vip a.csv
	[ "$status" -eq 64 ]
	run dm import --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: dripmail import"* ]]
}
