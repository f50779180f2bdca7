#include "transport/udp_socket.h"

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "transport/clock.h"

// Zero-allocation check for QueueSend/Flush. tests/sfu/allocation_counter.{h,cc} is compiled
// into sfu_tests only, so transport_tests gets its own (and only) replacement: the plain and
// aligned forms, which libstdc++'s array and nothrow forms forward to. Per-thread counts, so
// only the measuring thread is seen. Out of line for the reason given in allocation_counter.cc
// (GCC 12 raises a false -Wmismatched-new-delete when it inlines malloc against free).
namespace {
thread_local uint64_t t_operator_new_calls = 0;
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t size) {
  ++t_operator_new_calls;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t size, std::align_val_t alignment) {
  ++t_operator_new_calls;
  void* p = nullptr;
  if (posix_memalign(&p, static_cast<std::size_t>(alignment), size == 0 ? 1 : size) == 0) {
    return p;
  }
  throw std::bad_alloc();
}

namespace switchyard::transport {
namespace {

using namespace std::chrono_literals;

SocketAddress Loopback4() { return *SocketAddress::Parse("127.0.0.1", 0); }

// Runs the io_context until `done` or five seconds have passed.
void RunUntil(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
}

// Distinct content per index and a size that varies, so reordering, truncation or a slot
// overwritten by its neighbour all show.
std::vector<uint8_t> Datagram(int index) {
  std::vector<uint8_t> data(1 + (index * 37) % 1200);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(index * 7 + i);
  return data;
}
std::string AsString(const std::vector<uint8_t>& data) {
  return std::string(data.begin(), data.end());
}

class Collector : public UdpSocket::Receiver {
 public:
  void OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp) override {
    received.emplace_back(data.begin(), data.end());
    senders.push_back(from);
  }
  std::vector<std::string> received;
  std::vector<SocketAddress> senders;
};

TEST(UdpSocketTest, LargeKernelBuffersWhenPrivileged) {
  boost::asio::io_context io;
  SteadyClock clock;
  Collector collector;
  auto socket = UdpSocket::Bind(io, *SocketAddress::Parse("127.0.0.1", 0), collector, clock);
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_GT((*socket)->receive_buffer_bytes(), 0);
  EXPECT_GT((*socket)->send_buffer_bytes(), 0);
  if (::geteuid() != 0) GTEST_SKIP() << "SO_RCVBUFFORCE needs CAP_NET_ADMIN (not root here)";
  // Linux reports twice the size asked for: it doubles the value for bookkeeping (socket(7)).
  EXPECT_GE((*socket)->receive_buffer_bytes(), UdpSocket::kSocketBufferBytes);
  EXPECT_GE((*socket)->send_buffer_bytes(), UdpSocket::kSocketBufferBytes);
}

TEST(UdpSocketTest, BurstLargerThanDefaultBuffersArrivesWhole) {
  boost::asio::io_context io;
  SteadyClock clock;
  Collector a_in, b_in;
  auto a = UdpSocket::Bind(io, *SocketAddress::Parse("127.0.0.1", 0), a_in, clock);
  auto b = UdpSocket::Bind(io, *SocketAddress::Parse("127.0.0.1", 0), b_in, clock);
  ASSERT_TRUE(a.ok() && b.ok());
  (*b)->Start();
  // 2000 x 1200 bytes (2.4 MB, over ten times Linux's default 208 KB receive buffer) sent before
  // the receiver reads anything: all of it must be there when it does.
  constexpr int kCount = 2000;
  std::vector<uint8_t> payload(1200);
  for (int i = 0; i < kCount; ++i) {
    payload[0] = static_cast<uint8_t>(i);
    payload[1] = static_cast<uint8_t>(i >> 8);
    ASSERT_TRUE((*a)->Send(payload, (*b)->local_address()));
  }
  if ((*b)->receive_buffer_bytes() < kCount * 2400) {
    GTEST_SKIP() << "kernel granted only " << (*b)->receive_buffer_bytes() << " bytes";
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (b_in.received.size() < static_cast<size_t>(kCount) &&
         std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(b_in.received.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    const auto& d = b_in.received[i];
    ASSERT_EQ(d.size(), 1200u);
    EXPECT_EQ(static_cast<uint8_t>(d[0]) | (static_cast<uint8_t>(d[1]) << 8), i);
  }
  EXPECT_EQ(b_in.senders.front(), (*a)->local_address());
}

// Two sockets on the loopback: `a` sends, `b` receives into b_in.
class UdpSocketBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = UdpSocket::Bind(io_, Loopback4(), a_in_, clock_);
    auto b = UdpSocket::Bind(io_, Loopback4(), b_in_, clock_);
    ASSERT_TRUE(a.ok() && b.ok());
    a_ = std::move(*a);
    b_ = std::move(*b);
    b_->Start();
  }
  void ReceiveAtB(size_t count) {
    RunUntil(io_, [&] { return b_in_.received.size() >= count; });
  }

  boost::asio::io_context io_;
  SteadyClock clock_;
  Collector a_in_, b_in_;
  std::unique_ptr<UdpSocket> a_, b_;
};

TEST_F(UdpSocketBatchTest, QueuedDatagramsWaitForFlushThenArriveIntactAndInOrder) {
  constexpr int kCount = 10;
  uint64_t bytes = 0;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(a_->QueueSend(Datagram(i), b_->local_address()));
    bytes += Datagram(i).size();
  }
  EXPECT_EQ(a_->pending_sends(), static_cast<size_t>(kCount));
  io_.run_for(20ms);
  EXPECT_TRUE(b_in_.received.empty()) << "sent before Flush()";
  EXPECT_EQ(a_->counters().datagrams_sent, 0u);

  a_->Flush();
  EXPECT_EQ(a_->pending_sends(), 0u);
  EXPECT_EQ(a_->counters().datagrams_sent, static_cast<uint64_t>(kCount));
  EXPECT_EQ(a_->counters().bytes_sent, bytes);
  EXPECT_EQ(a_->counters().send_drops, 0u);
  ReceiveAtB(kCount);
  ASSERT_EQ(b_in_.received.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(b_in_.received[i], AsString(Datagram(i))) << "datagram " << i;
    EXPECT_EQ(b_in_.senders[i], a_->local_address());
  }
}

TEST_F(UdpSocketBatchTest, FullBatchFlushesItself) {
  constexpr int kCount = 3 * static_cast<int>(UdpSocket::kBatchSize) + 5;  // 101
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(a_->QueueSend(Datagram(i), b_->local_address()));
    // The 32nd datagram completes a batch and sends it; the next one starts a new batch.
    const size_t queued = static_cast<size_t>(i + 1) % UdpSocket::kBatchSize;
    ASSERT_EQ(a_->pending_sends(), queued) << "after datagram " << i;
    ASSERT_EQ(a_->counters().datagrams_sent, static_cast<uint64_t>(i + 1) - queued);
  }
  // The three full batches went out without a Flush() and arrive on their own.
  ReceiveAtB(3 * UdpSocket::kBatchSize);
  EXPECT_EQ(b_in_.received.size(), 3 * UdpSocket::kBatchSize);
  a_->Flush();
  ReceiveAtB(kCount);
  ASSERT_EQ(b_in_.received.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(b_in_.received[i], AsString(Datagram(i)));
  EXPECT_EQ(a_->counters().datagrams_sent, static_cast<uint64_t>(kCount));
  EXPECT_EQ(a_->counters().send_drops, 0u);
}

TEST_F(UdpSocketBatchTest, FlushWithNothingQueuedIsANoOp) {
  a_->Flush();
  a_->Flush();
  EXPECT_EQ(a_->pending_sends(), 0u);
  EXPECT_EQ(a_->counters().datagrams_sent, 0u);
  EXPECT_EQ(a_->counters().bytes_sent, 0u);
  EXPECT_EQ(a_->counters().send_drops, 0u);
  // A second Flush after a real one sends nothing twice.
  ASSERT_TRUE(a_->QueueSend(Datagram(1), b_->local_address()));
  a_->Flush();
  a_->Flush();
  EXPECT_EQ(a_->counters().datagrams_sent, 1u);
  ReceiveAtB(1);
  io_.run_for(20ms);
  EXPECT_EQ(b_in_.received.size(), 1u);
}

TEST_F(UdpSocketBatchTest, OversizeDatagramIsRefusedAndCounted) {
  std::vector<uint8_t> largest(UdpSocket::kMaxDatagramSize, 0xab);
  std::vector<uint8_t> too_large(UdpSocket::kMaxDatagramSize + 1, 0xcd);
  EXPECT_FALSE(a_->QueueSend(too_large, b_->local_address()));
  EXPECT_EQ(a_->pending_sends(), 0u);
  EXPECT_EQ(a_->counters().send_drops, 1u);
  EXPECT_TRUE(a_->QueueSend(largest, b_->local_address()));
  a_->Flush();
  EXPECT_EQ(a_->counters().datagrams_sent, 1u);
  EXPECT_EQ(a_->counters().bytes_sent, UdpSocket::kMaxDatagramSize);
  ReceiveAtB(1);
  ASSERT_EQ(b_in_.received.size(), 1u);
  EXPECT_EQ(b_in_.received[0], AsString(largest));
  EXPECT_EQ(b_->counters().truncated_drops, 0u);
}

TEST_F(UdpSocketBatchTest, SendLeavesAtOnceAndDoesNotDisturbTheQueue) {
  ASSERT_TRUE(a_->QueueSend(Datagram(1), b_->local_address()));
  ASSERT_TRUE(a_->Send(Datagram(2), b_->local_address()));
  ASSERT_TRUE(a_->QueueSend(Datagram(3), b_->local_address()));
  EXPECT_EQ(a_->pending_sends(), 2u);
  EXPECT_EQ(a_->counters().datagrams_sent, 1u);
  a_->Flush();
  ReceiveAtB(3);
  // Send() overtakes what was queued before it, as the header says.
  ASSERT_EQ(b_in_.received.size(), 3u);
  EXPECT_EQ(b_in_.received[0], AsString(Datagram(2)));
  EXPECT_EQ(b_in_.received[1], AsString(Datagram(1)));
  EXPECT_EQ(b_in_.received[2], AsString(Datagram(3)));
  EXPECT_EQ(a_->counters().datagrams_sent, 3u);
  EXPECT_EQ(a_->counters().bytes_sent,
            Datagram(1).size() + Datagram(2).size() + Datagram(3).size());
}

TEST_F(UdpSocketBatchTest, CloseFlushesAndLaterQueueSendIsRefused) {
  ASSERT_TRUE(a_->QueueSend(Datagram(4), b_->local_address()));
  ASSERT_TRUE(a_->QueueSend(Datagram(5), b_->local_address()));
  a_->Close();
  EXPECT_EQ(a_->pending_sends(), 0u);
  EXPECT_EQ(a_->counters().datagrams_sent, 2u);
  EXPECT_FALSE(a_->QueueSend(Datagram(6), b_->local_address()));
  EXPECT_EQ(a_->counters().send_drops, 1u);
  a_->Flush();  // closed and empty: nothing to do
  ReceiveAtB(2);
  ASSERT_EQ(b_in_.received.size(), 2u);
  EXPECT_EQ(b_in_.received[0], AsString(Datagram(4)));
  EXPECT_EQ(b_in_.received[1], AsString(Datagram(5)));
}

// A datagram the kernel refuses in the middle of a batch (an IPv6 destination on an IPv4
// socket: EAFNOSUPPORT) makes sendmmsg stop short; the ones after it must still go out.
TEST_F(UdpSocketBatchTest, RefusedDatagramMidBatchIsDroppedAndTheRestSent) {
  const SocketAddress v6 = *SocketAddress::Parse("::1", b_->local_address().port());
  ASSERT_TRUE(a_->QueueSend(Datagram(1), b_->local_address()));
  ASSERT_TRUE(a_->QueueSend(Datagram(2), v6));
  ASSERT_TRUE(a_->QueueSend(Datagram(3), b_->local_address()));
  a_->Flush();
  EXPECT_EQ(a_->pending_sends(), 0u);
  EXPECT_EQ(a_->counters().datagrams_sent, 2u);
  EXPECT_EQ(a_->counters().bytes_sent, Datagram(1).size() + Datagram(3).size());
  EXPECT_EQ(a_->counters().send_drops, 1u);
  ReceiveAtB(2);
  ASSERT_EQ(b_in_.received.size(), 2u);
  EXPECT_EQ(b_in_.received[0], AsString(Datagram(1)));
  EXPECT_EQ(b_in_.received[1], AsString(Datagram(3)));
}

// An IPv6 socket serves IPv6 only (IPV6_V6ONLY, whatever net.ipv6.bindv6only says): an IPv4
// socket binds the same port next to it, each family arrives on its own socket, and an IPv4
// destination queued on the IPv6 socket is a counted drop rather than a v4-mapped send.
TEST(UdpSocketTest, Ipv6SocketsAreIpv6OnlySoEachFamilyHasItsOwnSocketOnOnePort) {
  boost::asio::io_context io;
  SteadyClock clock;
  Collector v6_in, v4_in, sender_in;
  auto v6 = UdpSocket::Bind(io, *SocketAddress::Parse("::", 0), v6_in, clock);
  if (!v6.ok()) GTEST_SKIP() << "no IPv6 here";
  const uint16_t port = (*v6)->local_address().port();
  auto v4 = UdpSocket::Bind(io, *SocketAddress::Parse("0.0.0.0", port), v4_in, clock);
  ASSERT_TRUE(v4.ok()) << v4.status();
  auto sender6 = UdpSocket::Bind(io, *SocketAddress::Parse("::1", 0), sender_in, clock);
  auto sender4 = UdpSocket::Bind(io, Loopback4(), sender_in, clock);
  ASSERT_TRUE(sender6.ok() && sender4.ok());
  (*v4)->Start();
  (*v6)->Start();
  ASSERT_TRUE((*sender6)->Send(Datagram(6), *SocketAddress::Parse("::1", port)));
  ASSERT_TRUE((*sender4)->Send(Datagram(4), *SocketAddress::Parse("127.0.0.1", port)));
  RunUntil(io, [&] { return v4_in.received.size() + v6_in.received.size() >= 2; });
  ASSERT_EQ(v6_in.received.size(), 1u);
  ASSERT_EQ(v4_in.received.size(), 1u);
  EXPECT_EQ(v6_in.received[0], AsString(Datagram(6)));
  EXPECT_EQ(v4_in.received[0], AsString(Datagram(4)));
  EXPECT_TRUE(v6_in.senders[0].is_ipv6());
  EXPECT_TRUE(v4_in.senders[0].is_ipv4());
  ASSERT_TRUE((*v6)->QueueSend(Datagram(1), (*sender4)->local_address()));
  (*v6)->Flush();
  EXPECT_EQ((*v6)->counters().send_drops, 1u);
}

// Every datagram carries the socket's local id in its source address, for owners of several
// sockets (a worker serving several addresses).
TEST(UdpSocketTest, ReceivedSourcesCarryTheSocketsLocalId) {
  boost::asio::io_context io;
  SteadyClock clock;
  Collector in, unused;
  auto socket = UdpSocket::Bind(io, Loopback4(), in, clock);
  auto sender = UdpSocket::Bind(io, Loopback4(), unused, clock);
  ASSERT_TRUE(socket.ok() && sender.ok());
  (*socket)->set_local_id(3);
  (*socket)->Start();
  ASSERT_TRUE((*sender)->Send(Datagram(1), (*socket)->local_address()));
  RunUntil(io, [&] { return !in.received.empty(); });
  ASSERT_EQ(in.senders.size(), 1u);
  EXPECT_EQ(in.senders[0].local_id(), 3u);
  EXPECT_EQ(in.senders[0].WithoutLocalId(), (*sender)->local_address());
  // The id is not part of the wire address: replies to it reach the sender.
  EXPECT_TRUE((*socket)->Send(Datagram(2), in.senders[0]));
}

// Replies queued from OnDatagram leave without anyone calling Flush(): the socket flushes
// after delivering each recvmmsg batch.
class Echo : public UdpSocket::Receiver {
 public:
  void OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp) override {
    socket->QueueSend(data, from);
    ++echoed;
  }
  UdpSocket* socket = nullptr;
  int echoed = 0;
};

TEST(UdpSocketTest, RepliesQueuedInOnDatagramLeaveAfterTheReceiveBatch) {
  boost::asio::io_context io;
  SteadyClock clock;
  Collector client_in;
  Echo echo;
  auto client = UdpSocket::Bind(io, Loopback4(), client_in, clock);
  auto server = UdpSocket::Bind(io, Loopback4(), echo, clock);
  ASSERT_TRUE(client.ok() && server.ok());
  echo.socket = server->get();
  (*client)->Start();
  (*server)->Start();
  // 1, then 40 at once: the 40 are read in batches of up to 32 and echoed in the same
  // batches, the first of which may also fill the send batch and flush it on its own.
  ASSERT_TRUE((*client)->Send(Datagram(0), (*server)->local_address()));
  RunUntil(io, [&] { return client_in.received.size() >= 1; });
  ASSERT_EQ(client_in.received.size(), 1u);
  EXPECT_EQ(client_in.received[0], AsString(Datagram(0)));
  EXPECT_EQ((*server)->pending_sends(), 0u);

  constexpr int kBurst = 40;
  for (int i = 1; i <= kBurst; ++i) {
    ASSERT_TRUE((*client)->Send(Datagram(i), (*server)->local_address()));
  }
  RunUntil(io, [&] { return client_in.received.size() >= kBurst + 1; });
  ASSERT_EQ(client_in.received.size(), static_cast<size_t>(kBurst + 1));
  for (int i = 0; i <= kBurst; ++i) EXPECT_EQ(client_in.received[i], AsString(Datagram(i)));
  EXPECT_EQ(echo.echoed, kBurst + 1);
  EXPECT_EQ((*server)->pending_sends(), 0u);
  EXPECT_EQ((*server)->counters().datagrams_sent, static_cast<uint64_t>(kBurst + 1));
  EXPECT_EQ((*client)->counters().datagrams_received, static_cast<uint64_t>(kBurst + 1));
}

TEST_F(UdpSocketBatchTest, QueueSendAndFlushDoNotAllocate) {
  std::vector<uint8_t> payload(1200, 0x5a);
  const SocketAddress to = b_->local_address();
  auto round = [&] {
    // Two full batches (each flushed by QueueSend itself) and a partial one flushed here.
    for (size_t i = 0; i < 2 * UdpSocket::kBatchSize + 7; ++i) {
      payload[0] = static_cast<uint8_t>(i);
      a_->QueueSend(payload, to);
    }
    a_->Flush();
  };
  round();  // warm-up: anything lazily set up on first use is not per packet
  const uint64_t before = t_operator_new_calls;
  for (int r = 0; r < 50; ++r) round();
  const uint64_t allocations = t_operator_new_calls - before;
  EXPECT_EQ(allocations, 0u);
  // The loop really went through sendmmsg: every datagram was either sent or counted as a drop
  // (b is not read meanwhile, so its buffer may overflow, which the sender does not see).
  EXPECT_EQ(a_->counters().datagrams_sent + a_->counters().send_drops,
            51u * (2 * UdpSocket::kBatchSize + 7));
  EXPECT_GT(a_->counters().datagrams_sent, 0u);
}

}  // namespace
}  // namespace switchyard::transport
