#include "sfu/aimd_rate_control.h"

#include <algorithm>
#include <cmath>

namespace switchyard::sfu {
namespace {

using std::chrono::duration;
using std::chrono::milliseconds;

constexpr double kMultiplicativeIncreasePerSecond = 1.08;
constexpr double kMinMultiplicativeIncreaseBps = 1000;
constexpr double kMinAdditiveIncreaseBpsPerSecond = 4000;
// Additive increase assumes a 30 fps stream of packets no larger than this.
constexpr double kFrameRate = 30;
constexpr double kMaxPacketSizeBits = 1200 * 8;
constexpr transport::Duration kResponseTimeExtra = milliseconds(100);
// Weight of a throughput sample in the link capacity average.
constexpr double kLinkCapacityAlpha = 0.05;

double Seconds(transport::Duration d) { return duration<double>(d).count(); }

}  // namespace

AimdRateControl::AimdRateControl(uint64_t start_bps, uint64_t min_bps, uint64_t max_bps)
    : min_bps_(min_bps),
      max_bps_(std::max(min_bps, max_bps)),
      current_bps_(std::clamp(start_bps, min_bps_, max_bps_)),
      latest_throughput_bps_(current_bps_) {}

uint64_t AimdRateControl::Clamp(double bps) const {
  if (!(bps > 0)) return min_bps_;
  if (bps >= static_cast<double>(max_bps_)) return max_bps_;
  return std::max(min_bps_, static_cast<uint64_t>(bps));
}

void AimdRateControl::SetEstimate(uint64_t bps, transport::Timestamp now) {
  current_bps_ = Clamp(static_cast<double>(bps));
  time_last_change_ = now;
}

bool AimdRateControl::TimeToReduceFurther(transport::Timestamp now, uint64_t acked_bps) const {
  const transport::Duration interval =
      std::clamp<transport::Duration>(rtt_, milliseconds(10), milliseconds(200));
  if (!time_last_change_ || now - *time_last_change_ >= interval) return true;
  return acked_bps < current_bps_ / 2;
}

bool AimdRateControl::InitialTimeToReduceFurther(transport::Timestamp now) const {
  return TimeToReduceFurther(now, current_bps_ / 2 > 0 ? current_bps_ / 2 - 1 : 0);
}

double AimdRateControl::NearMaxIncreaseRateBpsPerSecond() const {
  const double bits_per_frame = static_cast<double>(current_bps_) / kFrameRate;
  const double packets_per_frame = std::ceil(bits_per_frame / kMaxPacketSizeBits);
  const double avg_packet_bits = bits_per_frame / std::max(packets_per_frame, 1.0);
  const double response_time_s = Seconds(rtt_ + kResponseTimeExtra);
  return std::max(kMinAdditiveIncreaseBpsPerSecond, avg_packet_bits / response_time_s);
}

uint64_t AimdRateControl::Update(BandwidthUsage usage, std::optional<uint64_t> acked_bps,
                                 transport::Timestamp now) {
  if (acked_bps) latest_throughput_bps_ = *acked_bps;
  const double throughput = static_cast<double>(latest_throughput_bps_);
  const double throughput_kbps = throughput / 1000;

  switch (usage) {
    case BandwidthUsage::kNormal:
      if (state_ == State::kHold) {
        time_last_change_ = now;
        state_ = State::kIncrease;
      }
      break;
    case BandwidthUsage::kOverusing:
      state_ = State::kDecrease;
      break;
    case BandwidthUsage::kUnderusing:
      // The queue is draining: hold the rate until it is empty so the next increase starts from
      // a clean delay baseline.
      state_ = State::kHold;
      break;
  }

  double new_bps = static_cast<double>(current_bps_);
  switch (state_) {
    case State::kHold:
      break;
    case State::kIncrease: {
      if (link_capacity_kbps_ && throughput_kbps > LinkCapacityUpperKbps()) {
        // Throughput is well above what the link carried at the last overuse: the capacity has
        // changed, go back to multiplicative search.
        link_capacity_kbps_.reset();
      }
      // Never run far ahead of what is actually being delivered.
      const double limit = 1.5 * throughput + 10'000;
      if (new_bps < limit) {
        const double elapsed_s =
            time_last_change_ ? std::min(Seconds(now - *time_last_change_), 1.0) : 0.0;
        double increase;
        if (link_capacity_kbps_) {
          increase = NearMaxIncreaseRateBpsPerSecond() * std::max(elapsed_s, 0.0);
        } else {
          const double alpha = std::pow(kMultiplicativeIncreasePerSecond, std::max(elapsed_s, 0.0));
          increase = std::max(new_bps * (alpha - 1.0), kMinMultiplicativeIncreaseBps);
        }
        new_bps = std::min(new_bps + increase, limit);
      }
      time_last_change_ = now;
      break;
    }
    case State::kDecrease: {
      // Slightly below the measured throughput, so the queue built by the overuse drains.
      double decreased = kBeta * throughput;
      if (decreased > new_bps && link_capacity_kbps_)
        decreased = kBeta * *link_capacity_kbps_ * 1000;
      if (decreased < new_bps) new_bps = decreased;
      if (link_capacity_kbps_ && throughput_kbps < LinkCapacityLowerKbps()) {
        link_capacity_kbps_.reset();
      }
      UpdateLinkCapacity(throughput_kbps, kLinkCapacityAlpha);
      state_ = State::kHold;
      time_last_change_ = now;
      break;
    }
  }
  current_bps_ = Clamp(new_bps);
  return current_bps_;
}

void AimdRateControl::UpdateLinkCapacity(double sample_kbps, double alpha) {
  if (!link_capacity_kbps_) {
    link_capacity_kbps_ = sample_kbps;
  } else {
    link_capacity_kbps_ = (1 - alpha) * *link_capacity_kbps_ + alpha * sample_kbps;
  }
  // Variance normalized by the estimate; the clamp keeps the bounds between about 14 and 35
  // kbit/s at 500 kbit/s.
  const double norm = std::max(*link_capacity_kbps_, 1.0);
  const double error = *link_capacity_kbps_ - sample_kbps;
  link_capacity_var_ = (1 - alpha) * link_capacity_var_ + alpha * error * error / norm;
  link_capacity_var_ = std::clamp(link_capacity_var_, 0.4, 2.5);
}

double AimdRateControl::LinkCapacityUpperKbps() const {
  const double estimate = link_capacity_kbps_.value_or(0);
  return estimate + 3 * std::sqrt(link_capacity_var_ * estimate);
}

double AimdRateControl::LinkCapacityLowerKbps() const {
  const double estimate = link_capacity_kbps_.value_or(0);
  return std::max(0.0, estimate - 3 * std::sqrt(link_capacity_var_ * estimate));
}

}  // namespace switchyard::sfu
