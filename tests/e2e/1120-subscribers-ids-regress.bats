#!/usr/bin/env bats
# 2026-12-02 regress: subscriber ids were reused after `subscribers remove`
# (SQLite gives a new row the largest id + 1), and unsubscribe tokens,
# VERP addresses and Message-IDs are made from the id: the erased
# person's old link unsubscribed whoever signed up next, and the next
# signup got the erased person's Message-IDs.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

token() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/lib/token.py" "$WORK/secret.key" "$@"
}

id_of() {
	sql "SELECT id FROM subscribers WHERE email = '$1'"
}

@test "an erased subscriber's id is never handed out again" {
	dm subscribers add first@example.org --list course > /dev/null
	dm subscribers add erased@example.org --list course > /dev/null
	old=$(id_of erased@example.org)
	link=$(token u "$old")
	dm subscribers remove erased@example.org > /dev/null
	dm subscribers add next@example.org --list course > /dev/null
	[ "$(id_of next@example.org)" -gt "$old" ]
	# the erased person's old link does nothing to the next signup
	run dm unsubscribe "$link"
	[ "$(sql "SELECT status FROM subscribers WHERE email = 'next@example.org'")" = active ]
	# and an import after a removal does not reuse it either
	dm subscribers remove next@example.org > /dev/null
	printf 'email\nimported@example.org\n' > s.csv
	dm import --list course s.csv > /dev/null
	[ "$(id_of imported@example.org)" -gt "$old" ]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE id = $old")" = 0 ]
}

@test "the next signup after an erasure gets Message-IDs of its own" {
	dm subscribers add erased@example.org --list course > /dev/null
	dm run --now 2030-01-01T10:00:00Z > /dev/null
	mid=$(sql "SELECT message_id FROM deliveries WHERE message = 'day1'")
	[ -n "$mid" ]
	dm subscribers remove erased@example.org > /dev/null
	dm subscribers add next@example.org --list course > /dev/null
	dm run --now 2030-01-02T10:00:00Z > /dev/null
	new=$(sql "SELECT message_id FROM deliveries WHERE message = 'day1'")
	[ -n "$new" ]
	[ "$new" != "$mid" ]
	# the outbox holds both messages, each with its own Message-ID
	[ "$(grep -rh '^Message-ID:' outbox | sort -u | wc -l)" -eq 2 ]
}
