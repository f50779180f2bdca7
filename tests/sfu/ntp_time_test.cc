#include "sfu/ntp_time.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

namespace switchyard::sfu {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using transport::Duration;

TEST(NtpTimeTest, UnixMicrosToNtp) {
  struct Case {
    int64_t unix_micros;
    uint64_t ntp;
  };
  const Case cases[] = {
      {0, uint64_t{2'208'988'800} << 32},
      {1'500'000, (uint64_t{2'208'988'801} << 32) | 0x80000000u},
      {250'000, (uint64_t{2'208'988'800} << 32) | 0x40000000u},
      // 2023-11-14T22:13:20Z.
      {1'700'000'000'000'000, uint64_t{3'908'988'800} << 32},
      {-2'208'988'800'000'000, 0},  // 1900-01-01
      {-2'208'988'801'000'000, 0},  // before 1900: clamped
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NtpFromUnixMicros(c.unix_micros), c.ntp) << c.unix_micros;
    if (c.ntp != 0) {
      EXPECT_EQ(UnixMicrosFromNtp(c.ntp), c.unix_micros);
    }
  }
}

TEST(NtpTimeTest, MicrosecondRoundTrip) {
  for (int64_t micros : {int64_t{1}, int64_t{999'999}, int64_t{1'700'000'000'123'457},
                         int64_t{-1'000'000'000'000'001}}) {
    EXPECT_EQ(UnixMicrosFromNtp(NtpFromUnixMicros(micros)), micros);
  }
}

TEST(NtpTimeTest, CompactConversions) {
  EXPECT_EQ(CompactNtp(0x1234567890ABCDEFull), 0x567890ABu);
  struct Case {
    Duration duration;
    uint32_t compact;
  };
  const Case cases[] = {
      {seconds(1), 65536},
      {milliseconds(500), 32768},
      {milliseconds(1250), 81920},
      {Duration(15), 1},  // 15.26 us per unit
      {Duration(0), 0},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CompactNtpFromDuration(c.duration), c.compact) << c.duration.count();
    EXPECT_EQ(DurationFromCompactNtp(c.compact), c.duration) << c.compact;
  }
  EXPECT_EQ(CompactNtpFromDuration(Duration(-5)), 0u);
  EXPECT_EQ(CompactNtpFromDuration(std::chrono::hours(24)), 0xFFFFFFFFu);
}

TEST(NtpTimeTest, RttFromReportBlock) {
  struct Case {
    uint32_t now;
    uint32_t lsr;
    uint32_t dlsr;
    std::optional<Duration> rtt;
  };
  const Case cases[] = {
      // RFC 3550 §6.4.1 example shape: A - LSR - DLSR.
      {0x20000, 0x10000, 0x8000, milliseconds(500)},
      {0x10000 + 0x1000, 0x10000, 0, milliseconds(62) + Duration(500)},  // 4096/65536 s
      {0x00008000, 0xFFFF0000, 0, milliseconds(1500)},                    // compact NTP wrap
      {0x10000, 0, 0, std::nullopt},                                      // no SR seen
      {0x10000, 0x10000, 0x100, Duration(0)},                             // negative: clamped
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RttFromReportBlock(c.now, c.lsr, c.dlsr), c.rtt) << std::hex << c.now;
  }
}

TEST(NtpTimeTest, RtpTimestampAt) {
  const transport::Timestamp t(seconds(1000));
  EXPECT_EQ(RtpTimestampAt(1000, t, t + milliseconds(20), 90000), 1000u + 1800u);
  EXPECT_EQ(RtpTimestampAt(0xFFFFFF00u, t, t + seconds(1), 48000), 48000u - 0x100u);
  EXPECT_EQ(RtpTimestampAt(5000, t, t - milliseconds(10), 48000), 5000u - 480u);
  EXPECT_EQ(RtpTimestampAt(0, t, t + std::chrono::hours(24 * 365), 90000),
            static_cast<uint32_t>(uint64_t{90000} * 3600 * 24 * 365));
}

TEST(NtpClockTest, AdvancesWithTheInjectedClockFromTheWallAnchor) {
  transport::FakeClock clock;
  const std::chrono::system_clock::time_point anchor{seconds(1'700'000'000)};
  NtpClock ntp(clock, anchor);
  const uint64_t base = uint64_t{1'700'000'000 + 2'208'988'800ull} << 32;
  EXPECT_EQ(ntp.Now(), base);
  clock.Advance(milliseconds(250));
  EXPECT_EQ(ntp.Now(), base + 0x40000000u);
  EXPECT_EQ(ntp.NowCompact(), CompactNtp(base + 0x40000000u));
  EXPECT_EQ(ntp.ToNtp(clock.Now() - milliseconds(1250)), base - (uint64_t{1} << 32));
  clock.Advance(seconds(2));
  EXPECT_EQ(ntp.Now() - base, (uint64_t{2} << 32) + 0x40000000u);
}

TEST(NtpClockTest, ProductionConstructorUsesSystemClockOnce) {
  transport::FakeClock clock;
  NtpClock ntp(clock);
  const uint64_t first = ntp.Now();
  // Somewhere after 2020 (NTP seconds > 3786825600).
  EXPECT_GT(first >> 32, 3'786'825'600u);
  EXPECT_EQ(ntp.Now(), first);  // only the injected clock moves it
}

}  // namespace
}  // namespace switchyard::sfu
