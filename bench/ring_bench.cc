// Micro-benchmarks of the cross-worker hand-off building blocks: SpscRing and PacketPool.
//
//   build-*/bench/ring_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The cross-thread cases start their own second thread for a fixed number of items per
// iteration and report real (wall-clock) time and items/s; with only two cores they measure
// the hand-off between two busy cores, so any other load on the machine shows in them.

#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <thread>

#include "sfu/packet_pool.h"
#include "sfu/spsc_ring.h"

namespace switchyard::sfu {
namespace {

// What a worker will pass per packet: a handle plus a little routing data.
struct Item {
  PacketHandle handle;
  uint32_t sequence;
};
using Ring = SpscRing<Item, 1024>;

// Spin-wait step that yields now and then, so a producer and consumer sharing one core (when
// the machine is busy) still make progress.
inline void Backoff(uint32_t& spins) {
  if ((++spins & 255) == 0) std::this_thread::yield();
}

void BM_RingPushPopSingleThread(benchmark::State& state) {
  auto ring = std::make_unique<Ring>();
  uint32_t i = 0;
  for (auto _ : state) {
    ring->TryPush(Item{PacketHandle{i}, i});
    Item out;
    ring->TryPop(&out);
    benchmark::DoNotOptimize(out);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RingPushPopSingleThread);

// Push a batch then pop it, as the worker will per recvmmsg batch. Items = ring items moved.
void BM_RingBatchPushPopSingleThread(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  auto ring = std::make_unique<Ring>();
  std::array<Item, 64> in{};
  std::array<Item, 64> out{};
  for (size_t i = 0; i < in.size(); ++i) in[i] = Item{PacketHandle{uint32_t(i)}, uint32_t(i)};
  for (auto _ : state) {
    ring->PushBatch(std::span<const Item>(in.data(), batch));
    benchmark::DoNotOptimize(ring->PopBatch(std::span<Item>(out.data(), batch)));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_RingBatchPushPopSingleThread)->Arg(8)->Arg(32);

// Producer thread -> consumer (this thread), `batch` 1 meaning TryPush/TryPop. Each iteration
// moves kCrossItems items and checks they arrived in order.
constexpr uint32_t kCrossItems = 1 << 20;

void BM_RingCrossThread(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  auto ring = std::make_unique<Ring>();
  bool in_order = true;
  for (auto _ : state) {
    std::thread producer([&ring, batch] {
      uint32_t spins = 0;
      if (batch == 1) {
        for (uint32_t i = 0; i < kCrossItems;) {
          if (ring->TryPush(Item{PacketHandle{i}, i})) {
            ++i;
          } else {
            Backoff(spins);
          }
        }
        return;
      }
      std::array<Item, 64> chunk{};
      for (uint32_t next = 0; next < kCrossItems;) {
        const size_t want = std::min<size_t>(batch, kCrossItems - next);
        for (size_t k = 0; k < want; ++k)
          chunk[k] = Item{PacketHandle{uint32_t(next + k)}, uint32_t(next + k)};
        size_t sent = 0;
        while (sent < want) {
          const size_t n = ring->PushBatch(std::span<const Item>(chunk.data() + sent, want - sent));
          if (n == 0) Backoff(spins);
          sent += n;
        }
        next += static_cast<uint32_t>(want);
      }
    });
    uint32_t expected = 0;
    uint32_t spins = 0;
    std::array<Item, 64> out{};
    while (expected < kCrossItems) {
      const size_t n = batch == 1 ? (ring->TryPop(&out[0]) ? 1 : 0)
                                  : ring->PopBatch(std::span<Item>(out.data(), batch));
      if (n == 0) Backoff(spins);
      for (size_t k = 0; k < n; ++k) in_order &= out[k].sequence == expected++;
    }
    producer.join();
  }
  if (!in_order) state.SkipWithError("items arrived out of order");
  state.SetItemsProcessed(state.iterations() * kCrossItems);
}
BENCHMARK(BM_RingCrossThread)->Arg(1)->Arg(32)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_PoolAcquireRelease(benchmark::State& state) {
  PacketPool pool(1024, 0);
  for (auto _ : state) {
    const PacketHandle h = pool.Acquire();
    benchmark::DoNotOptimize(h);
    pool.Release(h);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PoolAcquireRelease);

// The fan-out bookkeeping of one packet to `consumers` holders on the owner thread: Acquire,
// Share, every release (remote ones through a lane), Reclaim amortised over 32 packets.
void BM_PoolShareAndReturnThroughLane(benchmark::State& state) {
  const uint32_t consumers = static_cast<uint32_t>(state.range(0));
  PacketPool pool(1024, 1);
  uint32_t n = 0;
  for (auto _ : state) {
    const PacketHandle h = pool.Acquire();
    pool.Share(h, consumers);
    pool.Release(h);
    for (uint32_t c = 0; c < consumers; ++c) pool.ReleaseRemote(h, 0);
    if ((++n & 31) == 0) pool.Reclaim();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PoolShareAndReturnThroughLane)->Arg(1)->Arg(3);

// The whole cross-worker path minus crypto and sockets: the owner acquires a buffer, writes a
// 1200-byte packet, hands it to a consumer thread through a ring; the consumer reads the
// first bytes and releases it through its lane; the owner reclaims. Items = packets.
void BM_PoolCrossThreadHandoff(benchmark::State& state) {
  PacketPool pool(512, 1);
  auto ring = std::make_unique<Ring>();
  bool intact = true;
  for (auto _ : state) {
    std::thread consumer([&] {
      uint32_t received = 0;
      uint32_t spins = 0;
      std::array<Item, 32> out{};
      while (received < kCrossItems) {
        const size_t n = ring->PopBatch(out);
        if (n == 0) Backoff(spins);
        for (size_t k = 0; k < n; ++k) {
          const auto data = pool.data(out[k].handle);
          intact &= data[0] == static_cast<uint8_t>(out[k].sequence);
          pool.ReleaseRemote(out[k].handle, 0);
        }
        received += static_cast<uint32_t>(n);
      }
    });
    uint32_t spins = 0;
    for (uint32_t i = 0; i < kCrossItems;) {
      const PacketHandle h = pool.Acquire();
      if (!h.valid()) {
        Backoff(spins);
        continue;
      }
      const auto data = pool.data(h);
      std::memset(data.data(), static_cast<uint8_t>(i), 1200);
      while (!ring->TryPush(Item{h, i})) Backoff(spins);
      ++i;
    }
    consumer.join();
    pool.Reclaim();
  }
  if (!intact) state.SkipWithError("a buffer was overwritten while lent out");
  state.SetItemsProcessed(state.iterations() * kCrossItems);
  // Acquire calls that found the pool empty (the owner spinning while the consumer catches up),
  // per packet sent.
  state.counters["exhausted_per_packet"] = static_cast<double>(pool.exhausted_count()) /
                                           static_cast<double>(state.iterations() * kCrossItems);
}
BENCHMARK(BM_PoolCrossThreadHandoff)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace switchyard::sfu
