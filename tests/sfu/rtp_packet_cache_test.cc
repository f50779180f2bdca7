#include "sfu/rtp_packet_cache.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace switchyard::sfu {
namespace {

using std::chrono::milliseconds;
using transport::Timestamp;

const Timestamp kStart(milliseconds(1'000'000));

// A small distinct packet per sequence number.
std::vector<uint8_t> PacketFor(uint16_t seq) {
  return {0x80, 0x60, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0xAB,
          static_cast<uint8_t>(seq * 7)};
}

bool Holds(const RtpPacketCache& cache, uint16_t seq) {
  auto got = cache.Get(seq);
  if (!got) return false;
  const std::vector<uint8_t> want = PacketFor(seq);
  return std::vector<uint8_t>(got->begin(), got->end()) == want;
}

TEST(RtpPacketCacheTest, CapacityRoundsUpToPowerOfTwo) {
  EXPECT_EQ(RtpPacketCache().capacity(), 512u);
  EXPECT_EQ(RtpPacketCache(500).capacity(), 512u);
  EXPECT_EQ(RtpPacketCache(0).capacity(), 1u);
  EXPECT_EQ(RtpPacketCache(5).capacity(), 8u);
  EXPECT_EQ(RtpPacketCache(1'000'000).capacity(), 32768u);
}

TEST(RtpPacketCacheTest, TableOfInsertsAndLookups) {
  struct Case {
    const char* name;
    std::vector<uint16_t> inserts;
    std::vector<uint16_t> present;
    std::vector<uint16_t> absent;
  };
  const Case cases[] = {
      {"basic", {10, 11, 12}, {10, 11, 12}, {9, 13, 14}},
      // Capacity 4: 14 and 15 take the slots of 10 and 11.
      {"overwrite", {10, 11, 12, 13, 14, 15}, {12, 13, 14, 15}, {10, 11}},
      // 9 and 17 map to the slot that holds 13, 8 and 16 to that of 12: wrong-seq check.
      {"wrong seq in slot", {12, 13}, {12, 13}, {9, 17, 16, 8}},
      {"wrap", {65534, 65535, 0, 1}, {65534, 65535, 0, 1}, {2, 65533}},
      {"reordered across wrap", {0, 65535, 1}, {0, 65535, 1}, {65534}},
      // 9 arrives after 10..13 filled the cache: it would evict 13, so it is dropped.
      {"too old", {10, 11, 12, 13, 9}, {10, 11, 12, 13}, {9}},
      // 11 missing, arrives late but within the window.
      {"late within window", {10, 12, 13, 11}, {10, 11, 12, 13}, {}},
      // 1000 is far behind 20000 (> MAX_DROPOUT): a restart of the numbering.
      {"discontinuity", {20000, 20001, 1000}, {1000}, {20000, 20001}},
  };
  for (const Case& c : cases) {
    RtpPacketCache cache(4);
    Timestamp now = kStart;
    for (uint16_t seq : c.inserts) {
      cache.Insert(PacketFor(seq), seq, now);
      now += milliseconds(1);
    }
    for (uint16_t seq : c.present) EXPECT_TRUE(Holds(cache, seq)) << c.name << " " << seq;
    for (uint16_t seq : c.absent) EXPECT_FALSE(cache.Get(seq)) << c.name << " " << seq;
  }
}

TEST(RtpPacketCacheTest, SameSixteenBitNumberOneCycleLaterIsNotConfused) {
  RtpPacketCache cache(4);
  cache.Insert(PacketFor(5), 5, kStart);  // slot 1
  // A whole cycle of numbers that never land in slot 1 (5 + 4k are lost), ending at 7.
  for (uint32_t step = 1; step <= 65536 + 2; ++step) {
    const auto seq = static_cast<uint16_t>(5 + step);
    if (step % 4 != 0) cache.Insert(PacketFor(seq), seq, kStart);
  }
  ASSERT_TRUE(Holds(cache, 7));
  // Slot 1 still holds the packet numbered 5 from 65536 packets ago; a NACK for the recent 5
  // must not get it.
  EXPECT_FALSE(cache.Get(5));
}

TEST(RtpPacketCacheTest, IgnoresOversizedAndEmptyPackets) {
  RtpPacketCache cache(8);
  const std::vector<uint8_t> big(RtpPacketCache::kMaxPacketSize + 1, 0x11);
  cache.Insert(big, 1, kStart);
  cache.Insert({}, 2, kStart);
  EXPECT_FALSE(cache.Get(1));
  EXPECT_FALSE(cache.Get(2));
  const std::vector<uint8_t> max(RtpPacketCache::kMaxPacketSize, 0x22);
  cache.Insert(max, 3, kStart);
  ASSERT_TRUE(cache.Get(3));
  EXPECT_EQ(cache.Get(3)->size(), RtpPacketCache::kMaxPacketSize);
  EXPECT_EQ((*cache.Get(3))[1499], 0x22);
}

TEST(RtpPacketCacheTest, OverwriteReplacesBytesAndSize) {
  RtpPacketCache cache(4);
  cache.Insert(std::vector<uint8_t>(100, 0x01), 7, kStart);
  cache.Insert(std::vector<uint8_t>{0x09, 0x08}, 7, kStart + milliseconds(5));  // duplicate
  auto got = cache.Get(7);
  ASSERT_TRUE(got);
  EXPECT_EQ(std::vector<uint8_t>(got->begin(), got->end()), (std::vector<uint8_t>{0x09, 0x08}));
  EXPECT_EQ(cache.ArrivalTime(7), kStart + milliseconds(5));
}

TEST(RtpPacketCacheTest, ArrivalTimeAndClear) {
  RtpPacketCache cache(16);
  cache.Insert(PacketFor(100), 100, kStart);
  cache.Insert(PacketFor(101), 101, kStart + milliseconds(20));
  EXPECT_EQ(cache.ArrivalTime(100), kStart);
  EXPECT_EQ(cache.ArrivalTime(101), kStart + milliseconds(20));
  EXPECT_FALSE(cache.ArrivalTime(102));
  cache.Clear();
  EXPECT_FALSE(cache.Get(100));
  EXPECT_FALSE(cache.ArrivalTime(101));
  // After Clear any number starts a new stream.
  cache.Insert(PacketFor(40000), 40000, kStart);
  EXPECT_TRUE(Holds(cache, 40000));
}


// A cache that starts small grows (only) when it would otherwise evict a packet younger than
// kKeepAtLeast: a slow stream keeps its initial size, a fast one grows to hold a second of it,
// never beyond the capacity, and every packet inserted so far stays retrievable across growth.
TEST(RtpPacketCacheTest, GrowsToHoldOneSecondOfTheStream) {
  const Timestamp start = kStart;
  RtpPacketCache slow(512, 128);
  EXPECT_EQ(slow.capacity(), 128u);
  EXPECT_EQ(slow.max_capacity(), 512u);
  for (int i = 0; i < 1000; ++i) {  // 20 packets/s for 50 s
    slow.Insert(PacketFor(static_cast<uint16_t>(i)), static_cast<uint16_t>(i),
                start + std::chrono::milliseconds(50 * i));
  }
  EXPECT_EQ(slow.capacity(), 128u);

  RtpPacketCache fast(512, 128);
  for (int i = 0; i < 300; ++i) {  // 300 packets/s for 1 s
    fast.Insert(PacketFor(static_cast<uint16_t>(i)), static_cast<uint16_t>(i),
                start + std::chrono::microseconds(3333 * i));
  }
  EXPECT_EQ(fast.capacity(), 512u);  // 128 -> 256 -> 512
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(Holds(fast, static_cast<uint16_t>(i))) << i;

  RtpPacketCache capped(256, 128);
  for (int i = 0; i < 2000; ++i) {  // 2000 packets/s: more than the cap can hold
    capped.Insert(PacketFor(static_cast<uint16_t>(i)), static_cast<uint16_t>(i),
                  start + std::chrono::microseconds(500 * i));
  }
  EXPECT_EQ(capped.capacity(), 256u);
  EXPECT_TRUE(Holds(capped, 1999));
  EXPECT_FALSE(Holds(capped, 1999 - 256));
}

}  // namespace
}  // namespace switchyard::sfu
