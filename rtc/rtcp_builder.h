#ifndef SWITCHYARD_RTC_RTCP_BUILDER_H_
#define SWITCHYARD_RTC_RTCP_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "rtc/rtcp_packet.h"

namespace switchyard::rtc {

// Allocation-free RTCP builders. Each writes one RTCP packet at the start of `out` and returns
// its length in bytes (a multiple of 4), or 0 when `out` is too small or the arguments cannot
// be encoded (limits below). Concatenate results to build a compound packet (RFC 3550 §6.1).
// Every packet written here parses back with the matching view in rtc/rtcp_packet.h.

// PLI (RFC 4585 §6.3.1). 12 bytes.
size_t WritePli(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc);

// FIR (RFC 5104 §4.3.1) with one FCI entry for `media_ssrc`; the header's media SSRC is 0 as
// the RFC requires. `seq_nr` must increase for every new request. 20 bytes.
size_t WriteFir(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc,
                uint8_t seq_nr);

// Generic NACK (RFC 4585 §6.2.1). Packs `lost_seqs` into PID/BLP entries: each entry starts
// at a not-yet-covered sequence number and its BLP covers the 16 that follow (mod 2^16).
// Sorted input (in wrap-aware order) gives the fewest entries; any order is encoded
// correctly, and duplicates are harmless. Returns 0 for an empty list.
size_t WriteNack(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc,
                 std::span<const uint16_t> lost_seqs);

// Receiver report (RFC 3550 §6.4.2); at most kRtcpMaxReportBlocks blocks. cumulative_lost is
// clamped to the 24-bit signed range.
size_t WriteReceiverReport(std::span<uint8_t> out, uint32_t sender_ssrc,
                           std::span<const ReportBlock> blocks);

// Sender report (RFC 3550 §6.4.1); at most kRtcpMaxReportBlocks blocks.
size_t WriteSenderReport(std::span<uint8_t> out, uint32_t ssrc, uint64_t ntp_timestamp,
                         uint32_t rtp_timestamp, uint32_t packet_count, uint32_t octet_count,
                         std::span<const ReportBlock> blocks);

// SDES with a single CNAME chunk (RFC 3550 §6.5.1); cname at most 255 bytes.
size_t WriteSdesCname(std::span<uint8_t> out, uint32_t ssrc, std::string_view cname);

// REMB (draft-alvestrand-rmcat-remb-03 §2.2); at most 255 SSRCs. The bitrate is encoded as
// 18-bit mantissa and 6-bit exponent, rounded down (never advertises more than asked).
size_t WriteRemb(std::span<uint8_t> out, uint32_t sender_ssrc, uint64_t bitrate_bps,
                 std::span<const uint32_t> ssrcs);

// BYE (RFC 3550 §6.6); at most 31 SSRCs, reason at most 255 bytes (empty = none).
size_t WriteBye(std::span<uint8_t> out, std::span<const uint32_t> ssrcs,
                std::string_view reason = {});

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_RTCP_BUILDER_H_
