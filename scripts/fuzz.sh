#!/bin/sh
# Builds the libFuzzer harnesses in tests/fuzz/ (./configure
# --enable-fuzzing CC=clang in build/fuzz: ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 20) from its seed corpus. Prints "N passed, M
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
for h in phone time request calendar config query forecast; do
	bin=$out/tests/fuzz/fuzz_$h
	if ! (cd "$out" && make -j2 "tests/fuzz/fuzz_$h") >"$out/$h.build.log" 2>&1; then
		echo "FAIL fuzz_$h: does not build"; tail -20 "$out/$h.build.log"
		failed=$((failed + 1)); continue
	fi
	corpus=$out/corpus_$h
	mkdir -p "$corpus"
	if (cd "$out" && "$bin" -max_total_time="$secs" -max_len=512 -timeout=10 \
	    -rss_limit_mb=1024 "$corpus" "$top/tests/fuzz/seeds/$h") >"$out/$h.log" 2>&1; then
		echo "ok   fuzz_$h ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$h.log" ||
		    tail -1 "$out/$h.log" | cut -c1-60))"
		passed=$((passed + 1))
	else
		echo "FAIL fuzz_$h: crashed; input in $out (crash-*)"; tail -30 "$out/$h.log"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
