#include "api/server_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/access_token.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "transport/socket_address.h"

namespace switchyard::api {
namespace {

std::string FieldPathAt(const std::string& text, int error_line, int error_column);

// Keeps the first parser error with its position; the parser stops at the first error anyway,
// and later ones would only be consequences of it.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (has_error_) return;
    has_error_ = true;
    // The tokenizer counts from 0; editors and humans count from 1.
    line_ = line + 1;
    column_ = column + 1;
    message_ = message;
  }
  bool has_error() const { return has_error_; }
  std::string Describe(const std::string& source_name, const std::string& text) const {
    std::string path = FieldPathAt(text, line_ - 1, column_ - 1);
    if (!path.empty()) path += ": ";
    return absl::StrCat(source_name, ":", line_, ":", column_, ": ", path, message_);
  }

 private:
  bool has_error_ = false;
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

class IgnoreErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

// The path of the field whose text surrounds a parser error ("http.port"), or of the section
// it is in ("rtc"), or "". Protobuf's value errors ("Expected integer, got: \"80\"") name no
// field, so this re-tokenizes the text up to the error: `name {` / `name: {` opens a section,
// `}` closes it, `name:` starts a field that the next value token completes.
std::string FieldPathAt(const std::string& text, int error_line, int error_column) {
  google::protobuf::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  IgnoreErrors ignore;
  google::protobuf::io::Tokenizer tokenizer(&input, &ignore);
  tokenizer.set_comment_style(google::protobuf::io::Tokenizer::SH_COMMENT_STYLE);
  using Token = google::protobuf::io::Tokenizer::Token;
  std::vector<std::string> sections;
  std::string name;   // the last identifier in a field-name position
  std::string field;  // the field whose value is being parsed
  bool after_colon = false;
  while (tokenizer.Next()) {
    const Token& token = tokenizer.current();
    // Only tokens wholly before the error; the one at the error is what failed.
    if (token.line > error_line ||
        (token.line == error_line && token.end_column > error_column)) {
      break;
    }
    if (token.type == google::protobuf::io::Tokenizer::TYPE_SYMBOL) {
      if (token.text == ":") {
        field = name;
        after_colon = true;
      } else if (token.text == "{" || token.text == "<") {
        sections.push_back(name);
        field.clear();
        after_colon = false;
      } else if (token.text == "}" || token.text == ">") {
        if (!sections.empty()) sections.pop_back();
        field.clear();
        after_colon = false;
      }
      // '-' of a negative number and list punctuation leave the field open.
      continue;
    }
    if (after_colon) {
      // The tokenizer reports a malformed literal (an unterminated string) at its end: a value
      // ending right at the error is the culprit, not a completed value.
      if (token.line == error_line && token.end_column == error_column) break;
      field.clear();  // the value is complete
      after_colon = false;
    } else if (token.type == google::protobuf::io::Tokenizer::TYPE_IDENTIFIER) {
      name = token.text;
    }
  }
  if (!field.empty()) sections.push_back(field);
  std::string path;
  for (const auto& part : sections) {
    if (!path.empty()) path += '.';
    path += part;
  }
  return path;
}

std::optional<transport::SocketAddress> ParseIp(const std::string& text) {
  return transport::SocketAddress::Parse(text, 0);
}

bool IsWildcard(const transport::SocketAddress& address) {
  const auto& bytes = address.ip_bytes();
  const size_t n = address.is_ipv4() ? 4 : 16;
  return std::all_of(bytes.begin(), bytes.begin() + n, [](uint8_t b) { return b == 0; });
}

absl::Status FieldError(const std::string& field, const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// Restricted so that a key can be written in the --api_keys flag (',' and ':' separate) and
// safely embedded in headers and tokens by the auth layer.
bool IsValidKeyName(const std::string& key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
  });
}

absl::Status ValidateIpField(const std::string& field, const std::string& value) {
  if (!ParseIp(value)) {
    return FieldError(field, absl::StrCat("not an IP address: \"", value, "\""));
  }
  return absl::OkStatus();
}

// A DNS name as a URL and a certificate carry it (RFC 1123 §2.1): dot-separated labels of
// letters, digits and inner hyphens, 1-63 characters each, 253 in all; no port, no scheme.
bool IsHostName(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  for (const auto& label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-';
      if (!ok) return false;
    }
  }
  return true;
}

absl::Status ValidatePort(const std::string& field, uint32_t port) {
  if (port > 65535) return FieldError(field, absl::StrCat("must be 0-65535, got ", port));
  return absl::OkStatus();
}

// Catches a wrong path at startup rather than at the first TLS handshake. Paths are echoed:
// unlike secrets they help and hide nothing.
absl::Status ValidateReadableFile(const std::string& field, const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return FieldError(field, absl::StrCat("no such file: \"", path, "\""));
  }
  if (error) {
    return FieldError(field, absl::StrCat("cannot access \"", path, "\": ", error.message()));
  }
  if (status.type() != std::filesystem::file_type::regular) {
    return FieldError(field, absl::StrCat("not a regular file: \"", path, "\""));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return FieldError(field, absl::StrCat("cannot open \"", path, "\" for reading"));
  return absl::OkStatus();
}

// Checks what a delivery needs: an http(s) scheme and a host (RFC 3986 §3.2.2), and a port
// that fits when one is given. The HTTP client does the full parse; this catches typos at
// startup instead of at the first event. The URL is never echoed: receivers commonly carry a
// secret in the path, query or userinfo.
absl::Status ValidateWebhookUrl(const std::string& field, const std::string& url) {
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return FieldError(field, "must start with http:// or https://");
  }
  if (std::any_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    return FieldError(field, "must not contain spaces or control characters");
  }
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != std::string::npos) {
    authority.erase(0, at + 1);  // userinfo
  }
  std::string host;
  std::string port;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return FieldError(field, "unterminated IPv6 host '['");
    host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return FieldError(field, "unexpected text after the IPv6 host");
      has_port = true;
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
  }
  if (host.empty()) return FieldError(field, "has no host");
  // RFC 3986 allows "host:" (the scheme's default port).
  if (has_port && !port.empty()) {
    const bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        });
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return FieldError(field, "port must be 1-65535");
    }
  }
  return absl::OkStatus();
}

}  // namespace

ServerConfig DefaultServerConfig() {
  ServerConfig config;
  config.mutable_http()->set_address("127.0.0.1");
  config.mutable_http()->set_port(8080);
  config.mutable_http()->set_tls_cert_file("");
  config.mutable_http()->set_tls_key_file("");
  config.mutable_http()->set_max_body_bytes(kDefaultMaxBodyBytes);
  config.mutable_http()->set_api_rate_limit(kDefaultApiRateLimit);
  config.mutable_rtc()->set_address("127.0.0.1");
  config.mutable_rtc()->set_port(40000);
  config.mutable_rtc()->set_announced_ip("");
  config.mutable_rtc()->set_workers(0);
  config.mutable_rtc()->set_placement("least_loaded");
  config.mutable_rtc()->set_ice_tcp(true);
  config.mutable_rtc()->set_ice_tcp_port(0);
  config.mutable_web()->set_dir(SWITCHYARD_WEB_DIR);
  config.set_dev_mode(false);
  config.mutable_room()->set_auto_create(true);
  config.mutable_room()->set_empty_timeout_seconds(kDefaultEmptyTimeoutSeconds);
  config.mutable_room()->set_max_participants(0);
  config.mutable_webhook()->set_api_key("");
  config.mutable_webhook()->set_max_attempts(kDefaultWebhookMaxAttempts);
  config.mutable_turn()->set_enabled(true);
  config.mutable_turn()->set_address("");
  config.mutable_turn()->set_port(kDefaultTurnPort);
  config.mutable_turn()->set_relay_address("");
  config.mutable_turn()->set_secret("");
  config.mutable_turn()->set_realm("switchyard");
  config.mutable_turn()->set_credential_ttl_seconds(kDefaultTurnCredentialTtlSeconds);
  config.mutable_turn()->set_allow_loopback_peers(false);
  config.mutable_turn()->set_allow_private_peers(false);
  config.mutable_turn()->set_user_quota(32);
  config.mutable_turn()->set_total_quota(10000);
  config.mutable_turn()->set_tcp(true);
  config.mutable_turn()->set_in_process(true);
  config.mutable_turn()->set_tls(true);
  config.mutable_turn()->set_tls_port(kDefaultTurnTlsPort);
  config.mutable_turn()->set_tls_cert_file("");
  config.mutable_turn()->set_tls_key_file("");
  config.mutable_turn()->set_tls_host("");
  return config;
}

absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& text,
                                               const std::string& source_name) {
  // Parse (not Merge) into an empty message: Parse refuses a singular field given twice, which
  // in a hand-edited file is almost always a mistake. The explicit-presence fields then let
  // MergeFrom carry over exactly the fields the file set, zeros included.
  ServerConfig from_file;
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &from_file)) {
    if (errors.has_error()) return absl::InvalidArgumentError(errors.Describe(source_name, text));
    return absl::InvalidArgumentError(absl::StrCat(source_name, ": cannot parse"));
  }
  ServerConfig config = DefaultServerConfig();
  config.MergeFrom(from_file);
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path_or_empty) {
  if (path_or_empty.empty()) return DefaultServerConfig();
  std::ifstream in(path_or_empty, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path_or_empty, ": cannot open config file"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::NotFoundError(absl::StrCat(path_or_empty, ": cannot read"));
  return ParseServerConfig(text.str(), path_or_empty);
}

absl::Status ApplyServerConfigOverrides(const ServerConfigOverrides& overrides,
                                        ServerConfig& config) {
  // Parse the one fallible override first so that a failure leaves config untouched.
  std::vector<config::ApiKey> api_keys;
  if (overrides.api_keys && !overrides.api_keys->empty()) {
    int index = 0;
    for (const auto& entry : absl::StrSplit(*overrides.api_keys, ',')) {
      const std::string item(entry.data(), entry.size());
      const size_t colon = item.find(':');
      if (colon == std::string::npos) {
        // Never echo the entry: it may be a secret typed without its key.
        return absl::InvalidArgumentError(
            absl::StrCat("--api_keys: entry ", index, " is not key:secret"));
      }
      config::ApiKey key;
      key.set_key(item.substr(0, colon));
      key.set_secret(item.substr(colon + 1));
      api_keys.push_back(std::move(key));
      ++index;
    }
  }
  // "ip[=announced]" entries; the addresses themselves are checked by ValidateServerConfig.
  std::vector<config::RtcAddress> extra_addresses;
  if (overrides.rtc_extra_addresses && !overrides.rtc_extra_addresses->empty()) {
    for (const auto& entry : absl::StrSplit(*overrides.rtc_extra_addresses, ',')) {
      const std::string item(entry.data(), entry.size());
      const size_t equals = item.find('=');
      config::RtcAddress address;
      address.set_address(item.substr(0, equals));
      address.set_announced_ip(equals == std::string::npos ? "" : item.substr(equals + 1));
      extra_addresses.push_back(std::move(address));
    }
  }
  if (overrides.http_address) config.mutable_http()->set_address(*overrides.http_address);
  if (overrides.http_port) config.mutable_http()->set_port(*overrides.http_port);
  if (overrides.tls_cert_file) config.mutable_http()->set_tls_cert_file(*overrides.tls_cert_file);
  if (overrides.tls_key_file) config.mutable_http()->set_tls_key_file(*overrides.tls_key_file);
  if (overrides.max_body_bytes) {
    config.mutable_http()->set_max_body_bytes(*overrides.max_body_bytes);
  }
  if (overrides.api_rate_limit) {
    config.mutable_http()->set_api_rate_limit(*overrides.api_rate_limit);
  }
  if (overrides.rtc_address) config.mutable_rtc()->set_address(*overrides.rtc_address);
  if (overrides.rtc_port) config.mutable_rtc()->set_port(*overrides.rtc_port);
  if (overrides.announced_ip) config.mutable_rtc()->set_announced_ip(*overrides.announced_ip);
  if (overrides.workers) config.mutable_rtc()->set_workers(*overrides.workers);
  if (overrides.ice_tcp) config.mutable_rtc()->set_ice_tcp(*overrides.ice_tcp);
  if (overrides.ice_tcp_port) config.mutable_rtc()->set_ice_tcp_port(*overrides.ice_tcp_port);
  if (overrides.rtc_extra_addresses) {
    config.mutable_rtc()->clear_extra_addresses();
    for (const auto& entry : extra_addresses) *config.mutable_rtc()->add_extra_addresses() = entry;
  }
  if (overrides.placement) config.mutable_rtc()->set_placement(*overrides.placement);
  if (overrides.web_dir) config.mutable_web()->set_dir(*overrides.web_dir);
  if (overrides.dev_mode) config.set_dev_mode(*overrides.dev_mode);
  if (overrides.turn_enabled) config.mutable_turn()->set_enabled(*overrides.turn_enabled);
  if (overrides.turn_port) config.mutable_turn()->set_port(*overrides.turn_port);
  if (overrides.turn_secret) config.mutable_turn()->set_secret(*overrides.turn_secret);
  if (overrides.turn_in_process) config.mutable_turn()->set_in_process(*overrides.turn_in_process);
  if (overrides.turn_tls) config.mutable_turn()->set_tls(*overrides.turn_tls);
  if (overrides.turn_tls_port) config.mutable_turn()->set_tls_port(*overrides.turn_tls_port);
  if (overrides.turn_tls_cert_file) {
    config.mutable_turn()->set_tls_cert_file(*overrides.turn_tls_cert_file);
  }
  if (overrides.turn_tls_key_file) {
    config.mutable_turn()->set_tls_key_file(*overrides.turn_tls_key_file);
  }
  if (overrides.turn_tls_host) config.mutable_turn()->set_tls_host(*overrides.turn_tls_host);
  if (overrides.api_keys) {
    config.clear_api_keys();
    for (auto& key : api_keys) *config.add_api_keys() = std::move(key);
  }
  if (overrides.auto_create_rooms) {
    config.mutable_room()->set_auto_create(*overrides.auto_create_rooms);
  }
  if (overrides.empty_timeout_seconds) {
    config.mutable_room()->set_empty_timeout_seconds(*overrides.empty_timeout_seconds);
  }
  if (overrides.max_participants) {
    config.mutable_room()->set_max_participants(*overrides.max_participants);
  }
  if (overrides.webhook_urls) {
    config.mutable_webhook()->clear_urls();
    if (!overrides.webhook_urls->empty()) {
      for (const auto& url : absl::StrSplit(*overrides.webhook_urls, ',')) {
        config.mutable_webhook()->add_urls(std::string(url.data(), url.size()));
      }
    }
  }
  if (overrides.webhook_api_key) config.mutable_webhook()->set_api_key(*overrides.webhook_api_key);
  if (overrides.webhook_max_attempts) {
    config.mutable_webhook()->set_max_attempts(*overrides.webhook_max_attempts);
  }
  return absl::OkStatus();
}

void ApplyDevModeDefaults(ServerConfig& config) {
  if (!config.dev_mode()) return;
  // Local tools (turnutils_uclient -W secret) and the demo page relaying to the server on the
  // same machine: a known secret unless one is configured, and loopback peers allowed.
  if (config.turn().secret().empty()) config.mutable_turn()->set_secret(kDevTurnSecret);
  config.mutable_turn()->set_allow_loopback_peers(true);
  if (config.api_keys_size() > 0) return;
  auto* key = config.add_api_keys();
  key->set_key(kDevApiKey);
  key->set_secret(kDevApiSecret);
}

void ApplyTurnTlsDefaults(ServerConfig& config) {
  auto& turn = *config.mutable_turn();
  if (!turn.tls_cert_file().empty() || !turn.tls_key_file().empty()) return;
  turn.set_tls_cert_file(config.http().tls_cert_file());
  turn.set_tls_key_file(config.http().tls_key_file());
}

namespace {

// An address media binds and what its candidates announce: a wildcard needs an announced IP
// (no browser can reach 0.0.0.0 or ::), and the announced IP must be a concrete IP literal.
// `field` is "rtc" or "rtc.extra_addresses[i]"; `address` has been validated as an IP.
absl::Status ValidateRtcAddress(const std::string& field, const std::string& address,
                                const std::string& announced_ip) {
  const std::string announced_field = absl::StrCat(field, ".announced_ip");
  if (announced_ip.empty()) {
    // The candidate would carry the bound address, and 0.0.0.0 / :: is unreachable.
    if (IsWildcard(*ParseIp(address))) {
      return FieldError(announced_field, absl::StrCat("required when ", field,
                                                      ".address is the wildcard \"", address,
                                                      "\""));
    }
    return absl::OkStatus();
  }
  auto announced = ParseIp(announced_ip);
  if (!announced) {
    return FieldError(announced_field,
                      absl::StrCat("not an IP address: \"", announced_ip, "\""));
  }
  if (IsWildcard(*announced)) {
    return FieldError(announced_field,
                      absl::StrCat("a wildcard address is unreachable: \"", announced_ip, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateServerConfig(const ServerConfig& config) {
  const auto& http = config.http();
  if (auto s = ValidateIpField("http.address", http.address()); !s.ok()) return s;
  if (auto s = ValidatePort("http.port", http.port()); !s.ok()) return s;
  // A certificate without its key (or the reverse) cannot serve TLS, and silently falling back
  // to plain HTTP would expose what the operator meant to protect.
  const bool has_cert = !http.tls_cert_file().empty();
  const bool has_key = !http.tls_key_file().empty();
  if (has_cert && !has_key) {
    return FieldError("http.tls_key_file", "required when http.tls_cert_file is set");
  }
  if (has_key && !has_cert) {
    return FieldError("http.tls_cert_file", "required when http.tls_key_file is set");
  }
  if (has_cert) {
    if (auto s = ValidateReadableFile("http.tls_cert_file", http.tls_cert_file()); !s.ok()) {
      return s;
    }
    if (auto s = ValidateReadableFile("http.tls_key_file", http.tls_key_file()); !s.ok()) {
      return s;
    }
  }
  if (http.max_body_bytes() < kMinMaxBodyBytes || http.max_body_bytes() > kMaxMaxBodyBytes) {
    return FieldError("http.max_body_bytes", absl::StrCat("must be ", kMinMaxBodyBytes, "-",
                                                          kMaxMaxBodyBytes, ", got ",
                                                          http.max_body_bytes()));
  }

  const auto& rtc = config.rtc();
  if (auto s = ValidateIpField("rtc.address", rtc.address()); !s.ok()) return s;
  if (auto s = ValidatePort("rtc.port", rtc.port()); !s.ok()) return s;
  if (rtc.workers() < 0 || rtc.workers() > kMaxWorkers) {
    return FieldError("rtc.workers", absl::StrCat("must be 0-", kMaxWorkers, ", got ",
                                                  rtc.workers()));
  }
  if (rtc.placement() != "least_loaded" && rtc.placement() != "room") {
    return FieldError("rtc.placement", absl::StrCat("must be \"least_loaded\" or \"room\", got \"",
                                                    rtc.placement(), "\""));
  }
  // Worker i binds port + i; past 65535 the uint16 port would wrap onto unrelated ports.
  const int workers = EffectiveWorkers(rtc);
  if (rtc.port() != 0 && rtc.port() + static_cast<uint32_t>(workers) - 1 > 65535) {
    return FieldError("rtc.port", absl::StrCat(rtc.port(), " + ", workers,
                                               " workers - 1 exceeds 65535"));
  }
  if (auto s = ValidateRtcAddress("rtc", rtc.address(), rtc.announced_ip()); !s.ok()) return s;
  if (rtc.extra_addresses_size() + 1 > static_cast<int>(kMaxRtcAddresses)) {
    return FieldError("rtc.extra_addresses",
                      absl::StrCat("at most ", kMaxRtcAddresses - 1, " entries, got ",
                                   rtc.extra_addresses_size()));
  }
  std::set<std::string> bound = {ParseIp(rtc.address())->IpString()};
  for (int i = 0; i < rtc.extra_addresses_size(); ++i) {
    const auto& extra = rtc.extra_addresses(i);
    const std::string field = absl::StrCat("rtc.extra_addresses[", i, "]");
    if (auto s = ValidateIpField(absl::StrCat(field, ".address"), extra.address()); !s.ok()) {
      return s;
    }
    if (auto s = ValidateRtcAddress(field, extra.address(), extra.announced_ip()); !s.ok()) {
      return s;
    }
    if (!bound.insert(ParseIp(extra.address())->IpString()).second) {
      return FieldError(absl::StrCat(field, ".address"),
                        absl::StrCat("\"", extra.address(), "\" is already served"));
    }
  }
  if (auto s = ValidatePort("rtc.ice_tcp_port", rtc.ice_tcp_port()); !s.ok()) return s;
  if (rtc.ice_tcp_port() != 0 && rtc.ice_tcp_port() + static_cast<uint32_t>(workers) - 1 > 65535) {
    return FieldError("rtc.ice_tcp_port", absl::StrCat(rtc.ice_tcp_port(), " + ", workers,
                                                       " workers - 1 exceeds 65535"));
  }

  const auto& turn = config.turn();
  if (!turn.address().empty()) {
    if (auto s = ValidateIpField("turn.address", turn.address()); !s.ok()) return s;
  }
  if (!turn.relay_address().empty()) {
    if (auto s = ValidateIpField("turn.relay_address", turn.relay_address()); !s.ok()) return s;
    if (IsWildcard(*ParseIp(turn.relay_address()))) {
      return FieldError("turn.relay_address", "must be a concrete address clients can reach");
    }
  }
  if (auto s = ValidatePort("turn.port", turn.port()); !s.ok()) return s;
  if (auto s = ValidatePort("turn.tls_port", turn.tls_port()); !s.ok()) return s;
  // As for HTTPS: half a pair cannot serve TLS, and quietly serving none would leave clients
  // that need it without a relay.
  const bool has_turn_cert = !turn.tls_cert_file().empty();
  const bool has_turn_key = !turn.tls_key_file().empty();
  if (has_turn_cert && !has_turn_key) {
    return FieldError("turn.tls_key_file", "required when turn.tls_cert_file is set");
  }
  if (has_turn_key && !has_turn_cert) {
    return FieldError("turn.tls_cert_file", "required when turn.tls_key_file is set");
  }
  if (has_turn_cert) {
    if (auto s = ValidateReadableFile("turn.tls_cert_file", turn.tls_cert_file()); !s.ok()) {
      return s;
    }
    if (auto s = ValidateReadableFile("turn.tls_key_file", turn.tls_key_file()); !s.ok()) {
      return s;
    }
  }
  const bool serves_tls = turn.enabled() && turn.tls() && has_turn_cert;
  // TURN over TCP listens on turn.port; both on one TCP port cannot bind.
  if (serves_tls && turn.tcp() && turn.tls_port() != 0 && turn.tls_port() == turn.port()) {
    return FieldError("turn.tls_port",
                      absl::StrCat("must differ from turn.port (", turn.port(),
                                   ") while turn.tcp is on: TURN over TCP listens there"));
  }
  // Nor can it share the HTTP port (443 for both is a natural mistake) on an address both bind.
  const std::string turn_ip = turn.address().empty() ? rtc.address() : turn.address();
  const auto turn_bind = ParseIp(turn_ip);
  const auto http_bind = ParseIp(http.address());
  if (serves_tls && turn.tls_port() != 0 && turn.tls_port() == http.port() && turn_bind &&
      http_bind &&
      (*turn_bind == *http_bind || IsWildcard(*turn_bind) || IsWildcard(*http_bind))) {
    return FieldError("turn.tls_port", absl::StrCat("must differ from http.port (", http.port(),
                                                    ") on the same address"));
  }
  if (!turn.tls_host().empty() && !IsHostName(turn.tls_host()) && !ParseIp(turn.tls_host())) {
    return FieldError("turn.tls_host", absl::StrCat("not a host name or IP address: \"",
                                                    turn.tls_host(), "\""));
  }
  if (turn.realm().empty()) return FieldError("turn.realm", "must not be empty");
  if (turn.credential_ttl_seconds() == 0) {
    return FieldError("turn.credential_ttl_seconds", "must be at least 1");
  }

  if (config.web().dir().empty()) return FieldError("web.dir", "must not be empty");

  if (config.room().empty_timeout_seconds() > kMaxEmptyTimeoutSeconds) {
    return FieldError("room.empty_timeout_seconds",
                      absl::StrCat("must be at most ", kMaxEmptyTimeoutSeconds, " (7 days), got ",
                                   config.room().empty_timeout_seconds()));
  }

  // Without a key no API request, token or webhook can be authenticated; dev mode supplies
  // the well-known one (ApplyDevModeDefaults).
  if (!config.dev_mode() && config.api_keys_size() == 0) {
    return FieldError("api_keys",
                      "at least one key is required outside dev mode (use --dev for development)");
  }
  std::set<std::string> seen;
  for (int i = 0; i < config.api_keys_size(); ++i) {
    const auto& key = config.api_keys(i);
    const std::string field = absl::StrCat("api_keys[", i, "]");
    if (!IsValidKeyName(key.key())) {
      return FieldError(absl::StrCat(field, ".key"),
                        "must be non-empty letters, digits, '_', '-' or '.'");
    }
    if (!seen.insert(key.key()).second) {
      return FieldError(absl::StrCat(field, ".key"),
                        absl::StrCat("duplicate key \"", key.key(), "\""));
    }
    // Secrets are never echoed, only their length.
    if (key.secret().empty()) {
      return FieldError(absl::StrCat(field, ".secret"),
                        absl::StrCat("empty secret for key \"", key.key(), "\""));
    }
    if (!config.dev_mode() && key.secret().size() < kMinApiSecretBytes) {
      return FieldError(absl::StrCat(field, ".secret"),
                        absl::StrCat("secret of key \"", key.key(), "\" is ", key.secret().size(),
                                     " bytes, must be at least ", kMinApiSecretBytes,
                                     " (or set dev_mode)"));
    }
  }

  const auto& webhook = config.webhook();
  for (int i = 0; i < webhook.urls_size(); ++i) {
    if (auto s = ValidateWebhookUrl(absl::StrCat("webhook.urls[", i, "]"), webhook.urls(i));
        !s.ok()) {
      return s;
    }
  }
  if (!webhook.api_key().empty() && seen.count(webhook.api_key()) == 0) {
    return FieldError("webhook.api_key",
                      absl::StrCat("\"", webhook.api_key(), "\" is not one of api_keys"));
  }
  if (webhook.max_attempts() < 1 || webhook.max_attempts() > kMaxWebhookMaxAttempts) {
    return FieldError("webhook.max_attempts", absl::StrCat("must be 1-", kMaxWebhookMaxAttempts,
                                                           ", got ", webhook.max_attempts()));
  }
  // Receivers authenticate deliveries by their signature; unsigned ones would be refused.
  if (webhook.urls_size() > 0 && config.api_keys_size() == 0) {
    return FieldError("webhook.urls", "deliveries are signed with an API key, but none is "
                                      "configured (add api_keys)");
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> ResolveServerConfig(const std::string& path_or_empty,
                                                 const ServerConfigOverrides& overrides) {
  auto config = LoadServerConfig(path_or_empty);
  if (!config.ok()) return config.status();
  if (auto s = ApplyServerConfigOverrides(overrides, *config); !s.ok()) return s;
  ApplyDevModeDefaults(*config);
  ApplyTurnTlsDefaults(*config);
  if (auto s = ValidateServerConfig(*config); !s.ok()) return s;
  return config;
}

int EffectiveWorkers(const config::RtcConfig& rtc) {
  if (rtc.workers() > 0) return std::min(rtc.workers(), kMaxWorkers);
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(static_cast<int>(cores), 1, kMaxWorkers);
}

}  // namespace switchyard::api
