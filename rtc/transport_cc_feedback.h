#ifndef SWITCHYARD_RTC_TRANSPORT_CC_FEEDBACK_H_
#define SWITCHYARD_RTC_TRANSPORT_CC_FEEDBACK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "rtc/rtcp_packet.h"

namespace switchyard::rtc {

// One packet covered by a feedback message, as returned by TransportCcFeedback::GetPackets().
struct TransportCcPacket {
  uint16_t sequence_number = 0;
  bool received = false;
  // Only for received packets: arrival delta from the previous received packet (or from the
  // reference time for the first one), in microseconds, a multiple of 250.
  int64_t delta_us = 0;

  friend bool operator==(const TransportCcPacket&, const TransportCcPacket&) = default;
};

// Transport-wide congestion control feedback, RTPFB (PT 205) FMT 15
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): per transport-wide sequence
// number, whether the packet arrived and when.
//
// One class serves both directions:
//  - receive side: construct, SetBaseSequence() (optional), AddReceivedPacket() in sequence
//    order, Write();
//  - send side: Parse(), then ForEachPacket() / GetPackets().
// A parsed message can be written again (Write() re-encodes it canonically).
//
// Storage is one std::vector entry per *received* packet (gaps are implied), bounded by the
// encoded size limit given at construction: this runs once per feedback interval, not per
// media packet.
class TransportCcFeedback {
 public:
  static constexpr int64_t kDeltaTickUs = 250;  // §3.1.5 receive delta resolution
  static constexpr int64_t kReferenceTimeTickUs = 64000;  // §3.1 reference time unit
  // Fixed part: RTCP header (4), two SSRCs (8), base seq, status count, reference time and
  // feedback packet count (8).
  static constexpr size_t kFixedSize = 20;
  // The packet status count field is 16 bits.
  static constexpr size_t kMaxStatusCount = 0xFFFF;
  // Default encoded-size limit of a built message: fits one SRTCP datagram inside the IPv6
  // minimum MTU (1280 - 40 IP - 8 UDP - 14 SRTCP index/tag, with some room left).
  static constexpr size_t kDefaultMaxSize = 1200;

  // Starts an empty message (receive side). `max_size` bounds Write()'s output in bytes;
  // AddReceivedPacket() refuses packets that would make the message larger.
  TransportCcFeedback(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t feedback_count,
                      size_t max_size = kDefaultMaxSize);

  // Optional, before the first AddReceivedPacket(): the message starts at `base_sequence`,
  // and packets from there up to the first added one are reported not received. Without it
  // the first added packet is the base. Ignored once a packet was added.
  void SetBaseSequence(uint16_t base_sequence);

  // Adds a received packet. The base time is the arrival of the first added packet, rounded
  // down to 64 ms for the reference time field; arrival deltas are rounded to 250 µs without
  // accumulating error. Packets must come in increasing (unwrapped) sequence order; packets
  // skipped in between are reported not received. Returns false, and changes nothing, when
  // the packet cannot be added: sequence number not after the last one (or more than 2^15
  // ahead), delta not representable in 16-bit signed 250 µs ticks, status count over 65535,
  // or the message would exceed `max_size`. The caller then starts a new message.
  bool AddReceivedPacket(uint16_t sequence_number, int64_t arrival_time_us);

  // Bytes Write() produces: the whole RTCP packet, header included, padded to 32 bits.
  size_t size_bytes() const;
  // Writes the RTCP packet. Returns bytes written, or 0 when `out` is smaller than
  // size_bytes() or the message is empty (empty feedback is not allowed on the wire).
  // Padding uses the RTCP P bit with the count in the last byte (RFC 3550 §6.4.1).
  size_t Write(std::span<uint8_t> out) const;

  // Parses PT 205 FMT 15. nullopt on any malformed content (truncated chunks or deltas, the
  // reserved status symbol 11, status count 0). Bytes after the last delta are ignored (some
  // senders pad with zeros without setting the P bit).
  static std::optional<TransportCcFeedback> Parse(const RtcpPacketView& packet);

  // Packets covered, received or not (the packet status count).
  size_t packet_count() const { return status_count_; }
  size_t received_count() const { return received_.size(); }
  uint16_t base_sequence() const { return base_sequence_; }
  uint16_t status_count() const { return static_cast<uint16_t>(status_count_); }
  // The 24-bit reference time field, sign-extended, times 64 ms. For a built message this is
  // the first arrival rounded down to 64 ms, modulo 2^24 * 64 ms (the wire value).
  int64_t reference_time_us() const { return int64_t{reference_time_} * kReferenceTimeTickUs; }
  uint8_t feedback_count() const { return feedback_count_; }
  uint32_t sender_ssrc() const { return sender_ssrc_; }
  uint32_t media_ssrc() const { return media_ssrc_; }

  // Calls f(uint16_t seq, bool received, int64_t arrival_time_us) for every covered packet in
  // sequence order. arrival_time_us = reference_time_us() + the deltas so far; meaningless
  // when !received.
  template <typename F>
  void ForEachPacket(F&& f) const {
    int64_t time_us = reference_time_us();
    size_t next = 0;
    for (size_t offset = 0; offset < status_count_; ++offset) {
      const uint16_t seq = static_cast<uint16_t>(base_sequence_ + offset);
      if (next < received_.size() && received_[next].offset == offset) {
        time_us += int64_t{received_[next].delta_ticks} * kDeltaTickUs;
        ++next;
        f(seq, true, time_us);
      } else {
        f(seq, false, time_us);
      }
    }
  }
  // The same as a vector (tests, logging).
  std::vector<TransportCcPacket> GetPackets() const;

 private:
  // Packet status symbols (§3.1.1).
  static constexpr uint8_t kNotReceived = 0;
  static constexpr uint8_t kSmallDelta = 1;
  static constexpr uint8_t kLargeDelta = 2;

  // Turns a stream of status symbols into packet status chunks (§3.1.3, §3.1.4): a run-length
  // chunk while all symbols are equal, else a 1-bit vector of 14 when no large delta occurs,
  // else 2-bit vectors of 7.
  class ChunkEncoder {
   public:
    bool CanAdd(uint8_t symbol) const;
    void Add(uint8_t symbol);
    // Precondition: !CanAdd(next symbol). Returns a full chunk and keeps leftovers.
    uint16_t Emit();
    bool empty() const { return size_ == 0; }
    // The final, possibly partial chunk. Precondition: !empty().
    uint16_t EncodeLast() const;

   private:
    static constexpr size_t kOneBitCapacity = 14;
    static constexpr size_t kTwoBitCapacity = 7;
    static constexpr size_t kMaxRunLength = 0x1FFF;
    uint16_t EncodeOneBit() const;
    uint16_t EncodeTwoBit(size_t count) const;
    uint16_t EncodeRunLength() const;

    std::array<uint8_t, kOneBitCapacity> symbols_{};
    size_t size_ = 0;
    bool all_same_ = true;
    bool has_large_ = false;
  };

  struct Received {
    uint16_t offset;  // from base_sequence_
    int16_t delta_ticks;
  };

  static uint8_t SymbolFor(int32_t delta_ticks) {
    return delta_ticks >= 0 && delta_ticks <= 0xFF ? kSmallDelta : kLargeDelta;
  }
  // Feeds `count` symbols into encoder_ and the size counters.
  void AppendSymbols(uint8_t symbol, size_t count);

  uint32_t sender_ssrc_;
  uint32_t media_ssrc_;
  uint8_t feedback_count_;
  size_t max_size_;
  uint16_t base_sequence_ = 0;
  bool base_set_ = false;
  int32_t reference_time_ = 0;  // sign-extended 24-bit wire value
  int64_t last_time_us_ = 0;  // full-precision time the deltas so far add up to
  uint16_t last_sequence_ = 0;
  size_t status_count_ = 0;
  // Size bookkeeping, kept incrementally so AddReceivedPacket() can enforce max_size_.
  ChunkEncoder encoder_;
  size_t full_chunks_ = 0;
  size_t delta_bytes_ = 0;
  std::vector<Received> received_;
};

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_TRANSPORT_CC_FEEDBACK_H_
