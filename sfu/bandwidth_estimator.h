#ifndef SWITCHYARD_SFU_BANDWIDTH_ESTIMATOR_H_
#define SWITCHYARD_SFU_BANDWIDTH_ESTIMATOR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sfu/acknowledged_bitrate_estimator.h"
#include "sfu/aimd_rate_control.h"
#include "sfu/inter_arrival.h"
#include "sfu/loss_based_rate_control.h"
#include "sfu/probe_bitrate_estimator.h"
#include "sfu/probe_controller.h"
#include "sfu/trendline_estimator.h"
#include "transport/clock.h"

namespace switchyard::sfu {

// One packet's entry of a decoded transport-wide-cc feedback.
struct PacketFeedback {
  uint16_t transport_sequence_number;
  bool received;
  int64_t arrival_time_us;  // receiver's clock domain: only differences matter
};

struct BandwidthEstimatorConfig {
  uint64_t start_bps = 1'000'000;
  uint64_t min_bps = 50'000;
  uint64_t max_bps = 20'000'000;
};

// Send-side bandwidth estimate for one subscriber's downlink, GoogCC style
// (draft-ietf-rmcat-gcc-02 with libwebrtc's send-side refinements):
//  - delay-based: transport-cc arrival times -> InterArrival groups -> TrendlineEstimator
//    (overuse detector) -> AimdRateControl, fed with the acknowledged throughput;
//  - loss-based: LossBasedRateControl on the loss fraction of the feedback; the target is
//    min(loss-based, delay-based);
//  - probing: ProbeController decides clusters, ProbeBitrateEstimator measures them, and a
//    successful result raises both controllers at once;
//  - REMB (receiver-side estimate) is used only while no transport-cc feedback has been seen.
// Sent packets are kept in a ring keyed by the unwrapped 16-bit transport sequence number,
// allocated at the first packet with kInitialHistorySize entries (24 KB: ~4 s of a 250 pkt/s
// subscriber) and doubled, up to kHistorySize, when a packet would overwrite one sent less than
// kMinHistoryAge ago that feedback has not covered yet: memory follows each subscriber's packet
// rate, and OnPacketSent allocates only on those few doublings. Not thread-safe: one worker
// owns it.
class BandwidthEstimator {
 public:
  static constexpr size_t kHistorySize = 8192;  // the most entries; powers of two
  static constexpr size_t kInitialHistorySize = 1024;
  static constexpr int64_t kMinHistoryAgeUs = 2'000'000;
  // No feedback for this long: the delay filters restart instead of mixing stale groups.
  static constexpr transport::Duration kStreamTimeout = std::chrono::seconds(2);
  // Loss is aggregated over this long before it reaches the loss controller (as libwebrtc does
  // with transport-cc-only feedback): short bursts do not trigger decreases.
  static constexpr transport::Duration kLossUpdateInterval = std::chrono::seconds(1);

  struct ProbeCluster {
    int id;
    uint64_t target_bps;
    int min_packets;
    size_t min_bytes;
  };

  explicit BandwidthEstimator(const transport::Clock& clock, BandwidthEstimatorConfig config = {});

  // Every RTP packet sent to the subscriber with a transport-wide sequence number (media, RTX
  // retransmissions and probes). `probe_cluster_id` >= 0 for probe packets.
  void OnPacketSent(uint16_t transport_sequence_number, size_t size_bytes,
                    transport::Timestamp send_time, int probe_cluster_id = -1);
  // One decoded transport-cc feedback (all packets it covers, in order). Unknown/duplicate
  // sequence numbers are ignored.
  void OnTransportFeedback(std::span<const PacketFeedback> packets, transport::Timestamp now);
  // Receiver estimate; fallback only, used when no transport feedback has been seen.
  void OnRemb(uint64_t bitrate_bps, transport::Timestamp now);
  // From RTCP RR LSR/DLSR.
  void OnRtt(transport::Duration rtt);
  uint64_t target_bitrate_bps() const;

  // The allocator's wish (sum of desired layers); drives probing above the estimate.
  void SetDesiredBitrate(uint64_t bps, transport::Timestamp now);
  // The next probe cluster due, if any: the sender then sends padding/RTX at target_bps for
  // ~15 ms (at least min_packets and min_bytes) and tags the packets with the id. Call again when
  // the cluster has been sent.
  std::optional<ProbeCluster> NextProbeCluster(transport::Timestamp now);

  // Diagnostics.
  BandwidthUsage delay_state() const { return trendline_.State(); }
  uint64_t delay_based_bps() const { return aimd_.LatestEstimate(); }
  std::optional<uint64_t> acknowledged_bps() const { return acked_.bitrate_bps(); }
  double loss_fraction() const { return loss_.loss_fraction(); }
  // Entries of the send history now (0 before the first packet).
  size_t history_capacity() const { return history_.size(); }

 private:
  enum class Status : uint8_t { kUnreported, kLost, kReceived };
  struct SentPacket {
    int64_t seq = -1;  // unwrapped; -1 = empty slot
    int64_t send_time_us = 0;
    uint32_t size_bytes = 0;
    int16_t probe_cluster_id = -1;
    Status status = Status::kUnreported;
  };
  struct Received {
    int64_t seq;
    int64_t send_time_us;
    int64_t arrival_time_us;
    uint32_t size_bytes;
    int16_t probe_cluster_id;
  };

  bool LossLimited() const {
    return loss_.loss_fraction() > LossBasedRateControl::kHighLossThreshold;
  }
  // Delay-based update after a feedback (libwebrtc's DelayBasedBwe::MaybeUpdateEstimate).
  // Returns true when the estimate changed; sets *probe when it came from a probe result.
  bool UpdateDelayBased(std::optional<uint64_t> acked_bps, std::optional<uint64_t> probe_bps,
                        transport::Timestamp now, bool* probe);

  // Held for timers that run without an event (none yet); every entry point takes `now`.
  [[maybe_unused]] const transport::Clock& clock_;
  const BandwidthEstimatorConfig config_;

  void GrowHistory();
  static std::vector<Received>& FeedbackScratch();
  std::vector<SentPacket> history_;  // empty until the first packet; size a power of two
  bool has_sent_ = false;
  int64_t last_sent_seq_ = 0;

  InterArrival inter_arrival_;
  TrendlineEstimator trendline_;
  AimdRateControl aimd_;
  AcknowledgedBitrateEstimator acked_;
  LossBasedRateControl loss_;
  ProbeBitrateEstimator probe_estimator_;
  ProbeController probe_controller_;

  std::optional<transport::Timestamp> last_feedback_time_;
  std::optional<transport::Timestamp> next_loss_update_;
  int64_t lost_since_update_ = 0;
  int64_t expected_since_update_ = 0;

  bool twcc_seen_ = false;
  std::optional<uint64_t> remb_bps_;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_BANDWIDTH_ESTIMATOR_H_
