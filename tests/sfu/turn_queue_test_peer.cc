#include "tests/sfu/turn_queue_test_peer.h"

#include <poll.h>
#include <unistd.h>

namespace switchyard::sfu::testing {

using namespace std::chrono_literals;

TurnQueueTestPeer::TurnQueueTestPeer(const transport::Clock& clock,
                                     const transport::Certificate& certificate)
    : peer_(clock, certificate) {
  auto from_turn = transport::DatagramQueue::Create();
  auto to_turn = transport::DatagramQueue::Create();
  if (from_turn.ok()) from_turn_ = std::move(*from_turn);
  if (to_turn.ok()) to_turn_ = std::move(*to_turn);
  peer_.SetSendFunction([this](std::span<const uint8_t> datagram) {
    if (from_turn_->Push(datagram, relay_, server_)) from_turn_->WakeIfNeeded();
  });
}

void TurnQueueTestPeer::Poll(std::chrono::milliseconds wait) {
  pollfd pfd{to_turn_->wake_fd(), POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(wait.count())) > 0) {
    uint64_t count = 0;
    [[maybe_unused]] const ssize_t n = ::read(to_turn_->wake_fd(), &count, sizeof(count));
  }
  to_turn_->Drain(transport::DatagramQueue::kCapacity,
                  [this](std::span<uint8_t> data, const transport::SocketAddress& from,
                         const transport::SocketAddress& to) {
                    if (from != server_ || to != relay_) ++misaddressed_;
                    peer_.OnDatagram(data);
                  });
  peer_.OnTimer();
}

bool TurnQueueTestPeer::Connect(std::chrono::milliseconds deadline) {
  return peer_.ConnectWithChecks([this](std::chrono::milliseconds wait) { Poll(wait); }, deadline);
}

}  // namespace switchyard::sfu::testing
