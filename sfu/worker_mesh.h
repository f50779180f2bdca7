#ifndef SWITCHYARD_SFU_WORKER_MESH_H_
#define SWITCHYARD_SFU_WORKER_MESH_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "sfu/packet_pool.h"
#include "sfu/spsc_ring.h"

namespace switchyard::sfu {

// One media packet handed from the worker that received (and decrypted) it to another worker
// whose subscribers want it: 16 bytes, copied through an SpscRing. The bytes stay in the
// sending worker's PacketPool; the receiving worker gives its reference back with
// PacketPool::ReleaseRemote(handle, <its own worker index>).
struct RelayedPacket {
  uint64_t producer_id = 0;  // Producer::relay_id(): the same on every worker
  PacketHandle handle;
  uint16_t length = 0;
  uint8_t encoding = 0;
  uint8_t retransmission = 0;
};
static_assert(sizeof(RelayedPacket) == 16);

// The lock-free fabric between the workers of one pool, so that a room spans workers: each
// worker has a PacketPool (return lanes indexed by worker), and every ordered pair of workers
// (from, to) has one SpscRing of RelayedPackets written only by `from`'s thread and read only
// by `to`'s. Control messages (joins, producers, keyframe requests) do not go through here;
// they are posted to the other worker's event loop.
//
// Wakeups. A worker blocked in its event loop learns about new packets through an eventfd that
// its loop watches. To keep that to about one write(2) per batch rather than per packet, each
// worker has a "pending" flag: the sender pushes, then MarkPending(to) (an acq_rel exchange);
// only the sender that flips it from false to true calls Wake(to). The receiver, when woken,
// first ClearPending(self) (exchange to false) and then drains every incoming ring. The two
// exchanges are read-modify-writes of one atomic, so either the receiver's clear comes after a
// sender's set (and synchronises with it, making that sender's push visible to the drain), or
// before it (and that sender sees false and wakes the receiver again). No packet waits for a
// wakeup that never comes.
class WorkerMesh {
 public:
  static constexpr size_t kRingCapacity = 4096;
  // 4096 x 1536 bytes = 6 MB per worker: ~15 ms of a 270k pkt/s worker's output in flight.
  static constexpr size_t kPoolBuffers = 4096;
  // Producer relay masks are 64-bit (Producer::relay_workers()).
  static constexpr size_t kMaxWorkers = 64;
  using Ring = SpscRing<RelayedPacket, kRingCapacity>;

  static absl::StatusOr<std::unique_ptr<WorkerMesh>> Create(size_t workers,
                                                            size_t pool_buffers = kPoolBuffers);
  ~WorkerMesh();
  WorkerMesh(const WorkerMesh&) = delete;
  WorkerMesh& operator=(const WorkerMesh&) = delete;

  size_t size() const { return workers_; }
  PacketPool& pool(size_t worker) { return *pools_[worker]; }
  // from != to.
  Ring& ring(size_t from, size_t to) { return *rings_[from * workers_ + to]; }

  // Sender side, after pushing to `to`: true when the caller must Wake(to).
  bool MarkPending(size_t to) {
    return !pending_[to].flag.exchange(true, std::memory_order_acq_rel);
  }
  // Receiver side, before draining.
  void ClearPending(size_t self) { pending_[self].flag.exchange(false, std::memory_order_acq_rel); }
  // Makes `to`'s wake descriptor readable (eventfd write; never blocks, never allocates).
  void Wake(size_t to);
  // The descriptor `worker`'s event loop watches; read it (8 bytes) to re-arm.
  int wake_fd(size_t worker) const { return wake_fds_[worker]; }

 private:
  explicit WorkerMesh(size_t workers) : workers_(workers) {}
  struct alignas(kCacheLineSize) PendingFlag {
    std::atomic<bool> flag{false};
  };

  const size_t workers_;
  std::vector<std::unique_ptr<PacketPool>> pools_;
  std::vector<std::unique_ptr<Ring>> rings_;  // null on the diagonal
  std::unique_ptr<PendingFlag[]> pending_;
  std::vector<int> wake_fds_;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_WORKER_MESH_H_
