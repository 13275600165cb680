# postfix.bash - a private Postfix on 127.0.0.1 for one test.
#
# pf_start: start Postfix (as root: `postfix -c DIR start`) with its own
# main.cf/master.cf, queue and data folders under $WORK/postfix, smtpd on a
# free port (PF_PORT), and [smtp] url pointing at it.  Mail is delivered
# by virtual(8) into Maildirs under $WORK/mail (PF_MAIL):
#   *@example.net           -> $PF_MAIL/catchall/
#   bounces@example.org      -> $PF_MAIL/bounces/    (bounces come here,
#                                                   bounces+TOKEN@ too: VERP)
#   course@example.org       -> $PF_MAIL/course/
# Other addresses at example.org are unknown: with PF_BOUNCE=1 Postfix
# accepts them and GENERATES a bounce (a DSN) to the envelope sender,
# otherwise smtpd refuses them at RCPT with 550 5.1.1.
# pf_stop (teardown) stops it.

pf_start() {
	PF_DIR=$WORK/postfix
	PF_MAIL=$WORK/mail
	PF_PORT=$(free_port)
	local owner=nobody uid gid
	uid=$(id -u $owner)
	gid=$(id -g $owner)
	chmod 755 "$WORK"
	mkdir -p "$PF_DIR/queue" "$PF_DIR/data" "$PF_MAIL"
	chown "$owner" "$PF_MAIL"
	chown postfix "$PF_DIR/data"
	cat > "$PF_DIR/vmailbox" <<VM
@example.net catchall/
bounces@example.org bounces/
course@example.org course/
VM
	cat > "$PF_DIR/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test
mydomain = test
myorigin = example.org
mydestination =
mynetworks = 127.0.0.0/8
relayhost =
smtpd_banner = \$myhostname ESMTP test
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_reject_unlisted_recipient = $([ "${PF_BOUNCE:-0}" = 1 ] && echo no || echo yes)
virtual_mailbox_domains = example.net, example.org
virtual_mailbox_base = $PF_MAIL
virtual_mailbox_maps = texthash:$PF_DIR/vmailbox
recipient_delimiter = +
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
virtual_minimum_uid = 1
alias_maps =
alias_database =
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $PF_DIR
smtp_tls_security_level = none
smtpd_tls_security_level = none
delay_warning_time = 0
bounce_queue_lifetime = 0
maximal_queue_lifetime = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
CF
	# Debian's master.cf without chroot, smtpd on our port, and postlog.
	awk -v port="$PF_PORT" '
	    /^#/ || /^[ \t]/ || NF < 8 { print; next }
	    $1 == "smtp" && $2 == "inet" { $1 = "127.0.0.1:" port }
	    $2 == "inet" && $1 !~ /^127/ { next }
	    { $5 = "n"; print }' /etc/postfix/master.cf > "$PF_DIR/master.cf"
	grep -q '^postlog' "$PF_DIR/master.cf" ||
	    echo 'postlog unix-dgram n - n - 1 postlogd' >> "$PF_DIR/master.cf"
	# postfix prints its fatal errors only to a terminal: give it one
	script -qec "postfix -c $PF_DIR start" /dev/null > "$PF_DIR/start.log" 2>&1 ||
	    { cat "$PF_DIR/start.log" >&2; return 1; }
	wait_port "$PF_PORT" 20
	ini_set "$WORK/settings.ini" smtp url "smtp://127.0.0.1:$PF_PORT"
	ini_set "$WORK/settings.ini" smtp tls off
}

pf_stop() {
	[ -n "${PF_DIR:-}" ] && [ -f "$PF_DIR/main.cf" ] &&
	    postfix -c "$PF_DIR" stop > /dev/null 2>&1
	PF_DIR=
	return 0
}

# pf_wait_mail DIR N [SECONDS]: wait until Maildir DIR/new holds N messages.
pf_wait_mail() {
	local dir=$1 n=$2 tries=$(( ${3:-20} * 10 ))
	while [ "$(find "$dir/new" -type f 2> /dev/null | wc -l)" -lt "$n" ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || { tail -20 "$PF_DIR/maillog" >&2; return 1; }
		sleep 0.1
	done
}
