/*
 * cmd_render.c - render one Mustache template to standard output, byte
 * for byte, with nothing added.  Needs no settings file.
 *
 *	dripmail render page.mustache --data page.json --partials parts/
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "mustache.h"
#include "util.h"

#define RENDER_MAX_DATA	(16 << 20)	/* bytes of the --data file */
#define RENDER_MAX_OUT	(64 << 20)	/* bytes of output */

static const char usage[] =
    "usage: dripmail render [--text] [--data FILE.json] [--partials DIR]\n"
    "           TEMPLATE\n"
    "\n"
    "Render one Mustache template to standard output, as the course would; no\n"
    "settings file is needed.\n"
    "\n"
    "    --text         do not HTML-escape {{values}} (for a text part)\n"
    "    --data FILE.json\n"
    "                   the data to render with (default: none)\n"
    "    --partials DIR where {{> name}} and {{< name}} find NAME.mustache\n"
    "                   (default: the template's own folder)\n"
    "    -h, --help     print this help";

/* Read a file for render; an exit code when it cannot be read. */
static int
read_input(const char *path, size_t max, char **text, size_t *len)
{
	if (slurp(path, max, text, len) == 0)
		return 0;
	if (errno == EFBIG) {
		log_error("'%s' is larger than %zu bytes", path, max);
		return EXIT_DATAERR;
	}
	log_error("cannot read '%s': %s", path, strerror(errno));
	return EXIT_NOINPUT;
}

static int
load_data(const char *path, json_t **data)
{
	json_error_t jerr;
	char *text;
	size_t len;
	int ret;

	if (path == NULL) {
		*data = json_object();
		return 0;
	}
	if ((ret = read_input(path, RENDER_MAX_DATA, &text, &len)) != 0)
		return ret;
	*data = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	free(text);
	if (*data == NULL) {
		log_error("%s:%d:%d: %s", path, jerr.line, jerr.column,
		    jerr.text);
		return EXIT_DATAERR;
	}
	return 0;
}

/* Names that resolve to nothing are worth a line with -v. */
static void
missing(void *ctx, const char *name, const char *partial, int line)
{
	if (partial)
		log_info("%s: '%s' (line %d of partial '%s') not in the data",
		    (const char *)ctx, name, line, partial);
	else
		log_info("%s:%d: '%s' not in the data", (const char *)ctx,
		    line, name);
}

static int
render(const char *path, const char *data_path, const char *dir,
    int escape)
{
	struct mustache_opts opts;
	struct mustache *m = NULL;
	json_t *data = NULL;
	struct buf out;
	char *text = NULL, err[512];
	size_t len;
	int status;

	buf_init(&out, RENDER_MAX_OUT);
	if ((status = read_input(path, MUSTACHE_MAX_FILE, &text, &len)) != 0 ||
	    (status = load_data(data_path, &data)) != 0)
		goto out;
	memset(&opts, 0, sizeof(opts));
	opts.escape_html = escape;
	opts.load = mustache_load_dir;
	opts.load_ctx = (void *)dir;
	opts.missing = missing;
	opts.missing_ctx = (void *)path;
	status = EXIT_DATAERR;
	if (mustache_compile(text, len, &opts, &m, err, sizeof(err)) < 0) {
		log_error("%s:%s", path, err);
		goto out;
	}
	if (mustache_render(m, data, &out) < 0) {
		log_error("%s: cannot render (output over %d bytes or "
		    "nested too deep)", path, RENDER_MAX_OUT);
		goto out;
	}
	fwrite(out.data, 1, out.len, stdout);
	status = EXIT_OK;
out:
	mustache_free(m);
	json_decref(data);
	free(text);
	buf_release(&out);
	return status;
}

int
cmd_render(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "partials", required_argument, NULL, 'p' },
		{ "text", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *dir = NULL;
	char *tmp = NULL;
	int c, escape = 1, status;

	(void)app;		/* no settings needed */
	while ((c = getopt_long(argc, argv, ":d:p:th", opts, NULL)) != -1)
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'p':
			dir = optarg;
			break;
		case 't':
			escape = 0;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	if ((status = cmd_operands(usage, argc, argv, 1, 1, "TEMPLATE")) != 0)
		return status;
	if (dir == NULL)
		dir = tmp = path_dirname(argv[optind]);
	status = render(argv[optind], data, dir, escape);
	free(tmp);
	return status;
}
