#include "bench/load/receive_meter.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "bench/load/latency_histogram.h"
#include "gtest/gtest.h"

namespace switchyard::bench {
namespace {

using Result = ReceiveMeter::Result;

TEST(ReceiveMeterTest, InOrderStreamHasNoLoss) {
  ReceiveMeter m;
  EXPECT_EQ(m.expected(), 0u);
  EXPECT_EQ(m.OnPacket(100, 0, 10), Result::kFirst);
  for (int64_t s = 101; s < 200; ++s) EXPECT_EQ(m.OnPacket(s, s * 10, s * 10 + 5), Result::kInOrder);
  EXPECT_EQ(m.received(), 100u);
  EXPECT_EQ(m.expected(), 100u);
  EXPECT_EQ(m.lost(), 0u);
  EXPECT_EQ(m.duplicates(), 0u);
  EXPECT_EQ(m.reordered(), 0u);
}

TEST(ReceiveMeterTest, GapCountsAsLossUntilTheLatePacketsArrive) {
  ReceiveMeter m;
  m.OnPacket(0, std::nullopt, 0);
  m.OnPacket(1, std::nullopt, 0);
  EXPECT_EQ(m.OnPacket(5, std::nullopt, 0), Result::kGap);  // 2, 3, 4 missing
  EXPECT_EQ(m.lost(), 3u);
  EXPECT_EQ(m.OnPacket(3, std::nullopt, 0), Result::kReordered);
  EXPECT_EQ(m.lost(), 2u);
  EXPECT_EQ(m.reordered(), 1u);
  EXPECT_EQ(m.OnPacket(6, std::nullopt, 0), Result::kInOrder);
  EXPECT_EQ(m.expected(), 7u);
  EXPECT_EQ(m.received(), 5u);
  EXPECT_EQ(m.lost(), 2u);
}

TEST(ReceiveMeterTest, DuplicatesAreRecognisedAndNotCounted) {
  ReceiveMeter m;
  for (int64_t s = 0; s < 10; ++s) m.OnPacket(s, std::nullopt, 0);
  EXPECT_EQ(m.OnPacket(9, std::nullopt, 0), Result::kDuplicate);
  EXPECT_EQ(m.OnPacket(4, std::nullopt, 0), Result::kDuplicate);
  EXPECT_EQ(m.duplicates(), 2u);
  EXPECT_EQ(m.received(), 10u);
  EXPECT_EQ(m.lost(), 0u);
  // A late packet is not a duplicate the first time, but is the second time.
  m.OnPacket(12, std::nullopt, 0);
  EXPECT_EQ(m.OnPacket(11, std::nullopt, 0), Result::kReordered);
  EXPECT_EQ(m.OnPacket(11, std::nullopt, 0), Result::kDuplicate);
}

TEST(ReceiveMeterTest, WindowBitsAreReusedCorrectly) {
  ReceiveMeter m;
  // Far beyond the duplicate window, in order: nothing may look like a duplicate.
  for (int64_t s = 0; s < 5 * ReceiveMeter::kDuplicateWindow; ++s) {
    ASSERT_NE(m.OnPacket(s, std::nullopt, 0), Result::kDuplicate) << s;
  }
  EXPECT_EQ(m.duplicates(), 0u);
  // A jump skips over numbers whose bits held old values; the late ones are new, not dups.
  const int64_t h = m.highest();
  m.OnPacket(h + 100, std::nullopt, 0);
  EXPECT_EQ(m.OnPacket(h + 50, std::nullopt, 0), Result::kReordered);
  EXPECT_EQ(m.OnPacket(h + 5 * ReceiveMeter::kDuplicateWindow, std::nullopt, 0), Result::kGap);
  EXPECT_EQ(m.OnPacket(h, std::nullopt, 0), Result::kTooOld);
  EXPECT_EQ(m.too_old(), 1u);
}

TEST(ReceiveMeterTest, SegmentsDoNotCountTheSwitchGapAsLoss) {
  ReceiveMeter m;
  for (int64_t s = 0; s < 10; ++s) m.OnPacket(s, std::nullopt, 0);
  // The subscriber was moved to another layer and back: numbers 10..499 were not forwarded.
  m.StartSegment();
  EXPECT_EQ(m.OnPacket(500, std::nullopt, 0), Result::kFirst);
  for (int64_t s = 501; s < 510; ++s) m.OnPacket(s, std::nullopt, 0);
  EXPECT_EQ(m.segments(), 2u);
  EXPECT_EQ(m.expected(), 20u);
  EXPECT_EQ(m.received(), 20u);
  EXPECT_EQ(m.lost(), 0u);
  // Losses inside a segment still count.
  m.OnPacket(512, std::nullopt, 0);
  EXPECT_EQ(m.lost(), 2u);
}

TEST(ReceiveMeterTest, JitterFollowsRfc3550) {
  ReceiveMeter constant;
  for (int64_t s = 0; s < 100; ++s) constant.OnPacket(s, s * 20'000, s * 20'000 + 700);
  EXPECT_DOUBLE_EQ(constant.jitter_us(), 0.0);

  // Transit alternating between 0 and 1000 µs: |D| = 1000 every time, so J -> 1000.
  ReceiveMeter alternating;
  double expected_jitter = 0.0;
  for (int64_t s = 0; s < 300; ++s) {
    alternating.OnPacket(s, s * 20'000, s * 20'000 + (s % 2 ? 1000 : 0));
    if (s > 0) expected_jitter += (1000.0 - expected_jitter) / 16.0;
  }
  EXPECT_NEAR(alternating.jitter_us(), expected_jitter, 1e-6);
  EXPECT_NEAR(alternating.jitter_us(), 1000.0, 1.0);

  // Without send times (header-only accounting) jitter is left alone.
  ReceiveMeter headers;
  for (int64_t s = 0; s < 10; ++s) headers.OnPacket(s, std::nullopt, s * 12345);
  EXPECT_DOUBLE_EQ(headers.jitter_us(), 0.0);
}

TEST(SequenceUnwrapperTest, ExtendsAcrossWrapAndBackwards) {
  SequenceUnwrapper u;
  const int64_t first = u.Unwrap(65530);
  EXPECT_EQ(u.Unwrap(65535), first + 5);
  EXPECT_EQ(u.Unwrap(2), first + 8);      // wrapped
  EXPECT_EQ(u.Unwrap(65534), first + 4);  // late packet from before the wrap
  EXPECT_EQ(u.Unwrap(3), first + 9);
  EXPECT_GT(first, 0);
  // Driving a meter with the unwrapped numbers gives the right counts over a wrap.
  SequenceUnwrapper u2;
  ReceiveMeter m;
  for (int i = 0; i < 70000; ++i) {
    if (i == 40000) continue;  // one lost packet
    m.OnPacket(u2.Unwrap(static_cast<uint16_t>(60000 + i)), std::nullopt, 0);
  }
  EXPECT_EQ(m.expected(), 70000u);
  EXPECT_EQ(m.lost(), 1u);
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndMonotonic) {
  uint64_t previous_upper = 0;
  for (size_t b = 0; b < LatencyHistogram::kBucketCount; ++b) {
    const uint64_t upper = LatencyHistogram::BucketUpperBound(b);
    if (b > 0) {
      EXPECT_GT(upper, previous_upper) << b;
      EXPECT_EQ(LatencyHistogram::BucketOf(previous_upper + 1), b) << b;
    }
    EXPECT_EQ(LatencyHistogram::BucketOf(upper), b) << b;
    previous_upper = upper;
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::kMaxTrackable * 4),
            LatencyHistogram::kBucketCount - 1);
}

TEST(LatencyHistogramTest, PercentilesWithinThreePercent) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(50), 0u);
  std::vector<uint64_t> values;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(6.0, 1.5);  // ~400 µs median, long tail
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9}) {
    const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * values.size())) - 1;
    const double truth = static_cast<double>(values[rank]);
    const double got = static_cast<double>(h.Percentile(p));
    EXPECT_GE(got, truth) << p;
    EXPECT_LE(got, truth * 1.032 + 1) << p;
  }
  EXPECT_EQ(h.Percentile(100), values.back());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.count(), values.size());
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverything) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 1; v < 5000; v += 7) {
    ((v % 2) ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double p : {5.0, 50.0, 95.0}) EXPECT_EQ(a.Percentile(p), all.Percentile(p));
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.Percentile(50), 0u);
}

}  // namespace
}  // namespace switchyard::bench
