#!/usr/bin/env bats
# `dripmail import` regressions (2026-12-02): what a real CSV brought in
# wrong, or refused along with the good rows.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "a NUL inside a field rejects the row, naming the line" {
	printf 'email,first_name\na@example.org,A\n"b@example.org\0evil",B\nc@example.org,C\n' > nul.csv
	run --separate-stderr dm import --list course --reject-file rej.csv nul.csv
	[ "$status" -eq 65 ]
	[ "$output" = "added 2, updated 0, unchanged 0, skipped 0, invalid 1" ]
	[[ "$stderr" == *"nul.csv:3: NUL byte in a field"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE email = 'b@example.org'")" -eq 0 ]
	grep -q 'NUL byte in a field' rej.csv
}

@test "control characters in a rejected address cannot forge a log line" {
	printf 'email\n"x\r\n2026-01-01T00:00:00Z dripmail: info: sent to=<forged@example.org>\x1b[2K@example.org"\nok@example.org\n' > ctl.csv
	run --separate-stderr dm import --list course ctl.csv
	[ "$status" -eq 65 ]
	# One warning line, with the controls escaped, and no raw escape.
	[ "$(printf '%s\n' "$stderr" | grep -c 'dripmail: info: sent')" -eq 1 ]
	[ "$(printf '%s\n' "$stderr" | grep -c '^2026-01-01')" -eq 0 ]
	[[ "$stderr" == *'ctl.csv:2: invalid address '\''x\r\n2026'* ]]
	! printf '%s' "$stderr" | grep -q $'\x1b'
	# The same for the command line.
	run --separate-stderr dm subscribers show $'a\nforged line'
	[ "$status" -eq 65 ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == *"'a\\nforged line'"* ]]
}

@test "a name over two lines is two words; bidi controls are taken out" {
	printf 'email,first_name\neve@example.org,"Eve\r\nMulti"\nbidi@example.org,"Ann\xe2\x80\xaeeoJ"\n' > names.csv
	run dm import --list course names.csv
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT first_name FROM subscribers WHERE email = 'eve@example.org'")" = "Eve Multi" ]
	[ "$(printf %s "$(sql "SELECT first_name FROM subscribers WHERE email = 'bidi@example.org'")" |
	    od -An -tx1 | tr -d ' \n')" = 416e6e656f4a ]  # AnneoJ
}

@test "old and future signup dates: replaced by now with a warning; exports re-import" {
	printf 'email,signed_up_at\nold@example.org,0001-01-01\nfuture@example.org,2099-01-01T00:00:00Z\nok@example.org,2026-01-02\n' > dates.csv
	run --separate-stderr dm import --list course dates.csv
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"dates.csv:2: signup time '0001-01-01' is before 1970: using now"* ]]
	[[ "$stderr" == *"dates.csv:3: signup time '2099-01-01T00:00:00Z' is in the future: using now"* ]]
	now=$(date +%s)
	[ "$(sql "SELECT count(*) FROM subscribers WHERE signed_up_at > $now - 600 AND signed_up_at <= $now")" -eq 2 ]
	# A year below 1000 already stored exports with four digits and
	# comes back in (as a warning, not a failure).
	sql "UPDATE subscribers SET signed_up_at = $(epoch 0999-05-01) WHERE email = 'old@example.org'"
	dm subscribers export > out.csv
	grep -q '^old@example.org,,,active,course,0999-05-01T00:00:00Z,' out.csv
	mkdir again && cp settings.ini secret.key again/
	db_fresh "$WORK/again"
	run --separate-stderr "$DRIPMAIL" -c again/settings.ini import --list course out.csv
	[ "$status" -eq 0 ]
	[ "$output" = "added 3, updated 0, unchanged 0, skipped 0, invalid 0" ]
}

@test "Google Forms: Timestamp is the signup time" {
	printf 'Timestamp,Email Address,Name\n11/21/2025 9:05:33,gail@example.org,Gail Forms\n' > forms.csv
	run --separate-stderr dm import --list course forms.csv
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"ignored columns"* ]]
	[ "$(sql "SELECT signed_up_at, first_name FROM subscribers")" = "$(date -u -d '2025-11-21 09:05:33' +%s)|Gail" ]
}

@test "a field past 1 MiB rejects its row, not the file" {
	{ printf 'email,first_name\na@example.org,A\nb@example.org,"'
	  head -c 1200000 /dev/zero | tr '\0' x
	  printf '"\nc@example.org,C\n'; } > big.csv
	run --separate-stderr dm import --list course --reject-file rej.csv big.csv
	[ "$status" -eq 65 ]
	[ "$output" = "added 2, updated 0, unchanged 0, skipped 0, invalid 1" ]
	[[ "$stderr" == *"big.csv:3: field longer than 4096 bytes"* ]]
	[ "$(sql "SELECT email FROM subscribers ORDER BY id" | paste -sd ' ')" = "a@example.org c@example.org" ]
	grep -q '^b@example.org,,field longer than 4096 bytes' rej.csv
}

@test "a binary file: one error, nothing stored" {
	{ printf 'email\n'; head -c 4000 /dev/urandom; } > rnd.csv
	run --separate-stderr dm import --list course rnd.csv
	[ "$status" -eq 65 ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == *"rnd.csv: not a CSV text file"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers")" -eq 0 ]
}

@test "a non-ASCII address is refused at the door, naming the line" {
	printf 'email\nj\xc3\xb6rg@example.org\nok@b\xc3\xbccher.de\nann@example.org\n' > idn.csv
	run --separate-stderr dm import --list course idn.csv
	[ "$status" -eq 65 ]
	[ "$output" = "added 1, updated 0, unchanged 0, skipped 0, invalid 2" ]
	[[ "$stderr" == *"idn.csv:2: invalid address 'jörg@example.org': non-ASCII address"* ]]
	[[ "$stderr" == *"idn.csv:3: invalid address 'ok@bücher.de': non-ASCII address"* ]]
}
