#ifndef SWITCHYARD_SFU_KEYFRAME_REQUESTER_H_
#define SWITCHYARD_SFU_KEYFRAME_REQUESTER_H_

#include <optional>

#include "transport/clock.h"

namespace switchyard::sfu {

// Decides when a keyframe request (PLI, or FIR when PLI was not negotiated) may go to a
// publisher. Many subscribers asking at once must cost the publisher one keyframe, not N
// (a keyframe is 10-20x a delta frame), but a request that got no keyframe must be repeated.
// Pure logic on injected time; the caller sends the RTCP.
class KeyframeRequester {
 public:
  // Requests closer together than this are merged into one.
  static constexpr transport::Duration kMinInterval = std::chrono::milliseconds(300);
  // A request with no keyframe seen after this long is sent again.
  static constexpr transport::Duration kRetryInterval = std::chrono::milliseconds(1000);

  // Someone wants a keyframe. Returns true when a request must be sent now.
  bool Request(transport::Timestamp now);
  // A keyframe arrived from the publisher: outstanding requests are satisfied.
  void OnKeyframe();
  // For timers: true when an unsatisfied request is due for a retry at `now` (and records it).
  bool RetryDue(transport::Timestamp now);
  bool pending() const { return pending_; }

 private:
  std::optional<transport::Timestamp> last_sent_;
  bool pending_ = false;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_KEYFRAME_REQUESTER_H_
