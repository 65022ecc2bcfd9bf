#!/bin/sh
# Builds the libFuzzer harnesses in tests/fuzz/ (./configure
# --enable-fuzzing CC=clang in build/fuzz: ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 20) from its seed corpus, two at a time. Prints "N passed, M
# failed" (one per harness) and exits non-zero when one crashed; a crash
# input is left in build/fuzz/ to become a seed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/fuzz
secs=${FUZZ_SECONDS:-20}
mkdir -p "$out"
passed=0 failed=0
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) >"$out/configure.log" 2>&1
if ! (cd "$out" && "$top/configure" -q --enable-fuzzing CC=clang) >>"$out/configure.log" 2>&1; then
	echo "FAIL fuzzing: configure --enable-fuzzing failed"; tail -20 "$out/configure.log"
	echo "0 passed, 1 failed"
	exit 1
fi
harnesses="phone time request calendar config query forecast"
for h in $harnesses; do
	if ! (cd "$out" && make -j2 "tests/fuzz/fuzz_$h") >"$out/$h.build.log" 2>&1; then
		echo "FAIL fuzz_$h: does not build" >"$out/$h.result"
		tail -20 "$out/$h.build.log" >>"$out/$h.result"
	else
		rm -f "$out/$h.result"
	fi
done

# One harness: FUZZ_SECONDS of wall time from its corpus; its line (and a
# crash's tail) into $out/$h.result.
fuzz() {
	bin=$out/tests/fuzz/fuzz_$1
	corpus=$out/corpus_$1
	mkdir -p "$corpus"
	if (cd "$out" && "$bin" -max_total_time="$secs" -max_len=512 -timeout=10 \
	    -rss_limit_mb=1024 "$corpus" "$top/tests/fuzz/seeds/$1") >"$out/$1.log" 2>&1; then
		echo "ok   fuzz_$1 ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$1.log" ||
		    tail -1 "$out/$1.log" | cut -c1-60))" >"$out/$1.result"
	else
		{ echo "FAIL fuzz_$1: crashed; input in $out (crash-*)"; tail -30 "$out/$1.log"; } >"$out/$1.result"
	fi
}

# libFuzzer runs on one core: two at a time on the CI's two, each for
# the same wall time as alone
set -- $harnesses
while [ $# -gt 0 ]; do
	for h in "$1" "${2:-}"; do
		[ -n "$h" ] && [ ! -e "$out/$h.result" ] && fuzz "$h" &
	done
	wait
	shift
	[ $# -gt 0 ] && shift
done
for h in $harnesses; do
	cat "$out/$h.result"
	if grep -q '^ok ' "$out/$h.result"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
