#!/usr/bin/env bats
# Every .eml from `dripmail preview` parses with Python's email package
# (policy=strict) and has the headers, parts and encoding we promise.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

check_eml() {
	/usr/bin/python3 "$REPO/tests/e2e/lib/check_eml.py" "$@"
}

@test "every shipped lesson: headers, both parts, QP UTF-8, CRLF, lesson text" {
	dm preview >/dev/null
	n=0
	for f in preview/*.eml; do
		id=$(basename "$f" .eml)
		run check_eml --lesson "$REPO/lessons/$id.md" \
		    --text-has "Hi Alex," "$f"
		[ "$status" -eq 0 ] || { echo "$output"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 5 ]
}

@test "fixtures: non-ASCII subject and sender decode back exactly" {
	cp -R "$DATA/lessons" lessons
	ini_set settings.ini course lessons lessons
	ini_set settings.ini course from 'Zoë Müller <course@example.org>'
	dm preview >/dev/null
	run check_eml preview/day1.eml preview/day2.eml preview/launch.eml
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run /usr/bin/python3 - <<'PY'
import email, email.policy
m = email.message_from_bytes(open("preview/day2.eml", "rb").read(),
                             policy=email.policy.strict)
assert str(m["Subject"]) == "Day 2: Café, breath & ☕ rest", m["Subject"]
assert m["From"].addresses[0].display_name == "Zoë Müller"
assert m["To"].addresses[0].addr_spec == "alex@example.org"
text = list(m.iter_parts())[0].get_content().replace("\r\n", "\n")
assert "Today's practice\n----------------\n" in text, text
assert "- Sit down.\n- Rest.\n" in text
PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	grep -q 'the course page (https://example.org/practical-peace/day1)' \
	    preview/day1.txt
}

@test "--subscriber uses the subscriber's own data" {
	dm check >/dev/null
	sql "INSERT INTO subscribers (email, first_name, signed_up_at,
	    created_at, updated_at) VALUES ('zoe@example.org', 'Zoë', 0, 0, 0)"
	id=$(sql "SELECT id FROM subscribers WHERE email = 'zoe@example.org'")
	run dm preview --subscriber zoe@example.org day1
	[ "$status" -eq 0 ]
	run check_eml --text-has "Hi Zoë," preview/day1.eml
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	grep -q "^Message-ID: <[0-9a-f]*\.$id\.day1@example.org>" preview/day1.eml
	run dm preview --subscriber nobody@example.org
	[ "$status" -eq 65 ]
	[[ "$output" == *"no subscriber 'nobody@example.org'"* ]]
}

@test "the Message-ID is the same every time for one subscriber and message" {
	dm preview --out a day1 >/dev/null
	dm preview --out b day1 >/dev/null
	[ "$(grep '^Message-ID:' a/day1.eml)" = "$(grep '^Message-ID:' b/day1.eml)" ]
}
