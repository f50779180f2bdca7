#include "rtc/rtp_rewriter.h"

#include <algorithm>
#include <array>

#include "transport/byte_io.h"

namespace switchyard::rtc {
namespace {

struct OutElement {
  uint8_t id = 0;
  std::span<const uint8_t> data;
};

// Kept remaps plus the two generated extensions.
constexpr size_t kMaxOutElements = kMaxExtensionRemaps + 2;

}  // namespace

size_t WriteRewrittenRtp(const RtpPacketView& in, const RtpRewriteParams& params,
                         std::span<const ExtensionRemap> remaps, std::span<uint8_t> out) {
  std::array<OutElement, kMaxOutElements> elements;
  size_t count = 0;
  const size_t remap_count = std::min(remaps.size(), kMaxExtensionRemaps);
  std::array<bool, kMaxExtensionRemaps> used{};

  auto id_taken = [&](uint8_t id) {
    if (id == params.transport_sequence_id || id == params.abs_send_time_id) return true;
    for (size_t i = 0; i < count; ++i) {
      if (elements[i].id == id) return true;
    }
    return false;
  };

  if (remap_count > 0) {
    in.ForEachExtension([&](const RtpExtensionElement& element) {
      for (size_t i = 0; i < remap_count; ++i) {
        const ExtensionRemap& remap = remaps[i];
        if (used[i] || remap.in_id != element.id || remap.out_id == 0) continue;
        used[i] = true;
        if (!id_taken(remap.out_id)) elements[count++] = {remap.out_id, element.data};
      }
    });
  }

  std::array<uint8_t, 5> generated{};
  if (params.transport_sequence_id != 0) {
    transport::StoreBe16(&generated[0], params.transport_sequence_number);
    elements[count++] = {params.transport_sequence_id, std::span<const uint8_t>(&generated[0], 2)};
  }
  if (params.abs_send_time_id != 0 && params.abs_send_time_id != params.transport_sequence_id) {
    transport::StoreBe24(&generated[2], params.abs_send_time & 0xFFFFFF);
    elements[count++] = {params.abs_send_time_id, std::span<const uint8_t>(&generated[2], 3)};
  }

  // RFC 8285 §4.2: the one-byte form is only possible for ids 1..14 and 1..16 data bytes;
  // otherwise use the two-byte form (§4.3) for the whole block.
  bool one_byte = true;
  for (size_t i = 0; i < count; ++i) {
    const size_t length = elements[i].data.size();
    if (elements[i].id > kRtpOneByteMaxId || length == 0 || length > kRtpOneByteMaxLength) {
      one_byte = false;
    }
  }
  size_t block_size = 0;
  for (size_t i = 0; i < count; ++i) block_size += (one_byte ? 1 : 2) + elements[i].data.size();
  const size_t padded_block_size = (block_size + 3) / 4 * 4;

  const size_t csrc_count = in.csrc_count();
  const std::span<const uint8_t> payload = in.payload();
  const size_t total = kRtpFixedHeaderSize + 4 * csrc_count +
                       (count > 0 ? 4 + padded_block_size : 0) + payload.size();
  if (out.size() < total) return 0;

  transport::ByteWriter writer(out);
  writer.WriteU8(static_cast<uint8_t>((kRtpVersion << 6) | (count > 0 ? 0x10 : 0) | csrc_count));
  writer.WriteU8(static_cast<uint8_t>((in.marker() ? 0x80 : 0) | (params.payload_type & 0x7F)));
  writer.WriteU16(params.sequence_number);
  writer.WriteU32(params.timestamp);
  writer.WriteU32(params.ssrc);
  for (size_t i = 0; i < csrc_count; ++i) writer.WriteU32(in.csrc(i));
  if (count > 0) {
    writer.WriteU16(one_byte ? kRtpOneByteExtensionProfile : kRtpTwoByteExtensionProfile);
    writer.WriteU16(static_cast<uint16_t>(padded_block_size / 4));
    for (size_t i = 0; i < count; ++i) {
      const OutElement& element = elements[i];
      if (one_byte) {
        writer.WriteU8(static_cast<uint8_t>((element.id << 4) | (element.data.size() - 1)));
      } else {
        writer.WriteU8(element.id);
        writer.WriteU8(static_cast<uint8_t>(element.data.size()));
      }
      writer.WriteBytes(element.data);
    }
    // Padding bytes are 0 in both forms (RFC 8285 §4.1).
    writer.WriteZeros(padded_block_size - block_size);
  }
  writer.WriteBytes(payload);
  return writer.ok() ? writer.size() : 0;
}

bool RewriteRtpHeaderInPlace(std::span<uint8_t> packet, const RtpRewriteParams& params) {
  if (!RtpPacketView::Parse(packet)) return false;
  packet[1] = static_cast<uint8_t>((packet[1] & 0x80) | (params.payload_type & 0x7F));
  transport::StoreBe16(&packet[2], params.sequence_number);
  transport::StoreBe32(&packet[4], params.timestamp);
  transport::StoreBe32(&packet[8], params.ssrc);
  return true;
}

}  // namespace switchyard::rtc
