#ifndef SWITCHYARD_RTC_RTP_REWRITER_H_
#define SWITCHYARD_RTC_RTP_REWRITER_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtc/rtp_packet.h"

namespace switchyard::rtc {

// Header fields the SFU assigns per outgoing stream.
struct RtpRewriteParams {
  uint32_t ssrc = 0;
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  uint8_t payload_type = 0;  // 7 bits; higher bit ignored

  // Extensions the SFU itself generates for the outgoing leg; id 0 = do not write. These are
  // appended after the kept (remapped) input extensions, and an input element remapped to the
  // same output id is dropped in their favour.
  uint8_t transport_sequence_id = 0;
  uint16_t transport_sequence_number = 0;
  uint8_t abs_send_time_id = 0;
  uint32_t abs_send_time = 0;  // 24-bit 6.18 fixed point
};

// Keep the input element `in_id` and write it as `out_id`. Input elements without a mapping
// are dropped (the receiving leg negotiated its own ids).
struct ExtensionRemap {
  uint8_t in_id = 0;
  uint8_t out_id = 0;
};
// Only this many remaps are honoured; further entries are ignored.
inline constexpr size_t kMaxExtensionRemaps = 8;

// Writes the forwarded copy of `in` into `out` (a pooled buffer) and returns its length, or 0
// when `out` is too small. The copy has:
// - version 2, the input's marker bit, params' SSRC / sequence number / timestamp / PT;
// - the input's CSRCs;
// - for each remap (first occurrence of in_id only), that element under out_id, followed by
//   the generated extensions of `params`. They are encoded in the RFC 8285 one-byte form when
//   every id is <= 14 and every length is 1..16, else in the two-byte form (profile 0x1000).
//   No extension header is written when nothing is kept. Remaps with out_id 0 are ignored;
// - no RTP padding: the input's padding (often bandwidth-probe filler) is not forwarded, so
//   P is clear in the output;
// - the payload bytes unchanged.
// The output always parses with RtpPacketView::Parse. `out` must not overlap `in`'s bytes.
size_t WriteRewrittenRtp(const RtpPacketView& in, const RtpRewriteParams& params,
                         std::span<const ExtensionRemap> remaps, std::span<uint8_t> out);

// Cheap path when extensions can pass through unchanged: overwrites SSRC, sequence number,
// timestamp and payload type of an RTP packet in place (generated extensions in `params` are
// ignored). Returns false, touching nothing, when `packet` does not parse as RTP.
bool RewriteRtpHeaderInPlace(std::span<uint8_t> packet, const RtpRewriteParams& params);

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_RTP_REWRITER_H_
