#include "sfu/rtp_packet_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace switchyard::sfu {
namespace {

constexpr size_t kMaxCapacity = 32768;  // half the sequence space keeps unwrapping unambiguous
constexpr int64_t kMaxDropout = 3000;

size_t ClampCapacity(size_t packets) {
  return std::bit_ceil(packets == 0 ? size_t{1} : packets > kMaxCapacity ? kMaxCapacity : packets);
}

}  // namespace

RtpPacketCache::RtpPacketCache(size_t capacity_packets, size_t initial_packets)
    : max_capacity_(ClampCapacity(capacity_packets)),
      capacity_(initial_packets == 0 ? max_capacity_
                                     : std::min(ClampCapacity(initial_packets), max_capacity_)),
      slots_(std::make_unique<Slot[]>(capacity_)),
      storage_(std::make_unique_for_overwrite<uint8_t[]>(capacity_ * kMaxPacketSize)) {}

void RtpPacketCache::Grow() {
  const size_t grown = capacity_ * 2;
  auto slots = std::make_unique<Slot[]>(grown);
  auto storage = std::make_unique_for_overwrite<uint8_t[]>(grown * kMaxPacketSize);
  for (size_t i = 0; i < capacity_; ++i) {
    const Slot& slot = slots_[i];
    if (slot.extended_sequence < 0) continue;
    const size_t index = static_cast<size_t>(slot.extended_sequence) & (grown - 1);
    slots[index] = slot;
    std::memcpy(&storage[index * kMaxPacketSize], &storage_[i * kMaxPacketSize], slot.size);
  }
  capacity_ = grown;
  slots_ = std::move(slots);
  storage_ = std::move(storage);
}

int64_t RtpPacketCache::Unwrap(uint16_t sequence_number) const {
  // The first packet starts one cycle up, so packets slightly older than it (reordering
  // across the 16-bit wrap) still get non-negative extended numbers.
  if (highest_ < 0) return int64_t{sequence_number} + (int64_t{1} << 16);
  const auto delta = static_cast<int16_t>(
      static_cast<uint16_t>(sequence_number - static_cast<uint16_t>(highest_)));
  return highest_ + delta;
}

void RtpPacketCache::Insert(std::span<const uint8_t> packet, uint16_t sequence_number,
                            transport::Timestamp arrival) {
  if (packet.empty() || packet.size() > kMaxPacketSize) return;
  int64_t extended = Unwrap(sequence_number);
  const int64_t behind = highest_ - extended;
  if (highest_ >= 0 && behind >= static_cast<int64_t>(capacity_)) {
    // Far behind is not reordering but a sequence number discontinuity (RFC 3550 A.1 treats
    // jumps beyond MAX_DROPOUT = 3000 the same way): start over, or the stream would stay
    // uncacheable until its numbers caught up with the old ones.
    if (behind <= std::max<int64_t>(static_cast<int64_t>(capacity_), kMaxDropout)) return;
    Clear();
    extended = Unwrap(sequence_number);
  }
  if (extended > highest_) highest_ = extended;
  size_t index = static_cast<size_t>(extended) & (capacity_ - 1);
  while (capacity_ < max_capacity_ && slots_[index].extended_sequence >= 0 &&
         slots_[index].extended_sequence != extended &&
         arrival - slots_[index].arrival < kKeepAtLeast) {
    Grow();
    index = static_cast<size_t>(extended) & (capacity_ - 1);
  }
  Slot& slot = slots_[index];
  slot.extended_sequence = extended;
  slot.size = packet.size();
  slot.arrival = arrival;
  std::memcpy(&storage_[index * kMaxPacketSize], packet.data(), packet.size());
}

int64_t RtpPacketCache::Find(uint16_t sequence_number) const {
  if (highest_ < 0) return -1;
  const int64_t extended = Unwrap(sequence_number);
  const size_t index = static_cast<size_t>(extended) & (capacity_ - 1);
  return slots_[index].extended_sequence == extended ? static_cast<int64_t>(index) : -1;
}

std::optional<std::span<const uint8_t>> RtpPacketCache::Get(uint16_t sequence_number) const {
  const int64_t index = Find(sequence_number);
  if (index < 0) return std::nullopt;
  const auto i = static_cast<size_t>(index);
  return std::span<const uint8_t>(&storage_[i * kMaxPacketSize], slots_[i].size);
}

std::optional<transport::Timestamp> RtpPacketCache::ArrivalTime(uint16_t sequence_number) const {
  const int64_t index = Find(sequence_number);
  if (index < 0) return std::nullopt;
  return slots_[static_cast<size_t>(index)].arrival;
}

void RtpPacketCache::Clear() {
  for (size_t i = 0; i < capacity_; ++i) slots_[i] = Slot{};
  highest_ = -1;
}

}  // namespace switchyard::sfu
