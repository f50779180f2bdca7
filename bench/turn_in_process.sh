#!/usr/bin/env bash
# What the in-process path between the embedded TURN server and the media workers saves:
# coturn's turnutils_uclient relays through Switchyard's TURN to the server's own media port
# (the worker socket, as a relayed browser's media does), once with turn.in_process (queues
# inside the process) and once without (the relay's sendto and the worker's recvmmsg through
# the kernel's loopback). The worker drops the datagrams (they are no WebRTC traffic), so each
# message costs one relay hop plus the worker's receive and demultiplexing: the path the
# setting changes. Server pinned to CPU 0, the client to CPU 1. Prints one markdown row per
# mode: messages sent, messages the worker got, wall time, server CPU seconds (utime + stime of
# /proc/PID/stat over the client's run) and CPU per 1000 messages; `--runs N` alternates the
# modes N times.
#
# Usage: bench/turn_in_process.sh [--build DIR] [--runs N] [-- extra uclient flags]
#   default load: -c (no RTCP twin), -m 20 clients, -n 2000 messages each, -l 1000 bytes,
#   -z 2 ms interval
# Everything stays on 127.0.0.1; bounded by the message count and a 120 s timeout per run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
runs=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
load=(-c -m 20 -n 2000 -l 1000 -z 2)
if [[ $# -gt 0 ]]; then load=("$@"); fi
command -v turnutils_uclient >/dev/null || {
  echo "turnutils_uclient missing: run bench/install-bench-deps" >&2; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }
# Sum of a metric's samples whose line contains $2.
metric() { curl -s "http://127.0.0.1:$http_port/metrics" | awk -v n="$1" -v f="$2" \
  'index($0, n) == 1 && index($0, f) > 0 { s += $NF } END { printf "%d", s }'; }

# uclient uses one REST identity for every client: lift the per-identity quota.
echo 'turn { user_quota: 100000 }' >"$work/switchyard.textproto"

run() {  # in_process(true|false)
  local mode=$1
  http_port=$((20000 + RANDOM % 5000))
  local turn_port=$((30000 + RANDOM % 5000)) rtc_port=$((41000 + RANDOM % 5000))
  taskset -c 0 "$build/api/switchyard" --config="$work/switchyard.textproto" --dev --workers=1 \
    --http_address=127.0.0.1 --http_port="$http_port" --rtc_address=127.0.0.1 \
    --rtc_port="$rtc_port" --turn_port="$turn_port" --turn_in_process="$mode" --web_dir=api/web \
    >"$work/switchyard.out" 2>&1 &
  pid=$!
  sleep 1
  local cpu0 t0 cpu1 t1
  cpu0=$(cpu_seconds "$pid"); t0=$(date +%s.%N)
  timeout 120 taskset -c 1 turnutils_uclient -W secret -e 127.0.0.1 -r "$rtc_port" \
    -p "$turn_port" "${load[@]}" 127.0.0.1 >"$work/uclient.out" 2>&1 || true
  cpu1=$(cpu_seconds "$pid"); t1=$(date +%s.%N)
  local sent got
  sent=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=.*/\1/p' "$work/uclient.out" | tail -1)
  # Everything the worker received from the relays was dropped as unroutable, by reason.
  got=$(metric switchyard_worker_drops_total 'reason="unknown')
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  local cpu wall per_k
  cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  per_k=$(awk -v c="$cpu" -v r="${got:-0}" 'BEGIN { if (r > 0) printf "%.1f", 1000 * c / r * 1000; else print "n/a" }')
  echo "| in_process=$mode | ${sent:-?} | ${got:-?} | $wall | $cpu | $per_k |"
}

echo "uclient load: ${load[*]}"
echo
echo "| mode | msgs sent | msgs at the worker | wall s | server CPU s | CPU ms per 1000 msgs |"
echo "|---|---:|---:|---:|---:|---:|"
for ((i = 0; i < runs; ++i)); do
  run true
  run false
done
