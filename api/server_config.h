// Loading, overriding and validating the server's configuration (api/proto/config.proto).
//
// Precedence, lowest first: built-in defaults < the config file < command-line flags. The
// intended sequence at startup is
//
//   auto config = LoadServerConfig(path);            // defaults + file, syntax checked
//   ApplyServerConfigOverrides(overrides, *config);   // flags that were given
//   ValidateServerConfig(*config);                     // semantic checks, on the final result
//
// Validation runs last so that a flag can repair a bad file value and a bad flag value is
// reported like a bad file value. Every error names the offending field ("rtc.port: ...").
#ifndef SWITCHYARD_API_SERVER_CONFIG_H_
#define SWITCHYARD_API_SERVER_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/proto/config.pb.h"

namespace switchyard::api {

using ServerConfig = config::ServerConfig;

// Secrets shorter than this are refused unless dev_mode is on: 32 bytes = 256 bits, the
// HMAC-SHA256 key size.
inline constexpr size_t kMinApiSecretBytes = 32;
inline constexpr int kMaxWorkers = 256;

// The built-in defaults, every field present: http 127.0.0.1:8080, rtc 127.0.0.1:40000 with an
// empty announced_ip and 1 worker, web.dir = the source tree's api/web, dev_mode false, no keys.
ServerConfig DefaultServerConfig();

// Parses protobuf text format and merges it over DefaultServerConfig(); fields the text omits
// keep their defaults, api_keys are the text's. Syntax errors, unknown fields, out-of-range
// numbers and a field given twice fail with InvalidArgument
// "<source_name>:<line>:<column>: <field path>: <parser message>" (1-based position; the path,
// e.g. "http.port", names the field or section the error is in and is omitted at top level).
// Does not validate values.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& text,
                                               const std::string& source_name);

// DefaultServerConfig() when path_or_empty is empty, else the file at that path through
// ParseServerConfig (NotFound naming the path when it cannot be read). Does not validate.
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path_or_empty);

// Values from command-line flags; nullopt = the flag was not given, keep the config's value.
struct ServerConfigOverrides {
  std::optional<std::string> http_address;
  std::optional<uint16_t> http_port;
  std::optional<std::string> rtc_address;
  std::optional<uint16_t> rtc_port;
  std::optional<std::string> announced_ip;
  std::optional<int> workers;
  std::optional<std::string> web_dir;
  std::optional<bool> dev_mode;
  // "key:secret[,key:secret...]"; replaces the config's api_keys (an empty string clears them).
  std::optional<std::string> api_keys;
};

// Writes every given override into config. Fails (naming --api_keys) only when api_keys is
// malformed, leaving config unchanged.
absl::Status ApplyServerConfigOverrides(const ServerConfigOverrides& overrides,
                                        ServerConfig& config);

// Semantic checks of a complete config (as produced by the functions above). The message
// starts with the field path: "http.address: not an IP address: \"x\"",
// "rtc.port: must be 0-65535", "rtc.workers: must be 1-256", "api_keys[1].secret: ...".
absl::Status ValidateServerConfig(const ServerConfig& config);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_SERVER_CONFIG_H_
