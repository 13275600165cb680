# Shared setup for the end-to-end tests (the role mblaze's t/lib.sh plays).

bats_require_minimum_version 1.5.0
# Each test runs in its own scratch folder with its own settings.ini.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
DRIPMAIL=${DRIPMAIL:-$REPO/build/dripmail}
DATA=$REPO/tests/e2e/data

# DRIPMAIL_TEST_DB=pg runs the tests on PostgreSQL (unset or "sqlite":
# SQLite): lib/pg.bash starts one private cluster per test file (the
# setup_file and teardown_file below; a file with its own calls pg_start
# and pg_stop there), setup_workdir makes a new database for each test
# and points settings.ini at it ([database] url, password_file), and sql
# runs psql on it.  `DRIPMAIL_TEST_DB=pg tests/run-one FILE` runs one.
DRIPMAIL_TEST_DB=${DRIPMAIL_TEST_DB:-sqlite}
# shellcheck source=lib/pg.bash
. "$BATS_TEST_DIRNAME/lib/pg.bash"
if [ "$DRIPMAIL_TEST_DB" = pg ]; then
	setup_file() { pg_start; }
	teardown_file() { pg_stop; }
fi

# A fresh folder with settings.ini (the shipped one, pointing at the
# repository's lessons and templates, a Maildir outbox, its own database
# and secret), and cd into it.
setup_workdir() {
	WORK=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dripmail.XXXXXX")
	cd "$WORK" || return 1
	cp "$REPO/settings.ini" settings.ini
	ini_set settings.ini course lessons "$REPO/lessons"
	ini_set settings.ini course templates "$REPO/templates"
	head -c 32 /dev/urandom > secret.key
	chmod 600 secret.key
	if [ "$DRIPMAIL_TEST_DB" = pg ]; then
		pg_workdir || return 1
	fi
}

teardown_workdir() {
	[ -n "${WORK:-}" ] && [ -d "$WORK" ] && rm -rf "$WORK"
	return 0
}

# dm ARGS...: the binary with this test's settings.
dm() {
	"$DRIPMAIL" -c "$WORK/settings.ini" "$@"
}

# ini_set FILE SECTION KEY VALUE: set (or add) one key, keeping the rest.
ini_set() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
path, section, key, value = sys.argv[1:5]
lines = open(path, encoding="utf-8").read().split("\n")
out, cur, done, last = [], None, False, {}
for i, line in enumerate(lines):
    s = line.strip()
    if s.startswith("[") and s.endswith("]"):
        cur = s[1:-1]
    elif cur == section and "=" in s and not s.startswith((";", "#")):
        if s.split("=", 1)[0].strip() == key:
            line = "%s = %s" % (key, value)
            done = True
    out.append(line)
    if cur == section:
        last[section] = len(out)
if not done:
    if section in last:
        out.insert(last[section], "%s = %s" % (key, value))
    else:
        out += ["[%s]" % section, "%s = %s" % (key, value)]
open(path, "w", encoding="utf-8").write("\n".join(out))
PY
}

# ini_del FILE SECTION KEY: remove a key.
ini_del() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
path, section, key = sys.argv[1:4]
out, cur = [], None
for line in open(path, encoding="utf-8").read().split("\n"):
    s = line.strip()
    if s.startswith("[") and s.endswith("]"):
        cur = s[1:-1]
    elif cur == section and "=" in s and s.split("=", 1)[0].strip() == key:
        continue
    out.append(line)
open(path, "w", encoding="utf-8").write("\n".join(out))
PY
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT [SECONDS]: readiness check, true once something listens.
wait_port() {
	local port=$1 tries=$(( ${2:-10} * 20 ))
	while [ "$tries" -gt 0 ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
		tries=$((tries - 1))
	done
	echo "nothing listening on 127.0.0.1:$port" >&2
	return 1
}

# sql QUERY: run a query on this test's database, waiting up to 10 s for a
# lock (dripmail, or the WAL recovery after a killed run, may hold one).
# On PostgreSQL, psql with the same output (a|b, NULL empty).
sql() {
	if [ "$DRIPMAIL_TEST_DB" = pg ]; then
		pg_sql "$PG_DB" "$@"
		return
	fi
	sqlite3 -batch -cmd '.timeout 10000' "$WORK/dripmail.db" "$@"
}
