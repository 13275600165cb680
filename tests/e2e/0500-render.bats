#!/usr/bin/env bats
# `dripmail render TEMPLATE [--data FILE] [--partials DIR]`: the rendering
# on stdout byte for byte; partials and parents from DIR/NAME.mustache.

load helpers

setup() {
	setup_workdir
	rm -f settings.ini	# render needs no settings
	mkdir -p tpl parts
}
teardown() { teardown_workdir; }

# render ARGS...: stdout to out, stderr to err; status in $status.
render() {
	status=0
	"$DRIPMAIL" render "$@" > out 2> err || status=$?
}

@test "output is byte for byte: CRLF, UTF-8, escaping, no final newline" {
	printf 'Hi {{name}},\r\n{{#items}}- {{.}}\r\n{{/items}}\xc3\xa9{{{raw}}}' \
	    > tpl/t.mustache
	printf '{"name": "Zo\\u00eb & <Co>", "items": ["a\\"b", 2.5],
	    "raw": "<b>"}' > d.json
	printf 'Hi Zo\xc3\xab &amp; &lt;Co&gt;,\r\n- a&quot;b\r\n- 2.5\r\n\xc3\xa9<b>' \
	    > want
	render tpl/t.mustache --data d.json
	[ "$status" -eq 0 ]
	cmp out want
	[ ! -s err ]
}

@test "--text turns HTML escaping off" {
	printf '{{v}}|{{{v}}}\n' > t.mustache
	printf '{"v": "a & <b>"}' > d.json
	printf 'a & <b>|a & <b>\n' > want
	render --text t.mustache --data d.json
	[ "$status" -eq 0 ]
	cmp out want
}

@test "without --data the data is empty" {
	printf '[{{x}}]{{^x}}none{{/x}}\n' > t.mustache
	printf '[]none\n' > want
	render t.mustache
	[ "$status" -eq 0 ]
	cmp out want
}

@test "partials come from the template's folder by default" {
	printf 'top\n  {{> item}}\nend\n' > tpl/page.mustache
	printf '<li>{{v}}</li>\n<li>2</li>\n' > tpl/item.mustache
	printf '<li>WRONG</li>\n' > item.mustache
	printf '{"v": 1}' > d.json
	printf 'top\n  <li>1</li>\n  <li>2</li>\nend\n' > want
	render tpl/page.mustache --data d.json
	[ "$status" -eq 0 ]
	cmp out want
}

@test "--partials DIR replaces the template's folder" {
	printf '{{>item}}|{{> item }}' > tpl/page.mustache
	printf 'in tpl' > tpl/item.mustache
	printf 'in parts' > parts/item.mustache
	render --partials parts tpl/page.mustache
	[ "$status" -eq 0 ]
	printf 'in parts|in parts' > want
	cmp out want
}

@test "inheritance through files: layout blocks overridden by the page" {
	cat > tpl/layout.mustache <<-'EOF'
	<title>{{$title}}Untitled{{/title}}</title>
	<body>
	  {{$body}}
	  <p>no body</p>
	  {{/body}}
	  {{>footer}}
	</body>
	EOF
	printf '<p>{{$sig}}Bye{{/sig}}, {{name}}</p>\n' > tpl/footer.mustache
	cat > tpl/page.mustache <<-'EOF'
	{{<layout}}
	{{$title}}Day {{day}}{{/title}}
	{{$body}}
	<h1>Breathe</h1>
	<p>{{day}} of 5</p>
	{{/body}}
	{{$sig}}See you tomorrow{{/sig}}
	{{/layout}}
	EOF
	printf '{"day": 2, "name": "Ann"}' > d.json
	cat > want <<-'EOF'
	<title>Day 2</title>
	<body>
	  <h1>Breathe</h1>
	  <p>2 of 5</p>
	  <p>See you tomorrow, Ann</p>
	</body>
	EOF
	render tpl/page.mustache --data d.json
	[ "$status" -eq 0 ]
	cmp out want
	# Without overrides the layout's defaults show.
	printf '{{<layout}}{{/layout}}' > tpl/bare.mustache
	render tpl/bare.mustache
	[ "$status" -eq 0 ]
	grep -qx '<title>Untitled</title>' out
	grep -qx '  <p>no body</p>' out
	grep -qx '  <p>Bye, </p>' out
}

@test "a missing partial or parent renders empty, exit 0" {
	printf '[{{>nothere}}][{{<gone}}{{$a}}x{{/a}}{{/gone}}]\n' > t.mustache
	printf '[][]\n' > want
	render t.mustache
	[ "$status" -eq 0 ]
	cmp out want
	[ ! -s err ]
}

@test "partial names cannot leave DIR" {
	printf 'SECRET' > secret.mustache
	mkdir -p parts/sub
	printf 'SUB' > parts/sub/x.mustache
	printf '[{{>../secret}}][{{>sub/x}}][{{>..}}][{{</etc/passwd}}{{//etc/passwd}}]' \
	    > parts/t.mustache
	render parts/t.mustache
	[ "$status" -eq 0 ]
	printf '[][][][]' > want
	cmp out want
}

@test "missing template: exit 66 naming it" {
	render nothere.mustache
	[ "$status" -eq 66 ]
	[ ! -s out ]
	grep -q "cannot read 'nothere.mustache'" err
}

@test "missing data file: exit 66" {
	printf 'x' > t.mustache
	render t.mustache --data nothere.json
	[ "$status" -eq 66 ]
	grep -q "nothere.json" err
}

@test "bad JSON: exit 65 naming file:line:column" {
	printf 'x' > t.mustache
	printf '{\n  "a": 1,\n  "b": tru\n}\n' > bad.json
	render t.mustache --data bad.json
	[ "$status" -eq 65 ]
	[ ! -s out ]
	grep -Eq 'bad\.json:3:[0-9]+: ' err
}

@test "template syntax error: exit 65 naming file:line" {
	printf 'one\ntwo {{#list}}\nthree\n' > t.mustache
	render t.mustache
	[ "$status" -eq 65 ]
	[ ! -s out ]
	grep -q "t.mustache:2: unclosed section 'list'" err
	printf 'a\n{{>p}}\n' > t.mustache
	printf '\n\n{{/x}}' > p.mustache
	render t.mustache
	[ "$status" -eq 65 ]
	grep -q "t.mustache:2: partial 'p': 3: unexpected closing tag 'x'" err
}

@test "a partial including itself forever fails instead of looping" {
	printf 'x{{>t}}' > t.mustache
	render t.mustache
	[ "$status" -eq 65 ]
	grep -q "nests deeper" err
}

@test "usage: no template or two templates is exit 64; --help is 0" {
	render
	[ "$status" -eq 64 ]
	grep -q '^usage: dripmail render' err
	render a b
	[ "$status" -eq 64 ]
	render --help
	[ "$status" -eq 0 ]
	grep -q '^usage: dripmail render' out
}
