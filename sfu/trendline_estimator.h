#ifndef SWITCHYARD_SFU_TRENDLINE_ESTIMATOR_H_
#define SWITCHYARD_SFU_TRENDLINE_ESTIMATOR_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "sfu/bandwidth_usage.h"

namespace switchyard::sfu {

// Delay-gradient overuse detector of GoogCC (draft-ietf-rmcat-gcc-02 sections 5.3-5.5, in the
// trendline form libwebrtc replaced the Kalman filter with): the one-way delay variation between
// packet groups is accumulated, exponentially smoothed, and a least-squares line is fitted over
// the last `kWindowSize` groups. The slope (queue growth per unit time, roughly
// (send_rate - capacity) / capacity) is compared against an adaptive threshold.
// Allocation free: the window is a fixed ring.
class TrendlineEstimator {
 public:
  static constexpr size_t kWindowSize = 20;
  static constexpr double kSmoothingCoef = 0.9;
  static constexpr double kThresholdGain = 4.0;
  // The slope is scaled by min(num_deltas, 60) so that early, noisy estimates are damped.
  static constexpr int kMinNumDeltas = 60;
  static constexpr int kDeltaCounterMax = 1000;
  // Overuse must persist this long (and over two samples) before it is signalled (section 5.4).
  static constexpr double kOverusingTimeThresholdMs = 10.0;
  // Adaptive threshold (section 5.4): gamma moves toward |m| at k_up when exceeded and k_down
  // when not, clamped to [6, 600]; samples far above it (a sudden capacity drop) do not adapt it.
  static constexpr double kUp = 0.0087;
  static constexpr double kDown = 0.039;
  static constexpr double kInitialThreshold = 12.5;
  static constexpr double kMinThreshold = 6.0;
  static constexpr double kMaxThreshold = 600.0;
  static constexpr double kMaxAdaptOffsetMs = 15.0;
  static constexpr int64_t kMaxTimeDeltaMs = 100;

  // One inter-group sample: arrival and send deltas between two consecutive groups, and the
  // arrival time of the newer group (receiver clock, ms).
  void Update(double recv_delta_ms, double send_delta_ms, int64_t arrival_time_ms);
  BandwidthUsage State() const { return hypothesis_; }
  void Reset();

  // For tests and diagnostics.
  double threshold() const { return threshold_; }
  double trend() const { return prev_trend_; }
  double modified_trend() const { return prev_modified_trend_; }

 private:
  struct Sample {
    double arrival_time_ms;
    double smoothed_delay_ms;
  };

  bool LinearFitSlope(double* slope) const;
  void Detect(double trend, double ts_delta_ms, int64_t now_ms);
  void UpdateThreshold(double modified_trend, int64_t now_ms);

  int num_of_deltas_ = 0;
  bool has_first_arrival_ = false;
  int64_t first_arrival_time_ms_ = 0;
  double accumulated_delay_ = 0;
  double smoothed_delay_ = 0;
  std::array<Sample, kWindowSize> window_{};
  size_t window_count_ = 0;
  size_t window_head_ = 0;  // index of the oldest sample

  double threshold_ = kInitialThreshold;
  double prev_modified_trend_ = 0;
  bool has_last_update_ = false;
  int64_t last_update_ms_ = 0;
  double prev_trend_ = 0;
  double time_over_using_ms_ = -1;
  int overuse_counter_ = 0;
  BandwidthUsage hypothesis_ = BandwidthUsage::kNormal;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_TRENDLINE_ESTIMATOR_H_
