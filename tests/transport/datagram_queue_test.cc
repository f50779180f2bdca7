#include "transport/datagram_queue.h"

#include <poll.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::transport {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

bool Readable(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, 0) > 0;
}

void ConsumeWake(int fd) {
  uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd, &count, sizeof(count));
}

TEST(DatagramQueueTest, DatagramsComeOutInOrderWithTheirAddresses) {
  auto queue = DatagramQueue::Create().value();
  const SocketAddress a = *SocketAddress::Parse("10.0.0.1", 1000);
  const SocketAddress b = *SocketAddress::Parse("::1", 2000);
  ASSERT_TRUE(queue->Push(Bytes("one"), a, b));
  ASSERT_TRUE(queue->Push(Bytes("two"), b, a));
  std::vector<std::string> got;
  std::vector<std::pair<SocketAddress, SocketAddress>> addresses;
  EXPECT_EQ(queue->Drain(10, [&](std::span<uint8_t> d, const SocketAddress& from,
                                 const SocketAddress& to) {
    got.emplace_back(d.begin(), d.end());
    addresses.emplace_back(from, to);
  }), 2u);
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(addresses[0], std::make_pair(a, b));
  EXPECT_EQ(addresses[1], std::make_pair(b, a));
  EXPECT_EQ(queue->Drain(10, [](auto, const auto&, const auto&) {}), 0u);
}

TEST(DatagramQueueTest, FullQueueAndOversizedDatagramsAreRefused) {
  auto queue = DatagramQueue::Create().value();
  const SocketAddress a = *SocketAddress::Parse("10.0.0.1", 1000);
  for (size_t i = 0; i < DatagramQueue::kCapacity; ++i) {
    ASSERT_TRUE(queue->Push(Bytes("x"), a, a));
  }
  EXPECT_FALSE(queue->Push(Bytes("y"), a, a));
  EXPECT_EQ(queue->Drain(1, [](auto, const auto&, const auto&) {}), 1u);
  EXPECT_TRUE(queue->Push(Bytes("y"), a, a));  // one slot free again
  const std::vector<uint8_t> big(DatagramQueue::kMaxDatagram + 1, 0);
  EXPECT_FALSE(queue->Push(big, a, a));
}

TEST(DatagramQueueTest, OneWakeupPerBatchAndAnotherWhenADrainLeavesSomeBehind) {
  auto queue = DatagramQueue::Create().value();
  const SocketAddress a = *SocketAddress::Parse("10.0.0.1", 1000);
  EXPECT_FALSE(Readable(queue->wake_fd()));
  ASSERT_TRUE(queue->Push(Bytes("1"), a, a));
  queue->WakeIfNeeded();
  ASSERT_TRUE(queue->Push(Bytes("2"), a, a));
  queue->WakeIfNeeded();  // still pending: no second write
  ASSERT_TRUE(Readable(queue->wake_fd()));
  uint64_t count = 0;
  ASSERT_EQ(::read(queue->wake_fd(), &count, sizeof(count)), 8);
  EXPECT_EQ(count, 1u);
  // A drain that stops early re-arms the wakeup for the rest.
  EXPECT_EQ(queue->Drain(1, [](auto, const auto&, const auto&) {}), 1u);
  EXPECT_TRUE(Readable(queue->wake_fd()));
  ConsumeWake(queue->wake_fd());
  EXPECT_EQ(queue->Drain(10, [](auto, const auto&, const auto&) {}), 1u);
  EXPECT_FALSE(Readable(queue->wake_fd()));
  // After a drain the next push wakes again.
  ASSERT_TRUE(queue->Push(Bytes("3"), a, a));
  queue->WakeIfNeeded();
  EXPECT_TRUE(Readable(queue->wake_fd()));
}

// One producer thread, one consumer thread waiting on the descriptor: every datagram arrives,
// in order, and no wakeup is lost (the consumer would block forever).
TEST(DatagramQueueTest, CrossThreadStreamArrivesWholeAndInOrder) {
  auto queue = DatagramQueue::Create().value();
  constexpr uint32_t kCount = 200000;
  const SocketAddress a = *SocketAddress::Parse("10.0.0.1", 1000);
  std::thread producer([&] {
    for (uint32_t i = 0; i < kCount;) {
      uint8_t bytes[4] = {static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
                          static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
      if (queue->Push(bytes, a, a)) {
        ++i;
        if (i % 16 == 0 || i == kCount) queue->WakeIfNeeded();
      } else {
        queue->WakeIfNeeded();
        std::this_thread::yield();
      }
    }
  });
  uint32_t expected = 0;
  bool in_order = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (expected < kCount && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{queue->wake_fd(), POLLIN, 0};
    ::poll(&pfd, 1, 100);
    ConsumeWake(queue->wake_fd());
    queue->Drain(64, [&](std::span<uint8_t> d, const SocketAddress&, const SocketAddress&) {
      const uint32_t v =
          (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
      if (v != expected) in_order = false;
      ++expected;
    });
  }
  producer.join();
  EXPECT_EQ(expected, kCount);
  EXPECT_TRUE(in_order);
}

}  // namespace
}  // namespace switchyard::transport
