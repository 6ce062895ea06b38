#!/bin/sh
# scripts/run.sh BUILD_DIR - what `make run` shows until the mail gateway exists.
#
# Generates the sample messages (tests/gen/make_samples.py) into
# BUILD_DIR/samples/ (reused while the generator is unchanged), scans the
# agency-themed demo messages with vigil's human output and the sample
# indicators (rules/samples/iocs.txt), then the test wrappers, encrypted
# archives and decompression bombs as a one-line-per-file table, and says
# where to look next. Takes a few seconds.
set -eu
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
VIGIL="$BUILD/src/vigil"
SAMPLES="$BUILD/samples"
GEN="$TOP/tests/gen/make_samples.py"
IOCS="$TOP/rules/samples/iocs.txt"
export VIGIL_DATADIR="${VIGIL_DATADIR:-$TOP}"

if [ ! -x "$VIGIL" ]; then
	echo "run: $VIGIL not found; build first: make build" >&2
	exit 2
fi

# regenerate when missing or older than the generator
if [ ! -f "$SAMPLES/MANIFEST.json" ] || [ "$GEN" -nt "$SAMPLES/MANIFEST.json" ]; then
	rm -rf "$SAMPLES.tmp"
	python3 "$GEN" "$SAMPLES.tmp" >/dev/null
	rm -rf "$SAMPLES"
	mv "$SAMPLES.tmp" "$SAMPLES"
fi

echo "== vigil demo: agency-themed messages ($SAMPLES/demo), indicators $IOCS"
echo
rc=0
"$VIGIL" scan --no-progress --ioc "$IOCS" "$SAMPLES/demo" || rc=$?
[ "$rc" -le 1 ] || { echo "run: vigil scan failed (exit $rc)" >&2; exit "$rc"; }

echo
echo "== test payloads: wrappers, encrypted archives, bombs, MIME nesting"
echo
rc=0
"$VIGIL" scan --json --no-progress --threads 2 --ioc "$IOCS" \
	"$SAMPLES/wrapped" "$SAMPLES/encrypted" "$SAMPLES/bombs" "$SAMPLES/mime" \
	>"$BUILD/run-scan.jsonl" || rc=$?
[ "$rc" -le 1 ] || { echo "run: vigil scan failed (exit $rc)" >&2; exit "$rc"; }
python3 - "$SAMPLES" "$BUILD/run-scan.jsonl" <<'EOF'
import json, os, sys
root = sys.argv[1]
desc = {e["file"]: e["description"] for e in json.load(open(os.path.join(root, "MANIFEST.json")))["files"]}
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
for r in sorted(rows, key=lambda r: r["path"]):
    rel = os.path.relpath(r["path"], root)
    ids = []
    for f in r["findings"]:
        if f["severity"] != "info" and f["id"] not in ids:
            ids.append(f["id"])
    print("%-10s %3d  %-28s %5.0f ms  %s" % (r["verdict"].upper(), r["score"], rel,
                                           r.get("elapsed_ms", 0), ", ".join(ids) or "-"))
    print("%-10s      %s" % ("", desc.get(rel, "")))
EOF

cat <<EOF

== where to look
  samples:     $SAMPLES/  (MANIFEST.json says what each file is and what vigil must find)
  one message: $VIGIL scan -v --ioc rules/samples/iocs.txt $SAMPLES/demo/01_congvan_123.eml
               add --json for machine output, --lang vi for Vietnamese
  unpack one:  $VIGIL extract $SAMPLES/wrapped/zip_in_zip.eml /tmp/vigil-out
               (every object as a file, plus manifest.json)
  a mailbox:   $VIGIL scan $SAMPLES/demo/hopthu.mbox   (each message is FILE:N)
  help:        $VIGIL --help, $VIGIL scan --help
  indicators:  $IOCS (one per line: a hash, or kind:value)
  tests:       make check
EOF
for d in README.md docs; do
	if [ -e "$TOP/$d" ]; then echo "  docs:        $TOP/$d"; fi
done
