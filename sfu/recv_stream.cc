#include "sfu/recv_stream.h"

namespace switchyard::sfu {

RecvStream::RecvStream(EncodingParams params, uint32_t clock_rate, size_t cache_packets,
                       size_t initial_cache_packets)
    : params_(std::move(params)),
      clock_rate_(clock_rate),
      cache_(cache_packets, initial_cache_packets),
      nack_(NackGenerator::Config{}),
      statistics_(clock_rate) {}

bool RecvStream::OnPacket(const rtc::RtpPacketView& packet, bool keyframe, bool retransmission,
                          transport::Timestamp now) {
  const uint16_t seq = packet.sequence_number();
  // A retransmission (or a duplicate from the network) of a packet still in the cache was
  // already forwarded: drop it. Otherwise it fills a gap that subscribers are waiting for.
  if (auto cached = cache_.Get(seq)) {
    (void)cached;
    return false;
  }
  nack_.OnPacket(seq, keyframe, now);
  statistics_.OnPacket(seq, packet.timestamp(), now, retransmission);
  cache_.Insert(packet.data(), seq, now);
  bitrate_.Add(packet.data().size(), now);
  last_packet_ = now;
  if (keyframe) {
    keyframe_seen_ = true;
    keyframe_requester_.OnKeyframe();
  }
  return true;
}

void RecvStream::OnSenderReport(uint64_t ntp, uint32_t rtp_timestamp, transport::Timestamp now) {
  last_sr_ = SenderReportInfo{ntp, rtp_timestamp, now};
  statistics_.OnSenderReport(ntp, now);
}

}  // namespace switchyard::sfu
