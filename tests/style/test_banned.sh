#!/bin/sh
# Banned functions (curl's list, adapted): unbounded or error-hiding string
# and number functions must not appear in our C sources.
TOP=${VIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
banned='sprintf|vsprintf|strcpy|strcat|strncpy|strncat|stpcpy|gets|strtok|atoi|atol|atoll|alloca|mktemp|tmpnam|tempnam|system|popen'
hits=$(cd "$TOP" && grep -rnE "(^|[^_a-zA-Z0-9.>])($banned)[[:space:]]*\(" \
	--include='*.c' --include='*.h' src include tests/unit tests/fuzz 2>/dev/null |
	grep -vE '^\S+:[0-9]+:\s*(\*|/\*|//)')
if [ -n "$hits" ]; then
	echo "banned functions used:"
	echo "$hits"
	exit 1
fi
n=$(cd "$TOP" && find src include -name '*.[ch]' | wc -l)
echo "RESULT: $n files free of banned functions"
