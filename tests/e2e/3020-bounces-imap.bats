#!/usr/bin/env bats
# `dripmail bounces imap://...` against a private Dovecot on 127.0.0.1,
# over STARTTLS verified with a test CA (3030-bounces-tls.bats: TLS itself).

load helpers
load lib/subscribers
load lib/dovecot

setup() { setup_workdir; }
teardown() { dovecot_stop; teardown_workdir; }

B=$BATS_TEST_DIRNAME/data/bounces

@test "IMAP: DSN hard-bounces the subscriber, message \\Seen, once" {
	DOVECOT_TLS=1 dovecot_start
	ini_set settings.ini bounces ca_file "$TEST_CA"
	add_subscriber nobody.home@example.net > /dev/null
	add_subscriber kim@oldhost.example > /dev/null
	maildir_put "$DOVECOT_MAILDIR" "$B/postfix-dsn-user-unknown.eml" \
	    "$B/autoreply-vacation.eml"
	dovecot_own
	url=imap://$DOVECOT_USER@127.0.0.1:$DOVECOT_PORT/INBOX
	export DRIPMAIL_IMAP_PASSWORD=$DOVECOT_PASS

	run --separate-stderr dm bounces --dry-run --format tsv "$url"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$url;UID="*"	nobody.home@example.net	5.1.1	hard"* ]]
	[ "$(dovecot_flags | grep -c Seen)" -eq 0 ]	# dry run: not marked

	run dm -v bounces "$url"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=2 hard=1"* ]]
	[ "$(status_of nobody.home@example.net)" = bounced ]
	[ "$(status_of kim@oldhost.example)" = active ]
	[ "$(dovecot_flags | grep -c '\\Seen')" -eq 2 ]

	before=$(sql 'SELECT count(*) FROM events')
	run dm -v bounces "$url"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=0 "* ]]
	[ "$(sql 'SELECT count(*) FROM events')" -eq "$before" ]
}

@test "IMAP: [bounces] source from settings, wrong password refused (75)" {
	DOVECOT_TLS=1 dovecot_start
	ini_set settings.ini bounces ca_file "$TEST_CA"
	ini_set settings.ini bounces source \
	    "imap://$DOVECOT_USER@127.0.0.1:$DOVECOT_PORT/INBOX"
	DRIPMAIL_IMAP_PASSWORD=wrong-$RANDOM run --separate-stderr dm bounces
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"login refused: NO [AUTHENTICATIONFAILED]"* ]]
	[[ "$stderr" != *"wrong-"* ]]
	# and a folder that is not there is a bad source (66)
	ini_set settings.ini bounces source \
	    "imap://$DOVECOT_USER@127.0.0.1:$DOVECOT_PORT/Nowhere"
	DRIPMAIL_IMAP_PASSWORD=$DOVECOT_PASS run dm bounces
	[ "$status" -eq 66 ]
	[[ "$output" == *"cannot select folder 'Nowhere': NO "* ]]
}

@test "IMAP: nothing listening is a temporary failure (75)" {
	port=$(free_port)
	DRIPMAIL_IMAP_PASSWORD=x run dm bounces "imap://u@127.0.0.1:$port/INBOX"
	[ "$status" -eq 75 ]
	[[ "$output" == *"cannot connect to 127.0.0.1:$port"* ]]
}

@test "IMAP: a password in the URL is refused" {
	run dm bounces --dry-run "imap://u:secret@127.0.0.1:1/INBOX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no password in the URL"* ]]
	[[ "$output" != *secret* ]]
}
