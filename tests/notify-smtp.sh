# notify-smtp.sh: notifications through a real SMTP server on loopback: bytes and envelope, down then up, 4xx then success, 5xx.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/smtp-sink.sh"
sink_available || skip_all "the SMTP test server needs /usr/bin/python3 with aiosmtpd (apt-get install python3-aiosmtpd)"
pd_setup
PY=/usr/bin/python3
SINK="$T/sink"
trap 'stop_sink "$SINK" 2>/dev/null; rm -rf "$T"' EXIT

# Reserve a port: start the sink once on port 0, keep the port, stop it.
start_sink "$SINK" 0 >/dev/null || skip_all "the SMTP test server did not start"
PORT=$(cat "$SINK/port")
stop_sink "$SINK"
cat >> "$CONF" <<CONF
smtp_url = smtp://127.0.0.1:$PORT
smtp_tls = none
retry_min = 1s
CONF
# The [notify] section is the first one in the test config: move the new keys into it.
"$PY" - "$CONF" <<'PYEOF'
import sys
p = sys.argv[1]; lines = open(p).read().split("\n")
extra = [l for l in lines if l.startswith(("smtp_url", "smtp_tls", "retry_min"))]
rest = [l for l in lines if l not in extra]
i = rest.index("[notify]") + 1
open(p, "w").write("\n".join(rest[:i] + extra + rest[i:]))
PYEOF
received() { ls "$SINK/new" 2>/dev/null | grep -c '\.eml$'; }
envelope() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["mail_from"], " ".join(d["rcpt_tos"]))' "$1"; }

# The server is down: the acknowledgement waits in the outbox with the reason.
mail_text anna@example.org "Printer on fire" p1@example.org | pd deliver 2>/dev/null
pdd --once 2>"$T/log"
like "$(pd outbox list)" "queued +ticket-created .*anna@example.org .*connect" "server down: the notification stays queued with the reason"
is "$(pd outbox show 1 --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["attempts"])')" 1 "one attempt was made"

# The server comes up: the next pass after the retry delay delivers it.
start_sink "$SINK" "$PORT" >/dev/null
sleep 1.3
pdd --once 2>/dev/null
like "$(pd outbox list)" "sent +ticket-created .*anna@example.org" "delivered once the server is up"
is "$(received)" 1 "the server received one message"
eml=$(ls "$SINK"/new/*.eml | head -1)
is "$(envelope "${eml%.eml}.json")" "support@example.com anna@example.org" "envelope: from the desk to the requester"
like "$(grep -a '^Subject:' "$eml")" "Subject: \[Support #1000\] Printer on fire" "the bytes as received carry the tag"
like "$(grep -a '^In-Reply-To:' "$eml")" "<p1@example.org>" "and the threading header"
is "$(grep -c 'Printer on fire' "$eml")" 1 "exactly one copy of the subject (no duplicate header)"

# 4xx then success (greylisting).
mail_text greylist-me@example.org "VPN" g1@example.org | pd deliver 2>/dev/null
pdd --once 2>/dev/null
like "$(pd outbox list)" "queued +ticket-created .*greylist-me@example.org .*451" "a 4xx keeps it queued with the server's reply"
sleep 1.3
pdd --once 2>/dev/null
like "$(pd outbox list)" "sent +ticket-created .*greylist-me@example.org" "and the next try delivers it"

# 5xx: failed for good, with the server's reply; nothing else is affected.
mail_text reject-me@example.org "Login" r1@example.org | pd deliver 2>/dev/null
pdd --once 2>/dev/null
like "$(pd outbox list --state failed)" "failed +ticket-created .*reject-me@example.org .*550" "a 5xx marks it failed with the server's reply"
like "$(pd outbox show 3 --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["rcpt_state"])')" "failed: 550" "per recipient"
is "$(ticket_count)" 3 "every mail still became a ticket"

# A requester name with CR/LF cannot inject a header.
printf 'From: "Eve\\r\\nBcc: victim@example.com" <eve@example.org>\nTo: support@example.com\nSubject: hi\nMessage-ID: <e1@example.org>\n\nhello\n' | pd deliver 2>/dev/null
pdd --once 2>/dev/null
eml=$(grep -la "^To: .*eve@example.org" "$SINK"/new/*.eml | head -1)
ok "$(test -n "$eml"; echo $?)" "the acknowledgement to a hostile name was sent"
is "$(grep -ac '^Bcc:' "$eml")" 0 "and has no injected Bcc header"
is "$(envelope "${eml%.eml}.json")" "support@example.com eve@example.org" "and goes only to the requester"

done_testing
