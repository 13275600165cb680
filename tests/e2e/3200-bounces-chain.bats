#!/usr/bin/env bats
# The whole bounce loop with real servers on loopback: `run` sends through
# a private Postfix to an address it does not know; Postfix generates its
# own DSN to the envelope sender, whose mailbox is the Maildir a private
# Dovecot serves; `bounces imap://...` reads it, over STARTTLS with the
# certificate verified against a test CA, and hard-bounces the subscriber;
# a second `bounces` changes nothing.

load helpers
load lib/postfix
load lib/dovecot
load lib/subscribers

setup() {
	setup_workdir
	ini_del settings.ini launch date
	# `run` at the real time: a send window of the whole day, whatever
	# the hour the test runs at
	ini_set settings.ini schedule window_hours 24
}
teardown() { dovecot_stop; pf_stop; teardown_workdir; }

# events_statuses: how many events, then "email=status" of everyone.
events_statuses() {
	sql "SELECT count(*) FROM events;
	    SELECT email || '=' || status FROM subscribers ORDER BY id"
}

# disguise FILE FROM TO: make a bounce name TO instead of FROM and drop
# the returned List-Unsubscribe (whose token would also name the subscriber),
# as when mail was forwarded: only the VERP address can tell who it was.
disguise() {
	/usr/bin/python3 - "$@" <<'PY'
import re, sys
path, old, new = sys.argv[1:4]
s = open(path, encoding="utf-8", errors="surrogateescape").read()
s = re.sub(r"(?im)^List-Unsubscribe(-Post)?:.*\n([ \t].*\n)*", "", s)
assert "List-Unsubscribe" not in s
s = s.replace(old, new)
open(path, "w", encoding="utf-8", errors="surrogateescape").write(s)
PY
	! grep -q "$2" "$1"
}

# chain VERP: the loop, with [smtp] verp = VERP.
chain() {
	PF_BOUNCE=1 pf_start
	DOVECOT_TLS=1 dovecot_start "$PF_MAIL/bounces"
	ini_set settings.ini bounces ca_file "$TEST_CA"
	dovecot_own		# Postfix's virtual(8) delivers as the same user
	ini_set settings.ini smtp envelope_from bounces@example.org
	ini_set settings.ini smtp verp "$1"
	dm subscribers add reader@example.net --timezone UTC --list course
	dm subscribers add ghost@example.org --timezone UTC --list course

	run dm run
	[ "$status" -eq 0 ]
	[[ "$output" == *"run: sent 2, retry 0, failed 0"* ]]
	# Postfix accepted both: the good one is delivered, the ghost's DSN
	# lands in the bounce mailbox (flush the queue if it lingers).
	pf_wait_mail "$PF_MAIL/catchall" 1
	pf_wait_mail "$PF_MAIL/bounces" 1 5 ||
	    { postqueue -c "$PF_DIR" -f; pf_wait_mail "$PF_MAIL/bounces" 1 10; }
	dsn=$(find "$PF_MAIL/bounces/new" -type f)
	grep -q 'report-type=delivery-status' "$dsn"
	grep -q '^Final-Recipient: rfc822; *ghost@example.org' "$dsn"
	[ "$(status_of ghost@example.org)" = active ]
	if [ "$1" = yes ]; then
		grep -q '^Delivered-To: bounces+.*@example.org' "$dsn"
		disguise "$dsn" ghost@example.org stranger@example.org
	fi

	url=imap://$DOVECOT_USER@127.0.0.1:$DOVECOT_PORT/INBOX
	export DRIPMAIL_IMAP_PASSWORD=$DOVECOT_PASS
	run dm -v bounces "$url"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=1 hard=1"* ]]
	# over TLS: Dovecot says so of the login (the only one so far)
	[ "$(grep -c 'imap-login: Info: Login: user=<bounce>.*, TLS, ' \
	    "$WORK/dovecot/dovecot.log")" -eq 1 ]
	[ "$(grep -c 'imap-login: Info: Login: ' \
	    "$WORK/dovecot/dovecot.log")" -eq 1 ]
	if [ "$1" = yes ]; then
		[[ "$output" == *"<stranger@example.org> hard 5.1.1 (token)"* ]]
		[ -z "$(status_of stranger@example.org)" ]
	fi
	[ "$(status_of ghost@example.org)" = bounced ]
	[ "$(status_of reader@example.net)" = active ]
	# the evidence: Postfix's own 5.1.1 and its diagnostic
	[ "$(sql "SELECT count(*) FROM events e JOIN subscribers s
	    ON s.id = e.subscriber_id WHERE s.email = 'ghost@example.org'
	    AND e.kind = 'bounce_hard' AND e.status = '5.1.1'
	    AND e.source LIKE 'imap://%'")" -eq 1 ]
	run dm subscribers show ghost@example.org
	[[ "$output" == *"bounce_hard"*"5.1.1"* ]]
	[[ "$output" == *"unknown user"* ]]	# virtual(8)'s diagnostic
	[ "$(dovecot_flags | grep -c '\\Seen')" -eq 1 ]

	# once: the second pass changes nothing
	before=$(events_statuses)
	run dm -v bounces "$url"
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=0 "* ]]
	[ "$(events_statuses)" = "$before" ]
	[ "$(dovecot_flags | grep -c '\\Seen')" -eq 1 ]
}

@test "Postfix's own DSN, served by Dovecot, hard-bounces the subscriber once" {
	chain no
}

@test "the same with VERP: the token in Delivered-To decides the subscriber" {
	chain yes
}
