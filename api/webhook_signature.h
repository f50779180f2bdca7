#ifndef SWITCHYARD_API_WEBHOOK_SIGNATURE_H_
#define SWITCHYARD_API_WEBHOOK_SIGNATURE_H_

// Signing and verifying webhook deliveries in LiveKit's shape. The body is the JSON of a
// switchyard.v1.WebhookEvent (protobuf canonical mapping); the request's Authorization header
// carries an HS256 access token (api/access_token.h) whose "iss" is the signing API key and
// whose "sha256" claim is the padded standard base64 (RFC 4648 §4) of SHA-256(body). The
// token proves the origin, the claim binds it to these exact bytes, and "exp" (5 minutes
// after signing) bounds how long a captured delivery can be replayed.
//
// No Boost, no threads: a receiver, the fuzz tree and the tests can all use it.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/access_token.h"
#include "api/proto/webhook.pb.h"

namespace switchyard::api {

inline constexpr char kWebhookContentType[] = "application/webhook+json";
// Lifetime of a delivery's token. Each attempt is signed afresh, so retries never carry an
// expired token however long the backoff ran.
inline constexpr int64_t kWebhookTokenLifetimeSeconds = 5 * 60;

// Padded standard base64 of SHA-256(body): the value of the "sha256" claim.
std::string WebhookBodySha256(std::string_view body);

// The token to send as `Authorization: <token>` with `body` (LiveKit sends it bare, without
// "Bearer "): iss = api_key, nbf = now, exp = now + kWebhookTokenLifetimeSeconds, sha256 =
// WebhookBodySha256(body), and an empty video grant. InvalidArgument when the key or secret
// is empty or `now_unix_seconds` is negative.
absl::StatusOr<std::string> SignWebhook(std::string_view body, const std::string& api_key,
                                        const std::string& secret, int64_t now_unix_seconds);

// Checks a delivery's Authorization header (the bare token, or "Bearer <token>") against
// `body`: the token must verify with `verifier` at `now_unix_seconds` and carry a "sha256"
// claim equal (constant time) to WebhookBodySha256(body). Returns the token's claims;
// Unauthenticated otherwise (TokenRejectReasonOf() names the reason when the token itself
// was refused).
absl::StatusOr<AccessTokenClaims> VerifyWebhookSignature(std::string_view body,
                                                         std::string_view authorization_header,
                                                         const TokenVerifier& verifier,
                                                         int64_t now_unix_seconds);

// What a receiver does with a delivery: VerifyWebhookSignature, then parse `body` as a
// WebhookEvent (protobuf JSON mapping, unknown fields ignored so that receivers keep working
// when events grow). Unauthenticated for a bad signature, InvalidArgument for a body that is
// not a WebhookEvent.
absl::StatusOr<v1::WebhookEvent> VerifyWebhook(std::string_view body,
                                               std::string_view authorization_header,
                                               const TokenVerifier& verifier,
                                               int64_t now_unix_seconds);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_WEBHOOK_SIGNATURE_H_
