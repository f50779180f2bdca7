#ifndef SWITCHYARD_API_TOKEN_COMMAND_H_
#define SWITCHYARD_API_TOKEN_COMMAND_H_

// `switchyard token create ...`: mints an access token from the command line, like
// `lk token create`. Parsed here rather than with absl flags, which are global to the server.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::api {

// Exit codes: 0 on success (token and newline on `out`), 2 on a usage or claims error
// (message on `err`). `--help` prints usage on `out` and returns 0.
inline constexpr int kTokenCommandUsageError = 2;

// True when argv names the token subcommand (argv[1] == "token"), so main() dispatches here
// before the server's flag parsing.
bool IsTokenCommand(int argc, const char* const* argv);

// Runs `token <args...>`; `args` excludes the program name and "token". `now_unix_seconds`
// is the wall clock the token's nbf/exp are relative to (injected so tests are exact).
int RunTokenCommand(const std::vector<std::string>& args, int64_t now_unix_seconds,
                    std::ostream& out, std::ostream& err);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_TOKEN_COMMAND_H_
