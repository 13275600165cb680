#!/usr/bin/env bats
# make demo's script: a scratch course, the sample signups, one send run.

load helpers

setup() { setup_workdir; }
teardown() { teardown_workdir; }

@test "the demo imports the sample signups and sends Day 1 into the outbox" {
	run env DEMO_DIR="$WORK/demo" sh "$REPO/deploy/demo.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"added 10, updated 0, unchanged 0, skipped 1, invalid 1"* ]]
	[[ "$output" == *"run: sent 10, retry 0, failed 0"* ]]
	[[ "$output" == *"sent messages: $WORK/demo/outbox/new/"* ]]
	[ "$(ls "$WORK/demo/outbox/new" | wc -l)" -eq 10 ]
	grep -l '^Subject: Day 1:' "$WORK/demo/outbox/new/"* | wc -l | grep -qx 10
	# and the report page, its funnel at ten for Day 1
	[[ "$output" == *"report:        $WORK/demo/report/index.html"* ]]
	grep -q '<tr data-key="day1"><th>Day 1</th><td data-name="count">10</td>' \
	    "$WORK/demo/report/index.html"
}
