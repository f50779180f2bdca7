#include "sfu/active_speaker_detector.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace switchyard::sfu {
namespace {

using std::chrono::milliseconds;
using transport::Timestamp;

const Timestamp kStart(milliseconds(1'000'000));
constexpr uint8_t kSilence = 127;

// Who is talking (and how loud, RFC 6464 level) over a time range.
struct Talk {
  uint64_t key;
  int from_ms;
  int to_ms;
  uint8_t level;
};

struct Change {
  int at_ms;
  uint64_t key;
};

// Every participant in `keys` sends an audio packet every 20 ms (silence when not in a Talk);
// Update runs after each round. Returns the reported dominant speaker changes.
std::vector<Change> Simulate(ActiveSpeakerDetector& detector, const std::vector<uint64_t>& keys,
                             const std::vector<Talk>& talks, int from_ms, int to_ms) {
  std::vector<Change> changes;
  for (int t = from_ms; t < to_ms; t += 20) {
    const Timestamp now = kStart + milliseconds(t);
    for (uint64_t key : keys) {
      uint8_t level = kSilence;
      bool voice = false;
      for (const Talk& talk : talks) {
        if (talk.key == key && t >= talk.from_ms && t < talk.to_ms) {
          level = talk.level;
          voice = true;
        }
      }
      detector.OnAudioLevel(key, level, voice, now);
    }
    if (std::optional<uint64_t> dominant = detector.Update(now)) {
      changes.push_back({t, *dominant});
    }
  }
  return changes;
}

TEST(ActiveSpeakerDetectorTest, LoudParticipantBecomesDominantAfterHysteresis) {
  ActiveSpeakerDetector detector;
  const auto changes = Simulate(detector, {1, 2, 3}, {{2, 0, 2000, 30}}, 0, 2000);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, 2u);
  // Speaking from 0: a challenger once its average passes min_score, then 400 ms more.
  EXPECT_GE(changes[0].at_ms, 400);
  EXPECT_LE(changes[0].at_ms, 500);
  EXPECT_EQ(detector.dominant(), 2u);
}

TEST(ActiveSpeakerDetectorTest, BriefLouderInterjectionDoesNotSwitch) {
  struct Case {
    const char* name;
    int interjection_ms;
    bool switches;
  };
  const Case cases[] = {
      {"100 ms", 100, false},
      {"300 ms", 300, false},
      {"1500 ms", 1500, true},
  };
  for (const Case& c : cases) {
    ActiveSpeakerDetector detector;
    // 1 talks quietly throughout; 2 interjects much louder from 2000 ms.
    const auto changes =
        Simulate(detector, {1, 2}, {{1, 0, 5000, 60}, {2, 2000, 2000 + c.interjection_ms, 0}},
                 0, 5000);
    ASSERT_GE(changes.size(), 1u) << c.name;
    EXPECT_EQ(changes[0].key, 1u) << c.name;
    if (c.switches) {
      // A real turn: 2 takes over, and 1 gets it back once 2 stops at 3500 ms.
      ASSERT_EQ(changes.size(), 3u) << c.name;
      EXPECT_EQ(changes[1].key, 2u);
      EXPECT_GE(changes[1].at_ms, 2400);
      EXPECT_LE(changes[1].at_ms, 2700);
      EXPECT_EQ(changes[2].key, 1u);
      EXPECT_GE(changes[2].at_ms, 3500);
    } else {
      EXPECT_EQ(changes.size(), 1u) << c.name;
      EXPECT_EQ(detector.dominant(), 1u) << c.name;
    }
  }
}

TEST(ActiveSpeakerDetectorTest, TakeOverWhenTheDominantStops) {
  ActiveSpeakerDetector detector;
  const auto changes =
      Simulate(detector, {1, 2}, {{1, 0, 2000, 30}, {2, 2000, 4000, 40}}, 0, 4000);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].key, 1u);
  EXPECT_EQ(changes[1].key, 2u);
  // 2's average has to overtake 1's decaying one, then hold for 400 ms.
  EXPECT_GE(changes[1].at_ms, 2400);
  EXPECT_LE(changes[1].at_ms, 2700);
}

TEST(ActiveSpeakerDetectorTest, AtMostOneChangePerSecond) {
  ActiveSpeakerDetector::Config config;
  config.min_switch_interval = std::chrono::seconds(2);
  ActiveSpeakerDetector detector(config);
  const auto changes =
      Simulate(detector, {1, 2}, {{1, 0, 500, 30}, {2, 500, 4000, 30}}, 0, 4000);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].key, 1u);
  EXPECT_EQ(changes[1].key, 2u);
  // 2 qualifies around 1000 ms but must wait for 2 s after the first change.
  EXPECT_GE(changes[1].at_ms - changes[0].at_ms, 2000);
  EXPECT_LE(changes[1].at_ms - changes[0].at_ms, 2020);
}

TEST(ActiveSpeakerDetectorTest, SilenceClearsTheDominantSpeaker) {
  ActiveSpeakerDetector detector;
  auto changes = Simulate(detector, {1, 2}, {{1, 0, 1000, 30}}, 0, 2400);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(detector.dominant(), 1u);  // 1.4 s of silence: still dominant
  changes = Simulate(detector, {1, 2}, {}, 2400, 2600);
  EXPECT_TRUE(changes.empty());  // clearing is not reported
  EXPECT_EQ(detector.dominant(), std::nullopt);
  EXPECT_TRUE(detector.ActiveSpeakers(kStart + milliseconds(2600), 5).empty());

  // A quiet new speaker no longer has to beat anyone's leftovers.
  changes = Simulate(detector, {1, 2}, {{2, 2600, 4000, 80}}, 2600, 4000);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, 2u);

  // The same speaker coming back after a clear is not reported again.
  ActiveSpeakerDetector again;
  changes = Simulate(again, {1}, {{1, 0, 1000, 30}, {1, 3000, 4000, 30}}, 0, 4000);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(again.dominant(), 1u);
}

TEST(ActiveSpeakerDetectorTest, VoiceFlagAndNoiseThreshold) {
  struct Case {
    const char* name;
    bool use_voice_flag;
    uint8_t level;
    bool voice;
    bool becomes_dominant;
  };
  const Case cases[] = {
      {"speech", true, 30, true, true},
      {"loud but no voice activity", true, 30, false, false},
      {"vad=off ignores the V bit", false, 30, false, true},
      {"background noise", true, 100, true, false},
      {"silence with V set", true, 127, true, false},
  };
  for (const Case& c : cases) {
    ActiveSpeakerDetector::Config config;
    config.use_voice_flag = c.use_voice_flag;
    ActiveSpeakerDetector detector(config);
    std::optional<uint64_t> reported;
    for (int t = 0; t < 1500; t += 20) {
      detector.OnAudioLevel(9, c.level, c.voice, kStart + milliseconds(t));
      if (auto d = detector.Update(kStart + milliseconds(t))) reported = d;
    }
    EXPECT_EQ(reported.has_value(), c.becomes_dominant) << c.name;
  }
}

TEST(ActiveSpeakerDetectorTest, ActiveSpeakersLoudestFirstAndRemove) {
  ActiveSpeakerDetector detector;
  Simulate(detector, {1, 2, 3, 4}, {{1, 0, 2000, 20}, {2, 0, 2000, 50}, {4, 0, 2000, 40}}, 0,
           2000);
  const Timestamp now = kStart + milliseconds(2000);
  EXPECT_EQ(detector.ActiveSpeakers(now, 10), (std::vector<uint64_t>{1, 4, 2}));
  EXPECT_EQ(detector.ActiveSpeakers(now, 2), (std::vector<uint64_t>{1, 4}));
  EXPECT_TRUE(detector.ActiveSpeakers(now, 0).empty());
  EXPECT_EQ(detector.dominant(), 1u);

  detector.Remove(1);
  EXPECT_EQ(detector.dominant(), std::nullopt);
  EXPECT_EQ(detector.ActiveSpeakers(now, 10), (std::vector<uint64_t>{4, 2}));
  detector.Remove(42);  // unknown: no effect
  EXPECT_EQ(detector.ActiveSpeakers(now, 10).size(), 2u);
  // 4 is now the loudest speaker and takes over after the hysteresis.
  const auto changes =
      Simulate(detector, {2, 4}, {{2, 2000, 4000, 50}, {4, 2000, 4000, 40}}, 2000, 4000);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, 4u);
}

}  // namespace
}  // namespace switchyard::sfu
