#!/usr/bin/env bats
# The bounce mailbox on a server keeps its password private: IMAP and POP3
# over TLS (STARTTLS, STLS or implicit), the certificate and host name
# verified against [bounces] ca_file (a test CA made here), clear text only
# with [bounces] tls = off.  Whatever is refused, nothing is read or marked.

load helpers
load lib/subscribers
load lib/dovecot
load lib/mailproxy

B=$BATS_TEST_DIRNAME/data/bounces

setup() {
	setup_workdir
	add_subscriber nobody.home@example.net > /dev/null
}
teardown() { proxy_stop; dovecot_stop; teardown_workdir; }

# mailbox_start TLS: Dovecot, with TLS when TLS is 1, holding one DSN that
# hard-bounces nobody.home; the URLs of its four services.
mailbox_start() {
	DOVECOT_TLS=$1 dovecot_start
	maildir_put "$DOVECOT_MAILDIR" "$B/postfix-dsn-user-unknown.eml"
	dovecot_own
	export DRIPMAIL_IMAP_PASSWORD=$DOVECOT_PASS
	IMAP=imap://$DOVECOT_USER@127.0.0.1:$DOVECOT_PORT/INBOX
	IMAPS=imaps://$DOVECOT_USER@127.0.0.1:$DOVECOT_IMAPS_PORT/INBOX
	POP3=pop3://$DOVECOT_USER@127.0.0.1:$DOVECOT_POP3_PORT
	POP3S=pop3s://$DOVECOT_USER@127.0.0.1:$DOVECOT_POP3S_PORT
}

# untouched: the DSN is still there and nothing was applied.
untouched() {
	[ "$(dovecot_count)" -eq 1 ]
	[ "$(status_of nobody.home@example.net)" = active ]
	[ "$(sql 'SELECT count(*) FROM bounce_seen')" -eq 0 ]
}

# unseen: nobody read it (Dovecot flags what POP3 retrieves \Seen too).
unseen() {
	[ "$(dovecot_seen)" -eq 0 ]
}

# refused URL REASON: exit 75, the reason on stderr, nothing read.
refused() {
	run --separate-stderr dm bounces "$1"
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"'$1': $2"* ]]
	[[ "$stderr" != *"$DOVECOT_PASS"* ]]
	untouched
	unseen
}

@test "IMAP: STARTTLS and imaps verified with ca_file; dry run marks nothing" {
	mailbox_start 1
	ini_set settings.ini bounces ca_file "$TEST_CA"
	run dm -v bounces --dry-run "$IMAPS"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=1 hard=1"* ]]
	untouched
	unseen
	run dm -v bounces "$IMAP"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=1 hard=1"* ]]
	[[ "$output" != *"$DOVECOT_PASS"* ]]
	[ "$(status_of nobody.home@example.net)" = bounced ]
	[ "$(dovecot_seen)" -eq 1 ]
	run dm -v bounces "$IMAPS"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=0 "* ]]
}

@test "IMAP: done_folder takes the applied message out of the folder" {
	mailbox_start 1
	mkdir -p "$DOVECOT_MAILDIR/.Done/cur" "$DOVECOT_MAILDIR/.Done/new" \
	    "$DOVECOT_MAILDIR/.Done/tmp"
	dovecot_own
	ini_set settings.ini bounces ca_file "$TEST_CA"
	ini_set settings.ini bounces done_folder Done
	run dm -v bounces "$IMAP"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=1 hard=1"* ]]
	[ "$(dovecot_count)" -eq 0 ]
	[ "$(find "$DOVECOT_MAILDIR/.Done/cur" -type f -name '*S*' | wc -l)" -eq 1 ]
}

@test "POP3: STLS and pop3s verified with ca_file; deleted once applied" {
	mailbox_start 1
	ini_set settings.ini bounces ca_file "$TEST_CA"
	run dm -v bounces --dry-run "$POP3S"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pop3s://"*"/1: <nobody.home@example.net> hard 5.1.1"* ]]
	[ "$(dovecot_count)" -eq 1 ]
	[ "$(status_of nobody.home@example.net)" = active ]
	run dm -v bounces "$POP3"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=1 hard=1"* ]]
	[[ "$output" != *"$DOVECOT_PASS"* ]]
	[ "$(status_of nobody.home@example.net)" = bounced ]
	[ "$(dovecot_count)" -eq 0 ]
	ini_set settings.ini bounces done_folder Done
	run dm bounces "$POP3"
	[ "$status" -ne 0 ]
	[[ "$output" == *"POP3 has no folders"* ]]
}

@test "a certificate from an unknown CA, or for another name, is refused" {
	mailbox_start 1
	for url in "$IMAP" "$IMAPS" "$POP3" "$POP3S"; do
		refused "$url" "certificate not verified"
	done
	# trusted CA, but the certificate names 127.0.0.1, not localhost
	ini_set settings.ini bounces ca_file "$TEST_CA"
	refused "${IMAPS/127.0.0.1/localhost}" "certificate not verified"
	refused "${POP3/127.0.0.1/localhost}" "certificate not verified"
	ini_set settings.ini bounces ca_file "$WORK/missing.pem"
	refused "$IMAPS" "cannot read the CA file"
}

@test "a server without TLS is refused, unless tls = off" {
	mailbox_start 0
	proxy_start pass imap "$DOVECOT_PORT"
	refused "${IMAP/:$DOVECOT_PORT/:$PROXY_PORT}" \
	    "the server offers no STARTTLS: not logging in without TLS"
	! proxy_saw LOGIN AUTHENTICATE
	proxy_stop
	proxy_start pass pop3 "$DOVECOT_POP3_PORT"
	refused "${POP3/:$DOVECOT_POP3_PORT/:$PROXY_PORT}" \
	    "the server offers no STLS: not logging in without TLS"
	! proxy_saw USER PASS AUTH APOP
	ini_set settings.ini bounces tls opportunistic
	run dm bounces "$IMAP"
	[ "$status" -eq 78 ]
	[[ "$output" == *"[bounces] tls: expected required or off"* ]]
	ini_set settings.ini bounces tls off
	run dm -v bounces "$IMAP"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=1 hard=1"* ]]
	[ "$(dovecot_seen)" -eq 1 ]
}

@test "STARTTLS or STLS stripped on the way: refused, no password sent" {
	mailbox_start 1
	ini_set settings.ini bounces ca_file "$TEST_CA"
	proxy_start strip imap "$DOVECOT_PORT"
	refused "${IMAP/:$DOVECOT_PORT/:$PROXY_PORT}" \
	    "the server offers no STARTTLS"
	proxy_saw CAPABILITY
	! proxy_saw LOGIN AUTHENTICATE
	proxy_stop
	proxy_start strip pop3 "$DOVECOT_POP3_PORT"
	refused "${POP3/:$DOVECOT_POP3_PORT/:$PROXY_PORT}" \
	    "the server offers no STLS"
	proxy_saw CAPA
	! proxy_saw USER PASS AUTH APOP
}

# 2026-12-02 regress: a server that hung up after the login killed
# `bounces` with SIGPIPE (exit 141, no reason given).
@test "a server that hangs up after login: 75 and the reason" {
	mailbox_start 0
	ini_set settings.ini bounces tls off
	for mode in hangup=SELECT hangup; do
		proxy_start "$mode" imap "$DOVECOT_PORT"
		refused "${IMAP/:$DOVECOT_PORT/:$PROXY_PORT}" \
		    "the server closed the connection"
		proxy_saw hangup
		proxy_stop
	done
	proxy_start hangup pop3 "$DOVECOT_POP3_PORT"
	refused "${POP3/:$DOVECOT_POP3_PORT/:$PROXY_PORT}" \
	    "the server closed the connection"
	proxy_saw hangup
	proxy_stop
	# over implicit TLS, the proxy holding a certificate of the test CA
	test_ca "$WORK/ca"
	ini_set settings.ini bounces tls required
	ini_set settings.ini bounces ca_file "$TEST_CA"
	proxy_start hangup imap "$DOVECOT_PORT" "$WORK/ca/server.pem" \
	    "$WORK/ca/server.key"
	refused "imaps://$DOVECOT_USER@127.0.0.1:$PROXY_PORT/INBOX" \
	    "the server closed the connection"
	proxy_saw hangup
}

@test "a verdict that cannot be recorded marks and deletes nothing" {
	mailbox_start 1
	ini_set settings.ini bounces ca_file "$TEST_CA"
	db_fail_trigger fail bounce_seen TRUE 'disk on fire'
	for url in "$IMAP" "$POP3"; do
		run dm bounces "$url"
		[ "$status" -ne 0 ]
		[[ "$output" == *"disk on fire"* ]]
		untouched
		[ "$url" = "$POP3" ] || unseen
	done
	db_drop_trigger fail bounce_seen
	run dm bounces "$POP3"
	[ "$status" -eq 0 ]
	[ "$(dovecot_count)" -eq 0 ]
	[ "$(status_of nobody.home@example.net)" = bounced ]
}

@test "a bad mailbox URL is refused with what is wrong, nothing sent" {
	port=$(free_port)
	export DRIPMAIL_IMAP_PASSWORD=x
	for bad in "pop3://u@127.0.0.1:$port/INBOX=POP3 has no folders" \
	    "imap://127.0.0.1:$port/INBOX=expected imap://USER@HOST/FOLDER" \
	    "pop3s://127.0.0.1:$port=expected pop3s://USER@HOST" \
	    "imaps://u@127.0.0.1:99999/INBOX=bad port" \
	    "imap://u@host%2fx:$port/INBOX=bad user, host or folder" \
	    "imap://u@127.0.0.1:$port/IN%0aBOX=bad user, host or folder" \
	    "ftp://u@127.0.0.1:$port/=only imap://, imaps://, pop3:// and pop3s://"
	do
		run dm bounces "${bad%%=*}"
		[ "$status" -eq 66 ]
		[[ "$output" == *"${bad#*=}"* ]]
	done
	unset DRIPMAIL_IMAP_PASSWORD
	run dm bounces "pop3://u@127.0.0.1:$port"
	[ "$status" -eq 66 ]
	[[ "$output" == *"no password ([bounces] password_file"* ]]
}
