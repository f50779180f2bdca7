#include "api/server_flags.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
// WasPresentOnCommandLine: absl has no public way to tell an absent flag from one given with
// its default value. Bool and string flags need it: a bool flag must be a plain bool for the
// bare `--dev` to parse, and absl reads an empty std::optional<std::string> flag as nullopt,
// which would make `--webhook_urls=` (clear the list) a silent no-op.
#include "absl/flags/internal/parse.h"

// Bool and string flags count only when given (IfGiven); numeric flags default to nullopt.
// Either way an absent flag keeps the config's value; see the header.
ABSL_FLAG(std::string, config, "",
          "Config file in protobuf text format (see deploy/switchyard.textproto); flags win");
ABSL_FLAG(std::string, http_address, "",
          "Address the HTTP/WebSocket server binds (default 127.0.0.1) [http.address]");
ABSL_FLAG(std::optional<uint16_t>, http_port, std::nullopt,
          "HTTP port, 0 = ephemeral (default 8080) [http.port]");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain; with --tls_key_file the port serves HTTPS/WSS (default: plain "
          "HTTP) [http.tls_cert_file]");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key of --tls_cert_file [http.tls_key_file]");
ABSL_FLAG(std::optional<uint32_t>, max_body_bytes, std::nullopt,
          "Largest request body accepted, 1024-16777216 (default 1048576) [http.max_body_bytes]");
ABSL_FLAG(std::optional<uint32_t>, api_rate_limit, std::nullopt,
          "Room API requests per second per client address, 0 = no limit (default 50) "
          "[http.api_rate_limit]");
ABSL_FLAG(std::string, rtc_address, "",
          "Address the media UDP sockets bind (default 127.0.0.1) [rtc.address]");
ABSL_FLAG(std::optional<uint16_t>, rtc_port, std::nullopt,
          "UDP port of worker 0; worker i uses +i, 0 = ephemeral (default 40000) [rtc.port]");
ABSL_FLAG(std::string, announced_ip, "",
          "IP put into ICE candidates (default: the bound rtc address) [rtc.announced_ip]");
ABSL_FLAG(std::string, rtc_extra_addresses, "",
          "More media addresses, ip[=announced_ip][,...] (e.g. an IPv6 one), each on every "
          "worker's port with candidates of its own; replaces the file's list "
          "[rtc.extra_addresses]");
ABSL_FLAG(bool, ice_tcp, true,
          "ICE over TCP (RFC 6544 passive candidates) on every media address (default true) "
          "[rtc.ice_tcp]");
ABSL_FLAG(std::optional<uint16_t>, ice_tcp_port, std::nullopt,
          "ICE-TCP port of worker 0, worker i uses +i; 0 = each worker's UDP port (default 0) "
          "[rtc.ice_tcp_port]");
ABSL_FLAG(std::optional<int>, workers, std::nullopt,
          "Media worker threads, 0-64, 0 = one per core (default 0) [rtc.workers]");
ABSL_FLAG(std::string, placement, "",
          "Where joins go: least_loaded (rooms spread over workers) or room (one worker per "
          "room) (default least_loaded) [rtc.placement]");
ABSL_FLAG(std::string, web_dir, "",
          "Directory of the demo page (default: the source tree's api/web) [web.dir]");
ABSL_FLAG(bool, dev, false,
          "Development mode: adds API key devkey/secret when none is configured, accepts short "
          "secrets, serves GET /dev/token. Never in production (default false) [dev_mode]");
ABSL_FLAG(bool, dev_mode, false, "Same as --dev; --dev wins when both are given [dev_mode]");
ABSL_FLAG(std::string, api_keys, "",
          "key:secret[,key:secret...], replaces the file's api_keys (visible in ps; prefer the "
          "config file) [api_keys]");
ABSL_FLAG(bool, auto_create_rooms, true,
          "Whether a join may open a room the API has not created (default true) "
          "[room.auto_create]");
ABSL_FLAG(std::optional<uint32_t>, empty_timeout_seconds, std::nullopt,
          "Seconds an empty room stays open, at most 604800 (default 300) "
          "[room.empty_timeout_seconds]");
ABSL_FLAG(std::optional<uint32_t>, max_participants, std::nullopt,
          "Default participant limit per room, 0 = none (default 0) [room.max_participants]");
ABSL_FLAG(std::string, webhook_urls, "",
          "url[,url...] receiving every event, replaces the file's list; empty = none "
          "[webhook.urls]");
ABSL_FLAG(std::string, webhook_api_key, "",
          "API key whose secret signs webhook deliveries (default: the first key) "
          "[webhook.api_key]");
ABSL_FLAG(std::optional<uint32_t>, webhook_max_attempts, std::nullopt,
          "Attempts per webhook delivery, 1-20 (default 6) [webhook.max_attempts]");
ABSL_FLAG(bool, turn, true,
          "Run the embedded STUN/TURN server (default true) [turn.enabled]");
ABSL_FLAG(std::optional<uint16_t>, turn_port, std::nullopt,
          "STUN/TURN UDP port, 0 = ephemeral (default 3478) [turn.port]");
ABSL_FLAG(std::string, turn_secret, "",
          "Shared secret of the TURN REST credentials (default: random per process; \"secret\" "
          "in dev mode) [turn.secret]");
ABSL_FLAG(bool, turn_in_process, true,
          "Relayed media between TURN and the media workers skips the kernel (default true; "
          "false only to compare) [turn.in_process]");
ABSL_FLAG(bool, turn_tls, true,
          "TURN over TLS (turns: URLs) when a certificate is available (default true) "
          "[turn.tls]");
ABSL_FLAG(std::optional<uint16_t>, turn_tls_port, std::nullopt,
          "TURN over TLS TCP port, 0 = ephemeral (default 5349; 443 passes HTTPS-only "
          "firewalls) [turn.tls_port]");
ABSL_FLAG(std::string, turn_tls_cert_file, "",
          "PEM certificate chain for TURN over TLS (default: --tls_cert_file) "
          "[turn.tls_cert_file]");
ABSL_FLAG(std::string, turn_tls_key_file, "",
          "PEM private key of --turn_tls_cert_file (default: --tls_key_file) "
          "[turn.tls_key_file]");
ABSL_FLAG(std::string, turn_tls_host, "",
          "Host name in the turns: URL, one the certificate is for (default: the public IP) "
          "[turn.tls_host]");

namespace switchyard::api {
namespace {

template <typename T>
std::optional<T> IfGiven(const absl::Flag<T>& flag) {
  if (!absl::flags_internal::WasPresentOnCommandLine(absl::GetFlagReflectionHandle(flag).Name())) {
    return std::nullopt;
  }
  return absl::GetFlag(flag);
}

}  // namespace

std::string ConfigFileFromFlags() { return absl::GetFlag(FLAGS_config); }

ServerConfigOverrides OverridesFromFlags() {
  ServerConfigOverrides overrides;
  overrides.http_address = IfGiven(FLAGS_http_address);
  overrides.http_port = absl::GetFlag(FLAGS_http_port);
  overrides.tls_cert_file = IfGiven(FLAGS_tls_cert_file);
  overrides.tls_key_file = IfGiven(FLAGS_tls_key_file);
  overrides.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  overrides.api_rate_limit = absl::GetFlag(FLAGS_api_rate_limit);
  overrides.rtc_address = IfGiven(FLAGS_rtc_address);
  overrides.rtc_port = absl::GetFlag(FLAGS_rtc_port);
  overrides.announced_ip = IfGiven(FLAGS_announced_ip);
  overrides.rtc_extra_addresses = IfGiven(FLAGS_rtc_extra_addresses);
  overrides.ice_tcp = IfGiven(FLAGS_ice_tcp);
  overrides.ice_tcp_port = absl::GetFlag(FLAGS_ice_tcp_port);
  overrides.workers = absl::GetFlag(FLAGS_workers);
  overrides.placement = IfGiven(FLAGS_placement);
  overrides.web_dir = IfGiven(FLAGS_web_dir);
  overrides.dev_mode = IfGiven(FLAGS_dev);
  if (!overrides.dev_mode) overrides.dev_mode = IfGiven(FLAGS_dev_mode);
  overrides.api_keys = IfGiven(FLAGS_api_keys);
  overrides.auto_create_rooms = IfGiven(FLAGS_auto_create_rooms);
  overrides.empty_timeout_seconds = absl::GetFlag(FLAGS_empty_timeout_seconds);
  overrides.max_participants = absl::GetFlag(FLAGS_max_participants);
  overrides.webhook_urls = IfGiven(FLAGS_webhook_urls);
  overrides.webhook_api_key = IfGiven(FLAGS_webhook_api_key);
  overrides.webhook_max_attempts = absl::GetFlag(FLAGS_webhook_max_attempts);
  overrides.turn_enabled = IfGiven(FLAGS_turn);
  overrides.turn_port = absl::GetFlag(FLAGS_turn_port);
  overrides.turn_secret = IfGiven(FLAGS_turn_secret);
  overrides.turn_in_process = IfGiven(FLAGS_turn_in_process);
  overrides.turn_tls = IfGiven(FLAGS_turn_tls);
  overrides.turn_tls_port = absl::GetFlag(FLAGS_turn_tls_port);
  overrides.turn_tls_cert_file = IfGiven(FLAGS_turn_tls_cert_file);
  overrides.turn_tls_key_file = IfGiven(FLAGS_turn_tls_key_file);
  overrides.turn_tls_host = IfGiven(FLAGS_turn_tls_host);
  return overrides;
}

}  // namespace switchyard::api
