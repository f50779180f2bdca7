#include "sfu/nack_generator.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace switchyard::sfu {
namespace {

using std::chrono::milliseconds;
using transport::Duration;
using transport::Timestamp;

const Timestamp kStart(milliseconds(1'000'000));

enum class Op { kPacket, kKeyframePacket, kNacks };
struct Step {
  int at_ms;
  Op op;
  uint16_t seq;                // kPacket / kKeyframePacket
  bool filled;                 // kPacket: expected OnPacket return
  std::vector<uint16_t> nacks;  // kNacks: expected sequence numbers
};

void RunSteps(NackGenerator& nack, const std::vector<Step>& steps, Duration rtt) {
  for (const Step& s : steps) {
    const Timestamp now = kStart + milliseconds(s.at_ms);
    if (s.op == Op::kNacks) {
      std::array<uint16_t, 64> out{};
      const size_t n = nack.GetNacks(now, rtt, out);
      EXPECT_EQ(std::vector<uint16_t>(out.begin(), out.begin() + n), s.nacks)
          << "GetNacks at " << s.at_ms;
    } else {
      EXPECT_EQ(nack.OnPacket(s.seq, s.op == Op::kKeyframePacket, now), s.filled)
          << "packet " << s.seq << " at " << s.at_ms;
    }
  }
}

TEST(NackGeneratorTest, SingleGapRetriedEveryRttThenGivenUp) {
  NackGenerator nack;
  std::vector<Step> steps = {
      {0, Op::kPacket, 100, false, {}},
      {0, Op::kPacket, 102, false, {}},  // 101 missing
      {0, Op::kNacks, 0, false, {}},     // within the reordering delay
      {4, Op::kNacks, 0, false, {}},
      {5, Op::kNacks, 0, false, {101}},  // first request
      {6, Op::kNacks, 0, false, {}},
      {54, Op::kNacks, 0, false, {}},    // rtt 50 ms not yet elapsed
  };
  // Requests 2..10 every 50 ms.
  for (int i = 1; i < 10; ++i) steps.push_back({5 + 50 * i, Op::kNacks, 0, false, {101}});
  steps.push_back({500, Op::kNacks, 0, false, {}});
  steps.push_back({505, Op::kNacks, 0, false, {}});  // 11th would be due: given up instead
  steps.push_back({600, Op::kNacks, 0, false, {}});
  RunSteps(nack, steps, milliseconds(50));
  EXPECT_EQ(nack.nacks_sent(), 10u);
  EXPECT_EQ(nack.given_up(), 1u);
  EXPECT_EQ(nack.pending(), 0u);
  EXPECT_FALSE(nack.TakeKeyframeNeeded());
  // A retransmission after giving up is not a recovery.
  EXPECT_FALSE(nack.OnPacket(101, false, kStart + milliseconds(700)));
  EXPECT_EQ(nack.recovered(), 0u);
}

TEST(NackGeneratorTest, RetryIntervalHasAFloorForTinyRtt) {
  NackGenerator nack;
  RunSteps(nack,
      {
          {0, Op::kPacket, 1, false, {}},
          {0, Op::kPacket, 3, false, {}},
          {5, Op::kNacks, 0, false, {2}},
          {10, Op::kNacks, 0, false, {}},  // rtt 1 ms, but retries are >= 20 ms apart
          {24, Op::kNacks, 0, false, {}},
          {25, Op::kNacks, 0, false, {2}},
      },
      milliseconds(1));
}

TEST(NackGeneratorTest, ReorderingWithinDelayIsNotNacked) {
  NackGenerator nack;
  RunSteps(nack,
      {
          {0, Op::kPacket, 1, false, {}},
          {0, Op::kPacket, 3, false, {}},
          {3, Op::kPacket, 2, true, {}},  // late, fills the gap
          {10, Op::kNacks, 0, false, {}},
          {10, Op::kPacket, 2, false, {}},  // duplicate
      },
      milliseconds(50));
  EXPECT_EQ(nack.nacks_sent(), 0u);
  EXPECT_EQ(nack.recovered(), 1u);
}

TEST(NackGeneratorTest, RecoveredPacketLeavesTheList) {
  NackGenerator nack;
  RunSteps(nack,
      {
          {0, Op::kPacket, 10, false, {}},
          {0, Op::kPacket, 14, false, {}},  // 11, 12, 13 missing
          {10, Op::kNacks, 0, false, {11, 12, 13}},
          {20, Op::kPacket, 12, true, {}},  // retransmission
          {20, Op::kPacket, 12, false, {}},  // second copy
          {30, Op::kNacks, 0, false, {11, 13}},
          {35, Op::kPacket, 11, true, {}},
          {35, Op::kPacket, 15, false, {}},
          {50, Op::kNacks, 0, false, {13}},
      },
      milliseconds(20));
  EXPECT_EQ(nack.recovered(), 2u);
  EXPECT_EQ(nack.pending(), 1u);
  EXPECT_EQ(nack.nacks_sent(), 3u + 2u + 1u);
}

TEST(NackGeneratorTest, SequenceNumberWrap) {
  NackGenerator nack;
  RunSteps(nack,
      {
          {0, Op::kPacket, 65533, false, {}},
          {0, Op::kPacket, 1, false, {}},  // 65534, 65535, 0 missing
          {10, Op::kNacks, 0, false, {65534, 65535, 0}},
          {11, Op::kPacket, 65535, true, {}},
          {11, Op::kPacket, 2, false, {}},
          {40, Op::kNacks, 0, false, {65534, 0}},
      },
      milliseconds(20));
}

TEST(NackGeneratorTest, OutputBufferSmallerThanDueList) {
  NackGenerator nack;
  nack.OnPacket(1, false, kStart);
  nack.OnPacket(5, false, kStart);  // 2, 3, 4 missing
  std::array<uint16_t, 2> out{};
  ASSERT_EQ(nack.GetNacks(kStart + milliseconds(10), milliseconds(50), out), 2u);
  EXPECT_EQ(out[0], 2);
  EXPECT_EQ(out[1], 3);
  ASSERT_EQ(nack.GetNacks(kStart + milliseconds(11), milliseconds(50), out), 1u);
  EXPECT_EQ(out[0], 4);
}

TEST(NackGeneratorTest, GivesUpOnPacketsOlderThanOneSecond) {
  NackGenerator nack;
  RunSteps(nack,
      {
          {0, Op::kPacket, 1, false, {}},
          {0, Op::kPacket, 3, false, {}},
          {5, Op::kNacks, 0, false, {2}},
          {305, Op::kNacks, 0, false, {2}},
          {605, Op::kNacks, 0, false, {2}},
          {905, Op::kNacks, 0, false, {2}},
          {1001, Op::kNacks, 0, false, {}},  // only 4 tries, but 1 s old
      },
      milliseconds(300));
  EXPECT_EQ(nack.pending(), 0u);
  EXPECT_EQ(nack.given_up(), 1u);
}

TEST(NackGeneratorTest, GivesUpOnPacketsMoreThanThousandBehind) {
  NackGenerator nack;
  nack.OnPacket(0, false, kStart);
  nack.OnPacket(2, false, kStart);  // 1 missing
  nack.OnPacket(1001, false, kStart);  // 3..1000 missing; 1 is exactly 1000 behind: kept
  EXPECT_EQ(nack.pending(), 999u);
  nack.OnPacket(1002, false, kStart);  // 1 is now 1001 behind
  EXPECT_EQ(nack.pending(), 998u);
  EXPECT_EQ(nack.given_up(), 1u);
  EXPECT_FALSE(nack.TakeKeyframeNeeded());
  std::array<uint16_t, 1> out{};
  ASSERT_EQ(nack.GetNacks(kStart + milliseconds(10), milliseconds(50), out), 1u);
  EXPECT_EQ(out[0], 3);
}

TEST(NackGeneratorTest, HugeJumpNeedsKeyframe) {
  struct Case {
    const char* name;
    uint16_t jump_to;
    bool keyframe;
    bool want_keyframe_needed;
    size_t want_pending;
  };
  const Case cases[] = {
      // 103..1101 fit the 1000-entry list; 101 falls 1001 behind and is given up.
      {"999 missing: still NACKable", 1102, false, false, 999},
      {"1001 missing", 1104, false, true, 0},
      {"30000 missing", 30100, false, true, 0},
      {"jump onto a keyframe", 30100, true, false, 0},
  };
  for (const Case& c : cases) {
    NackGenerator nack;
    nack.OnPacket(100, false, kStart);
    nack.OnPacket(102, false, kStart);  // 101 missing
    nack.OnPacket(c.jump_to, c.keyframe, kStart + milliseconds(1));
    EXPECT_EQ(nack.TakeKeyframeNeeded(), c.want_keyframe_needed) << c.name;
    EXPECT_FALSE(nack.TakeKeyframeNeeded()) << c.name;  // taken
    EXPECT_EQ(nack.pending(), c.want_pending) << c.name;
  }
}

TEST(NackGeneratorTest, ListOverflowDropsLossesBeforeKeyframeOrAsksForOne) {
  NackGenerator::Config config;
  config.max_list_size = 10;
  {
    NackGenerator nack(config);
    nack.OnPacket(0, false, kStart);
    nack.OnPacket(8, false, kStart);  // 7 missing
    EXPECT_EQ(nack.pending(), 7u);
    nack.OnPacket(14, false, kStart);  // 5 more do not fit, no keyframe to fall back on
    EXPECT_TRUE(nack.TakeKeyframeNeeded());
    EXPECT_EQ(nack.pending(), 0u);
  }
  {
    NackGenerator nack(config);
    nack.OnPacket(0, false, kStart);
    nack.OnPacket(8, true, kStart);  // 1..7 missing, 8 starts a keyframe
    nack.OnPacket(14, false, kStart);  // 9..13: room made by dropping 1..7
    EXPECT_FALSE(nack.TakeKeyframeNeeded());
    EXPECT_EQ(nack.pending(), 5u);
    std::array<uint16_t, 16> out{};
    ASSERT_EQ(nack.GetNacks(kStart + milliseconds(10), milliseconds(50), out), 5u);
    EXPECT_EQ(out[0], 9);
    EXPECT_EQ(out[4], 13);
  }
  {
    // Recovered entries in the middle are compacted away to make room.
    NackGenerator nack(config);
    nack.OnPacket(0, false, kStart);
    nack.OnPacket(9, false, kStart);  // 1..8 missing
    for (uint16_t s : {2, 4, 6}) EXPECT_TRUE(nack.OnPacket(s, false, kStart));
    nack.OnPacket(14, false, kStart);  // 5 live + 4 new = 9 <= 10
    EXPECT_FALSE(nack.TakeKeyframeNeeded());
    EXPECT_EQ(nack.pending(), 9u);
    std::array<uint16_t, 16> out{};
    ASSERT_EQ(nack.GetNacks(kStart + milliseconds(10), milliseconds(50), out), 9u);
    EXPECT_EQ(std::vector<uint16_t>(out.begin(), out.begin() + 9),
              (std::vector<uint16_t>{1, 3, 5, 7, 8, 10, 11, 12, 13}));
  }
}

TEST(NackGeneratorTest, FollowsARestartOfTheNumbering) {
  NackGenerator nack;
  RunSteps(nack,
      {
          {0, Op::kPacket, 30000, false, {}},
          {0, Op::kPacket, 30002, false, {}},  // 30001 missing
          {1, Op::kPacket, 10000, false, {}},  // far behind: stray, ignored
          {2, Op::kPacket, 10001, false, {}},  // continues: restart
          {2, Op::kPacket, 10003, false, {}},  // 10002 missing
          {10, Op::kNacks, 0, false, {10002}},
      },
      milliseconds(50));
  EXPECT_FALSE(nack.TakeKeyframeNeeded());
}

TEST(NackGeneratorTest, NextNackTime) {
  NackGenerator nack;
  EXPECT_FALSE(nack.NextNackTime(milliseconds(50)));
  nack.OnPacket(1, false, kStart);
  nack.OnPacket(3, false, kStart);
  EXPECT_EQ(nack.NextNackTime(milliseconds(50)), kStart + milliseconds(5));
  std::array<uint16_t, 4> out{};
  nack.GetNacks(kStart + milliseconds(7), milliseconds(50), out);
  EXPECT_EQ(nack.NextNackTime(milliseconds(50)), kStart + milliseconds(57));
  nack.Reset();
  EXPECT_FALSE(nack.NextNackTime(milliseconds(50)));
  EXPECT_EQ(nack.pending(), 0u);
}

}  // namespace
}  // namespace switchyard::sfu
