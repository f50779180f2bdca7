#include "bench/load/synthetic_stream.h"

#include <map>
#include <optional>
#include <vector>

#include "bench/load/payload_stamp.h"
#include "gtest/gtest.h"
#include "rtc/codec_capabilities.h"
#include "rtc/rtp_header_extensions.h"
#include "rtc/rtp_packet.h"
#include "rtc/vp8_payload_descriptor.h"

namespace switchyard::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct CapturedPacket {
  size_t encoding = 0;
  std::vector<uint8_t> bytes;
  transport::Timestamp at;
};

rtc::RtpExtensionMap VideoExtensions(const VideoSourceConfig& config) {
  rtc::RtpExtensionMap map;
  EXPECT_TRUE(map.RegisterUri(config.mid_id, rtc::kExtMid).ok());
  EXPECT_TRUE(map.RegisterUri(config.rid_id, rtc::kExtRid).ok());
  return map;
}

// Polls `source` every millisecond from `start` for `length`, capturing every packet.
std::vector<CapturedPacket> RunVideo(VideoSource& source, transport::Duration length,
                                     transport::FakeClock& clock) {
  std::vector<CapturedPacket> packets;
  const transport::Timestamp end = clock.Now() + length;
  while (clock.Now() < end) {
    source.Poll(clock.Now(), [&](size_t encoding, std::span<uint8_t> packet) {
      packets.push_back({encoding, {packet.begin(), packet.end()}, clock.Now()});
    });
    clock.Advance(milliseconds(1));
  }
  return packets;
}

VideoSourceConfig TestVideoConfig() {
  VideoSourceConfig config;
  config.encodings = DefaultSimulcastEncodings();
  for (size_t i = 0; i < config.encodings.size(); ++i) {
    config.encodings[i].ssrc = 1000 + static_cast<uint32_t>(i);
  }
  config.source = StampSource(5, false);
  return config;
}

TEST(VideoSourceTest, BitratesFrameRateAndPacketSizes) {
  transport::FakeClock clock;
  VideoSourceConfig config = TestVideoConfig();
  VideoSource source(config);
  source.Start(clock.Now());
  // Two whole keyframe intervals (frames 0..179): each interval's bytes average to the rate.
  const auto packets = RunVideo(source, milliseconds(5990), clock);
  for (size_t e = 0; e < config.encodings.size(); ++e) {
    const auto& stats = source.stats(e);
    EXPECT_EQ(stats.frames, 180u) << e;
    EXPECT_EQ(stats.keyframes, 2u) << e;
    const double bits_per_second = stats.payload_bytes * 8.0 / 6.0;
    const double target = static_cast<double>(config.encodings[e].bitrate_bps);
    EXPECT_NEAR(bits_per_second, target, target * 0.08) << e;
    EXPECT_LE(stats.max_packet_size, config.max_packet_size) << e;
  }
  // The top layer fills packets up to the limit; keyframes are the big frames.
  EXPECT_GT(source.stats(2).max_packet_size, config.max_packet_size - 40);
  for (const CapturedPacket& p : packets) {
    EXPECT_LE(p.bytes.size(), config.max_packet_size);
    EXPECT_GE(p.bytes.size(), 12u + kPayloadStampSize);
  }
}

TEST(VideoSourceTest, PacketsParseLikeChromiumSimulcast) {
  transport::FakeClock clock;
  VideoSourceConfig config = TestVideoConfig();
  VideoSource source(config);
  source.Start(clock.Now());
  const auto packets = RunVideo(source, seconds(4), clock);
  const rtc::RtpExtensionMap extensions = VideoExtensions(config);

  struct PerEncoding {
    std::optional<uint16_t> picture_id;
    std::optional<uint16_t> sequence_number;
    uint32_t next_stamp_sequence = 0;
    std::optional<uint32_t> frame_timestamp;
    bool in_frame = false;
    int keyframes = 0;
    std::vector<int> tids;
    std::optional<uint8_t> tl0;
  };
  std::map<size_t, PerEncoding> seen;
  for (const CapturedPacket& p : packets) {
    auto view = rtc::RtpPacketView::Parse(p.bytes);
    ASSERT_TRUE(view.has_value());
    PerEncoding& e = seen[p.encoding];
    const VideoEncodingConfig& enc = config.encodings[p.encoding];
    EXPECT_EQ(view->ssrc(), enc.ssrc);
    EXPECT_EQ(view->payload_type(), config.payload_type);
    EXPECT_EQ(rtc::ReadMid(*view, extensions), config.mid);
    EXPECT_EQ(rtc::ReadRid(*view, extensions), enc.rid);
    if (e.sequence_number) {
      EXPECT_EQ(view->sequence_number(), uint16_t(*e.sequence_number + 1));
    }
    e.sequence_number = view->sequence_number();

    auto descriptor = rtc::Vp8PayloadDescriptor::Parse(view->payload());
    ASSERT_TRUE(descriptor.has_value());
    EXPECT_TRUE(descriptor->has_picture_id);
    EXPECT_TRUE(descriptor->picture_id_15bit);
    EXPECT_TRUE(descriptor->has_tl0_pic_idx);
    EXPECT_TRUE(descriptor->has_temporal_id);
    if (descriptor->is_frame_start()) {
      EXPECT_FALSE(e.in_frame) << "previous frame had no marker";
      e.in_frame = true;
      if (e.picture_id) {
        EXPECT_EQ(descriptor->picture_id, (*e.picture_id + 1) & 0x7FFF);
      }
      e.picture_id = descriptor->picture_id;
      e.frame_timestamp = view->timestamp();
      e.tids.push_back(descriptor->temporal_id);
      if (descriptor->temporal_id == 0) {
        if (e.tl0) {
          EXPECT_EQ(descriptor->tl0_pic_idx, uint8_t(*e.tl0 + 1));
        }
        e.tl0 = descriptor->tl0_pic_idx;
      }
      if (rtc::IsVp8Keyframe(view->payload())) {
        ++e.keyframes;
        EXPECT_EQ(descriptor->temporal_id, 0);
        auto size = rtc::ParseVp8KeyframeSize(view->payload());
        ASSERT_TRUE(size.has_value());
        EXPECT_EQ(size->width, enc.width);
        EXPECT_EQ(size->height, enc.height);
      }
    } else {
      EXPECT_TRUE(e.in_frame);
      EXPECT_EQ(descriptor->picture_id, *e.picture_id);
      EXPECT_EQ(view->timestamp(), *e.frame_timestamp);
    }
    if (view->marker()) e.in_frame = false;

    auto stamp = ReadPayloadStamp(view->payload());
    ASSERT_TRUE(stamp.has_value());
    EXPECT_EQ(stamp->source, config.source);
    EXPECT_EQ(stamp->encoding, p.encoding);
    EXPECT_FALSE(stamp->audio);
    EXPECT_EQ(stamp->sequence, e.next_stamp_sequence++);
  }
  ASSERT_EQ(seen.size(), 3u);
  for (auto& [index, e] : seen) {
    EXPECT_EQ(e.keyframes, 2) << index;  // t = 0 and t = 3 s
    EXPECT_FALSE(e.in_frame);
    // L1T3: 0 2 1 2 0 2 1 2 ..., restarting at the keyframe (frame 90 is one: 90 % 4 != 0).
    ASSERT_GE(e.tids.size(), 100u);
    const int pattern[4] = {0, 2, 1, 2};
    for (size_t f = 0; f < 90; ++f) EXPECT_EQ(e.tids[f], pattern[f % 4]) << f;
    for (size_t f = 90; f < 100; ++f) EXPECT_EQ(e.tids[f], pattern[(f - 90) % 4]) << f;
  }
  // RTP timestamps advance at 90 kHz: 3000 ticks per frame at 30 fps.
}

TEST(VideoSourceTest, KeyframeOnRequestIsBigger) {
  transport::FakeClock clock;
  VideoSourceConfig config = TestVideoConfig();
  config.temporal_layers = 1;
  VideoSource source(config);
  source.Start(clock.Now());
  RunVideo(source, milliseconds(500), clock);
  EXPECT_EQ(source.stats(1).keyframes, 1u);
  const uint64_t bytes_before = source.stats(1).payload_bytes;
  const uint64_t frames_before = source.stats(1).frames;
  source.RequestKeyframe(1);
  // One more frame of every encoding.
  RunVideo(source, milliseconds(34), clock);
  EXPECT_EQ(source.stats(1).keyframes, 2u);
  EXPECT_EQ(source.stats(0).keyframes, 1u);
  EXPECT_EQ(source.stats(2).keyframes, 1u);
  ASSERT_EQ(source.stats(1).frames, frames_before + 1);
  const double keyframe_bytes = static_cast<double>(source.stats(1).payload_bytes - bytes_before);
  const double mean_delta = static_cast<double>(bytes_before) / frames_before;
  EXPECT_GT(keyframe_bytes, 3.0 * mean_delta);
}

TEST(VideoSourceTest, SkipsFramesInsteadOfBursting) {
  transport::FakeClock clock;
  VideoSource source(TestVideoConfig());
  source.Start(clock.Now());
  int frames = 0;
  clock.Advance(seconds(2));  // the thread stalled for 60 frames
  source.Poll(clock.Now(), [&](size_t encoding, std::span<uint8_t> packet) {
    const auto view = rtc::RtpPacketView::Parse(packet);
    if (encoding == 0 && view && view->marker()) ++frames;
  });
  // Only the current frame goes out; the 60 late ones are dropped.
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(source.skipped_frames(), 60u);
}

TEST(VideoSourceTest, SingleStreamWithoutRid) {
  transport::FakeClock clock;
  VideoSourceConfig config;
  config.encodings = {{"", 1280, 720, 1'000'000, 42}};
  config.temporal_layers = 1;
  VideoSource source(config);
  source.Start(clock.Now());
  size_t packets = 0;
  source.Poll(clock.Now(), [&](size_t, std::span<uint8_t> packet) {
    auto view = rtc::RtpPacketView::Parse(packet);
    ASSERT_TRUE(view.has_value());
    rtc::RtpExtensionMap map;
    ASSERT_TRUE(map.RegisterUri(config.rid_id, rtc::kExtRid).ok());
    EXPECT_FALSE(rtc::ReadRid(*view, map).has_value());
    auto descriptor = rtc::Vp8PayloadDescriptor::Parse(view->payload());
    ASSERT_TRUE(descriptor.has_value());
    EXPECT_FALSE(descriptor->has_temporal_id);
    EXPECT_FALSE(descriptor->has_tl0_pic_idx);
    ++packets;
  });
  EXPECT_GT(packets, 1u);  // the first frame is a keyframe of several packets
}

TEST(AudioSourceTest, FiftyPacketsPerSecondOfOpusSizes) {
  transport::FakeClock clock;
  AudioSourceConfig config;
  config.ssrc = 77;
  config.source = StampSource(2, true);
  AudioSource source(config);
  source.Start(clock.Now());
  rtc::RtpExtensionMap map;
  ASSERT_TRUE(map.RegisterUri(config.audio_level_id, rtc::kExtAudioLevel).ok());
  ASSERT_TRUE(map.RegisterUri(config.mid_id, rtc::kExtMid).ok());
  std::vector<std::vector<uint8_t>> packets;
  const transport::Timestamp end = clock.Now() + seconds(10);
  while (clock.Now() < end) {
    source.Poll(clock.Now(), [&](std::span<uint8_t> p) { packets.emplace_back(p.begin(), p.end()); });
    clock.Advance(milliseconds(1));
  }
  ASSERT_EQ(packets.size(), 500u);
  std::optional<uint32_t> last_timestamp;
  size_t min_payload = 10000, max_payload = 0;
  int speaking = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    auto view = rtc::RtpPacketView::Parse(packets[i]);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->ssrc(), 77u);
    EXPECT_EQ(view->payload_type(), 111);
    if (last_timestamp) {
      EXPECT_EQ(view->timestamp(), *last_timestamp + 960);
    }
    last_timestamp = view->timestamp();
    const auto payload = view->payload();
    min_payload = std::min(min_payload, payload.size());
    max_payload = std::max(max_payload, payload.size());
    EXPECT_EQ(payload[0], 0xF8);
    auto level = rtc::ReadAudioLevel(*view, map);
    ASSERT_TRUE(level.has_value());
    if (level->voice_activity) ++speaking;
    EXPECT_EQ(rtc::ReadMid(*view, map), config.mid);
    auto stamp = ReadPayloadStamp(payload);
    ASSERT_TRUE(stamp.has_value());
    EXPECT_TRUE(stamp->audio);
    EXPECT_EQ(stamp->sequence, i);
    EXPECT_EQ(stamp->source, config.source);
  }
  EXPECT_GE(min_payload, config.min_payload);
  EXPECT_LE(max_payload, config.max_payload);
  EXPECT_LT(min_payload + 20, max_payload);  // sizes vary
  // Talk periods of 3 s alternate: roughly half of 10 s spoken.
  EXPECT_GT(speaking, 150);
  EXPECT_LT(speaking, 350);
}

TEST(RtpHeaderTest, WritesParseableExtensions) {
  std::array<uint8_t, 64> buffer{};
  const uint8_t mid[] = {'1'};
  const uint8_t rid[] = {'f'};
  const RtpHeaderExtensionElement elements[] = {{4, mid}, {10, rid}};
  const size_t size = WriteRtpHeader(buffer, 96, true, 513, 0xCAFEBABE, 0x11223344, elements);
  ASSERT_EQ(size, 12u + 4u + 4u);
  buffer[size] = 0x42;  // one payload byte
  auto view = rtc::RtpPacketView::Parse(std::span<const uint8_t>(buffer.data(), size + 1));
  ASSERT_TRUE(view.has_value());
  EXPECT_TRUE(view->marker());
  EXPECT_EQ(view->payload_type(), 96);
  EXPECT_EQ(view->sequence_number(), 513);
  EXPECT_EQ(view->timestamp(), 0xCAFEBABE);
  EXPECT_EQ(view->ssrc(), 0x11223344u);
  rtc::RtpExtensionMap map;
  ASSERT_TRUE(map.RegisterUri(4, rtc::kExtMid).ok());
  ASSERT_TRUE(map.RegisterUri(10, rtc::kExtRid).ok());
  EXPECT_EQ(rtc::ReadMid(*view, map), "1");
  EXPECT_EQ(rtc::ReadRid(*view, map), "f");
  EXPECT_EQ(view->payload().size(), 1u);
  // Invalid ids and too-small buffers are refused.
  const RtpHeaderExtensionElement bad[] = {{15, mid}};
  EXPECT_EQ(WriteRtpHeader(buffer, 96, false, 1, 1, 1, bad), 0u);
  EXPECT_EQ(WriteRtpHeader(std::span<uint8_t>(buffer.data(), 12), 96, false, 1, 1, 1, elements), 0u);
  EXPECT_EQ(WriteRtpHeader(std::span<uint8_t>(buffer.data(), 12), 96, false, 1, 1, 1, {}), 12u);
}

}  // namespace
}  // namespace switchyard::bench
