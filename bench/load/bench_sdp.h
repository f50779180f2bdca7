#ifndef SWITCHYARD_BENCH_LOAD_BENCH_SDP_H_
#define SWITCHYARD_BENCH_LOAD_BENCH_SDP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/load/synthetic_stream.h"
#include "rtc/media_kind.h"
#include "rtc/session_description.h"
#include "transport/ice_lite_agent.h"
#include "transport/socket_address.h"

namespace switchyard::bench {

// The SDP a load client exchanges with the server, shaped as Chromium's (api/web/publisher.js
// and subscriber.js drive the same exchange from a browser). Pure functions, control path.

// Chromium's payload types and the header extension ids the offers use (one id space under
// BUNDLE, RFC 8843 §9.1). The SFU learns simulcast SSRCs from mid + rid (RFC 8852).
inline constexpr uint8_t kOpusPayloadType = 111;
inline constexpr uint8_t kVp8PayloadType = 96;
inline constexpr uint8_t kVp8RtxPayloadType = 97;
inline constexpr uint8_t kAudioLevelExtensionId = 1;
inline constexpr uint8_t kMidExtensionId = 4;
inline constexpr uint8_t kRidExtensionId = 10;
inline constexpr uint8_t kRepairedRidExtensionId = 11;

struct PublishOfferSpec {
  bool audio = true;
  bool video = true;
  uint32_t audio_ssrc = 0;
  // Lowest first. Two or more: rid-based simulcast (a=rid, a=simulcast, no a=ssrc; RFC 8853).
  // One without a rid: a plain stream announced with a=ssrc.
  std::vector<VideoEncodingConfig> video_encodings;
  std::string stream_id;  // a=msid stream
  std::string cname;
};

// A sendonly offer: audio section (mid "0") then video (mid "1"), both in one BUNDLE group,
// with our ICE credentials, fingerprint and a=setup:actpass. Opus 111 with the audio level and
// mid extensions; VP8 96 + RTX 97 with nack, nack pli, ccm fir and the mid / rid /
// repaired-rid extensions. No transport-cc or REMB: the load client sends no bandwidth
// feedback and adapts to none.
std::string BuildPublishOffer(const PublishOfferSpec& spec, const transport::IceCredentials& ice,
                              const std::string& fingerprint, uint64_t session_id,
                              uint64_t session_version);

// The transport parameters of the remote description's first accepted section.
struct RemoteTransport {
  transport::IceCredentials ice;
  std::string fingerprint_algorithm;
  std::string fingerprint_value;
  std::optional<rtc::SetupRole> setup;
  std::optional<transport::SocketAddress> candidate;  // first UDP candidate with an IP literal
};
absl::StatusOr<RemoteTransport> RemoteTransportOf(const rtc::SessionDescription& description);

// Header extension ids a publish answer kept (0 = rejected), by URI.
struct NegotiatedExtensions {
  uint8_t mid = 0;
  uint8_t rid = 0;
  uint8_t audio_level = 0;
};
NegotiatedExtensions NegotiatedExtensionsOf(const rtc::SessionDescription& answer);

// One m-line of a server subscribe offer.
struct OfferedTrack {
  std::string mid;
  rtc::MediaKind kind = rtc::MediaKind::kAudio;
  bool active = false;             // sendonly: the server sends a track on it
  std::optional<uint32_t> ssrc;    // first of a=ssrc-group:FID, else the first a=ssrc
  std::optional<uint32_t> rtx_ssrc;
  std::string stream;  // a=msid stream: the publishing participant's id
  std::string track;   // a=msid track: the server's track id
};

struct SubscribeAnswer {
  std::string sdp;
  std::vector<OfferedTrack> tracks;
};

// Answers a server subscribe offer as a browser would: the same sections in the same order,
// recvonly for sendonly lines and inactive for the rest, a=setup:active (we are the DTLS
// client), our credentials and fingerprint. Codecs and extensions are accepted as offered,
// except transport-cc / goog-remb feedback and the transport-wide-cc extension: we send no
// bandwidth feedback, and a server that negotiated it would estimate a link nobody reports on
// (so it allocates without a bandwidth limit, and subscribers get the top layer).
absl::StatusOr<SubscribeAnswer> BuildSubscribeAnswer(const rtc::SessionDescription& offer,
                                                     const transport::IceCredentials& ice,
                                                     const std::string& fingerprint,
                                                     uint64_t session_id,
                                                     uint64_t session_version);

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_BENCH_SDP_H_
