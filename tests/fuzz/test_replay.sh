#!/bin/sh
# Replays saved fuzz regressions and seeds through every harness, plus a
# bounded slice of the shared test data, without libFuzzer. A harness with a
# folder of its own under seeds/ (seeds/fuzz_org/) gets only that folder.
B=${VIGIL_BUILD:?}
TOP=${VIGIL_TOP:?}
SH=${VIGIL_SHARED:-$TOP/../shared}
status=0
for h in "$B"/tests/fuzz/*_replay; do
	[ -x "$h" ] || continue
	own="$TOP/tests/fuzz/seeds/$(basename "$h" _replay)"
	set -- "$TOP/tests/fuzz/regressions" "$TOP/tests/fuzz/seeds"
	# a harness with its own seeds (a document parser of vigild) gets those
	if [ -d "$own" ]; then
		set -- "$TOP/tests/fuzz/regressions" "$own"
	elif [ -d "$SH/testdata" ]; then
		for d in "$SH"/testdata/mime/* "$SH"/testdata/office/oletools/*; do
			[ -d "$d" ] && set -- "$@" "$d"
		done
		case $h in
		*/fuzz_stix_replay | */fuzz_misp_replay)
			set -- "$@" "$SH/testdata/stix" "$SH/testdata/stix/threat-reports" ;;
		esac
	fi
	echo "== $(basename "$h")"
	# every input once, then a bounded, reproducible mutation smoke run
	"$h" --mutate "${VIGIL_FUZZ_MUTATIONS:-300}" --seed 1 "$@" || status=1
done
exit $status
