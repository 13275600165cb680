/*
 * cmd_import.c - dripmail import: add or update subscribers from CSV.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "csv.h"
#include "dripmail.h"
#include "import.h"
#include "log.h"
#include "subscriber.h"

static const char usage[] =
    "usage: dripmail import [--list waitlist|course] [--suppressed]\n"
    "           [--dry-run] [--reject-file FILE] [--delimiter C] [--json]\n"
    "           FILE|-\n"
    "\n"
    "Add or update subscribers from a CSV file, or standard input for -:\n"
    "exports from Mailchimp, Kit, Google Forms or a spreadsheet.\n"
    "\n"
    "    --list L       the list new subscribers join: waitlist or course\n"
    "                   (default: waitlist before [launch] date, then course)\n"
    "    --suppressed   the file is a suppression list (subscribers export\n"
    "                   --suppressed, or another mailer's unsubscribed and\n"
    "                   cleaned exports): add its addresses and hashes to\n"
    "                   the suppressions; nobody is made active\n"
    "    --dry-run      check and count every row, and store nothing\n"
    "    --reject-file FILE\n"
    "                   write the rows not imported to FILE, as CSV with a\n"
    "                   reason column\n"
    "    --delimiter C  the field separator: ',', ';', tab, comma or\n"
    "                   semicolon (default: found from the header line)\n"
    "    --json         print the counts as a JSON object\n"
    "    -h, --help     print this help";

static int
parse_delim(const char *s)
{
	if (strcmp(s, ",") == 0 || strcmp(s, "comma") == 0)
		return ',';
	if (strcmp(s, ";") == 0 || strcmp(s, "semicolon") == 0)
		return ';';
	if (strcmp(s, "\t") == 0 || strcmp(s, "\\t") == 0 ||
	    strcmp(s, "tab") == 0)
		return '\t';
	return -1;
}

static void
print_stats(const struct import_stats *st, int json, int dry_run)
{
	json_t *o;

	if (!json) {
		printf("%sadded %ld, updated %ld, unchanged %ld, skipped %ld, "
		    "invalid %ld\n", dry_run ? "dry run: " : "", st->added,
		    st->updated, st->unchanged, st->skipped, st->invalid);
		return;
	}
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b}",
	    "added", (json_int_t)st->added,
	    "updated", (json_int_t)st->updated,
	    "unchanged", (json_int_t)st->unchanged,
	    "skipped", (json_int_t)st->skipped,
	    "invalid", (json_int_t)st->invalid,
	    "dry_run", dry_run);
	if (o == NULL)
		fatalx("cannot build JSON");
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
}

int
cmd_import(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "list", required_argument, NULL, 'l' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "reject-file", required_argument, NULL, 'r' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "suppressed", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_opts o = { .list = -1 };
	struct import_stats st;
	struct csv_reader r;
	const char *list = NULL;
	int c, delim = 0, json = 0, ret;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 'l':
			list = optarg;
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'r':
			o.reject_path = optarg;
			break;
		case 'd':
			if ((delim = parse_delim(optarg)) < 0) {
				log_error("import: --delimiter: expected ',', "
				    "';' or tab");
				return EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			o.suppressed = 1;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	if ((ret = cmd_operands(usage, argc, argv, 1, 1,
	    "FILE (or - for standard input)")) != 0)
		return ret;
	if (list != NULL && (o.list = subscriber_list(list)) < 0) {
		log_error("import: --list: expected waitlist or course");
		return EXIT_USAGE;
	}
	if ((ret = app_setup(app, NEED_DB)) != 0)
		return ret;
	if (o.list < 0)
		o.list = subscriber_default_list(&app->cfg, time(NULL));
	if (csv_open(&r, argv[optind], delim) < 0) {
		log_error("cannot open '%s': %s", argv[optind],
		    strerror(errno));
		return EXIT_NOINPUT;
	}
	ret = import_csv(app->db, &app->cfg, &r, &o, &st);
	if (r.unknown != NULL)
		log_warnx("%s: ignored columns: %s", r.name, r.unknown);
	csv_close(&r);
	if (ret < 0)
		return cmd_exit(ret, EXIT_DATAERR);
	print_stats(&st, json, o.dry_run);
	return st.invalid > 0 ? EXIT_DATAERR : EXIT_OK;
}
