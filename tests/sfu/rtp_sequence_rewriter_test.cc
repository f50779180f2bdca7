#include "sfu/rtp_sequence_rewriter.h"

#include <gtest/gtest.h>

#include <optional>
#include <utility>
#include <vector>

namespace switchyard::sfu {
namespace {

struct Step {
  uint16_t in_seq;
  uint32_t in_ts;
  uint16_t want_seq;
  uint32_t want_ts;
};

TEST(RtpSequenceRewriterTest, KeepsGapsReorderingAndWraps) {
  const Step steps[] = {
      {65534, 4294967000u, 100, 1000},  // first packet anchors the bases
      {65535, 4294967000u, 101, 1000},  // same frame
      {0, 1704, 102, 3000},             // both wrap in the source (+2000 ticks)
      {3, 4704, 105, 6000},             // two lost: gap stays visible
      {1, 1704, 103, 3000},             // late packet keeps its place
  };
  RtpSequenceRewriter rewriter(100, 1000);
  for (const Step& s : steps) {
    const auto out = rewriter.Rewrite(s.in_seq, s.in_ts);
    EXPECT_EQ(out.sequence_number, s.want_seq) << "in_seq " << s.in_seq;
    EXPECT_EQ(out.timestamp, s.want_ts) << "in_seq " << s.in_seq;
  }
}

TEST(RtpSequenceRewriterTest, OutputWrapsAroundFromHighBase) {
  RtpSequenceRewriter rewriter(65535, 0xFFFFFFFFu);
  EXPECT_EQ(rewriter.Rewrite(10, 0).sequence_number, 65535);
  const auto out = rewriter.Rewrite(11, 90);
  EXPECT_EQ(out.sequence_number, 0);
  EXPECT_EQ(out.timestamp, 89u);
}

TEST(RtpSequenceRewriterTest, RandomBasesDifferAcrossConsumers) {
  // Two consumers of one stream must not share numbering (RFC 3550 §5.1); with 2^16 values a
  // collision across 8 draws is improbable enough to be a real failure.
  int equal = 0;
  for (int i = 0; i < 8; ++i) {
    RtpSequenceRewriter a, b;
    if (a.Rewrite(1, 1).sequence_number == b.Rewrite(1, 1).sequence_number) ++equal;
  }
  EXPECT_LT(equal, 2);
}

}  // namespace
}  // namespace switchyard::sfu

namespace switchyard::sfu {
namespace {

enum class Op { kForward, kDrop, kSwitch };

// kForward: TryRewrite(seq, ts) must give (want_seq, want_ts), or nullopt when !placed.
// kDrop: Drop(seq). kSwitch: SwitchSource(seq, ts, out_ts, incomplete, source >= 0 ? source :
// default label).
struct Action {
  Op op;
  uint16_t seq;
  uint32_t ts = 0;
  uint16_t want_seq = 0;
  uint32_t want_ts = 0;
  bool placed = true;
  uint32_t out_ts = 0;
  bool incomplete = false;
  int source = -1;
};

Action Fwd(uint16_t seq, uint32_t ts, uint16_t want_seq, uint32_t want_ts) {
  return Action{.op = Op::kForward, .seq = seq, .ts = ts, .want_seq = want_seq, .want_ts = want_ts};
}
Action Refused(uint16_t seq, uint32_t ts) {
  return Action{.op = Op::kForward, .seq = seq, .ts = ts, .placed = false};
}
Action Drop(uint16_t seq) { return Action{.op = Op::kDrop, .seq = seq}; }
Action Switch(uint16_t seq, uint32_t ts, uint32_t out_ts, bool incomplete = false,
           int source = -1) {
  return Action{.op = Op::kSwitch, .seq = seq, .ts = ts, .out_ts = out_ts,
             .incomplete = incomplete, .source = source};
}

void RunOps(RtpSequenceRewriter& rewriter, const std::vector<Action>& ops) {
  for (size_t i = 0; i < ops.size(); ++i) {
    const Action& o = ops[i];
    switch (o.op) {
      case Op::kDrop:
        rewriter.Drop(o.seq);
        break;
      case Op::kSwitch:
        rewriter.SwitchSource(o.seq, o.ts, o.out_ts, o.incomplete,
                              o.source >= 0 ? std::optional<int>(o.source) : std::nullopt);
        break;
      case Op::kForward: {
        const auto out = rewriter.TryRewrite(o.seq, o.ts);
        ASSERT_EQ(out.has_value(), o.placed) << "step " << i;
        if (!out) break;
        EXPECT_EQ(out->sequence_number, o.want_seq) << "step " << i;
        EXPECT_EQ(out->timestamp, o.want_ts) << "step " << i;
        break;
      }
    }
  }
}

TEST(RtpSequenceRewriterTest, DropsCloseUpLossesStayVisibleAcrossSwitches) {
  RtpSequenceRewriter rewriter(1000, 5000);
  RunOps(rewriter, {
      Fwd(100, 90000, 1000, 5000),
      Fwd(101, 90000, 1001, 5000),
      Drop(102),  // a filtered temporal-layer frame: no gap
      Drop(103),
      Fwd(104, 93000, 1002, 8000),
      Fwd(106, 96000, 1004, 11000),  // 105 lost: the gap stays for NACK
      Drop(108),                         // 107 not here yet
      Fwd(109, 99000, 1006, 14000),
      Fwd(107, 96000, 1005, 11000),  // late: lands between its neighbours
      Fwd(105, 93000, 1003, 8000),   // the loss recovered fills its gap
      Drop(103),                         // duplicate drop: no effect
      Fwd(110, 99000, 1007, 14000),
      // Another layer with unrelated numbering continues the output.
      Switch(5000, 1'000'000, 17000, false, 2),
      Fwd(5000, 1'000'000, 1008, 17000),
      Refused(4999, 997'000),  // straggler from before the switch
      Fwd(5001, 1'003'000, 1009, 20000),
      // Switched away mid-frame: one number is skipped to mark that frame incomplete.
      Switch(65535, 7, 23000, true),
      Fwd(65535, 7, 1011, 23000),
      Fwd(0, 3007, 1012, 26000),  // input wraps inside the new source
      Drop(1),
      Fwd(2, 6007, 1013, 29000),
  });
  EXPECT_EQ(rewriter.last_output_timestamp(), 29000u);
  EXPECT_EQ(rewriter.last_output_sequence_number(), 1013);

  struct Nack {
    uint16_t out;
    std::optional<std::pair<uint16_t, int>> want;
  };
  const Nack nacks[] = {
      {1000, std::make_pair(uint16_t{100}, 0)}, {1003, std::make_pair(uint16_t{105}, 0)},
      {1007, std::make_pair(uint16_t{110}, 0)}, {1008, std::make_pair(uint16_t{5000}, 2)},
      {1010, std::nullopt},  // the incomplete-frame marker gap maps to nothing
      {1011, std::make_pair(uint16_t{65535}, 3)}, {1013, std::make_pair(uint16_t{2}, 3)},
      {999, std::nullopt},   {1014, std::nullopt},
  };
  for (const Nack& n : nacks) EXPECT_EQ(rewriter.InputFor(n.out), n.want) << n.out;
}

TEST(RtpSequenceRewriterTest, OutputWrapsWithDrops) {
  RtpSequenceRewriter rewriter(65535, 0);
  RunOps(rewriter, {
      Fwd(1, 0, 65535, 0),
      Drop(2),
      Fwd(3, 90, 0, 90),
      Fwd(4, 90, 1, 90),
  });
  EXPECT_EQ(rewriter.InputFor(0), std::make_pair(uint16_t{3}, 0));
  EXPECT_EQ(rewriter.InputFor(65535), std::make_pair(uint16_t{1}, 0));
}

TEST(RtpSequenceRewriterTest, DropsBeforeFirstPacketAndLabelBeforeStart) {
  RtpSequenceRewriter rewriter(10, 0);
  rewriter.Drop(500);  // nothing numbered yet
  rewriter.SwitchSource(0, 0, 0, false, 7);
  RunOps(rewriter, {Fwd(501, 0, 10, 0), Fwd(502, 0, 11, 0)});
  EXPECT_EQ(rewriter.InputFor(10), std::make_pair(uint16_t{501}, 7));
}

TEST(RtpSequenceRewriterTest, FirstPacketOfNewSourceMayBeDropped) {
  RtpSequenceRewriter rewriter(0, 0);
  RunOps(rewriter, {
      Fwd(10, 0, 0, 0),
      Switch(300, 0, 100),
      Drop(300),
      Fwd(301, 0, 1, 100),
  });
}

TEST(RtpSequenceRewriterTest, LatePacketOlderThanDropHistoryIsRefused) {
  RtpSequenceRewriter rewriter(0, 0);
  ASSERT_TRUE(rewriter.TryRewrite(0, 0));
  ASSERT_TRUE(rewriter.TryRewrite(2, 0));
  for (uint16_t seq = 3; seq < 3 + RtpSequenceRewriter::kOffsetHistorySize; ++seq) {
    rewriter.Drop(seq);
  }
  EXPECT_FALSE(rewriter.TryRewrite(1, 0));  // its offset is forgotten: could collide
  rewriter.Rewrite(1, 0);                   // the legacy call still answers
  const auto next = rewriter.TryRewrite(3 + RtpSequenceRewriter::kOffsetHistorySize, 0);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->sequence_number, 3);  // right after 2's output: the drops left no gap
}

TEST(RtpSequenceRewriterTest, NackHistoryIsBounded) {
  RtpSequenceRewriter rewriter(0, 0);
  for (int i = 0; i < 2000; ++i) rewriter.Rewrite(static_cast<uint16_t>(i + 7), 0);
  EXPECT_EQ(rewriter.InputFor(1999), std::make_pair(uint16_t{2006}, 0));
  EXPECT_EQ(rewriter.InputFor(2000 - RtpSequenceRewriter::kHistorySize),
            std::make_pair(uint16_t{2007 - RtpSequenceRewriter::kHistorySize}, 0));
  EXPECT_EQ(rewriter.InputFor(1999 - RtpSequenceRewriter::kHistorySize), std::nullopt);
}

struct AlignCase {
  const char* name;
  TimestampAlignment in;
  uint32_t want;
};

TEST(RtpSequenceRewriterTest, AlignTimestamp) {
  constexpr uint64_t kNtp = uint64_t{3'900'000'000} << 32;  // some instant in 2023
  constexpr uint64_t kHalfSecond = uint64_t{1} << 31;
  const SenderReportTime old_sr{kNtp, 10'000};
  const AlignCase cases[] = {
      {"no SR: one frame after the last output", {.new_timestamp = 777, .last_output_timestamp = 1000}, 4000},
      {"one SR is not enough",
       {.new_timestamp = 777, .new_sender_report = SenderReportTime{kNtp, 5},
        .last_output_timestamp = 1000, .fallback_increment = 1500},
       2500},
      // Same wall-clock instant in both SRs; the new packet is 3000 ticks after its SR, so on
      // the old timeline it is 13000, plus the old source's output offset.
      {"SR mapping",
       {.new_timestamp = 53'000, .new_sender_report = SenderReportTime{kNtp, 50'000},
        .old_sender_report = old_sr, .old_timestamp_offset = 7, .last_output_timestamp = 12'000},
       13'007},
      // The new SR is half a second later: +45000 ticks on the old timeline.
      {"SR mapping across SR instants",
       {.new_timestamp = 50'000,
        .new_sender_report = SenderReportTime{kNtp + kHalfSecond, 50'000},
        .old_sender_report = old_sr, .old_timestamp_offset = 0, .last_output_timestamp = 12'000},
       55'000},
      {"SR mapping with an earlier new SR and wrapping offsets",
       {.new_timestamp = 100, .new_sender_report = SenderReportTime{kNtp - kHalfSecond, 100},
        .old_sender_report = old_sr, .old_timestamp_offset = 0xFFFFFFFFu - 4'999,
        .last_output_timestamp = 0xFFFFFFFFu - 49'999},
       // 10000 - 45000 = -35000 on the old timeline, minus 5000 more from the offset.
       0xFFFFFFFFu - 39'999},
      {"never backwards: SR says earlier than the last output",
       {.new_timestamp = 53'000, .new_sender_report = SenderReportTime{kNtp, 50'000},
        .old_sender_report = old_sr, .old_timestamp_offset = 0, .last_output_timestamp = 20'000},
       20'001},
      {"never equal", {.new_timestamp = 1, .last_output_timestamp = 5, .fallback_increment = 0}, 6},
      {"SRs an hour apart are not trusted",
       {.new_timestamp = 53'000,
        .new_sender_report = SenderReportTime{kNtp + (uint64_t{7200} << 32), 50'000},
        .old_sender_report = old_sr, .last_output_timestamp = 12'000},
       15'000},
      {"fallback wraps", {.new_timestamp = 1, .last_output_timestamp = 0xFFFFFFFFu}, 2999},
  };
  for (const AlignCase& c : cases) EXPECT_EQ(AlignTimestamp(c.in), c.want) << c.name;
}

}  // namespace
}  // namespace switchyard::sfu
