#ifndef SWITCHYARD_RTC_SDP_PARSER_H_
#define SWITCHYARD_RTC_SDP_PARSER_H_

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "rtc/session_description.h"

namespace switchyard::rtc {

// Bounds that make hostile input cheap to reject; real Chromium offers are ~6 KiB per
// m-section, so these leave plenty of room while capping parse and answer work.
inline constexpr size_t kMaxSdpSize = 256 * 1024;
inline constexpr size_t kMaxMediaSections = 64;
inline constexpr size_t kMaxCandidatesPerSection = 256;
inline constexpr size_t kMaxRidsPerSection = 32;
inline constexpr size_t kMaxRtcpFbPerCodec = 32;  // also caps a=rtcp-fb:* lines per section

// Parses an RFC 8866 session description as produced by a JSEP (RFC 8829) endpoint.
// - Accepts LF or CRLF line endings; blank lines are skipped.
// - Unknown line types and unknown attributes are ignored (RFC 8866 §5.13).
// - Malformed input yields absl::InvalidArgumentError naming the 1-based line number and the
//   (truncated) line, e.g. "line 12: bad a=rtpmap: 'a=rtpmap:abc VP8/90000'"; structural
//   errors that belong to no single line (missing o=) name no line.
// - Rejects text over kMaxSdpSize, more than kMaxMediaSections m= sections (or mids in one
//   BUNDLE group), lists beyond the per-section caps above, and numbers out of range, so that
//   parsing and answering stay linear-ish in the input size.
// - Never crashes or reads out of bounds on any input (fuzzed by tests/fuzz/sdp_fuzzer.cc).
// Session-level a=sendrecv/... defaults the direction of sections that carry none; session-level
// c= defaults their connection address. ICE/DTLS session attributes stay at session level and
// are resolved by SessionDescription::IceUfragFor() and friends.
absl::StatusOr<SessionDescription> ParseSdp(std::string_view text);

// Parses one candidate attribute value, with or without the "candidate:" prefix and an optional
// leading "a=" (the form trickled over signaling as RTCIceCandidate.candidate).
absl::StatusOr<Candidate> ParseCandidate(std::string_view value);

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_SDP_PARSER_H_
