#include "bench/load/payload_stamp.h"

#include "transport/byte_io.h"

namespace switchyard::bench {

namespace {

constexpr uint8_t kMagic0 = 'S';
constexpr uint8_t kMagic1 = 'B';
constexpr uint8_t kFlagKeyframe = 0x01;
constexpr uint8_t kFlagAudio = 0x02;

}  // namespace

bool WritePayloadStamp(std::span<uint8_t> out, const PayloadStamp& stamp) {
  if (out.size() < kPayloadStampSize || stamp.encoding > 15) return false;
  uint8_t* p = out.data();
  p[0] = kMagic0;
  p[1] = kMagic1;
  p[2] = kPayloadStampVersion;
  p[3] = static_cast<uint8_t>((stamp.encoding << 4) | (stamp.keyframe ? kFlagKeyframe : 0) |
                              (stamp.audio ? kFlagAudio : 0));
  transport::StoreBe32(p + 4, stamp.source);
  transport::StoreBe32(p + 8, stamp.sequence);
  transport::StoreBe64(p + kPayloadStampSendTimeOffset, stamp.send_time_ns);
  return true;
}

std::optional<PayloadStamp> ReadPayloadStamp(std::span<const uint8_t> payload) {
  if (payload.size() < kPayloadStampSize) return std::nullopt;
  const uint8_t* p = payload.data() + payload.size() - kPayloadStampSize;
  if (p[0] != kMagic0 || p[1] != kMagic1 || p[2] != kPayloadStampVersion) return std::nullopt;
  PayloadStamp stamp;
  stamp.keyframe = (p[3] & kFlagKeyframe) != 0;
  stamp.audio = (p[3] & kFlagAudio) != 0;
  stamp.encoding = static_cast<uint8_t>(p[3] >> 4);
  stamp.source = transport::LoadBe32(p + 4);
  stamp.sequence = transport::LoadBe32(p + 8);
  stamp.send_time_ns = transport::LoadBe64(p + kPayloadStampSendTimeOffset);
  return stamp;
}

bool PatchStampSendTime(std::span<uint8_t> packet, uint64_t send_time_ns) {
  if (packet.size() < kPayloadStampSize) return false;
  transport::StoreBe64(packet.data() + packet.size() - kPayloadStampSize +
                           kPayloadStampSendTimeOffset,
                       send_time_ns);
  return true;
}

}  // namespace switchyard::bench
