#!/usr/bin/env bats
# `dripmail init DIR`: a ready course folder that `check` passes.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "init makes a course folder that check passes, and says what next" {
	run "$DRIPMAIL" init --name "Calm Mornings" \
	    --from "Mia Rivera <mia@example.com>" course
	[ "$status" -eq 0 ]
	real=$(cd course && pwd -P)
	[[ "$output" == *"created the course folder $real"* ]]
	[[ "$output" == *"*/5  * * * *  cd $real && dripmail -q run"* ]]
	[[ "$output" == *"*/15 * * * *  cd $real && dripmail -q bounces"* ]]
	[[ "$output" == *"dripmail check"* ]]
	[[ "$output" == *"dripmail preview"* ]]
	# --from was given: only what is left to edit is named.
	[[ "$output" == *"edit settings.ini: [course] postal_address,"* ]]
	grep -qx 'name = Calm Mornings' course/settings.ini
	grep -qx 'from = Mia Rivera <mia@example.com>' course/settings.ini
	# every key still commented as shipped
	[ "$(grep -c '^;' course/settings.ini)" -eq "$(grep -c '^;' "$REPO/settings.ini")" ]
	for f in "$REPO"/lessons/*.md "$REPO"/templates/*.mustache; do
		cmp "$f" "course/$(basename "$(dirname "$f")")/$(basename "$f")"
	done
	[ "$(stat -c %a course/secret.key)" = 600 ]
	[ "$(stat -c %s course/secret.key)" -eq 32 ]
	[ -s course/dripmail.db ]
	cd course
	run "$DRIPMAIL" check
	[ "$status" -eq 0 ]
	run "$DRIPMAIL" preview --no-spam
	[ "$status" -eq 0 ]
	grep -q 'Calm Mornings' preview/index.html
	grep -q '^From: Mia Rivera <mia@example.com>' preview/day1.eml
}

@test "two inits get different secrets" {
	run "$DRIPMAIL" init a
	# No --from: the sender is still to be set.
	[[ "$output" == *"edit settings.ini: [course] from and postal_address,"* ]]
	"$DRIPMAIL" init b > /dev/null
	! cmp -s a/secret.key b/secret.key
}

@test "init refuses a folder that is not empty, and bad values" {
	mkdir used
	echo keep > used/notes.txt
	run "$DRIPMAIL" init used
	[ "$status" -eq 73 ]
	[[ "$output" == *"'used' is not empty"* ]]
	[ "$(ls used)" = notes.txt ]
	mkdir empty
	run "$DRIPMAIL" init empty
	[ "$status" -eq 0 ]
	run "$DRIPMAIL" init --from "not an address" c1
	[ "$status" -eq 64 ]
	[[ "$output" == *"--from 'not an address'"* ]]
	[ ! -e c1 ]
	run "$DRIPMAIL" init --name "$(printf 'two\nlines')" c2
	[ "$status" -eq 64 ]
	[ ! -e c2 ]
	run "$DRIPMAIL" init
	[ "$status" -eq 64 ]
	run "$DRIPMAIL" init --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: dripmail init"* ]]
	DRIPMAIL_DATADIR=$WORK/nowhere run "$DRIPMAIL" init c3
	[ "$status" -eq 66 ]
	[[ "$output" == *"cannot find the shipped course"* ]]
}
