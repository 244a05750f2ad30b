# notify.sh: acknowledgements and agent notices end to end: headers, threading, the loop guard, rate limits, the outbox CLI.
. "$top_srcdir/tests/lib.sh"
pd_setup
PY=/usr/bin/python3
cat >> "$CONF" <<CONF
[queue support]
agents = agent@example.com
CONF
sent() { ls "$T/state/sent/new" 2>/dev/null | wc -l; }
header() {  # header FILE NAME: the decoded value of a header
	"$PY" -c 'import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); print(m[sys.argv[2]] or "")' "$1" "$2"
}
ack_for() { grep -l "^To: .*$1" "$T"/state/sent/new/* | head -1; }

mail_text anna@example.org "Printer on fire" p1@example.org | maildir_put 1.M1.host
pdd --once 2>"$T/log"
ok $? "postdeskd --once ingests and notifies"
is "$(sent)" 2 "an acknowledgement and an agent notice were sent"
ack=$(ack_for anna@example.org)
is "$(header "$ack" Subject)" "[Support #1000] Printer on fire" "ack: subject with the ticket tag"
is "$(header "$ack" In-Reply-To)" "<p1@example.org>" "ack: In-Reply-To the requester's mail"
like "$(header "$ack" Reply-To)" "support\+1000-[a-z2-7]{16}@example.com" "ack: Reply-To carries the ticket token"
like "$(header "$ack" Message-ID)" "^<pd\.1000\.1\.0\.[a-z2-7]{12}@example.com>$" "ack: our signed Message-ID"
is "$(header "$ack" Auto-Submitted)" "auto-replied" "ack: Auto-Submitted: auto-replied"
ok "$(grep -c $'\r$' "$ack" >/dev/null; test "$(grep -vc $'\r$' "$ack")" -eq 0; echo $?)" "ack: every line ends in CRLF"
agent=$(ack_for agent@example.com)
like "$(header "$agent" Subject)" "^\[Support #1000\] New ticket in support: Printer on fire" "agent notice to the queue's agent"
like "$(cat "$agent")" "this is about Printer on fire" "the agent notice carries the mail's text"
like "$(pd outbox list)" "sent +ticket-created +1000 .*anna@example.org" "outbox list shows the sent acknowledgement"
is "$(pd outbox list --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2 "outbox list --json"
like "$(pd outbox show 1)" "State: +sent" "outbox show: state"
like "$(pd outbox show 1 --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["message"])')" "Subject: \[Support #1000\]" "outbox show --json carries the message"

# Our own notification fed back in (a forwarding loop): recognised and dropped.
cp "$ack" "$T/mail/tmp/ours" && mv "$T/mail/tmp/ours" "$T/mail/new/2.M2.host"
pdd --once 2>"$T/log"
like "$(cat "$T/log")" "dropped: our own notification came back" "our own mail coming back is dropped"
is "$(ticket_count)" 1 "and opens no ticket"
is "$(sent)" 2 "and sends nothing"

# Machine addresses are never answered.
mail_text noreply@shop.example "Your order shipped" n1@shop.example | maildir_put 3.M3.host
pdd --once 2>/dev/null
is "$(sent)" 3 "a mail from noreply@ gets no acknowledgement (only the agent notice)"
like "$(pd show 1001)" "notification-suppressed by system" "the suppression is in the ticket's history"
like "$(pd show 1001 --json | "$PY" -c 'import json,sys; print([e["data"]["reason"] for e in json.load(sys.stdin)["events"] if e["type"]=="notification-suppressed"][0])')" "no-reply address" "with its reason"

# An autoresponder that answers every acknowledgement, without Auto-Submitted:
# each answer opens a ticket (threading is not there yet) and the rate limit bounds the exchange.
for round in $(seq 1 15); do
	mail_text bot@robot.example "Re: we got your mail $round" "bot$round@robot.example" | maildir_put "4$round.M4.host"
	pdd --once 2>/dev/null
done
acks=$(grep -l "^To: .*bot@robot.example" "$T"/state/sent/new/* | wc -l)
is "$acks" 10 "15 mails from an autoresponder get 10 acknowledgements (notify.ack_per_hour)"
like "$(pd show 1016)" "notification-suppressed" "the 11th and later are suppressed"
is "$(grep -l "^To: .*agent@example.com" "$T"/state/sent/new/* | wc -l)" 17 "the agent still got every new-ticket notice"
like "$(pd show 1016 --json | "$PY" -c 'import json,sys; print([e["data"]["reason"] for e in json.load(sys.stdin)["events"] if e["type"]=="notification-suppressed"][0])')" "rate limit: too many to this address in the last hour" "by the rate limit"

# The same autoresponder marking its mail as automatic (RFC 3834): never answered at all.
for round in $(seq 1 5); do
	{ printf 'Auto-Submitted: auto-replied\n'; mail_text robot@auto.example "Automatic reply: we got your mail $round" "auto$round@auto.example"; } | maildir_put "6$round.M6.host"
	pdd --once 2>/dev/null
done
is "$(grep -l "^To: .*robot@auto.example" "$T"/state/sent/new/* 2>/dev/null | wc -l)" 0 "an autoresponder that says Auto-Submitted gets no acknowledgement at all"
like "$(pd list --requester robot@auto.example --json | /usr/bin/python3 -c 'import json,subprocess,sys; t=json.load(sys.stdin)[0]["id"]; print(t)' | xargs -I{} postdesk -c "$CONF" show {})" "the mail was sent automatically" "the suppression names the reason"

# A template that cannot render fails that notification, never the ticket.
mkdir -p "$T/tpl/en"
printf 'Subject: {{ticket.subject}}\n\n{{no.such.variable}}\n' > "$T/tpl/en/ticket-created.txt"
sed -i "s|^templates = .*|templates = $T/tpl|" "$CONF"
mail_text carol@example.org "Broken template" b1@example.org | maildir_put 5.M5.host
pdd --once 2>/dev/null
ok $? "the run succeeds although the template fails"
like "$(pd list)" "carol@example.org +Broken template" "the ticket was created"
failed=$(pd outbox list --state failed)
like "$failed" "failed +ticket-created .*carol@example.org .*no.such.variable" "the notification failed with the reason"
id=$(pd outbox list --state failed --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
printf 'Subject: {{ticket.subject}}\n\nFixed: {{requester.name}}\n' > "$T/tpl/en/ticket-created.txt"
pd outbox retry "$id" >/dev/null
ok $? "after the template is fixed, the failed notification can be retried"
pdd --once 2>/dev/null
like "$(pd outbox show "$id")" "Fixed: carol@example.org" "and is rendered with the fixed template and sent"
pd outbox retry 1 >/dev/null
ok $? "retrying a sent notification queues it again"
pdd --once 2>/dev/null
like "$(pd outbox show 1)" "Attempts: 2" "and it is sent once more"

done_testing
