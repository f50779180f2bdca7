#include "sfu/trendline_estimator.h"

#include <algorithm>
#include <cmath>

namespace switchyard::sfu {

void TrendlineEstimator::Update(double recv_delta_ms, double send_delta_ms,
                                int64_t arrival_time_ms) {
  const double delta_ms = recv_delta_ms - send_delta_ms;
  num_of_deltas_ = std::min(num_of_deltas_ + 1, kDeltaCounterMax);
  if (!has_first_arrival_) {
    has_first_arrival_ = true;
    first_arrival_time_ms_ = arrival_time_ms;
  }

  accumulated_delay_ += delta_ms;
  smoothed_delay_ = kSmoothingCoef * smoothed_delay_ + (1 - kSmoothingCoef) * accumulated_delay_;

  const Sample sample{static_cast<double>(arrival_time_ms - first_arrival_time_ms_),
                      smoothed_delay_};
  if (window_count_ < kWindowSize) {
    window_[(window_head_ + window_count_) % kWindowSize] = sample;
    ++window_count_;
  } else {
    window_[window_head_] = sample;
    window_head_ = (window_head_ + 1) % kWindowSize;
  }

  double trend = prev_trend_;
  if (window_count_ == kWindowSize) {
    double slope = 0;
    if (LinearFitSlope(&slope)) trend = slope;
  }
  Detect(trend, send_delta_ms, arrival_time_ms);
}

void TrendlineEstimator::Reset() { *this = TrendlineEstimator(); }

bool TrendlineEstimator::LinearFitSlope(double* slope) const {
  double sum_x = 0;
  double sum_y = 0;
  for (size_t i = 0; i < window_count_; ++i) {
    sum_x += window_[i].arrival_time_ms;
    sum_y += window_[i].smoothed_delay_ms;
  }
  const double x_avg = sum_x / static_cast<double>(window_count_);
  const double y_avg = sum_y / static_cast<double>(window_count_);
  double numerator = 0;
  double denominator = 0;
  for (size_t i = 0; i < window_count_; ++i) {
    const double dx = window_[i].arrival_time_ms - x_avg;
    numerator += dx * (window_[i].smoothed_delay_ms - y_avg);
    denominator += dx * dx;
  }
  if (denominator == 0) return false;
  *slope = numerator / denominator;
  return true;
}

void TrendlineEstimator::Detect(double trend, double ts_delta_ms, int64_t now_ms) {
  if (num_of_deltas_ < 2) {
    hypothesis_ = BandwidthUsage::kNormal;
    return;
  }
  const double modified_trend = std::min(num_of_deltas_, kMinNumDeltas) * trend * kThresholdGain;
  prev_modified_trend_ = modified_trend;
  if (modified_trend > threshold_) {
    if (time_over_using_ms_ < 0) {
      // Assume the queue has been growing for half the time since the previous sample.
      time_over_using_ms_ = ts_delta_ms / 2;
    } else {
      time_over_using_ms_ += ts_delta_ms;
    }
    ++overuse_counter_;
    if (time_over_using_ms_ > kOverusingTimeThresholdMs && overuse_counter_ > 1 &&
        trend >= prev_trend_) {
      time_over_using_ms_ = 0;
      overuse_counter_ = 0;
      hypothesis_ = BandwidthUsage::kOverusing;
    }
  } else if (modified_trend < -threshold_) {
    time_over_using_ms_ = -1;
    overuse_counter_ = 0;
    hypothesis_ = BandwidthUsage::kUnderusing;
  } else {
    time_over_using_ms_ = -1;
    overuse_counter_ = 0;
    hypothesis_ = BandwidthUsage::kNormal;
  }
  prev_trend_ = trend;
  UpdateThreshold(modified_trend, now_ms);
}

void TrendlineEstimator::UpdateThreshold(double modified_trend, int64_t now_ms) {
  if (!has_last_update_) {
    has_last_update_ = true;
    last_update_ms_ = now_ms;
  }
  const double magnitude = std::fabs(modified_trend);
  if (magnitude > threshold_ + kMaxAdaptOffsetMs) {
    // A latency spike (e.g. a sudden capacity drop) must not drag the threshold up, or the next
    // real overuse would go unnoticed (section 5.4).
    last_update_ms_ = now_ms;
    return;
  }
  const double k = magnitude < threshold_ ? kDown : kUp;
  const int64_t time_delta_ms = std::clamp<int64_t>(now_ms - last_update_ms_, 0, kMaxTimeDeltaMs);
  threshold_ += k * (magnitude - threshold_) * static_cast<double>(time_delta_ms);
  threshold_ = std::clamp(threshold_, kMinThreshold, kMaxThreshold);
  last_update_ms_ = now_ms;
}

}  // namespace switchyard::sfu
