#include "sfu/probe_controller.h"

#include <algorithm>
#include <chrono>

namespace switchyard::sfu {

ProbeController::ProbeController(uint64_t start_bps, uint64_t max_bps)
    : max_bps_(max_bps), estimate_bps_(start_bps) {}

void ProbeController::SetDesiredBitrate(uint64_t bps, transport::Timestamp now) {
  const uint64_t previous = desired_bps_;
  desired_bps_ = bps;
  if (!enabled_ || state_ != State::kComplete) return;
  if (bps > previous && estimate_bps_ < bps && estimate_bps_ < max_bps_) {
    const double desired = static_cast<double>(bps);
    InitiateProbing({kAllocationProbeScales[0] * desired, kAllocationProbeScales[1] * desired},
                    /*probe_further=*/false, now);
  }
}

void ProbeController::SetEstimatedBitrate(uint64_t bps, transport::Timestamp now) {
  estimate_bps_ = bps;
  if (!enabled_) return;
  if (state_ == State::kWaitingForResult && min_bitrate_to_probe_further_ > 0 &&
      static_cast<double>(bps) > min_bitrate_to_probe_further_) {
    // The last probe got through almost entirely: the capacity may be higher still.
    InitiateProbing({kFurtherExponentialProbeScale * static_cast<double>(bps)},
                    /*probe_further=*/true, now);
  }
}

std::optional<ProbeController::Cluster> ProbeController::NextProbeCluster(
    transport::Timestamp now) {
  if (!enabled_) return std::nullopt;
  Process(now);
  if (pending_count_ == 0) return std::nullopt;
  if (last_released_ && now - *last_released_ < kMinProbeDuration) return std::nullopt;
  const uint64_t target = pending_[0];
  std::copy(pending_.begin() + 1, pending_.begin() + pending_count_, pending_.begin());
  --pending_count_;
  last_released_ = now;
  // Long enough to span several packet groups at the receiver (15 ms), and at least 5 packets
  // so one late packet cannot dominate the rate.
  const size_t min_bytes = static_cast<size_t>(
      static_cast<double>(target) * std::chrono::duration<double>(kMinProbeDuration).count() / 8);
  return Cluster{next_id_++ & 0x3fff, target, kMinProbePackets, min_bytes};
}

void ProbeController::Disable() {
  enabled_ = false;
  pending_count_ = 0;
}

void ProbeController::Process(transport::Timestamp now) {
  if (state_ == State::kInit) {
    if (desired_bps_ > 0 && estimate_bps_ >= desired_bps_) {
      state_ = State::kComplete;
      time_last_probing_initiated_ = now;
      return;
    }
    const double start = static_cast<double>(estimate_bps_);
    InitiateProbing({kFirstExponentialProbeScale * start, kSecondExponentialProbeScale * start},
                    /*probe_further=*/true, now);
    return;
  }
  if (time_last_probing_initiated_ &&
      now - *time_last_probing_initiated_ > kMaxWaitingTimeForProbingResult) {
    if (state_ == State::kWaitingForResult) state_ = State::kComplete;
    min_bitrate_to_probe_further_ = 0;
  }
  if (state_ == State::kComplete && pending_count_ == 0 && EstimateBelowDesired() &&
      (!time_last_probing_initiated_ ||
       now - *time_last_probing_initiated_ >= kPeriodicProbeInterval)) {
    InitiateProbing({kPeriodicProbeScale * static_cast<double>(estimate_bps_)},
                    /*probe_further=*/true, now);
  }
}

uint64_t ProbeController::ProbeCap() const {
  if (desired_bps_ == 0) return max_bps_;
  return std::min(max_bps_, 2 * desired_bps_);
}

void ProbeController::InitiateProbing(std::initializer_list<double> targets_bps, bool probe_further,
                                      transport::Timestamp now) {
  const uint64_t cap = ProbeCap();
  double last_target = 0;
  for (double target : targets_bps) {
    uint64_t bps = static_cast<uint64_t>(target);
    if (bps >= cap) {
      bps = cap;
      probe_further = false;  // nothing left to discover above the cap
    }
    if (bps <= estimate_bps_ || pending_count_ == kMaxPending) continue;
    if (pending_count_ > 0 && pending_[pending_count_ - 1] == bps) continue;
    pending_[pending_count_++] = bps;
    last_target = static_cast<double>(bps);
  }
  time_last_probing_initiated_ = now;
  if (probe_further && last_target > 0) {
    state_ = State::kWaitingForResult;
    min_bitrate_to_probe_further_ = kFurtherProbeThreshold * last_target;
  } else {
    state_ = State::kComplete;
    min_bitrate_to_probe_further_ = 0;
  }
}

}  // namespace switchyard::sfu
