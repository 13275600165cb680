#!/usr/bin/env bats
# `dripmail check` loads and renders every lesson and reports every problem
# with file and line.

load helpers

setup() {
	setup_workdir
	cp -R "$DATA/lessons" lessons
	ini_set settings.ini course lessons lessons
}
teardown() { teardown_workdir; }

@test "the shipped lessons and templates pass check" {
	ini_set settings.ini course lessons "$REPO/lessons"
	run dm check
	[ "$status" -eq 0 ]
	[[ "$output" == *"lessons: $REPO/lessons: ok ("*" lessons, "* ]]
}

@test "a typo in a variable is reported with file and line; fallbacks are not" {
	sed -i 's/{{course_name}}/{{frist_name}}/' lessons/day1.md
	line=$(grep -n frist_name lessons/day1.md | cut -d: -f1)
	run dm check
	[ "$status" -eq 65 ]
	[[ "$output" == *"lessons/day1.md:$line: unknown variable 'frist_name'"* ]]
	[ "$(grep -c 'unknown variable' <<< "$output")" -eq 1 ]
}

@test "every problem is reported, not only the first" {
	printf 'Subject: x\nColour: red\nDay: 2\n\nHi {{#first_name}}\n' \
	    > lessons/bad.md
	printf 'Preheader: p\nDay: 5\n\ntext\n' > lessons/day5.md
	printf 'Subject: s\nDay: 1\nSend-At: launch\n\nx\n' > lessons/both.md
	printf 'Subject: caf\xe9\nDay: 9\n\nx\n' > lessons/latin1.md
	run dm check
	[ "$status" -eq 65 ]
	[[ "$output" == *"lessons/bad.md:2: unknown header 'Colour'"* ]]
	[[ "$output" == *"lessons/bad.md:5: unclosed section 'first_name'"* ]]
	[[ "$output" == *"lessons/day5.md:1: missing Subject"* ]]
	[[ "$output" == *"lessons/both.md:3: both Day: and Send-At:"* ]]
	[[ "$output" == *"lessons/latin1.md:1: not UTF-8"* ]]
	[[ "$output" == *"Day: 2 is also"* ]]
	[[ "$output" == *"lessons/day5.md:2: Day: 5, but no lesson has Day: 3"* ]]
}

@test "bad Send-At and Day values are explained" {
	printf 'Subject: s\nSend-At: tomorrow\n\nx\n' > lessons/n1.md
	printf 'Subject: s\nDay: -1\n\nx\n' > lessons/n2.md
	run dm check
	[ "$status" -eq 65 ]
	[[ "$output" == *"lessons/n1.md:2: Send-At: expected launch, launch-2d"* ]]
	[[ "$output" == *"lessons/n2.md:2: Day: expected a number"* ]]
}

@test "only .md files are messages" {
	echo "notes, not a lesson" > lessons/README.txt
	echo "Subject: x" > lessons/draft.md~
	run dm check
	[ "$status" -eq 0 ]
	run dm preview
	[ "$status" -eq 0 ]
	[ ! -e preview/README.html ]
	[ "$(ls preview/*.eml | wc -l)" -eq 3 ]
}

@test "an unknown variable in a partial names the partial's file and line, once" {
	cp -R "$REPO/templates" templates
	ini_set settings.ini course templates templates
	printf 'Regards,\nthe team of {{corse_name}}\n' > templates/sign.mustache
	printf '\n{{> sign}}\n' >> lessons/day1.md
	printf '\n{{> sign}}\n' >> lessons/day2.md
	# and one in the footer every layout includes
	sed -i '1s/^/{{postal_adress}}\n/' templates/footer.txt.mustache
	run dm check
	[ "$status" -eq 65 ]
	[[ "$output" == *"templates/sign.mustache:2: unknown variable 'corse_name'"* ]]
	[[ "$output" == *"templates/footer.txt.mustache:1: unknown variable 'postal_adress'"* ]]
	# not the including lesson or layout, and each place once
	[[ "$output" != *"day1.md"*"corse_name"* ]]
	[[ "$output" != *"email.txt.mustache"* ]]
	[ "$(grep -c 'unknown variable' <<< "$output")" -eq 2 ]
}

@test "after a structural error check goes on: every problem, and a line on stdout" {
	cp -R "$REPO/templates" templates
	ini_set settings.ini course templates templates
	printf 'Hi {{#first_name}}\n' > templates/open.mustache
	printf '\n{{> open}}\n' >> lessons/day2.md
	printf 'Subject: x\nDay: 3\n\n{{#unclosed}}\n' > lessons/day3.md
	sed -i 's/{{course_name}}/{{frist_name}}/' lessons/day1.md
	sed -i 's/Day 1 arrives/{{bogus}} arrives/' lessons/launch.md
	run --separate-stderr dm check
	[ "$status" -eq 65 ]
	# stdout says the lessons failed, and how many problems
	[[ "$output" == *"lessons: $WORK/lessons: 4 problems"* ]]
	[[ "$stderr" == *"templates/open.mustache:1: unclosed section 'first_name' (included from $WORK/lessons/day2.md:"* ]]
	[[ "$stderr" == *"lessons/day3.md:4: unclosed section 'unclosed'"* ]]
	[[ "$stderr" == *"lessons/day1.md:7: unknown variable 'frist_name'"* ]]
	[[ "$stderr" == *"lessons/launch.md:5: unknown variable 'bogus'"* ]]
}
