#!/usr/bin/env bats
# Each command's --help lists every option with a sentence; a usage error
# says what is wrong; a settings file that is not one says so and where.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

COMMANDS="import subscribers preview render run resume bounces unsubscribe signup status report check init dkim db"

# man_options CMD: the long options in CMD's SYNOPSIS in dripmail(1).
man_options() {
	awk -v c="$1" '
	    /^\.Ss / { on = ($2 == c); syn = on; next }
	    on && /^\.Pp/ { if (syn) syn = 0 }
	    on && syn { while (match($0, /Fl -[a-z-]+/)) {
		print substr($0, RSTART + 4, RLENGTH - 4); $0 = substr($0, RSTART + RLENGTH) } }
	    ' "$REPO/man/dripmail.1" | sort -u
}

@test "COMMAND --help and -h: every option of the man page's SYNOPSIS, each with a sentence" {
	for c in $COMMANDS; do
		run --separate-stderr "$DRIPMAIL" "$c" --help
		[ "$status" -eq 0 ] || { echo "$c: status $status"; false; }
		[ -z "$stderr" ]
		[[ "$output" == "usage: dripmail $c"* ]]
		help=$output
		opts=$(man_options "$c")
		[ -n "$opts" ] || [ "$c" = unsubscribe ] || { echo "$c: no options in the man page"; false; }
		for o in $opts help; do
			# an option line: the option, blanks, then words
			printf '%s\n' "$help" | grep -Eq -- "^    (-h, )?--$o( [A-Z.a-z]+)?( +[a-z\"(].{8,}|$)" ||
			    { echo "$c: --$o is not described in --help"; false; }
			# and the usage line names it, as the man page does
			printf '%s\n' "$help" | sed '/^$/q' | grep -q -- "--$o" ||
			    [ "$o" = help ] || { echo "$c: usage lacks --$o"; false; }
		done
		# and no option in the usage that the man page lacks
		for o in $(printf '%s\n' "$help" | sed '/^$/q' | grep -Eo -- '--[a-z-]+' | sort -u); do
			printf '%s\n' "$opts" | grep -qx -- "${o#--}" ||
			    { echo "$c: $o is not in dripmail(1)'s SYNOPSIS"; false; }
		done
		run --separate-stderr "$DRIPMAIL" "$c" -h
		[ "$status" -eq 0 ]
		[ "$output" = "$help" ]
	done
}

@test "a missing option value says so; an unknown option is named" {
	run --separate-stderr "$DRIPMAIL" -c
	[ "$status" -eq 64 ]
	[[ "$stderr" == "dripmail: option '-c' needs a value"* ]]
	run --separate-stderr dm run --now
	[ "$status" -eq 64 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail run: option '--now' needs a value" ]
	[[ "$(printf '%s\n' "$stderr" | sed -n 2p)" == "usage: dripmail run "* ]]
	run --separate-stderr dm import --reject-file
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail import: option '--reject-file' needs a value" ]
	run --separate-stderr dm render -d
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail render: option '-d' needs a value" ]
	run --separate-stderr dm subscribers list --status
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail subscribers list: option '--status' needs a value" ]
	run --separate-stderr dm status --bogus
	[ "$status" -eq 64 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail status: unknown option '--bogus'" ]
	run --separate-stderr dm run --dry-run=yes
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail run: option '--dry-run' takes no value" ]
	run --separate-stderr dm subscribers list --name x
	[ "$status" -eq 64 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail subscribers list: option '--name' does not go with this subcommand" ]
}

@test "a stray or missing argument is named" {
	run --separate-stderr dm run tomorrow
	[ "$status" -eq 64 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail run: unexpected argument 'tomorrow'" ]
	run --separate-stderr dm check now
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail check: unexpected argument 'now'" ]
	run --separate-stderr dm import a.csv b.csv
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail import: unexpected argument 'b.csv'" ]
	run --separate-stderr dm import
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail import: missing FILE (or - for standard input)" ]
	run --separate-stderr dm subscribers show
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail subscribers show: missing EMAIL" ]
	run --separate-stderr dm subscribers frob
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail subscribers: unknown subcommand 'frob'" ]
	run --separate-stderr dm unsubscribe --cgi extra
	[ "$status" -eq 64 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail unsubscribe: unexpected argument 'extra'" ]
}

@test "-c DIR says it is a folder" {
	mkdir course
	run --separate-stderr "$DRIPMAIL" -c course check
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"course: is a folder, not a settings file (-c wants the file, such as course/settings.ini)"* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "a settings file of garbage: which line is wrong, once for binary data" {
	dm check > /dev/null
	run --separate-stderr "$DRIPMAIL" -c dripmail.db check
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"dripmail.db:1: not a settings file: binary data (a NUL byte)"* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	printf '\x00\x01\x02\n[course]\n' > nul.ini
	run --separate-stderr "$DRIPMAIL" -c nul.ini check
	[[ "$stderr" == *"nul.ini:1: not a settings file: binary data (a NUL byte)"* ]]
	printf '[course]\nname = ok\n\xff\xfe garbage\n' > latin.ini
	run --separate-stderr "$DRIPMAIL" -c latin.ini check
	[[ "$stderr" == *"latin.ini:3: not a settings file: not UTF-8 text"* ]]
	printf 'hello world\nname = x\n[course\n[course]\nthis is not a setting\n' > text.ini
	run --separate-stderr "$DRIPMAIL" -c text.ini check
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"text.ini:1: syntax error: expected [section] or key = value"* ]]
	[[ "$stderr" == *"text.ini:2: name: a key before any [section]"* ]]
	[[ "$stderr" == *"text.ini:3: syntax error: a [section] without its ']'"* ]]
	[[ "$stderr" == *"text.ini:5: syntax error: expected [section] or key = value"* ]]
}
