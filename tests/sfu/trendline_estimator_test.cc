#include "sfu/trendline_estimator.h"

#include <gtest/gtest.h>

#include "sfu/inter_arrival.h"

namespace switchyard::sfu {
namespace {

struct TrendCase {
  const char* name;
  double extra_delay_per_group_ms;  // recv_delta - send_delta of every group
  BandwidthUsage want;
};

class TrendlineEstimatorTest : public ::testing::TestWithParam<TrendCase> {};

// Groups 5 ms apart (the InterArrival group length); each one arrives `extra` ms later relative
// to its send time than the previous one: the queue grows (extra > 0), is stable (0) or drains.
TEST_P(TrendlineEstimatorTest, DetectsDelayTrend) {
  const TrendCase& c = GetParam();
  TrendlineEstimator trendline;
  int64_t arrival_ms = 10'000;
  for (int i = 0; i < 100; ++i) {
    const double send_delta = 5.0;
    const double recv_delta = send_delta + c.extra_delay_per_group_ms;
    arrival_ms += static_cast<int64_t>(recv_delta);
    trendline.Update(recv_delta, send_delta, arrival_ms);
  }
  EXPECT_EQ(trendline.State(), c.want)
      << c.name << " trend " << trendline.trend() << " modified " << trendline.modified_trend()
      << " threshold " << trendline.threshold();
}

INSTANTIATE_TEST_SUITE_P(
    Trends, TrendlineEstimatorTest,
    ::testing::Values(TrendCase{"increasing", 1.0, BandwidthUsage::kOverusing},
                      TrendCase{"flat", 0.0, BandwidthUsage::kNormal},
                      TrendCase{"decreasing", -1.0, BandwidthUsage::kUnderusing},
                      TrendCase{"slightly increasing (below threshold)", 0.01,
                                BandwidthUsage::kNormal}),
    [](const ::testing::TestParamInfo<TrendCase>& info) {
      return std::string(info.param.extra_delay_per_group_ms > 0.5    ? "Increasing"
                         : info.param.extra_delay_per_group_ms > 0    ? "SlightlyIncreasing"
                         : info.param.extra_delay_per_group_ms == 0.0 ? "Flat"
                                                                      : "Decreasing");
    });

TEST(TrendlineEstimatorStateTest, OveruseNeedsTheWindowAndPersistence) {
  TrendlineEstimator trendline;
  int64_t arrival_ms = 0;
  // Before the window of 20 groups is full no trend is fitted: steeply increasing delay is still
  // "normal".
  for (size_t i = 0; i + 1 < TrendlineEstimator::kWindowSize; ++i) {
    arrival_ms += 7;
    trendline.Update(7.0, 5.0, arrival_ms);
    EXPECT_EQ(trendline.State(), BandwidthUsage::kNormal) << i;
  }
  // Within a few more groups (> 10 ms above the threshold, two samples) overuse is signalled.
  int groups = 0;
  while (trendline.State() != BandwidthUsage::kOverusing && groups < 10) {
    arrival_ms += 7;
    trendline.Update(7.0, 5.0, arrival_ms);
    ++groups;
  }
  EXPECT_EQ(trendline.State(), BandwidthUsage::kOverusing);
  EXPECT_GE(groups, 2);
}

TEST(TrendlineEstimatorStateTest, ThresholdAdaptsWithinBounds) {
  TrendlineEstimator trendline;
  EXPECT_DOUBLE_EQ(trendline.threshold(), TrendlineEstimator::kInitialThreshold);
  int64_t arrival_ms = 0;
  // Stable delay: |m| stays below gamma, which decays toward it (k_down) down to the floor of 6.
  for (int i = 0; i < 500; ++i) {
    arrival_ms += 5;
    trendline.Update(5.0, 5.0, arrival_ms);
  }
  EXPECT_DOUBLE_EQ(trendline.threshold(), TrendlineEstimator::kMinThreshold);
  // Alternating jitter: the threshold rises (k_up) but stays within [6, 600].
  for (int i = 0; i < 2000; ++i) {
    const double recv = (i / 10) % 2 == 0 ? 6.5 : 3.5;
    arrival_ms += static_cast<int64_t>(recv);
    trendline.Update(recv, 5.0, arrival_ms);
    ASSERT_GE(trendline.threshold(), TrendlineEstimator::kMinThreshold);
    ASSERT_LE(trendline.threshold(), TrendlineEstimator::kMaxThreshold);
  }
  EXPECT_GT(trendline.threshold(), TrendlineEstimator::kMinThreshold);
}

TEST(InterArrivalTest, GroupsBurstsAndReportsDeltas) {
  InterArrival inter_arrival;
  // Three groups of 3 packets sent 1 ms apart, groups 20 ms apart; the second group arrives
  // 4 ms later relative to the first (queueing), the third on time.
  struct Packet {
    int64_t send_ms;
    int64_t arrival_ms;
  };
  const Packet packets[] = {{0, 50},  {1, 51},  {2, 52},  {20, 74}, {21, 75},
                            {22, 76}, {40, 92}, {41, 93}, {42, 94}, {60, 110}};
  std::vector<InterArrival::Deltas> deltas;
  for (const Packet& p : packets) {
    if (auto d = inter_arrival.Add(p.send_ms * 1000, p.arrival_ms * 1000, 0, 100)) {
      deltas.push_back(*d);
    }
  }
  // Deltas come out when a group is closed by the first packet of the one after next.
  ASSERT_EQ(deltas.size(), 2u);
  EXPECT_EQ(deltas[0].send_delta_us, 20'000);
  EXPECT_EQ(deltas[0].arrival_delta_us, 24'000);
  EXPECT_EQ(deltas[1].send_delta_us, 20'000);
  EXPECT_EQ(deltas[1].arrival_delta_us, 18'000);
  EXPECT_EQ(deltas[0].size_delta_bytes, 0);
}

TEST(InterArrivalTest, ReorderedPacketsAreSkipped) {
  InterArrival inter_arrival;
  EXPECT_FALSE(inter_arrival.Add(10'000, 50'000, 0, 100));
  EXPECT_FALSE(inter_arrival.Add(20'000, 60'000, 0, 100));
  // Sent before the current group started: ignored, so it does not stretch that group's
  // completion time to 61 ms.
  EXPECT_FALSE(inter_arrival.Add(5'000, 61'000, 0, 100));
  const auto d = inter_arrival.Add(30'000, 70'000, 0, 100);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->send_delta_us, 10'000);
  EXPECT_EQ(d->arrival_delta_us, 10'000);
}

}  // namespace
}  // namespace switchyard::sfu
