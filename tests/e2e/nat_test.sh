#!/usr/bin/env bash
# NAT traversal end to end, in network namespaces this script creates and removes (nothing
# else is touched): a "public" namespace with the server on 10.99.<n>.1, a NAT router
# namespace (10.99.<n>.254 outside, 192.168.<n>.1 inside, nftables masquerade) and a client
# namespace (192.168.<n>.2, default route through the NAT) where node runs nat.test.mjs and its
# headless Chromium. The topologies, one after the other:
#   cone               masquerade persistent: one mapping per inside address and port;
#   rebind             the cone NAT, then mid-call the NAT moves the client's UDP flows to a
#                      new outside address (SNAT to a second IP, UDP conntrack entries dropped):
#                      the client's public address changes under a running call;
#   symmetric          masquerade random: a random outside port per connection;
#   udp-blocked        the cone NAT plus a firewall dropping every UDP packet from the inside;
#   udp-blocked-ice-tcp  the same with the pages ignoring the STUN/TURN servers (ICE-TCP);
#   udp-blocked-relay  the same with the pages forced onto the TURN relay;
#   ipv6               the cone NAT for IPv4 plus routed IPv6; the server serves media on an
#                      IPv6 address (rtc.extra_addresses) and its IPv4 media address is one the
#                      client cannot reach, so the pages must connect over IPv6.
# Needs root (ip netns, nft, conntrack). Usage: nat_test.sh [topology...]
# (env: SWITCHYARD_BIN, SWITCHYARD_WEB_DIR)
set -euo pipefail
cd "$(dirname "$0")"
for tool in ip nft conntrack node; do
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
  # IPv4 only, except in the ipv6 topology: IPv6 link-local addresses would appear (after DAD)
  # while Chromium loads the page, and it aborts requests on such a network change
  # (ERR_NETWORK_CHANGED). The ipv6 topology turns DAD off, so every address (link-local ones
  # too, which neighbor discovery needs) is there when the links come up, before Chromium.
  for ns in "$pub" "$nat" "$cli"; do
    if [[ $1 == ipv6 ]]; then
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
        net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.dad_transmits=0 \
        net.ipv6.conf.all.dad_transmits=0
    else
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    fi
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
  if [[ $1 == ipv6 ]]; then
    # Routed IPv6 (unique local addresses, no NAT) beside the IPv4 of the page and signaling.
    ip -n "$pub" addr add "fd99:$n::1/64" dev "p$$" nodad
    ip -n "$nat" addr add "fd99:$n::fe/64" dev "np$$" nodad
    ip -n "$nat" addr add "fd98:$n::1/64" dev "nc$$" nodad
    ip -n "$cli" addr add "fd98:$n::2/64" dev "c$$" nodad
    ip -n "$cli" -6 route add default via "fd98:$n::1"
    ip -n "$pub" -6 route add "fd98:$n::/64" via "fd99:$n::fe"
    ip netns exec "$nat" sysctl -qw net.ipv6.conf.all.forwarding=1
  fi
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
  if [[ $1 == udp-blocked* ]]; then
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

# Run by nat.test.mjs (rebind) mid-call: UDP from the inside leaves from a second outside
# address from now on, and the UDP mappings made so far are forgotten, as when a NAT reboots or
# a carrier moves a client to another public address. TCP (the signaling WebSocket) is left
# alone.
rebind="ip -n $nat addr add 10.99.$n.253/24 dev np$$ && \
ip netns exec $nat nft insert rule ip nat postrouting oifname np$$ meta l4proto udp snat to 10.99.$n.253 && \
ip netns exec $nat conntrack -D -p udp >/dev/null 2>&1; true"

status=0
topologies=("$@")
if [[ ${#topologies[@]} -eq 0 ]]; then
  topologies=(cone rebind symmetric udp-blocked udp-blocked-ice-tcp udp-blocked-relay ipv6)
fi
for topology in "${topologies[@]}"; do
  build "$topology"
  if ! ip netns exec "$cli" env SWITCHYARD_SERVER_NETNS="$pub" SWITCHYARD_SERVER_ADDRESS="10.99.$n.1" \
      SWITCHYARD_NAT_TOPOLOGY="$topology" SWITCHYARD_NAT_PUBLIC_IP="10.99.$n.254" \
      SWITCHYARD_NAT_REBIND="$rebind" SWITCHYARD_NAT_REBIND_IP="10.99.$n.253" \
      SWITCHYARD_NAT_SERVER_IPV6="fd99:$n::1" \
      node --test nat.test.mjs; then
    status=1
  fi
done
exit $status
