#!/usr/bin/env bash
# fuzz-command.sh: build the #command and Authentication-Results libFuzzer target with clang (ASan, UBSan) and run it for N seconds.
# usage: tests/fuzz/fuzz-command.sh [SECONDS] [extra libFuzzer flags]   (default 60; needs clang)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
shift || true
command -v clang >/dev/null || { echo "fuzz-command: clang is needed (apt-get install -y clang)" >&2; exit 1; }
[ -f "$top/build/config.h" ] || "$top/contrib/build.sh"
out=${FUZZ_OUT:-"$top/build/fuzz-command"}
mkdir -p "$out/corpus" "$out/crashes"
# Seeds: a reply with a block, and Authentication-Results fields as servers write them.
printf '\n  #status pending\n#TAG vip -spam\n#cc add "a b"@example.org\n#cc -x@example.com\n#assign me\n#priority hgih\n#subject Привет\n#merge #1042\n#note\n#stauts x\n\nHello,\n#close\n' >"$out/corpus/seed-commands"
printf '#queue billing\n#untag a\n#resolve\n#1042\n' >"$out/corpus/seed-commands-2"
printf 'mx.example.net;\n dkim=pass header.d=example.com header.b=ab/c==;\n dmarc=pass (p=reject) header.from=example.com\nevil.example; dkim=pass header.i=@example.com\n' >"$out/corpus/seed-authres"
printf 'foo.example.net (foobar) 1 (baz); dkim (Because I like it) / 1 (One yay) = (wait for it) fail policy (A dot can go here) . (like that) expired (this surprised me) = (as I wasn'"'"'t expecting it) 1362471462' >"$out/corpus/seed-authres-2"
printf 'mx.example.net 1; none' >"$out/corpus/seed-authres-3"
# The dictionary: the command names and the field's words.
cat >"$out/fuzz-command.dict" <<'DICT'
"#status "
"#pending"
"#resolve"
"#close"
"#open"
"#assign "
"#priority "
"#queue "
"#tag "
"#untag "
"#cc add "
"#cc remove "
"#note"
"#merge #"
"#subject "
"resolved"
"urgent"
"none"
"me"
"@example.com"
"\xc2\xa0"
"\xe2\x80\xa8"
"dkim=pass"
"dmarc=pass"
"dmarc=fail"
"spf=pass"
"header.d="
"header.i=@"
"header.from="
"smtp.mailfrom="
"reason=\""
"mx.example.net"
"example.co.uk"
"xn--"
"; none"
"("
")"
"\\"
"\""
DICT
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$top/build" -I"$top/src" -I"$top/src/common" $(pkg-config --cflags glib-2.0) \
	-o "$out/fuzz-command" "$top/tests/fuzz/fuzz-command.c" "$top/src/command/parse.c" "$top/src/command/authres.c" \
	$(pkg-config --libs glib-2.0)
cd "$out"
ASAN_OPTIONS=detect_leaks=1 ./fuzz-command -max_total_time="$seconds" -max_len=4096 -timeout=10 \
	-dict="$out/fuzz-command.dict" -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" corpus
