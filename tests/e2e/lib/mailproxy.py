#!/usr/bin/python3
"""mailproxy.py - a line proxy in front of the test Dovecot that misbehaves
on purpose, for the bounce mailbox tests.

  mailproxy.py MODE PROTO PORT UPSTREAM LOG [CERT KEY]

MODE    strip   remove STARTTLS (IMAP) or STLS (POP3) from what the server
                offers and refuse the command itself, as a man in the
                middle would
        hangup  pass everything through until the server accepts the
                login, then hang up on the client
        hangup=VERB  the same after the server's OK to a VERB command
        pass    pass everything through (and log the verbs)
PROTO   imap or pop3
PORT    where to listen on 127.0.0.1; UPSTREAM: Dovecot's port there
LOG     the verb of every client command, one a line (never arguments)
CERT KEY  speak implicit TLS to the client with this certificate

Python's standard library only (Debian's python3).
"""
import re
import socket
import ssl
import sys
import threading

mode, proto, port, upstream, logpath = sys.argv[1:6]
mode, _, after = mode.partition("=")
AFTER = {after.encode()} if after else {b"LOGIN", b"AUTHENTICATE", b"PASS",
                                        b"AUTH"}
tls = sys.argv[6:8]
loglock = threading.Lock()
VERBS = {v.encode() for v in (
    "CAPABILITY STARTTLS LOGIN AUTHENTICATE SELECT EXAMINE UID FETCH STORE "
    "SEARCH LIST NOOP LOGOUT CAPA STLS USER PASS AUTH APOP STAT LIST UIDL "
    "RETR DELE TOP QUIT").split()}


def log(verb):
    with loglock, open(logpath, "a") as f:
        f.write(verb + "\n")


def strip_line(line):
    """A server line with STARTTLS/STLS taken out of it."""
    if proto == "pop3":
        return b"" if line.strip().upper() == b"STLS" else line
    return re.sub(rb"(?i) STARTTLS(?=[] \r])", b"", line)


def client_verb(line):
    """(tag, VERB) of a client line; POP3 has no tag."""
    words = line.strip().split(b" ")
    if proto == "pop3":
        return b"", words[0].upper()
    if len(words) < 2:
        return words[0], b""
    return words[0], words[1].upper()


def serve(c):
    s = socket.create_connection(("127.0.0.1", int(upstream)))
    cf, sf = c.makefile("rb"), s.makefile("rb")
    login = {"tag": None, "pending": False}
    done = threading.Event()

    def down():
        # server to client
        try:
            for line in sf:
                if mode == "strip":
                    line = strip_line(line)
                c.sendall(line)
                if mode == "hangup" and login["pending"] and (
                        (proto == "pop3" and line.startswith(b"+OK")) or
                        (proto == "imap" and line.startswith(
                            login["tag"] + b" OK"))):
                    log("hangup")
                    c.shutdown(socket.SHUT_RDWR)
                    break
        except OSError:
            pass
        done.set()

    t = threading.Thread(target=down, daemon=True)
    t.start()
    try:
        for line in cf:
            if done.is_set():
                break
            tag, verb = client_verb(line)
            # a SASL continuation line carries the password: never logged
            log(verb.decode() if verb in VERBS else "-")
            if mode == "strip" and verb in (b"STARTTLS", b"STLS"):
                c.sendall(b"-ERR no TLS here\r\n" if proto == "pop3" else
                          tag + b" BAD no TLS here\r\n")
                continue
            if verb in AFTER:
                login["tag"], login["pending"] = tag, True
            s.sendall(line)
    except OSError:
        pass
    done.wait(5)
    for x in (c, s):
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        x.close()


def main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(port)))
    ls.listen(8)
    ctx = None
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
    while True:
        c, _ = ls.accept()
        if ctx:
            try:
                c = ctx.wrap_socket(c, server_side=True)
            except (OSError, ssl.SSLError):
                c.close()
                continue
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
