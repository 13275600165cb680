/*
 * cmd_check.c - validate settings, database, lessons and templates, and
 * report every problem found, not only the first.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd.h"
#include "dnscheck.h"
#include "dripmail.h"
#include "log.h"
#include "preview.h"
#include "render.h"
#include "smtp.h"
#include "spam.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

static const char usage[] =
    "usage: dripmail check [--smtp] [--spam] [--dns]\n"
    "\n"
    "Check the settings, open the database (creating or migrating it),\n"
    "load and render every lesson and template, and report every problem\n"
    "with its file and line.\n"
    "\n"
    "    --smtp         also connect to [smtp] url, log in and quit, sending\n"
    "                   nothing\n"
    "    --spam         also score every message with SpamAssassin; one at\n"
    "                   or over [preview] spam_threshold exits 65\n"
    "    --dns          also look up SPF, the DKIM keys and DMARC for the\n"
    "                   From and envelope domains, as mailbox providers do\n"
    "    -h, --help     print this help";

/* Connect, EHLO, STARTTLS, AUTH and QUIT (or test the Maildir). */
static int
check_smtp(const struct config *cfg)
{
	struct smtp_result r;
	char *url = url_redact(cfg->smtp_url);
	int ret = 0;

	if (smtp_check(cfg, &r) < 0) {
		log_error("smtp: %s: %s", url, r.reply);
		ret = ERR_TEMP;
	} else
		printf("smtp: %s: ok (%s)\n", url, r.reply);
	free(url);
	return ret;
}

/*
 * Score every message as the sample subscriber gets it: 0, the number of
 * messages over the threshold, or ERR_TEMP when spamassassin is missing
 * or failed, ERR_FAIL when the course does not load.
 */
static int
check_spam(const struct config *cfg)
{
	struct recipient r = { 0, RENDER_SAMPLE_EMAIL, RENDER_SAMPLE_NAME,
	    NULL, NULL, 0, 0 };
	const struct lesson **l;
	struct spam_report *s;
	struct course *c;
	int n = 0, over = 0, ret;

	if (!spam_available()) {
		log_error("spam: %s is not installed; install it with "
		    "'apt-get install spamassassin'", SPAM_PROGRAM);
		return ERR_TEMP;
	}
	if (course_load(cfg, &c) < 0)
		return ERR_FAIL;
	l = xcalloc((size_t)(course_ndays(c) + course_nnotices(c) + 1),
	    sizeof(*l));
	for (int d = 1; d <= course_ndays(c); d++)
		l[n++] = course_day(c, d);
	for (int i = 0; i < course_nnotices(c); i++)
		l[n++] = course_notice(c, i);
	ret = preview_spam(c, cfg, l, n, &r, time(NULL), &s);
	if (ret == 0) {
		for (int i = 0; i < n; i++) {
			preview_spam_print(stdout, l[i]->id, &s[i],
			    cfg->spam_threshold);
			over += preview_spam_over(&s[i], cfg->spam_threshold);
		}
		spam_reports_free(s, (size_t)n);
		ret = over;
	} else
		ret = ERR_TEMP;
	free(l);
	course_free(c);
	return ret;
}

/*
 * SPF, DKIM, DMARC and alignment in DNS: the number of errors, or
 * ERR_TEMP when the resolver does not answer.
 */
static int
check_dns(const struct config *cfg)
{
	struct dns_lookup l;
	struct dnscheck_report r;
	int ret;

	if (dns_lookup_open(cfg, &l) < 0)
		return ERR_TEMP;
	ret = dnscheck(cfg, &l, stdout, &r);
	dns_lookup_close(&l);
	if (ret < 0) {
		log_error("dns: %s did not answer", cfg->dns_server ?
		    cfg->dns_server : "the resolver");
		return ERR_TEMP;
	}
	return r.errors;
}

int
cmd_check(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "smtp", no_argument, NULL, 's' },
		{ "spam", no_argument, NULL, 'S' },
		{ "dns", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char *key;
	size_t keylen;
	int c, smtp = 0, spam = 0, dns = 0, problems = 0, status = EXIT_OK;
	int ret;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 's':
			smtp = 1;
			break;
		case 'S':
			spam = 1;
			break;
		case 'd':
			dns = 1;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	if ((ret = cmd_operands(usage, argc, argv, 0, 0, NULL)) != 0)
		return ret;

	if (app_setup(app, NEED_CONFIG) != 0) {
		/* Settings are broken: still say what else we can. */
		return EXIT_CONFIG;
	}
	printf("settings: %s: ok\n", app->cfg.file);
	ret = app_setup(app, NEED_DB);
	if (ret != 0) {
		problems++;
		status = ret;
	} else
		printf("database: %s: ok (schema version %d)\n",
		    store_name(app->db), store_version(app->db));
	if (config_secret(&app->cfg, &key, &keylen) < 0) {
		/* A settings problem; the course cannot render without it. */
		problems++;
		status = EXIT_CONFIG;
		printf("lessons: not checked: the unsubscribe secret is "
		    "needed to render them\n");
	} else {
		free(key);
		if ((ret = render_check(&app->cfg)) > 0) {
			problems += ret;
			status = status ? status : EXIT_DATAERR;
		}
	}
	if (smtp && check_smtp(&app->cfg) < 0) {
		problems++;
		if (status == EXIT_OK)
			status = EXIT_TEMPFAIL;
	}
	if (spam && (ret = check_spam(&app->cfg)) != 0) {
		if (ret > 0)
			log_error("spam: %d message%s at or over %.1f", ret,
			    ret == 1 ? "" : "s", app->cfg.spam_threshold);
		problems += ret > 0 ? ret : 1;
		if (status == EXIT_OK)
			status = ret == ERR_TEMP ? EXIT_UNAVAIL : EXIT_DATAERR;
	}
	if (dns && (ret = check_dns(&app->cfg)) != 0) {
		problems += ret > 0 ? ret : 1;
		if (status == EXIT_OK)
			status = ret > 0 ? EXIT_CONFIG : EXIT_TEMPFAIL;
	}
	if (problems)
		log_error("check: %d problem%s found", problems,
		    problems == 1 ? "" : "s");
	return status;
}
