#!/usr/bin/env bats
# `dripmail report --html` and `status --json`: a course's history (a
# waitlist imported, a launch, a week of runs against the fault server,
# bounces, a complaint, unsubscribes), then the page's figures against
# status's, and the page in headless Chromium at desktop and phone width.

load helpers
load lib/run
load lib/faultsmtp
load lib/chromium

setup() {
	setup_workdir
	ini_set settings.ini schedule send_hour 8
	ini_set settings.ini schedule window_hours 12
	ini_set settings.ini schedule first_lesson immediate
	ini_set settings.ini launch timezone UTC
	ini_set settings.ini launch enroll_waitlist yes
	ini_set settings.ini send connections 1
	ini_set settings.ini smtp timeout 5s
	T=$(date -u +%Y-%m-%d)
	ini_set settings.ini launch date "$(day 1) 09:00"
	use_run_db
}
teardown() { fault_stop; teardown_workdir; }

# day N: the date N days after today (UTC).
day() {
	date -u -d "$T + $1 days" +%Y-%m-%d
}

# run_on N [FAULT ARGS...]: one run at 09:00 UTC N days from today,
# against the fault server started with FAULT ARGS (default: ok).
run_on() {
	local n=$1
	shift
	fault_start "${@:---mode=ok}"
	dm run --now "$(day "$n")T09:00:00Z" > /dev/null 2> run.err || true
	fault_stop
}

# bounce_for TEMPLATE OLD NEW: a sample bounce re-addressed to NEW, applied.
bounce_for() {
	sed "s/$2/$3/gI" "$DATA/bounces/$1" > "$WORK/b.eml"
	dm bounces "$WORK/b.eml" > /dev/null
}

# history: ten on the waitlist, the launch, a week of runs with a refused
# recipient and a retry, two bounces by mail, a complaint, unsubscribes.
history() {
	{
		echo "email,first_name,timezone"
		for i in 1 2 3 4 5 6 7 8 9 10; do
			echo "w$i@example.net,W$i,UTC"
		done
	} > wait.csv
	dm import --list waitlist wait.csv > /dev/null
	run_on 1
	run_on 2 --mode rcpt550 --times 1
	bounce_for exim-user-unknown.eml gone.away@example.com w2@example.net
	run_on 3 --mode rcpt451 --times 1
	bounce_for arf-complaint.eml angry.reader@isp.example w3@example.net
	dm unsubscribe w4@example.net > /dev/null
	run_on 4
	bounce_for unsubscribe-reply.eml robin.gale@example.com w5@example.net
	bounce_for postfix-dsn-user-unknown.eml nobody.home@example.net \
	    w6@example.net
	for n in 5 6 7 8; do
		run_on "$n"
	done
}

@test "status --json: the documented schema, and the figures add up" {
	history
	dm status --json --now "$(day 8)T12:00:00Z" > st.json
	/usr/bin/python3 - "$REPO/man/dripmail.1" st.json <<'PY'
import json, re, sys
man = open(sys.argv[1]).read()
st = json.load(open(sys.argv[2]))
assert st["version"] == 1, st["version"]
# every key of the object is documented in dripmail(1)'s schema list
sec = man[man.index(".Ss status"):man.index(".Ss report")]
doc = set(re.findall(r"^\.(?:It )?Li (\w+)", sec, re.M))
for line in re.findall(r"^\.It Li (.*)", sec, re.M):
    doc |= set(re.findall(r"\w+", line))
def keys(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield k
            yield from keys(v)
    elif isinstance(o, list):
        for v in o:
            yield from keys(v)
# subscribers' and stopped's keys are statuses, documented as a list
missing = set(keys(st)) - doc - {"active", "completed", "unsubscribed",
    "bounced", "complained", "course", "waitlist"}
assert not missing, missing
types = {"now": str, "subscribers": dict, "lists": dict, "messages": list,
         "stopped_other": dict, "funnel": list, "runs": list}
for k, t in types.items():
    assert isinstance(st[k], t), k
s = st["subscribers"]
assert s["bounced"] == 3, s          # w2 and w6 by mail, one at RCPT TO
assert s["complained"] == 1 and s["unsubscribed"] == 2, s
assert sum(s.values()) == 10, s
assert s["completed"] == 4, s
lessons = [m for m in st["messages"] if m["kind"] == "lesson"]
assert [m["day"] for m in lessons] == [1, 2, 3, 4, 5]
for m in st["messages"]:
    assert isinstance(m["id"], str) and m["kind"] in ("lesson", "notice")
    for k in ("sent", "retrying", "failed", "suppressed", "due_now",
              "scheduled"):
        assert type(m[k]) is int, (m["id"], k)
    assert all(type(v) is int for v in m["stopped"].values()), m["id"]
    if m["kind"] == "notice":
        assert m["at"] is None or isinstance(m["at"], str)
for r in st["runs"]:
    assert type(r["id"]) is int and isinstance(r["started"], str)
    assert r["finished"] is None or isinstance(r["finished"], str)
    assert type(r["dry_run"]) is bool and isinstance(r["outcome"], str)
    for k in ("sent", "retry", "failed", "suppressed"):
        assert type(r[k]) is int, k
# every stopped subscriber is counted once, against a message or not
for k in ("bounced", "complained", "unsubscribed"):
    assert sum(m["stopped"][k] for m in st["messages"]) + \
        st["stopped_other"][k] == s[k], k
assert sum(m["failed"] for m in st["messages"]) == 1
f = {x["step"]: x["count"] for x in st["funnel"]}
assert list(f) == ["enrolled", "day1", "day2", "day3", "day4", "day5",
                   "completed"], f
assert f["enrolled"] == 10 and f["completed"] == 4, f
assert f["day5"] == 4, f
assert all(f["day%d" % i] == lessons[i - 1]["sent"] for i in range(1, 6))
assert 1 <= len(st["runs"]) <= 5
PY
}

# figures FILE: the page's tables as "chart key name value" lines.
figures() {
	/usr/bin/python3 - "$1" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    chart = key = name = None
    text = ""
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-chart" in a:
            self.chart = a["data-chart"]
        elif tag == "tr":
            self.key = a.get("data-key")
        elif tag == "td":
            self.name, self.text = a.get("data-name"), ""
    def handle_data(self, d):
        self.text += d
    def handle_endtag(self, tag):
        if tag == "td" and self.key and self.name:
            print(self.chart, self.key, self.name, self.text.strip())
            self.name = None
P().feed(open(sys.argv[1], encoding="utf-8").read())
PY
}

@test "report --html: the page's figures are status --json's" {
	history
	now="$(day 8)T12:00:00Z"
	dm status --json --now "$now" > st.json
	run --separate-stderr dm report --html out --now "$now"
	[ "$status" -eq 0 ]
	[ "$output" = "out/index.html" ]
	figures out/index.html > got
	[ -s got ]
	/usr/bin/python3 - st.json <<'PY' > want
import json, sys
st = json.load(open(sys.argv[1]))
for k, v in st["subscribers"].items():
    print("subscribers", k, "count", v)
for k, v in st["lists"].items():
    print("subscribers", "list_" + k, "count", v)
for x in st["funnel"]:
    print("funnel", x["step"], "count", x["count"])
for m in st["messages"]:
    for k, v in m["stopped"].items():
        print("stops", m["id"], k, v)
for k, v in st["stopped_other"].items():
    print("stops", "other", k, v)
for r in st["runs"]:
    for k in ("sent", "retry", "failed", "suppressed"):
        print("runs", r["id"], k, r[k])
PY
	# every figure of status is on the page, as status has it
	sort got > got.s
	sort want > want.s
	comm -13 got.s want.s > absent
	[ ! -s absent ] || { cat absent; false; }
	# the day charts add up to the same totals
	sent=$(/usr/bin/python3 -c 'import json,sys
print(sum(m["sent"] for m in json.load(open("st.json"))["messages"]))')
	[ "$(awk '$1 == "sends" { n += $4 } END { print n }' got)" -eq "$sent" ]
	for k in bounced complained unsubscribed; do
		want_k=$(/usr/bin/python3 -c 'import json,sys
print(json.load(open("st.json"))["subscribers"][sys.argv[1]])' "$k")
		[ "$(awk -v k=$k '$1 == "stops_by_day" && $3 == k { n += $4 } END { print n + 0 }' got)" -eq "$want_k" ]
	done
	# the running totals end at ten on the waitlist, ten on the course
	[ "$(awk '$1 == "growth" && $3 == "waitlist" { v = $4 } END { print v }' got)" -eq 10 ]
	[ "$(awk '$1 == "growth" && $3 == "enrolled" { v = $4 } END { print v }' got)" -eq 10 ]
	# the launch is marked
	grep -q 'class="launch"' out/index.html
	# nothing from outside: no URL, no script, no address
	! grep -Eiq 'https?:|//[a-z]|<script|src=|@import|url\(' out/index.html
	! grep -q '@example.net' out/index.html
}

@test "what the database and settings hold is escaped on the page" {
	ini_set settings.ini course name 'Peace <b>&amp; "quiet"</b>'
	sql "INSERT INTO runs (started_at, finished_at, now_at, pid, sent,
	    outcome) VALUES (1, 2, 1, 1, 0, 'stopped: <script>alert(1)</script> \"x\" &amp;')"
	run dm report --html out
	[ "$status" -eq 0 ]
	! grep -q '<script' out/index.html
	! grep -q '<b>' out/index.html
	grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &quot;x&quot; &amp;amp;' out/index.html
	grep -q '<title>Report: Peace &lt;b&gt;&amp;amp; &quot;quiet&quot;&lt;/b&gt;</title>' out/index.html
	dom=$(chromium_dom out/index.html)
	[[ "$dom" == *'stopped: &lt;script&gt;alert(1)&lt;/script&gt; "x" &amp;amp;'* ]]
}

# Chromium's window is at least 500 pixels wide: a narrower viewport is an
# iframe of that width in a wrapper page (the page itself has no script).
# frame FILE WIDTH [SCRIPT]: write $WORK/frame.html, FILE in an iframe
# WIDTH pixels wide, with SCRIPT run once it has loaded.
frame() {
	cat > "$WORK/frame.html" <<EOF
<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="$1"
style="width:$2px;height:2400px;border:0"></iframe>
<script>window.onload = function () { ${3:-} };</script></body></html>
EOF
}

# chromium_at WIDTH ARGS...: headless Chromium, a window WIDTH x 2400.
chromium_at() {
	local w=$1 profile rc
	shift
	profile=$(mktemp -d "${BATS_TMPDIR:-/tmp}/chromium.XXXXXX")
	/usr/bin/chromium --headless --no-sandbox --disable-gpu \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --hide-scrollbars \
	    --allow-file-access-from-files --user-data-dir="$profile" \
	    --window-size="$w,2400" "$@" 2>/dev/null
	rc=$?
	rm -rf "$profile"
	return $rc
}

# page_width FILE WIDTH: "SCROLL INNER SVGS NARROWEST", the document's
# scroll width and its viewport's width when laid out WIDTH pixels wide,
# how many charts it has and the width of the narrowest one.
page_width() {
	frame "$1" "$2" 'var d = document.getElementById("f").contentDocument;
	    var w = Array.prototype.map.call(d.querySelectorAll("svg"),
	        function (s) { return Math.round(s.getBoundingClientRect().width); });
	    document.body.setAttribute("data-w", d.documentElement.scrollWidth
	    + " " + d.defaultView.innerWidth + " " + w.length + " " +
	    (w.length ? Math.min.apply(null, w) : 0));'
	chromium_at 1280 --dump-dom "file://$WORK/frame.html" |
	    sed -n 's/.*data-w="\([0-9 ]*\)".*/\1/p'
}

# png_size FILE: "WIDTH HEIGHT" of a PNG.
png_size() {
	/usr/bin/python3 -c 'import struct, sys
d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n"
print(*struct.unpack(">II", d[16:24]))' "$1"
}

@test "the page in Chromium: screenshots at 1280 and 390, no sideways scroll" {
	history
	dm report --html out --now "$(day 8)T12:00:00Z" > /dev/null
	chromium_at 1280 --screenshot="$WORK/shot-1280.png" \
	    "file://$WORK/out/index.html"
	frame out/index.html 390
	chromium_at 390 --screenshot="$WORK/shot-390.png" \
	    "file://$WORK/frame.html"
	for w in 1280 390; do
		[ "$(png_size "shot-$w.png")" = "$w 2400" ]
		# a page of charts, not a blank one
		[ "$(stat -c %s "shot-$w.png")" -gt 20000 ]
		read -r scroll inner svgs narrow <<< \
		    "$(page_width out/index.html "$w")"
		echo "width $w: scroll $scroll inner $inner charts $svgs $narrow"
		[ "$inner" -eq "$w" ]
		[ "$scroll" -le "$inner" ]
		# seven charts, each drawn nearly as wide as the column
		[ "$svgs" -eq 7 ]
		[ "$narrow" -ge $(( w < 700 ? w - 40 : 600 )) ]
	done
	# and at 300, the page still fits
	read -r scroll inner svgs narrow <<< "$(page_width out/index.html 300)"
	[ "$inner" -eq 300 ] && [ "$scroll" -le 300 ]
	# the measure sees a page that does not fit
	sed 's|<body>|<body><div style="width:600px">wide</div>|' \
	    out/index.html > out/wide.html
	read -r scroll inner svgs narrow <<< "$(page_width out/wide.html 390)"
	[ "$scroll" -gt 390 ]
	# every chart is an SVG that scales: a viewBox, no fixed width
	[ "$(grep -c '<svg viewBox="0 0 480 ' out/index.html)" -eq 7 ]
	! grep -Eq '<svg[^>]* width=' out/index.html
}

@test "report needs --html DIR; --help; a folder it cannot write" {
	run --separate-stderr dm report
	[ "$status" -eq 64 ]
	[ "$(printf '%s\n' "$stderr" | head -1)" = "dripmail report: missing --html DIR" ]
	run --separate-stderr dm report --html out extra
	[ "$status" -eq 64 ]
	run dm report --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: dripmail report --html DIR"* ]]
	touch file
	run --separate-stderr dm report --html file/sub
	[ "$status" -eq 74 ]
	[ ! -e file/sub ]
	# an empty course: the page says there is nothing yet
	run dm report --html empty/
	[ "$status" -eq 0 ]
	[ "$output" = "empty/index.html" ]
	grep -q 'none yet' empty/index.html
	# -q, for cron: the page, and nothing to mail
	run dm -q report --html quiet
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -s quiet/index.html ]
}
