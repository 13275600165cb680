/*
 * test_mustache.c - the Mustache engine, one group of cases per part of
 * the specification, written here (the official files run under
 * `make spec`), plus escaping, missing names, errors and limits.
 */
#include <sys/stat.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "dripmail.h"
#include "mustache.h"
#include "util.h"
#include "xmalloc.h"

/* Partials for the tests: a JSON object of name -> text. */
static char *
load_obj(void *ctx, const char *name, size_t *len)
{
	json_t *p = json_object_get(ctx, name);

	if (!json_is_string(p))
		return NULL;
	*len = json_string_length(p);
	return xstrndup(json_string_value(p), *len);
}

static json_t *
parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text ? text : "{}", JSON_DECODE_ANY, &e);

	if (v == NULL)
		fail_msg("bad test JSON: %s", e.text);
	return v;
}

/* Render tpl with data and partials (JSON texts); allocated result. */
static char *
render_opts(const char *tpl, const char *data, const char *partials,
    int escape)
{
	struct mustache_opts opts;
	struct mustache *m;
	json_t *d = parse(data), *p = parse(partials);
	struct buf out;
	char err[256];

	memset(&opts, 0, sizeof(opts));
	opts.escape_html = escape;
	opts.load = load_obj;
	opts.load_ctx = p;
	if (mustache_compile(tpl, strlen(tpl), &opts, &m, err,
	    sizeof(err)) < 0)
		fail_msg("compile '%s': %s", tpl, err);
	buf_init(&out, BUF_NOLIMIT);
	assert_int_equal(mustache_render(m, d, &out), 0);
	mustache_free(m);
	json_decref(d);
	json_decref(p);
	return buf_detach(&out, NULL);
}

#define check(tpl, data, partials, want) do {				\
	char *got_ = render_opts(tpl, data, partials, 1);		\
	assert_string_equal(got_, want);				\
	free(got_);							\
} while (0)

/* The compile error for tpl ("" when it compiles). */
static void
compile_err(const char *tpl, const char *partials, char *err, size_t len)
{
	struct mustache_opts opts;
	struct mustache *m = NULL;
	json_t *p = parse(partials);

	memset(&opts, 0, sizeof(opts));
	opts.load = load_obj;
	opts.load_ctx = p;
	err[0] = '\0';
	if (mustache_compile(tpl, strlen(tpl), &opts, &m, err, len) == 0) {
		assert_non_null(m);
		err[0] = '\0';
	} else
		assert_null(m);
	mustache_free(m);
	json_decref(p);
}

#define check_err(tpl, partials, want) do {				\
	char err_[256];							\
	compile_err(tpl, partials, err_, sizeof(err_));			\
	assert_string_equal(err_, want);				\
} while (0)

static void
test_interpolation(void **state)
{
	(void)state;
	check("Dear {{name}},", "{\"name\":\"Ann\"}", NULL, "Dear Ann,");
	check("[{{ name }}]", "{\"name\":\"x\"}", NULL, "[x]");
	check("{{a.b.c}}/{{a.b}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", NULL,
	    "deep/");
	check("{{n}} {{r}} {{h}} {{t}} {{f}} {{z}}",
	    "{\"n\":-7,\"r\":0.25,\"h\":2.0,\"t\":true,\"f\":false,"
	    "\"z\":null}", NULL, "-7 0.25 2 true false ");
	check("<{{nobody}}>", "{}", NULL, "<>");
	check("{{.}}!", "\"just a string\"", NULL, "just a string!");
	/* "a.b" is a path, never one key; the path wins over such a key. */
	check("{{a.b}}", "{\"a.b\":\"key\"}", NULL, "");
	check("{{a.b}}", "{\"a.b\":\"key\",\"a\":{\"b\":\"path\"}}", NULL,
	    "path");
	/* A value is never rendered again as a template. */
	check("{{t}}", "{\"t\":\"{{t}}\"}", NULL, "{{t}}");
	/* Non-ASCII and a NUL-free UTF-8 string pass through unchanged. */
	check("{{w}}", "{\"w\":\"Zo\\u00eb \\u2014 \\ud83d\\ude00\"}", NULL,
	    "Zo\xc3\xab \xe2\x80\x94 \xf0\x9f\x98\x80");
}

static void
test_escaping(void **state)
{
	const char *data = "{\"v\":\"<b class=\\\"x\\\">Tom & 'Jerry'</b>\"}";
	char *got;

	(void)state;
	check("{{v}}", data, NULL,
	    "&lt;b class=&quot;x&quot;&gt;Tom &amp; 'Jerry'&lt;/b&gt;");
	check("{{{v}}}|{{& v}}", data, NULL,
	    "<b class=\"x\">Tom & 'Jerry'</b>|<b class=\"x\">Tom & "
	    "'Jerry'</b>");
	/* escape_html = 0 (text parts): {{v}} is not escaped. */
	got = render_opts("{{v}}", data, NULL, 0);
	assert_string_equal(got, "<b class=\"x\">Tom & 'Jerry'</b>");
	free(got);
	check("{{#l}}{{.}}{{/l}}", "{\"l\":[\"<\",\"&\"]}", NULL, "&lt;&amp;");
}

static void
test_sections(void **state)
{
	(void)state;
	check("{{#items}}<{{name}}>{{/items}}",
	    "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", NULL,
	    "<a><b>");
	check("{{#l}}{{.}},{{/l}}", "{\"l\":[1,2.5,\"x\"]}", NULL, "1,2.5,x,");
	check("{{#who}}{{first}} {{last}}{{/who}}",
	    "{\"who\":{\"first\":\"Ada\"},\"last\":\"L.\"}", NULL, "Ada L.");
	check("{{#s}}[{{.}}]{{/s}}", "{\"s\":\"str\"}", NULL, "[str]");
	/* false, null, [] and "" are false; 0 and {} are not. */
	check("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}"
	    "{{#e}}E{{/e}}{{#f}}F{{/f}}{{#g}}G{{/g}}",
	    "{\"a\":false,\"b\":null,\"c\":[],\"d\":\"\",\"e\":0,"
	    "\"f\":{},\"g\":true}", NULL, "EFG");
	check("{{#l}}{{#.}}{{.}}{{/.}};{{/l}}", "{\"l\":[[1,2],[3]]}", NULL,
	    "12;3;");
	/* Standalone section lines vanish, with their CRLF too. */
	check("a\n  {{#t}}\nb\n  {{/t}}\nc\n", "{\"t\":true}", NULL,
	    "a\nb\nc\n");
	check("a\r\n{{#t}}\r\nb\r\n{{/t}}\r\n", "{\"t\":true}", NULL,
	    "a\r\nb\r\n");
	check(" {{#t}}x{{/t}}\n", "{\"t\":true}", NULL, " x\n");
}

static void
test_inverted(void **state)
{
	(void)state;
	check("{{#first_name}}Hi {{first_name}}{{/first_name}}"
	    "{{^first_name}}Hi friend{{/first_name}}",
	    "{\"first_name\":\"\"}", NULL, "Hi friend");
	check("{{^first_name}}Hi friend{{/first_name}}",
	    "{\"first_name\":\"Bo\"}", NULL, "");
	check("{{^missing}}none{{/missing}}{{^l}}empty{{/l}}",
	    "{\"l\":[]}", NULL, "noneempty");
	check("{{^l}}x{{/l}}", "{\"l\":[0]}", NULL, "");
	check("1\n{{^f}}\n2\n{{/f}}\n3", "{\"f\":false}", NULL, "1\n2\n3");
}

static void
test_comments(void **state)
{
	(void)state;
	check("a{{! note }}b", NULL, NULL, "ab");
	check("a\n  {{! a\n multi-line\n note }}\nb\n", NULL, NULL, "a\nb\n");
	check("a {{!x}} b\n", NULL, NULL, "a  b\n");
}

static void
test_delimiters(void **state)
{
	(void)state;
	check("{{=<% %>=}}<%v%> {{v}} <%={{ }}=%>{{v}}", "{\"v\":1}", NULL,
	    "1 {{v}} 1");
	check("a\n{{=| |=}}\n|#t|T|/t|\n", "{\"t\":true}", NULL, "a\nT\n");
	/* A partial starts again with {{ }}. */
	check("{{=[ ]=}}[>p][v]", "{\"v\":\"V\"}", "{\"p\":\"{{v}}-\"}",
	    "V-V");
	check_err("x\n{{=<%%>=}}", NULL, "2: bad delimiters");
	check_err("{{= a b c =}}", NULL, "1: bad delimiters");
}

static void
test_partials(void **state)
{
	(void)state;
	check("<{{>p}}>", "{\"x\":1}", "{\"p\":\"x={{x}}\"}", "<x=1>");
	check("<{{>nobody}}>", NULL, NULL, "<>");
	/* Standalone: every line of the partial is indented, not data. */
	check("ul:\n  {{>li}}\nend\n", "{\"v\":\"a\\nb\"}",
	    "{\"li\":\"<li>\\n{{v}}\\n</li>\\n\"}",
	    "ul:\n  <li>\n  a\nb\n  </li>\nend\n");
	check("tree: {{>n}}", "{\"v\":1,\"k\":[{\"v\":2,\"k\":[]}]}",
	    "{\"n\":\"{{v}}({{#k}}{{>n}}{{/k}})\"}", "tree: 1(2())");
}

static void
test_inheritance(void **state)
{
	const char *layout = "{\"layout\":"
	    "\"<h1>{{$title}}Untitled{{/title}}</h1>\\n"
	    "<div>\\n"
	    "  {{$body}}\\n"
	    "  <p>empty</p>\\n"
	    "  {{/body}}\\n"
	    "</div>\\n{{>foot}}\","
	    "\"foot\":\"-- {{$sig}}Bye{{/sig}}\\n\"}";

	(void)state;
	check("{{<layout}}{{/layout}}", NULL, layout,
	    "<h1>Untitled</h1>\n<div>\n  <p>empty</p>\n</div>\n-- Bye\n");
	check("{{<layout}}\n"
	    "{{$title}}Day {{day}}{{/title}}\n"
	    "ignored text\n"
	    "{{$body}}\n"
	    "<p>one</p>\n"
	    "<p>two</p>\n"
	    "{{/body}}\n"
	    "{{$sig}}Ciao{{/sig}}\n"
	    "{{/layout}}\n", "{\"day\":3}", layout,
	    "<h1>Day 3</h1>\n<div>\n  <p>one</p>\n  <p>two</p>\n</div>\n"
	    "-- Ciao\n");
	/* The outermost override wins over the ones in between. */
	check("{{<b}}{{$x}}top{{/x}}{{/b}}", NULL,
	    "{\"b\":\"{{<c}}{{$x}}mid{{/x}}{{/c}}\",\"c\":\"[{{$x}}c{{/x}}]\"}",
	    "[top]");
	check("{{<b}}{{/b}}", NULL,
	    "{\"b\":\"{{<c}}{{$x}}mid{{/x}}{{/c}}\",\"c\":\"[{{$x}}c{{/x}}]\"}",
	    "[mid]");
	check("{{$only}}default{{/only}}", NULL, NULL, "default");
	check("{{<none}}{{$a}}x{{/a}}{{/none}}|", NULL, NULL, "|");
}

static void
missing_cb(void *ctx, const char *name, const char *partial, int line)
{
	struct buf *b = ctx;

	buf_printf(b, "%s@%s%s%d ", name, partial ? partial : "",
	    partial ? ":" : "", line);
}

static void
test_missing(void **state)
{
	const char *tpl = "Hi {{frist_name}},\n"
	    "{{#vip}}gold{{/vip}}{{^vip}}{{.}}{{/vip}}\n"
	    "{{plan.name}} {{plan.price}} {{nul}}\n"
	    "{{>p}}";
	struct mustache_opts opts;
	struct mustache *m;
	struct buf seen, other, out;
	json_t *d = parse("{\"first_name\":\"A\",\"plan\":{\"name\":\"P\"},"
	    "\"nul\":null}");
	json_t *parts = parse("{\"p\":\"\\n{{in_partial}}\"}");
	char err[256];

	(void)state;
	buf_init(&seen, BUF_NOLIMIT);
	buf_init(&other, BUF_NOLIMIT);
	buf_init(&out, BUF_NOLIMIT);
	memset(&opts, 0, sizeof(opts));
	opts.load = load_obj;
	opts.load_ctx = parts;
	opts.missing = missing_cb;
	opts.missing_ctx = &seen;
	assert_int_equal(mustache_compile(tpl, strlen(tpl), &opts, &m, err,
	    sizeof(err)), 0);
	assert_int_equal(mustache_render(m, d, &out), 0);
	/*
	 * "." and a present null are not missing; lines are the tag's, in
	 * the partial it is in.
	 */
	assert_string_equal(seen.data, "frist_name@1 vip@2 vip@2 "
	    "plan.price@3 in_partial@p:2 ");
	/* A per-call callback replaces the compiled one. */
	buf_reset(&seen);
	assert_int_equal(mustache_render_ex(m, d, &out, missing_cb, &other),
	    0);
	assert_string_equal(seen.data, "");
	assert_string_equal(other.data, "frist_name@1 vip@2 vip@2 "
	    "plan.price@3 in_partial@p:2 ");
	mustache_free(m);
	json_decref(d);
	json_decref(parts);
	buf_release(&seen);
	buf_release(&other);
	buf_release(&out);
}

static void
test_errors(void **state)
{
	(void)state;
	check_err("a\nb\n{{#x}}\n", NULL, "3: unclosed section 'x'");
	check_err("{{#a}}\n{{/b}}", NULL,
	    "2: closing tag 'b' does not match 'a' opened on line 1");
	check_err("\n\n\n{{/a}}", NULL, "4: unexpected closing tag 'a'");
	check_err("x\n{{name", NULL, "2: unclosed tag");
	check_err("{{{name}}", NULL, "1: unclosed tag");
	check_err("{{! a\nb }}\n{{a..b}}", NULL, "3: bad tag name 'a..b'");
	check_err("{{}}", NULL, "1: bad tag name ''");
	check_err("{{a b}}", NULL, "1: bad tag name 'a b'");
	check_err("\n{{>p}}", "{\"p\":\"ok\\n{{#s}}\"}",
	    "2: partial 'p': 2: unclosed section 's'");
	check_err("{{#a}}{{/a}}{{.}}{{a.b}}", NULL, "");
}

static void
test_limits(void **state)
{
	struct mustache *m;
	struct mustache_opts opts;
	struct buf deep, out;
	json_t *parts = parse("{\"self\":\"x{{>self}}\"}");
	json_t *empty = parse("{\"x\":\"\"}");
	char err[256], want[128];
	int i;

	(void)state;
	buf_init(&deep, BUF_NOLIMIT);
	for (i = 0; i < MUSTACHE_MAX_NEST; i++)
		buf_addstr(&deep, "{{#t}}");
	buf_addstr(&deep, "in");
	for (i = 0; i < MUSTACHE_MAX_NEST; i++)
		buf_addstr(&deep, "{{/t}}");
	check(deep.data, "{\"t\":true}", NULL, "in");
	buf_reset(&deep);
	for (i = 0; i <= MUSTACHE_MAX_NEST; i++)
		buf_addstr(&deep, "{{#t}}\n");
	compile_err(deep.data, NULL, err, sizeof(err));
	snprintf(want, sizeof(want), "%d: sections nested deeper than %d",
	    MUSTACHE_MAX_NEST + 1, MUSTACHE_MAX_NEST);
	assert_string_equal(err, want);
	buf_release(&deep);

	/* A partial that includes itself forever stops at the depth cap. */
	memset(&opts, 0, sizeof(opts));
	opts.load = load_obj;
	opts.load_ctx = parts;
	assert_int_equal(mustache_compile("{{>self}}", 9, &opts, &m, err,
	    sizeof(err)), 0);
	buf_init(&out, BUF_NOLIMIT);
	assert_int_equal(mustache_render(m, NULL, &out), ERR_FAIL);
	assert_true(out.len < MUSTACHE_MAX_DEPTH + 1);
	/* The output cap is an error too. */
	buf_release(&out);
	buf_init(&out, 10);
	mustache_free(m);
	assert_int_equal(mustache_compile("0123456789{{x}}", 15, &opts, &m,
	    err, sizeof(err)), 0);
	assert_int_equal(mustache_render(m, empty, &out), 0);
	assert_int_equal(mustache_render(m, NULL, &out), ERR_FAIL);
	mustache_free(m);
	buf_release(&out);
	json_decref(parts);
	json_decref(empty);
}

static void
test_load_dir(void **state)
{
	char dir[] = "/tmp/test_mustache.XXXXXX", *path, *text;
	size_t len = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/foot.mustache", dir);
	assert_int_equal(write_file_atomic(path, "-- {{x}}\n", 9, 0644), 0);
	text = mustache_load_dir(dir, "foot", &len);
	assert_non_null(text);
	assert_int_equal(len, 9);
	assert_memory_equal(text, "-- {{x}}\n", 9);
	free(text);
	assert_null(mustache_load_dir(dir, "nothere", &len));
	assert_null(mustache_load_dir(dir, "../foot", &len));
	assert_null(mustache_load_dir(dir, "a/b", &len));
	assert_null(mustache_load_dir(dir, ".hidden", &len));
	assert_null(mustache_load_dir(dir, "", &len));
	unlink(path);
	free(path);
	rmdir(dir);
}

struct job {
	const struct mustache	*m;
	int			 n;
	int			 bad;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct buf out;
	char want[64];
	json_t *d;
	int i;

	buf_init(&out, BUF_NOLIMIT);
	for (i = 0; i < 200; i++) {
		d = json_pack("{s:i,s:[i,i]}", "n", j->n, "l", i, j->n);
		buf_reset(&out);
		if (mustache_render(j->m, d, &out) < 0)
			j->bad++;
		snprintf(want, sizeof(want), "%d:%d%d.", j->n, i, j->n);
		if (strcmp(out.data, want) != 0)
			j->bad++;
		json_decref(d);
	}
	buf_release(&out);
	return NULL;
}

static void
test_threads(void **state)
{
	const char *tpl = "{{n}}:{{>p}}.";
	struct mustache_opts opts;
	struct mustache *m;
	struct job jobs[4];
	pthread_t t[4];
	json_t *parts = parse("{\"p\":\"{{#l}}{{.}}{{/l}}\"}");
	char err[256];
	int i;

	(void)state;
	memset(&opts, 0, sizeof(opts));
	opts.load = load_obj;
	opts.load_ctx = parts;
	assert_int_equal(mustache_compile(tpl, strlen(tpl), &opts, &m, err,
	    sizeof(err)), 0);
	json_decref(parts);		/* compiled in: no longer needed */
	for (i = 0; i < 4; i++) {
		jobs[i].m = m;
		jobs[i].n = i;
		jobs[i].bad = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker,
		    &jobs[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(jobs[i].bad, 0);
	}
	mustache_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interpolation),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_inverted),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_delimiters),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests_name("mustache", tests, NULL, NULL);
}
