#!/usr/bin/python3
# dkim_verify.py KEYS MESSAGE...: verify every DKIM-Signature of each
# message with dkimpy (python3-dkim), the public keys coming from KEYS (one
# "NAME TXT-TEXT" per line) instead of DNS.  Prints "FILE a=ALG pass|fail"
# per signature; exits 1 when any fails or a message has none.
import re
import sys

import dkim

keys = {}
for line in open(sys.argv[1], encoding="ascii"):
    name, txt = line.rstrip("\n").split(" ", 1)
    keys[name.rstrip(".").lower()] = txt.encode()


def dns(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    return keys.get(name.rstrip(".").lower())


ok = True
for path in sys.argv[2:]:
    msg = open(path, "rb").read()
    d = dkim.DKIM(msg)
    n = len(re.findall(rb"(?im)^DKIM-Signature:", msg.split(b"\r\n\r\n")[0]
                       if b"\r\n\r\n" in msg else msg.split(b"\n\n")[0]))
    if n == 0:
        print(path, "none")
        ok = False
    for i in range(n):
        try:
            good = d.verify(idx=i, dnsfunc=dns)
        except Exception as e:  # a broken signature is a failure
            good = False
        alg = re.search(rb"a=([a-z0-9-]+)", d.signature_fields.get(b"a", b"")
                        and b"a=" + d.signature_fields[b"a"] or b"a=?")
        print(path, "a=" + alg.group(1).decode(), "pass" if good else "fail")
        ok = ok and good
sys.exit(0 if ok else 1)
