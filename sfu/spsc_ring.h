#ifndef SWITCHYARD_SFU_SPSC_RING_H_
#define SWITCHYARD_SFU_SPSC_RING_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <span>
#include <type_traits>

namespace switchyard::sfu {

// Size of the unit the CPU's coherence protocol moves between cores. Fixed at 64 (every x86-64
// and most AArch64 parts) rather than std::hardware_destructive_interference_size: GCC 12
// defines that constant but warns (-Winterference-size, an error under -Werror) whenever it is
// used in a header, because its value follows -mtune and would make the layout differ between
// translation units built with different flags.
inline constexpr std::size_t kCacheLineSize = 64;

// What a ring may carry: small values copied with memcpy semantics (packet handles, indices,
// POD descriptors). The ring never runs constructors or destructors on the hot path; a slot
// that has been popped keeps a stale copy, which is harmless exactly because T owns nothing.
template <typename T>
concept SpscRingElement = std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T> &&
    std::is_default_constructible_v<T>;

template <std::size_t Capacity>
concept SpscRingCapacity = Capacity >= 2 && (Capacity & (Capacity - 1)) == 0;

// A bounded, lock-free, wait-free queue between exactly ONE producer thread and exactly ONE
// consumer thread: the hand-off between workers (a publisher's decrypted packets going to the
// subscribers on another worker, and buffers going back to their owner's pool).
//
// Contract:
//  * TryPush/PushBatch are called only by the producer thread, TryPop/PopBatch only by the
//    consumer thread (the roles may move to another thread only across a synchronising event,
//    e.g. a thread join or a mutex hand-over). Violating this is a data race, not a slow path.
//  * No allocation, lock or system call after construction: the slots live inside the object
//    (sizeof grows with Capacity, so large rings belong on the heap, allocated once at start).
//  * All Capacity slots are usable (indices are free-running counters, not wrapped positions,
//    so full and empty are distinguishable without a sacrificed slot). The counters are 64-bit
//    and would wrap after 2^64 operations: centuries at any feasible packet rate.
//  * Everything written by the producer to an item (and to memory the item refers to, e.g. a
//    pooled buffer) before pushing it is visible to the consumer after popping it (release on
//    the producer's index store, acquire on the consumer's load).
//
// Layout: the producer's index and the consumer's index sit on separate cache lines, each next
// to the owning side's cached copy of the *other* side's index (Rigtorp's optimisation): the
// producer only reloads the consumer's index when its cached copy says the ring is full, and
// the consumer only reloads the producer's index when its copy says empty. So the producer
// reads the consumer's line at most once per Capacity pushes, and the consumer reads the
// producer's line once per run of items it found waiting (once per batch when the worker
// drains a batch), instead of both lines bouncing between the cores on every item. The slot
// lines themselves still travel from producer to consumer; that is the payload.
template <SpscRingElement T, std::size_t Capacity>
requires SpscRingCapacity<Capacity>
class alignas(kCacheLineSize) SpscRing {
 public:
  SpscRing() = default;
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  static constexpr std::size_t capacity() { return Capacity; }

  // Producer only. Appends `item`; false (and nothing changes) when the ring is full.
  bool TryPush(const T& item) {
    const std::size_t tail = producer_.tail.load(std::memory_order_relaxed);
    if (tail - producer_.cached_head == Capacity) {
      producer_.cached_head = consumer_.head.load(std::memory_order_acquire);
      if (tail - producer_.cached_head == Capacity) return false;
    }
    slots_[tail & kMask] = item;
    producer_.tail.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Producer only. Appends the longest prefix of `items` that fits, in order, publishing them
  // with a single index store; returns how many were appended (0 when full or `items` empty).
  std::size_t PushBatch(std::span<const T> items) {
    const std::size_t tail = producer_.tail.load(std::memory_order_relaxed);
    std::size_t free_slots = Capacity - (tail - producer_.cached_head);
    if (free_slots < items.size()) {
      producer_.cached_head = consumer_.head.load(std::memory_order_acquire);
      free_slots = Capacity - (tail - producer_.cached_head);
    }
    const std::size_t n = std::min(free_slots, items.size());
    if (n == 0) return 0;
    const std::size_t start = tail & kMask;
    const std::size_t first = std::min(n, Capacity - start);  // up to the end of the array
    std::copy_n(items.begin(), first, slots_.begin() + start);
    std::copy_n(items.begin() + first, n - first, slots_.begin());
    producer_.tail.store(tail + n, std::memory_order_release);
    return n;
  }

  // Consumer only. Removes the oldest item into `*out`; false (and `*out` untouched) when empty.
  bool TryPop(T* out) {
    const std::size_t head = consumer_.head.load(std::memory_order_relaxed);
    if (head == consumer_.cached_tail) {
      consumer_.cached_tail = producer_.tail.load(std::memory_order_acquire);
      if (head == consumer_.cached_tail) return false;
    }
    *out = slots_[head & kMask];
    consumer_.head.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer only. Removes up to out.size() of the oldest items into `out` (oldest first),
  // freeing their slots with a single index store; returns how many were removed.
  std::size_t PopBatch(std::span<T> out) {
    const std::size_t head = consumer_.head.load(std::memory_order_relaxed);
    std::size_t available = consumer_.cached_tail - head;
    if (available < out.size()) {
      consumer_.cached_tail = producer_.tail.load(std::memory_order_acquire);
      available = consumer_.cached_tail - head;
    }
    const std::size_t n = std::min(available, out.size());
    if (n == 0) return 0;
    const std::size_t start = head & kMask;
    const std::size_t first = std::min(n, Capacity - start);
    std::copy_n(slots_.begin() + start, first, out.begin());
    std::copy_n(slots_.begin(), n - first, out.begin() + first);
    consumer_.head.store(head + n, std::memory_order_release);
    return n;
  }

  // Number of items in the ring, callable from either side (or a third thread, e.g. metrics).
  // Approximate whenever the other side is active: a snapshot that may already be stale when
  // returned. From the producer it is an upper bound (the consumer may have popped since); from
  // the consumer a lower bound (the producer may have pushed since). Always within
  // [0, Capacity].
  std::size_t size_approx() const {
    // Head first: the tail read afterwards is at least the tail the consumer saw when it
    // published that head, so the difference cannot go negative.
    const std::size_t head = consumer_.head.load(std::memory_order_acquire);
    const std::size_t tail = producer_.tail.load(std::memory_order_acquire);
    return std::min(tail - head, Capacity);
  }
  // Same caveats as size_approx(): exact only while the other side is idle.
  bool empty_approx() const { return size_approx() == 0; }

 private:
  static constexpr std::size_t kMask = Capacity - 1;

  // Written by the producer only (cached_head is producer-private).
  struct alignas(kCacheLineSize) ProducerSide {
    std::atomic<std::size_t> tail{0};  // next slot to write; items [head, tail) are queued
    std::size_t cached_head = 0;       // last consumer_.head the producer saw (<= real head)
  };
  // Written by the consumer only (cached_tail is consumer-private).
  struct alignas(kCacheLineSize) ConsumerSide {
    std::atomic<std::size_t> head{0};  // next slot to read
    std::size_t cached_tail = 0;       // last producer_.tail the consumer saw (<= real tail)
  };
  static_assert(std::atomic<std::size_t>::is_always_lock_free);

  ProducerSide producer_;
  ConsumerSide consumer_;
  // Starts on its own line (alignas of the sides pads them to a full line each), so writes to
  // slots never share a line with either index.
  alignas(kCacheLineSize) std::array<T, Capacity> slots_{};
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_SPSC_RING_H_
