#ifndef SWITCHYARD_TRANSPORT_SRTP_KEY_DERIVATION_H_
#define SWITCHYARD_TRANSPORT_SRTP_KEY_DERIVATION_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "transport/dtls_transport.h"

namespace switchyard::transport {

inline constexpr size_t kSrtpMasterKeyLength = 16;   // AES-128 (RFC 3711 §8.2, RFC 7714 §12).
inline constexpr size_t kSrtpCmSaltLength = 14;      // RFC 3711 §8.2: n_s = 112 bits.
inline constexpr size_t kSrtpGcmSaltLength = 12;     // RFC 7714 §8.1: 96-bit salt.
inline constexpr size_t kSrtpAuthKeyLength = 20;     // RFC 3711 §8.2: n_a = 160 bits.

// RFC 3711 §4.3.1 key derivation labels.
enum class SrtpKdfLabel : uint8_t {
  kRtpEncryption = 0x00,
  kRtpAuthentication = 0x01,
  kRtpSalt = 0x02,
  kRtcpEncryption = 0x03,
  kRtcpAuthentication = 0x04,
  kRtcpSalt = 0x05,
};

// Session keys for one direction. For kAeadAes128Gcm only the first kSrtpGcmSaltLength salt
// bytes are meaningful and the authentication keys are unused (all zero).
struct SrtpSessionKeys {
  uint8_t rtp_key[kSrtpMasterKeyLength] = {};
  uint8_t rtp_salt[kSrtpCmSaltLength] = {};
  uint8_t rtp_auth_key[kSrtpAuthKeyLength] = {};
  uint8_t rtcp_key[kSrtpMasterKeyLength] = {};
  uint8_t rtcp_salt[kSrtpCmSaltLength] = {};
  uint8_t rtcp_auth_key[kSrtpAuthKeyLength] = {};
};

// The AES-CM PRF of RFC 3711 §4.3.3 with key_derivation_rate 0 (the only rate DTLS-SRTP uses,
// RFC 5764 §4.1.2): x = (label || 0^48) XOR master_salt, output = AES-CTR keystream under the
// master key starting at x * 2^16. `master_salt` is at most 14 bytes; a shorter one (the 12-byte
// AEAD salt, RFC 7714 §11) is right-padded with zeros, as libsrtp does. Writes `out_length`
// bytes to `out`. Not for the packet path (creates a cipher context per call).
absl::Status SrtpKdf(absl::Span<const uint8_t> master_key, absl::Span<const uint8_t> master_salt,
                     SrtpKdfLabel label, uint8_t* out, size_t out_length);

// Master key || salt (the SrtpKeyMaterial layout: 16 + 14 bytes for kAes128CmSha1_80, 16 + 12
// for kAeadAes128Gcm) to the six session keys. InvalidArgument for a wrong length.
absl::StatusOr<SrtpSessionKeys> DeriveSrtpSessionKeys(SrtpProfile profile,
                                                      absl::Span<const uint8_t> master_key_salt);

// Master key || salt length the profile expects.
constexpr size_t SrtpMasterKeySaltLength(SrtpProfile profile) {
  return kSrtpMasterKeyLength +
         (profile == SrtpProfile::kAeadAes128Gcm ? kSrtpGcmSaltLength : kSrtpCmSaltLength);
}

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_SRTP_KEY_DERIVATION_H_
