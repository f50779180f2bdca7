#include "sfu/acknowledged_bitrate_estimator.h"

#include <cmath>

namespace switchyard::sfu {

void AcknowledgedBitrateEstimator::Update(int64_t arrival_time_us, size_t size_bytes) {
  const int64_t now_ms = arrival_time_us / 1000;
  // A longer first window gives a stable sample to initialize from.
  const int64_t window_ms = estimate_kbps_ < 0 ? kInitialWindowMs : kWindowMs;
  const double sample_kbps = UpdateWindow(now_ms, size_bytes, window_ms);
  if (sample_kbps < 0) return;
  if (estimate_kbps_ < 0) {
    estimate_kbps_ = sample_kbps;
    return;
  }
  const double sample_uncertainty =
      kUncertaintyScale * std::fabs(estimate_kbps_ - sample_kbps) / estimate_kbps_;
  const double sample_var = sample_uncertainty * sample_uncertainty;
  // The estimate's own variance grows with every update: the true rate drifts over time.
  const double pred_var = estimate_var_ + 5.0;
  estimate_kbps_ = (sample_var * estimate_kbps_ + pred_var * sample_kbps) / (sample_var + pred_var);
  estimate_var_ = sample_var * pred_var / (sample_var + pred_var);
}

std::optional<uint64_t> AcknowledgedBitrateEstimator::bitrate_bps() const {
  if (estimate_kbps_ <= 0) return std::nullopt;
  return static_cast<uint64_t>(estimate_kbps_ * 1000);
}

double AcknowledgedBitrateEstimator::UpdateWindow(int64_t now_ms, size_t bytes, int64_t window_ms) {
  if (has_prev_time_ && now_ms < prev_time_ms_) {
    // Receiver time went backwards (a new clock domain): start over.
    has_prev_time_ = false;
    sum_bytes_ = 0;
    current_window_ms_ = 0;
  }
  if (has_prev_time_) {
    current_window_ms_ += now_ms - prev_time_ms_;
    // Nothing received for a whole window: the previous window was likely not full, and its
    // sample would understate the rate.
    if (now_ms - prev_time_ms_ > window_ms) {
      sum_bytes_ = 0;
      current_window_ms_ %= window_ms;
    }
  }
  has_prev_time_ = true;
  prev_time_ms_ = now_ms;
  double sample_kbps = -1;
  if (current_window_ms_ >= window_ms) {
    sample_kbps = 8.0 * static_cast<double>(sum_bytes_) / static_cast<double>(window_ms);
    current_window_ms_ -= window_ms;
    sum_bytes_ = 0;
  }
  sum_bytes_ += static_cast<int64_t>(bytes);
  return sample_kbps;
}

}  // namespace switchyard::sfu
