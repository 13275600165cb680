#!/usr/bin/env bats
# Command line: usage errors, help, version, exit codes.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "--version prints the version" {
	run "$DRIPMAIL" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^dripmail\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "no command is a usage error (64)" {
	run "$DRIPMAIL"
	[ "$status" -eq 64 ]
	[[ "$output" == "usage: dripmail"* ]]
}

@test "unknown command: one usage line, exit 64" {
	run --separate-stderr "$DRIPMAIL" frobnicate
	[ "$status" -eq 64 ]
	[ -z "$output" ]
	[[ "$stderr" == *"unknown command 'frobnicate'"* ]]
}

@test "unknown global option: exit 64" {
	run "$DRIPMAIL" --bogus check
	[ "$status" -eq 64 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
}

@test "unknown command option: named, then one usage line on stderr, exit 64" {
	run --separate-stderr dm check --bogus
	[ "$status" -eq 64 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 2 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail check: unknown option '--bogus'" ]
	[[ "$(printf '%s\n' "$stderr" | sed -n 2p)" == "usage: dripmail check"* ]]
}

@test "help lists every command" {
	run "$DRIPMAIL" help
	[ "$status" -eq 0 ]
	for c in import subscribers preview render run bounces unsubscribe \
	    status check; do
		[[ "$output" == *"  $c "* ]]
	done
}

@test "COMMAND --help and help COMMAND print usage on stdout, exit 0" {
	run --separate-stderr "$DRIPMAIL" check --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: dripmail check"* ]]
	run --separate-stderr "$DRIPMAIL" help check
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: dripmail check"* ]]
}

@test "--help needs no settings file" {
	cd /
	run "$DRIPMAIL" -c /nonexistent/settings.ini check --help
	[ "$status" -eq 0 ]
}
