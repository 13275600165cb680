#!/usr/bin/env bats
# The classifier on real bounces (../shared/bounce-corpus, Sisimai's
# sample set with expected readings): a ratchet, so a change that reads
# real mail servers worse fails here.  Raise the numbers when they rise.

load helpers

# What the classifier reached (kind 96.1%, recipients 99.7%).
KIND_MIN=565
RCPT_MIN=586

@test "real bounces: kind and recipient agreement do not fall" {
	run --separate-stderr sh "$REPO/tests/bounce-score" "$DRIPMAIL"
	if [ "$status" -ne 0 ]; then
		printf '%s\n' "$stderr" >&2
		false
	fi
	last=$(printf '%s\n' "$output" | tail -n 1)
	printf '%s\n' "$output" >&2
	[[ "$last" =~ ^bounces:\ recipients\ ([0-9]+)/([0-9]+),\ kind\ ([0-9]+)/([0-9]+) ]]
	rcpt=${BASH_REMATCH[1]} kind=${BASH_REMATCH[3]} n=${BASH_REMATCH[4]}
	[ "$n" -eq 588 ]
	[ "$kind" -ge "$KIND_MIN" ]
	[ "$rcpt" -ge "$RCPT_MIN" ]
}

@test "a missing corpus fails with a message that names it" {
	run --separate-stderr sh "$REPO/tests/bounce-score" "$DRIPMAIL" \
	    "$BATS_TEST_TMPDIR/nowhere"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"no bounce corpus"* ]]
}
