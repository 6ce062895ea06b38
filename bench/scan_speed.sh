#!/bin/sh
# bench/scan_speed.sh BUILD [CORPUS...] - vigil scan vs clamscan, same files, same run.
#
# For each corpus: vigil with its default rules, vigil with the public
# Yara-Rules email+maldocs set, and clamscan with one hash signature (ClamAV
# will not start without a database). One thread each, so every figure is
# "per core". CPU seconds and peak memory from /usr/bin/time; throughput is
# files (or MB) per CPU second. Writes bench/results/scan-speed.md.
set -eu
B=${1:-build}; shift || true
TOP=$(cd "$(dirname "$0")/.." && pwd)
SH=${VIGIL_SHARED:-$TOP/../shared}
VIGIL="$TOP/$B/src/vigil"
[ -x "$VIGIL" ] || VIGIL="$B/src/vigil"
[ $# -gt 0 ] || set -- "$SH/corpus/spamassassin"
OUT="$TOP/bench/results/scan-speed.md"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# one ClamAV hash signature: md5:size:name of a 68-byte file nobody sends
printf 'vigil-bench-signature-that-matches-nothing-in-any-corpus-at-all!!' > "$WORK/sig"
echo "$(md5sum < "$WORK/sig" | cut -d' ' -f1):$(stat -c %s "$WORK/sig"):Vigil.Bench.Sig" > "$WORK/one.hdb"

# measure NAME CMD... -> prints "cpu_s rss_kb" and keeps the command's stdout in $WORK/NAME.out
measure() {
	name=$1; shift
	/usr/bin/time -f '%U %S %M %e' -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2>"$WORK/$name.err" || true
	tail -n 1 "$WORK/$name.time" | awk '{printf "%.3f %d %.3f\n", $1+$2, $3, $4}'
}

{
echo "# vigil scan vs clamscan — one core each"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%Y-%m-%d). Command: \`make bench\` (bench/scan_speed.sh)."
echo "vigil $($VIGIL version | cut -d' ' -f2), $(clamscan --version | cut -d/ -f1)."
echo
echo "| corpus | files | MB | scanner | CPU s | files/s per core | MB/s per core | peak RSS MB | found | vs clamscan |"
echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$OUT.tmp"

for corpus in "$@"; do
	files=$(find "$corpus" -type f | wc -l)
	mb=$(du -sb "$corpus" | awk '{printf "%.1f", $1/1e6}')
	cname=$(basename "$corpus")
	# warm the page cache so every scanner reads from memory
	find "$corpus" -type f -exec cat {} + > /dev/null

	set -- $(measure clam clamscan --no-summary -d "$WORK/one.hdb" -r "$corpus")
	clam_cpu=$1; clam_rss=$2
	clam_found=$(grep -c 'FOUND$' "$WORK/clam.out" || true)

	set -- $(measure vig "$VIGIL" scan -q --no-progress "$corpus")
	vig_cpu=$1; vig_rss=$2
	vig_found=$(grep -cE ': (SUSPICIOUS|MALICIOUS)' "$WORK/vig.out" || true)

	set -- $(measure vigy "$VIGIL" scan -q --no-progress --rules "$SH/testdata/rules/yara-rules" "$corpus")
	vigy_cpu=$1; vigy_rss=$2
	vigy_found=$(grep -cE ': (SUSPICIOUS|MALICIOUS)' "$WORK/vigy.out" || true)

	row() { # name cpu rss found
		awk -v c="$cname" -v f="$files" -v mb="$mb" -v n="$1" -v cpu="$2" -v rss="$3" -v fd="$4" -v cc="$clam_cpu" \
		'BEGIN{ if (cpu<=0) cpu=0.001; printf "| %s | %d | %s | %s | %.2f | %.0f | %.1f | %.0f | %d | %.2f× |\n", c, f, mb, n, cpu, f/cpu, mb/cpu, rss/1024, fd, cc/cpu }'
	}
	{
	row "clamscan (1 hash signature)" "$clam_cpu" "$clam_rss" "$clam_found"
	row "vigil scan (default rules)" "$vig_cpu" "$vig_rss" "$vig_found"
	row "vigil scan + yara-rules email+maldocs" "$vigy_cpu" "$vigy_rss" "$vigy_found"
	} >> "$OUT.tmp"
done
{
echo
echo "\"found\" counts inputs reported (clamscan: FOUND lines; vigil: suspicious or malicious verdicts, which include"
echo "parser anomalies and informational-rule overrides — see docs/decisions/0004-scoring.md)."
echo "vigil runs every extractor and analyzer on every object; clamscan here matches one hash."
} >> "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
