#include "rtc/rtx.h"

#include <cstring>

#include "transport/byte_io.h"

namespace switchyard::rtc {

size_t UnwrapRtx(const RtpPacketView& rtx, uint32_t media_ssrc, uint8_t media_payload_type,
                 std::span<uint8_t> out) {
  const std::span<const uint8_t> rtx_payload = rtx.payload();
  if (rtx_payload.size() < kRtxOsnSize) return 0;
  const uint16_t osn = transport::LoadBe16(rtx_payload.data());
  const std::span<const uint8_t> payload = rtx_payload.subspan(kRtxOsnSize);
  const size_t header_size = rtx.header_size();
  const size_t total = header_size + payload.size();
  if (out.size() < total) return 0;

  // memmove throughout: the in-place case has the header at the same address and the payload
  // moving 2 bytes towards the front.
  const std::span<const uint8_t> data = rtx.data();
  std::memmove(out.data(), data.data(), header_size);
  if (!payload.empty()) std::memmove(out.data() + header_size, payload.data(), payload.size());
  out[0] = static_cast<uint8_t>(out[0] & ~0x20);  // P: RTX padding is not part of the original
  out[1] = static_cast<uint8_t>((out[1] & 0x80) | (media_payload_type & 0x7F));
  transport::StoreBe16(&out[2], osn);
  transport::StoreBe32(&out[8], media_ssrc);
  return total;
}

size_t WriteRtx(const RtpPacketView& original, uint32_t rtx_ssrc, uint8_t rtx_payload_type,
                uint16_t rtx_sequence_number, std::span<const ExtensionRemap> remaps,
                std::span<uint8_t> out) {
  if (out.size() < kRtxOsnSize) return 0;
  RtpRewriteParams params;
  params.ssrc = rtx_ssrc;
  params.sequence_number = rtx_sequence_number;
  params.timestamp = original.timestamp();  // RFC 4588 §4: same timestamp as the original
  params.payload_type = rtx_payload_type;
  // Leave room for the OSN, then shift the payload (always at the end) to make space for it.
  const size_t size = WriteRewrittenRtp(original, params, remaps, out.first(out.size() - 2));
  if (size == 0) return 0;
  const size_t payload_size = original.payload().size();
  const size_t payload_offset = size - payload_size;
  if (payload_size > 0) {
    std::memmove(out.data() + payload_offset + kRtxOsnSize, out.data() + payload_offset,
                 payload_size);
  }
  transport::StoreBe16(out.data() + payload_offset, original.sequence_number());
  return size + kRtxOsnSize;
}

size_t WritePaddingPacket(uint32_t ssrc, uint8_t payload_type, uint16_t sequence_number,
                          uint32_t timestamp, size_t padding_size, std::span<uint8_t> out,
                          uint8_t transport_sequence_id, uint16_t transport_sequence_number) {
  if (padding_size == 0 || padding_size > kRtpMaxPaddingSize) return 0;
  if (transport_sequence_id > 14) return 0;  // one-byte form only (RFC 8285 §4.2)
  transport::ByteWriter writer(out);
  const bool extension = transport_sequence_id != 0;
  writer.WriteU8(static_cast<uint8_t>((kRtpVersion << 6) | 0x20 | (extension ? 0x10 : 0)));
  writer.WriteU8(payload_type & 0x7F);
  writer.WriteU16(sequence_number);
  writer.WriteU32(timestamp);
  writer.WriteU32(ssrc);
  if (extension) {
    writer.WriteU16(0xBEDE);
    writer.WriteU16(1);  // one 32-bit word: id/len byte, 2 value bytes, 1 padding byte
    writer.WriteU8(static_cast<uint8_t>((transport_sequence_id << 4) | 1));
    writer.WriteU16(transport_sequence_number);
    writer.WriteU8(0);
  }
  writer.WriteZeros(padding_size - 1);
  writer.WriteU8(static_cast<uint8_t>(padding_size));
  return writer.ok() ? writer.size() : 0;
}

}  // namespace switchyard::rtc
