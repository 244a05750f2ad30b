#!/usr/bin/env bash
# demo.sh: install what is needed, build, and run postdesk on the bundled demo mailbox.
# The demo Maildir is copied, so contrib/demo/ itself is never changed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/install-deps.sh"
"$top/contrib/build.sh"

demo="$top/build/demo"
rm -rf "$demo"
mkdir -p "$demo"
cp -r "$top/contrib/demo/Maildir" "$demo/Maildir"
cp "$top/contrib/demo/postdesk.conf" "$demo/postdesk.conf"

echo "== postdeskd --once: the demo mailbox into tickets"
"$top/build/postdeskd" -c "$demo/postdesk.conf" --once
echo
echo "== postdesk list"
"$top/build/postdesk" -c "$demo/postdesk.conf" list
echo
echo "== postdesk quarantine list"
"$top/build/postdesk" -c "$demo/postdesk.conf" quarantine list
echo
echo "== postdesk outbox list: notifications (no SMTP server configured, so written to build/demo/state/sent/new)"
"$top/build/postdesk" -c "$demo/postdesk.conf" outbox list | cut -c1-100
echo
first=$(ls "$demo/state/sent/new" | sort -t. -k2 | head -1)
echo "== the acknowledgement of ticket 1000, as the requester receives it"
"$top/build/postdesk" -c "$demo/postdesk.conf" outbox show 1 | tr -d '\r' | sed -n '/^Date:/,/^Content-Type: text\/html/p' | grep -v '^Content-Type: text/html' | head -40
echo
echo "== postdesk sla explain 1013: the chargeback's clocks (a rule chose the billing-urgent policy)"
"$top/build/postdesk" -c "$demo/postdesk.conf" sla explain 1013
echo
echo "Try: build/postdesk -c build/demo/postdesk.conf show 1000, ... report, ... sla explain 1002"
