#include "sfu/payload_type_mapping.h"

#include <algorithm>
#include <string_view>

#include "rtc/codec_capabilities.h"

namespace switchyard::sfu {

namespace {

std::string_view FmtpOr(const rtc::Codec& codec, std::string_view key, std::string_view absent) {
  const auto value = codec.FmtpParameter(key);
  return value ? *value : absent;
}

const rtc::Codec* FindCodec(const std::vector<rtc::Codec>& codecs, uint8_t payload_type) {
  for (const auto& codec : codecs) {
    if (codec.payload_type == payload_type) return &codec;
  }
  return nullptr;
}

}  // namespace

bool CodecsMatch(const rtc::Codec& publisher, const rtc::Codec& subscriber, rtc::MediaKind kind) {
  if (publisher.IsRtx() || subscriber.IsRtx()) return false;
  if (publisher.clock_rate != subscriber.clock_rate) return false;
  const auto family = rtc::ClassifyCodec(publisher, kind);
  if (!family) {
    return rtc::sdp_text::EqualsIgnoreCase(publisher.name, subscriber.name) &&
           std::max<int>(publisher.channels, 1) == std::max<int>(subscriber.channels, 1);
  }
  if (rtc::ClassifyCodec(subscriber, kind) != family) return false;
  switch (*family) {
    case rtc::CodecFamily::kOpus:
    case rtc::CodecFamily::kVp8:
      return true;
    case rtc::CodecFamily::kVp9:
      return FmtpOr(publisher, "profile-id", "0") == FmtpOr(subscriber, "profile-id", "0");
    case rtc::CodecFamily::kAv1:
      return FmtpOr(publisher, "profile", "0") == FmtpOr(subscriber, "profile", "0");
    case rtc::CodecFamily::kH264: {
      if (FmtpOr(publisher, "packetization-mode", "0") !=
          FmtpOr(subscriber, "packetization-mode", "0")) {
        return false;
      }
      const auto a = rtc::ParseH264Profile(FmtpOr(publisher, "profile-level-id", "42000a"));
      const auto b = rtc::ParseH264Profile(FmtpOr(subscriber, "profile-level-id", "42000a"));
      return a && b && *a == *b;
    }
  }
  return false;
}

std::vector<rtc::Codec> CodecsMatchingPublisher(const std::vector<rtc::Codec>& offered,
                                                const std::vector<rtc::Codec>& published,
                                                rtc::MediaKind kind) {
  auto matches = [&](const rtc::Codec& codec) {
    return std::any_of(published.begin(), published.end(), [&](const rtc::Codec& p) {
      return CodecsMatch(p, codec, kind);
    });
  };
  std::vector<rtc::Codec> kept;
  for (const auto& codec : offered) {
    if (codec.IsRtx()) {
      const auto apt = codec.apt();
      const rtc::Codec* primary = apt ? FindCodec(offered, *apt) : nullptr;
      if (primary != nullptr && matches(*primary)) kept.push_back(codec);
    } else if (matches(codec)) {
      kept.push_back(codec);
    }
  }
  return kept;
}

PayloadTypeMap MapPayloadTypes(const std::vector<rtc::Codec>& published,
                               const std::vector<rtc::Codec>& negotiated, rtc::MediaKind kind,
                               bool use_rtx) {
  PayloadTypeMap map;
  map.enabled = true;
  for (const auto& codec : published) {
    if (codec.IsRtx() || codec.payload_type >= 128) continue;
    for (const auto& theirs : negotiated) {
      if (theirs.payload_type >= 128 || !CodecsMatch(codec, theirs, kind)) continue;
      map.media[codec.payload_type] = theirs.payload_type;
      if (use_rtx) {
        for (const auto& rtx : negotiated) {
          if (rtx.IsRtx() && rtx.apt() == theirs.payload_type && rtx.payload_type < 128) {
            map.rtx[codec.payload_type] = rtx.payload_type;
          }
        }
      }
      break;
    }
  }
  return map;
}

bool HasAnyMedia(const PayloadTypeMap& map) {
  return std::any_of(map.media.begin(), map.media.end(),
                     [](uint8_t pt) { return pt != PayloadTypeMap::kNone; });
}

}  // namespace switchyard::sfu
