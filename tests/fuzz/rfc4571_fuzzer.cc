// Fuzzes the ICE-TCP stream reader (RFC 4571 framing): the input is a byte stream delivered in
// read sizes taken from its first bytes, and every frame that comes out is demultiplexed and, if
// it looks like STUN, parsed, as the worker does with a frame from a TCP connection. The reader
// must hand out exactly the frames a reference splitter finds, whatever the read sizes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "transport/packet_demux.h"
#include "transport/rfc4571_framer.h"
#include "transport/stun_message.h"

namespace {

using namespace switchyard::transport;

constexpr size_t kMaxFrame = 2048;

// The frames (and oversized count) a straightforward splitter finds in the whole stream.
std::vector<std::vector<uint8_t>> Reference(std::span<const uint8_t> stream, uint64_t& oversized) {
  std::vector<std::vector<uint8_t>> frames;
  size_t pos = 0;
  while (stream.size() - pos >= 2) {
    const size_t length = (size_t{stream[pos]} << 8) | stream[pos + 1];
    if (stream.size() - pos - 2 < length) {
      if (length > kMaxFrame) ++oversized;  // counted as soon as its header is read
      break;
    }
    if (length > kMaxFrame) {
      ++oversized;
    } else if (length > 0) {
      frames.emplace_back(stream.begin() + static_cast<ptrdiff_t>(pos + 2),
                          stream.begin() + static_cast<ptrdiff_t>(pos + 2 + length));
    }
    pos += 2 + length;
  }
  return frames;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // First byte: read-size pattern seed; the rest is the stream.
  const uint8_t seed = data[0];
  const std::span<const uint8_t> stream(data + 1, size - 1);
  uint64_t expected_oversized = 0;
  const auto expected = Reference(stream, expected_oversized);

  Rfc4571Reader reader(kMaxFrame, 512);
  std::vector<std::vector<uint8_t>> got;
  size_t pos = 0;
  size_t step = 0;
  while (pos < stream.size()) {
    std::span<uint8_t> space = reader.WritableSpace();
    if (space.empty()) std::abort();
    const size_t want = 1 + ((seed * 31u + step * 17u) % 700u);
    const size_t n = std::min({want, space.size(), stream.size() - pos});
    std::copy_n(stream.begin() + static_cast<ptrdiff_t>(pos), n, space.begin());
    pos += n;
    ++step;
    reader.Commit(n, [&got](std::span<uint8_t> frame) {
      got.emplace_back(frame.begin(), frame.end());
      if (ClassifyPacket(frame) == PacketClass::kStun) {
        auto message = StunMessage::Parse(frame);
        volatile bool ok = message.ok();
        (void)ok;
      }
    });
  }
  if (got != expected) std::abort();
  if (reader.oversized_frames() != expected_oversized) std::abort();
  return 0;
}
