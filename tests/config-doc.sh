# config-doc.sh: doc/config.md is exactly what the key declarations generate, and -n reports problems by line.
. "$top_srcdir/tests/lib.sh"
pd_setup

postdeskd --config-reference > "$T/config.md"
cmp -s "$T/config.md" "$top_srcdir/doc/config.md"
ok $? "doc/config.md matches postdeskd --config-reference"
diff "$T/config.md" "$top_srcdir/doc/config.md" | head -10 | sed 's/^/# /'

out=$(postdeskd -c "$CONF" -n)
ok $? "postdeskd -n accepts the test config"
like "$out" "configuration is valid" "and says so"

cat > "$T/bad.conf" <<'BAD'
# a config with one problem per line
[store]
dir = state
cache_sise = 16M
cache_size = 12 parsecs
deadlock_retries = 0

[limits]
max_message_size = 5G

[log]
level = chatty

[frobs]
x = 1

this line is wrong
[source lost]
queue = general
BAD
out=$(postdeskd -c "$T/bad.conf" -n 2>&1)
is "$?" 1 "postdeskd -n rejects a bad config (exit 1)"
like "$out" "bad.conf:4: store.cache_sise: unknown key \(did you mean \"cache_size\"\?\)" "unknown key with a hint, at its line"
like "$out" "bad.conf:5: store.cache_size: \"12 parsecs\" is not a size" "bad size"
like "$out" "bad.conf:6: store.deadlock_retries: 0 is below the minimum 1" "below the minimum"
like "$out" "bad.conf:9: limits.max_message_size: 5G is above the maximum" "above the maximum"
like "$out" "bad.conf:12: log.level: \"chatty\" is not one of: debug, info, warning, error" "bad enum with the choices"
like "$out" "bad.conf:14: frobs: unknown section" "unknown section"
like "$out" "bad.conf:17: syntax: expected" "syntax error at its line"

like "$out" "bad.conf:18: source lost: a maildir source needs \"path\"" "a source without a path"
is "$(printf '%s\n' "$out" | wc -l)" 8 "every problem is reported in one run, one per line"

out=$(postdeskd -c "$T/missing.conf" -n 2>&1)
is "$?" 1 "a missing config file is an error"
like "$out" "missing.conf:0: file:" "and says which file"

done_testing
