#include "sfu/ntp_time.h"

namespace switchyard::sfu {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

}  // namespace

uint64_t NtpFromUnixMicros(int64_t unix_micros) {
  const int64_t ntp_micros = unix_micros + static_cast<int64_t>(kNtpUnixEpochOffsetSeconds) *
                                               kMicrosPerSecond;
  if (ntp_micros <= 0) return 0;
  const uint64_t seconds = static_cast<uint64_t>(ntp_micros / kMicrosPerSecond);
  const uint64_t micros = static_cast<uint64_t>(ntp_micros % kMicrosPerSecond);
  // micros < 10^6, so micros * 2^32 < 2^52: no overflow. Round to nearest fraction.
  const uint64_t fraction = (micros * kNtpFractionsPerSecond + kMicrosPerSecond / 2) /
                            kMicrosPerSecond;
  return (seconds << 32) + fraction;  // '+' lets a rounded-up fraction carry into the seconds
}

int64_t UnixMicrosFromNtp(uint64_t ntp) {
  const uint64_t seconds = ntp >> 32;
  const uint64_t fraction = ntp & 0xFFFFFFFFu;
  const uint64_t micros = (fraction * kMicrosPerSecond + kNtpFractionsPerSecond / 2) >> 32;
  return (static_cast<int64_t>(seconds) - static_cast<int64_t>(kNtpUnixEpochOffsetSeconds)) *
             kMicrosPerSecond +
         static_cast<int64_t>(micros);
}

uint32_t CompactNtpFromDuration(transport::Duration duration) {
  const int64_t micros = duration.count();
  if (micros <= 0) return 0;
  const uint64_t units =
      (static_cast<uint64_t>(micros) * kCompactNtpPerSecond + kMicrosPerSecond / 2) /
      kMicrosPerSecond;
  return units > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(units);
}

transport::Duration DurationFromCompactNtp(uint32_t compact) {
  const uint64_t micros =
      (uint64_t{compact} * kMicrosPerSecond + kCompactNtpPerSecond / 2) / kCompactNtpPerSecond;
  return transport::Duration(static_cast<int64_t>(micros));
}

std::optional<transport::Duration> RttFromReportBlock(uint32_t now_compact_ntp, uint32_t last_sr,
                                                      uint32_t delay_since_last_sr) {
  if (last_sr == 0) return std::nullopt;
  const uint32_t rtt = now_compact_ntp - last_sr - delay_since_last_sr;
  // Anything above 2^31 units (~9 h) is a negative difference, not a real round trip.
  if (rtt > 0x80000000u) return transport::Duration(0);
  return DurationFromCompactNtp(rtt);
}

uint32_t RtpTimestampAt(uint32_t last_rtp_timestamp, transport::Timestamp last_time,
                        transport::Timestamp now, uint32_t clock_rate) {
  const int64_t elapsed_micros = (now - last_time).count();
  // Split seconds and remainder so the product cannot overflow for any realistic gap.
  const int64_t seconds = elapsed_micros / kMicrosPerSecond;
  const int64_t remainder = elapsed_micros % kMicrosPerSecond;
  const int64_t ticks =
      seconds * clock_rate + remainder * static_cast<int64_t>(clock_rate) / kMicrosPerSecond;
  return last_rtp_timestamp + static_cast<uint32_t>(ticks);
}

NtpClock::NtpClock(const transport::Clock& clock)
    : NtpClock(clock, std::chrono::system_clock::now()) {}

NtpClock::NtpClock(const transport::Clock& clock,
                   std::chrono::system_clock::time_point wall_anchor)
    : clock_(clock),
      monotonic_anchor_(clock.Now()),
      unix_micros_anchor_(
          std::chrono::duration_cast<std::chrono::microseconds>(wall_anchor.time_since_epoch())
              .count()) {}

uint64_t NtpClock::ToNtp(transport::Timestamp t) const {
  return NtpFromUnixMicros(unix_micros_anchor_ + (t - monotonic_anchor_).count());
}

}  // namespace switchyard::sfu
