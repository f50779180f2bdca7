#ifndef SWITCHYARD_SFU_DROP_REASON_H_
#define SWITCHYARD_SFU_DROP_REASON_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace switchyard::sfu {

// Why a worker dropped an incoming or outgoing packet. Every drop on the media path is counted
// under exactly one reason (never logged per packet) and exported as a metric.
enum class DropReason : uint8_t {
  kUnknownPacketClass,   // first byte matches no RFC 7983 range
  kMalformedStun,
  kStunRejected,         // the ICE agent refused it (see IceDropReason for detail)
  kStunUnknownUfrag,
  kUnknownRemoteAddress,  // DTLS/SRTP from an address no ICE check validated
  kDtlsNotReady,
  kSrtpNotReady,          // SRTP before the DTLS handshake finished
  kSrtpUnprotectFailed,
  kSrtcpUnprotectFailed,
  kMalformedRtp,
  kMalformedRtcp,
  kUnknownSsrc,
  kRtxNotHandled,
  kConsumerNotConnected,
  kWaitingForKeyframe,
  kRewriteFailed,
  kSrtpProtectFailed,
  kSendFailed,
  kMuted,                       // the producer is muted through the room API
  kPayloadTypeNotNegotiated,    // the subscriber did not negotiate the packet's codec
  kRelayPoolExhausted,   // no free packet buffer to hand a packet to another worker
  kRelayRingFull,        // the ring to another worker was full (that worker falls behind)
  kRelayUnknownProducer,  // a relayed packet for a producer this worker no longer mirrors
  kCount,
};

std::string_view DropReasonName(DropReason reason);

class DropCounters {
 public:
  void Count(DropReason reason) { ++counts_[static_cast<size_t>(reason)]; }
  uint64_t Get(DropReason reason) const { return counts_[static_cast<size_t>(reason)]; }
  uint64_t Total() const {
    uint64_t total = 0;
    for (uint64_t c : counts_) total += c;
    return total;
  }

 private:
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> counts_{};
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_DROP_REASON_H_
