/*
 * cmd_init.c - a ready course folder: settings.ini (the shipped one, every
 * key commented, with the given name and sender), lessons/ and templates/
 * (the shipped course as the example), a fresh secret.key (0600) and a
 * database; then the next steps, with the folder's real path.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#ifndef DRIPMAIL_DATADIR
#define DRIPMAIL_DATADIR	"/usr/local/share/dripmail"
#endif

#define INIT_FILE_MAX	(4 << 20)	/* one lesson, template or settings */
#define SECRET_LEN	32

static const char usage[] =
    "usage: dripmail init [--name NAME] [--from 'Name <address>'] DIR\n"
    "\n"
    "Create a ready course folder DIR (new or empty): the shipped\n"
    "settings.ini, lessons/ and templates/, a fresh secret.key and the\n"
    "database; then print the next steps and the crontab lines.\n"
    "\n"
    "    --name NAME    the course's name, for [course] name\n"
    "    --from FROM    the sender, such as 'Me <me@example.org>', for\n"
    "                   [course] from\n"
    "    -h, --help     print this help";

/* 1 when dir holds settings.ini, lessons/ and templates/. */
static int
is_course(const char *dir)
{
	const char *parts[] = { "settings.ini", "lessons", "templates" };
	int ok = 1;

	for (size_t i = 0; i < ARRAY_SIZE(parts) && ok; i++) {
		char *p = path_join(dir, parts[i]);

		ok = access(p, R_OK) == 0;
		free(p);
	}
	return ok;
}

/*
 * The shipped course: $DRIPMAIL_DATADIR; else beside the binary, the
 * installed data folder (PREFIX/share/dripmail) or, for a binary run from
 * its build folder (build/ or build/asan/), the source tree; else the
 * DATADIR built in
 * (allocated, or NULL).
 */
static char *
shipped_course(void)
{
	char exe[PATH_MAX], *dir, *cand[4];
	const char *env = getenv("DRIPMAIL_DATADIR");
	ssize_t n;
	char *found = NULL;

	if (env != NULL && *env)
		return is_course(env) ? xstrdup(env) : NULL;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		dir = path_dirname(exe);
		cand[0] = xasprintf("%s/../share/dripmail", dir);
		cand[1] = xasprintf("%s/..", dir);	/* build/dripmail */
		cand[2] = xasprintf("%s/../..", dir);	/* build/asan/dripmail */
		cand[3] = NULL;
		for (int i = 0; cand[i] != NULL; i++) {
			if (found == NULL && is_course(cand[i]))
				found = realpath(cand[i], NULL);
			free(cand[i]);
		}
		free(dir);
	}
	if (found == NULL && is_course(DRIPMAIL_DATADIR))
		found = xstrdup(DRIPMAIL_DATADIR);
	return found;
}

/* Copy the regular files of src whose names end in ext into dst. */
static int
copy_files(const char *src, const char *dst, const char *ext)
{
	struct dirent *de;
	DIR *d = opendir(src);
	int ret = 0;

	if (d == NULL) {
		log_warn("init: cannot read '%s'", src);
		return ERR_FAIL;
	}
	if (mkdir_p(dst, 0755) < 0) {
		closedir(d);
		return ERR_FAIL;
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name), el = strlen(ext);
		char *from, *to, *data = NULL;
		size_t n;

		if (de->d_name[0] == '.' || len <= el ||
		    strcmp(de->d_name + len - el, ext) != 0)
			continue;
		from = path_join(src, de->d_name);
		to = path_join(dst, de->d_name);
		if (slurp(from, INIT_FILE_MAX, &data, &n) < 0) {
			log_warn("init: cannot read '%s'", from);
			ret = ERR_FAIL;
		} else
			ret = write_file_atomic(to, data, n, 0644);
		free(data);
		free(from);
		free(to);
	}
	closedir(d);
	return ret;
}

/* The [course] key's line, with value instead of the shipped one. */
static void
set_line(struct buf *out, const char *line, size_t len, const char *section,
    const char *name, const char *from)
{
	if (strcmp(section, "course") == 0 && name != NULL &&
	    strncmp(line, "name =", 6) == 0)
		buf_printf(out, "name = %s\n", name);
	else if (strcmp(section, "course") == 0 && from != NULL &&
	    strncmp(line, "from =", 6) == 0)
		buf_printf(out, "from = %s\n", from);
	else {
		buf_add(out, line, len);
		buf_addch(out, '\n');
	}
}

/* The shipped settings.ini with name and from filled in, written to dir. */
static int
write_settings(const char *src, const char *dir, const char *name,
    const char *from)
{
	char *in = path_join(src, "settings.ini"), *text = NULL, *p, *nl;
	char *out = path_join(dir, "settings.ini"), section[64] = "";
	struct buf b;
	size_t len;
	int ret = ERR_FAIL;

	buf_init(&b, BUF_NOLIMIT);
	if (slurp(in, INIT_FILE_MAX, &text, &len) < 0) {
		log_warn("init: cannot read '%s'", in);
		goto out;
	}
	for (p = text; *p != '\0'; p = nl + 1) {
		size_t n;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (p[0] == '[' && n < sizeof(section) && n > 2)
			(void)snprintf(section, sizeof(section), "%.*s",
			    (int)(n - 2), p + 1);
		set_line(&b, p, n, section, name, from);
		if (nl == NULL)
			break;
	}
	ret = write_file_atomic(out, b.data, b.len, 0644);
out:
	buf_release(&b);
	free(text);
	free(in);
	free(out);
	return ret;
}

static int
write_secret(const char *dir)
{
	unsigned char key[SECRET_LEN];
	char *path = path_join(dir, "secret.key");
	int fd, ret = ERR_FAIL;

	fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, key, sizeof(key)) != (ssize_t)sizeof(key))
		log_warn("init: cannot read /dev/urandom");
	else
		ret = write_file_atomic(path, key, sizeof(key), 0600);
	if (fd >= 0)
		close(fd);
	explicit_bzero(key, sizeof(key));
	free(path);
	return ret;
}

/* An absent or empty folder, created: 0, or an exit code. */
static int
make_folder(const char *dir)
{
	struct dirent *de;
	DIR *d;

	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST) {
		log_warn("init: cannot create '%s'", dir);
		return EXIT_CANTCREAT;
	}
	if ((d = opendir(dir)) == NULL) {
		log_warn("init: '%s'", dir);
		return EXIT_CANTCREAT;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			closedir(d);
			log_error("init: '%s' is not empty: a course folder "
			    "starts empty", dir);
			return EXIT_CANTCREAT;
		}
	closedir(d);
	return 0;
}

/* --name and --from as settings.ini can hold them: 0 or EXIT_USAGE. */
static int
check_values(const char *name, const char *from)
{
	char *n = NULL, *a = NULL;
	const char *why;

	if (name != NULL && (name[0] == '\0' || str_has_ctl(name) ||
	    !utf8_valid(name, strlen(name)))) {
		log_error("init: --name: empty, or control characters or "
		    "invalid UTF-8");
		return EXIT_USAGE;
	}
	if (from != NULL && addr_parse_mailbox(from, &n, &a, &why) < 0) {
		log_error("init: --from '%s': %s", from, why);
		return EXIT_USAGE;
	}
	free(n);
	free(a);
	return 0;
}

/* What is left to do, with the folder's path; from: --from was given. */
static void
next_steps(const char *dir, int from)
{
	printf("created the course folder %s\n\n"
	    "next steps:\n"
	    "  cd %s\n"
	    "  edit settings.ini: [course] %spostal_address, [launch]"
	    " date, [smtp] url\n"
	    "  dripmail check              # every problem, with file and "
	    "line\n"
	    "  dripmail preview            # open preview/index.html\n"
	    "  dripmail import signups.csv\n\n"
	    "then add to the crontab of the user that owns the folder:\n"
	    "PATH=/usr/local/bin:/usr/bin:/bin\n"
	    "*/5  * * * *  cd %s && dripmail -q run\n"
	    "*/15 * * * *  cd %s && dripmail -q bounces\n", dir, dir,
	    from ? "" : "from and ", dir, dir);
}

int
cmd_init(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *from = NULL;
	char *src = NULL, *dir = NULL, *sub = NULL, *sub2 = NULL;
	struct config cfg;
	struct db *db;
	int c, status;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	if ((status = cmd_operands(usage, argc, argv, 1, 1, "DIR")) != 0)
		return status;
	(void)app;
	if ((status = check_values(name, from)) != 0)
		return status;
	if ((src = shipped_course()) == NULL) {
		log_error("init: cannot find the shipped course (settings.ini, "
		    "lessons/, templates/); set DRIPMAIL_DATADIR to its folder");
		return EXIT_NOINPUT;
	}
	if ((status = make_folder(argv[optind])) != 0)
		goto out;
	status = EXIT_CANTCREAT;
	if ((dir = realpath(argv[optind], NULL)) == NULL)
		goto out;
	sub = path_join(src, "lessons");
	sub2 = path_join(dir, "lessons");
	if (copy_files(sub, sub2, ".md") < 0)
		goto out;
	free(sub);
	free(sub2);
	sub = path_join(src, "templates");
	sub2 = path_join(dir, "templates");
	if (copy_files(sub, sub2, ".mustache") < 0 ||
	    write_settings(src, dir, name, from) < 0 || write_secret(dir) < 0)
		goto out;
	/* The new settings must load, and the database is made from them. */
	free(sub);
	sub = path_join(dir, "settings.ini");
	if (config_load(&cfg, sub) < 0) {
		config_free(&cfg);
		status = EXIT_CONFIG;
		goto out;
	}
	status = store_open(cfg.db_target, cfg.db_password_file, &db) < 0 ?
	    EXIT_CANTCREAT : EXIT_OK;
	store_close(db);
	config_free(&cfg);
	if (status == EXIT_OK)
		next_steps(dir, from != NULL);
out:
	free(sub);
	free(sub2);
	free(src);
	free(dir);
	return status;
}
