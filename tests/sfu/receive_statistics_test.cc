#include "sfu/receive_statistics.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace switchyard::sfu {
namespace {

using std::chrono::milliseconds;
using transport::Timestamp;

const Timestamp kStart(milliseconds(1'000'000));
constexpr uint32_t kSsrc = 0x12345678;

void Receive(ReceiveStatistics& stats, const std::vector<uint16_t>& seqs, int at_ms = 0) {
  for (uint16_t seq : seqs) {
    stats.OnPacket(seq, seq * 3000u, kStart + milliseconds(at_ms), false);
  }
}

TEST(ReceiveStatisticsTest, LossPerRfc3550A3) {
  struct Interval {
    std::vector<uint16_t> seqs;
    uint8_t fraction_lost;
    int32_t cumulative_lost;
    uint32_t extended_highest;
  };
  const Interval intervals[] = {
      // expected 6 (0..5), received 5: fraction = (1 << 8) / 6 = 42.
      {{0, 1, 2, 4, 5}, 42, 1, 5},
      // expected 4 more, received 4.
      {{6, 7, 8, 9}, 0, 1, 9},
      // 3 arrives late: cumulative back to 0; interval lost -1 reports fraction 0.
      {{3}, 0, 0, 9},
      // 10..19 with 12, 13, 15 lost: 3/10 -> 76.
      {{10, 11, 14, 16, 17, 18, 19}, 76, 3, 19},
      // A duplicate makes the interval's loss negative: fraction 0, cumulative down by one.
      {{19, 20}, 0, 2, 20},
      // Nothing received: nothing expected, fraction 0.
      {{}, 0, 2, 20},
  };
  ReceiveStatistics stats(90000);
  int at_ms = 0;
  for (const Interval& interval : intervals) {
    Receive(stats, interval.seqs, at_ms);
    at_ms += 1000;
    const rtc::ReportBlock block = stats.MakeReportBlock(kSsrc, kStart + milliseconds(at_ms));
    EXPECT_EQ(block.ssrc, kSsrc);
    EXPECT_EQ(block.fraction_lost, interval.fraction_lost) << at_ms;
    EXPECT_EQ(block.cumulative_lost, interval.cumulative_lost) << at_ms;
    EXPECT_EQ(block.extended_highest_sequence, interval.extended_highest) << at_ms;
  }
  EXPECT_EQ(stats.packets_received(), 19u);
}

TEST(ReceiveStatisticsTest, ExtendedHighestSequenceAcrossWrap) {
  ReceiveStatistics stats(90000);
  Receive(stats, {65533, 65535, 0, 65534, 2});  // 1 lost, 65534 reordered
  EXPECT_EQ(stats.extended_highest_sequence(), 65536u + 2u);
  EXPECT_EQ(stats.cumulative_lost(), 1);
  const rtc::ReportBlock block = stats.MakeReportBlock(kSsrc, kStart);
  EXPECT_EQ(block.extended_highest_sequence, 65538u);
  EXPECT_EQ(block.fraction_lost, 256 / 6);  // 1 of 6
}

TEST(ReceiveStatisticsTest, LargeJumpNeedsTwoSequentialPacketsToRestart) {
  ReceiveStatistics stats(90000);
  Receive(stats, {100, 101});
  Receive(stats, {40000});  // RFC 3550 A.1: beyond MAX_DROPOUT, not yet believed
  EXPECT_EQ(stats.packets_received(), 2u);
  EXPECT_EQ(stats.extended_highest_sequence(), 101u);
  Receive(stats, {40001});  // follows the bad one: the sender restarted
  EXPECT_EQ(stats.packets_received(), 1u);
  EXPECT_EQ(stats.extended_highest_sequence(), 40001u);
  Receive(stats, {40003});
  EXPECT_EQ(stats.cumulative_lost(), 1);
  // Jumps below MAX_DROPOUT are ordinary loss.
  Receive(stats, {42000});
  EXPECT_EQ(stats.cumulative_lost(), 1 + 1996);
}

TEST(ReceiveStatisticsTest, CumulativeLostClampsToSigned24Bits) {
  ReceiveStatistics stats(90000);
  uint16_t seq = 0;
  for (int i = 0; i < 3000; ++i) {
    stats.OnPacket(seq, 0, kStart, false);
    seq = static_cast<uint16_t>(seq + 2999);  // 2998 lost each time
  }
  EXPECT_EQ(stats.cumulative_lost(), int64_t{2999} * 2999 - 3000 + 1);
  const rtc::ReportBlock block = stats.MakeReportBlock(kSsrc, kStart);
  EXPECT_EQ(block.cumulative_lost, 0x7FFFFF);
  EXPECT_EQ(block.extended_highest_sequence, 2999u * 2999u);
}

TEST(ReceiveStatisticsTest, JitterPerRfc3550A8) {
  // 90 kHz, one packet every 20 ms (1800 ticks); the third is 5 ms (450 ticks) late.
  // Transit differences |D|: 0, 450, 450, 0. Integer A.8 (J scaled by 16):
  //   J = 0 + 450 - 0 = 450; J = 450 + 450 - 28 = 872; J = 872 + 0 - 55 = 817 -> 817 >> 4 = 51.
  struct Packet {
    uint16_t seq;
    uint32_t timestamp;
    int arrival_ms;
    bool retransmitted;
  };
  const Packet packets[] = {
      {0, 0, 0, false},
      {1, 1800, 20, false},
      {1, 1800, 33, false},  // duplicate: ignored by jitter
      {2, 3600, 45, false},
      {3, 5400, 60, false},
      {3, 5400, 61, true},   // retransmission: ignored by jitter
      {4, 7200, 80, false},
  };
  const uint32_t want_after[] = {0, 0, 0, 450 >> 4, 872 >> 4, 872 >> 4, 817 >> 4};
  ReceiveStatistics stats(90000);
  for (size_t i = 0; i < std::size(packets); ++i) {
    const Packet& p = packets[i];
    stats.OnPacket(p.seq, p.timestamp, kStart + milliseconds(p.arrival_ms), p.retransmitted);
    EXPECT_EQ(stats.jitter(), want_after[i]) << i;
  }
  EXPECT_EQ(stats.MakeReportBlock(kSsrc, kStart).jitter, 51u);
  EXPECT_EQ(stats.packets_retransmitted(), 1u);
}

TEST(ReceiveStatisticsTest, JitterIgnoresPacketsOfTheSameFrameAndReordering) {
  ReceiveStatistics stats(90000);
  // Three packets of frame 0 spread over 10 ms by the pacer, then frame 1 exactly on time
  // relative to the first packet of frame 0.
  stats.OnPacket(10, 0, kStart, false);
  stats.OnPacket(11, 0, kStart + milliseconds(5), false);
  stats.OnPacket(12, 0, kStart + milliseconds(10), false);
  stats.OnPacket(14, 3000, kStart + milliseconds(33) + std::chrono::microseconds(333), false);
  EXPECT_EQ(stats.jitter(), 0u);
  // A reordered packet from the past would have a huge transit difference: not counted.
  stats.OnPacket(13, 1500, kStart + milliseconds(60), false);
  EXPECT_EQ(stats.jitter(), 0u);
}

TEST(ReceiveStatisticsTest, JitterHandlesTimestampWrap) {
  ReceiveStatistics stats(48000);
  stats.OnPacket(1, 0xFFFFFC40u, kStart, false);                    // 960 before wrap
  stats.OnPacket(2, 0, kStart + milliseconds(20), false);           // on time
  stats.OnPacket(3, 960, kStart + milliseconds(40) + milliseconds(1), false);  // 48 ticks late
  EXPECT_EQ(stats.jitter(), 48u / 16u);
}

TEST(ReceiveStatisticsTest, LsrAndDlsr) {
  ReceiveStatistics stats(90000);
  Receive(stats, {1, 2, 3});
  rtc::ReportBlock block = stats.MakeReportBlock(kSsrc, kStart);
  EXPECT_EQ(block.last_sr, 0u);
  EXPECT_EQ(block.delay_since_last_sr, 0u);

  const Timestamp sr_arrival = kStart + milliseconds(100);
  stats.OnSenderReport(0x1234567890ABCDEFull, sr_arrival);
  struct Case {
    int after_ms;
    uint32_t dlsr;
  };
  const Case cases[] = {{0, 0}, {500, 32768}, {1250, 81920}, {2000, 131072}};
  for (const Case& c : cases) {
    block = stats.MakeReportBlock(kSsrc, sr_arrival + milliseconds(c.after_ms));
    EXPECT_EQ(block.last_sr, 0x567890ABu);
    EXPECT_EQ(block.delay_since_last_sr, c.dlsr) << c.after_ms;
  }
  stats.OnSenderReport(0x0000000100020000ull, sr_arrival + milliseconds(3000));
  block = stats.MakeReportBlock(kSsrc, sr_arrival + milliseconds(3001));
  EXPECT_EQ(block.last_sr, 0x00010002u);
  EXPECT_EQ(block.delay_since_last_sr, 66u);  // 1 ms = 65.536 units
}

TEST(ReceiveStatisticsTest, EmptyBeforeFirstPacket) {
  ReceiveStatistics stats(48000);
  EXPECT_FALSE(stats.has_data());
  const rtc::ReportBlock block = stats.MakeReportBlock(kSsrc, kStart);
  EXPECT_EQ(block, (rtc::ReportBlock{kSsrc, 0, 0, 0, 0, 0, 0}));
  Receive(stats, {7});
  EXPECT_TRUE(stats.has_data());
  EXPECT_EQ(stats.MakeReportBlock(kSsrc, kStart).extended_highest_sequence, 7u);
}

}  // namespace
}  // namespace switchyard::sfu
