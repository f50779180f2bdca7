#include "transport/turn_service.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/transport/test_pki.h"
#include "transport/byte_io.h"
#include "transport/stun_message.h"
#include "transport/turn_credentials.h"

namespace switchyard::transport {
namespace {

constexpr int64_t kUnixNow = 1'700'000'000;

// A plain UDP socket on 127.0.0.1 standing in for a TURN client or a peer.
class RawUdp {
 public:
  RawUdp() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    address_ = *SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&a), len);
  }
  ~RawUdp() { ::close(fd_); }
  void SendTo(std::span<const uint8_t> data, const SocketAddress& to) {
    sockaddr_storage s;
    const socklen_t len = to.ToSockaddr(s);
    ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&s), len);
  }
  // One datagram if one is waiting (non-blocking).
  std::optional<std::pair<std::vector<uint8_t>, SocketAddress>> TryReceive() {
    std::vector<uint8_t> buffer(65536);
    sockaddr_storage s;
    socklen_t len = sizeof(s);
    const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&s), &len);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<size_t>(n));
    return std::make_pair(buffer, *SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&s), len));
  }
  const SocketAddress& address() const { return address_; }

 private:
  int fd_ = -1;
  SocketAddress address_;
};

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class TurnServiceTest : public ::testing::Test {
 protected:
  TurnServiceTest() { Restart(/*allow_loopback=*/true); }

  // A fresh service on ephemeral loopback ports with UDP, TCP and TLS (self-signed), its
  // options then adjusted by `tweak`.
  void Restart(bool allow_loopback, std::vector<std::pair<SocketAddress, SocketAddress>> rewrites = {},
               const std::function<void(TurnService::Options&)>& tweak = nullptr) {
    TurnService::Options options;
    options.listen = *SocketAddress::Parse("127.0.0.1", 0);
    options.relay_address = *SocketAddress::Parse("127.0.0.1", 0);
    options.turn.auth_secret = "secret";
    options.turn.peer_policy.allow_loopback = allow_loopback;
    for (const auto& [announced, bound] : rewrites) {
      options.turn.peer_policy.always_allowed.push_back(announced);
    }
    options.self_rewrites = std::move(rewrites);
    options.tls = ServerTlsContext();
    options.tls_port = 0;
    if (tweak) tweak(options);
    service_.reset();
    service_ = TurnService::Create(io_, clock_, [] { return kUnixNow; }, options).value();
    service_->Start();
  }

  // The self-signed pair, and deliberately lax otherwise (TLS 1.0 and OpenSSL's security
  // level 0 allowed): what the service refuses then is its own doing.
  std::shared_ptr<boost::asio::ssl::context> ServerTlsContext() {
    auto context =
        std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    SSL_CTX* ctx = context->native_handle();
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_use_certificate(ctx, pki_.self_signed());
    SSL_CTX_use_PrivateKey(ctx, pki_.self_signed_key());
    return context;
  }

  // Runs the server until `socket` has a datagram (or 2 s pass).
  std::pair<std::vector<uint8_t>, SocketAddress> Receive(RawUdp& socket) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
      io_.poll();
      if (auto got = socket.TryReceive()) return *got;
      ::usleep(1000);
    }
    ADD_FAILURE() << "nothing arrived";
    return {};
  }

  // A request with `add`'s attributes, signed as `credential_` once nonce_ is known.
  std::vector<uint8_t> Encode(StunMethod method,
                              const std::function<void(StunMessageBuilder&)>& add) {
    StunMessageBuilder b(StunClass::kRequest, method, GenerateStunTransactionId());
    if (add) add(b);
    if (nonce_.empty()) return *b.Serialize(std::nullopt, true);
    b.AddUsername(credential_.username);
    b.AddAttribute(kStunAttrRealm, Bytes("switchyard"));
    b.AddAttribute(kStunAttrNonce, Bytes(nonce_));
    const TurnKey key =
        LongTermCredentialKey(credential_.username, "switchyard", credential_.password);
    return *b.Serialize(KeyView(key), true);
  }

  // Sends Encode(...) from `from` (default: client_) over UDP and returns the answer.
  StunMessage Request(StunMethod method, const std::function<void(StunMessageBuilder&)>& add,
                      RawUdp* from = nullptr) {
    RawUdp& socket = from != nullptr ? *from : client_;
    socket.SendTo(Encode(method, add), service_->listen_address());
    auto [bytes, source] = Receive(socket);
    EXPECT_EQ(source, service_->listen_address());
    return *StunMessage::Parse(bytes);
  }

  static void RequestUdp(StunMessageBuilder& b) {
    b.AddUint32(kStunAttrRequestedTransport, 17u << 24);
  }

  // A TURN client on a stream to the service, its reads pumping the server's io_context.
  class StreamClient {
   public:
    explicit StreamClient(TurnServiceTest& test, const SocketAddress& to) : test_(test) {
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_storage s;
      const socklen_t len = to.ToSockaddr(s);
      EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&s), len), 0);
      ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    }
    virtual ~StreamClient() { Close(); }
    void Close() {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
    }
    virtual void Send(const std::vector<uint8_t>& bytes) {
      size_t sent = 0;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (sent < bytes.size() && std::chrono::steady_clock::now() < deadline) {
        const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) sent += static_cast<size_t>(n);
        if (n <= 0) test_.io_.poll();
      }
      ASSERT_EQ(sent, bytes.size());
    }
    // The next whole STUN message or padded ChannelData frame (empty after 2 s).
    std::vector<uint8_t> NextFrame() {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (std::chrono::steady_clock::now() < deadline) {
        if (pending_.size() >= 4) {
          const size_t length = (size_t{pending_[2]} << 8) | pending_[3];
          const size_t frame =
              (pending_[0] >> 6) == 0 ? 20 + length : ((4 + length + 3) & ~size_t{3});
          if (pending_.size() >= frame) {
            std::vector<uint8_t> out(pending_.begin(), pending_.begin() + frame);
            pending_.erase(pending_.begin(), pending_.begin() + frame);
            return out;
          }
        }
        test_.io_.poll();
        uint8_t buffer[4096];
        const ssize_t n = Receive(buffer, sizeof(buffer));
        if (n > 0) pending_.insert(pending_.end(), buffer, buffer + n);
        if (n <= 0) ::usleep(1000);
      }
      ADD_FAILURE() << "no frame";
      return {};
    }
    // Pumps the server briefly; true when the server has closed the connection.
    bool ClosedByServer() {
      for (int i = 0; i < 50; ++i) {
        test_.io_.poll();
        ::usleep(1000);
      }
      uint8_t buffer[4096];
      while (true) {
        const ssize_t n = Receive(buffer, sizeof(buffer));
        if (n == 0) return true;
        if (n < 0) return false;
      }
    }

   protected:
    // Bytes of the stream: > 0 read, 0 at its end (or broken), < 0 none yet.
    virtual ssize_t Receive(uint8_t* buffer, size_t size) {
      const ssize_t n = ::recv(fd_, buffer, size, 0);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return 0;
      return n;
    }

    TurnServiceTest& test_;
    int fd_ = -1;

   private:
    std::vector<uint8_t> pending_;
  };

  class TcpClient final : public StreamClient {
   public:
    explicit TcpClient(TurnServiceTest& test)
        : StreamClient(test, test.service_->tcp_listen_address()) {}
  };

  // TURN over TLS: trusts the self-signed certificate and checks it names 127.0.0.1. Connect()
  // handshakes (with the protocol versions asked for; 0 = OpenSSL's defaults).
  class TlsClient final : public StreamClient {
   public:
    explicit TlsClient(TurnServiceTest& test)
        : StreamClient(test, test.service_->tls_listen_address()),
          ctx_(SSL_CTX_new(TLS_client_method())) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), test.pki_.self_signed());
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    ~TlsClient() override {
      if (ssl_ != nullptr) SSL_free(ssl_);
      SSL_CTX_free(ctx_);
    }
    bool Connect(int min_version = 0, int max_version = 0) {
      if (min_version != 0) {
        // Old versions need OpenSSL's security level 0 on this side too.
        SSL_CTX_set_security_level(ctx_, 0);
        SSL_CTX_set_min_proto_version(ctx_, min_version);
      }
      if (max_version != 0) SSL_CTX_set_max_proto_version(ctx_, max_version);
      ssl_ = SSL_new(ctx_);
      SSL_set_fd(ssl_, fd_);
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
      return Drive([&] { return SSL_connect(ssl_); });
    }
    // Asks for a renegotiation (TLS 1.2); true if the server went along with it.
    bool Renegotiate() {
      if (SSL_renegotiate(ssl_) != 1) return false;
      return Drive([&] { return SSL_do_handshake(ssl_); });
    }
    void Send(const std::vector<uint8_t>& bytes) override {
      size_t sent = 0;
      ASSERT_TRUE(Drive([&] {
        const int n = SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
        if (n > 0) sent += static_cast<size_t>(n);
        return sent == bytes.size() ? 1 : n;
      }));
    }

   private:
    // Repeats `step` (an SSL call) while it wants I/O, pumping the server; true when it
    // returns 1 within 2 s.
    bool Drive(const std::function<int()>& step) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (std::chrono::steady_clock::now() < deadline) {
        const int result = step();
        if (result == 1) return true;
        const int error = SSL_get_error(ssl_, result);
        if (result > 0) continue;
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) return false;
        test_.io_.poll();
        ::usleep(500);
      }
      return false;
    }
    ssize_t Receive(uint8_t* buffer, size_t size) override {
      const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
      if (n > 0) return n;
      const int error = SSL_get_error(ssl_, n);
      return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? -1 : 0;
    }

    SSL_CTX* ctx_;
    SSL* ssl_ = nullptr;
  };

  // The same TURN exchange on any stream (RFC 8656 §3.1): Allocate (split across writes),
  // ChannelBind with ChannelData right behind it, relayed data both ways (padded over
  // streams), Refresh; closing the connection ends its allocation.
  void RelayOverStream(StreamClient& stream) {
    stream.Send(Encode(StunMethod::kAllocate, RequestUdp));
    StunMessage challenge = *StunMessage::Parse(stream.NextFrame());
    ASSERT_EQ(challenge.error_code()->code, 401);
    nonce_ = std::string(*challenge.nonce());
    const std::vector<uint8_t> allocate = Encode(StunMethod::kAllocate, RequestUdp);
    stream.Send(std::vector<uint8_t>(allocate.begin(), allocate.begin() + 7));
    io_.poll();
    stream.Send(std::vector<uint8_t>(allocate.begin() + 7, allocate.end()));
    StunMessage allocated = *StunMessage::Parse(stream.NextFrame());
    ASSERT_EQ(allocated.message_class(), StunClass::kSuccessResponse);
    const SocketAddress relay =
        *allocated.DecodeXorAddress(*allocated.FindAttribute(kStunAttrXorRelayedAddress));

    // ChannelBind, then ChannelData in the same write (padded: 3 bytes + 1).
    std::vector<uint8_t> both = Encode(StunMethod::kChannelBind, [&](StunMessageBuilder& b) {
      b.AddUint32(kStunAttrChannelNumber, 0x4000u << 16);
      b.AddXorAddress(kStunAttrXorPeerAddress, peer_.address());
    });
    for (uint8_t byte : std::initializer_list<uint8_t>{0x40, 0x00, 0x00, 0x03, 'a', 'b', 'c', 0x00}) {
      both.push_back(byte);
    }
    stream.Send(both);
    ASSERT_EQ(StunMessage::Parse(stream.NextFrame())->message_class(),
              StunClass::kSuccessResponse);
    auto [to_peer, via] = Receive(peer_);
    EXPECT_EQ(std::string(to_peer.begin(), to_peer.end()), "abc");
    EXPECT_EQ(via, relay);
    peer_.SendTo(Bytes("hello"), relay);
    EXPECT_EQ(stream.NextFrame(),
              (std::vector<uint8_t>{0x40, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0}));

    stream.Send(Encode(StunMethod::kRefresh,
                       [](StunMessageBuilder& b) { b.AddUint32(kStunAttrLifetime, 600); }));
    StunMessage refreshed = *StunMessage::Parse(stream.NextFrame());
    EXPECT_EQ(refreshed.message_class(), StunClass::kSuccessResponse);
    EXPECT_EQ(service_->server().stats().allocations, 1u);

    stream.Close();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (service_->server().stats().allocations != 0 &&
           std::chrono::steady_clock::now() < deadline) {
      io_.poll();
      ::usleep(1000);
    }
    EXPECT_EQ(service_->server().stats().allocations, 0u);
  }

  // Pumps the server for about `duration`.
  void Pump(std::chrono::milliseconds duration) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < deadline) {
      io_.poll();
      ::usleep(1000);
    }
  }

  // A plain TCP connection that sends `bytes` and then waits.
  int RawConnect(const SocketAddress& to, const std::vector<uint8_t>& bytes = {}) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_storage s;
    const socklen_t len = to.ToSockaddr(s);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&s), len), 0);
    if (!bytes.empty()) ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    return fd;
  }

  // True when the server has closed `fd` (the peer sees end of stream or a reset).
  static bool ClosedByServer(int fd) {
    uint8_t buffer[4096];
    while (true) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    }
  }

  testing::TestPki pki_;
  transport::SteadyClock clock_;
  boost::asio::io_context io_;
  std::unique_ptr<TurnService> service_;
  RawUdp client_;
  RawUdp peer_;
  TurnRestCredential credential_ = MakeTurnRestCredential("secret", "alice", kUnixNow + 600);
  std::string nonce_;
};

TEST_F(TurnServiceTest, RelaysBetweenAClientAndAPeerOverRealSockets) {
  StunMessage binding = Request(StunMethod::kBinding, nullptr);
  EXPECT_EQ(binding.xor_mapped_address(), client_.address());

  StunMessage challenge = Request(StunMethod::kAllocate, RequestUdp);
  ASSERT_EQ(challenge.error_code()->code, 401);
  nonce_ = std::string(*challenge.nonce());
  StunMessage allocated = Request(StunMethod::kAllocate, RequestUdp);
  ASSERT_EQ(allocated.message_class(), StunClass::kSuccessResponse);
  const SocketAddress relay =
      *allocated.DecodeXorAddress(*allocated.FindAttribute(kStunAttrXorRelayedAddress));
  EXPECT_EQ(relay.IpString(), "127.0.0.1");
  EXPECT_NE(relay.port(), service_->listen_address().port());

  ASSERT_EQ(Request(StunMethod::kCreatePermission, [&](StunMessageBuilder& b) {
              b.AddXorAddress(kStunAttrXorPeerAddress, peer_.address());
            }).message_class(),
            StunClass::kSuccessResponse);
  // Send indication → the peer sees the data coming from the relay address.
  StunMessageBuilder send(StunClass::kIndication, StunMethod::kSend, GenerateStunTransactionId());
  send.AddXorAddress(kStunAttrXorPeerAddress, peer_.address());
  send.AddAttribute(kStunAttrData, Bytes("to the peer"));
  client_.SendTo(*send.Serialize(std::nullopt, false), service_->listen_address());
  auto [to_peer, via] = Receive(peer_);
  EXPECT_EQ(std::string(to_peer.begin(), to_peer.end()), "to the peer");
  EXPECT_EQ(via, relay);
  // The peer answers the relay → a Data indication to the client.
  peer_.SendTo(Bytes("to the client"), relay);
  auto [data, from] = Receive(client_);
  StunMessage indication = *StunMessage::Parse(data);
  EXPECT_EQ(indication.method(), StunMethod::kData);
  auto payload = *indication.FindAttribute(kStunAttrData);
  EXPECT_EQ(std::string(payload.begin(), payload.end()), "to the client");

  // ChannelData both ways after a ChannelBind.
  ASSERT_EQ(Request(StunMethod::kChannelBind, [&](StunMessageBuilder& b) {
              b.AddUint32(kStunAttrChannelNumber, 0x4000u << 16);
              b.AddXorAddress(kStunAttrXorPeerAddress, peer_.address());
            }).message_class(),
            StunClass::kSuccessResponse);
  const std::vector<uint8_t> channel_data = {0x40, 0x00, 0x00, 0x02, 'h', 'i'};
  client_.SendTo(channel_data, service_->listen_address());
  auto [hi, hi_from] = Receive(peer_);
  EXPECT_EQ(std::string(hi.begin(), hi.end()), "hi");
  peer_.SendTo(Bytes("yo"), relay);
  auto [yo, yo_from] = Receive(client_);
  EXPECT_EQ(yo, (std::vector<uint8_t>{0x40, 0x00, 0x00, 0x02, 'y', 'o'}));

  // Refresh with lifetime 0 ends the allocation and closes the relay socket.
  Request(StunMethod::kRefresh, [](StunMessageBuilder& b) { b.AddUint32(kStunAttrLifetime, 0); });
  EXPECT_EQ(service_->server().stats().allocations, 0u);
  EXPECT_EQ(service_->server().stats().packets_to_peers, 2u);
  EXPECT_EQ(service_->server().stats().packets_to_clients, 2u);
}

TEST_F(TurnServiceTest, EvenPortWithReservationHoldsTheNextPort) {
  nonce_ = std::string(*Request(StunMethod::kAllocate, RequestUdp).nonce());
  const uint8_t reserve[1] = {0x80};
  StunMessage first = Request(StunMethod::kAllocate, [&](StunMessageBuilder& b) {
    RequestUdp(b);
    b.AddAttribute(kStunAttrEvenPort, reserve);
  });
  ASSERT_EQ(first.message_class(), StunClass::kSuccessResponse);
  const SocketAddress even = *first.DecodeXorAddress(*first.FindAttribute(kStunAttrXorRelayedAddress));
  EXPECT_EQ(even.port() % 2, 0);
  auto token = first.FindAttribute(kStunAttrReservationToken);
  ASSERT_TRUE(token.has_value());
  const std::vector<uint8_t> held(token->begin(), token->end());

  // The reserved port + 1 goes to a second allocation (another client port: another 5-tuple;
  // the nonce is bound to the client IP, not the port, so it serves there too).
  auto with_token = [&](StunMessageBuilder& b) {
    RequestUdp(b);
    b.AddAttribute(kStunAttrReservationToken, held);
  };
  RawUdp second_client;
  StunMessage second = Request(StunMethod::kAllocate, with_token, &second_client);
  ASSERT_EQ(second.message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(second.DecodeXorAddress(*second.FindAttribute(kStunAttrXorRelayedAddress))->port(),
            even.port() + 1);
  // A token is good once: a third client presenting it gets 508.
  RawUdp third_client;
  EXPECT_EQ(Request(StunMethod::kAllocate, with_token, &third_client).error_code()->code,
            kStunErrorInsufficientCapacity);
}

// The SFU's announced (public) address is reachable through the relay even where the policy
// forbids the range, and datagrams for it go to the bound address instead (no hairpin).
TEST_F(TurnServiceTest, RelaysToTheSfusAnnouncedAddressGoToItsBoundSocket) {
  const SocketAddress announced = *SocketAddress::Parse("198.51.100.9", 40000);
  Restart(/*allow_loopback=*/false, {{announced, peer_.address()}});
  nonce_ = std::string(*Request(StunMethod::kAllocate, RequestUdp).nonce());
  ASSERT_EQ(Request(StunMethod::kAllocate, RequestUdp).message_class(),
            StunClass::kSuccessResponse);
  EXPECT_EQ(Request(StunMethod::kCreatePermission, [&](StunMessageBuilder& b) {
              b.AddXorAddress(kStunAttrXorPeerAddress, peer_.address());  // loopback: forbidden
            }).error_code()->code,
            kStunErrorForbidden);
  ASSERT_EQ(Request(StunMethod::kCreatePermission, [&](StunMessageBuilder& b) {
              b.AddXorAddress(kStunAttrXorPeerAddress, announced);
            }).message_class(),
            StunClass::kSuccessResponse);
  StunMessageBuilder send(StunClass::kIndication, StunMethod::kSend, GenerateStunTransactionId());
  send.AddXorAddress(kStunAttrXorPeerAddress, announced);
  send.AddAttribute(kStunAttrData, Bytes("to the sfu"));
  client_.SendTo(*send.Serialize(std::nullopt, false), service_->listen_address());
  auto [data, relay] = Receive(peer_);
  EXPECT_EQ(std::string(data.begin(), data.end()), "to the sfu");
  // Its answer comes from the bound address and reaches the client as from the announced one.
  peer_.SendTo(Bytes("from the sfu"), relay);
  auto [answer, answer_from] = Receive(client_);
  StunMessage indication = *StunMessage::Parse(answer);
  EXPECT_EQ(indication.DecodeXorAddress(*indication.FindAttribute(kStunAttrXorPeerAddress)),
            announced);
}

// TURN over TCP (RFC 8656 §3.1): the exchange on a stream, with frames split across writes and
// several in one; closing the connection ends its allocation.
TEST_F(TurnServiceTest, RelaysForAClientOverTcp) {
  TcpClient tcp(*this);
  RelayOverStream(tcp);
  EXPECT_EQ(service_->stream_stats().tcp_accepted, 1u);
  EXPECT_EQ(service_->stream_stats().tcp_open, 0u);
}

// TURN over TLS ("turns:", RFC 8656 §3.1): the same exchange inside TLS on a port of its own.
TEST_F(TurnServiceTest, RelaysForAClientOverTls) {
  EXPECT_NE(service_->tls_listen_address().port(), service_->tcp_listen_address().port());
  TlsClient tls(*this);
  ASSERT_TRUE(tls.Connect());
  RelayOverStream(tls);
  const TurnService::StreamStats& stats = service_->stream_stats();
  EXPECT_EQ(stats.tls_accepted, 1u);
  EXPECT_EQ(stats.tls_handshakes, 1u);
  EXPECT_EQ(stats.tls_handshake_failures, 0u);
  EXPECT_EQ(stats.tls_open, 0u);
  EXPECT_EQ(stats.tcp_accepted, 0u);
}

// A STUN message can be longer (20 + 65532 bytes) than the largest ChannelData frame (4 +
// 65535, padded); the stream reader must hold it, not drop the connection.
TEST_F(TurnServiceTest, TcpCarriesTheLargestStunMessage) {
  TcpClient tcp(*this);
  // By hand: the builder keeps room for MESSAGE-INTEGRITY and FINGERPRINT. A Binding request
  // with one comprehension-optional attribute (ignored) filling the largest body.
  constexpr size_t kBody = 65532;  // the largest multiple of 4 the length field can hold
  std::vector<uint8_t> bytes(kStunHeaderSize + kBody, 0x5a);
  StoreBe16(bytes.data(), StunMessageType(StunClass::kRequest, StunMethod::kBinding));
  StoreBe16(bytes.data() + 2, kBody);
  StoreBe32(bytes.data() + 4, kStunMagicCookie);
  const StunTransactionId tid = GenerateStunTransactionId();
  std::memcpy(bytes.data() + 8, tid.data(), tid.size());
  StoreBe16(bytes.data() + 20, 0xC0FF);
  StoreBe16(bytes.data() + 22, kBody - 4);
  ASSERT_GT(bytes.size(), 4u + 65535u + 1u);
  tcp.Send(bytes);
  absl::StatusOr<StunMessage> answer = StunMessage::Parse(tcp.NextFrame());
  ASSERT_TRUE(answer.ok()) << "no answer: the connection was dropped";
  EXPECT_EQ(answer->message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(answer->method(), StunMethod::kBinding);
}

// A TCP connection that holds no allocation and stays silent is closed (the 1 s timer sweeps),
// one that keeps talking is not.
TEST_F(TurnServiceTest, IdleTcpConnectionsWithoutAllocationAreClosed) {
  Restart(/*allow_loopback=*/true, {}, [](TurnService::Options& options) {
    options.stream_idle_timeout = std::chrono::milliseconds(800);
  });
  TcpClient idle(*this);
  TcpClient busy(*this);
  bool idle_closed = false;
  bool busy_closed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(3500);
  while (std::chrono::steady_clock::now() < deadline && !idle_closed) {
    busy.Send(Encode(StunMethod::kBinding, nullptr));
    idle_closed = idle.ClosedByServer();
    busy_closed = busy_closed || busy.ClosedByServer();
  }
  EXPECT_TRUE(idle_closed);
  EXPECT_FALSE(busy_closed);
}

// A client that connects to the TLS port and never completes a handshake (silent, or a
// ClientHello that never ends) is closed after tls_handshake_timeout and counted; a client
// handshaking meanwhile is served throughout.
TEST_F(TurnServiceTest, TlsHandshakesThatDoNotFinishTimeOut) {
  Restart(/*allow_loopback=*/true, {}, [](TurnService::Options& options) {
    options.tls_handshake_timeout = std::chrono::milliseconds(500);
  });
  const int silent = RawConnect(service_->tls_listen_address());
  // A TLS record header announcing a 512-byte handshake record, and then nothing.
  const int dribbler = RawConnect(service_->tls_listen_address(), {0x16, 0x03, 0x01, 0x02, 0x00});
  TlsClient good(*this);
  ASSERT_TRUE(good.Connect());
  Pump(std::chrono::milliseconds(300));
  EXPECT_EQ(service_->stream_stats().tls_open, 3u);
  EXPECT_FALSE(ClosedByServer(silent));

  // The 1 s sweep closes both once they are past 500 ms.
  Pump(std::chrono::milliseconds(1800));
  EXPECT_TRUE(ClosedByServer(silent));
  EXPECT_TRUE(ClosedByServer(dribbler));
  const TurnService::StreamStats& stats = service_->stream_stats();
  EXPECT_EQ(stats.tls_handshake_timeouts, 2u);
  EXPECT_EQ(stats.tls_handshakes, 1u);
  EXPECT_EQ(stats.tls_open, 1u);
  good.Send(Encode(StunMethod::kBinding, nullptr));
  StunMessage answer = *StunMessage::Parse(good.NextFrame());
  EXPECT_EQ(answer.message_class(), StunClass::kSuccessResponse);
  ::close(silent);
  ::close(dribbler);
}

// Not TLS on the TLS port (a TURN-over-TCP client pointed at it, or plain garbage) fails the
// handshake at once: counted and closed, while TLS and TCP clients go on.
TEST_F(TurnServiceTest, GarbageInsteadOfAClientHelloIsClosed) {
  TlsClient tls(*this);
  ASSERT_TRUE(tls.Connect());
  TcpClient tcp(*this);
  const int stun =
      RawConnect(service_->tls_listen_address(), Encode(StunMethod::kBinding, nullptr));
  std::vector<uint8_t> noise(300);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>(i * 37 + 11);
  const int garbage = RawConnect(service_->tls_listen_address(), noise);
  Pump(std::chrono::milliseconds(200));
  EXPECT_TRUE(ClosedByServer(stun));
  EXPECT_TRUE(ClosedByServer(garbage));
  const TurnService::StreamStats& stats = service_->stream_stats();
  EXPECT_EQ(stats.tls_handshake_failures, 2u);
  EXPECT_EQ(stats.tls_open, 1u);
  for (StreamClient* client : std::initializer_list<StreamClient*>{&tls, &tcp}) {
    client->Send(Encode(StunMethod::kBinding, nullptr));
    StunMessage answer = *StunMessage::Parse(client->NextFrame());
    EXPECT_EQ(answer.message_class(), StunClass::kSuccessResponse);
  }
  ::close(stun);
  ::close(garbage);
}

// TLS 1.2 and later only (RFC 8996), even with a server context that would allow TLS 1.0; and
// no renegotiation on a TLS 1.2 connection (OpenSSL 3 refuses a client's by default as well;
// the service also sets SSL_OP_NO_RENEGOTIATION, whatever the context says).
TEST_F(TurnServiceTest, TlsBelow12AndRenegotiationAreRefused) {
  TlsClient old(*this);
  EXPECT_FALSE(old.Connect(TLS1_1_VERSION, TLS1_1_VERSION));
  Pump(std::chrono::milliseconds(50));
  EXPECT_EQ(service_->stream_stats().tls_handshake_failures, 1u);

  TlsClient tls12(*this);
  ASSERT_TRUE(tls12.Connect(0, TLS1_2_VERSION));
  EXPECT_FALSE(tls12.Renegotiate());
  TlsClient other(*this);
  ASSERT_TRUE(other.Connect());
  other.Send(Encode(StunMethod::kBinding, nullptr));
  EXPECT_EQ(StunMessage::Parse(other.NextFrame())->message_class(), StunClass::kSuccessResponse);
}

// TCP and TLS connections count against one cap; the connection over it is refused at once.
TEST_F(TurnServiceTest, StreamConnectionCapCoversTcpAndTls) {
  Restart(/*allow_loopback=*/true, {}, [](TurnService::Options& options) {
    options.max_stream_connections = 2;
  });
  TcpClient tcp(*this);
  TlsClient tls(*this);
  ASSERT_TRUE(tls.Connect());
  TlsClient third(*this);
  EXPECT_FALSE(third.Connect());
  EXPECT_EQ(service_->stream_stats().refused, 1u);
  tcp.Send(Encode(StunMethod::kBinding, nullptr));
  EXPECT_EQ(StunMessage::Parse(tcp.NextFrame())->message_class(), StunClass::kSuccessResponse);
}

}  // namespace
}  // namespace switchyard::transport
