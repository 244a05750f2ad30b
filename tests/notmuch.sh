# notmuch.sh: list threads from the shared corpus (LKML, missing parents, a reference loop) become tickets that follow their References.
. "$top_srcdir/tests/lib.sh"
CORPUS="${PD_SHARED:-$top_srcdir/../shared}/corpus/notmuch/corpora"
[ -d "$CORPUS" ] || skip_all "the shared corpus is not at $CORPUS (it needs ../shared beside the repository)"
pd_setup

/usr/bin/python3 - "$CORPUS" "$CONF" <<'PYEOF'
import email, email.policy, email.utils, json, os, re, subprocess, sys
corpus, conf = sys.argv[1], sys.argv[2]
files = []
for sub in ("lkml/cur", "default", "threading", "broken/loop"):
    for root, _, names in os.walk(os.path.join(corpus, sub)):
        files += [os.path.join(root, n) for n in names]
msgs = []
for f in files:
    raw = open(f, "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    mid = (m["Message-ID"] or "").strip().strip("<>")
    if not mid:
        continue
    refs = re.findall(r"<([^<>]+)>", (m["References"] or "") + " " + (m["In-Reply-To"] or ""))
    try:
        when = email.utils.parsedate_to_datetime(m["Date"]).timestamp()
    except Exception:
        when = 0
    msgs.append((when, f, mid, refs, raw))
msgs.sort(key=lambda x: (x[0], x[1]))
n = 0
fails = 0
def tap(ok, desc, diag=""):
    global n, fails
    n += 1
    print(("ok" if ok else "not ok"), n, "-", desc)
    if not ok:
        fails += 1
        print("#  ", diag)
def pd(*args):
    p = subprocess.run(["postdesk", "-c", conf] + list(args), capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()
delivered = set()
crashes = 0
for when, f, mid, refs, raw in msgs:
    p = subprocess.run(["postdesk", "-c", conf, "deliver"], input=raw, capture_output=True)
    if p.returncode != 0:
        crashes += 1
        print("#  deliver failed for", f, p.returncode, p.stderr.decode()[:200])
    delivered.add(mid)
tap(crashes == 0, "all %d messages delivered without a failure" % len(msgs))
ticket_of, links_of = {}, {}
for _, f, mid, _, _ in msgs:
    rc, out, _ = pd("explain", "--json", mid)
    if rc == 0:
        ticket_of[mid] = json.loads(out)["ticket"]
tickets = {t: json.loads(pd("show", "--json", str(t))[1]) for t in set(ticket_of.values())}
tap(len(ticket_of) >= len(delivered) - 2, "every message is on a ticket (%d of %d; duplicates of a Message-ID share)" % (len(ticket_of), len(delivered)))
# Each message with an earlier message among its references belongs to the
# ticket of the newest such one, or to a ticket linked to it (a sender who
# is not a participant gets a linked ticket of their own).
seen, good, bad = set(), 0, []
for _, f, mid, refs, _ in msgs:
    parents = [r for r in reversed(refs) if r in seen and r != mid]
    seen.add(mid)
    if not parents or mid not in ticket_of:
        continue
    pt, mt = ticket_of[parents[0]], ticket_of[mid]
    if mt == pt or pt in tickets[mt]["links"]:
        good += 1
    else:
        bad.append((os.path.basename(f), mt, pt))
tap(not bad, "%d replies follow their References to the parent's ticket or a ticket linked to it" % good, str(bad[:5]))
# The reference loop: two messages that name each other.
a, b = "mid-loop-12@example.org", "mid-loop-21@example.org"
tap(a in ticket_of and b in ticket_of and ticket_of[a] == ticket_of[b], "the reference loop ends up on one ticket, without a hang")
print("1..%d" % n)
sys.exit(1 if fails else 0)
PYEOF
