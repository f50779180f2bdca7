#include "tests/sfu/tcp_test_peer.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace switchyard::sfu::testing {

using namespace std::chrono_literals;

TcpTestPeer::TcpTestPeer(const transport::Clock& clock, const transport::Certificate& certificate)
    : peer_(clock, certificate) {
  peer_.SetSendFunction([this](std::span<const uint8_t> datagram) { SendFramed(datagram); });
}

TcpTestPeer::~TcpTestPeer() {
  if (fd_ >= 0) ::close(fd_);
}

void TcpTestPeer::set_server(const transport::SocketAddress& server) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::socket(server.is_ipv6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_storage storage{};
  const socklen_t length = server.ToSockaddr(storage);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return;
  }
  const int on = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

void TcpTestPeer::Poll(std::chrono::milliseconds wait) {
  if (fd_ >= 0 && !closed_by_server_) {
    pollfd pfd{fd_, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(wait.count()));
    for (;;) {
      std::span<uint8_t> space = reader_.WritableSpace();
      const ssize_t n = ::recv(fd_, space.data(), space.size(), MSG_DONTWAIT);
      if (n == 0) closed_by_server_ = true;
      if (n <= 0) break;
      reader_.Commit(static_cast<size_t>(n),
                     [this](std::span<uint8_t> frame) { peer_.OnDatagram(frame); });
    }
  }
  peer_.OnTimer();
}

bool TcpTestPeer::Connect(std::chrono::milliseconds deadline) {
  return peer_.ConnectWithChecks([this](std::chrono::milliseconds wait) { Poll(wait); }, deadline);
}

void TcpTestPeer::WriteRaw(std::span<const uint8_t> bytes) {
  if (fd_ >= 0) (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

void TcpTestPeer::SendFramed(std::span<const uint8_t> datagram) {
  std::vector<uint8_t> framed;
  if (!transport::AppendRfc4571Frame(datagram, 0x10001 + 2, framed)) return;
  WriteRaw(framed);
}

}  // namespace switchyard::sfu::testing
