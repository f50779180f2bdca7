#include "rtc/rtcp_packet.h"

#include <limits>

#include "transport/byte_io.h"

namespace switchyard::rtc {

using transport::LoadBe16;
using transport::LoadBe24;
using transport::LoadBe32;
using transport::LoadBe64;

ReportBlock ParseReportBlock(const uint8_t* data) {
  ReportBlock block;
  block.ssrc = LoadBe32(data);
  block.fraction_lost = data[4];
  // Sign-extend the 24-bit cumulative loss (RFC 3550 §6.4.1: it can go negative with
  // duplicates).
  const uint32_t lost = LoadBe24(data + 5);
  block.cumulative_lost = (lost & 0x800000) ? static_cast<int32_t>(lost | 0xFF000000u)
                                            : static_cast<int32_t>(lost);
  block.extended_highest_sequence = LoadBe32(data + 8);
  block.jitter = LoadBe32(data + 12);
  block.last_sr = LoadBe32(data + 16);
  block.delay_since_last_sr = LoadBe32(data + 20);
  return block;
}

std::optional<RtcpPacketView> RtcpPacketView::Parse(std::span<const uint8_t> data) {
  if (data.size() < kRtcpHeaderSize) return std::nullopt;
  if ((data[0] >> 6) != 2) return std::nullopt;
  const size_t size = (size_t{LoadBe16(&data[2])} + 1) * 4;
  if (size > data.size()) return std::nullopt;
  RtcpPacketView view(data.first(size));
  if (view.has_padding()) {
    // RFC 3550 §6.4.1: the last octet counts the padding octets, itself included.
    const size_t padding = view.data_.back();
    if (padding == 0 || padding > size - kRtcpHeaderSize) return std::nullopt;
    view.padding_size_ = padding;
  }
  return view;
}

std::optional<RtcpPacketView> RtcpCompoundIterator::Next() {
  if (rest_.empty() || error_) return std::nullopt;
  std::optional<RtcpPacketView> packet = RtcpPacketView::Parse(rest_);
  if (!packet) {
    error_ = true;
    rest_ = {};
    return std::nullopt;
  }
  rest_ = rest_.subspan(packet->size());
  return packet;
}

std::optional<SenderReportView> SenderReportView::Parse(const RtcpPacketView& packet) {
  if (packet.packet_type() != kRtcpSenderReport) return std::nullopt;
  const std::span<const uint8_t> body = packet.body();
  const size_t blocks = packet.count();
  // Profile-specific extensions may follow the report blocks (§6.4.1); they are ignored.
  if (body.size() < 24 + blocks * kRtcpReportBlockSize) return std::nullopt;
  return SenderReportView(body, blocks);
}

uint32_t SenderReportView::sender_ssrc() const { return LoadBe32(&body_[0]); }
uint64_t SenderReportView::ntp_timestamp() const { return LoadBe64(&body_[4]); }
uint32_t SenderReportView::rtp_timestamp() const { return LoadBe32(&body_[12]); }
uint32_t SenderReportView::packet_count() const { return LoadBe32(&body_[16]); }
uint32_t SenderReportView::octet_count() const { return LoadBe32(&body_[20]); }
ReportBlock SenderReportView::report_block(size_t index) const {
  return ParseReportBlock(&body_[24 + index * kRtcpReportBlockSize]);
}

std::optional<ReceiverReportView> ReceiverReportView::Parse(const RtcpPacketView& packet) {
  if (packet.packet_type() != kRtcpReceiverReport) return std::nullopt;
  const std::span<const uint8_t> body = packet.body();
  const size_t blocks = packet.count();
  if (body.size() < 4 + blocks * kRtcpReportBlockSize) return std::nullopt;
  return ReceiverReportView(body, blocks);
}

uint32_t ReceiverReportView::sender_ssrc() const { return LoadBe32(&body_[0]); }
ReportBlock ReceiverReportView::report_block(size_t index) const {
  return ParseReportBlock(&body_[4 + index * kRtcpReportBlockSize]);
}

std::optional<SdesView> SdesView::Parse(const RtcpPacketView& packet) {
  if (packet.packet_type() != kRtcpSourceDescription) return std::nullopt;
  const std::span<const uint8_t> body = packet.body();
  if (!Walk(body, packet.count(), [](const SdesItem&) {})) return std::nullopt;
  return SdesView(body, packet.count());
}

std::optional<ByeView> ByeView::Parse(const RtcpPacketView& packet) {
  if (packet.packet_type() != kRtcpGoodbye) return std::nullopt;
  const std::span<const uint8_t> body = packet.body();
  const size_t count = packet.count();
  if (body.size() < 4 * count) return std::nullopt;
  std::string_view reason;
  // RFC 3550 §6.6: optional length-prefixed reason after the SSRC list; trailing zero bytes
  // are alignment, not a reason.
  if (body.size() > 4 * count && body[4 * count] != 0) {
    const size_t length = body[4 * count];
    if (body.size() - 4 * count - 1 < length) return std::nullopt;
    reason = std::string_view(reinterpret_cast<const char*>(&body[4 * count + 1]), length);
  }
  return ByeView(body, count, reason);
}

uint32_t ByeView::ssrc(size_t index) const { return LoadBe32(&body_[4 * index]); }

std::optional<FeedbackView> FeedbackView::Parse(const RtcpPacketView& packet) {
  const uint8_t pt = packet.packet_type();
  if (pt != kRtcpTransportLayerFeedback && pt != kRtcpPayloadSpecificFeedback) return std::nullopt;
  const std::span<const uint8_t> body = packet.body();
  if (body.size() < 8) return std::nullopt;
  return FeedbackView(body, pt, packet.fmt());
}

uint32_t FeedbackView::sender_ssrc() const { return LoadBe32(&body_[0]); }
uint32_t FeedbackView::media_ssrc() const { return LoadBe32(&body_[4]); }

namespace {

std::optional<FeedbackView> ParseFeedback(const RtcpPacketView& packet, uint8_t pt,
                                          uint8_t fmt) {
  if (packet.packet_type() != pt || packet.fmt() != fmt) return std::nullopt;
  return FeedbackView::Parse(packet);
}

}  // namespace

std::optional<NackView> NackView::Parse(const RtcpPacketView& packet) {
  std::optional<FeedbackView> feedback = ParseFeedback(packet, kRtcpTransportLayerFeedback, kRtpfbNack);
  // RFC 4585 §6.2.1: one or more 32-bit PID/BLP entries.
  if (!feedback || feedback->fci().empty() || feedback->fci().size() % 4 != 0) {
    return std::nullopt;
  }
  return NackView(*feedback);
}

uint16_t NackView::pid(size_t index) const { return LoadBe16(&feedback_.fci()[4 * index]); }
uint16_t NackView::blp(size_t index) const { return LoadBe16(&feedback_.fci()[4 * index + 2]); }

std::optional<TransportCcView> TransportCcView::Parse(const RtcpPacketView& packet) {
  std::optional<FeedbackView> feedback =
      ParseFeedback(packet, kRtcpTransportLayerFeedback, kRtpfbTransportCc);
  // base seq (2), status count (2), reference time (3), feedback packet count (1).
  if (!feedback || feedback->fci().size() < 8) return std::nullopt;
  return TransportCcView(*feedback);
}

uint16_t TransportCcView::base_sequence_number() const { return LoadBe16(&fci()[0]); }
uint16_t TransportCcView::packet_status_count() const { return LoadBe16(&fci()[2]); }
int32_t TransportCcView::reference_time() const {
  const uint32_t value = LoadBe24(&fci()[4]);
  return (value & 0x800000) ? static_cast<int32_t>(value | 0xFF000000u)
                            : static_cast<int32_t>(value);
}
uint8_t TransportCcView::feedback_packet_count() const { return fci()[7]; }

std::optional<PliView> PliView::Parse(const RtcpPacketView& packet) {
  std::optional<FeedbackView> feedback = ParseFeedback(packet, kRtcpPayloadSpecificFeedback, kPsfbPli);
  if (!feedback) return std::nullopt;
  return PliView(*feedback);
}

std::optional<FirView> FirView::Parse(const RtcpPacketView& packet) {
  std::optional<FeedbackView> feedback = ParseFeedback(packet, kRtcpPayloadSpecificFeedback, kPsfbFir);
  // RFC 5104 §4.3.1.1: one or more 8-byte entries (SSRC, seq nr, 24 reserved bits).
  if (!feedback || feedback->fci().empty() || feedback->fci().size() % 8 != 0) {
    return std::nullopt;
  }
  return FirView(*feedback);
}

FirEntry FirView::entry(size_t index) const {
  const uint8_t* p = &feedback_.fci()[8 * index];
  return FirEntry{LoadBe32(p), p[4]};
}

std::optional<RembView> RembView::Parse(const RtcpPacketView& packet) {
  std::optional<FeedbackView> feedback = ParseFeedback(packet, kRtcpPayloadSpecificFeedback, kPsfbAfb);
  if (!feedback) return std::nullopt;
  const std::span<const uint8_t> fci = feedback->fci();
  // "REMB", num SSRC (8 bits), BR exp (6 bits), BR mantissa (18 bits), SSRC list.
  if (fci.size() < 8 || fci[0] != 'R' || fci[1] != 'E' || fci[2] != 'M' || fci[3] != 'B') {
    return std::nullopt;
  }
  const size_t count = fci[4];
  if (fci.size() - 8 < 4 * count) return std::nullopt;
  const uint32_t exp = fci[5] >> 2;
  const uint64_t mantissa = LoadBe24(&fci[5]) & 0x3FFFF;
  uint64_t bitrate = mantissa << exp;
  if (exp > 46 && (mantissa >> (64 - exp)) != 0) bitrate = std::numeric_limits<uint64_t>::max();
  return RembView(*feedback, bitrate, count);
}

uint32_t RembView::ssrc(size_t index) const { return LoadBe32(&feedback_.fci()[8 + 4 * index]); }

}  // namespace switchyard::rtc
