#include "api/tls_context.h"

#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace switchyard::api {

namespace {

// ALPN protocol ids (RFC 7301 §6): HTTP/1.1, and "stun.turn" for TURN over TLS (RFC 7443).
constexpr std::string_view kAlpnHttp11 = "http/1.1";
constexpr std::string_view kAlpnStunTurn = "stun.turn";

// The config fields a service's errors name, and its ALPN protocol id.
struct ServiceSettings {
  const char* cert_field;
  const char* key_field;
  // Static storage: it is the ALPN callback's argument for the context's lifetime.
  const std::string_view* alpn;
};

ServiceSettings SettingsOf(TlsService service) {
  switch (service) {
    case TlsService::kTurn:
      return {"turn.tls_cert_file", "turn.tls_key_file", &kAlpnStunTurn};
    case TlsService::kHttps:
      break;
  }
  return {"http.tls_cert_file", "http.tls_key_file", &kAlpnHttp11};
}

// A chain of a leaf and a few intermediates is a few KiB; anything this large is not one.
constexpr size_t kMaxPemFileBytes = 1 << 20;
// RFC 8446 §4.4.2 puts no bound on the chain; real ones have one or two intermediates.
constexpr int kMaxChainCertificates = 8;

// Mozilla's "intermediate" TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AEAD
// ciphers only. TLS 1.3 suites (RFC 8446 §B.4) are all AEAD and stay at OpenSSL's defaults.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using UniqueBio = std::unique_ptr<BIO, BioFree>;
using UniqueX509 = std::unique_ptr<X509, X509Free>;
using UniquePkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

absl::Status FieldError(const char* field, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

// Drains OpenSSL's thread-local error queue; returns the last (most specific) entry, or "".
std::string TakeOpenSslError() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    text = buf;
  }
  return text;
}

std::string WithDetail(const std::string& message) {
  const std::string detail = TakeOpenSslError();
  return detail.empty() ? message : absl::StrCat(message, " (", detail, ")");
}

// Never asks for a pass phrase: without this OpenSSL would prompt on the controlling terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

absl::StatusOr<std::string> ReadPemFile(const char* field, const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return FieldError(field, absl::StrCat("no such file: \"", path, "\""));
  }
  if (error) {
    return FieldError(field, absl::StrCat("cannot access \"", path, "\": ", error.message()));
  }
  if (status.type() != std::filesystem::file_type::regular) {
    return FieldError(field, absl::StrCat("not a regular file: \"", path, "\""));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return FieldError(field, absl::StrCat("cannot open \"", path, "\" for reading"));
  std::string text(kMaxPemFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return FieldError(field, absl::StrCat("cannot read \"", path, "\""));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxPemFileBytes) {
    return FieldError(field, absl::StrCat("\"", path, "\" is larger than ", kMaxPemFileBytes,
                                          " bytes; expected a PEM file"));
  }
  return text;
}

UniqueBio MemoryBio(const std::string& text) {
  return UniqueBio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

bool LooksEncrypted(const std::string& pem) {
  return absl::StrContains(pem, "ENCRYPTED PRIVATE KEY") ||
         absl::StrContains(pem, "Proc-Type: 4,ENCRYPTED");
}

struct Chain {
  UniqueX509 leaf;
  std::vector<UniqueX509> intermediates;
};

absl::StatusOr<Chain> ParseChain(const char* field, const std::string& path,
                                 const std::string& pem) {
  ERR_clear_error();
  UniqueBio bio = MemoryBio(pem);
  if (!bio) return absl::ResourceExhaustedError("out of memory reading the certificate");
  Chain chain;
  chain.leaf.reset(PEM_read_bio_X509_AUX(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!chain.leaf) {
    return FieldError(field, WithDetail(absl::StrCat("no PEM certificate in \"", path, "\"")));
  }
  while (true) {
    UniqueX509 next(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
    if (!next) break;
    if (static_cast<int>(chain.intermediates.size()) == kMaxChainCertificates) {
      return FieldError(field, absl::StrCat("more than ", kMaxChainCertificates + 1,
                                            " certificates in \"", path, "\""));
    }
    chain.intermediates.push_back(std::move(next));
  }
  // The loop ends at the end of the text ("no start line") or at a damaged certificate.
  const unsigned long e = ERR_peek_last_error();
  if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
    return FieldError(field,
                      WithDetail(absl::StrCat("certificate ", chain.intermediates.size() + 2,
                                              " in \"", path, "\" is malformed")));
  }
  ERR_clear_error();
  return chain;
}

absl::StatusOr<UniquePkey> ParseKey(const char* field, const std::string& path,
                                    const std::string& pem) {
  if (LooksEncrypted(pem)) {
    return FieldError(field, absl::StrCat("\"", path,
                                          "\" is encrypted; the server needs an unencrypted "
                                          "key (openssl pkey -in KEY -out PLAIN)"));
  }
  ERR_clear_error();
  UniqueBio bio = MemoryBio(pem);
  if (!bio) return absl::ResourceExhaustedError("out of memory reading the key");
  UniquePkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return FieldError(field, WithDetail(absl::StrCat("no PEM private key in \"", path, "\"")));
  }
  return key;
}

// Picks the service's protocol from the client's list (RFC 7301 §3.2). A client offering only
// other protocols (say "h2", or none for TURN) gets no ALPN answer rather than a fatal alert:
// it may still speak the service's protocol, as clients that predate ALPN do.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
               unsigned int in_len, void* arg) {
  const std::string_view wanted = *static_cast<const std::string_view*>(arg);
  for (unsigned int pos = 0; pos < in_len;) {
    const unsigned int length = in[pos];
    if (length == 0 || pos + 1 + length > in_len) break;  // malformed: OpenSSL checks it too
    const std::string_view offered(reinterpret_cast<const char*>(in + pos + 1), length);
    if (offered == wanted) {
      // Points into the ClientHello: OpenSSL copies the selection before `in` goes away.
      *out = in + pos + 1;
      *out_len = static_cast<unsigned char>(length);
      return SSL_TLSEXT_ERR_OK;
    }
    pos += 1 + length;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> CreateServerTlsContext(
    const std::string& cert_file, const std::string& key_file, TlsService service) {
  const ServiceSettings settings = SettingsOf(service);
  const char* const cert_field = settings.cert_field;
  const char* const key_field = settings.key_field;
  auto cert_pem = ReadPemFile(cert_field, cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = ReadPemFile(key_field, key_file);
  if (!key_pem.ok()) return key_pem.status();
  auto chain = ParseChain(cert_field, cert_file, *cert_pem);
  if (!chain.ok()) return chain.status();
  auto key = ParseKey(key_field, key_file, *key_pem);
  if (!key.ok()) return key.status();
  if (X509_check_private_key(chain->leaf.get(), key->get()) != 1) {
    TakeOpenSslError();
    return FieldError(key_field, absl::StrCat("the key in \"", key_file,
                                              "\" does not match the certificate in ", cert_field,
                                              " (\"", cert_file, "\")"));
  }

  auto context = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  // RFC 8996 deprecates TLS 1.0 and 1.1.
  const bool configured = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
                          SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) == 1 &&
                          SSL_CTX_use_certificate(ctx, chain->leaf.get()) == 1 &&
                          SSL_CTX_use_PrivateKey(ctx, key->get()) == 1 &&
                          SSL_CTX_check_private_key(ctx) == 1;
  if (!configured) {
    return FieldError(cert_field, WithDetail(absl::StrCat("cannot use \"", cert_file, "\" with \"",
                                                          key_file, "\"")));
  }
  for (const UniqueX509& cert : chain->intermediates) {
    if (SSL_CTX_add1_chain_cert(ctx, cert.get()) != 1) {
      return FieldError(cert_field,
                        WithDetail(absl::StrCat("cannot add the chain of \"", cert_file, "\"")));
    }
  }
  // Compression enables CRIME; renegotiation has had a string of attacks and neither HTTP/1.1
  // nor TURN over TLS needs it.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, const_cast<std::string_view*>(settings.alpn));
  return context;
}

}  // namespace switchyard::api
