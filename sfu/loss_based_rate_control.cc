#include "sfu/loss_based_rate_control.h"

#include <algorithm>

namespace switchyard::sfu {
namespace {
// A loss report older than this is stale; the rule is not applied on it.
constexpr transport::Duration kLossReportTimeout = std::chrono::milliseconds(6000);
}  // namespace

LossBasedRateControl::LossBasedRateControl(uint64_t start_bps, uint64_t min_bps, uint64_t max_bps)
    : min_bps_(min_bps),
      max_bps_(std::max(min_bps, max_bps)),
      target_bps_(std::clamp(start_bps, min_bps_, max_bps_)),
      delay_based_limit_bps_(max_bps_) {}

void LossBasedRateControl::OnPacketsReported(int64_t lost, int64_t expected,
                                             transport::Timestamp now) {
  if (!first_report_time_) first_report_time_ = now;
  lost_since_update_ += lost;
  expected_since_update_ += expected;
  if (expected_since_update_ < kMinPacketsForLoss) return;
  const int64_t lost_q8 = std::max<int64_t>(lost_since_update_, 0) << 8;
  fraction_loss_q8_ = static_cast<int>(std::min<int64_t>(lost_q8 / expected_since_update_, 255));
  lost_since_update_ = 0;
  expected_since_update_ = 0;
  has_loss_report_ = true;
  last_loss_report_ = now;
  decreased_since_last_loss_ = false;
  UpdateEstimate(now);
}

bool LossBasedRateControl::InStartPhase(transport::Timestamp now) const {
  return !first_report_time_ || now - *first_report_time_ < kStartPhase;
}

void LossBasedRateControl::UpdateEstimate(transport::Timestamp now) {
  if (fraction_loss_q8_ == 0 && InStartPhase(now) && delay_based_limit_bps_ > target_bps_ &&
      delay_based_limit_bps_ < max_bps_) {
    history_count_ = 0;
    SetTarget(delay_based_limit_bps_);
    UpdateMinHistory(now);
    return;
  }
  UpdateMinHistory(now);
  if (!has_loss_report_ || now - last_loss_report_ > kLossReportTimeout) {
    SetTarget(target_bps_);
    return;
  }
  const double loss = loss_fraction();
  if (loss <= kLowLossThreshold) {
    const HistoryEntry& oldest_min = history_[history_head_];
    SetTarget(static_cast<uint64_t>(static_cast<double>(oldest_min.bps) * 1.08 + 0.5) + 1000);
    return;
  }
  if (loss > kHighLossThreshold && !decreased_since_last_loss_ &&
      (!last_decrease_ || now - *last_decrease_ >= kDecreaseInterval + rtt_)) {
    last_decrease_ = now;
    decreased_since_last_loss_ = true;
    SetTarget(static_cast<uint64_t>(static_cast<double>(target_bps_) *
                                    static_cast<double>(512 - fraction_loss_q8_) / 512.0));
    return;
  }
  SetTarget(target_bps_);
}

void LossBasedRateControl::SetDelayBasedLimit(uint64_t bps, transport::Timestamp now) {
  (void)now;
  delay_based_limit_bps_ = bps == 0 ? max_bps_ : bps;
  SetTarget(target_bps_);
}

void LossBasedRateControl::SetSendBitrate(uint64_t bps, transport::Timestamp now) {
  delay_based_limit_bps_ = max_bps_;
  SetTarget(bps);
  history_count_ = 0;
  UpdateMinHistory(now);
}

void LossBasedRateControl::SetTarget(uint64_t bps) {
  bps = std::min({bps, delay_based_limit_bps_, max_bps_});
  target_bps_ = std::max(bps, min_bps_);
}

void LossBasedRateControl::UpdateMinHistory(transport::Timestamp now) {
  // Drop entries older than the increase interval (+1 ms so a sample exactly one interval old
  // still allows the increase).
  while (history_count_ > 0 &&
         now - history_[history_head_].time + std::chrono::milliseconds(1) > kIncreaseInterval) {
    history_head_ = (history_head_ + 1) % kHistorySize;
    --history_count_;
  }
  // Sliding-window minimum: drop newer entries not lower than the current target.
  while (history_count_ > 0 &&
         history_[(history_head_ + history_count_ - 1) % kHistorySize].bps >= target_bps_) {
    --history_count_;
  }
  if (history_count_ == kHistorySize) {
    history_head_ = (history_head_ + 1) % kHistorySize;
    --history_count_;
  }
  history_[(history_head_ + history_count_) % kHistorySize] = HistoryEntry{now, target_bps_};
  ++history_count_;
}

}  // namespace switchyard::sfu
