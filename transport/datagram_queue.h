#ifndef SWITCHYARD_TRANSPORT_DATAGRAM_QUEUE_H_
#define SWITCHYARD_TRANSPORT_DATAGRAM_QUEUE_H_

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "absl/status/statusor.h"
#include "transport/socket_address.h"

namespace switchyard::transport {

// A bounded, lock-free queue of datagrams from exactly one producer thread to exactly one
// consumer thread, with a wakeup descriptor for the consumer's event loop: the in-process
// path between the embedded TURN server's thread and a media worker, which replaces a trip
// through the kernel's loopback (sendto on one thread, recvmmsg on the other) for relayed media
// addressed to Switchyard itself.
//
// Each slot holds the datagram and its two addresses inline (no pool, no allocation after
// Create): the producer copies a datagram in once, the consumer reads it in place and may
// modify it (SRTP decrypts there), then the slot is free again. A full queue refuses the
// datagram (the caller counts a drop, as a full socket buffer would).
//
// Wakeups are batched as in sfu::WorkerMesh: a pending flag, flipped by the producer's
// exchange; only the producer that flips it false -> true writes the eventfd, and the consumer
// clears it before draining, so no datagram waits for a wakeup that never comes.
//
// Contract: Push and Wake are producer-thread only; Drain and wake_fd's reads consumer-thread
// only.
class DatagramQueue {
 public:
  static constexpr size_t kCapacity = 512;  // a power of two
  static constexpr size_t kMaxDatagram = 2048;

  static absl::StatusOr<std::unique_ptr<DatagramQueue>> Create();
  ~DatagramQueue();
  DatagramQueue(const DatagramQueue&) = delete;
  DatagramQueue& operator=(const DatagramQueue&) = delete;

  // Producer: copies `data` in. False when the queue is full or the datagram too large.
  // Call WakeIfNeeded() after a batch of pushes.
  bool Push(std::span<const uint8_t> data, const SocketAddress& from, const SocketAddress& to);
  // Producer: makes the consumer's descriptor readable unless a wakeup is already pending.
  void WakeIfNeeded();

  // Consumer: clears the pending flag (re-arming wakeups), then hands each waiting datagram to
  // on_datagram(std::span<uint8_t>, const SocketAddress& from, const SocketAddress& to), at most
  // `max` of them; returns how many. Datagrams pushed meanwhile may or may not be included;
  // when some are left (max reached) the flag is set again so the consumer is woken anew.
  template <typename OnDatagram>
  size_t Drain(size_t max, OnDatagram&& on_datagram);

  // The consumer's event loop watches this (readable = datagrams may be waiting); read its 8
  // bytes to re-arm.
  int wake_fd() const { return wake_fd_; }

 private:
  struct Slot {
    SocketAddress from;
    SocketAddress to;
    uint16_t length = 0;
    std::array<uint8_t, kMaxDatagram> data;
  };
  static constexpr size_t kLine = 64;

  DatagramQueue() = default;

  std::unique_ptr<Slot[]> slots_;
  int wake_fd_ = -1;
  // Producer's line: its index and its cached copy of the consumer's.
  alignas(kLine) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;
  // Consumer's line.
  alignas(kLine) std::atomic<uint64_t> tail_{0};
  uint64_t head_cache_ = 0;
  alignas(kLine) std::atomic<bool> pending_{false};
};

template <typename OnDatagram>
size_t DatagramQueue::Drain(size_t max, OnDatagram&& on_datagram) {
  pending_.exchange(false, std::memory_order_acq_rel);
  uint64_t tail = tail_.load(std::memory_order_relaxed);
  size_t n = 0;
  while (n < max) {
    if (tail == head_cache_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail == head_cache_) break;
    }
    Slot& slot = slots_[tail & (kCapacity - 1)];
    on_datagram(std::span<uint8_t>(slot.data.data(), slot.length),
                static_cast<const SocketAddress&>(slot.from),
                static_cast<const SocketAddress&>(slot.to));
    ++tail;
    tail_.store(tail, std::memory_order_release);
    ++n;
  }
  if (n == max && tail != head_.load(std::memory_order_acquire)) {
    // Left over: come back through the event loop rather than starve the consumer's sockets.
    if (!pending_.exchange(true, std::memory_order_acq_rel)) {
      const uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof(one));
    }
  }
  return n;
}

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_DATAGRAM_QUEUE_H_
