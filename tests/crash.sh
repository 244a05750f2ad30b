# crash.sh: ingestion killed with SIGKILL at random moments and restarted: exactly one ticket per mail, nothing left, the database verifies.
. "$top_srcdir/tests/lib.sh"
pd_setup
N=${PD_CRASH_MESSAGES:-500}

for i in $(seq 1 "$N"); do
	printf 'From: user%d@example.com\nTo: support@example.com\nSubject: crash test %d\nMessage-ID: <crash-%d@example.com>\n\nMessage number %d.\n' \
		"$((i % 37))" "$i" "$i" "$i" > "$T/mail/tmp/m$i"
	mv "$T/mail/tmp/m$i" "$T/mail/new/$(printf '%010d' "$i").M$i.crash"
done
printf '[ingest]\nbatch_size = 16\n' >> "$CONF"

kills=0
runs=0
seed=${PD_CRASH_SEED:-$$}
echo "# seed $seed"
RANDOM=$seed
while [ "$(ls "$T/mail/new" | wc -l)" -gt 0 ] && [ "$runs" -lt 200 ]; do
	runs=$((runs + 1))
	postdeskd -c "$CONF" --once 2>/dev/null &
	pid=$!
	# Kill somewhere between 0 and ~250 ms into the run; some runs finish first.
	sleep "0.$(printf '%03d' $((RANDOM % 250)))"
	if kill -KILL "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
done
echo "# $runs runs, $kills killed"
ok "$(test "$kills" -gt 0; echo $?)" "the daemon was killed at least once ($kills times)"

# A last clean run must find nothing left to do.
postdeskd -c "$CONF" --once 2>/dev/null
ok $? "a final clean run succeeds"
is "$(ls "$T/mail/new" | wc -l)" 0 "nothing is left in new/"
is "$(ls "$T/mail/cur" | wc -l)" "$N" "every message is in cur/"
is "$(ticket_count)" "$N" "exactly $N tickets"
is "$(pd list --json | grep -o '"subject" : "crash test [0-9]*"' | sort -u | wc -l)" "$N" "one ticket per message, none twice"

if [ -n "${DB_VERIFY:-}" ]; then
	bad=0
	for db in "$T"/state/*.db; do
		"$DB_VERIFY" -h "$T/state" "$(basename "$db")" >"$T/verify.out" 2>&1 || { bad=1; sed 's/^/# /' "$T/verify.out"; }
	done
	ok "$bad" "db_verify is clean on every database"
else
	echo "# db_verify not found; install db5.3-util"
	ok 1 "db_verify is available"
fi

done_testing
