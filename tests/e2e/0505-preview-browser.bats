#!/usr/bin/env bats
# `dripmail preview`: the folder opens in a real browser (headless Chromium).

load helpers
load lib/chromium

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "preview writes index.html and the browser shows every message" {
	run dm preview
	[ "$status" -eq 0 ]
	[ "$output" = "preview/index.html" ]
	for f in "$REPO"/lessons/*.md; do
		id=$(basename "$f" .md)
		[ -s "preview/$id.html" ]
		[ -s "preview/$id.txt" ]
		[ -s "preview/$id.eml" ]
	done
	dom=$(chromium_dom preview/index.html)
	subject=$(sed -n 's/^Subject: //p' "$REPO/lessons/day1.md")
	[[ "$dom" == *"$subject"* ]]
	[[ "$dom" == *'href="day1.html"'* ]]
	[[ "$dom" == *"Day 1, from 08:00 local time"* ]]
	[[ "$dom" == *"before launch"* ]]
}

@test "a lesson in the browser: subject, practice heading, unsubscribe link" {
	dm preview day1 >/dev/null
	[ -s preview/day1.html ]
	[ ! -e preview/day2.html ]
	dom=$(chromium_dom preview/day1.html)
	subject=$(sed -n 's/^Subject: //p' "$REPO/lessons/day1.md")
	[[ "$dom" == *"<title>$subject</title>"* ]]
	[[ "$dom" == *"<h2"*">Today's practice"* ]]
	[[ "$dom" =~ \<a\ href=\"https://example.org/unsubscribe\?t=[A-Za-z0-9_-]+\"[^\>]*\>Unsubscribe\</a\> ]]
	[[ "$dom" == *"Hi Alex,"* ]]
}

@test "--out names the folder; unknown lessons are refused" {
	run dm preview --out "$WORK/elsewhere" launch
	[ "$status" -eq 0 ]
	[ "$output" = "$WORK/elsewhere/index.html" ]
	[ -s elsewhere/launch.eml ]
	run dm preview nosuch
	[ "$status" -eq 66 ]
	[[ "$output" == *"no lesson or notification 'nosuch'"* ]]
}
