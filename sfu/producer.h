#ifndef SWITCHYARD_SFU_PRODUCER_H_
#define SWITCHYARD_SFU_PRODUCER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "rtc/keyframe_detector.h"
#include "rtc/media_kind.h"
#include "rtc/rtp_packet.h"
#include "rtc/session_description.h"
#include "sfu/keyframe_requester.h"
#include "transport/clock.h"

namespace switchyard::sfu {

class Consumer;

struct ProducerParams {
  std::string track_id;  // unique in the room; the msid track id subscribers see
  rtc::MediaKind kind = rtc::MediaKind::kAudio;
  std::string mid;       // in the publisher's PeerConnection
  std::optional<uint32_t> ssrc;      // from a=ssrc; learned from the mid extension otherwise
  std::optional<uint32_t> rtx_ssrc;  // from a=ssrc-group:FID
  std::vector<rtc::Codec> codecs;    // as negotiated in our answer (payload types are the
                                     // publisher's and are kept when forwarding)
};

// One published track: receives the publisher's RTP and fans it out to its consumers.
class Producer {
 public:
  // The publishing side: how keyframe requests reach the publisher.
  class Owner {
   public:
    virtual ~Owner() = default;
    virtual void SendKeyframeRequest(uint32_t media_ssrc, bool use_fir) = 0;
  };

  Producer(const transport::Clock& clock, Owner& owner, ProducerParams params);
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  const ProducerParams& params() const { return params_; }
  rtc::MediaKind kind() const { return params_.kind; }
  const std::string& track_id() const { return params_.track_id; }
  std::optional<uint32_t> ssrc() const { return params_.ssrc; }
  void set_ssrc(uint32_t ssrc) { params_.ssrc = ssrc; }

  // Hot path: one media packet from the publisher (already SRTP-decrypted). `scratch` is the
  // worker's output buffer, reused for every consumer's rewritten copy.
  void OnRtp(const rtc::RtpPacketView& packet, std::span<uint8_t> scratch);

  void AddConsumer(Consumer* consumer);
  void RemoveConsumer(Consumer* consumer);
  const absl::InlinedVector<Consumer*, 8>& consumers() const { return consumers_; }

  // A consumer (a new subscriber, or a subscriber's PLI/FIR) wants a keyframe.
  void RequestKeyframe();
  void OnTimer();

  uint64_t packets_received() const { return packets_received_; }
  uint64_t keyframes_received() const { return keyframes_received_; }

 private:
  std::optional<rtc::VideoCodec> CodecForPayloadType(uint8_t payload_type) const;

  const transport::Clock& clock_;
  Owner& owner_;
  ProducerParams params_;
  absl::InlinedVector<Consumer*, 8> consumers_;
  KeyframeRequester keyframe_requester_;
  bool use_fir_ = false;  // FIR only when the publisher negotiated ccm fir but not nack pli
  uint64_t packets_received_ = 0;
  uint64_t keyframes_received_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PRODUCER_H_
