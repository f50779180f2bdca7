#ifndef SWITCHYARD_TESTS_SFU_TCP_TEST_PEER_H_
#define SWITCHYARD_TESTS_SFU_TCP_TEST_PEER_H_

#include <chrono>
#include <span>

#include "tests/sfu/test_peer.h"
#include "transport/rfc4571_framer.h"
#include "transport/socket_address.h"
#include "transport/udp_socket.h"

namespace switchyard::sfu::testing {

// A TestPeer that reaches the server over ICE-TCP: the active side of RFC 6544, one TCP
// connection from 127.0.0.1 carrying RFC 4571 frames. Same surface as UdpTestPeer. Driven
// from the test thread only.
class TcpTestPeer {
 public:
  TcpTestPeer(const transport::Clock& clock, const transport::Certificate& certificate);
  ~TcpTestPeer();
  TcpTestPeer(const TcpTestPeer&) = delete;
  TcpTestPeer& operator=(const TcpTestPeer&) = delete;

  bool ok() const { return true; }
  TestPeer& peer() { return peer_; }
  // Connects (blocking, loopback) to the server's passive candidate.
  void set_server(const transport::SocketAddress& server);
  bool connected_tcp() const { return fd_ >= 0; }

  // Reads whatever arrived (waiting up to `wait`) and runs the peer's timers.
  void Poll(std::chrono::milliseconds wait);
  // Sends checks (every 100 ms until one succeeds) until DTLS-SRTP is up or `deadline` passes.
  bool Connect(std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));
  // Writes raw bytes on the connection (for malformed-stream tests).
  void WriteRaw(std::span<const uint8_t> bytes);
  // True once the server closed the connection.
  bool closed_by_server() const { return closed_by_server_; }

 private:
  void SendFramed(std::span<const uint8_t> datagram);

  TestPeer peer_;
  int fd_ = -1;
  bool closed_by_server_ = false;
  transport::Rfc4571Reader reader_{transport::UdpSocket::kMaxDatagramSize};
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_TCP_TEST_PEER_H_
