#include "rtc/vp8_payload_descriptor.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rtc/test_util.h"

namespace switchyard::rtc {
namespace {

using ::switchyard::rtc::testing::Bytes;
using ::testing::ElementsAre;

struct DescriptorCase {
  const char* name;
  std::vector<uint8_t> payload;
  Vp8PayloadDescriptor expected;
  bool keyframe;
};

Vp8PayloadDescriptor Expect(std::initializer_list<void (*)(Vp8PayloadDescriptor&)> edits) {
  Vp8PayloadDescriptor d;
  for (auto edit : edits) edit(d);
  return d;
}

class Vp8DescriptorTest : public ::testing::TestWithParam<DescriptorCase> {};

TEST_P(Vp8DescriptorTest, ParsesEveryField) {
  const DescriptorCase& c = GetParam();
  auto d = Vp8PayloadDescriptor::Parse(c.payload);
  ASSERT_TRUE(d);
  const Vp8PayloadDescriptor& e = c.expected;
  EXPECT_EQ(d->extended, e.extended);
  EXPECT_EQ(d->non_reference, e.non_reference);
  EXPECT_EQ(d->start_of_partition, e.start_of_partition);
  EXPECT_EQ(d->partition_index, e.partition_index);
  EXPECT_EQ(d->has_picture_id, e.has_picture_id);
  EXPECT_EQ(d->picture_id_15bit, e.picture_id_15bit);
  EXPECT_EQ(d->picture_id, e.picture_id);
  EXPECT_EQ(d->has_tl0_pic_idx, e.has_tl0_pic_idx);
  EXPECT_EQ(d->tl0_pic_idx, e.tl0_pic_idx);
  EXPECT_EQ(d->has_temporal_id, e.has_temporal_id);
  EXPECT_EQ(d->temporal_id, e.temporal_id);
  EXPECT_EQ(d->layer_sync, e.layer_sync);
  EXPECT_EQ(d->has_key_idx, e.has_key_idx);
  EXPECT_EQ(d->key_idx, e.key_idx);
  EXPECT_EQ(d->size, e.size);
  EXPECT_EQ(IsVp8Keyframe(c.payload), c.keyframe);
  // Every strict prefix that cuts the descriptor or drops the whole VP8 payload fails.
  for (size_t length = 0; length <= d->size; ++length) {
    EXPECT_FALSE(Vp8PayloadDescriptor::Parse(std::span<const uint8_t>(c.payload).first(length)))
        << length;
    EXPECT_FALSE(IsVp8Keyframe(std::span<const uint8_t>(c.payload).first(length)));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7741, Vp8DescriptorTest,
    ::testing::Values(
        // Minimal descriptor, S=1 PID=0, key frame payload header (P bit 0).
        DescriptorCase{"MinimalKeyframe", Bytes({0x10, 0x9C, 0x01, 0x2A}),
                       Expect({[](auto& d) { d.start_of_partition = true; }}), true},
        // Same with P bit set in the VP8 payload header: inter frame.
        DescriptorCase{"MinimalInterFrame", Bytes({0x10, 0x31, 0x01}),
                       Expect({[](auto& d) { d.start_of_partition = true; }}), false},
        // N=1, S=0, PID=3: continuation packet.
        DescriptorCase{"NonReferenceContinuation", Bytes({0x23, 0x00}),
                       Expect({[](auto& d) {
                         d.non_reference = true;
                         d.partition_index = 3;
                       }}),
                       false},
        // X=1, I=1 with 7-bit picture id 0x55.
        DescriptorCase{"SevenBitPictureId", Bytes({0x90, 0x80, 0x55, 0x00}),
                       Expect({[](auto& d) {
                         d.extended = d.start_of_partition = d.has_picture_id = true;
                         d.picture_id = 0x55;
                         d.picture_id_offset = 2;
                         d.size = 3;
                       }}),
                       true},
        // RFC 7741 §4.2 full extension: I (15-bit id 0x1234), L, T (TID 2, Y), K (KEYIDX 5).
        DescriptorCase{"AllExtensions", Bytes({0x90, 0xF0, 0x92, 0x34, 0x07, 0xA5, 0x00}),
                       Expect({[](auto& d) {
                         d.extended = d.start_of_partition = d.has_picture_id = true;
                         d.picture_id_15bit = d.has_tl0_pic_idx = d.has_temporal_id = true;
                         d.layer_sync = d.has_key_idx = true;
                         d.picture_id = 0x1234;
                         d.picture_id_offset = 2;
                         d.tl0_pic_idx = 7;
                         d.tl0_pic_idx_offset = 4;
                         d.temporal_id = 2;
                         d.key_idx = 5;
                         d.size = 6;
                       }}),
                       true},
        // K without T: the shared byte is present; TID/Y stay unset.
        DescriptorCase{"KeyIdxOnly", Bytes({0x80, 0x10, 0xFF, 0x00}),
                       Expect({[](auto& d) {
                         d.extended = d.has_key_idx = true;
                         d.key_idx = 0x1F;
                         d.size = 3;
                       }}),
                       false}),
    [](const ::testing::TestParamInfo<DescriptorCase>& info) { return info.param.name; });

TEST(Vp8DescriptorRewriteTest, RewritesPictureIdAndTl0InPlace) {
  auto payload = Bytes({0x90, 0xE0, 0x92, 0x34, 0x07, 0x40, 0x00});
  auto d = Vp8PayloadDescriptor::Parse(payload);
  ASSERT_TRUE(d);
  ASSERT_TRUE(RewriteVp8PictureId(payload, *d, 0x7ABC));
  ASSERT_TRUE(RewriteVp8Tl0PicIdx(payload, *d, 200));
  auto rewritten = Vp8PayloadDescriptor::Parse(payload);
  ASSERT_TRUE(rewritten);
  EXPECT_TRUE(rewritten->picture_id_15bit);
  EXPECT_EQ(rewritten->picture_id, 0x7ABC);
  EXPECT_EQ(rewritten->tl0_pic_idx, 200);
  EXPECT_EQ(rewritten->temporal_id, 1);
  EXPECT_THAT(payload, ElementsAre(0x90, 0xE0, 0xFA, 0xBC, 200, 0x40, 0x00));

  // 7-bit field keeps its width.
  auto short_id = Bytes({0x90, 0x80, 0x01, 0x00});
  d = Vp8PayloadDescriptor::Parse(short_id);
  ASSERT_TRUE(d);
  ASSERT_TRUE(RewriteVp8PictureId(short_id, *d, 0x1FF));
  EXPECT_THAT(short_id, ElementsAre(0x90, 0x80, 0x7F, 0x00));
  EXPECT_FALSE(RewriteVp8Tl0PicIdx(short_id, *d, 1));  // no L field

  // Absent picture id / buffer too short.
  auto minimal = Bytes({0x10, 0x00});
  d = Vp8PayloadDescriptor::Parse(minimal);
  ASSERT_TRUE(d);
  EXPECT_FALSE(RewriteVp8PictureId(minimal, *d, 1));
  d = Vp8PayloadDescriptor::Parse(payload);
  EXPECT_FALSE(RewriteVp8PictureId(std::span<uint8_t>(payload).first(3), *d, 1));
}

}  // namespace
}  // namespace switchyard::rtc

namespace switchyard::rtc {
namespace {

TEST(ParseVp8KeyframeSizeTest, ReadsDimensionsOfKeyframesOnly) {
  // Descriptor: X=1, S=1 | I=1 | M=1 picture id 0x1234; then frame tag (key frame, show),
  // start code, width 1280 (scale 0), height 720 (scale 1 in the top bits: ignored).
  const std::vector<uint8_t> keyframe = {0x90, 0x80, 0x92, 0x34, 0x50, 0x2a, 0x01,
                                         0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x42};
  auto size = ParseVp8KeyframeSize(keyframe);
  ASSERT_TRUE(size);
  EXPECT_EQ(size->width, 1280);
  EXPECT_EQ(size->height, 720);

  std::vector<uint8_t> delta = keyframe;
  delta[4] |= 0x01;  // inverse key frame flag set: an interframe
  EXPECT_FALSE(ParseVp8KeyframeSize(delta));
  std::vector<uint8_t> bad_start = keyframe;
  bad_start[8] = 0x00;
  EXPECT_FALSE(ParseVp8KeyframeSize(bad_start));
  for (size_t n = 0; n < keyframe.size(); ++n) {
    EXPECT_FALSE(ParseVp8KeyframeSize(std::span<const uint8_t>(keyframe.data(), n))) << n;
  }
}

}  // namespace
}  // namespace switchyard::rtc
