#ifndef SWITCHYARD_RTC_CODEC_CAPABILITIES_H_
#define SWITCHYARD_RTC_CODEC_CAPABILITIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtc/media_kind.h"
#include "rtc/session_description.h"

namespace switchyard::rtc {

// RTCP feedback values (RFC 4585 §4.2, RFC 5104 §7.1, draft-alvestrand-rmcat-remb,
// draft-holmer-rmcat-transport-wide-cc-extensions) as they appear after the payload type.
inline constexpr std::string_view kRtcpFbNack = "nack";
inline constexpr std::string_view kRtcpFbNackPli = "nack pli";
inline constexpr std::string_view kRtcpFbCcmFir = "ccm fir";
inline constexpr std::string_view kRtcpFbGoogRemb = "goog-remb";
inline constexpr std::string_view kRtcpFbTransportCc = "transport-cc";

// Header extension URIs the SFU understands.
inline constexpr std::string_view kExtMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kExtRid = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr std::string_view kExtRepairedRid =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
inline constexpr std::string_view kExtAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr std::string_view kExtAbsSendTime =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
inline constexpr std::string_view kExtTransportCc =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

// The media codecs the SFU can forward. RTX (RFC 4588) is handled separately: it is accepted
// for any kept codec when MediaCapabilities::rtx is set.
enum class CodecFamily { kOpus, kVp8, kVp9, kH264, kAv1 };
std::string_view CodecFamilyName(CodecFamily family);

// H.264 profiles distinguished by profile-level-id (RFC 6184 §8.1 and the constraint-flag
// table libwebrtc uses); level is ignored because level asymmetry is allowed for forwarding.
enum class H264Profile { kConstrainedBaseline, kBaseline, kMain, kConstrainedHigh, kHigh };
// Parses the 6-hex-digit profile-level-id; nullopt for malformed or unknown profiles.
std::optional<H264Profile> ParseH264Profile(std::string_view profile_level_id);

// Classifies an offered codec by name (case-insensitive), clock rate and channels; does not
// look at fmtp. nullopt for anything else (red, ulpfec, G722, rtx, ...).
std::optional<CodecFamily> ClassifyCodec(const Codec& codec, MediaKind kind);

// What the answerer accepts. Defaults match the SFU's current feature set: no transport-cc and
// no REMB until congestion control lands (later work flips them via WithTransportCc()).
struct MediaCapabilities {
  std::vector<CodecFamily> codecs = {CodecFamily::kOpus, CodecFamily::kVp8, CodecFamily::kVp9,
                                     CodecFamily::kH264, CodecFamily::kAv1};
  bool rtx = true;
  std::vector<std::string> rtcp_fbs = {std::string(kRtcpFbNack), std::string(kRtcpFbNackPli),
                                       std::string(kRtcpFbCcmFir)};
  std::vector<std::string> header_extensions = {std::string(kExtMid), std::string(kExtRid),
                                                std::string(kExtRepairedRid),
                                                std::string(kExtAudioLevel),
                                                std::string(kExtAbsSendTime)};

  static MediaCapabilities Default() { return MediaCapabilities(); }
  // Default plus the transport-cc feedback message and transport-wide-cc extension.
  static MediaCapabilities WithTransportCc();

  // True if the codec's family is enabled and its fmtp is within what we forward:
  //  - Opus: opus/48000/2.
  //  - VP8: any. VP9: profile-id 0 or 2 (absent = 0, RFC 9628 §6).
  //  - H.264: packetization-mode 0 or 1 (absent = 0) and a constrained baseline, baseline or
  //    main profile-level-id (absent = 42000a, RFC 6184 §8.1).
  //  - AV1: profile 0 (absent = 0, AV1 RTP spec §7.2).
  // RTX is never supported by this call; see CreateAnswer for apt pairing.
  bool SupportsCodec(const Codec& codec, MediaKind kind) const;
  bool SupportsRtcpFb(std::string_view fb) const;
  bool SupportsExtension(std::string_view uri) const;
};

// A canonical codec list (Chromium's payload type numbering) for offers the SFU builds itself
// when it has no offer to copy from, e.g. opus 111; VP8 96 + rtx 97; VP9 98/100 + rtx;
// H.264 CB 108 + rtx 109; AV1 45 + rtx 46. Only families enabled in caps are included, each with
// the supported rtcp-fb set.
std::vector<Codec> DefaultCodecs(MediaKind kind, const MediaCapabilities& caps);

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_CODEC_CAPABILITIES_H_
