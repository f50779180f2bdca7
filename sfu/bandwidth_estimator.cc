#include "sfu/bandwidth_estimator.h"

#include <algorithm>
#include <chrono>

namespace switchyard::sfu {
namespace {

int64_t Micros(transport::Timestamp t) { return t.time_since_epoch().count(); }

constexpr int64_t kMaxAbsArrivalUs = int64_t{1} << 52;

}  // namespace

BandwidthEstimator::BandwidthEstimator(const transport::Clock& clock,
                                       BandwidthEstimatorConfig config)
    : clock_(clock),
      config_(config),
      aimd_(config.start_bps, config.min_bps, config.max_bps),
      loss_(config.start_bps, config.min_bps, config.max_bps),
      probe_controller_(
          std::clamp(config.start_bps, config.min_bps, std::max(config.min_bps, config.max_bps)),
          std::max(config.min_bps, config.max_bps)) {}

std::vector<BandwidthEstimator::Received>& BandwidthEstimator::FeedbackScratch() {
  // One per worker thread rather than one per subscriber: a feedback is processed start to end
  // on its worker, so every estimator there can share it.
  thread_local std::vector<Received> scratch = [] {
    std::vector<Received> v;
    v.reserve(kHistorySize);
    return v;
  }();
  return scratch;
}

void BandwidthEstimator::GrowHistory() {
  std::vector<SentPacket> grown(history_.size() * 2);
  const size_t mask = grown.size() - 1;
  for (const SentPacket& entry : history_) {
    if (entry.seq >= 0) grown[static_cast<size_t>(entry.seq) & mask] = entry;
  }
  history_ = std::move(grown);
}

void BandwidthEstimator::OnPacketSent(uint16_t transport_sequence_number, size_t size_bytes,
                                      transport::Timestamp send_time, int probe_cluster_id) {
  int64_t seq;
  if (!has_sent_) {
    has_sent_ = true;
    seq = transport_sequence_number;
    last_sent_seq_ = seq;
  } else {
    // Unwrap against the newest sequence number: the signed 16-bit difference is the step.
    const auto delta = static_cast<int16_t>(
        static_cast<uint16_t>(transport_sequence_number - static_cast<uint16_t>(last_sent_seq_)));
    seq = last_sent_seq_ + delta;
    if (seq > last_sent_seq_) last_sent_seq_ = seq;
  }
  if (history_.empty()) history_.resize(kInitialHistorySize);
  const int64_t send_time_us = Micros(send_time);
  SentPacket* entry = &history_[static_cast<size_t>(seq) & (history_.size() - 1)];
  while (entry->seq >= 0 && entry->seq != seq && entry->status == Status::kUnreported &&
         send_time_us - entry->send_time_us < kMinHistoryAgeUs &&
         history_.size() < kHistorySize) {
    GrowHistory();
    entry = &history_[static_cast<size_t>(seq) & (history_.size() - 1)];
  }
  entry->seq = seq;
  entry->send_time_us = send_time_us;
  entry->size_bytes = static_cast<uint32_t>(std::min<size_t>(size_bytes, UINT32_MAX));
  entry->probe_cluster_id = static_cast<int16_t>(
      probe_cluster_id >= 0 && probe_cluster_id <= INT16_MAX ? probe_cluster_id : -1);
  entry->status = Status::kUnreported;
}

void BandwidthEstimator::OnTransportFeedback(std::span<const PacketFeedback> packets,
                                             transport::Timestamp now) {
  if (!has_sent_) return;
  std::vector<Received>& scratch = FeedbackScratch();
  scratch.clear();
  int64_t lost = 0;
  int64_t expected = 0;
  for (const PacketFeedback& feedback : packets) {
    const auto delta = static_cast<int16_t>(static_cast<uint16_t>(
        feedback.transport_sequence_number - static_cast<uint16_t>(last_sent_seq_)));
    const int64_t seq = last_sent_seq_ + delta;
    if (seq < 0) continue;
    SentPacket& entry = history_[static_cast<size_t>(seq) & (history_.size() - 1)];
    if (entry.seq != seq) continue;  // never sent, or overwritten long ago
    if (!feedback.received) {
      if (entry.status == Status::kUnreported) {
        entry.status = Status::kLost;
        ++lost;
        ++expected;
      }
      continue;
    }
    if (entry.status == Status::kReceived) continue;  // duplicate report
    // Hostile or corrupt times: keep every later difference far from int64 overflow.
    if (feedback.arrival_time_us > kMaxAbsArrivalUs ||
        feedback.arrival_time_us < -kMaxAbsArrivalUs) {
      continue;
    }
    if (entry.status == Status::kLost) {
      --lost;  // reported lost earlier, it was only late
    } else {
      ++expected;
    }
    entry.status = Status::kReceived;
    if (scratch.size() < scratch.capacity()) {
      scratch.push_back(Received{seq, entry.send_time_us, feedback.arrival_time_us,
                                  entry.size_bytes, entry.probe_cluster_id});
    }
  }
  if (expected == 0 && lost == 0 && scratch.empty()) return;

  if (!twcc_seen_) {
    twcc_seen_ = true;
    if (remb_bps_) {
      // Switching from the receiver's estimate: start from it rather than from the start rate.
      const uint64_t bps = std::clamp(*remb_bps_, config_.min_bps, config_.max_bps);
      aimd_.SetEstimate(bps, now);
      loss_.SetSendBitrate(bps, now);
    }
  }

  if (last_feedback_time_ && now - *last_feedback_time_ > kStreamTimeout) {
    inter_arrival_.Reset();
    trendline_.Reset();
  }
  last_feedback_time_ = now;

  // Groups are formed in arrival order (the receiver may have seen packets out of order).
  std::sort(scratch.begin(), scratch.end(), [](const Received& a, const Received& b) {
    return a.arrival_time_us != b.arrival_time_us ? a.arrival_time_us < b.arrival_time_us
                                                  : a.seq < b.seq;
  });
  const int64_t now_us = Micros(now);
  for (const Received& packet : scratch) {
    if (auto deltas = inter_arrival_.Add(packet.send_time_us, packet.arrival_time_us, now_us,
                                         packet.size_bytes)) {
      trendline_.Update(static_cast<double>(deltas->arrival_delta_us) / 1000.0,
                        static_cast<double>(deltas->send_delta_us) / 1000.0,
                        packet.arrival_time_us / 1000);
    }
    acked_.Update(packet.arrival_time_us, packet.size_bytes);
    if (packet.probe_cluster_id >= 0) {
      probe_estimator_.HandleProbePacket(packet.probe_cluster_id, packet.send_time_us,
                                         packet.arrival_time_us, packet.size_bytes);
    }
  }

  // Loss, aggregated over kLossUpdateInterval.
  lost_since_update_ += lost;
  expected_since_update_ += expected;
  if (!next_loss_update_) next_loss_update_ = now + kLossUpdateInterval;
  if (now >= *next_loss_update_) {
    next_loss_update_ = now + kLossUpdateInterval;
    loss_.OnPacketsReported(lost_since_update_, expected_since_update_, now);
    lost_since_update_ = 0;
    expected_since_update_ = 0;
  }

  bool probe = false;
  std::optional<uint64_t> probe_bps = probe_estimator_.FetchAndResetLastEstimate();
  // While the loss controller is cutting the rate, a probe (which measures delivery, not loss)
  // must not undo its decreases.
  if (LossLimited()) probe_bps.reset();
  if (UpdateDelayBased(acked_.bitrate_bps(), probe_bps, now, &probe)) {
    // A probe result resets the loss controller to it; the delay-based estimate then caps it.
    if (probe) loss_.SetSendBitrate(aimd_.LatestEstimate(), now);
    loss_.SetDelayBasedLimit(aimd_.LatestEstimate(), now);
  }
  loss_.UpdateEstimate(now);
  probe_controller_.SetEstimatedBitrate(loss_.target_bps(), now);
}

bool BandwidthEstimator::UpdateDelayBased(std::optional<uint64_t> acked_bps,
                                          std::optional<uint64_t> probe_bps,
                                          transport::Timestamp now, bool* probe) {
  *probe = false;
  if (trendline_.State() == BandwidthUsage::kOverusing) {
    if (acked_bps) {
      if (!aimd_.TimeToReduceFurther(now, *acked_bps)) return false;
      aimd_.Update(BandwidthUsage::kOverusing, acked_bps, now);
      return true;
    }
    if (aimd_.InitialTimeToReduceFurther(now)) {
      // Overusing before any throughput was measured: halve every reduction interval.
      aimd_.SetEstimate(aimd_.LatestEstimate() / 2, now);
      return true;
    }
    return false;
  }
  // Only results above the current estimate are taken: a probe that saw a busy link measures
  // its share of the link, not the capacity.
  if (probe_bps && *probe_bps > aimd_.LatestEstimate()) {
    aimd_.SetEstimate(*probe_bps, now);
    *probe = true;
    return true;
  }
  aimd_.Update(trendline_.State(), acked_bps, now);
  return true;
}

void BandwidthEstimator::OnRemb(uint64_t bitrate_bps, transport::Timestamp now) {
  (void)now;
  remb_bps_ = bitrate_bps;
  if (!twcc_seen_) {
    // REMB-only subscriber: probes would be measured by nobody.
    probe_controller_.Disable();
  }
}

void BandwidthEstimator::OnRtt(transport::Duration rtt) {
  if (rtt <= transport::Duration::zero()) return;
  aimd_.SetRtt(rtt);
  loss_.SetRtt(rtt);
}

uint64_t BandwidthEstimator::target_bitrate_bps() const {
  if (!twcc_seen_ && remb_bps_) return std::clamp(*remb_bps_, config_.min_bps, config_.max_bps);
  return loss_.target_bps();
}

void BandwidthEstimator::SetDesiredBitrate(uint64_t bps, transport::Timestamp now) {
  probe_controller_.SetDesiredBitrate(bps, now);
}

std::optional<BandwidthEstimator::ProbeCluster> BandwidthEstimator::NextProbeCluster(
    transport::Timestamp now) {
  if (!twcc_seen_ && remb_bps_) return std::nullopt;
  if (LossLimited()) return std::nullopt;
  const std::optional<ProbeController::Cluster> cluster = probe_controller_.NextProbeCluster(now);
  if (!cluster) return std::nullopt;
  probe_estimator_.OnClusterCreated(cluster->id, cluster->min_packets, cluster->min_bytes,
                                    cluster->target_bps);
  return ProbeCluster{cluster->id, cluster->target_bps, cluster->min_packets, cluster->min_bytes};
}

}  // namespace switchyard::sfu
