#include "sfu/vp8_rewriter.h"

namespace switchyard::sfu {

namespace {

constexpr uint32_t kTl0Modulus = 256;

uint32_t PictureIdModulus(const rtc::Vp8PayloadDescriptor& d) {
  return d.picture_id_15bit ? 32768 : 128;
}

}  // namespace

int64_t Vp8Rewriter::Counter::Unwrap(uint32_t value, uint32_t modulus) const {
  const auto m = static_cast<int64_t>(modulus);
  const int64_t highest_mod = ((highest_in_ % m) + m) % m;
  int64_t delta = (static_cast<int64_t>(value % modulus) - highest_mod + m) % m;
  if (delta >= m / 2) delta -= m;  // nearest interpretation, as for RTP sequence numbers
  return highest_in_ + delta;
}

int64_t Vp8Rewriter::Counter::OffsetFor(int64_t input) const {
  const Change* oldest = nullptr;
  for (int i = 1; i <= change_count_; ++i) {
    const Change& change = changes_[(change_head_ - i + kHistory) % kHistory];
    if (change.from <= input) return change.offset;
    oldest = &change;
  }
  // Older than anything remembered (a straggler): the oldest offset is the best guess.
  return oldest != nullptr ? oldest->offset : 0;
}

void Vp8Rewriter::Counter::Push(int64_t from, int64_t offset) {
  changes_[change_head_] = Change{from, offset};
  change_head_ = (change_head_ + 1) % kHistory;
  if (change_count_ < kHistory) ++change_count_;
}

int64_t Vp8Rewriter::Counter::Forward(uint32_t value, uint32_t modulus) {
  if (!started_ || switch_pending_) {
    // A new source: its own numbering starts a fresh unwrapped domain, placed right after
    // the last output (or as-is for the very first source).
    const int64_t first = value % modulus;
    const int64_t first_out = started_ ? highest_out_ + 1 : first;
    started_ = true;
    switch_pending_ = false;
    highest_in_ = first - 1;
    change_count_ = 0;
    Push(first, first_out - first);
  }
  const int64_t input = Unwrap(value, modulus);
  const int64_t output = input + OffsetFor(input);
  if (input > highest_in_) highest_in_ = input;
  if (output > highest_out_) highest_out_ = output;
  return output;
}

void Vp8Rewriter::Counter::Drop(uint32_t value, uint32_t modulus, bool close_up) {
  // Before the first forwarded packet of a source there is nothing to be continuous with.
  if (!started_ || switch_pending_) return;
  const int64_t input = Unwrap(value, modulus);
  if (input <= highest_in_) return;  // same picture again, or late
  highest_in_ = input;
  // The dropped value itself is never output, so the new offset may start at it: frames
  // that carry it as a reference (TL0PICIDX of the following upper-layer frames) then
  // point at the previous forwarded value.
  if (close_up) Push(input, OffsetFor(input) - 1);
}

Vp8Output Vp8Rewriter::Forward(const rtc::Vp8PayloadDescriptor& d, bool switched_source) {
  if (switched_source) {
    picture_id_.Switch();
    tl0picidx_.Switch();
  }
  Vp8Output out{d.picture_id, d.tl0_pic_idx};
  if (d.has_picture_id) {
    out.picture_id =
        static_cast<uint16_t>(picture_id_.Forward(d.picture_id, PictureIdModulus(d)) & 0x7FFF);
  }
  if (d.has_tl0_pic_idx) {
    out.tl0picidx = static_cast<uint8_t>(tl0picidx_.Forward(d.tl0_pic_idx, kTl0Modulus) & 0xFF);
  }
  return out;
}

void Vp8Rewriter::Drop(const rtc::Vp8PayloadDescriptor& d) {
  if (d.has_picture_id) picture_id_.Drop(d.picture_id, PictureIdModulus(d), true);
  if (d.has_tl0_pic_idx) {
    // Upper-layer frames repeat the TL0PICIDX of the TL0 frame they follow; only dropping a
    // TL0 frame itself removes an index.
    const bool is_tl0 = !d.has_temporal_id || d.temporal_id == 0;
    tl0picidx_.Drop(d.tl0_pic_idx, kTl0Modulus, is_tl0);
  }
}

std::optional<Vp8Output> Vp8Rewriter::OnPacket(const rtc::Vp8PayloadDescriptor& d,
                                               bool switched_source, bool dropped) {
  if (dropped) {
    Drop(d);
    return std::nullopt;
  }
  return Forward(d, switched_source);
}

bool Vp8Rewriter::Apply(std::span<uint8_t> payload, const rtc::Vp8PayloadDescriptor& d,
                        const Vp8Output& out) {
  if (payload.size() < d.size) return false;  // checked first: never write half the fields
  if (d.has_picture_id && !rtc::RewriteVp8PictureId(payload, d, out.picture_id)) return false;
  if (d.has_tl0_pic_idx && !rtc::RewriteVp8Tl0PicIdx(payload, d, out.tl0picidx)) return false;
  return true;
}

}  // namespace switchyard::sfu
