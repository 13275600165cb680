#!/usr/bin/env bats
# DKIM: `dkim keygen`, and every message signed with RSA and Ed25519,
# verified by dkimpy and OpenDKIM with the keys served from a file.

load helpers
load lib/run
load lib/postfix
load lib/dkim

setup() {
	setup_workdir
	ini_del settings.ini launch date
}
teardown() { pf_stop 2> /dev/null || true; teardown_workdir; }

@test "dkim keygen writes a 0600 key, prints its record, never overwrites" {
	run dm dkim keygen --selector s1 --domain example.org --out k.pem
	[ "$status" -eq 0 ]
	[ "$(stat -c %a k.pem)" = 600 ]
	grep -q 'BEGIN PRIVATE KEY' k.pem
	[[ "$output" == *'s1._domainkey.example.org. IN TXT ( "v=DKIM1; k=rsa; p=MII'* ]]
	[[ "$output" == *"key_file = k.pem"* ]]
	cp k.pem k.before
	run dm dkim keygen --selector s1 --domain example.org --out k.pem
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot create 'k.pem'"* ]]
	cmp k.pem k.before
	run dm dkim keygen --selector e1 --type ed25519
	[ "$status" -eq 0 ]
	[ "$(stat -c %a dkim-e1.pem)" = 600 ]
	# the domain of From by default; the raw 32-byte key (RFC 8463)
	[[ "$output" =~ e1\._domainkey\.example\.org\.\ IN\ TXT\ \(\ \"v=DKIM1\;\ k=ed25519\;\ p=[A-Za-z0-9+/]{43}=\"\ \) ]]
	run dm dkim keygen --selector e2 --type dsa
	[ "$status" -eq 64 ]
	run dm dkim keygen --type rsa
	[ "$status" -eq 64 ]
}

@test "every lesson, notification, test send and run verifies, RSA and Ed25519" {
	dkim_setup both
	run dm preview
	[ "$status" -eq 0 ]
	[ "$(ls preview/*.eml | wc -l)" -eq 7 ]
	[ "$(grep -c '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=trsa;' preview/day1.eml)" -eq 1 ]
	[ "$(grep -c '^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=ted25519;' preview/day1.eml)" -eq 1 ]
	dkim_verify preview/*.eml
	run dm preview --send-test me@example.net
	[ "$status" -eq 0 ]
	[ "$(ls outbox/new | wc -l)" -eq 7 ]
	dkim_verify outbox/new/*
	rm outbox/new/*
	use_run_db
	many_subs 3
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(ls outbox/new | wc -l)" -eq 3 ]
	dkim_verify outbox/new/*
}

@test "one key of either kind signs alone" {
	dkim_setup ed25519
	dm preview day2 > /dev/null
	[ "$(grep -c '^DKIM-Signature:' preview/day2.eml)" -eq 1 ]
	dkim_verify preview/day2.eml
}

@test "relayed through Postfix, the signatures still verify" {
	pf_start
	dkim_setup both
	use_run_db
	many_subs 3
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	pf_wait_mail "$PF_MAIL/catchall" 3
	grep -q '^Received: ' "$PF_MAIL"/catchall/new/*
	dkim_verify "$PF_MAIL"/catchall/new/*
}

@test "a changed body, a changed signed header or an added From fails" {
	dkim_setup both
	dm preview day1 > /dev/null
	f=preview/day1.eml
	dkim_verify "$f"
	# an unsigned header added on the way does not matter
	{ printf 'X-Relay: added\r\n'; cat "$f"; } > added.eml
	dkim_verify added.eml
	sed 's/psoas/psoaz/' "$f" > body.eml
	! cmp -s "$f" body.eml
	dkim_fails body.eml
	sed 's/^Subject: /Subject: Re: /' "$f" > subject.eml
	dkim_fails subject.eml
	sed 's/^Date: /Date: Thu, 1 Jan 2099 00:00:00 +0000\r\nX-Old-Date: /' "$f" > date.eml
	dkim_fails date.eml
	# From is signed once more than it occurs: a second From breaks it
	{ printf 'From: Someone Else <else@example.com>\r\n'; cat "$f"; } > from.eml
	dkim_fails from.eml
}

@test "Feedback-ID is signed: it verifies, and a changed one fails" {
	dkim_setup both
	ini_set settings.ini course feedback_id pp-mail
	dm preview day1 > /dev/null
	f=preview/day1.eml
	grep -q '^Feedback-ID: day1:practical-peace:lesson:pp-mail' "$f"
	# h= of both signatures names it
	[ "$(tr -d '\r\n\t ' < "$f" | grep -o 'h=[^;]*' | grep -c 'feedback-id')" -eq 2 ]
	dkim_verify "$f"
	sed 's/^Feedback-ID: day1:/Feedback-ID: day9:/' "$f" > fbl.eml
	! cmp -s "$f" fbl.eml
	dkim_fails fbl.eml
	use_run_db
	many_subs 2
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(grep -l '^Feedback-ID: day1:practical-peace:lesson:pp-mail' outbox/new/* | wc -l)" -eq 2 ]
	dkim_verify outbox/new/*
}

@test "bad keys and settings are refused with the reason" {
	dkim_setup rsa
	chmod 644 trsa.pem
	run dm check
	[ "$status" -ne 0 ]
	[[ "$output" == *"key file '$WORK/trsa.pem' must belong to us and be mode 0600"* ]]
	openssl genrsa -out small.pem 1024 2> /dev/null
	chmod 600 small.pem
	ini_set settings.ini dkim key_file small.pem
	run dm check
	[ "$status" -ne 0 ]
	[[ "$output" == *"expected an RSA key of 2048 bits or more or an Ed25519 key"* ]]
	echo "not a key" > junk.pem
	chmod 600 junk.pem
	ini_set settings.ini dkim key_file junk.pem
	run dm check
	[ "$status" -ne 0 ]
	[[ "$output" == *"'$WORK/junk.pem' is not a PEM private key"* ]]
	# nothing is sent unsigned
	use_run_db 2> /dev/null || true
	many_subs 1
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -ne 0 ]
	[ ! -d outbox/new ] || [ "$(ls outbox/new | wc -l)" -eq 0 ]
	ini_del settings.ini dkim key_file
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"[dkim] key_file: key_file and selector go together"* ]]
	ini_set settings.ini dkim key_file trsa.pem
	ini_set settings.ini dkim selector 'bad selector'
	run dm check
	[ "$status" -eq 78 ]
	[[ "$output" == *"settings.ini:"*"[dkim] selector: expected letters"* ]]
}
