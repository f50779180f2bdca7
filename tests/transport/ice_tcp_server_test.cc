#include "transport/ice_tcp_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "transport/rfc4571_framer.h"

namespace switchyard::transport {
namespace {

using namespace std::chrono_literals;

// Records every frame and, when asked, echoes it back on the same connection.
class EchoReceiver final : public UdpSocket::Receiver {
 public:
  explicit EchoReceiver(IceTcpServer*& server) : server_(server) {}
  void OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp) override {
    frames.emplace_back(data.begin(), data.end());
    sources.push_back(from);
    if (echo) server_->Send(data, from);
  }
  void OnBatchEnd() override { server_->Flush(); }

  bool echo = true;
  std::vector<std::string> frames;
  std::vector<SocketAddress> sources;

 private:
  IceTcpServer*& server_;
};

// A blocking-connect, non-blocking-read TCP client on 127.0.0.1.
class Client {
 public:
  explicit Client(const SocketAddress& server) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_storage s;
    const socklen_t len = server.ToSockaddr(s);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&s), len) == 0;
    sockaddr_storage local;
    socklen_t local_len = sizeof(local);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &local_len);
    local_ = *SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&local), local_len);
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  const SocketAddress& local() const { return local_; }
  void SendFrame(const std::string& payload) {
    std::vector<uint8_t> framed;
    AppendRfc4571Frame(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()),
                                                payload.size()),
                       1 << 20, framed);
    ::send(fd_, framed.data(), framed.size(), MSG_NOSIGNAL);
  }
  // Reads what is waiting; returns the frames completed so far. Sets eof() on close.
  std::vector<std::string> Read() {
    std::vector<std::string> out;
    for (;;) {
      std::span<uint8_t> space = reader_.WritableSpace();
      const ssize_t n = ::recv(fd_, space.data(), space.size(), MSG_DONTWAIT);
      if (n == 0) eof_ = true;
      if (n <= 0) break;
      reader_.Commit(static_cast<size_t>(n), [&out](std::span<uint8_t> frame) {
        out.emplace_back(frame.begin(), frame.end());
      });
    }
    return out;
  }
  bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  SocketAddress local_;
  Rfc4571Reader reader_{4096};
};

// STUN's first byte is 0-3 (RFC 7983); these stand in for connectivity checks.
const std::string kStunLike = std::string("\x00\x01", 2) + "binding request";
const std::string kRtpLike = "\x80\x60rtp";

class IceTcpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Create(IceTcpServer::Options()); }

  void Create(IceTcpServer::Options options) {
    server_.reset();
    server_ = std::make_unique<IceTcpServer>(io_, receiver_, clock_, options);
    server_ptr_ = server_.get();
    auto bound = server_->Listen(*SocketAddress::Parse("127.0.0.1", 0));
    ASSERT_TRUE(bound.ok()) << bound.status();
    address_ = *bound;
    server_->Start();
  }

  // Runs the io_context until `done` or 2 s.
  bool RunUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(5ms);
      if (done()) return true;
    }
    return done();
  }

  boost::asio::io_context io_;
  SteadyClock clock_;
  IceTcpServer* server_ptr_ = nullptr;
  EchoReceiver receiver_{server_ptr_};
  std::unique_ptr<IceTcpServer> server_;
  SocketAddress address_;
};

TEST_F(IceTcpServerTest, FramesArriveTaggedWithTheirConnectionAndRepliesGoBack) {
  Client a(address_);
  Client b(address_);
  ASSERT_TRUE(a.connected() && b.connected());
  a.SendFrame(kStunLike);
  b.SendFrame(kStunLike);
  a.SendFrame("second from a");
  ASSERT_TRUE(RunUntil([&] { return receiver_.frames.size() == 3; }));
  // Each connection has its own id at or above first_id; the IP and port are the client's.
  std::vector<SocketAddress> from_a;
  std::vector<SocketAddress> from_b;
  for (const SocketAddress& s : receiver_.sources) {
    EXPECT_GE(s.local_id(), IceTcpServer::Options().first_id);
    EXPECT_TRUE(server_->owns(s.local_id()));
    if (s.WithoutLocalId() == a.local()) from_a.push_back(s);
    if (s.WithoutLocalId() == b.local()) from_b.push_back(s);
  }
  ASSERT_EQ(from_a.size(), 2u);
  ASSERT_EQ(from_b.size(), 1u);
  EXPECT_EQ(from_a[0], from_a[1]);
  EXPECT_NE(from_a[0].local_id(), from_b[0].local_id());

  std::vector<std::string> echoed_a;
  std::vector<std::string> echoed_b;
  ASSERT_TRUE(RunUntil([&] {
    for (auto& f : a.Read()) echoed_a.push_back(f);
    for (auto& f : b.Read()) echoed_b.push_back(f);
    return echoed_a.size() == 2 && echoed_b.size() == 1;
  }));
  EXPECT_EQ(echoed_a[0], kStunLike);
  EXPECT_EQ(echoed_a[1], "second from a");
  EXPECT_EQ(server_->counters().accepted, 2u);
  EXPECT_EQ(server_->counters().frames_received, 3u);
  EXPECT_EQ(server_->counters().frames_sent, 3u);
}

TEST_F(IceTcpServerTest, AFirstFrameThatIsNotStunClosesOnlyThatConnection) {
  Client bad(address_);
  Client good(address_);
  bad.SendFrame(kRtpLike);
  good.SendFrame(kStunLike);
  ASSERT_TRUE(RunUntil([&] {
    bad.Read();
    return bad.eof() && receiver_.frames.size() == 1;
  }));
  EXPECT_EQ(receiver_.frames[0], kStunLike);
  EXPECT_EQ(server_->counters().closed_not_stun, 1u);
  EXPECT_EQ(server_->connection_count(), 1u);
  // After its first frame a connection may carry anything (DTLS, SRTP).
  good.SendFrame(kRtpLike);
  ASSERT_TRUE(RunUntil([&] { return receiver_.frames.size() == 2; }));
}

TEST_F(IceTcpServerTest, UnvalidatedAndIdleConnectionsAreClosedOnTimer) {
  Client validated(address_);
  Client unvalidated(address_);
  validated.SendFrame(kStunLike);
  unvalidated.SendFrame(kStunLike);
  ASSERT_TRUE(RunUntil([&] { return receiver_.frames.size() == 2; }));
  for (const SocketAddress& s : receiver_.sources) {
    if (s.WithoutLocalId() == validated.local()) server_->MarkValidated(s);
  }
  const IceTcpServer::Options defaults;
  server_->OnTimer(clock_.Now() + defaults.unvalidated_timeout - 1s);
  EXPECT_EQ(server_->connection_count(), 2u);
  server_->OnTimer(clock_.Now() + defaults.unvalidated_timeout + 1s);
  EXPECT_EQ(server_->connection_count(), 1u);
  EXPECT_EQ(server_->counters().closed_unvalidated, 1u);
  ASSERT_TRUE(RunUntil([&] {
    unvalidated.Read();
    return unvalidated.eof();
  }));
  // The validated one lives until nothing has arrived for idle_timeout.
  server_->OnTimer(clock_.Now() + defaults.idle_timeout + 1s);
  EXPECT_EQ(server_->connection_count(), 0u);
  EXPECT_EQ(server_->counters().closed_idle, 1u);
}

TEST_F(IceTcpServerTest, ConnectionsPastTheCapAreRefused) {
  IceTcpServer::Options options;
  options.max_connections = 1;
  Create(options);
  Client first(address_);
  ASSERT_TRUE(RunUntil([&] { return server_->connection_count() == 1; }));
  Client second(address_);
  ASSERT_TRUE(RunUntil([&] {
    second.Read();
    return second.eof();
  }));
  EXPECT_EQ(server_->counters().refused, 1u);
  EXPECT_EQ(server_->connection_count(), 1u);
}

TEST_F(IceTcpServerTest, SendsPastTheBacklogOrToUnknownConnectionsAreCountedDrops) {
  IceTcpServer::Options options;
  options.max_write_backlog = 100;
  Create(options);
  receiver_.echo = false;
  Client client(address_);
  client.SendFrame(kStunLike);
  ASSERT_TRUE(RunUntil([&] { return receiver_.frames.size() == 1; }));
  const SocketAddress to = receiver_.sources[0];
  const std::vector<uint8_t> forty(40, 0x80);
  EXPECT_TRUE(server_->Send(forty, to));   // 42 queued
  EXPECT_TRUE(server_->Send(forty, to));   // 84 queued
  EXPECT_FALSE(server_->Send(forty, to));  // would be 126 > 100
  EXPECT_FALSE(server_->Send(forty, to.WithLocalId(to.local_id() + 1)));
  EXPECT_EQ(server_->counters().send_drops, 2u);
  server_->Flush();
  std::vector<std::string> got;
  ASSERT_TRUE(RunUntil([&] {
    for (auto& f : client.Read()) got.push_back(f);
    return got.size() == 2;
  }));
}

TEST_F(IceTcpServerTest, CloseConnectionWritesWhatIsQueuedFirst) {
  receiver_.echo = false;
  Client client(address_);
  client.SendFrame(kStunLike);
  ASSERT_TRUE(RunUntil([&] { return receiver_.frames.size() == 1; }));
  ASSERT_TRUE(server_->Send(std::vector<uint8_t>{0x15, 3, 3}, receiver_.sources[0]));
  server_->CloseConnection(receiver_.sources[0]);
  std::vector<std::string> got;
  ASSERT_TRUE(RunUntil([&] {
    for (auto& f : client.Read()) got.push_back(f);
    return client.eof();
  }));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], std::string("\x15\x03\x03", 3));
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(IceTcpServerTest, OversizedFramesAreSkippedAndCounted) {
  Client client(address_);
  client.SendFrame(kStunLike);
  client.SendFrame(std::string(UdpSocket::kMaxDatagramSize + 1, 'x'));
  client.SendFrame("after");
  ASSERT_TRUE(RunUntil([&] { return receiver_.frames.size() == 2; }));
  EXPECT_EQ(receiver_.frames[1], "after");
  EXPECT_EQ(server_->counters().oversized_drops, 1u);
}

}  // namespace
}  // namespace switchyard::transport
