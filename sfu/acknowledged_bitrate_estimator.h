#ifndef SWITCHYARD_SFU_ACKNOWLEDGED_BITRATE_ESTIMATOR_H_
#define SWITCHYARD_SFU_ACKNOWLEDGED_BITRATE_ESTIMATOR_H_

#include <cstddef>
#include <cstdint>
#include <optional>

namespace switchyard::sfu {

// Throughput actually delivered to the receiver, from the arrival times reported in
// transport-wide feedback (libwebrtc's BitrateEstimator): bytes are summed over fixed windows of
// receiver time (500 ms for the first sample, 150 ms after), and each window's rate updates a
// Bayesian estimate whose sample variance grows with the sample's distance from the estimate,
// so single outlier windows move it little.
class AcknowledgedBitrateEstimator {
 public:
  static constexpr int64_t kInitialWindowMs = 500;
  static constexpr int64_t kWindowMs = 150;
  static constexpr double kUncertaintyScale = 10.0;

  // One received packet, in arrival order (receiver clock, microseconds).
  void Update(int64_t arrival_time_us, size_t size_bytes);
  std::optional<uint64_t> bitrate_bps() const;

 private:
  // Returns the rate (kbps) of a window that just completed, or a negative value.
  double UpdateWindow(int64_t now_ms, size_t bytes, int64_t window_ms);

  bool has_prev_time_ = false;
  int64_t prev_time_ms_ = 0;
  int64_t sum_bytes_ = 0;
  int64_t current_window_ms_ = 0;
  double estimate_kbps_ = -1;
  double estimate_var_ = 50;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_ACKNOWLEDGED_BITRATE_ESTIMATOR_H_
