#include "sfu/worker_mesh.h"

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::sfu {
namespace {

TEST(WorkerMeshTest, OneRingPerOrderedPairAndOnePoolPerWorker) {
  auto mesh = WorkerMesh::Create(3, 64).value();
  EXPECT_EQ(mesh->size(), 3u);
  EXPECT_NE(&mesh->ring(0, 1), &mesh->ring(1, 0));
  EXPECT_NE(&mesh->ring(0, 1), &mesh->ring(0, 2));
  EXPECT_EQ(mesh->pool(0).buffer_count(), 64u);
  EXPECT_EQ(mesh->pool(2).lane_count(), 3u);  // a return lane per worker
  EXPECT_FALSE(WorkerMesh::Create(0).ok());
  EXPECT_FALSE(WorkerMesh::Create(WorkerMesh::kMaxWorkers + 1).ok());
}

TEST(WorkerMeshTest, OnlyTheFirstSenderWakesUntilTheReceiverClears) {
  auto mesh = WorkerMesh::Create(2, 16).value();
  EXPECT_TRUE(mesh->MarkPending(1));
  EXPECT_FALSE(mesh->MarkPending(1));  // already flagged: no second write(2)
  mesh->Wake(1);
  pollfd pfd{mesh->wake_fd(1), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 0), 1);
  uint64_t count = 0;
  ASSERT_EQ(::read(mesh->wake_fd(1), &count, sizeof(count)), static_cast<ssize_t>(sizeof(count)));
  mesh->ClearPending(1);
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);
  EXPECT_TRUE(mesh->MarkPending(1));
  EXPECT_TRUE(mesh->MarkPending(0));  // flags are per worker
}

// The protocol the workers follow, on two real threads: a sender copies packets into its pool
// and pushes handles (waking the receiver only when it flips the pending flag); the receiver
// sleeps in poll(2) on its eventfd, clears the flag, drains, and returns every buffer. Every
// packet must arrive intact and in order (no lost wakeup), and every buffer must come home.
TEST(WorkerMeshTest, PacketsCrossThreadsWithoutLostWakeupsAndBuffersComeHome) {
  constexpr uint32_t kPackets = 200'000;
  auto mesh = WorkerMesh::Create(2, 256).value();
  PacketPool& pool = mesh->pool(0);
  uint64_t wakes = 0;
  std::thread receiver([&] {
    uint32_t expected = 0;
    std::vector<RelayedPacket> batch(64);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (expected < kPackets && std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{mesh->wake_fd(1), POLLIN, 0};
      if (::poll(&pfd, 1, 1000) != 1) continue;
      uint64_t count = 0;
      (void)::read(mesh->wake_fd(1), &count, sizeof(count));
      ++wakes;
      mesh->ClearPending(1);
      for (;;) {
        const size_t n = mesh->ring(0, 1).PopBatch(batch);
        if (n == 0) break;
        for (size_t i = 0; i < n; ++i) {
          uint32_t value = 0;
          std::memcpy(&value, pool.data(batch[i].handle).data(), sizeof(value));
          ASSERT_EQ(value, expected);
          ASSERT_EQ(batch[i].producer_id, 42u);
          ASSERT_EQ(batch[i].length, 200u);
          ++expected;
          pool.ReleaseRemote(batch[i].handle, 1);
        }
      }
    }
    EXPECT_EQ(expected, kPackets);
  });
  uint64_t writes = 0;
  for (uint32_t i = 0; i < kPackets;) {
    const PacketHandle handle = pool.Acquire();
    if (!handle.valid()) {
      std::this_thread::yield();  // every buffer is in flight: the receiver is behind
      continue;
    }
    std::memcpy(pool.data(handle).data(), &i, sizeof(i));
    if (!mesh->ring(0, 1).TryPush(RelayedPacket{42, handle, 200, 0, 0})) {
      pool.Release(handle);
      std::this_thread::yield();
      continue;
    }
    if (mesh->MarkPending(1)) {
      mesh->Wake(1);
      ++writes;
    }
    ++i;
  }
  receiver.join();
  pool.Reclaim();
  EXPECT_EQ(pool.free_count(), pool.buffer_count());
  EXPECT_GT(writes, 0u);
  // Batching of wakeups: far fewer than one write(2) per packet.
  EXPECT_LT(writes, kPackets / 4);
}

}  // namespace
}  // namespace switchyard::sfu
