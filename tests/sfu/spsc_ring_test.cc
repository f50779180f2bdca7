#include "sfu/spsc_ring.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace switchyard::sfu {
namespace {

// Non-power-of-two or tiny capacities and non-trivial element types are rejected at compile
// time.
template <typename T, size_t N>
concept Instantiable = requires {
  typename SpscRing<T, N>;
};
static_assert(Instantiable<int, 8>);
static_assert(!Instantiable<int, 6>);
static_assert(!Instantiable<int, 1>);
static_assert(!Instantiable<std::vector<int>, 8>);
static_assert(!Instantiable<std::unique_ptr<int>, 8>);
// The two indices and the slots are on separate cache lines.
static_assert(alignof(SpscRing<uint32_t, 4>) == kCacheLineSize);
static_assert(sizeof(SpscRing<uint32_t, 4>) == 3 * kCacheLineSize);

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

TEST(SpscRingTest, StartsEmpty) {
  SpscRing<int, 4> ring;
  int out = -1;
  EXPECT_FALSE(ring.TryPop(&out));
  EXPECT_EQ(out, -1);
  EXPECT_EQ(ring.size_approx(), 0u);
  EXPECT_TRUE(ring.empty_approx());
  EXPECT_EQ(ring.capacity(), 4u);
}

TEST(SpscRingTest, EveryCapacitySlotIsUsableThenPushFails) {
  SpscRing<int, 4> ring;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring.TryPush(i)) << i;
  EXPECT_EQ(ring.size_approx(), 4u);
  EXPECT_FALSE(ring.TryPush(99));
  EXPECT_EQ(ring.size_approx(), 4u);

  // One pop makes room for exactly one push; the rejected item never appears.
  int out = -1;
  ASSERT_TRUE(ring.TryPop(&out));
  EXPECT_EQ(out, 0);
  EXPECT_TRUE(ring.TryPush(4));
  EXPECT_FALSE(ring.TryPush(5));
  for (int expected = 1; expected <= 4; ++expected) {
    ASSERT_TRUE(ring.TryPop(&out));
    EXPECT_EQ(out, expected);
  }
  EXPECT_FALSE(ring.TryPop(&out));
  EXPECT_TRUE(ring.empty_approx());
}

TEST(SpscRingTest, FifoOrderAcrossManyWraparounds) {
  SpscRing<uint32_t, 8> ring;
  uint32_t next_in = 0;
  uint32_t next_out = 0;
  // Fill levels 1..8 in turn, so the head and tail cross the array end at every offset.
  for (int round = 0; round < 1000; ++round) {
    const int fill = 1 + round % 8;
    for (int i = 0; i < fill; ++i) ASSERT_TRUE(ring.TryPush(next_in++));
    ASSERT_EQ(ring.size_approx(), static_cast<size_t>(fill));
    for (int i = 0; i < fill; ++i) {
      uint32_t out = 0;
      ASSERT_TRUE(ring.TryPop(&out));
      ASSERT_EQ(out, next_out++);
    }
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_TRUE(ring.empty_approx());
}

TEST(SpscRingTest, PushBatchTakesLongestPrefixThatFits) {
  SpscRing<int, 8> ring;
  const std::array<int, 5> first = {0, 1, 2, 3, 4};
  EXPECT_EQ(ring.PushBatch(first), 5u);
  const std::array<int, 5> second = {5, 6, 7, 8, 9};
  EXPECT_EQ(ring.PushBatch(second), 3u);  // only 5, 6, 7 fit
  EXPECT_EQ(ring.PushBatch(second), 0u);  // full
  EXPECT_EQ(ring.size_approx(), 8u);

  std::array<int, 16> out{};
  EXPECT_EQ(ring.PopBatch(out), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], i);
  EXPECT_EQ(out[8], 0);  // untouched beyond what was popped
}

TEST(SpscRingTest, EmptyBatchesAreNoOps) {
  SpscRing<int, 4> ring;
  EXPECT_EQ(ring.PushBatch(std::span<const int>()), 0u);
  EXPECT_EQ(ring.PopBatch(std::span<int>()), 0u);
  ASSERT_TRUE(ring.TryPush(7));
  EXPECT_EQ(ring.PopBatch(std::span<int>()), 0u);
  EXPECT_EQ(ring.size_approx(), 1u);
  std::array<int, 4> out{};
  EXPECT_EQ(ring.PopBatch(out), 1u);
  EXPECT_EQ(out[0], 7);
  EXPECT_EQ(ring.PopBatch(out), 0u);
}

TEST(SpscRingTest, BatchLargerThanCapacityIsCutToCapacity) {
  SpscRing<int, 4> ring;
  std::array<int, 10> in{};
  for (int i = 0; i < 10; ++i) in[i] = 100 + i;
  EXPECT_EQ(ring.PushBatch(in), 4u);
  std::array<int, 10> out{};
  EXPECT_EQ(ring.PopBatch(out), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], 100 + i);
}

TEST(SpscRingTest, BatchesSplitAcrossTheArrayEnd) {
  // For every start offset and every batch length, a batch that runs past the end of the slot
  // array comes back whole and in order, mixed with single pushes and pops.
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t length = 1; length <= 8; ++length) {
      SpscRing<uint32_t, 8> ring;
      uint32_t next_in = 0;
      uint32_t next_out = 0;
      for (size_t i = 0; i < offset; ++i) {
        ASSERT_TRUE(ring.TryPush(next_in++));
        uint32_t out = 0;
        ASSERT_TRUE(ring.TryPop(&out));
        ASSERT_EQ(out, next_out++);
      }
      std::array<uint32_t, 8> in{};
      for (size_t i = 0; i < length; ++i) in[i] = next_in++;
      ASSERT_EQ(ring.PushBatch(std::span<const uint32_t>(in.data(), length)), length);
      // Pop in two uneven batches.
      std::array<uint32_t, 8> out{};
      const size_t first = length / 2 + 1;
      const size_t got_first = ring.PopBatch(std::span<uint32_t>(out.data(), first));
      ASSERT_EQ(got_first, std::min(first, length));
      const size_t got_second = ring.PopBatch(std::span<uint32_t>(out.data() + got_first, 8));
      ASSERT_EQ(got_first + got_second, length) << "offset " << offset;
      for (size_t i = 0; i < length; ++i) ASSERT_EQ(out[i], next_out++) << offset << "/" << i;
      EXPECT_TRUE(ring.empty_approx());
    }
  }
}

TEST(SpscRingTest, PopBatchSeesItemsPushedSinceItsCachedTail) {
  // The consumer's cached tail goes stale while the producer keeps pushing; a batch pop that
  // wants more than the cache shows must look again.
  SpscRing<int, 8> ring;
  ASSERT_TRUE(ring.TryPush(1));
  int out = 0;
  ASSERT_TRUE(ring.TryPop(&out));  // caches tail = 1
  for (int i = 2; i <= 6; ++i) ASSERT_TRUE(ring.TryPush(i));
  std::array<int, 8> batch{};
  ASSERT_EQ(ring.PopBatch(batch), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(batch[i], i + 2);
}

TEST(SpscRingTest, CarriesStructsByValue) {
  struct Item {
    uint32_t handle;
    uint16_t length;
    uint8_t flags;
  };
  SpscRing<Item, 2> ring;
  ASSERT_TRUE(ring.TryPush(Item{7, 1200, 3}));
  Item out{};
  ASSERT_TRUE(ring.TryPop(&out));
  EXPECT_EQ(out.handle, 7u);
  EXPECT_EQ(out.length, 1200);
  EXPECT_EQ(out.flags, 3);
}

// An item whose second word is derived from the first, so a torn or stale slot read shows.
struct Checked {
  uint64_t sequence;
  uint64_t check;
};
constexpr uint64_t CheckOf(uint64_t sequence) { return ~sequence * 0x9E3779B97F4A7C15ull; }

// Spins, yielding to the other thread now and then (two busy threads may share one core).
// False when the deadline passed.
template <typename Fn>
bool SpinUntil(Fn&& done, std::chrono::steady_clock::time_point deadline) {
  for (uint32_t spins = 0; !done(); ++spins) {
    if ((spins & 63) == 63) {
      std::this_thread::yield();
      if (std::chrono::steady_clock::now() > deadline) return false;
    }
  }
  return true;
}

// Producer and consumer on two threads; every item arrives once, in order, intact.
// `batch` 0 uses TryPush/TryPop, otherwise PushBatch/PopBatch of up to `batch` items with
// varying sizes so batches straddle the array end at every offset.
void RunTwoThreadStress(uint64_t items, size_t batch) {
  using Ring = SpscRing<Checked, 1024>;
  auto ring = std::make_unique<Ring>();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool producer_timed_out = false;

  std::thread producer([&] {
    std::vector<Checked> chunk(batch == 0 ? 1 : batch);
    uint64_t next = 0;
    size_t round = 0;
    while (next < items) {
      if (batch == 0) {
        const Checked item{next, CheckOf(next)};
        if (!SpinUntil([&] { return ring->TryPush(item); }, deadline)) {
          producer_timed_out = true;
          return;
        }
        ++next;
        continue;
      }
      const size_t want = std::min<uint64_t>(1 + (round++ * 7) % batch, items - next);
      for (size_t i = 0; i < want; ++i) chunk[i] = Checked{next + i, CheckOf(next + i)};
      size_t sent = 0;
      if (!SpinUntil(
              [&] {
                sent += ring->PushBatch(std::span<const Checked>(chunk.data() + sent, want - sent));
                return sent == want;
              },
              deadline)) {
        producer_timed_out = true;
        return;
      }
      next += want;
    }
  });

  uint64_t expected = 0;
  uint64_t mismatches = 0;
  std::vector<Checked> out(batch == 0 ? 1 : batch);
  size_t round = 0;
  const bool finished = SpinUntil(
      [&] {
        size_t got = 0;
        if (batch == 0) {
          got = ring->TryPop(&out[0]) ? 1 : 0;
        } else {
          const size_t want = 1 + (round++ * 5) % batch;
          got = ring->PopBatch(std::span<Checked>(out.data(), want));
        }
        for (size_t i = 0; i < got; ++i) {
          if (out[i].sequence != expected || out[i].check != CheckOf(expected)) ++mismatches;
          ++expected;
        }
        return expected >= items;
      },
      deadline);
  producer.join();

  EXPECT_FALSE(producer_timed_out);
  EXPECT_TRUE(finished) << "consumer stopped at " << expected << " of " << items;
  EXPECT_EQ(expected, items);
  EXPECT_EQ(mismatches, 0u);
  Checked extra{};
  EXPECT_FALSE(ring->TryPop(&extra));
}

// Fewer items under ThreadSanitizer, which slows every atomic access ~10x.
uint64_t StressItems() { return kUnderTsan ? 1'000'000 : 10'000'000; }

TEST(SpscRingStressTest, TwoThreadsSingleItems) { RunTwoThreadStress(StressItems(), 0); }

TEST(SpscRingStressTest, TwoThreadsBatches) { RunTwoThreadStress(StressItems(), 32); }

TEST(SpscRingStressTest, SizeApproxStaysInRangeWhileBothSidesRun) {
  using Ring = SpscRing<uint32_t, 64>;
  auto ring = std::make_unique<Ring>();
  constexpr uint32_t kItems = 200'000;
  std::atomic<bool> done{false};
  size_t out_of_range = 0;
  // A third thread samples size_approx() while the other two work.
  std::thread observer([&] {
    while (!done.load(std::memory_order_acquire)) {
      if (ring->size_approx() > Ring::capacity()) ++out_of_range;
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::thread producer([&] {
    for (uint32_t i = 0; i < kItems && std::chrono::steady_clock::now() < deadline;) {
      if (ring->TryPush(i)) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  uint32_t next = 0;
  size_t out_of_order = 0;
  while (next < kItems && std::chrono::steady_clock::now() < deadline) {
    uint32_t out = 0;
    if (ring->TryPop(&out)) {
      if (out != next) ++out_of_order;
      ++next;
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  done.store(true, std::memory_order_release);
  observer.join();
  EXPECT_EQ(next, kItems);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(out_of_range, 0u);
}

}  // namespace
}  // namespace switchyard::sfu
