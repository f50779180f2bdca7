#include "sfu/inter_arrival.h"

#include <algorithm>

namespace switchyard::sfu {

std::optional<InterArrival::Deltas> InterArrival::Add(int64_t send_time_us, int64_t arrival_time_us,
                                                      int64_t system_time_us, size_t size_bytes) {
  std::optional<Deltas> deltas;
  if (current_.empty) {
    current_.empty = false;
    current_.first_send_time_us = send_time_us;
    current_.send_time_us = send_time_us;
    current_.first_arrival_us = arrival_time_us;
  } else if (send_time_us < current_.first_send_time_us) {
    // Sent before the current group started: a reordered packet, which carries no new
    // information about the queue.
    return std::nullopt;
  } else if (NewGroup(send_time_us, arrival_time_us)) {
    if (previous_.complete) {
      const int64_t send_delta = current_.send_time_us - previous_.send_time_us;
      const int64_t arrival_delta = current_.complete_time_us - previous_.complete_time_us;
      const int64_t system_delta = current_.last_system_time_us - previous_.last_system_time_us;
      if (arrival_delta - system_delta >= kArrivalTimeOffsetThresholdUs) {
        Reset();
        return std::nullopt;
      }
      if (arrival_delta < 0) {
        // The whole group was reordered relative to the previous one.
        if (++consecutive_reordered_ >= kReorderedResetThreshold) Reset();
        return std::nullopt;
      }
      consecutive_reordered_ = 0;
      deltas = Deltas{send_delta, arrival_delta, current_.size_bytes - previous_.size_bytes};
    }
    previous_ = current_;
    current_ = Group{};
    current_.empty = false;
    current_.first_send_time_us = send_time_us;
    current_.send_time_us = send_time_us;
    current_.first_arrival_us = arrival_time_us;
  } else {
    current_.send_time_us = std::max(current_.send_time_us, send_time_us);
  }
  current_.size_bytes += static_cast<int64_t>(size_bytes);
  current_.complete = true;
  current_.complete_time_us = arrival_time_us;
  current_.last_system_time_us = system_time_us;
  return deltas;
}

void InterArrival::Reset() {
  current_ = Group{};
  previous_ = Group{};
  consecutive_reordered_ = 0;
}

bool InterArrival::BelongsToBurst(int64_t send_time_us, int64_t arrival_time_us) const {
  const int64_t send_delta = send_time_us - current_.send_time_us;
  if (send_delta == 0) return true;
  const int64_t arrival_delta = arrival_time_us - current_.complete_time_us;
  const int64_t propagation_delta = arrival_delta - send_delta;
  return propagation_delta < 0 && arrival_delta <= kBurstDeltaThresholdUs &&
         arrival_time_us - current_.first_arrival_us < kMaxBurstDurationUs;
}

bool InterArrival::NewGroup(int64_t send_time_us, int64_t arrival_time_us) const {
  if (current_.empty) return false;
  if (BelongsToBurst(send_time_us, arrival_time_us)) return false;
  return send_time_us - current_.first_send_time_us > kGroupLengthUs;
}

}  // namespace switchyard::sfu
