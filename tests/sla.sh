# sla.sh: service levels end to end: config errors with file:line, a rule's SLA choice, sla explain, and the daemon's scheduler thread acting exactly once across a restart.
. "$top_srcdir/tests/lib.sh"
pd_setup
usec() { echo "$(date -u -d "$1" +%s)000000"; }

# A calendar with an unknown zone and a policy naming no calendar: refused with file:line.
cat > "$T/bad.conf" <<CONF
[store]
dir = state
[calendar office]
timezone = Mars/Olympus
[sla gold]
calendar = nowhere
first_response = 1h
CONF
out=$(postdeskd -c "$T/bad.conf" --check 2>&1)
ok $(( $? == 0 )) "postdeskd --check refuses a bad calendar"
like "$out" "bad.conf:4: calendar office.timezone: unknown time zone \"Mars/Olympus\"" "with file:line and the key"
like "$out" "bad.conf:6: sla gold.calendar: no \[calendar nowhere\] section" "and a policy's unknown calendar"

cat >> "$CONF" <<CONF
[rules]
dir = $top_srcdir/rules
[calendar office]
timezone = Europe/Berlin
hours = mon-fri 09:00-17:00
holidays = 2026-03-06
[sla billing-urgent]
applies = rules
calendar = office
first_response = 1h
resolution = 8h
[sla standard]
calendar = office
first_response = 4h
resolution = 16h
CONF

# The chargeback mail of the demo: the billing rule picks its SLA by name.
export PD_NOW_USEC=$(usec 2026-03-05T15:30:00Z)
pd deliver < "$top_srcdir/contrib/demo/Maildir/new/1795038761.M230704P2116.demo" 2>/dev/null
ok $? "the chargeback mail is delivered"
json=$(pd sla explain 1000 --json | tr -d ' \n')
like "$json" '"policy":"billing-urgent"' "the rule's 'sla billing-urgent' chose the policy"
like "$json" '"due":"2026-03-09T08:30:00Z"' "half an hour on Thursday, the holiday and the weekend skipped: due Monday 09:30 CET"
like "$json" '"holidays":\["2026-03-06"\]' "the holiday within the clock is listed"

# Any other mail gets the first policy that fits.
mail_text anna@example.org "Printer jams" anna-1@example.org | pd deliver 2>/dev/null
text=$(PD_NOW_USEC=$(usec 2026-03-05T16:00:00Z) pd sla explain 1001)
like "$text" "^Policy standard, calendar office \(Europe/Berlin; mon 09:00-17:00;" "the text names the policy and the calendar"
like "$text" "first-response: running; 30m of 4h 00m used" "the first response clock, with what is used"
like "$text" "due +Mon 2026-03-09 12:30 CET" "its due time, in the calendar's zone"
like "$text" "counted +Thu 2026-03-05 16:30 CET -> now" "the counted stretch"
like "$text" "working +Thu 2026-03-05 16:30 CET -> Thu 2026-03-05 17:00 CET +30m" "and its working time"
like "$text" "Next scheduled action: SLA warning at Mon 2026-03-09 11:42 CET" "and the next action"
pd sla explain 99999 2>"$T/err"
is "$?" 1 "explain of a ticket that does not exist fails"
like "$(cat "$T/err")" "99999" "and names it"
pd sla frobnicate 2>/dev/null
is "$?" 64 "an unknown sla subcommand is a usage error"

# The daemon's scheduler thread, started after both due times: each breach once.
export PD_NOW_USEC=$(usec 2026-03-09T12:00:00Z)
wait_for() {  # wait_for SECONDS COMMAND...
	local end=$(( $(date +%s) + $1 )); shift
	while ! "$@" 2>/dev/null; do [ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.1; done
}
run_daemon() {  # run_daemon LOG: start, wait for its first scheduler run or a quiet start, stop
	postdeskd -c "$CONF" 2>"$1" &
	local pid=$!
	wait_for 10 grep -q "started" "$1"
	wait_for 15 grep -q "scheduler:" "$1"
	kill $pid
	wait $pid
}
run_daemon "$T/d1.log"
like "$(cat "$T/d1.log")" "scheduler: 2 ticket\(s\): 0 warning\(s\), 2 breach\(es\)" "the scheduler thread records both breaches"
count() { pd show "$1" --json | grep -c "\"type\" : \"$2\""; }
is "$(count 1000 sla-breach)" 1 "ticket 1000 has one breach event"
run_daemon "$T/d2.log"
ok $(grep -c "scheduler:" "$T/d2.log") "after a restart the scheduler finds nothing more to do"
is "$(count 1000 sla-breach)" 1 "still one breach event"
is "$(count 1001 sla-breach)" 1 "and one for ticket 1001"
show=$(pd show 1000)
like "$show" "^SLA: +billing-urgent first-response: due 2026-03-09 08:30 UTC \(breached\)" "postdesk show has the clocks, breached marked"
like "$show" "sla-breach by system" "and the breach event"
like "$show" "first-response target, due 2026-03-09 08:30 UTC" "with its target and due time"
done_testing
