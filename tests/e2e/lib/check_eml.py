#!/usr/bin/python3
"""check_eml.py FILE.eml... - parse each message with Python's email package
(policy=email.policy.strict) and check what dripmail promises: the headers,
multipart/alternative with text/plain then text/html, UTF-8,
quoted-printable, CRLF line ends, no line over 998 octets.

Options: --text-has STRING (the decoded text part must contain it; may be
repeated), --lesson FILE.md (the decoded text part must contain every word
of the lesson's body outside Mustache tags and Markdown punctuation).
Prints one line per problem and exits 1 when there was any."""

import email
import email.policy
from email.headerregistry import HeaderRegistry
import re
import sys

REQUIRED = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
            "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"]
problems = []


def bad(path, msg):
    problems.append("%s: %s" % (path, msg))


def check_raw(path, raw):
    lines = raw.split(b"\n")
    for i, line in enumerate(lines[:-1]):
        if not line.endswith(b"\r"):
            bad(path, "line %d does not end in CRLF" % (i + 1))
            break
    if lines[-1] != b"":
        bad(path, "does not end with CRLF")
    for i, line in enumerate(lines):
        if len(line.rstrip(b"\r")) > 998:
            bad(path, "line %d is %d octets" % (i + 1, len(line)))
    if b"\r\n\r\n" not in raw:
        bad(path, "no blank line after the header")
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if any(b > 127 for b in line):
            bad(path, "8-bit byte in a header: %r" % line)


def check_list_id(path, raw):
    """List-Id is [phrase] <id> (RFC 2919): parsed as an address header,
    one name and one id, the name not read as a group (an unquoted ':')."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    m = re.search(r"^List-Id:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head,
                  re.M | re.I)
    if not m:
        return
    value = re.sub(r"\r\n([ \t])", r"\1", m.group(1)).strip()
    h = HeaderRegistry()("To", value)
    defects = [str(d) for d in h.defects
               if "local part with no domain" not in str(d)]
    named = [g.display_name for g in h.groups if g.display_name]
    if defects or named or len(h.addresses) != 1:
        bad(path, "List-Id %r: %s" % (value, defects or
                                      "groups %s" % named))


def words(text):
    return re.findall(r"[A-Za-z0-9']{3,}", text)


def lesson_words(md):
    body = md.split("\n\n", 1)[1]
    # inverted sections are fallbacks the sample data does not show
    body = re.sub(r"\{\{\^\s*([\w.]+)\s*\}\}.*?\{\{/\s*\1\s*\}\}", " ", body,
                  flags=re.S)
    body = re.sub(r"\{\{[^}]*\}\}\}?", " ", body)
    body = re.sub(r"\]\([^)]*\)", " ", body)       # link targets
    return words(body)


def check(path, text_has, lesson):
    raw = open(path, "rb").read()
    check_raw(path, raw)
    msg = email.message_from_bytes(raw, policy=email.policy.strict)
    for h in REQUIRED:
        if len(msg.get_all(h, [])) != 1:
            bad(path, "%s: expected once, found %d" %
                (h, len(msg.get_all(h, []))))
    for h in ("Bcc", "Cc"):
        if msg.get(h) is not None:
            bad(path, "unexpected %s header" % h)
    if msg.get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click":
        bad(path, "List-Unsubscribe-Post: %r" %
            msg.get("List-Unsubscribe-Post"))
    lu = str(msg.get("List-Unsubscribe", ""))
    if not re.search(r"<https?://[^>]*[?&]t=[A-Za-z0-9_-]+>", lu) or \
            "<mailto:" not in lu:
        bad(path, "List-Unsubscribe: %r" % lu)
    if not re.match(r"^<[^<>@\s]+@[^<>@\s]+>$", str(msg.get("Message-ID"))):
        bad(path, "Message-ID: %r" % msg.get("Message-ID"))
    if not re.search(r"<[a-z0-9-]+\.[^>]+>", str(msg.get("List-Id", ""))):
        bad(path, "List-Id: %r" % msg.get("List-Id"))
    check_list_id(path, raw)
    if msg.get_content_type() != "multipart/alternative":
        bad(path, "Content-Type: %s" % msg.get_content_type())
        return
    parts = list(msg.iter_parts())
    types = [p.get_content_type() for p in parts]
    if types != ["text/plain", "text/html"]:
        bad(path, "parts: %s" % types)
        return
    for p in parts:
        if p.get_content_charset() != "utf-8":
            bad(path, "%s charset %s" % (p.get_content_type(),
                                         p.get_content_charset()))
        if p.get("Content-Transfer-Encoding", "").lower() != \
                "quoted-printable":
            bad(path, "%s not quoted-printable" % p.get_content_type())
    text = parts[0].get_content()
    for s in text_has:
        if s not in text:
            bad(path, "text part lacks %r" % s)
    if lesson:
        have = set(words(text))
        missing = [w for w in lesson_words(open(lesson).read())
                   if w not in have]
        if missing:
            bad(path, "text part lacks lesson words %s" % missing[:10])


def main(argv):
    text_has, lesson, files = [], None, []
    it = iter(argv)
    for a in it:
        if a == "--text-has":
            text_has.append(next(it))
        elif a == "--lesson":
            lesson = next(it)
        else:
            files.append(a)
    if not files:
        print("usage: check_eml.py [--text-has S] [--lesson F] FILE...")
        return 2
    for f in files:
        try:
            check(f, text_has, lesson)
        except Exception as e:          # the strict policy raises
            bad(f, "cannot parse: %s: %s" % (type(e).__name__, e))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
