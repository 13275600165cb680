#!/usr/bin/env bats
# `dripmail signup --cgi` behind nginx + fcgiwrap: the form on another
# site posts from headless Chromium, the confirmation arrives in the
# outbox, its link's GET changes nothing and its POST confirms.

load helpers
load lib/subscribers
load lib/nginx
load lib/chromium
load lib/dkim
load lib/faultsmtp

setup() {
	setup_workdir
	nginx_start
	ini_set settings.ini signup url "$SIGNUP_URL"
	# the shipped form, pointed at this test's endpoint
	sed "s|https://example.org/signup|$SIGNUP_URL|" \
	    "$REPO/deploy/signup-form.html" > "$WORK/nginx/www/index.html"
}
teardown() { nginx_stop; fault_stop; teardown_workdir; }

cdp() {
	TZ=${CDP_TZ:-UTC} /usr/bin/python3 "$BATS_TEST_DIRNAME/lib/cdp.py" "$@"
}

# fill EMAIL NAME: the script that fills in the form and submits it.
fill() {
	printf '%s' "document.querySelector('input[name=email]').value = '$1';
	    document.querySelector('input[name=first_name]').value = '$2';
	    document.querySelector('form.dripmail-signup').submit();"
}

# link FILE: the confirmation link in a message's text part.
link() {
	/usr/bin/python3 -I - "$1" <<'PY'
import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
text = m.get_body(("plain",)).get_content()
print(re.search(r"https?://\S+", text).group(0))
PY
}

count() { sql "SELECT count(*) FROM $1"; }
mails() { ls outbox/new 2>/dev/null | wc -l; }

@test "Chromium posts the form; the mail arrives; GET shows a button; its POST confirms" {
	CDP_TZ=America/New_York run cdp "$SITE_URL/index.html" \
	    "$(fill reader@example.com Ann)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$SIGNUP_URL" ]
	[[ "$output" == *"Almost done: please check your inbox."* ]]
	[ "$(mails)" -eq 1 ]
	msg=$(ls outbox/new/*)
	grep -q '^To: Ann <reader@example.com>' "$msg"
	grep -q '^Subject: Please confirm: Practical Peace' "$msg"
	! grep -qi '^List-Unsubscribe' "$msg"
	url=$(link "$msg")
	[[ "$url" == "$SIGNUP_URL?t="* ]]
	# the evidence kept: the browser's zone, address, agent, page
	[ "$(sql "SELECT first_name || '|' || timezone || '|' || ip || '|' || page
	    FROM signups")" = "Ann|America/New_York|127.0.0.1|$SITE_URL/" ]
	[[ "$(sql 'SELECT user_agent FROM signups')" == *HeadlessChrome* ]]
	[ "$(count subscribers)" -eq 0 ]

	# the link's GET, as a mail scanner or a browser: a button, no change
	dom=$(chromium_dom "$url")
	[[ "$dom" == *'<button type="submit">Confirm my signup</button>'* ]]
	[[ "$dom" != *reader@example.com* ]]
	run curl -sS -I "$url"
	[[ "$output" == "HTTP/1.1 200 OK"* ]]
	[ "$(count subscribers)" -eq 0 ]
	[ "$(sql 'SELECT count(*) FROM signups WHERE confirmed_at IS NULL')" -eq 1 ]

	# the button
	run cdp "$url" "document.querySelector('form').submit()"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Thank you: your signup is confirmed."* ]]
	[ "$(sql "SELECT status || ' ' || first_name || ' ' || timezone ||
	    ' ' || CAST(CAST(course_at IS NOT NULL AS INTEGER) AS TEXT)
	    FROM subscribers")" \
	    = "active Ann America/New_York 1" ]
	detail=$(sql "SELECT detail FROM events WHERE kind = 'consent'")
	/usr/bin/python3 -I - "$detail" "$SITE_URL/" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
assert d["ip"] == "127.0.0.1" and d["confirm_ip"] == "127.0.0.1", d
assert d["page"] == sys.argv[2], d
assert "HeadlessChrome" in d["user_agent"], d
assert d["form_at"] <= d["confirmed_at"], d
PY
	# a replay changes nothing and sends nothing
	events=$(count events)
	run curl -sS -X POST --data-urlencode "t=${url#*t=}" -d confirm=yes \
	    "$SIGNUP_URL"
	[[ "$output" == *"Thank you: your signup is confirmed."* ]]
	[ "$(count events)" -eq "$events" ]
	[ "$(count subscribers)" -eq 1 ]
	[ "$(mails)" -eq 1 ]
}

@test "before the launch a confirmed person joins the waitlist" {
	ini_set settings.ini launch date "2099-01-01 09:00"
	run curl -sS -d email=early@example.com -d first_name=Eve "$SIGNUP_URL"
	[[ "$output" == *"Almost done"* ]]
	url=$(link outbox/new/*)
	run curl -sS -X POST -d "t=${url#*t=}" -d confirm=yes "$SIGNUP_URL"
	[[ "$output" == *"your signup is confirmed"* ]]
	[ "$(sql "SELECT CAST(CAST(waitlist_at IS NOT NULL AS INTEGER) AS TEXT) ||
	    CAST(CAST(course_at IS NULL AS INTEGER) AS TEXT)
	    FROM subscribers WHERE email = 'early@example.com'")" = 11 ]
}

@test "the confirmation is DKIM-signed when [dkim] is set" {
	dkim_setup both
	run curl -sS -d email=signed@example.com "$SIGNUP_URL"
	[[ "$output" == *"Almost done"* ]]
	[ "$(mails)" -eq 1 ]
	dkim_verify outbox/new/*
}

@test "over SMTP: sent; a deferral answers 503; a refusal the usual page" {
	fault_start --mode ok
	run curl -sS -d email=smtp@example.com "$SIGNUP_URL"
	[[ "$output" == *"Almost done"* ]]
	[ "$(received)" -eq 1 ]
	grep -q '^To: smtp@example.com' "$WORK"/received/*.eml
	[ "$(sql 'SELECT count(*) FROM signups WHERE mailed_at IS NOT NULL')" -eq 1 ]
	fault_stop
	fault_start --mode rcpt451
	run curl -sS -o /dev/null -w '%{http_code}' -d email=later@example.com \
	    "$SIGNUP_URL"
	[ "$output" = 503 ]
	[ "$(sql "SELECT CAST(mailed_at IS NULL AS INTEGER) FROM signups
	    WHERE email = 'later@example.com'")" = 1 ]
	fault_stop
	fault_start --mode rcpt550
	run curl -sS -o /dev/null -w '%{http_code}' -d email=nobody@example.com \
	    "$SIGNUP_URL"
	[ "$output" = 200 ]
	[ "$(received)" -eq 1 ]
	# the CGI's stderr: fcgiwrap's own
	grep -q 'signup: confirmation to <nobody@example.com> refused' \
	    "$WORK/nginx/logs/fcgiwrap.log"
}
