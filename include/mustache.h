/*
 * mustache.h - the Mustache template engine (the whole specification:
 * interpolation, sections, inverted, comments, set delimiters, partials and
 * ~inheritance: blocks and parents).
 *
 * Data is a jansson value (normally an object).  A template is compiled once
 * and rendered many times; a compiled template is immutable, so one may be
 * rendered from several threads at once with different data.
 *
 *	struct mustache *m;
 *	char err[256];
 *	if (mustache_compile(text, len, &opts, &m, err, sizeof(err)) < 0)
 *		log_warnx("%s:%s", path, err);		err: "3: unclosed section 'x'"
 *	mustache_render(m, data, &out);			appends to out
 *	mustache_free(m);
 */
#ifndef MUSTACHE_H
#define MUSTACHE_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

struct mustache;

/* Limits (compile errors, or ERR_FAIL from render when exceeded). */
#define MUSTACHE_MAX_NEST	64	/* sections open at once, one template */
#define MUSTACHE_MAX_DEPTH	100	/* render nesting: sections, partials */
#define MUSTACHE_MAX_PARTIALS	256	/* distinct partials per template */
#define MUSTACHE_MAX_FILE	(1 << 20) /* bytes of one partial file */
#define MUSTACHE_MAX_DELIM	16	/* bytes of a {{=<% %>=}} delimiter */

/*
 * Partials ({{> name}}) and parents ({{< name}}) are looked up through
 * load(), which returns the partial's text, allocated (the engine frees it),
 * or NULL when there is none (which renders as empty, as the spec says).
 * Called at compile time for static names; the results are kept in the
 * compiled template.
 */
struct mustache_opts {
	int	  escape_html;		/* {{x}} escapes & < > " (HTML); 0 for text */
	char	*(*load)(void *ctx, const char *name, size_t *len);
	void	 *load_ctx;
	/*
	 * Called during render for each variable or section name that
	 * resolves to nothing (a typo such as {{frist_name}}); partial is
	 * the name of the partial or parent the tag is in (NULL: the main
	 * template) and line the tag's line in it.  Optional.
	 */
	void	 (*missing)(void *ctx, const char *name, const char *partial,
		    int line);
	void	 *missing_ctx;
};

/* 0, or ERR_FAIL with "LINE: reason" in err. */
int	 mustache_compile(const char *text, size_t len,
	    const struct mustache_opts *opts, struct mustache **out,
	    char *err, size_t errlen);
/*
 * Append the rendering to out.  0, or ERR_FAIL when out's cap is hit (not
 * logged) or rendering nests deeper than MUSTACHE_MAX_DEPTH (logged).
 * Sections are skipped for false, null, [] and "" (and so run inverted).
 */
int	 mustache_render(const struct mustache *m, json_t *data,
	    struct buf *out);
/*
 * Like mustache_render() with a per-call missing-name callback (for check);
 * the compile-time opts->missing is used when missing is NULL.
 */
int	 mustache_render_ex(const struct mustache *m, json_t *data,
	    struct buf *out,
	    void (*missing)(void *, const char *, const char *, int),
	    void *ctx);
void	 mustache_free(struct mustache *m);

/*
 * A load() for partials stored as DIR/NAME.mustache; ctx is DIR.  Names
 * with '/' or "..", or starting with '.', are refused (NULL: missing).
 */
char	*mustache_load_dir(void *dir, const char *name, size_t *len);

#endif
