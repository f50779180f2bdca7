#include "transport/socket_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace switchyard::transport {

SocketAddress SocketAddress::FromIpv4(uint32_t host_order_ip, uint16_t port) {
  SocketAddress a;
  a.family_ = AF_INET;
  a.port_ = port;
  a.ip_[0] = static_cast<uint8_t>(host_order_ip >> 24);
  a.ip_[1] = static_cast<uint8_t>(host_order_ip >> 16);
  a.ip_[2] = static_cast<uint8_t>(host_order_ip >> 8);
  a.ip_[3] = static_cast<uint8_t>(host_order_ip);
  return a;
}

SocketAddress SocketAddress::FromIpv6(const std::array<uint8_t, 16>& ip, uint16_t port) {
  SocketAddress a;
  a.family_ = AF_INET6;
  a.port_ = port;
  a.ip_ = ip;
  return a;
}

std::optional<SocketAddress> SocketAddress::FromSockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return FromIpv4(ntohl(in->sin_addr.s_addr), ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    std::array<uint8_t, 16> ip;
    std::memcpy(ip.data(), in6->sin6_addr.s6_addr, 16);
    return FromIpv6(ip, ntohs(in6->sin6_port));
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::Parse(std::string_view ip, uint16_t port) {
  std::string text(ip);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return FromIpv4(ntohl(v4.s_addr), port);
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), v6.s6_addr, 16);
    return FromIpv6(bytes, port);
  }
  return std::nullopt;
}

uint32_t SocketAddress::ipv4_host_order() const {
  return (uint32_t{ip_[0]} << 24) | (uint32_t{ip_[1]} << 16) | (uint32_t{ip_[2]} << 8) | ip_[3];
}

socklen_t SocketAddress::ToSockaddr(sockaddr_storage& storage) const {
  std::memset(&storage, 0, sizeof(storage));
  if (is_ipv4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port_);
    in->sin_addr.s_addr = htonl(ipv4_host_order());
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port_);
  std::memcpy(in6->sin6_addr.s6_addr, ip_.data(), 16);
  return sizeof(sockaddr_in6);
}

std::string SocketAddress::IpString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_ipv4()) {
    in_addr v4;
    v4.s_addr = htonl(ipv4_host_order());
    inet_ntop(AF_INET, &v4, buf, sizeof(buf));
  } else if (is_ipv6()) {
    in6_addr v6;
    std::memcpy(v6.s6_addr, ip_.data(), 16);
    inet_ntop(AF_INET6, &v6, buf, sizeof(buf));
  }
  return buf;
}

std::string SocketAddress::ToString() const {
  // Appends rather than operator+ on temporaries: GCC 12 reports a false -Wrestrict there.
  std::string out;
  if (is_ipv6()) out.push_back('[');
  out.append(IpString());
  if (is_ipv6()) out.push_back(']');
  out.push_back(':');
  out.append(std::to_string(port_));
  return out;
}

size_t SocketAddress::Hash() const {
  // FNV-1a over the significant bytes: cheap and allocation-free.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  mix(static_cast<uint8_t>(family_));
  mix(static_cast<uint8_t>(port_ >> 8));
  mix(static_cast<uint8_t>(port_));
  const size_t n = is_ipv4() ? 4 : 16;
  for (size_t i = 0; i < n; ++i) mix(ip_[i]);
  if (local_id_ != 0) {
    for (int shift = 0; shift < 32; shift += 8) mix(static_cast<uint8_t>(local_id_ >> shift));
  }
  return static_cast<size_t>(h);
}

}  // namespace switchyard::transport
