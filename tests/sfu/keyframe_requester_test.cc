#include "sfu/keyframe_requester.h"

#include <gtest/gtest.h>

namespace switchyard::sfu {
namespace {

using std::chrono::milliseconds;
using transport::Timestamp;

enum class Op { kRequest, kKeyframe, kRetry };
struct Step {
  int at_ms;
  Op op;
  bool want;  // return value of Request/RetryDue; ignored for kKeyframe
};

TEST(KeyframeRequesterTest, MergesBurstsAndRetriesUnansweredRequests) {
  const Step steps[] = {
      {0, Op::kRequest, true},     // first request goes out
      {50, Op::kRequest, false},   // a second subscriber within 300 ms: merged
      {299, Op::kRequest, false},
      {500, Op::kRetry, false},    // not yet a second since the request
      {1000, Op::kRetry, true},    // no keyframe for 1 s: ask again
      {1100, Op::kKeyframe, false},
      {2500, Op::kRetry, false},   // satisfied: nothing pending
      {2500, Op::kRequest, true},  // a new request after the interval goes out
      {2600, Op::kKeyframe, false},
      {2700, Op::kRequest, false},  // within 300 ms of the last one sent
      {3000, Op::kRequest, true},
  };
  KeyframeRequester requester;
  const Timestamp start(milliseconds(1'000'000));
  for (const Step& s : steps) {
    const Timestamp now = start + milliseconds(s.at_ms);
    switch (s.op) {
      case Op::kRequest:
        EXPECT_EQ(requester.Request(now), s.want) << "request at " << s.at_ms;
        break;
      case Op::kRetry:
        EXPECT_EQ(requester.RetryDue(now), s.want) << "retry at " << s.at_ms;
        break;
      case Op::kKeyframe:
        requester.OnKeyframe();
        EXPECT_FALSE(requester.pending());
        break;
    }
  }
}

}  // namespace
}  // namespace switchyard::sfu
