#ifndef SWITCHYARD_BENCH_LOAD_LATENCY_HISTOGRAM_H_
#define SWITCHYARD_BENCH_LOAD_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace switchyard::bench {

// A fixed-size log-linear histogram of non-negative integer values (microseconds here), in the
// manner of HdrHistogram: values below 64 have a bucket each, above that every power of two is
// split into 32 buckets, so a reported percentile is within ~3% of the true value. Record() is
// a few instructions and never allocates (hot path: one call per received packet); the whole
// histogram is ~8 KB, so per-thread and per-interval copies are cheap to merge.
class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 5;  // 32 buckets per octave above kLinearLimit
  static constexpr uint64_t kLinearLimit = uint64_t{2} << kSubBucketBits;  // 64
  // Values at or above this (about 19 hours in µs) land in the last bucket.
  static constexpr uint64_t kMaxTrackable = uint64_t{1} << 36;
  static constexpr size_t kBucketCount =
      kLinearLimit + (36 - (kSubBucketBits + 1)) * (size_t{1} << kSubBucketBits);

  void Record(uint64_t value) {
    ++counts_[BucketOf(value)];
    ++count_;
    sum_ += value;
    if (value > max_) max_ = value;
    if (count_ == 1 || value < min_) min_ = value;
  }
  void Merge(const LatencyHistogram& other);
  void Reset() { *this = LatencyHistogram(); }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  // The value below which `percentile` (0..100) percent of the recorded values lie: the upper
  // edge of the bucket holding that rank, capped at max(). 0 when empty.
  uint64_t Percentile(double percentile) const;

  // Bucket index of `value`, and the largest value that bucket holds (exposed for tests).
  static size_t BucketOf(uint64_t value);
  static uint64_t BucketUpperBound(size_t bucket);

 private:
  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = 0;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_LATENCY_HISTOGRAM_H_
