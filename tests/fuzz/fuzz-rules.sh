#!/usr/bin/env bash
# fuzz-rules.sh: build the rule parser's libFuzzer target with clang (ASan, UBSan) and run it for N seconds.
# usage: tests/fuzz/fuzz-rules.sh [SECONDS] [extra libFuzzer flags]   (default 60; needs clang)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
shift || true
command -v clang >/dev/null || { echo "fuzz-rules: clang is needed (apt-get install -y clang)" >&2; exit 1; }
[ -f "$top/build/config.h" ] || "$top/contrib/build.sh"
out=${FUZZ_OUT:-"$top/build/fuzz"}
mkdir -p "$out/corpus" "$out/crashes"
# Seeds: the shipped rules and the test cases' rule texts.
cp "$top"/rules/*.rules "$out/corpus/" 2>/dev/null || true
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$top/build" -I"$top/src" -I"$top/src/common" $(pkg-config --cflags glib-2.0 json-glib-1.0 libpcre2-8) \
	-o "$out/fuzz-rules" "$top/tests/fuzz/fuzz-rules.c" "$top"/src/rules/*.c \
	$(pkg-config --libs glib-2.0 json-glib-1.0 libpcre2-8)
cd "$out"
ASAN_OPTIONS=detect_leaks=1 ./fuzz-rules -max_total_time="$seconds" -max_len=4096 -timeout=10 \
	-dict="$top/tests/fuzz/fuzz-rules.dict" -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" corpus
