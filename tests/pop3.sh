# pop3.sh: POP3 sources against a real Dovecot: STLS and implicit TLS, the UIDL ledger, DELE only after the commit, keep on server, refusals.
. "$top_srcdir/tests/imap-lib.sh"

write_conf() {  # write_conf [tls] [port] [host] [extra line]
	cat > "$CONF" <<CONF
[store]
dir = state
[limits]
max_message_size = 4K
[daemon]
poll_interval = 300ms
[notify]
address = support@example.com
templates = $top_srcdir/templates
[source pop]
type = pop3
host = ${3:-localhost}
port = ${2:-$DOVECOT_POP3_PORT}
tls = ${1:-starttls}
ca_file = $DOVECOT_CA
user = $DOVECOT_USER
password_file = password
queue = support
${4:-}
CONF
}
write_conf
inbox() { imapc count INBOX; }

# ---- one session: STLS, RETR, commit, DELE, QUIT ----
imapc generate INBOX 3 pop >/dev/null
pdd --once 2>"$T/log"
ok $? "postdeskd --once reads the POP3 mailbox and exits 0"
is "$(ticket_count)" 3 "three mails, three tickets"
is "$(inbox)" 0 "each was deleted after the commit (DELE, then QUIT)"
like "$(cat "$T/log")" "<pop-1@test>: ticket #1000 created .*\(pop [0-9a-f]{16}," "the summary names the UIDL"

# ---- implicit TLS ----
write_conf implicit "$DOVECOT_POP3S_PORT"
imapc generate INBOX 1 implicit >/dev/null
pdd --once 2>/dev/null
ok $? "implicit TLS (pop3s) works too"
is "$(ticket_count)/$(inbox)" "4/0" "and takes the mail"

# ---- DELE only after the commit ----
write_conf
imapc generate INBOX 1 defer >/dev/null
mv "$T/state/spool/tmp" "$T/state/spool/tmp.away" && : > "$T/state/spool/tmp"
pdd --once 2>/dev/null
is "$?" 75 "a commit that cannot happen defers the run (exit 75)"
is "$(inbox)" 1 "and the mail stays on the server"
rm "$T/state/spool/tmp" && mv "$T/state/spool/tmp.away" "$T/state/spool/tmp"
pdd --once 2>/dev/null
is "$(ticket_count)/$(inbox)" "5/0" "the next run takes it and deletes it"

# ---- keep on the server: the ledger remembers ----
write_conf starttls "$DOVECOT_POP3_PORT" localhost "keep = true"
imapc generate INBOX 2 keep >/dev/null
pdd --once 2>"$T/log"
is "$(ticket_count)/$(inbox)" "7/2" "keep = true: tickets made, mail left on the server"
pdd --once 2>"$T/log"
is "$(ticket_count)" 7 "a second run makes no ticket"
is "$(grep -c '<keep-' "$T/log")" 0 "and does not even fetch them again (the UIDL ledger)"

# Committed but not deleted (as after a crash before QUIT): deleted now, not taken again.
write_conf
pdd --once 2>"$T/log"
is "$(ticket_count)/$(inbox)" "7/0" "keep = false again: the recorded mails are deleted, not taken twice"
like "$(cat "$T/log")" "pop: 2 message\(s\) were recorded before but not deleted; deleting them now" "and the log says so"

# ---- the size limit ----
{
	printf 'From: big@example.org\r\nTo: support@example.com\r\nSubject: Too big\r\nMessage-ID: <big@test>\r\n\r\n'
	for i in $(seq 1 200); do printf 'line %03d of a message that is far over the limit of four kilobytes\r\n' "$i"; done
} > "$T/big.eml"
imapc append INBOX "$T/big.eml" >/dev/null
pdd --once 2>/dev/null
like "$(pd quarantine list)" "too-large .*big@example.org" "a message over the limit is quarantined as too-large"
is "$(inbox)" 0 "and deleted from the server (its bytes are in the quarantine)"

# ---- refusals ----
imapc generate INBOX 1 refused >/dev/null
write_conf starttls "$DOVECOT_POP3_PORT" 127.0.0.2
pdd --once 2>"$T/log"
is "$?" 75 "a self-signed certificate defers the run"
like "$(cat "$T/log")" "pop: refusing to log in to 127.0.0.2: certificate not trusted: the certificate is self-signed" "with a clear reason"
write_conf starttls "$DOVECOT_POP3_PORT" localhost
printf 'wrong\n' > "$T/password"
pdd --once 2>"$T/log"
like "$(cat "$T/log")" "pop: login as tester at localhost refused" "a wrong password is named as such"
printf '%s\n' "$DOVECOT_PASSWORD" > "$T/password"
is "$(inbox)" 1 "the mail stays on the server"

# ---- the daemon polls ----
start_pdd
wait_for 30 eval '[ "$(inbox)" -eq 0 ]'
ok $? "the daemon takes what is waiting"
imapc generate INBOX 1 polled >/dev/null
wait_for 30 grep -q '<polled-1@test>: ticket' "$T/daemon.log"
ok $? "and new mail at the next poll"
stop_pdd
is "$PDD_STATUS" 0 "SIGTERM: the daemon exits 0"
is "$(ticket_count)" 9 "every mail became exactly one ticket"

done_testing
