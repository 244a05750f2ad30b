# smtp-sink.py: a loopback SMTP server for postdesk's tests that stores what it receives and misbehaves on request.
#
# Run with Debian's /usr/bin/python3 (it has aiosmtpd):
#   smtp-sink.py --dir DIR [--port N] [--tls CERT KEY] [--implicit-tls] [--auth] [--require-auth]
# Port 0 (the default) lets the kernel choose; the port is written to DIR/port once the
# socket listens, and the sink's pid to DIR/pid.  Each message lands in DIR/new as
# <n>.json (envelope) then <n>.eml (exact bytes after dot-unstuffing).  DIR/connections
# holds the number of connections accepted so far.
#
# Behaviour for tests:
#   recipient local part reject*   -> 550 5.1.1 at RCPT
#   recipient local part defer*    -> 451 4.3.0 at RCPT, every time
#   recipient local part greylist* -> 451 4.7.1 the first time per address, then accepted
#   recipient local part long*     -> a two-line 550 reply
#   sender local part reject*      -> 553 5.7.1 at MAIL
#   DIR/control, read when needed, one directive a line:
#     data 451 | data 554   the reply to the end of DATA
#     hang greeting         accept connections and never answer
#     hang data             take the message and never answer the end of DATA
#     max-messages N        after N messages on a connection, answer MAIL with 421 and close it
#     drop-after N          after N messages on a connection, close it when MAIL comes, silently
import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult

DATA_REPLIES = {
    "451": "451 4.3.0 Temporary failure, try again later",
    "554": "554 5.6.0 Message rejected by policy",
}


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Sink:
    def __init__(self, directory, auth):
        self.dir = directory
        self.auth = auth
        self.new = os.path.join(directory, "new")
        os.makedirs(self.new, exist_ok=True)
        names = [n for n in os.listdir(self.new) if n.endswith(".eml")]
        self.count = max([int(n.split(".")[0]) for n in names] or [0])
        self.connections = 0
        self.greylisted = set()

    def control(self):
        try:
            with open(os.path.join(self.dir, "control")) as f:
                return [line.split() for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def has(self, *directive):
        return any(tuple(words) == directive for words in self.control())

    def limit(self, name):
        for words in self.control():
            if len(words) == 2 and words[0] == name:
                return int(words[1])
        return None

    def data_reply(self):
        for words in self.control():
            if len(words) == 2 and words[0] == "data" and words[1] in DATA_REPLIES:
                return DATA_REPLIES[words[1]]
        return None

    def connected(self):
        self.connections += 1
        write_atomic(os.path.join(self.dir, "connections"), b"%d\n" % self.connections)
        return self.connections

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if not self.auth:  # aiosmtpd always offers AUTH; a sink without --auth must not
            responses = [r for r in responses if not r.startswith("250-AUTH")]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        limit = self.limit("max-messages")
        if limit is not None and server.messages >= limit:
            asyncio.get_running_loop().call_soon(server.transport.close)  # after the reply goes out
            return "421 4.7.0 sink.test Too many messages on this connection, closing"
        limit = self.limit("drop-after")
        if limit is not None and server.messages >= limit:
            server.transport.abort()  # as if the server timed out just as MAIL arrived
            await asyncio.sleep(3600)
        if address.split("@")[0].lower().startswith("reject"):
            return "553 5.7.1 <%s>: Sender address rejected" % address
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        if local.startswith("long"):
            return ("550-5.1.1 The email account that you tried to reach does not exist.\r\n"
                    "550 5.1.1 Please check <%s> for typos." % address)
        if local.startswith("defer"):
            return "451 4.3.0 <%s>: Temporary lookup failure" % address
        if local.startswith("greylist") and address not in self.greylisted:
            self.greylisted.add(address)
            return "451 4.7.1 <%s>: Greylisted, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.has("hang", "data"):
            await asyncio.sleep(3600)
        reply = self.data_reply()
        if reply:
            return reply
        self.count += 1
        base = os.path.join(self.new, str(self.count))
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth": session.auth_data.login.decode() if session.authenticated else None,
            "helo": session.host_name,
            "peer": list(session.peer),
            "connection_id": server.connection_id,
        }
        write_atomic(base + ".json", json.dumps(meta).encode())
        write_atomic(base + ".eml", envelope.original_content)
        server.messages += 1
        return "250 2.0.0 Ok: queued as %d" % self.count


class SinkSMTP(SMTP):
    async def _handle_client(self):
        self.connection_id = self.event_handler.connected()
        self.messages = 0
        if self.event_handler.has("hang", "greeting"):
            await asyncio.sleep(3600)
        await super()._handle_client()


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"tester" and auth_data.password == b"secret"
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def tls_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth", action="store_true")
    p.add_argument("--require-auth", action="store_true")
    a = p.parse_args()
    warnings.simplefilter("ignore")  # aiosmtpd warns about AUTH without TLS; tests want that
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    sink = Sink(a.dir, a.auth or a.require_auth)
    ctx = tls_context(*a.tls) if a.tls else None
    loop = asyncio.new_event_loop()

    def factory():
        return SinkSMTP(sink, hostname="sink.test", loop=loop,
                        tls_context=None if a.implicit_tls else ctx,
                        authenticator=authenticate if a.auth or a.require_auth else None,
                        auth_require_tls=False, auth_required=a.require_auth)

    server = loop.run_until_complete(loop.create_server(
        factory, "127.0.0.1", a.port, reuse_address=True, ssl=ctx if a.implicit_tls else None))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    write_atomic(os.path.join(a.dir, "pid"), b"%d\n" % os.getpid())
    write_atomic(os.path.join(a.dir, "port"), b"%d\n" % server.sockets[0].getsockname()[1])
    try:
        loop.run_forever()
    finally:
        server.close()
        for name in ("port", "pid"):
            os.unlink(os.path.join(a.dir, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
