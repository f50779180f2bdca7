#ifndef SWITCHYARD_RTC_RTP_HEADER_EXTENSIONS_H_
#define SWITCHYARD_RTC_RTP_HEADER_EXTENSIONS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "rtc/rtp_packet.h"

namespace switchyard::rtc {

// Header extensions the SFU understands, identified in SDP by URI (RFC 8285 §5, a=extmap).
enum class RtpExtensionType : uint8_t {
  kMid,                   // urn:ietf:params:rtp-hdrext:sdes:mid (RFC 8843 §15)
  kRid,                   // urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id (RFC 8852 §3.1)
  kRepairedRid,           // urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id (RFC 8852)
  kAudioLevel,            // urn:ietf:params:rtp-hdrext:ssrc-audio-level (RFC 6464)
  kAbsSendTime,           // webrtc.org abs-send-time
  kTransportWideCc,       // draft-holmer-rmcat-transport-wide-cc-extensions-01
  kVideoOrientation,      // urn:3gpp:video-orientation (3GPP TS 26.114)
  kPlayoutDelay,          // webrtc.org playout-delay
  kDependencyDescriptor,  // AV1 RTP spec appendix A
  kTransmissionOffset,    // urn:ietf:params:rtp-hdrext:toffset (RFC 5450)
  kAbsCaptureTime,        // webrtc.org abs-capture-time
};
inline constexpr size_t kRtpExtensionTypeCount = 11;

// The SDP URI of a type, and the reverse lookup (exact, case-sensitive match as URIs are).
std::string_view RtpExtensionUri(RtpExtensionType type);
std::optional<RtpExtensionType> RtpExtensionTypeFromUri(std::string_view uri);

// Negotiated id <-> type table of one transport or m-line. Fixed-size (no heap), built on the
// control path, read per packet. Ids are 1..255 (RFC 8285 §4.3); 0 means "not negotiated".
class RtpExtensionMap {
 public:
  RtpExtensionMap() = default;

  // Control path. InvalidArgument for id 0; AlreadyExists when the id is bound to another
  // type or the type to another id. Re-registering the same pair is OK.
  absl::Status Register(uint8_t id, RtpExtensionType type);
  // As Register, by SDP URI. URIs this code does not know are skipped with OK: offers carry
  // many extensions the SFU never reads.
  absl::Status RegisterUri(uint8_t id, std::string_view uri);
  void Clear();

  std::optional<RtpExtensionType> TypeOf(uint8_t id) const;
  uint8_t IdOf(RtpExtensionType type) const { return id_of_[static_cast<size_t>(type)]; }
  bool IsRegistered(RtpExtensionType type) const { return IdOf(type) != 0; }

 private:
  static constexpr uint8_t kNoType = 0xFF;
  std::array<uint8_t, 256> type_of_ = MakeEmptyTypeTable();
  std::array<uint8_t, kRtpExtensionTypeCount> id_of_{};

  static constexpr std::array<uint8_t, 256> MakeEmptyTypeTable() {
    std::array<uint8_t, 256> table{};
    for (auto& entry : table) entry = kNoType;
    return table;
  }
};

// RFC 6464 §3: voice activity flag and level in -dBov (0 loudest .. 127 silence).
struct AudioLevel {
  bool voice_activity = false;
  uint8_t level = 127;
};

// Decoders for one element's data bytes; nullopt when the element is malformed.
//
// MID / RID / repaired RID: SDES text (RFC 7941 §4). A NUL ends the string early; an empty
// string (or leading NUL) is invalid. The view points into the packet.
std::optional<std::string_view> ParseSdesExtension(std::span<const uint8_t> data);
std::optional<AudioLevel> ParseAudioLevel(std::span<const uint8_t> data);
// 24-bit 6.18 fixed-point seconds.
std::optional<uint32_t> ParseAbsSendTime(std::span<const uint8_t> data);
std::optional<uint16_t> ParseTransportSequenceNumber(std::span<const uint8_t> data);
// 3GPP TS 26.114 §7.4.5: C F R1 R0 in the low bits; returns the R1R0 rotation of the video
// as transmitted, in degrees (0, 90, 180, 270), which the receiver compensates for.
std::optional<uint16_t> ParseVideoOrientationDegrees(std::span<const uint8_t> data);

// Per-packet helpers: look up the negotiated id in `map` and decode that element of `packet`.
// nullopt when not negotiated, absent or malformed.
std::optional<std::string_view> ReadMid(const RtpPacketView& packet, const RtpExtensionMap& map);
std::optional<std::string_view> ReadRid(const RtpPacketView& packet, const RtpExtensionMap& map);
std::optional<std::string_view> ReadRepairedRid(const RtpPacketView& packet,
                                                const RtpExtensionMap& map);
std::optional<AudioLevel> ReadAudioLevel(const RtpPacketView& packet, const RtpExtensionMap& map);
std::optional<uint32_t> ReadAbsSendTime(const RtpPacketView& packet, const RtpExtensionMap& map);
std::optional<uint16_t> ReadTransportSequenceNumber(const RtpPacketView& packet,
                                                    const RtpExtensionMap& map);

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_RTP_HEADER_EXTENSIONS_H_
