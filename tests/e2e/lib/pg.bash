# pg.bash - a private PostgreSQL cluster on 127.0.0.1 for the tests:
# Debian's server (make deps installs postgresql), initdb into a fresh
# folder, pg_ctl on a free loopback port, run as an unprivileged user
# (nobody when the tests run as root: the server refuses root), with a
# role for dripmail that logs in with a password over TCP (so
# password_file is what lets dripmail in), and one database per test.
# Made for speed, not for keeping data: fsync off.
#
#   pg_start            initdb and start the cluster (a few seconds: call
#                       it once per file, from setup_file); exports
#                       PG_BIN, PG_DIR, PG_PORT, PG_USER (dripmail's role)
#                       and PG_PASSWORD (its password)
#   pg_stop             stop it (if running) and remove its folder
#   pg_halt / pg_resume stop and start the same cluster again (a test of
#                       the server being down)
#   pg_createdb [NAME]  a new empty database owned by PG_USER; prints its
#                       name (a fresh one without NAME)
#   pg_workdir          a new database for this test, settings.ini in
#                       $WORK pointing at it ([database] url, and
#                       password_file $WORK/pg.password); sets PG_DB
#   pg_url DB           postgresql://PG_USER@127.0.0.1:PG_PORT/DB (no
#                       password in it)
#   pg_password_file F  write PG_PASSWORD to F, mode 0600
#   pg_sql DB [QUERY]   psql as the superuser over the cluster's socket
#                       (QUERY, or stdin), rows as sqlite3 prints them:
#                       fields joined by '|', NULL empty

# PG_BIN: Debian's newest server binaries (/usr/lib/postgresql/15/bin on
# Debian 12).
pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$d/initdb" ] || { echo "no PostgreSQL server: make deps" >&2
		return 1; }
	echo "$d"
}

# pg_as CMD...: CMD as the cluster's owner, in its folder.
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$PG_DIR" && setpriv --reuid="$(id -u nobody)" \
		    --regid="$(id -g nobody)" --clear-groups -- \
		    env HOME="$PG_DIR" "$@")
	else
		(cd "$PG_DIR" && "$@")
	fi
}

pg_start() {
	PG_BIN=$(pg_bin) || return 1
	PG_DIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dripmail-pg.XXXXXX")
	PG_PORT=$(free_port)
	PG_USER=dripmail
	PG_PASSWORD=pg-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	export PG_BIN PG_DIR PG_PORT PG_USER PG_PASSWORD
	mkdir -p "$PG_DIR/sock"
	[ "$(id -u)" -eq 0 ] && chown -R nobody: "$PG_DIR"
	chmod 700 "$PG_DIR"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 \
	    --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 \
	    --no-sync > "$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	pg_resume || return 1
	# the password on psql's stdin, not on a command line
	pg_sql postgres <<SQL || return 1
CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
SQL
}

# pg_resume: start the cluster pg_start made (again), waiting until it
# takes connections (pg_ctl -w is the readiness check).
pg_resume() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
	    -w -t 60 -o "-p $PG_PORT -k $PG_DIR/sock \
	    -c listen_addresses=127.0.0.1 -c fsync=off \
	    -c synchronous_commit=off -c full_page_writes=off" \
	    start > /dev/null || {
		cat "$PG_DIR/server.log" >&2
		return 1
	}
}

# pg_halt: stop the server now, keeping its data.
pg_halt() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
	    > /dev/null
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	[ -f "$PG_DIR/data/postmaster.pid" ] && pg_halt 2>/dev/null
	rm -rf "$PG_DIR"
	PG_DIR=
	return 0
}

pg_createdb() {
	local name=${1:-dm_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')}
	pg_sql postgres "CREATE DATABASE \"$name\" OWNER $PG_USER" \
	    > /dev/null || return 1
	echo "$name"
}

pg_workdir() {
	PG_DB=$(pg_createdb) || return 1
	pg_password_file "$WORK/pg.password"
	ini_set "$WORK/settings.ini" database url "$(pg_url "$PG_DB")"
	ini_set "$WORK/settings.ini" database password_file \
	    "$WORK/pg.password"
}

pg_url() {
	echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/$1"
}

pg_password_file() {
	(umask 077 && printf '%s\n' "$PG_PASSWORD" > "$1")
	chmod 600 "$1"
}

pg_sql() {
	local db=$1
	shift
	if [ $# -gt 0 ]; then
		set -- -c "$*"
	fi
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" \
	    -p "$PG_PORT" -U postgres -d "$db" "$@"
}
