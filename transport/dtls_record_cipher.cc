#include "transport/dtls_record_cipher.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/ssl.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "transport/byte_io.h"

namespace switchyard::transport {
namespace {

constexpr size_t kTagSize = 16;
constexpr size_t kRandomSize = 32;  // RFC 5246 §7.4.1.2
constexpr size_t kMasterSecretSize = 48;
constexpr char kKeyExpansionLabel[] = "key expansion";

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

const EVP_CIPHER* CipherFor(DtlsRecordCipher::Suite suite) {
  switch (suite) {
    case DtlsRecordCipher::Suite::kAes128Gcm:
      return EVP_aes_128_gcm();
    case DtlsRecordCipher::Suite::kAes256Gcm:
      return EVP_aes_256_gcm();
    case DtlsRecordCipher::Suite::kChacha20Poly1305:
      return EVP_chacha20_poly1305();
  }
  return nullptr;
}

// The PRF hash of the suite (RFC 5288 §3, RFC 7905 §2): SHA-384 for AES-256-GCM, else SHA-256.
const char* PrfDigest(DtlsRecordCipher::Suite suite) {
  return suite == DtlsRecordCipher::Suite::kAes256Gcm ? "SHA384" : "SHA256";
}

// RFC 5246 §6.2.3.3 additional data, with RFC 6347 §4.1.2.1's epoch + sequence as seq_num.
void AdditionalData(uint64_t epoch_and_sequence, uint8_t content_type, size_t length,
                    uint8_t out[13]) {
  StoreBe64(out, epoch_and_sequence);
  out[8] = content_type;
  StoreBe16(out + 9, DtlsRecordCipher::kVersionDtls12);
  StoreBe16(out + 11, static_cast<uint16_t>(length));
}

}  // namespace

std::optional<DtlsRecordCipher::Record> DtlsRecordCipher::NextRecord(
    std::span<const uint8_t> datagram, std::span<const uint8_t>* rest) {
  if (datagram.size() < kHeaderSize) return std::nullopt;
  const size_t length = LoadBe16(datagram.data() + 11);
  if (datagram.size() - kHeaderSize < length) return std::nullopt;
  Record record;
  record.content_type = datagram[0];
  record.epoch = LoadBe16(datagram.data() + 3);
  record.sequence = (uint64_t{LoadBe16(datagram.data() + 5)} << 32) | LoadBe32(datagram.data() + 7);
  record.fragment = datagram.subspan(kHeaderSize, length);
  if (rest != nullptr) *rest = datagram.subspan(kHeaderSize + length);
  return record;
}

absl::StatusOr<DtlsRecordCipher> DtlsRecordCipher::FromFinishedHandshake(SSL* ssl,
                                                                         uint16_t epoch) {
  if (ssl == nullptr || !SSL_is_init_finished(ssl)) {
    return absl::FailedPreconditionError("DTLS handshake not finished");
  }
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher == nullptr) return absl::FailedPreconditionError("no negotiated cipher suite");
  Suite suite;
  switch (SSL_CIPHER_get_cipher_nid(cipher)) {
    case NID_aes_128_gcm:
      suite = Suite::kAes128Gcm;
      break;
    case NID_aes_256_gcm:
      suite = Suite::kAes256Gcm;
      break;
    case NID_chacha20_poly1305:
      suite = Suite::kChacha20Poly1305;
      break;
    default:
      return absl::FailedPreconditionError(
          absl::StrCat("cipher suite ", SSL_CIPHER_get_name(cipher), " is not an AEAD suite"));
  }
  uint8_t master[kMasterSecretSize];
  uint8_t client_random[kRandomSize];
  uint8_t server_random[kRandomSize];
  const SSL_SESSION* session = SSL_get_session(ssl);
  if (session == nullptr ||
      SSL_SESSION_get_master_key(session, master, sizeof(master)) != sizeof(master) ||
      SSL_get_client_random(ssl, client_random, sizeof(client_random)) != sizeof(client_random) ||
      SSL_get_server_random(ssl, server_random, sizeof(server_random)) != sizeof(server_random)) {
    OPENSSL_cleanse(master, sizeof(master));
    return absl::InternalError("could not read the DTLS session's secrets");
  }
  absl::StatusOr<DtlsRecordCipher> derived =
      Derive(suite, SSL_is_server(ssl) == 0, master, client_random, server_random, epoch);
  OPENSSL_cleanse(master, sizeof(master));
  return derived;
}

absl::StatusOr<DtlsRecordCipher> DtlsRecordCipher::Derive(Suite suite, bool local_is_client,
                                                          std::span<const uint8_t> master_secret,
                                                          std::span<const uint8_t> client_random,
                                                          std::span<const uint8_t> server_random,
                                                          uint16_t epoch) {
  if (master_secret.size() != kMasterSecretSize || client_random.size() != kRandomSize ||
      server_random.size() != kRandomSize) {
    return absl::InvalidArgumentError("master secret must be 48 bytes, randoms 32");
  }
  DtlsRecordCipher cipher;
  cipher.suite_ = suite;
  cipher.epoch_ = epoch;
  const size_t key_size = cipher.KeySize();
  const size_t iv_size = suite == Suite::kChacha20Poly1305 ? 12 : 4;

  // RFC 5246 §6.3 for AEAD suites (no MAC keys): client key, server key, client IV, server IV.
  // On the stack: this runs on a worker when a peer's first media arrives (no operator new).
  constexpr size_t kLabelSize = sizeof(kKeyExpansionLabel) - 1;
  std::array<uint8_t, kLabelSize + 2 * kRandomSize> seed;
  std::memcpy(seed.data(), kKeyExpansionLabel, kLabelSize);
  std::memcpy(seed.data() + kLabelSize, server_random.data(), kRandomSize);
  std::memcpy(seed.data() + kLabelSize + kRandomSize, client_random.data(), kRandomSize);
  uint8_t block[2 * (32 + 12)];
  const size_t block_size = 2 * (key_size + iv_size);

  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr);
  EVP_KDF_CTX* kctx = kdf == nullptr ? nullptr : EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (kctx == nullptr) return absl::InternalError("TLS1-PRF unavailable");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(PrfDigest(suite)),
                                       0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
                                        const_cast<uint8_t*>(master_secret.data()),
                                        master_secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed.data(), seed.size()),
      OSSL_PARAM_construct_end()};
  const int ok = EVP_KDF_derive(kctx, block, block_size, params);
  EVP_KDF_CTX_free(kctx);
  if (ok != 1) return absl::InternalError("TLS1-PRF key expansion failed");

  const uint8_t* client_key = block;
  const uint8_t* server_key = block + key_size;
  const uint8_t* client_iv = block + 2 * key_size;
  const uint8_t* server_iv = client_iv + iv_size;
  Direction& client = local_is_client ? cipher.write_ : cipher.read_;
  Direction& server = local_is_client ? cipher.read_ : cipher.write_;
  std::memcpy(client.key.data(), client_key, key_size);
  std::memcpy(server.key.data(), server_key, key_size);
  std::memcpy(client.iv.data(), client_iv, iv_size);
  std::memcpy(server.iv.data(), server_iv, iv_size);
  OPENSSL_cleanse(block, sizeof(block));
  return cipher;
}

DtlsRecordCipher::DtlsRecordCipher(DtlsRecordCipher&& other) noexcept { *this = std::move(other); }

DtlsRecordCipher& DtlsRecordCipher::operator=(DtlsRecordCipher&& other) noexcept {
  if (this != &other) {
    suite_ = other.suite_;
    epoch_ = other.epoch_;
    write_ = other.write_;
    read_ = other.read_;
    OPENSSL_cleanse(&other.write_, sizeof(other.write_));
    OPENSSL_cleanse(&other.read_, sizeof(other.read_));
  }
  return *this;
}

DtlsRecordCipher::~DtlsRecordCipher() {
  OPENSSL_cleanse(&write_, sizeof(write_));
  OPENSSL_cleanse(&read_, sizeof(read_));
}

size_t DtlsRecordCipher::KeySize() const { return suite_ == Suite::kAes128Gcm ? 16 : 32; }

// RFC 5288 §3: GCM records carry the nonce's last 8 bytes; RFC 7905 §2: ChaCha20-Poly1305
// records carry none (the nonce comes from the sequence number).
size_t DtlsRecordCipher::ExplicitNonceSize() const {
  return suite_ == Suite::kChacha20Poly1305 ? 0 : 8;
}

void DtlsRecordCipher::Nonce(const Direction& direction, uint64_t epoch_and_sequence,
                             std::span<const uint8_t> explicit_nonce, uint8_t out[12]) const {
  if (suite_ == Suite::kChacha20Poly1305) {
    std::memcpy(out, direction.iv.data(), 12);
    uint8_t padded[8];
    StoreBe64(padded, epoch_and_sequence);
    for (int i = 0; i < 8; ++i) out[4 + i] ^= padded[i];
    return;
  }
  std::memcpy(out, direction.iv.data(), 4);
  std::memcpy(out + 4, explicit_nonce.data(), 8);
}

size_t DtlsRecordCipher::Seal(uint8_t content_type, uint64_t sequence,
                              std::span<const uint8_t> plaintext, std::span<uint8_t> out) const {
  const size_t explicit_size = ExplicitNonceSize();
  const size_t fragment_size = explicit_size + plaintext.size() + kTagSize;
  if (sequence > kMaxSequence || fragment_size > 0xffff ||
      out.size() < kHeaderSize + fragment_size) {
    return 0;
  }
  const uint64_t epoch_and_sequence = (uint64_t{epoch_} << 48) | sequence;
  uint8_t* p = out.data();
  p[0] = content_type;
  StoreBe16(p + 1, kVersionDtls12);
  StoreBe64(p + 3, epoch_and_sequence);  // epoch(2) + sequence_number(6)
  StoreBe16(p + 11, static_cast<uint16_t>(fragment_size));
  uint8_t* fragment = p + kHeaderSize;
  // The explicit nonce only has to be unique per key; epoch + sequence is, and it is what
  // OpenSSL and BoringSSL send too.
  if (explicit_size > 0) StoreBe64(fragment, epoch_and_sequence);
  uint8_t nonce[12];
  Nonce(write_, epoch_and_sequence, std::span<const uint8_t>(fragment, explicit_size), nonce);
  uint8_t aad[13];
  AdditionalData(epoch_and_sequence, content_type, plaintext.size(), aad);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  uint8_t* ciphertext = fragment + explicit_size;
  bool ok = ctx != nullptr &&
            EVP_EncryptInit_ex(ctx.get(), CipherFor(suite_), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, write_.key.data(), nonce) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad, sizeof(aad)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), ciphertext, &len, plaintext.data(),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), ciphertext + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagSize,
                                ciphertext + plaintext.size()) == 1;
  return ok ? kHeaderSize + fragment_size : 0;
}

std::optional<size_t> DtlsRecordCipher::Open(const Record& record,
                                             std::span<uint8_t> plaintext) const {
  const size_t explicit_size = ExplicitNonceSize();
  if (record.epoch != epoch_ || record.fragment.size() < explicit_size + kTagSize) {
    return std::nullopt;
  }
  const size_t plain_size = record.fragment.size() - explicit_size - kTagSize;
  if (plaintext.size() < plain_size) return std::nullopt;
  const uint64_t epoch_and_sequence = (uint64_t{record.epoch} << 48) | record.sequence;
  uint8_t nonce[12];
  Nonce(read_, epoch_and_sequence, record.fragment.first(explicit_size), nonce);
  uint8_t aad[13];
  AdditionalData(epoch_and_sequence, record.content_type, plain_size, aad);
  const uint8_t* ciphertext = record.fragment.data() + explicit_size;
  uint8_t tag[kTagSize];
  std::memcpy(tag, ciphertext + plain_size, kTagSize);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx != nullptr &&
            EVP_DecryptInit_ex(ctx.get(), CipherFor(suite_), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, read_.key.data(), nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad, sizeof(aad)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), plaintext.data(), &len, ciphertext,
                              static_cast<int>(plain_size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagSize, tag) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plaintext.data(), plain_size);
    return std::nullopt;
  }
  return plain_size;
}

}  // namespace switchyard::transport
