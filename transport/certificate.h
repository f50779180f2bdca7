#ifndef SWITCHYARD_TRANSPORT_CERTIFICATE_H_
#define SWITCHYARD_TRANSPORT_CERTIFICATE_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchyard::transport {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// The DTLS identity of the server: an ECDSA P-256 key pair and a self-signed certificate.
// WebRTC does not use a PKI; peers authenticate each other by pinning the certificate
// fingerprint exchanged in SDP (RFC 8122, RFC 8827 §6.5). One Certificate is created per server
// process and borrowed (by reference) by every DtlsTransport/DtlsContext, so it must outlive them.
// Immutable after creation, hence safe to share across threads.
class Certificate {
 public:
  // The hash we advertise in our own a=fingerprint line.
  static constexpr absl::string_view kFingerprintAlgorithm = "sha-256";

  // Generates a fresh P-256 key and a self-signed X.509 v3 certificate with a random 64-bit
  // serial, valid from one day ago (tolerates peers with a skewed clock) to 30 days ahead.
  // Validity is wall-clock time by nature (X.509), so this is the one place that does not use
  // the injected Clock; peers in WebRTC ignore validity anyway since the fingerprint is pinned.
  static absl::StatusOr<std::unique_ptr<Certificate>> GenerateEcdsaP256(
      absl::string_view common_name = "switchyard");

  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  // SDP form of the sha-256 fingerprint ("AB:CD:..."), computed once at creation; goes into
  // "a=fingerprint:sha-256 <value>".
  const std::string& Fingerprint() const { return sha256_fingerprint_; }

  // Borrowed; valid for the lifetime of this Certificate. Non-const pointers only because the
  // OpenSSL APIs that take them (SSL_CTX_use_certificate etc.) are not const-correct.
  EVP_PKEY* private_key() const { return key_.get(); }
  X509* x509() const { return cert_.get(); }

 private:
  Certificate(EvpPkeyPtr key, X509Ptr cert, std::string sha256_fingerprint);

  EvpPkeyPtr key_;
  X509Ptr cert_;
  std::string sha256_fingerprint_;
};

// Fingerprint of the DER encoding of `cert` in the RFC 8122 §5 form: uppercase hex byte pairs
// separated by ':'. `algorithm` is one of sha-1, sha-224, sha-256, sha-384, sha-512, matched
// case-insensitively (RFC 8122 §5: hash function names are case-insensitive). Anything else
// (including md5/md2, which RFC 8122 forbids) is InvalidArgument.
absl::StatusOr<std::string> ComputeFingerprint(X509* cert, absl::string_view algorithm);

// True when ComputeFingerprint accepts `algorithm`.
bool IsSupportedFingerprintAlgorithm(absl::string_view algorithm);

// Compares two fingerprint values case-insensitively (hex digits may arrive in either case).
bool FingerprintsEqual(absl::string_view a, absl::string_view b);

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_CERTIFICATE_H_
