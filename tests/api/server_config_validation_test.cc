// ValidateServerConfig: every refusal names its field; edge values, TLS files and webhook
// settings that must be accepted. (Split from server_config_test.cc by size.)
#include "api/server_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "api/access_token.h"
#include "tests/api/server_config_test_util.h"

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

}  // namespace
}  // namespace switchyard::api
