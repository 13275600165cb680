/*
 * markdown.h - a lesson's Markdown, converted once with cmark into two
 * Mustache templates: HTML (for the HTML part) and readable plain text
 * (headings underlined, lists kept, links as "text (URL)", wrapped once
 * rendered: md_text_finish()).
 *
 * Mustache tags in the Markdown survive the conversion untouched: they are
 * swapped for inert placeholders before cmark sees the text and put back
 * afterwards, so {{> x}} and {{& x}} are not HTML-escaped and no tag is
 * split by line wrapping.  (Set-delimiter tags are not supported here.)
 */
#ifndef MARKDOWN_H
#define MARKDOWN_H

#include <stddef.h>

#define MD_WIDTH	72	/* text part: wrap lines at this many columns */

/*
 * Convert len bytes of Markdown.  Raw HTML is dropped unless allow_html.
 * *html and *text are allocated (free() them).  Cannot fail.
 */
void	 md_convert(const char *md, size_t len, int allow_html, char **html,
	    char **text);

/*
 * The text part once rendered: md_convert()'s text template leaves the
 * wrapping (and the headings' underlines) to be done on the rendered text,
 * so that the values filled in count.  Returns it allocated.
 */
char	*md_text_finish(const char *rendered);

#endif
