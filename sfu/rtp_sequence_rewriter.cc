#include "sfu/rtp_sequence_rewriter.h"

#include "absl/random/random.h"

namespace switchyard::sfu {

namespace {

absl::BitGen& Random() {
  thread_local absl::BitGen gen;
  return gen;
}

}  // namespace

RtpSequenceRewriter::RtpSequenceRewriter()
    : sequence_base_(absl::Uniform<uint16_t>(Random())),
      timestamp_base_(absl::Uniform<uint32_t>(Random())) {}

RtpSequenceRewriter::RtpSequenceRewriter(uint16_t sequence_base, uint32_t timestamp_base)
    : sequence_base_(sequence_base), timestamp_base_(timestamp_base) {}

RtpSequenceRewriter::Output RtpSequenceRewriter::Rewrite(uint16_t sequence_number,
                                                         uint32_t timestamp) {
  if (!started_) {
    started_ = true;
    sequence_offset_ = static_cast<uint16_t>(sequence_base_ - sequence_number);
    timestamp_offset_ = timestamp_base_ - timestamp;
  }
  return Output{static_cast<uint16_t>(sequence_number + sequence_offset_),
                timestamp + timestamp_offset_};
}

}  // namespace switchyard::sfu
