#include "bench/load/subscriber_tracks.h"

#include <array>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "rtc/rtcp_packet.h"
#include "transport/byte_io.h"

namespace switchyard::bench {
namespace {

std::vector<uint8_t> Rtp(uint32_t ssrc, uint16_t sequence) {
  std::vector<uint8_t> packet(40, 0);
  packet[0] = 0x80;
  packet[1] = 96;
  transport::StoreBe16(packet.data() + 2, sequence);
  transport::StoreBe32(packet.data() + 8, ssrc);
  return packet;
}

TEST(SubscriberTracksTest, ReceiverReportHasABlockPerTrackWithMedia) {
  SubscriberTracks tracks;
  std::array<uint8_t, 8 + 31 * 24> out{};
  EXPECT_EQ(tracks.WriteReceiverReport(out, 7), 0u);  // Nothing offered yet.

  auto track = [](const char* mid, rtc::MediaKind kind, uint32_t ssrc) {
    OfferedTrack t;
    t.mid = mid;
    t.kind = kind;
    t.active = true;
    t.ssrc = ssrc;
    return t;
  };
  OfferedTrack audio = track("0", rtc::MediaKind::kAudio, 111);
  OfferedTrack video = track("1", rtc::MediaKind::kVideo, 222);
  video.rtx_ssrc = 223;
  OfferedTrack idle = track("2", rtc::MediaKind::kVideo, 333);
  tracks.ApplyOffer({audio, video, idle});
  EXPECT_EQ(tracks.WriteReceiverReport(out, 7), 0u);  // No media yet.

  WorkerStats stats;
  const transport::Timestamp now{};
  for (uint16_t seq : {10, 11, 13}) {
    std::vector<uint8_t> p = Rtp(222, seq);
    tracks.OnRtp(p, /*decrypted=*/false, now, stats);
  }
  std::vector<uint8_t> a = Rtp(111, 5);
  tracks.OnRtp(a, /*decrypted=*/false, now, stats);

  const size_t length = tracks.WriteReceiverReport(out, 7);
  ASSERT_EQ(length, 8u + 2 * 24u);  // The idle track has no block.
  EXPECT_EQ(out[0] & 0x1f, 2);      // report count
  EXPECT_EQ(out[1], 201);           // RR
  EXPECT_EQ(transport::LoadBe32(out.data() + 4), 7u);
  const rtc::ReportBlock first = rtc::ParseReportBlock(out.data() + 8);
  const rtc::ReportBlock second = rtc::ParseReportBlock(out.data() + 32);
  EXPECT_EQ(first.ssrc, 111u);
  EXPECT_EQ(first.cumulative_lost, 0);
  EXPECT_EQ(second.ssrc, 222u);
  EXPECT_EQ(second.extended_highest_sequence & 0xffff, 13u);
  EXPECT_EQ(second.cumulative_lost, 1);  // 12 never came.
}

}  // namespace
}  // namespace switchyard::bench
