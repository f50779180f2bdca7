#ifndef SWITCHYARD_SFU_BITRATE_METER_H_
#define SWITCHYARD_SFU_BITRATE_METER_H_

#include <array>
#include <cstdint>

#include "transport/clock.h"

namespace switchyard::sfu {

// Bitrate over a sliding one-second window in 100 ms buckets: allocation-free, O(1) per packet.
// Simulcast layers are ranked and allocated by this figure.
class BitrateMeter {
 public:
  static constexpr int kBuckets = 10;
  static constexpr transport::Duration kBucket = std::chrono::milliseconds(100);

  void Add(size_t bytes, transport::Timestamp now) {
    Advance(now);
    buckets_[current_] += bytes;
  }
  uint64_t BitsPerSecond(transport::Timestamp now) {
    Advance(now);
    uint64_t total = 0;
    for (uint64_t b : buckets_) total += b;
    return total * 8;  // the window is one second long
  }

 private:
  void Advance(transport::Timestamp now) {
    const int64_t index = now.time_since_epoch() / kBucket;
    if (!started_) {
      started_ = true;
      index_ = index;
      return;
    }
    if (index <= index_) return;
    const int64_t steps = index - index_;
    for (int64_t i = 0; i < steps && i < kBuckets; ++i) {
      current_ = (current_ + 1) % kBuckets;
      buckets_[current_] = 0;
    }
    index_ = index;
  }

  std::array<uint64_t, kBuckets> buckets_{};
  int current_ = 0;
  int64_t index_ = 0;
  bool started_ = false;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_BITRATE_METER_H_
