#include "sfu/consumer.h"

#include "rtc/rtp_rewriter.h"
#include "sfu/producer.h"
#include "sfu/webrtc_transport.h"

namespace switchyard::sfu {

Consumer::Consumer(Producer& producer, WebRtcTransport& transport, DropCounters& drops,
                   uint32_t ssrc, std::string mid)
    : producer_(producer),
      transport_(transport),
      drops_(drops),
      ssrc_(ssrc),
      mid_(std::move(mid)),
      is_video_(producer.kind() == rtc::MediaKind::kVideo),
      waiting_for_keyframe_(is_video_) {
  producer_.AddConsumer(this);
}

Consumer::~Consumer() { producer_.RemoveConsumer(this); }

void Consumer::Forward(const rtc::RtpPacketView& packet, bool keyframe,
                       std::span<uint8_t> scratch) {
  if (!transport_.connected()) {
    drops_.Count(DropReason::kConsumerNotConnected);
    waiting_for_keyframe_ = is_video_;
    return;
  }
  if (waiting_for_keyframe_) {
    if (!keyframe) {
      drops_.Count(DropReason::kWaitingForKeyframe);
      producer_.RequestKeyframe();
      return;
    }
    waiting_for_keyframe_ = false;
  }
  const RtpSequenceRewriter::Output out =
      rewriter_.Rewrite(packet.sequence_number(), packet.timestamp());
  const rtc::RtpRewriteParams params{ssrc_, out.sequence_number, out.timestamp,
                                     packet.payload_type()};
  if (scratch.size() <= WebRtcTransport::kSrtpTrailer) return;
  const size_t length = rtc::WriteRewrittenRtp(
      packet, params, {}, scratch.first(scratch.size() - WebRtcTransport::kSrtpTrailer));
  if (length == 0) {
    drops_.Count(DropReason::kRewriteFailed);
    return;
  }
  if (transport_.SendRtp(scratch.data(), length, scratch.size())) ++packets_sent_;
}

void Consumer::OnKeyframeRequest() { producer_.RequestKeyframe(); }

}  // namespace switchyard::sfu
