#!/usr/bin/env bash
# What one Switchyard server forwards per CPU core under a switchyard-bench load, measured
# from outside: the server pinned to some cores, the load generator to others, the server's
# CPU time (/proc/<pid>/stat) and sent datagrams (/metrics) sampled over a window in the
# middle of the run, its memory (VmRSS) before the load and at the end of the window.
#
#   bench/worker_throughput.sh [--workers N] [--server-cpus LIST] [--bench-cpus LIST]
#       [--warmup S] [--window S] [--build DIR] -- <switchyard-bench flags>
#
# The bench flags must keep the load running past warmup + window (use --duration). Prints
# one markdown table row:
#   | workers | load | server CPU (cores) | sent pkt/s | pkt/s per core | CPU us/pkt | RSS MB
#     idle -> loaded | bench summary (loss, latency) |
# Everything stays on loopback; every run is bounded by the bench's own --timeout.
set -euo pipefail
cd "$(dirname "$0")/.."

workers=1
server_cpus=0
bench_cpus=1
warmup=10
window=10
build=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workers) workers=$2; shift 2 ;;
    --server-cpus) server_cpus=$2; shift 2 ;;
    --bench-cpus) bench_cpus=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-throughput.XXXXXX")
server_pid=""
bench_pid=""
cleanup() {
  [[ -n "$bench_pid" ]] && kill "$bench_pid" 2>/dev/null || true
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

taskset -c "$server_cpus" "$build/api/switchyard" --dev --turn=false --http_address=127.0.0.1 --http_port=0 \
  --rtc_address=127.0.0.1 --rtc_port=0 --workers="$workers" --web_dir=api/web \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
address=""
for _ in $(seq 150); do
  address=$(sed -n 's|.*switchyard: serving http://\([^/ ]*\)/.*|\1|p' "$work/server.out" | head -n1)
  [[ -n "$address" ]] && break
  sleep 0.1
done
[[ -n "$address" ]] || { echo "server did not start" >&2; cat "$work/server.err" >&2; exit 1; }

ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$server_pid/stat"; }
sent_packets() {
  curl -s "http://$address/metrics" |
    awk '/^switchyard_worker_packets_sent_total/ { s += $NF } END { printf "%d", s }'
}
rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"; }

rss_idle=$(rss_mb)
taskset -c "$bench_cpus" "$build/bench/load/switchyard-bench" --url "ws://$address/ws" --quiet \
  "$@" >"$work/bench.out" 2>&1 &
bench_pid=$!
sleep "$warmup"
cpu0=$(cpu_seconds); sent0=$(sent_packets); t0=$(date +%s.%N)
sleep "$window"
cpu1=$(cpu_seconds); sent1=$(sent_packets); t1=$(date +%s.%N)
rss_loaded=$(rss_mb)
wait "$bench_pid" || true
bench_pid=""

summary=$(grep -E "loss |latency |join time |subscribers " "$work/bench.out" | sed 's/  */ /g' | tr '\n' ';')
awk -v w="$workers" -v c0="$cpu0" -v c1="$cpu1" -v s0="$sent0" -v s1="$sent1" -v t0="$t0" \
  -v t1="$t1" -v ri="$rss_idle" -v rl="$rss_loaded" -v load="$*" -v sum="$summary" 'BEGIN {
    secs = t1 - t0; cpu = c1 - c0; pkts = s1 - s0;
    cores = cpu / secs; rate = pkts / secs;
    per_core = cpu > 0 ? pkts / cpu : 0; us = pkts > 0 ? cpu * 1e6 / pkts : 0;
    printf "| %d | %s | %.2f | %.0f | %.0f | %.2f | %s -> %s | %s |\n",
      w, load, cores, rate, per_core, us, ri, rl, sum }'
