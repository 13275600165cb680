/*
 * config.h - settings.ini, read with inih against a table of known keys.
 *
 * Every path is resolved against the settings file's own folder at load
 * time, so the strings below are ready to open.  Strings are allocated and
 * live until config_free(); unset optional strings are NULL.  Durations are
 * in seconds.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <time.h>

enum tls_policy {
	TLS_REQUIRED,
	TLS_OPPORTUNISTIC,
	TLS_OFF,
};

enum first_lesson {
	FIRST_IMMEDIATE,	/* Day 1 at the first run after enrolment */
	FIRST_SEND_HOUR,	/* Day 1 at the next local send hour */
};

enum notify_at {
	NOTIFY_WINDOW,		/* in the member's local sending window */
	NOTIFY_EXACT,		/* at Send-At for everyone */
};

#define CONFIG_MAX_RETRY	8
#define CONFIG_MAX_WARMUP	60	/* [send] warmup: days listed, at most */
#define CONFIG_MAX_DOMAINS	32	/* [send] domain_max_per_hour entries */

struct config_domain_cap {
	char	*domain;		/* recipient domain, lower case */
	long	 max;			/* messages to it in any hour */
};

#define FEEDBACK_ID_MAX		64	/* [course] feedback_id, characters */
/* What [course] feedback_id and each field of Feedback-ID are made of. */
#define FEEDBACK_ID_CHARS	"abcdefghijklmnopqrstuvwxyz" \
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

struct config {
	char	*file;			/* the settings file as given */
	char	*dir;			/* its folder */

	/* [course] */
	char	*course_name;		/* "Practical Peace: ..." */
	char	*course_id;		/* short slug: List-Id, Message-ID */
	char	*from;			/* "Name <addr@example.org>" */
	char	*from_name;		/* parsed out of from; may be "" */
	char	*from_addr;		/* parsed out of from */
	char	*reply_to;		/* address, optional */
	char	*postal_address;	/* footer, required by CAN-SPAM */
	char	*base_url;		/* https://..., optional */
	char	*lessons;		/* folder (path) */
	char	*templates;		/* folder (path) */
	int	 allow_html;		/* raw HTML in lessons */
	char	*feedback_id;		/* Feedback-ID's SenderId, or NULL */

	/* [launch] */
	time_t	 launch_at;		/* 0 when no launch date is set */
	char	*launch_date;		/* as written, local to launch_tz */
	char	*launch_tz;		/* IANA zone of launch_date */
	int	 enroll_waitlist;	/* enrol the waitlist at launch */
	long	 launch_late;		/* notifications this late are dropped */
	enum notify_at notify_at;	/* local window, or the exact moment */

	/* [schedule] */
	int	 send_hour;		/* 0..23, local */
	int	 window_hours;		/* 1..24 */
	char	*timezone;		/* default IANA zone */
	enum first_lesson first_lesson;

	/* [smtp] */
	char	*smtp_url;		/* smtp://, smtps:// or maildir:PATH */
	char	*maildir;		/* PATH of maildir:PATH (resolved), or NULL */
	char	*smtp_username;
	char	*smtp_password_file;
	char	*smtp_password;		/* from the file or DRIPMAIL_SMTP_PASSWORD */
	enum tls_policy tls;
	long	 connect_timeout;
	long	 timeout;
	char	*envelope_from;		/* MAIL FROM; default from_addr */
	int	 verp;			/* bounces+TOKEN@domain of envelope_from */
	char	*helo;			/* EHLO name, optional */
	char	*ca_file;		/* CA bundle for verification, optional */

	/* [send] */
	int	 connections;		/* parallel SMTP connections */
	long	 max_per_minute;	/* 0 = no cap */
	long	 max_per_hour;		/* 0 = no cap */
	long	 max_per_day;		/* per local day of the host, 0 = none */
	long	 warmup[CONFIG_MAX_WARMUP];	/* daily caps of days 1, 2, ... */
	int	 nwarmup;		/* 0: no warm-up */
	struct config_domain_cap domain_caps[CONFIG_MAX_DOMAINS];
	int	 ndomain_caps;
	long	 retry[CONFIG_MAX_RETRY];	/* back-off steps, last repeats */
	int	 nretry;
	long	 retry_max_age;		/* give up after this long */
	long	 lease;			/* a run's sending rows are its own
					   this long after it last said so */

	/* [database] */
	char	*db_path;		/* SQLite, unless db_url */
	char	*db_url;		/* PostgreSQL: a libpq URI, or NULL */
	char	*db_password_file;	/* its password (db.h), or NULL */
	const char *db_target;		/* db_url, else db_path: what to
					   open (borrowed) */

	/* [bounces] */
	char	*bounce_source;		/* path, imap(s):// or pop3(s):// URL */
	char	*bounce_password_file;
	char	*bounce_password;	/* or DRIPMAIL_IMAP_PASSWORD */
	char	*bounce_done_folder;	/* move processed mail here, optional */
	enum tls_policy bounce_tls;	/* required or off, not opportunistic */
	char	*bounce_ca_file;	/* CA bundle to verify with, optional */
	int	 soft_limit;
	long	 soft_window;

	/* [guard]: the automatic pause (guard.h) */
	long	 guard_window;		/* seconds of sending looked at */
	int	 guard_min_sample;	/* fewer sends than this: no verdict */
	double	 guard_max_bounce;	/* percent of sends hard-bounced */
	double	 guard_max_complaint;	/* percent of sends complained of */

	/* [preview] */
	double	 spam_threshold;	/* SpamAssassin score marked as too high */

	/* [dkim] */
	char	*dkim_domain;		/* d=, NULL: messages are not signed */
	char	*dkim_selector;		/* s= of key_file */
	char	*dkim_key_file;		/* PEM: RSA >= 2048 bits or Ed25519 */
	char	*dkim_selector2;	/* a second key, for dual signing */
	char	*dkim_key_file2;

	/* [dns] */
	char	*dns_server;		/* IP[:PORT] for check --dns, or NULL */
	char	*dns_relay_ip;		/* the relay's address, for SPF */

	/* [unsubscribe] */
	char	*secret_file;
	char	*unsubscribe_url;	/* https://.../unsubscribe */
	char	*unsubscribe_mailto;	/* address */

	/* [signup] */
	char	*signup_url;		/* https://.../signup: the CGI */
	char	*signup_origin;		/* the form's origin, or NULL: any */
	int	 signup_ip_limit;	/* signups per IP per hour, 0: no limit */
	int	 signup_address_limit;	/* per email address per day, 0: none */
};

/*
 * Load and validate path.  Every problem is logged as one line naming file,
 * line and key; returns 0 or ERR_FAIL (exit 78) when any was found.  c is
 * filled with defaults first, so after a failure it is safe to config_free().
 * Reads secret files (password_file) but only warns when they are missing,
 * since `check` and other commands should still report everything else.
 */
int	 config_load(struct config *c, const char *path);
void	 config_free(struct config *c);
/* Read the [unsubscribe] secret: 0 and an allocated key, or ERR_FAIL (logged). */
int	 config_secret(const struct config *c, unsigned char **key, size_t *len);
/* The default settings file: ./settings.ini. */
#define CONFIG_DEFAULT_FILE	"settings.ini"

/*
 * What is wrong with one line of a settings file (n bytes, its newline
 * included), as far as it can be told alone: binary data, not UTF-8, or
 * neither a [section], a key = value, a comment nor blank.  NULL when it
 * may be fine (the value is checked later).  A static string.
 */
const char	*config_line_problem(const char *line, size_t n);

#endif
