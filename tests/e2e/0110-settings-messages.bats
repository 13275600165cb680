#!/usr/bin/env bats
# What the settings file's reader says: each warning once, and a file that
# is not a settings file is named for what it is.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "a secret file readable by others is warned about once per command" {
	chmod 644 secret.key
	printf 'pw\n' > smtp-password
	chmod 644 smtp-password
	ini_set settings.ini smtp password_file smtp-password
	ini_set settings.ini smtp verp yes
	mkdir -p bounces/new bounces/cur bounces/tmp
	for c in check run status "preview --out p" "bounces --dry-run bounces"; do
		# shellcheck disable=SC2086
		run dm $c
		n=$(printf '%s\n' "$output" | grep -c "secret.key' holds a secret but is readable" || true)
		[ "$n" -eq 1 ] || { echo "$c: $n warnings for secret.key"; false; }
		n=$(printf '%s\n' "$output" | grep -c "smtp-password' holds a secret but is readable" || true)
		[ "$n" -eq 1 ] || { echo "$c: $n warnings for smtp-password"; false; }
	done
}
