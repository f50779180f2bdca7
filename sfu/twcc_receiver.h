#ifndef SWITCHYARD_SFU_TWCC_RECEIVER_H_
#define SWITCHYARD_SFU_TWCC_RECEIVER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "transport/clock.h"

namespace switchyard::sfu {

// Receive side of transport-wide congestion control
// (draft-holmer-rmcat-transport-wide-cc-extensions-01): records the arrival time of every
// RTP packet a publisher sends on one transport (all its SSRCs share the transport-wide
// sequence space) and periodically turns them into RTPFB FMT 15 feedback, from which the
// publisher's send-side bandwidth estimator derives the available bitrate.
//
// Pure logic on injected time. OnPacket() runs per packet and does not allocate (arrivals go
// into a ring sized at construction); BuildFeedback() runs once per interval.
class TwccReceiver {
 public:
  // libwebrtc's receive side sends feedback every 50-250 ms depending on the bitrate (about
  // 5% of it). 100 ms keeps the overhead low at high packet rates (a 1 Mbps video stream is
  // ~100 packets per interval, one ~150-byte feedback) while the sender's delay-based
  // estimator still reacts within a few hundred milliseconds.
  static constexpr transport::Duration kFeedbackInterval = std::chrono::milliseconds(100);
  // Arrivals kept, indexed by unwrapped sequence number. Also the reorder window: a packet
  // more than this many sequence numbers away from the highest one seen restarts the state.
  static constexpr size_t kRingSize = 4096;

  TwccReceiver(uint32_t sender_ssrc, uint32_t media_ssrc);

  // A received RTP packet carrying the transport-wide sequence number extension.
  // - Sequence numbers are unwrapped to 64 bits around the highest one seen.
  // - Duplicates keep their first arrival time.
  // - A late packet (below what the last feedback covered, still in the ring) is reported in
  //   the next feedback, which then restarts from it (packets already reported in between are
  //   repeated; the sender tolerates that, as it does with libwebrtc receivers).
  // - A jump of kRingSize or more either way (stream restart) drops what was pending and
  //   restarts from this packet.
  // - If more than kRingSize packets arrive between two feedbacks, the oldest pending ones
  //   are dropped unreported.
  void OnPacket(uint16_t transport_sequence_number, transport::Timestamp arrival);

  // True when something arrived that was not reported yet and kFeedbackInterval has passed
  // since the last feedback (or, for the first, since the first packet).
  bool FeedbackDue(transport::Timestamp now) const;

  // Writes one or more feedback RTCP packets back to back into `out`, covering every packet
  // since the last feedback (plus late ones), with losses in between reported as not
  // received; returns the bytes written. Each packet is at most
  // TransportCcFeedback::kDefaultMaxSize bytes and increments the 8-bit feedback packet
  // count. If `out` fills up, the rest stays pending and FeedbackDue(now) stays true.
  // Returns 0 (and changes nothing) when there is nothing to report.
  size_t BuildFeedback(transport::Timestamp now, std::span<uint8_t> out);

  uint8_t feedback_count() const { return feedback_count_; }

 private:
  struct Slot {
    int64_t sequence = -1;  // unwrapped; -1 = empty
    int64_t arrival_us = 0;
  };

  Slot& SlotFor(int64_t sequence) {
    return ring_[static_cast<size_t>(sequence) % kRingSize];
  }
  void Reset(int64_t sequence);

  uint32_t sender_ssrc_;
  uint32_t media_ssrc_;
  std::vector<Slot> ring_;  // kRingSize entries, allocated once
  bool started_ = false;
  int64_t highest_ = 0;  // highest unwrapped sequence number seen
  int64_t window_start_ = 0;  // first unwrapped sequence number the next feedback covers
  bool pending_ = false;  // something in [window_start_, highest_] not reported yet
  transport::Timestamp last_feedback_;
  uint8_t feedback_count_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_TWCC_RECEIVER_H_
