#!/usr/bin/env bats
# 2026-12-02 regress: the database file itself.  It was created 0644
# (names and addresses readable by every local user); a file of 0 bytes (a
# failed copy, a truncated restore) was silently made a new, empty
# database, the suppression list gone without a word; and a read-only one
# passed `check` while the commands that write failed with 65 or 70.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

# as_reader ARGS...: dripmail as a user who may read the database but
# not write it (root writes any file: run as nobody then).
as_reader() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" \
		    --clear-groups -- "$DRIPMAIL" -c "$WORK/settings.ini" "$@"
	else
		"$DRIPMAIL" -c "$WORK/settings.ini" "$@"
	fi
}

# reader_setup: the course folder readable by that user, the secret its.
reader_setup() {
	chmod 755 "$WORK"
	[ "$(id -u)" -eq 0 ] && chown nobody "$WORK/secret.key"
	return 0
}

# Every command that opens the database, each writing to it.
commands() {
	cat <<'C'
check
status
subscribers list
subscribers add new@example.org
subscribers unsubscribe kept@example.org
subscribers remove kept@example.org
subscribers export
import people.csv
unsubscribe kept@example.org
run
bounces bounces.mbox
C
}

@test "a new database and its -wal and -shm are 0600 whatever the umask" {
	umask 022
	dm check > /dev/null
	[ "$(stat -c %a dripmail.db)" = 600 ]
	dm subscribers add a@example.org > /dev/null
	# SQLite makes -wal and -shm while a connection is open
	/usr/bin/python3 - <<'PY'
import os, sqlite3
c = sqlite3.connect("dripmail.db")
c.execute("INSERT INTO events (at, kind) VALUES (0, 'test')")
c.commit()
for f in ("dripmail.db-wal", "dripmail.db-shm"):
    mode = os.stat(f).st_mode & 0o777
    assert mode == 0o600, "%s is %o" % (f, mode)
PY
	# nothing left over from making it
	[ -z "$(ls | grep '\.new\.')" ]
}

@test "a database file of 0 bytes is refused by every command (74)" {
	: > dripmail.db
	printf 'email\nx@example.org\n' > people.csv
	: > bounces.mbox
	while read -r cmd; do
		run dm $cmd
		[ "$status" -eq 74 ] || { echo "$cmd: $status $output"; false; }
		[[ "$output" == *"dripmail.db: the database file is empty (0 bytes)"*"restore it from a backup"* ]]
	done < <(commands)
	[ "$(stat -c %s dripmail.db)" -eq 0 ]
	# A missing file is still created.
	rm dripmail.db
	run dm subscribers add x@example.org
	[ "$status" -eq 0 ]
	[ "$(sql 'SELECT count(*) FROM subscribers')" -eq 1 ]
}

@test "a read-only database: every command exits 74, check says read-only" {
	dm subscribers add kept@example.org > /dev/null
	reader_setup
	printf 'email\nx@example.org\n' > people.csv
	: > bounces.mbox
	chmod 644 dripmail.db
	[ "$(id -u)" -eq 0 ] && chown nobody "$WORK"
	[ "$(id -u)" -eq 0 ] || chmod 444 dripmail.db
	while read -r cmd; do
		run as_reader $cmd
		[ "$status" -eq 74 ] || { echo "$cmd: $status $output"; false; }
		[[ "$output" == *"dripmail.db: the database is read-only"* ]]
	done < <(commands)
	[ "$(sql "SELECT status FROM subscribers")" = active ]
	[ "$(sql "SELECT count(*) FROM subscribers")" -eq 1 ]
}

@test "a database in a folder this user cannot write is read-only too" {
	dm subscribers add kept@example.org > /dev/null
	reader_setup
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody dripmail.db
	fi
	chmod 555 "$WORK"
	run as_reader check
	chmod 755 "$WORK"
	[ "$status" -eq 74 ]
	[[ "$output" == *"dripmail.db: the database is read-only: its folder"* ]]
}
