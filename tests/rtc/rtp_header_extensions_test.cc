#include "rtc/rtp_header_extensions.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "tests/rtc/test_util.h"

namespace switchyard::rtc {
namespace {

using ::switchyard::rtc::testing::Bytes;
TEST(RtpExtensionUriTest, RoundTripsEveryType) {
  for (size_t i = 0; i < kRtpExtensionTypeCount; ++i) {
    const auto type = static_cast<RtpExtensionType>(i);
    const std::string_view uri = RtpExtensionUri(type);
    ASSERT_FALSE(uri.empty()) << i;
    EXPECT_EQ(RtpExtensionTypeFromUri(uri), type) << uri;
  }
  EXPECT_EQ(RtpExtensionUri(RtpExtensionType::kMid), "urn:ietf:params:rtp-hdrext:sdes:mid");
  EXPECT_EQ(RtpExtensionUri(RtpExtensionType::kTransportWideCc),
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
  EXPECT_EQ(RtpExtensionUri(RtpExtensionType::kVideoOrientation), "urn:3gpp:video-orientation");
  EXPECT_FALSE(RtpExtensionTypeFromUri("urn:ietf:params:rtp-hdrext:SDES:mid"));
  EXPECT_FALSE(RtpExtensionTypeFromUri(""));
}

TEST(RtpExtensionMapTest, RegistersAndLooksUp) {
  RtpExtensionMap map;
  EXPECT_FALSE(map.TypeOf(1));
  EXPECT_EQ(map.IdOf(RtpExtensionType::kMid), 0);
  ASSERT_TRUE(map.RegisterUri(4, "urn:ietf:params:rtp-hdrext:sdes:mid").ok());
  ASSERT_TRUE(map.RegisterUri(200, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id").ok());
  // Unknown URIs are skipped, not errors.
  ASSERT_TRUE(map.RegisterUri(7, "urn:example:unknown").ok());
  EXPECT_FALSE(map.TypeOf(7));
  EXPECT_EQ(map.TypeOf(4), RtpExtensionType::kMid);
  EXPECT_EQ(map.TypeOf(200), RtpExtensionType::kRid);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kMid), 4);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kRid), 200);
  EXPECT_TRUE(map.IsRegistered(RtpExtensionType::kRid));
  EXPECT_FALSE(map.IsRegistered(RtpExtensionType::kAudioLevel));

  // Same pair again is fine; conflicts are not.
  EXPECT_TRUE(map.Register(4, RtpExtensionType::kMid).ok());
  EXPECT_EQ(map.Register(4, RtpExtensionType::kAudioLevel).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(map.Register(5, RtpExtensionType::kMid).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(map.Register(0, RtpExtensionType::kAudioLevel).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(map.IsRegistered(RtpExtensionType::kAudioLevel));

  map.Clear();
  EXPECT_FALSE(map.TypeOf(4));
  EXPECT_EQ(map.IdOf(RtpExtensionType::kMid), 0);
}

TEST(RtpExtensionParsersTest, SdesText) {
  EXPECT_EQ(ParseSdesExtension(Bytes({'a', 'b'})), "ab");
  EXPECT_EQ(ParseSdesExtension(Bytes({'1', 0, 0, 0})), "1");  // NUL-padded
  EXPECT_FALSE(ParseSdesExtension({}));
  EXPECT_FALSE(ParseSdesExtension(Bytes({0, 'a'})));
}

TEST(RtpExtensionParsersTest, FixedSizeValues) {
  auto level = ParseAudioLevel(Bytes({0x80 | 42}));
  ASSERT_TRUE(level);
  EXPECT_TRUE(level->voice_activity);
  EXPECT_EQ(level->level, 42);
  level = ParseAudioLevel(Bytes({127}));
  ASSERT_TRUE(level);
  EXPECT_FALSE(level->voice_activity);
  EXPECT_EQ(level->level, 127);
  EXPECT_FALSE(ParseAudioLevel({}));

  EXPECT_EQ(ParseAbsSendTime(Bytes({0x12, 0x34, 0x56})), 0x123456u);
  EXPECT_FALSE(ParseAbsSendTime(Bytes({0x12, 0x34})));
  EXPECT_FALSE(ParseAbsSendTime(Bytes({0x12, 0x34, 0x56, 0x78})));

  EXPECT_EQ(ParseTransportSequenceNumber(Bytes({0xAB, 0xCD})), 0xABCD);
  EXPECT_FALSE(ParseTransportSequenceNumber(Bytes({0xAB})));

  EXPECT_EQ(ParseVideoOrientationDegrees(Bytes({0x00})), 0);
  EXPECT_EQ(ParseVideoOrientationDegrees(Bytes({0x01})), 90);
  EXPECT_EQ(ParseVideoOrientationDegrees(Bytes({0x0E})), 180);  // C and F set, R=2
  EXPECT_EQ(ParseVideoOrientationDegrees(Bytes({0x03})), 270);
}

TEST(RtpExtensionReadersTest, ReadsNegotiatedExtensionsFromPacket) {
  // one-byte: id1 mid "a1", id2 rid "h", id3 audio level, id4 abs-send-time, id5 tseq.
  const auto packet = Bytes({0x90, 0x6F, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,  //
                             0xBE, 0xDE, 0x00, 0x04,                     //
                             0x11, 'a', '1',                             //
                             0x20, 'h',                                  //
                             0x30, 0x80 | 30,                            //
                             0x42, 0x01, 0x02, 0x03,                     //
                             0x51, 0x00, 0x2A,                           //
                             0x00, 0x00,                                 //
                             0xFF});
  auto view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  RtpExtensionMap map;
  EXPECT_FALSE(ReadMid(*view, map));  // nothing negotiated yet
  ASSERT_TRUE(map.Register(1, RtpExtensionType::kMid).ok());
  ASSERT_TRUE(map.Register(2, RtpExtensionType::kRid).ok());
  ASSERT_TRUE(map.Register(3, RtpExtensionType::kAudioLevel).ok());
  ASSERT_TRUE(map.Register(4, RtpExtensionType::kAbsSendTime).ok());
  ASSERT_TRUE(map.Register(5, RtpExtensionType::kTransportWideCc).ok());
  ASSERT_TRUE(map.Register(6, RtpExtensionType::kRepairedRid).ok());
  EXPECT_EQ(ReadMid(*view, map), "a1");
  EXPECT_EQ(ReadRid(*view, map), "h");
  EXPECT_FALSE(ReadRepairedRid(*view, map));  // negotiated but absent
  auto level = ReadAudioLevel(*view, map);
  ASSERT_TRUE(level);
  EXPECT_TRUE(level->voice_activity);
  EXPECT_EQ(level->level, 30);
  EXPECT_EQ(ReadAbsSendTime(*view, map), 0x010203u);
  EXPECT_EQ(ReadTransportSequenceNumber(*view, map), 42);
}

}  // namespace
}  // namespace switchyard::rtc
