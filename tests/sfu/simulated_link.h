#ifndef SWITCHYARD_TESTS_SFU_SIMULATED_LINK_H_
#define SWITCHYARD_TESTS_SFU_SIMULATED_LINK_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <vector>

#include "sfu/bandwidth_estimator.h"
#include "transport/clock.h"

namespace switchyard::sfu::sim {

// A one-way bottleneck for bandwidth-estimation tests, on a FakeClock: packets are serialized at
// `capacity_bps` through a drop-tail FIFO of `queue_limit_bytes`, then delayed by
// `one_way_delay`, and independently lost with probability `loss_rate` (loss that is not
// congestion, e.g. a radio). The receiver sends transport-cc style feedback every
// `feedback_interval`, which reaches the sender one `one_way_delay` later over an uncongested
// return path. Arrival times are reported in a receiver clock with an arbitrary offset.
class SimulatedLink {
 public:
  struct Config {
    uint64_t capacity_bps = 2'000'000;
    transport::Duration one_way_delay = std::chrono::milliseconds(25);
    size_t queue_limit_bytes = 60'000;
    double loss_rate = 0.0;
    transport::Duration feedback_interval = std::chrono::milliseconds(50);
    uint32_t seed = 1;
  };

  SimulatedLink(const transport::FakeClock& clock, Config config);

  // Capacity changes apply to packets entering the queue from now on.
  void set_capacity_bps(uint64_t bps) { config_.capacity_bps = bps; }
  void set_loss_rate(double rate) { config_.loss_rate = rate; }

  // A packet leaves the sender at the clock's current time.
  void Send(uint16_t transport_sequence_number, size_t size_bytes);
  // Feedback messages that have reached the sender by now, oldest first.
  std::vector<std::vector<PacketFeedback>> TakeFeedback();

  // The receiver clock's offset from the sender's (only differences matter to the estimator).
  static constexpr int64_t kReceiverClockOffsetUs = -7'777'777;

  int64_t packets_dropped_by_queue() const { return queue_drops_; }

 private:
  struct InFlight {
    uint16_t seq;
    std::optional<transport::Timestamp> arrival;  // nullopt: dropped or lost
  };
  struct PendingFeedback {
    transport::Timestamp deliver_at;
    std::vector<PacketFeedback> packets;
  };

  void GenerateFeedbackUntil(transport::Timestamp now);

  const transport::FakeClock& clock_;
  Config config_;
  std::mt19937 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  // When the bottleneck finishes serializing the last queued packet.
  transport::Timestamp link_free_at_{};
  std::deque<InFlight> in_flight_;
  std::deque<PendingFeedback> pending_;
  std::optional<transport::Timestamp> next_feedback_at_;
  int64_t queue_drops_ = 0;
};

}  // namespace switchyard::sfu::sim

#endif  // SWITCHYARD_TESTS_SFU_SIMULATED_LINK_H_
