#include "transport/dtls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace switchyard::transport {
namespace {

// ECDHE only (forward secrecy); ECDSA first because that is what WebRTC stacks (ours included)
// present, RSA kept for the client role against peers with RSA certificates.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA";
constexpr const char* kGroups = "X25519:P-256";

absl::Status OpenSslError(absl::string_view what) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  char buf[256] = "unknown OpenSSL error";
  if (code != 0) ERR_error_string_n(code, buf, sizeof(buf));
  return absl::InternalError(absl::StrCat(what, ": ", buf));
}

// WebRTC certificates are self-signed and authenticated by the SDP fingerprint instead of a
// chain (RFC 8827 §6.5), so chain-building errors are ignored here. The fingerprint pin itself
// is checked by DtlsTransport's per-SSL callback, installed with SSL_set_verify.
int AcceptAnyChain(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) { return 1; }

}  // namespace

DtlsContext::DtlsContext(const Certificate& certificate, SSL_CTX* ctx)
    : certificate_(certificate), ctx_(ctx) {}

DtlsContext::~DtlsContext() { SSL_CTX_free(ctx_); }

absl::StatusOr<std::unique_ptr<DtlsContext>> DtlsContext::Create(const Certificate& certificate,
                                                                 const char* srtp_profiles) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  if (ctx == nullptr) return OpenSslError("SSL_CTX_new");
  // Owned from here on so every early return frees it.
  std::unique_ptr<DtlsContext> context(new DtlsContext(certificate, ctx));

  // DTLS 1.2 exactly. OpenSSL 3.0 has no DTLS 1.3, and for DTLS it ignores the client's
  // supported_versions extension, negotiating from legacy_version (0xFEFD from a DTLS 1.3
  // capable Chromium). It also adds no RFC 8446 §4.1.3 downgrade sentinel because DTLS_method
  // cannot do 1.3, which is what lets a 1.3-capable client accept our 1.2 ServerHello.
  if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1) {
    return OpenSslError("SSL_CTX_set_{min,max}_proto_version");
  }
  if (SSL_CTX_use_certificate(ctx, certificate.x509()) != 1) {
    return OpenSslError("SSL_CTX_use_certificate");
  }
  if (SSL_CTX_use_PrivateKey(ctx, certificate.private_key()) != 1) {
    return OpenSslError("SSL_CTX_use_PrivateKey");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) return OpenSslError("SSL_CTX_check_private_key");
  if (SSL_CTX_set_cipher_list(ctx, kCipherList) != 1) return OpenSslError("cipher list");
  if (SSL_CTX_set1_groups_list(ctx, kGroups) != 1) return OpenSslError("groups list");
  // NB: returns 0 on success, unlike nearly every other OpenSSL setter.
  if (SSL_CTX_set_tlsext_use_srtp(ctx, srtp_profiles) != 0) {
    return OpenSslError("SSL_CTX_set_tlsext_use_srtp");
  }
  // RFC 8827 §6.5 / RFC 5763 §5: both sides must present a certificate. On the server this
  // makes OpenSSL send CertificateRequest and fail a client that sends none.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyChain);
  // After the handshake a WebRTC DTLS session carries almost nothing (SRTP runs beside it), so
  // its ~34 KB of record buffers are returned while idle: memory per subscriber is what
  // decides how many fit on a machine.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  // NO_QUERY_MTU: there is no socket under the memory BIO to ask; DtlsTransport sets the MTU.
  // NO_TICKET + session cache off: every WebRTC transport does a full handshake with fresh
  // keys; resumption would only add state. NO_RENEGOTIATION: nothing in WebRTC renegotiates
  // DTLS, and honouring a peer's request would only be a CPU-exhaustion vector.
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  return context;
}

}  // namespace switchyard::transport
