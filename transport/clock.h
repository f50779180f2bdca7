#ifndef SWITCHYARD_TRANSPORT_CLOCK_H_
#define SWITCHYARD_TRANSPORT_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace switchyard::transport {

// Monotonic time with microsecond resolution. Every timer in Switchyard (ICE consent, DTLS
// retransmission, keyframe throttling, pacing) reads time from an injected Clock so that it can
// be driven by FakeClock in tests.
using Duration = std::chrono::microseconds;
using Timestamp = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  Timestamp Now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
};

// Time moves only when the test says so.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = Timestamp(Duration(1'000'000'000))) : now_(start) {}
  Timestamp Now() const override { return now_; }
  void Advance(Duration d) { now_ += d; }
  void Set(Timestamp t) { now_ = t; }

 private:
  Timestamp now_;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_CLOCK_H_
