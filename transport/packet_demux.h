#ifndef SWITCHYARD_TRANSPORT_PACKET_DEMUX_H_
#define SWITCHYARD_TRANSPORT_PACKET_DEMUX_H_

#include <cstdint>
#include <span>

namespace switchyard::transport {

// What a datagram received on the shared ICE/DTLS/SRTP 5-tuple carries. WebRTC multiplexes all
// of them on one port, so the receive loop dispatches on the first byte (RFC 7983 §7).
enum class PacketClass { kStun, kDtls, kRtpOrRtcp, kUnknown };

// RFC 7983 §7: [0..3] STUN, [20..63] DTLS, [128..191] RTP/RTCP. Everything else (ZRTP 16..19,
// TURN channel data 64..79, empty datagrams) is kUnknown: we are not a TURN server and do not
// speak ZRTP. Per-packet path: no allocation, never reads past `packet`.
inline PacketClass ClassifyPacket(std::span<const uint8_t> packet) {
  if (packet.empty()) return PacketClass::kUnknown;
  const uint8_t b = packet[0];
  if (b <= 3) return PacketClass::kStun;
  if (b >= 20 && b <= 63) return PacketClass::kDtls;
  if (b >= 128 && b <= 191) return PacketClass::kRtpOrRtcp;
  return PacketClass::kUnknown;
}

// RFC 5761 §4: on a muxed RTP/RTCP port, RTCP is told apart by the second byte (RTCP packet type,
// or M bit + RTP payload type) falling in 192..223 (i.e. PT 64..95 with the marker bit set),
// a range RTP payload types must avoid. Also requires version 2 (first byte 128..191), so it
// is false for anything ClassifyPacket would not call kRtpOrRtcp. False when shorter than 2 bytes.
inline bool IsRtcp(std::span<const uint8_t> packet) {
  if (packet.size() < 2) return false;
  if (packet[0] < 128 || packet[0] > 191) return false;
  return packet[1] >= 192 && packet[1] <= 223;
}

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_PACKET_DEMUX_H_
