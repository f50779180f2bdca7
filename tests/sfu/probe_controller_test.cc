#include "sfu/probe_controller.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "sfu/probe_bitrate_estimator.h"

namespace switchyard::sfu {
namespace {

using std::chrono::milliseconds;
using transport::Timestamp;

enum class Op { kDesired, kEstimate, kPoll };
struct Step {
  int at_ms;
  Op op;
  uint64_t bps;  // kDesired / kEstimate: the value; kPoll: expected target (0 = none)
};

struct ProbeCase {
  const char* name;
  uint64_t start_bps;
  uint64_t max_bps;
  std::vector<Step> steps;
};

class ProbeControllerTest : public ::testing::TestWithParam<ProbeCase> {};

TEST_P(ProbeControllerTest, FollowsTable) {
  const ProbeCase& c = GetParam();
  ProbeController controller(c.start_bps, c.max_bps);
  const Timestamp start(milliseconds(1'000'000));
  int last_id = 0;
  for (const Step& s : c.steps) {
    const Timestamp now = start + milliseconds(s.at_ms);
    switch (s.op) {
      case Op::kDesired:
        controller.SetDesiredBitrate(s.bps, now);
        break;
      case Op::kEstimate:
        controller.SetEstimatedBitrate(s.bps, now);
        break;
      case Op::kPoll: {
        const std::optional<ProbeController::Cluster> cluster = controller.NextProbeCluster(now);
        if (s.bps == 0) {
          EXPECT_FALSE(cluster.has_value())
              << c.name << " @" << s.at_ms << ": unexpected probe at " << cluster->target_bps;
        } else {
          ASSERT_TRUE(cluster.has_value()) << c.name << " @" << s.at_ms;
          EXPECT_EQ(cluster->target_bps, s.bps) << c.name << " @" << s.at_ms;
          EXPECT_EQ(cluster->min_packets, 5);
          EXPECT_EQ(cluster->min_bytes, s.bps * 15 / 1000 / 8);
          EXPECT_GT(cluster->id, last_id) << "ids must be fresh";
          last_id = cluster->id;
        }
        break;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ProbeControllerTest,
    ::testing::Values(
        ProbeCase{"initial exponential probes at 3x and 6x start",
                  1'000'000,
                  20'000'000,
                  {{0, Op::kPoll, 3'000'000},
                   {5, Op::kPoll, 0},  // held back 15 ms so clusters do not overlap
                   {15, Op::kPoll, 6'000'000},
                   {30, Op::kPoll, 0},
                   {500, Op::kPoll, 0}}},
        ProbeCase{"further probing while results reach 70% of the last target",
                  1'000'000,
                  20'000'000,
                  {{0, Op::kPoll, 3'000'000},
                   {15, Op::kPoll, 6'000'000},
                   {200, Op::kEstimate, 4'000'000},  // < 0.7 * 6M: no further probe
                   {210, Op::kPoll, 0},
                   {300, Op::kEstimate, 5'000'000},  // > 4.2M: probe at 2x
                   {310, Op::kPoll, 10'000'000}}},
        ProbeCase{"no result within 1 s ends the exponential phase",
                  1'000'000,
                  20'000'000,
                  {{0, Op::kPoll, 3'000'000},
                   {15, Op::kPoll, 6'000'000},
                   {1100, Op::kPoll, 0},
                   {1200, Op::kEstimate, 5'000'000},
                   {1210, Op::kPoll, 0}}},
        ProbeCase{"probes capped at max and at 2x desired",
                  1'000'000,
                  4'000'000,
                  {{0, Op::kDesired, 1'500'000},
                   {0, Op::kPoll, 3'000'000},
                   {20, Op::kPoll, 0}}},  // 6M capped to 3M (2 x desired): duplicate dropped
        ProbeCase{"probe when desired rises above the estimate",
                  1'000'000,
                  20'000'000,
                  {{0, Op::kDesired, 800'000},  // estimate >= desired: no initial probes
                   {0, Op::kPoll, 0},
                   {100, Op::kEstimate, 1'000'000},
                   {2000, Op::kDesired, 2'500'000},
                   {2000, Op::kPoll, 2'500'000},
                   {2020, Op::kPoll, 5'000'000},
                   {2040, Op::kPoll, 0}}},
        ProbeCase{"no probing when the estimate covers the desired rate",
                  1'000'000,
                  20'000'000,
                  {{0, Op::kDesired, 900'000},
                   {0, Op::kPoll, 0},
                   {2000, Op::kDesired, 950'000},  // rises, but still below the estimate
                   {2000, Op::kPoll, 0},
                   {10000, Op::kPoll, 0},
                   {20000, Op::kPoll, 0}}},
        ProbeCase{"periodic probing at 2x estimate while below desired",
                  1'000'000,
                  20'000'000,
                  {{0, Op::kDesired, 3'000'000},
                   {0, Op::kPoll, 3'000'000},
                   {15, Op::kPoll, 6'000'000},
                   {200, Op::kEstimate, 1'900'000},  // link is ~2 Mbit/s
                   {1500, Op::kPoll, 0},
                   {3000, Op::kEstimate, 500'000},  // capacity dropped
                   {4000, Op::kPoll, 0},
                   {5100, Op::kPoll, 1'000'000},    // 5 s after the last probing
                   {5300, Op::kEstimate, 950'000},  // success (> 0.7 * 1M): continue
                   {5310, Op::kPoll, 1'900'000},
                   {5500, Op::kEstimate, 1'800'000},
                   {5510, Op::kPoll, 3'600'000},
                   {5700, Op::kEstimate, 1'900'000},  // failed: < 0.7 * 3.6M
                   {5710, Op::kPoll, 0},
                   {9000, Op::kPoll, 0},
                   {10'800, Op::kPoll, 3'800'000}}},
        ProbeCase{"desired increase while probing does not queue more probes",
                  1'000'000,
                  20'000'000,
                  {{0, Op::kPoll, 3'000'000},
                   {10, Op::kDesired, 8'000'000},
                   {15, Op::kPoll, 6'000'000},
                   {30, Op::kPoll, 0}}}));

TEST(ProbeControllerTest, DisableStopsProbing) {
  ProbeController controller(1'000'000, 20'000'000);
  const Timestamp t0(milliseconds(1'000'000));
  ASSERT_TRUE(controller.NextProbeCluster(t0).has_value());
  controller.Disable();
  EXPECT_FALSE(controller.NextProbeCluster(t0 + milliseconds(20)).has_value());
  controller.SetDesiredBitrate(10'000'000, t0 + milliseconds(2000));
  EXPECT_FALSE(controller.NextProbeCluster(t0 + milliseconds(9000)).has_value());
}

struct ProbeMeasurement {
  const char* name;
  int send_spacing_us;
  int arrival_spacing_us;
  int packets;
  int lost;
  uint64_t want_min_bps;
  uint64_t want_max_bps;  // 0 = no result expected
};

class ProbeBitrateEstimatorTest : public ::testing::TestWithParam<ProbeMeasurement> {};

// A cluster of 1000-byte packets; 8000 bits per packet, so spacing 4 ms = 2 Mbit/s.
TEST_P(ProbeBitrateEstimatorTest, MeasuresClusterRate) {
  const ProbeMeasurement& m = GetParam();
  ProbeBitrateEstimator estimator;
  estimator.OnClusterCreated(7, 5, 3750);
  estimator.OnClusterCreated(8, 5, 3750);  // another cluster: must not interfere
  std::optional<uint64_t> result;
  for (int i = 0; i < m.packets; ++i) {
    if (i >= m.packets - m.lost) break;
    if (auto r = estimator.HandleProbePacket(7, 1'000'000 + i * m.send_spacing_us,
                                             5'000'000 + i * m.arrival_spacing_us, 1000)) {
      result = r;
    }
  }
  EXPECT_EQ(estimator.FetchAndResetLastEstimate(), result);
  EXPECT_FALSE(estimator.FetchAndResetLastEstimate().has_value());
  if (m.want_max_bps == 0) {
    EXPECT_FALSE(result.has_value()) << m.name;
    return;
  }
  ASSERT_TRUE(result.has_value()) << m.name;
  EXPECT_GE(*result, m.want_min_bps) << m.name;
  EXPECT_LE(*result, m.want_max_bps) << m.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ProbeBitrateEstimatorTest,
    ::testing::Values(
        // Unsaturated: arrives as sent, 2 Mbit/s.
        ProbeMeasurement{"unsaturated", 4000, 4000, 6, 0, 1'990'000, 2'010'000},
        // Bottleneck at 1 Mbit/s: arrivals 8 ms apart -> 0.95 * 1 Mbit/s.
        ProbeMeasurement{"saturated", 4000, 8000, 6, 0, 940'000, 960'000},
        // Arrivals bunched more than 2x faster than sent: not a capacity measurement.
        ProbeMeasurement{"compressed", 4000, 1000, 6, 0, 0, 0},
        // Too few packets arrived (3 of min 5 * 0.8 = 4).
        ProbeMeasurement{"too few", 4000, 4000, 6, 3, 0, 0},
        // Slightly slower arrival (within 10%): min(send, receive).
        ProbeMeasurement{"slightly slower", 4000, 4200, 6, 0, 1'900'000, 1'910'000}));

}  // namespace
}  // namespace switchyard::sfu

namespace switchyard::sfu {
namespace {

TEST(ProbeBitrateEstimatorTargetTest, UnpacedTrainIsCreditedAtMostItsTarget) {
  // 10 packets of 1000 bytes sent within 10 us (no pacer) and received 100 us apart on an
  // unconstrained path: both rates are absurdly high, the result is the cluster's target.
  ProbeBitrateEstimator estimator;
  estimator.OnClusterCreated(7, 5, 5000, 3'000'000);
  std::optional<uint64_t> result;
  for (int i = 0; i < 10; ++i) {
    if (auto r = estimator.HandleProbePacket(7, 1'000'000 + i, 5'000'000 + i * 100, 1000)) result = r;
  }
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, 3'000'000u);

  // The same train through a 1 Mbps bottleneck arrives 8 ms apart per packet: the receive
  // rate (below the target) is what counts.
  estimator.OnClusterCreated(8, 5, 5000, 3'000'000);
  result.reset();
  for (int i = 0; i < 10; ++i) {
    if (auto r = estimator.HandleProbePacket(8, 2'000'000 + i, 6'000'000 + i * 8000, 1000)) result = r;
  }
  ASSERT_TRUE(result);
  EXPECT_LT(*result, 1'100'000u);
  EXPECT_GT(*result, 700'000u);
}

}  // namespace
}  // namespace switchyard::sfu
