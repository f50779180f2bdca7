#include "transport/certificate.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace switchyard::transport {
namespace {

constexpr long kSecondsPerDay = 24 * 60 * 60;
constexpr long kNotBeforeOffset = -1 * kSecondsPerDay;
constexpr long kNotAfterOffset = 30 * kSecondsPerDay;

std::string OpenSslErrorString() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", OpenSslErrorString()));
}

const EVP_MD* DigestForAlgorithm(absl::string_view algorithm) {
  if (absl::EqualsIgnoreCase(algorithm, "sha-1")) return EVP_sha1();
  if (absl::EqualsIgnoreCase(algorithm, "sha-224")) return EVP_sha224();
  if (absl::EqualsIgnoreCase(algorithm, "sha-256")) return EVP_sha256();
  if (absl::EqualsIgnoreCase(algorithm, "sha-384")) return EVP_sha384();
  if (absl::EqualsIgnoreCase(algorithm, "sha-512")) return EVP_sha512();
  return nullptr;
}

struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};

}  // namespace

Certificate::Certificate(EvpPkeyPtr key, X509Ptr cert, std::string sha256_fingerprint)
    : key_(std::move(key)), cert_(std::move(cert)),
      sha256_fingerprint_(std::move(sha256_fingerprint)) {}

absl::StatusOr<std::unique_ptr<Certificate>> Certificate::GenerateEcdsaP256(
    absl::string_view common_name) {
  ERR_clear_error();
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("EVP_EC_gen(P-256)");

  X509Ptr cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  // Version field value 2 means X.509 v3.
  if (X509_set_version(cert.get(), 2) != 1) return OpenSslError("X509_set_version");

  // Random positive 63-bit serial (RFC 5280 §4.1.2.2: positive, unique per issuer; with a
  // self-signed issuer, randomness is what keeps restarts from colliding).
  uint8_t serial_bytes[8];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return OpenSslError("RAND_bytes");
  serial_bytes[0] &= 0x7f;
  std::unique_ptr<BIGNUM, BnDeleter> serial_bn(
      BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  if (!serial_bn) return OpenSslError("BN_bin2bn");
  if (BN_to_ASN1_INTEGER(serial_bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslError("BN_to_ASN1_INTEGER");
  }

  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), kNotBeforeOffset) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kNotAfterOffset) == nullptr) {
    return OpenSslError("X509_gmtime_adj");
  }

  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn(common_name.empty() ? "switchyard" : common_name);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return OpenSslError("X509_NAME_add_entry_by_txt");
  }
  if (X509_set_issuer_name(cert.get(), name) != 1) return OpenSslError("X509_set_issuer_name");
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return OpenSslError("X509_set_pubkey");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return OpenSslError("X509_sign");

  absl::StatusOr<std::string> fingerprint = ComputeFingerprint(cert.get(), kFingerprintAlgorithm);
  if (!fingerprint.ok()) return fingerprint.status();
  return std::unique_ptr<Certificate>(
      new Certificate(std::move(key), std::move(cert), *std::move(fingerprint)));
}

bool IsSupportedFingerprintAlgorithm(absl::string_view algorithm) {
  return DigestForAlgorithm(algorithm) != nullptr;
}

absl::StatusOr<std::string> ComputeFingerprint(X509* cert, absl::string_view algorithm) {
  if (cert == nullptr) return absl::InvalidArgumentError("null certificate");
  const EVP_MD* md = DigestForAlgorithm(algorithm);
  if (md == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported fingerprint algorithm '", algorithm, "'"));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  ERR_clear_error();
  // X509_digest hashes the DER encoding, which is what RFC 8122 §5 fingerprints.
  if (X509_digest(cert, md, digest, &digest_len) != 1) return OpenSslError("X509_digest");

  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(digest_len * 3);
  for (unsigned int i = 0; i < digest_len; ++i) {
    if (i != 0) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

bool FingerprintsEqual(absl::string_view a, absl::string_view b) {
  return !a.empty() && absl::EqualsIgnoreCase(a, b);
}

}  // namespace switchyard::transport
