#include "sfu/rtp_sequence_rewriter.h"

#include <cmath>

#include "absl/random/random.h"

namespace switchyard::sfu {

namespace {

absl::BitGen& Random() {
  thread_local absl::BitGen gen;
  return gen;
}

// Two SRs further apart than this belong to different sessions (or one is garbage); mapping
// through them would produce nonsense, so the fallback is used instead.
constexpr double kMaxSenderReportSpreadSeconds = 3600;

}  // namespace

uint32_t AlignTimestamp(const TimestampAlignment& a) {
  uint32_t candidate = a.last_output_timestamp + a.fallback_increment;
  if (a.new_sender_report && a.old_sender_report && a.clock_rate > 0) {
    // RFC 3550 §6.4.1: an SR pairs an RTP timestamp with the NTP wall clock of the same
    // instant. Wall time of the new packet = new SR's NTP + (ts - new SR's RTP) / rate; the old
    // source's RTP timestamp for that instant follows from the old SR the same way.
    const auto ntp_diff =
        static_cast<int64_t>(a.new_sender_report->ntp - a.old_sender_report->ntp);
    const double seconds = static_cast<double>(ntp_diff) / 4294967296.0;
    if (std::fabs(seconds) < kMaxSenderReportSpreadSeconds) {
      const auto ticks = static_cast<int64_t>(std::llround(seconds * a.clock_rate));
      const uint32_t old_timeline = a.old_sender_report->rtp_timestamp +
                                    static_cast<uint32_t>(ticks) +
                                    (a.new_timestamp - a.new_sender_report->rtp_timestamp);
      candidate = old_timeline + a.old_timestamp_offset;
    }
  }
  // Wrap-around compare (RFC 3550 timestamps are modulo 2^32): at or behind the last output
  // means SR jitter or a stale SR; the smallest step forward is the least visible fix.
  if (static_cast<int32_t>(candidate - a.last_output_timestamp) <= 0) {
    candidate = a.last_output_timestamp + 1;
  }
  return candidate;
}

RtpSequenceRewriter::RtpSequenceRewriter()
    : sequence_base_(absl::Uniform<uint16_t>(Random())),
      timestamp_base_(absl::Uniform<uint32_t>(Random())) {}

RtpSequenceRewriter::RtpSequenceRewriter(uint16_t sequence_base, uint32_t timestamp_base)
    : sequence_base_(sequence_base), timestamp_base_(timestamp_base) {}

int64_t RtpSequenceRewriter::UnwrapInput(uint16_t sequence_number) const {
  const auto delta = static_cast<int16_t>(
      static_cast<uint16_t>(sequence_number - static_cast<uint16_t>(highest_input_)));
  return highest_input_ + delta;
}

std::optional<int64_t> RtpSequenceRewriter::OffsetFor(int64_t input) const {
  for (int i = 1; i <= offset_count_; ++i) {
    const OffsetChange& change =
        offsets_[(offset_head_ - i + kOffsetHistorySize) % kOffsetHistorySize];
    if (change.from_input <= input) return change.offset;
  }
  return std::nullopt;  // older than the remembered drops
}

void RtpSequenceRewriter::PushOffset(int64_t from_input, int64_t offset) {
  offsets_[offset_head_] = OffsetChange{from_input, offset};
  offset_head_ = (offset_head_ + 1) % kOffsetHistorySize;
  if (offset_count_ < kOffsetHistorySize) ++offset_count_;
}

std::optional<RtpSequenceRewriter::Output> RtpSequenceRewriter::TryRewrite(
    uint16_t sequence_number, uint32_t timestamp) {
  if (!started_) {
    started_ = true;
    source_first_input_ = sequence_number;
    highest_input_ = source_first_input_ - 1;
    offset_count_ = 0;
    PushOffset(source_first_input_, static_cast<int64_t>(sequence_base_) - sequence_number);
    timestamp_offset_ = timestamp_base_ - timestamp;
  }
  const int64_t input = UnwrapInput(sequence_number);
  if (input < source_first_input_) return std::nullopt;
  const std::optional<int64_t> offset = OffsetFor(input);
  if (!offset) return std::nullopt;
  const int64_t output = input + *offset;
  const Output out{static_cast<uint16_t>(output), timestamp + timestamp_offset_};
  if (input > highest_input_) highest_input_ = input;
  if (output > highest_output_) {
    highest_output_ = output;
    last_output_timestamp_ = out.timestamp;
  }
  if (history_ && output > highest_output_ - kHistorySize) {  // else it would evict a newer entry
    history_[static_cast<size_t>(output % kHistorySize)] =
        HistoryEntry{output, sequence_number, source_};
  }
  return out;
}

RtpSequenceRewriter::Output RtpSequenceRewriter::Rewrite(uint16_t sequence_number,
                                                         uint32_t timestamp) {
  if (std::optional<Output> out = TryRewrite(sequence_number, timestamp)) return *out;
  const int64_t newest = offsets_[(offset_head_ - 1 + kOffsetHistorySize) % kOffsetHistorySize]
                             .offset;
  return Output{static_cast<uint16_t>(sequence_number + newest), timestamp + timestamp_offset_};
}

void RtpSequenceRewriter::Drop(uint16_t sequence_number) {
  if (!started_) return;  // nothing numbered yet: the first forwarded packet anchors
  const int64_t input = UnwrapInput(sequence_number);
  if (input <= highest_input_) return;  // late or duplicate: later numbers are already out
  const int64_t current =
      offsets_[(offset_head_ - 1 + kOffsetHistorySize) % kOffsetHistorySize].offset;
  PushOffset(input + 1, current - 1);
  highest_input_ = input;
}

void RtpSequenceRewriter::SwitchSource(uint16_t first_sequence_number, uint32_t first_timestamp,
                                       uint32_t output_timestamp, bool previous_frame_incomplete,
                                       std::optional<int> source) {
  if (source) {
    source_ = *source;
  } else if (started_) {
    ++source_;
  }
  if (!started_) return;
  source_first_input_ = first_sequence_number;
  highest_input_ = source_first_input_ - 1;
  const int64_t first_output = highest_output_ + (previous_frame_incomplete ? 2 : 1);
  offset_count_ = 0;
  PushOffset(source_first_input_, first_output - source_first_input_);
  timestamp_offset_ = output_timestamp - first_timestamp;
}

std::optional<std::pair<uint16_t, int>> RtpSequenceRewriter::InputFor(
    uint16_t output_sequence_number) const {
  if (highest_output_ < 0 || !history_) return std::nullopt;
  const auto delta = static_cast<int16_t>(static_cast<uint16_t>(
      output_sequence_number - static_cast<uint16_t>(highest_output_)));
  const int64_t output = highest_output_ + delta;
  if (output < 0) return std::nullopt;
  const HistoryEntry& entry = history_[static_cast<size_t>(output % kHistorySize)];
  if (entry.output != output) return std::nullopt;
  return std::make_pair(entry.input, entry.source);
}

}  // namespace switchyard::sfu
