#!/usr/bin/env bats
# Hostile values from subscribers and lessons never add or break a header.

load helpers

setup() {
	setup_workdir
	cp -R "$DATA/lessons" lessons
	ini_set settings.ini course lessons lessons
	dm check >/dev/null
}
teardown() { teardown_workdir; }

add_subscriber() {	# EMAIL FIRST_NAME (printf escapes allowed)
	local name
	name=$(printf "$2")
	sql "INSERT INTO subscribers (email, first_name, signed_up_at,
	    created_at, updated_at) VALUES ('$1', '$name', 0, 0, 0)"
}

no_extra_headers() {	# FILE.eml
	/usr/bin/python3 - "$1" <<'PY'
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.strict)
names = sorted(k.lower() for k in m.keys())
want = sorted(["date", "from", "reply-to", "to", "message-id", "subject",
               "list-id", "list-unsubscribe", "list-unsubscribe-post",
               "mime-version", "content-type"])
assert names == want, names
assert b"evil.example" not in raw.split(b"\r\n\r\n", 1)[0], "in header"
PY
}

@test "CR/LF in a first name: no Bcc, the name stays out of To" {
	add_subscriber eve@example.org 'Eve\r\nBcc: x@evil.example'
	run dm preview --subscriber eve@example.org day1 day2
	[ "$status" -eq 0 ]
	run no_extra_headers preview/day1.eml
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	grep -q '^To: eve@example.org' preview/day1.eml
	run /usr/bin/python3 "$REPO/tests/e2e/lib/check_eml.py" preview/day1.eml
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "a name rendered into the subject with CR/LF is refused, not sent" {
	sed -i 's/^Subject: .*/Subject: Hi {{first_name}}/' lessons/day1.md
	add_subscriber eve@example.org 'Eve\nBcc: x@evil.example'
	run dm preview --subscriber eve@example.org day1
	[ "$status" -eq 65 ]
	[[ "$output" == *"day1.md: subject for subscriber"*"control character"* ]]
	[ ! -e preview/day1.eml ]
}

@test "non-ASCII names and subjects are RFC 2047 encoded and decode back" {
	sed -i 's/^Subject: .*/Subject: Ça va, {{first_name}}? — día 1/' \
	    lessons/day1.md
	add_subscriber zoe@example.org 'Zoë "Z" <Ω>, Jr.'
	run dm preview --subscriber zoe@example.org day1
	[ "$status" -eq 0 ]
	run no_extra_headers preview/day1.eml
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run /usr/bin/python3 - <<'PY'
import email, email.policy
raw = open("preview/day1.eml", "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.strict)
assert str(m["Subject"]) == 'Ça va, Zoë "Z" <Ω>, Jr.? — día 1', m["Subject"]
to = m["To"].addresses
assert len(to) == 1 and to[0].addr_spec == "zoe@example.org", to
assert to[0].display_name == 'Zoë "Z" <Ω>, Jr.', to[0].display_name
PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "CR in a lesson header is an error naming file and line" {
	printf 'Subject: Hi\rBcc: x@evil.example\nDay: 3\n\nx\n' > lessons/day3.md
	run dm check
	[ "$status" -eq 65 ]
	[[ "$output" == *"lessons/day3.md:1: Subject: control character"* ]]
	run dm preview
	[ "$status" -eq 65 ]
	[ ! -e preview/index.html ]
}

@test "a hostile address in the database is refused" {
	sql "INSERT INTO subscribers (email, first_name, signed_up_at,
	    created_at, updated_at) VALUES ('a@example.org' || char(13,10) ||
	    'Bcc: x@evil.example', 'A', 0, 0, 0)"
	addr=$(printf 'a@example.org\r\nBcc: x@evil.example')
	run dm preview --subscriber "$addr" day2
	[ "$status" -eq 65 ]
	[ ! -e preview/day2.eml ]
}
