#ifndef SWITCHYARD_SFU_RECV_STREAM_H_
#define SWITCHYARD_SFU_RECV_STREAM_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "rtc/rtcp_packet.h"
#include "rtc/rtp_packet.h"
#include "sfu/bitrate_meter.h"
#include "sfu/keyframe_requester.h"
#include "sfu/nack_generator.h"
#include "sfu/receive_statistics.h"
#include "sfu/rtp_packet_cache.h"
#include "transport/clock.h"

namespace switchyard::sfu {

// One RTP stream a publisher sends: a whole track, or one simulcast encoding of it.
struct EncodingParams {
  std::string rid;                   // RFC 8851 rid; empty without rid-based simulcast
  std::optional<uint32_t> ssrc;      // from a=ssrc, or learned from the rid/mid extensions
  std::optional<uint32_t> rtx_ssrc;  // from a=ssrc-group:FID, or learned from repaired-rid
};

// Receive-side state of one publisher stream: statistics for receiver reports, the cache that
// answers subscribers' NACKs, our own NACKs for packets lost on the publisher's uplink,
// bitrate and activity for layer selection, and the last sender report for timestamp alignment.
class RecvStream {
 public:
  // An encoding paused by the publisher's encoder stops sending; after this long without a
  // packet the layer counts as inactive and is not selected (issue 3: detect within 1 s).
  static constexpr transport::Duration kInactiveAfter = std::chrono::milliseconds(1000);

  // The packet cache holds up to `cache_packets`, starting at `initial_cache_packets` (0: all)
  // and growing with the stream's rate (RtpPacketCache).
  RecvStream(EncodingParams params, uint32_t clock_rate, size_t cache_packets,
             size_t initial_cache_packets = 0);

  EncodingParams& params() { return params_; }
  const EncodingParams& params() const { return params_; }
  uint32_t clock_rate() const { return clock_rate_; }

  // Hot path: a media packet (an RTX one already unwrapped). False when it is a duplicate that
  // must not be forwarded again.
  bool OnPacket(const rtc::RtpPacketView& packet, bool keyframe, bool retransmission,
                transport::Timestamp now);
  // The publisher's sender report: its NTP time (RFC 5905 64-bit) and RTP timestamp.
  void OnSenderReport(uint64_t ntp, uint32_t rtp_timestamp, transport::Timestamp now);
  void OnFrameSize(int width, int height) {
    width_ = width;
    height_ = height;
  }
  void OnTemporalLayer(int temporal_id) {
    if (temporal_id + 1 > temporal_layers_) temporal_layers_ = temporal_id + 1;
  }

  bool active(transport::Timestamp now) const {
    return last_packet_ && now - *last_packet_ < kInactiveAfter;
  }
  uint64_t bitrate_bps(transport::Timestamp now) { return bitrate_.BitsPerSecond(now); }
  int width() const { return width_; }
  int height() const { return height_; }
  int temporal_layers() const { return temporal_layers_; }
  bool keyframe_seen() const { return keyframe_seen_; }

  // The last sender report: NTP time (RFC 5905 64-bit) and RTP timestamp (RFC 3550 §6.4.1).
  struct SenderReportInfo {
    uint64_t ntp = 0;
    uint32_t rtp_timestamp = 0;
    transport::Timestamp arrival;
  };
  const std::optional<SenderReportInfo>& last_sender_report() const { return last_sr_; }

  RtpPacketCache& cache() { return cache_; }
  NackGenerator& nack() { return nack_; }
  ReceiveStatistics& statistics() { return statistics_; }
  KeyframeRequester& keyframe_requester() { return keyframe_requester_; }

 private:
  EncodingParams params_;
  const uint32_t clock_rate_;
  RtpPacketCache cache_;
  NackGenerator nack_;
  ReceiveStatistics statistics_;
  KeyframeRequester keyframe_requester_;
  BitrateMeter bitrate_;
  std::optional<transport::Timestamp> last_packet_;
  std::optional<SenderReportInfo> last_sr_;
  int width_ = 0;
  int height_ = 0;
  int temporal_layers_ = 1;
  bool keyframe_seen_ = false;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_RECV_STREAM_H_
