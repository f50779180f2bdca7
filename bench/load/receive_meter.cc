#include "bench/load/receive_meter.h"

#include <cmath>

namespace switchyard::bench {

namespace {

size_t BitOf(int64_t sequence) {
  const int64_t w = ReceiveMeter::kDuplicateWindow;
  return static_cast<size_t>(((sequence % w) + w) % w);
}

}  // namespace

bool ReceiveMeter::Seen(int64_t sequence) const {
  const size_t bit = BitOf(sequence);
  return (seen_[bit / 64] >> (bit % 64)) & 1;
}

void ReceiveMeter::MarkSeen(int64_t sequence) {
  const size_t bit = BitOf(sequence);
  seen_[bit / 64] |= uint64_t{1} << (bit % 64);
}

uint64_t ReceiveMeter::expected() const {
  if (!started_) return 0;
  return expected_before_ + static_cast<uint64_t>(highest_ - base_ + 1);
}

ReceiveMeter::Result ReceiveMeter::OnPacket(int64_t sequence,
                                            std::optional<int64_t> send_time_us,
                                            int64_t arrival_us) {
  auto update_jitter = [&] {
    if (!send_time_us) return;
    const int64_t transit = arrival_us - *send_time_us;
    if (last_transit_us_) {
      const double d = std::fabs(static_cast<double>(transit - *last_transit_us_));
      jitter_us_ += (d - jitter_us_) / 16.0;
    }
    last_transit_us_ = transit;
  };

  if (!started_ || segment_pending_) {
    if (started_) expected_before_ += static_cast<uint64_t>(highest_ - base_ + 1);
    started_ = true;
    segment_pending_ = false;
    ++segments_;
    base_ = highest_ = sequence;
    seen_.fill(0);
    MarkSeen(sequence);
    ++received_;
    update_jitter();
    return Result::kFirst;
  }
  if (sequence > highest_) {
    const bool gap = sequence > highest_ + 1;
    // Forget what the window held for the numbers we skip over: their bits are reused.
    if (sequence - highest_ >= kDuplicateWindow) {
      seen_.fill(0);
    } else {
      for (int64_t s = highest_ + 1; s < sequence; ++s) {
        const size_t bit = BitOf(s);
        seen_[bit / 64] &= ~(uint64_t{1} << (bit % 64));
      }
      const size_t bit = BitOf(sequence);
      seen_[bit / 64] &= ~(uint64_t{1} << (bit % 64));
    }
    highest_ = sequence;
    MarkSeen(sequence);
    ++received_;
    update_jitter();
    return gap ? Result::kGap : Result::kInOrder;
  }
  if (highest_ - sequence >= kDuplicateWindow) {
    ++too_old_;
    return Result::kTooOld;
  }
  if (sequence >= base_ && Seen(sequence)) {
    ++duplicates_;
    return Result::kDuplicate;
  }
  // Late but new: it fills a gap (or extends the segment backwards, making the numbers between
  // it and the old base expected).
  if (sequence < base_) base_ = sequence;
  MarkSeen(sequence);
  ++received_;
  ++reordered_;
  update_jitter();
  return Result::kReordered;
}

int64_t SequenceUnwrapper::Unwrap(uint16_t sequence) {
  if (!last_) {
    // Start one cycle up so that a packet just before the first one stays positive.
    last_ = int64_t{65536} + sequence;
    return *last_;
  }
  const uint16_t last16 = static_cast<uint16_t>(*last_ & 0xFFFF);
  const int16_t delta = static_cast<int16_t>(static_cast<uint16_t>(sequence - last16));
  const int64_t value = *last_ + delta;
  if (value > *last_) last_ = value;
  return value;
}

}  // namespace switchyard::bench
