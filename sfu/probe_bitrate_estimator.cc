#include "sfu/probe_bitrate_estimator.h"

#include <algorithm>

namespace switchyard::sfu {

void ProbeBitrateEstimator::OnClusterCreated(int id, int min_packets, size_t min_bytes,
                                             uint64_t target_bps) {
  Cluster& slot = clusters_[next_slot_];
  next_slot_ = (next_slot_ + 1) % kMaxClusters;
  slot = Cluster{};
  slot.in_use = true;
  slot.id = id;
  slot.min_packets = min_packets;
  slot.min_bytes = min_bytes;
  slot.target_bps = target_bps;
}

std::optional<uint64_t> ProbeBitrateEstimator::HandleProbePacket(int cluster_id,
                                                                 int64_t send_time_us,
                                                                 int64_t arrival_time_us,
                                                                 size_t size_bytes) {
  Cluster* cluster = nullptr;
  for (Cluster& c : clusters_) {
    if (!c.in_use) continue;
    if (c.has_packets && arrival_time_us - c.last_arrival_us > kMaxClusterHistoryUs) {
      c.in_use = false;  // stale
      continue;
    }
    if (c.id == cluster_id) cluster = &c;
  }
  if (cluster == nullptr) return std::nullopt;

  const int64_t size = static_cast<int64_t>(size_bytes);
  if (!cluster->has_packets) {
    cluster->has_packets = true;
    cluster->first_send_us = cluster->last_send_us = send_time_us;
    cluster->first_arrival_us = cluster->last_arrival_us = arrival_time_us;
    cluster->size_last_send = cluster->size_first_arrival = size;
  } else {
    if (send_time_us < cluster->first_send_us) cluster->first_send_us = send_time_us;
    if (send_time_us > cluster->last_send_us) {
      cluster->last_send_us = send_time_us;
      cluster->size_last_send = size;
    }
    if (arrival_time_us < cluster->first_arrival_us) {
      cluster->first_arrival_us = arrival_time_us;
      cluster->size_first_arrival = size;
    }
    if (arrival_time_us > cluster->last_arrival_us) cluster->last_arrival_us = arrival_time_us;
  }
  cluster->size_total += size;
  cluster->num_probes += 1;

  if (cluster->num_probes < kMinReceivedProbesRatio * cluster->min_packets ||
      static_cast<double>(cluster->size_total) <
          kMinReceivedBytesRatio * static_cast<double>(cluster->min_bytes)) {
    return std::nullopt;
  }
  const int64_t send_interval = cluster->last_send_us - cluster->first_send_us;
  const int64_t receive_interval = cluster->last_arrival_us - cluster->first_arrival_us;
  if (send_interval <= 0 || send_interval > kMaxProbeIntervalUs || receive_interval <= 0 ||
      receive_interval > kMaxProbeIntervalUs) {
    return std::nullopt;
  }
  // The send interval ends when the last packet starts going out, so that packet's bytes are not
  // part of it; likewise the receive interval starts when the first packet has fully arrived.
  const double send_bps = 8e6 * static_cast<double>(cluster->size_total - cluster->size_last_send) /
                          static_cast<double>(send_interval);
  const double receive_bps =
      8e6 * static_cast<double>(cluster->size_total - cluster->size_first_arrival) /
      static_cast<double>(receive_interval);
  if (send_bps <= 0 || receive_bps / send_bps > kMaxValidRatio) return std::nullopt;
  double result = std::min(send_bps, receive_bps);
  if (receive_bps < kMinRatioForUnsaturatedLink * send_bps) {
    result = kTargetUtilizationFraction * receive_bps;
  }
  if (cluster->target_bps > 0) result = std::min(result, static_cast<double>(cluster->target_bps));
  last_estimate_ = static_cast<uint64_t>(result);
  return last_estimate_;
}

std::optional<uint64_t> ProbeBitrateEstimator::FetchAndResetLastEstimate() {
  std::optional<uint64_t> result = last_estimate_;
  last_estimate_.reset();
  return result;
}

}  // namespace switchyard::sfu
