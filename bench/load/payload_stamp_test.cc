#include "bench/load/payload_stamp.h"

#include <vector>

#include "gtest/gtest.h"

namespace switchyard::bench {
namespace {

TEST(PayloadStampTest, RoundTripsAtTheEndOfAPayload) {
  PayloadStamp stamp;
  stamp.source = StampSource(41, /*audio=*/false);
  stamp.sequence = 0xDEADBEEF;
  stamp.send_time_ns = 0x0123456789ABCDEFull;
  stamp.encoding = 2;
  stamp.keyframe = true;
  std::vector<uint8_t> payload(100, 0x55);
  ASSERT_TRUE(WritePayloadStamp(std::span<uint8_t>(payload).last(kPayloadStampSize), stamp));
  auto read = ReadPayloadStamp(payload);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, stamp);
  // The bytes before the stamp are untouched.
  for (size_t i = 0; i < payload.size() - kPayloadStampSize; ++i) EXPECT_EQ(payload[i], 0x55);
}

TEST(PayloadStampTest, AudioFlagAndSource) {
  PayloadStamp stamp;
  stamp.source = StampSource(3, /*audio=*/true);
  stamp.audio = true;
  EXPECT_EQ(stamp.source, 7u);
  std::vector<uint8_t> payload(kPayloadStampSize);
  ASSERT_TRUE(WritePayloadStamp(payload, stamp));
  auto read = ReadPayloadStamp(payload);
  ASSERT_TRUE(read.has_value());
  EXPECT_TRUE(read->audio);
  EXPECT_FALSE(read->keyframe);
  EXPECT_EQ(read->encoding, 0);
}

TEST(PayloadStampTest, RejectsShortWrongMagicAndWrongVersion) {
  std::vector<uint8_t> payload(kPayloadStampSize);
  EXPECT_FALSE(WritePayloadStamp(std::span<uint8_t>(payload).first(kPayloadStampSize - 1), {}));
  PayloadStamp bad_encoding;
  bad_encoding.encoding = 16;
  EXPECT_FALSE(WritePayloadStamp(payload, bad_encoding));

  ASSERT_TRUE(WritePayloadStamp(payload, {}));
  EXPECT_TRUE(ReadPayloadStamp(payload).has_value());
  EXPECT_FALSE(ReadPayloadStamp(std::span<const uint8_t>(payload).last(kPayloadStampSize - 1)));
  auto wrong_magic = payload;
  wrong_magic[0] ^= 0xFF;
  EXPECT_FALSE(ReadPayloadStamp(wrong_magic).has_value());
  auto wrong_version = payload;
  wrong_version[2] = kPayloadStampVersion + 1;
  EXPECT_FALSE(ReadPayloadStamp(wrong_version).has_value());
}

TEST(PayloadStampTest, PatchRewritesOnlyTheSendTime) {
  PayloadStamp stamp;
  stamp.source = 9;
  stamp.sequence = 77;
  stamp.encoding = 1;
  stamp.send_time_ns = 1;
  std::vector<uint8_t> packet(60, 0xAA);
  ASSERT_TRUE(WritePayloadStamp(std::span<uint8_t>(packet).last(kPayloadStampSize), stamp));
  ASSERT_TRUE(PatchStampSendTime(packet, 987654321012345ull));
  auto read = ReadPayloadStamp(packet);
  ASSERT_TRUE(read.has_value());
  stamp.send_time_ns = 987654321012345ull;
  EXPECT_EQ(*read, stamp);
  for (size_t i = 0; i < packet.size() - kPayloadStampSize; ++i) EXPECT_EQ(packet[i], 0xAA);
  std::vector<uint8_t> tiny(kPayloadStampSize - 1);
  EXPECT_FALSE(PatchStampSendTime(tiny, 5));
}

}  // namespace
}  // namespace switchyard::bench
