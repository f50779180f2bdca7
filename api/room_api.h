#ifndef SWITCHYARD_API_ROOM_API_H_
#define SWITCHYARD_API_ROOM_API_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "api/access_token.h"
#include "api/room_manager.h"
#include "transport/clock.h"

namespace switchyard::api {

// An HTTP request as the API sees it (the server strips the transport).
struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string content_type;
  std::string accept;
  std::string authorization;
  std::string body;
  std::string client_address;  // for rate limiting
};

struct ApiResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A Twirp error answer (JSON body, see api_codec.h) with the given status.
ApiResponse ApiErrorResponse(int status, const std::string& code, const std::string& message);
// The same for a control-plane status (ErrorFromStatus decides status and code).
ApiResponse ApiErrorResponse(const absl::Status& status);

// The claims of an "Authorization: Bearer <JWT>" header value, or Unauthenticated (missing
// header, wrong scheme, or the verifier's rejection).
absl::StatusOr<AccessTokenClaims> VerifyBearer(std::string_view authorization,
                                               const TokenVerifier& verifier, int64_t now);

// The room service (api/proto/room_service.proto) over HTTP: REST resources under /v1/ and
// the same methods Twirp-style under /twirp/switchyard.v1.RoomService/. Authenticates every
// call with a Bearer JWT and checks its grants; rate-limits per client address (token bucket)
// before looking at the token, so guessing tokens is throttled too. Control thread only;
// synchronous, since the manager's state is local to that thread.
class RoomApi {
 public:
  struct Options {
    // Requests per second per client address, bursts of twice as many; 0 = unlimited.
    uint32_t rate_limit = 50;
  };
  // Why a call was refused, for /metrics.
  struct Counters {
    uint64_t calls = 0;
    uint64_t unauthenticated = 0;
    uint64_t permission_denied = 0;
    uint64_t rate_limited = 0;
  };

  RoomApi(RoomManager& rooms, const TokenVerifier& verifier, Options options,
          const transport::Clock& clock, std::function<int64_t()> unix_now);

  // True for paths this API serves (/v1/..., /twirp/switchyard.v1.RoomService/...).
  static bool Serves(const std::string& target);
  ApiResponse Handle(const ApiRequest& request);

  const Counters& counters() const { return counters_; }

 private:
  struct Bucket {
    double tokens = 0;
    transport::Timestamp updated;
  };
  bool Admit(const std::string& client);
  ApiResponse Dispatch(const ApiRequest& request);

  RoomManager& rooms_;
  const TokenVerifier& verifier_;
  const Options options_;
  const transport::Clock& clock_;
  std::function<int64_t()> unix_now_;
  absl::flat_hash_map<std::string, Bucket> buckets_;
  Counters counters_;
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_ROOM_API_H_
