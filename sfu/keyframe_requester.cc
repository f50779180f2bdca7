#include "sfu/keyframe_requester.h"

namespace switchyard::sfu {

bool KeyframeRequester::Request(transport::Timestamp now) {
  pending_ = true;
  if (last_sent_ && now - *last_sent_ < kMinInterval) return false;
  last_sent_ = now;
  return true;
}

void KeyframeRequester::OnKeyframe() { pending_ = false; }

bool KeyframeRequester::RetryDue(transport::Timestamp now) {
  if (!pending_) return false;
  if (last_sent_ && now - *last_sent_ < kRetryInterval) return false;
  last_sent_ = now;
  return true;
}

}  // namespace switchyard::sfu
