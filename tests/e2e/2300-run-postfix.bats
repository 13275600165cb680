#!/usr/bin/env bats
# `dripmail run` against a real Postfix on loopback.

load helpers
load lib/run
load lib/postfix

setup() {
	setup_workdir
	ini_del settings.ini launch date
	use_run_db
}
teardown() { pf_stop; teardown_workdir; }

@test "a whole course reaches Postfix intact; Message-IDs unique" {
	pf_start
	many_subs 20 2026-06-10T09:00Z
	for d in 10 11 12 13 14; do
		run dm run --now 2026-06-${d}T09:00:00Z
		[ "$status" -eq 0 ]
		[[ "$output" == *"run: sent 20, retry 0, failed 0"* ]]
	done
	pf_wait_mail "$PF_MAIL/catchall" 100
	# a second run sends nothing
	run dm run --now 2026-06-14T09:30:00Z
	[[ "$output" == *"run: sent 0,"* ]]
	[ "$(sql "SELECT count(*) FROM subscribers WHERE status = 'completed'")" -eq 20 ]
	ids=$(grep -h '^Message-ID:' "$PF_MAIL"/catchall/new/* | sort)
	[ "$(echo "$ids" | wc -l)" -eq 100 ]
	[ "$(echo "$ids" | uniq -d | wc -l)" -eq 0 ]
	# intact: what Postfix stored is what dripmail recorded and rendered
	f=$(grep -l '^To: .*u7@example.net' "$PF_MAIL"/catchall/new/* | head -1)
	grep -q '^Subject: ' "$f"
	grep -q '^Content-Type: multipart/alternative' "$f"
	mid=$(grep '^Message-ID:' "$f" | tr -d '\r' | sed 's/^Message-ID: //')
	[ "$(sql "SELECT count(*) FROM deliveries WHERE message_id = '$mid' AND state = 'sent'")" -eq 1 ]
	/usr/bin/python3 -I - "$f" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
text = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
assert "Hi friend," in text, text[:200]
assert "<html" in html.lower()
PY
}

@test "Postfix refuses an unknown recipient: failed, hard-bounced" {
	pf_start
	add_sub nobody-here@example.org UTC 2026-06-10T09:00Z
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[ "$(sql 'SELECT status FROM subscribers')" = bounced ]
	[[ "$(sql 'SELECT smtp_reply FROM deliveries')" == "550 5.1.1"* ]]
}

@test "PF_BOUNCE=1: Postfix generates a DSN to the envelope sender" {
	PF_BOUNCE=1 pf_start
	ini_set settings.ini smtp envelope_from bounces@example.org
	add_sub ghost@example.org UTC 2026-06-10T09:00Z
	run dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	pf_wait_mail "$PF_MAIL/bounces" 1
	grep -q 'multipart/report' "$PF_MAIL"/bounces/new/*
	grep -q 'ghost@example.org' "$PF_MAIL"/bounces/new/*
}
