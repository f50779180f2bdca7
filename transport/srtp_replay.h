#ifndef SWITCHYARD_TRANSPORT_SRTP_REPLAY_H_
#define SWITCHYARD_TRANSPORT_SRTP_REPLAY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace switchyard::transport {

// Packet index estimation of RFC 3711 §3.3.1 / Appendix A, in libsrtp's exact form so that both
// ends agree on the ROC: `highest` is the 48-bit index (ROC << 16 | SEQ) of the newest packet
// seen, `seq` the received sequence number. Returns the estimated 48-bit index and sets `delta`
// to its distance from `highest` (> 0: newer). While `highest` is still within the first half of
// ROC 0 the ROC is taken as 0 (libsrtp's srtp_rdbx_estimate_index; a plain Appendix A guess
// would wrap to ROC 0xffffffff for an early reordered packet).
inline uint64_t EstimateSrtpIndex(uint64_t highest, uint16_t seq, int64_t& delta) {
  constexpr int64_t kMedian = 1 << 15;
  constexpr int64_t kSeqRange = 1 << 16;
  if (highest <= static_cast<uint64_t>(kMedian)) {
    delta = static_cast<int64_t>(seq) - static_cast<int64_t>(highest);
    return seq;
  }
  uint64_t roc = highest >> 16;
  const int64_t local_seq = static_cast<int64_t>(highest & 0xffff);
  const int64_t s = seq;
  if (local_seq < kMedian) {
    if (s - local_seq > kMedian) {
      --roc;
      delta = s - local_seq - kSeqRange;
    } else {
      delta = s - local_seq;
    }
  } else if (local_seq - kMedian > s) {
    ++roc;
    delta = s - local_seq + kSeqRange;
  } else {
    delta = s - local_seq;
  }
  return (roc << 16) | seq;
}

// Sliding replay window of RFC 3711 §3.3.2 over packet indices (48-bit SRTP, 31-bit SRTCP).
// Accepts an index newer than the highest seen, or one at most kSize - 1 behind it that has not
// been accepted yet. Starts at highest = 0 with nothing marked, like libsrtp. A bitmap indexed by
// index mod kSize: advancing clears the slots that fall out. No allocation.
class SrtpReplayWindow {
 public:
  static constexpr size_t kSize = 1024;  // Power of two; SrtpSession::kReplayWindow.

  uint64_t highest() const { return highest_; }

  // True if `index` (at `delta` = index - highest from EstimateSrtpIndex or a subtraction) may
  // be accepted. Does not record it: call Add once the packet authenticated.
  bool Check(uint64_t index, int64_t delta) const {
    if (delta > 0) return true;
    if (-delta >= static_cast<int64_t>(kSize)) return false;
    return !Test(index);
  }
  // Whether a rejected packet was older than the window (rather than a duplicate).
  static bool TooOld(int64_t delta) { return delta <= -static_cast<int64_t>(kSize); }

  void Add(uint64_t index, int64_t delta) {
    if (delta > 0) {
      if (delta >= static_cast<int64_t>(kSize)) {
        std::memset(bits_, 0, sizeof(bits_));
      } else {
        for (uint64_t i = highest_ + 1; i != index; ++i) Clear(i);
      }
      highest_ = index;
    }
    Set(index);
  }

 private:
  static constexpr size_t kWords = kSize / 64;
  bool Test(uint64_t index) const { return (bits_[(index / 64) % kWords] >> (index % 64)) & 1; }
  void Set(uint64_t index) { bits_[(index / 64) % kWords] |= uint64_t{1} << (index % 64); }
  void Clear(uint64_t index) { bits_[(index / 64) % kWords] &= ~(uint64_t{1} << (index % 64)); }

  uint64_t highest_ = 0;
  uint64_t bits_[kWords] = {};
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_SRTP_REPLAY_H_
