#ifndef SWITCHYARD_SFU_PROBE_CONTROLLER_H_
#define SWITCHYARD_SFU_PROBE_CONTROLLER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>

#include "transport/clock.h"

namespace switchyard::sfu {

// Decides when to send probe clusters above the current estimate (libwebrtc's ProbeController).
// The delay-based controller only climbs at 8%/s (or additively near a known capacity); a
// 15 ms burst at a target rate measures in one round trip whether that rate fits.
//  - Start: two exponential probes at 3x and 6x the start rate; while results keep coming in
//    above 70% of the last target, probe again at 2x the result.
//  - The allocator's desired rate rises above the estimate: probe at 1x and 2x the desired rate.
//  - Periodically (every 5 s) while the estimate stays below the desired rate: probe at 2x the
//    estimate, again continuing exponentially on success. This is how the estimate recovers after
//    the capacity comes back, since a sender pinned to the estimate never sends more on its own.
// No probe is issued while the estimate already covers the desired rate. Probe targets are
// capped at min(max_bps, 2x desired). Pure logic, fixed-size state.
class ProbeController {
 public:
  struct Cluster {
    int id;
    uint64_t target_bps;
    int min_packets;
    size_t min_bytes;
  };

  static constexpr double kFirstExponentialProbeScale = 3.0;
  static constexpr double kSecondExponentialProbeScale = 6.0;
  static constexpr double kFurtherExponentialProbeScale = 2.0;
  static constexpr double kFurtherProbeThreshold = 0.7;
  static constexpr double kPeriodicProbeScale = 2.0;
  static constexpr double kAllocationProbeScales[] = {1.0, 2.0};
  static constexpr transport::Duration kMaxWaitingTimeForProbingResult = std::chrono::seconds(1);
  static constexpr transport::Duration kPeriodicProbeInterval = std::chrono::seconds(5);
  static constexpr int kMinProbePackets = 5;
  static constexpr transport::Duration kMinProbeDuration = std::chrono::milliseconds(15);
  static constexpr size_t kMaxPending = 4;

  ProbeController(uint64_t start_bps, uint64_t max_bps);

  // Sum of the layers the allocator would like to send (0 = unknown).
  void SetDesiredBitrate(uint64_t bps, transport::Timestamp now);
  // Every new target estimate (including those produced by probe results).
  void SetEstimatedBitrate(uint64_t bps, transport::Timestamp now);
  // The next cluster to send, if one is due. Returns at most one per call; successive clusters are
  // held back kMinProbeDuration apart so a caller polling every tick does not overlap them.
  std::optional<Cluster> NextProbeCluster(transport::Timestamp now);
  // Drops pending probes and stops all probing (e.g. the peer has no transport-cc feedback).
  void Disable();

 private:
  enum class State { kInit, kWaitingForResult, kComplete };

  void Process(transport::Timestamp now);
  void InitiateProbing(std::initializer_list<double> targets_bps, bool probe_further,
                       transport::Timestamp now);
  uint64_t ProbeCap() const;
  bool EstimateBelowDesired() const { return desired_bps_ > 0 && estimate_bps_ < desired_bps_; }

  const uint64_t max_bps_;
  uint64_t estimate_bps_;
  uint64_t desired_bps_ = 0;
  bool enabled_ = true;
  State state_ = State::kInit;
  double min_bitrate_to_probe_further_ = 0;  // 0 = none
  std::optional<transport::Timestamp> time_last_probing_initiated_;
  std::optional<transport::Timestamp> last_released_;
  int next_id_ = 1;

  std::array<uint64_t, kMaxPending> pending_{};
  size_t pending_count_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PROBE_CONTROLLER_H_
