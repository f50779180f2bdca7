#include "transport/srtp_transform.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "transport/srtp_context.h"
#include "transport/srtp_key_derivation.h"
#include "transport/srtp_replay.h"
#include "transport/srtp_session.h"

namespace switchyard::transport {
namespace {

// Counts OpenSSL's heap allocations so a test can prove the packet path makes none. OpenSSL
// accepts replacement allocators only before its first allocation, hence a static initializer;
// when something in this binary allocated through OpenSSL earlier, the test that needs the
// count skips.
std::atomic<long> openssl_allocations{0};
void* CountingMalloc(size_t size, const char*, int) {
  openssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size);
}
void* CountingRealloc(void* p, size_t size, const char*, int) {
  openssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, size);
}
void CountingFree(void* p, const char*, int) { std::free(p); }
const bool kCountingOpenSslAllocations =
    CRYPTO_set_mem_functions(CountingMalloc, CountingRealloc, CountingFree) == 1;

std::vector<uint8_t> Hex(const std::string& text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;  // Spaces between the RFCs' word groups.
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

std::vector<uint8_t> Bytes(const uint8_t* data, size_t length) {
  return std::vector<uint8_t>(data, data + length);
}

// ---------------------------------------------------------------------------------------------
// Known-answer tests.

// RFC 3711 Appendix B.3.
TEST(SrtpKeyDerivationTest, Rfc3711AppendixB3) {
  const std::vector<uint8_t> key = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const std::vector<uint8_t> salt = Hex("0EC675AD498AFEEBB6960B3AABE6");
  uint8_t out[94];
  ASSERT_TRUE(SrtpKdf(key, salt, SrtpKdfLabel::kRtpEncryption, out, 16).ok());
  EXPECT_EQ(Bytes(out, 16), Hex("C61E7A93744F39EE10734AFE3FF7A087"));
  ASSERT_TRUE(SrtpKdf(key, salt, SrtpKdfLabel::kRtpSalt, out, 14).ok());
  EXPECT_EQ(Bytes(out, 14), Hex("30CBBC08863D8C85D49DB34A9AE1"));
  // The 94-octet auth key of the appendix runs the counter over six blocks.
  ASSERT_TRUE(SrtpKdf(key, salt, SrtpKdfLabel::kRtpAuthentication, out, 94).ok());
  EXPECT_EQ(Bytes(out, 94), Hex("CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
                                "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
                                "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"));

  std::vector<uint8_t> master = key;
  master.insert(master.end(), salt.begin(), salt.end());
  absl::StatusOr<SrtpSessionKeys> keys =
      DeriveSrtpSessionKeys(SrtpProfile::kAes128CmSha1_80, master);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(Bytes(keys->rtp_key, 16), Hex("C61E7A93744F39EE10734AFE3FF7A087"));
  EXPECT_EQ(Bytes(keys->rtp_salt, 14), Hex("30CBBC08863D8C85D49DB34A9AE1"));
  EXPECT_EQ(Bytes(keys->rtp_auth_key, 20), Hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
}

TEST(SrtpKeyDerivationTest, RejectsWrongLengths) {
  EXPECT_FALSE(DeriveSrtpSessionKeys(SrtpProfile::kAes128CmSha1_80, std::vector<uint8_t>(28, 1))
                   .ok());
  EXPECT_FALSE(DeriveSrtpSessionKeys(SrtpProfile::kAeadAes128Gcm, std::vector<uint8_t>(30, 1))
                   .ok());
  EXPECT_FALSE(SrtpContext::Create(SrtpProfile::kAeadAes128Gcm, std::vector<uint8_t>(29, 1)).ok());
  SrtpKeyMaterial material{SrtpProfile::kAes128CmSha1_80, std::vector<uint8_t>(30, 1),
                           std::vector<uint8_t>(29, 1)};
  EXPECT_FALSE(SrtpTransform::Create(material).ok());
}

// RFC 3711 Appendix B.2: with SSRC 0 and index 0 the IV is the session salt shifted by 16 bits,
// so protecting a zero payload yields the keystream as ciphertext. The segment is 65282 blocks;
// its last three blocks are checked too.
TEST(SrtpContextTest, Rfc3711AppendixB2Keystream) {
  SrtpSessionKeys keys;
  const std::vector<uint8_t> key = Hex("2B7E151628AED2A6ABF7158809CF4F3C");
  const std::vector<uint8_t> salt = Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  std::copy(key.begin(), key.end(), keys.rtp_key);
  std::copy(salt.begin(), salt.end(), keys.rtp_salt);
  absl::StatusOr<std::unique_ptr<SrtpContext>> context =
      SrtpContext::CreateFromSessionKeys(SrtpProfile::kAes128CmSha1_80, keys);
  ASSERT_TRUE(context.ok()) << context.status();

  constexpr size_t kSegment = 1044512;
  std::vector<uint8_t> packet(12 + kSegment + 10, 0);
  packet[0] = 0x80;  // V=2, SSRC 0, SEQ 0.
  size_t out = 0;
  ASSERT_EQ((*context)->ProtectRtp(packet.data(), 12 + kSegment, packet.size(), out),
            SrtpError::kOk);
  EXPECT_EQ(out, packet.size());
  EXPECT_EQ(Bytes(packet.data() + 12, 48), Hex("E03EAD0935C95E80E166B16DD92B4EB4"
                                               "D23513162B02D0F72A43A2FE4A5F97AB"
                                               "41E95B3BB0A2E8DD477901E4FCA894C0"));
  EXPECT_EQ(Bytes(packet.data() + 12 + kSegment - 48, 48), Hex("EC8CDF7398607CB0F2D21675EA9EA1E4"
                                                               "362B7C3C6773516318A077D7FC5073AE"
                                                               "6A2CC3787889374FBEB4C81B17BA6C44"));
}

// RFC 7714 §16 and §17 give the session key and salt directly.
std::unique_ptr<SrtpContext> Rfc7714Context() {
  SrtpSessionKeys keys;
  const std::vector<uint8_t> key = Hex("000102030405060708090a0b0c0d0e0f");
  const std::vector<uint8_t> salt = Hex("517569642070726f2071756f");
  std::copy(key.begin(), key.end(), keys.rtp_key);
  std::copy(key.begin(), key.end(), keys.rtcp_key);
  std::copy(salt.begin(), salt.end(), keys.rtp_salt);
  std::copy(salt.begin(), salt.end(), keys.rtcp_salt);
  absl::StatusOr<std::unique_ptr<SrtpContext>> context =
      SrtpContext::CreateFromSessionKeys(SrtpProfile::kAeadAes128Gcm, keys);
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? std::move(*context) : nullptr;
}

const char kRfc7714Rtp[] =
    "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976"
    "69736120 696e2070 61727465 73207472 6573";
const char kRfc7714Srtp[] =
    "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
    "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce";
// §17's subsections all use this packet (the section's preamble prints a different one).
const char kRfc7714Rtcp[] =
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef";

// RFC 7714 §16.1.1 / §16.1.2.
TEST(SrtpContextTest, Rfc7714Section16AeadAes128GcmRtp) {
  std::unique_ptr<SrtpContext> sender = Rfc7714Context();
  std::unique_ptr<SrtpContext> receiver = Rfc7714Context();
  ASSERT_NE(sender, nullptr);
  ASSERT_NE(receiver, nullptr);
  const std::vector<uint8_t> plain = Hex(kRfc7714Rtp);
  std::vector<uint8_t> buffer(plain.size() + 16);
  std::copy(plain.begin(), plain.end(), buffer.begin());
  size_t out = 0;
  ASSERT_EQ(sender->ProtectRtp(buffer.data(), plain.size(), buffer.size(), out), SrtpError::kOk);
  EXPECT_EQ(Bytes(buffer.data(), out), Hex(kRfc7714Srtp));

  std::vector<uint8_t> wire = Hex(kRfc7714Srtp);
  ASSERT_EQ(receiver->UnprotectRtp(wire.data(), wire.size(), out), SrtpError::kOk);
  EXPECT_EQ(Bytes(wire.data(), out), plain);
  wire = Hex(kRfc7714Srtp);
  EXPECT_EQ(receiver->UnprotectRtp(wire.data(), wire.size(), out), SrtpError::kReplay);
}

// RFC 7714 §17.1: SRTCP encrypted (E = 1), index 0x5d4; and its decryption.
TEST(SrtpContextTest, Rfc7714Section17AeadAes128GcmSrtcp) {
  const std::vector<uint8_t> expected = Hex(
      "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
      "c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872"
      "45d9eade 800005d4");
  std::unique_ptr<SrtpContext> sender = Rfc7714Context();
  std::unique_ptr<SrtpContext> receiver = Rfc7714Context();
  ASSERT_NE(sender, nullptr);
  ASSERT_NE(receiver, nullptr);
  sender->SetNextSrtcpIndex(0x4d617273, 0x5d4);
  const std::vector<uint8_t> plain = Hex(kRfc7714Rtcp);
  std::vector<uint8_t> buffer(plain.size() + 20);
  std::copy(plain.begin(), plain.end(), buffer.begin());
  size_t out = 0;
  ASSERT_EQ(sender->ProtectRtcp(buffer.data(), plain.size(), buffer.size(), out),
            SrtpError::kOk);
  EXPECT_EQ(Bytes(buffer.data(), out), expected);

  std::vector<uint8_t> wire = expected;
  ASSERT_EQ(receiver->UnprotectRtcp(wire.data(), wire.size(), out), SrtpError::kOk);
  EXPECT_EQ(Bytes(wire.data(), out), plain);
  wire = expected;
  EXPECT_EQ(receiver->UnprotectRtcp(wire.data(), wire.size(), out), SrtpError::kReplay);
}

// RFC 7714 §17.3: SRTCP authenticated only (E = 0): the whole packet is AAD.
TEST(SrtpContextTest, Rfc7714Section17AuthenticationOnlySrtcp) {
  std::unique_ptr<SrtpContext> receiver = Rfc7714Context();
  ASSERT_NE(receiver, nullptr);
  const std::vector<uint8_t> wire_original =
      Hex(std::string(kRfc7714Rtcp) + "841dd968 3dd78ec9 2ae58790 125f62b3 000005d4");
  std::vector<uint8_t> wire = wire_original;
  size_t out = 0;
  ASSERT_EQ(receiver->UnprotectRtcp(wire.data(), wire.size(), out), SrtpError::kOk);
  EXPECT_EQ(Bytes(wire.data(), out), Hex(kRfc7714Rtcp));

  // A flipped payload bit fails the tag even though nothing was encrypted.
  wire = wire_original;
  wire[20] ^= 0x01;
  std::unique_ptr<SrtpContext> fresh = Rfc7714Context();
  EXPECT_EQ(fresh->UnprotectRtcp(wire.data(), wire.size(), out), SrtpError::kAuthFailed);
}

// ---------------------------------------------------------------------------------------------
// Index estimation and replay window.

TEST(SrtpReplayTest, IndexEstimationFollowsRollover) {
  int64_t delta = 0;
  // Early in ROC 0 the ROC stays 0 (libsrtp's rule).
  EXPECT_EQ(EstimateSrtpIndex(0, 65535, delta), 65535u);
  EXPECT_EQ(delta, 65535);
  // From SEQ 65535 (ROC 0), SEQ 0 is the next packet of ROC 1.
  EXPECT_EQ(EstimateSrtpIndex(65535, 0, delta), 65536u);
  EXPECT_EQ(delta, 1);
  // From SEQ 3 of ROC 1, SEQ 65534 is a late packet of ROC 0.
  EXPECT_EQ(EstimateSrtpIndex((1u << 16) | 3, 65534, delta), 65534u);
  EXPECT_EQ(delta, -5);
  // A jump of less than half the sequence space stays in the ROC.
  EXPECT_EQ(EstimateSrtpIndex((5ull << 16) | 100, 30000, delta), (5ull << 16) | 30000);
  EXPECT_EQ(delta, 29900);
}

TEST(SrtpReplayTest, WindowAcceptsEachIndexOnceWithinTheWindow) {
  SrtpReplayWindow window;
  auto accept = [&window](uint64_t index) {
    int64_t delta = static_cast<int64_t>(index) - static_cast<int64_t>(window.highest());
    if (!window.Check(index, delta)) return false;
    window.Add(index, delta);
    return true;
  };
  EXPECT_TRUE(accept(10));
  EXPECT_FALSE(accept(10));
  EXPECT_TRUE(accept(5));
  EXPECT_TRUE(accept(2000));
  EXPECT_FALSE(accept(2000 - SrtpReplayWindow::kSize));  // Just outside.
  EXPECT_TRUE(accept(2000 - SrtpReplayWindow::kSize + 1));  // Oldest slot inside.
  EXPECT_FALSE(accept(2000 - SrtpReplayWindow::kSize + 1));
  // Slots reused after the window slides are free again for their new index.
  EXPECT_TRUE(accept(2000 + 5));
  EXPECT_TRUE(accept(2000 + 3));
  EXPECT_FALSE(accept(2000 + 3));
}

// ---------------------------------------------------------------------------------------------
// libsrtp2 (SrtpSession) as an oracle.

struct RtpOptions {
  uint32_t ssrc;
  uint16_t seq;
  size_t csrcs;
  size_t extension_words;  // 0 with `extension` false means no extension.
  bool extension;
  size_t payload;
};

std::vector<uint8_t> MakeRtp(const RtpOptions& o, std::mt19937& rng) {
  std::vector<uint8_t> p;
  p.push_back(static_cast<uint8_t>(0x80 | (o.extension ? 0x10 : 0) | o.csrcs));
  p.push_back(static_cast<uint8_t>(96 | (rng() & 0x80)));
  p.push_back(static_cast<uint8_t>(o.seq >> 8));
  p.push_back(static_cast<uint8_t>(o.seq));
  for (int i = 0; i < 4; ++i) p.push_back(static_cast<uint8_t>(rng()));  // Timestamp.
  for (int i = 3; i >= 0; --i) p.push_back(static_cast<uint8_t>(o.ssrc >> (8 * i)));
  for (size_t i = 0; i < 4 * o.csrcs; ++i) p.push_back(static_cast<uint8_t>(rng()));
  if (o.extension) {
    p.push_back(0xbe);  // RFC 8285 one-byte profile.
    p.push_back(0xde);
    p.push_back(static_cast<uint8_t>(o.extension_words >> 8));
    p.push_back(static_cast<uint8_t>(o.extension_words));
    for (size_t i = 0; i < 4 * o.extension_words; ++i) p.push_back(static_cast<uint8_t>(rng()));
  }
  for (size_t i = 0; i < o.payload; ++i) p.push_back(static_cast<uint8_t>(rng()));
  return p;
}

std::vector<uint8_t> MakeRtcp(uint32_t ssrc, size_t words, std::mt19937& rng) {
  std::vector<uint8_t> p = {0x81, 200, static_cast<uint8_t>((words + 1) >> 8),
                            static_cast<uint8_t>(words + 1)};
  for (int i = 3; i >= 0; --i) p.push_back(static_cast<uint8_t>(ssrc >> (8 * i)));
  for (size_t i = 0; i < 4 * words; ++i) p.push_back(static_cast<uint8_t>(rng()));
  return p;
}

RtpOptions RandomRtp(uint32_t ssrc, uint16_t seq, std::mt19937& rng) {
  RtpOptions o;
  o.ssrc = ssrc;
  o.seq = seq;
  o.csrcs = rng() % 4 == 0 ? rng() % 16 : 0;
  o.extension = rng() % 2 == 0;
  o.extension_words = o.extension ? rng() % 8 : 0;
  o.payload = rng() % 1201;
  return o;
}

class SrtpOracleTest : public ::testing::TestWithParam<SrtpProfile> {
 protected:
  void SetUp() override {
    std::mt19937 rng(static_cast<uint32_t>(GetParam()) + 17);
    const size_t length = SrtpMasterKeySaltLength(GetParam());
    for (size_t i = 0; i < length; ++i) {
      key_a_.push_back(static_cast<uint8_t>(rng()));
      key_b_.push_back(static_cast<uint8_t>(rng()));
    }
    // Ours sends with A and receives B; the libsrtp peer mirrors it. `reference` is libsrtp
    // keyed exactly like ours, for byte-for-byte comparison of what both produce.
    absl::StatusOr<std::unique_ptr<SrtpTransform>> ours =
        SrtpTransform::Create({GetParam(), key_a_, key_b_});
    absl::StatusOr<std::unique_ptr<SrtpSession>> peer =
        SrtpSession::Create({GetParam(), key_b_, key_a_});
    absl::StatusOr<std::unique_ptr<SrtpSession>> reference =
        SrtpSession::Create({GetParam(), key_a_, key_b_});
    ASSERT_TRUE(ours.ok()) << ours.status();
    ASSERT_TRUE(peer.ok()) << peer.status();
    ASSERT_TRUE(reference.ok()) << reference.status();
    ours_ = std::move(*ours);
    peer_ = std::move(*peer);
    reference_ = std::move(*reference);
  }

  // Protects `plain` with ours and with libsrtp keyed alike: the outputs must be identical
  // (SRTP is deterministic per key, SSRC and index), and the libsrtp peer must unprotect ours.
  void SendRtp(const std::vector<uint8_t>& plain) {
    std::vector<uint8_t> a(plain.size() + SrtpTransform::kMaxTrailer);
    std::vector<uint8_t> b = a;
    std::copy(plain.begin(), plain.end(), a.begin());
    std::copy(plain.begin(), plain.end(), b.begin());
    size_t out_a = 0, out_b = 0;
    ASSERT_EQ(ours_->ProtectRtp(a.data(), plain.size(), a.size(), out_a), SrtpError::kOk);
    ASSERT_EQ(reference_->ProtectRtp(b.data(), plain.size(), b.size(), out_b), SrtpError::kOk);
    ASSERT_EQ(out_a, plain.size() + ours_->rtp_trailer());
    ASSERT_EQ(Bytes(a.data(), out_a), Bytes(b.data(), out_b));
    size_t out = 0;
    ASSERT_EQ(peer_->UnprotectRtp(a.data(), out_a, out), SrtpError::kOk);
    ASSERT_EQ(Bytes(a.data(), out), plain);
  }

  // libsrtp peer protects, ours unprotects.
  void ReceiveRtp(const std::vector<uint8_t>& plain) {
    std::vector<uint8_t> a(plain.size() + SrtpTransform::kMaxTrailer);
    std::copy(plain.begin(), plain.end(), a.begin());
    size_t out_a = 0;
    ASSERT_EQ(peer_->ProtectRtp(a.data(), plain.size(), a.size(), out_a), SrtpError::kOk);
    size_t out = 0;
    ASSERT_EQ(ours_->UnprotectRtp(a.data(), out_a, out), SrtpError::kOk);
    ASSERT_EQ(Bytes(a.data(), out), plain);
  }

  std::vector<uint8_t> PeerProtectRtp(const std::vector<uint8_t>& plain) {
    std::vector<uint8_t> a(plain.size() + SrtpTransform::kMaxTrailer);
    std::copy(plain.begin(), plain.end(), a.begin());
    size_t out = 0;
    EXPECT_EQ(peer_->ProtectRtp(a.data(), plain.size(), a.size(), out), SrtpError::kOk);
    a.resize(out);
    return a;
  }

  std::vector<uint8_t> key_a_, key_b_;
  std::unique_ptr<SrtpTransform> ours_;
  std::unique_ptr<SrtpSession> peer_;
  std::unique_ptr<SrtpSession> reference_;
};

TEST_P(SrtpOracleTest, RtpMatchesLibsrtpAcrossSequenceWrap) {
  std::mt19937 rng(7);
  const uint32_t ssrcs[] = {0x11223344, 0xdeadbeef, 1};
  uint16_t seq[] = {65000, 65535 - 3, 0};
  // 1200 packets over three SSRCs: each crosses SEQ 65535 -> 0 (ROC 0 -> 1) at least once.
  for (int i = 0; i < 1200; ++i) {
    const size_t s = static_cast<size_t>(i) % 3;
    SendRtp(MakeRtp(RandomRtp(ssrcs[s], seq[s]++, rng), rng));
    if (HasFatalFailure()) return;
    ReceiveRtp(MakeRtp(RandomRtp(ssrcs[s] ^ 0x5555, static_cast<uint16_t>(seq[s] + 7), rng), rng));
    if (HasFatalFailure()) return;
  }
}

TEST_P(SrtpOracleTest, RtpRolloverWithGapsAndReordering) {
  std::mt19937 rng(11);
  const uint32_t ssrc = 0xcafebabe;
  // Climb through several ROCs in jumps below half the sequence space; deliver each group of
  // four out of order. libsrtp and ours must agree on every index, in both directions.
  uint32_t seq = 100;
  for (int step = 0; step < 60; ++step) {
    seq += 1 + rng() % 20000;
    std::vector<std::vector<uint8_t>> group;
    for (uint32_t k = 0; k < 4; ++k) {
      RtpOptions o = RandomRtp(ssrc, static_cast<uint16_t>(seq + k), rng);
      group.push_back(MakeRtp(o, rng));
    }
    seq += 4;
    std::vector<std::vector<uint8_t>> wire;
    for (const std::vector<uint8_t>& plain : group) wire.push_back(PeerProtectRtp(plain));
    for (int k : {2, 0, 3, 1}) {
      size_t out = 0;
      std::vector<uint8_t> packet = wire[k];
      ASSERT_EQ(ours_->UnprotectRtp(packet.data(), packet.size(), out), SrtpError::kOk)
          << "step " << step << " packet " << k;
      EXPECT_EQ(Bytes(packet.data(), out), group[k]);
    }
    for (int k : {1, 3, 0, 2}) {
      SendRtp(group[k]);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_P(SrtpOracleTest, RtcpMatchesLibsrtpBothWays) {
  std::mt19937 rng(13);
  for (int i = 0; i < 300; ++i) {
    const uint32_t ssrc = 0x1000 + static_cast<uint32_t>(i % 4);
    const std::vector<uint8_t> plain = MakeRtcp(ssrc, rng() % 250, rng);
    std::vector<uint8_t> a(plain.size() + SrtpTransform::kMaxTrailer);
    std::vector<uint8_t> b = a;
    std::copy(plain.begin(), plain.end(), a.begin());
    std::copy(plain.begin(), plain.end(), b.begin());
    size_t out_a = 0, out_b = 0, out = 0;
    ASSERT_EQ(ours_->ProtectRtcp(a.data(), plain.size(), a.size(), out_a), SrtpError::kOk);
    ASSERT_EQ(reference_->ProtectRtcp(b.data(), plain.size(), b.size(), out_b), SrtpError::kOk);
    ASSERT_EQ(out_a, plain.size() + ours_->rtcp_trailer());
    ASSERT_EQ(Bytes(a.data(), out_a), Bytes(b.data(), out_b)) << "packet " << i;
    ASSERT_EQ(peer_->UnprotectRtcp(a.data(), out_a, out), SrtpError::kOk);
    ASSERT_EQ(Bytes(a.data(), out), plain);

    std::copy(plain.begin(), plain.end(), b.begin());
    ASSERT_EQ(peer_->ProtectRtcp(b.data(), plain.size(), b.size(), out_b), SrtpError::kOk);
    ASSERT_EQ(ours_->UnprotectRtcp(b.data(), out_b, out), SrtpError::kOk);
    ASSERT_EQ(Bytes(b.data(), out), plain);
  }
}

TEST_P(SrtpOracleTest, ReplayAndTamperingAreRejected) {
  std::mt19937 rng(19);
  const uint32_t ssrc = 0x0badf00d;
  std::vector<uint8_t> first = PeerProtectRtp(MakeRtp(RandomRtp(ssrc, 500, rng), rng));
  std::vector<uint8_t> packet = first;
  size_t out = 0;
  ASSERT_EQ(ours_->UnprotectRtp(packet.data(), packet.size(), out), SrtpError::kOk);
  packet = first;
  EXPECT_EQ(ours_->UnprotectRtp(packet.data(), packet.size(), out), SrtpError::kReplay);

  // Every single-bit flip (header, payload or tag) of a fresh packet fails authentication.
  RtpOptions options = RandomRtp(ssrc, 501, rng);
  options.csrcs = 2;
  options.extension = true;
  options.extension_words = 2;
  options.payload = 40;
  const std::vector<uint8_t> good = PeerProtectRtp(MakeRtp(options, rng));
  for (size_t bit = 0; bit < good.size() * 8; bit += 3) {
    packet = good;
    const size_t byte = bit / 8;
    packet[byte] ^= static_cast<uint8_t>(1 << (bit % 8));
    const SrtpError error = ours_->UnprotectRtp(packet.data(), packet.size(), out);
    // Flipping CC, X or the extension length (bytes 22-23 after two CSRCs) moves the header
    // end, so a length check may answer first; a flip in SEQ can make the index one accepted
    // before or one too old.
    if (byte == 0 || byte == 22 || byte == 23 || byte == 2 || byte == 3) {
      EXPECT_NE(error, SrtpError::kOk) << "bit " << bit;
    } else {
      EXPECT_EQ(error, SrtpError::kAuthFailed) << "bit " << bit;
    }
  }
  packet = good;
  ASSERT_EQ(ours_->UnprotectRtp(packet.data(), packet.size(), out), SrtpError::kOk);

  // Older than the window: refused by ours as by libsrtp.
  for (uint16_t seq = 502; seq < 502 + SrtpTransform::kReplayWindow + 10; ++seq) {
    packet = PeerProtectRtp(MakeRtp(RandomRtp(ssrc, seq, rng), rng));
    ASSERT_EQ(ours_->UnprotectRtp(packet.data(), packet.size(), out), SrtpError::kOk);
  }
  packet = first;
  EXPECT_EQ(ours_->UnprotectRtp(packet.data(), packet.size(), out), SrtpError::kReplay);

  // SRTCP: replay and a flipped bit.
  const std::vector<uint8_t> rtcp = MakeRtcp(ssrc, 6, rng);
  std::vector<uint8_t> srtcp(rtcp.size() + SrtpTransform::kMaxTrailer);
  std::copy(rtcp.begin(), rtcp.end(), srtcp.begin());
  size_t srtcp_length = 0;
  ASSERT_EQ(peer_->ProtectRtcp(srtcp.data(), rtcp.size(), srtcp.size(), srtcp_length),
            SrtpError::kOk);
  srtcp.resize(srtcp_length);
  packet = srtcp;
  packet[12] ^= 0x40;
  EXPECT_EQ(ours_->UnprotectRtcp(packet.data(), packet.size(), out), SrtpError::kAuthFailed);
  packet = srtcp;
  ASSERT_EQ(ours_->UnprotectRtcp(packet.data(), packet.size(), out), SrtpError::kOk);
  packet = srtcp;
  EXPECT_EQ(ours_->UnprotectRtcp(packet.data(), packet.size(), out), SrtpError::kReplay);
}

TEST_P(SrtpOracleTest, ForgedPacketDoesNotCreateStreamState) {
  std::mt19937 rng(23);
  // A forged packet for an unknown SSRC at SEQ 40000 must not move that SSRC's window: the
  // genuine SEQ 10 afterwards is still accepted.
  std::vector<uint8_t> forged = MakeRtp(RandomRtp(0x77, 40000, rng), rng);
  for (size_t i = 0; i < ours_->rtp_trailer(); ++i) forged.push_back(static_cast<uint8_t>(rng()));
  size_t out = 0;
  EXPECT_EQ(ours_->UnprotectRtp(forged.data(), forged.size(), out), SrtpError::kAuthFailed);
  std::vector<uint8_t> genuine = PeerProtectRtp(MakeRtp(RandomRtp(0x77, 10, rng), rng));
  EXPECT_EQ(ours_->UnprotectRtp(genuine.data(), genuine.size(), out), SrtpError::kOk);
}

TEST_P(SrtpOracleTest, MalformedLengthsAreRejected) {
  std::mt19937 rng(29);
  size_t out = 0;
  // CSRC count beyond the packet.
  std::vector<uint8_t> packet = MakeRtp({1, 1, 0, 0, false, 8}, rng);
  packet[0] |= 0x0f;
  packet.resize(packet.size() + SrtpTransform::kMaxTrailer);
  EXPECT_EQ(ours_->ProtectRtp(packet.data(), 20, packet.size(), out), SrtpError::kBadLength);
  // Extension length beyond the packet.
  packet = MakeRtp({1, 1, 0, 1, true, 0}, rng);
  packet[15] = 200;
  const size_t length = packet.size();
  packet.resize(length + SrtpTransform::kMaxTrailer);
  EXPECT_EQ(ours_->ProtectRtp(packet.data(), length, packet.size(), out), SrtpError::kBadLength);
  // Too little room for the tag.
  packet = MakeRtp({1, 1, 0, 0, false, 8}, rng);
  const std::vector<uint8_t> untouched = packet;
  EXPECT_EQ(ours_->ProtectRtp(packet.data(), packet.size(), packet.size() + 9, out),
            SrtpError::kBadLength);
  EXPECT_EQ(packet, untouched);
  // Unprotect: shorter than header + tag, and a header that overlaps the tag.
  EXPECT_EQ(ours_->UnprotectRtp(packet.data(), 12 + ours_->rtp_trailer() - 1, out),
            SrtpError::kBadLength);
  std::vector<uint8_t> wire = PeerProtectRtp(MakeRtp({1, 1, 3, 0, false, 0}, rng));
  EXPECT_EQ(ours_->UnprotectRtp(wire.data(), wire.size() - 4, out), SrtpError::kBadLength);
  // RTCP shorter than its header + trailer.
  EXPECT_EQ(ours_->UnprotectRtcp(wire.data(), 8 + ours_->rtcp_trailer() - 1, out),
            SrtpError::kBadLength);
  EXPECT_EQ(ours_->ProtectRtcp(wire.data(), 7, wire.size(), out), SrtpError::kBadLength);
}

TEST_P(SrtpOracleTest, PacketPathMakesNoOpenSslAllocation) {
  if (!kCountingOpenSslAllocations) GTEST_SKIP() << "OpenSSL allocated before the test hooks";
  // The hooks do see OpenSSL's allocations: keying a context makes some.
  const long at_start = openssl_allocations.load();
  ASSERT_TRUE(SrtpContext::Create(GetParam(), key_a_).ok());
  EXPECT_GT(openssl_allocations.load(), at_start);

  std::mt19937 rng(31);
  std::vector<uint8_t> rtp = MakeRtp(RandomRtp(42, 1, rng), rng);
  std::vector<uint8_t> rtcp = MakeRtcp(42, 20, rng);
  std::vector<uint8_t> buffer(1500);
  size_t out = 0;
  // First packets of the SSRC create its state (allowed to allocate).
  std::copy(rtp.begin(), rtp.end(), buffer.begin());
  ASSERT_EQ(ours_->ProtectRtp(buffer.data(), rtp.size(), buffer.size(), out), SrtpError::kOk);
  std::copy(rtcp.begin(), rtcp.end(), buffer.begin());
  ASSERT_EQ(ours_->ProtectRtcp(buffer.data(), rtcp.size(), buffer.size(), out), SrtpError::kOk);
  std::vector<std::vector<uint8_t>> wire;
  for (uint16_t seq = 1; seq <= 200; ++seq) {
    rtp[2] = static_cast<uint8_t>(seq >> 8);
    rtp[3] = static_cast<uint8_t>(seq);
    wire.push_back(PeerProtectRtp(rtp));
  }
  ASSERT_EQ(ours_->UnprotectRtp(wire[0].data(), wire[0].size(), out), SrtpError::kOk);

  const long before = openssl_allocations.load();
  for (size_t i = 1; i < wire.size(); ++i) {
    std::copy(rtp.begin(), rtp.end(), buffer.begin());
    ASSERT_EQ(ours_->ProtectRtp(buffer.data(), rtp.size(), buffer.size(), out), SrtpError::kOk);
    std::copy(rtcp.begin(), rtcp.end(), buffer.begin());
    ASSERT_EQ(ours_->ProtectRtcp(buffer.data(), rtcp.size(), buffer.size(), out),
              SrtpError::kOk);
    ASSERT_EQ(ours_->UnprotectRtp(wire[i].data(), wire[i].size(), out), SrtpError::kOk);
  }
  EXPECT_EQ(openssl_allocations.load() - before, 0);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpOracleTest,
                         ::testing::Values(SrtpProfile::kAes128CmSha1_80,
                                           SrtpProfile::kAeadAes128Gcm),
                         [](const ::testing::TestParamInfo<SrtpProfile>& info) {
                           return std::string(info.param == SrtpProfile::kAeadAes128Gcm
                                                  ? "AeadAes128Gcm"
                                                  : "Aes128CmSha1_80");
                         });

}  // namespace
}  // namespace switchyard::transport
