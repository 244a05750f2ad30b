# deliver.sh: `postdesk deliver` exit codes: 0 after the commit, 75 on transient trouble, quarantine is 0.
. "$top_srcdir/tests/lib.sh"
pd_setup

mail_text anna@example.com "Invoice 4471203" m1@example.com > "$T/m1.eml"
pd deliver < "$T/m1.eml" 2>"$T/err"
ok $? "a good message is accepted (exit 0)"
is "$(ticket_count)" 1 "it became a ticket"
like "$(cat "$T/err")" "ticket #1000 created for anna@example.com" "the summary line names the ticket"

pd deliver < "$T/m1.eml" 2>"$T/err"
ok $? "the same message again is accepted (exit 0)"
is "$(ticket_count)" 1 "and is a no-op: still one ticket"
like "$(cat "$T/err")" "duplicate of ticket #1000" "the summary says duplicate"

# The same mail delivered through a second alias: new trace headers on top.
{ printf 'Received: from mx2.example.com by mail.example.com; Mon, 23 Nov 2026 09:00:05 +0000\nDelivered-To: billing@example.com\n'; cat "$T/m1.eml"; } | pd deliver 2>/dev/null
ok $? "the mail through a second alias is accepted"
is "$(ticket_count)" 1 "and recognised by Message-ID and body: still one ticket"

printf '' | pd deliver 2>"$T/err"
ok $? "an empty message exits 0 (quarantined)"
like "$(pd quarantine list)" "empty" "the quarantine lists it with cause empty"

# A broken configuration is the admin's to fix: the MTA must keep the mail.
printf '[store]\ncache_size = lots\n' > "$T/bad.conf"
mail_text bob@example.com "VPN" | postdesk -c "$T/bad.conf" deliver 2>"$T/err"
is "$?" 75 "a broken config exits 75 (EX_TEMPFAIL)"
like "$(cat "$T/err")" "bad.conf:2: store.cache_size" "and says where the config is wrong"

# The store cannot be opened (its directory is a file): transient, exit 75.
printf '[store]\ndir = %s/afile\n' "$T" > "$T/file.conf"
: > "$T/afile"
mail_text bob@example.com "VPN" | postdesk -c "$T/file.conf" deliver 2>"$T/err"
is "$?" 75 "a store that cannot be opened exits 75"

# Disk trouble while spooling (the spool's tmp/ cannot take files): 75, nothing half-done.
mv "$T/state/spool/tmp" "$T/state/spool/tmp.away" && : > "$T/state/spool/tmp"
mail_text carol@example.com "Login" | pd deliver 2>"$T/err"
is "$?" 75 "a spool that cannot be written exits 75"
like "$(cat "$T/err")" "not accepted, try again later" "and says the mail was not accepted"
rm "$T/state/spool/tmp" && mv "$T/state/spool/tmp.away" "$T/state/spool/tmp"
is "$(ticket_count)" 1 "no ticket was created by the failed deliveries"

mail_text carol@example.com "Login" | pd deliver --source mx --queue accounts 2>/dev/null
ok $? "--source and --queue are accepted"
like "$(pd show 1001)" "Queue: +accounts" "the ticket is in the queue given"
like "$(pd show 1001)" "Source: +mx" "and records its source"

done_testing
