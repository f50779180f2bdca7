#!/usr/bin/env bash
# TURN conformance against a real client: coturn's turnutils_uclient (Debian package coturn)
# relays through the switchyard binary's embedded TURN server (dev mode: REST secret "secret",
# loopback peers allowed) to turnutils_peer, an echo peer, in four modes: ChannelData (the
# default, with the RTCP allocation pair: EVEN-PORT with the R bit, then RESERVATION-TOKEN),
# Send/Data indications (-s), without RTCP pairs (-c), and with extra CreatePermission and
# ChannelBind requests (-G), over TCP (-t), and over TLS (-t -S: TLS over TCP, on the TLS
# port with a self-signed certificate made here; -S alone would be DTLS). Each run must get
# back every message it sent. 127.0.0.1 only; small bounded loads.
# Usage: turn_uclient_test.sh SWITCHYARD_BIN WEB_DIR
set -euo pipefail
server_bin=${1:?usage: turn_uclient_test.sh SWITCHYARD_BIN WEB_DIR}
web_dir=${2:?usage: turn_uclient_test.sh SWITCHYARD_BIN WEB_DIR}
for tool in turnutils_uclient turnutils_peer openssl; do
  command -v "$tool" >/dev/null || { echo "$tool missing (deploy/install-deps --test)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# TURN over TLS needs a certificate; the client does not check it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

"$server_bin" --dev --workers=1 --http_address=127.0.0.1 --http_port=0 --rtc_address=127.0.0.1 \
  --rtc_port=0 --turn_port=0 --turn_tls_port=0 --turn_tls_cert_file="$work/cert.pem" \
  --turn_tls_key_file="$work/key.pem" --web_dir="$web_dir" >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^switchyard: STUN\/TURN on udp port \([0-9]*\).*/\1/p' "$work/server.out")
  [[ -n $port ]] && break
  sleep 0.1
done
tcp_port=$(sed -n 's/^switchyard: STUN\/TURN on udp port [0-9]*, tcp port \([0-9]*\).*/\1/p' "$work/server.out")
tls_port=$(sed -n 's/^switchyard: STUN\/TURN on udp port .*, tls port \([0-9]*\).*/\1/p' "$work/server.out")
[[ -n $port ]] || { echo "server did not report its TURN port" >&2; cat "$work/server.err" >&2; exit 1; }

# The echo peer on a free port (turnutils_peer has no ephemeral-port option: probe a few).
peer_port=""
for _ in $(seq 10); do
  candidate=$((20000 + RANDOM % 20000))
  turnutils_peer -L 127.0.0.1 -p "$candidate" >"$work/peer.log" 2>&1 &
  pid=$!
  sleep 0.3
  if kill -0 "$pid" 2>/dev/null; then pids+=($pid); peer_port=$candidate; break; fi
done
[[ -n $peer_port ]] || { echo "could not start turnutils_peer" >&2; exit 1; }

status=0
for mode in "" "-s" "-c" "-G" "-t" "-t -S"; do
  out="$work/uclient${mode// /}.log"
  p=$port
  if [[ $mode == -t ]]; then p=${tcp_port:?the server reported no TCP port}; fi
  if [[ $mode == "-t -S" ]]; then p=${tls_port:?the server reported no TLS port}; fi
  timeout 60 turnutils_uclient $mode -W secret -e 127.0.0.1 -r "$peer_port" -p "$p" \
    -m 4 -n 50 -l 200 -z 5 127.0.0.1 >"$out" 2>&1 || true
  sent=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\)$/\1/p' "$out" | tail -1)
  recv=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\)$/\2/p' "$out" | tail -1)
  lost=$(sed -n 's/.*Total lost packets \([0-9]*\) .*/\1/p' "$out" | tail -1)
  if [[ ${sent:-0} -ne 200 || ${recv:-0} -ne 200 || ${lost:-1} -ne 0 ]]; then
    echo "FAIL uclient ${mode:-(channels)}: sent=${sent:-?} received=${recv:-?} lost=${lost:-?}" >&2
    grep -E "error|Error" "$out" | sort | uniq -c | head -5 >&2 || true
    status=1
  else
    echo "ok uclient ${mode:-(channels)}: 200 sent, 200 echoed through the relay, 0 lost"
  fi
done
exit $status
