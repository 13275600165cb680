#!/usr/bin/python3
"""token.py KEYFILE PURPOSE SUBSCRIBER [EXTRA]: print a dripmail token.

The layout of include/token.h, written again so the tests do not trust the
code they test: purpose (1 byte) | subscriber (8, big endian) | extra (8) |
the first 16 bytes of HMAC-SHA256(key, those 17 bytes), base64url without
padding.  PURPOSE is u (unsubscribe), v (VERP) or s (signup; EXTRA is its
created_at).
"""
import base64, hashlib, hmac, struct, sys

key = open(sys.argv[1], "rb").read()
raw = sys.argv[2].encode() + struct.pack(">qq", int(sys.argv[3]),
                                         int(sys.argv[4]) if len(sys.argv) > 4 else 0)
raw += hmac.new(key, raw, hashlib.sha256).digest()[:16]
print(base64.urlsafe_b64encode(raw).decode().rstrip("="))
