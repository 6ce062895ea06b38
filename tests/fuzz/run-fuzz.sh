#!/bin/sh
# run-fuzz.sh BUILD SECONDS - runs every libFuzzer harness for SECONDS each.
# Corpus: tests/fuzz/seeds plus the shared test data (read only), or
# tests/fuzz/seeds/HARNESS/ alone where that folder exists; new
# interesting inputs go to BUILD/fuzz-corpus/HARNESS. A crash or timeout input
# is copied into tests/fuzz/regressions/ so `make check` replays it forever.
set -u
B=$1; SECS=${2:-60}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SH=${VIGIL_SHARED:-$TOP/../shared}
status=0
for h in "$B"/tests/fuzz/fuzz_*; do
	case $h in *_replay) continue ;; esac
	[ -x "$h" ] && [ -f "$h" ] || continue
	name=$(basename "$h")
	corpus="$B/fuzz-corpus/$name"
	art="$B/fuzz-artifacts/$name/"
	mkdir -p "$corpus" "$art"
	if [ -d "$TOP/tests/fuzz/seeds/$name" ]; then
		# a harness with seeds of its own (seeds/fuzz_org/): only those
		set -- "$corpus" "$TOP/tests/fuzz/seeds/$name"
	else
		set -- "$corpus" "$TOP/tests/fuzz/seeds"
		[ -d "$SH/testdata" ] && set -- "$@" "$SH/testdata/mime/mimetools" "$SH/testdata/mime/rspamd"
	fi
	case $name in
	fuzz_stix | fuzz_misp) [ -d "$SH/testdata/stix" ] && set -- "$@" "$SH/testdata/stix" ;;
	esac
	echo "== $name for ${SECS}s"
	"$h" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 -max_len=1048576 \
		-artifact_prefix="$art" "$@" 2>&1 | tail -n 5
	for a in "$art"*; do
		[ -f "$a" ] || continue
		cp "$a" "$TOP/tests/fuzz/regressions/$name-$(basename "$a")"
		echo "saved regression: tests/fuzz/regressions/$name-$(basename "$a")"
		status=1
	done
done
exit $status
