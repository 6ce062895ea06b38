#!/bin/sh
# tests/run.sh BUILD_DIR - runs every test of vigil and prints one summary line.
#
# A test is an executable: cmocka unit tests built into BUILD_DIR/tests/, and
# the scripts tests/*/test_*.sh and tests/*/test_*.py. Exit 0 = passed,
# 77 = skipped (e.g. ../shared is absent), anything else = failed. Output of
# each test goes to BUILD_DIR/test-logs/NAME.log; a failing test's tail is
# printed. The last line is "N passed, N failed" (", N skipped" if any).
set -u
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
LOGS="$BUILD/test-logs"
mkdir -p "$LOGS"
export VIGIL_TOP="$TOP" VIGIL_BUILD="$BUILD"
export VIGIL="$BUILD/src/vigil"
export VIGIL_SHARED="${VIGIL_SHARED:-$TOP/../shared}"
export VIGIL_DATADIR="$TOP"
export PYTHONDONTWRITEBYTECODE=1

pass=0; fail=0; skip=0; failed=""

run() {
	name=$1; shift
	log="$LOGS/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s.%N)
	"$@" >"$log" 2>&1
	rc=$?
	t=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')
	note=$(grep '^RESULT:' "$log" | tail -n 1 | cut -c9-)
	case $rc in
	0) pass=$((pass+1)); echo "PASS  $name (${t}s) $note" ;;
	77) skip=$((skip+1)); echo "SKIP  $name (${t}s) $(tail -n 1 "$log")" ;;
	*) fail=$((fail+1)); failed="$failed $name"
	   echo "FAIL  $name (${t}s, exit $rc) $note"; tail -n 25 "$log" | sed 's/^/      | /' ;;
	esac
}

# unit tests (cmocka), built by meson
for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	run "unit/$(basename "$t")" "$t"
done

# script tests, by folder
for t in "$TOP"/tests/*/test_*.sh "$TOP"/tests/*/test_*.py; do
	[ -f "$t" ] || continue
	rel=${t#"$TOP"/tests/}
	case $t in
	*.py) run "$rel" python3 "$t" ;;
	*) run "$rel" sh "$t" ;;
	esac
done

if [ -n "$failed" ]; then
	echo "failed:$failed"
fi
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
