// Loading, overriding and validating the server's configuration (api/proto/config.proto).
//
// Precedence, lowest first: built-in defaults < the config file < command-line flags. The
// intended sequence at startup (ResolveServerConfig runs it) is
//
//   auto config = LoadServerConfig(path);            // defaults + file, syntax checked
//   ApplyServerConfigOverrides(overrides, *config);   // flags that were given
//   ApplyDevModeDefaults(*config);                    // dev mode's well-known key, if none
//   ApplyTurnTlsDefaults(*config);                    // TURN over TLS with the HTTPS pair
//   ValidateServerConfig(*config);                     // semantic checks, on the final result
//
// Validation runs last so that a flag can repair a bad file value and a bad flag value is
// reported like a bad file value. Every error names the offending field ("rtc.port: ...").
// The flags themselves are defined in api/server_flags.h.
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
inline constexpr int kMaxWorkers = 64;  // sfu::WorkerMesh::kMaxWorkers
inline constexpr uint32_t kDefaultMaxBodyBytes = 1024 * 1024;
inline constexpr uint32_t kMinMaxBodyBytes = 1024;
inline constexpr uint32_t kMaxMaxBodyBytes = 16 * 1024 * 1024;
inline constexpr uint32_t kDefaultApiRateLimit = 50;
inline constexpr uint32_t kDefaultEmptyTimeoutSeconds = 300;
// A week: longer is almost certainly a unit mistake (milliseconds), and a forgotten room would
// hold its worker's resources for that long.
inline constexpr uint32_t kMaxEmptyTimeoutSeconds = 7 * 24 * 3600;
inline constexpr uint32_t kDefaultWebhookMaxAttempts = 6;
inline constexpr uint32_t kMaxRtcAddresses = 16;  // sfu::kMaxListenAddresses
inline constexpr uint32_t kDefaultTurnPort = 3478;  // RFC 8489 §6: STUN/TURN over UDP and TCP
inline constexpr uint32_t kDefaultTurnTlsPort = 5349;  // RFC 8489 §6: STUN/TURN over TLS
inline constexpr uint32_t kDefaultTurnCredentialTtlSeconds = 12 * 3600;
inline constexpr char kDevTurnSecret[] = "secret";
inline constexpr uint32_t kMaxWebhookMaxAttempts = 20;

// The built-in defaults, every field present:
//   http 127.0.0.1:8080, no TLS (empty tls_cert_file/tls_key_file), max_body_bytes 1 MiB,
//     api_rate_limit 50;
//   rtc 127.0.0.1:40000 with an empty announced_ip and 1 worker;
//   web.dir = the source tree's api/web;
//   dev_mode false, no api_keys;
//   room auto_create true, empty_timeout_seconds 300, max_participants 0 (no limit);
//   webhook without urls, empty api_key (= the first API key), max_attempts 6.
// Having no API key, the defaults alone are valid only in dev mode: outside it
// ValidateServerConfig requires a key, so a server started with neither a config file nor
// --dev refuses to start and says why.
ServerConfig DefaultServerConfig();

// Parses protobuf text format and merges it over DefaultServerConfig(); fields the text omits
// keep their defaults, api_keys and webhook.urls are the text's. Syntax errors, unknown fields,
// out-of-range numbers and a field given twice fail with InvalidArgument
// "<source_name>:<line>:<column>: <field path>: <parser message>" (1-based position; the path,
// e.g. "http.port", names the field or section the error is in and is omitted at top level).
// Does not validate values.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& text,
                                               const std::string& source_name);

// DefaultServerConfig() when path_or_empty is empty, else the file at that path through
// ParseServerConfig (NotFound naming the path when it cannot be read). Does not validate.
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path_or_empty);

// Values from command-line flags; nullopt = the flag was not given, keep the config's value.
// OverridesFromFlags (api/server_flags.h) fills it from the parsed command line.
struct ServerConfigOverrides {
  std::optional<std::string> http_address;
  std::optional<uint16_t> http_port;
  std::optional<std::string> tls_cert_file;
  std::optional<std::string> tls_key_file;
  std::optional<uint32_t> max_body_bytes;
  std::optional<uint32_t> api_rate_limit;
  std::optional<std::string> rtc_address;
  std::optional<uint16_t> rtc_port;
  std::optional<std::string> announced_ip;
  // "ip[=announced],..."; replaces rtc.extra_addresses (an empty string clears them).
  std::optional<std::string> rtc_extra_addresses;
  std::optional<bool> ice_tcp;            // rtc.ice_tcp
  std::optional<uint16_t> ice_tcp_port;   // rtc.ice_tcp_port
  std::optional<int> workers;
  std::optional<std::string> placement;
  std::optional<std::string> web_dir;
  std::optional<bool> dev_mode;
  // "key:secret[,key:secret...]"; replaces the config's api_keys (an empty string clears them).
  std::optional<std::string> api_keys;
  std::optional<bool> auto_create_rooms;         // room.auto_create
  std::optional<uint32_t> empty_timeout_seconds;  // room.empty_timeout_seconds
  std::optional<uint32_t> max_participants;       // room.max_participants
  // "url[,url...]"; replaces webhook.urls (an empty string clears them). A URL containing ','
  // can only be configured in the file.
  std::optional<std::string> webhook_urls;
  std::optional<std::string> webhook_api_key;     // webhook.api_key
  std::optional<uint32_t> webhook_max_attempts;   // webhook.max_attempts
  std::optional<bool> turn_enabled;               // turn.enabled
  std::optional<uint16_t> turn_port;              // turn.port
  std::optional<std::string> turn_secret;         // turn.secret
  std::optional<bool> turn_in_process;            // turn.in_process
  std::optional<bool> turn_tls;                   // turn.tls
  std::optional<uint16_t> turn_tls_port;          // turn.tls_port
  std::optional<std::string> turn_tls_cert_file;  // turn.tls_cert_file
  std::optional<std::string> turn_tls_key_file;   // turn.tls_key_file
  std::optional<std::string> turn_tls_host;       // turn.tls_host
};

// Writes every given override into config. Fails (naming --api_keys) only when api_keys is
// malformed, leaving config unchanged. Values are checked later, by ValidateServerConfig.
absl::Status ApplyServerConfigOverrides(const ServerConfigOverrides& overrides,
                                        ServerConfig& config);

// Dev mode's credentials: when dev_mode is on and no API key is configured, adds
// {key: kDevApiKey, secret: kDevApiSecret} (api/access_token.h), the pair the demo page and
// `switchyard token create` use by default. Does nothing otherwise; configured keys are never
// replaced. Call after the overrides (so --dev and --api_keys count) and before validation.
void ApplyDevModeDefaults(ServerConfig& config);

// TURN over TLS's certificate: when neither turn.tls_cert_file nor turn.tls_key_file is set,
// both become http.tls_cert_file / http.tls_key_file (empty when HTTPS is off too, and then
// TURN serves no TLS). Call after the overrides (so --tls_cert_file counts) and before
// validation, which then checks the files under the turn.* names as well.
void ApplyTurnTlsDefaults(ServerConfig& config);

// Semantic checks of a complete config (as produced by the functions above). The message
// starts with the field path: "http.address: not an IP address: \"x\"",
// "rtc.port: must be 0-65535", "rtc.workers: must be 0-64", "api_keys[1].secret: ...",
// "webhook.urls[0]: ...". Besides ranges it requires: TLS files both set (and readable) or
// both empty (http.* and turn.* alike); rtc.extra_addresses distinct IP literals, each with an
// announced IP when it is a wildcard (like rtc.address); turn.tls_port apart from turn.port while TURN over TCP
// listens there; turn.tls_host a host name or IP address; at least one API key outside dev
// mode; webhook.api_key, if set, naming one of api_keys; and a key to sign with whenever
// webhook.urls is non-empty. Opens the TLS files to see that they are readable regular files
// but does not parse them (the TLS layer does).
absl::Status ValidateServerConfig(const ServerConfig& config);

// The whole startup sequence above: LoadServerConfig(path_or_empty), overrides, dev-mode
// and TURN TLS defaults, validation. Returns the first error of any step, unchanged.
absl::StatusOr<ServerConfig> ResolveServerConfig(const std::string& path_or_empty,
                                                 const ServerConfigOverrides& overrides);

// rtc.workers with 0 resolved to the number of cores (at least 1, at most kMaxWorkers).
int EffectiveWorkers(const config::RtcConfig& rtc);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_SERVER_CONFIG_H_
