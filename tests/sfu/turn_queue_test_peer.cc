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

bool TurnQueueTestPeer::Connect(std::chrono::milliseconds deadline_after) {
  const auto deadline = std::chrono::steady_clock::now() + deadline_after;
  auto next_check = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    if (peer_.connected()) return true;
    if (!peer_.ice_connected() && std::chrono::steady_clock::now() >= next_check) {
      peer_.SendBindingRequest(/*use_candidate=*/true);
      next_check = std::chrono::steady_clock::now() + 100ms;
    }
    Poll(5ms);
  }
  return peer_.connected();
}

}  // namespace switchyard::sfu::testing
