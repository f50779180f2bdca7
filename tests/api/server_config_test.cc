#include "api/server_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "api/access_token.h"
#include "tests/api/server_config_test_util.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"

namespace switchyard::api {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::kKeyRequired;
using testing::kShippedConfig;
using testing::kStrongSecret;
using testing::Message;
using testing::ProductionConfig;
using testing::TempDir;


std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

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
