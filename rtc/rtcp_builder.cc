#include "rtc/rtcp_builder.h"

#include <algorithm>

#include "transport/byte_io.h"

namespace switchyard::rtc {
namespace {

using transport::ByteWriter;

// Largest packet the 16-bit length field (words - 1) can describe.
constexpr size_t kMaxRtcpPacketSize = (size_t{0xFFFF} + 1) * 4;

void WriteHeader(ByteWriter& writer, uint8_t count, uint8_t packet_type, size_t total_size) {
  writer.WriteU8(static_cast<uint8_t>(0x80 | (count & 0x1F)));
  writer.WriteU8(packet_type);
  writer.WriteU16(static_cast<uint16_t>(total_size / 4 - 1));
}

void WriteReportBlock(ByteWriter& writer, const ReportBlock& block) {
  writer.WriteU32(block.ssrc);
  writer.WriteU8(block.fraction_lost);
  const int32_t lost = std::clamp<int32_t>(block.cumulative_lost, -0x800000, 0x7FFFFF);
  writer.WriteU24(static_cast<uint32_t>(lost) & 0xFFFFFF);
  writer.WriteU32(block.extended_highest_sequence);
  writer.WriteU32(block.jitter);
  writer.WriteU32(block.last_sr);
  writer.WriteU32(block.delay_since_last_sr);
}

size_t Finish(const ByteWriter& writer, size_t expected) {
  return writer.ok() && writer.size() == expected ? expected : 0;
}

}  // namespace

size_t WritePli(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc) {
  constexpr size_t kSize = 12;
  if (out.size() < kSize) return 0;
  ByteWriter writer(out);
  WriteHeader(writer, kPsfbPli, kRtcpPayloadSpecificFeedback, kSize);
  writer.WriteU32(sender_ssrc);
  writer.WriteU32(media_ssrc);
  return Finish(writer, kSize);
}

size_t WriteFir(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc,
                uint8_t seq_nr) {
  constexpr size_t kSize = 20;
  if (out.size() < kSize) return 0;
  ByteWriter writer(out);
  WriteHeader(writer, kPsfbFir, kRtcpPayloadSpecificFeedback, kSize);
  writer.WriteU32(sender_ssrc);
  writer.WriteU32(0);  // RFC 5104 §4.3.1.2: media source SSRC SHALL be 0.
  writer.WriteU32(media_ssrc);
  writer.WriteU8(seq_nr);
  writer.WriteU24(0);
  return Finish(writer, kSize);
}

size_t WriteNack(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc,
                 std::span<const uint16_t> lost_seqs) {
  if (lost_seqs.empty() || out.size() < 16) return 0;
  // Write the entries first (after a 12-byte gap for the header), then fill the header in
  // once the entry count is known; this keeps the packing to one pass with no scratch memory.
  ByteWriter writer(out);
  writer.WriteZeros(12);
  size_t i = 0;
  while (i < lost_seqs.size()) {
    const uint16_t pid = lost_seqs[i];
    uint16_t blp = 0;
    size_t j = i + 1;
    // Absorb the following sequence numbers while they fall in PID+1..PID+16 (or repeat PID).
    for (; j < lost_seqs.size(); ++j) {
      const uint16_t delta = static_cast<uint16_t>(lost_seqs[j] - pid);
      if (delta > 16) break;
      if (delta > 0) blp = static_cast<uint16_t>(blp | (1u << (delta - 1)));
    }
    writer.WriteU16(pid);
    writer.WriteU16(blp);
    if (!writer.ok()) return 0;
    i = j;
  }
  const size_t size = writer.size();
  if (size > kMaxRtcpPacketSize) return 0;
  ByteWriter header(out);
  WriteHeader(header, kRtpfbNack, kRtcpTransportLayerFeedback, size);
  header.WriteU32(sender_ssrc);
  header.WriteU32(media_ssrc);
  return size;
}

size_t WriteReceiverReport(std::span<uint8_t> out, uint32_t sender_ssrc,
                           std::span<const ReportBlock> blocks) {
  if (blocks.size() > kRtcpMaxReportBlocks) return 0;
  const size_t size = 8 + blocks.size() * kRtcpReportBlockSize;
  if (out.size() < size) return 0;
  ByteWriter writer(out);
  WriteHeader(writer, static_cast<uint8_t>(blocks.size()), kRtcpReceiverReport, size);
  writer.WriteU32(sender_ssrc);
  for (const ReportBlock& block : blocks) WriteReportBlock(writer, block);
  return Finish(writer, size);
}

size_t WriteSenderReport(std::span<uint8_t> out, uint32_t ssrc, uint64_t ntp_timestamp,
                         uint32_t rtp_timestamp, uint32_t packet_count, uint32_t octet_count,
                         std::span<const ReportBlock> blocks) {
  if (blocks.size() > kRtcpMaxReportBlocks) return 0;
  const size_t size = 28 + blocks.size() * kRtcpReportBlockSize;
  if (out.size() < size) return 0;
  ByteWriter writer(out);
  WriteHeader(writer, static_cast<uint8_t>(blocks.size()), kRtcpSenderReport, size);
  writer.WriteU32(ssrc);
  writer.WriteU32(static_cast<uint32_t>(ntp_timestamp >> 32));
  writer.WriteU32(static_cast<uint32_t>(ntp_timestamp));
  writer.WriteU32(rtp_timestamp);
  writer.WriteU32(packet_count);
  writer.WriteU32(octet_count);
  for (const ReportBlock& block : blocks) WriteReportBlock(writer, block);
  return Finish(writer, size);
}

size_t WriteSdesCname(std::span<uint8_t> out, uint32_t ssrc, std::string_view cname) {
  if (cname.size() > 255) return 0;
  // SSRC, CNAME item (type, length, text), END, then zero padding to 32 bits (§6.5).
  const size_t chunk = 4 + 2 + cname.size() + 1;
  const size_t size = 4 + (chunk + 3) / 4 * 4;
  if (out.size() < size) return 0;
  ByteWriter writer(out);
  WriteHeader(writer, 1, kRtcpSourceDescription, size);
  writer.WriteU32(ssrc);
  writer.WriteU8(kSdesCname);
  writer.WriteU8(static_cast<uint8_t>(cname.size()));
  writer.WriteBytes(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(cname.data()), cname.size()));
  writer.WriteZeros(size - writer.size());
  return Finish(writer, size);
}

size_t WriteRemb(std::span<uint8_t> out, uint32_t sender_ssrc, uint64_t bitrate_bps,
                 std::span<const uint32_t> ssrcs) {
  if (ssrcs.size() > 255) return 0;
  const size_t size = 20 + 4 * ssrcs.size();
  if (out.size() < size) return 0;
  uint64_t mantissa = bitrate_bps;
  uint32_t exp = 0;
  while (mantissa > 0x3FFFF) {
    mantissa >>= 1;
    ++exp;
  }
  ByteWriter writer(out);
  WriteHeader(writer, kPsfbAfb, kRtcpPayloadSpecificFeedback, size);
  writer.WriteU32(sender_ssrc);
  writer.WriteU32(0);  // REMB: media source SSRC is 0; the SSRCs follow in the FCI.
  writer.WriteU8('R');
  writer.WriteU8('E');
  writer.WriteU8('M');
  writer.WriteU8('B');
  writer.WriteU8(static_cast<uint8_t>(ssrcs.size()));
  writer.WriteU24(static_cast<uint32_t>((exp << 18) | mantissa));
  for (uint32_t ssrc : ssrcs) writer.WriteU32(ssrc);
  return Finish(writer, size);
}

size_t WriteBye(std::span<uint8_t> out, std::span<const uint32_t> ssrcs, std::string_view reason) {
  if (ssrcs.size() > 31 || reason.size() > 255) return 0;
  size_t size = 4 + 4 * ssrcs.size();
  if (!reason.empty()) size += (1 + reason.size() + 3) / 4 * 4;
  if (out.size() < size) return 0;
  ByteWriter writer(out);
  WriteHeader(writer, static_cast<uint8_t>(ssrcs.size()), kRtcpGoodbye, size);
  for (uint32_t ssrc : ssrcs) writer.WriteU32(ssrc);
  if (!reason.empty()) {
    writer.WriteU8(static_cast<uint8_t>(reason.size()));
    writer.WriteBytes(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reason.data()), reason.size()));
    writer.WriteZeros(size - writer.size());
  }
  return Finish(writer, size);
}

}  // namespace switchyard::rtc
