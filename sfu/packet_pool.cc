#include "sfu/packet_pool.h"

#include <algorithm>

namespace switchyard::sfu {

PacketPool::PacketPool(size_t buffer_count, size_t return_lanes)
    : buffer_count_(std::clamp<size_t>(buffer_count, 1, kMaxBuffers)),
      lane_count_(return_lanes),
      // make_unique value-initialises: the zero fill faults every page in now, not on the
      // media path.
      buffers_(std::make_unique<Buffer[]>(buffer_count_)),
      refs_(std::make_unique<RefCount[]>(buffer_count_)),
      lanes_(std::make_unique<ReturnLane[]>(lane_count_)),
      free_(std::make_unique<uint32_t[]>(buffer_count_)) {
  // Highest index on top, so the first Acquire hands out buffer 0 and a lightly used pool
  // keeps to the low, contiguous end of its memory.
  for (size_t i = 0; i < buffer_count_; ++i) {
    free_[i] = static_cast<uint32_t>(buffer_count_ - 1 - i);
  }
  free_count_ = buffer_count_;
}

PacketPool::~PacketPool() = default;

size_t PacketPool::Reclaim() {
  size_t reclaimed = 0;
  for (size_t lane = 0; lane < lane_count_; ++lane) {
    // Straight into the free stack: it has room for every buffer not already on it.
    reclaimed += lanes_[lane].PopBatch(std::span<uint32_t>(
        free_.get() + free_count_ + reclaimed, buffer_count_ - free_count_ - reclaimed));
  }
  free_count_ += reclaimed;
  return reclaimed;
}

}  // namespace switchyard::sfu
