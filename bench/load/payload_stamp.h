#ifndef SWITCHYARD_BENCH_LOAD_PAYLOAD_STAMP_H_
#define SWITCHYARD_BENCH_LOAD_PAYLOAD_STAMP_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace switchyard::bench {

// What every synthetic media packet carries so that a receiver can measure the SFU without
// trusting anything the SFU rewrites (SSRC, sequence number, timestamp, VP8 picture id):
// which publisher stream it belongs to, a per-encoding sequence number (loss, reordering and
// duplicates within the simulcast layer the subscriber receives), and when it was sent.
//
// The stamp is the LAST kPayloadStampSize bytes of the RTP payload, not the first: the payload
// must begin with the codec's own header (VP8 payload descriptor and frame tag, Opus TOC), which
// the SFU parses for keyframes and rewrites (picture id, TL0PICIDX). Nothing the SFU does
// touches payload bytes past the VP8 descriptor, so the trailer arrives as sent.
//
// Layout (big-endian):
//   0..1   magic 'S' 'B'
//   2      version (1)
//   3      flags: bit 0 keyframe (the packet belongs to a keyframe), bit 1 audio,
//          bits 4..7 encoding index (simulcast layer, lowest first; 0 for audio)
//   4..7   source: the publisher's stream id (publisher index << 1 | audio)
//   8..11  sequence: per (source, encoding), +1 per packet, starting at 0
//   12..19 send time: steady clock nanoseconds, written right before encryption
inline constexpr size_t kPayloadStampSize = 20;
inline constexpr uint8_t kPayloadStampVersion = 1;
// Offset of the send time within the stamp (PatchStampSendTime rewrites only those bytes).
inline constexpr size_t kPayloadStampSendTimeOffset = 12;

struct PayloadStamp {
  uint32_t source = 0;
  uint32_t sequence = 0;
  uint64_t send_time_ns = 0;
  uint8_t encoding = 0;  // 0..15
  bool keyframe = false;
  bool audio = false;

  bool operator==(const PayloadStamp&) const = default;
};

// The stream id of publisher `publisher_index`'s audio or video track.
inline uint32_t StampSource(uint32_t publisher_index, bool audio) {
  return (publisher_index << 1) | (audio ? 1u : 0u);
}

// Writes the stamp into out[0, kPayloadStampSize). False (nothing written) when `out` is
// shorter or encoding > 15.
bool WritePayloadStamp(std::span<uint8_t> out, const PayloadStamp& stamp);

// Reads the stamp from the last kPayloadStampSize bytes of `payload` (an RTP payload without
// padding). nullopt when too short, or magic or version do not match.
std::optional<PayloadStamp> ReadPayloadStamp(std::span<const uint8_t> payload);

// Rewrites the send time of the stamp ending at the end of `packet` (a whole RTP packet
// without padding, stamp last). False when `packet` is too short to hold a stamp.
bool PatchStampSendTime(std::span<uint8_t> packet, uint64_t send_time_ns);

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_PAYLOAD_STAMP_H_
