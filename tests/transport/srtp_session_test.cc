#include "transport/srtp_session.h"

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "gtest/gtest.h"
#include "transport/byte_io.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/dtls_transport.h"

namespace switchyard::transport {
namespace {

constexpr size_t kPayload = 160;

SrtpKeyMaterial MakeKeys(SrtpProfile profile, uint8_t local_seed, uint8_t remote_seed) {
  size_t len = profile == SrtpProfile::kAeadAes128Gcm ? 28 : 30;
  SrtpKeyMaterial keys;
  keys.profile = profile;
  for (size_t i = 0; i < len; ++i) {
    keys.local_master_key_salt.push_back(static_cast<uint8_t>(local_seed + i * 7));
    keys.remote_master_key_salt.push_back(static_cast<uint8_t>(remote_seed + i * 11));
  }
  return keys;
}

SrtpKeyMaterial Mirror(const SrtpKeyMaterial& keys) {
  SrtpKeyMaterial out = keys;
  std::swap(out.local_master_key_salt, out.remote_master_key_salt);
  return out;
}

// RTP packet with a 12-byte header and a patterned payload, in a buffer with trailer room.
struct Packet {
  std::array<uint8_t, 12 + kPayload + SrtpSession::kMaxTrailer> buf{};
  size_t len = 0;
};

Packet MakeRtp(uint16_t seq, uint32_t ssrc = 0x11223344) {
  Packet p;
  p.buf[0] = 0x80;  // V=2
  p.buf[1] = 111;   // PT
  StoreBe16(&p.buf[2], seq);
  StoreBe32(&p.buf[4], seq * 960u);
  StoreBe32(&p.buf[8], ssrc);
  for (size_t i = 0; i < kPayload; ++i) p.buf[12 + i] = static_cast<uint8_t>(i ^ seq);
  p.len = 12 + kPayload;
  return p;
}

Packet MakeRtcp(uint32_t ssrc = 0x55667788) {
  // Receiver report with one report block (RFC 3550 §6.4.2): 8 + 24 bytes.
  Packet p;
  p.buf[0] = 0x81;
  p.buf[1] = 201;
  StoreBe16(&p.buf[2], 7);
  StoreBe32(&p.buf[4], ssrc);
  for (size_t i = 8; i < 32; ++i) p.buf[i] = static_cast<uint8_t>(i);
  p.len = 32;
  return p;
}

class SrtpSessionTest : public ::testing::TestWithParam<SrtpProfile> {
 protected:
  void SetUp() override {
    SrtpKeyMaterial keys = MakeKeys(GetParam(), 1, 100);
    auto a = SrtpSession::Create(keys);
    auto b = SrtpSession::Create(Mirror(keys));
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    a_ = *std::move(a);
    b_ = *std::move(b);
  }
  std::unique_ptr<SrtpSession> a_;
  std::unique_ptr<SrtpSession> b_;
};

TEST_P(SrtpSessionTest, RtpRoundTrip) {
  size_t tag = GetParam() == SrtpProfile::kAeadAes128Gcm ? 16 : 10;
  EXPECT_EQ(a_->rtp_trailer(), tag);
  for (uint16_t seq = 1000; seq < 1010; ++seq) {
    Packet original = MakeRtp(seq);
    Packet p = original;
    size_t out = 0;
    ASSERT_EQ(a_->ProtectRtp(p.buf.data(), p.len, p.buf.size(), out), SrtpError::kOk);
    EXPECT_EQ(out, p.len + tag);
    // Header stays clear, payload is encrypted.
    EXPECT_EQ(std::memcmp(p.buf.data(), original.buf.data(), 12), 0);
    EXPECT_NE(std::memcmp(p.buf.data() + 12, original.buf.data() + 12, kPayload), 0);
    size_t plain = 0;
    ASSERT_EQ(b_->UnprotectRtp(p.buf.data(), out, plain), SrtpError::kOk);
    ASSERT_EQ(plain, original.len);
    EXPECT_EQ(std::memcmp(p.buf.data(), original.buf.data(), plain), 0);
  }
}

TEST_P(SrtpSessionTest, RtcpRoundTripBothDirections) {
  size_t tag = GetParam() == SrtpProfile::kAeadAes128Gcm ? 16 : 10;
  EXPECT_EQ(a_->rtcp_trailer(), tag + 4);
  for (auto [sender, receiver] : {std::pair{a_.get(), b_.get()}, std::pair{b_.get(), a_.get()}}) {
    Packet original = MakeRtcp();
    Packet p = original;
    size_t out = 0;
    ASSERT_EQ(sender->ProtectRtcp(p.buf.data(), p.len, p.buf.size(), out), SrtpError::kOk);
    EXPECT_EQ(out, p.len + tag + 4);
    EXPECT_NE(std::memcmp(p.buf.data() + 8, original.buf.data() + 8, 24), 0);
    size_t plain = 0;
    ASSERT_EQ(receiver->UnprotectRtcp(p.buf.data(), out, plain), SrtpError::kOk);
    ASSERT_EQ(plain, original.len);
    EXPECT_EQ(std::memcmp(p.buf.data(), original.buf.data(), plain), 0);
  }
}

TEST_P(SrtpSessionTest, WrongDirectionKeyFailsAuthentication) {
  // A protects with its local key; A's inbound side expects B's key, so A cannot verify it.
  Packet p = MakeRtp(7);
  size_t out = 0;
  ASSERT_EQ(a_->ProtectRtp(p.buf.data(), p.len, p.buf.size(), out), SrtpError::kOk);
  size_t plain = 0;
  EXPECT_EQ(a_->UnprotectRtp(p.buf.data(), out, plain), SrtpError::kAuthFailed);
}

TEST_P(SrtpSessionTest, TamperedPacketsFailAuthentication) {
  for (size_t flip : {size_t{2}, size_t{20}, 12 + kPayload + 1}) {  // header, payload, tag
    Packet p = MakeRtp(static_cast<uint16_t>(50 + flip));
    size_t out = 0;
    ASSERT_EQ(a_->ProtectRtp(p.buf.data(), p.len, p.buf.size(), out), SrtpError::kOk);
    p.buf[flip] ^= 0x01;
    size_t plain = 0;
    EXPECT_EQ(b_->UnprotectRtp(p.buf.data(), out, plain), SrtpError::kAuthFailed) << flip;
  }
  Packet r = MakeRtcp();
  size_t out = 0;
  ASSERT_EQ(a_->ProtectRtcp(r.buf.data(), r.len, r.buf.size(), out), SrtpError::kOk);
  r.buf[10] ^= 0x80;
  size_t plain = 0;
  EXPECT_EQ(b_->UnprotectRtcp(r.buf.data(), out, plain), SrtpError::kAuthFailed);
}

TEST_P(SrtpSessionTest, ReplayedPacketsAreRejected) {
  Packet p = MakeRtp(300);
  size_t out = 0;
  ASSERT_EQ(a_->ProtectRtp(p.buf.data(), p.len, p.buf.size(), out), SrtpError::kOk);
  Packet copy = p;
  size_t plain = 0;
  ASSERT_EQ(b_->UnprotectRtp(p.buf.data(), out, plain), SrtpError::kOk);
  EXPECT_EQ(b_->UnprotectRtp(copy.buf.data(), out, plain), SrtpError::kReplay);

  Packet r = MakeRtcp();
  ASSERT_EQ(a_->ProtectRtcp(r.buf.data(), r.len, r.buf.size(), out), SrtpError::kOk);
  Packet rcopy = r;
  ASSERT_EQ(b_->UnprotectRtcp(r.buf.data(), out, plain), SrtpError::kOk);
  EXPECT_EQ(b_->UnprotectRtcp(rcopy.buf.data(), out, plain), SrtpError::kReplay);
}

TEST_P(SrtpSessionTest, ReorderingWithinLargeWindowIsAccepted) {
  // Protect 600 packets, deliver the newest first then the oldest: with the default 128-packet
  // window the oldest would be rejected; ours is 1024.
  std::vector<Packet> sent;
  for (uint16_t seq = 0; seq < 600; ++seq) {
    Packet p = MakeRtp(static_cast<uint16_t>(seq + 1));
    size_t out = 0;
    ASSERT_EQ(a_->ProtectRtp(p.buf.data(), p.len, p.buf.size(), out), SrtpError::kOk);
    p.len = out;
    sent.push_back(p);
  }
  size_t plain = 0;
  EXPECT_EQ(b_->UnprotectRtp(sent.back().buf.data(), sent.back().len, plain), SrtpError::kOk);
  EXPECT_EQ(b_->UnprotectRtp(sent.front().buf.data(), sent.front().len, plain), SrtpError::kOk);
}

TEST_P(SrtpSessionTest, RetransmissionWithSameSequenceNumberCanBeProtectedAgain) {
  Packet first = MakeRtp(42);
  Packet again = MakeRtp(42);
  size_t out1 = 0;
  size_t out2 = 0;
  ASSERT_EQ(a_->ProtectRtp(first.buf.data(), first.len, first.buf.size(), out1), SrtpError::kOk);
  ASSERT_EQ(a_->ProtectRtp(again.buf.data(), again.len, again.buf.size(), out2), SrtpError::kOk);
  EXPECT_EQ(out1, out2);
  EXPECT_EQ(std::memcmp(first.buf.data(), again.buf.data(), out1), 0);
}

TEST_P(SrtpSessionTest, RejectsBadLengthsWithoutTouchingTheBuffer) {
  Packet p = MakeRtp(9);
  Packet original = p;
  size_t out = 123;
  // No room for the trailer.
  EXPECT_EQ(a_->ProtectRtp(p.buf.data(), p.len, p.len + a_->rtp_trailer() - 1, out),
            SrtpError::kBadLength);
  EXPECT_EQ(out, 0u);
  EXPECT_EQ(a_->ProtectRtp(p.buf.data(), p.len, p.len - 1, out), SrtpError::kBadLength);
  EXPECT_EQ(std::memcmp(p.buf.data(), original.buf.data(), p.buf.size()), 0);
  Packet r = MakeRtcp();
  EXPECT_EQ(a_->ProtectRtcp(r.buf.data(), r.len, r.len + a_->rtcp_trailer() - 1, out),
            SrtpError::kBadLength);
  // Too short to be RTP/RTCP, or to carry a tag.
  EXPECT_EQ(a_->ProtectRtp(p.buf.data(), 11, p.buf.size(), out), SrtpError::kBadLength);
  EXPECT_EQ(a_->ProtectRtcp(r.buf.data(), 7, r.buf.size(), out), SrtpError::kBadLength);
  EXPECT_EQ(b_->UnprotectRtp(p.buf.data(), 12, out), SrtpError::kBadLength);
  EXPECT_EQ(b_->UnprotectRtcp(r.buf.data(), 12, out), SrtpError::kBadLength);
  EXPECT_EQ(a_->ProtectRtp(nullptr, 100, 200, out), SrtpError::kBadLength);
}

TEST_P(SrtpSessionTest, GarbageInputNeverCrashes) {
  std::array<uint8_t, 300> buf{};
  for (size_t len = 0; len <= 200; ++len) {
    for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i * 31 + len);
    buf[0] = 0x80 | (buf[0] & 0x3f);  // Keep V=2 so libsrtp goes past the first check.
    size_t out = 0;
    EXPECT_NE(b_->UnprotectRtp(buf.data(), len, out), SrtpError::kOk);
    EXPECT_NE(b_->UnprotectRtcp(buf.data(), len, out), SrtpError::kOk);
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpSessionTest,
                         ::testing::Values(SrtpProfile::kAes128CmSha1_80,
                                           SrtpProfile::kAeadAes128Gcm));

TEST(SrtpSessionCreateTest, RejectsWrongKeySizes) {
  SrtpKeyMaterial keys = MakeKeys(SrtpProfile::kAeadAes128Gcm, 1, 2);
  keys.profile = SrtpProfile::kAes128CmSha1_80;  // 28-byte keys for a 30-byte profile
  EXPECT_EQ(SrtpSession::Create(keys).status().code(), absl::StatusCode::kInvalidArgument);
  keys = MakeKeys(SrtpProfile::kAeadAes128Gcm, 1, 2);
  keys.remote_master_key_salt.pop_back();
  EXPECT_EQ(SrtpSession::Create(keys).status().code(), absl::StatusCode::kInvalidArgument);
}

class Endpoint : public DtlsTransport::Observer {
 public:
  void OnDtlsSendPacket(std::span<const uint8_t> d) override { outbox.emplace_back(d.begin(), d.end()); }
  void OnDtlsConnected(const SrtpKeyMaterial& k) override { keys = k; }
  void OnDtlsFailed(const absl::Status&) override {}
  void OnDtlsClosed() override {}
  std::vector<std::vector<uint8_t>> outbox;
  std::optional<SrtpKeyMaterial> keys;
};

TEST(SrtpOverDtlsTest, KeysExportedByDtlsHandshakeProtectMediaEndToEnd) {
  auto server_cert = Certificate::GenerateEcdsaP256();
  auto client_cert = Certificate::GenerateEcdsaP256();
  ASSERT_TRUE(server_cert.ok() && client_cert.ok());
  FakeClock clock;
  Endpoint server_end;
  Endpoint client_end;
  DtlsTransport server(clock, **server_cert, server_end);
  DtlsTransport client(clock, **client_cert, client_end);
  ASSERT_TRUE(server.Start(DtlsRole::kServer, "sha-256", (*client_cert)->Fingerprint()).ok());
  ASSERT_TRUE(client.Start(DtlsRole::kClient, "sha-256", (*server_cert)->Fingerprint()).ok());
  for (int round = 0; round < 20; ++round) {
    auto c = std::exchange(client_end.outbox, {});
    auto s = std::exchange(server_end.outbox, {});
    for (auto& d : c) server.HandleDatagram(d);
    for (auto& d : s) client.HandleDatagram(d);
  }
  ASSERT_TRUE(server_end.keys.has_value());
  ASSERT_TRUE(client_end.keys.has_value());

  auto server_srtp = SrtpSession::Create(*server_end.keys);
  auto client_srtp = SrtpSession::Create(*client_end.keys);
  ASSERT_TRUE(server_srtp.ok() && client_srtp.ok());
  EXPECT_EQ((*server_srtp)->profile(), SrtpProfile::kAeadAes128Gcm);

  // Client -> server RTP, server -> client RTCP.
  Packet original = MakeRtp(5000);
  Packet p = original;
  size_t out = 0;
  size_t plain = 0;
  ASSERT_EQ((*client_srtp)->ProtectRtp(p.buf.data(), p.len, p.buf.size(), out), SrtpError::kOk);
  ASSERT_EQ((*server_srtp)->UnprotectRtp(p.buf.data(), out, plain), SrtpError::kOk);
  EXPECT_EQ(plain, original.len);
  EXPECT_EQ(std::memcmp(p.buf.data(), original.buf.data(), plain), 0);

  Packet rtcp = MakeRtcp();
  Packet rtcp_original = rtcp;
  ASSERT_EQ((*server_srtp)->ProtectRtcp(rtcp.buf.data(), rtcp.len, rtcp.buf.size(), out),
            SrtpError::kOk);
  ASSERT_EQ((*client_srtp)->UnprotectRtcp(rtcp.buf.data(), out, plain), SrtpError::kOk);
  EXPECT_EQ(std::memcmp(rtcp.buf.data(), rtcp_original.buf.data(), plain), 0);
}

}  // namespace
}  // namespace switchyard::transport
