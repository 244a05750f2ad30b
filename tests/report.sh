# report.sh: postdesk report over a store with known tickets: exact figures in JSON, the text and CSV forms, the filters.
. "$top_srcdir/tests/lib.sh"
GEN="$top_builddir/bench/gen-tickets"
[ -x "$GEN" ] || skip_all "bench/gen-tickets is not built"
pd_setup
PY=/usr/bin/python3
json_get() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
cat >> "$CONF" <<CONF

[rules]
dir = $top_srcdir/rules

[sla std]
first_response = 2h
resolution = 1d
CONF

# Six tickets with known times (seconds after creation): agent = a public
# reply, then a status. Around-the-clock SLA: 2h to respond, 1 day to resolve.
cat > "$T/plan" <<'PLAN'
# created             requester           queue   priority rules         steps
2026-03-02T10:00:00Z  alice@example.org   support normal   Billing,Urgent 3600:agent 7200:resolved
2026-03-02T11:00:00Z  alice@example.org   support normal   Billing       1800:agent 172800:resolved
2026-03-03T09:00:00Z  bob@example.org     billing high     -             10800:agent 14400:pending
2026-03-04T12:00:00Z  carol@example.org   billing normal   Billing
2026-03-04T13:00:00Z  Alice@Example.org   support low      -             600:agent 900:closed
2026-03-09T20:00:00Z  dave@example.org    support normal   -             1200:agent
PLAN
"$GEN" -c "$CONF" --plan "$T/plan" 2>"$T/gen.log"
ok $? "gen-tickets writes the planned tickets"
export PD_NOW_USEC=1773100800000000   # 2026-03-10 00:00 UTC

json=$(pd report --json)
ok $? "report --json"
is "$(echo "$json" | json_get 'd["tickets"]')" 6 "six tickets"
is "$(echo "$json" | json_get 'd["now"]')" "2026-03-10T00:00:00Z" "now is the pinned clock"
is "$(echo "$json" | json_get '" ".join("%s=%d/%d" % (v["date"][5:], v["created"], v["resolved"]) for v in d["volume"])')" \
	"03-02=2/1 03-03=1/0 03-04=2/2 03-05=0/0 03-06=0/0 03-07=0/0 03-08=0/0 03-09=1/0" \
	"volume per day: created and resolved, days without tickets included"
is "$(echo "$json" | json_get 'd["chart_grouping"]')" "day" "eight days are charted per day"
is "$(echo "$json" | json_get 'd["status"]')" "{'new': 1, 'open': 1, 'pending': 1, 'resolved': 2, 'closed': 1}" "tickets by status"
is "$(echo "$json" | json_get 'd["backlog"]["total"]')" 3 "backlog: new, open and pending"
is "$(echo "$json" | json_get '[(q["queue"], q["backlog"], q["tickets"]) for q in d["backlog"]["queues"]]')" \
	"[('billing', 2, 2), ('support', 1, 4)]" "backlog by queue, largest first"
is "$(echo "$json" | json_get 'd["first_response"]')" \
	"{'tickets': 5, 'unanswered': 1, 'median_seconds': 1800, 'p90_seconds': 10800}" \
	"first response: 10m 20m 30m 1h 3h: median 30m, p90 3h (nearest rank)"
is "$(echo "$json" | json_get 'd["resolution"]')" \
	"{'tickets': 3, 'median_seconds': 7200, 'p90_seconds': 172800}" "resolution: 15m 2h 2d: median 2h, p90 2d"
is "$(echo "$json" | json_get '[(s["target"], s["met"], s["breached"], s["undecided"], s["compliance_percent"]) for s in d["sla"]]')" \
	"[('first-response', 4, 2, 0, 66.7), ('next-reply', 0, 0, 0, None), ('resolution', 2, 2, 2, 50.0)]" \
	"SLA: late answer and unanswered breach first response; 2 days and overdue breach resolution"
is "$(echo "$json" | json_get 'd["requesters"][0]')" "{'requester': 'alice@example.org', 'tickets': 3}" "top requester, address lowercased"
is "$(echo "$json" | json_get 'len(d["requesters"])')" 4 "four requesters"
is "$(echo "$json" | json_get 'd["rules"]')" "[{'rule': 'Billing', 'hits': 3}, {'rule': 'Urgent', 'hits': 1}]" "rule hits, most first"

text=$(pd report)
like "$text" "^Report: 6 tickets created at any time, all queues; as of 2026-03-10 00:00 UTC" "text: the header"
like "$text" "Volume per day" "text: the chart is per day"
like "$text" "  2026-03-02 +█+ +2 +1$" "text: a day with a bar, created and resolved"
like "$text" "  2026-03-05 +0 +0$" "text: a day without tickets has no bar"
like "$text" "  pending +█+ +1$" "text: status with a bar"
like "$text" "  billing +█+ +2 of 2$" "text: backlog of a queue"
like "$text" "  first response +median 30m +p90 3h 0m +5 tickets; 1 unanswered$" "text: first response"
like "$text" "  resolution +median 2h 0m +p90 2d 0h +3 tickets" "text: resolution"
like "$text" "  first-response +66.7 % +met +4 +breached +2" "text: SLA compliance"
like "$text" "  next-reply +- +met +0" "text: a target no ticket has"
like "$text" "  alice@example.org +█+ +3$" "text: top requester"
like "$text" "  Billing +█+ +3$" "text: rule hits"
widest=$(printf '%s\n' "$text" | "$PY" -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')
ok "$([ "$widest" -le 80 ]; echo $?)" "text: no line wider than 80 columns ($widest)"

csv=$(pd report --csv)
ok $? "report --csv"
is "$(printf '%s\n' "$csv" | head -1)" "section,date,created,resolved" "csv: begins with the volume header"
like "$csv" "^volume,2026-03-04,2,2$" "csv: a volume row"
like "$csv" "^section,status,tickets$" "csv: the status header"
like "$csv" "^status,pending,1$" "csv: a status row"
like "$csv" "^backlog,support,1,4$" "csv: a backlog row"
like "$csv" "^times,first-response,5,1800,10800$" "csv: first response"
like "$csv" "^times,resolution,3,7200,172800$" "csv: resolution"
like "$csv" "^sla,first-response,4,2,0,66.7$" "csv: SLA compliance"
like "$csv" "^sla,next-reply,0,0,0,$" "csv: no compliance without tickets"
like "$csv" "^requesters,alice@example.org,3$" "csv: top requester"
like "$csv" "^rules,Urgent,1$" "csv: rule hits"
is "$(printf '%s\n' "$csv" | grep -c '^section,')" 7 "csv: seven sections, each with its header"

# Filters: on the creation time, and the queue.
is "$(pd report --json --since 2026-03-03 --until 2026-03-04 | json_get 'd["tickets"]')" 3 "--until with a date includes that day"
is "$(pd report --json --until 2026-03-04T12:00:00Z | json_get 'd["tickets"]')" 3 "--until with an instant excludes it"
is "$(pd report --json --since 2026-03-04T12:00:00Z | json_get 'd["tickets"]')" 3 "--since with an instant includes it"
is "$(pd report --json --since 2026-03-03 --until 2026-03-04 | json_get '[v["date"] for v in d["volume"]]')" \
	"['2026-03-03', '2026-03-04']" "the volume covers the asked days"
billing=$(pd report --json --queue billing)
is "$(echo "$billing" | json_get '(d["tickets"], d["queue"], d["status"]["new"], d["status"]["pending"])')" "(2, 'billing', 1, 1)" "--queue"
is "$(echo "$billing" | json_get 'd["first_response"]["median_seconds"]')" 10800 "--queue: times of that queue only"
like "$(pd report --queue billing)" ", queue billing; as of" "text: the queue in the header"
is "$(pd report --json --since 2027-01-01 | json_get '(d["tickets"], d["volume"], d["first_response"]["median_seconds"])')" \
	"(0, [], None)" "an empty range"
pd report --since yesterday >/dev/null 2>"$T/err"
is $? 64 "a bad date is a usage error"
like "$(cat "$T/err")" "yesterday: expected YYYY-MM-DD or an ISO 8601 instant" "and says what it expected"
pd report --json --csv >/dev/null 2>&1
is $? 64 "--json and --csv together are a usage error"

# A mail through the real pipeline: the rules that held are on its ticket.
mail_text frank@example.org "Invoice 4711 is wrong" f1@example.org | PD_NOW_USEC=1773057600000000 pd deliver 2>/dev/null
ok $? "a mail delivered on 2026-03-09 12:00"
json=$(pd report --json)
is "$(echo "$json" | json_get '[(r["rule"], r["hits"]) for r in d["rules"] if r["rule"] == "Billing"]')" "[('Billing', 4)]" \
	"the rule that routed it counts"
is "$(echo "$json" | json_get '[q["tickets"] for q in d["backlog"]["queues"] if q["queue"] == "billing"]')" "[3]" "in the queue it chose"
is "$(echo "$json" | json_get 'd["sla"][0]["breached"]')" 3 "unanswered for 12 hours: first response breached"
done_testing
