#ifndef SWITCHYARD_SFU_VP8_REWRITER_H_
#define SWITCHYARD_SFU_VP8_REWRITER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "rtc/vp8_payload_descriptor.h"

namespace switchyard::sfu {

struct Vp8Output {
  uint16_t picture_id = 0;  // 15-bit counter; Apply() writes it in the field's own width
  uint8_t tl0picidx = 0;
  bool operator==(const Vp8Output&) const = default;
};

// Keeps the VP8 picture ID (RFC 7741 §4.2, 7 or 15 bits) and TL0PICIDX of one forwarded
// stream continuous for the subscriber's decoder. The receiver uses picture ids to find
// missing frames (libwebrtc's VP8 reference finder waits for a gap to fill), so:
//  - at a source switch (another simulcast layer, numbered independently) the new layer's
//    first picture continues at last output + 1, and TL0PICIDX likewise;
//  - a whole frame dropped on purpose (temporal scaling) closes up: later pictures move down
//    by one. A dropped TL0 frame does the same to TL0PICIDX (the frames that followed it
//    then refer to the previous TL0 frame's index);
//  - pictures lost in the network keep their gap, so the receiver does not decode past them.
// Out = in + offset per source, on unwrapped values; per-packet calls do not allocate.
class Vp8Rewriter {
 public:
  // Packet to be forwarded. `switched_source`: first packet of a new source (a keyframe;
  // SimulcastForwarder::Decision::switched). The first packet ever counts as a switch.
  Vp8Output Forward(const rtc::Vp8PayloadDescriptor& descriptor, bool switched_source);
  // Packet of the current source not forwarded on purpose (SimulcastForwarder's
  // drop_from_current). Call it for every packet of the dropped frame; a picture is counted
  // once. A late packet of an older picture cannot close up (later ones are out already).
  void Drop(const rtc::Vp8PayloadDescriptor& descriptor);
  // Forward() or Drop() in one call; nullopt when `dropped`.
  std::optional<Vp8Output> OnPacket(const rtc::Vp8PayloadDescriptor& descriptor,
                                    bool switched_source, bool dropped);

  // Writes `out` into the descriptor at the start of `payload` (the RTP payload of the
  // output copy, parsed as `descriptor`). Fields absent from the descriptor are left alone.
  // False when `payload` is too short for `descriptor`.
  static bool Apply(std::span<uint8_t> payload, const rtc::Vp8PayloadDescriptor& descriptor,
                    const Vp8Output& out);

 private:
  // One continuous counter (picture id or TL0PICIDX) across sources and drops.
  class Counter {
   public:
    void Switch() { switch_pending_ = true; }
    // `modulus`: 128, 32768 or 256 (the field's wire range).
    int64_t Forward(uint32_t value, uint32_t modulus);
    void Drop(uint32_t value, uint32_t modulus, bool close_up);

   private:
    static constexpr int kHistory = 32;
    struct Change {
      int64_t from = 0;
      int64_t offset = 0;
    };
    int64_t Unwrap(uint32_t value, uint32_t modulus) const;
    int64_t OffsetFor(int64_t input) const;
    void Push(int64_t from, int64_t offset);

    bool started_ = false;
    bool switch_pending_ = false;
    int64_t highest_in_ = 0;
    int64_t highest_out_ = -1;
    std::array<Change, kHistory> changes_{};
    int change_count_ = 0;
    int change_head_ = 0;
  };

  Counter picture_id_;
  Counter tl0picidx_;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_VP8_REWRITER_H_
