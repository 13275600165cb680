/*
 * test_lesson.c - lesson headers, Send-At, and Markdown to HTML and text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dripmail.h"
#include "lesson.h"
#include "buf.h"
#include "markdown.h"

static int
parse(const char *text, struct lesson_file *lf)
{
	return lesson_parse(lf, "lessons/day1.md", text, strlen(text),
	    1796115600);	/* 2026-12-01T09:00:00Z */
}

static void
test_good_lesson(void **state)
{
	struct lesson_file lf;

	(void)state;
	assert_int_equal(parse("Subject: Day 1: hello {{first_name}}\n"
	    "Preheader: ten minutes\r\nDay: 1\n\nHi *there*.\n", &lf), 0);
	assert_string_equal(lf.l.id, "day1");
	assert_string_equal(lf.l.subject, "Day 1: hello {{first_name}}");
	assert_string_equal(lf.l.preheader, "ten minutes");
	assert_int_equal(lf.l.kind, SEND_DAY);
	assert_int_equal(lf.l.day, 1);
	assert_int_equal(lf.body_line, 5);
	assert_string_equal(lf.body, "Hi *there*.\n");
	lesson_file_release(&lf);
}

static void
test_send_at(void **state)
{
	struct lesson_file lf;
	long off;

	(void)state;
	assert_int_equal(parse("Subject: soon\nSend-At: launch-2d\n\nx\n", &lf),
	    0);
	assert_int_equal(lf.l.kind, SEND_LAUNCH_REL);
	assert_int_equal(lf.l.offset, -2 * 86400);
	assert_int_equal((long long)lf.l.at, 1796115600LL - 2 * 86400);
	lesson_file_release(&lf);
	assert_int_equal(parse("Subject: t\nSend-At: 2026-12-01T10:00+01:00\n"
	    "\nx\n", &lf), 0);
	assert_int_equal(lf.l.kind, SEND_ABSOLUTE);
	assert_int_equal((long long)lf.l.at, 1796115600LL);
	lesson_file_release(&lf);
	assert_int_equal(lesson_parse_launch_offset("launch", &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(lesson_parse_launch_offset("launch+3h", &off), 0);
	assert_int_equal(off, 3 * 3600);
	assert_int_equal(lesson_parse_launch_offset("launch-30m", &off), 0);
	assert_int_equal(off, -1800);
	assert_int_equal(lesson_parse_launch_offset("launch-2x", &off),
	    ERR_FAIL);
	assert_int_equal(lesson_parse_launch_offset("launch2d", &off),
	    ERR_FAIL);
	/* An absolute time without a zone is refused. */
	assert_int_equal(parse("Subject: t\nSend-At: 2026-12-01T10:00\n\nx\n",
	    &lf), ERR_FAIL);
	lesson_file_release(&lf);
}

static void
test_bad_headers(void **state)
{
	static const struct {
		const char	*text;
		int		 errors;
	} cases[] = {
		{ "Preheader: p\nDay: 1\n\nx\n", 1 },		/* no subject */
		{ "Subject: s\n\nx\n", 1 },			/* no day */
		{ "Subject: s\nDay: 1\nSend-At: launch\n\nx\n", 1 },
		{ "Subject: s\nDay: 0\n\nx\n", 1 },
		{ "Subject: s\nDay: two\n\nx\n", 1 },
		{ "Subject: s\nDay: 1\nColour: red\n\nx\n", 1 },
		{ "Subject: s\nDay: 1\njust text\n\nx\n", 1 },
		/* A refused subject is also a missing one. */
		{ "Subject: s\rBcc: x@evil.example\nDay: 1\n\nx\n", 2 },
		{ "Subject: s\tx\nDay: 1\n\nx\n", 2 },
		{ "Subject: s\nSubject: t\nDay: 1\n\nx\n", 1 },
		{ "Subject: s\nDay: 1\n", 1 },			/* no body */
		{ "Day: 1\nBogus: 2\nSend-At: launch\n\nx\n", 3 },
		{ "Subject: caf\xe9\nDay: 1\n\nx\n", 1 },	/* Latin-1 */
	};
	struct lesson_file lf;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &lf), ERR_FAIL);
		if (lf.errors != cases[i].errors)
			fail_msg("case %zu: %d errors, expected %d", i,
			    lf.errors, cases[i].errors);
		lesson_file_release(&lf);
	}
}

static void
test_ids(void **state)
{
	char *id;

	(void)state;
	id = lesson_id_from_path("/x/lessons/launch-2d.md");
	assert_string_equal(id, "launch-2d");
	assert_true(lesson_id_valid(id));
	free(id);
	assert_null(lesson_id_from_path("lessons/README.txt"));
	assert_false(lesson_id_valid("day 1"));
	assert_false(lesson_id_valid("a<b>"));
	assert_false(lesson_id_valid(""));
}

static void
test_markdown_tags_survive(void **state)
{
	const char *md = "# Hello {{first_name}}\n\n"
	    "Read [the page]({{base_url}}/day1) & {{> part}} {{& raw}} "
	    "{{{triple}}} {{#a}}x{{/a}}.\n";
	char *html, *text, *raw;

	(void)state;
	md_convert(md, strlen(md), 0, &html, &raw);
	text = md_text_finish(raw);
	free(raw);
	assert_non_null(strstr(html, "Hello {{first_name}}</h1>"));
	assert_non_null(strstr(html, "href=\"{{base_url}}/day1\""));
	assert_non_null(strstr(html, "&amp; {{> part}} {{& raw}} "
	    "{{{triple}}} {{#a}}x{{/a}}."));
	assert_non_null(strstr(text, "Hello {{first_name}}\n"
	    "====================\n"));
	assert_non_null(strstr(text, "the page ({{base_url}}/day1) & "
	    "{{> part}}"));
	free(html);
	free(text);
}

static void
test_markdown_text(void **state)
{
	const char *md = "## Today's practice\n\n"
	    "1. Lie down.\n2. Breathe **slowly**.\n\n"
	    "- one\n- two\n\n"
	    "> quoted\n\n"
	    "A very long paragraph that goes on and on so that it has to be "
	    "wrapped somewhere before the seventy-second column of the line.\n"
	    "\n<b>raw</b> and <https://example.org/x> and "
	    "<hello@example.org>\n";
	char *html, *text, *raw;
	const char *p;

	(void)state;
	md_convert(md, strlen(md), 0, &html, &raw);
	text = md_text_finish(raw);
	free(raw);
	assert_non_null(strstr(text, "Today's practice\n----------------\n"));
	assert_non_null(strstr(text, "1. Lie down.\n2. Breathe *slowly*.\n"));
	assert_non_null(strstr(text, "- one\n- two\n"));
	assert_non_null(strstr(text, "> quoted\n"));
	assert_non_null(strstr(text, "raw and https://example.org/x and "
	    "hello@example.org"));
	assert_null(strstr(text, "<b>"));
	assert_null(strstr(html, "<b>"));	/* safe mode */
	for (p = text; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
		assert_true(strcspn(p, "\n") <= MD_WIDTH);
	free(html);
	free(text);
	md_convert("<b>raw</b>\n", 11, 1, &html, &text);
	assert_non_null(strstr(html, "<b>raw</b>"));
	free(html);
	free(text);
}

/*
 * 2026-12-02 regress: text ending in \x01\x02 (the underline marker) made
 * underline() read past its buffer; in the middle it drew a rule.
 */
static void
test_markdown_marker_bytes(void **state)
{
	static const struct {
		const char	*md, *text;
	} t[] = {
		{ "# T\n\nText\x01\x02", "T\n=\n\nText\x02" },
		{ "# T\n\nText\x01\x02=more", "T\n=\n\nText\x02=more" },
		{ "# T\x01\x02-\n", "T\x02-\n===" },
		{ "\x01", "" },
	};
	char *html, *text, *fin;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		md_convert(t[i].md, strlen(t[i].md), 0, &html, &text);
		fin = md_text_finish(text);
		assert_string_equal(fin, t[i].text);
		free(html);
		free(text);
		free(fin);
	}
}

/* Control characters in a lesson are refused, naming the line. */
static void
test_control_characters(void **state)
{
	static const struct {
		const char	*text;
		int		 ok;
	} t[] = {
		{ "Subject: s\nDay: 1\n\nText\x01\x02", 0 },
		{ "Subject: s\nDay: 1\n\nA\n\x1b[31mred\n", 0 },
		{ "Subject: s\nDay: 1\n\nA \x7f\n", 0 },
		{ "Subject: s\nDay: 1\n\nC1 \xc2\x85 NEL\n", 0 },
		{ "Subject: s\nDay: 1\n\nTab\tCRLF\r\n\xc2\xa0 ok\n", 1 },
	};
	struct lesson_file lf;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse(t[i].text, &lf), t[i].ok ? 0 : ERR_FAIL);
		lesson_file_release(&lf);
	}
}

/* The text template, rendered, then wrapped: the values count. */
static void
test_text_finish(void **state)
{
	static const struct {
		const char	*md, *value, *want;
	} t[] = {
		/* a value that makes the line too long is wrapped */
		{ "Welcome to {{v}}. For the next five days you will get one.\n",
		    "Practical Peace: 5-Day Nervous System Reset",
		    "Welcome to Practical Peace: 5-Day Nervous System Reset. For "
		    "the next\nfive days you will get one." },
		/* a short value leaves room: one line */
		{ "Hi {{v}}, this is a line of some fifty-odd columns.\n", "Al",
		    "Hi Al, this is a line of some fifty-odd columns." },
		/* headings are underlined as wide as the rendered text */
		{ "## Day {{v}}\n", "one and two",
		    "Day one and two\n---------------" },
		/* list items and quotes keep their prefixes */
		{ "- {{v}} {{v}} {{v}}\n", "abcdefghij abcdefghij abcdefghij",
		    "- abcdefghij abcdefghij abcdefghij abcdefghij abcdefghij "
		    "abcdefghij\n  abcdefghij abcdefghij abcdefghij" },
		{ "> {{v}}\n", "a\nb", "> a\n> b" },
		/* a value with a marker's bytes cannot break the layout */
		{ "x {{v}} y\n", "\x01\x05\x01\x03", "x\ny" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *html, *tpl, *out;
		struct buf r;
		const char *s, *v;

		md_convert(t[i].md, strlen(t[i].md), 0, &html, &tpl);
		/* render: {{v}} is the only tag */
		buf_init(&r, BUF_NOLIMIT);
		for (s = tpl; (v = strstr(s, "{{v}}")) != NULL; s = v + 5) {
			buf_add(&r, s, (size_t)(v - s));
			buf_addstr(&r, t[i].value);
		}
		buf_addstr(&r, s);
		out = md_text_finish(r.data);
		assert_string_equal(out, t[i].want);
		free(out);
		buf_release(&r);
		free(html);
		free(tpl);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lesson),
		cmocka_unit_test(test_send_at),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_markdown_tags_survive),
		cmocka_unit_test(test_markdown_text),
		cmocka_unit_test(test_markdown_marker_bytes),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_text_finish),
	};

	return cmocka_run_group_tests_name("lesson", tests, NULL, NULL);
}
