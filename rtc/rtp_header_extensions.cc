#include "rtc/rtp_header_extensions.h"

#include <cstring>
#include <string>

#include "transport/byte_io.h"

namespace switchyard::rtc {
namespace {

struct UriEntry {
  RtpExtensionType type;
  std::string_view uri;
};

constexpr UriEntry kUris[] = {
    {RtpExtensionType::kMid, "urn:ietf:params:rtp-hdrext:sdes:mid"},
    {RtpExtensionType::kRid, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"},
    {RtpExtensionType::kRepairedRid, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"},
    {RtpExtensionType::kAudioLevel, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"},
    {RtpExtensionType::kAbsSendTime, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"},
    {RtpExtensionType::kTransportWideCc,
     "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"},
    {RtpExtensionType::kVideoOrientation, "urn:3gpp:video-orientation"},
    {RtpExtensionType::kPlayoutDelay, "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"},
    {RtpExtensionType::kDependencyDescriptor,
     "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension"},
    {RtpExtensionType::kTransmissionOffset, "urn:ietf:params:rtp-hdrext:toffset"},
    {RtpExtensionType::kAbsCaptureTime,
     "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"},
};
static_assert(std::size(kUris) == kRtpExtensionTypeCount);

std::optional<std::span<const uint8_t>> FindById(const RtpPacketView& packet,
                                                 const RtpExtensionMap& map,
                                                 RtpExtensionType type) {
  const uint8_t id = map.IdOf(type);
  if (id == 0) return std::nullopt;
  return packet.FindExtensionElement(id);
}

}  // namespace

std::string_view RtpExtensionUri(RtpExtensionType type) {
  for (const UriEntry& entry : kUris) {
    if (entry.type == type) return entry.uri;
  }
  return {};
}

std::optional<RtpExtensionType> RtpExtensionTypeFromUri(std::string_view uri) {
  for (const UriEntry& entry : kUris) {
    if (entry.uri == uri) return entry.type;
  }
  return std::nullopt;
}

absl::Status RtpExtensionMap::Register(uint8_t id, RtpExtensionType type) {
  if (id == 0) return absl::InvalidArgumentError("RTP header extension id 0 is reserved");
  const auto type_index = static_cast<uint8_t>(type);
  if (type_index >= kRtpExtensionTypeCount) {
    return absl::InvalidArgumentError("unknown RTP header extension type");
  }
  if (type_of_[id] == type_index && id_of_[type_index] == id) return absl::OkStatus();
  if (type_of_[id] != kNoType) {
    return absl::AlreadyExistsError("RTP header extension id " + std::to_string(id) +
                                    " is already bound to " +
                                    std::string(RtpExtensionUri(*TypeOf(id))));
  }
  if (id_of_[type_index] != 0) {
    return absl::AlreadyExistsError(std::string(RtpExtensionUri(type)) + " already has id " +
                                    std::to_string(id_of_[type_index]));
  }
  type_of_[id] = type_index;
  id_of_[type_index] = id;
  return absl::OkStatus();
}

absl::Status RtpExtensionMap::RegisterUri(uint8_t id, std::string_view uri) {
  std::optional<RtpExtensionType> type = RtpExtensionTypeFromUri(uri);
  if (!type) return absl::OkStatus();
  return Register(id, *type);
}

void RtpExtensionMap::Clear() {
  type_of_ = MakeEmptyTypeTable();
  id_of_ = {};
}

std::optional<RtpExtensionType> RtpExtensionMap::TypeOf(uint8_t id) const {
  if (type_of_[id] == kNoType) return std::nullopt;
  return static_cast<RtpExtensionType>(type_of_[id]);
}

std::optional<std::string_view> ParseSdesExtension(std::span<const uint8_t> data) {
  if (data.empty() || data[0] == 0) return std::nullopt;
  const char* text = reinterpret_cast<const char*>(data.data());
  // Senders may pad the element with NULs up to the one-byte length granularity.
  const void* nul = std::memchr(text, 0, data.size());
  const size_t size = nul ? static_cast<size_t>(static_cast<const char*>(nul) - text) : data.size();
  return std::string_view(text, size);
}

std::optional<AudioLevel> ParseAudioLevel(std::span<const uint8_t> data) {
  // RFC 6464 §3: one byte; two-byte-header senders may add padding after it.
  if (data.empty()) return std::nullopt;
  return AudioLevel{(data[0] & 0x80) != 0, static_cast<uint8_t>(data[0] & 0x7F)};
}

std::optional<uint32_t> ParseAbsSendTime(std::span<const uint8_t> data) {
  if (data.size() != 3) return std::nullopt;
  return transport::LoadBe24(data.data());
}

std::optional<uint16_t> ParseTransportSequenceNumber(std::span<const uint8_t> data) {
  // -01 carries 2 bytes; transport-cc-02 senders append feedback-request bytes after them.
  if (data.size() < 2) return std::nullopt;
  return transport::LoadBe16(data.data());
}

std::optional<uint16_t> ParseVideoOrientationDegrees(std::span<const uint8_t> data) {
  if (data.empty()) return std::nullopt;
  return static_cast<uint16_t>((data[0] & 0x03) * 90);
}

std::optional<std::string_view> ReadMid(const RtpPacketView& packet, const RtpExtensionMap& map) {
  auto data = FindById(packet, map, RtpExtensionType::kMid);
  if (!data) return std::nullopt;
  return ParseSdesExtension(*data);
}

std::optional<std::string_view> ReadRid(const RtpPacketView& packet, const RtpExtensionMap& map) {
  auto data = FindById(packet, map, RtpExtensionType::kRid);
  if (!data) return std::nullopt;
  return ParseSdesExtension(*data);
}

std::optional<std::string_view> ReadRepairedRid(const RtpPacketView& packet,
                                                const RtpExtensionMap& map) {
  auto data = FindById(packet, map, RtpExtensionType::kRepairedRid);
  if (!data) return std::nullopt;
  return ParseSdesExtension(*data);
}

std::optional<AudioLevel> ReadAudioLevel(const RtpPacketView& packet, const RtpExtensionMap& map) {
  auto data = FindById(packet, map, RtpExtensionType::kAudioLevel);
  if (!data) return std::nullopt;
  return ParseAudioLevel(*data);
}

std::optional<uint32_t> ReadAbsSendTime(const RtpPacketView& packet, const RtpExtensionMap& map) {
  auto data = FindById(packet, map, RtpExtensionType::kAbsSendTime);
  if (!data) return std::nullopt;
  return ParseAbsSendTime(*data);
}

std::optional<uint16_t> ReadTransportSequenceNumber(const RtpPacketView& packet,
                                                    const RtpExtensionMap& map) {
  auto data = FindById(packet, map, RtpExtensionType::kTransportWideCc);
  if (!data) return std::nullopt;
  return ParseTransportSequenceNumber(*data);
}

}  // namespace switchyard::rtc
