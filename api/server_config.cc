#include "api/server_config.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

absl::Status ValidatePort(const std::string& field, uint32_t port) {
  if (port > 65535) return FieldError(field, absl::StrCat("must be 0-65535, got ", port));
  return absl::OkStatus();
}

}  // namespace

ServerConfig DefaultServerConfig() {
  ServerConfig config;
  config.mutable_http()->set_address("127.0.0.1");
  config.mutable_http()->set_port(8080);
  config.mutable_rtc()->set_address("127.0.0.1");
  config.mutable_rtc()->set_port(40000);
  config.mutable_rtc()->set_announced_ip("");
  config.mutable_rtc()->set_workers(1);
  config.mutable_web()->set_dir(SWITCHYARD_WEB_DIR);
  config.set_dev_mode(false);
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
  if (overrides.http_address) config.mutable_http()->set_address(*overrides.http_address);
  if (overrides.http_port) config.mutable_http()->set_port(*overrides.http_port);
  if (overrides.rtc_address) config.mutable_rtc()->set_address(*overrides.rtc_address);
  if (overrides.rtc_port) config.mutable_rtc()->set_port(*overrides.rtc_port);
  if (overrides.announced_ip) config.mutable_rtc()->set_announced_ip(*overrides.announced_ip);
  if (overrides.workers) config.mutable_rtc()->set_workers(*overrides.workers);
  if (overrides.web_dir) config.mutable_web()->set_dir(*overrides.web_dir);
  if (overrides.dev_mode) config.set_dev_mode(*overrides.dev_mode);
  if (overrides.api_keys) {
    config.clear_api_keys();
    for (auto& key : api_keys) *config.add_api_keys() = std::move(key);
  }
  return absl::OkStatus();
}

absl::Status ValidateServerConfig(const ServerConfig& config) {
  const auto& http = config.http();
  if (auto s = ValidateIpField("http.address", http.address()); !s.ok()) return s;
  if (auto s = ValidatePort("http.port", http.port()); !s.ok()) return s;

  const auto& rtc = config.rtc();
  if (auto s = ValidateIpField("rtc.address", rtc.address()); !s.ok()) return s;
  if (auto s = ValidatePort("rtc.port", rtc.port()); !s.ok()) return s;
  if (rtc.workers() < 1 || rtc.workers() > kMaxWorkers) {
    return FieldError("rtc.workers", absl::StrCat("must be 1-", kMaxWorkers, ", got ",
                                                  rtc.workers()));
  }
  // Worker i binds port + i; past 65535 the uint16 port would wrap onto unrelated ports.
  if (rtc.port() != 0 && rtc.port() + static_cast<uint32_t>(rtc.workers()) - 1 > 65535) {
    return FieldError("rtc.port", absl::StrCat(rtc.port(), " + ", rtc.workers(),
                                               " workers - 1 exceeds 65535"));
  }
  if (rtc.announced_ip().empty()) {
    // The candidate would carry the bound address, and 0.0.0.0 / :: is unreachable.
    if (IsWildcard(*ParseIp(rtc.address()))) {
      return FieldError("rtc.announced_ip",
                        absl::StrCat("required when rtc.address is the wildcard \"",
                                     rtc.address(), "\""));
    }
  } else {
    auto announced = ParseIp(rtc.announced_ip());
    if (!announced) {
      return FieldError("rtc.announced_ip",
                        absl::StrCat("not an IP address: \"", rtc.announced_ip(), "\""));
    }
    if (IsWildcard(*announced)) {
      return FieldError("rtc.announced_ip",
                        absl::StrCat("a wildcard address is unreachable: \"",
                                     rtc.announced_ip(), "\""));
    }
  }

  if (config.web().dir().empty()) return FieldError("web.dir", "must not be empty");

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
  return absl::OkStatus();
}

}  // namespace switchyard::api
