#ifndef SWITCHYARD_SFU_NTP_TIME_H_
#define SWITCHYARD_SFU_NTP_TIME_H_

#include <chrono>
#include <cstdint>
#include <optional>

#include "transport/clock.h"

namespace switchyard::sfu {

// RFC 5905 §6: NTP timestamps are 32.32 fixed-point seconds since 1900-01-01; the Unix epoch
// is 2208988800 s later.
inline constexpr uint64_t kNtpUnixEpochOffsetSeconds = 2'208'988'800;
inline constexpr uint64_t kNtpFractionsPerSecond = uint64_t{1} << 32;
// RFC 3550 §6.4.1: LSR/DLSR use the "compact" 16.16 format, i.e. units of 1/65536 s.
inline constexpr uint32_t kCompactNtpPerSecond = 65536;

// 64-bit NTP timestamp of a wall-clock instant given as microseconds since the Unix epoch
// (times before 1900 clamp to 0).
uint64_t NtpFromUnixMicros(int64_t unix_micros);
// Inverse of NtpFromUnixMicros (rounded to the nearest microsecond; era 0 only).
int64_t UnixMicrosFromNtp(uint64_t ntp);
// RFC 3550 §6.4.1: the middle 32 bits (low 16 of the seconds, high 16 of the fraction).
constexpr uint32_t CompactNtp(uint64_t ntp) { return static_cast<uint32_t>(ntp >> 16); }
// A non-negative duration in compact NTP units (1/65536 s), rounded to nearest and saturated at
// 0xFFFFFFFF (~18 h). Negative durations give 0. Used for DLSR.
uint32_t CompactNtpFromDuration(transport::Duration duration);
// Compact NTP units (1/65536 s) as a duration, rounded to the nearest microsecond.
transport::Duration DurationFromCompactNtp(uint32_t compact);

// RFC 3550 §6.4.1: the round trip seen by an SR sender from a report block that echoes its SR:
// rtt = A - LSR - DLSR, all in compact NTP, where A is the arrival time of the report.
// nullopt when LSR is 0 (the receiver has not seen an SR yet). The subtraction is modulo 2^32;
// a "negative" result (clock rounding, or a DLSR the peer overstated) gives 0.
std::optional<transport::Duration> RttFromReportBlock(uint32_t now_compact_ntp, uint32_t last_sr,
                                                      uint32_t delay_since_last_sr);

// The RTP timestamp that corresponds to `now` for a stream whose last packet had
// `last_rtp_timestamp` at `last_time`, advancing at `clock_rate` Hz (wraps modulo 2^32). Used to
// fill the RTP timestamp field of an outgoing Sender Report (RFC 3550 §6.4.1: it corresponds to
// the same instant as the NTP timestamp, not to the last packet sent).
uint32_t RtpTimestampAt(uint32_t last_rtp_timestamp, transport::Timestamp last_time,
                        transport::Timestamp now, uint32_t clock_rate);

// Wall-clock NTP time for SR/RR built from the injected monotonic clock: the wall-clock anchor is
// read once at construction and then advanced by the monotonic clock only, so NTP timestamps
// in our SRs never jump when the system clock is stepped and tests are deterministic.
class NtpClock {
 public:
  // Anchors to std::chrono::system_clock::now() (production).
  explicit NtpClock(const transport::Clock& clock);
  // Anchors `clock.Now()` to the given wall-clock instant (tests).
  NtpClock(const transport::Clock& clock, std::chrono::system_clock::time_point wall_anchor);

  uint64_t Now() const { return ToNtp(clock_.Now()); }
  uint32_t NowCompact() const { return CompactNtp(Now()); }
  // NTP time of a monotonic timestamp from the same clock (e.g. a packet arrival time).
  uint64_t ToNtp(transport::Timestamp t) const;

 private:
  const transport::Clock& clock_;
  transport::Timestamp monotonic_anchor_;
  int64_t unix_micros_anchor_;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_NTP_TIME_H_
