#include "sfu/drop_reason.h"

namespace switchyard::sfu {

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kUnknownPacketClass: return "unknown_packet_class";
    case DropReason::kMalformedStun: return "malformed_stun";
    case DropReason::kStunRejected: return "stun_rejected";
    case DropReason::kStunUnknownUfrag: return "stun_unknown_ufrag";
    case DropReason::kUnknownRemoteAddress: return "unknown_remote_address";
    case DropReason::kDtlsNotReady: return "dtls_not_ready";
    case DropReason::kSrtpNotReady: return "srtp_not_ready";
    case DropReason::kSrtpUnprotectFailed: return "srtp_unprotect_failed";
    case DropReason::kSrtcpUnprotectFailed: return "srtcp_unprotect_failed";
    case DropReason::kMalformedRtp: return "malformed_rtp";
    case DropReason::kMalformedRtcp: return "malformed_rtcp";
    case DropReason::kUnknownSsrc: return "unknown_ssrc";
    case DropReason::kRtxNotHandled: return "rtx_not_handled";
    case DropReason::kConsumerNotConnected: return "consumer_not_connected";
    case DropReason::kWaitingForKeyframe: return "waiting_for_keyframe";
    case DropReason::kRewriteFailed: return "rewrite_failed";
    case DropReason::kSrtpProtectFailed: return "srtp_protect_failed";
    case DropReason::kSendFailed: return "send_failed";
    case DropReason::kMuted: return "muted";
    case DropReason::kPayloadTypeNotNegotiated: return "payload_type_not_negotiated";
    case DropReason::kRelayPoolExhausted: return "relay_pool_exhausted";
    case DropReason::kRelayRingFull: return "relay_ring_full";
    case DropReason::kRelayUnknownProducer: return "relay_unknown_producer";
    case DropReason::kCount: break;
  }
  return "unknown";
}

}  // namespace switchyard::sfu
