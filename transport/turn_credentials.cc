#include "transport/turn_credentials.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstring>
#include <span>

#include "absl/strings/str_cat.h"

namespace switchyard::transport {
namespace {

std::array<uint8_t, 20> HmacSha1(std::string_view key, std::span<const uint8_t> data) {
  std::array<uint8_t, 20> out{};
  size_t out_len = 0;
  // Control path (one per Allocate or credential): the one-shot API is fine here.
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, key.data(), key.size(), data.data(),
            data.size(), out.data(), out.size(), &out_len);
  return out;
}

std::string Base64(std::span<const uint8_t> data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void AppendHex(std::string& out, const uint8_t* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 15]);
  }
}

}  // namespace

TurnRestCredential MakeTurnRestCredential(std::string_view secret, std::string_view identity,
                                          int64_t expires_unix) {
  TurnRestCredential credential;
  credential.expires_unix = expires_unix;
  credential.username = absl::StrCat(expires_unix, ":", absl::string_view(identity.data(), identity.size()));
  credential.password = Base64(HmacSha1(secret, Bytes(credential.username)));
  return credential;
}

absl::StatusOr<std::string> TurnRestPassword(std::string_view secret, std::string_view username,
                                             int64_t now_unix) {
  if (secret.empty()) return absl::FailedPreconditionError("no TURN shared secret configured");
  const size_t colon = username.find(':');
  const std::string_view expiry_text = username.substr(0, colon);
  int64_t expiry = 0;
  const auto [end, error] =
      std::from_chars(expiry_text.data(), expiry_text.data() + expiry_text.size(), expiry);
  if (expiry_text.empty() || error != std::errc() || end != expiry_text.data() + expiry_text.size()) {
    return absl::InvalidArgumentError("TURN username must be <expiry>:<identity>");
  }
  if (expiry < now_unix) return absl::DeadlineExceededError("TURN credential expired");
  return Base64(HmacSha1(secret, Bytes(username)));
}

TurnKey LongTermCredentialKey(std::string_view username, std::string_view realm,
                              std::string_view password) {
  TurnKey key{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  if (ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1) {
    EVP_DigestUpdate(ctx, username.data(), username.size());
    EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, realm.data(), realm.size());
    EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, password.data(), password.size());
    EVP_DigestFinal_ex(ctx, key.data(), &len);
  }
  EVP_MD_CTX_free(ctx);
  return key;
}

TurnNonces::TurnNonces(const Clock& clock, Duration lifetime) : clock_(clock), lifetime_(lifetime) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    // Without randomness nonces would be forgeable across instances; a zero key still binds
    // them to expiry and client IP, and RAND_bytes does not fail on a seeded Linux system.
    key_.fill(0);
  }
}

std::string TurnNonces::Mac(uint64_t expiry_ms, const SocketAddress& client) const {
  uint8_t data[8 + 16];
  for (int i = 0; i < 8; ++i) data[i] = static_cast<uint8_t>(expiry_ms >> (56 - 8 * i));
  std::memcpy(data + 8, client.ip_bytes().data(), 16);
  const std::array<uint8_t, 20> mac = HmacSha1(
      std::string_view(reinterpret_cast<const char*>(key_.data()), key_.size()), data);
  std::string out;
  AppendHex(out, mac.data(), 8);
  return out;
}

std::string TurnNonces::Issue(const SocketAddress& client) const {
  const uint64_t expiry_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          (clock_.Now() + lifetime_).time_since_epoch())
          .count());
  uint8_t be[8];
  for (int i = 0; i < 8; ++i) be[i] = static_cast<uint8_t>(expiry_ms >> (56 - 8 * i));
  std::string nonce;
  AppendHex(nonce, be, 8);
  nonce += Mac(expiry_ms, client);
  return nonce;
}

bool TurnNonces::Valid(std::string_view nonce, const SocketAddress& client) const {
  if (nonce.size() != 32) return false;
  uint64_t expiry_ms = 0;
  const auto [end, error] = std::from_chars(nonce.data(), nonce.data() + 16, expiry_ms, 16);
  if (error != std::errc() || end != nonce.data() + 16) return false;
  const std::string expected = Mac(expiry_ms, client);
  if (CRYPTO_memcmp(expected.data(), nonce.data() + 16, 16) != 0) return false;
  const uint64_t now_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
          .count());
  return now_ms <= expiry_ms;
}

}  // namespace switchyard::transport
