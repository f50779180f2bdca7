#!/usr/bin/env bash
# NAT traversal end to end, in network namespaces this script creates and removes (nothing
# else is touched): a "public" namespace with the server on 10.99.<n>.1, a NAT router
# namespace (10.99.<n>.254 outside, 192.168.<n>.1 inside, nftables masquerade) and a client
# namespace (192.168.<n>.2, default route through the NAT) where node runs nat.test.mjs and its
# headless Chromium. Two topologies, one after the other:
#   cone         masquerade persistent: one mapping per inside address and port;
#   symmetric    masquerade random: a random outside port per connection;
#   udp-blocked  the cone NAT plus a firewall dropping every UDP packet from the inside.
# Needs root (ip netns, nft). Usage: nat_test.sh   (env: SWITCHYARD_BIN, SWITCHYARD_WEB_DIR)
set -euo pipefail
cd "$(dirname "$0")"
for tool in ip nft node; do
  command -v "$tool" >/dev/null || { echo "$tool missing (deploy/install-deps --test)" >&2; exit 1; }
done

n=$((100 + $$ % 100))
pub=sy-pub-$$ nat=sy-nat-$$ cli=sy-cli-$$
cleanup() {
  for ns in "$cli" "$nat" "$pub"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

build() {  # topology
  cleanup
  ip netns add "$pub"; ip netns add "$nat"; ip netns add "$cli"
  # IPv4 only: IPv6 link-local addresses would appear (after DAD) while Chromium loads the
  # page, and it aborts requests on such a network change (ERR_NETWORK_CHANGED).
  for ns in "$pub" "$nat" "$cli"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ip link add "p$$" netns "$pub" type veth peer name "np$$" netns "$nat"
  ip link add "c$$" netns "$cli" type veth peer name "nc$$" netns "$nat"
  ip -n "$pub" addr add "10.99.$n.1/24" dev "p$$"
  ip -n "$nat" addr add "10.99.$n.254/24" dev "np$$"
  ip -n "$nat" addr add "192.168.$n.1/24" dev "nc$$"
  ip -n "$cli" addr add "192.168.$n.2/24" dev "c$$"
  for ns in "$pub" "$nat" "$cli"; do ip -n "$ns" link set lo up; done
  ip -n "$pub" link set "p$$" up
  ip -n "$nat" link set "np$$" up
  ip -n "$nat" link set "nc$$" up
  ip -n "$cli" link set "c$$" up
  ip -n "$cli" route add default via "192.168.$n.1"
  ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
  local flags="persistent"
  if [[ $1 == symmetric ]]; then flags="random"; fi
  ip netns exec "$nat" nft -f - <<NFT
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "np$$" masquerade $flags
  }
}
NFT
  if [[ $1 == udp-blocked ]]; then
    ip netns exec "$nat" nft -f - <<NFT
table ip filter {
  chain forward {
    type filter hook forward priority filter;
    iifname "nc$$" meta l4proto udp drop
  }
}
NFT
  fi
}

status=0
for topology in cone symmetric udp-blocked; do
  build "$topology"
  if ! ip netns exec "$cli" env SWITCHYARD_SERVER_NETNS="$pub" SWITCHYARD_SERVER_ADDRESS="10.99.$n.1" \
      SWITCHYARD_NAT_TOPOLOGY="$topology" SWITCHYARD_NAT_PUBLIC_IP="10.99.$n.254" \
      node --test nat.test.mjs; then
    status=1
  fi
done
exit $status
