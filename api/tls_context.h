#ifndef SWITCHYARD_API_TLS_CONTEXT_H_
#define SWITCHYARD_API_TLS_CONTEXT_H_

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"

namespace switchyard::api {

// Which server a TLS context is for: the config fields its errors name and the ALPN protocol
// (RFC 7301) it selects.
enum class TlsService {
  kHttps,  // http.tls_cert_file / http.tls_key_file; ALPN "http/1.1"
  kTurn,   // turn.tls_cert_file / turn.tls_key_file; ALPN "stun.turn" (RFC 7443 §3)
};

// A server's TLS settings: TLS 1.2 and 1.3 only, forward-secret AEAD cipher suites for TLS 1.2
// (Mozilla's "intermediate" list; TLS 1.3 keeps OpenSSL's defaults), no compression or
// renegotiation, and ALPN that selects the service's protocol when the client offers it (a
// client offering only others, or none, gets no ALPN answer rather than a fatal alert).
//
// `cert_file` holds the PEM certificate chain, leaf first and then any intermediates (as
// issued, e.g. Let's Encrypt's fullchain.pem); `key_file` the leaf's unencrypted PEM private key
// (PKCS#8 or traditional RSA/EC). Both are read once, here: replacing them needs a restart.
//
// InvalidArgument naming the service's field ("http.tls_cert_file: ...", "turn.tls_key_file:
// ...") when a file cannot be read, holds no PEM certificate/key, is encrypted, or when the key
// does not belong to the leaf certificate.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> CreateServerTlsContext(
    const std::string& cert_file, const std::string& key_file,
    TlsService service = TlsService::kHttps);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_TLS_CONTEXT_H_
