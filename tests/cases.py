#!/usr/bin/python3
"""Run the conversation cases in tests/cases/ and print TAP.

A case is a directory: an optional case.conf (appended to the test config),
an optional agents.conf, and steps NN.eml, each with NN.expect. For each
step the mail is delivered (postdesk deliver), the daemon makes one pass
(postdeskd --once, which sends notifications into a Maildir), and every
line of NN.expect is checked. Mails may name what postdesk sent before:

  {{msgid:N}}       the Message-ID (without <>) of outbox job N
  {{replyto:N}}     the Reply-To address of outbox job N
  {{subject:N}}     the Subject of outbox job N
  {{token:N}}       the token alone from the Reply-To of outbox job N

Expectations, one per line (# comments):

  outcome KIND              what the delivery became: created, follow-up, duplicate, quarantined, dropped
  tickets N                 how many tickets exist
  status T S                ticket T has status S
  events T A,B,C            the event types of ticket T, in order
  event T TYPE FIELD~TEXT   ticket T has an event TYPE whose data FIELD contains TEXT
  tag T TAG / no-tag T TAG
  link T U                  ticket T is linked to U
  watcher T ADDR
  assignee T ADDR|none
  priority T P / queue T Q / subject T TEXT
  sent KIND TO              a notification KIND to TO was queued by this step
  not-sent KIND TO
  nothing-sent              this step queued no notification
  sent-contains KIND TO TEXT   its message contains TEXT
  sent-lacks KIND TO TEXT      its message does not contain TEXT
  count T TYPE N            ticket T has exactly N events of TYPE (exactly once)
  event-at T TYPE INSTANT   ticket T's (first) event TYPE happened at INSTANT (2026-03-02T09:00:00Z)
  sla T TARGET STATE        postdesk sla explain: the clock TARGET (first-response, next-reply,
                            resolution) is in STATE (running, paused, met, stopped)
  sla-field T TARGET FIELD VALUE   ... and its JSON FIELD (due, used_seconds, breached, ...) is VALUE
  next-action T INSTANT     the scheduler's next instant for ticket T (or none)

Time: a step NN.at holds the instant the step happens at (the clock of
every command of the step, through PD_NOW_USEC); a step NN.tick instead of
NN.eml delivers nothing: at the instant it holds, the daemon makes one pass
(postdeskd --once), which does the scheduler's due actions. Each step is a
new process, so a tick after a due time is also a restart before the action.
"""
import datetime, email, email.policy, json, os, re, shutil, subprocess, sys, tempfile

TOP = os.environ.get("top_srcdir", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
n_tests = 0
failed = 0


def tap(ok, desc, diag=None):
    global n_tests, failed
    n_tests += 1
    print(("ok" if ok else "not ok"), n_tests, "-", desc)
    if not ok:
        failed += 1
        for line in (diag or "").splitlines()[:15]:
            print("#  ", line)


class Desk:
    def __init__(self, case_dir):
        self.dir = tempfile.mkdtemp(prefix="pd-case-")
        self.conf = os.path.join(self.dir, "postdesk.conf")
        os.makedirs(os.path.join(self.dir, "mail", "new"))
        extra = ""
        if os.path.exists(os.path.join(case_dir, "case.conf")):
            extra = open(os.path.join(case_dir, "case.conf")).read()
        agents = ""
        if os.path.exists(os.path.join(case_dir, "agents.conf")):
            shutil.copy(os.path.join(case_dir, "agents.conf"), os.path.join(self.dir, "agents.conf"))
            agents = "agents = agents.conf\n"
        with open(self.conf, "w") as f:
            f.write("[store]\ndir = state\n\n[notify]\naddress = support@example.com\n"
                    "templates = %s/templates\n\n[tickets]\n%s\n%s\n" % (TOP, agents, extra))
        self.env = dict(os.environ, PD_NOW_USEC="")

    def run(self, args, stdin=None):
        p = subprocess.run(args, input=stdin, capture_output=True, env=self.env)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def at(self, instant):
        """Pin the clock of the commands that follow (None: the real clock)."""
        if instant is None:
            self.env["PD_NOW_USEC"] = ""
            return
        t = datetime.datetime.fromisoformat(instant.strip().replace("Z", "+00:00"))
        self.env["PD_NOW_USEC"] = str(int(t.timestamp()) * 1000000)

    def pd(self, *args):
        return self.run(["postdesk", "-c", self.conf] + list(args))

    def json(self, *args):
        rc, out, err = self.pd(*args, "--json")
        if rc != 0:
            raise RuntimeError("postdesk %s: %s" % (" ".join(args), err))
        return json.loads(out)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def outbox_message(desk, job_id):
    job = desk.json("outbox", "show", str(job_id))
    text = job.get("message")
    if text is None:  # not rendered yet: render by a pass of the daemon
        desk.run(["postdeskd", "-c", desk.conf, "--once"])
        job = desk.json("outbox", "show", str(job_id))
        text = job.get("message", "")
    return job, email.message_from_string(text, policy=email.policy.default)


def substitute(desk, raw):
    def repl(m):
        kind, n = m.group(1), int(m.group(2))
        job, msg = outbox_message(desk, n)
        if kind == "msgid":
            return job["message_id"]
        if kind == "replyto":
            return msg["Reply-To"].addresses[0].addr_spec
        if kind == "subject":
            return str(msg["Subject"])
        if kind == "token":
            return msg["Reply-To"].addresses[0].addr_spec.split("@")[0].rsplit("-", 1)[1]
        return m.group(0)
    return re.sub(r"\{\{(msgid|replyto|subject|token):(\d+)\}\}", repl, raw)


def check(desk, line, outcome, new_jobs):
    w = line.split()
    tickets = {t["id"]: t for t in desk.json("list")}

    def ticket(tid):
        return desk.json("show", tid)

    def job_for(kind, to):
        for j in new_jobs:
            if j["kind"] == kind and to in j["rcpts"]:
                return j
        return None

    k = w[0]
    if k == "outcome":
        return outcome == w[1], "outcome was %s" % outcome
    if k == "tickets":
        return len(tickets) == int(w[1]), "tickets: %s" % sorted(tickets)
    if k in ("status", "priority", "queue"):
        t = ticket(w[1])
        return t[k] == w[2], "%s is %s" % (k, t[k])
    if k == "subject":
        t = ticket(w[1])
        want = line.split(None, 2)[2]
        return t["subject"] == want, "subject is %r" % t["subject"]
    if k == "events":
        got = ",".join(e["type"] for e in ticket(w[1])["events"])
        return got == w[2], "events: %s" % got
    if k == "event":
        field, text = w[3].split("~", 1) if "~" in w[3] else (w[3], "")
        text = " ".join([text] + w[4:]).strip()
        for e in ticket(w[1])["events"]:
            if e["type"] == w[2] and text in json.dumps(e["data"].get(field, ""), ensure_ascii=False):
                return True, ""
        return False, json.dumps([(e["type"], e["data"]) for e in ticket(w[1])["events"]], ensure_ascii=False)[:2000]
    if k in ("tag", "no-tag"):
        has = w[2] in ticket(w[1])["tags"]
        return has == (k == "tag"), "tags: %s" % ticket(w[1])["tags"]
    if k == "link":
        return int(w[2]) in ticket(w[1])["links"], "links: %s" % ticket(w[1])["links"]
    if k == "watcher":
        return w[2] in ticket(w[1])["watchers"], "watchers: %s" % ticket(w[1])["watchers"]
    if k == "assignee":
        a = ticket(w[1]).get("assignee") or "none"
        return a == w[2], "assignee: %s" % a
    if k == "count":
        n = sum(1 for e in ticket(w[1])["events"] if e["type"] == w[2])
        return n == int(w[3]), "%d events %s" % (n, w[2])
    if k == "event-at":
        times = [e["time"] for e in ticket(w[1])["events"] if e["type"] == w[2]]
        return times[:1] == [w[3]], "%s at %s" % (w[2], times)
    if k in ("sla", "sla-field", "next-action"):
        x = desk.json("sla", "explain", w[1])
        if k == "next-action":
            got = x.get("next_action_at") or "none"
            return got == w[2], json.dumps(x, ensure_ascii=False)[:2000]
        clock = [c for c in x["clocks"] if c["target"] == w[2]]
        if not clock:
            return False, "no clock %s: %s" % (w[2], json.dumps(x)[:1500])
        field, want = ("state", w[3]) if k == "sla" else (w[3], w[4])
        got = clock[0].get(field)
        got = "none" if got is None else str(got).lower() if isinstance(got, bool) else str(got)
        return got == want, "%s is %s: %s" % (field, got, json.dumps(clock[0])[:1500])
    if k in ("sent", "not-sent"):
        j = job_for(w[1], w[2])
        return (j is not None) == (k == "sent"), "new jobs: %s" % [(j["kind"], j["rcpts"]) for j in new_jobs]
    if k == "nothing-sent":
        return not new_jobs, "new jobs: %s" % [(j["kind"], j["rcpts"]) for j in new_jobs]
    if k in ("sent-contains", "sent-lacks"):
        j = job_for(w[1], w[2])
        if j is None:
            return False, "no %s to %s" % (w[1], w[2])
        _, msg = outbox_message(desk, j["id"])
        body = msg.get_body(("plain",)).get_content() if msg.is_multipart() else msg.get_content()
        text = " ".join(w[3:])
        found = text in str(msg["Subject"]) + "\n" + body
        return found == (k == "sent-contains"), body[:1500]
    return False, "unknown expectation: %s" % line


def run_case(case_dir):
    name = os.path.basename(case_dir)
    desk = Desk(case_dir)
    try:
        steps = sorted(os.path.splitext(f)[0] for f in os.listdir(case_dir) if f.endswith((".eml", ".tick")))
        for step in steps:
            at = os.path.join(case_dir, step + ".at")
            tick = os.path.join(case_dir, step + ".tick")
            desk.at(open(tick if os.path.exists(tick) else at).read() if os.path.exists(tick) or os.path.exists(at) else None)
            if os.path.exists(tick):
                before = {j["id"] for j in desk.json("outbox", "list")}
                rc, _, err = desk.run(["postdeskd", "-c", desk.conf, "--once"])
                tap(rc == 0, "%s/%s: a pass of the daemon" % (name, step), err)
                new_jobs = [j for j in desk.json("outbox", "list") if j["id"] not in before]
                expectations(desk, case_dir, name, step, "tick", new_jobs)
                continue
            try:
                raw = substitute(desk, open(os.path.join(case_dir, step + ".eml"), encoding="utf-8").read())
            except Exception as e:  # a placeholder naming a job that does not exist
                tap(False, "%s/%s: placeholders" % (name, step), repr(e))
                break
            before = {j["id"] for j in desk.json("outbox", "list")}
            rc, _, err = desk.run(["postdesk", "-c", desk.conf, "deliver"], raw.encode("utf-8"))
            m = re.search(r">: (ticket #\d+ created|reply|duplicate|quarantined|dropped|automatic reply|[a-z-]+)", err)
            outcome = "?"
            for kind, pat in (("created", "created for"), ("duplicate", "duplicate of"), ("quarantined", "quarantined as"),
                              ("dropped", "dropped:"), ("follow-up", " on ticket #")):
                if pat in err:
                    outcome = kind
                    break
            tap(rc == 0, "%s/%s: delivered" % (name, step), err)
            desk.run(["postdeskd", "-c", desk.conf, "--once"])
            new_jobs = [j for j in desk.json("outbox", "list") if j["id"] not in before]
            expectations(desk, case_dir, name, step, outcome, new_jobs)
    finally:
        desk.cleanup()


def expectations(desk, case_dir, name, step, outcome, new_jobs):
    for line in open(os.path.join(case_dir, step + ".expect"), encoding="utf-8"):
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("sent-") else line.strip()
        if not line:
            continue
        try:
            ok, diag = check(desk, line, outcome, new_jobs)
        except Exception as e:  # a broken expectation is a failure, with its reason
            ok, diag = False, repr(e)
        tap(ok, "%s/%s: %s" % (name, step, line), diag)


def main():
    root = os.path.join(TOP, "tests", "cases")
    for case in sorted(os.listdir(root)):
        if os.path.isdir(os.path.join(root, case)):
            run_case(os.path.join(root, case))
    print("1..%d" % n_tests)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
