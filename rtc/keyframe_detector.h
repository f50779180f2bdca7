#ifndef SWITCHYARD_RTC_KEYFRAME_DETECTOR_H_
#define SWITCHYARD_RTC_KEYFRAME_DETECTOR_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace switchyard::rtc {

enum class VideoCodec { kVp8, kVp9, kH264, kAv1 };

// SDP rtpmap encoding name -> codec, case-insensitive ("VP8", "vp9", "H264", "AV1").
std::optional<VideoCodec> VideoCodecFromName(std::string_view name);
std::string_view VideoCodecName(VideoCodec codec);  // canonical upper-case SDP name

// True when this RTP payload starts (or carries) a key frame, so a receiver switched onto the
// stream can decode from it. Never reads outside `payload`; malformed payloads are false.
bool IsKeyframe(VideoCodec codec, std::span<const uint8_t> payload);

// Per codec:
// - H.264 (RFC 6184 §5.2): an IDR slice (NAL type 5) or SPS (7) as a single NAL unit, inside a
//   STAP-A/STAP-B aggregate, or as the start fragment (S=1) of an FU-A/FU-B.
bool IsH264Keyframe(std::span<const uint8_t> payload);
// - VP9 (RFC 9628 §4.2): P=0 (not inter-picture predicted), B=1 (first packet of the frame)
//   and, when layer indices are present, SID=0.
bool IsVp9Keyframe(std::span<const uint8_t> payload);
// - AV1 (AV1 RTP spec §4.4): N=1 in the aggregation header (first packet of a new coded video
//   sequence) with Z=0.
bool IsAv1Keyframe(std::span<const uint8_t> payload);
// - VP8: see rtc/vp8_payload_descriptor.h IsVp8Keyframe.

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_KEYFRAME_DETECTOR_H_
