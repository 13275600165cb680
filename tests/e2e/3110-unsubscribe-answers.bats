#!/usr/bin/env bats
# What `dripmail unsubscribe` answers: a repeat is not an error whichever
# form names the subscriber.

load helpers
load lib/subscribers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

token() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/lib/token.py" "$WORK/secret.key" "$@"
}

@test "unsubscribing twice, by token or by address: the same answer, exit 0" {
	a=$(add_subscriber addr@example.com)
	t=$(add_subscriber tok@example.com)
	tok=$(token u "$t")
	run --separate-stderr dm unsubscribe "$tok"
	[ "$status" -eq 0 ]
	[ "$output" = unsubscribed ]
	run --separate-stderr dm unsubscribe "$tok"
	[ "$status" -eq 0 ]
	[ "$output" = "already not receiving mail" ]
	[ -z "$stderr" ]
	run --separate-stderr dm unsubscribe addr@example.com
	[ "$output" = unsubscribed ]
	run --separate-stderr dm unsubscribe addr@example.com
	[ "$status" -eq 0 ]
	[ "$output" = "already not receiving mail" ]
	[ "$(status_of tok@example.com)" = unsubscribed ]
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'unsubscribed'")" -eq 2 ]
	[ "$a" != "$t" ]
}

@test "a token that is not genuine is still an error (65)" {
	id=$(add_subscriber keep@example.com)
	good=$(token u "$id")
	altered=${good:0:10}$([ "${good:10:1}" = A ] && echo B || echo A)${good:11}
	for t in not-a-token "$altered" "$(token v "$id" 5)"; do
		run --separate-stderr dm unsubscribe "$t"
		[ "$status" -eq 65 ]
		[ -z "$output" ]
		[[ "$stderr" == *"unsubscribe: token not valid"* ]]
	done
	[ "$(status_of keep@example.com)" = active ]
}

