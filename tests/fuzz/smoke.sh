#!/usr/bin/env bash
# Runs one libFuzzer binary briefly, starting from the committed seeds, writing new inputs to
# a scratch corpus in the build tree (never into the source tree).
# Usage: smoke.sh <fuzzer> <seed-dir> <work-dir> <seconds>
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
mkdir -p "$work/corpus"
if [[ -d "$seeds" ]]; then cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true; fi
cd "$work"
exec "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 corpus
