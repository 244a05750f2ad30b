# rules.sh: postdesk rules check and test: the shipped rules/ route the demo mail, errors point at the place, nothing is stored.
. "$top_srcdir/tests/lib.sh"
pd_setup
PY=/usr/bin/python3
json_get() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

postdesk rules >/dev/null 2>&1
[ $? -eq 64 ] || skip_all "this postdesk has no rules command"

RULES="$top_srcdir/rules"
DEMO="$top_srcdir/contrib/demo/Maildir"

# ---- check ----

out=$(pd rules check "$RULES")
ok $? "rules check accepts the shipped rules"
is "$(printf '%s\n' "$out" | tail -1)" "$RULES: 14 rules in 9 files, 0 warnings: OK" "and counts them"

mkdir -p "$T/bad"
cat > "$T/bad/10-billing.rules" <<'EOF'
rule "Billing"
  when subjet contains "invoice"
  then queue billing
EOF
cat > "$T/bad/20-more.rules" <<'EOF'
rule "More" when subject contains "x" then priority hgih
EOF
out=$(pd rules check "$T/bad")
is "$?" 1 "rules check exits 1 on errors"
expected="$T/bad/10-billing.rules:2:8: expected a field, found \"subjet\"; did you mean \"subject\"?
      when subjet contains \"invoice\"
           ^
$T/bad/20-more.rules:1:53: expected a priority, found \"hgih\"; did you mean \"high\"?
    rule \"More\" when subject contains \"x\" then priority hgih
                                                        ^
$T/bad: refused: nothing is loaded until the errors above are fixed"
is "$out" "$expected" "every error, with file:line:col, the line, a caret and a hint"

mkdir -p "$T/warn"
cat > "$T/warn/10-a.rules" <<'EOF'
rule "Catch all" then queue general and stop
rule "Late" when subject contains "x" then tag late
rule "Odd" when body matches /a^b/ then tag odd
EOF
out=$(pd rules check "$T/warn")
ok $? "warnings alone do not refuse the rules"
like "$out" "10-a.rules:2:1: warning: rule \"Late\" is never reached: rule \"Catch all\" \(.*10-a.rules:1\) stops every mail" \
	"an unreachable rule is pointed out"
like "$out" "10-a.rules:3:30: warning: this pattern can never match" "so is a pattern that cannot match"
like "$(printf '%s\n' "$out" | tail -1)" "3 rules in 1 file, 3 warnings: OK" "and counted"

printf '\0binary' > "$T/warn/30-bin.rules"
out=$(pd rules check "$T/warn")
is "$?" 1 "a binary rule file refuses the set"
like "$out" "30-bin.rules: line 1: a binary file \(a NUL byte\); nothing was loaded" "and says which file"

mkdir -p "$T/rules"
cp "$RULES"/*.rules "$T/rules/"
like "$(pd rules check)" "^$T/rules: 14 rules in 9 files" "without a directory: rules/ beside the config"
pd rules check a b 2>/dev/null
is "$?" 64 "two directories are a usage error"

# ---- test: the demo mailbox ----

out=$(pd rules test "$DEMO" --rules "$RULES")
ok $? "rules test routes the demo Maildir"
expected='1794818829.M111919P2101.demo: queue billing, tags billing, set order = "4471388", reply billing-received
1794820846.M119838P2102.demo: queue accounts, reply accounts-received
1794838353.M127757P2103.demo: queue technical, priority high, tags key-account bug-report, reply technical-received
1794841392.M135676P2104.demo: queue billing, priority high, tags key-account billing, set order = "4471203", set invoice = "INV-2026-10957", reply billing-received
1794847209.M143595P2105.demo: drop
1794878133.M151514P2106.demo: queue technical, tags bug-report, reply technical-received
1794898697.M159433P2107.demo: queue accounts, reply accounts-received
1794907911.M167352P2108.demo: queue technical, tags bug-report, reply technical-received
1794920743.M175271P2109.demo: queue technical, priority high, tags key-account bug-report, reply technical-received
1794928928.M183190P2110.demo: queue technical, tags bug-report, reply technical-received
1794937461.M191109P2111.demo: priority low, tags auto-reply, noreply
1794972619.M199028P2112.demo: queue sales, tags lead, reply sales-received
1794995045.M206947P2113.demo: queue technical, tags bug-report, reply technical-received
1795000205.M214866P2114.demo: queue accounts, reply accounts-received
1795019112.M222785P2115.demo: queue billing, tags billing, set order = "4472561", set invoice = "INV-2026-11873", reply billing-received
1795038761.M230704P2116.demo: queue billing, priority urgent, assign group billing-escalations, tags chargeback, set order = "4473018", sla billing-urgent
1795076136.M238623P2117.demo: queue accounts, reply accounts-received
1795097153.M246542P2118.demo: queue privacy, priority high, assign group dpo, tags gdpr, noreply, sla gdpr-one-month
1795117106.M254461P2119.demo: queue sales, tags lead, reply sales-received
1795168932.M262380P2120.demo: queue billing, tags billing, set order = "4472950", reply billing-received
20 mails: queues: accounts 4, billing 5, privacy 1, sales 2, technical 6; 1 dropped, 0 quarantined, 1 without a queue'
is "$out" "$expected" "every demo mail gets its queue: billing, technical, accounts, sales, privacy; the newsletter is dropped"

out=$(pd rules test "$DEMO/new/1794818829.M111919P2101.demo" --rules "$RULES" --explain)
expected="== 1794818829.M111919P2101.demo
From: Jürgen Weißbach <j.weissbach@bauer-logistik.example.org>
Subject: Rückerstattung für Bestellung #4471388 (doppelt abgebucht)
rule \"Order numbers\" ($RULES/20-priority.rules:15)
  subject matches /#\\s?(?<order>\\d{7})\\b/: \"#4471388\"
  captured order = \"4471388\"
  -> set order = \"4471388\"
rule \"Billing\" ($RULES/40-billing.rules:13)
  subject contains \"Rückerstattung\": \"rückerstattung für bestellung #4471388 (doppelt abgebu\"
  -> queue billing; tag billing; set invoice skipped: no pattern captured \${invoice}; reply billing-received; stop
stopped by rule \"Billing\"
decision: queue billing, tags billing, set order = \"4471388\", reply billing-received"
is "$out" "$expected" "--explain: the rules that matched, on what, the captures and the actions"

out=$(pd rules test "$DEMO/new/1794937461.M191109P2111.demo" --rules "$RULES" --explain)
like "$out" "^  (mail is out-of-office|header \"Auto-Submitted\" starts with \"auto-\": \"auto-replied\")$" \
	"the out-of-office is recognised, by the parser's flag or by its header"

json=$(pd rules test "$DEMO" --rules "$RULES" --json)
ok $? "rules test --json"
is "$(printf '%s' "$json" | json_get 'len(d)')" 20 "one JSON object per mail"
is "$(printf '%s' "$json" | json_get 'd[4]["decision"]["fate"]')" "drop" "the newsletter's fate is drop"
is "$(printf '%s' "$json" | json_get 'd[17]["decision"]["queue"] + " " + d[17]["decision"]["sla"]')" "privacy gdpr-one-month" \
	"the GDPR request goes to privacy with its SLA"
is "$(printf '%s' "$json" | json_get 'd[15]["decision"]["matched"][-1]["evidence"][0]["test"]')" \
	'contains "chargeback"' "JSON carries the evidence"

# ---- test: other inputs ----

printf 'garbage\001 without headers\n' > "$T/garbage.eml"
out=$(pd rules test "$T/garbage.eml" --rules "$RULES")
like "$out" "garbage.eml: quarantined by the parser \(no-headers\)" "a mail the parser refuses never meets the rules"

mkdir -p "$T/plain"
mail_text ann@example.org "Printer error on floor 2" > "$T/plain/a.eml"
mail_text bob@example.org "Where is my invoice?" > "$T/plain/b.eml"
out=$(pd rules test "$T/plain" --rules "$RULES")
like "$out" "^a.eml: queue technical" "a directory of mail files works too"
like "$out" "^b.eml: queue billing" "each mail on its own line"

pd rules test "$T/plain" --rules "$T/bad" >/dev/null 2>"$T/err"
is "$?" 1 "rules test refuses to run with broken rules"
like "$(cat "$T/err")" "10-billing.rules:2:8: expected a field" "and says why"
pd rules test 2>/dev/null
is "$?" 64 "rules test without a mail is a usage error"
pd rules frobnicate 2>/dev/null
is "$?" 64 "an unknown rules verb is a usage error"
[ ! -e "$T/state" ]
ok $? "nothing was stored: no state directory was created"

done_testing
