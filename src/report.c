/*
 * report.c - `dripmail report --html`: one static page of charts, drawn as
 * inline SVG from the figures status.c counts.  The page is a Mustache
 * template, so every value is escaped; C lays out the shapes (rectangles,
 * lines, text in a viewBox) and a table of the figures beside each chart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "dripmail.h"
#include "log.h"
#include "mustache.h"
#include "report.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

/* The viewBox of a chart, and its plot area inside. */
#define VB_W		480
#define VB_H		240
#define PLOT_L		40
#define PLOT_R		(VB_W - 12)
#define PLOT_T		12
#define PLOT_B		(VB_H - 28)
#define ROW_H		28		/* a row of a horizontal chart */
#define LABEL_W		130		/* its label column */
#define LABEL_CHARS	16		/* bytes of a label that fit in it */
#define TABLE_OPEN_ROWS	12		/* a longer table starts folded */

static const char page_tpl[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<title>Report: {{course_name}}</title>\n"
    "<style>\n"
    "*{box-sizing:border-box;}\n"
    "body{font-family:Helvetica,Arial,sans-serif;max-width:60em;"
    "margin:0 auto;padding:1em;color:#222;overflow-wrap:break-word;}\n"
    "h1{font-size:1.5em;}\nh2{font-size:1.2em;margin-top:2em;}\n"
    "section{margin-bottom:1.5em;}\n"
    "svg{display:block;width:100%;height:auto;max-width:40em;}\n"
    "svg text{font-size:13px;fill:#444;}\n"
    "svg .axis{stroke:#bbb;stroke-width:1;}\n"
    "svg .launch{stroke:#a33;stroke-width:2;stroke-dasharray:6 4;}\n"
    ".c0{fill:#3b6ea5;}.c1{fill:#d08c2c;}.c2{fill:#a33;}.c3{fill:#777;}\n"
    "polyline.c0,polyline.c1{fill:none;stroke-width:2.5;}\n"
    "polyline.c0{stroke:#3b6ea5;}polyline.c1{stroke:#d08c2c;}\n"
    ".legend{margin:.3em 0;padding:0;list-style:none;font-size:90%;}\n"
    ".legend li{display:inline-block;margin-right:1em;}\n"
    ".key{display:inline-block;width:.8em;height:.8em;"
    "margin-right:.3em;}\n"
    ".key.c0{background:#3b6ea5;}.key.c1{background:#d08c2c;}"
    ".key.c2{background:#a33;}.key.c3{background:#777;}\n"
    ".note{color:#666;font-size:90%;}\n"
    "table{border-collapse:collapse;font-size:85%;margin-top:.5em;}\n"
    "th,td{text-align:left;padding:.2em .6em .2em 0;"
    "border-bottom:1px solid #eee;}\n"
    "td{text-align:right;font-variant-numeric:tabular-nums;}\n"
    ".wide{overflow-x:auto;max-width:100%;}\n"
    "summary{cursor:pointer;color:#555;font-size:90%;}\n"
    "</style>\n</head>\n<body>\n"
    "<h1>{{course_name}}</h1>\n"
    "<p class=\"note\">As of <time>{{now}}</time>. Figures are counts: "
    "no address is shown.</p>\n"
    "{{#charts}}\n"
    "<section id=\"{{id}}\">\n<h2>{{title}}</h2>\n"
    "{{#note}}<p class=\"note\">{{note}}</p>{{/note}}\n"
    "{{#svg}}<svg viewBox=\"0 0 {{w}} {{h}}\" role=\"img\" "
    "aria-label=\"{{title}}\">\n"
    "{{#lines}}<line class=\"{{cls}}\" x1=\"{{x1}}\" y1=\"{{y1}}\" "
    "x2=\"{{x2}}\" y2=\"{{y2}}\"/>\n{{/lines}}"
    "{{#rects}}<rect class=\"{{cls}}\" x=\"{{x}}\" y=\"{{y}}\" "
    "width=\"{{w}}\" height=\"{{h}}\"><title>{{tip}}</title></rect>\n"
    "{{/rects}}"
    "{{#polys}}<polyline class=\"{{cls}}\" points=\"{{points}}\"/>\n"
    "{{/polys}}"
    "{{#texts}}<text x=\"{{x}}\" y=\"{{y}}\" text-anchor=\"{{anchor}}\">"
    "{{text}}</text>\n{{/texts}}"
    "</svg>\n{{/svg}}"
    "{{#legend}}<ul class=\"legend\">{{#items}}<li><span class=\"key "
    "{{cls}}\"></span>{{label}}</li>{{/items}}</ul>{{/legend}}\n"
    "<details{{#open}} open{{/open}}><summary>Figures</summary>\n"
    "<div class=\"wide\"><table class=\"figures\" data-chart=\"{{id}}\">\n"
    "<thead><tr><th>{{first}}</th>{{#cols}}<th>{{label}}</th>{{/cols}}"
    "</tr></thead>\n<tbody>\n"
    "{{#rows}}<tr data-key=\"{{key}}\"><th>{{label}}</th>"
    "{{#cells}}<td data-name=\"{{name}}\">{{value}}</td>{{/cells}}</tr>\n"
    "{{/rows}}"
    "{{^rows}}<tr><th>none yet</th></tr>\n{{/rows}}"
    "</tbody>\n</table></div>\n</details>\n</section>\n"
    "{{/charts}}\n"
    "</body>\n</html>\n";

/* The classes that colour series 0, 1, ... (the page's style). */
static const char *const series_cls[] = { "c0", "c1", "c2", "c3" };
/* bounced, complained, unsubscribed */
static const char *const stop_cls[] = { "c1", "c2", "c3" };

/* One chart under construction: its JSON, and shortcuts into it. */
struct chart {
	json_t			*o;
	json_t			*svg;
	json_t			*rows;
	json_t			*legend;
	const char *const	*cls;	/* series_cls unless set */
};

/* A coordinate, one decimal. */
static json_t *
num(double v)
{
	char s[32];

	snprintf(s, sizeof(s), "%.1f", v);
	return json_string(s);
}

static void
chart_init(struct chart *c, const char *id, const char *title,
    const char *note, const char *first, int h)
{
	c->o = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "id", id, "title",
	    title, "first", first, "cols", "rows");
	c->legend = json_array();
	c->cls = series_cls;
	if (note)
		json_object_set_new(c->o, "note", json_string(note));
	c->svg = json_pack("{s:i, s:i, s:s, s:[], s:[], s:[], s:[]}", "w",
	    VB_W, "h", h, "title", title, "lines", "rects", "polys",
	    "texts");
	json_object_set(c->o, "svg", c->svg);
	c->rows = json_object_get(c->o, "rows");
}

/*
 * Hand the chart to charts; c is spent.  A short table shows, a long one
 * (days) is folded under its chart.
 */
static void
chart_done(struct chart *c, json_t *charts)
{
	json_object_set_new(c->o, "open", json_boolean(
	    json_array_size(c->rows) <= TABLE_OPEN_ROWS));
	if (json_array_size(c->legend))
		json_object_set_new(c->o, "legend", json_pack("{s:O}",
		    "items", c->legend));
	json_decref(c->legend);
	json_decref(c->svg);
	json_array_append_new(charts, c->o);
}

/* A column of the table; series >= 0 puts it in the legend, coloured. */
static void
chart_col(struct chart *c, const char *name, const char *label, int series)
{
	json_array_append_new(json_object_get(c->o, "cols"),
	    json_pack("{s:s, s:s}", "name", name, "label", label));
	if (series >= 0)
		json_array_append_new(c->legend, json_pack("{s:s, s:s}",
		    "cls", c->cls[series], "label", label));
}

/* A table row; returns its cells, to append chart_cell()s to. */
static json_t *
chart_row(struct chart *c, const char *key, const char *label)
{
	json_t *cells = json_array();

	json_array_append_new(c->rows, json_pack("{s:s, s:s, s:o}", "key",
	    key, "label", label, "cells", cells));
	return cells;
}

static void
chart_cell(json_t *cells, const char *name, json_t *value)
{
	json_array_append_new(cells, json_pack("{s:s, s:o}", "name", name,
	    "value", value));
}

static void
chart_rect(struct chart *c, double x, double y, double w, double h,
    const char *cls, const char *tip)
{
	json_array_append_new(json_object_get(c->svg, "rects"),
	    json_pack("{s:o, s:o, s:o, s:o, s:s, s:s}", "x", num(x), "y",
	    num(y), "w", num(w), "h", num(h), "cls", cls, "tip", tip));
}

static void
chart_text(struct chart *c, double x, double y, const char *anchor,
    const char *text)
{
	json_array_append_new(json_object_get(c->svg, "texts"),
	    json_pack("{s:o, s:o, s:s, s:s}", "x", num(x), "y", num(y),
	    "anchor", anchor, "text", text));
}

static void
chart_line(struct chart *c, double x1, double y1, double x2, double y2,
    const char *cls)
{
	json_array_append_new(json_object_get(c->svg, "lines"),
	    json_pack("{s:o, s:o, s:o, s:o, s:s}", "x1", num(x1), "y1",
	    num(y1), "x2", num(x2), "y2", num(y2), "cls", cls));
}

/* The largest sum of the k series v[s * n + i] in one category i. */
static json_int_t
stack_max(const json_int_t *v, size_t n, size_t k)
{
	json_int_t max = 0;

	for (size_t i = 0; i < n; i++) {
		json_int_t sum = 0;

		for (size_t s = 0; s < k; s++)
			sum += v[s * n + i];
		max = sum > max ? sum : max;
	}
	return max;
}

/* The top of a y axis for values up to max: 1, 2 or 5 times 10^k. */
static json_int_t
nice_max(json_int_t max)
{
	json_int_t m = 1;

	for (;;) {
		if (max <= m)
			return m;
		if (max <= 2 * m)
			return 2 * m;
		if (max <= 5 * m)
			return 5 * m;
		m *= 10;
	}
}

/* n for an axis: 950, 9500, 95k, 9.5M. */
static void
compact(json_int_t n, char *out, size_t size)
{
	if (n < 10000)
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, n);
	else if (n < 1000000)
		snprintf(out, size, "%.4gk", (double)n / 1e3);
	else
		snprintf(out, size, "%.4gM", (double)n / 1e6);
}

/* The y axis of a vertical chart up to top, with its ticks. */
static void
y_axis(struct chart *c, json_int_t top)
{
	char s[32];

	chart_line(c, PLOT_L, PLOT_B, PLOT_R, PLOT_B, "axis");
	for (int i = 1; i <= 2; i++) {
		double y = PLOT_B - (PLOT_B - PLOT_T) * i / 2.0;

		if (i == 1 && top % 2)
			continue;
		compact(top * i / 2, s, sizeof(s));
		chart_line(c, PLOT_L, y, PLOT_R, y, "axis");
		chart_text(c, PLOT_L - 6, y + 4, "end", s);
	}
	chart_text(c, PLOT_L - 6, PLOT_B + 4, "end", "0");
}

/*
 * Every so many category labels along x, so that about 7 fit, less their
 * first skip bytes ("2026-" of a day).
 */
static void
x_labels(struct chart *c, const char *const *labels, size_t n, size_t skip)
{
	size_t every = n / 7 + 1;
	double slot = (double)(PLOT_R - PLOT_L) / (double)n;

	for (size_t i = 0; i < n; i += every)
		chart_text(c, PLOT_L + slot * ((double)i + 0.5), VB_H - 8,
		    "middle", strlen(labels[i]) > skip ? labels[i] + skip :
		    labels[i]);
}

/*
 * Vertical bars, one per category, stacking k series: v[s * n + i] is
 * series s in category i; tips name the category.
 */
static void
vbars(struct chart *c, const char *const *labels, size_t skip,
    const char *const *names, size_t n, size_t k, const json_int_t *v)
{
	double slot = (double)(PLOT_R - PLOT_L) / (double)(n ? n : 1);
	json_int_t top;
	char tip[160];

	top = nice_max(stack_max(v, n, k));
	y_axis(c, top);
	for (size_t i = 0; i < n; i++) {
		double y = PLOT_B;

		for (size_t s = 0; s < k; s++) {
			double h = (double)(PLOT_B - PLOT_T) *
			    (double)v[s * n + i] / (double)top;

			if (v[s * n + i] == 0)
				continue;
			y -= h;
			snprintf(tip, sizeof(tip), "%s: %" JSON_INTEGER_FORMAT
			    " %s", labels[i], v[s * n + i], names[s]);
			chart_rect(c, PLOT_L + slot * (double)i + slot * 0.1,
			    y, slot * 0.8, h, c->cls[s], tip);
		}
	}
	x_labels(c, labels, n, skip);
}

/*
 * label, cut to fit LABEL_W ("..." at a character boundary) into out; the
 * table beside the chart has it whole.
 */
static const char *
fit_label(const char *label, char *out, size_t size)
{
	size_t n = strlen(label), max = LABEL_CHARS;

	if (n <= max || size < max + 4)
		return label;
	while (max > 0 && ((unsigned char)label[max] & 0xc0) == 0x80)
		max--;
	snprintf(out, size, "%.*s\xe2\x80\xa6", (int)max, label);
	return out;
}

/*
 * Horizontal bars, one row per category, stacking k series, the total at
 * the end of the row; of, when not 0, makes it "N (P%)".
 */
static void
hbars(struct chart *c, const char *const *labels, const char *const *names,
    size_t n, size_t k, const json_int_t *v, json_int_t of)
{
	double width = VB_W - LABEL_W - 100;
	char s[160], cut[LABEL_CHARS + 8];

	json_int_t max = stack_max(v, n, k);
	for (size_t i = 0; i < n; i++) {
		double x = LABEL_W, y = 6 + ROW_H * (double)i;
		json_int_t sum = 0;

		chart_text(c, LABEL_W - 8, y + 15, "end",
		    fit_label(labels[i], cut, sizeof(cut)));
		for (size_t j = 0; j < k; j++) {
			double w = width * (double)v[j * n + i] /
			    (double)(max ? max : 1);

			sum += v[j * n + i];
			if (v[j * n + i] == 0)
				continue;
			snprintf(s, sizeof(s), "%s: %" JSON_INTEGER_FORMAT
			    " %s", labels[i], v[j * n + i], names[j]);
			chart_rect(c, x, y, w, ROW_H - 8, c->cls[j], s);
			x += w;
		}
		compact(sum, s, sizeof(s));
		if (of > 0)
			snprintf(s + strlen(s), sizeof(s) - strlen(s),
			    " (%.0f%%)", 100.0 * (double)sum / (double)of);
		chart_text(c, x + 6, y + 15, "start", s);
	}
}

/* Polylines over n days for k running totals, and the launch's day. */
static void
growth_lines(struct chart *c, const char *const *labels, size_t skip,
    size_t n, size_t k, const json_int_t *v, long launch)
{
	double slot = (double)(PLOT_R - PLOT_L) / (double)(n ? n : 1);
	json_int_t max = 0, top;
	struct buf b;

	for (size_t i = 0; i < n * k; i++)
		max = v[i] > max ? v[i] : max;
	top = nice_max(max);
	y_axis(c, top);
	for (size_t s = 0; s < k; s++) {
		buf_init(&b, BUF_NOLIMIT);
		for (size_t i = 0; i < n; i++)
			buf_printf(&b, "%s%.1f,%.1f", i ? " " : "",
			    PLOT_L + slot * ((double)i + 0.5), PLOT_B -
			    (double)(PLOT_B - PLOT_T) * (double)v[s * n + i] /
			    (double)top);
		json_array_append_new(json_object_get(c->svg, "polys"),
		    json_pack("{s:s, s:s}", "cls", c->cls[s], "points",
		    b.data));
		buf_release(&b);
	}
	if (launch >= 0) {
		double x = PLOT_L + slot * ((double)launch + 0.5);

		chart_line(c, x, PLOT_T, x, PLOT_B, "launch");
		chart_text(c, x + 4, PLOT_T + 12, "start", "launch");
	}
	x_labels(c, labels, n, skip);
}

/* The values of key in each object of array a, into v[0..n). */
static size_t
gather(json_t *a, const char *key, json_int_t *v)
{
	json_t *o;
	size_t i;

	json_array_foreach(a, i, o)
		v[i] = json_integer_value(json_object_get(o, key));
	return json_array_size(a);
}

static void
subscribers_chart(json_t *st, json_t *charts)
{
	json_t *subs = json_object_get(st, "subscribers"), *v;
	json_t *lists = json_object_get(st, "lists");
	const char *labels[16], *name = "subscribers", *key;
	char rowkey[64];
	json_int_t n[16];
	size_t k = 0;
	struct chart c;

	chart_init(&c, "subscribers", "Subscribers", "By status, and who is "
	    "on the course or still on the waitlist.", "status",
	    6 + ROW_H * (int)(json_object_size(subs) +
	    json_object_size(lists)));
	chart_col(&c, "count", "Subscribers", -1);
	json_object_foreach(subs, key, v) {
		if (k >= ARRAY_SIZE(labels))
			break;
		labels[k] = key;
		n[k++] = json_integer_value(v);
		chart_cell(chart_row(&c, key, key), "count", json_copy(v));
	}
	json_object_foreach(lists, key, v) {
		if (k >= ARRAY_SIZE(labels))
			break;
		labels[k] = strcmp(key, "course") == 0 ? "on the course" :
		    strcmp(key, "waitlist") == 0 ? "on the waitlist" : key;
		n[k++] = json_integer_value(v);
		snprintf(rowkey, sizeof(rowkey), "list_%s", key);
		chart_cell(chart_row(&c, rowkey, labels[k - 1]), "count",
		    json_copy(v));
	}
	hbars(&c, labels, &name, k, 1, n, 0);
	chart_done(&c, charts);
}

/* "Day 2" for a lesson's id, else the id itself, into out. */
static const char *
message_label(json_t *st, const char *id, char *out, size_t size)
{
	json_t *m;
	size_t i;

	snprintf(out, size, "%s", id);
	json_array_foreach(json_object_get(st, "messages"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "id")),
		    id) == 0 && json_is_integer(json_object_get(m, "day")))
			snprintf(out, size, "Day %" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(m, "day")));
	return out;
}

static void
funnel_chart(json_t *st, json_t *charts)
{
	json_t *f = json_object_get(st, "funnel"), *o;
	size_t n = json_array_size(f), i;
	const char **labels = xcalloc(n + 1, sizeof(*labels));
	char (*text)[64] = xcalloc(n + 1, sizeof(*text));
	json_int_t *v = xcalloc(n + 1, sizeof(*v));
	const char *name = "subscribers";
	struct chart c;

	chart_init(&c, "funnel", "Course funnel", "Enrolled, then how many "
	    "received each lesson, then who received them all.", "step",
	    6 + ROW_H * (int)n);
	chart_col(&c, "count", "Subscribers", -1);
	gather(f, "count", v);
	json_array_foreach(f, i, o) {
		const char *step = json_string_value(json_object_get(o,
		    "step"));

		labels[i] = message_label(st, step, text[i], sizeof(text[i]));
		chart_cell(chart_row(&c, step, labels[i]), "count",
		    json_integer(v[i]));
	}
	hbars(&c, labels, &name, n, 1, v, n ? v[0] : 0);
	chart_done(&c, charts);
	free(labels);
	free(text);
	free(v);
}

static const char *const stop_keys[] = { "bounced", "complained",
    "unsubscribed" };
static const char *const stop_names[] = { "bounced", "complained",
    "unsubscribed" };

/* Bounces, complaints and unsubscribes by the message before them. */
static void
stops_chart(json_t *st, json_t *charts)
{
	json_t *msgs = json_object_get(st, "messages"), *m, *cells, *stop;
	size_t n = json_array_size(msgs) + 1, i, k;
	const char **labels = xcalloc(n, sizeof(*labels));
	char (*text)[64] = xcalloc(n, sizeof(*text));
	json_int_t *v = xcalloc(n * 3, sizeof(*v));
	struct chart c;

	chart_init(&c, "stops", "Bounces, complaints and unsubscribes by "
	    "message", "Each counted against the last message sent to the "
	    "subscriber, or that bounced.", "message", 6 + ROW_H * (int)n);
	c.cls = stop_cls;
	for (k = 0; k < 3; k++)
		chart_col(&c, stop_keys[k], stop_names[k], (int)k);
	for (i = 0; i < n; i++) {
		const char *id = "other";

		m = json_array_get(msgs, i);
		if (m)
			id = json_string_value(json_object_get(m, "id"));
		stop = m ? json_object_get(m, "stopped") :
		    json_object_get(st, "stopped_other");
		labels[i] = m ? message_label(st, id, text[i],
		    sizeof(text[i])) : "other";
		cells = chart_row(&c, id, labels[i]);
		for (k = 0; k < 3; k++) {
			v[k * n + i] = json_integer_value(json_object_get(stop,
			    stop_keys[k]));
			chart_cell(cells, stop_keys[k],
			    json_integer(v[k * n + i]));
		}
	}
	hbars(&c, labels, stop_names, n, 3, v, 0);
	chart_done(&c, charts);
	free(labels);
	free(text);
	free(v);
}

/*
 * A chart over the days of the series: k of them (keys), drawn as stacked
 * bars or, for running totals, lines; the table lists the days on which
 * something happened.
 */
struct day_chart {
	const char		*id;
	const char		*title;
	const char		*note;
	size_t			 k;
	const char *const	*keys;
	const char *const	*names;
	const char *const	*cls;
	int			 lines;
};

static void
days_chart(json_t *ser, const struct day_chart *d, json_t *charts)
{
	json_t *days = json_object_get(ser, "days"), *cells;
	size_t n = json_array_size(days), i, k;
	const char **labels = xcalloc(n + 1, sizeof(*labels));
	json_int_t *v = xcalloc(n * d->k + 1, sizeof(*v));
	const char *launch = json_string_value(json_object_get(ser,
	    "launch_day"));
	char first[80];
	long at = -1;
	struct chart c;

	snprintf(first, sizeof(first), "day (%s)", json_string_value(
	    json_object_get(ser, "timezone")));
	chart_init(&c, d->id, d->title, d->note, first, VB_H);
	c.cls = d->cls;
	for (k = 0; k < d->k; k++) {
		json_t *a = json_object_get(json_object_get(ser, "series"),
		    d->keys[k]);

		chart_col(&c, d->keys[k], d->names[k], (int)k);
		for (i = 0; i < n; i++)
			v[k * n + i] = json_integer_value(json_array_get(a, i));
	}
	for (i = 0; i < n; i++) {
		int changed = 0;

		labels[i] = json_string_value(json_array_get(days, i));
		if (launch && strcmp(launch, labels[i]) == 0)
			at = (long)i;
		for (k = 0; k < d->k; k++)
			changed |= d->lines ? v[k * n + i] != (i ? v[k * n +
			    i - 1] : 0) : v[k * n + i] != 0;
		if (!changed)
			continue;
		cells = chart_row(&c, labels[i], labels[i]);
		for (k = 0; k < d->k; k++)
			chart_cell(cells, d->keys[k],
			    json_integer(v[k * n + i]));
	}
	if (d->lines)
		growth_lines(&c, labels, 5, n, d->k, v, at);
	else
		vbars(&c, labels, 5, d->names, n, d->k, v);
	chart_done(&c, charts);
	free(labels);
	free(v);
}

static const char *const sent_keys[] = { "sent" };
static const char *const growth_keys[] = { "waitlist", "enrolled" };
static const char *const growth_names[] = { "joined the waitlist",
    "enrolled in the course" };

static const struct day_chart day_charts[] = {
	{ "sends", "Sends per day", "Messages sent, lessons and "
	    "notifications.", 1, sent_keys, sent_keys, series_cls, 0 },
	{ "stops_by_day", "Bounces, complaints and unsubscribes over time",
	    "Subscribers whose mail stopped, by the day it did.", 3,
	    stop_keys, stop_names, stop_cls, 0 },
	{ "growth", "Waitlist and launch", "Running totals of who joined "
	    "the waitlist and the course; the dashed line is the launch.", 2,
	    growth_keys, growth_names, series_cls, 1 },
};

/* The last runs, oldest first, with what each sent, retried, failed. */
static void
runs_chart(json_t *st, json_t *charts)
{
	static const char *const keys[] = { "sent", "retry", "failed" };
	static const char *const names[] = { "sent", "retrying", "failed" };
	json_t *runs = json_object_get(st, "runs"), *r, *cells;
	size_t n = json_array_size(runs), i, k;
	const char **labels = xcalloc(n + 1, sizeof(*labels));
	char (*text)[32] = xcalloc(n + 1, sizeof(*text));
	json_int_t *v = xcalloc(n * 3 + 1, sizeof(*v));
	struct chart c;

	chart_init(&c, "runs", "Last runs", "Each run of the cron job, the "
	    "newest on the right.", "run", VB_H);
	chart_col(&c, "started", "started", -1);
	chart_col(&c, "outcome", "outcome", -1);
	for (k = 0; k < 3; k++)
		chart_col(&c, keys[k], names[k], (int)k);
	chart_col(&c, "suppressed", "suppressed", -1);
	for (i = 0; i < n; i++) {
		json_t *out;

		r = json_array_get(runs, n - 1 - i);
		out = json_object_get(r, "outcome");
		snprintf(text[i], sizeof(text[i]), "#%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(r, "id")));
		labels[i] = text[i];
		cells = chart_row(&c, text[i] + 1, text[i]);
		chart_cell(cells, "started", json_copy(json_object_get(r,
		    "started")));
		chart_cell(cells, "outcome", json_is_string(out) ?
		    json_copy(out) : json_string("running or interrupted"));
		for (k = 0; k < 3; k++) {
			v[k * n + i] = json_integer_value(json_object_get(r,
			    keys[k]));
			chart_cell(cells, keys[k], json_integer(v[k * n + i]));
		}
		chart_cell(cells, "suppressed", json_copy(json_object_get(r,
		    "suppressed")));
	}
	vbars(&c, labels, 0, names, n, 3, v);
	chart_done(&c, charts);
	free(labels);
	free(text);
	free(v);
}

/* The page's data: the course name, the time, and every chart. */
static json_t *
page_data(struct db *db, const struct config *cfg,
    const struct course *course, time_t now)
{
	json_t *st = status_report(db, cfg, course, now, STATUS_RUNS_MAX);
	json_t *ser = status_series(db, cfg, now), *charts = json_array();
	json_t *d;

	subscribers_chart(st, charts);
	days_chart(ser, &day_charts[0], charts);
	funnel_chart(st, charts);
	stops_chart(st, charts);
	days_chart(ser, &day_charts[1], charts);
	days_chart(ser, &day_charts[2], charts);
	runs_chart(st, charts);
	d = json_pack("{s:s?, s:O, s:o}", "course_name", cfg->course_name,
	    "now", json_object_get(st, "now"), "charts", charts);
	json_decref(st);
	json_decref(ser);
	return d;
}

int
report_html(struct db *db, const struct config *cfg,
    const struct course *course, time_t now, const char *dir)
{
	struct mustache_opts o;
	struct mustache *m;
	struct buf b;
	char err[256], *path;
	json_t *d;
	int ret;

	memset(&o, 0, sizeof(o));
	o.escape_html = 1;
	if (mustache_compile(page_tpl, strlen(page_tpl), &o, &m, err,
	    sizeof(err)) < 0)
		fatalx("report template: %s", err);
	if (mkdir_p(dir, 0755) < 0) {
		mustache_free(m);
		return ERR_FAIL;
	}
	d = page_data(db, cfg, course, now);
	buf_init(&b, BUF_NOLIMIT);
	ret = mustache_render(m, d, &b);
	path = path_join(dir, "index.html");
	if (ret == 0)
		ret = write_file_atomic(path, b.data, b.len, 0644);
	free(path);
	buf_release(&b);
	json_decref(d);
	mustache_free(m);
	return ret;
}
