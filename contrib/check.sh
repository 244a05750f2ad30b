#!/usr/bin/env bash
# check.sh: install what is needed, build, run the whole test suite, and end with "N passed, N failed" alone on a line.
# --sanitize builds with AddressSanitizer and UndefinedBehaviorSanitizer in build-asan/.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
builddir="$top/build"
configure_args=()
if [ "${1:-}" = "--sanitize" ]; then
	builddir="$top/build-asan"
	configure_args=(--enable-sanitizers)
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export LSAN_OPTIONS=suppressions=$top/contrib/lsan.supp:print_suppressions=0
fi

if ! "$top/contrib/install-deps.sh"; then
	echo "0 passed, 1 failed"
	exit 1
fi
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || autoreconf -fi >/dev/null
mkdir -p "$builddir" && cd "$builddir"
if ! { ../configure -q --sysconfdir=/etc "${configure_args[@]}" && make -s -j"$(nproc)" >/dev/null; }; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
rm -f tests/*.trs tests/*.log
make -s -j"$(nproc)" check >/dev/null 2>&1

passed=0 failed=0 skipped=0
for trs in tests/*.trs; do
	while read -r _ result; do
		case "$result" in
		PASS | XFAIL) passed=$((passed + 1)) ;;
		SKIP) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	done < <(grep '^:test-result:' "$trs")
done
for log in tests/*.log; do
	grep -qE '^(not ok|Bail out!)' "$log" 2>/dev/null || grep -q '^ERROR' "${log%.log}.trs" 2>/dev/null || continue
	echo "---- $log"
	grep -E -A12 '^(not ok|Bail out!)|^ERROR' "$log" | head -60
done
[ -f test-suite.log ] && grep -E '^# (TOTAL|PASS|FAIL|ERROR|SKIP)' test-suite.log
if [ $((passed + failed)) -eq 0 ]; then
	echo "no test ran"
	failed=1
fi
echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
