# cli.sh: postdesk list, show and quarantine: exact text output and JSON that parses, with the clock pinned.
. "$top_srcdir/tests/lib.sh"
pd_setup
PY=/usr/bin/python3
json_get() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

export PD_NOW_USEC=1795424400000000   # 2026-11-23 09:00:00 UTC
printf 'From: =?UTF-8?B?0JDQvdC90LAg0J/QtdGC0YDQvtCy0LA=?= <Anna.Petrova@Example.ORG>\nTo: support@example.com\nCc: boss@example.org\nSubject: =?KOI8-R?B?8NLJztTF0iDOxSDSwcLP1MHF1A==?=\nMessage-ID: <p1@example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\n\nПринтер не работает.\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=scan.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n' | pd deliver 2>/dev/null
mail_text bob@example.com "VPN drops every hour" v1@example.com | pd deliver 2>/dev/null
export PD_NOW_USEC=1795431600000000   # two hours later

expected='ID      STATUS    AGE   REQUESTER                      SUBJECT
1000    new       2h    anna.petrova@example.org       Принтер не работает
1001    new       2h    bob@example.com                VPN drops every hour
2 tickets'
is "$(pd list)" "$expected" "list: exact text, requester lowercased, subject decoded from KOI8-R"
is "$(pd list --requester bob@EXAMPLE.com | tail -1)" "1 ticket" "list --requester (case-insensitive)"
is "$(pd list --status open | tail -1)" "0 tickets" "list --status filters"
is "$(pd list --json | json_get 'len(d)')" 2 "list --json is a JSON array of two"
is "$(pd list --json | json_get 'd[0]["subject"]')" "Принтер не работает" "list --json carries the decoded subject"
is "$(pd list --json | json_get 'd[0]["created"]')" "2026-11-23T09:00:00Z" "list --json times are ISO 8601 UTC"
is "$(pd list --json | json_get 'd[1]["age_seconds"]')" 7200 "list --json age follows the pinned clock"

show=$(pd show 1000)
like "$show" "^Ticket #1000: Принтер не работает" "show: title line"
like "$show" "Requester: Анна Петрова <anna.petrova@example.org>" "show: requester with decoded name"
like "$show" "Cc: boss@example.org" "show: Cc of the message"
like "$show" "Attachment: scan.pdf \(application/pdf, 9 B\)" "show: attachment name, type and size"
like "$show" "\| Принтер не работает\." "show: the body text"
like "$show" "#1 2026-11-23 09:00 UTC  created by anna.petrova@example.org" "show: the created event with actor and time"
is "$(pd show 1000 --json | json_get 'd["events"][0]["data"]["message"]["attachments"][0]["filename"]')" "scan.pdf" "show --json: events with the message"
is "$(pd show '#1001' --json | json_get 'd["requester"]')" "bob@example.com" "show accepts #N"
pd show 999 2>"$T/err"
is "$?" 1 "show of a missing ticket exits 1"
like "$(cat "$T/err")" "no ticket 999" "and says so"
like "$(pd explain '<p1@example.org>')" "<p1@example.org> is event #1 \(created by anna.petrova@example.org\) of ticket #1000" "explain names the ticket and event of a Message-ID"
like "$(pd explain p1@example.org)" "Threading: no reply token, no known Message-ID, no subject tag" "explain gives the threading reason"
pd explain nobody@example.org 2>"$T/err"
is "$?" 1 "explain of an unknown Message-ID exits 1"
like "$(cat "$T/err")" "no mail with Message-ID <nobody@example.org>" "and says so"
pd show abc 2>/dev/null
is "$?" 64 "show with a bad number is a usage error"

# Quarantine: list, show, JSON, release (over the size limit), drop.
printf '[limits]\nmax_message_size = 1K\n' >> "$CONF"
{ mail_text big@example.com "Huge log" big1@example.com; head -c 3000 /dev/zero | tr '\0' 'x'; echo; } | pd deliver 2>/dev/null
printf 'garbage\001\002 no headers here\n' | pd deliver 2>/dev/null
qlist=$(pd quarantine list)
like "$qlist" "^1 +too-large .*big@example.com +message is [0-9]+ bytes, the limit is 1024" "quarantine list: too-large with the reason"
like "$qlist" "^2 +no-headers" "quarantine list: no-headers"
is "$(pd quarantine list --json | json_get 'd[0]["cause"]')" "too-large" "quarantine list --json"
like "$(pd quarantine show 1)" "Raw: +.*/state/spool/raw/../[0-9a-f]{64}\.eml" "quarantine show names the raw file"
raw=$(pd quarantine show 1 --json | json_get 'd["spool"]')
ok "$(test -s "$T/state/spool/$raw"; echo $?)" "the raw bytes are kept in the spool"
out=$(pd quarantine release 1)
ok $? "release of the too-large message succeeds"
like "$out" "ticket #1002 created for big@example.com" "it becomes a ticket"
is "$(pd quarantine list | tail -1)" "1 quarantined" "and leaves the quarantine"
pd quarantine release 1 2>/dev/null
is "$?" 1 "releasing it again fails: no such entry"
out=$(pd quarantine drop 2)
like "$out" "dropped quarantine entry 2" "drop removes an entry"
is "$(pd quarantine list | tail -1)" "0 quarantined" "the quarantine is empty"
printf 'garbage\001\002 no headers here\n' | pd deliver 2>"$T/err"
like "$(cat "$T/err")" "duplicate of quarantine entry 2" "the dropped mail delivered again is recognised"
{ printf 'From: CRLF Sender <crlf@example.com>\r\nSubject: big with CRLF\r\n\r\n'; head -c 3000 /dev/zero | tr '\0' 'y'; } | pd deliver 2>/dev/null
like "$(pd quarantine list)" "too-large .*crlf@example.com" "a too-large CRLF mail still shows its sender"
pd quarantine frobnicate 2>/dev/null
is "$?" 64 "an unknown quarantine verb is a usage error"

done_testing
