#!/usr/bin/env bats
# Regressions (2026-12-02): subscribers that were accepted but could never
# be sent to.  Names of any length are sent (encoded and folded in To:);
# what cannot be sent is refused at the door.

load helpers
load lib/run

setup() {
	setup_workdir
	ini_set settings.ini schedule send_hour 8
	ini_set settings.ini schedule window_hours 12
	ini_set settings.ini schedule first_lesson immediate
	ini_del settings.ini launch date
	use_run_db
}
teardown() { teardown_workdir; }

# to_name FILE: the To: display name of a message, decoded (RFC 2047).
to_name() {
	python3 - "$1" <<'PY'
import email, sys
from email.header import decode_header, make_header
m = email.message_from_bytes(open(sys.argv[1], "rb").read())
print(str(make_header(decode_header(m["To"].rsplit("<", 1)[0]))).strip())
PY
}

@test "long names, with specials or not ASCII, are sent, folded" {
	specials=$(python3 -c 'print("Ann-" + "x\"<>,;@()" * 60)')
	accents=$(python3 -c 'print("Zoë " + "ñ" * 2000)')
	oneword=$(python3 -c 'print("A" * 900)')
	dm subscribers add --list course --name "$specials" s@example.org
	dm subscribers add --list course --name "$accents" u@example.org
	dm subscribers add --list course --name "$oneword" w@example.org
	# `add` enrols them now, by the clock: send on the next morning.
	run --separate-stderr dm run --now "$(date -u -d 'tomorrow 09:30' +%Y-%m-%dT%H:%M:%SZ)"
	[ "$status" -eq 0 ]
	[[ "$output" == "run: sent 3, retry 0, failed 0,"* ]]
	for f in outbox/new/*; do
		# Header lines stay within 78 characters.
		sed '/^\r$/q' "$f" | sed -n '/^To:/,/^[A-Z]/p' | sed '$d' > to
		[ "$(awk 'length($0) > 79' to | wc -l)" -eq 0 ]
		grep -q '^To: ' to
		n=$(to_name "$f")
		[ "$n" = "$specials" ] || [ "$n" = "$accents" ] ||
		    [ "$n" = "$oneword" ]
	done
	[ "$(ls outbox/new | wc -l)" -eq 3 ]
}

@test "a name that is not UTF-8 and a non-ASCII address are refused" {
	run --separate-stderr dm subscribers add --name $'Bad\xff\xfe' b@example.org
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"--name: not valid UTF-8"* ]]
	run --separate-stderr dm subscribers add 'jörg@example.org'
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"non-ASCII address (internationalised addresses cannot be sent)"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers")" -eq 0 ]
}

@test "a lesson that failed for good is not counted as sent" {
	# Stored before the door was closed: it can never be sent.
	add_sub 'jörg@example.org' UTC 2026-12-01T09:00Z
	add_sub ok@example.org UTC 2026-12-01T09:00Z
	run --separate-stderr dm run --now 2026-12-01T09:30:00Z
	[ "$status" -eq 69 ]
	[[ "$output" == "run: sent 1, retry 0, failed 1,"* ]]
	run dm subscribers show 'jörg@example.org'
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nlessons_sent: 0\n'* ]]
	[[ "$output" == *"lesson_failed message=day1"* ]]
	run dm subscribers show ok@example.org
	[[ "$output" == *$'\nlessons_sent: 1\n'* ]]
	dm subscribers export > out.csv
	grep -q '^jörg@example.org,Test,UTC,active,course,[^,]*,0,' out.csv
	grep -q '^ok@example.org,Test,UTC,active,course,[^,]*,1,' out.csv
	dm subscribers export --format json | grep -q '"email":"jörg@example.org".*"lessons_sent":0'
}
