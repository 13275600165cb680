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
