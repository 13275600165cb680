#!/usr/bin/env bats
# What `dripmail unsubscribe` answers: a repeat is not an error whichever
# form names the subscriber, and the CGI answers HEAD without a body.

load helpers
load lib/subscribers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

token() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/lib/token.py" "$WORK/secret.key" "$@"
}

@test "unsubscribing twice, by token or by address: the same answer, exit 0" {
	a=$(add_subscriber addr@example.com)
	t=$(add_subscriber tok@example.com)
	tok=$(token u "$t")
	run --separate-stderr dm unsubscribe "$tok"
	[ "$status" -eq 0 ]
	[ "$output" = unsubscribed ]
	run --separate-stderr dm unsubscribe "$tok"
	[ "$status" -eq 0 ]
	[ "$output" = "already not receiving mail" ]
	[ -z "$stderr" ]
	run --separate-stderr dm unsubscribe addr@example.com
	[ "$output" = unsubscribed ]
	run --separate-stderr dm unsubscribe addr@example.com
	[ "$status" -eq 0 ]
	[ "$output" = "already not receiving mail" ]
	[ "$(status_of tok@example.com)" = unsubscribed ]
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'unsubscribed'")" -eq 2 ]
	[ "$a" != "$t" ]
}

@test "a token that is not genuine is still an error (65)" {
	id=$(add_subscriber keep@example.com)
	good=$(token u "$id")
	altered=${good:0:10}$([ "${good:10:1}" = A ] && echo B || echo A)${good:11}
	for t in not-a-token "$altered" "$(token v "$id" 5)"; do
		run --separate-stderr dm unsubscribe "$t"
		[ "$status" -eq 65 ]
		[ -z "$output" ]
		[[ "$stderr" == *"unsubscribe: token not valid"* ]]
	done
	[ "$(status_of keep@example.com)" = active ]
}

# cgi METHOD QUERY: the CGI as a web server runs it (RFC 3875).
cgi() {
	env REQUEST_METHOD="$1" QUERY_STRING="$2" GATEWAY_INTERFACE=CGI/1.1 \
	    "$DRIPMAIL" -q -c "$WORK/settings.ini" unsubscribe --cgi < /dev/null
}

@test "the CGI answers HEAD with GET's header and no body" {
	id=$(add_subscriber head@example.com)
	tok=$(token u "$id")
	cgi GET "t=$tok" > get.out
	cgi HEAD "t=$tok" > head.out
	grep -q '^Status: 200 OK' head.out
	# GET: header, blank line, page; HEAD: the same header, blank line, end
	sed '/^\r$/q' get.out > get.head
	cmp get.head head.out
	grep -q '<form method="post">' get.out
	cgi HEAD "" > head400.out
	grep -q '^Status: 400 Bad Request' head400.out
	[ "$(tail -c 2 head400.out | od -An -c | tr -d ' ')" = '\r\n' ]
	! grep -q '<' head400.out
	[ "$(status_of head@example.com)" = active ]
}
