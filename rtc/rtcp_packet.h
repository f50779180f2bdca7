#ifndef SWITCHYARD_RTC_RTCP_PACKET_H_
#define SWITCHYARD_RTC_RTCP_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

namespace switchyard::rtc {

inline constexpr size_t kRtcpHeaderSize = 4;
inline constexpr size_t kRtcpReportBlockSize = 24;
inline constexpr size_t kRtcpMaxReportBlocks = 31;  // 5-bit RC field

// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1).
inline constexpr uint8_t kRtcpSenderReport = 200;
inline constexpr uint8_t kRtcpReceiverReport = 201;
inline constexpr uint8_t kRtcpSourceDescription = 202;
inline constexpr uint8_t kRtcpGoodbye = 203;
inline constexpr uint8_t kRtcpApplicationDefined = 204;
inline constexpr uint8_t kRtcpTransportLayerFeedback = 205;
inline constexpr uint8_t kRtcpPayloadSpecificFeedback = 206;
inline constexpr uint8_t kRtcpExtendedReport = 207;

// Feedback message types (FMT).
inline constexpr uint8_t kRtpfbNack = 1;  // RFC 4585 §6.2.1
inline constexpr uint8_t kRtpfbTransportCc = 15;  // draft-holmer-rmcat-transport-wide-cc
inline constexpr uint8_t kPsfbPli = 1;  // RFC 4585 §6.3.1
inline constexpr uint8_t kPsfbFir = 4;  // RFC 5104 §4.3.1
inline constexpr uint8_t kPsfbAfb = 15;  // RFC 4585 §6.4 (REMB lives here)

// One reception report block (RFC 3550 §6.4.1). Value type shared by views and builders.
struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;  // 24-bit signed on the wire
  uint32_t extended_highest_sequence = 0;
  uint32_t jitter = 0;
  uint32_t last_sr = 0;
  uint32_t delay_since_last_sr = 0;

  friend bool operator==(const ReportBlock&, const ReportBlock&) = default;
};

// Parses a 24-byte report block; `data` must hold at least kRtcpReportBlockSize bytes.
ReportBlock ParseReportBlock(const uint8_t* data);

// One RTCP packet (RFC 3550 §6.4): V=2, P, 5-bit count/FMT, PT, length in 32-bit words - 1.
// Non-owning; the bytes must outlive the view.
class RtcpPacketView {
 public:
  // Parses the packet at the start of `data` (which may hold more packets after it). nullopt
  // when shorter than the header or the length field says, version != 2, or the padding
  // count is 0 or larger than the body.
  static std::optional<RtcpPacketView> Parse(std::span<const uint8_t> data);

  uint8_t count() const { return data_[0] & 0x1F; }  // RC / SC / FMT by packet type
  uint8_t fmt() const { return count(); }
  uint8_t packet_type() const { return data_[1]; }
  bool has_padding() const { return (data_[0] & 0x20) != 0; }
  // Whole packet including header and padding: (length + 1) * 4 bytes.
  size_t size() const { return data_.size(); }
  std::span<const uint8_t> data() const { return data_; }
  // Bytes after the 4-byte header, padding excluded.
  std::span<const uint8_t> body() const {
    return data_.subspan(kRtcpHeaderSize, data_.size() - kRtcpHeaderSize - padding_size_);
  }

 private:
  explicit RtcpPacketView(std::span<const uint8_t> data) : data_(data) {}
  std::span<const uint8_t> data_;
  size_t padding_size_ = 0;
};

// Walks a compound RTCP packet (RFC 3550 §6.1), or a single reduced-size packet (RFC 5506).
// Next() yields packets until the end or the first malformed one (nullopt); error() then
// tells which.
// The "first packet must be SR/RR" rule is deliberately not enforced (RFC 5506 §3.4.2).
class RtcpCompoundIterator {
 public:
  explicit RtcpCompoundIterator(std::span<const uint8_t> compound) : rest_(compound) {}

  std::optional<RtcpPacketView> Next();
  // True when iteration stopped on bytes that are not a valid RTCP packet.
  bool error() const { return error_; }

 private:
  std::span<const uint8_t> rest_;
  bool error_ = false;
};

// Calls f(const RtcpPacketView&) for every packet of `compound`; if f returns bool, false stops
// early. Returns false when the walk stopped on malformed bytes (the packets before were still
// delivered), or when `compound` is empty; true otherwise.
template <typename F>
bool ForEachRtcpPacket(std::span<const uint8_t> compound, F&& f) {
  if (compound.empty()) return false;
  RtcpCompoundIterator it(compound);
  while (std::optional<RtcpPacketView> packet = it.Next()) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&, const RtcpPacketView&>, bool>) {
      if (!f(static_cast<const RtcpPacketView&>(*packet))) return true;
    } else {
      f(static_cast<const RtcpPacketView&>(*packet));
    }
  }
  return !it.error();
}

// Sender report (PT 200, RFC 3550 §6.4.1).
class SenderReportView {
 public:
  static std::optional<SenderReportView> Parse(const RtcpPacketView& packet);

  uint32_t sender_ssrc() const;
  uint64_t ntp_timestamp() const;  // 32.32 fixed point
  uint32_t rtp_timestamp() const;
  uint32_t packet_count() const;
  uint32_t octet_count() const;
  size_t report_block_count() const { return report_block_count_; }
  // Precondition: index < report_block_count().
  ReportBlock report_block(size_t index) const;

 private:
  SenderReportView(std::span<const uint8_t> body, size_t blocks)
      : body_(body), report_block_count_(blocks) {}
  std::span<const uint8_t> body_;
  size_t report_block_count_;
};

// Receiver report (PT 201, RFC 3550 §6.4.2).
class ReceiverReportView {
 public:
  static std::optional<ReceiverReportView> Parse(const RtcpPacketView& packet);

  uint32_t sender_ssrc() const;
  size_t report_block_count() const { return report_block_count_; }
  ReportBlock report_block(size_t index) const;

 private:
  ReceiverReportView(std::span<const uint8_t> body, size_t blocks)
      : body_(body), report_block_count_(blocks) {}
  std::span<const uint8_t> body_;
  size_t report_block_count_;
};

// One SDES item (RFC 3550 §6.5); `value` points into the packet.
struct SdesItem {
  uint32_t ssrc = 0;
  uint8_t type = 0;  // 1 = CNAME
  std::string_view value;
};
inline constexpr uint8_t kSdesCname = 1;

// Source description (PT 202). Parse() validates every chunk so ForEachItem() cannot fail.
class SdesView {
 public:
  static std::optional<SdesView> Parse(const RtcpPacketView& packet);

  size_t chunk_count() const { return chunk_count_; }
  // Calls f(const SdesItem&) for every item of every chunk, in order.
  template <typename F>
  void ForEachItem(F&& f) const {
    Walk(body_, chunk_count_, [&](const SdesItem& item) { f(item); });
  }

 private:
  SdesView(std::span<const uint8_t> body, size_t chunks) : body_(body), chunk_count_(chunks) {}
  // Returns false on malformed chunks; calls `f` for items found before that.
  template <typename F>
  static bool Walk(std::span<const uint8_t> body, size_t chunks, F&& f);

  std::span<const uint8_t> body_;
  size_t chunk_count_;
};

// Goodbye (PT 203, RFC 3550 §6.6).
class ByeView {
 public:
  static std::optional<ByeView> Parse(const RtcpPacketView& packet);

  size_t ssrc_count() const { return ssrc_count_; }
  uint32_t ssrc(size_t index) const;
  std::string_view reason() const { return reason_; }

 private:
  ByeView(std::span<const uint8_t> body, size_t count, std::string_view reason)
      : body_(body), ssrc_count_(count), reason_(reason) {}
  std::span<const uint8_t> body_;
  size_t ssrc_count_;
  std::string_view reason_;
};

// Common layout of RTPFB (205) and PSFB (206) messages (RFC 4585 §6.1).
class FeedbackView {
 public:
  // nullopt unless PT is 205 or 206 and the body holds both SSRCs.
  static std::optional<FeedbackView> Parse(const RtcpPacketView& packet);

  uint8_t packet_type() const { return packet_type_; }
  uint8_t fmt() const { return fmt_; }
  uint32_t sender_ssrc() const;
  uint32_t media_ssrc() const;
  // Feedback control information after the two SSRCs.
  std::span<const uint8_t> fci() const { return body_.subspan(8); }

 private:
  FeedbackView(std::span<const uint8_t> body, uint8_t pt, uint8_t fmt)
      : body_(body), packet_type_(pt), fmt_(fmt) {}
  std::span<const uint8_t> body_;
  uint8_t packet_type_;
  uint8_t fmt_;
};

// Generic NACK (PT 205 FMT 1, RFC 4585 §6.2.1): FCI entries of PID + BLP.
class NackView {
 public:
  static std::optional<NackView> Parse(const RtcpPacketView& packet);

  uint32_t sender_ssrc() const { return feedback_.sender_ssrc(); }
  uint32_t media_ssrc() const { return feedback_.media_ssrc(); }
  size_t item_count() const { return feedback_.fci().size() / 4; }
  uint16_t pid(size_t index) const;
  uint16_t blp(size_t index) const;
  // Calls f(uint16_t seq) for every sequence number reported lost: each PID, then PID+i+1 for
  // each set bit i of its BLP (sequence numbers wrap mod 2^16).
  template <typename F>
  void ForEachLostSequence(F&& f) const {
    for (size_t i = 0; i < item_count(); ++i) {
      const uint16_t first = pid(i);
      const uint16_t mask = blp(i);
      f(first);
      for (int bit = 0; bit < 16; ++bit) {
        if (mask & (1u << bit)) f(static_cast<uint16_t>(first + bit + 1));
      }
    }
  }

 private:
  explicit NackView(FeedbackView feedback) : feedback_(feedback) {}
  FeedbackView feedback_;
};

// Transport-wide congestion control feedback (PT 205 FMT 15). Only the fixed FCI fields are
// decoded for now; the packet status chunks stay raw in fci().
class TransportCcView {
 public:
  static std::optional<TransportCcView> Parse(const RtcpPacketView& packet);

  uint32_t sender_ssrc() const { return feedback_.sender_ssrc(); }
  uint32_t media_ssrc() const { return feedback_.media_ssrc(); }
  uint16_t base_sequence_number() const;
  uint16_t packet_status_count() const;
  int32_t reference_time() const;  // 24-bit signed, multiples of 64 ms
  uint8_t feedback_packet_count() const;
  std::span<const uint8_t> fci() const { return feedback_.fci(); }

 private:
  explicit TransportCcView(FeedbackView feedback) : feedback_(feedback) {}
  FeedbackView feedback_;
};

// Picture loss indication (PT 206 FMT 1, RFC 4585 §6.3.1): no FCI.
class PliView {
 public:
  static std::optional<PliView> Parse(const RtcpPacketView& packet);
  uint32_t sender_ssrc() const { return feedback_.sender_ssrc(); }
  uint32_t media_ssrc() const { return feedback_.media_ssrc(); }

 private:
  explicit PliView(FeedbackView feedback) : feedback_(feedback) {}
  FeedbackView feedback_;
};

// Full intra request (PT 206 FMT 4, RFC 5104 §4.3.1). The header media SSRC is 0; targets
// are in the FCI entries.
struct FirEntry {
  uint32_t ssrc = 0;
  uint8_t sequence_number = 0;
};
class FirView {
 public:
  static std::optional<FirView> Parse(const RtcpPacketView& packet);
  uint32_t sender_ssrc() const { return feedback_.sender_ssrc(); }
  uint32_t media_ssrc() const { return feedback_.media_ssrc(); }
  size_t entry_count() const { return feedback_.fci().size() / 8; }
  FirEntry entry(size_t index) const;

 private:
  explicit FirView(FeedbackView feedback) : feedback_(feedback) {}
  FeedbackView feedback_;
};

// Receiver estimated max bitrate (PT 206 FMT 15 with "REMB",
// draft-alvestrand-rmcat-remb-03 §2.2).
class RembView {
 public:
  static std::optional<RembView> Parse(const RtcpPacketView& packet);
  uint32_t sender_ssrc() const { return feedback_.sender_ssrc(); }
  uint32_t media_ssrc() const { return feedback_.media_ssrc(); }
  // mantissa << exp; saturates at UINT64_MAX for exponents that would overflow.
  uint64_t bitrate_bps() const { return bitrate_bps_; }
  size_t ssrc_count() const { return ssrc_count_; }
  uint32_t ssrc(size_t index) const;

 private:
  RembView(FeedbackView feedback, uint64_t bitrate, size_t count)
      : feedback_(feedback), bitrate_bps_(bitrate), ssrc_count_(count) {}
  FeedbackView feedback_;
  uint64_t bitrate_bps_;
  size_t ssrc_count_;
};

template <typename F>
bool SdesView::Walk(std::span<const uint8_t> body, size_t chunks, F&& f) {
  size_t pos = 0;
  for (size_t chunk = 0; chunk < chunks; ++chunk) {
    if (body.size() - pos < 4) return false;
    SdesItem item;
    item.ssrc = (uint32_t{body[pos]} << 24) | (uint32_t{body[pos + 1]} << 16) |
                (uint32_t{body[pos + 2]} << 8) | body[pos + 3];
    pos += 4;
    // Items until a zero type byte (END); then pad to the next 32-bit boundary (§6.5).
    while (true) {
      if (pos >= body.size()) return false;
      const uint8_t type = body[pos];
      if (type == 0) {
        ++pos;
        break;
      }
      if (body.size() - pos < 2) return false;
      const size_t length = body[pos + 1];
      if (body.size() - pos - 2 < length) return false;
      item.type = type;
      item.value = std::string_view(reinterpret_cast<const char*>(&body[pos + 2]), length);
      f(static_cast<const SdesItem&>(item));
      pos += 2 + length;
    }
    const size_t aligned = (pos + 3) / 4 * 4;
    if (aligned > body.size()) return false;
    pos = aligned;
  }
  return true;
}

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_RTCP_PACKET_H_
