#ifndef SWITCHYARD_SFU_INTER_ARRIVAL_H_
#define SWITCHYARD_SFU_INTER_ARRIVAL_H_

#include <cstddef>
#include <cstdint>
#include <optional>

namespace switchyard::sfu {

// Groups packets into send bursts and yields the send-time and arrival-time deltas between
// consecutive groups (draft-ietf-rmcat-gcc-02 section 5.2). A group is every packet sent within
// 5 ms of the group's first packet; packets that arrive in a tight burst with negative
// propagation delta (they queued behind each other somewhere) are merged into the current group,
// because the queueing they saw says nothing about the bottleneck's steady state.
// Times are in microseconds; send and arrival times may be in different clock domains.
class InterArrival {
 public:
  static constexpr int64_t kGroupLengthUs = 5'000;
  static constexpr int64_t kBurstDeltaThresholdUs = 5'000;
  static constexpr int64_t kMaxBurstDurationUs = 100'000;
  // An arrival delta this much larger than the local (system) delta means the receiver's clock
  // jumped; start over.
  static constexpr int64_t kArrivalTimeOffsetThresholdUs = 3'000'000;
  static constexpr int kReorderedResetThreshold = 3;

  struct Deltas {
    int64_t send_delta_us;
    int64_t arrival_delta_us;
    int64_t size_delta_bytes;
  };

  // Adds one received packet, in arrival order. `system_time_us` is the local time the feedback
  // was processed. Returns the deltas between the previous two groups when this packet starts a
  // new group (and both previous groups are complete).
  std::optional<Deltas> Add(int64_t send_time_us, int64_t arrival_time_us, int64_t system_time_us,
                            size_t size_bytes);
  void Reset();

 private:
  struct Group {
    // Arrival times live in the receiver's clock domain and may be negative, so "unset" is a flag.
    bool empty = true;
    bool complete = false;
    int64_t size_bytes = 0;
    int64_t first_send_time_us = -1;
    int64_t send_time_us = -1;
    int64_t first_arrival_us = -1;
    int64_t complete_time_us = -1;
    int64_t last_system_time_us = -1;
  };

  bool BelongsToBurst(int64_t send_time_us, int64_t arrival_time_us) const;
  bool NewGroup(int64_t send_time_us, int64_t arrival_time_us) const;

  Group current_;
  Group previous_;
  int consecutive_reordered_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_INTER_ARRIVAL_H_
