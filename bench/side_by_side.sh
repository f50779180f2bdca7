#!/usr/bin/env bash
# Switchyard and Janus side by side: the same switchyard-bench load against each, one after the
# other, on the same machine, and one markdown table of what each server spent per forwarded
# packet.
#
# Everything runs in a private network namespace (unshare -n) with a veth pair carrying
# 10.203.0.1/24: Janus gathers no ICE candidates on loopback interfaces, and nothing leaves the
# namespace. For each scenario, each server is started fresh (pinned to CPU 0 with taskset; the
# generator to CPU 1), switchyard-bench runs the load against it, and the server's CPU time
# (utime + stime of /proc/PID/stat, every thread) is sampled right before and after the bench
# run; peak RSS is the server's VmHWM after the run. CPU seconds per forwarded packet = CPU
# delta / RTP packets the subscribers received during the run (ramp and leave included, for both
# alike).
#
# Both servers get a single video layer (--video-layers 1): with three rid layers in Chromium's
# low-to-high order (q;h;f, what switchyard-bench offers), Janus 1.1.2's subscribers got the
# 150 kbps layer in our runs (it seems to take the first rid as the top one) while
# Switchyard's get the 1.7 Mbps one, and the packet counts would not compare.
#
# Janus: Debian's janus (bench/install-bench-deps), a minimal config in a temp dir: only the
# videoroom plugin and the HTTP transport, candidates only on the veth address, Janus's default
# threading (one event loop thread per handle; --janus-event-loops N for N shared loops) and
# warnings-only logging. Switchyard: --dev --workers=1.
#
# Usage: bench/side_by_side.sh [--build DIR] [--switchyard BIN] [--bench BIN]
#          [--duration SECONDS] [--livestream-subscribers N] [--meeting N]
#          [--janus-event-loops N] [--keep DIR]
#   --build DIR   where switchyard and switchyard-bench were built (default build-release)
#   --keep DIR    keep the bench JSON and server logs there (default: a temp dir, removed)
# Needs root (unshare -n, ip link). Prints the table on stdout; exit 0 when every run completed.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$repo/build-release"
switchyard_bin=""
bench_bin=""
duration=20
live_subscribers=50
meeting=6
janus_event_loops=0
keep=""
args=("$@")
while (($#)); do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --switchyard) switchyard_bin="$2"; shift 2 ;;
    --bench) bench_bin="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --livestream-subscribers) live_subscribers="$2"; shift 2 ;;
    --meeting) meeting="$2"; shift 2 ;;
    --janus-event-loops) janus_event_loops="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "side_by_side: unknown argument $1 (--help)" >&2; exit 2 ;;
  esac
done
switchyard_bin=${switchyard_bin:-$build/api/switchyard}
bench_bin=${bench_bin:-$build/bench/load/switchyard-bench}

if [[ -z ${SIDE_BY_SIDE_IN_NETNS:-} ]]; then
  for tool in janus ip taskset unshare curl python3; do
    command -v "$tool" >/dev/null || {
      echo "side_by_side: $tool missing: run bench/install-bench-deps" >&2; exit 2; }
  done
  for bin in "$switchyard_bin" "$bench_bin"; do
    [[ -x $bin ]] || { echo "side_by_side: $bin not built" >&2; exit 2; }
  done
  if [[ $(id -u) -ne 0 ]]; then
    echo "side_by_side: needs root for a network namespace (unshare -n)" >&2; exit 2
  fi
  if ! unshare --net true 2>/dev/null; then
    echo "side_by_side: cannot create a network namespace (unshare -n)" >&2; exit 2
  fi
  # A private network namespace that dies with this script.
  SIDE_BY_SIDE_IN_NETNS=1 exec unshare --net -- "$0" "${args[@]}"
fi

address=10.203.0.1
ip link set lo up
ip link add sbs0 type veth peer name sbs1 ||
  { echo "side_by_side: cannot create a veth pair in the namespace" >&2; exit 2; }
# IPv4 only: no link-local IPv6 candidates from Janus.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
ip addr add "$address/24" dev sbs0
ip link set sbs0 up
ip link set sbs1 up

work=$(mktemp -d "${TMPDIR:-/tmp}/side-by-side.XXXXXX")
out=${keep:-$work}
mkdir -p "$out"
server_pid=""
stop_server() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
cleanup() {
  stop_server
  [[ -n $keep ]] || rm -rf "$work"
}
trap cleanup EXIT

# Janus: only the videoroom plugin and the HTTP transport are loaded (folders of symlinks).
janus_lib=/usr/lib/x86_64-linux-gnu/janus
[[ -d $janus_lib ]] || janus_lib=$(dirname "$(dirname "$(dpkg -L janus | grep -m1 'libjanus_videoroom.so$')")")
mkdir -p "$work/janus"/{plugins,transports,events,loggers,etc}
ln -s "$janus_lib/plugins/libjanus_videoroom.so" "$work/janus/plugins/"
ln -s "$janus_lib/transports/libjanus_http.so" "$work/janus/transports/"
cat >"$work/janus/etc/janus.jcfg" <<EOF
general: {
  configs_folder = "$work/janus/etc"
  plugins_folder = "$work/janus/plugins"
  transports_folder = "$work/janus/transports"
  events_folder = "$work/janus/events"
  loggers_folder = "$work/janus/loggers"
  debug_level = 3
  interface = "$address"
  session_timeout = 60
  event_loops = $janus_event_loops
}
media: {
  ipv6 = false
  rtp_port_range = "30000-39999"
}
nat: {
  ice_enforce_list = "$address"
}
EOF
cat >"$work/janus/etc/janus.transport.http.jcfg" <<EOF
general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = 8088
  ip = "$address"
  https = false
}
admin: {
  admin_http = false
}
EOF
echo 'general: {}' >"$work/janus/etc/janus.plugin.videoroom.jcfg"

start_server() {  # target log_prefix
  case "$1" in
    switchyard)
      taskset -c 0 "$switchyard_bin" --dev --workers=1 --http_address="$address" \
        --http_port=8080 --rtc_address="$address" --rtc_port=40000 --announced_ip="$address" --turn=false \
        --web_dir="$repo/api/web" >"$2.out" 2>"$2.err" &
      server_pid=$!
      ready() { grep -q "switchyard: serving" "$2.out"; } ;;
    janus)
      taskset -c 0 janus -C "$work/janus/etc/janus.jcfg" -F "$work/janus/etc" >"$2.out" 2>"$2.err" &
      server_pid=$!
      ready() { curl -sf "http://$address:8088/janus/info" >/dev/null; } ;;
  esac
  for _ in $(seq 100); do
    if ready "$@"; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "side_by_side: $1 did not start; its output:" >&2
  tail -n 20 "$2.out" "$2.err" >&2
  return 1
}

cpu_ticks() {  # utime + stime of every thread; fields after the ")" of comm
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  read -r -a f <<<"$stat"
  echo $((f[11] + f[12]))
}
peak_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

scenarios=("livestream --subscribers $live_subscribers" "meeting --participants $meeting")
common=(--video-layers 1 --duration "$duration" --bind "$address" --room 4242 --quiet
  --connect-timeout 10)
rows="$work/rows.tsv"
: >"$rows"
status=0
for scenario in "${scenarios[@]}"; do
  name=${scenario%% *}
  for target in switchyard janus; do
    log="$out/$name-$target"
    start_server "$target" "$log" || { status=1; stop_server; continue; }
    if [[ $target == switchyard ]]; then
      endpoint=(--url "ws://$address:8080/ws")
    else
      endpoint=(--target janus --janus-url "http://$address:8088/janus")
    fi
    before=$(cpu_ticks "$server_pid")
    # shellcheck disable=SC2086
    if ! timeout $((duration + 90)) taskset -c 1 "$bench_bin" --scenario $scenario \
        "${endpoint[@]}" "${common[@]}" --json "$log.json" >"$log.bench.txt" 2>&1; then
      echo "side_by_side: the $name run against $target did not complete:" >&2
      tail -n 25 "$log.bench.txt" >&2
      status=1
    fi
    after=$(cpu_ticks "$server_pid")
    rss=$(peak_rss_kb "$server_pid")
    stop_server
    [[ -f $log.json ]] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$target" \
      "$((after - before))" "$(getconf CLK_TCK)" "$rss" "$log.json" >>"$rows"
  done
done

python3 - "$rows" <<'EOF'
import json, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
print("| scenario | target | participants | forwarded pkt/s | CPU-s per 1M fwd pkts | loss % "
      "| p50 / p99 latency ms | join median ms | peak RSS MB |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
per_packet = {}
for name, target, ticks, hz, rss_kb, path in rows:
    r = json.load(open(path))
    c, t = r["config"], r["totals"]
    cpu_s = int(ticks) / int(hz)
    forwarded = t["rtp_received"]
    cost = cpu_s / forwarded * 1e6 if forwarded else float("nan")
    per_packet[(name, target)] = cost
    people = c["publishers"] + c["subscribers"]
    shape = (f"{c['publishers']} pub → {c['subscribers']} sub" if c["subscribers"]
             else f"{c['publishers']} (all publish, all receive)")
    failed = t["connect_failures"] + t["disconnects"]
    note = f" ({failed} failed)" if failed else ""
    print(f"| {name} | {target} | {shape}{note} | {r['measured_rates']['packets_in_per_s']:.0f} "
          f"| {cost:.2f} ({cpu_s:.2f} s / {forwarded} pkts) | {t['loss_percent']:.3f} "
          f"| {r['latency']['p50_ms']:.2f} / {r['latency']['p99_ms']:.2f} "
          f"| {r['join_time']['p50_ms']:.0f} | {int(rss_kb) / 1024:.1f} |")
print()
for name in dict.fromkeys(n for n, *_ in rows):
    s, j = per_packet.get((name, "switchyard")), per_packet.get((name, "janus"))
    if s and j:
        print(f"- {name}: Janus / Switchyard CPU per forwarded packet = **{j / s:.1f}x**")
EOF
exit $status
