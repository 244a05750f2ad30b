# imap-lib.sh: what the IMAP and POP3 tests share: one Dovecot per script, its client, postdeskd in the background.
# Source it after setting nothing; it skips the whole script when Dovecot is not installed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/dovecot.sh"
dovecot_available || skip_all "Dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)"
pd_setup
DAEMON_PID=

stop_pdd() {  # SIGTERM the background daemon and wait for it; its exit status in PDD_STATUS
	PDD_STATUS=
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID"
	PDD_STATUS=$?
	DAEMON_PID=
}

_imap_cleanup() {
	if [ -n "$DAEMON_PID" ]; then
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	dovecot_stop "$T/dovecot"
	if [ -n "${PD_KEEP_TEST_DIR:-}" ]; then
		echo "# kept $T"
	else
		rm -rf "$T"
	fi
}
trap _imap_cleanup EXIT

dovecot_start "$T/dovecot" || { echo "Bail out! Dovecot did not start"; exit 1; }
echo "# Dovecot on 127.0.0.1: imap $DOVECOT_IMAP_PORT, imaps $DOVECOT_IMAPS_PORT, pop3 $DOVECOT_POP3_PORT, pop3s $DOVECOT_POP3S_PORT"
printf '%s\n' "$DOVECOT_PASSWORD" > "$T/password"

imapc() { /usr/bin/python3 "$top_srcdir/tests/imap-client.py" --port "$DOVECOT_IMAP_PORT" --ca "$DOVECOT_CA" "$@"; }

start_pdd() {  # postdeskd in the background, logging to $T/daemon.log; waits until it has started
	postdeskd -c "$CONF" 2>>"$T/daemon.log" &
	DAEMON_PID=$!
	wait_for 10 grep -q "started (pid $DAEMON_PID)" "$T/daemon.log"
}

wait_for() {  # wait_for SECONDS COMMAND...: until COMMAND succeeds or SECONDS pass (status 1); use eval to re-read $(...)
	_wf_end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$_wf_end" ] || return 1
		sleep 0.02
	done
}

log_count() {  # log_count REGEX: matching lines in the daemon's log
	grep -cE "$1" "$T/daemon.log" 2>/dev/null || true
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
