#include "sfu/aimd_rate_control.h"

#include <gtest/gtest.h>

#include <optional>

namespace switchyard::sfu {
namespace {

using std::chrono::milliseconds;
using transport::Timestamp;

constexpr auto kNormal = BandwidthUsage::kNormal;
constexpr auto kOver = BandwidthUsage::kOverusing;
constexpr auto kUnder = BandwidthUsage::kUnderusing;

struct Step {
  int at_ms;
  BandwidthUsage usage;
  int acked_kbps;  // 0 = no throughput measurement
  int want_min_kbps;
  int want_max_kbps;
  AimdRateControl::State want_state;
};

struct AimdCase {
  const char* name;
  int start_kbps;
  std::vector<Step> steps;
};

class AimdRateControlTest : public ::testing::TestWithParam<AimdCase> {};

TEST_P(AimdRateControlTest, FollowsTable) {
  const AimdCase& c = GetParam();
  AimdRateControl aimd(static_cast<uint64_t>(c.start_kbps) * 1000, 50'000, 10'000'000);
  aimd.SetRtt(milliseconds(100));
  const Timestamp start(milliseconds(1'000'000));
  for (const Step& s : c.steps) {
    std::optional<uint64_t> acked;
    if (s.acked_kbps > 0) acked = static_cast<uint64_t>(s.acked_kbps) * 1000;
    const uint64_t bps = aimd.Update(s.usage, acked, start + milliseconds(s.at_ms));
    EXPECT_GE(bps, static_cast<uint64_t>(s.want_min_kbps) * 1000) << c.name << " @" << s.at_ms;
    EXPECT_LE(bps, static_cast<uint64_t>(s.want_max_kbps) * 1000) << c.name << " @" << s.at_ms;
    EXPECT_EQ(aimd.state(), s.want_state) << c.name << " @" << s.at_ms;
  }
}

using S = AimdRateControl::State;

INSTANTIATE_TEST_SUITE_P(
    Table, AimdRateControlTest,
    ::testing::Values(
        // No capacity known yet: 8% per second multiplicative increase (1.08^1 after 1 s), at
        // least 1 kbit/s per update.
        AimdCase{"multiplicative increase",
                 1000,
                 {{0, kNormal, 1000, 1001, 1001, S::kIncrease},
                  {500, kNormal, 1000, 1039, 1041, S::kIncrease},
                  {1000, kNormal, 1000, 1080, 1082, S::kIncrease}}},
        // Overuse: beta * throughput (0.85 * 900), then Hold until the detector is normal.
        AimdCase{
            "decrease to beta times throughput",
            1000,
            {{0, kOver, 900, 765, 765, S::kHold}, {100, kNormal, 900, 765, 765, S::kIncrease}}},
        // Throughput above the estimate: the decrease never raises the rate.
        AimdCase{"decrease never increases", 500, {{0, kOver, 900, 500, 500, S::kHold}}},
        // Underuse: hold while the queue drains.
        AimdCase{"underuse holds",
                 1000,
                 {{0, kNormal, 1000, 1001, 1001, S::kIncrease},
                  {500, kUnder, 1000, 1001, 1001, S::kHold},
                  {1500, kUnder, 1000, 1001, 1001, S::kHold}}},
        // After an overuse the capacity is known: additive increase of about one packet per
        // response time (RTT 100 + 100 ms). At 765 kbit/s: 25.5 kbit frames in 3 packets of
        // 8.5 kbit -> 42.5 kbit/s per second.
        AimdCase{"additive increase near capacity",
                 1000,
                 {{0, kOver, 900, 765, 765, S::kHold},
                  {100, kNormal, 900, 765, 765, S::kIncrease},
                  {1100, kNormal, 900, 805, 810, S::kIncrease}}},
        // Increase is capped at 1.5 * throughput + 10 kbit/s.
        AimdCase{"increase capped by throughput",
                 1000,
                 {{0, kNormal, 400, 1000, 1000, S::kIncrease},
                  {1000, kNormal, 400, 1000, 1000, S::kIncrease}}},
        AimdCase{"capped at 1.5x throughput when below",
                 600,
                 {{0, kNormal, 400, 601, 601, S::kIncrease},
                  {1000, kNormal, 400, 610, 610, S::kIncrease}}},
        // Never below the configured minimum.
        AimdCase{"min clamp", 100, {{0, kOver, 20, 50, 50, S::kHold}}}));

TEST(AimdRateControlTest, ReduceFurtherOncePerRttOrOnThroughputCollapse) {
  AimdRateControl aimd(1'000'000, 50'000, 10'000'000);
  aimd.SetRtt(milliseconds(100));
  const Timestamp t0(milliseconds(1'000'000));
  aimd.Update(kOver, 900'000, t0);
  EXPECT_FALSE(aimd.TimeToReduceFurther(t0 + milliseconds(50), 700'000));
  EXPECT_TRUE(aimd.TimeToReduceFurther(t0 + milliseconds(50), 300'000));  // < half of 765k
  EXPECT_TRUE(aimd.TimeToReduceFurther(t0 + milliseconds(100), 700'000));
  // RTT is clamped to 200 ms for this purpose.
  aimd.SetRtt(milliseconds(1000));
  EXPECT_TRUE(aimd.TimeToReduceFurther(t0 + milliseconds(200), 700'000));
}

TEST(AimdRateControlTest, SetEstimateClamps) {
  AimdRateControl aimd(1'000'000, 50'000, 2'000'000);
  const Timestamp t0(milliseconds(1'000'000));
  aimd.SetEstimate(5'000'000, t0);
  EXPECT_EQ(aimd.LatestEstimate(), 2'000'000u);
  aimd.SetEstimate(1'000, t0);
  EXPECT_EQ(aimd.LatestEstimate(), 50'000u);
}

}  // namespace
}  // namespace switchyard::sfu
