#ifndef SWITCHYARD_TRANSPORT_DTLS_CONTEXT_H_
#define SWITCHYARD_TRANSPORT_DTLS_CONTEXT_H_

#include <openssl/types.h>

#include <memory>

#include "absl/status/statusor.h"
#include "transport/certificate.h"

namespace switchyard::transport {

// The OpenSSL SSL_CTX shared by every DtlsTransport that presents the same Certificate: DTLS 1.2
// only, ECDHE (X25519, P-256) AEAD suites, use_srtp with AEAD_AES_128_GCM preferred over
// AES128_CM_HMAC_SHA1_80, mutual certificate authentication with self-signed certificates (the
// per-connection fingerprint pin is enforced by DtlsTransport). Creating an SSL_CTX in OpenSSL 3
// is comparatively expensive, so the server builds one DtlsContext at startup and hands it to
// each transport. Immutable after Create; SSL_new from several threads on one SSL_CTX is safe.
class DtlsContext {
 public:
  // The use_srtp profiles we offer (client) / accept (server), most preferred first.
  // OpenSSL 3.0's server picks the first entry of THIS list that the client offered
  // (tls_parse_ctos_use_srtp walks the client's list keeping the best server-preference
  // match), so the server's order decides: GCM wins whenever the client offers it.
  static constexpr const char* kSrtpProfiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";

  // `certificate` is borrowed and must outlive the context. `srtp_profiles` replaces
  // kSrtpProfiles (OpenSSL's colon-separated names), e.g. for a load generator that offers one
  // profile only.
  static absl::StatusOr<std::unique_ptr<DtlsContext>> Create(
      const Certificate& certificate, const char* srtp_profiles = kSrtpProfiles);

  ~DtlsContext();
  DtlsContext(const DtlsContext&) = delete;
  DtlsContext& operator=(const DtlsContext&) = delete;

  SSL_CTX* ssl_ctx() const { return ctx_; }
  const Certificate& certificate() const { return certificate_; }

 private:
  DtlsContext(const Certificate& certificate, SSL_CTX* ctx);

  const Certificate& certificate_;
  SSL_CTX* ctx_;  // Owned (SSL_CTX_free).
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_DTLS_CONTEXT_H_
