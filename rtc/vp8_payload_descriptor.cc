#include "rtc/vp8_payload_descriptor.h"

namespace switchyard::rtc {

std::optional<Vp8PayloadDescriptor> Vp8PayloadDescriptor::Parse(
    std::span<const uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  Vp8PayloadDescriptor d;
  const uint8_t first = payload[0];
  d.extended = (first & 0x80) != 0;
  d.non_reference = (first & 0x20) != 0;
  d.start_of_partition = (first & 0x10) != 0;
  d.partition_index = first & 0x07;
  size_t pos = 1;
  if (d.extended) {
    if (pos >= payload.size()) return std::nullopt;
    const uint8_t x = payload[pos++];
    d.has_picture_id = (x & 0x80) != 0;
    d.has_tl0_pic_idx = (x & 0x40) != 0;
    d.has_temporal_id = (x & 0x20) != 0;
    d.has_key_idx = (x & 0x10) != 0;
    if (d.has_picture_id) {
      if (pos >= payload.size()) return std::nullopt;
      d.picture_id_offset = pos;
      d.picture_id_15bit = (payload[pos] & 0x80) != 0;
      if (d.picture_id_15bit) {
        if (payload.size() - pos < 2) return std::nullopt;
        d.picture_id = static_cast<uint16_t>(((payload[pos] & 0x7F) << 8) | payload[pos + 1]);
        pos += 2;
      } else {
        d.picture_id = payload[pos] & 0x7F;
        pos += 1;
      }
    }
    if (d.has_tl0_pic_idx) {
      if (pos >= payload.size()) return std::nullopt;
      d.tl0_pic_idx_offset = pos;
      d.tl0_pic_idx = payload[pos++];
    }
    // T and K share one byte; it is present when either is set (§4.2).
    if (d.has_temporal_id || d.has_key_idx) {
      if (pos >= payload.size()) return std::nullopt;
      const uint8_t tk = payload[pos++];
      if (d.has_temporal_id) {
        d.temporal_id = tk >> 6;
        d.layer_sync = (tk & 0x20) != 0;
      }
      if (d.has_key_idx) d.key_idx = tk & 0x1F;
    }
  }
  if (pos >= payload.size()) return std::nullopt;
  d.size = pos;
  return d;
}

bool IsVp8Keyframe(std::span<const uint8_t> payload) {
  std::optional<Vp8PayloadDescriptor> d = Vp8PayloadDescriptor::Parse(payload);
  if (!d || !d->is_frame_start()) return false;
  // Parse() guarantees a payload byte after the descriptor.
  return (payload[d->size] & 0x01) == 0;
}

bool RewriteVp8PictureId(std::span<uint8_t> payload, const Vp8PayloadDescriptor& descriptor,
                         uint16_t picture_id) {
  if (!descriptor.has_picture_id) return false;
  const size_t pos = descriptor.picture_id_offset;
  if (descriptor.picture_id_15bit) {
    if (pos + 2 > payload.size()) return false;
    payload[pos] = static_cast<uint8_t>(0x80 | ((picture_id >> 8) & 0x7F));
    payload[pos + 1] = static_cast<uint8_t>(picture_id);
  } else {
    if (pos + 1 > payload.size()) return false;
    payload[pos] = static_cast<uint8_t>(picture_id & 0x7F);
  }
  return true;
}

bool RewriteVp8Tl0PicIdx(std::span<uint8_t> payload, const Vp8PayloadDescriptor& descriptor,
                         uint8_t tl0_pic_idx) {
  if (!descriptor.has_tl0_pic_idx || descriptor.tl0_pic_idx_offset >= payload.size()) {
    return false;
  }
  payload[descriptor.tl0_pic_idx_offset] = tl0_pic_idx;
  return true;
}

std::optional<Vp8FrameSize> ParseVp8KeyframeSize(std::span<const uint8_t> payload) {
  const auto descriptor = Vp8PayloadDescriptor::Parse(payload);
  if (!descriptor || !descriptor->is_frame_start()) return std::nullopt;
  const std::span<const uint8_t> frame = payload.subspan(descriptor->size);
  // Frame tag bit 0 is the inverse key frame flag (RFC 6386 §9.1).
  if (frame.size() < 10 || (frame[0] & 0x01) != 0) return std::nullopt;
  if (frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a) return std::nullopt;
  Vp8FrameSize size;
  size.width = (frame[6] | (frame[7] << 8)) & 0x3fff;
  size.height = (frame[8] | (frame[9] << 8)) & 0x3fff;
  if (size.width == 0 || size.height == 0) return std::nullopt;
  return size;
}

}  // namespace switchyard::rtc
