#!/usr/bin/env bats
# 2026-12-02 regress: values a new user or a mail admin writes.  The
# README's `dripmail init DIR --name ... --from ...` was a usage error (the
# options had to come first); `[guard] max_bounce_rate = %` was taken as
# 0% (a pause at the first bounce); `[signup] allowed_origin` with a path
# (the form's page pasted in) passed check, then refused every browser's
# post with 403; a URL with no host or a #fragment (the link's ?t=TOKEN
# after it, never sent to the server) passed too.  And a settings line
# holds 199 bytes (inih's), so the documented 32 domains of
# domain_max_per_hour (or 60 days of warmup) could not be written: a list
# now goes on over indented lines.  `[course] id` with a space, '<', '>',
# ':' or nothing made a broken List-Id ("<a<b> c.example.org>",
# "<.example.org>"); it is now refused like feedback_id.  A duration out
# of range said "within range" without the range; it now names it.

load helpers
load lib/subscribers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "init takes its options after the folder too, as the README shows" {
	run "$DRIPMAIL" init course --name "My Course" --from "Me <me@example.org>"
	[ "$status" -eq 0 ]
	grep -qx 'name = My Course' course/settings.ini
	grep -qx 'from = Me <me@example.org>' course/settings.ini
	run "$DRIPMAIL" init course2 --bogus
	[ "$status" -eq 64 ]
	[ ! -e course2 ]
}

# bad SECTION KEY VALUE MESSAGE: check and run exit 78 naming the file, the
# line and the key, and the database is as it was.
bad() {
	ini_set settings.ini "$1" "$2" "$3"
	line=$(awk -v s="[$1]" -v k="$2 = " '/^\[/ { in_s = $0 == s }
	    in_s && index($0, k) == 1 { print NR }' settings.ini)
	before=$(sqlite3 dripmail.db .dump | md5sum)
	for c in check "run --now 2026-12-10T09:00:00Z"; do
		# shellcheck disable=SC2086
		run dm $c
		[ "$status" -eq 78 ] || { echo "$c: $status"; false; }
		[[ "$output" == *"settings.ini:$line: [$1] $2: $4"* ]] || { echo "$c: want line $line: $output"; false; }
	done
	[ "$(sqlite3 dripmail.db .dump | md5sum)" = "$before" ]
	ini_del settings.ini "$1" "$2"
}

@test "a bare %, an origin with a path, a URL without a host or with a #fragment: named, nothing stored changes" {
	dm subscribers add a@example.org > /dev/null
	bad guard max_bounce_rate '%' "expected a percentage from 0% to 100%"
	bad guard max_complaint_rate ' %' "expected a percentage"
	bad signup allowed_origin https://blog.example.org/signup "expected an origin"
	bad signup allowed_origin 'https://blog.example.org?x=1' "expected an origin"
	bad signup allowed_origin https://user@blog.example.org "expected an origin"
	bad signup url https:// "expected an http:// or https:// URL"
	bad signup url 'https:///signup' "expected an http:// or https:// URL"
	bad signup url 'https://example.org/signup#form' "expected an http:// or https:// URL (without a"
	bad unsubscribe url 'https://example.org/u#x' "expected an http:// or https:// URL (without a"
	bad guard window 30m "expected a duration from 1h to 365d, such as"
	bad send retry_max_age 61d "expected a duration from 1m to 60d, such as"
	# what stays fine
	for v in https://blog.example.org https://blog.example.org/ http://localhost:8080; do
		ini_set settings.ini signup allowed_origin "$v"
		run dm check
		[ "$status" -eq 0 ] || { echo "$v: $output"; false; }
	done
	ini_set settings.ini signup url 'https://example.org/signup?list=a'
	ini_set settings.ini guard max_bounce_rate '2.5%'
	run dm check
	[ "$status" -eq 0 ]
}

@test "a list goes on over indented lines; other keys cannot" {
	/usr/bin/python3 - <<'PY'
t = open("settings.ini").read()
doms = ", ".join("d%d.example.com=%d" % (i, i) for i in range(1, 33))
t = t.replace("[send]\n", "[send]\nwarmup = 5, 10,\n  20\n"
    "domain_max_per_hour = gmail.com=300,\n"
    + "".join("\t%s,\n" % d for d in doms.split(", ")[:31]), 1)
open("settings.ini", "w").write(t)
PY
	run dm check
	[ "$status" -eq 0 ]
	run dm status --json
	[ "$(printf '%s' "$output" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["caps"]["warmup_days"])')" = 3 ]

	# gmail.com and d1..d31 are 32: d32 is one too many; a non-list key
	# does not go on
	ini_set settings.ini send max_per_day 10
	sed -i 's/^\(\td31.example.com=31,\)$/\1\n\td32.example.com=32, d33.example.com=1/' settings.ini
	sed -i 's/^max_per_day = 10$/max_per_day = 10\n  20/' settings.ini
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[send] domain_max_per_hour: 'd32.example.com=32': more than 32 domains"* ]]
	[[ "$output" == *"[send] max_per_day: an indented line goes on with the value above, and only a list can"* ]]
	# a key written twice is still that
	printf '[send]\nwarmup = 1\nwarmup = 2\n' >> settings.ini
	run dm check
	[[ "$output" == *"[send] warmup: given twice"* ]]
}

@test "[course] id that would break List-Id is refused; a slug passes" {
	for bad in '' 'My Course' 'a<b>' 'peace:one' 'x@y' 'é' "$(printf 'a%.0s' {1..65})"; do
		ini_set settings.ini course id "$bad"
		line=$(grep -n '^id = ' settings.ini | cut -d: -f1)
		run dm check
		[ "$status" -eq 78 ] || { echo "'$bad': $status"; false; }
		[[ "$output" == *"settings.ini:$line: [course] id: expected up to 64 letters, digits, '-', '_' and '.'"* ]]
	done
	ini_set settings.ini course id my.course_2-b
	run dm check
	[ "$status" -eq 0 ]
	dm preview --no-spam --out p > /dev/null
	grep -A1 '^List-Id:' p/day1.eml | tr -d '\r' | grep -q ' <my.course_2-b.example.org>$'
}
