#ifndef SWITCHYARD_TRANSPORT_SRTP_TRANSFORM_H_
#define SWITCHYARD_TRANSPORT_SRTP_TRANSFORM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "transport/dtls_transport.h"
#include "transport/srtp_context.h"
#include "transport/srtp_session.h"

namespace switchyard::transport {

// SRTP/SRTCP for one DTLS-SRTP transport on OpenSSL EVP (issue 5's option (b)), with the same
// interface and contracts as SrtpSession (the libsrtp2 wrapper) so either can back the media
// path: a send context keyed with the local master key protects every SSRC we send, a receive
// context keyed with the remote one verifies every SSRC the peer sends. Differences from
// SrtpSession: the sender never refuses an old sequence number (libsrtp refuses one more than
// the replay window behind unless it is an exact repeat), and only the first packet of an SSRC
// allocates. Not thread-safe.
class SrtpTransform {
 public:
  static constexpr size_t kMaxTrailer = SrtpSession::kMaxTrailer;
  static constexpr size_t kReplayWindow = SrtpContext::kReplayWindow;

  // InvalidArgument when a key/salt has the wrong size for the profile.
  static absl::StatusOr<std::unique_ptr<SrtpTransform>> Create(const SrtpKeyMaterial& keys);

  SrtpError ProtectRtp(uint8_t* data, size_t length, size_t capacity, size_t& out_length) {
    return send_->ProtectRtp(data, length, capacity, out_length);
  }
  SrtpError UnprotectRtp(uint8_t* data, size_t length, size_t& out_length) {
    return receive_->UnprotectRtp(data, length, out_length);
  }
  SrtpError ProtectRtcp(uint8_t* data, size_t length, size_t capacity, size_t& out_length) {
    return send_->ProtectRtcp(data, length, capacity, out_length);
  }
  SrtpError UnprotectRtcp(uint8_t* data, size_t length, size_t& out_length) {
    return receive_->UnprotectRtcp(data, length, out_length);
  }

  SrtpProfile profile() const { return send_->profile(); }
  size_t rtp_trailer() const { return send_->rtp_trailer(); }
  size_t rtcp_trailer() const { return send_->rtcp_trailer(); }

 private:
  SrtpTransform(std::unique_ptr<SrtpContext> send, std::unique_ptr<SrtpContext> receive)
      : send_(std::move(send)), receive_(std::move(receive)) {}

  std::unique_ptr<SrtpContext> send_;     // Local master key.
  std::unique_ptr<SrtpContext> receive_;  // Remote master key.
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_SRTP_TRANSFORM_H_
