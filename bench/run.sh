#!/bin/sh
# make bench: every benchmark; results as tables under bench/results/.
set -eu
B=${1:-build}
cd "$(dirname "$0")/.."
./bench/scan_speed.sh "$B"
