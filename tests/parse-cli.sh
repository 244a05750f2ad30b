# parse-cli.sh: `postdesk parse` in text and JSON, the parser limits from the config, and attachments staged in the spool.
. "$top_srcdir/tests/lib.sh"
pd_setup
PY=/usr/bin/python3
json_get() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

cat > "$T/att.eml" <<'MAIL'
From: Anna <anna@example.com>
To: support@example.com
Subject: =?x-unknown?Q?Rechnung_f=FCr_M=E4rz?=
Message-ID: <att1@example.com>
Auto-Submitted: auto-generated
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=utf-8

see attached
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename=invoice.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b--
MAIL

out=$(pd parse "$T/att.eml")
ok $? "parse exits 0"
like "$out" "Outcome: +a ticket" "text: the outcome"
like "$out" "Subject: +Rechnung für März" "text: the subject, decoded through the fallback charsets"
like "$out" "Flags: +auto-submitted" "text: the flags"
like "$out" "1\. invoice\.pdf \(application/pdf" "text: the attachment"
like "$out" "sha256 [0-9a-f]{64}" "text: its content hash"
js=$(pd parse --json "$T/att.eml")
is "$(printf '%s' "$js" | json_get 'd["attachments"][0]["size"]')" 9 "json: the attachment's decoded size"
is "$(printf '%s' "$js" | json_get 'd["cause"]')" "none" "json: no cause"
is "$(printf '%s' "$js" | json_get 'd["flags"][0]')" "auto-submitted" "json: the flags"
printf 'Subject: nobody\n\nx\n' > "$T/nosender.eml"
is "$(pd parse --json "$T/nosender.eml" | json_get 'd["cause"]')" "no-sender" "json: the cause of a mail that would be quarantined"
pd parse "$T/missing.eml" 2>/dev/null
is "$?" 1 "a missing file fails"
pd parse 2>/dev/null
is "$?" 64 "no file is a usage error"

# The configured limits apply.
printf '[limits]\nmax_mime_parts = 2\n' >> "$CONF"
like "$(pd parse "$T/att.eml")" "quarantined \(limit\): MIME parts: more than 2 \(limits.max_mime_parts\)" "a limit from the config quarantines"

# Through the pipeline: the attachment is in the spool, named by its content.
sed -i 's/max_mime_parts = 2/max_mime_parts = 100/' "$CONF"
pd deliver < "$T/att.eml" 2>/dev/null
ok $? "the mail with an attachment is delivered"
sha=$(printf '%s' "$js" | json_get 'd["attachments"][0]["sha256"]')
ok "$(test -f "$T/state/spool/att/${sha:0:2}/$sha"; echo $?)" "its attachment is in spool/att/ under its SHA-256"
is "$(sha256sum < "$T/state/spool/att/${sha:0:2}/$sha" | cut -c1-64)" "$sha" "with the decoded bytes"
is "$(ls "$T/state/spool/tmp" | wc -l)" 0 "no staging files are left behind"

done_testing
