#include "rtc/rtp_packet.h"

#include "transport/byte_io.h"

namespace switchyard::rtc {

using transport::LoadBe16;
using transport::LoadBe32;

bool RtpExtensionIterator::Next(RtpExtensionElement& element) {
  while (pos_ < block_.size()) {
    const uint8_t first = block_[pos_];
    if (format_ == RtpExtensionFormat::kOneByte) {
      const uint8_t id = first >> 4;
      if (id == 0) {
        // RFC 8285 §4.2: padding bytes are 0. A zero id with a non-zero length is not padding
        // and not a valid element; treat it as the end of usable data.
        if (first != 0) break;
        ++pos_;
        continue;
      }
      if (id == 15) break;  // RFC 8285 §4.2: stop processing at the reserved id.
      const size_t length = static_cast<size_t>(first & 0x0F) + 1;
      if (block_.size() - pos_ - 1 < length) break;
      element.id = id;
      element.data = block_.subspan(pos_ + 1, length);
      pos_ += 1 + length;
      return true;
    }
    if (format_ == RtpExtensionFormat::kTwoByte) {
      if (first == 0) {  // RFC 8285 §4.3: single padding byte.
        ++pos_;
        continue;
      }
      if (block_.size() - pos_ < 2) break;
      const size_t length = block_[pos_ + 1];
      if (block_.size() - pos_ - 2 < length) break;
      element.id = first;
      element.data = block_.subspan(pos_ + 2, length);
      pos_ += 2 + length;
      return true;
    }
    break;  // No extension, or a profile this code does not interpret.
  }
  pos_ = block_.size();
  return false;
}

std::optional<RtpPacketView> RtpPacketView::Parse(std::span<const uint8_t> packet) {
  if (packet.size() < kRtpFixedHeaderSize) return std::nullopt;
  if ((packet[0] >> 6) != kRtpVersion) return std::nullopt;
  RtpPacketView view(packet);
  size_t offset = kRtpFixedHeaderSize + 4 * view.csrc_count();
  if (offset > packet.size()) return std::nullopt;
  if (view.has_extension()) {
    // RFC 3550 §5.3.1: 16-bit profile field, 16-bit length in 32-bit words (header excluded).
    if (packet.size() - offset < 4) return std::nullopt;
    const uint16_t profile = LoadBe16(&packet[offset]);
    const size_t block_size = size_t{LoadBe16(&packet[offset + 2])} * 4;
    offset += 4;
    if (packet.size() - offset < block_size) return std::nullopt;
    view.extension_profile_ = profile;
    view.extension_offset_ = offset;
    view.extension_size_ = block_size;
    if (profile == kRtpOneByteExtensionProfile) {
      view.extension_format_ = RtpExtensionFormat::kOneByte;
    } else if ((profile & kRtpTwoByteExtensionProfileMask) == kRtpTwoByteExtensionProfile) {
      view.extension_format_ = RtpExtensionFormat::kTwoByte;
    } else {
      view.extension_format_ = RtpExtensionFormat::kUnknown;
    }
    offset += block_size;
  } else {
    view.extension_offset_ = offset;
  }
  view.header_size_ = offset;
  if (packet[0] & 0x20) {
    // RFC 3550 §5.1: the last octet counts the padding octets, itself included, so it is at
    // least 1 and can only cover bytes after the header.
    const size_t padding = packet.back();
    if (padding == 0 || padding > packet.size() - offset) return std::nullopt;
    view.padding_size_ = padding;
  }
  return view;
}

uint16_t RtpPacketView::sequence_number() const { return LoadBe16(&data_[2]); }
uint32_t RtpPacketView::timestamp() const { return LoadBe32(&data_[4]); }
uint32_t RtpPacketView::ssrc() const { return LoadBe32(&data_[8]); }
uint32_t RtpPacketView::csrc(size_t index) const {
  return LoadBe32(&data_[kRtpFixedHeaderSize + 4 * index]);
}

std::optional<std::span<const uint8_t>> RtpPacketView::FindExtensionElement(uint8_t id) const {
  if (id == 0) return std::nullopt;
  RtpExtensionIterator it = extensions();
  RtpExtensionElement element;
  while (it.Next(element)) {
    if (element.id == id) return element.data;
  }
  return std::nullopt;
}

std::span<const uint8_t> RtpPacketView::FindExtension(uint8_t id) const {
  return FindExtensionElement(id).value_or(std::span<const uint8_t>());
}

}  // namespace switchyard::rtc
