#!/usr/bin/env bash
# Switchyard's embedded TURN server and coturn's turnserver under the same load from coturn's
# own client, turnutils_uclient (Debian package coturn: bench/install-bench-deps), one after the
# other on this machine: each server pinned to CPU 0, turnutils_peer (the echo peer) and
# turnutils_uclient to CPU 1. Prints one markdown row per server: messages sent/received, loss,
# round trip and jitter as uclient reports them, wall time, and the server's CPU seconds
# (utime + stime of /proc/PID/stat over the client's run) per 1000 relayed messages (each
# message crosses the relay twice: to the peer and back).
#
# Usage: bench/turn_uclient.sh [--build DIR] [--transport udp] [-- extra uclient flags]
#   default load: -m 20 clients, -n 1000 messages each, -l 1000 bytes, -z 5 ms interval
# Everything stays on 127.0.0.1; bounded by the message count and a 120 s timeout per run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
load=(-m 20 -n 1000 -l 1000 -z 5)
if [[ $# -gt 0 ]]; then load=("$@"); fi
for tool in turnserver turnutils_uclient turnutils_peer; do
  command -v "$tool" >/dev/null || { echo "$tool missing: run bench/install-bench-deps" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

peer_port=$((40000 + RANDOM % 10000))
taskset -c 1 turnutils_peer -L 127.0.0.1 -p "$peer_port" >"$work/peer.log" 2>&1 &
pids+=($!)
ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }

run() {  # name port pid
  local name=$1 port=$2 pid=$3
  sleep 1
  local cpu0 t0 cpu1 t1
  cpu0=$(cpu_seconds "$pid"); t0=$(date +%s.%N)
  timeout 120 taskset -c 1 turnutils_uclient -W secret -e 127.0.0.1 -r "$peer_port" -p "$port" \
    "${load[@]}" 127.0.0.1 >"$work/$name.uclient" 2>&1 || true
  cpu1=$(cpu_seconds "$pid"); t1=$(date +%s.%N)
  local sent recv lost rtt jitter
  sent=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=.*/\1/p' "$work/$name.uclient" | tail -1)
  recv=$(sed -n 's/.*tot_recv_msgs=\([0-9]*\)$/\1/p' "$work/$name.uclient" | tail -1)
  lost=$(sed -n 's/.*Total lost packets \([0-9]* ([0-9.]*%)\).*/\1/p' "$work/$name.uclient" | tail -1)
  rtt=$(sed -n 's/.*Average round trip delay \([0-9.]*\) ms.*/\1/p' "$work/$name.uclient" | tail -1)
  jitter=$(sed -n 's/.*Average jitter \([0-9.]*\) ms.*/\1/p' "$work/$name.uclient" | tail -1)
  local cpu wall per_k
  cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  per_k=$(awk -v c="$cpu" -v r="${recv:-0}" 'BEGIN { if (r > 0) printf "%.1f", 1000 * c / r * 1000; else print "n/a" }')
  echo "| $name | ${sent:-?} | ${recv:-?} | ${lost:-?} | ${rtt:-?} | ${jitter:-?} | $wall | $cpu | $per_k |"
  if [[ -z ${recv:-} ]]; then tail -5 "$work/$name.uclient" >&2; fi
}

echo "uclient load: ${load[*]}"
echo
echo "| server | msgs sent | msgs received | lost | avg RTT ms | avg jitter ms | wall s | server CPU s | CPU ms per 1000 echoed msgs |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"

sy_port=$((30000 + RANDOM % 5000))
# uclient uses one REST identity for every client (two allocations each): lift the per-identity
# quota, as coturn has none by default.
echo 'turn { user_quota: 100000 }' >"$work/switchyard.textproto"
taskset -c 0 "$build/api/switchyard" --config="$work/switchyard.textproto" --dev --workers=1 \
  --http_address=127.0.0.1 --http_port=0 \
  --rtc_address=127.0.0.1 --rtc_port=0 --turn_port="$sy_port" --web_dir=api/web \
  >"$work/switchyard.out" 2>&1 &
sy_pid=$!
pids+=($sy_pid)
run switchyard "$sy_port" "$sy_pid"
kill "$sy_pid"

co_port=$((35000 + RANDOM % 5000))
taskset -c 0 turnserver -n --listening-ip=127.0.0.1 --listening-port="$co_port" --relay-ip=127.0.0.1 \
  --use-auth-secret --static-auth-secret=secret --realm=switchyard --allow-loopback-peers \
  --no-cli --no-tls --no-dtls --no-tcp-relay --log-file=stdout --simple-log \
  >"$work/coturn.out" 2>&1 &
co_pid=$!
pids+=($co_pid)
run coturn "$co_port" "$co_pid"
