# dovecot.bash - a private Dovecot IMAP and POP3 server on 127.0.0.1 for
# one test: its own config file (no system config), a static passdb, the
# mailbox a Maildir under the test folder.
#
#   dovecot_start [MAILDIR]  sets DOVECOT_PORT (IMAP), DOVECOT_POP3_PORT,
#                            DOVECOT_USER, DOVECOT_PASS, DOVECOT_MAILDIR
#                            (deliver into its new/); serves MAILDIR if given
#                            (e.g. one Postfix delivers to).  With
#                            DOVECOT_TLS=1 it offers STARTTLS and STLS and
#                            listens for implicit TLS on DOVECOT_IMAPS_PORT
#                            and DOVECOT_POP3S_PORT, with a certificate for
#                            127.0.0.1 from the test CA $TEST_CA (testca.bash)
#   dovecot_stop
#   dovecot_flags            "UID FLAGS" of each message (python imaplib)
#   dovecot_count            how many messages INBOX holds
#   dovecot_seen             how many of them are flagged \Seen

# shellcheck source=testca.bash
. "${BASH_SOURCE[0]%/*}/testca.bash"

dovecot_start() {
	local d=$WORK/dovecot uid gid login internal
	DOVECOT_MAILDIR=${1:-$d/Maildir}
	mkdir -p "$d/run" "$d/state" "$d/home" "$DOVECOT_MAILDIR/new" \
	    "$DOVECOT_MAILDIR/cur" "$DOVECOT_MAILDIR/tmp"
	# four different ports: free_port twice may give the same one
	read -r DOVECOT_PORT DOVECOT_POP3_PORT DOVECOT_IMAPS_PORT \
	    DOVECOT_POP3S_PORT < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for i in range(4)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
	local ssl="ssl = no"
	if [ "${DOVECOT_TLS:-0}" != 1 ]; then
		DOVECOT_IMAPS_PORT=0
		DOVECOT_POP3S_PORT=0
	else
		test_ca "$d/tls"
		ssl="ssl = yes
ssl_cert = <$d/tls/server.pem
ssl_key = <$d/tls/server.key"
	fi
	DOVECOT_USER=bounce
	DOVECOT_PASS=imap-secret-$RANDOM
	if [ "$(id -u)" -eq 0 ]; then
		# Dovecot refuses mail access as root: the mailbox user is
		# nobody, the Maildir and the path to it readable by it.
		uid=$(id -u nobody)
		gid=$(id -g nobody)
		login=dovenull
		internal=dovecot
		chmod 755 "$WORK"
	else
		uid=$(id -u)
		gid=$(id -g)
		login=$(id -un)
		internal=$(id -un)
	fi
	cat > "$d/dovecot.conf" <<CONF
protocols = imap pop3
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
$ssl
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = $login
default_internal_user = $internal
first_valid_uid = 1
mail_location = maildir:$DOVECOT_MAILDIR
passdb {
  driver = static
  args = password=$DOVECOT_PASS
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$d/home
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DOVECOT_IMAPS_PORT
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DOVECOT_POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $DOVECOT_POP3S_PORT
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
CONF
	DOVECOT_CONF=$d/dovecot.conf
	DOVECOT_UID=$uid
	DOVECOT_GID=$gid
	dovecot -c "$DOVECOT_CONF" || { cat "$d/dovecot.log" >&2; return 1; }
	for p in "$DOVECOT_PORT" "$DOVECOT_POP3_PORT" "$DOVECOT_IMAPS_PORT" \
	    "$DOVECOT_POP3S_PORT"; do
		[ "$p" = 0 ] && continue
		wait_port "$p" 10 || { cat "$d/dovecot.log" >&2; return 1; }
	done
}

# dovecot_own: give the Maildir to the mailbox user after delivering.
dovecot_own() {
	chown -R "$DOVECOT_UID:$DOVECOT_GID" "$DOVECOT_MAILDIR" "$WORK/dovecot/home"
}

dovecot_stop() {
	[ -n "${DOVECOT_CONF:-}" ] || return 0
	dovecot -c "$DOVECOT_CONF" stop 2>/dev/null || true
	DOVECOT_CONF=
}

# dovecot_flags: "UID FLAGS" per message in INBOX, one a line.
dovecot_flags() {
	/usr/bin/python3 - "$DOVECOT_PORT" "$DOVECOT_USER" "$DOVECOT_PASS" <<'PY'
import imaplib, re, sys
port, user, pw = sys.argv[1], sys.argv[2], sys.argv[3]
m = imaplib.IMAP4("127.0.0.1", int(port))
m.login(user, pw)
m.select("INBOX", readonly=True)
typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
for d in data:
    if not d:
        continue
    s = d.decode() if isinstance(d, bytes) else d[0].decode()
    uid = re.search(r"UID (\d+)", s)
    flags = re.search(r"FLAGS \(([^)]*)\)", s)
    if uid and flags:
        print(uid.group(1), flags.group(1))
m.logout()
PY
}

# dovecot_count: how many messages INBOX holds.
dovecot_count() {
	find "$DOVECOT_MAILDIR/new" "$DOVECOT_MAILDIR/cur" -type f | wc -l
}

# dovecot_seen: how many of them are \Seen (the S in a Maildir file name;
# Dovecot renames the file when the flag changes).
dovecot_seen() {
	find "$DOVECOT_MAILDIR/cur" -type f -name '*:2,*S*' | wc -l
}
