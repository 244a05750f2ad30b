# reload.sh: rules changed on a running daemon: `postdesk reload` takes a good set, refuses a broken one and keeps the old.
. "$top_srcdir/tests/lib.sh"
pd_setup
mkdir -p "$T/rules"
printf '[daemon]\npoll_interval = 200ms\n[rules]\ndir = rules\n' >> "$CONF"
put_rules() {  # put_rules TEXT: replace the rule file the way tools do (write, rename)
	printf '%s\n' "$1" > "$T/rules/.new" && mv "$T/rules/.new" "$T/rules/10-route.rules"
}
wait_for() {  # wait_for SECONDS COMMAND...
	local end=$(( $(date +%s) + $1 )); shift
	while ! "$@" 2>/dev/null; do [ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.1; done
}
queue_of() {  # queue_of SUBJECT
	pd list --json | /usr/bin/python3 -c 'import json,sys; print([t["queue"] for t in json.load(sys.stdin) if t["subject"]==sys.argv[1]][0])' "$1"
}
put_rules 'rule "printers" when subject contains "printer" then queue hardware'

postdeskd -c "$CONF" 2>"$T/daemon.log" &
DPID=$!
trap 'kill $DPID 2>/dev/null; wait $DPID 2>/dev/null; rm -rf "$T"' EXIT
wait_for 10 grep -q "started" "$T/daemon.log"
ok $? "the daemon started"

mail_text a@example.org "printer one" p1@example.org | maildir_put 1.M1.host
wait_for 10 grep -q "<p1@example.org>: ticket" "$T/daemon.log"
is "$(queue_of 'printer one')" "hardware" "the first rule set routes"

put_rules 'rule "printers" when subject contains "printer" then queue facilities'
out=$(pd reload)
ok $? "postdesk reload accepts a good set"
like "$out" "asked postdeskd \(pid $DPID\) to reload" "and signals the running daemon"
wait_for 10 grep -q "reload: done" "$T/daemon.log"
ok $? "the daemon reloaded"
mail_text a@example.org "printer two" p2@example.org | maildir_put 2.M2.host
wait_for 10 grep -q "<p2@example.org>: ticket" "$T/daemon.log"
is "$(queue_of 'printer two')" "facilities" "mail after the reload follows the new rules"

put_rules 'rule "printers" when subject contians "printer" then queue broken'
out=$(pd reload 2>&1)
is "$?" 1 "postdesk reload refuses a broken set"
like "$out" "10-route.rules:1:30: .*did you mean \"contains\"" "with file:line:col and a hint"
kill -HUP $DPID
wait_for 10 grep -q "the running configuration stays in force" "$T/daemon.log"
ok $? "a SIGHUP with a broken set is refused by the daemon too"
mail_text a@example.org "printer three" p3@example.org | maildir_put 3.M3.host
wait_for 10 grep -q "<p3@example.org>: ticket" "$T/daemon.log"
is "$(queue_of 'printer three')" "facilities" "and the old set stays in force"

kill -TERM $DPID
wait $DPID
is "$?" 0 "SIGTERM stops the daemon cleanly"
put_rules 'rule "printers" when subject contains "printer" then queue facilities'
pd reload 2>"$T/err"
is "$?" 1 "postdesk reload without a daemon fails"
like "$(cat "$T/err")" "no postdeskd is running" "and says so"
# With queues declared, a rule naming another queue or a missing template is warned about.
printf '[queue facilities]\n' >> "$CONF"
put_rules 'rule "printers" when subject contains "printer" then queue facilitys and reply no-such-template'
out=$(pd rules check 2>&1)
ok $? "a set with unknown names still loads"
like "$out" 'warning: unknown queue "facilitys"' "but warns about an unknown queue"
like "$out" 'warning: unknown template "no-such-template"' "and an unknown template"
done_testing
