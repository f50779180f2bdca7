#ifndef SWITCHYARD_RTC_RTP_PACKET_H_
#define SWITCHYARD_RTC_RTP_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>

namespace switchyard::rtc {

inline constexpr size_t kRtpFixedHeaderSize = 12;
inline constexpr uint8_t kRtpVersion = 2;
// RFC 8285 §4.2 / §4.3: "defined by profile" values of the header extension.
inline constexpr uint16_t kRtpOneByteExtensionProfile = 0xBEDE;
inline constexpr uint16_t kRtpTwoByteExtensionProfile = 0x1000;  // low 4 bits are appbits
inline constexpr uint16_t kRtpTwoByteExtensionProfileMask = 0xFFF0;
// One-byte form carries ids 1..14 with 1..16 data bytes; id 15 is reserved (RFC 8285 §4.2).
inline constexpr uint8_t kRtpOneByteMaxId = 14;
inline constexpr size_t kRtpOneByteMaxLength = 16;
inline constexpr size_t kRtpTwoByteMaxLength = 255;

enum class RtpExtensionFormat { kNone, kOneByte, kTwoByte, kUnknown };

// One RFC 8285 extension element: its local id and its data bytes (a view into the packet).
struct RtpExtensionElement {
  uint8_t id = 0;
  std::span<const uint8_t> data;
};

// Walks the elements of an RFC 8285 extension block without allocating. Padding bytes are
// skipped; iteration stops (Next() returns false) at the end, at one-byte id 15 (RFC 8285
// §4.2: processing terminates there) or at an element that would run past the block, so a
// malformed block yields only the elements before the damage.
class RtpExtensionIterator {
 public:
  RtpExtensionIterator() = default;
  RtpExtensionIterator(RtpExtensionFormat format, std::span<const uint8_t> block)
      : format_(format), block_(block) {}

  bool Next(RtpExtensionElement& element);

 private:
  RtpExtensionFormat format_ = RtpExtensionFormat::kNone;
  std::span<const uint8_t> block_;
  size_t pos_ = 0;
};

// Non-owning, validated view of one RTP packet (RFC 3550 §5.1). The viewed bytes must outlive
// the view. Parse() checks the whole layout up front (version 2, CSRC list, extension header
// length, padding length) so every accessor is then bounds-safe and cannot fail.
class RtpPacketView {
 public:
  // Returns nullopt for anything that is not a consistent RTP packet: shorter than 12 bytes,
  // version != 2, CSRC list or extension block running past the end, padding bit set with a
  // padding count of 0 or larger than what follows the header.
  static std::optional<RtpPacketView> Parse(std::span<const uint8_t> packet);

  bool marker() const { return (data_[1] & 0x80) != 0; }
  uint8_t payload_type() const { return data_[1] & 0x7F; }
  uint16_t sequence_number() const;
  uint32_t timestamp() const;
  uint32_t ssrc() const;
  size_t csrc_count() const { return data_[0] & 0x0F; }
  // Precondition: index < csrc_count().
  uint32_t csrc(size_t index) const;

  bool has_extension() const { return (data_[0] & 0x10) != 0; }
  // The 16-bit "defined by profile" field; 0 when there is no extension.
  uint16_t extension_profile() const { return extension_profile_; }
  RtpExtensionFormat extension_format() const { return extension_format_; }
  // Extension element bytes after the 4-byte extension header (empty without extension).
  std::span<const uint8_t> extension_block() const {
    return data_.subspan(extension_offset_, extension_size_);
  }

  // Fixed header + CSRCs + extension header and block: where the payload starts.
  size_t header_size() const { return header_size_; }
  std::span<const uint8_t> payload() const {
    return data_.subspan(header_size_, data_.size() - header_size_ - padding_size_);
  }
  // Padding bytes at the end including the count byte itself (0 when P is clear).
  size_t padding_size() const { return padding_size_; }
  std::span<const uint8_t> data() const { return data_; }

  // Data of the first element with this id, or an empty span when absent (or when the
  // element is a zero-length two-byte element; use FindExtensionElement to tell them apart).
  std::span<const uint8_t> FindExtension(uint8_t id) const;
  std::optional<std::span<const uint8_t>> FindExtensionElement(uint8_t id) const;

  RtpExtensionIterator extensions() const {
    return RtpExtensionIterator(extension_format_, extension_block());
  }
  // Calls f(const RtpExtensionElement&) for each element in order. If f returns bool, false
  // stops the walk early.
  template <typename F>
  void ForEachExtension(F&& f) const {
    RtpExtensionIterator it = extensions();
    RtpExtensionElement element;
    while (it.Next(element)) {
      if constexpr (std::is_same_v<std::invoke_result_t<F&, const RtpExtensionElement&>, bool>) {
        if (!f(static_cast<const RtpExtensionElement&>(element))) return;
      } else {
        f(static_cast<const RtpExtensionElement&>(element));
      }
    }
  }

 private:
  explicit RtpPacketView(std::span<const uint8_t> data) : data_(data) {}

  std::span<const uint8_t> data_;
  size_t header_size_ = kRtpFixedHeaderSize;
  size_t padding_size_ = 0;
  size_t extension_offset_ = 0;
  size_t extension_size_ = 0;
  uint16_t extension_profile_ = 0;
  RtpExtensionFormat extension_format_ = RtpExtensionFormat::kNone;
};

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_RTP_PACKET_H_
