#ifndef SWITCHYARD_TESTS_SFU_UDP_TEST_PEER_H_
#define SWITCHYARD_TESTS_SFU_UDP_TEST_PEER_H_

#include <chrono>
#include <span>

#include "tests/sfu/test_peer.h"
#include "transport/socket_address.h"

namespace switchyard::sfu::testing {

// A TestPeer on its own non-blocking UDP socket (127.0.0.1 or ::1, ephemeral port), talking
// to one server address (a worker's socket). Driven from the test thread only.
class UdpTestPeer {
 public:
  // `local`: the address to bind (default 127.0.0.1, ephemeral port).
  UdpTestPeer(const transport::Clock& clock, const transport::Certificate& certificate,
              const transport::SocketAddress& local = transport::SocketAddress::FromIpv4(
                  0x7F000001, 0));
  ~UdpTestPeer();
  UdpTestPeer(const UdpTestPeer&) = delete;
  UdpTestPeer& operator=(const UdpTestPeer&) = delete;

  bool ok() const { return bound_; }
  TestPeer& peer() { return peer_; }
  void set_server(const transport::SocketAddress& server) { server_ = server; }

  // Reads whatever arrived (waiting up to `wait`) and runs the peer's timers.
  void Poll(std::chrono::milliseconds wait);
  // Sends checks (every 100 ms until one succeeds) until DTLS-SRTP is up or `deadline` passes.
  bool Connect(std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));

 private:
  void SendRaw(std::span<const uint8_t> datagram);

  TestPeer peer_;
  int fd_ = -1;
  bool bound_ = false;
  transport::SocketAddress server_;
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_UDP_TEST_PEER_H_
