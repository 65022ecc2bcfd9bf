#!/bin/sh
# The whole test suite, as README and CI run it: installs what is missing,
# checks that no include or import cycle has come in (tests/lint), builds
# twice (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs the unit tests (Check) and the integration tests (real Redis,
# PostgreSQL and syslog-ng) on each, then the libFuzzer harnesses for a
# bounded time, then the web pages in headless Chromium (tests/e2e). Runs
# every stage even after a failure, then prints a
# summary and, last, one line "N passed, M failed". Exits non-zero on any
# failure.
# Last, the Debian package: built, linted, unpacked and run (tests/package).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

sh scripts/deps.sh test || { echo "deps: cannot install the packages"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
summary=""

note() { summary="$summary$1
"; }

# Adds the counts of Check's "NN%: Checks: N, Failures: F, Errors: E" lines.
unit_counts() {
	for log in "$1"/tests/unit/*.log; do
		[ -e "$log" ] || continue
		grep -h '^[0-9]*%: Checks:' "$log"
	done | awk -F'[:,] *' '{ c += $3; f += $5 + $7 } END { printf "%d %d\n", c - f, f }'
}

# Adds up a log whose last count line is "N passed, M failed"; a non-zero
# exit with no failure counted is one failure. Shows what was not "ok".
tally() { # label log exit-code lines-to-show
	grep -v -e '^ok ' -e '^[0-9]* passed, [0-9]* failed$' "$2" | tail -n "$4"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2" | tail -n 1)
	tp=$(echo "$line" | awk '{ print $1 }')
	tf=$(echo "$line" | awk '{ print $3 }')
	tp=${tp:-0} tf=${tf:-0}
	[ "$3" != 0 ] && [ "$tf" = 0 ] && tf=1
	passed=$((passed + tp))
	failed=$((failed + tf))
	note "$1: $tp passed, $tf failed"
}

stage() { # name configure-flags env...
	name=$1 flags=$2
	shift 2
	envs="$*" # VAR=value words without spaces
	dir=build/$name
	mkdir -p "$dir"
	echo "== $name: build"
	if ! (cd "$dir" && ../../configure -q $flags && make -j2 >make.log 2>&1); then
		cat "$dir/make.log" 2>/dev/null | tail -40
		failed=$((failed + 1))
		note "$name: build FAILED"
		return
	fi
	echo "== $name: unit tests"
	(cd "$dir" && env $envs make -j2 check >check.log 2>&1)
	rc=$?
	counts=$(unit_counts "$dir")
	up=${counts% *} uf=${counts#* }
	if [ "$rc" != 0 ] && [ "$uf" = 0 ]; then
		# a unit program that did not build, or crashed before Check counted
		tail -40 "$dir/check.log"
		uf=1
	fi
	[ "$uf" != 0 ] && cat "$dir"/tests/unit/*.log 2>/dev/null | grep -v '^[0-9]*%: Checks' | grep -E 'F:|E:|ERROR|runtime error' | head -40
	passed=$((passed + up))
	failed=$((failed + uf))
	note "$name: unit $up passed, $uf failed"

	echo "== $name: integration tests"
	out=$dir/integration.log
	env $envs CALLBACKD="$top/$dir/callbackd" python3 tests/integration/run.py >"$out" 2>&1
	tally "$name: integration" "$out" $? 200
}

echo "== autoreconf"
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; failed=$((failed + 1)); }

echo "== cycles: no include cycle in daemon/, include/, no import cycle in www/"
mkdir -p build
python3 tests/lint/cycles.py >build/cycles.log 2>&1
tally cycles build/cycles.log $? 20

stage plain "--enable-werror"
echo "== format: the C sources as .clang-format has them"
(cd build/plain && make -s format-check) >build/format.log 2>&1
tally format build/format.log $? 40

stage asan "--enable-sanitizers --enable-werror" \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== fuzzing (libFuzzer, ${FUZZ_SECONDS:-20} s per harness)"
out=build/fuzz.log
mkdir -p build
FUZZ_SECONDS=${FUZZ_SECONDS:-20} sh scripts/fuzz.sh >"$out" 2>&1
tally fuzz "$out" $? 60

echo "== e2e: the web pages in headless Chromium"
out=build/e2e.log
CALLBACKD="$top/build/plain/callbackd" python3 tests/e2e/run.py >"$out" 2>&1
tally e2e "$out" $? 80

echo "== package: the .deb built, linted, unpacked and run"
out=build/package.log
python3 tests/package/run.py >"$out" 2>&1
tally package "$out" $? 60

echo
printf '%s' "$summary"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
