#ifndef SWITCHYARD_API_ADMIN_COMMAND_H_
#define SWITCHYARD_API_ADMIN_COMMAND_H_

// `switchyard rooms ...` and `switchyard participants ...`: administers a running server
// through its REST room API (api/proto/room_service.proto), like LiveKit's `lk room ...`.
// Each call signs its own short-lived admin token with the API key, so nothing but the key
// and secret needs to be configured. Parsed by hand rather than with absl flags, which are
// global to the server.

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/http_client.h"

namespace switchyard::api {

// Exit codes: 0 on success (result on `out`); 1 when the server answered with an error or
// could not be reached ("switchyard: ..." on `err`); 2 on a usage error (message on `err`).
// `--help` prints usage on `out` and returns 0.
inline constexpr int kAdminCommandFailed = 1;
inline constexpr int kAdminCommandUsageError = 2;

// Lifetime of the token each call signs: long enough for a slow server, short enough that a
// token leaked from a proxy log is soon useless.
inline constexpr int64_t kAdminTokenValidForSeconds = 10 * 60;
inline constexpr char kDefaultAdminUrl[] = "http://127.0.0.1:8080";

// Sends one HTTP request; SendHttpRequest in production, a fake in tests.
using HttpSender = std::function<absl::StatusOr<HttpClientResponse>(const HttpClientRequest&)>;
// Reads an environment variable; nullopt when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// True when argv names an admin subcommand (argv[1] is "rooms" or "participants"), so main()
// dispatches here before the server's flag parsing.
bool IsAdminCommand(int argc, const char* const* argv);

// Runs `rooms ...` or `participants ...`: `args` starts at "rooms"/"participants" (argv + 1).
// `now_unix_seconds` is the clock the token's nbf/exp are relative to; `send` performs the
// request. `environment` supplies SWITCHYARD_URL, SWITCHYARD_API_KEY and SWITCHYARD_API_SECRET
// (empty = the process environment).
int RunAdminCommand(const std::vector<std::string>& args, int64_t now_unix_seconds,
                    std::ostream& out, std::ostream& err, const HttpSender& send,
                    const EnvironmentLookup& environment = {});

// RFC 3986 §3.3 path segment: unreserved characters as they are, every other byte as %XX.
std::string PercentEncodePathSegment(std::string_view segment);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_ADMIN_COMMAND_H_
