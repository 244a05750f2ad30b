#!/usr/bin/env bash
# run-parse.sh: build the fuzz-parse libFuzzer target with ASan and UBSan, and run it for SECONDS (default 60).
# The seed corpus is taken at run time from the shared mail corpus (never copied into the repository);
# findings land in build-fuzz/findings/.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
out="$top/build-fuzz"
shared=${PD_SHARED:-$top/../shared}
mkdir -p "$out/corpus" "$out/findings"

command -v clang >/dev/null || { echo "run-parse: clang is needed (apt-get install clang)" >&2; exit 1; }
srcs=("$top"/src/parse/*.c)
clang -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -I"$top/src" -I"$top/src/common" -I"$top/tests" \
	$(pkg-config --cflags gmime-3.0 libytnef libxml-2.0) \
	"$top/tests/fuzz/fuzz-parse.c" "$top/tests/parse-util.c" "${srcs[@]}" \
	$(pkg-config --libs gmime-3.0 libytnef libxml-2.0) -o "$out/fuzz-parse"

# Seeds: the real and hostile mail of the shared corpus, up to 256 KB each.
if [ -d "$shared/corpus" ] && [ -z "$(ls -A "$out/corpus")" ]; then
	find "$shared/corpus" -type f \( -name '*.eml' -o -name '*.box' -o -name '*.msg' -o -name '*.txt' \
		-o -name '[0-9]*' -o -path '*/cur/*' -o -path '*/mail/*' -o -path '*/emails/*' \) -size -256k |
	while read -r f; do
		cp "$f" "$out/corpus/$(sha256sum "$f" | cut -c1-16)"
	done
fi
echo "run-parse: $(ls "$out/corpus" | wc -l) inputs in the corpus, running for $seconds s"
cd "$out/findings"
exec "$out/fuzz-parse" -max_total_time="$seconds" -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
	-dict="$top/tests/fuzz/parse.dict" -print_final_stats=1 "$out/corpus"
