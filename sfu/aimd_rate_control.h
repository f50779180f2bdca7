#ifndef SWITCHYARD_SFU_AIMD_RATE_CONTROL_H_
#define SWITCHYARD_SFU_AIMD_RATE_CONTROL_H_

#include <cstdint>
#include <optional>

#include "sfu/bandwidth_usage.h"
#include "transport/clock.h"

namespace switchyard::sfu {

// The delay-based rate controller of GoogCC (draft-ietf-rmcat-gcc-02 section 5.5): a state
// machine (Hold / Increase / Decrease) driven by the overuse detector. On overuse the rate drops
// to beta * measured throughput; otherwise it grows multiplicatively (8%/s) while the link
// capacity is unknown, and additively (about one packet per response time) once the rate is
// near a previously measured capacity.
class AimdRateControl {
 public:
  enum class State { kHold, kIncrease, kDecrease };

  static constexpr double kBeta = 0.85;
  static constexpr transport::Duration kDefaultRtt = std::chrono::milliseconds(200);

  AimdRateControl(uint64_t start_bps, uint64_t min_bps, uint64_t max_bps);

  void SetRtt(transport::Duration rtt) { rtt_ = rtt; }
  // Forces the estimate (probe result, fallback); counts as a rate change.
  void SetEstimate(uint64_t bps, transport::Timestamp now);
  // Feeds one detector verdict with the acknowledged throughput (if known). Returns the estimate.
  uint64_t Update(BandwidthUsage usage, std::optional<uint64_t> acked_bps,
                  transport::Timestamp now);

  // While overusing, a further reduction is allowed once per RTT (clamped to [10, 200] ms) or at
  // once when throughput has fallen below half the estimate.
  bool TimeToReduceFurther(transport::Timestamp now, uint64_t acked_bps) const;
  // The same rule before any throughput has been measured.
  bool InitialTimeToReduceFurther(transport::Timestamp now) const;

  uint64_t LatestEstimate() const { return current_bps_; }
  State state() const { return state_; }
  bool has_link_capacity() const { return link_capacity_kbps_.has_value(); }
  double link_capacity_kbps() const { return link_capacity_kbps_.value_or(0); }
  // Additive increase rate used near the link capacity: one average packet per response time.
  double NearMaxIncreaseRateBpsPerSecond() const;

 private:
  uint64_t Clamp(double bps) const;
  // Link capacity tracking (exponential average of throughput at overuse, with a normalized
  // variance): decides between additive and multiplicative increase.
  void UpdateLinkCapacity(double sample_kbps, double alpha);
  double LinkCapacityUpperKbps() const;
  double LinkCapacityLowerKbps() const;

  const uint64_t min_bps_;
  const uint64_t max_bps_;
  uint64_t current_bps_;
  uint64_t latest_throughput_bps_;
  State state_ = State::kHold;
  transport::Duration rtt_ = kDefaultRtt;
  std::optional<transport::Timestamp> time_last_change_;
  std::optional<double> link_capacity_kbps_;
  double link_capacity_var_ = 0.4;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_AIMD_RATE_CONTROL_H_
