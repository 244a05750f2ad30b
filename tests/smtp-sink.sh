# smtp-sink.sh: start and stop tests/smtp-sink.py from shell tests (source it, or run it as `sh smtp-sink.sh start|stop ...`).
#
#   pid=$(start_sink DIR PORT [--tls CERT KEY] [--implicit-tls] [--auth] [--require-auth])
#       PORT 0 lets the kernel choose; the port is then in DIR/port ($(cat DIR/port)).
#       Prints the pid once the port accepts connections; fails if the sink does not come up.
#   stop_sink DIR
#       Stops the sink that runs in DIR and waits until it is gone.
# Needs Debian's /usr/bin/python3 with aiosmtpd; sink_available says whether it is there.

# A sourced file cannot find itself in every shell: $top_srcdir (set by make check) first.
if [ -z "${SMTP_SINK_PY:-}" ]; then
	if [ -n "${top_srcdir:-}" ]; then
		SMTP_SINK_PY=$top_srcdir/tests/smtp-sink.py
	else
		SMTP_SINK_PY=$(cd "$(dirname "${BASH_SOURCE:-$0}")" 2>/dev/null && pwd)/smtp-sink.py
	fi
fi
SMTP_SINK_PYTHON=${SMTP_SINK_PYTHON:-/usr/bin/python3}

sink_available() {
	[ -f "$SMTP_SINK_PY" ] && "$SMTP_SINK_PYTHON" -c 'import aiosmtpd' 2>/dev/null
}

start_sink() {  # start_sink DIR PORT [sink options...]
	_sd=$1 _sp=$2
	shift 2
	mkdir -p "$_sd" || return 1
	rm -f "$_sd/port"
	"$SMTP_SINK_PYTHON" "$SMTP_SINK_PY" --dir "$_sd" --port "$_sp" "$@" \
		>>"$_sd/sink.log" 2>&1 </dev/null &
	_spid=$!
	_si=0
	while [ ! -s "$_sd/port" ]; do  # written once the socket listens
		if ! kill -0 "$_spid" 2>/dev/null || [ "$_si" -ge 200 ]; then
			echo "smtp sink did not start; see $_sd/sink.log" >&2
			kill "$_spid" 2>/dev/null
			return 1
		fi
		_si=$((_si + 1))
		sleep 0.05
	done
	echo "$_spid"
}

stop_sink() {  # stop_sink DIR
	[ -s "$1/pid" ] || return 0
	_spid=$(cat "$1/pid")
	kill "$_spid" 2>/dev/null || return 0
	_si=0
	while kill -0 "$_spid" 2>/dev/null && ! _sink_zombie "$_spid"; do
		if [ "$_si" -ge 100 ]; then  # 5 s: it normally stops at once
			kill -9 "$_spid" 2>/dev/null
			break
		fi
		_si=$((_si + 1))
		sleep 0.05
	done
	wait "$_spid" 2>/dev/null  # reaps it when this shell started it
	rm -f "$1/pid" "$1/port"
}

_sink_zombie() {  # exited, waiting for this shell to reap it
	[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]
}

case "${0##*/}" in
smtp-sink.sh)
	cmd=${1:-}
	[ $# -gt 0 ] && shift
	case "$cmd" in
	start) start_sink "$@" ;;
	stop) stop_sink "$@" ;;
	*) echo "usage: $0 start DIR PORT [options] | stop DIR" >&2; exit 2 ;;
	esac
	;;
esac
