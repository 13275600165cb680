#!/usr/bin/env bats
# Regression (2026-12-02): a lesson ending in the bytes \x01\x02 made the
# Markdown converter read past its buffer.  Lesson files are input:
# control characters are refused, naming file, line and column.

load helpers

setup() {
	setup_workdir
	cp -R "$DATA/lessons" lessons
	ini_set settings.ini course lessons lessons
}
teardown() { teardown_workdir; }

@test "control characters in a lesson are refused with file and line" {
	printf 'Subject: s\nDay: 1\n\n# Hello\n\nText\x01\x02' > lessons/day1.md
	printf 'Subject: s\nDay: 2\n\nok\n\x1b[31mred\n' > lessons/day2.md
	run dm check
	[ "$status" -eq 65 ]
	[[ "$output" == *"lessons/day1.md:6: control character 0x01 in the text, column 5"* ]]
	[[ "$output" == *"lessons/day2.md:5: control character 0x1b in the text, column 1"* ]]
	run dm run --now 2026-12-02T09:00:00Z
	[ "$status" -eq 65 ]
}
