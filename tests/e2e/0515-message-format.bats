#!/usr/bin/env bats
# The shipped course as messages: a List-Id a strict parser reads, and a
# text part wrapped once the values are filled in.

load helpers

setup() {
	setup_workdir
	dm preview --out p > /dev/null
}
teardown() { teardown_workdir; }

# list_id FILE: the List-Id field of a message, unfolded.
list_id() {
	/usr/bin/python3 - "$1" <<'PY'
import re, sys
head = open(sys.argv[1], "rb").read().split(b"\r\n\r\n", 1)[0].decode()
m = re.search(r"^List-Id: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.M)
print(re.sub(r"\r\n([ \t])", r"\1", m.group(1)) if m else "")
PY
}

@test "List-Id quotes a course name that holds a colon" {
	[ "$(list_id p/day1.eml)" = '"Practical Peace: 5-Day Nervous System Reset" <practical-peace.example.org>' ]
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/lib/check_eml.py" p/*.eml
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a name with quotes and backslashes, and one beyond ASCII" {
	ini_set settings.ini course name 'Say "hi" \ now'
	dm preview --out q > /dev/null
	[ "$(list_id q/day1.eml)" = '"Say \"hi\" \\ now" <practical-peace.example.org>' ]
	ini_set settings.ini course name 'Zoë: calm'
	dm preview --out z > /dev/null
	[ "$(list_id z/day1.eml)" = '=?UTF-8?Q?Zo=C3=AB=3A_calm?= <practical-peace.example.org>' ]
	ini_set settings.ini course name 'Plain Name'
	dm preview --out n > /dev/null
	[ "$(list_id n/day1.eml)" = 'Plain Name <practical-peace.example.org>' ]
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/lib/check_eml.py" q/day1.eml z/day1.eml n/day1.eml
	[ -z "$output" ]
}

# Lines of a text file wider than 72 columns, but for one that is a URL.
wide_lines() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
for f in sys.argv[1:]:
    for i, line in enumerate(open(f, encoding="utf-8").read().split("\n")):
        if len(line) > 72 and not line.startswith("https://"):
            print("%s:%d: %d columns: %s" % (f, i + 1, len(line), line))
PY
}

@test "the text part is wrapped at 72 columns after the values are filled in" {
	run wide_lines p/*.txt
	[ -z "$output" ]
	grep -q '^Welcome to Practical Peace: 5-Day Nervous System Reset\. For' p/day1.txt
	# a long value in a paragraph, a heading and a list item
	cat > lessons-day1.md <<'MD'
Subject: Day 1
Day: 1

Hello {{first_name}} {{first_name}} {{first_name}} {{first_name}} and welcome to {{course_name}}, {{course_name}}.

## {{course_name}}

1. Item {{course_name}} and {{course_name}} again.
MD
	mkdir lessons && cp "$REPO"/lessons/*.md lessons/ && mv lessons-day1.md lessons/day1.md
	ini_set settings.ini course lessons lessons
	dm preview --out w > /dev/null
	run wide_lines w/*.txt
	[ -z "$output" ]
	grep -q '^Practical Peace: 5-Day Nervous System Reset$' w/day1.txt
	grep -q '^-------------------------------------------$' w/day1.txt
	grep -q '^1\. Item Practical Peace: 5-Day Nervous System Reset and Practical Peace:$' w/day1.txt
	grep -q '^   5-Day Nervous System Reset again\.$' w/day1.txt
}

@test "VERP sends from the envelope sender's local part plus a token, as documented" {
	ini_set settings.ini smtp verp yes
	ini_set settings.ini launch date "2026-01-01 09:00"
	ini_set settings.ini schedule window_hours 24
	dm subscribers add v@example.net > /dev/null
	dm run > /dev/null
	# the shipped settings: envelope_from is the From address
	grep -Eq $'^Return-Path: <course\\+[A-Za-z0-9_-]{20,}@example\\.org>\r$' outbox/new/*
	grep -q 'course+TOKEN@example.org' "$REPO/settings.ini"
	grep -q 'course+ Ns Ar token Ns Li @example.org' "$REPO/man/dripmail-settings.5"
	ini_set settings.ini smtp envelope_from bounces@example.org
	dm subscribers add w@example.net > /dev/null
	dm run > /dev/null
	grep -Eq $'^Return-Path: <bounces\\+[A-Za-z0-9_-]{20,}@example\\.org>\r$' outbox/new/*
}

# header NAME FILE: every NAME field of a message's header, one a line.
header() {
	awk -v n="$1" 'BEGIN { n = tolower(n) ": " }
	    /^\r?$/ { exit }
	    tolower(substr($0, 1, length(n))) == n { sub(/\r$/, ""); print substr($0, length(n) + 1) }' "$2"
}

@test "Feedback-ID: MESSAGE:COURSE:KIND:SENDER when [course] feedback_id is set, else none" {
	[ -z "$(header Feedback-ID p/day1.eml)" ]
	ini_set settings.ini course feedback_id pp-mail.2026
	dm preview --out q > /dev/null
	[ "$(header Feedback-ID q/day1.eml)" = "day1:practical-peace:lesson:pp-mail.2026" ]
	[ "$(header Feedback-ID q/launch.eml)" = "launch:practical-peace:notice:pp-mail.2026" ]
	# once per message, and nothing of the subscriber's in it
	for f in q/*.eml; do
		[ "$(header Feedback-ID "$f" | wc -l)" -eq 1 ]
		header Feedback-ID "$f" | grep -Eqx '[A-Za-z0-9._-]+:[A-Za-z0-9._-]+:(lesson|notice):pp-mail\.2026'
	done
	! grep -i '^Feedback-ID:.*alex' q/*.eml
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/lib/check_eml.py" q/*.eml
	[ "$status" -eq 0 ]
	# a test send says so in its third field
	dm preview --send-test me@example.net day2 > /dev/null
	[ "$(header Feedback-ID outbox/new/*)" = "day2:practical-peace:test:pp-mail.2026" ]
	# what List-Id may carry but Feedback-ID may not becomes '_' (a ':'
	# that could shift the fields is refused in the id, see 0120)
	ini_set settings.ini course id "peace+one"
	dm preview --out r day3 > /dev/null
	[ "$(header Feedback-ID r/day3.eml)" = "day3:peace_one:lesson:pp-mail.2026" ]
}

@test "[course] feedback_id that could break the header or its fields is refused" {
	for bad in 'a:b' 'two words' 'x@y' "$(printf 'a%.0s' {1..65})" 'é'; do
		ini_set settings.ini course feedback_id "$bad"
		run dm check
		[ "$status" -eq 78 ]
		[[ "$output" == *"settings.ini:"*"[course] feedback_id: expected up to 64 letters, digits, '-', '_' and '.'"* ]]
	done
}
