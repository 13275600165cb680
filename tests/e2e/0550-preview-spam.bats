#!/usr/bin/env bats
# `dripmail preview` and `check --spam`: each message as SpamAssassin reads
# it, locally, before anything is sent.

load helpers
load lib/chromium

setup() { setup_workdir; }
teardown() { teardown_workdir; }

# spammy: this test's lessons, with a Day 1 written to look like spam (an
# all-caps subject, "FREE!!!", a link whose text names another domain and
# an image as the only content of the lesson).
spammy() {
	cp -R "$REPO/lessons" lessons
	cp "$DATA/spam/day1.md" lessons/day1.md
	ini_set settings.ini course lessons lessons
}

# rules_of FILE: the rule names of a preview index row, sorted.
index_rules() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import re, sys
html, row = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
tr = re.search(r'<tr id="%s">(.*?)</tr>' % re.escape(row), html, re.S)
print("\n".join(sorted(re.findall(r'<span class="rule">([A-Z0-9_]+)</span>',
    tr.group(1)))))
PY
}

@test "the shipped course scores under the threshold" {
	run dm check --spam
	[ "$status" -eq 0 ]
	[ "$(grep -c '^spam: .* (under 3\.0)' <<< "$output")" -eq 7 ]
	! grep -q 'OVER' <<< "$output"
	run dm preview
	[ "$status" -eq 0 ]
	[ "$(grep -c 'class="score"' preview/index.html)" -eq 7 ]
	dom=$(chromium_dom preview/index.html)
	[[ "$dom" == *"Spam score"* ]]
	[[ "$dom" != *'class="spam over"'* ]]
}

@test "a lesson written like spam is marked, fails check --spam, rules as SpamAssassin reports them" {
	spammy
	run dm check --spam
	[ "$status" -eq 65 ]
	grep -q '^spam: day1: [0-9.]* (OVER 3\.0): ' <<< "$output"
	grep -q '^spam: day2: [0-9.-]* (under 3\.0)' <<< "$output"
	[[ "$output" == *"spam: 1 message at or over 3.0"* ]]
	run dm preview
	[ "$status" -eq 0 ]
	dom=$(chromium_dom preview/index.html)
	day1=$(sed -n '/<tr id="day1">/,/<\/tr>/p' <<< "$dom")
	[[ "$day1" == *'class="spam over"'* ]]
	[[ "$day1" == *"over 3.0"* ]]
	day2=$(sed -n '/<tr id="day2">/,/<\/tr>/p' <<< "$dom")
	[[ "$day2" != *'class="spam over"'* ]]
	# The rules named are those of SpamAssassin's own report on the .eml.
	mkdir home
	HOME=$WORK/home spamassassin -L -t -x --cf='use_bayes 0' \
	    < preview/day1.eml > sa.out 2>/dev/null || true
	sed -n '/^Content analysis details/,/^$/p;/^ *pts rule name/,/^$/p' sa.out |
	    sed -n 's/^ *-\{0,1\}[0-9.]\{1,\} \([A-Z0-9_]\{2,\}\) .*/\1/p' |
	    sort -u > sa.rules
	[ -s sa.rules ]
	index_rules preview/index.html day1 > ours.rules
	diff -u sa.rules ours.rules
	grep -q HTML_IMAGE_ONLY ours.rules
	grep -q SUBJ_ALL_CAPS ours.rules
	# highest first
	scores=$(sed -n '/<tr id="day1">/,/<\/tr>/p' preview/index.html |
	    sed -n 's/.*<\/span> \(-\{0,1\}[0-9.]*\): .*/\1/p')
	[ "$scores" = "$(sort -rn <<< "$scores")" ]
}

@test "[preview] spam_threshold moves the mark" {
	spammy
	ini_set settings.ini preview spam_threshold 50
	run dm check --spam
	[ "$status" -eq 0 ]
	grep -q '^spam: day1: [0-9.]* (under 50\.0)' <<< "$output"
	ini_set settings.ini preview spam_threshold lots
	run dm check --spam
	[ "$status" -eq 78 ]
	[[ "$output" == *"settings.ini:"*"[preview] spam_threshold: expected a number"* ]]
}

@test "nothing is written outside a temporary folder that is removed" {
	mkdir tmp home
	TMPDIR=$WORK/tmp HOME=$WORK/home run dm check --spam
	[ "$status" -eq 0 ]
	[ -z "$(find tmp home -mindepth 1)" ]
}

@test "without SpamAssassin: preview carries on, check --spam exits 69" {
	PATH=/nonexistent run dm check --spam
	[ "$status" -eq 69 ]
	[[ "$output" == *"spamassassin is not installed; install it with 'apt-get install spamassassin'"* ]]
	PATH=/nonexistent run dm preview
	[ "$status" -eq 0 ]
	[ "$(grep -c 'spamassassin is not installed' <<< "$output")" -eq 1 ]
	[ "$(grep -c 'not checked' preview/index.html)" -eq 7 ]
	run dm preview --no-spam day1
	[ "$status" -eq 0 ]
	[ "$output" = "preview/index.html" ]
	grep -q 'not checked' preview/index.html
}
