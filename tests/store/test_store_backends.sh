#!/bin/sh
# test_store_backends.sh - the store's suite (tests/unit/test_store.c) on
# both back ends: a fresh SQLite file, and a real PostgreSQL server this
# script starts on 127.0.0.1 (a free port, trust auth, data and socket in a
# temporary folder) and always stops again (trap), even when a test fails.
#
#   sh tests/store/test_store_backends.sh           the suite on both
#   sh tests/store/test_store_backends.sh --bench   tests/store/bench_store
#                                                   on both instead (numbers)
#
# PostgreSQL refuses to run as root: as root, the server runs as the
# 'postgres' user (runuser). Without PostgreSQL's binaries that half is
# reported as skipped; exit 77 only if nothing ran at all.
set -u
TOP=${VIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${VIGIL_BUILD:-$TOP/build}
MODE=test
[ "${1:-}" = "--bench" ] && MODE=bench
if [ $MODE = bench ]; then
	PROG="$BUILD/tests/store/bench_store"
else
	PROG="$BUILD/tests/unit/test_store"
fi
[ -x "$PROG" ] || { echo "$PROG is not built"; exit 77; }

WORK=$(mktemp -d /tmp/vigil-store-XXXXXX) || exit 1
chmod 755 "$WORK"
PGBIN=""
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && PGBIN=$d
done
AS=""
PG_STARTED=0

pg_ctl_() {
	$AS "$PGBIN/pg_ctl" -D "$WORK/pg/data" "$@"
}

cleanup() {
	if [ $PG_STARTED = 1 ]; then
		pg_ctl_ -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_on() { # NAME URL
	echo "== $1: $2"
	if [ $MODE = bench ]; then
		"$PROG" "$2"
	else
		VIGIL_TEST_DB="$2" "$PROG"
	fi
}

sqlite=failed
if run_on sqlite "sqlite:$WORK/vigil.db"; then
	sqlite=passed
fi

pg=skipped
why=""
if [ -z "$PGBIN" ]; then
	why="(no PostgreSQL binaries under /usr/lib/postgresql)"
elif [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
	why="(running as root and there is no 'postgres' user)"
else
	[ "$(id -u)" = 0 ] && AS="runuser -u postgres --"
	mkdir -p "$WORK/pg/sock"
	[ -n "$AS" ] && chown -R postgres "$WORK/pg"
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	OPTS="-c listen_addresses=127.0.0.1 -p $PORT -k $WORK/pg/sock"
	if ! $AS "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U vigil -E UTF8 --locale=C.UTF-8 \
		>"$WORK/initdb.log" 2>&1; then
		cat "$WORK/initdb.log"
		pg=failed
		why="(initdb failed)"
	elif ! pg_ctl_ -l "$WORK/pg/log" -o "$OPTS" -w -t 60 start >/dev/null; then
		cat "$WORK/pg/log"
		pg=failed
		why="(the server did not start)"
	else
		PG_STARTED=1
		URL="postgresql://vigil@127.0.0.1:$PORT/vigil_test?connect_timeout=3"
		$AS "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U vigil vigil_test
		# for the test that stops the server under the store and brings it back
		export VIGIL_TEST_DB_STOP="$AS $PGBIN/pg_ctl -D $WORK/pg/data -m fast -w stop >/dev/null"
		export VIGIL_TEST_DB_START="$AS $PGBIN/pg_ctl -D $WORK/pg/data -l $WORK/pg/log -o '$OPTS' -w -t 60 start >/dev/null"
		if run_on postgresql "$URL"; then
			pg=passed
		else
			pg=failed
			tail -n 20 "$WORK/pg/log"
		fi
	fi
fi

echo "RESULT: sqlite $sqlite, postgresql $pg $why"
[ $sqlite = failed ] || [ $pg = failed ] && exit 1
exit 0
