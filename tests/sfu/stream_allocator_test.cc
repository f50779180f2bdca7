#include "sfu/stream_allocator.h"

#include <gtest/gtest.h>

#include <vector>

namespace switchyard::sfu {
namespace {

LayerInfo Layer(uint64_t bps, int width, int height) {
  LayerInfo info;
  info.active = true;
  info.bitrate_bps = bps;
  info.width = width;
  info.height = height;
  return info;
}

const std::vector<LayerInfo>& Camera() {
  static const std::vector<LayerInfo> layers = {
      Layer(100'000, 320, 180), Layer(400'000, 640, 360), Layer(1'200'000, 1280, 720)};
  return layers;
}

const std::vector<LayerInfo>& Audio() {
  static const std::vector<LayerInfo> layers = {Layer(40'000, 0, 0)};
  return layers;
}

TrackDemand Video(uint64_t key, int priority, LayerPreference preference = {}) {
  return TrackDemand{key, priority, Camera(), preference, true, LayerTarget{}};
}

TrackDemand Voice(uint64_t key) {
  return TrackDemand{key, 0, Audio(), {}, false, LayerTarget{}};
}

constexpr int kTop = kMaxTemporalLayers - 1;  // unknown temporal rates: all temporal layers

struct Case {
  const char* name;
  std::vector<TrackDemand> tracks;
  uint64_t budget;
  std::vector<LayerTarget> want;  // per track, input order
};

TEST(StreamAllocatorTest, Allocates) {
  const LayerTarget kPaused{};
  const LayerTarget kAudio{0, 0, 40'000};
  const LayerTarget kLow{0, kTop, 100'000};
  const LayerTarget kMid{1, kTop, 400'000};
  const LayerTarget kHigh{2, kTop, 1'200'000};
  const Case cases[] = {
      {"plenty: everyone top", {Voice(1), Video(2, 0), Video(3, 0)}, 10'000'000,
       {kAudio, kHigh, kHigh}},
      {"audio reserved first, even past the budget", {Voice(1), Video(2, 0)}, 30'000,
       {kAudio, kPaused}},
      {"too small for everyone: later equal-priority tracks paused",
       {Video(1, 0), Video(2, 0), Video(3, 0)}, 250'000, {kLow, kLow, kPaused}},
      // Pinned takes the best that fits (low: mid is 400k), the speaker the next low, and the
      // normal track gets what is left: nothing.
      {"lowest priority paused first", {Video(1, 0), Video(2, 1), Video(3, 2)}, 250'000,
       {kPaused, kLow, kLow}},
      {"pinned gets its best layer first", {Video(1, 0), Video(2, 2), Video(3, 0)}, 1'500'000,
       {kLow, kHigh, kLow}},
      {"pinned best fit leaves nothing: others paused", {Video(1, 0), Video(2, 2)}, 1'250'000,
       {kPaused, kHigh}},
      // 1'000'000: both get low (800k left), upgrade round-robin: 1 -> mid (500k left),
      // 2 -> mid (200k left), no further step fits.
      {"fair share upgrades round-robin", {Video(1, 0), Video(2, 0)}, 1'000'000,
       {kMid, kMid}},
      // 1'500'000: low+low, mid+mid (700k left), track 1 -> high (-800k: no), stays.
      {"no one jumps ahead while others wait", {Video(1, 0), Video(2, 0), Video(3, 0)},
       1'500'000, {kMid, kMid, kMid}},
      {"element 320x180 caps at the lowest layer even with a big budget",
       {Video(1, 0, {.max_width = 320, .max_height = 180}), Video(2, 0)}, 10'000'000,
       {kLow, kHigh}},
      {"subscriber-paused track costs nothing", {Video(1, 2, {.paused = true}), Video(2, 0)},
       1'200'000, {kPaused, kHigh}},
      {"zero budget: audio still flows, video paused", {Voice(1), Video(2, 1)}, 0,
       {kAudio, kPaused}},
  };
  for (const Case& c : cases) {
    const std::vector<TrackAllocation> got = AllocateStreams(c.tracks, c.budget);
    ASSERT_EQ(got.size(), c.want.size()) << c.name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].track_key, c.tracks[i].track_key) << c.name;
      EXPECT_EQ(got[i].target, c.want[i]) << c.name << " track " << i;
    }
  }
}

TrackDemand On(TrackDemand demand, LayerTarget current) {
  demand.current = current;
  return demand;
}

TEST(StreamAllocatorTest, UpSwitchNeedsHysteresisMargin) {
  const LayerTarget kPaused{};
  const LayerTarget kLow{0, kTop, 100'000};
  const LayerTarget kMid{1, kTop, 400'000};
  const LayerTarget kHigh{2, kTop, 1'200'000};
  // High needs 1'200'000 × 1.15 = 1'380'000 to move up to; staying needs 1'200'000.
  const Case cases[] = {
      {"x1.05 of high: a track on mid stays on mid", {On(Video(1, 0), kMid)}, 1'260'000,
       {kMid}},
      {"x1.05 of high: a track on high stays on high", {On(Video(1, 0), kHigh)}, 1'260'000,
       {kHigh}},
      {"x1.05 of high: a track with no current layer takes high", {Video(1, 0)}, 1'260'000,
       {kHigh}},
      {"x1.2 of high: a track on mid moves up", {On(Video(1, 0), kMid)}, 1'440'000, {kHigh}},
      {"exactly x1.15 moves up", {On(Video(1, 0), kMid)}, 1'380'000, {kHigh}},
      {"just under x1.15 does not", {On(Video(1, 0), kMid)}, 1'379'999, {kMid}},
      {"x1.05 of high: a pinned track on mid stays on mid", {On(Video(1, 2), kMid)},
       1'260'000, {kMid}},
      {"x1.2 of high: a pinned track on mid moves up", {On(Video(1, 2), kMid)}, 1'440'000,
       {kHigh}},
      // Mid needs 460'000 from low: at 420'000 the track stays low, with no current it is mid.
      {"the margin applies to every spatial step", {On(Video(1, 0), kLow), Video(2, 1)},
       820'000, {kLow, kMid}},
      // Going down needs no margin: the current layer no longer fits.
      {"below x1.0 a track on high goes down", {On(Video(1, 0), kHigh)}, 1'199'999, {kMid}},
      {"a paused track (current -1) resumes without a margin", {On(Video(1, 0), kPaused)},
       100'000, {kLow}},
  };
  for (const Case& c : cases) {
    const std::vector<TrackAllocation> got = AllocateStreams(c.tracks, c.budget);
    ASSERT_EQ(got.size(), c.want.size()) << c.name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].target, c.want[i]) << c.name << " track " << i;
    }
  }
}

TEST(StreamAllocatorTest, RequiredBitrateAddsTheMarginOnlyForUpSwitches) {
  const LayerTarget kLow{0, kTop, 100'000};
  const LayerTarget kMid{1, kTop, 400'000};
  const LayerTarget kHigh{2, kTop, 1'200'001};
  EXPECT_EQ(RequiredBitrate(On(Video(1, 0), kMid), kHigh), 1'380'001u);  // 1'380'001.15
  EXPECT_EQ(RequiredBitrate(On(Video(1, 0), kMid), kMid), 400'000u);
  EXPECT_EQ(RequiredBitrate(On(Video(1, 0), kMid), kLow), 100'000u);
  EXPECT_EQ(RequiredBitrate(Video(1, 0), kHigh), 1'200'001u);  // no current layer
  const LayerTarget kHuge{2, kTop, UINT64_MAX / 2};
  EXPECT_GT(RequiredBitrate(On(Video(1, 0), kMid), kHuge), kHuge.bitrate_bps);  // no overflow
}

TEST(StreamAllocatorTest, HysteresisStopsFlippingNearALayerBitrate) {
  // An estimate wobbling ±4% around high's bitrate: a track on mid never moves up (without
  // the margin it would flip mid -> high -> mid on every allocation, a keyframe each time).
  LayerTarget current{1, kTop, 400'000};
  int switches = 0;
  for (int i = 0; i < 40; ++i) {
    const uint64_t budget = i % 2 == 0 ? 1'248'000 : 1'152'000;
    const TrackDemand demand = On(Video(1, 0), current);
    const LayerTarget next = AllocateStreams(std::span(&demand, 1), budget)[0].target;
    if (next.spatial != current.spatial) ++switches;
    current = next;
  }
  EXPECT_EQ(switches, 0);
  EXPECT_EQ(current.spatial, 1);
}

TEST(StreamAllocatorTest, NeverExceedsBudgetForVideo) {
  // Sweep budgets: the video total stays within what is left after audio.
  const std::vector<TrackDemand> tracks = {Voice(1), Video(2, 2), Video(3, 1), Video(4, 0),
                                           Video(5, 0)};
  for (uint64_t budget = 0; budget <= 5'000'000; budget += 37'000) {
    uint64_t video = 0;
    for (const TrackAllocation& a : AllocateStreams(tracks, budget)) {
      if (a.track_key != 1) video += a.target.bitrate_bps;
    }
    EXPECT_LE(video, budget > 40'000 ? budget - 40'000 : 0) << budget;
  }
}

}  // namespace
}  // namespace switchyard::sfu
