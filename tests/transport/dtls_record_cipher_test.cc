#include "transport/dtls_record_cipher.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::transport {
namespace {

using Suite = DtlsRecordCipher::Suite;

struct Pair {
  DtlsRecordCipher client;
  DtlsRecordCipher server;
};

Pair MakePair(Suite suite, uint8_t flavour = 0) {
  std::array<uint8_t, 48> master{};
  std::array<uint8_t, 32> client_random{};
  std::array<uint8_t, 32> server_random{};
  for (size_t i = 0; i < master.size(); ++i) master[i] = static_cast<uint8_t>(i + flavour);
  for (size_t i = 0; i < 32; ++i) client_random[i] = static_cast<uint8_t>(3 * i);
  for (size_t i = 0; i < 32; ++i) server_random[i] = static_cast<uint8_t>(5 * i);
  auto client = DtlsRecordCipher::Derive(suite, true, master, client_random, server_random, 1);
  auto server = DtlsRecordCipher::Derive(suite, false, master, client_random, server_random, 1);
  EXPECT_TRUE(client.ok() && server.ok());
  return Pair{*std::move(client), *std::move(server)};
}

std::vector<uint8_t> Seal(const DtlsRecordCipher& cipher, uint8_t type, uint64_t seq,
                          std::vector<uint8_t> plain) {
  std::vector<uint8_t> out(DtlsRecordCipher::kHeaderSize + 8 + plain.size() + 16);
  size_t n = cipher.Seal(type, seq, plain, out);
  EXPECT_GT(n, 0u);
  out.resize(n);
  return out;
}

class DtlsRecordCipherTest : public ::testing::TestWithParam<Suite> {};

TEST_P(DtlsRecordCipherTest, SealedByOneSideOpensOnTheOther) {
  Pair pair = MakePair(GetParam());
  const std::vector<uint8_t> alert = {1, 0};
  for (bool from_client : {true, false}) {
    const DtlsRecordCipher& sender = from_client ? pair.client : pair.server;
    const DtlsRecordCipher& receiver = from_client ? pair.server : pair.client;
    std::vector<uint8_t> record = Seal(sender, 21, 7, alert);
    // Header: alert, DTLS 1.2, epoch 1, sequence 7, fragment = [explicit nonce] + 2 + tag.
    EXPECT_EQ(record[0], 21);
    EXPECT_EQ(record[1], 0xfe);
    EXPECT_EQ(record[2], 0xfd);
    EXPECT_EQ(record[4], 1);
    EXPECT_EQ(record[10], 7);
    const size_t explicit_nonce = GetParam() == Suite::kChacha20Poly1305 ? 0 : 8;
    EXPECT_EQ(record.size(), DtlsRecordCipher::kHeaderSize + explicit_nonce + 2 + 16);

    std::span<const uint8_t> rest;
    auto parsed = DtlsRecordCipher::NextRecord(record, &rest);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_TRUE(rest.empty());
    EXPECT_EQ(parsed->epoch, 1);
    EXPECT_EQ(parsed->sequence, 7u);
    std::array<uint8_t, 16> plain{};
    std::optional<size_t> n = receiver.Open(*parsed, plain);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, 2u);
    EXPECT_EQ(plain[0], 1);
    EXPECT_EQ(plain[1], 0);
    // A side cannot open its own records: the directions have different keys.
    EXPECT_FALSE(sender.Open(*parsed, plain).has_value());
  }
}

TEST_P(DtlsRecordCipherTest, AnyAlteredByteIsRejected) {
  Pair pair = MakePair(GetParam());
  const std::vector<uint8_t> record = Seal(pair.client, 21, 3, {2, 40});
  std::array<uint8_t, 16> plain{};
  // Type, epoch, sequence and length are authenticated through the additional data; the
  // fragment through the tag. (The version bytes are fixed in the AAD, so they are ignored.)
  for (size_t i = 0; i < record.size(); ++i) {
    if (i == 1 || i == 2) continue;
    std::vector<uint8_t> altered = record;
    altered[i] ^= 0x01;
    auto parsed = DtlsRecordCipher::NextRecord(altered, nullptr);
    if (!parsed.has_value()) continue;  // The length byte changed: no longer one record.
    EXPECT_FALSE(pair.server.Open(*parsed, plain).has_value()) << "byte " << i;
  }
  // Keys from another handshake do not open it either.
  Pair other = MakePair(GetParam(), 1);
  EXPECT_FALSE(other.server.Open(*DtlsRecordCipher::NextRecord(record, nullptr), plain));
}

INSTANTIATE_TEST_SUITE_P(AeadSuites, DtlsRecordCipherTest,
                         ::testing::Values(Suite::kAes128Gcm, Suite::kAes256Gcm,
                                           Suite::kChacha20Poly1305));

TEST(DtlsRecordCipherParseTest, SplitsRecordsAndRefusesTruncation) {
  Pair pair = MakePair(Suite::kAes128Gcm);
  std::vector<uint8_t> datagram = Seal(pair.client, 21, 1, {1, 0});
  const std::vector<uint8_t> second = Seal(pair.client, 23, 2, {9, 9, 9});
  datagram.insert(datagram.end(), second.begin(), second.end());

  std::span<const uint8_t> rest = datagram;
  auto first = DtlsRecordCipher::NextRecord(rest, &rest);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->content_type, 21);
  auto next = DtlsRecordCipher::NextRecord(rest, &rest);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->content_type, 23);
  EXPECT_EQ(next->sequence, 2u);
  EXPECT_FALSE(DtlsRecordCipher::NextRecord(rest, &rest).has_value());

  for (size_t cut = 0; cut < second.size(); ++cut) {
    EXPECT_FALSE(DtlsRecordCipher::NextRecord(std::span(second).first(cut), nullptr)) << cut;
  }
}

TEST(DtlsRecordCipherParseTest, RefusesOtherEpochsShortFragmentsAndSmallBuffers) {
  Pair pair = MakePair(Suite::kAes128Gcm);
  std::vector<uint8_t> record = Seal(pair.client, 21, 1, {1, 0});
  auto parsed = DtlsRecordCipher::NextRecord(record, nullptr);
  std::array<uint8_t, 16> plain{};
  ASSERT_TRUE(pair.server.Open(*parsed, plain).has_value());
  EXPECT_FALSE(pair.server.Open(*parsed, std::span(plain).first(1)).has_value());
  DtlsRecordCipher::Record wrong_epoch = *parsed;
  wrong_epoch.epoch = 0;
  EXPECT_FALSE(pair.server.Open(wrong_epoch, plain).has_value());
  DtlsRecordCipher::Record short_fragment = *parsed;
  short_fragment.fragment = parsed->fragment.first(20);
  EXPECT_FALSE(pair.server.Open(short_fragment, plain).has_value());
  // Sequence numbers are 48 bits; Seal refuses more, and a too small output.
  std::array<uint8_t, 64> out{};
  const uint8_t alert[2] = {1, 0};
  EXPECT_EQ(pair.client.Seal(21, DtlsRecordCipher::kMaxSequence + 1, alert, out), 0u);
  EXPECT_EQ(pair.client.Seal(21, 1, alert, std::span(out).first(20)), 0u);
}

TEST(DtlsRecordCipherParseTest, DeriveValidatesSizes) {
  std::array<uint8_t, 47> short_master{};
  std::array<uint8_t, 32> random{};
  EXPECT_FALSE(
      DtlsRecordCipher::Derive(Suite::kAes128Gcm, true, short_master, random, random, 1).ok());
  EXPECT_FALSE(DtlsRecordCipher::FromFinishedHandshake(nullptr, 1).ok());
}

}  // namespace
}  // namespace switchyard::transport
