#include "sfu/packet_pool.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include "sfu/spsc_ring.h"

#include "tests/sfu/allocation_counter.h"

namespace switchyard::sfu {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kUnderTsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kUnderTsan = true;
#else
constexpr bool kUnderTsan = false;
#endif
#else
constexpr bool kUnderTsan = false;
#endif

uint64_t ThreadAllocations() { return testing::ThreadOperatorNewCalls(); }

// Keeps the compiler from proving a pointer unused (and eliding the new/delete around it).
void Escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }

TEST(AllocationCounterTest, CountsThisThreadsOperatorNew) {
  const uint64_t before = ThreadAllocations();
  auto scalar = std::make_unique<int>(1);
  Escape(scalar.get());
  std::vector<uint8_t> vector(100);
  Escape(vector.data());
  auto array = std::make_unique<int[]>(4);
  Escape(array.get());
  int* nothrow = new (std::nothrow) int(3);
  Escape(nothrow);
  delete nothrow;
  EXPECT_EQ(ThreadAllocations() - before, 4u);
  // Another thread's allocations are its own.
  uint64_t other_delta = 0;
  std::thread other([&other_delta] {
    const uint64_t other_before = ThreadAllocations();
    auto p = std::make_unique<int[]>(8);
    Escape(p.get());
    other_delta = ThreadAllocations() - other_before;
  });
  const uint64_t before_join = ThreadAllocations();
  other.join();
  EXPECT_EQ(ThreadAllocations(), before_join);
  EXPECT_EQ(other_delta, 1u);
}

TEST(PacketPoolTest, BufferSizeCoversMtuPlusTrailerInWholeCacheLines) {
  EXPECT_EQ(PacketPool::kBufferSize, 1536u);
  EXPECT_GE(PacketPool::kBufferSize, PacketPool::kMaxPacketSize + PacketPool::kMaxTrailerSize);
  EXPECT_EQ(PacketPool::kBufferSize % kCacheLineSize, 0u);
  static_assert(sizeof(PacketHandle) == 4);
  static_assert(std::is_trivially_copyable_v<PacketHandle>);
  EXPECT_FALSE(PacketHandle{}.valid());
}

TEST(PacketPoolTest, BuffersAreDistinctAlignedAndDoNotOverlap) {
  PacketPool pool(16, 0);
  ASSERT_EQ(pool.buffer_count(), 16u);
  EXPECT_EQ(pool.free_count(), 16u);
  std::vector<PacketHandle> handles;
  std::set<uint32_t> indices;
  for (int i = 0; i < 16; ++i) {
    const PacketHandle h = pool.Acquire();
    ASSERT_TRUE(h.valid());
    EXPECT_LT(h.index, 16u);
    indices.insert(h.index);
    handles.push_back(h);
    const auto data = pool.data(h);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data.data()) % kCacheLineSize, 0u);
    EXPECT_EQ(data.size(), PacketPool::kBufferSize);
    std::memset(data.data(), i + 1, data.size());  // every byte of the buffer is writable
  }
  EXPECT_EQ(indices.size(), 16u);
  EXPECT_EQ(pool.free_count(), 0u);
  // No buffer's writes landed in another buffer.
  for (int i = 0; i < 16; ++i) {
    const auto data = pool.data(handles[i]);
    for (uint8_t byte : data) ASSERT_EQ(byte, i + 1) << "buffer " << i;
  }
}

TEST(PacketPoolTest, ExhaustionReturnsInvalidHandleAndIsCounted) {
  PacketPool pool(4, 0);
  std::vector<PacketHandle> handles;
  for (int i = 0; i < 4; ++i) handles.push_back(pool.Acquire());
  EXPECT_EQ(pool.exhausted_count(), 0u);

  const uint64_t before = ThreadAllocations();
  const PacketHandle none = pool.Acquire();
  const PacketHandle none_again = pool.Acquire();
  EXPECT_EQ(ThreadAllocations(), before);  // running dry never grows the pool
  EXPECT_FALSE(none.valid());
  EXPECT_FALSE(none_again.valid());
  EXPECT_EQ(pool.exhausted_count(), 2u);

  pool.Release(handles[2]);
  EXPECT_EQ(pool.free_count(), 1u);
  const PacketHandle again = pool.Acquire();
  EXPECT_EQ(again, handles[2]);  // last in, first out: the buffer still in cache
  EXPECT_EQ(pool.exhausted_count(), 2u);
}

TEST(PacketPoolTest, BufferCountIsClamped) {
  EXPECT_EQ(PacketPool(0, 0).buffer_count(), 1u);
  EXPECT_EQ(PacketPool(PacketPool::kMaxBuffers + 5, 1).buffer_count(), PacketPool::kMaxBuffers);
}

TEST(PacketPoolTest, SharedBufferIsFreedOnlyByTheLastReference) {
  PacketPool pool(4, 2);
  const PacketHandle h = pool.Acquire();
  ASSERT_TRUE(h.valid());
  pool.Share(h, 2);  // two consumers besides the owner
  EXPECT_EQ(pool.free_count(), 3u);

  pool.Release(h);  // the owner is done first
  EXPECT_EQ(pool.free_count(), 3u);
  pool.ReleaseRemote(h, 0);
  EXPECT_EQ(pool.Reclaim(), 0u);  // one consumer still holds it
  EXPECT_EQ(pool.free_count(), 3u);
  pool.ReleaseRemote(h, 1);  // the last reference sends it home through lane 1
  EXPECT_EQ(pool.free_count(), 3u);
  EXPECT_EQ(pool.Reclaim(), 1u);
  EXPECT_EQ(pool.free_count(), 4u);
  EXPECT_EQ(pool.Reclaim(), 0u);
}

TEST(PacketPoolTest, OwnerHoldingTheLastReferenceFreesDirectly) {
  PacketPool pool(2, 1);
  const PacketHandle h = pool.Acquire();
  pool.Share(h, 1);
  pool.ReleaseRemote(h, 0);
  EXPECT_EQ(pool.Reclaim(), 0u);
  pool.Release(h);
  EXPECT_EQ(pool.free_count(), 2u);
  EXPECT_EQ(pool.Reclaim(), 0u);
}

TEST(PacketPoolTest, AcquireReclaimsReturnedBuffersWhenTheFreeListIsEmpty) {
  PacketPool pool(2, 1);
  const PacketHandle a = pool.Acquire();
  const PacketHandle b = pool.Acquire();
  pool.Share(a, 1);
  pool.Release(a);
  pool.ReleaseRemote(a, 0);  // a is waiting in lane 0
  EXPECT_EQ(pool.free_count(), 0u);

  const PacketHandle c = pool.Acquire();
  EXPECT_EQ(c, a);
  EXPECT_EQ(pool.exhausted_count(), 0u);
  EXPECT_FALSE(pool.Acquire().valid());
  EXPECT_EQ(pool.exhausted_count(), 1u);
  pool.Release(b);
  pool.Release(c);
  EXPECT_EQ(pool.free_count(), 2u);
}

TEST(PacketPoolTest, EveryBufferCanWaitInOneLaneAtOnce) {
  // A lane must hold every buffer of the pool: the push on the last release cannot fail.
  PacketPool pool(PacketPool::kMaxBuffers, 1);
  std::vector<PacketHandle> handles;
  for (size_t i = 0; i < pool.buffer_count(); ++i) handles.push_back(pool.Acquire());
  for (PacketHandle h : handles) {
    pool.Share(h, 1);
    pool.Release(h);
    pool.ReleaseRemote(h, 0);
  }
  EXPECT_EQ(pool.free_count(), 0u);
  EXPECT_EQ(pool.Reclaim(), PacketPool::kMaxBuffers);
  EXPECT_EQ(pool.free_count(), PacketPool::kMaxBuffers);
}

// What the owner sends a consumer: the buffer and what it must contain.
struct Delivery {
  PacketHandle handle;
  uint32_t sequence;
};

constexpr size_t kStampBytes = 64;

// Fills the first and last cache line of the buffer with bytes derived from `sequence`.
void Stamp(std::span<uint8_t, PacketPool::kBufferSize> data, uint32_t sequence) {
  for (size_t i = 0; i < kStampBytes; ++i) {
    const uint8_t value = static_cast<uint8_t>(sequence * 31 + i);
    data[i] = value;
    data[data.size() - 1 - i] = value;
  }
}
bool HasStamp(std::span<const uint8_t, PacketPool::kBufferSize> data, uint32_t sequence) {
  for (size_t i = 0; i < kStampBytes; ++i) {
    const uint8_t value = static_cast<uint8_t>(sequence * 31 + i);
    if (data[i] != value || data[data.size() - 1 - i] != value) return false;
  }
  return true;
}

// The owner (this thread) fans every packet out to two consumer threads, each through its own
// ring, with a small pool so that every buffer is reused thousands of times. A buffer reused
// while a consumer still reads it shows up as a wrong stamp (and as a race under TSan).
// Neither side allocates inside its loop.
TEST(PacketPoolStressTest, BuffersComeHomeFromTwoConsumerThreads) {
  constexpr size_t kConsumers = 2;
  constexpr size_t kPoolSize = 64;
  const uint32_t packets = kUnderTsan ? 200'000 : 2'000'000;
  using Ring = SpscRing<Delivery, 128>;

  PacketPool pool(kPoolSize, kConsumers);
  std::array<std::unique_ptr<Ring>, kConsumers> rings;
  for (auto& ring : rings) ring = std::make_unique<Ring>();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);

  struct ConsumerResult {
    uint32_t received = 0;
    uint32_t bad_stamps = 0;
    uint32_t out_of_order = 0;
    uint64_t allocations = 0;
  };
  std::array<ConsumerResult, kConsumers> results;
  std::vector<std::thread> consumers;
  for (size_t lane = 0; lane < kConsumers; ++lane) {
    consumers.emplace_back([&, lane] {
      ConsumerResult& result = results[lane];
      Ring& ring = *rings[lane];
      const uint64_t allocations_before = ThreadAllocations();
      std::array<Delivery, 16> batch;
      uint32_t spins = 0;
      while (result.received < packets) {
        const size_t n = ring.PopBatch(batch);
        for (size_t i = 0; i < n; ++i) {
          const Delivery& d = batch[i];
          if (d.sequence != result.received) ++result.out_of_order;
          if (!HasStamp(pool.data(d.handle), d.sequence)) ++result.bad_stamps;
          pool.ReleaseRemote(d.handle, lane);
          ++result.received;
        }
        if (n == 0 && (++spins & 63) == 0) {
          std::this_thread::yield();
          if (std::chrono::steady_clock::now() > deadline) break;
        }
      }
      result.allocations = ThreadAllocations() - allocations_before;
    });
  }

  const uint64_t owner_allocations_before = ThreadAllocations();
  uint32_t sent = 0;
  uint32_t spins = 0;
  bool timed_out = false;
  while (sent < packets && !timed_out) {
    pool.Reclaim();
    const PacketHandle h = pool.Acquire();
    if (!h.valid()) {  // every buffer is out with the consumers: wait for some to return
      if ((++spins & 63) == 0) {
        std::this_thread::yield();
        timed_out = std::chrono::steady_clock::now() > deadline;
      }
      continue;
    }
    Stamp(pool.data(h), sent);
    pool.Share(h, kConsumers);
    for (size_t lane = 0; lane < kConsumers; ++lane) {
      while (!rings[lane]->TryPush(Delivery{h, sent})) {
        if ((++spins & 63) == 0) {
          std::this_thread::yield();
          if (std::chrono::steady_clock::now() > deadline) break;
        }
      }
    }
    pool.Release(h);  // the owner's own reference: usually not the last
    ++sent;
  }
  const uint64_t owner_allocations = ThreadAllocations() - owner_allocations_before;
  for (auto& consumer : consumers) consumer.join();

  EXPECT_FALSE(timed_out);
  EXPECT_EQ(sent, packets);
  for (size_t lane = 0; lane < kConsumers; ++lane) {
    SCOPED_TRACE(lane);
    EXPECT_EQ(results[lane].received, packets);
    EXPECT_EQ(results[lane].bad_stamps, 0u);
    EXPECT_EQ(results[lane].out_of_order, 0u);
    EXPECT_EQ(results[lane].allocations, 0u);
  }
  EXPECT_EQ(owner_allocations, 0u);
  // Every buffer came home exactly once.
  pool.Reclaim();
  EXPECT_EQ(pool.free_count(), kPoolSize);
  std::set<uint32_t> indices;
  for (size_t i = 0; i < kPoolSize; ++i) indices.insert(pool.Acquire().index);
  EXPECT_EQ(indices.size(), kPoolSize);
  EXPECT_FALSE(indices.contains(PacketHandle::kInvalidIndex));
}

// The per-packet operations of both building blocks, in the mix a worker loop will use them,
// allocate nothing once constructed.
TEST(ZeroAllocationTest, RingAndPoolHotPathsNeverCallOperatorNew) {
  PacketPool pool(256, 1);
  auto ring = std::make_unique<SpscRing<Delivery, 64>>();
  std::array<Delivery, 32> batch{};
  std::array<Delivery, 32> popped{};
  uint64_t checksum = 0;

  const uint64_t before = ThreadAllocations();
  for (uint32_t round = 0; round < 20'000; ++round) {
    // A "recvmmsg batch": acquire and fill up to 32 buffers, hand them over in one batch.
    const size_t count = 1 + round % 32;
    size_t filled = 0;
    for (; filled < count; ++filled) {
      const PacketHandle h = pool.Acquire();
      if (!h.valid()) break;
      pool.data(h)[0] = static_cast<uint8_t>(round);
      pool.Share(h, 1);
      batch[filled] = Delivery{h, round};
    }
    const size_t pushed = ring->PushBatch(std::span<const Delivery>(batch.data(), filled));
    // The "other worker": pop, read, release remotely; the owner drops its own references.
    const size_t got = ring->PopBatch(popped);
    for (size_t i = 0; i < got; ++i) {
      checksum += pool.data(popped[i].handle)[0];
      pool.ReleaseRemote(popped[i].handle, 0);
    }
    for (size_t i = 0; i < filled; ++i) {
      if (i >= pushed) pool.Release(batch[i].handle);  // not handed over: drop the share
      pool.Release(batch[i].handle);
    }
    // Single-item paths too.
    if (ring->TryPush(Delivery{PacketHandle{}, round})) {
      Delivery d{};
      ring->TryPop(&d);
      checksum += d.sequence;
    }
    pool.Reclaim();
  }
  const uint64_t allocations = ThreadAllocations() - before;

  EXPECT_EQ(allocations, 0u);
  EXPECT_GT(checksum, 0u);
  EXPECT_EQ(pool.free_count(), 256u);
  EXPECT_EQ(pool.exhausted_count(), 0u);
}

}  // namespace
}  // namespace switchyard::sfu
