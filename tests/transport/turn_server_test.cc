#include "transport/turn_server.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/byte_io.h"
#include "transport/clock.h"
#include "transport/stun_message.h"
#include "transport/turn_credentials.h"

namespace switchyard::transport {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kUnixNow = 1'700'000'000;

class FakeTurnNetwork : public TurnServer::Network {
 public:
  struct ToClient {
    TurnClientTuple tuple;
    std::vector<uint8_t> data;
  };
  struct ToPeer {
    SocketAddress relay;
    SocketAddress peer;
    std::vector<uint8_t> data;
  };

  void SendToClient(const TurnClientTuple& tuple, std::span<const uint8_t> data) override {
    to_client.push_back({tuple, {data.begin(), data.end()}});
  }
  absl::StatusOr<TurnRelayGrant> OpenRelay(const TurnClientTuple&,
                                           const TurnRelayRequest& request) override {
    if (fail_open) return absl::ResourceExhaustedError("no ports");
    requests.push_back(request);
    TurnRelayGrant grant;
    if (request.even_port && next_port % 2 != 0) ++next_port;
    grant.relay = SocketAddress::Parse("203.0.113.1", next_port++).value();
    if (request.reserve_next) grant.reservation = TurnReservationToken{1, 2, 3, 4, 5, 6, 7, 8};
    opened.push_back(grant.relay);
    return grant;
  }
  std::vector<TurnRelayRequest> requests;
  void CloseRelay(const SocketAddress& relay) override { closed.push_back(relay); }
  void SendFromRelay(const SocketAddress& relay, const SocketAddress& peer,
                     std::span<const uint8_t> data) override {
    to_peer.push_back({relay, peer, {data.begin(), data.end()}});
  }

  std::vector<ToClient> to_client;
  std::vector<ToPeer> to_peer;
  std::vector<SocketAddress> opened;
  std::vector<SocketAddress> closed;
  uint16_t next_port = 50000;
  bool fail_open = false;
};

SocketAddress Addr(const char* ip, uint16_t port) { return SocketAddress::Parse(ip, port).value(); }

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class TurnServerTest : public ::testing::Test {
 protected:
  TurnServerTest() { Restart(); }

  void Restart() {
    server_ = std::make_unique<TurnServer>(clock_, [this] { return unix_now_; }, config_, net_);
    nonce_.clear();  // nonces are per instance
  }

  TurnClientTuple Tuple(uint16_t client_port = 40000, const char* client_ip = "198.51.100.7") {
    return TurnClientTuple{Addr(client_ip, client_port), Addr("203.0.113.1", 3478),
                           TurnTransport::kUdp};
  }

  // The last message the server sent to a client.
  StunMessage Last() {
    EXPECT_FALSE(net_.to_client.empty());
    absl::StatusOr<StunMessage> m = StunMessage::Parse(net_.to_client.back().data);
    EXPECT_TRUE(m.ok()) << m.status();
    return *std::move(m);
  }
  uint16_t LastErrorCode() {
    StunMessage m = Last();
    EXPECT_EQ(m.message_class(), StunClass::kErrorResponse);
    return m.error_code() ? m.error_code()->code : 0;
  }

  // Sends a request; with `authenticate`, fetches a nonce first if needed and signs it as
  // `credential_`.
  void Send(const TurnClientTuple& tuple, StunMethod method,
            const std::function<void(StunMessageBuilder&)>& attributes, bool authenticate = true,
            std::optional<StunTransactionId> tid = std::nullopt) {
    if (authenticate && nonce_.empty()) Challenge(tuple);
    StunMessageBuilder b(StunClass::kRequest, method, tid.value_or(GenerateStunTransactionId()));
    if (attributes) attributes(b);
    std::optional<std::string_view> key;
    TurnKey k{};
    if (authenticate) {
      b.AddUsername(credential_.username);
      b.AddAttribute(kStunAttrRealm, Bytes(config_.realm));
      b.AddAttribute(kStunAttrNonce, Bytes(nonce_));
      k = LongTermCredentialKey(credential_.username, config_.realm, password_override_.value_or(credential_.password));
      key = KeyView(k);
    }
    absl::StatusOr<std::vector<uint8_t>> bytes = b.Serialize(key, /*add_fingerprint=*/true);
    ASSERT_TRUE(bytes.ok());
    server_->HandleClientPacket(tuple, *bytes);
    // As clients do (RFC 8489 §9.2.5): on 438 take the new nonce and retry once.
    if (authenticate && !retried_ && !net_.to_client.empty()) {
      StunMessage answer = Last();
      if (answer.error_code() && answer.error_code()->code == kStunErrorStaleNonce) {
        nonce_ = std::string(*answer.nonce());
        retried_ = true;
        Send(tuple, method, attributes, authenticate, std::nullopt);
        retried_ = false;
      }
    }
  }
  bool retried_ = false;

  void Challenge(const TurnClientTuple& tuple) {
    Send(tuple, StunMethod::kAllocate, RequestUdp, /*authenticate=*/false);
    StunMessage m = Last();
    ASSERT_EQ(m.error_code()->code, kStunErrorUnauthenticated);
    nonce_ = std::string(*m.nonce());
  }

  static void RequestUdp(StunMessageBuilder& b) { b.AddUint32(kStunAttrRequestedTransport, 17u << 24); }

  SocketAddress Allocate(const TurnClientTuple& tuple) {
    Send(tuple, StunMethod::kAllocate, RequestUdp);
    StunMessage m = Last();
    EXPECT_EQ(m.message_class(), StunClass::kSuccessResponse)
        << (m.error_code() ? m.error_code()->reason : "");
    auto relay = m.FindAttribute(kStunAttrXorRelayedAddress);
    return relay ? m.DecodeXorAddress(*relay).value_or(SocketAddress()) : SocketAddress();
  }

  void Permit(const TurnClientTuple& tuple, const SocketAddress& peer) {
    Send(tuple, StunMethod::kCreatePermission,
         [&](StunMessageBuilder& b) { b.AddXorAddress(kStunAttrXorPeerAddress, peer); });
  }

  void Bind(const TurnClientTuple& tuple, uint16_t channel, const SocketAddress& peer) {
    Send(tuple, StunMethod::kChannelBind, [&](StunMessageBuilder& b) {
      b.AddUint32(kStunAttrChannelNumber, uint32_t{channel} << 16);
      b.AddXorAddress(kStunAttrXorPeerAddress, peer);
    });
  }

  void SendIndication(const TurnClientTuple& tuple, const SocketAddress& peer,
                      std::string_view data) {
    StunMessageBuilder b(StunClass::kIndication, StunMethod::kSend, GenerateStunTransactionId());
    b.AddXorAddress(kStunAttrXorPeerAddress, peer);
    b.AddAttribute(kStunAttrData, Bytes(data));
    server_->HandleClientPacket(tuple, *b.Serialize(std::nullopt, false));
  }

  uint64_t Drops(TurnDrop reason) { return server_->stats().drops[static_cast<size_t>(reason)]; }

  FakeClock clock_;
  int64_t unix_now_ = kUnixNow;
  TurnServerConfig config_ = [] {
    TurnServerConfig c;
    c.auth_secret = "secret";
    c.realm = "example.org";
    return c;
  }();
  FakeTurnNetwork net_;
  std::unique_ptr<TurnServer> server_;
  TurnRestCredential credential_ = MakeTurnRestCredential("secret", "alice", kUnixNow + 3600);
  std::optional<std::string> password_override_;
  std::string nonce_;
  const SocketAddress peer_ = Addr("192.0.2.50", 6000);
};

TEST(TurnCredentialsTest, RestPasswordAndLongTermKeyMatchOpenSslCli) {
  // echo -n "1700000000:alice" | openssl dgst -sha1 -hmac secret -binary | base64
  TurnRestCredential c = MakeTurnRestCredential("secret", "alice", 1700000000);
  EXPECT_EQ(c.username, "1700000000:alice");
  EXPECT_EQ(c.password, "d8soP47RbdIKLDUOpnJPVQyq5Ts=");
  EXPECT_EQ(*TurnRestPassword("secret", c.username, 1699999999), c.password);
  EXPECT_EQ(TurnRestPassword("secret", c.username, 1700000001).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(TurnRestPassword("secret", "alice", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TurnRestPassword("secret", "17x:alice", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(TurnRestPassword("", c.username, 0).ok());
  // echo -n "alice:example.org:TheMatrIX" | md5sum
  const TurnKey key = LongTermCredentialKey("alice", "example.org", "TheMatrIX");
  EXPECT_EQ(key[0], 0x0f);
  EXPECT_EQ(key[1], 0x0a);
  EXPECT_EQ(key[15], 0xd3);
}

TEST(TurnCredentialsTest, NoncesAreBoundToClientIpAndExpire) {
  FakeClock clock;
  TurnNonces nonces(clock, std::chrono::seconds(600));
  const SocketAddress a = Addr("198.51.100.7", 1);
  const std::string nonce = nonces.Issue(a);
  EXPECT_EQ(nonce.size(), 32u);
  EXPECT_TRUE(nonces.Valid(nonce, Addr("198.51.100.7", 2)));  // port does not matter
  EXPECT_FALSE(nonces.Valid(nonce, Addr("198.51.100.8", 1)));
  std::string forged = nonce;
  forged[31] = forged[31] == '0' ? '1' : '0';
  EXPECT_FALSE(nonces.Valid(forged, a));
  EXPECT_FALSE(nonces.Valid("short", a));
  clock.Advance(std::chrono::seconds(601));
  EXPECT_FALSE(nonces.Valid(nonce, a));
  TurnNonces other(clock, std::chrono::seconds(600));  // another instance: another key
  EXPECT_FALSE(other.Valid(nonces.Issue(a), a));
}

TEST_F(TurnServerTest, BindingAnswersMappedAddressWithoutCredentials) {
  const TurnClientTuple tuple = Tuple();
  Send(tuple, StunMethod::kBinding, nullptr, /*authenticate=*/false);
  StunMessage m = Last();
  EXPECT_EQ(m.message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(m.xor_mapped_address(), tuple.client);
  EXPECT_TRUE(m.has_fingerprint());
  EXPECT_EQ(server_->stats().binding_requests, 1u);
}

TEST_F(TurnServerTest, BindingIsRateLimitedPerSourceIp) {
  config_.binding_burst = 5;
  config_.binding_rate_per_second = 1;
  Restart();
  for (int i = 0; i < 8; ++i) Send(Tuple(40000 + i), StunMethod::kBinding, nullptr, false);
  EXPECT_EQ(net_.to_client.size(), 5u);
  EXPECT_EQ(Drops(TurnDrop::kBindingRateLimited), 3u);
  Send(Tuple(40000, "198.51.100.99"), StunMethod::kBinding, nullptr, false);  // another source
  EXPECT_EQ(net_.to_client.size(), 6u);
  clock_.Advance(std::chrono::seconds(2));  // two tokens back
  for (int i = 0; i < 3; ++i) Send(Tuple(), StunMethod::kBinding, nullptr, false);
  EXPECT_EQ(net_.to_client.size(), 8u);
}

TEST_F(TurnServerTest, AllocateChallengesThenSucceedsWithSignedAnswer) {
  const TurnClientTuple tuple = Tuple();
  Send(tuple, StunMethod::kAllocate, RequestUdp, /*authenticate=*/false);
  StunMessage challenge = Last();
  EXPECT_EQ(challenge.error_code()->code, 401);
  EXPECT_EQ(challenge.realm(), "example.org");
  ASSERT_TRUE(challenge.nonce().has_value());
  EXPECT_FALSE(challenge.has_message_integrity());
  nonce_ = std::string(*challenge.nonce());

  const SocketAddress relay = Allocate(tuple);
  EXPECT_EQ(relay, net_.opened.at(0));
  StunMessage m = Last();
  EXPECT_EQ(m.xor_mapped_address(), tuple.client);
  EXPECT_EQ(LoadBe32(m.FindAttribute(kStunAttrLifetime)->data()), 600u);
  const TurnKey key = LongTermCredentialKey(credential_.username, "example.org", credential_.password);
  EXPECT_TRUE(m.VerifyMessageIntegrity(KeyView(key)));
  EXPECT_EQ(server_->RelayOf(tuple), relay);
  EXPECT_EQ(server_->stats().allocations, 1u);
}

TEST_F(TurnServerTest, LifetimeIsClampedBetweenDefaultAndMaximum) {
  Send(Tuple(1), StunMethod::kAllocate, [](StunMessageBuilder& b) {
    RequestUdp(b);
    b.AddUint32(kStunAttrLifetime, 30);
  });
  EXPECT_EQ(LoadBe32(Last().FindAttribute(kStunAttrLifetime)->data()), 600u);
  Send(Tuple(2), StunMethod::kAllocate, [](StunMessageBuilder& b) {
    RequestUdp(b);
    b.AddUint32(kStunAttrLifetime, 100000);
  });
  EXPECT_EQ(LoadBe32(Last().FindAttribute(kStunAttrLifetime)->data()), 3600u);
}

TEST_F(TurnServerTest, StaleNonceGets438WithAFreshOne) {
  Challenge(Tuple());
  clock_.Advance(config_.nonce_lifetime + std::chrono::seconds(1));
  retried_ = true;  // see the 438 itself
  Send(Tuple(), StunMethod::kAllocate, RequestUdp);
  retried_ = false;
  EXPECT_EQ(LastErrorCode(), kStunErrorStaleNonce);
  StunMessage m = Last();
  ASSERT_TRUE(m.nonce().has_value());
  EXPECT_NE(*m.nonce(), nonce_);
  nonce_ = std::string(*m.nonce());
  EXPECT_FALSE(Allocate(Tuple()).empty());
}

TEST_F(TurnServerTest, WrongOrExpiredCredentialsGet401) {
  password_override_ = "not-the-password";
  Send(Tuple(), StunMethod::kAllocate, RequestUdp);
  EXPECT_EQ(LastErrorCode(), 401);
  password_override_.reset();
  credential_ = MakeTurnRestCredential("secret", "alice", kUnixNow - 1);  // expired
  Send(Tuple(), StunMethod::kAllocate, RequestUdp);
  EXPECT_EQ(LastErrorCode(), 401);
  credential_ = MakeTurnRestCredential("other-secret", "alice", kUnixNow + 60);
  Send(Tuple(), StunMethod::kAllocate, RequestUdp);
  EXPECT_EQ(LastErrorCode(), 401);
  EXPECT_TRUE(net_.opened.empty());
}

TEST_F(TurnServerTest, MissingUsernameRealmOrNonceIs400) {
  StunMessageBuilder b(StunClass::kRequest, StunMethod::kAllocate, GenerateStunTransactionId());
  RequestUdp(b);
  b.AddUsername(credential_.username);
  server_->HandleClientPacket(Tuple(), *b.Serialize(std::string_view("0123456789abcdef"), true));
  EXPECT_EQ(LastErrorCode(), 400);
}

TEST_F(TurnServerTest, SecondAllocateOnTheSameTupleIs437ButARetransmissionIsAnswered) {
  const StunTransactionId tid = GenerateStunTransactionId();
  Challenge(Tuple());
  Send(Tuple(), StunMethod::kAllocate, RequestUdp, true, tid);
  const SocketAddress relay = *Last().DecodeXorAddress(*Last().FindAttribute(kStunAttrXorRelayedAddress));
  Send(Tuple(), StunMethod::kAllocate, RequestUdp, true, tid);  // retransmission
  StunMessage again = Last();
  EXPECT_EQ(again.message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(again.DecodeXorAddress(*again.FindAttribute(kStunAttrXorRelayedAddress)), relay);
  Send(Tuple(), StunMethod::kAllocate, RequestUdp);  // a new transaction
  EXPECT_EQ(LastErrorCode(), kStunErrorAllocationMismatch);
  EXPECT_EQ(net_.opened.size(), 1u);
}

TEST_F(TurnServerTest, QuotasGive486PerUserAnd508InTotal) {
  config_.max_allocations_per_user = 2;
  config_.max_allocations_total = 3;
  Restart();
  EXPECT_FALSE(Allocate(Tuple(1)).empty());
  EXPECT_FALSE(Allocate(Tuple(2)).empty());
  Send(Tuple(3), StunMethod::kAllocate, RequestUdp);
  EXPECT_EQ(LastErrorCode(), kStunErrorAllocationQuotaReached);
  credential_ = MakeTurnRestCredential("secret", "bob", kUnixNow + 3600);
  EXPECT_FALSE(Allocate(Tuple(4)).empty());
  credential_ = MakeTurnRestCredential("secret", "carol", kUnixNow + 3600);
  Send(Tuple(5), StunMethod::kAllocate, RequestUdp);
  EXPECT_EQ(LastErrorCode(), kStunErrorInsufficientCapacity);
  net_.fail_open = true;  // no relay port left also reads as 508
  config_.max_allocations_total = 100;
  Restart();
  Send(Tuple(6), StunMethod::kAllocate, RequestUdp);
  EXPECT_EQ(LastErrorCode(), kStunErrorInsufficientCapacity);
}

TEST_F(TurnServerTest, RequestedTransportMustBeUdp) {
  Send(Tuple(), StunMethod::kAllocate, [](StunMessageBuilder& b) {
    b.AddUint32(kStunAttrRequestedTransport, 6u << 24);  // TCP (RFC 6062): not offered
  });
  EXPECT_EQ(LastErrorCode(), kStunErrorUnsupportedTransport);
  Send(Tuple(), StunMethod::kAllocate, nullptr);
  EXPECT_EQ(LastErrorCode(), kStunErrorBadRequest);
  Send(Tuple(), StunMethod::kAllocate, [](StunMessageBuilder& b) {
    RequestUdp(b);
    b.AddUint32(kStunAttrRequestedAddressFamily, 0x02u << 24);  // IPv6 from an IPv4 listener
  });
  EXPECT_EQ(LastErrorCode(), kStunErrorAddressFamilyNotSupported);
}

TEST_F(TurnServerTest, UnknownComprehensionRequiredAttributeIs420) {
  // RFC 8656 §7.2: a server that cannot set DF treats DONT-FRAGMENT as unknown.
  Send(Tuple(), StunMethod::kAllocate, [](StunMessageBuilder& b) {
    RequestUdp(b);
    b.AddAttribute(kStunAttrDontFragment, {});
  });
  EXPECT_EQ(LastErrorCode(), kStunErrorUnknownAttribute);
  EXPECT_THAT(Last().unknown_attributes(), ElementsAre(kStunAttrDontFragment));
}

TEST_F(TurnServerTest, EvenPortReservesTheNextPortForAReservationToken) {
  const uint8_t reserve[1] = {0x80};
  Send(Tuple(1), StunMethod::kAllocate, [&](StunMessageBuilder& b) {
    RequestUdp(b);
    b.AddAttribute(kStunAttrEvenPort, reserve);
  });
  StunMessage m = Last();
  ASSERT_EQ(m.message_class(), StunClass::kSuccessResponse);
  ASSERT_EQ(net_.requests.size(), 1u);
  EXPECT_TRUE(net_.requests[0].even_port);
  EXPECT_TRUE(net_.requests[0].reserve_next);
  EXPECT_EQ(m.DecodeXorAddress(*m.FindAttribute(kStunAttrXorRelayedAddress))->port() % 2, 0);
  auto token = m.FindAttribute(kStunAttrReservationToken);
  ASSERT_TRUE(token.has_value());
  ASSERT_EQ(token->size(), 8u);

  const std::vector<uint8_t> held(token->begin(), token->end());
  Send(Tuple(2), StunMethod::kAllocate, [&](StunMessageBuilder& b) {
    RequestUdp(b);
    b.AddAttribute(kStunAttrReservationToken, held);
  });
  EXPECT_EQ(Last().message_class(), StunClass::kSuccessResponse);
  ASSERT_EQ(net_.requests.size(), 2u);
  ASSERT_TRUE(net_.requests[1].reservation.has_value());
  EXPECT_TRUE(std::equal(held.begin(), held.end(), net_.requests[1].reservation->begin()));

  Send(Tuple(3), StunMethod::kAllocate, [&](StunMessageBuilder& b) {  // both: 400
    RequestUdp(b);
    b.AddAttribute(kStunAttrEvenPort, reserve);
    b.AddAttribute(kStunAttrReservationToken, held);
  });
  EXPECT_EQ(LastErrorCode(), kStunErrorBadRequest);
}

TEST_F(TurnServerTest, ForbiddenPeersGet403UnlessAllowed) {
  Allocate(Tuple());
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.0.1", "0.0.0.0",
                         "224.0.0.1", "100.64.0.1"}) {
    Permit(Tuple(), Addr(ip, 5000));
    EXPECT_EQ(LastErrorCode(), kStunErrorForbidden) << ip;
  }
  Permit(Tuple(), peer_);
  EXPECT_EQ(Last().message_class(), StunClass::kSuccessResponse);
  // Dev mode (./deploy/run) allows loopback so local tools can relay to themselves.
  config_.peer_policy.allow_loopback = true;
  Restart();
  nonce_.clear();
  Allocate(Tuple(9));
  Permit(Tuple(9), Addr("127.0.0.1", 5000));
  EXPECT_EQ(Last().message_class(), StunClass::kSuccessResponse);
  Permit(Tuple(9), Addr("10.1.2.3", 5000));
  EXPECT_EQ(LastErrorCode(), kStunErrorForbidden);
}

TEST_F(TurnServerTest, PermissionNeedsAnAllocationAndTheSameFamily) {
  Permit(Tuple(), peer_);
  EXPECT_EQ(LastErrorCode(), kStunErrorAllocationMismatch);
  Allocate(Tuple());
  Permit(Tuple(), Addr("2001:db8::1", 5000));
  EXPECT_EQ(LastErrorCode(), kStunErrorPeerAddressFamilyMismatch);
  Send(Tuple(), StunMethod::kCreatePermission, nullptr);
  EXPECT_EQ(LastErrorCode(), kStunErrorBadRequest);
}

TEST_F(TurnServerTest, AnotherUserOnTheAllocationGets441) {
  Allocate(Tuple());
  credential_ = MakeTurnRestCredential("secret", "mallory", kUnixNow + 3600);
  Permit(Tuple(), peer_);
  EXPECT_EQ(LastErrorCode(), kStunErrorWrongCredentials);
}

TEST_F(TurnServerTest, SendAndDataIndicationsNeedAPermission) {
  const SocketAddress relay = Allocate(Tuple());
  SendIndication(Tuple(), peer_, "hello");
  EXPECT_TRUE(net_.to_peer.empty());
  EXPECT_EQ(Drops(TurnDrop::kNoPermission), 1u);
  const size_t before = net_.to_client.size();
  server_->HandlePeerPacket(relay, peer_, Bytes("unsolicited"));
  EXPECT_EQ(net_.to_client.size(), before);

  Permit(Tuple(), Addr("192.0.2.50", 1));  // permissions are per IP: any port
  SendIndication(Tuple(), peer_, "hello");
  ASSERT_EQ(net_.to_peer.size(), 1u);
  EXPECT_EQ(net_.to_peer[0].relay, relay);
  EXPECT_EQ(net_.to_peer[0].peer, peer_);
  EXPECT_EQ(std::string(net_.to_peer[0].data.begin(), net_.to_peer[0].data.end()), "hello");

  server_->HandlePeerPacket(relay, peer_, Bytes("world!"));
  StunMessage data = Last();
  EXPECT_EQ(data.message_class(), StunClass::kIndication);
  EXPECT_EQ(data.method(), StunMethod::kData);
  EXPECT_EQ(data.DecodeXorAddress(*data.FindAttribute(kStunAttrXorPeerAddress)), peer_);
  auto payload = *data.FindAttribute(kStunAttrData);
  EXPECT_EQ(std::string(payload.begin(), payload.end()), "world!");

  clock_.Advance(config_.permission_lifetime);
  server_->OnTimer();
  SendIndication(Tuple(), peer_, "late");
  EXPECT_EQ(net_.to_peer.size(), 1u);
  EXPECT_EQ(Drops(TurnDrop::kNoPermission), 3u);
}

TEST_F(TurnServerTest, ChannelBindAndChannelDataBothWays) {
  const SocketAddress relay = Allocate(Tuple());
  Bind(Tuple(), 0x3FFF, peer_);
  EXPECT_EQ(LastErrorCode(), kStunErrorBadRequest);
  Bind(Tuple(), 0x8000, peer_);
  EXPECT_EQ(LastErrorCode(), kStunErrorBadRequest);
  Bind(Tuple(), 0x4001, peer_);
  EXPECT_EQ(Last().message_class(), StunClass::kSuccessResponse);
  Bind(Tuple(), 0x4001, peer_);  // refresh: fine
  EXPECT_EQ(Last().message_class(), StunClass::kSuccessResponse);
  Bind(Tuple(), 0x4002, peer_);  // the peer already has a channel
  EXPECT_EQ(LastErrorCode(), kStunErrorBadRequest);
  Bind(Tuple(), 0x4001, Addr("192.0.2.51", 6000));  // the channel already has a peer
  EXPECT_EQ(LastErrorCode(), kStunErrorBadRequest);
  EXPECT_EQ(server_->stats().channels, 1u);

  const std::vector<uint8_t> channel_data = {0x40, 0x01, 0x00, 0x03, 'a', 'b', 'c', 0};
  server_->HandleClientPacket(Tuple(), channel_data);
  ASSERT_EQ(net_.to_peer.size(), 1u);
  EXPECT_EQ(net_.to_peer[0].peer, peer_);
  EXPECT_EQ(net_.to_peer[0].data, (std::vector<uint8_t>{'a', 'b', 'c'}));

  server_->HandlePeerPacket(relay, peer_, Bytes("xyz12"));
  EXPECT_EQ(net_.to_client.back().data,
            (std::vector<uint8_t>{0x40, 0x01, 0x00, 0x05, 'x', 'y', 'z', '1', '2'}));
  // Another port of the same IP has the permission but not the channel: Data indication.
  server_->HandlePeerPacket(relay, Addr("192.0.2.50", 7000), Bytes("q"));
  EXPECT_EQ(Last().method(), StunMethod::kData);

  server_->HandleClientPacket(Tuple(), std::vector<uint8_t>{0x40, 0x02, 0x00, 0x01, 'z'});
  EXPECT_EQ(Drops(TurnDrop::kUnboundChannel), 1u);
  server_->HandleClientPacket(Tuple(), std::vector<uint8_t>{0x40, 0x01, 0x00, 0x09, 'z'});
  EXPECT_EQ(Drops(TurnDrop::kMalformed), 1u);
  EXPECT_EQ(net_.to_peer.size(), 1u);

  // The channel expires with its lifetime even while the allocation lives on.
  Send(Tuple(), StunMethod::kRefresh,
       [](StunMessageBuilder& b) { b.AddUint32(kStunAttrLifetime, 3600); });
  clock_.Advance(config_.channel_lifetime);
  server_->OnTimer();
  server_->HandleClientPacket(Tuple(), channel_data);
  EXPECT_EQ(Drops(TurnDrop::kUnboundChannel), 2u);
}

TEST_F(TurnServerTest, ChannelDataIsPaddedOverStreams) {
  TurnClientTuple tcp = Tuple();
  tcp.transport = TurnTransport::kTcp;
  const SocketAddress relay = Allocate(tcp);
  Bind(tcp, 0x4000, peer_);
  server_->HandlePeerPacket(relay, peer_, Bytes("abcde"));
  EXPECT_EQ(net_.to_client.back().data.size(), 12u);  // 4 + 5, padded to 8
}

TEST_F(TurnServerTest, RefreshExtendsOrDeletesAndAllocationsExpire) {
  Send(Tuple(), StunMethod::kRefresh, nullptr);
  EXPECT_EQ(LastErrorCode(), kStunErrorAllocationMismatch);
  const SocketAddress relay = Allocate(Tuple());
  clock_.Advance(std::chrono::seconds(500));
  Send(Tuple(), StunMethod::kRefresh, [](StunMessageBuilder& b) { b.AddUint32(kStunAttrLifetime, 1200); });
  EXPECT_EQ(LoadBe32(Last().FindAttribute(kStunAttrLifetime)->data()), 1200u);
  clock_.Advance(std::chrono::seconds(1000));
  server_->OnTimer();
  EXPECT_TRUE(server_->RelayOf(Tuple()).has_value());
  Send(Tuple(), StunMethod::kRefresh, [](StunMessageBuilder& b) { b.AddUint32(kStunAttrLifetime, 0); });
  EXPECT_EQ(Last().message_class(), StunClass::kSuccessResponse);
  EXPECT_FALSE(server_->RelayOf(Tuple()).has_value());
  EXPECT_THAT(net_.closed, ElementsAre(relay));

  const SocketAddress second = Allocate(Tuple());
  clock_.Advance(std::chrono::seconds(601));
  server_->OnTimer();
  EXPECT_FALSE(server_->RelayOf(Tuple()).has_value());
  EXPECT_THAT(net_.closed, ElementsAre(relay, second));
  EXPECT_EQ(server_->stats().allocations, 0u);
  // The user's quota came back with it.
  EXPECT_FALSE(Allocate(Tuple()).empty());
}

TEST_F(TurnServerTest, ClosedStreamClientLosesItsAllocation) {
  TurnClientTuple tls = Tuple();
  tls.transport = TurnTransport::kTls;
  const SocketAddress relay = Allocate(tls);
  server_->OnClientClosed(tls);
  EXPECT_THAT(net_.closed, ElementsAre(relay));
  server_->HandlePeerPacket(relay, peer_, Bytes("x"));
  EXPECT_EQ(Drops(TurnDrop::kUnknownRelay), 1u);
}

TEST_F(TurnServerTest, TurnDisabledWithoutSecretButBindingWorks) {
  config_.auth_secret.clear();
  Restart();
  Send(Tuple(), StunMethod::kAllocate, RequestUdp, /*authenticate=*/false);
  EXPECT_EQ(LastErrorCode(), kStunErrorForbidden);
  Send(Tuple(), StunMethod::kBinding, nullptr, false);
  EXPECT_EQ(Last().message_class(), StunClass::kSuccessResponse);
}

TEST_F(TurnServerTest, GarbageAndResponsesAreCountedNotAnswered) {
  server_->HandleClientPacket(Tuple(), std::vector<uint8_t>{0x80, 1, 2, 3, 4, 5});
  server_->HandleClientPacket(Tuple(), std::vector<uint8_t>{0x00, 1});
  server_->HandleClientPacket(Tuple(), std::vector<uint8_t>(40, 0));
  StunMessageBuilder response(StunClass::kSuccessResponse, StunMethod::kBinding,
                              GenerateStunTransactionId());
  server_->HandleClientPacket(Tuple(), *response.Serialize(std::nullopt, false));
  EXPECT_TRUE(net_.to_client.empty());
  EXPECT_EQ(Drops(TurnDrop::kMalformed), 3u);
  EXPECT_EQ(Drops(TurnDrop::kUnexpectedMessage), 1u);
}

}  // namespace
}  // namespace switchyard::transport
