/*
 * spec_runner.c - run the official Mustache specification's JSON files
 * (given on the command line; they stay outside this repository) through
 * the engine.  Prints each failure, then "N passed, N failed"; exits 1 on
 * any failure.
 *
 *	make spec MUSTACHE_SPEC=../shared/mustache-spec
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "dripmail.h"
#include "mustache.h"
#include "xmalloc.h"

/* load(): partials come from the test's "partials" object. */
static char *
load_json(void *ctx, const char *name, size_t *len)
{
	json_t *partials = ctx, *p;

	p = json_object_get(partials, name);
	if (!json_is_string(p))
		return NULL;
	*len = json_string_length(p);
	return xstrndup(json_string_value(p), *len);
}

static void
show(const char *label, const char *s)
{
	fprintf(stderr, "#   %-9s '", label);
	for (; *s != '\0'; s++)
		if (*s == '\n')
			fputs("\\n", stderr);
		else if (*s == '\r')
			fputs("\\r", stderr);
		else
			fputc(*s, stderr);
	fputs("'\n", stderr);
}

/* 1 when the test passes. */
static int
run_test(const char *file, json_t *test)
{
	const char *name = json_string_value(json_object_get(test, "name"));
	const char *tpl = json_string_value(json_object_get(test,
	    "template"));
	const char *want = json_string_value(json_object_get(test,
	    "expected"));
	struct mustache_opts opts;
	struct mustache *m = NULL;
	struct buf out;
	char err[512];
	int ok = 0;

	if (name == NULL || tpl == NULL || want == NULL) {
		fprintf(stderr, "%s: a test lacks name, template or "
		    "expected\n", file);
		return 0;
	}
	memset(&opts, 0, sizeof(opts));
	opts.escape_html = 1;
	opts.load = load_json;
	opts.load_ctx = json_object_get(test, "partials");
	buf_init(&out, BUF_NOLIMIT);
	if (mustache_compile(tpl, strlen(tpl), &opts, &m, err,
	    sizeof(err)) < 0)
		fprintf(stderr, "not ok - %s: %s: compile: %s\n", file, name,
		    err);
	else if (mustache_render(m, json_object_get(test, "data"), &out) < 0)
		fprintf(stderr, "not ok - %s: %s: render failed\n", file,
		    name);
	else if (out.len != strlen(want) || memcmp(out.data, want,
	    out.len) != 0) {
		fprintf(stderr, "not ok - %s: %s\n", file, name);
		show("template", tpl);
		show("expected", want);
		show("got", out.data);
	} else
		ok = 1;
	mustache_free(m);
	buf_release(&out);
	return ok;
}

int
main(int argc, char **argv)
{
	json_error_t jerr;
	json_t *root, *tests, *test;
	int passed = 0, failed = 0, i;
	size_t k;

	if (argc < 2) {
		fprintf(stderr, "usage: spec-runner FILE.json...\n");
		return EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		root = json_load_file(argv[i], 0, &jerr);
		tests = json_object_get(root, "tests");
		if (!json_is_array(tests)) {
			fprintf(stderr, "%s:%d:%d: %s\n", argv[i], jerr.line,
			    jerr.column, root ? "no \"tests\" array" :
			    jerr.text);
			json_decref(root);
			failed++;
			continue;
		}
		json_array_foreach(tests, k, test) {
			if (run_test(argv[i], test))
				passed++;
			else
				failed++;
		}
		json_decref(root);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
