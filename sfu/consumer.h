#ifndef SWITCHYARD_SFU_CONSUMER_H_
#define SWITCHYARD_SFU_CONSUMER_H_

#include <cstdint>
#include <span>
#include <string>

#include "rtc/rtp_packet.h"
#include "sfu/drop_reason.h"
#include "sfu/rtp_sequence_rewriter.h"

namespace switchyard::sfu {

class Producer;
class WebRtcTransport;

// One subscriber's copy of one producer: rewrites SSRC, sequence number and timestamp into
// the subscriber's own numbering and sends through the subscriber's transport.
class Consumer {
 public:
  Consumer(Producer& producer, WebRtcTransport& transport, DropCounters& drops, uint32_t ssrc,
           std::string mid);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  Producer& producer() { return producer_; }
  uint32_t ssrc() const { return ssrc_; }
  const std::string& mid() const { return mid_; }

  // Hot path. `keyframe` says whether `packet` starts a keyframe. Video starts (and restarts
  // after the transport was unusable) only at a keyframe so the subscriber's decoder never sees
  // a reference to a frame it did not get.
  void Forward(const rtc::RtpPacketView& packet, bool keyframe, std::span<uint8_t> scratch);

  // The subscriber asked for a keyframe (PLI/FIR for our SSRC).
  void OnKeyframeRequest();

  uint64_t packets_sent() const { return packets_sent_; }

 private:
  Producer& producer_;
  WebRtcTransport& transport_;
  DropCounters& drops_;
  const uint32_t ssrc_;
  const std::string mid_;
  const bool is_video_;
  bool waiting_for_keyframe_;
  RtpSequenceRewriter rewriter_;
  uint64_t packets_sent_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_CONSUMER_H_
