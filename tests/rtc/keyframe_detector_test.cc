#include "rtc/keyframe_detector.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "tests/rtc/test_util.h"

namespace switchyard::rtc {
namespace {

using ::switchyard::rtc::testing::Bytes;
TEST(VideoCodecTest, NamesAreCaseInsensitive) {
  EXPECT_EQ(VideoCodecFromName("VP8"), VideoCodec::kVp8);
  EXPECT_EQ(VideoCodecFromName("vp9"), VideoCodec::kVp9);
  EXPECT_EQ(VideoCodecFromName("h264"), VideoCodec::kH264);
  EXPECT_EQ(VideoCodecFromName("Av1"), VideoCodec::kAv1);
  EXPECT_FALSE(VideoCodecFromName("H265"));
  EXPECT_FALSE(VideoCodecFromName("VP"));
  EXPECT_FALSE(VideoCodecFromName(""));
  EXPECT_EQ(VideoCodecName(VideoCodec::kH264), "H264");
}

struct KeyframeCase {
  const char* name;
  VideoCodec codec;
  std::vector<uint8_t> payload;
  bool keyframe;
};

class KeyframeTest : public ::testing::TestWithParam<KeyframeCase> {};

TEST_P(KeyframeTest, Detects) {
  const KeyframeCase& c = GetParam();
  EXPECT_EQ(IsKeyframe(c.codec, c.payload), c.keyframe);
  // No prefix may read out of bounds (ASan catches that) and the empty payload is never key.
  for (size_t length = 0; length < c.payload.size(); ++length) {
    IsKeyframe(c.codec, std::span<const uint8_t>(c.payload).first(length));
  }
  EXPECT_FALSE(IsKeyframe(c.codec, {}));
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, KeyframeTest,
    ::testing::Values(
        // H.264 STAP-A (type 24) carrying SPS (0x67), PPS (0x68) and an IDR slice (0x65).
        KeyframeCase{"H264StapASpsPpsIdr", VideoCodec::kH264,
                     Bytes({0x78, 0x00, 0x04, 0x67, 0x42, 0xC0, 0x1F, 0x00, 0x03, 0x68, 0xCE,
                            0x3C, 0x00, 0x03, 0x65, 0x88, 0x84}),
                     true},
        KeyframeCase{"H264StapAOnlyPps", VideoCodec::kH264,
                     Bytes({0x78, 0x00, 0x02, 0x68, 0xCE, 0x00, 0x02, 0x06, 0x05}), false},
        KeyframeCase{"H264StapASizePastEnd", VideoCodec::kH264,
                     Bytes({0x78, 0x00, 0x04, 0x67, 0x42, 0xC0, 0x1F, 0x00, 0x09, 0x65}), false},
        KeyframeCase{"H264StapBWithIdr", VideoCodec::kH264,
                     Bytes({0x79, 0x12, 0x34, 0x00, 0x02, 0x65, 0x88}), true},
        KeyframeCase{"H264SingleIdr", VideoCodec::kH264, Bytes({0x65, 0x88, 0x80}), true},
        KeyframeCase{"H264SingleSps", VideoCodec::kH264, Bytes({0x67, 0x42}), true},
        KeyframeCase{"H264SingleNonIdr", VideoCodec::kH264, Bytes({0x41, 0x9A}), false},
        KeyframeCase{"H264FuAStartIdr", VideoCodec::kH264, Bytes({0x7C, 0x85, 0x88}), true},
        KeyframeCase{"H264FuAMiddleIdr", VideoCodec::kH264, Bytes({0x7C, 0x05, 0x88}), false},
        KeyframeCase{"H264FuAStartNonIdr", VideoCodec::kH264, Bytes({0x7C, 0x81, 0x9A}), false},
        // VP9: B=1, P=0, no layer indices.
        KeyframeCase{"Vp9KeyNoLayers", VideoCodec::kVp9, Bytes({0x88, 0x01, 0x00}), true},
        KeyframeCase{"Vp9InterPredicted", VideoCodec::kVp9, Bytes({0xC8, 0x01, 0x00}), false},
        KeyframeCase{"Vp9NotFrameStart", VideoCodec::kVp9, Bytes({0x80, 0x01, 0x00}), false},
        // I + L, 15-bit picture id, layer byte SID=0 / SID=1, then TL0PICIDX.
        KeyframeCase{"Vp9KeySid0", VideoCodec::kVp9,
                     Bytes({0xA8, 0x81, 0x02, 0x00, 0x05, 0x00}), true},
        KeyframeCase{"Vp9KeySid1", VideoCodec::kVp9,
                     Bytes({0xA8, 0x81, 0x02, 0x02, 0x05, 0x00}), false},
        KeyframeCase{"Vp8Key", VideoCodec::kVp8, Bytes({0x10, 0x9C, 0x01}), true},
        KeyframeCase{"Vp8Delta", VideoCodec::kVp8, Bytes({0x10, 0x9D, 0x01}), false},
        // AV1 aggregation header: N=1 (0x08), W=1.
        KeyframeCase{"Av1NewSequence", VideoCodec::kAv1, Bytes({0x18, 0x0A, 0x0B}), true},
        KeyframeCase{"Av1NotNewSequence", VideoCodec::kAv1, Bytes({0x10, 0x32, 0x00}), false},
        KeyframeCase{"Av1ContinuationCannotStart", VideoCodec::kAv1, Bytes({0x88, 0x32}),
                     false}),
    [](const ::testing::TestParamInfo<KeyframeCase>& info) { return info.param.name; });

}  // namespace
}  // namespace switchyard::rtc
