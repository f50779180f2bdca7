#!/usr/bin/env bash
# Smoke run of switchyard-bench against the real server: starts `switchyard --dev` on
# ephemeral loopback ports, runs a livestream (1 publisher, 10 subscribers) and a meeting of
# 3 for 3 s each with --expect-zero-loss, and always stops the server it started.
#
# Usage: smoke_test.sh SWITCHYARD_BIN SWITCHYARD_BENCH_BIN
set -euo pipefail

server_bin=${1:?usage: smoke_test.sh SWITCHYARD_BIN SWITCHYARD_BENCH_BIN}
bench_bin=${2:?usage: smoke_test.sh SWITCHYARD_BIN SWITCHYARD_BENCH_BIN}
web_dir="$(cd "$(dirname "$0")/../../api/web" && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-bench-smoke.XXXXXX")
server_pid=""

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$server_bin" --dev --http_address=127.0.0.1 --http_port=0 --rtc_address=127.0.0.1 \
  --rtc_port=0 --announced_ip=127.0.0.1 --turn_port=0 --web_dir="$web_dir" \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!

# The server prints "switchyard: serving http://127.0.0.1:PORT/" once it listens.
url=""
for _ in $(seq 150); do
  url=$(sed -n 's|.*switchyard: serving http://\([^/ ]*\)/.*|\1|p' "$work/server.out" | head -n1)
  [[ -n "$url" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "smoke: the server exited before serving" >&2
    cat "$work/server.out" "$work/server.err" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "smoke: the server did not print its address within 15 s" >&2
  cat "$work/server.out" "$work/server.err" >&2
  exit 1
fi
echo "smoke: server at $url (pid $server_pid)"

status=0
run() {
  echo "smoke: switchyard-bench $*"
  if ! "$bench_bin" --url "ws://$url/ws" --quiet --expect-zero-loss --connect-timeout 5 \
      --timeout 30 "$@"; then
    echo "smoke: FAILED: switchyard-bench $*" >&2
    status=1
  fi
}
run --scenario livestream --subscribers 10 --duration 3 --room smoke-live \
  --json "$work/live.json"
run --scenario meeting --participants 3 --duration 3 --room smoke-meeting

# The JSON must show traffic in both directions.
if ! grep -q '"rtp_received": [1-9]' "$work/live.json"; then
  echo "smoke: FAILED: the livestream JSON shows nothing received" >&2
  status=1
fi
if [[ $status -ne 0 ]]; then
  echo "---- server stderr (tail) ----" >&2
  tail -n 40 "$work/server.err" >&2
fi
exit $status
