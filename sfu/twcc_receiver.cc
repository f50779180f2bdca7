#include "sfu/twcc_receiver.h"

#include <algorithm>

#include "rtc/transport_cc_feedback.h"

namespace switchyard::sfu {

namespace {

int64_t Micros(transport::Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace

TwccReceiver::TwccReceiver(uint32_t sender_ssrc, uint32_t media_ssrc)
    : sender_ssrc_(sender_ssrc), media_ssrc_(media_ssrc), ring_(kRingSize) {}

void TwccReceiver::Reset(int64_t sequence) {
  // Old entries must not pass for arrivals of the new run of sequence numbers.
  std::fill(ring_.begin(), ring_.end(), Slot{});
  highest_ = sequence;
  window_start_ = sequence;
  pending_ = false;
}

void TwccReceiver::OnPacket(uint16_t transport_sequence_number, transport::Timestamp arrival) {
  int64_t sequence;
  if (!started_) {
    // Start far from zero so unwrapping backwards never goes negative (ring index, -1 marker).
    sequence = (int64_t{1} << 32) + transport_sequence_number;
    started_ = true;
    last_feedback_ = arrival;
    Reset(sequence);
  } else {
    const auto step =
        static_cast<int16_t>(transport_sequence_number - static_cast<uint16_t>(highest_));
    sequence = highest_ + step;
    if (step >= static_cast<int64_t>(kRingSize) || -step >= static_cast<int64_t>(kRingSize)) {
      Reset(sequence);
    }
  }

  Slot& slot = SlotFor(sequence);
  if (slot.sequence == sequence) return;  // duplicate: the first arrival counts
  slot.sequence = sequence;
  slot.arrival_us = Micros(arrival);
  if (sequence > highest_) highest_ = sequence;
  // Late packet below the covered range: report it (and restart the window there).
  if (sequence < window_start_) window_start_ = sequence;
  // The ring only holds kRingSize sequence numbers: older pending ones are gone.
  if (highest_ - window_start_ >= static_cast<int64_t>(kRingSize)) {
    window_start_ = highest_ - static_cast<int64_t>(kRingSize) + 1;
  }
  pending_ = true;
}

bool TwccReceiver::FeedbackDue(transport::Timestamp now) const {
  return pending_ && now - last_feedback_ >= kFeedbackInterval;
}

size_t TwccReceiver::BuildFeedback(transport::Timestamp now, std::span<uint8_t> out) {
  if (!pending_) return 0;
  size_t written = 0;
  int64_t start = window_start_;
  while (start <= highest_) {
    // The base is the first uncovered sequence number, received or not, so losses right after
    // the previous feedback are reported too.
    rtc::TransportCcFeedback feedback(sender_ssrc_, media_ssrc_, feedback_count_);
    feedback.SetBaseSequence(static_cast<uint16_t>(start));
    int64_t last_added = start - 1;
    for (int64_t sequence = start; sequence <= highest_; ++sequence) {
      const Slot& slot = SlotFor(sequence);
      if (slot.sequence != sequence) continue;
      if (!feedback.AddReceivedPacket(static_cast<uint16_t>(sequence), slot.arrival_us)) break;
      last_added = sequence;
    }
    // The first packet of a message always fits (window < 2^15, first delta < 64 ms); this
    // only guards against looping forever.
    if (feedback.received_count() == 0) break;
    const size_t size = feedback.Write(out.subspan(written));
    if (size == 0) {
      // `out` is full: keep the rest for the next call.
      window_start_ = start;
      return written;
    }
    written += size;
    ++feedback_count_;
    start = last_added + 1;
  }
  window_start_ = highest_ + 1;
  pending_ = false;
  last_feedback_ = now;
  return written;
}

}  // namespace switchyard::sfu
