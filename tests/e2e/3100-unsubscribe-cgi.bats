#!/usr/bin/env bats
# `dripmail unsubscribe --cgi` behind nginx + fcgiwrap, and from the
# command line.

load helpers
load lib/subscribers
load lib/nginx
load lib/chromium

setup() { setup_workdir; }
teardown() { nginx_stop; teardown_workdir; }

token() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/lib/token.py" "$WORK/secret.key" "$@"
}

# post URL: the one-click POST of RFC 8058.
post() {
	curl -sS -X POST -d List-Unsubscribe=One-Click "$1"
}

@test "one-click: GET shows the page and changes nothing; POST unsubscribes" {
	id=$(add_subscriber reader@example.com)
	nginx_start
	url="$UNSUB_URL?t=$(token u "$id")"

	dom=$(chromium_dom "$url")
	[[ "$dom" == *"Unsubscribe from these emails?"* ]]
	[[ "$dom" == *"<button type=\"submit\">Unsubscribe</button>"* ]]
	[[ "$dom" == *'name="List-Unsubscribe" value="One-Click"'* ]]
	[[ "$dom" != *"reader@example.com"* ]]
	[ "$(status_of reader@example.com)" = active ]

	run curl -sS -i "$url"
	[[ "$output" == "HTTP/1.1 200 OK"* ]]
	[ "$(status_of reader@example.com)" = active ]

	run post "$url"
	[ "$status" -eq 0 ]
	[[ "$output" == *"You are unsubscribed."* ]]
	[[ "$output" != *"reader@example.com"* ]]
	[ "$(status_of reader@example.com)" = unsubscribed ]
	[ "$(sql "SELECT kind || ' ' || source FROM events WHERE subscriber_id = $id")" \
	    = "unsubscribed one-click" ]
}

@test "the confirmation form's own POST (token in the body) unsubscribes" {
	id=$(add_subscriber form@example.com)
	nginx_start
	run curl -sS -X POST --data-urlencode "t=$(token u "$id")" \
	    -d List-Unsubscribe=One-Click "$UNSUB_URL"
	[[ "$output" == *"You are unsubscribed."* ]]
	[ "$(status_of form@example.com)" = unsubscribed ]
}

@test "forged, altered and unknown tokens: the same page, nothing changes" {
	id=$(add_subscriber keep@example.com)
	nginx_start
	good=$(token u "$id")
	altered=${good:0:10}$([ "${good:10:1}" = A ] && echo B || echo A)${good:11}
	unknown=$(token u 999999)
	verp=$(token v "$id" 5)		# right key, wrong purpose
	before=$(sql 'SELECT count(*) FROM events')

	post "$UNSUB_URL?t=$unknown" > unknown.html
	for t in "$altered" "$verp" forged "AAAA%00" ""; do
		post "$UNSUB_URL?t=$t" > forged.html
		cmp unknown.html forged.html
	done
	# GET: the same page but for the token echoed in the form
	curl -sS "$UNSUB_URL?t=$unknown" | sed "s/$unknown/TOKEN/" > g1.html
	curl -sS "$UNSUB_URL?t=$altered" | sed "s/$altered/TOKEN/" > g2.html
	cmp g1.html g2.html
	[ "$(status_of keep@example.com)" = active ]
	[ "$(sql 'SELECT count(*) FROM events')" -eq "$before" ]
}

@test "GET without a token is 400; other methods 405; tokens are escaped" {
	nginx_start
	run curl -sS -o /dev/null -w '%{http_code}' "$UNSUB_URL"
	[ "$output" = 400 ]
	run curl -sS -o /dev/null -w '%{http_code}' -X PUT "$UNSUB_URL?t=x"
	[ "$output" = 405 ]
	run curl -sS "$UNSUB_URL?t=%22%3E%3Cscript%3Ex"
	[[ "$output" != *"<script>"* ]]
	[[ "$output" == *"&quot;&gt;&lt;script&gt;x"* ]]
}

@test "command line: by address and by token" {
	id=$(add_subscriber Cli@Example.com)
	other=$(add_subscriber tok@example.com)
	run dm unsubscribe cli@example.com
	[ "$status" -eq 0 ]
	[ "$output" = unsubscribed ]
	[ "$(status_of cli@example.com)" = unsubscribed ]
	run dm unsubscribe cli@example.com
	[ "$output" = "already not receiving mail" ]
	run dm unsubscribe "$(token u "$other")"
	[ "$status" -eq 0 ]
	[ "$(status_of tok@example.com)" = unsubscribed ]
	run dm unsubscribe nobody@example.com
	[ "$status" -eq 65 ]
	run dm unsubscribe not-a-token
	[ "$status" -eq 65 ]
	run dm unsubscribe
	[ "$status" -eq 64 ]
}

# 2026-12-02 regress: RFC 8058 says the one-click body SHOULD be
# multipart/form-data; a multipart POST, like the ones mailbox providers
# send (curl -F), and a urlencoded one ending in CRLF answered 200 and
# changed nothing.
@test "one-click: a multipart/form-data POST unsubscribes (RFC 7578)" {
	id=$(add_subscriber gmail.user@example.com)
	other=$(add_subscriber stays@example.com)
	nginx_start
	run curl -sS -i -F List-Unsubscribe=One-Click \
	    "$UNSUB_URL?t=$(token u "$id")"
	[ "$status" -eq 0 ]
	[[ "$output" == "HTTP/1.1 200 OK"* ]]
	[[ "$output" == *"You are unsubscribed."* ]]
	[ "$(status_of gmail.user@example.com)" = unsubscribed ]
	[ "$(sql "SELECT kind || ' ' || source FROM events
	    WHERE subscriber_id = $id")" = "unsubscribed one-click" ]
	# A quoted boundary, the token in a part of its own, other fields
	printf -- '--b"x\r\nContent-Disposition: form-data; name="other"\r\n\r\nList-Unsubscribe=One-Click\r\n--b"x\r\n' > body
	printf 'Content-Disposition: form-data; name="t"\r\n\r\n%s\r\n--b"x\r\n' "$(token u "$other")" >> body
	printf 'content-disposition: form-data; name=List-Unsubscribe\r\n\r\nOne-Click\r\n--b"x--\r\n' >> body
	sed -i 's/b"x/b;x/g' body
	run curl -sS -H 'Content-Type: multipart/form-data; boundary="b;x"' \
	    --data-binary @body "$UNSUB_URL"
	[[ "$output" == *"You are unsubscribed."* ]]
	[ "$(status_of stays@example.com)" = unsubscribed ]
}

@test "one-click: multipart without the One-Click field changes nothing" {
	id=$(add_subscriber careful@example.com)
	nginx_start
	run curl -sS -F List-Unsubscribe=Other "$UNSUB_URL?t=$(token u "$id")"
	[[ "$output" == *"Unsubscribe from these emails?"* ]]
	# The field's name only as a value of another field
	run curl -sS -F x=List-Unsubscribe=One-Click \
	    "$UNSUB_URL?t=$(token u "$id")"
	[[ "$output" == *"Unsubscribe from these emails?"* ]]
	# A boundary the body does not use
	run curl -sS -H 'Content-Type: multipart/form-data; boundary=zz' \
	    --data-binary $'--yy\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--yy--\r\n' \
	    "$UNSUB_URL?t=$(token u "$id")"
	[[ "$output" == *"Unsubscribe from these emails?"* ]]
	[ "$(status_of careful@example.com)" = active ]
}

@test "one-click: a urlencoded body ending in CRLF unsubscribes" {
	id=$(add_subscriber crlf@example.com)
	nginx_start
	run curl -sS -H 'Content-Type: application/x-www-form-urlencoded' \
	    --data-binary $'List-Unsubscribe=One-Click\r\n' \
	    "$UNSUB_URL?t=$(token u "$id")"
	[[ "$output" == *"You are unsubscribed."* ]]
	[ "$(status_of crlf@example.com)" = unsubscribed ]
}
