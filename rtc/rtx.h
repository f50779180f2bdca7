#ifndef SWITCHYARD_RTC_RTX_H_
#define SWITCHYARD_RTC_RTX_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtc/rtp_packet.h"
#include "rtc/rtp_rewriter.h"

namespace switchyard::rtc {

// RFC 4588 §4: an RTX packet carries the original sequence number (OSN) in the first two
// payload bytes, followed by the original payload.
inline constexpr size_t kRtxOsnSize = 2;
// RFC 3550 §5.1: the padding count is one octet, so at most 255 padding bytes per packet.
inline constexpr size_t kRtpMaxPaddingSize = 255;

// Restores the original packet from an RTX packet: the RTX header bytes (marker, timestamp,
// CSRCs, extension block) are kept, SSRC / payload type become `media_ssrc` /
// `media_payload_type`, the sequence number becomes the OSN, the OSN is removed from the
// payload and RTX padding is dropped (P cleared). Returns the restored size, or 0 when the RTX
// payload is shorter than the OSN (e.g. a padding-only probe) or `out` is too small.
// `out` may start at the same address as `rtx`'s bytes (in-place unwrap: the result is 2 bytes
// shorter), any other overlap is not allowed.
size_t UnwrapRtx(const RtpPacketView& rtx, uint32_t media_ssrc, uint8_t media_payload_type,
                 std::span<uint8_t> out);

// Wraps `original` as an RTX retransmission (RFC 4588 §4): header written with `rtx_ssrc` /
// `rtx_payload_type` / `rtx_sequence_number`, the original's timestamp, marker and CSRCs,
// extensions kept/renumbered through `remaps` exactly like WriteRewrittenRtp, the OSN prepended
// to the payload, and the original's padding dropped. Returns the size, or 0 when `out` is too
// small. `out` must not overlap `original`'s bytes.
size_t WriteRtx(const RtpPacketView& original, uint32_t rtx_ssrc, uint8_t rtx_payload_type,
                uint16_t rtx_sequence_number, std::span<const ExtensionRemap> remaps,
                std::span<uint8_t> out);

// A payload-less RTP packet made of `padding_size` padding bytes (RFC 3550 §5.1: P bit set,
// the last byte counts the padding including itself), used as bandwidth probe filler on the
// RTX stream. With `transport_sequence_id` != 0 the packet carries that transport-wide
// sequence number (RFC 8285 one-byte extension, 8 more bytes) so the receiver's transport-cc
// feedback measures it, as a probe must be measured. Returns the size, or 0 when padding_size
// is 0 or > 255 or `out` is too small.
size_t WritePaddingPacket(uint32_t ssrc, uint8_t payload_type, uint16_t sequence_number,
                          uint32_t timestamp, size_t padding_size, std::span<uint8_t> out,
                          uint8_t transport_sequence_id = 0,
                          uint16_t transport_sequence_number = 0);

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_RTX_H_
