#include "sfu/payload_type_mapping.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::sfu {
namespace {

using ::testing::ElementsAre;

rtc::Codec Codec(uint8_t pt, std::string name, uint32_t clock_rate, std::string fmtp = "",
                 uint8_t channels = 0) {
  rtc::Codec codec;
  codec.payload_type = pt;
  codec.name = std::move(name);
  codec.clock_rate = clock_rate;
  codec.channels = channels;
  codec.fmtp = std::move(fmtp);
  return codec;
}

std::vector<uint8_t> PayloadTypes(const std::vector<rtc::Codec>& codecs) {
  std::vector<uint8_t> out;
  for (const auto& codec : codecs) out.push_back(codec.payload_type);
  return out;
}

TEST(PayloadTypeMappingTest, MatchesOnBitstreamFormatNotOnPayloadTypeOrLevel) {
  const auto video = rtc::MediaKind::kVideo;
  EXPECT_TRUE(CodecsMatch(Codec(96, "VP8", 90000), Codec(120, "vp8", 90000), video));
  EXPECT_FALSE(CodecsMatch(Codec(96, "VP8", 90000), Codec(98, "VP9", 90000), video));
  EXPECT_TRUE(CodecsMatch(Codec(98, "VP9", 90000), Codec(99, "VP9", 90000, "profile-id=0"), video));
  EXPECT_FALSE(CodecsMatch(Codec(98, "VP9", 90000), Codec(99, "VP9", 90000, "profile-id=2"), video));
  // H.264: profile and packetization-mode must agree, the level may differ.
  const rtc::Codec cb31 =
      Codec(108, "H264", 90000, "packetization-mode=1;profile-level-id=42e01f");
  EXPECT_TRUE(CodecsMatch(
      cb31, Codec(102, "H264", 90000, "packetization-mode=1;profile-level-id=42e034"), video));
  EXPECT_FALSE(CodecsMatch(
      cb31, Codec(102, "H264", 90000, "packetization-mode=0;profile-level-id=42e01f"), video));
  EXPECT_FALSE(CodecsMatch(
      cb31, Codec(102, "H264", 90000, "packetization-mode=1;profile-level-id=4d001f"), video));
  EXPECT_TRUE(CodecsMatch(Codec(111, "opus", 48000, "", 2), Codec(109, "OPUS", 48000, "", 2),
                          rtc::MediaKind::kAudio));
  EXPECT_FALSE(CodecsMatch(Codec(97, "rtx", 90000, "apt=96"), Codec(121, "rtx", 90000, "apt=120"),
                           video));
}

TEST(PayloadTypeMappingTest, KeepsTheSubscribersNumberingAndPairsRtx) {
  const std::vector<rtc::Codec> published = {Codec(96, "VP8", 90000),
                                             Codec(97, "rtx", 90000, "apt=96")};
  const std::vector<rtc::Codec> offered = {
      Codec(102, "H264", 90000, "packetization-mode=1;profile-level-id=42e01f"),
      Codec(103, "rtx", 90000, "apt=102"), Codec(120, "VP8", 90000),
      Codec(121, "rtx", 90000, "apt=120")};
  const auto kept = CodecsMatchingPublisher(offered, published, rtc::MediaKind::kVideo);
  EXPECT_THAT(PayloadTypes(kept), ElementsAre(120, 121));

  const PayloadTypeMap map = MapPayloadTypes(published, offered, rtc::MediaKind::kVideo, true);
  EXPECT_TRUE(map.enabled);
  EXPECT_TRUE(HasAnyMedia(map));
  EXPECT_EQ(map.media[96], 120);
  EXPECT_EQ(map.rtx[96], 121);
  EXPECT_EQ(map.media[97], PayloadTypeMap::kNone);  // RTX is never forwarded as media
  EXPECT_EQ(map.media[102], PayloadTypeMap::kNone);

  const PayloadTypeMap no_rtx = MapPayloadTypes(published, offered, rtc::MediaKind::kVideo, false);
  EXPECT_EQ(no_rtx.media[96], 120);
  EXPECT_EQ(no_rtx.rtx[96], PayloadTypeMap::kNone);

  const std::vector<rtc::Codec> h264_only = {offered[0], offered[1]};
  EXPECT_FALSE(HasAnyMedia(MapPayloadTypes(published, h264_only, rtc::MediaKind::kVideo, true)));
  EXPECT_TRUE(CodecsMatchingPublisher(h264_only, published, rtc::MediaKind::kVideo).empty());
}

}  // namespace
}  // namespace switchyard::sfu
