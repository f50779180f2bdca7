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
  // IPv4: the 4 address bytes in network order in ip_bytes()[0..3]; IPv6: all 16.
  const std::array<uint8_t, 16>& ip_bytes() const { return ip_; }
  uint32_t ipv4_host_order() const;

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
};

struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const { return a.Hash(); }
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_SOCKET_ADDRESS_H_
