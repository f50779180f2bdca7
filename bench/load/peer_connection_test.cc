#include "bench/load/peer_connection.h"

#include <array>
#include <chrono>
#include <limits>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "gtest/gtest.h"
#include "transport/certificate.h"
#include "transport/stun_message.h"

// The ICE side of the load client's PeerConnection against a full ICE agent (as Janus's
// libnice is): a plain UDP socket plays the peer, sends its own checks and answers ours.
namespace switchyard::bench {
namespace {

using boost::asio::ip::udp;
using transport::StunClass;
using transport::StunMessage;
using transport::StunMessageBuilder;
using transport::StunMethod;

constexpr char kPeerUfrag[] = "peerufrag";
constexpr char kPeerPwd[] = "peerpassword0123456789ab";

class NullObserver : public PeerConnection::Observer {
 public:
  void OnPeerConnected(PeerConnection&) override {}
  void OnPeerFailed(PeerConnection&, const std::string&) override {}
  void OnPeerRtp(PeerConnection&, std::span<uint8_t>, bool, transport::Timestamp) override {}
  void OnPeerRtcp(PeerConnection&, std::span<const uint8_t>) override {}
};

class PeerConnectionIceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certificate = transport::Certificate::GenerateEcdsaP256("peer-connection-test");
    ASSERT_TRUE(certificate.ok());
    certificate_ = std::move(*certificate);
    auto dtls = transport::DtlsContext::Create(*certificate_);
    ASSERT_TRUE(dtls.ok());
    dtls_ = std::move(*dtls);
    peer_.open(udp::v4());
    peer_.bind(udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    peer_.non_blocking(true);
    auto pc = PeerConnection::Create(io_, clock_, *dtls_,
                                     *transport::SocketAddress::Parse("127.0.0.1", 0), observer_,
                                     counters_, 1);
    ASSERT_TRUE(pc.ok());
    pc_ = std::move(*pc);
  }

  // Our remote description: the peer's credentials and its one host candidate. DTLS never
  // completes here (the fingerprint is made up); only ICE is exercised.
  void SetRemote() {
    RemoteTransport remote;
    remote.ice.ufrag = kPeerUfrag;
    remote.ice.pwd = kPeerPwd;
    remote.fingerprint_algorithm = "sha-256";
    remote.fingerprint_value = std::string(95, 'A');
    remote.setup = rtc::SetupRole::kActPass;
    remote.candidate = transport::SocketAddress::Parse("127.0.0.1", peer_.local_endpoint().port());
    ASSERT_TRUE(pc_->SetRemoteTransport(remote).ok());
  }

  // The next STUN message the PeerConnection sent to the peer (running its io_context), and
  // where from; nullopt after ~1 s of nothing.
  std::optional<StunMessage> Receive() {
    for (int i = 0; i < 200; ++i) {
      io_.poll();
      std::array<uint8_t, 1500> buffer;
      boost::system::error_code ec;
      const size_t n = peer_.receive_from(boost::asio::buffer(buffer), pc_endpoint_, 0, ec);
      if (!ec) {
        auto message = StunMessage::Parse(std::span<const uint8_t>(buffer.data(), n));
        if (message.ok()) return std::move(*message);
        continue;  // DTLS and the like
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
  }

  // Nothing but non-STUN datagrams arrive for a while.
  bool NoStunFor(std::chrono::milliseconds wait) {
    const auto end = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < end) {
      io_.poll();
      std::array<uint8_t, 1500> buffer;
      boost::system::error_code ec;
      const size_t n = peer_.receive_from(boost::asio::buffer(buffer), pc_endpoint_, 0, ec);
      if (!ec && StunMessage::Parse(std::span<const uint8_t>(buffer.data(), n)).ok()) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  void SendToPc(const StunMessageBuilder& builder, const std::string& key) {
    auto bytes = builder.Serialize(key, /*add_fingerprint=*/true);
    ASSERT_TRUE(bytes.ok());
    peer_.send_to(boost::asio::buffer(*bytes), pc_endpoint_);
  }

  // The peer's own check, as libnice sends it: USERNAME ours:theirs, keyed with our password.
  transport::StunTransactionId SendPeerCheck(bool controlling, uint64_t tiebreaker,
                                             const std::string& key) {
    const auto id = transport::GenerateStunTransactionId();
    StunMessageBuilder builder(StunClass::kRequest, StunMethod::kBinding, id);
    builder.AddUsername(pc_->local_ice().ufrag + ":" + kPeerUfrag);
    builder.AddPriority(1862270975);
    if (controlling) {
      builder.AddIceControlling(tiebreaker);
      builder.AddUseCandidate();
    } else {
      builder.AddIceControlled(tiebreaker);
    }
    SendToPc(builder, key);
    return id;
  }

  boost::asio::io_context io_;
  transport::SteadyClock clock_;
  std::unique_ptr<transport::Certificate> certificate_;
  std::unique_ptr<transport::DtlsContext> dtls_;
  NullObserver observer_;
  TrafficCounters counters_;
  udp::socket peer_{io_};
  udp::endpoint pc_endpoint_;
  std::unique_ptr<PeerConnection> pc_;
};

TEST_F(PeerConnectionIceTest, AnswersThePeersChecksWithIntegrityAndFingerprint) {
  SetRemote();
  auto our_check = Receive();
  ASSERT_TRUE(our_check.has_value());
  EXPECT_EQ(our_check->message_class(), StunClass::kRequest);
  EXPECT_TRUE(our_check->ice_controlling().has_value());
  EXPECT_TRUE(our_check->use_candidate());
  EXPECT_TRUE(our_check->VerifyMessageIntegrity(kPeerPwd));

  const auto id = SendPeerCheck(/*controlling=*/false, 7, pc_->local_ice().pwd);
  auto response = Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(response->transaction_id(), id);
  EXPECT_TRUE(response->VerifyMessageIntegrity(pc_->local_ice().pwd));
  EXPECT_TRUE(response->has_fingerprint());
  ASSERT_TRUE(response->xor_mapped_address().has_value());
  EXPECT_EQ(response->xor_mapped_address()->port(), peer_.local_endpoint().port());
}

TEST_F(PeerConnectionIceTest, IgnoresChecksWithTheWrongPassword) {
  SetRemote();
  ASSERT_TRUE(Receive().has_value());  // our first check
  SendPeerCheck(/*controlling=*/false, 7, "not-our-password-at-all");
  EXPECT_TRUE(NoStunFor(std::chrono::milliseconds(60)));
  EXPECT_GT(counters_.unexpected_datagrams, 0u);
}

TEST_F(PeerConnectionIceTest, A487MakesUsControlledAndTheCheckGoesAgain) {
  SetRemote();
  auto our_check = Receive();
  ASSERT_TRUE(our_check.has_value());
  ASSERT_TRUE(our_check->ice_controlling().has_value());
  // RFC 8445 §7.3.1.1: the peer is controlling with the larger tie-breaker.
  StunMessageBuilder conflict(StunClass::kErrorResponse, StunMethod::kBinding,
                              our_check->transaction_id());
  conflict.AddErrorCode(transport::kStunErrorRoleConflict, "Role Conflict");
  SendToPc(conflict, kPeerPwd);
  auto again = Receive();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->message_class(), StunClass::kRequest);
  EXPECT_NE(again->transaction_id(), our_check->transaction_id());
  EXPECT_TRUE(again->ice_controlled().has_value());
  EXPECT_FALSE(again->ice_controlling().has_value());
  EXPECT_FALSE(again->use_candidate());  // nominating is the controlling agent's job
}

TEST_F(PeerConnectionIceTest, RoleConflictInThePeersCheckGoesByTieBreaker) {
  SetRemote();
  ASSERT_TRUE(Receive().has_value());
  // Both controlling, the peer's tie-breaker smaller (0): we keep the role and answer 487.
  auto id = SendPeerCheck(/*controlling=*/true, 0, pc_->local_ice().pwd);
  auto response = Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->transaction_id(), id);
  EXPECT_EQ(response->message_class(), StunClass::kErrorResponse);
  ASSERT_TRUE(response->error_code().has_value());
  EXPECT_EQ(response->error_code()->code, transport::kStunErrorRoleConflict);
  EXPECT_TRUE(response->VerifyMessageIntegrity(pc_->local_ice().pwd));

  // Larger than any of ours: we become controlled and answer with success.
  id = SendPeerCheck(/*controlling=*/true, std::numeric_limits<uint64_t>::max(),
                     pc_->local_ice().pwd);
  response = Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->transaction_id(), id);
  EXPECT_EQ(response->message_class(), StunClass::kSuccessResponse);
  // Our next check (ICE still unconnected: every kCheckInterval) says controlled.
  std::this_thread::sleep_for(PeerConnection::kCheckInterval);
  pc_->OnTimer(clock_.Now());
  auto next = Receive();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->ice_controlled().has_value());
  EXPECT_FALSE(next->use_candidate());
}

}  // namespace
}  // namespace switchyard::bench
