#include "sfu/webrtc_transport.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sfu/fake_network.h"
#include "tests/sfu/test_peer.h"
#include "transport/packet_demux.h"

namespace switchyard::sfu::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using transport::DtlsRole;
using transport::SocketAddress;
using namespace std::chrono_literals;

class RecordingListener final : public WebRtcTransport::Listener {
 public:
  void OnRtp(WebRtcTransport&, std::span<uint8_t> packet) override {
    rtp.emplace_back(packet.begin(), packet.end());
  }
  void OnRtcp(WebRtcTransport&, std::span<const uint8_t> packet) override {
    rtcp.emplace_back(packet.begin(), packet.end());
  }
  void OnTransportConnected(WebRtcTransport&) override { ++connected; }
  void OnTransportClosed(WebRtcTransport&, const std::string& reason) override {
    closed.push_back(reason);
  }

  std::vector<std::vector<uint8_t>> rtp;
  std::vector<std::vector<uint8_t>> rtcp;
  int connected = 0;
  std::vector<std::string> closed;
};

bool IsDtls(const Datagram& d) {
  return transport::ClassifyPacket(d.bytes) == transport::PacketClass::kDtls;
}

class WebRtcTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    peer_certificate_ = transport::Certificate::GenerateEcdsaP256("peer").value().release();
    other_certificate_ = transport::Certificate::GenerateEcdsaP256("other").value().release();
  }
  static void TearDownTestSuite() {
    delete peer_certificate_;
    delete other_certificate_;
  }

  void SetUp() override {
    transport_ = std::make_unique<WebRtcTransport>(worker_.clock(), worker_.context().dtls_context,
                                                   worker_.network(), listener_);
    peer_ = std::make_unique<TestPeer>(worker_.clock(), *peer_certificate_);
    worker_.network().AttachPeer(*peer_, kPeerAddress);
  }
  void TearDown() override {
    worker_.network().DetachPeer(*peer_);
    transport_.reset();
  }

  // The SDP exchange, without SDP: the server (answerer, setup:passive) is the DTLS server and
  // checks the peer's certificate against `peer_fingerprint`; the peer checks the server's
  // against `server_fingerprint`.
  void Configure(const std::string& peer_fingerprint, const std::string& server_fingerprint) {
    ASSERT_TRUE(transport_
                    ->SetRemoteParameters(peer_->ice_credentials(), "sha-256", peer_fingerprint,
                                          DtlsRole::kServer)
                    .ok());
    ASSERT_TRUE(peer_
                    ->SetRemoteParameters(transport_->local_ice_credentials(), "sha-256",
                                          server_fingerprint, DtlsRole::kClient)
                    .ok());
  }
  void ConfigureMatching() {
    Configure(peer_certificate_->Fingerprint(), worker_.certificate().Fingerprint());
  }

  uint64_t Drops(DropReason reason) { return worker_.network().drops().Get(reason); }

  static inline const SocketAddress kPeerAddress = SocketAddress::FromIpv4(0x7F000102, 40000);
  static inline transport::Certificate* peer_certificate_ = nullptr;
  static inline transport::Certificate* other_certificate_ = nullptr;
  FakeWorker worker_;
  RecordingListener listener_;
  std::unique_ptr<WebRtcTransport> transport_;
  std::unique_ptr<TestPeer> peer_;
};

TEST_F(WebRtcTransportTest, IceDtlsAndSrtpConnectBothWays) {
  ConfigureMatching();
  EXPECT_FALSE(transport_->connected());
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  ASSERT_TRUE(peer_->connected());
  ASSERT_TRUE(transport_->connected());
  EXPECT_EQ(listener_.connected, 1);
  EXPECT_EQ(transport_->selected_address(), kPeerAddress);
  EXPECT_EQ(peer_->mapped_address(), kPeerAddress);
  EXPECT_EQ(transport_->ice().state(), transport::IceState::kConnected);
  // Until the peer proves it finished the handshake, a lost final flight may need resending.
  EXPECT_FALSE(transport_->dtls_handshake_state_released());

  const std::vector<uint8_t> payload = MakeOpusPayload(9);
  ASSERT_TRUE(peer_->SendRtp({kOpusPayloadType, 7, 960, 0xABCD, false}, payload));
  ASSERT_TRUE(peer_->SendPli(0x1234));
  worker_.Pump();
  EXPECT_TRUE(transport_->dtls_handshake_state_released());
  ASSERT_EQ(listener_.rtp.size(), 1u);
  ASSERT_EQ(listener_.rtp[0].size(), 12u + payload.size());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), listener_.rtp[0].begin() + 12));
  ASSERT_EQ(listener_.rtcp.size(), 1u);
  EXPECT_EQ(listener_.rtcp[0].size(), 12u);

  // Server to peer, in place with trailer room.
  std::vector<uint8_t> packet(12 + payload.size() + WebRtcTransport::kSrtpTrailer);
  packet[0] = 0x80;
  packet[1] = kOpusPayloadType;
  packet[3] = 42;                                  // sequence number
  packet[8] = 0x0B;                                // SSRC 0x0B000000
  std::copy(payload.begin(), payload.end(), packet.begin() + 12);
  ASSERT_TRUE(transport_->SendRtp(packet.data(), 12 + payload.size(), packet.size()));
  worker_.Pump();
  ASSERT_EQ(peer_->received_rtp().size(), 1u);
  EXPECT_EQ(peer_->received_rtp()[0].ssrc, 0x0B000000u);
  EXPECT_EQ(peer_->received_rtp()[0].sequence_number, 42);
  EXPECT_EQ(peer_->received_rtp()[0].payload, payload);
  EXPECT_THAT(listener_.closed, IsEmpty());
  EXPECT_EQ(worker_.network().drops().Total(), 0u);
}

TEST_F(WebRtcTransportTest, PeerCertificateNotMatchingItsSdpFingerprintFailsDtls) {
  // The peer's SDP announced another certificate than the one it presents.
  Configure(other_certificate_->Fingerprint(), worker_.certificate().Fingerprint());
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  ASSERT_EQ(listener_.closed.size(), 1u);
  EXPECT_THAT(listener_.closed[0], StartsWith("DTLS failed"));
  EXPECT_THAT(listener_.closed[0], HasSubstr("fingerprint"));
  EXPECT_TRUE(transport_->closed());
  EXPECT_FALSE(transport_->connected());
  EXPECT_EQ(listener_.connected, 0);
  EXPECT_FALSE(peer_->connected());

  // Once closed, nothing more is answered or forwarded.
  const uint64_t requests_answered = peer_->stats().stun_responses_accepted;
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  EXPECT_EQ(peer_->stats().stun_responses_accepted, requests_answered);
}

TEST_F(WebRtcTransportTest, PeerRejectingTheServerCertificateClosesTheTransport) {
  Configure(peer_certificate_->Fingerprint(), other_certificate_->Fingerprint());
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  ASSERT_TRUE(peer_->dtls_failure().has_value());
  EXPECT_EQ(peer_->dtls_state(), transport::DtlsState::kFailed);
  // The peer's bad_certificate alert ends the server's handshake too.
  ASSERT_EQ(listener_.closed.size(), 1u);
  EXPECT_THAT(listener_.closed[0], StartsWith("DTLS failed"));
  EXPECT_FALSE(transport_->connected());
}

TEST_F(WebRtcTransportTest, SrtpBeforeTheHandshakeCompletesIsDropped) {
  ConfigureMatching();
  // ICE works but every DTLS datagram is lost.
  worker_.network().set_filter([](Datagram& d) { return !IsDtls(d); });
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  ASSERT_TRUE(peer_->ice_connected());
  ASSERT_FALSE(transport_->connected());

  // An RTP-looking datagram from the validated address reaches the transport, which has no
  // keys yet.
  std::vector<uint8_t> rtp(60, 0);
  rtp[0] = 0x80;
  rtp[1] = kVp8PayloadType;
  worker_.network().SendToServer(kPeerAddress, rtp);
  rtp[1] = 200;  // and an RTCP-looking one
  worker_.network().SendToServer(kPeerAddress, rtp);
  worker_.Pump();
  EXPECT_EQ(Drops(DropReason::kSrtpNotReady), 2u);
  EXPECT_THAT(listener_.rtp, IsEmpty());
  EXPECT_THAT(listener_.rtcp, IsEmpty());

  // Sending is refused (and counted) as well.
  std::vector<uint8_t> packet(12 + 10 + WebRtcTransport::kSrtpTrailer, 0);
  packet[0] = 0x80;
  EXPECT_FALSE(transport_->SendRtp(packet.data(), 22, packet.size()));
  EXPECT_EQ(Drops(DropReason::kConsumerNotConnected), 1u);

  // Once DTLS gets through (the flights are retransmitted on the timers), keys are there.
  worker_.network().set_filter(nullptr);
  for (int i = 0; i < 5 && !transport_->connected(); ++i) {
    worker_.clock().Advance(1100ms);
    peer_->OnTimer();
    transport_->OnTimer();
    worker_.Pump();
  }
  EXPECT_TRUE(transport_->connected());
  EXPECT_TRUE(peer_->connected());
}

TEST_F(WebRtcTransportTest, ChecksWithTheWrongPasswordAreDroppedAndRouteNothing) {
  ASSERT_TRUE(transport_
                  ->SetRemoteParameters(peer_->ice_credentials(), "sha-256",
                                        peer_certificate_->Fingerprint(), DtlsRole::kServer)
                  .ok());
  transport::IceCredentials wrong = transport_->local_ice_credentials();
  wrong.pwd = "this-is-not-the-password";
  ASSERT_TRUE(peer_
                  ->SetRemoteParameters(wrong, "sha-256", worker_.certificate().Fingerprint(),
                                        DtlsRole::kClient)
                  .ok());
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  EXPECT_FALSE(peer_->ice_connected());
  EXPECT_EQ(Drops(DropReason::kStunRejected), 1u);
  EXPECT_EQ(transport_->ice().drop_count(transport::IceDropReason::kBadIntegrity), 1u);
  EXPECT_EQ(worker_.network().routed_addresses(), 0u);
  EXPECT_FALSE(transport_->selected_address().has_value());

  // Without a validated check, DTLS from that address is not even routed to the transport.
  worker_.network().SendToServer(kPeerAddress, std::vector<uint8_t>{22, 0xFE, 0xFD, 0, 0});
  worker_.Pump();
  EXPECT_EQ(Drops(DropReason::kUnknownRemoteAddress), 1u);
}

TEST_F(WebRtcTransportTest, ConsentExpiresThirtySecondsAfterTheLastCheck) {
  ConfigureMatching();
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  ASSERT_TRUE(transport_->connected());

  worker_.clock().Advance(20s);
  peer_->SendBindingRequest(/*use_candidate=*/false);  // refreshes consent
  worker_.Pump();
  ASSERT_TRUE(transport_->NextTimeout().has_value());
  EXPECT_EQ(*transport_->NextTimeout(), worker_.clock().Now() + 30s);

  worker_.clock().Advance(29s);
  transport_->OnTimer();
  EXPECT_THAT(listener_.closed, IsEmpty());
  worker_.clock().Advance(1s);
  transport_->OnTimer();
  ASSERT_EQ(listener_.closed.size(), 1u);
  EXPECT_THAT(listener_.closed[0], HasSubstr("RFC 7675"));
  EXPECT_FALSE(transport_->connected());
  transport_->OnTimer();  // idempotent
  EXPECT_EQ(listener_.closed.size(), 1u);
}

TEST_F(WebRtcTransportTest, CloseNotifyFromThePeerClosesTheTransport) {
  ConfigureMatching();
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  ASSERT_TRUE(transport_->connected());
  peer_->CloseDtls();
  worker_.Pump();
  ASSERT_EQ(listener_.closed.size(), 1u);
  EXPECT_EQ(listener_.closed[0], "DTLS closed by the peer");
  EXPECT_FALSE(transport_->connected());
}

// After media the SSL object is gone; close_notify is still understood (DtlsRecordCipher).
TEST_F(WebRtcTransportTest, CloseNotifyAfterMediaClosesTheTransport) {
  ConfigureMatching();
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  ASSERT_TRUE(peer_->SendPli(0x1234));
  worker_.Pump();
  ASSERT_TRUE(transport_->dtls_handshake_state_released());
  peer_->CloseDtls();
  worker_.Pump();
  ASSERT_EQ(listener_.closed.size(), 1u);
  EXPECT_EQ(listener_.closed[0], "DTLS closed by the peer");
  EXPECT_FALSE(transport_->connected());
}

TEST_F(WebRtcTransportTest, LostServerFlightIsRetransmittedOnTheFakeClock) {
  ConfigureMatching();
  // Lose the server's first DTLS flight (ServerHello ... ServerHelloDone).
  bool dropped = false;
  worker_.network().set_filter([&](Datagram& d) {
    if (!dropped && IsDtls(d) && d.to == kPeerAddress) {
      dropped = true;
      return false;
    }
    return true;
  });
  peer_->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  ASSERT_TRUE(dropped);
  ASSERT_FALSE(transport_->connected());
  ASSERT_TRUE(transport_->NextTimeout().has_value());
  worker_.clock().Advance(1100ms);
  transport_->OnTimer();
  peer_->OnTimer();
  worker_.Pump();
  EXPECT_TRUE(transport_->connected());
  EXPECT_TRUE(peer_->connected());
  EXPECT_EQ(listener_.connected, 1);
}

}  // namespace
}  // namespace switchyard::sfu::testing
