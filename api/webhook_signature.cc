#include "api/webhook_signature.h"

#include <google/protobuf/util/json_util.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>

#include "absl/strings/str_cat.h"

namespace switchyard::api {
namespace {

constexpr size_t kSha256Bytes = 32;

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// The token from an Authorization header value: bare (LiveKit's deliveries) or with the
// "Bearer" scheme of RFC 6750 §2.1, whose name is case-insensitive (RFC 7235 §2.1).
std::string_view TokenOf(std::string_view header) {
  while (!header.empty() && IsSpace(header.front())) header.remove_prefix(1);
  while (!header.empty() && IsSpace(header.back())) header.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() > kScheme.size() && IsSpace(header[kScheme.size()])) {
    bool is_bearer = true;
    for (size_t i = 0; i < kScheme.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) {
        is_bearer = false;
        break;
      }
    }
    if (is_bearer) {
      header.remove_prefix(kScheme.size());
      while (!header.empty() && IsSpace(header.front())) header.remove_prefix(1);
    }
  }
  return header;
}

}  // namespace

std::string WebhookBodySha256(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(body.data(), body.size(), digest, &digest_size, EVP_sha256(), nullptr) != 1 ||
      digest_size != kSha256Bytes) {
    // Only on a broken OpenSSL; an empty claim never matches and CreateAccessToken omits it.
    return {};
  }
  // EVP_EncodeBlock writes padded standard base64 without line breaks, plus a NUL.
  unsigned char encoded[4 * ((kSha256Bytes + 2) / 3) + 1];
  const int length = EVP_EncodeBlock(encoded, digest, static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(length));
}

absl::StatusOr<std::string> SignWebhook(std::string_view body, const std::string& api_key,
                                        const std::string& secret, int64_t now_unix_seconds) {
  if (api_key.empty()) return absl::InvalidArgumentError("webhook API key is empty");
  if (secret.empty()) return absl::InvalidArgumentError("webhook API secret is empty");
  if (now_unix_seconds < 0) return absl::InvalidArgumentError("clock is before 1970");
  AccessTokenClaims claims;
  claims.api_key = api_key;
  claims.not_before = now_unix_seconds;
  claims.expires_at = now_unix_seconds + kWebhookTokenLifetimeSeconds;
  claims.sha256 = WebhookBodySha256(body);
  if (claims.sha256.empty()) return absl::InternalError("SHA-256 failed");
  claims.video.can_publish = claims.video.can_subscribe = claims.video.can_publish_data = false;
  return CreateAccessToken(claims, secret);
}

absl::StatusOr<AccessTokenClaims> VerifyWebhookSignature(std::string_view body,
                                                         std::string_view authorization_header,
                                                         const TokenVerifier& verifier,
                                                         int64_t now_unix_seconds) {
  absl::StatusOr<AccessTokenClaims> claims =
      verifier.Verify(TokenOf(authorization_header), now_unix_seconds);
  if (!claims.ok()) return claims.status();
  if (claims->sha256.empty()) {
    return absl::UnauthenticatedError("webhook token has no sha256 claim");
  }
  const std::string expected = WebhookBodySha256(body);
  // Constant time so that timing reveals nothing about how close a forged hash came; the
  // lengths are public (a SHA-256 in base64 always has 44 characters).
  if (expected.empty() || claims->sha256.size() != expected.size() ||
      CRYPTO_memcmp(claims->sha256.data(), expected.data(), expected.size()) != 0) {
    return absl::UnauthenticatedError("webhook body does not match the token's sha256 claim");
  }
  return claims;
}

absl::StatusOr<v1::WebhookEvent> VerifyWebhook(std::string_view body,
                                               std::string_view authorization_header,
                                               const TokenVerifier& verifier,
                                               int64_t now_unix_seconds) {
  if (absl::StatusOr<AccessTokenClaims> claims =
          VerifyWebhookSignature(body, authorization_header, verifier, now_unix_seconds);
      !claims.ok()) {
    return claims.status();
  }
  v1::WebhookEvent event;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &event, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook body is not a WebhookEvent: ", status.message().as_string()));
  }
  return event;
}

}  // namespace switchyard::api
