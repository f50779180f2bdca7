#include "sfu/bandwidth_estimator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <vector>

#include "tests/sfu/simulated_link.h"

namespace switchyard::sfu {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using transport::Duration;
using transport::FakeClock;
using transport::Timestamp;

constexpr size_t kPacketSize = 1200;

// A subscriber downlink: the sender paces packets at the estimator's target (the allocator
// always fills the estimate), switching to a probe cluster's rate while one is being sent, and
// feeds every feedback message back into the estimator.
class SimulatedCall {
 public:
  struct Sample {
    double t_s;
    uint64_t target_bps;
  };

  SimulatedCall(sim::SimulatedLink::Config link_config, uint64_t desired_bps,
                uint16_t first_seq = 65'000)
      : link_(clock_, link_config), bwe_(clock_), next_seq_(first_seq) {
    start_ = clock_.Now();
    next_send_at_ = clock_.Now();
    bwe_.SetDesiredBitrate(desired_bps, clock_.Now());
  }

  sim::SimulatedLink& link() { return link_; }
  BandwidthEstimator& bwe() { return bwe_; }
  double elapsed_s() const { return std::chrono::duration<double>(clock_.Now() - start_).count(); }
  const std::vector<Sample>& samples() const { return samples_; }
  int probes_sent() const { return probes_sent_; }

  void RunFor(Duration d) {
    const Timestamp end = clock_.Now() + d;
    while (clock_.Now() < end) {
      // Feedback is processed on a 1 ms grid; packets leave at their exact pacing times.
      const Timestamp tick = clock_.Now() + milliseconds(1);
      clock_.Set(std::min({next_send_at_, tick, end}));
      const Timestamp now = clock_.Now();
      for (const std::vector<PacketFeedback>& feedback : link_.TakeFeedback()) {
        bwe_.OnTransportFeedback(feedback, now);
      }
      if (!probe_) {
        if (auto cluster = bwe_.NextProbeCluster(now)) {
          probe_ = *cluster;
          probe_packets_ = 0;
          probe_bytes_ = 0;
          ++probes_sent_;
        }
      }
      if (now >= next_send_at_) SendOne(now);
      if (now >= next_sample_at_) {
        samples_.push_back({elapsed_s(), bwe_.target_bitrate_bps()});
        if (getenv("BWE_TRACE")) {
          std::printf("%6.2f target=%7.0f delay=%7.0f acked=%7.0f state=%d loss=%.3f drops=%lld\n",
                      elapsed_s(), bwe_.target_bitrate_bps() / 1e3, bwe_.delay_based_bps() / 1e3,
                      bwe_.acknowledged_bps().value_or(0) / 1e3,
                      static_cast<int>(bwe_.delay_state()), bwe_.loss_fraction(),
                      static_cast<long long>(link_.packets_dropped_by_queue()));
        }
        next_sample_at_ = now + milliseconds(100);
      }
    }
  }

  // Runs until `pred(target)` holds, at most `limit`; returns the time it took.
  template <typename Pred>
  std::optional<double> RunUntil(Duration limit, Pred pred) {
    const double begin = elapsed_s();
    const Timestamp end = clock_.Now() + limit;
    while (clock_.Now() < end) {
      RunFor(milliseconds(10));
      if (pred(bwe_.target_bitrate_bps())) return elapsed_s() - begin;
    }
    return std::nullopt;
  }

  // Lowest and highest `window_s` mean of the sampled target over [from_s, to_s].
  std::pair<double, double> MeanRange(double from_s, double to_s, double window_s = 1.0) const {
    double lo = 1e18;
    double hi = 0;
    for (double t = from_s; t + window_s <= to_s + 1e-9; t += window_s) {
      double sum = 0;
      int n = 0;
      for (const Sample& s : samples_) {
        if (s.t_s >= t && s.t_s < t + window_s) {
          sum += static_cast<double>(s.target_bps);
          ++n;
        }
      }
      if (n == 0) continue;
      lo = std::min(lo, sum / n);
      hi = std::max(hi, sum / n);
    }
    return {lo, hi};
  }

  // min/max of the sampled target over [from_s, to_s] of elapsed time.
  std::pair<uint64_t, uint64_t> Range(double from_s, double to_s) const {
    uint64_t lo = UINT64_MAX;
    uint64_t hi = 0;
    for (const Sample& s : samples_) {
      if (s.t_s < from_s || s.t_s > to_s) continue;
      lo = std::min(lo, s.target_bps);
      hi = std::max(hi, s.target_bps);
    }
    return {lo, hi};
  }


 private:
  void SendOne(Timestamp now) {
    uint64_t rate = bwe_.target_bitrate_bps();
    int probe_id = -1;
    if (probe_) {
      rate = probe_->target_bps;
      probe_id = probe_->id;
      ++probe_packets_;
      probe_bytes_ += kPacketSize;
      if (probe_packets_ >= probe_->min_packets && probe_bytes_ >= probe_->min_bytes) {
        probe_.reset();
      }
    }
    const uint16_t seq = next_seq_++;
    bwe_.OnPacketSent(seq, kPacketSize, now, probe_id);
    link_.Send(seq, kPacketSize);
    next_send_at_ = now + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
                              static_cast<double>(kPacketSize * 8) / static_cast<double>(rate)));
  }

  FakeClock clock_;
  sim::SimulatedLink link_;
  BandwidthEstimator bwe_;
  uint16_t next_seq_;
  Timestamp start_;
  Timestamp next_send_at_;
  Timestamp next_sample_at_{};
  std::optional<BandwidthEstimator::ProbeCluster> probe_;
  int probe_packets_ = 0;
  size_t probe_bytes_ = 0;
  int probes_sent_ = 0;
  std::vector<Sample> samples_;
};

sim::SimulatedLink::Config Link(uint64_t capacity_bps, double loss = 0.0) {
  sim::SimulatedLink::Config config;
  config.capacity_bps = capacity_bps;
  config.loss_rate = loss;
  return config;
}

struct PathParams {
  int one_way_delay_ms;
  int feedback_interval_ms;
  uint32_t seed;
};

class BandwidthEstimatorPathTest : public ::testing::TestWithParam<PathParams> {};

INSTANTIATE_TEST_SUITE_P(Paths, BandwidthEstimatorPathTest,
                         ::testing::Values(PathParams{25, 50, 1}, PathParams{10, 50, 2},
                                           PathParams{50, 100, 3}, PathParams{25, 100, 4}));

TEST_P(BandwidthEstimatorPathTest, ConvergesToBottleneckAndAdaptsToCapacityChanges) {
  sim::SimulatedLink::Config config = Link(2'000'000);
  config.one_way_delay = milliseconds(GetParam().one_way_delay_ms);
  config.feedback_interval = milliseconds(GetParam().feedback_interval_ms);
  config.seed = GetParam().seed;
  SimulatedCall call(config, /*desired_bps=*/3'000'000);

  // (a) converge to the 2 Mbps bottleneck within 10 s and stay there.
  const std::optional<double> up =
      call.RunUntil(seconds(10), [](uint64_t bps) { return bps >= 1'700'000 && bps <= 2'100'000; });
  ASSERT_TRUE(up.has_value());
  call.RunFor(seconds(20) - std::chrono::duration_cast<Duration>(
                                std::chrono::duration<double>(call.elapsed_s())));
  // "Stays there": the AIMD sawtooth between beta * throughput (0.85 * 2 Mbit/s = 1.70) and
  // slightly above capacity. The bottom of a tooth lands within a few kbit/s of 1.70 depending on
  // the throughput estimate's noise, so single samples and 1 s means get 50 kbit/s of slack below
  // 1.7 and the 10 s mean must be well inside the band.
  const auto [lo, hi] = call.Range(10.0, 20.0);
  const auto [mean_lo, mean_hi] = call.MeanRange(10.0, 20.0);
  const double mean10 = call.MeanRange(10.0, 20.0, /*window_s=*/10.0).first;
  std::printf(
      "converged in %.2f s; steady state %llu..%llu bps, 1 s means %.0f..%.0f, 10 s "
      "mean %.0f\n",
      *up, static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi), mean_lo,
      mean_hi, mean10);
  EXPECT_LE(*up, 10.0);
  EXPECT_GE(mean10, 1'750'000);
  EXPECT_LE(mean10, 2'050'000);
  EXPECT_GE(mean_lo, 1'650'000);
  EXPECT_LE(mean_hi, 2'100'000);
  EXPECT_GE(lo, 1'650'000u);
  EXPECT_LE(hi, 2'150'000u);
  EXPECT_GE(call.probes_sent(), 2);  // the initial exponential probes

  // (b) capacity drops to 500 kbit/s: below 600 kbit/s within 2 s.
  call.link().set_capacity_bps(500'000);
  const std::optional<double> down =
      call.RunUntil(seconds(5), [](uint64_t bps) { return bps < 600'000; });
  ASSERT_TRUE(down.has_value());
  std::printf("down to <600 kbps in %.2f s\n", *down);
  EXPECT_LE(*down, 2.0);
  const double drop_done = call.elapsed_s();
  call.RunFor(seconds(8));
  const auto [lo2, hi2] = call.Range(drop_done + 2, call.elapsed_s());
  std::printf("at 500 kbps: %llu..%llu bps\n", static_cast<unsigned long long>(lo2),
              static_cast<unsigned long long>(hi2));
  EXPECT_GE(lo2, 250'000u);
  EXPECT_LE(hi2, 650'000u);

  // (c) capacity returns: above 1.5 Mbit/s within 10 s.
  call.link().set_capacity_bps(2'000'000);
  const double restore = call.elapsed_s();
  const std::optional<double> back =
      call.RunUntil(seconds(15), [](uint64_t bps) { return bps > 1'500'000; });
  ASSERT_TRUE(back.has_value()) << "restored at " << restore;
  std::printf("back above 1.5 Mbps in %.2f s\n", *back);
  EXPECT_LE(*back, 10.0);
}

TEST(BandwidthEstimatorTest, ModerateRandomLossDoesNotCollapseTheEstimate) {
  // (d) 5% loss without congestion: GCC's loss controller holds between 2% and 10%.
  SimulatedCall call(Link(2'000'000, /*loss=*/0.05), /*desired_bps=*/3'000'000);
  call.RunFor(seconds(20));
  const auto [lo, hi] = call.Range(3.0, 20.0);
  std::printf("5%% loss: %llu..%llu bps, loss fraction %.3f\n", static_cast<unsigned long long>(lo),
              static_cast<unsigned long long>(hi), call.bwe().loss_fraction());
  EXPECT_GT(lo, 1'400'000u);  // > 70% of capacity
  // 1 s loss samples are noisy (about 180 packets): one under 2% allows an 8% step up, until the
  // delay-based detector sees the queue.
  EXPECT_LE(hi, 2'300'000u);
}

TEST(BandwidthEstimatorTest, HeavyRandomLossDecreasesTheEstimate) {
  // (e) 20% loss: rate *= (1 - 0.5 * loss) per loss report.
  SimulatedCall call(Link(2'000'000), /*desired_bps=*/3'000'000);
  call.RunFor(seconds(5));
  const uint64_t before = call.bwe().target_bitrate_bps();
  call.link().set_loss_rate(0.20);
  call.RunFor(seconds(5));
  const uint64_t after_5s = call.bwe().target_bitrate_bps();
  call.RunFor(seconds(5));
  const uint64_t after_10s = call.bwe().target_bitrate_bps();
  std::printf("20%% loss: %llu -> %llu (5 s) -> %llu (10 s)\n",
              static_cast<unsigned long long>(before), static_cast<unsigned long long>(after_5s),
              static_cast<unsigned long long>(after_10s));
  EXPECT_GT(before, 1'600'000u);
  // One report per second, each cutting about 10%.
  EXPECT_LT(after_5s, before * 8 / 10);
  EXPECT_LT(after_10s, before * 55 / 100);
  EXPECT_GT(call.bwe().loss_fraction(), 0.10);
}

// Sends `count` packets 10 ms apart starting at transport sequence `first` (wrapping), and
// returns the matching all-received feedback with a 20 ms one-way delay.
std::vector<PacketFeedback> SendPackets(BandwidthEstimator& bwe, FakeClock& clock, uint16_t first,
                                        int count) {
  std::vector<PacketFeedback> feedback;
  for (int i = 0; i < count; ++i) {
    const auto seq = static_cast<uint16_t>(first + i);
    bwe.OnPacketSent(seq, kPacketSize, clock.Now());
    feedback.push_back({seq, true, clock.Now().time_since_epoch().count() + 20'000});
    clock.Advance(milliseconds(10));
  }
  return feedback;
}

TEST(BandwidthEstimatorTest, RembIsUsedOnlyWithoutTransportFeedback) {
  FakeClock clock;
  BandwidthEstimator bwe(clock, {.start_bps = 800'000, .min_bps = 50'000, .max_bps = 5'000'000});
  EXPECT_EQ(bwe.target_bitrate_bps(), 800'000u);

  // (i) REMB-only subscriber: the receiver's estimate is the target, clamped to the config, and
  // no probes are sent (nobody would measure them).
  bwe.OnRemb(300'000, clock.Now());
  EXPECT_EQ(bwe.target_bitrate_bps(), 300'000u);
  bwe.OnRemb(10'000'000, clock.Now());
  EXPECT_EQ(bwe.target_bitrate_bps(), 5'000'000u);
  bwe.OnRemb(20'000, clock.Now());
  EXPECT_EQ(bwe.target_bitrate_bps(), 50'000u);
  bwe.OnRemb(600'000, clock.Now());
  EXPECT_FALSE(bwe.NextProbeCluster(clock.Now()).has_value());

  // Transport-cc feedback arrives: the send-side estimate takes over, seeded from the last REMB,
  // and later REMBs no longer move it.
  const std::vector<PacketFeedback> feedback = SendPackets(bwe, clock, 100, 20);
  bwe.OnTransportFeedback(feedback, clock.Now());
  const uint64_t twcc = bwe.target_bitrate_bps();
  EXPECT_GE(twcc, 600'000u);
  EXPECT_LE(twcc, 700'000u);
  bwe.OnRemb(100'000, clock.Now());
  EXPECT_EQ(bwe.target_bitrate_bps(), twcc);
}

TEST(BandwidthEstimatorTest, TransportFeedbackWithoutRembIgnoresLaterRemb) {
  FakeClock clock;
  BandwidthEstimator bwe(clock);
  bwe.OnTransportFeedback(SendPackets(bwe, clock, 0, 10), clock.Now());
  const uint64_t before = bwe.target_bitrate_bps();
  bwe.OnRemb(100'000, clock.Now());
  EXPECT_EQ(bwe.target_bitrate_bps(), before);
}

TEST(BandwidthEstimatorTest, SequenceNumbersWrapAround) {
  // (j) 100 packets at 1200 bytes per 10 ms (960 kbit/s) across the 16-bit wrap: every one of
  // them must be matched, so the acknowledged rate comes out right.
  FakeClock clock;
  BandwidthEstimator bwe(clock);
  const std::vector<PacketFeedback> feedback = SendPackets(bwe, clock, 65'486, 100);
  ASSERT_EQ(feedback.back().transport_sequence_number, 49);
  // Feedback in a few messages, as a receiver would send them.
  for (size_t i = 0; i < feedback.size(); i += 25) {
    bwe.OnTransportFeedback(std::span(feedback).subspan(i, 25), clock.Now());
  }
  ASSERT_TRUE(bwe.acknowledged_bps().has_value());
  EXPECT_NEAR(static_cast<double>(*bwe.acknowledged_bps()), 960'000, 60'000);
  EXPECT_EQ(bwe.loss_fraction(), 0.0);

  // Duplicates and never-sent numbers are ignored: the rate does not move.
  const uint64_t acked = *bwe.acknowledged_bps();
  bwe.OnTransportFeedback(feedback, clock.Now());
  const PacketFeedback unknown[] = {{60'000, true, 0}, {50, true, 1}, {30'000, false, 0}};
  bwe.OnTransportFeedback(unknown, clock.Now());
  EXPECT_EQ(*bwe.acknowledged_bps(), acked);
}

TEST(BandwidthEstimatorTest, LossAcrossWrapIsCounted) {
  FakeClock clock;
  BandwidthEstimator bwe(clock);
  // Two seconds of packets across the wrap; every 4th lost (25%).
  std::vector<PacketFeedback> feedback = SendPackets(bwe, clock, 65'436, 200);
  for (size_t i = 0; i < feedback.size(); i += 4) feedback[i].received = false;
  for (size_t i = 0; i < feedback.size(); i += 50) {
    bwe.OnTransportFeedback(std::span(feedback).subspan(i, 50), clock.Now());
    clock.Advance(milliseconds(600));
  }
  EXPECT_NEAR(bwe.loss_fraction(), 0.25, 0.02);
  EXPECT_LT(bwe.target_bitrate_bps(), 1'000'000u);
}

// The send history starts small and grows with the packet rate: 4000 packets sent within one
// second (more than the initial ring) are all still there when their feedback comes, so a
// quarter reported lost counts as a quarter; a slow stream keeps the small ring.
TEST(BandwidthEstimatorTest, HistoryGrowsForHighPacketRates) {
  FakeClock clock;
  BandwidthEstimator slow(clock);
  EXPECT_EQ(slow.history_capacity(), 0u);  // nothing sent: nothing allocated
  SendPackets(slow, clock, 0, 3000);        // 100 packets/s for 30 s
  EXPECT_EQ(slow.history_capacity(), BandwidthEstimator::kInitialHistorySize);

  BandwidthEstimator bwe(clock);
  std::vector<PacketFeedback> feedback;
  for (int i = 0; i < 4000; ++i) {
    const auto seq = static_cast<uint16_t>(i);
    bwe.OnPacketSent(seq, kPacketSize, clock.Now());
    feedback.push_back({seq, i % 4 != 0, clock.Now().time_since_epoch().count() + 20'000});
    clock.Advance(microseconds(250));
  }
  EXPECT_EQ(bwe.history_capacity(), 4096u);
  for (size_t i = 0; i < feedback.size(); i += 100) {
    bwe.OnTransportFeedback(std::span(feedback).subspan(i, 100), clock.Now());
    clock.Advance(milliseconds(100));
  }
  EXPECT_NEAR(bwe.loss_fraction(), 0.25, 0.02);
}

TEST(BandwidthEstimatorTest, GarbageFeedbackNeverBreaksTheEstimate) {
  FakeClock clock;
  BandwidthEstimator bwe(clock);
  std::mt19937 rng(42);
  std::vector<PacketFeedback> feedback;
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 20; ++i) {
      bwe.OnPacketSent(static_cast<uint16_t>(rng()), rng() % 2000, clock.Now(),
                       static_cast<int>(rng() % 4) - 1);
    }
    feedback.clear();
    for (int i = 0; i < 50; ++i) {
      // Half plausible (within 100 s), half anything at all.
      const int64_t arrival = rng() % 2 == 0
                                  ? static_cast<int64_t>(rng() % 100'000'000)
                                  : static_cast<int64_t>((uint64_t{rng()} << 32) | rng());
      feedback.push_back({static_cast<uint16_t>(rng()), rng() % 2 == 0, arrival});
    }
    bwe.OnTransportFeedback(feedback, clock.Now());
    bwe.NextProbeCluster(clock.Now());
    clock.Advance(milliseconds(50));
    ASSERT_GE(bwe.target_bitrate_bps(), 50'000u);
    ASSERT_LE(bwe.target_bitrate_bps(), 20'000'000u);
  }
}

TEST(BandwidthEstimatorTest, InitialProbesAreTaggedClusters) {
  FakeClock clock;
  BandwidthEstimator bwe(clock);
  bwe.SetDesiredBitrate(10'000'000, clock.Now());
  const auto first = bwe.NextProbeCluster(clock.Now());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->target_bps, 3'000'000u);
  EXPECT_EQ(first->min_packets, 5);
  EXPECT_EQ(first->min_bytes, 3'000'000u * 15 / 1000 / 8);
  clock.Advance(milliseconds(20));
  const auto second = bwe.NextProbeCluster(clock.Now());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->target_bps, 6'000'000u);
  EXPECT_NE(second->id, first->id);
}

TEST(BandwidthEstimatorTest, SuccessfulProbeRaisesTheEstimate) {
  FakeClock clock;
  BandwidthEstimator bwe(clock);
  bwe.SetDesiredBitrate(10'000'000, clock.Now());
  const auto cluster = bwe.NextProbeCluster(clock.Now());
  ASSERT_TRUE(cluster.has_value());
  // 10 packets of 1200 bytes, 4 ms apart (2.4 Mbit/s), all arriving with the same spacing.
  std::vector<PacketFeedback> feedback;
  for (uint16_t i = 0; i < 10; ++i) {
    bwe.OnPacketSent(i, kPacketSize, clock.Now(), cluster->id);
    feedback.push_back({i, true, clock.Now().time_since_epoch().count() + 30'000});
    clock.Advance(milliseconds(4));
  }
  bwe.OnTransportFeedback(feedback, clock.Now());
  EXPECT_NEAR(static_cast<double>(bwe.target_bitrate_bps()), 2'400'000, 50'000);
}

}  // namespace
}  // namespace switchyard::sfu
