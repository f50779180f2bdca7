#include "transport/udp_socket.h"

#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "transport/clock.h"

namespace switchyard::transport {
namespace {

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

}  // namespace
}  // namespace switchyard::transport
