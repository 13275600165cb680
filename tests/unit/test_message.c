/*
 * test_message.c - RFC 2047 words, the MIME message, Message-IDs, and
 * hostile values that must not add or break a header.
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

#include "buf.h"
#include "config.h"
#include "dripmail.h"
#include "message.h"
#include "render.h"
#include "util.h"
#include "xmalloc.h"

struct fixture {
	char		 dir[64];
	struct config	 cfg;
	struct course	*course;
};

static void
put(const char *dir, const char *name, const char *text)
{
	char *p = path_join(dir, name);

	assert_int_equal(write_file_atomic(p, text, strlen(text), 0600), 0);
	free(p);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char cwd[512], *ini, *lessons;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/test_message.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	lessons = path_join(f->dir, "lessons");
	assert_int_equal(mkdir(lessons, 0700), 0);
	put(lessons, "day1.md", "Subject: Day 1 for {{first_name}}\n"
	    "Preheader: ten minutes\nDay: 1\n\n"
	    "Hi {{first_name}},\n\n## Today's practice\n\n"
	    "Lie down. [More]({{base_url}}/1)\n");
	put(lessons, "day2.md", "Subject: Day 2: café ☕ and a subject "
	    "long enough to need folding across more than one line of "
	    "header text\nDay: 2\n\nSecond.\n");
	put(lessons, "launch.md", "Subject: We are live\n"
	    "Send-At: launch\n\nIt starts.\n");
	put(f->dir, "secret.key", "0123456789abcdef0123456789abcdef");
	ini = xasprintf("[course]\nname = Practical Peace\nid = pp\n"
	    "from = Zoë Course <course@example.org>\n"
	    "reply_to = hello@example.org\n"
	    "postal_address = 1 Example Street\n"
	    "base_url = https://example.org/pp\n"
	    "lessons = lessons\ntemplates = %s/templates\n"
	    "[unsubscribe]\nsecret_file = secret.key\n"
	    "url = https://example.org/unsubscribe\n"
	    "mailto = unsubscribe@example.org\n", cwd);
	put(f->dir, "settings.ini", ini);
	free(ini);
	free(lessons);
	ini = path_join(f->dir, "settings.ini");
	assert_int_equal(config_load(&f->cfg, ini), 0);
	free(ini);
	assert_int_equal(course_load(&f->cfg, &f->course), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	course_free(f->course);
	config_free(&f->cfg);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

/* The header block of a message (allocated). */
static char *
header_of(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");

	assert_non_null(end);
	return xstrndup(msg, (size_t)(end - msg) + 2);
}

/* Number of header fields named name (at line starts). */
static int
count_field(const char *head, const char *name)
{
	size_t n = strlen(name);
	int k = 0;

	for (const char *p = head; p; p = strstr(p, "\r\n")) {
		if (p != head)
			p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			k++;
		if (*p == '\0')
			break;
	}
	return k;
}

static void
test_encode_words(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, BUF_NOLIMIT);
	assert_int_equal(message_encode_words("Plain subject", 0, &b), 0);
	assert_string_equal(b.data, "Plain subject");
	buf_reset(&b);
	assert_int_equal(message_encode_words("Zoë", 1, &b), 0);
	assert_string_equal(b.data, "=?UTF-8?Q?Zo=C3=AB?=");
	buf_reset(&b);
	assert_int_equal(message_encode_words("a=?b", 0, &b), 0);
	assert_string_equal(b.data, "=?UTF-8?Q?a=3D=3Fb?=");
	buf_reset(&b);
	assert_int_equal(message_encode_words("Eve\r\nBcc: x@evil.example",
	    1, &b), ERR_FAIL);
	assert_int_equal(message_encode_words("caf\xe9", 0, &b), ERR_FAIL);
	buf_reset(&b);
	/* Long text: several words, none over 75 characters. */
	assert_int_equal(message_encode_words("ééééééééééééééééééééééééééééé"
	    "éééééééééééééééééééééééééééééé", 0, &b), 0);
	for (char *w = b.data; *w; w += strcspn(w, " ") + (w[strcspn(w,
	    " ")] != 0))
		assert_true(strcspn(w, " ") <= 75);
	assert_non_null(strchr(b.data, ' '));
	buf_release(&b);
}

/*
 * 2026-12-02 regress: long To: names (specials, non-ASCII, one long word)
 * failed the header every day.  Each builds, with no header line over 78.
 */
static void
test_build_long_names(void **state)
{
	struct message m;
	struct buf name, b;
	const char *piece[] = { "x\"<>,;@()", "\xc3\xb1", "A", "Wolfe " };
	int times[] = { 60, 2000, 900, 40 };

	(void)state;
	for (size_t i = 0; i < sizeof(piece) / sizeof(piece[0]); i++) {
		buf_init(&name, BUF_NOLIMIT);
		for (int k = 0; k < times[i]; k++)
			buf_addstr(&name, piece[i]);
		memset(&m, 0, sizeof(m));
		m.from_addr = "course@example.org";
		m.to_name = name.data;
		m.to_addr = "a@example.org";
		m.subject = "Hi";
		m.message_id = "x.1.day1@example.org";
		m.text = "t\n";
		m.html = "<p>t</p>\n";
		m.boundary = "=_b";
		buf_init(&b, BUF_NOLIMIT);
		assert_int_equal(message_build(&m, &b), 0);
		for (char *l = b.data; *l; l += strcspn(l, "\n") + 1)
			assert_true(strcspn(l, "\n") <= 79);
		buf_release(&b);
		buf_release(&name);
	}
}

static void
test_build_refuses_injection(void **state)
{
	struct message m;
	struct buf b;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.from_addr = "course@example.org";
	m.to_addr = "a@example.org\r\nBcc: x@evil.example";
	m.subject = "Hi";
	m.message_id = "x.1.day1@example.org";
	m.text = "t\n";
	m.html = "<p>t</p>\n";
	m.boundary = "=_b";
	buf_init(&b, BUF_NOLIMIT);
	assert_int_equal(message_build(&m, &b), ERR_FAIL);
	m.to_addr = "a@example.org";
	m.subject = "Hi\nBcc: x@evil.example";
	assert_int_equal(message_build(&m, &b), ERR_FAIL);
	m.subject = "Hi";
	m.to_name = "Eve\rBcc: x@evil.example";
	assert_int_equal(message_build(&m, &b), ERR_FAIL);
	m.to_name = NULL;
	m.list_unsubscribe = "<https://x>\r\nBcc: x@evil.example";
	assert_int_equal(message_build(&m, &b), ERR_FAIL);
	m.list_unsubscribe = NULL;
	m.feedback_id = "day1:c:lesson:s\r\nBcc: x@evil.example";
	assert_int_equal(message_build(&m, &b), ERR_FAIL);
	assert_int_equal(b.len, 0);
	m.feedback_id = "day1:c:lesson:s";
	assert_int_equal(message_build(&m, &b), 0);
	assert_int_equal(count_field(b.data, "Bcc"), 0);
	assert_int_equal(count_field(b.data, "Feedback-ID"), 1);
	assert_non_null(strstr(b.data, "\r\nFeedback-ID: day1:c:lesson:s\r\n"));
	buf_release(&b);
}

static void
test_render_message(void **state)
{
	struct fixture *f = *state;
	struct recipient r = { 42, "zoe@example.org", "Zoë", NULL, NULL, 0, 0 };
	struct buf b;
	char *head, mid[256];
	const char *text;

	buf_init(&b, BUF_NOLIMIT);
	assert_int_equal(course_ndays(f->course), 2);
	assert_int_equal(course_nnotices(f->course), 1);
	assert_non_null(course_find(f->course, "launch"));
	assert_int_equal(render_message(f->course, &f->cfg,
	    course_day(f->course, 1), &r, 1796115600, 0, &b), 0);
	head = header_of(b.data);
	assert_non_null(strstr(head, "From: =?UTF-8?Q?Zo=C3=AB_Course?= "
	    "<course@example.org>\r\n"));
	assert_non_null(strstr(head, "To: =?UTF-8?Q?Zo=C3=AB?= "
	    "<zoe@example.org>\r\n"));
	assert_non_null(strstr(head, "Subject: =?UTF-8?Q?Day_1_for_Zo=C3=AB?="
	    "\r\n"));
	assert_non_null(strstr(head, "Reply-To: hello@example.org\r\n"));
	assert_non_null(strstr(head, "Date: Tue, 1 Dec 2026 09:00:00 +0000"));
	assert_non_null(strstr(head, "List-Id: Practical Peace "
	    "<pp.example.org>"));
	assert_non_null(strstr(head, "<https://example.org/unsubscribe?t="));
	assert_non_null(strstr(head, "<mailto:unsubscribe@example.org?"
	    "subject=unsubscribe%20"));
	assert_non_null(strstr(head, "List-Unsubscribe-Post: "
	    "List-Unsubscribe=One-Click\r\n"));
	assert_non_null(strstr(head, "MIME-Version: 1.0\r\n"));
	render_message_id(f->course, &f->cfg, 42, "day1", 0, mid, sizeof(mid));
	assert_non_null(strstr(head, mid));
	assert_non_null(strstr(mid, ".42.day1@example.org>"));
	free(head);
	/* text/plain comes before text/html, both QP UTF-8. */
	text = strstr(b.data, "Content-Type: text/plain; charset=\"UTF-8\"");
	assert_non_null(text);
	assert_true(text < strstr(b.data, "Content-Type: text/html"));
	assert_non_null(strstr(text, "quoted-printable"));
	assert_non_null(strstr(b.data, "Hi Zo=C3=AB,"));
	for (const char *p = b.data; *p; p = strchr(p, '\n') + 1) {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		assert_true(nl > p && nl[-1] == '\r');
		assert_true(nl - p <= 999);
	}
	buf_release(&b);
}

static void
test_message_id_stable(void **state)
{
	struct fixture *f = *state;
	char a[256], b[256], c[256], d[256];

	render_message_id(f->course, &f->cfg, 7, "day3", 0, a, sizeof(a));
	render_message_id(f->course, &f->cfg, 7, "day3", 0, b, sizeof(b));
	render_message_id(f->course, &f->cfg, 8, "day3", 0, c, sizeof(c));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_true(a[0] == '<' && a[strlen(a) - 1] == '>');
	assert_non_null(strstr(a, ".7.day3@example.org>"));
	/* A resend's copy: another ID, its hash differs too. */
	render_message_id(f->course, &f->cfg, 7, "day3", 2, d, sizeof(d));
	assert_non_null(strstr(d, ".7.day3.c2@example.org>"));
	assert_true(strncmp(a, d, 17) != 0);
}

static void
test_hostile_recipient(void **state)
{
	struct fixture *f = *state;
	struct recipient r = { 5, "eve@example.org",
	    "Eve\r\nBcc: x@evil.example", NULL, NULL, 0, 0 };
	struct buf b;
	char *head;

	buf_init(&b, BUF_NOLIMIT);
	/* The subject holds {{first_name}}: refused, nothing written. */
	assert_int_equal(render_message(f->course, &f->cfg,
	    course_day(f->course, 1), &r, 0, 0, &b), ERR_FAIL);
	assert_int_equal(b.len, 0);
	/* Day 2's subject does not: the name stays out of To. */
	assert_int_equal(render_message(f->course, &f->cfg,
	    course_day(f->course, 2), &r, 0, MSG_TEST, &b), 0);
	head = header_of(b.data);
	assert_int_equal(count_field(head, "Bcc"), 0);
	assert_non_null(strstr(head, "To: eve@example.org\r\n"));
	if (strstr(head, "=?UTF-8?Q?=5BTEST=5D_Day_2") == NULL)
		fail_msg("%s", head);
	/* Long subjects are folded, one encoded word per line at most. */
	assert_non_null(strstr(head, "?=\r\n =?UTF-8?Q?"));
	free(head);
	buf_reset(&b);
	r.first_name = NULL;
	r.email = "eve@example.org\r\nBcc: x@evil.example";
	assert_int_equal(render_message(f->course, &f->cfg,
	    course_day(f->course, 2), &r, 0, 0, &b), ERR_FAIL);
	buf_release(&b);
}

struct job {
	struct fixture	*f;
	const char	*want;
	int		 bad;
};

static void *
render_many(void *arg)
{
	struct job *j = arg;
	struct recipient r = { 42, "zoe@example.org", "Zoë", NULL, NULL, 0, 0 };
	struct buf b;

	buf_init(&b, BUF_NOLIMIT);
	for (int i = 0; i < 25; i++) {
		buf_reset(&b);
		if (render_message(j->f->course, &j->f->cfg,
		    course_day(j->f->course, 1), &r, 1796115600, 0, &b) < 0 ||
		    strcmp(b.data, j->want) != 0)
			j->bad++;
	}
	buf_release(&b);
	return NULL;
}

/* One course, four threads rendering at once: the same bytes each time. */
static void
test_threads(void **state)
{
	struct fixture *f = *state;
	struct recipient r = { 42, "zoe@example.org", "Zoë", NULL, NULL, 0, 0 };
	struct job jobs[4];
	pthread_t t[4];
	struct buf want;

	buf_init(&want, BUF_NOLIMIT);
	assert_int_equal(render_message(f->course, &f->cfg,
	    course_day(f->course, 1), &r, 1796115600, 0, &want), 0);
	for (int i = 0; i < 4; i++) {
		jobs[i].f = f;
		jobs[i].want = want.data;
		jobs[i].bad = 0;
		assert_int_equal(pthread_create(&t[i], NULL, render_many,
		    &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(jobs[i].bad, 0);
	}
	buf_release(&want);
}

/* Quoted-printable: what is escaped, line lengths, soft breaks. */
static void
qp(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b, BUF_NOLIMIT);
	assert_int_equal(message_qp_encode(in, strlen(in), &b), 0);
	assert_int_equal(buf_add(&b, "", 1), 0);
	assert_string_equal(b.data, want);
	buf_release(&b);
}

/* Decode quoted-printable (CRLF lines) back; -1 on a malformed escape. */
static int
qp_decode(const char *in, char *out)
{
	size_t o = 0;

	for (const char *p = in; *p; p++) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n')
			p += 2;
		else if (p[0] == '=') {
			unsigned int v;

			if (sscanf(p + 1, "%2X", &v) != 1 || !p[1] || !p[2])
				return -1;
			out[o++] = (char)v;
			p += 2;
		} else if (p[0] == '\r' && p[1] == '\n') {
			out[o++] = '\n';
			p++;
		} else
			out[o++] = *p;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Random text made of the characters that matter: every output line fits,
 * none starts with '.' or "From ", none ends in a blank, and decoding gives
 * the input back.
 */
static void
test_qp_random(void **state)
{
	static const char *const atoms[] = { "a", "b", " ", "\t", ".", "=",
	    "From ", "F", "\n", "\r\n", "\r", "\xc3\xbc", "\x7f", "\x01",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" };
	char in[2048], want[2048], *got;
	struct buf b;

	(void)state;
	srand(7);
	for (int round = 0; round < 2000; round++) {
		size_t n = 0;

		while (n < 1500) {
			const char *a = atoms[rand() % (int)(sizeof(atoms) /
			    sizeof(atoms[0]))];

			memcpy(in + n, a, strlen(a));
			n += strlen(a);
		}
		in[n] = '\0';
		buf_init(&b, BUF_NOLIMIT);
		assert_int_equal(message_qp_encode(in, n, &b), 0);
		for (char *line = b.data, *e; *line; line = e + 2) {
			if ((e = strstr(line, "\r\n")) == NULL)
				e = line + strlen(line);
			assert_true(e - line <= MESSAGE_QP_LINE);
			assert_true(line[0] != '.');
			assert_true(strncmp(line, "From ", 5) != 0);
			if (e > line)
				assert_true(e[-1] != ' ' && e[-1] != '\t');
			if (*e == '\0')
				break;
		}
		got = xmalloc(b.len + 1);
		assert_int_equal(qp_decode(b.data, got), 0);
		/* The input with CRLF as LF, as the decoder gives it. */
		n = 0;
		for (const char *p = in; *p; p++)
			if (!(p[0] == '\r' && p[1] == '\n'))
				want[n++] = *p;
		want[n] = '\0';
		assert_string_equal(got, want);
		free(got);
		buf_release(&b);
	}
}

static void
test_qp_encode(void **state)
{
	struct buf b;
	char long_in[400], *p, *line;
	size_t n;

	(void)state;
	qp("plain text\n", "plain text\r\n");
	qp("a=b\r\nc", "a=3Db\r\nc");
	qp("J\xc3\xbcrgen", "J=C3=BCrgen");
	qp("-- \nsig\n", "--=20\r\nsig\r\n");
	qp("tabs\t\t\r\n", "tabs\t=09\r\n");
	qp("end ", "end=20");
	qp("From here\nnot From\n", "=46rom here\r\nnot From\r\n");
	qp(".\n..x\n", "=2E\r\n=2E.x\r\n");
	qp("bare\rcr", "bare=0Dcr");
	qp("", "");
	/* A '.' that a soft break puts first on its line is encoded too. */
	memset(long_in, 'a', 75);
	strcpy(long_in + 75, ".b");
	qp(long_in, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaa=\r\n=2Eb");
	/* 400 characters, some encoded: every line within 76, soft breaks
	 * only, and the decoded text is the input. */
	for (n = 0; n < sizeof(long_in) - 1; n++)
		long_in[n] = n % 7 == 0 ? '=' : 'a' + (char)(n % 26);
	long_in[n] = '\0';
	buf_init(&b, BUF_NOLIMIT);
	assert_int_equal(message_qp_encode(long_in, strlen(long_in), &b), 0);
	assert_int_equal(buf_add(&b, "", 1), 0);
	n = 0;
	for (line = b.data; (p = strstr(line, "\r\n")) != NULL;
	    line = p + 2) {
		assert_true(p - line <= MESSAGE_QP_LINE);
		assert_int_equal(p[-1], '=');
	}
	assert_true(strlen(line) <= MESSAGE_QP_LINE);
	for (p = b.data; *p; p++) {
		if (p[0] == '=' && p[1] == '\r')
			p += 2;
		else if (p[0] == '=') {
			assert_true(p[1] == '3' && p[2] == 'D');
			assert_int_equal(long_in[n++], '=');
			p += 2;
		} else
			assert_int_equal(long_in[n++], *p);
	}
	assert_int_equal(n, strlen(long_in));
	buf_release(&b);
}

/* Display names as RFC 5322 phrases: atoms, quoted-string, encoded. */
static void
test_phrase(void **state)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "Practical Peace", "Practical Peace" },
		{ "Practical Peace: 5-Day Reset",
		    "\"Practical Peace: 5-Day Reset\"" },
		{ "A. B. Smith", "\"A. B. Smith\"" },
		{ "x <y>", "\"x <y>\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "back\\slash,", "\"back\\\\slash,\"" },
		{ "a=?b", "=?UTF-8?Q?a=3D=3Fb?=" },
		{ "Zoë: calm", "=?UTF-8?Q?Zo=C3=AB=3A_calm?=" },
		{ "it's #1 {ok}", "it's #1 {ok}" },
		{ "line\r\nBcc: x", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b;

		buf_init(&b, 4096);
		if (t[i].out == NULL)
			assert_int_equal(message_phrase(t[i].in, &b), ERR_FAIL);
		else {
			assert_int_equal(message_phrase(t[i].in, &b), 0);
			assert_string_equal(b.data, t[i].out);
		}
		buf_release(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_words),
		cmocka_unit_test(test_phrase),
		cmocka_unit_test(test_build_refuses_injection),
		cmocka_unit_test(test_build_long_names),
		cmocka_unit_test(test_render_message),
		cmocka_unit_test(test_message_id_stable),
		cmocka_unit_test(test_hostile_recipient),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_qp_encode),
		cmocka_unit_test(test_qp_random),
	};

	return cmocka_run_group_tests_name("message", tests, setup, teardown);
}
