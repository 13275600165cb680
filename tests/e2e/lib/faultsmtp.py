#!/usr/bin/python3
"""faultsmtp.py - an SMTP server on 127.0.0.1 that misbehaves on purpose.

usage: faultsmtp.py --dir DIR [--mode MODE] [--times N] [--delay S]
                    [--reply LINE] [--cert FILE --key FILE]
                    [--auth USER:PASS]

Modes: ok, greet421, rcpt451, rcpt452, rcpt550, data554, drop (the
connection closes after the message data, before the reply), stall (no
reply to the data, ever), quitstall (messages accepted, no reply to QUIT,
ever), slow (--delay seconds before each 250), mail, rcpt, eod (MAIL
FROM, RCPT TO or the message data refused with --reply).  With
--times N only the first N occasions misbehave, later ones are accepted.
Every accepted message is written to DIR/NNNNNN.eml (tmp, then rename),
starting with X-Envelope-From and X-Envelope-To lines.  The bound port is
printed on stdout once the server listens (the readiness signal).
"""
import argparse
import asyncio
import itertools
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult

args = None
faults = itertools.count()
seq = itertools.count(1)


def fault():
    """True while this occasion should misbehave."""
    n = next(faults)
    return args.times is None or n < args.times


class FaultSMTP(SMTP):
    async def _handle_client(self):
        if args.mode == "greet421" and fault():
            await self.push("421 4.3.2 Service not available, try later")
            self.transport.close()
            return
        return await super()._handle_client()

    async def smtp_QUIT(self, arg):
        if args.mode == "quitstall":
            await asyncio.sleep(3600)
        return await super().smtp_QUIT(arg)


class Handler:
    async def handle_MAIL(self, server, session, envelope, address, options):
        if args.mode == "mail" and fault():
            return args.reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        replies = {
            "rcpt451": "451 4.3.0 Temporary failure, try again",
            "rcpt452": "452 4.5.3 Too many recipients",
            "rcpt550": "550 5.1.1 <%s>: Recipient address rejected: "
                       "User unknown" % address,
        }
        if args.mode == "rcpt" and fault():
            return args.reply
        if args.mode in replies and fault():
            return replies[args.mode]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if args.mode == "data554" and fault():
            return "554 5.7.1 Message content rejected"
        if args.mode == "eod" and fault():
            return args.reply
        if args.mode == "drop" and fault():
            server.transport.abort()
            return "250 2.0.0 never seen"
        if args.mode == "stall" and fault():
            await asyncio.sleep(3600)
        if args.mode == "slow":
            await asyncio.sleep(args.delay)
        n = next(seq)
        path = os.path.join(args.dir, "%06d.eml" % n)
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (
            envelope.mail_from, ",".join(envelope.rcpt_tos))
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Ok: queued as %06d" % n


def authenticator(server, session, envelope, mechanism, auth_data):
    user, password = args.auth.split(":", 1)
    ok = (auth_data.login.decode() == user and
          auth_data.password.decode() == password)
    return AuthResult(success=ok, handled=False)


async def main():
    loop = asyncio.get_running_loop()
    kw = {}
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        kw["tls_context"] = ctx
        kw["require_starttls"] = True
    if args.auth:
        kw["authenticator"] = authenticator
        kw["auth_require_tls"] = bool(args.cert)
    else:
        kw["auth_required"] = False
    handler = Handler()
    server = await loop.create_server(
        lambda: FaultSMTP(handler, hostname="fault.test",
                          data_size_limit=None, **kw),
        "127.0.0.1", args.port)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", default="ok")
    p.add_argument("--times", type=int)
    p.add_argument("--delay", type=float, default=1.0)
    p.add_argument("--reply", default="550 5.7.1 Refused")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
