#include "transport/turn_peer_policy.h"

#include <array>
#include <algorithm>
#include <cstdint>

namespace switchyard::transport {
namespace {

PeerAddressClass ClassifyIpv4(uint32_t ip) {
  const uint8_t a = static_cast<uint8_t>(ip >> 24);
  const uint8_t b = static_cast<uint8_t>(ip >> 16);
  if (a == 0) return PeerAddressClass::kUnspecified;
  if (a == 127) return PeerAddressClass::kLoopback;
  if (a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168) ||
      (a == 100 && (b & 0xc0) == 64)) {
    return PeerAddressClass::kPrivate;
  }
  if (a == 169 && b == 254) return PeerAddressClass::kLinkLocal;
  if (ip == 0xffffffffu || (a & 0xf0) == 224) return PeerAddressClass::kMulticast;
  if ((a & 0xf0) == 240) return PeerAddressClass::kReserved;
  return PeerAddressClass::kPublic;
}

}  // namespace

PeerAddressClass ClassifyPeerAddress(const SocketAddress& address) {
  if (address.is_ipv4()) return ClassifyIpv4(address.ipv4_host_order());
  if (!address.is_ipv6()) return PeerAddressClass::kUnspecified;
  const std::array<uint8_t, 16>& ip = address.ip_bytes();
  bool zero_prefix = true;  // first 10 bytes zero: ::, ::1, ::ffff:a.b.c.d, ::a.b.c.d
  for (int i = 0; i < 10; ++i) zero_prefix = zero_prefix && ip[i] == 0;
  if (zero_prefix) {
    bool all_zero_but_last = ip[10] == 0 && ip[11] == 0 && ip[12] == 0 && ip[13] == 0 &&
                             ip[14] == 0;
    if (all_zero_but_last && ip[15] == 0) return PeerAddressClass::kUnspecified;
    if (all_zero_but_last && ip[15] == 1) return PeerAddressClass::kLoopback;
    // IPv4-mapped (::ffff:0:0/96) or -compatible: judged by the embedded IPv4 address, so
    // ::ffff:127.0.0.1 is loopback, never a way around the policy.
    const uint32_t v4 = (uint32_t{ip[12]} << 24) | (uint32_t{ip[13]} << 16) |
                        (uint32_t{ip[14]} << 8) | ip[15];
    if ((ip[10] == 0xff && ip[11] == 0xff) || (ip[10] == 0 && ip[11] == 0)) {
      const PeerAddressClass c = ClassifyIpv4(v4);
      return c == PeerAddressClass::kPublic ? PeerAddressClass::kReserved : c;
    }
  }
  if ((ip[0] & 0xfe) == 0xfc) return PeerAddressClass::kPrivate;
  if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) return PeerAddressClass::kLinkLocal;
  if (ip[0] == 0xff) return PeerAddressClass::kMulticast;
  return PeerAddressClass::kPublic;
}

std::string_view PeerAddressClassName(PeerAddressClass c) {
  switch (c) {
    case PeerAddressClass::kPublic: return "public";
    case PeerAddressClass::kLoopback: return "loopback";
    case PeerAddressClass::kPrivate: return "private";
    case PeerAddressClass::kLinkLocal: return "link-local";
    case PeerAddressClass::kUnspecified: return "unspecified";
    case PeerAddressClass::kMulticast: return "multicast";
    case PeerAddressClass::kReserved: return "reserved";
  }
  return "unknown";
}

bool TurnPeerPolicy::Allows(const SocketAddress& peer) const {
  for (const SocketAddress& own : always_allowed) {
    if (own == peer) return true;
  }
  switch (ClassifyPeerAddress(peer)) {
    case PeerAddressClass::kPublic: return true;
    case PeerAddressClass::kLoopback: return allow_loopback;
    case PeerAddressClass::kPrivate: return allow_private;
    default: return false;
  }
}

}  // namespace switchyard::transport
