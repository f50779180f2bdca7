#include "sfu/vp8_rewriter.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace switchyard::sfu {
namespace {

rtc::Vp8PayloadDescriptor Desc(uint16_t picture_id, uint8_t tl0, int tid, bool pid15 = true) {
  rtc::Vp8PayloadDescriptor d;
  d.extended = true;
  d.has_picture_id = true;
  d.picture_id_15bit = pid15;
  d.picture_id = picture_id;
  d.has_tl0_pic_idx = true;
  d.tl0_pic_idx = tl0;
  d.has_temporal_id = true;
  d.temporal_id = static_cast<uint8_t>(tid);
  return d;
}

struct Step {
  bool drop;
  bool switched;
  rtc::Vp8PayloadDescriptor in;
  uint16_t want_pid = 0;
  uint8_t want_tl0 = 0;
};

Step Fwd(rtc::Vp8PayloadDescriptor d, uint16_t pid, uint8_t tl0) {
  return Step{false, false, d, pid, tl0};
}
Step SwitchTo(rtc::Vp8PayloadDescriptor d, uint16_t pid, uint8_t tl0) {
  return Step{false, true, d, pid, tl0};
}
Step Dropped(rtc::Vp8PayloadDescriptor d) { return Step{true, false, d}; }

void RunSteps(const std::vector<Step>& steps) {
  Vp8Rewriter rewriter;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const std::optional<Vp8Output> out = rewriter.OnPacket(s.in, s.switched, s.drop);
    ASSERT_EQ(out.has_value(), !s.drop) << "step " << i;
    if (!out) continue;
    EXPECT_EQ(out->picture_id, s.want_pid) << "step " << i;
    EXPECT_EQ(out->tl0picidx, s.want_tl0) << "step " << i;
  }
}

TEST(Vp8RewriterTest, ContinuousAcrossDroppedFramesAndSwitches) {
  RunSteps({
      Fwd(Desc(100, 10, 0), 100, 10),  // the first source keeps its numbering
      Fwd(Desc(101, 10, 2), 101, 10),
      Fwd(Desc(102, 10, 1), 102, 10),
      Dropped(Desc(103, 10, 2)),  // a two-packet TL2 frame filtered out
      Dropped(Desc(103, 10, 2)),
      Fwd(Desc(104, 11, 0), 103, 11),  // closes up: no picture the decoder would wait for
      Fwd(Desc(104, 11, 0), 103, 11),  // second packet of the same picture
      Dropped(Desc(105, 11, 2)),
      Fwd(Desc(106, 11, 1), 104, 11),
      Fwd(Desc(108, 12, 0), 106, 12),  // 107 lost in the network: gap kept
      Fwd(Desc(107, 11, 2), 105, 11),  // ... and filled when it arrives late
      // Another layer, 7-bit picture ids, unrelated numbering: continues at last + 1.
      SwitchTo(Desc(126, 254, 0, false), 107, 13),
      Fwd(Desc(127, 254, 2, false), 108, 13),
      Fwd(Desc(0, 255, 0, false), 109, 14),  // both input fields wrap
      Fwd(Desc(1, 0, 0, false), 110, 15),
      Dropped(Desc(2, 1, 0, false)),        // a dropped TL0 frame closes TL0PICIDX too
      Fwd(Desc(3, 1, 2, false), 111, 15),   // follows TL0 1 -> refers to the last sent TL0
      Fwd(Desc(4, 2, 0, false), 112, 16),
      Dropped(Desc(5, 2, 1, false)),        // an upper-layer frame leaves TL0PICIDX alone
      Fwd(Desc(6, 3, 0, false), 113, 17),
      Dropped(Desc(6, 3, 0, false)),        // late drop of an already sent picture: no-op
      Fwd(Desc(7, 3, 1, false), 114, 17),
  });
}

TEST(Vp8RewriterTest, OutputPictureIdWrapsAt15Bits) {
  RunSteps({
      Fwd(Desc(32766, 0, 0), 32766, 0),
      SwitchTo(Desc(9, 50, 0), 32767, 1),
      Fwd(Desc(10, 51, 0), 0, 2),
      Dropped(Desc(11, 51, 1)),
      Fwd(Desc(12, 52, 0), 1, 3),
  });
}

TEST(Vp8RewriterTest, DropBeforeFirstForwardIsIgnored) {
  RunSteps({
      Dropped(Desc(40, 3, 1)),
      Fwd(Desc(41, 4, 0), 41, 4),
      Fwd(Desc(42, 4, 1), 42, 4),
  });
}

TEST(Vp8RewriterTest, DescriptorWithoutFieldsPassesThrough) {
  Vp8Rewriter rewriter;
  rtc::Vp8PayloadDescriptor d;  // no X: no picture id, no TL0PICIDX
  const Vp8Output out = rewriter.Forward(d, true);
  EXPECT_EQ(out, (Vp8Output{0, 0}));
  std::array<uint8_t, 2> payload = {0x10, 0x00};
  EXPECT_TRUE(Vp8Rewriter::Apply(payload, d, out));
  EXPECT_EQ(payload, (std::array<uint8_t, 2>{0x10, 0x00}));
}

TEST(Vp8RewriterTest, ApplyWritesFieldsInTheirWireWidth) {
  // X=1 S=1 | I=1 L=1 T=1 | M=1 picture id 0x1234 | TL0PICIDX 9 | TID 2, Y | VP8 byte.
  std::array<uint8_t, 7> wide = {0x90, 0xE0, 0x92, 0x34, 0x09, 0xA0, 0x00};
  auto d = rtc::Vp8PayloadDescriptor::Parse(wide);
  ASSERT_TRUE(d);
  EXPECT_TRUE(Vp8Rewriter::Apply(wide, *d, Vp8Output{0x0ABC, 77}));
  EXPECT_EQ(wide, (std::array<uint8_t, 7>{0x90, 0xE0, 0x8A, 0xBC, 77, 0xA0, 0x00}));

  // 7-bit picture id: only the low 7 bits of the counter fit.
  std::array<uint8_t, 5> narrow = {0x90, 0xC0, 0x05, 0x09, 0x00};
  d = rtc::Vp8PayloadDescriptor::Parse(narrow);
  ASSERT_TRUE(d);
  EXPECT_TRUE(Vp8Rewriter::Apply(narrow, *d, Vp8Output{300, 1}));
  EXPECT_EQ(narrow, (std::array<uint8_t, 5>{0x90, 0xC0, 300 & 0x7F, 1, 0x00}));

  // Too short for the descriptor it was parsed as: nothing is written.
  std::array<uint8_t, 3> cut = {0x90, 0xC0, 0x05};
  EXPECT_FALSE(Vp8Rewriter::Apply(cut, *d, Vp8Output{1, 2}));
  EXPECT_EQ(cut, (std::array<uint8_t, 3>{0x90, 0xC0, 0x05}));
}

}  // namespace
}  // namespace switchyard::sfu
