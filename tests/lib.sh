# lib.sh: TAP helpers and a throwaway postdesk setup for the shell tests.
# Each test sources this, calls pd_setup, runs checks with ok/is/like, then done_testing.

set -u
_tap_n=0
_tap_failed=0

ok() {  # ok CONDITION-EXIT-STATUS DESCRIPTION
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

is() {  # is GOT EXPECTED DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
	fi
}

like() {  # like TEXT EXTENDED-REGEX DESCRIPTION
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '%s\n' "$1" | head -20 | sed 's/^/#   /'
		printf '#   does not match: %s\n' "$2"
	fi
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# A fresh state directory, config and Maildir under $T (removed at exit).
pd_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/pd-test.XXXXXX")
	trap 'rm -rf "$T"' EXIT
	mkdir -p "$T/mail/new" "$T/mail/cur" "$T/mail/tmp"
	CONF="$T/postdesk.conf"
	cat > "$CONF" <<CONF
[store]
dir = state

[notify]
address = support@example.com
templates = $top_srcdir/templates

[source inbox]
path = mail
queue = support
CONF
	export PD_NOW_USEC=""
}

pd() { postdesk -c "$CONF" "$@"; }
pdd() { postdeskd -c "$CONF" "$@"; }

# Drop a message (text on stdin) into the Maildir's new/ as a delivery would.
maildir_put() {  # maildir_put NAME
	cat > "$T/mail/tmp/$1" && mv "$T/mail/tmp/$1" "$T/mail/new/$1"
}

# A small well-formed mail.
mail_text() {  # mail_text FROM SUBJECT [MESSAGE-ID]
	printf 'From: %s\nTo: support@example.com\nSubject: %s\n' "$1" "$2"
	[ -n "${3:-}" ] && printf 'Message-ID: <%s>\n' "$3"
	printf 'Date: Mon, 23 Nov 2026 09:00:00 +0000\n\nHello,\nthis is about %s.\n' "$2"
}

# The number of tickets, from the JSON listing.
ticket_count() {
	pd list --json | grep -c '"id"' || true
}
