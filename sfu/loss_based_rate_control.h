#ifndef SWITCHYARD_SFU_LOSS_BASED_RATE_CONTROL_H_
#define SWITCHYARD_SFU_LOSS_BASED_RATE_CONTROL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "transport/clock.h"

namespace switchyard::sfu {

// GoogCC's loss-based controller (draft-ietf-rmcat-gcc-02 section 6) and the final combination
// of the two controllers: the target is min(loss-based rate, delay-based rate).
//   loss < 2%:       increase by 8% of the lowest target of the last second, plus 1 kbit/s;
//   2% .. 10%:       hold (loss uncorrelated with congestion, e.g. a lossy radio);
//   loss > 10%:      rate *= (1 - 0.5 * loss), at most once per 300 ms + RTT.
// The loss fraction is computed once at least 20 packets have been reported.
class LossBasedRateControl {
 public:
  static constexpr double kLowLossThreshold = 0.02;
  static constexpr double kHighLossThreshold = 0.10;
  static constexpr int kMinPacketsForLoss = 20;
  static constexpr transport::Duration kIncreaseInterval = std::chrono::seconds(1);
  static constexpr transport::Duration kDecreaseInterval = std::chrono::milliseconds(300);
  // Without loss in the first two seconds the delay-based estimate (driven by the initial
  // probes) is trusted outright, so start-up is not throttled to 8%/s.
  static constexpr transport::Duration kStartPhase = std::chrono::seconds(2);

  LossBasedRateControl(uint64_t start_bps, uint64_t min_bps, uint64_t max_bps);

  // Packets reported by feedback since the last call: `lost` may be negative when packets
  // earlier reported lost were later reported received.
  void OnPacketsReported(int64_t lost, int64_t expected, transport::Timestamp now);
  // Re-evaluates the loss rule (call on every feedback).
  void UpdateEstimate(transport::Timestamp now);
  // The delay-based controller's estimate caps the target.
  void SetDelayBasedLimit(uint64_t bps, transport::Timestamp now);
  // A probe measured the path: jump to it, forgetting the increase history.
  void SetSendBitrate(uint64_t bps, transport::Timestamp now);
  void SetRtt(transport::Duration rtt) { rtt_ = rtt; }

  uint64_t target_bps() const { return target_bps_; }
  // Last computed loss fraction in [0, 1].
  double loss_fraction() const { return static_cast<double>(fraction_loss_q8_) / 256.0; }

 private:
  struct HistoryEntry {
    transport::Timestamp time;
    uint64_t bps;
  };

  void UpdateMinHistory(transport::Timestamp now);
  void SetTarget(uint64_t bps);
  bool InStartPhase(transport::Timestamp now) const;

  const uint64_t min_bps_;
  const uint64_t max_bps_;
  uint64_t target_bps_;
  uint64_t delay_based_limit_bps_;
  transport::Duration rtt_ = std::chrono::milliseconds(200);

  int64_t lost_since_update_ = 0;
  int64_t expected_since_update_ = 0;
  int fraction_loss_q8_ = 0;
  bool has_loss_report_ = false;
  bool decreased_since_last_loss_ = false;
  std::optional<transport::Timestamp> first_report_time_;
  transport::Timestamp last_loss_report_{};
  std::optional<transport::Timestamp> last_decrease_;

  // Monotonic (increasing) deque of recent targets, as a fixed ring: the front is the minimum of
  // the last kIncreaseInterval.
  static constexpr size_t kHistorySize = 64;
  std::array<HistoryEntry, kHistorySize> history_{};
  size_t history_head_ = 0;
  size_t history_count_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_LOSS_BASED_RATE_CONTROL_H_
