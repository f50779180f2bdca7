#ifndef SWITCHYARD_SFU_RECEIVE_STATISTICS_H_
#define SWITCHYARD_SFU_RECEIVE_STATISTICS_H_

#include <cstdint>
#include <optional>

#include "rtc/rtcp_packet.h"
#include "transport/clock.h"

namespace switchyard::sfu {

// Reception statistics of one received RTP stream, for the report blocks of our Receiver
// Reports to the publisher (RFC 3550 §6.4.1): sequence number tracking per RFC 3550 A.1, loss
// per A.3 and interarrival jitter per A.8. Pure logic on injected time, no allocation.
//
// Differences from the A.1 sample code, as in libwebrtc's ReceiveStatistics:
// - no probation: the first packet is accepted at once. Probation guards against stray packets
//   from a wrong source, which SRTP authentication already rejects;
// - jitter is updated only by in-order, non-retransmitted packets whose RTP timestamp differs
//   from the previous one: packets of one video frame share a timestamp and leave the sender's
//   pacer in a burst, so their spread is not network jitter, and a retransmission's arrival
//   says nothing about the path delay of the original.
class ReceiveStatistics {
 public:
  // RFC 3550 A.1.
  static constexpr uint32_t kMaxDropout = 3000;
  static constexpr uint32_t kMaxMisorder = 100;

  // `clock_rate` of the stream's RTP timestamps in Hz (e.g. 90000 video, 48000 Opus).
  explicit ReceiveStatistics(uint32_t clock_rate);

  // One received packet (after SRTP and RTX unwrapping: original sequence number and
  // timestamp). `retransmitted` marks packets that came as RTX or answered a NACK.
  void OnPacket(uint16_t sequence_number, uint32_t rtp_timestamp, transport::Timestamp arrival,
                bool retransmitted);
  // A Sender Report from the stream's sender arrived: remembered for LSR/DLSR (RFC 3550 §6.4.1).
  void OnSenderReport(uint64_t ntp, transport::Timestamp arrival);

  // Report block about this stream (`ssrc` = the stream's SSRC): fraction lost since the
  // previous call, cumulative lost (clamped to the signed 24-bit wire range), extended highest
  // sequence number, jitter (RTP timestamp units), LSR and DLSR (1/65536 s; both 0 before the
  // first SR). Starts a new interval for fraction_lost.
  rtc::ReportBlock MakeReportBlock(uint32_t ssrc, transport::Timestamp now);

  // Whether any packet was received (no report block should be sent before).
  bool has_data() const { return received_ > 0; }
  uint64_t packets_received() const { return received_; }
  uint64_t packets_retransmitted() const { return retransmitted_; }
  // RFC 3550 A.3: expected - received; negative with duplicates.
  int64_t cumulative_lost() const;
  uint32_t extended_highest_sequence() const { return cycles_ + max_seq_; }
  uint32_t jitter() const { return jitter_q4_ >> 4; }  // RTP timestamp units
  uint32_t clock_rate() const { return clock_rate_; }
  // NTP timestamp of the last SR; nullopt before the first SR.
  std::optional<uint64_t> last_sender_report_ntp() const { return last_sr_ntp_; }

 private:
  void InitSequence(uint16_t sequence_number);
  // RFC 3550 A.1 update_seq: false when the packet is not valid (yet) and must be ignored.
  bool UpdateSequence(uint16_t sequence_number);
  void UpdateJitter(uint32_t rtp_timestamp, transport::Timestamp arrival);

  uint32_t clock_rate_;
  uint16_t max_seq_ = 0;
  uint32_t cycles_ = 0;  // shifted count of sequence number cycles (multiples of 2^16)
  uint32_t base_seq_ = 0;
  uint32_t bad_seq_ = 0;  // RFC 3550 A.1: last 'bad' seq + 1; > 0xFFFF = none
  uint64_t received_ = 0;
  uint64_t retransmitted_ = 0;
  uint64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;

  // Jitter in RTP units scaled by 16 (RFC 3550 A.8 integer form).
  uint32_t jitter_q4_ = 0;
  bool have_transit_ = false;
  int64_t last_transit_ = 0;
  uint32_t last_timestamp_ = 0;
  std::optional<transport::Timestamp> first_arrival_;

  std::optional<uint64_t> last_sr_ntp_;
  transport::Timestamp last_sr_arrival_;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_RECEIVE_STATISTICS_H_
