#ifndef SWITCHYARD_SFU_PROBE_BITRATE_ESTIMATOR_H_
#define SWITCHYARD_SFU_PROBE_BITRATE_ESTIMATOR_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace switchyard::sfu {

// Measures the rate a probe cluster was delivered at (libwebrtc's ProbeBitrateEstimator). A
// cluster is a short burst sent at a target rate; if the bottleneck is slower than the burst, the
// packets spread out on arrival and the receive rate is the bottleneck's capacity.
// Fixed-size state (the last kMaxClusters clusters), no allocation.
class ProbeBitrateEstimator {
 public:
  static constexpr size_t kMaxClusters = 8;
  // A result needs 80% of the cluster's packets and bytes.
  static constexpr double kMinReceivedProbesRatio = 0.80;
  static constexpr double kMinReceivedBytesRatio = 0.80;
  static constexpr int64_t kMaxProbeIntervalUs = 1'000'000;
  // Receiving much faster than sending means the arrival times are bunched by something other
  // than the bottleneck: the sample is invalid.
  static constexpr double kMaxValidRatio = 2.0;
  // Received below 90% of the send rate: the link saturated; aim slightly under what got through.
  static constexpr double kMinRatioForUnsaturatedLink = 0.9;
  static constexpr double kTargetUtilizationFraction = 0.95;
  // Clusters whose last packet arrived longer ago than this are forgotten.
  static constexpr int64_t kMaxClusterHistoryUs = 1'000'000;

  // Registers a cluster before its packets are sent. `target_bps` (0 = none) caps the result:
  // a sender without a pacer sends the cluster as one train, whose send rate says nothing; its
  // receive rate still measures a bottleneck below the target (a packet-pair/train estimate),
  // but an unconstrained path must not be credited with more than the probe asked for.
  void OnClusterCreated(int id, int min_packets, size_t min_bytes, uint64_t target_bps = 0);
  // One received probe packet. Returns the cluster's rate once enough of it has arrived.
  std::optional<uint64_t> HandleProbePacket(int cluster_id, int64_t send_time_us,
                                            int64_t arrival_time_us, size_t size_bytes);
  // The most recent result since the last call, if any.
  std::optional<uint64_t> FetchAndResetLastEstimate();

 private:
  struct Cluster {
    bool in_use = false;
    bool has_packets = false;
    int id = -1;
    int min_packets = 0;
    size_t min_bytes = 0;
    uint64_t target_bps = 0;
    int num_probes = 0;
    int64_t size_total = 0;
    int64_t first_send_us = 0;
    int64_t last_send_us = 0;
    int64_t first_arrival_us = 0;
    int64_t last_arrival_us = 0;
    int64_t size_last_send = 0;
    int64_t size_first_arrival = 0;
  };

  std::array<Cluster, kMaxClusters> clusters_{};
  size_t next_slot_ = 0;
  std::optional<uint64_t> last_estimate_;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PROBE_BITRATE_ESTIMATOR_H_
