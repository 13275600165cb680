#!/usr/bin/env bats
# 2026-12-02 regress: `dripmail signup --cgi` on hostile requests, through
# the CGI environment itself.  A body longer than the form can be (or a
# CONTENT_LENGTH past LONG_MAX) was cut at 8 KiB and the cut form acted
# on: a signup taken and mailed from part of a request; it is now refused
# whole with 413.  A link with an empty token (?t=) showed the button,
# whose POST then read as a signup form without an address; it is now the
# incomplete link's 400.  The rest pins what already held: the status of every
# odd request, no header from the request, nothing stored when refused.

load helpers
load lib/subscribers

setup() {
	setup_workdir
	ini_set settings.ini signup url https://example.org/signup
	dm status > /dev/null
}
teardown() { teardown_workdir; }

U=application/x-www-form-urlencoded

# cgi METHOD CONTENT_TYPE CONTENT_LENGTH QUERY < BODY: the status line's
# code printed; the answer in answer.txt.
cgi() {
	env -i PATH=/usr/bin:/bin REQUEST_METHOD="$1" CONTENT_TYPE="$2" \
	    CONTENT_LENGTH="$3" QUERY_STRING="$4" REMOTE_ADDR=192.0.2.7 \
	    "$DRIPMAIL" -c "$WORK/settings.ini" signup --cgi > answer.txt
	sed -n '1s/^Status: \([0-9]*\) .*/\1/p' answer.txt
}

# post BODY [CONTENT_LENGTH]: the form, urlencoded.
post() {
	printf '%s' "$1" | cgi POST "$U" "${2:-${#1}}" ""
}

stored() { sql "SELECT count(*) FROM signups"; }

@test "a body past the limit is refused whole with 413, nothing stored or mailed" {
	big=$(printf 'email=big%%40example.com&first_name=Ann&x=%09000d' 0)
	[ "${#big}" -gt 8192 ]
	[ "$(post "$big")" = 413 ]
	grep -q 'too large' answer.txt
	[ "$(post 'email=huge%40example.com' 99999999999999999999999)" = 413 ]
	[ "$(stored)" -eq 0 ]
	[ ! -d outbox/new ] || [ "$(ls outbox/new | wc -l)" -eq 0 ]
	# the same form, small, is taken
	[ "$(post 'email=small%40example.com&first_name=Ann')" = 200 ]
	[ "$(stored)" -eq 1 ]
}

@test "odd and hostile requests: the right status, no header from the request, nothing stored" {
	while IFS='|' read -r want method ctype clen query body; do
		got=$(printf '%s' "$body" | cgi "$method" "$ctype" "$clen" "$query")
		[ "$got" = "$want" ] || { echo "$method '$query' '$body': $got, not $want"; false; }
		# the header: a status and the type, both ours
		[ "$(sed -n '/^\r$/q;p' answer.txt | tr -d '\r' | cut -d: -f1 | sort | tr '\n' ' ')" = "Content-Type Status " ]
	done <<'REQ'
400|POST|application/x-www-form-urlencoded|14||first_name=Ann
400|POST|application/x-www-form-urlencoded|24||email=&first_name=Annnnn
400|POST|application/x-www-form-urlencoded|61||email=i%40example.com%0d%0aBcc%3a%20x%40evil.org&first_name=A
400|POST|application/x-www-form-urlencoded|3||email=c%40example.com
400|POST|application/x-www-form-urlencoded|-5||email=d%40example.com
400|POST|application/x-www-form-urlencoded|abc||email=e%40example.com
400|POST|application/x-www-form-urlencoded|27||email=n%40ex%00ample.com&x=
400|POST|multipart/form-data; boundary=zz|21||email=m%40example.com
400|GET|||
400|GET|||t=
400|GET|||t=%0d%0aSet-Cookie:%20x=1
400|GET|||t=junk%0d%0aSet-Cookie:x
200|GET|||t=junk
400|POST|application/x-www-form-urlencoded|18||t=junk&confirm=yes
405|PUT|||
405||||
405|DELETE|||t=junk
REQ
	long=$(head -c 100000 /dev/zero | tr '\0' A)
	[ "$(cgi GET "" 0 "t=$long" < /dev/null)" = 400 ]
	[ "$(cgi HEAD "" 0 "t=abc" < /dev/null)" = 200 ]
	[ "$(tr -d '\r' < answer.txt | sed -n '$p')" = "" ]
	[ "$(stored)" -eq 0 ]
	[ "$(sql 'SELECT count(*) FROM subscribers')" -eq 0 ]

	# taken, but a line break or bad UTF-8 in first_name never reaches
	# the mail: the name is dropped
	[ "$(post 'email=j%40example.com&first_name=Ann%0d%0aBcc%3a%20x%40evil.org')" = 200 ]
	[ "$(post 'email=k%40example.com&first_name=%ff%feAnn')" = 200 ]
	[ "$(sql "SELECT email || '=' || coalesce(first_name, '') FROM signups ORDER BY id" | paste -sd ' ')" = "j@example.com= k@example.com=" ]
	! grep -rqi '^Bcc:' outbox/new
}
