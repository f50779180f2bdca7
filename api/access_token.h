#ifndef SWITCHYARD_API_ACCESS_TOKEN_H_
#define SWITCHYARD_API_ACCESS_TOKEN_H_

// JWT access tokens in LiveKit's shape: HS256 (RFC 7515 compact serialization, RFC 7518 §3.2)
// over a claims set (RFC 7519) whose "iss" names the API key, "sub" the participant identity,
// and whose "video" object carries the grants. A token made by LiveKit's tooling with the same
// key and secret verifies here, and ours read naturally to anyone who knows theirs.
//
// Control path only: nothing here runs per packet. No Boost, no sfu: the fuzz tree builds it.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace switchyard::api {

// Tokens longer than this are rejected before any decoding (they would also be absurd in an
// Authorization header).
inline constexpr size_t kMaxTokenBytes = 8 * 1024;
// Leeway on "nbf" and "exp" (RFC 7519 §4.1.4/§4.1.5 allow "some small leeway") so that a token
// minted on a host whose clock is a few seconds off still works.
inline constexpr int64_t kTokenClockSkewSeconds = 10;
// Production secrets must have at least this many bytes (HMAC-SHA256's output size: RFC 7518
// §3.2 requires a key at least as long as the hash output).
inline constexpr size_t kMinSecretBytes = 32;
// The well-known dev-mode credentials (as LiveKit's `--dev`). CheckSecretStrength rejects the
// secret; only the caller knows whether dev mode is on and may then accept it anyway.
inline constexpr char kDevApiKey[] = "devkey";
inline constexpr char kDevApiSecret[] = "secret";

// The "video" claim. Booleans absent from a token take these meanings when parsed:
// roomJoin/roomCreate/roomList/roomAdmin are false; canPublish, canSubscribe and canPublishData
// default to the value of roomJoin (so a join token without them may publish and subscribe,
// as in LiveKit, while an admin-only token grants no media rights).
struct VideoGrant {
  std::string room;
  bool room_join = false;
  bool room_create = false;
  bool room_list = false;
  bool room_admin = false;
  bool can_publish = true;
  bool can_subscribe = true;
  bool can_publish_data = true;

  bool operator==(const VideoGrant&) const = default;
};

struct AccessTokenClaims {
  std::string api_key;    // "iss" (or the header's "kid" when "iss" is absent)
  std::string identity;   // "sub"; required when video.room_join
  std::string name;       // "name", display name; optional
  int64_t not_before = 0; // "nbf", Unix seconds; 0 = no lower bound
  int64_t expires_at = 0; // "exp", Unix seconds; required
  std::string jwt_id;     // "jti"; optional
  VideoGrant video;
  // "sha256": base64 (RFC 4648 §4, padded) SHA-256 of a request body this token vouches for,
  // as LiveKit's webhooks carry it; optional, empty = absent. Verify only reads it: comparing
  // it with a body is the caller's job (see api/webhook_signature.h).
  std::string sha256;

  bool operator==(const AccessTokenClaims&) const = default;
};

// Signs `claims` with `secret` into a compact HS256 JWT. InvalidArgument when the claims could
// not be verified later (no api_key, no expiry, exp <= nbf, a join grant without room or
// identity) or the secret is empty. Does not judge secret strength: see CheckSecretStrength.
absl::StatusOr<std::string> CreateAccessToken(const AccessTokenClaims& claims,
                                              std::string_view secret);

// OK when `secret` is strong enough for production (>= kMinSecretBytes bytes); otherwise
// InvalidArgument with a message the server can print before refusing to start.
absl::Status CheckSecretStrength(std::string_view secret);

// Why a token was refused; one counter per reason for /metrics.
enum class TokenRejectReason {
  kMalformed,        // not three base64url parts, bad JSON, wrong claim types, missing exp
  kTooLarge,         // longer than kMaxTokenBytes
  kBadAlgorithm,     // header "alg" is not "HS256" (incl. "none", "HS512")
  kUnknownKey,       // "iss"/"kid" names no configured key
  kBadSignature,     // HMAC mismatch
  kExpired,          // now >= exp + skew
  kNotYetValid,      // now < nbf - skew
  kInvalidClaims,    // signed and current, but inconsistent (join grant without room/identity)
};
inline constexpr size_t kTokenRejectReasonCount = 8;

// Stable snake_case name for metrics labels and log lines, e.g. "bad_signature".
std::string_view TokenRejectReasonName(TokenRejectReason reason);

// The reason carried by a status that Verify/VerifyHs256Signature returned, or nullopt for any
// other status (including OK).
std::optional<TokenRejectReason> TokenRejectReasonOf(const absl::Status& status);

// Signature-level check of a compact JWS (RFC 7515 §7.1): three base64url parts, a JSON header
// whose "alg" is "HS256", and a signature equal (constant time) to HMAC-SHA256(secret,
// "<header>.<payload>"). Does not look at the payload. Unauthenticated on any failure.
absl::Status VerifyHs256Signature(std::string_view token, std::string_view secret);

// base64url without padding (RFC 7515 §2, RFC 4648 §5). Decode is strict: it rejects padding,
// characters outside the alphabet, impossible lengths and non-zero trailing bits, so each
// decoded value has exactly one accepted encoding.
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Verifies tokens against a fixed set of API keys. Thread-safe: Verify is const and the
// counters are atomic, so HTTP and signaling threads may share one verifier.
class TokenVerifier {
 public:
  explicit TokenVerifier(std::map<std::string, std::string> key_to_secret);

  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  // The claims of a valid token at `now_unix_seconds`, or Unauthenticated whose message names
  // the reason ("token rejected: expired ...") and whose TokenRejectReasonOf() gives it.
  absl::StatusOr<AccessTokenClaims> Verify(std::string_view token,
                                           int64_t now_unix_seconds) const;

  uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  uint64_t rejected(TokenRejectReason reason) const {
    return rejected_[static_cast<size_t>(reason)].load(std::memory_order_relaxed);
  }

 private:
  absl::StatusOr<AccessTokenClaims> VerifyUncounted(std::string_view token,
                                                    int64_t now_unix_seconds) const;

  std::map<std::string, std::string> key_to_secret_;
  mutable std::atomic<uint64_t> accepted_{0};
  mutable std::array<std::atomic<uint64_t>, kTokenRejectReasonCount> rejected_{};
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_ACCESS_TOKEN_H_
