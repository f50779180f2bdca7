#ifndef SWITCHYARD_TRANSPORT_RFC4571_FRAMER_H_
#define SWITCHYARD_TRANSPORT_RFC4571_FRAMER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace switchyard::transport {

// RFC 4571 §2 framing: over a stream, each packet is preceded by its length as a 16-bit
// big-endian integer. ICE-TCP (RFC 6544 §3) carries STUN, DTLS and SRTP this way.
inline constexpr size_t kRfc4571HeaderSize = 2;

// Splits a byte stream into frames. Sans-IO: the owner reads into WritableSpace(), then
// Commit() hands out every frame completed so far. Frames longer than `max_frame` (none of
// ours: DTLS and SRTP stay under the path MTU) are skipped without being buffered, so the
// stream stays in step and memory stays bounded; they are counted. Empty frames are ignored.
// The buffer is allocated once, at construction.
class Rfc4571Reader {
 public:
  // `max_frame` <= 65535. The buffer holds the largest frame plus one read's worth.
  explicit Rfc4571Reader(size_t max_frame, size_t read_size = 8192)
      : max_frame_(max_frame), buffer_(kRfc4571HeaderSize + max_frame + read_size) {}

  // Where the next read should put its bytes; never empty.
  std::span<uint8_t> WritableSpace() {
    return std::span<uint8_t>(buffer_.data() + filled_, buffer_.size() - filled_);
  }

  // `n` bytes were written at the start of WritableSpace(). Calls on_frame(std::span<uint8_t>)
  // for each complete frame, in order; the span is valid during the call only and may be
  // modified in place (SRTP decrypts there).
  template <typename OnFrame>
  void Commit(size_t n, OnFrame&& on_frame) {
    filled_ += n;
    size_t pos = 0;
    while (pos < filled_) {
      if (skip_ > 0) {
        const size_t k = skip_ < filled_ - pos ? skip_ : filled_ - pos;
        pos += k;
        skip_ -= k;
        continue;
      }
      if (filled_ - pos < kRfc4571HeaderSize) break;
      const size_t length = (size_t{buffer_[pos]} << 8) | buffer_[pos + 1];
      if (length > max_frame_) {
        ++oversized_frames_;
        skip_ = length;
        pos += kRfc4571HeaderSize;
        continue;
      }
      if (filled_ - pos - kRfc4571HeaderSize < length) break;
      pos += kRfc4571HeaderSize;
      if (length > 0) {
        ++frames_;
        on_frame(std::span<uint8_t>(buffer_.data() + pos, length));
      }
      pos += length;
    }
    // Keep the partial frame at the front, where the next read continues it.
    if (pos > 0) {
      std::memmove(buffer_.data(), buffer_.data() + pos, filled_ - pos);
      filled_ -= pos;
    }
  }

  uint64_t frames() const { return frames_; }
  uint64_t oversized_frames() const { return oversized_frames_; }
  // Bytes of an unfinished frame held now.
  size_t buffered() const { return filled_; }

 private:
  const size_t max_frame_;
  std::vector<uint8_t> buffer_;
  size_t filled_ = 0;
  size_t skip_ = 0;  // bytes left of an oversized frame being discarded
  uint64_t frames_ = 0;
  uint64_t oversized_frames_ = 0;
};

// Appends `frame` with its RFC 4571 length to `out`. False (and nothing appended) when the
// frame is longer than 65535 bytes or would take `out` past `max_size`. Allocates only when
// `out` has to grow past its capacity.
inline bool AppendRfc4571Frame(std::span<const uint8_t> frame, size_t max_size,
                               std::vector<uint8_t>& out) {
  if (frame.size() > 0xFFFF || out.size() + kRfc4571HeaderSize + frame.size() > max_size) {
    return false;
  }
  out.push_back(static_cast<uint8_t>(frame.size() >> 8));
  out.push_back(static_cast<uint8_t>(frame.size()));
  out.insert(out.end(), frame.begin(), frame.end());
  return true;
}

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_RFC4571_FRAMER_H_
