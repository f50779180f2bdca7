#include "api/server_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "api/access_token.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"

namespace switchyard::api {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// tests/fixtures/../../deploy: the file operators are told to copy.
const std::string kShippedConfig =
    std::string(SWITCHYARD_FIXTURES_DIR) + "/../../deploy/switchyard.textproto";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

const std::string kStrongSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes
const char kKeyRequired[] =
    "api_keys: at least one key is required outside dev mode (use --dev for development)";

// The defaults plus the one thing production adds to them: a key with a strong secret.
ServerConfig ProductionConfig() {
  ServerConfig config = DefaultServerConfig();
  auto* key = config.add_api_keys();
  key->set_key("prod");
  key->set_secret(kStrongSecret);
  return config;
}

// A scratch directory of this process, removed with the object.
class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("switchyard-config-test-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name, const std::string& contents) const {
    const auto file = path_ / name;
    std::ofstream(file) << contents;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(ServerConfigTest, DefaultsMatchTheFlagsOfBefore) {
  auto config = LoadServerConfig("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http().address(), "127.0.0.1");
  EXPECT_EQ(config->http().port(), 8080u);
  EXPECT_EQ(config->rtc().address(), "127.0.0.1");
  EXPECT_EQ(config->rtc().port(), 40000u);
  EXPECT_EQ(config->rtc().announced_ip(), "");
  EXPECT_EQ(config->rtc().workers(), 0);  // one per core
  EXPECT_EQ(config->rtc().placement(), "least_loaded");
  EXPECT_EQ(config->web().dir(), SWITCHYARD_WEB_DIR);
  EXPECT_FALSE(config->dev_mode());
  EXPECT_EQ(config->api_keys_size(), 0);
}

TEST(ServerConfigTest, DefaultsOfHttpRoomAndWebhookSections) {
  const ServerConfig config = DefaultServerConfig();
  EXPECT_TRUE(config.http().has_tls_cert_file());
  EXPECT_EQ(config.http().tls_cert_file(), "");
  EXPECT_TRUE(config.http().has_tls_key_file());
  EXPECT_EQ(config.http().tls_key_file(), "");
  EXPECT_EQ(config.http().max_body_bytes(), 1024u * 1024u);
  EXPECT_EQ(config.http().api_rate_limit(), 50u);
  EXPECT_TRUE(config.room().has_auto_create());
  EXPECT_TRUE(config.room().auto_create());
  EXPECT_EQ(config.room().empty_timeout_seconds(), 300u);
  EXPECT_TRUE(config.room().has_max_participants());
  EXPECT_EQ(config.room().max_participants(), 0u);
  EXPECT_EQ(config.webhook().urls_size(), 0);
  EXPECT_TRUE(config.webhook().has_api_key());
  EXPECT_EQ(config.webhook().api_key(), "");
  EXPECT_EQ(config.webhook().max_attempts(), 6u);
}

TEST(ServerConfigTest, DefaultsAreValidOnlyInDevMode) {
  ServerConfig config = DefaultServerConfig();
  absl::Status status = ValidateServerConfig(config);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status), kKeyRequired);

  config.set_dev_mode(true);
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
  ApplyDevModeDefaults(config);
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);

  EXPECT_TRUE(ValidateServerConfig(ProductionConfig()).ok())
      << ValidateServerConfig(ProductionConfig());
}

TEST(ServerConfigTest, NoConfigAndNoFlagsRefusesToStartSayingWhy) {
  auto config = ResolveServerConfig("", ServerConfigOverrides{});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(Message(config.status()), kKeyRequired);
}

TEST(ServerConfigTest, ShippedExampleParsesToExactlyTheDefaults) {
  auto config = LoadServerConfig(kShippedConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(*config, DefaultServerConfig())) << diff;
  // Without a key it is not a production config...
  EXPECT_EQ(Message(ValidateServerConfig(*config)), kKeyRequired);
}

TEST(ServerConfigTest, ShippedExampleStartsInDevModeAsDeployRunUsesIt) {
  ServerConfigOverrides flags;
  flags.dev_mode = true;
  auto config = ResolveServerConfig(kShippedConfig, flags);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->api_keys_size(), 1);
  EXPECT_EQ(config->api_keys(0).key(), kDevApiKey);
  EXPECT_EQ(config->api_keys(0).secret(), kDevApiSecret);
}

TEST(ServerConfigTest, ShippedExampleDocumentsEveryField) {
  const std::string text = ReadFile(kShippedConfig);
  ASSERT_FALSE(text.empty());
  std::function<void(const google::protobuf::Descriptor*)> check =
      [&](const google::protobuf::Descriptor* message) {
        for (int i = 0; i < message->field_count(); ++i) {
          const auto* field = message->field(i);
          // Written as a field or as a commented-out example.
          const bool present = text.find(field->name() + ":") != std::string::npos ||
                               text.find(field->name() + " {") != std::string::npos;
          EXPECT_TRUE(present) << message->name() << "." << field->name();
          if (field->message_type() != nullptr) check(field->message_type());
        }
      };
  check(ServerConfig::descriptor());
}

TEST(ServerConfigTest, FileOverridesOnlyTheFieldsItSetsIncludingZeros) {
  auto config = ParseServerConfig(
      "rtc { port: 0 workers: 4 }\n"
      "dev_mode: true\n"
      "api_keys { key: \"a\" secret: \"s1\" }\n"
      "api_keys { key: \"b\" secret: \"s2\" }\n",
      "cfg");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rtc().port(), 0u);  // an explicit 0 is not "absent"
  EXPECT_EQ(config->rtc().workers(), 4);
  EXPECT_EQ(config->rtc().address(), "127.0.0.1");
  EXPECT_EQ(config->http().port(), 8080u);
  EXPECT_EQ(config->web().dir(), SWITCHYARD_WEB_DIR);
  EXPECT_TRUE(config->dev_mode());
  ASSERT_EQ(config->api_keys_size(), 2);
  EXPECT_EQ(config->api_keys(1).key(), "b");
  EXPECT_EQ(config->api_keys(1).secret(), "s2");
}

TEST(ServerConfigTest, FileSetsRoomWebhookAndHttpFields) {
  auto config = ParseServerConfig(
      "http { tls_cert_file: \"/c.pem\" tls_key_file: \"/k.pem\" max_body_bytes: 2048 "
      "api_rate_limit: 0 }\n"
      "room { auto_create: false empty_timeout_seconds: 0 max_participants: 12 }\n"
      "webhook {\n"
      "  urls: \"https://a.example/hook\"\n"
      "  urls: \"http://127.0.0.1:9/\"\n"
      "  api_key: \"k\"\n"
      "  max_attempts: 1\n"
      "}\n",
      "cfg");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http().tls_cert_file(), "/c.pem");
  EXPECT_EQ(config->http().tls_key_file(), "/k.pem");
  EXPECT_EQ(config->http().max_body_bytes(), 2048u);
  EXPECT_EQ(config->http().api_rate_limit(), 0u);  // an explicit 0 (no limit) is kept
  EXPECT_EQ(config->http().port(), 8080u);
  EXPECT_FALSE(config->room().auto_create());
  EXPECT_EQ(config->room().empty_timeout_seconds(), 0u);
  EXPECT_EQ(config->room().max_participants(), 12u);
  ASSERT_EQ(config->webhook().urls_size(), 2);
  EXPECT_EQ(config->webhook().urls(1), "http://127.0.0.1:9/");
  EXPECT_EQ(config->webhook().api_key(), "k");
  EXPECT_EQ(config->webhook().max_attempts(), 1u);
}

TEST(ServerConfigTest, EmptyFileIsTheDefaults) {
  auto config = ParseServerConfig("# nothing\n", "cfg");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*config, DefaultServerConfig()));
}

struct ParseErrorCase {
  const char* name;
  const char* text;
  const char* prefix;    // "cfg:line:column: field.path: " of the error, 1-based
  const char* mentions;  // from protobuf's own message
};

class ParseErrorTest : public ::testing::TestWithParam<ParseErrorCase> {};

TEST_P(ParseErrorTest, NamesPositionAndFieldPath) {
  const auto& c = GetParam();
  auto config = ParseServerConfig(c.text, "cfg");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config.status()), StartsWith(c.prefix));
  EXPECT_THAT(Message(config.status()), HasSubstr(c.mentions));
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseErrorTest,
    ::testing::Values(
        ParseErrorCase{"UnknownField", "http {\n  port: 1\n}\nrtc {\n  wrokers: 2\n}\n",
                       "cfg:5:10: rtc: ", "no field named \"wrokers\""},
        ParseErrorCase{"UnknownSection", "\n\nlogging { level: \"x\" }\n", "cfg:3:9: ",
                       "no field named \"logging\""},
        ParseErrorCase{"StringForInteger", "http {\n  port: \"80\"\n}\n",
                       "cfg:2:9: http.port: ", "Expected integer"},
        ParseErrorCase{"NegativeUnsigned", "# comment: {\nrtc { port: -1 }\n",
                       "cfg:2:13: rtc.port: ", "Expected integer"},
        ParseErrorCase{"TooLargeForUint32", "http { address: \"::\" port: 99999999999 }\n",
                       "cfg:1:28: http.port: ", "out of range"},
        // Protobuf reports this one after the value, and names the field itself.
        ParseErrorCase{"BadBool", "http { port: 1 }\ndev_mode: maybe\n", "cfg:3:1: ",
                       "Invalid value for boolean field \"dev_mode\""},
        ParseErrorCase{"GivenTwice", "dev_mode: true\ndev_mode: false\n", "cfg:2:", "dev_mode"},
        ParseErrorCase{"MissingBrace", "rtc {\n  workers: 2\n", "cfg:3:1: rtc: ",
                       "Expected identifier"},
        ParseErrorCase{"UnterminatedString", "web { dir: \"/tmp }\n", "cfg:1:19: web.dir: ",
                       "String literals cannot cross line boundaries"}),
    [](const auto& info) { return info.param.name; });

TEST(ServerConfigTest, LoadReadsTheFileAndNamesItInErrors) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("switchyard-config-" + std::to_string(::getpid()) + ".textproto");
  std::ofstream(path) << "http { port: 9000 }\nrtc { bogus: 1 }\n";
  auto config = LoadServerConfig(path.string());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()), StartsWith(path.string() + ":2:12: rtc: "));

  std::ofstream(path) << "http { port: 9000 }\n";
  config = LoadServerConfig(path.string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http().port(), 9000u);
  std::filesystem::remove(path);

  config = LoadServerConfig(path.string());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(config.status()), HasSubstr(path.string()));
}

struct InvalidCase {
  const char* name;
  std::function<void(ServerConfig&)> mutate;
  const char* error_prefix;  // the field path the message must start with
};

class InvalidConfigTest : public ::testing::TestWithParam<InvalidCase> {};

// Each case starts from ProductionConfig(), which is valid and has api_keys[0] "prod".
TEST_P(InvalidConfigTest, RefusedNamingTheField) {
  ServerConfig config = ProductionConfig();
  GetParam().mutate(config);
  absl::Status status = ValidateServerConfig(config);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), StartsWith(GetParam().error_prefix));
}

INSTANTIATE_TEST_SUITE_P(
    All, InvalidConfigTest,
    ::testing::Values(
        InvalidCase{"HttpAddressHostname",
                    [](ServerConfig& c) { c.mutable_http()->set_address("localhost"); },
                    "http.address: not an IP address: \"localhost\""},
        InvalidCase{"HttpAddressEmpty", [](ServerConfig& c) { c.mutable_http()->set_address(""); },
                    "http.address:"},
        InvalidCase{"HttpPortTooLarge", [](ServerConfig& c) { c.mutable_http()->set_port(65536); },
                    "http.port: must be 0-65535"},
        InvalidCase{"RtcAddressBad",
                    [](ServerConfig& c) { c.mutable_rtc()->set_address("1.2.3.256"); },
                    "rtc.address: not an IP address"},
        InvalidCase{"RtcPortTooLarge", [](ServerConfig& c) { c.mutable_rtc()->set_port(70000); },
                    "rtc.port: must be 0-65535"},
        InvalidCase{"WorkersNegative", [](ServerConfig& c) { c.mutable_rtc()->set_workers(-1); },
                    "rtc.workers: must be 0-64"},
        InvalidCase{"WorkersTooMany", [](ServerConfig& c) { c.mutable_rtc()->set_workers(65); },
                    "rtc.workers: must be 0-64"},
        InvalidCase{"PlacementUnknown",
                    [](ServerConfig& c) { c.mutable_rtc()->set_placement("random"); },
                    "rtc.placement: must be \"least_loaded\" or \"room\", got \"random\""},
        InvalidCase{"WorkerPortsWrap",
                    [](ServerConfig& c) {
                      c.mutable_rtc()->set_port(65535);
                      c.mutable_rtc()->set_workers(2);
                    },
                    "rtc.port: 65535 + 2 workers - 1 exceeds 65535"},
        InvalidCase{"AnnouncedIpBad",
                    [](ServerConfig& c) { c.mutable_rtc()->set_announced_ip("example.com"); },
                    "rtc.announced_ip: not an IP address"},
        InvalidCase{"AnnouncedIpWildcard",
                    [](ServerConfig& c) { c.mutable_rtc()->set_announced_ip("0.0.0.0"); },
                    "rtc.announced_ip: a wildcard"},
        InvalidCase{"WildcardBindWithoutAnnouncedIp",
                    [](ServerConfig& c) { c.mutable_rtc()->set_address("::"); },
                    "rtc.announced_ip: required when rtc.address is the wildcard"},
        InvalidCase{"ExtraAddressBad",
                    [](ServerConfig& c) {
                      c.mutable_rtc()->add_extra_addresses()->set_address("v6.example");
                    },
                    "rtc.extra_addresses[0].address: not an IP address"},
        InvalidCase{"ExtraAddressWildcardWithoutAnnouncedIp",
                    [](ServerConfig& c) {
                      c.mutable_rtc()->add_extra_addresses()->set_address("::");
                    },
                    "rtc.extra_addresses[0].announced_ip: required when "
                    "rtc.extra_addresses[0].address is the wildcard"},
        InvalidCase{"ExtraAddressAnnouncedWildcard",
                    [](ServerConfig& c) {
                      auto* extra = c.mutable_rtc()->add_extra_addresses();
                      extra->set_address("::1");
                      extra->set_announced_ip("::");
                    },
                    "rtc.extra_addresses[0].announced_ip: a wildcard"},
        InvalidCase{"ExtraAddressRepeatsTheMainOne",
                    [](ServerConfig& c) {
                      c.mutable_rtc()->add_extra_addresses()->set_address(c.rtc().address());
                    },
                    "rtc.extra_addresses[0].address: "},
        InvalidCase{"TooManyExtraAddresses",
                    [](ServerConfig& c) {
                      for (int i = 0; i < 16; ++i) {
                        c.mutable_rtc()->add_extra_addresses()->set_address(
                            "10.0.0." + std::to_string(i + 10));
                      }
                    },
                    "rtc.extra_addresses: at most 15 entries"},
        InvalidCase{"IceTcpPortsWrap",
                    [](ServerConfig& c) {
                      c.mutable_rtc()->set_ice_tcp_port(65535);
                      c.mutable_rtc()->set_workers(2);
                    },
                    "rtc.ice_tcp_port: 65535 + 2 workers - 1 exceeds 65535"},
        InvalidCase{"WebDirEmpty", [](ServerConfig& c) { c.mutable_web()->set_dir(""); },
                    "web.dir: must not be empty"},
        InvalidCase{"KeyEmpty",
                    [](ServerConfig& c) {
                      auto* k = c.add_api_keys();
                      k->set_secret(kStrongSecret);
                    },
                    "api_keys[1].key:"},
        InvalidCase{"KeyWithColon",
                    [](ServerConfig& c) {
                      auto* k = c.add_api_keys();
                      k->set_key("a:b");
                      k->set_secret(kStrongSecret);
                    },
                    "api_keys[1].key:"},
        InvalidCase{"KeyDuplicate",
                    [](ServerConfig& c) {
                      for (int i = 0; i < 2; ++i) {
                        auto* k = c.add_api_keys();
                        k->set_key("same");
                        k->set_secret(kStrongSecret);
                      }
                    },
                    "api_keys[2].key: duplicate key \"same\""},
        InvalidCase{"WeakSecret",
                    [](ServerConfig& c) {
                      auto* ok = c.add_api_keys();
                      ok->set_key("good");
                      ok->set_secret(kStrongSecret);
                      auto* weak = c.add_api_keys();
                      weak->set_key("weak");
                      weak->set_secret(kStrongSecret.substr(1));  // 31 bytes
                    },
                    "api_keys[2].secret: secret of key \"weak\" is 31 bytes, must be at least 32"},
        InvalidCase{"EmptySecretEvenInDevMode",
                    [](ServerConfig& c) {
                      c.set_dev_mode(true);
                      c.add_api_keys()->set_key("k");
                    },
                    "api_keys[1].secret: empty secret"},
        InvalidCase{"NoKeyOutsideDevMode", [](ServerConfig& c) { c.clear_api_keys(); },
                    kKeyRequired},
        InvalidCase{"MaxBodyBytesTooSmall",
                    [](ServerConfig& c) { c.mutable_http()->set_max_body_bytes(1023); },
                    "http.max_body_bytes: must be 1024-16777216, got 1023"},
        InvalidCase{"MaxBodyBytesZero",
                    [](ServerConfig& c) { c.mutable_http()->set_max_body_bytes(0); },
                    "http.max_body_bytes: must be 1024-16777216, got 0"},
        InvalidCase{"MaxBodyBytesTooLarge",
                    [](ServerConfig& c) {
                      c.mutable_http()->set_max_body_bytes(16 * 1024 * 1024 + 1);
                    },
                    "http.max_body_bytes: must be 1024-16777216, got 16777217"},
        InvalidCase{"TlsCertWithoutKey",
                    [](ServerConfig& c) { c.mutable_http()->set_tls_cert_file(kShippedConfig); },
                    "http.tls_key_file: required when http.tls_cert_file is set"},
        InvalidCase{"TlsKeyWithoutCert",
                    [](ServerConfig& c) { c.mutable_http()->set_tls_key_file(kShippedConfig); },
                    "http.tls_cert_file: required when http.tls_key_file is set"},
        InvalidCase{"TlsCertMissing",
                    [](ServerConfig& c) {
                      c.mutable_http()->set_tls_cert_file("/nonexistent/switchyard/cert.pem");
                      c.mutable_http()->set_tls_key_file(kShippedConfig);
                    },
                    "http.tls_cert_file: no such file: \"/nonexistent/switchyard/cert.pem\""},
        InvalidCase{"TlsKeyMissing",
                    [](ServerConfig& c) {
                      c.mutable_http()->set_tls_cert_file(kShippedConfig);
                      c.mutable_http()->set_tls_key_file("/nonexistent/switchyard/key.pem");
                    },
                    "http.tls_key_file: no such file: \"/nonexistent/switchyard/key.pem\""},
        InvalidCase{"TlsCertIsADirectory",
                    [](ServerConfig& c) {
                      c.mutable_http()->set_tls_cert_file(SWITCHYARD_FIXTURES_DIR);
                      c.mutable_http()->set_tls_key_file(kShippedConfig);
                    },
                    "http.tls_cert_file: not a regular file"},
        InvalidCase{"TurnTlsCertWithoutKey",
                    [](ServerConfig& c) { c.mutable_turn()->set_tls_cert_file(kShippedConfig); },
                    "turn.tls_key_file: required when turn.tls_cert_file is set"},
        InvalidCase{"TurnTlsKeyWithoutCert",
                    [](ServerConfig& c) { c.mutable_turn()->set_tls_key_file(kShippedConfig); },
                    "turn.tls_cert_file: required when turn.tls_key_file is set"},
        InvalidCase{"TurnTlsCertMissing",
                    [](ServerConfig& c) {
                      c.mutable_turn()->set_tls_cert_file("/nonexistent/switchyard/turn.pem");
                      c.mutable_turn()->set_tls_key_file(kShippedConfig);
                    },
                    "turn.tls_cert_file: no such file: \"/nonexistent/switchyard/turn.pem\""},
        InvalidCase{"TurnTlsKeyIsADirectory",
                    [](ServerConfig& c) {
                      c.mutable_turn()->set_tls_cert_file(kShippedConfig);
                      c.mutable_turn()->set_tls_key_file(SWITCHYARD_FIXTURES_DIR);
                    },
                    "turn.tls_key_file: not a regular file"},
        InvalidCase{"TurnTlsPortTooLarge",
                    [](ServerConfig& c) { c.mutable_turn()->set_tls_port(65536); },
                    "turn.tls_port: must be 0-65535, got 65536"},
        InvalidCase{"TurnTlsPortIsTheTcpPort",
                    [](ServerConfig& c) {
                      c.mutable_turn()->set_tls_cert_file(kShippedConfig);
                      c.mutable_turn()->set_tls_key_file(kShippedConfig);
                      c.mutable_turn()->set_tls_port(3478);
                    },
                    "turn.tls_port: must differ from turn.port (3478) while turn.tcp is on"},
        InvalidCase{"TurnTlsPortIsTheHttpPort",
                    [](ServerConfig& c) {
                      c.mutable_http()->set_tls_cert_file(kShippedConfig);
                      c.mutable_http()->set_tls_key_file(kShippedConfig);
                      c.mutable_turn()->set_tls_cert_file(kShippedConfig);
                      c.mutable_turn()->set_tls_key_file(kShippedConfig);
                      c.mutable_http()->set_port(443);
                      c.mutable_turn()->set_tls_port(443);
                    },
                    "turn.tls_port: must differ from http.port (443) on the same address"},
        InvalidCase{"TurnTlsHostWithPort",
                    [](ServerConfig& c) { c.mutable_turn()->set_tls_host("turn.example.com:443"); },
                    "turn.tls_host: not a host name or IP address: \"turn.example.com:443\""},
        InvalidCase{"TurnTlsHostUrl",
                    [](ServerConfig& c) { c.mutable_turn()->set_tls_host("turns://turn.example"); },
                    "turn.tls_host: not a host name or IP address"},
        InvalidCase{"TurnTlsHostLabelEndsWithHyphen",
                    [](ServerConfig& c) { c.mutable_turn()->set_tls_host("turn-.example.com"); },
                    "turn.tls_host: not a host name or IP address"},
        InvalidCase{"EmptyTimeoutOverAWeek",
                    [](ServerConfig& c) {
                      c.mutable_room()->set_empty_timeout_seconds(7 * 24 * 3600 + 1);
                    },
                    "room.empty_timeout_seconds: must be at most 604800 (7 days), got 604801"},
        InvalidCase{"WebhookUrlWithoutScheme",
                    [](ServerConfig& c) { c.mutable_webhook()->add_urls("hooks.example.com/x"); },
                    "webhook.urls[0]: must start with http:// or https://"},
        InvalidCase{"WebhookUrlOtherScheme",
                    [](ServerConfig& c) {
                      c.mutable_webhook()->add_urls("https://ok.example/");
                      c.mutable_webhook()->add_urls("ftp://files.example/");
                    },
                    "webhook.urls[1]: must start with http:// or https://"},
        InvalidCase{"WebhookUrlEmpty", [](ServerConfig& c) { c.mutable_webhook()->add_urls(""); },
                    "webhook.urls[0]: must start with http:// or https://"},
        InvalidCase{"WebhookUrlNoHost",
                    [](ServerConfig& c) { c.mutable_webhook()->add_urls("https://"); },
                    "webhook.urls[0]: has no host"},
        InvalidCase{"WebhookUrlOnlyPath",
                    [](ServerConfig& c) { c.mutable_webhook()->add_urls("http:///events"); },
                    "webhook.urls[0]: has no host"},
        InvalidCase{"WebhookUrlOnlyPort",
                    [](ServerConfig& c) { c.mutable_webhook()->add_urls("http://:8080/x"); },
                    "webhook.urls[0]: has no host"},
        InvalidCase{"WebhookUrlOnlyUserinfo",
                    [](ServerConfig& c) { c.mutable_webhook()->add_urls("https://user@/x"); },
                    "webhook.urls[0]: has no host"},
        InvalidCase{"WebhookUrlEmptyIpv6Host",
                    [](ServerConfig& c) { c.mutable_webhook()->add_urls("http://[]:80/"); },
                    "webhook.urls[0]: has no host"},
        InvalidCase{"WebhookUrlUnterminatedIpv6",
                    [](ServerConfig& c) { c.mutable_webhook()->add_urls("http://[::1/x"); },
                    "webhook.urls[0]: unterminated IPv6 host"},
        InvalidCase{"WebhookUrlPortTooLarge",
                    [](ServerConfig& c) {
                      c.mutable_webhook()->add_urls("http://h.example:65536/");
                    },
                    "webhook.urls[0]: port must be 1-65535"},
        InvalidCase{"WebhookUrlPortZero",
                    [](ServerConfig& c) { c.mutable_webhook()->add_urls("http://h.example:0/"); },
                    "webhook.urls[0]: port must be 1-65535"},
        InvalidCase{"WebhookUrlPortNotNumeric",
                    [](ServerConfig& c) {
                      c.mutable_webhook()->add_urls("http://h.example:http/");
                    },
                    "webhook.urls[0]: port must be 1-65535"},
        InvalidCase{"WebhookUrlWithSpace",
                    [](ServerConfig& c) {
                      c.mutable_webhook()->add_urls("https://h.example/a b");
                    },
                    "webhook.urls[0]: must not contain spaces or control characters"},
        InvalidCase{"WebhookApiKeyUnknown",
                    [](ServerConfig& c) { c.mutable_webhook()->set_api_key("other"); },
                    "webhook.api_key: \"other\" is not one of api_keys"},
        InvalidCase{"WebhookMaxAttemptsZero",
                    [](ServerConfig& c) { c.mutable_webhook()->set_max_attempts(0); },
                    "webhook.max_attempts: must be 1-20, got 0"},
        InvalidCase{"WebhookMaxAttemptsTooMany",
                    [](ServerConfig& c) { c.mutable_webhook()->set_max_attempts(21); },
                    "webhook.max_attempts: must be 1-20, got 21"},
        // Only reachable in dev mode (outside it a key is required anyway), when the caller
        // skipped ApplyDevModeDefaults.
        InvalidCase{"WebhookUrlsWithoutAnyKey",
                    [](ServerConfig& c) {
                      c.set_dev_mode(true);
                      c.clear_api_keys();
                      c.mutable_webhook()->add_urls("https://h.example/");
                    },
                    "webhook.urls: deliveries are signed with an API key, but none is "
                    "configured"}),
    [](const auto& info) { return info.param.name; });

TEST(ServerConfigTest, ValidEdgeValuesAreAccepted) {
  ServerConfig config = DefaultServerConfig();
  config.mutable_http()->set_address("::1");
  config.mutable_http()->set_port(0);
  config.mutable_rtc()->set_address("0.0.0.0");
  config.mutable_rtc()->set_announced_ip("203.0.113.7");
  config.mutable_rtc()->set_port(65535 - 63);
  config.mutable_rtc()->set_workers(64);
  config.mutable_rtc()->set_placement("room");
  auto* key = config.add_api_keys();
  key->set_key("prod.key-1_A");
  key->set_secret(kStrongSecret);
  config.mutable_http()->set_max_body_bytes(1024);
  config.mutable_http()->set_api_rate_limit(0);
  config.mutable_room()->set_empty_timeout_seconds(7 * 24 * 3600);
  config.mutable_room()->set_auto_create(false);
  config.mutable_room()->set_max_participants(4000000000u);
  config.mutable_webhook()->set_max_attempts(20);
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
  config.mutable_http()->set_max_body_bytes(16 * 1024 * 1024);
  config.mutable_room()->set_empty_timeout_seconds(0);
  config.mutable_webhook()->set_max_attempts(1);
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
}

TEST(ServerConfigTest, TlsWithBothFilesReadableIsAccepted) {
  TempDir dir;
  ServerConfig config = ProductionConfig();
  config.mutable_http()->set_tls_cert_file(dir.File("cert.pem", "-----BEGIN CERTIFICATE-----\n"));
  config.mutable_http()->set_tls_key_file(dir.File("key.pem", "-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
}

// TURN over TLS takes the HTTPS pair unless it has its own; a pair of its own wins whole.
TEST(ServerConfigTest, TurnTlsFallsBackToTheHttpsCertificate) {
  TempDir dir;
  const std::string cert = dir.File("cert.pem", "-----BEGIN CERTIFICATE-----\n");
  const std::string key = dir.File("key.pem", "-----BEGIN PRIVATE KEY-----\n");
  ServerConfig none = ProductionConfig();
  ApplyTurnTlsDefaults(none);
  EXPECT_EQ(none.turn().tls_cert_file(), "");  // no certificate anywhere: no TURN over TLS
  EXPECT_EQ(none.turn().tls_key_file(), "");

  ServerConfigOverrides flags;
  flags.tls_cert_file = cert;
  flags.tls_key_file = key;
  flags.dev_mode = true;
  auto from_http = ResolveServerConfig("", flags);
  ASSERT_TRUE(from_http.ok()) << from_http.status();
  EXPECT_EQ(from_http->turn().tls_cert_file(), cert);
  EXPECT_EQ(from_http->turn().tls_key_file(), key);
  EXPECT_EQ(from_http->turn().tls_port(), 5349u);
  EXPECT_TRUE(from_http->turn().tls());

  const std::string turn_cert = dir.File("turn.pem", "-----BEGIN CERTIFICATE-----\n");
  const std::string turn_key = dir.File("turn.key", "-----BEGIN PRIVATE KEY-----\n");
  flags.turn_tls_cert_file = turn_cert;
  flags.turn_tls_key_file = turn_key;
  flags.turn_tls_port = 443;
  flags.turn_tls_host = "turn.example.com";
  auto own = ResolveServerConfig("", flags);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->turn().tls_cert_file(), turn_cert);
  EXPECT_EQ(own->turn().tls_key_file(), turn_key);
  EXPECT_EQ(own->turn().tls_port(), 443u);
  EXPECT_EQ(own->turn().tls_host(), "turn.example.com");

  // Half a pair of its own is not completed from the HTTPS pair: it is refused.
  flags.turn_tls_key_file.reset();
  auto half = ResolveServerConfig("", flags);
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(Message(half.status()),
              StartsWith("turn.tls_key_file: required when turn.tls_cert_file is set"));
}

TEST(ServerConfigTest, TurnTlsEdgeValuesAreAccepted) {
  ServerConfig config = ProductionConfig();
  for (const char* host : {"turn.example.com", "localhost", "203.0.113.7", "2001:db8::7",
                           "a-b.c1.example", "TURN.Example.COM"}) {
    config.mutable_turn()->set_tls_host(host);
    EXPECT_TRUE(ValidateServerConfig(config).ok()) << host << ": " << ValidateServerConfig(config);
  }
  // Without a certificate TLS is not served, so the port may be anything (even turn.port).
  config.mutable_turn()->set_tls_port(3478);
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
  TempDir dir;
  config.mutable_turn()->set_tls_cert_file(dir.File("c.pem", "-----BEGIN CERTIFICATE-----\n"));
  config.mutable_turn()->set_tls_key_file(dir.File("k.pem", "-----BEGIN PRIVATE KEY-----\n"));
  config.mutable_turn()->set_tcp(false);  // nothing else on TCP 3478 then
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
  config.mutable_turn()->set_tcp(true);
  config.mutable_turn()->set_tls_port(0);  // ephemeral (tests)
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
  config.mutable_turn()->set_tls_port(443);
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
  // 443 for HTTPS too, but on another address.
  config.mutable_http()->set_port(443);
  config.mutable_http()->set_address("192.0.2.1");
  config.mutable_rtc()->set_address("192.0.2.2");
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
  config.mutable_turn()->set_address("0.0.0.0");
  EXPECT_FALSE(ValidateServerConfig(config).ok());
}

TEST(ServerConfigTest, WebhookUrlsOfEveryAcceptedShape) {
  ServerConfig config = ProductionConfig();
  for (const char* url :
       {"http://h", "https://hooks.example.com/switchyard?token=abc#frag",
        "http://127.0.0.1:9000/events", "https://[::1]:8443/x", "http://[2001:db8::1]",
        "https://user:pass@h.example/", "http://h.example:/", "https://h.example?q=1",
        "http://h.example:65535"}) {
    config.mutable_webhook()->add_urls(url);
  }
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
}

TEST(ServerConfigTest, WebhookErrorsNeverEchoTheUrl) {
  ServerConfig config = ProductionConfig();
  config.mutable_webhook()->add_urls("https://user:topsecret@:1/hook?token=alsosecret");
  absl::Status status = ValidateServerConfig(config);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(Message(status), StartsWith("webhook.urls[0]: has no host"));
  EXPECT_THAT(Message(status), ::testing::Not(HasSubstr("secret")));
}

TEST(ServerConfigTest, WebhookApiKeyNamesAConfiguredKey) {
  ServerConfig config = ProductionConfig();
  auto* second = config.add_api_keys();
  second->set_key("hooks");
  second->set_secret(kStrongSecret);
  config.mutable_webhook()->add_urls("https://h.example/");
  config.mutable_webhook()->set_api_key("hooks");
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
  config.mutable_webhook()->set_api_key("");  // the first key signs
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
}

TEST(ServerConfigTest, DevModeWebhooksAreSignedWithTheDevKey) {
  ServerConfig config = DefaultServerConfig();
  config.set_dev_mode(true);
  config.mutable_webhook()->add_urls("http://127.0.0.1:9000/");
  config.mutable_webhook()->set_api_key(kDevApiKey);
  ApplyDevModeDefaults(config);
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
}

TEST(ServerConfigTest, DevModeDefaultsAddTheDevKeyOnlyWhenNeeded) {
  ServerConfig config = DefaultServerConfig();
  ApplyDevModeDefaults(config);  // not in dev mode: nothing
  EXPECT_EQ(config.api_keys_size(), 0);

  config.set_dev_mode(true);
  ApplyDevModeDefaults(config);
  ASSERT_EQ(config.api_keys_size(), 1);
  EXPECT_EQ(config.api_keys(0).key(), "devkey");
  EXPECT_EQ(config.api_keys(0).secret(), "secret");
  ApplyDevModeDefaults(config);  // idempotent
  EXPECT_EQ(config.api_keys_size(), 1);

  ServerConfig configured = ProductionConfig();
  configured.set_dev_mode(true);
  ApplyDevModeDefaults(configured);  // a configured key is never joined or replaced
  ASSERT_EQ(configured.api_keys_size(), 1);
  EXPECT_EQ(configured.api_keys(0).key(), "prod");
}

TEST(ServerConfigTest, DevModeAcceptsShortSecretsAndErrorsNeverEchoSecrets) {
  ServerConfig config = DefaultServerConfig();
  auto* key = config.add_api_keys();
  key->set_key("dev");
  key->set_secret("hunter2");
  absl::Status status = ValidateServerConfig(config);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(Message(status), ::testing::Not(HasSubstr("hunter2")));
  config.set_dev_mode(true);
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
}

TEST(ServerConfigTest, FlagsOverrideTheFileWhichOverridesDefaults) {
  auto config = ParseServerConfig(
      "http { address: \"0.0.0.0\" port: 9000 }\n"
      "rtc { workers: 4 announced_ip: \"198.51.100.1\" }\n"
      "api_keys { key: \"k\" secret: \"" + kStrongSecret + "\" }\n",
      "cfg");
  ASSERT_TRUE(config.ok()) << config.status();
  ServerConfigOverrides flags;
  flags.http_port = 7000;
  flags.rtc_port = 0;  // an explicit zero flag wins, too
  flags.dev_mode = false;
  ASSERT_TRUE(ApplyServerConfigOverrides(flags, *config).ok());
  EXPECT_EQ(config->http().port(), 7000u);                   // flag over file
  EXPECT_EQ(config->http().address(), "0.0.0.0");            // file, no flag
  EXPECT_EQ(config->rtc().port(), 0u);                       // flag over default
  EXPECT_EQ(config->rtc().workers(), 4);                     // file
  EXPECT_EQ(config->rtc().announced_ip(), "198.51.100.1");   // file
  EXPECT_EQ(config->rtc().address(), "127.0.0.1");           // default
  EXPECT_TRUE(ValidateServerConfig(*config).ok());
}

TEST(ServerConfigTest, NoFlagsChangeNothing) {
  auto config = ParseServerConfig("rtc { workers: 3 }\napi_keys { key: \"k\" secret: \"s\" }\n",
                                  "cfg");
  ASSERT_TRUE(config.ok());
  const ServerConfig before = *config;
  ASSERT_TRUE(ApplyServerConfigOverrides(ServerConfigOverrides{}, *config).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*config, before));
}

TEST(ServerConfigTest, EveryFlagReachesItsField) {
  ServerConfig config = DefaultServerConfig();
  ServerConfigOverrides flags;
  flags.http_address = "::";
  flags.http_port = 1;
  flags.rtc_address = "10.0.0.1";
  flags.rtc_port = 2;
  flags.announced_ip = "10.0.0.2";
  flags.workers = 3;
  flags.web_dir = "/srv/web";
  flags.dev_mode = true;
  flags.api_keys = "a:x,b:y:z";
  flags.tls_cert_file = "/etc/c.pem";
  flags.tls_key_file = "/etc/k.pem";
  flags.max_body_bytes = 4096;
  flags.api_rate_limit = 0;
  flags.auto_create_rooms = false;
  flags.empty_timeout_seconds = 0;
  flags.max_participants = 7;
  flags.webhook_urls = "https://a.example/x,http://b.example:81";
  flags.webhook_api_key = "b";
  flags.webhook_max_attempts = 20;
  ASSERT_TRUE(ApplyServerConfigOverrides(flags, config).ok());
  EXPECT_EQ(config.http().address(), "::");
  EXPECT_EQ(config.http().port(), 1u);
  EXPECT_EQ(config.rtc().address(), "10.0.0.1");
  EXPECT_EQ(config.rtc().port(), 2u);
  EXPECT_EQ(config.rtc().announced_ip(), "10.0.0.2");
  EXPECT_EQ(config.rtc().workers(), 3);
  EXPECT_EQ(config.web().dir(), "/srv/web");
  EXPECT_TRUE(config.dev_mode());
  ASSERT_EQ(config.api_keys_size(), 2);
  EXPECT_EQ(config.api_keys(0).key(), "a");
  EXPECT_EQ(config.api_keys(0).secret(), "x");
  EXPECT_EQ(config.api_keys(1).key(), "b");
  EXPECT_EQ(config.api_keys(1).secret(), "y:z");  // only the first ':' separates
  EXPECT_EQ(config.http().tls_cert_file(), "/etc/c.pem");
  EXPECT_EQ(config.http().tls_key_file(), "/etc/k.pem");
  EXPECT_EQ(config.http().max_body_bytes(), 4096u);
  EXPECT_EQ(config.http().api_rate_limit(), 0u);
  EXPECT_FALSE(config.room().auto_create());
  EXPECT_EQ(config.room().empty_timeout_seconds(), 0u);
  EXPECT_EQ(config.room().max_participants(), 7u);
  ASSERT_EQ(config.webhook().urls_size(), 2);
  EXPECT_EQ(config.webhook().urls(0), "https://a.example/x");
  EXPECT_EQ(config.webhook().urls(1), "http://b.example:81");
  EXPECT_EQ(config.webhook().api_key(), "b");
  EXPECT_EQ(config.webhook().max_attempts(), 20u);
}

TEST(ServerConfigTest, WebhookUrlsFlagReplacesOrClearsTheFilesList) {
  auto config = ParseServerConfig(
      "webhook { urls: \"https://file.example/1\" urls: \"https://file.example/2\" }\n", "cfg");
  ASSERT_TRUE(config.ok()) << config.status();

  ServerConfigOverrides replace;
  replace.webhook_urls = "https://flag.example/";
  ASSERT_TRUE(ApplyServerConfigOverrides(replace, *config).ok());
  ASSERT_EQ(config->webhook().urls_size(), 1);
  EXPECT_EQ(config->webhook().urls(0), "https://flag.example/");

  // An empty entry is kept, so that validation reports it rather than it vanishing.
  ServerConfigOverrides with_empty;
  with_empty.webhook_urls = "https://flag.example/,";
  ASSERT_TRUE(ApplyServerConfigOverrides(with_empty, *config).ok());
  ASSERT_EQ(config->webhook().urls_size(), 2);
  *config->add_api_keys() = ProductionConfig().api_keys(0);
  EXPECT_THAT(Message(ValidateServerConfig(*config)),
              StartsWith("webhook.urls[1]: must start with http:// or https://"));

  ServerConfigOverrides clear;
  clear.webhook_urls = "";
  ASSERT_TRUE(ApplyServerConfigOverrides(clear, *config).ok());
  EXPECT_EQ(config->webhook().urls_size(), 0);
}

TEST(ServerConfigTest, FlagsRepairOrBreakTheFileBeforeValidation) {
  TempDir dir;
  const std::string path = dir.File(
      "bad.textproto",
      "http { max_body_bytes: 10 }\napi_keys { key: \"k\" secret: \"" + kStrongSecret + "\" }\n");
  EXPECT_THAT(Message(ResolveServerConfig(path, {}).status()),
              StartsWith("http.max_body_bytes: must be 1024-16777216, got 10"));

  ServerConfigOverrides repair;
  repair.max_body_bytes = 2048;
  auto config = ResolveServerConfig(path, repair);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http().max_body_bytes(), 2048u);

  ServerConfigOverrides breaks = repair;
  breaks.webhook_max_attempts = 0;
  EXPECT_THAT(Message(ResolveServerConfig(path, breaks).status()),
              StartsWith("webhook.max_attempts: must be 1-20, got 0"));
}

TEST(ServerConfigTest, ResolveRunsLoadOverridesDevDefaultsAndValidation) {
  // Load errors pass through unchanged.
  auto missing = ResolveServerConfig("/nonexistent/switchyard.textproto", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);

  // So do override errors.
  ServerConfigOverrides bad_keys;
  bad_keys.api_keys = "nocolon";
  EXPECT_THAT(Message(ResolveServerConfig("", bad_keys).status()), StartsWith("--api_keys:"));

  // --dev without keys gets the dev key; --dev with --api_keys keeps exactly those.
  ServerConfigOverrides dev;
  dev.dev_mode = true;
  auto config = ResolveServerConfig("", dev);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->dev_mode());
  ASSERT_EQ(config->api_keys_size(), 1);
  EXPECT_EQ(config->api_keys(0).key(), kDevApiKey);

  dev.api_keys = "mine:short";
  config = ResolveServerConfig("", dev);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->api_keys_size(), 1);
  EXPECT_EQ(config->api_keys(0).key(), "mine");

  // The dev key is added after the overrides: clearing keys in dev mode still yields it.
  dev.api_keys = "";
  config = ResolveServerConfig("", dev);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->api_keys_size(), 1);
  EXPECT_EQ(config->api_keys(0).key(), kDevApiKey);

  // Production with a key from the flag.
  ServerConfigOverrides prod;
  prod.api_keys = "prod:" + kStrongSecret;
  config = ResolveServerConfig("", prod);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->dev_mode());
}

TEST(ServerConfigTest, ApiKeysFlagReplacesClearsOrFailsWithoutSideEffects) {
  auto config = ParseServerConfig("api_keys { key: \"file\" secret: \"s\" }\n", "cfg");
  ASSERT_TRUE(config.ok());

  ServerConfigOverrides bad;
  bad.http_port = 1;
  bad.api_keys = "ok:secret,justasecretvalue";
  absl::Status status = ApplyServerConfigOverrides(bad, *config);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(Message(status), StartsWith("--api_keys: entry 1"));
  EXPECT_THAT(Message(status), ::testing::Not(HasSubstr("justasecretvalue")));
  EXPECT_EQ(config->http().port(), 8080u);  // nothing applied
  ASSERT_EQ(config->api_keys_size(), 1);

  ServerConfigOverrides replace;
  replace.api_keys = "flag:" + kStrongSecret;
  ASSERT_TRUE(ApplyServerConfigOverrides(replace, *config).ok());
  ASSERT_EQ(config->api_keys_size(), 1);
  EXPECT_EQ(config->api_keys(0).key(), "flag");

  ServerConfigOverrides clear;
  clear.api_keys = "";
  ASSERT_TRUE(ApplyServerConfigOverrides(clear, *config).ok());
  EXPECT_EQ(config->api_keys_size(), 0);
}

}  // namespace
}  // namespace switchyard::api
