// Fuzzes the SDP parser, serializer and answerer: parse; if that succeeds, serialize and reparse
// (which must succeed and give the same description: the round-trip contract of Serialize), then
// answer it and serialize + reparse the answer too. Also feeds the input to ParseCandidate, the
// entry point for trickled candidates.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rtc/sdp_answerer.h"
#include "rtc/sdp_parser.h"
#include "rtc/session_description.h"

namespace {

using namespace switchyard::rtc;

void Check(bool condition) {
  if (!condition) std::abort();
}

AnswerOptions FuzzOptions() {
  AnswerOptions options;
  options.ice_ufrag = "fuzzU";
  options.ice_pwd = "fuzzPasswordFuzzPassword";
  options.fingerprint_value = "AA:BB:CC";
  options.candidates = {
      Candidate{"1", 1, "udp", 2130706431, "127.0.0.1", 40000, "host", "", 0, "", ""}};
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ParseCandidate(text);

  absl::StatusOr<SessionDescription> parsed = ParseSdp(text);
  if (!parsed.ok()) return 0;
  std::string serialized = Serialize(*parsed);
  absl::StatusOr<SessionDescription> reparsed = ParseSdp(serialized);
  Check(reparsed.ok());
  Check(*reparsed == *parsed);

  static const AnswerOptions kOptions = FuzzOptions();
  absl::StatusOr<SessionDescription> answer = CreateAnswer(*parsed, kOptions);
  if (!answer.ok()) return 0;
  absl::StatusOr<SessionDescription> answer_reparsed = ParseSdp(Serialize(*answer));
  Check(answer_reparsed.ok());
  Check(*answer_reparsed == *answer);
  return 0;
}
