#include "rtc/keyframe_detector.h"

#include <cstddef>

#include "rtc/vp8_payload_descriptor.h"
#include "transport/byte_io.h"

namespace switchyard::rtc {
namespace {

// RFC 6184 §5.4 NAL unit types.
constexpr uint8_t kH264Idr = 5;
constexpr uint8_t kH264Sps = 7;
constexpr uint8_t kH264StapA = 24;
constexpr uint8_t kH264StapB = 25;
constexpr uint8_t kH264FuA = 28;
constexpr uint8_t kH264FuB = 29;

bool IsH264KeyNalType(uint8_t type) { return type == kH264Idr || type == kH264Sps; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<VideoCodec> VideoCodecFromName(std::string_view name) {
  for (VideoCodec codec : {VideoCodec::kVp8, VideoCodec::kVp9, VideoCodec::kH264, VideoCodec::kAv1}) {
    if (EqualsIgnoreCase(name, VideoCodecName(codec))) return codec;
  }
  return std::nullopt;
}

std::string_view VideoCodecName(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kVp8: return "VP8";
    case VideoCodec::kVp9: return "VP9";
    case VideoCodec::kH264: return "H264";
    case VideoCodec::kAv1: return "AV1";
  }
  return "";
}

bool IsKeyframe(VideoCodec codec, std::span<const uint8_t> payload) {
  switch (codec) {
    case VideoCodec::kVp8: return IsVp8Keyframe(payload);
    case VideoCodec::kVp9: return IsVp9Keyframe(payload);
    case VideoCodec::kH264: return IsH264Keyframe(payload);
    case VideoCodec::kAv1: return IsAv1Keyframe(payload);
  }
  return false;
}

bool IsH264Keyframe(std::span<const uint8_t> payload) {
  if (payload.empty()) return false;
  const uint8_t type = payload[0] & 0x1F;
  if (type == kH264StapA || type == kH264StapB) {
    // RFC 6184 §5.7.1: [STAP header][DON (STAP-B only)] then 16-bit size + NAL unit, repeated.
    size_t pos = type == kH264StapB ? 3 : 1;
    bool key = false;
    while (pos < payload.size()) {
      if (payload.size() - pos < 2) return false;
      const size_t size = transport::LoadBe16(&payload[pos]);
      pos += 2;
      if (size == 0 || payload.size() - pos < size) return false;
      if (IsH264KeyNalType(payload[pos] & 0x1F)) key = true;
      pos += size;
    }
    return key;
  }
  if (type == kH264FuA || type == kH264FuB) {
    // RFC 6184 §5.8: FU indicator, FU header |S|E|R|Type|; only the start fragment counts.
    if (payload.size() < 2) return false;
    const uint8_t fu_header = payload[1];
    return (fu_header & 0x80) != 0 && IsH264KeyNalType(fu_header & 0x1F);
  }
  return IsH264KeyNalType(type);
}

bool IsVp9Keyframe(std::span<const uint8_t> payload) {
  // RFC 9628 §4.2: |I|P|L|F|B|E|V|Z|, then picture id (I), layer indices (L), ...
  if (payload.empty()) return false;
  const uint8_t first = payload[0];
  const bool has_picture_id = first & 0x80;
  const bool inter_predicted = first & 0x40;
  const bool has_layer_indices = first & 0x20;
  const bool begins_frame = first & 0x08;
  if (inter_predicted || !begins_frame) return false;
  size_t pos = 1;
  if (has_picture_id) {
    if (pos >= payload.size()) return false;
    pos += (payload[pos] & 0x80) ? 2 : 1;  // M bit: 15-bit picture id
  }
  if (has_layer_indices) {
    if (pos >= payload.size()) return false;
    const uint8_t spatial_id = (payload[pos] >> 1) & 0x07;  // |TID|U|SID|D|
    if (spatial_id != 0) return false;
  }
  return pos <= payload.size();
}

bool IsAv1Keyframe(std::span<const uint8_t> payload) {
  // AV1 RTP spec §4.4 aggregation header: |Z|Y| W |N|-|-|-|. Z=1 would mean the packet
  // continues an OBU from an earlier packet, which cannot begin a coded video sequence.
  if (payload.size() < 2) return false;
  const uint8_t header = payload[0];
  return (header & 0x08) != 0 && (header & 0x80) == 0;
}

}  // namespace switchyard::rtc
