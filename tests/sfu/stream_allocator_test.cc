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
  return TrackDemand{key, priority, Camera(), preference, true};
}

TrackDemand Voice(uint64_t key) { return TrackDemand{key, 0, Audio(), {}, false}; }

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
