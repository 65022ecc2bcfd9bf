#!/bin/sh
# Builds the libFuzzer harnesses in tests/fuzz/ with clang (ASan + UBSan)
# and runs each for FUZZ_SECONDS (default 20) from its seed corpus. Prints
# "N passed, M failed" (one per harness) and exits non-zero when one
# crashed; a crash input is left in build/fuzz/ to become a seed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/fuzz
secs=${FUZZ_SECONDS:-20}
mkdir -p "$out"
core="daemon/phone.c daemon/timefmt.c daemon/validate.c daemon/ident.c daemon/calendar.c \
      daemon/config.c daemon/config_keys.c daemon/callback.c daemon/sla.c daemon/query.c"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
       -D_GNU_SOURCE -I$top/include $(pkg-config --cflags jansson inih libevent)"
libs="$(pkg-config --libs jansson inih libevent libcrypto)"
passed=0 failed=0
for h in phone time request calendar config query; do
	bin=$out/fuzz_$h
	# shellcheck disable=SC2086
	if ! (cd "$top" && clang $flags -o "$bin" tests/fuzz/fuzz_$h.c $core $libs) \
	    >"$out/$h.build.log" 2>&1; then
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
