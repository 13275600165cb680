#!/usr/bin/env bats
# The classifier over the sample bounces: `bounces --dry-run --format tsv`.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "every sample bounce classifies as expected.tsv says" {
	run --separate-stderr dm bounces --dry-run --format tsv \
	    "$DATA"/bounces/*.eml
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | sed "s|$DATA/bounces/||" > got.tsv
	diff -u "$DATA/bounces/expected.tsv" got.tsv
}

@test "dry run touches nothing: no database is created" {
	run dm bounces --dry-run "$DATA/bounces/exim-user-unknown.eml"
	[ "$status" -eq 0 ]
	[ ! -e "$WORK/dripmail.db" ]
}

@test "no source and no [bounces] source is a usage error" {
	run dm bounces --dry-run
	[ "$status" -eq 64 ]
	[[ "$output" == *"no SOURCE given"* ]]
}

@test "a missing source exits 66 and names it" {
	run dm bounces --dry-run "$WORK/nope"
	[ "$status" -eq 66 ]
	[[ "$output" == *"'$WORK/nope'"* ]]
}

@test "--format other than tsv is refused" {
	run dm bounces --format json x
	[ "$status" -eq 64 ]
}

@test "a 50 MB message does not stop the run" {
	{
		printf 'From: MAILER-DAEMON@x.example\nSubject: failure notice\n\n'
		printf '<huge@example.com>:\n550 5.1.1 no such user\n\n'
		head -c 50000000 /dev/zero | tr '\0' 'A'
	} > big.eml
	run --separate-stderr dm bounces --dry-run --format tsv big.eml
	[ "$status" -eq 0 ]
	[ "$output" = "big.eml	huge@example.com	5.1.1	hard" ]
}
