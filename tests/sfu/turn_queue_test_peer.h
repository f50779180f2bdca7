#ifndef SWITCHYARD_TESTS_SFU_TURN_QUEUE_TEST_PEER_H_
#define SWITCHYARD_TESTS_SFU_TURN_QUEUE_TEST_PEER_H_

#include <chrono>
#include <memory>

#include "sfu/worker.h"
#include "tests/sfu/test_peer.h"
#include "transport/datagram_queue.h"
#include "transport/socket_address.h"

namespace switchyard::sfu::testing {

// A TestPeer behind the embedded TURN server's in-process path: the test thread plays the TURN
// thread, pushing the peer's datagrams to the worker through a DatagramQueue (as coming from a
// relay address) and draining what the worker sends back. Same surface as UdpTestPeer.
class TurnQueueTestPeer {
 public:
  TurnQueueTestPeer(const transport::Clock& clock, const transport::Certificate& certificate);

  bool ok() const { return from_turn_ != nullptr && to_turn_ != nullptr; }
  TestPeer& peer() { return peer_; }
  // Before the worker starts.
  void AttachTo(Worker& worker) { worker.AttachTurnQueues(from_turn_.get(), to_turn_.get()); }
  // The worker socket the relay addresses.
  void set_server(const transport::SocketAddress& server) { server_ = server; }
  const transport::SocketAddress& relay() const { return relay_; }

  void Poll(std::chrono::milliseconds wait);
  bool Connect(std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));
  // Datagrams the worker sent back that were not from the addressed socket or not to the relay.
  uint64_t misaddressed() const { return misaddressed_; }

 private:
  TestPeer peer_;
  std::unique_ptr<transport::DatagramQueue> from_turn_;
  std::unique_ptr<transport::DatagramQueue> to_turn_;
  transport::SocketAddress server_;
  const transport::SocketAddress relay_ = transport::SocketAddress::FromIpv4(0x7F000001, 50999);
  uint64_t misaddressed_ = 0;
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_TURN_QUEUE_TEST_PEER_H_
