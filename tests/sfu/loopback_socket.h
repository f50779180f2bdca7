#ifndef SWITCHYARD_TESTS_SFU_LOOPBACK_SOCKET_H_
#define SWITCHYARD_TESTS_SFU_LOOPBACK_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "transport/socket_address.h"

namespace switchyard::sfu::testing {

// A non-blocking UDP socket bound to 127.0.0.1 on an ephemeral port, for tests that talk to a
// real sfu::Worker over loopback. Test code only: plain syscalls, no event loop of its own
// (the test polls fd()).
class LoopbackSocket {
 public:
  LoopbackSocket();
  ~LoopbackSocket();
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;

  // False when the socket could not be created or bound.
  bool ok() const { return fd_ >= 0 && local_address_.port() != 0; }
  int fd() const { return fd_; }
  const transport::SocketAddress& local_address() const { return local_address_; }

  // Best effort (a full socket buffer drops the datagram, like a congested link would).
  void SendTo(const transport::SocketAddress& to, std::span<const uint8_t> datagram);
  // One datagram into `buffer`, or nullopt when none is waiting.
  std::optional<size_t> Receive(std::span<uint8_t> buffer, transport::SocketAddress& from);

 private:
  int fd_ = -1;
  transport::SocketAddress local_address_;
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_LOOPBACK_SOCKET_H_
