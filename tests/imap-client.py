#!/usr/bin/python3
# imap-client.py: the other side of the IMAP tests: append mail, count, list flags, recreate folders (STARTTLS, verified).
"""usage: imap-client.py --port P --ca CA.pem [--user U --password W] COMMAND ...

  append FOLDER FILE...            append each file (bytes as they are); prints "uid" per file
  generate FOLDER N PREFIX [RATE]  append N small mails with Message-ID <PREFIX-i@test>
                                   (RATE per second if given, else as fast as possible);
                                   prints "uid epoch-seconds" per mail, the moment APPEND returned
  count FOLDER                     number of messages (0 if the folder does not exist)
  flags FOLDER                     "uid flags" per message
  uidvalidity FOLDER
  recreate FOLDER                  delete the folder (and its mail) and create it empty
"""
import imaplib
import re
import ssl
import sys
import time


def connect(args):
    ctx = ssl.create_default_context(cafile=args["ca"])
    m = imaplib.IMAP4("localhost", int(args["port"]))
    m.starttls(ctx)
    m.login(args["user"], args["password"])
    return m


def mail(prefix, i):
    return (
        "From: Requester %d <user%d@example.org>\r\n"
        "To: support@example.com\r\n"
        "Subject: %s message %d\r\n"
        "Message-ID: <%s-%d@test>\r\n"
        "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n"
        "\r\n"
        "Hello,\r\nthis is message %d of %s.\r\n" % (i % 50, i % 50, prefix, i, prefix, i, i, prefix)
    ).encode()


def append(m, folder, data):
    typ, resp = m.append(folder, None, None, data)
    if typ != "OK":
        raise SystemExit("APPEND failed: %r" % resp)
    found = re.search(rb"APPENDUID \d+ (\d+)", resp[0] or b"")
    return found.group(1).decode() if found else "?"


def ensure(m, folder):
    if folder.upper() != "INBOX":
        m.create(folder)


def count(m, folder):
    typ, data = m.select(folder, readonly=True)
    return int(data[0]) if typ == "OK" else 0


def main(argv):
    args = {"user": "tester", "password": "secret"}
    while argv and argv[0].startswith("--"):
        args[argv[0][2:]] = argv[1]
        argv = argv[2:]
    m = connect(args)
    cmd, folder, rest = argv[0], argv[1], argv[2:]
    if cmd == "append":
        ensure(m, folder)
        for f in rest:
            print(append(m, folder, open(f, "rb").read()))
    elif cmd == "generate":
        ensure(m, folder)
        n, prefix = int(rest[0]), rest[1]
        gap = 1.0 / float(rest[2]) if len(rest) > 2 else 0
        start = time.time()
        for i in range(1, n + 1):
            uid = append(m, folder, mail(prefix, i))
            print(uid, "%.6f" % time.time(), flush=True)
            if gap:
                time.sleep(max(0, start + i * gap - time.time()))
    elif cmd == "count":
        print(count(m, folder))
    elif cmd == "flags":
        if count(m, folder) > 0:
            typ, data = m.uid("fetch", "1:*", "(FLAGS)")
            for line in data:
                found = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)", line)
                if found:
                    uid = found.group(1) or found.group(4)
                    flags = found.group(2) if found.group(1) else found.group(3)
                    print(uid.decode(), flags.decode())
    elif cmd == "uidvalidity":
        m.select(folder, readonly=True)
        print(m.untagged_responses.get("UIDVALIDITY", [b"0"])[0].decode())
    elif cmd == "recreate":
        m.delete(folder)
        m.create(folder)
    else:
        raise SystemExit(__doc__)
    m.logout()


if __name__ == "__main__":
    main(sys.argv[1:])
