#ifndef SWITCHYARD_TRANSPORT_SRTP_SESSION_H_
#define SWITCHYARD_TRANSPORT_SRTP_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "transport/dtls_transport.h"

// libsrtp's session handle (srtp_t is `srtp_ctx_t*`); forward-declared to keep srtp2 headers
// out of every includer.
struct srtp_ctx_t_;

namespace switchyard::transport {

enum class SrtpError { kOk, kAuthFailed, kReplay, kBadLength, kOther };

// SRTP/SRTCP (RFC 3711, RFC 7714 for AEAD-GCM) for one DTLS-SRTP transport, on top of libsrtp2.
// An outbound template keyed with the local master key/salt protects every SSRC we send, an
// inbound template keyed with the remote one verifies every SSRC the peer sends (libsrtp's
// ssrc_any_outbound / ssrc_any_inbound). libsrtp allows one template per srtp_t, so these are
// two libsrtp sessions. All operations work in place on the caller's buffer.
//
// Hot path: no exceptions and no logging. libsrtp allocates a per-SSRC stream (cloned from the
// template) the first time it sees an SSRC, so the first packet of each new SSRC allocates;
// later packets do not. Not thread-safe: use a session from one thread at a time.
class SrtpSession {
 public:
  // Bytes a caller must leave free after a packet for Protect*: the 16-byte AEAD tag (RFC 7714
  // §14.2; HMAC-SHA1-80 adds only 10) plus the 4-byte SRTCP E-flag/index word (RFC 3711 §3.4).
  // No MKI is used.
  static constexpr size_t kMaxTrailer = 16 + 4;
  // Replay window (RFC 3711 §3.3.2 asks for at least 64). Large because an SFU forwards
  // bursts and retransmissions that can arrive far out of order.
  static constexpr unsigned long kReplayWindow = 1024;

  // Errors: InvalidArgument when a key/salt has the wrong size for the profile, Internal when
  // libsrtp refuses (e.g. a libsrtp built without AES-GCM).
  static absl::StatusOr<std::unique_ptr<SrtpSession>> Create(const SrtpKeyMaterial& keys);

  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // Encrypts and authenticates the RTP packet data[0..length) in place. `capacity` is the
  // buffer size; it must be at least length + rtp_trailer() (kBadLength otherwise, packet
  // untouched). On kOk, out_length is the SRTP packet length. Retransmissions (same SSRC and
  // sequence number, identical payload) are allowed (libsrtp allow_repeat_tx).
  SrtpError ProtectRtp(uint8_t* data, size_t length, size_t capacity, size_t& out_length);
  // Verifies and decrypts an SRTP packet in place; out_length is the RTP packet length.
  // kAuthFailed for a bad tag, kReplay for a duplicate or a packet older than the window.
  SrtpError UnprotectRtp(uint8_t* data, size_t length, size_t& out_length);
  // Same for RTCP compound packets (SRTCP, RFC 3711 §3.4); needs rtcp_trailer() spare bytes.
  SrtpError ProtectRtcp(uint8_t* data, size_t length, size_t capacity, size_t& out_length);
  SrtpError UnprotectRtcp(uint8_t* data, size_t length, size_t& out_length);

  SrtpProfile profile() const { return profile_; }
  // Exact bytes added by ProtectRtp / ProtectRtcp for this session's profile (<= kMaxTrailer).
  size_t rtp_trailer() const { return rtp_trailer_; }
  size_t rtcp_trailer() const { return rtcp_trailer_; }

 private:
  SrtpSession(srtp_ctx_t_* send, srtp_ctx_t_* receive, SrtpProfile profile);

  srtp_ctx_t_* send_;     // Owned (srtp_dealloc); ssrc_any_outbound, local key.
  srtp_ctx_t_* receive_;  // Owned (srtp_dealloc); ssrc_any_inbound, remote key.
  SrtpProfile profile_;
  size_t rtp_trailer_;
  size_t rtcp_trailer_;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_SRTP_SESSION_H_
