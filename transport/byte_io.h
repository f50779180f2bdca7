#ifndef SWITCHYARD_TRANSPORT_BYTE_IO_H_
#define SWITCHYARD_TRANSPORT_BYTE_IO_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace switchyard::transport {

// Big-endian (network order) loads and stores. Callers check bounds; the ByteReader below does.
inline uint16_t LoadBe16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t LoadBe24(const uint8_t* p) {
  return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
}
inline uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t LoadBe64(const uint8_t* p) {
  return (uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4);
}
inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreBe24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void StoreBe64(uint8_t* p, uint64_t v) {
  StoreBe32(p, static_cast<uint32_t>(v >> 32));
  StoreBe32(p + 4, static_cast<uint32_t>(v));
}

// Non-owning, bounds-checked cursor over received bytes. Every Read* returns false (and reads
// nothing) when fewer bytes remain than asked for, so parsers never touch memory past the end.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  bool ReadU8(uint8_t& v) {
    if (remaining() < 1) return false;
    v = data_[pos_++];
    return true;
  }
  bool ReadU16(uint16_t& v) {
    if (remaining() < 2) return false;
    v = LoadBe16(&data_[pos_]);
    pos_ += 2;
    return true;
  }
  bool ReadU24(uint32_t& v) {
    if (remaining() < 3) return false;
    v = LoadBe24(&data_[pos_]);
    pos_ += 3;
    return true;
  }
  bool ReadU32(uint32_t& v) {
    if (remaining() < 4) return false;
    v = LoadBe32(&data_[pos_]);
    pos_ += 4;
    return true;
  }
  bool ReadBytes(size_t n, std::span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

// Non-owning, bounds-checked writer into a caller-provided buffer (e.g. a pooled packet
// buffer). Once a write does not fit, ok() turns false and later writes are ignored, so a
// builder can write a whole message and check once.
class ByteWriter {
 public:
  explicit ByteWriter(std::span<uint8_t> buffer) : buffer_(buffer) {}

  bool ok() const { return ok_; }
  size_t size() const { return pos_; }
  size_t remaining() const { return buffer_.size() - pos_; }
  std::span<uint8_t> written() const { return buffer_.first(pos_); }
  uint8_t* data() { return buffer_.data(); }

  void WriteU8(uint8_t v) {
    if (Reserve(1)) buffer_[pos_++] = v;
  }
  void WriteU16(uint16_t v) {
    if (Reserve(2)) StoreBe16(&buffer_[pos_], v), pos_ += 2;
  }
  void WriteU24(uint32_t v) {
    if (Reserve(3)) StoreBe24(&buffer_[pos_], v), pos_ += 3;
  }
  void WriteU32(uint32_t v) {
    if (Reserve(4)) StoreBe32(&buffer_[pos_], v), pos_ += 4;
  }
  void WriteBytes(std::span<const uint8_t> bytes) {
    if (!bytes.empty() && Reserve(bytes.size())) {
      std::memcpy(&buffer_[pos_], bytes.data(), bytes.size());
      pos_ += bytes.size();
    }
  }
  void WriteZeros(size_t n) {
    if (n && Reserve(n)) {
      std::memset(&buffer_[pos_], 0, n);
      pos_ += n;
    }
  }

 private:
  bool Reserve(size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::span<uint8_t> buffer_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_BYTE_IO_H_
