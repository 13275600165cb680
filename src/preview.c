/*
 * preview.c - the preview folder: every message rendered for one
 * recipient, its .eml as it would be sent, and an index.html listing them.
 * The index is itself a Mustache template, so every value is escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dripmail.h"
#include "log.h"
#include "mustache.h"
#include "preview.h"
#include "spam.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

static const char index_tpl[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<title>Preview: {{course_name}}</title>\n"
    "<style>\nbody{font-family:Helvetica,Arial,sans-serif;max-width:60em;"
    "margin:2em auto;padding:0 1em;color:#222;}\n"
    "table{border-collapse:collapse;width:100%;}\n"
    "th,td{text-align:left;vertical-align:top;padding:.5em;"
    "border-bottom:1px solid #ddd;}\n.pre{color:#666;font-size:90%;}\n"
    ".over{background:#fdd;}\n.rules{margin:0;padding-left:1em;"
    "font-size:85%;}\n"
    "</style>\n</head>\n<body>\n"
    "<h1>{{course_name}}</h1>\n"
    "<p>{{count}} messages for {{recipient}}.</p>\n"
    "<table>\n<thead><tr><th>When</th><th>Message</th><th>Files</th>"
    "<th>Spam score</th></tr></thead>\n<tbody>\n"
    "{{#messages}}\n"
    "<tr id=\"{{id}}\"><td>{{when}}</td>\n"
    "<td><a href=\"{{id}}.html\" class=\"subject\">{{subject}}</a>"
    "<div class=\"pre\">{{preheader}}</div></td>\n"
    "<td><a href=\"{{id}}.html\">HTML</a> &middot; "
    "<a href=\"{{id}}.txt\">text</a> &middot; "
    "<a href=\"{{id}}.eml\">.eml</a></td>\n"
    "{{#spam}}<td class=\"spam{{#over}} over{{/over}}\">"
    "<span class=\"score\">{{score}}</span>"
    "{{#over}} <strong>over {{threshold}}</strong>{{/over}}\n"
    "<ul class=\"rules\">{{#rules}}<li><span class=\"rule\">{{name}}"
    "</span> {{score}}: {{desc}}</li>{{/rules}}</ul></td>{{/spam}}\n"
    "{{^spam}}<td class=\"spam\">not checked</td>{{/spam}}</tr>\n"
    "{{/messages}}\n"
    "</tbody>\n</table>\n</body>\n</html>\n";

/* "2 days before launch", "30 minutes after launch" (allocated). */
static char *
relative(long off)
{
	long a = labs(off);

	if (off == 0)
		return xstrdup("at launch");
	if (a % 86400 == 0)
		return xasprintf("%ld day%s %s launch", a / 86400,
		    a == 86400 ? "" : "s", off < 0 ? "before" : "after");
	if (a % 3600 == 0)
		return xasprintf("%ld hour%s %s launch", a / 3600,
		    a == 3600 ? "" : "s", off < 0 ? "before" : "after");
	return xasprintf("%ld minutes %s launch", a / 60,
	    off < 0 ? "before" : "after");
}

char *
preview_when(const struct config *cfg, const struct lesson *l)
{
	char iso[32], *rel, *s;
	struct tm tm;

	if (l->kind == SEND_DAY)
		return xasprintf("Day %d, from %02d:00 local time", l->day,
		    cfg->send_hour);
	if (l->kind == SEND_ABSOLUTE) {
		time_format_iso(l->at, iso, sizeof(iso));
		return xstrdup(iso);
	}
	rel = relative(l->offset);
	if (l->at == 0 || tz_localtime(cfg->launch_tz, l->at, &tm) < 0)
		return rel;
	s = xasprintf("%s (%04d-%02d-%02d %02d:%02d %s)", rel,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, cfg->launch_tz ? cfg->launch_tz : "UTC");
	free(rel);
	return s;
}

static int
write_one(const char *dir, const char *id, const char *ext, const char *s,
    size_t len)
{
	char *name = xasprintf("%s.%s", id, ext), *path = path_join(dir, name);
	int ret = write_file_atomic(path, s, len, 0644);

	free(name);
	free(path);
	return ret;
}

/* Each lesson rendered for r as it would be sent, into eml[i]. */
static int
render_emls(const struct course *c, const struct config *cfg,
    const struct lesson *const *lessons, int n, const struct recipient *r,
    time_t date, struct buf *eml)
{
	int errors = 0;

	for (int i = 0; i < n; i++) {
		buf_init(&eml[i], BUF_NOLIMIT);
		if (render_message(c, cfg, lessons[i], r, date, 0,
		    &eml[i]) < 0)
			errors++;
	}
	return errors ? ERR_FAIL : 0;
}

static void
release_emls(struct buf *eml, int n)
{
	for (int i = 0; i < n; i++)
		buf_release(&eml[i]);
	free(eml);
}

/* Render one message into dir and describe it in index; 0 or ERR_FAIL. */
static int
preview_one(const struct course *c, const struct config *cfg,
    const struct lesson *l, const struct recipient *r, const char *dir,
    const struct buf *eml, json_t *index)
{
	struct rendered p;
	char *when;
	int ret = ERR_FAIL;

	if (render_parts(c, cfg, l, r, 0, &p) < 0)
		goto out;
	if (eml->len == 0 ||
	    write_one(dir, l->id, "html", p.html, strlen(p.html)) < 0 ||
	    write_one(dir, l->id, "txt", p.text, strlen(p.text)) < 0 ||
	    write_one(dir, l->id, "eml", eml->data, eml->len) < 0)
		goto out;
	when = preview_when(cfg, l);
	json_array_append_new(index, json_pack("{s:s, s:s, s:s, s:s}",
	    "id", l->id, "subject", p.subject, "preheader", p.preheader,
	    "when", when));
	free(when);
	ret = 0;
out:
	rendered_release(&p);
	return ret;
}

/* A score as "%.1f", without a "-0.0". */
static void
score_str(char *out, size_t outlen, double v)
{
	snprintf(out, outlen, "%.1f", v > -0.05 && v < 0.05 ? 0.0 : v);
}

static json_t *
spam_json(const struct spam_report *s, double threshold)
{
	json_t *rules = json_array();
	char buf[32];

	for (size_t i = 0; i < s->n; i++) {
		score_str(buf, sizeof(buf), s->rules[i].score);
		json_array_append_new(rules, json_pack("{s:s, s:s, s:s}",
		    "score", buf, "name", s->rules[i].name, "desc",
		    s->rules[i].desc));
	}
	score_str(buf, sizeof(buf), s->score);
	return json_pack("{s:s, s:b, s:o}", "score", buf, "over",
	    preview_spam_over(s, threshold), "rules", rules);
}

static int
write_index(const struct config *cfg, const struct recipient *r,
    json_t *messages, const char *dir)
{
	struct mustache_opts o;
	struct mustache *m;
	struct buf b;
	char err[256], thr[32];
	json_t *d;
	int ret;

	memset(&o, 0, sizeof(o));
	o.escape_html = 1;
	if (mustache_compile(index_tpl, strlen(index_tpl), &o, &m, err,
	    sizeof(err)) < 0)
		fatalx("preview index template: %s", err);
	snprintf(thr, sizeof(thr), "%.1f", cfg->spam_threshold);
	d = json_pack("{s:s, s:s, s:I, s:O, s:s}", "course_name",
	    cfg->course_name, "recipient", r->email, "count", (json_int_t)
	    json_array_size(messages), "messages", messages, "threshold", thr);
	buf_init(&b, BUF_NOLIMIT);
	ret = mustache_render(m, d, &b);
	if (ret == 0)
		ret = write_one(dir, "index", "html", b.data, b.len);
	buf_release(&b);
	json_decref(d);
	mustache_free(m);
	return ret;
}

/* Each message's score in index[i].spam; a missing filter is no error. */
static void
add_spam(const struct config *cfg, const struct buf *eml, int n,
    json_t *index)
{
	struct spam_report *s;

	if (!spam_available()) {
		log_warnx("preview: %s is not installed: no spam scores "
		    "(apt-get install spamassassin)", SPAM_PROGRAM);
		return;
	}
	if (spam_check(eml, (size_t)n, &s) < 0) {
		log_warnx("preview: no spam scores");
		return;
	}
	for (int i = 0; i < n; i++)
		json_object_set_new(json_array_get(index, (size_t)i), "spam",
		    spam_json(&s[i], cfg->spam_threshold));
	spam_reports_free(s, (size_t)n);
}

int
preview_write(const struct course *c, const struct config *cfg,
    const struct lesson *const *lessons, int n, const struct recipient *r,
    const char *dir, time_t date, int flags)
{
	json_t *index = json_array();
	struct buf *eml = xcalloc((size_t)n + 1, sizeof(*eml));
	int errors = 0;

	if (mkdir_p(dir, 0755) < 0) {
		json_decref(index);
		free(eml);
		return ERR_FAIL;
	}
	render_emls(c, cfg, lessons, n, r, date, eml);
	for (int i = 0; i < n; i++)
		if (preview_one(c, cfg, lessons[i], r, dir, &eml[i],
		    index) < 0)
			errors++;
	if (errors == 0 && (flags & PREVIEW_SPAM))
		add_spam(cfg, eml, n, index);
	if (write_index(cfg, r, index, dir) < 0)
		errors++;
	json_decref(index);
	release_emls(eml, n);
	return errors ? ERR_FAIL : 0;
}

int
preview_spam_over(const struct spam_report *s, double threshold)
{
	return s->score >= threshold;
}

int
preview_spam(const struct course *c, const struct config *cfg,
    const struct lesson *const *lessons, int n, const struct recipient *r,
    time_t date, struct spam_report **out)
{
	struct buf *eml = xcalloc((size_t)n + 1, sizeof(*eml));
	int ret;

	*out = NULL;
	ret = render_emls(c, cfg, lessons, n, r, date, eml);
	if (ret == 0)
		ret = spam_check(eml, (size_t)n, out);
	release_emls(eml, n);
	return ret;
}

void
preview_spam_print(FILE *fp, const char *id, const struct spam_report *s,
    double threshold)
{
	char score[32];

	score_str(score, sizeof(score), s->score);
	fprintf(fp, "spam: %s: %s (%s %.1f)", id, score,
	    preview_spam_over(s, threshold) ? "OVER" : "under", threshold);
	for (size_t i = 0; i < s->n; i++) {
		score_str(score, sizeof(score), s->rules[i].score);
		fprintf(fp, "%s %s %s", i ? "," : ":", s->rules[i].name,
		    score);
	}
	fputc('\n', fp);
}
