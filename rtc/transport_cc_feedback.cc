#include "rtc/transport_cc_feedback.h"

#include "transport/byte_io.h"

namespace switchyard::rtc {

namespace {

// Floor division for possibly negative times (arrival times are not guaranteed positive).
int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int32_t SignExtend24(uint32_t value) {
  value &= 0xFFFFFF;
  return (value & 0x800000) ? static_cast<int32_t>(value | 0xFF000000u)
                            : static_cast<int32_t>(value);
}

}  // namespace

bool TransportCcFeedback::ChunkEncoder::CanAdd(uint8_t symbol) const {
  if (size_ < kTwoBitCapacity) return true;
  if (size_ < kOneBitCapacity && !has_large_ && symbol != kLargeDelta) return true;
  return size_ < kMaxRunLength && all_same_ && symbol == symbols_[0];
}

void TransportCcFeedback::ChunkEncoder::Add(uint8_t symbol) {
  // Beyond 14 symbols only a run is possible, so they need not be stored.
  if (size_ < kOneBitCapacity) symbols_[size_] = symbol;
  all_same_ = all_same_ && (size_ == 0 || symbol == symbols_[0]);
  has_large_ = has_large_ || symbol == kLargeDelta;
  ++size_;
}

uint16_t TransportCcFeedback::ChunkEncoder::Emit() {
  uint16_t chunk;
  if (all_same_) {
    chunk = EncodeRunLength();
    *this = ChunkEncoder();
    return chunk;
  }
  if (size_ == kOneBitCapacity) {
    chunk = EncodeOneBit();
    *this = ChunkEncoder();
    return chunk;
  }
  // Mixed symbols and a large delta among them or arriving: the first 7 go into a 2-bit
  // vector, the rest (at most 7) stay.
  chunk = EncodeTwoBit(kTwoBitCapacity);
  const size_t rest = size_ - kTwoBitCapacity;
  const std::array<uint8_t, kOneBitCapacity> old = symbols_;
  *this = ChunkEncoder();
  for (size_t i = 0; i < rest; ++i) Add(old[kTwoBitCapacity + i]);
  return chunk;
}

uint16_t TransportCcFeedback::ChunkEncoder::EncodeLast() const {
  if (all_same_) return EncodeRunLength();
  // Not all equal means at most 14 symbols, and at most 7 when one is large (CanAdd).
  if (!has_large_) return EncodeOneBit();
  return EncodeTwoBit(size_);
}

// §3.1.4: |1|0| then 14 one-bit symbols, first symbol in the most significant bit; 0 = not
// received, 1 = received (small delta). Unused trailing symbols are 0.
uint16_t TransportCcFeedback::ChunkEncoder::EncodeOneBit() const {
  uint16_t chunk = 0x8000;
  for (size_t i = 0; i < size_ && i < kOneBitCapacity; ++i) {
    chunk |= static_cast<uint16_t>((symbols_[i] != kNotReceived ? 1u : 0u) << (13 - i));
  }
  return chunk;
}

// §3.1.4: |1|1| then 7 two-bit symbols.
uint16_t TransportCcFeedback::ChunkEncoder::EncodeTwoBit(size_t count) const {
  uint16_t chunk = 0xC000;
  for (size_t i = 0; i < count && i < kTwoBitCapacity; ++i) {
    chunk |= static_cast<uint16_t>(symbols_[i] << (2 * (6 - i)));
  }
  return chunk;
}

// §3.1.3: |0| S (2 bits) | run length (13 bits)|.
uint16_t TransportCcFeedback::ChunkEncoder::EncodeRunLength() const {
  return static_cast<uint16_t>((symbols_[0] << 13) | size_);
}

TransportCcFeedback::TransportCcFeedback(uint32_t sender_ssrc, uint32_t media_ssrc,
                                         uint8_t feedback_count, size_t max_size)
    : sender_ssrc_(sender_ssrc),
      media_ssrc_(media_ssrc),
      feedback_count_(feedback_count),
      max_size_(max_size) {}

void TransportCcFeedback::SetBaseSequence(uint16_t base_sequence) {
  if (!received_.empty()) return;
  base_sequence_ = base_sequence;
  base_set_ = true;
}

void TransportCcFeedback::AppendSymbols(uint8_t symbol, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    while (!encoder_.CanAdd(symbol)) {
      encoder_.Emit();
      ++full_chunks_;
    }
    encoder_.Add(symbol);
  }
  if (symbol == kSmallDelta) delta_bytes_ += count;
  if (symbol == kLargeDelta) delta_bytes_ += 2 * count;
  status_count_ += count;
}

bool TransportCcFeedback::AddReceivedPacket(uint16_t sequence_number, int64_t arrival_time_us) {
  size_t offset;
  if (received_.empty()) {
    const uint16_t base = base_set_ ? base_sequence_ : sequence_number;
    offset = static_cast<uint16_t>(sequence_number - base);
    if (offset >= 0x8000) return false;  // "before" the base
  } else {
    const uint16_t step = static_cast<uint16_t>(sequence_number - last_sequence_);
    if (step == 0 || step >= 0x8000) return false;  // duplicate or out of order
    offset = received_.back().offset + size_t{step};
  }
  // A parsed message may already cover not-received packets past its last received one.
  if (offset < status_count_ || offset + 1 > kMaxStatusCount) return false;

  // Deltas are taken from the running sum of what was already encoded, so rounding to 250 µs
  // never accumulates (the reference time is a multiple of 250 µs as well).
  int64_t base_time_us = last_time_us_;
  int32_t reference_time = reference_time_;
  if (received_.empty()) {
    const int64_t ticks = FloorDiv(arrival_time_us, kReferenceTimeTickUs);
    // The field is 24 bits and wraps (§3.1); the sender only uses differences.
    reference_time = SignExtend24(static_cast<uint32_t>(ticks));
    base_time_us = ticks * kReferenceTimeTickUs;
  }
  const int64_t delta_ticks = FloorDiv(arrival_time_us - base_time_us + kDeltaTickUs / 2,
                                       kDeltaTickUs);
  if (delta_ticks < std::numeric_limits<int16_t>::min() ||
      delta_ticks > std::numeric_limits<int16_t>::max()) {
    return false;
  }

  const ChunkEncoder saved_encoder = encoder_;
  const size_t saved_chunks = full_chunks_;
  const size_t saved_deltas = delta_bytes_;
  const size_t saved_count = status_count_;
  AppendSymbols(kNotReceived, offset - status_count_);
  AppendSymbols(SymbolFor(static_cast<int32_t>(delta_ticks)), 1);
  if (size_bytes() > max_size_) {
    encoder_ = saved_encoder;
    full_chunks_ = saved_chunks;
    delta_bytes_ = saved_deltas;
    status_count_ = saved_count;
    return false;
  }
  if (received_.empty()) {
    base_sequence_ = static_cast<uint16_t>(sequence_number - offset);
    reference_time_ = reference_time;
  }
  last_time_us_ = base_time_us + delta_ticks * kDeltaTickUs;
  last_sequence_ = sequence_number;
  received_.push_back(Received{static_cast<uint16_t>(offset), static_cast<int16_t>(delta_ticks)});
  return true;
}

size_t TransportCcFeedback::size_bytes() const {
  const size_t chunks = full_chunks_ + (encoder_.empty() ? 0 : 1);
  const size_t unpadded = kFixedSize + 2 * chunks + delta_bytes_;
  return (unpadded + 3) / 4 * 4;
}

size_t TransportCcFeedback::Write(std::span<uint8_t> out) const {
  const size_t size = size_bytes();
  if (status_count_ == 0 || out.size() < size) return 0;
  const size_t padding = size - (kFixedSize + 2 * (full_chunks_ + (encoder_.empty() ? 0 : 1)) +
                                 delta_bytes_);
  transport::ByteWriter writer(out.first(size));
  writer.WriteU8(static_cast<uint8_t>(0x80 | (padding > 0 ? 0x20 : 0) | kRtpfbTransportCc));
  writer.WriteU8(kRtcpTransportLayerFeedback);
  writer.WriteU16(static_cast<uint16_t>(size / 4 - 1));
  writer.WriteU32(sender_ssrc_);
  writer.WriteU32(media_ssrc_);
  writer.WriteU16(base_sequence_);
  writer.WriteU16(static_cast<uint16_t>(status_count_));
  writer.WriteU24(static_cast<uint32_t>(reference_time_) & 0xFFFFFF);
  writer.WriteU8(feedback_count_);

  // Same symbol stream as the incremental bookkeeping, so the chunk count matches size.
  ChunkEncoder encoder;
  auto append = [&](uint8_t symbol) {
    while (!encoder.CanAdd(symbol)) writer.WriteU16(encoder.Emit());
    encoder.Add(symbol);
  };
  size_t offset = 0;
  for (const Received& packet : received_) {
    for (; offset < packet.offset; ++offset) append(kNotReceived);
    append(SymbolFor(packet.delta_ticks));
    ++offset;
  }
  for (; offset < status_count_; ++offset) append(kNotReceived);
  if (!encoder.empty()) writer.WriteU16(encoder.EncodeLast());

  for (const Received& packet : received_) {
    if (SymbolFor(packet.delta_ticks) == kSmallDelta) {
      writer.WriteU8(static_cast<uint8_t>(packet.delta_ticks));
    } else {
      writer.WriteU16(static_cast<uint16_t>(packet.delta_ticks));
    }
  }
  if (padding > 0) {
    writer.WriteZeros(padding - 1);
    writer.WriteU8(static_cast<uint8_t>(padding));
  }
  return writer.ok() && writer.size() == size ? size : 0;
}

std::optional<TransportCcFeedback> TransportCcFeedback::Parse(const RtcpPacketView& packet) {
  const std::optional<TransportCcView> view = TransportCcView::Parse(packet);
  if (!view) return std::nullopt;
  const size_t status_count = view->packet_status_count();
  if (status_count == 0) return std::nullopt;

  TransportCcFeedback feedback(view->sender_ssrc(), view->media_ssrc(),
                               view->feedback_packet_count(), std::numeric_limits<size_t>::max());
  feedback.base_sequence_ = view->base_sequence_number();
  feedback.base_set_ = true;
  feedback.reference_time_ = view->reference_time();

  transport::ByteReader reader(view->fci().subspan(8));
  // Pass 1: status chunks. The delta size (1 or 2 bytes) is parked in delta_ticks until pass 2.
  // Every received packet needs at least one delta byte, which bounds the vector by the packet
  // size whatever the status count claims.
  const size_t max_received = reader.remaining();
  size_t covered = 0;
  auto add_symbol = [&](uint8_t symbol) {
    if (covered >= status_count) return true;  // padding symbols of the last chunk
    if (symbol == 3) return false;  // reserved (§3.1.1)
    if (symbol != kNotReceived) {
      if (feedback.received_.size() >= max_received) return false;
      feedback.received_.push_back(
          Received{static_cast<uint16_t>(covered), static_cast<int16_t>(symbol)});
    }
    ++covered;
    return true;
  };
  while (covered < status_count) {
    uint16_t chunk;
    if (!reader.ReadU16(chunk)) return std::nullopt;
    if ((chunk & 0x8000) == 0) {
      const uint8_t symbol = static_cast<uint8_t>((chunk >> 13) & 0x3);
      const size_t run = chunk & 0x1FFF;
      if (symbol == 3 && run > 0) return std::nullopt;
      for (size_t i = 0; i < run && covered < status_count; ++i) {
        if (!add_symbol(symbol)) return std::nullopt;
      }
    } else if ((chunk & 0x4000) == 0) {
      for (int i = 13; i >= 0; --i) {
        if (!add_symbol(static_cast<uint8_t>((chunk >> i) & 0x1))) return std::nullopt;
      }
    } else {
      for (int i = 6; i >= 0; --i) {
        if (!add_symbol(static_cast<uint8_t>((chunk >> (2 * i)) & 0x3))) return std::nullopt;
      }
    }
  }
  // Pass 2: receive deltas (§3.1.5), in the order of the received packets.
  for (Received& received : feedback.received_) {
    if (received.delta_ticks == kSmallDelta) {
      uint8_t ticks;
      if (!reader.ReadU8(ticks)) return std::nullopt;
      received.delta_ticks = static_cast<int16_t>(ticks);
    } else {
      uint16_t ticks;
      if (!reader.ReadU16(ticks)) return std::nullopt;
      received.delta_ticks = static_cast<int16_t>(ticks);
    }
  }

  // Rebuild the bookkeeping Write() relies on (re-encoding is canonical: a delta sent with the
  // large symbol that fits in one byte is re-encoded small).
  size_t offset = 0;
  int64_t time_us = feedback.reference_time_us();
  for (const Received& received : feedback.received_) {
    feedback.AppendSymbols(kNotReceived, received.offset - offset);
    feedback.AppendSymbols(SymbolFor(received.delta_ticks), 1);
    offset = size_t{received.offset} + 1;
    time_us += int64_t{received.delta_ticks} * kDeltaTickUs;
  }
  feedback.AppendSymbols(kNotReceived, status_count - offset);
  feedback.last_time_us_ = time_us;
  if (!feedback.received_.empty()) {
    feedback.last_sequence_ =
        static_cast<uint16_t>(feedback.base_sequence_ + feedback.received_.back().offset);
  }
  return feedback;
}

std::vector<TransportCcPacket> TransportCcFeedback::GetPackets() const {
  std::vector<TransportCcPacket> packets;
  packets.reserve(status_count_);
  int64_t previous_us = reference_time_us();
  ForEachPacket([&](uint16_t seq, bool received, int64_t arrival_time_us) {
    packets.push_back(
        TransportCcPacket{seq, received, received ? arrival_time_us - previous_us : 0});
    if (received) previous_us = arrival_time_us;
  });
  return packets;
}

}  // namespace switchyard::rtc
