#include "bench/load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace switchyard::bench {

size_t LatencyHistogram::BucketOf(uint64_t value) {
  if (value < kLinearLimit) return static_cast<size_t>(value);
  if (value >= kMaxTrackable) return kBucketCount - 1;
  const int msb = 63 - std::countl_zero(value);  // >= kSubBucketBits + 1
  const int shift = msb - kSubBucketBits;        // >= 1
  const uint64_t sub = value >> shift;           // in [32, 64)
  return static_cast<size_t>(kLinearLimit) +
         static_cast<size_t>(shift - 1) * (size_t{1} << kSubBucketBits) +
         static_cast<size_t>(sub - (uint64_t{1} << kSubBucketBits));
}

uint64_t LatencyHistogram::BucketUpperBound(size_t bucket) {
  if (bucket < kLinearLimit) return bucket;
  const size_t k = bucket - static_cast<size_t>(kLinearLimit);
  const int shift = static_cast<int>(k >> kSubBucketBits) + 1;
  const uint64_t sub = (k & ((size_t{1} << kSubBucketBits) - 1)) + (uint64_t{1} << kSubBucketBits);
  return ((sub + 1) << shift) - 1;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Percentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // The rank (1-based) of the value asked for: the smallest r with r >= p% of count.
  uint64_t rank = static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketUpperBound(i), max_);
  }
  return max_;
}

}  // namespace switchyard::bench
