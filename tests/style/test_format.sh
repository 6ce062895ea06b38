#!/bin/sh
# Every C file follows .clang-format (run `make format` to fix).
TOP=${VIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$TOP" || exit 1
command -v clang-format >/dev/null || { echo "clang-format not installed"; exit 77; }
files=$(find src include tests/unit tests/fuzz -name '*.[ch]' 2>/dev/null)
bad=0
for f in $files; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f"
		bad=$((bad+1))
	fi
done
[ $bad -eq 0 ] || exit 1
echo "RESULT: $(echo "$files" | wc -w) files formatted"
