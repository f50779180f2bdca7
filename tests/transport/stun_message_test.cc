#include "transport/stun_message.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/byte_io.h"

namespace switchyard::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// RFC 5769 test vectors. All three use this password.
constexpr std::string_view kRfc5769Password = "VOkJxbRl1RmTxUk/WvJxBt";
constexpr StunTransactionId kRfc5769Tid = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                           0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

// §2.1 Sample Request: SOFTWARE "STUN test client", PRIORITY, ICE-CONTROLLED, USERNAME
// "evtj:h6vY" (padded with spaces), MESSAGE-INTEGRITY, FINGERPRINT.
const std::vector<uint8_t> kSampleRequest = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

// §2.2 Sample IPv4 Response: SOFTWARE "test vector", XOR-MAPPED-ADDRESS 192.0.2.1:32853.
const std::vector<uint8_t> kSampleIpv4Response = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

// §2.3 Sample IPv6 Response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const std::vector<uint8_t> kSampleIpv6Response = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

SocketAddress Ipv6TestAddress() {
  return *SocketAddress::Parse("2001:db8:1234:5678:11:2233:4455:6677", 32853);
}

TEST(StunMessageTest, Crc32MatchesCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(StunCrc32({reinterpret_cast<const uint8_t*>(check.data()), check.size()}), 0xCBF43926u);
}

TEST(StunMessageTest, MessageTypeInterleavesClassAndMethodBits) {
  EXPECT_EQ(StunMessageType(StunClass::kRequest, StunMethod::kBinding), 0x0001);
  EXPECT_EQ(StunMessageType(StunClass::kIndication, StunMethod::kBinding), 0x0011);
  EXPECT_EQ(StunMessageType(StunClass::kSuccessResponse, StunMethod::kBinding), 0x0101);
  EXPECT_EQ(StunMessageType(StunClass::kErrorResponse, StunMethod::kBinding), 0x0111);
  // TURN Allocate (0x003) error response is 0x0113 (RFC 8656 §18).
  EXPECT_EQ(StunMessageType(StunClass::kErrorResponse, static_cast<StunMethod>(0x003)), 0x0113);
  EXPECT_EQ(StunMessageType(StunClass::kRequest, static_cast<StunMethod>(0xFFF)), 0x3EEF);
}

TEST(StunMessageTest, Rfc5769SampleRequestParsesAndVerifies) {
  absl::StatusOr<StunMessage> msg = StunMessage::Parse(kSampleRequest);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->message_class(), StunClass::kRequest);
  EXPECT_EQ(msg->method(), StunMethod::kBinding);
  EXPECT_EQ(msg->transaction_id(), kRfc5769Tid);
  EXPECT_EQ(msg->software(), "STUN test client");
  EXPECT_EQ(msg->username(), "evtj:h6vY");
  EXPECT_EQ(msg->priority(), 0x6e0001ffu);
  EXPECT_EQ(msg->ice_controlled(), 0x932ff9b151263b36u);
  EXPECT_FALSE(msg->ice_controlling());
  EXPECT_FALSE(msg->use_candidate());
  EXPECT_FALSE(msg->xor_mapped_address());
  EXPECT_TRUE(msg->unknown_comprehension_required().empty());
  EXPECT_TRUE(msg->has_message_integrity());
  EXPECT_TRUE(msg->has_fingerprint());
  EXPECT_TRUE(msg->VerifyMessageIntegrity(kRfc5769Password));
  EXPECT_FALSE(msg->VerifyMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBT"));
  EXPECT_FALSE(msg->VerifyMessageIntegrity(""));
}

TEST(StunMessageTest, Rfc5769Ipv4ResponseParsesAndVerifies) {
  absl::StatusOr<StunMessage> msg = StunMessage::Parse(kSampleIpv4Response);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(msg->method(), StunMethod::kBinding);
  EXPECT_EQ(msg->software(), "test vector");
  ASSERT_TRUE(msg->xor_mapped_address());
  EXPECT_EQ(*msg->xor_mapped_address(), *SocketAddress::Parse("192.0.2.1", 32853));
  EXPECT_TRUE(msg->VerifyMessageIntegrity(kRfc5769Password));
  EXPECT_TRUE(msg->has_fingerprint());
}

TEST(StunMessageTest, Rfc5769Ipv6ResponseParsesAndVerifies) {
  absl::StatusOr<StunMessage> msg = StunMessage::Parse(kSampleIpv6Response);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->message_class(), StunClass::kSuccessResponse);
  ASSERT_TRUE(msg->xor_mapped_address());
  EXPECT_EQ(*msg->xor_mapped_address(), Ipv6TestAddress());
  EXPECT_TRUE(msg->VerifyMessageIntegrity(kRfc5769Password));
  EXPECT_TRUE(msg->has_fingerprint());
}

// Our MESSAGE-INTEGRITY and FINGERPRINT computation reproduces the RFC bytes exactly when fed
// each vector's attributes up to (excluding) MESSAGE-INTEGRITY.
TEST(StunMessageTest, AppendIntegrityAndFingerprintReproducesRfc5769Vectors) {
  for (const std::vector<uint8_t>* vector :
       {&kSampleRequest, &kSampleIpv4Response, &kSampleIpv6Response}) {
    const size_t prefix = vector->size() - 24 - 8;
    std::vector<uint8_t> buffer(vector->begin(), vector->begin() + prefix);
    buffer.resize(vector->size() + 16, 0xEE);  // spare room must stay untouched
    const size_t n = AppendStunIntegrityAndFingerprint(buffer, prefix, kRfc5769Password, true);
    ASSERT_EQ(n, vector->size());
    buffer.resize(n);
    EXPECT_EQ(buffer, *vector);
  }
}

TEST(StunMessageTest, AppendIntegrityAndFingerprintRejectsBadInput) {
  std::vector<uint8_t> buffer(kSampleRequest.begin(), kSampleRequest.begin() + 76);
  EXPECT_EQ(AppendStunIntegrityAndFingerprint(buffer, 76, kRfc5769Password, true), 0u) << "no room";
  buffer.resize(200);
  EXPECT_EQ(AppendStunIntegrityAndFingerprint(buffer, 75, kRfc5769Password, true), 0u)
      << "attributes not 4-aligned";
  EXPECT_EQ(AppendStunIntegrityAndFingerprint(buffer, 19, std::nullopt, true), 0u);
  EXPECT_EQ(AppendStunIntegrityAndFingerprint(buffer, 76, "", true), 0u) << "empty key";
}

TEST(StunMessageTest, BuilderEncodesXorMappedAddressLikeRfc5769) {
  for (const auto& [vector, address] :
       {std::pair{&kSampleIpv4Response, *SocketAddress::Parse("192.0.2.1", 32853)},
        std::pair{&kSampleIpv6Response, Ipv6TestAddress()}}) {
    StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kBinding, kRfc5769Tid);
    builder.AddSoftware("test vector").AddXorMappedAddress(address);
    absl::StatusOr<std::vector<uint8_t>> bytes = builder.Serialize(kRfc5769Password, true);
    ASSERT_TRUE(bytes.ok());
    ASSERT_EQ(bytes->size(), vector->size());
    absl::StatusOr<StunMessage> ours = StunMessage::Parse(*bytes);
    absl::StatusOr<StunMessage> rfc = StunMessage::Parse(*vector);
    ASSERT_TRUE(ours.ok() && rfc.ok());
    auto ours_xma = ours->FindAttribute(kStunAttrXorMappedAddress);
    auto rfc_xma = rfc->FindAttribute(kStunAttrXorMappedAddress);
    ASSERT_TRUE(ours_xma && rfc_xma);
    EXPECT_THAT(*ours_xma, ElementsAreArray(*rfc_xma));
    EXPECT_TRUE(ours->VerifyMessageIntegrity(kRfc5769Password));
    // The only difference from the RFC bytes is SOFTWARE's padding (RFC: space, ours: zero),
    // which integrity and fingerprint cover.
    std::vector<uint8_t> expected = *vector;
    expected[35] = 0;
    const size_t before_integrity = vector->size() - 32;
    EXPECT_TRUE(std::equal(bytes->begin(), bytes->begin() + before_integrity, expected.begin()));
  }
}

TEST(StunMessageTest, TruncationAtEveryLengthIsRejected) {
  for (const std::vector<uint8_t>* vector :
       {&kSampleRequest, &kSampleIpv4Response, &kSampleIpv6Response}) {
    for (size_t n = 0; n < vector->size(); ++n) {
      std::span<const uint8_t> truncated(vector->data(), n);
      EXPECT_FALSE(StunMessage::Parse(truncated).ok()) << "length " << n;
    }
  }
}

TEST(StunMessageTest, TruncationWithFixedUpLengthSucceedsOnlyOnAttributeBoundaries) {
  // Even with the header length patched to match, cutting inside an attribute must fail.
  // Attribute boundaries of the sample request: SOFTWARE ends at 40, PRIORITY 48,
  // ICE-CONTROLLED 60, USERNAME 76, MESSAGE-INTEGRITY 100.
  const std::set<size_t> boundaries = {40, 48, 60, 76, 100};
  for (size_t n = 24; n < kSampleRequest.size(); n += 4) {
    std::vector<uint8_t> cut(kSampleRequest.begin(), kSampleRequest.begin() + n);
    StoreBe16(&cut[2], static_cast<uint16_t>(n - 20));
    absl::StatusOr<StunMessage> msg = StunMessage::Parse(cut);
    ASSERT_EQ(msg.ok(), boundaries.count(n) == 1) << "length " << n;
    if (msg.ok()) {
      EXPECT_FALSE(msg->has_fingerprint());
      // MESSAGE-INTEGRITY does not cover FINGERPRINT, so it still verifies without it.
      EXPECT_EQ(msg->VerifyMessageIntegrity(kRfc5769Password), n == 100) << "length " << n;
    }
  }
}

TEST(StunMessageTest, HeaderValidation) {
  struct Case {
    const char* name;
    size_t offset;
    uint8_t value;
  };
  const Case cases[] = {
      {"top bits set", 0, 0x40},    {"top bit set", 0, 0x80},
      {"bad cookie", 4, 0x22},      {"length not multiple of 4", 3, 0x57},
      {"length too long", 3, 0x5C}, {"length too short", 3, 0x54},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = kSampleRequest;
    bytes[c.offset] = c.value;
    absl::StatusOr<StunMessage> msg = StunMessage::Parse(bytes);
    EXPECT_EQ(msg.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
  }
}

TEST(StunMessageTest, BadFingerprintIsDataLoss) {
  std::vector<uint8_t> bytes = kSampleRequest;
  bytes.back() ^= 1;
  EXPECT_EQ(StunMessage::Parse(bytes).status().code(), absl::StatusCode::kDataLoss);
  // Corrupting covered content (the username) breaks the fingerprint too.
  bytes = kSampleRequest;
  bytes[68] = 'X';
  EXPECT_EQ(StunMessage::Parse(bytes).status().code(), absl::StatusCode::kDataLoss);
}

// Raw messages for structural checks: header + the given attribute bytes, length patched.
std::vector<uint8_t> RawMessage(std::vector<uint8_t> attributes) {
  std::vector<uint8_t> bytes = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  bytes.insert(bytes.end(), kRfc5769Tid.begin(), kRfc5769Tid.end());
  bytes.insert(bytes.end(), attributes.begin(), attributes.end());
  StoreBe16(&bytes[2], static_cast<uint16_t>(bytes.size() - 20));
  return bytes;
}

TEST(StunMessageTest, MalformedAttributesAreRejected) {
  struct Case {
    const char* name;
    std::vector<uint8_t> attributes;
  };
  std::vector<uint8_t> mi_then_software = {0x00, 0x08, 0x00, 0x14};
  mi_then_software.resize(24, 0);
  mi_then_software.insert(mi_then_software.end(), {0x80, 0x22, 0x00, 0x04, 'a', 'b', 'c', 'd'});
  const Case cases[] = {
      {"attribute overruns", {0x80, 0x22, 0x00, 0x08, 'a', 'b', 'c', 'd'}},
      {"padding missing", {0x80, 0x22, 0x00, 0x05, 'a', 'b', 'c', 'd'}},
      {"PRIORITY wrong size", {0x00, 0x24, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8}},
      {"USE-CANDIDATE with value", {0x00, 0x25, 0x00, 0x04, 1, 2, 3, 4}},
      {"ICE-CONTROLLING wrong size", {0x80, 0x2A, 0x00, 0x04, 1, 2, 3, 4}},
      {"MESSAGE-INTEGRITY wrong size", {0x00, 0x08, 0x00, 0x04, 1, 2, 3, 4}},
      {"XOR-MAPPED-ADDRESS bad family", {0x00, 0x20, 0x00, 0x08, 0, 3, 0, 0, 0, 0, 0, 0}},
      {"XOR-MAPPED-ADDRESS v4 size mismatch",
       {0x00, 0x20, 0x00, 0x0C, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"ERROR-CODE class 2", {0x00, 0x09, 0x00, 0x04, 0, 0, 2, 0}},
      {"ERROR-CODE number 100", {0x00, 0x09, 0x00, 0x04, 0, 0, 4, 100}},
      {"UNKNOWN-ATTRIBUTES odd size", {0x00, 0x0A, 0x00, 0x03, 0, 1, 0, 0}},
      {"MESSAGE-INTEGRITY followed by SOFTWARE", mi_then_software},
  };
  for (const Case& c : cases) {
    absl::StatusOr<StunMessage> msg = StunMessage::Parse(RawMessage(c.attributes));
    EXPECT_FALSE(msg.ok()) << c.name;
  }
}

TEST(StunMessageTest, FingerprintMustBeLast) {
  StunMessageBuilder builder(StunClass::kRequest, StunMethod::kBinding, kRfc5769Tid);
  builder.AddUsername("a:b");
  std::vector<uint8_t> bytes = *builder.Serialize(std::nullopt, true);
  ASSERT_TRUE(StunMessage::Parse(bytes).ok());
  bytes.insert(bytes.end(), {0x80, 0x22, 0x00, 0x00});
  StoreBe16(&bytes[2], static_cast<uint16_t>(bytes.size() - 20));
  // The fingerprint no longer matches either, but the structural error is found first or the
  // CRC is: both reject.
  EXPECT_FALSE(StunMessage::Parse(bytes).ok());
}

TEST(StunMessageTest, RecordsUnknownComprehensionRequiredOnly) {
  const std::vector<uint8_t> bytes = RawMessage({
      0x00, 0x77, 0x00, 0x00,              // unknown, comprehension-required
      0xC0, 0x57, 0x00, 0x04, 0, 1, 0, 5,  // GOOG-NETWORK-INFO: optional
      0x80, 0x99, 0x00, 0x00,              // unknown, optional
      0x00, 0x77, 0x00, 0x00,              // repeated: listed once
      0x00, 0x1C, 0x00, 0x00,              // MESSAGE-INTEGRITY-SHA256: not supported
  });
  absl::StatusOr<StunMessage> msg = StunMessage::Parse(bytes);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_THAT(msg->unknown_comprehension_required(), ElementsAre(0x0077, 0x001C));
  auto network_info = msg->FindAttribute(kStunAttrGoogNetworkInfo);
  ASSERT_TRUE(network_info);
  EXPECT_THAT(*network_info, ElementsAre(0, 1, 0, 5));
  EXPECT_FALSE(msg->FindAttribute(kStunAttrUsername));
}

TEST(StunMessageTest, FirstOccurrenceWins) {
  StunMessageBuilder builder(StunClass::kRequest, StunMethod::kBinding, kRfc5769Tid);
  builder.AddUsername("first:x").AddUsername("second:y").AddPriority(1).AddPriority(2);
  absl::StatusOr<StunMessage> msg = StunMessage::Parse(*builder.Serialize(std::nullopt, false));
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(msg->username(), "first:x");
  EXPECT_EQ(msg->priority(), 1u);
}

TEST(StunMessageTest, RequestRoundTrip) {
  const StunTransactionId tid = GenerateStunTransactionId();
  StunMessageBuilder builder(StunClass::kRequest, StunMethod::kBinding, tid);
  builder.AddUsername("abcd:efghi")
      .AddPriority(0x7effffff)
      .AddUseCandidate()
      .AddIceControlling(0x0123456789abcdefull)
      .AddSoftware("switchyard");
  ASSERT_TRUE(builder.ok());
  absl::StatusOr<std::vector<uint8_t>> bytes = builder.Serialize("pass-word-123", true);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), builder.SerializedSize(true, true));
  absl::StatusOr<StunMessage> msg = StunMessage::Parse(*bytes);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->transaction_id(), tid);
  EXPECT_EQ(msg->message_class(), StunClass::kRequest);
  EXPECT_EQ(msg->username(), "abcd:efghi");
  EXPECT_EQ(msg->priority(), 0x7effffffu);
  EXPECT_TRUE(msg->use_candidate());
  EXPECT_EQ(msg->ice_controlling(), 0x0123456789abcdefull);
  EXPECT_FALSE(msg->ice_controlled());
  EXPECT_EQ(msg->software(), "switchyard");
  EXPECT_TRUE(msg->has_fingerprint());
  EXPECT_TRUE(msg->VerifyMessageIntegrity("pass-word-123"));
  EXPECT_FALSE(msg->VerifyMessageIntegrity("pass-word-124"));
  // Username padding bytes are zero.
  EXPECT_EQ((*bytes)[20 + 4 + 10], 0);
  EXPECT_EQ((*bytes)[20 + 4 + 11], 0);
}

TEST(StunMessageTest, ErrorResponseRoundTrip) {
  StunMessageBuilder builder(StunClass::kErrorResponse, StunMethod::kBinding, kRfc5769Tid);
  const std::array<uint16_t, 3> unknown = {0x0077, 0x0078, 0x0079};
  builder.AddErrorCode(420, "Unknown Attribute").AddUnknownAttributes(unknown);
  absl::StatusOr<StunMessage> msg = StunMessage::Parse(*builder.Serialize("k", true));
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->message_class(), StunClass::kErrorResponse);
  ASSERT_TRUE(msg->error_code());
  EXPECT_EQ(msg->error_code()->code, 420);
  EXPECT_EQ(msg->error_code()->reason, "Unknown Attribute");
  EXPECT_THAT(msg->unknown_attributes(), ElementsAre(0x0077, 0x0078, 0x0079));
  EXPECT_TRUE(msg->VerifyMessageIntegrity("k"));
}

TEST(StunMessageTest, XorMappedAddressRoundTripBothFamilies) {
  for (const SocketAddress& address : {*SocketAddress::Parse("203.0.113.7", 1),
                                       *SocketAddress::Parse("::1", 65535), Ipv6TestAddress()}) {
    const StunTransactionId tid = GenerateStunTransactionId();
    StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kBinding, tid);
    builder.AddXorMappedAddress(address);
    absl::StatusOr<StunMessage> msg = StunMessage::Parse(*builder.Serialize(std::nullopt, true));
    ASSERT_TRUE(msg.ok());
    ASSERT_TRUE(msg->xor_mapped_address());
    EXPECT_EQ(*msg->xor_mapped_address(), address);
  }
}

TEST(StunMessageTest, ArbitraryMethodRoundTrips) {
  StunMessageBuilder builder(StunClass::kIndication, static_cast<StunMethod>(0xABC), kRfc5769Tid);
  absl::StatusOr<StunMessage> msg = StunMessage::Parse(*builder.Serialize(std::nullopt, false));
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(msg->method(), static_cast<StunMethod>(0xABC));
  EXPECT_EQ(msg->message_class(), StunClass::kIndication);
  EXPECT_FALSE(msg->has_fingerprint());
  EXPECT_FALSE(msg->has_message_integrity());
}

TEST(StunMessageTest, SerializeToFailsCleanlyWhenBufferTooSmall) {
  StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kBinding, kRfc5769Tid);
  builder.AddXorMappedAddress(Ipv6TestAddress());
  const size_t needed = builder.SerializedSize(true, true);
  std::vector<uint8_t> out(needed - 1);
  EXPECT_EQ(builder.SerializeTo(out, "key", true), 0u);
  out.resize(needed);
  EXPECT_EQ(builder.SerializeTo(out, "key", true), needed);
}

TEST(StunMessageTest, BuilderRejectsUnrepresentableInput) {
  StunMessageBuilder bad_code(StunClass::kErrorResponse, StunMethod::kBinding, kRfc5769Tid);
  bad_code.AddErrorCode(200, "OK?");
  EXPECT_FALSE(bad_code.ok());
  EXPECT_FALSE(bad_code.Serialize(std::nullopt, true).ok());

  StunMessageBuilder too_big(StunClass::kRequest, StunMethod::kBinding, kRfc5769Tid);
  const std::vector<uint8_t> big(0x10000, 'x');
  too_big.AddAttribute(0x8123, big);
  EXPECT_FALSE(too_big.ok());

  StunMessageBuilder empty_key(StunClass::kRequest, StunMethod::kBinding, kRfc5769Tid);
  EXPECT_FALSE(empty_key.Serialize("", true).ok());
}

TEST(StunMessageTest, LargeMessageIsOwnedAndVerifiable) {
  // Bigger than the inline buffer: exercises the heap copy.
  StunMessageBuilder builder(StunClass::kRequest, StunMethod::kBinding, kRfc5769Tid);
  builder.AddSoftware(std::string(1000, 's')).AddUsername("u:v");
  std::vector<uint8_t> bytes = *builder.Serialize("key", true);
  absl::StatusOr<StunMessage> msg = StunMessage::Parse(bytes);
  std::fill(bytes.begin(), bytes.end(), 0);  // the message must not alias the input
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(msg->software()->size(), 1000u);
  EXPECT_EQ(msg->username(), "u:v");
  EXPECT_TRUE(msg->VerifyMessageIntegrity("key"));
}

}  // namespace
}  // namespace switchyard::transport
