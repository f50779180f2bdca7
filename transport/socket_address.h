#ifndef SWITCHYARD_TRANSPORT_SOCKET_ADDRESS_H_
#define SWITCHYARD_TRANSPORT_SOCKET_ADDRESS_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::transport {

// An IPv4 or IPv6 address with a port: a small value type (no heap) used as a hash key on the
// media path (remote address -> transport) and convertible to/from sockaddr for recvmmsg/sendto.
class SocketAddress {
 public:
  SocketAddress() = default;
  static SocketAddress FromIpv4(uint32_t host_order_ip, uint16_t port);
  static SocketAddress FromIpv6(const std::array<uint8_t, 16>& ip, uint16_t port);
  static std::optional<SocketAddress> FromSockaddr(const sockaddr* sa, socklen_t len);
  // "1.2.3.4" or "::1" (no brackets) plus a port; nullopt when the text is not an IP literal.
  static std::optional<SocketAddress> Parse(std::string_view ip, uint16_t port);

  bool is_ipv4() const { return family_ == AF_INET; }
  bool is_ipv6() const { return family_ == AF_INET6; }
  bool empty() const { return family_ == 0; }
  uint16_t port() const { return port_; }
  SocketAddress WithPort(uint16_t port) const {
    SocketAddress a = *this;
    a.port_ = port;
    return a;
  }
  // IPv4: the 4 address bytes in network order in ip_bytes()[0..3]; IPv6: all 16.
  const std::array<uint8_t, 16>& ip_bytes() const { return ip_; }
  uint32_t ipv4_host_order() const;

  // Which of our local sockets the remote address is reached through: an IP and port alone do
  // not name a path once a worker listens on several addresses and over TCP (a peer's UDP and
  // TCP ports may even coincide). It plays the role of mediasoup's TransportTuple or pion's
  // candidate-pair conn without another type on every signature: 0 (the default) is the first
  // UDP socket; the owner of the sockets assigns the rest (see sfu::Worker). Part of equality
  // and the hash, so routing tables keep paths apart; not part of the wire form (ToSockaddr,
  // STUN address attributes) or of ToString.
  uint32_t local_id() const { return local_id_; }
  SocketAddress WithLocalId(uint32_t id) const {
    SocketAddress a = *this;
    a.local_id_ = id;
    return a;
  }
  // The same IP and port on the default path (local_id 0).
  SocketAddress WithoutLocalId() const { return WithLocalId(0); }

  // Writes a sockaddr_in/sockaddr_in6 into storage; returns its length.
  socklen_t ToSockaddr(sockaddr_storage& storage) const;
  std::string IpString() const;
  std::string ToString() const;  // "1.2.3.4:5" or "[::1]:5"

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) = default;
  size_t Hash() const;

 private:
  uint16_t family_ = 0;
  uint16_t port_ = 0;
  std::array<uint8_t, 16> ip_{};
  uint32_t local_id_ = 0;
};

struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const { return a.Hash(); }
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_SOCKET_ADDRESS_H_
