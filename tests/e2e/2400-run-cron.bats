#!/usr/bin/env bats
# The crontab lines as deploy/crontab.example writes them, run as cron runs
# them (sh -c, cron's environment, no terminal): cron mails whatever they
# print, so an idle run prints nothing and a busy or failing one says so.
# And what a dry run says.

load helpers
load lib/run

setup() {
	setup_workdir
	ini_set settings.ini schedule window_hours 24
	ini_del settings.ini launch date
	mkdir -p bounces/new bounces/cur bounces/tmp
	ini_set settings.ini bounces source bounces
	use_run_db
	# `make install` puts dripmail in /usr/local/bin: here, in bin/.
	mkdir bin
	ln -s "$DRIPMAIL" bin/dripmail
}
teardown() { teardown_workdir; }

# cron_job PATTERN: the command of the crontab.example line matching
# PATTERN, run with the crontab's variables and cron's own (Debian cron:
# PATH=/usr/bin:/bin unless the crontab sets it), in this test's folder
# instead of the course folder the example names.
cron_job() {
	local tab=$REPO/deploy/crontab.example line cmd
	local -a envs=(HOME="$WORK" LOGNAME=root SHELL=/bin/sh PATH=/usr/bin:/bin)

	while IFS= read -r line; do
		case $line in
		'#'* | '') ;;
		[A-Z]*=*) envs+=("$line") ;;
		*"$1"*) cmd=$(echo "$line" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; print }') ;;
		esac
	done < "$tab"
	[ -n "${cmd:-}" ] || { echo "no '$1' line in $tab" >&2; return 1; }
	envs=("${envs[@]//\/usr\/local\/bin/$WORK/bin}")
	cmd=${cmd//\/srv\/dripmail/$WORK}
	env -i "${envs[@]}" /bin/sh -c "$cmd" < /dev/null
}

@test "the crontab lines print nothing when there is nothing to do" {
	add_sub idle@example.net UTC 2026-06-01T09:00Z
	sql "UPDATE subscribers SET lessons_sent = 5, status = 'completed'"
	run cron_job 'dripmail -q run'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run cron_job 'dripmail -q bounces'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# and without -q the same idle run still reports
	run dm run
	[ "$status" -eq 0 ]
	[[ "$output" == "run: sent 0, retry 0, failed 0"* ]]
}

@test "the run line prints its summary when it sent something, then goes quiet" {
	add_sub new@example.net UTC "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"
	run cron_job 'dripmail -q run'
	[ "$status" -eq 0 ]
	[[ "$output" == "run: sent 1, retry 0, failed 0"* ]]
	[ "$(ls outbox/new | wc -l)" -eq 1 ]
	run cron_job 'dripmail -q run'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "the run line prints its summary when the relay cannot be reached" {
	ini_set settings.ini smtp url "smtp://127.0.0.1:$(free_port)"
	ini_set settings.ini smtp tls off
	add_sub new@example.net UTC "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"
	run cron_job 'dripmail -q run'
	[ "$status" -eq 75 ]
	[[ "$output" == *"run: sent 0, retry 1, failed 0"* ]]
}

@test "-v run --dry-run says what it would send, never that it sent" {
	add_sub dry@example.net UTC "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"
	run dm -v run --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"would send to=<dry@example.net> message=day1"* ]]
	[[ "$output" != *"sent to="* ]]
	[[ "$output" != *"smtp=250"* ]]
	[[ "$output" == *"run: would send 1, retry 0, failed 0"* ]]
	[ ! -d outbox/new ] || [ -z "$(ls outbox/new)" ]
	run dm -v run
	[[ "$output" == *"sent to=<dry@example.net> message=day1 smtp=250"* ]]
}

@test "README, man page and deploy/ name one course folder" {
	run grep -rn '/srv/' "$REPO/README.md" "$REPO/man" "$REPO/deploy"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/srv/dripmail"* ]]
	run grep -rnE '/srv/[a-z]+' -o "$REPO/README.md" "$REPO/man" "$REPO/deploy"
	[ -z "$(printf '%s\n' "$output" | grep -v ':/srv/dripmail$')" ]
}
