#ifndef SWITCHYARD_BENCH_LOAD_RECEIVE_METER_H_
#define SWITCHYARD_BENCH_LOAD_RECEIVE_METER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace switchyard::bench {

// Loss, reordering, duplicates and interarrival jitter of one sequence-numbered packet stream
// as a receiver sees it. Pure logic, allocation-free, one OnPacket per packet.
//
// Sequence numbers are extended (64-bit, never wrapping): the payload stamp's 32-bit counter
// fits as is; 16-bit RTP sequence numbers go through SequenceUnwrapper first.
//
// Segments: a subscriber receives one simulcast layer at a time and the SFU switches layers at
// keyframes, so each layer's numbering is seen in runs. StartSegment() makes the next packet
// the new base without counting the packets between the previous run and it as lost (they
// were legitimately not forwarded); counts accumulate across segments.
//
// Loss (RFC 3550 §6.4.1 / A.3 style): expected = highest - base + 1 per segment, lost =
// expected - received (unique packets), never negative. A late packet that fills a gap lowers
// the loss again and counts as reordered. Duplicates are recognised within the last
// kDuplicateWindow sequence numbers; older packets are counted as too_old and otherwise ignored.
//
// Jitter (RFC 3550 §6.4.1 and A.8, with the send time from the payload instead of the RTP
// timestamp): D = (arrival_j - arrival_i) - (send_j - send_i) between consecutively received
// packets, J += (|D| - J) / 16. In microseconds.
class ReceiveMeter {
 public:
  static constexpr int64_t kDuplicateWindow = 1024;

  enum class Result { kFirst, kInOrder, kGap, kReordered, kDuplicate, kTooOld };

  // `send_time_us` may be nullopt (header-only accounting): then jitter is not updated.
  Result OnPacket(int64_t sequence, std::optional<int64_t> send_time_us, int64_t arrival_us);
  void StartSegment() { segment_pending_ = true; }

  uint64_t received() const { return received_; }  // unique packets
  uint64_t duplicates() const { return duplicates_; }
  uint64_t reordered() const { return reordered_; }
  uint64_t too_old() const { return too_old_; }
  uint64_t segments() const { return segments_; }
  uint64_t expected() const;
  uint64_t lost() const {
    const uint64_t e = expected();
    return e > received_ ? e - received_ : 0;
  }
  double jitter_us() const { return jitter_us_; }
  bool started() const { return started_; }
  int64_t highest() const { return highest_; }

 private:
  bool Seen(int64_t sequence) const;
  void MarkSeen(int64_t sequence);

  bool started_ = false;
  bool segment_pending_ = false;
  int64_t base_ = 0;
  int64_t highest_ = 0;
  uint64_t expected_before_ = 0;  // sum over closed segments
  uint64_t received_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t reordered_ = 0;
  uint64_t too_old_ = 0;
  uint64_t segments_ = 0;
  // Bit i of word (seq / 64) % kWords: seq was received (for seq within the window).
  static constexpr size_t kWords = static_cast<size_t>(kDuplicateWindow / 64);
  std::array<uint64_t, kWords> seen_{};
  std::optional<int64_t> last_transit_us_;
  double jitter_us_ = 0.0;
};

// Extends 16-bit RTP sequence numbers to 64 bits (RFC 3550 A.1's cycle counting): a number
// within 32768 ahead of or behind the last extended value is taken as the nearest one.
class SequenceUnwrapper {
 public:
  int64_t Unwrap(uint16_t sequence);

 private:
  std::optional<int64_t> last_;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_RECEIVE_METER_H_
