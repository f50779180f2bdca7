#include "rtc/rtp_packet.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rtc/test_util.h"

namespace switchyard::rtc {
namespace {

using ::switchyard::rtc::testing::Bytes;
using ::switchyard::rtc::testing::Data;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(RtpPacketViewTest, ParsesFixedHeaderFields) {
  const auto packet = Bytes({0x80, 0xE0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03,
                             0x04, 0xAA, 0xBB});
  auto view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->marker());
  EXPECT_EQ(view->payload_type(), 96);
  EXPECT_EQ(view->sequence_number(), 0x1234);
  EXPECT_EQ(view->timestamp(), 0xDEADBEEFu);
  EXPECT_EQ(view->ssrc(), 0x01020304u);
  EXPECT_EQ(view->csrc_count(), 0u);
  EXPECT_FALSE(view->has_extension());
  EXPECT_EQ(view->extension_profile(), 0);
  EXPECT_EQ(view->extension_format(), RtpExtensionFormat::kNone);
  EXPECT_EQ(view->header_size(), 12u);
  EXPECT_EQ(view->padding_size(), 0u);
  EXPECT_THAT(Data(view->payload()), ElementsAre(0xAA, 0xBB));
  EXPECT_EQ(view->data().size(), packet.size());
  EXPECT_THAT(Data(view->FindExtension(1)), IsEmpty());
}

TEST(RtpPacketViewTest, ParsesCsrcs) {
  const auto packet = Bytes({0x82, 0x6F, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2, 0x11, 0x11, 0x11,
                             0x11, 0x22, 0x22, 0x22, 0x22, 0x99});
  auto view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  EXPECT_FALSE(view->marker());
  EXPECT_EQ(view->payload_type(), 111);
  ASSERT_EQ(view->csrc_count(), 2u);
  EXPECT_EQ(view->csrc(0), 0x11111111u);
  EXPECT_EQ(view->csrc(1), 0x22222222u);
  EXPECT_EQ(view->header_size(), 20u);
  EXPECT_THAT(Data(view->payload()), ElementsAre(0x99));
}

TEST(RtpPacketViewTest, RejectsBadVersionAndShortPackets) {
  auto packet = Bytes({0x40, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2});
  EXPECT_FALSE(RtpPacketView::Parse(packet));
  packet[0] = 0x80;
  EXPECT_TRUE(RtpPacketView::Parse(packet));
  EXPECT_FALSE(RtpPacketView::Parse(std::span<const uint8_t>(packet).first(11)));
  EXPECT_FALSE(RtpPacketView::Parse({}));
}

// One-byte form (RFC 8285 §4.2): id1 len1, a padding byte, id2 len2, two padding bytes.
const std::vector<uint8_t> kOneBytePacket = Bytes({
    0x90, 0x60, 0x00, 0x07, 0, 0, 0, 9, 0xCA, 0xFE, 0xBA, 0xBE,  // X=1
    0xBE, 0xDE, 0x00, 0x02,                                       // profile, 2 words
    0x10, 0xAA, 0x00, 0x21, 0xBB, 0xCC, 0x00, 0x00,               // elements
    0x55, 0x66, 0x77,                                             // payload
});

TEST(RtpPacketViewTest, FindsOneByteExtensions) {
  auto view = RtpPacketView::Parse(kOneBytePacket);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->has_extension());
  EXPECT_EQ(view->extension_profile(), 0xBEDE);
  EXPECT_EQ(view->extension_format(), RtpExtensionFormat::kOneByte);
  EXPECT_EQ(view->header_size(), 24u);
  EXPECT_EQ(view->extension_block().size(), 8u);
  EXPECT_THAT(Data(view->FindExtension(1)), ElementsAre(0xAA));
  EXPECT_THAT(Data(view->FindExtension(2)), ElementsAre(0xBB, 0xCC));
  EXPECT_THAT(Data(view->FindExtension(3)), IsEmpty());
  EXPECT_FALSE(view->FindExtensionElement(3));
  EXPECT_FALSE(view->FindExtensionElement(0));
  EXPECT_THAT(Data(view->payload()), ElementsAre(0x55, 0x66, 0x77));

  std::vector<int> ids;
  view->ForEachExtension([&](const RtpExtensionElement& e) { ids.push_back(e.id); });
  EXPECT_THAT(ids, ElementsAre(1, 2));

  ids.clear();
  view->ForEachExtension([&](const RtpExtensionElement& e) {
    ids.push_back(e.id);
    return false;  // stop after the first
  });
  EXPECT_THAT(ids, ElementsAre(1));
}

TEST(RtpPacketViewTest, OneByteId15StopsParsing) {
  const auto packet = Bytes({0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE, 0x00, 0x02,
                             0x10, 0xAA, 0xF0, 0x00, 0x20, 0xBB, 0x00, 0x00});
  auto view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  EXPECT_THAT(Data(view->FindExtension(1)), ElementsAre(0xAA));
  EXPECT_FALSE(view->FindExtensionElement(2));
}

TEST(RtpPacketViewTest, ElementOverrunningBlockIsNotReturned) {
  // id1 claims 4 data bytes but only 3 remain in the 1-word block.
  const auto packet = Bytes({0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE, 0x00, 0x01,
                             0x13, 0xAA, 0xBB, 0xCC});
  auto view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  EXPECT_FALSE(view->FindExtensionElement(1));
  int count = 0;
  view->ForEachExtension([&](const RtpExtensionElement&) { ++count; });
  EXPECT_EQ(count, 0);
}

TEST(RtpPacketViewTest, FindsTwoByteExtensions) {
  const auto packet = Bytes({
      0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,  //
      0x10, 0x03, 0x00, 0x02,                    // two-byte profile with appbits 3
      0x01, 0x00,                                // id 1, zero length
      0x00,                                      // padding
      0x14, 0x03, 0x61, 0x62, 0x63,              // id 20 "abc"
      0x09,                                      // payload
  });
  auto view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->extension_profile(), 0x1003);
  EXPECT_EQ(view->extension_format(), RtpExtensionFormat::kTwoByte);
  auto empty = view->FindExtensionElement(1);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_THAT(Data(view->FindExtension(20)), ElementsAre('a', 'b', 'c'));
  EXPECT_THAT(Data(view->payload()), ElementsAre(0x09));
}

TEST(RtpPacketViewTest, UnknownProfileIsOpaque) {
  const auto packet = Bytes({0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x12, 0x34, 0x00, 0x01,
                             0x10, 0xAA, 0x00, 0x00, 0x42});
  auto view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->extension_format(), RtpExtensionFormat::kUnknown);
  EXPECT_FALSE(view->FindExtensionElement(1));
  EXPECT_THAT(Data(view->payload()), ElementsAre(0x42));
}

TEST(RtpPacketViewTest, Padding) {
  auto packet = Bytes({0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x01, 0x02, 0x00, 0x00, 0x03});
  auto view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->padding_size(), 3u);
  EXPECT_THAT(Data(view->payload()), ElementsAre(0x01, 0x02));

  packet.back() = 5;  // all of the bytes after the header: empty payload
  view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  EXPECT_THAT(Data(view->payload()), IsEmpty());

  packet.back() = 6;  // reaches into the header
  EXPECT_FALSE(RtpPacketView::Parse(packet));
  packet.back() = 0;  // the count includes itself, so 0 is impossible
  EXPECT_FALSE(RtpPacketView::Parse(packet));
}

TEST(RtpPacketViewTest, TruncationNeverCrashesAndHeaderIsRequired) {
  // CSRC + extension header: any cut inside the header must fail, any cut after it succeeds
  // with a shorter payload.
  const auto packet = Bytes({0x91, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7, 0xBE, 0xDE,
                             0x00, 0x01, 0x10, 0xAA, 0x00, 0x00, 0x01, 0x02, 0x03});
  const size_t header = 24;
  for (size_t length = 0; length <= packet.size(); ++length) {
    auto view = RtpPacketView::Parse(std::span<const uint8_t>(packet).first(length));
    if (length < header) {
      EXPECT_FALSE(view) << length;
    } else {
      ASSERT_TRUE(view) << length;
      EXPECT_EQ(view->payload().size(), length - header);
    }
  }
  // With padding, truncating loses the count byte's meaning; it must at least be consistent.
  auto padded = packet;
  padded[0] |= 0x20;
  padded.back() = 2;
  for (size_t length = 0; length <= padded.size(); ++length) {
    auto view = RtpPacketView::Parse(std::span<const uint8_t>(padded).first(length));
    if (view) {
      EXPECT_LE(view->header_size() + view->padding_size(), length);
    }
  }
}

}  // namespace
}  // namespace switchyard::rtc
