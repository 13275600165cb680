#!/bin/sh
# make demo: a fresh scratch course under ./demo with the sample signups,
# one send run into the local Maildir outbox, the report page, and where
# to look.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DRIPMAIL:-$top/build/dripmail}
demo=${DEMO_DIR:-$top/demo}

rm -rf "$demo"
mkdir -p "$demo"
# The demo sends at any hour: a 24-hour window instead of 08:00-20:00
# local time, so Day 1 goes to everyone in this one run.
sed -e "s#^lessons = .*#lessons = $top/lessons#" \
    -e "s#^window_hours = .*#window_hours = 24#" \
    -e "s#^templates = .*#templates = $top/templates#" \
    "$top/settings.ini" > "$demo/settings.ini"
head -c 32 /dev/urandom > "$demo/secret.key"
chmod 600 "$demo/secret.key"
dm() { "$bin" -c "$demo/settings.ini" "$@"; }

step() {
	echo "==> dripmail $*"
	dm "$@"
	rc=$?
	[ "$rc" -eq 0 ] || echo "    (exit status $rc)"
	return 0
}

step check
# The sample file has one bad row and one repeat on purpose: import
# reports both and exits 65.
step import --list course "$top/tests/data/signups.csv"
step run
step status
step report --html "$demo/report"
echo
echo "demo folder:   $demo"
echo "database:      $demo/dripmail.db"
echo "sent messages: $demo/outbox/new/"
if [ -d "$demo/outbox/new" ]; then
	n=$(ls "$demo/outbox/new" | wc -l)
	echo "               ($n messages; open one with: less $demo/outbox/new/*)"
fi
echo "report:        $demo/report/index.html (open it in a browser)"
echo "preview:       $bin -c $demo/settings.ini preview --out $demo/preview"
