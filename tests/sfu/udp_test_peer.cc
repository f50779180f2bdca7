#include "tests/sfu/udp_test_peer.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

namespace switchyard::sfu::testing {

using namespace std::chrono_literals;
using transport::SocketAddress;

UdpTestPeer::UdpTestPeer(const transport::Clock& clock, const transport::Certificate& certificate,
                         const SocketAddress& local)
    : peer_(clock, certificate) {
  fd_ = ::socket(local.is_ipv6() ? AF_INET6 : AF_INET,
                 SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_storage storage{};
  const socklen_t length = local.ToSockaddr(storage);
  bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) == 0;
  peer_.SetSendFunction([this](std::span<const uint8_t> datagram) { SendRaw(datagram); });
}

UdpTestPeer::~UdpTestPeer() {
  if (fd_ >= 0) ::close(fd_);
}

void UdpTestPeer::Poll(std::chrono::milliseconds wait) {
  pollfd pfd{fd_, POLLIN, 0};
  ::poll(&pfd, 1, static_cast<int>(wait.count()));
  for (;;) {
    std::array<uint8_t, 2048> buffer;
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) break;
    peer_.OnDatagram(std::span<uint8_t>(buffer.data(), static_cast<size_t>(n)));
  }
  peer_.OnTimer();
}

bool UdpTestPeer::Connect(std::chrono::milliseconds deadline) {
  return peer_.ConnectWithChecks([this](std::chrono::milliseconds wait) { Poll(wait); }, deadline);
}

void UdpTestPeer::SendRaw(std::span<const uint8_t> datagram) {
  sockaddr_storage storage{};
  const socklen_t length = server_.ToSockaddr(storage);
  (void)::sendto(fd_, datagram.data(), datagram.size(), 0,
                 reinterpret_cast<const sockaddr*>(&storage), length);
}

}  // namespace switchyard::sfu::testing
