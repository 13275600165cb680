/*
 * report.h - `dripmail report --html DIR`: DIR/index.html, one static
 * page (no script, nothing fetched) with the figures of status.h drawn as
 * inline SVG charts, each with a table of its figures:
 *
 *	<table class="figures" data-chart="funnel">
 *	<tr data-key="day1"><th>Day 1</th><td data-name="count">12</td></tr>
 *
 * Only counts: no subscriber's address or name is on the page.
 */
#ifndef REPORT_H
#define REPORT_H

#include <time.h>

#include "render.h"

struct db;

/* Write DIR/index.html (DIR made if missing); 0 or ERR_FAIL (logged). */
int	 report_html(struct db *, const struct config *,
	    const struct course *, time_t now, const char *dir);

#endif
