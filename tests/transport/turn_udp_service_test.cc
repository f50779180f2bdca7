#include "transport/turn_udp_service.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
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

class TurnUdpServiceTest : public ::testing::Test {
 protected:
  TurnUdpServiceTest() { Restart(/*allow_loopback=*/true); }

  void Restart(bool allow_loopback, std::vector<std::pair<SocketAddress, SocketAddress>> rewrites = {}) {
    TurnUdpService::Options options;
    options.listen = *SocketAddress::Parse("127.0.0.1", 0);
    options.relay_address = *SocketAddress::Parse("127.0.0.1", 0);
    options.turn.auth_secret = "secret";
    options.turn.peer_policy.allow_loopback = allow_loopback;
    for (const auto& [announced, bound] : rewrites) {
      options.turn.peer_policy.always_allowed.push_back(announced);
    }
    options.self_rewrites = std::move(rewrites);
    service_.reset();
    service_ = TurnUdpService::Create(io_, clock_, [] { return kUnixNow; }, options).value();
    service_->Start();
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

  StunMessage Request(StunMethod method, const std::function<void(StunMessageBuilder&)>& add) {
    StunMessageBuilder b(StunClass::kRequest, method, GenerateStunTransactionId());
    if (add) add(b);
    std::optional<std::string_view> key;
    TurnKey k{};
    if (!nonce_.empty()) {
      b.AddUsername(credential_.username);
      b.AddAttribute(kStunAttrRealm, Bytes("switchyard"));
      b.AddAttribute(kStunAttrNonce, Bytes(nonce_));
      k = LongTermCredentialKey(credential_.username, "switchyard", credential_.password);
      key = KeyView(k);
    }
    client_.SendTo(*b.Serialize(key, true), service_->listen_address());
    auto [bytes, from] = Receive(client_);
    EXPECT_EQ(from, service_->listen_address());
    return *StunMessage::Parse(bytes);
  }

  transport::SteadyClock clock_;
  boost::asio::io_context io_;
  std::unique_ptr<TurnUdpService> service_;
  RawUdp client_;
  RawUdp peer_;
  TurnRestCredential credential_ = MakeTurnRestCredential("secret", "alice", kUnixNow + 600);
  std::string nonce_;
};

TEST_F(TurnUdpServiceTest, RelaysBetweenAClientAndAPeerOverRealSockets) {
  StunMessage binding = Request(StunMethod::kBinding, nullptr);
  EXPECT_EQ(binding.xor_mapped_address(), client_.address());

  auto udp = [](StunMessageBuilder& b) { b.AddUint32(kStunAttrRequestedTransport, 17u << 24); };
  StunMessage challenge = Request(StunMethod::kAllocate, udp);
  ASSERT_EQ(challenge.error_code()->code, 401);
  nonce_ = std::string(*challenge.nonce());
  StunMessage allocated = Request(StunMethod::kAllocate, udp);
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

TEST_F(TurnUdpServiceTest, EvenPortWithReservationHoldsTheNextPort) {
  auto udp = [](StunMessageBuilder& b) { b.AddUint32(kStunAttrRequestedTransport, 17u << 24); };
  nonce_ = std::string(*Request(StunMethod::kAllocate, udp).nonce());
  const uint8_t reserve[1] = {0x80};
  StunMessage first = Request(StunMethod::kAllocate, [&](StunMessageBuilder& b) {
    udp(b);
    b.AddAttribute(kStunAttrEvenPort, reserve);
  });
  ASSERT_EQ(first.message_class(), StunClass::kSuccessResponse);
  const SocketAddress even = *first.DecodeXorAddress(*first.FindAttribute(kStunAttrXorRelayedAddress));
  EXPECT_EQ(even.port() % 2, 0);
  auto token = first.FindAttribute(kStunAttrReservationToken);
  ASSERT_TRUE(token.has_value());
  const std::vector<uint8_t> held(token->begin(), token->end());

  // The reserved port + 1 goes to a second allocation (another client port: another 5-tuple).
  RawUdp second_client;
  StunMessageBuilder b(StunClass::kRequest, StunMethod::kAllocate, GenerateStunTransactionId());
  udp(b);
  b.AddAttribute(kStunAttrReservationToken, held);
  b.AddUsername(credential_.username);
  b.AddAttribute(kStunAttrRealm, Bytes("switchyard"));
  b.AddAttribute(kStunAttrNonce, Bytes(nonce_));
  const TurnKey key = LongTermCredentialKey(credential_.username, "switchyard", credential_.password);
  // The nonce is bound to the client IP, not the port: the second socket may use it.
  second_client.SendTo(*b.Serialize(KeyView(key), true), service_->listen_address());
  auto [bytes, from] = Receive(second_client);
  StunMessage second = *StunMessage::Parse(bytes);
  ASSERT_EQ(second.message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(second.DecodeXorAddress(*second.FindAttribute(kStunAttrXorRelayedAddress))->port(),
            even.port() + 1);
  // A token is good once: a third client presenting it gets 508.
  RawUdp third_client;
  StunMessageBuilder b3(StunClass::kRequest, StunMethod::kAllocate, GenerateStunTransactionId());
  udp(b3);
  b3.AddAttribute(kStunAttrReservationToken, held);
  b3.AddUsername(credential_.username);
  b3.AddAttribute(kStunAttrRealm, Bytes("switchyard"));
  b3.AddAttribute(kStunAttrNonce, Bytes(nonce_));
  third_client.SendTo(*b3.Serialize(KeyView(key), true), service_->listen_address());
  auto [again, again_from] = Receive(third_client);
  EXPECT_EQ(StunMessage::Parse(again)->error_code()->code, kStunErrorInsufficientCapacity);
}

// The SFU's announced (public) address is reachable through the relay even where the policy
// forbids the range, and datagrams for it go to the bound address instead (no hairpin).
TEST_F(TurnUdpServiceTest, RelaysToTheSfusAnnouncedAddressGoToItsBoundSocket) {
  const SocketAddress announced = *SocketAddress::Parse("198.51.100.9", 40000);
  Restart(/*allow_loopback=*/false, {{announced, peer_.address()}});
  auto udp = [](StunMessageBuilder& b) { b.AddUint32(kStunAttrRequestedTransport, 17u << 24); };
  nonce_ = std::string(*Request(StunMethod::kAllocate, udp).nonce());
  ASSERT_EQ(Request(StunMethod::kAllocate, udp).message_class(), StunClass::kSuccessResponse);
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

}  // namespace
}  // namespace switchyard::transport
