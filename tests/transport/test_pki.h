#ifndef SWITCHYARD_TESTS_TRANSPORT_TEST_PKI_H_
#define SWITCHYARD_TESTS_TRANSPORT_TEST_PKI_H_

// Certificates made at test time, written as the PEM files an operator would configure: for
// the TLS servers' tests (HTTPS in tests/api, TURN over TLS in tests/transport and tests/api).
// Header-only: every layer's test binary compiles only its own folder.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace switchyard::transport::testing {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using UniqueX509 = std::unique_ptr<X509, X509Free>;
using UniquePkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline UniquePkey NewP256Key() { return UniquePkey(EVP_EC_gen("P-256")); }

// Adds one X.509v3 extension in OpenSSL's config syntax; false when OpenSSL refuses it.
inline bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return true;
}

// A certificate for `key` named `common_name`, signed by `issuer_key` as `issuer` (or
// self-signed when issuer is null). CAs get basicConstraints CA:TRUE; leaves a SAN for
// 127.0.0.1 and localhost. Null when OpenSSL fails.
inline UniqueX509 MakeCertificate(EVP_PKEY* key, const std::string& common_name, bool ca,
                                  X509* issuer = nullptr, EVP_PKEY* issuer_key = nullptr) {
  static long serial = 1;
  UniqueX509 cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : cert.get();
  bool ok = AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (ca) {
    ok = ok && AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
         AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
         AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature") &&
         AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth") &&
         AddExtension(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  if (!ok || X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    return nullptr;
  }
  return cert;
}

inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(size));
  BIO_free(bio);
  return text;
}

inline std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  return BioText(bio);
}

inline std::string KeyPem(EVP_PKEY* key, const char* passphrase = nullptr) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (passphrase) {
    PEM_write_bio_PrivateKey(bio, key, EVP_aes_256_cbc(),
                             reinterpret_cast<const unsigned char*>(passphrase),
                             static_cast<int>(strlen(passphrase)), nullptr, nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  return BioText(bio);
}

// A temporary directory holding a root CA, an intermediate and a leaf for 127.0.0.1, as the
// files an operator would configure: chain.pem (leaf + intermediate, like a fullchain.pem),
// key.pem, root.pem (what clients trust), plus a self-signed pair (self.pem, self.key).
// Removed with the object.
class TestPki {
 public:
  TestPki() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "switchyard-tls-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    root_key_ = NewP256Key();
    root_ = MakeCertificate(root_key_.get(), "Switchyard Test Root", /*ca=*/true);
    intermediate_key_ = NewP256Key();
    intermediate_ = MakeCertificate(intermediate_key_.get(), "Switchyard Test Intermediate", true,
                                    root_.get(), root_key_.get());
    leaf_key_ = NewP256Key();
    leaf_ = MakeCertificate(leaf_key_.get(), "127.0.0.1", false, intermediate_.get(),
                            intermediate_key_.get());
    self_signed_key_ = NewP256Key();
    self_signed_ = MakeCertificate(self_signed_key_.get(), "127.0.0.1", false);
    Write("chain.pem", CertPem(leaf_.get()) + CertPem(intermediate_.get()));
    Write("key.pem", KeyPem(leaf_key_.get()));
    Write("root.pem", CertPem(root_.get()));
    Write("self.pem", CertPem(self_signed_.get()));
    Write("self.key", KeyPem(self_signed_key_.get()));
  }
  ~TestPki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  std::string Write(const std::string& name, const std::string& text) const {
    const std::string path = Path(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  const std::filesystem::path& dir() const { return dir_; }
  X509* leaf() const { return leaf_.get(); }
  EVP_PKEY* leaf_key() const { return leaf_key_.get(); }
  X509* self_signed() const { return self_signed_.get(); }
  EVP_PKEY* self_signed_key() const { return self_signed_key_.get(); }

 private:
  std::filesystem::path dir_;
  UniquePkey root_key_, intermediate_key_, leaf_key_, self_signed_key_;
  UniqueX509 root_, intermediate_, leaf_, self_signed_;
};

}  // namespace switchyard::transport::testing

#endif  // SWITCHYARD_TESTS_TRANSPORT_TEST_PKI_H_
