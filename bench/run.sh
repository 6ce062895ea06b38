#!/bin/sh
# make bench: every benchmark; results as tables under bench/results/.
set -eu
B=${1:-build}
cd "$(dirname "$0")/.."
./bench/scan_speed.sh "$B"
python3 ./bench/api_bench.py "$B" 10
python3 ./bench/block_bench.py "$B" 200
python3 ./bench/agent_bench.py "$B" 15
if [ "$(id -u)" = 0 ]; then
	bash ./bench/milter_bench.sh "$B"
else
	echo "bench: milter benchmark skipped (needs root for the Postfix and Dovecot instances)"
fi
