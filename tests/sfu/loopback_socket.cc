#include "tests/sfu/loopback_socket.h"

#include <sys/socket.h>
#include <unistd.h>

namespace switchyard::sfu::testing {

namespace {

constexpr uint32_t kLoopback = 0x7F000001;
// Bursts of a few 1200-byte video packets must not overflow the default receive buffer while
// the test thread is busy elsewhere.
constexpr int kSocketBufferBytes = 1 << 20;

}  // namespace

LoopbackSocket::LoopbackSocket() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  const int size = kSocketBufferBytes;
  (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  (void)::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  sockaddr_storage storage{};
  socklen_t length = transport::SocketAddress::FromIpv4(kLoopback, 0).ToSockaddr(storage);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) return;
  length = sizeof(storage);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return;
  if (auto address = transport::SocketAddress::FromSockaddr(
          reinterpret_cast<const sockaddr*>(&storage), length)) {
    local_address_ = *address;
  }
}

LoopbackSocket::~LoopbackSocket() {
  if (fd_ >= 0) ::close(fd_);
}

void LoopbackSocket::SendTo(const transport::SocketAddress& to, std::span<const uint8_t> datagram) {
  sockaddr_storage storage{};
  const socklen_t length = to.ToSockaddr(storage);
  (void)::sendto(fd_, datagram.data(), datagram.size(), 0,
                 reinterpret_cast<const sockaddr*>(&storage), length);
}

std::optional<size_t> LoopbackSocket::Receive(std::span<uint8_t> buffer,
                                              transport::SocketAddress& from) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                               reinterpret_cast<sockaddr*>(&storage), &length);
  if (n < 0) return std::nullopt;
  if (auto address = transport::SocketAddress::FromSockaddr(
          reinterpret_cast<const sockaddr*>(&storage), length)) {
    from = *address;
  }
  return static_cast<size_t>(n);
}

}  // namespace switchyard::sfu::testing
