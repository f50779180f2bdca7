#include "sfu/bitrate_meter.h"

#include <gtest/gtest.h>

namespace switchyard::sfu {
namespace {

using std::chrono::milliseconds;

TEST(BitrateMeterTest, SlidingOneSecondWindow) {
  transport::FakeClock clock;
  BitrateMeter meter;
  // 1000 bytes every 10 ms = 800 kbps.
  for (int i = 0; i < 200; ++i) {
    meter.Add(1000, clock.Now());
    clock.Advance(milliseconds(10));
  }
  EXPECT_NEAR(meter.BitsPerSecond(clock.Now()), 800'000, 80'000);
  // Half a second of silence halves it; a second and more empties it.
  clock.Advance(milliseconds(500));
  EXPECT_NEAR(meter.BitsPerSecond(clock.Now()), 400'000, 80'000);
  clock.Advance(milliseconds(600));
  EXPECT_EQ(meter.BitsPerSecond(clock.Now()), 0u);
  // A long gap does not leave stale buckets behind.
  clock.Advance(milliseconds(60'000));
  meter.Add(125, clock.Now());
  EXPECT_EQ(meter.BitsPerSecond(clock.Now()), 1000u);
}

}  // namespace
}  // namespace switchyard::sfu
