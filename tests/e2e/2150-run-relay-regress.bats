#!/usr/bin/env bats
# `dripmail run` against relays that refuse the sender or the message, or
# cannot be used at all (2026-12 regressions): what the refusal means
# depends on the SMTP step (verdict_reply), only a dead address at RCPT TO
# touches the subscriber (through bounce_apply), a run that keeps being
# refused the same way stops early with one line, and every failure that
# stops a run says why on stderr.

load helpers
load lib/run
load lib/faultsmtp

setup() { run_fault_setup; }
teardown() { fault_stop; teardown_workdir; }

count() { sql "SELECT count(*) FROM $1"; }
not_active() { count "subscribers WHERE status <> 'active'"; }
# lines OUTPUT TEXT: how many lines of OUTPUT hold TEXT.
lines() { printf '%s\n' "$1" | grep -cF -- "$2" || true; }

SENDER_REFUSED='550 5.1.8 <course@example.org>: Sender address rejected: Domain not found'

@test "sender refused at MAIL FROM: nobody bounced, one line, exit 69, the rest goes out once fixed" {
	many_subs 30
	fault_start --mode mail --reply "$SENDER_REFUSED"
	run --separate-stderr dm -q run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[ "$stderr" = "$(printf '%s' "$stderr" | head -n1)" ]
	[[ "$stderr" == *"dripmail: error: run: stopped: the relay refuses the sender: $SENDER_REFUSED" ]]
	[ "$(not_active)" -eq 0 ]
	[ "$(count "events WHERE kind LIKE 'bounce%'")" -eq 0 ]
	[ "$(received)" -eq 0 ]
	# the first ten (and what was in flight on the 2 connections) failed;
	# everything else was never tried and is due as it was
	failed=$(count "deliveries WHERE state = 'failed'")
	[ "$failed" -ge 10 ] && [ "$failed" -le 12 ]
	[ "$(count "deliveries WHERE state = 'due' AND attempts = 0")" -eq $((31 - failed)) ]
	[ "$(count "deliveries WHERE state NOT IN ('due', 'failed')")" -eq 0 ]
	# the relay is fixed: the rest goes out
	fault_stop
	fault_start --mode ok
	run dm run --now 2026-06-10T09:05:00Z
	[ "$status" -eq 0 ]
	[ "$(received)" -eq $((31 - failed)) ]
	[ "$(count "deliveries WHERE state = 'sent'")" -eq $((31 - failed)) ]
	[ "$(not_active)" -eq 0 ]
}

@test "4xx at MAIL FROM: retry later, the run stops early, exit 75" {
	many_subs 30
	fault_start --mode mail --reply '451 4.1.8 <course@example.org>: Sender address rejected: Domain not found'
	run --separate-stderr dm -q run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"run: stopped: the relay defers the sender: 451 4.1.8 <course@example.org>"* ]]
	[ "$(lines "$stderr" "run: stopped")" -eq 1 ]
	retry=$(count "deliveries WHERE state = 'retry'")
	[ "$retry" -ge 10 ] && [ "$retry" -le 12 ]
	[ "$(count "deliveries WHERE state = 'due'")" -eq $((31 - retry)) ]
	[ "$(not_active)" -eq 0 ]
}

@test "550 Message rejected as spam after DATA: the message failed, the subscriber still active" {
	fault_start --mode eod --reply '550 Message rejected as spam' --times 1
	run --separate-stderr dm -q run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[ "$(sql 'SELECT state FROM deliveries')" = failed ]
	[ "$(sql 'SELECT smtp_reply FROM deliveries')" = '550 Message rejected as spam' ]
	[ "$(sql 'SELECT status FROM subscribers')" = active ]
	[ "$(count "events WHERE kind LIKE 'bounce%'")" -eq 0 ]
	[[ "$stderr" == *"run: stopped: the relay refuses the message: 550 Message rejected as spam" ]]
	# the course goes on
	run dm run --now 2026-06-11T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT state FROM deliveries WHERE message = 'day2'")" = sent ]
}

@test "the same refusal after DATA ten times in a row stops the run; nobody bounced" {
	many_subs 20
	fault_start --mode eod --reply '554 5.7.1 Message rejected as spam'
	run --separate-stderr dm -q run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[ "$(lines "$stderr" "run: stopped: the relay refuses the message: 554 5.7.1 Message rejected as spam")" -eq 1 ]
	failed=$(count "deliveries WHERE state = 'failed'")
	[ "$failed" -ge 10 ] && [ "$failed" -le 12 ]
	[ "$(not_active)" -eq 0 ]
}

@test "sender refused at RCPT TO (Postfix's delayed reject): nobody bounced" {
	many_subs 3
	fault_start --mode rcpt --reply '554 5.1.8 <course@example.org>: Sender address rejected: Domain not found'
	run --separate-stderr dm -q run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[ "$(count "deliveries WHERE state = 'failed'")" -eq 4 ]
	[ "$(not_active)" -eq 0 ]
	[[ "$stderr" == *"run: stopped: the relay refuses the sender: 554 5.1.8"* ]]
}

@test "a dead address at RCPT TO still hard-bounces, through the policy, source smtp; no early stop" {
	many_subs 11
	fault_start --mode rcpt550
	run --separate-stderr dm -q run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 69 ]
	[ "$(count "deliveries WHERE state = 'failed'")" -eq 12 ]
	[ "$(count "subscribers WHERE status = 'bounced'")" -eq 12 ]
	[ "$(count "events WHERE kind = 'bounce_hard' AND source = 'smtp' AND status = '5.1.1'")" -eq 12 ]
	[[ "$stderr" != *"stopped"* ]]
}

@test "connection refused: the reason once on stderr (not per message), no credentials, exit 75" {
	many_subs 5
	port=$(free_port)
	ini_set settings.ini smtp url "smtp://course:s3cret@127.0.0.1:$port"
	ini_set settings.ini smtp tls off
	run --separate-stderr dm -q run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 75 ]
	[ "$(lines "$stderr" "run: cannot connect to smtp://127.0.0.1:$port: Connection refused")" -eq 1 ]
	[[ "$stderr" != *s3cret* ]]
	[[ "$(sql 'SELECT smtp_reply FROM deliveries')" != *s3cret* ]]
	[ "$(count "deliveries WHERE state = 'sending'")" -eq 0 ]
}

@test "421 greeting: the relay's reply on stderr, once" {
	many_subs 5
	fault_start --mode greet421
	run --separate-stderr dm -q run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 75 ]
	[ "$(lines "$stderr" "run: smtp://127.0.0.1:$FAULT_PORT refuses the session: 421 4.3.2 Service not available, try later")" -eq 1 ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "a refused login and a refused certificate say so on stderr, without the password" {
	fault_start_tls
	DRIPMAIL_SMTP_PASSWORD=wrongpass run --separate-stderr dm -q run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 75 ]
	[ "$(lines "$stderr" "run: smtp://localhost:$FAULT_PORT refuses the login: 535")" -eq 1 ]
	[[ "$stderr" != *wrongpass* ]]
	ini_del settings.ini smtp ca_file
	DRIPMAIL_SMTP_PASSWORD=s3cret run --separate-stderr dm -q run --now 2026-06-10T09:30:00Z
	[ "$status" -eq 75 ]
	[ "$(lines "$stderr" "run: TLS with smtp://localhost:$FAULT_PORT failed: ")" -eq 1 ]
}

# elapsed CMD...: run CMD (through bats' run), then print its wall time in
# whole seconds, rounded up, into $took.
elapsed() {
	local t0=$EPOCHREALTIME
	run "$@"
	took=$(echo "$EPOCHREALTIME $t0" | awk '{ s = $1 - $2; print int(s) + (s > int(s)) }')
}

@test "a relay that never answers QUIT does not hold the run for [smtp] timeout" {
	ini_set settings.ini smtp timeout 10s
	fault_start --mode quitstall
	elapsed dm run --now 2026-06-10T09:00:00Z
	[ "$status" -eq 0 ]
	[ "$(received)" -eq 1 ]
	# QUIT waits 2 s at most; it used to wait the whole 10 s
	[ "$took" -le 6 ]
}

@test "a relay that stalls after the data: the run ends within timeout + a few seconds" {
	ini_set settings.ini smtp timeout 6s
	fault_start --mode stall
	elapsed dm run --now 2026-06-10T09:00:00Z
	[ "$(sql 'SELECT state FROM deliveries')" = retry ]
	# 6 s for the reply, then QUIT 2 s at most; it used to be 6 + 6
	[ "$took" -le 10 ]
}
