#include "tests/sfu/simulated_link.h"

#include <algorithm>

namespace switchyard::sfu::sim {

SimulatedLink::SimulatedLink(const transport::FakeClock& clock, Config config)
    : clock_(clock), config_(config), rng_(config.seed), link_free_at_(clock.Now()) {}

void SimulatedLink::Send(uint16_t transport_sequence_number, size_t size_bytes) {
  const transport::Timestamp now = clock_.Now();
  GenerateFeedbackUntil(now);
  InFlight packet{transport_sequence_number, std::nullopt};
  const transport::Timestamp start = std::max(now, link_free_at_);
  // Bytes still waiting in the queue, at the current capacity.
  const double backlog_bytes = std::chrono::duration<double>(start - now).count() *
                               static_cast<double>(config_.capacity_bps) / 8.0;
  if (backlog_bytes + static_cast<double>(size_bytes) >
      static_cast<double>(config_.queue_limit_bytes)) {
    ++queue_drops_;
  } else {
    const auto serialization =
        std::chrono::duration_cast<transport::Duration>(std::chrono::duration<double>(
            static_cast<double>(size_bytes) * 8.0 / static_cast<double>(config_.capacity_bps)));
    link_free_at_ = start + serialization;
    if (uniform_(rng_) >= config_.loss_rate) {
      packet.arrival = link_free_at_ + config_.one_way_delay;
    }
  }
  in_flight_.push_back(packet);
}

void SimulatedLink::GenerateFeedbackUntil(transport::Timestamp now) {
  if (!next_feedback_at_) next_feedback_at_ = now + config_.feedback_interval;
  while (*next_feedback_at_ <= now) {
    const transport::Timestamp at = *next_feedback_at_;
    *next_feedback_at_ += config_.feedback_interval;
    // Report everything up to the newest packet that has arrived; gaps before it are losses
    // (the FIFO never reorders, so anything missing before an arrival is gone).
    size_t last_arrived = in_flight_.size();
    for (size_t i = 0; i < in_flight_.size(); ++i) {
      if (in_flight_[i].arrival && *in_flight_[i].arrival <= at) last_arrived = i;
    }
    if (last_arrived == in_flight_.size()) continue;
    PendingFeedback feedback{at + config_.one_way_delay, {}};
    for (size_t i = 0; i <= last_arrived; ++i) {
      const InFlight& p = in_flight_[i];
      const bool received = p.arrival.has_value();
      const int64_t arrival_us =
          received ? p.arrival->time_since_epoch().count() + kReceiverClockOffsetUs : 0;
      feedback.packets.push_back(PacketFeedback{p.seq, received, arrival_us});
    }
    in_flight_.erase(in_flight_.begin(), in_flight_.begin() + static_cast<long>(last_arrived) + 1);
    pending_.push_back(std::move(feedback));
  }
}

std::vector<std::vector<PacketFeedback>> SimulatedLink::TakeFeedback() {
  const transport::Timestamp now = clock_.Now();
  GenerateFeedbackUntil(now);
  std::vector<std::vector<PacketFeedback>> out;
  while (!pending_.empty() && pending_.front().deliver_at <= now) {
    out.push_back(std::move(pending_.front().packets));
    pending_.pop_front();
  }
  return out;
}

}  // namespace switchyard::sfu::sim
