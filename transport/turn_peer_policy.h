#ifndef SWITCHYARD_TRANSPORT_TURN_PEER_POLICY_H_
#define SWITCHYARD_TRANSPORT_TURN_PEER_POLICY_H_

#include <string_view>
#include <vector>

#include "transport/socket_address.h"

namespace switchyard::transport {

// What a TURN peer address is, for the relay-target policy (RFC 8656 §21.1.2 and coturn's
// denied-peer-ip hardening: an open relay into the server's own networks is how TURN servers
// get abused to reach internal services).
enum class PeerAddressClass {
  kPublic,
  kLoopback,     // 127.0.0.0/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7 (ULA)
  kLinkLocal,    // 169.254/16, fe80::/10
  kUnspecified,  // 0.0.0.0/8, ::
  kMulticast,    // 224/4, 255.255.255.255, ff00::/8
  kReserved,     // 240/4 (other than broadcast), IPv4-mapped/compatible IPv6 of the above
};

PeerAddressClass ClassifyPeerAddress(const SocketAddress& address);
std::string_view PeerAddressClassName(PeerAddressClass c);

struct TurnPeerPolicy {
  bool allow_loopback = false;  // dev mode: local tools such as turnutils_uclient
  bool allow_private = false;   // a server relaying inside one private network
  // Exact transport addresses always allowed: the SFU's own media sockets (bound and
  // announced), which a TURN server co-located with its SFU must reach whatever range they
  // are in (a cloud VM's private address, a container's).
  std::vector<SocketAddress> always_allowed;
  // Those first; then public addresses always; loopback and private ranges only when allowed;
  // link-local, unspecified, multicast and reserved never.
  bool Allows(const SocketAddress& peer) const;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_TURN_PEER_POLICY_H_
