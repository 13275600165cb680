#!/usr/bin/env bats
# `dripmail preview --send-test ADDRESS`: the rendered messages, marked as
# tests, to one address through the configured transport; nothing stored.

load helpers
load lib/run
load lib/faultsmtp

setup() {
	setup_workdir
	use_run_db
	add_sub real@example.net Europe/Berlin 2026-06-10T09:00Z
	sql "UPDATE subscribers SET first_name = 'Rosalind'"
	sqlite3 dripmail.db .dump > before.sql
}
teardown() { fault_stop; teardown_workdir; }

# outbox_count: messages in the Maildir outbox.
outbox_count() {
	find outbox/new -type f 2>/dev/null | wc -l
}

# state_unchanged: the database dumps the same as before the command.
state_unchanged() {
	sqlite3 dripmail.db .dump > after.sql
	diff before.sql after.sql
}

@test "maildir: every message once, [TEST] subject, To = ADDRESS, nothing stored" {
	run dm preview --send-test me@example.com
	[ "$status" -eq 0 ]
	n=$(find "$REPO/lessons" -name '*.md' | wc -l)
	[ "$n" -gt 2 ]
	[ "$(outbox_count)" -eq "$n" ]
	[ "$(grep -c '^sent .* to <me@example.com>$' <<< "$output")" -eq "$n" ]
	[[ "$output" == *"preview: sent $n test messages to <me@example.com>, failed 0"* ]]
	for f in outbox/new/*; do
		grep -q '^Subject: \[TEST\] ' "$f"
		grep -q '^To: Alex <me@example.com>' "$f"
		grep -q '^Delivered-To: me@example.com' "$f"
		grep -q '^Return-Path: <course@example.org>' "$f"
		grep -q 'Test message: sent by dripmail preview' "$f"
		# never a delivery's Message-ID: "test." and the date first
		grep -Eq '^Message-ID: <test\.[0-9]+\.[0-9a-f]{16}\.0\.[a-z0-9-]+@example\.org>' "$f"
	done
	# one distinct Message-ID per message
	[ "$(grep -h '^Message-ID:' outbox/new/* | sort -u | wc -l)" -eq "$n" ]
	state_unchanged
}

@test "maildir: only the lessons named, with the subscriber's data" {
	run dm preview --send-test Me@Example.COM --subscriber real@example.net \
	    day2 lessons/day1.md
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "sent day2 to <Me@example.com>" ]
	[ "${lines[1]}" = "sent day1 to <Me@example.com>" ]
	[ "$(outbox_count)" -eq 2 ]
	grep -l '^Subject: \[TEST\] Day 1:' outbox/new/* > /dev/null
	grep -l '^Subject: \[TEST\] Day 2:' outbox/new/* > /dev/null
	# their first name, but the address given, and not their real IDs
	[ "$(grep -h '^To:' outbox/new/* | tr -d '\r' | sort -u)" = "To: Rosalind <Me@example.com>" ]
	run ! grep -q 'real@example.net' outbox/new/*
	run ! grep -Eq '^Message-ID: <[0-9a-f]{16}\.1\.' outbox/new/*
	state_unchanged
}

@test "bad ADDRESS, unknown lesson, --out with it: refused, nothing sent" {
	run dm preview --send-test 'me@'
	[ "$status" -eq 65 ]
	[[ "$output" == *"--send-test: invalid address 'me@'"* ]]
	run dm preview --send-test $'me@example.com\r\nBcc: x@evil.example'
	[ "$status" -eq 65 ]
	run dm preview --send-test me@example.com nosuch
	[ "$status" -eq 66 ]
	[[ "$output" == *"no lesson or notification 'nosuch'"* ]]
	run dm preview --send-test me@example.com --subscriber nobody@example.net
	[ "$status" -eq 65 ]
	[[ "$output" == *"no subscriber 'nobody@example.net'"* ]]
	run dm preview --send-test me@example.com --out dir
	[ "$status" -eq 64 ]
	[ "$(outbox_count)" -eq 0 ]
	[ ! -e dir ]
	state_unchanged
}

@test "SMTP: sent through the server, envelope to ADDRESS" {
	fault_start --mode ok
	run dm preview --send-test me@example.com day1
	[ "$status" -eq 0 ]
	[ "$(received)" -eq 1 ]
	grep -q '^X-Envelope-To: me@example.com' received/*.eml
	grep -q '^Subject: \[TEST\] Day 1:' received/*.eml
	state_unchanged
}

@test "SMTP 550: refused for good, exit 69, nothing stored" {
	fault_start --mode rcpt550
	run dm preview --send-test me@example.com day1 day2
	[ "$status" -eq 69 ]
	[[ "$output" == *"day1 to <me@example.com> refused: 550 5.1.1"* ]]
	[[ "$output" == *"sent 0 test messages to <me@example.com>, failed 2"* ]]
	[ "$(received)" -eq 0 ]
	state_unchanged
}

@test "SMTP unreachable: exit 75, the rest not tried" {
	ini_set settings.ini smtp url "smtp://127.0.0.1:$(free_port)"
	ini_set settings.ini smtp tls off
	ini_set settings.ini smtp connect_timeout 2s
	run dm preview --send-test me@example.com day1 day2
	[ "$status" -eq 75 ]
	[[ "$output" == *"failed 0, not sent 2"* ]]
	state_unchanged
}
