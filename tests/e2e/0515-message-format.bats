#!/usr/bin/env bats
# The shipped course as messages: a List-Id a strict parser reads.

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
