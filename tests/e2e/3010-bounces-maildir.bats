#!/usr/bin/env bats
# `dripmail bounces` on a Maildir and an mbox: the policy, applied once.

load helpers
load lib/subscribers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

B=$BATS_TEST_DIRNAME/data/bounces

@test "Maildir: hard bounce suppresses, message moves to cur/ with S, once" {
	id=$(add_subscriber gone.away@example.com)
	add_subscriber full.box@example.com > /dev/null
	maildir_put mail "$B/exim-user-unknown.eml" \
	    "$B/postfix-dsn-mailbox-full.eml" "$B/autoreply-vacation.eml"
	run dm -v bounces mail
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=3 hard=1 soft=1"*"autoreply=1"* ]]
	[ "$(status_of gone.away@example.com)" = bounced ]
	[ "$(status_of full.box@example.com)" = active ]
	# the evidence for `subscribers show`
	[ "$(sql "SELECT kind, status FROM events WHERE subscriber_id = $id")" \
	    = "bounce_hard|5.1.1" ]
	[[ "$(sql "SELECT source, detail FROM events WHERE subscriber_id = $id")" \
	    == "mail/new/"*"|"*"550 No such user here" ]]
	[ -z "$(ls mail/new)" ]
	[ "$(ls mail/cur | grep -c ':2,S$')" -eq 3 ]
	[ "$(sql 'SELECT count(*) FROM subscribers WHERE next_lesson_at IS NULL')" -eq 1 ]

	before=$(sql 'SELECT count(*) FROM events')
	run dm -v bounces mail
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=0 "* ]]
	[ "$(sql 'SELECT count(*) FROM events')" -eq "$before" ]
}

@test "dry run moves nothing and changes nothing" {
	add_subscriber gone.away@example.com > /dev/null
	maildir_put mail "$B/exim-user-unknown.eml"
	run --separate-stderr dm bounces --dry-run --format tsv mail
	[ "$status" -eq 0 ]
	[[ "$output" == *"	gone.away@example.com	5.1.1	hard" ]]
	[ "$(ls mail/new | wc -l)" -eq 1 ]
	[ "$(status_of gone.away@example.com)" = active ]
}

@test "soft bounces suppress at soft_limit within soft_window" {
	ini_set settings.ini bounces soft_limit 2
	add_subscriber full.box@example.com > /dev/null
	maildir_put mail "$B/postfix-dsn-mailbox-full.eml"
	dm bounces mail
	[ "$(status_of full.box@example.com)" = active ]
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'bounce_soft'")" -eq 1 ]
	# a second, different soft bounce for the same address
	sed 's/^Message-Id: .*/Message-Id: <another@mail.example.org>/' \
	    "$B/postfix-dsn-mailbox-full.eml" > second.eml
	maildir_put mail second.eml
	dm bounces mail
	[ "$(status_of full.box@example.com)" = bounced ]
	[[ "$(sql "SELECT status_reason FROM subscribers")" == "soft bounce 2 of 2 within 30 days"* ]]
}

@test "soft bounces older than soft_window do not count" {
	ini_set settings.ini bounces soft_limit 2
	id=$(add_subscriber full.box@example.com)
	sql "INSERT INTO events (at, subscriber_id, kind) VALUES (1, $id, 'bounce_soft')"
	maildir_put mail "$B/postfix-dsn-mailbox-full.eml"
	dm bounces mail
	[ "$(status_of full.box@example.com)" = active ]
}

@test "complaint and unsubscribe reply suppress with their status" {
	add_subscriber angry.reader@isp.example > /dev/null
	add_subscriber robin.gale@example.com > /dev/null
	maildir_put mail "$B/arf-complaint.eml" "$B/unsubscribe-reply.eml"
	dm bounces mail
	[ "$(status_of angry.reader@isp.example)" = complained ]
	[ "$(status_of Robin.Gale@example.com)" = unsubscribed ]
}

@test "mbox: applied once, remembered in bounce_seen" {
	add_subscriber gone.away@example.com > /dev/null
	add_subscriber kim@oldhost.example > /dev/null
	for f in exim-user-unknown qmail-no-mailbox; do
		echo "From MAILER-DAEMON Tue Dec  3 08:00:00 2026"
		cat "$B/$f.eml"
		echo
	done > bounces.mbox
	cp bounces.mbox before.mbox
	run dm -v bounces bounces.mbox
	[ "$status" -eq 0 ]
	[[ "$output" == *"messages=2 hard=2"* ]]
	[ "$(status_of kim@oldhost.example)" = bounced ]
	[ "$(sql 'SELECT count(*) FROM bounce_seen')" -eq 2 ]
	cmp bounces.mbox before.mbox
	before=$(sql 'SELECT count(*) FROM events')
	run dm -v bounces bounces.mbox
	[[ "$output" == *"messages=0 "* ]]
	[ "$(sql 'SELECT count(*) FROM events')" -eq "$before" ]
}

@test "an unreadable message is reported, left in place, exit 65" {
	add_subscriber gone.away@example.com > /dev/null
	maildir_put mail "$B/exim-user-unknown.eml" "$B/qmail-no-mailbox.eml"
	locked=$(ls mail/new | head -1)
	if [ "$(id -u)" -eq 0 ]; then
		# root reads any mode: make it a dangling symlink instead
		rm "mail/new/$locked"
		ln -s /nonexistent "mail/new/$locked"
	else
		chmod 000 "mail/new/$locked"
	fi
	run dm bounces mail
	[ "$status" -eq 65 ]
	[[ "$output" == *"cannot read"*"$locked"*"left in place"* ]]
	[ -e "mail/new/$locked" ] || [ -L "mail/new/$locked" ]
	[ "$(ls mail/cur | wc -l)" -eq 1 ]
}

@test "a recipient that is not a subscriber changes nothing" {
	add_subscriber someone.else@example.com > /dev/null
	maildir_put mail "$B/exim-user-unknown.eml"
	run dm -v bounces mail
	[ "$status" -eq 0 ]
	[[ "$output" == *"no subscriber <gone.away@example.com>"* ]]
	[ "$(status_of someone.else@example.com)" = active ]
}

@test "done_folder: applied mail moves to that Maildir, relative to the settings" {
	ini_set settings.ini bounces done_folder processed
	add_subscriber gone.away@example.com > /dev/null
	maildir_put mail "$B/exim-user-unknown.eml"
	cd /
	run dm bounces "$WORK/mail"
	[ "$status" -eq 0 ]
	cd "$WORK"
	[ "$(status_of gone.away@example.com)" = bounced ]
	[ -z "$(ls mail/new)" ]
	[ -z "$(ls mail/cur)" ]
	[ "$(ls processed/cur | grep -c ':2,S$')" -eq 1 ]
	[ -d processed/new ]
	[ -d processed/tmp ]
}

@test "a DSN's Original-Recipient finds the subscriber the final one does not" {
	add_subscriber old.name@example.com > /dev/null
	cat > alias.eml <<'MSG'
From: MAILER-DAEMON@mx.example.org
To: bounces@example.org
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Original-Recipient: rfc822; old.name@example.com
Final-Recipient: rfc822; forwarded@elsewhere.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--R--
MSG
	run dm -v bounces alias.eml
	[ "$status" -eq 0 ]
	[[ "$output" == *"<forwarded@elsewhere.example> hard"* ]]
	[ "$(status_of old.name@example.com)" = bounced ]
}
