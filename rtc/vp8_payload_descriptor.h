#ifndef SWITCHYARD_RTC_VP8_PAYLOAD_DESCRIPTOR_H_
#define SWITCHYARD_RTC_VP8_PAYLOAD_DESCRIPTOR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace switchyard::rtc {

// The VP8 payload descriptor at the start of every VP8 RTP payload (RFC 7741 §4.2):
//
//        0 1 2 3 4 5 6 7
//       +-+-+-+-+-+-+-+-+
//       |X|R|N|S|R| PID |  (required)
//       +-+-+-+-+-+-+-+-+
//  X:   |I|L|T|K| RSV   |
//  I:   |M| PictureID   |  (M=1: 15-bit picture id over two bytes)
//  L:   |   TL0PICIDX   |
//  T/K: |TID|Y| KEYIDX  |
struct Vp8PayloadDescriptor {
  // Parses the descriptor at the start of `payload`. nullopt when truncated, or when no VP8
  // payload byte follows the descriptor (an empty VP8 payload is not valid, §4.2).
  static std::optional<Vp8PayloadDescriptor> Parse(std::span<const uint8_t> payload);

  bool extended = false;            // X
  bool non_reference = false;       // N
  bool start_of_partition = false;  // S
  uint8_t partition_index = 0;      // PID (3 bits)

  bool has_picture_id = false;  // I
  bool picture_id_15bit = false;  // M
  uint16_t picture_id = 0;
  bool has_tl0_pic_idx = false;  // L
  uint8_t tl0_pic_idx = 0;
  bool has_temporal_id = false;  // T
  uint8_t temporal_id = 0;       // TID (2 bits)
  bool layer_sync = false;       // Y
  bool has_key_idx = false;      // K
  uint8_t key_idx = 0;           // KEYIDX (5 bits)

  // Byte offsets of the picture id / TL0PICIDX fields within the payload (valid when the
  // matching has_* flag is set), and where the VP8 payload itself begins.
  size_t picture_id_offset = 0;
  size_t tl0_pic_idx_offset = 0;
  size_t size = 1;

  // First packet of a frame: S=1 and partition 0.
  bool is_frame_start() const { return start_of_partition && partition_index == 0; }
};

// RFC 7741 §4.3: a key frame starts with S=1, PID=0 and a VP8 payload header whose P bit
// (bit 0 of its first byte, "inverse key frame flag") is 0.
bool IsVp8Keyframe(std::span<const uint8_t> payload);

// Frame size of a VP8 keyframe, read from the uncompressed data chunk that follows the payload
// descriptor in the first packet of the frame (RFC 6386 §9.1: 3-byte frame tag, start code
// 9d 01 2a, then 14-bit width and height, each with a 2-bit scale we ignore). nullopt when
// `payload` does not start a keyframe.
struct Vp8FrameSize {
  int width = 0;
  int height = 0;
};
std::optional<Vp8FrameSize> ParseVp8KeyframeSize(std::span<const uint8_t> payload);

// Rewrite fields of an already-parsed descriptor in `payload` (e.g. the output buffer of a
// forwarded packet) in place, keeping the field's wire width: a 7-bit picture id stores
// `picture_id & 0x7F`, a 15-bit one `picture_id & 0x7FFF`. Return false, touching nothing,
// when the field is absent or `payload` is too short for `descriptor`.
bool RewriteVp8PictureId(std::span<uint8_t> payload, const Vp8PayloadDescriptor& descriptor,
                         uint16_t picture_id);
bool RewriteVp8Tl0PicIdx(std::span<uint8_t> payload, const Vp8PayloadDescriptor& descriptor,
                         uint8_t tl0_pic_idx);

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_VP8_PAYLOAD_DESCRIPTOR_H_
