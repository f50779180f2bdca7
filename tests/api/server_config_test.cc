#include "api/server_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

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

TEST(ServerConfigTest, DefaultsMatchTheFlagsOfBeforeAndAreValid) {
  auto config = LoadServerConfig("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http().address(), "127.0.0.1");
  EXPECT_EQ(config->http().port(), 8080u);
  EXPECT_EQ(config->rtc().address(), "127.0.0.1");
  EXPECT_EQ(config->rtc().port(), 40000u);
  EXPECT_EQ(config->rtc().announced_ip(), "");
  EXPECT_EQ(config->rtc().workers(), 1);
  EXPECT_EQ(config->web().dir(), SWITCHYARD_WEB_DIR);
  EXPECT_FALSE(config->dev_mode());
  EXPECT_EQ(config->api_keys_size(), 0);
  EXPECT_TRUE(ValidateServerConfig(*config).ok());
}

TEST(ServerConfigTest, ShippedExampleParsesToExactlyTheDefaults) {
  auto config = LoadServerConfig(kShippedConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(*config, DefaultServerConfig())) << diff;
  EXPECT_TRUE(ValidateServerConfig(*config).ok());
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

TEST_P(InvalidConfigTest, RefusedNamingTheField) {
  ServerConfig config = DefaultServerConfig();
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
        InvalidCase{"WorkersZero", [](ServerConfig& c) { c.mutable_rtc()->set_workers(0); },
                    "rtc.workers: must be 1-256"},
        InvalidCase{"WorkersTooMany", [](ServerConfig& c) { c.mutable_rtc()->set_workers(257); },
                    "rtc.workers: must be 1-256"},
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
        InvalidCase{"WebDirEmpty", [](ServerConfig& c) { c.mutable_web()->set_dir(""); },
                    "web.dir: must not be empty"},
        InvalidCase{"KeyEmpty",
                    [](ServerConfig& c) {
                      auto* k = c.add_api_keys();
                      k->set_secret(kStrongSecret);
                    },
                    "api_keys[0].key:"},
        InvalidCase{"KeyWithColon",
                    [](ServerConfig& c) {
                      auto* k = c.add_api_keys();
                      k->set_key("a:b");
                      k->set_secret(kStrongSecret);
                    },
                    "api_keys[0].key:"},
        InvalidCase{"KeyDuplicate",
                    [](ServerConfig& c) {
                      for (int i = 0; i < 2; ++i) {
                        auto* k = c.add_api_keys();
                        k->set_key("same");
                        k->set_secret(kStrongSecret);
                      }
                    },
                    "api_keys[1].key: duplicate key \"same\""},
        InvalidCase{"WeakSecret",
                    [](ServerConfig& c) {
                      auto* ok = c.add_api_keys();
                      ok->set_key("good");
                      ok->set_secret(kStrongSecret);
                      auto* weak = c.add_api_keys();
                      weak->set_key("weak");
                      weak->set_secret(kStrongSecret.substr(1));  // 31 bytes
                    },
                    "api_keys[1].secret: secret of key \"weak\" is 31 bytes, must be at least 32"},
        InvalidCase{"EmptySecretEvenInDevMode",
                    [](ServerConfig& c) {
                      c.set_dev_mode(true);
                      c.add_api_keys()->set_key("k");
                    },
                    "api_keys[0].secret: empty secret"}),
    [](const auto& info) { return info.param.name; });

TEST(ServerConfigTest, ValidEdgeValuesAreAccepted) {
  ServerConfig config = DefaultServerConfig();
  config.mutable_http()->set_address("::1");
  config.mutable_http()->set_port(0);
  config.mutable_rtc()->set_address("0.0.0.0");
  config.mutable_rtc()->set_announced_ip("203.0.113.7");
  config.mutable_rtc()->set_port(65535 - 255);
  config.mutable_rtc()->set_workers(256);
  auto* key = config.add_api_keys();
  key->set_key("prod.key-1_A");
  key->set_secret(kStrongSecret);
  EXPECT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
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
      "rtc { workers: 4 announced_ip: \"198.51.100.1\" }\n",
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
