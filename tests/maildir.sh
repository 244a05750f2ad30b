# maildir.sh: postdeskd --once over a Maildir: tickets, acknowledgement into cur/ with S, batches, dedupe.
. "$top_srcdir/tests/lib.sh"
pd_setup

for i in 1 2 3 4 5; do
	mail_text "user$i@example.com" "Question $i" "q$i@example.com" | maildir_put "170000000$i.M$i.host"
done
pdd --once 2>"$T/log"
ok $? "postdeskd --once exits 0"
is "$(ticket_count)" 5 "five mails, five tickets"
is "$(ls "$T/mail/new" | wc -l)" 0 "new/ is empty"
is "$(ls "$T/mail/cur" | sort | tr '\n' ' ')" "1700000001.M1.host:2,S 1700000002.M2.host:2,S 1700000003.M3.host:2,S 1700000004.M4.host:2,S 1700000005.M5.host:2,S " "each is in cur/ with the S flag"
is "$(grep -c 'ticket #[0-9]* created' "$T/log")" 5 "one summary line per message"
like "$(pd list)" "1000 +new .*user1@example.com +Question 1" "tickets in arrival order"

# A message put back into new/ (as after a crash before the rename) is a no-op.
cp "$T/mail/cur/1700000003.M3.host:2,S" "$T/mail/new/1700000003.M3.host"
pdd --once 2>"$T/log"
is "$(ticket_count)" 5 "a message seen before makes no second ticket"
like "$(cat "$T/log")" "duplicate of ticket #1002" "and is logged as a duplicate"
is "$(ls "$T/mail/new" | wc -l)" 0 "and is moved to cur/ again"

# Batches: 7 messages with batch_size 3 -> three commits, all processed.
printf '[ingest]\nbatch_size = 3\n' >> "$CONF"
for i in 1 2 3 4 5 6 7; do
	mail_text "b$i@example.com" "Batch $i" | maildir_put "180000000$i.M$i.host"
done
pdd --once 2>/dev/null
ok $? "a run with small batches exits 0"
is "$(ticket_count)" 12 "every message of every batch became a ticket"

# Two identical messages in the same batch: one ticket.
mail_text same@example.com "Twice" same@example.com | maildir_put 1900000001.M1.host
mail_text same@example.com "Twice" same@example.com | maildir_put 1900000002.M2.host
pdd --once 2>/dev/null
is "$(ticket_count)" 13 "the same mail twice in one batch makes one ticket"

# Transient trouble (the spool cannot take files): the run defers, the mail stays in new/.
mail_text later@example.com "Stays put" | maildir_put 1950000001.M1.host
mv "$T/state/spool/tmp" "$T/state/spool/tmp.away" && : > "$T/state/spool/tmp"
pdd --once 2>"$T/log"
is "$?" 75 "a spool failure defers the run (exit 75)"
is "$(ls "$T/mail/new")" "1950000001.M1.host" "and the mail stays in new/"
rm "$T/state/spool/tmp" && mv "$T/state/spool/tmp.away" "$T/state/spool/tmp"
pdd --once 2>/dev/null
is "$(ticket_count)" 14 "the next run takes it"

# A missing Maildir: the run is deferred (75) and says why.
printf '[source ghost]\npath = %s/nowhere\n' "$T" >> "$CONF"
pdd --once 2>"$T/log"
is "$?" 75 "a missing Maildir defers the run (exit 75)"
like "$(cat "$T/log")" "ghost: cannot read .*nowhere/new" "and the log names the source and the directory"

done_testing
