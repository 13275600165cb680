#!/usr/bin/env bats
# `dripmail signup --cgi` against abuse: forged, replayed and expired
# links, the honeypot, rate limits, suppressed and known addresses (the
# same answer, no mail), the origin check, and injection in pages and
# headers.

load helpers
load lib/subscribers
load lib/nginx

setup() {
	setup_workdir
	nginx_start
	ini_set settings.ini signup url "$SIGNUP_URL"
}
teardown() { nginx_stop; teardown_workdir; }

token() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/lib/token.py" "$WORK/secret.key" "$@"
}

count() { sql "SELECT count(*) FROM $1"; }
mails() { ls outbox/new 2>/dev/null | wc -l; }

# signup EMAIL [CURL ARGS...]: post the form; the page in page.html, the
# HTTP status printed.
signup() {
	local email=$1
	shift
	curl -sS -o page.html -w '%{http_code}' --data-urlencode "email=$email" \
	    "$@" "$SIGNUP_URL"
}

# confirm TOKEN: the link's button; the page in page.html, status printed.
confirm() {
	curl -sS -o page.html -w '%{http_code}' -X POST \
	    --data-urlencode "t=$1" -d confirm=yes "$SIGNUP_URL"
}

@test "forged, altered, other-purpose and expired links change nothing" {
	[ "$(signup pat@example.com)" = 200 ]
	id=$(sql 'SELECT id FROM signups')
	at=$(sql 'SELECT created_at FROM signups')
	good=$(token s "$id" "$at")
	altered=${good:0:10}$([ "${good:10:1}" = A ] && echo B || echo A)${good:11}
	for t in "$(token u "$id")" "$(token v "$id" "$at")" "$altered" \
	    "$(token s "$id" $((at + 1)))" "$(token s 999 "$at")" forged; do
		[ "$(confirm "$t")" = 400 ]
		grep -q 'This link is not valid or has expired.' page.html
	done
	[ "$(count subscribers)" -eq 0 ]
	[ "$(count events)" -eq 0 ]
	# a week old: expired, though genuine
	old=$((at - 7 * 86400))
	sql "UPDATE signups SET created_at = $old"
	[ "$(confirm "$(token s "$id" "$old")")" = 400 ]
	[ "$(count subscribers)" -eq 0 ]
	# and the genuine one works while it is fresh
	sql "UPDATE signups SET created_at = $at"
	[ "$(confirm "$good")" = 200 ]
	[ "$(count subscribers)" -eq 1 ]
}

@test "a signup link cannot unsubscribe, an unsubscribe link cannot confirm" {
	sub=$(add_subscriber keep@example.com)
	run curl -sS -X POST -d List-Unsubscribe=One-Click \
	    "$UNSUB_URL?t=$(token s "$sub" 0)"
	[ "$(status_of keep@example.com)" = active ]
	[ "$(signup new@example.com)" = 200 ]
	id=$(sql "SELECT id FROM signups")
	[ "$(confirm "$(token u "$id")")" = 400 ]
	[ "$(count subscribers)" -eq 1 ]
}

@test "expired pending signups are purged by the next signup" {
	[ "$(signup old@example.com)" = 200 ]
	sql "UPDATE signups SET created_at = created_at - 8 * 86400"
	[ "$(signup new@example.com)" = 200 ]
	[ "$(sql 'SELECT email FROM signups ORDER BY id' | paste -sd ,)" = new@example.com ]
}

@test "the honeypot: the same answer, nothing stored, no mail" {
	[ "$(signup real@example.com)" = 200 ]
	cp page.html real.html
	[ "$(signup robot@example.com -d website=http://spam.example)" = 200 ]
	cmp real.html page.html
	[ "$(sql "SELECT count(*) FROM signups WHERE email LIKE 'robot%'")" -eq 0 ]
	[ "$(mails)" -eq 1 ]
	# the CGI's stderr: fcgiwrap's own
	grep -q 'honeypot filled in' "$WORK/nginx/logs/fcgiwrap.log"
}

@test "suppressed and known addresses: the same answer, no mail" {
	add_subscriber known@example.com > /dev/null
	dm subscribers add gone@example.com > /dev/null
	dm subscribers remove gone@example.com > /dev/null
	add_subscriber left@example.com > /dev/null
	dm subscribers unsubscribe left@example.com > /dev/null
	[ "$(signup new@example.com -d first_name=Pat)" = 200 ]
	cp page.html new.html
	for a in known@example.com KNOWN@example.com gone@example.com \
	    left@example.com; do
		[ "$(signup "$a" -d first_name=Pat)" = 200 ]
		cmp new.html page.html
	done
	[ "$(mails)" -eq 1 ]
	grep -q '^To: Pat <new@example.com>' outbox/new/*
}

@test "rate limits: per IP a 429, per address the same answer and no mail" {
	ini_set settings.ini signup ip_limit 100
	ini_set settings.ini signup address_limit 2
	for i in 1 2 3 4; do
		[ "$(signup again@example.com)" = 200 ]
		grep -q 'Almost done' page.html
	done
	[ "$(mails)" -eq 2 ]
	ini_set settings.ini signup ip_limit 6
	[ "$(signup other@example.com)" = 200 ]
	[ "$(signup third@example.com)" = 200 ]
	[ "$(signup fourth@example.com)" = 429 ]
	grep -q 'Too many signups from your network' page.html
	[ "$(mails)" -eq 4 ]
	[ "$(sql "SELECT count(*) FROM signups WHERE email = 'fourth@example.com'")" -eq 0 ]
}

@test "allowed_origin: another site's form gets 403 and nothing is stored" {
	dm check > /dev/null
	ini_set settings.ini signup allowed_origin https://blog.example.org
	[ "$(signup a@example.com -H 'Origin: https://evil.example')" = 403 ]
	[ "$(signup b@example.com -H 'Referer: https://blog.example.org.evil.example/')" = 403 ]
	[ "$(signup c@example.com)" = 403 ]
	[ "$(count signups)" -eq 0 ]
	[ "$(signup d@example.com -H 'Origin: https://blog.example.org')" = 200 ]
	[ "$(signup e@example.com -H 'Referer: https://blog.example.org/join')" = 200 ]
	[ "$(mails)" -eq 2 ]
}

@test "a name with CR/LF or HTML reaches no header and is escaped" {
	[ "$(signup inj@example.com --data-urlencode \
	    $'first_name=Ann\r\nBcc: victim@example.net')" = 200 ]
	[ "$(signup html@example.com --data-urlencode \
	    'first_name=<b>Bo</b> "&"')" = 200 ]
	[ "$(mails)" -eq 2 ]
	! grep -rqi '^Bcc:' outbox/new
	! grep -rq 'victim' outbox/new
	msg=$(grep -l 'html@example.com' outbox/new/*)
	/usr/bin/python3 -I - "$msg" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
html = m.get_body(("html",)).get_content()
assert "Hello &lt;b&gt;Bo&lt;/b&gt; &quot;&amp;&quot;," in html, html
assert "<b>" not in html, html
PY
	# the token is escaped in the link's page
	run curl -sS "$SIGNUP_URL?t=%22%3E%3Cscript%3Ex%3C%2Fscript%3E"
	[[ "$output" == *'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"'* ]]
	[[ "$output" != *"<script>"* ]]
}

@test "bad input: a bad address 400, no token 400, PUT 405, no [signup] url 500" {
	[ "$(signup 'not an address')" = 400 ]
	grep -q 'Please check the email address' page.html
	[ "$(signup '')" = 400 ]
	[ "$(count signups)" -eq 0 ]
	run curl -sS -o /dev/null -w '%{http_code}' "$SIGNUP_URL"
	[ "$output" = 400 ]
	run curl -sS -o /dev/null -w '%{http_code}' -X PUT "$SIGNUP_URL"
	[ "$output" = 405 ]
	# the button's POST without confirm=yes shows the page again
	run curl -sS -X POST -d t=abc "$SIGNUP_URL"
	[[ "$output" == *'Confirm my signup</button>'* ]]
	ini_del settings.ini signup url
	[ "$(signup x@example.com)" = 500 ]
	[ "$(count signups)" -eq 0 ]
}

@test "a multipart/form-data form works as an urlencoded one" {
	run curl -sS -o page.html -w '%{http_code}' -F email=multi@example.com \
	    -F first_name=Mo -F timezone=Asia/Tokyo -F website= "$SIGNUP_URL"
	[ "$output" = 200 ]
	grep -q 'Almost done' page.html
	[ "$(sql 'SELECT first_name || timezone FROM signups')" = MoAsia/Tokyo ]
	grep -q '^To: Mo <multi@example.com>' outbox/new/*
	# a zone that is not one is dropped, the signup kept
	run curl -sS -o /dev/null -w '%{http_code}' -d email=tz@example.com \
	    -d timezone=../../etc/passwd "$SIGNUP_URL"
	[ "$output" = 200 ]
	[ "$(sql "SELECT CAST(timezone IS NULL AS INTEGER) FROM signups
	    WHERE email = 'tz@example.com'")" = 1 ]
}
