#include "rtc/codec_capabilities.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace switchyard::rtc {
namespace {

// One row of the profile_idc + profile-iop table. The constraint flags decide the profile:
// e.g. Baseline with constraint_set1_flag is Constrained Baseline (RFC 6184 §8.1, Table 5).
struct ProfilePattern {
  uint8_t profile_idc;
  uint8_t iop_mask;   // bits that must match
  uint8_t iop_value;  // their value
  H264Profile profile;
};

// Patterns written MSB first as in libwebrtc's table: "x1xx0000" -> mask 0x4f, value 0x40.
constexpr ProfilePattern kProfilePatterns[] = {
    {0x42, 0x4f, 0x40, H264Profile::kConstrainedBaseline},  // x1xx0000
    {0x4d, 0x8f, 0x80, H264Profile::kConstrainedBaseline},  // 1xxx0000
    {0x58, 0xcf, 0xc0, H264Profile::kConstrainedBaseline},  // 11xx0000
    {0x42, 0x4f, 0x00, H264Profile::kBaseline},             // x0xx0000
    {0x58, 0xcf, 0x80, H264Profile::kBaseline},             // 10xx0000
    {0x4d, 0xaf, 0x00, H264Profile::kMain},                 // 0x0x0000
    {0x64, 0xff, 0x00, H264Profile::kHigh},                 // 00000000
    {0x64, 0xff, 0x0c, H264Profile::kConstrainedHigh},      // 00001100
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<uint8_t> HexByte(std::string_view two) {
  int hi = HexValue(two[0]);
  int lo = HexValue(two[1]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<uint8_t>(hi * 16 + lo);
}

// A fmtp parameter that must be a small decimal number, with a default when absent.
std::optional<int> IntParameter(const Codec& codec, std::string_view key, int absent) {
  std::optional<std::string_view> value = codec.FmtpParameter(key);
  if (!value) return absent;
  if (value->empty() || value->size() > 3) return std::nullopt;
  int out = 0;
  for (char c : *value) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out = out * 10 + (c - '0');
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

Codec MakeCodec(uint8_t pt, std::string name, uint32_t clock_rate, uint8_t channels,
                std::string fmtp, const std::vector<std::string>& fbs) {
  return Codec{pt, std::move(name), clock_rate, channels, std::move(fmtp), fbs};
}

}  // namespace

std::string_view CodecFamilyName(CodecFamily family) {
  switch (family) {
    case CodecFamily::kOpus: return "opus";
    case CodecFamily::kVp8: return "VP8";
    case CodecFamily::kVp9: return "VP9";
    case CodecFamily::kH264: return "H264";
    case CodecFamily::kAv1: return "AV1";
  }
  return "unknown";
}

std::optional<H264Profile> ParseH264Profile(std::string_view profile_level_id) {
  if (profile_level_id.size() != 6) return std::nullopt;
  std::optional<uint8_t> idc = HexByte(profile_level_id.substr(0, 2));
  std::optional<uint8_t> iop = HexByte(profile_level_id.substr(2, 2));
  std::optional<uint8_t> level = HexByte(profile_level_id.substr(4, 2));
  if (!idc || !iop || !level) return std::nullopt;
  for (const ProfilePattern& pattern : kProfilePatterns) {
    if (pattern.profile_idc == *idc && (*iop & pattern.iop_mask) == pattern.iop_value) {
      return pattern.profile;
    }
  }
  return std::nullopt;
}

std::optional<CodecFamily> ClassifyCodec(const Codec& codec, MediaKind kind) {
  if (kind == MediaKind::kAudio) {
    // RFC 7587 §7: opus is always signalled as opus/48000/2.
    if (sdp_text::EqualsIgnoreCase(codec.name, "opus") && codec.clock_rate == 48000 &&
        codec.channels == 2) {
      return CodecFamily::kOpus;
    }
    return std::nullopt;
  }
  if (kind != MediaKind::kVideo || codec.clock_rate != 90000) return std::nullopt;
  if (sdp_text::EqualsIgnoreCase(codec.name, "VP8")) return CodecFamily::kVp8;
  if (sdp_text::EqualsIgnoreCase(codec.name, "VP9")) return CodecFamily::kVp9;
  if (sdp_text::EqualsIgnoreCase(codec.name, "H264")) return CodecFamily::kH264;
  if (sdp_text::EqualsIgnoreCase(codec.name, "AV1")) return CodecFamily::kAv1;
  return std::nullopt;
}

MediaCapabilities MediaCapabilities::WithTransportCc() {
  MediaCapabilities caps;
  caps.rtcp_fbs.emplace_back(kRtcpFbTransportCc);
  caps.header_extensions.emplace_back(kExtTransportCc);
  return caps;
}

bool MediaCapabilities::SupportsCodec(const Codec& codec, MediaKind kind) const {
  std::optional<CodecFamily> family = ClassifyCodec(codec, kind);
  if (!family || std::find(codecs.begin(), codecs.end(), *family) == codecs.end()) return false;
  switch (*family) {
    case CodecFamily::kOpus:
    case CodecFamily::kVp8:
      return true;
    case CodecFamily::kVp9: {
      std::optional<int> profile = IntParameter(codec, "profile-id", 0);
      return profile && (*profile == 0 || *profile == 2);
    }
    case CodecFamily::kH264: {
      // RFC 6184 §8.2.2: streams match on profile and packetization-mode; the level may differ
      // (the SFU forwards, it never decodes). Absent values take the RFC defaults.
      std::optional<int> mode = IntParameter(codec, "packetization-mode", 0);
      if (!mode || (*mode != 0 && *mode != 1)) return false;
      std::optional<std::string_view> plid = codec.FmtpParameter("profile-level-id");
      std::optional<H264Profile> profile = ParseH264Profile(plid ? *plid : "42000a");
      return profile && (*profile == H264Profile::kConstrainedBaseline ||
                         *profile == H264Profile::kBaseline || *profile == H264Profile::kMain);
    }
    case CodecFamily::kAv1: {
      std::optional<int> profile = IntParameter(codec, "profile", 0);
      return profile && *profile == 0;
    }
  }
  return false;
}

bool MediaCapabilities::SupportsRtcpFb(std::string_view fb) const {
  return Contains(rtcp_fbs, fb);
}

bool MediaCapabilities::SupportsExtension(std::string_view uri) const {
  return Contains(header_extensions, uri);
}

std::vector<Codec> DefaultCodecs(MediaKind kind, const MediaCapabilities& caps) {
  auto enabled = [&](CodecFamily family) {
    return std::find(caps.codecs.begin(), caps.codecs.end(), family) != caps.codecs.end();
  };
  std::vector<Codec> out;
  if (kind == MediaKind::kAudio) {
    if (enabled(CodecFamily::kOpus)) {
      std::vector<std::string> fbs;
      if (caps.SupportsRtcpFb(kRtcpFbTransportCc)) fbs.emplace_back(kRtcpFbTransportCc);
      out.push_back(MakeCodec(111, "opus", 48000, 2, "minptime=10;useinbandfec=1", fbs));
    }
    return out;
  }
  if (kind != MediaKind::kVideo) return out;
  auto add_video = [&](uint8_t pt, uint8_t rtx_pt, std::string name, std::string fmtp) {
    out.push_back(MakeCodec(pt, std::move(name), 90000, 0, std::move(fmtp), caps.rtcp_fbs));
    if (caps.rtx) {
      out.push_back(MakeCodec(rtx_pt, "rtx", 90000, 0, "apt=" + std::to_string(pt), {}));
    }
  };
  if (enabled(CodecFamily::kVp8)) add_video(96, 97, "VP8", "");
  if (enabled(CodecFamily::kVp9)) {
    add_video(98, 99, "VP9", "profile-id=0");
    add_video(100, 101, "VP9", "profile-id=2");
  }
  if (enabled(CodecFamily::kH264)) {
    add_video(108, 109, "H264",
              "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  }
  if (enabled(CodecFamily::kAv1)) add_video(45, 46, "AV1", "level-idx=5;profile=0;tier=0");
  return out;
}

}  // namespace switchyard::rtc
