#ifndef SWITCHYARD_TRANSPORT_TURN_CREDENTIALS_H_
#define SWITCHYARD_TRANSPORT_TURN_CREDENTIALS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "transport/clock.h"
#include "transport/socket_address.h"

namespace switchyard::transport {

// Time-limited TURN credentials in the "TURN REST API" style (draft-uberti-behave-turn-rest-00,
// coturn's use-auth-secret): the signaling server, which knows the shared secret, hands each
// participant
//   username = "<expiry as Unix seconds>:<identity>"
//   password = base64(HMAC-SHA1(secret, username))
// and the TURN server recomputes the password from the username alone, so nothing is stored
// per user and a leaked credential dies at its expiry.
struct TurnRestCredential {
  std::string username;
  std::string password;
  int64_t expires_unix = 0;
};

TurnRestCredential MakeTurnRestCredential(std::string_view secret, std::string_view identity,
                                          int64_t expires_unix);

// The password for `username` under `secret`. Errors: InvalidArgument when the username does
// not start with a decimal expiry (optionally followed by ':' and anything), DeadlineExceeded
// when that expiry is before `now_unix`, FailedPrecondition for an empty secret.
absl::StatusOr<std::string> TurnRestPassword(std::string_view secret, std::string_view username,
                                             int64_t now_unix);

// RFC 8489 §9.2.2 long-term credential key: MD5(username ":" realm ":" password). (The
// password should be OpaqueString-prepared, RFC 8265; REST passwords are base64, i.e. ASCII,
// which the preparation leaves unchanged.)
using TurnKey = std::array<uint8_t, 16>;
TurnKey LongTermCredentialKey(std::string_view username, std::string_view realm,
                              std::string_view password);

inline std::string_view KeyView(const TurnKey& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

// Stateless nonces (RFC 8489 §9.2): "<expiry in ms, 16 hex digits><HMAC-SHA1(server key,
// expiry || client IP), 16 hex digits>". A nonce is valid for one client IP until its expiry,
// so a server can answer 438 Stale Nonce without remembering what it issued. The key is random
// per instance (a restart makes outstanding nonces stale, which clients recover from).
class TurnNonces {
 public:
  TurnNonces(const Clock& clock, Duration lifetime);
  std::string Issue(const SocketAddress& client) const;
  // True when `nonce` was issued by this instance for `client`'s IP and has not expired.
  bool Valid(std::string_view nonce, const SocketAddress& client) const;

 private:
  std::string Mac(uint64_t expiry_ms, const SocketAddress& client) const;

  const Clock& clock_;
  const Duration lifetime_;
  std::array<uint8_t, 32> key_{};
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_TURN_CREDENTIALS_H_
