#ifndef SWITCHYARD_RTC_SDP_ANSWERER_H_
#define SWITCHYARD_RTC_SDP_ANSWERER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rtc/codec_capabilities.h"
#include "rtc/session_description.h"

namespace switchyard::rtc {

struct AnswerOptions {
  // Our ICE-lite credentials and DTLS certificate fingerprint (RFC 8839, RFC 8122).
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint_algorithm = "sha-256";
  std::string fingerprint_value;
  // Our host candidates; written into the BUNDLE-tag section only, with a=end-of-candidates.
  std::vector<Candidate> candidates;
  bool ice_lite = true;
  // Echo a=extmap-allow-mixed when offered (our RTP parser reads one- and two-byte headers).
  bool extmap_allow_mixed = true;
  MediaCapabilities capabilities;
  // What the SFU wants to do per section, before intersecting with the offer: the answer sends
  // only if we want to send and the offer receives, and receives only if we want to receive and
  // the offer sends (RFC 3264 §6.1). The default suits the publisher PeerConnection, which
  // only receives; direction_by_mid overrides it for single mids.
  Direction wanted_direction = Direction::kRecvOnly;
  std::map<std::string, Direction, std::less<>> direction_by_mid;
  uint64_t session_id = 1;
  uint64_t session_version = 1;
};

// The answer direction for an offered direction given what we want (RFC 3264 §6.1).
Direction NegotiateDirection(Direction offered, Direction wanted);

// Builds a JSEP (RFC 8829 §5.3) answer for an offer from a browser, as an ICE-lite,
// max-bundle, rtcp-mux-only SFU:
//  - session: a=ice-lite (if options.ice_lite), a=group:BUNDLE of the accepted mids, the
//    BUNDLE tag first (RFC 8843 §7.3.1: the offerer's tag unless rejected).
//  - the same m-sections in the same order with the same mids. A section is rejected (port 0,
//    a=inactive, not in BUNDLE) if its kind is application, its protocol is not DTLS-SRTP, it
//    has no codec in common, or it lies outside the offer's first BUNDLE group.
//  - accepted sections: ice-ufrag/pwd, fingerprint, a=setup:passive (offer actpass/active/none)
//    or active (offer passive), rtcp-mux, rtcp-rsize if offered, negotiated direction; codecs in
//    the offer's order keeping its payload types and fmtp, plus RTX whose apt is kept; rtcp-fb
//    and extmaps intersected with the capabilities, keeping the offer's extmap ids; offered
//    send rids echoed as recv rids and a=simulcast:send echoed as a=simulcast:recv.
// Errors (InvalidArgument) for: an accepted section without mid, ICE credentials, fingerprint or
// rtcp-mux, a=setup:holdconn, several m-sections without a=group:BUNDLE, or options without ICE
// credentials / fingerprint. An offer whose sections are all rejected gets a valid answer with no
// BUNDLE group (JSEP §5.3.1); callers that need media check for an accepted section.
// Sections that end up sending carry no a=ssrc / a=msid: callers add them.
absl::StatusOr<SessionDescription> CreateAnswer(const SessionDescription& offer,
                                                const AnswerOptions& options);

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_SDP_ANSWERER_H_
