#!/usr/bin/env bats
# The documentation keeps up with the code.

load helpers

@test "man pages are lint-clean" {
	run mandoc -Tlint -W warning "$REPO/man/dripmail.1" \
	    "$REPO/man/dripmail-settings.5"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "every settings key is documented in dripmail-settings.5 and settings.ini" {
	keys=$(sed -n 's/^	{ "\([a-z]*\)", "\([a-z_0-9]*\)",.*/\1 \2/p' \
	    "$REPO/src/config.c")
	[ -n "$keys" ]
	while read -r section key; do
		grep -q "^\.Ss \[$section\]" "$REPO/man/dripmail-settings.5"
		grep -Eq "^\.It Cm ([a-z_]+ , )*$key( |$)" \
		    "$REPO/man/dripmail-settings.5" ||
		    { echo "undocumented: [$section] $key"; false; }
		grep -Eq "^;? ?$key =" "$REPO/settings.ini" ||
		    { echo "not in settings.ini: [$section] $key"; false; }
	done <<< "$keys"
}

@test "every command has a SYNOPSIS subsection in dripmail.1" {
	for c in import subscribers preview render run resume bounces \
	    unsubscribe signup status report check dkim init db; do
		grep -q "^\.Ss $c\$" "$REPO/man/dripmail.1"
	done
}
