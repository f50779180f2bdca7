#include "sfu/receive_statistics.h"

#include <algorithm>

#include "sfu/ntp_time.h"

namespace switchyard::sfu {
namespace {

constexpr uint32_t kSeqMod = 1u << 16;
// RFC 3550 §6.4.1: cumulative number of packets lost is a signed 24-bit field.
constexpr int64_t kMaxCumulativeLost = 0x7FFFFF;
constexpr int64_t kMinCumulativeLost = -0x800000;

}  // namespace

ReceiveStatistics::ReceiveStatistics(uint32_t clock_rate) : clock_rate_(clock_rate) {}

void ReceiveStatistics::InitSequence(uint16_t sequence_number) {
  base_seq_ = sequence_number;
  max_seq_ = sequence_number;
  bad_seq_ = kSeqMod + 1;
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
}

bool ReceiveStatistics::UpdateSequence(uint16_t sequence_number) {
  const auto udelta = static_cast<uint16_t>(sequence_number - max_seq_);
  if (udelta < kMaxDropout) {
    // In order, with a permissible gap.
    if (sequence_number < max_seq_) cycles_ += kSeqMod;  // wrapped
    max_seq_ = sequence_number;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // A very large jump: accept it as a restart of the numbering only if the next packet
    // continues from it (the sender may have restarted); otherwise it is a stray packet.
    if (sequence_number == bad_seq_) {
      InitSequence(sequence_number);
      have_transit_ = false;
    } else {
      bad_seq_ = (uint32_t{sequence_number} + 1) & (kSeqMod - 1);
      return false;
    }
  }
  // else: duplicate or reordered packet; counted, but max_seq_ stays.
  ++received_;
  return true;
}

void ReceiveStatistics::UpdateJitter(uint32_t rtp_timestamp, transport::Timestamp arrival) {
  // RFC 3550 A.8: the arrival time in RTP timestamp units. Relative to the first arrival so the
  // product cannot overflow; the constant offset cancels in the transit differences.
  const int64_t elapsed_micros = (arrival - *first_arrival_).count();
  const int64_t arrival_rtp =
      (elapsed_micros / 1'000'000) * clock_rate_ +
      (elapsed_micros % 1'000'000) * static_cast<int64_t>(clock_rate_) / 1'000'000;
  // Modulo-2^32 arithmetic keeps RTP timestamp wrap-around harmless.
  const uint32_t transit = static_cast<uint32_t>(arrival_rtp) - rtp_timestamp;
  if (have_transit_) {
    const auto diff = static_cast<int32_t>(transit - static_cast<uint32_t>(last_transit_));
    const int64_t d = diff < 0 ? -static_cast<int64_t>(diff) : diff;
    const int64_t jitter = static_cast<int64_t>(jitter_q4_) + d - ((jitter_q4_ + 8) >> 4);
    jitter_q4_ = static_cast<uint32_t>(std::clamp<int64_t>(jitter, 0, 0xFFFFFFFF));
  }
  last_transit_ = transit;
  have_transit_ = true;
  last_timestamp_ = rtp_timestamp;
}

void ReceiveStatistics::OnPacket(uint16_t sequence_number, uint32_t rtp_timestamp,
                                 transport::Timestamp arrival, bool retransmitted) {
  bool in_order = false;
  if (!first_arrival_) {
    first_arrival_ = arrival;
    InitSequence(sequence_number);
    ++received_;
    in_order = true;
  } else {
    const uint16_t previous_max = max_seq_;
    const uint64_t previous_received = received_;
    if (!UpdateSequence(sequence_number)) return;
    // Restarted (received_ reset) or advanced max_seq_: the packet is the newest one.
    in_order = received_ <= previous_received || max_seq_ != previous_max;
  }
  if (retransmitted) ++retransmitted_;
  if (in_order && !retransmitted && (!have_transit_ || rtp_timestamp != last_timestamp_)) {
    UpdateJitter(rtp_timestamp, arrival);
  }
}

void ReceiveStatistics::OnSenderReport(uint64_t ntp, transport::Timestamp arrival) {
  last_sr_ntp_ = ntp;
  last_sr_arrival_ = arrival;
}

int64_t ReceiveStatistics::cumulative_lost() const {
  if (received_ == 0) return 0;
  const int64_t expected = static_cast<int64_t>(extended_highest_sequence()) - base_seq_ + 1;
  return expected - static_cast<int64_t>(received_);
}

rtc::ReportBlock ReceiveStatistics::MakeReportBlock(uint32_t ssrc, transport::Timestamp now) {
  rtc::ReportBlock block;
  block.ssrc = ssrc;
  if (received_ > 0) {
    // RFC 3550 A.3.
    const auto expected =
        static_cast<uint64_t>(static_cast<int64_t>(extended_highest_sequence()) - base_seq_ + 1);
    const int64_t expected_interval = static_cast<int64_t>(expected - expected_prior_);
    const int64_t received_interval = static_cast<int64_t>(received_ - received_prior_);
    const int64_t lost_interval = expected_interval - received_interval;
    expected_prior_ = expected;
    received_prior_ = received_;
    block.fraction_lost = (expected_interval == 0 || lost_interval <= 0)
                              ? 0
                              : static_cast<uint8_t>(std::min<int64_t>(
                                    (lost_interval << 8) / expected_interval, 255));
    block.cumulative_lost = static_cast<int32_t>(
        std::clamp(cumulative_lost(), kMinCumulativeLost, kMaxCumulativeLost));
    block.extended_highest_sequence = extended_highest_sequence();
    block.jitter = jitter();
  }
  if (last_sr_ntp_) {
    block.last_sr = CompactNtp(*last_sr_ntp_);
    block.delay_since_last_sr = CompactNtpFromDuration(now - last_sr_arrival_);
  }
  return block;
}

}  // namespace switchyard::sfu
