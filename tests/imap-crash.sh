# imap-crash.sh: postdeskd killed with SIGKILL at random moments while 500 mails arrive over IMAP, restarted each time: exactly 500 tickets, every mail moved, none left.
. "$top_srcdir/tests/imap-lib.sh"
N=${PD_CRASH_MESSAGES:-500}

cat > "$CONF" <<CONF
[store]
dir = state
[ingest]
batch_size = 16
[notify]
address = support@example.com
templates = $top_srcdir/templates
[source support]
type = imap
host = localhost
port = $DOVECOT_IMAP_PORT
tls = starttls
ca_file = $DOVECOT_CA
user = $DOVECOT_USER
password_file = password
move_to = Processed
retry_min = 100ms
retry_max = 1s
CONF

# The mail arrives over about eight seconds while the daemon is killed and restarted.
imapc generate INBOX "$N" crash 60 > "$T/appended" &
APPENDER=$!
trap 'kill "$APPENDER" 2>/dev/null; _imap_cleanup' EXIT

seed=${PD_CRASH_SEED:-$$}
echo "# seed $seed"
RANDOM=$seed
runs=0 kills=0
appending() { kill -0 "$APPENDER" 2>/dev/null; }
while { appending || [ "$(imapc count INBOX)" -gt 0 ]; } && [ "$runs" -lt 300 ]; do
	runs=$((runs + 1))
	postdeskd -c "$CONF" 2>>"$T/daemon.log" &
	pid=$!
	# Kill somewhere in the first 0.7 s: during start-up, login, fetch, commit or MOVE.
	sleep "0.$(printf '%03d' $((RANDOM % 700)))"
	kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
done
wait "$APPENDER"
ok $? "all $N mails were appended"
echo "# $runs runs, $kills killed"
ok "$(test "$kills" -gt 5; echo $?)" "the daemon was killed many times ($kills)"

# A last clean run finds the folder empty or finishes it.
pdd --once 2>>"$T/daemon.log"
ok $? "a final clean run succeeds"
is "$(imapc count INBOX)" 0 "nothing is left in INBOX"
is "$(imapc count Processed)" "$N" "every mail was moved to Processed, once"
is "$(ticket_count)" "$N" "exactly $N tickets"
is "$(pd list --json | grep -o '"subject" : "crash message [0-9]*"' | sort -u | wc -l)" "$N" "one ticket per mail, none twice"
# Not asserted (it depends on where the kills land), but worth seeing.
echo "# kills between a commit and its MOVE, healed by the ledger: $(grep -c 'recorded before but not acknowledged' "$T/daemon.log")"

if [ -n "${DB_VERIFY:-}" ]; then
	bad=0
	for db in "$T"/state/*.db; do
		"$DB_VERIFY" -h "$T/state" "$(basename "$db")" >"$T/verify.out" 2>&1 || { bad=1; sed 's/^/# /' "$T/verify.out"; }
	done
	ok "$bad" "db_verify is clean on every database"
fi

done_testing
