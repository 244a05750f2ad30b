# badinput.sh: hostile input becomes a ticket or a quarantine entry with a reason; nothing crashes, nothing is lost.
. "$top_srcdir/tests/lib.sh"
pd_setup
PY=/usr/bin/python3

n=0
deliver_case() {  # deliver_case NAME FILE
	n=$((n + 1))
	pd deliver < "$2" 2>"$T/err.$n"
	is "$?" 0 "$1: accepted (exit 0)"
}

: > "$T/empty"
deliver_case "empty file" "$T/empty"
head -c 65536 /dev/urandom > "$T/garbage"
deliver_case "64 KB of binary garbage" "$T/garbage"
printf 'Just a body, no headers at all.\nSecond line.\n' > "$T/noheaders"
deliver_case "a message with no headers" "$T/noheaders"
printf 'From: nul@example.com\nSubject: before\000after\n\nbody\000with NUL\n' > "$T/nul"
deliver_case "a message with NUL bytes" "$T/nul"
{ printf 'From: big@example.com\nSubject: thirty megabytes\nMessage-ID: <big@example.com>\n\n'; head -c 31457280 /dev/zero | tr '\0' 'a'; } > "$T/big"
deliver_case "a 30 MB message" "$T/big"
printf 'Subject: no sender\n\nwho sent this?\n' > "$T/nosender"
deliver_case "a message with no sender" "$T/nosender"
printf 'From: cr@example.com\rSubject: bare CR\r\rbody\r' > "$T/barecr"
deliver_case "bare CR line ends" "$T/barecr"
{ printf 'From: long@example.com\nSubject: '; head -c 200000 /dev/zero | tr '\0' 'L'; printf '\n\nbody\n'; } > "$T/longline"
deliver_case "a 200 KB header line" "$T/longline"

total=$(( $(ticket_count) + $(pd quarantine list --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))') ))
is "$total" "$n" "every input is a ticket or a quarantine entry ($n in all)"

q=$(pd quarantine list)
like "$q" "empty .*empty message" "empty -> quarantined (empty)"
like "$q" "too-large .*big@example.com +message is 31457[0-9]+ bytes, the limit is 26214400" "30 MB -> quarantined (too-large) with sizes"
like "$q" "no-sender .*no sender address" "no sender -> quarantined (no-sender)"
like "$q" "no-headers" "garbage/no headers -> quarantined (no-headers)"
like "$(pd list)" "nul@example.com +before.after" "NUL bytes: a ticket, with the NUL replaced"
like "$(pd show "$(pd list --requester nul@example.com --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')")" "with NUL" "NUL bytes: the text after a NUL is kept"

# The spool keeps every raw message, quarantined ones included, byte for byte.
big_raw=$(pd quarantine list --json | "$PY" -c 'import json,sys; print([e["spool"] for e in json.load(sys.stdin) if e["cause"]=="too-large"][0])')
ok "$(cmp -s "$T/big" "$T/state/spool/$big_raw"; echo $?)" "the 30 MB message is kept byte for byte"
is "$(ls "$T/state/spool/tmp" | wc -l)" 0 "no staging files are left behind"

done_testing
