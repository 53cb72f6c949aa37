#!/usr/bin/python3
"""SMTP sink for wfstore's tests: a real aiosmtpd SMTP server on loopback.

It accepts every message (except for recipients whose local part starts with
"reject", which get a 550 so tests can exercise a refused recipient) and
records each one:

  * a line in --messages (JSON lines), with the envelope sender, recipients,
    the authenticated user (or null), the peer and the raw message (as text
    and as base64, the latter byte-exact);
  * the raw message as <--spool>/<n>.eml.

AUTH PLAIN and LOGIN are offered without TLS (loopback only) and checked
against --user/--password; with --auth-required a client must authenticate
before MAIL FROM. The listening port is chosen by the kernel (port 0 unless
--port says otherwise) and written to --port-file once the socket is bound.

Started and stopped by scripts/testenv/start and stop; run it with Debian's
python3 (/usr/bin/python3), where python3-aiosmtpd is installed.
"""
import argparse
import asyncio
import base64
import datetime
import json
import logging
import os
import signal
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, messages_path, spool_dir):
        self.messages_path = messages_path
        self.spool_dir = spool_dir
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@", 1)[0].lower().startswith("reject"):
            return "550 5.1.1 Recipient rejected by wfs-testenv"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        eml = os.path.join(self.spool_dir, "%06d.eml" % self.count)
        with open(eml, "wb") as f:
            f.write(raw)
        user = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            user = session.auth_data.login.decode("utf-8", "replace")
        record = {
            "seq": self.count,
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "peer": list(session.peer) if session.peer else None,
            "helo": session.host_name,
            "auth_user": user,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": raw.decode("utf-8", "replace"),
            "data_b64": base64.b64encode(raw).decode("ascii"),
            "file": eml,
        }
        # One write of one line, flushed at once: readers see whole records.
        with open(self.messages_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 2.0.0 OK: queued as wfs-%d" % self.count


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--messages", required=True, help="JSON lines file")
    ap.add_argument("--spool", required=True, help="folder for <n>.eml files")
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--auth-required", action="store_true")
    ap.add_argument("--hostname", default="wfs-testenv.localhost")
    args = ap.parse_args()

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    os.makedirs(args.spool, exist_ok=True)
    open(args.messages, "a").close()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and args.user and
              auth_data.login == args.user.encode() and
              auth_data.password == args.password.encode())
        return AuthResult(success=bool(ok), handled=False, auth_data=auth_data)

    sink = Sink(args.messages, args.spool)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        return SMTP(sink, hostname=args.hostname, enable_SMTPUTF8=True,
                    authenticator=authenticator if args.user else None,
                    auth_required=args.auth_required, auth_require_tls=False,
                    loop=loop)

    server = loop.run_until_complete(
        loop.create_server(factory, host=args.host, port=args.port))
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)
    logging.info("wfs-testenv SMTP sink listening on %s:%d", args.host, port)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
        logging.info("wfs-testenv SMTP sink stopped")


if __name__ == "__main__":
    main()
