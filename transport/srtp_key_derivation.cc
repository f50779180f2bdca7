#include "transport/srtp_key_derivation.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace switchyard::transport {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

}  // namespace

absl::Status SrtpKdf(absl::Span<const uint8_t> master_key, absl::Span<const uint8_t> master_salt,
                     SrtpKdfLabel label, uint8_t* out, size_t out_length) {
  if (master_key.size() != kSrtpMasterKeyLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("SRTP master key must be 16 bytes, got ", master_key.size()));
  }
  if (master_salt.size() > kSrtpCmSaltLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("SRTP master salt must be at most 14 bytes, got ", master_salt.size()));
  }
  if (out_length > INT_MAX) return absl::InvalidArgumentError("SRTP KDF output too long");

  // §4.3.1: key_id = label || (index DIV kdr) with a 48-bit r of zero, XORed into the salt's
  // low 56 bits, so the label lands on byte 7 of the 14-byte salt. §4.3.3: times 2^16, i.e. two
  // zero bytes that are the block counter.
  uint8_t iv[16] = {};
  std::memcpy(iv, master_salt.data(), master_salt.size());
  iv[7] ^= static_cast<uint8_t>(label);

  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr ||
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_128_ctr(), master_key.data(), iv, nullptr) != 1) {
    return absl::InternalError("SRTP KDF: AES-128-CTR init failed");
  }
  std::memset(out, 0, out_length);
  int written = 0;
  if (EVP_EncryptUpdate(ctx.get(), out, &written, out, static_cast<int>(out_length)) != 1 ||
      static_cast<size_t>(written) != out_length) {
    return absl::InternalError("SRTP KDF: AES-128-CTR failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<SrtpSessionKeys> DeriveSrtpSessionKeys(SrtpProfile profile,
                                                      absl::Span<const uint8_t> master_key_salt) {
  const size_t expected = SrtpMasterKeySaltLength(profile);
  if (master_key_salt.size() != expected) {
    return absl::InvalidArgumentError(absl::StrCat("SRTP master key||salt must be ", expected,
                                                   " bytes, got ", master_key_salt.size()));
  }
  const bool gcm = profile == SrtpProfile::kAeadAes128Gcm;
  absl::Span<const uint8_t> key = master_key_salt.subspan(0, kSrtpMasterKeyLength);
  absl::Span<const uint8_t> salt = master_key_salt.subspan(kSrtpMasterKeyLength);
  const size_t salt_length = gcm ? kSrtpGcmSaltLength : kSrtpCmSaltLength;

  SrtpSessionKeys keys;
  struct Step {
    SrtpKdfLabel label;
    uint8_t* out;
    size_t length;
  };
  const Step steps[] = {
      {SrtpKdfLabel::kRtpEncryption, keys.rtp_key, kSrtpMasterKeyLength},
      {SrtpKdfLabel::kRtpSalt, keys.rtp_salt, salt_length},
      {SrtpKdfLabel::kRtcpEncryption, keys.rtcp_key, kSrtpMasterKeyLength},
      {SrtpKdfLabel::kRtcpSalt, keys.rtcp_salt, salt_length},
      // RFC 7714 §11: the AEAD transforms derive no authentication keys.
      {SrtpKdfLabel::kRtpAuthentication, keys.rtp_auth_key, gcm ? 0 : kSrtpAuthKeyLength},
      {SrtpKdfLabel::kRtcpAuthentication, keys.rtcp_auth_key, gcm ? 0 : kSrtpAuthKeyLength},
  };
  for (const Step& step : steps) {
    if (step.length == 0) continue;
    if (absl::Status status = SrtpKdf(key, salt, step.label, step.out, step.length);
        !status.ok()) {
      OPENSSL_cleanse(&keys, sizeof(keys));
      return status;
    }
  }
  return keys;
}

}  // namespace switchyard::transport
