#ifndef SWITCHYARD_SFU_PACKET_POOL_H_
#define SWITCHYARD_SFU_PACKET_POOL_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "sfu/spsc_ring.h"

namespace switchyard::sfu {

// Names one buffer of a PacketPool: 4 bytes, trivially copyable, so it travels through an
// SpscRing. Meaningful only together with the pool that issued it.
struct PacketHandle {
  static constexpr uint32_t kInvalidIndex = UINT32_MAX;

  uint32_t index = kInvalidIndex;

  bool valid() const { return index != kInvalidIndex; }
  friend bool operator==(PacketHandle, PacketHandle) = default;
};

// A worker's packet buffers: a fixed number of fixed-size, cache-line-aligned buffers allocated
// once at construction. Acquire, Share, Release, ReleaseRemote and Reclaim never allocate, lock
// or make a system call; when the pool is empty Acquire fails (and counts the failure) rather
// than growing, so a burst beyond the configured depth becomes a counted drop, not a malloc.
//
// Threads. A pool has ONE owner thread (the worker that receives into it); everything except
// data(), ReleaseRemote() and exhausted_count() is owner-only. Buffers are lent to other
// threads (other workers' subscribers) through SpscRings and come back as follows:
//
//  * Every buffer has an atomic reference count. Acquire() sets it to 1 (the owner's
//    reference). Before handing the buffer to k consumers the owner calls Share(handle, k),
//    then publishes the handle (e.g. TryPush on the ring to each consumer's worker). Share must
//    precede the first publication, so no consumer can drop the count to zero early.
//  * Each holder drops its reference exactly once: the owner with Release(), a consumer on
//    another thread with ReleaseRemote(handle, lane), where `lane` identifies that consumer
//    thread (e.g. its worker index). A lane is used by ONE thread only. The owner may also
//    hand its own reference over with the handle (Share(handle, k - 1) for k consumers, and
//    no Release of its own).
//  * Whoever drops the last reference returns the buffer: the owner straight onto its free
//    list; a consumer by pushing the index onto its lane, an SpscRing from that consumer to
//    the owner (one ring per (owner, consumer) pair: a single "free" ring fed by several
//    consumers would need a multi-producer queue). A lane's ring holds kMaxBuffers indices and
//    each buffer is in at most one place at a time, so the push never fails.
//  * The owner drains the lanes into its free list in Reclaim(): automatically when Acquire
//    finds the free list empty, and explicitly whenever the worker loop likes (once per
//    iteration keeps the free list warm and the lanes short).
//
// Consumers treat a lent buffer as read-only: several may read it at once, so each one
// re-protects (SRTP) into a buffer of its own. The pool must outlive every thread that may
// still hold or release one of its handles (destroy it after the workers have stopped).
//
// Memory ordering: the decrement is acq_rel, so every holder's reads of the buffer happen
// before the last holder returns it; the lane push (release) and the owner's pop (acquire)
// carry that on to the owner, who may then overwrite the buffer. In the other direction the
// owner's writes reach consumers through the release/acquire of the ring that carries the
// handle. Nothing here needs a lock, and ThreadSanitizer sees every edge.
//
// Buffers are reused last-in-first-out, so the buffer a worker writes next is usually still
// in its cache.
class PacketPool {
 public:
  // A full-size datagram (Ethernet MTU)...
  static constexpr size_t kMaxPacketSize = 1500;
  // ...plus room to grow it when re-protecting or wrapping on the way out: SRTP auth tag (10
  // bytes for AES_CM_128_HMAC_SHA1_80, 16 for AEAD_AES_128_GCM; RFC 3711 §3.1, RFC 7714 §8),
  // the 4-byte SRTCP index (RFC 3711 §3.4), an optional MKI, and the 2-byte RTX original
  // sequence number (RFC 4588 §4).
  static constexpr size_t kMaxTrailerSize = 32;
  // Rounded up to whole cache lines so every buffer starts on its own line: 1536.
  static constexpr size_t kBufferSize =
      (kMaxPacketSize + kMaxTrailerSize + kCacheLineSize - 1) / kCacheLineSize * kCacheLineSize;
  // Upper bound on buffer_count: also the capacity of each return lane (16384 * 4 bytes).
  static constexpr size_t kMaxBuffers = 16384;

  // `buffer_count` is clamped to [1, kMaxBuffers]; `return_lanes` is the number of other
  // threads that may call ReleaseRemote (lanes 0 .. return_lanes-1; 0 when buffers never leave
  // the owner thread). Allocates everything the pool will ever use (buffer_count * 1536 bytes
  // of buffers, 64 bytes of reference count per buffer, ~64 KB per lane) and touches it, so the
  // first packets do not page-fault. The constructing thread need not be the owner, but the
  // pool must reach the owner thread through a synchronising hand-over (thread start, mutex).
  PacketPool(size_t buffer_count, size_t return_lanes);
  ~PacketPool();
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;

  // Owner only. A free buffer with one reference (the caller's), its bytes left as the
  // previous user wrote them; an invalid handle when none is free even after Reclaim().
  PacketHandle Acquire() {
    if (free_count_ == 0 && Reclaim() == 0) {
      exhausted_.store(exhausted_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return PacketHandle{};
    }
    const uint32_t index = free_[--free_count_];
    refs_[index].count.store(1, std::memory_order_relaxed);
    return PacketHandle{index};
  }

  // Owner only, while holding its reference and before publishing `handle` to anyone: adds
  // `extra` references, one per consumer that will receive it.
  void Share(PacketHandle handle, uint32_t extra) {
    assert(handle.index < buffer_count_);
    refs_[handle.index].count.fetch_add(extra, std::memory_order_relaxed);
  }

  // Owner only. Drops one reference; the buffer is free again when it was the last.
  void Release(PacketHandle handle) {
    if (DropReference(handle)) free_[free_count_++] = handle.index;
  }

  // Called by the one thread that owns lane `lane` (< return_lanes), never by the owner.
  // Drops one reference; when it was the last, sends the buffer home through the lane.
  void ReleaseRemote(PacketHandle handle, size_t lane) {
    assert(lane < lane_count_);
    if (DropReference(handle)) {
      [[maybe_unused]] const bool pushed = lanes_[lane].TryPush(handle.index);
      assert(pushed);  // cannot fail: a lane holds kMaxBuffers indices
    }
  }

  // Owner only. Moves the buffers returned through the lanes onto the free list; returns how
  // many it moved.
  size_t Reclaim();

  // The buffer's kBufferSize bytes, starting on a cache line. For any thread holding a
  // reference; writes by the owner must precede publishing the handle.
  std::span<uint8_t, kBufferSize> data(PacketHandle handle) const {
    assert(handle.index < buffer_count_);
    return std::span<uint8_t, kBufferSize>(buffers_[handle.index].bytes, kBufferSize);
  }

  size_t buffer_count() const { return buffer_count_; }
  size_t lane_count() const { return lane_count_; }
  // Owner only. Buffers on the free list now; those waiting in lanes are not counted until
  // Reclaim() moves them.
  size_t free_count() const { return free_count_; }
  // Acquire() calls that found no buffer. Any thread (relaxed: a statistic, not a signal).
  uint64_t exhausted_count() const { return exhausted_.load(std::memory_order_relaxed); }

 private:
  struct alignas(kCacheLineSize) Buffer {
    uint8_t bytes[kBufferSize];
  };
  // One line per count: consumers on different cores releasing neighbouring buffers must not
  // contend for one line.
  struct alignas(kCacheLineSize) RefCount {
    std::atomic<uint32_t> count{0};
  };
  using ReturnLane = SpscRing<uint32_t, kMaxBuffers>;

  // True when this dropped the last reference.
  bool DropReference(PacketHandle handle) {
    assert(handle.index < buffer_count_);
    const uint32_t before = refs_[handle.index].count.fetch_sub(1, std::memory_order_acq_rel);
    assert(before > 0);  // released more often than acquired + shared
    return before == 1;
  }

  const size_t buffer_count_;
  const size_t lane_count_;
  std::unique_ptr<Buffer[]> buffers_;
  std::unique_ptr<RefCount[]> refs_;
  std::unique_ptr<ReturnLane[]> lanes_;
  // Owner-only LIFO stack of free indices: free_[0 .. free_count_).
  std::unique_ptr<uint32_t[]> free_;
  size_t free_count_ = 0;
  std::atomic<uint64_t> exhausted_{0};
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PACKET_POOL_H_
